//! Exact decimals: amounts as written (`-1234.56`, `1.2e3`, float noise such as
//! `0.30000000000000004`) into integer minor units of a currency, and quantity × unit price, with
//! a reason a user can act on when the text is not an amount. Money never passes through floating
//! point: the ingest's parsers and [`Currency::parse`](super::Currency::parse) both read here.

/// Why a field was rejected.
pub(crate) type FieldResult<T> = Result<T, String>;

/// A decimal number as an exact integer mantissa and a count of decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

/// Most decimals accepted in a number: enough for what a binary float prints (17 significant
/// digits, `0.30000000000000004`), which spreadsheets and pandas write into exports; amounts are
/// then held to the currency's decimals (see [`to_minor_denoised`]).
const MAX_SCALE: u32 = 20;

/// Parses a plain decimal: optional sign, digits, optional point and digits.
pub(crate) fn parse_decimal(s: &[u8]) -> FieldResult<Decimal> {
    let s = s.trim_ascii();
    if s.is_empty() {
        return Err("the value is empty".into());
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mut mantissa: i128 = 0;
    let mut scale = 0u32;
    let mut seen_point = false;
    let mut seen_digit = false;
    for &c in body {
        match c {
            b'0'..=b'9' => {
                seen_digit = true;
                mantissa = mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add((c - b'0') as i128))
                    .ok_or_else(|| "the number is too large".to_string())?;
                if seen_point {
                    scale += 1;
                    if scale > MAX_SCALE {
                        return Err(format!("more than {MAX_SCALE} decimals"));
                    }
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(explain_bad_number(s)),
        }
    }
    if !seen_digit {
        return Err(explain_bad_number(s));
    }
    Ok(Decimal { mantissa: if neg { -mantissa } else { mantissa }, scale })
}

fn explain_bad_number(s: &[u8]) -> String {
    let has = |c: u8| s.contains(&c);
    if s.iter().any(|&c| c == b'$' || c >= 0x80) || s.starts_with(b"EUR") || s.starts_with(b"USD") {
        "currency symbols are not accepted; write the plain number (12.50)".into()
    } else if has(b',') && has(b'.')
        || has(b'\'')
        || has(b'_')
        || s.windows(2).any(|w| w[0].is_ascii_digit() && w[1] == b' ')
    {
        "thousands separators are not accepted; write 1234.56".into()
    } else if has(b',') {
        "decimal commas are not accepted; use a point (12.50)".into()
    } else if has(b'e') || has(b'E') {
        "exponent notation is not accepted; write the plain number".into()
    } else {
        "not a number".into()
    }
}

/// Converts an exact decimal to minor units of a currency with `exponent` decimals. Extra decimals
/// must be zeros (`12.500` is fine for a 2-decimal currency, `12.505` is not).
pub(crate) fn to_minor_exact(d: Decimal, exponent: u8) -> FieldResult<i64> {
    let exp = exponent as u32;
    let minor = if d.scale <= exp {
        10i128.checked_pow(exp - d.scale).and_then(|f| d.mantissa.checked_mul(f))
    } else {
        let div = 10i128.checked_pow(d.scale - exp).ok_or_else(|| format!("{} decimals", d.scale))?;
        if d.mantissa % div != 0 {
            return Err(format!("{} decimals, more than the currency's {exponent}", d.scale));
        }
        Some(d.mantissa / div)
    };
    minor.and_then(|m| i64::try_from(m).ok()).ok_or_else(|| "the amount does not fit in 64-bit minor units".into())
}

/// How far (in currency units) an amount with more decimals than the currency's may lie from a
/// currency amount and still be read as it: binary floating-point noise such as
/// `118.22999999999999` (118.23, 1e-14 away) is within it; a real extra digit (`12.505`) is not.
/// The bound is absolute, so noise on amounts above about 8 million (where a double's spacing
/// exceeds 1e-9) is still refused.
const FLOAT_NOISE: i128 = 1_000_000_000; // 1e-9 = 1 / FLOAT_NOISE

/// Like [`to_minor_exact`], except that an amount within 1e-9 of a currency amount is read as it
/// (`true`: it carried floating-point noise, which the ingest report counts); any other excess
/// precision stays an error.
pub(crate) fn to_minor_denoised(d: Decimal, exponent: u8) -> FieldResult<(i64, bool)> {
    let exp = exponent as u32;
    if d.scale <= exp {
        return to_minor_exact(d, exponent).map(|v| (v, false));
    }
    let div = 10i128.checked_pow(d.scale - exp).ok_or_else(|| format!("{} decimals", d.scale))?;
    let (quot, rem) = (d.mantissa / div, d.mantissa % div);
    if rem == 0 {
        return to_minor_exact(d, exponent).map(|v| (v, false));
    }
    // The nearest minor unit, and the distance to it in units of 10^-scale.
    let (nearest, distance) =
        if 2 * rem.abs() >= div { (quot + rem.signum(), div - rem.abs()) } else { (quot, rem.abs()) };
    // distance / 10^scale ≤ 1e-9  ⇔  distance · 10^9 ≤ 10^scale.
    let within = 10i128.checked_pow(d.scale).is_some_and(|whole| distance.saturating_mul(FLOAT_NOISE) <= whole);
    if !within {
        return Err(format!("{} decimals, more than the currency's {exponent}", d.scale));
    }
    i64::try_from(nearest).map(|v| (v, true)).map_err(|_| "the amount does not fit in 64-bit minor units".into())
}

/// Parses an amount column: exact, or (`true`) read through the floating-point noise of
/// [`to_minor_denoised`].
#[inline]
pub(crate) fn parse_amount(s: &[u8], exponent: u8) -> FieldResult<(i64, bool)> {
    if let Some(v) = fast_amount(s, exponent) {
        return Ok((v, false));
    }
    to_minor_denoised(parse_decimal(s)?, exponent)
}

/// The common shape `[-]digits[.dd]` with at most `exponent` decimals, without i128 arithmetic.
#[inline]
fn fast_amount(s: &[u8], exponent: u8) -> Option<i64> {
    let (neg, body) = match s.first()? {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || body.len() > 17 {
        return None;
    }
    let mut v: i64 = 0;
    let mut decimals: Option<u8> = None;
    for &c in body {
        match c {
            b'0'..=b'9' => {
                v = v * 10 + (c - b'0') as i64;
                if let Some(d) = decimals.as_mut() {
                    *d += 1;
                }
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
    }
    let d = decimals.unwrap_or(0);
    // At most 18 significant digits after scaling, so the product cannot overflow.
    if d > exponent || body == b"." || body.len() + (exponent - d) as usize > 18 {
        return None;
    }
    let v = v * 10i64.pow((exponent - d) as u32);
    Some(if neg { -v } else { v })
}

/// Quantity × unit price in minor units, rounded half away from zero to the currency's decimals.
pub(crate) fn quantity_times_price(qty: &[u8], price: &[u8], exponent: u8) -> FieldResult<i64> {
    let q = parse_decimal(qty).map_err(|e| format!("quantity: {e}"))?;
    let p = parse_decimal(price).map_err(|e| format!("unit price: {e}"))?;
    product_minor(q, p, exponent)
}

/// Quantity × unit price of exact decimals in minor units, rounded half away from zero.
pub(crate) fn product_minor(q: Decimal, p: Decimal, exponent: u8) -> FieldResult<i64> {
    let product = q.mantissa.checked_mul(p.mantissa).ok_or("quantity × unit price is too large")?;
    let scale = q.scale + p.scale;
    let exp = exponent as u32;
    let minor = if scale <= exp {
        10i128.checked_pow(exp - scale).and_then(|f| product.checked_mul(f))
    } else if scale - exp > 38 {
        Some(0) // beyond i128's digits: less than one minor unit
    } else {
        let div = 10i128.pow(scale - exp);
        let (quot, rem) = (product / div, product % div);
        Some(quot + if rem.abs() >= div - rem.abs() { rem.signum() } else { 0 })
    };
    minor
        .and_then(|m| i64::try_from(m).ok())
        .ok_or_else(|| "quantity × unit price does not fit in 64-bit minor units".into())
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{frac}")
    }
}
