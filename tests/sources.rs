//! Dataset sources beyond CSV and Parquet, and the project file that binds them: JSON lines, a range
//! of an Excel sheet, PostgreSQL tables and queries (on the real server `.ci/postgres` starts),
//! `scorecard.toml` bindings, `--config`, and a project's several scorecards run at once. Each
//! source is held to the numbers the same rows give from CSV, and small cases to sums worked out
//! by hand.

use crate::cli::{scorecard, RETAIL};
use crate::support::scorecard_in;
use crate::support::{folder, model, options, value};
use std::path::Path;
use std::process::Command;

/// One order a day in May and June 2026; revenue by month: May 100.10 + 12345678901234567.89
/// = 12345678901234667.99, June 50.00 + (none) = 50.00; rows: May 2, June 2.
const SCORECARD: &str = r#"scorecard s { grain: month }
dataset orders {
  source: "orders.SUFFIX"
  time: day
  columns: { id: text key  day: date  region: text  revenue: money }
}
kpi revenue { unit: money  value: sum(orders.revenue) }
kpi order_count { unit: count  value: count(orders) }
"#;

const CSV: &str = "id,day,region,revenue\n\
o1,2026-05-03,EMEA,100.10\n\
o2,2026-05-20,APAC,12345678901234567.89\n\
o3,2026-06-01,EMEA,50.00\n\
o4,2026-06-02,APAC,\n";

fn with_suffix(suffix: &str) -> String {
    SCORECARD.replace("SUFFIX", suffix)
}

/// The hand-worked values above, checked on an evaluation.
fn assert_hand_values(e: &scorecard::rules::Evaluation) {
    assert_eq!(
        value(e, "revenue", "2026-05", "total"),
        "12345678901234667.99"
    );
    assert_eq!(value(e, "revenue", "2026-06", "total"), "50.00");
    assert_eq!(value(e, "order_count", "2026-05", "total"), "2");
    assert_eq!(value(e, "order_count", "2026-06", "total"), "2");
}

#[test]
fn csv_gives_the_hand_worked_values() {
    let dir = folder(&[("orders.csv", CSV)]);
    let e = scorecard::evaluate(&model(&with_suffix("csv")), &options(dir.path())).unwrap();
    assert_hand_values(&e);
}

#[test]
fn json_lines_keep_every_digit_and_read_a_left_out_key_as_no_value() {
    // Keys in any order; o4 leaves revenue out, o3 writes it as a number, o1 as a string.
    let jsonl =
        "{\"id\":\"o1\",\"day\":\"2026-05-03\",\"region\":\"EMEA\",\"revenue\":\"100.10\"}\n\
{\"revenue\":12345678901234567.89,\"id\":\"o2\",\"day\":\"2026-05-20\",\"region\":\"APAC\"}\n\
\n\
{\"id\":\"o3\",\"day\":\"2026-06-01\",\"region\":\"EMEA\",\"revenue\":50.00,\"extra\":[1,2]}\n\
{\"id\":\"o4\",\"day\":\"2026-06-02\",\"region\":\"APAC\",\"revenue\":null}\n";
    let dir = folder(&[("orders.jsonl", jsonl)]);
    let e = scorecard::evaluate(&model(&with_suffix("jsonl")), &options(dir.path())).unwrap();
    assert_hand_values(&e);
    assert_eq!(e.manifest.inputs[0].format, "jsonl");
    assert_eq!(e.manifest.inputs[0].rows, 4);
}

#[test]
fn json_lines_errors_name_the_line() {
    let run = |text: &str| {
        let dir = folder(&[("orders.jsonl", text)]);
        scorecard::evaluate(&model(&with_suffix("jsonl")), &options(dir.path()))
            .err()
            .map(|e| (e.code().as_str(), e.to_string()))
            .expect("an error")
    };
    let (code, message) =
        run("{\"id\":\"o1\",\"day\":\"2026-05-03\",\"region\":\"E\",\"revenue\":1}\n[1,2]\n");
    assert_eq!(code, "scorecard::data::bad_record");
    assert!(
        message.contains("orders.jsonl:2: not a JSON object"),
        "{message}"
    );
    let (code, message) =
        run("{\"id\":\"o1\",\"day\":\"2026-05-03\",\"region\":\"E\",\"revenue\":1.234}\n");
    assert_eq!(code, "scorecard::data::bad_value");
    assert!(
        message.contains("orders.jsonl:1: column `revenue` has the value `1.234`"),
        "{message}"
    );
    // `revenu` on every line: the declared column is missing, not quietly empty.
    let (code, message) =
        run("{\"id\":\"o1\",\"day\":\"2026-05-03\",\"region\":\"E\",\"revenu\":1}\n");
    assert_eq!(code, "scorecard::data::missing_column");
    assert!(message.contains("revenu"), "{message}");
}

/// A workbook whose first sheet is notes, and whose `Orders` sheet has a title in A1 and the
/// table at B3:E7, the rows of `CSV` (dates as Excel dates, amounts as numbers), then a total
/// row at B9 that the range leaves out.
fn workbook(path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "read me")
        .unwrap();
    let sheet = book.add_worksheet().set_name("Orders").unwrap();
    sheet.write_string(0, 0, "Orders, May to June").unwrap();
    for (c, h) in ["id", "day", "region", "revenue"].iter().enumerate() {
        sheet.write_string(2, 1 + c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let rows = [
        ("o1", (2026, 5, 3), "EMEA", Some(100.10)),
        ("o2", (2026, 5, 20), "APAC", Some(12345678901234567.89)),
        ("o3", (2026, 6, 1), "EMEA", Some(50.0)),
        ("o4", (2026, 6, 2), "APAC", None),
    ];
    for (r, (id, (y, m, d), region, revenue)) in rows.iter().enumerate() {
        let r = 3 + r as u32;
        sheet.write_string(r, 1, *id).unwrap();
        let day = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
        sheet.write_datetime_with_format(r, 2, &day, &date).unwrap();
        sheet.write_string(r, 3, *region).unwrap();
        if let Some(v) = revenue {
            sheet.write_number(r, 4, *v).unwrap();
        }
    }
    sheet.write_string(8, 1, "total").unwrap();
    sheet.write_number(8, 4, 999.0).unwrap();
    book.save(path).unwrap();
}

#[test]
fn a_range_of_a_named_sheet_reads_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    workbook(&dir.path().join("orders.xlsx"));
    // 12345678901234567.89 is not a binary double: the sheet holds 12345678901234568, the
    // shortest decimal that reads back as the double Excel stores.
    let source = with_suffix("xlsx").replace(
        "time: day",
        "sheet: \"Orders\"\n  range: \"B3:E7\"\n  time: day",
    );
    let e = scorecard::evaluate(&model(&source), &options(dir.path())).unwrap();
    assert_eq!(
        value(&e, "revenue", "2026-05", "total"),
        "12345678901234668.10"
    );
    assert_eq!(value(&e, "revenue", "2026-06", "total"), "50.00");
    assert_eq!(value(&e, "order_count", "2026-06", "total"), "2");
    assert_eq!(e.manifest.inputs[0].format, "xlsx");
    assert_eq!(e.manifest.inputs[0].rows, 4);

    // Without the range, the title row is taken for the header: the columns are missing.
    let whole = source.replace("  range: \"B3:E7\"\n", "");
    let err = scorecard::evaluate(&model(&whole), &options(dir.path())).unwrap_err();
    assert_eq!(err.code().as_str(), "scorecard::data::missing_column");
    // A range from its top-left cell on reaches the total row, whose `day` is empty.
    let open = source.replace("B3:E7", "B3");
    let err = scorecard::evaluate(&model(&open), &options(dir.path())).unwrap_err();
    assert_eq!(err.code().as_str(), "scorecard::data::no_time");
    assert!(err.to_string().contains("orders.xlsx[Orders]:9"), "{err}");
    // No such sheet: the sheets are named.
    let missing = source.replace("\"Orders\"", "\"Order\"");
    let err = scorecard::evaluate(&model(&missing), &options(dir.path())).unwrap_err();
    assert!(
        err.to_string().contains("its sheets are: Notes, Orders"),
        "{err}"
    );
}

#[test]
fn sheet_and_range_are_checked() {
    let source = with_suffix("csv").replace(
        "time: day",
        "sheet: \"Orders\"\n  range: \"3B\"\n  time: day",
    );
    let compiled = scorecard::compile(&source);
    assert_eq!(
        crate::support::codes(&compiled),
        ["scorecard::check::invalid_value"; 3]
    );
    let rendered = scorecard::diagnostic::render_plain("s", &source, &compiled.diagnostics);
    assert!(
        rendered.contains("`sheet` is for a spreadsheet source"),
        "{rendered}"
    );
    assert!(
        rendered.contains("`range` is for a spreadsheet source"),
        "{rendered}"
    );
    assert!(
        rendered.contains("`3B` is not a range of cells"),
        "{rendered}"
    );
}

/// A project folder holding `files`, with `scorecard.toml`.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The evaluation JSON without what names the scorecard file, its data folder and the inputs
/// (path, format, fingerprint, rows read), which differ between sources that hold the same rows.
fn numbers(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let manifest = v["manifest"].as_object_mut().unwrap();
    manifest.remove("scorecards");
    manifest.remove("options");
    if let Some(inputs) = v["manifest"]["inputs"].as_array_mut() {
        for i in inputs {
            for k in ["path", "format", "sha256", "rows"] {
                i.as_object_mut().unwrap().remove(k);
            }
        }
    }
    // A check names where its rows came from.
    if let Some(checks) = v["checks"].as_array_mut() {
        for c in checks {
            c.as_object_mut().unwrap().remove("source");
        }
    }
    v
}

#[test]
fn a_binding_reads_production_data_and_config_picks_the_project_file() {
    let production = CSV.replace("100.10", "200.20");
    let dir = project(&[
        ("s.scorecard", &with_suffix("csv")),
        ("orders.csv", CSV),
        ("prod/orders.csv", &production),
        (
            "prod.toml",
            "[datasets.orders]\npath = \"prod/orders.csv\"\n",
        ),
    ]);
    let (code, sample, err) = scorecard_in(dir.path(), &["run", "s.scorecard", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(sample.contains("12345678901234667.99"), "{sample}");
    // Deterministic: the two runs are compared whole, and may fall in different seconds.
    let args = [
        "run",
        "s.scorecard",
        "--config",
        "prod.toml",
        "--format",
        "json",
        "--deterministic",
    ];
    let (code, prod, err) = scorecard_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    // May: 200.20 + 12345678901234567.89.
    assert!(prod.contains("\"12345678901234768.09\""), "{prod}");
    let v: serde_json::Value = serde_json::from_str(&prod).unwrap();
    assert_eq!(v["manifest"]["inputs"][0]["path"], "prod/orders.csv");

    // The same file as scorecard.toml is found without --config.
    std::fs::rename(
        dir.path().join("prod.toml"),
        dir.path().join("scorecard.toml"),
    )
    .unwrap();
    let (code, found, err) = scorecard_in(
        dir.path(),
        &["run", "s.scorecard", "--format", "json", "--deterministic"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(numbers(&found), numbers(&prod));
}

#[test]
fn a_binding_no_scorecard_declares_is_an_error_with_a_suggestion() {
    let dir = project(&[
        ("s.scorecard", &with_suffix("csv")),
        ("orders.csv", CSV),
        (
            "scorecard.toml",
            "[project]\nname = \"p\"\n\n[datasets.order]\npath = \"orders.csv\"\n",
        ),
    ]);
    let (code, _, err) = scorecard_in(dir.path(), &["run", "s.scorecard"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[scorecard::project::invalid]"), "{err}");
    assert!(err.contains("scorecard.toml:4:1"), "{err}");
    assert!(
        err.contains("`[datasets.order]` binds a dataset that no scorecard"),
        "{err}"
    );
    assert!(err.contains("orders"), "{err}");
}

#[test]
fn check_reads_the_project_file_too() {
    let dir = project(&[
        ("s.scorecard", &with_suffix("csv")),
        (
            "scorecard.toml",
            "[datasets.order]\npath = \"orders.csv\"\n",
        ),
    ]);
    let (code, out, err) = scorecard_in(dir.path(), &["check", "s.scorecard"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("`[datasets.order]` binds a dataset"), "{err}");
    assert!(err.contains("1 error"), "{err}");
    std::fs::write(
        dir.path().join("scorecard.toml"),
        "[datasets.orders]\npath = 3\n",
    )
    .unwrap();
    let (code, _, err) = scorecard_in(dir.path(), &["check", "s.scorecard"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[scorecard::project::invalid]") && err.contains(":2:8"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("scorecard.toml"),
        "[datasets.orders]\npath = \"orders.csv\"\n",
    )
    .unwrap();
    let (code, out, err) = scorecard_in(dir.path(), &["check", "s.scorecard"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ok: s.scorecard"), "{out}");
}

#[test]
fn a_project_runs_all_its_scorecards() {
    let other = "scorecard t { grain: month }\n\
dataset orders {\n  source: \"orders.csv\"\n  time: day\n  columns: { id: text  day: date  region: text  revenue: money }\n}\n\
kpi emea { unit: money  value: sum(orders.revenue where region = \"EMEA\") }\n";
    let dir = project(&[
        ("cards/s.scorecard", &with_suffix("csv")),
        ("cards/t.scorecard", other),
        ("cards/orders.csv", CSV),
        (
            "scorecard.toml",
            "[project]\nscorecards = [\"cards/*.scorecard\"]\n",
        ),
    ]);
    let (code, out, err) = scorecard_in(dir.path(), &["run", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    let s = out
        .find("── cards/s.scorecard ──")
        .expect("a heading for s");
    let t = out
        .find("── cards/t.scorecard ──")
        .expect("a heading for t");
    assert!(s < t, "{out}");
    // EMEA: May 100.10, June 50.00.
    assert!(
        out[t..].contains("100.10") && out[t..].contains("50.00"),
        "{out}"
    );

    // Other formats go to a folder, one file per scorecard, each as its own run writes it.
    let args = ["run", "--format", "json", "--deterministic", "-o", "out"];
    let (code, _, err) = scorecard_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let one = [
        "run",
        "cards/t.scorecard",
        "--format",
        "json",
        "--deterministic",
    ];
    let (_, alone, _) = scorecard_in(dir.path(), &one);
    let written = std::fs::read_to_string(dir.path().join("out/t.json")).unwrap();
    assert_eq!(written, alone);
    assert!(dir.path().join("out/s.json").is_file());
    let (code, _, err) = scorecard_in(dir.path(), &["run", "--format", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("-o FOLDER"), "{err}");
}

// ---- PostgreSQL ----

/// The server `.ci/postgres` starts (or `SCORECARD_TEST_POSTGRES`).
pub(crate) fn postgres_url() -> String {
    std::env::var("SCORECARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgresql://scorecard:scorecard@localhost:5432/scorecard".into())
}

/// Runs SQL with psql on the test server; a failure says how to start it.
pub(crate) fn psql(sql: &str) {
    let out = Command::new("psql")
        .args([&postgres_url(), "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql runs (Debian's postgresql-client; `.ci/postgres` installs the server)");
    assert!(
        out.status.success(),
        "psql failed (start the server with .ci/postgres): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A schema of its own for one test, dropped when it ends.
pub(crate) struct Schema(pub(crate) String);

impl Schema {
    pub(crate) fn new(name: &str) -> Schema {
        let schema = format!("t_{name}_{}", std::process::id());
        psql(&format!(
            "drop schema if exists {schema} cascade; create schema {schema}"
        ));
        Schema(schema)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &postgres_url(),
                "-qc",
                &format!("drop schema if exists {} cascade", self.0),
            ])
            .output();
    }
}

/// The first line where two pretty-printed documents differ, for a short failure message.
fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}: {x}\n   vs: {y}", i + 1))
        .unwrap_or_else(|| "one is longer".into())
}

/// The retail example's orders and budget as tables `orders` and `budget` of `schema`.
pub(crate) fn retail_tables(schema: &str) {
    psql(&format!(
        "create table {schema}.orders (line_id text primary key, order_id text, order_date date, \
         customer text, region text, channel text, revenue numeric(18, 2), cogs numeric(18, 2), units integer); \
         create table {schema}.budget (month date, region text, revenue numeric(18, 2))"
    ));
    psql(&format!(
        "\\copy {schema}.orders from '{}' csv header",
        absolute("scorecards/retail/data/orders.csv")
    ));
    psql(&format!(
        "\\copy {schema}.budget from '{}' csv header",
        absolute("scorecards/retail/data/budget.csv")
    ));
}

pub(crate) fn absolute(path: &str) -> String {
    std::fs::canonicalize(path).unwrap().display().to_string()
}

#[test]
fn the_retail_scorecard_on_postgres_gives_every_number_it_gives_on_csv() {
    let s = Schema::new("retail");
    let schema = &s.0;
    retail_tables(schema);
    let url = postgres_url();
    // Read row by row, and aggregated by the server (`pushdown`): the same numbers either way. The
    // orders' checks name failing lines, so with them orders are read row by row even under
    // `pushdown`; without them, the server aggregates.
    let with_checks = std::fs::read_to_string(RETAIL).unwrap();
    let start = with_checks
        .find("  checks: {")
        .expect("the retail orders have checks");
    let end = start + with_checks[start..].find("  }\n").unwrap() + 4;
    let without_checks = format!("{}{}", &with_checks[..start], &with_checks[end..]);
    let csv_dir = project(&[("retail.scorecard", &without_checks)]);
    let csv_without = csv_dir.path().join("retail.scorecard");
    let data = absolute("scorecards/retail");
    for (pushdown, (format, budget_format), checks) in [
        ("", ("postgres", "postgres"), true),
        (
            ", pushdown = true",
            ("postgres-aggregates", "postgres-aggregates"),
            false,
        ),
        (
            ", pushdown = true",
            ("postgres", "postgres-aggregates"),
            true,
        ),
    ] {
        // Orders from a table, the budget through a query.
        let toml = format!(
            "[datasets.orders]\npostgres = {{ url = \"{url}\", table = \"{schema}.orders\"{pushdown} }}\n\n\
             [datasets.budget]\npostgres = {{ url = \"{url}\", query = \"select * from {schema}.budget where revenue is not null\"{pushdown} }}\n"
        );
        let text = if checks {
            &with_checks
        } else {
            &without_checks
        };
        let dir = project(&[("retail.scorecard", text), ("scorecard.toml", &toml)]);
        let card = dir.path().join("retail.scorecard");
        let card = card.to_str().unwrap();
        for extra in [&[][..], &["--as-of", "2026-05-14"][..]] {
            let mut args = vec!["run", "--format", "json", "--deterministic"];
            args.extend_from_slice(extra);
            let reference = match checks {
                true => vec![RETAIL],
                false => vec![csv_without.to_str().unwrap(), "--data", data.as_str()],
            };
            let (code, on_csv, err) = scorecard(&[&args[..], &reference[..]].concat());
            assert_eq!(code, 0, "{err}");
            let (code, on_postgres, err) = scorecard(&[&args[..], &[card]].concat());
            assert_eq!(code, 0, "{err}");
            assert!(
                numbers(&on_postgres) == numbers(&on_csv),
                "{format} with {extra:?}: PostgreSQL and CSV differ:\n{}",
                first_difference(&on_postgres, &on_csv)
            );
            let v: serde_json::Value = serde_json::from_str(&on_postgres).unwrap();
            let inputs = &v["manifest"]["inputs"];
            assert_eq!(inputs[0]["format"], format);
            assert_eq!(inputs[1]["format"], budget_format);
            assert!(
                !inputs[0]["path"].as_str().unwrap().contains(":scorecard@"),
                "{inputs}"
            );
            // The as-of day is pushed down: the server sends (or aggregates) only the orders up
            // to it.
            let through = std::fs::read_to_string("scorecards/retail/data/orders.csv")
                .unwrap()
                .lines()
                .skip(1)
                .filter(|l| {
                    extra.is_empty() || l.split(',').nth(2).is_some_and(|d| d <= "2026-05-14")
                })
                .count();
            assert_eq!(inputs[0]["rows"], through as u64);
        }
        // The fingerprint is the rows' (or the aggregates'), whatever order the server sends
        // them in.
        let (_, again, _) = scorecard(&["run", "--format", "json", "--deterministic", card]);
        psql(&format!("cluster {schema}.orders using orders_pkey"));
        let (_, reordered, _) = scorecard(&["run", "--format", "json", "--deterministic", card]);
        assert_eq!(again, reordered);
    }
}

#[test]
fn a_money_column_postgres_stores_as_a_float_is_refused() {
    let s = Schema::new("float");
    let schema = &s.0;
    psql(&format!(
        "create table {schema}.orders (id text, day date, region text, revenue double precision); \
         insert into {schema}.orders values ('o1', '2026-05-03', 'EMEA', 100.10)"
    ));
    let (code, _, err) = run_orders_from_postgres(&format!("table = \"{schema}.orders\""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[scorecard::data::column_type]"), "{err}");
    assert!(err.contains("float8"), "{err}");

    // Cast in a query binding, the same rows read exactly.
    let (code, out, err) = run_orders_from_postgres(&format!(
        "query = \"select id, day, region, revenue::numeric(18, 2) as revenue from {schema}.orders\""
    ));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("100.10"), "{out}");
}

#[test]
fn postgres_rows_with_bad_values_name_the_row_and_a_missing_table_is_named() {
    let s = Schema::new("bad");
    let schema = &s.0;
    psql(&format!(
        "create table {schema}.orders (id text, day date, region text, revenue text); \
         insert into {schema}.orders values ('o1', '2026-05-03', 'EMEA', '1.00'), ('o2', '2026-05-04', 'EMEA', 'n/a')"
    ));
    let url = postgres_url();
    let bind = |table: &str| {
        format!("[datasets.orders]\npostgres = {{ url = \"{url}\", table = \"{table}\" }}\n")
    };
    let dir = project(&[
        ("s.scorecard", &with_suffix("csv")),
        ("scorecard.toml", &bind(&format!("{schema}.orders"))),
    ]);
    let (code, _, err) = scorecard_in(dir.path(), &["run", "s.scorecard"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[scorecard::data::bad_value]"), "{err}");
    assert!(
        err.contains(&format!(
            "table {schema}.orders:2: column `revenue` has the value `n/a`"
        )),
        "{err}"
    );
    std::fs::write(
        dir.path().join("scorecard.toml"),
        bind(&format!("{schema}.missing")),
    )
    .unwrap();
    let (code, _, err) = scorecard_in(dir.path(), &["run", "s.scorecard"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[scorecard::data::unreadable]"), "{err}");
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn a_postgres_instant_is_read_in_utc_as_csv_reads_an_offset() {
    let s = Schema::new("instants");
    let schema = &s.0;
    // 23:30 at UTC-2 on 31 May is 01:30 UTC on 1 June; the second row has no zone and stays in May.
    psql(&format!(
        "create table {schema}.events (id text, at timestamp with time zone, amount numeric(18, 2)); \
         insert into {schema}.events values ('e1', '2026-05-31 23:30:00-02', 5.00), ('e2', '2026-05-31 12:00:00+00', 7.00)"
    ));
    let card = "scorecard s { grain: month }\n\
dataset events {\n  source: \"events.csv\"\n  time: at\n  columns: { id: text  at: timestamp  amount: money }\n}\n\
kpi amount { unit: money  value: sum(events.amount) }\n";
    let csv = "id,at,amount\ne1,2026-05-31T23:30:00-02:00,5.00\ne2,2026-05-31 12:00:00,7.00\n";
    let url = postgres_url();
    let dir = project(&[("s.scorecard", card), ("events.csv", csv)]);
    let args = ["run", "s.scorecard", "--format", "json", "--deterministic"];
    let (code, on_csv, err) = scorecard_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let toml = format!(
        "[datasets.events]\npostgres = {{ url = \"{url}\", table = \"{schema}.events\" }}\n"
    );
    std::fs::write(dir.path().join("scorecard.toml"), toml).unwrap();
    let (code, on_postgres, err) = scorecard_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(numbers(&on_postgres), numbers(&on_csv));
    let v: serde_json::Value = serde_json::from_str(&on_postgres).unwrap();
    let results = &v["kpis"][0]["results"];
    let month = |p: &str| {
        results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["period"] == p)
            .map(|r| r["value"].clone())
    };
    assert_eq!(month("2026-05"), Some(serde_json::json!("7.00")));
    assert_eq!(month("2026-06"), Some(serde_json::json!("5.00")));
}

#[test]
fn pushdown_refuses_what_reading_refuses_and_reads_rows_where_it_must() {
    let s = Schema::new("pushdown");
    let schema = &s.0;
    // Worked by hand: May 100.10 + 20.00 = 120.10 over 2 orders; June 50.00 over 1 (o4 has no
    // revenue, so June counts 2 orders).
    psql(&format!(
        "create table {schema}.orders (id text, day date, region text, revenue numeric(18, 3)); \
         insert into {schema}.orders values ('o1', '2026-05-03', 'EMEA', 100.10), \
         ('o2', '2026-05-20', 'APAC', 20), ('o3', '2026-06-01', 'EMEA', 50), ('o4', '2026-06-02', 'APAC', null); \
         create table {schema}.texts (id text, day text, region text, revenue numeric(18, 2)); \
         insert into {schema}.texts select id, day::text, region, revenue from {schema}.orders"
    ));
    let url = postgres_url();
    let bind = |table: &str| {
        format!(
            "[datasets.orders]\npostgres = {{ url = \"{url}\", table = \"{schema}.{table}\", pushdown = true }}\n"
        )
    };
    let dir = project(&[
        ("s.scorecard", &with_suffix("csv")),
        ("scorecard.toml", &bind("orders")),
    ]);
    let run = |args: &[&str]| scorecard_in(dir.path(), args);
    let (code, out, err) = run(&["run", "s.scorecard", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["manifest"]["inputs"][0]["format"], "postgres-aggregates");
    assert_eq!(v["manifest"]["inputs"][0]["rows"], 4);
    let kpi = |name: &str| {
        v["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["period"].as_str().unwrap().to_string(),
                    r["value"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kpi("revenue"),
        [
            ("2026-05".to_string(), serde_json::json!("120.10")),
            ("2026-06".to_string(), serde_json::json!("50.00"))
        ]
    );
    assert_eq!(
        kpi("order_count"),
        [
            ("2026-05".to_string(), serde_json::json!("2")),
            ("2026-06".to_string(), serde_json::json!("2"))
        ]
    );

    // A value with more places than money has is refused by the server's check, as by the reader.
    psql(&format!(
        "insert into {schema}.orders values ('o5', '2026-06-03', 'EMEA', 1.005)"
    ));
    let (code, _, err) = run(&["run", "s.scorecard"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[scorecard::data::unreadable]"), "{err}");
    assert!(
        err.contains("column `revenue` has the value `1.005`, expected a decimal number"),
        "{err}"
    );
    // So is a key given twice.
    psql(&format!(
        "delete from {schema}.orders where id = 'o5'; insert into {schema}.orders values ('o1', '2026-06-04', 'EMEA', 1)"
    ));
    let (code, _, err) = run(&["run", "s.scorecard"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the key column `id` has the value `o1` in more than one row"),
        "{err}"
    );
    psql(&format!(
        "delete from {schema}.orders where day = '2026-06-04'"
    ));

    // A time column stored as text is read row by row, each value checked by the reader.
    std::fs::write(dir.path().join("scorecard.toml"), bind("texts")).unwrap();
    let (code, out, err) = run(&["run", "s.scorecard", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"format\": \"postgres\""), "{out}");

    // `explain` lists rows, so it reads them even with pushdown.
    std::fs::write(dir.path().join("scorecard.toml"), bind("orders")).unwrap();
    let (code, out, err) = run(&[
        "explain",
        "s.scorecard",
        "revenue",
        "--period",
        "2026-05",
        "--rows",
        "5",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"format\": \"postgres\""), "{out}");
    assert!(out.contains("100.1"), "{out}");
}

#[test]
fn a_postgres_date_of_infinity_is_refused_whether_read_or_pushed_down() {
    // PostgreSQL's `infinity` is no day: read, it is named by its row; pushed down, the server's
    // period of it was an internal error of the engine.
    let s = Schema::new("infinity");
    let schema = &s.0;
    psql(&format!(
        "create table {schema}.orders (id text, day date, region text, revenue numeric(18, 2)); \
         insert into {schema}.orders values ('o1', '2026-05-03', 'EMEA', 1.00), ('o2', 'infinity', 'EMEA', 2.00)"
    ));
    for (pushdown, says) in [
        (
            "",
            format!("table {schema}.orders:2: column `day` has the value `infinity`"),
        ),
        (
            ", pushdown = true",
            "time column `day` holds `infinity`, which is no day from 0001-01-01 to 9999-12-31"
                .to_string(),
        ),
    ] {
        let (code, _, err) =
            run_orders_from_postgres(&format!("table = \"{schema}.orders\"{pushdown}"));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("error[scorecard::data::bad_value]") && err.contains(&says),
            "{err}"
        );
    }
}

/// `run` of the CSV scorecard, as CSV, with `orders` read from PostgreSQL as `entry` says
/// (`table = ...` or `query = ...`, options after it): exit code, standard output and error.
fn run_orders_from_postgres(entry: &str) -> (i32, String, String) {
    let url = postgres_url();
    let dir = project(&[
        ("s.scorecard", &with_suffix("csv")),
        (
            "scorecard.toml",
            &format!("[datasets.orders]\npostgres = {{ url = \"{url}\", {entry} }}\n"),
        ),
    ]);
    scorecard_in(dir.path(), &["run", "s.scorecard", "--format", "csv"])
}

#[test]
fn a_date_cell_holding_no_day_is_refused_not_read_as_1899() {
    // A date-formatted cell of 0 or a negative number was read as 1899-12-30 and its row counted
    // there; such a serial is no day.
    use rust_xlsxwriter::{Format, Workbook};
    for serial in [-1.0, 0.0, 0.5] {
        let dir = tempfile::tempdir().unwrap();
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name("Orders").unwrap();
        for (c, h) in ["id", "day", "region", "revenue"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let date = Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_string(1, 0, "o1").unwrap();
        sheet
            .write_number_with_format(1, 1, 46150.0, &date)
            .unwrap();
        sheet.write_string(1, 2, "EMEA").unwrap();
        sheet.write_number(1, 3, 10.0).unwrap();
        sheet.write_string(2, 0, "o2").unwrap();
        sheet.write_number_with_format(2, 1, serial, &date).unwrap();
        sheet.write_string(2, 2, "EMEA").unwrap();
        sheet.write_number(2, 3, 20.0).unwrap();
        book.save(dir.path().join("orders.xlsx")).unwrap();
        let err = scorecard::evaluate(&model(&with_suffix("xlsx")), &options(dir.path()))
            .expect_err("a serial below 1 is no day");
        assert_eq!(err.code().as_str(), "scorecard::data::bad_value", "{err}");
        assert!(err.to_string().contains("orders.xlsx[Orders]:3"), "{err}");
    }
}

#[test]
fn the_global_example_on_postgres_gives_every_number_it_gives_on_csv() {
    let s = Schema::new("global");
    let schema = &s.0;
    // Orders as instants (`timestamptz`), ad spend as wall-clock times (`timestamp`).
    psql(&format!(
        "create table {schema}.fx_rates (day date, currency text, usd_per_unit numeric(18, 8)); \
         create table {schema}.orders (order_id text primary key, ordered_at timestamptz, region text, currency text, amount numeric(18, 2)); \
         create table {schema}.balances (month_end date, region text, currency text, balance numeric(18, 2)); \
         create table {schema}.campaigns (spent_at timestamp, region text, currency text, spend numeric(18, 2))"
    ));
    for table in ["fx_rates", "orders", "balances", "campaigns"] {
        psql(&format!(
            "\\copy {schema}.{table} from '{}' csv header",
            absolute(&format!("scorecards/global/data/{table}.csv"))
        ));
    }
    let url = postgres_url();
    let toml: String = ["fx_rates", "orders", "balances", "campaigns"]
        .iter()
        .map(|t| {
            format!("[datasets.{t}]\npostgres = {{ url = \"{url}\", table = \"{schema}.{t}\", pushdown = true }}\n")
        })
        .collect();
    let text = std::fs::read_to_string("scorecards/global/global.scorecard").unwrap();
    let dir = project(&[("global.scorecard", &text), ("scorecard.toml", &toml)]);
    let card = dir.path().join("global.scorecard");
    let args = ["run", "--format", "json", "--deterministic"];
    let (code, on_csv, err) =
        scorecard(&[&args[..], &["scorecards/global/global.scorecard"]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, on_postgres, err) = scorecard(&[&args[..], &[card.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        numbers(&on_postgres) == numbers(&on_csv),
        "PostgreSQL and CSV differ:\n{}",
        first_difference(&on_postgres, &on_csv)
    );
    // Timestamps in a zone, and amounts naming their currency row by row, are read, not
    // aggregated by the server.
    let v: serde_json::Value = serde_json::from_str(&on_postgres).unwrap();
    for input in v["manifest"]["inputs"].as_array().unwrap() {
        assert_eq!(input["format"], "postgres", "{input}");
    }
}

#[test]
fn money_in_one_declared_currency_is_aggregated_by_postgres_and_converted_here() {
    let s = Schema::new("eur");
    let schema = &s.0;
    psql(&format!(
        "create table {schema}.eu_sales (day date, amount numeric(18, 2)); \
         insert into {schema}.eu_sales values ('2026-03-05', 100.00), ('2026-03-20', 50.25)"
    ));
    let url = postgres_url();
    let text = "scorecard eu { currency: USD  grain: month  rates: fx }\n\
        exchange_rates fx { dataset: fx_rates  currency: currency  rate: rate  quoted: per_unit }\n\
        dataset fx_rates { source: \"fx.csv\"  time: day  columns: { day: date  currency: text  rate: decimal(18, 6) } }\n\
        dataset eu_sales { source: \"eu_sales.csv\"  time: day  columns: { day: date  amount: money(EUR) average } }\n\
        kpi revenue { value: sum(eu_sales.amount) }\n";
    let toml = format!(
        "[datasets.eu_sales]\npostgres = {{ url = \"{url}\", table = \"{schema}.eu_sales\", pushdown = true }}\n"
    );
    let dir = project(&[
        ("eu.scorecard", text),
        ("scorecard.toml", &toml),
        (
            "fx.csv",
            "day,currency,rate\n2026-03-02,EUR,1.080000\n2026-03-31,EUR,1.100000\n",
        ),
    ]);
    let card = dir.path().join("eu.scorecard");
    let (code, out, err) = scorecard(&["run", "--format", "json", card.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let inputs = v["manifest"]["inputs"].as_array().unwrap();
    let eu = inputs.iter().find(|i| i["dataset"] == "eu_sales").unwrap();
    assert_eq!(eu["format"], "postgres-aggregates", "{eu}");
    // EUR 150.25 at March's mean rate 1.09 = 163.7725, rounded half-even to 163.77.
    let march = v["kpis"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == "2026-03")
        .unwrap();
    assert_eq!(march["value"], "163.77", "{march}");
}

/// A top share aggregated by the server (`pushdown`) ranks the rows in a subquery; its period is
/// read from that subquery's columns, and its figures are those of the same rows read from CSV.
#[test]
fn a_top_share_aggregated_in_postgres_is_the_top_share_read_from_csv() {
    let s = Schema::new("top_share");
    let schema = &s.0;
    retail_tables(schema);
    let orders = std::fs::read_to_string("scorecards/retail/data/orders.csv").unwrap();
    let text = "scorecard shares { currency: USD  grain: month }\n\
         dataset orders {\n  source: \"orders.csv\"\n  time: order_date\n  columns: { line_id: text key  order_id: text  order_date: date  customer: text  region: text  channel: text  revenue: money  cogs: money  units: integer }\n}\n\
         kpi top_lines { unit: percent  value: top_share(orders.revenue, 20%)  by: region }\n\
         kpi revenue { value: sum(orders.revenue) }\n".to_string();
    let on_csv = project(&[("shares.scorecard", &text), ("orders.csv", &orders)]);
    let toml = format!(
        "[datasets.orders]\npostgres = {{ url = \"{}\", table = \"{schema}.orders\", pushdown = true }}\n",
        postgres_url()
    );
    let on_pg = project(&[("shares.scorecard", &text), ("scorecard.toml", &toml)]);
    let run = |dir: &tempfile::TempDir| {
        let card = dir.path().join("shares.scorecard");
        let (code, out, err) = scorecard(&[
            "run",
            "--format",
            "json",
            "--deterministic",
            card.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let (csv, pg) = (run(&on_csv), run(&on_pg));
    let v: serde_json::Value = serde_json::from_str(&pg).unwrap();
    assert_eq!(v["manifest"]["inputs"][0]["format"], "postgres-aggregates");
    assert!(
        numbers(&pg) == numbers(&csv),
        "{}",
        first_difference(&pg, &csv)
    );
}
