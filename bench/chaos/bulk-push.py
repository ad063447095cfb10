#!/usr/bin/env python3
"""A bulk push and a small push made during it, against a coordinator started here on loopback.

Starts `assembly serve` (H2, or PostgreSQL with --db-url) in a temporary folder, pushes a generated
monorepo of N services (bench/gen-monorepo.py) to its hosted repository, then at once a one-service
commit on top, and prints one JSON line: how long until all N services were processed, when the small
push's service became visible, how many Slack-bound messages were queued, and the database's size.
Bounded: every wait stops after --timeout seconds; the coordinator is killed at the end.

    python3 bench/gen-monorepo.py --services 50000 --out /tmp/bench/m50k
    python3 bench/chaos/bulk-push.py --repo /tmp/bench/m50k --services 50000
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", required=True, help="a repository made by bench/gen-monorepo.py")
    ap.add_argument("--services", type=int, required=True, help="how many services it has")
    ap.add_argument("--jar", default=os.path.join(os.path.dirname(__file__), "..", "..", "target", "assembly-line.jar"))
    ap.add_argument("--db-url", default=None, help="jdbc:postgresql://… (default: H2 in the temporary folder)")
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="assembly-bulk-")
    port = free_port()
    env = dict(os.environ, PORT=str(port), ASSEMBLY_DATA_DIR=os.path.join(tmp, "data"), ASSEMBLY_ADMIN_TOKEN="bulk-admin-token-0123",
               ASSEMBLY_TEST_PARALLELISM="0", ASSEMBLY_SESSIONS_FILE=os.path.join(tmp, "none.json"),
               # a Slack that goes nowhere: messages stay queued, so the outbox shows what would be sent
               SLACK_BOT_TOKEN="xoxb-bulk", ASSEMBLY_SLACK_CHANNEL="C0BULK", ASSEMBLY_SLACK_API_URL="http://127.0.0.1:9/api/")
    if a.db_url:
        env["ASSEMBLY_DB_URL"] = a.db_url
    log = open(os.path.join(tmp, "serve.log"), "w")
    proc = subprocess.Popen(["java", "-XX:+UseParallelGC", "-jar", a.jar, "serve"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = "http://127.0.0.1:%d" % port
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                get(base + "/health")
                break
            except Exception:
                time.sleep(0.2)
        url = "http://admin:bulk-admin-token-0123@127.0.0.1:%d/git/services.git" % port
        work = os.path.join(tmp, "work")
        subprocess.run(["git", "clone", "-q", a.repo, work], check=True)
        # the small commit is made before the bulk is pushed, so that its push follows the bulk's at once
        # (a `git add` in a 50,000-service work tree takes seconds of its own)
        small = os.path.join(work, "SERVICES", "zz-small-push")
        os.makedirs(small)
        shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..", "templates", "SPEC.md"), os.path.join(small, "SPEC.md"))
        subprocess.run(["git", "-C", work, "add", "SERVICES/zz-small-push"], check=True)
        subprocess.run(["git", "-C", work, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "small"], check=True)
        t0 = time.time()
        subprocess.run(["git", "-C", work, "push", "-q", url, "HEAD~1:refs/heads/main"], check=True)
        t_pushed = time.time()
        t_small = time.time()
        subprocess.run(["git", "-C", work, "push", "-q", url, "HEAD:main"], check=True)
        t_small_pushed = time.time()
        # the small push is watched on its own thread: /metrics can take seconds while the bulk is processed,
        # and waiting for it would add its time to the small push's figure
        seen = {}
        def watch_small():
            while time.time() - t0 < a.timeout and "t" not in seen:
                try:
                    urllib.request.urlopen(base + "/api/services/zz-small-push", timeout=10).read()
                    seen["t"] = time.time()
                except Exception:
                    time.sleep(0.05)
        watcher = threading.Thread(target=watch_small, daemon=True)
        watcher.start()
        bulk_done = None
        while time.time() - t0 < a.timeout and bulk_done is None:
            metrics = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
            count = sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("assembly_services{"))
            if count >= a.services + 1:
                bulk_done = time.time()
            time.sleep(0.1)
        watcher.join(max(0, a.timeout - (time.time() - t0)))
        small_seen = seen.get("t")
        health = get(base + "/health")
        db_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(tmp, "data")) for f in fs if f.endswith(".db"))
        print(json.dumps({
            "bench": "bulk-push", "services": a.services, "db": "postgres" if a.db_url else "h2",
            "push_s": round(t_pushed - t0, 1),
            "bulk_processed_s_after_push": None if bulk_done is None else round(bulk_done - t_pushed, 1),
            "small_push_took_s": round(t_small_pushed - t_small, 2),
            "small_push_visible_s_after_its_start": None if small_seen is None else round(small_seen - t_small, 2),
            "small_push_visible_s_after_it_returned": None if small_seen is None else round(small_seen - t_small_pushed, 2),
            "outbox_oldest_unsent_s": health.get("outbox_oldest_unsent_s"),
            "h2_files_mb": round(db_bytes / 1e6, 1) if not a.db_url else None,
        }))
    finally:
        proc.kill()
        proc.wait()
        log.close()
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp, file=sys.stderr)

if __name__ == "__main__":
    main()
