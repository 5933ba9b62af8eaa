//! Owns reading a Parquet file under the declared schema: every declared column must exist with a type
//! that converts exactly (no binary floating point into money, no lost decimal places).

use crate::error::DataError;
use crate::sources::schema::arrow_type;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::TableReference;
use datafusion::prelude::{cast, ident, DataFrame, ParquetReadOptions, SessionContext};
use parquet::file::reader::{FileReader, SerializedFileReader};
use scorecard_diagnostic::did_you_mean;
use scorecard_model::{ColumnType, Dataset};
use std::path::Path;

/// Registers the file as a table named after the dataset, with declared types; returns its row count.
pub async fn register(
    ctx: &SessionContext,
    ds: &Dataset,
    path: &Path,
    shown: &str,
    money_scale: u32,
) -> Result<u64, DataError> {
    let unreadable = |reason: String| DataError::unreadable(&ds.name, shown, reason);
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
        let target = arrow_type(c.ty, c.money_scale(money_scale));
        if let Err(hint) = converts(field.data_type(), c.ty, &target) {
            return Err(DataError::ColumnType {
                path: shown.to_string(),
                column: c.name.clone(),
                found: field.data_type().to_string(),
                declared: c.ty.name(),
                hint: Some(hint),
            });
        }
        let typed = match (c.ty, field.data_type()) {
            // Written without a zone: the wall-clock time of the dataset's zone.
            (ColumnType::Timestamp, DataType::Timestamp(_, None)) => {
                let zone = scorecard_model::zone::Zone::of(ds.time_zone.as_deref());
                crate::sources::zone::instant(cast(ident(&c.name), target), zone)
            }
            _ => cast(ident(&c.name), target),
        };
        columns.push(typed.alias(&c.name));
    }
    for c in ds.columns.iter().filter(|c| c.ty.is_time()) {
        if !within_statistics(reader.metadata(), &c.name) {
            first_day_out_of_range(&df, &c.name, shown).await?;
        }
    }
    first_skipped_time(&df, ds, shown).await?;
    // Row numbers follow the file's order only where the scan is not split: see `in_file_order`.
    columns
        .push(datafusion::functions_window::expr_fn::row_number().alias(crate::sources::csv::LINE));
    let typed = df.select(columns)?;
    ctx.register_table(TableReference::bare(ds.name.as_str()), typed.into_view())?;
    Ok(rows)
}

/// Whether the file's statistics show every value of a date or timestamp column within the days the
/// engine takes (`calendar::supported`), so that no scan is needed to know. Only a plain date column
/// (days, in 32 bits) is judged this way; any other, or a row group without statistics, is not.
fn within_statistics(meta: &parquet::file::metadata::ParquetMetaData, column: &str) -> bool {
    use parquet::basic::LogicalType;
    use parquet::file::statistics::Statistics;
    let schema = meta.file_metadata().schema_descr();
    let Some(i) = (0..schema.num_columns()).find(|i| schema.column(*i).name() == column) else {
        return false;
    };
    if !matches!(schema.column(i).logical_type_ref(), Some(LogicalType::Date)) {
        return false;
    }
    let (first, last) = (
        crate::values::days(scorecard_model::calendar::FIRST_DAY),
        crate::values::days(scorecard_model::calendar::LAST_DAY),
    );
    meta.row_groups()
        .iter()
        .all(|rg| match rg.column(i).statistics() {
            Some(Statistics::Int32(s)) => match (s.min_opt(), s.max_opt()) {
                (Some(lo), Some(hi)) => *lo >= first && *hi <= last,
                // Every value is empty.
                (None, None) => true,
                _ => false,
            },
            _ => false,
        })
}

/// Refuses a date or timestamp column holding a day the engine does not take, naming the first
/// such row (its place in the file) and its value.
async fn first_day_out_of_range(
    raw: &DataFrame,
    column: &str,
    shown: &str,
) -> Result<(), DataError> {
    use datafusion::prelude::{col, lit};
    use datafusion::scalar::ScalarValue;
    let day = cast(col(column), DataType::Date32);
    let bound = |d| lit(ScalarValue::Date32(Some(crate::values::days(d))));
    let outside = day
        .clone()
        .lt(bound(scorecard_model::calendar::FIRST_DAY))
        .or(day.gt(bound(scorecard_model::calendar::LAST_DAY)));
    let found = in_file_order(raw.clone())
        .select(vec![
            datafusion::functions_window::expr_fn::row_number().alias("row"),
            col(column),
        ])?
        .filter(outside)?
        .limit(0, Some(1))?
        .collect()
        .await?;
    let Some(batch) = found.iter().find(|b| b.num_rows() > 0) else {
        return Ok(());
    };
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Date32Type, Date64Type, UInt64Type};
    let row = batch.column(0).as_primitive::<UInt64Type>().value(0);
    let stored = batch.column(1);
    // A day beyond what chrono holds cannot be printed as a date: it is given as a count of days.
    let value = match stored.data_type() {
        DataType::Date32 => day_text(i64::from(stored.as_primitive::<Date32Type>().value(0))),
        DataType::Date64 => day_text(stored.as_primitive::<Date64Type>().value(0) / 86_400_000),
        _ => datafusion::arrow::util::display::array_value_to_string(stored, 0)
            .unwrap_or_else(|_| "(a timestamp beyond any calendar)".into()),
    };
    Err(DataError::BadValue(Box::new(crate::error::BadValue {
        path: shown.to_string(),
        line: row,
        column: column.to_string(),
        value,
        expected: format!("a date {}", scorecard_model::calendar::SUPPORTED),
        hint: Some("a year beyond these is a mistake in the data, or a placeholder such as `infinity`: leave the value empty for no date".into()),
    })))
}

/// Refuses a timestamp written without a zone that is a wall-clock time the dataset's zone
/// skipped (clocks moved forward over it), naming its row and value, as the text readers do.
async fn first_skipped_time(raw: &DataFrame, ds: &Dataset, shown: &str) -> Result<(), DataError> {
    use datafusion::prelude::col;
    let zone = scorecard_model::zone::Zone::of(ds.time_zone.as_deref());
    if zone.is_utc() {
        return Ok(());
    }
    let schema = raw.schema().clone();
    for c in ds.columns.iter().filter(|c| c.ty == ColumnType::Timestamp) {
        let naive = schema
            .field_with_unqualified_name(&c.name)
            .is_ok_and(|f| matches!(f.data_type(), DataType::Timestamp(_, None)));
        if !naive {
            continue;
        }
        let local = cast(
            col(c.name.as_str()),
            DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
        );
        let found = in_file_order(raw.clone())
            .select(vec![
                datafusion::functions_window::expr_fn::row_number().alias("row"),
                local.clone().alias("at"),
            ])?
            .filter(crate::sources::zone::skipped(col("at"), zone).is_true())?
            .limit(0, Some(1))?
            .collect()
            .await?;
        let Some(batch) = found.iter().find(|b| b.num_rows() > 0) else {
            continue;
        };
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::UInt64Type;
        let row = batch.column(0).as_primitive::<UInt64Type>().value(0);
        let value = datafusion::arrow::util::display::array_value_to_string(batch.column(1), 0)
            .unwrap_or_default();
        return Err(DataError::BadValue(Box::new(crate::error::BadValue {
            path: shown.to_string(),
            line: row,
            column: c.name.clone(),
            value,
            expected: format!("a time that {} has", zone.name()),
            hint: Some("clocks moved forward over this time, so no instant has it; write it with its UTC offset, or check the dataset's `time_zone`".into()),
        })));
    }
    Ok(())
}

/// A day as a date, or as a count of days when no calendar holds it.
fn day_text(days: i64) -> String {
    chrono::NaiveDate::default()
        .checked_add_signed(chrono::TimeDelta::days(days))
        .map(|d| d.to_string())
        .unwrap_or_else(|| format!("day {days} after 1970-01-01"))
}

/// The frame with its Parquet scans read whole, in file order, so that the hidden row numbers
/// (`csv::LINE`) are each row's place in its file. Every other query splits a large file's scan
/// between threads, and a row number computed over a split scan follows no order.
pub fn in_file_order(df: DataFrame) -> DataFrame {
    let (mut state, plan) = df.into_parts();
    state
        .config_mut()
        .options_mut()
        .optimizer
        .repartition_file_scans = false;
    DataFrame::new(state, plan)
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

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{AsArray, Date32Array, Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{Field, Int64Type, Schema};
    use datafusion::physical_plan::displayable;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    /// A file of 3,000 rows `n` = 1..3000 in 30 row groups, registered in a session that splits
    /// scans between two threads however small the file.
    async fn numbered() -> (tempfile::TempDir, SessionContext) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("day", DataType::Date32, false),
        ]));
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(100))
            .build();
        let mut w = ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema.clone(),
            Some(props),
        )
        .unwrap();
        let n = Int64Array::from_iter_values(1..=3000);
        let day = Date32Array::from(vec![20_000; 3000]);
        w.write(&RecordBatch::try_new(schema, vec![Arc::new(n), Arc::new(day)]).unwrap())
            .unwrap();
        w.close().unwrap();
        let compiled = scorecard_check::compile(
            "scorecard t { grain: month }\ndataset rows { source: \"rows.parquet\" time: day columns: { n: integer day: date } }\nkpi k { value: count(rows) }\n",
        );
        let model = compiled.model.expect("the test scorecard compiles");
        let ctx = crate::session(2, None).expect("a session");
        {
            let state = ctx.state_ref();
            let mut state = state.write();
            let options = state.config_mut().options_mut();
            options.optimizer.repartition_file_min_size = 0;
            // Splitting pays, by DataFusion's estimate, only for more rows than one batch.
            options.execution.batch_size = "256".parse().unwrap();
        }
        register(
            &ctx,
            model.dataset("rows").unwrap(),
            &path,
            "rows.parquet",
            2,
        )
        .await
        .unwrap();
        (dir, ctx)
    }

    async fn plan(df: DataFrame) -> String {
        let plan = df.create_physical_plan().await.unwrap();
        let shown = displayable(plan.as_ref()).indent(true).to_string();
        shown
    }

    #[test]
    fn row_numbers_follow_the_file_where_scans_are_split_elsewhere() {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap()
            .block_on(row_numbers());
    }

    async fn row_numbers() {
        let (_dir, ctx) = numbered().await;
        let rows = || async { ctx.table("rows").await.unwrap() };
        // Other queries split the scan...
        let sum = datafusion::functions_aggregate::expr_fn::sum(ident("n"));
        let split = plan(rows().await.aggregate(vec![], vec![sum]).unwrap()).await;
        assert!(split.contains("file_groups={2 groups"), "{split}");
        // ...but a frame that reads the row numbers scans the file whole, in order.
        let ordered = in_file_order(
            rows()
                .await
                .select_columns(&["n", crate::sources::csv::LINE])
                .unwrap(),
        );
        let whole = plan(ordered.clone()).await;
        assert!(whole.contains("file_groups={1 group"), "{whole}");
        let mut seen = 0;
        for b in ordered.collect().await.unwrap() {
            let n = b.column(0).as_primitive::<Int64Type>();
            let line = b.column(1);
            for i in 0..b.num_rows() {
                let line = match line.data_type() {
                    DataType::UInt64 => line
                        .as_primitive::<datafusion::arrow::datatypes::UInt64Type>()
                        .value(i) as i64,
                    _ => line.as_primitive::<Int64Type>().value(i),
                };
                assert_eq!(line, n.value(i));
                seen += 1;
            }
        }
        assert_eq!(seen, 3000);
    }

    #[test]
    fn statistics_decide_the_range_of_a_date_column_without_a_scan() {
        let write = |days: Vec<i32>| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("d.parquet");
            let schema = Arc::new(Schema::new(vec![Field::new("day", DataType::Date32, true)]));
            let mut w =
                ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema.clone(), None)
                    .unwrap();
            let batch = RecordBatch::try_new(schema, vec![Arc::new(Date32Array::from(days))]);
            w.write(&batch.unwrap()).unwrap();
            w.close().unwrap();
            let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
            within_statistics(reader.metadata(), "day")
        };
        // 0001-01-01 and 9999-12-31 are the first and last days taken.
        assert!(write(vec![-719_162, 20_000, 2_932_896]));
        assert!(!write(vec![20_000, 2_932_897]));
        assert!(!write(vec![-719_163]));
    }
}
