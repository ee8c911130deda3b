//! Retention metrics: what share of customers come back, how often and after how long, how many a
//! period keeps and loses, how much of its revenue comes from new against returning customers, and
//! how each acquisition cohort keeps buying. Computed from the store in one parallel pass each.

mod cohorts;
mod period;

pub use cohorts::{Cohort, CohortPeriod, Cohorts};
pub use period::{MetricsOptions, PeriodMetrics};
