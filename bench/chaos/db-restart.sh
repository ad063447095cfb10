#!/bin/sh
# The database dies under a running coordinator and comes back: a throw-away PostgreSQL (pg.sh) is
# stopped with -m immediate while the coordinator runs, a write and /health are tried meanwhile, the
# server is started again; prints how long until /health is 200 and a push is processed, no restart of
# the coordinator. Bounded (about a minute); loopback only.
#   sh bench/chaos/db-restart.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAR=${JAR:-$ROOT/target/assembly-line.jar}
PORT=${PORT:-8952}
PGPORT=${PGPORT:-55433}
PG=$(mktemp -d /tmp/assembly-dbrestart-pg-XXXXXX)
WORK=$(mktemp -d /tmp/assembly-dbrestart-XXXXXX)
cleanup() { [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null; sh "$ROOT/bench/chaos/pg.sh" stop "$PG" 2>/dev/null || true; rm -rf "$PG" "$WORK"; }
trap cleanup EXIT
fail() { echo "$1"; tail -20 "$WORK/serve.log"; exit 1; }
URL=$(sh "$ROOT/bench/chaos/pg.sh" start "$PG" "$PGPORT")
cd "$WORK"
PORT=$PORT ASSEMBLY_DB_URL="$URL" ASSEMBLY_DATA_DIR="$WORK/data" ASSEMBLY_ADMIN_TOKEN=db-restart-admin-token ASSEMBLY_TEST_PARALLELISM=0 \
  ASSEMBLY_SESSIONS_FILE="$WORK/none.json" java -jar "$JAR" serve > "$WORK/serve.log" 2>&1 &
PID=$!
i=0; until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do i=$((i+1)); [ $i -gt 120 ] && fail "no start"; sleep 0.5; done
GIT="http://admin:db-restart-admin-token@127.0.0.1:$PORT/git/services.git"
git clone -q "$GIT" w 2>/dev/null; cd w
# a person pushing: the status write-back commits to main (docs/status-board.md), so pull first
push() { git -c user.name=c -c user.email=c@x pull -q --rebase origin main 2>/dev/null || true; git push -q origin HEAD:main; }
spec() { mkdir -p "SERVICES/$1" && cp "$ROOT/templates/SPEC.example.md" "SERVICES/$1/SPEC.md" && git add . && git -c user.name=c -c user.email=c@x commit -qm "$1"; }
spec before && push 2>/dev/null
sleep 1
echo "before: $(curl -s http://127.0.0.1:$PORT/health)"
sh "$ROOT/bench/chaos/pg.sh" stop "$PG"
echo "write while down: $(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer db-restart-admin-token' \
  -d '{"session_id":"s1","capabilities":["builder"]}' http://127.0.0.1:$PORT/api/sessions)"
spec gap
if push 2>/dev/null; then echo "push while down: accepted"; else echo "push while down: refused"; fi
echo "down:   $(curl -s -m 10 http://127.0.0.1:$PORT/health)"
sh "$ROOT/bench/chaos/pg.sh" restart "$PG" "$PGPORT"
T0=$(date +%s.%N)
for s in $(seq 1 60); do
  code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
T1=$(date +%s.%N)
echo "after:  $(curl -s http://127.0.0.1:$PORT/health)"
push 2>/dev/null || true
for s in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/services/gap" && break; sleep 0.5; done
T2=$(date +%s.%N)
echo "{\"bench\":\"db-restart\",\"healthy_again_s\":$(awk "BEGIN{printf \"%.2f\", $T1 - $T0}"),\"gap_push_visible_s\":$(awk "BEGIN{printf \"%.2f\", $T2 - $T0}"),\"gap_service\":$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/api/services/gap)}"
