#!/usr/bin/env python3
"""The per-customer summaries of `retention` (summary files, schema version 1) computed by Spark from
Parquet order lines, with the engine's definitions: lines of one (customer, order id) are one order
(amounts summed, the earliest line's day), a line without an order id is an order of its own, a
negative total is a return and anything else a purchase, days are calendar days in the store's time
zone, and only orders on or before the as-of day count (default: the latest order day, returns
included). Money stays exact: DECIMAL arithmetic into integer minor units, never a float.

    summaries.py --orders PATH --out DIR [--as-of YYYY-MM-DD] [--master local[2]]
    summaries.py --orders PATH --out DIR --duckdb        # the same SQL, run by DuckDB

The SQL is summaries.sql beside this file; this driver only maps the input's columns onto it, runs
it and writes the result as Parquet part files that `retention clv fit|clv score|rfm|segments
--summaries DIR` read. Spark cannot put key-value metadata in the Parquet footer, so its files
carry no `retention.currency`; the reader then assumes USD:2. For another currency pass
`--currency CODE:DECIMALS` (it sets the minor units) and note that the reader will still say USD
unless the files are stamped (the --duckdb output is stamped: DuckDB writes the keys).

Input columns (override the names with --customer-col, --order-col, --timestamp-col, --amount-col):
customer_id (string or integer), order_id (string or integer; optional with --order-col ''),
timestamp (TIMESTAMP: an instant; TIMESTAMP_NTZ: local time in the store's zone; or DATE), amount
(DECIMAL or integer in major units; floats are refused, they are not exact).
"""

import argparse
import datetime
import json
import re
import string
import sys
import time
from pathlib import Path

SQL_FILE = Path(__file__).resolve().with_name("summaries.sql")
LINES_VIEW = "retention_order_lines"
# Spark's DECIMAL(p, s) * 100 has precision p + 4: above 34 Spark would round to fit 38 digits.
MAX_PRECISION = 34


def statements(path: Path) -> dict:
    """The named statements of the SQL file ("-- name: X" starts statement X)."""
    named, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- name:"):
            current = line.split(":", 1)[1].strip()
            named[current] = []
        elif current is not None:
            named[current].append(line)
    return {name: "\n".join(body).strip().rstrip(";") for name, body in named.items()}


def render(sql: str, minor_units: int, as_of) -> str:
    day = f"DATE '{as_of.isoformat()}'" if as_of else "CAST(NULL AS DATE)"
    return string.Template(sql).substitute(lines=LINES_VIEW, minor_units=str(minor_units), as_of=day)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--orders", required=True, help="Parquet file or directory of part files (Hive folders walked)")
    p.add_argument("--out", required=True, help="output directory of Parquet part files")
    p.add_argument("--as-of", type=datetime.date.fromisoformat, help="YYYY-MM-DD; default: the latest order day")
    p.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    p.add_argument("--shuffle-partitions", type=int,
                   help="spark.sql.shuffle.partitions (default Spark's 200; a few per core suit local mode)")
    p.add_argument("--time-zone", default="UTC", help="the store's time zone (IANA name or offset; default UTC)")
    p.add_argument("--currency", default="USD:2", help="CODE:DECIMALS of the amounts (default USD:2)")
    p.add_argument("--customer-col", default="customer_id")
    p.add_argument("--order-col", default="order_id", help="'' when the orders have no order ids")
    p.add_argument("--timestamp-col", default="timestamp")
    p.add_argument("--amount-col", default="amount")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--duckdb", action="store_true", help="run the same SQL in DuckDB instead of Spark")
    p.add_argument("--sql", type=Path, default=SQL_FILE, help=argparse.SUPPRESS)
    p.add_argument("--stats-json", type=Path, help="also write the counts and timings as JSON here")
    args = p.parse_args(argv)
    code, _, decimals = args.currency.partition(":")
    if not code or not decimals.isdigit() or int(decimals) > 18:
        p.error(f"--currency {args.currency!r}: expected CODE:DECIMALS such as USD:2")
    args.decimals = int(decimals)
    return args


def refuse_problems(row: dict) -> None:
    """Exits like a refused ingest (status 3) when the input has lines the engine would reject."""
    what = {"no_customer": "without a customer id", "no_timestamp": "without a timestamp",
            "no_amount": "without an amount", "inexact_amount": "with more decimals than the currency has"}
    bad = {k: v for k, v in row.items() if k != "lines" and v}
    if bad:
        detail = ", ".join(f"{v} {'line' if v == 1 else 'lines'} {what.get(k, k)}" for k, v in bad.items())
        print(f"summaries: the input has lines the engine would refuse: {detail}", file=sys.stderr)
        sys.exit(3)


# ---------------------------------------------------------------------------------------------- Spark


def spark_lines(spark, args):
    """A view of the input with the SQL's four columns and types, or an error naming the column."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    orders = spark.read.parquet(args.orders)
    fields = {f.name: f.dataType for f in orders.schema.fields}

    def column(name, what):
        if name not in fields:
            sys.exit(f"summaries: {args.orders} has no column {name!r} ({what}); columns: {', '.join(fields)}")
        return F.col(f"`{name}`"), fields[name]

    def text(name, what):
        col, kind = column(name, what)
        if isinstance(kind, T.StringType):
            return col
        if isinstance(kind, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
            return col.cast("string")
        sys.exit(f"summaries: column {name!r} ({what}) is {kind.simpleString()}: expected a string or integer")

    customer = text(args.customer_col, "customer id")
    order = text(args.order_col, "order id") if args.order_col else F.lit(None).cast("string")
    ts, kind = column(args.timestamp_col, "timestamp")
    if not isinstance(kind, (T.TimestampType, T.TimestampNTZType, T.DateType)):
        sys.exit(f"summaries: column {args.timestamp_col!r} is {kind.simpleString()}: expected TIMESTAMP, "
                 "TIMESTAMP_NTZ or DATE")
    amount, kind = column(args.amount_col, "amount")
    if isinstance(kind, T.DecimalType):
        if kind.precision > MAX_PRECISION:
            amount = amount.cast(T.DecimalType(MAX_PRECISION, min(kind.scale, MAX_PRECISION)))
    elif not isinstance(kind, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        sys.exit(f"summaries: column {args.amount_col!r} is {kind.simpleString()}: expected DECIMAL or an integer "
                 "(a float is not exact; cast it to DECIMAL where it is written)")
    orders.select(customer.alias("customer_id"), order.alias("order_id"), ts.alias("ts"),
                  amount.alias("amount")).createOrReplaceTempView(LINES_VIEW)


def run_spark(args, sql):
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    builder = SparkSession.builder.appName("retention-summaries")
    if args.master:
        builder = builder.master(args.master)
    if args.shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    spark = (
        builder.config("spark.sql.session.timeZone", args.time_zone)
        .config("spark.sql.ansi.enabled", "true")  # overflow is an error, never a wrapped number
        .config("spark.sql.parquet.compression.codec", "zstd")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    session = time.perf_counter() - started

    job_started = time.perf_counter()
    spark_lines(spark, args)
    problems = spark.sql(render(sql["problems"], 10**args.decimals, args.as_of)).first().asDict()
    refuse_problems(problems)
    summaries = spark.sql(render(sql["summaries"], 10**args.decimals, args.as_of))
    summaries.write.mode("overwrite" if args.overwrite else "errorifexists").parquet(args.out)
    job = time.perf_counter() - job_started

    written = spark.read.parquet(args.out)
    totals = written.selectExpr(
        "COUNT(*) AS customers", "SUM(orders) AS orders", "SUM(returns) AS returns", "MIN(as_of) AS as_of",
        "COUNT(DISTINCT as_of) AS as_of_days",
    ).first().asDict()
    schema = {f.name: f.dataType.simpleString() for f in written.schema.fields}
    spark.stop()
    return problems["lines"], totals, schema, session, job


# --------------------------------------------------------------------------------------------- DuckDB


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def run_duckdb(args, sql):
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    zone = args.time_zone
    offset = re.fullmatch(r"([+-])(\d\d):?(\d\d)", zone)
    if offset:  # ICU knows fixed offsets as GMT+05:30 (and reads UTC+05:30 as +05)
        zone = f"GMT{offset[1]}{offset[2]}:{offset[3]}"
    con.execute(f"SET TimeZone = {quote(zone)}")
    session = time.perf_counter() - started

    job_started = time.perf_counter()
    path = Path(args.orders)
    source = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    files = f"read_parquet({quote(source)}, hive_partitioning = true)"
    kinds = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {files}").fetchall()}
    physical = {row[0]: row[1] for row in con.execute(
        f"SELECT name, type FROM parquet_schema({quote(source)})").fetchall()}

    def column(name, what):
        if name not in kinds:
            sys.exit(f"summaries: {args.orders} has no column {name!r} ({what}); columns: {', '.join(kinds)}")
        return ident(name), kinds[name]

    def text(name, what):
        col, kind = column(name, what)
        if kind == "VARCHAR":
            return col
        if kind in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"):
            return f"CAST({col} AS VARCHAR)"
        sys.exit(f"summaries: column {name!r} ({what}) is {kind}: expected a string or integer")

    customer = text(args.customer_col, "customer id")
    order = text(args.order_col, "order id") if args.order_col else "CAST(NULL AS VARCHAR)"
    ts, kind = column(args.timestamp_col, "timestamp")
    if kind.startswith("TIMESTAMP") and "TIME ZONE" not in kind and physical.get(args.timestamp_col) == "INT96":
        ts = f"timezone('UTC', {ts})"  # INT96 holds UTC instants; DuckDB reads them as naive UTC
    elif not kind.startswith(("TIMESTAMP", "DATE")):
        sys.exit(f"summaries: column {args.timestamp_col!r} is {kind}: expected TIMESTAMP or DATE")
    amount, kind = column(args.amount_col, "amount")
    if not (kind.startswith("DECIMAL") or kind in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")):
        sys.exit(f"summaries: column {args.amount_col!r} is {kind}: expected DECIMAL or an integer "
                 "(a float is not exact; cast it to DECIMAL where it is written)")
    con.execute(f"CREATE TEMP VIEW {LINES_VIEW} AS SELECT {customer} AS customer_id, {order} AS order_id, "
                f"{ts} AS ts, {amount} AS amount FROM {files}")

    names = [d[0] for d in con.execute(render(sql["problems"], 10**args.decimals, args.as_of)).description]
    problems = dict(zip(names, con.fetchone()))
    refuse_problems(problems)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        sys.exit(f"summaries: {out} exists (pass --overwrite to replace it)")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    target = out / "part-00000.parquet"
    metadata = f"{{'retention.summary.version': '1', 'retention.currency': {quote(args.currency)}}}"
    con.execute(f"COPY ({render(sql['summaries'], 10**args.decimals, args.as_of)}) TO {quote(str(target))} "
                f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {metadata})")
    job = time.perf_counter() - job_started

    written = f"read_parquet({quote(str(target))})"
    row = con.execute(f"SELECT COUNT(*), SUM(orders), SUM(returns), MIN(as_of), COUNT(DISTINCT as_of) "
                      f"FROM {written}").fetchone()
    totals = dict(zip(["customers", "orders", "returns", "as_of", "as_of_days"], row))
    schema = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {written}").fetchall()}
    return problems["lines"], totals, schema, session, job


def main(argv=None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    sql = statements(args.sql)
    engine = "duckdb" if args.duckdb else "spark"
    lines, totals, schema, session, job = (run_duckdb if args.duckdb else run_spark)(args, sql)
    # Purchases and returns on or before the as-of day of the customers written (all orders of the
    # input but those after the as-of day and those of customers with returns only).
    if int(totals["as_of_days"] or 0) > 1:
        sys.exit(f"summaries: {args.out} has more than one as-of day")
    orders = int(totals["orders"] or 0) + int(totals["returns"] or 0)
    stats = {
        "engine": engine,
        "lines": int(lines),
        "customers": int(totals["customers"]),
        "orders_in_summaries": orders,
        "as_of": str(totals["as_of"]),
        "time_zone": args.time_zone,
        "session_seconds": round(session, 3),
        "job_seconds": round(job, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
        "schema": schema,
    }
    print(f"{engine}: {lines} order lines in, {stats['customers']} customers out, as of {stats['as_of']}, "
          f"with {orders} orders (purchases and returns) -> {args.out}")
    print(f"{engine}: job {job:.2f} s (check, summaries, write: {job / max(lines, 1) * 1e6:.2f} s per million lines), "
          f"session start {session:.2f} s, total {stats['total_seconds']:.2f} s")
    if args.stats_json:
        args.stats_json.write_text(json.dumps(stats, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
