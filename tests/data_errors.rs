//! Bad data stops a run with an error that names the file, line, column and value; nothing is
//! rounded, wrapped or skipped in silence.

use crate::support::{folder, model, options};

const SRC: &str = r#"
scorecard t { currency: USD }
dataset sales {
  source: "sales.csv"
  time: day
  columns: { id: text key  day: date  amount: money  qty: integer  share: percent }
}
kpi revenue { value: sum(sales.amount) }
kpi qty { value: sum(sales.qty) }
"#;

fn error(csv: &str) -> String {
    let dir = folder(&[("sales.csv", csv)]);
    match scorecard::evaluate(&model(SRC), &options(dir.path())) {
        Ok(_) => panic!("expected a data error for:\n{csv}"),
        Err(e) => e
            .to_string()
            .replace(&dir.path().display().to_string(), "DIR"),
    }
}

const HEADER: &str = "id,day,amount,qty,share\n";

#[test]
fn a_value_that_does_not_fit_names_file_line_column_and_value() {
    let e = error(&format!(
        "{HEADER}a,2026-01-01,1.00,1,5%\nb,2026-01-02,12.345,1,5%\n"
    ));
    assert!(
        e.starts_with("DIR/sales.csv:3: column `amount` has the value `12.345`"),
        "{e}"
    );
    assert!(e.contains("at most 2 decimal places"), "{e}");

    let e = error(&format!("{HEADER}a,2026-01-01,\"1,234.50\",1,5%\n"));
    assert!(
        e.contains(":2: column `amount` has the value `1,234.50`")
            && e.contains("thousands separators"),
        "{e}"
    );

    let e = error(&format!("{HEADER}a,31/01/2026,1.00,1,5%\n"));
    assert!(
        e.contains(
            ":2: column `day` has the value `31/01/2026`, expected a date written YYYY-MM-DD"
        ),
        "{e}"
    );

    let e = error(&format!("{HEADER}a,2026-01-01,1.00,2.5,5%\n"));
    assert!(
        e.contains("column `qty` has the value `2.5`, expected a whole number"),
        "{e}"
    );

    let e = error(&format!("{HEADER}a,2026-01-01,1.00,1,lots\n"));
    assert!(e.contains("column `share` has the value `lots`"), "{e}");
}

#[test]
fn structural_problems() {
    let e = error("id,day,amount,qty\na,2026-01-01,1.00,1\n");
    assert!(e.contains("the header has no column `share`"), "{e}");

    let e = error(&format!(
        "{HEADER}a,2026-01-01,1.00,1,5%\nb,2026-01-01,1.00\n"
    ));
    assert!(
        e.contains("sales.csv:3: the row has 3 fields but the header has 5"),
        "{e}"
    );

    let e = error(&format!(
        "{HEADER}a,2026-01-01,1.00,1,5%\na,2026-01-02,1.00,1,5%\n"
    ));
    assert!(
        e.contains(":3: key column `id` repeats the value `a` first seen on line 2"),
        "{e}"
    );

    let e = error(&format!("{HEADER}a,,1.00,1,5%\n"));
    assert!(e.contains(":2: time column `day` is empty"), "{e}");

    let dir = folder(&[]);
    let e = scorecard::evaluate(&model(SRC), &options(dir.path()))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("cannot read") && e.contains("no such file"),
        "{e}"
    );
}

#[test]
fn not_utf8_is_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"a\xff,2026-01-01,1.00,1,5%\n");
    std::fs::write(dir.path().join("sales.csv"), bytes).expect("write");
    let e = scorecard::evaluate(&model(SRC), &options(dir.path()))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("sales.csv:2: the row is not valid UTF-8"), "{e}");
}

#[test]
fn bom_crlf_and_blank_fields_are_read() {
    // A byte-order mark and CRLF line ends (as Excel writes them) read like plain UTF-8; an empty
    // amount is no value and is left out of the sum: 1.50 + 2.00 = 3.50.
    let csv = "\u{feff}id,day,amount,qty,share\r\na,2026-01-01,1.50,1,5%\r\nb,2026-01-02,,2,5%\r\nc,2026-01-03,2.00,3,0.05\r\n";
    let e = crate::support::run(SRC, &[("sales.csv", csv)]);
    assert_eq!(
        crate::support::value(&e, "revenue", "2026-01", "total"),
        "3.50"
    );
    assert_eq!(crate::support::value(&e, "qty", "2026-01", "total"), "6.00");
}

#[test]
fn integer_sums_do_not_wrap() {
    // Two values of 9,000,000,000,000,000,000 (near the 64-bit limit of 9.22e18) sum to 1.8e19, which a
    // 64-bit sum would wrap to a negative number.
    let csv = format!("{HEADER}a,2026-01-01,1.00,9000000000000000000,5%\nb,2026-01-01,1.00,9000000000000000000,5%\n");
    let e = crate::support::run(SRC, &[("sales.csv", &csv)]);
    assert_eq!(
        crate::support::value(&e, "qty", "2026-01", "total"),
        "18000000000000000000.00"
    );
}

#[test]
fn parquet_floats_are_refused_for_money() {
    use datafusion::arrow::array::{Date32Array, Float64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(vec![
        Field::new("day", DataType::Date32, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Date32Array::from(vec![20458])),
            Arc::new(Float64Array::from(vec![0.1])),
        ],
    )
    .expect("batch");
    let dir = crate::support::parquet_folder("f.parquet", &batch);
    let src = "scorecard t {}\ndataset f { source: \"f.parquet\"  time: day  columns: { day: date  amount: money } }\nkpi x { value: sum(f.amount) }";
    let e = scorecard::evaluate(&model(src), &options(dir.path()))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("column `amount` is stored as Float64") && e.contains("DECIMAL"),
        "{e}"
    );
}

#[test]
fn parquet_rows_without_a_time_are_reported_not_dropped() {
    use datafusion::arrow::array::{Date32Array, Decimal128Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    // Three rows, two of them with no day. The KPI's only aggregate has a filter, so the count of
    // rows without a day must not come from that filter's count (which would say 1, not 2).
    let schema = Arc::new(Schema::new(vec![
        Field::new("day", DataType::Date32, true),
        Field::new("amount", DataType::Decimal128(18, 2), false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Date32Array::from(vec![Some(20458), None, None])),
            Arc::new(
                Decimal128Array::from(vec![100, 200, -300])
                    .with_precision_and_scale(18, 2)
                    .expect("decimal"),
            ),
        ],
    )
    .expect("batch");
    let dir = crate::support::parquet_folder("f.parquet", &batch);
    let src = "scorecard t {}\ndataset f { source: \"f.parquet\"  time: day  columns: { day: date  amount: money } }\nkpi x { value: sum(f.amount where amount > 0) }";
    let expected = "f.parquet: 2 rows have no value in time column `day`";
    let mut opts = options(dir.path());
    let e = scorecard::evaluate(&model(src), &opts)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains(expected), "{e}");
    // With --as-of the cut-off must not quietly drop them either.
    opts.as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 31);
    let e = scorecard::evaluate(&model(src), &opts)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains(expected), "{e}");
}
