//! What every purchase-count model offers once fitted: its log-likelihood per customer, P(alive)
//! and expected purchases, and the fitted wrapper that carries the time unit and fit diagnostics.

use serde::{Deserialize, Serialize};

use crate::clv::data::TimeUnit;
use crate::clv::optimize::Diagnostics;

/// A fitted customer-base model of purchase counts (BG/NBD, MBG/NBD, Pareto/NBD). Times (`t`, `t_x`,
/// `age` = T) are in the model's time unit; `x` is the number of repeat purchases.
pub trait PurchaseModel: Sync {
    /// The model's name (`BG/NBD`).
    fn name(&self) -> &'static str;
    /// Parameter names and values, in the literature's order.
    fn parameters(&self) -> Vec<(&'static str, f64)>;
    /// One customer's log-likelihood.
    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// Probability that the customer is still active at the end of the window.
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// Expected purchases in the next `t` units. With x = t_x = age = 0 it is the expected number of
    /// repeat purchases of a new customer in their first `t` units (the population curve).
    fn expected_purchases(&self, t: f64, x: f64, t_x: f64, age: f64) -> f64;
}

/// A model with the unit its parameters are in and how its fit went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fitted<M> {
    /// The fitted parameters.
    pub model: M,
    /// The time unit of the rate parameters.
    pub unit: TimeUnit,
    /// Optimiser diagnostics.
    pub diagnostics: Diagnostics,
}
