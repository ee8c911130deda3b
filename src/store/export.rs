//! Export: every order in the store as CSV that `retention ingest` reads back into an identical
//! store (a backup that survives format versions). One row per order line, customers in id order
//! so a fresh store assigns the same ids; the `order_key` column carries each order's stored key,
//! so later re-ingests of the shop's own files still upsert the restored orders instead of adding
//! them twice.

use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use super::Store;
use super::categories::Categories;
use super::codec::block::BlockView;
use super::codec::record::Record;
use super::engine::Engine;
use super::keys;
use crate::day::Day;
use crate::error::{Error, Result};

/// The start of an export's first line, which records the store's currency and time zone
/// (`# retention export: currency=USD:2 time_zone=UTC`): a restore checks them.
pub const EXPORT_PREAMBLE: &str = "# retention export: ";
/// The header `Store::export` writes on its second line.
pub const EXPORT_HEADER: &str = "customer_id,order_key,date,amount,category";

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// Customers written.
    pub customers: u64,
    /// Orders written (purchases and returns).
    pub orders: u64,
    /// CSV rows written (one per order line).
    pub rows: u64,
}

impl Store {
    /// Writes every order as CSV (header [`EXPORT_HEADER`]) to `out`: a restorable backup.
    /// Ingesting it into a new store with the same currency and time zone gives the same
    /// customers (ids and external ids), orders (days, amounts, keys), category lines and totals;
    /// only the internal numbering of categories may differ, and categories no order uses any
    /// more (an order re-ingested under another category) are not carried over. The first line
    /// records the store's currency and time zone, and an ingest refuses a store with others.
    ///
    /// ```
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("shop"))?;
    /// let csv = "customer_id,order_id,date,amount,category\na,A-1,2024-01-01,10.00,books\n";
    /// store.ingest(csv.as_bytes(), &retention::IngestOptions::default())?;
    /// let mut backup = Vec::new();
    /// let report = store.export(&mut backup)?;
    /// assert_eq!((report.customers, report.orders), (1, 1));
    /// let copy = retention::Store::open(dir.path().join("copy"))?;
    /// copy.ingest(backup.as_slice(), &retention::IngestOptions::default())?;
    /// assert_eq!(copy.stats()?, store.stats()?);
    /// # Ok(()) }
    /// ```
    pub fn export(&self, out: &mut impl Write) -> Result<ExportReport> {
        let currency = self.currency();
        let io = |e| Error::io("writing the export", e);
        writeln!(out, "{EXPORT_PREAMBLE}{}\n{EXPORT_HEADER}", self.export_settings()).map_err(io)?;
        let mut line = String::new();
        let report = self.export_rows(|row| {
            line.clear();
            line.push_str(&csv_field(row.customer));
            let _ = write!(line, ",{:016x},{},", row.key, row.day); // a String cannot fail
            currency.write(&mut line, row.amount);
            line.push(',');
            line.push_str(&csv_field(row.category));
            line.push('\n');
            out.write_all(line.as_bytes()).map_err(io)
        })?;
        out.flush().map_err(io)?;
        Ok(report)
    }

    /// `currency=CODE:DECIMALS time_zone=ZONE`: what a restore must match.
    pub(crate) fn export_settings(&self) -> String {
        let meta = self.meta();
        format!("currency={}:{} time_zone={}", meta.currency.code(), meta.currency.exponent(), meta.time_zone)
    }

    /// Calls `write` with every export row: customers in id order, each order's lines by category
    /// name (one row with an empty category for an order without lines).
    pub(crate) fn export_rows(&self, mut write: impl FnMut(&ExportRow<'_>) -> Result<()>) -> Result<ExportReport> {
        // One snapshot from the first row to the last, whatever commits meanwhile.
        let snapshot = self.snapshot();
        let (meta, engine) = (snapshot.meta(), snapshot.engine());
        let categories = Categories::load(engine, meta)?;
        let mut report = ExportReport::default();
        for b in 0..meta.block_count() {
            let what = || format!("customer block {b}");
            let block = engine
                .get(&keys::block(b, meta.blocks.get(b)))?
                .ok_or_else(|| Error::corrupt(what(), "block is missing"))?;
            let view = BlockView::parse(block.as_ref()).map_err(|e| Error::corrupt(what(), e.to_string()))?;
            let first = b * meta.block_size as u64;
            let visible = meta.next_id.saturating_sub(first).min(meta.block_size as u64) as u32;
            for i in 0..visible {
                let id = first + i as u64;
                let bytes =
                    view.record(i).ok_or_else(|| Error::corrupt(what(), format!("customer {id} is missing")))?;
                let record =
                    Record::decode(bytes).map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))?;
                if record.lines.iter().any(|l| l.category > categories.len()) {
                    return Err(Error::corrupt(format!("customer {id}"), "category id beyond the dictionary"));
                }
                let customer = String::from_utf8_lossy(&record.external_id);
                report.customers += 1;
                for o in &record.orders {
                    report.orders += 1;
                    let day = Day::from_days(o.day);
                    let mut row = |amount: i64, category: &str| {
                        report.rows += 1;
                        write(&ExportRow { customer: &customer, key: o.fingerprint, day, amount, category })
                    };
                    let lines = record.lines_of(o);
                    if lines.is_empty() {
                        row(o.amount, "")?;
                    }
                    // By name, not by internal id: a restored store numbers categories in another
                    // order, and its export must still be byte-for-byte this one.
                    let mut named: Vec<(&str, i64)> =
                        lines.iter().map(|l| (categories.name(l.category), l.amount)).collect();
                    named.sort_unstable();
                    for (category, amount) in named {
                        row(amount, category)?;
                    }
                }
            }
        }
        Ok(report)
    }
}

/// One row of an export: an order line.
pub(crate) struct ExportRow<'a> {
    pub customer: &'a str,
    pub key: u64,
    pub day: Day,
    pub amount: i64,
    pub category: &'a str,
}

/// Quotes a CSV field when it needs it.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}
