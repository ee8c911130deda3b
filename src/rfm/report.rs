//! The segment report: size, revenue and behaviour per segment, and how concentrated spend is in
//! the top 1% and 10% of customers. One parallel pass plus two linear-time selections.

use rayon::prelude::*;
use serde::Serialize;

use super::scores::Rfm;
use super::segments::Segments;
use crate::day::Day;

/// Customers, revenue and orders of a group, with the derived shares and averages.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Group {
    /// Customers in the group.
    pub customers: u64,
    /// Net revenue (purchases minus returns), minor units.
    pub revenue: i64,
    /// Purchase orders.
    pub orders: u64,
    /// Sum of recency in days (for the average).
    recency_days: u64,
    /// Share of all customers, 0..=1.
    pub customer_share: f64,
    /// Share of all revenue, 0..=1 (0 when total revenue is not positive).
    pub revenue_share: f64,
    /// Net revenue per purchase order, minor units.
    pub average_order_value: f64,
    /// Mean days since the last purchase.
    pub average_recency: f64,
    /// Mean purchase orders per customer.
    pub average_frequency: f64,
}

impl Group {
    fn add(&mut self, revenue: i64, orders: u32, recency: u32) {
        self.customers += 1;
        self.revenue += revenue;
        self.orders += u64::from(orders);
        self.recency_days += u64::from(recency);
    }

    fn merge(mut self, other: &Group) -> Group {
        self.customers += other.customers;
        self.revenue += other.revenue;
        self.orders += other.orders;
        self.recency_days += other.recency_days;
        self
    }

    fn finish(&mut self, total_customers: u64, total_revenue: i64) {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        self.customer_share = ratio(self.customers as f64, total_customers as f64);
        self.revenue_share = ratio(self.revenue as f64, total_revenue as f64);
        self.average_order_value = ratio(self.revenue as f64, self.orders as f64);
        self.average_recency = ratio(self.recency_days as f64, self.customers as f64);
        self.average_frequency = ratio(self.orders as f64, self.customers as f64);
    }
}

/// One segment's line of the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentLine {
    /// The segment's name.
    pub segment: String,
    /// Its customers, revenue and averages.
    #[serde(flatten)]
    pub group: Group,
}

/// Spend concentration: the top 1% and top 10% of customers by net spend against the rest.
///
/// The top `p` are the `⌈p·N⌉` customers with the highest net spend; ties at the boundary go to the
/// lower customer id, so the split is deterministic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Concentration {
    /// The top 1% of customers by net spend.
    pub top_1: Group,
    /// The other 99%.
    pub rest_99: Group,
    /// The top 10%.
    pub top_10: Group,
    /// The other 90%.
    pub rest_90: Group,
}

impl Concentration {
    /// How many times more the top 10% spend per order than the other 90% (0 if undefined).
    pub fn top_10_order_value_ratio(&self) -> f64 {
        ratio(self.top_10.average_order_value, self.rest_90.average_order_value)
    }

    /// How many times more the top 1% spend per order than the other 99% (0 if undefined).
    pub fn top_1_order_value_ratio(&self) -> f64 {
        ratio(self.top_1.average_order_value, self.rest_99.average_order_value)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Per-segment figures and spend concentration for one scoring.
///
/// ```
/// use retention::rfm::{Rfm, RfmOptions, SegmentReport, Segments};
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// store.ingest("customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\nb,2,2024-02-01,90\n".as_bytes(),
///              &Default::default())?;
/// let rfm = Rfm::compute(&store.summaries(None)?, &RfmOptions::default())?;
/// let report = SegmentReport::new(&rfm, &Segments::default());
/// assert_eq!(report.total.customers, 2);
/// assert_eq!(report.segments.iter().map(|s| s.group.revenue).sum::<i64>(), 10_000);
/// assert_eq!(report.concentration.top_1.revenue, 9_000); // ⌈1% of 2⌉ = 1 customer: b
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SegmentReport {
    /// The as-of day of the scores.
    pub as_of: Day,
    /// One line per segment name, in rule order; segments without customers are included.
    pub segments: Vec<SegmentLine>,
    /// All customers together.
    pub total: Group,
    /// Spend concentration.
    pub concentration: Concentration,
}

impl SegmentReport {
    /// Builds the report for `rfm` segmented by `segments`.
    pub fn new(rfm: &Rfm, segments: &Segments) -> SegmentReport {
        let n = segments.names().len();
        let revenue = |s: &super::RfmScore| s.spend;
        let mut groups = rfm
            .scores
            .par_iter()
            .fold(
                || vec![Group::default(); n],
                |mut acc, s| {
                    acc[usize::from(segments.of(s, rfm.bins))].add(revenue(s), s.frequency, s.recency);
                    acc
                },
            )
            .reduce(|| vec![Group::default(); n], |a, b| a.into_iter().zip(&b).map(|(x, y)| x.merge(y)).collect());
        let mut total = groups.iter().fold(Group::default(), |acc, g| acc.merge(g));
        total.finish(total.customers, total.revenue);
        for g in &mut groups {
            g.finish(total.customers, total.revenue);
        }

        // Concentration: customers ordered by (spend descending, id ascending).
        let mut by_spend: Vec<(i64, u32, u32, u32)> =
            rfm.scores.par_iter().map(|s| (-revenue(s), s.customer.get(), s.frequency, s.recency)).collect();
        let sum = |part: &[(i64, u32, u32, u32)]| {
            let mut g = part
                .par_iter()
                .fold(Group::default, |mut g, &(neg, _, orders, recency)| {
                    g.add(-neg, orders, recency);
                    g
                })
                .reduce(Group::default, |a, b| a.merge(&b));
            g.finish(total.customers, total.revenue);
            g
        };
        // Linear-time selections: after the first, the top 10% sit in front, and the top 1% is
        // selected within them.
        let (k10, k1) = (by_spend.len().div_ceil(10), by_spend.len().div_ceil(100));
        if k10 < by_spend.len() {
            by_spend.select_nth_unstable(k10);
        }
        if k1 < k10 {
            by_spend[..k10].select_nth_unstable(k1);
        }
        let (top_1, top_10, rest_90) = (sum(&by_spend[..k1]), sum(&by_spend[..k10]), sum(&by_spend[k10..]));
        let rest_99 = sum(&by_spend[k1..]);

        SegmentReport {
            as_of: rfm.as_of,
            segments: segments
                .names()
                .iter()
                .zip(groups)
                .map(|(name, group)| SegmentLine { segment: name.clone(), group })
                .collect(),
            total,
            concentration: Concentration { top_1, rest_99, top_10, rest_90 },
        }
    }
}
