//! Retention metrics of one period, from one parallel pass over every record: repeat rate and the
//! conditional repeat curve, frequency and order value, days between purchases, customer retention
//! and churn with an activity window, and revenue from new against returning customers.

use serde::Serialize;

use crate::day::Day;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::codec::record::RecordView;

/// What to measure.
///
/// ```
/// use retention::{Day, metrics::MetricsOptions};
/// let day = Day::from_ymd(2025, 6, 30).expect("a valid date");
/// let options = MetricsOptions::default().as_of(day).period_days(90);
/// assert_eq!((options.as_of, options.period_days, options.activity_window_days), (Some(day), 90, 365));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsOptions {
    /// Last day of the period (default: the latest order day in the store).
    pub as_of: Option<Day>,
    /// Length of the period in days, ending on `as_of` (default 365).
    pub period_days: u32,
    /// A customer "is a customer" on a day when they bought within this many days up to and
    /// including it (default 365).
    pub activity_window_days: u32,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions { as_of: None, period_days: 365, activity_window_days: 365 }
    }
}

crate::options::setters! {
    MetricsOptions {
        /// Sets the length of the period in days.
        period_days: u32,
        /// Sets the activity window in days.
        activity_window_days: u32,
    }
    optional {
        /// Ends the period on this day.
        as_of: Day,
    }
}

/// Longest period or activity window accepted: 100 years, far inside day-number arithmetic.
const MAX_DAYS: u32 = 36_525;

/// Longest gap between purchases kept exactly in the distribution; longer ones share the last
/// bucket (and a median above it is reported as this).
const MAX_GAP: usize = 3_660;
/// P(k+1 | k) is reported for k = 1..=`MAX_K`.
const MAX_K: usize = 10;

/// The metrics of one period.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PeriodMetrics {
    /// First day of the period.
    pub start: Day,
    /// Last day of the period.
    pub end: Day,
    /// The activity window, days.
    pub activity_window_days: u32,
    /// Customers with a purchase by the end of the period (the base of the repeat figures).
    pub customers: u64,
    /// Share of those customers with more than one purchase day.
    pub repeat_rate: f64,
    /// P(k+1 purchase days | k) for k = 1, 2, ...: customers with at least k+1 purchase days over
    /// customers with at least k, by the end of the period (`None` where nobody has k).
    pub conditional_repeat: Vec<Option<f64>>,
    /// Customers with a purchase in the period.
    pub buyers: u64,
    /// Purchase orders in the period.
    pub orders: u64,
    /// Purchase days in the period (several orders on one day count once).
    pub purchase_days: u64,
    /// Orders per buyer in the period.
    pub frequency: f64,
    /// Purchase spend in the period over its purchase orders, minor units.
    pub average_order_value: f64,
    /// Net revenue in the period (purchases and returns), minor units.
    pub revenue: i64,
    /// Net revenue in the period from customers whose first purchase was in the period.
    pub revenue_new: i64,
    /// Net revenue in the period from customers who had bought before it.
    pub revenue_returning: i64,
    /// Median days between consecutive purchase days, for purchases in the period.
    pub median_gap_days: Option<u32>,
    /// Gaps between consecutive purchase days ending in the period, by length: (upper bound in
    /// days, gaps); the bounds are 7, 14, 30, 60, 90, 180, 365, 730 and `u32::MAX`.
    pub gap_distribution: Vec<(u32, u64)>,
    /// Customers on the first day of the period: bought within the activity window up to the day
    /// before the period.
    pub customers_at_start: u64,
    /// Customers on the last day: bought within the activity window up to it.
    pub customers_at_end: u64,
    /// Customers whose first purchase was in the period.
    pub new_customers: u64,
    /// Customers at the start who are still customers at the end.
    pub retained: u64,
    /// CRR = (customers at end − new customers still customers at the end) / customers at
    /// start. With an activity window at least as long as the period every new customer is still
    /// one at the end, and this is the textbook (E − N)/S; with a shorter window, new customers who
    /// have already lapsed are not subtracted from customers they never were. Customers who were
    /// not customers at the start but come back in the period (reactivated) count as kept, so CRR
    /// can exceed the share retained.
    pub retention_rate: Option<f64>,
    /// Churn = (customers at start − retained) / customers at start.
    pub churn_rate: Option<f64>,
}

/// Bounds of the reported gap buckets.
const GAP_BUCKETS: [u32; 9] = [7, 14, 30, 60, 90, 180, 365, 730, u32::MAX];

#[derive(Clone)]
struct Tally {
    at_least: [u64; MAX_K + 2],
    customers: u64,
    buyers: u64,
    orders: u64,
    purchase_days: u64,
    spend: i128,
    revenue: i128,
    revenue_new: i128,
    at_start: u64,
    at_end: u64,
    new: u64,
    new_at_end: u64,
    retained: u64,
    gaps: Vec<u64>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            at_least: [0; MAX_K + 2],
            customers: 0,
            buyers: 0,
            orders: 0,
            purchase_days: 0,
            spend: 0,
            revenue: 0,
            revenue_new: 0,
            at_start: 0,
            at_end: 0,
            new: 0,
            new_at_end: 0,
            retained: 0,
            gaps: vec![0; MAX_GAP + 1],
        }
    }

    fn add(&mut self, other: &Tally) {
        for (a, b) in self.at_least.iter_mut().zip(&other.at_least) {
            *a += b;
        }
        for (a, b) in self.gaps.iter_mut().zip(&other.gaps) {
            *a += b;
        }
        self.customers += other.customers;
        self.buyers += other.buyers;
        self.orders += other.orders;
        self.purchase_days += other.purchase_days;
        self.spend += other.spend;
        self.revenue += other.revenue;
        self.revenue_new += other.revenue_new;
        self.at_start += other.at_start;
        self.at_end += other.at_end;
        self.new += other.new;
        self.new_at_end += other.new_at_end;
        self.retained += other.retained;
    }
}

/// The period's bounds as day numbers: purchases on days in `(before, end]` are in the period.
#[derive(Clone, Copy)]
struct Bounds {
    before: i32,
    end: i32,
    window: i32,
}

/// Folds one customer's record into the tally.
fn tally(
    t: &mut Tally,
    record: &RecordView<'_>,
    b: Bounds,
) -> std::result::Result<(), crate::store::codec::varint::DecodeError> {
    let (mut first, mut last, mut last_before) = (None::<i32>, None::<i32>, None::<i32>);
    let mut days_total = 0usize;
    let mut buyer = false;
    let mut period_revenue = 0i128;
    for pair in record.pairs() {
        let (day, amount) = pair?;
        if day > b.end {
            break;
        }
        let in_period = day > b.before;
        if in_period {
            period_revenue += amount as i128;
        }
        if amount < 0 {
            continue;
        }
        if first.is_none() {
            first = Some(day);
        }
        if last != Some(day) {
            days_total += 1;
            if in_period {
                t.purchase_days += 1;
                if let Some(previous) = last {
                    t.gaps[(day.abs_diff(previous) as usize).min(MAX_GAP)] += 1;
                }
            }
        }
        if in_period {
            buyer = true;
            t.orders += 1;
            t.spend += amount as i128;
        } else {
            last_before = Some(day);
        }
        last = Some(day);
    }
    // Returns of customers who never bought count in revenue, as returning customers'.
    t.revenue += period_revenue;
    let (Some(first), Some(last)) = (first, last) else { return Ok(()) };
    t.customers += 1;
    for k in 1..=days_total.min(MAX_K + 1) {
        t.at_least[k] += 1;
    }
    t.buyers += u64::from(buyer);
    let at_start = last_before.is_some_and(|d| d > b.before - b.window);
    let at_end = last > b.end - b.window;
    t.at_start += u64::from(at_start);
    t.at_end += u64::from(at_end);
    t.retained += u64::from(at_start && at_end);
    if first > b.before {
        t.new += 1;
        t.new_at_end += u64::from(at_end);
        t.revenue_new += period_revenue;
    }
    Ok(())
}

impl PeriodMetrics {
    fn from_tally(t: &Tally, start: Day, end: Day, window: u32) -> PeriodMetrics {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let gap_count: u64 = t.gaps.iter().sum();
        let median_gap_days = (gap_count > 0).then(|| {
            // The lower median: the smallest gap with at least half the gaps at or below it.
            let half = gap_count.div_ceil(2);
            let mut seen = 0;
            t.gaps.iter().position(|&n| {
                seen += n;
                seen >= half
            })
        });
        let mut gap_distribution = Vec::with_capacity(GAP_BUCKETS.len());
        let mut lower = 0usize;
        for &bound in &GAP_BUCKETS {
            let upper = (bound as usize).min(MAX_GAP);
            gap_distribution.push((bound, t.gaps.get(lower..=upper).map_or(0, |g| g.iter().sum())));
            lower = upper + 1;
        }
        let revenue = t.revenue.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        let revenue_new = t.revenue_new.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        PeriodMetrics {
            start,
            end,
            activity_window_days: window,
            customers: t.customers,
            repeat_rate: ratio(t.at_least[2], t.customers).unwrap_or(0.0),
            conditional_repeat: (1..=MAX_K).map(|k| ratio(t.at_least[k + 1], t.at_least[k])).collect(),
            buyers: t.buyers,
            orders: t.orders,
            purchase_days: t.purchase_days,
            frequency: ratio(t.orders, t.buyers).unwrap_or(0.0),
            average_order_value: if t.orders > 0 { t.spend as f64 / t.orders as f64 } else { 0.0 },
            revenue,
            revenue_new,
            revenue_returning: revenue.saturating_sub(revenue_new),
            median_gap_days: median_gap_days.flatten().map(|g| g as u32),
            gap_distribution,
            customers_at_start: t.at_start,
            customers_at_end: t.at_end,
            new_customers: t.new,
            retained: t.retained,
            retention_rate: (t.at_start > 0).then(|| (t.at_end - t.new_at_end) as f64 / t.at_start as f64),
            churn_rate: ratio(t.at_start - t.retained, t.at_start),
        }
    }
}

impl Store {
    /// The retention metrics of the period ending on `options.as_of`, for every customer, or only
    /// for the customers whose ids are set in `members` (for example one segment's).
    ///
    /// ```
    /// use retention::metrics::MetricsOptions;
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// let orders = "customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\na,2,2024-03-01,20\nb,3,2024-02-01,5\n";
    /// store.ingest(orders.as_bytes(), &Default::default())?;
    /// let m = store.period_metrics(&MetricsOptions::default(), None)?;
    /// assert_eq!((m.customers, m.repeat_rate, m.median_gap_days), (2, 0.5, Some(60)));
    /// # Ok(()) }
    /// ```
    pub fn period_metrics(&self, options: &MetricsOptions, members: Option<&[bool]>) -> Result<PeriodMetrics> {
        for (name, value) in [
            ("MetricsOptions::period_days", options.period_days),
            ("MetricsOptions::activity_window_days", options.activity_window_days),
        ] {
            if !(1..=MAX_DAYS).contains(&value) {
                return Err(Error::invalid(name, format!("{value} days"), "must be 1 day to 100 years"));
            }
        }
        let snapshot = self.snapshot();
        let end = snapshot.as_of_or_latest(options.as_of)?;
        let period = i32::try_from(options.period_days).unwrap_or(i32::MAX);
        let bounds = Bounds {
            before: end.days().saturating_sub(period),
            end: end.days(),
            window: i32::try_from(options.activity_window_days).unwrap_or(i32::MAX),
        };
        let shards = snapshot.fold_records(Tally::new, |t, id, record| {
            if members.is_some_and(|m| !m.get(id as usize).copied().unwrap_or(false)) {
                return Ok(());
            }
            tally(t, &record, bounds).map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))
        })?;
        let mut total = Tally::new();
        for s in &shards {
            total.add(s);
        }
        Ok(PeriodMetrics::from_tally(&total, Day::from_days(bounds.before + 1), end, options.activity_window_days))
    }
}
