//! RFM values and quantile scores: exact cut points from a parallel sort, one rule for ties, and
//! per-customer scores computed in parallel from the cut points.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rayon::prelude::*;
use serde::Serialize;

use crate::day::Day;
use crate::error::{Error, Result};
use crate::summary::{CustomerId, Summaries, Summary, SummarySource};

/// What the M of RFM measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Monetary {
    /// Purchases minus returns, minor units (the default).
    #[default]
    Total,
    /// Net spend per purchase order, minor units rounded half away from zero.
    AverageOrder,
    /// Nothing: the store holds purchase counts only (an event log without amounts). M scores 0,
    /// the cell shows `-` for it and FM is F. Chosen by [`Rfm::compute`] for such a store,
    /// whatever was asked.
    None,
}

/// How to score: the number of bins per dimension and the monetary measure.
///
/// ```
/// use retention::rfm::{Monetary, RfmOptions};
/// let options = RfmOptions::default().bins(4).monetary(Monetary::AverageOrder);
/// assert_eq!((options.bins, options.monetary), (4, Monetary::AverageOrder));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RfmOptions {
    /// Scores run 1..=`bins`; 3, 4, 5 (default) or 10.
    pub bins: u8,
    /// What M measures.
    pub monetary: Monetary,
}

impl Default for RfmOptions {
    fn default() -> Self {
        RfmOptions { bins: 5, monetary: Monetary::Total }
    }
}

impl RfmOptions {
    /// Checks the options before any work: an [`Error::InvalidArgument`] names the field.
    pub fn validate(&self) -> Result<()> {
        if ![3, 4, 5, 10].contains(&self.bins) {
            return Err(Error::invalid("RfmOptions::bins", self.bins.to_string(), "expected 3, 4, 5 or 10"));
        }
        Ok(())
    }
}

crate::options::setters! {
    RfmOptions {
        /// Sets the number of bins per dimension (3, 4, 5 or 10).
        bins: u8,
        /// Sets what M measures.
        monetary: Monetary,
    }
}

/// Where one dimension's scores change: a value scores `1 + ` the number of cuts strictly below it,
/// so equal values always share a score and a larger value never scores lower.
///
/// Quantile cuts put cut `s` (for scores `s + 1 ..`) at the `⌈s·N/n⌉`-th smallest value: a value
/// then scores `1 + ⌊n·L/N⌋`, where `L` counts the customers with a strictly smaller value. A group
/// of tied values thus takes the score of its first member, and bins are unequal when ties straddle
/// a boundary: if 40% of customers bought once, all of them score F = 1 and no one scores F = 2.
///
/// ```
/// use retention::rfm::Cuts;
/// let cuts = Cuts::quantiles(&mut vec![1, 1, 1, 1, 2, 3, 4, 5, 6, 7], 5);
/// let scores: Vec<u8> = [1, 2, 3, 4, 5, 6, 7].iter().map(|&v| cuts.score(v)).collect();
/// assert_eq!(scores, [1, 3, 3, 4, 4, 5, 5]); // four tied 1s take bins 1 and 2; 2 starts at L = 4
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cuts(Vec<i64>);

impl Cuts {
    /// Quantile cuts for `bins` scores over `values` (sorted in place, in parallel).
    pub fn quantiles(values: &mut [i64], bins: u8) -> Cuts {
        values.par_sort_unstable();
        let n = values.len();
        if n == 0 {
            return Cuts(Vec::new());
        }
        let bins = usize::from(bins.max(1));
        Cuts((1..bins).map(|s| values[(s * n).div_ceil(bins) - 1]).collect())
    }

    /// The same cuts as [`Cuts::quantiles`], from counts per distinct value in ascending order
    /// instead of the values: partitions of the data can be counted apart and their counts merged
    /// (days, order counts and minor units are integers, so the counts are exact).
    ///
    /// ```
    /// use retention::rfm::Cuts;
    /// let from_values = Cuts::quantiles(&mut vec![1, 1, 1, 1, 2, 3, 4, 5, 6, 7], 5);
    /// let counts = [(1, 4), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)];
    /// assert_eq!(Cuts::quantiles_of_counts(&counts, 5), from_values);
    /// ```
    pub fn quantiles_of_counts(counts: &[(i64, u64)], bins: u8) -> Cuts {
        let n: u64 = counts.iter().map(|c| c.1).sum();
        if n == 0 {
            return Cuts(Vec::new());
        }
        let bins = u64::from(bins.max(1));
        let (mut at, mut below) = (0usize, 0u64);
        let mut cuts = Vec::with_capacity(bins as usize - 1);
        for s in 1..bins {
            // The value of 1-based rank ⌈s·N/n⌉.
            let rank = (s * n).div_ceil(bins);
            while below + counts[at].1 < rank {
                below += counts[at].1;
                at += 1;
            }
            cuts.push(counts[at].0);
        }
        Cuts(cuts)
    }

    /// Fixed cuts, ascending: `[10, 20]` scores values up to 10 as 1, up to 20 as 2, above as 3.
    pub fn fixed(cuts: Vec<i64>) -> Result<Cuts> {
        if cuts.windows(2).any(|w| w[0] >= w[1]) {
            let shown = cuts.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            return Err(Error::invalid("Cuts::fixed(cuts)", shown, "thresholds must be strictly ascending"));
        }
        Ok(Cuts(cuts))
    }

    /// The score of `value`: 1 + the number of cuts strictly below it.
    #[inline]
    pub fn score(&self, value: i64) -> u8 {
        1 + self.0.partition_point(|&c| c < value) as u8
    }

    /// The cut values, ascending.
    pub fn values(&self) -> &[i64] {
        &self.0
    }
}

/// One customer's RFM values and scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RfmScore {
    /// The customer.
    pub customer: CustomerId,
    /// Days from the last purchase to the as-of day.
    pub recency: u32,
    /// Purchase orders.
    pub frequency: u32,
    /// Net spend, or net spend per order (see [`Monetary`]), minor units.
    pub monetary: i64,
    /// Net spend (purchases minus returns), minor units, whatever M measures.
    pub spend: i64,
    /// Day of the first purchase.
    pub first_purchase: Day,
    /// Recency score: recent customers score high.
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score; 0 when there are no amounts ([`Monetary::None`]).
    pub m: u8,
}

impl RfmScore {
    /// The RFM cell, such as `"545"` (with 10 bins a score of 10 is written `X`; without amounts
    /// M is written `-`: `"54-"`).
    pub fn cell(&self) -> String {
        [self.r, self.f, self.m]
            .iter()
            .map(|&s| match s {
                0 => '-',
                10 => 'X',
                s => char::from(b'0' + s),
            })
            .collect()
    }

    /// The FM score: the mean of F and M, rounded down, so a high FM needs both to be high; F
    /// when there are no amounts.
    pub fn fm(&self) -> u8 {
        if self.m == 0 { self.f } else { (self.f + self.m) / 2 }
    }

    /// The total score R + F + M.
    pub fn total(&self) -> u8 {
        self.r + self.f + self.m
    }
}

/// RFM scores of every customer with a purchase, as of a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Rfm {
    /// The day recency is measured to.
    pub as_of: Day,
    /// Scores run 1..=`bins`.
    pub bins: u8,
    /// What M measures.
    pub monetary: Monetary,
    /// Cuts on *negated* recency (so that recent scores high), on frequency and on monetary.
    pub cuts: [Cuts; 3],
    /// One entry per customer, in the order of the summaries (by customer id).
    pub scores: Vec<RfmScore>,
    /// The store data version of the summaries scored (see [`Summaries::data_version`]).
    pub data_version: u64,
}

impl Rfm {
    /// Scores `summaries` by quantiles of their own distribution.
    ///
    /// ```
    /// use retention::rfm::{Rfm, RfmOptions};
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// let csv = "customer_id,order_id,timestamp,amount\n\
    ///            a,1,2024-01-01,10\na,2,2024-03-01,30\nb,3,2024-02-01,5\nc,4,2024-03-01,80\n";
    /// store.ingest(csv.as_bytes(), &Default::default())?;
    /// let rfm = Rfm::compute(&store.summaries(None)?, &RfmOptions::default().bins(3))?;
    /// let cells: Vec<String> = rfm.scores.iter().map(|s| s.cell()).collect();
    /// // a and c bought on the as-of day, but one customer (b) is less recent than them, so with
    /// // L = 1 of N = 3 they score R = 1 + ⌊3·1/3⌋ = 2: ties take their group's first score.
    /// assert_eq!(cells, ["232", "111", "213"]);
    /// # Ok(()) }
    /// ```
    pub fn compute(summaries: &Summaries, options: &RfmOptions) -> Result<Rfm> {
        Rfm::compute_with(summaries, options, [None, None, None])
    }

    /// Like [`Rfm::compute`], but a dimension with fixed cuts (for example thresholds from a rules
    /// file) uses them instead of quantiles. Fixed cuts must give `options.bins` scores (one cut
    /// fewer). Recency cuts are on negated days: `Cuts::fixed(vec![-366, -181, -91, -31])` scores
    /// up to 30 days as 5 and 31–90 days as 4.
    pub fn compute_with(summaries: &Summaries, options: &RfmOptions, fixed: [Option<Cuts>; 3]) -> Result<Rfm> {
        check_fixed(options, &fixed)?;
        let options =
            &RfmOptions { monetary: if summaries.counts_only { Monetary::None } else { options.monetary }, ..*options };
        let as_of = summaries.as_of;
        let values: Vec<(u32, u32, i64)> =
            summaries.customers.par_iter().map(|s| raw_values(s, as_of, options.monetary)).collect();
        let cuts_for = |dimension: usize, f: fn(&(u32, u32, i64)) -> i64| -> Cuts {
            match &fixed[dimension] {
                Some(cuts) => cuts.clone(),
                None => Cuts::quantiles(&mut values.par_iter().map(f).collect::<Vec<_>>(), options.bins),
            }
        };
        let (r, (f, m)) = rayon::join(
            || cuts_for(0, |v| -i64::from(v.0)),
            || rayon::join(|| cuts_for(1, |v| i64::from(v.1)), || cuts_for(2, |v| v.2)),
        );
        Ok(Rfm::with_cuts(summaries, options, [r, f, m], &values))
    }

    /// Scores any [`SummarySource`], and returns each customer's external id in score order
    /// when the source carries ids (summary files; a store's in-memory [`Summaries`] number
    /// customers by id instead, and give none). A source in memory is scored by
    /// [`compute_with`](Self::compute_with); any other in two streaming passes, each over the
    /// source's parts in parallel: the first counts each dimension's values per part and merges
    /// the counts (days, order counts and minor units are integers, so merged counts give the
    /// same quantile cuts as sorting every value: [`Cuts::quantiles_of_counts`]), the second
    /// scores. Memory is the distinct values, not the customers.
    ///
    /// ```
    /// use retention::rfm::{Rfm, RfmOptions};
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// store.ingest("customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\nb,2,2024-02-01,5\n".as_bytes(), &Default::default())?;
    /// let summaries = store.summaries(None)?;
    /// let (rfm, ids) = Rfm::from_source(&summaries, &RfmOptions::default(), [None, None, None])?;
    /// assert_eq!((rfm.scores, ids.len()), (Rfm::compute(&summaries, &RfmOptions::default())?.scores, 0));
    /// # Ok(()) }
    /// ```
    pub fn from_source<S: SummarySource>(
        source: &S,
        options: &RfmOptions,
        fixed: [Option<Cuts>; 3],
    ) -> Result<(Rfm, Vec<String>)> {
        if let Some(summaries) = source.in_memory() {
            return Ok((Rfm::compute_with(summaries, options, fixed)?, Vec::new()));
        }
        check_fixed(options, &fixed)?;
        let options =
            &RfmOptions { monetary: if source.counts_only() { Monetary::None } else { options.monetary }, ..*options };
        type Counts = [HashMap<i64, u64, BuildHasherDefault<ahash::AHasher>>; 3];
        let (parts, as_of) = source.fold_parts(Counts::default, |counts, row| {
            let (r, f, m) = raw_values(row.summary, row.as_of, options.monetary);
            for (counts, v) in counts.iter_mut().zip([-i64::from(r), i64::from(f), m]) {
                *counts.entry(v).or_insert(0) += 1;
            }
            Ok(())
        })?;
        let Some(as_of) = as_of else {
            return Err(Error::invalid("Rfm::from_source(source)", "no customers", "there is nothing to score"));
        };
        let mut merged = Counts::default();
        for part in parts {
            for (into, from) in merged.iter_mut().zip(part) {
                for (v, n) in from {
                    *into.entry(v).or_insert(0) += n;
                }
            }
        }
        let mut cut = |d: usize| match &fixed[d] {
            Some(c) => c.clone(),
            None => {
                let mut counts: Vec<(i64, u64)> = std::mem::take(&mut merged[d]).into_iter().collect();
                counts.sort_unstable();
                Cuts::quantiles_of_counts(&counts, options.bins)
            }
        };
        let cuts = [cut(0), cut(1), cut(2)];
        let (parts, _) = source.fold_parts(
            || (Vec::new(), Vec::new()),
            |(ids, scores): &mut (Vec<String>, Vec<RfmScore>), row| {
                let mut score = score_of(row.summary, raw_values(row.summary, row.as_of, options.monetary), &cuts);
                if options.monetary == Monetary::None {
                    score.m = 0;
                }
                ids.push(row.id.to_string());
                scores.push(score);
                Ok(())
            },
        )?;
        let (mut all_ids, mut all_scores) = (Vec::new(), Vec::new());
        for (ids, scores) in parts {
            for mut score in scores {
                // Customers are numbered by their position in the source.
                score.customer = CustomerId(all_scores.len() as u32);
                all_scores.push(score);
            }
            all_ids.extend(ids);
        }
        let rfm = Rfm {
            as_of,
            bins: options.bins,
            monetary: options.monetary,
            cuts,
            scores: all_scores,
            data_version: source.data_version(),
        };
        Ok((rfm, all_ids))
    }

    fn with_cuts(summaries: &Summaries, options: &RfmOptions, cuts: [Cuts; 3], values: &[(u32, u32, i64)]) -> Rfm {
        let scores = summaries
            .customers
            .par_iter()
            .zip(values.par_iter())
            .map(|(s, &values)| {
                let mut score = score_of(s, values, &cuts);
                if options.monetary == Monetary::None {
                    score.m = 0;
                }
                score
            })
            .collect();
        Rfm {
            as_of: summaries.as_of,
            bins: options.bins,
            monetary: options.monetary,
            cuts,
            scores,
            data_version: summaries.data_version,
        }
    }
}

/// Checks the options, and that fixed cuts give `options.bins` scores.
pub(crate) fn check_fixed(options: &RfmOptions, fixed: &[Option<Cuts>; 3]) -> Result<()> {
    options.validate()?;
    for cuts in fixed.iter().flatten() {
        if cuts.values().len() + 1 != usize::from(options.bins) {
            let shown = cuts.values().iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            return Err(Error::invalid(
                "Rfm::compute_with(fixed)",
                shown,
                format!("{} scores need {} thresholds", options.bins, options.bins - 1),
            ));
        }
    }
    Ok(())
}

/// One customer's score from their values and the cuts.
pub(crate) fn score_of(s: &Summary, (recency, frequency, monetary): (u32, u32, i64), cuts: &[Cuts; 3]) -> RfmScore {
    RfmScore {
        customer: s.customer,
        recency,
        frequency,
        monetary,
        spend: s.net_spend(),
        first_purchase: s.first_purchase,
        r: cuts[0].score(-i64::from(recency)),
        f: cuts[1].score(i64::from(frequency)),
        m: cuts[2].score(monetary),
    }
}

/// (recency, frequency, monetary) of one customer.
pub(crate) fn raw_values(s: &Summary, as_of: Day, monetary: Monetary) -> (u32, u32, i64) {
    let net = s.net_spend();
    let m = match monetary {
        Monetary::Total => net,
        Monetary::AverageOrder => div_round(net, i64::from(s.orders.max(1))),
        Monetary::None => 0,
    };
    (s.recency(as_of), s.orders, m)
}

/// `a / b` rounded half away from zero, for `b > 0`.
fn div_round(a: i64, b: i64) -> i64 {
    let (q, r) = (a / b, a % b);
    if 2 * r.abs() >= b { q + a.signum() } else { q }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cuts_from_counts_equal_cuts_from_values(values in proptest::collection::vec(-20i64..20, 0..300), bins in prop::sample::select(vec![3u8, 4, 5, 10])) {
            let mut counts: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
            for &v in &values {
                *counts.entry(v).or_insert(0) += 1;
            }
            let counts: Vec<(i64, u64)> = counts.into_iter().collect();
            prop_assert_eq!(Cuts::quantiles_of_counts(&counts, bins), Cuts::quantiles(&mut values.clone(), bins));
        }
    }

    #[test]
    fn quantile_cuts_split_distinct_values_evenly() {
        let mut v: Vec<i64> = (1..=10).collect();
        let cuts = Cuts::quantiles(&mut v, 5);
        assert_eq!(cuts.values(), [2, 4, 6, 8]);
        let scores: Vec<u8> = (1..=10).map(|x| cuts.score(x)).collect();
        assert_eq!(scores, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn a_tie_group_takes_the_score_of_its_first_member() {
        // Six of ten customers bought once: L = 0 for all of them, so all score 1; 2 has L = 6.
        let values = vec![1, 1, 1, 1, 1, 1, 2, 2, 3, 9];
        let cuts = Cuts::quantiles(&mut values.clone(), 5);
        assert_eq!([1, 2, 3, 9].map(|x| cuts.score(x)), [1, 4, 5, 5]);
        // The rule itself, 1 + floor(5 * L / 10) with L the customers strictly below (0, 6, 8, 9).
        for x in [1, 2, 3, 9] {
            let below = values.iter().filter(|&&y| y < x).count();
            assert_eq!(usize::from(cuts.score(x)), 1 + 5 * below / values.len(), "value {x}");
        }
    }

    #[test]
    fn empty_and_single_inputs() {
        let cuts = Cuts::quantiles(&mut [], 5);
        assert_eq!(cuts.score(42), 1);
        let cuts = Cuts::quantiles(&mut [7], 5);
        // Values outside the data clamp to the score range.
        assert_eq!((cuts.score(7), cuts.score(8)), (1, 5));
    }

    #[test]
    fn fixed_cuts_must_ascend() {
        assert_eq!(Cuts::fixed(vec![10, 10]).unwrap_err().parameter(), Some("Cuts::fixed(cuts)"));
        assert_eq!(Cuts::fixed(vec![10, 20]).unwrap().score(20), 2);
    }

    #[test]
    fn average_order_rounds_half_away_from_zero() {
        assert_eq!([div_round(5, 2), div_round(-5, 2), div_round(4, 3), div_round(-4, 3)], [3, -3, 1, -1]);
    }

    #[test]
    fn cell_fm_and_total() {
        let s = RfmScore {
            customer: CustomerId(0),
            recency: 0,
            frequency: 0,
            monetary: 0,
            spend: 0,
            first_purchase: Day::from_days(0),
            r: 5,
            f: 4,
            m: 5,
        };
        assert_eq!((s.cell().as_str(), s.fm(), s.total()), ("545", 4, 14));
        let s = RfmScore { r: 10, f: 1, m: 2, ..s };
        assert_eq!((s.cell().as_str(), s.fm()), ("X12", 1));
    }

    proptest! {
        /// Scores are monotone in the value, ties share a score, and every bin's share is at most
        /// what the rule allows.
        #[test]
        fn scores_are_monotone_and_ties_share(mut values in proptest::collection::vec(-50i64..50, 1..300),
                                             bins in prop_oneof![Just(3u8), Just(4), Just(5), Just(10)]) {
            let original = values.clone();
            let cuts = Cuts::quantiles(&mut values, bins);
            let n = original.len();
            for &a in &original {
                let lower = original.iter().filter(|&&x| x < a).count();
                // The documented rule, computed the slow way.
                prop_assert_eq!(usize::from(cuts.score(a)), 1 + usize::from(bins) * lower / n);
                for &b in &original {
                    if a <= b {
                        prop_assert!(cuts.score(a) <= cuts.score(b));
                    }
                }
            }
        }
    }
}
