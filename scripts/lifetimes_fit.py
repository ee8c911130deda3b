#!/usr/bin/env python3
"""Fit and time lifetimes 0.11.3 on a customer summary; run through scripts/compare_lifetimes.sh.

    scripts/lifetimes_fit.py DATA.csv

DATA.csv has the header customer,x,t_x,T,m_x: x repeat purchases, t_x and T in weeks, m_x the
average repeat order value (empty or 0 when x = 0).

Environment:
    LIFETIMES_RUNS         repetitions of each timed step, the median is reported (default 3)
    LIFETIMES_T            horizon in weeks of the conditional expected purchases (default 39)
    LIFETIMES_CLV_MONTHS   CLV horizon in months (default 12)
    LIFETIMES_DISCOUNT     monthly discount rate of the CLV (default 0.01)

Prints one JSON object on stdout. Times are time.perf_counter() seconds around the lifetimes call
alone (reading the CSV is not timed); a lifetimes fit includes its Hessian (standard errors).
"se" holds lifetimes' `summary` standard errors; MBG/NBD and Pareto/NBD are fitted (untimed) for
their parameters, log-likelihoods and the sum of their expected purchases over the horizon.

Log-likelihoods: lifetimes minimises the *mean* negative log-likelihood, and BetaGeoFitter does so
on times rescaled so that max(T) = 1 (fitter._negative_log_likelihood_ is that scaled mean). The
"loglik" reported here is the total over customers in the data's own time unit (weeks), i.e.
-n * BetaGeoFitter._negative_log_likelihood(log(params), x, t_x, T, 1, 0) at the fitted
parameters; it equals -n * _negative_log_likelihood_ - sum(x) * ln(max T).
"""
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")

import autograd  # noqa: E402
import lifetimes  # noqa: E402
import scipy  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter  # noqa: E402


def timed(runs, f):
    """(median seconds over runs, result of the last run)."""
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def standard_errors(fitter):
    """lifetimes' `summary` column se(coef): p * sqrt(diag(H^-1) / n), H the Hessian of the mean
    negative log-likelihood over log-parameters (autograd), n the number of customers."""
    return {k: float(v) for k, v in fitter.summary["se(coef)"].items()}


def version(dist):
    from importlib.metadata import version as v
    try:
        return v(dist)
    except Exception:
        return None


def main():
    # lifetimes prints the optimiser's result to stdout when a fit fails; keep stdout for the JSON.
    with contextlib.redirect_stdout(sys.stderr):
        out = run()
    print(json.dumps(out, indent=2))


def run():
    if len(sys.argv) != 2:
        sys.exit("usage: lifetimes_fit.py DATA.csv")
    runs = int(os.environ.get("LIFETIMES_RUNS", "3"))
    horizon = float(os.environ.get("LIFETIMES_T", "39"))
    months = int(os.environ.get("LIFETIMES_CLV_MONTHS", "12"))
    discount = float(os.environ.get("LIFETIMES_DISCOUNT", "0.01"))

    df = pd.read_csv(sys.argv[1], dtype={"customer": str})
    expected_cols = ["customer", "x", "t_x", "T", "m_x"]
    if list(df.columns) != expected_cols:
        sys.exit("expected header %s, got %s" % (",".join(expected_cols), ",".join(df.columns)))
    df = df.set_index("customer")
    df["m_x"] = df["m_x"].fillna(0.0)
    x, t_x, T, m_x = df["x"].astype(int), df["t_x"].astype(float), df["T"].astype(float), df["m_x"].astype(float)
    n = len(df)

    # BG/NBD
    fit_s, bgf = timed(runs, lambda: BetaGeoFitter(penalizer_coef=0.0).fit(x, t_x, T))
    r, alpha, a, b = (float(bgf.params_[k]) for k in ("r", "alpha", "a", "b"))
    mean_nll = BetaGeoFitter._negative_log_likelihood(
        np.log([r, alpha, a, b]), x.values, t_x.values, T.values, np.ones(n), 0.0)
    loglik = -float(mean_nll) * n

    # MBG/NBD (fitted once: its time is not compared)
    mbgf = ModifiedBetaGeoFitter(penalizer_coef=0.0).fit(x, t_x, T)
    mbg = {k: float(mbgf.params_[k]) for k in ("r", "alpha", "a", "b")}
    mbg_loglik = -float(ModifiedBetaGeoFitter._negative_log_likelihood(
        np.log([mbg[k] for k in ("r", "alpha", "a", "b")]), x.values, t_x.values, T.values, np.ones(n), 0.0)) * n

    mbg_expected = mbgf.conditional_expected_number_of_purchases_up_to_time(horizon, x.values, t_x.values, T.values)

    # Pareto/NBD (fitted once: its time is not compared)
    pnf = ParetoNBDFitter(penalizer_coef=0.0).fit(x, t_x, T)
    pnbd = {k: float(pnf.params_[k]) for k in ("r", "alpha", "s", "beta")}
    # ParetoNBDFitter's objective takes the parameters themselves and returns the total.
    pnbd_loglik = -float(ParetoNBDFitter._negative_log_likelihood(
        np.array([pnbd[k] for k in ("r", "alpha", "s", "beta")]), x.values, t_x.values, T.values, np.ones(n), 0.0))
    pnbd_expected = pnf.conditional_expected_number_of_purchases_up_to_time(horizon, x.values, t_x.values, T.values)

    # predictions on all customers
    pa_s, p_alive = timed(runs, lambda: bgf.conditional_probability_alive(x.values, t_x.values, T.values))
    ey_s, expected = timed(runs, lambda: bgf.conditional_expected_number_of_purchases_up_to_time(
        horizon, x.values, t_x.values, T.values))

    # Gamma-Gamma on the repeat customers
    rep = df[df["x"] > 0]
    gg_fit_s, ggf = timed(runs, lambda: GammaGammaFitter(penalizer_coef=0.0).fit(
        rep["x"].astype(float), rep["m_x"].astype(float)))
    p, q, v = (float(ggf.params_[k]) for k in ("p", "q", "v"))
    gg_loglik = -float(GammaGammaFitter._negative_log_likelihood(
        np.log([p, q, v]), rep["x"].values.astype(float), rep["m_x"].values.astype(float),
        np.ones(len(rep)), 0.0)) * len(rep)

    # CLV: lifetimes' `time` is in months, `freq` the unit of T ("W": 4.345 weeks a month),
    # `discount_rate` monthly; monetary values go through the Gamma-Gamma conditional mean.
    clv_s, clv = timed(runs, lambda: ggf.customer_lifetime_value(
        bgf, x, t_x, T, m_x, time=months, discount_rate=discount, freq="W"))

    out = {
        "customers": n,
        "bgnbd": {
            "r": r, "alpha": alpha, "a": a, "b": b,
            "loglik": loglik,
            "lifetimes_negative_log_likelihood_": float(bgf._negative_log_likelihood_),
            "lifetimes_time_scale": float(bgf._scale),
            "se": standard_errors(bgf),
            "fit_seconds": fit_s,
        },
        "mbgnbd": dict(mbg, loglik=mbg_loglik, se=standard_errors(mbgf),
                       sum_expected=float(np.sum(mbg_expected))),
        "pareto_nbd": dict(pnbd, loglik=pnbd_loglik, sum_expected=float(np.sum(pnbd_expected))),
        "gamma_gamma": {
            "customers": len(rep),
            "p": p, "q": q, "v": v,
            "loglik": gg_loglik,
            "se": standard_errors(ggf),
            "fit_seconds": gg_fit_s,
        },
        "predict_seconds": {"p_alive": pa_s, "expected": ey_s, "clv": clv_s},
        "predictions": {
            "t_weeks": horizon,
            "clv_months": months,
            "clv_monthly_discount": discount,
            "sum_p_alive": float(np.sum(p_alive)),
            "sum_expected": float(np.sum(expected)),
            "sum_clv": float(np.sum(clv)),
        },
        "runs": runs,
        "versions": {
            "python": platform.python_version(),
            "lifetimes": lifetimes.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pandas": pd.__version__,
            "autograd": version("autograd"),
        },
    }
    assert math.isfinite(loglik)
    return out


if __name__ == "__main__":
    main()
