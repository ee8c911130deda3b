//! The Parquet export of a store: every order as typed columns, read back by `retention ingest`
//! as the CSV export is. Here, not in `store`, because it writes through this module.

use std::fmt::Write as _;

use super::{Cell, ColumnType};
use crate::error::Result;
use crate::store::{ExportReport, Store};

impl Store {
    /// Writes every order as a Parquet export at `path` (atomically): the columns of
    /// [`EXPORT_HEADER`](crate::store::EXPORT_HEADER) typed (`date` DATE, `amount` DECIMAL, `category` null when none) and the
    /// store's currency and time zone in the metadata. `retention ingest` reads it back into an
    /// identical store, as it does the CSV export.
    pub fn export_parquet(&self, path: &std::path::Path) -> Result<ExportReport> {
        let columns = [
            ("customer_id", ColumnType::Text),
            ("order_key", ColumnType::Text),
            ("date", ColumnType::Day),
            ("amount", ColumnType::Money),
            ("category", ColumnType::Text),
        ];
        let settings = [(crate::ingest::EXPORT_KEY, self.export_settings())];
        let mut report = ExportReport::default();
        super::write_list(path, &columns, &self.currency(), &settings, |list| {
            let mut key = String::new();
            report = self.export_rows(|row| {
                key.clear();
                let _ = write!(key, "{:016x}", row.key); // a String cannot fail
                let category = if row.category.is_empty() { Cell::Null } else { Cell::Text(row.category) };
                list.push(&[
                    Cell::Text(row.customer),
                    Cell::Text(&key),
                    Cell::Day(row.day),
                    Cell::Money(row.amount),
                    category,
                ])
            })?;
            Ok(())
        })?;
        Ok(report)
    }
}
