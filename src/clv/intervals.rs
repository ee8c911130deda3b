//! Prediction intervals that carry the parameters' uncertainty into each customer's P(alive),
//! expected purchases and CLV: by the delta method on a logit or log scale (the default), or from
//! draws of the parameters' asymptotic normal distribution, which checks it.

use serde::{Deserialize, Serialize};

use crate::clv::count_model::CountModel;
use crate::clv::model::{PurchaseModel, STEP};
use crate::clv::optimize::cholesky;
use crate::error::{Error, Result};
use crate::random::dist::standard_normal;
use crate::random::rng::Rng;

/// How prediction intervals are computed.
///
/// ```
/// use retention::clv::IntervalOptions;
/// let options = IntervalOptions::default().level(0.95).draws(2_000).seed(7);
/// assert_eq!((options.level, options.draws, options.seed), (0.95, 2_000, 7));
/// options.validate()?;
/// # Ok::<(), retention::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntervalOptions {
    /// Coverage of each interval (0.9 for a 90% interval).
    pub level: f64,
    /// 0: the delta method. Otherwise the number of parameter draws from N(θ̂, Σ) on the log
    /// scale whose predictions' quantiles give the interval (2,000 is a good check of the delta
    /// method; the cost is that many predictions per customer).
    pub draws: u32,
    /// Seed of the draws (the same seed gives the same intervals).
    pub seed: u64,
}

impl Default for IntervalOptions {
    /// 90% delta-method intervals.
    fn default() -> Self {
        IntervalOptions::delta(0.9)
    }
}

impl IntervalOptions {
    /// Delta-method intervals at `level`.
    pub fn delta(level: f64) -> IntervalOptions {
        IntervalOptions { level, draws: 0, seed: 0 }
    }

    /// Checks the options, naming the bad one.
    pub fn validate(&self) -> Result<()> {
        crate::clv::uncertainty::interval_z(self.level)?;
        if self.draws != 0 && !(100..=100_000).contains(&self.draws) {
            return Err(Error::invalid(
                "IntervalOptions::draws",
                self.draws.to_string(),
                "expected 100 to 100,000 draws",
            ));
        }
        Ok(())
    }
}

crate::options::setters! {
    IntervalOptions {
        /// Sets the coverage of each interval (0.9 for a 90% interval).
        level: f64,
        /// Sets the number of parameter draws (0: the delta method).
        draws: u32,
        /// Sets the seed of the draws.
        seed: u64,
    }
}

/// A two-sided interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
}

impl Interval {
    /// upper − lower.
    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }
}

/// One customer's prediction intervals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerIntervals {
    /// For P(alive).
    pub p_alive: Interval,
    /// For the expected purchases in the window.
    pub expected_purchases: Interval,
    /// For the CLV.
    pub clv: Interval,
}

/// The model with each log-parameter in turn moved by [`STEP`] (multiplied by e^STEP).
pub(crate) fn perturbed(model: &CountModel) -> Vec<CountModel> {
    let base: Vec<f64> = model.parameters().iter().map(|p| p.1).collect();
    (0..base.len())
        .map(|j| {
            let mut v = base.clone();
            v[j] *= STEP.exp();
            model.with_parameters(&v)
        })
        .collect()
}

/// gᵀ Σ g.
pub(crate) fn quadratic_form(g: &[f64], cov: &[Vec<f64>]) -> f64 {
    let mut total = 0.0;
    for (i, gi) in g.iter().enumerate() {
        for (j, gj) in g.iter().enumerate() {
            total += gi * cov[i][j] * gj;
        }
    }
    total.max(0.0)
}

fn logit(p: f64) -> f64 {
    p.ln() - (-p).ln_1p()
}

/// The delta-method interval of a probability from the gradient of its logit, on the logit scale
/// so it stays in [0, 1]. A probability of exactly 0 or 1 (BG/NBD: a customer without repeat
/// purchases is alive) has no uncertainty.
pub(crate) fn probability(p: f64, logit_gradient: &[f64], cov: &[Vec<f64>], z: f64) -> Interval {
    if !(p > 0.0 && p < 1.0) {
        return Interval { lower: p, upper: p };
    }
    let at = logit(p);
    let sd = quadratic_form(logit_gradient, cov).sqrt();
    let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
    Interval { lower: expit(at - z * sd), upper: expit(at + z * sd) }
}

/// The delta-method interval of a positive quantity on the log scale: `log_gradients` are the
/// gradients of its logarithm over each parameter block, with that block's covariance.
pub(crate) fn positive(value: f64, blocks: &[(&[f64], &[Vec<f64>])], z: f64) -> Interval {
    if !(value > 0.0 && value.is_finite()) {
        return Interval { lower: value, upper: value };
    }
    let var: f64 = blocks.iter().map(|(g, cov)| quadratic_form(g, cov)).sum();
    let sd = var.sqrt();
    Interval { lower: value * (-z * sd).exp(), upper: value * (z * sd).exp() }
}

/// A square root L (L Lᵀ = Σ) of a covariance for drawing from N(0, Σ): its Cholesky factor, or,
/// should rounding have left Σ not quite positive definite (a fitted model's covariance is the
/// inverse of a positive-definite Hessian, so it should not), the square roots of its diagonal.
pub(crate) fn root(cov: &[Vec<f64>]) -> Vec<Vec<f64>> {
    cholesky(cov).unwrap_or_else(|| {
        let n = cov.len();
        (0..n).map(|i| (0..n).map(|j| if i == j { cov[i][i].max(0.0).sqrt() } else { 0.0 }).collect()).collect()
    })
}

/// `n` vectors of `k` standard normal values, centred and rotated so that their sample mean is 0
/// and their sample covariance exactly the identity (moment matching). The draws then differ
/// from the delta method only through the predictions' curvature, which is what they check,
/// instead of also through the sampling error of the mean and spread of a few thousand draws
/// (about 1.5% of an interval's width at 2,000, the same for every customer).
pub(crate) fn standardised_normals(n: usize, k: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let mut z: Vec<Vec<f64>> = (0..n).map(|_| (0..k).map(|_| standard_normal(rng)).collect()).collect();
    if n <= k {
        return z;
    }
    for j in 0..k {
        let mean = z.iter().map(|v| v[j]).sum::<f64>() / n as f64;
        z.iter_mut().for_each(|v| v[j] -= mean);
    }
    let cov: Vec<Vec<f64>> =
        (0..k).map(|i| (0..k).map(|j| z.iter().map(|v| v[i] * v[j]).sum::<f64>() / (n - 1) as f64).collect()).collect();
    // A sample of more than k normals has a positive-definite covariance (almost surely).
    let Some(l) = cholesky(&cov) else { return z };
    // z ← L⁻¹ z by forward substitution.
    for v in &mut z {
        for i in 0..k {
            let s: f64 = (0..i).map(|j| l[i][j] * v[j]).sum();
            v[i] = (v[i] - s) / l[i][i];
        }
    }
    z
}

/// The `level` interval of a sample by linear interpolation between order statistics (sorts
/// `values`). Non-finite values sort to the ends.
pub(crate) fn quantile_interval(values: &mut [f64], level: f64) -> Interval {
    values.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| {
        let pos = q * (values.len() - 1) as f64;
        let (i, frac) = (pos.floor() as usize, pos - pos.floor());
        let lo = values[i];
        let hi = values[(i + 1).min(values.len() - 1)];
        if frac == 0.0 { lo } else { lo + frac * (hi - lo) }
    };
    Interval { lower: at(0.5 - 0.5 * level), upper: at(0.5 + 0.5 * level) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_reproduces_the_matrix() {
        let cov = vec![vec![4.0, 2.0, 0.4], vec![2.0, 3.0, 0.3], vec![0.4, 0.3, 1.0]];
        let l = root(&cov);
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| l[i][k] * l[j][k]).sum();
                assert!((v - cov[i][j]).abs() < 1e-12, "{i} {j}: {v}");
            }
        }
        // Not positive definite: the diagonal's roots.
        let singular = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
        assert_eq!(root(&singular), vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
    }

    #[test]
    fn standardised_normals_have_exact_moments() {
        let z = standardised_normals(500, 3, &mut Rng::seed_from_u64(3));
        for i in 0..3 {
            assert!(z.iter().map(|v| v[i]).sum::<f64>().abs() < 1e-9);
            for j in 0..3 {
                let c = z.iter().map(|v| v[i] * v[j]).sum::<f64>() / 499.0;
                assert!((c - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12, "{i} {j}: {c}");
            }
        }
    }

    #[test]
    fn quantiles_interpolate() {
        let mut v: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        let i = quantile_interval(&mut v, 0.9);
        assert!((i.lower - 5.0).abs() < 1e-9 && (i.upper - 95.0).abs() < 1e-9, "{i:?}");
    }

    /// A probability's interval stays inside (0, 1) and widens with the variance; a certain one
    /// has none.
    #[test]
    fn probability_intervals_stay_in_range() {
        let cov = vec![vec![1.0]];
        let p = 0.999;
        let i = probability(p, &[5.0], &cov, 1.96);
        assert!(i.lower > 0.0 && i.lower < p && p < i.upper && i.upper < 1.0, "{i:?}");
        // logit sd = 5: the interval is expit(logit p ± 9.8).
        assert!((logit(i.upper) - logit(p) - 9.8).abs() < 1e-3, "{i:?}");
        assert_eq!(probability(1.0, &[3.0], &cov, 1.96), Interval { lower: 1.0, upper: 1.0 });
    }

    /// The closed-form gradient of logit P(alive) of the BG/NBD family equals central
    /// differences of the model itself.
    #[test]
    fn closed_form_logit_gradient_matches_differences() {
        use crate::clv::{BgNbd, MbgNbd};
        let logit = |p: f64| p.ln() - (-p).ln_1p();
        for model in [
            CountModel::BgNbd(BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }),
            CountModel::MbgNbd(MbgNbd { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 }),
        ] {
            for (x, t_x, age) in [(2.0, 30.43, 38.86), (1.0, 1.71, 38.86), (12.0, 20.0, 52.0), (0.0, 0.0, 38.86)] {
                let got = model.logit_p_alive_gradient(x, t_x, age);
                let base: Vec<f64> = model.parameters().iter().map(|p| p.1).collect();
                for j in 0..4 {
                    let at = |h: f64| {
                        let mut v = base.clone();
                        v[j] *= h.exp();
                        let p = model.with_parameters(&v).p_alive(x, t_x, age);
                        if p == 1.0 { f64::INFINITY } else { logit(p) }
                    };
                    let h = 1e-5;
                    let want = if x == 0.0 && matches!(model, CountModel::BgNbd(_)) {
                        0.0
                    } else {
                        (at(h) - at(-h)) / (2.0 * h)
                    };
                    assert!(
                        (got[j] - want).abs() < 1e-6 * want.abs().max(1.0),
                        "{} ({x}, {t_x}) θ{j}: {} vs {want}",
                        model.name(),
                        got[j]
                    );
                }
            }
        }
    }
}
