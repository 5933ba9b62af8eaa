//! `scorecard explain`: every number it prints is recomputed here from the rows it lists, and the
//! rows themselves are found here again by reading the data file directly.

use crate::cli::{scorecard, sha256_of, RETAIL};
use crate::definitions::{MARGIN, ORDERS};
use rust_decimal::Decimal;
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|_| panic!("not a decimal: {s}"))
}

/// Order lines of October 2026 in EMEA, read straight from the CSV: (line, revenue, cogs), the
/// header being line 1.
fn emea_october() -> Vec<(u64, Decimal, Decimal)> {
    let mut r = csv::Reader::from_path("scorecards/retail/data/orders.csv").expect("orders.csv");
    let header = r.headers().expect("header").clone();
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (date, region, revenue, cogs) = (at("order_date"), at("region"), at("revenue"), at("cogs"));
    let mut out = Vec::new();
    for (i, row) in r.records().enumerate() {
        let row = row.expect("a row");
        if row[date].starts_with("2026-10") && &row[region] == "EMEA" {
            out.push((i as u64 + 2, dec(&row[revenue]), dec(&row[cogs])));
        }
    }
    out
}

#[test]
fn the_rows_listed_reproduce_the_value() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let rows_out = dir.path().join("rows.csv");
    let rows_out = rows_out.to_str().expect("utf-8");
    let (code, out, err) = scorecard(&[
        "explain",
        RETAIL,
        "gross_margin",
        "--period",
        "2026-10",
        "--segment",
        "region=EMEA",
        "--rows-out",
        rows_out,
        "--rows",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");

    // The rows, found again from the file: 2026-10 in EMEA.
    let expected = emea_october();
    let revenue: Decimal = expected.iter().map(|r| r.1).sum();
    let cogs: Decimal = expected.iter().map(|r| r.2).sum();
    // DuckDB gave 21440.51 for EMEA's net revenue in 2026-10 (tests/evaluate.rs).
    assert_eq!(revenue, dec("21440.51"));

    // Every row behind sum(orders.revenue) [A1] and sum(orders.cogs) [A2] is in the CSV written,
    // with its line in the file.
    let mut r = csv::Reader::from_path(rows_out).expect("the rows file");
    let header = r.headers().expect("header").clone();
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (agg, line, rev, cost) = (at("aggregate"), at("line"), at("revenue"), at("cogs"));
    let mut listed: Vec<(String, u64, Decimal, Decimal)> = Vec::new();
    for row in r.records() {
        let row = row.expect("a row");
        listed.push((
            row[agg].to_string(),
            row[line].parse().expect("a line"),
            dec(&row[rev]),
            dec(&row[cost]),
        ));
    }
    for a in ["A1", "A2"] {
        let of: Vec<(u64, Decimal, Decimal)> = listed
            .iter()
            .filter(|(x, ..)| x == a)
            .map(|(_, l, v, c)| (*l, *v, *c))
            .collect();
        assert_eq!(of, expected, "{a}");
    }

    // The calculation, recomputed from those rows: (revenue − cogs) / revenue.
    let margin = (revenue - cogs) / revenue;
    let calc = &json["calculation"];
    assert_eq!(
        calc["formula"],
        "(net_revenue - sum(orders.cogs)) / net_revenue"
    );
    assert_eq!(calc["value"], margin.to_string());
    assert_eq!(calc["children"][0]["value"], (revenue - cogs).to_string());
    assert_eq!(json["aggregates"][0]["formula"], "sum(orders.revenue)");
    assert_eq!(json["aggregates"][0]["value"], revenue.to_string());
    assert_eq!(json["aggregates"][1]["value"], cogs.to_string());
    assert_eq!(json["aggregates"][0]["rows_matched"], expected.len());
    // Only two rows are listed in the document; the file has them all.
    assert_eq!(
        json["aggregates"][0]["rows"].as_array().map(Vec::len),
        Some(2)
    );
    // 0.39814… to 1 place of the percent: 39.8%, against a target of 39%: green by the first rule.
    assert_eq!(json["result"]["value"], "0.398");
    assert_eq!(json["result"]["target"], "0.390");
    assert_eq!(json["result"]["status"], "green");
    assert_eq!(json["status"]["decided_by"], "green: value >= 0.39");
    assert_eq!(json["status"]["rules"][1]["reached"], false);
    // goal_red_flag(goal: 40%, red_flag: 36%), the red flag scoring 10/3 and the goal 20/3:
    // 10 × (1 + (0.398 − 0.36) / (0.40 − 0.36)) / 3 = 10 × 1.95 / 3 = 6.50.
    assert_eq!(json["result"]["score"], "6.50");
    // The source, fingerprinted independently.
    let source = &json["sources"][0];
    assert_eq!(source["dataset"], "orders");
    assert_eq!(
        source["sha256"],
        sha256_of("scorecards/retail/data/orders.csv")
    );
    assert_eq!(source["rows_read"], 8869);
    assert_eq!(source["rows_matched"], expected.len());
    assert_eq!(
        json["manifest"]["scorecards"][0]["sha256"],
        sha256_of(RETAIL)
    );
}

#[test]
fn explaining_across_a_change_of_definition() {
    let dir = crate::support::folder(&[("orders.csv", ORDERS)]);
    let model = crate::support::model(MARGIN);
    let options = crate::support::options(dir.path());
    let ask = |kpi: &str, period: &str| scorecard::ExplainRequest {
        kpi: kpi.into(),
        period: period.into(),
        segment: Vec::new(),
        rows: Some(10),
    };

    // June uses the definition before 2026-07-01, and says so with its reason.
    let june =
        scorecard::explain(&model, &options, &ask("margin_pct", "2026-06")).expect("explained");
    assert_eq!(june.definition.which, "previous");
    assert_eq!(june.definition.until.as_deref(), Some("2026-07-01"));
    assert_eq!(
        june.definition.formula,
        "(sum(orders.revenue) - sum(orders.cogs)) / sum(orders.revenue)"
    );
    assert_eq!(
        june.definition.note.as_deref(),
        Some("Before freight moved into cost of sales.")
    );
    let july =
        scorecard::explain(&model, &options, &ask("margin_pct", "2026-07")).expect("explained");
    assert_eq!(july.definition.which, "current");
    assert_eq!(july.definition.effective.as_deref(), Some("2026-07-01"));

    // ytd(margin_pct) in August: the rows listed are those of May to August, and from them
    // (revenue − cogs − freight) / revenue = (800 − 430 − 45) / 800 = 0.40625.
    let e = scorecard::explain(&model, &options, &ask("ytd_margin", "2026-08")).expect("explained");
    let sum_of = |formula: &str, column: &str| -> Decimal {
        let a = e
            .aggregates
            .iter()
            .find(|a| a.formula == formula)
            .unwrap_or_else(|| panic!("{formula}"));
        // The year to date runs from January; the data starts in May.
        assert_eq!((a.from.as_str(), a.to.as_str()), ("2026-01", "2026-08"));
        let at = a.columns.iter().position(|c| c == column).expect(column);
        a.rows.iter().map(|r| dec(&r[at])).sum()
    };
    let revenue = sum_of("sum(orders.revenue)", "revenue");
    let cogs = sum_of("sum(orders.cogs)", "cogs");
    let freight = sum_of("sum(orders.freight)", "freight");
    assert_eq!(
        (revenue, cogs, freight),
        (dec("800"), dec("430"), dec("45"))
    );
    assert_eq!(e.exact_value, Some((revenue - cogs - freight) / revenue));
    assert_eq!(e.exact_value, Some(dec("0.40625")));
    insta::assert_snapshot!(scorecard::report::explain::text(&e, false));
}

#[test]
fn explain_refuses_what_it_cannot_explain() {
    let (code, _, err) = scorecard(&["explain", RETAIL, "gross_margn", "--period", "2026-10"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no KPI named `gross_margn` (did you mean `gross_margin`?)"),
        "{err}"
    );
    let (code, _, err) = scorecard(&["explain", RETAIL, "gross_margin", "--period", "Oct"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`Oct` is not a period of this scorecard"),
        "{err}"
    );
    let (code, _, err) = scorecard(&[
        "explain",
        RETAIL,
        "gross_margin",
        "--period",
        "2026-10",
        "--segment",
        "channel=web",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not segmented by `channel` (its segments: region)"),
        "{err}"
    );
}

#[test]
fn a_filter_and_a_segment_keep_only_their_rows() {
    let src = r#"
scorecard t { currency: USD  grain: month }
dataset orders {
  source: "orders.csv"
  time: day
  columns: { day: date  region: text  channel: text  revenue: money }
}
kpi online_share {
  unit: percent
  value: sum(orders.revenue where channel = "online") / sum(orders.revenue)
  by: region
}
"#;
    let orders = "day,region,channel,revenue
2026-03-01,EU,online,100
2026-03-02,EU,store,300
2026-03-03,US,online,50
2026-03-04,EU,online,100
2026-04-01,EU,online,999
";
    let dir = crate::support::folder(&[("orders.csv", orders)]);
    let request = scorecard::ExplainRequest {
        kpi: "online_share".into(),
        period: "2026-03".into(),
        segment: vec![("region".into(), "EU".into())],
        rows: None,
    };
    let e = scorecard::explain(
        &crate::support::model(src),
        &crate::support::options(dir.path()),
        &request,
    )
    .expect("explained");
    let lines =
        |i: usize| -> Vec<&str> { e.aggregates[i].rows.iter().map(|r| r[0].as_str()).collect() };
    // March in EU: online lines 2 and 5 (100 + 100), all of lines 2, 3 and 5 (500); US (line 4)
    // and April (line 6) are left out.
    assert_eq!(
        e.aggregates[0].filter.as_deref(),
        Some(r#"channel = "online""#)
    );
    assert_eq!(lines(0), ["2", "5"]);
    assert_eq!(lines(1), ["2", "3", "5"]);
    assert_eq!(e.aggregates[0].rows_matched, 2);
    assert_eq!(e.aggregates[1].rows_matched, 3);
    // 200 / 500 = 40.0%.
    assert_eq!(e.exact_value, Some(dec("0.4")));
    // The dataset's rows that counted for either aggregate: the three EU rows of March.
    assert_eq!(e.sources[0].rows_matched, 3);
    assert_eq!(e.sources[0].rows_read, Some(5));
}

#[test]
fn a_threshold_that_cannot_be_told_decides_no_status() {
    let src = r#"
scorecard t { currency: USD  grain: month }
dataset orders { source: "orders.csv"  time: day  columns: { day: date  revenue: money } }
dataset budget { source: "budget.csv"  time: day  columns: { day: date  revenue: money } }
kpi revenue {
  value: sum(orders.revenue)
  target: sum(budget.revenue)
  thresholds: { green: value >= target  red: otherwise }
}
"#;
    // March has orders but no budget row, so the target has no value and `value >= target` cannot
    // be told: `otherwise` must not decide in its place.
    let dir = crate::support::folder(&[
        ("orders.csv", "day,revenue\n2026-03-05,10\n"),
        ("budget.csv", "day,revenue\n2026-02-01,8\n"),
    ]);
    let request = scorecard::ExplainRequest {
        kpi: "revenue".into(),
        period: "2026-03".into(),
        ..Default::default()
    };
    let e = scorecard::explain(
        &crate::support::model(src),
        &crate::support::options(dir.path()),
        &request,
    )
    .expect("explained");
    assert_eq!(e.result.status, scorecard::rules::Status::NoValue);
    let rules: Vec<(Option<bool>, bool)> = e
        .status
        .rules
        .iter()
        .map(|r| (r.holds, r.reached))
        .collect();
    assert_eq!(rules, [(None, true), (None, false)]);
    assert_eq!(
        e.status.decided_by,
        "green: value >= target could not be told, so there is no status"
    );
}
