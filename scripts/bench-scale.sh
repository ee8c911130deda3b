#!/usr/bin/env bash
# The scale runner: for each customer count, generate a shop (piped, no CSV on disk), ingest it,
# score RFM with segments, fit BG/NBD + Gamma-Gamma, score CLV for everyone and write the report;
# one table row per step with wall time, rows/s (ingest), peak RSS (/usr/bin/time -v) and store
# size. With --compare, also runs scripts/compare_duckdb.sh and scripts/compare_clv.sh at 1M
# customers (DuckDB and lifetimes in virtual environments those scripts make) for the ratios.
#
#   scripts/bench-scale.sh [--compare] [CUSTOMERS ...]     # default: 1000000 10000000
#   WORK=/big/disk scripts/bench-scale.sh 10000000        # stores go under $WORK (default /tmp/retention-scale)
set -euo pipefail
cd "$(dirname "$0")/.."
compare=0
if [ "${1:-}" = "--compare" ]; then compare=1; shift; fi
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000000 10000000)
work=${WORK:-/tmp/retention-scale}
mkdir -p "$work"
cargo build --release --quiet --bin retention
bin=$PWD/target/release/retention

# Runs "$@" under /usr/bin/time -v; prints "seconds peak_MiB".
measure() {
    local log="$work/time.log"
    /usr/bin/time -v -o "$log" "$@" >"$work/out.txt"
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
    echo "$wall $rss"
}

printf '%-12s %-24s %10s %12s %10s %12s\n' customers step seconds rows/s peak_MiB store_MiB
for n in "${counts[@]}"; do
    db="$work/store-$n"
    rm -rf "$db"
    size() { du -sm "$db" | cut -f1; }
    read -r s rss < <(measure bash -c "'$bin' generate --customers $n --seed 42 | '$bin' ingest - --db '$db' --format json")
    rows=$(python3 -c "import json,sys; print(json.load(open('$work/out.txt'))['rows_read'])")
    printf '%-12s %-24s %10.2f %12.0f %10s %12s\n' "$n" "generate | ingest" "$s" "$(echo "$rows / $s" | bc -l)" "$rss" "$(size)"
    step() {
        local name=$1; shift
        read -r s rss < <(measure "$@")
        printf '%-12s %-24s %10.2f %12s %10s %12s\n' "$n" "$name" "$s" "" "$rss" "$(size)"
    }
    step "segments (RFM)" "$bin" segments --db "$db"
    step "clv fit (BG/NBD + GG)" "$bin" clv fit --db "$db"
    step "clv score (CSV)" "$bin" clv score --db "$db" --format csv
    step "report (HTML)" "$bin" report --db "$db" --out "$work/report-$n.html"
    rm -rf "$db"
done

if [ "$compare" = 1 ]; then
    echo
    echo "== DuckDB, 1M customers (scripts/compare_duckdb.sh)"
    scripts/compare_duckdb.sh 1000000 "$work/duckdb"
    echo
    echo "== lifetimes, 1M customers (scripts/compare_clv.sh)"
    scripts/compare_clv.sh 1000000
fi
