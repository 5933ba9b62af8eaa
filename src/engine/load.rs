//! Owns registering each dataset with the query engine, from its source (CSV, Parquet, JSON lines,
//! Excel, PostgreSQL), and fingerprinting what was read.

use super::error::DataError;
use super::{csv, excel, jsonl, parquet, postgres, Input};
use crate::check::model::{Dataset, SourceFormat};
use crate::project::source::Source;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

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
    let file = match source {
        Source::File(file) => file,
        Source::Postgres(pg) => {
            let (loaded, sha256) = postgres::read(
                ds,
                pg,
                reading.money_scale,
                numbered,
                (reading.as_of, reading.counter),
            )
            .await?;
            let rows = loaded.rows;
            register_loaded(ctx, ds, loaded)?;
            return Ok(Input {
                dataset: ds.name.clone(),
                path: pg.shown(),
                format: "postgres".into(),
                sha256,
                rows,
            });
        }
    };
    let (path, shown) = (&file.path, file.shown.clone());
    let unreadable = |e: std::io::Error| {
        DataError::Unreadable {
        dataset: ds.name.clone(),
        path: shown.clone(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => {
                "no such file (relative sources resolve against --data, or the scorecard's folder; a path bound in scorecard.toml, against its folder)"
                    .into()
            }
            _ => e.to_string(),
        },
    }
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
            let how = (reading.threads, numbered);
            let loaded = csv::read(ds, &shown, &mut input, money_scale, how, reading.counter)?;
            register_loaded(ctx, ds, loaded)?
        }
        SourceFormat::JsonLines => {
            let loaded = jsonl::read(
                ds,
                &shown,
                &mut input,
                money_scale,
                numbered,
                reading.counter,
            )?;
            register_loaded(ctx, ds, loaded)?
        }
        SourceFormat::Excel => {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).map_err(unreadable)?;
            let part = (file.sheet.as_deref(), file.range.as_deref());
            let loaded = excel::read(
                ds,
                &shown,
                bytes,
                part,
                money_scale,
                numbered,
                reading.counter,
            )?;
            register_loaded(ctx, ds, loaded)?
        }
        SourceFormat::Parquet => {
            let rows = parquet::register(ctx, ds, path, &shown, money_scale).await?;
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

/// Registers rows read into memory as the dataset's table; returns how many there are.
fn register_loaded(
    ctx: &SessionContext,
    ds: &Dataset,
    loaded: csv::Loaded,
) -> Result<u64, DataError> {
    let table = MemTable::try_new(loaded.schema, loaded.partitions)?;
    ctx.register_table(TableReference::bare(ds.name.as_str()), Arc::new(table))?;
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
