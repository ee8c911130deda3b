//! Exchange rates for orders in another currency than the store's: a rates file the user
//! passes (`day,currency,rate`), so that a shop selling in two currencies can count its foreign
//! orders in its own money instead of leaving them out. Without one, such orders are excluded
//! and counted per currency; nothing is ever converted at a rate the user did not give.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::fields::{self, DateOrder, Decimal};
use crate::error::{Error, InputError, Result};

/// Exchange rates by currency and day: `rate` units of the store's currency buy one unit of
/// `currency` (a USD store converting euros at 1.08: `2025-03-03,EUR,1.08`).
///
/// An order is converted at its currency's rate of its own day or, when that day has none (a
/// weekend, a holiday), of the latest day before it; an order older than every rate of its
/// currency is not converted (excluded as another currency).
///
/// ```
/// use retention::FxRates;
/// # fn main() -> retention::Result<()> {
/// let rates = FxRates::from_reader("day,currency,rate\n2025-03-03,EUR,1.08\n".as_bytes(), "rates.csv")?;
/// assert_eq!(rates.currencies(), ["EUR"]);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FxRates {
    /// Per currency code (upper case): `(day, rate)` sorted by day.
    rates: HashMap<String, Vec<(i32, Decimal)>>,
}

impl FxRates {
    /// Reads a rates file.
    pub fn from_path(path: &Path) -> Result<FxRates> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| Error::io(format!("opening {name}"), e))?;
        FxRates::from_reader(file, &name)
    }

    /// Reads rates as CSV with a header naming `day` (or `date`), `currency` and `rate`; `source`
    /// names it in messages. A bad value is an error with its line, column and value.
    pub fn from_reader(reader: impl Read, source: &str) -> Result<FxRates> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header: Vec<String> = csv
            .headers()
            .map_err(|e| Error::InputFormat {
                source_name: source.into(),
                reason: format!("cannot read the header: {e}"),
            })?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
        let (Some(day_col), Some(code_col), Some(rate_col)) =
            (find(&["day", "date"]), find(&["currency", "code"]), find(&["rate"]))
        else {
            return Err(Error::InputFormat {
                source_name: source.into(),
                reason: format!(
                    "a rates file needs columns day, currency and rate; the header has: {}",
                    header.join(", ")
                ),
            });
        };
        let mut rates: HashMap<String, Vec<(i32, Decimal)>> = HashMap::new();
        for (i, record) in csv.records().enumerate() {
            let line = i as u64 + 2;
            let bad = |col: usize, value: &str, reason: String| -> Error {
                InputError {
                    source_name: source.into(),
                    line,
                    row_group: None,
                    column: Some(format!("{} ({})", col + 1, header[col])),
                    value: Some(InputError::shorten(value.as_bytes())),
                    reason,
                }
                .into()
            };
            let record = record.map_err(|e| Error::InputFormat {
                source_name: source.into(),
                reason: format!("line {line}: unreadable CSV record: {e}"),
            })?;
            let get = |c: usize| record.get(c).unwrap_or("").trim();
            let day = fields::parse_day_as_written(get(day_col).as_bytes(), DateOrder::MonthFirst)
                .map_err(|r| bad(day_col, get(day_col), r))?;
            let code = get(code_col).to_ascii_uppercase();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(code_col, get(code_col), "expected a 3-letter ISO 4217 code such as EUR".into()));
            }
            let rate = fields::parse_decimal(get(rate_col).as_bytes())
                .ok()
                .filter(|d| d.mantissa > 0)
                .ok_or_else(|| bad(rate_col, get(rate_col), "expected a positive decimal rate".into()))?;
            rates.entry(code).or_default().push((day, rate));
        }
        for (code, days) in &mut rates {
            days.sort_unstable_by_key(|(day, _)| *day);
            if let Some(w) = days.windows(2).find(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1) {
                return Err(Error::InputFormat {
                    source_name: source.into(),
                    reason: format!("two different {code} rates for {}", crate::Day::from_days(w[0].0)),
                });
            }
        }
        Ok(FxRates { rates })
    }

    /// The currencies with rates, sorted.
    pub fn currencies(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.rates.keys().map(String::as_str).collect();
        codes.sort_unstable();
        codes
    }

    /// The rate of `currency` for an order on `day`: that day's, else the latest before it.
    pub(crate) fn rate(&self, currency: &str, day: i32) -> Option<Decimal> {
        let days = self.rates.get(currency)?;
        let at = days.partition_point(|(d, _)| *d <= day);
        at.checked_sub(1).map(|i| days[i].1)
    }
}

/// `amount` minor units of a currency with `from` decimals, at `rate`, in minor units of one
/// with `to` decimals, rounded half away from zero; `None` when it does not fit.
pub(crate) fn convert(amount: i64, from: u8, rate: Decimal, to: u8) -> Option<i64> {
    // amount / 10^from × rate.mantissa / 10^rate.scale × 10^to
    let num = i128::from(amount).checked_mul(rate.mantissa)?;
    let up = i32::from(to) - i32::from(from) - rate.scale as i32;
    let value = if up >= 0 {
        num.checked_mul(10i128.checked_pow(up as u32)?)?
    } else {
        let div = 10i128.checked_pow((-up) as u32)?;
        let (q, r) = (num / div, num % div);
        if 2 * r.abs() >= div { q + num.signum() } else { q }
    };
    i64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(text: &str) -> Result<FxRates> {
        FxRates::from_reader(text.as_bytes(), "rates.csv")
    }

    #[test]
    fn an_order_takes_its_day_or_the_latest_before() {
        let r = rates("date,currency,rate\n2025-03-07,eur,1.10\n2025-03-03,EUR,1.08\n2025-03-03,JPY,0.0067\n").unwrap();
        let day = |s: &str| s.parse::<crate::Day>().unwrap().days();
        let eur = |s: &str| r.rate("EUR", day(s)).map(|d| (d.mantissa, d.scale));
        assert_eq!(eur("2025-03-02"), None);
        assert_eq!(eur("2025-03-03"), Some((108, 2)));
        assert_eq!(eur("2025-03-06"), Some((108, 2)));
        assert_eq!(eur("2025-03-09"), Some((110, 2)));
        assert_eq!(r.currencies(), ["EUR", "JPY"]);
    }

    #[test]
    fn conversion_is_exact_and_rounds_half_away_from_zero() {
        let rate = |s: &str| fields::parse_decimal(s.as_bytes()).unwrap();
        // €30.00 at 1.08 is $32.40; ¥1,500 at 0.0067 is $10.05; €0.05 at 1.1 is 5.5 cents → 6.
        assert_eq!(convert(3000, 2, rate("1.08"), 2), Some(3240));
        assert_eq!(convert(1500, 0, rate("0.0067"), 2), Some(1005));
        assert_eq!(convert(5, 2, rate("1.1"), 2), Some(6));
        assert_eq!(convert(-5, 2, rate("1.1"), 2), Some(-6));
        // Dollars into a yen store: $10.00 at 149.5 is ¥1,495.
        assert_eq!(convert(1000, 2, rate("149.5"), 0), Some(1495));
        assert_eq!(convert(i64::MAX, 0, rate("10"), 2), None);
    }

    #[test]
    fn bad_rates_name_line_column_and_value() {
        let e = rates("day,currency,rate\n2025-03-03,EUR,1.08\n2025-03-04,EUR,-1\n").unwrap_err().to_string();
        assert_eq!(e, "rates.csv:3: column 3 (rate): expected a positive decimal rate (value \"-1\")");
        let e = rates("day,currency,rate\n2025-13-03,EUR,1\n").unwrap_err().to_string();
        assert!(e.starts_with("rates.csv:2: column 1 (day)"), "{e}");
        let e = rates("day,rate\n").unwrap_err().to_string();
        assert!(e.contains("needs columns day, currency and rate"), "{e}");
        let e = rates("day,currency,rate\n2025-03-03,EUR,1.08\n2025-03-03,EUR,1.09\n").unwrap_err().to_string();
        assert!(e.contains("two different EUR rates for 2025-03-03"), "{e}");
    }
}
