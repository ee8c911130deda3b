//! Any of the purchase-count models, picked at run time: the enum the saved model, scoring and
//! intervals hold, and [`ModelKind::fit`] that makes one. It sits above the models it wraps.

use serde::{Deserialize, Serialize};

use crate::clv::bg::{BgNbd, MbgNbd};
use crate::clv::data::CountData;
use crate::clv::fit::FitOptions;
use crate::clv::kind::ModelKind;
use crate::clv::model::{Fitted, PurchaseModel};
use crate::clv::pareto::ParetoNbd;

impl ModelKind {
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
        match self {
            CountModel::BgNbd(m) => CountModel::BgNbd(m.with_parameters(values)),
            CountModel::MbgNbd(m) => CountModel::MbgNbd(m.with_parameters(values)),
            CountModel::ParetoNbd(m) => CountModel::ParetoNbd(m.with_parameters(values)),
        }
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

impl From<BgNbd> for CountModel {
    fn from(m: BgNbd) -> Self {
        CountModel::BgNbd(m)
    }
}

impl From<MbgNbd> for CountModel {
    fn from(m: MbgNbd) -> Self {
        CountModel::MbgNbd(m)
    }
}

impl From<ParetoNbd> for CountModel {
    fn from(m: ParetoNbd) -> Self {
        CountModel::ParetoNbd(m)
    }
}
