//! Parse snapshots: every example scorecard printed as an S-expression tree, and the precedence and
//! shapes of the expression grammar checked against trees written by hand.

#[test]
fn examples_parse() {
    for (name, path) in crate::support::examples() {
        let source = std::fs::read_to_string(&path).expect("read");
        let parsed = scorecard::syntax::parse(&source);
        assert!(
            parsed.diagnostics.is_empty(),
            "{} has syntax errors",
            path.display()
        );
        insta::assert_snapshot!(
            format!("parse_{name}"),
            scorecard::syntax::print(&parsed.file)
        );
    }
}

/// Parses `kpi k { value: <expr> }` and prints the value's tree.
fn value(expr: &str) -> String {
    let source = format!("kpi k {{ value: {expr} }}");
    let parsed = scorecard::syntax::parse(&source);
    assert!(parsed.diagnostics.is_empty(), "{expr} did not parse");
    let printed = scorecard::syntax::print(&parsed.file);
    printed
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("(value ")
                .and_then(|l| l.strip_suffix(')'))
        })
        .unwrap_or_default()
        .to_string()
}

#[test]
fn precedence_worked_by_hand() {
    let cases = [
        ("a + b * c", "(+ a (* b c))"),
        ("a - b - c", "(- (- a b) c)"),
        ("(a - b) / c", "(/ (- a b) c)"),
        ("95% of target", "(of 95% target)"),
        ("-a * b", "(* (neg a) b)"),
        (
            "a >= b and c < d or e = f",
            "(or (and (>= a b) (< c d)) (= e f))",
        ),
        ("not a = b", "(not (= a b))"),
        (
            "sum(orders.revenue where channel = \"online\")",
            "(sum orders.revenue where (= channel \"online\"))",
        ),
        ("if(a > 0, 1.5, 0)", "(if (> a 0) 1.5 0)"),
        (
            "count(orders where order_date >= 2026-01-01)",
            "(count orders where (>= order_date #2026-01-01))",
        ),
        ("order_total + offset", "(+ order_total offset)"),
        // Escalation conditions: a status test and `deviates from` bind to the operand before them.
        (
            "margin is red for 2 periods or margin < f - 5 points",
            "(or (is margin red for (2 periods)) (< margin (- f (5 points))))",
        ),
        (
            "m is not green in 2 of the last 3 months and not x is amber",
            "(and (is m not green in 2 of last (3 months)) (not (is x amber)))",
        ),
        (
            "revenue deviates from sum(budget.revenue) by more than 5%",
            "(deviates revenue (sum budget.revenue) 5%)",
        ),
        (
            "(a + b) deviates from -c[-1] by more than 1000",
            "(deviates (+ a b) (neg (at c (neg 1))) 1000)",
        ),
        (
            "anomaly(revenue, window: 12 periods, z: 3)",
            "(anomaly revenue window:(12 periods) z:3)",
        ),
    ];
    for (input, tree) in cases {
        assert_eq!(value(input), tree, "{input}");
    }
}

#[test]
fn comments_and_doc_comments() {
    let source = "// a comment\n/// The doc\n/// of x.\nkpi x /* inline */ { value: 1 // trailing\n}\n//// four slashes is a comment\n";
    let parsed = scorecard::syntax::parse(source);
    assert!(parsed.diagnostics.is_empty());
    assert_eq!(parsed.file.declarations.len(), 1);
    assert_eq!(
        parsed.file.declarations[0].doc.as_deref(),
        Some("The doc\nof x.")
    );
}

#[test]
fn a_doc_comment_after_an_expression_belongs_to_the_next_entry() {
    // Once read as `1 / target` followed by a `//` comment, leaving `: 5` unparsed.
    let source =
        "kpi x {\n  value: 1\n  /// Why it changed.\n  target: 5\n  ratio: 6 / 3 // halved\n}\n";
    let parsed = scorecard::syntax::parse(source);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let entries = &parsed.file.declarations[0].entries;
    let keys: Vec<&str> = entries.iter().map(|e| e.key.text.as_str()).collect();
    assert_eq!(keys, ["value", "target", "ratio"]);
    assert_eq!(entries[1].doc.as_deref(), Some("Why it changed."));
    assert_eq!(value("6 / 3"), "(/ 6 3)");
}
