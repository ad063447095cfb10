#!/bin/sh
# Signed GitHub push deliveries, each with its own delivery id, against a running `assembly serve`.
#   ASSEMBLY_GITHUB_SECRET=s assembly serve &          (the coordinator)
#   bench/webhook-load.sh http://localhost:8900 s 30s [connections=32]  (wrk from Debian's packages: apt-get install wrk)
set -eu
url=${1:-http://localhost:8900}
secret=${2:?the GitHub webhook secret the server was started with}
duration=${3:-30s}
connections=${4:-32}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
body='{"ref":"refs/heads/main","before":"1111111111111111111111111111111111111111","after":"2222222222222222222222222222222222222222","commits":[],"repository":{"full_name":"bench/mono"}}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= *//')
cat > "$dir/push.lua" <<LUA
local body = '$body'
local n = 0
local prefix = ""
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("prefix", "t" .. threads .. "-" .. os.time())
end
init = function(args)
  prefix = wrk.thread:get("prefix")
end
request = function()
  n = n + 1
  return wrk.format("POST", "/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = prefix .. "-" .. n,
    ["X-Hub-Signature-256"] = "sha256=$sig"
  }, body)
end
LUA
wrk -t2 -c"$connections" -d"$duration" --latency -s "$dir/push.lua" "$url"
