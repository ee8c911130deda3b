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
    /// The same model with other parameter values (in the order of
    /// [`parameters`](Self::parameters)): what prediction intervals perturb and draw.
    fn with_parameters(&self, values: &[f64]) -> Self
    where
        Self: Sized;
    /// One customer's log-likelihood.
    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// Probability that the customer is still active at the end of the window.
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// Expected purchases in the next `t` units of a customer known to be alive at `age`. It does
    /// not depend on t_x, which is why scoring can tabulate it per (x, T).
    fn expected_if_alive(&self, t: f64, x: f64, age: f64) -> f64;
    /// The gradient of logit P(alive) = ln(P/(1 − P)) over the log-parameters (in the order of
    /// [`parameters`](Self::parameters); every purchase model here has four): what the delta
    /// method needs per customer. The BG/NBD family has it in closed form; a model without one
    /// returns [`forward_logit_gradient`]`(self, …)`.
    fn logit_p_alive_gradient(&self, x: f64, t_x: f64, age: f64) -> [f64; 4];
    /// P(still active `t` units from now | active now, x, T). Like
    /// [`expected_if_alive`](Self::expected_if_alive) it does not depend on t_x.
    fn survival_if_alive(&self, t: f64, x: f64, age: f64) -> f64;
    /// P(n purchases in the next `t` units | active now, x, T) for n = 0..=`max`.
    fn counts_if_alive(&self, t: f64, x: f64, age: f64, max: u32) -> Vec<f64>;
    /// P(active `t` units after the end of the window | x, t_x, T): P(alive) times the chance of
    /// surviving the next `t` units.
    fn p_alive_at(&self, t: f64, x: f64, t_x: f64, age: f64) -> f64 {
        self.p_alive(x, t_x, age) * self.survival_if_alive(t, x, age)
    }
    /// P(X(T, T + t] = n | x, t_x, T): `n` purchases in the next `t` units, for n = 0..=`max`. A
    /// customer who is no longer active makes none, so P(0) (the chance of no order in the window,
    /// "churn in the window") is P(alive)·P(0 | active) + 1 − P(alive).
    fn purchase_counts(&self, t: f64, x: f64, t_x: f64, age: f64, max: u32) -> Vec<f64> {
        let alive = self.p_alive(x, t_x, age);
        let mut p: Vec<f64> = self.counts_if_alive(t, x, age, max).into_iter().map(|q| alive * q).collect();
        if let Some(p0) = p.first_mut() {
            *p0 += 1.0 - alive;
        }
        p
    }
    /// Expected purchases in the next `t` units: P(alive) · [`expected_if_alive`](Self::expected_if_alive).
    /// With x = t_x = age = 0 it is the expected number of repeat purchases of a new customer in
    /// their first `t` units (the population curve).
    fn expected_purchases(&self, t: f64, x: f64, t_x: f64, age: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        self.p_alive(x, t_x, age) * self.expected_if_alive(t, x, age)
    }
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

/// Forward-difference step on the log-parameters: the truncation error of a derivative is about
/// 1e-5 relative, far below what an interval's width is known to.
pub(crate) const STEP: f64 = 1e-5;

/// The gradient of logit P(alive) over the log-parameters by forward differences (a step of 1e-5),
/// for models without a closed form.
pub fn forward_logit_gradient<M: PurchaseModel>(model: &M, x: f64, t_x: f64, age: f64) -> [f64; 4] {
    let logit = |p: f64| p.ln() - (-p).ln_1p();
    let p = model.p_alive(x, t_x, age);
    let mut gradient = [0.0; 4];
    if !(p > 0.0 && p < 1.0) {
        return gradient;
    }
    let base: Vec<f64> = model.parameters().iter().map(|p| p.1).collect();
    for (j, g) in gradient.iter_mut().enumerate().take(base.len()) {
        let mut v = base.clone();
        v[j] *= STEP.exp();
        let q = model.with_parameters(&v).p_alive(x, t_x, age).clamp(1e-300, 1.0 - 1e-16);
        *g = (logit(q) - logit(p)) / STEP;
    }
    gradient
}
