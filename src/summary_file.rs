//! Summary files: the per-customer [`Summary`] as Parquet with one versioned schema, written from a
//! store and read back as [`Summaries`], so the summary a Spark job computes from a data lake can
//! be fitted and scored without a store. Arrow types stay inside this module.
//!
//! Schema version 1, one row per customer with a purchase on or before the as-of day:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `customer_id` | string | the shop's customer id |
//! | `first_purchase` | DATE | day of the first purchase |
//! | `last_purchase` | DATE | day of the last purchase on or before `as_of` |
//! | `purchase_days` | integer | distinct days with a purchase (x + 1) |
//! | `orders` | integer | purchase orders |
//! | `revenue` | integer | total of purchase orders, minor units |
//! | `repeat_revenue` | integer | revenue minus that of the first purchase day, minor units |
//! | `returns` | integer | return orders |
//! | `returned` | integer | total of return orders, minor units (zero or negative) |
//! | `as_of` | DATE | the day the summary describes (the same on every row) |
//!
//! The file's key-value metadata holds `retention.summary.version = 1` and
//! `retention.currency = CODE:DECIMALS`. Integers may be 32 or 64 bits; strings Utf8, LargeUtf8 or
//! Utf8View, as Spark, DuckDB and DataFusion write them.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::day::Day;
use crate::error::{Error, Result};
use crate::money::Currency;
use crate::summary::{CustomerId, Summaries, Summary};

/// The schema version this build writes and reads.
pub const SUMMARY_VERSION: u32 = 1;

const VERSION_KEY: &str = "retention.summary.version";
const CURRENCY_KEY: &str = "retention.currency";
const COLUMNS: [&str; 10] = [
    "customer_id",
    "first_purchase",
    "last_purchase",
    "purchase_days",
    "orders",
    "revenue",
    "repeat_revenue",
    "returns",
    "returned",
    "as_of",
];
/// Rows per written row group: big enough for fast reads, small enough for bounded memory.
const ROW_GROUP: usize = 65_536;

/// What a summary file (or a directory of part files) holds.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryFile {
    /// The summaries; customer ids are the rows' positions, in file order.
    pub summaries: Summaries,
    /// Each customer's id as in the shop's data, indexed by [`CustomerId::get`].
    pub ids: Vec<String>,
    /// The currency of the money columns.
    pub currency: Currency,
}

/// Writes `summaries` (with each customer's shop id from `ids`, indexed by internal id) as one
/// zstd-compressed Parquet file of schema version 1, through a temporary file renamed when done.
pub fn write(path: &Path, summaries: &Summaries, ids: &[String], currency: &Currency) -> Result<()> {
    let context = || format!("writing {}", path.display());
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("first_purchase", DataType::Date32, false),
        Field::new("last_purchase", DataType::Date32, false),
        Field::new("purchase_days", DataType::Int64, false),
        Field::new("orders", DataType::Int64, false),
        Field::new("revenue", DataType::Int64, false),
        Field::new("repeat_revenue", DataType::Int64, false),
        Field::new("returns", DataType::Int64, false),
        Field::new("returned", DataType::Int64, false),
        Field::new("as_of", DataType::Date32, false),
    ]));
    let metadata = vec![
        parquet::file::metadata::KeyValue::new(VERSION_KEY.into(), SUMMARY_VERSION.to_string()),
        parquet::file::metadata::KeyValue::new(
            CURRENCY_KEY.into(),
            format!("{}:{}", currency.code(), currency.exponent()),
        ),
    ];
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_key_value_metadata(Some(metadata))
        .build();
    crate::atomic::write_atomically(path, |file| write_batches(file, schema, properties, summaries, ids, &context))
}

fn write_batches(
    file: &File,
    schema: Arc<Schema>,
    properties: WriterProperties,
    summaries: &Summaries,
    ids: &[String],
    context: &dyn Fn() -> String,
) -> Result<()> {
    let parquet_error = |e: parquet::errors::ParquetError| Error::io(context(), std::io::Error::other(e));
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties)).map_err(parquet_error)?;
    for chunk in summaries.customers.chunks(ROW_GROUP) {
        let name = |s: &Summary| ids.get(s.customer.get() as usize).map_or("", |n| n.as_str());
        let days = |f: fn(&Summary) -> Day| Date32Array::from_iter_values(chunk.iter().map(|s| f(s).days()));
        let ints = |f: fn(&Summary) -> i64| Int64Array::from_iter_values(chunk.iter().map(f));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(chunk.iter().map(name))),
            Arc::new(days(|s| s.first_purchase)),
            Arc::new(days(|s| s.last_purchase)),
            Arc::new(ints(|s| s.purchase_days as i64)),
            Arc::new(ints(|s| s.orders as i64)),
            Arc::new(ints(|s| s.spend)),
            Arc::new(ints(|s| s.repeat_spend())),
            Arc::new(ints(|s| s.returns as i64)),
            Arc::new(ints(|s| s.returned)),
            Arc::new(Date32Array::from_iter_values(chunk.iter().map(|_| summaries.as_of.days()))),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| Error::io(context(), std::io::Error::other(e)))?;
        writer.write(&batch).map_err(parquet_error)?;
    }
    writer.close().map_err(parquet_error)?;
    Ok(())
}

/// The Parquet files of `path`: the file itself, or the `*.parquet` files under a directory (in
/// name order, recursing into Hive-style `key=value` folders) without the `_SUCCESS`, `_temporary`
/// and hidden `.crc` files Spark leaves beside them.
pub fn part_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let context = || format!("listing {}", dir.display());
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(context(), e))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io(context(), e))?;
        entries.sort();
        for entry in entries {
            let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            if entry.is_dir() {
                pending.push(entry);
            } else if name.ends_with(".parquet") {
                files.push(entry);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::InputFormat {
            source_name: path.display().to_string(),
            reason: "no .parquet files in this directory".into(),
        });
    }
    Ok(files)
}

/// Reads a summary file, or a directory of part files, into [`Summaries`]: customers in file
/// order, internal ids by position. Every file must have schema version 1, the same currency and
/// the same as-of day; a missing column, a type that is not a string, date or integer where one is
/// expected, a null, an impossible row (last purchase before the first or after the as-of day,
/// counts below what the other columns need) or a customer in two rows is an error naming the
/// file, row group, column and row.
///
/// ```
/// use retention::generate::{Shop, ShopConfig};
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// let mut csv = Vec::new();
/// Shop::new(ShopConfig::new(500, 3))?.write_csv(&mut csv).map_err(|e| retention::Error::io("generating", e))?;
/// store.ingest(csv.as_slice(), &Default::default())?;
/// let path = dir.path().join("summaries.parquet");
/// store.write_summaries(None, &path)?;
/// let file = retention::summary_file::read(&path)?;
/// assert_eq!(file.summaries.customers.len(), store.summaries(None)?.customers.len());
/// # Ok(()) }
/// ```
pub fn read(path: &Path) -> Result<SummaryFile> {
    let mut out: Option<SummaryFile> = None;
    let mut seen: HashSet<String> = HashSet::new();
    for file in part_files(path)? {
        read_part(&file, &mut out, &mut seen)?;
    }
    out.ok_or_else(|| Error::InputFormat { source_name: path.display().to_string(), reason: "no summaries".into() })
}

fn read_part(path: &Path, out: &mut Option<SummaryFile>, seen: &mut HashSet<String>) -> Result<()> {
    let name = path.display().to_string();
    let format = |reason: String| Error::InputFormat { source_name: name.clone(), reason };
    let file = File::open(path).map_err(|e| Error::io(format!("reading {name}"), e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| format(format!("not a readable Parquet file: {e}")))?;
    let metadata = builder.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    let value_of = |key: &str| metadata.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone());
    // A file without the key (written by Spark) is taken as the version this build reads.
    if let Some(version) = value_of(VERSION_KEY).filter(|v| v != &SUMMARY_VERSION.to_string()) {
        return Err(format(format!("summary schema version {version}; this build reads version {SUMMARY_VERSION}")));
    }
    let currency = match value_of(CURRENCY_KEY) {
        None => out.as_ref().map_or_else(Currency::default, |o| o.currency.clone()),
        Some(text) => {
            let (code, decimals) = text.split_once(':').unwrap_or((text.as_str(), "2"));
            let decimals = decimals.parse::<u8>().map_err(|_| format(format!("bad {CURRENCY_KEY} {text:?}")))?;
            Currency::new(code, decimals)?
        }
    };
    let schema = builder.schema().clone();
    let mut index = [0usize; COLUMNS.len()];
    for (slot, column) in index.iter_mut().zip(COLUMNS) {
        *slot = schema.index_of(column).map_err(|_| format(format!("no column {column:?}")))?;
    }
    let groups = builder.metadata().num_row_groups();
    let mut reader_builder = Some(builder);
    for group in 0..groups {
        let builder = match reader_builder.take() {
            Some(b) => b,
            None => ParquetRecordBatchReaderBuilder::try_new(
                File::open(path).map_err(|e| Error::io(format!("reading {name}"), e))?,
            )
            .map_err(|e| format(format!("not a readable Parquet file: {e}")))?,
        };
        let reader = builder
            .with_row_groups(vec![group])
            .with_batch_size(ROW_GROUP)
            .build()
            .map_err(|e| format(format!("row group {group}: {e}")))?;
        let mut row = 0usize;
        for batch in reader {
            let batch = batch.map_err(|e| format(format!("row group {group}: {e}")))?;
            let at = |column: usize, i: usize| {
                format!("{name}, row group {group}, column {}, row {}", COLUMNS[column], row + i + 1)
            };
            let bad = |column: usize, i: usize, reason: &str| Error::InputFormat {
                source_name: at(column, i),
                reason: reason.into(),
            };
            let ids = batch.column(index[0]);
            let mut dates: Vec<Vec<Option<i32>>> = Vec::with_capacity(3);
            for c in [1, 2, 9] {
                dates.push(days_of(batch.column(index[c]).as_ref()).map_err(|t| bad(c, 0, &t))?);
            }
            let mut ints: Vec<Vec<Option<i64>>> = Vec::with_capacity(6);
            for (c, &column) in index.iter().enumerate().take(9).skip(3) {
                ints.push(integers(batch.column(column).as_ref()).map_err(|t| bad(c, 0, &t))?);
            }
            for i in 0..batch.num_rows() {
                let id =
                    text(ids.as_ref(), i).map_err(|t| bad(0, i, &t))?.ok_or_else(|| bad(0, i, "null customer id"))?;
                let get_day = |k: usize, c: usize| dates[k][i].ok_or_else(|| bad(c, i, "null"));
                let (first, last, as_of) = (get_day(0, 1)?, get_day(1, 2)?, get_day(2, 9)?);
                let get_int = |k: usize| ints[k][i].ok_or_else(|| bad(3 + k, i, "null"));
                let (days, orders, revenue, repeat, returns, returned) =
                    (get_int(0)?, get_int(1)?, get_int(2)?, get_int(3)?, get_int(4)?, get_int(5)?);
                let counts =
                    |k: usize, v: i64| u32::try_from(v).map_err(|_| bad(3 + k, i, "not a count (0 to 4,294,967,295)"));
                let (days_u, orders_u, returns_u) = (counts(0, days)?, counts(1, orders)?, counts(4, returns)?);
                if first > last {
                    return Err(bad(2, i, "the last purchase is before the first"));
                }
                if last > as_of {
                    return Err(bad(2, i, "the last purchase is after the as-of day (t_x > T)"));
                }
                if days_u == 0 || orders_u < days_u {
                    return Err(bad(
                        3,
                        i,
                        "a customer needs a purchase day, and at least as many orders as purchase days",
                    ));
                }
                if (days_u == 1) != (first == last) || days_u as i64 > (last as i64 - first as i64) + 1 {
                    return Err(bad(3, i, "purchase days do not fit between the first and last purchase"));
                }
                if days_u == 1 && repeat != 0 {
                    return Err(bad(6, i, "repeat revenue without a repeat purchase day"));
                }
                if revenue < 0 || repeat < 0 || repeat > revenue || returned > 0 {
                    return Err(bad(5, i, "revenue and repeat revenue must be ≥ 0 with repeat ≤ revenue, returns ≤ 0"));
                }
                let as_of = Day::from_days(as_of);
                let target = out.get_or_insert_with(|| SummaryFile {
                    summaries: Summaries { as_of, customers: Vec::new(), data_version: 0 },
                    ids: Vec::new(),
                    currency: currency.clone(),
                });
                if target.summaries.as_of != as_of {
                    return Err(bad(
                        9,
                        i,
                        &format!("a different as-of day than the first row's {}", target.summaries.as_of),
                    ));
                }
                if target.currency != currency {
                    return Err(format(format!("currency {:?} differs from the first file's", currency.code())));
                }
                if !seen.insert(id.to_string()) {
                    return Err(bad(0, i, &format!("customer {id:?} appears twice")));
                }
                let customer = CustomerId(target.ids.len() as u32);
                target.ids.push(id.to_string());
                target.summaries.customers.push(Summary {
                    customer,
                    first_purchase: Day::from_days(first),
                    last_purchase: Day::from_days(last),
                    orders: orders_u,
                    purchase_days: days_u,
                    spend: revenue,
                    first_day_spend: revenue - repeat,
                    returns: returns_u,
                    returned,
                });
            }
            row += batch.num_rows();
        }
    }
    Ok(())
}

/// Row `i` of a string column of any of Arrow's three string layouts.
fn text(column: &dyn Array, i: usize) -> std::result::Result<Option<&str>, String> {
    if column.is_null(i) {
        return Ok(None);
    }
    Ok(Some(match column.data_type() {
        DataType::Utf8 => column.as_string::<i32>().value(i),
        DataType::LargeUtf8 => column.as_string::<i64>().value(i),
        DataType::Utf8View => column.as_string_view().value(i),
        t => return Err(format!("expected a string column, found {t}")),
    }))
}

/// A DATE column as days since 1970-01-01 (None for nulls).
fn days_of(column: &dyn Array) -> std::result::Result<Vec<Option<i32>>, String> {
    match column.data_type() {
        DataType::Date32 => Ok(column.as_primitive::<Date32Type>().iter().collect()),
        t => Err(format!("expected a DATE column, found {t}")),
    }
}

/// An integer column (32 or 64 bits) as i64 (None for nulls).
fn integers(column: &dyn Array) -> std::result::Result<Vec<Option<i64>>, String> {
    match column.data_type() {
        DataType::Int64 => Ok(column.as_primitive::<Int64Type>().iter().collect()),
        DataType::Int32 => Ok(column.as_primitive::<Int32Type>().iter().map(|v| v.map(i64::from)).collect()),
        t => Err(format!("expected an integer column, found {t}")),
    }
}

impl crate::Store {
    /// Writes the summaries as of `as_of` (default: the latest order day) as a summary file
    /// (see the [module](crate::summary_file)); returns the customers written.
    pub fn write_summaries(&self, as_of: Option<Day>, path: &Path) -> Result<u64> {
        let summaries = self.summaries(as_of)?;
        let ids = self.external_ids()?;
        write(path, &summaries, &ids, &self.currency())?;
        Ok(summaries.customers.len() as u64)
    }
}
