//! Owns checking the `key` columns of a table the queries scan from a file (a Parquet source, or
//! rows staged on disk under a memory limit), which no reader held in memory: every row has a key,
//! and no two rows the same, with the first repeat named by its line as the readers name it.
//!
//! The key column is scanned in parallel and its values' hashes sorted (`keys::repeated_hashes`);
//! where they would not fit in a quarter of the memory limit, the scan is repeated, each time for
//! a share of the hashes. Only rows whose hash repeats are read again, with their lines, and
//! compared as values. A sort of the whole table by key did this before: a third of a keyed
//! Parquet run's time, and it ran out of memory under a limit, where its merge could not spill.

use crate::error::DataError;
use crate::sources::csv::LINE;
use crate::sources::keys::repeated_hashes;
use crate::sources::{parquet, records};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::hash_utils::{create_hashes, RandomState};
use datafusion::common::TableReference;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{ident, SessionContext};
use futures::StreamExt;
use scorecard_model::Dataset;
use std::collections::{HashMap, HashSet};

/// A table to check the keys of, as its file is named in errors.
pub struct Scan<'a> {
    pub shown: &'a str,
    /// Whether its lines are row numbers in the file, right only where a scan is not split.
    pub in_file_order: bool,
    pub rows: u64,
    pub memory_limit: Option<usize>,
}

/// How many repeated hashes are looked into row by row; past that, the table is compared by a
/// sort (a file of whole rows given twice).
const MAX_REPEATED: usize = 1 << 20;

/// Every key column of `ds`'s table, checked: the error reported is the one on the earliest line,
/// of whichever column.
pub async fn check(ctx: &SessionContext, ds: &Dataset, scan: Scan<'_>) -> Result<(), DataError> {
    let mut first: Option<DataError> = None;
    for key in ds.columns.iter().filter(|c| c.key) {
        if let Some(e) = check_column(ctx, ds, &key.name, &scan).await? {
            if first.as_ref().is_none_or(|f| e.line() < f.line()) {
                first = Some(e);
            }
        }
    }
    first.map_or(Ok(()), Err)
}

/// The first row of column `key` with no value or with a value an earlier row has.
async fn check_column(
    ctx: &SessionContext,
    ds: &Dataset,
    key: &str,
    scan: &Scan<'_>,
) -> Result<Option<DataError>, DataError> {
    let table = ctx.table(TableReference::bare(ds.name.as_str())).await?;
    let threads = ctx.state().config().target_partitions();
    // Eight bytes a row, in a quarter of the memory limit.
    let shares = match scan.memory_limit {
        Some(limit) => (scan.rows * 8).div_ceil((limit as u64 / 4).max(1)).max(1),
        None => 1,
    };
    let (mut missing, mut repeated) = (false, HashSet::new());
    for share in 0..shares {
        let column = table.clone().select(vec![ident(key)])?;
        let (none, hashes) = key_hashes(column, (share, shares)).await?;
        missing |= none;
        repeated.extend(repeated_hashes(hashes, threads));
    }
    let missing = match missing {
        true => Some(first_missing(table.clone(), key, scan).await?),
        false => None,
    };
    let repeat = match repeated.is_empty() {
        true => None,
        false => first_repeat(table, key, scan, &repeated).await?,
    };
    Ok(match (missing, repeat) {
        (Some(m), Some(r)) => Some(if r.line() < m.line() { r } else { m }),
        (m, r) => m.or(r),
    })
}

/// Whether a row of the one-column `table` has no value; and the hash of every value (by value,
/// whatever the column's type) in share `share` of `shares`, rows with no value left out.
async fn key_hashes(
    table: DataFrame,
    (share, shares): (u64, u64),
) -> Result<(bool, Vec<u64>), DataError> {
    // Each partition on a task of its own, so that the scans run on every thread.
    let tasks: Vec<_> = table
        .execute_stream_partitioned()
        .await?
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let state = RandomState::with_seed(0);
                let (mut missing, mut kept, mut buffer) = (false, Vec::<u64>::new(), Vec::new());
                while let Some(batch) = stream.next().await.transpose()? {
                    let column = batch.column(0);
                    buffer.clear();
                    buffer.resize(column.len(), 0);
                    create_hashes([column], &state, &mut buffer)?;
                    let shared = |(i, h): (usize, &u64)| *h % shares == share && column.is_valid(i);
                    match column.null_count() > 0 {
                        true => {
                            missing = true;
                            kept.extend(
                                buffer
                                    .iter()
                                    .enumerate()
                                    .filter(|x| shared(*x))
                                    .map(|(_, h)| h),
                            );
                        }
                        false => kept.extend(buffer.iter().filter(|h| **h % shares == share)),
                    }
                }
                Ok::<_, DataError>((missing, kept))
            })
        })
        .collect();
    let (mut missing, mut hashes) = (false, Vec::new());
    for task in tasks {
        let (m, h) = task
            .await
            .map_err(|e| DataError::Engine(format!("a key-checking task failed: {e}")))??;
        missing |= m;
        hashes.extend(h);
    }
    Ok((missing, hashes))
}

/// The rows of `table` in its file's order, where its lines are row numbers.
fn in_order(table: DataFrame, scan: &Scan) -> DataFrame {
    match scan.in_file_order {
        true => parquet::in_file_order(table),
        false => table,
    }
}

/// The first row with no key, as the readers name it.
async fn first_missing(
    table: DataFrame,
    key: &str,
    scan: &Scan<'_>,
) -> Result<DataError, DataError> {
    let first = in_order(table, scan)
        .filter(ident(key).is_null())?
        .select(vec![datafusion::prelude::cast(
            ident(LINE),
            DataType::Int64,
        )])?
        .limit(0, Some(1))?
        .collect()
        .await?;
    let line = first
        .iter()
        .find(|b| b.num_rows() > 0)
        .map_or(0, |b| b.column(0).as_primitive::<Int64Type>().value(0));
    Ok(records::missing_key(scan.shown, line as u64, key))
}

/// The first row, in the source's order, whose key an earlier row has, among the rows whose key's
/// hash is one of `repeated`; none when those were only hashes alike.
async fn first_repeat(
    table: DataFrame,
    key: &str,
    scan: &Scan<'_>,
    repeated: &HashSet<u64>,
) -> Result<Option<DataError>, DataError> {
    if repeated.len() > MAX_REPEATED {
        return sorted_first_repeat(table, key, scan).await;
    }
    let mut rows = in_order(table, scan)
        .select(vec![
            ident(key),
            datafusion::prelude::cast(ident(LINE), DataType::Int64),
        ])?
        .execute_stream()
        .await?;
    let state = RandomState::with_seed(0);
    let mut buffer = Vec::new();
    // (line, value) of each row whose hash repeats.
    let mut candidates: Vec<(i64, String)> = Vec::new();
    while let Some(batch) = rows.next().await.transpose()? {
        let (keys, lines) = (batch.column(0), batch.column(1).as_primitive::<Int64Type>());
        buffer.clear();
        buffer.resize(keys.len(), 0);
        create_hashes([keys], &state, &mut buffer)?;
        let text = cast(keys, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        for (i, h) in buffer.iter().enumerate() {
            if repeated.contains(h) && !text.is_null(i) {
                candidates.push((lines.value(i), text.value(i).to_string()));
            }
        }
    }
    candidates.sort_unstable();
    let mut first_seen: HashMap<&str, i64> = HashMap::new();
    for (line, value) in &candidates {
        if let Some(&first_line) = first_seen.get(value.as_str()) {
            return Ok(Some(repeated_key(scan, key, value, (*line, first_line))));
        }
        first_seen.insert(value, *line);
    }
    Ok(None)
}

fn repeated_key(scan: &Scan, key: &str, value: &str, (line, first_line): (i64, i64)) -> DataError {
    DataError::DuplicateKey {
        path: scan.shown.to_string(),
        line: line as u64,
        column: key.to_string(),
        value: value.to_string(),
        first_line: first_line as u64,
    }
}

/// The first repeat found by sorting the whole table by key and line, for a table where a great
/// many hashes repeat.
async fn sorted_first_repeat(
    table: DataFrame,
    key: &str,
    scan: &Scan<'_>,
) -> Result<Option<DataError>, DataError> {
    let mut sorted = in_order(table, scan)
        .filter(ident(key).is_not_null())?
        .select(vec![
            datafusion::prelude::cast(ident(key), DataType::Utf8).alias("key"),
            datafusion::prelude::cast(ident(LINE), DataType::Int64).alias("line"),
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
    Ok(repeat.map(|(line, first, value)| repeated_key(scan, key, &value, (line, first))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::datasource::MemTable;
    use std::sync::Arc;

    /// The error checking the keys of dataset `t` of a scorecard declaring `columns` gives, its
    /// table the `parts` (each a list of columns, `__line` last) of `rows` rows.
    fn checked(
        columns: &str,
        parts: Vec<Vec<ArrayRef>>,
        (rows, memory_limit): (u64, Option<usize>),
    ) -> Option<String> {
        let source = format!(
            "scorecard s {{ grain: month }}\ndataset t {{ source: \"t.csv\" time: day columns: {{ {columns}  day: date }} }}\nkpi k {{ value: count(t) }}\n"
        );
        let model = scorecard_check::compile(&source).model.unwrap();
        let ds = model.dataset("t").unwrap();
        let batches: Vec<Vec<RecordBatch>> = parts
            .into_iter()
            .map(|arrays| {
                let fields: Vec<Field> = ds
                    .columns
                    .iter()
                    .filter(|c| c.key)
                    .zip(&arrays)
                    .map(|(c, a)| Field::new(&c.name, a.data_type().clone(), true))
                    .chain([Field::new(LINE, DataType::Int64, false)])
                    .collect();
                vec![RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()]
            })
            .collect();
        let schema = batches[0][0].schema();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        runtime.block_on(async {
            let ctx = SessionContext::new();
            let table = MemTable::try_new(schema, batches).unwrap();
            ctx.register_table("t", Arc::new(table)).unwrap();
            let scan = Scan {
                shown: "t.csv",
                in_file_order: false,
                rows,
                memory_limit,
            };
            check(&ctx, ds, scan).await.err().map(|e| e.to_string())
        })
    }

    /// Lines 2, 3, ... for the rows in `range`.
    fn lines(range: std::ops::Range<usize>) -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(range.map(|i| i as i64 + 2)))
    }

    #[test]
    fn the_first_repeat_is_named_whatever_share_of_the_hashes_each_scan_keeps() {
        let names: Vec<String> = (0..5_000).map(|i| format!("K{i}")).collect();
        let mut ids: Vec<Option<&str>> = names.iter().map(|s| Some(s.as_str())).collect();
        // Two partitions, the second half first.
        let run = |ids: &[Option<&str>], limit| {
            let half = ids.len() / 2;
            let part = |r: std::ops::Range<usize>| -> Vec<ArrayRef> {
                vec![
                    Arc::new(StringArray::from(ids[r.clone()].to_vec())),
                    lines(r),
                ]
            };
            let parts = vec![part(half..ids.len()), part(0..half)];
            checked("id: text key", parts, (ids.len() as u64, limit))
        };
        assert_eq!(run(&ids, None), None);
        // 40,000 bytes of hashes in a quarter of 4,096: ten scans, each for a tenth.
        assert_eq!(run(&ids, Some(4_096)), None);
        // K10 again on line 3002 (in the second partition, read first), K7 on line 4002.
        ids[3_000] = Some("K10");
        ids[4_000] = Some("K7");
        for limit in [None, Some(4_096)] {
            let e = run(&ids, limit).unwrap();
            assert!(
                e.contains("t.csv:3002") && e.contains("first seen on line 12"),
                "{e}"
            );
        }
        // A key missing on an earlier line than the repeat is the error.
        ids[100] = None;
        let e = run(&ids, Some(4_096)).unwrap();
        assert!(e.contains("t.csv:102"), "{e}");
    }

    #[test]
    fn of_two_key_columns_the_earlier_row_is_reported_and_a_repeat_before_a_missing_key() {
        // (id, n) on lines 2..: n repeats on line 5, id on line 6; a missing id on line 7.
        let run = |ids: Vec<Option<&str>>, ns: Vec<Option<i64>>| {
            let parts = vec![vec![
                Arc::new(StringArray::from(ids)) as ArrayRef,
                Arc::new(Int64Array::from(ns)),
                lines(0..6),
            ]];
            checked("id: text key  n: integer key", parts, (6, None)).unwrap()
        };
        let ids = vec![Some("a"), Some("b"), Some("c"), Some("d"), Some("b"), None];
        let ns = vec![Some(1), Some(2), Some(3), Some(2), Some(9), Some(10)];
        let e = run(ids.clone(), ns);
        assert!(
            e.contains("t.csv:5") && e.contains("`n`") && e.contains("first seen on line 3"),
            "{e}"
        );
        // Without n's repeat, id's on line 6 comes before the missing id on line 7.
        let ns = vec![Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)];
        let e = run(ids, ns);
        assert!(e.contains("t.csv:6") && e.contains("`id`"), "{e}");
    }
}
