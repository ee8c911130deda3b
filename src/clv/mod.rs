//! Probabilistic customer-lifetime models: BG/NBD, MBG/NBD and Pareto/NBD for purchase counts and
//! Gamma-Gamma for spend, fitted by maximum likelihood over customers grouped by (x, t_x, T), with
//! predictions per customer (P(alive), expected purchases, expected order value).
//!
//! ```
//! use retention::clv::{BgNbd, CountData, FitOptions, PurchaseModel, TimeUnit, simulate};
//! # fn main() -> retention::Result<()> {
//! // (x, t_x, T) in days of 2,000 customers drawn from known parameters; a shop's come from
//! // CountData::from_summaries(&store.summaries(None)?, unit).
//! let truth = BgNbd { r: 0.5, alpha: 20.0, a: 0.8, b: 2.5 };
//! let triples = simulate::bgnbd(&truth, 2_000, (100, 400), 7).expect("valid parameters");
//! let data = CountData::from_days(triples, TimeUnit::Weeks)?;
//! let fit = BgNbd::fit(&data, &FitOptions::default())?;
//! assert!(fit.diagnostics.converged);
//! let p = fit.model.p_alive(3.0, 100.0 / 7.0, 200.0 / 7.0);
//! assert!(p > 0.0 && p < 1.0);
//! # Ok(()) }
//! ```

mod bg;
mod boundary;
mod count_model;
mod counts;
mod data;
mod evaluate;
mod fit;
mod gamma_gamma;
mod horizon;
mod intervals;
mod kind;
mod model;
mod optimize;
mod pareto;
mod saved;
pub mod simulate;
pub mod special;
mod tracking;
#[cfg(test)]
mod traps;
mod uncertainty;
mod value;

pub use bg::{BgNbd, MbgNbd};
pub use boundary::{Boundary, LIMIT_SHAPE, Limit, NextStep, Warning, WarningKind};
pub use count_model::CountModel;
pub use data::{Cell, CountData, FitInput, SpendData, SpendObservation, TimeUnit};
pub use evaluate::{EvaluateOptions, Evaluation, FrequencyGroup, ModelEvaluation};
pub use fit::FitOptions;
pub use gamma_gamma::{GammaGamma, SpendFit};
pub use horizon::{CalendarUnit, DiscountRate, Periods, Span};
pub use intervals::{CustomerIntervals, Interval, IntervalOptions};
pub use kind::ModelKind;
pub use model::{Fitted, PurchaseModel, forward_logit_gradient};
pub use optimize::{Diagnostics, Tolerances};
pub use pareto::ParetoNbd;
pub use saved::{COUNTS_ONLY, ClvModel, DataFingerprint, SavedClv};
pub use tracking::{HISTOGRAM_BINS, Tracking};
pub use uncertainty::{Estimate, FitSummary};
pub use value::{CustomerValue, Scores, Valuation, ValueOptions, population_curve};
