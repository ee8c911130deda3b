//! Output formatting for the binary: aligned tables for people, CSV and JSON for machines. The
//! library returns data; only this module decides how it looks.

use std::io::{self, Write};

use serde::Serialize;

use retention::lake::{Cell, ColumnType, ListFile};
use retention::{AtomicFile, Currency, Error};
use std::path::Path;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// JSON; money as integer minor units with the store's currency.
    Json,
    /// Parquet, for lists (needs --out FILE): dates as DATE, money as DECIMAL, scores as DOUBLE.
    Parquet,
}

/// A table of strings; columns listed in `right` are right-aligned in table output (numbers).
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub right: Vec<bool>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            right: vec![false; headers.len()],
        }
    }

    /// Marks columns as numeric (right-aligned).
    pub fn numeric(mut self, columns: &[usize]) -> Table {
        for &c in columns {
            self.right[c] = true;
        }
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Writes the table as aligned text or CSV.
    pub fn write(&self, out: &mut impl Write, format: Format) -> io::Result<()> {
        match format {
            Format::Parquet => Err(io::Error::other(PARQUET_LISTS_ONLY)),
            Format::Csv | Format::Json => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(&self.headers).map_err(csv_io)?;
                for r in &self.rows {
                    w.write_record(r).map_err(csv_io)?;
                }
                w.flush()
            }
            Format::Table => {
                let mut width: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
                for r in &self.rows {
                    for (w, cell) in width.iter_mut().zip(r) {
                        *w = (*w).max(cell.chars().count());
                    }
                }
                let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
                    let mut text = String::new();
                    for (i, cell) in cells.iter().enumerate() {
                        if i > 0 {
                            text.push_str("  ");
                        }
                        let pad = width[i].saturating_sub(cell.chars().count());
                        let last = i + 1 == cells.len();
                        if self.right[i] {
                            text.extend(std::iter::repeat_n(' ', pad));
                            text.push_str(cell);
                        } else {
                            text.push_str(cell);
                            if !last {
                                text.extend(std::iter::repeat_n(' ', pad));
                            }
                        }
                    }
                    writeln!(out, "{}", text.trim_end())
                };
                line(out, &self.headers)?;
                for r in &self.rows {
                    line(out, r)?;
                }
                Ok(())
            }
        }
    }
}

/// Writes `value` as pretty JSON followed by a newline.
pub fn json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// A customer's external id from `Store::external_ids`, or "" for an id it does not hold.
pub fn name(names: &[String], customer: retention::CustomerId) -> &str {
    names.get(customer.get() as usize).map_or("", String::as_str)
}

/// What `--format parquet` says where a command prints a report rather than a list.
pub const PARQUET_LISTS_ONLY: &str = "--format parquet writes lists (rfm, segment, clv score, actions, loyalty, affinity --customers, export); \
     use table, csv or json here";

/// A column of a streamed list: its name, its width in a table (0: unpadded), its type, and the
/// decimals a float is printed with in text.
pub struct Col {
    pub name: String,
    pub width: usize,
    pub kind: ColumnType,
    pub decimals: usize,
}

impl Col {
    fn new(name: &str, width: usize, kind: ColumnType, decimals: usize) -> Col {
        Col { name: name.to_string(), width, kind, decimals }
    }
    pub fn text(name: &str, width: usize) -> Col {
        Col::new(name, width, ColumnType::Text, 0)
    }
    pub fn int(name: &str, width: usize) -> Col {
        Col::new(name, width, ColumnType::Integer, 0)
    }
    pub fn money(name: &str, width: usize) -> Col {
        Col::new(name, width, ColumnType::Money, 0)
    }
    pub fn day(name: &str, width: usize) -> Col {
        Col::new(name, width, ColumnType::Day, 0)
    }
    pub fn float(name: &str, width: usize, decimals: usize) -> Col {
        Col::new(name, width, ColumnType::Float, decimals)
    }
}

/// Writes rows one at a time, for outputs of millions of rows: a table with fixed column widths,
/// CSV, a JSON array of objects, or Parquet with typed columns; to standard output or, with a
/// file, atomically to the file (it appears complete or not at all).
pub struct RowWriter<'w> {
    sink: Sink<'w>,
    columns: Vec<Col>,
    currency: Currency,
    file: Option<AtomicFile>,
    text: Vec<String>,
    rows: u64,
}

enum Sink<'w> {
    Table(Box<dyn Write + 'w>),
    Csv(Box<csv::Writer<Box<dyn Write + 'w>>>),
    Json(Box<dyn Write + 'w>),
    Parquet(Box<ListFile>),
}

fn io_error(e: io::Error) -> Error {
    Error::io("writing output", e)
}

impl<'w> RowWriter<'w> {
    /// A writer of `columns` to `out`, or to `file` when given (required for Parquet); money
    /// columns are in `currency`.
    pub fn new<W: Write>(
        out: &'w mut W,
        format: Format,
        file: Option<&Path>,
        columns: Vec<Col>,
        currency: &Currency,
    ) -> Result<Self, Error> {
        let mut target = None;
        let sink_out: Box<dyn Write + 'w> = match file {
            Some(path) if format != Format::Parquet => {
                let f = AtomicFile::create(path)?;
                let handle = f.file().try_clone().map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
                target = Some(f);
                Box::new(io::BufWriter::with_capacity(1 << 20, handle))
            }
            _ => Box::new(out),
        };
        let headers: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let widths: Vec<usize> = columns.iter().map(|c| c.width).collect();
        let sink = match format {
            Format::Table => {
                let mut out = sink_out;
                write_padded(&mut out, &headers, &widths).map_err(io_error)?;
                Sink::Table(out)
            }
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(sink_out);
                csv.write_record(&headers).map_err(|e| io_error(csv_io(e)))?;
                Sink::Csv(Box::new(csv))
            }
            Format::Json => {
                let mut out = sink_out;
                out.write_all(b"[").map_err(io_error)?;
                Sink::Json(out)
            }
            Format::Parquet => {
                let path =
                    file.ok_or_else(|| Error::invalid("--format", "parquet", "a Parquet list needs --out FILE"))?;
                let typed: Vec<(&str, ColumnType)> = columns.iter().map(|c| (c.name.as_str(), c.kind)).collect();
                Sink::Parquet(Box::new(ListFile::create(path, &typed, currency, &[])?))
            }
        };
        let text = vec![String::new(); columns.len()];
        Ok(RowWriter { sink, columns, currency: currency.clone(), file: target, text, rows: 0 })
    }

    /// Whether rows go out as JSON objects (`write_json`) rather than cells (`write_cells`).
    pub fn is_json(&self) -> bool {
        matches!(self.sink, Sink::Json(_))
    }

    /// Writes one row of typed cells, formatted per column for a table or CSV.
    pub fn write_cells(&mut self, cells: &[Cell<'_>]) -> Result<(), Error> {
        self.rows += 1;
        if let Sink::Parquet(list) = &mut self.sink {
            return list.push(cells);
        }
        for ((text, cell), col) in self.text.iter_mut().zip(cells).zip(&self.columns) {
            use std::fmt::Write as _;
            text.clear();
            // Writing into a String cannot fail.
            let _ = match *cell {
                Cell::Text(v) => write!(text, "{v}"),
                Cell::Integer(v) => write!(text, "{v}"),
                Cell::Money(v) => {
                    self.currency.write(text, v);
                    Ok(())
                }
                // NaN is a figure that does not exist (money in a counts-only store): no text.
                Cell::Float(v) if v.is_nan() => Ok(()),
                Cell::Float(v) => write!(text, "{v:.prec$}", prec = col.decimals),
                Cell::Day(d) => write!(text, "{d}"),
                Cell::Null => Ok(()),
            };
        }
        let refs: Vec<&str> = self.text.iter().map(String::as_str).collect();
        let widths: Vec<usize> = self.columns.iter().map(|c| c.width).collect();
        match &mut self.sink {
            Sink::Table(out) => write_padded(out, &refs, &widths).map_err(io_error),
            Sink::Csv(csv) => csv.write_record(&refs).map_err(|e| io_error(csv_io(e))),
            Sink::Json(_) | Sink::Parquet(_) => Err(Error::invalid("--format", "json", "a JSON row needs write_json")),
        }
    }

    /// Writes one element of the JSON array.
    pub fn write_json(&mut self, value: &impl Serialize) -> Result<(), Error> {
        let Sink::Json(out) = &mut self.sink else {
            return Err(Error::invalid("--format", "", "only a JSON list takes JSON rows"));
        };
        out.write_all(if self.rows == 0 { b"\n" } else { b",\n" }).map_err(io_error)?;
        serde_json::to_writer(&mut **out, value).map_err(|e| io_error(e.into()))?;
        self.rows += 1;
        Ok(())
    }

    pub fn finish(self) -> Result<(), Error> {
        match self.sink {
            Sink::Table(mut out) => out.flush().map_err(io_error)?,
            Sink::Csv(mut csv) => csv.flush().map_err(io_error)?,
            Sink::Json(mut out) => {
                out.write_all(b"\n]\n").and_then(|()| out.flush()).map_err(io_error)?;
            }
            Sink::Parquet(list) => {
                list.finish()?;
            }
        }
        match self.file {
            Some(file) => file.commit(),
            None => Ok(()),
        }
    }
}

/// csv wraps I/O errors; unwrap them so a closed pipe is still recognised as one.
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// One fixed-width line: the first column and unpadded (width 0) columns align left, the rest right.
fn write_padded(out: &mut (impl Write + ?Sized), row: &[&str], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, (cell, &width)) in row.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        if i == 0 || width == 0 {
            line.push_str(&format!("{cell:<width$}"));
        } else {
            line.push_str(&format!("{cell:>width$}"));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// Key-value pairs: a two-column table, or one CSV record with the keys as header.
pub fn pairs(out: &mut impl Write, pairs: &[(&str, String)], format: Format) -> io::Result<()> {
    match format {
        Format::Table => {
            let mut t = Table::new(&["", ""]);
            t.rows = pairs.iter().map(|(k, v)| vec![k.to_string(), v.clone()]).collect();
            let mut buf = Vec::new();
            t.write(&mut buf, Format::Table)?;
            // Skip the empty header line.
            let text = String::from_utf8_lossy(&buf);
            for l in text.lines().skip(1) {
                writeln!(out, "{l}")?;
            }
            Ok(())
        }
        Format::Parquet => Err(io::Error::other(PARQUET_LISTS_ONLY)),
        _ => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(pairs.iter().map(|(k, _)| k.replace(' ', "_"))).map_err(csv_io)?;
            w.write_record(pairs.iter().map(|(_, v)| v)).map_err(csv_io)?;
            w.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_table_and_csv() {
        let mut t = Table::new(&["name", "spend"]).numeric(&[1]);
        t.push(vec!["ann".into(), "5.00".into()]);
        t.push(vec!["bartholomew".into(), "120.50".into()]);
        let mut out = Vec::new();
        t.write(&mut out, Format::Table).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "name          spend\nann            5.00\nbartholomew  120.50\n");
        let mut out = Vec::new();
        t.write(&mut out, Format::Csv).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "name,spend\nann,5.00\nbartholomew,120.50\n");
    }

    #[test]
    fn pairs_as_table_and_csv() {
        let p = [("customers", "3".to_string()), ("first day", "2024-01-01".to_string())];
        let mut out = Vec::new();
        pairs(&mut out, &p, Format::Table).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "customers  3\nfirst day  2024-01-01\n");
        let mut out = Vec::new();
        pairs(&mut out, &p, Format::Csv).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "customers,first_day\n3,2024-01-01\n");
    }
}
