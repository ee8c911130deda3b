//! Output formatting for the binary: aligned tables for people, CSV and JSON for machines. The
//! library returns data; only this module decides how it looks.

use std::io::{self, Write};

use serde::Serialize;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// JSON; money as integer minor units with the store's currency.
    Json,
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

/// Writes rows one at a time, for outputs of millions of rows: a table with fixed column widths
/// (a width of 0 leaves the column unpadded), CSV, or a JSON array of objects.
pub struct RowWriter<'w, W: Write> {
    sink: Sink<'w, W>,
    widths: Vec<usize>,
    rows: u64,
}

enum Sink<'w, W: Write> {
    Table(&'w mut W),
    Csv(Box<csv::Writer<&'w mut W>>),
    Json(&'w mut W),
}

impl<'w, W: Write> RowWriter<'w, W> {
    pub fn new(out: &'w mut W, format: Format, headers: &[&str], widths: &[usize]) -> io::Result<Self> {
        let sink = match format {
            Format::Table => Sink::Table(out),
            Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
            Format::Json => {
                out.write_all(b"[")?;
                Sink::Json(out)
            }
        };
        let mut w = RowWriter { sink, widths: widths.to_vec(), rows: 0 };
        match &mut w.sink {
            Sink::Table(out) => write_padded(out, headers, &w.widths)?,
            Sink::Csv(csv) => csv.write_record(headers).map_err(csv_io)?,
            Sink::Json(_) => {}
        }
        Ok(w)
    }

    /// Writes one row of a table or CSV.
    pub fn write_text(&mut self, cells: &[&str]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Table(out) => write_padded(out, cells, &self.widths),
            Sink::Csv(csv) => csv.write_record(cells).map_err(csv_io),
            Sink::Json(_) => Err(io::Error::other("a JSON row writer needs write_json")),
        }
    }

    /// Writes one element of the JSON array.
    pub fn write_json(&mut self, value: &impl Serialize) -> io::Result<()> {
        let Sink::Json(out) = &mut self.sink else {
            return Err(io::Error::other("a table or CSV row writer needs write_text"));
        };
        out.write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut **out, value)?;
        self.rows += 1;
        Ok(())
    }

    pub fn finish(self) -> io::Result<()> {
        match self.sink {
            Sink::Table(out) => out.flush(),
            Sink::Csv(mut csv) => csv.flush(),
            Sink::Json(out) => {
                out.write_all(b"\n]\n")?;
                out.flush()
            }
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
fn write_padded(out: &mut impl Write, row: &[&str], widths: &[usize]) -> io::Result<()> {
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
