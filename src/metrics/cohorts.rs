//! Acquisition cohorts: customers grouped by the month (or week) of their first purchase, and for
//! each cohort the share still buying k periods later and the revenue they bring, from one
//! parallel pass over every record.

use serde::Serialize;

use crate::day::Day;
use crate::error::{Error, Result};
use crate::store::Store;

/// The length of a cohort period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CohortPeriod {
    /// Calendar months.
    #[default]
    Month,
    /// Weeks starting on Monday.
    Week,
}

impl CohortPeriod {
    /// Parses `month` or `week`.
    pub fn parse(text: &str) -> Result<CohortPeriod> {
        match text {
            "month" | "months" | "m" => Ok(CohortPeriod::Month),
            "week" | "weeks" | "w" => Ok(CohortPeriod::Week),
            _ => Err(Error::invalid("CohortPeriod", text, "expected month or week")),
        }
    }

    /// The index of the period holding `day` (months since 1900-01; weeks counted from the week of
    /// Monday 1969-12-29, which is week 0).
    fn index(self, day: i32) -> i32 {
        match self {
            CohortPeriod::Month => {
                let (y, m, _) = Day::from_days(day).to_ymd();
                (y - 1900) * 12 + m as i32 - 1
            }
            // 1970-01-01 was a Thursday: day + 3 counts from a Monday.
            CohortPeriod::Week => (day + 3).div_euclid(7),
        }
    }

    /// The first day of period `index`.
    fn start(self, index: i32) -> Day {
        match self {
            CohortPeriod::Month => Day::from_ymd(1900 + index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
                .unwrap_or(Day::from_days(0)),
            CohortPeriod::Week => Day::from_days(index * 7 - 3),
        }
    }
}

/// One acquisition cohort.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cohort {
    /// First day of the cohort's period.
    pub start: Day,
    /// Customers whose first purchase is in the period.
    pub customers: u64,
    /// `active[k]`: cohort customers with a purchase in the k-th period after the first (k = 0 is
    /// the acquisition period itself, so `active[0] == customers`).
    pub active: Vec<u64>,
    /// `revenue[k]`: their net revenue in that period, minor units.
    pub revenue: Vec<i64>,
}

impl Cohort {
    /// Share of the cohort active k periods after acquisition.
    pub fn share_active(&self, k: usize) -> Option<f64> {
        let n = *self.active.get(k)?;
        (self.customers > 0).then(|| n as f64 / self.customers as f64)
    }
}

/// The cohort matrix as of a day: periods after it are not counted, so later cohorts have shorter rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Cohorts {
    /// Month or week.
    pub period: CohortPeriod,
    /// The last day counted.
    pub as_of: Day,
    /// Cohorts in time order.
    pub cohorts: Vec<Cohort>,
}

/// At most this many periods are tracked (about 40 years of months).
const MAX_PERIODS: i32 = 500;

#[derive(Clone)]
struct Grid {
    width: usize,
    customers: Vec<u64>,
    active: Vec<u64>,
    revenue: Vec<i128>,
}

impl Store {
    /// Acquisition cohorts by `period`, counting orders up to `as_of` (default: the latest order day).
    ///
    /// ```
    /// use retention::metrics::CohortPeriod;
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// let orders = "customer_id,order_id,timestamp,amount\na,1,2024-01-05,10\na,2,2024-03-01,20\nb,3,2024-01-20,5\n";
    /// store.ingest(orders.as_bytes(), &Default::default())?;
    /// let c = store.cohorts(CohortPeriod::Month, None)?;
    /// let january = &c.cohorts[0];
    /// assert_eq!((january.customers, january.active.clone()), (2, vec![2, 0, 1]));
    /// # Ok(()) }
    /// ```
    pub fn cohorts(&self, period: CohortPeriod, as_of: Option<Day>) -> Result<Cohorts> {
        let snapshot = self.snapshot();
        let stats = snapshot.stats()?;
        let (Some(first_day), Some(last_day)) = (stats.first_day, stats.last_day) else {
            return Ok(Cohorts { period, as_of: as_of.unwrap_or(Day::from_days(0)), cohorts: Vec::new() });
        };
        let as_of = as_of.unwrap_or(last_day);
        let (first, last) = (period.index(first_day.days()), period.index(as_of.days()));
        if last < first {
            return Ok(Cohorts { period, as_of, cohorts: Vec::new() });
        }
        if last - first >= MAX_PERIODS {
            let name = match period {
                CohortPeriod::Month => "month",
                CohortPeriod::Week => "week",
            };
            return Err(Error::invalid(
                "Store::cohorts(period)",
                name,
                format!(
                    "the store's orders span more than {MAX_PERIODS} {name}s (from {first_day} to {as_of}); use a later \
                     first day or a coarser period"
                ),
            ));
        }
        let width = (last - first + 1) as usize;
        let end = as_of.days();
        // Period of every day in range, looked up instead of converting each order's day.
        let day0 = first_day.days();
        let periods: Vec<u32> = (day0..=end.max(day0)).map(|d| (period.index(d) - first) as u32).collect();
        let empty = || Grid {
            width,
            customers: vec![0; width],
            active: vec![0; width * width],
            revenue: vec![0; width * width],
        };
        let shards = snapshot.fold_records(empty, |g, id, record| {
            let mut cohort: Option<usize> = None;
            let mut last_counted: Option<usize> = None;
            // Returns before the first purchase belong to no cohort yet; they are skipped.
            for pair in record.pairs() {
                let (day, amount) = pair.map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))?;
                if day > end {
                    break;
                }
                let Some(&p) = periods.get((day - day0) as usize) else { continue };
                let p = p as usize;
                if cohort.is_none() && amount >= 0 {
                    cohort = Some(p);
                    g.customers[p] += 1;
                }
                let Some(c) = cohort else { continue };
                let k = p - c;
                g.revenue[c * g.width + k] += amount as i128;
                if amount >= 0 && last_counted != Some(k) {
                    g.active[c * g.width + k] += 1;
                    last_counted = Some(k);
                }
            }
            Ok(())
        })?;
        let mut total = empty();
        for s in &shards {
            for (a, b) in total.customers.iter_mut().zip(&s.customers) {
                *a += b;
            }
            for (a, b) in total.active.iter_mut().zip(&s.active) {
                *a += b;
            }
            for (a, b) in total.revenue.iter_mut().zip(&s.revenue) {
                *a += b;
            }
        }
        let cohorts = (0..width)
            .filter(|&c| total.customers[c] > 0)
            .map(|c| {
                let row = c * width..c * width + (width - c);
                Cohort {
                    start: period.start(first + c as i32),
                    customers: total.customers[c],
                    active: total.active[row.clone()].to_vec(),
                    revenue: total.revenue[row]
                        .iter()
                        .map(|&r| r.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
                        .collect(),
                }
            })
            .collect();
        Ok(Cohorts { period, as_of, cohorts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_indices_and_starts_round_trip() {
        let day = |y, m, d| Day::from_ymd(y, m, d).unwrap();
        for p in [CohortPeriod::Month, CohortPeriod::Week] {
            for d in [day(1970, 1, 1), day(1997, 3, 31), day(2024, 2, 29), day(1901, 1, 7)] {
                let i = p.index(d.days());
                assert!(p.start(i) <= d && p.start(i + 1) > d, "{p:?} {d}");
            }
        }
        assert_eq!(CohortPeriod::Week.start(CohortPeriod::Week.index(day(2024, 11, 24).days())), day(2024, 11, 18));
        assert_eq!(CohortPeriod::Month.start(CohortPeriod::Month.index(day(2024, 11, 24).days())), day(2024, 11, 1));
    }
}
