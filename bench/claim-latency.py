#!/usr/bin/env python3
"""Claim latency over HTTP against a running `assembly serve` (the answer time a session sees).

    ASSEMBLY_SESSIONS_FILE=sessions.json assembly serve &       # sessions made by --write-sessions
    claim-latency.py --write-sessions sessions.json --sessions 200
    claim-latency.py --url http://localhost:8900 --sessions 200 --services 1000 --claims 300

Pushes a generated monorepo (its services open tickets, offered to the sessions), then claims each
offered ticket with its session's token, timing each POST /api/tickets/{id}/claim. Prints one JSON line with the median and p90 in ms.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time, urllib.request

CAPS = ["architect", "builder", "tester", "devops"]

def sessions(n):
    return {f"s{i:03d}": {"session_id": f"s{i:03d}", "name": f"session {i}", "capabilities": [CAPS[i % 4], CAPS[(i + 1) % 4]],
                          "status": "active", "wip_limit": 3, "token": f"bench-token-{i:03d}-xxxxxxxx"} for i in range(n)}

def call(method, url, token=None):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://localhost:8900")
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--claims", type=int, default=300)
    ap.add_argument("--write-sessions")
    a = ap.parse_args()
    all_sessions = sessions(a.sessions)
    if a.write_sessions:
        json.dump(all_sessions, open(a.write_sessions, "w"))
        return
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.join(tempfile.mkdtemp(prefix="claim-latency-"), "mono")
    subprocess.run([sys.executable, os.path.join(here, "gen-monorepo.py"), "--services", str(a.services), "--out", repo], check=True)
    subprocess.run(["git", "-C", repo, "push", "-q", "-f", a.url + "/git/services.git", "main"], check=True)
    deadline = time.time() + 120
    while True:
        code, tickets = call("GET", a.url + "/api/tickets?state=offered")
        if len(tickets) >= a.claims or time.time() > deadline:
            break
        time.sleep(0.5)
    samples, statuses = [], {}
    for t in tickets[: a.claims]:
        who = all_sessions[t["assignee"]]  # each offered ticket claimed by the session it was offered to
        t0 = time.perf_counter()
        code, _ = call("POST", f"{a.url}/api/tickets/{t['id']}/claim", who["token"])
        samples.append((time.perf_counter() - t0) * 1000)
        statuses[code] = statuses.get(code, 0) + 1
    samples.sort()
    print(json.dumps({"bench": "claim-latency", "claims": len(samples), "statuses": statuses,
                      "median_ms": round(statistics.median(samples), 2), "p90_ms": round(samples[int(len(samples) * 0.9) - 1], 2)}))

if __name__ == "__main__":
    main()
