//! Money as integer minor units. The store has one currency; amounts are `i64` counts of its minor
//! unit (cents for a 2-decimal currency), parsed from decimal text exactly and formatted back the same
//! way, so sums never drift.

pub(crate) mod decimal;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The store-wide currency: a code for display and the number of decimals of its minor unit.
///
/// ```
/// use retention::Currency;
/// # fn main() -> retention::Result<()> {
/// let usd = Currency::new("USD", 2)?;
/// assert_eq!(usd.format(-123_456), "-1234.56");
/// let jpy = Currency::new("JPY", 0)?;
/// assert_eq!(jpy.format(500), "500");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    code: String,
    exponent: u8,
}

/// The largest supported number of decimals (an `i64` of 10^-6 units still holds 9.2 trillion).
pub const MAX_EXPONENT: u8 = 6;

impl Default for Currency {
    fn default() -> Self {
        Currency { code: "USD".into(), exponent: 2 }
    }
}

impl std::str::FromStr for Currency {
    type Err = crate::Error;

    /// Parses `CODE:DECIMALS` (`USD:2`, `JPY:0`), or a bare code with its ISO 4217 minor unit
    /// (`JPY` has none, `KWD` three, most two); the code in any case.
    ///
    /// ```
    /// let yen: retention::Currency = "JPY:0".parse()?;
    /// assert_eq!((yen.code(), yen.exponent()), ("JPY", 0));
    /// let yen: retention::Currency = "jpy".parse()?;
    /// assert_eq!((yen.code(), yen.exponent()), ("JPY", 0));
    /// # Ok::<(), retention::Error>(())
    /// ```
    fn from_str(text: &str) -> crate::Result<Currency> {
        let (code, decimals) = match text.split_once(':') {
            Some((code, decimals)) => (
                code.to_ascii_uppercase(),
                decimals
                    .parse()
                    .map_err(|_| crate::Error::invalid("currency", text, "expected CODE:DECIMALS such as USD:2"))?,
            ),
            None => {
                let code = text.to_ascii_uppercase();
                let decimals = minor_unit(&code);
                (code, decimals)
            }
        };
        Currency::new(&code, decimals)
    }
}

/// The number of decimals of a currency's minor unit per ISO 4217: 0 for the yen, the won and
/// the other currencies without one (Stripe's "zero-decimal currencies"), 3 for the dinars of
/// Bahrain, Iraq, Jordan, Kuwait, Libya and Tunisia and the rial of Oman, 4 for the Chilean
/// unidad de fomento, 2 for every other code.
pub fn minor_unit(code: &str) -> u8 {
    const ZERO: [&str; 17] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
        "XPF",
    ];
    const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    if ZERO.contains(&code) {
        0
    } else if THREE.contains(&code) {
        3
    } else if code == "CLF" || code == "UYW" {
        4
    } else {
        2
    }
}

impl Currency {
    /// A currency with this code (3 letters, for display) and this many decimals (0..=6).
    pub fn new(code: &str, exponent: u8) -> crate::Result<Currency> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(crate::Error::invalid("currency", code, "expected a 3-letter ISO 4217 code such as USD"));
        }
        if exponent > MAX_EXPONENT {
            return Err(crate::Error::invalid(
                "currency exponent",
                exponent.to_string(),
                format!("at most {MAX_EXPONENT} decimals are supported"),
            ));
        }
        Ok(Currency { code: code.to_string(), exponent })
    }

    /// The ISO 4217 code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Decimals of the minor unit (2 for USD, 0 for JPY).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Minor units per major unit (100 for USD).
    pub fn scale(&self) -> i64 {
        10i64.pow(self.exponent as u32)
    }

    /// Parses a plain decimal amount (`-1234.56`) exactly into minor units, as the ingest does;
    /// the error says why the text is not an amount.
    ///
    /// ```
    /// let usd = retention::Currency::default();
    /// assert_eq!(usd.parse("12.5"), Ok(1250));
    /// assert!(usd.parse("12.345").is_err());
    /// ```
    pub fn parse(&self, text: &str) -> Result<i64, String> {
        decimal::parse_amount(text.trim().as_bytes(), self.exponent).map(|(minor, _)| minor)
    }

    /// Formats minor units as a plain decimal (`-1234.56`), the form the ingest parses back.
    pub fn format(&self, minor: i64) -> String {
        let mut s = String::new();
        self.write(&mut s, minor);
        s
    }

    /// Appends the plain-decimal form of `minor` to `out`.
    pub fn write(&self, out: &mut String, minor: i64) {
        let scale = self.scale() as u64;
        let neg = minor < 0;
        let abs = minor.unsigned_abs();
        if neg {
            out.push('-');
        }
        let _ = write!(out, "{}", abs / scale);
        if self.exponent > 0 {
            let _ = write!(out, ".{:0width$}", abs % scale, width = self.exponent as usize);
        }
    }

    /// Converts minor units to a floating value in major units, for reports and models only.
    pub fn to_major(&self, minor: i64) -> f64 {
        minor as f64 / self.scale() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        let c = Currency::default();
        assert_eq!(c.format(0), "0.00");
        assert_eq!(c.format(5), "0.05");
        assert_eq!(c.format(-5), "-0.05");
        assert_eq!(c.format(123_456), "1234.56");
        assert_eq!(c.format(i64::MIN), "-92233720368547758.08");
        assert_eq!(Currency::new("BHD", 3).unwrap().format(1_234), "1.234");
    }

    #[test]
    fn rejects_bad_currencies() {
        for (code, decimals, parameter) in
            [("usd", 2, "currency"), ("EURO", 2, "currency"), ("EUR", 7, "currency exponent")]
        {
            assert_eq!(Currency::new(code, decimals).unwrap_err().parameter(), Some(parameter), "{code}:{decimals}");
        }
    }
}
