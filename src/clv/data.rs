//! What the models are fitted on: customers grouped into cells of identical (x, t_x, T) in whole
//! days, with the time unit that turns days into model time, and the repeat-spend observations of
//! the Gamma-Gamma model.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::day::Day;
use crate::error::{Error, NextStep, Result};
use crate::money::Currency;
use crate::summary::{Summaries, Summary, SummarySource};

/// The unit model time is measured in. Parameters such as α and β are per unit, so a fit in weeks
/// compares with the literature (Fader, Hardie & Lee use weeks) and a fit in days with a shop's
/// calendar. Horizons are always given in days, so no month length is ever assumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TimeUnit {
    /// One unit is a day.
    Days,
    /// One unit is seven days (the unit of the CDNOW papers).
    #[default]
    Weeks,
}

impl TimeUnit {
    /// Days in one unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }

    /// The unit's name (`days`, `weeks`).
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
        }
    }

    /// Parses `days`/`d` or `weeks`/`w`.
    pub fn parse(text: &str) -> Result<TimeUnit> {
        match text {
            "days" | "day" | "d" => Ok(TimeUnit::Days),
            "weeks" | "week" | "w" => Ok(TimeUnit::Weeks),
            _ => Err(Error::invalid("TimeUnit", text, "expected days or weeks")),
        }
    }
}

/// Customers sharing one (x, t_x, T): the likelihood of the cell is `count` times a customer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    /// Repeat purchases.
    pub x: u32,
    /// Days from the first to the last purchase.
    pub t_x: u32,
    /// Days from the first purchase to the end of the observation window (`T`).
    pub age: u32,
    /// Customers in the cell.
    pub count: u32,
}

/// The purchase-count data a BTYD model is fitted on.
#[derive(Clone, Debug)]
pub struct CountData {
    cells: Vec<Cell>,
    unit: TimeUnit,
    customers: u64,
    repeaters: u64,
    max_x: u32,
    max_age: u32,
}

impl CountData {
    /// Groups (x, t_x, T) triples in days. Rejects t_x > T, which no model can explain (CLVTools#100:
    /// a rounded t_x just above T made P(alive) NaN there).
    ///
    /// ```
    /// use retention::clv::{CountData, TimeUnit};
    /// # fn main() -> retention::Result<()> {
    /// let data = CountData::from_days([(0, 0, 30), (2, 10, 30), (0, 0, 30)], TimeUnit::Days)?;
    /// assert_eq!((data.customers(), data.cells().len(), data.repeaters()), (3, 2, 1));
    /// # Ok(()) }
    /// ```
    pub fn from_days(triples: impl IntoIterator<Item = (u32, u32, u32)>, unit: TimeUnit) -> Result<CountData> {
        let mut keys: Vec<(u32, u32, u32)> = Vec::new();
        for (i, (x, t_x, age)) in triples.into_iter().enumerate() {
            if t_x > age {
                return Err(Error::invalid(
                    "CountData::from_days(triples)",
                    format!("#{} (x {x}, t_x {t_x}, T {age})", i + 1),
                    "the last purchase (t_x) is after the end of the window (T)",
                ));
            }
            if x == 0 && t_x != 0 {
                return Err(Error::invalid(
                    "CountData::from_days(triples)",
                    format!("#{} (x 0, t_x {t_x}, T {age})", i + 1),
                    "a customer without repeat purchases must have t_x = 0",
                ));
            }
            if x > t_x {
                // x counts distinct purchase days after the first, so they fit in t_x days: data
                // breaking this were not summarised by these rules (and with t_x = 0 their purchase
                // rate is infinite, so the likelihood has no maximum).
                return Err(Error::invalid(
                    "CountData::from_days(triples)",
                    format!("#{} (x {x}, t_x {t_x}, T {age})", i + 1),
                    "x repeat purchase days cannot fit in t_x days (x counts distinct days after the first purchase)",
                ));
            }
            keys.push((x, t_x, age));
        }
        Ok(Self::group(keys, unit))
    }

    /// From counts of customers per (x, t_x, T) in days, as a streaming reader gathers them (a
    /// key may come more than once: its counts add up); the same checks as
    /// [`CountData::from_days`].
    pub fn from_cells(counts: impl IntoIterator<Item = ((u32, u32, u32), u64)>, unit: TimeUnit) -> Result<CountData> {
        let mut keys: Vec<((u32, u32, u32), u64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
        for &((x, t_x, age), _) in &keys {
            if t_x > age || (x == 0 && t_x != 0) || x > t_x {
                return Err(Error::invalid(
                    "CountData::from_cells(counts)",
                    format!("x {x}, t_x {t_x}, T {age}"),
                    "t_x must be at most T, at least x (x counts distinct days), and 0 without repeat purchases",
                ));
            }
        }
        keys.par_sort_unstable();
        // Counts of one key from different sources arrive as neighbours: add them up.
        keys.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.1 += later.1;
            }
            same
        });
        let mut cells = Vec::with_capacity(keys.len());
        for ((x, t_x, age), mut n) in keys {
            // A cell counts at most u32::MAX customers; more go into a second cell of the same key.
            while n > 0 {
                let count = n.min(u32::MAX as u64) as u32;
                cells.push(Cell { x, t_x, age, count });
                n -= count as u64;
            }
        }
        Ok(Self::from_sorted_cells(cells, unit))
    }

    /// The data of every customer in `summaries`, as of their day, in `unit`.
    pub fn from_summaries(summaries: &Summaries, unit: TimeUnit) -> CountData {
        let as_of = summaries.as_of;
        let keys = summaries.customers.par_iter().map(|s| (s.x(), s.t_x(), s.age(as_of))).collect();
        Self::group(keys, unit)
    }

    fn group(mut keys: Vec<(u32, u32, u32)>, unit: TimeUnit) -> CountData {
        keys.par_sort_unstable();
        let mut cells: Vec<Cell> = Vec::new();
        for (x, t_x, age) in keys {
            match cells.last_mut() {
                Some(c) if (c.x, c.t_x, c.age) == (x, t_x, age) && c.count < u32::MAX => c.count += 1,
                _ => cells.push(Cell { x, t_x, age, count: 1 }),
            }
        }
        Self::from_sorted_cells(cells, unit)
    }

    fn from_sorted_cells(cells: Vec<Cell>, unit: TimeUnit) -> CountData {
        let customers = cells.iter().map(|c| c.count as u64).sum();
        let repeaters = cells.iter().filter(|c| c.x > 0).map(|c| c.count as u64).sum();
        let max_x = cells.last().map_or(0, |c| c.x);
        let max_age = cells.iter().map(|c| c.age).max().unwrap_or(0);
        CountData { cells, unit, customers, repeaters, max_x, max_age }
    }

    /// The cells, sorted by (x, t_x, T).
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The time unit of the model.
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }

    /// Customers in the data.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Customers with at least one repeat purchase.
    pub fn repeaters(&self) -> u64 {
        self.repeaters
    }

    /// The largest x.
    pub fn max_x(&self) -> u32 {
        self.max_x
    }

    /// The largest T in days.
    pub fn max_age(&self) -> u32 {
        self.max_age
    }

    /// A systematic sample of every `k`-th customer in (x, t_x, T) order, so the sample keeps the
    /// data's mix of frequencies and ages; used to try fit starts cheaply.
    pub(crate) fn thinned(&self, k: usize) -> CountData {
        let k = k.max(1) as u64;
        let (mut seen, mut keys) = (0u64, Vec::new());
        for c in &self.cells {
            let taken = (seen + c.count as u64).div_ceil(k) - seen.div_ceil(k);
            keys.extend(std::iter::repeat_n((c.x, c.t_x, c.age), taken as usize));
            seen += c.count as u64;
        }
        Self::group(keys, self.unit)
    }

    /// Customers with each x, indexed by x (length `max_x + 1`).
    pub(crate) fn x_histogram(&self) -> Vec<u64> {
        let mut h = vec![0u64; self.max_x as usize + 1];
        for c in &self.cells {
            h[c.x as usize] += c.count as u64;
        }
        h
    }

    /// A rough purchase rate per unit (repeat purchases over observed time), used to place starts.
    pub(crate) fn rate(&self) -> f64 {
        let (mut x, mut t) = (0.0, 0.0);
        for c in &self.cells {
            x += c.x as f64 * c.count as f64;
            t += c.age as f64 * c.count as f64;
        }
        (x.max(1.0)) / (t / self.unit.days()).max(1.0)
    }

    /// Refuses data that carry no information for a purchase-and-dropout model, saying which and
    /// what to do (no customers, nobody with a repeat purchase, no time observed, fewer customers
    /// than parameters). Anything else is fitted: thin or degenerate data give warnings or a
    /// boundary finding, never a refusal (lifetimes#271 accepted such data silently as a fit).
    pub(crate) fn check_identifiable(&self, model: &str) -> Result<()> {
        let fail = |reason: String, next: Vec<NextStep>| Err(Error::Fit { model: model.into(), reason, next });
        if self.customers == 0 {
            return fail("there are no customers in the calibration period".into(), vec![NextStep::LaterAsOf]);
        }
        if self.cells.iter().all(|c| c.age == 0) {
            return fail(
                "every customer's first purchase is on the as-of day (T = 0): no time was observed".into(),
                vec![NextStep::LaterAsOf],
            );
        }
        if self.repeaters == 0 {
            return fail(
                format!(
                    "none of the {} customers made a repeat purchase, so there is nothing to estimate purchase rates from",
                    self.customers
                ),
                vec![NextStep::LaterAsOf],
            );
        }
        if self.customers < 4 {
            return fail(
                format!("{} customers cannot determine the model's four parameters", self.customers),
                vec![NextStep::LaterAsOf],
            );
        }
        Ok(())
    }

    /// Warnings the data give before any fit: few repeat customers.
    pub(crate) fn warnings(&self) -> Vec<crate::clv::boundary::Warning> {
        if self.repeaters >= MIN_REPEATERS {
            return Vec::new();
        }
        vec![crate::clv::boundary::Warning {
            kind: crate::clv::boundary::WarningKind::FewRepeaters { repeaters: self.repeaters },
            parameters: Vec::new(),
            next_steps: vec![NextStep::LaterAsOf],
        }]
    }
}

/// Fewer repeat customers than this make every estimate rest on a handful: a warning.
pub(crate) const MIN_REPEATERS: u64 = 10;

/// One Gamma-Gamma observation: a customer's repeat purchases and their average value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpendObservation {
    /// Repeat purchase days (x ≥ 1).
    pub x: u32,
    /// Average value of a repeat purchase day, in major currency units (dollars, not cents).
    pub m_x: f64,
}

/// The spend data of the Gamma-Gamma model: customers with repeat purchases and positive repeat
/// spend, plus the frequency–spend correlation that the model assumes to be zero.
#[derive(Clone, Debug)]
pub struct SpendData {
    /// Sorted by x, so that everything depending on x alone is computed once per x.
    observations: Vec<SpendObservation>,
    excluded: u64,
    /// Per distinct x: (x, observations, Σ ln m_x), in x order.
    by_x: Vec<(u32, u64, f64)>,
}

impl SpendData {
    /// From (x, m_x) pairs; customers with x = 0 or a non-positive or non-finite m_x are excluded
    /// (and counted), as the model is defined for positive repeat spend only.
    ///
    /// ```
    /// use retention::clv::SpendData;
    /// let data = SpendData::new([(2, 30.0), (0, 0.0), (1, -5.0), (4, 12.5)]);
    /// assert_eq!((data.observations().len(), data.excluded()), (2, 2));
    /// ```
    pub fn new(pairs: impl IntoIterator<Item = (u32, f64)>) -> SpendData {
        let mut observations = Vec::new();
        let mut excluded = 0;
        for (x, m_x) in pairs {
            if x > 0 && m_x.is_finite() && m_x > 0.0 {
                observations.push(SpendObservation { x, m_x });
            } else {
                excluded += 1;
            }
        }
        // A total order, so the fit's sums do not depend on the order customers were read in (a
        // store and the summary file of the same data give the same parameters to the last bit).
        // (m_x is positive here, so its bits order as the numbers do.)
        observations.par_sort_unstable_by_key(|o| (o.x, o.m_x.to_bits()));
        let mut by_x: Vec<(u32, u64, f64)> = Vec::new();
        for o in &observations {
            match by_x.last_mut() {
                Some(g) if g.0 == o.x => {
                    g.1 += 1;
                    g.2 += o.m_x.ln();
                }
                _ => by_x.push((o.x, 1, o.m_x.ln())),
            }
        }
        SpendData { observations, excluded, by_x }
    }

    /// (x, observations with that x, Σ ln m_x over them), in x order.
    pub(crate) fn by_x(&self) -> &[(u32, u64, f64)] {
        &self.by_x
    }

    /// Every `k`-th observation (a systematic sample, stratified by x since they are sorted).
    pub(crate) fn thinned(&self, k: usize) -> SpendData {
        Self::new(self.observations.iter().step_by(k.max(1)).map(|o| (o.x, o.m_x)))
    }

    /// Repeat customers of `summaries`, their average repeat-day value in major units of `currency`.
    pub fn from_summaries(summaries: &Summaries, currency: &Currency) -> SpendData {
        let scale = currency.scale() as f64;
        Self::new(summaries.customers.iter().map(|s| (s.x(), s.average_repeat_value().unwrap_or(0.0) / scale)))
    }

    /// The observations used in the fit, sorted by x.
    pub fn observations(&self) -> &[SpendObservation] {
        &self.observations
    }

    /// Customers left out (no repeat purchase, or no positive repeat spend).
    pub fn excluded(&self) -> u64 {
        self.excluded
    }

    /// Pearson correlation between x and m_x over the observations: the Gamma-Gamma model assumes
    /// spend is independent of frequency, so a large value (say above 0.3) warns that it may not fit.
    pub fn frequency_spend_correlation(&self) -> Option<f64> {
        let n = self.observations.len() as f64;
        if n < 2.0 {
            return None;
        }
        let mx = self.observations.iter().map(|o| o.x as f64).sum::<f64>() / n;
        let mm = self.observations.iter().map(|o| o.m_x).sum::<f64>() / n;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for o in &self.observations {
            let (dx, dy) = (o.x as f64 - mx, o.m_x - mm);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
    }
}

/// What fitting the CLV models needs from a [`SummarySource`]: the purchase counts grouped by
/// (x, t_x, T) and the repeat customers' spend, gathered in one pass.
#[derive(Clone, Debug)]
pub struct FitInput {
    /// The purchase-count data: customers grouped by (x, t_x, T).
    pub counts: CountData,
    /// The spend data of the Gamma-Gamma model (repeat customers).
    pub spend: SpendData,
    /// The as-of day of the summaries.
    pub as_of: Day,
    /// The currency of the money columns.
    pub currency: Currency,
}

/// Days a packed cell key holds in each of x, t_x and T (21 bits: 5,700 years).
const CELL_BITS: u32 = 21;

/// (x, t_x, T) packed as 21 bits each, or `None` past 5,700 years.
fn cell_key(s: &Summary, as_of: Day) -> Option<u64> {
    let (x, t_x, age) = (u64::from(s.x()), u64::from(s.t_x()), u64::from(s.age(as_of)));
    (age >> CELL_BITS == 0).then_some((x << (2 * CELL_BITS)) | (t_x << CELL_BITS) | age)
}

impl FitInput {
    /// Gathers the fit's inputs from `source` (money in `currency`). A source in memory goes
    /// through [`CountData::from_summaries`] and [`SpendData::from_summaries`]; any other is
    /// streamed without holding the customers: each part folds its customers into counts per
    /// (x, t_x, T) and the repeat customers' spend, and the parts are merged. Memory is the
    /// distinct cells and the repeat customers' spend (16 bytes each).
    ///
    /// ```
    /// use retention::clv::{FitInput, TimeUnit};
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// store.ingest("customer_id,order_id,timestamp,amount\na,1,2024-01-01,10\na,2,2024-02-01,5\n".as_bytes(), &Default::default())?;
    /// let input = FitInput::from_source(&store.summaries(None)?, TimeUnit::Weeks, &store.currency())?;
    /// assert_eq!((input.counts.customers(), input.spend.observations().len()), (1, 1));
    /// # Ok(()) }
    /// ```
    pub fn from_source<S: SummarySource>(source: &S, unit: TimeUnit, currency: &Currency) -> Result<FitInput> {
        if let Some(summaries) = source.in_memory() {
            return Ok(FitInput {
                counts: CountData::from_summaries(summaries, unit),
                spend: SpendData::from_summaries(summaries, currency),
                as_of: summaries.as_of,
                currency: currency.clone(),
            });
        }
        let scale = currency.scale() as f64;
        #[derive(Default)]
        struct Fold {
            cells: std::collections::HashMap<u64, u64, std::hash::BuildHasherDefault<ahash::AHasher>>,
            spend: Vec<(u32, f64)>,
            others: u64,
        }
        let (folds, as_of) = source.fold_parts(Fold::default, |fold, row| {
            let s = row.summary;
            let key = cell_key(s, row.as_of).ok_or_else(|| {
                Error::Limit(format!(
                    "a customer whose first purchase is {} days before the as-of day",
                    s.age(row.as_of)
                ))
            })?;
            *fold.cells.entry(key).or_insert(0) += 1;
            match s.average_repeat_value() {
                Some(m) => fold.spend.push((s.x(), m / scale)),
                None => fold.others += 1,
            }
            Ok(())
        })?;
        let as_of = as_of.ok_or_else(|| {
            Error::invalid("FitInput::from_source(source)", "no customers", "there is nothing to fit")
        })?;
        let mask = (1u64 << CELL_BITS) - 1;
        let mut cells: Vec<((u32, u32, u32), u64)> = Vec::new();
        let mut spend = Vec::new();
        let mut others = 0;
        for mut f in folds {
            cells.extend(f.cells.drain().map(|(k, n)| {
                (((k >> (2 * CELL_BITS)) as u32, ((k >> CELL_BITS) & mask) as u32, (k & mask) as u32), n)
            }));
            spend.append(&mut f.spend);
            others += f.others;
        }
        let mut spend = SpendData::new(spend);
        // Customers without a repeat purchase count as excluded, as from_summaries counts them.
        spend.excluded += others;
        Ok(FitInput { counts: CountData::from_cells(cells, unit)?, spend, as_of, currency: currency.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_group_identical_triples_and_reject_impossible_ones() {
        let data = CountData::from_days([(1, 5, 9), (0, 0, 9), (1, 5, 9), (3, 9, 9)], TimeUnit::Weeks).unwrap();
        assert_eq!(data.cells()[0], Cell { x: 0, t_x: 0, age: 9, count: 1 });
        assert_eq!(data.cells()[1], Cell { x: 1, t_x: 5, age: 9, count: 2 });
        assert_eq!((data.customers(), data.repeaters(), data.max_x(), data.max_age()), (4, 3, 3, 9));
        assert_eq!(data.x_histogram(), vec![1, 2, 0, 1]);
        let err = CountData::from_days([(1, 10, 9)], TimeUnit::Days).unwrap_err();
        assert!(err.to_string().contains("t_x 10, T 9"), "{err}");
        let e = CountData::from_days([(0, 3, 9)], TimeUnit::Days).unwrap_err();
        assert_eq!(e.parameter(), Some("CountData::from_days(triples)"));
    }

    #[test]
    fn data_without_information_is_refused_with_a_next_step() {
        let none = CountData::from_days((0..100).map(|_| (0, 0, 50)), TimeUnit::Days).unwrap();
        let err = none.check_identifiable("BG/NBD").unwrap_err();
        assert!(err.to_string().contains("none of the 100 customers made a repeat purchase"), "{err}");
        assert_eq!(err.kind(), crate::ErrorKind::NotIdentified);
        assert!(matches!(&err, Error::Fit { next, .. } if next == &vec![NextStep::LaterAsOf]), "{err:?}");
        let three = CountData::from_days([(1, 5, 9), (0, 0, 9), (2, 3, 9)], TimeUnit::Days).unwrap();
        assert_eq!(three.check_identifiable("BG/NBD").unwrap_err().kind(), crate::ErrorKind::NotIdentified);
        // Everyone still buying at the end is a finding (no dropout), not a refusal.
        let all_last_day = CountData::from_days((0..100).map(|i| (1 + i % 3, 50, 50)), TimeUnit::Days).unwrap();
        assert!(all_last_day.check_identifiable("BG/NBD").is_ok());
        assert!(all_last_day.warnings().is_empty());
        let thin = CountData::from_days((0..100).map(|i| if i < 3 { (1, 5, 50) } else { (0, 0, 50) }), TimeUnit::Days)
            .unwrap();
        assert!(matches!(thin.warnings()[0].kind, crate::clv::WarningKind::FewRepeaters { repeaters: 3 }));
    }

    #[test]
    fn correlation_of_independent_and_dependent_spend() {
        let dependent = SpendData::new((1..50).map(|x| (x, 10.0 + x as f64)));
        assert!((dependent.frequency_spend_correlation().unwrap() - 1.0).abs() < 1e-12);
        let flat = SpendData::new((1..50).map(|x| (x, 10.0)));
        assert_eq!(flat.frequency_spend_correlation(), None);
    }
}
