//! Holdout evaluation: fit each model on a calibration period, predict the repeat purchases of the
//! following holdout period, and compare with what the customers actually did, per calibration
//! frequency and per customer, the way the BTYD papers validate their models.

use rayon::prelude::*;
use serde::Serialize;

use crate::clv::count_model::CountModel;
use crate::clv::data::{CountData, TimeUnit};
use crate::clv::fit::FitOptions;
use crate::clv::kind::ModelKind;
use crate::clv::model::{Fitted, PurchaseModel};
use crate::clv::tracking::{Tracking, histogram_actual, histogram_expected, weekly_expected};
use crate::day::Day;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::summary::Summaries;

/// What to evaluate: built with [`EvaluateOptions::new`] (the two days have no default) and
/// setters for the rest.
///
/// ```
/// use retention::Day;
/// use retention::clv::{EvaluateOptions, ModelKind, TimeUnit};
/// let split = EvaluateOptions::new(Day::from_ymd(1997, 9, 30).unwrap(), Day::from_ymd(1998, 6, 30).unwrap())
///     .unit(TimeUnit::Weeks)
///     .models(vec![ModelKind::BgNbd]);
/// assert_eq!((split.unit, split.models.len()), (TimeUnit::Weeks, 1));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EvaluateOptions {
    /// Last day of the calibration period (fit on orders up to and including it).
    pub calibration_end: Day,
    /// Last day of the holdout period.
    pub holdout_end: Day,
    /// Time unit of the fits.
    pub unit: TimeUnit,
    /// Fit options shared by the models.
    pub fit: FitOptions,
    /// The models to compare.
    pub models: Vec<ModelKind>,
}

impl EvaluateOptions {
    /// Calibration up to and including `calibration_end`, holdout to `holdout_end`; fits in
    /// weeks with default fit options, every model compared.
    pub fn new(calibration_end: Day, holdout_end: Day) -> EvaluateOptions {
        EvaluateOptions {
            calibration_end,
            holdout_end,
            unit: TimeUnit::Weeks,
            fit: FitOptions::default(),
            models: ModelKind::ALL.to_vec(),
        }
    }
}

crate::options::setters! {
    EvaluateOptions {
        /// Sets the time unit of the fits.
        unit: TimeUnit,
        /// Sets the fit options shared by the models.
        fit: FitOptions,
        /// Sets the models to compare.
        models: Vec<ModelKind>,
    }
}

/// Customers grouped by calibration repeat purchases: 0, 1, ..., 6 and "7+".
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrequencyGroup {
    /// `0` … `6`, `7+`.
    pub label: String,
    /// Customers in the group.
    pub customers: u64,
    /// Mean actual repeat purchases in the holdout.
    pub actual_mean: f64,
    /// Mean predicted repeat purchases in the holdout.
    pub predicted_mean: f64,
}

/// One model's holdout performance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ModelEvaluation {
    /// The model.
    pub kind: ModelKind,
    /// The calibration fit, when it succeeded.
    pub fitted: Option<Fitted<CountModel>>,
    /// Why the fit failed, when it did.
    pub error: Option<String>,
    /// Predicted repeat purchases of all customers in the holdout.
    pub predicted_total: f64,
    /// Per calibration frequency.
    pub groups: Vec<FrequencyGroup>,
    /// Mean absolute error per customer.
    pub mae: f64,
    /// Root mean squared error per customer.
    pub rmse: f64,
    /// Pearson correlation of predicted and actual per customer.
    pub correlation: f64,
    /// Expected calibration customers with 0, 1, ..., 6 and 7+ repeat purchases (compare with
    /// [`Evaluation::histogram_actual`]).
    pub histogram_expected: Vec<f64>,
    /// Expected repeat purchases in each week of [`Evaluation::tracking`] (empty without it).
    pub weekly_expected: Vec<f64>,
}

/// The evaluation of every requested model on one calibration/holdout split, with the
/// diagnostics of how each fits: the period-transaction histogram, weekly tracking across both
/// periods and the holdout by calibration frequency.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Evaluation {
    /// Last calibration day.
    pub calibration_end: Day,
    /// Last holdout day.
    pub holdout_end: Day,
    /// Holdout length in the model's unit.
    pub holdout_length: f64,
    /// The unit.
    pub unit: TimeUnit,
    /// Customers with a purchase in the calibration period.
    pub customers: u64,
    /// Their actual repeat purchases (distinct purchase days) in the holdout.
    pub actual_total: u64,
    /// Per model, in the order requested.
    pub models: Vec<ModelEvaluation>,
    /// The model with the lowest per-customer MAE (ties: smallest error in the total).
    pub best: Option<ModelKind>,
    /// Calibration customers with 0, 1, ..., 6 and 7+ repeat purchases.
    pub histogram_actual: Vec<u64>,
    /// Weekly repeat purchases across calibration and holdout, when the evaluation ran on a store.
    pub tracking: Option<Tracking>,
}

/// Calibration-frequency groups reported: 0..=6 and 7+.
const GROUPS: usize = 8;

impl Evaluation {
    /// Evaluates on summaries taken at the calibration end and at the holdout end (both from the
    /// same store, so customers carry the same ids).
    pub fn run(calibration: &Summaries, holdout: &Summaries, options: &EvaluateOptions) -> Result<Evaluation> {
        Self::run_with(calibration, holdout, None, options)
    }

    /// As [`run`](Self::run), with the weekly tracking of the calibration customers' repeat
    /// purchases (see [`Store::tracking`]) for each model to be compared with.
    pub fn run_with(
        calibration: &Summaries,
        holdout: &Summaries,
        tracking: Option<Tracking>,
        options: &EvaluateOptions,
    ) -> Result<Evaluation> {
        if holdout.as_of <= calibration.as_of {
            return Err(Error::invalid(
                "Evaluation::run_with(holdout)",
                holdout.as_of.to_string(),
                format!("must be after the calibration end {}", calibration.as_of),
            ));
        }
        // Actual holdout repeat purchases: purchase days by the holdout end minus those by the
        // calibration end, for each calibration customer (both lists are sorted by id).
        let mut actual = Vec::with_capacity(calibration.customers.len());
        let mut later = holdout.customers.iter().peekable();
        for c in &calibration.customers {
            while later.next_if(|h| h.customer < c.customer).is_some() {}
            let days = later.peek().filter(|h| h.customer == c.customer).map_or(c.purchase_days, |h| h.purchase_days);
            actual.push(days.saturating_sub(c.purchase_days) as f64);
        }
        let data = CountData::from_summaries(calibration, options.unit);
        let unit = options.unit.days();
        let length = (holdout.as_of - calibration.as_of) as f64 / unit;
        let as_of = calibration.as_of;
        let models = options
            .models
            .iter()
            .map(|&kind| match kind.fit(&data, &options.fit) {
                Err(e) => ModelEvaluation {
                    kind,
                    fitted: None,
                    error: Some(e.to_string()),
                    predicted_total: f64::NAN,
                    groups: Vec::new(),
                    mae: f64::NAN,
                    rmse: f64::NAN,
                    correlation: f64::NAN,
                    histogram_expected: Vec::new(),
                    weekly_expected: Vec::new(),
                },
                Ok(fitted) => {
                    let predicted: Vec<f64> = calibration
                        .customers
                        .par_iter()
                        .map(|s| {
                            let (x, t_x, age) = (s.x() as f64, s.t_x() as f64 / unit, s.age(as_of) as f64 / unit);
                            fitted.model.expected_purchases(length, x, t_x, age)
                        })
                        .collect();
                    let histogram_expected = histogram_expected(&fitted.model, options.unit, calibration);
                    let weekly_expected = tracking
                        .as_ref()
                        .map_or(Vec::new(), |t| weekly_expected(&fitted.model, options.unit, calibration, t));
                    ModelEvaluation {
                        histogram_expected,
                        weekly_expected,
                        ..compare(kind, fitted, calibration, &predicted, &actual)
                    }
                }
            })
            .collect::<Vec<_>>();
        let actual_total: f64 = actual.iter().sum();
        let best = models
            .iter()
            .filter(|m| m.fitted.is_some() && m.mae.is_finite())
            .min_by(|a, b| {
                let total_error = |m: &ModelEvaluation| (m.predicted_total - actual_total).abs();
                a.mae.total_cmp(&b.mae).then(total_error(a).total_cmp(&total_error(b)))
            })
            .map(|m| m.kind);
        Ok(Evaluation {
            calibration_end: calibration.as_of,
            holdout_end: holdout.as_of,
            holdout_length: length,
            unit: options.unit,
            customers: calibration.customers.len() as u64,
            actual_total: actual_total as u64,
            models,
            best,
            histogram_actual: histogram_actual(calibration),
            tracking,
        })
    }
}

fn compare(
    kind: ModelKind,
    fitted: Fitted<CountModel>,
    calibration: &Summaries,
    predicted: &[f64],
    actual: &[f64],
) -> ModelEvaluation {
    let n = actual.len().max(1) as f64;
    let mut sums = [(0u64, 0.0, 0.0); GROUPS];
    for ((s, p), a) in calibration.customers.iter().zip(predicted).zip(actual) {
        let g = &mut sums[(s.x() as usize).min(GROUPS - 1)];
        g.0 += 1;
        g.1 += a;
        g.2 += p;
    }
    let groups = sums
        .iter()
        .enumerate()
        .map(|(i, &(count, a, p))| FrequencyGroup {
            label: if i == GROUPS - 1 { format!("{i}+") } else { i.to_string() },
            customers: count,
            actual_mean: if count > 0 { a / count as f64 } else { 0.0 },
            predicted_mean: if count > 0 { p / count as f64 } else { 0.0 },
        })
        .collect();
    let mae = predicted.iter().zip(actual).map(|(p, a)| (p - a).abs()).sum::<f64>() / n;
    let rmse = (predicted.iter().zip(actual).map(|(p, a)| (p - a).powi(2)).sum::<f64>() / n).sqrt();
    ModelEvaluation {
        kind,
        fitted: Some(fitted),
        error: None,
        predicted_total: predicted.iter().sum(),
        groups,
        mae,
        rmse,
        correlation: pearson(predicted, actual),
        histogram_expected: Vec::new(),
        weekly_expected: Vec::new(),
    }
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa > 0.0 && sbb > 0.0 { sab / (saa * sbb).sqrt() } else { f64::NAN }
}

impl Store {
    /// Fits each model on orders up to `calibration_end` and scores its predictions of the
    /// repeat purchases up to `holdout_end`, with the diagnostics: two summary scans, one tracking
    /// scan and the fits.
    pub fn evaluate_clv(&self, options: &EvaluateOptions) -> Result<Evaluation> {
        // One snapshot for the three scans: an ingest committing meanwhile must not mix in.
        let snapshot = self.snapshot();
        let calibration = snapshot.summaries(Some(options.calibration_end))?;
        let holdout = snapshot.summaries(Some(options.holdout_end))?;
        let tracking = snapshot.tracking(options.calibration_end, options.holdout_end)?;
        Evaluation::run_with(&calibration, &holdout, Some(tracking), options)
    }
}
