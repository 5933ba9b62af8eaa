//! Scoring functions in Rhai: a custom rule scores as written, and hostile scripts stop with an error
//! (exit code 2 from the command line) in bounded time instead of hanging, recursing or eating memory.

use std::time::{Duration, Instant};

/// A scorecard whose KPI `n` (the sum of column n) is scored by `fn score(value, target)`.
fn scorecard(body: &str) -> String {
    format!(
        r#"
scorecard t {{}}
function score "Custom score" {{
  rhai: """
{body}
"""
}}
dataset d {{ source: "d.csv"  time: day  columns: {{ day: date  n: integer }} }}
kpi n {{ value: sum(d.n)  target: 8  scoring: score }}
"#
    )
}

fn evaluate(body: &str) -> Result<scorecard::rules::Evaluation, String> {
    let dir = crate::support::folder(&[("d.csv", "day,n\n2026-01-05,6\n")]);
    let model = crate::support::model(&scorecard(body));
    scorecard::evaluate(&model, &crate::support::options(dir.path())).map_err(|e| e.to_string())
}

#[test]
fn a_custom_rule_scores_as_written() {
    // Half marks below the target, full above: value 6 against target 8 scores 10 × 6 / 8 / 2 = 3.75.
    let e = evaluate("fn score(value, target) { if value >= target { 10 } else { 10.0 * value / target / 2.0 } }")
        .expect("runs");
    assert_eq!(
        crate::support::row(&e, "n", "2026-01", "total")
            .score
            .map(|s| s.to_string()),
        Some("3.75".into())
    );
}

#[test]
fn hostile_scripts_stop_with_an_error() {
    let cases = [
        (
            "an endless loop",
            "fn score(value, target) { loop { } }",
            "operations",
        ),
        // Rhai's call-depth limit (its own guard, not the process's stack), said in words.
        (
            "deep recursion",
            "fn score(value, target) { score(value, target) }",
            "more than 32 deep",
        ),
        (
            "a huge string",
            "fn score(value, target) { let s = \"x\"; loop { s += s; } }",
            "string",
        ),
        (
            "a huge array",
            "fn score(value, target) { let a = []; loop { a.push(1); } }",
            "array",
        ),
        (
            "a busy comparator (Rhai counts each call of it afresh)",
            "fn score(value, target) { let a = []; for i in 0..1000 { a.push(i); } a.sort(|x, y| { let n = 0; while n < 5000 { n += 1; } y - x }); 5 }",
            "operations",
        ),
        (
            "a map of long keys, copied (keys count towards no size limit)",
            "fn score(value, target) { let s = \"\"; s.pad(9990, \"x\"); let m = #{}; for i in 0..9999 { m[s + i] = 1; } let n = m; n.x = 1; let o = m; o.x = 2; 5 }",
            "64 mib",
        ),
        (
            "an undefined tangent (the decimal library panicked)",
            "fn score(value, target) { tan(PI() / 2) }",
            "undefined",
        ),
        (
            "a result out of scale",
            "fn score(value, target) { 11 }",
            "outside the scores 0 to 10",
        ),
        (
            "a result that is no number",
            "fn score(value, target) { \"ten\" }",
            "not a number",
        ),
    ];
    for (what, body, expected) in cases {
        let start = Instant::now();
        let error = evaluate(body)
            .err()
            .unwrap_or_else(|| panic!("{what} should fail"));
        assert!(error.to_lowercase().contains(expected), "{what}: {error}");
        assert!(error.contains("kpi `n` in 2026-01"), "{what}: {error}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn scripts_cannot_reach_files_or_eval() {
    // No modules, so no `import` of a file; `eval` is disabled. Both are refused at check time.
    for body in [
        "import \"secrets\" as s; fn score(value, target) { 10 }",
        "fn score(value, target) { eval(\"10\") }",
    ] {
        let compiled = scorecard::compile(&scorecard(body));
        let codes = crate::support::codes(&compiled);
        assert!(
            codes.contains(&"scorecard::check::script"),
            "{body}: {codes:?}"
        );
    }
}
