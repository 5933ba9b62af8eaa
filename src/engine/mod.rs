//! Owns running the aggregate passes on DataFusion: loading each dataset once, computing every
//! aggregate per period and segment, and recording the inputs (path, sha256, rows) for the manifest.

mod csv;
pub mod error;
mod load;
mod parquet;
mod period;
pub mod plan;
mod query;
mod schema;
pub mod values;

pub use error::DataError;

use crate::calendar::Periods;
use crate::check::model::{AggFunc, Model};
use datafusion::prelude::{SessionConfig, SessionContext};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

pub struct Options {
    /// The directory relative dataset sources resolve against.
    pub data_dir: PathBuf,
    /// First and last period to evaluate, by name (`2026-05`) or as a date.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
}

/// One data file read, for the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub dataset: String,
    /// As written in the scorecard.
    pub path: String,
    pub format: String,
    pub sha256: String,
    pub rows: u64,
}

/// The aggregates of every pass, keyed by period and segment values.
#[derive(Debug, Default)]
pub struct Aggregates {
    pub inputs: Vec<Input>,
    /// The periods to report, in order.
    pub periods: Vec<i64>,
    tables: BTreeMap<plan::Pass, Table>,
}

/// A period and the values of the segment columns (`None` where a row's column was empty).
type RowKey = (i64, Vec<Option<String>>);

#[derive(Debug, Default)]
struct Table {
    /// Where each aggregate's value sits in a row.
    slots: HashMap<usize, usize>,
    rows: HashMap<RowKey, Vec<Option<Decimal>>>,
}

/// What the data says about one aggregate in one period and segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Found {
    /// The dataset has no rows in this period and segment.
    NoRows,
    /// Rows exist; the aggregate over them (no value when, say, an average has nothing to average).
    Value(Option<Decimal>),
}

impl Aggregates {
    pub fn get(
        &self,
        model: &Model,
        aggregate: usize,
        by: &[String],
        period: i64,
        segment: &[Option<String>],
    ) -> Found {
        let pass = plan::Pass {
            dataset: model.aggregates[aggregate].dataset.clone(),
            by: by.to_vec(),
        };
        let Some(table) = self.tables.get(&pass) else {
            return Found::NoRows;
        };
        let (Some(slot), Some(row)) = (
            table.slots.get(&aggregate),
            table.rows.get(&(period, segment.to_vec())),
        ) else {
            return Found::NoRows;
        };
        Found::Value(row[*slot])
    }

    /// The segment values seen in a pass, sorted.
    pub fn segments(&self, dataset: &str, by: &[String]) -> Vec<Vec<Option<String>>> {
        let pass = plan::Pass {
            dataset: dataset.to_string(),
            by: by.to_vec(),
        };
        let mut seen: Vec<Vec<Option<String>>> = self
            .tables
            .get(&pass)
            .map(|t| {
                t.rows
                    .keys()
                    .filter(|(p, _)| self.periods.contains(p))
                    .map(|(_, s)| s.clone())
                    .collect()
            })
            .unwrap_or_default();
        seen.sort();
        seen.dedup();
        seen
    }
}

/// Loads the data and computes every aggregate the model's KPIs need.
pub fn aggregate(model: &Model, options: &Options) -> Result<Aggregates, DataError> {
    let periods = Periods::of(&model.header);
    let parse = |flag: &'static str, v: &Option<String>| -> Result<Option<i64>, DataError> {
        v.as_ref()
            .map(|text| {
                periods.parse(text).ok_or_else(|| DataError::BadPeriod {
                    flag,
                    value: text.clone(),
                    example: periods.example(),
                })
            })
            .transpose()
    };
    let range = (parse("from", &options.from)?, parse("to", &options.to)?);
    if let (Some(f), Some(t)) = range {
        if f > t {
            return Err(DataError::EmptyRange {
                from: periods.label(f),
                to: periods.label(t),
            });
        }
    }
    let threads = options.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| DataError::Engine(e.to_string()))?;
    runtime.block_on(run(model, options, periods, range, threads))
}

async fn run(
    model: &Model,
    options: &Options,
    periods: Periods,
    (from, to): (Option<i64>, Option<i64>),
    threads: usize,
) -> Result<Aggregates, DataError> {
    let ctx = SessionContext::new_with_config(
        SessionConfig::new().with_target_partitions(threads.max(1)),
    );
    let (passes, value_datasets) = plan::passes(model);
    let mut out = Aggregates::default();
    let used: std::collections::BTreeSet<&str> =
        passes.keys().map(|p| p.dataset.as_str()).collect();
    for ds in model
        .datasets
        .iter()
        .filter(|d| used.contains(d.name.as_str()))
    {
        out.inputs
            .push(load::register(&ctx, ds, &options.data_dir, model.header.money_scale).await?);
    }
    let mut seen_periods = std::collections::BTreeSet::new();
    for (pass, aggregates) in &passes {
        let Some(ds) = model.dataset(&pass.dataset) else {
            continue;
        };
        let table = query::run_pass(&ctx, model, ds, pass, aggregates, periods, (from, to)).await?;
        if pass.by.is_empty() && value_datasets.contains(&pass.dataset) {
            seen_periods.extend(table.rows.keys().map(|(p, _)| *p));
        }
        out.tables.insert(pass.clone(), table);
    }
    out.periods = match (from, to, seen_periods.first(), seen_periods.last()) {
        (Some(f), Some(t), _, _) => (f..=t).collect(),
        (f, t, Some(lo), Some(hi)) => (f.unwrap_or(*lo)..=t.unwrap_or(*hi)).collect(),
        (Some(f), None, None, None) => vec![f],
        (None, Some(t), None, None) => vec![t],
        _ => Vec::new(),
    };
    Ok(out)
}

/// Whether an aggregate over no rows counts as 0 under `missing: zero`.
pub fn zero_when_empty(func: AggFunc) -> bool {
    matches!(func, AggFunc::Sum | AggFunc::Count | AggFunc::CountDistinct)
}
