//! Parameters, scenarios and sensitivity (docs/language.md, "Parameters" and "Sensitivity"),
//! against values worked by hand.
//!
//! The fixture, one quarter (2026-Q1). Orders: c1 revenue 300, cogs 100 (margin 200); c2 revenue
//! 150, cogs 50 (margin 100). Support costs 100.00 for 100 paid minutes, of which
//! `practical_share` (80%) is practical capacity: 80 minutes, 1.25 a minute. c1 and c2 used 40
//! minutes each: 50.00 each. Profit: c1 150, c2 50; the average customer's profit is 100. At a
//! practical share of 100% a minute costs 1.00: profits 160 and 60, average 110.
//!
//! `customer_lifetime_value` is `clv(avg profit, retention, discount_rate)` for ever:
//! m × r / (1 + d − r). With m = 100:
//!
//! | retention \ discount | 0%  | 10%    | 20% |
//! |----------------------|-----|--------|-----|
//! | 60%                  | 150 | 120    | 100 |
//! | 80%                  | 400 | 266.67 | 200 |
//!
//! (80 / 0.3 = 266.666…, to the cent 266.67.) Thresholds green ≥ 200, amber ≥ 120: 150 and 120
//! amber, 100 red, the second row green. The base is r = 80%, d = 10%: 266.67. The downside
//! scenario (r 60%, d 20%) gives 100, red; the upside (d 0%, r unchanged) 400.
//!
//! The tornado around the base: discount_rate over its range 0%..20% gives 400 and 200 (swing
//! 200); retention, which has no range, over its base and scenario values 60%..80% gives 120 and
//! 266.67 (swing 146.67); practical_share over 80%..100% gives 266.67 and 110 × 0.8 / 0.3 =
//! 293.33 (swing 26.66); revenue_goal has neither range nor scenarios: not moved.
//!
//! Revenue is 450 against the goal `revenue_goal` (400): green. Scored goal_red_flag(goal:
//! revenue_goal, red_flag: 200): 20/3 + (450 − 400) / 200 × 10/3 = 7.50. At a goal of 500: 10/3 +
//! 250 / 300 × 10/3 = 6.11. Big orders are orders over `big_order` (200): one (c1's 300); over 100,
//! two.

use crate::support::scorecard_in;
use serde_json::Value;
use std::path::Path;

const SCORECARD: &str = r#"
scorecard plan "Customer plan" { currency: USD  grain: quarter }

/// The cost of capital per quarter.
parameter discount_rate "Discount rate" {
  unit: percent
  base: 10%
  scenarios: { upside: 0%  downside: 20% }
  range: 0%, 20%
}
parameter retention "Quarterly retention" {
  unit: percent
  base: 80%
  scenarios: { downside: 60% }
}
parameter practical_share "Practical share of paid time" {
  unit: percent
  base: 80%
  range: 80%, 100%
}
parameter revenue_goal "Revenue goal" { unit: money  base: 400 }
parameter big_order "Big order" { unit: money  base: 200 }
parameter financial_weight "Weight of the financial perspective" { unit: percent  base: 60% }

perspective financial "Financial" { weight: financial_weight }
perspective customer "Customer" { weight: 40% }
objective grow "Grow" { perspective: financial }
objective keep "Keep customers" { perspective: customer }

dataset orders {
  source: "orders.csv"
  time: day
  complete_from: 2026-01-01
  extracted: 2026-04-01
  columns: { id: text key  customer: text  day: date  revenue: money  cogs: money }
}
dataset departments {
  source: "departments.csv"
  time: month
  grain: month
  complete_from: 2026-01-01
  extracted: 2026-04-01  // the quarter's capacity is booked in its first month
  columns: { department: text  month: date  cost: money  paid_minutes: integer }
}
dataset service_log {
  source: "service_log.csv"
  time: day
  complete_from: 2026-01-01
  extracted: 2026-04-01
  columns: { customer: text  day: date  department: text  minutes: integer }
}

allocation cost_to_serve {
  capacity: departments
  rate: departments.cost / (departments.paid_minutes * practical_share)
  activity: service_log
  match: service_log.department = departments.department
  driver: service_log.minutes
  to: service_log.customer
}

view customer_pnl {
  by: customer
  columns: {
    margin: sum(orders.revenue) - sum(orders.cogs)
    cost:   allocated(cost_to_serve)
    profit: margin - cost
  }
}

kpi revenue "Revenue" {
  objective: grow
  value: sum(orders.revenue)
  target: revenue_goal
  scoring: goal_red_flag(goal: revenue_goal, red_flag: 200)
  thresholds: { green: value >= target  red: otherwise }
}

kpi big_orders "Big orders" { value: count(orders where revenue > big_order) }

kpi average_profit "Average customer profit" { value: avg(customer_pnl.profit) }

kpi customer_lifetime_value "Customer lifetime value" {
  objective: keep
  value: clv(avg(customer_pnl.profit), retention, discount_rate)
  thresholds: green >= 200, amber >= 120, red otherwise
}
"#;

const ORDERS: &str =
    "id,customer,day,revenue,cogs\no1,c1,2026-01-10,300.00,100.00\no2,c2,2026-02-11,150.00,50.00\n";
const DEPARTMENTS: &str = "department,month,cost,paid_minutes\nsupport,2026-01-01,100.00,100\n";
const SERVICE: &str =
    "customer,day,department,minutes\nc1,2026-01-05,support,40\nc2,2026-02-10,support,40\n";

fn fixture() -> tempfile::TempDir {
    let dir = crate::support::folder(&[
        ("plan.scorecard", SCORECARD),
        ("orders.csv", ORDERS),
        ("departments.csv", DEPARTMENTS),
        ("service_log.csv", SERVICE),
    ]);
    std::fs::write(dir.path().join("scorecard.toml"), "").unwrap();
    dir
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = scorecard_in(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The total of `kpi` in 2026-Q1 in a `run --format json` document: value, status and score.
fn total(doc: &Value, kpi: &str) -> (String, String, String) {
    let k = doc["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == kpi)
        .unwrap();
    let r = k["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == "2026-Q1" && r["segment"].as_object().unwrap().is_empty())
        .unwrap();
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    (s(&r["value"]), s(&r["status"]), s(&r["score"]))
}

/// Runs `command` with `args`: it must exit with `exit`, print nothing, and say `says` under `code`.
fn refused(dir: &Path, (command, args): (&[&str], &[&str]), exit: i32, (code, says): (&str, &str)) {
    let all: Vec<&str> = command.iter().chain(args).copied().collect();
    let (got, out, err) = scorecard_in(dir, &all);
    assert_eq!(got, exit, "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?}: nothing is evaluated: {out}");
    assert!(
        err.contains(&format!("error[{code}]")) && err.contains(says),
        "{args:?}: {err}"
    );
}

fn run(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "run",
        "plan.scorecard",
        "--format",
        "json",
        "--deterministic",
    ];
    args.extend(extra);
    json(dir, &args)
}

#[test]
fn the_base_values_apply_wherever_a_number_is_written() {
    let dir = fixture();
    let doc = run(dir.path(), &[]);
    assert_eq!(total(&doc, "average_profit").0, "100.00");
    assert_eq!(
        total(&doc, "customer_lifetime_value"),
        ("266.67".into(), "green".into(), "10.00".into())
    );
    assert_eq!(
        total(&doc, "revenue"),
        ("450.00".into(), "green".into(), "7.50".into())
    );
    assert_eq!(total(&doc, "big_orders").0, "1");
    // The manifest records every parameter's value and where it came from.
    let params = &doc["manifest"]["parameters"];
    assert_eq!(params[0]["name"], "discount_rate");
    assert_eq!(params[0]["value"], "10%");
    assert_eq!(params[0]["from"], "base");
    assert!(doc["manifest"].get("scenario").is_none());
}

#[test]
fn a_scenario_and_set_values_replace_the_base() {
    let dir = fixture();
    let down = run(dir.path(), &["--scenario", "downside"]);
    assert_eq!(
        total(&down, "customer_lifetime_value"),
        ("100.00".into(), "red".into(), "0.00".into())
    );
    assert_eq!(down["manifest"]["scenario"], "downside");
    let up = run(dir.path(), &["--scenario", "upside"]);
    assert_eq!(total(&up, "customer_lifetime_value").0, "400.00");
    // `--set` after the scenario: the downside's retention with no discount: 60 / 0.4 = 150.
    let set = run(
        dir.path(),
        &["--scenario", "downside", "--set", "discount_rate=0%"],
    );
    assert_eq!(
        total(&set, "customer_lifetime_value"),
        ("150.00".into(), "amber".into(), "5.00".into())
    );
    let shown: Vec<(String, String)> = set["manifest"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["from"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(shown.contains(&("discount_rate".into(), "set".into())));
    assert!(shown.contains(&("retention".into(), "scenario".into())));
    assert!(shown.contains(&("revenue_goal".into(), "base".into())));
    // A target, a scoring argument and a filter read their parameter too.
    let goal = run(
        dir.path(),
        &["--set", "revenue_goal=500", "--set", "big_order=100"],
    );
    assert_eq!(
        total(&goal, "revenue"),
        ("450.00".into(), "red".into(), "6.11".into())
    );
    assert_eq!(total(&goal, "big_orders").0, "2");
    // An allocation's capacity share: a minute costs 1.00, the average profit is 110.
    let share = run(dir.path(), &["--set", "practical_share=100%"]);
    assert_eq!(total(&share, "average_profit").0, "110.00");
    // The terminal table says what was assumed.
    let (code, out, _) = scorecard_in(
        dir.path(),
        &["run", "plan.scorecard", "--scenario", "downside"],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains(
            "Assuming scenario downside: discount_rate 20% (scenario), retention 60% (scenario)"
        ),
        "{out}"
    );
}

#[test]
fn a_weight_takes_its_parameter_value() {
    let text = std::fs::read_to_string(fixture().path().join("plan.scorecard")).unwrap();
    let base = scorecard::compile(&text).model.unwrap();
    let assumed = scorecard::model::parameter::assume(
        &base.parameters,
        None,
        &["financial_weight=70%".into()],
    )
    .unwrap();
    let model = scorecard::check::compile_assuming(&text, &assumed)
        .model
        .unwrap();
    assert_eq!(base.perspectives[0].weight.initial.to_string(), "0.60");
    assert_eq!(model.perspectives[0].weight.initial.to_string(), "0.70");
}

#[test]
fn wrong_names_and_units_are_refused_with_their_codes() {
    let dir = fixture();
    for (args, code, says) in [
        (
            vec!["--scenario", "sideways"],
            "scorecard::parameter::unknown_scenario",
            "the scenarios are upside, downside",
        ),
        (
            vec!["--set", "discount_rat=5%"],
            "scorecard::parameter::unknown",
            "did you mean `discount_rate`?",
        ),
        (
            vec!["--set", "discount_rate=5"],
            "scorecard::parameter::unit",
            "written with `%`",
        ),
        (
            vec!["--set", "revenue_goal=5%"],
            "scorecard::parameter::unit",
            "without `%`",
        ),
        (
            vec!["--set", "revenue_goal=lots"],
            "scorecard::parameter::unit",
            "`lots` is not a number",
        ),
        (
            vec!["--set", "revenue_goal"],
            "scorecard::parameter::unit",
            "NAME=VALUE",
        ),
        (
            vec!["--set", "big_order=1", "--set", "big_order=2"],
            "scorecard::parameter::set_twice",
            "given twice",
        ),
        (
            vec!["--set", "discount_rate=0.333333333333333333333333333%"],
            "scorecard::parameter::unit",
            "more digits than an exact decimal holds",
        ),
        (
            vec!["--set", "discount_rate="],
            "scorecard::parameter::unit",
            "no value is given",
        ),
    ] {
        refused(
            dir.path(),
            (&["run", "plan.scorecard"], &args),
            1,
            (code, says),
        );
    }
    // The error names the scorecard: a project run checks several.
    let (_, _, err) = scorecard_in(
        dir.path(),
        &["run", "plan.scorecard", "--scenario", "sideways"],
    );
    assert!(
        err.contains("plan.scorecard: no scenario is named `sideways`"),
        "{err}"
    );
    // A value wrong where it is used is the file's error, at the place that uses it.
    let (exit, _, err) = scorecard_in(
        dir.path(),
        &["run", "plan.scorecard", "--set", "financial_weight=-5%"],
    );
    assert_eq!(exit, 1);
    assert!(
        err.contains("a weight is a number or percent above zero")
            && err.contains("plan.scorecard:"),
        "{err}"
    );
}

/// A two-parameter grid worked by hand (the table at the top).
#[test]
fn a_grid_of_two_parameters() {
    let dir = fixture();
    let doc = json(
        dir.path(),
        &[
            "sensitivity",
            "plan.scorecard",
            "--kpi",
            "customer_lifetime_value",
            "--vary",
            "retention=60%,80%",
            "--vary",
            "discount_rate=0%..20%:10%",
            "--format",
            "json",
            "--deterministic",
        ],
    );
    assert_eq!(doc["period"], "2026-Q1");
    assert_eq!(doc["baseline"]["value"], "266.67");
    let points: Vec<(String, String, String, String)> = doc["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&p["values"][0]),
                s(&p["values"][1]),
                s(&p["value"]),
                s(&p["status"]),
            )
        })
        .collect();
    let want = [
        ("60%", "0%", "150.00", "amber"),
        ("60%", "10%", "120.00", "amber"),
        ("60%", "20%", "100.00", "red"),
        ("80%", "0%", "400.00", "green"),
        ("80%", "10%", "266.67", "green"),
        ("80%", "20%", "200.00", "green"),
    ];
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(points, want);
    // No parameter of the grid changes what the engine computes: every point used the first read.
    assert_eq!(doc["computed_again"], 0);
    // The CSV has a row per point; the table a matrix.
    let (_, csv, _) = scorecard_in(
        dir.path(),
        &[
            "sensitivity",
            "plan.scorecard",
            "--kpi",
            "customer_lifetime_value",
            "--vary",
            "retention=60%,80%",
            "--vary",
            "discount_rate=0%..20%:10%",
            "--format",
            "csv",
        ],
    );
    assert!(csv.contains("point,retention,60%,discount_rate,20%,customer_lifetime_value,2026-Q1,100.00,red,false"), "{csv}");
    assert_eq!(csv.lines().count(), 7);
    let (_, table, _) = scorecard_in(
        dir.path(),
        &[
            "sensitivity",
            "plan.scorecard",
            "--kpi",
            "customer_lifetime_value",
            "--vary",
            "retention=60%,80%",
            "--vary",
            "discount_rate=0%..20%:10%",
        ],
    );
    assert!(table.contains("retention \\ discount_rate"), "{table}");
    assert!(table.contains("266.67 green"), "{table}");
}

/// The tornado worked by hand (at the top), largest swing first; and a parameter of an allocation
/// computes the aggregates again from the rows already read.
#[test]
fn a_tornado_ranks_every_parameter() {
    let dir = fixture();
    let doc = json(
        dir.path(),
        &[
            "sensitivity",
            "plan.scorecard",
            "--kpi",
            "customer_lifetime_value",
            "--tornado",
            "--format",
            "json",
        ],
    );
    let bars: Vec<(String, String, String, String, String, String)> = doc["tornado"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&b["parameter"]["name"]),
                s(&b["low"]),
                s(&b["high"]),
                s(&b["at_low"]["value"]),
                s(&b["at_high"]["value"]),
                s(&b["swing"]),
            )
        })
        .collect();
    let s = |t: [&str; 6]| t.map(str::to_string);
    let want = vec![
        s(["discount_rate", "0%", "20%", "400.00", "200.00", "200.00"]),
        s(["retention", "60%", "80%", "120.00", "266.67", "146.67"]),
        s([
            "practical_share",
            "80%",
            "100%",
            "266.67",
            "293.33",
            "26.66",
        ]),
    ];
    let got: Vec<[String; 6]> = bars
        .into_iter()
        .map(|(a, b, c, d, e, f)| [a, b, c, d, e, f])
        .collect();
    assert_eq!(got, want);
    assert_eq!(doc["tornado"][1]["from"], "scenarios");
    let not_moved: Vec<&str> = doc["not_moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n[0].as_str().unwrap())
        .collect();
    assert_eq!(not_moved, ["revenue_goal", "big_order", "financial_weight"]);
    // Only the practical share's high end changed a rule table: its low end is its base.
    assert_eq!(doc["computed_again"], 1);
    // The page draws the tornado and the curves.
    let (code, page, err) = scorecard_in(
        dir.path(),
        &[
            "sensitivity",
            "plan.scorecard",
            "--kpi",
            "customer_lifetime_value",
            "--tornado",
            "--vary",
            "discount_rate=0%..20%:5%",
            "--format",
            "html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(page.contains("<svg class=\"tornado\"") && page.contains("<svg class=\"curves\""));
    assert!(page.contains("Content-Security-Policy"));
}

/// Every point is evaluated on the rows read once: the files are gone before the points are
/// evaluated, and a change to an allocation's capacity share is computed from the loaded rows.
#[test]
fn the_data_is_read_once_for_every_point() {
    let dir = fixture();
    let text = std::fs::read_to_string(dir.path().join("plan.scorecard")).unwrap();
    let base = scorecard::compile(&text).model.unwrap();
    let options = crate::support::options(dir.path());
    let (mut evaluator, first) =
        scorecard::rules::sensitivity::Evaluator::open(&base, &options).unwrap();
    for f in ["orders.csv", "departments.csv", "service_log.csv"] {
        std::fs::remove_file(dir.path().join(f)).unwrap();
    }
    let at = |set: &str| {
        let assumed =
            scorecard::model::parameter::assume(&base.parameters, None, &[set.to_string()])
                .unwrap();
        scorecard::check::compile_assuming(&text, &assumed)
            .model
            .unwrap()
    };
    let value = |e: &scorecard::rules::Evaluation, kpi: &str| {
        scorecard::rules::sensitivity::Outcome::of(e, kpi, "2026-Q1")
            .value
            .map(|v| v.to_string())
    };
    assert_eq!(
        value(&first, "customer_lifetime_value").as_deref(),
        Some("266.67")
    );
    let e = evaluator.evaluate(&at("discount_rate=0%")).unwrap();
    assert_eq!(
        value(&e, "customer_lifetime_value").as_deref(),
        Some("400.00")
    );
    let e = evaluator.evaluate(&at("practical_share=100%")).unwrap();
    assert_eq!(value(&e, "average_profit").as_deref(), Some("110.00"));
    let e = evaluator.evaluate(&at("big_order=100")).unwrap();
    assert_eq!(value(&e, "big_orders").as_deref(), Some("2"));
    assert_eq!(evaluator.computed_again, 2);
}

#[test]
fn a_sweep_that_cannot_be_made_is_refused() {
    let dir = fixture();
    for (args, code, says) in [
        (
            vec!["--vary", "retention=90%..60%:10%"],
            "scorecard::sensitivity::bad_range",
            "low value is above",
        ),
        (
            vec!["--vary", "retention=60%..90%:0%"],
            "scorecard::sensitivity::bad_range",
            "step is not above zero",
        ),
        (
            vec!["--vary", "retention=60%..90%"],
            "scorecard::sensitivity::bad_range",
            "needs a step",
        ),
        (
            vec!["--vary", "retention=0%..100%:0.01%"],
            "scorecard::sensitivity::bad_range",
            "more than 1000 values",
        ),
        (
            vec!["--vary", "retention=60..90:10"],
            "scorecard::parameter::unit",
            "written with `%`",
        ),
        (
            vec!["--vary", "churn=1%,2%"],
            "scorecard::parameter::unknown",
            "no parameter is named `churn`",
        ),
        (
            vec!["--vary", "retention=60%,60%"],
            "scorecard::sensitivity::bad_range",
            "listed twice",
        ),
        (
            vec!["--vary", "retention=60%", "--vary", "retention=70%"],
            "scorecard::parameter::set_twice",
            "varied twice",
        ),
        (
            vec![
                "--vary",
                "retention=60%",
                "--vary",
                "discount_rate=1%",
                "--vary",
                "big_order=1",
            ],
            "scorecard::sensitivity::bad_range",
            "3 parameters are varied",
        ),
        (
            vec![],
            "scorecard::sensitivity::bad_range",
            "nothing to vary",
        ),
        (
            vec!["--tornado", "--period", "2025-Q1"],
            "scorecard::run::bad_period",
            "is not a reported period",
        ),
    ] {
        let command = [
            "sensitivity",
            "plan.scorecard",
            "--kpi",
            "customer_lifetime_value",
        ];
        refused(dir.path(), (&command, &args), 2, (code, says));
    }
    let (exit, _, err) = scorecard_in(
        dir.path(),
        &["sensitivity", "plan.scorecard", "--kpi", "clv", "--tornado"],
    );
    assert_eq!(exit, 2);
    assert!(err.contains("scorecard::check::unknown_kpi"), "{err}");
}

/// A `clv` whose rates give no value says why, rather than leave an empty cell unexplained.
#[test]
fn a_clv_with_no_value_warns_why() {
    let dir = fixture();
    let doc = run(dir.path(), &["--set", "retention=120%"]);
    assert_eq!(total(&doc, "customer_lifetime_value").0, "");
    let warned = doc["warnings"].as_array().unwrap().iter().any(|w| {
        w["code"] == "scorecard::eval::clv_undefined"
            && w["message"]
                .as_str()
                .unwrap()
                .contains("a retention of 120% is not a share from 0% to 100%")
    });
    assert!(warned, "{}", doc["warnings"]);
    let doc = run(dir.path(), &["--set", "discount_rate=-20%"]);
    let warned = doc["warnings"].as_array().unwrap().iter().any(|w| {
        w["message"]
            .as_str()
            .unwrap()
            .contains("the margins never stop adding up")
    });
    assert!(warned, "{}", doc["warnings"]);
}

/// A scorecard that declares no parameter has nothing to vary.
#[test]
fn a_sweep_of_a_scorecard_without_parameters_is_refused() {
    let plain = "scorecard s { currency: USD  grain: month }\ndataset orders { source: \"orders.csv\"  time: day  columns: { id: text key  customer: text  day: date  revenue: money  cogs: money } }\nkpi revenue { value: sum(orders.revenue) }\n";
    let dir = crate::support::folder(&[("s.scorecard", plain), ("orders.csv", ORDERS)]);
    refused(
        dir.path(),
        (
            &["sensitivity", "s.scorecard", "--kpi", "revenue"],
            &["--tornado"],
        ),
        2,
        ("scorecard::sensitivity::bad_range", "declares no parameter"),
    );
}

/// A point with no value says why, in every format; and a tornado end at which the scorecard does
/// not check is a parameter not moved, with the reason, not the end of the tornado.
#[test]
fn a_sweep_says_why_a_point_has_no_value() {
    let dir = fixture();
    let args = [
        "sensitivity",
        "plan.scorecard",
        "--kpi",
        "customer_lifetime_value",
        "--vary",
        "retention=80%,120%",
    ];
    let doc = json(dir.path(), &[&args[..], &["--format", "json"]].concat());
    assert_eq!(doc["points"][1]["value"], Value::Null);
    let warning = doc["points"][1]["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("scorecard::eval::clv_undefined: "),
        "{warning}"
    );
    assert!(doc["points"][0].get("warnings").is_none());
    let (_, table, _) = scorecard_in(dir.path(), &args);
    assert!(
        table.contains("warning at retention 120%: scorecard::eval::clv_undefined"),
        "{table}"
    );
    let (_, csv, _) = scorecard_in(dir.path(), &[&args[..], &["--format", "csv"]].concat());
    assert!(
        csv.lines()
            .nth(2)
            .unwrap()
            .contains("a retention of 120% is not a share"),
        "{csv}"
    );
    // A weight's range reaching 0%: the tornado moves the others and says why not this one.
    let text = SCORECARD.replace(
        "base: 60% }\n\nperspective",
        "base: 60%  range: 0%, 70% }\n\nperspective",
    );
    assert_ne!(text, SCORECARD);
    std::fs::write(dir.path().join("plan.scorecard"), text).unwrap();
    let doc = json(
        dir.path(),
        &[
            "sensitivity",
            "plan.scorecard",
            "--kpi",
            "customer_lifetime_value",
            "--tornado",
            "--format",
            "json",
        ],
    );
    assert_eq!(doc["tornado"].as_array().unwrap().len(), 3);
    let why = doc["not_moved"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n[0] == "financial_weight")
        .unwrap();
    assert_eq!(
        why[1],
        "at financial_weight 0% the scorecard does not check: a weight is a number or percent above zero"
    );
}

/// `explain` takes a figure made under a scenario apart under the same assumptions, and says so.
#[test]
fn explain_takes_a_scenario_figure_apart() {
    let dir = fixture();
    let args = [
        "explain",
        "plan.scorecard",
        "customer_lifetime_value",
        "--period",
        "2026-Q1",
    ];
    let doc = json(
        dir.path(),
        &[&args[..], &["--scenario", "downside", "--format", "json"]].concat(),
    );
    assert_eq!(doc["result"]["value"], "100.00");
    assert_eq!(doc["manifest"]["scenario"], "downside");
    let (code, text, err) = scorecard_in(
        dir.path(),
        &[&args[..], &["--set", "discount_rate=0%"]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("assuming scenario base: discount_rate 0% (set), retention 80%"),
        "{text}"
    );
    assert!(
        text.contains("clv(avg(customer_pnl.profit), retention, discount_rate)"),
        "{text}"
    );
    refused(
        dir.path(),
        (&args, &["--scenario", "sideways"]),
        1,
        (
            "scorecard::parameter::unknown_scenario",
            "no scenario is named `sideways`",
        ),
    );
}
