//! Owns `scorecard run` and `scorecard report`: evaluate one scorecard on its data, then write the
//! result as a terminal table, JSON, CSV, Markdown, an Excel workbook, or the HTML report.

use crate::{compile, emit_bytes, s, stamp, stdout_color, write_atomically};
use crate::{DATA_ERRORS, ESCALATED, OK, SCORECARD_ERRORS};
use clap::ValueEnum;
use scorecard::check::model::{Model, Severity};
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
#[derive(clap::Args)]
pub struct Source {
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
    #[arg(long, value_parser = crate::parse_day)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Worker threads for the query engine [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Leave the evaluation time out of the manifest (`evaluated_at: null`), so that the same
    /// inputs give byte-identical output whenever they run.
    #[arg(long)]
    pub deterministic: bool,
}

/// What `run` writes, and where.
pub struct Outputs<'a> {
    pub format: Format,
    pub output: Option<&'a Path>,
    pub credits: Option<&'a Path>,
    pub fail_on: Option<Severity>,
}

/// What an evaluation is for: `run` keeps credit rows when asked; a report adds each attribution's
/// credit by channel.
#[derive(Clone, Copy)]
enum Purpose {
    Run { credits: bool },
    Report,
}

/// Compiles and evaluates `file`, printing what went wrong; the exit code when something did.
fn evaluate(file: &Path, source: Source, purpose: Purpose) -> Result<(Model, Evaluation), u8> {
    let Some((compiled, text)) = compile(file) else {
        return Err(SCORECARD_ERRORS);
    };
    let Some(model) = compiled.model else {
        eprintln!(
            "{} error{}: nothing was evaluated",
            compiled.errors(),
            s(compiled.errors())
        );
        return Err(SCORECARD_ERRORS);
    };
    let options = engine::Options {
        from: source.from,
        to: source.to,
        as_of: source.as_of,
        threads: source.threads,
        credits: matches!(purpose, Purpose::Run { credits: true }),
        lines: false,
        ..crate::engine_options(file, source.data)?
    };
    let evaluated = match purpose {
        Purpose::Run { .. } => scorecard::evaluate(&model, &options),
        Purpose::Report => scorecard::evaluate_for_report(&model, &options),
    };
    let mut evaluation = evaluated.map_err(|e| {
        eprintln!("error[{}]: {e}", e.code().as_str());
        DATA_ERRORS
    })?;
    let read = SourceFile::new(&file.display().to_string(), &text);
    stamp(&mut evaluation.manifest, vec![read], source.deterministic);
    Ok((model, evaluation))
}

fn print_warnings(evaluation: &Evaluation) {
    for w in &evaluation.warnings {
        eprintln!(
            "warning: {} ({}, {})",
            w.message,
            w.period,
            report::segment_label(&w.segment)
        );
    }
}

pub fn run(file: &Path, source: Source, out: Outputs) -> u8 {
    if out.format == Format::Xlsx && out.output.is_none() && std::io::stdout().is_terminal() {
        eprintln!(
            "error: an Excel workbook is not text: write it to a file with `-o results.xlsx`"
        );
        return DATA_ERRORS;
    }
    let purpose = Purpose::Run {
        credits: out.credits.is_some(),
    };
    let (_, evaluation) = match evaluate(file, source, purpose) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let bytes = match out.format {
        Format::Table => {
            report::table(&evaluation, out.output.is_none() && stdout_color()).into_bytes()
        }
        Format::Json => report::json(&evaluation).into_bytes(),
        Format::Csv => report::csv(&evaluation).into_bytes(),
        Format::Markdown => report::markdown(&evaluation).into_bytes(),
        Format::Xlsx => match report::xlsx(&evaluation) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return DATA_ERRORS;
            }
        },
    };
    if out.format != Format::Table || out.output.is_some() {
        print_warnings(&evaluation);
    }
    if let Some(path) = out.credits {
        if let Err(e) = write_atomically(path, report::credits(&evaluation).as_bytes()) {
            eprintln!(
                "error[{}]: cannot write the credit table: {e}",
                scorecard::diagnostic::Code::WriteOutput.as_str()
            );
            return DATA_ERRORS;
        }
    }
    let written = emit_bytes(out.output, &bytes);
    if written != OK {
        return written;
    }
    let open = scorecard::rules::escalation::open_severity(&evaluation.escalations);
    match (out.fail_on, open) {
        (Some(bar), Some(worst)) if worst >= bar => {
            eprintln!(
                "escalation: a {} escalation is open in the last period (--fail-on {})",
                worst.name(),
                bar.name()
            );
            ESCALATED
        }
        _ => OK,
    }
}

/// `scorecard report`: the self-contained HTML page.
pub fn report(file: &Path, source: Source, output: Option<&Path>) -> u8 {
    let (model, evaluation) = match evaluate(file, source, Purpose::Report) {
        Ok(done) => done,
        Err(code) => return code,
    };
    print_warnings(&evaluation);
    let page = report::html::html(&evaluation, &model);
    let written = emit_bytes(output, page.as_bytes());
    if written == OK {
        if let Some(path) = output {
            eprintln!("wrote {}", path.display());
        }
    }
    written
}
