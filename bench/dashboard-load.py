#!/usr/bin/env python3
"""What open dashboards cost the webhook intake: signed GitHub push deliveries (bench/webhook-load.sh, wrk)
with no live connection and with N open /api/stream connections, while the line is busy (a session reports
progress on a claimed ticket R times a second, so every open page receives R events a second).

    bench/dashboard-load.py [--streams 200] [--rounds 3] [--duration 15s] [--rate 10]

Starts its own coordinator (the packaged jar, embedded H2, a throw-away data folder) following a local
bare repository of 100 services (ASSEMBLY_REPO_URL: forge webhooks are stored in the inbox and processed,
as in production), with ASSEMBLY_GITHUB_SECRET set and the per-address connection cap raised above N
(every stream comes from 127.0.0.1 here; in real use each browser is its own address). Runs the two cases alternately (A B A B …)
and prints one JSON line: requests per second of each round, the medians, their ratio, and how many
events the streams received (proof they were live).
"""
import argparse, http.client, json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def api(url, method, path, token, body=None):
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class Stream(threading.Thread):
    """One open page's live connection: reads events until told to stop."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.events, self.stop, self.ok = port, 0, False, False

    def run(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request("GET", "/api/stream", headers={"Accept": "text/event-stream"})
        r = c.getresponse()
        self.ok = r.status == 200
        while not self.stop:
            line = r.fp.readline()
            if not line:
                break
            if line.startswith(b"event: change"):
                self.events += 1
        c.close()


def wrk(url, secret, duration):
    out = subprocess.run(["sh", os.path.join(HERE, "webhook-load.sh"), url, secret, duration, "32"], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", default="15s")
    ap.add_argument("--rate", type=float, default=10.0, help="progress reports a second while measuring")
    ap.add_argument("--port", type=int, default=8951)
    a = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("dashboard-load.py needs wrk (Debian: apt-get install wrk)")
    work = tempfile.mkdtemp(prefix="dashboard-load-")
    token, secret = "bench-admin-token-" + str(int(time.time())), "s"
    with open(os.path.join(work, "sessions.json"), "w") as f:
        f.write("[]")
    repo, origin = os.path.join(work, "mono"), os.path.join(work, "origin.git")
    subprocess.run([sys.executable, os.path.join(HERE, "gen-monorepo.py"), "--services", "100", "--out", repo], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", origin], check=True)
    subprocess.run(["git", "-C", repo, "push", "-q", origin, "main"], check=True)
    env = dict(os.environ, ASSEMBLY_DATA_DIR=os.path.join(work, "data"), PORT=str(a.port), ASSEMBLY_ADMIN_TOKEN=token,
               ASSEMBLY_REPO_URL=origin,
               ASSEMBLY_SESSIONS_FILE=os.path.join(work, "sessions.json"), ASSEMBLY_GITHUB_SECRET=secret,
               ASSEMBLY_MAX_CONNECTIONS_PER_ADDRESS=str(a.streams + 100), ASSEMBLY_TEST_PARALLELISM="0")
    server = subprocess.Popen(["java", "-XX:+UseParallelGC", "-jar", os.path.join(ROOT, "target/assembly-line.jar"), "serve"],
                              env=env, stdout=open(os.path.join(work, "serve.log"), "w"), stderr=subprocess.STDOUT)
    url = "http://localhost:%d" % a.port
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except Exception:
                time.sleep(0.5)
        # a claimed ticket to report progress on
        s = api(url, "POST", "/api/sessions", token, {"session_id": "bench", "name": "bench", "capabilities": ["builder"], "wip_limit": 5})
        ticket = None
        for _ in range(100):
            offered = [t for t in api(url, "GET", "/api/tickets?assignee=bench&state=offered", token)]
            if offered:
                ticket = offered[0]["id"]
                break
            time.sleep(0.2)
        api(url, "POST", "/api/tickets/%d/claim" % ticket, s["token"], {})
        busy = {"stop": False, "sent": 0}

        def progress():
            while not busy["stop"]:
                api(url, "POST", "/api/tickets/%d/progress" % ticket, s["token"], {"percent": busy["sent"] % 100})
                busy["sent"] += 1
                time.sleep(1.0 / a.rate)

        threading.Thread(target=progress, daemon=True).start()
        wrk(url, secret, "10s")  # warm-up
        rounds = {"0": [], str(a.streams): []}
        received = []
        for _ in range(a.rounds):
            rounds["0"].append(wrk(url, secret, a.duration))
            streams = [Stream(a.port) for _ in range(a.streams)]
            for t in streams:
                t.start()
            time.sleep(2)
            opened = sum(1 for t in streams if t.ok)
            before = sum(t.events for t in streams)
            rounds[str(a.streams)].append(wrk(url, secret, a.duration))
            received.append({"open": opened, "events_during_run": sum(t.events for t in streams) - before})
            for t in streams:
                t.stop = True
            time.sleep(3)
        busy["stop"] = True
        base, loaded = statistics.median(rounds["0"]), statistics.median(rounds[str(a.streams)])
        print(json.dumps({"streams": a.streams, "progress_per_s": a.rate, "req_per_s_without": rounds["0"],
                          "req_per_s_with": rounds[str(a.streams)], "median_without": base, "median_with": loaded,
                          "ratio": round(loaded / base, 3), "cost_percent": round((1 - loaded / base) * 100, 1), "streams_seen": received}))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
