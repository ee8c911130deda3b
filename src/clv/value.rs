//! Per-customer predictions from fitted models: P(alive), expected purchases, expected order value
//! and discounted CLV, computed in parallel for every customer, plus the population curve. Terms
//! that depend only on (x, T) are tabulated once per distinct pair, so scoring a million
//! customers costs one P(alive) and a table lookup each.

use rayon::prelude::*;
use serde::Serialize;

use crate::clv::data::TimeUnit;
use crate::clv::gamma_gamma::GammaGamma;
use crate::clv::model::{Fitted, PurchaseModel};
use crate::error::{Error, Result};
use crate::money::Currency;
use crate::summary::{CustomerId, Summaries, Summary};

/// How a customer's future is valued.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ValueOptions {
    /// Window of the "expected purchases" figure, in days.
    pub purchases_days: u32,
    /// CLV horizon in days.
    pub horizon_days: u32,
    /// Annual discount rate (0.10 = 10% a year), applied continuously over the horizon.
    pub annual_discount: f64,
    /// Share of revenue that is profit (1.0 = value revenue).
    pub margin: f64,
}

impl Default for ValueOptions {
    fn default() -> Self {
        ValueOptions { purchases_days: 365, horizon_days: 365, annual_discount: 0.10, margin: 1.0 }
    }
}

impl ValueOptions {
    /// Checks the options, naming the bad one.
    pub fn validate(&self) -> Result<()> {
        if self.horizon_days == 0 || self.horizon_days > 36_525 {
            return Err(Error::invalid(
                "--horizon",
                format!("{} days", self.horizon_days),
                "must be 1 day to 100 years",
            ));
        }
        if !(self.annual_discount >= 0.0 && self.annual_discount < 10.0) {
            return Err(Error::invalid(
                "--discount",
                self.annual_discount.to_string(),
                "expected an annual rate from 0 to 10",
            ));
        }
        if !(self.margin > 0.0 && self.margin <= 1.0) {
            return Err(Error::invalid("--margin", self.margin.to_string(), "expected a share in (0, 1]"));
        }
        Ok(())
    }

    /// The CLV horizon split into steps of about 30 days (the last may be shorter): CLV sums each
    /// step's expected purchases discounted at the step's midpoint.
    fn steps(&self) -> Vec<f64> {
        let k = self.horizon_days.div_ceil(30);
        (1..=k).map(|i| (i * 30).min(self.horizon_days) as f64).collect()
    }

    fn discount_at(&self, day: f64) -> f64 {
        (-(1.0 + self.annual_discount).ln() * day / 365.25).exp()
    }
}

/// One customer's predictions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CustomerValue {
    /// The customer.
    pub customer: CustomerId,
    /// Repeat purchases so far (x).
    pub repeat_purchases: u32,
    /// Probability that the customer is still active.
    pub p_alive: f64,
    /// Expected purchases in the next [`ValueOptions::purchases_days`] days.
    pub expected_purchases: f64,
    /// Expected value of a future purchase, major currency units.
    pub expected_order_value: f64,
    /// Discounted value of the expected purchases over the horizon, times the margin, major units.
    pub clv: f64,
}

/// Predicts with a fitted purchase model and, optionally, a spend model.
pub struct Valuation<'a> {
    purchases: &'a dyn PurchaseModel,
    unit: TimeUnit,
    spend: Option<GammaGamma>,
    options: ValueOptions,
}

impl<'a> Valuation<'a> {
    /// A valuation with a fitted purchase model (its time unit comes with it). Without a spend
    /// model a customer's expected order value is their own average purchase-day value so far.
    pub fn new<M: PurchaseModel>(
        purchases: &'a Fitted<M>,
        spend: Option<GammaGamma>,
        options: ValueOptions,
    ) -> Result<Self> {
        options.validate()?;
        Ok(Valuation { purchases: &purchases.model, unit: purchases.unit, spend, options })
    }

    /// Predictions for every customer of `summaries`, in their order, computed in parallel.
    pub fn score(&self, summaries: &Summaries, currency: &Currency) -> Vec<CustomerValue> {
        let as_of = summaries.as_of;
        let table = self.table(summaries.customers.iter().map(|s| (s.x(), s.age(as_of))));
        let scale = currency.scale() as f64;
        summaries.customers.par_iter().map(|s| self.score_one(s, as_of, &table, scale)).collect()
    }

    /// One customer's predictions.
    pub fn score_customer(&self, summary: &Summary, as_of: crate::Day, currency: &Currency) -> CustomerValue {
        let table = self.table(std::iter::once((summary.x(), summary.age(as_of))));
        self.score_one(summary, as_of, &table, currency.scale() as f64)
    }

    fn score_one(&self, s: &Summary, as_of: crate::Day, table: &Table, scale: f64) -> CustomerValue {
        let unit = self.unit.days();
        let (x, age) = (s.x(), s.age(as_of));
        let p_alive = self.purchases.p_alive(x as f64, s.t_x() as f64 / unit, age as f64 / unit);
        let row = table.row(x, age).unwrap_or(&[]);
        let order_value = match &self.spend {
            Some(gg) => gg.expected_spend(x, s.average_repeat_value().unwrap_or(0.0) / scale),
            None => s.spend as f64 / s.purchase_days.max(1) as f64 / scale,
        };
        let mut previous = 0.0;
        let mut discounted = 0.0;
        for (k, &cumulative) in row.iter().skip(1).enumerate() {
            discounted += (cumulative - previous) * table.discounts[k];
            previous = cumulative;
        }
        CustomerValue {
            customer: s.customer,
            repeat_purchases: x,
            p_alive,
            expected_purchases: p_alive * row.first().copied().unwrap_or(0.0),
            expected_order_value: order_value,
            clv: p_alive * discounted * order_value * self.options.margin,
        }
    }

    /// For each distinct (x, T): expected purchases if alive over the purchases window, then
    /// cumulatively at the end of each CLV step.
    fn table(&self, keys: impl Iterator<Item = (u32, u32)>) -> Table {
        let mut keys: Vec<u64> = keys.map(|(x, age)| ((x as u64) << 32) | age as u64).collect();
        keys.par_sort_unstable();
        keys.dedup();
        let unit = self.unit.days();
        let steps = self.options.steps();
        let width = steps.len() + 1;
        let purchases_t = self.options.purchases_days as f64 / unit;
        let values: Vec<f64> = keys
            .par_iter()
            .flat_map_iter(|&key| {
                let (x, age) = ((key >> 32) as f64, (key & 0xffff_ffff) as f64 / unit);
                std::iter::once(purchases_t)
                    .chain(steps.iter().map(|d| d / unit))
                    .map(move |t| self.purchases.expected_if_alive(t, x, age))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut start = 0.0;
        let discounts = steps
            .iter()
            .map(|&end| {
                let d = self.options.discount_at(0.5 * (start + end));
                start = end;
                d
            })
            .collect();
        Table { keys, values, width, discounts }
    }
}

struct Table {
    keys: Vec<u64>,
    values: Vec<f64>,
    width: usize,
    discounts: Vec<f64>,
}

impl Table {
    /// The row of (x, T); every scored pair was put in the table, so `None` cannot happen.
    fn row(&self, x: u32, age: u32) -> Option<&[f64]> {
        let key = ((x as u64) << 32) | age as u64;
        let i = self.keys.binary_search(&key).ok()?;
        self.values.get(i * self.width..(i + 1) * self.width)
    }
}

/// Expected cumulative repeat purchases of a new customer after each of `days` (the population
/// curve to plot against actual cumulative repeat purchases).
pub fn population_curve(model: &dyn PurchaseModel, unit: TimeUnit, days: &[u32]) -> Vec<(u32, f64)> {
    days.iter().map(|&d| (d, model.expected_purchases(d as f64 / unit.days(), 0.0, 0.0, 0.0))).collect()
}
