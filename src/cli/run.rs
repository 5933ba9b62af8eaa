//! Owns `scorecard run` and `scorecard report`: evaluate scorecards on their data (bound by the
//! project's scorecard.toml where it binds them), then write each result as a terminal table,
//! JSON, CSV, Markdown, an Excel workbook, or the HTML report.

use super::exit::Exit;
use super::input::{compile, stamp};
use super::terminal::{s, stdout_color};
use super::write;

use clap::ValueEnum;
use scorecard::model::{Model, Severity};
use scorecard::output::{Batch, Output, OutputError, Read};
use scorecard::project::Project;
use scorecard::rules::manifest::SourceFile;
use scorecard::rules::Evaluation;
use scorecard::{engine, report};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// Tables for a pull-request comment.
    Markdown,
    /// An Excel workbook, one sheet per table (needs `-o FILE` unless piped).
    Xlsx,
}

/// Which data, which periods, and how to run (the options `run` and `report` share).
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// The project file to use (its dataset bindings, its scorecards) instead of the nearest
    /// scorecard.toml above the scorecard.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory that relative dataset sources resolve against [default: the scorecard's folder].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// First period to report, such as 2026-01, 2026-Q1, FY2027 or a date.
    #[arg(long)]
    pub from: Option<String>,
    /// Last period to report.
    #[arg(long)]
    pub to: Option<String>,
    /// Evaluate as of this day (YYYY-MM-DD): later rows are left out, windows stop there, and
    /// its period, if not over, is marked partial.
    #[arg(long, value_parser = super::args::parse_day)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Worker threads for the query engine, from 1 to 256 [default: one per core].
    #[arg(long, value_parser = thread_count)]
    pub threads: Option<usize>,
    /// The memory the query engine may hold, such as 512MiB or 4GiB: past it, work spills to
    /// disk, and rows read are staged on disk [default: no limit, or `[engine] memory_limit`].
    #[arg(long, value_name = "SIZE", value_parser = memory_size)]
    pub memory_limit: Option<usize>,
    /// Leave the evaluation time out of the manifest (`evaluated_at: null`), so that the same
    /// inputs give byte-identical output whenever they run.
    #[arg(long)]
    pub deterministic: bool,
    /// Produce only what this audience may see: an audience the scorecard declares, or a member
    /// of one that scorecard.toml lists (docs/audiences.md).
    #[arg(long, value_name = "NAME")]
    pub audience: Option<String>,
    /// Take the parameters' values from this scenario (those it does not name keep their base).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Assume this value for a parameter, such as `discount_rate=9%` (after `--scenario`; may be
    /// given for several parameters).
    #[arg(long, value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

/// What `run` writes, and where.
#[derive(Clone, Copy)]
pub struct Outputs<'a> {
    pub format: Format,
    pub output: Option<&'a Path>,
    pub credits: Option<&'a Path>,
    pub fail_on: Option<Severity>,
    /// `--fail-on checks`: exit 3 when a dataset check failed.
    pub fail_on_checks: bool,
}

/// What an evaluation is for: `run` keeps credit rows when asked, and writes CSV and JSON a row at
/// a time (so their results may be kept on disk until written); a report adds each attribution's
/// credit by channel.
#[derive(Clone, Copy)]
pub(crate) enum Purpose {
    Run { credits: bool, streamed: bool },
    Report,
}

impl Purpose {
    fn run(out: &Outputs) -> Purpose {
        Purpose::Run {
            credits: out.credits.is_some(),
            streamed: matches!(out.format, Format::Json | Format::Csv),
        }
    }
}

/// A scorecard compiled and its run set up, before any data is read.
pub(crate) struct Prepared {
    pub(crate) file: PathBuf,
    pub(crate) text: String,
    pub(crate) model: Model,
    pub(crate) project: Project,
    pub(crate) options: engine::Options,
    /// Every file the run reads, which no output may replace.
    pub(crate) reads: Vec<Read>,
    /// The audience the run is for (`--audience`): `model` is the one it is shown.
    pub(crate) view: Option<scorecard::audience::View>,
}

/// Compiles `file` and sets up its run, printing what went wrong; the exit code when something did.
pub(crate) fn prepare(file: &Path, source: &DataArgs, purpose: Purpose) -> Result<Prepared, Exit> {
    let Some((compiled, text)) = compile(file) else {
        return Err(Exit::ScorecardErrors);
    };
    let Some(model) = compiled.model else {
        eprintln!(
            "{} error{}: nothing was evaluated",
            compiled.errors(),
            s(compiled.errors())
        );
        return Err(Exit::ScorecardErrors);
    };
    let model = assuming(
        (file, model, &text),
        source.scenario.as_deref(),
        &source.set,
    )?;
    let project = super::input::project_of(file, source.config.as_deref())?;
    check_bindings(&project, file, &model)?;
    let view = super::audience::view((file, &model), &project, source.audience.as_deref())?;
    let mut options = engine::Options {
        from: source.from.clone(),
        to: source.to.clone(),
        as_of: source.as_of,
        threads: source.threads,
        credits: matches!(purpose, Purpose::Run { credits: true, .. }),
        results_may_spill: matches!(purpose, Purpose::Run { streamed: true, .. }),
        lines: false,
        memory_limit: source.memory_limit.or(project.memory_limit),
        ..super::input::project_options(&project, file, source.data.clone())
    };
    let reads = write::run_reads(file, &project, &options, &model);
    let model = match &view {
        // Kept to its rows, and never spilled: its results are redacted once made.
        Some(v) => {
            options.rows = v.rows();
            options.segments_named = v.segments_named();
            options.results_may_spill = false;
            v.model.clone()
        }
        None => model,
    };
    Ok(Prepared {
        file: file.to_path_buf(),
        text,
        model,
        project,
        options,
        reads,
        view,
    })
}

/// The model checked again under `--scenario` and `--set`, or as it is when neither is given.
pub(crate) fn assuming(
    (file, model, text): (&Path, Model, &str),
    scenario: Option<&str>,
    set: &[String],
) -> Result<Model, Exit> {
    if scenario.is_none() && set.is_empty() {
        return Ok(model);
    }
    let assumed =
        scorecard::model::parameter::assume(&model.parameters, scenario, set).map_err(|e| {
            eprintln!("error[{}]: {}: {e}", e.code().as_str(), file.display());
            Exit::ScorecardErrors
        })?;
    checked_at((file, text), &assumed, "with the parameters' values given")
}

/// The scorecard `text` (read from `file`) checked with its parameters at `assumed`. A value can
/// be wrong where it is used (a weight below zero, a horizon of half a period): those errors are
/// the file's, printed at the place that uses the parameter, then `N errors {at}`.
pub(crate) fn checked_at(
    (file, text): (&Path, &str),
    assumed: &scorecard::model::parameter::Assumed,
    at: &str,
) -> Result<Model, Exit> {
    let compiled = scorecard::check::compile_assuming(text, assumed);
    if let Some(model) = compiled.model {
        return Ok(model);
    }
    let name = file.display().to_string();
    let errors: Vec<_> = compiled
        .diagnostics
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    let color = super::terminal::stderr_color();
    eprint!(
        "{}",
        scorecard::diagnostic::render(&name, text, &errors, color)
    );
    let n = errors.len();
    eprintln!("{n} error{} {at}: nothing was evaluated", s(n));
    Err(Exit::ScorecardErrors)
}

/// Evaluates a prepared run, printing what went wrong; the exit code when something did.
fn evaluate(
    run: Prepared,
    purpose: Purpose,
    deterministic: bool,
) -> Result<(Model, Evaluation), Exit> {
    let (progress, bar) = super::progress::start();
    let options = engine::Options {
        progress,
        ..run.options
    };
    let evaluated = match purpose {
        Purpose::Run { .. } => scorecard::evaluate(&run.model, &options),
        Purpose::Report => scorecard::evaluate_for_report(&run.model, &options),
    };
    drop(bar);
    let mut evaluation = evaluated.map_err(|e| {
        eprintln!("error[{}]: {e}", e.code().as_str());
        Exit::DataErrors
    })?;
    if let Some(v) = &run.view {
        v.redact(&mut evaluation)
            .map_err(|e| super::audience::refused(&e))?;
    }
    let read = SourceFile::new(&run.file.display().to_string(), &run.text);
    stamp(&mut evaluation.manifest, vec![read], deterministic);
    Ok((run.model, evaluation))
}

/// `--threads`: from 1 to `engine::MAX_THREADS`.
fn thread_count(text: &str) -> Result<usize, String> {
    let most = engine::MAX_THREADS;
    match text.parse::<usize>() {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}` is not a number of threads from 1 to {most}: one per core is the most that helps"
        )),
    }
}

/// `--memory-limit`: a size with a unit.
pub(crate) fn memory_size(text: &str) -> Result<usize, String> {
    scorecard::project::parse_size(text).ok_or_else(|| {
        format!("`{text}` is not a size: write a number with a unit, such as 512MiB or 4GiB")
    })
}

/// Refuses a project whose bindings name a dataset that neither this scorecard nor any other of
/// the project's scorecards declares: the binding was meant for a dataset that would otherwise
/// quietly read its sample.
fn check_bindings(project: &Project, file: &Path, model: &Model) -> Result<(), Exit> {
    match binding_errors(project, file, model) {
        0 => Ok(()),
        _ => Err(Exit::ScorecardErrors),
    }
}

/// For `check`: the mistakes of the project file the scorecard at `file` belongs to (unreadable,
/// invalid, or a binding no scorecard declares), printed; how many there are.
pub fn project_errors(file: &Path, model: &Model) -> usize {
    match Project::of(file) {
        Ok(project) => binding_errors(&project, file, model),
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code().as_str());
            1
        }
    }
}

/// Prints an error for each binding no scorecard of the project declares; how many.
pub fn binding_errors(project: &Project, file: &Path, model: &Model) -> usize {
    let errors = project.binding_errors(file, model);
    for e in &errors {
        eprintln!("error[{}]: {e}", e.code().as_str());
    }
    errors.len()
}

/// Each warning with its code, and where it applies when that is one period.
fn print_warnings(evaluation: &Evaluation) {
    for w in &evaluation.warnings {
        eprintln!("{}", report::table::warning_line(w));
    }
}

/// `scorecard run`: each scorecard named (folders searched), or else every scorecard the project
/// names. Several scorecards are each run in turn, even after one fails: a table or Markdown is
/// printed under each one's name, other formats go to a folder (`-o FOLDER`), one file each. No
/// scorecard's output may replace a file any of them reads.
pub fn run(paths: &[PathBuf], source: DataArgs, out: Outputs) -> Exit {
    let files = match scorecards_to_run(paths, source.config.as_deref()) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let purpose = Purpose::run(&out);
    if let [file] = files.as_slice() {
        let outputs = write::with_main(out.output, &[(out.credits, "--credits")]);
        return match prepare(file, &source, purpose) {
            Ok(Prepared {
                view: Some(view), ..
            }) if out.credits.is_some() => {
                let why = "`--credits` writes the whole scorecard's credit of each conversion and touch, which are source rows";
                super::audience::refused(&view.rows_refused(why))
            }
            Ok(run) => match write::guard(&outputs, &run.reads) {
                Ok(()) => run_one(run, &source, out),
                Err(code) => code,
            },
            Err(code) => code,
        };
    }
    if out.credits.is_some() {
        eprintln!("error: `--credits` writes one scorecard's credit table: run the scorecards one at a time");
        return Exit::DataErrors;
    }
    let folder = match (out.output, out.format) {
        (Some(folder), _) => Some(folder),
        (None, Format::Table | Format::Markdown) => None,
        (None, _) => {
            eprintln!(
                "error: {} scorecards are run: write their results to a folder with `-o FOLDER`, one file each",
                files.len()
            );
            return Exit::DataErrors;
        }
    };
    let targets = match folder.map(|f| targets(&files, f, out.format)).transpose() {
        Ok(t) => t,
        Err(e) => return write::failed(&e),
    };
    // Every scorecard is set up first, so that no output is written before all are checked
    // against every file any of them reads.
    let prepared: Vec<Result<Prepared, Exit>> =
        files.iter().map(|f| prepare(f, &source, purpose)).collect();
    let reads: Vec<Read> = prepared
        .iter()
        .flatten()
        .flat_map(|p| p.reads.iter().cloned())
        .collect();
    let outputs: Vec<Output> = targets
        .iter()
        .flatten()
        .map(|path| Output { path, option: "-o" })
        .collect();
    if let Err(code) = write::guard(&outputs, &reads) {
        return code;
    }
    let mut worst = Exit::Ok;
    for (i, (file, run)) in files.iter().zip(prepared).enumerate() {
        let target = targets.as_ref().map(|t| t[i].as_path());
        if target.is_none() {
            let heading = format!("── {} ──\n", file.display());
            if i > 0 {
                println!();
            }
            print!("{heading}");
        }
        let code = match run {
            Ok(run) => run_one(
                run,
                &source,
                Outputs {
                    output: target,
                    ..out
                },
            ),
            Err(code) => code,
        };
        if let Some(t) = target.filter(|_| code == Exit::Ok || code == Exit::Escalated) {
            eprintln!("wrote {}", t.display());
        }
        worst = worst.worse(code);
    }
    worst
}

/// The files to run: those named (folders searched), or else the scorecards of the project that
/// `--config` names or that the working folder is in.
fn scorecards_to_run(paths: &[PathBuf], config: Option<&Path>) -> Result<Vec<PathBuf>, Exit> {
    if !paths.is_empty() {
        let files = super::files::scorecards(paths).map_err(|e| {
            eprintln!("error: {e}");
            Exit::ScorecardErrors
        })?;
        if files.is_empty() {
            eprintln!("error: no .scorecard file in the folders given");
            return Err(Exit::ScorecardErrors);
        }
        return Ok(files);
    }
    let project = super::input::project_of(Path::new(scorecard::project::FILE), config)?;
    let Some(found) = &project.file else {
        eprintln!(
            "error: no scorecard to run: name a .scorecard file, or run in a project whose scorecard.toml lists them (`[project] scorecards = [\"*.scorecard\"]`)"
        );
        return Err(Exit::ScorecardErrors);
    };
    if project.scorecards.is_empty() {
        eprintln!(
            "error: {} names no scorecards: add `scorecards = [\"*.scorecard\"]` under [project], or name a .scorecard file",
            found.display()
        );
        return Err(Exit::ScorecardErrors);
    }
    Ok(project.scorecards.clone())
}

/// One output file per scorecard in `folder`, named after the scorecard; two scorecards of the
/// same name would overwrite each other, so they are refused.
fn targets(files: &[PathBuf], folder: &Path, format: Format) -> Result<Vec<PathBuf>, OutputError> {
    let extension = match format {
        Format::Table => "txt",
        Format::Json => "json",
        Format::Csv => "csv",
        Format::Markdown => "md",
        Format::Xlsx => "xlsx",
    };
    let mut out: Vec<PathBuf> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let stem = f.file_stem().unwrap_or_default().to_string_lossy();
        let target = folder.join(format!("{stem}.{extension}"));
        if let Some(j) = out.iter().position(|t| *t == target) {
            return Err(OutputError::Twice {
                path: target.display().to_string(),
                first: format!("the results of `{}`", files[j].display()),
                second: format!(
                    "of `{}`; rename one, or run them one at a time",
                    files[i].display()
                ),
            });
        }
        out.push(target);
    }
    if std::fs::symlink_metadata(folder).is_ok() && !folder.is_dir() {
        return Err(OutputError::Unwritable {
            path: folder.display().to_string(),
            reason: "it is not a folder, and the results of several scorecards go into one".into(),
            help: "name a folder with `-o`, or run the scorecards one at a time".into(),
        });
    }
    std::fs::create_dir_all(folder).map_err(|e| OutputError::write(folder, e))?;
    Ok(out)
}

/// Evaluates one prepared scorecard and writes its results (and credit table), renamed into
/// place together once both are complete.
fn run_one(run: Prepared, source: &DataArgs, out: Outputs) -> Exit {
    if out.format == Format::Xlsx && out.output.is_none() && std::io::stdout().is_terminal() {
        eprintln!(
            "error: an Excel workbook is not text: write it to a file with `-o results.xlsx`"
        );
        return Exit::DataErrors;
    }
    let (_, evaluation) = match evaluate(run, Purpose::run(&out), source.deterministic) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let bytes = match out.format {
        Format::Table => {
            report::table(&evaluation, out.output.is_none() && stdout_color()).into_bytes()
        }
        // Written a row at a time below.
        Format::Json | Format::Csv => Vec::new(),
        Format::Markdown => report::markdown(&evaluation).into_bytes(),
        Format::Xlsx => match report::xlsx(&evaluation) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::DataErrors;
            }
        },
    };
    if out.format != Format::Table || out.output.is_some() {
        print_warnings(&evaluation);
    }
    let mut batch = Batch::new();
    if let Some(path) = out.credits {
        let credits = report::credits(&evaluation);
        if let Err(code) = write::stage(&mut batch, path, credits.as_bytes()) {
            return code;
        }
    }
    let written = match out.format {
        Format::Json => {
            write::finish_streamed(batch, out.output, |w| report::write_json(&evaluation, w))
        }
        Format::Csv => {
            write::finish_streamed(batch, out.output, |w| report::write_csv(&evaluation, w))
        }
        _ => write::finish(batch, out.output, &bytes),
    };
    if written != Exit::Ok {
        return written;
    }
    let failed = evaluation.checks.iter().filter(|c| !c.passed).count();
    if out.fail_on_checks && failed > 0 {
        eprintln!(
            "checks: {failed} dataset check{} failed (--fail-on checks)",
            if failed == 1 { "" } else { "s" }
        );
        return Exit::Escalated;
    }
    let open = scorecard::rules::escalation::open_severity(&evaluation.escalations);
    match (out.fail_on, open) {
        (Some(bar), Some(worst)) if worst >= bar => {
            eprintln!(
                "escalation: a {} escalation is open in the last period (--fail-on {})",
                worst.name(),
                bar.name()
            );
            Exit::Escalated
        }
        _ => Exit::Ok,
    }
}

/// `scorecard report`: the self-contained HTML page.
pub fn report(file: &Path, source: DataArgs, output: Option<&Path>) -> Exit {
    let run = match prepare(file, &source, Purpose::Report) {
        Ok(run) => run,
        Err(code) => return code,
    };
    if let Err(code) = write::guard(&write::with_main(output, &[]), &run.reads) {
        return code;
    }
    // The figures that differ from what was published, when any period was. A ledger that
    // cannot be read leaves the section out, saying why: the report is still wanted.
    // An audience's report has none: the ledger's figures are the whole scorecard's.
    let restated = match super::close::find(&run, file, false) {
        _ if run.view.is_some() => None,
        Ok(found) => found,
        Err(e) => {
            eprintln!(
                "warning[{}]: the report has no restatements section: {e}",
                e.code().as_str()
            );
            None
        }
    };
    let (model, evaluation) = match evaluate(run, Purpose::Report, source.deterministic) {
        Ok(done) => done,
        Err(code) => return code,
    };
    print_warnings(&evaluation);
    let page = report::html::html_with(&evaluation, &model, restated.as_ref());
    let written = write::emit_bytes(output, page.as_bytes());
    if written == Exit::Ok {
        if let Some(path) = output {
            eprintln!("wrote {}", path.display());
        }
    }
    written
}
