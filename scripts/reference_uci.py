#!/usr/bin/env python3
"""Reference values of lifetimes 0.11.3 on the UCI Online Retail summary; run through
scripts/reference_uci.sh, which makes the virtual environment.

    scripts/reference_uci.py tests/fixtures/uci_online_retail/summary.csv > lifetimes.json

The input has the header customer,x,t_x,T,m_x: x repeat purchase days, t_x and T in DAYS, m_x the
average value of a repeat purchase day in pounds (empty when x = 0). Time unit of every model:
the day. No penalty (penalizer_coef = 0). Deterministic: the Pareto/NBD fits start from
numpy.random.seed(SEED) (lifetimes draws its start at random).

Per model (BG/NBD, MBG/NBD, Pareto/NBD on every customer; Gamma-Gamma on x > 0 and m_x > 0):

- the parameters lifetimes returns (alpha, beta per day; v in pounds);
- "loglik": the TOTAL log-likelihood in the data's own units (days, pounds), converted from the
  objective lifetimes minimised (`fitter._negative_log_likelihood_`). BetaGeoFitter,
  ModifiedBetaGeoFitter and ParetoNBDFitter rescale time by k = 1 / max(T) before fitting, and the
  likelihood of a customer with x repeat purchases is a density of x purchase times, so
  ln L_days = ln L_scaled + x ln k = ln L_scaled - x ln max(T). BG and MBG minimise the MEAN
  negative log-likelihood (divided by the sum of the weights, here n); Pareto/NBD the TOTAL (divided
  by the MEAN weight, here 1); Gamma-Gamma the mean, in the data's money units, without time:
      BG, MBG:     loglik = -n * objective - sum(x) * ln(max T)
      Pareto/NBD:  loglik = -objective     - sum(x) * ln(max T)
      Gamma-Gamma: loglik = -n_gg * objective
- "loglik_lifetimes_days": lifetimes' own static `_negative_log_likelihood` evaluated at the
  returned (per-day) parameters on the unscaled data, turned into a total the same way
  (times n for BG, MBG and GG; as it is for Pareto/NBD);
- "loglik_independent": the same total from a formula of this script's own: BG/NBD by Fader,
  Hardie & Lee (2005) eq. 6; MBG/NBD by Batislam, Denizel & Filiztekin (2007) (the same form with
  B(a, b+x+1) and B(a+1, b+x), both terms for every x); Pareto/NBD as
  A(T) + integral over the death time tau in (t_x, T] of A(tau) * s beta^s / (beta+tau)^(s+1),
  A(tau) = Gamma(r+x) alpha^r / (Gamma(r) (alpha+tau)^(r+x)) (beta^s / (beta+T)^s in the first
  term), integrated with scipy.integrate.quad; Gamma-Gamma by integrating the Gamma(p x, nu x)
  density of m_x over nu ~ Gamma(q, v) with quad (no closed form used);
- "lifetimes_fit": what scipy.optimize.minimize returned inside lifetimes (method, success,
  message, iterations, evaluations), whether lifetimes raised ConvergenceError (BG, MBG, GG raise
  it when the optimiser reports failure; ParetoNBDFitter never checks), and the warnings seen;
- "lifetimes_long_run": the same fitter with tol = LONG_TOL and maxiter = LONG_MAXITER passed
  through its options (for BG, MBG, GG: BFGS with gtol = tol; for Pareto/NBD: Nelder-Mead), and
  where it stops;
- "continuation": from lifetimes' parameters, Nelder-Mead on the log-parameters of the total
  negative log-likelihood in days (lifetimes' own function), restarted until it gains less than
  1e-9, with checkpoints: whether the likelihood keeps rising as a parameter heads for 0 or
  infinity. For the three purchase models "nbd_limit" is the best fit of the boundary model
  without dropout (NBD: a -> 0 in BG/MBG, s -> 0 in Pareto/NBD), whose log-likelihood the others
  approach from below when their optimum is on that boundary;
- "profile": the best log-likelihood with the dropout parameter (a for BG and MBG, s for
  Pareto/NBD) held at each of a grid of values; "multi_start": lifetimes fitted from 16 starting
  points (a grid), the best of them and every run;
- "customers": for the chosen customers, P(alive) and the conditional expected number of
  purchases in the next HORIZON days (Gamma-Gamma: the conditional expected average spend).

Prints one JSON object on stdout.
"""
import contextlib
import json
import math
import platform
import sys
import warnings
from collections import Counter

import numpy as np
import pandas as pd

import lifetimes  # noqa: E402
import lifetimes.fitters  # noqa: E402
import lifetimes.fitters.pareto_nbd_fitter  # noqa: E402
import scipy  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter  # noqa: E402
from lifetimes.utils import ConvergenceError  # noqa: E402
from scipy import integrate, optimize  # noqa: E402
from scipy.special import betaln, gammaln  # noqa: E402

SEED = 0
HORIZON = 90.0  # days
LONG_TOL = 1e-12
LONG_MAXITER = 100000
# A spread of customers (id: why chosen), checked against the data when the script runs.
CHOSEN = [
    ("12713", "one-time buyer whose first purchase is on the as-of day (T = 0)"),
    ("12346", "one-time buyer, T = 325 (the 74,215-unit order, returned the same day)"),
    ("12791", "one-time buyer, oldest possible (T = 373)"),
    ("12985", "new customer, one repeat purchase on the as-of day (x = 1, t_x = T = 28)"),
    ("17850", "long lapsed: x = 1 on day 1, then nothing for 372 days"),
    ("15107", "moderate buyer, long lapsed (x = 5, t_x = 61, T = 372)"),
    ("16919", "frequent buyer, lapsed 156 days (x = 10, t_x = 212, T = 368)"),
    ("12347", "regular and recent (x = 6, t_x = 365, T = 367)"),
    ("12748", "very frequent, bought on the as-of day (x = 113, t_x = T = 373)"),
    ("14911", "the most frequent customer (x = 131, t_x = 372, T = 373)"),
]


# ---------------------------------------------------------------- capture lifetimes' optimiser

class Capture:
    """Wraps scipy.optimize.minimize inside lifetimes to keep what it returned."""

    def __init__(self):
        self.results = []

    def __call__(self, *args, **kwargs):
        out = optimize.minimize(*args, **kwargs)
        # A copy of the end point: ParetoNBDFitter wraps out.x in a pandas Series without copying
        # and rescales alpha and beta in place.
        out.x_at_end = np.array(out.x, dtype=float, copy=True)
        self.results.append((kwargs.get("method"), out))
        return out


def optimizer_record(method, out):
    rec = {
        "method": method or "BFGS (scipy's default for an unbounded problem)",
        "success": bool(out.success),
        "status": int(out.status),
        "message": str(out.message),
        "iterations": int(out.get("nit", -1)),
        "function_evaluations": int(out.get("nfev", -1)),
    }
    if out.get("jac") is not None:
        rec["gradient_max_abs"] = float(np.max(np.abs(out.jac)))
    return rec


def run_fit(fit):
    """Runs a lifetimes fit; returns (fitter or None, optimizer records, raised, warnings)."""
    cap = Capture()
    saved = (lifetimes.fitters.minimize, lifetimes.fitters.pareto_nbd_fitter.minimize)
    lifetimes.fitters.minimize = cap
    lifetimes.fitters.pareto_nbd_fitter.minimize = cap
    fitter, raised = None, None
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            # lifetimes prints the optimiser's result to stdout when a fit fails: keep it off stdout.
            with contextlib.redirect_stdout(sys.stderr):
                try:
                    fitter = fit()
                except ConvergenceError as e:
                    raised = "ConvergenceError: " + " ".join(str(e).split())
    finally:
        lifetimes.fitters.minimize, lifetimes.fitters.pareto_nbd_fitter.minimize = saved
    counts = Counter("%s: %s" % (w.category.__name__, w.message) for w in seen)
    warned = [{"warning": k, "count": v} for k, v in sorted(counts.items())]
    return fitter, cap.results, raised, warned


# ---------------------------------------------------------------- independent log-likelihoods

def bg_loglik(r, alpha, a, b, x, t_x, T):
    """FHL (2005) eq. 6, summed: L = B(a,b+x)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
    + [x>0] B(a+1,b+x-1)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))."""
    common = gammaln(r + x) - gammaln(r) + r * math.log(alpha) - betaln(a, b)
    first = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    xs = np.maximum(x, 1)
    second = np.where(x > 0, betaln(a + 1, b + xs - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return float(np.sum(common + np.logaddexp(first, second)))


def mbg_loglik(r, alpha, a, b, x, t_x, T):
    """Batislam et al. (2007): L = B(a,b+x+1)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
    + B(a+1,b+x)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)), for every x."""
    common = gammaln(r + x) - gammaln(r) + r * math.log(alpha) - betaln(a, b)
    first = betaln(a, b + x + 1) - (r + x) * np.log(alpha + T)
    second = betaln(a + 1, b + x) - (r + x) * np.log(alpha + t_x)
    return float(np.sum(common + np.logaddexp(first, second)))


def pareto_loglik_quad(r, alpha, s, beta, x, t_x, T):
    """Pareto/NBD by its definition: alive at T, or died at tau in (t_x, T] (quad over tau)."""
    total = 0.0
    keys = Counter(zip(x.tolist(), t_x.tolist(), T.tolist()))
    for (xi, txi, Ti), w in keys.items():
        base = gammaln(r + xi) - gammaln(r) + r * math.log(alpha)
        alive = base + s * math.log(beta) - (r + xi) * math.log(alpha + Ti) - s * math.log(beta + Ti)

        def g(tau, xi=xi):
            return (base - (r + xi) * math.log(alpha + tau)
                    + math.log(s) + s * math.log(beta) - (s + 1) * math.log(beta + tau))

        if Ti > txi:
            g0 = g(txi)  # the integrand decreases in tau
            integral, _ = integrate.quad(lambda tau: math.exp(g(tau) - g0), txi, Ti,
                                         epsabs=0.0, epsrel=1e-12, limit=200)
            died = g0 + math.log(integral)
            ll = np.logaddexp(alive, died)
        else:
            ll = alive
        total += w * float(ll)
    return total


def gg_loglik_quad(p, q, v, x, m):
    """Gamma-Gamma by its definition: m_x | nu ~ Gamma(shape p x, rate nu x), nu ~ Gamma(q, v);
    the density of m_x integrated over u = ln nu with quad."""
    total = 0.0
    for xi, mi in zip(x.tolist(), m.tolist()):
        k = p * xi
        const = k * math.log(xi) + (k - 1) * math.log(mi) - gammaln(k) + q * math.log(v) - gammaln(q)
        c = xi * mi + v

        def h(u):
            return (k + q) * u - c * math.exp(u)

        u0 = math.log((k + q) / c)
        h0 = h(u0)
        width = 40.0 / math.sqrt(k + q) + 5.0
        integral, _ = integrate.quad(lambda u: math.exp(h(u) - h0), u0 - width, u0 + width,
                                     points=[u0], epsabs=0.0, epsrel=1e-12, limit=400)
        total += const + h0 + math.log(integral)
    return total


# ---------------------------------------------------------------- continuation of the fit

def continuation(nll, start, names, out_of_log):
    """Nelder-Mead on log-parameters from `start`, restarted until the gain is < 1e-9."""
    raw = nll

    def nll(lp):
        v = raw(lp)
        return v if math.isfinite(v) else math.inf

    checkpoints = []
    count = {"it": 0}
    point = np.asarray(start, dtype=float)
    best = nll(point)
    checkpoints.append({"iteration": 0, "params": out_of_log(point), "loglik": -best})

    def cb(xk):
        count["it"] += 1
        i = count["it"]
        if i & (i - 1) == 0:  # powers of two
            checkpoints.append({"iteration": i, "params": out_of_log(xk), "loglik": -float(nll(xk))})

    restarts = 0
    for restarts in range(1, 21):
        res = optimize.minimize(nll, point, method="Nelder-Mead", callback=cb,
                                options={"maxfev": 40000, "maxiter": 40000, "xatol": 1e-12, "fatol": 1e-12})
        gain = best - res.fun
        if res.fun < best:
            point, best = res.x, float(res.fun)
        if gain < 1e-9:
            break
    checkpoints.append({"iteration": count["it"], "params": out_of_log(point), "loglik": -best})
    # Slope of the log-likelihood per unit of each log-parameter at the end (central differences).
    slope = {}
    for i, n in enumerate(names):
        e = np.zeros_like(point)
        e[i] = 1e-4
        slope[n] = float(-(nll(point + e) - nll(point - e)) / 2e-4)
    return {
        "method": "Nelder-Mead on log-parameters, xatol = fatol = 1e-12, maxfev 40000 per run",
        "restarts": restarts,
        "iterations": count["it"],
        "params": out_of_log(point),
        "loglik": -best,
        "dloglik_dlogparam": slope,
        "checkpoints": checkpoints,
    }


def multi_start(cls, names, x, t_x, T, pareto):
    """lifetimes fits from a grid of 16 starting points, to see whether another optimum is better."""
    n, max_T = len(x), float(T.max())
    scale = 1.0 / max_T
    sum_x = int(x.sum())
    third = (20.0, 1000.0) if pareto else (0.5, 20.0)
    runs = []
    for r0 in (0.2, 2.0):
        for alpha0 in (10.0, 200.0):
            for c0 in (0.05, 1.0):
                for d0 in third:
                    start = dict(zip(names, (r0, alpha0, c0, d0)))
                    if pareto:
                        init = np.array([r0, alpha0 * scale, c0, d0 * scale])
                    else:
                        init = np.log([r0, alpha0 * scale, c0, d0])
                    _, results, raised, _ = run_fit(
                        lambda: cls(penalizer_coef=0.0).fit(x, t_x, T, initial_params=init))
                    method, last = results[-1]
                    if pareto:
                        p = dict(zip(names, last.x_at_end.tolist()))
                        p["beta"] /= scale
                        ll = -float(last.fun) - sum_x * math.log(max_T)
                    else:
                        p = dict(zip(names, np.exp(last.x_at_end).tolist()))
                        ll = -n * float(last.fun) - sum_x * math.log(max_T)
                    p["alpha"] /= scale
                    runs.append({"start": start, "params": p, "loglik": ll,
                                 "converged": raised is None and bool(last.success)})
    best = max(runs, key=lambda r: r["loglik"] if math.isfinite(r["loglik"]) else -math.inf)
    return {"starts": len(runs), "best_loglik": best["loglik"], "best_params": best["params"], "runs": runs}


def profile(nll, fitted_log, names, index, grid):
    """The best log-likelihood with parameter `index` held at each value of `grid` (the others
    re-fitted by Nelder-Mead on log-parameters from the fitted point, restarted once)."""
    points = []
    z0 = np.delete(np.asarray(fitted_log, dtype=float), index)
    for g in grid:
        def sub(z, g=g):
            v = nll(np.insert(z, index, math.log(g)))
            return v if math.isfinite(v) else math.inf

        res = optimize.minimize(sub, z0, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-10, "maxfev": 20000})
        res = optimize.minimize(sub, res.x, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-10, "maxfev": 20000})
        full = np.exp(np.insert(res.x, index, math.log(g)))
        points.append({names[index]: g, "loglik": -float(res.fun), "params": dict(zip(names, full.tolist()))})
    return {"parameter": names[index], "points": points}


def nbd_limit(x, t_x, T):
    """The NBD (no dropout): L = G(r+x) alpha^r / (G(r) (alpha+T)^(r+x)), fitted by BFGS."""
    def nll(lp):
        r, alpha = np.exp(lp)
        return -float(np.sum(gammaln(r + x) - gammaln(r) + r * lp[1] - (r + x) * np.log(alpha + T)))

    res = optimize.minimize(nll, np.log([0.8, 70.0]), method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-12, "maxfev": 20000})
    res = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-9})
    r, alpha = np.exp(res.x)
    return {"r": float(r), "alpha": float(alpha), "loglik": -float(res.fun)}


# ---------------------------------------------------------------- main

def version(dist):
    from importlib.metadata import version as v
    try:
        return v(dist)
    except Exception:
        return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: reference_uci.py SUMMARY.csv")
    np.seterr(all="warn")
    df = pd.read_csv(sys.argv[1], dtype={"customer": str})
    cols = ["customer", "x", "t_x", "T", "m_x"]
    if list(df.columns) != cols:
        sys.exit("expected header %s, got %s" % (",".join(cols), ",".join(df.columns)))
    df = df.set_index("customer")
    x = df["x"].values.astype(int)
    t_x = df["t_x"].values.astype(float)
    T = df["T"].values.astype(float)
    n = len(df)
    ones = np.ones(n)
    sum_x = int(x.sum())
    max_T = float(T.max())
    log_max_T = math.log(max_T)
    gg = df[(df["x"] > 0) & (df["m_x"] > 0)]
    xg, mg = gg["x"].values.astype(float), gg["m_x"].values.astype(float)
    n_gg = len(gg)
    for cid, _ in CHOSEN:
        if cid not in df.index:
            sys.exit("chosen customer %s is not in the data" % cid)
    chosen = df.loc[[c for c, _ in CHOSEN]]
    cx, ctx, cT = chosen["x"].values.astype(int), chosen["t_x"].values.astype(float), chosen["T"].values.astype(float)

    out = {
        "source": "scripts/reference_uci.sh tests/fixtures/uci_online_retail/summary.csv; see SOURCE.md",
        "notes": NOTES,
        "data": {
            "customers": n,
            "repeat_customers": int((x > 0).sum()),
            "sum_x": sum_x,
            "max_T": max_T,
            "max_x": int(x.max()),
            "gamma_gamma_customers": n_gg,
            "time_unit": "day",
            "money_unit": "GBP (pounds, not pence)",
        },
        "settings": {"penalizer_coef": 0.0, "pareto_seed": SEED, "horizon_days": HORIZON,
                     "long_run_tol": LONG_TOL, "long_run_maxiter": LONG_MAXITER},
    }

    purchase_models = [
        ("bgnbd", BetaGeoFitter, ("r", "alpha", "a", "b"), bg_loglik),
        ("mbgnbd", ModifiedBetaGeoFitter, ("r", "alpha", "a", "b"), mbg_loglik),
        ("pareto_nbd", ParetoNBDFitter, ("r", "alpha", "s", "beta"), pareto_loglik_quad),
    ]
    limit = nbd_limit(x, t_x, T)
    for key, cls, names, independent in purchase_models:
        print("fitting %s" % key, file=sys.stderr)
        pareto = cls is ParetoNBDFitter

        def make(**kw):
            if pareto:
                np.random.seed(SEED)
            return lambda: cls(penalizer_coef=0.0).fit(x, t_x, T, **kw)

        fitter, results, raised, warned = run_fit(make())
        if fitter is None:
            sys.exit("%s: lifetimes did not fit: %s" % (key, raised))
        params = {k: float(fitter.params_[k]) for k in names}
        pv = [params[k] for k in names]
        objective = float(fitter._negative_log_likelihood_)
        if pareto:
            loglik = -objective - sum_x * log_max_T
            own = -float(cls._negative_log_likelihood(np.array(pv), x, t_x, T, ones, 0.0))
            formula = "-objective - sum(x) * ln(max T)"
        else:
            loglik = -n * objective - sum_x * log_max_T
            own = -n * float(cls._negative_log_likelihood(np.log(pv), x, t_x, T, ones, 0.0))
            formula = "-n * objective - sum(x) * ln(max T)"
        rec = dict(params)
        rec.update({
            "loglik": loglik,
            "loglik_formula": formula,
            "loglik_lifetimes_days": own,
            "loglik_independent": independent(*pv, x, t_x, T),
            "lifetimes_objective": objective,
            "lifetimes_time_scale": float(fitter._scale),
            "lifetimes_fit": {
                "converged": raised is None and all(r.success for _, r in results),
                "raised": raised,
                "optimizer": [optimizer_record(m, r) for m, r in results],
                "warnings": warned,
            },
        })
        if not pareto:
            rec["se"] = {k: float(v) for k, v in fitter.standard_errors_.items()}

        # Long run through the fitter's own options.
        long_fitter, long_results, long_raised, long_warned = run_fit(make(tol=LONG_TOL, maxiter=LONG_MAXITER))
        m, last = long_results[-1]
        scale = 1.0 / max_T
        if pareto:
            lp = last.x_at_end
            lparams = dict(zip(names, lp.tolist()))
            lparams["alpha"] /= scale
            lparams["beta"] /= scale
            lloglik = -float(last.fun) - sum_x * log_max_T
        else:
            lparams = dict(zip(names, np.exp(last.x_at_end).tolist()))
            lparams["alpha"] /= scale
            lloglik = -n * float(last.fun) - sum_x * log_max_T
        rec["lifetimes_long_run"] = {
            "options": {"tol": LONG_TOL, "maxiter": LONG_MAXITER},
            "raised": long_raised,
            "optimizer": optimizer_record(m, last),
            "params": lparams,
            "loglik": lloglik,
            "warnings": long_warned,
        }

        # Continuation on the total log-likelihood in days.
        if pareto:
            def nll(lp):
                return float(cls._negative_log_likelihood(np.exp(lp), x, t_x, T, ones, 0.0))
        else:
            def nll(lp):
                return n * float(cls._negative_log_likelihood(lp, x, t_x, T, ones, 0.0))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cont = continuation(nll, np.log(pv), names, lambda lp: dict(zip(names, np.exp(lp).tolist())))
        cont["loglik_independent"] = independent(*[cont["params"][k] for k in names], x, t_x, T)
        rec["continuation"] = cont
        rec["nbd_limit"] = limit
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grid = [1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-9, 1e-12]
            if not pareto:
                grid = sorted(set(grid + [params["a"]]), reverse=True)
            rec["profile"] = profile(nll, np.log(pv), names, 2, grid)
            rec["multi_start"] = multi_start(cls, names, x, t_x, T, pareto)

        # Predictions for the chosen customers.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pa = np.atleast_1d(fitter.conditional_probability_alive(cx, ctx, cT))
            ey = np.atleast_1d(fitter.conditional_expected_number_of_purchases_up_to_time(HORIZON, cx, ctx, cT))
        rec["customers"] = [
            {"customer": cid, "x": int(xi), "t_x": float(ti), "T": float(Ti),
             "p_alive": float(a), "expected_purchases_90d": float(e)}
            for (cid, _), xi, ti, Ti, a, e in zip(CHOSEN, cx, ctx, cT, pa, ey)
        ]
        out[key] = rec

    # Gamma-Gamma.
    print("fitting gamma_gamma", file=sys.stderr)
    names = ("p", "q", "v")
    ggf, results, raised, warned = run_fit(lambda: GammaGammaFitter(penalizer_coef=0.0).fit(xg, mg))
    if ggf is None:
        sys.exit("gamma_gamma: lifetimes did not fit: %s" % raised)
    params = {k: float(ggf.params_[k]) for k in names}
    pv = [params[k] for k in names]
    objective = float(ggf._negative_log_likelihood_)
    rec = dict(params)
    rec.update({
        "customers": n_gg,
        "loglik": -n_gg * objective,
        "loglik_formula": "-n_gg * objective",
        "loglik_lifetimes_days": -n_gg * float(GammaGammaFitter._negative_log_likelihood(
            np.log(pv), xg, mg, np.ones(n_gg), 0.0)),
        "loglik_independent": gg_loglik_quad(*pv, xg, mg),
        "lifetimes_objective": objective,
        "lifetimes_fit": {
            "converged": raised is None and all(r.success for _, r in results),
            "raised": raised,
            "optimizer": [optimizer_record(m, r) for m, r in results],
            "warnings": warned,
        },
        "se": {k: float(v) for k, v in ggf.standard_errors_.items()},
    })
    _, long_results, long_raised, long_warned = run_fit(
        lambda: GammaGammaFitter(penalizer_coef=0.0).fit(xg, mg, tol=LONG_TOL, maxiter=LONG_MAXITER))
    m, last = long_results[-1]
    rec["lifetimes_long_run"] = {
        "options": {"tol": LONG_TOL, "maxiter": LONG_MAXITER},
        "raised": long_raised,
        "optimizer": optimizer_record(m, last),
        "params": dict(zip(names, np.exp(last.x_at_end).tolist())),
        "loglik": -n_gg * float(last.fun),
        "warnings": long_warned,
    }

    def gg_nll(lp):
        return n_gg * float(GammaGammaFitter._negative_log_likelihood(lp, xg, mg, np.ones(n_gg), 0.0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cont = continuation(gg_nll, np.log(pv), names, lambda lp: dict(zip(names, np.exp(lp).tolist())))
    cont["loglik_independent"] = gg_loglik_quad(*[cont["params"][k] for k in names], xg, mg)
    rec["continuation"] = cont
    cm = chosen["m_x"].fillna(0.0).values.astype(float)
    rec["customers"] = [
        {"customer": cid, "x": int(xi), "m_x": (float(mi) if xi > 0 else None),
         "expected_average_spend": float(ggf.conditional_expected_average_profit(float(xi), float(mi)))}
        for (cid, _), xi, mi in zip(CHOSEN, cx, cm)
    ]
    out["gamma_gamma"] = rec
    out["chosen_customers"] = [{"customer": c, "why": why} for c, why in CHOSEN]
    out["versions"] = {
        "python": platform.python_version(),
        "lifetimes": lifetimes.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "autograd": version("autograd"),
    }
    print(json.dumps(finite(out), indent=2, allow_nan=False))


def finite(v):
    """The JSON value with every NaN or infinity replaced by null (strict JSON has neither)."""
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [finite(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


NOTES = {
    "null": "a number that is not finite (a run that diverged), or m_x of a customer without repeat purchases",
    "units": "time in days (alpha, beta per day; t_x, T, horizon in days); money in pounds (GBP)",
    "<model>.r/alpha/a/b/s/beta/p/q/v": "the parameters lifetimes returns (params_), penalizer_coef = 0",
    "<model>.loglik": "total log-likelihood in days (and pounds), converted from lifetimes' minimised "
                      "objective by <model>.loglik_formula; objective = fitter._negative_log_likelihood_, "
                      "n = customers, max T in days",
    "<model>.loglik_lifetimes_days": "lifetimes' static _negative_log_likelihood at the returned parameters "
                                     "on the unscaled data, as a total log-likelihood",
    "<model>.loglik_independent": "the same total from this script's own formula (FHL 2005 eq. 6; "
                                  "Batislam et al. 2007; Pareto/NBD and Gamma-Gamma by numerical "
                                  "integration with scipy.integrate.quad)",
    "<model>.lifetimes_objective": "fitter._negative_log_likelihood_ as lifetimes left it (BG, MBG, GG: mean "
                                   "over customers; Pareto/NBD: total; BG, MBG, Pareto/NBD on times "
                                   "multiplied by lifetimes_time_scale = 1 / max T)",
    "<model>.lifetimes_fit": "scipy.optimize.minimize's result inside lifetimes; converged = lifetimes "
                             "raised nothing and the optimiser reported success; warnings seen during the fit",
    "<model>.se": "lifetimes' standard errors (its `summary`), where it computes them",
    "<model>.lifetimes_long_run": "the fitter run with tol = long_run_tol and maxiter = long_run_maxiter "
                                  "(options of scipy.optimize.minimize); parameters where it stopped, "
                                  "from the optimiser's last point even when lifetimes raised",
    "<model>.continuation": "Nelder-Mead from lifetimes' parameters on the log-parameters of the total "
                            "log-likelihood in days until it gains less than 1e-9; checkpoints at "
                            "iterations 1, 2, 4, 8, ...; dloglik_dlogparam = d loglik / d ln(param) at "
                            "the end (a parameter on its way to 0 has a negative slope there, one on "
                            "its way to infinity a positive one, however small)",
    "<model>.nbd_limit": "the NBD model (no dropout), the boundary a -> 0 (BG, MBG) or s -> 0 (Pareto/NBD), "
                         "fitted alone: its log-likelihood is the supremum along that boundary",
    "<model>.profile": "best total log-likelihood in days with the dropout parameter (a: BG, MBG; s: "
                       "Pareto/NBD) fixed at each value, the other parameters re-fitted",
    "<model>.multi_start": "lifetimes fitted from a grid of 16 starting points (start given in days); "
                           "params and loglik where each run stopped, converged as in lifetimes_fit",
    "<model>.customers": "for each chosen customer: P(alive at T) and E[purchases in (T, T + 90 days]] "
                         "from lifetimes' conditional_probability_alive and "
                         "conditional_expected_number_of_purchases_up_to_time; for Gamma-Gamma "
                         "conditional_expected_average_profit (the population mean when x = 0)",
}

if __name__ == "__main__":
    main()
