//! Calendar days as integers: the one time unit the store knows. A [`Day`] counts days since
//! 1970-01-01 in the store's time zone, so differences are plain subtraction and every analysis
//! (recency, T, cohorts) is integer arithmetic.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A calendar day, counted from 1970-01-01 (day 0) in the store's time zone.
///
/// ```
/// use retention::Day;
/// # fn main() -> retention::Result<()> {
/// let d: Day = "1997-09-30".parse()?;
/// assert_eq!(d.to_string(), "1997-09-30");
/// assert_eq!(d - "1997-01-01".parse::<Day>()?, 272);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Day(i32);

/// The earliest year accepted in input data. Anything earlier is almost always a parse accident
/// (a two-digit year, a zero date from a database export).
pub const MIN_YEAR: i32 = 1900;
/// The latest year accepted in input data.
pub const MAX_YEAR: i32 = 2200;

/// The latest year whose day count fits an i32 (day 2³¹ − 1 is in the year 5,881,580).
const MAX_CIVIL_YEAR: i64 = 5_000_000;

impl Day {
    /// The day with this number of days since 1970-01-01.
    pub const fn from_days(days: i32) -> Day {
        Day(days)
    }

    /// Days since 1970-01-01 (negative before).
    pub const fn days(self) -> i32 {
        self.0
    }

    /// The day for a proleptic Gregorian date, or `None` if the date does not exist
    /// (month 13, February 30) or lies outside years [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        if day > days_in_month(year, month) {
            return None;
        }
        Some(Day(days_from_civil(year, month, day)))
    }

    /// The (year, month, day) of this day.
    pub fn to_ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The day `n` days later (or earlier for negative `n`), saturating at the i32 range.
    pub fn add_days(self, n: i32) -> Day {
        Day(self.0.saturating_add(n))
    }

    /// The same day of the month `n` months later, or that month's last day when it is shorter
    /// (the month-end rule of every calendar library: Jan 31 + 1 month = Feb 28 or 29, Feb 29 +
    /// 12 months = Feb 28). Adding 2 months is not adding 1 month twice: Jan 31 + 2 months is
    /// Mar 31, while (Jan 31 + 1 month) + 1 month is Mar 29, so schedules count from their start.
    ///
    /// ```
    /// use retention::Day;
    /// # fn main() -> retention::Result<()> {
    /// let d: Day = "2024-01-31".parse()?;
    /// assert_eq!(d.add_months(1).to_string(), "2024-02-29");
    /// assert_eq!(d.add_months(2).to_string(), "2024-03-31");
    /// assert_eq!("2024-02-29".parse::<Day>()?.add_months(12).to_string(), "2025-02-28");
    /// # Ok(()) }
    /// ```
    pub fn add_months(self, n: u32) -> Day {
        let (y, m, d) = self.to_ymd();
        let index = (m - 1) as i64 + n as i64;
        // Beyond about five million years the day count itself would leave i32: saturate there.
        let year = y as i64 + index.div_euclid(12);
        if year > MAX_CIVIL_YEAR {
            return Day(i32::MAX);
        }
        let year = year as i32;
        let month = index.rem_euclid(12) as u32 + 1;
        Day(days_from_civil(year, month, d.min(days_in_month(year, month))))
    }
}

impl std::ops::Sub for Day {
    type Output = i32;
    fn sub(self, rhs: Day) -> i32 {
        self.0 - rhs.0
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Day {
    type Err = Error;

    /// Parses `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Day, Error> {
        parse_iso_date(s.trim().as_bytes())
            .ok_or_else(|| Error::invalid("date", s, "expected a date as YYYY-MM-DD between 1900 and 2200"))
    }
}

impl From<Day> for String {
    fn from(d: Day) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Day {
    type Error = Error;
    fn try_from(s: String) -> Result<Day, Error> {
        s.parse()
    }
}

/// Parses exactly `YYYY-MM-DD`.
pub(crate) fn parse_iso_date(b: &[u8]) -> Option<Day> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    Day::from_ymd(y as i32, m, d)
}

/// Parses a run of ASCII digits (at most 9) as a number.
pub(crate) fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u32;
    }
    Some(v)
}

pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` (chrono-compatible algorithms,
// http://howardhinnant.github.io/date_algorithms.html): exact for the proleptic Gregorian calendar.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32; // [0, 399]
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe as i32 - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_months_saturates_instead_of_overflowing() {
        let d = Day::from_ymd(2024, 1, 31).unwrap();
        assert_eq!(d.add_months(u32::MAX), Day::from_days(i32::MAX));
        assert_eq!(d.add_months(70_000_000), Day::from_days(i32::MAX));
        assert_eq!(d.add_months(12 * 1_000).to_ymd(), (3024, 1, 31));
    }

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(Day::from_ymd(2000, 3, 1), Some(Day(11_017)));
        assert_eq!(Day::from_ymd(1900, 1, 1), Some(Day(-25_567)));
        assert_eq!(Day::from_ymd(1997, 1, 1).map(Day::days), Some(9_862));
    }

    #[test]
    fn invalid_dates_are_rejected() {
        assert_eq!(Day::from_ymd(2023, 2, 29), None);
        assert_eq!(Day::from_ymd(2023, 13, 1), None);
        assert_eq!(Day::from_ymd(2023, 4, 31), None);
        assert_eq!(Day::from_ymd(1899, 12, 31), None);
        assert_eq!(Day::from_ymd(2201, 1, 1), None);
        assert!(Day::from_ymd(2024, 2, 29).is_some());
        assert!(Day::from_ymd(2000, 2, 29).is_some());
        assert!(Day::from_ymd(2100, 2, 29).is_none());
    }

    #[test]
    fn round_trip_every_day_in_range_and_agrees_with_jiff() {
        let first = Day::from_ymd(MIN_YEAR, 1, 1).unwrap().days();
        let last = Day::from_ymd(MAX_YEAR, 12, 31).unwrap().days();
        let epoch = jiff::civil::date(1970, 1, 1);
        for n in first..=last {
            let (y, m, d) = Day(n).to_ymd();
            assert_eq!(Day::from_ymd(y, m, d), Some(Day(n)));
            if n % 97 == 0 {
                let j = epoch.checked_add(jiff::Span::new().days(n as i64)).unwrap();
                assert_eq!((j.year() as i32, j.month() as u32, j.day() as u32), (y, m, d));
            }
        }
    }

    #[test]
    fn parse_and_display() {
        let d: Day = "2024-02-29".parse().unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        for bad in ["2024-2-29", "2023-02-29", "20240229"] {
            assert_eq!(bad.parse::<Day>().unwrap_err().parameter(), Some("date"), "{bad}");
        }
    }
}
