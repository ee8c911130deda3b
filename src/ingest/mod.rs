//! Ingest: order rows in, purchase vectors out. Pass 1 streams the input in chunks, parses them in
//! parallel, validates every row and resolves customer ids into a compact spool; nothing touches the
//! store until the whole input is known to be good. Pass 2 (`commit`) merges the spool into the
//! customer blocks in ascending id order, one atomic batch at a time.
//!
//! Semantics (see the README): lines with the same (customer, order id) in one ingest are one
//! order; orders are upserted by (customer, order id), so re-ingesting changes nothing; a row
//! without an order id is its own order with an id derived from its content and occurrence.

mod chunk;
pub(crate) mod commit;
mod decompress;
pub mod fields;
pub mod format;
mod fx;
#[cfg(feature = "parquet")]
mod parquet;
#[cfg(feature = "parquet")]
pub(crate) mod parquet_read;
mod parse;
#[cfg(feature = "parquet")]
pub(crate) mod parts;
pub(crate) mod spool;
mod workbook;

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

pub use fields::DateOrder;
pub use format::{ColumnNames, Preset};
pub use fx::FxRates;
#[cfg(feature = "parquet")]
pub(crate) use parquet::EXPORT_KEY;

use crate::error::{Error, InputError, Result};
use crate::store::Store;
use crate::store::categories::Categories;
use crate::store::ids::IdIndex;
use crate::store::meta::Meta;
use chunk::{Chunk, Chunker};
use decompress::Packing;
use format::{ExportSettings, Layout};
use parse::{ParsedChunk, Rejected, RowParser};
use spool::{NO_CATEGORY, Spool, SpoolRow};

/// Called with progress while an ingest reads and commits.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How far an ingest has come.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// Reading a source.
    Reading {
        /// The source's name.
        source: String,
        /// Bytes read so far.
        bytes: u64,
        /// The source's size, when known.
        total: Option<u64>,
        /// Rows parsed so far.
        rows: u64,
    },
    /// Merging and writing customer records.
    Writing {
        /// Rows merged so far.
        rows: u64,
        /// Rows to merge.
        total: u64,
    },
}

/// How to read the input and what to do with bad rows.
///
/// ```
/// use retention::{ColumnNames, DateOrder, IngestOptions, Preset};
/// let options = IngestOptions::default()
///     .preset(Preset::Generic)
///     .columns(ColumnNames::default().customer("email".to_string()))
///     .delimiter(b';')
///     .date_order(DateOrder::DayFirst)
///     .skip_invalid(true);
/// assert_eq!(options.delimiter, Some(b';'));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct IngestOptions {
    /// The input layout (default [`Preset::Generic`]).
    pub preset: Preset,
    /// Header names overriding the preset's.
    pub columns: ColumnNames,
    /// Field delimiter for CSV presets (default `,`).
    pub delimiter: Option<u8>,
    /// How to read slash dates (`03/04/2024`).
    pub date_order: DateOrder,
    /// Ingest the valid rows and report the bad ones instead of rejecting the whole input.
    pub skip_invalid: bool,
    /// Write each row set aside and its reason to this CSV file: rejected rows (with
    /// `skip_invalid`; without it the first one fails the ingest) and unattributed platform orders.
    pub rejects: Option<PathBuf>,
    /// Name used for the input in messages when reading from a reader (default `<input>`).
    pub source_name: Option<String>,
    /// Spool bytes kept in memory before sorted runs spill to temporary files (default 512 MiB).
    pub memory_budget: usize,
    /// Progress callback (the CLI draws a bar with it).
    pub progress: Option<ProgressFn>,
    /// The sheet of a spreadsheet workbook to read (default: the first); matched exactly, then
    /// ignoring case.
    pub sheet: Option<String>,
    /// Rates to convert a platform export's orders in other currencies at (default none: they
    /// are excluded and counted per currency).
    pub fx: Option<std::sync::Arc<FxRates>>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            preset: Preset::Generic,
            columns: ColumnNames::default(),
            delimiter: None,
            date_order: DateOrder::MonthFirst,
            skip_invalid: false,
            rejects: None,
            source_name: None,
            memory_budget: 512 << 20,
            progress: None,
            sheet: None,
            fx: None,
        }
    }
}

crate::options::setters! {
    IngestOptions {
        /// Sets the input layout.
        preset: Preset,
        /// Sets the header names overriding the preset's.
        columns: ColumnNames,
        /// Sets how slash dates are read.
        date_order: DateOrder,
        /// Sets whether the valid rows are ingested and the bad ones reported instead of failing.
        skip_invalid: bool,
        /// Sets the spool bytes kept in memory before sorted runs spill to temporary files.
        memory_budget: usize,
    }
    optional {
        /// Sets the field delimiter of CSV presets.
        delimiter: u8,
        /// Writes each row set aside and its reason to this CSV file.
        rejects: PathBuf,
        /// Sets the name used for the input in messages when reading from a reader.
        source_name: String,
        /// Sets the progress callback.
        progress: ProgressFn,
        /// Reads this sheet of a spreadsheet workbook.
        sheet: String,
        /// Converts a platform export's orders in other currencies at these rates.
        fx: Arc<FxRates>,
    }
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestOptions")
            .field("preset", &self.preset)
            .field("columns", &self.columns)
            .field("delimiter", &self.delimiter.map(char::from))
            .field("date_order", &self.date_order)
            .field("skip_invalid", &self.skip_invalid)
            .field("rejects", &self.rejects)
            .field("memory_budget", &self.memory_budget)
            .field("sheet", &self.sheet)
            .field("fx", &self.fx.as_ref().map(|r| r.currencies()))
            .finish_non_exhaustive()
    }
}

/// What an ingest did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IngestReport {
    /// Data rows read (valid, rejected and skipped; headers and blank lines not counted).
    pub rows_read: u64,
    /// Rows rejected as invalid (only with `skip_invalid`; otherwise the ingest fails).
    pub rows_rejected: u64,
    /// Rows skipped by the preset's rules (line items without a customer id).
    pub rows_skipped: u64,
    /// Amounts written with binary floating-point noise (`118.22999999999999`, as spreadsheets and
    /// pandas write them), read as the currency amount within 1e-9 of them.
    pub amounts_denoised: u64,
    /// Orders the store did not have.
    pub orders_new: u64,
    /// Orders the store had with different content, now replaced.
    pub orders_updated: u64,
    /// Orders the store already had exactly.
    pub orders_unchanged: u64,
    /// Return orders (negative total) among the orders ingested.
    pub returns: u64,
    /// Customers the store did not have.
    pub customers_new: u64,
    /// Categories the store did not have.
    pub categories_new: u64,
    /// Sorted runs spilled to temporary files (0 when the spool fit the memory budget).
    pub spilled_runs: u64,
    /// Wall time from start to the durable flush.
    #[serde(serialize_with = "serialize_secs")]
    pub elapsed: Duration,
    /// Per source: the layout it was read in and the column each role came from.
    pub sources: Vec<SourceLayout>,
    /// The first rejected rows (at most [`REJECTED_EXAMPLES`]), each with its file, line, column,
    /// value and reason.
    pub rejected_examples: Vec<InputError>,
    /// Nothing was written: a dry run ([`Ingest::dry_run`]) counted what the ingest would do.
    pub dry_run: bool,
    /// Orders of a platform export left out, by reason ([`Exclusion`]'s words).
    pub orders_excluded: std::collections::BTreeMap<String, u64>,
    /// Stored orders that a later export excluded (cancelled since), now removed.
    pub orders_removed: u64,
    /// Orders in another currency than the store's, per currency code (not converted).
    pub other_currencies: std::collections::BTreeMap<String, u64>,
    /// Orders in another currency converted at the rates given ([`IngestOptions::fx`]), per
    /// currency code.
    pub orders_converted: std::collections::BTreeMap<String, u64>,
    /// Orders with neither a customer id nor an e-mail: counted, never merged into an invented
    /// customer.
    pub orders_unattributed: u64,
    /// The first unattributed orders (at most [`REJECTED_EXAMPLES`]): file, line and order id.
    /// All of them go to the rejects file when one is written.
    pub unattributed_examples: Vec<InputError>,
    /// Platform orders of which only line rows arrived (their order row rejected, or in a file
    /// not read in this ingest): left as they are in the store, not stored at 0.
    pub orders_incomplete: u64,
    /// The store holds purchase counts only: the input had no amount column (an event log of
    /// customer and date), so money figures are absent (see [`Store::counts_only`]).
    pub counts_only: bool,
}

/// Why an order in a platform export is not a purchase (the platforms' own reports leave these
/// out): counted in [`IngestReport::orders_excluded`], never stored, and removed from the store
/// when an earlier export had put it there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Exclusion {
    /// Cancelled by the shop or the customer.
    Cancelled,
    /// Voided before payment (Shopify `voided`).
    Voided,
    /// The payment failed (Stripe `Failed`, WooCommerce `failed`).
    Failed,
    /// A checkout that was never finished (Stripe `requires_payment_method`, WooCommerce
    /// `pending`, Shopify `expired`).
    Unfinished,
    /// A test order (Shopify's Bogus Gateway).
    Test,
    /// In a currency other than the store's (counted per currency in
    /// [`IngestReport::other_currencies`]).
    OtherCurrency,
}

/// Every [`Exclusion`], in the order of their codes.
pub(crate) const EXCLUSIONS: [Exclusion; 6] = [
    Exclusion::Cancelled,
    Exclusion::Voided,
    Exclusion::Failed,
    Exclusion::Unfinished,
    Exclusion::Test,
    Exclusion::OtherCurrency,
];

impl Exclusion {
    /// Its code in a spooled row ([`spool::EXCLUDED`] + this).
    pub(crate) fn code(self) -> u8 {
        EXCLUSIONS.iter().position(|e| *e == self).unwrap_or(0) as u8
    }

    /// The exclusion of a code from [`Exclusion::code`].
    pub(crate) fn of_code(code: u8) -> Exclusion {
        EXCLUSIONS[usize::from(code).min(EXCLUSIONS.len() - 1)]
    }
}

/// What a platform order was counted as by its order rows, for [`State::counted_orders`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Counted {
    Unattributed,
    OtherCurrency,
    Converted,
    /// Excluded, and naming no customer (never spooled, so counted here).
    ExcludedUnattributed,
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Exclusion::Cancelled => "cancelled",
            Exclusion::Voided => "voided",
            Exclusion::Failed => "failed payment",
            Exclusion::Unfinished => "unfinished checkout",
            Exclusion::Test => "test order",
            Exclusion::OtherCurrency => "other currency",
        })
    }
}

/// Rejected rows an [`IngestReport`] keeps as examples.
pub const REJECTED_EXAMPLES: usize = 10;

/// How one source was read: what a user checks first when the numbers look wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceLayout {
    /// The source's name.
    pub source: String,
    /// The preset's name (`generic`, `line-items`, …).
    pub layout: String,
    /// The layout was recognised from the header, not asked for with `IngestOptions::preset`.
    pub detected: bool,
    /// `(role, column)`: customer, order, date, amount (or quantity and unit price), category.
    pub columns: Vec<(String, String)>,
}

fn serialize_secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl IngestReport {
    /// Rows read per second of wall time.
    pub fn rows_per_second(&self) -> f64 {
        self.rows_read as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// An ingest in progress: feed it sources with [`Ingest::read`], then [`Ingest::commit`]. Dropping
/// it without committing leaves the store untouched. It holds the store's write lock.
///
/// ```
/// # fn main() -> retention::Result<()> {
/// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
/// let store = retention::Store::open(dir.path().join("s"))?;
/// let mut ingest = store.begin_ingest(&retention::IngestOptions::default())?;
/// ingest.read("jan.csv", "customer_id,timestamp,amount\na,2024-01-03,5\n".as_bytes())?;
/// ingest.read("feb.csv", "customer_id,timestamp,amount\nb,2024-02-03,7\n".as_bytes())?;
/// let report = ingest.commit()?;
/// assert_eq!((report.rows_read, report.customers_new), (2, 2));
/// # Ok(()) }
/// ```
pub struct Ingest<'s> {
    _writer: MutexGuard<'s, ()>,
    state: State<'s>,
}

/// Everything an ingest accumulates; apart from the lock guard so it can cross threads.
struct State<'s> {
    store: &'s Store,
    options: IngestOptions,
    /// The committed metadata the ingest started from (its own copy: a snapshot would keep the
    /// values this ingest replaces from being collected).
    meta: Meta,
    ids: IdIndex,
    categories: Categories,
    spool: Spool,
    rejects: Option<csv::Writer<BufWriter<File>>>,
    report: IngestReport,
    started: Instant,
    abs_total: u128,
    failed: bool,
    /// Platform orders counted as unattributed or in another currency, so an order of several
    /// rows (a per-product export repeats the order's fields) is counted once.
    counted_orders: std::collections::HashSet<(Counted, u64)>,
    /// Platform rows that add no order (an exclusion, a further line item) of customers not yet
    /// known: spooled at the end if another row made the customer known, otherwise only counted,
    /// so a customer whose every order was excluded is never created.
    held: Vec<Held>,
    /// Orders of held rows dropped: excluded by reason, and incomplete (only line rows).
    dropped_exclusions: std::collections::BTreeMap<String, u64>,
    dropped_incomplete: u64,
    /// Whether this ingest's inputs have no amounts (set by the first input read).
    counts_only: Option<bool>,
    /// The sources read, for messages about the ingest as a whole.
    sources: Vec<String>,
}

impl Store {
    /// Ingests one source (CSV or whitespace text per `options.preset`) and commits it.
    ///
    /// The whole input is validated before anything is written: with a bad row (and without
    /// `skip_invalid`) the error names the source, line, column and value, and the store is
    /// unchanged. On success the data is durable when this returns.
    pub fn ingest<R: Read + Send>(&self, reader: R, options: &IngestOptions) -> Result<IngestReport> {
        let mut ingest = self.begin_ingest(options)?;
        let name = options.source_name.clone().unwrap_or_else(|| "<input>".into());
        ingest.read(&name, reader)?;
        ingest.commit()
    }

    /// Ingests several files as one ingest (an order's lines may span files; all or nothing).
    pub fn ingest_files<P: AsRef<Path>>(&self, paths: &[P], options: &IngestOptions) -> Result<IngestReport> {
        let mut ingest = self.begin_ingest(options)?;
        for p in paths {
            ingest.read_file(p.as_ref())?;
        }
        ingest.commit()
    }

    /// Starts an ingest: takes the write lock and loads the id map and categories.
    pub fn begin_ingest(&self, options: &IngestOptions) -> Result<Ingest<'_>> {
        let guard = self.inner().write_lock.lock().unwrap_or_else(|p| p.into_inner());
        // An earlier write of this process may have failed half way (a full disk): rolled back
        // before anything else, as a crash's leftovers were when the store opened.
        self.settle()?;
        let meta = (*self.meta()).clone();
        let rejects = match &options.rejects {
            Some(path) => {
                let file = File::create(path).map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
                let mut w = csv::Writer::from_writer(BufWriter::new(file));
                w.write_record(["source", "line", "column", "reason", "row"])
                    .map_err(|e| Error::io(format!("writing {}", path.display()), e.into()))?;
                Some(w)
            }
            None => None,
        };
        let engine = &self.inner().engine;
        Ok(Ingest {
            _writer: guard,
            state: State {
                store: self,
                options: options.clone(),
                ids: IdIndex::load(engine, &meta)?,
                categories: Categories::load(engine, &meta)?,
                meta,
                spool: Spool::new(options.memory_budget),
                rejects,
                report: IngestReport::default(),
                started: Instant::now(),
                abs_total: 0,
                failed: false,
                counted_orders: Default::default(),
                held: Vec::new(),
                dropped_exclusions: Default::default(),
                dropped_incomplete: 0,
                counts_only: None,
                sources: Vec::new(),
            },
        })
    }
}

/// A platform row held until the end of the ingest (see `State::held`).
struct Held {
    row: parse::ParsedRow,
    customer: Vec<u8>,
    category: Option<Vec<u8>>,
}

/// Chunks parsed in parallel per round: enough to keep every core busy.
fn chunks_per_round() -> usize {
    rayon::current_num_threads() * 2
}

impl Ingest<'_> {
    /// Reads a file (its path is the name in messages): CSV or text per the preset, or Parquet (a
    /// file that starts with Parquet's magic bytes, or a directory of part files as Spark, DuckDB
    /// and DataFusion write them; `key=value` folder names supply columns the files lack).
    pub fn read_file(&mut self, path: &Path) -> Result<()> {
        self.state.read_file(path)
    }

    /// Reads one source; `source_name` names it in messages.
    pub fn read<R: Read + Send>(&mut self, source_name: &str, reader: R) -> Result<()> {
        self.state.read_sized(source_name, reader, None)
    }

    /// Writes everything read so far into the store and flushes it to disk.
    pub fn commit(self) -> Result<IngestReport> {
        self.state.commit(false)
    }

    /// Everything [`commit`](Self::commit) would report (orders new, updated and unchanged
    /// against the store as it is, customers and categories new, rows rejected with examples),
    /// with nothing written: what a dry run shows before a user commits to an
    /// export. An input whose every row was rejected is reported, not refused.
    ///
    /// ```
    /// # fn main() -> retention::Result<()> {
    /// # let dir = tempfile::tempdir().map_err(|e| retention::Error::io("creating a temporary directory", e))?;
    /// let store = retention::Store::open(dir.path().join("s"))?;
    /// let mut ingest = store.begin_ingest(&retention::IngestOptions::default())?;
    /// ingest.read("jan.csv", "customer_id,timestamp,amount\na,2024-01-03,5\n".as_bytes())?;
    /// let report = ingest.dry_run()?;
    /// assert_eq!((report.orders_new, report.customers_new), (1, 1));
    /// assert_eq!(store.stats()?.orders, 0);
    /// # Ok(()) }
    /// ```
    pub fn dry_run(self) -> Result<IngestReport> {
        self.state.commit(true)
    }
}

impl State<'_> {
    fn read_file(&mut self, path: &Path) -> Result<()> {
        let name = path.display().to_string();
        #[cfg(feature = "parquet")]
        if parts::is_parquet(path) {
            return self.guarded(&name, |state| state.read_parquet(path));
        }
        let file = File::open(path).map_err(|e| Error::io(format!("opening {name}"), e))?;
        let total = file.metadata().ok().map(|m| m.len());
        self.read_sized(&name, file, total)
    }

    fn read_sized<R: Read + Send>(&mut self, source_name: &str, reader: R, total: Option<u64>) -> Result<()> {
        self.guarded(source_name, |state| state.read_inner(source_name, reader, total))
    }

    /// Reads a source unless an earlier one failed; a failure marks the ingest failed, so that
    /// nothing of it can be committed.
    fn guarded(&mut self, source_name: &str, read: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        if self.failed {
            return Err(Error::invalid("ingest", source_name, "an earlier source of this ingest failed"));
        }
        self.sources.push(source_name.to_string());
        let result = read(self);
        self.failed = result.is_err();
        result
    }

    fn read_inner<R: Read + Send>(&mut self, source: &str, reader: R, total: Option<u64>) -> Result<()> {
        let (packing, reader) = decompress::unpack(reader).map_err(|e| Error::io(format!("reading {source}"), e))?;
        let (reader, total): (Box<dyn Read + Send>, _) = match packing {
            Packing::Plain => (reader, total),
            Packing::Gzip | Packing::Zstd => (reader, None), // the file's size is not the text's
            Packing::Zip | Packing::Ole2 => {
                // A workbook is read whole (its sheets are compressed XML or OLE2 streams), one
                // sheet written out as CSV text for the same layouts and rules as any CSV file.
                let mut bytes = Vec::new();
                let mut reader = reader;
                reader.read_to_end(&mut bytes).map_err(|e| Error::io(format!("reading {source}"), e))?;
                let delimiter = self.options.delimiter.unwrap_or(b',');
                let csv = workbook::sheet_as_csv(&bytes, self.options.sheet.as_deref(), delimiter, source)?;
                let len = csv.len() as u64;
                (Box::new(std::io::Cursor::new(csv)), Some(len))
            }
        };
        let quoted = self.options.preset != Preset::Cdnow;
        let mut chunker = Chunker::new(reader, source, quoted);
        let Some(mut first) = chunker.next_chunk()? else {
            return Err(Error::InputFormat { source_name: source.into(), reason: "the input is empty".into() });
        };
        let layout = self.layout(source, &mut first)?;
        if let Some(e) = &layout.export {
            self.check_export(source, e)?;
        }
        self.check_counts(source, &layout)?;
        self.report.sources.push(SourceLayout {
            source: source.to_string(),
            layout: layout.preset.to_string(),
            detected: layout.detected,
            columns: layout.mapping(),
        });
        let store = self.store;
        let currency = self.meta.currency.code().to_string();
        let fx = self.options.fx.clone();
        let parser = RowParser {
            layout: &layout,
            zone: &store.inner().zone,
            exponent: self.meta.currency.exponent(),
            currency: &currency,
            fx: fx.as_deref(),
            date_order: self.options.date_order,
            source,
            stop_at_error: !self.options.skip_invalid,
        };
        let mut first = Some(first);
        let next = move || match first.take() {
            Some(chunk) => Ok(Some((chunk, chunker.bytes_read()))),
            None => Ok(chunker.next_chunk()?.map(|c| (c, chunker.bytes_read()))),
        };
        self.parse_stream(source, total, next, |chunk| parser.parse(chunk))
    }

    /// The parsing pipeline of every input format: a reader thread produces pieces (chunks of
    /// text, Parquet batches) with the bytes read so far; the cores parse a round of pieces while
    /// the previous round is resolved in input order; the channel bounds what is in flight.
    fn parse_stream<T: Send + Sync>(
        &mut self,
        source: &str,
        total: Option<u64>,
        mut next: impl FnMut() -> Result<Option<(T, u64)>> + Send,
        parse: impl Fn(&T) -> ParsedChunk + Sync,
    ) -> Result<()> {
        let progress = self.options.progress.clone();
        let rows_before = self.report.rows_read;
        std::thread::scope(|scope| {
            let (tx, rx) = sync_channel::<Result<(T, u64)>>(chunks_per_round() * 2);
            scope.spawn(move || {
                while let Some(item) = next().transpose() {
                    let stop = item.is_err();
                    if tx.send(item).is_err() || stop {
                        break;
                    }
                }
            });
            let mut parsed_prev: Option<Vec<ParsedChunk>> = None;
            let mut bytes = 0;
            loop {
                let mut round = Vec::with_capacity(chunks_per_round());
                for item in rx.iter() {
                    let (piece, read) = item?;
                    bytes = read;
                    round.push(piece);
                    if round.len() == chunks_per_round() {
                        break;
                    }
                }
                if round.is_empty() && parsed_prev.is_none() {
                    return Ok(());
                }
                let (parsed, absorbed) = rayon::join(
                    || round.par_iter().map(&parse).collect::<Vec<_>>(),
                    || parsed_prev.take().map_or(Ok(()), |p| p.into_iter().try_for_each(|c| self.absorb(source, c))),
                );
                absorbed?;
                parsed_prev = (!parsed.is_empty()).then_some(parsed);
                if let Some(f) = &progress {
                    f(&Progress::Reading {
                        source: source.to_string(),
                        bytes,
                        total,
                        rows: self.report.rows_read - rows_before,
                    });
                }
            }
        })
    }

    /// A store holds amounts or, when its first ingest was an event log without them, purchase
    /// counts only; one ingest and one store never mix the two (0 would read as "free").
    pub(super) fn check_counts(&mut self, source: &str, layout: &Layout) -> Result<()> {
        let counts = layout.value == format::Value::Count;
        let store_has = (self.meta.next_id > 0).then_some(self.meta.counts_only);
        let reason = match (store_has.or(self.counts_only), counts) {
            (Some(false), true) => format!(
                "no amount column (the header has: {}), and {} amounts: purchase counts without \
                 amounts go into a store of their own",
                layout.names.join(", "),
                if store_has.is_some() { "the store holds" } else { "an earlier input of this ingest has" }
            ),
            (Some(true), false) => format!(
                "this input has amounts and {} purchase counts only (no amounts): an input with \
                 amounts goes into a store of its own",
                if store_has.is_some() { "the store holds" } else { "an earlier input of this ingest has" }
            ),
            _ => {
                self.counts_only = Some(counts);
                return Ok(());
            }
        };
        Err(Error::InputFormat { source_name: source.into(), reason })
    }

    /// An export restores only into a store with its currency and time zone.
    fn check_export(&self, source: &str, e: &ExportSettings) -> Result<()> {
        let ours = ExportSettings {
            currency: format!("{}:{}", self.meta.currency.code(), self.meta.currency.exponent()),
            time_zone: self.meta.time_zone.clone(),
        };
        if *e == ours {
            return Ok(());
        }
        Err(Error::InputFormat {
            source_name: source.into(),
            reason: format!(
                "this export was written by a store in {} ({}), this store is {} ({}): restore it into a new store \
                 created with currency {} and time zone {} (StoreOptions::currency, StoreOptions::time_zone)",
                e.currency, e.time_zone, ours.currency, ours.time_zone, e.currency, e.time_zone
            ),
        })
    }

    /// Works out the layout from the start of the input, removing a header from `first`.
    fn layout(&self, source: &str, first: &mut Chunk) -> Result<Layout> {
        layout_of(&self.options, source, first)
    }

    /// Resolves ids and categories of a parsed chunk and spools its rows, in input order.
    fn absorb(&mut self, source: &str, chunk: ParsedChunk) -> Result<()> {
        if let Some(e) = chunk.error {
            return Err(*e);
        }
        self.report.rows_read += chunk.seen;
        self.report.rows_skipped += chunk.skipped;
        self.report.amounts_denoised += chunk.denoised;
        for &(code, key) in &chunk.excluded {
            if self.counted_orders.insert((Counted::ExcludedUnattributed, key)) {
                let reason = Exclusion::of_code(code);
                *self.dropped_exclusions.entry(reason.to_string()).or_default() += 1;
            }
        }
        for (code, key) in &chunk.converted {
            if self.counted_orders.insert((Counted::Converted, *key)) {
                *self.report.orders_converted.entry(code.clone()).or_default() += 1;
            }
        }
        for (code, key) in &chunk.other_currencies {
            if self.counted_orders.insert((Counted::OtherCurrency, *key)) {
                *self.report.other_currencies.entry(code.clone()).or_default() += 1;
            }
        }
        for rejected in &chunk.rejected {
            if !self.options.skip_invalid {
                return Err(rejected.error.clone().into());
            }
            self.report.rows_rejected += 1;
            if self.report.rejected_examples.len() < REJECTED_EXAMPLES {
                self.report.rejected_examples.push(rejected.error.clone());
            }
            self.write_reject(rejected)?;
        }
        for order in &chunk.unattributed {
            if !self.counted_orders.insert((Counted::Unattributed, order.key)) {
                continue;
            }
            self.report.orders_unattributed += 1;
            if self.report.unattributed_examples.len() < REJECTED_EXAMPLES {
                self.report.unattributed_examples.push(order.error.clone());
            }
            self.write_reject(order)?;
        }
        // Each lookup is a cache miss or two in a table of millions. Customers known before this
        // chunk are found in parallel (read-only); only the rest take the serial path that assigns
        // ids in input order. Measured on 1M customers: see BENCHMARKS.md.
        let ids = &self.ids;
        let known: Vec<Option<u32>> = chunk
            .rows
            .par_iter()
            .with_min_len(4096)
            .map(|row| ids.find(row.customer_hash, chunk.str_at(row.customer)))
            .collect();
        for (row, known) in chunk.rows.iter().zip(known) {
            let id = match known {
                Some(id) => id,
                None if row.kind >= spool::PART => match self.ids.find(row.customer_hash, chunk.str_at(row.customer)) {
                    Some(id) => id,
                    None => {
                        self.held.push(Held {
                            row: *row,
                            customer: chunk.str_at(row.customer).to_vec(),
                            category: row.category.map(|c| chunk.str_at(c).to_vec()),
                        });
                        continue;
                    }
                },
                None => self.ids.resolve(row.customer_hash, chunk.str_at(row.customer))?.0,
            };
            let category = match row.category {
                None => NO_CATEGORY,
                Some(range) => self.categories.resolve_bytes(chunk.str_at(range))?,
            };
            // Bounding the sum of |amount| bounds every order total and every sum the store forms
            // (a PART row's amount is a weight, never summed).
            if row.kind != spool::PART {
                self.abs_total += row.amount.unsigned_abs() as u128;
            }
            if self.abs_total > i64::MAX as u128 {
                return Err(InputError {
                    source_name: source.to_string(),
                    line: row.line,
                    row_group: chunk.row_group,
                    column: None,
                    value: None,
                    reason: "the amounts of this input add up to more than 64-bit minor units can hold".into(),
                }
                .into());
            }
            self.spool.push(SpoolRow {
                key: row.key,
                amount: row.amount,
                id,
                category,
                day: row.day,
                auto: row.auto,
                kind: row.kind,
            })?;
        }
        Ok(())
    }

    /// Spools the held rows of customers that became known; counts the others' orders as
    /// excluded (by reason) or incomplete, once per customer and order, as the merge would.
    fn spool_held(&mut self) -> Result<()> {
        let mut dropped: std::collections::HashMap<(u64, u64), u8> = std::collections::HashMap::new();
        for h in std::mem::take(&mut self.held) {
            let Some(id) = self.ids.find(h.row.customer_hash, &h.customer) else {
                let kind = dropped.entry((h.row.customer_hash, h.row.key)).or_insert(h.row.kind);
                *kind = (*kind).max(h.row.kind);
                continue;
            };
            let category = match &h.category {
                None => NO_CATEGORY,
                Some(c) => self.categories.resolve_bytes(c)?,
            };
            let r = h.row;
            self.spool.push(SpoolRow {
                key: r.key,
                amount: r.amount,
                id,
                category,
                day: r.day,
                auto: r.auto,
                kind: r.kind,
            })?;
        }
        for kind in dropped.into_values() {
            match kind.checked_sub(spool::EXCLUDED) {
                Some(code) => {
                    let reason = Exclusion::of_code(code);
                    *self.dropped_exclusions.entry(reason.to_string()).or_default() += 1;
                }
                None => self.dropped_incomplete += 1,
            }
        }
        Ok(())
    }

    /// Writes a row to the rejects file, when there is one.
    fn write_reject(&mut self, rejected: &Rejected) -> Result<()> {
        let Some(w) = &mut self.rejects else { return Ok(()) };
        let e = &rejected.error;
        w.write_record([
            e.source_name.as_bytes(),
            e.line.to_string().as_bytes(),
            e.column.as_deref().unwrap_or("").as_bytes(),
            e.reason.as_bytes(),
            &rejected.raw,
        ])
        .map_err(|e| Error::io("writing the rejects file", e.into()))
    }

    fn commit(mut self, dry_run: bool) -> Result<IngestReport> {
        if self.failed {
            return Err(Error::invalid("ingest", "", "a source of this ingest failed; nothing was written"));
        }
        if let Some(mut w) = self.rejects.take() {
            w.flush().map_err(|e| Error::io("writing the rejects file", e))?;
        }
        // Skipping invalid rows is for a few bad ones: an input of nothing but bad rows is the
        // wrong layout or the wrong flags, and "0 orders ingested" must not pass for success.
        if !dry_run && self.report.rows_read > 0 && self.report.rows_rejected == self.report.rows_read {
            let first = self.report.rejected_examples.first().map_or_else(String::new, |e| format!("; the first: {e}"));
            return Err(Error::InputFormat {
                source_name: self.sources.join(", "),
                reason: format!(
                    "every one of the {} rows was rejected, so nothing was written (is this the right layout?){first}",
                    self.report.rows_read
                ),
            });
        }
        self.spool_held()?;
        self.report.spilled_runs = self.spool.runs() as u64;
        // The first ingest into an empty store decides whether it holds amounts.
        let mut before = self.meta.clone();
        if before.next_id == 0 && self.spool.len() > 0 {
            before.counts_only = self.counts_only == Some(true);
        }
        self.report.counts_only = before.counts_only;
        let committed = commit::commit(
            self.store,
            &before,
            &self.ids,
            &self.categories,
            self.spool,
            &mut self.report,
            commit::Run { progress: self.options.progress.as_ref(), dry_run },
        );
        match committed {
            Ok(None) => {}
            Ok(Some(meta)) => self.store.after_write(Ok(meta))?,
            Err(e) if dry_run => return Err(e),
            Err(e) => self.store.after_write(Err(e))?,
        }
        for (reason, n) in std::mem::take(&mut self.dropped_exclusions) {
            *self.report.orders_excluded.entry(reason).or_default() += n;
        }
        self.report.orders_incomplete += self.dropped_incomplete;
        self.report.dry_run = dry_run;
        self.report.elapsed = self.started.elapsed();
        Ok(self.report)
    }
}

/// Works out the layout from the start of the input, removing a header from `first`.
pub(crate) fn layout_of(options: &IngestOptions, source: &str, first: &mut Chunk) -> Result<Layout> {
    if options.preset == Preset::Cdnow {
        return cdnow_layout(source, first);
    }
    let delimiter = options.delimiter.unwrap_or(b',');
    let export = take_export_preamble(source, first)?;

    let (names, consumed) = {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(&first.data[..]);
        let mut header = csv::ByteRecord::new();
        let found = reader.read_byte_record(&mut header).map_err(|e| Error::InputFormat {
            source_name: source.into(),
            reason: format!("cannot read the header: {e}"),
        })?;
        if !found {
            return Err(Error::InputFormat {
                source_name: source.into(),
                reason: "the input has no header line".into(),
            });
        }
        let names = header
            .iter()
            .map(|h| std::str::from_utf8(h).map(str::to_string))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| Error::InputFormat {
                source_name: source.into(),
                reason: "the header is not valid UTF-8".into(),
            })?;
        (names, reader.position().clone())
    };
    let mut layout = Layout::from_header(options.preset, &options.columns, names, delimiter, source)?;
    // Order keys are read raw only from an export: in a shop's own file a column that happens to be
    // called order_key holds order ids.
    layout.order_is_key = export.is_some() && layout.names.join(",") == crate::store::EXPORT_HEADER;
    if export.is_some() && !layout.order_is_key {
        return Err(Error::InputFormat {
            source_name: source.into(),
            reason: format!("a retention export must have the header {}", crate::store::EXPORT_HEADER),
        });
    }
    layout.export = export;
    first.data.drain(..consumed.byte() as usize);
    first.first_line += consumed.line() - 1;
    Ok(layout)
}

/// The store settings an export was written with (its first line, see `Store::export`), removed
/// from `first`; `None` for any other input.
fn take_export_preamble(source: &str, first: &mut Chunk) -> Result<Option<ExportSettings>> {
    let Some(rest) = first.data.strip_prefix(crate::store::EXPORT_PREAMBLE.as_bytes()) else {
        return Ok(None);
    };
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let bad = || Error::InputFormat {
        source_name: source.into(),
        reason: "the first line of a retention export is damaged: expected currency=CODE:DECIMALS time_zone=ZONE"
            .into(),
    };
    let line = std::str::from_utf8(&rest[..end]).map_err(|_| bad())?;
    let settings = ExportSettings::parse(line).ok_or_else(bad)?;
    let consumed = crate::store::EXPORT_PREAMBLE.len() + (end + 1).min(rest.len());
    first.data.drain(..consumed);
    first.first_line += 1;
    Ok(Some(settings))
}

/// CDNOW: skip an optional header line, then count the columns of the first row.
fn cdnow_layout(source: &str, first: &mut Chunk) -> Result<Layout> {
    let tokens = |line: &[u8]| line.split(|c| c.is_ascii_whitespace()).filter(|f| !f.is_empty()).count();
    let first_token_numeric = |line: &[u8]| {
        line.split(|c| c.is_ascii_whitespace())
            .find(|f| !f.is_empty())
            .is_some_and(|f| f.iter().all(u8::is_ascii_digit))
    };
    let mut offset = 0;
    for (i, line) in first.data.split_inclusive(|&c| c == b'\n').enumerate() {
        if tokens(line) == 0 {
            offset += line.len();
            continue;
        }
        if !first_token_numeric(line) {
            // A header such as "customer_id date number_of_cds dollar_value": drop it.
            let end = offset + line.len();
            first.data.drain(..end);
            first.first_line += i as u64 + 1;
            return cdnow_rows(source, first);
        }
        return Layout::cdnow(tokens(line), source);
    }
    Layout::cdnow(4, source)
}

fn cdnow_rows(source: &str, rest: &Chunk) -> Result<Layout> {
    let width = rest
        .data
        .split(|&c| c == b'\n')
        .map(|line| line.split(|c| c.is_ascii_whitespace()).filter(|f| !f.is_empty()).count())
        .find(|&n| n > 0)
        .unwrap_or(4);
    Layout::cdnow(width, source)
}

/// Parses arbitrary bytes as an input of `preset` exactly as an ingest does (chunking, header and
/// layout, every row), without a store: the fuzz target for the row parsers. Checks the parser's
/// bookkeeping (every row seen is parsed, rejected or skipped; every range it returns is inside
/// its text) and returns the rows parsed, or the error that stopped the input.
pub(crate) fn fuzz_parse(preset: Preset, data: &[u8]) -> Result<u64> {
    let options = IngestOptions { preset, skip_invalid: true, ..IngestOptions::default() };
    let quoted = preset != Preset::Cdnow;
    let mut chunker = Chunker::new(data, "fuzz", quoted);
    let Some(mut first) = chunker.next_chunk()? else {
        return Err(Error::InputFormat { source_name: "fuzz".into(), reason: "the input is empty".into() });
    };
    let layout = layout_of(&options, "fuzz", &mut first)?;
    let zone = crate::zone::Zone::Utc;
    let parser = RowParser {
        layout: &layout,
        zone: &zone,
        exponent: 2,
        currency: "USD",
        fx: None,
        date_order: options.date_order,
        source: "fuzz",
        stop_at_error: false,
    };
    let mut rows = 0;
    let mut next = Some(first);
    while let Some(chunk) = next.take().map_or_else(|| chunker.next_chunk(), |c| Ok(Some(c)))? {
        let parsed = parser.parse(&chunk);
        assert_eq!(
            parsed.seen,
            parsed.rows.len() as u64 + parsed.rejected.len() as u64 + parsed.skipped,
            "every row is parsed, rejected or skipped"
        );
        for row in &parsed.rows {
            let _ = parsed.str_at(row.customer);
            if let Some(range) = row.category {
                let _ = parsed.str_at(range);
            }
        }
        rows += parsed.rows.len() as u64;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit that fails in a long-lived process (a full disk) leaves id-map entries and blocks
    /// of its generation on disk; they must be rolled back before ids are handed out again, or
    /// an unknown customer resolves to someone else's record.
    #[test]
    fn an_ingest_after_a_failed_commit_in_process_clears_its_debris() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s")).unwrap();
        let ingest = |csv: &str| store.ingest(csv.as_bytes(), &IngestOptions::default());
        ingest("customer_id,timestamp,amount\na,2024-01-01,1\n").unwrap();
        // The id-map batch lands, the first batch of blocks fails and so does everything after it
        // (the roll-back too, so the next ingest is the one that finds the debris).
        store.inner().engine.faults.fail_in(1, true);
        let failed = ingest("customer_id,timestamp,amount\nx1,2024-01-02,5\nx2,2024-01-02,5\nx3,2024-01-02,5\n");
        assert!(failed.unwrap_err().to_string().contains("injected write failure"));
        store.inner().engine.faults.heal();
        ingest("customer_id,timestamp,amount\nb1,2024-01-03,7\nb2,2024-01-03,7\n").unwrap();
        assert!(store.customer("x1").unwrap().is_none(), "x1 resolved to another customer's record");
        assert!(store.customer("x2").unwrap().is_none());
        let b2 = store.customer("b2").unwrap().unwrap();
        assert_eq!((b2.external_id.as_str(), b2.orders.len()), ("b2", 1));
        assert_eq!(store.stats().unwrap().customers, 3);
        assert_eq!(store.external_ids().unwrap(), ["a", "b1", "b2"]);
    }
}
