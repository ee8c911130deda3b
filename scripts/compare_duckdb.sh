#!/usr/bin/env bash
# Times `retention` against DuckDB on the same generated shop, in the same run, for BENCHMARKS.md:
# loading the CSV into a persistent database; the per-customer summary (orders, purchase days,
# first/last day, spend) that `Store::summaries` computes; and RFM scores with the default segment
# map (`retention segments`: scan, scores, segments, report) against NTILE over a GROUP BY. DuckDB lives in a virtual environment
# this script makes; it is never a dependency of the crate.
#
#   scripts/compare_duckdb.sh [CUSTOMERS] [WORKDIR]     # defaults: 1000000, /tmp/retention-compare
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-1000000}
work=${2:-/tmp/retention-compare}
mkdir -p "$work"
venv="$work/venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "duckdb==1.*"
fi

cargo build --release --quiet --bin retention --example top_customers
bin=target/release/retention
csv="$work/orders.csv"
"$bin" generate --customers "$customers" --seed 42 > "$csv"
echo "customers $customers, rows $(($(wc -l < "$csv") - 1)), csv $(stat -c %s "$csv") bytes"

rm -rf "$work/store"
start=$(date +%s.%N)
"$bin" ingest "$csv" --db "$work/store" > /dev/null
end=$(date +%s.%N)
load_s=$(echo "$end - $start" | bc)
echo "retention ingest           $load_s s, store $(du -sb "$work/store" | cut -f1) bytes"
target/release/examples/top_customers "$work/store" 5 | grep scan | sed 's/^/retention /'
times=()
for _ in 1 2 3 4 5 6; do
    start=$(date +%s.%N)
    "$bin" segments --db "$work/store" > /dev/null
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
done
median=$(printf '%s\n' "${times[@]:1}" | sort -n | sed -n 3p)
echo "retention segments (whole command: open, scan, scores, segments, report) first ${times[0]} s, median of 5 more $median s"

RET_LOAD="$load_s" RET_RFM="$median" DUCK_CSV="$csv" DUCK_DB="$work/duck.db" "$venv/bin/python" - <<'PY'
import os, time, duckdb, statistics
path, db = os.environ["DUCK_CSV"], os.environ["DUCK_DB"]
ret_load, ret_rfm = float(os.environ["RET_LOAD"]), float(os.environ["RET_RFM"])
if os.path.exists(db):
    os.remove(db)
con = duckdb.connect(db)
t = time.perf_counter()
# Lines of an order summed, as retention does; the day is the UTC date of the earliest line.
con.execute(f"""
    CREATE TABLE orders AS
    SELECT customer_id, order_id, min(CAST(timestamp AS DATE)) AS day,
           CAST(round(sum(amount) * 100) AS BIGINT) AS cents
    FROM read_csv('{path}', header = true,
                  columns = {{'customer_id': 'VARCHAR', 'order_id': 'VARCHAR',
                             'timestamp': 'TIMESTAMPTZ', 'amount': 'DECIMAL(18,2)', 'category': 'VARCHAR'}})
    GROUP BY customer_id, order_id
""")
con.execute("CHECKPOINT")
load = time.perf_counter() - t
print(f"duckdb load + group orders {load:.3f} s, database {os.path.getsize(db)} bytes")
query = """
    SELECT customer_id, count(*) AS orders, count(DISTINCT day) AS purchase_days,
           min(day) AS first_day, max(day) AS last_day, sum(cents) AS spend
    FROM orders WHERE cents >= 0 GROUP BY customer_id
"""
times = []
for i in range(6):
    t = time.perf_counter()
    # Materialised inside DuckDB, as Store::summaries materialises a Vec: fetching a million rows
    # into Python tuples would time the Python conversion instead (about 2.5 s more).
    con.execute(f"CREATE OR REPLACE TEMP TABLE summaries AS {query}")
    times.append(time.perf_counter() - t)
n = con.execute("SELECT count(*) FROM summaries").fetchone()[0]
print(f"duckdb summary query       first {times[0]:.3f} s, median of 5 more {statistics.median(times[1:]):.3f} s ({n} customers)")

# RFM: NTILE(5) per dimension (NTILE splits ties across bins, retention's scores never do) and the
# default segment map on R and FM = (F + M) // 2, materialised like the summaries above.
rfm = """
    WITH c AS (
        SELECT customer_id,
               (SELECT max(day) FROM orders) - max(day) FILTER (WHERE cents >= 0) AS recency,
               count(*) FILTER (WHERE cents >= 0) AS frequency,
               sum(cents) AS monetary
        FROM orders GROUP BY customer_id HAVING count(*) FILTER (WHERE cents >= 0) > 0),
    s AS (
        SELECT *, NTILE(5) OVER (ORDER BY recency DESC) AS r, NTILE(5) OVER (ORDER BY frequency) AS f,
               NTILE(5) OVER (ORDER BY monetary) AS m
        FROM c)
    SELECT *, (f + m) // 2 AS fm,
        CASE
            WHEN (r = 5 AND (f + m) // 2 >= 4) OR (r = 4 AND (f + m) // 2 = 5) THEN 'Champions'
            WHEN (r = 4 AND (f + m) // 2 = 4) OR (r = 3 AND (f + m) // 2 >= 4) THEN 'Loyal Customers'
            WHEN r >= 4 AND (f + m) // 2 BETWEEN 2 AND 3 THEN 'Potential Loyalists'
            WHEN r = 5 THEN 'New Customers'
            WHEN r = 4 THEN 'Promising'
            WHEN r = 3 AND (f + m) // 2 = 3 THEN 'Need Attention'
            WHEN r = 3 THEN 'About to Sleep'
            WHEN (f + m) // 2 = 5 THEN 'Can''t Lose Them'
            WHEN (f + m) // 2 >= 3 THEN 'At Risk'
            WHEN r = 2 THEN 'Hibernating'
            ELSE 'Lost'
        END AS segment
    FROM s
"""
times = []
for i in range(6):
    t = time.perf_counter()
    con.execute(f"CREATE OR REPLACE TEMP TABLE rfm AS {rfm}")
    # The segment report's first part: customers and revenue per segment.
    con.execute("SELECT segment, count(*), sum(monetary) FROM rfm GROUP BY segment").fetchall()
    times.append(time.perf_counter() - t)
duck_rfm = statistics.median(times[1:])
print(f"duckdb rfm + segments      first {times[0]:.3f} s, median of 5 more {duck_rfm:.3f} s")
print(f"ratio load: retention {ret_load:.2f} s, duckdb {load:.2f} s: retention {load / ret_load:.1f}x faster")
print(f"ratio RFM + segments (medians): retention {ret_rfm:.3f} s, duckdb {duck_rfm:.3f} s: retention {duck_rfm / ret_rfm:.1f}x faster")
PY
