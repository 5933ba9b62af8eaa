//! Time-driven activity-based costing, customer views, top share, CLV and the whale curve, on
//! tests/data/profitability (every number below worked by hand).

use crate::support::{model, options, value};
use std::path::PathBuf;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/profitability")
}

fn evaluate() -> scorecard::rules::Evaluation {
    let source = std::fs::read_to_string(data().join("profitability.scorecard")).expect("fixture");
    scorecard::evaluate(&model(&source), &options(&data())).expect("the run succeeds")
}

/// Kaplan and Anderson's time-driven ABC: rate = cost of capacity supplied / practical capacity.
/// Support supplies 48,000 minutes (800 hours) for $56,000: $70 per hour, so 24 minutes cost
/// $28.00. The rate per minute ($1.1666…) is never rounded: at $1.17 the same call would cost
/// $28.08. Beta's 7 + 4 support minutes cost 11 × 56000 / 48000 = 12.8333… = $12.83 (rounded once,
/// not per call: 8.17 + 4.67 would be 12.84). Billing: $3,000 / 6,000 minutes × 10 = $5.00.
#[test]
fn time_driven_costing_at_the_exact_rate() {
    let e = evaluate();
    assert_eq!(
        value(&e, "cost_assigned", "2026-01", "customer=acme"),
        "33.00"
    );
    assert_eq!(
        value(&e, "cost_assigned", "2026-01", "customer=beta"),
        "12.83"
    );
    assert_eq!(value(&e, "cost_assigned", "2026-01", "total"), "45.83");
}

/// Unused capacity is reported on its own, not loaded onto customers: support 56,000 − 28.00 −
/// 12.83 = 55,959.17; billing 3,000 − 5.00 = 2,995.00. Assigned plus unused is the whole cost,
/// 45.83 + 58,954.17 = 59,000.00.
#[test]
fn unused_capacity_stays_apart() {
    let e = evaluate();
    assert_eq!(
        value(&e, "unused", "2026-01", "department=support"),
        "55959.17"
    );
    assert_eq!(
        value(&e, "unused", "2026-01", "department=billing"),
        "2995.00"
    );
    assert_eq!(value(&e, "unused", "2026-01", "total"), "58954.17");
    let customers: Vec<String> = e
        .kpis
        .iter()
        .find(|k| k.name == "cost_assigned")
        .map(|k| {
            k.results
                .held()
                .iter()
                .map(|r| scorecard::report::segment_label(&r.segment))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(customers, ["total", "customer=acme", "customer=beta"]);
}

/// The customer view: acme 100 − 60 − 33.00 = 7.00; beta 20 − 15 − 12.83 = −7.83; gamma has no
/// service, so its cost to serve is 0 and its profit 30.00. One customer in three is unprofitable
/// (33.3%), losing 7.83. The top 20% of 3 customers is 1 (the smallest count at least 0.6):
/// 30.00 of 29.17 = 102.8%. CLV at 80% retention and 12% discount: the average profit
/// 29.17 / 3 × 0.8 / 0.32 = 24.308… = 24.31.
#[test]
fn customer_view_measures() {
    let e = evaluate();
    // Percent values are ratios, shown to one decimal of a percent.
    assert_eq!(value(&e, "unprofitable_share", "2026-01", "total"), "0.333");
    assert_eq!(value(&e, "profit_lost", "2026-01", "total"), "7.83");
    assert_eq!(value(&e, "top_fifth", "2026-01", "total"), "1.028");
    assert_eq!(value(&e, "lifetime_value", "2026-01", "total"), "24.31");
}

/// The whale curve: customers by profit, 30.00, 7.00, −7.83 of 29.17. At 33% of customers the
/// first one (30/29.17 = 1.0285), at 34% two (37/29.17 = 1.2684), at 100% the whole (1).
#[test]
fn whale_curve() {
    let e = evaluate();
    let c = &e.curves[0];
    assert_eq!(
        (c.view.as_str(), c.column.as_str(), c.period.as_str()),
        ("customer_pnl", "profit", "2026-01")
    );
    assert_eq!(c.entities, 3);
    assert_eq!(c.total.to_string(), "29.17");
    let at = |p: u32| c.points[p as usize].1.to_string();
    assert_eq!(at(0), "0");
    assert_eq!(at(33), "1.0285");
    assert_eq!(at(34), "1.2684");
    assert_eq!(at(100), "1");
}

/// Activity for a resource with no capacity that period is an error naming both.
#[test]
fn activity_without_capacity_is_an_error() {
    let dir = crate::support::folder(&[
        (
            "departments.csv",
            "department,month,cost,practical_minutes\nsupport,2026-01-01,100.00,60\n",
        ),
        (
            "service_log.csv",
            "customer,day,department,minutes\nacme,2026-01-05,legal,10\n",
        ),
        (
            "orders.csv",
            "order_id,customer,order_date,revenue,cogs\n1,acme,2026-01-10,1.00,0.50\n",
        ),
    ]);
    let source = std::fs::read_to_string(data().join("profitability.scorecard")).expect("fixture");
    let err = scorecard::evaluate(&model(&source), &options(dir.path()))
        .expect_err("legal has no capacity")
        .to_string();
    assert!(err.contains("department legal in 2026-01"), "{err}");
}

/// A resource used beyond its practical capacity is warned about: its unused capacity is negative
/// (100.00 − 100 minutes × 100.00 / 60 = −66.67, by hand).
#[test]
fn over_capacity_is_a_warning() {
    let dir = crate::support::folder(&[
        (
            "departments.csv",
            "department,month,cost,practical_minutes\nsupport,2026-01-01,100.00,60\n",
        ),
        (
            "service_log.csv",
            "customer,day,department,minutes\nacme,2026-01-05,support,100\n",
        ),
        (
            "orders.csv",
            "order_id,customer,order_date,revenue,cogs\n1,acme,2026-01-10,1.00,0.50\n",
        ),
    ]);
    let source = std::fs::read_to_string(data().join("profitability.scorecard")).expect("fixture");
    let e = scorecard::evaluate(&model(&source), &options(dir.path())).expect("the run succeeds");
    assert_eq!(value(&e, "unused", "2026-01", "total"), "-66.67");
    let w = e
        .warnings
        .iter()
        .find(|w| w.code == "scorecard::eval::over_capacity")
        .expect("an over-capacity warning");
    assert!(
        w.message
            .contains("support used 100 of its 60 practical minutes in 2026-01"),
        "{}",
        w.message
    );
}
