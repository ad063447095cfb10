#!/bin/sh
# A disk-full episode: the coordinator's data directory on a small tmpfs (needs root to mount it), a
# push, the disk filled, a push in the gap, the disk freed; prints /health each second and how long
# until the line answers 200 again and the gap's push is processed, with no restart.
#   sh bench/chaos/disk-full.sh            (uses target/assembly-line.jar; bounded: about a minute)
set -eu
JAR=${JAR:-$(cd "$(dirname "$0")/../.." && pwd)/target/assembly-line.jar}
TEMPLATE=$(cd "$(dirname "$0")/../.." && pwd)/templates/SPEC.example.md
PORT=${PORT:-8951}
MNT=$(mktemp -d /tmp/assembly-diskfull-XXXXXX)
WORK=$(mktemp -d /tmp/assembly-diskfull-work-XXXXXX)
mount -t tmpfs -o size=40m tmpfs "$MNT"
cleanup() { [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null; sleep 0.5; umount "$MNT" 2>/dev/null; rm -rf "$MNT" "$WORK"; }
trap cleanup EXIT
cd "$MNT"
PORT=$PORT ASSEMBLY_DATA_DIR="$MNT/data" ASSEMBLY_ADMIN_TOKEN=disk-full-admin-token ASSEMBLY_TEST_PARALLELISM=0 \
  ASSEMBLY_SESSIONS_FILE="$MNT/none.json" java -jar "$JAR" serve > "$WORK/serve.log" 2>&1 &
PID=$!
i=0; until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do i=$((i+1)); [ $i -gt 120 ] && { echo "no start"; exit 1; }; sleep 0.5; done
URL="http://admin:disk-full-admin-token@127.0.0.1:$PORT/git/services.git"
git clone -q "$URL" "$WORK/w" 2>/dev/null
cd "$WORK/w"
# a person pushing: the status write-back commits to main (docs/status-board.md), so pull first
push() { git -c user.name=c -c user.email=c@x pull -q --rebase origin main 2>/dev/null || true; git push -q origin HEAD:main; }
spec() { mkdir -p "SERVICES/$1" && cp "$TEMPLATE" "SERVICES/$1/SPEC.md" && git add . && git -c user.name=c -c user.email=c@x commit -qm "$1"; }
spec before && push 2>/dev/null
sleep 1
echo "before: $(curl -s http://127.0.0.1:$PORT/health)"
dd if=/dev/zero of="$MNT/filler" bs=1M count=100 2>/dev/null || true
spec gap
if push 2>/dev/null; then echo "gap push: accepted"; else echo "gap push: refused"; fi
for n in 1 2 3; do  # writes while the disk is full: a session registered by the admin
  echo "write while full: $(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer disk-full-admin-token' \
    -d "{\"session_id\":\"s$n\",\"capabilities\":[\"builder\"]}" http://127.0.0.1:$PORT/api/sessions)"
done
sleep 2
echo "full:   $(curl -s -m 5 http://127.0.0.1:$PORT/health)"
rm -f "$MNT/filler"
T0=$(date +%s.%N)
for s in $(seq 1 30); do
  code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health" || true)
  [ "$code" = 200 ] && break
  sleep 1
done
T1=$(date +%s.%N)
echo "after:  $(curl -s http://127.0.0.1:$PORT/health)"
echo "write after: $(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer disk-full-admin-token' \
  -d '{"session_id":"after","capabilities":["builder"]}' http://127.0.0.1:$PORT/api/sessions)"
push 2>"$WORK/push.err" || echo "retry push refused: $(grep -v '^remote: Updating' "$WORK/push.err" | head -3 | tr '\n' ' ')"
for s in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/services/gap" && break; sleep 0.5; done
T2=$(date +%s.%N)
echo "{\"bench\":\"disk-full\",\"healthy_again_s\":$(awk "BEGIN{printf \"%.2f\", $T1 - $T0}"),\"gap_push_visible_s\":$(awk "BEGIN{printf \"%.2f\", $T2 - $T0}"),\"gap_service\":$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/api/services/gap)}"
grep -E "WARN|ERROR" "$WORK/serve.log" | cut -c1-160 | head -5
