//! Owns registering each dataset with the query engine, from CSV or Parquet, and fingerprinting it.

use super::error::DataError;
use super::{csv, parquet, Input};
use crate::check::model::{Dataset, SourceFormat};
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

pub async fn register(
    ctx: &SessionContext,
    ds: &Dataset,
    data_dir: &Path,
    money_scale: u32,
    threads: usize,
) -> Result<Input, DataError> {
    let path = data_dir.join(&ds.source);
    let shown = path.display().to_string();
    let bytes = std::fs::read(&path).map_err(|e| DataError::Unreadable {
        dataset: ds.name.clone(),
        path: shown.clone(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => {
                "no such file (relative sources resolve against --data, or the scorecard's folder)"
                    .into()
            }
            _ => e.to_string(),
        },
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let (rows, format) = match ds.format {
        SourceFormat::Csv => {
            let loaded = csv::read(ds, &shown, &bytes, money_scale, threads)?;
            let schema = loaded.partitions[0][0].schema();
            let table = MemTable::try_new(schema, loaded.partitions)?;
            ctx.register_table(TableReference::bare(ds.name.as_str()), Arc::new(table))?;
            (loaded.rows, "csv")
        }
        SourceFormat::Parquet => {
            drop(bytes);
            (
                parquet::register(ctx, ds, &path, &shown, money_scale).await?,
                "parquet",
            )
        }
        SourceFormat::Attribution | SourceFormat::Allocation | SourceFormat::View => {
            return Err(DataError::Engine(format!(
                "`{}` is computed by the scorecard, not read from a file",
                ds.name
            )))
        }
    };
    Ok(Input {
        dataset: ds.name.clone(),
        path: ds.source.clone(),
        format: format.into(),
        sha256,
        rows,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
