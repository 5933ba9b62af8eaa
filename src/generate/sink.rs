//! Owns writing generated columns to CSV and Parquet files, each staged through `crate::output`
//! and handed to the command's batch when complete, to be renamed into place with the others.

use crate::output::{Batch, OutputError, Staged};
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// One column of a chunk of rows.
pub enum Values {
    Text(Vec<String>),
    /// Days since 1970-01-01.
    Date(Vec<i32>),
    /// Minutes since 1970-01-01 00:00, written `YYYY-MM-DD HH:MM`.
    Minute(Vec<i64>),
    /// Cents, written with two decimal places.
    Money(Vec<i64>),
    Integer(Vec<i64>),
}

impl Values {
    fn data_type(&self) -> DataType {
        match self {
            Values::Text(_) => DataType::Utf8,
            Values::Date(_) => DataType::Date32,
            Values::Minute(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
            Values::Money(_) => DataType::Decimal128(18, 2),
            Values::Integer(_) => DataType::Int64,
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Date(v) => v.len(),
            Values::Minute(v) | Values::Money(v) | Values::Integer(v) => v.len(),
        }
    }

    fn array(&self) -> ArrayRef {
        match self {
            Values::Text(v) => Arc::new(StringArray::from_iter_values(v)),
            Values::Date(v) => Arc::new(Date32Array::from(v.clone())),
            Values::Minute(v) => Arc::new(TimestampMicrosecondArray::from(
                v.iter().map(|m| m * 60_000_000).collect::<Vec<_>>(),
            )),
            Values::Money(v) => Arc::new(
                Decimal128Array::from_iter_values(v.iter().map(|c| i128::from(*c)))
                    .with_precision_and_scale(18, 2)
                    .expect("18, 2 is a valid decimal shape"),
            ),
            Values::Integer(v) => Arc::new(Int64Array::from(v.clone())),
        }
    }

    fn write_csv(&self, row: usize, out: &mut Vec<u8>, days: &DayNames) {
        match self {
            Values::Text(v) => out.extend_from_slice(v[row].as_bytes()),
            Values::Date(v) => out.extend_from_slice(days.name(v[row]).as_bytes()),
            Values::Minute(v) => {
                let m = v[row];
                let (day, minute) = (m.div_euclid(1440), m.rem_euclid(1440));
                out.extend_from_slice(days.name(day as i32).as_bytes());
                let _ = write!(out, " {:02}:{:02}", minute / 60, minute % 60);
            }
            Values::Money(v) => {
                let c = v[row];
                let sign = if c < 0 { "-" } else { "" };
                let _ = write!(out, "{sign}{}.{:02}", c.abs() / 100, c.abs() % 100);
            }
            Values::Integer(v) => {
                let _ = write!(out, "{}", v[row]);
            }
        }
    }
}

/// `YYYY-MM-DD` for each day, made once.
struct DayNames {
    first: i32,
    names: Vec<String>,
}

impl DayNames {
    fn new() -> Self {
        // 1990-01-01 to 2099-12-31 covers every generated date.
        let first =
            crate::model::calendar::days(chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap());
        let last =
            crate::model::calendar::days(chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap());
        let names = (first..=last)
            .map(|d| {
                crate::model::calendar::date(d)
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .collect();
        DayNames {
            first: first as i32,
            names,
        }
    }

    fn name(&self, day: i32) -> &str {
        &self.names[(day - self.first) as usize]
    }
}

/// One table being written, in every requested format.
pub struct Sink {
    columns: Vec<&'static str>,
    csv: Option<(BufWriter<Staged>, PathBuf)>,
    parquet: Option<Parquet>,
    schema: Option<SchemaRef>,
    days: DayNames,
    rows: u64,
}

/// A Parquet file, whose writer starts with the first chunk (the schema comes from its values).
struct Parquet {
    path: PathBuf,
    file: Option<Staged>,
    writer: Option<ArrowWriter<Staged>>,
}

impl Parquet {
    fn writer(&mut self, schema: &SchemaRef) -> Result<&mut ArrowWriter<Staged>, OutputError> {
        if let Some(file) = self.file.take() {
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build();
            let w = ArrowWriter::try_new(file, schema.clone(), Some(props));
            self.writer = Some(w.map_err(failed(&self.path))?);
        }
        self.writer
            .as_mut()
            .ok_or_else(|| failed(&self.path)("the Parquet writer failed earlier"))
    }
}

/// An error while writing `path`.
fn failed<E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    path: &Path,
) -> impl Fn(E) -> OutputError + '_ {
    move |e| OutputError::write(path, std::io::Error::other(e))
}

impl Sink {
    /// Starts `dir/name.csv` and/or `dir/name.parquet` with these column names.
    pub fn create(
        dir: &Path,
        name: &str,
        columns: &[&'static str],
        formats: &[Format],
    ) -> Result<Sink, OutputError> {
        let mut sink = Sink {
            columns: columns.to_vec(),
            csv: None,
            parquet: None,
            schema: None,
            days: DayNames::new(),
            rows: 0,
        };
        if formats.contains(&Format::Csv) {
            let path = dir.join(format!("{name}.{}", Format::Csv.extension()));
            let mut w = BufWriter::with_capacity(1 << 20, Staged::create(&path)?);
            writeln!(w, "{}", columns.join(",")).map_err(failed(&path))?;
            sink.csv = Some((w, path));
        }
        if formats.contains(&Format::Parquet) {
            let path = dir.join(format!("{name}.{}", Format::Parquet.extension()));
            sink.parquet = Some(Parquet {
                file: Some(Staged::create(&path)?),
                path,
                writer: None,
            });
        }
        Ok(sink)
    }

    /// Appends a chunk: one `Values` per column, all of the same length.
    pub fn write(&mut self, chunk: &[Values]) -> Result<(), OutputError> {
        let rows = chunk.first().map(Values::len).unwrap_or(0);
        if let Some((w, path)) = &mut self.csv {
            let mut line = Vec::with_capacity(128);
            for row in 0..rows {
                line.clear();
                for (i, v) in chunk.iter().enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    v.write_csv(row, &mut line, &self.days);
                }
                line.push(b'\n');
                w.write_all(&line).map_err(failed(path))?;
            }
        }
        if let Some(parquet) = &mut self.parquet {
            let schema = self
                .schema
                .get_or_insert_with(|| {
                    Arc::new(Schema::new(
                        self.columns
                            .iter()
                            .zip(chunk)
                            .map(|(n, v)| Field::new(*n, v.data_type(), false))
                            .collect::<Vec<_>>(),
                    ))
                })
                .clone();
            let batch =
                RecordBatch::try_new(schema.clone(), chunk.iter().map(Values::array).collect())
                    .map_err(failed(&parquet.path))?;
            let path = parquet.path.clone();
            parquet
                .writer(&schema)?
                .write(&batch)
                .map_err(failed(&path))?;
        }
        self.rows += rows as u64;
        Ok(())
    }

    /// Finishes every file and hands it to `batch`; returns the paths and the row count.
    pub fn finish(self, batch: &mut Batch) -> Result<Vec<(PathBuf, u64)>, OutputError> {
        let mut out = Vec::new();
        if let Some((w, path)) = self.csv {
            batch.add(
                w.into_inner()
                    .map_err(|e| OutputError::write(&path, e.into_error()))?,
            );
            out.push((path, self.rows));
        }
        if let Some(Parquet {
            writer: Some(w),
            path,
            ..
        }) = self.parquet
        {
            batch.add(w.into_inner().map_err(failed(&path))?);
            out.push((path, self.rows));
        }
        Ok(out)
    }
}

/// Writes a small table with one row per month and name (a budget, a spend): the columns are the
/// month's first day, a text and an amount in cents; `rows` give the month as an offset from `start`.
pub fn write_monthly(
    dir: &Path,
    name: &str,
    columns: &[&'static str; 3],
    formats: &[Format],
    start: chrono::NaiveDate,
    rows: Vec<(u32, &str, i64)>,
    batch: &mut Batch,
) -> Result<Vec<(PathBuf, u64)>, OutputError> {
    let mut sink = Sink::create(dir, name, columns, formats)?;
    let (mut months, mut names, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for (m, text, cents) in rows {
        let first = start
            .checked_add_months(chrono::Months::new(m))
            .expect("a month within range");
        months.push(crate::model::calendar::days(first) as i32);
        names.push(text.to_string());
        amounts.push(cents);
    }
    sink.write(&[
        Values::Date(months),
        Values::Text(names),
        Values::Money(amounts),
    ])?;
    sink.finish(batch)
}
