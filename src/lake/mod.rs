//! Data-lake files written: lists and the store's export as Parquet that Spark, DuckDB and
//! DataFusion read. Reading Parquet (orders, summary files) sits below, in `ingest/parquet_read.rs`
//! and `ingest/parts.rs`, because the ingest reads it; their dataset helpers are re-exported here.
//! Arrow types stay inside these files, so a service linking `retention` never has to match our
//! Arrow version.

mod export;
mod write;

pub use crate::ingest::parts::{Part, is_parquet, parts};
pub use write::{CURRENCY_KEY, Cell, ColumnType, ListFile, ListWriter, ROW_GROUP, write_list};
