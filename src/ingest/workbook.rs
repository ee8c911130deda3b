//! Spreadsheet workbooks (`.xlsx`, `.xls`, `.ods`) as a shop owner exports them from a back
//! office: one sheet (the first, or the one named) read with `calamine` and written out as CSV
//! text, which then goes through the same layouts, presets and rules as any CSV file.
//!
//! Cells keep what the sheet shows a reader: numbers in their shortest exact decimal form (a
//! spreadsheet's `118.22999999999999` is then read through the float-noise rule), dates and
//! times as `YYYY-MM-DD HH:MM:SS` (Excel stores them as day counts from 1900 or 1904; both are
//! handled), text as it is. Row numbers in messages are the sheet's own.

use std::io::Cursor;

use calamine::{Data, Reader};

use crate::error::{Error, Result};

/// The sheet of `bytes` named `sheet` (default: the first) as CSV with `delimiter`.
pub(crate) fn sheet_as_csv(bytes: &[u8], sheet: Option<&str>, delimiter: u8, source: &str) -> Result<Vec<u8>> {
    let refuse = |reason: String| Error::InputFormat { source_name: source.to_string(), reason };
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        refuse(format!(
            "this file starts like a workbook (zip or OLE2) but no .xlsx, .xls or .ods sheet could be read \
             from it ({e}); a zipped CSV must be unzipped first"
        ))
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted.trim()))),
        None => names.first(),
    }
    .cloned()
    .ok_or_else(|| match sheet {
        Some(wanted) => refuse(format!("the workbook has no sheet {wanted:?}; its sheets: {}", names.join(", "))),
        None => refuse("the workbook has no sheets".into()),
    })?;
    let range = workbook.worksheet_range(&name).map_err(|e| refuse(format!("sheet {name:?} cannot be read: {e}")))?;
    let mut out = csv::WriterBuilder::new().delimiter(delimiter).flexible(true).from_writer(Vec::new());
    let rows: Vec<Vec<String>> = range.rows().map(|row| row.iter().map(cell_text).collect()).collect();
    let used = |row: &[String]| row.iter().filter(|c| !c.is_empty()).count();
    // A title or a note above the table ("Exported from the back office") is not the header: the
    // header is the first row with at least two cells and half as many as the widest row.
    let widest = rows.iter().map(|r| used(r)).max().unwrap_or(0);
    let header = rows.iter().position(|r| used(r) >= 2 && 2 * used(r) >= widest).unwrap_or(0);
    let width = rows.get(header).map_or(0, |r| r.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1));
    // Blank lines for the rows above the header keep line numbers equal to the sheet's rows.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut text = vec![b'\n'; first_row + header];
    for row in &rows[header..] {
        // Cells right of the header's last column are dropped when empty (a sheet's used range
        // is often wider than its table); a value there stays, and is reported as extra.
        let end = row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1).max(width).min(row.len());
        out.write_record(&row[..end]).map_err(|e| refuse(format!("sheet {name:?}: {e}")))?;
    }
    let body = out.into_inner().map_err(|e| refuse(format!("sheet {name:?}: {}", e.error())))?;
    text.extend_from_slice(&body);
    Ok(text)
}

/// A cell as text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Rust prints the shortest decimal that reads back as the same float: 12345.0 as 12345.
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn cells_read_as_a_reader_sees_them() {
        let date =
            |v: f64, is_1904| cell_text(&Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904)));
        assert_eq!(date(45943.5, false), "2025-10-13 12:00:00");
        // The 1904 system (old Mac workbooks) counts 1,462 days fewer to the same day.
        assert_eq!(date(45943.0 - 1462.0, true), "2025-10-13");
        assert_eq!(cell_text(&Data::Float(12345.0)), "12345");
        assert_eq!(cell_text(&Data::Float(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(cell_text(&Data::Int(-7)), "-7");
        assert_eq!(cell_text(&Data::Error(CellErrorType::NA)), "#N/A");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn not_a_workbook_is_a_sentence() {
        let e = sheet_as_csv(b"PK\x03\x04not really", None, b',', "x.zip").unwrap_err().to_string();
        assert!(e.starts_with("x.zip: ") && e.contains("unzipped first"), "{e}");
    }
}
