#!/usr/bin/env python3
"""
Pareto/NBD and BG/NBD / MBG/NBD (conditional) PMF: closed forms, a float64
reference of the recommended numerically-stable scheme, and independent
verification by direct numerical integration over the latent rates.

Run:  /tmp/research/venv/bin/python /tmp/research/pnbd_pmf.py            (closed forms + numpy integration)
      /tmp/research/venv/bin/python /tmp/research/pnbd_pmf.py --mpquad   (adds slow mpmath.quad spot checks)

Needs mpmath (+ numpy/scipy for the grid integration and float64 demo).

Notation (new customer, window (0,t]):
  lambda ~ Gamma(r, rate alpha), mu ~ Gamma(s, rate beta)
  Q(n) = P(X(t)=n | r, alpha, s, beta)
Conditional on history (x, t_x, T), window (T, T+t]:
  P(n) = PA * Q(n; r+x, alpha+T, s, beta+T) + (1-PA) * [n==0]
"""
import sys, math, time
import mpmath as mp

DPS = 40
mp.mp.dps = DPS

# ---------------------------------------------------------------------------
# 1. Pareto/NBD closed forms (mpmath, high precision)
# ---------------------------------------------------------------------------

def _branch(n, r, al, s, be, t):
    """Pick the 2F1 branch so that all arguments lie in [0,1)."""
    if al >= be:
        M, m, bstar = al, be, s + 1          # 2F1(., s+1; r+s+n+1; (alpha-beta)/(alpha+.))
    else:
        M, m, bstar = be, al, r + n          # 2F1(., r+n; r+s+n+1; (beta-alpha)/(beta+.))
    return M, m, bstar


def pnbd_term1(n, r, al, s, be, t):
    """Alive-through-t part:  NB(n; r, alpha, t) * (beta/(beta+t))^s."""
    return mp.exp(mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)
                  + r * mp.log(al / (al + t)) + n * mp.log(t / (al + t))
                  + s * mp.log(be / (be + t)))


def pnbd_pref(n, r, al, s, be):
    """alpha^r beta^s B(r+n, s+1) / B(r, s)."""
    return mp.exp(r * mp.log(al) + s * mp.log(be) + mp.log(mp.beta(r + n, s + 1)) - mp.log(mp.beta(r, s)))


def pnbd_Q_published(n, r, al, s, be, t):
    """Fader & Hardie form:  term1 + pref * { B1 - sum_{i=0}^n Gamma(r+s+i)/Gamma(r+s) t^i/i! B2(i) }.
    Direct 2F1 evaluation for every i (no recurrence)."""
    r, al, s, be, t = map(mp.mpf, (r, al, s, be, t))
    M, m, bstar = _branch(n, r, al, s, be, t)
    c = r + s + n + 1
    B1 = mp.hyp2f1(r + s, bstar, c, (M - m) / M) / M ** (r + s)
    S = mp.mpf(0)
    for i in range(n + 1):
        coef = mp.exp(mp.loggamma(r + s + i) - mp.loggamma(r + s) - mp.loggamma(i + 1)) * t ** i
        B2 = mp.hyp2f1(r + s + i, bstar, c, (M - m) / (M + t)) / (M + t) ** (r + s + i)
        S += coef * B2
    return pnbd_term1(n, r, al, s, be, t) + pnbd_pref(n, r, al, s, be) * (B1 - S)


def pnbd_logQ2_tail(n, r, al, s, be, t, tol=None):
    """log of the 'died-in-(0,t]' part, computed as the all-positive tail
        B1 - S_n = M^{-(r+s)} * sum_{i>n} w_i F_i,
        w_i = Gamma(r+s+i)/(Gamma(r+s) i!) (M/(M+t))^{r+s} (t/(M+t))^i,
        F_i = 2F1(r+s+i, b*; r+s+n+1; z),  z = (M-m)/(M+t),
    with the elementary start values F_{n+1} = (1-z)^{-b*},
    F_{n+2} = (1-z)^{-b*-1} (1 - z + b* z / c) and the (forward-stable) Gauss
    contiguous recurrence in a, written for u_i = F_i (1-z)^{b*+i-n-1}:
        u_{i+1} = [ (c-a_i)(1-z) u_{i-1} + (2a_i - c + (b*-a_i) z) u_i ] / a_i ,  a_i = r+s+i.
    Terms are v_i u_i with v_i = w_i (1-z)^{-(b*+i-n-1)}, v_{i+1}/v_i = (r+s+i)/(i+1) * t/(m+t)."""
    r, al, s, be, t = map(mp.mpf, (r, al, s, be, t))
    if tol is None:
        tol = mp.mpf(10) ** (-(mp.mp.dps + 5))
    M, m, bstar = _branch(n, r, al, s, be, t)
    c = r + s + n + 1
    z = (M - m) / (M + t)
    omz = (m + t) / (M + t)                # 1 - z, computed without cancellation
    rho = t / (m + t)                      # asymptotic term ratio
    # log v_{n+1}
    logv = (mp.loggamma(r + s + n + 1) - mp.loggamma(r + s) - mp.loggamma(n + 2)
            + (r + s) * mp.log(M / (M + t)) + (n + 1) * mp.log(t / (M + t)) - bstar * mp.log(omz))
    u_prev, u_cur = mp.mpf(1), (omz + bstar * z / c)      # u_{n+1}, u_{n+2}
    vrel = mp.mpf(1)                                       # v_i / v_{n+1}
    total = u_prev
    i = n + 1
    while True:
        vrel *= (r + s + i) / (i + 1) * rho                # -> v_{i+1}/v_{n+1}
        i += 1
        term = vrel * u_cur
        total += term
        a = r + s + i
        u_prev, u_cur = u_cur, ((c - a) * omz * u_prev + (2 * a - c + (bstar - a) * z) * u_cur) / a
        if i > n + 3 and term < tol * total and (r + s + i) / (i + 1) * rho < 1:
            break
    return (r * mp.log(al) + s * mp.log(be) - (r + s) * mp.log(M)
            + mp.log(mp.beta(r + n, s + 1)) - mp.log(mp.beta(r, s)) + logv + mp.log(total))


def pnbd_Q(n, r, al, s, be, t):
    """Recommended form: term1 + exp(logQ2_tail)."""
    r, al, s, be, t = map(mp.mpf, (r, al, s, be, t))
    return pnbd_term1(n, r, al, s, be, t) + mp.exp(pnbd_logQ2_tail(n, r, al, s, be, t))


def pnbd_palive(r, al, s, be, x, tx, T):
    """P(alive at T | x, t_x, T) and 1-P(alive) (both without cancellation)."""
    r, al, s, be, tx, T = map(mp.mpf, (r, al, s, be, tx, T))
    M, m, bstar = (al, be, s + 1) if al >= be else (be, al, r + x)
    a_ = r + s + x
    c_ = r + s + x + 1
    A0 = (mp.hyp2f1(a_, bstar, c_, (M - m) / (M + tx)) / (M + tx) ** a_
          - mp.hyp2f1(a_, bstar, c_, (M - m) / (M + T)) / (M + T) ** a_)
    Z = s / (r + s + x) * (al + T) ** (r + x) * (be + T) ** s * A0
    return 1 / (1 + Z), Z / (1 + Z)


def pnbd_cond_pmf(n, r, al, s, be, x, tx, T, t, Qfun=pnbd_Q):
    pa, pd = pnbd_palive(r, al, s, be, x, tx, T)
    q = Qfun(n, mp.mpf(r) + x, mp.mpf(al) + T, s, mp.mpf(be) + T, t)
    return pa * q + (pd if n == 0 else 0)


def pnbd_cond_mean(r, al, s, be, x, tx, T, t):
    r, al, s, be, tx, T, t = map(mp.mpf, (r, al, s, be, tx, T, t))
    pa, _ = pnbd_palive(r, al, s, be, x, tx, T)
    return pa * (r + x) * (be + T) / ((al + T) * (s - 1)) * (1 - ((be + T) / (be + T + t)) ** (s - 1))


def pnbd_mean(r, al, s, be, t):
    r, al, s, be, t = map(mp.mpf, (r, al, s, be, t))
    return r * be / (al * (s - 1)) * (1 - (be / (be + t)) ** (s - 1))

# ---------------------------------------------------------------------------
# 2. BG/NBD and MBG/NBD closed forms
# ---------------------------------------------------------------------------

def bg_Q(n, r, al, a, b, t):
    """FHL (2005) eq. 8, with 1 - sum_{j<n} NB(j) = I_{t/(alpha+t)}(n, r)."""
    r, al, a, b, t = map(mp.mpf, (r, al, a, b, t))
    nb = mp.exp(mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)
                + r * mp.log(al / (al + t)) + n * mp.log(t / (al + t)))
    out = mp.beta(a, b + n) / mp.beta(a, b) * nb
    if n > 0:
        surv = mp.betainc(n, r, 0, t / (al + t), regularized=True)
        out += mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * surv
    return out


def bg_Q_published_sum(n, r, al, a, b, t):
    """Same but with the literal 1 - sum_{j<n} NB(j) (cross-check)."""
    r, al, a, b, t = map(mp.mpf, (r, al, a, b, t))
    NB = lambda j: mp.exp(mp.loggamma(r + j) - mp.loggamma(r) - mp.loggamma(j + 1)
                          + r * mp.log(al / (al + t)) + j * mp.log(t / (al + t)))
    out = mp.beta(a, b + n) / mp.beta(a, b) * NB(n)
    if n > 0:
        out += mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * (1 - sum(NB(j) for j in range(n)))
    return out


def bg_palive(r, al, a, b, x, tx, T, mbg=False):
    r, al, a, b, tx, T = map(mp.mpf, (r, al, a, b, tx, T))
    if mbg:
        Z = a / (b + x) * ((al + T) / (al + tx)) ** (r + x)
    else:
        Z = (a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)) if x > 0 else mp.mpf(0)
    return 1 / (1 + Z), Z / (1 + Z)


def bg_cond_pmf(n, r, al, a, b, x, tx, T, t, mbg=False):
    pa, pd = bg_palive(r, al, a, b, x, tx, T, mbg)
    bb = mp.mpf(b) + x + (1 if mbg else 0)
    return pa * bg_Q(n, mp.mpf(r) + x, mp.mpf(al) + T, a, bb, t) + (pd if n == 0 else 0)


def bg_cond_mean(r, al, a, b, x, tx, T, t, mbg=False):
    r, al, a, b, tx, T, t = map(mp.mpf, (r, al, a, b, tx, T, t))
    pa, _ = bg_palive(r, al, a, b, x, tx, T, mbg)
    bb = b + x + (1 if mbg else 0)
    return pa * (a + bb - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x)
                                           * mp.hyp2f1(r + x, bb, a + bb - 1, t / (al + T + t)))

# ---------------------------------------------------------------------------
# 3. Float64 reference of the recommended scheme (what a Rust port would do)
# ---------------------------------------------------------------------------

def pnbd_Q_f64(n, r, al, s, be, t, max_terms=1_000_000):
    lg = math.lgamma
    if al >= be:
        M, m, bstar = al, be, s + 1.0
    else:
        M, m, bstar = be, al, r + n
    c = r + s + n + 1.0
    z = (M - m) / (M + t)
    omz = (m + t) / (M + t)
    rho = t / (m + t)
    log_t1 = (lg(r + n) - lg(r) - lg(n + 1.0) + r * math.log(al / (al + t))
              + n * math.log(t / (al + t)) + s * math.log(be / (be + t)))
    logv = (lg(r + s + n + 1) - lg(r + s) - lg(n + 2.0) + (r + s) * math.log(M / (M + t))
            + (n + 1) * math.log(t / (M + t)) - bstar * math.log(omz))
    logpref = (r * math.log(al) + s * math.log(be) - (r + s) * math.log(M)
               + lg(r + n) + lg(s + 1) - lg(r + s + n + 1) - (lg(r) + lg(s) - lg(r + s)))
    u_prev, u_cur = 1.0, omz + bstar * z / c
    vrel, total, i = 1.0, 1.0, n + 1
    while True:
        vrel *= (r + s + i) / (i + 1) * rho
        i += 1
        term = vrel * u_cur
        total += term
        a = r + s + i
        u_prev, u_cur = u_cur, ((c - a) * omz * u_prev + (2 * a - c + (bstar - a) * z) * u_cur) / a
        if (i > n + 3 and term < 1e-17 * total and (r + s + i) / (i + 1) * rho < 1) or i - n > max_terms:
            break
        if total > 1e280:          # rescale (only happens far before the NB(r+s,.) mode)
            logv += math.log(total); vrel /= total; total = 1.0
    log_q2 = logpref + logv + math.log(total)
    hi, lo = max(log_t1, log_q2), min(log_t1, log_q2)
    return hi + math.log1p(math.exp(lo - hi)), i - n          # (log Q(n), number of tail terms)

# ---------------------------------------------------------------------------
# 4. Independent verification: direct integration over (lambda, mu) / (lambda, p)
# ---------------------------------------------------------------------------

def _expsinh_nodes(scale, h, tlo=-5.5, thi=3.6):
    import numpy as np
    k = np.arange(math.floor(tlo / h), math.ceil(thi / h) + 1)
    tau = k * h
    u = 0.5 * np.pi * np.sinh(tau)
    logx = math.log(scale) + u
    logw = logx + np.log(0.5 * np.pi * np.cosh(tau)) + math.log(h)   # log(dx)
    return logx, logw


def _tanhsinh01_nodes(h, tmax=4.0):
    import numpy as np
    k = np.arange(-math.ceil(tmax / h), math.ceil(tmax / h) + 1)
    tau = k * h
    u = 0.5 * np.pi * np.sinh(tau)
    logp = -np.logaddexp(0.0, -2 * u)          # p = 1/(1+e^{-2u})
    log1mp = -np.logaddexp(0.0, 2 * u)
    logcosh = np.abs(u) + np.log1p(np.exp(-2 * np.abs(u))) - math.log(2)
    logw = np.log(0.25 * np.pi * np.cosh(tau)) - 2 * logcosh + math.log(h)
    return logp, log1mp, logw


def pnbd_grid(r, al, s, be, t, nmax, hist=None, h=1 / 16):
    """Returns array P[n], n=0..nmax, computed by product exp-sinh quadrature of
        E[ P(N(t)=n | lambda, mu) ]  (new customer, hist=None), or
        E[ L_alive P_t(n) + [n=0] L_dead ] / E[ L_alive + L_dead ]  (hist=(x,tx,T)),
    with P_t(n|lambda,mu) = e^{-(l+m)t}(lt)^n/n! + mu lambda^n/(l+m)^{n+1} P(n+1,(l+m)t)."""
    import numpy as np
    from scipy.special import gammainc, gammaln
    if hist is None:
        x, tx, T = 0, 0.0, 0.0
    else:
        x, tx, T = hist
    llam, wlam = _expsinh_nodes((r + x) / (al + T), h)
    lmu, wmu = _expsinh_nodes(s / (be + T if hist is None else be + tx), h)
    LL, LM = np.meshgrid(llam, lmu, indexing="ij")
    lam, mu = np.exp(LL), np.exp(LM)
    k = lam + mu
    logk = np.log(k)
    logW = (r * math.log(al) + (r - 1) * LL - al * lam - math.lgamma(r) + wlam[:, None]
            + s * math.log(be) + (s - 1) * LM - be * mu - math.lgamma(s) + wmu[None, :])
    logA = logW + x * LL - k * T
    if hist is not None and T > tx:
        logD = logW + x * LL + LM - logk - k * tx + np.log(-np.expm1(-k * (T - tx)))
    else:
        logD = np.full_like(logA, -np.inf)
    shift = max(logA.max(), logD.max())
    A = np.exp(logA - shift)
    D = np.exp(logD - shift)
    den = A.sum() + D.sum() if hist is not None else math.exp(shift) * A.sum()
    out = []
    for n in range(nmax + 1):
        Pt = (np.exp(-k * t + n * (LL + math.log(t)) - gammaln(n + 1))
              + np.exp(LM - logk + n * (LL - logk)) * gammainc(n + 1, k * t))
        num = (A * Pt).sum() + (D.sum() if n == 0 else 0.0)
        out.append(num / den if hist is not None else math.exp(shift) * num)
    return out


def bg_grid(r, al, a, b, x, tx, T, t, nmax, mbg=False, h=1 / 16):
    import numpy as np
    from scipy.special import gammainc, gammaln
    llam, wlam = _expsinh_nodes((r + x) / (al + T), h)
    lp, l1mp, wp = _tanhsinh01_nodes(h)
    LL, LP = np.meshgrid(llam, lp, indexing="ij")
    L1 = np.meshgrid(llam, l1mp, indexing="ij")[1]
    lam = np.exp(LL)
    logW = (r * math.log(al) + (r - 1) * LL - al * lam - math.lgamma(r) + wlam[:, None]
            + (a - 1) * LP + (b - 1) * L1 - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)) + wp[None, :])
    if mbg:
        logA = logW + x * LL - lam * T + (x + 1) * L1
        logD = logW + x * LL - lam * tx + LP + x * L1
    else:
        logA = logW + x * LL - lam * T + x * L1
        logD = (logW + x * LL - lam * tx + LP + (x - 1) * L1) if x > 0 else np.full_like(logA, -np.inf)
    shift = max(logA.max(), logD.max())
    A, D = np.exp(logA - shift), np.exp(logD - shift)
    den = A.sum() + D.sum()
    out = []
    for n in range(nmax + 1):
        if n == 0:
            Pt = np.exp(-lam * t)
        else:
            pois = np.exp(-lam * t + n * (LL + math.log(t)) - gammaln(n + 1))
            Pt = np.exp(n * L1) * pois + np.exp(LP + (n - 1) * L1) * gammainc(n, lam * t)
        num = (A * Pt).sum() + (D.sum() if n == 0 else 0.0)
        out.append(num / den)
    return out

# ---------------------------------------------------------------------------
# 5. mpmath.quad spot checks (slow: ~1 min each at dps=20)
# ---------------------------------------------------------------------------

def _Plow(m, x):
    """Regularized lower incomplete gamma P(m, x) for integer m >= 1 (mpmath)."""
    if x < m + 5:
        term = x ** m / mp.factorial(m); ssum = term; i = m
        while True:
            i += 1; term *= x / i; ssum += term
            if term < ssum * mp.mpf(10) ** (-mp.mp.dps - 3):
                break
        return mp.exp(-x) * ssum
    term = mp.mpf(1); ssum = term
    for i in range(1, m):
        term *= x / i; ssum += term
    return 1 - mp.exp(-x) * ssum


def _Pt(n, lam, mu, t):
    k = lam + mu
    return mp.exp(-k * t) * (lam * t) ** n / mp.factorial(n) + mu * lam ** n / k ** (n + 1) * _Plow(n + 1, k * t)


def _Pt_tauquad(n, lam, mu, t):
    """The same quantity by quadrature over the death time tau (definition)."""
    f = lambda tau: mu * mp.exp(-mu * tau) * mp.exp(-lam * tau) * (lam * tau) ** n / mp.factorial(n)
    return mp.exp(-mu * t) * mp.exp(-lam * t) * (lam * t) ** n / mp.factorial(n) + mp.quad(f, [0, t])


def _gpdf(x, sh, rate):
    return mp.exp(sh * mp.log(rate) + (sh - 1) * mp.log(x) - rate * x - mp.loggamma(sh))


def pnbd_mpquad_new(n, r, al, s, be, t):
    r, al, s, be, t = map(mp.mpf, (r, al, s, be, t))
    f = lambda lam, mu: _gpdf(lam, r, al) * _gpdf(mu, s, be) * _Pt(n, lam, mu, t)
    return mp.quad(f, [0, r / al, 1, mp.inf], [0, s / be, 1, mp.inf])


def pnbd_mpquad_cond(ns, r, al, s, be, x, tx, T, t):
    r, al, s, be, tx, T, t = map(mp.mpf, (r, al, s, be, tx, T, t))
    c1, c2 = (r + x) / (al + T), s / (be + tx)

    def LA(lam, mu):
        return _gpdf(lam, r, al) * _gpdf(mu, s, be) * lam ** x * mp.exp(-(lam + mu) * T)

    def LD(lam, mu):
        k = lam + mu
        return _gpdf(lam, r, al) * _gpdf(mu, s, be) * lam ** x * mu / k * mp.exp(-k * tx) * (-mp.expm1(-k * (T - tx)))
    dom = ([0, c1, 4 * c1, mp.inf], [0, c2, 4 * c2, mp.inf])
    den = mp.quad(lambda l, m_: LA(l, m_) + LD(l, m_), *dom)
    out = {}
    for n in ns:
        if n == 0:
            num = mp.quad(lambda l, m_: LA(l, m_) * _Pt(0, l, m_, t) + LD(l, m_), *dom)
        else:
            num = mp.quad(lambda l, m_: LA(l, m_) * _Pt(n, l, m_, t), *dom)
        out[n] = num / den
    return out


def bg_mpquad_cond(ns, r, al, a, b, x, tx, T, t, mbg=False):
    r, al, a, b, tx, T, t = map(mp.mpf, (r, al, a, b, tx, T, t))
    lB = mp.log(mp.beta(a, b))

    def wts(lam, p):
        return _gpdf(lam, r, al) * mp.exp((a - 1) * mp.log(p) + (b - 1) * mp.log1p(-p) - lB)

    def LA(lam, p):
        return wts(lam, p) * lam ** x * mp.exp(-lam * T) * (1 - p) ** (x + (1 if mbg else 0))

    def LD(lam, p):
        if mbg:
            return wts(lam, p) * lam ** x * mp.exp(-lam * tx) * p * (1 - p) ** x
        return wts(lam, p) * lam ** x * mp.exp(-lam * tx) * p * (1 - p) ** (x - 1) if x > 0 else mp.mpf(0)

    def Pt(n, lam, p):
        if n == 0:
            return mp.exp(-lam * t)
        pois = mp.exp(-lam * t) * (lam * t) ** n / mp.factorial(n)
        return (1 - p) ** n * pois + p * (1 - p) ** (n - 1) * (1 - mp.exp(-lam * t) * sum((lam * t) ** j / mp.factorial(j) for j in range(n)))
    c1 = (r + x) / (al + T)
    dom = ([0, c1, 4 * c1, mp.inf], [0, 1])
    den = mp.quad(lambda l, p: LA(l, p) + LD(l, p), *dom)
    out = {}
    for n in ns:
        num = mp.quad(lambda l, p: LA(l, p) * Pt(n, l, p) + (LD(l, p) if n == 0 else 0), *dom)
        out[n] = num / den
    return out

# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def s17(v):
    return mp.nstr(v, 17, min_fixed=-5, max_fixed=5)


def main():
    do_mpquad = "--mpquad" in sys.argv
    R, AL, S, BE = mp.mpf("0.55328"), mp.mpf("10.578"), mp.mpf("0.60621"), mp.mpf("11.668")
    custs = [(2, mp.mpf("30.43"), mp.mpf("38.86")), (0, mp.mpf(0), mp.mpf("38.86")),
             (10, mp.mpf("38.0"), mp.mpf("38.86")), (1, mp.mpf("1.71"), mp.mpf("38.86"))]
    psets = {"CDNOW (alpha<beta branch)": (R, AL, S, BE),
             "swapped alpha=11.668, beta=10.578 (alpha>beta branch)": (R, BE, S, AL),
             "alpha=beta=10.578": (R, AL, S, AL)}
    worst = {"published_vs_tail": 0, "grid": 0}

    print("=" * 100)
    print("A. New-customer Q(n) = P(X(t)=n), t=39")
    for name, (r, al, s, be) in psets.items():
        print("--", name, " r,alpha,s,beta =", [float(v) for v in (r, al, s, be)])
        grid = pnbd_grid(float(r), float(al), float(s), float(be), 39.0, 10)
        for n in [0, 1, 2, 5, 10]:
            q = pnbd_Q(n, r, al, s, be, 39)
            qp = pnbd_Q_published(n, r, al, s, be, 39)
            worst["published_vs_tail"] = max(worst["published_vs_tail"], abs(qp / q - 1))
            rg = abs(grid[n] / float(q) - 1)
            worst["grid"] = max(worst["grid"], rg)
            print(f"  n={n:2d}  Q={s17(q)}   |published/tail-1|={float(abs(qp/q-1)):.1e}   |grid/closed-1|={rg:.1e}")
        # normalisation and mean
        N = 400
        qs = [pnbd_Q(n, r, al, s, be, 39) for n in range(N)]
        print(f"  sum_(n<{N}) Q = 1 - {mp.nstr(1 - mp.fsum(qs), 3)};  sum n Q = {s17(mp.fsum(n * q for n, q in enumerate(qs)))}"
              f"  vs E[X(t)] = {s17(pnbd_mean(r, al, s, be, 39))}")

    print("=" * 100)
    print("B. Conditional pmf P(X(T,T+t]=n | x,t_x,T), n=0..5")
    for name, (r, al, s, be) in psets.items():
        for (x, tx, T) in custs:
            pa, pd = pnbd_palive(r, al, s, be, x, tx, T)
            for t in ([39, 13] if name.startswith("CDNOW") else [39]):
                grid = pnbd_grid(float(r), float(al), float(s), float(be), float(t), 5, hist=(x, float(tx), float(T)))
                print(f"-- {name}; (x,t_x,T)=({x},{float(tx)},{float(T)}), t={t}; P(alive)={s17(pa)}")
                for n in range(6):
                    v = pnbd_cond_pmf(n, r, al, s, be, x, tx, T, t)
                    vp = pnbd_cond_pmf(n, r, al, s, be, x, tx, T, t, Qfun=pnbd_Q_published)
                    worst["published_vs_tail"] = max(worst["published_vs_tail"], abs(vp / v - 1))
                    rg = abs(grid[n] / float(v) - 1)
                    worst["grid"] = max(worst["grid"], rg)
                    print(f"   n={n}  P={s17(v)}   |grid/closed-1|={rg:.1e}")
                N = 200
                ps = [pnbd_cond_pmf(n, r, al, s, be, x, tx, T, t) for n in range(N)]
                em = pnbd_cond_mean(r, al, s, be, x, tx, T, t)
                sm = mp.fsum(n * p for n, p in enumerate(ps))
                print(f"   sum_(n<{N}) P = 1 - {mp.nstr(1 - mp.fsum(ps), 3)};  sum n P = {s17(sm)};  "
                      f"E formula = {s17(em)};  rel diff {mp.nstr(abs(sm / em - 1), 3)}")

    print("=" * 100)
    print("C. float64 scheme (pnbd_Q_f64, tail-only) vs mpmath tail form (dps 40); published form at raised precision as 2nd reference")
    wf = 0
    cases = [((0.55328, 10.578, 0.60621, 11.668), [0.5, 39.0, 400.0], [0, 1, 3, 10, 40, 150, 600]),
             ((0.55328, 11.668, 0.60621, 10.578), [0.5, 39.0, 400.0], [0, 1, 3, 10, 40, 150, 600]),
             ((0.55328, 10.578, 0.60621, 10.578), [0.5, 39.0, 400.0], [0, 1, 3, 10, 40, 150, 600]),
             ((2.5, 0.3, 0.2, 40.0), [0.5, 39.0, 400.0], [0, 1, 3, 10, 40, 150, 600]),
             ((0.1, 200.0, 3.0, 0.05), [0.5, 39.0], [0, 1, 3, 10, 40, 150, 600]),
             ((0.1, 200.0, 3.0, 0.05), [400.0], [0, 3])]
    for (r, al, s, be), ts, ns in cases:
        for t in ts:
            for n in ns:
                lqf, nterms = pnbd_Q_f64(n, r, al, s, be, t)
                qm = pnbd_Q(n, r, al, s, be, t)
                rel = float(abs(mp.expm1(mp.mpf(lqf) - mp.log(qm))))
                wf = max(wf, rel)
                line = f"  {str((r, al, s, be)):34s} t={t:5.1f} n={n:3d}  Q={mp.nstr(qm, 12):>22s}  f64 rel.err={rel:.1e}  tail terms={nterms}"
                if n <= 150:
                    # second reference: the published difference form with enough guard digits
                    r_, al_, s_, be_ = map(mp.mpf, (r, al, s, be))
                    M = max(al_, be_)
                    lost = int(max(0, float(mp.log10(pnbd_pref(n, r_, al_, s_, be_) / M ** (r_ + s_) / qm)))) + 5
                    with mp.workdps(40 + lost):
                        qp = pnbd_Q_published(n, r, al, s, be, t)
                    line += f"  |published(dps {40 + lost})/tail-1|={float(abs(qp / qm - 1)):.0e}"
                print(line)
    print(f"  worst relative error of the float64 tail-only scheme: {wf:.2e}")
    print("=" * 100)
    print("D. BG/NBD and MBG/NBD, r=0.243 alpha=4.414 a=0.793 b=2.426, (x,t_x,T)=(2,30.43,38.86), t=39")
    rb, alb, ab, bb = mp.mpf("0.243"), mp.mpf("4.414"), mp.mpf("0.793"), mp.mpf("2.426")
    for mbg in (False, True):
        lab = "MBG/NBD" if mbg else "BG/NBD"
        pa, _ = bg_palive(rb, alb, ab, bb, 2, mp.mpf("30.43"), mp.mpf("38.86"), mbg)
        grid = bg_grid(0.243, 4.414, 0.793, 2.426, 2, 30.43, 38.86, 39.0, 4, mbg=mbg)
        print(f"-- {lab}: P(alive)={s17(pa)}")
        for n in range(5):
            v = bg_cond_pmf(n, rb, alb, ab, bb, 2, mp.mpf("30.43"), mp.mpf("38.86"), 39, mbg)
            rg = abs(grid[n] / float(v) - 1)
            worst["grid"] = max(worst["grid"], rg)
            print(f"   n={n}  P={s17(v)}   |grid/closed-1|={rg:.1e}")
        ps = [bg_cond_pmf(n, rb, alb, ab, bb, 2, mp.mpf("30.43"), mp.mpf("38.86"), 39, mbg) for n in range(200)]
        em = bg_cond_mean(rb, alb, ab, bb, 2, mp.mpf("30.43"), mp.mpf("38.86"), 39, mbg)
        sm = mp.fsum(n * p for n, p in enumerate(ps))
        print(f"   sum P = 1 - {mp.nstr(1 - mp.fsum(ps), 3)};  sum n P = {s17(sm)};  E formula = {s17(em)};  rel diff {mp.nstr(abs(sm/em-1), 3)}")
        d = max(abs(bg_Q(n, 2.243, 43.274, 0.793, 4.426, 39) / bg_Q_published_sum(n, 2.243, 43.274, 0.793, 4.426, 39) - 1) for n in range(8))
        print(f"   betainc form vs literal 1-sum form: max rel diff {mp.nstr(d, 3)}")

    print("=" * 100)
    print(f"worst |published-form / tail-form - 1| = {float(worst['published_vs_tail']):.1e}")
    print(f"worst |numpy-grid-integration / closed-form - 1| = {worst['grid']:.1e}")

    if do_mpquad:
        print("=" * 100)
        print("E. mpmath.quad spot checks (dps=20)")
        mp.mp.dps = 20
        t0 = time.time()
        for lam, mu in [(0.05, 0.01), (2, 0.001)]:
            for n in (0, 3):
                a_, b_ = _Pt(n, mp.mpf(lam), mp.mpf(mu), 39), _Pt_tauquad(n, mp.mpf(lam), mp.mpf(mu), 39)
                print(f"  inner check lambda={lam} mu={mu} n={n}: closed {mp.nstr(a_, 15)}  tau-quad {mp.nstr(b_, 15)}")
        checks = []
        v = pnbd_mpquad_new(1, R, AL, S, BE, 39); checks.append(("PNBD new n=1 CDNOW", v, pnbd_Q(1, R, AL, S, BE, 39)))
        v = pnbd_mpquad_new(2, R, BE, S, AL, 39); checks.append(("PNBD new n=2 swapped", v, pnbd_Q(2, R, BE, S, AL, 39)))
        res = pnbd_mpquad_cond([0, 2], R, AL, S, BE, 2, mp.mpf("30.43"), mp.mpf("38.86"), 39)
        for n in res:
            checks.append((f"PNBD cond (2,30.43,38.86) t=39 n={n}", res[n], pnbd_cond_pmf(n, R, AL, S, BE, 2, mp.mpf("30.43"), mp.mpf("38.86"), 39)))
        res = pnbd_mpquad_cond([1], R, AL, S, AL, 0, 0, mp.mpf("38.86"), 13)
        checks.append(("PNBD cond alpha=beta (0,0,38.86) t=13 n=1", res[1], pnbd_cond_pmf(1, R, AL, S, AL, 0, 0, mp.mpf("38.86"), 13)))
        for mbg in (False, True):
            res = bg_mpquad_cond([0, 2], rb, alb, ab, bb, 2, mp.mpf("30.43"), mp.mpf("38.86"), 39, mbg)
            for n in res:
                checks.append((("MBG" if mbg else "BG") + f" cond n={n}", res[n], bg_cond_pmf(n, rb, alb, ab, bb, 2, mp.mpf("30.43"), mp.mpf("38.86"), 39, mbg)))
        for lab, q, c in checks:
            print(f"  {lab:45s} quad={mp.nstr(q, 17)}  closed={mp.nstr(c, 17)}  rel={mp.nstr(abs(q / c - 1), 2)}")
        print(f"  ({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
