//! Owns the `scorecard` command line: its grammar (`args.rs`), one module per command, and what the
//! commands share (reading scorecards and projects in `input.rs`, the one writer of outputs in
//! `write.rs`, exit codes in `exit.rs`). Each command turns its arguments into library calls,
//! prints, and returns an `Exit`; nothing else in the program prints.

mod args;
mod audience;
mod check;
pub(crate) mod close;
pub mod cluster;
mod diff;
mod exit;
mod explain;
mod files;
mod fmt;
mod generate;
mod graph;
mod input;
mod live;
mod lsp;
mod progress;
mod run;
mod sensitivity;
mod serve;
mod sql;
mod terminal;
mod test;
mod write;

use args::{CheckFormat, Cli, Command, DocumentOutput, FailOn, LedgerAction};
use clap::Parser;
use std::process::ExitCode;

/// The exit code of a command stopped by SIGINT, SIGTERM or SIGHUP (128 + SIGINT's number).
const INTERRUPTED: i32 = 130;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The servers keep their own signal handling; every other command may be staging outputs.
    if !matches!(cli.command, Command::Lsp { .. } | Command::Cluster { .. }) {
        remove_temporary_files_on_signal();
    }
    ExitCode::from(match cli.command {
        Command::Check {
            files,
            format: CheckFormat::Text,
            ..
        } => check::check(&files),
        Command::Check { files, output, .. } => check::sarif(&files, output.as_deref()),
        Command::Fmt { files, check } => fmt::run(&files, check),
        Command::Lsp { no_figures, keep } => {
            lsp::serve(!no_figures, keep.unwrap_or(live::DEFAULT_KEEP))
        }
        Command::Test { files, junit } => test::run(&files, junit.as_deref()),
        Command::Generate {
            kind,
            rows,
            out,
            format,
            seed,
            force,
        } => generate::generate(kind, rows, (&out, force), format, seed),
        Command::Graph {
            file,
            format,
            output,
            audience,
        } => graph::graph(&file, format, output.as_deref(), audience.as_deref()),
        Command::Cluster { role } => cluster::run(role),
        Command::Sql {
            file,
            dialect,
            tables,
            output,
        } => sql::run(&file, dialect, &tables, output.as_deref()),
        Command::Diff {
            old,
            new,
            data,
            out,
            audience,
        } => diff::diff((&old, &new), data.as_deref(), &out, audience.as_deref()),
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
            audience,
            scenario,
            set,
        } => {
            let request = scorecard::ExplainRequest {
                kpi,
                period,
                segment,
                rows: if rows_out.is_some() { None } else { Some(rows) },
            };
            let rows = explain::Rows {
                out: rows_out.as_deref(),
                shown: rows,
            };
            explain::explain(
                &file,
                (data, as_of),
                &request,
                (rows, audience.as_deref(), (scenario.as_deref(), &set)),
                &out,
            )
        }
        Command::Run {
            files,
            source,
            format,
            output,
            credits,
            fail_on,
        } => {
            let outputs = run::Outputs {
                format,
                output: output.as_deref(),
                credits: credits.as_deref(),
                fail_on: fail_on.iter().filter_map(|f| f.severity()).min(),
                fail_on_checks: fail_on.iter().any(|f| matches!(f, FailOn::Checks)),
            };
            run::run(&files, source, outputs)
        }
        Command::Report {
            file,
            source,
            serve: true,
            port,
            keep,
            ..
        } => serve::serve(&file, &source, port, keep.unwrap_or(live::DEFAULT_KEEP)),
        Command::Report {
            file,
            source,
            output,
            ..
        } => run::report(&file, source, output.as_deref()),
        Command::Sensitivity {
            file,
            kpi,
            vary,
            tornado,
            period,
            source,
            format,
            output,
        } => sensitivity::sensitivity(
            &file,
            sensitivity::Asked {
                kpi,
                vary,
                tornado,
                period,
            },
            &source,
            (format, output.as_deref()),
        ),
        Command::Publish {
            file,
            period,
            approved_by,
            restate,
            allow_partial,
            source,
        } => close::publish(
            &file,
            &source,
            &period,
            &approved_by,
            (restate, allow_partial),
        ),
        Command::Restatements {
            file,
            source,
            format,
            output,
        } => {
            let out = DocumentOutput::of(format, output, &source);
            close::restatements(&file, &source, &out)
        }
        Command::Ledger {
            action: LedgerAction::Verify { path, head },
        } => close::verify(path.as_deref(), head.as_deref()),
        Command::Notify {
            file,
            source,
            dry_run,
            rewind,
            format,
            output,
        } => close::notify(
            &file,
            &source,
            (dry_run, rewind),
            &DocumentOutput::of(format, output, &source),
        ),
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
