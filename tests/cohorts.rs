//! Cohorts and back-testing customer lifetime value (docs/language.md, "Cohorts"), against a
//! three-cohort triangle worked by hand.
//!
//! Orders by month (revenue / cogs, margin in brackets):
//!
//! | customer | 2026-01          | 2026-02         | 2026-03          | 2026-04         |
//! |----------|------------------|-----------------|------------------|-----------------|
//! | a        | 100 / 60 (40)    | 50 / 30 (20)    |                  | 60 / 40 (20)    |
//! | b        | 200 / 100 (100)  |                 | 80 / 40 (40)     |                 |
//! | c        |                  | 300 / 200 (100) | 100 / 60 (40)    | 50 / 20 (30)    |
//! | d        |                  | 100 / 50 (50)   |                  |                 |
//! | e        |                  | 60 / 30 (30)    |                  |                 |
//! | f        |                  |                 | 400 / 300 (100)  | 100 / 50 (50)   |
//!
//! Cohorts: 2026-01 {a, b}, 2026-02 {c, d, e}, 2026-03 {f}. Lifetime value is predicted at 50%
//! retention, no discount, over 2 periods: clv(m) = m × (0.5 + 0.25) = 0.75 m. A customer lapses
//! after 2 months without an order and then counts 0 (`zeroed(after: 2)`).
//!
//! 2026-01 (2 customers). Age 0: both active, margin 140, 70 a customer, cumulative 70; predicted
//! clv(70) = 52.50; equity 2 × clv(140 / 2) = 105.00. Age 1 (February): a active, margin 20,
//! cumulative 80, retention 50%; realized 10; b inactive one month still counts: equity 2 ×
//! clv(160 / 3) = 2 × 40 = 80.00. Age 2: b active, margin 40, cumulative 100; realized 10 + 20 =
//! 30; equity 2 × clv(200 / 4) = 75.00. Age 3: a active, margin 20, cumulative 110; equity
//! 2 × clv(220 / 5) = 66.00.
//!
//! 2026-02 (3 customers). Age 0: margin 180, 60 a customer; predicted clv(60) = 45.00; equity
//! 3 × 45 = 135.00; revenue 460, 153.33 a customer. Age 1: c active (margin 40), retention 33.33%,
//! cumulative 73.33; realized 13.33; d and e one month inactive still count: equity 3 ×
//! clv(220 / 4) = 123.75. Age 2 (April): c active (30), cumulative 83.33, realized 23.33; d and e
//! lapsed, counted 0: equity 1 × clv(250 / 5) = 37.50.
//!
//! 2026-03 (1 customer): age 0 margin 100, equity 75.00; age 1 margin 50, cumulative 150, equity
//! clv(150 / 2) = 56.25.
//!
//! Customer equity by month, every cohort at its age: January 105.00, February 80 + 135 =
//! 215.00, March 75 + 123.75 + 75 = 273.75, April 66 + 37.50 + 56.25 = 159.75. The back-test
//! after two months, realized / predicted at age 2 (the prediction for ages 1 and 2 is the
//! lifetime value over the horizon of 2 here): March (the January cohort) 30 / 52.50 =
//! 57.1%, amber; April (February's) 23.33 / 45 = 51.8%, red.

use crate::support::scorecard_in;
use serde_json::Value;

const SCORECARD: &str = r#"
scorecard cohorts "Cohorts" { currency: USD  grain: month }

parameter retention "Monthly retention" { unit: percent  base: 50%  range: 40%, 60% }

dataset orders {
  source: "orders.csv"
  time: day
  complete_from: 2026-01-01
  extracted: 2026-05-01
  columns: { id: text key  customer: text  day: date  revenue: money  cogs: money }
}

cohort buyers "Customers by first order" {
  customer: orders.customer
  revenue: orders.revenue
  margin: orders.revenue - orders.cogs
  ages: 4
  lapsed: zeroed(after: 2)
  retention: retention
  discount: 0%
  horizon: 2
}

kpi new_customers { unit: count  value: sum(buyers.size where age = 0) }
kpi retained_after_one "Retention after a month" {
  unit: percent
  value: sum(buyers.active where age = 1) / sum(buyers.size where age = 1)
}
kpi customer_equity "Customer equity" { value: sum(buyers.equity) }
kpi predicted_after_one { value: sum(buyers.predicted where age = 1) }
kpi predicted_after_three { value: sum(buyers.predicted where age = 3) }
kpi lifetime_of_new { value: sum(buyers.lifetime where age = 0) }
kpi clv_backtest "Realized / predicted lifetime value after 2 months" {
  unit: percent
  value: sum(buyers.realized where age = 2) / sum(buyers.predicted where age = 2)
  thresholds: green >= 90%, amber >= 55%, red otherwise
}
"#;

const ORDERS: &str = "id,customer,day,revenue,cogs
1,a,2026-01-05,100.00,60.00
2,b,2026-01-20,200.00,100.00
3,a,2026-02-03,50.00,30.00
4,c,2026-02-10,300.00,200.00
5,d,2026-02-11,100.00,50.00
6,e,2026-02-28,60.00,30.00
7,b,2026-03-02,80.00,40.00
8,c,2026-03-15,100.00,60.00
9,f,2026-03-31,400.00,300.00
10,a,2026-04-01,60.00,40.00
11,c,2026-04-12,50.00,20.00
12,f,2026-04-30,100.00,50.00
";

fn run(extra: &[&str]) -> Value {
    let dir = crate::support::folder(&[("c.scorecard", SCORECARD), ("orders.csv", ORDERS)]);
    let mut args = vec!["run", "c.scorecard", "--format", "json", "--deterministic"];
    args.extend(extra);
    let (code, out, err) = scorecard_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn values(doc: &Value, kpi: &str) -> Vec<(String, String, String)> {
    let k = doc["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == kpi)
        .unwrap();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    k["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (s(&r["period"]), s(&r["value"]), s(&r["status"])))
        .collect()
}

/// A cohort as the test reads it: its period, size, and (retention, cumulative margin, equity) by
/// age.
type Cohort = (String, u64, Vec<(String, String, String)>);

fn strings(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn a_three_cohort_triangle() {
    let doc = run(&[]);
    let t = &doc["cohorts"][0];
    assert_eq!(t["cohort"], "buyers");
    let shown: Vec<Cohort> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let cells = r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        s(&c["retention"]),
                        s(&c["cumulative_margin"]),
                        s(&c["equity"]),
                    )
                })
                .collect();
            (s(&r["cohort"]), r["size"].as_u64().unwrap(), cells)
        })
        .collect();
    let c = |cells: &[(&str, &str, &str)]| strings(cells);
    assert_eq!(
        shown,
        vec![
            (
                "2026-01".into(),
                2,
                c(&[
                    ("1.0000", "70.00", "105.00"),
                    ("0.5000", "80.00", "80.00"),
                    ("0.5000", "100.00", "75.00"),
                    ("0.5000", "110.00", "66.00"),
                ])
            ),
            (
                "2026-02".into(),
                3,
                c(&[
                    ("1.0000", "60.00", "135.00"),
                    ("0.3333", "73.33", "123.75"),
                    ("0.3333", "83.33", "37.50"),
                ])
            ),
            (
                "2026-03".into(),
                1,
                c(&[("1.0000", "100.00", "75.00"), ("1.0000", "150.00", "56.25")])
            ),
        ]
    );
    assert_eq!(t["rows"][1]["cells"][0]["revenue_per_customer"], "153.33");
    assert_eq!(
        values(&doc, "new_customers"),
        strings(&[
            ("2026-01", "2", "unrated"),
            ("2026-02", "3", "unrated"),
            ("2026-03", "1", "unrated"),
            ("2026-04", "0", "unrated")
        ])
    );
    assert_eq!(
        values(&doc, "retained_after_one")[1..],
        strings(&[
            ("2026-02", "0.500", "unrated"),
            ("2026-03", "0.333", "unrated"),
            ("2026-04", "1.000", "unrated")
        ])[..]
    );
    assert_eq!(
        values(&doc, "customer_equity"),
        strings(&[
            ("2026-01", "105.00", "unrated"),
            ("2026-02", "215.00", "unrated"),
            ("2026-03", "273.75", "unrated"),
            ("2026-04", "159.75", "unrated")
        ])
    );
}

#[test]
fn a_back_test_is_a_kpi_with_thresholds() {
    let doc = run(&[]);
    assert_eq!(
        values(&doc, "clv_backtest")[2..],
        strings(&[("2026-03", "0.571", "amber"), ("2026-04", "0.518", "red")])[..]
    );
    // What age 0 predicted for one period (the January cohort, seen in February): 70 × 0.5 =
    // 35.00; over the horizon of two, each new cohort's 0.75 × its first margin a customer.
    assert_eq!(values(&doc, "predicted_after_one")[1].1, "35.00");
    // No further than the horizon of 2: at age 3 the January cohort's prediction is its
    // lifetime's, 52.50, not three periods' 61.25.
    assert_eq!(values(&doc, "predicted_after_three")[3].1, "52.50");
    let lifetimes: Vec<String> = values(&doc, "lifetime_of_new")
        .into_iter()
        .map(|v| v.1)
        .collect();
    assert_eq!(lifetimes, ["52.50", "45.00", "75.00", "0.00"]);
    // At 60% retention the prediction rises: clv(70) = 70 × (0.6 + 0.36) = 67.20, and the January
    // cohort's 30 realized is 44.6% of it, red.
    let doc = run(&["--set", "retention=60%"]);
    assert_eq!(
        values(&doc, "clv_backtest")[2],
        ("2026-03".into(), "0.446".into(), "red".into())
    );
}

/// A lapsed customer counts as the rule says: kept, it counts still (April's February cohort
/// counts all 3: 3 × 50 × 0.75 = 112.50); decayed by half a period, d and e, lapsed one period,
/// count a half each (2 × 37.50 = 75.00).
#[test]
fn the_lapsed_rule_decides_what_a_lapsed_customer_counts_for() {
    let equity_in_april = |rule: &str| {
        let text = SCORECARD.replace("lapsed: zeroed(after: 2)", rule);
        let dir = crate::support::folder(&[("c.scorecard", &text), ("orders.csv", ORDERS)]);
        let (code, out, err) =
            scorecard_in(dir.path(), &["run", "c.scorecard", "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        doc["cohorts"][0]["rows"][1]["cells"][2]["equity"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(equity_in_april("lapsed: zeroed(after: 2)"), "37.50");
    assert_eq!(equity_in_april("lapsed: kept"), "112.50");
    assert_eq!(
        equity_in_april("lapsed: decayed(keep: 50%, after: 2)"),
        "75.00"
    );
}

/// The triangle is in the terminal table, the Markdown, the workbook and the report's heat map.
#[test]
fn every_format_shows_the_triangle() {
    let dir = crate::support::folder(&[("c.scorecard", SCORECARD), ("orders.csv", ORDERS)]);
    let (_, table, _) = scorecard_in(dir.path(), &["run", "c.scorecard"]);
    assert!(
        table.contains("Customers by first order (buyers): Retention"),
        "{table}"
    );
    assert!(
        table.contains("│ 2026-02 ┆ 3         ┆ 100.00% ┆ 33.33%"),
        "{table}"
    );
    let (_, md, _) = scorecard_in(dir.path(), &["run", "c.scorecard", "--format", "markdown"]);
    assert!(
        md.contains("| 2026-01 | 2 | 70.00 | 80.00 | 100.00 | 110.00 |"),
        "{md}"
    );
    let (code, _, err) = scorecard_in(dir.path(), &["report", "c.scorecard", "-o", "r.html"]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(
        page.contains("<section id=\"cohorts\">") && page.contains("class=\"num heat4\">100.00%")
    );
    let (code, _, err) = scorecard_in(
        dir.path(),
        &["run", "c.scorecard", "--format", "xlsx", "-o", "r.xlsx"],
    );
    assert_eq!(code, 0, "{err}");
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.path().join("r.xlsx")).unwrap();
    let sheet = book.worksheet_range("Cohorts").unwrap();
    assert_eq!(sheet.height(), 1 + 4 + 3 + 2);
}

/// `ages` limits the triangle shown, not the table: customer equity is the same at `ages: 1`,
/// where the triangle has age 0 only.
#[test]
fn ages_limit_the_triangle_not_the_figures() {
    let text = SCORECARD.replace("ages: 4", "ages: 1");
    let dir = crate::support::folder(&[("c.scorecard", &text), ("orders.csv", ORDERS)]);
    let (code, out, err) = scorecard_in(dir.path(), &["run", "c.scorecard", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let equity: Vec<String> = values(&doc, "customer_equity")
        .into_iter()
        .map(|v| v.1)
        .collect();
    assert_eq!(equity, ["105.00", "215.00", "273.75", "159.75"]);
    assert_eq!(values(&doc, "clv_backtest")[2].1, "0.571");
    let cells: Vec<usize> = doc["cohorts"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cells"].as_array().unwrap().len())
        .collect();
    assert_eq!(cells, [1, 1, 1]);
}

/// Revenue no cohort holds is said: a row naming no customer (40.00), and with `start:` a
/// customer with no start row (f: 500.00) and orders before a customer's start (a's January
/// 100.00, when a signed up in February).
#[test]
fn what_no_cohort_holds_is_warned_of() {
    let orders = format!("{ORDERS}13,,2026-02-01,40.00,10.00\n");
    let text = SCORECARD.replace(
        "cohort buyers",
        "dataset signups { source: \"signups.csv\"  time: day  columns: { customer: text  day: date } }\ncohort buyers",
    ).replace("  revenue: orders.revenue\n  margin", "  start: signups\n  revenue: orders.revenue\n  margin");
    // g signs up in April and never orders: April's cohort has no activity yet.
    let signups = "customer,day\na,2026-02-01\nb,2026-01-02\nc,2026-02-01\nd,2026-02-01\ne,2026-02-01\ng,2026-04-05\n";
    let dir = crate::support::folder(&[
        ("c.scorecard", &text),
        ("orders.csv", &orders),
        ("signups.csv", signups),
    ]);
    let (code, out, err) = scorecard_in(dir.path(), &["run", "c.scorecard", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let warning = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "scorecard::eval::cohort_left_out")
        .unwrap_or_else(|| panic!("{}", doc["warnings"]));
    assert_eq!(
        warning["message"],
        "cohort `buyers` leaves out 40.00 of revenue in rows naming no customer, 1 customer with no row in `signups` (500.00 of revenue), 100.00 of revenue before customers' first period in `signups`: no cohort holds it"
    );
    // a joins the February cohort by its signup: four customers start in February.
    assert_eq!(values(&doc, "new_customers")[1].1, "4");
    // April's cohort of one has earned nothing to value: its equity is 0, not left out unsaid.
    let rows = doc["cohorts"][0]["rows"].as_array().unwrap();
    let april = rows.iter().find(|r| r["cohort"] == "2026-04").unwrap();
    assert_eq!(april["cells"][0]["equity"], "0.00");
}

/// For ever at a retention not below 1 + discount, a lifetime value never stops adding up: the
/// file's error at the retention, under `--set` too.
#[test]
fn a_cohort_whose_lifetime_value_diverges_is_refused() {
    let text = SCORECARD.replace("  horizon: 2\n", "");
    let dir = crate::support::folder(&[("c.scorecard", &text), ("orders.csv", ORDERS)]);
    let (code, _, err) = scorecard_in(
        dir.path(),
        &["run", "c.scorecard", "--set", "retention=100%"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("never stops adding up") && err.contains("c.scorecard:"),
        "{err}"
    );
    let (code, _, err) = scorecard_in(dir.path(), &["run", "c.scorecard"]);
    assert_eq!(code, 0, "{err}");
}

/// An audience that may not see a KPI over the cohort's table sees no triangle: its cells add up
/// to the KPI.
#[test]
fn a_hidden_cohort_kpi_hides_the_triangle() {
    let text = format!("{SCORECARD}\naudience board {{ hide: [customer_equity] }}\naudience staff {{ hide: [clv_backtest] }}\n");
    let dir = crate::support::folder(&[("c.scorecard", &text), ("orders.csv", ORDERS)]);
    let shown = |audience: &str| {
        let args = [
            "run",
            "c.scorecard",
            "--format",
            "json",
            "--audience",
            audience,
        ];
        let (code, out, err) = scorecard_in(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        doc.get("cohorts").is_some()
    };
    assert!(!shown("board"));
    assert!(!shown("staff"));
}

/// A row whose margin reads an empty cell has no margin: the cohort leaves it out and says so,
/// rather than count it as 0 unsaid. And an audience that may not see the cohort is not told of
/// its rows either.
#[test]
fn an_empty_amount_is_warned_of_and_the_warning_follows_the_triangle() {
    let orders = ORDERS.replace("1,a,2026-01-05,100.00,60.00", "1,a,2026-01-05,100.00,");
    let text = format!("{SCORECARD}\naudience board {{ hide: [customer_equity] }}\n");
    let dir = crate::support::folder(&[("c.scorecard", &text), ("orders.csv", &orders)]);
    let warned = |extra: &[&str]| {
        let mut args = vec!["run", "c.scorecard", "--format", "json"];
        args.extend(extra);
        let (code, out, err) = scorecard_in(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        let found = doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == "scorecard::eval::cohort_left_out")
            .cloned();
        (
            found.map(|w| w["message"].as_str().unwrap().to_string()),
            doc,
        )
    };
    let (message, doc) = warned(&[]);
    assert_eq!(
        message.as_deref(),
        Some("cohort `buyers` leaves out the margin of 1 row with no value: no cohort holds it")
    );
    // January's margin is b's 100 alone: 50.00 a customer of two.
    assert_eq!(
        doc["cohorts"][0]["rows"][0]["cells"][0]["margin_per_customer"],
        "50.00"
    );
    let (message, doc) = warned(&["--audience", "board"]);
    assert!(doc.get("cohorts").is_none());
    assert_eq!(message, None);
}
