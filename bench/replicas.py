#!/usr/bin/env python3
"""Replicas on one PostgreSQL (docs/SCALING.md): failover time and webhook intake, one machine.

    python3 bench/replicas.py [--jar target/assembly-line.jar] [--kills 10] [--pauses 3] [--intake 20s]

Starts a throw-away PostgreSQL (bench/chaos/pg.sh), a followed repository with 20 services, and two
`assembly serve` replicas. Failover: kills the leader with -9 (--kills times) and times until the other
says it leads in /health (polled every 20 ms); the killed one comes back as a follower each time. Then
pauses the leader with SIGSTOP (--pauses times): a takeover after the lease (5 s). Intake: signed GitHub
push deliveries with wrk (bench/webhook-load.sh) at one replica with 32 connections, then at both at once
with 16 each. Prints one JSON line; medians, because the machine is shared.
"""
import argparse, json, os, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "bench-replicas-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            return json.loads(r.read())
    except Exception as e:
        if hasattr(e, "read"):
            try:
                return json.loads(e.read())
            except Exception:
                return None
        return None


def leads(port):
    h = health(port)
    return bool(h and h.get("replica", {}).get("leads"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jar", default=os.path.join(HERE, "..", "target", "assembly-line.jar"))
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--pauses", type=int, default=3)
    ap.add_argument("--intake", default="20s", help="wrk duration per intake run")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="replicas-bench-")
    os.chmod(tmp, 0o755)  # PostgreSQL runs as its own user (bench/chaos/pg.sh) and must reach its folder
    pg_port = free_port()
    url = subprocess.check_output(["sh", os.path.join(HERE, "chaos", "pg.sh"), "start", tmp + "/pg", str(pg_port)], text=True).strip()
    procs = {}
    try:
        origin = tmp + "/origin.git"
        work = tmp + "/work"
        subprocess.check_call(["git", "init", "-q", "--bare", "-b", "main", origin])
        subprocess.check_call(["git", "clone", "-q", origin, work], stderr=subprocess.DEVNULL)
        spec = open(os.path.join(HERE, "..", "templates", "SPEC.example.md")).read()
        for i in range(20):
            os.makedirs(f"{work}/SERVICES/svc-{i}")
            open(f"{work}/SERVICES/svc-{i}/SPEC.md", "w").write(spec)
        subprocess.check_call(["git", "add", "-A"], cwd=work)
        subprocess.check_call(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "20 services"], cwd=work)
        subprocess.check_call(["git", "push", "-q", "origin", "HEAD:main"], cwd=work)
        ports = {"a": free_port(), "b": free_port()}

        def serve(rid):
            env = dict(os.environ, PORT=str(ports[rid]), ASSEMBLY_DATA_DIR=f"{tmp}/data-{rid}", ASSEMBLY_DB_URL=url,
                       ASSEMBLY_REPO_URL=origin, ASSEMBLY_REPLICA_ID=rid, ASSEMBLY_GITHUB_SECRET=SECRET,
                       ASSEMBLY_SESSIONS_FILE=f"{tmp}/none.json", ASSEMBLY_TEST_PARALLELISM="0")
            log = open(f"{tmp}/{rid}.log", "a")
            procs[rid] = subprocess.Popen(["java", "-jar", a.jar, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.time() + 60
            while health(ports[rid]) is None:
                if time.time() > deadline:
                    sys.exit(f"replica {rid} did not start; see {tmp}/{rid}.log")
                time.sleep(0.1)

        def leader(timeout=30):
            deadline = time.time() + timeout
            while time.time() < deadline:
                for rid in ports:
                    if procs[rid].poll() is None and leads(ports[rid]):
                        return rid
                time.sleep(0.05)
            sys.exit("no replica leads")

        serve("a")
        serve("b")
        kills = []
        for _ in range(a.kills):
            old = leader()
            other = "b" if old == "a" else "a"
            procs[old].kill()
            procs[old].wait()
            t0 = time.monotonic()
            while not leads(ports[other]):
                if time.monotonic() - t0 > 30:
                    sys.exit(f"{other} did not take over in 30 s; see {tmp}")
                time.sleep(0.02)
            kills.append(time.monotonic() - t0)
            serve(old)
            time.sleep(2)
        pauses = []
        for _ in range(a.pauses):
            old = leader()
            other = "b" if old == "a" else "a"
            os.kill(procs[old].pid, signal.SIGSTOP)
            t0 = time.monotonic()
            while not leads(ports[other]):
                if time.monotonic() - t0 > 30:
                    os.kill(procs[old].pid, signal.SIGCONT)
                    sys.exit(f"{other} did not take over from a paused leader in 30 s; see {tmp}")
                time.sleep(0.02)
            pauses.append(time.monotonic() - t0)
            os.kill(procs[old].pid, signal.SIGCONT)
            deadline = time.time() + 20
            while leads(ports[old]) and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(2)

        def wrk(port, connections):
            out = subprocess.run(["sh", os.path.join(HERE, "webhook-load.sh"), f"http://127.0.0.1:{port}", SECRET, a.intake, str(connections)],
                                 capture_output=True, text=True)
            for line in out.stdout.splitlines():
                if line.startswith("Requests/sec:"):
                    return float(line.split()[1])
            sys.exit("wrk failed: " + out.stdout + out.stderr)

        one = wrk(ports["a"], 32)
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            both = sum(pool.map(lambda p: wrk(p, 16), [ports["a"], ports["b"]]))
        print(json.dumps({
            "bench": "replicas",
            "failover_kill9_median_s": round(statistics.median(kills), 2), "failover_kill9_max_s": round(max(kills), 2), "kills": len(kills),
            "failover_paused_median_s": round(statistics.median(pauses), 2) if pauses else None, "pauses": len(pauses),
            "intake_one_replica_per_s": round(one), "intake_two_replicas_per_s": round(both), "ratio": round(both / one, 2),
        }))
    finally:
        for p in procs.values():
            try:
                os.kill(p.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            p.kill()
        subprocess.call(["sh", os.path.join(HERE, "chaos", "pg.sh"), "stop", tmp + "/pg"], stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
