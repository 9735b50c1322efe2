#!/usr/bin/env bash
# The load benchmark of `cordon serve`, in one command: `bash benches/serve/run.sh`.
#
# Builds the release binary and the ceiling (`serve/examples/ceiling.rs`: the same HTTP stack
# answering a fixed decision, no engine), starts both side by side, and measures on this machine
# with the load generator beside them:
#   1. each at 64 concurrent keep-alive connections with `oha` (decisions/s, p50/p99/p99.9);
#   2. the service again while 10,000 other connections are open and idle;
#   3. `cordon eval` on a .jsonl batch, and the same batch POSTed as application/x-ndjson.
# Needs `oha` (`cargo install oha --locked`) and curl. Sends traffic to 127.0.0.1 only, bounded
# in time; stops everything it started. DURATION (default 10s) and LINES (default 200000) can
# be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
LINES=${LINES:-200000}
SERVICE_PORT=${SERVICE_PORT:-18181}
CEILING_PORT=${CEILING_PORT:-18282}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v oha >/dev/null || { echo "oha is not installed: cargo install oha --locked" >&2; exit 2; }
cargo build --release --quiet --bin cordon
cargo build --release --quiet -p cordon-serve --features ceiling --example ceiling
target=${CARGO_TARGET_DIR:-target}/release
ulimit -n 20000 2>/dev/null || true

"$target/cordon" serve --policy policies/ear --addr "127.0.0.1:$SERVICE_PORT" --no-watch 2>"$work/serve.log" &
pids+=($!)
"$target/examples/ceiling" "127.0.0.1:$CEILING_PORT" &
pids+=($!)
for _ in $(seq 1 300); do
  if curl -fs "http://127.0.0.1:$SERVICE_PORT/ready" >/dev/null 2>&1 \
    && curl -fs -XPOST -H 'content-type: application/json' --data-binary @examples/h100-to-india.json \
      "http://127.0.0.1:$CEILING_PORT/v1/decide" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done

summary() { # name, oha json
  python3 - "$1" "$2" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
print(f"| {name} | {s['requestsPerSec']:,.0f} | {p['p50']*1000:.2f} ms | {p['p99']*1000:.2f} ms | {p['p99.9']*1000:.2f} ms | {codes} |")
PY
}

load() { # port, output
  oha -z "$DURATION" -c 64 --no-tui --output-format json -m POST -T application/json \
    -D examples/h100-to-india.json "http://127.0.0.1:$1/v1/decide" >"$2"
}

echo "## 64 keep-alive connections, $DURATION each (the H100-to-India transaction, trace on)"
echo
echo "| what | decisions/s | p50 | p99 | p99.9 | statuses |"
echo "| --- | --- | --- | --- | --- | --- |"
load "$CEILING_PORT" "$work/ceiling.json"; summary "ceiling: axum, fixed decision" "$work/ceiling.json"
load "$SERVICE_PORT" "$work/service.json"; summary "cordon serve" "$work/service.json"

# 10,000 connections opened and left idle, then the same load beside them.
python3 - "$SERVICE_PORT" "$work/idle.ready" "$work/idle.stop" <<'PY' &
import socket, sys, time, os
port, ready, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
held = []
for _ in range(10000):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    held.append(s)
open(ready, "w").close()
deadline = time.time() + 600
while not os.path.exists(stop) and time.time() < deadline:
    time.sleep(0.1)
PY
idle=$!
for _ in $(seq 1 600); do [ -e "$work/idle.ready" ] && break; sleep 0.1; done
load "$SERVICE_PORT" "$work/idle.json"; summary "cordon serve, 10,000 idle connections open" "$work/idle.json"
touch "$work/idle.stop"; wait "$idle" || true

echo
echo "## A batch of $LINES transactions (the test corpus repeated), trace on"
echo
python3 - "$LINES" "$work/batch.jsonl" <<'PY'
import sys
lines = [l for l in open("tests/diff/ear-corpus.jsonl") if l.strip()]
n, out = int(sys.argv[1]), open(sys.argv[2], "w")
for i in range(n):
    out.write(lines[i % len(lines)])
PY
start=$(date +%s.%N)
"$target/cordon" eval --policy policies/ear --facts "$work/batch.jsonl" --format json >"$work/eval.out" || true
end=$(date +%s.%N)
eval_rate=$(python3 -c "print(f'{$LINES/($end-$start):,.0f}')")
seconds=$(curl -s -o "$work/serve.out" -w '%{time_total}' -XPOST -H 'content-type: application/x-ndjson' \
  --data-binary @"$work/batch.jsonl" "http://127.0.0.1:$SERVICE_PORT/v1/decide")
served=$(wc -l <"$work/serve.out")
serve_rate=$(python3 -c "print(f'{$served/$seconds:,.0f}')")
echo "| what | decisions/s | lines out |"
echo "| --- | --- | --- |"
echo "| cordon eval (includes loading the policy) | $eval_rate | $(wc -l <"$work/eval.out") |"
echo "| POST /v1/decide, application/x-ndjson | $serve_rate | $served |"
