//! Owns registering each dataset with the query engine, from CSV or Parquet, and fingerprinting it.

use super::error::DataError;
use super::{csv, parquet, Input};
use crate::check::model::{Dataset, SourceFormat};
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Registers `ds` under its name, with its rows' lines (`__line`) kept when `numbered`, and returns
/// its fingerprint and row count.
pub async fn register(
    ctx: &SessionContext,
    ds: &Dataset,
    (data_dir, sandbox): (&Path, &[PathBuf]),
    money_scale: u32,
    threads: usize,
    numbered: bool,
) -> Result<Input, DataError> {
    let path = data_dir.join(&ds.source);
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| DataError::Unreadable {
        dataset: ds.name.clone(),
        path: shown.clone(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => {
                "no such file (relative sources resolve against --data, or the scorecard's folder)"
                    .into()
            }
            _ => e.to_string(),
        },
    };
    if !crate::project::inside(&path, sandbox) {
        return Err(DataError::OutsideProject {
            dataset: ds.name.clone(),
            path: shown,
            root: sandbox
                .first()
                .map(|r| r.display().to_string())
                .unwrap_or_default(),
        });
    }
    let mut file = Hashing {
        inner: std::fs::File::open(&path).map_err(unreadable)?,
        hash: Sha256::new(),
    };
    let (rows, format) = match ds.format {
        SourceFormat::Csv => {
            let loaded = csv::read(ds, &shown, &mut file, money_scale, threads, numbered)?;
            let table = MemTable::try_new(loaded.schema, loaded.partitions)?;
            ctx.register_table(TableReference::bare(ds.name.as_str()), Arc::new(table))?;
            (loaded.rows, "csv")
        }
        SourceFormat::Parquet => (
            parquet::register(ctx, ds, &path, &shown, money_scale).await?,
            "parquet",
        ),
        SourceFormat::Attribution | SourceFormat::Allocation | SourceFormat::View => {
            return Err(DataError::Engine(format!(
                "`{}` is computed by the scorecard, not read from a file",
                ds.name
            )))
        }
    };
    // The fingerprint is of every byte: read what the reader left (nothing, for CSV).
    std::io::copy(&mut file, &mut std::io::sink()).map_err(unreadable)?;
    let sha256 = hex(&file.hash.finalize());
    Ok(Input {
        dataset: ds.name.clone(),
        path: ds.source.clone(),
        format: format.into(),
        sha256,
        rows,
    })
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
