//! Named segments: rules checked in order, the first match wins, the last matches everyone. The
//! default map is the grid shops use (Champions … Lost) on R and FM; a rules file (`rules.rs`) adds
//! conditions on the other scores and on raw values.

use serde::Serialize;

use crate::day::Day;
use crate::error::{Error, Result};

use super::scores::{Rfm, RfmScore};

/// An inclusive range.
pub type ScoreRange = (u8, u8);

/// What a customer must satisfy for a rule to match; `None` is no condition. Score ranges apply to
/// the scores as computed (1..=bins) unless the rule is on the five-point scale (the default map).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Conditions {
    /// R score range.
    pub r: Option<ScoreRange>,
    /// F score range.
    pub f: Option<ScoreRange>,
    /// M score range.
    pub m: Option<ScoreRange>,
    /// FM score range.
    pub fm: Option<ScoreRange>,
    /// Days since the last purchase, inclusive range.
    pub recency_days: Option<(u32, u32)>,
    /// Purchase orders, inclusive range.
    pub orders: Option<(u32, u32)>,
    /// Net spend in minor units, inclusive range.
    pub spend: Option<(i64, i64)>,
    /// Net spend per order in minor units (rounded half away from zero), inclusive range.
    pub average_order: Option<(i64, i64)>,
    /// Day of the first purchase, inclusive range.
    pub first_order: Option<(Day, Day)>,
}

impl Conditions {
    /// Whether there is no condition at all (a catch-all).
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }

    /// Whether a scored customer meets every condition, score ranges taken as computed.
    pub fn accepts(&self, s: &RfmScore) -> bool {
        self.matches(s, |x| x)
    }

    fn matches(&self, s: &RfmScore, scale: impl Fn(u8) -> u8) -> bool {
        fn within<T: PartialOrd>(range: &Option<(T, T)>, v: T) -> bool {
            range.as_ref().is_none_or(|(lo, hi)| *lo <= v && v <= *hi)
        }
        // Without amounts (M scored 0: a counts-only store) the money conditions do not apply,
        // and FM is F: segments are by recency and frequency.
        let money = s.m > 0;
        within(&self.r, scale(s.r))
            && within(&self.f, scale(s.f))
            && (!money || within(&self.m, scale(s.m)))
            && within(&self.fm, scale(s.fm()))
            && within(&self.recency_days, s.recency)
            && within(&self.orders, s.frequency)
            && (!money || within(&self.spend, s.spend))
            && (!money || within(&self.average_order, average_order(s)))
            && within(&self.first_order, s.first_purchase)
    }
}

/// Net spend per order, rounded half away from zero.
fn average_order(s: &RfmScore) -> i64 {
    let n = i64::from(s.frequency.max(1));
    let (q, r) = (s.spend / n, s.spend % n);
    if 2 * r.abs() >= n { q + s.spend.signum() } else { q }
}

/// One segment rule: a name and its conditions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The segment's name.
    pub name: String,
    /// What a customer must satisfy.
    pub when: Conditions,
    /// Score conditions are on the 1..=5 scale, other bin counts mapped by
    /// `1 + round(4·(s − 1)/(bins − 1))` (the default map); otherwise they are on the scores as
    /// computed.
    pub five_point: bool,
}

/// A score on 1..=`bins` on the five-point scale: `1 + round(4·(s − 1)/(bins − 1))`, so the lowest
/// and highest scores stay 1 and 5 for every bin count (3 bins give 1, 3, 5).
pub(crate) fn to_five_point(s: u8, bins: u8) -> u8 {
    match bins {
        5 => s,
        0 | 1 => s.clamp(1, 5),
        _ => {
            let (s, n) = (u16::from(s.clamp(1, bins)), u16::from(bins));
            (1 + (8 * (s - 1) + (n - 1)) / (2 * (n - 1))) as u8
        }
    }
}

/// The default map, as (name, R range, FM range) on the five-point scale. The README's segment
/// table is this list.
const DEFAULT: [(&str, ScoreRange, ScoreRange); 13] = [
    ("Champions", (5, 5), (4, 5)),
    ("Champions", (4, 4), (5, 5)),
    ("Loyal Customers", (4, 4), (4, 4)),
    ("Loyal Customers", (3, 3), (4, 5)),
    ("Potential Loyalists", (4, 5), (2, 3)),
    ("New Customers", (5, 5), (1, 1)),
    ("Promising", (4, 4), (1, 1)),
    ("Need Attention", (3, 3), (3, 3)),
    ("About to Sleep", (3, 3), (1, 2)),
    ("Can't Lose Them", (1, 2), (5, 5)),
    ("At Risk", (1, 2), (3, 4)),
    ("Hibernating", (2, 2), (1, 2)),
    ("Lost", (1, 1), (1, 2)),
];

/// An ordered list of segment rules whose last rule has no conditions, so every customer lands in
/// exactly one segment. Segment ids are indexes into [`Segments::names`].
///
/// ```
/// use retention::rfm::Segments;
/// let s = Segments::default();
/// assert_eq!(s.name(s.classify(5, 5)), "Champions");
/// assert_eq!(s.name(s.classify(1, 1)), "Lost");
/// assert_eq!(s.name(s.classify(2, 5)), "Can't Lose Them");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segments {
    rules: Vec<Rule>,
    /// Distinct names in first-appearance order.
    names: Vec<String>,
    /// For each rule, its name's index.
    ids: Vec<u8>,
}

impl Default for Segments {
    fn default() -> Self {
        Segments::new(Segments::default_rules()).unwrap_or_else(|_| unreachable!("the default map ends in a catch-all"))
    }
}

impl Segments {
    /// The default map's rules, ending in a catch-all "Lost" that the grid never reaches.
    pub fn default_rules() -> Vec<Rule> {
        let grid = DEFAULT.iter().map(|&(name, r, fm)| Rule {
            name: name.to_string(),
            when: Conditions { r: Some(r), fm: Some(fm), ..Conditions::default() },
            five_point: true,
        });
        let catch_all = Rule { name: "Lost".to_string(), when: Conditions::default(), five_point: true };
        grid.chain([catch_all]).collect()
    }

    /// Segments from rules checked in order. The last rule must have no conditions.
    pub fn new(rules: Vec<Rule>) -> Result<Segments> {
        if !rules.last().is_some_and(|r| r.when.is_empty()) {
            return Err(Error::invalid(
                "Segments::new(rules)",
                rules.last().map_or_else(|| "(none)".to_string(), |r| r.name.clone()),
                "the last rule must have no conditions, so that every customer has a segment",
            ));
        }
        let mut names: Vec<String> = Vec::new();
        let mut ids = Vec::with_capacity(rules.len());
        for rule in &rules {
            let id = match names.iter().position(|n| *n == rule.name) {
                Some(i) => i,
                None => {
                    names.push(rule.name.clone());
                    names.len() - 1
                }
            };
            ids.push(
                u8::try_from(id)
                    .map_err(|_| Error::invalid("Segments::new(rules)", &rule.name, "at most 256 names"))?,
            );
        }
        Ok(Segments { rules, names, ids })
    }

    /// The rules, in the order they are checked.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Segment names; a segment id indexes this list.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The name of segment `id`.
    pub fn name(&self, id: u8) -> &str {
        &self.names[usize::from(id)]
    }

    /// The segment of a scored customer: the first rule whose conditions it meets.
    pub fn of(&self, score: &RfmScore, bins: u8) -> u8 {
        let five = |s: u8| to_five_point(s, bins);
        let rule = self
            .rules
            .iter()
            .position(
                |rule| if rule.five_point { rule.when.matches(score, five) } else { rule.when.matches(score, |s| s) },
            )
            .unwrap_or(self.rules.len() - 1);
        self.ids[rule]
    }

    /// The segment of an (R, FM) pair on the five-point scale, for rule sets on those two scores
    /// only (such as the default map): rules with other conditions are skipped.
    pub fn classify(&self, r: u8, fm: u8) -> u8 {
        let rule = self
            .rules
            .iter()
            .position(|rule| {
                let w = &rule.when;
                let only_r_fm = Conditions { r: w.r, fm: w.fm, ..Conditions::default() } == *w;
                let within = |range: Option<ScoreRange>, v| range.is_none_or(|(lo, hi)| lo <= v && v <= hi);
                only_r_fm && within(w.r, r) && within(w.fm, fm)
            })
            .unwrap_or(self.rules.len() - 1);
        self.ids[rule]
    }

    /// The segment id of every customer of `rfm`, in its order.
    pub fn assign(&self, rfm: &Rfm) -> Vec<u8> {
        use rayon::prelude::*;
        rfm.scores.par_iter().map(|s| self.of(s, rfm.bins)).collect()
    }

    /// The rules as a Markdown table over the 5×5 grid (R rows from 5 down, FM columns 1..5).
    pub fn grid_markdown(&self) -> String {
        let mut out = String::from("| R \\ FM | 1 | 2 | 3 | 4 | 5 |\n|---|---|---|---|---|---|\n");
        for r in (1..=5).rev() {
            out.push_str(&format!("| **{r}** |"));
            for fm in 1..=5 {
                out.push_str(&format!(" {} |", self.name(self.classify(r, fm))));
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_grid_covers_every_cell_with_the_documented_segment() {
        let s = Segments::default();
        #[rustfmt::skip]
        let expected = [
            // FM:  1                 2                      3                      4                  5
            ["New Customers",  "Potential Loyalists", "Potential Loyalists", "Champions",       "Champions"],       // R 5
            ["Promising",      "Potential Loyalists", "Potential Loyalists", "Loyal Customers", "Champions"],       // R 4
            ["About to Sleep", "About to Sleep",      "Need Attention",      "Loyal Customers", "Loyal Customers"], // R 3
            ["Hibernating",    "Hibernating",         "At Risk",             "At Risk",         "Can't Lose Them"], // R 2
            ["Lost",           "Lost",                "At Risk",             "At Risk",         "Can't Lose Them"], // R 1
        ];
        for (row, r) in expected.iter().zip((1..=5).rev()) {
            for (name, fm) in row.iter().zip(1..=5) {
                assert_eq!(s.name(s.classify(r, fm)), *name, "R {r} FM {fm}");
            }
        }
        // Eleven segments, and the catch-all is never reached by the grid.
        assert_eq!(s.names().len(), 11);
        let grid = Segments::new([&s.rules()[..s.rules().len() - 1], &[catch_all("unreached")]].concat()).unwrap();
        for r in 1..=5 {
            for fm in 1..=5 {
                assert_ne!(grid.name(grid.classify(r, fm)), "unreached", "R {r} FM {fm}");
            }
        }
    }

    #[test]
    fn the_readme_shows_the_default_grid() {
        let readme = include_str!("../../README.md");
        let grid = Segments::default().grid_markdown();
        assert!(readme.contains(&grid), "README.md must contain the default segment grid:\n{grid}");
    }

    fn catch_all(name: &str) -> Rule {
        Rule { name: name.into(), when: Conditions::default(), five_point: false }
    }

    fn score(r: u8, f: u8, m: u8) -> RfmScore {
        RfmScore {
            customer: Default::default(),
            recency: 10,
            frequency: 4,
            monetary: 10_000,
            spend: 10_000,
            first_purchase: Day::from_days(19_000),
            r,
            f,
            m,
        }
    }

    #[test]
    fn rules_need_a_catch_all() {
        let rule = |r, fm| Rule {
            name: "x".into(),
            when: Conditions { r: Some(r), fm: Some(fm), ..Conditions::default() },
            five_point: false,
        };
        for rules in [vec![rule((1, 5), (1, 4))], vec![]] {
            assert_eq!(Segments::new(rules).unwrap_err().parameter(), Some("Segments::new(rules)"));
        }
        let s = Segments::new(vec![rule((5, 5), (5, 5)), catch_all("rest")]).unwrap();
        assert_eq!((s.name(s.classify(5, 5)), s.name(s.classify(4, 5))), ("x", "rest"));
    }

    #[test]
    fn raw_value_conditions_and_first_match() {
        let big = Rule {
            name: "big".into(),
            when: Conditions {
                spend: Some((10_000, i64::MAX)),
                average_order: Some((2_500, 2_500)),
                ..Default::default()
            },
            five_point: false,
        };
        let recent = Rule {
            name: "recent".into(),
            when: Conditions { recency_days: Some((0, 10)), orders: Some((4, 4)), ..Default::default() },
            five_point: false,
        };
        let s = Segments::new(vec![big, recent, catch_all("rest")]).unwrap();
        assert_eq!(s.name(s.of(&score(1, 1, 1), 5)), "big"); // 100.00 over 4 orders: 25.00 each
        let smaller = RfmScore { spend: 9_999, ..score(1, 1, 1) };
        assert_eq!(s.name(s.of(&smaller, 5)), "recent");
        let older = RfmScore { recency: 11, ..smaller };
        assert_eq!(s.name(s.of(&older, 5)), "rest");
    }

    #[test]
    fn other_bin_counts_map_onto_five() {
        let s = Segments::default();
        assert_eq!(s.name(s.of(&score(10, 10, 10), 10)), "Champions");
        assert_eq!(s.name(s.of(&score(3, 3, 3), 3)), "Champions");
        assert_eq!(s.name(s.of(&score(1, 1, 1), 3)), "Lost"); // the ends stay the ends
        assert_eq!(s.name(s.of(&score(1, 1, 1), 10)), "Lost");
        assert_eq!((1..=3).map(|v| to_five_point(v, 3)).collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!((1..=4).map(|v| to_five_point(v, 4)).collect::<Vec<_>>(), [1, 2, 4, 5]);
        assert_eq!((1..=10).map(|v| to_five_point(v, 10)).collect::<Vec<_>>(), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    /// Every default segment is reachable with 5 and 10 bins. Fewer bins cannot fill five rows: 4
    /// bins leave row R = 3 empty and 3 bins rows 2 and 4, which leaves out exactly the segments the
    /// README lists (never Lost or Champions).
    #[test]
    fn every_segment_is_reachable_for_each_bin_count() {
        let s = Segments::default();
        for bins in [3u8, 4, 5, 10] {
            let mut seen = std::collections::BTreeSet::new();
            for r in 1..=bins {
                for f in 1..=bins {
                    for m in 1..=bins {
                        seen.insert(s.name(s.of(&score(r, f, m), bins)).to_string());
                    }
                }
            }
            let missing: Vec<&String> = s.names().iter().filter(|n| !seen.contains(*n)).collect();
            let expected: &[&str] = match bins {
                3 => &["Promising", "Hibernating"],
                4 => &["Need Attention", "About to Sleep"],
                _ => &[],
            };
            assert_eq!(missing, expected, "{bins} bins");
        }
    }
}
