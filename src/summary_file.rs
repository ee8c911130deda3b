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

use std::collections::HashMap;
use std::path::Path;

use arrow_array::{Array, RecordBatch};
use rayon::prelude::*;

use crate::clv::TimeUnit;
use crate::day::Day;
use crate::error::{Error, Result};
use crate::ingest::parquet_read::{Cells, ParquetFile};
use crate::lake::{Cell, ColumnType};
use crate::money::Currency;
use crate::rfm::{Cuts, Rfm, RfmOptions};
use crate::summary::{CustomerId, SourceRow, Summaries, Summary, SummarySource};

/// The schema version this build writes and reads.
pub const SUMMARY_VERSION: u32 = 1;

const VERSION_KEY: &str = "retention.summary.version";
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
const TYPES: [ColumnType; 10] = [
    ColumnType::Text,
    ColumnType::Day,
    ColumnType::Day,
    ColumnType::Integer,
    ColumnType::Integer,
    ColumnType::Integer,
    ColumnType::Integer,
    ColumnType::Integer,
    ColumnType::Integer,
    ColumnType::Day,
];

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
    let columns: Vec<(&str, ColumnType)> = COLUMNS.iter().copied().zip(TYPES).collect();
    let metadata = [(VERSION_KEY, SUMMARY_VERSION.to_string())];
    crate::lake::write_list(path, &columns, currency, &metadata, |list| {
        for s in &summaries.customers {
            let name = ids.get(s.customer.get() as usize).map_or("", |n| n.as_str());
            list.push(&[
                Cell::Text(name),
                Cell::Day(s.first_purchase),
                Cell::Day(s.last_purchase),
                Cell::Integer(s.purchase_days as i64),
                Cell::Integer(s.orders as i64),
                Cell::Integer(s.spend),
                Cell::Integer(s.repeat_spend()),
                Cell::Integer(s.returns as i64),
                Cell::Integer(s.returned),
                Cell::Day(summaries.as_of),
            ])?;
        }
        Ok(())
    })?;
    Ok(())
}

/// One row group of one file: the unit the readers work on in parallel.
struct Unit {
    file: usize,
    group: usize,
    /// 0-based number in its file of the group's first row.
    first_row: u64,
}

/// A summary data set (a file or a directory of part files), its footers read and checked once:
/// its currency is known before any row is read (to parse a rules file's amounts, say), and
/// [`read`](SummarySet::read), [`fit_input`](SummarySet::fit_input) and
/// [`rfm`](SummarySet::rfm) read its rows.
pub struct SummarySet {
    path: std::path::PathBuf,
    files: Vec<ParquetFile>,
    /// Per file, the position of each of `COLUMNS`.
    columns: Vec<[usize; 10]>,
    currency: Currency,
    units: Vec<Unit>,
    /// Set once a fold has checked that no customer is in two rows: later folds (streaming RFM
    /// reads twice) skip the fingerprints.
    unique: std::sync::OnceLock<()>,
}

impl SummarySet {
    /// Opens every part and checks its version, currency (`currency` for files without one: Spark
    /// cannot write the key; default USD:2) and columns.
    pub fn open(path: &Path, currency: Option<&Currency>) -> Result<SummarySet> {
        let fallback = currency;
        let mut files = Vec::new();
        let mut columns = Vec::new();
        let mut currency: Option<Currency> = None;
        let mut units = Vec::new();
        for part in crate::ingest::parts::parts(path)? {
            let file = ParquetFile::open(&part.path)?;
            let format = |reason: String| Error::InputFormat { source_name: file.name.clone(), reason };
            // A file without the key (written by Spark) is taken as the version this build reads.
            if let Some(version) = file.metadata_value(VERSION_KEY).filter(|v| v != &SUMMARY_VERSION.to_string()) {
                return Err(format(format!(
                    "summary schema version {version}; this build reads version {SUMMARY_VERSION}"
                )));
            }
            let this = match file.metadata_value(crate::lake::CURRENCY_KEY) {
                None => fallback.cloned().unwrap_or_default(),
                Some(text) => text
                    .parse::<Currency>()
                    .map_err(|_| format(format!("bad {} {text:?}", crate::lake::CURRENCY_KEY)))?,
            };
            match currency.as_ref().or(fallback) {
                Some(c) if *c != this => {
                    return Err(format(format!(
                        "currency {}:{} differs from {}:{} (the first file's, or SummarySet::open(currency))",
                        this.code(),
                        this.exponent(),
                        c.code(),
                        c.exponent()
                    )));
                }
                _ => currency = Some(this),
            }
            let names = file.column_names();
            let mut index = [0usize; COLUMNS.len()];
            for (slot, column) in index.iter_mut().zip(COLUMNS) {
                *slot =
                    names.iter().position(|n| n == column).ok_or_else(|| format(format!("no column {column:?}")))?;
            }
            let mut first_row = 0;
            for group in 0..file.row_groups() {
                units.push(Unit { file: files.len(), group, first_row });
                first_row += file.group_rows(group);
            }
            files.push(file);
            columns.push(index);
        }
        Ok(SummarySet {
            path: path.to_path_buf(),
            files,
            columns,
            currency: currency.unwrap_or_default(),
            units,
            unique: std::sync::OnceLock::new(),
        })
    }

    /// Calls `visit` with every row of `unit`, checked; the first bad row is an error naming the
    /// file, row group, column and row.
    fn scan(&self, unit: &Unit, mut visit: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        let file = &self.files[unit.file];
        let index = &self.columns[unit.file];
        let mut projected: Vec<usize> = index.to_vec();
        projected.sort_unstable();
        let at: Vec<usize> = index.iter().map(|c| projected.iter().position(|p| p == c).unwrap_or(0)).collect();
        let mut row = unit.first_row;
        for batch in file.group_reader(unit.group, &projected, crate::lake::ROW_GROUP)? {
            let batch: RecordBatch = batch.map_err(|e| Error::InputFormat {
                source_name: format!("{}, row group {}", file.name, unit.group),
                reason: format!("cannot decode: {e}"),
            })?;
            let bad = |column: usize, row: u64, reason: &str| Error::InputFormat {
                source_name: format!(
                    "{}: row group {}, column {}, row {}",
                    file.name, unit.group, COLUMNS[column], row
                ),
                reason: reason.into(),
            };
            let mut cells = Vec::with_capacity(COLUMNS.len());
            for (c, &position) in at.iter().enumerate() {
                let cell = Cells::of(batch.column(position), false).map_err(|reason| bad(c, row + 1, &reason))?;
                let fits = match TYPES[c] {
                    ColumnType::Text => matches!(cell, Cells::Utf8(_) | Cells::LargeUtf8(_) | Cells::Utf8View(_)),
                    ColumnType::Day => matches!(cell, Cells::Date32(_)),
                    _ => matches!(cell, Cells::Int(_)),
                };
                if !fits {
                    let wanted = match TYPES[c] {
                        ColumnType::Text => "a string",
                        ColumnType::Day => "a DATE",
                        _ => "an integer",
                    };
                    let found = batch.column(position).data_type().to_string();
                    return Err(bad(c, row + 1, &format!("expected {wanted} column, found {found}")));
                }
                cells.push(cell);
            }
            let mut scratch = String::new();
            for i in 0..batch.num_rows() {
                row += 1;
                let r = Row::read(&cells, i, &mut scratch).map_err(|(c, reason)| bad(c, row, &reason))?;
                visit(&r)?;
            }
        }
        Ok(())
    }
}

/// Days from a first purchase to the as-of day beyond which a row is refused (5,700 years): it
/// keeps x, t_x and T within 21 bits each, so a fit's cell key packs into 64 bits.
const MAX_AGE_DAYS: u32 = (1 << 21) - 1;

/// One checked row.
struct Row<'a> {
    id: &'a str,
    summary: Summary,
    as_of: Day,
}

impl<'s> Row<'s> {
    /// Row `i`, checked: `Err((column, reason))` for a null, a count out of range or an impossible
    /// combination (last purchase before the first or after the as-of day, too few orders).
    fn read(
        cells: &'s [Cells<'_>],
        i: usize,
        scratch: &'s mut String,
    ) -> std::result::Result<Row<'s>, (usize, String)> {
        let id = cells[0].text(i, scratch).map_err(|r| (0, r))?.ok_or((0, "null customer id".to_string()))?;
        let day = |c: usize| -> std::result::Result<i32, (usize, String)> {
            match &cells[c] {
                Cells::Date32(a) if !a.is_null(i) => Ok(a.value(i)),
                _ => Err((c, "null".into())),
            }
        };
        let int = |c: usize| -> std::result::Result<i64, (usize, String)> {
            cells[c].int(i).map_err(|r| (c, r))?.ok_or_else(|| (c, "null".into()))
        };
        let (first, last, as_of) = (day(1)?, day(2)?, day(9)?);
        let (days, orders, revenue, repeat, returns, returned) = (int(3)?, int(4)?, int(5)?, int(6)?, int(7)?, int(8)?);
        let count =
            |c: usize, v: i64| u32::try_from(v).map_err(|_| (c, "not a count (0 to 4,294,967,295)".to_string()));
        let (days_u, orders_u, returns_u) = (count(3, days)?, count(4, orders)?, count(7, returns)?);
        let fail = |c: usize, reason: &str| Err((c, reason.to_string()));
        if first > last {
            return fail(2, "the last purchase is before the first");
        }
        if last > as_of {
            return fail(2, "the last purchase is after the as-of day (t_x > T)");
        }
        if as_of as i64 - first as i64 > MAX_AGE_DAYS as i64 {
            return fail(1, "the first purchase is thousands of years before the as-of day");
        }
        if days_u == 0 || orders_u < days_u {
            return fail(3, "a customer needs a purchase day, and at least as many orders as purchase days");
        }
        if (days_u == 1) != (first == last) || days_u as i64 > (last as i64 - first as i64) + 1 {
            return fail(3, "purchase days do not fit between the first and last purchase");
        }
        if days_u == 1 && repeat != 0 {
            return fail(6, "repeat revenue without a repeat purchase day");
        }
        if revenue < 0 || repeat < 0 || repeat > revenue || returned > 0 {
            return fail(5, "revenue and repeat revenue must be ≥ 0 with repeat ≤ revenue, returns ≤ 0");
        }
        Ok(Row {
            id,
            summary: Summary {
                customer: CustomerId(0),
                first_purchase: Day::from_days(first),
                last_purchase: Day::from_days(last),
                orders: orders_u,
                purchase_days: days_u,
                spend: revenue,
                first_day_spend: revenue - repeat,
                returns: returns_u,
                returned,
            },
            as_of: Day::from_days(as_of),
        })
    }
}

/// The as-of day of the rows so far and the row group of the first: every row must share it.
type AsOf = Option<(Day, usize)>;

/// Checks a row of unit `k` against the as-of day seen so far (taking it when it is the first).
fn same_as_of(set: &SummarySet, seen: &mut AsOf, day: Day, k: usize) -> Result<Day> {
    match *seen {
        None => Ok(seen.insert((day, k)).0),
        Some(first) if first.0 != day => Err(as_of_mismatch(set, first, (day, k))),
        Some(first) => Ok(first.0),
    }
}

/// Merges the as-of day of another run of units into `seen`.
fn merge_as_of(set: &SummarySet, seen: &mut AsOf, other: AsOf) -> Result<()> {
    match (*seen, other) {
        // Named by the later row group, as a row-by-row read would have found it.
        (Some(a), Some(b)) if a.0 != b.0 => {
            let (first, later) = if a.1 < b.1 { (a, b) } else { (b, a) };
            Err(as_of_mismatch(set, first, later))
        }
        (None, _) => {
            *seen = other;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Reads a summary file, or a directory of part files, into [`Summaries`]: customers in file
/// order, internal ids by position. Files without a currency key (Spark cannot write one) are
/// taken to be in `currency` (default USD:2). Every file must have schema version 1, the same currency and
/// the same as-of day; a missing column, a type that is not a string, date or integer where one is
/// expected, a null, an impossible row (last purchase before the first or after the as-of day,
/// counts below what the other columns need) or a customer in two rows is an error naming the
/// file, row group, column and row. Row groups are read in parallel.
///
/// ```
/// use retention::generate::{Shop, ShopConfig};
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// let mut csv = Vec::new();
/// Shop::new(ShopConfig::new(500, 3))?.write_csv(&mut csv).map_err(|e| retention::Error::io("generating", e))?;
/// store.ingest(csv.as_slice(), &Default::default())?;
/// let path = dir.path().join("summaries.parquet");
/// store.write_summaries(None, &path)?;
/// let file = retention::summary_file::read(&path, None)?;
/// assert_eq!(file.summaries.customers.len(), store.summaries(None)?.customers.len());
/// # Ok(()) }
/// ```
pub fn read(path: &Path, currency: Option<&Currency>) -> Result<SummaryFile> {
    SummarySet::open(path, currency)?.read()
}

impl SummarySet {
    /// The currency of the money columns.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// Every customer's summary: see the function [`read`].
    pub fn read(&self) -> Result<SummaryFile> {
        let path = &self.path;
        type Part = (Vec<String>, Vec<Summary>, AsOf);
        let parts: Vec<Part> = self
            .units
            .par_iter()
            .enumerate()
            .map(|(k, unit)| {
                let (mut ids, mut summaries, mut as_of) = (Vec::new(), Vec::new(), None);
                self.scan(unit, |row| {
                    same_as_of(self, &mut as_of, row.as_of, k)?;
                    ids.push(row.id.to_string());
                    summaries.push(row.summary);
                    Ok(())
                })?;
                Ok((ids, summaries, as_of))
            })
            .collect::<Result<_>>()?;
        let mut as_of: AsOf = None;
        for part in &parts {
            merge_as_of(self, &mut as_of, part.2)?;
        }
        let as_of = as_of.map(|(d, _)| d);
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for ((ids, _, _), unit) in parts.iter().zip(&self.units) {
            for (i, id) in ids.iter().enumerate() {
                if seen.insert(id.as_str(), 0).is_some() {
                    return Err(Error::InputFormat {
                        source_name: format!(
                            "{}: row group {}, column customer_id, row {}",
                            self.files[unit.file].name,
                            unit.group,
                            unit.first_row + i as u64 + 1
                        ),
                        reason: format!("customer {id:?} appears twice"),
                    });
                }
            }
        }
        drop(seen);
        let mut out = SummaryFile {
            summaries: Summaries {
                as_of: as_of.unwrap_or_default(),
                customers: Vec::new(),
                data_version: 0,
                counts_only: false,
            },
            ids: Vec::new(),
            currency: self.currency.clone(),
        };
        for (ids, summaries, _) in parts {
            for (id, mut s) in ids.into_iter().zip(summaries) {
                s.customer = CustomerId(out.ids.len() as u32);
                out.ids.push(id);
                out.summaries.customers.push(s);
            }
        }
        if out.ids.is_empty() {
            return Err(Error::InputFormat { source_name: path.display().to_string(), reason: "no summaries".into() });
        }
        Ok(out)
    }
}

impl SummarySet {
    fn place(&self, unit: &Unit) -> String {
        format!("{}: row group {}", self.files[unit.file].name, unit.group)
    }
}

pub use crate::clv::FitInput;

/// Reads what a fit needs from a summary file or a directory of part files without holding the
/// customers: row groups are read in parallel, each folded into counts per (x, t_x, T) and the
/// repeat customers' spend, and merged. Memory is the distinct cells, the repeat customers' spend
/// (16 bytes each) and a 64-bit fingerprint per customer for the duplicate check. Checks every
/// row, and takes the currency, as [`read`] does.
///
/// ```
/// use retention::clv::TimeUnit;
/// use retention::generate::{Shop, ShopConfig};
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// let mut csv = Vec::new();
/// Shop::new(ShopConfig::new(500, 3))?.write_csv(&mut csv).map_err(|e| retention::Error::io("generating", e))?;
/// store.ingest(csv.as_slice(), &Default::default())?;
/// let path = dir.path().join("summaries.parquet");
/// store.write_summaries(None, &path)?;
/// let input = retention::summary_file::fit_input(&path, TimeUnit::Weeks, None)?;
/// assert_eq!(input.counts.customers(), store.summaries(None)?.customers.len() as u64);
/// # Ok(()) }
/// ```
pub fn fit_input(path: &Path, unit: TimeUnit, currency: Option<&Currency>) -> Result<FitInput> {
    SummarySet::open(path, currency)?.fit_input(unit)
}

impl SummarySet {
    /// What a fit needs: see the function [`fit_input`].
    pub fn fit_input(&self, unit: TimeUnit) -> Result<FitInput> {
        FitInput::from_source(self, unit, &self.currency)
    }
}

impl SummarySource for SummarySet {
    /// One part per thread over a contiguous run of row groups (they are of equal size): a few
    /// large folds, each merged once, rather than many small ones. Checks every row as [`read`]
    /// does (one as-of day, each customer once, "no summaries" for an empty set).
    fn fold_parts<T, I, F>(&self, init: I, fold: F) -> Result<(Vec<T>, Option<Day>)>
    where
        T: Send,
        I: Fn() -> T + Sync,
        F: Fn(&mut T, SourceRow<'_>) -> Result<()> + Sync,
    {
        let per_thread = self.units.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
        let check_unique_ids = self.unique.get().is_none();
        let parts: Vec<(T, AsOf, Vec<u64>)> = self
            .units
            .par_chunks(per_thread)
            .enumerate()
            .map(|(chunk, units)| {
                let (mut part, mut as_of, mut ids) = (init(), None, Vec::new());
                for (offset, unit) in units.iter().enumerate() {
                    let k = chunk * per_thread + offset;
                    self.scan(unit, |row| {
                        let day = same_as_of(self, &mut as_of, row.as_of, k)?;
                        if check_unique_ids {
                            ids.push(xxhash_rust::xxh3::xxh3_64(row.id.as_bytes()));
                        }
                        fold(&mut part, SourceRow { summary: &row.summary, as_of: day, id: row.id })
                    })?;
                }
                Ok((part, as_of, ids))
            })
            .collect::<Result<_>>()?;
        let mut as_of: AsOf = None;
        let mut all_ids = Vec::new();
        let mut out = Vec::with_capacity(parts.len());
        for (part, part_as_of, mut ids) in parts {
            merge_as_of(self, &mut as_of, part_as_of)?;
            all_ids.append(&mut ids);
            out.push(part);
        }
        let Some((as_of, _)) = as_of else {
            return Err(Error::InputFormat {
                source_name: self.path.display().to_string(),
                reason: "no summaries".into(),
            });
        };
        if check_unique_ids {
            check_unique(self, all_ids)?;
            let _ = self.unique.set(());
        }
        Ok((out, Some(as_of)))
    }
}

/// Two rows with different as-of days: named by their row groups.
fn as_of_mismatch(set: &SummarySet, first: (Day, usize), other: (Day, usize)) -> Error {
    Error::InputFormat {
        source_name: set.place(&set.units[other.1]),
        reason: format!(
            "as-of day {}, but {} has {}: a summary data set has one as-of day",
            other.0,
            set.place(&set.units[first.1]),
            first.0
        ),
    }
}

/// RFM scores of a summary data set, exact over any number of part files, in two passes over
/// the row groups (each in parallel): the first counts each dimension's values per row group and
/// merges the counts (days, order counts and minor units are integers, so merged counts give the
/// same quantile cuts as sorting every value: [`Cuts::quantiles_of_counts`]); the second scores.
/// Returns the scores (customers numbered by row, as [`read`] numbers them), each customer's id
/// and the currency. Checks every row as [`read`] does; `fixed` cuts replace a dimension's
/// quantiles as in [`Rfm::compute_with`].
///
/// ```
/// use retention::rfm::{Rfm, RfmOptions};
/// use retention::generate::{Shop, ShopConfig};
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("shop"))?;
/// let mut csv = Vec::new();
/// Shop::new(ShopConfig::new(500, 3))?.write_csv(&mut csv).map_err(|e| retention::Error::io("generating", e))?;
/// store.ingest(csv.as_slice(), &Default::default())?;
/// let path = dir.path().join("summaries.parquet");
/// store.write_summaries(None, &path)?;
/// let (rfm, _ids, _) = retention::summary_file::rfm(&path, None, &RfmOptions::default(), [None, None, None])?;
/// assert_eq!(rfm.scores, Rfm::compute(&store.summaries(None)?, &RfmOptions::default())?.scores);
/// # Ok(()) }
/// ```
pub fn rfm(
    path: &Path,
    currency: Option<&Currency>,
    options: &RfmOptions,
    fixed: [Option<Cuts>; 3],
) -> Result<(Rfm, Vec<String>, Currency)> {
    let set = SummarySet::open(path, currency)?;
    let (rfm, ids) = set.rfm(options, fixed)?;
    Ok((rfm, ids, set.currency))
}

impl SummarySet {
    /// RFM scores and each customer's id: see the function [`rfm`].
    pub fn rfm(&self, options: &RfmOptions, fixed: [Option<Cuts>; 3]) -> Result<(Rfm, Vec<String>)> {
        Rfm::from_source(self, options, fixed)
    }
}

/// Fails when a customer id is in two rows, given every row's id fingerprint.
fn check_unique(set: &SummarySet, mut ids: Vec<u64>) -> Result<()> {
    ids.par_sort_unstable();
    let mut equal: Vec<u64> = ids.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    equal.dedup();
    // Equal fingerprints: find the rows, and tell a real duplicate from a 64-bit collision.
    for hash in equal {
        if let Some(e) = duplicate(set, hash)? {
            return Err(e);
        }
    }
    Ok(())
}

/// The error for the second row of a customer whose id has fingerprint `hash`, or `None` when the
/// rows with that fingerprint have different ids.
fn duplicate(set: &SummarySet, hash: u64) -> Result<Option<Error>> {
    let mut seen: Vec<String> = Vec::new();
    for unit in &set.units {
        let mut row = unit.first_row;
        let mut found = None;
        set.scan(unit, |r| {
            row += 1;
            if xxhash_rust::xxh3::xxh3_64(r.id.as_bytes()) == hash {
                if seen.iter().any(|s| s == r.id) && found.is_none() {
                    found = Some(Error::InputFormat {
                        source_name: format!(
                            "{}: row group {}, column customer_id, row {row}",
                            set.files[unit.file].name, unit.group
                        ),
                        reason: format!("customer {:?} appears twice", r.id),
                    });
                }
                seen.push(r.id.to_string());
            }
            Ok(())
        })?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

impl crate::Store {
    /// Writes the summaries as of `as_of` (default: the latest order day) as a summary file
    /// (see the [module](crate::summary_file)); returns the customers written.
    pub fn write_summaries(&self, as_of: Option<Day>, path: &Path) -> Result<u64> {
        let snapshot = self.snapshot();
        let summaries = snapshot.summaries(as_of)?;
        let ids = snapshot.external_ids()?;
        write(path, &summaries, &ids, &self.currency())?;
        Ok(summaries.customers.len() as u64)
    }
}
