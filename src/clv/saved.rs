//! A store's CLV model: the purchase-count fit and the spend fit made together as of one day, with
//! a fingerprint of the data they were fitted on, so a service can score customers later without
//! refitting and can tell when the store has moved on.

use serde::{Deserialize, Serialize};

use crate::clv::count_model::CountModel;
use crate::clv::data::{CountData, FitInput, SpendData, TimeUnit};
use crate::clv::fit::FitOptions;
use crate::clv::gamma_gamma::{GammaGamma, SpendFit};
use crate::clv::kind::ModelKind;
use crate::clv::model::Fitted;
use crate::clv::value::{CustomerValue, Scores, Valuation, ValueOptions};
use crate::day::Day;
use crate::error::Result;
use crate::store::codec;
use crate::store::{Snapshot, Store};
use crate::summary::{CustomerId, SummarySource};

/// The name the model is saved under in a store (format 3 kept it at a fixed key read under this
/// name).
const NAME: &str = "clv";
/// Layout version of the saved model value.
/// 6: diagnostics carry the boundary finding and the warnings of the fit.
const MODEL_VERSION: u8 = 6;

/// What a model was fitted on: enough for a service to recognise the same data again (for example
/// to check that a model shipped to it describes the customers it scores). Staleness within a
/// store is tracked by the store's data version instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// Customers in the fit.
    pub customers: u64,
    /// Customers with a repeat purchase.
    pub repeaters: u64,
    /// Distinct (x, t_x, T) cells.
    pub cells: u64,
    /// xxh3 of the cells (x, t_x, T in days and count).
    pub hash: u64,
}

impl DataFingerprint {
    /// The fingerprint of `data`.
    pub fn of(data: &CountData) -> DataFingerprint {
        let mut bytes = Vec::with_capacity(data.cells().len() * 16 + 1);
        bytes.push(data.unit() as u8);
        for c in data.cells() {
            for v in [c.x, c.t_x, c.age, c.count] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        DataFingerprint {
            customers: data.customers(),
            repeaters: data.repeaters(),
            cells: data.cells().len() as u64,
            hash: xxhash_rust::xxh3::xxh3_64(&bytes),
        }
    }
}

/// A purchase model and a spend model fitted on a store as of one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClvModel {
    /// The day the fits describe (orders after it were not seen).
    pub as_of: Day,
    /// The purchase-count model.
    pub purchases: Fitted<CountModel>,
    /// The Gamma-Gamma spend model, when it could be fitted.
    pub spend: Option<SpendFit>,
    /// Why the spend model could not be fitted, when it could not (CLV then values a customer's
    /// purchases at their own average order value).
    pub spend_error: Option<String>,
    /// The data the purchase model was fitted on.
    pub data: DataFingerprint,
    /// The store's data version of the summaries fitted (see `Summaries::data_version`); a later
    /// ingest that changed data makes the model stale.
    pub(crate) data_version: u64,
}

impl ClvModel {
    /// The spend model's parameters, if fitted.
    pub fn gamma_gamma(&self) -> Option<GammaGamma> {
        self.spend.as_ref().map(|s| s.fitted.model)
    }

    /// A valuation with these models.
    pub fn valuation(&self, options: ValueOptions) -> Result<Valuation> {
        let valuation = Valuation::new(&self.purchases, self.gamma_gamma(), options)?;
        Ok(match &self.spend {
            Some(s) => valuation.with_spend_covariance(s.fitted.diagnostics.covariance.clone()),
            None => valuation,
        })
    }

    /// Fits `kind` and Gamma-Gamma on the customers of `source` (a store's [`Summaries`](crate::Summaries), a
    /// summary file, any [`SummarySource`]). A spend-model failure is kept in
    /// [`ClvModel::spend_error`] rather than failing the whole fit; a purchase-model failure fails.
    pub fn fit<S: SummarySource>(
        source: &S,
        currency: &crate::Currency,
        kind: ModelKind,
        unit: TimeUnit,
        options: &FitOptions,
    ) -> Result<ClvModel> {
        let input = FitInput::from_source(source, unit, currency)?;
        if source.counts_only() {
            // Purchase counts without amounts: the purchase model fits, a spend model cannot.
            let purchases = kind.fit(&input.counts, options)?;
            return Ok(ClvModel {
                as_of: input.as_of,
                purchases,
                spend: None,
                spend_error: Some(COUNTS_ONLY.into()),
                data: DataFingerprint::of(&input.counts),
                data_version: source.data_version(),
            });
        }
        let mut model = Self::fit_data(&input.counts, &input.spend, input.as_of, kind, options)?;
        model.data_version = source.data_version();
        Ok(model)
    }

    /// Fits `kind` on `counts` and Gamma-Gamma on `spend`, data as of `as_of` gathered elsewhere
    /// (by [`summary_file::fit_input`](crate::summary_file::fit_input) from Parquet summary
    /// files, say); the same failures as [`ClvModel::fit`].
    pub fn fit_data(
        counts: &CountData,
        spend: &SpendData,
        as_of: Day,
        kind: ModelKind,
        options: &FitOptions,
    ) -> Result<ClvModel> {
        let purchases = kind.fit(counts, options)?;
        let (spend, spend_error) = match GammaGamma::fit(spend, options) {
            Ok(fit) => (Some(fit), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Ok(ClvModel { as_of, purchases, spend, spend_error, data: DataFingerprint::of(counts), data_version: 0 })
    }
}

/// Why a counts-only store has no spend model (see [`Store::counts_only`]).
pub const COUNTS_ONLY: &str = "the store holds purchase counts only (its orders have no amounts): no spend \
     model (Gamma-Gamma) can be fitted and values in money are not available; P(alive) and expected purchases are";

/// Leaves the money out of a counts-only store's predictions: NaN (JSON null, an empty cell)
/// rather than a value of 0 that would read as "worth nothing".
fn without_money(v: &mut CustomerValue) {
    v.expected_order_value = f64::NAN;
    v.clv = f64::NAN;
}

/// A saved model and whether the store changed after it was fitted.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SavedClv {
    /// The model.
    pub model: ClvModel,
    /// True once an ingest changed the store's data after the fit.
    pub stale: bool,
}

impl Store {
    /// Saves `model` as the store's CLV model, replacing any earlier one (one transaction).
    pub fn save_clv(&self, model: &ClvModel) -> Result<()> {
        let value = codec::encode_value(MODEL_VERSION, model)?;
        self.save_result(NAME, &value, None, |_| Ok(()))
    }

    /// The saved CLV model, if one was saved, and whether data changed since its fit.
    pub fn saved_clv(&self) -> Result<Option<SavedClv>> {
        self.snapshot().saved_clv()
    }

    /// Fits a CLV model on the store as of `as_of` (default: the latest order day).
    ///
    /// ```
    /// use retention::clv::{FitOptions, ModelKind, TimeUnit, ValueOptions};
    /// use retention::generate::{Shop, ShopConfig};
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// let mut csv = Vec::new();
    /// Shop::new(ShopConfig::new(2_000, 7))?.write_csv(&mut csv).map_err(|e| retention::Error::io("generating", e))?;
    /// store.ingest(csv.as_slice(), &Default::default())?;
    /// let model = store.fit_clv(None, ModelKind::BgNbd, TimeUnit::Weeks, &FitOptions::default())?;
    /// store.save_clv(&model)?;
    /// let values = store.clv_values(&store.saved_clv()?.expect("just saved").model, &ValueOptions::default())?;
    /// assert!(values.iter().all(|v| v.clv >= 0.0 && v.p_alive <= 1.0));
    /// # Ok(()) }
    /// ```
    pub fn fit_clv(
        &self,
        as_of: Option<Day>,
        kind: ModelKind,
        unit: TimeUnit,
        options: &FitOptions,
    ) -> Result<ClvModel> {
        ClvModel::fit(&self.summaries(as_of)?, &self.currency(), kind, unit, options)
    }

    /// One customer's predictions from `model` as of the model's day (one record read), or `None`
    /// if the customer had no purchase by then.
    pub fn clv_of(
        &self,
        customer: CustomerId,
        model: &ClvModel,
        options: &ValueOptions,
    ) -> Result<Option<CustomerValue>> {
        let Some(summary) = self.customer_by_id(customer, Some(model.as_of))?.and_then(|p| p.summary) else {
            return Ok(None);
        };
        let mut value = model.valuation(*options)?.score_customer(&summary, model.as_of, &self.currency());
        if self.counts_only() {
            without_money(&mut value);
        }
        Ok(Some(value))
    }

    /// Every customer's predictions from `model`, as of the model's day, in id order.
    pub fn clv_values(&self, model: &ClvModel, options: &ValueOptions) -> Result<Vec<CustomerValue>> {
        let summaries = self.summaries(Some(model.as_of))?;
        let mut values = model.valuation(*options)?.score(&summaries, &self.currency());
        if summaries.counts_only {
            values.iter_mut().for_each(without_money);
        }
        Ok(values)
    }

    /// As [`clv_values`](Self::clv_values) with the per-period, purchase-count and interval
    /// breakdowns `options` ask for.
    pub fn clv_scores(&self, model: &ClvModel, options: &ValueOptions) -> Result<Scores> {
        let summaries = self.summaries(Some(model.as_of))?;
        let mut scores = model.valuation(*options)?.score_all(&summaries, &self.currency());
        if summaries.counts_only {
            scores.values.iter_mut().for_each(without_money);
            scores.period_values.iter_mut().for_each(|v| *v = f64::NAN);
            for i in &mut scores.intervals {
                i.clv = super::Interval { lower: f64::NAN, upper: f64::NAN };
            }
        }
        Ok(scores)
    }
}

impl Snapshot {
    /// [`Store::saved_clv`] of this snapshot.
    pub fn saved_clv(&self) -> Result<Option<SavedClv>> {
        let Some(v) = self.saved_value(NAME)? else { return Ok(None) };
        if v.first() != Some(&MODEL_VERSION) {
            return Err(crate::Error::needs("Store::saved_clv", crate::Need::ReadableClvModel));
        }
        let model: ClvModel = codec::decode_value(MODEL_VERSION, &v, "saved CLV model")?;
        // The model records the data version of the summaries it was fitted on.
        let stale = model.data_version != self.data_version();
        Ok(Some(SavedClv { model, stale }))
    }
}
