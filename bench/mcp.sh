#!/bin/sh
# A tool call over MCP against the same action over REST (issue 17's figure): starts its own coordinator
# (the packaged jar, embedded H2, a throw-away data folder) on PORT, runs dev.assemblyline.mcp.McpBench
# from the test classes (assembly_progress and POST /api/tickets/{id}/progress, alternated), stops the
# coordinator, prints one JSON line with medians, p99s and their ratios.
#   mvn -B -q package -DskipTests && mvn -B -q test-compile && bench/mcp.sh [calls=2000]
set -eu
cd "$(dirname "$0")/.."
calls=${1:-2000}
port=${PORT:-8942}
token=bench-admin-token-$(date +%s)
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >/dev/null
echo '[]' > "$dir/sessions.json"
ASSEMBLY_DATA_DIR="$dir/data" PORT=$port ASSEMBLY_ADMIN_TOKEN=$token ASSEMBLY_SESSIONS_FILE="$dir/sessions.json" \
  ASSEMBLY_TEST_PARALLELISM=0 java -XX:+UseParallelGC -jar target/assembly-line.jar serve > "$dir/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://localhost:$port/health" >/dev/null 2>&1 || [ $i -gt 120 ]; do sleep 0.5; i=$((i + 1)); done
java -cp "target/test-classes:target/classes:$(cat target/test.classpath)" dev.assemblyline.mcp.McpBench \
  --url "http://localhost:$port" --token "$token" --calls "$calls" 2>/dev/null
