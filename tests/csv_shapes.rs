//! CSV as spreadsheets and ERPs write it: every field quoted, text holding commas, quotes and line
//! breaks, and a `key` column. Such a file is read in parallel pieces like any other, gives the
//! numbers the same rows give unquoted, and a repeated key is named by the same lines on any
//! number of threads.

use std::collections::BTreeMap;
use std::path::Path;

/// Copies of the retail example's order lines: more than the 4 MiB from which a file is read in
/// pieces.
const COPIES: usize = 12;

/// One order line: its fields, and how many line breaks its text holds.
struct Record {
    fields: Vec<String>,
}

impl Record {
    fn breaks(&self) -> usize {
        self.fields.iter().map(|f| f.matches('\n').count()).sum()
    }
}

/// The example's order lines `COPIES` times over, each copy's `line_id` made its own. Every 7th
/// customer's name holds a comma, a quote and a line break (the same name wherever it appears, so
/// distinct counts do not change).
fn records() -> (Vec<String>, Vec<Record>) {
    let text = std::fs::read_to_string("scorecards/retail/data/orders.csv").unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let mut out = Vec::new();
    for copy in 0..COPIES {
        for row in &rows {
            let mut fields = row.clone();
            fields[0] = format!("{}-{copy}", fields[0]);
            let number: u32 = fields[3].trim_start_matches('C').parse().unwrap();
            if number.is_multiple_of(7) {
                fields[3] = format!("{}, \"Ltd\"\nHead office", fields[3]);
            }
            out.push(Record { fields });
        }
    }
    (header, out)
}

/// The file's text: quoted everywhere (a spreadsheet's export), or only where a field needs it.
fn write(header: &[String], records: &[Record], quote_all: bool) -> String {
    let quote = |f: &str| match quote_all || f.contains([',', '"', '\n']) {
        true => format!("\"{}\"", f.replace('"', "\"\"")),
        false => f.to_string(),
    };
    let mut s = header
        .iter()
        .map(|h| quote(h))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for r in records {
        s.push_str(
            &r.fields
                .iter()
                .map(|f| quote(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        s.push('\n');
    }
    s
}

/// A copy of the retail example whose orders are `orders`; its scorecard's path.
fn example_with(dir: &Path, orders: &str) -> String {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(
        "scorecards/retail/retail.scorecard",
        dir.join("retail.scorecard"),
    )
    .unwrap();
    std::fs::copy(
        "scorecards/retail/data/budget.csv",
        dir.join("data/budget.csv"),
    )
    .unwrap();
    std::fs::write(dir.join("data/orders.csv"), orders).unwrap();
    dir.join("retail.scorecard").to_string_lossy().into_owned()
}

fn run(card: &str, threads: usize) -> (i32, String, String) {
    crate::cli::scorecard(&[
        "run",
        card,
        "--format",
        "csv",
        "--threads",
        &threads.to_string(),
    ])
}

/// (kpi, period, segment) -> value, from `run --format csv`.
fn values(csv: &str) -> BTreeMap<(String, String, String), String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (k, p, s, v) = (at("kpi"), at("period"), at("segment"), at("value"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[k].into(), f[p].into(), f[s].into()), f[v].into())
        })
        .collect()
}

/// A decimal text as hundredths.
fn hundredths(text: &str) -> i128 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<2}");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    whole.parse::<i128>().unwrap() * 100 + sign * frac[..2].parse::<i128>().unwrap()
}

#[test]
fn a_quoted_keyed_export_gives_the_numbers_of_the_same_rows_unquoted_on_any_thread_count() {
    let (header, records) = records();
    let quoted = write(&header, &records, true);
    assert!(quoted.len() > 4 << 20, "the file is read in pieces");
    let plain = write(&header, &records, false);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let quoted_card = example_with(dirs[0].path(), &quoted);
    let plain_card = example_with(dirs[1].path(), &plain);

    let (code, expected, err) = run(&plain_card, 1);
    assert_eq!(code, 0, "{err}");
    for threads in [2, 3, 4] {
        let (code, out, err) = run(&quoted_card, threads);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, expected, "quoted, on {threads} threads");
    }

    // Worked out apart from the engine: every copy adds the example's sums once more.
    let (code, example, err) = run("scorecards/retail/retail.scorecard", 1);
    assert_eq!(code, 0, "{err}");
    let (example, copies) = (values(&example), values(&expected));
    let mut checked = 0;
    for (key, value) in &example {
        if (key.0 == "net_revenue" || key.0 == "units_sold") && !value.is_empty() {
            assert_eq!(
                hundredths(&copies[key]),
                hundredths(value) * COPIES as i128,
                "{key:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} values checked");
}

#[test]
fn the_first_repeated_key_of_a_quoted_export_is_named_alike_on_any_thread_count() {
    let (header, mut records) = records();
    // The line each record starts on (the header is line 1; names with a line break take two).
    let mut lines = Vec::with_capacity(records.len());
    let mut line = 2;
    for r in &records {
        lines.push(line);
        line += 1 + r.breaks();
    }
    let n = records.len();
    // (first, second) record of each repeat. The earliest second record, at 53% of the file, is
    // in the second piece on two threads and its first in the first piece; the other repeats'
    // second records come later, one of them within the second piece.
    let repeats = [
        (n / 5, n * 53 / 100),
        (n / 100, n * 9 / 10),
        (n * 6 / 10, n * 6 / 10 + 10),
    ];
    for (first, second) in repeats {
        records[second].fields[0] = records[first].fields[0].clone();
    }
    let (first, second) = repeats[0];
    let dir = tempfile::tempdir().unwrap();
    let card = example_with(dir.path(), &write(&header, &records, true));
    let expected = format!(
        "orders.csv:{}: key column `line_id` repeats the value `{}` first seen on line {}",
        lines[second], records[first].fields[0], lines[first]
    );
    for threads in [1, 2, 3, 4] {
        let (code, _, err) = run(&card, threads);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("scorecard::data::"), "{err}");
        assert!(
            err.contains(&expected),
            "on {threads} threads, expected {expected}:\n{err}"
        );
    }
}
