//! Owns typing rows of text fields under a dataset's declared columns, whatever they were read
//! from (a CSV file, JSON lines, a sheet, a PostgreSQL query): missing and repeated columns, rows
//! without a time, repeated keys and misfit values are reported with their place in the source.

use super::csv::builders::{blank, Builders, BATCH_ROWS};
use super::csv::{with_line, Loaded};
use super::error::{BadValue, DataError};
use super::schema::schema;
use crate::check::model::Dataset;
use crate::diagnostic::did_you_mean;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where each declared column sits among a source's `names`, or the error naming the first
/// declared column that is missing or named twice. `source` says what the names are, for the hint
/// ("the file", "the sheet", "the query").
pub fn positions(
    ds: &Dataset,
    path: &str,
    names: &[String],
    source: &str,
) -> Result<Vec<usize>, DataError> {
    let mut positions = Vec::with_capacity(ds.columns.len());
    for c in &ds.columns {
        match names.iter().position(|n| *n == c.name) {
            Some(p) => {
                if let Some(again) = names[p + 1..].iter().position(|n| *n == c.name) {
                    return Err(DataError::DuplicateColumn {
                        path: path.to_string(),
                        column: c.name.clone(),
                        first: p + 1,
                        second: p + 2 + again,
                    });
                }
                positions.push(p)
            }
            None => {
                let hint = did_you_mean(&c.name, names.iter().map(String::as_str))
                    .map(|h| format!("{source} has a similar column: {h}"))
                    .or_else(|| Some(format!("{source}'s columns are: {}", names.join(", "))));
                return Err(DataError::MissingColumn {
                    dataset: ds.name.clone(),
                    path: path.to_string(),
                    column: c.name.clone(),
                    hint,
                });
            }
        }
    }
    Ok(positions)
}

/// The schema of a dataset's table: its declared columns, and `__line` when rows are numbered.
pub fn table_schema(ds: &Dataset, money_scale: u32, numbered: bool) -> SchemaRef {
    match numbered {
        true => with_line(schema(ds, money_scale)),
        false => schema(ds, money_scale),
    }
}

/// Fills batches one row at a time. A row's fields are its declared columns' texts, in declared
/// order; an empty field is no value.
pub struct Typer<'a> {
    ds: &'a Dataset,
    path: &'a str,
    schema: SchemaRef,
    time_index: Option<usize>,
    keys: Vec<Option<HashMap<Vec<u8>, u64>>>,
    builders: Builders,
    batches: Vec<RecordBatch>,
    rows: u64,
    /// Where rows typed are counted as they go, for a progress display; and how many of this
    /// typer's rows it has been told of.
    counter: Option<&'a AtomicU64>,
    counted: u64,
}

impl<'a> Typer<'a> {
    pub fn new(ds: &'a Dataset, path: &'a str, money_scale: u32, schema: SchemaRef) -> Self {
        let numbered = schema.fields().len() > ds.columns.len();
        Typer {
            ds,
            path,
            schema,
            time_index: ds.columns.iter().position(|c| c.name == ds.time),
            keys: ds
                .columns
                .iter()
                .map(|c| c.key.then(HashMap::new))
                .collect(),
            builders: Builders::new(ds, money_scale, numbered),
            batches: Vec::new(),
            rows: 0,
            counter: None,
            counted: 0,
        }
    }

    /// Counts the rows in `counter` as they are typed, a batch at a time.
    pub fn counting(mut self, counter: Option<&'a AtomicU64>) -> Self {
        self.counter = counter;
        self
    }

    fn count(&mut self) {
        if let Some(c) = self.counter {
            c.fetch_add(self.rows - self.counted, Ordering::Relaxed);
            self.counted = self.rows;
        }
    }

    /// Adds the row at `line` of the source; `field(i)` is declared column `i`'s text.
    pub fn row<'f>(
        &mut self,
        line: u64,
        field: impl Fn(usize) -> &'f str,
    ) -> Result<(), DataError> {
        let (ds, path) = (self.ds, self.path);
        for i in 0..ds.columns.len() {
            let text = field(i);
            if Some(i) == self.time_index && blank(text) {
                return Err(DataError::NoTime {
                    path: path.into(),
                    line,
                    column: ds.time.clone(),
                });
            }
            if let Some(seen) = &mut self.keys[i] {
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
            if let (0, Some(lines)) = (i, &mut self.builders.lines) {
                lines.append_value(line as i64);
            }
            self.builders.push(i, text).map_err(|m| {
                DataError::BadValue(Box::new(BadValue {
                    path: path.into(),
                    line,
                    column: ds.columns[i].name.clone(),
                    value: text.to_string(),
                    expected: m.expected,
                    hint: m.hint,
                }))
            })?;
        }
        self.rows += 1;
        if self.builders.len == BATCH_ROWS {
            self.batches
                .push(self.builders.finish(self.schema.clone())?);
            self.count();
        }
        Ok(())
    }

    /// The batches (at least one, perhaps empty) and the number of rows.
    pub fn finish(mut self) -> Result<(Vec<RecordBatch>, u64), DataError> {
        self.count();
        if self.builders.len > 0 || self.batches.is_empty() {
            self.batches
                .push(self.builders.finish(self.schema.clone())?);
        }
        Ok((self.batches, self.rows))
    }

    /// The rows as one partition.
    pub fn loaded(self) -> Result<Loaded, DataError> {
        let schema = self.schema.clone();
        let (batches, rows) = self.finish()?;
        Ok(Loaded {
            schema,
            partitions: vec![batches],
            rows,
        })
    }
}
