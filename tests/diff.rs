//! `scorecard diff`: layout never counts, each kind of change is reported with its before and after,
//! a rename keeps a KPI's identity, and with data every value and status that moves is listed.

use scorecard::rules::diff::{models, Change, Property};

fn compiled(path: &str) -> scorecard::model::Model {
    let source = std::fs::read_to_string(path).expect(path);
    crate::support::model(&source)
}

const BASE: &str = "tests/diff/base.scorecard";

#[test]
fn a_formatting_only_change_shows_no_difference() {
    // Declarations reordered, re-spaced and commented, 40% written 0.40, redundant parentheses.
    let changes = models(
        &compiled(BASE),
        &compiled("tests/diff/formatting.scorecard"),
    );
    assert_eq!(changes, Vec::<Change>::new());
    let (code, out, _) = crate::cli::scorecard(&["diff", BASE, "tests/diff/formatting.scorecard"]);
    assert_eq!((code, out.as_str()), (0, "no change to any definition\n"));
}

fn change(
    kind: &'static str,
    name: &str,
    what: &'static str,
    props: &[(&str, &str, &str)],
) -> Change {
    let text = |s: &str| (s != "-").then(|| s.to_string());
    Change {
        kind,
        name: name.into(),
        change: what,
        renamed_from: None,
        properties: props
            .iter()
            .map(|(p, old, new)| Property {
                property: p.to_string(),
                old: text(old),
                new: text(new),
            })
            .collect(),
    }
}

#[test]
fn each_kind_of_change_with_before_and_after() {
    let changes = models(&compiled(BASE), &compiled("tests/diff/changes.scorecard"));
    let mut renamed = change(
        "kpi",
        "gross_margin_pct",
        "renamed",
        &[
            (
                "value",
                "(sum(orders.revenue) - sum(orders.cogs)) / sum(orders.revenue)",
                "(sum(orders.revenue) - sum(orders.cogs) - sum(orders.freight)) / sum(orders.revenue)",
            ),
            ("effective", "-", "2026-02-01"),
            (
                "previously",
                "-",
                "(sum(orders.revenue) - sum(orders.cogs)) / sum(orders.revenue)",
            ),
        ],
    );
    renamed.renamed_from = Some("margin_pct".into());
    let expected = vec![
        change("scorecard", "shop", "changed", &[("owner", "FP&A", "Group FP&A")]),
        change(
            "dataset",
            "orders",
            "changed",
            &[(
                "columns",
                "day: date, customer: text, channel: text, revenue: money, cogs: money",
                "day: date, customer: text, channel: text, revenue: money, cogs: money, freight: money",
            )],
        ),
        change("perspective", "financial", "changed", &[("weight", "0.60", "0.70")]),
        change("perspective", "customer", "changed", &[("weight", "0.40", "0.30")]),
        change("objective", "grow", "changed", &[("weight", "2", "3")]),
        change(
            "attribution",
            "credit",
            "changed",
            &[("model", r#"{"kind":"last_touch"}"#, r#"{"kind":"first_touch"}"#)],
        ),
        change(
            "escalation",
            "margin_slipping",
            "changed",
            &[
                ("severity", "high", "critical"),
                (
                    "when",
                    "margin_pct is red for 2 periods",
                    "gross_margin_pct is red for 2 periods",
                ),
            ],
        ),
        change(
            "kpi",
            "revenue",
            "changed",
            &[
                ("target", "1000", "1200"),
                (
                    "thresholds",
                    "green: value >= target, amber: value >= 0.9 * target, red: otherwise",
                    "green: value >= target, amber: value >= 0.95 * target, red: otherwise",
                ),
            ],
        ),
        renamed,
        change("kpi", "average_order", "added", &[]),
        change("kpi", "online", "removed", &[]),
    ];
    assert_eq!(changes, expected);
}

const ORDERS: &str = "day,customer,channel,revenue,cogs,freight
2026-01-05,c1,online,600,300,10
2026-01-20,c2,store,500,320,20
2026-02-03,c1,online,400,230,30
2026-02-17,c3,store,700,400,40
";

const TOUCHES: &str = "at,customer,channel
2026-01-01,c1,search
2026-01-15,c2,social
2026-02-01,c3,search
";

#[test]
fn with_data_every_value_and_status_that_moves() {
    let dir = crate::support::folder(&[("orders.csv", ORDERS), ("touches.csv", TOUCHES)]);
    let options = crate::support::options(dir.path());
    let (old, new) = (compiled(BASE), compiled("tests/diff/changes.scorecard"));
    let d = scorecard::diff(&old, &new, Some(&options)).expect("both evaluate");
    let effect = d.effect.expect("an effect with data");
    let rows: Vec<(&str, &str, String, String, &str, &str)> = effect
        .rows
        .iter()
        .map(|r| {
            let v = |x: Option<rust_decimal::Decimal>| x.map_or("-".into(), |d| d.to_string());
            let s = |x: Option<scorecard::rules::Status>| x.map_or("-", |s| s.name());
            (
                r.kpi.as_str(),
                r.period.as_str(),
                v(r.old_value),
                v(r.new_value),
                s(r.old_status),
                s(r.new_status),
            )
        })
        .collect();
    // Revenue is 600 + 500 = 1100 in January and 400 + 700 = 1100 in February. Against 1000 it was
    // green; against 1200 it is red, being under 95% of it (1140).
    // Margin keeps its old definition in January: (1100 − 620) / 1100 = 43.6% either way, so it is
    // not listed. From February freight counts: (1100 − 630) / 1100 = 42.7% (green, at least 40%)
    // becomes (1100 − 630 − 70) / 1100 = 36.4% (amber, at least 35%).
    assert_eq!(
        rows,
        vec![
            (
                "revenue",
                "2026-01",
                "1100.00".into(),
                "1100.00".into(),
                "green",
                "red"
            ),
            (
                "revenue",
                "2026-02",
                "1100.00".into(),
                "1100.00".into(),
                "green",
                "red"
            ),
            (
                "gross_margin_pct",
                "2026-02",
                "0.427".into(),
                "0.364".into(),
                "green",
                "amber"
            ),
        ]
    );
    assert_eq!(effect.rows[2].renamed_from.as_deref(), Some("margin_pct"));
    // Revenue and margin in two months each; the added and removed KPIs have nothing to compare.
    assert_eq!(effect.compared, 4);
}

#[test]
fn a_git_revision_is_read_from_the_repository() {
    let repo = tempfile::tempdir().expect("a temporary folder");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let base = std::fs::read_to_string(BASE).expect("base");
    std::fs::write(repo.path().join("shop.scorecard"), &base).expect("write");
    git(&["init", "-q"]);
    git(&["add", "shop.scorecard"]);
    git(&["commit", "-q", "-m", "first"]);
    let changed = base.replace("target: 1000", "target: 1100");
    std::fs::write(repo.path().join("shop.scorecard"), changed).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "diff",
            "HEAD:shop.scorecard",
            "shop.scorecard",
            "--format",
            "json",
        ])
        .current_dir(repo.path())
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(
        json["changes"],
        serde_json::json!([{
            "kind": "kpi", "name": "revenue", "change": "changed",
            "properties": [{"property": "target", "old": "1000", "new": "1100"}]
        }])
    );
    // The manifest names both versions as given, with the sha256 of each text.
    assert_eq!(
        json["manifest"]["scorecards"][0]["path"],
        "HEAD:shop.scorecard"
    );
    assert_eq!(json["manifest"]["scorecards"][1]["path"], "shop.scorecard");
    assert_eq!(
        json["manifest"]["scorecards"][0]["sha256"],
        crate::cli::sha256_of(BASE)
    );
    // A revision that does not exist is a clear error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(["diff", "nosuch:shop.scorecard", "shop.scorecard"])
        .current_dir(repo.path())
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read `shop.scorecard` at git revision `nosuch`"),
        "{err}"
    );
}
