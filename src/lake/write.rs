//! Lists as Parquet: rows of typed cells (text, days, money, scores) written in row groups with the
//! currency in the file's metadata, so Spark, DuckDB and pandas read dates as DATE, money as
//! DECIMAL and scores as DOUBLE without parsing text.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::day::Day;
use crate::error::{Error, Result};
use crate::money::Currency;

/// Rows per row group: large enough for fast scans, small enough to keep the writer's memory flat.
pub const ROW_GROUP: usize = 65_536;
/// The metadata key holding the money columns' currency, `CODE:DECIMALS` (`USD:2`).
pub const CURRENCY_KEY: &str = "retention.currency";
/// Money columns are DECIMAL(18, decimals): stored as 64-bit integers, read by every engine.
const MONEY_PRECISION: u8 = 18;

/// The type of a column of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// A calendar day (Parquet DATE).
    Day,
    /// An amount in minor units, written as DECIMAL(18, the currency's decimals).
    Money,
    /// A score or estimate (DOUBLE).
    Float,
    /// A count or rank (INT64).
    Integer,
}

/// One value of a row; [`Cell::Null`] for a value that does not exist (a customer without a CLV).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    /// Text.
    Text(&'a str),
    /// A day.
    Day(Day),
    /// Minor units of the list's currency.
    Money(i64),
    /// A float.
    Float(f64),
    /// An integer.
    Integer(i64),
    /// No value.
    Null,
}

enum Builder {
    Text(StringBuilder),
    Day(Date32Builder),
    Money(Decimal128Builder),
    Float(Float64Builder),
    Integer(Int64Builder),
}

/// Writes a list as Parquet, one row at a time, in row groups of [`ROW_GROUP`] rows (zstd).
///
/// ```
/// use retention::lake::{Cell, ColumnType, ListWriter};
/// # fn main() -> retention::Result<()> {
/// let mut file = Vec::new();
/// let columns = [("customer", ColumnType::Text), ("spend", ColumnType::Money), ("p_alive", ColumnType::Float)];
/// let mut list = ListWriter::new(&mut file, &columns, &retention::Currency::default(), &[])?;
/// list.push(&[Cell::Text("ann"), Cell::Money(12_50), Cell::Float(0.93)])?;
/// list.push(&[Cell::Text("bob"), Cell::Money(7_00), Cell::Null])?;
/// assert_eq!(list.finish()?, 2);
/// assert_eq!(&file[..4], b"PAR1");
/// # Ok(()) }
/// ```
pub struct ListWriter<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    builders: Vec<Builder>,
    pending: usize,
    rows: u64,
}

impl<W: Write + Send> ListWriter<W> {
    /// A writer of `columns` (name, type) with the currency of the money columns and further
    /// key-value pairs in the file's metadata.
    pub fn new(
        out: W,
        columns: &[(&str, ColumnType)],
        currency: &Currency,
        metadata: &[(&str, String)],
    ) -> Result<ListWriter<W>> {
        let decimals = currency.exponent() as i8;
        let fields: Vec<Field> = columns
            .iter()
            .map(|&(name, kind)| {
                let data_type = match kind {
                    ColumnType::Text => DataType::Utf8,
                    ColumnType::Day => DataType::Date32,
                    ColumnType::Money => DataType::Decimal128(MONEY_PRECISION, decimals),
                    ColumnType::Float => DataType::Float64,
                    ColumnType::Integer => DataType::Int64,
                };
                Field::new(name, data_type, true)
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let mut pairs = vec![KeyValue::new(CURRENCY_KEY.into(), format!("{}:{}", currency.code(), decimals))];
        pairs.extend(metadata.iter().map(|(k, v)| KeyValue::new(k.to_string(), v.clone())));
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .set_key_value_metadata(Some(pairs))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(properties)).map_err(write_error)?;
        let builders = columns
            .iter()
            .map(|&(_, kind)| {
                Ok(match kind {
                    ColumnType::Text => Builder::Text(StringBuilder::new()),
                    ColumnType::Day => Builder::Day(Date32Builder::new()),
                    ColumnType::Money => Builder::Money(
                        Decimal128Builder::new()
                            .with_precision_and_scale(MONEY_PRECISION, decimals)
                            .map_err(|e| Error::io("writing Parquet", std::io::Error::other(e)))?,
                    ),
                    ColumnType::Float => Builder::Float(Float64Builder::new()),
                    ColumnType::Integer => Builder::Integer(Int64Builder::new()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ListWriter { writer, schema, builders, pending: 0, rows: 0 })
    }

    /// Appends a row: one cell per column, of the column's type or [`Cell::Null`].
    pub fn push(&mut self, row: &[Cell<'_>]) -> Result<()> {
        if row.len() != self.builders.len() {
            return Err(Error::invalid(
                "ListWriter::push(row)",
                row.len().to_string(),
                "a row needs one cell per column",
            ));
        }
        for (i, (builder, cell)) in self.builders.iter_mut().zip(row).enumerate() {
            match (builder, *cell) {
                (Builder::Text(b), Cell::Text(v)) => b.append_value(v),
                (Builder::Day(b), Cell::Day(v)) => b.append_value(v.days()),
                (Builder::Money(b), Cell::Money(v)) => {
                    if v.unsigned_abs() >= 10u64.pow(MONEY_PRECISION as u32) {
                        return Err(Error::invalid(
                            "ListWriter::push(row)",
                            v.to_string(),
                            "more than 18 digits of minor units do not fit the DECIMAL(18) money column",
                        ));
                    }
                    b.append_value(v as i128)
                }
                (Builder::Float(b), Cell::Float(v)) => b.append_value(v),
                (Builder::Integer(b), Cell::Integer(v)) => b.append_value(v),
                (Builder::Text(b), Cell::Null) => b.append_null(),
                (Builder::Day(b), Cell::Null) => b.append_null(),
                (Builder::Money(b), Cell::Null) => b.append_null(),
                (Builder::Float(b), Cell::Null) => b.append_null(),
                (Builder::Integer(b), Cell::Null) => b.append_null(),
                (_, cell) => {
                    return Err(Error::invalid(
                        "cell",
                        format!("{cell:?}"),
                        format!("does not match the type of column {}", self.schema.field(i).name()),
                    ));
                }
            }
        }
        self.pending += 1;
        self.rows += 1;
        if self.pending == ROW_GROUP { self.flush() } else { Ok(()) }
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Day(b) => Arc::new(b.finish()),
                    Builder::Money(b) => Arc::new(b.finish()),
                    Builder::Float(b) => Arc::new(b.finish()),
                    Builder::Integer(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| Error::io("writing Parquet", std::io::Error::other(e)))?;
        self.writer.write(&batch).map_err(write_error)?;
        self.pending = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the rows written.
    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.writer.close().map_err(write_error)?;
        Ok(self.rows)
    }
}

fn write_error(e: parquet::errors::ParquetError) -> Error {
    Error::io("writing Parquet", std::io::Error::other(e))
}

/// A list being written as a Parquet file that appears at its path only when finished (see
/// [`AtomicFile`](crate::AtomicFile)): an error, or dropping it, leaves no half-written file.
pub struct ListFile {
    list: ListWriter<File>,
    file: crate::AtomicFile,
}

impl ListFile {
    /// Starts the list at `path` (see [`ListWriter::new`] for the arguments).
    pub fn create(
        path: &Path,
        columns: &[(&str, ColumnType)],
        currency: &Currency,
        metadata: &[(&str, String)],
    ) -> Result<ListFile> {
        let file = crate::AtomicFile::create(path)?;
        let handle = file.file().try_clone().map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(ListFile { list: ListWriter::new(handle, columns, currency, metadata)?, file })
    }

    /// Appends a row (see [`ListWriter::push`]).
    pub fn push(&mut self, row: &[Cell<'_>]) -> Result<()> {
        self.list.push(row).map_err(|e| self.named(e))
    }

    /// Writes the footer and puts the file in place; returns the rows written.
    pub fn finish(self) -> Result<u64> {
        let rows = self.list.finish().map_err(|e| named(e, self.file.path()))?;
        self.file.commit()?;
        Ok(rows)
    }

    fn named(&self, e: Error) -> Error {
        named(e, self.file.path())
    }
}

/// Names the file in a write error.
fn named(e: Error, path: &Path) -> Error {
    match e {
        Error::Io { source, .. } => Error::io(format!("writing {}", path.display()), source),
        other => other,
    }
}

/// Writes a list to `path` through `fill`, atomically (see [`ListFile`]); returns the rows
/// written.
pub fn write_list(
    path: &Path,
    columns: &[(&str, ColumnType)],
    currency: &Currency,
    metadata: &[(&str, String)],
    fill: impl FnOnce(&mut ListFile) -> Result<()>,
) -> Result<u64> {
    let mut list = ListFile::create(path, columns, currency, metadata)?;
    fill(&mut list)?;
    list.finish()
}
