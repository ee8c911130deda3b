//! Segment rules files (TOML): segments with conditions on scores and raw values, checked in
//! order, and optional fixed score thresholds. Errors name the file and line.
//!
//! ```toml
//! mode = "extend"                  # "replace" (default): only these rules; "extend": these first,
//!                                  # then the default map
//! [thresholds]                     # optional, per dimension; the others stay quantiles
//! recency_days = [30, 90, 180, 365]   # ≤ 30 days scores 5, 31–90 4, …, over 365 scores 1
//! orders = [1, 2, 4, 9]               # 1 scores 1, 2 scores 2, 3–4 3, 5–9 4, 10 or more 5
//! monetary = ["50", "100", "250", "1000.00"]   # money in the store's currency, same rule as orders
//!
//! [[segment]]
//! name = "VIP"
//! r = [4, 5]                       # score ranges: r, f, m, fm
//! min_spend = "1000"               # min_/max_ of recency_days, orders, spend, average_order
//! first_order_from = "2024-01-01"  # and first_order_from / first_order_to
//!
//! [[segment]]
//! name = "Everyone else"           # with mode = "replace" the last segment must have no conditions
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::scores::Cuts;
use super::segments::{Conditions, Rule, Segments};
use crate::day::Day;
use crate::error::Result;
use crate::money::Currency;
use crate::toml_file::TomlFile;

/// A parsed rules file: the segments to use and any fixed thresholds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesFile {
    /// The segments, ending in a catch-all.
    pub segments: Segments,
    /// Fixed cuts for recency (on negated days), frequency and monetary; `None` keeps quantiles.
    pub thresholds: [Option<Cuts>; 3],
    /// Bins implied by the thresholds (one more than their length), if any were given.
    pub bins: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    thresholds: Option<Spanned<Thresholds>>,
    #[serde(default)]
    segment: Vec<Spanned<SegmentSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Thresholds {
    recency_days: Option<Vec<u32>>,
    orders: Option<Vec<u32>>,
    monetary: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentSpec {
    name: Spanned<String>,
    r: Option<Spanned<(u8, u8)>>,
    f: Option<Spanned<(u8, u8)>>,
    m: Option<Spanned<(u8, u8)>>,
    fm: Option<Spanned<(u8, u8)>>,
    min_recency_days: Option<u32>,
    max_recency_days: Option<u32>,
    min_orders: Option<u32>,
    max_orders: Option<u32>,
    min_spend: Option<Spanned<String>>,
    max_spend: Option<Spanned<String>>,
    min_average_order: Option<Spanned<String>>,
    max_average_order: Option<Spanned<String>>,
    first_order_from: Option<Spanned<String>>,
    first_order_to: Option<Spanned<String>>,
}

impl RulesFile {
    /// Parses the rules in `text` (read from `source_name`); money is in `currency`.
    ///
    /// ```
    /// use retention::{rfm::RulesFile, Currency};
    /// # fn main() -> retention::Result<()> {
    /// let text = "mode = \"extend\"\n[[segment]]\nname = \"Whales\"\nmin_spend = \"1000\"\n";
    /// let rules = RulesFile::parse(text, "rules.toml", &Currency::default())?;
    /// assert_eq!(rules.segments.names()[0], "Whales");
    /// assert_eq!(rules.segments.names().len(), 12); // Whales, then the 11 default segments
    ///
    /// let bad = RulesFile::parse("[[segment]]\nname = \"A\"\nmin_spend = \"1,000\"\n", "rules.toml", &Currency::default());
    /// assert!(bad.is_err_and(|e| e.to_string().starts_with("rules.toml:3:")));
    /// # Ok(()) }
    /// ```
    pub fn parse(text: &str, source_name: &str, currency: &Currency) -> Result<RulesFile> {
        let src = TomlFile::new(text, source_name);
        let at = |span: std::ops::Range<usize>, value: Option<&str>, reason: String| src.error(span, value, reason);
        let file: File = src.parse()?;
        let money = |s: &Spanned<String>| src.money(currency, s);
        let day = |s: &Spanned<String>| -> Result<Day> {
            s.get_ref().parse::<Day>().map_err(|_| at(s.span(), Some(s.get_ref()), "expected a date YYYY-MM-DD".into()))
        };

        let extend = match &file.mode {
            None => false,
            Some(m) => match m.get_ref().as_str() {
                "replace" => false,
                "extend" => true,
                other => return Err(at(m.span(), Some(other), "mode must be \"replace\" or \"extend\"".into())),
            },
        };

        let mut rules = Vec::with_capacity(file.segment.len());
        for (i, spec) in file.segment.iter().enumerate() {
            let s = spec.get_ref();
            let range = |r: &Option<Spanned<(u8, u8)>>| -> Result<Option<(u8, u8)>> {
                match r {
                    Some(r) if r.get_ref().0 > r.get_ref().1 || r.get_ref().0 == 0 => {
                        Err(at(r.span(), None, "a score range is [low, high] with 1 <= low <= high".into()))
                    }
                    r => Ok(r.as_ref().map(|r| *r.get_ref())),
                }
            };
            let bounds = |lo: Option<i64>, hi: Option<i64>| {
                (lo.is_some() || hi.is_some()).then(|| (lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX)))
            };
            let bounds32 = |lo: Option<u32>, hi: Option<u32>| {
                (lo.is_some() || hi.is_some()).then(|| (lo.unwrap_or(0), hi.unwrap_or(u32::MAX)))
            };
            let first_order = match (&s.first_order_from, &s.first_order_to) {
                (None, None) => None,
                (from, to) => Some((
                    from.as_ref().map(day).transpose()?.unwrap_or(Day::from_days(i32::MIN)),
                    to.as_ref().map(day).transpose()?.unwrap_or(Day::from_days(i32::MAX)),
                )),
            };
            let when = Conditions {
                r: range(&s.r)?,
                f: range(&s.f)?,
                m: range(&s.m)?,
                fm: range(&s.fm)?,
                recency_days: bounds32(s.min_recency_days, s.max_recency_days),
                orders: bounds32(s.min_orders, s.max_orders),
                spend: bounds(
                    s.min_spend.as_ref().map(money).transpose()?,
                    s.max_spend.as_ref().map(money).transpose()?,
                ),
                average_order: bounds(
                    s.min_average_order.as_ref().map(money).transpose()?,
                    s.max_average_order.as_ref().map(money).transpose()?,
                ),
                first_order,
            };
            let name = s.name.get_ref().trim();
            if name.is_empty() {
                return Err(at(s.name.span(), None, "a segment needs a name".into()));
            }
            let empty_range = [
                ("recency_days", when.recency_days.is_some_and(|(lo, hi)| lo > hi)),
                ("orders", when.orders.is_some_and(|(lo, hi)| lo > hi)),
                ("spend", when.spend.is_some_and(|(lo, hi)| lo > hi)),
                ("average_order", when.average_order.is_some_and(|(lo, hi)| lo > hi)),
            ];
            if let Some((field, _)) = empty_range.iter().find(|(_, empty)| *empty) {
                return Err(at(
                    spec.span(),
                    Some(name),
                    format!("min_{field} is above max_{field}: no customer can match"),
                ));
            }
            if first_order.is_some_and(|(from, to)| from > to) {
                return Err(at(
                    spec.span(),
                    Some(name),
                    "first_order_from is after first_order_to: no customer can match".into(),
                ));
            }
            let is_last = i + 1 == file.segment.len();
            if when.is_empty() && (extend || !is_last) {
                return Err(at(
                    spec.span(),
                    Some(name),
                    "this segment has no conditions, so every customer stops here and the segments after it can never match"
                        .into(),
                ));
            }
            rules.push(Rule { name: name.to_string(), when, five_point: false });
        }
        if extend {
            rules.extend(Segments::default_rules());
        } else if !rules.last().is_some_and(|r| r.when.is_empty()) {
            let span = file.segment.last().map_or(0..0, |s| s.span());
            return Err(at(
                span,
                file.segment.last().map(|s| s.get_ref().name.get_ref().as_str()),
                "the last segment must have no conditions (a catch-all), so every customer has a segment; \
                 or set mode = \"extend\" to fall back to the default map"
                    .into(),
            ));
        }
        let segments = Segments::new(rules)?;

        let mut thresholds = [None, None, None];
        let mut bins = None;
        if let Some(t) = &file.thresholds {
            let mut lengths = Vec::new();
            let th = t.get_ref();
            if let Some(days) = &th.recency_days {
                // ≤ d days scores above the cut: on negated days the cut sits at −(d + 1).
                let cuts = days.iter().rev().map(|&d| -(i64::from(d) + 1)).collect();
                thresholds[0] = Some(
                    Cuts::fixed(cuts).map_err(|_| at(t.span(), None, "recency_days must ascend strictly".into()))?,
                );
                lengths.push(days.len());
            }
            if let Some(orders) = &th.orders {
                let cuts = orders.iter().map(|&o| i64::from(o)).collect();
                thresholds[1] =
                    Some(Cuts::fixed(cuts).map_err(|_| at(t.span(), None, "orders must ascend strictly".into()))?);
                lengths.push(orders.len());
            }
            if let Some(monetary) = &th.monetary {
                let cuts = monetary.iter().map(money).collect::<Result<Vec<_>>>()?;
                thresholds[2] =
                    Some(Cuts::fixed(cuts).map_err(|_| at(t.span(), None, "monetary must ascend strictly".into()))?);
                lengths.push(monetary.len());
            }
            if let Some(&n) = lengths.first() {
                if lengths.iter().any(|&l| l != n) || ![2, 3, 4, 9].contains(&n) {
                    return Err(at(
                        t.span(),
                        None,
                        "every threshold list needs the same length: 2, 3, 4 or 9 (for 3, 4, 5 or 10 scores)".into(),
                    ));
                }
                bins = Some(n as u8 + 1);
            }
        }
        // Score ranges must be reachable: at most 10 (the most bins), or the thresholds' bin count.
        let top = bins.unwrap_or(10);
        for spec in &file.segment {
            let s = spec.get_ref();
            for r in [&s.r, &s.f, &s.m, &s.fm].into_iter().flatten() {
                if r.get_ref().1 > top {
                    let why = match bins {
                        Some(b) => format!("the thresholds give scores 1 to {b}"),
                        None => "scores run from 1 to at most 10".to_string(),
                    };
                    return Err(at(r.span(), None, format!("a score range above {top} can never match: {why}")));
                }
            }
        }
        Ok(RulesFile { segments, thresholds, bins })
    }

    /// Reads and parses a rules file.
    pub fn load(path: &std::path::Path, currency: &Currency) -> Result<RulesFile> {
        let text = TomlFile::read(path)?;
        RulesFile::parse(&text, &path.display().to_string(), currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RulesFile> {
        RulesFile::parse(text, "r.toml", &Currency::default())
    }

    #[test]
    fn a_full_file() {
        let text = r#"
[thresholds]
recency_days = [30, 90, 180, 365]
orders = [1, 2, 4, 9]
monetary = ["50", "100", "250", "1000.00"]

[[segment]]
name = "VIP"
r = [4, 5]
min_spend = "1000"
first_order_from = "2024-01-01"

[[segment]]
name = "Rest"
"#;
        let rules = parse(text).unwrap();
        assert_eq!(rules.bins, Some(5));
        assert_eq!(rules.segments.names(), ["VIP", "Rest"]);
        let [r, f, m] = &rules.thresholds;
        let r = r.as_ref().unwrap();
        // 30 days scores 5, 31 scores 4, 365 scores 2, 366 scores 1.
        assert_eq!([30, 31, 365, 366].map(|d: i64| r.score(-d)), [5, 4, 2, 1]);
        assert_eq!([1, 2, 3, 10].map(|o| f.as_ref().unwrap().score(o)), [1, 2, 3, 5]);
        assert_eq!(m.as_ref().unwrap().values(), [5_000, 10_000, 25_000, 100_000]);
        let vip = &rules.segments.rules()[0].when;
        assert_eq!((vip.r, vip.spend), (Some((4, 5)), Some((100_000, i64::MAX))));
        assert_eq!(vip.first_order.map(|(from, _)| from.to_string()), Some("2024-01-01".into()));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("[[segment]]\nname = \"A\"\nr = [4, 5]\n", "r.toml:1:", "no conditions"),
            (
                "[[segment]]\nname = \"A\"\nmin_spend = \"12,50\"\n[[segment]]\nname = \"B\"\n",
                "r.toml:3:",
                "invalid amount",
            ),
            ("[[segment]]\nname = \"A\"\ncolour = \"red\"\n", "r.toml:3:", "unknown field"),
            ("mode = \"merge\"\n", "r.toml:1:", "replace"),
            ("[[segment]]\nname = \"A\"\nr = [5, 4]\n[[segment]]\nname = \"B\"\n", "r.toml:3:", "low <= high"),
            (
                "[thresholds]\norders = [1, 2]\nrecency_days = [1, 2, 3]\n[[segment]]\nname = \"B\"\n",
                "r.toml:1:",
                "same length",
            ),
            (
                "[[segment]]\nname = \"A\"\nfirst_order_from = \"2024-13-01\"\n[[segment]]\nname = \"B\"\n",
                "r.toml:3:",
                "YYYY-MM-DD",
            ),
            ("[[segment]\n", "r.toml:1:", ""),
            (
                "[[segment]]\nname = \"A\"\nmin_orders = 5\nmax_orders = 2\n[[segment]]\nname = \"B\"\n",
                "r.toml:1:",
                "min_orders is above max_orders",
            ),
            ("[[segment]]\nname = \"All\"\n[[segment]]\nname = \"B\"\n", "r.toml:1:", "can never match"),
            ("mode = \"extend\"\n[[segment]]\nname = \"All\"\n", "r.toml:2:", "can never match"),
            ("[[segment]]\nname = \"A\"\nr = [4, 11]\n[[segment]]\nname = \"B\"\n", "r.toml:3:", "above 10"),
            (
                "[thresholds]\norders = [1, 2]\n[[segment]]\nname = \"A\"\nf = [3, 4]\n[[segment]]\nname = \"B\"\n",
                "r.toml:5:",
                "scores 1 to 3",
            ),
        ];
        for (text, at, reason) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.starts_with(at) && e.contains(reason), "{text:?}: {e}");
        }
    }

    #[test]
    fn extend_puts_the_default_map_after_the_file() {
        let rules = parse("mode = \"extend\"\n[[segment]]\nname = \"Whales\"\nmin_spend = \"1000\"\n").unwrap();
        assert_eq!(rules.segments.names().len(), 12);
        assert_eq!(rules.segments.name(rules.segments.classify(5, 5)), "Champions");
    }
}
