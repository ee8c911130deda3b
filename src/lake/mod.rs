//! Data-lake files: Parquet as Spark, DuckDB and DataFusion write it, read into the engine's own
//! values (days, minor units, text) and written from them. Arrow types stay inside this module, so
//! a service linking `retention` never has to match our Arrow version.

mod export;
mod parts;
pub(crate) mod read;
mod write;

pub use parts::{Part, is_parquet, parts};
pub use write::{CURRENCY_KEY, Cell, ColumnType, ListFile, ListWriter, ROW_GROUP, write_list};
