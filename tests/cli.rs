//! The command line as a user meets it: exit codes, output formats, the input manifest, `-o`.

use std::process::Command;

pub fn scorecard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub const RETAIL: &str = "scorecards/retail/retail.scorecard";
const MARKETING: &str = "scorecards/marketing/marketing.scorecard";

#[test]
fn check_exit_codes() {
    let (code, out, _) = scorecard(&["check", RETAIL]);
    assert_eq!(code, 0);
    assert!(
        out.contains("ok: scorecards/retail/retail.scorecard (2 datasets, 8 KPIs)"),
        "{out}"
    );

    let (code, _, err) = scorecard(&[
        "check",
        RETAIL,
        "tests/check/unknown_column.scorecard",
        "tests/check/kpi_cycle.scorecard",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("scorecard::check::unknown_column")
            && err.contains("scorecard::check::kpi_cycle"),
        "{err}"
    );
    assert!(err.contains("did you mean `revenue`?"), "{err}");

    let (code, _, err) = scorecard(&["check", "no/such/file.scorecard"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot read `no/such/file.scorecard`"),
        "{err}"
    );
}

#[test]
fn run_exit_codes() {
    // A scorecard error is 1 and nothing is evaluated.
    let (code, out, _) = scorecard(&["run", "tests/check/unknown_kpi.scorecard"]);
    assert_eq!((code, out.as_str()), (1, ""));
    // A data error is 2: the test scorecards point at files that do not exist here.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("t.scorecard");
    std::fs::write(&file, "scorecard t {}\ndataset d { source: \"missing.csv\"  time: day  columns: { day: date } }\nkpi n { value: count(d) }\n").expect("write");
    let (code, _, err) = scorecard(&["run", file.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing.csv") && err.contains("no such file"),
        "{err}"
    );
    // A period that is not a period at this grain is 2.
    let (code, _, err) = scorecard(&["run", RETAIL, "--from", "2026-Q1"]);
    assert_eq!(code, 2);
    assert!(err.contains("`--from` is `2026-Q1`"), "{err}");
}

#[test]
fn fail_on_exits_3_when_an_escalation_that_severe_is_open_in_the_last_period() {
    // Units 5, 20, 5, 5 against a target of 10: red in January, March and April. `twice` (high)
    // is raised in April, when March and April are both red; `once` (low) was raised in January,
    // recovered in February and raised again in March.
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("d.csv"),
        "day,units\n2026-01-05,5\n2026-02-05,20\n2026-03-05,5\n2026-04-05,5\n",
    )
    .expect("write");
    let file = dir.path().join("t.scorecard");
    std::fs::write(
        &file,
        "scorecard t { currency: USD  grain: month }\n\
         dataset d { source: \"d.csv\"  time: day  columns: { day: date  units: integer } }\n\
         kpi units { unit: count  value: sum(d.units)  target: 10 }\n\
         escalation twice { when: units is red for 2 periods  severity: high }\n\
         escalation once { when: units is red  severity: low }\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let (code, out, err) = scorecard(&["run", path, "--fail-on", "high"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("a high escalation is open"), "{err}");
    // The results are still written in full.
    assert!(
        out.contains("Escalations") && out.contains("2026-04"),
        "{out}"
    );
    let (code, _, _) = scorecard(&["run", path, "--fail-on", "critical"]);
    assert_eq!(code, 0);
    let (code, _, _) = scorecard(&["run", path]);
    assert_eq!(code, 0);
    // Up to March only `once` is open (raised again in March): low, not high.
    let (code, _, _) = scorecard(&["run", path, "--to", "2026-03", "--fail-on", "high"]);
    assert_eq!(code, 0);
    let (code, _, _) = scorecard(&["run", path, "--to", "2026-03", "--fail-on", "low"]);
    assert_eq!(code, 3);
    // Up to February nothing is open: `once` recovered in February.
    let (code, out, _) = scorecard(&[
        "run",
        path,
        "--to",
        "2026-02",
        "--fail-on",
        "info",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let episodes = json["escalations"].as_array().expect("escalations");
    assert_eq!(episodes.len(), 1);
    assert_eq!(episodes[0]["raised"], "2026-01");
    assert_eq!(episodes[0]["recovered"], "2026-02");
    assert_eq!(episodes[0]["open"], false);
}

#[test]
fn json_output_has_values_statuses_and_the_inputs_in_its_manifest() {
    let (code, out, _) = scorecard(&[
        "run", RETAIL, "--format", "json", "--from", "2026-10", "--to", "2026-10",
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(json["periods"], serde_json::json!(["2026-10"]));
    assert_eq!(json["scorecard"]["calendar"], "fiscal(start: april)");
    let net = &json["kpis"][0];
    assert_eq!(net["name"], "net_revenue");
    // Decimals are strings; the values are those DuckDB gave (see tests/evaluate.rs).
    assert_eq!(net["results"][0]["value"], "79049.41");
    assert_eq!(net["results"][0]["target"], "77700.00");
    assert_eq!(net["results"][0]["variance"], "1349.41");
    assert_eq!(net["results"][0]["status"], "green");
    assert_eq!(net["results"][0]["segment"], serde_json::json!({}));
    assert_eq!(
        net["results"][1]["segment"],
        serde_json::json!({"region": "APAC"})
    );
    // The inputs: path as written, the file's sha256 (computed here independently), and rows.
    use sha2::Digest;
    let bytes = std::fs::read("scorecards/retail/data/orders.csv").expect("read");
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let inputs = &json["manifest"]["inputs"];
    assert_eq!(inputs[0]["path"], "data/orders.csv");
    assert_eq!(inputs[0]["sha256"], sha);
    assert_eq!(inputs[0]["rows"], 8869);
}

#[test]
fn table_and_csv_read_without_colour() {
    let (code, out, _) = scorecard(&["run", RETAIL, "--from", "2026-10", "--to", "2026-10"]);
    assert_eq!(code, 0);
    assert!(
        !out.contains('\u{1b}'),
        "NO_COLOR must give no escape codes"
    );
    let line = out
        .lines()
        .find(|l| l.contains("Net revenue") && l.contains("region=LATAM"))
        .expect("a LATAM row");
    assert!(
        line.contains("9,894.19")
            && line.contains("8,900.00")
            && line.contains("994.19")
            && line.contains("green"),
        "{line}"
    );
    let (_, csv, _) = scorecard(&[
        "run", RETAIL, "--format", "csv", "--from", "2026-10", "--to", "2026-10",
    ]);
    assert!(csv.starts_with("kpi,label,unit,period,partial,segment,value,target,variance,status,score,window_periods,window_covered,partial_periods,unmet\n"));
    assert!(
        csv.contains(
            "gross_margin,Gross margin %,percent,2026-10,false,region=EMEA,0.398,0.390,0.008,green,6.50,,,,\n"
        ),
        "{csv}"
    );
}

#[test]
fn output_file_is_replaced_whole() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("result.json");
    std::fs::write(&out, "earlier output").expect("write");
    // A failed run leaves the earlier output as it was.
    let (code, _, _) = scorecard(&[
        "run",
        RETAIL,
        "--from",
        "nonsense",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "earlier output"
    );
    let (code, _, _) = scorecard(&[
        "run",
        RETAIL,
        "--format",
        "json",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    assert_eq!(json["periods"].as_array().map(Vec::len), Some(24));
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        1,
        "no temporary file is left behind"
    );
}

#[test]
fn data_folder_and_period_range_flags() {
    // The retail scorecard run from another folder with --data pointing at its own: same numbers.
    let (code, out, _) = scorecard(&[
        "run",
        RETAIL,
        "--data",
        "scorecards/retail",
        "--format",
        "csv",
        "--from",
        "2026-10-15",
        "--to",
        "2026-10",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains(
            "net_revenue,Net revenue,money,2026-10,false,total,79049.41,77700.00,1349.41,green,10.00,,,,\n"
        ),
        "{out}"
    );
    let (code, _, err) = scorecard(&["run", RETAIL, "--data", "/nonexistent"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/data/orders.csv"), "{err}");
    let (code, _, err) = scorecard(&["run", RETAIL, "--from", "2026-10", "--to", "2026-01"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`--from 2026-10` comes after `--to 2026-01`"),
        "{err}"
    );
}

#[test]
fn the_table_is_grouped_by_perspective_and_objective() {
    let (code, out, _) = scorecard(&["run", RETAIL, "--from", "2026-10", "--to", "2026-10"]);
    assert_eq!(code, 0);
    let header = out.lines().find(|l| l.contains("KPI")).expect("a header");
    for column in [
        "Segment", "Period", "Value", "Target", "Variance", "Status", "Score",
    ] {
        assert!(header.contains(column), "{column} missing from {header}");
    }
    // Headings in the order declared, each KPI under its objective, the rest after.
    let at = |text: &str| {
        out.find(text)
            .unwrap_or_else(|| panic!("{text} not in the table"))
    };
    assert!(at("Financial › Grow revenue to plan") < at("  Net revenue"));
    assert!(at("  Net revenue") < at("Financial › Protect gross margin"));
    assert!(at("Financial › Protect gross margin") < at("  Gross margin %"));
    assert!(at("Customer › Win online customers") < at("  Online share of revenue"));
    assert!(at("  Online share of revenue") < at("Not under an objective"));
    assert!(at("Not under an objective") < at("  Units sold"));
    // Then the scores: Overall 9.22 in October 2026 (worked out in tests/strategy.rs).
    let overall = out
        .lines()
        .find(|l| l.contains("Overall"))
        .expect("an overall line");
    assert!(overall.contains("9.22"), "{overall}");
}

/// `--credits` writes every touch's credit as CSV beside the normal output; the JSON carries the
/// whale curve of a view that asks for one.
#[test]
fn credits_file_and_curves() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let credits = dir.path().join("credits.csv");
    let scorecard_file = dir.path().join("t.scorecard");
    std::fs::write(&scorecard_file, crate::attribution::scorecard("linear", ""))
        .expect("write the scorecard");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/attribution");
    let (code, _, err) = scorecard(&[
        "run",
        scorecard_file.to_str().unwrap(),
        "--data",
        data,
        "--credits",
        credits.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&credits).expect("the credit table");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("attribution,conversion_line,converted_at,touch_line,credited_to,weight,credit")
    );
    // o1 ($90, line 2) has two touches, lines 2 and 3: $45 each.
    assert_eq!(
        lines.next(),
        Some("credit,2,2026-03-10,2,display,0.500000000000,45.00")
    );
    assert_eq!(
        lines.next(),
        Some("credit,2,2026-03-10,3,email,0.500000000000,45.00")
    );
    // o10 (line 11) has no touch.
    assert!(text.contains("credit,11,2026-03-06,,unattributed,1.000000000000,25.00\n"));

    let (code, out, err) = scorecard(&[
        "run",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/profitability/profitability.scorecard"
        ),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        json["curves"][0]["points"][34],
        serde_json::json!([34, "1.2684"])
    );
}

/// The sha256 of a file, computed here apart from the engine's own fingerprinting.
pub fn sha256_of(path: &str) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).expect("read");
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_manifest_records_scorecard_data_engine_options_and_time() {
    let (code, out, _) = scorecard(&["run", RETAIL, "--format", "json", "--to", "2026-10"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let m = &json["manifest"];
    assert_eq!(m["engine"]["name"], "scorecard");
    assert_eq!(m["engine"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["scorecards"][0]["path"], RETAIL);
    assert_eq!(m["scorecards"][0]["sha256"], sha256_of(RETAIL));
    let data: Vec<(&str, String)> = m["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            (
                i["path"].as_str().expect("path"),
                i["sha256"].as_str().expect("sha").to_string(),
            )
        })
        .collect();
    assert_eq!(
        data,
        vec![
            (
                "data/orders.csv",
                sha256_of("scorecards/retail/data/orders.csv")
            ),
            (
                "data/budget.csv",
                sha256_of("scorecards/retail/data/budget.csv")
            ),
        ]
    );
    assert_eq!(m["options"]["data"], "scorecards/retail");
    assert_eq!(m["options"]["to"], "2026-10");
    assert_eq!(m["options"]["from"], serde_json::Value::Null);
    // UTC to the second: 2026-11-23T09:41:07Z.
    let at = m["evaluated_at"].as_str().expect("a time");
    assert!(
        chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{at}"
    );
}

#[test]
fn json_is_byte_identical_across_runs_and_thread_counts() {
    // Retail (CSV, segments, windows, escalations) and marketing (attribution with Markov and
    // time-decay weights, the only binary floating point): one thread against every core, twice.
    for file in [RETAIL, MARKETING] {
        let one = [
            "run",
            file,
            "--format",
            "json",
            "--deterministic",
            "--threads",
            "1",
        ];
        let (code, first, _) = scorecard(&one);
        assert_eq!(code, 0);
        let (_, again, _) = scorecard(&one);
        let (_, all_cores, _) = scorecard(&["run", file, "--format", "json", "--deterministic"]);
        assert_eq!(first, again, "{file}: two runs differ");
        assert_eq!(first, all_cores, "{file}: one thread and every core differ");
        let json: serde_json::Value = serde_json::from_str(&first).expect("valid JSON");
        assert_eq!(json["manifest"]["evaluated_at"], serde_json::Value::Null);
        // Without --deterministic, the time is the only difference.
        let (_, timed, _) = scorecard(&["run", file, "--format", "json", "--threads", "1"]);
        let mut timed: serde_json::Value = serde_json::from_str(&timed).expect("valid JSON");
        assert!(timed["manifest"]["evaluated_at"].is_string());
        timed["manifest"]["evaluated_at"] = serde_json::Value::Null;
        assert_eq!(timed, json, "{file}");
    }
}
