//! Cross-sell: for each customer, the categories they have never bought that customers like them
//! buy, ranked by the lift of the best rule "bought A → buys B" over the categories they have bought
//! (net spend positive). A category they bought and returned is not offered again.
//! Rules come from a store-wide [`Affinity`]; one more parallel pass applies them.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::metrics::{Affinity, bought_categories, spend_of};
use crate::store::Store;
use crate::summary::CustomerId;

/// Which rules may make an offer, and how many offers each customer gets.
///
/// ```
/// use retention::actions::CrossSellOptions;
/// let options = CrossSellOptions::default().top(5).min_customers(50).min_lift(1.2);
/// assert_eq!((options.top, options.min_customers, options.min_confidence), (5, 50, 0.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct CrossSellOptions {
    /// Offers per customer (default 3).
    pub top: usize,
    /// A rule needs at least this many customers who bought both categories (default 20): lifts
    /// from a handful of customers are noise.
    pub min_customers: u64,
    /// A rule needs lift above this (default 1: buying A makes B likelier).
    pub min_lift: f64,
    /// A rule needs P(B | A) at least this (default 0).
    pub min_confidence: f64,
}

impl Default for CrossSellOptions {
    fn default() -> Self {
        CrossSellOptions { top: 3, min_customers: 20, min_lift: 1.0, min_confidence: 0.0 }
    }
}

crate::options::setters! {
    CrossSellOptions {
        /// Sets the offers per customer.
        top: usize,
        /// Sets the customers who bought both categories a rule needs.
        min_customers: u64,
        /// Sets the lift a rule needs to exceed.
        min_lift: f64,
        /// Sets the least P(B | A) a rule needs.
        min_confidence: f64,
    }
}

/// One offer: a category for a customer, and the rule behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CrossSell {
    /// The customer.
    pub customer: CustomerId,
    /// 1 for the best offer.
    pub rank: u32,
    /// The category offered (not yet bought).
    pub category: u32,
    /// The bought category whose rule gives the highest lift.
    pub because: u32,
    /// Lift of `because → category`.
    pub lift: f64,
    /// P(category | because).
    pub confidence: f64,
    /// Customers who bought both.
    pub customers_both: u64,
}

/// A rule "bought A → buys B" as kept per A.
#[derive(Clone, Copy)]
struct Rule {
    then: u32,
    lift: f64,
    confidence: f64,
    both: u64,
}

/// One shard's offers and the buffers it reuses per customer.
#[derive(Default)]
struct Shard {
    out: Vec<CrossSell>,
    scratch: Vec<(i32, i64)>,
    spend: Vec<crate::store::codec::record::CategorySpend>,
    have: Vec<u32>,
    ever: Vec<u32>,
    offers: Vec<CrossSell>,
}

impl Store {
    /// Cross-sell offers for every customer in `members` (all when `None`) under the rules of
    /// `affinity` (computed on the whole store for the best estimates), as of the affinity's day:
    /// up to `options.top` categories per customer, highest lift first, in customer id order.
    pub fn cross_sell(
        &self,
        affinity: &Affinity,
        options: &CrossSellOptions,
        members: Option<&[bool]>,
    ) -> Result<Vec<CrossSell>> {
        if options.top == 0 {
            return Err(Error::invalid("CrossSellOptions::top", "0", "must be at least 1 offer"));
        }
        if !options.min_lift.is_finite() {
            return Err(Error::invalid(
                "CrossSellOptions::min_lift",
                options.min_lift.to_string(),
                "expected a finite lift such as 1.2",
            ));
        }
        if !(0.0..=1.0).contains(&options.min_confidence) {
            return Err(Error::invalid(
                "CrossSellOptions::min_confidence",
                options.min_confidence.to_string(),
                "expected a probability from 0 to 1",
            ));
        }
        let categories = affinity.categories.iter().map(|c| c.category).max().unwrap_or(0) as usize;
        let mut rules: Vec<Vec<Rule>> = vec![Vec::new(); categories + 1];
        for p in affinity.pairs.iter().filter(|p| p.customers >= options.min_customers && p.lift > options.min_lift) {
            for (from, then, confidence) in [(p.a, p.b, p.confidence_ab), (p.b, p.a, p.confidence_ba)] {
                if confidence >= options.min_confidence
                    && let Some(r) = rules.get_mut(from as usize)
                {
                    r.push(Rule { then, lift: p.lift, confidence, both: p.customers });
                }
            }
        }
        let as_of = affinity.as_of;
        let top = options.top;
        let shards = self.snapshot().fold_records(
            Shard::default,
            |Shard { out, scratch, spend, have, ever, offers }, id, record| {
                if members.is_some_and(|m| !m.get(id as usize).copied().unwrap_or(false)) {
                    return Ok(());
                }
                spend_of(&record, as_of, id, scratch, spend)?;
                bought_categories(spend, have, ever);
                offers.clear();
                for &from in have.iter() {
                    for r in rules.get(from as usize).map_or(&[][..], Vec::as_slice) {
                        // Never offer what they bought, even if they returned it since.
                        if ever.binary_search(&r.then).is_err() {
                            offers.push(CrossSell {
                                customer: CustomerId(id),
                                rank: 0,
                                category: r.then,
                                because: from,
                                lift: r.lift,
                                confidence: r.confidence,
                                customers_both: r.both,
                            });
                        }
                    }
                }
                // Best rule per offered category, then the best categories.
                let better = |x: &CrossSell, y: &CrossSell| {
                    y.lift
                        .total_cmp(&x.lift)
                        .then(y.confidence.total_cmp(&x.confidence))
                        .then(x.because.cmp(&y.because))
                };
                offers.sort_by(|x, y| x.category.cmp(&y.category).then(better(x, y)));
                offers.dedup_by_key(|o| o.category);
                offers.sort_by(|x, y| better(x, y).then(x.category.cmp(&y.category)));
                for (rank, mut o) in offers.drain(..).take(top).enumerate() {
                    o.rank = rank as u32 + 1;
                    out.push(o);
                }
                Ok(())
            },
        )?;
        Ok(shards.into_iter().flat_map(|s| s.out).collect())
    }
}
