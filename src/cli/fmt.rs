//! Owns `scorecard fmt`: rewrites files in the canonical layout, or with `--check` lists the files
//! that would change.

use super::exit::Exit;
use super::terminal::stderr_color;
use super::write;
use scorecard::diagnostic;
use scorecard::layout::{self, FormatError};
use scorecard::output::Batch;
use std::path::PathBuf;

pub fn run(paths: &[PathBuf], check: bool) -> Exit {
    let files = match super::files::scorecards(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::DataErrors;
        }
    };
    let (mut changed, mut syntax, mut failed) = (0, 0, 0);
    // The files formatted, renamed into place together at the end (a link is written through,
    // and each file keeps its permissions).
    let (mut batch, mut formatted_names) = (Batch::new(), Vec::new());
    for f in &files {
        let name = f.display().to_string();
        let Some(source) = super::input::read_scorecard(f) else {
            failed += 1;
            continue;
        };
        match layout::format(&source) {
            Ok(formatted) if formatted == source => {}
            Ok(formatted) => {
                changed += 1;
                if check {
                    println!("would reformat {name}");
                } else if write::stage(&mut batch, f, formatted.as_bytes()).is_err() {
                    failed += 1;
                } else {
                    formatted_names.push(name);
                }
            }
            Err(FormatError::Syntax(diagnostics)) => {
                eprint!(
                    "{}",
                    diagnostic::render(&name, &source, &diagnostics, stderr_color())
                );
                syntax += 1;
            }
            Err(e @ FormatError::WouldChange) => {
                eprintln!("error: `{name}`: {e}");
                failed += 1;
            }
        }
    }
    if write::commit(batch) != Exit::Ok {
        failed += formatted_names.len();
    } else {
        for name in formatted_names {
            println!("formatted {name}");
        }
    }
    if check && changed > 0 {
        eprintln!(
            "{changed} of {} file{} would be reformatted: run `scorecard fmt` on {}",
            files.len(),
            super::terminal::s(files.len()),
            if changed == 1 { "it" } else { "them" }
        );
    }
    if failed > 0 {
        Exit::DataErrors
    } else if syntax > 0 || (check && changed > 0) {
        Exit::ScorecardErrors
    } else {
        Exit::Ok
    }
}
