//! Calendar-true durations and discount rates for predictions. A horizon of `12months` from an
//! as-of day ends on the same day of the month a year later, a discount of `10%/year` is 10% per
//! calendar year, and the CLV horizon is cut on month boundaries counted from the as-of day, so no
//! month is ever 30 days or 4.345 weeks and the model's time unit cannot change a horizon.

use serde::{Deserialize, Serialize};

use crate::day::Day;
use crate::error::{Error, Result};

/// A unit of calendar time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CalendarUnit {
    /// A day.
    Day,
    /// Seven days.
    Week,
    /// A calendar month (see [`Day::add_months`] for month ends).
    Month,
    /// Twelve calendar months.
    Year,
}

impl CalendarUnit {
    fn parse(text: &str) -> Option<CalendarUnit> {
        Some(match text {
            "" | "d" | "day" | "days" => CalendarUnit::Day,
            "w" | "wk" | "week" | "weeks" => CalendarUnit::Week,
            "mo" | "mon" | "month" | "months" => CalendarUnit::Month,
            "y" | "yr" | "year" | "years" => CalendarUnit::Year,
            _ => return None,
        })
    }

    /// `day`, `week`, `month` or `year`.
    pub fn singular(self) -> &'static str {
        match self {
            CalendarUnit::Day => "day",
            CalendarUnit::Week => "week",
            CalendarUnit::Month => "month",
            CalendarUnit::Year => "year",
        }
    }

    fn name(self) -> &'static str {
        match self {
            CalendarUnit::Day => "days",
            CalendarUnit::Week => "weeks",
            CalendarUnit::Month => "months",
            CalendarUnit::Year => "years",
        }
    }

    /// The day `n` units after `from`.
    fn after(self, from: Day, n: u32) -> Day {
        let days = |d: u64| from.add_days(d.min(i32::MAX as u64) as i32);
        match self {
            CalendarUnit::Day => days(n as u64),
            CalendarUnit::Week => days(7 * n as u64),
            CalendarUnit::Month => from.add_months(n),
            CalendarUnit::Year => from.add_months(n.saturating_mul(12)),
        }
    }
}

/// A duration in calendar units: `90days`, `13w`, `12months`, `2years` (a bare number is days).
///
/// ```
/// use retention::Day;
/// use retention::clv::Span;
/// # fn main() -> retention::Result<()> {
/// let from: Day = "2024-01-01".parse()?;
/// assert_eq!(Span::parse("horizon", "12months")?.days_from(from), 366);
/// assert_eq!(Span::parse("horizon", "1month")?.end("2024-01-31".parse()?).to_string(), "2024-02-29");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// How many units.
    pub count: u32,
    /// Which unit.
    pub unit: CalendarUnit,
}

/// The longest horizon or window accepted: 100 years.
const MAX_DAYS: i32 = 36_525;

impl Span {
    /// `n` days.
    pub const fn days(n: u32) -> Span {
        Span { count: n, unit: CalendarUnit::Day }
    }

    /// `n` calendar months.
    pub const fn months(n: u32) -> Span {
        Span { count: n, unit: CalendarUnit::Month }
    }

    /// Parses a number followed by a unit (`90days`, `90d`, `90`, `13w`, `12months`, `12mo`,
    /// `2years`, `2y`), naming `parameter` in the error.
    pub fn parse(parameter: &str, text: &str) -> Result<Span> {
        let bad = || {
            Error::invalid(parameter, text, "expected a positive number with a unit: 90days, 13weeks, 12months, 2years")
        };
        let t = text.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let count: u32 = t[..split].parse().map_err(|_| bad())?;
        let unit = CalendarUnit::parse(t[split..].trim()).ok_or_else(bad)?;
        // Checked on the count first, so that no calendar arithmetic sees a huge one.
        let most = match unit {
            CalendarUnit::Day => MAX_DAYS as u32,
            CalendarUnit::Week => MAX_DAYS as u32 / 7,
            CalendarUnit::Month => 1_200,
            CalendarUnit::Year => 100,
        };
        if count == 0 || count > most {
            return Err(Error::invalid(parameter, text, "must be from 1 day to 100 years"));
        }
        Ok(Span { count, unit })
    }

    /// The last day of the span that starts after `from`: `from` + count units.
    pub fn end(self, from: Day) -> Day {
        self.unit.after(from, self.count)
    }

    /// Days from `from` to [`end`](Self::end).
    pub fn days_from(self, from: Day) -> i32 {
        self.end(from) - from
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.count, self.unit.name())
    }
}

/// A discount rate per calendar unit: `10%/year` discounts a purchase one calendar year after the
/// as-of day by 1/1.1, and one k years and a fraction f of the next year later by 1.1^−(k+f).
///
/// ```
/// use retention::Day;
/// use retention::clv::DiscountRate;
/// # fn main() -> retention::Result<()> {
/// let rate = DiscountRate::parse("10%/year")?;
/// let from: Day = "2024-01-01".parse()?;
/// assert!((rate.factor(from, 366.0) - 1.0 / 1.1).abs() < 1e-15);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscountRate {
    /// The rate per unit (0.10 for 10%).
    pub rate: f64,
    /// The unit the rate is per.
    pub per: CalendarUnit,
}

impl Default for DiscountRate {
    /// 10% a year.
    fn default() -> Self {
        DiscountRate { rate: 0.10, per: CalendarUnit::Year }
    }
}

impl DiscountRate {
    /// Parses `10%/year`, `1%/month`, `0.2%/week`, `10%` or `0.10` (the last two per year).
    pub fn parse(text: &str) -> Result<DiscountRate> {
        let bad = |why: &str| Error::invalid("DiscountRate", text, why);
        let t = text.trim().to_ascii_lowercase().replace(' ', "");
        let (value, per) = match t.split_once('/') {
            Some((v, unit)) => {
                let unit = unit.strip_prefix('1').unwrap_or(unit);
                (v, if unit.is_empty() { None } else { CalendarUnit::parse(unit) })
            }
            None => (t.as_str(), Some(CalendarUnit::Year)),
        };
        let per = per.ok_or_else(|| bad("expected a rate per day, week, month or year, such as 10%/year"))?;
        let rate = match value.strip_suffix('%') {
            Some(p) => p.parse::<f64>().map(|p| p / 100.0),
            // A bare number is a fraction: 0.10 is 10%. "5" is far more likely to mean 5% than 500%.
            None => match value.parse::<f64>() {
                Ok(v) if v >= 1.0 => return Err(bad("a bare rate is a fraction (0.10 = 10%); write 5%/year for 5%")),
                other => other,
            },
        }
        .map_err(|_| bad("expected a rate such as 10%/year, 1%/month or 0.10"))?;
        if !(rate.is_finite() && (0.0..10.0).contains(&rate)) {
            return Err(bad("expected a rate from 0% to below 1000% per unit"));
        }
        Ok(DiscountRate { rate, per })
    }

    /// The discount factor of a purchase `offset` days (fractional) after `from`.
    pub fn factor(&self, from: Day, offset: f64) -> f64 {
        if self.rate == 0.0 {
            return 1.0;
        }
        (-self.units(from, offset) * self.rate.ln_1p()).exp()
    }

    /// Units of the rate in `offset` days after `from`: whole calendar units, then the fraction
    /// of the next one.
    fn units(&self, from: Day, offset: f64) -> f64 {
        let step = |k: u32| (self.per.after(from, k) - from) as f64;
        match self.per {
            CalendarUnit::Day => offset,
            CalendarUnit::Week => offset / 7.0,
            CalendarUnit::Month | CalendarUnit::Year => {
                if !(offset.is_finite() && offset >= 0.0) {
                    return f64::NAN;
                }
                // A month is 28 to 31 days, a year 365 or 366: start a unit or two short of the
                // answer and step forward (at most a few steps; offsets beyond a million years
                // are not calendar questions).
                let per_unit = if self.per == CalendarUnit::Month { 31.0 } else { 366.0 };
                let mut k = ((offset / per_unit).floor().min(12_000_000.0) as u32).saturating_sub(1);
                while step(k + 1) <= offset && k < 12_000_000 {
                    k += 1;
                }
                let (start, end) = (step(k), step(k + 1));
                k as f64 + (offset - start) / (end - start)
            }
        }
    }
}

/// How the CLV horizon is broken down in the per-period columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Periods {
    /// Calendar months from the as-of day.
    Month,
    /// Three-month periods from the as-of day.
    Quarter,
    /// Twelve-month periods from the as-of day.
    Year,
}

impl Periods {
    /// Parses `month`, `quarter` or `year`.
    pub fn parse(text: &str) -> Result<Periods> {
        match text.trim().to_ascii_lowercase().trim_end_matches('s') {
            "month" | "monthly" => Ok(Periods::Month),
            "quarter" | "quarterly" => Ok(Periods::Quarter),
            "year" | "yearly" | "annual" => Ok(Periods::Year),
            _ => Err(Error::invalid("Periods", text, "expected month, quarter or year")),
        }
    }

    /// Calendar months per period.
    pub fn months(self) -> u32 {
        match self {
            Periods::Month => 1,
            Periods::Quarter => 3,
            Periods::Year => 12,
        }
    }
}

/// The horizon cut into monthly steps from the as-of day (the last may be shorter), each step's
/// discount factor at its midpoint, and the period each step belongs to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Schedule {
    /// Day offsets (from the as-of day) of each step's end; the last is the horizon's end.
    pub step_ends: Vec<f64>,
    /// The discount factor of each step, at its midpoint.
    pub discounts: Vec<f64>,
    /// The period of each step (0-based).
    pub period_of_step: Vec<usize>,
    /// Each period's last day.
    pub period_ends: Vec<Day>,
}

impl Schedule {
    /// Σ over the steps of (expected purchases in the step) × (its discount), from the cumulative
    /// expectations at each step's end.
    pub fn discounted(&self, cumulative: impl IntoIterator<Item = f64>) -> f64 {
        let mut previous = 0.0;
        self.discounts
            .iter()
            .zip(cumulative)
            .map(|(d, c)| {
                let step = (c - previous) * d;
                previous = c;
                step
            })
            .sum()
    }

    pub fn new(as_of: Day, horizon: Span, discount: DiscountRate, periods: Periods) -> Schedule {
        let end = horizon.days_from(as_of);
        let mut step_ends = Vec::new();
        let mut k = 1;
        loop {
            let month_end = as_of.add_months(k) - as_of;
            if month_end >= end {
                step_ends.push(end as f64);
                break;
            }
            step_ends.push(month_end as f64);
            k += 1;
        }
        let mut start = 0.0;
        let discounts = step_ends
            .iter()
            .map(|&e| {
                let d = discount.factor(as_of, 0.5 * (start + e));
                start = e;
                d
            })
            .collect();
        let per = periods.months() as usize;
        let period_of_step: Vec<usize> = (0..step_ends.len()).map(|i| i / per).collect();
        let count = period_of_step.last().map_or(0, |p| p + 1);
        let period_ends = (0..count)
            .map(|p| {
                let months = ((p + 1) * per) as u32;
                let end_day = as_of.add_days(end);
                as_of.add_months(months).min(end_day)
            })
            .collect();
        Schedule { step_ends, discounts, period_of_step, period_ends }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn spans_follow_the_calendar() {
        let jan1 = day("2024-01-01");
        assert_eq!(Span::parse("h", "12months").unwrap().days_from(jan1), 366);
        assert_eq!(Span::parse("h", "1year").unwrap().days_from(jan1), 366);
        assert_eq!(Span::parse("h", "1year").unwrap().days_from(day("2025-01-01")), 365);
        assert_eq!(Span::parse("h", "90days").unwrap().days_from(jan1), 90);
        assert_eq!(Span::parse("h", "90").unwrap().days_from(jan1), 90);
        assert_eq!(Span::parse("h", "13w").unwrap().days_from(jan1), 91);
        assert_eq!(Span::parse("h", "2years").unwrap().end(jan1), day("2026-01-01"));
        assert_eq!(Span::parse("h", "1month").unwrap().end(day("2024-01-31")), day("2024-02-29"));
        assert_eq!(Span::parse("h", "1 Month").unwrap().end(day("2023-01-31")), day("2023-02-28"));
        for bad in [
            "",
            "0days",
            "x",
            "12 fortnights",
            "101years",
            "1201months",
            "5219w",
            "36526days",
            "-3days",
            "1.5months",
            "100000000months",
            "6000000years",
            "4294967295days",
        ] {
            assert_eq!(Span::parse("horizon", bad).unwrap_err().parameter(), Some("horizon"), "{bad}");
        }
        let e = Span::parse("ValueOptions::horizon", "12 fortnights").unwrap_err();
        assert!(
            matches!(&e, Error::InvalidArgument { parameter, value, .. }
            if parameter == "ValueOptions::horizon" && value == "12 fortnights"),
            "{e:?}"
        );
        assert!(e.to_string().contains("12months"), "{e}");
    }

    #[test]
    fn discount_rates_count_calendar_units() {
        let from = day("2024-01-01");
        let year = DiscountRate::parse("10%/year").unwrap();
        assert_eq!(year, DiscountRate::parse("0.10").unwrap());
        assert_eq!(year, DiscountRate::parse("10%").unwrap());
        assert!((year.factor(from, 366.0) - 1.0 / 1.1).abs() < 1e-15);
        // Half of 2025 (365 days) after the leap year.
        assert!((year.factor(from, 366.0 + 182.5) - 1.1f64.powf(-1.5)).abs() < 1e-15);
        let month = DiscountRate::parse("1%/month").unwrap();
        // February 2024 has 29 days: one month after Jan 31 ... counted from Jan 1 here.
        assert!((month.factor(from, 31.0 + 29.0) - 1.01f64.powi(-2)).abs() < 1e-15);
        let week = DiscountRate::parse("0.5%/week").unwrap();
        assert!((week.factor(from, 14.0) - 1.005f64.powi(-2)).abs() < 1e-15);
        // Far offsets jump close to the answer instead of walking there; nonsense gives NaN.
        let far = year.factor(from, 365.25 * 90.0);
        assert!(far > 0.0 && (far / 1.1f64.powf(-90.0) - 1.0).abs() < 1e-3, "{far}");
        assert!(year.factor(from, f64::INFINITY).is_nan() && month.factor(from, -1.0).is_nan());
        assert_eq!(DiscountRate::parse("0%/year").unwrap().factor(from, 1000.0), 1.0);
        for bad in ["ten", "10%/fortnight", "-1%", "2000%", "10%/", "10%/1", "5", "1.0"] {
            assert_eq!(DiscountRate::parse(bad).unwrap_err().parameter(), Some("DiscountRate"), "{bad}");
        }
    }

    #[test]
    fn schedule_cuts_months_and_periods() {
        let from = day("2024-01-31");
        let s = Schedule::new(from, Span::months(3), DiscountRate::default(), Periods::Month);
        // Feb 29, Mar 31, Apr 30.
        assert_eq!(s.step_ends, vec![29.0, 60.0, 90.0]);
        assert_eq!(s.period_ends, vec![day("2024-02-29"), day("2024-03-31"), day("2024-04-30")]);
        let q = Schedule::new(from, Span::days(200), DiscountRate::default(), Periods::Quarter);
        assert_eq!(q.step_ends.len(), 7);
        assert_eq!(q.period_of_step, vec![0, 0, 0, 1, 1, 1, 2]);
        assert_eq!(q.period_ends.last(), Some(&from.add_days(200)));
        assert!(q.discounts.windows(2).all(|w| w[1] < w[0]) && q.discounts[0] < 1.0);
    }
}
