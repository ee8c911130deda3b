//! Category affinity: each customer's spend by category, and which categories the same customers
//! buy (support, confidence, lift). One parallel pass over the category column; memory grows with
//! the category dictionary (pairs of categories), never with the number of customers.

use std::collections::HashMap;

use serde::Serialize;

use crate::day::Day;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::codec::record::{CategorySpend, RecordView, UNCATEGORIZED};
use crate::summary::CustomerId;

/// Name shown for spend that had no category.
pub const UNCATEGORIZED_NAME: &str = "(uncategorised)";

/// Up to this many categories, pair counts live in a dense triangle (≤ 2 MB per shard); above it,
/// in a map holding only the pairs some customer actually bought together.
const DENSE_CATEGORIES: u32 = 1_024;

/// Distinct category pairs one shard may count before the pass stops with [`Error::Limit`]: about
/// 0.5 GB of map per shard. Only dictionaries of many thousands of categories (SKUs rather than
/// categories) with customers buying hundreds of them come near it.
const MAX_PAIRS: usize = 20_000_000;

/// What a customer has "bought" in a category: net spend in it up to the as-of day is positive, so
/// an order fully returned does not count. Spend without a category never pairs.
fn bought(spend: &[CategorySpend]) -> impl Iterator<Item = u32> + '_ {
    spend.iter().filter(|s| s.category != UNCATEGORIZED && s.net > 0).map(|s| s.category)
}

/// One category's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryFigures {
    /// Category id (0: spend without a category).
    pub category: u32,
    /// Its name.
    pub name: String,
    /// Customers whose net spend in it is positive.
    pub customers: u64,
    /// Net spend in it, minor units.
    pub revenue: i64,
    /// Its share of all net spend.
    pub revenue_share: f64,
}

/// Two categories bought by the same customers (`a < b`). Support is the share of all buying
/// customers who bought both; confidence A→B is the share of A's customers who also bought B; lift
/// is how many times likelier B is among A's customers than among all (symmetric; 1 = independent).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryPair {
    /// The lower category id.
    pub a: u32,
    /// The higher category id.
    pub b: u32,
    /// Customers who bought both.
    pub customers: u64,
    /// `customers` over all customers who bought a category.
    pub support: f64,
    /// P(bought b | bought a).
    pub confidence_ab: f64,
    /// P(bought a | bought b).
    pub confidence_ba: f64,
    /// P(a and b) / (P(a) P(b)).
    pub lift: f64,
}

/// Store-wide category affinity as of a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Affinity {
    /// Orders up to and including this day count.
    pub as_of: Day,
    /// Customers who bought at least one category: the base of support and lift.
    pub customers: u64,
    /// Every category with spend, by id; id 0 (no category) only when some spend had none.
    pub categories: Vec<CategoryFigures>,
    /// Pairs bought together by at least `min_customers` customers, highest lift first.
    pub pairs: Vec<CategoryPair>,
}

impl Affinity {
    /// The name of category `id` (empty if the store has no such category).
    pub fn name(&self, id: u32) -> &str {
        // `categories` is sorted by id.
        self.categories.binary_search_by_key(&id, |c| c.category).map_or("", |i| self.categories[i].name.as_str())
    }
}

/// A customer's spend in one category.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CategoryShare {
    /// Category id (0: spend without a category).
    pub category: u32,
    /// Net spend in it, minor units (positive).
    pub spend: i64,
    /// Its share of the customer's spend over categories with positive net spend.
    pub share: f64,
}

/// One customer's spend by category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerCategories {
    /// The customer.
    pub customer: CustomerId,
    /// Sum of their positive per-category net spend, minor units.
    pub spend: i64,
    /// Categories with positive net spend, largest share first.
    pub categories: Vec<CategoryShare>,
}

/// Counts of customers per pair of categories.
enum PairCounts {
    /// Triangle of `c (c − 1) / 2` counts for ids 1..=c.
    Dense(Vec<u32>),
    Sparse(HashMap<u64, u64>),
}

impl PairCounts {
    fn new(categories: u32) -> Self {
        if categories <= DENSE_CATEGORIES {
            let c = categories as usize;
            PairCounts::Dense(vec![0; c * c.saturating_sub(1) / 2])
        } else {
            PairCounts::Sparse(HashMap::new())
        }
    }

    /// Index of the pair `a < b` (both ≥ 1) in the dense triangle.
    fn slot(a: u32, b: u32) -> usize {
        let (i, j) = (a as usize - 1, b as usize - 1);
        j * (j - 1) / 2 + i
    }

    /// Counts the pair `a < b`; false when a sparse map is full ([`MAX_PAIRS`]).
    fn add(&mut self, a: u32, b: u32) -> bool {
        match self {
            PairCounts::Dense(t) => {
                if let Some(n) = t.get_mut(Self::slot(a, b)) {
                    *n += 1;
                }
            }
            PairCounts::Sparse(m) => {
                let full = m.len() >= MAX_PAIRS;
                match m.get_mut(&((a as u64) << 32 | b as u64)) {
                    Some(n) => *n += 1,
                    None if full => return false,
                    None => {
                        m.insert((a as u64) << 32 | b as u64, 1);
                    }
                }
            }
        }
        true
    }

    /// Every pair with a non-zero count, as (a, b, count).
    fn for_each(&self, categories: u32, mut f: impl FnMut(u32, u32, u64)) {
        match self {
            PairCounts::Dense(t) => {
                for b in 2..=categories {
                    for a in 1..b {
                        let n = t[Self::slot(a, b)];
                        if n > 0 {
                            f(a, b, n as u64);
                        }
                    }
                }
            }
            PairCounts::Sparse(m) => m.iter().for_each(|(&k, &n)| f((k >> 32) as u32, k as u32, n)),
        }
    }
}

/// One shard's tallies.
struct Tally {
    customers: u64,
    /// Per category id 0..=c.
    buyers: Vec<u64>,
    revenue: Vec<i64>,
    /// `None` when only the per-category figures are wanted.
    pairs: Option<PairCounts>,
    scratch: Vec<(i32, i64)>,
    spend: Vec<CategorySpend>,
}

impl Store {
    /// Store-wide category affinity as of `as_of` (default: the latest order day), over `members`
    /// (all customers when `None`): per-category customers and revenue, and every pair bought
    /// together by at least `min_customers` customers with its support, confidence and lift.
    ///
    /// ```
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// let csv = "customer_id,order_id,date,amount,category\n\
    ///            a,1,2024-01-01,10.00,books\na,2,2024-01-02,5.00,music\nb,3,2024-01-01,8.00,books\n";
    /// store.ingest(csv.as_bytes(), &retention::IngestOptions::default())?;
    /// let affinity = store.category_affinity(None, 1, None)?;
    /// assert_eq!(affinity.customers, 2);
    /// let pair = &affinity.pairs[0];
    /// assert_eq!((affinity.name(pair.a), affinity.name(pair.b), pair.customers), ("books", "music", 1));
    /// assert_eq!(pair.confidence_ba, 1.0); // everyone who bought music bought books
    /// # Ok(()) }
    /// ```
    pub fn category_affinity(
        &self,
        as_of: Option<Day>,
        min_customers: u64,
        members: Option<&[bool]>,
    ) -> Result<Affinity> {
        self.affinity_pass(as_of, Some(min_customers), members)
    }

    /// Customers and net revenue per category as of `as_of` (default: the latest order day), by
    /// id: the per-category half of [`Store::category_affinity`], without counting pairs.
    pub fn category_figures(&self, as_of: Option<Day>, members: Option<&[bool]>) -> Result<Vec<CategoryFigures>> {
        Ok(self.affinity_pass(as_of, None, members)?.categories)
    }

    /// One parallel pass; pairs are counted when `min_customers` is set.
    fn affinity_pass(
        &self,
        as_of: Option<Day>,
        min_customers: Option<u64>,
        members: Option<&[bool]>,
    ) -> Result<Affinity> {
        let snapshot = self.snapshot();
        let as_of = snapshot.as_of_or_latest(as_of)?;
        // The dictionary first: it is checked against the metadata before anything is sized by it.
        let names = snapshot.categories()?;
        let c = names.len() as u32;
        let shards = snapshot.fold_records(
            || Tally {
                customers: 0,
                buyers: vec![0; c as usize + 1],
                revenue: vec![0; c as usize + 1],
                pairs: min_customers.map(|_| PairCounts::new(c)),
                scratch: Vec::new(),
                spend: Vec::new(),
            },
            |t, id, record| {
                if members.is_some_and(|m| !m.get(id as usize).copied().unwrap_or(false)) {
                    return Ok(());
                }
                spend_of(&record, as_of, id, &mut t.scratch, &mut t.spend)?;
                let mut any = false;
                for s in &t.spend {
                    let i = s.category as usize;
                    if i >= t.buyers.len() {
                        return Err(Error::corrupt(format!("customer {id}"), "category id beyond the dictionary"));
                    }
                    t.revenue[i] = t.revenue[i].saturating_add(s.net);
                    if s.net > 0 {
                        t.buyers[i] += 1;
                        any |= s.category != UNCATEGORIZED;
                    }
                }
                t.customers += any as u64;
                let Some(pairs) = &mut t.pairs else { return Ok(()) };
                let spend = &t.spend;
                for (n, a) in bought(spend).enumerate() {
                    for b in bought(spend).skip(n + 1) {
                        if !pairs.add(a, b) {
                            return Err(Error::Limit(format!(
                                "more than {MAX_PAIRS} distinct category pairs in one part of the store: \
                                 affinity is meant for categories, not thousands of SKUs; group them first"
                            )));
                        }
                    }
                }
                Ok(())
            },
        )?;
        let mut customers = 0;
        let mut buyers = vec![0u64; c as usize + 1];
        let mut revenue = vec![0i64; c as usize + 1];
        let mut together: HashMap<u64, u64> = HashMap::new();
        for s in shards {
            customers += s.customers;
            for i in 0..buyers.len() {
                buyers[i] += s.buyers[i];
                revenue[i] = revenue[i].saturating_add(s.revenue[i]);
            }
            if let Some(pairs) = &s.pairs {
                pairs.for_each(c, |a, b, n| *together.entry((a as u64) << 32 | b as u64).or_default() += n);
            }
        }
        let total: i64 = revenue.iter().fold(0i64, |s, &r| s.saturating_add(r));
        let categories = (0..=c)
            .filter(|&i| i != UNCATEGORIZED || buyers[0] > 0 || revenue[0] != 0)
            .map(|i| CategoryFigures {
                category: i,
                name: if i == UNCATEGORIZED {
                    UNCATEGORIZED_NAME.to_string()
                } else {
                    names.get(i as usize - 1).cloned().unwrap_or_default()
                },
                customers: buyers[i as usize],
                revenue: revenue[i as usize],
                revenue_share: if total > 0 { revenue[i as usize] as f64 / total as f64 } else { 0.0 },
            })
            .collect();
        let n = customers as f64;
        let min_customers = min_customers.unwrap_or(u64::MAX).max(1);
        let mut pairs: Vec<CategoryPair> = together
            .into_iter()
            .filter(|&(_, both)| both >= min_customers)
            .map(|(key, both)| {
                let (a, b) = ((key >> 32) as u32, key as u32);
                let (na, nb, both_f) = (buyers[a as usize] as f64, buyers[b as usize] as f64, both as f64);
                CategoryPair {
                    a,
                    b,
                    customers: both,
                    support: both_f / n,
                    confidence_ab: both_f / na,
                    confidence_ba: both_f / nb,
                    lift: both_f * n / (na * nb),
                }
            })
            .collect();
        pairs.sort_by(|x, y| {
            y.lift.total_cmp(&x.lift).then(y.customers.cmp(&x.customers)).then((x.a, x.b).cmp(&(y.a, y.b)))
        });
        Ok(Affinity { as_of, customers, categories, pairs })
    }

    /// Each customer's spend by category as of `as_of` (default: the latest order day), in id
    /// order; customers without positive spend are left out.
    pub fn category_shares(&self, as_of: Option<Day>, members: Option<&[bool]>) -> Result<Vec<CustomerCategories>> {
        let snapshot = self.snapshot();
        let as_of = snapshot.as_of_or_latest(as_of)?;
        let shards = snapshot.fold_records(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(out, scratch, spend): &mut (Vec<CustomerCategories>, _, _), id, record| {
                if members.is_some_and(|m| !m.get(id as usize).copied().unwrap_or(false)) {
                    return Ok(());
                }
                spend_of(&record, as_of, id, scratch, spend)?;
                let total = spend.iter().filter(|l| l.net > 0).fold(0i64, |s, l| s.saturating_add(l.net));
                if total > 0 {
                    let mut categories: Vec<CategoryShare> = spend
                        .iter()
                        .filter(|l| l.net > 0)
                        .map(|l| CategoryShare {
                            category: l.category,
                            spend: l.net,
                            share: l.net as f64 / total as f64,
                        })
                        .collect();
                    categories.sort_by(|x, y| y.spend.cmp(&x.spend).then(x.category.cmp(&y.category)));
                    out.push(CustomerCategories { customer: CustomerId(id), spend: total, categories });
                }
                Ok(())
            },
        )?;
        Ok(shards.into_iter().flat_map(|s| s.0).collect())
    }
}

/// Streams one record's category column into `spend`, naming the customer on corruption.
pub(crate) fn spend_of(
    record: &RecordView<'_>,
    as_of: Day,
    id: u32,
    scratch: &mut Vec<(i32, i64)>,
    spend: &mut Vec<CategorySpend>,
) -> Result<()> {
    record
        .category_spend(as_of.days(), scratch, spend)
        .map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))
}

/// The categories a customer bought (positive net spend, named), ascending, into `bought_now`; and
/// every category they ever had a purchase line in, returned or not, into `ever`.
pub(crate) fn bought_categories(spend: &[CategorySpend], bought_now: &mut Vec<u32>, ever: &mut Vec<u32>) {
    bought_now.clear();
    bought_now.extend(bought(spend));
    ever.clear();
    ever.extend(spend.iter().filter(|s| s.bought > 0).map(|s| s.category));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dictionaries past the dense limit count in a map; both must give the same pairs.
    #[test]
    fn dense_and_sparse_pair_counts_agree() {
        let baskets: [&[u32]; 4] = [&[1, 2, 3], &[2, 3], &[1, 5], &[3, 5]];
        let count = |mut counts: PairCounts| {
            for basket in baskets {
                for (i, &a) in basket.iter().enumerate() {
                    for &b in &basket[i + 1..] {
                        counts.add(a, b);
                    }
                }
            }
            let mut got = Vec::new();
            counts.for_each(5, |a, b, n| got.push((a, b, n)));
            got.sort_unstable();
            got
        };
        let dense = count(PairCounts::new(5));
        assert!(matches!(PairCounts::new(5), PairCounts::Dense(_)));
        assert!(matches!(PairCounts::new(DENSE_CATEGORIES + 1), PairCounts::Sparse(_)));
        assert_eq!(dense, [(1, 2, 1), (1, 3, 1), (1, 5, 1), (2, 3, 2), (3, 5, 1)]);
        assert_eq!(count(PairCounts::Sparse(HashMap::new())), dense);
    }
}
