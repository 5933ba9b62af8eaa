//! The `scorecard` command line: parses arguments, calls the library, prints, and maps outcomes to
//! exit codes (0 ok, 1 scorecard errors, 2 data or runtime errors, 3 an escalation open at or above
//! `--fail-on`).

mod cli;

/// Counts the memory each thread holds, so that the Rhai sandbox can bound a script's.
#[global_allocator]
static ALLOCATOR: scorecard::script::memory::CountingAllocator =
    scorecard::script::memory::CountingAllocator;

use clap::{Parser, Subcommand, ValueEnum};
use cli::run::{Format, Source};
use cli::write;
use scorecard::model::Severity;
use scorecard::output::Batch;
use scorecard::project;
use scorecard::rules::manifest::{Manifest, SourceFile};
use scorecard::{diagnostic, engine, report};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "scorecard",
    version,
    about = "Check and evaluate finance scorecards written as text",
    after_help = "Exit codes: 0 ok, 1 the scorecard has errors, 2 a data or runtime error, 3 an escalation at or above `run --fail-on` is open in the last period."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// type, hover, go to definition, completion and formatting.
    Lsp,
    /// Evaluate a scorecard against its data: every KPI, period and segment.
    Run {
        /// The `.scorecard` files (or folders of them) to evaluate [default: the scorecards the
        /// project's scorecard.toml names].
        files: Vec<PathBuf>,
        #[command(flatten)]
        source: Source,
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
        /// above is open in the last period reported.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
    },
    /// Write the self-contained HTML report: statuses, trends against targets and threshold bands,
    /// escalations, attribution, whale curves and the strategy map, in one file (docs/reports.md).
    Report {
        /// The `.scorecard` file to evaluate.
        file: PathBuf,
        #[command(flatten)]
        source: Source,
        /// Write the page to this file (written whole, then renamed into place) instead of
        /// standard output.
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
    /// Run a Ballista scheduler or executor for `[engine] kind = "ballista"` (docs/distributed.md).
    Cluster {
        #[command(subcommand)]
        role: cli::cluster::Role,
    },
    /// Write the KPI aggregations as SQL a warehouse can run: one grouped SELECT per dataset and
    /// segmentation, each row a period (named by its first day) and segment (docs/sql.md).
    Sql {
        /// The `.scorecard` file.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = cli::sql::DialectArg::Postgres)]
        dialect: cli::sql::DialectArg,
        /// Read a dataset from this table or view (repeat for each): DATASET=TABLE, such as
        /// orders=analytics.fct_order_lines [default: a table named as the dataset].
        #[arg(long = "table", value_parser = cli::sql::parse_table)]
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
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

/// Where a document that reads as text or JSON (explain, diff) goes.
#[derive(clap::Args)]
struct DocumentOutput {
    /// Text for a terminal, or JSON (described in docs/audit.md).
    #[arg(long, value_enum, default_value_t = DocumentFormat::Text)]
    format: DocumentFormat,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Leave the evaluation time out of the manifest.
    #[arg(long)]
    deterministic: bool,
}

impl DocumentOutput {
    /// Writes the document as JSON, or as the text `text` draws (in colour on a terminal), with the
    /// command's other outputs in `batch`: all are renamed into place together.
    fn write<T: serde::Serialize>(
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
enum CheckFormat {
    Text,
    Sarif,
}

/// For documents that read as text or as JSON (explain, diff).
#[derive(Clone, Copy, ValueEnum)]
enum DocumentFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// Graphviz: `dot -Tsvg map.dot -o map.svg`
    Dot,
    /// Mermaid, for Markdown
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
enum GenerateKind {
    /// `orders.*` (order lines over 36 fiscal months, four regions) and `budget.*`
    Retail,
    /// `touchpoints.*`, `orders.*` (a tenth as many conversions) and `spend.*`
    Marketing,
}

#[derive(Clone, Copy, ValueEnum)]
enum GenerateFormat {
    Csv,
    Parquet,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

pub(crate) use cli::exit::Exit;

/// The exit code of a command stopped by SIGINT, SIGTERM or SIGHUP (128 + SIGINT's number).
const INTERRUPTED: i32 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The servers keep their own signal handling; every other command may be staging outputs.
    if !matches!(cli.command, Command::Lsp | Command::Cluster { .. }) {
        remove_temporary_files_on_signal();
    }
    ExitCode::from(match cli.command {
        Command::Check {
            files,
            format: CheckFormat::Text,
            ..
        } => check(&files),
        Command::Check { files, output, .. } => check_sarif(&files, output.as_deref()),
        Command::Fmt { files, check } => cli::fmt::run(&files, check),
        Command::Lsp => {
            match scorecard::lsp::serve(std::io::stdin().lock(), std::io::stdout().lock()) {
                Ok(true) => Exit::Ok,
                // Exit before `shutdown`, or the editor's pipe broke: the protocol's exit code 1.
                Ok(false) => Exit::ScorecardErrors,
                Err(e) => {
                    eprintln!("error: the language server stopped: {e}");
                    Exit::DataErrors
                }
            }
        }
        Command::Test { files, junit } => cli::test::run(&files, junit.as_deref()),
        Command::Generate {
            kind,
            rows,
            out,
            format,
            seed,
            force,
        } => generate(kind, rows, (&out, force), format, seed),
        Command::Graph {
            file,
            format,
            output,
        } => graph(&file, format, output.as_deref()),
        Command::Cluster { role } => cli::cluster::run(role),
        Command::Sql {
            file,
            dialect,
            tables,
            output,
        } => cli::sql::run(&file, dialect, &tables, output.as_deref()),
        Command::Diff {
            old,
            new,
            data,
            out,
        } => diff((&old, &new), data.as_deref(), &out),
        Command::Explain {
            file,
            kpi,
            period,
            segment,
            data,
            as_of,
            rows,
            rows_out,
            out,
        } => {
            let request = scorecard::ExplainRequest {
                kpi,
                period,
                segment,
                rows: if rows_out.is_some() { None } else { Some(rows) },
            };
            let rows = Rows {
                out: rows_out.as_deref(),
                shown: rows,
            };
            explain(&file, (data, as_of), &request, rows, &out)
        }
        Command::Run {
            files,
            source,
            format,
            output,
            credits,
            fail_on,
        } => {
            let outputs = cli::run::Outputs {
                format,
                output: output.as_deref(),
                credits: credits.as_deref(),
                fail_on: fail_on.map(FailOn::severity),
            };
            cli::run::run(&files, source, outputs)
        }
        Command::Report {
            file,
            source,
            output,
        } => cli::run::report(&file, source, output.as_deref()),
    })
}

/// On SIGINT, SIGTERM or SIGHUP, removes the temporary files of outputs not yet renamed into
/// place and the temporary folders (staged rows, test data), then exits: an interrupted command
/// leaves its targets as they were and nothing beside them. A commit under way finishes first.
/// (SIGKILL cannot be caught: `generate` removes what such a run left beside its files.)
fn remove_temporary_files_on_signal() {
    let installed = ctrlc::set_handler(|| {
        scorecard::output::temporary::remove_all();
        std::process::exit(INTERRUPTED);
    });
    if let Err(e) = installed {
        eprintln!("warning: an interrupted command may leave temporary files behind: {e}");
    }
}

fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Reads a scorecard file, saying why when it cannot.
fn read_scorecard(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .map_err(|e| {
            eprintln!(
                "error[{}]: cannot read `{}`: {e}",
                diagnostic::Code::ReadSource.as_str(),
                path.display()
            );
        })
        .ok()
}

/// Reads and checks one file, printing its diagnostics; `None` when it cannot be read.
pub(crate) fn compile(path: &Path) -> Option<(scorecard::Compiled, String)> {
    let name = path.display().to_string();
    let source = read_scorecard(path)?;
    let compiled = scorecard::compile(&source);
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            diagnostic::render(&name, &source, &compiled.diagnostics, stderr_color())
        );
    }
    Some((compiled, source))
}

fn check(files: &[PathBuf]) -> Exit {
    let mut errors = 0;
    let mut warnings = 0;
    for f in files {
        match compile(f) {
            None => errors += 1,
            Some((c, _)) => {
                errors += c.errors();
                warnings += c.diagnostics.len() - c.errors();
                // The project file is checked with the scorecard: a mistake in it stops a run.
                let project = c
                    .model
                    .as_ref()
                    .map_or(0, |m| cli::run::project_errors(f, m));
                errors += project;
                if let Some(m) = c.model.as_ref().filter(|_| project == 0) {
                    println!(
                        "ok: {} ({} datasets, {} KPIs)",
                        f.display(),
                        m.datasets.len(),
                        m.kpis.len()
                    );
                }
            }
        }
    }
    if errors > 0 {
        eprintln!(
            "{errors} error{} and {warnings} warning{} in {} file{}",
            s(errors),
            s(warnings),
            files.len(),
            s(files.len())
        );
        Exit::ScorecardErrors
    } else {
        Exit::Ok
    }
}

/// `check --format sarif`: every file's diagnostics as one SARIF log; exit 1 when any is an
/// error, as `check` does.
fn check_sarif(files: &[PathBuf], output: Option<&Path>) -> Exit {
    if let Err(code) = write::guard(
        &write::with_main(output, &[]),
        &write::scorecards_and_projects(files),
    ) {
        return code;
    }
    let read: Vec<(String, Option<String>, Vec<diagnostic::Diagnostic>)> = files
        .iter()
        .map(|f| {
            let name = f.display().to_string();
            match std::fs::read_to_string(f) {
                Ok(source) => {
                    let d = scorecard::compile(&source).diagnostics;
                    (name, Some(source), d)
                }
                Err(e) => {
                    let d = diagnostic::Diagnostic::error(
                        diagnostic::Code::ReadSource,
                        diagnostic::Span::default(),
                        format!("cannot read `{name}`: {e}"),
                    );
                    (name, None, vec![d])
                }
            }
        })
        .collect();
    let checked: Vec<diagnostic::sarif::Checked> = read
        .iter()
        .map(|(path, source, diagnostics)| diagnostic::sarif::Checked {
            path,
            source: source.as_deref(),
            diagnostics,
        })
        .collect();
    let log = diagnostic::sarif::log(&checked, env!("CARGO_PKG_VERSION"));
    let written = write::emit(output, &report::pretty(&log));
    let errors = read
        .iter()
        .flat_map(|(_, _, d)| d)
        .filter(|d| d.is_error())
        .count();
    if written != Exit::Ok {
        written
    } else if errors > 0 {
        Exit::ScorecardErrors
    } else {
        Exit::Ok
    }
}

fn graph(file: &Path, format: GraphFormat, output: Option<&Path>) -> Exit {
    if let Err(code) = write::guard(
        &write::with_main(output, &[]),
        &write::scorecards_and_projects(&[file]),
    ) {
        return code;
    }
    let Some((compiled, _)) = compile(file) else {
        return Exit::ScorecardErrors;
    };
    let Some(model) = compiled.model else {
        return Exit::ScorecardErrors;
    };
    let text = match format {
        GraphFormat::Dot => report::strategy_map::dot(&model),
        GraphFormat::Mermaid => report::strategy_map::mermaid(&model),
    };
    write::emit(output, &text)
}

/// `--rows`: at least one, and at most `generate::MAX_ROWS`.
fn generate_rows(text: &str) -> Result<u64, String> {
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

fn generate(
    kind: GenerateKind,
    rows: u64,
    (out, force): (&Path, bool),
    format: GenerateFormat,
    seed: u64,
) -> Exit {
    use scorecard::generate::{Format as F, Kind};
    let kind = match kind {
        GenerateKind::Retail => Kind::Retail,
        GenerateKind::Marketing => Kind::Marketing,
    };
    let formats: &[F] = match format {
        GenerateFormat::Csv => &[F::Csv],
        GenerateFormat::Parquet => &[F::Parquet],
        GenerateFormat::Both => &[F::Csv, F::Parquet],
    };
    let into = scorecard::generate::Folder { path: out, force };
    match scorecard::generate::generate(kind, rows, seed, into, formats) {
        Ok(written) => {
            for (path, n) in written.files {
                println!("{} ({n} rows)", path.display());
            }
            Exit::Ok
        }
        Err(e) => write::failed(&e),
    }
}

fn s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn parse_segment(text: &str) -> Result<(String, String), String> {
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

/// Reads a scorecard's text from a file, or from git when written `REVISION:PATH` and no file
/// has that name.
fn read_version(arg: &str) -> Result<String, String> {
    let path = Path::new(arg);
    if path.exists() {
        return std::fs::read_to_string(path).map_err(|e| format!("cannot read `{arg}`: {e}"));
    }
    let Some((revision, file)) = arg.split_once(':') else {
        return Err(format!("cannot read `{arg}`: no such file"));
    };
    // Git would take it as an option (`--output=FILE` writes a file): a revision never starts so.
    if revision.starts_with('-') {
        return Err(format!(
            "`{revision}` is not a git revision: a revision cannot start with `-`\n  help: name a commit, branch or tag, such as `HEAD~1:{file}`"
        ));
    }
    // `--end-of-options`: whatever the argument holds, git reads it as a revision, not an option.
    let shown = std::process::Command::new("git")
        .args(["show", "--no-textconv", "--end-of-options"])
        .arg(format!("{revision}:{file}"))
        .output()
        .map_err(|e| format!("cannot run git to read `{arg}`: {e}"))?;
    if !shown.status.success() {
        return Err(format!(
            "cannot read `{file}` at git revision `{revision}`: {}",
            String::from_utf8_lossy(&shown.stderr).trim()
        ));
    }
    String::from_utf8(shown.stdout).map_err(|_| format!("`{arg}` is not UTF-8 text"))
}

fn diff((old, new): (&str, &str), data: Option<&Path>, out: &DocumentOutput) -> Exit {
    let versions: Vec<&str> = [old, new]
        .into_iter()
        .filter(|v| Path::new(v).exists())
        .collect();
    let mut reads = write::scorecards_and_projects(&versions);
    let outputs = write::with_main(out.output.as_deref(), &[]);
    if let Err(code) = write::guard(&outputs, &reads) {
        return code;
    }
    let mut models = Vec::new();
    let mut sources = Vec::new();
    for arg in [old, new] {
        let text = match read_version(arg) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error[{}]: {e}", diagnostic::Code::ReadSource.as_str());
                return Exit::ScorecardErrors;
            }
        };
        let compiled = scorecard::compile(&text);
        if !compiled.diagnostics.is_empty() {
            eprint!(
                "{}",
                diagnostic::render(arg, &text, &compiled.diagnostics, stderr_color())
            );
        }
        let Some(model) = compiled.model else {
            eprintln!("{arg} has errors: nothing was compared");
            return Exit::ScorecardErrors;
        };
        sources.push(SourceFile::new(arg, &text));
        models.push(model);
    }
    // The project is the new version's, when it is a file here, or else the working folder's.
    let options = match data {
        Some(d) => {
            let here = Path::new(new);
            let file = if here.is_file() {
                here
            } else {
                Path::new(project::FILE)
            };
            match engine_options(file, Some(d.to_path_buf())) {
                Ok((project, o)) => {
                    reads.extend(write::project_file(&project));
                    Some(o)
                }
                Err(code) => return code,
            }
        }
        None => None,
    };
    if let Some(o) = &options {
        reads.extend(models.iter().flat_map(|m| o.data_files(m)));
        if let Err(code) = write::guard(&outputs, &reads) {
            return code;
        }
    }
    let mut d = match scorecard::diff(&models[0], &models[1], options.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code().as_str());
            return Exit::DataErrors;
        }
    };
    stamp(&mut d.manifest, sources, out.deterministic);
    out.write(Batch::new(), &d, |color| report::diff::text(&d, color))
}

/// The source rows behind an explanation: how many to show, and a CSV file for all of them.
struct Rows<'a> {
    out: Option<&'a Path>,
    shown: usize,
}

fn explain(
    file: &Path,
    (data, as_of): (Option<PathBuf>, Option<chrono::NaiveDate>),
    request: &scorecard::ExplainRequest,
    rows: Rows,
    out: &DocumentOutput,
) -> Exit {
    let outputs = write::with_main(out.output.as_deref(), &[(rows.out, "--rows-out")]);
    if let Err(code) = write::guard(&outputs, &write::scorecards(&[file])) {
        return code;
    }
    let Some((compiled, source)) = compile(file) else {
        return Exit::ScorecardErrors;
    };
    let Some(model) = compiled.model else {
        return Exit::ScorecardErrors;
    };
    let options = match engine_options(file, data) {
        Ok((project, _)) if cli::run::binding_errors(&project, file, &model) > 0 => {
            return Exit::ScorecardErrors;
        }
        Ok((project, o)) => {
            let reads = write::run_reads(file, &project, &o, &model);
            if let Err(code) = write::guard(&outputs, &reads) {
                return code;
            }
            engine::Options { as_of, ..o }
        }
        Err(code) => return code,
    };
    let mut e = match scorecard::explain(&model, &options, request) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code().as_str());
            return Exit::DataErrors;
        }
    };
    let read = SourceFile::new(&file.display().to_string(), &source);
    stamp(&mut e.manifest, vec![read], out.deterministic);
    let mut batch = Batch::new();
    if let Some(path) = rows.out {
        let csv = report::explain::rows_csv(&e);
        if let Err(code) = write::stage(&mut batch, path, csv.as_bytes()) {
            return code;
        }
        for a in &mut e.aggregates {
            a.rows.truncate(rows.shown);
        }
    }
    out.write(batch, &e, |color| report::explain::text(&e, color))
}

/// The engine's options for the scorecard at `file`: relative dataset sources resolve against
/// `--data`, or else the scorecard's own folder, and files are read only from inside its project
/// (`scorecard.toml`), the `--data` folder, and the folders the project allows.
fn engine_options(
    file: &Path,
    data: Option<PathBuf>,
) -> Result<(project::Project, engine::Options), Exit> {
    let project = project_of(file, None)?;
    let options = project_options(&project, file, data);
    Ok((project, options))
}

/// The project `--config` names, or else the one the scorecard at `file` belongs to.
fn project_of(file: &Path, config: Option<&Path>) -> Result<project::Project, Exit> {
    match config {
        Some(c) => project::Project::read(c),
        None => project::Project::of(file),
    }
    .map_err(|e| {
        eprintln!("error[{}]: {e}", e.code().as_str());
        Exit::ScorecardErrors
    })
}

/// The engine's options for the scorecard at `file` in `project`, with the project's bindings and
/// memory limit (which `run --memory-limit` overrides; `diff` and `explain` have no flag for it).
fn project_options(
    project: &project::Project,
    file: &Path,
    data: Option<PathBuf>,
) -> engine::Options {
    let sandbox = project.sandbox(data.as_deref());
    let data_dir = data.unwrap_or_else(|| file.parent().map(Path::to_path_buf).unwrap_or_default());
    engine::Options {
        sandbox,
        bindings: project.sources(),
        cluster: project.cluster.clone(),
        memory_limit: project.memory_limit,
        ..engine::Options::new(data_dir)
    }
}

/// Records the scorecard files read and, unless the output must be deterministic, the time.
fn stamp(manifest: &mut Manifest, scorecards: Vec<SourceFile>, deterministic: bool) {
    manifest.scorecards = scorecards;
    manifest.evaluated_at = (!deterministic).then(scorecard::rules::manifest::now);
}
