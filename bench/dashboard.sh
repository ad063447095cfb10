#!/bin/sh
# The dashboard's figures in a real browser (Debian's chromium + chromium-driver): the first load of the
# pipeline page with N services, and how long a change takes to reach an open page. Starts its own
# coordinator (the packaged jar, embedded H2, a throw-away data folder) on PORT, runs
# dev.assemblyline.web.DashboardBench from the test classes, stops the coordinator, prints one JSON line.
#   mvn -B -q package -DskipTests && mvn -B -q test-compile && bench/dashboard.sh [services=1000] [loads=10] [changes=30]
set -eu
cd "$(dirname "$0")/.."
services=${1:-1000}
loads=${2:-10}
changes=${3:-30}
port=${PORT:-8941}
token=bench-admin-token-$(date +%s)
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
[ -f target/test.classpath ] || mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >/dev/null
echo '[]' > "$dir/sessions.json"
ASSEMBLY_DATA_DIR="$dir/data" PORT=$port ASSEMBLY_ADMIN_TOKEN=$token ASSEMBLY_SESSIONS_FILE="$dir/sessions.json" \
  ASSEMBLY_TEST_PARALLELISM=0 java -XX:+UseParallelGC -jar target/assembly-line.jar serve > "$dir/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://localhost:$port/health" >/dev/null 2>&1 || [ $i -gt 120 ]; do sleep 0.5; i=$((i + 1)); done
java -cp "target/test-classes:target/classes:$(cat target/test.classpath)" dev.assemblyline.web.DashboardBench \
  --url "http://localhost:$port" --token "$token" --services "$services" --loads "$loads" --changes "$changes"
