//! Every file in tests/check/ is a scorecard with mistakes. Its first line says which diagnostic
//! codes it must produce (`// expect: code, code`); the snapshot shows the source above the rendered
//! report, so a reviewer sees what a user would see.

use std::path::Path;

#[test]
fn each_bad_scorecard_reports_its_codes() {
    let mut files: Vec<_> = std::fs::read_dir("tests/check")
        .expect("tests/check")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "scorecard"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus shrank");
    for path in files {
        let source = std::fs::read_to_string(&path).expect("read");
        let expected: Vec<&str> = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect: "))
            .map(|l| l.split(", ").collect())
            .unwrap_or_default();
        assert!(
            !expected.is_empty(),
            "{} has no `// expect:` line",
            path.display()
        );
        let compiled = scorecard::compile(&source);
        let codes = crate::support::codes(&compiled);
        for code in &expected {
            assert!(
                codes.contains(code),
                "{}: expected {code}, got {codes:?}",
                path.display()
            );
        }
        assert!(
            compiled.model.is_none(),
            "{}: a file with errors must not give a model",
            path.display()
        );
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("case");
        let shown = format!(
            "{source}\n---\n{}",
            rendered(&path, &source, &compiled.diagnostics)
        );
        insta::assert_snapshot!(name, shown);
    }
}

fn rendered(path: &Path, source: &str, d: &[scorecard::diagnostic::Diagnostic]) -> String {
    let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("case");
    scorecard::diagnostic::render_plain(name, source, d)
}

#[test]
fn the_examples_check_clean() {
    for (_, path) in crate::support::examples() {
        let source = std::fs::read_to_string(&path).expect("read");
        let compiled = scorecard::compile(&source);
        assert!(
            compiled.diagnostics.is_empty(),
            "{}: {}",
            path.display(),
            rendered(&path, &source, &compiled.diagnostics)
        );
    }
}

#[test]
fn every_syntax_error_is_found_not_just_the_first() {
    // Two broken declarations and one unknown key in a third: three diagnostics, in source order.
    let source = std::fs::read_to_string("tests/check/many_syntax_errors.scorecard").expect("read");
    let compiled = scorecard::compile(&source);
    let codes = crate::support::codes(&compiled);
    assert_eq!(
        codes,
        vec![
            "scorecard::syntax::unexpected",
            "scorecard::check::unknown_key",
            "scorecard::syntax::unexpected"
        ]
    );
    // `uses_broken` names the two broken KPIs: not reported again as unknown.
    assert!(!codes.contains(&"scorecard::check::unknown_kpi"));
}

#[test]
fn every_code_is_documented() {
    let docs = std::fs::read_to_string("docs/diagnostics.md").expect("docs/diagnostics.md");
    for code in scorecard::diagnostic::Code::all() {
        assert!(
            docs.contains(&format!("`{}`", code.as_str())),
            "{} is not in docs/diagnostics.md",
            code.as_str()
        );
    }
}

#[test]
fn every_number_in_a_scorecard_is_read_in_one_place() {
    // `Checker::decimal` reports a number beyond the exact range where it stands; a check that
    // read numbers its own way could drop one (and with it a KPI) without a word.
    let mut others = Vec::new();
    for entry in walk(std::path::Path::new("crates/check/src")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for (i, line) in text.lines().enumerate() {
            let reads = [
                "Decimal::from_str",
                "parse::<Decimal>",
                "parse::<rust_decimal::Decimal>",
            ];
            if reads.iter().any(|r| line.contains(r)) && !entry.ends_with("check/src/lib.rs") {
                others.push(format!("{}:{}: {}", entry.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        others.is_empty(),
        "numbers read outside `Checker::decimal`:\n{}",
        others.join("\n")
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}
