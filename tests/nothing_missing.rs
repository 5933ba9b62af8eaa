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

#[test]
fn a_parquet_key_is_unique_and_never_empty() {
    use datafusion::arrow::array::{Date32Array, Decimal128Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    // A Parquet file's key was not checked at all: a repeated row counted twice.
    let src = "scorecard t { currency: USD }\ndataset f { source: \"f.parquet\"  time: day  columns: { id: text key  day: date  amount: money } }\nkpi k { value: sum(f.amount) }";
    let batch = |ids: Vec<Option<&str>>| {
        let n = ids.len();
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("day", DataType::Date32, false),
            Field::new("amount", DataType::Decimal128(18, 2), false),
        ]));
        let amounts = Decimal128Array::from(vec![500; n])
            .with_precision_and_scale(18, 2)
            .unwrap();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(Date32Array::from(vec![20_458; n])),
                Arc::new(amounts),
            ],
        )
        .unwrap()
    };
    // The run's outcome as (code, message), or the total.
    let run = |ids| {
        let dir = crate::support::parquet_folder("f.parquet", &batch(ids));
        let model = crate::support::model(src);
        match scorecard::evaluate(&model, &crate::support::options(dir.path())) {
            Ok(e) => ("", crate::support::value(&e, "k", "2026-01", "total")),
            Err(e) => (e.code().as_str(), e.to_string()),
        }
    };
    let (code, e) = run(vec![Some("a"), Some("b"), Some("c"), Some("b")]);
    assert_eq!(code, "scorecard::data::repeated_key", "{e}");
    assert!(
        e.contains("f.parquet:4") && e.contains("first seen on line 2"),
        "{e}"
    );
    let (code, e) = run(vec![Some("a"), None, Some("c")]);
    assert_eq!(code, "scorecard::data::bad_value", "{e}");
    assert!(
        e.contains("f.parquet:2: column `id` has the value ``"),
        "{e}"
    );
    assert_eq!(
        run(vec![Some("a"), Some("b"), Some("c")]),
        ("", "15.00".to_string())
    );
}

#[test]
fn a_negated_zero_is_zero_and_segments_that_differ_print_differently() {
    // `-sum(...)` over no rows under `missing: zero` printed `-0.00`; the regions `EMEA` and
    // `EMEA ` (and an empty one and the text `(empty)`) all printed alike.
    let src = "scorecard t { currency: USD }\ndataset orders { source: \"orders.csv\"  time: order_date  columns: { order_date: date  region: text  revenue: money } }\nkpi refunds { value: -sum(orders.revenue where region = \"nowhere\")  missing: zero }\nkpi revenue { value: sum(orders.revenue)  by: region }";
    let e = run(
        src,
        &[(
            "orders.csv",
            "order_date,region,revenue\n2026-01-05,EMEA,1.00\n2026-01-05,EMEA ,2.00\n2026-01-05,,4.00\n2026-01-05,(empty),8.00\n",
        )],
    );
    assert_eq!(cells(row(&e, "refunds", "2026-01", "total")).0, "0.00");
    let csv = scorecard::report::csv(&e);
    for line in [
        ",region=EMEA,1.00,",
        ",\"region=\"\"EMEA \"\"\",2.00,",
        ",region=(empty),4.00,",
        ",\"region=\"\"(empty)\"\"\",8.00,",
    ] {
        assert!(csv.contains(line), "{line} in\n{csv}");
    }
}
