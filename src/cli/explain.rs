//! Owns `scorecard explain`: one KPI value taken apart, down to its rows.

use super::args::DocumentOutput;
use super::exit::Exit;
use super::input::{compile, engine_options, stamp};
use super::write;
use scorecard::engine;
use scorecard::output::Batch;
use scorecard::report;
use scorecard::rules::manifest::SourceFile;
use std::path::{Path, PathBuf};

/// The source rows behind an explanation: how many to show, and a CSV file for all of them.
pub(crate) struct Rows<'a> {
    pub(crate) out: Option<&'a Path>,
    pub(crate) shown: usize,
}

pub(crate) fn explain(
    file: &Path,
    (data, as_of): (Option<PathBuf>, Option<chrono::NaiveDate>),
    request: &scorecard::ExplainRequest,
    (rows, audience, (scenario, set)): (Rows, Option<&str>, (Option<&str>, &[String])),
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
    let model = match super::run::assuming((file, model, &source), scenario, set) {
        Ok(model) => model,
        Err(code) => return code,
    };
    let (options, view) = match engine_options(file, data) {
        Ok((project, _)) if super::run::binding_errors(&project, file, &model) > 0 => {
            return Exit::ScorecardErrors;
        }
        Ok((project, o)) => {
            let reads = write::run_reads(file, &project, &o, &model);
            if let Err(code) = write::guard(&outputs, &reads) {
                return code;
            }
            let view = match super::audience::view((file, &model), &project, audience) {
                Ok(v) => v,
                Err(code) => return code,
            };
            (engine::Options { as_of, ..o }, view)
        }
        Err(code) => return code,
    };
    // For an audience: the model it is shown, its rows, and no rows at all where it may not see them.
    let mut request = request.clone();
    let (model, options, rows_shown) = match &view {
        None => (model, options, true),
        Some(v) => {
            let rows_shown = match v.explainable(&model, &request.kpi, &request.segment) {
                Ok(shown) => shown,
                Err(e) => return super::audience::refused(&e),
            };
            if !rows_shown && rows.out.is_some() {
                let why = "`--rows-out` writes the rows behind the value";
                return super::audience::refused(&v.rows_refused(why));
            }
            if !rows_shown {
                request.rows = Some(0);
            }
            let options = engine::Options {
                rows: v.rows(),
                segments_named: v.segments_named(),
                ..options
            };
            (v.model.clone(), options, rows_shown)
        }
    };
    let request = &request;
    let mut e = match scorecard::explain(&model, &options, request) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code().as_str());
            return Exit::DataErrors;
        }
    };
    let read = SourceFile::new(&file.display().to_string(), &source);
    stamp(&mut e.manifest, vec![read], out.deterministic);
    if let Some(v) = &view {
        e.manifest.audience = Some(v.shown());
        e.failed_checks
            .retain(|c| v.shows_check(&c.dataset, &c.check));
        if !v.shows_check_lines() {
            for c in &mut e.failed_checks {
                c.lines.clear();
            }
        }
        if !rows_shown {
            for a in &mut e.aggregates {
                a.rows.clear();
            }
        }
    }
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
