#!/usr/bin/env python3
"""Compares what `retention` computes from Spark's summary files with what it computes from a store
of the same orders; exits 1 on any mismatch. Used by check.sh.

    compare.py [--fit SPARK.json STORE.json] [--score SPARK.json STORE.json]
               [--rfm SPARK.json STORE.json] [--summaries A B] ...   (each may be repeated)

--fit     two models written by `clv fit ... --model-out`: the as-of day and the data fingerprint
          (customers, repeaters, cells, hash) are equal, every fitted parameter (purchase model and
          Gamma-Gamma) agrees to relative 1e-9.
--score   two `clv score --format json` outputs: the same customers, and per customer P(alive),
          expected purchases and CLV (and every other number) agree to relative 1e-9.
--rfm     two `rfm --format json` outputs: the same customers, and per customer R, F, M, the cell
          and the segment equal (and recency, frequency, monetary equal).
--summaries  two summary files (a file or a directory of part files): the same rows in the same
          order with equal values in every column (needs pyarrow).
"""

import argparse
import json
import math
import sys
from pathlib import Path

REL = 1e-9


def close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=REL, abs_tol=0.0)


def rel_diff(a, b) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


class Verdict:
    def __init__(self):
        self.failures = 0

    def report(self, ok: bool, what: str, detail: str = "") -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}")
        self.failures += not ok


def numbers(prefix: str, value, out: dict) -> None:
    """The numeric leaves of a JSON value, by dotted path."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        out[prefix] = value
    elif isinstance(value, dict):
        for k, v in value.items():
            numbers(f"{prefix}.{k}" if prefix else k, v, out)


def compare_fit(v: Verdict, spark_path: Path, store_path: Path) -> None:
    a, b = json.loads(spark_path.read_text()), json.loads(store_path.read_text())
    name = f"fit {spark_path.name} vs {store_path.name}"
    v.report(a["as_of"] == b["as_of"], f"{name}: as-of day", f"{a['as_of']} / {b['as_of']}")
    v.report(a["data"] == b["data"], f"{name}: data fingerprint", json.dumps(a["data"]) +
             ("" if a["data"] == b["data"] else " / " + json.dumps(b["data"])))
    params_a, params_b = {}, {}
    numbers("purchases", a["purchases"]["model"], params_a)
    numbers("purchases", b["purchases"]["model"], params_b)
    v.report((a["spend"] is None) == (b["spend"] is None), f"{name}: both fitted Gamma-Gamma or neither",
             f"spend_error {a.get('spend_error')!r} / {b.get('spend_error')!r}")
    if a["spend"] is not None and b["spend"] is not None:
        numbers("spend", a["spend"]["fitted"]["model"], params_a)
        numbers("spend", b["spend"]["fitted"]["model"], params_b)
    v.report(params_a.keys() == params_b.keys(), f"{name}: the same parameters", ", ".join(params_a))
    for key in sorted(params_a.keys() & params_b.keys()):
        x, y = params_a[key], params_b[key]
        v.report(close(x, y), f"{name}: {key}", f"{x!r} / {y!r} (relative difference {rel_diff(x, y):.1e})")


def by_customer(path: Path) -> dict:
    rows = json.loads(path.read_text())
    table = {}
    for row in rows:
        if row["customer"] in table:
            raise SystemExit(f"compare: {path}: customer {row['customer']!r} twice")
        table[row["customer"]] = row
    return table


def compare_rows(v: Verdict, kind: str, spark_path: Path, store_path: Path, exact: list, approx: list) -> None:
    a, b = by_customer(spark_path), by_customer(store_path)
    name = f"{kind} {spark_path.name} vs {store_path.name}"
    only_a, only_b = a.keys() - b.keys(), b.keys() - a.keys()
    v.report(not only_a and not only_b, f"{name}: the same {len(a)} customers",
             f"only in the first {sorted(only_a)[:5]}, only in the second {sorted(only_b)[:5]}"
             if only_a or only_b else "")
    common = sorted(a.keys() & b.keys())
    named = exact + approx
    fields = named + (sorted(k for k in a[common[0]] if k not in named and k != "customer") if common else [])
    for field in fields:
        bad, worst, numeric = [], 0.0, field not in exact
        for c in common:
            x, y = a[c].get(field), b[c].get(field)
            if field in exact or not isinstance(x, float) or not isinstance(y, float):
                numeric = numeric and isinstance(x, float)  # integers and text must be equal
                same = x == y
            else:
                same = close(x, y)
                if same:
                    worst = max(worst, rel_diff(x, y))
            if not same:
                bad.append((c, x, y))
        how = f"within relative {REL:g}" if numeric else "equal"
        if not bad:
            extra = f", largest relative difference {worst:.1e}" if numeric else ""
            v.report(True, f"{name}: {field}", f"{how} for all {len(common)} customers{extra}")
        else:
            sample = "; ".join(f"{c}: {x!r} / {y!r}" for c, x, y in bad[:5])
            v.report(False, f"{name}: {field}", f"{len(bad)} of {len(common)} differ, e.g. {sample}")


def compare_summaries(v: Verdict, first: Path, second: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def load(path: Path) -> pa.Table:
        if path.is_dir():
            parts = sorted(p for p in path.rglob("*.parquet") if not p.name.startswith(("_", ".")))
            return pa.concat_tables([pq.read_table(p) for p in parts])
        return pq.read_table(path)

    a, b = load(first), load(second)
    name = f"summaries {first.name} vs {second.name}"
    v.report(a.num_rows == b.num_rows, f"{name}: rows", f"{a.num_rows} / {b.num_rows}")
    for column in a.column_names:
        if column not in b.column_names:
            v.report(False, f"{name}: {column}", "missing in the second")
            continue
        x, y = a[column].to_pylist(), b[column].to_pylist()
        bad = [(i, p, q) for i, (p, q) in enumerate(zip(x, y)) if p != q]
        ids = a["customer_id"].to_pylist()
        v.report(not bad and len(x) == len(y), f"{name}: {column}",
                 "equal in every row, in the same order" if not bad else
                 f"{len(bad)} rows differ, e.g. " + "; ".join(f"row {i} ({ids[i]}): {p!r} / {q!r}" for i, p, q in bad[:5]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fit", nargs=2, type=Path, action="append", default=[], metavar=("SPARK", "STORE"))
    p.add_argument("--score", nargs=2, type=Path, action="append", default=[], metavar=("SPARK", "STORE"))
    p.add_argument("--rfm", nargs=2, type=Path, action="append", default=[], metavar=("SPARK", "STORE"))
    p.add_argument("--summaries", nargs=2, type=Path, action="append", default=[], metavar=("A", "B"))
    args = p.parse_args()
    missing = [str(f) for pairs in (args.summaries, args.fit, args.score, args.rfm) for pair in pairs for f in pair
               if not f.exists()]
    if missing:
        print(f"compare: missing {', '.join(missing)}")
        return 1
    v = Verdict()
    for a, b in args.summaries:
        compare_summaries(v, a, b)
    for a, b in args.fit:
        compare_fit(v, a, b)
    for a, b in args.score:
        compare_rows(v, "clv score", a, b, exact=["repeat_purchases"], approx=["p_alive", "expected_purchases", "clv"])
    for a, b in args.rfm:
        compare_rows(v, "rfm", a, b, exact=["r", "f", "m", "cell", "segment", "recency", "frequency", "monetary"],
                     approx=[])
    if v.failures:
        print(f"compare: {v.failures} mismatches")
        return 1
    print("compare: everything agrees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
