//! Per-customer sufficient statistics as of a day: everything RFM, the BTYD models and the retention
//! metrics need, computed in one streaming pass over a record's (day, amount) pairs.

use serde::Serialize;

use crate::day::Day;

/// A customer's dense internal id (assigned in order of first appearance).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CustomerId(pub(crate) u32);

impl CustomerId {
    /// The id numbered `id`: a service that builds [`Summaries`] from its own data numbers its
    /// customers 0, 1, 2, ... and keeps their names in a vector indexed by the number.
    pub fn new(id: u32) -> CustomerId {
        CustomerId(id)
    }

    /// The id as a number (0-based, dense).
    pub fn get(self) -> u32 {
        self.0
    }
}

/// One customer's purchase history condensed as of a day.
///
/// Purchases are orders with a non-negative total; returns (negative totals) are counted apart and
/// never make a customer active. The BTYD quantities follow Fader, Hardie & Lee (2005): `x` is the
/// number of repeat purchase *days* (same-day orders count once), `t_x` the day of the last purchase
/// and `T` the as-of day, both measured from the first purchase. Built by
/// [`Store::summaries`](crate::Store::summaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The customer.
    pub customer: CustomerId,
    /// Day of the first purchase.
    pub first_purchase: Day,
    /// Day of the last purchase on or before the as-of day.
    pub last_purchase: Day,
    /// Purchase orders (RFM frequency).
    pub orders: u32,
    /// Distinct days with a purchase.
    pub purchase_days: u32,
    /// Total of purchase orders, minor units.
    pub spend: i64,
    /// Total of the purchases made on the first purchase day, minor units.
    pub first_day_spend: i64,
    /// Return orders.
    pub returns: u32,
    /// Total of return orders, minor units (zero or negative).
    pub returned: i64,
}

impl Summary {
    /// BTYD `x`: repeat purchase days.
    pub fn x(&self) -> u32 {
        self.purchase_days - 1
    }

    /// BTYD `t_x`: days from the first to the last purchase.
    pub fn t_x(&self) -> u32 {
        (self.last_purchase - self.first_purchase) as u32
    }

    /// BTYD `T`: days from the first purchase to `as_of`.
    pub fn age(&self, as_of: Day) -> u32 {
        (as_of - self.first_purchase).max(0) as u32
    }

    /// Days since the last purchase.
    pub fn recency(&self, as_of: Day) -> u32 {
        (as_of - self.last_purchase).max(0) as u32
    }

    /// Spend net of returns, minor units.
    pub fn net_spend(&self) -> i64 {
        self.spend.saturating_add(self.returned)
    }

    /// Average purchase order value, minor units.
    pub fn average_order_value(&self) -> f64 {
        self.spend as f64 / self.orders as f64
    }

    /// Spend on repeat purchase days, minor units.
    pub fn repeat_spend(&self) -> i64 {
        self.spend.saturating_sub(self.first_day_spend)
    }

    /// Average value of a repeat purchase day (the Gamma-Gamma model's `m_x`), or `None` when the
    /// customer has no repeat purchases.
    pub fn average_repeat_value(&self) -> Option<f64> {
        (self.x() > 0).then(|| self.repeat_spend() as f64 / self.x() as f64)
    }
}

/// Summaries of every customer with a purchase on or before `as_of`, in id order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summaries {
    /// The day the summaries describe.
    pub as_of: Day,
    /// One entry per customer with at least one purchase by `as_of`, sorted by id.
    pub customers: Vec<Summary>,
    /// The store's data version when the scan started (it grows with every ingest that changes
    /// data); results saved from these summaries are stale once the store's version differs.
    pub data_version: u64,
    /// The store holds purchase counts only (an event log without amounts): every spend is 0
    /// and means "unknown", so analyses leave money out (RFM scores R and F, CLV no value).
    pub counts_only: bool,
}

/// One customer as a [`SummarySource`] hands it to a fold.
#[derive(Clone, Copy, Debug)]
pub struct SourceRow<'a> {
    /// The customer's statistics.
    pub summary: &'a Summary,
    /// The day they are as of (one day for the whole source).
    pub as_of: Day,
    /// The customer's external id, when the source carries it (summary files do; the in-memory
    /// [`Summaries`] of a store scan number customers by internal id instead and give `""`).
    pub id: &'a str,
}

/// Every customer's [`Summary`] as of one day, read in parallel parts: the one interface through
/// which the analyses that need all customers (RFM scores, the CLV models' inputs) read them.
/// [`Summaries`] (a store scan) and summary files (`summary_file::SummarySet`) implement it;
/// another front end (a DataFrame) implements it to feed the same analyses.
///
/// A source checks its own rows (one as-of day, each customer once) and reports violations as
/// errors from [`fold_parts`](Self::fold_parts); [`Summaries`] trusts its producer for this (a
/// store scan gives each customer once, by ascending id). Every fold must see the same customers
/// in the same order: streaming RFM folds twice. An empty source returns no parts' customers and
/// `None` for the day, or refuses with an error of its own (summary files: "no summaries").
///
/// ```
/// use retention::summary::SummarySource;
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// store.ingest("customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\na,2,2024-02-01,5\nb,3,2024-02-01,7\n".as_bytes(), &Default::default())?;
/// let summaries = store.summaries(None)?;
/// let (parts, as_of) = summaries.fold_parts(|| 0i64, |spend, row| {
///     *spend += row.summary.spend;
///     Ok(())
/// })?;
/// assert_eq!((parts.iter().sum::<i64>(), as_of.map(|d| d.to_string())), (2200, Some("2024-02-01".into())));
/// # Ok(()) }
/// ```
pub trait SummarySource: Sync {
    /// Folds every customer in parallel parts: each part starts from `init()` and sees its
    /// customers in the source's order; the parts come back in order, so concatenating what they
    /// collect gives every customer in the source's order. Also returns the as-of day (`None`
    /// for an empty source).
    fn fold_parts<T, I, F>(&self, init: I, fold: F) -> crate::Result<(Vec<T>, Option<Day>)>
    where
        T: Send,
        I: Fn() -> T + Sync,
        F: Fn(&mut T, SourceRow<'_>) -> crate::Result<()> + Sync;

    /// The summaries themselves when the source already holds them in memory, so an analysis
    /// can take its in-memory path (the same results, without a second pass).
    fn in_memory(&self) -> Option<&Summaries> {
        None
    }

    /// True when the source holds purchase counts only (no amounts; see
    /// [`Summaries::counts_only`]).
    fn counts_only(&self) -> bool {
        self.in_memory().is_some_and(|s| s.counts_only)
    }

    /// The store's data version the summaries were read at (0 for sources outside a store).
    fn data_version(&self) -> u64 {
        self.in_memory().map_or(0, |s| s.data_version)
    }
}

impl SummarySource for Summaries {
    fn fold_parts<T, I, F>(&self, init: I, fold: F) -> crate::Result<(Vec<T>, Option<Day>)>
    where
        T: Send,
        I: Fn() -> T + Sync,
        F: Fn(&mut T, SourceRow<'_>) -> crate::Result<()> + Sync,
    {
        use rayon::prelude::*;
        // A part per 64k customers: large enough that a part's accumulator amortises, small enough
        // to spread over the threads.
        let parts = self
            .customers
            .par_chunks(1 << 16)
            .map(|chunk| {
                let mut part = init();
                for summary in chunk {
                    fold(&mut part, SourceRow { summary, as_of: self.as_of, id: "" })?;
                }
                Ok(part)
            })
            .collect::<crate::Result<Vec<T>>>()?;
        Ok((parts, (!self.customers.is_empty()).then_some(self.as_of)))
    }

    fn in_memory(&self) -> Option<&Summaries> {
        Some(self)
    }
}
