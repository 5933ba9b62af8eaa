//! Owns registering each dataset with the query engine, from its source (CSV, Parquet, JSON lines,
//! Excel, PostgreSQL), and fingerprinting what was read.

use crate::error::DataError;
use crate::sources::records::{self, Sinks, Staged};
use crate::sources::scanned_keys::{self, Scan};
use crate::sources::{csv, excel, jsonl, parquet, postgres};
use crate::Input;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use scorecard_model::{Dataset, SourceFormat};
use scorecard_project::source::{InlineSource, Source};
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
        Source::Inline(inline) => return register_inline(ctx, ds, inline, reading, numbered).await,
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
    if !scorecard_project::inside(path, reading.sandbox) {
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
            let loaded = csv::read(ds, &shown, &mut input, money_scale, how, &sinks)
                .map_err(|e| staged_error(ds, (path, &shown, false), e, (reading, &sinks)))?;
            register_loaded(ctx, ds, (loaded, &shown), sinks).await?
        }
        SourceFormat::JsonLines => {
            let sinks = reading.sinks(ds, numbered)?;
            let loaded = jsonl::read(ds, &shown, &mut input, money_scale, numbered, &sinks)
                .map_err(|e| staged_error(ds, (path, &shown, true), e, (reading, &sinks)))?;
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
            let scan = Scan {
                shown: &shown,
                in_file_order: true,
                rows,
                memory_limit: reading.memory_limit,
            };
            scanned_keys::check(ctx, ds, scan).await?;
            // A Parquet file is scanned by the queries, not read here: its rows count as read.
            if let Some(c) = reading.counter {
                c.fetch_add(rows, std::sync::atomic::Ordering::Relaxed);
            }
            rows
        }
        SourceFormat::Attribution
        | SourceFormat::Allocation
        | SourceFormat::View
        | SourceFormat::Cohort => {
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

/// Registers rows written as CSV text in the scorecard (a test's data): read as a CSV file is,
/// and named in messages as the source says.
async fn register_inline(
    ctx: &SessionContext,
    ds: &Dataset,
    inline: &InlineSource,
    reading: &Reading<'_>,
    numbered: bool,
) -> Result<Input, DataError> {
    let sinks = reading.sinks(ds, numbered)?;
    let how = (reading.threads, numbered);
    let mut text = inline.csv.as_bytes();
    let loaded = csv::read(
        ds,
        &inline.shown,
        &mut text,
        reading.money_scale,
        how,
        &sinks,
    )?;
    let rows = register_loaded(ctx, ds, (loaded, &inline.shown), sinks).await?;
    Ok(Input {
        dataset: ds.name.clone(),
        path: inline.shown.clone(),
        format: "csv".into(),
        sha256: hex(&Sha256::digest(inline.csv.as_bytes())),
        rows,
    })
}

/// The error a CSV or JSON lines read stopped at, unless its rows were staged and a key repeats
/// on an earlier line: staged rows' keys are checked once the file is read, so the file's keys
/// before the error are read again to find it. They are held in memory (about 32 bytes each), so
/// this is skipped, and the error stands, where they would take more than half the memory limit.
fn staged_error(
    ds: &Dataset,
    (path, shown, json_lines): (&Path, &str, bool),
    e: DataError,
    (reading, sinks): (&Reading, &Sinks),
) -> DataError {
    let (true, Some(before)) = (sinks.staged.is_some(), e.line()) else {
        return e;
    };
    let too_many = reading
        .memory_limit
        .is_some_and(|limit| before.saturating_mul(32) > limit as u64 / 2);
    if !ds.columns.iter().any(|c| c.key) || too_many {
        return e;
    }
    let Ok(mut again) = std::fs::File::open(path) else {
        return e;
    };
    let repeat = match json_lines {
        true => jsonl::repeat_before(ds, shown, &mut again, before),
        false => csv::repeat_before(ds, shown, &mut again, reading.threads, before),
    };
    repeat.unwrap_or(e)
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
    let scan = Scan {
        shown,
        in_file_order: false,
        rows: loaded.rows,
        memory_limit: sinks.memory_limit,
    };
    scanned_keys::check(ctx, ds, scan).await?;
    Ok(loaded.rows)
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
