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
