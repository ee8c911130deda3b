//! How sure a fit is: standard errors and intervals of the parameters from the observed
//! information, the log-likelihood with AIC and BIC, and the optimiser's convergence facts, as one
//! summary a command prints and a service serialises.

use serde::{Deserialize, Serialize};

use crate::clv::gamma_gamma::GammaGamma;
use crate::clv::model::{Fitted, PurchaseModel};
use crate::clv::optimize::Diagnostics;
use crate::clv::special::normal_quantile;
use crate::error::{Error, Result};

/// One parameter's estimate and its uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Estimate {
    /// The parameter's name (`r`, `alpha`, ...).
    pub name: String,
    /// The maximum-likelihood estimate.
    pub value: f64,
    /// Asymptotic standard error on the natural scale (θ·se(ln θ), the delta method; the number
    /// lifetimes' `summary` prints).
    pub standard_error: f64,
    /// Lower end of the interval exp(ln θ ± z·se(ln θ)): a Wald interval on the log scale the
    /// parameter was estimated on, so it never leaves (0, ∞) as θ ± z·se can.
    pub lower: f64,
    /// Upper end of that interval.
    pub upper: f64,
}

/// A fit's parameters with their uncertainty, its likelihood-based criteria and how the optimiser
/// ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FitSummary {
    /// The model's name.
    pub model: String,
    /// Confidence level of the intervals (0.95).
    pub level: f64,
    /// Each parameter, in the literature's order.
    pub estimates: Vec<Estimate>,
    /// Correlation matrix of the log-parameter estimates (same order).
    pub correlation: Vec<Vec<f64>>,
    /// Total log-likelihood at the optimum (without the penalty).
    pub log_likelihood: f64,
    /// Akaike's criterion 2k − 2 ln L.
    pub aic: f64,
    /// Schwarz's criterion k ln n − 2 ln L, n the customers fitted.
    pub bic: f64,
    /// Customers (observations) fitted.
    pub observations: u64,
    /// Iterations of the winning run.
    pub iterations: u32,
    /// Largest gradient component of the mean log-likelihood over log-parameters at the optimum.
    pub gradient_norm: f64,
    /// Whether the convergence test passed (always true for a fit that was returned).
    pub converged: bool,
    /// `bfgs` or `nelder-mead`.
    pub method: String,
    /// The boundary the maximum lies on, as `"s,beta -> inf"` (see
    /// [`Diagnostics::boundary`]); empty for an interior maximum. Parameters held at a limit have
    /// a standard error of 0.
    pub at_bound: Vec<String>,
    /// L2 penalty weight of the fit (0: plain maximum likelihood; the intervals then describe the
    /// penalised estimate).
    pub penalty: f64,
}

impl FitSummary {
    /// The summary of a fit with these `parameters` and `diagnostics` at confidence `level`.
    pub fn new(
        model: &str,
        parameters: &[(&'static str, f64)],
        diagnostics: &Diagnostics,
        level: f64,
    ) -> Result<FitSummary> {
        let z = interval_z(level)?;
        let cov = &diagnostics.covariance;
        if cov.len() != parameters.len() {
            return Err(Error::invalid(
                "Fitted::summary",
                model.to_string(),
                "the fit carries no covariance matrix (a model saved by an older version: fit it again)",
            ));
        }
        let estimates = parameters
            .iter()
            .enumerate()
            .map(|(i, &(name, value))| {
                let log_se = cov[i][i].sqrt();
                Estimate {
                    name: name.to_string(),
                    value,
                    standard_error: value * log_se,
                    lower: value * (-z * log_se).exp(),
                    upper: value * (z * log_se).exp(),
                }
            })
            .collect();
        let k = parameters.len();
        // A parameter held at a limit has no variance: it correlates with nothing.
        let correlation = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| {
                        let v = (cov[i][i] * cov[j][j]).sqrt();
                        if i == j {
                            1.0
                        } else if v > 0.0 {
                            cov[i][j] / v
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let ll = diagnostics.log_likelihood;
        Ok(FitSummary {
            model: model.to_string(),
            level,
            estimates,
            correlation,
            log_likelihood: ll,
            aic: 2.0 * k as f64 - 2.0 * ll,
            bic: k as f64 * (diagnostics.observations.max(1) as f64).ln() - 2.0 * ll,
            observations: diagnostics.observations,
            iterations: diagnostics.iterations,
            gradient_norm: diagnostics.gradient_norm,
            converged: diagnostics.converged,
            method: diagnostics.method.clone(),
            at_bound: diagnostics.boundary.iter().map(|b| b.parameters.clone()).filter(|p| !p.is_empty()).collect(),
            penalty: diagnostics.penalty,
        })
    }
}

/// z = Φ⁻¹((1 + level)/2) of a two-sided interval, or an error naming the level.
pub(crate) fn interval_z(level: f64) -> Result<f64> {
    if !(level > 0.0 && level <= 0.999_999) {
        return Err(Error::invalid(
            "interval level",
            level.to_string(),
            "expected a level in (0, 0.999999], such as 0.9",
        ));
    }
    Ok(normal_quantile(0.5 + 0.5 * level))
}

impl<M: PurchaseModel> Fitted<M> {
    /// Parameters with standard errors and `level` intervals, log-likelihood, AIC, BIC and
    /// convergence facts.
    ///
    /// ```
    /// use retention::clv::{BgNbd, CountData, FitOptions, TimeUnit, simulate};
    /// # fn main() -> retention::Result<()> {
    /// let truth = BgNbd { r: 0.5, alpha: 20.0, a: 0.8, b: 2.5 };
    /// let data = CountData::from_days(simulate::bgnbd(&truth, 5_000, (100, 400), 3).expect("valid parameters"), TimeUnit::Days)?;
    /// let summary = BgNbd::fit(&data, &FitOptions::default())?.summary(0.95)?;
    /// let r = &summary.estimates[0];
    /// assert!(r.lower < r.value && r.value < r.upper && r.standard_error > 0.0);
    /// assert!(summary.bic > summary.aic);
    /// # Ok(()) }
    /// ```
    pub fn summary(&self, level: f64) -> Result<FitSummary> {
        FitSummary::new(self.model.name(), &self.model.parameters(), &self.diagnostics, level)
    }
}

impl Fitted<GammaGamma> {
    /// As [`Fitted::summary`] for the spend model.
    pub fn spend_summary(&self, level: f64) -> Result<FitSummary> {
        let m = self.model;
        FitSummary::new("Gamma-Gamma", &[("p", m.p), ("q", m.q), ("gamma", m.gamma)], &self.diagnostics, level)
    }
}
