//! Owns reading a sheet of an Excel workbook (`.xlsx`), or a range of it, under the declared schema:
//! the range's first row names the columns, and each cell after it is typed from the text it shows
//! at full precision. Rows are numbered as the sheet numbers them, for messages and `explain`.

use crate::error::DataError;
use crate::sources::csv::Loaded;
use crate::sources::records::{positions, Sinks, Typer};
use calamine::{Data, Reader, Xlsx};
use scorecard_model::{ColumnType, Dataset, SheetRange};
use std::io::Cursor;

/// The sheet (or the first) and the range (or all of it) of the workbook in `bytes`.
pub fn read(
    ds: &Dataset,
    path: &str,
    bytes: Vec<u8>,
    (sheet, range): (Option<&str>, Option<&str>),
    money_scale: u32,
    numbered: bool,
    sinks: &Sinks,
) -> Result<Loaded, DataError> {
    let unreadable = |reason: String| DataError::unreadable(&ds.name, path, reason);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("not a readable .xlsx workbook: {e}")))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(unreadable(format!(
                "the workbook has no sheet `{s}`; its sheets are: {}",
                names.join(", ")
            )))
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| unreadable("the workbook has no sheets".into()))?,
    };
    let cells = book
        .worksheet_range(&name)
        .map_err(|e| unreadable(format!("cannot read sheet `{name}`: {e}")))?;
    let cells = match range.and_then(SheetRange::parse) {
        Some(r) => {
            let end = r.end.or(cells.end()).unwrap_or(r.start);
            cells.range(r.start, (end.0.max(r.start.0), end.1.max(r.start.1)))
        }
        None => cells,
    };
    let shown = format!("{path}[{name}]");
    let (Some(start), Some(_)) = (cells.start(), cells.end()) else {
        return Err(DataError::EmptyFile {
            dataset: ds.name.clone(),
            path: shown,
        });
    };
    let mut rows = cells.rows().enumerate();
    let header: Vec<String> = match rows.next() {
        Some((_, cells)) => cells.iter().map(|c| text(c).trim().to_string()).collect(),
        None => Vec::new(),
    };
    if header.iter().all(String::is_empty) {
        return Err(DataError::EmptyFile {
            dataset: ds.name.clone(),
            path: shown,
        });
    }
    let at = positions(ds, &shown, &header, "the sheet")?;
    let mut typer = Typer::whole(ds, &shown, (money_scale, numbered), sinks);
    let mut fields = vec![String::new(); ds.columns.len()];
    for (i, row) in rows {
        // The sheet's own row number (1-based), as Excel shows it.
        let line = u64::from(start.0) + i as u64 + 1;
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        for (f, (c, &p)) in ds.columns.iter().zip(&at).enumerate() {
            let cell = row.get(p).unwrap_or(&Data::Empty);
            if let Data::Error(e) = cell {
                return Err(DataError::BadRecord {
                    path: shown.clone(),
                    line,
                    reason: format!("column `{}` holds the spreadsheet error {e}", c.name),
                });
            }
            fields[f] = typed_text(cell, c.ty);
        }
        typer.row(line, |i| fields[i].as_str())?;
    }
    typer.loaded()
}

/// A cell's text, as the header row is read.
fn text(cell: &Data) -> String {
    typed_text(cell, ColumnType::Text)
}

/// A cell's value as text for a column of type `ty`: a number's shortest decimal that reads back
/// as the same number (what the workbook stores, at full precision), a date as `YYYY-MM-DD`, a
/// date and time as `YYYY-MM-DD HH:MM:SS`.
fn typed_text(cell: &Data, ty: ColumnType) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => b.to_string(),
        // A serial below 1 (0, negative, or not a number at all) is no day: Excel shows 0 as
        // `1900-01-00`, and the library would read NaN and -1 as 1899-12-30. Its number is
        // passed on, for the column's type to refuse with the cell named.
        Data::DateTime(d) if d.as_f64().is_nan() || d.as_f64() < 1.0 => d.as_f64().to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if ty == ColumnType::Timestamp => t.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
            None => d.as_f64().to_string(),
        },
    }
}
