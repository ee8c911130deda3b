//! Retention metrics: what share of customers come back, how often and after how long, how many a
//! period keeps and loses, and how much of its revenue comes from new against returning
//! customers. Computed from the store in one parallel pass per question.

mod period;

pub use period::{MetricsOptions, PeriodMetrics};
