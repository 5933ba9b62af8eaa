//! `scorecard sql`: the emitted statements are run on the real PostgreSQL server (`.ci/postgres`)
//! and on DuckDB and a local Spark session (Python's `duckdb` and `pyspark`, `.ci/peers`), over the
//! same rows the engine reads from CSV, and every value of every period and segment is compared
//! with the engine's aggregate, at each grain and calendar the SQL writes differently.

use crate::cli::{scorecard, RETAIL};
use crate::sources::{absolute, postgres_url, psql, Schema};
use crate::support::{folder, model, options};
use rust_decimal::Decimal;
use scorecard::engine::sql::{Dialect, Part, Statement};
use scorecard::engine::{Aggregates, Found};
use scorecard::model::calendar::Periods;
use scorecard::model::Model;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

/// Every aggregate function, filters of every shape (a quote inside text, a date, arithmetic, `in`,
/// `not`, a filter matching no row, a filter matching only empty amounts), one, two and no
/// segment columns, and an integer column summed.
const KPIS: &str = r#"
dataset sales {
  source: "sales.csv"
  time: day
  columns: {
    id: text key
    day: date
    region: text
    channel: text
    customer: text
    amount: money
    qty: integer
  }
}
kpi revenue { value: sum(sales.amount)  by: region }
kpi online { value: sum(sales.amount where channel = "online" and qty > 2)  by: [region, channel] }
kpi mixed { value: sum(sales.amount where channel in ("online", "store") or not (qty >= 5)) }
kpi quoted { value: sum(sales.amount where customer = "O'Brien") }
kpi recent { value: sum(sales.amount where day >= 2026-03-01) }
kpi arith { value: sum(sales.amount where amount * 2 - 10 > 100 and -qty < -3) }
kpi nowhere { value: sum(sales.amount where region = "nowhere")  by: region }
kpi phone { value: sum(sales.amount where channel = "phone")  by: region }
kpi lines { value: count(sales) }
kpi priced { value: count(sales.amount where qty > 3) }
kpi customers { value: count_distinct(sales.customer)  by: region }
kpi average { value: avg(sales.amount)  by: channel }
kpi average_qty { value: avg(sales.qty where channel != "online") }
kpi smallest { value: min(sales.amount) }
kpi largest { value: max(sales.qty where region = "EMEA") }
kpi top { value: top_share(sales.amount, 20%)  by: region }
kpi units { value: sum(sales.qty)  by: channel }
"#;

/// The headers: each grain, a fiscal quarter and year, a week starting on Sunday.
const HEADERS: &[&str] = &[
    "grain: month",
    "grain: quarter  calendar: fiscal(start: april)",
    "grain: year  calendar: fiscal(start: july)",
    "grain: week(start: sunday)",
    "grain: week",
    "grain: day",
];

/// 700 order lines over 2025-01-01 .. 2027-06-18, four regions and an empty one, phone lines with
/// no amount, some refunds and some lines with no quantity.
fn sales_csv() -> String {
    let regions = ["EMEA", "NA", "APAC", "LATAM"];
    let channels = ["online", "store", "partner", "phone"];
    let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut out = String::from("id,day,region,channel,customer,amount,qty\n");
    for i in 0..700u64 {
        let day = start + chrono::Days::new(i * 37 % 900);
        let region = if i % 23 == 0 {
            ""
        } else {
            regions[(i % 4) as usize]
        };
        let channel = channels[(i * 3 % 7 % 4) as usize];
        let customer = if i % 50 == 0 {
            "O'Brien".to_string()
        } else {
            format!("C{}", i % 37)
        };
        let cents = (i * 7919 % 100_000) as i64 * if i % 29 == 0 { -1 } else { 1 };
        let amount = if channel == "phone" {
            String::new()
        } else {
            Decimal::new(cents, 2).to_string()
        };
        let qty = if i % 17 == 0 {
            String::new()
        } else {
            (i * 13 % 11).to_string()
        };
        out.push_str(&format!(
            "L{i:04},{day},{region},{channel},{customer},{amount},{qty}\n"
        ));
    }
    out
}

/// Runs the statements on DuckDB or on a local Spark session over the CSV, every value as text.
fn on_python_engine(
    engine: &str,
    csv: &Path,
    statements: &[&Statement],
) -> Vec<Vec<Vec<Option<String>>>> {
    const RUNNER: &str = r#"
import json, sys
request = json.load(sys.stdin)
if request["engine"] == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE sales AS SELECT * FROM read_csv(?, header = true, columns = {'id': 'VARCHAR', "
        "'day': 'DATE', 'region': 'VARCHAR', 'channel': 'VARCHAR', 'customer': 'VARCHAR', "
        "'amount': 'DECIMAL(18, 2)', 'qty': 'INTEGER'})",
        [request["csv"]],
    )
    run = lambda s: con.execute(s).fetchall()
else:
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.csv(request["csv"], header=True, schema="id STRING, day DATE, region STRING, "
                   "channel STRING, customer STRING, amount DECIMAL(18, 2), qty INT"
                   ).createOrReplaceTempView("sales")
    run = lambda s: spark.sql(s.rstrip().rstrip(";")).collect()
print(json.dumps([
    [[None if v is None else str(v) for v in row] for row in run(s)]
    for s in request["statements"]
]))
"#;
    let request = serde_json::json!({
        "engine": engine,
        "csv": csv.display().to_string(),
        "statements": statements.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(),
    });
    let mut child = Command::new("python3")
        .args(["-c", RUNNER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{engine} failed (install it with .ci/peers): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Vec<Vec<Option<String>>>> =
        serde_json::from_slice(&out.stdout).expect("the runner prints JSON");
    assert_eq!(results.len(), statements.len());
    results
}

/// Runs one statement with psql, every value as text (NULL written as `\N`).
fn on_postgres(statement: &Statement) -> Vec<Vec<Option<String>>> {
    let out = Command::new("psql")
        .args([
            &postgres_url(),
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "--csv",
            "-P",
            "null=\\N",
            "-c",
        ])
        .arg(&statement.text)
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "PostgreSQL failed on\n{}\n{}",
        statement.text,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    reader
        .records()
        .map(|r| {
            let r = r.expect("psql writes CSV");
            r.iter()
                .map(|field| (field != "\\N").then(|| field.to_string()))
                .collect()
        })
        .collect()
}

fn decimal(text: &Option<String>) -> Option<Decimal> {
    text.as_deref()
        .map(|t| Decimal::from_str(t).unwrap_or_else(|_| panic!("`{t}` is a decimal")))
}

/// Holds the result rows of one statement to the engine's aggregates: the same groups, each group's
/// period start the first day of the engine's period, every value equal.
fn compare(
    model: &Model,
    engine: &Aggregates,
    statement: &Statement,
    rows: &[Vec<Option<String>>],
    on: &str,
) {
    let periods = Periods::of(&model.header);
    let by = &statement.by;
    let first_aggregate = statement.columns[0].aggregate;
    let mut groups = 0;
    for p in &engine.periods {
        for segment in engine.segments(&statement.dataset, by) {
            if let Ok(Found::Value { .. }) =
                engine.get(model, first_aggregate, by, (*p, *p), &segment)
            {
                groups += 1;
            }
        }
    }
    assert_eq!(
        rows.len(),
        groups,
        "{on}: groups of {} by {by:?}",
        statement.dataset
    );
    for row in rows {
        let start = chrono::NaiveDate::parse_from_str(row[0].as_deref().unwrap(), "%Y-%m-%d")
            .unwrap_or_else(|_| panic!("{on}: a period start, not {:?}", row[0]));
        let p = periods.of_date(start);
        assert_eq!(
            periods.bounds(p).0,
            start,
            "{on}: {start} starts its period"
        );
        let segment: Vec<Option<String>> = row[1..1 + by.len()].to_vec();
        let values = &row[1 + by.len()..];
        let mut c = 0;
        while c < statement.columns.len() {
            let column = &statement.columns[c];
            let (got, width) = match column.part {
                Part::Value => (decimal(&values[c]), 1),
                Part::Sum | Part::Top => {
                    let (a, b) = (decimal(&values[c]), decimal(&values[c + 1]));
                    let quotient = match (a, b) {
                        (Some(a), Some(b)) if !b.is_zero() => a.checked_div(b),
                        _ => None,
                    };
                    (quotient, 2)
                }
                Part::Count | Part::Total => panic!("{on}: a second part comes after its first"),
            };
            let want = match engine.get(model, column.aggregate, by, (p, p), &segment) {
                Ok(Found::Value { value, .. }) => value,
                other => panic!("{on}: the engine has no group {start} {segment:?}: {other:?}"),
            };
            assert_eq!(
                got, want,
                "{on}: {} of {} in {start} {segment:?}",
                column.name, statement.dataset
            );
            c += width;
        }
    }
}

#[test]
fn the_sql_gives_every_aggregate_the_engine_gives_on_postgres_duckdb_and_spark() {
    let csv = sales_csv();
    let dir = folder(&[("sales.csv", &csv)]);
    let s = Schema::new("sql");
    let schema = &s.0;
    psql(&format!(
        "create table {schema}.sales (id text primary key, day date, region text, channel text, \
         customer text, amount numeric(18, 2), qty integer)"
    ));
    psql(&format!(
        "\\copy {schema}.sales from '{}' csv header",
        absolute(&dir.path().join("sales.csv").display().to_string())
    ));
    let tables = BTreeMap::from([("sales".to_string(), format!("{schema}.sales"))]);
    let mut cases = Vec::new();
    for header in HEADERS {
        let model = model(&format!("scorecard sqltest {{ {header} }}\n{KPIS}"));
        let engine = scorecard::engine::aggregate(&model, &options(dir.path())).unwrap();
        assert!(engine.periods.len() > 1, "{header}: several periods");
        let postgres = scorecard::engine::sql::emit(&model, Dialect::Postgres, &tables).unwrap();
        // Four segmentations: none, region, channel, and region with channel.
        assert_eq!(postgres.statements.len(), 4, "{header}");
        for statement in &postgres.statements {
            let rows = on_postgres(statement);
            compare(
                &model,
                &engine,
                statement,
                &rows,
                &format!("PostgreSQL, {header}"),
            );
        }
        let duckdb =
            scorecard::engine::sql::emit(&model, Dialect::DuckDb, &BTreeMap::new()).unwrap();
        let spark = scorecard::engine::sql::emit(&model, Dialect::Spark, &BTreeMap::new()).unwrap();
        cases.push(Case {
            header,
            model,
            engine,
            statements: [duckdb.statements, spark.statements],
        });
    }
    // One process for each engine runs every header's statements: Spark takes seconds to start.
    let csv = dir.path().join("sales.csv");
    for (k, name) in PYTHON_ENGINES.iter().enumerate() {
        let statements: Vec<&Statement> = cases.iter().flat_map(|c| &c.statements[k]).collect();
        let mut results = on_python_engine(name, &csv, &statements).into_iter();
        for case in &cases {
            for statement in &case.statements[k] {
                let rows = results.next().unwrap();
                let on = format!("{name}, {}", case.header);
                compare(&case.model, &case.engine, statement, &rows, &on);
            }
        }
    }
}

const PYTHON_ENGINES: [&str; 2] = ["duckdb", "spark"];

/// One header's model, the engine's aggregates, and the statements for each of `PYTHON_ENGINES`.
struct Case {
    header: &'static str,
    model: Model,
    engine: Aggregates,
    statements: [Vec<Statement>; 2],
}

#[test]
fn the_retail_scorecard_as_sql_in_each_dialect() {
    for dialect in ["postgres", "duckdb", "spark"] {
        let (code, out, err) = scorecard(&["sql", RETAIL, "--dialect", dialect]);
        assert_eq!((code, err.as_str()), (0, ""), "{dialect}");
        insta::assert_snapshot!(format!("retail_{dialect}"), out);
    }
}

#[test]
fn a_table_option_names_the_warehouse_table_and_a_wrong_one_is_refused() {
    let (code, out, _) = scorecard(&["sql", RETAIL, "--table", "orders=analytics.fct_order_lines"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("FROM analytics.fct_order_lines\n").count(), 2);
    assert_eq!(out.matches("FROM \"budget\"\n").count(), 2);

    let (code, out, err) = scorecard(&["sql", RETAIL, "--table", "order=sales.orders"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains("error[scorecard::sql::unknown_table]"),
        "{err}"
    );
    assert!(err.contains("did you mean `orders`?"), "{err}");

    let (code, _, err) = scorecard(&["sql", RETAIL, "--table", "orders"]);
    assert_eq!(code, 2, "clap's usage error");
    assert!(err.contains("is not DATASET=TABLE"), "{err}");
}

#[test]
fn a_retail_calendar_is_refused_and_derived_datasets_are_named_not_written() {
    let dir = folder(&[(
        "r.scorecard",
        "scorecard r { grain: month  calendar: retail_454 }\n\
         dataset sales { source: \"s.csv\"  time: day  columns: { day: date  amount: money } }\n\
         kpi revenue { value: sum(sales.amount) }\n",
    )]);
    let file = dir.path().join("r.scorecard").display().to_string();
    let (code, out, err) = scorecard(&["sql", &file]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("error[scorecard::sql::unsupported]"), "{err}");
    assert!(err.contains("retail calendar"), "{err}");

    // Every aggregate of the profitability scorecard reads a table its allocation or view derives.
    let (code, out, err) = scorecard(&[
        "sql",
        "scorecards/customer_profitability/customer_profitability.scorecard",
    ]);
    assert_eq!(code, 0);
    assert!(!out.contains("SELECT"), "{out}");
    assert!(
        out.contains("-- Not written: `customer_pnl` is derived by the scorecard's own view"),
        "{out}"
    );
    assert!(
        out.contains("--   top_share(customer_pnl.profit, 20%)\n"),
        "{out}"
    );
    assert!(
        err.contains("warning[scorecard::sql::derived]: `customer_pnl` is derived by the scorecard's own view"),
        "{err}"
    );
}

/// Timestamps written in UTC without an offset, placed by their New York date: around both
/// daylight-saving changes and the year end.
const ZONED: &str = "id,at,amount\n\
a,2026-03-08 06:30:00,1.00\n\
b,2026-03-09 04:30:00,2.00\n\
c,2026-11-01 05:30:00,4.00\n\
d,2026-11-02 04:30:00,8.00\n\
e,2026-12-31 23:30:00,16.00\n\
f,2027-01-01 03:00:00,32.00\n\
g,2027-01-01 05:30:00,64.00\n";

#[test]
fn a_zoned_scorecard_as_sql_places_rows_as_the_engine_does_on_postgres() {
    let dir = folder(&[("sales.csv", ZONED)]);
    let s = Schema::new("zoned");
    let schema = &s.0;
    psql(&format!(
        "create table {schema}.sales (id text primary key, at timestamp, amount numeric(18, 2))"
    ));
    psql(&format!(
        "\\copy {schema}.sales from '{}' csv header",
        absolute(&dir.path().join("sales.csv").display().to_string())
    ));
    let tables = BTreeMap::from([("sales".to_string(), format!("{schema}.sales"))]);
    for grain in ["day", "month", "year"] {
        let model = model(&format!(
            "scorecard z {{ grain: {grain}  time_zone: \"America/New_York\" }}\n\
             dataset sales {{ source: \"sales.csv\"  time: at  time_zone: \"UTC\"  columns: {{ id: text key  at: timestamp  amount: money }} }}\n\
             kpi revenue {{ value: sum(sales.amount) }}\n"
        ));
        let engine = scorecard::engine::aggregate(&model, &options(dir.path())).unwrap();
        let postgres = scorecard::engine::sql::emit(&model, Dialect::Postgres, &tables).unwrap();
        assert!(
            postgres.statements[0]
                .text
                .contains("AT TIME ZONE 'America/New_York'"),
            "{}",
            postgres.statements[0].text
        );
        for statement in &postgres.statements {
            let rows = on_postgres(statement);
            compare(
                &model,
                &engine,
                statement,
                &rows,
                &format!("PostgreSQL, {grain}"),
            );
        }
    }
}

#[test]
fn a_scorecard_that_converts_currencies_is_refused_as_sql() {
    let (code, out, err) = scorecard(&["sql", "scorecards/global/global.scorecard"]);
    assert_eq!(code, 1, "{out}{err}");
    let code_name = "scorecard::sql::unsupported";
    assert!(
        err.contains(code_name) && err.contains("exchange rates"),
        "{err}"
    );
}
