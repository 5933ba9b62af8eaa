//! Nothing dropped or wrong without a word (docs/robustness.md): a segment with a target and no
//! actuals is shown, not left out; values worked out by hand.

use crate::support::{cells, row, run};

const SEGMENTED: &str = r#"
scorecard t { currency: USD }
dataset orders { source: "orders.csv"  time: order_date  columns: { order_date: date  region: text  revenue: money } }
dataset budget { source: "budget.csv"  time: month  columns: { month: date  region: text  revenue: money } }
kpi revenue { value: sum(orders.revenue)  target: sum(budget.revenue)  by: region  MISSING }
"#;

const ORDERS: &str = "order_date,region,revenue\n2026-01-05,EMEA,10.00\n2026-01-06,EMEA,5.00\n";
const BUDGET: &str = "month,region,revenue\n2026-01-01,EMEA,12.00\n2026-01-01,LATAM,8.00\n";

#[test]
fn a_segment_with_a_target_and_no_actuals_is_shown() {
    // Orders only in EMEA; a budget for EMEA and LATAM. LATAM was missing from every output, even
    // with `missing: zero`, while its 8.00 counted in the total's target of 20.00.
    for (missing, expected) in [("", "-"), ("missing: zero", "0.00")] {
        let e = run(
            &SEGMENTED.replace("MISSING", missing),
            &[("orders.csv", ORDERS), ("budget.csv", BUDGET)],
        );
        let total = cells(row(&e, "revenue", "2026-01", "total"));
        assert_eq!((total.0.as_str(), total.1.as_str()), ("15.00", "20.00"));
        let emea = cells(row(&e, "revenue", "2026-01", "region=EMEA"));
        assert_eq!((emea.0.as_str(), emea.1.as_str()), ("15.00", "12.00"));
        let latam = cells(row(&e, "revenue", "2026-01", "region=LATAM"));
        assert_eq!(
            (latam.0.as_str(), latam.1.as_str()),
            (expected, "8.00"),
            "{missing}"
        );
    }
}

#[test]
fn thresholds_that_need_a_target_need_one() {
    // A KPI with no target at all whose thresholds compare with `target` passed check, and every
    // row showed a value with no status and no word why.
    let src = "scorecard t { currency: USD }\ndataset orders { source: \"orders.csv\"  time: order_date  columns: { order_date: date  region: text  revenue: money } }\nkpi revenue { value: sum(orders.revenue)  thresholds: { green: value >= target  red: otherwise } }";
    let compiled = scorecard::compile(src);
    assert_eq!(
        crate::support::codes(&compiled),
        ["scorecard::check::no_target"]
    );
    // A target for some periods only: the others have no status, and a warning says why.
    let src = src.replace("thresholds:", "target: { \"2026-02\": 10.00 }  thresholds:");
    let e = run(
        &src,
        &[(
            "orders.csv",
            "order_date,region,revenue\n2026-01-05,EMEA,15.00\n2026-02-05,EMEA,12.00\n",
        )],
    );
    assert_eq!(
        cells(row(&e, "revenue", "2026-01", "total")),
        ("15.00".into(), "-".into(), "no_value")
    );
    assert_eq!(
        cells(row(&e, "revenue", "2026-02", "total")),
        ("12.00".into(), "10.00".into(), "green")
    );
    let warned: Vec<_> = e
        .warnings
        .iter()
        .map(|w| (w.code, w.period.as_str()))
        .collect();
    assert_eq!(warned, [("scorecard::eval::no_status", "2026-01")]);
}
