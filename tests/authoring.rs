//! The authoring workflow: `test` blocks and `scorecard test` (each kind of expectation passing and
//! failing, JUnit XML, what no test exercises), errors in tests, and `scorecard fmt` on the command
//! line.

use crate::cli::scorecard;
use crate::support::{codes, folder};

/// A shop with one attribution and one escalation. Every number the tests below expect was worked
/// out by hand from the data in `DATA`:
///
/// - revenue: January EMEA 600 + 300 = 900, against 1000: not green, but ≥ 90% of 1000, so amber.
///   February EMEA 500: red. March EMEA 100 (red) and APAC 1200 (green); total 1300.
/// - margin: January (900 − 300 − 240) / 900 = 40.0%, green; its goal/red-flag score with goal 40%
///   and red flag 30% is 10/3 × (1 + (0.40 − 0.30)/0.10) = 6.67. February (500 − 250) / 500 = 50%,
///   which scores 10/3 × 3 = 10, so objective `grow` (margin only) scores 10 too.
/// - linear credit, 30 days back: o1 (c1, Jan 10, 600) splits over c1's touches on Jan 1 (search)
///   and Jan 8 (email): 300 each. o2 (c2, Jan 20, 300) has c2's Jan 15 search touch: 300. o3 (c1,
///   Feb 5, 500) reaches back to Jan 6, so only the Jan 8 email touch: 500. So January search
///   600, email 300; February email 500.
/// - revenue_red (red for 2 periods): EMEA is red in February and March, so it is raised in March;
///   APAC and the total never are.
const SHOP: &str = r#"scorecard shop "Shop" { grain: month }

perspective financial "Financial" { weight: 100% }
objective grow "Grow" { perspective: financial }

dataset orders "Orders" {
  source: "orders.csv"
  time: order_date
  columns: {
    order_id:   text key
    customer:   text
    order_date: date
    region:     text
    revenue:    money
    cogs:       money
  }
}

dataset touches "Touches" {
  source: "touches.csv"
  time: touched_at
  columns: { customer: text  touched_at: date  channel: text }
}

kpi revenue "Revenue" {
  unit: money
  value: sum(orders.revenue)
  target: 1000
  thresholds: green >= target, amber >= 90% of target, red otherwise
  by: region
}

kpi margin "Margin" {
  objective: grow
  unit: percent
  value: (revenue - sum(orders.cogs)) / revenue
  thresholds: green >= 40%, amber >= 30%, red otherwise
  scoring: goal_red_flag(goal: 40%, red_flag: 30%)
  rounding: 1 decimal half_even
}

kpi order_count "Orders" { unit: count  value: count(orders) }

attribution credit "Credit" {
  touches: touches
  conversions: orders
  match: touches.customer = orders.customer
  window: 30 days
  value: orders.revenue
  credit_to: touches.channel
  model: linear
}

escalation revenue_red "Revenue red" {
  when: revenue is red for 2 periods
  severity: high
}
"#;

const DATA: &str = r#"  data: {
    orders: """
      order_id,customer,order_date,region,revenue,cogs
      o1,c1,2026-01-10,EMEA,600.00,300.00
      o2,c2,2026-01-20,EMEA,300.00,240.00
      o3,c1,2026-02-05,EMEA,500.00,250.00
      o4,c3,2026-03-03,APAC,1200.00,600.00
      o5,c2,2026-03-15,EMEA,100.00,50.00
    """
    touches: """
      customer,touched_at,channel
      c1,2026-01-01,search
      c1,2026-01-08,email
      c2,2026-01-15,search
    """
  }
"#;

/// Every kind of expectation, each true of `DATA`.
const HOLDS: &str = r#"  expect: revenue[2026-01, region = "EMEA"] = 900.00
  expect: revenue[2026-03] = 1300
  expect: revenue[2026-03] > 1299.99
  expect: status(revenue[2026-01, region = "EMEA"]) = amber
  expect: status(revenue[2026-02]) = red
  expect: status(revenue[2026-03, region = "APAC"]) != red
  expect: margin[2026-01] = 40.0%
  expect: status(margin[2026-01]) = green
  expect: score(margin[2026-01]) = 6.67
  expect: score(grow[2026-02]) = 10
  expect: attributed(credit)[2026-01, channel = "search"] = 600.00
  expect: attributed(credit)[2026-01, channel = "email"] = 300
  expect: attributed(credit)[2026-02, channel = "email"] = 500
  expect: escalation revenue_red raised in 2026-03
  expect: escalation revenue_red[region = "EMEA"] raised in 2026-03
  expect: escalation revenue_red[region = "APAC"] not raised in 2026-03
  expect: escalation revenue_red not raised in 2026-02
  expect: revenue[2026-04] = none
"#;

/// The same kinds, each false of `DATA`, with the actual value the report must show.
const WRONG: &[(&str, &str, &str)] = &[
    ("revenue[2026-01, region = \"EMEA\"] = 901", "= 901", "900"),
    ("status(revenue[2026-02]) = amber", "amber", "red"),
    ("margin[2026-01] < 40%", "< 40%", "40%"),
    ("score(margin[2026-01]) = 7", "= 7", "6.67"),
    ("score(grow[2026-02]) < 10", "< 10", "10"),
    (
        "attributed(credit)[2026-02, channel = \"search\"] = 500",
        "= 500",
        "none",
    ),
    (
        "escalation revenue_red not raised in 2026-03",
        "not raised in 2026-03",
        "open: raised in 2026-03 (region=EMEA)",
    ),
    (
        "escalation revenue_red raised in 2026-02",
        "raised in 2026-02",
        "not raised in 2026-02",
    ),
    ("revenue[2026-04] = 0", "= 0", "none"),
];

fn shop_with_tests() -> String {
    let wrong: String = WRONG
        .iter()
        .map(|(x, _, _)| format!("  expect: {x}\n"))
        .collect();
    format!(
        "{SHOP}\ntest holds \"Everything worked out by hand\" {{\n{DATA}{HOLDS}}}\n\ntest wrong \"Each kind, wrong\" {{\n{DATA}{wrong}}}\n"
    )
}

#[test]
fn each_kind_of_expectation_passes_when_it_holds_and_fails_when_it_does_not() {
    let dir = folder(&[("shop.scorecard", &shop_with_tests())]);
    let file = dir.path().join("shop.scorecard");
    let (code, out, err) = scorecard(&["test", file.to_str().unwrap_or_default()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("ok     holds \"Everything worked out by hand\""),
        "{out}"
    );
    assert!(out.contains("FAIL   wrong \"Each kind, wrong\""), "{out}");
    // Each wrong expectation is listed once, with what was expected and what the run gave.
    for (text, expected, actual) in WRONG {
        let at = out
            .find(&format!("expect: {text}\n"))
            .unwrap_or_else(|| panic!("`{text}` not reported:\n{out}"));
        let block: Vec<&str> = out[at..].lines().skip(1).take(2).collect();
        assert_eq!(
            block,
            vec![
                format!("          - expected {expected}"),
                format!("          + actual   {actual}")
            ],
            "{text}"
        );
    }
    assert_eq!(out.matches("- expected").count(), WRONG.len(), "{out}");
    assert!(
        out.contains("2 tests: 1 passed, 1 failed, 0 could not run"),
        "{out}"
    );
    // Every KPI and the escalation are named by an expectation, except `order_count`.
    assert!(
        out.contains("KPIs no test expects anything of: order_count\n"),
        "{out}"
    );
    assert!(!out.contains("escalations no test"), "{out}");
}

#[test]
fn a_passing_file_exits_0_and_junit_has_every_element_the_schema_requires() {
    let source = format!("{SHOP}\ntest holds \"All hold\" {{\n{DATA}{HOLDS}}}\n\ntest wrong {{\n{DATA}  expect: revenue[2026-02] = 1\n}}\n");
    let dir = folder(&[("shop.scorecard", &source)]);
    let file = dir.path().join("shop.scorecard");
    let xml = dir.path().join("junit.xml");
    let (code, out, _) = scorecard(&[
        "test",
        file.to_str().unwrap_or_default(),
        "--junit",
        xml.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 1, "{out}");

    // Read back by a second XML parser (Python's), against the required attributes and elements
    // of the JUnit schema that Ant, Jenkins and GitLab read (windyroad JUnit.xsd): a testsuite
    // needs name, timestamp, hostname, tests, failures, errors, time, and, inside `testsuites`,
    // package and id; then properties, testcase*, system-out and system-err in that order. A
    // testcase needs name, classname and time; a failure or error needs a type.
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = list(root)
assert len(suites) == 1 and suites[0].tag == "testsuite"
s = suites[0]
for a in ["name", "timestamp", "hostname", "tests", "failures", "errors", "time", "package", "id"]:
    assert a in s.attrib, a
tags = [c.tag for c in s]
assert tags[0] == "properties" and tags[-2:] == ["system-out", "system-err"], tags
cases = s.findall("testcase")
assert tags[1:-2] == ["testcase"] * len(cases), tags
for c in cases:
    for a in ["name", "classname", "time"]:
        assert a in c.attrib, a
    float(c.attrib["time"])
    for f in list(c):
        assert f.tag in ("failure", "error") and "type" in f.attrib, f.tag
print(s.attrib["tests"], s.attrib["failures"], s.attrib["errors"],
      [(c.attrib["name"], [f.tag for f in c]) for c in cases])
print(cases[1].find("failure").text)
"#;
    let checked = std::process::Command::new("python3")
        .args(["-c", script, xml.to_str().unwrap_or_default()])
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let mut lines = said.lines();
    assert_eq!(
        lines.next(),
        Some("2 1 0 [('holds \"All hold\"', []), ('wrong', ['failure'])]")
    );
    // February revenue is 500 (hand sum of o3), not 1.
    assert!(
        said.contains("expect: revenue[2026-02] = 1\n  - expected = 1\n  + actual   500"),
        "{said}"
    );

    let only_passing = format!("{SHOP}\ntest holds {{\n{DATA}{HOLDS}}}\n");
    let dir = folder(&[("shop.scorecard", &only_passing)]);
    let (code, out, err) = scorecard(&["test", dir.path().to_str().unwrap_or_default()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 test: 1 passed, 0 failed, 0 could not run"),
        "{out}"
    );
}

#[test]
fn a_test_whose_data_does_not_load_could_not_run_and_names_the_scorecard_line() {
    let bad = DATA.replace(
        "o2,c2,2026-01-20,EMEA,300.00,240.00",
        "o2,c2,2026-01-20,EMEA,lots,240.00",
    );
    let source = format!("{SHOP}\ntest broken {{\n{bad}  expect: revenue[2026-01] = 900\n}}\n");
    let dir = folder(&[("shop.scorecard", &source)]);
    let (code, out, _) = scorecard(&[
        "test",
        dir.path()
            .join("shop.scorecard")
            .to_str()
            .unwrap_or_default(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("ERROR  broken"), "{out}");
    // The CSV header is on the line after `orders: """`.
    let header_line = source
        .lines()
        .position(|l| l.trim() == "order_id,customer,order_date,region,revenue,cogs")
        .map(|i| i + 1);
    let expected = format!(
        "the data for `orders` (CSV line 1 is scorecard line {})",
        header_line.unwrap_or(0)
    );
    assert!(out.contains(&expected), "{out}");
    assert!(out.contains("lots"), "the bad value is shown: {out}");
    assert!(out.contains("0 passed, 0 failed, 1 could not run"), "{out}");
}

#[test]
fn mistakes_in_tests_are_found_by_check_with_their_codes() {
    let source = format!(
        "{SHOP}\ntest t {{\n  data: {{ ordres: \"\"\"\n    a\n  \"\"\" }}\n  expect: revenu[2026-01] = 1\n  expect: revenue[2026-13] = 1\n  expect: revenue[2026-01, channel = \"web\"] = 1\n  expect: status(margin[2026-01]) = purple\n  expect: escalation nothing raised in 2026-01\n  expect: revenue[2026-01] = lots\n  expect: revenue + 1\n  expect: attributed(nope)[2026-01] = 1\n  colour: red\n}}\nkpi dated {{ value: revenue[2026-05] }}\ntest empty {{ }}\n"
    );
    let compiled = scorecard::compile(&source);
    assert_eq!(
        codes(&compiled),
        vec![
            "scorecard::check::unknown_dataset",
            "scorecard::check::unknown_kpi",
            "scorecard::check::invalid_expect",
            "scorecard::check::segment_column",
            "scorecard::check::invalid_expect",
            "scorecard::check::unknown_name",
            "scorecard::check::invalid_expect",
            "scorecard::check::invalid_expect",
            "scorecard::check::unknown_name",
            "scorecard::check::unknown_key",
            "scorecard::check::test_only",
            "scorecard::check::missing_key",
        ],
        "{}",
        scorecard::diagnostic::render_plain("t.scorecard", &source, &compiled.diagnostics)
    );
}

#[test]
fn tests_do_not_change_what_run_evaluates() {
    // The expression an expectation reads (`attributed(credit)` by channel) is checked, but it is
    // not a KPI of the scorecard that `run` evaluates.
    let source = format!("{SHOP}\ntest holds {{\n{DATA}{HOLDS}}}\n");
    let compiled = scorecard::compile(&source);
    let model = compiled.model.expect("checks clean");
    let names: Vec<&str> = model.kpis.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, vec!["revenue", "margin", "order_count"]);
    // The test keeps them, lowered from its expressions, for `scorecard test` alone.
    let derived: Vec<&str> = model
        .tests
        .iter()
        .flat_map(|t| &t.derived)
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(
        derived.len(),
        3,
        "one for each `attributed` expectation: {derived:?}"
    );
    assert!(
        derived.iter().all(|n| n.starts_with("__expect_")),
        "{derived:?}"
    );
}

#[test]
fn the_examples_pass_their_tests() {
    let (code, out, err) = scorecard(&["test", "scorecards"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains("FAIL") && out.contains(" passed, 0 failed, 0 could not run"),
        "{out}"
    );
    for example in [
        "balanced",
        "customer_profitability",
        "global",
        "marketing",
        "retail",
    ] {
        let at = out
            .find(&format!("scorecards/{example}/{example}.scorecard\n"))
            .unwrap_or(0);
        assert!(
            out[at..]
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("  ok ")),
            "{example} has no test:\n{out}"
        );
    }
}

#[test]
fn fmt_check_lists_the_files_that_would_change_and_fmt_rewrites_them() {
    let messy = "scorecard s { grain: month }\ndataset d { source: \"d.csv\"  time: day  columns: { day: date  n: integer } }\nkpi   n {value:count( d )}\n";
    let tidy = "scorecard s { grain: month }\ndataset d { source: \"d.csv\"  time: day  columns: { day: date  n: integer } }\nkpi n { value: count(d) }\n";
    let dir = folder(&[("a.scorecard", messy), ("b.scorecard", tidy)]);
    let path = |n: &str| dir.path().join(n).to_string_lossy().to_string();
    let (code, out, err) = scorecard(&["fmt", "--check", dir.path().to_str().unwrap_or_default()]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out, format!("would reformat {}\n", path("a.scorecard")));
    assert!(err.contains("1 of 2 files would be reformatted"), "{err}");
    assert_eq!(
        std::fs::read_to_string(path("a.scorecard")).ok().as_deref(),
        Some(messy),
        "--check changes nothing"
    );

    let (code, out, _) = scorecard(&["fmt", &path("a.scorecard"), &path("b.scorecard")]);
    assert_eq!(
        (code, out),
        (0, format!("formatted {}\n", path("a.scorecard")))
    );
    assert_eq!(
        std::fs::read_to_string(path("a.scorecard")).ok().as_deref(),
        Some(tidy)
    );
    let (code, _, _) = scorecard(&["fmt", "--check", dir.path().to_str().unwrap_or_default()]);
    assert_eq!(code, 0);

    let broken = folder(&[("c.scorecard", "kpi a { value: ( }")]);
    let (code, _, err) = scorecard(&["fmt", broken.path().to_str().unwrap_or_default()]);
    assert_eq!(code, 1);
    assert!(err.contains("scorecard::syntax::unexpected"), "{err}");
}

#[test]
fn check_writes_sarif_that_code_review_tools_can_place_on_the_line() {
    let (code, out, _) = scorecard(&[
        "check",
        "--format",
        "sarif",
        "tests/check/unknown_column.scorecard",
        "scorecards/retail/retail.scorecard",
        "no/such/file.scorecard",
    ]);
    assert_eq!(code, 1);
    let log: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    // What the SARIF 2.1.0 schema requires: `version` and `runs` on the log, `tool.driver.name` on a
    // run, `message.text` on a result; a `ruleIndex` points into the driver's rules.
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "scorecard");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{out}");
    for r in results {
        assert!(r["message"]["text"].is_string());
        let i = r["ruleIndex"].as_u64().expect("a rule index") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    // `revnue` is on line 8, columns 33 to 38 of tests/check/unknown_column.scorecard (read off
    // the file); SARIF's end column is the one after the last character.
    let first = &results[0];
    assert_eq!(first["ruleId"], "scorecard::check::unknown_column");
    assert_eq!(first["level"], "error");
    let place = &first["locations"][0]["physicalLocation"];
    assert_eq!(
        place["artifactLocation"]["uri"],
        "tests/check/unknown_column.scorecard"
    );
    assert_eq!(
        place["region"],
        serde_json::json!({"startLine": 8, "startColumn": 33, "endLine": 8, "endColumn": 39})
    );
    assert!(first["message"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("did you mean `revenue`")));
    // A file that cannot be read is a result on the file, with no region.
    assert_eq!(results[1]["ruleId"], "scorecard::io::read_scorecard");
    assert!(results[1]["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());

    let (code, out, _) = scorecard(&[
        "check",
        "--format",
        "sarif",
        "scorecards/retail/retail.scorecard",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("\"results\": []"), "{out}");
}

#[test]
fn an_expectation_on_a_kpi_that_failed_its_own_check_is_not_reported_again() {
    // Found with the language server: a typo in `margin` also reported "no KPI named `margin`" at
    // each expectation, and "no escalation named" for an escalation on a broken KPI.
    let broken = SHOP
        .replace("sum(orders.cogs)", "sum(orders.cgos)")
        .replace(
            "when: revenue is red for 2 periods",
            "when: margin is red for 2 periods",
        );
    let source = format!(
        "{broken}\ntest t {{\n{DATA}  expect: margin[2026-01] = 40%\n  expect: status(margin[2026-01]) = green\n  expect: escalation revenue_red not raised in 2026-01\n}}\n"
    );
    let compiled = scorecard::compile(&source);
    assert_eq!(codes(&compiled), vec!["scorecard::check::unknown_column"]);
}

#[test]
fn a_test_reads_its_rows_from_memory_and_writes_no_file() {
    // Each test's rows are an in-memory source. Before, each test wrote its rows as CSV files into
    // a temporary folder (and rewrote their paths in messages): with no temporary folder to be had
    // (TMPDIR names a file), every test could not run.
    let source = format!("{SHOP}\ntest jan {{\n{DATA}  expect: revenue[2026-01] = 900\n}}\n");
    let dir = folder(&[("shop.scorecard", &source), ("not-a-folder", "")]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .arg("test")
        .arg(dir.path().join("shop.scorecard"))
        .env("TMPDIR", dir.path().join("not-a-folder"))
        .output()
        .expect("scorecard runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 test: 1 passed"), "{text}");
}

#[test]
fn an_expectation_on_an_expression_is_checked_once_where_it_is_written() {
    // Before, the expression became a `kpi __expect_LINE_COLUMN` declaration checked in a second
    // pass of the whole file, and its mistakes named that made-up KPI.
    let source = format!(
        "{SHOP}\ntest t {{\n{DATA}  expect: attributed(credit)[2026-01, nosuch = \"x\"] = 1\n  expect: (revenue + sum(orders.cogs))[2026-01] = 1\n}}\n"
    );
    let compiled = scorecard::compile(&source);
    let segment: Vec<&scorecard::diagnostic::Diagnostic> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "scorecard::check::segment_column")
        .collect();
    assert_eq!(segment.len(), 1, "{:?}", compiled.diagnostics);
    assert!(
        segment[0]
            .message
            .starts_with("`attributed(credit)` is segmented by `nosuch`"),
        "{}",
        segment[0].message
    );
    assert!(
        !compiled
            .diagnostics
            .iter()
            .any(|d| d.message.contains("__expect_")),
        "no made-up KPI is named: {:?}",
        compiled.diagnostics
    );
}

const BASE: &str = "scorecard s \"S\" { grain: month }\ndataset orders \"O\" { source: \"orders.csv\"  time: d  columns: { d: date  r: money  c: money } }\ndataset budget \"B\" { source: \"budget.csv\"  time: d  columns: { d: date  r: money } }\nkpi rev { value: sum(orders.r) }\n";

/// Runs `scorecard test` on `source` written to a file; the exit code and standard output.
fn test_file(source: &str) -> (i32, String) {
    let dir = folder(&[("s.scorecard", source)]);
    let path = dir.path().join("s.scorecard");
    let (code, out, _) = scorecard(&["test", path.to_str().unwrap_or_default()]);
    (code, out)
}

#[test]
fn names_starting_with_two_underscores_are_kept_for_what_the_scorecard_derives() {
    // A KPI named as a test's expression or an attribution's credit KPI took its place.
    for name in ["__expect_6_12", "__credit_x", "__mine"] {
        let source = format!("{BASE}kpi {name} {{ value: sum(orders.c) }}\n");
        let compiled = scorecard::compile(&source);
        assert_eq!(
            codes(&compiled),
            ["scorecard::check::invalid_value"],
            "{name}"
        );
        assert!(compiled.model.is_none(), "{name}");
    }
}

#[test]
fn an_expected_expression_does_not_change_which_periods_are_reported() {
    // The budget's March row stretched the periods a test reported, which changed another
    // expectation's result; as in `run`, only the scorecard's KPIs decide (here January only).
    let data = "  data: {\n    orders: \"\"\"\n      d,r,c\n      2026-01-03,1.00,0.00\n    \"\"\"\n    budget: \"\"\"\n      d,r\n      2026-03-01,5.00\n    \"\"\"\n  }\n";
    let alone = format!("{BASE}kpi rev_ytd {{ value: ytd(sum(orders.r)) }}\ntest t {{\n{data}  expect: rev_ytd[2026-03] = none\n}}\n");
    let (code, out) = test_file(&alone);
    assert_eq!(code, 0, "{out}");
    let both = format!("{BASE}kpi rev_ytd {{ value: ytd(sum(orders.r)) }}\ntest t {{\n{data}  expect: rev_ytd[2026-03] = none\n  expect: sum(budget.r)[2026-03] = none\n  expect: sum(budget.r)[2026-01] = none\n}}\n");
    let (code, out) = test_file(&both);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn an_expected_expression_is_named_as_written_and_typed_as_a_kpi_value() {
    let data =
        "  data: {\n    orders: \"\"\"\n      d,r,c\n      2026-01-03,1.00,0.00\n    \"\"\"\n  }\n";
    // A run-time error names the expression, not a made-up KPI.
    let huge = format!("{BASE}test t {{\n{data}  expect: (sum(orders.r) * 1000000000000000000000000000 * 1000)[2026-01] = 1\n}}\n");
    let (code, out) = test_file(&huge);
    assert_eq!(code, 2, "{out}");
    assert!(!out.contains("__expect_"), "{out}");
    assert!(out.contains("* 1000000000000000000000000000"), "{out}");
    // A condition is a type mismatch, as in a KPI's value.
    let condition =
        format!("{BASE}test t {{\n{data}  expect: (sum(orders.r) > 5)[2026-01] = 1\n}}\n");
    assert_eq!(
        codes(&scorecard::compile(&condition)),
        ["scorecard::check::type_mismatch"]
    );
    // Tests' expressions have a budget of copied parts of their own: `change` nested 18 times
    // copies about half a million parts, so the KPI and the expectation together passed the one
    // budget of a million, and `run` failed for a test.
    let deep = |inner: &str| {
        let mut x = inner.to_string();
        for _ in 0..18 {
            x = format!("change({x})");
        }
        x
    };
    let heavy = format!(
        "{BASE}kpi big {{ value: {} }}\ntest t {{\n{data}  expect: {}[2026-01] = none\n}}\n",
        deep("rev"),
        deep("sum(orders.c)")
    );
    let compiled = scorecard::compile(&heavy);
    assert!(compiled.model.is_some(), "{:?}", codes(&compiled));
}
