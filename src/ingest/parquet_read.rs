//! Reading Parquet the way every producer writes it: one file opened with the embedded Arrow
//! schema ignored (so Spark, DuckDB, DataFusion and pyarrow files all read as the same plain
//! types), Spark's INT96 timestamps read as microseconds, and typed cells for the engine's values.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::basic::Type as PhysicalType;

use crate::day::{Day, MAX_YEAR, MIN_YEAR};
use crate::error::{Error, Result};
use crate::ingest::fields::{self, DateOrder, Decimal};
use crate::zone::Zone;

/// One Parquet file, its footer read.
pub(crate) struct ParquetFile {
    pub name: String,
    path: std::path::PathBuf,
    metadata: ArrowReaderMetadata,
    /// Per top-level column: stored as Spark's INT96 (an instant, written in UTC).
    int96: Vec<bool>,
}

impl ParquetFile {
    pub(crate) fn open(path: &Path) -> Result<ParquetFile> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(format!("reading {name}"), e))?;
        let unreadable = |e: parquet::errors::ParquetError| Error::InputFormat {
            source_name: name.clone(),
            reason: format!("not a readable Parquet file: {e}"),
        };
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let metadata = ArrowReaderMetadata::load(&file, options.clone()).map_err(unreadable)?;
        let descr = metadata.parquet_schema();
        let mut int96 = vec![false; metadata.schema().fields().len()];
        for leaf in 0..descr.num_columns() {
            let root = descr.get_column_root_idx(leaf);
            if descr.column(leaf).physical_type() == PhysicalType::INT96 && descr.get_column_root(leaf).is_primitive() {
                int96[root] = true;
            }
        }
        // Arrow reads INT96 as nanoseconds, which wrap outside 1677–2262: ask for microseconds.
        let metadata = if int96.contains(&true) {
            let fields: Vec<Field> = metadata
                .schema()
                .fields()
                .iter()
                .zip(&int96)
                .map(|(f, &is96)| {
                    let f = f.as_ref().clone();
                    if is96 { f.with_data_type(DataType::Timestamp(TimeUnit::Microsecond, None)) } else { f }
                })
                .collect();
            let hinted = options.with_schema(Arc::new(Schema::new(fields)));
            ArrowReaderMetadata::try_new(metadata.metadata().clone(), hinted).map_err(unreadable)?
        } else {
            metadata
        };
        Ok(ParquetFile { name, path: path.to_path_buf(), metadata, int96 })
    }

    /// The top-level columns' names.
    pub(crate) fn column_names(&self) -> Vec<String> {
        self.metadata.schema().fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The value of a key in the file's key-value metadata.
    pub(crate) fn metadata_value(&self, key: &str) -> Option<String> {
        let kv = self.metadata.metadata().file_metadata().key_value_metadata()?;
        kv.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone())
    }

    /// The Arrow field of top-level column `column`.
    pub(crate) fn field(&self, column: usize) -> &Field {
        self.metadata.schema().field(column)
    }

    /// The compressed bytes of row group `group`.
    pub(crate) fn group_bytes(&self, group: usize) -> u64 {
        self.metadata.metadata().row_group(group).compressed_size().max(0) as u64
    }

    /// The rows of row group `group`.
    pub(crate) fn group_rows(&self, group: usize) -> u64 {
        self.metadata.metadata().row_group(group).num_rows().max(0) as u64
    }

    pub(crate) fn row_groups(&self) -> usize {
        self.metadata.metadata().num_row_groups()
    }

    pub(crate) fn is_int96(&self, column: usize) -> bool {
        self.int96.get(column).copied().unwrap_or(false)
    }

    /// A reader of row group `group`, only the top-level `columns` (in file order), in batches of
    /// `batch` rows.
    pub(crate) fn group_reader(
        &self,
        group: usize,
        columns: &[usize],
        batch: usize,
    ) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader> {
        self.slice_reader(group, columns, 0, None, batch)
    }

    /// A reader of `rows` rows (all when `None`) of row group `group` from row `offset` of the
    /// group on, only the top-level `columns`, in batches of `batch` rows.
    pub(crate) fn slice_reader(
        &self,
        group: usize,
        columns: &[usize],
        offset: usize,
        rows: Option<usize>,
        batch: usize,
    ) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader> {
        use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
        let bad = |e: parquet::errors::ParquetError| Error::InputFormat {
            source_name: format!("{}, row group {group}", self.name),
            reason: e.to_string(),
        };
        // A file of its own: clones of one `File` share its read position, and readers of
        // different row groups run on different threads.
        let file = File::open(&self.path).map_err(|e| Error::io(format!("reading {}", self.name), e))?;
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone());
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), columns.iter().copied());
        let mut builder = builder.with_projection(mask).with_row_groups(vec![group]).with_batch_size(batch);
        if let Some(rows) = rows {
            builder = builder
                .with_row_selection(RowSelection::from(vec![RowSelector::skip(offset), RowSelector::select(rows)]));
        }
        builder.build().map_err(bad)
    }
}

/// How a timestamp column's values map to days.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Clock {
    /// An instant (UTC-adjusted, or Spark's INT96): its day in the store's zone.
    Instant,
    /// Wall-clock time without a zone (TIMESTAMP_NTZ): its own date, as in a CSV without offset.
    Local,
}

/// One column of a batch, typed once so that reading a row is one match.
pub(crate) enum Cells<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Utf8View(&'a arrow_array::StringViewArray),
    Int(Ints<'a>),
    Float(&'a dyn Array, bool),
    Decimal128(&'a arrow_array::Decimal128Array, i8),
    Decimal256(&'a arrow_array::Decimal256Array, i8),
    Date32(&'a arrow_array::Date32Array),
    Date64(&'a arrow_array::Date64Array),
    Timestamp {
        array: &'a dyn Array,
        values: &'a [i64],
        per_second: i64,
        clock: Clock,
    },
    /// A Hive partition value: the same text on every row (None: null).
    Constant(Option<&'a str>),
}

/// Integer columns of every width.
pub(crate) enum Ints<'a> {
    I8(&'a arrow_array::Int8Array),
    I16(&'a arrow_array::Int16Array),
    I32(&'a arrow_array::Int32Array),
    I64(&'a arrow_array::Int64Array),
    U8(&'a arrow_array::UInt8Array),
    U16(&'a arrow_array::UInt16Array),
    U32(&'a arrow_array::UInt32Array),
    U64(&'a arrow_array::UInt64Array),
}

impl Ints<'_> {
    fn get(&self, i: usize) -> i128 {
        match self {
            Ints::I8(a) => a.value(i) as i128,
            Ints::I16(a) => a.value(i) as i128,
            Ints::I32(a) => a.value(i) as i128,
            Ints::I64(a) => a.value(i) as i128,
            Ints::U8(a) => a.value(i) as i128,
            Ints::U16(a) => a.value(i) as i128,
            Ints::U32(a) => a.value(i) as i128,
            Ints::U64(a) => a.value(i) as i128,
        }
    }
}

impl<'a> Cells<'a> {
    /// Types a column; `int96` says it was stored as INT96. Types the engine cannot read (lists,
    /// structs, booleans, binary) are an error naming the type.
    pub(crate) fn of(array: &'a ArrayRef, int96: bool) -> std::result::Result<Cells<'a>, String> {
        let a = array.as_ref();
        let stamp = |values: &'a [i64], per_second: i64, zone: &Option<Arc<str>>| Cells::Timestamp {
            array: a,
            values,
            per_second,
            clock: if zone.is_some() || int96 { Clock::Instant } else { Clock::Local },
        };
        Ok(match a.data_type() {
            DataType::Utf8 => Cells::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Cells::LargeUtf8(a.as_string::<i64>()),
            DataType::Utf8View => Cells::Utf8View(a.as_string_view()),
            DataType::Int8 => Cells::Int(Ints::I8(a.as_primitive::<Int8Type>())),
            DataType::Int16 => Cells::Int(Ints::I16(a.as_primitive::<Int16Type>())),
            DataType::Int32 => Cells::Int(Ints::I32(a.as_primitive::<Int32Type>())),
            DataType::Int64 => Cells::Int(Ints::I64(a.as_primitive::<Int64Type>())),
            DataType::UInt8 => Cells::Int(Ints::U8(a.as_primitive::<UInt8Type>())),
            DataType::UInt16 => Cells::Int(Ints::U16(a.as_primitive::<UInt16Type>())),
            DataType::UInt32 => Cells::Int(Ints::U32(a.as_primitive::<UInt32Type>())),
            DataType::UInt64 => Cells::Int(Ints::U64(a.as_primitive::<UInt64Type>())),
            DataType::Float32 => Cells::Float(a, false),
            DataType::Float64 => Cells::Float(a, true),
            DataType::Decimal128(_, s) => Cells::Decimal128(a.as_primitive::<Decimal128Type>(), *s),
            DataType::Decimal256(_, s) => Cells::Decimal256(a.as_primitive::<Decimal256Type>(), *s),
            DataType::Date32 => Cells::Date32(a.as_primitive::<Date32Type>()),
            DataType::Date64 => Cells::Date64(a.as_primitive::<Date64Type>()),
            DataType::Timestamp(TimeUnit::Second, z) => stamp(a.as_primitive::<TimestampSecondType>().values(), 1, z),
            DataType::Timestamp(TimeUnit::Millisecond, z) => {
                stamp(a.as_primitive::<TimestampMillisecondType>().values(), 1_000, z)
            }
            DataType::Timestamp(TimeUnit::Microsecond, z) => {
                stamp(a.as_primitive::<TimestampMicrosecondType>().values(), 1_000_000, z)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, z) => {
                stamp(a.as_primitive::<TimestampNanosecondType>().values(), 1_000_000_000, z)
            }
            t => return Err(format!("a column of type {t} cannot be read here")),
        })
    }

    pub(crate) fn is_null(&self, i: usize) -> bool {
        match self {
            Cells::Utf8(a) => a.is_null(i),
            Cells::LargeUtf8(a) => a.is_null(i),
            Cells::Utf8View(a) => a.is_null(i),
            Cells::Int(ints) => match ints {
                Ints::I8(a) => a.is_null(i),
                Ints::I16(a) => a.is_null(i),
                Ints::I32(a) => a.is_null(i),
                Ints::I64(a) => a.is_null(i),
                Ints::U8(a) => a.is_null(i),
                Ints::U16(a) => a.is_null(i),
                Ints::U32(a) => a.is_null(i),
                Ints::U64(a) => a.is_null(i),
            },
            Cells::Float(a, _) => a.is_null(i),
            Cells::Decimal128(a, _) => a.is_null(i),
            Cells::Decimal256(a, _) => a.is_null(i),
            Cells::Date32(a) => a.is_null(i),
            Cells::Date64(a) => a.is_null(i),
            Cells::Timestamp { array, .. } => array.is_null(i),
            Cells::Constant(v) => v.is_none(),
        }
    }

    /// The cell as text: strings as they are, integers in decimal (an id column may be numeric),
    /// `None` for a null. `scratch` holds the digits of a number.
    pub(crate) fn text<'s>(&'s self, i: usize, scratch: &'s mut String) -> std::result::Result<Option<&'s str>, String>
    where
        'a: 's,
    {
        if self.is_null(i) {
            return Ok(None);
        }
        Ok(Some(match self {
            Cells::Utf8(a) => a.value(i),
            Cells::LargeUtf8(a) => a.value(i),
            Cells::Utf8View(a) => a.value(i),
            Cells::Int(ints) => {
                use std::fmt::Write;
                scratch.clear();
                let _ = write!(scratch, "{}", ints.get(i)); // a String cannot fail
                scratch.as_str()
            }
            Cells::Constant(v) => v.unwrap_or_default(),
            _ => return Err(format!("expected text or an integer, found {}", self.type_name())),
        }))
    }

    /// An integer cell as i64 (`None` for a null); an unsigned value beyond i64 is an error.
    #[inline]
    pub(crate) fn int(&self, i: usize) -> std::result::Result<Option<i64>, String> {
        let Cells::Int(ints) = self else {
            return Err(format!("expected an integer, found {}", self.type_name()));
        };
        if self.is_null(i) {
            return Ok(None);
        }
        Ok(Some(match ints {
            Ints::I64(a) => a.value(i),
            Ints::I32(a) => a.value(i) as i64,
            other => i64::try_from(other.get(i)).map_err(|_| "out of range".to_string())?,
        }))
    }

    /// The cell as a store-local day: DATE as it is; TIMESTAMP with a zone (or Spark's INT96) as an
    /// instant in the store's zone; TIMESTAMP without a zone as its own date; text as in a CSV.
    pub(crate) fn day(&self, i: usize, zone: &Zone, order: DateOrder) -> std::result::Result<Option<i32>, String> {
        if self.is_null(i) {
            return Ok(None);
        }
        let day: i64 = match self {
            Cells::Date32(a) => a.value(i) as i64,
            Cells::Date64(a) => a.value(i).div_euclid(86_400_000),
            Cells::Timestamp { values, per_second, clock, .. } => {
                let seconds = values[i].div_euclid(*per_second);
                match clock {
                    Clock::Instant => zone.day_of(seconds),
                    Clock::Local => seconds.div_euclid(86_400),
                }
            }
            Cells::Utf8(_) | Cells::LargeUtf8(_) | Cells::Utf8View(_) | Cells::Constant(_) => {
                let mut scratch = String::new();
                let text = self.text(i, &mut scratch)?.unwrap_or_default();
                return fields::parse_day(text.as_bytes(), zone, order).map(Some);
            }
            _ => return Err(format!("expected a DATE, TIMESTAMP or text, found {}", self.type_name())),
        };
        // Days since 1970 of 1900-01-01 and 2200-12-31: a comparison instead of a calendar per row.
        const FIRST: i64 = -25_567;
        const LAST: i64 = 84_370;
        if !(FIRST..=LAST).contains(&day) {
            return Err(format!("the date is outside the years {MIN_YEAR}..={MAX_YEAR}"));
        }
        Ok(Some(day as i32))
    }

    /// The cell in minor units of a currency with `exponent` decimals, when that needs no
    /// arithmetic beyond a copy: a DECIMAL of exactly that scale within i64, or an integer (which
    /// a money column holds in minor units). `None` sends the caller down the general path.
    #[inline]
    pub(crate) fn minor_units(&self, i: usize, exponent: u8) -> Option<i64> {
        match self {
            Cells::Decimal128(a, s) if *s as i32 == exponent as i32 && !a.is_null(i) => i64::try_from(a.value(i)).ok(),
            Cells::Int(Ints::I64(a)) if !a.is_null(i) => Some(a.value(i)),
            Cells::Int(Ints::I32(a)) if !a.is_null(i) => Some(a.value(i) as i64),
            _ => None,
        }
    }

    /// The cell as an exact decimal: DECIMAL of any width as stored; integers scaled by
    /// `integer_scale` (2 for a money column in cents: integers there are minor units); floats by
    /// their shortest decimal form (0.1 + 0.2 stays 0.30000000000000004, so it is refused as
    /// money rather than rounded); text as in a CSV.
    pub(crate) fn decimal(&self, i: usize, integer_scale: u32) -> std::result::Result<Option<Decimal>, String> {
        if self.is_null(i) {
            return Ok(None);
        }
        let scaled = |mantissa: i128, scale: i8| -> std::result::Result<Decimal, String> {
            if scale >= 0 {
                return Ok(Decimal { mantissa, scale: scale as u32 });
            }
            let factor = 10i128.checked_pow(scale.unsigned_abs() as u32);
            let mantissa = factor.and_then(|f| mantissa.checked_mul(f)).ok_or("the number is too large")?;
            Ok(Decimal { mantissa, scale: 0 })
        };
        Ok(Some(match self {
            Cells::Decimal128(a, s) => scaled(a.value(i), *s)?,
            Cells::Decimal256(a, s) => scaled(a.value(i).to_i128().ok_or("the number is too large")?, *s)?,
            Cells::Int(ints) => Decimal { mantissa: ints.get(i), scale: integer_scale },
            Cells::Float(a, wide) => {
                let v = if *wide {
                    a.as_primitive::<Float64Type>().value(i)
                } else {
                    a.as_primitive::<Float32Type>().value(i) as f64
                };
                let exact = || format!("the float {v} is not an exact decimal amount (store money as DECIMAL)");
                if !v.is_finite() {
                    return Err(exact());
                }
                fields::parse_decimal(format!("{v}").as_bytes()).map_err(|_| exact())?
            }
            Cells::Utf8(_) | Cells::LargeUtf8(_) | Cells::Utf8View(_) | Cells::Constant(_) => {
                let mut scratch = String::new();
                let text = self.text(i, &mut scratch)?.unwrap_or_default();
                fields::parse_decimal(text.as_bytes())?
            }
            _ => return Err(format!("expected a number, found {}", self.type_name())),
        }))
    }

    /// The cell as written, for messages and the rejects file.
    pub(crate) fn display(&self, i: usize) -> String {
        if self.is_null(i) {
            return "null".into();
        }
        let mut scratch = String::new();
        if let Ok(Some(text)) = self.text(i, &mut scratch) {
            return text.to_string();
        }
        match self {
            Cells::Date32(_) | Cells::Date64(_) => self
                .day(i, &Zone::Utc, DateOrder::MonthFirst)
                .ok()
                .flatten()
                .map_or_else(|| "(out of range)".into(), |d| Day::from_days(d).to_string()),
            Cells::Timestamp { values, per_second, .. } => {
                let seconds = values[i].div_euclid(*per_second);
                jiff::Timestamp::from_second(seconds).map_or_else(|_| format!("{seconds} s"), |t| t.to_string())
            }
            Cells::Float(a, wide) => {
                if *wide {
                    a.as_primitive::<Float64Type>().value(i).to_string()
                } else {
                    a.as_primitive::<Float32Type>().value(i).to_string()
                }
            }
            _ => match self.decimal(i, 0) {
                Ok(Some(d)) => d.to_string(),
                _ => String::new(),
            },
        }
    }

    fn type_name(&self) -> String {
        match self {
            Cells::Utf8(_) | Cells::LargeUtf8(_) | Cells::Utf8View(_) | Cells::Constant(_) => "text".into(),
            Cells::Int(_) => "an integer".into(),
            Cells::Float(..) => "a float".into(),
            Cells::Decimal128(..) | Cells::Decimal256(..) => "a DECIMAL".into(),
            Cells::Date32(_) | Cells::Date64(_) => "a DATE".into(),
            Cells::Timestamp { .. } => "a TIMESTAMP".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_outside_1900_to_2200_are_refused() {
        let first = Day::from_ymd(MIN_YEAR, 1, 1).unwrap().days();
        let last = Day::from_ymd(MAX_YEAR, 12, 31).unwrap().days();
        let array: ArrayRef = Arc::new(arrow_array::Date32Array::from(vec![first - 1, first, last, last + 1]));
        let cells = Cells::of(&array, false).unwrap();
        let days: Vec<bool> = (0..4).map(|i| cells.day(i, &Zone::Utc, DateOrder::MonthFirst).is_ok()).collect();
        assert_eq!(days, [false, true, true, false]);
    }

    #[test]
    fn money_in_minor_units_without_arithmetic_only_at_the_currency_scale() {
        let cents: ArrayRef =
            Arc::new(arrow_array::Decimal128Array::from(vec![1234]).with_precision_and_scale(10, 2).unwrap());
        assert_eq!(Cells::of(&cents, false).unwrap().minor_units(0, 2), Some(1234));
        let mills: ArrayRef =
            Arc::new(arrow_array::Decimal128Array::from(vec![1234]).with_precision_and_scale(10, 3).unwrap());
        assert_eq!(Cells::of(&mills, false).unwrap().minor_units(0, 2), None);
        let ints: ArrayRef = Arc::new(arrow_array::Int32Array::from(vec![Some(5), None]));
        let cells = Cells::of(&ints, false).unwrap();
        assert_eq!((cells.minor_units(0, 2), cells.minor_units(1, 2)), (Some(5), None));
    }
}
