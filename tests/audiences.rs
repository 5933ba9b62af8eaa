//! Audiences (docs/audiences.md): for each audience of a test scorecard, every output format
//! (terminal table, JSON, CSV, Markdown, Excel, the HTML report, `explain`, `diff`, the strategy
//! map, a published ledger record) is rendered and searched for every value, label and segment
//! name the audience must not see; small-cell suppression is checked against a table worked by
//! hand.
//!
//! The fixture, worked by hand. Sales by region and month (customers in brackets):
//!
//! | region    | 2026-01                              | 2026-02                                |
//! |-----------|--------------------------------------|----------------------------------------|
//! | Eastpoint | 2500.44 (1: Fjord)                   | 700.04 + 500.05 + 250.06 = 1450.15 (3) |
//! | Northwind | 500.00 + 700.00 + 1200.00 = 2400.00 (3) | 800.10 + 600.20 = 1400.30 (2)       |
//! | Southgate | 900.11 + 300.22 = 1200.33 (2)        | 1100.01 + 200.02 + 300.03 = 1600.06 (3) |
//! | Westfield | 400.55 + 450.66 + 150.77 = 1001.98 (3) | 900.07 + 350.08 + 100.09 = 1350.24 (3) |
//! | total     | 7102.75 (9)                          | 5800.75 (11)                           |
//!
//! Budgets: January Eastpoint 2000, Northwind 2000, Southgate 1500, Westfield 1200 (6700);
//! February 1400, 1500, 1500, 1500 (5900). Revenue is green at or over budget, else red: January
//! Southgate and Westfield are red; February Northwind and Westfield, and the total (5800.75
//! under 5900), are red. Large deals (sales of 1000 or more): January Northwind 1200.00 and
//! Eastpoint 2500.44 (3700.44 in all), February Southgate 1100.01. Payroll, a company-wide
//! dataset with no region: 3000.00 and 3100.00.
//!
//! Suppression for `agency` (fewer than 3 distinct customers): January Southgate (2) and Eastpoint
//! (1) are small; two cells are withheld, so no complement is needed. February Northwind (2) is
//! the only small cell: the total and the other three would give it away (5800.75 − 1600.06 −
//! 1350.24 − 1450.15 = 1400.30), so the first other segment in order, Eastpoint, is withheld too,
//! leaving 2850.45 for the two together. `south_sales`, Southgate's sales as a KPI of its own, is
//! counted over the rows it reads: January's 1200.33 (2 customers) is withheld, February's
//! 1600.06 (3) is shown. `revenue_before` reads January in February, so it is counted in
//! January: Southgate's February shows nothing of January's 1200.33. `average_big_deal` has no
//! value where a region had no large deal (a division by zero), and such a cell counts none of
//! them: suppressed, with its warning.

use crate::support::scorecard_in;
use serde_json::Value;
use std::path::Path;

const SCORECARD: &str = r#"
scorecard audience_test "Regional sales" { currency: USD  grain: month }

dataset sales {
  source: "sales.csv"
  time: day
  complete_from: 2026-01-01
  extracted: 2026-03-01
  columns: {
    id:       text key
    day:      date
    region:   text
    customer: text
    amount:   money
  }
  checks: {
    known_region: accepted(region, ["Eastpoint", "Northwind", "Southgate", "Westfield"])
    usual_sale:   range(amount, 0, 2000)  // fails on line 7, Fjord Shipping's 2500.44
  }
}

dataset budget {
  source: "budget.csv"
  time: month
  grain: month
  columns: { month: date  region: text  amount: money }
}

dataset payroll {
  source: "payroll.csv"
  time: month
  grain: month
  columns: { month: date  amount: money }
}

perspective financial "Financial" { weight: 60% }
perspective people "People" { weight: 40% }
objective sell "Sell to plan" { perspective: financial }
objective staff "Staff the business" { perspective: people }

kpi revenue "Revenue" {
  objective: sell
  unit: money
  value: sum(sales.amount)
  target: sum(budget.amount)
  thresholds: green >= target, red otherwise
  by: region
}

kpi customers "Customers" {
  objective: sell
  unit: count
  value: count_distinct(sales.customer)
  by: region
}

kpi big_deals "Large deals" {
  objective: sell
  unit: money
  value: sum(sales.amount where amount >= 1000)
  by: region
}

/// One region's sales as a KPI of its own: a figure of that region, whatever the segment.
kpi south_sales "South sales" {
  unit: money
  value: sum(sales.amount where region = "Southgate")
}

/// Last month's revenue: read a period back, so counted a period back.
kpi revenue_before "Revenue the month before" {
  unit: money
  value: revenue[-1]
  by: region
}

/// No value where a region had no large deal: a division by zero.
kpi average_big_deal "Average large deal" {
  unit: money
  value: big_deals / count(sales where amount >= 1000)
  by: region
}

/// Each customer's sales: one entity per cell.
kpi customer_sales "Sales per customer" {
  unit: money
  value: sum(sales.amount)
  by: customer
}

kpi payroll_cost "Payroll cost" {
  objective: staff
  unit: money
  value: sum(payroll.amount)
  target: 3000
  better: lower
}

kpi revenue_per_payroll "Revenue per payroll dollar" {
  unit: ratio
  value: revenue / payroll_cost
}

escalation revenue_low "Revenue under budget" {
  when: revenue is red for 1 period
  severity: high
  owner: "Sales lead"
  message: "Revenue in {region} is {value} against {target} in {period}"
}

/// Regional management: its own region's rows, and them alone.
audience north "Northwind management" {
  segments: region = "Northwind"
  rows: visible
}

/// The board sees every segment, but not the large deals.
audience board "The board" {
  hide: [big_deals]
}

/// Two regions' figures beside the company's totals, without the payroll.
audience east_north "Eastpoint and Northwind" {
  segments: region in ["Eastpoint", "Northwind"]
  totals: visible
  hide: [payroll]
}

/// An agency: no individual customers, no people figures.
audience agency "Marketing agency" {
  hide: [people]
  suppress: count_distinct(sales.customer) < 3
}
"#;

const SALES: &str = "id,day,region,customer,amount
s01,2026-01-05,Northwind,Acme Foods,500.00
s02,2026-01-06,Northwind,Bolt Bikes,700.00
s03,2026-01-07,Northwind,Cobalt Labs,1200.00
s04,2026-01-08,Southgate,Dune Retail,900.11
s05,2026-01-09,Southgate,Ember Cafe,300.22
s06,2026-01-10,Eastpoint,Fjord Shipping,2500.44
s07,2026-01-11,Westfield,Garnet Tools,400.55
s08,2026-01-12,Westfield,Harbor Books,450.66
s09,2026-01-13,Westfield,Indigo Print,150.77
s10,2026-02-03,Northwind,Acme Foods,800.10
s11,2026-02-04,Northwind,Bolt Bikes,600.20
s12,2026-02-05,Southgate,Dune Retail,1100.01
s13,2026-02-06,Southgate,Ember Cafe,200.02
s14,2026-02-07,Southgate,Jade Garden,300.03
s15,2026-02-08,Eastpoint,Fjord Shipping,700.04
s16,2026-02-09,Eastpoint,Kiln Pottery,500.05
s17,2026-02-10,Eastpoint,Lumen Optics,250.06
s18,2026-02-11,Westfield,Maple Dairy,900.07
s19,2026-02-12,Westfield,Nimbus Air,350.08
s20,2026-02-13,Westfield,Onyx Stone,100.09
";

const BUDGET: &str = "month,region,amount
2026-01-01,Eastpoint,2000.00
2026-01-01,Northwind,2000.00
2026-01-01,Southgate,1500.00
2026-01-01,Westfield,1200.00
2026-02-01,Eastpoint,1400.00
2026-02-01,Northwind,1500.00
2026-02-01,Southgate,1500.00
2026-02-01,Westfield,1500.00
";

const PAYROLL: &str = "month,amount
2026-01-01,3000.00
2026-02-01,3100.00
";

/// The project: the scorecard, its data, a ledger, and the members of one audience.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    put("sales.scorecard", SCORECARD);
    put("sales.csv", SALES);
    put("budget.csv", BUDGET);
    put("payroll.csv", PAYROLL);
    put(
        "scorecard.toml",
        "[audiences.north]\nmembers = [\"nora@northwind.example\", \"group:northwind-managers\"]\n",
    );
    // The version before: revenue against a flat 1000, so that every status differs.
    put(
        "before.scorecard",
        &SCORECARD.replace("target: sum(budget.amount)", "target: 1000"),
    );
    dir
}

/// Runs the binary, which must succeed; its standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = scorecard_in(dir, args);
    assert_eq!(code, 0, "{args:?} failed: {err}");
    out
}

/// Every text cell and number of every sheet of a workbook, one per line.
fn workbook_text(path: &Path) -> String {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                out.push_str(&cell.to_string());
                out.push('\n');
            }
        }
    }
    out
}

/// Every output an audience can be given, by name: each format of `run`, the report, `explain`
/// of a value it may see, `diff` with data, the strategy map, and its published record.
fn outputs(dir: &Path, audience: &str, explained: &[&str]) -> Vec<(String, String)> {
    let a = ["--audience", audience];
    let run = |format: &str| {
        let mut args = vec![
            "run",
            "sales.scorecard",
            "--format",
            format,
            "--deterministic",
        ];
        args.extend(a);
        ok(dir, &args)
    };
    let mut out = vec![
        ("table".to_string(), run("table")),
        ("json".to_string(), run("json")),
        ("csv".to_string(), run("csv")),
        ("markdown".to_string(), run("markdown")),
    ];
    let xlsx = dir.join(format!("{audience}.xlsx"));
    let mut args = vec!["run", "sales.scorecard", "--format", "xlsx", "-o"];
    let xlsx_arg = xlsx.display().to_string();
    args.push(&xlsx_arg);
    args.extend(a);
    ok(dir, &args);
    out.push(("xlsx".into(), workbook_text(&xlsx)));
    let html = dir.join(format!("{audience}.html"));
    let html_arg = html.display().to_string();
    let mut args = vec![
        "report",
        "sales.scorecard",
        "--deterministic",
        "-o",
        &html_arg,
    ];
    args.extend(a);
    ok(dir, &args);
    out.push(("html".into(), std::fs::read_to_string(&html).unwrap()));
    for format in ["text", "json"]
        .into_iter()
        .filter(|_| !explained.is_empty())
    {
        let mut args = vec!["explain", "sales.scorecard"];
        args.extend(explained);
        args.extend(["--rows", "50", "--format", format]);
        args.extend(a);
        out.push((format!("explain {format}"), ok(dir, &args)));
    }
    for format in ["text", "json"] {
        let mut args = vec![
            "diff",
            "before.scorecard",
            "sales.scorecard",
            "--data",
            ".",
            "--format",
            format,
        ];
        args.extend(a);
        out.push((format!("diff {format}"), ok(dir, &args)));
    }
    for format in ["dot", "mermaid"] {
        let mut args = vec!["graph", "sales.scorecard", "--format", format];
        args.extend(a);
        out.push((format!("graph {format}"), ok(dir, &args)));
    }
    let mut args = vec![
        "publish",
        "sales.scorecard",
        "--period",
        "2026-01",
        "--approved-by",
        "Controller",
    ];
    args.extend(a);
    ok(dir, &args);
    let ledger = std::fs::read_dir(dir.join("ledger")).unwrap();
    let last = ledger.map(|e| e.unwrap().path()).max().unwrap();
    out.push((
        "ledger record".into(),
        std::fs::read_to_string(last).unwrap(),
    ));
    out
}

/// `run FILE --format json` with `extra` arguments in `dir`: the document, as text and parsed.
fn run_json(dir: &Path, file: &str, extra: &[&str]) -> (String, Value) {
    let mut args = vec!["run", file, "--format", "json"];
    args.extend(extra);
    let out = ok(dir, &args);
    let v = serde_json::from_str(&out).unwrap();
    (out, v)
}

/// Each escalation episode of a run's JSON as its segment and the period it was raised in.
fn episodes(run: &Value) -> Vec<String> {
    let all = run["escalations"].as_array().unwrap().iter();
    all.map(|x| format!("{} {}", x["segment"], x["raised"]))
        .collect()
}

/// `explain` of January's revenue total for `audience` is refused with the audience code `code`.
fn explain_refused(dir: &Path, audience: &str, extra: &[&str], code: &str) {
    let mut args = vec![
        "explain",
        "sales.scorecard",
        "revenue",
        "--period",
        "2026-01",
    ];
    args.extend(["--audience", audience]);
    args.extend(extra);
    let (exit, _, err) = scorecard_in(dir, &args);
    assert_eq!(exit, 2, "{err}");
    let expected = format!("error[scorecard::audience::{code}]");
    assert!(err.contains(&expected), "{err}");
}

/// Fails, naming the output and the text, when any output holds anything forbidden; and when an
/// output is missing what it must show, so that a search of an empty output cannot pass.
fn assert_withheld(outputs: &[(String, String)], forbidden: &[&str], shown: &[&str]) {
    for (name, text) in outputs {
        for f in forbidden {
            assert!(
                !text.contains(f),
                "the {name} output holds `{f}`, which the audience may not see:\n{text}"
            );
        }
    }
    for s in shown {
        let (name, text) = outputs
            .iter()
            .find(|(n, _)| n == "json")
            .expect("a JSON output");
        assert!(text.contains(s), "the {name} output lacks `{s}`:\n{text}");
    }
}

#[test]
fn a_region_sees_its_own_rows_and_nothing_of_the_rest() {
    let dir = project();
    let outputs = outputs(dir.path(), "north", &["revenue", "--period", "2026-01"]);
    let others = [
        "Southgate",
        "Eastpoint",
        "Westfield", // other regions
        "Dune Retail",
        "Fjord Shipping",
        "Maple Dairy", // their customers
        "1200.33",
        "2500.44",
        "1001.98",
        "1600.06",
        "1450.15",
        "1350.24", // their revenue
        "7102.75",
        "5800.75",
        "3700.44", // the company's totals
        "Payroll cost",
        "payroll_cost",
        "Revenue per payroll",
        "3000.00",
        "3100.00", // payroll
        "payroll.csv",
        "South sales",
        "south_sales",
    ];
    // Its own region's figures: January 2400.00 against 2000.00, February 1400.30 (red).
    let own = ["Northwind", "2400.00", "1400.30", "Northwind management"];
    assert_withheld(&outputs, &others, &own);
    // Its rows are listed by `explain`: the three January sales, 2400.00 in all.
    let (_, explained) = outputs.iter().find(|(n, _)| n == "explain json").unwrap();
    let e: Value = serde_json::from_str(explained).unwrap();
    let rows = e["aggregates"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{explained}");
    assert_eq!(e["manifest"]["audience"]["name"], "north");
    // The manifest records the audience, and its total is its own region's.
    let (_, json) = outputs.iter().find(|(n, _)| n == "json").unwrap();
    let run: Value = serde_json::from_str(json).unwrap();
    assert_eq!(run["manifest"]["audience"]["name"], "north");
    assert_eq!(run["manifest"]["audience"]["label"], "Northwind management");
    let revenue = &run["kpis"][0]["results"];
    assert_eq!(revenue[0]["segment"], serde_json::json!({}));
    assert_eq!(revenue[0]["value"], "2400.00");
    // Payroll has no region: its figures are over every region, so the people perspective and
    // the overall score are withheld, and said to be.
    let people = run["perspectives"].as_array().unwrap();
    let people = people.iter().find(|p| p["name"] == "people").unwrap();
    assert_eq!(people["results"][0]["withheld"], true);
    assert_eq!(people["results"][0]["score"], Value::Null);
    assert_eq!(run["overall"][0]["withheld"], true);
    // The HTML report says whose view it is.
    let (_, html) = outputs.iter().find(|(n, _)| n == "html").unwrap();
    assert!(html.contains("Prepared for"), "{html}");
    // Its withheld scores say so, in the header and in the scores by perspective.
    assert!(
        html.contains("<td>People</td><td class=\"num\">withheld</td>"),
        "{html}"
    );
}

#[test]
fn a_member_named_in_the_project_gets_the_audience_view() {
    let dir = project();
    let member = ["--audience", "nora@northwind.example"];
    let (out, run) = run_json(dir.path(), "sales.scorecard", &member);
    assert_eq!(run["manifest"]["audience"]["name"], "north");
    assert_eq!(
        run["manifest"]["audience"]["member"],
        "nora@northwind.example"
    );
    assert!(!out.contains("Southgate"));
}

#[test]
fn a_hidden_kpi_and_every_score_computed_from_it_are_withheld() {
    let dir = project();
    let outputs = outputs(dir.path(), "board", &["revenue", "--period", "2026-02"]);
    // The failing check's lines are source rows: its warning and entry keep only the counts.
    let hidden = [
        "Large deals",
        "big_deals",
        "3700.44",
        "sales.csv:7",
        "first at",
    ];
    // Every region is shown, and the company total, and the failed check by its counts.
    let shown = [
        "Southgate",
        "7102.75",
        "5800.75",
        "Payroll cost",
        "usual_sale",
    ];
    assert_withheld(&outputs, &hidden, &shown);
    let (_, json) = outputs.iter().find(|(n, _)| n == "json").unwrap();
    let run: Value = serde_json::from_str(json).unwrap();
    let objectives = run["objectives"].as_array().unwrap();
    let sell = objectives.iter().find(|o| o["name"] == "sell").unwrap();
    assert_eq!(sell["results"][0]["withheld"], true);
    let staff = objectives.iter().find(|o| o["name"] == "staff").unwrap();
    assert_eq!(staff["results"][0].get("withheld"), None);
    // January payroll 3000.00 meets its target of 3000 (lower is better): scored.
    assert_ne!(staff["results"][0]["score"], Value::Null);
    // The board may not see rows: `explain` shows the working, not the rows.
    let (_, explained) = outputs.iter().find(|(n, _)| n == "explain json").unwrap();
    let e: Value = serde_json::from_str(explained).unwrap();
    assert_eq!(e["aggregates"][0]["rows"].as_array().unwrap().len(), 0);
    assert!(!explained.contains("Acme Foods"), "{explained}");
}

#[test]
fn an_audience_that_sees_totals_sees_the_companys_and_its_own_segments() {
    let dir = project();
    let outputs = outputs(
        dir.path(),
        "east_north",
        &[
            "revenue",
            "--period",
            "2026-01",
            "--segment",
            "region=Eastpoint",
        ],
    );
    let others = [
        "Southgate",
        "Westfield",
        "Dune Retail",
        "Maple Dairy",
        "1200.33",
        "1001.98",
        "1600.06",
        "1350.24",
        "Payroll cost",
        "payroll.csv",
        "South sales",
    ];
    // The company's totals, and its two regions.
    let shown = [
        "7102.75", "5800.75", "2500.44", "2400.00", "1450.15", "1400.30",
    ];
    assert_withheld(&outputs, &others, &shown);
    // The total's escalation (February, 5800.75 under 5900) is shown; Westfield's is not.
    let (_, json) = outputs.iter().find(|(n, _)| n == "json").unwrap();
    let run: Value = serde_json::from_str(json).unwrap();
    let episodes = episodes(&run);
    assert_eq!(
        episodes,
        [r#"{} "2026-02""#, r#"{"region":"Northwind"} "2026-02""#],
        "{json}"
    );
}

#[test]
fn an_audience_that_sees_totals_is_refused_the_rows_of_a_total() {
    let dir = project();
    let extra = ["--rows-out", "rows.csv"];
    explain_refused(dir.path(), "east_north", &extra, "rows_withheld");
    assert!(!dir.path().join("rows.csv").exists());
}

/// The agency's revenue table, worked by hand (see the top of this file).
#[test]
fn small_cells_are_suppressed_with_their_complements() {
    let dir = project();
    let outputs = outputs(dir.path(), "agency", &[]);
    let (_, json) = outputs.iter().find(|(n, _)| n == "json").unwrap();
    let run: Value = serde_json::from_str(json).unwrap();
    let revenue = run["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "revenue")
        .unwrap();
    let table: Vec<(String, String, String, String)> = revenue["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let region = r["segment"]["region"]
                .as_str()
                .unwrap_or("total")
                .to_string();
            let value = r["value"].as_str().unwrap_or("null").to_string();
            let status = r["status"].as_str().unwrap().to_string();
            (
                r["period"].as_str().unwrap().to_string(),
                region,
                value,
                status,
            )
        })
        .collect();
    let expected = [
        ("2026-01", "total", "7102.75", "green"),
        ("2026-01", "Eastpoint", "null", "suppressed"),
        ("2026-01", "Northwind", "2400.00", "green"),
        ("2026-01", "Southgate", "null", "suppressed"),
        ("2026-01", "Westfield", "1001.98", "red"),
        ("2026-02", "total", "5800.75", "red"),
        ("2026-02", "Eastpoint", "null", "suppressed"),
        ("2026-02", "Northwind", "null", "suppressed"),
        ("2026-02", "Southgate", "1600.06", "green"),
        ("2026-02", "Westfield", "1350.24", "red"),
    ];
    let expected: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(table, expected, "{json}");
    // A KPI of one region's rows is that region's cell, counted over the rows it reads.
    let south = run["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "south_sales")
        .unwrap();
    let south: Vec<(&str, &str)> = south["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap_or("null"),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        south,
        [("null", "suppressed"), ("1600.06", "unrated")],
        "{json}"
    );
    // A suppressed cell has no target, variance, score or bands either.
    let cell = &revenue["results"][1];
    for field in ["target", "variance", "score"] {
        assert_eq!(cell[field], Value::Null, "{field}: {cell}");
    }
    assert!(cell.get("bands").is_none(), "{cell}");
    // No output holds a suppressed value, the people figures, or the customers' names.
    let withheld = [
        "1200.33",
        "2500.44",
        "1400.30",
        "1450.15",
        "Payroll cost",
        "3000.00",
        "Acme Foods",
        "Fjord Shipping",
    ];
    assert_withheld(&outputs, &withheld, &["1600.06", "suppressed"]);
    // Escalations in suppressed cells are withheld: Southgate (January, a small cell) and
    // Northwind (February); Westfield's and the total's are shown.
    let episodes = episodes(&run);
    assert_eq!(
        episodes,
        [r#"{} "2026-02""#, r#"{"region":"Westfield"} "2026-01""#],
        "{json}"
    );
    // The terminal table says suppressed, not "no value".
    let (_, table) = outputs.iter().find(|(n, _)| n == "table").unwrap();
    assert!(table.contains("suppressed"), "{table}");
}

#[test]
fn an_audience_whose_cells_are_suppressed_is_not_shown_workings() {
    let dir = project();
    explain_refused(dir.path(), "agency", &[], "withheld");
}

#[test]
fn each_audience_publishes_its_own_record() {
    let dir = project();
    let publish = |extra: &[&str]| {
        let mut args = vec![
            "publish",
            "sales.scorecard",
            "--period",
            "2026-01",
            "--approved-by",
            "Controller",
        ];
        args.extend(extra);
        scorecard_in(dir.path(), &args)
    };
    assert_eq!(publish(&[]).0, 0);
    assert_eq!(publish(&["--audience", "north"]).0, 0);
    // Publishing the same audience's period twice is refused, as for the whole scorecard.
    let (code, _, err) = publish(&["--audience", "north"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("scorecard::ledger::published"), "{err}");
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("ledger/000002.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["record"]["audience"], "north");
    // Its overall score is withheld (payroll has no region), and the record says so.
    let scores = record["record"]["scores"].as_array().unwrap();
    let overall = scores.iter().find(|s| s["of"] == "overall").unwrap();
    assert_eq!(overall["withheld"], true, "{overall}");
    assert_eq!(overall["score"], Value::Null, "{overall}");
    assert_eq!(record["record"]["definition"], "");
    assert_eq!(record["record"]["rows"], serde_json::json!({}));
    let (code, out, err) = scorecard_in(dir.path(), &["ledger", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_diff_names_a_changed_audience_but_an_audience_sees_no_audiences_rules() {
    let dir = project();
    let wider = SCORECARD.replace(
        r#"segments: region = "Northwind""#,
        r#"segments: region in ["Northwind", "Southgate"]"#,
    );
    std::fs::write(dir.path().join("wider.scorecard"), wider).unwrap();
    let whole = ok(
        dir.path(),
        &[
            "diff",
            "sales.scorecard",
            "wider.scorecard",
            "--format",
            "json",
        ],
    );
    let d: Value = serde_json::from_str(&whole).unwrap();
    let changes = d["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{whole}");
    assert_eq!(changes[0]["kind"], "audience");
    assert_eq!(changes[0]["name"], "north");
    // The board's view of the same change: no audience's rules (they name what each hides).
    let board = ok(
        dir.path(),
        &[
            "diff",
            "sales.scorecard",
            "wider.scorecard",
            "--format",
            "json",
            "--audience",
            "board",
        ],
    );
    let d: Value = serde_json::from_str(&board).unwrap();
    assert_eq!(d["changes"], serde_json::json!([]), "{board}");
    assert!(!board.contains("big_deals"), "{board}");
}

/// Each aggregate counted in the period it reads; a cell without value counted too; a period the
/// data covers only in part withheld whole.
#[test]
fn suppression_follows_the_periods_a_value_reads() {
    let dir = project();
    let run = |extra: &[&str]| {
        let mut args = vec!["--audience", "agency"];
        args.extend(extra);
        run_json(dir.path(), "sales.scorecard", &args)
    };
    let (out, v) = run(&[]);
    let kpi = |name: &str| {
        let all = v["kpis"].as_array().unwrap().iter();
        let found = all.clone().find(|k| k["name"] == name).unwrap();
        let rows = found["results"].as_array().unwrap().iter();
        rows.map(|r| {
            let region = r["segment"]["region"].as_str().unwrap_or("total");
            let value = r["value"].as_str().unwrap_or("null");
            let status = r["status"].as_str().unwrap();
            format!(
                "{} {region} {value} {status}",
                r["period"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
    };
    // February reads January: Southgate and Eastpoint were small cells there.
    let before = kpi("revenue_before");
    assert!(
        before.contains(&"2026-02 Southgate null suppressed".to_string()),
        "{before:?}"
    );
    assert!(
        before.contains(&"2026-02 Eastpoint null suppressed".to_string()),
        "{before:?}"
    );
    assert!(
        before.contains(&"2026-02 Westfield 1001.98 unrated".to_string()),
        "{before:?}"
    );
    // Southgate had no large deal in January: no value from no rows is a small cell.
    let average = kpi("average_big_deal");
    assert!(
        average.contains(&"2026-01 Southgate null suppressed".to_string()),
        "{average:?}"
    );
    assert!(!out.contains("division by zero"), "{out}");
    // As of 12 February, February is partial: withheld whole, so that two runs a day apart
    // cannot be subtracted.
    let (out, v) = run(&["--as-of", "2026-02-12"]);
    assert!(!out.contains("1450.15"), "{out}");
    let february = v["kpis"][0]["results"].as_array().unwrap().iter();
    let statuses: Vec<&str> = february
        .filter(|r| r["period"] == "2026-02")
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["suppressed"; 5], "{out}");
}

/// A rule's table is made from every row, as for everyone, and then kept to the audience's
/// segments. Worked by hand (last touch): c1 was touched by search and bought 100.00; c2 by
/// social, 200.00; c3 by search and then social, 300.00. Search earns 100.00 and social 500.00.
/// Were the touches kept to search before crediting, c3's last touch would be search, and search
/// would show 400.00.
#[test]
fn a_rule_credits_from_every_row_and_the_audience_sees_its_own_share() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    put(
        "m.scorecard",
        r#"
scorecard m { currency: USD  grain: month }
dataset touches {
  source: "touches.csv"
  time: at
  complete_from: 2025-11-01  // a month before the first sale: every sale's 30-day window is read
  extracted: 2026-02-01
  columns: { customer: text  at: date  channel: text }
}
dataset sales {
  source: "sales.csv"
  time: day
  complete_from: 2026-01-01
  extracted: 2026-02-01
  columns: { sale: text key  customer: text  day: date  amount: money }
}
attribution credit "Credit" {
  touches: touches
  conversions: sales
  match: touches.customer = sales.customer
  window: 30 days
  value: sales.amount
  credit_to: touches.channel
  model: last_touch
}
kpi credited "Credited revenue" { value: attributed(credit)  by: channel }
kpi sold "Revenue" { value: sum(sales.amount) }
audience search "Search agency" {
  segments: channel = "search"
  share: [sales]
}
audience few "Fewer than two conversions withheld" {
  suppress: count(sales) < 2
}
"#,
    );
    put(
        "touches.csv",
        "customer,at,channel\nc1,2026-01-02,search\nc2,2026-01-03,social\nc3,2026-01-04,search\nc3,2026-01-05,social\n",
    );
    put(
        "sales.csv",
        "sale,customer,day,amount\ns1,c1,2026-01-10,100.00\ns2,c2,2026-01-11,200.00\ns3,c3,2026-01-12,300.00\n",
    );
    let (out, v) = run_json(dir.path(), "m.scorecard", &["--audience", "search"]);
    let credited = &v["kpis"][0]["results"];
    assert_eq!(credited[0]["value"], "100.00", "{out}");
    assert_eq!(credited[1]["segment"]["channel"], "search", "{out}");
    assert_eq!(credited[1]["value"], "100.00", "{out}");
    assert!(!out.contains("social") && !out.contains("500.00"), "{out}");
    // The shared sales are read whole: every region's revenue, as shared.
    assert_eq!(v["kpis"][1]["results"][0]["value"], "600.00", "{out}");
    // Credit is counted in conversions: search's 100.00 is one order (c1's), withheld; social's
    // 500.00 is two, but with the total of 600.00 shown it would give search away: withheld too.
    let (out, v) = run_json(dir.path(), "m.scorecard", &["--audience", "few"]);
    let credited: Vec<(String, String)> = v["kpis"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["segment"].to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("{}", "unrated"),
        (r#"{"channel":"search"}"#, "suppressed"),
        (r#"{"channel":"social"}"#, "suppressed"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(credited, expected, "{out}");
    assert_eq!(v["kpis"][0]["results"][0]["value"], "600.00", "{out}");
}

/// An earlier version is shown under the new version's rules, and what those cannot place (a KPI
/// renamed from one the audience may not see, a dataset the new version does not have) is
/// withheld from it.
#[test]
fn a_diff_withholds_what_the_new_rules_cannot_place() {
    let dir = project();
    let earlier = SCORECARD
        .replace(
            "kpi big_deals \"Large deals\" {",
            "kpi whale_deals \"Whale deals\" {",
        )
        .replace("value: big_deals / count(", "value: whale_deals / count(")
        .replace("dataset payroll {", "dataset staffing {")
        .replace("sum(payroll.amount)", "sum(staffing.amount)")
        .replace("hide: [payroll]", "hide: [staffing]")
        .replace("hide: [big_deals]", "hide: [whale_deals]");
    std::fs::write(dir.path().join("earlier.scorecard"), earlier).unwrap();
    let renamed = SCORECARD.replace(
        "kpi big_deals \"Large deals\" {",
        "kpi big_deals \"Large deals\" {\n  renamed_from: whale_deals",
    );
    std::fs::write(dir.path().join("renamed.scorecard"), renamed).unwrap();
    let withheld = [
        (
            "board",
            &["whale_deals", "Whale deals", "big_deals", "3700.44"][..],
        ),
        ("east_north", &["staffing", "payroll", "Payroll cost"][..]),
    ];
    for (audience, forbidden) in withheld {
        let out = ok(
            dir.path(),
            &[
                "diff",
                "earlier.scorecard",
                "renamed.scorecard",
                "--data",
                ".",
                "--format",
                "json",
                "--audience",
                audience,
            ],
        );
        for f in forbidden {
            assert!(!out.contains(f), "{audience}: `{f}` in {out}");
        }
    }
}

/// On every bundled example: an audience that withholds nothing but rows is shown the same
/// figures as the whole scorecard, and an audience hiding any one of its datasets (a rule's
/// table, the exchange rates' own excepted, being refused) runs, reads nothing of it, and keeps
/// no figure that reads it.
#[test]
fn every_bundled_example_runs_for_audiences_that_hide_each_dataset() {
    let copy = tempfile::tempdir().unwrap();
    copy_folder(Path::new("scorecards"), copy.path());
    for (name, path) in crate::support::examples() {
        // The examples read each other's data: a copy of them all, with this one changed.
        let folder = path.parent().unwrap().file_name().unwrap();
        let dir = copy.path().join(folder);
        let dir = &dir;
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let model = crate::support::model(&std::fs::read_to_string(&path).unwrap());
        let rates: Vec<&str> = model.rates.iter().map(|r| r.dataset.as_str()).collect();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("\naudience figures_only \"Figures only\" { rows: hidden }\n");
        let hidden: Vec<&str> = model
            .datasets
            .iter()
            .map(|d| d.name.as_str())
            .filter(|d| !rates.contains(d))
            // An allocation's unused capacity is hidden with the allocation: no name reaches it.
            .filter(|d| !d.contains('.'))
            .collect();
        for (i, d) in hidden.iter().enumerate() {
            text.push_str(&format!("audience without_{i} {{ hide: [{d}] }}\n"));
        }
        std::fs::write(dir.join(&file), &text).unwrap();
        let json = |audience: Option<&str>| -> Value {
            let mut args = vec!["run", file.as_str(), "--format", "json", "--deterministic"];
            if let Some(a) = audience {
                args.extend(["--audience", a]);
            }
            serde_json::from_str(&ok(dir, &args)).unwrap()
        };
        let whole = json(None);
        let figures_only = json(Some("figures_only"));
        assert_eq!(whole["kpis"], figures_only["kpis"], "{name}");
        assert_eq!(whole["escalations"], figures_only["escalations"], "{name}");
        for (i, d) in hidden.iter().enumerate() {
            let view = json(Some(&format!("without_{i}")));
            let inputs = view["manifest"]["inputs"].as_array().unwrap();
            assert!(
                inputs.iter().all(|x| x["dataset"] != *d),
                "{name} without {d}: {inputs:?}"
            );
            for k in view["kpis"].as_array().unwrap() {
                let reads = k["reads"].as_array().unwrap();
                assert!(reads.iter().all(|r| r != d), "{name} without {d}: {k}");
            }
        }
    }
}

/// Copies a folder's files and folders (an example and its data) into `to`.
fn copy_folder(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// With small cells suppressed, what no cell can be counted for is withheld: a KPI over a view
/// without the counted column, or of a view's extreme, a window, a KPI by the counted entity, and
/// an escalation whose condition reads the data itself. A target read from data the extract
/// covers only in part is withheld with the period.
#[test]
fn suppression_withholds_what_cannot_be_counted() {
    let dir = project();
    let more = r#"
view by_region "By region" { by: region  columns: { revenue: sum(sales.amount)  biggest: max(sales.amount) } }
view by_customer "By customer" { by: customer  columns: { revenue: sum(sales.amount) } }
kpi east_view "East by view" { unit: money  value: sum(by_region.revenue where region = "Eastpoint") }
kpi biggest "Biggest sale" { unit: money  value: sum(by_region.biggest) }
kpi big_customers "Large customers' sales" { unit: money  value: sum(by_customer.revenue where revenue > 1000) }
kpi revenue_to_date "Revenue to date" { unit: money  value: ytd(revenue)  by: region }
kpi plan_vs_sales "Budget against sales" { unit: money  value: sum(budget.amount)  target: sum(sales.amount)  by: region }
escalation few_buyers "Few buyers" {
  when: plan_vs_sales > 0 and count_distinct(sales.customer) < 100
  severity: low
}
escalation plan_high "Plan high" {
  when: plan_vs_sales > 1300
  recover: revenue is green for 1 period
  severity: low
}
"#;
    let text = SCORECARD.replace(
        "  complete_from: 2026-01-01\n  extracted: 2026-03-01\n",
        "  complete_from: 2026-01-01\n",
    ) + more;
    std::fs::write(dir.path().join("sales.scorecard"), text).unwrap();
    let (out, v) = run_json(dir.path(), "sales.scorecard", &["--audience", "agency"]);
    let names: Vec<&str> = v["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    for withheld in ["east_view", "biggest", "revenue_to_date", "customer_sales"] {
        assert!(!names.contains(&withheld), "{withheld}: {names:?}");
    }
    // Over a view by customer, the customers are counted: 4 of the 9 in January sold over 1000.
    assert!(names.contains(&"big_customers"), "{names:?}");
    assert!(
        v["escalations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["escalation"] != "few_buyers"),
        "{out}"
    );
    // Every plan_high episode runs into February, where the revenue its recovery reads is
    // withheld: whether it recovered would say how that revenue stood.
    let episodes = v["escalations"].as_array().unwrap().iter();
    assert!(
        episodes.clone().all(|x| x["escalation"] != "plan_high"),
        "{out}"
    );
    // The data ends on 13 February: February is covered in part, and withheld whole, targets
    // and all.
    let plan = v["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "plan_vs_sales")
        .unwrap();
    for r in plan["results"].as_array().unwrap() {
        if r["period"] == "2026-02" {
            assert_eq!(r["status"], "suppressed", "{r}");
            assert_eq!(r["target"], Value::Null, "{r}");
        }
    }
    for forbidden in [
        "Acme Foods",
        "Fjord Shipping",
        "2500.44",
        "5800.75",
        "1600.06",
    ] {
        assert!(!out.contains(forbidden), "`{forbidden}` in {out}");
    }
}

/// What an audience is shown is the whole scorecard's, less what it may not see: every result
/// and escalation episode the agency is shown (not suppressed) is the whole run's, value,
/// target, status and score, and every episode the same; a cell count never changes a status.
#[test]
fn what_an_audience_is_shown_is_the_whole_scorecards() {
    let dir = project();
    let json = |extra: &[&str]| -> Value {
        let mut args = vec![
            "run",
            "sales.scorecard",
            "--format",
            "json",
            "--deterministic",
        ];
        args.extend(extra);
        serde_json::from_str(&ok(dir.path(), &args)).unwrap()
    };
    let whole = json(&[]);
    for audience in ["agency", "board", "east_north"] {
        let view = json(&["--audience", audience]);
        for k in view["kpis"].as_array().unwrap() {
            let all = whole["kpis"].as_array().unwrap().iter();
            let same = all.clone().find(|w| w["name"] == k["name"]).unwrap();
            for r in k["results"].as_array().unwrap() {
                if r["status"] == "suppressed" {
                    continue;
                }
                let in_whole = same["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|w| w["period"] == r["period"] && w["segment"] == r["segment"]);
                assert_eq!(Some(r), in_whole, "{audience}: {}", k["name"]);
            }
        }
        for x in view["escalations"].as_array().unwrap() {
            let all = whole["escalations"].as_array().unwrap();
            assert!(all.contains(x), "{audience}: {x}");
        }
    }
}

/// A view's own columns are counted by the entities whose value adds to the sum (a column that
/// is one customer's figure is one customer's cell), and a column picking another segment's rows
/// makes the view another segment's. A negated comparison with the audience's own segment picks
/// the others.
#[test]
fn a_views_columns_and_negations_are_held_to_the_rules() {
    let dir = project();
    let more = r#"
view cust "Per customer" {
  by: customer
  columns: {
    revenue: sum(sales.amount)
    fjord: sum(sales.amount where customer = "Fjord Shipping")
    south: sum(sales.amount where region = "Southgate")
    whale: if(revenue > 2000, revenue, 0)
  }
}
kpi fjord_view "Fjord by view" { unit: money  value: sum(cust.fjord) }
kpi whale_view "Whales by view" { unit: money  value: sum(cust.whale) }
kpi south_view "South by view" { unit: money  value: sum(cust.south) }
kpi not_north "All but Northwind" { unit: money  value: sum(sales.amount where not (region = "Northwind")) }
"#;
    std::fs::write(
        dir.path().join("sales.scorecard"),
        SCORECARD.to_string() + more,
    )
    .unwrap();
    let run = |audience: &str| run_json(dir.path(), "sales.scorecard", &["--audience", audience]);
    let (out, v) = run("agency");
    let kpi = |v: &Value, name: &str| -> Option<Value> {
        let all = v["kpis"].as_array().unwrap().iter();
        all.clone().find(|k| k["name"] == name).cloned()
    };
    for name in ["fjord_view", "whale_view"] {
        let k = kpi(&v, name).unwrap();
        let january = &k["results"][0];
        assert_eq!(january["status"], "suppressed", "{name}: {out}");
    }
    assert!(!out.contains("2500.44"), "{out}");
    for audience in ["north", "east_north"] {
        let (out, v) = run(audience);
        for name in ["south_view", "not_north"] {
            assert!(kpi(&v, name).is_none(), "{audience} is shown {name}: {out}");
        }
        assert!(
            !out.contains("1200.33") && !out.contains("4702.75"),
            "{out}"
        );
    }
    // An audience that sees totals is refused a breakdown by another column in explain too.
    let (code, _, err) = scorecard_in(
        dir.path(),
        &[
            "explain",
            "sales.scorecard",
            "customer_sales",
            "--period",
            "2026-01",
            "--segment",
            "customer=Dune Retail",
            "--audience",
            "east_north",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scorecard::audience::withheld"), "{err}");
    // A diff of the agency's view shows none of the gates that count its cells.
    let changed = more.replace(
        "customer = \"Fjord Shipping\"",
        "customer = \"Kiln Pottery\"",
    );
    let before = SCORECARD.to_string() + changed.as_str();
    std::fs::write(dir.path().join("before.scorecard"), before).unwrap();
    let out = ok(
        dir.path(),
        &[
            "diff",
            "before.scorecard",
            "sales.scorecard",
            "--data",
            ".",
            "--audience",
            "agency",
        ],
    );
    assert!(!out.contains("__audience"), "{out}");
}

/// An episode is withheld when a cell any of its conditions reads is: Northwind's plan (from the
/// budget, counted by nothing) is over 1300 in both months, so the episode is raised in January and
/// goes on in February, where its recovery reads Northwind's revenue, a small cell (2 customers).
/// Whether it recovered would say whether that revenue met its budget.
#[test]
fn an_episode_whose_recovery_reads_a_small_cell_is_withheld() {
    let dir = project();
    let more = r#"
kpi plan "Plan" { unit: money  value: sum(budget.amount)  by: region }
escalation plan_high "Plan high" {
  when: plan > 1300
  recover: revenue is green for 1 period
  severity: low
}
"#;
    std::fs::write(
        dir.path().join("sales.scorecard"),
        SCORECARD.to_string() + more,
    )
    .unwrap();
    let episodes = |extra: &[&str]| {
        let mut args = vec!["run", "sales.scorecard", "--format", "json"];
        args.extend(extra);
        let v: Value = serde_json::from_str(&ok(dir.path(), &args)).unwrap();
        let all = v["escalations"].as_array().unwrap().iter();
        all.filter(|x| x["escalation"] == "plan_high")
            .map(|x| {
                x["segment"]["region"]
                    .as_str()
                    .unwrap_or("total")
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    assert!(episodes(&[]).contains(&"Northwind".to_string()));
    let shown = episodes(&["--audience", "agency"]);
    assert!(!shown.contains(&"Northwind".to_string()), "{shown:?}");
    // Westfield's revenue is never a small cell: its episode is shown as it is.
    assert!(shown.contains(&"Westfield".to_string()), "{shown:?}");
}

/// Worked by hand. January: region A has one sale of 2500.00 and two customers who bought
/// nothing (0.00); B has three large sales (1100.00, 1200.00, 1300.00) and three small ones (100.00,
/// 200.00, 300.00), 4200.00 in all; C likewise, 4320.00; the total is 11020.00. February: each
/// region has six customers as B has. An average is a sum divided: A's January cell is the one
/// customer whose sale adds to it (833.33 would be 2500.00 over three). `split`, large plus small,
/// is withheld for A in January (one large sale), and B as its complement although A's small part
/// read nothing: the total less C would otherwise be A. Its escalation is raised for A in January
/// and goes on in February: from February, its January was not judged, and it is not shown.
#[test]
fn averages_split_sums_and_earlier_episodes_are_held_to_the_cells() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    put(
        "s.scorecard",
        r#"
scorecard s { currency: USD  grain: month }
dataset sales {
  source: "sales.csv"
  time: day
  complete_from: 2026-01-01
  extracted: 2026-03-01
  columns: { id: text key  day: date  region: text  customer: text  amount: money }
}
kpi average "Average sale" { unit: money  value: avg(sales.amount)  by: region }
kpi split "Large plus small" {
  unit: money
  value: sum(sales.amount where amount > 1000) + sum(sales.amount where amount <= 1000)
  by: region
}
escalation high "High" { when: split > 1000  severity: low }
audience agency { suppress: count_distinct(sales.customer) < 3 }
"#,
    );
    let mut rows = String::from("id,day,region,customer,amount\n");
    rows.push_str(
        "a1,2026-01-05,A,Fjord,2500.00\na2,2026-01-06,A,Zed,0.00\na3,2026-01-07,A,Yak,0.00\n",
    );
    let six = |region: &str, month: &str, base: [&str; 6]| {
        let mut out = String::new();
        for (i, amount) in base.iter().enumerate() {
            out.push_str(&format!(
                "{region}{month}{i},2026-{month}-1{i},{region},{region}{i},{amount}\n"
            ));
        }
        out
    };
    let b = [
        "1100.00", "1200.00", "1300.00", "100.00", "200.00", "300.00",
    ];
    let c = [
        "1110.00", "1220.00", "1330.00", "110.00", "220.00", "330.00",
    ];
    rows.push_str(&six("B", "01", b));
    rows.push_str(&six("C", "01", c));
    for region in ["A", "B", "C"] {
        rows.push_str(&six(region, "02", b));
    }
    put("sales.csv", &rows);
    let (out, v) = run_json(dir.path(), "s.scorecard", &["--audience", "agency"]);
    for forbidden in ["2500.00", "833.33"] {
        assert!(!out.contains(forbidden), "`{forbidden}` in {out}");
    }

    let cells = |kpi: usize| -> Vec<String> {
        let rows = v["kpis"][kpi]["results"].as_array().unwrap().iter();
        rows.filter(|r| r["period"] == "2026-01")
            .map(|r| {
                r["value"]
                    .as_str()
                    .unwrap_or(r["status"].as_str().unwrap())
                    .to_string()
            })
            .collect()
    };
    // The total, A, B, C. The average: 11020.00 over 15 sales is 734.67, C's 4320.00 over 6 is
    // 720.00; B is A's complement here too.
    assert_eq!(
        cells(0),
        ["734.67", "suppressed", "suppressed", "720.00"],
        "{out}"
    );
    assert_eq!(
        cells(1),
        ["11020.00", "suppressed", "suppressed", "4320.00"],
        "{out}"
    );
    let extra = ["--audience", "agency", "--from", "2026-02"];
    let (out, v) = run_json(dir.path(), "s.scorecard", &extra);
    assert!(!out.contains("2500.00"), "{out}");
    let a = v["escalations"].as_array().unwrap().iter();
    assert!(a.clone().all(|x| x["segment"]["region"] != "A"), "{out}");
}
