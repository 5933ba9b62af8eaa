//! Owns the command line's grammar: every command, its arguments and their help (clap), and the
//! parsers of argument values (dates, segments, row counts).

use super::exit::Exit;
use super::run::{DataArgs, Format};
use super::terminal::stdout_color;
use super::write;
use clap::{Parser, Subcommand, ValueEnum};
use scorecard::model::Severity;
use scorecard::output::Batch;
use scorecard::report;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "scorecard",
    version,
    about = "Check and evaluate finance scorecards written as text",
    after_help = "Exit codes: 0 ok, 1 the scorecard has errors (or `ledger verify` found a problem), 2 a data or runtime error, 3 an escalation at or above `run --fail-on` is open in the last period, or a dataset check failed under `--fail-on checks`, 4 `notify` could not deliver a notification (it is sent again on the next run)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Parse and check scorecard files, printing every problem found.
    Check {
        /// The `.scorecard` files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Text for a terminal, or SARIF 2.1.0 for code-review tools to annotate pull requests.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Write the SARIF log to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Rewrite scorecard files in the one canonical layout (docs/formatting.md). Comments are
    /// kept and the meaning never changes: the result is parsed again and compared first.
    Fmt {
        /// Files, or folders to search for `.scorecard` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing: list the files that would change, and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Run the `test` declarations of scorecard files: each on its own inline data, every
    /// `expect` compared with the result. Exit 0 when all pass, 1 when one fails, 2 when one
    /// cannot run (or a file has errors).
    Test {
        /// Files, or folders to search for `.scorecard` files [default: the current folder].
        files: Vec<PathBuf>,
        /// Also write the results as JUnit XML to this file.
        #[arg(long)]
        junit: Option<PathBuf>,
    },
    /// Start the language server on standard input and output, for editors: diagnostics as you
    /// type, hover, go to definition, completion, formatting, and each KPI's latest value and
    /// status from the project's data beside it (docs/editors.md).
    Lsp {
        /// Show no figures: read no data, only check.
        #[arg(long)]
        no_figures: bool,
        /// The memory the rows read may hold between edits, such as 512MiB or 8GiB; past it, each
        /// version of the scorecard reads its data again [default: 4GiB].
        #[arg(long, value_name = "SIZE", value_parser = super::run::memory_size)]
        keep: Option<usize>,
    },
    /// Evaluate a scorecard against its data: every KPI, period and segment.
    Run {
        /// The `.scorecard` files (or folders of them) to evaluate [default: the scorecards the
        /// project's scorecard.toml names].
        files: Vec<PathBuf>,
        #[command(flatten)]
        source: DataArgs,
        /// How to write the results (JSON is described in docs/json-output.md, Markdown and Excel
        /// in docs/reports.md).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write to this file instead of standard output (written whole, then renamed into place).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Also write every attribution's credit table (conversion, touch, weight, credit) to this
        /// CSV file, for audit.
        #[arg(long)]
        credits: Option<PathBuf>,
        /// Exit with code 3 (after writing the results) when an escalation of this severity or
        /// above is open in the last period reported, or with `checks`, when a dataset check
        /// failed; may be given more than once (`--fail-on high --fail-on checks`).
        #[arg(long, value_enum, action = clap::ArgAction::Append)]
        fail_on: Vec<FailOn>,
    },
    /// Write the self-contained HTML report: statuses, trends against targets and threshold bands,
    /// escalations, attribution, whale curves and the strategy map, in one file (docs/reports.md).
    Report {
        /// The `.scorecard` file to evaluate.
        file: PathBuf,
        #[command(flatten)]
        source: DataArgs,
        /// Write the page to this file (written whole, then renamed into place) instead of
        /// standard output.
        #[arg(short = 'o', long, conflicts_with = "serve")]
        output: Option<PathBuf>,
        /// Serve the report on localhost instead, evaluated again on the data held in memory
        /// whenever the scorecard or its data changes; the page reloads itself (docs/editors.md).
        #[arg(long)]
        serve: bool,
        /// The port `--serve` listens on, on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 8765, requires = "serve")]
        port: u16,
        /// With `--serve`: the memory the rows read may hold between evaluations [default: 4GiB].
        #[arg(long, value_name = "SIZE", value_parser = super::run::memory_size, requires = "serve")]
        keep: Option<usize>,
    },
    /// Evaluate one KPI across values of the scorecard's parameters: a range of one (`--vary
    /// discount_rate=6%..12%:1%`), a grid of two, or every parameter's low and high (`--tornado`).
    /// The data is read once for every point (docs/language.md, "Sensitivity").
    Sensitivity {
        /// The `.scorecard` file.
        file: PathBuf,
        /// The KPI whose total is evaluated at each point.
        #[arg(long)]
        kpi: String,
        /// A parameter and its values: `NAME=LOW..HIGH:STEP` or `NAME=V1,V2,...`, in its unit
        /// (`6%..12%:1%`); give two for a grid.
        #[arg(long, value_name = "NAME=VALUES")]
        vary: Vec<String>,
        /// Rank every parameter by how far its low and high values (its `range`, else its
        /// scenarios') move the KPI.
        #[arg(long)]
        tornado: bool,
        /// The period whose value is compared [default: the last reported].
        #[arg(long)]
        period: Option<String>,
        #[command(flatten)]
        source: DataArgs,
        /// A table for a terminal, JSON (docs/json-output.md), CSV (one row per point, or per
        /// tornado bar), or an HTML page with the curves and the tornado chart.
        #[arg(long, value_enum, default_value_t = SensitivityFormat::Table)]
        format: SensitivityFormat,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Explain one KPI value: its definition, the calculation with every step's value, the rows
    /// behind each aggregate, the target, the threshold that decided the status, and the score.
    Explain {
        /// The `.scorecard` file.
        file: PathBuf,
        /// The KPI to explain.
        kpi: String,
        /// The period, such as 2026-10, 2026-Q1, FY2027 or a date inside it.
        #[arg(long)]
        period: String,
        /// A segment, as COLUMN=VALUE (repeat for each segment column); the total when absent.
        #[arg(long = "segment", value_parser = parse_segment)]
        segment: Vec<(String, String)>,
        /// Directory that relative dataset sources resolve against [default: the scorecard's folder].
        #[arg(long)]
        data: Option<PathBuf>,
        /// Evaluate as of this day (YYYY-MM-DD), as `run --as-of` does.
        #[arg(long, value_parser = parse_day)]
        as_of: Option<chrono::NaiveDate>,
        /// List up to this many source rows under each aggregate.
        #[arg(long, default_value_t = 0)]
        rows: usize,
        /// Write every source row behind the value to this CSV file.
        #[arg(long)]
        rows_out: Option<PathBuf>,
        /// Produce only what this audience may see (docs/audiences.md).
        #[arg(long, value_name = "NAME")]
        audience: Option<String>,
        /// Take the parameters' values from this scenario, as `run --scenario` does.
        #[arg(long, value_name = "NAME")]
        scenario: Option<String>,
        /// Assume this value for a parameter, as `run --set` does.
        #[arg(long, value_name = "NAME=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        out: DocumentOutput,
    },
    /// Show what changed between two versions of a scorecard: declarations added, removed,
    /// renamed or changed (layout and comments ignored) and, with --data, every value and status
    /// that changes as a result.
    Diff {
        /// The old version: a file, or REVISION:PATH to read it from git (`HEAD~1:acme.scorecard`).
        old: String,
        /// The new version, in the same forms.
        new: String,
        /// Evaluate both on the data in this directory and show the effect on the numbers.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Produce only what this audience may see, under the new version's rules for it (docs/audiences.md).
        #[arg(long, value_name = "NAME")]
        audience: Option<String>,
        #[command(flatten)]
        out: DocumentOutput,
    },
    /// Write seeded synthetic data (retail order lines or marketing touches) at any size, as CSV
    /// and Parquet: for benchmarks and for trying scorecards on large data.
    Generate {
        #[arg(value_enum)]
        kind: GenerateKind,
        /// Rows of the main table: order lines (retail) or touches (marketing), from 1 to
        /// 1,000,000,000.
        #[arg(long, default_value_t = 1_000_000, value_parser = generate_rows)]
        rows: u64,
        /// The directory to write into (created if missing). It must be empty, or hold only files
        /// an earlier `generate` wrote.
        #[arg(long)]
        out: PathBuf,
        /// Write into a folder that holds other files too: the files `generate` writes are
        /// replaced, the others left as they are.
        #[arg(long)]
        force: bool,
        /// Which formats to write.
        #[arg(long, value_enum, default_value_t = GenerateFormat::Both)]
        format: GenerateFormat,
        /// The same seed and rows always give byte-identical files.
        #[arg(long, default_value_t = 20261123)]
        seed: u64,
    },
    /// Record a period's figures as published in the project's ledger: every value, target,
    /// status, score and escalation, the run's manifest, the scorecard's git commit and who
    /// approved them, chained to the record before by its hash (docs/audit.md).
    Publish {
        /// The `.scorecard` file.
        file: PathBuf,
        /// The period to publish, such as 2026-10 or FY2027-Q2.
        #[arg(long)]
        period: String,
        /// Who approved the figures.
        #[arg(long)]
        approved_by: String,
        /// Publish a period published before, saying why (a late invoice, a corrected file, a
        /// definition changed): the ledger keeps both records.
        #[arg(long, value_name = "WHY")]
        restate: Option<String>,
        /// Publish even though some figures read data that covers a period only in part; each is
        /// recorded as partial.
        #[arg(long)]
        allow_partial: bool,
        #[command(flatten)]
        source: DataArgs,
    },
    /// Evaluate every published period again and list each figure that differs from what was
    /// published, with its cause: the data files (and rows) that changed, the definitions that
    /// changed, or both (docs/audit.md).
    Restatements {
        /// The `.scorecard` file.
        file: PathBuf,
        #[command(flatten)]
        source: DataArgs,
        /// Text for a terminal, or JSON.
        #[arg(long, value_enum, default_value_t = DocumentFormat::Text)]
        format: DocumentFormat,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Check the ledger of published figures (docs/audit.md).
    Ledger {
        #[command(subcommand)]
        action: LedgerAction,
    },
    /// Deliver escalations to the receivers `scorecard.toml` routes them to: once when raised,
    /// once per step up the chain, once when recovered, however often it runs
    /// (docs/notifications.md). Exit code 4 when a delivery failed; it is sent again on the
    /// next run.
    Notify {
        /// The `.scorecard` file.
        file: PathBuf,
        #[command(flatten)]
        source: DataArgs,
        /// Show what would be sent, and to whom; send and record nothing.
        #[arg(long)]
        dry_run: bool,
        /// Accept data that now ends sooner than an earlier run's (a correction): corrections
        /// are then decided from it.
        #[arg(long)]
        rewind: bool,
        /// Text for a terminal, or JSON.
        #[arg(long, value_enum, default_value_t = DocumentFormat::Text)]
        format: DocumentFormat,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Run a Ballista scheduler or executor for `[engine] kind = "ballista"` (docs/distributed.md).
    Cluster {
        #[command(subcommand)]
        role: super::cluster::Role,
    },
    /// Write the KPI aggregations as SQL a warehouse can run: one grouped SELECT per dataset and
    /// segmentation, each row a period (named by its first day) and segment (docs/sql.md).
    Sql {
        /// The `.scorecard` file.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = super::sql::DialectArg::Postgres)]
        dialect: super::sql::DialectArg,
        /// Read a dataset from this table or view (repeat for each): DATASET=TABLE, such as
        /// orders=analytics.fct_order_lines [default: a table named as the dataset].
        #[arg(long = "table", value_parser = super::sql::parse_table)]
        tables: Vec<(String, String)>,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Print the strategy map: perspectives as layers, objectives, and the `drives` links.
    Graph {
        /// The `.scorecard` file.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Produce only what this audience may see (docs/audiences.md).
        #[arg(long, value_name = "NAME")]
        audience: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum LedgerAction {
    /// Walk the chain from the first record and name every record edited, removed or unreadable.
    /// Exit 0 when it verifies, 1 when it does not.
    Verify {
        /// A scorecard, a project folder, or a project file (scorecard.toml, or one `--config`
        /// would name) [default: the current folder].
        path: Option<PathBuf>,
        /// The hash of the last record as noted when it was written (`publish` prints it): a
        /// ledger cut back to before it is found.
        #[arg(long)]
        head: Option<String>,
    },
}

/// Where a document that reads as text or JSON (explain, diff) goes.
#[derive(clap::Args)]
pub(crate) struct DocumentOutput {
    /// Text for a terminal, or JSON (described in docs/audit.md).
    #[arg(long, value_enum, default_value_t = DocumentFormat::Text)]
    pub(crate) format: DocumentFormat,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long)]
    pub(crate) output: Option<PathBuf>,
    /// Leave the evaluation time out of the manifest.
    #[arg(long)]
    pub(crate) deterministic: bool,
}

impl DocumentOutput {
    /// For a command that takes the data options (`--deterministic` among them) beside its own
    /// `--format` and `-o`.
    pub(crate) fn of(format: DocumentFormat, output: Option<PathBuf>, source: &DataArgs) -> Self {
        DocumentOutput {
            format,
            output,
            deterministic: source.deterministic,
        }
    }

    /// Writes the document as JSON, or as the text `text` draws (in colour on a terminal), with the
    /// command's other outputs in `batch`: all are renamed into place together.
    pub(crate) fn write<T: serde::Serialize>(
        &self,
        batch: Batch,
        doc: &T,
        text: impl FnOnce(bool) -> String,
    ) -> Exit {
        let written = match self.format {
            DocumentFormat::Text => text(self.output.is_none() && stdout_color()),
            DocumentFormat::Json => report::pretty(doc),
        };
        write::finish(batch, self.output.as_deref(), written.as_bytes())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    Text,
    Sarif,
}

/// For documents that read as text or as JSON (explain, diff).
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DocumentFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SensitivityFormat {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum GraphFormat {
    /// Graphviz: `dot -Tsvg map.dot -o map.svg`
    Dot,
    /// Mermaid, for Markdown
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum GenerateKind {
    /// `orders.*` (order lines over 36 fiscal months, four regions) and `budget.*`
    Retail,
    /// `touchpoints.*`, `orders.*` (a tenth as many conversions) and `spend.*`
    Marketing,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum GenerateFormat {
    Csv,
    Parquet,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// A dataset check failed (one of severity `warn`: an `error` check stops the run).
    Checks,
}

impl FailOn {
    /// The escalation severity it gates on; `None` for `checks`.
    pub(crate) fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Checks => None,
        }
    }
}

/// `--rows`: at least one, and at most `generate::MAX_ROWS`.
pub(crate) fn generate_rows(text: &str) -> Result<u64, String> {
    use scorecard::generate::MAX_ROWS;
    let most = scorecard::model::format::group_thousands(&MAX_ROWS.to_string());
    match text.replace(['_', ','], "").parse::<u64>() {
        Ok(n) if (1..=MAX_ROWS).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}` is not a number of rows from 1 to {most} (the most, as retail CSV, takes about {} GB)",
            MAX_ROWS * scorecard::generate::RETAIL_CSV_BYTES_PER_ROW / 1_000_000_000
        )),
    }
}

pub(crate) fn parse_segment(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(c, v)| (c.trim().to_string(), v.to_string()))
        .filter(|(c, _)| !c.is_empty())
        .ok_or_else(|| format!("`{text}` is not COLUMN=VALUE, such as region=EMEA"))
}

pub(crate) fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date written YYYY-MM-DD"))?;
    if !scorecard::model::calendar::supported(day) {
        return Err(format!(
            "`{text}` is not a day the engine takes: dates run {}",
            scorecard::model::calendar::SUPPORTED
        ));
    }
    Ok(day)
}
