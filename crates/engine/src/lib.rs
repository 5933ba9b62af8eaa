//! Owns running the aggregate passes on DataFusion: loading each dataset once, computing every
//! aggregate per period and segment, and recording the inputs (path, sha256, rows) for the manifest.

pub mod checks;
pub mod cluster;
pub mod coverage;
mod derived;
pub mod error;
pub mod fx;
mod passes;
pub mod progress;
pub mod rows;
mod sources;
pub mod values;
mod warm;

// The modules other crates name, where they were before the engine's files were grouped.
pub use derived::{cohort, credits, view};
pub use passes::series::{count_covered, Covered};
pub use passes::{layout, plan, sql};
pub use sources::{csv, keys, records};

use derived::{allocation, attribution};
use passes::{pushdown, query, series};
use sources::load;

pub use error::DataError;
pub use load::hex;
pub use warm::{Held, Reuse};

use chrono::NaiveDate;
use datafusion::execution::disk_manager::DiskManagerBuilder;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use rust_decimal::Decimal;
use scorecard_model::calendar::Periods;
use scorecard_model::{AggFunc, Dataset, Model, SourceFormat};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

#[derive(Debug, Clone)]
pub struct Options {
    /// The directory relative dataset sources resolve against.
    pub data_dir: PathBuf,
    /// The folders dataset files may be read from (`project::Project::sandbox`); a source that
    /// resolves outside all of them, links followed, is refused.
    pub sandbox: Vec<PathBuf>,
    /// First and last period to report, by name (`2026-05`) or as a date.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Evaluate as of this day: later rows are left out, and its period is the last, marked partial.
    pub as_of: Option<NaiveDate>,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Keep every attribution's credit rows (for `--credits`).
    pub credits: bool,
    /// Keep every file row's line (for `explain`, which lists the rows behind a value).
    pub lines: bool,
    /// Where the project reads a dataset from instead of the source its scorecard declares.
    pub bindings: BTreeMap<String, scorecard_project::source::Source>,
    /// Counters the run keeps up to date as it goes, for a progress display.
    pub progress: Option<std::sync::Arc<progress::Progress>>,
    /// The memory the query engine may hold, in bytes: past it, sorts and aggregations spill to
    /// disk, and the rows read from CSV, JSON lines, Excel and PostgreSQL are staged on disk as
    /// they are read instead of being held.
    pub memory_limit: Option<usize>,
    /// The days each dataset's data is complete for, as the project says (`scorecard.toml`),
    /// over what the scorecard says.
    pub completeness: BTreeMap<String, scorecard_model::Completeness>,
    /// Run the aggregate passes over datasets read from a source on this Ballista cluster; the
    /// rows read are staged as Parquet files for its executors to scan (docs/distributed.md).
    pub cluster: Option<scorecard_project::Cluster>,
    /// The caller writes the results a row at a time (`rules::Results::each`, or serialized), so
    /// under a memory limit they may be kept on disk until written instead of being refused when
    /// they would not fit.
    pub results_may_spill: bool,
    /// Keep only the rows of these segments of every dataset read from a source that has the
    /// column: the rows an audience may see (docs/audiences.md). Every later step, the rules'
    /// tables, coverage, checks and `explain`'s rows included, reads what it keeps.
    pub rows: Option<scorecard_model::audience::SegmentRule>,
    /// The segments of an audience that sees totals, whose rows are all read: they must match a
    /// row of some table, as kept rows must.
    pub segments_named: Option<scorecard_model::audience::SegmentRule>,
}

impl Options {
    pub fn new(data_dir: PathBuf) -> Self {
        Options {
            sandbox: vec![data_dir.clone()],
            data_dir,
            from: None,
            to: None,
            as_of: None,
            threads: None,
            credits: false,
            lines: false,
            bindings: BTreeMap::new(),
            completeness: BTreeMap::new(),
            progress: None,
            memory_limit: None,
            cluster: None,
            results_may_spill: false,
            rows: None,
            segments_named: None,
        }
    }
}

/// The most worker threads a run starts (`--threads` is refused past it): each thread is a
/// partition of every aggregate pass, and thousands of them only add work.
pub const MAX_THREADS: usize = 256;

impl Options {
    /// Where a run reads the dataset `ds` from: what the project binds it to, or else the file
    /// it declares.
    pub fn source(&self, ds: &scorecard_model::Dataset) -> scorecard_project::source::Source {
        match self.bindings.get(&ds.name) {
            Some(bound) => bound.clone(),
            None => scorecard_project::source::Source::declared(ds, &self.data_dir),
        }
    }

    /// Every file a run of `model` may read a dataset from, for refusing an output that would
    /// replace one (`output::check`).
    pub fn data_files(&self, model: &Model) -> Vec<scorecard_output::Read> {
        let files = model.datasets.iter().filter(|d| d.is_file());
        files
            .filter_map(|ds| match self.source(ds) {
                scorecard_project::source::Source::File(f) => Some(scorecard_output::Read::new(
                    f.path,
                    format!("the data of dataset `{}`", ds.name),
                )),
                scorecard_project::source::Source::Postgres(_)
                | scorecard_project::source::Source::Inline(_) => None,
            })
            .collect()
    }
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

/// The aggregates of every pass, keyed by period and segment values. A copy is what `sensitivity`
/// evaluates each point on when no parameter it moves changes what the engine computes.
#[derive(Debug, Default, Clone)]
pub struct Aggregates {
    pub inputs: Vec<Input>,
    /// The periods to report, in order.
    pub periods: Vec<i64>,
    /// The earliest period in which any dataset has rows: where `cumulative` windows begin.
    pub first_period: Option<i64>,
    /// The period holding `--as-of` when that day is not its last: reported as partial.
    pub partial: Option<i64>,
    /// What each dataset's data covers (the datasets with rows), for telling the periods it
    /// covers only in part.
    pub coverage: BTreeMap<String, coverage::Covers>,
    /// Every dataset check, passed or failed, in declaration order.
    pub checks: Vec<checks::Checked>,
    /// The first and last day of each dataset's rows, as read.
    row_days: BTreeMap<String, (NaiveDate, NaiveDate)>,
    tables: BTreeMap<plan::Pass, Indexed>,
    /// The cumulative curves of views that ask for one.
    pub curves: Vec<view::Curve>,
    /// Each cohort's triangle.
    pub cohorts: Vec<cohort::Triangle>,
    /// Every attribution's credit rows, when asked for.
    pub credits: Vec<credits::Credit>,
    /// Warnings about derived tables (a view's division by zero, a resource over capacity).
    pub notes: Vec<Note>,
    /// The run's memory limit, which the results it reports must fit in too.
    pub memory_limit: Option<usize>,
    /// Whether results that would not fit the memory limit may be kept on disk until written
    /// (`Options::results_may_spill`).
    pub results_may_spill: bool,
}

/// A warning raised while deriving a table.
#[derive(Debug, Clone)]
pub struct Note {
    /// A stable code, such as `scorecard::eval::over_capacity`.
    pub code: &'static str,
    /// The attribution, allocation or view.
    pub rule: String,
    pub message: String,
}

/// A period and the values of the segment columns (`None` where a row's column was empty).
type RowKey = (i64, Vec<Option<String>>);

#[derive(Debug, Default)]
struct Table {
    /// Where each aggregate's value sits in a row.
    slots: HashMap<usize, usize>,
    rows: HashMap<RowKey, Vec<Cell>>,
}

/// A pass's aggregates, segment by segment, each over its periods in order (`series`).
#[derive(Debug, Default, Clone)]
struct Indexed {
    /// Where each aggregate's value sits in a row.
    slots: HashMap<usize, usize>,
    series: series::BySegment,
}

/// One aggregate in one period and segment. For `avg`, `value` is the sum and `count` the number of
/// values, so that averages over several periods divide the total by the count.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    value: Option<Decimal>,
    count: Decimal,
}

/// What the data says about one aggregate over a frame of periods in one segment.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The dataset has no rows in any period of the frame for this segment.
    NoRows,
    /// Rows exist in the `covered` periods of the frame; the aggregate over them (no value when,
    /// say, an average has nothing to average).
    Value {
        value: Option<Decimal>,
        covered: series::Covered,
    },
}

impl Aggregates {
    /// The aggregate over the periods `first..=last` of one segment: sums and counts add up, the
    /// extremes are the extremes of the periods', averages divide the summed values by the summed
    /// counts. A distinct count is never asked for over more than one period (the checker refuses
    /// it).
    pub fn get(
        &self,
        model: &Model,
        aggregate: usize,
        by: &[String],
        frame: (i64, i64),
        segment: &[Option<String>],
    ) -> Result<Found, DataError> {
        let func = model.aggregates[aggregate].func;
        let Some(table) = self.table(&model.aggregates[aggregate].dataset, by, aggregate) else {
            return Ok(Found::NoRows);
        };
        let (Some(slot), Some(series)) = (table.slots.get(&aggregate), table.series.get(segment))
        else {
            return Ok(Found::NoRows);
        };
        series.get(func, *slot, frame)
    }

    /// The table of the pass over `dataset` by `by` that holds `aggregate`, found without making
    /// a `Pass` to look it up with (this is asked for every aggregate of every KPI, segment and
    /// period). A dataset may have two such passes: one grouped by a currency column too.
    fn table(&self, dataset: &str, by: &[String], aggregate: usize) -> Option<&Indexed> {
        self.tables
            .iter()
            .find(|(p, t)| p.dataset == dataset && p.by == by && t.slots.contains_key(&aggregate))
            .map(|(_, t)| t)
    }

    /// The segment values a pass has rows for up to the last reported period, sorted: a segment
    /// with rows only before the first (`--from`) still has values there, through a window
    /// (`cumulative`, `ytd`, `x[-1]`), and an escalation that may still be open; rows after the
    /// last reach no reported value.
    pub fn segments(&self, dataset: &str, by: &[String]) -> Vec<Vec<Option<String>>> {
        let Some(&last) = self.periods.last() else {
            return Vec::new();
        };
        let mut seen: Vec<Vec<Option<String>>> = self
            .tables
            .iter()
            .filter(|(p, _)| p.dataset == dataset && p.by == by)
            .flat_map(|(_, t)| {
                t.series
                    .iter()
                    .filter(|(_, s)| s.has_rows_in(i64::MIN, last))
                    .map(|(segment, _)| segment.clone())
            })
            .collect();
        seen.sort();
        seen.dedup();
        seen
    }
}

/// Loads the data and computes every aggregate the model's KPIs need.
pub fn aggregate(model: &Model, options: &Options) -> Result<Aggregates, DataError> {
    Session::open(model, options).map(|(_, aggregates)| aggregates)
}

/// The engine with every dataset loaded, kept after the aggregates are computed so that `explain`
/// can ask which rows made a value without reading the files again.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    ctx: SessionContext,
    periods: Periods,
    as_of: Option<NaiveDate>,
    /// What computing the aggregates again needs; `None` when the rows were not all read here.
    again: Option<Again>,
    /// The files rows were staged in under a memory limit or for a cluster, kept while the
    /// tables are.
    _staging: Option<Staging>,
    /// What each computation gave, for the next, when the session remembers (`remember`).
    memo: Option<warm::Memo>,
}

/// What reading the sources gave (the inputs and each dataset's days), the options and the range,
/// kept to compute the aggregates of another version of the model from the same loaded rows.
struct Again {
    read: Aggregates,
    options: Options,
    range: (Option<i64>, Option<i64>),
}

/// A folder of the rows a run staged on disk, removed when the run is over (or the process is
/// stopped by a signal).
struct Staging(scorecard_output::temporary::Folder);

impl Staging {
    /// A new folder in `under` (a cluster's `staging`, which its executors read: it gets a new
    /// folder's usual permissions), or in the system's temporary folder (private to the owner).
    fn new(under: Option<&std::path::Path>) -> Result<Staging, DataError> {
        let made =
            scorecard_output::temporary::Folder::new("scorecard-staging-", under, under.is_some());
        made.map(Staging).map_err(|e| {
            let place = under.map_or(std::env::temp_dir(), std::path::Path::to_path_buf);
            DataError::Engine(format!(
                "cannot make a staging folder in `{}`: {e}",
                place.display()
            ))
        })
    }
}

impl Session {
    /// Loads the data and computes every aggregate, keeping the loaded tables.
    pub fn open(model: &Model, options: &Options) -> Result<(Session, Aggregates), DataError> {
        Session::opened(model, options, None)
    }

    /// As `open`, and the session remembers what each computation gives, so that
    /// `aggregate_again` computes only what a version adds (see `warm.rs`).
    pub fn open_remembering(
        model: &Model,
        options: &Options,
    ) -> Result<(Session, Aggregates), DataError> {
        Session::opened(model, options, Some(warm::Memo::default()))
    }

    fn opened(
        model: &Model,
        options: &Options,
        mut memo: Option<warm::Memo>,
    ) -> Result<(Session, Aggregates), DataError> {
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
        let threads = options
            .threads
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            })
            .clamp(1, MAX_THREADS);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .enable_all()
            .build()
            .map_err(|e| DataError::Engine(e.to_string()))?;
        // A cluster's executors scan files: every row read is staged, and none held in memory.
        let cluster = options.cluster.as_ref();
        if let (Some(c), Some(rule)) = (cluster, &options.rows) {
            return Err(DataError::Cluster {
                scheduler: c.scheduler.clone(),
                reason: format!(
                    "an audience kept to segments of `{}` is evaluated on this machine, not on a cluster\n  help: run it with a project file without `[engine] kind = \"ballista\"` (`--config`)",
                    rule.column
                ),
            });
        }
        let staging = if options.memory_limit.is_some() || cluster.is_some() {
            Some(Staging::new(cluster.and_then(|c| c.staging.as_deref()))?)
        } else {
            None
        };
        let ctx = session(threads, options.memory_limit)?;
        let remote = match cluster {
            Some(c) => Some(runtime.block_on(cluster::connect(&c.scheduler, threads))?),
            None => None,
        };
        let contexts = Contexts {
            local: &ctx,
            cluster: remote.as_ref().zip(cluster.map(|c| c.scheduler.as_str())),
        };
        let staged = staging.as_ref().map(|s| s.0.path());
        let (mut aggregates, read) = runtime.block_on(run(
            contexts,
            model,
            options,
            (periods, range),
            (threads, staged),
            memo.as_mut(),
        ))?;
        aggregates.memory_limit = options.memory_limit;
        aggregates.results_may_spill = options.results_may_spill;
        // Computing again is for rows this machine holds: not for a cluster's or a server's.
        let again = read.filter(|_| remote.is_none()).map(|read| Again {
            read,
            options: Options {
                progress: None,
                ..options.clone()
            },
            range,
        });
        let session = Session {
            runtime,
            ctx,
            periods,
            as_of: options.as_of,
            // Remembering is for rows this machine holds, as computing again is.
            memo: memo.filter(|_| again.is_some()),
            again,
            _staging: staging,
        };
        Ok((session, aggregates))
    }

    /// The aggregates of `model`, a version of the one the session was opened with that reads the
    /// same datasets (the same scorecard at other values of its parameters), computed from the
    /// rows already loaded: the rule tables are made again, and no file is read again. A session
    /// that remembers makes again only the rule tables and aggregates that changed.
    pub fn aggregate_again(&mut self, model: &Model) -> Result<Aggregates, DataError> {
        let Some(again) = &self.again else {
            return Err(DataError::Engine(
                "the rows were read on a cluster or in PostgreSQL, not held here: the aggregates cannot be computed again without reading them again".into(),
            ));
        };
        let contexts = Contexts {
            local: &self.ctx,
            cluster: None,
        };
        let mut out = Aggregates {
            inputs: again.read.inputs.clone(),
            row_days: again.read.row_days.clone(),
            ..Aggregates::default()
        };
        out.memory_limit = again.options.memory_limit;
        out.results_may_spill = again.options.results_may_spill;
        let range = (self.periods, again.range);
        if let Some(memo) = self.memo.as_mut() {
            memo.last = Reuse::default();
        }
        let memo = self.memo.as_mut();
        let computed = compute(
            contexts,
            model,
            &again.options,
            range,
            out,
            (BTreeMap::new(), memo),
        );
        let mut computed = self.runtime.block_on(computed)?;
        computed.memory_limit = again.options.memory_limit;
        computed.results_may_spill = again.options.results_may_spill;
        Ok(computed)
    }

    /// The rows behind each aggregate use in `wanted`: how many matched, and up to `limit` of them.
    pub fn contributing(
        &self,
        model: &Model,
        wanted: &[rows::Wanted],
        limit: Option<usize>,
    ) -> Result<Vec<rows::Contributing>, DataError> {
        self.runtime.block_on(rows::contributing(
            &self.ctx,
            model,
            wanted,
            limit,
            (self.periods, self.as_of),
        ))
    }

    /// Every row of the dataset named `dataset`, as text, to `each`; `Ok(false)` when its rows
    /// are not held here (see `rows::every_row`).
    pub fn every_row(
        &self,
        model: &Model,
        dataset: &str,
        each: &mut dyn FnMut(&[String]),
    ) -> Result<bool, DataError> {
        let Some(ds) = model.datasets.iter().find(|d| d.name == dataset) else {
            return Ok(false);
        };
        self.runtime.block_on(rows::every_row(&self.ctx, ds, each))
    }

    /// For each dataset the aggregates in `wanted` read, how many rows at least one of them kept.
    pub fn matched_by_dataset(
        &self,
        model: &Model,
        wanted: &[rows::Wanted],
    ) -> Result<Vec<(String, u64)>, DataError> {
        self.runtime.block_on(rows::matched_by_dataset(
            &self.ctx,
            model,
            wanted,
            (self.periods, self.as_of),
        ))
    }
}

/// The engine's session: `threads` partitions, and a large Parquet file's scan split between them
/// (except where row numbers are read: `parquet::in_file_order`); with a memory limit, a pool of
/// that size shared fairly between the operators that can spill, and spill files in the system's
/// temporary folder.
fn session(threads: usize, memory_limit: Option<usize>) -> Result<SessionContext, DataError> {
    let config = SessionConfig::new()
        .with_target_partitions(threads.max(1))
        .with_repartition_file_scans(true);
    let Some(limit) = memory_limit else {
        return Ok(SessionContext::new_with_config(config));
    };
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(std::sync::Arc::new(FairSpillPool::new(limit)))
        .with_disk_manager_builder(DiskManagerBuilder::default())
        .build_arc()?;
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

/// Where a run's queries go: all of them to the local session, or, with a cluster, the passes over
/// datasets read from a source to the cluster (with its scheduler's address, for messages).
#[derive(Clone, Copy)]
struct Contexts<'a> {
    local: &'a SessionContext,
    cluster: Option<(&'a SessionContext, &'a str)>,
}

/// Reads the sources and computes the aggregates; with them, what reading gave (the inputs and
/// each dataset's days) when every row is held here, for `Session::aggregate_again`.
async fn run(
    contexts: Contexts<'_>,
    model: &Model,
    options: &Options,
    (periods, (from, to)): (Periods, (Option<i64>, Option<i64>)),
    (threads, staging): (usize, Option<&std::path::Path>),
    memo: Option<&mut warm::Memo>,
) -> Result<(Aggregates, Option<Aggregates>), DataError> {
    let (passes, _) = plan::passes(model);
    let mut out = Aggregates::default();
    let reading = load::Reading {
        sandbox: &options.sandbox,
        money_scale: model.header.money_scale,
        threads,
        as_of: options.as_of,
        counter: options.progress.as_deref().map(|p| &p.rows),
        staging,
        memory_limit: options.memory_limit,
    };
    let pushed = read_sources(contexts, model, options, (&passes, &reading), &mut out).await?;
    // What reading gave, to compute again from: only when every row is held here, none pushed
    // down to a server.
    let read = pushed.is_empty().then(|| Aggregates {
        inputs: out.inputs.clone(),
        row_days: out.row_days.clone(),
        ..Aggregates::default()
    });
    // Remembering is for rows held here: a pass in PostgreSQL is run again.
    let memo = memo.filter(|_| pushed.is_empty());
    let range = (periods, (from, to));
    let computed = compute(contexts, model, options, range, out, (pushed, memo)).await?;
    Ok((computed, read))
}

/// Everything after the sources are read: the rule tables, the passes, coverage, the reported
/// periods and the datasets' checks. `out` holds what reading gave (inputs, each dataset's days).
async fn compute(
    contexts: Contexts<'_>,
    model: &Model,
    options: &Options,
    (periods, (from, to)): (Periods, (Option<i64>, Option<i64>)),
    mut out: Aggregates,
    (mut pushed, mut memo): (
        BTreeMap<String, (pushdown::Pushed, usize)>,
        Option<&mut warm::Memo>,
    ),
) -> Result<Aggregates, DataError> {
    let (passes, value_datasets) = plan::passes(model);
    if let Some(p) = options.progress.as_deref() {
        p.set_now("computing");
    }
    if let Some(m) = memo.as_deref_mut() {
        m.begin(model);
    }
    derive_once(
        contexts.local,
        model,
        (options, periods),
        &mut out,
        memo.as_deref_mut(),
    )
    .await?;
    if let Some(rule) = &options.rows {
        keep_all_segments(contexts.local, model, rule, &mut out).await?;
    } else if let Some(rule) = &options.segments_named {
        segments_found(contexts.local, model, rule).await?;
    }
    let rates = fx::load(contexts.local, model, options.as_of).await?;
    let fx_around = fx::Around {
        model,
        rates: &rates,
        periods,
    };
    let mut seen = BTreeSet::new();
    let mut all = BTreeSet::new();
    for (i, (pass, aggregates)) in passes.iter().enumerate() {
        let Some(ds) = model.dataset(&pass.dataset) else {
            continue;
        };
        if let Some(p) = options.progress.as_deref() {
            let on = match contexts.cluster {
                _ if pushed.contains_key(&ds.name) => " in PostgreSQL".to_string(),
                Some((_, scheduler)) if ds.is_file() => format!(" on {scheduler}"),
                _ => String::new(),
            };
            p.set_now(format!(
                "computing {}{on} ({} of {} passes)",
                ds.name,
                i + 1,
                passes.len()
            ));
        }
        let server = pushed.get_mut(&ds.name).map(|(server, _)| server);
        let run = (contexts, server, options.as_of);
        let grouped = pass.grouped();
        // What is not remembered (everything, when nothing is).
        let missing = match memo.as_deref() {
            Some(m) => m.missing(model, pass, aggregates),
            None => aggregates.clone(),
        };
        let mut table = Table::default();
        if !missing.is_empty() {
            table = run_pass(run, model, (ds, &grouped, &missing), periods).await?;
            let listed: Vec<usize> = missing.iter().copied().collect();
            table = fx::convert_table(&fx_around, pass, &listed, table)?;
        }
        if let Some(m) = memo.as_deref_mut() {
            table = m.assemble(model, pass, aggregates, table);
        }
        if pass.by.is_empty() {
            all.extend(table.rows.keys().map(|(p, _)| *p));
            if value_datasets.contains(&pass.dataset) {
                seen.extend(table.rows.keys().map(|(p, _)| *p));
            }
        }
        out.tables.insert(pass.clone(), indexed(model, table));
    }
    for (name, (server, input)) in pushed {
        out.row_days.extend(server.days().map(|days| (name, days)));
        out.inputs[input].sha256 = server.finish().await;
    }
    out.first_period = all.first().copied();
    out.coverage = coverage::of_model(
        model,
        &out.row_days,
        &options.completeness,
        options.as_of,
        periods,
    );
    // A span said to be complete (`complete_from`, `extracted`) is reported whole, the periods
    // in it with no rows included.
    for name in &value_datasets {
        if let Some(c) = out.coverage.get(name).filter(|c| c.first <= c.last) {
            seen.extend([periods.of_date(c.first), periods.of_date(c.last)]);
        }
    }
    out.notes
        .extend(coverage::contradictions(model, &out.coverage));
    report_periods(&mut out, options.as_of, periods, (from, to), &seen)?;
    match memo {
        Some(m) => {
            if let Some((checked, notes)) = m.checks(model, &out.periods) {
                out.checks = checked;
                out.notes.extend(notes);
            } else {
                let before = out.notes.len();
                run_checks(contexts.local, model, options, periods, &mut out).await?;
                m.keep_checks(
                    (model, &out.periods),
                    out.checks.clone(),
                    out.notes[before..].to_vec(),
                );
            }
            m.keep_only(model, &passes);
        }
        None => run_checks(contexts.local, model, options, periods, &mut out).await?,
    }
    Ok(out)
}

/// Derives the rule tables, unless the session remembers tables derived from the same rules: then
/// what deriving them gave is added again, and the tables registered are read as they are.
async fn derive_once(
    ctx: &SessionContext,
    model: &Model,
    (options, periods): (&Options, Periods),
    out: &mut Aggregates,
    memo: Option<&mut warm::Memo>,
) -> Result<(), DataError> {
    let key = memo.as_ref().map(|_| warm::derived_key(model));
    if let (Some(m), Some(key)) = (memo.as_deref(), key.as_deref()) {
        if let Some(d) = m.derived(key) {
            out.curves.extend(d.curves.iter().cloned());
            out.cohorts.extend(d.cohorts.iter().cloned());
            out.notes.extend(d.notes.iter().cloned());
            out.credits.extend(d.credits.iter().cloned());
            return Ok(());
        }
    }
    // Tables an earlier version derived are made again.
    for ds in model.datasets.iter().filter(|d| !d.is_file()) {
        ctx.deregister_table(datafusion::common::TableReference::bare(ds.name.as_str()))?;
    }
    let before = (
        out.curves.len(),
        out.cohorts.len(),
        out.notes.len(),
        out.credits.len(),
    );
    derive_tables(ctx, model, options, periods, out).await?;
    if let (Some(m), Some(key)) = (memo, key) {
        let derived = warm::Derived {
            curves: out.curves[before.0..].to_vec(),
            cohorts: out.cohorts[before.1..].to_vec(),
            notes: out.notes[before.2..].to_vec(),
            credits: out.credits[before.3..].to_vec(),
        };
        m.keep_derived(model, key, derived);
    }
    Ok(())
}

/// Runs the datasets' checks: a failed `error` check stops the run; a failed `warn` check is a
/// warning.
async fn run_checks(
    ctx: &SessionContext,
    model: &Model,
    options: &Options,
    periods: Periods,
    out: &mut Aggregates,
) -> Result<(), DataError> {
    if model.datasets.iter().all(|d| d.checks.is_empty()) {
        return Ok(());
    }
    if let Some(p) = options.progress.as_deref() {
        p.set_now("checking the data");
    }
    let sources = out
        .inputs
        .iter()
        .map(|i| (i.dataset.clone(), i.path.clone()))
        .collect();
    let zone = model.header.zone();
    let around = checks::Around {
        periods,
        reported: &out.periods,
        as_of: options.as_of,
        today: zone.today(),
        row_days: &out.row_days,
        sources: &sources,
        coverage: &out.coverage,
        zone,
    };
    let checked = checks::run(ctx, model, &around).await?;
    if let Some(stop) = checks::stopping(&checked) {
        return Err(stop);
    }
    out.notes
        .extend(checked.iter().filter(|c| !c.passed).map(|c| Note {
            code: CHECK_FAILED,
            rule: c.dataset.clone(),
            message: c.shown(),
        }));
    out.checks = checked;
    Ok(())
}

/// The warning of a failed `warn` check of a dataset.
pub const CHECK_FAILED: &str = "scorecard::data::check_failed";

/// The datasets checks read: those with checks, and those their references name.
fn checked_datasets(model: &Model) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for ds in model.datasets.iter().filter(|d| !d.checks.is_empty()) {
        out.insert(ds.name.as_str());
        for c in &ds.checks {
            if let scorecard_model::CheckRule::References { dataset, .. } = &c.rule {
                out.insert(dataset.as_str());
            }
        }
    }
    out
}

/// Reads every dataset a pass or a rule uses from its source and registers it with the engine (and
/// the cluster), or, for a PostgreSQL source the server can aggregate, opens it there: those are
/// returned, each with where its input is in `out.inputs`.
async fn read_sources(
    contexts: Contexts<'_>,
    model: &Model,
    options: &Options,
    (passes, reading): (&BTreeMap<plan::Pass, BTreeSet<usize>>, &load::Reading<'_>),
    out: &mut Aggregates,
) -> Result<BTreeMap<String, (pushdown::Pushed, usize)>, DataError> {
    let ctx = contexts.local;
    let mut used: BTreeSet<&str> = passes.keys().map(|p| p.dataset.as_str()).collect();
    // The rates money in other currencies converts at.
    used.extend(
        model
            .rates
            .iter()
            .filter(|r| {
                model
                    .aggregates
                    .iter()
                    .any(|a| a.convert.as_ref().is_some_and(|c| c.rates == r.name))
            })
            .map(|r| r.dataset.as_str()),
    );
    let rule_inputs = plan::rule_inputs(model);
    used.extend(rule_inputs.iter().copied());
    let checked = checked_datasets(model);
    used.extend(checked.iter().copied());
    // Attributions read rows' lines (for tie order and audit), and so does `explain`, which lists
    // the rows behind a value.
    let numbered: BTreeSet<&str> = if options.lines {
        model.datasets.iter().map(|d| d.name.as_str()).collect()
    } else {
        model
            .attributions
            .iter()
            .flat_map(|a| [a.touches.as_str(), a.conversions.as_str()])
            .collect()
    };
    let progress = options.progress.as_deref();
    let files: Vec<_> = model
        .datasets
        .iter()
        .filter(|d| used.contains(d.name.as_str()) && d.is_file())
        .collect();
    if let Some(p) = progress {
        p.datasets.store(files.len(), Ordering::Relaxed);
    }
    let mut pushed = BTreeMap::new();
    for ds in files {
        if let Some(p) = progress {
            p.set_now(format!("reading {}", ds.name));
        }
        // Timestamps without an offset are read in the dataset's zone, else the scorecard's.
        let written_in;
        let ds = match (&ds.time_zone, &model.header.time_zone) {
            (None, Some(zone)) => {
                written_in = Dataset {
                    time_zone: Some(zone.clone()),
                    ..ds.clone()
                };
                &written_in
            }
            _ => ds,
        };
        let source = options.source(ds);
        // Checks name the lines of the rows that fail them; so do amounts held to the minor unit
        // of the currency their row names, and exchange rates (whose rows `fx` reads, so they
        // are never aggregated on a server).
        let has_checks = !ds.checks.is_empty()
            || per_row_currency(ds)
            || model.rates.iter().any(|r| r.dataset == ds.name);
        let numbered = numbered.contains(ds.name.as_str()) || has_checks;
        // A PostgreSQL source whose rows nothing else reads can have the server aggregate them.
        let kept = options
            .rows
            .as_ref()
            .filter(|r| ds.column(&r.column).is_some());
        let rows_needed = numbered
            || kept.is_some()
            || rule_inputs.contains(ds.name.as_str())
            || checked.contains(ds.name.as_str());
        if let Some((server, input)) =
            pushdown::start(model, ds, &source, rows_needed, options.as_of).await?
        {
            if let Some(c) = reading.counter {
                c.fetch_add(input.rows, Ordering::Relaxed);
            }
            out.inputs.push(input);
            pushed.insert(ds.name.clone(), (server, out.inputs.len() - 1));
        } else {
            out.inputs
                .push(load::register(ctx, ds, &source, reading, numbered).await?);
            if per_row_currency(ds) {
                let shown = out
                    .inputs
                    .last()
                    .map(|i| i.path.clone())
                    .unwrap_or_default();
                fx::check_currencies(ctx, ds, &shown).await?;
            }
            if let Some(days) =
                coverage::row_days(ctx, ds, options.as_of, model.header.zone()).await?
            {
                out.row_days.insert(ds.name.clone(), days);
            }
            // The cluster scans the same files: the staged Parquet, or the source's own.
            if let Some((cluster, _)) = contexts.cluster {
                let name = datafusion::common::TableReference::bare(ds.name.as_str());
                cluster.register_table(name.clone(), ctx.table_provider(name).await?)?;
            }
        }
        if let Some(p) = progress {
            p.done.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(pushed)
}

/// Keeps every table with the segment column, read or made by a rule, to the rows of the
/// audience's segments, once the rules have made their tables from every row (so that a rule's
/// figures are the company's, as everyone's are); a dataset's rows in the manifest are those kept.
async fn keep_all_segments(
    ctx: &SessionContext,
    model: &Model,
    rule: &scorecard_model::audience::SegmentRule,
    out: &mut Aggregates,
) -> Result<(), DataError> {
    let mut matched = false;
    let mut tables = 0;
    for ds in model
        .datasets
        .iter()
        .filter(|d| d.column(&rule.column).is_some())
    {
        let reference = datafusion::common::TableReference::bare(ds.name.as_str());
        if !ctx.table_exist(reference)? {
            continue;
        }
        let kept = keep_segments(ctx, &ds.name, rule).await?;
        tables += 1;
        matched |= kept > 0;
        if let Some(input) = out.inputs.iter_mut().find(|i| i.dataset == ds.name) {
            input.rows = kept;
        }
    }
    if tables > 0 && !matched {
        return Err(no_rows(ctx, model, rule).await);
    }
    Ok(())
}

/// For an audience that sees totals (whose rows are not kept): its segments match a row of some
/// table with the column, or the run stops as `keep_all_segments` does.
async fn segments_found(
    ctx: &SessionContext,
    model: &Model,
    rule: &scorecard_model::audience::SegmentRule,
) -> Result<(), DataError> {
    use datafusion::common::{Column, TableReference};
    use datafusion::logical_expr::{lit, Expr};
    let mut tables = 0;
    for ds in model
        .datasets
        .iter()
        .filter(|d| d.column(&rule.column).is_some())
    {
        let Ok(table) = ctx.table(TableReference::bare(ds.name.as_str())).await else {
            continue;
        };
        tables += 1;
        let column = Expr::Column(Column::new_unqualified(rule.column.as_str()));
        let values = rule.values.iter().map(|v| lit(v.as_str())).collect();
        if table.filter(column.in_list(values, false))?.count().await? > 0 {
            return Ok(());
        }
    }
    match tables {
        0 => Ok(()),
        _ => Err(no_rows(ctx, model, rule).await),
    }
}

/// The audience's segments match no row of any table: a value misspelt, most likely. The values
/// found are not named (they are other segments'); the one closest to each value given is.
async fn no_rows(
    ctx: &SessionContext,
    model: &Model,
    rule: &scorecard_model::audience::SegmentRule,
) -> DataError {
    use datafusion::arrow::array::{Array, StringArray};
    use datafusion::arrow::datatypes::DataType;
    let mut found: BTreeSet<String> = BTreeSet::new();
    let read = model.datasets.iter().filter(|d| d.is_file());
    for ds in read.filter(|d| d.column(&rule.column).is_some()) {
        // Its rows before they were kept, or all of them when they are not.
        let kept = format!("__all_rows_{}", ds.name);
        let name = match ctx.table_exist(datafusion::common::TableReference::bare(kept.as_str())) {
            Ok(true) => kept,
            _ => ds.name.clone(),
        };
        let all = datafusion::common::TableReference::bare(name);
        let column = datafusion::logical_expr::Expr::Column(
            datafusion::common::Column::new_unqualified(rule.column.as_str()),
        );
        let values = match ctx.table(all).await {
            Ok(t) => t.select(vec![column]).and_then(|t| t.distinct()),
            Err(e) => Err(e),
        };
        let Ok(batches) = values.and_then(|v| v.limit(0, Some(10_000))) else {
            continue;
        };
        for b in batches.collect().await.unwrap_or_default() {
            let Ok(text) = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8) else {
                continue;
            };
            if let Some(a) = text.as_any().downcast_ref::<StringArray>() {
                found.extend(a.iter().flatten().map(str::to_string));
            }
        }
    }
    let hints: Vec<String> = rule
        .values
        .iter()
        .filter_map(|v| scorecard_diagnostic::did_you_mean(v, found.iter().map(String::as_str)))
        .collect();
    DataError::AudienceNoRows {
        column: rule.column.clone(),
        values: rule
            .values
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", "),
        hint: match hints.is_empty() {
            true => "check the values of the audience's `segments` against the data".into(),
            false => hints.join("; "),
        },
    }
}

/// Registers, under the dataset's name, only its rows whose `rule.column` is one of the values,
/// over the table read (which keeps a name no declaration can have); the rows kept.
async fn keep_segments(
    ctx: &SessionContext,
    name: &str,
    rule: &scorecard_model::audience::SegmentRule,
) -> Result<u64, DataError> {
    use datafusion::common::{Column, TableReference};
    use datafusion::logical_expr::{lit, Expr};
    let read = ctx
        .deregister_table(TableReference::bare(name))?
        .ok_or_else(|| DataError::Engine(format!("dataset `{name}` was not registered")))?;
    let all = TableReference::bare(format!("__all_rows_{name}"));
    ctx.register_table(all.clone(), read)?;
    let column = Expr::Column(Column::new_unqualified(rule.column.as_str()));
    let values = rule.values.iter().map(|v| lit(v.as_str())).collect();
    let kept = ctx
        .table(all)
        .await?
        .filter(column.in_list(values, false))?;
    let rows = kept.clone().count().await?;
    ctx.register_table(TableReference::bare(name), kept.into_view())?;
    Ok(rows as u64)
}

/// Whether a money column of `ds` is in the currency each row names.
fn per_row_currency(ds: &Dataset) -> bool {
    ds.columns.iter().any(|c| c.currency_column().is_some())
}

/// Computes the tables the scorecard's rules derive (attribution credit, allocated cost, view
/// rows), in declaration order, and registers each under its name.
async fn derive_tables(
    ctx: &SessionContext,
    model: &Model,
    options: &Options,
    periods: Periods,
    out: &mut Aggregates,
) -> Result<(), DataError> {
    let scripts = scorecard_script::Scripts::new(&model.functions)
        .map_err(|e| DataError::Engine(e.message))?;
    let mut shared = attribution::Shared::new(model);
    for ds in &model.datasets {
        match ds.format {
            SourceFormat::Attribution => {
                if let Some(rule) = model.attributions.iter().find(|a| a.name == ds.name) {
                    attribution::register(ctx, model, rule, &scripts, &mut shared).await?;
                    if options.credits {
                        out.credits
                            .extend(credits::collect(ctx, model, rule, options.as_of).await?);
                    }
                }
            }
            SourceFormat::Allocation => {
                if let Some(rule) = model.allocations.iter().find(|a| a.name == ds.name) {
                    let notes =
                        allocation::register(ctx, model, rule, periods, options.as_of).await?;
                    out.notes.extend(notes);
                }
            }
            SourceFormat::View => {
                if let Some(v) = model.views.iter().find(|v| v.name == ds.name) {
                    let (curves, notes) =
                        view::register(ctx, model, v, periods, options.as_of).await?;
                    out.curves.extend(curves);
                    out.notes.extend(notes);
                }
            }
            SourceFormat::Cohort => {
                if let Some(c) = model.cohorts.iter().find(|c| c.name == ds.name) {
                    let (triangle, left_out) =
                        cohort::register(ctx, model, c, periods, options.as_of).await?;
                    out.cohorts.push(triangle);
                    out.notes.extend(left_out);
                }
            }
            SourceFormat::Csv
            | SourceFormat::Parquet
            | SourceFormat::JsonLines
            | SourceFormat::Excel => {}
        }
    }
    Ok(())
}

/// One pass, where it runs: in PostgreSQL for a pushed-down source, on the cluster for a dataset
/// read from a source when there is one, and otherwise in the local session.
async fn run_pass(
    (contexts, server, as_of): (
        Contexts<'_>,
        Option<&mut pushdown::Pushed>,
        Option<chrono::NaiveDate>,
    ),
    model: &Model,
    (ds, pass, aggregates): (&Dataset, &plan::Pass, &BTreeSet<usize>),
    periods: Periods,
) -> Result<Table, DataError> {
    match (contexts.cluster, server) {
        (_, Some(server)) => server.run_pass(model, ds, pass, aggregates, periods).await,
        (Some((cluster, scheduler)), None) if ds.is_file() => {
            query::run_pass(cluster, model, ds, pass, aggregates, periods, as_of)
                .await
                .map_err(|e| match e {
                    DataError::Engine(reason) => DataError::Cluster {
                        scheduler: scheduler.to_string(),
                        reason,
                    },
                    other => other,
                })
        }
        _ => query::run_pass(contexts.local, model, ds, pass, aggregates, periods, as_of).await,
    }
}

/// A pass's table indexed by segment, each slot's running totals (or, for `min` and `max`, its
/// running extremes) made once.
fn indexed(model: &Model, table: Table) -> Indexed {
    let mut extreme = vec![false; table.slots.values().max().map_or(0, |m| m + 1)];
    for (&aggregate, &slot) in &table.slots {
        let func = model.aggregates[aggregate].func;
        extreme[slot] = matches!(func, AggFunc::Min | AggFunc::Max);
    }
    Indexed {
        series: series::index(table.rows, &extreme),
        slots: table.slots,
    }
}

/// Decides the periods to report (`--from` and `--to`, else the periods of the data KPI values
/// read, `seen`), and whether the last is partial (`--as-of` inside it).
fn report_periods(
    out: &mut Aggregates,
    as_of_day: Option<chrono::NaiveDate>,
    periods: Periods,
    (from, to): (Option<i64>, Option<i64>),
    seen: &BTreeSet<i64>,
) -> Result<(), DataError> {
    // The last period: `--to`, else the period of `--as-of`, else the last with data.
    let as_of = as_of_day.map(|d| periods.of_date(d));
    let last = match (to, as_of) {
        (Some(t), Some(a)) => Some(t.min(a)),
        (t, a) => t.or(a).or(seen.last().copied()),
    };
    let first = from.or(seen.first().copied()).or(last);
    let (reported, empty) = reported(periods, (first, from.is_some()), (last, to, as_of))?;
    out.periods = reported;
    out.notes.extend(empty.map(|why| Note {
        code: NO_PERIODS,
        rule: String::new(),
        message: format!("no period to report: {why}, so the results are empty (name the periods with `--from` and `--to`, or check that the data holds rows in them)"),
    }));
    if let (Some(day), Some(p)) = (as_of_day, as_of) {
        if day < periods.bounds(p).1 {
            out.partial = Some(p);
        }
    }
    Ok(())
}

/// The most periods one run reports: 137 years of days, 4,000 of months. Every KPI is evaluated
/// in every period, so a range beyond this (`--to 9999-12` over data of 2026) is a mistake.
pub const MAX_PERIODS: i64 = 50_000;

/// The warning that a run reports no period: its results are empty, which is not an error (a
/// file of headers only is data too) but is never silent.
pub const NO_PERIODS: &str = "scorecard::eval::no_periods";

/// The periods from `first` to `last` (and why there are none), or the error of too many.
/// `first` is `--from` when `from_flag`, else the first period with data; `last` is `to`, else the
/// period of `as_of`, else the last period with data.
fn reported(
    periods: Periods,
    (first, from_flag): (Option<i64>, bool),
    (last, to, as_of): (Option<i64>, Option<i64>, Option<i64>),
) -> Result<(Vec<i64>, Option<String>), DataError> {
    let (Some(f), Some(l)) = (first, last) else {
        let why = "no KPI reads a dataset with rows, and no `--from` or `--to` names a period";
        return Ok((Vec::new(), Some(why.into())));
    };
    let start = match from_flag {
        true => format!("`--from {}`", periods.label(f)),
        false => format!("{}, the first period with data,", periods.label(f)),
    };
    let end = match (to, as_of) {
        (Some(_), _) if Some(l) == to => format!("`--to {}`", periods.label(l)),
        (_, Some(a)) if a == l => format!("{}, the period of `--as-of`", periods.label(l)),
        _ => format!("{}, the last period with data", periods.label(l)),
    };
    if f > l {
        return Ok((Vec::new(), Some(format!("{start} comes after {end}"))));
    }
    if l - f >= MAX_PERIODS {
        return Err(DataError::TooManyPeriods {
            count: l - f + 1,
            range: format!("from {start} to {end}"),
        });
    }
    Ok(((f..=l).collect(), None))
}

/// Whether an aggregate over no rows counts as 0 under `missing: zero`.
pub fn zero_when_empty(func: AggFunc) -> bool {
    matches!(func, AggFunc::Sum | AggFunc::Count | AggFunc::CountDistinct)
}
