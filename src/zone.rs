//! The store's time zone: which calendar day an instant falls on. UTC and fixed offsets are plain
//! arithmetic on the ingest's hot path; named IANA zones go through jiff's time-zone database.

use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub(crate) enum Zone {
    Utc,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    Named(jiff::tz::TimeZone),
}

impl Zone {
    /// Parses `UTC`, a fixed offset like `+05:30` / `-08:00`, or an IANA name like `Europe/Berlin`.
    pub(crate) fn parse(s: &str) -> Result<Zone> {
        let bad = |reason: &str| Error::invalid("time zone", s, reason);
        if s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Ok(Zone::Utc);
        }
        if let Some(rest) = s.strip_prefix('+').map(|r| (1, r)).or_else(|| s.strip_prefix('-').map(|r| (-1, r))) {
            let (sign, body) = rest;
            let secs = parse_offset_body(body.as_bytes()).ok_or_else(|| bad("expected an offset like +05:30"))?;
            return Ok(if secs == 0 { Zone::Utc } else { Zone::Fixed(sign * secs) });
        }
        jiff::tz::TimeZone::get(s)
            .map(Zone::Named)
            .map_err(|e| bad(&format!("not UTC, an offset like +01:00, or a known IANA time zone ({e})")))
    }

    /// The local calendar day (days since 1970-01-01) of the instant `unix_seconds`.
    #[inline]
    pub(crate) fn day_of(&self, unix_seconds: i64) -> i64 {
        match self {
            Zone::Utc => unix_seconds.div_euclid(86_400),
            Zone::Fixed(off) => (unix_seconds + *off as i64).div_euclid(86_400),
            Zone::Named(tz) => match jiff::Timestamp::from_second(unix_seconds) {
                Ok(ts) => {
                    let off = tz.to_offset(ts).seconds() as i64;
                    (unix_seconds + off).div_euclid(86_400)
                }
                // Out of jiff's range: far outside the accepted years, rejected by the caller.
                Err(_) => unix_seconds.div_euclid(86_400),
            },
        }
    }
}

/// `HH:MM`, `HHMM` or `HH` → seconds.
pub(crate) fn parse_offset_body(b: &[u8]) -> Option<i32> {
    let (h, m) = match b.len() {
        2 => (crate::day::digits(b)?, 0),
        4 => (crate::day::digits(&b[..2])?, crate::day::digits(&b[2..])?),
        5 if b[2] == b':' => (crate::day::digits(&b[..2])?, crate::day::digits(&b[3..])?),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some((h * 3600 + m * 60) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_in_zones() {
        // 2024-03-10T23:30:00Z
        let t = 1_710_113_400;
        let utc_day = 19_792;
        assert_eq!(Zone::parse("UTC").unwrap().day_of(t), utc_day);
        assert_eq!(Zone::parse("+01:00").unwrap().day_of(t), utc_day + 1);
        assert_eq!(Zone::parse("-0800").unwrap().day_of(t), utc_day);
        assert_eq!(Zone::parse("Europe/Berlin").unwrap().day_of(t), utc_day + 1);
        assert_eq!(Zone::parse("America/Los_Angeles").unwrap().day_of(t), utc_day);
        assert_eq!(Zone::parse("UTC").unwrap().day_of(-1), -1);
        for bad in ["Mars/Olympus", "+25:00"] {
            assert_eq!(Zone::parse(bad).unwrap_err().parameter(), Some("time zone"), "{bad}");
        }
    }
}
