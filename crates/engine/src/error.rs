//! Owns data and runtime errors: problems found in the data files or while evaluating, each naming
//! the file, and where it can, the line, column and value.

use scorecard_diagnostic::Code;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DataError {
    #[error("{count} check{} of severity `error` failed, so the run stops:\n  {checks}{}", if *.count == 1 { "" } else { "s" }, help_line(&Some("fix the rows named, or make the check `warn` to report it and go on".to_string())))]
    CheckFailed { count: usize, checks: String },

    #[error("cannot read `{path}` for dataset `{dataset}`: {reason}")]
    Unreadable {
        dataset: String,
        path: String,
        reason: String,
    },

    #[error("`{path}` (dataset `{dataset}`) is outside the project folder `{root}`{}", help_line(&Some("move the file into the project, or allow its folder in scorecard.toml: [project] allow_paths = [\"...\"]".to_string())))]
    OutsideProject {
        dataset: String,
        path: String,
        root: String,
    },

    #[error(
        "{path}: the file is empty, expected a header row naming the columns (dataset `{dataset}`)"
    )]
    EmptyFile { dataset: String, path: String },

    #[error("{path}: the header names column `{column}` twice, as columns {first} and {second}, so its values are ambiguous{}", help_line(&Some("rename or remove one of them".to_string())))]
    DuplicateColumn {
        path: String,
        column: String,
        first: usize,
        second: usize,
    },

    #[error("{path}: the header has no column `{column}` (dataset `{dataset}` declares it){}", help_line(.hint))]
    MissingColumn {
        dataset: String,
        path: String,
        column: String,
        hint: Option<String>,
    },

    #[error("{0}")]
    BadValue(Box<BadValue>),

    #[error("{path}:{line}: {reason}")]
    BadRecord {
        path: String,
        line: u64,
        reason: String,
    },

    #[error("{path}:{line}: the row has {found} fields but the header has {expected}{}", help_line(&open_quote.then(|| "a field here is quoted and holds a comma or a line break: look for a `\"` that is never closed".to_string())))]
    Ragged {
        path: String,
        line: u64,
        found: usize,
        expected: usize,
        open_quote: bool,
    },

    #[error("{path}:{line}: the row is not valid UTF-8 text{}", help_line(&Some("save the file as UTF-8".to_string())))]
    NotUtf8 { path: String, line: u64 },

    #[error("{path}:{line}: key column `{column}` repeats the value `{value}` first seen on line {first_line}")]
    DuplicateKey {
        path: String,
        line: u64,
        column: String,
        value: String,
        first_line: u64,
    },

    #[error(
        "{path}:{line}: time column `{column}` is empty, so the row cannot be placed in a period"
    )]
    NoTime {
        path: String,
        line: u64,
        column: String,
    },

    #[error("{path}: {} no value in time column `{column}`, so they cannot be placed in a period", rows_have(*.rows))]
    NoTimeRows {
        path: String,
        rows: u64,
        column: String,
    },

    #[error("{path}: time column `{column}` holds `{value}`, which is no day from 0001-01-01 to 9999-12-31 (the server aggregated the rows, so none is named){}", help_line(&Some("a year beyond these is a mistake in the data, or a placeholder such as `infinity`: leave the value empty for no date".to_string())))]
    TimeOutOfRange {
        path: String,
        column: String,
        value: String,
    },

    #[error("{path}: column `{column}` is stored as {found}, which cannot be read as {declared}{}", help_line(.hint))]
    ColumnType {
        path: String,
        column: String,
        found: String,
        declared: String,
        hint: Option<String>,
    },

    #[error("{what} is beyond the exact decimal range (28 significant digits){}", help_line(&Some("check the data for a misplaced value or a unit error".to_string())))]
    Overflow { what: String },

    #[error("no {kind} rate in `{dataset}` (exchange_rates `{rates}`) for {all}: the amounts there cannot be converted{}", help_line(&Some(format!("add the rates of {first} (and each listed) to `{dataset}`; a missing rate is never taken as 1"))))]
    MissingRate {
        rates: String,
        dataset: String,
        /// The first currency and period without a rate: `CHF in 2026-03`.
        first: String,
        kind: &'static str,
        /// Every one, `CHF in 2026-03, GBP in 2026-04`.
        all: String,
    },

    #[error("the exchange rates `{rates}` in `{dataset}`: {message}")]
    Rates {
        rates: String,
        dataset: String,
        message: String,
    },

    #[error("`--{flag}` is `{value}`, which is not a period at this scorecard's grain (such as `{example}`){}", help_line(&Some(format!("name a period at the grain, or a date in it; dates run {}", scorecard_model::calendar::SUPPORTED))))]
    BadPeriod {
        flag: &'static str,
        value: String,
        example: String,
    },

    #[error("`--from {from}` comes after `--to {to}`: no period is in between")]
    EmptyRange { from: String, to: String },

    #[error("the run would report {count} periods, {range}; at most 50,000 are reported at once{}", help_line(&Some("a date far beyond the data is most likely a typing mistake: name a nearer `--to` (or `--from`)".to_string())))]
    TooManyPeriods { count: i64, range: String },

    #[error("attribution `{rule}`: {message}")]
    Attribution { rule: String, message: String },

    #[error("allocation `{rule}`: {message}{}", help_line(.hint))]
    Allocation {
        rule: String,
        message: String,
        hint: Option<String>,
    },

    #[error("attribution `{rule}`: {error}")]
    Script {
        rule: String,
        error: scorecard_script::ScriptError,
    },

    #[error("the run needs more memory than its limit allows: {reason}{}", help_line(&Some("raise --memory-limit (or `[engine] memory_limit` in scorecard.toml), or leave it out".to_string())))]
    Memory { reason: String },

    /// The results a run would report need more memory than its limit: every segment is reported
    /// in every period, and results are held until they are written (unless they are written as CSV
    /// or JSON, which keep them on disk).
    #[error("the run would report {results} results, about {needed} MiB held in memory, more than --memory-limit allows ({limit} MiB): kpi `{kpi}` alone has {segments} segments (by {by}) in each of {periods} periods{}", help_line(&Some("`scorecard run --format csv` or `--format json` keeps the results on disk until they are written; or report fewer periods (--from, --to), segment the KPI by fewer or coarser columns, or raise --memory-limit".to_string())))]
    TooManyResults {
        results: usize,
        needed: usize,
        limit: usize,
        kpi: String,
        segments: usize,
        by: String,
        periods: usize,
    },

    #[error("`[engine] kind = \"ballista\"` runs the passes on the cluster at `{scheduler}`, and {}{}", crate::cluster::HOW_TO_BUILD, help_line(&Some("or set `kind = \"embedded\"` (the default) to run on this machine".to_string())))]
    NoCluster { scheduler: String },

    #[error("the cluster at `{scheduler}` could not run the query: {reason}{}", help_line(&Some("start its scheduler and executors (`scorecard cluster scheduler`, `scorecard cluster executor`, docs/distributed.md), or run on this machine with `[engine] kind = \"embedded\"`".to_string())))]
    Cluster { scheduler: String, reason: String },

    #[error("the query engine failed: {0}")]
    Engine(String),

    #[error("no row of any dataset has `{column}` = {values}: the audience would be shown nothing\n  help: {hint}")]
    AudienceNoRows {
        column: String,
        values: String,
        hint: String,
    },
}

impl DataError {
    /// A source of dataset `dataset`, shown as `path`, that could not be read, and why.
    pub fn unreadable(dataset: &str, path: &str, reason: impl Into<String>) -> DataError {
        DataError::Unreadable {
            dataset: dataset.to_string(),
            path: path.to_string(),
            reason: reason.into(),
        }
    }

    /// The line of the source the problem is on, where it names one.
    pub fn line(&self) -> Option<u64> {
        match self {
            DataError::BadValue(v) => Some(v.line),
            DataError::BadRecord { line, .. }
            | DataError::Ragged { line, .. }
            | DataError::NotUtf8 { line, .. }
            | DataError::DuplicateKey { line, .. }
            | DataError::NoTime { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The stable code of this kind of problem.
    pub fn code(&self) -> Code {
        match self {
            DataError::Unreadable { .. } => Code::Unreadable,
            DataError::OutsideProject { .. } => Code::OutsideProject,
            DataError::EmptyFile { .. } => Code::EmptyFile,
            DataError::MissingColumn { .. } => Code::MissingColumn,
            DataError::DuplicateColumn { .. } => Code::DuplicateColumn,
            DataError::BadValue(_) => Code::BadValue,
            DataError::BadRecord { .. } => Code::BadRecord,
            DataError::Ragged { .. } => Code::RaggedRow,
            DataError::NotUtf8 { .. } => Code::NotUtf8,
            DataError::DuplicateKey { .. } => Code::RepeatedKey,
            DataError::NoTime { .. } | DataError::NoTimeRows { .. } => Code::NoTime,
            DataError::TimeOutOfRange { .. } => Code::BadValue,
            DataError::ColumnType { .. } => Code::ColumnType,
            DataError::Overflow { .. } => Code::Overflow,
            DataError::BadPeriod { .. } => Code::BadPeriod,
            DataError::EmptyRange { .. } => Code::EmptyRange,
            DataError::TooManyPeriods { .. } => Code::TooManyPeriods,
            DataError::Attribution { .. } => Code::AttributionFailed,
            DataError::Allocation { .. } => Code::AllocationFailed,
            DataError::Script { error, .. } => error.code(),
            DataError::Memory { .. } | DataError::TooManyResults { .. } => Code::MemoryLimit,
            DataError::Cluster { .. } | DataError::NoCluster { .. } => Code::Cluster,
            DataError::AudienceNoRows { .. } => Code::AudienceNoRows,
            DataError::Engine(_) => Code::EngineFailed,
            DataError::CheckFailed { .. } => Code::CheckFailed,
            DataError::MissingRate { .. } => Code::MissingRate,
            DataError::Rates { .. } => Code::BadRates,
        }
    }
}

impl From<datafusion::arrow::error::ArrowError> for DataError {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        DataError::Engine(e.to_string())
    }
}

/// "1 row has", "2 rows have".
fn rows_have(n: u64) -> String {
    if n == 1 {
        "1 row has".into()
    } else {
        format!("{n} rows have")
    }
}

fn help_line(h: &Option<String>) -> String {
    h.as_ref()
        .map(|h| format!("\n  help: {h}"))
        .unwrap_or_default()
}

impl From<datafusion::error::DataFusionError> for DataError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        match e.find_root() {
            datafusion::error::DataFusionError::ResourcesExhausted(why) => DataError::Memory {
                reason: why.clone(),
            },
            _ => DataError::Engine(e.to_string()),
        }
    }
}

/// A field that does not fit its column type (boxed: it is the largest error).
#[derive(Debug)]
pub struct BadValue {
    pub path: String,
    pub line: u64,
    pub column: String,
    pub value: String,
    pub expected: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: column `{}` has the value `{}`, expected {}{}",
            self.path,
            self.line,
            self.column,
            self.value,
            self.expected,
            help_line(&self.hint)
        )
    }
}
