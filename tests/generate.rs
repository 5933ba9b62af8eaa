//! `scorecard generate` and the large-file paths it exists for: seeded data is byte-identical run to
//! run, CSV and Parquet hold the same rows, the benchmark scorecards run on it, and a CSV file large
//! enough to be read in pieces gives the sums and the line numbers of the whole file.

use crate::support::{model, options, value};
use scorecard::generate::{generate, Folder, Format, Kind};
use std::collections::BTreeMap;
use std::path::Path;

const BOTH: &[Format] = &[Format::Csv, Format::Parquet];

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_same_seed_and_size_write_the_same_bytes() {
    let (a, b, c) = (tempdir(), tempdir(), tempdir());
    generate(Kind::Retail, 3_000, 7, Folder::new(a.path()), BOTH).unwrap();
    generate(Kind::Retail, 3_000, 7, Folder::new(b.path()), BOTH).unwrap();
    generate(
        Kind::Retail,
        3_000,
        8,
        Folder::new(c.path()),
        &[Format::Csv],
    )
    .unwrap();
    for f in [
        "orders.csv",
        "orders.parquet",
        "budget.csv",
        "budget.parquet",
    ] {
        assert_eq!(read(&a.path().join(f)), read(&b.path().join(f)), "{f}");
    }
    assert_ne!(
        read(&a.path().join("orders.csv")),
        read(&c.path().join("orders.csv"))
    );
}

/// Revenue cents and line counts per month, read straight from the CSV text (no engine).
fn monthly_from_text(csv: &str) -> BTreeMap<String, (i64, i64)> {
    let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let cents: i64 = fields[8].replace('.', "").parse().unwrap();
        let e = out.entry(fields[2][..7].to_string()).or_default();
        e.0 += cents;
        e.1 += 1;
    }
    out
}

fn cents_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

const MONTHLY: &str = r#"
scorecard t { currency: USD  grain: month }
dataset orders {
  source: "orders.FORMAT"
  time: order_date
  columns: { order_date: date  revenue: money  units: integer }
}
kpi revenue { value: sum(orders.revenue) }
kpi lines { value: count(orders) }
"#;

fn evaluate_monthly(dir: &Path, format: &str) -> scorecard::rules::Evaluation {
    let m = model(&MONTHLY.replace("FORMAT", format));
    scorecard::evaluate(&m, &options(dir)).expect("the run succeeds")
}

/// Each month's revenue and line count as the engine found them equal the text's.
fn assert_monthly(
    e: &scorecard::rules::Evaluation,
    expected: &BTreeMap<String, (i64, i64)>,
    what: &str,
) {
    for (month, (cents, lines)) in expected {
        assert_eq!(
            value(e, "revenue", month, "total"),
            cents_text(*cents),
            "{what} {month}"
        );
        assert_eq!(
            value(e, "lines", month, "total"),
            lines.to_string(),
            "{what} {month}"
        );
    }
}

#[test]
fn csv_and_parquet_hold_the_rows_the_text_shows() {
    let dir = tempdir();
    let written = generate(Kind::Retail, 3_000, 11, Folder::new(dir.path()), BOTH).unwrap();
    assert!(written
        .files
        .iter()
        .any(|(p, n)| p.ends_with("orders.parquet") && *n == 3_000));
    let expected =
        monthly_from_text(&String::from_utf8(read(&dir.path().join("orders.csv"))).unwrap());
    // 36 fiscal months, April 2023 to March 2026.
    assert_eq!(expected.len(), 36);
    assert_eq!(expected.keys().next().unwrap(), "2023-04");
    assert_eq!(expected.keys().last().unwrap(), "2026-03");
    for format in ["csv", "parquet"] {
        assert_monthly(&evaluate_monthly(dir.path(), format), &expected, format);
    }
}

#[test]
fn marketing_data_has_the_asked_touches_and_a_tenth_as_many_orders() {
    let dir = tempdir();
    let written = generate(
        Kind::Marketing,
        5_000,
        3,
        Folder::new(dir.path()),
        &[Format::Csv],
    )
    .unwrap();
    let rows: BTreeMap<String, u64> = written
        .files
        .iter()
        .map(|(p, n)| (p.file_name().unwrap().to_string_lossy().to_string(), *n))
        .collect();
    assert_eq!(rows["touchpoints.csv"], 5_000);
    // About 250 customers with 0 to 4 orders each: 500 expected.
    assert!((350..=650).contains(&rows["orders.csv"]), "{rows:?}");
    // Twelve months of five paid channels (direct costs nothing).
    assert_eq!(rows["spend.csv"], 60);
}

#[test]
fn the_benchmark_scorecards_run_on_generated_data() {
    for (name, kind) in [("retail", Kind::Retail), ("marketing", Kind::Marketing)] {
        let dir = tempdir();
        generate(kind, 4_000, 5, Folder::new(dir.path()), BOTH).unwrap();
        let source = std::fs::read_to_string(format!("bench/{name}.scorecard")).unwrap();
        for text in [source.clone(), source.replace(".csv\"", ".parquet\"")] {
            let e = scorecard::evaluate(&model(&text), &options(dir.path()))
                .unwrap_or_else(|err| panic!("bench/{name}.scorecard: {err}"));
            assert!(e.kpis.iter().all(|k| !k.results.is_empty()), "{name}");
        }
    }
}

#[test]
fn credits_from_parquet_are_the_csv_credits_one_row_up() {
    // Parquet rows are numbered from 1 and CSV lines from the header's 1, so the conversion on
    // CSV line n is Parquet row n - 1; every credit is otherwise the same. (Reading the credit
    // table of a Parquet attribution used to panic on the row numbers' type.)
    let dir = tempdir();
    generate(Kind::Marketing, 3_000, 9, Folder::new(dir.path()), BOTH).unwrap();
    let source = std::fs::read_to_string("bench/marketing.scorecard").unwrap();
    let credits = |text: &str| {
        let opts = scorecard::engine::Options {
            credits: true,
            ..options(dir.path())
        };
        scorecard::evaluate(&model(text), &opts)
            .expect("the run succeeds")
            .credits
    };
    let csv = credits(&source);
    let parquet = credits(&source.replace(".csv\"", ".parquet\""));
    assert_eq!(csv.len(), parquet.len());
    assert!(!csv.is_empty());
    for (c, p) in csv.iter().zip(&parquet) {
        assert_eq!(
            (
                &c.attribution,
                c.conversion - 1,
                &c.converted_at,
                c.touch.map(|t| t - 1),
                &c.credited,
                c.weight,
                c.credit
            ),
            (
                &p.attribution,
                p.conversion,
                &p.converted_at,
                p.touch,
                &p.credited,
                p.weight,
                p.credit
            )
        );
    }
    // Each order's credits under each rule add up to its revenue as the CSV text gives it.
    let text = String::from_utf8(read(&dir.path().join("orders.csv"))).unwrap();
    let revenue: BTreeMap<i64, String> = text
        .lines()
        .enumerate()
        .skip(1)
        .map(|(i, l)| (i as i64 + 1, l.rsplit(',').next().unwrap().to_string()))
        .collect();
    let mut sums: BTreeMap<(String, i64), rust_decimal::Decimal> = BTreeMap::new();
    for c in &parquet {
        *sums
            .entry((c.attribution.clone(), c.conversion + 1))
            .or_default() += c.credit.unwrap();
    }
    assert_eq!(sums.len(), 2 * revenue.len());
    for ((_, line), sum) in sums {
        assert_eq!(format!("{sum:.2}"), revenue[&line], "order on line {line}");
    }
}

#[test]
fn a_large_csv_is_read_in_pieces_with_the_whole_files_sums_and_line_numbers() {
    // 60,000 lines is about 5.5 MB: past the 4 MB from which a file is read on every thread.
    let dir = tempdir();
    generate(
        Kind::Retail,
        60_000,
        13,
        Folder::new(dir.path()),
        &[Format::Csv],
    )
    .unwrap();
    let path = dir.path().join("orders.csv");
    let text = String::from_utf8(read(&path)).unwrap();
    assert!(text.len() > 4 << 20);
    let expected = monthly_from_text(&text);
    assert_monthly(&evaluate_monthly(dir.path(), "csv"), &expected, "pieces");

    // A bad value on line 59,000 (in the second piece) is reported at that line of the file.
    let spoil = |text: &str, line: usize| -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut fields: Vec<&str> = lines[line - 1].split(',').collect();
        fields[8] = "12.345";
        lines[line - 1] = fields.join(",");
        lines.join("\n") + "\n"
    };
    let late = spoil(&text, 59_000);
    std::fs::write(&path, &late).unwrap();
    let err = scorecard::evaluate(
        &model(&MONTHLY.replace("FORMAT", "csv")),
        &options(dir.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("orders.csv:59000: column `revenue` has the value `12.345`"),
        "{err}"
    );

    // With a second bad value early in the file, the first in file order is the one reported.
    std::fs::write(&path, spoil(&late, 100)).unwrap();
    let err = scorecard::evaluate(
        &model(&MONTHLY.replace("FORMAT", "csv")),
        &options(dir.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("orders.csv:100: column `revenue`"), "{err}");
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}
