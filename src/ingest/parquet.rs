//! Parquet orders: the same column mapping, validation and all-or-nothing commit as CSV, read row
//! group by row group with bounded memory. A reader thread decodes batches of the columns the
//! layout uses; the cores turn them into parsed rows; ids are resolved in file order, so a Parquet
//! file and a CSV of the same rows build the same store.

use std::path::Path;

use arrow_array::{ArrayRef, RecordBatch};

use super::State;
use super::fields::DateOrder;
use super::format::{ExportSettings, Layout, Preset, Value};
use super::parse::{self, ParsedChunk, ParsedRow, Rejected};
use crate::error::{Error, InputError, Result};
use crate::ingest::parquet_read::{Cells, ParquetFile};
use crate::ingest::parts::{self, Part};
use crate::zone::Zone;

/// The key-value metadata key that marks a Parquet export and holds its store settings.
pub(crate) const EXPORT_KEY: &str = "retention.export";
/// Rows decoded and parsed as one piece: a few MB of parsed rows per core, however large the
/// writer made its row groups.
const PIECE_ROWS: usize = 131_072;

impl State<'_> {
    /// Reads a Parquet file or a directory of part files: every part's schema is mapped and
    /// checked first, then all parts' rows stream through one pipeline in file order.
    pub(super) fn read_parquet(&mut self, path: &Path) -> Result<()> {
        let plans = parts::parts(path)?.iter().map(|part| self.plan(part)).collect::<Result<Vec<_>>>()?;
        for plan in &plans {
            self.check_counts(&plan.file.name, &plan.layout)?;
        }
        let store = self.store;
        let parsers: Vec<BatchParser<'_>> = plans
            .iter()
            .map(|plan| BatchParser {
                layout: &plan.layout,
                used: &plan.used,
                sources: &plan.sources,
                zone: &store.inner().zone,
                exponent: self.meta.currency.exponent(),
                date_order: self.options.date_order,
                source: &plan.file.name,
                stop_at_error: !self.options.skip_invalid,
            })
            .collect();
        // Pieces of at most PIECE_ROWS rows are decoded and parsed on all cores; the reader
        // thread only hands out their descriptions, in file order.
        let mut pieces = Vec::new();
        let mut bytes = 0u64;
        for (part, plan) in plans.iter().enumerate() {
            let file = &plan.file;
            let mut first_row = 0u64;
            for group in 0..file.row_groups() {
                let rows = file.group_rows(group) as usize;
                let group_bytes = file.group_bytes(group);
                let mut offset = 0;
                while offset < rows {
                    let len = (rows - offset).min(PIECE_ROWS);
                    bytes += group_bytes * len as u64 / rows as u64;
                    pieces.push((Piece { part, group, offset, rows: len, whole: len == rows, first_row }, bytes));
                    first_row += len as u64;
                    offset += len;
                }
            }
        }
        let mut pieces = pieces.into_iter();
        let next = move || Ok(pieces.next());
        let source = path.display().to_string();
        self.parse_stream(&source, Some(bytes), next, |piece| {
            let plan = &plans[piece.part];
            parsers[piece.part].parse(&plan.file, &plan.projected, piece)
        })
    }

    /// Maps one part's columns to the layout and checks their types.
    fn plan(&self, part: &Part) -> Result<PartPlan> {
        let file = ParquetFile::open(&part.path)?;
        let source = file.name.clone();
        if self.options.preset == Preset::Cdnow {
            return Err(Error::InputFormat {
                source_name: source,
                reason: "the cdnow preset reads whitespace-separated text; a Parquet file names its columns, \
                         read it with the generic preset"
                    .into(),
            });
        }
        let mut names = file.column_names();
        let in_file = names.len();
        for (key, _) in &part.partition {
            if !names.contains(key) {
                names.push(key.clone());
            }
        }
        let mut layout = Layout::from_header(self.options.preset, &self.options.columns, names, b',', &source)?;
        if let Some(line) = file.metadata_value(EXPORT_KEY) {
            let settings = ExportSettings::parse(&line).ok_or_else(|| Error::InputFormat {
                source_name: source.clone(),
                reason: format!("the {EXPORT_KEY} metadata is damaged: {line:?}"),
            })?;
            layout.order_is_key = layout.names.join(",") == crate::store::EXPORT_HEADER;
            if !layout.order_is_key {
                return Err(Error::InputFormat {
                    source_name: source,
                    reason: format!("a retention export must have the columns {}", crate::store::EXPORT_HEADER),
                });
            }
            self.check_export(&source, &settings)?;
        }
        let used = used_columns(&layout);
        let projected: Vec<usize> = used.iter().copied().filter(|&c| c < in_file).collect();
        // Where each layout column comes from: a position in the decoded batch, or a folder name.
        let sources: Vec<Origin> = (0..layout.width())
            .map(|c| match projected.iter().position(|&p| p == c) {
                Some(at) => Origin::Batch { at, int96: file.is_int96(c) },
                None => Origin::Partition(
                    part.partition.iter().find(|(k, _)| *k == layout.names[c]).and_then(|(_, v)| v.clone()),
                ),
            })
            .collect();
        check_types(&file, &layout, &used, &sources)?;
        Ok(PartPlan { file, layout, used, projected, sources })
    }
}

/// How one part file is read.
struct PartPlan {
    file: ParquetFile,
    layout: Layout,
    /// The layout columns read.
    used: Vec<usize>,
    /// The file's top-level columns decoded, in file order.
    projected: Vec<usize>,
    /// Where each layout column comes from.
    sources: Vec<Origin>,
}

/// An id or category from Arrow, which is valid UTF-8 already: only its length is checked.
fn checked_len(text: &str) -> std::result::Result<&[u8], String> {
    if text.len() > parse::MAX_ID_BYTES {
        return Err(format!("is longer than {} bytes", parse::MAX_ID_BYTES));
    }
    Ok(text.as_bytes())
}

/// The layout's columns that are read, in column order.
fn used_columns(layout: &Layout) -> Vec<usize> {
    let mut used = vec![layout.customer, layout.timestamp];
    used.extend(layout.order);
    used.extend(layout.category);
    match layout.value {
        Value::Amount(a) => used.push(a),
        Value::QuantityPrice { quantity, price } => used.extend([quantity, price]),
        Value::Count => {}
    }
    used.sort_unstable();
    used.dedup();
    used
}

enum Origin {
    Batch { at: usize, int96: bool },
    Partition(Option<String>),
}

/// A column whose type the engine cannot read fails the file at once, before any row.
fn check_types(file: &ParquetFile, layout: &Layout, used: &[usize], sources: &[Origin]) -> Result<()> {
    for &c in used {
        if let Origin::Batch { int96, .. } = sources[c] {
            let field = file.field(c);
            let empty: ArrayRef = arrow_array::new_empty_array(field.data_type());
            if let Err(reason) = Cells::of(&empty, int96) {
                return Err(Error::InputFormat {
                    source_name: format!("{}, column {}", file.name, layout.column_name(c)),
                    reason,
                });
            }
        }
    }
    Ok(())
}

/// Rows of one row group that are decoded and parsed as one.
struct Piece {
    /// The part file (index into the plans).
    part: usize,
    group: usize,
    /// The first row, counted from the group's start.
    offset: usize,
    rows: usize,
    /// The piece is the whole group (no row selection needed).
    whole: bool,
    /// 0-based number in the file of the piece's first row.
    first_row: u64,
}

/// Turns batches into parsed rows with one layout; the Parquet twin of `parse::RowParser`.
struct BatchParser<'a> {
    layout: &'a Layout,
    used: &'a [usize],
    sources: &'a [Origin],
    zone: &'a Zone,
    exponent: u8,
    date_order: DateOrder,
    source: &'a str,
    stop_at_error: bool,
}

/// Why a row was rejected: the layout column to blame and the reason.
struct RowError {
    column: usize,
    reason: String,
}

impl BatchParser<'_> {
    /// Decodes and parses one piece; a decoding failure is the chunk's error.
    fn parse(&self, file: &ParquetFile, columns: &[usize], piece: &Piece) -> ParsedChunk {
        let mut out = ParsedChunk {
            rows: Vec::with_capacity(piece.rows),
            text: Vec::with_capacity(piece.rows * 12),
            row_group: Some(piece.group as u64),
            ..Default::default()
        };
        let selection = (!piece.whole).then_some(piece.rows);
        let reader = match file.slice_reader(piece.group, columns, piece.offset, selection, piece.rows) {
            Ok(reader) => reader,
            Err(e) => {
                out.error = Some(Box::new(e));
                return out;
            }
        };
        let mut first_row = piece.first_row;
        for batch in reader {
            match batch {
                Ok(batch) => {
                    self.parse_batch(&batch, piece.group, first_row, &mut out);
                    first_row += batch.num_rows() as u64;
                }
                Err(e) => {
                    out.error = Some(Box::new(Error::InputFormat {
                        source_name: format!("{}, row group {}", self.source, piece.group),
                        reason: format!("cannot decode: {e}"),
                    }));
                    break;
                }
            }
            if self.stop_at_error && !out.rejected.is_empty() {
                break;
            }
        }
        out
    }

    fn parse_batch(&self, batch: &RecordBatch, group: usize, first_row: u64, out: &mut ParsedChunk) {
        let rows = batch.num_rows();
        let columns: Vec<ArrayRef> = batch.columns().to_vec();
        let cells: Vec<Option<Cells<'_>>> = self
            .sources
            .iter()
            .enumerate()
            .map(|(c, origin)| match origin {
                _ if !self.used.contains(&c) => None,
                // Types were checked before the first batch (`check_types`).
                Origin::Batch { at, int96 } => columns.get(*at).and_then(|a| Cells::of(a, *int96).ok()),
                Origin::Partition(value) => Some(Cells::Constant(value.as_deref())),
            })
            .collect();
        let mut scratch = [String::new(), String::new(), String::new()];
        for i in 0..rows {
            out.seen += 1;
            let line = first_row + i as u64 + 1;
            match self.row(&cells, i, line, &mut scratch, &mut out.text) {
                Ok(Some(row)) => out.rows.push(row),
                Ok(None) => out.skipped += 1,
                Err(RowError { column, reason }) => {
                    let value = cells[column].as_ref().map(|c| c.display(i));
                    let raw: Vec<String> = self
                        .used
                        .iter()
                        .map(|&u| cells[u].as_ref().map_or_else(String::new, |c| c.display(i)))
                        .collect();
                    out.rejected.push(Rejected {
                        error: InputError {
                            source_name: self.source.to_string(),
                            line,
                            row_group: Some(group as u64),
                            column: Some(self.layout.column_name(column)),
                            value: value.map(|v| InputError::shorten(v.as_bytes())),
                            reason,
                        },
                        raw: raw.join(",").into_bytes(),
                        key: 0,
                    });
                    if self.stop_at_error {
                        break;
                    }
                }
            }
        }
    }

    /// One row: `Ok(None)` when the preset skips it (a line item without a customer).
    fn row(
        &self,
        cells: &[Option<Cells<'_>>],
        i: usize,
        line: u64,
        scratch: &mut [String; 3],
        text: &mut Vec<u8>,
    ) -> std::result::Result<Option<ParsedRow>, RowError> {
        let l = self.layout;
        let err = |column: usize| move |reason: String| RowError { column, reason };
        let cell = |c: usize| cells[c].as_ref().ok_or_else(|| RowError { column: c, reason: "not read".into() });
        let [customer_text, order_text, category_text] = scratch;

        let customer = cell(l.customer)?.text(i, customer_text).map_err(err(l.customer))?;
        let customer = customer.map(|c| c.trim_ascii()).unwrap_or_default();
        if customer.is_empty() {
            if l.skip_missing_customer {
                return Ok(None);
            }
            return Err(RowError { column: l.customer, reason: "the customer id is empty or null".into() });
        }
        let customer = checked_len(customer)
            .map_err(|r| RowError { column: l.customer, reason: format!("the customer id {r}") })?;

        let day = cell(l.timestamp)?
            .day(i, self.zone, self.date_order)
            .map_err(err(l.timestamp))?
            .ok_or_else(|| RowError { column: l.timestamp, reason: "the date is null".into() })?;

        let exponent = self.exponent as u32;
        let amount = match l.value {
            Value::Count => 0,
            Value::Amount(a) if cell(a)?.minor_units(i, self.exponent).is_some() => {
                cell(a)?.minor_units(i, self.exponent).unwrap_or_default()
            }
            Value::Amount(a) => {
                let d = cell(a)?
                    .decimal(i, exponent)
                    .map_err(|r| RowError { column: a, reason: format!("invalid amount: {r}") })?
                    .ok_or_else(|| RowError { column: a, reason: "the amount is null".into() })?;
                crate::money::decimal::to_minor_exact(d, self.exponent)
                    .map_err(|r| RowError { column: a, reason: format!("invalid amount: {r}") })?
            }
            Value::QuantityPrice { quantity, price } => {
                let q = cell(quantity)?
                    .decimal(i, 0)
                    .map_err(|r| RowError { column: quantity, reason: format!("quantity: {r}") })?
                    .ok_or_else(|| RowError { column: quantity, reason: "the quantity is null".into() })?;
                let p = cell(price)?
                    .decimal(i, exponent)
                    .map_err(|r| RowError { column: price, reason: format!("unit price: {r}") })?
                    .ok_or_else(|| RowError { column: price, reason: "the unit price is null".into() })?;
                crate::money::decimal::product_minor(q, p, self.exponent).map_err(err(quantity))?
            }
        };

        let category = match l.category {
            Some(c) => match cell(c)?.text(i, category_text).map_err(err(c))?.map(str::trim_ascii) {
                Some(name) if !name.is_empty() => {
                    Some(checked_len(name).map_err(|r| RowError { column: c, reason: format!("the category {r}") })?)
                }
                _ => None,
            },
            None => None,
        };

        let order = match l.order {
            Some(o) => cell(o)?.text(i, order_text).map_err(err(o))?.map(str::trim_ascii).filter(|s| !s.is_empty()),
            None => None,
        };
        let (key, auto) = parse::order_key(order.map(str::as_bytes), l.order_is_key, day, amount, category)
            .map_err(err(l.order.unwrap_or_default()))?;

        Ok(Some(parse::row_of(text, customer, category, (key, auto), amount, line, day)))
    }
}
