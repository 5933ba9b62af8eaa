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
        .map(|p| (p.name.as_str(), p.weight.to_string()))
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
    assert_eq!(protect.weight.to_string(), "1");
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
