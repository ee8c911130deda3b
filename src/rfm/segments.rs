//! Named segments: rules on R and FM scores, checked in order, the first match wins. The default
//! map is the grid shops use (Champions … Lost); a rules file can replace it (a later issue).

use serde::Serialize;

use crate::error::{Error, Result};

use super::scores::{Rfm, RfmScore};

/// One segment rule: a name and inclusive ranges of the R and FM scores on the 1..=5 scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The segment's name.
    pub name: String,
    /// Recency scores matched (inclusive).
    pub r: ScoreRange,
    /// FM scores matched (inclusive).
    pub fm: ScoreRange,
}

impl Rule {
    fn matches(&self, r: u8, fm: u8) -> bool {
        (self.r.0..=self.r.1).contains(&r) && (self.fm.0..=self.fm.1).contains(&fm)
    }
}

/// An inclusive score range.
pub type ScoreRange = (u8, u8);

/// The default map, as (name, R range, FM range). The README's segment table is this list.
const DEFAULT: [(&str, ScoreRange, ScoreRange); 14] = [
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
    // Unreachable with the grid above (it covers all 25 cells); kept so every rule list ends in a
    // catch-all, which `Segments::new` requires.
    ("Lost", (1, 5), (1, 5)),
];

/// An ordered list of segment rules whose last rule matches everything, so every customer lands in
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
        let rules = DEFAULT.iter().map(|&(name, r, fm)| Rule { name: name.to_string(), r, fm }).collect();
        Segments::new(rules).unwrap_or_else(|_| unreachable!("the default map ends in a catch-all"))
    }
}

impl Segments {
    /// Segments from rules checked in order. The last rule must match every (R, FM) pair.
    pub fn new(rules: Vec<Rule>) -> Result<Segments> {
        let catch_all = rules.last().is_some_and(|r| r.r.0 <= 1 && r.r.1 >= 5 && r.fm.0 <= 1 && r.fm.1 >= 5);
        if !catch_all {
            return Err(Error::invalid(
                "segment rules",
                rules.last().map_or_else(|| "(none)".to_string(), |r| r.name.clone()),
                "the last rule must match every score (R 1-5, FM 1-5) so every customer has a segment",
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
            ids.push(u8::try_from(id).map_err(|_| Error::invalid("segment rules", &rule.name, "at most 256 names"))?);
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

    /// The segment of an (R, FM) pair on the 1..=5 scale: the first matching rule's.
    pub fn classify(&self, r: u8, fm: u8) -> u8 {
        let rule = self.rules.iter().position(|rule| rule.matches(r, fm)).unwrap_or(self.rules.len() - 1);
        self.ids[rule]
    }

    /// The segment of a scored customer; scores on another scale than 1..=5 are mapped onto it
    /// first by `⌈5·s/bins⌉` (with 10 bins, 9 and 10 become 5; with 3 bins, 1 2 3 become 2 4 5).
    pub fn of(&self, score: &RfmScore, bins: u8) -> u8 {
        let five = |s: u8| if bins == 5 { s } else { (5 * u16::from(s)).div_ceil(u16::from(bins)) as u8 };
        self.classify(five(score.r), five(score.fm()))
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
        let last = s.rules().len() - 1;
        for r in 1..=5 {
            for fm in 1..=5 {
                assert!(s.rules()[..last].iter().any(|rule| rule.matches(r, fm)), "R {r} FM {fm}");
            }
        }
    }

    #[test]
    fn the_readme_shows_the_default_grid() {
        let readme = include_str!("../../README.md");
        let grid = Segments::default().grid_markdown();
        assert!(readme.contains(&grid), "README.md must contain the default segment grid:\n{grid}");
    }

    #[test]
    fn rules_need_a_catch_all() {
        let rule = |r, fm| Rule { name: "x".into(), r, fm };
        assert!(Segments::new(vec![rule((1, 5), (1, 4))]).is_err());
        assert!(Segments::new(vec![]).is_err());
        let s = Segments::new(vec![rule((5, 5), (5, 5)), Rule { name: "rest".into(), r: (1, 5), fm: (1, 5) }]).unwrap();
        assert_eq!((s.name(s.classify(5, 5)), s.name(s.classify(4, 5))), ("x", "rest"));
    }

    #[test]
    fn other_bin_counts_map_onto_five() {
        let s = Segments::default();
        let score = |r, f, m| RfmScore { customer: Default::default(), recency: 0, frequency: 0, monetary: 0, r, f, m };
        assert_eq!(s.name(s.of(&score(10, 10, 10), 10)), "Champions");
        assert_eq!(s.name(s.of(&score(3, 3, 3), 3)), "Champions");
        assert_eq!(s.name(s.of(&score(1, 1, 1), 3)), "Hibernating"); // 1 of 3 → 2 of 5
        assert_eq!(s.name(s.of(&score(1, 1, 1), 10)), "Lost");
    }
}
