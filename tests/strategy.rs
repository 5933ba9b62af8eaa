//! The strategy map of the retail example, written out by hand from its declarations: perspectives
//! Financial (grow_revenue, protect_margin) then Customer (win_online), and win_online drives
//! grow_revenue.

use std::process::Command;

fn graph(format: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "graph",
            "scorecards/retail/retail.scorecard",
            "--format",
            format,
        ])
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn dot() {
    let expected = r#"digraph strategy_map {
  label="Acme Retail: Commercial Scorecard";
  labelloc=t;
  newrank=true;
  node [shape=box, style=rounded];
  subgraph cluster_financial {
    label="Financial";
    grow_revenue [label="Grow revenue to plan"];
    protect_margin [label="Protect gross margin"];
  }
  subgraph cluster_customer {
    label="Customer";
    win_online [label="Win online customers"];
  }
  grow_revenue -> win_online [style=invis];
  win_online -> grow_revenue;
}
"#;
    assert_eq!(graph("dot"), (0, expected.to_string()));
}

#[test]
fn mermaid() {
    let expected = r#"---
title: "Acme Retail: Commercial Scorecard"
---
flowchart TB
  subgraph financial["Financial"]
    grow_revenue["Grow revenue to plan"]
    protect_margin["Protect gross margin"]
  end
  subgraph customer["Customer"]
    win_online["Win online customers"]
  end
  financial ~~~ customer
  win_online --> grow_revenue
"#;
    assert_eq!(graph("mermaid"), (0, expected.to_string()));
}

#[test]
fn the_model_keeps_weights_and_links() {
    let source = std::fs::read_to_string("scorecards/retail/retail.scorecard").expect("read");
    let model = crate::support::model(&source);
    let weights: Vec<(&str, String)> = model
        .perspectives
        .iter()
        .map(|p| (p.name.as_str(), p.weight.initial.to_string()))
        .collect();
    // 60% and 40% are the ratios 0.60 and 0.40; objectives default to weight 1.
    assert_eq!(
        weights,
        vec![
            ("financial", "0.60".to_string()),
            ("customer", "0.40".to_string())
        ]
    );
    let protect = model
        .objectives
        .iter()
        .find(|o| o.name == "protect_margin")
        .expect("objective");
    assert_eq!(protect.weight.initial.to_string(), "1");
    let win = model
        .objectives
        .iter()
        .find(|o| o.name == "win_online")
        .expect("objective");
    assert_eq!(win.drives, vec!["grow_revenue"]);
    assert_eq!(
        win.doc.as_deref(),
        Some("Customers who buy online buy more often.")
    );
    let net = model.kpi("net_revenue").expect("kpi");
    assert_eq!(net.objective.as_deref(), Some("grow_revenue"));
}

#[test]
fn scores_roll_up_by_weight() {
    // October 2026 in the retail example (values from DuckDB, see tests/evaluate.rs). Scores:
    // net revenue green → 10 (bands); gross margin 39.3% under goal_red_flag(goal 40%, red flag 36%):
    // 10 × (1 + (0.393 − 0.36) / 0.04) / 3 = 10 × 1.825 / 3 = 6.0833…, shown 6.08; online share
    // green → 10. Objectives: grow_revenue 10, protect_margin 6.0833…, win_online 10.
    // Financial (grow_revenue weight 2, protect_margin 1): (2 × 10 + 6.0833…) / 3 = 8.6944…, 8.69.
    // Customer: 10. Overall (60% and 40%): 0.6 × 8.6944… + 0.4 × 10 = 9.2166…, 9.22.
    let source = std::fs::read_to_string("scorecards/retail/retail.scorecard").expect("read");
    let mut opts = crate::support::options(std::path::Path::new("scorecards/retail"));
    opts.from = Some("2026-10".into());
    opts.to = Some("2026-10".into());
    let e = scorecard::evaluate(&crate::support::model(&source), &opts).expect("runs");
    let score = |kpi: &str| {
        crate::support::row(&e, kpi, "2026-10", "total")
            .score
            .map(|s| s.to_string())
    };
    assert_eq!(score("gross_margin"), Some("6.08".into()));
    assert_eq!(score("net_revenue"), Some("10.00".into()));
    assert_eq!(score("units_sold"), None, "an unrated KPI has no score");
    let find = |list: &[scorecard::rules::rollup::Scored], name: &str| {
        list.iter()
            .find(|s| s.name == name)
            .and_then(|s| s.results[0].score)
            .map(|s| s.to_string())
    };
    assert_eq!(
        find(&e.scores.objectives, "protect_margin"),
        Some("6.08".into())
    );
    assert_eq!(
        find(&e.scores.perspectives, "financial"),
        Some("8.69".into())
    );
    assert_eq!(
        find(&e.scores.perspectives, "customer"),
        Some("10.00".into())
    );
    assert_eq!(
        e.scores.overall[0].score.map(|s| s.to_string()),
        Some("9.22".into())
    );
}

#[test]
fn a_child_without_a_score_is_left_out() {
    // Objective `o` has KPIs a (weight 3) and b (weight 1). In January both have values: a (2) is
    // green, 10; b (an average of 1) is red, 0: (3 × 10 + 1 × 0) / 4 = 7.50. In February there is no
    // `b` row, so b's average has no value and no score: only a counts, 10.00. In March there are no
    // rows at all: no score, and the perspective and overall have none either.
    let src = r#"
scorecard t {}
perspective p { }
objective o { perspective: p }
dataset d { source: "d.csv"  time: day  columns: { day: date  kind: text  n: integer } }
kpi a { objective: o  weight: 3  value: sum(d.n where kind = "a")  thresholds: green >= 1, red otherwise }
kpi b { objective: o  value: avg(d.n where kind = "b")  thresholds: green >= 5, red otherwise }
"#;
    let csv = "day,kind,n\n2026-01-05,a,2\n2026-01-06,b,1\n2026-02-05,a,2\n2026-04-01,a,1\n";
    let e = crate::support::run(src, &[("d.csv", csv)]);
    let o = |period: &str| {
        let s = e
            .scores
            .objectives
            .iter()
            .find(|s| s.name == "o")
            .expect("o");
        s.results
            .iter()
            .find(|r| r.period == period)
            .and_then(|r| r.score)
            .map(|s| s.to_string())
    };
    assert_eq!(o("2026-01"), Some("7.50".into()));
    assert_eq!(o("2026-02"), Some("10.00".into()));
    assert_eq!(o("2026-03"), None);
    let overall: Vec<Option<String>> = e
        .scores
        .overall
        .iter()
        .map(|r| r.score.map(|s| s.to_string()))
        .collect();
    assert_eq!(overall[2], None);
    assert_eq!(overall[0], Some("7.50".into()));
}

#[test]
fn weights_change_from_a_date() {
    // KPI a is green (10) and b red (0) every month. a's weight is 1, and 3 from 2026-02-15 on: the
    // first month starting on or after that day is March. January and February: (1 × 10 + 1 × 0) / 2
    // = 5.00; March: (3 × 10 + 0) / 4 = 7.50.
    let src = r#"
scorecard t {}
perspective p { }
objective o { perspective: p }
dataset d { source: "d.csv"  time: day  columns: { day: date  n: integer } }
kpi a { objective: o  weight: { otherwise: 1  "2026-02-15": 3 }  value: sum(d.n)  thresholds: green >= 1, red otherwise }
kpi b { objective: o  value: sum(d.n)  thresholds: green >= 100, red otherwise }
"#;
    let csv = "day,n\n2026-01-05,2\n2026-02-05,2\n2026-03-05,2\n";
    let e = crate::support::run(src, &[("d.csv", csv)]);
    let o = e
        .scores
        .objectives
        .iter()
        .find(|s| s.name == "o")
        .expect("o");
    let scores: Vec<String> = o
        .results
        .iter()
        .map(|r| r.score.map(|s| s.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(scores, vec!["5.00", "5.00", "7.50"]);
}

#[test]
fn the_balanced_example_matches_an_independent_computation() {
    // tests/reference/balanced_duckdb.py computes FY2027-Q1 (April to June 2026) with DuckDB for the
    // values and Python decimals for the scores and roll-up. It printed:
    //   values: growth 0.072, margin 0.393, sat 7.67, recommend 0.555, share 0.377, training 3.29,
    //           retention 0.9833
    //   scores: net_revenue 10.00, revenue_growth 10.00, gross_margin 6.08, satisfaction 5.93,
    //           recommend_rate 10.00, online_share 10.00, training_hours 7.63, retention 8.32
    //   financial 8.69 customer 7.97 process 10.00 learning 7.86 overall 8.65
    let source = std::fs::read_to_string("scorecards/balanced/balanced.scorecard").expect("read");
    let mut opts = crate::support::options(std::path::Path::new("scorecards/balanced"));
    // It reads the retail example's data, which the examples' project (scorecards/) allows.
    let project = scorecard::project::Project::of(std::path::Path::new(
        "scorecards/balanced/balanced.scorecard",
    ))
    .expect("the examples' project file");
    opts.sandbox = project.sandbox(None);
    opts.from = Some("FY2027-Q1".into());
    opts.to = Some("FY2027-Q1".into());
    let e = scorecard::evaluate(&crate::support::model(&source), &opts).expect("runs");
    let expected = [
        ("revenue_growth", "0.072", "10.00"),
        ("gross_margin", "0.393", "6.08"),
        ("satisfaction", "7.67", "5.93"),
        ("recommend_rate", "0.555", "10.00"),
        ("online_share", "0.377", "10.00"),
        ("training_hours", "3.29", "7.63"),
        ("retention", "0.9833", "8.32"),
    ];
    for (kpi, value, score) in expected {
        let r = crate::support::row(&e, kpi, "FY2027-Q1", "total");
        let got = (crate::support::cells(r).0, r.score.map(|s| s.to_string()));
        assert_eq!(got, (value.to_string(), Some(score.to_string())), "{kpi}");
    }
    let perspectives: Vec<(String, String)> = e
        .scores
        .perspectives
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.results[0]
                    .score
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let want = [
        ("financial", "8.69"),
        ("customer", "7.97"),
        ("process", "10.00"),
        ("learning", "7.86"),
    ];
    assert_eq!(
        perspectives,
        want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
    );
    assert_eq!(
        e.scores.overall[0].score.map(|s| s.to_string()),
        Some("8.65".into())
    );
}
