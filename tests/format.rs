//! `scorecard fmt`: the canonical layout is idempotent, keeps every comment and never changes the
//! parse, on every scorecard in the repository and on re-spaced, re-commented versions of them.

use proptest::prelude::*;
use scorecard::layout::{self, lex};
use scorecard::syntax;
use std::path::{Path, PathBuf};

/// Every scorecard file in the repository that parses: the examples, the check corpus and the diff
/// fixtures.
fn corpus() -> &'static [(PathBuf, String)] {
    static CORPUS: std::sync::OnceLock<Vec<(PathBuf, String)>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(read_corpus)
}

fn read_corpus() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in ["scorecards", "tests/check", "tests/diff", "tests/audit"] {
        collect(Path::new(dir), &mut out);
    }
    out.retain(|(_, text)| syntax::parse(text).diagnostics.is_empty());
    assert!(out.len() >= 30, "only {} scorecards found", out.len());
    out
}

fn collect(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "scorecard") {
            let text = std::fs::read_to_string(&p).expect("read a scorecard");
            out.push((p, text));
        }
    }
}

fn tree(text: &str) -> String {
    let parsed = syntax::parse(text);
    assert!(parsed.diagnostics.is_empty(), "does not parse:\n{text}");
    syntax::print(&parsed.file)
}

#[test]
fn every_scorecard_formats_idempotently_with_the_same_tree_and_comments() {
    for (path, text) in corpus() {
        let once = layout::format(text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let twice = layout::format(&once).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(once, twice, "{} is not idempotent", path.display());
        assert_eq!(
            tree(&once),
            tree(text),
            "{} parses differently",
            path.display()
        );
        assert_eq!(
            layout::comments(&once),
            layout::comments(text),
            "{}",
            path.display()
        );
    }
}

#[test]
fn the_examples_are_already_formatted() {
    for (path, text) in corpus() {
        if path.starts_with("scorecards") {
            let formatted = layout::format(text).expect("formats");
            assert!(&formatted == text, "run `scorecard fmt {}`", path.display());
        }
    }
}

/// Joins a file's tokens again with separators picked by `choices`: spaces, tabs, line ends, blank
/// lines, and marker comments (`/* m7 */`, `// m8`) that the output must keep.
fn respace(text: &str, choices: &[u8]) -> (String, Vec<String>) {
    let tokens = lex::tokens(text);
    let mut out = String::new();
    let mut markers = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        if k > 0 {
            let prev = &tokens[k - 1];
            let c = choices[k % choices.len()];
            let must_break = matches!(prev.kind, lex::Kind::LineComment | lex::Kind::Doc);
            // `12 months` and `5 points` are one atom with spaces or tabs inside it.
            let atom = prev.kind == lex::Kind::Number && t.kind == lex::Kind::Word;
            // A comment between a key and its colon makes the key read as a bare word.
            let colon = t.text == ":" && c % 16 >= 13;
            let sep = if colon {
                " ".to_string()
            } else if atom {
                if c.is_multiple_of(2) {
                    " ".to_string()
                } else {
                    " \t ".to_string()
                }
            } else {
                match c % 16 {
                    0..=5 => " ".to_string(),
                    6 => "   ".to_string(),
                    7 => "\t".to_string(),
                    8..=11 => "\n".to_string(),
                    12 => "\n\n\n  ".to_string(),
                    13 => {
                        let m = format!("/* m{k} */");
                        markers.push(m.clone());
                        format!(" {m} ")
                    }
                    14 => {
                        let m = format!("// m{k}.");
                        markers.push(m.clone());
                        format!(" {m}\n")
                    }
                    _ => "\n    ".to_string(),
                }
            };
            if must_break && !sep.contains('\n') {
                out.push('\n');
            }
            out.push_str(&sep);
        }
        out.push_str(t.text);
    }
    out.push('\n');
    (out, markers)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn re_spaced_scorecards_format_to_the_same_tree_keeping_every_comment(
        pick in any::<prop::sample::Index>(),
        choices in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let files = corpus();
        let (path, text) = &files[pick.index(files.len())];
        let (input, markers) = respace(text, &choices);
        let parsed = syntax::parse(&input);
        // A comment inside an atom (`same /* x */ period last year`) does not parse: such inputs
        // are not scorecards, so they are skipped.
        prop_assume!(parsed.diagnostics.is_empty());
        prop_assume!(syntax::print(&parsed.file) == tree(text));
        let once = layout::format(&input)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}\n{input}", path.display())))?;
        prop_assert_eq!(tree(&once), tree(text));
        let twice = layout::format(&once).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&twice, &once, "not idempotent on\n{}", input);
        for m in &markers {
            prop_assert_eq!(once.matches(m.as_str()).count(), 1, "lost {} from\n{}", m, input);
        }
        prop_assert_eq!(layout::comments(&once), layout::comments(&input));
    }
}
