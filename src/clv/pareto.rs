//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchases Poisson(λ), λ ~ Gamma(r, α);
//! lifetimes exponential(μ), μ ~ Gamma(s, β). The likelihood follows Fader & Hardie's 2005 note
//! ("A Note on Deriving the Pareto/NBD Model and Related Expressions", eq. 19–22), evaluated in log
//! space with a series that cannot overflow, and by quadrature where that series would be slow.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clv::boundary::Limit;
use crate::clv::data::CountData;
use crate::clv::fit::{
    FitOptions, LimitSpec, NO_DROPOUT, POISSON, Problem, Sample, jacobian, maximise, rate_shapes, sample_step,
};
use crate::clv::kind::ModelKind;
use crate::clv::model::{Fitted, PurchaseModel, forward_logit_gradient};
use crate::clv::special::{
    digamma_difference, discount_g, gauss_kronrod_n, ln_beta, ln_euler_series, ln_euler_series_with_derivatives,
    ln_gamma, ln_gamma_ratio, log_add_exp, log_sub_exp,
};
use crate::error::Result;

/// Pareto/NBD parameters: λ ~ Gamma(shape r, rate α), μ ~ Gamma(shape s, rate β), rates per time
/// unit.
///
/// ```
/// use retention::clv::{ParetoNbd, PurchaseModel};
/// // Fader & Hardie's CDNOW estimates; a frequent buyer seen a moment ago is almost surely alive.
/// let m = ParetoNbd { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };
/// assert!((m.p_alive(26.0, 30.86, 31.0) - 0.9979).abs() < 1e-4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Rate (per time unit) of the purchase-rate distribution.
    pub alpha: f64,
    /// Shape of the dropout-rate distribution.
    pub s: f64,
    /// Rate (per time unit) of the dropout-rate distribution.
    pub beta: f64,
}

/// For each cell of some data, where its two tails I(t_x) and I(T) sit in a list of the distinct
/// (x, day) pairs: built once per fit, so a likelihood pass computes each tail once.
struct TailIndex {
    keys: Vec<(u32, u32)>,
    /// The ranges of `keys` that share an x, in order.
    groups: Vec<std::ops::Range<usize>>,
    cells: Vec<(u32, u32)>,
}

impl TailIndex {
    fn new(data: &CountData) -> TailIndex {
        let mut keys: Vec<(u32, u32)> = data.cells().iter().flat_map(|c| [(c.x, c.t_x), (c.x, c.age)]).collect();
        keys.par_sort_unstable();
        keys.dedup();
        let at = |key: (u32, u32)| keys.binary_search(&key).map_or(0, |i| i as u32);
        let cells = data.cells().par_iter().map(|c| (at((c.x, c.t_x)), at((c.x, c.age)))).collect();
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            match groups.last_mut() {
                Some(last) if keys[last.start].0 == key.0 => last.end = i + 1,
                _ => groups.push(i..i + 1),
            }
        }
        TailIndex { keys, groups, cells }
    }
}

/// The limits of the Pareto/NBD parameter space (r, α, s, β) as reduced models (see
/// `clv::boundary`): s = 0 (nobody drops out: NBD; β plays no part and is set to 1); s, β at the
/// point-mass shape K with the dropout rate μ = s/β free (NBD purchases, exponential lifetime);
/// r, α at K with the purchase rate λ = r/α free; and the combinations.
const PARETO_LIMITS: [LimitSpec; 5] = [
    NO_DROPOUT,
    LimitSpec {
        limits: &[Limit::OneDropoutRate],
        names: &["r", "alpha", "mu"],
        embed: |v| {
            let (s, beta, dbeta) = rate_shapes(v[2]);
            (
                vec![v[0], v[1], s, beta],
                jacobian(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0, 0.0, 0.0], &[0.0, 0.0, dbeta]]),
            )
        },
        project: |p| vec![p[0], p[1], p[2] / p[3]],
        report: |v| vec![("r".into(), v[0]), ("alpha".into(), v[1]), ("mu".into(), v[2])],
    },
    LimitSpec {
        limits: &[Limit::OnePurchaseRate],
        names: &["lambda", "s", "beta"],
        embed: |v| {
            let (r, alpha, dalpha) = rate_shapes(v[0]);
            (
                vec![r, alpha, v[1], v[2]],
                jacobian(&[&[0.0, 0.0, 0.0], &[dalpha, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0, 0.0, 1.0]]),
            )
        },
        project: |p| vec![p[0] / p[1], p[2], p[3]],
        report: |v| vec![("lambda".into(), v[0]), ("s".into(), v[1]), ("beta".into(), v[2])],
    },
    LimitSpec {
        limits: &[Limit::OnePurchaseRate, Limit::OneDropoutRate],
        names: &["lambda", "mu"],
        embed: |v| {
            let (r, alpha, dalpha) = rate_shapes(v[0]);
            let (s, beta, dbeta) = rate_shapes(v[1]);
            (vec![r, alpha, s, beta], jacobian(&[&[0.0, 0.0], &[dalpha, 0.0], &[0.0, 0.0], &[0.0, dbeta]]))
        },
        project: |p| vec![p[0] / p[1], p[2] / p[3]],
        report: |v| vec![("lambda".into(), v[0]), ("mu".into(), v[1])],
    },
    POISSON,
];

/// Above this argument the ₂F₁ series needs hundreds of terms; the integral is cheaper and exact.
const SERIES_LIMIT: f64 = 0.95;

impl ParetoNbd {
    /// ln of the two parts of the likelihood without the common factor Γ(r+x)/Γ(r), each carrying
    /// αʳβˢ in normalised form so that no term grows with the shapes:
    /// alive = −r ln(1 + T/α) − x ln(α+T) − s ln(1 + T/β) (still alive at T) and
    /// died = ln s + r ln α + s ln β + ln ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ (dropped out
    /// between t_x and T).
    ///
    /// Written as αʳ(α+T)^−(r+x) the first would subtract two numbers of size r·ln α: at the
    /// boundary "one dropout rate for everyone" (s, β → ∞, a fit's finding) s·ln β is 10⁷ and the
    /// difference would keep 9 digits. s = 0 (nobody drops out) leaves the first part alone.
    fn parts(&self, x: f64, t_x: f64, age: f64) -> (f64, f64) {
        (self.ln_alive(x, age), self.ln_died(x, t_x, age))
    }

    /// ln[αʳβˢ (α+T)^−(r+x) (β+T)^−s], normalised as in [`parts`](Self::parts).
    fn ln_alive(&self, x: f64, age: f64) -> f64 {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let mut v = -r * (age / alpha).ln_1p() - s * (age / beta).ln_1p();
        if x > 0.0 {
            v -= x * (alpha + age).ln();
        }
        v
    }

    /// ln s + ln of αʳβˢ ∫_{t₀}^{t₁} (α+τ)^−m (β+τ)^−(s+1) dτ, m = r + x. As a difference of two
    /// tails I(t₀) − I(t₁), with I(t) = (M+t)^−(m+s) ₂F₁(·, ·; m+s+1; z(t)) / (m+s),
    /// M = max(α, β), and the ₂F₁ of FH 2005 eq. 21 (α ≥ β: ₂F₁(m+s, s+1; m+s+1; (α−β)/(α+t));
    /// α < β: ₂F₁(m+s, m; m+s+1; (β−α)/(β+t))). The difference of logs is taken with
    /// `log_sub_exp`, and t₀ = t₁ (t_x = T, CLVTools 0.7.0) or s = 0 gives −∞, which the caller
    /// adds as zero.
    fn ln_died(&self, x: f64, t0: f64, t1: f64) -> f64 {
        if t1 <= t0 || self.s == 0.0 {
            return f64::NEG_INFINITY;
        }
        let integral = match (self.ln_tail(x, t0), self.ln_tail(x, t1)) {
            (Some(i0), Some(i1)) if i1 - i0 < -1e-6 => log_sub_exp(i0, i1),
            _ => self.ln_integral_by_quadrature(x, t0, t1),
        };
        self.s.ln() + integral
    }

    /// ln αʳβˢI(t), I(t) = ∫_t^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ, by its ₂F₁ series, or `None` where
    /// the series would be slow (z above `SERIES_LIMIT`) and the caller integrates the difference
    /// instead.
    ///
    /// FH 2005 eq. 21 is I(t) = (M+t)^−(m+s) ₂F₁(m+s, b; m+s+1; z) / (m+s), M = max(α, β)
    /// (α ≥ β: b = s+1, z = (α−β)/(α+t); α < β: b = m, z = (β−α)/(β+t)). Euler's factor
    /// (1 − z)^(1−b) of the ₂F₁ (see [`ln_euler_series`]) combines with αʳβˢ(M+t)^−(m+s) into
    /// the alive part at t, [`ln_alive`](Self::ln_alive), times (α+t)/(β+t) when α < β: in that
    /// form no two terms of size r·ln α or s·ln β are subtracted, which at the limits' shapes of
    /// 10⁸ would leave the likelihood noisy in its ninth digit and a limit fit unable to converge.
    fn ln_tail(&self, x: f64, t: f64) -> Option<f64> {
        let (z, c, extra) = self.tail_series_arguments(x, t);
        if z > SERIES_LIMIT {
            return None;
        }
        let a = self.r + x + self.s;
        Some(self.ln_alive(x, t) + extra + ln_euler_series(a, c, z).ok()? - a.ln())
    }

    /// The argument z of the tail's series, its c (the first parameter of its terms' rising
    /// factorial, m = r + x when α ≥ β, s + 1 when α < β) and the extra ln((α+t)/(β+t)) of the
    /// α < β branch.
    fn tail_series_arguments(&self, x: f64, t: f64) -> (f64, f64, f64) {
        let (alpha, beta) = (self.alpha, self.beta);
        if alpha >= beta {
            ((alpha - beta) / (alpha + t), self.r + x, 0.0)
        } else {
            ((beta - alpha) / (beta + t), self.s + 1.0, ((alpha + t) / (beta + t)).ln())
        }
    }

    /// ln αʳβˢ∫_{t₀}^{t₁} (α+τ)^−m (β+τ)^−(s+1) dτ by adaptive Gauss–Kronrod in
    /// v = ln((c + τ)/(c + t₀)), c = min(α, β), where the integrand's log has slope between
    /// −(m+s) and 1, so panels stay smooth for any parameters; the work is bounded by the
    /// quadrature's panel cap.
    fn ln_integral_by_quadrature(&self, x: f64, t0: f64, t1: f64) -> f64 {
        self.ln_integral::<1>(x, t0, t1)[0]
    }

    /// ln of the integrand in τ, normalised as in [`parts`](Self::parts):
    /// −r ln(1 + τ/α) − s ln(1 + τ/β) − ln(β+τ) − x ln(α+τ).
    fn ln_integrand(&self, x: f64, tau: f64) -> f64 {
        let mut v = -self.r * (tau / self.alpha).ln_1p() - self.s * (tau / self.beta).ln_1p() - (self.beta + tau).ln();
        if x > 0.0 {
            v -= x * (self.alpha + tau).ln();
        }
        v
    }

    /// ln αʳβˢ∫_{t₀}^{t₁} (α+τ)^−m (β+τ)^−(s+1) dτ (N = 1), or that and its gradient in
    /// (r, α, s, β) (N = 5), differentiated under the integral: each derivative of the log is the
    /// mean of the integrand's log-derivative weighted by the integrand, integrated on the same
    /// panels. The integrand is scaled by its larger end value so that it cannot overflow.
    ///
    /// The variable v = ln((c + τ)/(c + t₀)) starts at 0, so the nodes of a short interval keep
    /// their digits (in w = ln(c + τ) a one-day piece at c = 10⁴ is 10⁻⁴ wide at w ≈ 9 and its
    /// nodes carry a relative error of 10⁻¹¹, which the error estimate sees as noise and bisects
    /// to the panel cap), and τ = t₀ + (c + t₀)·expm1(v) is exact to rounding in τ.
    fn ln_integral<const N: usize>(&self, x: f64, t0: f64, t1: f64) -> [f64; N] {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let base = alpha.min(beta) + t0;
        let v1 = ((t1 - t0) / base).ln_1p();
        let tau_of = |v: f64| t0 + base * v.exp_m1();
        let reference = self.ln_integrand(x, t0).max(self.ln_integrand(x, t1) + v1);
        let integrals = gauss_kronrod_n::<N>(
            &|v| {
                let tau = tau_of(v);
                let g = (self.ln_integrand(x, tau) + v - reference).exp();
                let mut out = [g; N];
                if N == 5 {
                    out[1] = -g * (tau / alpha).ln_1p();
                    out[2] = g * (r * tau / (alpha * (alpha + tau)) - x / (alpha + tau));
                    out[3] = -g * (tau / beta).ln_1p();
                    out[4] = g * (s * tau / (beta * (beta + tau)) - 1.0 / (beta + tau));
                }
                out
            },
            0.0,
            v1,
        );
        let d = integrals[0];
        if d <= 0.0 || d.is_nan() {
            // Every node underflowed: an integral of 0 whose log has no gradient (not 0/0).
            let mut out = [0.0; N];
            out[0] = f64::NEG_INFINITY;
            return out;
        }
        let mut out = integrals.map(|v| v / d);
        out[0] = reference + base.ln() + d.ln();
        out
    }

    /// For one x and its sorted distinct days (in time units), ln ∫_{day}^{last day} of the
    /// integrand of [`ln_integral`](Self::ln_integral), with its gradient for N = 5: the pieces
    /// between neighbouring days by quadrature, summed from the last day back. A cell's
    /// integral from t_x to T is then the difference of two of these, which loses at most
    /// log₁₀((last day − t_x)/(T − t_x)) of its digits (the integrand decreases in τ, so the part beyond T
    /// is at most (last − T)/(T − t_x) times the part before it): at most four at 30 years of days.
    /// This is how the fit integrates where the ₂F₁ series would be slow (near the limits, where
    /// α or β is 10⁸ and z → 1 for every cell): one short integral (typically one panel) per distinct (x, day) instead of
    /// an adaptive integral per cell.
    fn truncated_tails<const N: usize>(&self, x: f64, days: &[f64]) -> Vec<[f64; N]> {
        let mut out = vec![[0.0; N]; days.len()];
        if let Some(last) = out.last_mut() {
            last[0] = f64::NEG_INFINITY;
        }
        for k in (0..days.len().saturating_sub(1)).rev() {
            let piece = self.ln_integral::<N>(x, days[k], days[k + 1]);
            let next = out[k + 1];
            let total = log_add_exp(piece[0], next[0]);
            out[k][0] = total;
            if total > f64::NEG_INFINITY {
                let (wp, wn) = ((piece[0] - total).exp(), (next[0] - total).exp());
                for j in 1..N {
                    out[k][j] = wp * piece[j] + wn * next[j];
                }
            }
        }
        out
    }

    /// Per key of `index`, the truncated tail of [`truncated_tails`](Self::truncated_tails) for
    /// every x whose ₂F₁ tails (`series`) are missing at some day; `None` for the others.
    fn truncated<const N: usize>(
        &self,
        index: &TailIndex,
        unit: f64,
        series: &[Option<[f64; N]>],
    ) -> Vec<Option<[f64; N]>> {
        let groups: Vec<Option<Vec<[f64; N]>>> = index
            .groups
            .par_iter()
            .map(|range| {
                let keys = &index.keys[range.clone()];
                series[range.clone()].iter().any(Option::is_none).then(|| {
                    let days: Vec<f64> = keys.iter().map(|&(_, day)| day as f64 / unit).collect();
                    self.truncated_tails::<N>(keys[0].0 as f64, &days)
                })
            })
            .collect();
        let mut out = Vec::with_capacity(index.keys.len());
        for (range, group) in index.groups.iter().zip(groups) {
            match group {
                Some(tails) => out.extend(tails.into_iter().map(Some)),
                None => out.extend(std::iter::repeat_n(None, range.len())),
            }
        }
        out
    }

    /// ln(D) for a cell, D = A − B the difference of two tails (each as its log and, for N = 5,
    /// the gradient of its log), the gradient (∇ln A − ρ∇ln B)/(1 − ρ), ρ = B/A; the ₂F₁ tails
    /// first, then the truncated ones, then (tails too close to subtract, ρ within 1e-6 of 1) the
    /// cell's own quadrature.
    fn ln_died_of<const N: usize>(
        &self,
        x: f64,
        t_x: f64,
        age: f64,
        series: [Option<&[f64; N]>; 2],
        truncated: [Option<&[f64; N]>; 2],
    ) -> [f64; N] {
        for [a, b] in [series, truncated] {
            if let (Some(a), Some(b)) = (a, b)
                && b[0] - a[0] < -1e-6
            {
                let rho = (b[0] - a[0]).exp();
                let mut v = [log_sub_exp(a[0], b[0]); N];
                for k in 1..N {
                    v[k] = (a[k] - rho * b[k]) / (1.0 - rho);
                }
                return v;
            }
        }
        self.ln_integral::<N>(x, t_x, age)
    }

    /// [`ln_tail`](Self::ln_tail) with its gradient in (r, α, s, β): the chain rule through
    /// a = r+x+s, c, z and the alive part, with the series' own derivatives from
    /// [`ln_euler_series_with_derivatives`]. `None` where the caller integrates instead.
    fn ln_tail_gradient(&self, x: f64, t: f64) -> Option<[f64; 5]> {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let (z, c, extra) = self.tail_series_arguments(x, t);
        if z > SERIES_LIMIT {
            return None;
        }
        let a = r + x + s;
        let [f, fa, fc, fz] = ln_euler_series_with_derivatives(a, c, z)?;
        let value = self.ln_alive(x, t) + extra + f - a.ln();
        // The alive part's derivatives.
        let (d_r, d_s) = (-(t / alpha).ln_1p() + fa - 1.0 / a, -(t / beta).ln_1p() + fa - 1.0 / a);
        let d_alpha = r * t / (alpha * (alpha + t)) - x / (alpha + t);
        let d_beta = s * t / (beta * (beta + t));
        Some(if alpha >= beta {
            // c = r + x; z = (α−β)/(α+t).
            let (dz_alpha, dz_beta) = ((beta + t) / ((alpha + t) * (alpha + t)), -1.0 / (alpha + t));
            [value, d_r + fc, d_alpha + fz * dz_alpha, d_s, d_beta + fz * dz_beta]
        } else {
            // c = s + 1; z = (β−α)/(β+t); the extra ln(α+t) − ln(β+t).
            let (dz_alpha, dz_beta) = (-1.0 / (beta + t), (alpha + t) / ((beta + t) * (beta + t)));
            [
                value,
                d_r,
                d_alpha + 1.0 / (alpha + t) + fz * dz_alpha,
                d_s + fc,
                d_beta - 1.0 / (beta + t) + fz * dz_beta,
            ]
        })
    }

    /// The data's log-likelihood and its gradient in (r, α, s, β), with every tail and its
    /// derivatives computed once per distinct (x, day), terms in x or in a day alone tabulated,
    /// cells summed in parallel in a fixed order.
    fn total_with_gradient(&self, data: &CountData, index: &TailIndex) -> (f64, [f64; 4]) {
        let unit = data.unit().days();
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let dies = s > 0.0;
        let tails: Vec<Option<[f64; 5]>> = if dies {
            index.keys.par_iter().map(|&(x, day)| self.ln_tail_gradient(x as f64, day as f64 / unit)).collect()
        } else {
            Vec::new()
        };
        let truncated = if dies { self.truncated(index, unit, &tails) } else { Vec::new() };
        let (ln_s, inv_s) = (s.ln(), 1.0 / s);
        let by_x: Vec<(f64, f64)> =
            (0..=data.max_x()).map(|x| (ln_gamma_ratio(r, x as f64), digamma_difference(r, x as f64))).collect();
        // Per day t: ln(1 + t/α), ln(1 + t/β), ln(α+t), t/(α(α+t)), 1/(α+t), t/(β(β+t)).
        let per_day: Vec<[f64; 6]> = (0..=data.max_age())
            .map(|d| {
                let t = d as f64 / unit;
                [
                    (t / alpha).ln_1p(),
                    (t / beta).ln_1p(),
                    (alpha + t).ln(),
                    t / (alpha * (alpha + t)),
                    1.0 / (alpha + t),
                    t / (beta * (beta + t)),
                ]
            })
            .collect();
        let parts: Vec<[f64; 5]> = data
            .cells()
            .par_chunks(4096)
            .zip(index.cells.par_chunks(4096))
            .map(|(cells, at)| {
                let mut acc = [0.0f64; 5];
                for (c, &(i0, i1)) in cells.iter().zip(at) {
                    let (x, t_x, age) = (c.x as f64, c.t_x as f64 / unit, c.age as f64 / unit);
                    let n = c.count as f64;
                    let day = &per_day[c.age as usize];
                    let xt = if c.x > 0 { x * day[2] } else { 0.0 };
                    let alive = -r * day[0] - s * day[1] - xt;
                    let d_alive = [-day[0], r * day[3] - x * day[4], -day[1], s * day[5]];
                    let died = if c.t_x == c.age || !dies {
                        None
                    } else {
                        let (i0, i1) = (i0 as usize, i1 as usize);
                        Some(self.ln_died_of(
                            x,
                            t_x,
                            age,
                            [tails[i0].as_ref(), tails[i1].as_ref()],
                            [truncated[i0].as_ref(), truncated[i1].as_ref()],
                        ))
                    };
                    let (g_x, dg_r) = by_x[c.x as usize];
                    match died {
                        Some(d) if d[0] > f64::NEG_INFINITY => {
                            let died = ln_s + d[0];
                            let total = log_add_exp(alive, died);
                            let (wa, wd) = ((alive - total).exp(), (died - total).exp());
                            acc[0] += n * (g_x + total);
                            acc[1] += n * (dg_r + wa * d_alive[0] + wd * d[1]);
                            acc[2] += n * (wa * d_alive[1] + wd * d[2]);
                            acc[3] += n * (wa * d_alive[2] + wd * (d[3] + inv_s));
                            acc[4] += n * (wa * d_alive[3] + wd * d[4]);
                        }
                        // No death term: t_x = T, s = 0, or an integral that underflowed to 0.
                        _ => {
                            acc[0] += n * (g_x + alive);
                            acc[1] += n * (dg_r + d_alive[0]);
                            for k in 1..4 {
                                acc[k + 1] += n * d_alive[k];
                            }
                        }
                    }
                }
                acc
            })
            .collect();
        let mut sum = [0.0f64; 5];
        for p in parts {
            for k in 0..5 {
                sum[k] += p[k];
            }
        }
        (sum[0], [sum[1], sum[2], sum[3], sum[4]])
    }

    /// The data's total log-likelihood, cells summed in parallel.
    pub fn total_log_likelihood(&self, data: &CountData) -> f64 {
        self.total(data, &TailIndex::new(data))
    }

    /// The total with every tail I(t) computed once per distinct (x, day) of the data (a cell
    /// needs the tails at its t_x and its T), then each cell in O(1); where the series is out of
    /// reach, truncated tails from one short integral per distinct (x, day)
    /// ([`truncated_tails`](Self::truncated_tails)), and only cells whose tails are too close to
    /// subtract integrate their own difference.
    fn total(&self, data: &CountData, index: &TailIndex) -> f64 {
        let unit = data.unit().days();
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let dies = s > 0.0;
        let tails: Vec<Option<[f64; 1]>> = if dies {
            index.keys.par_iter().map(|&(x, day)| self.ln_tail(x as f64, day as f64 / unit).map(|v| [v])).collect()
        } else {
            Vec::new()
        };
        let truncated = if dies { self.truncated(index, unit, &tails) } else { Vec::new() };
        let ln_s = s.ln();
        // Terms in x alone and in a day alone, once per pass.
        let ln_gamma_m: Vec<f64> = (0..=data.max_x()).map(|x| ln_gamma_ratio(r, x as f64)).collect();
        let alive_day: Vec<(f64, f64)> = (0..=data.max_age())
            .map(|d| {
                let t = d as f64 / unit;
                (-r * (t / alpha).ln_1p() - s * (t / beta).ln_1p(), (alpha + t).ln())
            })
            .collect();
        let parts: Vec<f64> = data
            .cells()
            .par_chunks(4096)
            .zip(index.cells.par_chunks(4096))
            .map(|(cells, at)| {
                cells
                    .iter()
                    .zip(at)
                    .map(|(c, &(i0, i1))| {
                        let (x, t_x, age) = (c.x as f64, c.t_x as f64 / unit, c.age as f64 / unit);
                        let (shapes, ln_alpha_t) = alive_day[c.age as usize];
                        let alive = if c.x > 0 { shapes - x * ln_alpha_t } else { shapes };
                        let died = if c.t_x == c.age || !dies {
                            f64::NEG_INFINITY
                        } else {
                            let (i0, i1) = (i0 as usize, i1 as usize);
                            ln_s + self.ln_died_of(
                                x,
                                t_x,
                                age,
                                [tails[i0].as_ref(), tails[i1].as_ref()],
                                [truncated[i0].as_ref(), truncated[i1].as_ref()],
                            )[0]
                        };
                        c.count as f64 * (ln_gamma_m[c.x as usize] + log_add_exp(alive, died))
                    })
                    .sum::<f64>()
            })
            .collect();
        parts.iter().sum()
    }

    /// Maximum-likelihood fit to `data`, with the likelihood's analytic gradient: ₂F₁'s parameter
    /// derivatives summed with its series, or the integral differentiated under the integral sign.
    pub fn fit(data: &CountData, options: &FitOptions) -> Result<Fitted<ParetoNbd>> {
        let started = std::time::Instant::now();
        data.check_identifiable("Pareto/NBD")?;
        let likelihood = |data: &CountData, index: &TailIndex, p: &[f64]| -> Option<(f64, Vec<f64>)> {
            let (v, g) = ParetoNbd { r: p[0], alpha: p[1], s: p[2], beta: p[3] }.total_with_gradient(data, index);
            (v.is_finite() && g.iter().all(|x| x.is_finite())).then(|| (v, g.to_vec()))
        };
        let index = TailIndex::new(data);
        let ll = |p: &[f64]| likelihood(data, &index, p);
        let sample = sample_step(data.customers()).map(|k| data.thinned(k));
        let sample_index = sample.as_ref().map(TailIndex::new);
        let sample_ll = |p: &[f64]| match (&sample, &sample_index) {
            (Some(s), Some(i)) => likelihood(s, i, p),
            _ => None,
        };
        let problem = Problem {
            model: "Pareto/NBD",
            names: &["r", "alpha", "s", "beta"],
            observations: data.customers() as f64,
            log_likelihood: &ll,
            analytic_gradient: true,
            sample: sample.as_ref().map(|s| Sample { observations: s.customers() as f64, log_likelihood: &sample_ll }),
            shapes: &[0, 2],
            limits: &PARETO_LIMITS,
            kind: Some(ModelKind::ParetoNbd),
            warnings: data.warnings(),
            max_passes: crate::clv::fit::MAX_PASSES,
        };
        let rate = data.rate();
        let horizon = data.max_age() as f64 / data.unit().days();
        let starts: Vec<Vec<f64>> = [(1.0, 1.0), (0.5, 0.5), (2.0, 2.0)]
            .iter()
            .map(|&(r, s)| vec![r, r / rate, s, s * horizon.max(1.0)])
            .collect();
        let (p, mut diagnostics) = maximise(&problem, &starts, options)?;
        diagnostics.seconds = started.elapsed().as_secs_f64(); // including the sample's preparation
        Ok(Fitted { model: ParetoNbd { r: p[0], alpha: p[1], s: p[2], beta: p[3] }, unit: data.unit(), diagnostics })
    }
}

impl PurchaseModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "Pareto/NBD"
    }

    fn parameters(&self) -> Vec<(&'static str, f64)> {
        vec![("r", self.r), ("alpha", self.alpha), ("s", self.s), ("beta", self.beta)]
    }

    fn with_parameters(&self, v: &[f64]) -> Self {
        ParetoNbd { r: v[0], alpha: v[1], s: v[2], beta: v[3] }
    }

    fn logit_p_alive_gradient(&self, x: f64, t_x: f64, age: f64) -> [f64; 4] {
        forward_logit_gradient(self, x, t_x, age)
    }

    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let (alive, died) = self.parts(x, t_x, age);
        ln_gamma_ratio(self.r, x) + log_add_exp(alive, died)
    }

    /// FH 2005 eq. 18: the "alive at T" share of the likelihood.
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let (alive, died) = self.parts(x, t_x, age);
        (alive - log_add_exp(alive, died)).exp()
    }

    /// SMC 1987 / FH 2005 eq. 27 without its P(alive) factor: (r+x)(β+T) / ((α+T)(s−1)) ·
    /// [1 − ((β+T)/(β+T+t))^(s−1)], the bracket over (s − 1) computed by `expm1` so that s = 1 gives
    /// its limit ln((β+T+t)/(β+T)) and s = 1 ± 1e-9 agrees with it.
    fn expected_if_alive(&self, t: f64, x: f64, age: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let l = ((self.beta + age) / (self.beta + age + t)).ln();
        let eps = self.s - 1.0;
        let bracket = if eps == 0.0 { -l } else { -(eps * l).exp_m1() / eps };
        (self.r + x) * (self.beta + age) / (self.alpha + age) * bracket
    }

    /// The lifetime is memoryless: P(μ-death after t more units) = ((β+T)/(β+T+t))^s.
    fn survival_if_alive(&self, t: f64, _x: f64, age: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        (-self.s * (t / (self.beta + age)).ln_1p()).exp()
    }

    fn counts_if_alive(&self, t: f64, x: f64, age: f64, max: u32) -> Vec<f64> {
        let posterior = ParetoNbd { r: self.r + x, alpha: self.alpha + age, s: self.s, beta: self.beta + age };
        (0..=max).map(|n| posterior.prob_purchases_new(n, t)).collect()
    }
}

impl ParetoNbd {
    /// Discounted expected residual transactions with continuous discounting at `delta` per
    /// time unit (FHL 2005, "RFM and CLV", eq. 2): E[∫₀^∞ e^(−δτ) dX(T + τ) | x, t_x, T], which
    /// times the expected order value (and margin) is the residual CLV over an unbounded horizon.
    ///
    /// Given activity at T, λ ~ Gamma(r + x, α + T) and the remaining lifetime is exponential with
    /// μ ~ Gamma(s, β + T), so DERT = P(alive)·(r + x)/(α + T)·E[1/(δ + μ)], and
    /// E[1/(δ + μ)] = G(s, δ(β + T))/δ with [`discount_g`](crate::clv::special::discount_g): finite
    /// and decreasing in δ for any β and discount (CLVTools#163, #171, #186). At δ = 0 it is
    /// (β + T)/(s − 1) for s > 1 and infinite otherwise (lifetimes then never end on average).
    ///
    /// ```
    /// let m = retention::clv::ParetoNbd { r: 0.55328, alpha: 10.578, s: 0.60621, beta: 11.668 };
    /// // 15% a year compounded annually, continuous and weekly: ln(1.15)/52.
    /// let dert = m.dert(1.15f64.ln() / 52.0, 2.0, 30.43, 38.86);
    /// assert!((dert - 6.5002033293877457).abs() < 1e-9);
    /// ```
    pub fn dert(&self, delta: f64, x: f64, t_x: f64, age: f64) -> f64 {
        let b = self.beta + age;
        let per_rate = if delta > 0.0 {
            discount_g(self.s, delta * b) / delta
        } else if self.s > 1.0 {
            b / (self.s - 1.0)
        } else {
            f64::INFINITY
        };
        self.p_alive(x, t_x, age) * (self.r + x) / (self.alpha + age) * per_rate
    }

    /// P(X(t) = n): the probability that a customer who has just made their first purchase makes
    /// exactly `n` repeat purchases in the next `t` units (Fader & Hardie 2006, "Deriving an
    /// Expression for P(X(t) = x) under the Pareto/NBD Model").
    ///
    /// It is the chance of n purchases with the customer still active at t, NB(n)·(β/(β+t))^s, plus
    /// that of n purchases before a death in (0, t]. The note writes the second as a difference
    /// B₁ − Σᵢ₌₀ⁿ (…)B₂(i) of ₂F₁ terms that cancels as n grows; here it is summed as the tail
    /// Σᵢ₍ₙ₎ wᵢ Fᵢ, whose terms are all positive, with Fᵢ = ₂F₁(r+s+i, b*; r+s+n+1; z) from Gauss's
    /// contiguous relation, started from two closed forms, and the sum rescaled as it grows.
    /// The ₂F₁ argument is z = (M − m)/(M + t) with M = max(α, β), m = min(α, β) (b* = s + 1 when
    /// α ≥ β, else r + n), so it stays in [0, 1), and α = β gives z = 0 exactly.
    ///
    /// ```
    /// let m = retention::clv::ParetoNbd { r: 0.55328, alpha: 10.578, s: 0.60621, beta: 11.668 };
    /// let total: f64 = (0..200).map(|n| m.prob_purchases_new(n, 39.0)).sum();
    /// assert!((total - 1.0).abs() < 1e-10);
    /// ```
    pub fn prob_purchases_new(&self, n: u32, t: f64) -> f64 {
        if t <= 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let nf = n as f64;
        let alive = (ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0)
            + r * (alpha / (alpha + t)).ln()
            + nf * (t / (alpha + t)).ln()
            - s * (t / beta).ln_1p())
        .exp();
        alive + self.died_with(n, t)
    }

    /// P(n purchases, then death, within (0, t]).
    fn died_with(&self, n: u32, t: f64) -> f64 {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let nf = n as f64;
        let (big, small, b_star) = if alpha >= beta { (alpha, beta, s + 1.0) } else { (beta, alpha, r + nf) };
        let c = r + s + nf + 1.0;
        let z = (big - small) / (big + t);
        let one_minus_z = (small + t) / (big + t);
        let rho = t / (small + t);
        let mut ln_scale = ln_gamma(r + s + nf + 1.0) - ln_gamma(r + s) - ln_gamma(nf + 2.0)
            + (r + s) * (big / (big + t)).ln()
            + (nf + 1.0) * (t / (big + t)).ln()
            - b_star * one_minus_z.ln();
        // u_i = F_i (1 − z)^(b* + i − n − 1): u_{n+1} = 1, u_{n+2} = 1 − z + b* z / c.
        let (mut u_prev, mut u_cur) = (1.0f64, one_minus_z + b_star * z / c);
        let (mut weight, mut total) = (1.0f64, 1.0f64);
        let mut i = nf + 1.0;
        for _ in 0..MAX_COUNT_TERMS {
            let ratio = (r + s + i) / (i + 1.0) * rho;
            weight *= ratio;
            i += 1.0;
            let term = weight * u_cur;
            total += term;
            let a = r + s + i;
            let next = ((c - a) * one_minus_z * u_prev + (2.0 * a - c + (b_star - a) * z) * u_cur) / a;
            (u_prev, u_cur) = (u_cur, next);
            if total > 1e250 {
                ln_scale += total.ln();
                weight /= total;
                total = 1.0;
            }
            if i > nf + 3.0 && ratio < 1.0 && term <= 1e-17 * total {
                break;
            }
        }
        (r * alpha.ln() + s * beta.ln() - (r + s) * big.ln() + ln_beta(r + nf, s + 1.0) - ln_beta(r, s)
            + ln_scale
            + total.ln())
        .exp()
    }
}

/// A cap on the terms of the death-within-the-window series: they fall geometrically once past
/// about (r + s)·ρ/(1 − ρ), ρ = t/(min(α, β) + t).
const MAX_COUNT_TERMS: usize = 10_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    const CDNOW: ParetoNbd = ParetoNbd { r: 0.55328, alpha: 10.578, s: 0.60621, beta: 11.668 };

    #[test]
    fn series_and_quadrature_agree() {
        for m in [
            CDNOW,
            ParetoNbd { r: 0.8, alpha: 3.0, s: 1.4, beta: 40.0 },
            ParetoNbd { r: 0.8, alpha: 3.0, s: 1.0, beta: 3.0 },
        ] {
            for &(x, t0, t1) in &[(0.0, 0.0, 38.0), (3.0, 10.0, 38.0), (40.0, 1.0, 300.0), (300.0, 20.0, 1000.0)] {
                let series = m.ln_died(x, t0, t1) - m.s.ln();
                let quad = m.ln_integral_by_quadrature(x, t0, t1);
                assert!((series - quad).abs() < 1e-12 * series.abs().max(1.0), "{m:?} x {x}: {series} vs {quad}");
            }
        }
    }

    /// The analytic gradient equals central differences of the likelihood, on the series path
    /// (α < β and α ≥ β), the quadrature path (z above the series limit), near α = β, at large
    /// shapes on the way to a limit, and at s = 0.
    #[test]
    fn gradient_matches_differences() {
        let triples =
            [(0, 0, 200), (1, 14, 200), (2, 100, 150), (2, 100, 150), (5, 7, 9), (30, 270, 273), (3, 50, 300)];
        let data = CountData::from_days(triples, crate::clv::TimeUnit::Weeks).unwrap();
        let index = TailIndex::new(&data);
        for m in [
            CDNOW,
            ParetoNbd { r: 0.8, alpha: 30.0, s: 1.4, beta: 3.0 },
            ParetoNbd { r: 0.8, alpha: 0.01, s: 1.4, beta: 400.0 },
            ParetoNbd { r: 2.0, alpha: 5.0, s: 0.7, beta: 5.0 + 1e-9 },
            ParetoNbd { r: 0.5, alpha: 12.0, s: 3e4, beta: 1e6 },
            ParetoNbd { r: 4e4, alpha: 1e5, s: 0.6, beta: 9.0 },
        ] {
            let (ll, g) = m.total_with_gradient(&data, &index);
            assert!((ll - m.total(&data, &index)).abs() < 1e-9 * ll.abs(), "{m:?}");
            let p = [m.r, m.alpha, m.s, m.beta];
            for i in 0..4 {
                let h = 1e-6 * p[i];
                let (mut up, mut down) = (p, p);
                up[i] += h;
                down[i] -= h;
                let f = |q: [f64; 4]| ParetoNbd { r: q[0], alpha: q[1], s: q[2], beta: q[3] }.total(&data, &index);
                let numeric = (f(up) - f(down)) / (2.0 * h);
                // Scaled by the parameter: the change of ll per relative change of θ.
                assert!(
                    ((numeric - g[i]) * p[i]).abs() < 1e-5 * (1.0 + (g[i] * p[i]).abs()),
                    "{m:?} param {i}: {numeric} vs {}",
                    g[i]
                );
            }
        }
        let no_dropout = ParetoNbd { r: 0.8, alpha: 3.0, s: 0.0, beta: 1.0 };
        let (ll, g) = no_dropout.total_with_gradient(&data, &index);
        assert!(ll.is_finite() && g.iter().all(|v| v.is_finite()));
    }

    /// Where the ₂F₁ series is out of reach for every day (z > 0.95 at α ≫ β or β ≫ α, as near
    /// a limit), the fit's total integrates each distinct (x, day) piece once and subtracts
    /// truncated tails; it agrees with each customer's own adaptive integral.
    #[test]
    fn truncated_tails_match_each_cells_integral() {
        let triples: Vec<(u32, u32, u32)> =
            (0..300u32).map(|i| (i % 7, if i % 7 == 0 { 0 } else { 7 + (i * 37) % 270 }, 280 + i % 90)).collect();
        let data = CountData::from_days(triples.iter().copied(), crate::clv::TimeUnit::Days).unwrap();
        for m in [
            ParetoNbd { r: 1e8, alpha: 2e9, s: 0.7, beta: 100.0 },
            ParetoNbd { r: 0.8, alpha: 40.0, s: 1e8, beta: 1.5e10 },
            ParetoNbd { r: 0.8, alpha: 40.0, s: 0.01, beta: 1e6 },
        ] {
            assert!(m.ln_tail(1.0, 0.0).is_none(), "{m:?} should be past the series limit");
            let per_cell: f64 =
                triples.iter().map(|&(x, t_x, t)| m.log_likelihood(x as f64, t_x as f64, t as f64)).sum();
            let total = m.total_log_likelihood(&data);
            assert!((total - per_cell).abs() < 1e-11 * per_cell.abs(), "{m:?}: {total} vs {per_cell}");
            // The truncated tails themselves: their differences are the integrals between days.
            let days = [0.0, 7.0, 8.0, 50.0, 120.0, 300.0];
            for x in [0.0, 3.0] {
                let tails = m.truncated_tails::<1>(x, &days);
                for i in 0..days.len() {
                    for j in i + 1..days.len() {
                        let (got, want) =
                            (log_sub_exp(tails[i][0], tails[j][0]), m.ln_integral::<1>(x, days[i], days[j])[0]);
                        assert!(
                            (got - want).abs() < 1e-12 * want.abs().max(1.0),
                            "{m:?} x {x} {i}..{j}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// At the shapes of the one-purchase-rate, one-dropout-rate limit (10⁸, a fit's finding) the
    /// likelihood is FH 2005's individual-level likelihood λˣe^−(λ+μ)T + λˣμ/(λ+μ)(e^−(λ+μ)tₓ −
    /// e^−(λ+μ)T) to O(1/K), and smooth: the second difference at relative steps of 1e-7 is far
    /// below the 1e-3 that ₂F₁'s Euler factor e^(10⁸), multiplied out, used to leave.
    #[test]
    fn limit_shapes_give_the_closed_form_smoothly() {
        let truth = ParetoNbd { r: f64::INFINITY, alpha: 20.0, s: f64::INFINITY, beta: 150.0 };
        let triples = crate::clv::simulate::pareto_nbd(&truth, 20_000, (200, 280), 5).unwrap();
        let data = CountData::from_days(triples.iter().copied(), crate::clv::TimeUnit::Days).unwrap();
        // μ = 0.0066: the ₂F₁ series (z = 0.87); μ = 0.001: truncated tails (z = 0.98).
        for (lambda, mu) in [(0.05, 0.0066), (0.05, 0.001)] {
            let at = |h: f64| {
                ParetoNbd { r: 1e8, alpha: 1e8 / (lambda * h), s: 1e8, beta: 1e8 / mu }.total_log_likelihood(&data)
            };
            let closed: f64 = triples
                .iter()
                .map(|&(x, t_x, t)| {
                    let (x, t_x, t, k) = (x as f64, t_x as f64, t as f64, lambda + mu);
                    x * lambda.ln() + (mu / k * ((-k * t_x).exp() - (-k * t).exp()) + (-k * t).exp()).ln()
                })
                .sum();
            let ll = at(1.0);
            // The O(1/K) of a shape of 10⁸ summed over 20,000 customers: about 4e-5 here.
            assert!((ll - closed).abs() < 1e-3, "{ll} vs {closed}");
            let second = at(1.0 + 1e-7) - 2.0 * ll + at(1.0 - 1e-7);
            assert!(second.abs() < 1e-7, "second difference {second}");
        }
    }

    #[test]
    fn published_p_alive() {
        // Fader & Hardie (2005), CDNOW: x = 26, t_x = 30.86, T = 31 has P(alive) 0.9979.
        let m = ParetoNbd { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };
        assert!((m.p_alive(26.0, 30.86, 31.0) - 0.9979).abs() < 5e-5);
    }

    /// DERT at mpmath's values (FHL 2005's closed form with Kummer's U at 50 digits), for the
    /// CDNOW parameters (α < β) and BTYD's documented example (α > β), and decreasing in δ.
    #[test]
    #[allow(clippy::excessive_precision)]
    fn dert_matches_high_precision_values() {
        let m = ParetoNbd { r: 0.55328, alpha: 10.578, s: 0.60621, beta: 11.668 };
        for ((x, t_x), want) in [
            ((0.0, 0.0), [2.6076808711183108, 0.47694019522961805, 0.029927353106355695, 0.0003298643655558889]),
            ((2.0, 30.43), [35.441864011363984, 6.4822539169190355, 0.4067526785057307, 0.0044832970612745849]),
            ((10.0, 38.0), [166.63358388920579, 30.476986241742841, 1.9123897251626342, 0.021078684143717454]),
            ((1.0, 1.71), [4.1646509495393246, 0.76170725449417214, 0.047796101475458538, 0.00052681674297145675]),
        ] {
            for (delta, want) in [1e-4, 0.0027, 0.1, 10.0].into_iter().zip(want) {
                let got = m.dert(delta, x, t_x, 38.86);
                assert!((got / want - 1.0).abs() < 1e-11, "({x}, {t_x}) δ {delta}: {got} vs {want}");
            }
        }
        let btyd = ParetoNbd { r: 0.5629966, alpha: 12.5590370, s: 0.4081095, beta: 10.5148048 };
        let got = btyd.dert(0.0027, 7.0, 35.0, 77.86);
        assert!((got / 1.8641833280713295 - 1.0).abs() < 1e-11, "{got}");
    }
}
