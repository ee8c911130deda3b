//! Parsers for the values in an order row: dates or timestamps turned into the store's calendar
//! day, and (from `money::decimal`, where `Currency::parse` uses them too) exact decimal amounts
//! in minor units and quantity × unit price. Each returns a reason a user can act on; the caller
//! adds file, line, column and value.

use crate::day::{Day, MAX_YEAR, MIN_YEAR, days_in_month, digits};
use crate::zone::{Zone, parse_offset_body};

/// How to read slash dates such as `03/04/2024`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DateOrder {
    /// `M/D/YYYY` (US exports, UCI Online Retail).
    #[default]
    MonthFirst,
    /// `D/M/YYYY`.
    DayFirst,
}

pub(crate) use crate::money::decimal::{Decimal, FieldResult, parse_amount, parse_decimal, quantity_times_price};

/// Parses a date or timestamp and returns the store-local day.
///
/// Accepted: `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/MM/DD`, `M/D/YYYY` (or `D/M/YYYY` per `order`), each
/// optionally followed by a time `HH:MM[:SS[.fff]]` (after `T` or a space) and an offset (`Z`,
/// `+HH:MM`, `+HHMM`, `+HH`). A time without an offset is local time of the store's zone; with an
/// offset the instant is converted to the store's zone before its date is taken.
#[inline]
pub(crate) fn parse_day(s: &[u8], zone: &Zone, order: DateOrder) -> FieldResult<i32> {
    let (date, rest) = calendar_date(s, order)?;
    if rest.is_empty() {
        return Ok(date);
    }
    let (secs, offset) = parse_time_part(rest)?;
    match (offset, zone) {
        (None, _) | (Some(0), Zone::Utc) => Ok(date),
        (Some(off), _) => {
            let unix = date as i64 * 86_400 + secs as i64 - off as i64;
            let day = zone.day_of(unix);
            i32::try_from(day).map_err(|_| "timestamp out of range".into())
        }
    }
}

/// The calendar day of a date or timestamp *as written*, whatever its offset: a platform export's
/// `2025-10-07 09:50:26 +0200` is 7 October, the day the shop's own reports put the order on
/// (converted to UTC it would be the 7th or the 6th depending on the hour). The time and offset
/// are still checked.
pub(crate) fn parse_day_as_written(s: &[u8], order: DateOrder) -> FieldResult<i32> {
    let (date, rest) = calendar_date(s, order)?;
    if !rest.is_empty() {
        parse_time_part(rest)?;
    }
    Ok(date)
}

/// The checked calendar date at the start of `s` as store days, and what follows it (a time).
#[inline]
fn calendar_date(s: &[u8], order: DateOrder) -> FieldResult<(i32, &[u8])> {
    let (y, m, d, rest) = parse_date_part(s.trim_ascii(), order)?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
        return Err(format!("year {y} is outside {MIN_YEAR}..={MAX_YEAR}"));
    }
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("{y:04}-{m:02}-{d:02} is not a calendar date"));
    }
    Ok((Day::from_ymd(y, m, d).ok_or("not a calendar date")?.days(), rest))
}

fn parse_date_part(s: &[u8], order: DateOrder) -> FieldResult<(i32, u32, u32, &[u8])> {
    let bad = || "not a date (expected YYYY-MM-DD, YYYYMMDD, M/D/YYYY or M/D/YY, optionally with a time)".to_string();
    if s.len() >= 10 && (s[4] == b'-' || s[4] == b'/') && s[7] == s[4] {
        let y = digits(&s[..4]).ok_or_else(bad)?;
        let m = digits(&s[5..7]).ok_or_else(bad)?;
        let d = digits(&s[8..10]).ok_or_else(bad)?;
        return Ok((y as i32, m, d, &s[10..]));
    }
    if s.len() == 8 && s.iter().all(u8::is_ascii_digit) {
        let y = digits(&s[..4]).ok_or_else(bad)?;
        return Ok((y as i32, digits(&s[4..6]).ok_or_else(bad)?, digits(&s[6..8]).ok_or_else(bad)?, &[]));
    }
    // Slash dates with the year last: a/b/YYYY.
    let date_end = s.iter().position(|&c| c == b' ' || c == b'T').unwrap_or(s.len());
    let mut parts = s[..date_end].split(|&c| c == b'/');
    let (Some(a), Some(b), Some(y), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    // Two-digit years are this century's: Etsy writes `10/04/25` for 4 October 2025, and no
    // shop's order history reaches back to the 1900s.
    let century = match y.len() {
        4 => 0,
        2 => 2000,
        _ => return Err(bad()),
    };
    let (a, b, y) = (digits(a).ok_or_else(bad)?, digits(b).ok_or_else(bad)?, digits(y).ok_or_else(bad)? + century);
    let (m, d) = match order {
        DateOrder::MonthFirst => (a, b),
        DateOrder::DayFirst => (b, a),
    };
    if a > 99 || b > 99 {
        return Err(bad());
    }
    Ok((y as i32, m, d, &s[date_end..]))
}

/// `[T ]H[H]:MM[:SS[.fff]][offset]` → (seconds into the day, offset seconds east of UTC).
fn parse_time_part(s: &[u8]) -> FieldResult<(u32, Option<i32>)> {
    let bad = || "not a time of day (expected HH:MM[:SS] after the date, then Z or +HH:MM)".to_string();
    let s = match s.first() {
        Some(b'T' | b't' | b' ') => s[1..].trim_ascii_start(),
        _ => return Err(bad()),
    };
    let colon = s.iter().position(|&c| c == b':').ok_or_else(bad)?;
    let h = digits(&s[..colon]).filter(|_| colon <= 2).ok_or_else(bad)?;
    let mut i = colon + 1;
    let m = digits(s.get(i..i + 2).ok_or_else(bad)?).ok_or_else(bad)?;
    i += 2;
    let mut sec = 0;
    if s.get(i) == Some(&b':') {
        sec = digits(s.get(i + 1..i + 3).ok_or_else(bad)?).ok_or_else(bad)?;
        i += 3;
        if s.get(i) == Some(&b'.') || s.get(i) == Some(&b',') {
            i += 1;
            let frac = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if frac == 0 {
                return Err(bad());
            }
            i += frac;
        }
    }
    if h > 23 || m > 59 || sec > 60 {
        return Err(format!("time {h:02}:{m:02}:{sec:02} is out of range"));
    }
    let secs = h * 3600 + m * 60 + sec.min(59);
    let rest = s[i..].trim_ascii_start();
    let offset = match rest.first() {
        None => None,
        Some(b'Z' | b'z') if rest.len() == 1 => Some(0),
        Some(&sign @ (b'+' | b'-')) => {
            let v = parse_offset_body(&rest[1..]).ok_or_else(|| "invalid UTC offset (expected +HH:MM)".to_string())?;
            Some(if sign == b'-' { -v } else { v })
        }
        _ => return Err(bad()),
    };
    Ok((secs, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i32 {
        s.parse::<Day>().unwrap().days()
    }

    #[test]
    fn amounts_are_exact() {
        assert_eq!(parse_amount(b"12.34", 2), Ok((1234, false)));
        assert_eq!(parse_amount(b"-0.05", 2), Ok((-5, false)));
        assert_eq!(parse_amount(b"7", 2), Ok((700, false)));
        assert_eq!(parse_amount(b"7.", 2), Ok((700, false)));
        assert_eq!(parse_amount(b".5", 2), Ok((50, false)));
        assert_eq!(parse_amount(b" 3.10 ", 2), Ok((310, false)));
        assert_eq!(parse_amount(b"+3.1", 2), Ok((310, false)));
        assert_eq!(parse_amount(b"12.500", 2), Ok((1250, false)));
        assert_eq!(parse_amount(b"1234", 0), Ok((1234, false)));
        assert_eq!(parse_amount(b"0.001", 3), Ok((1, false)));
        assert_eq!(parse_amount(b"92233720368547758.07", 2), Ok((i64::MAX, false)));
        assert_eq!(parse_amount(b"-92233720368547758.08", 2), Ok((i64::MIN, false)));
    }

    /// Binary floating-point noise, as spreadsheets and pandas print amounts, reads as the amount
    /// it denotes (flagged); a real extra digit, or noise above 1e-9, stays an error.
    #[test]
    fn float_noise_reads_as_the_amount_it_denotes() {
        assert_eq!(parse_amount(b"118.22999999999999", 2), Ok((11823, true)));
        assert_eq!(parse_amount(b"0.30000000000000004", 2), Ok((30, true)));
        assert_eq!(parse_amount(b"-19.989999999999998", 2), Ok((-1999, true)));
        assert_eq!(parse_amount(b"1500.0000000000002", 0), Ok((1500, true)));
        assert_eq!(parse_amount(b"12.3400000000", 2), Ok((1234, false)));
        // 1e-9 is the bound: 2e-9 away is a real digit.
        assert_eq!(parse_amount(b"5.000000001", 2), Ok((500, true)));
        assert!(parse_amount(b"5.000000002", 2).unwrap_err().contains("9 decimals"));
        assert!(parse_amount(b"12.505", 2).unwrap_err().contains("3 decimals"));
        assert!(parse_amount(b"12.3456789", 2).is_err());
    }

    #[test]
    fn bad_amounts_say_why() {
        let why = |s: &str| parse_amount(s.as_bytes(), 2).unwrap_err();
        assert!(why("12.505").contains("3 decimals"), "{}", why("12.505"));
        assert!(why("1,234.56").contains("thousands"));
        assert!(why("1 234").contains("thousands"));
        assert!(why("12,50").contains("decimal commas"));
        assert!(why("$12.50").contains("currency"));
        assert!(why("€12.50").contains("currency"));
        assert!(why("1e5").contains("exponent"));
        assert!(why("").contains("empty"));
        assert!(why("-").contains("not a number"));
        assert!(why(".").contains("not a number"));
        assert!(why("abc").contains("not a number"));
        assert!(why("92233720368547758.08").contains("64-bit"));
        assert!(why("99999999999999999999999999999999999999999").contains("too large"));
    }

    #[test]
    fn quantity_times_price_rounds_half_away_from_zero() {
        assert_eq!(quantity_times_price(b"6", b"2.55", 2), Ok(1530));
        assert_eq!(quantity_times_price(b"-1", b"2.55", 2), Ok(-255));
        assert_eq!(quantity_times_price(b"3", b"0.085", 2), Ok(26)); // 0.255 -> 0.26
        assert_eq!(quantity_times_price(b"-3", b"0.085", 2), Ok(-26));
        assert_eq!(quantity_times_price(b"1", b"0.004", 2), Ok(0));
        assert_eq!(quantity_times_price(b"1.5", b"2", 2), Ok(300));
        assert!(quantity_times_price(b"x", b"2", 2).unwrap_err().starts_with("quantity"));
        assert!(quantity_times_price(b"1", b"", 2).unwrap_err().starts_with("unit price"));
    }

    #[test]
    fn dates_and_timestamps() {
        let utc = Zone::Utc;
        let p = |s: &str| parse_day(s.as_bytes(), &utc, DateOrder::MonthFirst);
        assert_eq!(p("2024-03-10"), Ok(day("2024-03-10")));
        assert_eq!(p("20240310"), Ok(day("2024-03-10")));
        assert_eq!(p("2024/03/10"), Ok(day("2024-03-10")));
        assert_eq!(p("3/10/2024"), Ok(day("2024-03-10")));
        assert_eq!(p("12/1/2010 8:26"), Ok(day("2010-12-01")));
        // Two-digit years (Etsy's `MM/DD/YY`) are 20YY.
        assert_eq!(p("10/04/25"), Ok(day("2025-10-04")));
        assert_eq!(p("1/2/99 8:26"), Ok(day("2099-01-02")));
        assert_eq!(p("2024-03-10T23:30:00Z"), Ok(day("2024-03-10")));
        assert_eq!(p("2024-03-10 23:30:00"), Ok(day("2024-03-10")));
        assert_eq!(p("2024-03-10T23:30:00.123+00:00"), Ok(day("2024-03-10")));
        // An offset moves the instant into UTC before the date is taken.
        assert_eq!(p("2024-03-10T23:30:00-02:00"), Ok(day("2024-03-11")));
        assert_eq!(p("2024-03-10T00:30:00+0100"), Ok(day("2024-03-09")));
        assert_eq!(p("2024-03-10T00:30+01"), Ok(day("2024-03-09")));
        let dm = parse_day(b"3/10/2024", &utc, DateOrder::DayFirst);
        assert_eq!(dm, Ok(day("2024-10-03")));
    }

    #[test]
    fn store_zone_decides_the_day() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let p = |s: &str| parse_day(s.as_bytes(), &berlin, DateOrder::MonthFirst);
        assert_eq!(p("2024-03-10T23:30:00Z"), Ok(day("2024-03-11")));
        // Local times are already in the store's zone.
        assert_eq!(p("2024-03-10 23:30:00"), Ok(day("2024-03-10")));
        assert_eq!(p("2024-07-10T22:30:00Z"), Ok(day("2024-07-11")));
        assert_eq!(p("2024-07-10T21:30:00Z"), Ok(day("2024-07-10")));
    }

    #[test]
    fn bad_dates_say_why() {
        let utc = Zone::Utc;
        let why = |s: &str| parse_day(s.as_bytes(), &utc, DateOrder::MonthFirst).unwrap_err();
        assert!(why("1899-12-31").contains("outside"));
        assert!(why("2201-01-01").contains("outside"));
        assert!(why("2023-02-29").contains("not a calendar date"));
        assert!(why("13/01/2024").contains("not a calendar date"));
        assert!(why("1/2/202").contains("not a date"));
        assert!(why("yesterday").contains("not a date"));
        assert!(why("2024-03-10T25:00:00").contains("out of range"));
        assert!(why("2024-03-10T10:00:00+25:00").contains("offset"));
        assert!(why("2024-03-10X").contains("time of day"));
        assert!(why("").contains("not a date"));
    }
}
