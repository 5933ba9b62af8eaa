//! Change control: a KPI whose definition changed on a date uses the earlier definition in periods
//! before it and the current one from it; shifts follow the period they move to, windows use the
//! definition of the period they are reported in.

use crate::support::{run, value};

// Percents to one place are ratios to three: 40.0% is 0.400.

/// Gross margin that subtracts freight from 2026-07-01 on.
pub const MARGIN: &str = r#"
scorecard t { currency: USD  grain: month }
dataset orders {
  source: "orders.csv"
  time: day
  columns: { day: date  revenue: money  cogs: money  freight: money }
}
kpi margin_pct "Gross margin %" {
  unit: percent
  renamed_from: gm_pct
  value: (sum(orders.revenue) - sum(orders.cogs) - sum(orders.freight)) / sum(orders.revenue)
  effective: 2026-07-01
  /// Before freight moved into cost of sales.
  previously: {
    value: (sum(orders.revenue) - sum(orders.cogs)) / sum(orders.revenue)
  }
}
kpi prior_margin { unit: percent  value: margin_pct[-1] }
kpi ytd_margin { unit: percent  value: ytd(margin_pct) }
"#;

pub const ORDERS: &str = "day,revenue,cogs,freight
2026-05-10,100,60,5
2026-06-10,200,120,10
2026-07-10,400,200,20
2026-08-10,100,50,10
";

#[test]
fn periods_before_the_date_use_the_earlier_definition() {
    let e = run(MARGIN, &[("orders.csv", ORDERS)]);
    // Before 2026-07 freight is not subtracted: May (100 − 60) / 100 = 40.0%, June 80 / 200 = 40.0%.
    assert_eq!(value(&e, "margin_pct", "2026-05", "total"), "0.400");
    assert_eq!(value(&e, "margin_pct", "2026-06", "total"), "0.400");
    // From 2026-07 it is: July (400 − 200 − 20) / 400 = 45.0% (50.0% the old way),
    // August (100 − 50 − 10) / 100 = 40.0% (50.0% the old way).
    assert_eq!(value(&e, "margin_pct", "2026-07", "total"), "0.450");
    assert_eq!(value(&e, "margin_pct", "2026-08", "total"), "0.400");
}

#[test]
fn a_shift_reads_the_definition_of_the_period_it_moves_to() {
    let e = run(MARGIN, &[("orders.csv", ORDERS)]);
    // July's "last period" is June as June reported it: 40.0% (the new way would give 35.0%).
    assert_eq!(value(&e, "prior_margin", "2026-07", "total"), "0.400");
    // August's is July: 45.0%.
    assert_eq!(value(&e, "prior_margin", "2026-08", "total"), "0.450");
}

#[test]
fn a_window_is_recomputed_with_the_definition_of_its_period() {
    let e = run(MARGIN, &[("orders.csv", ORDERS)]);
    // June YTD (May–June), the old way: (300 − 180) / 300 = 40.0%.
    assert_eq!(value(&e, "ytd_margin", "2026-06", "total"), "0.400");
    // August YTD (May–August), all four months the new way: revenue 800, cogs 430, freight 45:
    // 325 / 800 = 40.625% → 40.6% (the old way: 370 / 800 = 46.25%).
    assert_eq!(value(&e, "ytd_margin", "2026-08", "total"), "0.406");
}

#[test]
fn three_definitions_each_apply_in_their_own_periods() {
    let src = r#"
scorecard t { currency: USD  grain: quarter }
dataset orders {
  source: "orders.csv"
  time: day
  columns: { day: date  revenue: money  cogs: money  freight: money }
}
kpi measure {
  value: sum(orders.freight)
  effective: 2026-07-01
  previously: {
    value: sum(orders.cogs)
    effective: 2026-04-01
    previously: { value: sum(orders.revenue) }
  }
}
"#;
    let e = run(src, &[("orders.csv", ORDERS)]);
    // Q2 (April–June) reads cogs: 60 + 120 = 180; Q3 (July–September) reads freight: 20 + 10 = 30.
    assert_eq!(value(&e, "measure", "2026-Q2", "total"), "180.00");
    assert_eq!(value(&e, "measure", "2026-Q3", "total"), "30.00");
    // Q1 reads revenue: one row on 2026-03-31, 7.
    let e = run(
        src,
        &[("orders.csv", "day,revenue,cogs,freight\n2026-03-31,7,3,1\n")],
    );
    assert_eq!(value(&e, "measure", "2026-Q1", "total"), "7.00");
}

#[test]
fn the_model_keeps_former_names_and_the_reason_for_a_change() {
    let m = crate::support::model(MARGIN);
    let k = m.kpi("margin_pct").expect("margin_pct");
    assert_eq!(k.renamed_from, vec!["gm_pct".to_string()]);
    assert_eq!(
        k.effective.as_ref().map(|e| e.date.as_str()),
        Some("2026-07-01")
    );
    assert_eq!(
        k.previously[0].doc.as_deref(),
        Some("Before freight moved into cost of sales.")
    );
}
