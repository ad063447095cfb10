#!/usr/bin/env python3
"""Push -> new phase visible in GET /api/services/{name}, against a running `assembly serve`.

    ASSEMBLY_ADMIN_TOKEN=… push-latency.py --url http://localhost:8900 --services 1000 --runs 30

Pushes as admin (HTTP Basic, the token from --token or ASSEMBLY_ADMIN_TOKEN, the same the server runs with).

Makes a repository of N services (gen-monorepo.py), pushes it to the coordinator's hosted repository,
waits until every service is visible, then repeatedly flips one service's SPEC.md between complete and
incomplete, pushes with plain git, and times from the start of `git push` until the API shows the new
phase. Prints one JSON line with the median and p90 in milliseconds.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time, urllib.request

def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://localhost:8900")
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--token", default=os.environ.get("ASSEMBLY_ADMIN_TOKEN"),
                    help="the server's admin token (default: $ASSEMBLY_ADMIN_TOKEN)")
    a = ap.parse_args()
    if not a.token:
        sys.exit("push-latency.py: pushing needs the admin token: --token or ASSEMBLY_ADMIN_TOKEN")
    here = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="push-latency-")
    repo = os.path.join(work, "mono")
    subprocess.run([sys.executable, os.path.join(here, "gen-monorepo.py"), "--services", str(a.services), "--out", repo], check=True)
    import base64
    basic = base64.b64encode(("admin:" + a.token).encode()).decode()
    git = ["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
           "-c", "http.extraHeader=Authorization: Basic " + basic]
    subprocess.run(git + ["push", "-q", "-f", a.url + "/git/services.git", "main"], check=True)
    deadline = time.time() + 120
    while len(get(a.url + "/api/services")) < a.services:
        if time.time() > deadline:
            sys.exit("the services did not all appear within 120 s")
        time.sleep(0.2)
    expected = json.load(open(os.path.join(repo, "expected.json")))
    name = sorted(s for s, p in expected.items() if p == "READY_FOR_BUILD")[0]
    spec_path = os.path.join(repo, "SERVICES", name, "SPEC.md")
    complete = open(spec_path).read()
    incomplete = complete[: complete.index("## Success Criteria")]
    samples = []
    for i in range(a.runs):
        want = "SPEC_INCOMPLETE" if i % 2 == 0 else "READY_FOR_BUILD"
        open(spec_path, "w").write(incomplete if want == "SPEC_INCOMPLETE" else complete)
        subprocess.run(git + ["commit", "-qam", f"flip {i}"], check=True)
        # the status write-back commits to main after each change (docs/status-board.md): pulled first, untimed
        subprocess.run(git + ["pull", "-q", "--rebase", a.url + "/git/services.git", "main"], check=True)
        t0 = time.perf_counter()
        subprocess.run(git + ["push", "-q", a.url + "/git/services.git", "main"], check=True)
        while get(f"{a.url}/api/services/{name}")["phase"] != want:
            if time.perf_counter() - t0 > 30:
                sys.exit(f"run {i}: {name} did not become {want} within 30 s")
            time.sleep(0.002)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    print(json.dumps({"bench": "push-latency", "services": a.services, "runs": a.runs,
                      "median_ms": round(statistics.median(samples), 1),
                      "p90_ms": round(samples[int(len(samples) * 0.9) - 1], 1), "max_ms": round(samples[-1], 1)}))

if __name__ == "__main__":
    main()
