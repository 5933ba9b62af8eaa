//! Data fit to be rated: coverage and partial periods, gates (`requires`) and dataset checks, each
//! with expectations worked out by hand from the rows written here.

use crate::cli::scorecard;
use crate::support::{folder, model, options, row, run};
use scorecard::rules::Status;

/// Sales from 10 January to 20 March 2026: January starts late and March ends early, February is
/// covered whole.
const SALES: &str = "day,amount,answered\n\
2026-01-10,10.00,true\n\
2026-01-31,20.00,false\n\
2026-02-01,30.00,true\n\
2026-02-14,40.00,true\n\
2026-02-28,50.00,false\n\
2026-03-20,60.00,true\n";

fn sales(extra: &str) -> String {
    format!(
        "scorecard s {{ currency: USD  grain: month }}\n\
         dataset sales {{ source: \"sales.csv\"  time: day{extra}  columns: {{ day: date  amount: money  answered: bool }} }}\n\
         kpi revenue {{ value: sum(sales.amount)  target: 50 }}\n\
         kpi previous {{ unit: money  value: revenue[-1] }}\n\
         kpi growth {{ unit: percent  value: pct_change(revenue) }}\n\
         kpi to_date {{ unit: money  value: ytd(revenue) }}\n\
         kpi running {{ unit: money  value: cumulative(revenue) }}\n"
    )
}

fn partial(e: &scorecard::rules::Evaluation, kpi: &str, period: &str) -> (bool, Vec<String>) {
    let r = row(e, kpi, period, "total");
    (r.partial, r.partial_periods.clone())
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_period_the_rows_cover_only_in_part_is_partial_and_so_is_what_reads_it() {
    let e = run(&sales(""), &[("sales.csv", SALES)]);
    let covers = &e.coverage["sales"];
    assert_eq!(
        (covers.first.to_string(), covers.last.to_string()),
        ("2026-01-10".into(), "2026-03-20".into())
    );
    // January starts on the 10th, March ends on the 20th; February is whole.
    assert_eq!(
        partial(&e, "revenue", "2026-01"),
        (true, owned(&["2026-01"]))
    );
    assert_eq!(partial(&e, "revenue", "2026-02"), (false, vec![]));
    assert_eq!(
        partial(&e, "revenue", "2026-03"),
        (true, owned(&["2026-03"]))
    );
    // February compared with January reads a partial period; March's comparison is with a whole
    // February, but March itself is partial.
    assert_eq!(
        partial(&e, "previous", "2026-02"),
        (true, owned(&["2026-01"]))
    );
    assert_eq!(
        partial(&e, "growth", "2026-02"),
        (true, owned(&["2026-01"]))
    );
    assert_eq!(
        partial(&e, "growth", "2026-03"),
        (true, owned(&["2026-03"]))
    );
    // The year to date in February takes in January.
    assert_eq!(
        partial(&e, "to_date", "2026-02"),
        (true, owned(&["2026-01"]))
    );
    // `cumulative` runs from where the data starts: its late start does not make it partial.
    assert_eq!(partial(&e, "running", "2026-02"), (false, vec![]));
    assert_eq!(
        partial(&e, "running", "2026-03"),
        (true, owned(&["2026-03"]))
    );
    // Rated as usual by default: January's 30.00 against 50 is red.
    assert_eq!(row(&e, "revenue", "2026-01", "total").status, Status::Red);
}

#[test]
fn extracted_and_complete_from_say_what_the_rows_cannot() {
    // Complete from 1 January, extracted on 1 April: every month is covered whole.
    let e = run(
        &sales("  complete_from: 2026-01-01  extracted: 2026-04-01"),
        &[("sales.csv", SALES)],
    );
    let covers = &e.coverage["sales"];
    assert_eq!(
        (covers.first.to_string(), covers.last.to_string()),
        ("2026-01-01".into(), "2026-03-31".into())
    );
    for p in ["2026-01", "2026-02", "2026-03"] {
        assert_eq!(partial(&e, "revenue", p), (false, vec![]), "{p}");
        assert_eq!(partial(&e, "growth", p), (false, vec![]), "{p}");
    }
    // Extracted on 15 March: the row of the 20th is past what the extract covers, and March is
    // covered to the 14th only.
    let e = run(&sales("  extracted: 2026-03-15"), &[("sales.csv", SALES)]);
    assert_eq!(e.coverage["sales"].last.to_string(), "2026-03-14");
    assert_eq!(
        partial(&e, "revenue", "2026-03"),
        (true, owned(&["2026-03"]))
    );
}

#[test]
fn the_project_file_overrides_the_extract_day_the_scorecard_gives() {
    let dir = folder(&[
        ("s.scorecard", &sales("  extracted: 2026-03-15")),
        ("sales.csv", SALES),
        (
            "scorecard.toml",
            "[datasets.sales]\nextracted = 2026-04-01\ncomplete_from = \"2026-01-01\"\n",
        ),
    ]);
    let card = dir.path().join("s.scorecard");
    let (code, out, err) = scorecard(&[
        "run",
        card.to_str().unwrap(),
        "--format",
        "json",
        "--deterministic",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["coverage"]["sales"]["first"], "2026-01-01");
    assert_eq!(v["coverage"]["sales"]["last"], "2026-03-31");
    let results = &v["kpis"][0]["results"];
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["partial"] == false),
        "{results}"
    );
}

#[test]
fn a_dataset_whose_rows_stand_for_months_covers_them_whole() {
    // One budget row per month, dated the 1st: without `grain: month`, March would end on the 1st.
    let source = |grain: &str| {
        format!(
            "scorecard s {{ currency: USD  grain: month }}\n\
             dataset budget {{ source: \"budget.csv\"  time: month{grain}  columns: {{ month: date  amount: money }} }}\n\
             kpi planned {{ value: sum(budget.amount) }}\n"
        )
    };
    let csv = "month,amount\n2026-01-01,100.00\n2026-02-01,100.00\n2026-03-01,100.00\n";
    let e = run(&source(""), &[("budget.csv", csv)]);
    assert_eq!(
        partial(&e, "planned", "2026-03"),
        (true, owned(&["2026-03"]))
    );
    let e = run(&source("  grain: month"), &[("budget.csv", csv)]);
    assert_eq!(e.coverage["budget"].last.to_string(), "2026-03-31");
    for p in ["2026-01", "2026-02", "2026-03"] {
        assert_eq!(partial(&e, "planned", p), (false, vec![]), "{p}");
    }
}

#[test]
fn not_rated_leaves_a_partial_result_without_status_or_score_and_out_of_the_rollup() {
    // revenue: 30.00 in January (partial), 120.00 in February, 60.00 in March (partial), against
    // a target of 50: green in February only, the partial months unrated. `steady` is always
    // green (10), so the objective's score is revenue's and steady's average only where revenue
    // is rated: (10 + 10) / 2 = 10 in February, and steady's alone, 10, in the partial months.
    let source = "scorecard s { currency: USD  grain: month  partial: not_rated }\n\
        perspective p { }\n\
        objective o { perspective: p }\n\
        dataset sales { source: \"sales.csv\"  time: day  columns: { day: date  amount: money  answered: bool } }\n\
        kpi revenue { objective: o  value: sum(sales.amount)  target: 50 }\n\
        kpi steady { objective: o  value: 1  target: 1  partial: rated }\n";
    let e = run(source, &[("sales.csv", SALES)]);
    let jan = row(&e, "revenue", "2026-01", "total");
    assert_eq!((jan.status, jan.score), (Status::Unrated, None));
    assert_eq!(jan.value.map(|v| v.to_string()), Some("30.00".into()));
    let feb = row(&e, "revenue", "2026-02", "total");
    assert_eq!(feb.status, Status::Green);
    // A constant reads no data: never partial, rated in every month.
    assert_eq!(row(&e, "steady", "2026-01", "total").status, Status::Green);
    let o = &e.scores.objectives[0];
    let score = |p: &str| {
        o.results
            .iter()
            .find(|r| r.period == p)
            .and_then(|r| r.score)
            .map(|s| s.to_string())
    };
    assert_eq!(score("2026-01"), Some("10.00".into()));
    assert_eq!(score("2026-02"), Some("10.00".into()));
}

#[test]
fn every_output_marks_a_partial_result() {
    let dir = folder(&[("s.scorecard", &sales("")), ("sales.csv", SALES)]);
    let card = dir.path().join("s.scorecard");
    let card = card.to_str().unwrap();
    let (_, table, _) = scorecard(&["run", card]);
    assert!(table.contains("2026-01 (partial)"), "{table}");
    assert!(table.contains("2026-02 (partial: 2026-01)"), "{table}");
    assert!(table.contains("Data health"), "{table}");
    assert!(
        table.contains("the data covers 2026-01, 2026-03 only in part"),
        "{table}"
    );
    let (_, csv, _) = scorecard(&["run", card, "--format", "csv"]);
    assert!(
        csv.contains("growth,,percent,2026-02,true,total,3.000,,,unrated,,,,2026-01,\n"),
        "{csv}"
    );
    let (_, md, _) = scorecard(&["run", card, "--format", "markdown"]);
    assert!(md.contains("**Period:** 2026-03 (partial)"), "{md}");
    assert!(md.contains("### Data health"), "{md}");
    let page = dir.path().join("page.html");
    let (code, _, err) = scorecard(&["report", card, "-o", page.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("id=\"data-health\""));
    assert!(html.contains("2026-03 (partial)"));
}

#[test]
fn the_balanced_example_does_not_rate_its_two_short_quarters() {
    // The data runs from 1 November 2024 to 31 October 2026: FY2025-Q3 (October to December
    // 2024) misses October, FY2027-Q3 (October to December 2026) has October alone. The
    // growth of -69.7% in FY2027-Q3 and the +53.8% of FY2026-Q3 against the short FY2025-Q3
    // are shown, marked partial, and not rated, so neither is red or green nor in the score.
    let (code, out, err) = scorecard(&[
        "run",
        "scorecards/balanced/balanced.scorecard",
        "--format",
        "json",
        "--deterministic",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let result = |kpi: &str, period: &str| -> serde_json::Value {
        let k = v["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == kpi)
            .unwrap();
        k["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["period"] == period && r["segment"].as_object().unwrap().is_empty())
            .unwrap()
            .clone()
    };
    let last = result("revenue_growth", "FY2027-Q3");
    assert_eq!(last["value"], "-0.697");
    assert_eq!(last["partial"], true);
    assert_eq!(last["status"], "unrated");
    assert_eq!(last["score"], serde_json::Value::Null);
    let compared = result("revenue_growth", "FY2026-Q3");
    assert_eq!(compared["value"], "0.538");
    assert_eq!(
        compared["partial_periods"],
        serde_json::json!(["FY2025-Q3"])
    );
    assert_eq!(compared["status"], "unrated");
    // A whole quarter compared with a whole quarter is rated.
    assert_eq!(result("revenue_growth", "FY2026-Q4")["status"], "green");
    assert_eq!(result("net_revenue", "FY2026-Q4")["partial"], false);
    // With every KPI reading the short quarters unrated, they have no overall score.
    let overall = |p: &str| {
        v["overall"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["period"] == p)
            .unwrap()["score"]
            .clone()
    };
    assert_eq!(overall("FY2027-Q3"), serde_json::Value::Null);
    assert_eq!(overall("FY2025-Q3"), serde_json::Value::Null);
    assert_ne!(overall("FY2027-Q2"), serde_json::Value::Null);
}

/// Survey answers: two in January, three in February, none in March (but a row of invites).
const SURVEY: &str = "scorecard s { currency: USD  grain: month }\n\
    perspective p { }\n\
    objective o { perspective: p }\n\
    dataset answers { source: \"answers.csv\"  time: day  complete_from: 2026-01-01  extracted: 2026-04-01  columns: { day: date  score: integer } }\n\
    dataset invites { source: \"invites.csv\"  time: day  complete_from: 2026-01-01  extracted: 2026-04-01  columns: { day: date  sent: integer } }\n\
    kpi satisfaction {\n\
      objective: o\n\
      value: avg(answers.score)\n\
      requires: { responses: count(answers) >= 3  response_rate: count(answers) / sum(invites.sent) >= 20% }\n\
      thresholds: green >= 7, red otherwise\n\
    }\n\
    kpi invited { objective: o  value: sum(invites.sent)  target: 1 }\n\
    escalation thin { when: satisfaction is insufficient data for 2 periods  severity: low  owner: \"Insight\" }\n";

const ANSWERS: &str = "day,score\n2026-01-05,8\n2026-01-06,9\n2026-02-02,7\n2026-02-03,8\n2026-02-04,9\n2026-03-03,6\n2026-03-04,6\n2026-03-05,6\n";
/// 10 invited in January, 10 in February, none recorded in March.
const INVITES: &str = "day,sent\n2026-01-01,10\n2026-02-01,10\n";

#[test]
fn a_failed_gate_gives_insufficient_data_with_its_numbers() {
    let e = run(
        SURVEY,
        &[("answers.csv", ANSWERS), ("invites.csv", INVITES)],
    );
    // January: 2 answers, fewer than 3; the rate 2 / 10 = 20% holds.
    let jan = row(&e, "satisfaction", "2026-01", "total");
    assert_eq!(jan.status, Status::InsufficientData);
    assert_eq!(jan.value.map(|v| v.to_string()), Some("8.50".into()));
    assert_eq!(jan.score, None);
    assert_eq!(jan.unmet.len(), 1);
    assert_eq!(jan.unmet[0].gate, "responses");
    assert_eq!(jan.unmet[0].holds, Some(false));
    assert_eq!(
        (
            jan.unmet[0].left.map(|d| d.to_string()),
            jan.unmet[0].right.map(|d| d.to_string())
        ),
        (Some("2".into()), Some("3".into()))
    );
    assert_eq!(
        jan.unmet_shown(),
        "responses: count(answers) >= 3 (2 against 3)"
    );
    // February: 3 answers of 10 invited, 30%: rated, 8 is green.
    assert_eq!(
        row(&e, "satisfaction", "2026-02", "total").status,
        Status::Green
    );
    // March: 3 answers but no invites: the rate cannot be told, which is not enough to rate.
    let mar = row(&e, "satisfaction", "2026-03", "total");
    assert_eq!(mar.status, Status::InsufficientData);
    assert_eq!(mar.unmet[0].gate, "response_rate");
    assert_eq!(mar.unmet[0].holds, None);
    // Left out of the roll-up: January's objective score is `invited`'s alone (green, 10).
    let score = |p: &str| {
        e.scores.objectives[0]
            .results
            .iter()
            .find(|r| r.period == p)
            .and_then(|r| r.score)
            .map(|s| s.to_string())
    };
    assert_eq!(score("2026-01"), Some("10.00".into()));
    // The escalation: insufficient in January, not in February, so not two running until...
    // never: March is insufficient but February was not.
    assert!(e.escalations.is_empty(), "{:?}", e.escalations);
}

#[test]
fn insufficient_data_two_periods_running_raises_an_escalation() {
    // Without February's third answer, January and February are both short of 3.
    let answers = ANSWERS.replace("2026-02-04,9\n", "");
    let e = run(
        SURVEY,
        &[("answers.csv", &answers), ("invites.csv", INVITES)],
    );
    assert_eq!(
        row(&e, "satisfaction", "2026-02", "total").status,
        Status::InsufficientData
    );
    assert_eq!(e.escalations.len(), 1, "{:?}", e.escalations);
    assert_eq!(e.escalations[0].raised, "2026-02");
}

#[test]
fn explain_says_which_gate_decided() {
    let dir = folder(&[
        ("s.scorecard", SURVEY),
        ("answers.csv", ANSWERS),
        ("invites.csv", INVITES),
    ]);
    let card = dir.path().join("s.scorecard");
    let (code, out, err) = scorecard(&[
        "explain",
        card.to_str().unwrap(),
        "satisfaction",
        "--period",
        "2026-01",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("insufficient data  (decided by insufficient data: responses: count(answers) >= 3 (2 against 3) did not hold, so it is not rated)"),
        "{out}"
    );
    // Each gate is traced like the value, and what only a gate reads is among the sources.
    assert!(out.contains("gate      responses: does not hold"), "{out}");
    assert!(out.contains("gate      response_rate: holds"), "{out}");
    assert!(out.contains("\n  invites  invites.csv  sha256 "), "{out}");
}

/// Tickets with one mistake of each kind a check finds, and the customers they refer to.
const TICKETS: &str = "id,day,customer,channel,minutes\n\
t1,2026-01-05,c1,phone,30\n\
t2,2026-01-06,,email,20\n\
t3,2026-01-07,c2,fax,10\n\
t4,2026-01-08,c9,chat,900\n\
t5,2026-01-08,c9,chat,15\n\
t6,2026-02-03,c1,phone,25\n";
const CUSTOMERS: &str = "customer,since\nc1,2025-01-01\nc2,2025-06-01\n";

fn tickets(checks: &str) -> String {
    format!(
        "scorecard s {{ currency: USD  grain: month }}\n\
         dataset customers {{ source: \"customers.csv\"  time: since  columns: {{ customer: text  since: date }} }}\n\
         dataset tickets {{ source: \"tickets.csv\"  time: day  complete_from: 2026-01-01  extracted: 2026-03-01\n\
           columns: {{ id: text  day: date  customer: text  channel: text  minutes: integer }}\n\
           checks: {{ {checks} }} }}\n\
         kpi handled {{ value: count(tickets) }}\n"
    )
}

fn checked(source: &str, as_of: Option<&str>) -> Vec<scorecard::engine::checks::Checked> {
    let dir = folder(&[("tickets.csv", TICKETS), ("customers.csv", CUSTOMERS)]);
    let mut o = options(dir.path());
    o.as_of = as_of.map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    scorecard::evaluate(&model(source), &o)
        .expect("the run succeeds")
        .checks
}

#[test]
fn each_check_counts_its_failing_rows_and_names_their_lines() {
    let c = checked(
        &tickets(
            "given: not_null(customer)\n\
             one_a_day: unique(customer, day)\n\
             channels: accepted(channel, [\"phone\", \"email\", \"chat\"])\n\
             minutes: range(minutes, 1, 480)\n\
             known: references(customer, customers.customer)",
        ),
        None,
    );
    let got: Vec<(&str, bool, u64, u64, Vec<u64>)> = c
        .iter()
        .map(|c| (c.check.as_str(), c.passed, c.failed, c.of, c.lines.clone()))
        .collect();
    // Lines count the header as line 1: t1 is on line 2.
    assert_eq!(
        got,
        vec![
            // t2 has no customer.
            ("given", false, 1, 6, vec![3]),
            // t4 and t5: c9 twice on 8 January.
            ("one_a_day", false, 2, 6, vec![5, 6]),
            // t3: fax.
            ("channels", false, 1, 6, vec![4]),
            // t4: 900 minutes.
            ("minutes", false, 1, 6, vec![5]),
            // t4 and t5: c9 is no customer (t2's empty customer is not a reference).
            ("known", false, 2, 6, vec![5, 6]),
        ]
    );
    assert_eq!(
        c[0].shown(),
        "tickets.given (not_null(customer)): 1 of 6 rows have no value in a column it needs, first at tickets.csv:3"
    );
}

#[test]
fn row_count_and_freshness_compare_periods_and_days() {
    // January has 5 tickets, February 1: -80%, beyond 50%.
    let c = checked(&tickets("steady: row_count(within: 50%)"), None);
    assert!(!c[0].passed);
    assert_eq!((c[0].failed, c[0].of), (1, 1));
    assert!(
        c[0].message
            .contains("2026-02: 1 row against 5 in 2026-01 (-80%)"),
        "{}",
        c[0].message
    );
    // Within 80%: -80% is not beyond it.
    assert!(checked(&tickets("steady: row_count(within: 80%)"), None)[0].passed);
    // The newest ticket is from 3 February: 12 days old on the 15th (at most 14: passes), 26 on
    // 1 March (fails).
    let fresh = tickets("fresh: freshness(2 weeks)");
    assert!(checked(&fresh, Some("2026-02-15"))[0].passed);
    let late = &checked(&fresh, Some("2026-03-01"))[0];
    assert!(!late.passed);
    assert_eq!(
        late.message,
        "the newest row is from 2026-02-03, 26 days before 2026-03-01 (at most 14)"
    );
    // As of 6 January, only t1 and t2 are read: t3's fax of the 7th is not checked yet.
    let early = &checked(
        &tickets("channels: accepted(channel, [\"phone\", \"email\"])"),
        Some("2026-01-06"),
    );
    assert_eq!((early[0].passed, early[0].of), (true, 2));
}

#[test]
fn an_error_check_stops_the_run_and_fail_on_checks_gates_a_warning() {
    let dir = folder(&[
        (
            "s.scorecard",
            &tickets("known: references(customer, customers.customer) error"),
        ),
        ("tickets.csv", TICKETS),
        ("customers.csv", CUSTOMERS),
    ]);
    let card = dir.path().join("s.scorecard");
    let card = card.to_str().unwrap();
    let (code, out, err) = scorecard(&["run", card]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("scorecard::data::check_failed"), "{err}");
    assert!(
        err.contains("tickets.known (references(customer, customers.customer)): 2 of 6 rows refer to no row of the other dataset, first at tickets.csv:5, :6"),
        "{err}"
    );
    // As a warning: the run goes on and says so; `--fail-on checks` exits 3 after writing.
    std::fs::write(
        dir.path().join("s.scorecard"),
        tickets("known: references(customer, customers.customer)"),
    )
    .unwrap();
    let (code, out, err) = scorecard(&["run", card]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("failed check: tickets.known"), "{out}");
    assert!(
        out.contains("warning[scorecard::data::check_failed]"),
        "{out}"
    );
    let (code, out, err) = scorecard(&["run", card, "--format", "csv", "--fail-on", "checks"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        out.starts_with("kpi,"),
        "the results are written first: {out}"
    );
    assert!(
        err.contains("1 dataset check failed (--fail-on checks)"),
        "{err}"
    );
}

#[test]
fn checks_read_columns_named_in_capitals() {
    // Column names are the file's, as written: a join given them as SQL text lowercased them, and
    // the run stopped with an engine error.
    let source = "scorecard s { currency: USD  grain: month }\n\
        dataset t { source: \"t.csv\"  time: Day  columns: { Day: date  Cust: text  Ref: text }\n\
          checks: { u: unique(Cust, Day)  r: references(Ref, c.Key) } }\n\
        dataset c { source: \"c.csv\"  time: Since  columns: { Since: date  Key: text } }\n\
        kpi n { value: count(t) }\n";
    let dir = folder(&[
        (
            "t.csv",
            "Day,Cust,Ref\n2026-01-01,A,x\n2026-01-01,A,y\n2026-01-02,A,x\n",
        ),
        ("c.csv", "Since,Key\n2026-01-01,x\n"),
    ]);
    let e = scorecard::evaluate(&model(source), &options(dir.path())).expect("the run succeeds");
    let got: Vec<(u64, Vec<u64>)> = e
        .checks
        .iter()
        .map(|c| (c.failed, c.lines.clone()))
        .collect();
    // Lines 2 and 3 share A on 1 January; line 3 refers to y, which is no key.
    assert_eq!(got, vec![(2, vec![2, 3]), (1, vec![3])]);
}

#[test]
fn diff_reports_a_changed_gate_policy_and_check() {
    use scorecard::rules::diff::{models, Property};
    let old = "scorecard s { currency: USD }\n\
        dataset d { source: \"d.csv\"  time: day  columns: { day: date  x: money }  checks: { given: not_null(x) } }\n\
        kpi k { value: sum(d.x)  requires: { rows: count(d) >= 30 } }\n";
    let new = "scorecard s { currency: USD }\n\
        dataset d { source: \"d.csv\"  time: day  columns: { day: date  x: money }  checks: { given: not_null(x) error } }\n\
        kpi k { value: sum(d.x)  requires: { rows: count(d) >= 10 }  partial: not_rated }\n";
    let changes = models(&model(old), &model(new));
    let kpi = changes
        .iter()
        .find(|c| c.kind == "kpi")
        .expect("the KPI changed");
    let props: Vec<&Property> = kpi.properties.iter().collect();
    let find = |name: &str| props.iter().find(|p| p.property == name).copied();
    assert_eq!(
        find("requires").map(|p| (p.old.clone(), p.new.clone())),
        Some((
            Some("rows: count(d) >= 30".into()),
            Some("rows: count(d) >= 10".into())
        ))
    );
    assert!(find("partial").is_some(), "{props:?}");
    let dataset = changes
        .iter()
        .find(|c| c.kind == "dataset")
        .expect("the dataset changed");
    assert_eq!(dataset.properties[0].property, "checks");
    assert_eq!(
        (
            dataset.properties[0].old.as_deref(),
            dataset.properties[0].new.as_deref()
        ),
        (Some("given: not_null(x)"), Some("given: not_null(x) error"))
    );
}

#[test]
fn attribution_credit_is_partial_until_its_window_is_inside_the_touches() {
    // Touches start on 1 January and the window is 30 days: a January conversion may have had
    // touches in December, which the data does not hold. The credit covers from 31 January.
    let (code, out, err) = scorecard(&[
        "run",
        "scorecards/marketing/marketing.scorecard",
        "--format",
        "json",
        "--deterministic",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["coverage"]["decay_credit"]["first"], "2026-01-31");
    assert_eq!(v["coverage"]["touchpoints"]["first"], "2026-01-01");
    let share = v["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "unattributed_share")
        .unwrap();
    let in_period = |p: &str| {
        share["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["period"] == p && r["segment"].as_object().unwrap().is_empty())
            .unwrap()
            .clone()
    };
    assert_eq!(
        in_period("2026-01")["partial_periods"],
        serde_json::json!(["2026-01"])
    );
    assert_eq!(in_period("2026-02")["partial"], false);
}

#[test]
fn missing_zero_over_a_period_the_data_does_not_reach_is_partial() {
    // Refunds run to 15 March, orders to 30 April. Under `missing: zero`, April's refunds read as
    // 0.00: not known to be zero, so April is partial; under `not_evaluated` it has no value.
    let source = |missing: &str| {
        format!(
            "scorecard s {{ currency: USD  grain: month }}\n\
             dataset o {{ source: \"o.csv\"  time: day  complete_from: 2026-03-01  columns: {{ day: date  amt: money }} }}\n\
             dataset r {{ source: \"r.csv\"  time: day  complete_from: 2026-03-01  columns: {{ day: date  amt: money }} }}\n\
             kpi net {{ value: sum(o.amt) - sum(r.amt)  missing: {missing} }}\n"
        )
    };
    let files = [
        ("o.csv", "day,amt\n2026-03-02,100.00\n2026-04-30,200.00\n"),
        ("r.csv", "day,amt\n2026-03-15,10.00\n"),
    ];
    let e = run(&source("zero"), &files);
    let april = row(&e, "net", "2026-04", "total");
    assert_eq!(april.value.map(|v| v.to_string()), Some("200.00".into()));
    assert_eq!(april.partial_periods, owned(&["2026-04"]));
    // March: refunds end on the 15th, so it is partial either way.
    assert_eq!(partial(&e, "net", "2026-03"), (true, owned(&["2026-03"])));
    let e = run(&source("not_evaluated"), &files);
    let april = row(&e, "net", "2026-04", "total");
    assert_eq!((april.value, april.partial), (None, false));
}

#[test]
fn an_extract_day_past_the_last_row_reports_the_periods_it_covers() {
    // Rows through April, extracted on 1 July: May and June are covered and reported, with no
    // value (no rows), and not partial.
    let source = "scorecard s { currency: USD  grain: month }\n\
        dataset d { source: \"d.csv\"  time: day  complete_from: 2026-04-01  extracted: 2026-07-01  columns: { day: date  amt: money } }\n\
        kpi total { value: sum(d.amt) }\n";
    let e = run(
        source,
        &[("d.csv", "day,amt\n2026-04-03,5.00\n2026-04-28,7.00\n")],
    );
    assert_eq!(e.periods, owned(&["2026-04", "2026-05", "2026-06"]));
    let june = row(&e, "total", "2026-06", "total");
    assert_eq!((june.value, june.partial), (None, false));
}

#[test]
fn a_not_rated_kpi_raises_no_escalation_from_a_partial_comparison() {
    // A fall of more than 50% in March: true of the numbers (60.00 against 120.00), but March
    // ends on the 20th. Rated, it raises the escalation; not rated, it cannot be told.
    let source = |policy: &str| {
        format!(
            "{}kpi drop {{ unit: percent  value: pct_change(revenue)  partial: {policy} }}\n\
             escalation falling {{ when: drop < -30%  severity: high }}\n",
            sales("")
        )
    };
    let e = run(&source("rated"), &[("sales.csv", SALES)]);
    assert_eq!(e.escalations.len(), 1);
    assert_eq!(e.escalations[0].raised, "2026-03");
    let e = run(&source("not_rated"), &[("sales.csv", SALES)]);
    assert!(e.escalations.is_empty(), "{:?}", e.escalations);
}

#[test]
fn row_count_compares_only_periods_the_data_covers_whole() {
    // As of 1 March, March holds no rows yet and is covered for one day: not compared.
    let dir = folder(&[("tickets.csv", TICKETS), ("customers.csv", CUSTOMERS)]);
    let mut o = options(dir.path());
    o.as_of = chrono::NaiveDate::from_ymd_opt(2026, 3, 1);
    let source = "scorecard s { currency: USD  grain: month }\n\
        dataset customers { source: \"customers.csv\"  time: since  columns: { customer: text  since: date } }\n\
        dataset tickets { source: \"tickets.csv\"  time: day  complete_from: 2026-01-01  extracted: 2026-03-01\n\
          columns: { id: text  day: date  customer: text  channel: text  minutes: integer }\n\
          checks: { steady: row_count(within: 90%) error } }\n\
        kpi handled { value: count(tickets) }\n";
    let e =
        scorecard::evaluate(&model(source), &o).expect("March is not compared, so the run goes on");
    // February (1 ticket) against January (5): -80%, within 90%; March is not compared.
    assert_eq!((e.checks[0].passed, e.checks[0].of), (true, 1));
}

#[test]
fn a_division_by_zero_in_a_gate_is_no_warning_about_the_value() {
    let e = run(
        SURVEY,
        &[
            ("answers.csv", ANSWERS),
            (
                "invites.csv",
                "day,sent\n2026-01-01,0\n2026-02-01,10\n2026-03-01,10\n",
            ),
        ],
    );
    let jan = row(&e, "satisfaction", "2026-01", "total");
    assert_eq!(jan.status, Status::InsufficientData);
    assert!(
        !e.warnings
            .iter()
            .any(|w| w.code == "scorecard::eval::division_by_zero"),
        "{:?}",
        e.warnings
    );
}

#[test]
fn the_markdown_header_is_partial_only_when_its_own_period_is() {
    // April is covered whole; `rolling` reads the short January in April's window.
    let source = "scorecard s { currency: USD  grain: month }\n\
        dataset d { source: \"d.csv\"  time: day  extracted: 2026-05-01  columns: { day: date  amt: money } }\n\
        kpi total { value: sum(d.amt) }\n\
        kpi four { unit: money  value: rolling(total, 4 periods) }\n";
    let dir = folder(&[
        ("s.scorecard", source),
        (
            "d.csv",
            "day,amt\n2026-01-10,1.00\n2026-02-10,2.00\n2026-03-10,3.00\n2026-04-10,4.00\n",
        ),
    ]);
    let card = dir.path().join("s.scorecard");
    let (code, md, err) = scorecard(&["run", card.to_str().unwrap(), "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("**Period:** 2026-04 ·") || md.contains("**Period:** 2026-04\n"),
        "{md}"
    );
    assert!(md.contains("2026-04 (partial: 2026-01)"), "{md}");
}

#[test]
fn a_cumulative_sum_under_missing_zero_before_the_data_starts_is_partial() {
    // Rows from March; reported from January. Under `missing: zero` January's cumulative sum is
    // 0.00 from nothing: partial, as the plain sum is.
    let source = "scorecard s { currency: USD  grain: month }\n\
        dataset o { source: \"o.csv\"  time: d  columns: { d: date  rev: money } }\n\
        kpi plain { value: sum(o.rev)  missing: zero }\n\
        kpi running { unit: money  value: cumulative(plain)  missing: zero }\n";
    let dir = folder(&[("o.csv", "d,rev\n2026-03-01,5.00\n2026-03-31,7.00\n")]);
    let mut o = options(dir.path());
    o.from = Some("2026-01".into());
    let e = scorecard::evaluate(&model(source), &o).expect("runs");
    for kpi in ["plain", "running"] {
        let jan = row(&e, kpi, "2026-01", "total");
        assert_eq!(
            jan.value.map(|v| v.to_string()),
            Some("0.00".into()),
            "{kpi}"
        );
        assert_eq!(jan.partial_periods, owned(&["2026-01"]), "{kpi}");
    }
    // March is covered whole, and the cumulative sum from March is complete there.
    assert_eq!(partial(&e, "running", "2026-03"), (false, vec![]));
}
