//! Owns reading a CSV file into Arrow record batches under the declared schema, checking every field
//! and reporting the first misfit with its file, line, column and value.

use super::error::DataError;
use super::schema::{decimal_shape, schema};
use super::values::{self, Misfit};
use crate::check::model::{ColumnType, Dataset};
use crate::diagnostic::did_you_mean;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::sync::Arc;

const BATCH_ROWS: usize = 64 * 1024;

/// The hidden column holding each row's place in its file: the line for CSV, the row for Parquet.
pub const LINE: &str = "__line";

fn with_line(
    schema: datafusion::arrow::datatypes::SchemaRef,
) -> datafusion::arrow::datatypes::SchemaRef {
    let mut fields: Vec<datafusion::arrow::datatypes::FieldRef> = schema.fields().to_vec();
    fields.push(Arc::new(datafusion::arrow::datatypes::Field::new(
        LINE,
        datafusion::arrow::datatypes::DataType::Int64,
        false,
    )));
    Arc::new(datafusion::arrow::datatypes::Schema::new(fields))
}

/// The batches (one list per partition, in file order) and the number of data rows read.
pub struct Loaded {
    pub partitions: Vec<Vec<RecordBatch>>,
    pub rows: u64,
}

/// Files smaller than this are parsed on one thread.
const PARALLEL_FROM: usize = 4 << 20;

/// Reads `bytes` (the whole file) as CSV with a header row. Large files without quotes or key
/// columns are cut at line ends into one piece per thread and parsed in parallel; the first error
/// in file order is reported, with its line in the whole file.
pub fn read(
    ds: &Dataset,
    path: &str,
    bytes: &[u8],
    money_scale: u32,
    threads: usize,
) -> Result<Loaded, DataError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|e| csv_error(path, e, 0))?
        .clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let mut positions = Vec::with_capacity(ds.columns.len());
    for c in &ds.columns {
        match names.iter().position(|n| *n == c.name) {
            Some(p) => positions.push(p),
            None => {
                let hint = did_you_mean(&c.name, names.iter().map(String::as_str))
                    .map(|h| format!("the file has a similar column: {h}"))
                    .or_else(|| Some(format!("the file's columns are: {}", names.join(", "))));
                return Err(DataError::MissingColumn {
                    dataset: ds.name.clone(),
                    path: path.to_string(),
                    column: c.name.clone(),
                    hint,
                });
            }
        }
    }
    // Where the data begins, and the line it begins on.
    let body_start = (reader.position().byte() as usize).min(bytes.len());
    let body_line = reader.position().line();
    let body = &bytes[body_start..];
    let parser = Parser {
        ds,
        path,
        money_scale,
        width: names.len(),
        positions,
        schema: with_line(schema(ds, money_scale)),
    };
    // A quoted field may hold a line break, and a key must be unique across the whole file: both
    // are read on one thread.
    let keyed = ds.columns.iter().any(|c| c.key);
    let pieces = if keyed || body.len() < PARALLEL_FROM || body.contains(&b'"') {
        vec![body]
    } else {
        split_at_lines(body, threads.max(1))
    };
    if pieces.len() == 1 {
        let (batches, rows) = parser.parse(body, body_line)?;
        return Ok(Loaded {
            partitions: vec![batches],
            rows,
        });
    }
    // Each piece's first line: the lines before it, counted in parallel.
    let newlines: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|p| scope.spawn(move || p.iter().filter(|&&b| b == b'\n').count() as u64))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let mut first_lines = Vec::with_capacity(pieces.len());
    let mut line = body_line;
    for n in &newlines {
        first_lines.push(line);
        line += n;
    }
    let results: Vec<Result<(Vec<RecordBatch>, u64), DataError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .zip(&first_lines)
            .map(|(piece, &first)| {
                let parser = &parser;
                scope.spawn(move || parser.parse(piece, first))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DataError::Engine("a CSV reading thread failed".into()))
                })
            })
            .collect()
    });
    let mut loaded = Loaded {
        partitions: Vec::with_capacity(results.len()),
        rows: 0,
    };
    for r in results {
        let (batches, rows) = r?;
        loaded.rows += rows;
        loaded.partitions.push(batches);
    }
    Ok(loaded)
}

/// Cuts `body` into up to `n` pieces of about equal size, each ending just after a line break.
fn split_at_lines(body: &[u8], n: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::with_capacity(n);
    let mut rest = body;
    for left in (1..=n).rev() {
        if left == 1 || rest.is_empty() {
            pieces.push(rest);
            break;
        }
        let target = rest.len() / left;
        match rest[target..].iter().position(|&b| b == b'\n') {
            Some(at) => {
                let (piece, tail) = rest.split_at(target + at + 1);
                pieces.push(piece);
                rest = tail;
            }
            None => {
                pieces.push(rest);
                break;
            }
        }
    }
    pieces.retain(|p| !p.is_empty());
    if pieces.is_empty() {
        pieces.push(body);
    }
    pieces
}

/// What every piece of one file is parsed with.
struct Parser<'a> {
    ds: &'a Dataset,
    path: &'a str,
    money_scale: u32,
    /// Fields in each line of the file.
    width: usize,
    /// Where each declared column sits in a line.
    positions: Vec<usize>,
    schema: datafusion::arrow::datatypes::SchemaRef,
}

impl Parser<'_> {
    /// Parses data lines (no header) whose first line is `first_line` of the file.
    fn parse(&self, piece: &[u8], first_line: u64) -> Result<(Vec<RecordBatch>, u64), DataError> {
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
        let mut builders = Builders::new(ds, self.money_scale);
        let mut record = csv::ByteRecord::new();
        let mut rows = 0u64;
        loop {
            match reader.read_byte_record(&mut record) {
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
                return Err(DataError::Ragged {
                    path: path.into(),
                    line,
                    found: record.len(),
                    expected: self.width,
                });
            }
            for (i, &pos) in self.positions.iter().enumerate() {
                let raw = record.get(pos).unwrap_or(b"");
                let text = std::str::from_utf8(raw).map_err(|_| DataError::NotUtf8 {
                    path: path.into(),
                    line,
                })?;
                if Some(i) == time_index && text.trim().is_empty() {
                    return Err(DataError::NoTime {
                        path: path.into(),
                        line,
                        column: ds.time.clone(),
                    });
                }
                if let Some(seen) = &mut keys[i] {
                    if !text.is_empty() {
                        if let Some(first_line) = seen.insert(raw.to_vec(), line) {
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
                if i == 0 {
                    builders.lines.append_value(line as i64);
                }
                builders.push(i, text).map_err(|m| {
                    DataError::BadValue(Box::new(super::error::BadValue {
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
fn csv_error(path: &str, e: csv::Error, offset: u64) -> DataError {
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

enum Builder {
    Text(StringBuilder),
    Integer(Int64Builder),
    Decimal(Decimal128Builder, u32, u32, bool),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Bool(BooleanBuilder),
}

struct Builders {
    columns: Vec<Builder>,
    /// Each row's line in the file: the `__line` column.
    lines: Int64Builder,
    shapes: Vec<(u32, u32)>,
    len: usize,
}

impl Builders {
    fn new(ds: &Dataset, money_scale: u32) -> Self {
        let mut shapes = Vec::new();
        let columns = ds
            .columns
            .iter()
            .map(|c| {
                let shape = decimal_shape(c.ty, money_scale).unwrap_or((0, 0));
                shapes.push(shape);
                match c.ty {
                    ColumnType::Text => Builder::Text(StringBuilder::new()),
                    ColumnType::Integer => Builder::Integer(Int64Builder::new()),
                    ColumnType::Date => Builder::Date(Date32Builder::new()),
                    ColumnType::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::new()),
                    ColumnType::Bool => Builder::Bool(BooleanBuilder::new()),
                    _ => Builder::Decimal(
                        Decimal128Builder::new(),
                        shape.0,
                        shape.1,
                        c.ty == ColumnType::Percent,
                    ),
                }
            })
            .collect();
        Builders {
            columns,
            lines: Int64Builder::new(),
            shapes,
            len: 0,
        }
    }

    /// Appends one field; an empty field is no value.
    fn push(&mut self, i: usize, text: &str) -> Result<(), Misfit> {
        if i == 0 {
            self.len += 1;
        }
        let empty = text.trim().is_empty();
        match &mut self.columns[i] {
            Builder::Text(b) if text.is_empty() => b.append_null(),
            Builder::Text(b) => b.append_value(text),
            Builder::Integer(b) if empty => b.append_null(),
            Builder::Integer(b) => b.append_value(values::integer(text)?),
            Builder::Decimal(b, ..) if empty => b.append_null(),
            Builder::Decimal(b, p, s, true) => b.append_value(values::percent(text, *p, *s)?),
            Builder::Decimal(b, p, s, false) => b.append_value(values::decimal(text, *p, *s)?),
            Builder::Date(b) if empty => b.append_null(),
            Builder::Date(b) => b.append_value(values::date(text)?),
            Builder::Timestamp(b) if empty => b.append_null(),
            Builder::Timestamp(b) => b.append_value(values::timestamp(text)?),
            Builder::Bool(b) if empty => b.append_null(),
            Builder::Bool(b) => b.append_value(values::boolean(text)?),
        }
        Ok(())
    }

    fn finish(
        &mut self,
        schema: datafusion::arrow::datatypes::SchemaRef,
    ) -> Result<RecordBatch, DataError> {
        let mut arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .zip(&self.shapes)
            .map(|(b, (p, s))| -> Result<ArrayRef, DataError> {
                Ok(match b {
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Integer(b) => Arc::new(b.finish()),
                    Builder::Decimal(b, ..) => Arc::new(
                        b.finish()
                            .with_precision_and_scale(*p as u8, *s as i8)
                            .map_err(|e| DataError::Engine(e.to_string()))?,
                    ),
                    Builder::Date(b) => Arc::new(b.finish()),
                    Builder::Timestamp(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                })
            })
            .collect::<Result<_, _>>()?;
        arrays.push(Arc::new(self.lines.finish()));
        self.len = 0;
        RecordBatch::try_new(schema, arrays).map_err(|e| DataError::Engine(e.to_string()))
    }
}
