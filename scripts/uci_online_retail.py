#!/usr/bin/env python3
"""Builds the UCI Online Retail fixture (tests/fixtures/uci_online_retail/, see its SOURCE.md).

    scripts/uci_online_retail.py raw BY_DAY_DIR OUT.csv
    scripts/uci_online_retail.py summary SUMMARY.parquet OUT.csv

`raw`: joins the per-day CSV files of the UCI Online Retail data set (the copy split by day in
databricks/Spark-The-Definitive-Guide, data/retail-data/by-day/*.csv, in file-name order, i.e.
by day) into one CSV that `retention ingest --preset line-items` reads, with the header

    InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country

Only two fields are rewritten: CustomerID "17850.0" (as Spark wrote the float) becomes "17850",
and InvoiceDate "2010-12-01 08:26:00" becomes "2010-12-01 08:26" (the data has minute resolution:
the seconds are always 00, which is checked). Every other field is copied as it is; a missing
CustomerID stays empty (the line-items preset counts and skips such rows). The script checks the
well-known totals of the data set (541,909 line items, 135,080 without a customer id, 25,900
invoices, 4,372 customers, total quantity 5,176,450) and stops if any differs.

`summary`: turns the Parquet summary file written by `retention summaries` (schema version 1) into
the fixture CSV with the header customer,x,t_x,T,m_x, one row per customer, in file order:

    x   = purchase_days - 1                   repeat purchase days   (Summary::x)
    t_x = last_purchase - first_purchase      days                   (Summary::t_x)
    T   = as_of - first_purchase              days                   (Summary::age)
    m_x = (repeat_revenue / x) / 10^decimals  major currency units   (SpendData::from_summaries)

m_x is computed with the same two IEEE double divisions as the engine (an i64 of minor units
converted to double, divided by x, then by the currency's scale) and written with Python's
shortest round-trip repr, so parsing it gives exactly the double the engine's Gamma-Gamma fit
uses; it is empty when x = 0. Needs pyarrow.
"""
import csv
import datetime
import glob
import os
import sys

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
EXPECTED = {"rows": 541909, "no_customer": 135080, "invoices": 25900, "customers": 4372, "quantity": 5176450}


def raw(src, out):
    files = sorted(glob.glob(os.path.join(src, "*.csv"))) if os.path.isdir(src) else [src]
    if not files:
        sys.exit("no CSV files in %s" % src)
    n = no_customer = quantity = 0
    invoices, customers = set(), set()
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        for f in files:
            with open(f, newline="", encoding="utf-8") as inp:
                r = csv.reader(inp)
                if next(r) != HEADER:
                    sys.exit("%s: unexpected header" % f)
                for row in r:
                    if len(row) != 8:
                        sys.exit("%s: a row with %d fields: %r" % (f, len(row), row))
                    inv, code, desc, qty, date, price, cust, country = row
                    if len(date) != 19 or not date.endswith(":00"):
                        sys.exit("%s: unexpected InvoiceDate %r" % (f, date))
                    datetime.datetime.strptime(date, "%Y-%m-%d %H:%M:%S")
                    date = date[:16]
                    if cust:
                        whole, dot, frac = cust.partition(".")
                        if not whole.isdigit() or frac.strip("0"):
                            sys.exit("%s: unexpected CustomerID %r" % (f, cust))
                        cust = whole
                        customers.add(cust)
                    else:
                        no_customer += 1
                    invoices.add(inv)
                    quantity += int(qty)
                    n += 1
                    w.writerow([inv, code, desc, qty, date, price, cust, country])
    got = {"rows": n, "no_customer": no_customer, "invoices": len(invoices), "customers": len(customers),
           "quantity": quantity}
    print("%s: %s (from %d files)" % (out, got, len(files)), file=sys.stderr)
    if got != EXPECTED:
        sys.exit("the totals differ from the UCI data set's: expected %s" % EXPECTED)


def summary(parquet, out):
    import pyarrow.parquet as pq

    table = pq.read_table(parquet)
    # The keys are the Parquet footer's key-value metadata.
    meta = {k.decode(): v.decode() for k, v in (pq.ParquetFile(parquet).metadata.metadata or {}).items()}
    if meta.get("retention.summary.version") != "1":
        sys.exit("%s: not a summary file of schema version 1 (metadata %r)" % (parquet, meta))
    code, decimals = meta["retention.currency"].split(":")
    scale = float(10 ** int(decimals))
    cols = table.to_pydict()
    as_of = set(cols["as_of"])
    if len(as_of) != 1:
        sys.exit("more than one as_of: %r" % as_of)
    (as_of,) = as_of
    n = repeaters = 0
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["customer", "x", "t_x", "T", "m_x"])
        for cid, first, last, days, rep in zip(cols["customer_id"], cols["first_purchase"], cols["last_purchase"],
                                               cols["purchase_days"], cols["repeat_revenue"]):
            x = int(days) - 1
            t_x = (last - first).days
            T = (as_of - first).days
            if x < 0 or not 0 <= t_x <= T or (x == 0 and t_x != 0):
                sys.exit("customer %s: impossible x %d, t_x %d, T %d" % (cid, x, t_x, T))
            m_x = ""
            if x > 0:
                m_x = repr(float(int(rep)) / float(x) / scale)
                repeaters += 1
            w.writerow([cid, x, t_x, T, m_x])
            n += 1
    print("%s: %d customers (%d with x > 0), as of %s, currency %s:%s" % (out, n, repeaters, as_of, code, decimals),
          file=sys.stderr)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "raw":
        raw(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "summary":
        summary(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
