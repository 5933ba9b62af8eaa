//! Owns `scorecard check`: every file's problems, as text for a terminal or one SARIF log.

use super::exit::Exit;
use super::input::compile;
use super::terminal::s;
use super::write;
use scorecard::{diagnostic, report};
use std::path::{Path, PathBuf};

pub(crate) fn check(files: &[PathBuf]) -> Exit {
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
                    .map_or(0, |m| super::run::project_errors(f, m));
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
pub(crate) fn sarif(files: &[PathBuf], output: Option<&Path>) -> Exit {
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
    let checked: Vec<diagnostic::sarif::FileDiagnostics> = read
        .iter()
        .map(
            |(path, source, diagnostics)| diagnostic::sarif::FileDiagnostics {
                path,
                source: source.as_deref(),
                diagnostics,
            },
        )
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
