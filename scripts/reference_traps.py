#!/usr/bin/env python3
"""Reference values of the BG/NBD expectation for the numerical-trap tests in src/clv/traps.rs.

    python3 scripts/reference_traps.py

Runs itself in target/venv-mpmath (scripts/mpmath_venv.py, mpmath 1.4.1). Each
value is FHL 2005 eq. 10 as printed (Fader, Hardie & Lee, "Counting your customers the easy way"),
E[Y(t) | x, t_x, T] =
    (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] / D,
    D = 1 + [x > 0] * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x),
evaluated with mpmath's hyp2f1 at 60 digits and again at 80; the script asserts the two agree to a
relative 1e-45 and prints each case with 17 significant digits, in the order the tests list them.
Inputs are the doubles nearest the decimals written (mpf(float(s))), as the Rust tests pass them.
"""
import mpmath_venv

mpmath_venv.bootstrap(__file__)

import mpmath  # noqa: E402
from mpmath import mp, mpf  # noqa: E402

# (test, r, alpha, a, b, x, t_x, T, t), in the order of src/clv/traps.rs.
CASES = [
    ("bgnbd_expectation_where_the_printed_formula_breaks", "0.24", "4.4", "0.31", "0.50", 0, 0, "38.86", 39),
    ("bgnbd_expectation_where_the_printed_formula_breaks", "0.24", "4.4", "0.001", "0.039", 0, 0, "38.86", 39),
    ("bgnbd_expectation_where_the_printed_formula_breaks", "0.24", "4.4", "0.001", "0.039", 2, 30, "38.86", 39),
    ("bgnbd_expectation_where_the_printed_formula_breaks", "0.24", "4.4", 1.0 + 1e-9, "2.4", 3, 20, "38.86", 39),
    ("bgnbd_expectation_for_large_r_and_long_horizons", 120, 1200, "0.8", "2.5", 0, 0, 0, 1825),
    ("bgnbd_expectation_for_large_r_and_long_horizons", 120, 1200, "0.8", "2.5", 0, 0, 0, 3650),
    ("bgnbd_expectation_for_large_r_and_long_horizons", 200, 400, "0.8", "2.5", 0, 0, 10, 365),
    ("bgnbd_expectation_for_large_r_and_long_horizons", 200, 400, "0.8", "2.5", 40, 300, 320, 365),
    ("bgnbd_expectation_for_large_r_and_long_horizons", 50, 100, "0.8", "2.5", 5, 30, 60, 3650),
    ("bgnbd_expectation_for_large_r_and_long_horizons", "0.2", 30, 10, 2500, 0, 0, 100, 365),
    ("bgnbd_expectation_for_large_r_and_long_horizons", "0.2", 30, 2000, 2000, 0, 0, 100, 365),
    ("bgnbd_expectation_for_large_r_and_long_horizons", "0.2", 30, "0.5", 5000, 0, 0, 100, 365),
    ("bgnbd_expectation_for_large_r_and_long_horizons", "0.5", 30, 3000, "0.5", 0, 0, 100, 365),
    ("bgnbd_expectation_for_large_r_and_long_horizons", "0.2", 30, 10, 2500, 3, 50, 100, 365),
]


def num(v):
    return mpf(float(v))


def expected(r, alpha, a, b, x, t_x, T, t):
    r, alpha, a, b, x, t_x, T, t = (num(v) for v in (r, alpha, a, b, x, t_x, T, t))
    z = t / (alpha + T + t)
    f = mpmath.hyp2f1(r + x, b + x, a + b + x - 1, z)
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * f)
    d = 1 + (a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0)
    return head / d


def main():
    for case in CASES:
        mp.dps = 60
        v = expected(*case[1:])
        mp.dps = 80
        check = expected(*case[1:])
        assert abs(v - check) <= mpf("1e-45") * abs(check), case
        print(case[0], case[1:], mpmath.nstr(v, 17))


if __name__ == "__main__":
    main()
