//! Owns reading a Parquet file under the declared schema: every declared column must exist with a type
//! that converts exactly (no binary floating point into money, no lost decimal places).

use super::error::DataError;
use super::schema::arrow_type;
use crate::check::model::{ColumnType, Dataset};
use crate::diagnostic::did_you_mean;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::TableReference;
use datafusion::prelude::{cast, ident, ParquetReadOptions, SessionContext};
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::path::Path;

/// Registers the file as a table named after the dataset, with declared types; returns its row count.
pub async fn register(
    ctx: &SessionContext,
    ds: &Dataset,
    path: &Path,
    shown: &str,
    money_scale: u32,
) -> Result<u64, DataError> {
    let unreadable = |reason: String| DataError::Unreadable {
        dataset: ds.name.clone(),
        path: shown.to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let reader = SerializedFileReader::new(file)
        .map_err(|e| unreadable(format!("not a readable Parquet file: {e}")))?;
    let rows = reader.metadata().file_metadata().num_rows().max(0) as u64;

    let raw = TableReference::bare(format!("__raw_{}", ds.name));
    let absolute = std::fs::canonicalize(path).map_err(|e| unreadable(e.to_string()))?;
    let location = absolute
        .to_str()
        .ok_or_else(|| unreadable("the path is not valid UTF-8".into()))?;
    ctx.register_parquet(raw.clone(), location, ParquetReadOptions::default())
        .await?;
    let df = ctx.table(raw).await?;
    let schema = df.schema().clone();
    let mut columns = Vec::new();
    for c in &ds.columns {
        let Some(field) = schema.fields().iter().find(|f| f.name() == &c.name) else {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(DataError::MissingColumn {
                dataset: ds.name.clone(),
                path: shown.to_string(),
                column: c.name.clone(),
                hint: did_you_mean(&c.name, names.iter().copied())
                    .map(|h| format!("the file has a similar column: {h}"))
                    .or_else(|| Some(format!("the file's columns are: {}", names.join(", ")))),
            });
        };
        let target = arrow_type(c.ty, money_scale);
        if let Err(hint) = converts(field.data_type(), c.ty, &target) {
            return Err(DataError::ColumnType {
                path: shown.to_string(),
                column: c.name.clone(),
                found: field.data_type().to_string(),
                declared: c.ty.name(),
                hint: Some(hint),
            });
        }
        columns.push(cast(ident(&c.name), target).alias(&c.name));
    }
    // Row numbers follow the file's order because scans are not split (see `engine::run`).
    columns.push(datafusion::functions_window::expr_fn::row_number().alias(super::csv::LINE));
    let typed = df.select(columns)?;
    ctx.register_table(TableReference::bare(ds.name.as_str()), typed.into_view())?;
    Ok(rows)
}

/// Whether a stored Arrow type converts to the declared one without losing anything.
fn converts(found: &DataType, declared: ColumnType, target: &DataType) -> Result<(), String> {
    use DataType::*;
    let ok = match (declared, found) {
        (_, f) if f == target => true,
        (ColumnType::Text, Utf8 | LargeUtf8 | Utf8View) => true,
        (ColumnType::Integer, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32) => true,
        (ColumnType::Date, Date32 | Date64) => true,
        (ColumnType::Timestamp, Timestamp(..) | Date32 | Date64) => true,
        (ColumnType::Bool, Boolean) => true,
        (ColumnType::Money | ColumnType::Decimal { .. } | ColumnType::Percent, Float16 | Float32 | Float64) => {
            return Err("binary floating point cannot hold money exactly: store the column as DECIMAL in the Parquet file".into())
        }
        (ColumnType::Money | ColumnType::Decimal { .. } | ColumnType::Percent, Decimal128(_, s) | Decimal256(_, s)) => {
            let DataType::Decimal128(_, want) = target else { return Err(String::new()) };
            if s > want {
                return Err(format!(
                    "the file keeps {s} decimal places but the column allows {want}; declare `decimal(28, {s})` rather than lose places"
                ));
            }
            true
        }
        (ColumnType::Money | ColumnType::Decimal { .. }, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "declare the column with the type it holds, or convert it in the file ({found})"
        ))
    }
}
