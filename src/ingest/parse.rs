//! Turns a chunk of input into parsed rows: fields split (CSV with quotes, or whitespace), values
//! validated and converted, hashes computed. Runs on worker threads; ids are resolved afterwards in
//! input order. Bad rows become [`InputError`]s with line, column and value.

use super::chunk::Chunk;
use super::fields::{self, DateOrder};
use super::format::{Layout, Lines, Platform, Preset, Refunds, Split, Value};
use super::{Exclusion, fx, spool};
use crate::error::InputError;
use crate::store::codec::fingerprint;
use crate::zone::Zone;

/// The decimals line values (a platform order's weights among its categories) are read with.
const WEIGHT_EXPONENT: u8 = crate::money::MAX_EXPONENT;

/// Longest customer id, order id or category accepted, in bytes.
pub(crate) const MAX_ID_BYTES: usize = 1024;

/// A valid row; strings live in the chunk's `text` arena.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParsedRow {
    pub customer_hash: u64,
    /// Order fingerprint, or content key when `auto`.
    pub key: u64,
    pub amount: i64,
    pub line: u64,
    pub day: i32,
    pub customer: (u32, u32),
    /// Category name range in `text`; `None` when the row has no category.
    pub category: Option<(u32, u32)>,
    pub auto: bool,
    /// What the row says about its order (`spool::LINE`, `TOTAL`, `PART`, `EXCLUDED + reason`);
    /// a `PART` row's `amount` is its line value (price × quantity), its share of the total.
    pub kind: u8,
}

/// A rejected row with its raw bytes (for the file of rejected rows a caller may keep).
pub(crate) struct Rejected {
    pub error: InputError,
    pub raw: Vec<u8>,
    /// The order's key, for an unattributed platform order (counted once however many rows).
    pub key: u64,
}

/// What one chunk parsed into.
#[derive(Default)]
pub(crate) struct ParsedChunk {
    pub rows: Vec<ParsedRow>,
    pub text: Vec<u8>,
    pub rejected: Vec<Rejected>,
    /// Rows skipped on purpose (line items without a customer id).
    pub skipped: u64,
    /// Amounts read through binary floating-point noise (`118.22999999999999` as 118.23).
    pub denoised: u64,
    /// Platform orders with neither a customer id nor an e-mail: their order rows.
    pub unattributed: Vec<Rejected>,
    /// Platform orders in another currency: the code and the order's key, per order row.
    pub other_currencies: Vec<(String, u64)>,
    /// Platform orders in another currency converted at the user's rates: code and key.
    pub converted: Vec<(String, u64)>,
    /// Excluded platform orders that name no customer (never spooled): exclusion code and key.
    pub excluded: Vec<(u8, u64)>,
    /// Data rows seen (valid, rejected and skipped).
    pub seen: u64,
    /// The Parquet row group the rows come from (`None` for text input).
    pub row_group: Option<u64>,
    /// What stopped the chunk's decoding (a damaged Parquet page), reported when it is absorbed.
    pub error: Option<Box<crate::error::Error>>,
}

impl ParsedChunk {
    pub(crate) fn str_at(&self, (at, len): (u32, u32)) -> &[u8] {
        &self.text[at as usize..(at + len) as usize]
    }
}

/// Parses chunks with one layout.
pub(crate) struct RowParser<'a> {
    pub layout: &'a Layout,
    pub zone: &'a Zone,
    pub exponent: u8,
    /// The store's currency code, which a platform export's orders must be in.
    pub currency: &'a str,
    /// Rates to convert platform orders in other currencies at, when the user gave them.
    pub fx: Option<&'a super::FxRates>,
    pub date_order: DateOrder,
    pub source: &'a str,
    /// Stop at the first bad row (the ingest fails anyway unless invalid rows are skipped).
    pub stop_at_error: bool,
}

/// The fields of one row, however they were split.
trait Fields<'f> {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> &'f [u8];
}

impl<'f> Fields<'f> for &'f csv::ByteRecord {
    fn len(&self) -> usize {
        csv::ByteRecord::len(self)
    }
    fn get(&self, i: usize) -> &'f [u8] {
        csv::ByteRecord::get(self, i).unwrap_or_default()
    }
}

impl<'f> Fields<'f> for &[&'f [u8]] {
    fn len(&self) -> usize {
        <[&[u8]]>::len(self)
    }
    fn get(&self, i: usize) -> &'f [u8] {
        (*self)[i]
    }
}

/// Why a row was rejected: the column (if one is to blame), its value and the reason.
struct FieldError<'f> {
    column: Option<usize>,
    value: Option<&'f [u8]>,
    reason: String,
}

enum Outcome {
    Row(ParsedRow),
    /// The row's rows are in the chunk already (a platform row with packed line items).
    Pushed,
    Skip,
}

impl RowParser<'_> {
    pub(crate) fn parse(&self, chunk: &Chunk) -> ParsedChunk {
        let mut out = ParsedChunk { rows: Vec::with_capacity(chunk.data.len() / 40), ..Default::default() };
        match self.layout.split {
            Split::Delimited(d) => self.parse_delimited(chunk, d, &mut out),
            Split::Whitespace => self.parse_whitespace(chunk, &mut out),
        }
        out
    }

    fn parse_delimited(&self, chunk: &Chunk, delimiter: u8, out: &mut ParsedChunk) {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(&chunk.data[..]);
        let mut record = csv::ByteRecord::new();
        loop {
            let start = reader.position().byte() as usize;
            let line = chunk.first_line + reader.position().line() - 1;
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    // csv only fails on I/O, which a byte slice cannot produce; keep the row anyway.
                    let end = reader.position().byte() as usize;
                    let raw = &chunk.data[start..end];
                    let reason = format!("unreadable CSV record: {e}");
                    out.rejected.push(self.rejected(line, None, None, reason, raw));
                    if self.stop_at_error {
                        return;
                    }
                    continue;
                }
            }
            let (mut line, mut start) =
                record.position().map_or((line, start), |p| (chunk.first_line + p.line() - 1, p.byte() as usize));
            // csv reports a record's position from before the blank lines it skipped.
            while let Some(&c @ (b'\n' | b'\r')) = chunk.data.get(start) {
                line += (c == b'\n') as u64;
                start += 1;
            }
            // A blank line (or one holding only whitespace) is not a row.
            if record.len() == 1 && record[0].trim_ascii().is_empty() {
                continue;
            }
            let end = reader.position().byte() as usize;
            if !self.row(&&record, line, &chunk.data[start..end], out) {
                return;
            }
        }
    }

    fn parse_whitespace(&self, chunk: &Chunk, out: &mut ParsedChunk) {
        let mut fields: Vec<&[u8]> = Vec::with_capacity(8);
        for (line, raw) in (chunk.first_line..).zip(chunk.data.split_inclusive(|&c| c == b'\n')) {
            fields.clear();
            fields.extend(raw.split(|c| c.is_ascii_whitespace()).filter(|f| !f.is_empty()));
            if !fields.is_empty() && !self.row(&fields.as_slice(), line, raw, out) {
                return;
            }
        }
    }

    /// Parses one row into `out`; returns false when parsing should stop.
    fn row<'f>(&self, fields: &impl Fields<'f>, line: u64, raw: &[u8], out: &mut ParsedChunk) -> bool {
        out.seen += 1;
        match self.convert(fields, line, raw, out) {
            Ok(Outcome::Row(row)) => out.rows.push(row),
            Ok(Outcome::Pushed) => {}
            Ok(Outcome::Skip) => out.skipped += 1,
            Err(FieldError { column, value, reason }) => {
                out.rejected.push(self.rejected(line, column, value, reason, raw));
                return !self.stop_at_error;
            }
        }
        true
    }

    /// A row set aside: its error (line, column, value, reason) and its raw bytes.
    fn rejected(&self, line: u64, column: Option<usize>, value: Option<&[u8]>, reason: String, raw: &[u8]) -> Rejected {
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        Rejected {
            error: InputError {
                source_name: self.source.to_string(),
                line,
                row_group: None,
                column: column.map(|c| self.layout.column_name(c)),
                value: value.map(InputError::shorten),
                reason,
            },
            raw: raw.to_vec(),
            key: 0,
        }
    }

    #[inline]
    fn convert<'f>(
        &self,
        f: &impl Fields<'f>,
        line: u64,
        raw: &[u8],
        out: &mut ParsedChunk,
    ) -> Result<Outcome, FieldError<'f>> {
        let l = self.layout;
        if f.len() != l.width() {
            // Blame the first missing column, or the first extra one with its value.
            let (first, value) =
                if f.len() < l.width() { (f.len(), None) } else { (l.width(), Some(f.get(l.width()))) };
            return Err(FieldError {
                column: Some(first),
                value,
                reason: if f.len() < l.width() {
                    format!("the row has {} columns, the header {}: a field is missing", f.len(), l.width())
                } else {
                    format!("the row has {} columns, the header {}: this one is extra", f.len(), l.width())
                },
            });
        }
        let err = |col: usize, reason: String| FieldError { column: Some(col), value: Some(f.get(col)), reason };
        if let Some(p) = &l.platform {
            return self.platform_row(f, p, line, raw, out);
        }

        let customer = f.get(l.customer).trim_ascii();
        if customer.is_empty() {
            if l.skip_missing_customer {
                return Ok(Outcome::Skip);
            }
            return Err(err(l.customer, "the customer id is empty".into()));
        }
        let customer = checked_text(customer).map_err(|r| err(l.customer, format!("the customer id {r}")))?;

        let day = fields::parse_day(f.get(l.timestamp), self.zone, self.date_order).map_err(|r| err(l.timestamp, r))?;

        let amount = match l.value {
            Value::Amount(i) => {
                let (minor, denoised) = fields::parse_amount(f.get(i), self.exponent)
                    .map_err(|r| err(i, format!("invalid amount: {r}")))?;
                out.denoised += u64::from(denoised);
                minor
            }
            Value::QuantityPrice { quantity, price } => {
                fields::quantity_times_price(f.get(quantity), f.get(price), self.exponent).map_err(|r| {
                    let col = if r.starts_with("unit price") { price } else { quantity };
                    err(col, r)
                })?
            }
            Value::Count => 0,
        };

        let category = match l.category {
            Some(i) => {
                let c = f.get(i).trim_ascii();
                if c.is_empty() {
                    None
                } else {
                    Some(checked_text(c).map_err(|r| err(i, format!("the category {r}")))?)
                }
            }
            None => None,
        };

        let order = l.order.map(|i| f.get(i).trim_ascii()).filter(|o| !o.is_empty());
        let (key, auto) = order_key(order, l.order_is_key, day, amount, category)
            .map_err(|reason| err(l.order.unwrap_or_default(), reason))?;

        Ok(Outcome::Row(row_of(&mut out.text, customer, category, (key, auto), amount, line, day)))
    }
}

/// What a platform says an order's state means for the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// A purchase (paid, or placed and awaiting payment).
    Counts,
    /// Refunded in full: still an order, with net 0.
    Refunded,
    /// Not a purchase.
    Excluded(Exclusion),
}

/// Reads a platform's order state (`paid`, `wc-on-hold`, `Pending payment`, `requires_payment_method`:
/// compared lower-cased, with `wc-` dropped and spaces and underscores as hyphens).
fn state_of(preset: Preset, status: &[u8]) -> State {
    let mut s: Vec<u8> = status
        .trim_ascii()
        .iter()
        .map(|&c| if c == b' ' || c == b'_' { b'-' } else { c.to_ascii_lowercase() })
        .collect();
    if s.starts_with(b"wc-") {
        s.drain(..3);
    }
    use Exclusion::*;
    match (preset, s.as_slice()) {
        (_, b"refunded" | b"fully-refunded") => State::Refunded,
        (_, b"cancelled" | b"canceled") => State::Excluded(Cancelled),
        // Shopify's abandoned-checkouts export shares the orders export's columns, with no state.
        (Preset::Shopify, b"") => State::Excluded(Unfinished),
        (Preset::Shopify, b"voided") => State::Excluded(Voided),
        (Preset::Shopify, b"expired") => State::Excluded(Unfinished),
        (Preset::WooCommerce, b"pending" | b"pending-payment" | b"checkout-draft" | b"draft") => {
            State::Excluded(Unfinished)
        }
        (Preset::WooCommerce, b"failed") => State::Excluded(Failed),
        (Preset::WooCommerce, b"trash") => State::Excluded(Cancelled),
        (Preset::Stripe, b"failed" | b"blocked") => State::Excluded(Failed),
        (
            Preset::Stripe,
            b"requires-payment-method" | b"requires-action" | b"requires-confirmation" | b"incomplete" | b"expired",
        ) => State::Excluded(Unfinished),
        _ => State::Counts,
    }
}

/// The items of a packed line-items field: `(sku, value)` of each record `…|sku:X|…|total:Y`
/// (records joined by `;`), or (`keyed` false) each of the bare SKUs joined by `,`. A value that
/// does not parse weighs 0: it only divides the order's total among categories.
fn packed_items(field: &[u8], keyed: bool, exponent: u8, items: &mut Vec<(Vec<u8>, i64)>) {
    if !keyed {
        for sku in field.split(|&c| c == b',').map(<[u8]>::trim_ascii).filter(|s| !s.is_empty()) {
            items.push((sku.to_vec(), 0));
        }
        return;
    }
    for record in field.split(|&c| c == b';') {
        let (mut sku, mut total) = (&b""[..], 0);
        for part in record.split(|&c| c == b'|') {
            if let Some(v) = part.trim_ascii().strip_prefix(b"sku:") {
                sku = v.trim_ascii();
            } else if let Some(v) = part.trim_ascii().strip_prefix(b"total:") {
                total = fields::parse_amount(v.trim_ascii(), exponent).map_or(0, |(m, _)| m.max(0));
            }
        }
        if !sku.is_empty() {
            items.push((sku.to_vec(), total));
        }
    }
}

/// A platform amount written in a decimal-comma locale (Stripe's dashboard in German or French
/// writes `"12,34"`): one comma, no point and one or two digits after it is a decimal comma.
/// Anything else (`1,234`, a thousands separator) is left for the amount parser to refuse.
fn decimal_comma(v: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let commas = v.iter().filter(|&&c| c == b',').count();
    match v.iter().rposition(|&c| c == b',') {
        Some(at) if commas == 1 && !v.contains(&b'.') && (1..=2).contains(&(v.len() - at - 1)) => {
            let mut owned = v.to_vec();
            owned[at] = b'.';
            std::borrow::Cow::Owned(owned)
        }
        _ => std::borrow::Cow::Borrowed(v),
    }
}

/// The sum of the `amount:` values of `;`-joined refund records (WebToffee's `refund_items`).
fn refund_records(field: &[u8], exponent: u8) -> Result<i64, String> {
    let mut sum = 0i64;
    for part in field.split(|&c| c == b';' || c == b'|') {
        if let Some(v) = part.trim_ascii().strip_prefix(b"amount:") {
            let (minor, _) = fields::parse_amount(v.trim_ascii(), exponent)?;
            sum = sum.checked_add(minor.abs()).ok_or("the refunds add up to more than 64-bit minor units can hold")?;
        }
    }
    Ok(sum)
}

impl RowParser<'_> {
    /// A row of a platform export, read by the platform rules: the customer is the platform's
    /// customer id when it is real, else the e-mail trimmed and lower-cased (neither: the order
    /// is unattributed, counted and skipped); an order row (one with the order's state or total)
    /// carries the order's net total (total − refunds; 0 when refunded in full) or its exclusion,
    /// other rows (Shopify's further line items) their line's category.
    fn platform_row<'f>(
        &self,
        f: &impl Fields<'f>,
        p: &Platform,
        line: u64,
        raw: &[u8],
        out: &mut ParsedChunk,
    ) -> Result<Outcome, FieldError<'f>> {
        let l = self.layout;
        let err = |col: usize, reason: String| FieldError { column: Some(col), value: Some(f.get(col)), reason };
        let text = |i: Option<usize>| i.map_or(&b""[..], |i| f.get(i).trim_ascii());
        let order_col = l.order.unwrap_or_default();
        let order = f.get(order_col).trim_ascii();
        if order.is_empty() {
            return Err(err(order_col, "the order id is empty".into()));
        }
        let (key, _) = order_key(Some(order), false, 0, 0, None).map_err(|r| err(order_col, r))?;
        let total = match l.value {
            Value::Amount(total) => total,
            // Platform layouts always read an order total; a row without one is no order.
            Value::QuantityPrice { .. } | Value::Count => return Ok(Outcome::Skip),
        };
        let status = text(p.status);
        let order_row = !status.is_empty() || !f.get(total).trim_ascii().is_empty();
        // What the order's state says, before whose order it is: an excluded order is counted
        // by its reason whether or not it names a customer.
        let state = match p.cancelled.map(|i| f.get(i).trim_ascii()) {
            Some(c) if !c.is_empty() => State::Excluded(Exclusion::Cancelled),
            _ => state_of(p.preset, status),
        };
        let test = text(p.payment).to_ascii_lowercase().windows(5).any(|w| w == b"bogus")
            || text(p.mode).eq_ignore_ascii_case(b"test");
        let state = match state {
            State::Excluded(e) => State::Excluded(e),
            _ if test => State::Excluded(Exclusion::Test),
            s => s,
        };
        let currency = text(p.currency);
        let foreign = (!currency.is_empty() && !currency.eq_ignore_ascii_case(self.currency.as_bytes()))
            .then(|| String::from_utf8_lossy(currency).to_ascii_uppercase());
        let id = text(p.customer_id);
        let customer = if !id.is_empty() && !id.iter().all(|&c| c == b'0') {
            checked_text(id).map(<[u8]>::to_vec).map_err(|r| err(l.customer, format!("the customer id {r}")))?
        } else {
            let email = text(p.email);
            if email.is_empty() {
                match (state, foreign) {
                    _ if !order_row => {}
                    (State::Excluded(e), _) => out.excluded.push((e.code(), key)),
                    (_, Some(code)) if self.fx.is_none() => {
                        out.excluded.push((Exclusion::OtherCurrency.code(), key));
                        out.other_currencies.push((code, key));
                    }
                    _ => {
                        let reason = format!(
                            "order {} has no customer id and no e-mail: counted as unattributed, not stored",
                            String::from_utf8_lossy(order)
                        );
                        let row = self.rejected(line, Some(order_col), Some(order), reason, raw);
                        out.unattributed.push(Rejected { key, ..row });
                    }
                }
                return Ok(Outcome::Skip);
            }
            let email = email.to_ascii_lowercase();
            checked_text(&email).map_err(|r| err(p.email.unwrap_or_default(), format!("the e-mail {r}")))?;
            email
        };
        let day = fields::parse_day_as_written(f.get(l.timestamp), self.date_order).map_err(|r| err(l.timestamp, r))?;
        // An order in another currency is read in that currency's minor unit, then converted
        // at the user's rate (when there is one for it).
        let mut exponent = self.exponent;
        let mut money = |i: usize, what: &str, exponent: u8| -> Result<i64, FieldError<'f>> {
            let v = f.get(i).trim_ascii();
            if v.is_empty() {
                return Ok(0);
            }
            let v = decimal_comma(v);
            let (minor, denoised) =
                fields::parse_amount(&v, exponent).map_err(|r| err(i, format!("invalid {what}: {r}")))?;
            out.denoised += u64::from(denoised);
            Ok(minor)
        };

        let (amount, kind) = if order_row {
            let mut rate = None;
            let state = match (state, foreign) {
                (State::Excluded(e), _) => State::Excluded(e),
                (_, Some(code)) => {
                    rate = self.fx.and_then(|fx| fx.rate(&code, day));
                    if rate.is_some() {
                        exponent = crate::money::minor_unit(&code);
                        out.converted.push((code, key));
                        state
                    } else {
                        out.other_currencies.push((code, key));
                        State::Excluded(Exclusion::OtherCurrency)
                    }
                }
                (s, None) => s,
            };
            match state {
                State::Excluded(e) => (0, spool::EXCLUDED + e.code()),
                State::Refunded => (0, spool::TOTAL),
                State::Counts => {
                    let gross = money(total, "total", exponent)?;
                    let out_of_range = || err(total, "the total less the refunds is out of range".into());
                    let net = match p.refunds {
                        Refunds::None => gross,
                        Refunds::Amount(r) => {
                            gross.checked_sub(money(r, "refunded amount", exponent)?).ok_or_else(out_of_range)?
                        }
                        Refunds::Records(r) => {
                            let refunds = refund_records(f.get(r), exponent)
                                .map_err(|why| err(r, format!("invalid refund amount: {why}")))?;
                            gross.checked_sub(refunds).ok_or_else(out_of_range)?
                        }
                        Refunds::AdjustedTotal(r) => match money(r, "adjusted total", exponent)? {
                            0 => gross,
                            adjusted => adjusted,
                        },
                    };
                    let net = match rate {
                        Some(rate) => fx::convert(net, exponent, rate, self.exponent)
                            .ok_or_else(|| err(total, "the converted amount is out of range".into()))?,
                        None => net,
                    };
                    (net, spool::TOTAL)
                }
            }
        } else {
            (0, spool::PART)
        };

        // The categories: this row's line, or the items packed into the order's row.
        let mut items: Vec<(Vec<u8>, i64)> = Vec::new();
        match &p.lines {
            _ if kind >= spool::EXCLUDED => {}
            Lines::None => {}
            Lines::Row { sku, quantity, price, total: line_total } => {
                // Line values only divide the order's total, so they are read at one scale
                // whatever the currency: an order's rows then weigh alike even when only its
                // first row says the order is in yen.
                let weight = match (text(*quantity), text(*price)) {
                    (q, pr) if !q.is_empty() && !pr.is_empty() => fields::quantity_times_price(q, pr, WEIGHT_EXPONENT)
                        .map_err(|r| err(price.unwrap_or(*sku), r))?,
                    _ => match line_total {
                        Some(t) => money(*t, "line total", WEIGHT_EXPONENT)?,
                        None => 0,
                    },
                };
                items.push((f.get(*sku).trim_ascii().to_vec(), weight));
            }
            Lines::Packed { columns, keyed } => {
                for &c in columns {
                    packed_items(f.get(c), *keyed, exponent, &mut items);
                }
            }
        }
        let category_col = l.category.unwrap_or_default();
        for (sku, _) in &items {
            checked_text(sku).map_err(|r| err(category_col, format!("the SKU {r}")))?;
        }
        // The order row carries the total (or the exclusion), each line a PART row with its
        // category and, as its amount, its value; a further row without a line still says the
        // order exists (an order of parts only is incomplete, not 0).
        if kind != spool::PART {
            let mut row = row_of(&mut out.text, &customer, None, (key, false), amount, line, day);
            row.kind = kind;
            out.rows.push(row);
        }
        let parts = items.len();
        for (sku, weight) in items {
            let category = Some(sku.as_slice()).filter(|c| !c.is_empty());
            let mut part = row_of(&mut out.text, &customer, category, (key, false), weight.max(0), line, day);
            part.kind = spool::PART;
            out.rows.push(part);
        }
        if kind == spool::PART && parts == 0 {
            let mut part = row_of(&mut out.text, &customer, None, (key, false), 0, line, day);
            part.kind = spool::PART;
            out.rows.push(part);
        }
        Ok(Outcome::Pushed)
    }
}

/// The key an order is stored under: its id's fingerprint, the stored key itself when reading an
/// export (`order_is_key`), or, for a row without an order id, a key from its content (then
/// `true`: such rows are orders of their own).
pub(crate) fn order_key(
    order: Option<&[u8]>,
    order_is_key: bool,
    day: i32,
    amount: i64,
    category: Option<&[u8]>,
) -> Result<(u64, bool), String> {
    Ok(match order {
        Some(o) if o.len() > MAX_ID_BYTES => return Err(format!("the order id is longer than {MAX_ID_BYTES} bytes")),
        Some(o) if order_is_key => {
            let key = (o.len() == 16 && o.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
                .then(|| std::str::from_utf8(o).ok().and_then(|h| u64::from_str_radix(h, 16).ok()))
                .flatten()
                .ok_or("an order_key is the 16 lower-case hex digits `retention export` writes")?;
            (key, false)
        }
        Some(o) => (fingerprint::order(o), false),
        None => (fingerprint::content(day, amount, category.unwrap_or_default()), true),
    })
}

/// Checks an id or category: at most `MAX_ID_BYTES`, valid UTF-8.
pub(crate) fn checked_text(s: &[u8]) -> Result<&[u8], String> {
    if s.len() > MAX_ID_BYTES {
        return Err(format!("is longer than {MAX_ID_BYTES} bytes"));
    }
    if std::str::from_utf8(s).is_err() {
        return Err("is not valid UTF-8".into());
    }
    Ok(s)
}

/// A valid row, its customer id and category stored in the chunk's `text`.
pub(crate) fn row_of(
    text: &mut Vec<u8>,
    customer: &[u8],
    category: Option<&[u8]>,
    (key, auto): (u64, bool),
    amount: i64,
    line: u64,
    day: i32,
) -> ParsedRow {
    let customer_range = push_text(text, customer);
    let category = category.map(|c| push_text(text, c));
    ParsedRow {
        customer_hash: fingerprint::customer(customer),
        key,
        amount,
        line,
        day,
        customer: customer_range,
        category,
        auto,
        kind: crate::ingest::spool::LINE,
    }
}

fn push_text(text: &mut Vec<u8>, s: &[u8]) -> (u32, u32) {
    let at = text.len() as u32;
    text.extend_from_slice(s);
    (at, s.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::ColumnNames;

    fn parse(input: &str, stop: bool) -> ParsedChunk {
        let header =
            vec!["customer_id".into(), "order_id".into(), "timestamp".into(), "amount".into(), "category".into()];
        let layout = Layout::from_header(Preset::Generic, &ColumnNames::default(), header, b',', "t.csv").unwrap();
        let p = RowParser {
            currency: "USD",
            fx: None,
            layout: &layout,
            zone: &Zone::Utc,
            exponent: 2,
            date_order: DateOrder::MonthFirst,
            source: "t.csv",
            stop_at_error: stop,
        };
        p.parse(&Chunk { data: input.as_bytes().to_vec(), first_line: 2 })
    }

    #[test]
    fn parses_rows_with_quotes_and_blank_lines() {
        let out = parse("c1,o1,2024-01-02,10.50,books\n\n\"c 2\",,2024-01-03T10:00:00Z,-3,\"home, garden\"\r\n", false);
        assert_eq!(out.rows.len(), 2);
        assert_eq!(out.seen, 2);
        let r = out.rows[1];
        assert_eq!(out.str_at(r.customer), b"c 2");
        assert_eq!(r.category.map(|c| out.str_at(c)), Some(&b"home, garden"[..]));
        assert_eq!((r.amount, r.auto, r.line), (-300, true, 4));
        assert_eq!((out.rows[0].amount, out.rows[0].auto, out.rows[0].line), (1050, false, 2));
    }

    #[test]
    fn bad_rows_name_line_column_and_value() {
        let out = parse(
            "c1,o1,2024-01-02,10.50,books\nc2,o2,2024-13-01,1,x\n   ,o3,2024-01-02,1,x\nc4,o4,2024-01-02\n",
            false,
        );
        assert_eq!(out.rows.len(), 1);
        let msgs: Vec<String> = out.rejected.iter().map(|r| r.error.to_string()).collect();
        assert_eq!(msgs[0], "t.csv:3: column 3 (timestamp): 2024-13-01 is not a calendar date (value \"2024-13-01\")");
        assert_eq!(msgs[1], "t.csv:4: column 1 (customer_id): the customer id is empty (value \"   \")");
        assert_eq!(msgs[2], "t.csv:5: column 4 (amount): the row has 3 columns, the header 5: a field is missing");
        assert_eq!(out.rejected[2].raw, b"c4,o4,2024-01-02");
        let stopped = parse("c1,o1,2024-01-02,x,books\nc2,o2,2024-13-01,1,x\n", true);
        assert_eq!(stopped.rejected.len(), 1);
        assert!(stopped.rejected[0].error.reason.contains("invalid amount"));
    }

    #[test]
    fn platform_amounts_in_a_decimal_comma_locale() {
        let d = |s: &str| String::from_utf8(decimal_comma(s.as_bytes()).into_owned()).unwrap();
        assert_eq!((d("12,34"), d("399,0"), d("-0,25")), ("12.34".into(), "399.0".into(), "-0.25".into()));
        // A thousands separator or a mix stays as written, for the amount parser to refuse.
        assert_eq!(
            (d("1,234"), d("1,234.50"), d("12.34"), d("1,2,3")),
            ("1,234".into(), "1,234.50".into(), "12.34".into(), "1,2,3".into())
        );
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let mut data = b"c\xff1,o1,2024-01-02,1,books\n".to_vec();
        data.extend_from_slice(b"c2,o2,2024-01-02,1,bo\xffoks\n");
        let header =
            vec!["customer_id".into(), "order_id".into(), "timestamp".into(), "amount".into(), "category".into()];
        let layout = Layout::from_header(Preset::Generic, &ColumnNames::default(), header, b',', "t").unwrap();
        let p = RowParser {
            currency: "USD",
            fx: None,
            layout: &layout,
            zone: &Zone::Utc,
            exponent: 2,
            date_order: DateOrder::MonthFirst,
            source: "t",
            stop_at_error: false,
        };
        let out = p.parse(&Chunk { data, first_line: 1 });
        assert_eq!(out.rejected.len(), 2);
        assert!(out.rejected[0].error.reason.contains("not valid UTF-8"));
        assert!(out.rejected[1].error.reason.contains("category is not valid UTF-8"));
    }
}
