//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for
//! Customer Base Analysis", and Fader & Hardie's note "The Gamma-Gamma Model of Monetary Value"):
//! a customer's order values are Gamma(p, ν), ν ~ Gamma(q, γ); fitted on the average repeat order
//! value m_x of customers with x ≥ 1 repeat purchases.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clv::boundary::{LIMIT_SHAPE, Limit};
use crate::clv::data::SpendData;
use crate::clv::fit::{FitOptions, Problem, Sample, maximise, sample_step};
use crate::clv::fit::{LimitSpec, jacobian};
use crate::clv::model::Fitted;
use crate::clv::special::{digamma_difference, ln_gamma, ln_gamma_ratio};
use crate::error::{Error, Result};

/// Gamma-Gamma parameters. `gamma` is in currency units (major units, as the data).
///
/// ```
/// use retention::clv::GammaGamma;
/// let m = GammaGamma { p: 6.2496, q: 3.7442, gamma: 15.444 };
/// // A customer with 4 repeat purchases averaging 30.00 is expected to spend between the
/// // population mean (35.18) and their own average.
/// let e = m.expected_spend(4, 30.0);
/// assert!(e > 30.0 && e < m.mean_spend());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of each order value's Gamma distribution.
    pub p: f64,
    /// Shape of the distribution of the customers' scale ν.
    pub q: f64,
    /// Rate of the distribution of ν (currency units).
    pub gamma: f64,
}

/// The fitted spend model with the data checks the model needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpendFit {
    /// The model and its optimiser diagnostics (the unit is not used by a spend model).
    pub fitted: Fitted<GammaGamma>,
    /// Customers in the fit (x ≥ 1, positive repeat spend).
    pub customers: u64,
    /// Pearson correlation of x and m_x: the model assumes it is near 0.
    pub frequency_spend_correlation: Option<f64>,
}

/// G(a, b) = lnΓ(a+b) − lnΓ(a) − lnΓ(b) (minus ln B(a, b)), with the larger argument's Γ taken
/// as a ratio so that neither lnΓ of a shape of 10⁸ (about 1.7·10⁹) is subtracted from another.
fn ln_gamma_beta(a: f64, b: f64) -> f64 {
    if a >= b { ln_gamma_ratio(a, b) - ln_gamma(b) } else { ln_gamma_ratio(b, a) - ln_gamma(a) }
}

/// The limits of the Gamma-Gamma parameter space (p, q, γ) as reduced models (see
/// `clv::boundary`): q, γ → ∞ with the mean order value m = pγ/q fixed (the customers' scale ν is
/// one number: every customer's orders have the same mean, their values vary only within a
/// customer), and p → ∞, γ → 0 with θ = pγ fixed (every order of a customer has the same value,
/// and those values are inverse-Gamma(q, θ) across customers).
const SPEND_LIMITS: [LimitSpec; 2] = [
    LimitSpec {
        limits: &[Limit::OneSpendLevel],
        names: &["p", "mean"],
        embed: |v| {
            (
                vec![v[0], LIMIT_SHAPE, LIMIT_SHAPE * v[1] / v[0]],
                jacobian(&[&[1.0, 0.0], &[0.0, 0.0], &[-LIMIT_SHAPE * v[1] / (v[0] * v[0]), LIMIT_SHAPE / v[0]]]),
            )
        },
        project: |p| vec![p[0], p[0] * p[2] / p[1]],
        report: |v| vec![("p".into(), v[0]), ("mean".into(), v[1])],
    },
    LimitSpec {
        limits: &[Limit::SteadySpend],
        names: &["q", "theta"],
        embed: |v| {
            (
                vec![LIMIT_SHAPE, v[0], v[1] / LIMIT_SHAPE],
                jacobian(&[&[0.0, 0.0], &[1.0, 0.0], &[0.0, 1.0 / LIMIT_SHAPE]]),
            )
        },
        project: |p| vec![p[1], p[0] * p[2]],
        report: |v| vec![("q".into(), v[0]), ("theta".into(), v[1])],
    },
];

impl GammaGamma {
    /// ln f(m_x | x): the density of the average of x order values (FH note eq. 3), including the
    /// Jacobian so it is a density of m_x, as lifetimes maximises it:
    /// lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m_x + px ln x − (px+q) ln(γ + x m_x),
    /// evaluated as G(px, q) − q ln(1 + x m_x/γ) − px ln(1 + γ/(x m_x)) − ln m_x with
    /// G = lnΓ(px+q) − lnΓ(px) − lnΓ(q): no two terms of size px·ln γ or q·ln γ are subtracted, so
    /// the density keeps its digits at the shapes of 10⁸ that stand for a limit ([`Limit::SteadySpend`],
    /// [`Limit::OneSpendLevel`]).
    pub fn log_likelihood(&self, x: u32, m_x: f64) -> f64 {
        let (q, g) = (self.q, self.gamma);
        let (xf, px) = (x as f64, self.p * x as f64);
        let xm = xf * m_x;
        ln_gamma_beta(px, q) - q * (xm / g).ln_1p() - px * (g / xm).ln_1p() - m_x.ln()
    }

    /// E[order value | x, m_x] = (p (γ + x m_x)) / (p x + q − 1) (FHL 2005 eq. 5): a weighted average
    /// of the population mean p γ/(q − 1) and the customer's own average. For x = 0 it is the
    /// population mean.
    pub fn expected_spend(&self, x: u32, m_x: f64) -> f64 {
        let xf = x as f64;
        if x == 0 || m_x.is_nan() || m_x <= 0.0 {
            return self.mean_spend();
        }
        self.p * (self.gamma + xf * m_x) / (self.p * xf + self.q - 1.0)
    }

    /// The gradient of ln [`expected_spend`](Self::expected_spend) over (ln p, ln q, ln γ), with
    /// the same branch: for the population mean ln(pγ/(q − 1)) it is (1, −q/(q − 1), 1); for a
    /// customer's own ln p + ln(γ + x m) − ln(p x + q − 1) it is
    /// (1 − p x/(p x + q − 1), −q/(p x + q − 1), γ/(γ + x m)).
    pub fn log_spend_gradient(&self, x: u32, m_x: f64) -> [f64; 3] {
        let (p, q, g) = (self.p, self.q, self.gamma);
        if x == 0 || m_x.is_nan() || m_x <= 0.0 {
            return [1.0, -q / (q - 1.0), 1.0];
        }
        let xf = x as f64;
        let denominator = p * xf + q - 1.0;
        [1.0 - p * xf / denominator, -q / denominator, g / (g + xf * m_x)]
    }

    /// The population's mean order value p γ / (q − 1) (infinite mean for q ≤ 1, which fits refuse).
    pub fn mean_spend(&self) -> f64 {
        self.p * self.gamma / (self.q - 1.0)
    }

    /// The total log-likelihood and its gradient in (p, q, γ), in the form of
    /// [`log_likelihood`](Self::log_likelihood). Terms in x alone (G(px, q) and its ψ
    /// differences) and Σ ln m_x per x are computed once per distinct x; per observation only
    /// ln(1 + x m_x/γ), ln(1 + γ/(x m_x)) and 1/(γ + x m_x) remain, summed in parallel in fixed
    /// chunks.
    fn total(&self, data: &SpendData) -> (f64, [f64; 3]) {
        let (p, q, g) = (self.p, self.q, self.gamma);
        let (mut ll, mut grad) = (0.0, [0.0; 3]);
        for &(x, count, sum_ln_m) in data.by_x() {
            let (xf, n) = (x as f64, count as f64);
            let px = p * xf;
            ll += n * ln_gamma_beta(px, q) - sum_ln_m;
            // ψ(px+q) − ψ(px) and ψ(px+q) − ψ(q), each without cancelling at a shape of 10⁸.
            grad[0] += n * xf * digamma_difference(px, q);
            grad[1] += n * digamma_difference(q, px);
        }
        // Per observation: −q ln(1 + x m/γ) − px ln(1 + γ/(x m)) and its derivatives.
        let parts: Vec<[f64; 4]> = data
            .observations()
            .par_chunks(8192)
            .map(|chunk| {
                chunk.iter().fold([0.0; 4], |mut acc, o| {
                    let xf = o.x as f64;
                    let (px, xm) = (p * xf, xf * o.m_x);
                    let (to_spend, to_scale) = ((xm / g).ln_1p(), (g / xm).ln_1p());
                    acc[0] -= q * to_spend + px * to_scale;
                    acc[1] -= xf * to_scale;
                    acc[2] -= to_spend;
                    acc[3] += (q * xm / g - px) / (g + xm);
                    acc
                })
            })
            .collect();
        for part in parts {
            ll += part[0];
            grad[0] += part[1];
            grad[1] += part[2];
            grad[2] += part[3];
        }
        (ll, grad)
    }

    /// The total log-likelihood of the observations.
    pub fn total_log_likelihood(&self, data: &SpendData) -> f64 {
        self.total(data).0
    }

    /// Maximum-likelihood fit. Refuses data with fewer than 10 repeat customers, spend that does
    /// not vary, and a solution with q ≤ 1, where expected spend would be infinite or negative
    /// (lifetimes#146, #370).
    pub fn fit(data: &SpendData, options: &FitOptions) -> Result<SpendFit> {
        let started = std::time::Instant::now();
        let obs = data.observations();
        // Every refusal says what helps: a later as-of day brings more repeat customers (and a
        // steadier tail of spend). Without a spend model CLV values each customer's purchases
        // at their own average order value (`ClvModel::spend_error`).
        let fail = |reason: String| {
            Err(Error::Fit { model: "Gamma-Gamma".into(), reason, next: vec![crate::error::NextStep::LaterAsOf] })
        };
        if (obs.len() as u64) < crate::clv::data::MIN_REPEATERS {
            return fail(format!(
                "only {} customers have repeat purchases with positive spend; at least {} are needed",
                obs.len(),
                crate::clv::data::MIN_REPEATERS
            ));
        }
        let mean = obs.iter().map(|o| o.m_x).sum::<f64>() / obs.len() as f64;
        if obs.iter().all(|o| (o.m_x - mean).abs() <= 1e-9 * mean) {
            return fail(format!(
                "every repeat customer's average order value is {mean}: spend does not vary, so each customer is \
                 valued at that average"
            ));
        }
        let likelihood = |data: &SpendData, v: &[f64]| -> Option<(f64, Vec<f64>)> {
            let (ll, g) = GammaGamma { p: v[0], q: v[1], gamma: v[2] }.total(data);
            (ll.is_finite() && g.iter().all(|x| x.is_finite())).then(|| (ll, g.to_vec()))
        };
        let ll = |v: &[f64]| likelihood(data, v);
        let sample = sample_step(obs.len() as u64).map(|k| data.thinned(k));
        let sample_ll = |v: &[f64]| sample.as_ref().and_then(|s| likelihood(s, v));
        let problem = Problem {
            model: "Gamma-Gamma",
            names: &["p", "q", "gamma"],
            observations: obs.len() as f64,
            log_likelihood: &ll,
            analytic_gradient: true,
            sample: sample
                .as_ref()
                .map(|s| Sample { observations: s.observations().len() as f64, log_likelihood: &sample_ll }),
            shapes: &[0, 1],
            limits: &SPEND_LIMITS,
            kind: None,
            warnings: Vec::new(),
            max_passes: crate::clv::fit::MAX_PASSES,
        };
        // Starts with the population mean p γ/(q − 1) equal to the observed mean.
        let starts: Vec<Vec<f64>> =
            [(1.0, 2.0), (5.0, 3.0), (10.0, 10.0)].iter().map(|&(p, q)| vec![p, q, mean * (q - 1.0) / p]).collect();
        let (v, mut diagnostics) = maximise(&problem, &starts, options)?;
        diagnostics.seconds = started.elapsed().as_secs_f64(); // including the sample's preparation
        let model = GammaGamma { p: v[0], q: v[1], gamma: v[2] };
        if model.q <= 1.0 {
            return fail(format!(
                "the fit has q = {:.4} ≤ 1, so the mean order value would be infinite: a few customers' average spend is \
                 extreme compared with the rest (check for outliers or wrong currency units)",
                model.q
            ));
        }
        Ok(SpendFit {
            fitted: Fitted { model, unit: Default::default(), diagnostics },
            customers: obs.len() as u64,
            frequency_spend_correlation: data.frequency_spend_correlation(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_differences() {
        let data = SpendData::new([(1, 10.0), (2, 35.5), (5, 12.25), (12, 80.0), (3, 3.0)]);
        let m = GammaGamma { p: 6.2496, q: 3.7442, gamma: 15.444 };
        let (_, g) = m.total(&data);
        let direct: f64 = data.observations().iter().map(|o| m.log_likelihood(o.x, o.m_x)).sum();
        assert!((m.total_log_likelihood(&data) - direct).abs() < 1e-10 * direct.abs());
        let v = [m.p, m.q, m.gamma];
        for i in 0..3 {
            let h = 1e-6 * v[i];
            let (mut up, mut down) = (v, v);
            up[i] += h;
            down[i] -= h;
            let f = |w: [f64; 3]| GammaGamma { p: w[0], q: w[1], gamma: w[2] }.total_log_likelihood(&data);
            let numeric = (f(up) - f(down)) / (2.0 * h);
            assert!((numeric - g[i]).abs() < 1e-6 * (1.0 + g[i].abs()), "{i}: {numeric} vs {}", g[i]);
        }
    }

    #[test]
    fn expected_spend_is_positive_and_shrinks_to_the_mean() {
        let m = GammaGamma { p: 6.2496, q: 3.7442, gamma: 15.444 };
        assert_eq!(m.expected_spend(0, 0.0), m.mean_spend());
        assert!((m.mean_spend() - 6.2496 * 15.444 / 2.7442).abs() < 1e-12);
        // More purchases: closer to the customer's own average.
        let few = m.expected_spend(1, 100.0);
        let many = m.expected_spend(50, 100.0);
        assert!(few < many && many < 100.0 && few > m.mean_spend());
    }

    /// The closed-form gradient of ln E[M] equals central differences, on both branches.
    #[test]
    fn log_spend_gradient_matches_differences() {
        let m = GammaGamma { p: 6.2496, q: 3.7442, gamma: 15.444 };
        for (x, m_x) in [(0, 0.0), (3, 0.0), (1, 12.5), (12, 80.0)] {
            let got = m.log_spend_gradient(x, m_x);
            let v = [m.p, m.q, m.gamma];
            for j in 0..3 {
                let at = |h: f64| {
                    let mut w = v;
                    w[j] *= h.exp();
                    GammaGamma { p: w[0], q: w[1], gamma: w[2] }.expected_spend(x, m_x).ln()
                };
                let want = (at(1e-6) - at(-1e-6)) / 2e-6;
                assert!((got[j] - want).abs() < 1e-7, "x {x} m {m_x} θ{j}: {} vs {want}", got[j]);
            }
        }
    }

    /// The best of a coarse grid over (p, q, γ): 10^−1 … 10^4 for the shapes (q > 1), γ from a
    /// thousandth to a thousand times the one that matches the observed mean.
    fn grid_best(data: &SpendData) -> f64 {
        let mean = data.observations().iter().map(|o| o.m_x).sum::<f64>() / data.observations().len() as f64;
        let shapes: Vec<f64> = (-4..=16).map(|k| 10f64.powf(k as f64 / 4.0)).collect();
        let mut best = f64::NEG_INFINITY;
        for &p in &shapes {
            for &q in shapes.iter().filter(|&&q| q > 1.0) {
                for k in -12..=12 {
                    let gamma = mean * (q - 1.0) / p * 10f64.powf(k as f64 / 4.0);
                    best = best.max(GammaGamma { p, q, gamma }.total_log_likelihood(data));
                }
            }
        }
        best
    }

    /// Shops where the likelihood peaks on an edge: each customer spends the same on every order
    /// (inverse-Gamma amounts across customers, so p → ∞), and every customer has the same mean
    /// order value (ν one number, q → ∞). Each fit returns its limit as a finding, at least as
    /// likely as any grid point, with the limit's parameters near the truth and predictions that
    /// say what the limit means.
    #[test]
    fn spend_limits_are_findings() {
        use crate::random::{dist::Gamma, rng::Rng};
        let mut rng = Rng::seed_from_u64(3);
        let between = Gamma::new(3.0, 1.0).unwrap();
        let steady = SpendData::new((0..3000u32).map(|i| (1 + i % 6, 40.0 / between.sample(&mut rng))));
        let within = Gamma::new(2.0, 0.05).unwrap(); // every customer: mean order value 40
        let one_level = SpendData::new((0..3000u32).map(|i| {
            let x = 1 + i % 6;
            (x, (0..x).map(|_| within.sample(&mut rng)).sum::<f64>() / x as f64)
        }));
        for (data, limit, truth) in
            [(&steady, Limit::SteadySpend, [3.0, 40.0]), (&one_level, Limit::OneSpendLevel, [2.0, 40.0])]
        {
            let fit = GammaGamma::fit(data, &FitOptions::default()).unwrap();
            let d = &fit.fitted.diagnostics;
            let b = d.boundary.as_ref().expect("a boundary finding");
            assert_eq!(b.limits, vec![limit]);
            for ((_, got), want) in b.reduced.iter().zip(truth) {
                assert!((got / want - 1.0).abs() < 0.1, "{limit:?}: {:?} vs {truth:?}", b.reduced);
            }
            assert!(d.log_likelihood >= grid_best(data) - 1e-6, "{limit:?}: {} < grid", d.log_likelihood);
            let m = fit.fitted.model;
            match limit {
                // Each customer's own average is their order value.
                Limit::SteadySpend => assert!((m.expected_spend(3, 55.0) / 55.0 - 1.0).abs() < 1e-6),
                // Everyone's expected order value is the common mean, whatever their own average.
                _ => assert!((m.expected_spend(3, 55.0) / m.mean_spend() - 1.0).abs() < 1e-6),
            }
        }
    }

    /// At a limit's shapes the density is the limit's own to O(1/K), in the stable form: the
    /// inverse-Gamma(q, θ) of m at p = 10⁸, and Gamma(px, xν) of m at q = 10⁸.
    #[test]
    fn limit_shapes_give_the_limiting_densities() {
        let (q, theta) = (3.0f64, 40.0f64);
        let steady = GammaGamma { p: LIMIT_SHAPE, q, gamma: theta / LIMIT_SHAPE };
        let (p, nu) = (2.0f64, 0.05f64);
        let level = GammaGamma { p, q: LIMIT_SHAPE, gamma: LIMIT_SHAPE / nu };
        for (x, m) in [(1u32, 12.0f64), (4, 40.0), (9, 300.0)] {
            let inverse_gamma = q * theta.ln() - (q + 1.0) * m.ln() - theta / m - ln_gamma(q);
            assert!((steady.log_likelihood(x, m) - inverse_gamma).abs() < 1e-6, "x {x}");
            let (shape, rate) = (p * x as f64, x as f64 * nu);
            let gamma = shape * rate.ln() + (shape - 1.0) * m.ln() - rate * m - ln_gamma(shape);
            // ν's variance ν²/K moves the log-density by ½(ν²/K)·f''/f at ν, f the Gamma(shape,
            // xν) density of m: ½((shape − xνm)² − shape)/K, 7e-5 at x = 9, m = 300.
            let correction = 0.5 * ((shape - rate * m).powi(2) - shape) / LIMIT_SHAPE;
            let got = level.log_likelihood(x, m) - gamma;
            assert!((got - correction).abs() < 1e-9 + 0.1 * correction.abs(), "x {x}: {got} vs {correction}");
        }
    }

    #[test]
    fn constant_spend_is_refused() {
        let data = SpendData::new((1..30).map(|x| (x, 25.0)));
        let err = GammaGamma::fit(&data, &FitOptions::default()).unwrap_err();
        assert!(err.to_string().contains("does not vary"), "{err}");
    }
}
