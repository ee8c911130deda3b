//! Retention metrics: what share of customers come back, how often and after how long, how many a
//! period keeps and loses, how much of its revenue comes from new against returning customers, and
//! how each acquisition cohort keeps buying, and which categories the same customers buy. Computed from the store in one parallel pass each.

mod affinity;
mod cohorts;
mod period;

pub use affinity::{Affinity, CategoryFigures, CategoryPair, CategoryShare, CustomerCategories, UNCATEGORIZED_NAME};
pub use cohorts::{Cohort, CohortPeriod, Cohorts};
pub use period::{MetricsOptions, PeriodMetrics};

pub(crate) use affinity::{bought_categories, spend_of};
