//! BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way") and its modified form
//! MBG/NBD (Batislam, Denizel & Filiztekin 2007): purchases are Poisson(λ), λ ~ Gamma(r, α); after
//! each purchase (MBG/NBD: also at the first) the customer drops out with probability p,
//! p ~ Beta(a, b). Both share one implementation; the variant changes three terms.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clv::boundary::{LIMIT_SHAPE, Limit};
use crate::clv::counts::bg_family_pmf;
use crate::clv::data::{Cell, CountData};
use crate::clv::fit::{
    FitOptions, LimitSpec, NO_DROPOUT, POISSON, Problem, Sample, jacobian, maximise, rate_shapes, sample_step,
};
use crate::clv::kind::ModelKind;
use crate::clv::model::{Fitted, PurchaseModel};
use crate::clv::special::{btyd_numerator, btyd_survival, digamma_difference, ln_gamma_ratio, log_add_exp};
use crate::error::Result;

/// BG/NBD parameters: purchase rates λ ~ Gamma(shape r, rate α), dropout probability after each
/// repeat purchase p ~ Beta(a, b). α is in the fit's time unit.
///
/// ```
/// use retention::clv::{BgNbd, PurchaseModel};
/// // Fader, Hardie & Lee (2005), CDNOW in weeks.
/// let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
/// let e = m.expected_purchases(39.0, 2.0, 30.43, 38.86);
/// assert!((e - 1.226).abs() < 1e-3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Rate (per time unit) of the purchase-rate distribution.
    pub alpha: f64,
    /// First shape of the dropout-probability distribution.
    pub a: f64,
    /// Second shape of the dropout-probability distribution.
    pub b: f64,
}

/// MBG/NBD parameters (as [`BgNbd`]; the customer may also drop out right after the first purchase,
/// so a customer without repeat purchases is no longer certainly alive).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MbgNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Rate (per time unit) of the purchase-rate distribution.
    pub alpha: f64,
    /// First shape of the dropout-probability distribution.
    pub a: f64,
    /// Second shape of the dropout-probability distribution.
    pub b: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Bg,
    Mbg,
}

#[derive(Clone, Copy)]
struct Params {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    variant: Variant,
}

impl Params {
    /// (c₃, c₄): the likelihood is Γ-terms(x) · [e^(c₃ − (r+x) ln(α+T)) + e^(c₄ − (r+x) ln(α+t_x))].
    /// BG/NBD (FHL 2005 eq. 6): c₃ = 0, c₄ = ln a − ln(b + x − 1) for x > 0 and absent for x = 0.
    /// MBG/NBD (BDF 2007): c₃ = ln(b + x), c₄ = ln a for every x.
    #[inline]
    fn mixing_constants(&self, x: f64) -> (f64, f64) {
        match self.variant {
            Variant::Bg if x > 0.0 => (0.0, self.a.ln() - (self.b + (x - 1.0)).ln()),
            Variant::Bg => (0.0, f64::NEG_INFINITY),
            Variant::Mbg => ((self.b + x).ln(), self.a.ln()),
        }
    }

    /// The x-only part: lnΓ(r+x) − lnΓ(r) + lnΓ(b+x) − lnΓ(b) + lnΓ(a+b) − lnΓ(a+b+x(+1)), each
    /// difference by [`ln_gamma_ratio`] so that shapes running to a point mass (r or a + b of 10⁸,
    /// a boundary fit) keep every digit.
    fn x_terms(&self, x: f64) -> f64 {
        let shift = if self.variant == Variant::Mbg { 1.0 } else { 0.0 };
        let (r, a, b) = (self.r, self.a, self.b);
        ln_gamma_ratio(r, x) + ln_gamma_ratio(b, x) - ln_gamma_ratio(a + b, x + shift)
    }

    /// ln[αʳ (α+t)^−(r+x)] = −r ln(1 + t/α) − x ln(α+t): the same number as the printed form
    /// without subtracting two terms of size r·ln α.
    #[inline]
    fn ln_rate_term(&self, x: f64, t: f64) -> f64 {
        let v = -self.r * (t / self.alpha).ln_1p();
        if x > 0.0 { v - x * (self.alpha + t).ln() } else { v }
    }

    /// One customer's log-likelihood, straight from the formula (times in model units).
    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let (c3, c4) = self.mixing_constants(x);
        self.x_terms(x) + log_add_exp(c3 + self.ln_rate_term(x, age), c4 + self.ln_rate_term(x, t_x))
    }

    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let m = self.r + x;
        let (c3, c4) = self.mixing_constants(x);
        let gap = c4 - c3 + m * ((self.alpha + age).ln() - (self.alpha + t_x).ln());
        // 1 / (1 + e^gap), written to stay exact when gap is very negative or very positive.
        if gap > 0.0 {
            let e = (-gap).exp();
            e / (1.0 + e)
        } else {
            1.0 / (1.0 + gap.exp())
        }
    }

    /// The gradient of logit P(alive) = −gap over (ln r, ln α, ln a, ln b), gap as in
    /// [`p_alive`](Self::p_alive).
    fn logit_p_alive_gradient(&self, x: f64, t_x: f64, age: f64) -> [f64; 4] {
        if self.variant == Variant::Bg && x == 0.0 {
            return [0.0; 4]; // alive for certain, whatever the parameters
        }
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        let log_ratio = (alpha + age).ln() - (alpha + t_x).ln();
        // gap = ln a − ln(b + x − 1) + (r + x) ln((α+T)/(α+t_x)) for BG/NBD, ln(b + x) for MBG/NBD.
        let gap_b = match self.variant {
            Variant::Bg => -b / (b + (x - 1.0)),
            Variant::Mbg => -b / (b + x),
        };
        [-(r * log_ratio), -((r + x) * alpha * (1.0 / (alpha + age) - 1.0 / (alpha + t_x))), -1.0, -gap_b]
    }

    /// E[purchases in (T, T + t] | alive, x, T]: the numerator of FHL 2005 eq. 10 (BDF 2007 eq. 14
    /// for MBG/NBD), whose denominator is 1/P(alive), evaluated by [`btyd_numerator`].
    fn numerator(&self, t: f64, x: f64, age: f64) -> f64 {
        btyd_numerator(self.a, self.posterior_b(x), self.r + x, t / (self.alpha + age))
    }

    /// The second shape of the dropout probability's distribution given that the customer is
    /// still active after x repeat purchases: each purchase (MBG/NBD: and the first) was survived.
    fn posterior_b(&self, x: f64) -> f64 {
        match self.variant {
            Variant::Bg => self.b + x,
            Variant::Mbg => self.b + x + 1.0,
        }
    }

    /// The data's log-likelihood and its gradient in (r, α, a, b), with every term that depends on x
    /// alone or on a day alone tabulated once per evaluation and the cells summed in parallel.
    fn total(&self, data: &CountData, histogram: &[u64]) -> (f64, [f64; 4]) {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let unit = data.unit().days();
        let days = data.max_age() as usize + 1;
        // Per day d (t = d in model units): ln(α+t), 1/(α+t), ln(1 + t/α) and t/(α(α+t)), so that
        // ln[αʳ(α+t)^−(r+x)] = −r·ln(1 + t/α) − x·ln(α+t) and its α-derivative
        // r·t/(α(α+t)) − x/(α+t) are both free of the r·ln α that cancels at large r.
        let per_day: Vec<[f64; 4]> = (0..days)
            .map(|d| {
                let t = d as f64 / unit;
                let v = alpha + t;
                [v.ln(), 1.0 / v, (t / alpha).ln_1p(), t / (alpha * v)]
            })
            .collect();
        let xs = histogram.len();
        let shift = if self.variant == Variant::Mbg { 1.0 } else { 0.0 };
        let mut consts = Vec::with_capacity(xs);
        // Per-x: (c₃, c₄, ∂c₄/∂a + ∂c₃/∂a is 1/a for c₄ only, ∂c₄/∂b, ∂c₃/∂b).
        let mut dc = Vec::with_capacity(xs);
        let (mut ll, mut g) = (0.0, [0.0; 4]);
        for (x, &count) in histogram.iter().enumerate() {
            let xf = x as f64;
            consts.push(self.mixing_constants(xf));
            dc.push(match self.variant {
                Variant::Bg if x > 0 => (-1.0 / (b + (xf - 1.0)), 0.0),
                Variant::Bg => (0.0, 0.0),
                Variant::Mbg => (0.0, 1.0 / (b + xf)),
            });
            if count == 0 {
                continue;
            }
            let n = count as f64;
            // Differences of ψ as one function, so they keep their digits at shapes of 10⁸.
            let survive = -digamma_difference(a + b, xf + shift);
            ll += n * self.x_terms(xf);
            g[0] += n * digamma_difference(r, xf);
            g[2] += n * survive;
            g[3] += n * (digamma_difference(b, xf) + survive);
        }
        let inv_a = 1.0 / a;
        let cell_terms = |c: &Cell| -> [f64; 5] {
            let n = c.count as f64;
            let xf = c.x as f64;
            let (c3, c4) = consts[c.x as usize];
            let (dt, dx) = (&per_day[c.age as usize], &per_day[c.t_x as usize]);
            let rate_term = |d: &[f64; 4]| if c.x > 0 { -r * d[2] - xf * d[0] } else { -r * d[2] };
            let e3 = c3 + rate_term(dt);
            let e4 = c4 + rate_term(dx);
            // ln(e^e3 + e^e4) and w = e^e4 / (e^e3 + e^e4), the share of the "dropped out after
            // t_x" term, from one exponential.
            let (hi, lo) = if e4 > e3 { (e4, e3) } else { (e3, e4) };
            let ratio = (lo - hi).exp(); // 0 when e4 = −∞ (x = 0 under BG/NBD)
            let mix = hi + ratio.ln_1p();
            let w = if e4 > e3 { 1.0 / (1.0 + ratio) } else { ratio / (1.0 + ratio) };
            let (dc4_b, dc3_b) = dc[c.x as usize];
            let blend = |i: usize| (1.0 - w) * dt[i] + w * dx[i];
            [
                n * mix,
                -n * blend(2),
                n * (r * blend(3) - xf * blend(1)),
                // a = 0 (the no-dropout boundary) has w = 0 exactly: no a-term, not 0·∞.
                if w > 0.0 { n * w * inv_a } else { 0.0 },
                n * (w * dc4_b + (1.0 - w) * dc3_b),
            ]
        };
        let partials: Vec<[f64; 5]> = data
            .cells()
            .par_chunks(CHUNK)
            .map(|chunk| {
                chunk.iter().fold([0.0; 5], |mut acc, c| {
                    let t = cell_terms(c);
                    for (s, v) in acc.iter_mut().zip(t) {
                        *s += v;
                    }
                    acc
                })
            })
            .collect();
        // Summed in chunk order: the same data give the same bits on any number of threads.
        for p in partials {
            ll += p[0];
            g[0] += p[1];
            g[1] += p[2];
            g[2] += p[3];
            g[3] += p[4];
        }
        (ll, g)
    }
}

/// Cells per parallel task: large enough to amortise scheduling, fixed so sums are reproducible.
const CHUNK: usize = 8192;

/// The limits of the BG/NBD family's parameter space (r, α, a, b), as reduced models (see
/// `clv::boundary`): a = 0 (nobody drops out: NBD; b then plays no part and is set to 1); a, b at
/// the point-mass concentration K with the dropout probability a/(a+b) = o/(1+o) free (odds o, so
/// every reduced parameter is positive); a + b = 1/K with the same odds (all or nothing); r, α at K with the rate λ = r/α free; and the
/// combinations.
const BG_LIMITS: [LimitSpec; 6] = [
    NO_DROPOUT,
    LimitSpec {
        limits: &[Limit::OneDropoutProbability],
        names: &["r", "alpha", "dropout odds"],
        embed: |v| {
            let (a, b, da, db) = dropout_shapes(v[2]);
            (vec![v[0], v[1], a, b], jacobian(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0, 0.0, da], &[0.0, 0.0, db]]))
        },
        project: |p| vec![p[0], p[1], p[2] / p[3]],
        report: |v| vec![("r".into(), v[0]), ("alpha".into(), v[1]), ("p".into(), v[2] / (1.0 + v[2]))],
    },
    LimitSpec {
        limits: &[Limit::AllOrNothingDropout],
        names: &["r", "alpha", "dropout odds"],
        embed: |v| {
            let (a, b, da, db) = dropout_shapes_at(v[2], 1.0 / LIMIT_SHAPE);
            (vec![v[0], v[1], a, b], jacobian(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0, 0.0, da], &[0.0, 0.0, db]]))
        },
        project: |p| vec![p[0], p[1], p[2] / p[3]],
        report: |v| vec![("r".into(), v[0]), ("alpha".into(), v[1]), ("share".into(), v[2] / (1.0 + v[2]))],
    },
    LimitSpec {
        limits: &[Limit::OnePurchaseRate],
        names: &["lambda", "a", "b"],
        embed: |v| {
            let (r, alpha, dalpha) = rate_shapes(v[0]);
            (
                vec![r, alpha, v[1], v[2]],
                jacobian(&[&[0.0, 0.0, 0.0], &[dalpha, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0, 0.0, 1.0]]),
            )
        },
        project: |p| vec![p[0] / p[1], p[2], p[3]],
        report: |v| vec![("lambda".into(), v[0]), ("a".into(), v[1]), ("b".into(), v[2])],
    },
    LimitSpec {
        limits: &[Limit::OnePurchaseRate, Limit::OneDropoutProbability],
        names: &["lambda", "dropout odds"],
        embed: |v| {
            let (r, alpha, dalpha) = rate_shapes(v[0]);
            let (a, b, da, db) = dropout_shapes(v[1]);
            (vec![r, alpha, a, b], jacobian(&[&[0.0, 0.0], &[dalpha, 0.0], &[0.0, da], &[0.0, db]]))
        },
        project: |p| vec![p[0] / p[1], p[2] / p[3]],
        report: |v| vec![("lambda".into(), v[0]), ("p".into(), v[1] / (1.0 + v[1]))],
    },
    POISSON,
];

/// A Beta at the point-mass concentration K with mean o/(1 + o): (a, b, ∂a/∂o, ∂b/∂o).
fn dropout_shapes(odds: f64) -> (f64, f64, f64, f64) {
    dropout_shapes_at(odds, LIMIT_SHAPE)
}

/// A Beta with a + b = `total` and mean o/(1 + o): (a, b, ∂a/∂o, ∂b/∂o).
fn dropout_shapes_at(odds: f64, total: f64) -> (f64, f64, f64, f64) {
    let d = total / ((1.0 + odds) * (1.0 + odds));
    (total * odds / (1.0 + odds), total / (1.0 + odds), d, -d)
}

fn fit_variant(
    data: &CountData,
    options: &FitOptions,
    variant: Variant,
    name: &'static str,
) -> Result<(Params, crate::clv::Diagnostics)> {
    let started = std::time::Instant::now();
    data.check_identifiable(name)?;
    let histogram = data.x_histogram();
    let likelihood = |data: &CountData, histogram: &[u64], p: &[f64]| -> Option<(f64, Vec<f64>)> {
        let params = Params { r: p[0], alpha: p[1], a: p[2], b: p[3], variant };
        let (ll, g) = params.total(data, histogram);
        (ll.is_finite() && g.iter().all(|v| v.is_finite())).then(|| (ll, g.to_vec()))
    };
    let ll = |p: &[f64]| likelihood(data, &histogram, p);
    let sample = sample_step(data.customers()).map(|k| data.thinned(k));
    let sample_histogram = sample.as_ref().map(|s| s.x_histogram());
    let sample_ll = |p: &[f64]| match (&sample, &sample_histogram) {
        (Some(s), Some(h)) => likelihood(s, h, p),
        _ => None,
    };
    let problem = Problem {
        model: name,
        names: &["r", "alpha", "a", "b"],
        observations: data.customers() as f64,
        log_likelihood: &ll,
        analytic_gradient: true,
        sample: sample.as_ref().map(|s| Sample { observations: s.customers() as f64, log_likelihood: &sample_ll }),
        shapes: &[0, 2, 3],
        limits: &BG_LIMITS,
        kind: Some(match variant {
            Variant::Bg => ModelKind::BgNbd,
            Variant::Mbg => ModelKind::MbgNbd,
        }),
        warnings: data.warnings(),
        max_passes: crate::clv::fit::MAX_PASSES,
    };
    // Starts: the purchase rate r/α matched to the data's repeat rate, with dropout shapes from
    // "few drop out" to "most drop out early".
    let rate = data.rate();
    let starts: Vec<Vec<f64>> =
        [(1.0, 1.0, 1.0), (0.5, 0.5, 2.0), (2.0, 2.0, 5.0)].iter().map(|&(r, a, b)| vec![r, r / rate, a, b]).collect();
    let (p, mut diagnostics) = maximise(&problem, &starts, options)?;
    diagnostics.seconds = started.elapsed().as_secs_f64(); // including the sample's preparation
    Ok((Params { r: p[0], alpha: p[1], a: p[2], b: p[3], variant }, diagnostics))
}

macro_rules! bg_model {
    ($ty:ident, $variant:expr, $name:literal) => {
        impl $ty {
            fn params(&self) -> Params {
                Params { r: self.r, alpha: self.alpha, a: self.a, b: self.b, variant: $variant }
            }

            /// Maximum-likelihood fit to `data`.
            pub fn fit(data: &CountData, options: &FitOptions) -> Result<Fitted<$ty>> {
                let (p, diagnostics) = fit_variant(data, options, $variant, $name)?;
                Ok(Fitted { model: $ty { r: p.r, alpha: p.alpha, a: p.a, b: p.b }, unit: data.unit(), diagnostics })
            }

            /// The data's total log-likelihood (tabulated, parallel).
            pub fn total_log_likelihood(&self, data: &CountData) -> f64 {
                self.params().total(data, &data.x_histogram()).0
            }

            #[cfg(test)]
            pub(crate) fn total_with_gradient(&self, data: &CountData) -> (f64, [f64; 4]) {
                self.params().total(data, &data.x_histogram())
            }
        }

        impl PurchaseModel for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn parameters(&self) -> Vec<(&'static str, f64)> {
                vec![("r", self.r), ("alpha", self.alpha), ("a", self.a), ("b", self.b)]
            }

            fn with_parameters(&self, v: &[f64]) -> Self {
                $ty { r: v[0], alpha: v[1], a: v[2], b: v[3] }
            }

            fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
                self.params().log_likelihood(x, t_x, age)
            }

            fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
                self.params().p_alive(x, t_x, age)
            }

            fn logit_p_alive_gradient(&self, x: f64, t_x: f64, age: f64) -> [f64; 4] {
                self.params().logit_p_alive_gradient(x, t_x, age)
            }

            fn expected_if_alive(&self, t: f64, x: f64, age: f64) -> f64 {
                self.params().numerator(t, x, age)
            }

            fn survival_if_alive(&self, t: f64, x: f64, age: f64) -> f64 {
                let p = self.params();
                btyd_survival(p.a, p.posterior_b(x), p.r + x, t / (p.alpha + age))
            }

            fn counts_if_alive(&self, t: f64, x: f64, age: f64, max: u32) -> Vec<f64> {
                let p = self.params();
                let beta = p.posterior_b(x);
                (0..=max).map(|n| bg_family_pmf(p.r + x, p.alpha + age, p.a, beta, n, t)).collect()
            }
        }
    };
}

bg_model!(BgNbd, Variant::Bg, "BG/NBD");
bg_model!(MbgNbd, Variant::Mbg, "MBG/NBD");

impl BgNbd {
    /// P(X(t) = n): the probability that a customer who has just made their first purchase makes
    /// exactly `n` repeat purchases in the next `t` time units (the model's unit).
    ///
    /// ```
    /// // The CDNOW parameters of Fader, Hardie & Lee (2005), weeks.
    /// let m = retention::clv::BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    /// assert!((m.prob_purchases_new(0, 39.0) - 0.5737864).abs() < 1e-7);
    /// ```
    pub fn prob_purchases_new(&self, n: u32, t: f64) -> f64 {
        bg_family_pmf(self.r, self.alpha, self.a, self.b, n, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::TimeUnit;
    use crate::clv::special::ln_gamma;

    const CDNOW: BgNbd = BgNbd { r: 0.24259, alpha: 4.4136, a: 0.79292, b: 2.4259 };

    /// FHL 2005 eq. 6 transcribed literally (Beta functions and powers, no log-space).
    fn paper_likelihood(m: &BgNbd, x: f64, t_x: f64, t: f64) -> f64 {
        let beta = |p: f64, q: f64| (ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q)).exp();
        let g = (ln_gamma(m.r + x) - ln_gamma(m.r)).exp() * m.alpha.powf(m.r);
        let first = beta(m.a, m.b + x) / beta(m.a, m.b) * g / (m.alpha + t).powf(m.r + x);
        let second = if x > 0.0 {
            beta(m.a + 1.0, m.b + x - 1.0) / beta(m.a, m.b) * g / (m.alpha + t_x).powf(m.r + x)
        } else {
            0.0
        };
        first + second
    }

    #[test]
    fn likelihood_matches_the_paper_formula() {
        for &(x, t_x, t) in
            &[(0.0, 0.0, 38.86), (1.0, 2.0, 38.86), (2.0, 30.43, 38.86), (7.0, 20.0, 30.0), (14.0, 39.0, 39.0)]
        {
            let direct = paper_likelihood(&CDNOW, x, t_x, t).ln();
            let ours = CDNOW.log_likelihood(x, t_x, t);
            assert!((direct - ours).abs() < 1e-12, "x {x}: {direct} vs {ours}");
        }
    }

    #[test]
    fn tabulated_total_matches_per_customer_sum_and_gradient_is_exact() {
        let triples = [(0, 0, 200), (1, 14, 200), (2, 100, 150), (2, 100, 150), (5, 7, 9), (30, 270, 273)];
        let data = CountData::from_days(triples, TimeUnit::Weeks).unwrap();
        for model in [CDNOW, BgNbd { r: 2.0, alpha: 0.5, a: 1.0, b: 0.3 }] {
            let direct: f64 =
                triples.iter().map(|&(x, tx, t)| model.log_likelihood(x as f64, tx as f64 / 7.0, t as f64 / 7.0)).sum();
            let (ll, g) = model.total_with_gradient(&data);
            assert!((ll - direct).abs() < 1e-10 * direct.abs(), "{ll} vs {direct}");
            let p = [model.r, model.alpha, model.a, model.b];
            for i in 0..4 {
                let h = 1e-6 * p[i];
                let mut up = p;
                up[i] += h;
                let mut down = p;
                down[i] -= h;
                let f = |q: [f64; 4]| BgNbd { r: q[0], alpha: q[1], a: q[2], b: q[3] }.total_log_likelihood(&data);
                let numeric = (f(up) - f(down)) / (2.0 * h);
                assert!((numeric - g[i]).abs() < 1e-6 * (1.0 + g[i].abs()), "param {i}: {numeric} vs {}", g[i]);
            }
        }
        let mbg = MbgNbd { r: 0.52484, alpha: 6.1831, a: 0.89136, b: 1.6140 };
        let (ll, g) = mbg.total_with_gradient(&data);
        let p = [mbg.r, mbg.alpha, mbg.a, mbg.b];
        for i in 0..4 {
            let h = 1e-6 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let f = |q: [f64; 4]| MbgNbd { r: q[0], alpha: q[1], a: q[2], b: q[3] }.total_log_likelihood(&data);
            let numeric = (f(up) - f(down)) / (2.0 * h);
            assert!((numeric - g[i]).abs() < 1e-6 * (1.0 + g[i].abs()), "MBG param {i}: {numeric} vs {}", g[i]);
        }
        assert!(ll.is_finite());
    }

    #[test]
    fn published_expected_purchases_and_p_alive_bounds() {
        // FHL 2005 p. 281: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226
        // purchases in the next 39 weeks.
        let e = CDNOW.expected_purchases(39.0, 2.0, 30.43, 38.86);
        assert!((e - 1.226).abs() < 5e-4, "{e}");
        assert_eq!(CDNOW.p_alive(0.0, 0.0, 38.86), 1.0);
        let p = CDNOW.p_alive(2.0, 30.43, 38.86);
        assert!(p > 0.0 && p < 1.0);
    }
}
