//! Evaluation tests. Every expected number was worked out independently: the retail figures by DuckDB
//! (tests/reference/retail_duckdb.py, whose output is quoted beside them), the small fixtures by hand
//! (the arithmetic is in the comments).

use crate::support::{cells, model, options, row, run, value};
use std::path::Path;

fn retail() -> scorecard::rules::Evaluation {
    let path = Path::new("scorecards/retail/retail.scorecard");
    let source = std::fs::read_to_string(path).expect("the retail example");
    scorecard::evaluate(&model(&source), &options(Path::new("scorecards/retail")))
        .expect("the example runs")
}

/// (kpi, period, segment, value, target, status), from retail_duckdb.py:
/// period  seg    revenue     budget     variance  gm    aov     online units attainment
/// 2025-03 total  67669.08   67100.00     569.08  0.387 330.09  0.348 2253  1.008
/// 2025-12 total  101886.70  103500.00  -1613.30  0.387 374.58  0.357 2988  0.984
/// 2026-10 total  79049.41   77700.00    1349.41  0.393 369.39  0.372 2243  1.017
/// 2025-03 EMEA   22430.85   21300.00    1130.85  0.382 -       0.35   -     1.053
/// 2025-03 LATAM  7408.30    7400.00       8.30   0.392 -       0.533  -     1.001
/// 2025-12 EMEA   24504.30   26000.00  -1495.70   0.385 -       0.404  -     0.942
/// 2025-12 LATAM  13788.68   13100.00    688.68   0.384 -       0.364  -     1.053
/// 2026-10 EMEA   21440.51   21400.00     40.51   0.398 -       0.305  -     1.002
/// 2026-10 LATAM  9894.19    8900.00     994.19   0.382 -       0.307  -     1.112
/// Statuses by hand from the thresholds in retail.scorecard: net revenue green at or above budget,
/// amber at or above 95% of it (2025-12 total: 0.95 × 103500 = 98325 ≤ 101886.70, amber; EMEA:
/// 0.95 × 26000 = 24700 > 24504.30, red); gross margin green ≥ 39%, amber ≥ 38%; AOV green ≥ 400;
/// online share green within 33%..40%; attainment green ≥ 100%, amber ≥ 95%.
const RETAIL: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "net_revenue",
        "2025-03",
        "total",
        "67669.08",
        "67100.00",
        "green",
    ),
    (
        "net_revenue",
        "2025-12",
        "total",
        "101886.70",
        "103500.00",
        "amber",
    ),
    (
        "net_revenue",
        "2026-10",
        "total",
        "79049.41",
        "77700.00",
        "green",
    ),
    (
        "net_revenue",
        "2025-03",
        "region=EMEA",
        "22430.85",
        "21300.00",
        "green",
    ),
    (
        "net_revenue",
        "2025-03",
        "region=LATAM",
        "7408.30",
        "7400.00",
        "green",
    ),
    (
        "net_revenue",
        "2025-12",
        "region=EMEA",
        "24504.30",
        "26000.00",
        "red",
    ),
    (
        "net_revenue",
        "2025-12",
        "region=LATAM",
        "13788.68",
        "13100.00",
        "green",
    ),
    (
        "net_revenue",
        "2026-10",
        "region=EMEA",
        "21440.51",
        "21400.00",
        "green",
    ),
    (
        "net_revenue",
        "2026-10",
        "region=LATAM",
        "9894.19",
        "8900.00",
        "green",
    ),
    (
        "gross_margin",
        "2025-03",
        "total",
        "0.387",
        "0.390",
        "amber",
    ),
    (
        "gross_margin",
        "2025-12",
        "total",
        "0.387",
        "0.390",
        "amber",
    ),
    (
        "gross_margin",
        "2026-10",
        "total",
        "0.393",
        "0.390",
        "green",
    ),
    (
        "gross_margin",
        "2025-03",
        "region=EMEA",
        "0.382",
        "0.390",
        "amber",
    ),
    (
        "gross_margin",
        "2025-03",
        "region=LATAM",
        "0.392",
        "0.390",
        "green",
    ),
    (
        "gross_margin",
        "2025-12",
        "region=EMEA",
        "0.385",
        "0.390",
        "amber",
    ),
    (
        "gross_margin",
        "2025-12",
        "region=LATAM",
        "0.384",
        "0.390",
        "amber",
    ),
    (
        "gross_margin",
        "2026-10",
        "region=EMEA",
        "0.398",
        "0.390",
        "green",
    ),
    (
        "gross_margin",
        "2026-10",
        "region=LATAM",
        "0.382",
        "0.390",
        "amber",
    ),
    (
        "average_order_value",
        "2025-03",
        "total",
        "330.09",
        "400.00",
        "red",
    ),
    (
        "average_order_value",
        "2025-12",
        "total",
        "374.58",
        "400.00",
        "red",
    ),
    (
        "average_order_value",
        "2026-10",
        "total",
        "369.39",
        "400.00",
        "red",
    ),
    ("online_share", "2025-03", "total", "0.348", "-", "green"),
    ("online_share", "2025-12", "total", "0.357", "-", "green"),
    ("online_share", "2026-10", "total", "0.372", "-", "green"),
    (
        "online_share",
        "2025-03",
        "region=EMEA",
        "0.350",
        "-",
        "green",
    ),
    (
        "online_share",
        "2025-03",
        "region=LATAM",
        "0.533",
        "-",
        "red",
    ),
    (
        "online_share",
        "2025-12",
        "region=EMEA",
        "0.404",
        "-",
        "red",
    ),
    (
        "online_share",
        "2025-12",
        "region=LATAM",
        "0.364",
        "-",
        "green",
    ),
    (
        "online_share",
        "2026-10",
        "region=EMEA",
        "0.305",
        "-",
        "red",
    ),
    (
        "online_share",
        "2026-10",
        "region=LATAM",
        "0.307",
        "-",
        "red",
    ),
    ("units_sold", "2025-03", "total", "2253", "-", "unrated"),
    ("units_sold", "2025-12", "total", "2988", "-", "unrated"),
    ("units_sold", "2026-10", "total", "2243", "-", "unrated"),
    (
        "budget_attainment",
        "2025-03",
        "total",
        "1.008",
        "-",
        "green",
    ),
    (
        "budget_attainment",
        "2025-12",
        "total",
        "0.984",
        "-",
        "amber",
    ),
    (
        "budget_attainment",
        "2026-10",
        "total",
        "1.017",
        "-",
        "green",
    ),
    (
        "budget_attainment",
        "2025-03",
        "region=EMEA",
        "1.053",
        "-",
        "green",
    ),
    (
        "budget_attainment",
        "2025-03",
        "region=LATAM",
        "1.001",
        "-",
        "green",
    ),
    (
        "budget_attainment",
        "2025-12",
        "region=EMEA",
        "0.942",
        "-",
        "red",
    ),
    (
        "budget_attainment",
        "2025-12",
        "region=LATAM",
        "1.053",
        "-",
        "green",
    ),
    (
        "budget_attainment",
        "2026-10",
        "region=EMEA",
        "1.002",
        "-",
        "green",
    ),
    (
        "budget_attainment",
        "2026-10",
        "region=LATAM",
        "1.112",
        "-",
        "green",
    ),
];

#[test]
fn retail_example_matches_duckdb() {
    let e = retail();
    for (kpi, period, segment, value, target, status) in RETAIL {
        let got = cells(row(&e, kpi, period, segment));
        assert_eq!(
            got,
            (value.to_string(), target.to_string(), *status),
            "{kpi} {period} {segment}"
        );
    }
    // Variance is value − target: 67669.08 − 67100.00.
    assert_eq!(
        row(&e, "net_revenue", "2025-03", "total")
            .variance
            .map(|v| v.to_string()),
        Some("569.08".into())
    );
}

#[test]
fn retail_example_covers_every_month_and_region() {
    let e = retail();
    // 24 months, November 2024 to October 2026, in order.
    assert_eq!(e.periods.len(), 24);
    assert_eq!(e.periods.first().map(String::as_str), Some("2024-11"));
    assert_eq!(e.periods.last().map(String::as_str), Some("2026-10"));
    // net_revenue by region: 24 periods × (total + 4 regions).
    let net = e
        .kpis
        .iter()
        .find(|k| k.name == "net_revenue")
        .expect("net_revenue");
    assert_eq!(net.results.len(), 24 * 5);
    // Inputs: both datasets with their row counts (8869 order lines, 96 budget rows: `wc -l` less the header).
    let rows: Vec<(&str, u64)> = e
        .manifest
        .inputs
        .iter()
        .map(|i| (i.dataset.as_str(), i.rows))
        .collect();
    assert_eq!(rows, vec![("orders", 8869), ("budget", 96)]);
}

const SALES: &str = r#"
scorecard t { currency: USD }
dataset sales {
  source: "sales.csv"
  time: day
  columns: { day: date  region: text  channel: text  amount: money  qty: integer }
}
"#;

#[test]
fn money_is_exact_decimal() {
    // 0.10 + 0.20 is 0.30 exactly (in binary floating point it is 0.30000000000000004), and the
    // threshold `value = 0.3` holds only if the sum is exact.
    let src = format!("{SALES}\nkpi total {{ unit: money  value: sum(sales.amount)  thresholds: {{ green: value = 0.3  red: otherwise }} }}");
    let e = run(
        &src,
        &[(
            "sales.csv",
            "day,region,channel,amount,qty\n2026-01-05,N,web,0.10,1\n2026-01-09,N,web,0.20,1\n",
        )],
    );
    assert_eq!(
        cells(row(&e, "total", "2026-01", "total")),
        ("0.30".into(), "-".into(), "green")
    );

    // 1,000 rows of 0.01 sum to exactly 10.00.
    let mut csv = String::from("day,region,channel,amount,qty\n");
    for _ in 0..1000 {
        csv.push_str("2026-02-01,N,web,0.01,1\n");
    }
    let e = run(
        &format!("{SALES}\nkpi total {{ value: sum(sales.amount) }}"),
        &[("sales.csv", &csv)],
    );
    assert_eq!(value(&e, "total", "2026-02", "total"), "10.00");
}

#[test]
fn division_by_zero_is_no_value_with_a_warning() {
    // January: quantities sum to 0 (1 − 1), so 10 / 0 has no value; February: 5 → 10 / 5 = 2.
    let src = format!("{SALES}\nkpi ratio {{ unit: number  value: 10 / sum(sales.qty) }}");
    let e = run(&src, &[("sales.csv", "day,region,channel,amount,qty\n2026-01-05,N,web,5.00,1\n2026-01-06,N,web,5.00,-1\n2026-02-01,N,web,5.00,5\n")]);
    assert_eq!(
        cells(row(&e, "ratio", "2026-01", "total")),
        ("-".into(), "-".into(), "no_value")
    );
    assert_eq!(value(&e, "ratio", "2026-02", "total"), "2.00");
    assert_eq!(e.warnings.len(), 1);
    assert_eq!(e.warnings[0].code, "scorecard::eval::division_by_zero");
    assert_eq!(
        (e.warnings[0].kpi.as_str(), e.warnings[0].period.as_str()),
        ("ratio", "2026-01")
    );
}

#[test]
fn an_empty_period_has_no_value_unless_missing_is_zero() {
    // Rows in January and March, none in February.
    let src = format!(
        "{SALES}\nkpi revenue {{ value: sum(sales.amount)  target: 1  }}\nkpi revenue_or_zero {{ value: sum(sales.amount)  missing: zero }}\nkpi avg_or_none {{ value: avg(sales.amount)  missing: zero }}"
    );
    let e = run(
        &src,
        &[(
            "sales.csv",
            "day,region,channel,amount,qty\n2026-01-05,N,web,3.00,1\n2026-03-05,N,web,4.00,1\n",
        )],
    );
    assert_eq!(e.periods, vec!["2026-01", "2026-02", "2026-03"]);
    assert_eq!(
        cells(row(&e, "revenue", "2026-02", "total")),
        ("-".into(), "1.00".into(), "no_value")
    );
    assert_eq!(value(&e, "revenue_or_zero", "2026-02", "total"), "0.00");
    // An average over no rows stays no value even with `missing: zero`.
    assert_eq!(value(&e, "avg_or_none", "2026-02", "total"), "-");
    assert_eq!(value(&e, "revenue", "2026-03", "total"), "4.00");
}

#[test]
fn a_filter_matching_nothing_sums_to_zero() {
    // January has two web sales (1.50 + 2.25) and no store sale.
    let src = format!(
        "{SALES}
kpi store_revenue {{ value: sum(sales.amount where channel = \"store\") }}
kpi store_sales {{ value: count(sales where channel = \"store\") }}
kpi store_average {{ value: avg(sales.amount where channel = \"store\") }}
kpi web_average {{ value: avg(sales.amount where channel = \"web\") }}
kpi store_share {{ unit: percent  value: store_revenue / sum(sales.amount) }}"
    );
    let e = run(
        &src,
        &[(
            "sales.csv",
            "day,region,channel,amount,qty\n2026-01-05,N,web,1.50,1\n2026-01-06,S,web,2.25,2\n",
        )],
    );
    assert_eq!(value(&e, "store_revenue", "2026-01", "total"), "0.00");
    assert_eq!(value(&e, "store_sales", "2026-01", "total"), "0");
    assert_eq!(value(&e, "store_average", "2026-01", "total"), "-");
    // (1.50 + 2.25) / 2 = 1.875, rounded half-even to the cent: 1.88.
    assert_eq!(value(&e, "web_average", "2026-01", "total"), "1.88");
    // 0 / 3.75 = 0.0%.
    assert_eq!(value(&e, "store_share", "2026-01", "total"), "0.000");
}

#[test]
fn segments_and_totals_are_computed_from_rows() {
    // Region N: 10.00 over 2 orders; S: 30.00 over 1. The total average is 40 / 3 = 13.33, not the
    // average of the regional averages ((5 + 30) / 2 = 17.50).
    let src = format!("{SALES}\nkpi avg_sale {{ unit: money  value: sum(sales.amount) / count(sales)  by: region }}");
    let e = run(&src, &[("sales.csv", "day,region,channel,amount,qty\n2026-01-05,N,web,4.00,1\n2026-01-06,N,web,6.00,1\n2026-01-07,S,web,30.00,1\n")]);
    assert_eq!(value(&e, "avg_sale", "2026-01", "total"), "13.33");
    assert_eq!(value(&e, "avg_sale", "2026-01", "region=N"), "5.00");
    assert_eq!(value(&e, "avg_sale", "2026-01", "region=S"), "30.00");
}

#[test]
fn rounding_half_even_and_half_up() {
    // 1 / 8 = 0.125: to 2 places half-even is 0.12, half-up 0.13. The web share of revenue is
    // 2.25 / (2.25 + 97.75) = 2.25%, which to 1 place rounds half-even to 2.2%, half-up to 2.3%.
    let src = format!(
        "{SALES}
kpi even {{ unit: number  value: sum(sales.qty where channel = \"web\") / 8  rounding: 2 decimals half_even }}
kpi up {{ unit: number  value: sum(sales.qty where channel = \"web\") / 8  rounding: 2 decimals half_up }}
kpi pct_even {{ unit: percent  value: sum(sales.amount where channel = \"web\") / sum(sales.amount)  rounding: 1 decimal }}
kpi pct_up {{ unit: percent  value: sum(sales.amount where channel = \"web\") / sum(sales.amount)  rounding: 1 decimal half_up }}"
    );
    let e = run(
        &src,
        &[(
            "sales.csv",
            "day,region,channel,amount,qty\n2026-01-05,N,web,2.25,1\n2026-01-05,N,store,97.75,1\n",
        )],
    );
    assert_eq!(value(&e, "even", "2026-01", "total"), "0.12");
    assert_eq!(value(&e, "up", "2026-01", "total"), "0.13");
    assert_eq!(value(&e, "pct_even", "2026-01", "total"), "0.022");
    assert_eq!(value(&e, "pct_up", "2026-01", "total"), "0.023");
}

#[test]
fn fiscal_quarters_and_years() {
    // fiscal(start: april): 2026-03-31 is in FY2026-Q4, 2026-04-01 and 2026-06-30 in FY2027-Q1,
    // 2026-07-01 in FY2027-Q2.
    let src = SALES.replace(
        "currency: USD",
        "currency: USD  grain: quarter  calendar: fiscal(start: april)",
    ) + "\nkpi revenue { value: sum(sales.amount) }";
    let csv = "day,region,channel,amount,qty\n2026-03-31,N,web,1.00,1\n2026-04-01,N,web,2.00,1\n2026-06-30,N,web,4.00,1\n2026-07-01,N,web,8.00,1\n";
    let e = run(&src, &[("sales.csv", csv)]);
    assert_eq!(e.periods, vec!["FY2026-Q4", "FY2027-Q1", "FY2027-Q2"]);
    assert_eq!(value(&e, "revenue", "FY2027-Q1", "total"), "6.00");
    let yearly = SALES.replace(
        "currency: USD",
        "currency: USD  grain: year  calendar: fiscal(start: apr)",
    ) + "\nkpi revenue { value: sum(sales.amount) }";
    let e = run(&yearly, &[("sales.csv", csv)]);
    assert_eq!(e.periods, vec!["FY2026", "FY2027"]);
    assert_eq!(value(&e, "revenue", "FY2027", "total"), "14.00");
}

#[test]
fn period_range_and_threshold_without_target_value() {
    // `--from`/`--to` pick the periods; a month with no budget row leaves the status undecided
    // rather than falling through to `red: otherwise`.
    let src = format!(
        "{SALES}
dataset plan {{ source: \"plan.csv\"  time: month  columns: {{ month: date  amount: money }} }}
kpi revenue {{ value: sum(sales.amount)  target: sum(plan.amount)  thresholds: {{ green: value >= target  red: otherwise }} }}"
    );
    let dir = crate::support::folder(&[
        ("sales.csv", "day,region,channel,amount,qty\n2026-01-05,N,web,5.00,1\n2026-02-05,N,web,5.00,1\n2026-03-05,N,web,5.00,1\n"),
        ("plan.csv", "month,amount\n2026-01-01,4.00\n"),
    ]);
    let mut opts = options(dir.path());
    opts.from = Some("2026-01".into());
    opts.to = Some("2026-02-14".into());
    let e = scorecard::evaluate(&model(&src), &opts).expect("runs");
    assert_eq!(e.periods, vec!["2026-01", "2026-02"]);
    assert_eq!(
        cells(row(&e, "revenue", "2026-01", "total")),
        ("5.00".into(), "4.00".into(), "green")
    );
    assert_eq!(
        cells(row(&e, "revenue", "2026-02", "total")),
        ("5.00".into(), "-".into(), "no_value")
    );
}

#[test]
fn parquet_gives_the_same_numbers_as_csv() {
    use datafusion::arrow::array::{Date32Array, Decimal128Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    // The same three rows as `segments_and_totals_are_computed_from_rows`, stored as Parquet with
    // amounts as DECIMAL(18, 2): 2026-01-05 is day 20458 since 1970-01-01.
    let schema = Arc::new(Schema::new(vec![
        Field::new("day", DataType::Date32, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("channel", DataType::Utf8, false),
        Field::new("amount", DataType::Decimal128(18, 2), false),
        Field::new("qty", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Date32Array::from(vec![20458, 20459, 20460])),
            Arc::new(StringArray::from(vec!["N", "N", "S"])),
            Arc::new(StringArray::from(vec!["web", "web", "web"])),
            Arc::new(
                Decimal128Array::from(vec![400, 600, 3000])
                    .with_precision_and_scale(18, 2)
                    .expect("decimal"),
            ),
            Arc::new(Int64Array::from(vec![1, 1, 1])),
        ],
    )
    .expect("batch");
    let dir = crate::support::parquet_folder("sales.parquet", &batch);
    let src = SALES.replace("sales.csv", "sales.parquet")
        + "\nkpi avg_sale { unit: money  value: sum(sales.amount) / count(sales)  by: region }\nkpi qty { value: sum(sales.qty) }";
    let e = scorecard::evaluate(&model(&src), &options(dir.path())).expect("runs");
    assert_eq!(value(&e, "avg_sale", "2026-01", "total"), "13.33");
    assert_eq!(value(&e, "avg_sale", "2026-01", "region=S"), "30.00");
    assert_eq!(value(&e, "qty", "2026-01", "total"), "3.00");
    assert_eq!(e.manifest.inputs[0].rows, 3);
    assert_eq!(e.manifest.inputs[0].format, "parquet");
}

#[test]
fn two_segment_columns_and_better_directions() {
    // by: [region, channel] gives a value per combination present, plus the total.
    // better: lower with a target of 5: 4.00 is green, 6.00 red. within(2, 5): 6.00 is red, 4.00 green.
    let src = format!(
        "{SALES}
kpi revenue {{ value: sum(sales.amount)  by: [region, channel] }}
kpi cost {{ unit: money  value: sum(sales.amount)  target: 5  better: lower }}
kpi band {{ unit: money  value: sum(sales.amount)  better: within(2, 5) }}"
    );
    let csv = "day,region,channel,amount,qty\n2026-01-05,N,web,1.00,1\n2026-01-06,N,store,2.00,1\n2026-01-07,S,web,1.00,1\n2026-02-01,N,web,6.00,1\n";
    let e = run(&src, &[("sales.csv", csv)]);
    let k = e
        .kpis
        .iter()
        .find(|k| k.name == "revenue")
        .expect("revenue");
    let jan: Vec<String> = k
        .results
        .held()
        .iter()
        .filter(|r| r.period == "2026-01")
        .map(|r| {
            format!(
                "{} {}",
                scorecard::report::segment_label(&r.segment),
                cells(r).0
            )
        })
        .collect();
    assert_eq!(
        jan,
        vec![
            "total 4.00",
            "channel=store, region=N 2.00",
            "channel=web, region=N 1.00",
            "channel=web, region=S 1.00"
        ]
    );
    // S has no rows in February: no value there, not zero.
    assert_eq!(
        value(&e, "revenue", "2026-02", "channel=web, region=S"),
        "-"
    );
    assert_eq!(
        cells(row(&e, "cost", "2026-01", "total")),
        ("4.00".into(), "5.00".into(), "green")
    );
    assert_eq!(
        cells(row(&e, "cost", "2026-02", "total")),
        ("6.00".into(), "5.00".into(), "red")
    );
    assert_eq!(cells(row(&e, "band", "2026-01", "total")).2, "green");
    assert_eq!(cells(row(&e, "band", "2026-02", "total")).2, "red");
}

#[test]
fn retail_calendar_and_week_grains_end_to_end() {
    // NRF 4-5-4: FY2024's first month runs 2023-01-29 to 2023-02-25, the second 2023-02-26 to
    // 2023-04-01. 2023-01-28 belongs to FY2023's last month.
    let src = SALES.replace("currency: USD", "currency: USD  calendar: retail_454")
        + "\nkpi revenue { value: sum(sales.amount) }";
    let csv = "day,region,channel,amount,qty\n2023-01-28,N,web,1.00,1\n2023-01-29,N,web,2.00,1\n2023-02-25,N,web,4.00,1\n2023-02-26,N,web,8.00,1\n";
    let e = run(&src, &[("sales.csv", csv)]);
    assert_eq!(e.periods, vec!["FY2023-P12", "FY2024-P01", "FY2024-P02"]);
    assert_eq!(value(&e, "revenue", "FY2024-P01", "total"), "6.00");
    assert_eq!(
        e.scorecard.calendar,
        "retail_454(end_day: saturday, end_month: january)"
    );
    // ISO weeks: 2023-01-01 (Sunday) is in 2022-W52; 2023-01-02 starts 2023-W01.
    let weekly = SALES.replace("currency: USD", "currency: USD  grain: week")
        + "\nkpi revenue { value: sum(sales.amount) }";
    let csv = "day,region,channel,amount,qty\n2023-01-01,N,web,1.00,1\n2023-01-02,N,web,2.00,1\n2023-01-08,N,web,4.00,1\n";
    let e = run(&weekly, &[("sales.csv", csv)]);
    assert_eq!(e.periods, vec!["2022-W52", "2023-W01"]);
    assert_eq!(value(&e, "revenue", "2023-W01", "total"), "6.00");
}

#[test]
fn kpis_are_reported_in_the_order_written() {
    // `share` refers to `total`, declared after it; the report keeps the file's order.
    let src = format!("{SALES}\nkpi share {{ unit: percent  value: sum(sales.amount where channel = \"web\") / total }}\nkpi total {{ value: sum(sales.amount) }}");
    let e = run(
        &src,
        &[(
            "sales.csv",
            "day,region,channel,amount,qty\n2026-01-05,N,web,1.00,1\n",
        )],
    );
    let names: Vec<&str> = e.kpis.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, vec!["share", "total"]);
}

#[test]
fn a_segmented_kpi_may_refer_to_one_whose_target_has_no_segments() {
    // `share` is by region and refers to `revenue`, whose target reads `plan`, which has no region.
    // Only revenue's value is evaluated inside `share`, so `plan` needs no region column.
    // North: 3.00 of 4.00 web = 75.0%.
    let src = format!(
        "{SALES}
dataset plan {{ source: \"plan.csv\"  time: month  columns: {{ month: date  amount: money }} }}
kpi revenue {{ value: sum(sales.amount)  target: sum(plan.amount) }}
kpi share {{ unit: percent  value: sum(sales.amount where channel = \"web\") / revenue  by: region }}"
    );
    let e = run(
        &src,
        &[
            ("sales.csv", "day,region,channel,amount,qty\n2026-01-05,N,web,3.00,1\n2026-01-06,N,store,1.00,1\n"),
            ("plan.csv", "month,amount\n2026-01-01,10.00\n"),
        ],
    );
    assert_eq!(value(&e, "share", "2026-01", "region=N"), "0.750");
}
