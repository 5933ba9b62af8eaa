//! Owns how `scorecard test` results read: text for a terminal, with expected against actual for
//! every expectation that failed, and JUnit XML for CI systems.

use super::escape;
use scorecard_rules::testing::{Outcome, TestRun};
use std::fmt::Write;

/// The tests run from one file.
pub struct FileTests<'a> {
    pub path: &'a str,
    pub tests: &'a [TestRun],
}

/// Counts of tests passed, failed and in error.
pub fn counts(files: &[FileTests]) -> (usize, usize, usize) {
    let all = files.iter().flat_map(|f| f.tests);
    let (mut passed, mut failed, mut errors) = (0, 0, 0);
    for t in all {
        match t.outcome {
            Outcome::Passed => passed += 1,
            Outcome::Failed(_) => failed += 1,
            Outcome::Error(_) => errors += 1,
        }
    }
    (passed, failed, errors)
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn title(t: &TestRun) -> String {
    match &t.label {
        Some(l) => format!("{} \"{l}\"", t.name),
        None => t.name.clone(),
    }
}

/// Each file's tests with their outcome; under a failure, each expectation that did not hold with
/// `-` expected and `+` actual; then the totals and what no test exercises.
pub fn text(files: &[FileTests], unexercised: (&[String], &[String]), color: bool) -> String {
    let mut out = String::new();
    for f in files {
        let _ = writeln!(out, "{}", f.path);
        for t in f.tests {
            match &t.outcome {
                Outcome::Passed => {
                    let _ = writeln!(out, "  {}  {}", paint("ok   ", "32", color), title(t));
                }
                Outcome::Failed(failures) => {
                    let _ = writeln!(out, "  {}  {}", paint("FAIL ", "31;1", color), title(t));
                    for x in failures {
                        let _ = writeln!(
                            out,
                            "        {}:{}:{}  expect: {}",
                            f.path, x.line, x.column, x.text
                        );
                        let _ = writeln!(
                            out,
                            "{}",
                            paint(&format!("          - expected {}", x.expected), "31", color)
                        );
                        let _ = writeln!(
                            out,
                            "{}",
                            paint(&format!("          + actual   {}", x.actual), "32", color)
                        );
                    }
                }
                Outcome::Error(message) => {
                    let _ = writeln!(out, "  {}  {}", paint("ERROR", "31;1", color), title(t));
                    let _ = writeln!(out, "        {}:{}: {message}", f.path, t.line);
                }
            }
        }
    }
    let (passed, failed, errors) = counts(files);
    let _ = writeln!(
        out,
        "\n{} test{}: {passed} passed, {failed} failed, {errors} could not run",
        passed + failed + errors,
        if passed + failed + errors == 1 {
            ""
        } else {
            "s"
        }
    );
    let (kpis, escalations) = unexercised;
    if !kpis.is_empty() {
        let _ = writeln!(out, "KPIs no test expects anything of: {}", kpis.join(", "));
    }
    if !escalations.is_empty() {
        let _ = writeln!(
            out,
            "escalations no test expects raised or not: {}",
            escalations.join(", ")
        );
    }
    out
}

/// JUnit XML as the Ant/Jenkins schema (JUnit.xsd) requires it: one `testsuite` per file, one
/// `testcase` per test, a `failure` listing the expectations that did not hold, an `error` for a
/// test that could not run.
pub fn junit(files: &[FileTests], timestamp: &str) -> String {
    let (passed, failed, errors) = counts(files);
    let total_time: f64 = files.iter().flat_map(|f| f.tests).map(|t| t.seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"scorecard\" tests=\"{}\" failures=\"{failed}\" errors=\"{errors}\" time=\"{total_time:.3}\">",
        passed + failed + errors
    );
    for (id, f) in files.iter().enumerate() {
        let (p, fl, er) = counts(std::slice::from_ref(f));
        let time: f64 = f.tests.iter().map(|t| t.seconds).sum();
        let suite = std::path::Path::new(f.path)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" package=\"{}\" id=\"{id}\" tests=\"{}\" failures=\"{fl}\" errors=\"{er}\" skipped=\"0\" time=\"{time:.3}\" timestamp=\"{timestamp}\" hostname=\"localhost\">",
            escape(f.path),
            escape(&suite),
            p + fl + er
        );
        out.push_str("    <properties/>\n");
        for t in f.tests {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&title(t)),
                escape(&suite),
                t.seconds
            );
            match &t.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Failed(failures) => {
                    let mut body = String::new();
                    for x in failures {
                        let _ = writeln!(
                            body,
                            "{}:{}:{}  expect: {}\n  - expected {}\n  + actual   {}",
                            f.path, x.line, x.column, x.text, x.expected, x.actual
                        );
                    }
                    let n = failures.len();
                    let _ = write!(
                        out,
                        ">\n      <failure type=\"expectation\" message=\"{n} expectation{} did not hold\">{}</failure>\n    </testcase>\n",
                        if n == 1 { "" } else { "s" },
                        escape(&body)
                    );
                }
                Outcome::Error(message) => {
                    let _ = write!(
                        out,
                        ">\n      <error type=\"could_not_run\" message=\"{}\">{}</error>\n    </testcase>\n",
                        escape(message),
                        escape(message)
                    );
                }
            }
        }
        out.push_str("    <system-out/>\n    <system-err/>\n  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
