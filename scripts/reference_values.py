#!/usr/bin/env python3
"""High-precision reference values for the CLV models, written to tests/fixtures/clv/.

    python3 scripts/reference_values.py

Bootstraps itself: unless already running inside target/venv-mpmath, it creates that virtual
environment (python3 -m venv), installs mpmath into it and re-executes itself there.

Every value is computed with mpmath at mp.dps = 50 by a direct transcription of the published
formula (mpmath's hyp2f1, gamma, beta, quad; no asymptotics, no log-space tricks), checked against
a second evaluation at mp.dps = 70, and printed with 17 significant digits. Inputs and parameters
are written as the short decimals they were drawn as; the computation uses exactly the IEEE double
nearest each decimal (mpf(float(s))), i.e. what a Rust f64 parse of the CSV field gives.

Files: hyp2f1.csv, models.csv, gamma_gamma.csv (formulas in tests/fixtures/clv/SOURCE.md).
"""
import os

import mpmath_venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

mpmath_venv.bootstrap(__file__)

import csv  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402

import mpmath  # noqa: E402
from mpmath import mp, mpf  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "clv")
DPS = 50
CHECK_DPS = 70
CHECK_REL = mpf("1e-40")
DIGITS = 17
SEED = 20240611


def num(s):
    """The exact value of the double nearest the decimal string s."""
    return mpf(float(s))


def fmt(v):
    return mpmath.nstr(v, DIGITS, min_fixed=-5, max_fixed=DIGITS)


def checked(f, *args):
    """f(*args) at DPS, asserting agreement with a CHECK_DPS evaluation; returns tuple of mpf."""
    with mp.workdps(CHECK_DPS):
        hi = f(*args)
    with mp.workdps(DPS):
        lo = f(*args)
    for a, b in zip(lo, hi):
        if b == 0:
            assert a == 0, (f.__name__, args, a, b)
        else:
            assert abs(a - b) <= CHECK_REL * abs(b), (f.__name__, args, a, b)
    return lo


# ---------------------------------------------------------------------------------------------
# a) hyp2f1.csv

def log_hyp2f1(a, b, c, z):
    v = mp.hyp2f1(num(a), num(b), num(c), num(z))
    if not (mp.isfinite(v) and mp.im(v) == 0 and v > 0):
        raise ValueError("not finite/positive: %s" % v)
    return (mp.log(v),)


HYP_GENERAL = [
    # the required general-c cases
    ("250", "250", "1", "0.9"),
    ("0.5", "2.5", "3.3", "0.7"),
    ("12.2", "40.5", "41.1", "0.95"),
    ("3", "3.5", "1.2", "0.999"),
    # BG/NBD conditional expectation shape 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t)), CDNOW fit
    ("0.24259", "2.4259", "2.21882", "0.20467"),
    ("5.24259", "7.4259", "7.21882", "0.1"),
    ("300.24259", "302.4259", "302.21882", "0.037"),
    # MBG/NBD shape 2F1(r+x, b+x+1; a+b+x; z), CDNOW fit
    ("3.52484", "5.614", "5.50536", "0.45"),
    # c < a + b (divergent at z -> 1), c > a + b, small c, large c
    ("100.5", "50.2", "20.1", "0.5"),
    ("2.5", "1.5", "0.7", "0.999999"),
    ("0.1", "0.2", "0.3", "0.5"),
    ("50", "60", "200", "0.99"),
    ("1.5", "2", "4", "0.3"),
    ("7", "0.5", "30", "0.999999"),
]


def write_hyp2f1():
    rows, skipped = [], []
    cases = []
    for a in ["0.5", "1.3", "10", "300.7", "1000"]:
        c = repr(float(a) + 1.0)
        for b in ["0.6", "1", "1.6", "11", "301", "1000"]:
            for z in ["0", "1e-6", "0.1", "0.5", "0.9", "0.99", "0.999999"]:
                cases.append((a, b, c, z))
    cases += HYP_GENERAL
    for a, b, c, z in cases:
        try:
            (v,) = checked(log_hyp2f1, a, b, c, z)
        except (ValueError, mpmath.libmp.NoConvergence) as e:
            skipped.append(((a, b, c, z), str(e)))
            continue
        rows.append([a, b, c, z, fmt(v)])
    with open(os.path.join(OUT, "hyp2f1.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["a", "b", "c", "z", "value_log"])
        w.writerows(rows)
    return len(rows), skipped


# ---------------------------------------------------------------------------------------------
# b) models.csv

def bgnbd(r, alpha, a, b, x, t_x, T, t):
    """Fader, Hardie & Lee (2005), eqs. (6) [likelihood], (10) [E], P(alive) from note 021."""
    r, alpha, a, b, t_x, T, t = map(num, (r, alpha, a, b, t_x, T, t))
    d = 1 if x > 0 else 0
    L = (mp.beta(a, b + x) / mp.beta(a, b) * mp.gamma(r + x) * alpha ** r / (mp.gamma(r) * (alpha + T) ** (r + x)))
    if d:
        L += (mp.beta(a + 1, b + x - 1) / mp.beta(a, b)
              * mp.gamma(r + x) * alpha ** r / (mp.gamma(r) * (alpha + t_x) ** (r + x)))
    odds = d * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if d else mpf(0)
    p_alive = 1 / (1 + odds)
    num_ = (a + b + x - 1) / (a - 1) * (
        1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
        * mp.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
    expected = num_ / (1 + odds)
    return mp.log(L), p_alive, expected


def mbgnbd(r, alpha, a, b, x, t_x, T, t):
    """Batislam, Denizel & Filiztekin (2007) with Wagner & Hoppe (2008), as lifetimes 0.11.3
    ModifiedBetaGeoFitter computes it."""
    r, alpha, a, b, t_x, T, t = map(num, (r, alpha, a, b, t_x, T, t))
    L = (mp.beta(a, b + x + 1) / mp.beta(a, b) * mp.gamma(r + x) * alpha ** r
         / (mp.gamma(r) * (alpha + T) ** (r + x))
         + mp.beta(a + 1, b + x) / mp.beta(a, b) * mp.gamma(r + x) * alpha ** r
         / (mp.gamma(r) * (alpha + t_x) ** (r + x)))
    odds = a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    p_alive = 1 / (1 + odds)
    num_ = (a + b + x) / (a - 1) * (
        1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
        * mp.hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t)))
    expected = num_ / (1 + odds)
    return mp.log(L), p_alive, expected


def pareto_nbd(r, alpha, s, beta, x, t_x, T, t):
    """Schmittlein, Morrison & Colombo (1987); Fader & Hardie (2005) note 009, eqs. (18)-(20);
    P(alive) and E[Y(t)|x, t_x, T] from the same note / Schmittlein et al."""
    r, alpha, s, beta, t_x, T, t = map(num, (r, alpha, s, beta, t_x, T, t))
    K = mp.gamma(r + x) * alpha ** r * beta ** s / mp.gamma(r)
    rsx = r + s + x
    if alpha >= beta:
        A0 = (mp.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t_x)) / (alpha + t_x) ** rsx
              - mp.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + T)) / (alpha + T) ** rsx)
    else:
        A0 = (mp.hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + t_x)) / (beta + t_x) ** rsx
              - mp.hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + T)) / (beta + T) ** rsx)
    first = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s)
    L = K * (first + s / rsx * A0)
    # The same likelihood with the integral over the death time done numerically. mp.quad's
    # convergence test is absolute (against mp.eps), so the integrand is scaled to 1 at t_x;
    # unscaled, values like 1e-881 (x = 300) pass it at a low degree and come out ~1e-11 wrong.
    f = lambda tau: (alpha + tau) ** (-(r + x)) * (beta + tau) ** (-(s + 1))  # noqa: E731
    f0 = f(t_x)
    integral = f0 * mp.quad(lambda tau: f(tau) / f0, [t_x, T]) if t_x < T else mpf(0)
    L_quad = K * (first + s * integral)
    assert abs(L - L_quad) <= mpf("1e-30") * L, ("pareto quad", r, alpha, s, beta, x, t_x, T, L, L_quad)
    p_alive = K * first / L
    if s == 1:
        ey = (r + x) * (beta + T) / (alpha + T) * mp.log((beta + T + t) / (beta + T))
    else:
        ey = ((r + x) * (beta + T) / ((alpha + T) * (s - 1))
              * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)))
    return mp.log(L), p_alive, p_alive * ey


MODELS = [
    ("bgnbd", bgnbd, [
        ("0.24259", "4.4136", "0.79292", "2.4259"),   # CDNOW, Fader, Hardie & Lee (2005)
        ("1.5", "20", "2.5", "8"),
        ("0.8", "0.5", "0.3", "0.9"),                 # b < 1: b + x - 1 < 1 for x = 1
        ("5", "100", "50", "200"),
    ]),
    ("mbgnbd", mbgnbd, [
        ("0.52484", "6.1831", "0.89136", "1.614"),    # CDNOW, Batislam et al. / lifetimes docs
        ("1.5", "20", "2.5", "8"),
        ("3", "50", "0.5", "0.7"),
    ]),
    ("pareto_nbd", pareto_nbd, [
        ("0.55328", "10.578", "0.60621", "11.668"),   # CDNOW, alpha < beta
        ("1.2", "30", "0.8", "5"),                    # alpha > beta
        ("0.9", "12", "1.5", "12"),                   # alpha == beta
        ("2", "8", "3", "200"),                       # large beta
        ("0.7", "15", "1", "25"),                     # s == 1 (log limit of E[Y(t)])
    ]),
]

HORIZONS = ["10", "39"]


def draw_inputs():
    rng = random.Random(SEED)
    fixed = [
        (0, "0", "38.86"), (0, "0", "0.5"), (0, "0", "1000"), (0, "0", "12.3"),
        (1, "38.86", "38.86"), (2, "30.43", "38.86"), (1, "1.71", "38.86"),
        (5, "20", "20"), (300, "1000", "1000"), (300, "812.37", "1000"), (3, "0.43", "52"), (1, "0.14", "52"),
    ]
    # Random draws: at most one repeat purchase per day (x <= 7 t_x, times in weeks).
    out = list(fixed)
    while len(out) < 60:
        T = round(10 ** rng.uniform(0, 3), 2)            # log-uniform in [1, 1000] weeks
        u = rng.random()
        if u < 0.1:
            x = 0
        elif u < 0.5:
            x = rng.randint(1, 5)
        else:
            x = int(round(10 ** rng.uniform(math.log10(6), math.log10(300))))
        if x == 0:
            t_x = 0.0
        elif rng.random() < 0.1:
            t_x = T
        else:
            lo = 0.5 * T if x > 20 else 0.0  # frequent buyers are not long silent
            t_x = min(T, max(0.01, round(rng.uniform(lo, T), 2)))
        if x > 7 * t_x:
            continue  # more repeat purchase days than days up to the last purchase
        out.append((x, "%g" % t_x, "%g" % T))
    return out


def write_models():
    inputs = draw_inputs()
    rows = []
    extremes = {}
    for name, f, sets in MODELS:
        for params in sets:
            for x, t_x, T in inputs:
                assert 0 <= float(t_x) <= float(T) and (x == 0) == (float(t_x) == 0)
                for t in HORIZONS:
                    ll, pa, ey = checked(f, *params, x, t_x, T, t)
                    for k, v in (("loglik", ll), ("p_alive", pa), ("expected", ey)):
                        lo, hi = extremes.get((name, k), (v, v))
                        extremes[(name, k)] = (min(lo, v), max(hi, v))
                    rows.append([name, *params, x, t_x, T, t, fmt(ll), fmt(pa), fmt(ey)])
    with open(os.path.join(OUT, "models.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["model", "r", "alpha", "a_or_s", "b_or_beta", "x", "t_x", "T", "t",
                    "loglik", "p_alive", "expected"])
        w.writerows(rows)
    return len(inputs), len(rows), extremes


# ---------------------------------------------------------------------------------------------
# c) gamma_gamma.csv

def gamma_gamma(p, q, gamma, x, m):
    """Density of the mean spend m_x given x (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 3 /
    Hardie note 025 eq. 1a), as lifetimes GammaGammaFitter maximises it; and E[M | x, m_x]."""
    p, q, gamma, m = map(num, (p, q, gamma, m))
    density = (mp.gamma(p * x + q) / (mp.gamma(p * x) * mp.gamma(q))
               * gamma ** q * x ** (p * x) * m ** (p * x - 1) / (gamma + x * m) ** (p * x + q))
    expected = p * (gamma + x * m) / (p * x + q - 1)
    return mp.log(density), expected


GG_PARAMS = [("6.2496", "3.7442", "15.444"), ("2", "5.5", "40")]


def write_gamma_gamma():
    rng = random.Random(SEED + 1)
    inputs = [(1, "22.35"), (2, "11.77"), (1, "0.5"), (300, "35.1"), (10, "3000"), (5, "15.444")]
    while len(inputs) < 40:
        x = rng.choice([1, 1, 2, 3, 4, 5]) if rng.random() < 0.5 else int(round(10 ** rng.uniform(0.8, 2.48)))
        m = round(10 ** rng.uniform(-0.3, 3.5), 2)
        inputs.append((x, "%g" % m))
    rows = []
    for params in GG_PARAMS:
        for x, m in inputs:
            ll, e = checked(gamma_gamma, *params, x, m)
            rows.append([*params, x, m, fmt(ll), fmt(e)])
    with open(os.path.join(OUT, "gamma_gamma.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["p", "q", "gamma", "x", "m_x", "loglik", "expected_spend"])
        w.writerows(rows)
    return len(rows)


def main():
    os.makedirs(OUT, exist_ok=True)
    mp.dps = DPS
    n, skipped = write_hyp2f1()
    print("hyp2f1.csv: %d rows, %d skipped" % (n, len(skipped)))
    for case, why in skipped:
        print("  skipped a,b,c,z = %s: %s" % (",".join(case), why))
    n_in, n_rows, extremes = write_models()
    print("models.csv: %d inputs, %d rows" % (n_in, n_rows))
    for (name, k), (lo, hi) in sorted(extremes.items()):
        print("  %-10s %-8s min %s max %s" % (name, k, mpmath.nstr(lo, 5), mpmath.nstr(hi, 5)))
    print("gamma_gamma.csv: %d rows" % write_gamma_gamma())
    print("mpmath %s, dps %d (checked at %d)" % (mpmath.__version__, DPS, CHECK_DPS))


if __name__ == "__main__":
    main()
