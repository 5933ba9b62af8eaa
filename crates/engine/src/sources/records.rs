//! Owns typing rows of text fields under a dataset's declared columns, whatever they were read
//! from (a CSV file, JSON lines, a sheet, a PostgreSQL query): missing and repeated columns, rows
//! without a time, repeated keys and misfit values are reported with their place in the source.

use crate::error::{BadValue, DataError};
use crate::sources::csv::builders::{blank, Builders, BATCH_ROWS};
use crate::sources::csv::{with_line, Loaded};
use crate::sources::keys::{first_repeat, key_value, Met, Repeat};
use crate::sources::schema::schema;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use scorecard_diagnostic::did_you_mean;
use scorecard_model::Dataset;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    /// The keys met, in order; none when rows are staged.
    keys: Option<Met>,
    builders: Builders,
    batches: Vec<RecordBatch>,
    rows: u64,
    /// Where rows typed are counted and batches written; and how many of this typer's rows the
    /// counter has been told of.
    sinks: Sinks<'a>,
    counted: u64,
}

/// Where a reader's rows go besides its batches: a counter of rows read (for a progress display),
/// and a file the batches are written to as they fill instead of being kept in memory.
#[derive(Clone, Default)]
pub struct Sinks<'a> {
    pub counter: Option<&'a AtomicU64>,
    pub staged: Option<Arc<Mutex<Staged>>>,
    /// The run's memory limit, which sizes how much text a reader holds at once.
    pub memory_limit: Option<usize>,
}

/// A row with no value in a `key` column: a key names every row, so two rows without one would
/// pass for different rows unchecked.
pub fn missing_key(path: &str, line: u64, column: &str) -> DataError {
    DataError::BadValue(Box::new(BadValue {
        path: path.into(),
        line,
        column: column.to_string(),
        value: String::new(),
        expected: "a value: it is the dataset's key, which names every row".into(),
        hint: Some(
            "give the row its key, or remove `key` from the column if rows may lack one".into(),
        ),
    }))
}

/// A key value seen on two lines of `path`.
pub fn repeated_key(ds: &Dataset, path: &str, r: Repeat) -> DataError {
    DataError::DuplicateKey {
        path: path.into(),
        line: r.line,
        column: ds.columns[r.column].name.clone(),
        value: r.value,
        first_line: r.first_line,
    }
}

/// A dataset's rows written to a Parquet file as they are read, so that a run with a memory limit
/// holds one batch of them at a time; the file is then scanned like any Parquet source.
pub struct Staged {
    writer: ArrowWriter<std::fs::File>,
    pub path: PathBuf,
}

impl Staged {
    pub fn create(path: PathBuf, schema: SchemaRef) -> Result<Staged, DataError> {
        let file = std::fs::File::create(&path).map_err(|e| staging(e.to_string()))?;
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(BATCH_ROWS))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(properties))
            .map_err(|e| staging(e.to_string()))?;
        Ok(Staged { writer, path })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), DataError> {
        self.writer.write(batch).map_err(|e| staging(e.to_string()))
    }

    /// Finishes the file; its path.
    pub fn close(self) -> Result<PathBuf, DataError> {
        self.writer.close().map_err(|e| staging(e.to_string()))?;
        Ok(self.path)
    }
}

fn staging(reason: String) -> DataError {
    DataError::Engine(format!("cannot stage rows on disk: {reason}"))
}

impl<'a> Typer<'a> {
    pub fn new(ds: &'a Dataset, path: &'a str, money_scale: u32, schema: SchemaRef) -> Self {
        let numbered = schema.fields().len() > ds.columns.len();
        Typer {
            ds,
            path,
            schema,
            time_index: ds.columns.iter().position(|c| c.name == ds.time),
            keys: Some(Met::new(ds.columns.iter().map(|c| c.key))),
            builders: Builders::new(ds, money_scale, numbered),
            batches: Vec::new(),
            rows: 0,
            sinks: Sinks::default(),
            counted: 0,
        }
    }

    /// A typer for a whole source read in one go (not in pieces): its table's schema, and its rows
    /// counted and staged where `sinks` says.
    pub fn whole(
        ds: &'a Dataset,
        path: &'a str,
        (money_scale, numbered): (u32, bool),
        sinks: &Sinks<'a>,
    ) -> Self {
        Typer::new(
            ds,
            path,
            money_scale,
            table_schema(ds, money_scale, numbered),
        )
        .sinks(sinks)
    }

    /// Counts the rows and stages the batches where `sinks` says. Staged rows' keys are not
    /// remembered here (that would hold every key in memory): `load` checks them with a query
    /// over the staged file, which can spill.
    pub fn sinks(mut self, sinks: &Sinks<'a>) -> Self {
        self.sinks = sinks.clone();
        if sinks.staged.is_some() {
            self.keys = None;
        }
        self
    }

    /// The keys met so far (none when rows are staged), for a reader of pieces of one source to
    /// check across them.
    pub fn take_keys(&mut self) -> Option<Met> {
        self.keys.take()
    }

    /// The first key this typer met twice, as an error.
    fn repeated(&self) -> Option<DataError> {
        let met = std::slice::from_ref(self.keys.as_ref()?);
        first_repeat(self.ds, met, 1).map(|r| repeated_key(self.ds, self.path, r))
    }

    /// A full batch: counted, then written to the staging file or kept.
    fn batch(&mut self) -> Result<(), DataError> {
        let batch = self.builders.finish(self.schema.clone())?;
        if let Some(c) = self.sinks.counter {
            c.fetch_add(self.rows - self.counted, Ordering::Relaxed);
            self.counted = self.rows;
        }
        match &self.sinks.staged {
            Some(staged) => staged
                .lock()
                .map_err(|_| staging("a reading thread failed".into()))?
                .write(&batch),
            None => {
                self.batches.push(batch);
                Ok(())
            }
        }
    }

    /// Adds the row at `line` of the source; `field(i)` is declared column `i`'s text. An error
    /// in it gives way to a key repeated on an earlier line.
    pub fn row<'f>(
        &mut self,
        line: u64,
        field: impl Fn(usize) -> &'f str,
    ) -> Result<(), DataError> {
        self.typed_row(line, field)
            .map_err(|e| self.or_earlier_repeat(e))
    }

    /// `e`, an error on some line of the source, unless a key repeats on an earlier line.
    pub fn or_earlier_repeat(&self, e: DataError) -> DataError {
        match self.repeated() {
            Some(r) if r.line().is_some_and(|l| e.line().is_some_and(|el| l < el)) => r,
            _ => e,
        }
    }

    fn typed_row<'f>(
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
            if ds.columns[i].key && text.is_empty() {
                return Err(missing_key(path, line, &ds.columns[i].name));
            }
            if let (true, Some(keys)) = (ds.columns[i].key, &mut self.keys) {
                keys.push(i, &key_value(ds.columns[i].ty, text), text, line);
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
            self.batch()?;
        }
        Ok(())
    }

    /// The batches (at least one, perhaps empty) and the number of rows.
    /// The batches kept (none when they were staged; else at least one, perhaps empty) and the
    /// number of rows.
    pub fn finish(mut self) -> Result<(Vec<RecordBatch>, u64), DataError> {
        if self.builders.len > 0 || (self.batches.is_empty() && self.sinks.staged.is_none()) {
            self.batch()?;
        }
        Ok((self.batches, self.rows))
    }

    /// The rows as one partition, once no key repeats.
    pub fn loaded(self) -> Result<Loaded, DataError> {
        if let Some(e) = self.repeated() {
            return Err(e);
        }
        let schema = self.schema.clone();
        let (batches, rows) = self.finish()?;
        Ok(Loaded {
            schema,
            partitions: vec![batches],
            rows,
        })
    }
}
