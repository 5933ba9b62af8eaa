//! Owns `scorecard test`: runs the `test` declarations of each file, prints expected against actual
//! for every failure, optionally writes JUnit XML, and names what no test exercises.

use super::exit::Exit;
use super::terminal::{stderr_color, stdout_color};
use super::write;
use scorecard::report::testing::{self, FileTests};
use scorecard::rules::testing::TestRun;
use scorecard::{diagnostic, Compiled};
use std::path::{Path, PathBuf};

pub fn run(paths: &[PathBuf], junit: Option<&Path>) -> Exit {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let files = match super::files::scorecards(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::DataErrors;
        }
    };
    if let Err(code) = write::guard(
        &write::named(&[(junit, "--junit")]),
        &write::scorecards_and_projects(&files),
    ) {
        return code;
    }
    let mut broken = 0;
    let mut runs: Vec<(String, Vec<TestRun>)> = Vec::new();
    let mut models = Vec::new();
    for f in &files {
        let name = f.display().to_string();
        let Some(source) = super::input::read_scorecard(f) else {
            broken += 1;
            continue;
        };
        let compiled: Compiled = scorecard::compile(&source);
        if !compiled.diagnostics.is_empty() {
            eprint!(
                "{}",
                diagnostic::render(&name, &source, &compiled.diagnostics, stderr_color())
            );
        }
        let Some(model) = compiled.model else {
            broken += 1;
            continue;
        };
        // A test reads its own rows, but the datasets' files are the project's: never replaced.
        if let (Some(_), Ok((_, options))) = (junit, super::input::engine_options(f, None)) {
            let outputs = write::named(&[(junit, "--junit")]);
            if let Err(code) = write::guard(&outputs, &options.data_files(&model)) {
                return code;
            }
        }
        runs.push((name, scorecard::rules::testing::run(&model)));
        models.push(model);
    }
    let shown: Vec<FileTests> = runs
        .iter()
        .map(|(path, tests)| FileTests { path, tests })
        .collect();
    let refs: Vec<&_> = models.iter().collect();
    let (kpis, escalations) = scorecard::rules::testing::unexercised(&refs);
    print!(
        "{}",
        testing::text(&shown, (&kpis, &escalations), stdout_color())
    );
    if let Some(path) = junit {
        let xml = testing::junit(&shown, &scorecard::rules::manifest::now());
        if write::emit(Some(path), &xml) != Exit::Ok {
            return Exit::DataErrors;
        }
    }
    let (_, failed, errors) = testing::counts(&shown);
    if broken > 0 || errors > 0 {
        if broken > 0 {
            eprintln!(
                "{broken} file{} could not be tested: fix the errors above",
                super::terminal::s(broken)
            );
        }
        Exit::DataErrors
    } else if failed > 0 {
        Exit::ScorecardErrors
    } else {
        Exit::Ok
    }
}
