//! Attribution on ~2,500 generated journeys: linear and time-decay credit against the same rules
//! written as SQL window functions in DuckDB (tests/reference/attribution_duckdb.py), and the
//! invariants every model keeps.

use crate::support::{folder, model, options};
use rust_decimal::Decimal;
use scorecard::engine::credits::Credit;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/journeys")
}

fn scorecard(model_text: &str) -> String {
    format!(
        r#"
scorecard j {{ grain: month }}
dataset touchpoints {{
  source: "touches.csv"
  time: touched_at
  columns: {{ customer: text touched_at: date channel: text }}
}}
dataset orders {{
  source: "orders.csv"
  time: order_date
  columns: {{ order_id: text key customer: text order_date: date revenue: money }}
}}
attribution credit {{
  touches: touchpoints
  conversions: orders
  match: touchpoints.customer = orders.customer
  window: 30 days
  value: orders.revenue
  credit_to: touchpoints.channel
  model: {model_text}
}}
kpi attributed_revenue {{ value: attributed(credit) by: channel }}
"#
    )
}

fn credits(model_text: &str, dir: &Path) -> Vec<Credit> {
    let mut opts = options(dir);
    opts.credits = true;
    scorecard::evaluate(&model(&scorecard(model_text)), &opts)
        .expect("the run succeeds")
        .credits
}

/// (conversion line, touch line) → credit, for credited touches.
fn by_touch(credits: &[Credit]) -> BTreeMap<(i64, i64), String> {
    credits
        .iter()
        .filter_map(|c| Some(((c.conversion, c.touch?), c.credit?.to_string())))
        .collect()
}

fn expected(name: &str) -> BTreeMap<(i64, i64), String> {
    let text = std::fs::read_to_string(data().join(format!("expected_{name}.csv")))
        .expect("expected credits");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                (f[0].parse().unwrap(), f[1].parse().unwrap()),
                f[2].to_string(),
            )
        })
        .collect()
}

#[test]
fn linear_matches_duckdb() {
    let ours = by_touch(&credits("linear", &data()));
    let theirs = expected("linear");
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours, theirs);
}

#[test]
fn time_decay_matches_duckdb() {
    let ours = by_touch(&credits("time_decay(half_life: 7 days)", &data()));
    let theirs = expected("time_decay");
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours, theirs);
}

const MODELS: &[&str] = &[
    "first_touch",
    "last_touch",
    r#"last_non_direct(direct: touchpoints.channel = "direct")"#,
    "linear",
    "time_decay(half_life: 7 days)",
    "position_based(first: 40%, last: 40%)",
    "markov",
];

/// Every model: each conversion's credits add up to its value exactly, none is negative, and a
/// conversion with one eligible touch gives it everything.
#[test]
fn credits_add_up_and_single_touches_take_all() {
    let orders = std::fs::read_to_string(data().join("orders.csv")).expect("orders");
    let values: BTreeMap<i64, Decimal> = orders
        .lines()
        .enumerate()
        .skip(1)
        .map(|(i, l)| (i as i64 + 1, l.rsplit(',').next().unwrap().parse().unwrap()))
        .collect();
    for m in MODELS {
        let credits = credits(m, &data());
        let mut sums: BTreeMap<i64, Decimal> = BTreeMap::new();
        let mut touches: BTreeMap<i64, Vec<Decimal>> = BTreeMap::new();
        for c in &credits {
            let v = c.credit.expect("every conversion has a value");
            assert!(v >= Decimal::ZERO, "{m}: negative credit {c:?}");
            *sums.entry(c.conversion).or_default() += v;
            if c.touch.is_some() {
                touches.entry(c.conversion).or_default().push(v);
            }
        }
        assert_eq!(sums, values, "{m}: credits do not add up");
        let singles = touches.iter().filter(|(_, t)| t.len() == 1).count();
        assert!(singles > 100, "the data has single-touch journeys");
        for (conversion, t) in &touches {
            if t.len() == 1 {
                assert_eq!(t[0], values[conversion], "{m}: a single touch takes all");
            }
        }
    }
}

/// Renaming channels changes no number: every touch's credit is the same under new names.
#[test]
fn renaming_channels_changes_nothing() {
    let touches = std::fs::read_to_string(data().join("touches.csv")).expect("touches");
    let renamed: String = touches
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return format!("{l}\n");
            }
            let (head, channel) = l.rsplit_once(',').unwrap();
            // Reverse each name (and keep `direct` meaning direct for last_non_direct below).
            let new: String = if channel == "direct" {
                "DIRECT".into()
            } else {
                channel.chars().rev().collect()
            };
            format!("{head},{new}\n")
        })
        .collect();
    let orders = std::fs::read_to_string(data().join("orders.csv")).expect("orders");
    let dir = folder(&[("touches.csv", &renamed), ("orders.csv", &orders)]);
    for m in MODELS {
        let renamed_model = m.replace("\"direct\"", "\"DIRECT\"");
        assert_eq!(
            by_touch(&credits(m, &data())),
            by_touch(&credits(&renamed_model, dir.path())),
            "{m}"
        );
    }
}

/// The marketing example: under both models every month's attributed revenue, unattributed
/// included, is the month's order revenue summed straight from the CSV here.
#[test]
fn marketing_example_credits_all_revenue() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scorecards/marketing");
    let orders = std::fs::read_to_string(dir.join("data/orders.csv")).expect("orders");
    let mut by_month: BTreeMap<String, Decimal> = BTreeMap::new();
    for line in orders.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *by_month.entry(f[2][..7].to_string()).or_default() += f[3].parse::<Decimal>().unwrap();
    }
    assert_eq!(by_month.len(), 6);
    let source = std::fs::read_to_string(dir.join("marketing.scorecard")).expect("example");
    let e = scorecard::evaluate(&model(&source), &options(&dir)).expect("the run succeeds");
    for (month, total) in &by_month {
        let expected = total.to_string();
        assert_eq!(
            crate::support::value(&e, "attributed_revenue", month, "total"),
            expected
        );
        assert_eq!(
            crate::support::value(&e, "attributed_revenue_markov", month, "total"),
            expected
        );
    }
}
