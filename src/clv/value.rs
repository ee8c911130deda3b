//! Per-customer predictions from fitted models: P(alive), expected purchases, expected order value
//! and discounted CLV, computed in parallel for every customer, plus the population curve. Terms
//! that depend only on (x, T) are tabulated once per distinct pair, so scoring a million
//! customers costs one P(alive) and a table lookup each.

use rayon::prelude::*;
use serde::Serialize;

use crate::clv::count_model::CountModel;
use crate::clv::data::TimeUnit;
use crate::clv::gamma_gamma::GammaGamma;
use crate::clv::horizon::{DiscountRate, Periods, Schedule, Span};
use crate::clv::intervals::{self, CustomerIntervals, IntervalOptions};
use crate::clv::model::{Fitted, PurchaseModel};
use crate::error::{Error, Result};
use crate::money::Currency;
use crate::random::rng::Rng;
use crate::summary::{CustomerId, Summaries, Summary};

/// How a customer's future is valued. Durations are calendar spans counted from the as-of day
/// of the data scored, so they mean the same whatever time unit the model was fitted in.
///
/// ```
/// use retention::clv::{DiscountRate, IntervalOptions, Periods, Span, ValueOptions};
/// let options = ValueOptions::default()
///     .horizon(Span::months(24))
///     .discount(DiscountRate::parse("8%/year")?)
///     .periods(Periods::Quarter)
///     .interval(IntervalOptions::delta(0.9));
/// assert_eq!(options.periods, Some(Periods::Quarter));
/// options.validate()?;
/// # Ok::<(), retention::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ValueOptions {
    /// Window of the expected-purchases, no-purchase (churn) and purchase-count figures and of
    /// P(alive) at its end.
    pub window: Span,
    /// CLV horizon.
    pub horizon: Span,
    /// Discount rate per calendar unit, applied to each month of the horizon at its midpoint.
    pub discount: DiscountRate,
    /// Share of revenue that is profit (1.0 = value revenue).
    pub margin: f64,
    /// Break the CLV down into months, quarters or years of the horizon (see [`Scores`]).
    pub periods: Option<Periods>,
    /// Give P(n purchases in the window) for n = 0..=`max_count` (see [`Scores`]); 0 keeps only
    /// [`CustomerValue::p_no_purchase`].
    pub max_count: u32,
    /// Prediction intervals for P(alive), expected purchases and CLV (see [`Scores`]).
    pub interval: Option<IntervalOptions>,
}

impl Default for ValueOptions {
    /// 12 months for both window and horizon, 10% a year, revenue, no breakdowns.
    fn default() -> Self {
        ValueOptions {
            window: Span::months(12),
            horizon: Span::months(12),
            discount: DiscountRate::default(),
            margin: 1.0,
            periods: None,
            max_count: 0,
            interval: None,
        }
    }
}

impl ValueOptions {
    /// Checks the options, naming the bad one.
    pub fn validate(&self) -> Result<()> {
        for (parameter, span) in [("ValueOptions::horizon", self.horizon), ("ValueOptions::window", self.window)] {
            let days = span.days_from(crate::Day::from_days(0));
            if span.count == 0 || days > 36_525 {
                return Err(Error::invalid(parameter, span.to_string(), "must be 1 day to 100 years"));
            }
        }
        if !(self.discount.rate >= 0.0 && self.discount.rate < 10.0) {
            return Err(Error::invalid(
                "ValueOptions::discount",
                self.discount.rate.to_string(),
                "expected a rate from 0% to 1000%",
            ));
        }
        if !(self.margin > 0.0 && self.margin <= 1.0) {
            return Err(Error::invalid("ValueOptions::margin", self.margin.to_string(), "expected a share in (0, 1]"));
        }
        if let Some(interval) = &self.interval {
            interval.validate()?;
        }
        if self.max_count > 1_000 {
            return Err(Error::invalid("ValueOptions::max_count", self.max_count.to_string(), "expected at most 1000"));
        }
        Ok(())
    }
}

crate::options::setters! {
    ValueOptions {
        /// Sets the window of the expected-purchases, no-purchase and purchase-count figures.
        window: Span,
        /// Sets the CLV horizon.
        horizon: Span,
        /// Sets the discount rate per calendar unit.
        discount: DiscountRate,
        /// Sets the share of revenue that is profit.
        margin: f64,
        /// Sets the largest n of the P(n purchases in the window) figures (0: none).
        max_count: u32,
    }
    optional {
        /// Breaks the CLV down into these periods of the horizon.
        periods: Periods,
        /// Adds prediction intervals computed this way.
        interval: IntervalOptions,
    }
}

/// One customer's predictions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CustomerValue {
    /// The customer.
    pub customer: CustomerId,
    /// Repeat purchases so far (x).
    pub repeat_purchases: u32,
    /// Probability that the customer is still active at the as-of day.
    pub p_alive: f64,
    /// Probability that the customer is still active at the end of the window.
    pub p_alive_at_window_end: f64,
    /// Expected purchases in the window.
    pub expected_purchases: f64,
    /// Probability of no purchase in the window: the "churn in the next 90 days" figure.
    pub p_no_purchase: f64,
    /// Expected value of a future purchase, major currency units.
    pub expected_order_value: f64,
    /// Discounted expected purchases over the horizon (DERT over a finite horizon).
    pub discounted_purchases: f64,
    /// Discounted value of the expected purchases over the horizon, times the margin, major units.
    pub clv: f64,
}

/// Predictions for every customer with the breakdowns the options asked for, in flat arrays (one
/// row per customer, in the order of `values`) so a million customers cost no allocation each.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Scores {
    /// Each customer's predictions.
    pub values: Vec<CustomerValue>,
    /// The last day of each period of [`ValueOptions::periods`] (empty without it).
    pub period_ends: Vec<crate::Day>,
    /// CLV per period, `period_ends.len()` per customer; each row sums to the customer's CLV.
    pub period_values: Vec<f64>,
    /// P(n purchases in the window), n = 0..=[`ValueOptions::max_count`], per customer (empty when
    /// `max_count` is 0).
    pub counts: Vec<f64>,
    /// Each customer's intervals, in the order of `values` (empty without
    /// [`ValueOptions::interval`]).
    pub intervals: Vec<CustomerIntervals>,
}

impl Scores {
    /// Customer `i`'s CLV per period.
    pub fn periods_of(&self, i: usize) -> &[f64] {
        let k = self.period_ends.len();
        self.period_values.get(i * k..(i + 1) * k).unwrap_or(&[])
    }

    /// Customer `i`'s P(n purchases in the window) for n = 0, 1, ...
    pub fn counts_of(&self, i: usize) -> &[f64] {
        let k = if self.values.is_empty() { 0 } else { self.counts.len() / self.values.len() };
        self.counts.get(i * k..(i + 1) * k).unwrap_or(&[])
    }
}

/// Predicts with a fitted purchase model and, optionally, a spend model.
pub struct Valuation {
    purchases: CountModel,
    /// Covariance of the purchase model's log-parameters (empty if unknown).
    covariance: Vec<Vec<f64>>,
    unit: TimeUnit,
    spend: Option<GammaGamma>,
    /// Covariance of the spend model's log-parameters (empty: the spend model is taken as exact).
    spend_covariance: Vec<Vec<f64>>,
    options: ValueOptions,
}

impl Valuation {
    /// A valuation with a fitted purchase model (its time unit and parameter covariance come with
    /// it). Without a spend model a customer's expected order value is their own average
    /// purchase-day value so far.
    pub fn new<M: Clone + Into<CountModel>>(
        purchases: &Fitted<M>,
        spend: Option<GammaGamma>,
        options: ValueOptions,
    ) -> Result<Self> {
        options.validate()?;
        let model: CountModel = purchases.model.clone().into();
        let values: Vec<f64> = model.parameters().iter().map(|p| p.1).collect();
        let covariance = purchases.diagnostics.covariance.clone();
        if options.interval.is_some() && covariance.len() != values.len() {
            return Err(Error::invalid(
                "ValueOptions::interval",
                model.name(),
                "the model carries no parameter covariance (saved by an older version): fit it again",
            ));
        }
        Ok(Valuation {
            purchases: model,
            covariance,
            unit: purchases.unit,
            spend,
            spend_covariance: Vec::new(),
            options,
        })
    }

    /// Adds the spend model's parameter covariance (of ln p, ln q, ln γ), so that CLV intervals
    /// carry its uncertainty too.
    pub fn with_spend_covariance(mut self, covariance: Vec<Vec<f64>>) -> Self {
        self.spend_covariance = if covariance.len() == 3 { covariance } else { Vec::new() };
        self
    }

    /// Predictions for every customer of `summaries`, in their order, computed in parallel
    /// (without the breakdowns and intervals of [`score_all`](Self::score_all), even when the
    /// options ask for them).
    pub fn score(&self, summaries: &Summaries, currency: &Currency) -> Vec<CustomerValue> {
        let as_of = summaries.as_of;
        let table = self.table(as_of, summaries.customers.iter().map(|s| (s.x(), s.age(as_of))), false, 0);
        let scale = currency.scale() as f64;
        summaries
            .customers
            .par_iter()
            .map(|s| self.score_one(s, as_of, &table, scale, (0, 0), &mut Vec::new()).0)
            .collect()
    }

    /// Predictions for every customer with the per-period, purchase-count and interval
    /// breakdowns the options ask for.
    pub fn score_all(&self, summaries: &Summaries, currency: &Currency) -> Scores {
        let as_of = summaries.as_of;
        let delta = self.options.interval.filter(|i| i.draws == 0);
        let keys = summaries.customers.iter().map(|s| (s.x(), s.age(as_of)));
        let table = self.table(as_of, keys, delta.is_some(), self.options.max_count);
        let scale = currency.scale() as f64;
        let periods = if self.options.periods.is_some() { table.schedule.period_ends.len() } else { 0 };
        let counts = if self.options.max_count > 0 { self.options.max_count as usize + 1 } else { 0 };
        let customers = &summaries.customers;
        let mut scores = Scores {
            values: Vec::new(),
            period_ends: if periods > 0 { table.schedule.period_ends.clone() } else { Vec::new() },
            period_values: Vec::new(),
            counts: Vec::new(),
            intervals: Vec::new(),
        };
        if periods == 0 && counts == 0 && delta.is_none() {
            // Straight into the result: a million customers cost no intermediate copy.
            scores.values = customers
                .par_iter()
                .map(|s| self.score_one(s, as_of, &table, scale, (0, 0), &mut Vec::new()).0)
                .collect();
        } else {
            let parts: Vec<Scores> = customers
                .par_chunks(SCORE_CHUNK)
                .map(|chunk| {
                    let mut part = Scores {
                        values: Vec::with_capacity(chunk.len()),
                        period_ends: Vec::new(),
                        period_values: Vec::with_capacity(chunk.len() * periods),
                        counts: Vec::with_capacity(chunk.len() * counts),
                        intervals: Vec::with_capacity(if delta.is_some() { chunk.len() } else { 0 }),
                    };
                    let mut extra = Vec::with_capacity(periods + counts);
                    for s in chunk {
                        extra.clear();
                        let (v, i) = self.score_one(s, as_of, &table, scale, (periods, counts), &mut extra);
                        part.values.push(v);
                        part.intervals.extend(i);
                        part.period_values.extend_from_slice(&extra[..periods]);
                        part.counts.extend_from_slice(&extra[periods..]);
                    }
                    part
                })
                .collect();
            let n = customers.len();
            scores.values.reserve_exact(n);
            scores.period_values.reserve_exact(n * periods);
            scores.counts.reserve_exact(n * counts);
            for part in parts {
                scores.values.extend(part.values);
                scores.intervals.extend(part.intervals);
                scores.period_values.extend(part.period_values);
                scores.counts.extend(part.counts);
            }
        }
        if let Some(options) = self.options.interval.filter(|i| i.draws > 0) {
            scores.intervals = self.draw_intervals(summaries, &table.schedule, scale, &options);
        }
        scores
    }

    /// One customer's predictions.
    pub fn score_customer(&self, summary: &Summary, as_of: crate::Day, currency: &Currency) -> CustomerValue {
        let table = self.table(as_of, std::iter::once((summary.x(), summary.age(as_of))), false, 0);
        self.score_one(summary, as_of, &table, currency.scale() as f64, (0, 0), &mut Vec::new()).0
    }

    /// The expected order value of a customer under `spend` (or their own average without it).
    fn order_value(&self, spend: Option<&GammaGamma>, s: &Summary, scale: f64) -> f64 {
        match spend {
            Some(gg) => gg.expected_spend(s.x(), s.average_repeat_value().unwrap_or(0.0) / scale),
            None => s.spend as f64 / s.purchase_days.max(1) as f64 / scale,
        }
    }

    /// One customer's predictions and, with delta-method intervals asked for, their intervals;
    /// `extra` receives the CLV of each of the first `breakdowns.0` periods, then P(n) for n
    /// below `breakdowns.1`.
    fn score_one(
        &self,
        s: &Summary,
        as_of: crate::Day,
        table: &Table,
        scale: f64,
        breakdowns: (usize, usize),
        extra: &mut Vec<f64>,
    ) -> (CustomerValue, Option<CustomerIntervals>) {
        let unit = self.unit.days();
        let (x, age) = (s.x(), s.age(as_of));
        let (xf, t_x, t) = (x as f64, s.t_x() as f64 / unit, age as f64 / unit);
        let p_alive = self.purchases.p_alive(xf, t_x, t);
        let index = table.index(x, age);
        let row = index.map_or(&[][..], |i| table.row(i));
        let cell = |i: usize| row.get(i).copied().unwrap_or(0.0);
        let order_value = self.order_value(self.spend.as_ref(), s, scale);
        let value = order_value * self.options.margin;
        let schedule = &table.schedule;
        let (periods, counts) = breakdowns;
        extra.resize(periods, 0.0);
        let mut previous = 0.0;
        let mut discounted = 0.0;
        for (k, d) in schedule.discounts.iter().enumerate() {
            let cumulative = cell(table.steps_at + k);
            let step = (cumulative - previous) * d;
            previous = cumulative;
            discounted += step;
            if periods > 0 {
                extra[schedule.period_of_step[k]] += p_alive * step * value;
            }
        }
        for n in 0..counts {
            let q = cell(2 + n);
            extra.push(p_alive * q + if n == 0 { 1.0 - p_alive } else { 0.0 });
        }
        let v = CustomerValue {
            customer: s.customer,
            repeat_purchases: x,
            p_alive,
            p_alive_at_window_end: p_alive * cell(1),
            expected_purchases: p_alive * cell(0),
            p_no_purchase: p_alive * cell(2) + (1.0 - p_alive),
            expected_order_value: order_value,
            discounted_purchases: p_alive * discounted,
            clv: p_alive * discounted * value,
        };
        let intervals = match (index, table.z) {
            (Some(i), Some(z)) => Some(self.delta_intervals(s, (xf, t_x, t), &v, &table.key_gradients[i], scale, z)),
            _ => None,
        };
        (v, intervals)
    }

    /// Delta-method intervals: the gradients of logit P(alive) (per customer, closed form for the
    /// BG/NBD family) and of the logarithms of the expected purchases and discounted purchases
    /// given activity (per (x, T), from the table) and of the expected order value (closed form),
    /// against the parameters' covariances.
    fn delta_intervals(
        &self,
        s: &Summary,
        (x, t_x, t): (f64, f64, f64),
        v: &CustomerValue,
        key: &[f64; 8],
        scale: f64,
        z: f64,
    ) -> CustomerIntervals {
        let logit = self.purchases.logit_p_alive_gradient(x, t_x, t);
        // d ln P = (1 − P) d logit P.
        let dead = 1.0 - v.p_alive;
        let mut expected = [0.0; 4];
        let mut discounted = [0.0; 4];
        for j in 0..4 {
            expected[j] = dead * logit[j] + key[j];
            discounted[j] = dead * logit[j] + key[4 + j];
        }
        let spend: [f64; 3] = match (&self.spend, self.spend_covariance.is_empty()) {
            (Some(gg), false) => gg.log_spend_gradient(s.x(), s.average_repeat_value().unwrap_or(0.0) / scale),
            _ => [0.0; 3],
        };
        let cov = &self.covariance[..];
        let spend_cov = if self.spend_covariance.is_empty() { &[][..] } else { &self.spend_covariance[..] };
        let spend_block: &[f64] = if spend_cov.is_empty() { &[] } else { &spend };
        CustomerIntervals {
            p_alive: intervals::probability(v.p_alive, &logit, cov, z),
            expected_purchases: intervals::positive(v.expected_purchases, &[(&expected, cov)], z),
            clv: intervals::positive(v.clv, &[(&discounted, cov), (spend_block, spend_cov)], z),
        }
    }

    /// Intervals from `options.draws` parameter draws: customers are taken in blocks of 16
    /// distinct (x, T), each block's two expectations computed under every draw and each
    /// customer's predictions sorted for their quantiles, so memory is one block × draws (32 × 16
    /// bytes per draw and block, about 50 MB at 100,000 draws), never customers × draws.
    fn draw_intervals(
        &self,
        summaries: &Summaries,
        schedule: &Schedule,
        scale: f64,
        options: &IntervalOptions,
    ) -> Vec<CustomerIntervals> {
        let as_of = summaries.as_of;
        let unit = self.unit.days();
        let window = self.options.window.days_from(as_of) as f64 / unit;
        let mut rng = Rng::seed_from_u64(options.seed);
        let n = options.draws as usize;
        // Log-parameters θ̂ + L z with the z moment-matched (see `intervals::standardised_normals`).
        let draw_all = |mean: &[f64], cov: &[Vec<f64>], rng: &mut Rng| -> Vec<Vec<f64>> {
            let l = intervals::root(cov);
            intervals::standardised_normals(n, mean.len(), rng)
                .into_iter()
                .map(|z| {
                    (0..mean.len())
                        .map(|i| (mean[i].ln() + (0..=i).map(|k| l[i][k] * z[k]).sum::<f64>()).exp())
                        .collect()
                })
                .collect()
        };
        let theta: Vec<f64> = self.purchases.parameters().iter().map(|p| p.1).collect();
        let models = draw_all(&theta, &self.covariance, &mut rng);
        let spends: Vec<Option<GammaGamma>> = match self.spend {
            Some(gg) if !self.spend_covariance.is_empty() => {
                draw_all(&[gg.p, gg.q, gg.gamma], &self.spend_covariance, &mut rng)
                    .into_iter()
                    .map(|v| Some(GammaGamma { p: v[0], q: v[1], gamma: v[2] }))
                    .collect()
            }
            spend => vec![spend; n],
        };
        let draws: Vec<(CountModel, Option<GammaGamma>)> =
            models.iter().zip(spends).map(|(v, spend)| (self.purchases.with_parameters(v), spend)).collect();
        // Customers by (x, T), cut into blocks of at most BLOCK_KEYS distinct pairs.
        let mut order: Vec<(u64, usize)> = summaries
            .customers
            .iter()
            .enumerate()
            .map(|(i, s)| (((s.x() as u64) << 32) | s.age(as_of) as u64, i))
            .collect();
        order.par_sort_unstable();
        let mut blocks: Vec<&[(u64, usize)]> = Vec::new();
        let (mut start, mut keys) = (0, 0);
        for i in 0..order.len() {
            if i > start && order[i].0 != order[i - 1].0 {
                keys += 1;
                if keys == BLOCK_KEYS {
                    blocks.push(&order[start..i]);
                    (start, keys) = (i, 0);
                }
            }
        }
        blocks.push(&order[start..]);
        let level = options.level;
        let results: Vec<Vec<(usize, CustomerIntervals)>> = blocks
            .par_iter()
            .map(|block| {
                let mut keys: Vec<u64> = block.iter().map(|b| b.0).collect();
                keys.dedup();
                // expectations[d][key]: the window's expectation and the discounted sum over the
                // horizon's steps, given activity (two numbers, whatever the horizon's length).
                let mut expectations = vec![(0.0, 0.0); draws.len() * keys.len()];
                for (d, (model, _)) in draws.iter().enumerate() {
                    for (k, key) in keys.iter().enumerate() {
                        let (x, age) = ((key >> 32) as f64, (key & 0xffff_ffff) as f64 / unit);
                        let discounted = schedule.discounted(
                            schedule.step_ends.iter().map(|end| model.expected_if_alive(end / unit, x, age)),
                        );
                        expectations[d * keys.len() + k] = (model.expected_if_alive(window, x, age), discounted);
                    }
                }
                let (mut pa, mut ex, mut cl) = (Vec::new(), Vec::new(), Vec::new());
                block
                    .iter()
                    .map(|&(key, i)| {
                        let s = &summaries.customers[i];
                        let k = keys.partition_point(|&q| q < key);
                        let (x, t_x, t) = (s.x() as f64, s.t_x() as f64 / unit, s.age(as_of) as f64 / unit);
                        pa.clear();
                        ex.clear();
                        cl.clear();
                        for (d, (model, spend)) in draws.iter().enumerate() {
                            let p = model.p_alive(x, t_x, t);
                            let (in_window, discounted) = expectations[d * keys.len() + k];
                            let value = self.order_value(spend.as_ref(), s, scale) * self.options.margin;
                            pa.push(p);
                            ex.push(p * in_window);
                            cl.push(p * discounted * value);
                        }
                        let intervals = CustomerIntervals {
                            p_alive: intervals::quantile_interval(&mut pa, level),
                            expected_purchases: intervals::quantile_interval(&mut ex, level),
                            clv: intervals::quantile_interval(&mut cl, level),
                        };
                        (i, intervals)
                    })
                    .collect()
            })
            .collect();
        let mut out = vec![CustomerIntervals::default(); summaries.customers.len()];
        for (i, intervals) in results.into_iter().flatten() {
            out[i] = intervals;
        }
        out
    }

    /// For each distinct (x, T), given that the customer is active: expected purchases in the
    /// window, survival to the window's end, P(n purchases in the window) for n = 0..=max_count,
    /// then expected purchases cumulatively at the end of each monthly step of the horizon; with
    /// `perturbed`, also each key's gradients for delta-method intervals (see `key_gradients`).
    fn table(
        &self,
        as_of: crate::Day,
        keys: impl Iterator<Item = (u32, u32)>,
        perturbed: bool,
        max_count: u32,
    ) -> Table {
        let mut keys: Vec<u64> = keys.map(|(x, age)| ((x as u64) << 32) | age as u64).collect();
        keys.par_sort_unstable();
        keys.dedup();
        let unit = self.unit.days();
        let o = &self.options;
        let schedule = Schedule::new(as_of, o.horizon, o.discount, o.periods.unwrap_or(Periods::Month));
        let window = o.window.days_from(as_of) as f64 / unit;
        let steps_at = 3 + max_count as usize;
        let width = steps_at + schedule.step_ends.len();
        let model = &self.purchases;
        let values: Vec<f64> = keys
            .par_iter()
            .flat_map_iter(|&key| {
                let (x, age) = ((key >> 32) as f64, (key & 0xffff_ffff) as f64 / unit);
                let mut row = Vec::with_capacity(width);
                row.push(model.expected_if_alive(window, x, age));
                row.push(model.survival_if_alive(window, x, age));
                row.extend(model.counts_if_alive(window, x, age, max_count));
                row.extend(schedule.step_ends.iter().map(|d| model.expected_if_alive(d / unit, x, age)));
                row
            })
            .collect();
        let key_gradients =
            if perturbed { self.key_gradients(&keys, &values, width, steps_at, &schedule, window) } else { Vec::new() };
        let z = match self.options.interval {
            Some(i) if perturbed => Some(crate::clv::uncertainty::interval_z(i.level).unwrap_or(1.96)),
            _ => None,
        };
        Table { keys, values, width, steps_at, schedule, key_gradients, z }
    }

    /// Per (x, T): the gradients over the log-parameters of ln E[purchases in the window | active]
    /// and of ln Σ (discounted purchases per step | active), by forward differences of the table's
    /// rows under each perturbed model. Neighbouring T of one x share the gradient of the first
    /// of them while α + T (β + T) changes by less than 0.5%: a gradient is smooth in T, so this
    /// moves an interval's width by well under 1% and saves most of the perturbed evaluations,
    /// which are nearly all the cost of delta-method intervals.
    fn key_gradients(
        &self,
        keys: &[u64],
        values: &[f64],
        width: usize,
        steps_at: usize,
        schedule: &Schedule,
        window: f64,
    ) -> Vec<[f64; 8]> {
        let unit = self.unit.days();
        let models = intervals::perturbed(&self.purchases);
        // The shortest time scale among the model's rate parameters, in days.
        let scale = self
            .purchases
            .parameters()
            .iter()
            .filter(|(name, _)| matches!(*name, "alpha" | "beta"))
            .fold(f64::INFINITY, |m, (_, v)| m.min(*v))
            * unit;
        let bucket = |key: u64| ((key >> 32), ((scale + (key & 0xffff_ffff) as f64).ln() / GRADIENT_BUCKET) as i64);
        let mut representative = Vec::with_capacity(keys.len());
        let mut firsts: Vec<usize> = Vec::new();
        for (i, &key) in keys.iter().enumerate() {
            if firsts.last().is_none_or(|&f| bucket(keys[f]) != bucket(key)) {
                firsts.push(i);
            }
            representative.push(firsts.len() - 1);
        }
        let gradients: Vec<[f64; 8]> = firsts
            .par_iter()
            .map(|&i| {
                let key = keys[i];
                let (x, age) = ((key >> 32) as f64, (key & 0xffff_ffff) as f64 / unit);
                let row = &values[i * width..(i + 1) * width];
                let (e, d) = (row[0].ln(), schedule.discounted(row[steps_at..].iter().copied()).ln());
                let mut g = [0.0; 8];
                for (j, m) in models.iter().enumerate().take(4) {
                    let ej = m.expected_if_alive(window, x, age).ln();
                    let dj = schedule
                        .discounted(schedule.step_ends.iter().map(|s| m.expected_if_alive(s / unit, x, age)))
                        .ln();
                    g[j] = (ej - e) / crate::clv::model::STEP;
                    g[4 + j] = (dj - d) / crate::clv::model::STEP;
                }
                // An expectation that underflowed to 0 has no log-gradient: no width from it
                // (rather than NaN bounds for every key sharing it).
                g.map(|v| if v.is_finite() { v } else { 0.0 })
            })
            .collect();
        representative.into_iter().map(|r| gradients[r]).collect()
    }
}

/// Customers per parallel task when scoring with breakdowns.
const SCORE_CHUNK: usize = 4_096;

/// Width, in ln(α + T), of the runs of T that share one gradient in `key_gradients` (0.5%).
const GRADIENT_BUCKET: f64 = 0.005;

/// Distinct (x, T) pairs per block of the draws method.
const BLOCK_KEYS: usize = 16;

struct Table {
    keys: Vec<u64>,
    values: Vec<f64>,
    width: usize,
    /// Column of the first cumulative step.
    steps_at: usize,
    schedule: Schedule,
    /// Per key, with delta-method intervals: d ln E[window]/dθ and d ln D/dθ (see `key_gradients`).
    key_gradients: Vec<[f64; 8]>,
    /// The intervals' z, with delta-method intervals.
    z: Option<f64>,
}

impl Table {
    /// The index of (x, T); every scored pair was put in the table.
    fn index(&self, x: u32, age: u32) -> Option<usize> {
        self.keys.binary_search(&(((x as u64) << 32) | age as u64)).ok()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

/// Expected cumulative repeat purchases of a new customer after each of `days` (the population
/// curve to plot against actual cumulative repeat purchases).
pub fn population_curve(model: &dyn PurchaseModel, unit: TimeUnit, days: &[u32]) -> Vec<(u32, f64)> {
    days.iter().map(|&d| (d, model.expected_purchases(d as f64 / unit.days(), 0.0, 0.0, 0.0))).collect()
}
