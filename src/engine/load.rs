//! Owns registering each dataset with the query engine, from its source (CSV, Parquet, JSON lines,
//! Excel, PostgreSQL), and fingerprinting what was read.

use super::error::DataError;
use super::records::{self, Sinks, Staged};
use super::{csv, excel, jsonl, parquet, postgres, Input};
use crate::check::model::{Dataset, SourceFormat};
use crate::project::source::Source;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::{cast, ident, ParquetReadOptions, SessionContext};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why a source file is not found, and where relative paths are looked for.
const NO_SUCH_FILE: &str = "no such file (relative sources resolve against --data, or the \
scorecard's folder; a path bound in scorecard.toml, against its folder)";

/// How every dataset of a run is read.
pub struct Reading<'a> {
    /// The folders dataset files may be read from.
    pub sandbox: &'a [PathBuf],
    pub money_scale: u32,
    pub threads: usize,
    /// Rows later than this day are not needed (pushed down to a database).
    pub as_of: Option<chrono::NaiveDate>,
    /// Where rows read are counted.
    pub counter: Option<&'a std::sync::atomic::AtomicU64>,
    /// Under a memory limit or for a cluster, the folder rows read are staged in (as Parquet
    /// files) instead of being held in memory.
    pub staging: Option<&'a Path>,
    /// The run's memory limit, which sizes how much text a reader holds at once.
    pub memory_limit: Option<usize>,
}

impl Reading<'_> {
    /// Where `ds`'s rows go as they are read: counted, and staged when there is a staging folder.
    fn sinks(&self, ds: &Dataset, numbered: bool) -> Result<Sinks<'_>, DataError> {
        let staged = match self.staging {
            Some(folder) => {
                let schema = records::table_schema(ds, self.money_scale, numbered);
                let path = folder.join(format!("{}.parquet", ds.name));
                Some(Arc::new(Mutex::new(Staged::create(path, schema)?)))
            }
            None => None,
        };
        Ok(Sinks {
            counter: self.counter,
            staged,
            memory_limit: self.memory_limit,
        })
    }
}

/// Registers `ds`, read from `source`, under its name, with its rows' lines (`__line`) kept when
/// `numbered`, and returns its fingerprint and row count.
pub async fn register(
    ctx: &SessionContext,
    ds: &Dataset,
    source: &Source,
    reading: &Reading<'_>,
    numbered: bool,
) -> Result<Input, DataError> {
    // Staged rows' keys are checked by a query that names the lines: the rows keep them.
    let keyed = ds.columns.iter().any(|c| c.key);
    let numbered = numbered || (keyed && reading.staging.is_some());
    let file = match source {
        Source::File(file) => file,
        Source::Postgres(pg) => {
            let sinks = reading.sinks(ds, numbered)?;
            let (loaded, sha256) = postgres::read(
                ds,
                pg,
                reading.money_scale,
                numbered,
                (reading.as_of, &sinks),
            )
            .await?;
            let shown = pg.shown();
            let rows = register_loaded(ctx, ds, (loaded, &shown), sinks).await?;
            return Ok(Input {
                dataset: ds.name.clone(),
                path: shown,
                format: "postgres".into(),
                sha256,
                rows,
            });
        }
    };
    let (path, shown) = (&file.path, file.shown.clone());
    let unreadable = |e: std::io::Error| {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => NO_SUCH_FILE.to_string(),
            _ => e.to_string(),
        };
        DataError::unreadable(&ds.name, &shown, reason)
    };
    if !crate::project::inside(path, reading.sandbox) {
        return Err(DataError::OutsideProject {
            dataset: ds.name.clone(),
            path: shown,
            root: reading
                .sandbox
                .first()
                .map(|r| r.display().to_string())
                .unwrap_or_default(),
        });
    }
    let mut input = Hashing {
        inner: std::fs::File::open(path).map_err(unreadable)?,
        hash: Sha256::new(),
    };
    let money_scale = reading.money_scale;
    let rows = match file.format {
        SourceFormat::Csv => {
            let sinks = reading.sinks(ds, numbered)?;
            let how = (reading.threads, numbered);
            let loaded = csv::read(ds, &shown, &mut input, money_scale, how, &sinks)?;
            register_loaded(ctx, ds, (loaded, &shown), sinks).await?
        }
        SourceFormat::JsonLines => {
            let sinks = reading.sinks(ds, numbered)?;
            let loaded = jsonl::read(ds, &shown, &mut input, money_scale, numbered, &sinks)?;
            register_loaded(ctx, ds, (loaded, &shown), sinks).await?
        }
        SourceFormat::Excel => {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).map_err(unreadable)?;
            let part = (file.sheet.as_deref(), file.range.as_deref());
            let sinks = reading.sinks(ds, numbered)?;
            let loaded = excel::read(ds, &shown, bytes, part, money_scale, numbered, &sinks)?;
            register_loaded(ctx, ds, (loaded, &shown), sinks).await?
        }
        SourceFormat::Parquet => {
            let rows = parquet::register(ctx, ds, path, &shown, money_scale).await?;
            for key in ds.columns.iter().filter(|c| c.key) {
                let hashes_fit = reading
                    .memory_limit
                    .is_none_or(|limit| rows * 8 < limit as u64 / 4);
                scanned_key(ctx, ds, &key.name, &shown, hashes_fit).await?;
            }
            // A Parquet file is scanned by the queries, not read here: its rows count as read.
            if let Some(c) = reading.counter {
                c.fetch_add(rows, std::sync::atomic::Ordering::Relaxed);
            }
            rows
        }
        SourceFormat::Attribution | SourceFormat::Allocation | SourceFormat::View => {
            return Err(DataError::Engine(format!(
                "`{}` is computed by the scorecard, not read from a file",
                ds.name
            )))
        }
    };
    // The fingerprint is of every byte: read what the reader left (nothing, for CSV).
    std::io::copy(&mut input, &mut std::io::sink()).map_err(unreadable)?;
    let sha256 = hex(&input.hash.finalize());
    Ok(Input {
        dataset: ds.name.clone(),
        path: file.written.clone(),
        format: file.format.name().into(),
        sha256,
        rows,
    })
}

/// Registers the rows read as the dataset's table: from memory, or from the file they were staged
/// in; returns how many there are.
async fn register_loaded(
    ctx: &SessionContext,
    ds: &Dataset,
    (loaded, shown): (csv::Loaded, &str),
    sinks: Sinks<'_>,
) -> Result<u64, DataError> {
    let name = TableReference::bare(ds.name.as_str());
    let Some(staged) = sinks.staged else {
        let table = MemTable::try_new(loaded.schema, loaded.partitions)?;
        ctx.register_table(name, Arc::new(table))?;
        return Ok(loaded.rows);
    };
    let staged = Arc::into_inner(staged)
        .and_then(|m| m.into_inner().ok())
        .ok_or_else(|| DataError::Engine("the staged rows are still being written".into()))?;
    let path = staged.close()?;
    let location = path
        .to_str()
        .ok_or_else(|| DataError::Engine("the staging folder's path is not UTF-8".into()))?;
    let options = ParquetReadOptions::default().schema(&loaded.schema);
    ctx.register_parquet(name, location, options).await?;
    for key in ds.columns.iter().filter(|c| c.key) {
        repeated_key(ctx, ds, &key.name, shown, false).await?;
    }
    Ok(loaded.rows)
}

/// A key column of a table the queries scan from its file (Parquet), which no reader typed row by
/// row: every row has a key, and no two rows the same. The column is scanned in parallel and its
/// keys' hashes sorted (`keys`), where the hashes fit in memory (under a memory limit, a quarter
/// of it); only a file where two hashes are equal, or whose hashes would not fit, is sorted by key
/// in its order, to name the rows as the readers would.
async fn scanned_key(
    ctx: &SessionContext,
    ds: &Dataset,
    key: &str,
    shown: &str,
    hashes_fit: bool,
) -> Result<(), DataError> {
    let table = ctx.table(TableReference::bare(ds.name.as_str())).await?;
    let (missing, hashes) = key_hashes(table.clone().select(vec![ident(key)])?, hashes_fit).await?;
    if missing {
        let first = parquet::in_file_order(table)
            .filter(ident(key).is_null())?
            .select(vec![cast(ident(csv::LINE), DataType::Int64)])?
            .limit(0, Some(1))?
            .collect()
            .await?;
        let line = first
            .iter()
            .find(|b| b.num_rows() > 0)
            .map_or(0, |b| b.column(0).as_primitive::<Int64Type>().value(0));
        return Err(records::missing_key(shown, line as u64, key));
    }
    let threads = ctx.state().config().target_partitions();
    if hashes.is_none_or(|h| super::keys::hashes_repeat(h, threads)) {
        repeated_key(ctx, ds, key, shown, true).await?;
    }
    Ok(())
}

/// Whether any row of the one-column `table` has no value; and, when `hashes` is asked for, the
/// hash of every value (by value, whatever the column's type).
async fn key_hashes(
    table: datafusion::dataframe::DataFrame,
    hashes: bool,
) -> Result<(bool, Option<Vec<u64>>), DataError> {
    use datafusion::common::hash_utils::{create_hashes, RandomState};
    // Each partition on a task of its own, so that the scans run on every thread.
    let tasks: Vec<_> = table
        .execute_stream_partitioned()
        .await?
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let state = RandomState::with_seed(0);
                let (mut missing, mut kept, mut buffer) = (false, Vec::new(), Vec::new());
                while let Some(batch) = stream.next().await.transpose()? {
                    let column = batch.column(0);
                    missing |= column.null_count() > 0;
                    if hashes && !missing {
                        buffer.clear();
                        buffer.resize(column.len(), 0);
                        create_hashes([column], &state, &mut buffer)?;
                        kept.extend_from_slice(&buffer);
                    }
                }
                Ok::<_, DataError>((missing, kept))
            })
        })
        .collect();
    let mut parts = Vec::with_capacity(tasks.len());
    for task in tasks {
        let part = task
            .await
            .map_err(|e| DataError::Engine(format!("a key-checking task failed: {e}")))?;
        parts.push(part?);
    }
    let missing = parts.iter().any(|(m, _)| *m);
    let kept = hashes.then(|| parts.into_iter().flat_map(|(_, h)| h).collect());
    Ok((missing, kept))
}

/// The first row, in the source's order, whose `key` value an earlier row has: the same error the
/// readers give when they hold the keys in memory, found by sorting the staged (or `scanned`) rows
/// by key (a sort spills to disk) and reading them in that order.
async fn repeated_key(
    ctx: &SessionContext,
    ds: &Dataset,
    key: &str,
    shown: &str,
    scanned: bool,
) -> Result<(), DataError> {
    let table = ctx.table(TableReference::bare(ds.name.as_str())).await?;
    // The row numbers of a scanned file follow its order only where the scan is not split.
    let table = if scanned {
        parquet::in_file_order(table)
    } else {
        table
    };
    let mut sorted = table
        .filter(ident(key).is_not_null())?
        .select(vec![
            cast(ident(key), DataType::Utf8).alias("key"),
            // Lines of a file read are 64-bit integers; row numbers of a scanned one unsigned.
            cast(ident(csv::LINE), DataType::Int64).alias("line"),
        ])?
        .sort(vec![
            ident("key").sort(true, false),
            ident("line").sort(true, false),
        ])?
        .execute_stream()
        .await?;
    // The current key and its first line; the earliest repeat found (line, first line, value).
    let mut current: Option<(String, i64)> = None;
    let mut repeat: Option<(i64, i64, String)> = None;
    while let Some(batch) = sorted.next().await.transpose()? {
        let keys = batch.column(0).as_string::<i32>();
        let lines = batch.column(1).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            let (k, line) = (keys.value(i), lines.value(i));
            match &current {
                Some((seen, first)) if seen == k => {
                    if repeat.as_ref().is_none_or(|(l, ..)| line < *l) {
                        repeat = Some((line, *first, k.to_string()));
                    }
                }
                _ => current = Some((k.to_string(), line)),
            }
        }
    }
    match repeat {
        None => Ok(()),
        Some((line, first_line, value)) => Err(DataError::DuplicateKey {
            path: shown.to_string(),
            line: line as u64,
            column: key.to_string(),
            value,
            first_line: first_line as u64,
        }),
    }
}

/// A reader that fingerprints what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Bytes in lowercase hexadecimal, as fingerprints are written.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
