#!/usr/bin/env python3
"""
Pareto/NBD DERT (Fader, Hardie & Lee 2005, JMR 42(4), eq. 2) -- double-precision
algorithm + high-precision (mpmath) verification.

Key function (all s > 0, z > 0):

    G(s, z) = E[ z / (z + Y) ],  Y ~ Gamma(shape s, rate 1)
            = z^s e^z Gamma(1-s, z)          (upper incomplete gamma, any real 1-s)
            = z U(1, 2-s, z) = z^s U(s, s, z) (Kummer/Tricomi U)
            = int_0^inf e^{-u} (1 + u/z)^{-s} du

so that, with mu ~ Gamma(shape s, rate b):   E[1/(delta+mu)] = G(s, delta*b) / delta
and
    DERT = P(alive) * (r+x)/(alpha+T) * G(s, delta*(beta+T)) / delta.

The double-precision implementation (G, expected_inv_delta_plus_mu,
finite_horizon_factor) uses only the `math` module.  mpmath is imported only
inside the test harness (run this file as a script, in a virtual environment with
mpmath, e.g. python3 -m venv target/venv-counts && target/venv-counts/bin/pip install mpmath).
It prints the reference values of G and DERT that src/clv/special.rs and src/clv/pareto.rs
test against (tests/fixtures/clv/SOURCE.md, "DERT").
"""
import math

EPS = 2.220446049250313e-16
EULER = 0.5772156649015329
ZETA_M1 = [
    0.6449340668482264,  # k=2
    0.2020569031595943,  # k=3
    0.08232323371113819,  # k=4
    0.03692775514336993,  # k=5
    0.01734306198444914,  # k=6
    0.008349277381922827,  # k=7
    0.00407735619794434,  # k=8
    0.0020083928260822143,  # k=9
    0.0009945751278180853,  # k=10
    0.0004941886041194645,  # k=11
    0.0002460865533080483,  # k=12
    0.00012271334757848915,  # k=13
    6.124813505870483e-05,  # k=14
    3.058823630702049e-05,  # k=15
    1.528225940865187e-05,  # k=16
    7.637197637899763e-06,  # k=17
    3.81729326499984e-06,  # k=18
    1.908212716553939e-06,  # k=19
    9.539620338727962e-07,  # k=20
    4.769329867878064e-07,  # k=21
    2.38450502727733e-07,  # k=22
    1.1921992596531106e-07,  # k=23
    5.960818905125948e-08,  # k=24
    2.980350351465228e-08,  # k=25
    1.4901554828365043e-08,  # k=26
    7.45071178983543e-09,  # k=27
    3.725334024788457e-09,  # k=28
    1.862659723513049e-09,  # k=29
    9.313274324196682e-10,  # k=30
    4.656629065033784e-10,  # k=31
    2.3283118336765053e-10,  # k=32
    1.164155017270052e-10,  # k=33
    5.820772087902701e-11,  # k=34
    2.9103850444971e-11,  # k=35
    1.4551921891041985e-11,  # k=36
    7.275959835057482e-12,  # k=37
    3.637979547378651e-12,  # k=38
    1.818989650307066e-12,  # k=39
    9.094947840263888e-13,  # k=40
    4.547473783042154e-13,  # k=41
    2.2737368458246524e-13,  # k=42
    1.136868407680228e-13,  # k=43
    5.684341987627585e-14,  # k=44
    2.842170976889302e-14,  # k=45
    1.4210854828031605e-14,  # k=46
    7.105427395210853e-15,  # k=47
    3.552713691337114e-15,  # k=48
    1.7763568435791204e-15,  # k=49
    8.881784210930816e-16,  # k=50
    4.440892103143814e-16,  # k=51
    2.2204460507980424e-16,  # k=52
    1.1102230251410657e-16,  # k=53
    5.55111512484548e-17,  # k=54
    2.775557562136117e-17,  # k=55
    1.3877787809725275e-17,  # k=56
    6.938893904544234e-18,  # k=57
    3.469446952166015e-18,  # k=58
    1.7347234760476074e-18,  # k=59
    8.673617380120694e-19,  # k=60
    4.336808690020904e-19,  # k=61
    2.168404344996647e-19,  # k=62
    1.084202172493393e-19,  # k=63
]

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _lgamma1p_over_a(a):
    """ln Gamma(1+a) / a, accurate (absolute ~1e-16) for -0.5 <= a <= 1.
    A&S 6.1.33: ln G(1+a) = -ln(1+a) + a(1-gamma) + sum_{k>=2} (-1)^k (zeta(k)-1) a^k / k.
    At a == 0 the limit -gamma is returned."""
    if a == 0.0:
        return -EULER
    t = -math.log1p(a) / a + (1.0 - EULER)
    # sum_{k>=2} (-1)^k (zeta(k)-1) a^{k-1}/k  =  -sum zm1_k (-a)^{k-1} / k
    q = -a
    acc = 0.0
    for k in range(2, 64):
        term = ZETA_M1[k - 2] * q / k
        acc += term
        if abs(term) <= 1e-17 * (abs(acc) + 1e-300):
            break
        q *= -a
    return t - acc


def _G_cf(s, z, maxit=1000):
    """Legendre continued fraction of Gamma(a, z) (a = 1-s), even (J-)form,
    evaluated by the modified Lentz method:
        G = z / (z+s - 1*s/(z+s+2 - 2(s+1)/(z+s+4 - 3(s+2)/(z+s+6 - ...))))
    Converges for every z > 0; fast when z >= 1 or s >= 20."""
    tiny = 1e-300
    b = z + s
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, maxit):
        an = -i * (i - 1.0 + s)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        de = d * c
        h *= de
        if abs(de - 1.0) < EPS:
            return z * h
    raise RuntimeError("G: continued fraction did not converge (s=%r, z=%r)" % (s, z))


def _G_series(s0, z):
    """G(s0, z) for 0 < s0 <= 1.5 and 0 < z < ~2 (a = 1 - s0 in [-0.5, 1)).
    Gamma(a,z) = [Gamma(1+a) - z^a]/a - z^a sum_{k>=1} (-z)^k/(k!(a+k)), hence
        G = z e^z { [z^{-a} Gamma(1+a) - 1]/a - sum_{k>=1} (-z)^k/(k!(a+k)) }.
    The first bracket is removable at a = 0 (s0 = 1); it is evaluated as
    expm1(a*c)/a with c = -ln z + lnGamma(1+a)/a, which has no cancellation."""
    a = 1.0 - s0
    c = -math.log(z) + _lgamma1p_over_a(a)
    if a == 0.0:
        b1 = c
    else:
        b1 = math.expm1(a * c) / a
    tk = 1.0
    acc = 0.0
    for k in range(1, 200):
        tk *= -z / k
        term = tk / (a + k)
        acc += term
        if abs(term) <= 1e-17 * abs(acc):
            break
    return z * math.exp(z) * (b1 - acc)


Z_SWITCH = 1.0     # z >= Z_SWITCH -> continued fraction (<= ~95 iterations)
S_SWITCH = 20.0    # s >= S_SWITCH -> continued fraction (<= ~45 iterations for any z)


def G(s, z):
    """G(s,z) = z^s e^z Gamma(1-s,z) = E[z/(z+Y)], Y~Gamma(s,1).  s>0, z>=0.
    0 < G < 1, increasing in z, decreasing in s; G(s,z)/z is decreasing in z."""
    if not (s > 0.0):
        raise ValueError("s must be > 0")
    if z == 0.0:
        return 0.0
    if not (z > 0.0):
        raise ValueError("z must be >= 0")
    if z == math.inf:
        return 1.0
    if z >= Z_SWITCH or s >= S_SWITCH:
        return _G_cf(s, z)
    # small z, moderate s: series at s0 in (0, 1.5], then upward recurrence
    #   G(t+1, z) = z (1 - G(t, z)) / t      (stable: G(t,z) <= z/(z+t) < 2/3 here)
    n = 0 if s <= 1.5 else int(math.ceil(s - 1.5))
    s0 = s - n          # exact (Sterbenz), s0 in (0.5, 1.5] when n > 0
    g = _G_series(s0, z)
    t = s0
    for _ in range(n):
        g = z * (1.0 - g) / t
        t += 1.0
    return g


def expected_inv_delta_plus_mu(s, b, delta):
    """E[1/(delta + mu)], mu ~ Gamma(shape s, rate b) = int_0^inf e^{-delta t}(1+t/b)^{-s} dt
    = G(s, delta*b)/delta.  delta = 0: b/(s-1) if s > 1 else +inf."""
    if delta == 0.0:
        return b / (s - 1.0) if s > 1.0 else math.inf
    return G(s, delta * b) / delta


def dert(r, alpha, s, beta, x, t_x, T, delta, p_alive):
    """DERT given P(alive) (computed elsewhere, e.g. by the library)."""
    return p_alive * (r + x) / (alpha + T) * expected_inv_delta_plus_mu(s, beta + T, delta)


# ---------------------------------------------------------------------------
# finite horizon:  F_H = E[(1 - e^{-(delta+mu)H})/(delta+mu)] = int_0^H e^{-delta t}(1+t/b)^{-s} dt
# ---------------------------------------------------------------------------

# 20-point Gauss-Legendre nodes/weights on [-1,1] (computed once with plain float Newton iteration)
def _gauss_legendre(n):
    xs, ws = [], []
    for i in range(1, n + 1):
        x = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for k in range(2, n + 1):
                p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
            dp = n * (x * p1 - p0) / (x * x - 1.0)
            dx = p1 / dp
            x -= dx
            if abs(dx) < 1e-16:
                break
        p0, p1 = 1.0, x
        for k in range(2, n + 1):
            p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        dp = n * (x * p1 - p0) / (x * x - 1.0)
        xs.append(x)
        ws.append(2.0 / ((1.0 - x * x) * dp * dp))
    return xs, ws


_GL_X, _GL_W = _gauss_legendre(20)


def finite_horizon_factor(s, b, delta, H):
    """F_H(s, b, delta) = E[(1 - exp(-(delta+mu)H)) / (delta+mu)], mu ~ Gamma(s, rate b)
                       = int_0^H exp(-delta t) (1 + t/b)^{-s} dt.
    Closed form:  [G(s, delta b) - exp(-delta H) (b/(b+H))^s G(s, delta (b+H))] / delta.
    Used when it loses < 1 bit (second term <= half the first); otherwise composite
    Gauss-Legendre in u = ln(1+t/b):  b * int_0^U exp((1-s)u - delta b expm1(u)) du."""
    if H <= 0.0:
        return 0.0
    if H == math.inf:
        return expected_inv_delta_plus_mu(s, b, delta)
    U = math.log1p(H / b)
    if delta == 0.0:
        if s == 1.0:
            return b * U
        return b * math.expm1((1.0 - s) * U) / (1.0 - s)
    A = G(s, delta * b)
    B = math.exp(-delta * H - s * U) * G(s, delta * (b + H))
    if B <= 0.5 * A:
        return (A - B) / delta
    # quadrature branch (here delta*H < ln 2, integrand exp-variation <= 1 per panel)
    m = int(math.ceil(abs(1.0 - s) * U + delta * H)) + 1
    hpan = U / m
    db = delta * b
    tot = 0.0
    for j in range(m):
        mid = (j + 0.5) * hpan
        half = 0.5 * hpan
        acc = 0.0
        for xk, wk in zip(_GL_X, _GL_W):
            u = mid + half * xk
            acc += wk * math.exp((1.0 - s) * u - db * math.expm1(u))
        tot += acc * half
    return b * tot


# ===========================================================================
# verification harness (mpmath only below this line)
# ===========================================================================

def _mp_G(s, z, mp):
    """High-precision reference: z*U(1,2-s,z) via mpmath.hyperu AND via quadrature of
    int_0^inf e^{-u}(1+u/z)^{-s} du; both at 60 digits; they must agree."""
    with mp.workdps(60):
        s = mp.mpf(s); z = mp.mpf(z)
        h = z * mp.hyperu(1, 2 - s, z)
        f = lambda u: mp.exp(-u - s * mp.log1p(u / z))
        lo = min(z / s, z) * mp.mpf('1e-4')
        pts = [mp.mpf(0)]
        p = lo
        while p < 200:
            pts.append(p); p *= 10
        pts += [mp.mpf(200), mp.inf]
        q = mp.quad(f, pts)
        if abs(h - q) > mp.mpf('1e-30') * abs(q):
            raise AssertionError("reference disagreement s=%s z=%s: %s vs %s" % (s, z, h, q))
        return q


def _table(mp):
    S = [1e-3, 0.1, 0.5, 0.60621, 1.0, 1 + 1e-9, 1.5, 2.0, 10.0, 100.0, 1000.0]
    Z = [1e-8, 1e-4, 0.01, 0.1, 1.0, 10.0, 100.0, 1e4, 1e6]
    print("Relative error |G_double - G_ref| / G_ref   (rows s, cols z)")
    print("%-12s" % "s \\ z" + "".join("%10.0e" % z for z in Z))
    worst = 0.0
    for s in S:
        row = []
        for z in Z:
            ref = _mp_G(s, z, mp)
            val = G(s, z)
            e = float(abs(mp.mpf(val) - ref) / ref)
            worst = max(worst, e)
            row.append("%10.1e" % e)
        print("%-12r" % s + "".join(row))
    print("worst = %.2e" % worst)
    return worst


def _dense_test(mp, n=400, seed=1):
    import random
    rnd = random.Random(seed)
    worst = (0.0, None)
    for _ in range(n):
        s = 10 ** rnd.uniform(-3, 3)
        if rnd.random() < 0.2:   # near-integer s
            s = float(rnd.randint(1, 30)) + rnd.choice([-1, 1]) * 10 ** rnd.uniform(-15, -3)
        z = 10 ** rnd.uniform(-8, 6)
        if rnd.random() < 0.2:   # around the switch
            z = rnd.uniform(0.5, 2.0)
        ref = _mp_G(s, z, mp)
        e = float(abs(mp.mpf(G(s, z)) - ref) / ref)
        if e > worst[0]:
            worst = (e, (s, z))
    print("random test (%d points, s in [1e-3,1e3] incl. near-integers, z in [1e-8,1e6]): worst %.2e at %r"
          % (n, worst[0], worst[1]))


def _monotone_test():
    bad = 0
    for s in [1e-3, 0.3, 0.60621, 1.0, 1 + 1e-9, 1.7, 5.5, 19.99, 20.0, 250.0]:
        zs = [10 ** (-8 + 14 * i / 4000.0) for i in range(4001)]
        zs += [0.9 + 0.2 * i / 2000.0 for i in range(2001)]
        zs.sort()
        prev = math.inf
        for z in zs:
            v = G(s, z) / z
            if not (v <= prev) or not math.isfinite(v):
                bad += 1
            prev = v
    print("monotonicity: G(s,z)/z non-increasing on fine grids incl. the z=1 switch: violations =", bad)


def _pnbd_mp(r, alpha, s, beta, x, t_x, T, mp):
    """P(alive) and log-likelihood, via 2F1 (Fader-Hardie 2005 note eqs. 22-23) and via
    1-D quadrature; returns P(alive) (mp) after checking agreement."""
    r, alpha, s, beta, x, t_x, T = [mp.mpf(v) for v in (r, alpha, s, beta, x, t_x, T)]
    rsx = r + s + x
    if alpha >= beta:
        F = lambda t: mp.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t)) / (alpha + t) ** rsx
    else:
        F = lambda t: mp.hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + t)) / (beta + t) ** rsx
    A0 = F(t_x) - F(T)
    term2_h = s / rsx * A0
    term2_q = s * mp.quad(lambda y: (alpha + y) ** (-(r + x)) * (beta + y) ** (-(s + 1)), [t_x, T]) \
        if T > t_x else mp.mpf(0)
    if abs(term2_h - term2_q) > mp.mpf('1e-35') * abs(term2_q) + mp.mpf('1e-70'):
        raise AssertionError("A0 mismatch")
    term1 = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s)
    pal = term1 / (term1 + term2_q)
    C = mp.gamma(r + x) * alpha ** r * beta ** s / mp.gamma(r)
    L = C * (term1 + term2_q)
    return pal, L


def _dert_reference(mp):
    mp.mp.dps = 50
    r, alpha, s, beta = 0.55328, 10.578, 0.60621, 11.668
    custs = [(0, 0.0, 38.86), (2, 30.43, 38.86), (10, 38.0, 38.86), (1, 1.71, 38.86)]
    deltas = [1e-4, 0.0027, math.log(1.15) / 52, 0.1, 10.0]
    print("\nCDNOW Pareto/NBD (r, alpha, s, beta) = (%r, %r, %r, %r)" % (r, alpha, s, beta))
    for (x, t_x, T) in custs:
        pal, L = _pnbd_mp(r, alpha, s, beta, x, t_x, T, mp)
        print("x=%d t_x=%r T=%r   P(alive)=%s   ln L=%s" % (x, t_x, T, mp.nstr(pal, 17), mp.nstr(mp.log(L), 17)))
        for d in deltas:
            dm = mp.mpf(d)
            z = dm * (mp.mpf(beta) + mp.mpf(T))
            # form 1: P(alive)*(r+x)/(alpha+T)*G/delta
            Gz = z * mp.hyperu(1, 2 - mp.mpf(s), z)
            d1 = pal * (mp.mpf(r) + x) / (mp.mpf(alpha) + mp.mpf(T)) * Gz / dm
            # form 2: published FHL (2005) eq. 2 with Psi(s,s;z) = U(s,s,z) = e^z Gamma(1-s,z)
            sm = mp.mpf(s)
            d2 = (mp.mpf(alpha) ** r * mp.mpf(beta) ** sm * dm ** (sm - 1) * mp.gamma(mp.mpf(r) + x + 1)
                  * mp.hyperu(sm, sm, z) / (mp.gamma(r) * (mp.mpf(alpha) + T) ** (mp.mpf(r) + x + 1) * L))
            d3 = (mp.mpf(alpha) ** r * mp.mpf(beta) ** sm * dm ** (sm - 1) * mp.gamma(mp.mpf(r) + x + 1)
                  * mp.exp(z) * mp.gammainc(1 - sm, z) / (mp.gamma(r) * (mp.mpf(alpha) + T) ** (mp.mpf(r) + x + 1) * L))
            rel12 = abs(d1 - d2) / d1
            rel13 = abs(d1 - d3) / d1
            # double precision with exact P(alive)
            dd = dert(r, alpha, s, beta, x, t_x, T, d, float(pal))
            print("   delta=%-22r DERT=%s   (|eq2-form|/DERT=%s, gammainc-form %s, double rel err %.1e)"
                  % (d, mp.nstr(d1, 17), mp.nstr(rel12, 2), mp.nstr(rel13, 2), float(abs(dd - d1) / d1)))
        for H in [52.0, 104.0, 520.0]:
            d = 0.0027
            b = mp.mpf(beta) + T
            fh = mp.quad(lambda t: mp.exp(-d * t) * (1 + t / b) ** (-mp.mpf(s)), [0, H])
            v = pal * (mp.mpf(r) + x) / (mp.mpf(alpha) + T) * fh
            vd = float(pal) * (r + x) / (alpha + T) * finite_horizon_factor(s, beta + T, d, H)
            print("   finite horizon H=%g, delta=0.0027: %s   (double rel err %.1e)"
                  % (H, mp.nstr(v, 17), float(abs(vd - v) / v)))


def _fh_test(mp):
    import random
    rnd = random.Random(7)
    worst = (0.0, None)
    for _ in range(300):
        s = 10 ** rnd.uniform(-3, 3)
        b = 10 ** rnd.uniform(-1, 4)
        d = 10 ** rnd.uniform(-8, 1)
        H = 10 ** rnd.uniform(-3, 4)
        if rnd.random() < 0.1:
            d = 0.0
        with mp.workdps(40):
            sm, bm, dm, Hm = mp.mpf(s), mp.mpf(b), mp.mpf(d), mp.mpf(H)
            f = lambda t: mp.exp(-dm * t - sm * mp.log1p(t / bm))
            pts = [0] + [p for p in [b / s * 1e-3, b / s * 1e-2, b / s * 0.1, b / s, b, 10 * b, 100 * b, 1 / d if d else 0]
                         if 0 < p < H] + [H]
            ref = mp.quad(f, sorted(set(pts)))
        val = finite_horizon_factor(s, b, d, H)
        e = float(abs(mp.mpf(val) - ref) / ref)
        if e > worst[0]:
            worst = (e, (s, b, d, H))
    print("finite horizon random test (300 pts): worst rel err %.2e at (s,b,delta,H)=%r" % worst)


if __name__ == "__main__":
    import mpmath as mp
    mp.mp.dps = 50
    _table(mp)
    _dense_test(mp)
    _monotone_test()
    _fh_test(mp)
    _dert_reference(mp)
