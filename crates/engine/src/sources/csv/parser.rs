//! Owns parsing one piece of a CSV file's data lines (no header) into batches: ragged lines, bad
//! UTF-8, missing times, duplicate keys and misfit values are reported with their line in the file.

use crate::error::DataError;
use crate::sources::keys::{key_value, Met};
use crate::sources::records::{Sinks, Typer};
use datafusion::arrow::record_batch::RecordBatch;
use scorecard_model::Dataset;

/// What every piece of one file is parsed with.
pub struct Parser<'a> {
    pub ds: &'a Dataset,
    pub path: &'a str,
    pub money_scale: u32,
    /// Fields in each line of the file.
    pub width: usize,
    /// Where each declared column sits in a line.
    pub positions: Vec<usize>,
    /// The table's schema; with `__line` when rows keep their line.
    pub schema: datafusion::arrow::datatypes::SchemaRef,
    /// Where rows read are counted and batches staged.
    pub sinks: Sinks<'a>,
    /// Only the keys of the lines before this one are read (`csv::repeat_before`).
    pub keys_before: Option<u64>,
}

/// What one piece gave: its batches and rows, or the first error in it; and the keys it met
/// before that (none when rows are staged), which the reader checks across pieces.
pub struct Piece {
    pub read: Result<(Vec<RecordBatch>, u64), DataError>,
    pub keys: Option<Met>,
}

impl Parser<'_> {
    /// Parses data lines (no header) whose first line is `first_line` of the file.
    pub fn parse(&self, piece: &[u8], first_line: u64) -> Piece {
        if let Some(before) = self.keys_before {
            let mut keys = Met::new(self.ds.columns.iter().map(|c| c.key));
            return Piece {
                read: self
                    .keys_only(piece, (first_line, before), &mut keys)
                    .map(|()| (Vec::new(), 0)),
                keys: Some(keys),
            };
        }
        let mut typer = Typer::new(self.ds, self.path, self.money_scale, self.schema.clone())
            .sinks(&self.sinks);
        let records = self.records(piece, first_line, &mut typer);
        let keys = typer.take_keys();
        Piece {
            read: records.and_then(|()| typer.finish()),
            keys,
        }
    }

    /// Types every record of `piece` into `typer`.
    fn records(&self, piece: &[u8], first_line: u64, typer: &mut Typer) -> Result<(), DataError> {
        self.each_record(piece, first_line, |record, line| {
            if record.len() != self.width {
                // A blank last line is not a row.
                if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                    return Ok(true);
                }
                // A field holding the separator or a line break was quoted: with the wrong
                // width, most likely a quote that is never closed swallowed the rest.
                let open_quote = record.iter().any(|f| f.contains(',') || f.contains('\n'));
                return Err(DataError::Ragged {
                    path: self.path.into(),
                    line,
                    found: record.len(),
                    expected: self.width,
                    open_quote,
                });
            }
            typer.row(line, |i| record.get(self.positions[i]).unwrap_or(""))?;
            Ok(true)
        })
    }

    /// Writes down the keys of `piece`'s records on lines before `before` into `keys`, nothing
    /// else: the lines were typed once already.
    fn keys_only(
        &self,
        piece: &[u8],
        (first_line, before): (u64, u64),
        keys: &mut Met,
    ) -> Result<(), DataError> {
        self.each_record(piece, first_line, |record, line| {
            if line >= before {
                return Ok(false);
            }
            if record.len() == self.width {
                for (i, c) in self.ds.columns.iter().enumerate() {
                    let text = record.get(self.positions[i]).unwrap_or("");
                    if c.key && !text.is_empty() {
                        keys.push(i, &key_value(c.ty, text), text, line);
                    }
                }
            }
            Ok(true)
        })
    }

    /// Hands each record of `piece` (whose first line is `first_line`) to `take` with its line,
    /// until `take` says to stop. A whole record's UTF-8 is checked at once (a bad byte is
    /// reported with its line).
    fn each_record(
        &self,
        piece: &[u8],
        first_line: u64,
        mut take: impl FnMut(&csv::StringRecord, u64) -> Result<bool, DataError>,
    ) -> Result<(), DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(piece);
        let mut lines = Lines {
            piece,
            counted: 0,
            line: first_line,
        };
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => {
                    let line = lines.at(e.position().map_or(0, |p| p.byte()));
                    return Err(csv_error(self.path, e, line));
                }
            }
            let line = lines.at(record.position().map_or(0, |p| p.byte()));
            if !take(&record, line)? {
                return Ok(());
            }
        }
    }
}

/// The line of each record of a piece, counted from the bytes (see `cuts::line_breaks`): the
/// records come in order, so each count goes on from the last.
struct Lines<'p> {
    piece: &'p [u8],
    /// Bytes counted so far, and the line at their end.
    counted: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the record the reader stood before at byte `at` of the piece.
    fn at(&mut self, at: u64) -> u64 {
        let start = super::cuts::record_start(self.piece, at as usize);
        if start > self.counted {
            self.line += super::cuts::line_breaks(&self.piece[self.counted..start]);
            self.counted = start;
        }
        self.line
    }
}

/// A tokenizer error in the record on `line`.
pub fn csv_error(path: &str, e: csv::Error, line: u64) -> DataError {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => DataError::NotUtf8 {
            path: path.into(),
            line,
        },
        _ => DataError::Unreadable {
            dataset: String::new(),
            path: path.into(),
            reason: e.to_string(),
        },
    }
}
