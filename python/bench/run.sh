#!/usr/bin/env bash
# Measures, in one run: decisions/s of `cordon eval` on N generated transactions as JSONL (trace
# off), of `Policy.decide_batch` on the same transactions as an Arrow table, and of a Spark job in
# local[2] deciding them with `cordon.spark.decide`. Release builds of both. Not run by CI.
#
#   python/bench/run.sh [N]          (default 1,000,000; needs a JDK, as .ci/run installs)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-1000000}
work=${CORDON_BENCH_DIR:-$(mktemp -d)}
venv=${CORDON_BENCH_VENV:-$work/venv}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet maturin==1.16.0 pyarrow==22.0.0 pandas==2.3.3 pyspark==4.0.1
fi
cargo build --quiet --release
(cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --quiet --release)

python3 python/tests/transactions.py "$count" > "$work/transactions.jsonl"
echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
CORDON_BIN="$CARGO_TARGET_DIR/release/cordon" "$venv/bin/python" python/bench/measure.py "$work/transactions.jsonl" "$count"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
