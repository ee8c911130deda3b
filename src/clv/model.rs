//! What every purchase-count model offers once fitted: its log-likelihood per customer, P(alive)
//! and expected purchases, and the fitted wrapper that carries the time unit and fit diagnostics.

use serde::{Deserialize, Serialize};

use crate::clv::bg::{BgNbd, MbgNbd};
use crate::clv::data::{CountData, TimeUnit};
use crate::clv::fit::FitOptions;
use crate::clv::optimize::Diagnostics;
use crate::clv::pareto::ParetoNbd;

/// A fitted customer-base model of purchase counts (BG/NBD, MBG/NBD, Pareto/NBD). Times (`t`, `t_x`,
/// `age` = T) are in the model's time unit; `x` is the number of repeat purchases.
pub trait PurchaseModel: Sync {
    /// The model's name (`BG/NBD`).
    fn name(&self) -> &'static str;
    /// Parameter names and values, in the literature's order.
    fn parameters(&self) -> Vec<(&'static str, f64)>;
    /// The same model with other parameter values (in the order of
    /// [`parameters`](Self::parameters)): what prediction intervals perturb and draw.
    fn with_parameters(&self, values: &[f64]) -> CountModel;
    /// One customer's log-likelihood.
    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// Probability that the customer is still active at the end of the window.
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64;
    /// Expected purchases in the next `t` units of a customer known to be alive at `age`. It does
    /// not depend on t_x, which is why scoring can tabulate it per (x, T).
    fn expected_if_alive(&self, t: f64, x: f64, age: f64) -> f64;
    /// The gradient of logit P(alive) = ln(P/(1 − P)) over the log-parameters (in the order of
    /// [`parameters`](Self::parameters); every purchase model here has four): what the delta
    /// method needs per customer. This default takes forward differences; the BG/NBD family has
    /// it in closed form.
    fn logit_p_alive_gradient(&self, x: f64, t_x: f64, age: f64) -> [f64; 4] {
        let logit = |p: f64| p.ln() - (-p).ln_1p();
        let p = self.p_alive(x, t_x, age);
        let mut gradient = [0.0; 4];
        if !(p > 0.0 && p < 1.0) {
            return gradient;
        }
        let base: Vec<f64> = self.parameters().iter().map(|p| p.1).collect();
        let step = crate::clv::intervals::STEP;
        for (j, g) in gradient.iter_mut().enumerate().take(base.len()) {
            let mut v = base.clone();
            v[j] *= step.exp();
            let q = self.with_parameters(&v).p_alive(x, t_x, age).clamp(1e-300, 1.0 - 1e-16);
            *g = (logit(q) - logit(p)) / step;
        }
        gradient
    }
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

/// The purchase-count models this crate fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModelKind {
    /// [`BgNbd`].
    #[serde(rename = "bgnbd")]
    BgNbd,
    /// [`MbgNbd`].
    #[serde(rename = "mbgnbd")]
    MbgNbd,
    /// [`ParetoNbd`].
    #[serde(rename = "pnbd")]
    ParetoNbd,
}

impl ModelKind {
    /// Every model, in the order reports list them.
    pub const ALL: [ModelKind; 3] = [ModelKind::BgNbd, ModelKind::MbgNbd, ModelKind::ParetoNbd];

    /// The name used on the command line (`bgnbd`, `mbgnbd`, `pnbd`).
    pub fn key(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "bgnbd",
            ModelKind::MbgNbd => "mbgnbd",
            ModelKind::ParetoNbd => "pnbd",
        }
    }

    /// Parses a command-line name.
    pub fn parse(text: &str) -> crate::Result<ModelKind> {
        match text.to_ascii_lowercase().replace(['/', '-', '_'], "").as_str() {
            "bgnbd" | "bg" => Ok(ModelKind::BgNbd),
            "mbgnbd" | "mbg" => Ok(ModelKind::MbgNbd),
            "pnbd" | "paretonbd" | "pareto" => Ok(ModelKind::ParetoNbd),
            _ => Err(crate::Error::invalid("--model", text, "expected bgnbd, mbgnbd or pnbd")),
        }
    }

    /// Fits this model to `data`.
    pub fn fit(self, data: &CountData, options: &FitOptions) -> crate::Result<Fitted<CountModel>> {
        fn wrap<M>(f: Fitted<M>, into: impl Fn(M) -> CountModel) -> Fitted<CountModel> {
            Fitted { model: into(f.model), unit: f.unit, diagnostics: f.diagnostics }
        }
        Ok(match self {
            ModelKind::BgNbd => wrap(BgNbd::fit(data, options)?, CountModel::BgNbd),
            ModelKind::MbgNbd => wrap(MbgNbd::fit(data, options)?, CountModel::MbgNbd),
            ModelKind::ParetoNbd => wrap(ParetoNbd::fit(data, options)?, CountModel::ParetoNbd),
        })
    }
}

/// Any of the fitted purchase-count models, for code that picks the model at run time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum CountModel {
    /// BG/NBD.
    #[serde(rename = "bgnbd")]
    BgNbd(BgNbd),
    /// MBG/NBD.
    #[serde(rename = "mbgnbd")]
    MbgNbd(MbgNbd),
    /// Pareto/NBD.
    #[serde(rename = "pnbd")]
    ParetoNbd(ParetoNbd),
}

impl CountModel {
    /// Which model this is.
    pub fn kind(&self) -> ModelKind {
        match self {
            CountModel::BgNbd(_) => ModelKind::BgNbd,
            CountModel::MbgNbd(_) => ModelKind::MbgNbd,
            CountModel::ParetoNbd(_) => ModelKind::ParetoNbd,
        }
    }

    fn inner(&self) -> &dyn PurchaseModel {
        match self {
            CountModel::BgNbd(m) => m,
            CountModel::MbgNbd(m) => m,
            CountModel::ParetoNbd(m) => m,
        }
    }
}

impl PurchaseModel for CountModel {
    fn name(&self) -> &'static str {
        self.inner().name()
    }
    fn parameters(&self) -> Vec<(&'static str, f64)> {
        self.inner().parameters()
    }
    fn with_parameters(&self, values: &[f64]) -> CountModel {
        self.inner().with_parameters(values)
    }
    fn log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        self.inner().log_likelihood(x, t_x, age)
    }
    fn p_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        self.inner().p_alive(x, t_x, age)
    }
    fn expected_if_alive(&self, t: f64, x: f64, age: f64) -> f64 {
        self.inner().expected_if_alive(t, x, age)
    }
    fn survival_if_alive(&self, t: f64, x: f64, age: f64) -> f64 {
        self.inner().survival_if_alive(t, x, age)
    }
    fn logit_p_alive_gradient(&self, x: f64, t_x: f64, age: f64) -> [f64; 4] {
        self.inner().logit_p_alive_gradient(x, t_x, age)
    }
    fn counts_if_alive(&self, t: f64, x: f64, age: f64, max: u32) -> Vec<f64> {
        self.inner().counts_if_alive(t, x, age, max)
    }
}
