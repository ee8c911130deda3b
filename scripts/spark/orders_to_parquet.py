"""Converts a `retention generate` CSV (or any CSV of the generic layout's five columns) into Parquet
part files with Spark, as a data lake would hold the orders: customer_id and order_id strings, the
timestamp a Spark TIMESTAMP written as INT96 (Spark's default), the amount DECIMAL(18, 2), the
category string. Used by check.sh.

    orders_to_parquet.py --csv orders.csv --out DIR [--parts 4] [--master local[2]]

Amounts are read as text and cast to DECIMAL(18, 2) only after checking that nothing is rounded
(a cast to fewer decimals rounds silently in Spark); timestamps must parse (FAILFAST), so a row the
engine would reject stops the conversion instead of becoming a null.
"""

import argparse
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", required=True, nargs="+", help="CSV file(s) with a header")
    parser.add_argument("--out", required=True, help="output directory (replaced)")
    parser.add_argument("--parts", type=int, default=4, help="Parquet part files to write (default 4)")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    args = parser.parse_args()

    spark = (
        SparkSession.builder.master(args.master)
        .appName("retention-orders-to-parquet")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "INT96")
        .config("spark.sql.shuffle.partitions", str(max(args.parts, 1)))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    schema = "customer_id STRING, order_id STRING, timestamp TIMESTAMP, amount STRING, category STRING"
    raw = (
        spark.read.option("header", "true")
        .option("mode", "FAILFAST")
        .option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX")
        .schema(schema)
        .csv(args.csv)
    )
    wide = raw.withColumn("exact", F.col("amount").cast("decimal(38,10)")).withColumn(
        "amount", F.col("amount").cast("decimal(18,2)")
    )
    check = wide.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.when(F.col("timestamp").isNull(), 1).otherwise(0)).alias("no_timestamp"),
        F.sum(F.when(F.col("exact").isNull() | (F.col("exact") != F.col("amount")), 1).otherwise(0)).alias("inexact"),
    ).first()
    if check["no_timestamp"] or check["inexact"]:
        print(
            f"orders_to_parquet: {check['no_timestamp']} rows without a timestamp, "
            f"{check['inexact']} amounts not exact in DECIMAL(18, 2)",
            file=sys.stderr,
        )
        return 1
    # Round-robin: the lines of one order land in different part files, as in a real lake.
    wide.drop("exact").repartition(args.parts).write.mode("overwrite").parquet(args.out)
    print(f"{check['rows']} order lines -> {args.out} ({args.parts} Parquet part files, "
          f"{time.perf_counter() - started:.1f} s)")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
