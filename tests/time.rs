//! Time intelligence: windows, earlier periods, `--as-of`. The retail figures come from DuckDB
//! (tests/reference/retail_time_duckdb.py, output quoted beside them); fixtures are worked by hand.

use crate::support::{cells, model, options, row, run, value};
use std::path::Path;

/// The retail example with extra KPIs, run over its own data.
fn retail_with(extra: &str, as_of: Option<&str>) -> scorecard::rules::Evaluation {
    let source =
        std::fs::read_to_string("scorecards/retail/retail.scorecard").expect("retail") + extra;
    let mut opts = options(Path::new("scorecards/retail"));
    opts.as_of = as_of.map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date"));
    scorecard::evaluate(&model(&source), &opts).expect("runs")
}

const TIME_KPIS: &str = r#"
kpi revenue_rolling "Revenue, rolling 12 months" { unit: money  value: rolling(net_revenue, 12 months) }
kpi rolling_growth "Rolling revenue growth" {
  unit: percent
  value: pct_change(revenue_rolling, [same period last year])
  rounding: 2 decimals
}
kpi revenue_prior { unit: money  value: net_revenue[-1] }
kpi revenue_change { unit: money  value: change(net_revenue) }
kpi margin_ytd { unit: percent  value: ytd(gross_margin)  rounding: 1 decimal  by: region }
kpi revenue_ytd_last_year { unit: money  value: ytd(net_revenue)[same period last year] }
kpi revenue_year { unit: money  value: rolling(net_revenue, 1 year) }
kpi revenue_qtd { unit: money  value: qtd(net_revenue) }
kpi units_to_date { value: cumulative(units_sold) }
"#;

#[test]
fn rolling_twelve_months_and_its_growth() {
    let e = retail_with(TIME_KPIS, None);
    // rolling12 2026-10: 984417.69, 2025-10: 878814.29, yoy: 0.1202
    assert_eq!(
        value(&e, "revenue_rolling", "2026-10", "total"),
        "984417.69"
    );
    assert_eq!(
        value(&e, "revenue_rolling", "2025-10", "total"),
        "878814.29"
    );
    assert_eq!(value(&e, "rolling_growth", "2026-10", "total"), "0.1202");
    let w = row(&e, "revenue_rolling", "2026-10", "total")
        .window
        .expect("a window");
    assert_eq!((w.periods, w.covered), (12, 12));
    // rolling12 2025-03: 365604.36, from the 5 months of data since 2024-11.
    let early = row(&e, "revenue_rolling", "2025-03", "total");
    assert_eq!(cells(early).0, "365604.36");
    assert_eq!(early.window.map(|w| (w.periods, w.covered)), Some((12, 5)));
    // The first year has no year-earlier window to compare with.
    assert_eq!(value(&e, "rolling_growth", "2025-10", "total"), "-");
}

#[test]
fn earlier_periods_and_year_to_date() {
    let e = retail_with(TIME_KPIS, None);
    // 2026-09: 77288.32, change to 2026-10: 1761.09
    assert_eq!(value(&e, "revenue_prior", "2026-10", "total"), "77288.32");
    assert_eq!(value(&e, "revenue_change", "2026-10", "total"), "1761.09");
    // The scorecard's fiscal year starts in April: fytd margin 2026-10 is 0.39 (a ratio of sums).
    assert_eq!(value(&e, "margin_ytd", "2026-10", "total"), "0.390");
    let ytd = row(&e, "revenue_ytd", "2026-10", "total");
    assert_eq!(ytd.window.map(|w| (w.periods, w.covered)), Some((7, 7)));
    // By region too: the window is taken in the segment.
    assert!(row(&e, "margin_ytd", "2026-10", "region=EMEA")
        .value
        .is_some());
    // fytd 2025-10: 513209.93 — the whole window moves back a year (2025-04-01 to 2025-10-31).
    assert_eq!(
        value(&e, "revenue_ytd_last_year", "2026-10", "total"),
        "513209.93"
    );
    // `1 year` at a monthly grain is 12 months: the rolling 12 months figure, 984417.69.
    assert_eq!(value(&e, "revenue_year", "2026-10", "total"), "984417.69");
    // fqtd 2026-05: 147639.44 (the fiscal quarter starts in April).
    assert_eq!(value(&e, "revenue_qtd", "2026-05", "total"), "147639.44");
    // cumulative units 2025-01: 8147, over the 3 months since the data began.
    let units = row(&e, "units_to_date", "2025-01", "total");
    assert_eq!(cells(units).0, "8147");
    assert_eq!(units.window.map(|w| (w.periods, w.covered)), Some((3, 3)));
    // The earliest month has no previous month.
    assert_eq!(value(&e, "revenue_prior", "2024-11", "total"), "-");
}

#[test]
fn as_of_the_middle_of_a_month() {
    let e = retail_with(TIME_KPIS, Some("2026-10-15"));
    // oct to 15th: 42729.20; fytd to 2026-10-15: 527611.35
    let oct = row(&e, "net_revenue", "2026-10", "total");
    assert!(oct.partial);
    assert_eq!(cells(oct).0, "42729.20");
    assert_eq!(value(&e, "revenue_ytd", "2026-10", "total"), "527611.35");
    assert!(!row(&e, "net_revenue", "2026-09", "total").partial);
    assert_eq!(e.periods.last().map(String::as_str), Some("2026-10"));
    // As of the last day of a month, nothing is partial.
    let e = retail_with(TIME_KPIS, Some("2026-09-30"));
    assert_eq!(e.periods.last().map(String::as_str), Some("2026-09"));
    assert!(!row(&e, "net_revenue", "2026-09", "total").partial);
}

const DAILY: &str = r#"
scorecard t { grain: day  calendar: fiscal(start: february) }
dataset sales { source: "sales.csv"  time: day  columns: { day: date  amount: money  cost: money } }
kpi revenue { value: sum(sales.amount) }
kpi revenue_ytd { value: ytd(revenue) }
kpi revenue_mtd { value: mtd(revenue) }
"#;

#[test]
fn fiscal_year_to_date_across_a_leap_day() {
    // 1.00 every day from 2023-01-25 to 2024-03-05. With years starting 1 February, the year to
    // 2024-03-01 runs from 2024-02-01: 29 February days (2024 is a leap year) + 1 = 30 days, 30.00.
    // The year to 2023-03-01 runs from 2023-02-01: 28 + 1 = 29 days.
    let mut csv = String::from("day,amount,cost\n");
    let mut d = chrono::NaiveDate::from_ymd_opt(2023, 1, 25).expect("date");
    while d <= chrono::NaiveDate::from_ymd_opt(2024, 3, 5).expect("date") {
        csv.push_str(&format!("{d},1.00,0.50\n"));
        d = d.succ_opt().expect("next day");
    }
    let e = run(DAILY, &[("sales.csv", &csv)]);
    let ytd = row(&e, "revenue_ytd", "2024-03-01", "total");
    assert_eq!(cells(ytd).0, "30.00");
    assert_eq!(ytd.window.map(|w| (w.periods, w.covered)), Some((30, 30)));
    assert_eq!(value(&e, "revenue_ytd", "2023-03-01", "total"), "29.00");
    assert_eq!(value(&e, "revenue_ytd", "2024-02-29", "total"), "29.00");
    // Month to date on 2024-02-29: 29 days.
    assert_eq!(value(&e, "revenue_mtd", "2024-02-29", "total"), "29.00");
}

#[test]
fn a_window_over_a_ratio_is_the_ratio_of_the_windowed_sums() {
    // January: revenue 100, cost 50 (margin 50%); February: revenue 300, cost 60 (80%). The margin
    // year to date in February is (400 − 110) / 400 = 72.5%, not the average of 50% and 80% (65%).
    let src = r#"
scorecard t {}
dataset sales { source: "sales.csv"  time: day  columns: { day: date  amount: money  cost: money } }
kpi margin { unit: percent  value: (sum(sales.amount) - sum(sales.cost)) / sum(sales.amount) }
kpi margin_ytd { unit: percent  value: ytd(margin) }
kpi average_sale_ytd { unit: money  value: ytd(avg(sales.amount)) }
kpi margin_ytd_inferred { value: ytd(margin) }
"#;
    let csv = "day,amount,cost\n2026-01-10,100.00,50.00\n2026-02-10,100.00,20.00\n2026-02-11,200.00,40.00\n";
    let e = run(src, &[("sales.csv", csv)]);
    assert_eq!(value(&e, "margin", "2026-01", "total"), "0.500");
    assert_eq!(value(&e, "margin_ytd", "2026-02", "total"), "0.725");
    // With no `unit`, a KPI over time takes the unit of the KPI it wraps: a percent, to 1 place.
    let inferred = e
        .kpis
        .iter()
        .find(|k| k.name == "margin_ytd_inferred")
        .expect("kpi");
    assert_eq!(inferred.unit, scorecard::model::Unit::Percent);
    assert_eq!(
        value(&e, "margin_ytd_inferred", "2026-02", "total"),
        "0.725"
    );
    // The average sale to date is (100 + 100 + 200) / 3 = 133.33, not the average of the monthly
    // averages ((100 + 150) / 2 = 125).
    assert_eq!(value(&e, "average_sale_ytd", "2026-02", "total"), "133.33");
}

#[test]
fn same_week_last_year_in_a_53_week_retail_year() {
    // NRF 4-5-4 weeks. FY2024 (2023-01-29 to 2024-02-03) has 53 weeks, so its week 2 (2023-02-05 to
    // 02-11) compares with week 1 of FY2023 (2022-01-30 to 02-05), and its week 1 has no comparison.
    let src = r#"
scorecard t { grain: week  calendar: retail_454 }
dataset sales { source: "sales.csv"  time: day  columns: { day: date  amount: money } }
kpi revenue { value: sum(sales.amount) }
kpi growth { unit: percent  value: pct_change(revenue, [same period last year]) }
"#;
    let csv = "day,amount\n2022-01-31,10.00\n2023-01-30,12.00\n2023-02-06,15.00\n";
    let e = run(src, &[("sales.csv", csv)]);
    // 15 / 10 − 1 = 50.0%
    assert_eq!(value(&e, "growth", "FY2024-W02", "total"), "0.500");
    assert_eq!(value(&e, "growth", "FY2024-W01", "total"), "-");
}

const MONTHLY: &str = r#"
scorecard t {}
dataset sales { source: "sales.csv"  time: day  columns: { day: date  amount: money } }
kpi revenue {
  value: sum(sales.amount)
  target: {
    "2026-Q1": 10        // every month of the first quarter...
    "2026-02": 20        // ...but February, named on its own, is more specific
    otherwise: 5
  }
  thresholds: {
    "2026-Q4": green >= 10, amber >= 5, red otherwise      // a wider amber band in Q4
    otherwise: green >= 10, red otherwise
  }
}
"#;

#[test]
fn targets_and_thresholds_that_change_by_period() {
    let csv = "day,amount\n2026-01-15,7.00\n2026-02-15,7.00\n2026-05-15,7.00\n2026-11-15,7.00\n";
    let e = run(MONTHLY, &[("sales.csv", csv)]);
    // January: the Q1 target, 10. February: its own, 20. May: the default, 5.
    assert_eq!(cells(row(&e, "revenue", "2026-01", "total")).1, "10.00");
    assert_eq!(cells(row(&e, "revenue", "2026-02", "total")).1, "20.00");
    assert_eq!(cells(row(&e, "revenue", "2026-05", "total")).1, "5.00");
    // 7 is red under the default rules (green ≥ 10, red otherwise) but amber in Q4 (amber ≥ 5).
    assert_eq!(cells(row(&e, "revenue", "2026-05", "total")).2, "red");
    assert_eq!(cells(row(&e, "revenue", "2026-11", "total")).2, "amber");
}
