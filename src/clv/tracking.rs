//! Does the model fit the shop at all: the period-transaction histogram (customers by repeat
//! purchases in the calibration period, actual against the model) and the weekly tracking of repeat
//! purchases across calibration and holdout, incremental and cumulative, as numbers a command
//! prints and the report draws.

use serde::Serialize;

use crate::clv::data::TimeUnit;
use crate::clv::model::PurchaseModel;
use crate::day::Day;
use crate::error::{Error, Result};
use crate::store::{Snapshot, Store};
use crate::summary::Summaries;

/// Histogram bins: 0, 1, ..., 6 repeat purchases and "7+".
pub const HISTOGRAM_BINS: usize = 8;

/// The most weeks a tracking series covers (about 38 years).
const MAX_WEEKS: usize = 2_000;

/// Repeat purchases of the calibration customers per week, from the week of the first purchase
/// in the store to the holdout's end. Weeks end on the calibration end and every 7th day around
/// it, so the split falls between two weeks; the last week may be cut short by the holdout's end.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Tracking {
    /// Each week's last day.
    pub week_ends: Vec<Day>,
    /// Repeat purchases (purchase days after a customer's first) in each week, by customers whose
    /// first purchase is on or before the calibration end.
    pub actual: Vec<u64>,
    /// Weeks that end on or before the calibration end (the rest are the holdout).
    pub calibration_weeks: usize,
}

impl Tracking {
    /// Actual repeat purchases up to the end of each week.
    pub fn cumulative_actual(&self) -> Vec<u64> {
        self.actual
            .iter()
            .scan(0u64, |sum, a| {
                *sum += a;
                Some(*sum)
            })
            .collect()
    }
}

/// Customers of `calibration` by repeat purchases, 0..=6 and 7+.
pub(crate) fn histogram_actual(calibration: &Summaries) -> Vec<u64> {
    let mut bins = vec![0u64; HISTOGRAM_BINS];
    for s in &calibration.customers {
        bins[(s.x() as usize).min(HISTOGRAM_BINS - 1)] += 1;
    }
    bins
}

/// Days from each calibration customer's first purchase to the calibration end, with counts.
fn ages(calibration: &Summaries) -> Vec<(u32, u64)> {
    counted(calibration.customers.iter().map(|s| s.age(calibration.as_of)).collect())
}

/// The distinct values, ascending, each with how often it occurs.
fn counted<T: Ord + Copy>(mut values: Vec<T>) -> Vec<(T, u64)> {
    values.sort_unstable();
    let mut out: Vec<(T, u64)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((seen, n)) if *seen == v => *n += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

/// Expected customers per histogram bin: Σ over customers of P(X(T) = n) for a customer first
/// seen T before the calibration end (the new-customer distribution of the model), the last bin
/// taking the rest of the mass.
pub(crate) fn histogram_expected(model: &dyn PurchaseModel, unit: TimeUnit, calibration: &Summaries) -> Vec<f64> {
    let mut bins = vec![0.0; HISTOGRAM_BINS];
    for (age, n) in ages(calibration) {
        let p = model.purchase_counts(age as f64 / unit.days(), 0.0, 0.0, 0.0, HISTOGRAM_BINS as u32 - 2);
        let mut rest = 1.0;
        for (bin, q) in bins.iter_mut().zip(&p) {
            *bin += n as f64 * q;
            rest -= q;
        }
        bins[HISTOGRAM_BINS - 1] += n as f64 * rest.max(0.0);
    }
    bins
}

/// Expected repeat purchases per week of `tracking` by the calibration customers: a customer
/// first seen on day b is expected to have made E[X(d − b)] repeat purchases by day d (the
/// population curve), summed over first-purchase days.
pub(crate) fn weekly_expected(
    model: &dyn PurchaseModel,
    unit: TimeUnit,
    calibration: &Summaries,
    tracking: &Tracking,
) -> Vec<f64> {
    let births = counted(calibration.customers.iter().map(|s| s.first_purchase.days()).collect());
    let Some(&(first, _)) = births.first() else { return vec![0.0; tracking.week_ends.len()] };
    let last = tracking.week_ends.last().map_or(first, |d| d.days());
    // E[X(t)] of a new customer for every whole-day lag t the weeks need.
    let curve: Vec<f64> =
        (0..=(last - first).max(0)).map(|t| model.expected_purchases(t as f64 / unit.days(), 0.0, 0.0, 0.0)).collect();
    let cumulative: Vec<f64> = tracking
        .week_ends
        .iter()
        .map(|end| {
            births
                .iter()
                .take_while(|(b, _)| *b <= end.days())
                .map(|&(b, n)| n as f64 * curve[(end.days() - b) as usize])
                .sum()
        })
        .collect();
    let mut previous = 0.0;
    cumulative
        .into_iter()
        .map(|c| {
            let week = c - previous;
            previous = c;
            week
        })
        .collect()
}

impl Store {
    /// Weekly repeat purchases of the customers first seen by `calibration_end`, up to `end` (one
    /// scan of the store).
    pub fn tracking(&self, calibration_end: Day, end: Day) -> Result<Tracking> {
        self.snapshot().tracking(calibration_end, end)
    }
}

impl Snapshot {
    /// [`Store::tracking`] of this snapshot.
    pub fn tracking(&self, calibration_end: Day, end: Day) -> Result<Tracking> {
        if end < calibration_end {
            return Err(Error::invalid(
                "Snapshot::tracking(end)",
                end.to_string(),
                format!("must not be before the calibration end {calibration_end}"),
            ));
        }
        let Some(first_day) = self.stats()?.first_day else {
            return Ok(Tracking { week_ends: Vec::new(), actual: Vec::new(), calibration_weeks: 0 });
        };
        // Week k ends on calibration_end + 7k; the first week holds the store's first day.
        let behind = (calibration_end - first_day).max(0);
        let first_week = -(behind / 7);
        let ahead = end - calibration_end;
        let last_week = (ahead + 6) / 7;
        let weeks = (last_week - first_week + 1) as usize;
        if weeks > MAX_WEEKS {
            return Err(Error::invalid(
                "Snapshot::tracking(end)",
                end.to_string(),
                format!("the tracking would span {weeks} weeks from {first_day}; at most {MAX_WEEKS}"),
            ));
        }
        let week_ends: Vec<Day> = (first_week..=last_week).map(|k| calibration_end.add_days(7 * k).min(end)).collect();
        // The week of a day: the first whose end is on or after it.
        let start = calibration_end.days() + 7 * first_week - 6;
        let calibration = calibration_end.days();
        let last = end.days();
        let shards = self.fold_records(
            || vec![0u64; weeks],
            |counts, id, record| {
                let mut first: Option<i32> = None;
                let mut previous = i32::MIN;
                for pair in record.pairs() {
                    let (day, amount) = pair.map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))?;
                    if day > last {
                        break;
                    }
                    if amount < 0 || day == previous {
                        continue;
                    }
                    previous = day;
                    match first {
                        None if day > calibration => break,
                        None => first = Some(day),
                        Some(_) => {
                            let week = ((day - start).max(0) / 7) as usize;
                            counts[week.min(weeks - 1)] += 1;
                        }
                    }
                }
                Ok(())
            },
        )?;
        let mut actual = vec![0u64; weeks];
        for shard in shards {
            for (a, s) in actual.iter_mut().zip(shard) {
                *a += s;
            }
        }
        let calibration_weeks = week_ends.iter().filter(|d| **d <= calibration_end).count();
        Ok(Tracking { week_ends, actual, calibration_weeks })
    }
}
