//! Owns parsing one piece of a CSV file's data lines (no header) into batches: ragged lines, bad
//! UTF-8, missing times, duplicate keys and misfit values are reported with their line in the file.

use super::super::error::DataError;
use super::builders::{blank, Builders, BATCH_ROWS};
use crate::check::model::Dataset;
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::io::Read;

/// What every piece of one file is parsed with.
pub struct Parser<'a> {
    pub ds: &'a Dataset,
    pub path: &'a str,
    pub money_scale: u32,
    /// Fields in each line of the file.
    pub width: usize,
    /// Where each declared column sits in a line.
    pub positions: Vec<usize>,
    pub schema: datafusion::arrow::datatypes::SchemaRef,
    /// Whether rows keep their line (`__line`).
    pub numbered: bool,
}

impl Parser<'_> {
    /// Parses data lines (no header) whose first line is `first_line` of the file.
    pub fn parse(
        &self,
        piece: impl Read,
        first_line: u64,
    ) -> Result<(Vec<RecordBatch>, u64), DataError> {
        let (ds, path) = (self.ds, self.path);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(piece);
        let offset = first_line.saturating_sub(1);
        let time_index = ds.columns.iter().position(|c| c.name == ds.time);
        let mut keys: Vec<Option<HashMap<Vec<u8>, u64>>> = ds
            .columns
            .iter()
            .map(|c| c.key.then(HashMap::new))
            .collect();
        let mut batches = Vec::new();
        let mut builders = Builders::new(ds, self.money_scale, self.numbered);
        // A whole record's UTF-8 is checked at once (a bad byte is reported with its line).
        let mut record = csv::StringRecord::new();
        let mut rows = 0u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_error(path, e, offset)),
            }
            let line = offset + record.position().map(|p| p.line()).unwrap_or(0);
            if record.len() != self.width {
                // A blank last line is not a row.
                if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                    continue;
                }
                // A field holding the separator or a line break was quoted: with the wrong
                // width, most likely a quote that is never closed swallowed the rest.
                let open_quote = record.iter().any(|f| f.contains(',') || f.contains('\n'));
                return Err(DataError::Ragged {
                    path: path.into(),
                    line,
                    found: record.len(),
                    expected: self.width,
                    open_quote,
                });
            }
            for (i, &pos) in self.positions.iter().enumerate() {
                let text = record.get(pos).unwrap_or("");
                if Some(i) == time_index && blank(text) {
                    return Err(DataError::NoTime {
                        path: path.into(),
                        line,
                        column: ds.time.clone(),
                    });
                }
                if let Some(seen) = &mut keys[i] {
                    if !text.is_empty() {
                        if let Some(first_line) = seen.insert(text.as_bytes().to_vec(), line) {
                            return Err(DataError::DuplicateKey {
                                path: path.into(),
                                line,
                                column: ds.columns[i].name.clone(),
                                value: text.to_string(),
                                first_line,
                            });
                        }
                    }
                }
                if let (0, Some(lines)) = (i, &mut builders.lines) {
                    lines.append_value(line as i64);
                }
                builders.push(i, text).map_err(|m| {
                    DataError::BadValue(Box::new(super::super::error::BadValue {
                        path: path.into(),
                        line,
                        column: ds.columns[i].name.clone(),
                        value: text.to_string(),
                        expected: m.expected,
                        hint: m.hint,
                    }))
                })?;
            }
            rows += 1;
            if builders.len == BATCH_ROWS {
                batches.push(builders.finish(self.schema.clone())?);
            }
        }
        if builders.len > 0 || batches.is_empty() {
            batches.push(builders.finish(self.schema.clone())?);
        }
        Ok((batches, rows))
    }
}

/// A tokenizer error; `offset` is the lines of the file before the piece being read.
pub fn csv_error(path: &str, e: csv::Error, offset: u64) -> DataError {
    let line = offset + e.position().map(|p| p.line()).unwrap_or(0);
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
