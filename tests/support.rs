//! Helpers shared by the integration tests: compiling scorecard text, evaluating it against files
//! written to a temporary folder, and looking up one result.

use scorecard::engine::Options;
use scorecard::rules::{Evaluation, Row};
use std::path::Path;

/// Compiles a scorecard that must be free of errors.
pub fn model(source: &str) -> scorecard::model::Model {
    let compiled = scorecard::compile(source);
    assert!(
        compiled.errors() == 0,
        "unexpected diagnostics:\n{}",
        scorecard::diagnostic::render_plain("test.scorecard", source, &compiled.diagnostics)
    );
    compiled.model.expect("a model when there are no errors")
}

pub fn options(dir: &Path) -> Options {
    Options {
        threads: Some(2),
        ..Options::new(dir.to_path_buf())
    }
}

/// Writes `files` (name, contents) into a fresh temporary folder.
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write a fixture");
    }
    dir
}

/// Evaluates `source` against `files`.
pub fn run(source: &str, files: &[(&str, &str)]) -> Evaluation {
    let dir = folder(files);
    scorecard::evaluate(&model(source), &options(dir.path())).expect("the run succeeds")
}

/// The row of `kpi` in `period` for a segment given as `"region=EMEA"`, or `"total"`.
pub fn row<'e>(e: &'e Evaluation, kpi: &str, period: &str, segment: &str) -> &'e Row {
    let k = e
        .kpis
        .iter()
        .find(|k| k.name == kpi)
        .unwrap_or_else(|| panic!("no kpi {kpi}"));
    k.results
        .held()
        .iter()
        .find(|r| r.period == period && scorecard::report::segment_label(&r.segment) == segment)
        .unwrap_or_else(|| panic!("no row for {kpi} {period} {segment}"))
}

/// The value of `kpi` in `period` for `segment`, as text (`-` for no value).
pub fn value(e: &Evaluation, kpi: &str, period: &str, segment: &str) -> String {
    cells(row(e, kpi, period, segment)).0
}

/// The codes of a compiled file's diagnostics, in order.
pub fn codes(compiled: &scorecard::Compiled) -> Vec<&'static str> {
    compiled
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

/// `value`, `target` and `status` of a row as text (`-` for no value).
pub fn cells(r: &Row) -> (String, String, &'static str) {
    let d =
        |v: Option<rust_decimal::Decimal>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    let status = match r.status {
        scorecard::rules::Status::Green => "green",
        scorecard::rules::Status::Amber => "amber",
        scorecard::rules::Status::Red => "red",
        scorecard::rules::Status::NoValue => "no_value",
        scorecard::rules::Status::Unrated => "unrated",
        scorecard::rules::Status::InsufficientData => "insufficient_data",
        scorecard::rules::Status::Suppressed => "suppressed",
    };
    (d(r.value), d(r.target), status)
}

/// Every example scorecard under `scorecards/`, as (folder name, path), sorted.
pub fn examples() -> Vec<(String, std::path::PathBuf)> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir("scorecards")
        .expect("scorecards/")
        .filter_map(Result::ok)
        .filter(|d| d.path().is_dir())
    {
        for file in std::fs::read_dir(dir.path())
            .expect("an example folder")
            .filter_map(Result::ok)
        {
            let path = file.path();
            if path.extension().is_some_and(|x| x == "scorecard") {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("example")
                    .to_string();
                found.push((stem, path));
            }
        }
    }
    found.sort();
    assert!(!found.is_empty(), "no examples found");
    found
}

/// A fresh temporary folder holding one Parquet file `name` with the rows of `batch`.
pub fn parquet_folder(
    name: &str,
    batch: &datafusion::arrow::record_batch::RecordBatch,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = std::fs::File::create(dir.path().join(name)).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
    dir
}

/// Runs the binary in `cwd`: its exit code, standard output and standard error.
pub fn scorecard_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
