//! Inputs at the edges of what the engine holds (docs/robustness.md): days outside years 1 to
//! 9999 in every place a day enters (data of every format, options, period names), refused with a
//! coded error, never a panic and never a period of their own.

use crate::support::{model, options, parquet_folder};
use datafusion::arrow::array::{Date32Array, Decimal128Array, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use std::sync::Arc;

fn days_batch(days: Vec<i32>) -> RecordBatch {
    let n = days.len();
    let schema = Arc::new(Schema::new(vec![
        Field::new("day", DataType::Date32, false),
        Field::new("amount", DataType::Decimal128(18, 2), false),
    ]));
    let amounts = Decimal128Array::from(vec![500; n])
        .with_precision_and_scale(18, 2)
        .unwrap();
    RecordBatch::try_new(
        schema,
        vec![Arc::new(Date32Array::from(days)), Arc::new(amounts)],
    )
    .unwrap()
}

const PARQUET: &str = "scorecard t { currency: USD }\ndataset f { source: \"f.parquet\"  time: day  columns: { day: date  amount: money } }\nkpi k { value: sum(f.amount) }";

fn parquet_error(batch: &RecordBatch, src: &str) -> (String, &'static str) {
    let dir = parquet_folder("f.parquet", batch);
    match scorecard::evaluate(&model(src), &options(dir.path())) {
        Ok(_) => (String::new(), ""),
        Err(e) => (e.to_string(), e.code().as_str()),
    }
}

#[test]
fn a_parquet_day_outside_years_1_to_9999_is_named_by_its_row() {
    // 2026-01-05, then 300000-01-01 (beyond any calendar library's range), then PostgreSQL's and
    // DuckDB's `infinity` (the largest 32-bit day).
    let far = 108_853_222;
    for (days, row, shown) in [
        (
            vec![20_458, 20_459, far],
            3,
            "day 108853222 after 1970-01-01",
        ),
        (vec![20_458, i32::MAX], 2, "day 2147483647 after 1970-01-01"),
        (vec![-719_163, 20_458], 1, "0000-12-31"),
    ] {
        let (e, code) = parquet_error(&days_batch(days), PARQUET);
        assert_eq!(code, "scorecard::data::bad_value", "{e}");
        assert!(
            e.contains(&format!(
                "f.parquet:{row}: column `day` has the value `{shown}`"
            )) && e.contains("expected a date from 0001-01-01 to 9999-12-31"),
            "{e}"
        );
    }
    // The first and last supported days are read (and reported a period at a time: both at once
    // would be 119,988 months, more than a run reports).
    let both = days_batch(vec![-719_162, 2_932_896]);
    let (e, code) = parquet_error(&both, PARQUET);
    assert_eq!(code, "scorecard::run::too_many_periods", "{e}");
    let dir = parquet_folder("f.parquet", &both);
    for month in ["0001-01", "9999-12"] {
        let one = scorecard::engine::Options {
            from: Some(month.into()),
            to: Some(month.into()),
            ..options(dir.path())
        };
        let e = scorecard::evaluate(&model(PARQUET), &one).expect("the day is read");
        assert_eq!(crate::support::value(&e, "k", month, "total"), "5.00");
    }
}

#[test]
fn a_parquet_timestamp_outside_years_1_to_9999_is_named_by_its_row() {
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "at",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("amount", DataType::Decimal128(18, 2), false),
    ]));
    // 2026-01-05 and 12000-01-01 (both at midnight).
    let micros = vec![1_767_571_200_000_000, 316_516_204_800_000_000];
    let amounts = Decimal128Array::from(vec![500, 600])
        .with_precision_and_scale(18, 2)
        .unwrap();
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampMicrosecondArray::from(micros)),
            Arc::new(amounts),
        ],
    )
    .unwrap();
    let src = "scorecard t { currency: USD }\ndataset f { source: \"f.parquet\"  time: at  columns: { at: timestamp  amount: money } }\nkpi k { value: sum(f.amount) }";
    let (e, code) = parquet_error(&batch, src);
    assert_eq!(code, "scorecard::data::bad_value", "{e}");
    assert!(
        e.contains("f.parquet:2: column `at` has the value `+12000-01-01T00:00:00`"),
        "{e}"
    );
}

#[test]
fn options_and_period_names_outside_years_1_to_9999_are_refused() {
    let dir = crate::support::folder(&[("f.csv", "day,amount\n2026-01-05,5.00\n")]);
    let card = dir.path().join("t.scorecard");
    std::fs::write(
        &card,
        "scorecard t { currency: USD }\ndataset f { source: \"f.csv\"  time: day  columns: { day: date  amount: money } }\nkpi k { value: sum(f.amount) }\n",
    )
    .unwrap();
    let card = card.to_str().unwrap();
    // The days at the edge of what chrono holds panicked in each of these.
    for (edge, why) in [
        ("+262142-12-31", "dates run from 0001-01-01 to 9999-12-31"),
        ("0000-06-30", "dates run from 0001-01-01 to 9999-12-31"),
        ("10000-01-01", "is not a date written YYYY-MM-DD"),
    ] {
        let (code, _, err) = crate::cli::scorecard(&["run", card, &format!("--as-of={edge}")]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(why), "{err}");
        for flag in ["--from", "--to"] {
            let (code, _, err) = crate::cli::scorecard(&["run", card, &format!("{flag}={edge}")]);
            assert_eq!(code, 2, "{err}");
            assert!(err.contains("error[scorecard::run::bad_period]"), "{err}");
        }
        let (code, _, err) =
            crate::cli::scorecard(&["explain", card, "k", &format!("--period={edge}")]);
        assert_eq!(code, 2, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // The supported edges themselves are periods.
    let (code, out, err) = crate::cli::scorecard(&[
        "run",
        card,
        "--from=0001-01-01",
        "--to=0001-02",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(",0001-01,") && out.contains(",0001-02,"),
        "{out}"
    );
    let (code, out, err) = crate::cli::scorecard(&[
        "run",
        card,
        "--from=9999-12",
        "--to=9999-12-31",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(",9999-12,"), "the last month is reported");
}

#[test]
fn thread_counts_are_bounded() {
    // 100,000 threads panicked; 5,000 did not finish.
    for n in ["0", "100000", "5000", "-1"] {
        let (code, _, err) =
            crate::cli::scorecard(&["run", crate::cli::RETAIL, &format!("--threads={n}")]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("threads from 1 to 256"), "{err}");
    }
    let (code, _, err) = crate::cli::scorecard(&[
        "run",
        crate::cli::RETAIL,
        "--threads",
        "256",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    // A library caller asking for more is held to the same bound.
    let dir = crate::support::folder(&[("f.csv", "day,amount\n2026-01-05,5.00\n")]);
    let src = "scorecard t { currency: USD }\ndataset f { source: \"f.csv\"  time: day  columns: { day: date  amount: money } }\nkpi k { value: sum(f.amount) }";
    let many = scorecard::engine::Options {
        threads: Some(100_000),
        ..options(dir.path())
    };
    let e = scorecard::evaluate(&model(src), &many).expect("runs on 256 threads");
    assert_eq!(crate::support::value(&e, "k", "2026-01", "total"), "5.00");
}

#[test]
fn a_chain_of_10000_kpis_each_using_the_one_before_runs() {
    // Every kind of nesting at 10,000 deep: KPIs that use KPIs overflowed the stack at 300 in a
    // debug build, and took minutes at 3,000 (each KPI's chain was walked again for every KPI).
    let n = 10_000;
    let mut src = String::from("scorecard t { currency: USD }\ndataset d { source: \"d.csv\"  time: day  columns: { day: date  amount: money } }\nkpi k0 { value: sum(d.amount) }\n");
    for i in 1..n {
        src.push_str(&format!("kpi k{i} {{ value: k{} + 1 }}\n", i - 1));
    }
    let dir = crate::support::folder(&[
        ("t.scorecard", &src),
        ("d.csv", "day,amount\n2026-01-05,5.00\n"),
    ]);
    let card = dir.path().join("t.scorecard");
    let card = card.to_str().unwrap();
    let (code, out, err) = crate::cli::scorecard(&["check", card]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("10000 KPIs"), "{out}");
    let (code, out, err) = crate::cli::scorecard(&["run", card, "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    // k9999 = 5.00 + 9,999.
    assert!(
        out.contains("\nk9999,,money,2026-01,true,total,10004.00,"),
        "{}",
        &out[out.len().saturating_sub(300)..]
    );
    let (code, out, err) =
        crate::cli::scorecard(&["explain", card, "k9999", "--period", "2026-01"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("10,004.00"), "{}", &out[..out.len().min(600)]);
}

#[test]
fn two_top_shares_of_one_column_are_computed_from_one_ranking() {
    // DataFusion could not plan the same window function twice: two top shares over one column
    // stopped the run with `scorecard::run::engine`. Amounts 100, 50, 30, 20 (200 in all): the top
    // 25% of rows is 100 (0.5 of the whole), the top 50% is 150 (0.75), by hand.
    let source = "scorecard t { grain: month }\ndataset f { source: \"f.csv\"  time: day  columns: { day: date  amount: money } }\nkpi quarter { value: top_share(f.amount, 25%)  unit: ratio }\nkpi half { value: top_share(f.amount, 50%)  unit: ratio }\nkpi both { value: top_share(f.amount, 25%) + top_share(f.amount, 50%)  unit: ratio }\n";
    let dir = crate::support::folder(&[(
        "f.csv",
        "day,amount\n2026-01-05,30.00\n2026-01-06,100.00\n2026-01-07,20.00\n2026-01-08,50.00\n",
    )]);
    let e = scorecard::evaluate(&model(source), &options(dir.path())).expect("the run succeeds");
    let value = |k: &str| crate::support::value(&e, k, "2026-01", "total");
    assert_eq!(value("quarter"), "0.5000");
    assert_eq!(value("half"), "0.7500");
    assert_eq!(value("both"), "1.2500");
}

#[test]
fn a_file_with_lone_cr_line_ends_checks_and_formats_as_its_lf_form() {
    // Lone CRs (classic Mac line ends): a `//` comment used to run to the end of the file, and
    // `check` said ok with no declarations.
    let lf = "scorecard s { currency: USD }\n// a comment\ndataset d { source: \"d.csv\"  time: day  columns: { day: date  x: money } }\n/* a\nblock */\nkpi k { value: sum(d.x) }\n";
    let cr = lf.replace('\n', "\r");
    let dir = crate::support::folder(&[("lf.scorecard", lf), ("cr.scorecard", &cr)]);
    for name in ["lf.scorecard", "cr.scorecard"] {
        let path = dir.path().join(name);
        let (code, out, err) = crate::cli::scorecard(&["check", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(out.contains("(1 datasets, 1 KPIs)"), "{name}: {out}");
    }
    let compiled = scorecard::compile(&cr.replace("sum(d.x)", "sum(e.x)"));
    let d = &compiled.diagnostics[0];
    let rendered = scorecard::diagnostic::render_plain(
        "cr.scorecard",
        &cr.replace("sum(d.x)", "sum(e.x)"),
        &compiled.diagnostics,
    );
    assert!(rendered.contains("cr.scorecard:6:20"), "{rendered}");
    assert_eq!(d.code.as_str(), "scorecard::check::unknown_dataset");
    // `fmt` writes the canonical layout, with line feeds (a block comment keeps its text as
    // written).
    let path = dir.path().join("cr.scorecard");
    let (code, _, err) = crate::cli::scorecard(&["fmt", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let formatted = std::fs::read_to_string(&path).unwrap();
    assert!(
        formatted.contains("\n// a comment\ndataset d")
            && formatted.contains("\nkpi k { value: sum(d.x) }\n"),
        "{formatted:?}"
    );
    assert_eq!(scorecard::compile(&formatted).errors(), 0, "{formatted}");
}

#[test]
fn a_test_failure_in_a_file_with_lone_cr_line_ends_is_placed_by_its_line() {
    // Placed at 1:544 (the whole file one line) before a lone CR counted as a line end.
    let lf = r#"scorecard s { currency: USD }
dataset d { source: "d.csv"  time: day  columns: { day: date  x: money } }
kpi k { value: sum(d.x) }
test t {
  data: {
    d: """
      day,x
      2026-01-05,1.00
    """
  }
  expect: k[2026-01] = 2
}
"#;
    let cr = lf.replace('\n', "\r");
    let dir = crate::support::folder(&[("t.scorecard", &cr), ("d.csv", "day,x\n")]);
    let path = dir.path().join("t.scorecard");
    let (code, out, _) = crate::cli::scorecard(&["test", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    // Line 11, and the expression after `  expect: ` at column 11.
    assert!(
        out.contains("t.scorecard:11:11  expect: k[2026-01] = 2"),
        "{out}"
    );
}
