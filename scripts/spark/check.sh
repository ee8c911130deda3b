#!/usr/bin/env bash
# The proof that the Spark job computes the engine's summaries: generate a shop, write its orders as
# Parquet part files with Spark, run scripts/spark/summaries.py in local mode, and check that
# `retention` fits, scores and segments the Spark summaries exactly as it does a store of the same
# orders (parameters, P(alive), expected purchases and CLV to relative 1e-9; every RFM cell equal),
# at the default as-of day, at an earlier one and for a store in another time zone; also runs the
# same SQL in DuckDB. Exits non-zero on any mismatch; prints the time of each step. Not part of
# `cargo test`.
#
#   scripts/spark/check.sh
#
# Environment (all optional):
#   RETENTION_SPARK_VENV       virtual environment with pyspark 4, pyarrow and duckdb; created (and
#                              the packages installed) when missing. Default target/spark-venv.
#   RETENTION_SPARK_WORK       working directory, replaced (only if empty or made by this script).
#                              Default target/spark-check.
#   RETENTION_SPARK_CUSTOMERS  shop size. Default 100000.
#   RETENTION_SPARK_SEED       generator seed. Default 42.
#   RETENTION_SPARK_AS_OF      the earlier as-of day of the second comparison. Default 2025-06-30.
#   RETENTION_SPARK_ZONE       the store time zone of the third comparison. Default America/New_York.
#   RETENTION_SPARK_MASTER     Spark master. Default local[2].
#   RETENTION_BIN              use this retention binary instead of `cargo build --release`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
venv=${RETENTION_SPARK_VENV:-$repo/target/spark-venv}
work=${RETENTION_SPARK_WORK:-$repo/target/spark-check}
customers=${RETENTION_SPARK_CUSTOMERS:-100000}
seed=${RETENTION_SPARK_SEED:-42}
cut=${RETENTION_SPARK_AS_OF:-2025-06-30}
zone=${RETENTION_SPARK_ZONE:-America/New_York}
master=${RETENTION_SPARK_MASTER:-local[2]}
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}  # no "resolves to a loopback address" warning
export PYSPARK_PYTHON="$venv/bin/python"

started=$EPOCHREALTIME
timings=()
# timed LABEL COMMAND...: runs COMMAND, prints and records its wall time.
timed() {
    local label=$1 t0=$EPOCHREALTIME
    shift
    "$@"
    local s
    s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    timings+=("$(printf '%-54s %8s s' "$label" "$s")")
    echo "   $label: $s s"
}
# spark_step LOG COMMAND...: runs a Spark program with its stderr (Spark's log) in LOG, shown on failure.
spark_step() {
    local log=$1
    shift
    if ! "$@" 2>"$log"; then
        echo "FAILED: $*" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}
# to FILE COMMAND...: runs COMMAND with its standard output in FILE.
to() {
    local file=$1
    shift
    "$@" >"$file"
}

echo "== Python environment: $venv"
if ! "$venv/bin/python" -c 'import pyspark, pyarrow, duckdb' 2>/dev/null; then
    timed "virtual environment (pyspark, pyarrow, duckdb)" bash -c \
        "python3 -m venv '$venv' && '$venv/bin/pip' install --quiet 'pyspark>=4,<5' pyarrow duckdb"
fi
py="$venv/bin/python"
"$py" -c 'import sys, pyspark, pyarrow, duckdb
assert pyspark.__version__.startswith("4."), f"pyspark {pyspark.__version__}: this check needs 4.x"
print(f"   python {sys.version.split()[0]}, pyspark {pyspark.__version__}, pyarrow {pyarrow.__version__}, duckdb {duckdb.__version__}")'
if ! command -v java >/dev/null; then
    echo "check.sh: Spark 4 needs Java 17 or later on the PATH" >&2
    exit 1
fi
java -version 2>&1 | head -n 1 | sed 's/^/   java: /'

echo "== retention binary"
if [ -n "${RETENTION_BIN:-}" ]; then
    bin=$RETENTION_BIN
    echo "   $bin (RETENTION_BIN; not rebuilt)"
else
    timed "cargo build --release" cargo build --release --quiet --bin retention
    bin=$repo/target/release/retention
fi

if [ -d "$work" ] && [ ! -e "$work/.retention-spark-check" ] && [ -n "$(ls -A "$work")" ]; then
    echo "check.sh: $work exists and was not made by this script; set RETENTION_SPARK_WORK elsewhere" >&2
    exit 1
fi
rm -rf "$work"
mkdir -p "$work/logs"
touch "$work/.retention-spark-check"
echo "== generate $customers customers (seed $seed), plus the edge cases of edge_cases.csv"
timed "generate CSV" to "$work/orders.csv" "$bin" generate --customers "$customers" --seed "$seed" \
    --start 2023-01-01 --days 1096
cp "$here/edge_cases.csv" "$work/edge_cases.csv"
echo "   $(($(wc -l <"$work/orders.csv") - 1)) generated order lines, $(($(wc -l <"$work/edge_cases.csv") - 1)) edge-case lines"

echo "== the store: retention ingest"
timed "ingest into a store" to "$work/ingest.json" "$bin" ingest "$work/orders.csv" "$work/edge_cases.csv" \
    --db "$work/store" --format json
"$bin" stats --db "$work/store" --format json >"$work/stats.json"
"$py" - "$work/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"   {s['customers']} customers, {s['orders']} purchase orders and {s['returns']} returns, "
      f"{s['first_day']} to {s['last_day']}")
PY

echo "== the lake: the same CSV as Parquet part files, written by Spark"
timed "CSV -> Parquet part files (Spark)" spark_step "$work/logs/orders_to_parquet.log" \
    "$py" "$here/orders_to_parquet.py" --csv "$work/orders.csv" "$work/edge_cases.csv" \
    --out "$work/orders.parquet" --parts 4 --master "$master"
ls "$work/orders.parquet" | grep -c '^part-.*\.parquet$' | sed 's/^/   part files: /'

echo "== the Spark job ($master), default as-of day"
timed "Spark job, default as-of (whole process)" spark_step "$work/logs/summaries.log" \
    "$py" "$here/summaries.py" --orders "$work/orders.parquet" --out "$work/spark-summaries" \
    --master "$master" --shuffle-partitions 8 --stats-json "$work/spark-stats.json"
echo "== the Spark job ($master), as of $cut"
timed "Spark job, as of $cut (whole process)" spark_step "$work/logs/summaries-as-of.log" \
    "$py" "$here/summaries.py" --orders "$work/orders.parquet" --out "$work/spark-summaries-as-of" \
    --as-of "$cut" --master "$master" --shuffle-partitions 8 --stats-json "$work/spark-stats-as-of.json"
echo "== the Spark job ($master), a store in $zone"
timed "Spark job, time zone $zone (whole process)" spark_step "$work/logs/summaries-zone.log" \
    "$py" "$here/summaries.py" --orders "$work/orders.parquet" --out "$work/spark-summaries-zone" \
    --time-zone "$zone" --master "$master" --shuffle-partitions 8 --stats-json "$work/spark-stats-zone.json"
echo "== DuckDB, the same summaries.sql"
timed "DuckDB, same SQL, default as-of" "$py" "$here/summaries.py" --duckdb --orders "$work/orders.parquet" \
    --out "$work/duckdb-summaries" --stats-json "$work/duckdb-stats.json"

echo "== retention on the Spark summaries"
s=$work/spark-summaries
a=$work/spark-summaries-as-of
timed "clv fit --summaries" to "$work/fit-spark.out" "$bin" clv fit --summaries "$s" --model-out "$work/model-spark.json"
timed "clv score --summaries" to "$work/score-spark.json" "$bin" clv score --summaries "$s" \
    --model "$work/model-spark.json" --format json
timed "rfm --summaries" to "$work/rfm-spark.json" "$bin" rfm --summaries "$s" --format json
"$bin" clv fit --summaries "$a" --model-out "$work/model-spark-as-of.json" >/dev/null
"$bin" clv score --summaries "$a" --model "$work/model-spark-as-of.json" --format json >"$work/score-spark-as-of.json"
"$bin" rfm --summaries "$a" --format json >"$work/rfm-spark-as-of.json"

echo "== retention on the store"
timed "summaries --db (the engine's summary file)" to "$work/summaries-store.out" "$bin" summaries \
    --db "$work/store" --out "$work/store-summaries.parquet"
"$bin" summaries --db "$work/store" --as-of "$cut" --out "$work/store-summaries-as-of.parquet" >/dev/null
timed "clv fit --db" to "$work/fit-store.out" "$bin" clv fit --db "$work/store" --model-out "$work/model-store.json"
timed "clv score --db" to "$work/score-store.json" "$bin" clv score --db "$work/store" --format json
timed "rfm --db" to "$work/rfm-store.json" "$bin" rfm --db "$work/store" --format json
"$bin" ingest "$work/orders.csv" "$work/edge_cases.csv" --db "$work/store-zone" --time-zone "$zone" >/dev/null
"$bin" summaries --db "$work/store-zone" --out "$work/store-summaries-zone.parquet" >/dev/null
"$bin" rfm --db "$work/store-zone" --format json >"$work/rfm-store-zone.json"
"$bin" rfm --summaries "$work/spark-summaries-zone" --format json >"$work/rfm-spark-zone.json"
# Last, as it replaces the store's saved model with one as of the earlier day.
"$bin" rfm --db "$work/store" --as-of "$cut" --format json >"$work/rfm-store-as-of.json"
"$bin" clv fit --db "$work/store" --as-of "$cut" --model-out "$work/model-store-as-of.json" >/dev/null
"$bin" clv score --db "$work/store" --format json >"$work/score-store-as-of.json"

echo "== compare"
status=0
"$py" "$here/compare.py" \
    --summaries "$work/spark-summaries" "$work/store-summaries.parquet" \
    --summaries "$work/spark-summaries-as-of" "$work/store-summaries-as-of.parquet" \
    --summaries "$work/spark-summaries-zone" "$work/store-summaries-zone.parquet" \
    --summaries "$work/duckdb-summaries" "$work/spark-summaries" \
    --fit "$work/model-spark.json" "$work/model-store.json" \
    --fit "$work/model-spark-as-of.json" "$work/model-store-as-of.json" \
    --score "$work/score-spark.json" "$work/score-store.json" \
    --score "$work/score-spark-as-of.json" "$work/score-store-as-of.json" \
    --rfm "$work/rfm-spark.json" "$work/rfm-store.json" \
    --rfm "$work/rfm-spark-as-of.json" "$work/rfm-store-as-of.json" \
    --rfm "$work/rfm-spark-zone.json" "$work/rfm-store-zone.json" || status=$?

echo "== timings"
printf '   %s\n' "${timings[@]}"
"$py" - "$work/stats.json" "$work/spark-stats.json" "$work/spark-stats-as-of.json" \
    "$work/spark-stats-zone.json" "$work/duckdb-stats.json" <<'PY'
import json, sys
store = json.load(open(sys.argv[1]))
orders = store["orders"] + store["returns"]  # every order of the input, purchases and returns
for path in sys.argv[2:]:
    s = json.load(open(path))
    print(f"   {s['engine']} job, as of {s['as_of']} in {s['time_zone']}: {s['job_seconds']:.2f} s for {s['lines']:,} order lines, "
          f"{orders:,} orders -> {s['job_seconds'] / orders * 1e6:.2f} s per million orders "
          f"(session start {s['session_seconds']:.2f} s, whole process {s['total_seconds']:.2f} s)")
PY
total=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "   total $total s"
if [ "$status" -ne 0 ]; then
    echo "FAIL: the Spark summaries and the store disagree (files in $work)"
    exit 1
fi
echo "PASS"
