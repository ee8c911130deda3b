//! Lifecycle lists: whom to contact today. Follow-ups a set number of days after a first order,
//! win-backs for customers overdue against their own purchase rhythm (or unlikely to be alive
//! under the stored CLV model), and VIPs by spend or CLV. Each list is a scan plus a filter.

use serde::Serialize;

use crate::clv::{PurchaseModel, ValueOptions};
use crate::day::Day;
use crate::error::{Error, Need, Result};
use crate::store::Store;
use crate::summary::CustomerId;

/// A customer to follow up after their first order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FollowUp {
    /// The customer.
    pub customer: CustomerId,
    /// Day of the first (and so far only) purchase day.
    pub first_purchase: Day,
    /// Days since it.
    pub days_since_first: u32,
    /// Purchase orders on that day.
    pub orders: u32,
    /// Their total, minor units.
    pub spend: i64,
}

/// A customer to win back.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WinBack {
    /// The customer.
    pub customer: CustomerId,
    /// Why: `overdue` (against their own rhythm), `p_alive` (under the stored model) or both.
    pub reason: &'static str,
    /// Day of the last purchase.
    pub last_purchase: Day,
    /// Days since it.
    pub days_since_last: u32,
    /// Median days between their purchase days (`None` with fewer than `min_gaps` gaps).
    pub median_gap_days: Option<u32>,
    /// Days since the last purchase over the median gap.
    pub overdue_factor: Option<f64>,
    /// P(alive) under the stored CLV model, when one is stored and not stale.
    pub p_alive: Option<f64>,
    /// Purchase days so far.
    pub purchase_days: u32,
    /// Net spend so far, minor units.
    pub spend: i64,
}

/// What makes a customer a win-back candidate.
///
/// ```
/// use retention::actions::WinBackOptions;
/// let options = WinBackOptions::default().factor(1.5).min_gaps(3).p_alive_below(0.3);
/// assert_eq!((options.factor, options.min_gaps, options.p_alive_below), (1.5, 3, Some(0.3)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct WinBackOptions {
    /// Overdue when days since the last purchase exceed this multiple of the median gap.
    pub factor: f64,
    /// Gaps (purchase days − 1) a customer needs before their rhythm is trusted.
    pub min_gaps: u32,
    /// Also (or instead) customers with at least one repeat purchase whose P(alive) under the
    /// stored CLV model is below this.
    pub p_alive_below: Option<f64>,
}

impl Default for WinBackOptions {
    fn default() -> Self {
        WinBackOptions { factor: 2.0, min_gaps: 2, p_alive_below: None }
    }
}

crate::options::setters! {
    WinBackOptions {
        /// Sets the multiple of the median gap beyond which a customer is overdue.
        factor: f64,
        /// Sets the gaps a customer needs before their rhythm is trusted.
        min_gaps: u32,
    }
    optional {
        /// Also lists repeat customers whose P(alive) under the stored CLV model is below this.
        p_alive_below: f64,
    }
}

/// A VIP: one of the top customers by spend or CLV.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Vip {
    /// The customer.
    pub customer: CustomerId,
    /// 1 = the best.
    pub rank: u64,
    /// Net spend so far, minor units.
    pub spend: i64,
    /// CLV under the stored model (major units), when ranked by CLV.
    pub clv: Option<f64>,
}

/// What VIPs are ranked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VipBy {
    /// Net spend so far.
    Spend,
    /// CLV under the stored model (default valuation options).
    Clv,
}

fn members_accept(members: Option<&[bool]>, id: CustomerId) -> bool {
    members.is_none_or(|m| m.get(id.get() as usize).copied().unwrap_or(false))
}

impl Store {
    /// Customers whose first purchase was `after_days` to `after_days + within_days − 1` days before
    /// `as_of` and who have not bought on another day since: the post-purchase follow-up list.
    pub fn follow_ups(
        &self,
        as_of: Option<Day>,
        after_days: u32,
        within_days: u32,
        members: Option<&[bool]>,
    ) -> Result<Vec<FollowUp>> {
        if within_days == 0 {
            return Err(Error::invalid("Store::follow_ups(within_days)", "0", "must be at least 1 day"));
        }
        let summaries = self.summaries(as_of)?;
        let as_of = summaries.as_of;
        Ok(summaries
            .customers
            .iter()
            .filter(|s| s.purchase_days == 1 && members_accept(members, s.customer))
            .filter_map(|s| {
                let days = s.age(as_of);
                (days >= after_days && days - after_days < within_days).then_some(FollowUp {
                    customer: s.customer,
                    first_purchase: s.first_purchase,
                    days_since_first: days,
                    orders: s.orders,
                    spend: s.spend,
                })
            })
            .collect())
    }

    /// Customers overdue against their own rhythm, or unlikely to be alive under the stored CLV
    /// model, as of `as_of`; most overdue first.
    pub fn win_backs(
        &self,
        as_of: Option<Day>,
        options: &WinBackOptions,
        members: Option<&[bool]>,
    ) -> Result<Vec<WinBack>> {
        if !(options.factor > 0.0 && options.factor.is_finite()) {
            return Err(Error::invalid(
                "WinBackOptions::factor",
                options.factor.to_string(),
                "must be a positive number",
            ));
        }
        let summaries = self.summaries(as_of)?;
        let as_of = summaries.as_of;
        let gaps = self.median_gaps(as_of)?;
        let model = match options.p_alive_below {
            None => None,
            Some(threshold) => Some((self.fresh_clv("WinBackOptions::p_alive_below")?, threshold)),
        };
        let mut out: Vec<WinBack> = summaries
            .customers
            .iter()
            .filter(|s| members_accept(members, s.customer))
            .filter_map(|s| {
                let since = s.recency(as_of);
                let median =
                    gaps.get(s.customer.get() as usize).copied().flatten().filter(|_| s.x() >= options.min_gaps);
                let factor = median.map(|g| since as f64 / g.max(1) as f64);
                let overdue = factor.is_some_and(|f| f > options.factor);
                // P(alive) today, from the stored model's population parameters.
                let p_alive = match &model {
                    Some((m, _)) if s.x() > 0 => {
                        let unit = m.purchases.unit.days();
                        Some(m.purchases.model.p_alive(s.x() as f64, s.t_x() as f64 / unit, s.age(as_of) as f64 / unit))
                    }
                    _ => None,
                };
                let unlikely = match (&model, p_alive) {
                    (Some((_, threshold)), Some(p)) => p < *threshold,
                    _ => false,
                };
                let reason = match (overdue, unlikely) {
                    (true, true) => "overdue and p_alive",
                    (true, false) => "overdue",
                    (false, true) => "p_alive",
                    (false, false) => return None,
                };
                Some(WinBack {
                    customer: s.customer,
                    reason,
                    last_purchase: s.last_purchase,
                    days_since_last: since,
                    median_gap_days: median,
                    overdue_factor: factor,
                    p_alive,
                    purchase_days: s.purchase_days,
                    spend: s.net_spend(),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.overdue_factor
                .unwrap_or(0.0)
                .total_cmp(&a.overdue_factor.unwrap_or(0.0))
                .then(a.customer.cmp(&b.customer))
        });
        Ok(out)
    }

    /// The top `share` (0 < share ≤ 1) of customers by spend, or by CLV under the stored model
    /// (then as of the model's day, whatever `as_of` says).
    pub fn vips(&self, as_of: Option<Day>, share: f64, by: VipBy, members: Option<&[bool]>) -> Result<Vec<Vip>> {
        if !(share > 0.0 && share <= 1.0) {
            return Err(Error::invalid("Store::vips(share)", share.to_string(), "expected a share in (0, 1], e.g. 1%"));
        }
        if self.counts_only() {
            let by = if by == VipBy::Spend { "spend" } else { "clv" };
            return Err(Error::invalid(
                "Store::vips(by)",
                by,
                "the store holds purchase counts only (no amounts): there is no spend or value to rank by",
            ));
        }
        let (summaries, clv) = match by {
            VipBy::Spend => (self.summaries(as_of)?, None),
            VipBy::Clv => {
                // Ranked as of the model's day, from one scan that both values and labels use.
                let model = self.fresh_clv("Store::vips(by)")?;
                let summaries = self.summaries(Some(model.as_of))?;
                let values = model.valuation(ValueOptions::default())?.score(&summaries, &self.currency());
                (summaries, Some(values))
            }
        };
        let mut ranked: Vec<(usize, f64)> = summaries
            .customers
            .iter()
            .enumerate()
            .filter(|(_, s)| members_accept(members, s.customer))
            .map(|(i, s)| (i, clv.as_ref().map_or(s.net_spend() as f64, |v| v[i].clv)))
            .collect();
        let n = ((ranked.len() as f64 * share).ceil() as usize).min(ranked.len());
        // Highest first; ties to the lower id, as in the RFM concentration report. Only the top n
        // are sorted: a linear-time selection finds them first.
        let order = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if n > 0 && n < ranked.len() {
            ranked.select_nth_unstable_by(n - 1, order);
            ranked.truncate(n);
        }
        ranked.sort_by(order);
        Ok(ranked
            .iter()
            .take(n)
            .enumerate()
            .map(|(rank, &(i, _))| {
                let s = &summaries.customers[i];
                Vip {
                    customer: s.customer,
                    rank: rank as u64 + 1,
                    spend: s.net_spend(),
                    clv: clv.as_ref().map(|v| v[i].clv),
                }
            })
            .collect())
    }

    /// The stored CLV model, refusing when there is none or when the store changed after its fit
    /// (a list must not act on predictions for data that has moved on).
    fn fresh_clv(&self, by: &str) -> Result<crate::clv::ClvModel> {
        match self.saved_clv()? {
            None => Err(Error::needs(by, Need::ClvModel)),
            Some(s) if s.stale => Err(Error::needs(by, Need::FreshClvModel { as_of: s.model.as_of.to_string() })),
            Some(s) => Ok(s.model),
        }
    }

    /// Each customer's lower-median gap between consecutive purchase days up to `as_of`, indexed
    /// by id (`None` without two purchase days): one parallel pass.
    fn median_gaps(&self, as_of: Day) -> Result<Vec<Option<u32>>> {
        let end = as_of.days();
        let snapshot = self.snapshot();
        let shards = snapshot.fold_records(Vec::new, |out: &mut Vec<(u32, Option<u32>)>, id, record| {
            let mut gaps: Vec<u32> = Vec::new();
            let mut last: Option<i32> = None;
            for pair in record.pairs() {
                let (day, amount) = pair.map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))?;
                if day > end {
                    break;
                }
                if amount < 0 || last == Some(day) {
                    continue;
                }
                if let Some(previous) = last {
                    gaps.push(day.abs_diff(previous));
                }
                last = Some(day);
            }
            let median = (!gaps.is_empty()).then(|| {
                let k = (gaps.len() - 1) / 2;
                *gaps.select_nth_unstable(k).1
            });
            out.push((id, median));
            Ok(())
        })?;
        let mut medians = vec![None; snapshot.customer_count() as usize];
        for (id, m) in shards.into_iter().flatten() {
            if let Some(slot) = medians.get_mut(id as usize) {
                *slot = m;
            }
        }
        Ok(medians)
    }
}
