//! Findings about a fit, as data: where the likelihood's maximum lies when it is on the edge of
//! the parameter space (a simpler model describes the data), which parameters the data barely pin
//! down, and what a user can do next. The fit driver produces them; the CLI turns them into words
//! and commands.
//!
//! A supremum on the boundary is a result, not an error. When a shop's repeat customers are all
//! still buying at the end of the window, BG/NBD's likelihood rises as a → 0 without end: the
//! data say "nobody drops out" (an NBD). When everyone drops out at one rate, Pareto/NBD's rises
//! as s, β → ∞ with s/β fixed. Other tools stop somewhere on the way (lifetimes at s ≈ 168,
//! β ≈ 20,000 on one public data set) or keep going until killed; this engine fits the limit.
//!
//! How a limit is fitted. A shape that runs to 0 is set to 0 exactly (the formulas of every
//! model are written so that a = 0 or s = 0 is the no-dropout model); a Gamma or Beta that runs to
//! a point mass keeps its mean and gets the concentration [`LIMIT_SHAPE`] = 10⁸, whose variance
//! (10⁻⁸ of the mean squared) no shop's data can tell from zero; a Beta whose a and b both run to
//! 0 keeps a/(a + b) with a + b = 10⁻⁸, as close to its two-point limit. The likelihood and every
//! prediction are computed in forms that keep their digits at that size (rising factorials and
//! `ln(1 + t/α)` instead of differences of terms of size r·ln α).

use serde::{Deserialize, Serialize};

use crate::clv::kind::ModelKind;
pub use crate::error::NextStep;

/// The concentration (a Gamma's shape, a Beta's a + b) that stands for a point mass in a boundary
/// fit: the distribution's coefficient of variation is 10⁻⁴.
pub const LIMIT_SHAPE: f64 = 1e8;

/// One way a model's parameter space ends, in the terms of what it says about the customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Limit {
    /// Nobody is seen to drop out in the window: BG/NBD and MBG/NBD a → 0, Pareto/NBD s → 0.
    /// Purchases follow the NBD model alone, and every customer is alive.
    NoDropout,
    /// Every customer drops out after a purchase with the same probability: BG/NBD and MBG/NBD
    /// a, b → ∞ with a/(a + b) fixed.
    OneDropoutProbability,
    /// Each customer either drops out at the first chance or never: BG/NBD and MBG/NBD a, b → 0
    /// with a/(a + b) fixed, the Beta's mass split between p = 1 (that share) and p = 0.
    AllOrNothingDropout,
    /// Every customer's lifetime ends at the same rate: Pareto/NBD s, β → ∞ with s/β fixed (NBD
    /// purchases with an exponential lifetime).
    OneDropoutRate,
    /// Every customer buys at the same rate while alive: r, α → ∞ with r/α fixed (Poisson
    /// purchases).
    OnePurchaseRate,
    /// Gamma-Gamma: every customer's orders have the same mean value (q, γ → ∞ with the mean
    /// pγ/q fixed); order values vary within customers only.
    OneSpendLevel,
    /// Gamma-Gamma: each customer spends the same on every order (p → ∞, γ → 0 with θ = pγ
    /// fixed); the amounts differ between customers as an inverse-Gamma(q, θ).
    SteadySpend,
}

impl Limit {
    /// The parameters that run off and where (`"s,beta -> inf"`), for the purchase `model`
    /// (`None` for the spend model, Gamma-Gamma).
    pub fn parameters(self, model: Option<ModelKind>) -> &'static str {
        match (self, model) {
            (Limit::NoDropout, Some(ModelKind::ParetoNbd)) => "s -> 0",
            (Limit::NoDropout, _) => "a -> 0",
            (Limit::OneDropoutProbability, _) => "a,b -> inf",
            (Limit::AllOrNothingDropout, _) => "a,b -> 0",
            (Limit::OneDropoutRate, _) => "s,beta -> inf",
            (Limit::OnePurchaseRate, _) => "r,alpha -> inf",
            (Limit::OneSpendLevel, _) => "q,gamma -> inf",
            (Limit::SteadySpend, _) => "p -> inf; gamma -> 0",
        }
    }

    /// What the limit says about the customers, in plain words.
    pub fn meaning(self) -> &'static str {
        match self {
            Limit::NoDropout => "nobody is seen to stop buying in the window: every customer counts as alive",
            Limit::OneDropoutProbability => "every customer drops out after a purchase with the same probability",
            Limit::AllOrNothingDropout => {
                "each customer either drops out at the first chance or never: a share a/(a+b) are one-off returners"
            }
            Limit::OneDropoutRate => "every customer's lifetime ends at the same rate",
            Limit::OnePurchaseRate => "every customer buys at the same rate while alive",
            Limit::OneSpendLevel => "every customer's orders have the same mean value; they vary within customers only",
            Limit::SteadySpend => "each customer spends the same on every order; the amounts differ between customers",
        }
    }
}

/// A fit whose maximum lies on the boundary of the parameter space: the limits it reached, what
/// the data gain there over the best interior point, and the limiting model's own parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    /// The limits reached (one or two: "one purchase rate" and "one dropout rate" together).
    pub limits: Vec<Limit>,
    /// The parameters that ran off, as `"s,beta -> inf"` (limits joined by `"; "`).
    pub parameters: String,
    /// The limiting model's free parameters and their values (for one dropout rate: r, α and
    /// `mu` = s/β).
    pub reduced: Vec<(String, f64)>,
    /// Log-likelihood of the best interior point a search converged to (every shape within
    /// [10⁻⁴, 10⁴]), when one did.
    pub interior_log_likelihood: Option<f64>,
    /// 2·(log-likelihood at the boundary − that of the best interior point): how strongly the
    /// data prefer the limit (a χ² statistic with one degree of freedom per limit, halved at a
    /// boundary). `None` when no search ended inside.
    pub likelihood_ratio: Option<f64>,
}

impl Boundary {
    /// The finding in one sentence.
    pub fn describe(&self) -> String {
        let meaning: Vec<&str> = self.limits.iter().map(|l| l.meaning()).collect();
        format!("the likelihood is highest at the boundary {}: {}", self.parameters, meaning.join("; and "))
    }
}

/// A parameter the data pin down only loosely: a warning that goes with the fit, never a refusal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// What is weak.
    pub kind: WarningKind,
    /// The parameter(s) concerned, as the model names them.
    pub parameters: Vec<String>,
    /// What would pin them down.
    pub next_steps: Vec<NextStep>,
}

/// The kinds of [`Warning`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum WarningKind {
    /// The standard error of ln θ is this large (θ uncertain by a factor of e^se), or infinite
    /// (`None`, the likelihood is flat in that direction).
    WeaklyIdentified {
        /// Standard error of the log-estimate, `None` when infinite.
        log_se: Option<f64>,
    },
    /// Two parameters' estimates lie on a ridge: only a combination of them is identified.
    Ridge {
        /// Correlation of their log-estimates.
        correlation: f64,
    },
    /// Few customers made a repeat purchase: the estimates rest on them alone.
    FewRepeaters {
        /// Customers with a repeat purchase.
        repeaters: u64,
    },
}

impl Warning {
    /// The warning in one sentence.
    pub fn describe(&self) -> String {
        let names = self.parameters.join(" and ");
        match &self.kind {
            WarningKind::WeaklyIdentified { log_se: Some(se) } => {
                format!("{names} is weakly identified by the data (uncertain by a factor of {:.0})", se.exp())
            }
            WarningKind::WeaklyIdentified { log_se: None } => {
                format!("{names} is not identified: the likelihood is flat in its direction")
            }
            WarningKind::Ridge { correlation } => format!(
                "{names} are not separately identified (their estimates correlate at {correlation:.4}); their \
                 combination is"
            ),
            WarningKind::FewRepeaters { repeaters } => {
                format!("only {repeaters} customers made a repeat purchase: every estimate rests on them")
            }
        }
    }
}
