#!/bin/sh
# Signed slash commands (or events) with many requests in flight, against a running `assembly serve`.
#   SLACK_SIGNING_SECRET=s assembly serve &
#   bench/slack-load.sh http://localhost:8900 s commands 200 20s
#   bench/slack-load.sh http://localhost:8900 s events 200 20s
# One timestamp is signed for the whole run (Slack's window is 5 minutes), so keep runs shorter than that.
set -eu
url=${1:-http://localhost:8900}
secret=${2:?the SLACK_SIGNING_SECRET the server was started with}
kind=${3:-commands}
conns=${4:-200}
duration=${5:-20s}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ts=$(date +%s)
if [ "$kind" = commands ]; then
  body='token=x&team_id=T1&team_domain=t&channel_id=C1&channel_name=team&user_id=UBENCH&user_name=bench&command=%2Fassembly&text=status&response_url=https%3A%2F%2Fhooks.slack.invalid%2Fx&trigger_id=1.2.3'
  ctype=application/x-www-form-urlencoded
else
  body='{"type":"event_callback","event_id":"EvBench","team_id":"T1","event":{"type":"message","channel":"C1","user":"UBENCH","text":"hello","ts":"1.1"}}'
  ctype=application/json
fi
sig="v0=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= *//')"
cat > "$dir/slack.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "$ctype"
wrk.headers["X-Slack-Request-Timestamp"] = "$ts"
wrk.headers["X-Slack-Signature"] = "$sig"
LUA
wrk -t2 -c"$conns" -d"$duration" --latency -s "$dir/slack.lua" "$url/slack/$kind"
