//! The period close against real servers: the ledger in files and in PostgreSQL (publish,
//! restatements with their causes, verify against tampering), and escalations delivered to a
//! local HTTP server that records what it receives (tests/servers/webhook.py) and a local SMTP
//! server (aiosmtpd, tests/servers/smtp.py), including a run killed between sending and recording.
//!
//! The fixture, worked by hand: revenue is the month's sum of `sales.amount`, green at 1,000 or
//! more, amber from 900, red under 900. January 1,200 (green), February 800 (red: raised, owner
//! "Sales lead"), March 850 (red, a period after raising: escalated to "CFO"), April 1,100 (green:
//! recovered). Scored as percent of target, 10 × value / 1,000: February's 800 scores 8.00, and
//! so do its objective, perspective and overall score, revenue being their only KPI.

use crate::sources::{postgres_url, psql, Schema};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCORECARD: &str = r#"
scorecard close_test { currency: USD  grain: month }

dataset sales {
  source: "sales.csv"
  time: day
  columns: {
    id:     text key
    day:    date
    region: text
    amount: money
  }
}

perspective financial "Financial" { weight: 100% }
objective sell "Sell to plan" { perspective: financial }

kpi revenue "Revenue" {
  objective: sell
  owner: "Sales lead"
  unit: money
  value: sum(sales.amount)
  target: 1000
  thresholds: green >= 1000, amber >= 900, red otherwise
  scoring: percent_of_target
}

kpi units "Orders" {
  unit: count
  value: count(sales.id)
}

escalation revenue_low "Revenue low" {
  when: revenue is red for 1 period
  recover: revenue is green for 1 period
  severity: high
  owner: "Sales lead"
  after: 1 period escalate to "CFO"
  message: "Revenue {value} against {target} in {period}"
}
"#;

/// Rows by month: January to April as worked above, each month two rows.
/// Each month has rows on its first and last day, so that the data covers it whole.
const MONTHS: [&str; 4] = [
    "1,2026-01-01,EMEA,700.00\n2,2026-01-31,NA,500.00\n",
    "3,2026-02-01,EMEA,300.00\n4,2026-02-28,NA,500.00\n",
    "5,2026-03-01,EMEA,400.00\n6,2026-03-31,NA,450.00\n",
    "7,2026-04-01,EMEA,600.00\n8,2026-04-30,NA,500.00\n",
];

/// A project folder with the scorecard, `months` months of data and `toml` as scorecard.toml.
fn project(months: usize, toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("close.scorecard"), SCORECARD).unwrap();
    write_months(dir.path(), months);
    std::fs::write(dir.path().join("scorecard.toml"), toml).unwrap();
    dir
}

fn write_months(dir: &Path, months: usize) {
    let csv = format!("id,day,region,amount\n{}", MONTHS[..months].concat());
    std::fs::write(dir.join("sales.csv"), csv).unwrap();
}

/// Runs the binary in `dir` with `env`; (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Replaces `from` by `to` in the fixture's data file, as a correction would.
fn edit_sales(dir: &Path, from: &str, to: &str) {
    let path = dir.join("sales.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "no `{from}` in the data");
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

// ---- the ledger ----

fn publish(dir: &Path, period: &str, restate: Option<&str>) -> (i32, String, String) {
    let mut args = vec![
        "publish",
        "close.scorecard",
        "--period",
        period,
        "--approved-by",
        "Ann Controller",
    ];
    if let Some(why) = restate {
        args.extend(["--restate", why]);
    }
    run_in(dir, &args, &[])
}

fn restatements(dir: &Path, env: &[(&str, &str)]) -> Value {
    let (code, out, err) = run_in(
        dir,
        &["restatements", "close.scorecard", "--format", "json"],
        env,
    );
    assert_eq!(code, 0, "{err}");
    json(&out)
}

/// `restatements` with more arguments.
fn restatements_with(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["restatements", "close.scorecard", "--format", "json"];
    args.extend(extra);
    let (code, out, err) = run_in(dir, &args, &[]);
    assert_eq!(code, 0, "{err}");
    json(&out)
}

/// One restated figure as `restated` lists it.
fn figure(kpi: &str, published: &str, now: &str, cause: &str) -> (String, String, String, String) {
    (kpi.into(), published.into(), now.into(), cause.into())
}

/// The restated figures of `period` as (kpi, published value, value now, cause).
fn restated(r: &Value, period: &str) -> Vec<(String, String, String, String)> {
    let p = r["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == period)
        .unwrap_or_else(|| panic!("no period {period} in {r}"));
    p["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let v = |s: &Value| s["value"].as_str().unwrap_or("-").to_string();
            (
                f["kpi"].as_str().unwrap().to_string(),
                v(&f["published"]),
                v(&f["now"]),
                f["cause"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_published_period_is_recorded_once_and_chained() {
    let dir = project(2, "");
    let (code, out, err) = publish(dir.path(), "2026-02", None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("published 2026-02 of close.scorecard as record 1"),
        "{out}"
    );
    let record = json(&std::fs::read_to_string(dir.path().join("ledger/000001.json")).unwrap());
    let r = &record["record"];
    assert_eq!(r["sequence"], 1);
    assert_eq!(r["previous"], Value::Null);
    assert_eq!(r["approved_by"], "Ann Controller");
    assert_eq!(r["scorecard"], "close.scorecard");
    assert_eq!(r["definition"], SCORECARD);
    // February as worked by hand: 300 + 500 = 800, red; two orders.
    let figure = |kpi: &str| {
        r["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kpi"] == kpi)
            .unwrap()
            .clone()
    };
    assert_eq!(figure("revenue")["value"], "800.00");
    assert_eq!(figure("revenue")["status"], "red");
    assert_eq!(figure("revenue")["target"], "1000.00");
    assert_eq!(figure("units")["value"], "2");
    // The escalation raised in February, with its owner.
    assert_eq!(r["escalations"][0]["escalation"], "revenue_low");
    assert_eq!(r["escalations"][0]["raised"], "2026-02");
    assert_eq!(r["escalations"][0]["owner"], "Sales lead");
    // The manifest names the data file by its sha256, and every row's fingerprint is kept.
    let data = std::fs::read(dir.path().join("sales.csv")).unwrap();
    assert_eq!(
        r["manifest"]["inputs"][0]["sha256"],
        scorecard::rules::manifest::sha256(&data)
    );
    assert_eq!(r["rows"]["sales"]["rows"].as_object().unwrap().len(), 4);

    // Twice is refused, and says how to restate.
    let (code, _, err) = publish(dir.path(), "2026-02", None);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[scorecard::ledger::published]") && err.contains("--restate"),
        "{err}"
    );
    // Restating a period never published is refused.
    let (code, _, err) = publish(dir.path(), "2026-01", Some("why not"));
    assert_eq!(code, 1);
    assert!(err.contains("scorecard::ledger::not_published"), "{err}");
    // A period the data does not reach, and one the scorecard does not have.
    let (code, _, err) = publish(dir.path(), "2026-07", None);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[scorecard::ledger::partial]: 2026-07 is not complete: the data of `sales` ends on 2026-02-28"),
        "{err}"
    );
    let (code, _, err) = publish(dir.path(), "2026-13", None);
    assert_eq!(code, 1);
    assert!(err.contains("scorecard::ledger::bad_period"), "{err}");

    let (code, _, err) = publish(dir.path(), "2026-01", None);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = publish(dir.path(), "2026-02", Some("INV-77 booked late"));
    assert_eq!(code, 0, "{err}");
    let text =
        |n: u32| std::fs::read_to_string(dir.path().join(format!("ledger/{n:06}.json"))).unwrap();
    let (first, second, third) = (json(&text(1)), json(&text(2)), json(&text(3)));
    assert_eq!(second["record"]["previous"], first["hash"]);
    assert_eq!(third["record"]["previous"], second["hash"]);
    assert_eq!(third["record"]["kind"], "restatement");
    assert_eq!(third["record"]["restates"], 1);
    assert_eq!(third["record"]["reason"], "INV-77 booked late");
    // The record's hash is the sha256 of its canonical JSON (keys sorted, no spaces; serde_json's
    // map is sorted): recomputed here independently.
    let canonical = serde_json::to_string(&first["record"]).unwrap();
    assert_eq!(
        first["hash"],
        scorecard::rules::manifest::sha256(canonical.as_bytes())
    );
    // And by a second implementation: Python's json and hashlib, as docs/audit.md says.
    let python = Command::new("python3")
        .arg("-c")
        .arg("import json,hashlib,sys\nfor f in sys.argv[1:]:\n d=json.load(open(f))\n c=json.dumps(d['record'],sort_keys=True,separators=(',',':'),ensure_ascii=False)\n print(hashlib.sha256(c.encode()).hexdigest()==d['hash'])")
        .args((1..=3).map(|n| dir.path().join(format!("ledger/{n:06}.json"))))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&python.stdout),
        "True\nTrue\nTrue\n"
    );
    let (code, out, err) = run_in(dir.path(), &["ledger", "verify"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 records"), "{out}");
}

#[test]
fn a_partial_period_is_not_published() {
    let dir = project(2, "[datasets.sales]\nextracted = 2026-02-15\n");
    let (code, _, err) = publish(dir.path(), "2026-02", None);
    assert_eq!(code, 1);
    assert!(err.contains("scorecard::ledger::partial"), "{err}");
    assert!(!dir.path().join("ledger/000001.json").exists());
}

#[test]
fn a_data_fix_is_a_restatement_caused_by_data_naming_the_row() {
    let dir = project(2, "");
    assert_eq!(publish(dir.path(), "2026-01", None).0, 0);
    assert_eq!(publish(dir.path(), "2026-02", None).0, 0);
    // A late correction: order 3 was 380.00, not 300.00; order 9 is added in February.
    let fixed = std::fs::read_to_string(dir.path().join("sales.csv"))
        .unwrap()
        .replace("3,2026-02-01,EMEA,300.00", "3,2026-02-01,EMEA,380.00")
        + "9,2026-02-28,NA,20.00\n";
    std::fs::write(dir.path().join("sales.csv"), fixed).unwrap();
    let r = restatements(dir.path(), &[]);
    // January is untouched; February: 380 + 500 + 20 = 900, amber; three orders.
    assert_eq!(restated(&r, "2026-01"), vec![]);
    assert_eq!(
        restated(&r, "2026-02"),
        vec![
            figure("revenue", "800.00", "900.00", "data"),
            figure("units", "2", "3", "data"),
        ]
    );
    let feb = &r["periods"][1];
    assert_eq!(feb["figures"][0]["published"]["status"], "red");
    // The score rolls up: 8.00 then, 9.00 now, for the objective, the perspective and overall.
    let scores: Vec<(String, String, String)> = feb["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let n = |v: &Value| {
                let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap();
                d.normalize().to_string()
            };
            (
                s["of"].as_str().unwrap().to_string(),
                n(&s["published"]),
                n(&s["now"]),
            )
        })
        .collect();
    assert_eq!(
        scores,
        vec![
            ("overall".into(), "8".into(), "9".into()),
            ("perspective".into(), "8".into(), "9".into()),
            ("objective".into(), "8".into(), "9".into()),
        ]
    );
    assert_eq!(feb["figures"][0]["now"]["status"], "amber");
    assert_eq!(feb["figures"][0]["datasets"], serde_json::json!(["sales"]));
    assert_eq!(feb["definitions"], serde_json::json!([]));
    let rows = &feb["data"][0]["rows"];
    assert_eq!(rows["changed_keys"], serde_json::json!(["3"]));
    assert_eq!(rows["added_keys"], serde_json::json!(["9"]));
    assert_eq!(rows["removed"], 0);
    // The text names the same.
    let (_, text, _) = run_in(dir.path(), &["restatements", "close.scorecard"], &[]);
    assert!(text.contains("1 row changed (id): 3"), "{text}");
    assert!(text.contains("1 row added (id): 9"), "{text}");
    // And the HTML report has the section, linked from its navigation.
    let (code, _, err) = run_in(
        dir.path(),
        &["report", "close.scorecard", "-o", "report.html"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        page.contains("<a href=\"#restatements\">Restatements</a>"),
        "no link"
    );
    let section = &page[page
        .find("<section id=\"restatements\">")
        .expect("the section")..];
    assert!(section.contains("<td class=\"num\">800.00</td><td class=\"num\">900.00</td><td>red</td><td>amber</td><td>data: sales</td>"), "{section}");
    assert!(
        section.contains("1 row added, 0 removed, 1 changed (id 3)"),
        "{section}"
    );
}

#[test]
fn a_definition_change_is_a_restatement_caused_by_the_definition() {
    let dir = project(2, "");
    assert_eq!(publish(dir.path(), "2026-02", None).0, 0);
    // The thresholds are lowered: February's 800 is now amber (800 >= 800), its value unchanged.
    let changed = SCORECARD.replace(
        "thresholds: green >= 1000, amber >= 900, red otherwise",
        "thresholds: green >= 1000, amber >= 800, red otherwise",
    );
    std::fs::write(dir.path().join("close.scorecard"), &changed).unwrap();
    let r = restatements(dir.path(), &[]);
    assert_eq!(
        restated(&r, "2026-02"),
        vec![figure("revenue", "800.00", "800.00", "definition")]
    );
    let feb = &r["periods"][0];
    assert_eq!(feb["figures"][0]["now"]["status"], "amber");
    assert_eq!(
        feb["figures"][0]["declarations"],
        serde_json::json!(["kpi revenue"])
    );
    assert_eq!(feb["definitions"][0]["name"], "revenue");
    assert_eq!(
        feb["definitions"][0]["properties"][0]["property"],
        "thresholds"
    );
    assert_eq!(feb["data"], serde_json::json!([]));

    // And a data fix on top: the value moved by data, the status by both.
    edit_sales(
        dir.path(),
        "4,2026-02-28,NA,500.00",
        "4,2026-02-28,NA,450.00",
    );
    let r = restatements(dir.path(), &[]);
    // 300 + 450 = 750: red under the old thresholds and the new alike, so the data moved it alone.
    assert_eq!(
        restated(&r, "2026-02"),
        vec![figure("revenue", "800.00", "750.00", "data")]
    );
    // 850 instead: red then, amber under the new thresholds, and a new value.
    edit_sales(
        dir.path(),
        "4,2026-02-28,NA,450.00",
        "4,2026-02-28,NA,550.00",
    );
    let r = restatements(dir.path(), &[]);
    assert_eq!(
        restated(&r, "2026-02"),
        vec![figure("revenue", "800.00", "850.00", "data and definition")]
    );
}

/// Rewrites record `n` of the folder ledger with `edit` applied to its JSON, keeping its hash.
fn edit_record(dir: &Path, n: u32, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let path = dir.join(format!("ledger/{n:06}.json"));
    let mut v = json(&std::fs::read_to_string(&path).unwrap());
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    path
}

#[test]
fn ledger_verify_names_an_edited_a_rewritten_and_a_removed_record() {
    let dir = project(4, "");
    for p in ["2026-01", "2026-02", "2026-03", "2026-04"] {
        assert_eq!(publish(dir.path(), p, None).0, 0);
    }
    let head = json(&std::fs::read_to_string(dir.path().join("ledger/000004.json")).unwrap())
        ["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let original = std::fs::read_to_string(dir.path().join("ledger/000002.json")).unwrap();

    // A figure edited in record 2.
    edit_record(dir.path(), 2, |v| {
        v["record"]["figures"][0]["value"] = "900.00".into();
    });
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[scorecard::ledger::tampered]: record 2"),
        "{err}"
    );
    assert!(err.contains("was edited"), "{err}");
    // Nothing can be published on a ledger that does not verify.
    let (code, _, err) = publish(dir.path(), "2026-04", Some("x"));
    assert_eq!(code, 1);
    assert!(err.contains("does not verify"), "{err}");

    // The same edit with its hash made anew (sha256 of the canonical JSON, computed here): the
    // record verifies on its own, but record 3 was chained to the old hash.
    edit_record(dir.path(), 2, |v| {
        let canonical = serde_json::to_string(&v["record"]).unwrap();
        v["hash"] = scorecard::rules::manifest::sha256(canonical.as_bytes()).into();
    });
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("record 2") && err.contains("was rewritten"),
        "{err}"
    );

    // Put back, then record 3 removed.
    std::fs::write(dir.path().join("ledger/000002.json"), &original).unwrap();
    assert_eq!(run_in(dir.path(), &["ledger", "verify"], &[]).0, 0);
    let third = std::fs::read_to_string(dir.path().join("ledger/000003.json")).unwrap();
    std::fs::remove_file(dir.path().join("ledger/000003.json")).unwrap();
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("record 3 was removed"), "{err}");

    // The last record removed leaves a shorter chain that verifies, but not against the head
    // noted when it was written.
    std::fs::write(dir.path().join("ledger/000003.json"), third).unwrap();
    std::fs::remove_file(dir.path().join("ledger/000004.json")).unwrap();
    let (code, out, _) = run_in(dir.path(), &["ledger", "verify"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("3 records"), "{out}");
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify", "--head", &head], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("no record has the hash {head}")),
        "{err}"
    );
}

#[test]
fn the_ledger_in_postgresql_is_chained_and_tamper_is_found() {
    let schema = Schema::new("ledger");
    let table = format!("{}.ledger", schema.0);
    let toml = format!(
        "[ledger]\npostgres = {{ url_env = \"SCORECARD_TEST_LEDGER\", table = \"{table}\" }}\n"
    );
    let dir = project(2, &toml);
    let url = postgres_url();
    let env = [("SCORECARD_TEST_LEDGER", url.as_str())];
    let publish_pg = |period: &str| {
        run_in(
            dir.path(),
            &[
                "publish",
                "close.scorecard",
                "--period",
                period,
                "--approved-by",
                "Ann Controller",
            ],
            &env,
        )
    };
    let (code, out, err) = publish_pg("2026-01");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("table `{table}`, sequence 1")),
        "{out}"
    );
    assert_eq!(publish_pg("2026-02").0, 0);
    assert_eq!(publish_pg("2026-02").0, 1);
    assert!(!dir.path().join("ledger").exists());
    let (code, out, err) = run_in(dir.path(), &["ledger", "verify"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 records"), "{out}");

    // A restatement from the table, as from files.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,300.00",
        "3,2026-02-01,EMEA,380.00",
    );
    let r = restatements(dir.path(), &env);
    assert_eq!(
        restated(&r, "2026-02")[0],
        figure("revenue", "800.00", "880.00", "data")
    );

    // An UPDATE of the first record's figures is found.
    psql(&format!(
        "update {table} set body = replace(body, '\"1200.00\"', '\"1300.00\"') where sequence = 1"
    ));
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify"], &env);
    assert_eq!(code, 1);
    assert!(
        err.contains("record 1") && err.contains("was edited"),
        "{err}"
    );
    // A deleted record too.
    psql(&format!("delete from {table} where sequence = 1"));
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify"], &env);
    assert_eq!(code, 1);
    assert!(err.contains("record 1 was removed"), "{err}");
}

// ---- notifications ----

/// A test server started from tests/servers, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    record: PathBuf,
}

impl Server {
    fn start(script: &str, record: PathBuf) -> Server {
        let mut child = Command::new("python3")
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/servers")
                    .join(script),
            )
            .arg(&record)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (.ci/peers installs aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{script} did not start: {line:?}"));
        Server {
            child,
            port,
            record,
        }
    }

    /// Every JSON line recorded so far.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(json)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A project with a webhook receiver (`chat`, the notification as JSON) that hears every high
/// escalation, and an email receiver (`cfo`) for what is routed to the CFO; the state kept in
/// `state` (a TOML value for `[notify.state]`, or none for the folder).
/// A project of `months` months (`notify_project`) whose receivers are a chat webhook and the
/// CFO's mail, each a local server recording what it receives in a scratch folder: the folder,
/// the two servers and the project.
fn chat_and_mail(months: usize) -> (tempfile::TempDir, Server, Server, tempfile::TempDir) {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let smtp = Server::start("smtp.py", scratch.path().join("smtp.jsonl"));
    let dir = notify_project(months, smtp.port, "");
    (scratch, hook, smtp, dir)
}

fn notify_project(months: usize, smtp_port: u16, state: &str) -> tempfile::TempDir {
    let toml = format!(
        r#"
[notify]
{state}

[notify.receivers.chat]
webhook = {{ url_env = "TEST_CHAT_WEBHOOK" }}

[notify.receivers.cfo]
email = {{ to = ["cfo@example.com"], from = "scorecard@example.com", smtp = "127.0.0.1:{smtp_port}", tls = "none" }}

[notify.route]
receiver = "chat"

[[notify.route.routes]]
severity = ["high", "critical"]
receiver = "chat"
continue = true

[[notify.route.routes]]
owner = "CFO"
receiver = "cfo"
"#
    );
    project(months, &toml)
}

/// Starts `notify` in `dir` with `env` while `hook` holds every request unanswered, and waits
/// until the server has `arrived` requests in all: the run is then waiting for an answer, with
/// the notification sent and its outcome not yet recorded.
fn notify_held(dir: &Path, hook: &Server, env: &[(&str, &str)], arrived: usize) -> Child {
    std::fs::write(hook.record.with_extension("jsonl.hang"), "").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .current_dir(dir)
        .args(["notify", "close.scorecard"])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while hook.received().len() < arrived {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the notification never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Lets `hook` answer again.
fn release(hook: &Server) {
    std::fs::remove_file(hook.record.with_extension("jsonl.hang")).unwrap();
}

fn notify(dir: &Path, hook: &Server, extra: &[&str]) -> (i32, String, String) {
    let url = format!("http://127.0.0.1:{}/hooks/T0/B0/s3cr3t", hook.port);
    let mut args = vec!["notify", "close.scorecard"];
    args.extend(extra);
    run_in(dir, &args, &[("TEST_CHAT_WEBHOOK", url.as_str())])
}

#[test]
fn each_event_of_an_episode_is_delivered_once_to_its_route() {
    let (_scratch, hook, smtp, dir) = chat_and_mail(2);

    // A dry run shows what would go, and sends and records nothing.
    let (code, out, err) = notify(dir.path(), &hook, &["--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("would send to chat: [HIGH] Revenue low (revenue_low) raised in 2026-02, owner Sales lead: Revenue 800.00 against 1,000.00 in 2026-02"), "{out}");
    assert!(hook.received().is_empty() && smtp.received().is_empty());
    assert!(!dir.path().join("notify-state/000001.json").exists());

    // February: raised, to the owner; the severity route takes it to chat, no one routes the
    // Sales lead to email.
    let (code, out, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 sent"), "{out}");
    let got = hook.received();
    assert_eq!(got.len(), 1);
    let body = &got[0]["body"];
    assert_eq!(body["event"], "raised");
    assert_eq!(body["escalation"], "revenue_low");
    assert_eq!(body["owner"], "Sales lead");
    assert_eq!(body["period"], "2026-02");
    assert_eq!(body["severity"], "high");
    assert_eq!(got[0]["idempotency_key"], body["id"]);
    assert_eq!(got[0]["path"], "/hooks/T0/B0/s3cr3t");
    assert!(smtp.received().is_empty());

    // However often it runs, nothing more.
    for _ in 0..2 {
        let (code, out, _) = notify(dir.path(), &hook, &[]);
        assert_eq!(code, 0);
        assert!(out.contains("1 already sent"), "{out}");
    }
    assert_eq!(hook.received().len(), 1);

    // March: escalated to the CFO: chat (severity) and email (owner).
    write_months(dir.path(), 3);
    let (code, _, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{err}");
    let got = hook.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["body"]["event"], "escalated");
    assert_eq!(got[1]["body"]["owner"], "CFO");
    let mail = smtp.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["to"], serde_json::json!(["cfo@example.com"]));
    let message = mail[0]["message"].as_str().unwrap();
    assert!(
        message.contains("Subject: [scorecard] HIGH: Revenue low: escalated (2026-03)"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "Message-ID: <{}@scorecard>",
            got[1]["body"]["id"].as_str().unwrap()
        )),
        "{message}"
    );

    // April: recovered, to everyone who held it: chat once, and the CFO's email.
    write_months(dir.path(), 4);
    let (code, _, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{err}");
    let got = hook.received();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2]["body"]["event"], "recovered");
    assert_eq!(
        got[2]["body"]["owners"],
        serde_json::json!(["Sales lead", "CFO"])
    );
    assert_eq!(smtp.received().len(), 2);
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(out.contains("5 already sent"), "{out}");
    assert_eq!(hook.received().len(), 3);
    assert_eq!(smtp.received().len(), 2);
}

#[test]
fn a_failed_delivery_is_reported_and_sent_on_the_next_run_only() {
    let ((_scratch, dir, hook), said) = fails_then_delivers("503");
    // The URL is a secret: never shown.
    assert!(!said.contains("s3cr3t"), "{said}");
    let got = hook.received();
    assert_eq!(got.len(), 2, "the failed attempt and the delivery");
    assert_eq!(got[0]["idempotency_key"], got[1]["idempotency_key"]);

    // With its variable unset, the webhook fails, naming the variable, not a value.
    let (code, out, _) = run_in(dir.path(), &["notify", "close.scorecard"], &[]);
    assert_eq!(code, 0, "sent already, so nothing is tried: {out}");
    write_months(dir.path(), 3);
    let (code, out, _) = run_in(dir.path(), &["notify", "close.scorecard"], &[]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("`TEST_CHAT_WEBHOOK` is not set"), "{out}");
}

#[test]
fn a_run_killed_between_sending_and_recording_sends_again_with_the_same_id() {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let dir = notify_project(2, 1, "");
    // The server records the request and does not answer: the run is killed while it waits,
    // after the notification left and before the run could record that it had.
    let url = format!("http://127.0.0.1:{}/hooks/T0/B0/s3cr3t", hook.port);
    let mut child = notify_held(dir.path(), &hook, &[("TEST_CHAT_WEBHOOK", &url)], 1);
    // Meanwhile a second run finds the state held, and sends nothing.
    let (code, _, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[scorecard::notify::busy]"), "{err}");
    assert_eq!(hook.received().len(), 1);
    child.kill().unwrap();
    child.wait().unwrap();
    release(&hook);
    let first = hook.received();
    assert_eq!(first.len(), 1);

    // The next run cannot know whether it arrived: it sends it again, with the same id, and
    // says so; after that, never again.
    let (code, out, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("sent again (its earlier outcome was not known)"),
        "{out}"
    );
    let got = hook.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["idempotency_key"], first[0]["idempotency_key"]);
    assert_eq!(got[1]["body"]["id"], first[0]["body"]["id"]);
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(out.contains("1 already sent"), "{out}");
    assert_eq!(hook.received().len(), 2);
}

#[test]
fn the_delivery_state_in_postgresql_sends_once() {
    let schema = Schema::new("notify");
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let state = format!(
        "state = {{ postgres = {{ url_env = \"SCORECARD_TEST_STATE\", table = \"{}.deliveries\" }} }}",
        schema.0
    );
    let dir = notify_project(3, 1, &state);
    let url = postgres_url();
    let hook_url = format!("http://127.0.0.1:{}/h", hook.port);
    let env = [
        ("SCORECARD_TEST_STATE", url.as_str()),
        ("TEST_CHAT_WEBHOOK", hook_url.as_str()),
    ];
    // Raised in February and escalated in March: two to chat; the CFO's email fails (no server
    // on port 1) and is reported.
    let (code, out, _) = run_in(dir.path(), &["notify", "close.scorecard"], &env);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("2 sent") && out.contains("1 failed"), "{out}");
    let (code, out, _) = run_in(dir.path(), &["notify", "close.scorecard"], &env);
    assert_eq!(code, 4);
    assert!(
        out.contains("2 already sent") && out.contains("1 failed"),
        "{out}"
    );
    assert_eq!(hook.received().len(), 2);
    assert!(!dir.path().join("notify-state").exists());
}

#[test]
fn secrets_in_the_project_file_are_refused() {
    let dir = project(
        1,
        "[notify.receivers.chat]\nwebhook = { url = \"https://hooks.slack.com/services/T/B/x\" }\n[notify.route]\nreceiver = \"chat\"\n",
    );
    let (code, _, err) = run_in(dir.path(), &["run", "close.scorecard"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[scorecard::project::invalid]") && err.contains("scorecard.toml:2:"),
        "{err}"
    );
    assert!(err.contains("url_env"), "{err}");

    let dir = project(
        1,
        "[notify.receivers.chat]\nwebhook = { url_env = \"X\" }\n[notify.route]\nreceiver = \"chats\"\n",
    );
    let (code, _, err) = run_in(dir.path(), &["run", "close.scorecard"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no receiver named `chats` (did you mean `chat`?)"),
        "{err}"
    );
}

#[test]
fn a_record_names_the_git_commit_and_whether_the_scorecard_had_changes() {
    let dir = project(2, "");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "close.scorecard"]);
    git(&["commit", "-qm", "the scorecard"]);
    let head = git(&["rev-parse", "HEAD"]);
    assert_eq!(publish(dir.path(), "2026-01", None).0, 0);
    std::fs::write(
        dir.path().join("close.scorecard"),
        SCORECARD.replace("\"Orders\"", "\"Orders placed\""),
    )
    .unwrap();
    assert_eq!(publish(dir.path(), "2026-02", None).0, 0);
    let record = |n: u32| {
        json(&std::fs::read_to_string(dir.path().join(format!("ledger/{n:06}.json"))).unwrap())
    };
    assert_eq!(
        record(1)["record"]["git"],
        serde_json::json!({"commit": head, "clean": true})
    );
    assert_eq!(
        record(2)["record"]["git"],
        serde_json::json!({"commit": head, "clean": false})
    );
}

#[test]
fn slack_and_teams_receive_the_shapes_they_take() {
    let scratch = tempfile::tempdir().unwrap();
    let slack = Server::start("webhook.py", scratch.path().join("slack.jsonl"));
    let teams = Server::start("webhook.py", scratch.path().join("teams.jsonl"));
    let toml = r#"
[notify.receivers.slack]
webhook = { url_env = "TEST_SLACK", format = "slack" }
[notify.receivers.teams]
webhook = { url_env = "TEST_TEAMS", format = "teams" }
[notify.route]
receiver = "slack"
[[notify.route.routes]]
receiver = "slack"
continue = true
[[notify.route.routes]]
receiver = "teams"
"#;
    let dir = project(2, toml);
    // A label with Slack's special characters, which must show as written.
    std::fs::write(
        dir.path().join("close.scorecard"),
        SCORECARD.replace("\"Revenue low\"", "\"Revenue <low> & falling\""),
    )
    .unwrap();
    let (a, b) = (
        format!("http://127.0.0.1:{}/services/T/B/x", slack.port),
        format!("http://127.0.0.1:{}/workflows/x", teams.port),
    );
    let env = [("TEST_SLACK", a.as_str()), ("TEST_TEAMS", b.as_str())];
    let (code, out, err) = run_in(dir.path(), &["notify", "close.scorecard"], &env);
    assert_eq!(code, 0, "{out}{err}");
    let text = "[HIGH] Revenue &lt;low&gt; &amp; falling (revenue_low) raised in 2026-02, owner Sales lead: Revenue 800.00 against 1,000.00 in 2026-02";
    // Slack's incoming webhook: an object with `text`.
    assert_eq!(
        slack.received()[0]["body"],
        serde_json::json!({ "text": text })
    );
    // A Teams workflow: a message holding an Adaptive Card.
    let body = &teams.received()[0]["body"];
    assert_eq!(body["type"], "message");
    let card = &body["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    assert_eq!(
        card["content"]["body"][0]["text"],
        "Revenue <low> & falling: raised"
    );
    assert_eq!(
        card["content"]["body"][1]["text"],
        "Revenue 800.00 against 1,000.00 in 2026-02"
    );
    assert_eq!(
        card["content"]["body"][2]["facts"][0],
        serde_json::json!({"title": "Severity", "value": "high"})
    );
}

#[test]
fn a_figure_that_compares_with_a_partial_period_is_not_published_unless_allowed() {
    // January's data starts on the 15th, so February's growth over January reads a partial
    // period, as `run` marks it; February itself is covered whole.
    let dir = project(2, "");
    let text = SCORECARD.to_string()
        + "kpi growth \"Growth\" {\n  unit: percent\n  value: pct_change(revenue)\n}\n";
    std::fs::write(dir.path().join("close.scorecard"), text).unwrap();
    edit_sales(dir.path(), "1,2026-01-01,EMEA", "1,2026-01-15,EMEA");
    let (code, _, err) = publish(dir.path(), "2026-02", None);
    assert_eq!(code, 1);
    assert!(err.contains("error[scorecard::ledger::partial]: 2026-02 is not complete: growth reads data that covers a period only in part"), "{err}");
    assert!(err.contains("--allow-partial"), "{err}");
    let (code, _, err) = run_in(
        dir.path(),
        &[
            "publish",
            "close.scorecard",
            "--period",
            "2026-02",
            "--approved-by",
            "A",
            "--allow-partial",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let record = json(&std::fs::read_to_string(dir.path().join("ledger/000001.json")).unwrap());
    let partial = |kpi: &str| {
        record["record"]["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kpi"] == kpi)
            .unwrap()["partial"]
            .clone()
    };
    // (800 − 1,200) / 1,200 = −33.3%, recorded as partial; revenue itself is not.
    assert_eq!(partial("growth"), true);
    assert_eq!(partial("revenue"), false);
}

#[test]
fn a_link_to_a_published_scorecard_is_the_same_scorecard() {
    let dir = project(2, "");
    assert_eq!(publish(dir.path(), "2026-02", None).0, 0);
    std::os::unix::fs::symlink("close.scorecard", dir.path().join("link.scorecard")).unwrap();
    let (code, _, err) = run_in(
        dir.path(),
        &[
            "publish",
            "link.scorecard",
            "--period",
            "2026-02",
            "--approved-by",
            "A",
        ],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("scorecard::ledger::published") && err.contains("`close.scorecard`"),
        "{err}"
    );
}

#[test]
fn ledger_verify_refuses_what_is_not_a_ledger_or_a_hash() {
    let dir = project(2, "");
    assert_eq!(publish(dir.path(), "2026-01", None).0, 0);
    // A path that does not exist is not an empty ledger.
    let (code, _, err) = run_in(
        dir.path(),
        &["ledger", "verify", "nowhere/x.scorecard"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`nowhere/x.scorecard` does not exist"),
        "{err}"
    );
    // A head that is not a hash is said to be one, not taken for a cut-back ledger.
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify", "--head", "e30f "], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a record's hash"), "{err}");
    // A project file of another name (as --config names one) is read as one.
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    std::fs::write(
        dir.path().join("conf/alt.toml"),
        "[ledger]\npath = \"../ledger\"\n",
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &["ledger", "verify", "conf/alt.toml"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 record,"), "{out}");
    // A field beside the record, which no hash covers, and a file under another record's name.
    edit_record(dir.path(), 1, |v| {
        v["note"] = "approved by Bob actually".into()
    });
    std::fs::copy(
        dir.path().join("ledger/000001.json"),
        dir.path().join("ledger/0000001.json"),
    )
    .unwrap();
    let (code, _, err) = run_in(dir.path(), &["ledger", "verify"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("record 1") && err.contains("is not a ledger record: unknown field `note`"),
        "{err}"
    );
    assert!(
        err.contains("0000001.json` is in the ledger's folder but is not a record"),
        "{err}"
    );
}

#[test]
fn a_restatement_by_other_options_or_project_file_says_so() {
    let dir = project(2, "");
    assert_eq!(publish(dir.path(), "2026-02", None).0, 0);
    let record = json(&std::fs::read_to_string(dir.path().join("ledger/000001.json")).unwrap());
    let toml = std::fs::read(dir.path().join("scorecard.toml")).unwrap();
    assert_eq!(
        record["record"]["project"],
        serde_json::json!({"path": "scorecard.toml", "sha256": scorecard::rules::manifest::sha256(&toml)})
    );
    // Evaluated as of January's end, February has no results: a difference of options.
    let r = restatements_with(dir.path(), &["--as-of", "2026-01-31"]);
    assert_eq!(restated(&r, "2026-02")[0].3, "options");
    assert_eq!(r["periods"][0]["options"][1]["as_of"], "2026-01-31");
    // The project file changed: said, though no figure moved.
    std::fs::write(dir.path().join("scorecard.toml"), "# edited\n").unwrap();
    let r = restatements(dir.path(), &[]);
    assert_eq!(r["periods"][0]["project_file_changed"], true);
    assert_eq!(restated(&r, "2026-02"), vec![]);
}

#[test]
fn a_redirecting_webhook_is_a_failed_delivery() {
    let (_, said) = fails_then_delivers("302");
    assert!(said.contains("redirect, which is not followed"), "{said}");
}

/// A webhook that answers `status`, then 200: the first run fails with exit 4 and says the
/// status; the next delivers, once. The project, the server, and what the first run printed
/// (standard output, then standard error).
fn fails_then_delivers(status: &str) -> ((tempfile::TempDir, tempfile::TempDir, Server), String) {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let dir = notify_project(2, 1, "");
    std::fs::write(scratch.path().join("hook.jsonl.status"), status).unwrap();
    let (code, out, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(
        out.contains("failed to chat") && out.contains(status),
        "{out}"
    );
    assert!(
        err.contains("error[scorecard::notify::delivery_failed]"),
        "{err}"
    );
    std::fs::remove_file(scratch.path().join("hook.jsonl.status")).unwrap();
    let (code, out2, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0);
    assert!(out2.contains("1 sent"), "{out2}");
    let (_, out3, _) = notify(dir.path(), &hook, &[]);
    assert!(out3.contains("1 already sent"), "{out3}");
    ((scratch, dir, hook), format!("{out}{err}"))
}

#[test]
fn no_output_is_written_into_the_ledger_or_the_delivery_state() {
    let dir = notify_project(2, 1, "");
    assert_eq!(publish(dir.path(), "2026-01", None).0, 0);
    assert_eq!(publish(dir.path(), "2026-02", None).0, 0);
    let before = std::fs::read(dir.path().join("ledger/000002.json")).unwrap();
    std::fs::create_dir(dir.path().join("notify-state")).unwrap();
    for (args, target) in [
        (
            vec!["restatements", "close.scorecard"],
            "ledger/000002.json",
        ),
        (vec!["run", "close.scorecard"], "ledger/000003.json"),
        (vec!["report", "close.scorecard"], "ledger/sub/x.html"),
        (
            vec!["notify", "close.scorecard", "--dry-run"],
            "notify-state/000001.json",
        ),
    ] {
        std::fs::create_dir_all(dir.path().join("ledger/sub")).unwrap();
        let mut args = args.clone();
        args.extend(["-o", target]);
        let (code, _, err) = run_in(dir.path(), &args, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("error[scorecard::io::output_clash]"),
            "{args:?}: {err}"
        );
        std::fs::remove_dir(dir.path().join("ledger/sub")).unwrap();
    }
    assert_eq!(
        std::fs::read(dir.path().join("ledger/000002.json")).unwrap(),
        before
    );
    assert!(!dir.path().join("ledger/000003.json").exists());
    assert_eq!(run_in(dir.path(), &["ledger", "verify"], &[]).0, 0);
}

#[test]
fn a_renamed_kpi_is_compared_with_its_former_self() {
    let dir = project(2, "");
    assert_eq!(publish(dir.path(), "2026-02", None).0, 0);
    let renamed = SCORECARD
        .replace(
            "kpi revenue \"Revenue\" {",
            "kpi net_sales \"Revenue\" {\n  renamed_from: revenue",
        )
        .replace("revenue is red", "net_sales is red")
        .replace("revenue is green", "net_sales is green");
    std::fs::write(dir.path().join("close.scorecard"), renamed).unwrap();
    let r = restatements(dir.path(), &[]);
    assert_eq!(restated(&r, "2026-02"), vec![]);
    let kpi = r["periods"][0]["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "kpi")
        .unwrap()
        .clone();
    assert_eq!(kpi["name"], "net_sales");
    assert_eq!(kpi["renamed_from"], "revenue");
}

#[test]
fn nothing_published_is_an_empty_document_not_a_missing_one() {
    let dir = project(2, "");
    std::fs::write(dir.path().join("out.json"), "stale").unwrap();
    let (code, _, err) = run_in(
        dir.path(),
        &[
            "restatements",
            "close.scorecard",
            "--format",
            "json",
            "-o",
            "out.json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("nothing of `close.scorecard` is published"),
        "{err}"
    );
    let doc = json(&std::fs::read_to_string(dir.path().join("out.json")).unwrap());
    assert_eq!(doc["periods"], serde_json::json!([]));
    assert_eq!(doc["scorecard"], "close.scorecard");
}

#[test]
fn a_changed_exchange_rate_is_a_restatement_caused_by_data() {
    let dir = tempfile::tempdir().unwrap();
    let global = Path::new(env!("CARGO_MANIFEST_DIR")).join("scorecards/global");
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::copy(
        global.join("global.scorecard"),
        dir.path().join("global.scorecard"),
    )
    .unwrap();
    for f in [
        "orders.csv",
        "balances.csv",
        "campaigns.csv",
        "fx_rates.csv",
    ] {
        std::fs::copy(global.join("data").join(f), dir.path().join("data").join(f)).unwrap();
    }
    let (code, _, err) = run_in(
        dir.path(),
        &[
            "publish",
            "global.scorecard",
            "--period",
            "2026-06",
            "--approved-by",
            "A",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let path = dir.path().join("data/fx_rates.csv");
    let rates = std::fs::read_to_string(&path).unwrap();
    let line = rates
        .lines()
        .find(|l| l.starts_with("2026-06-15,EUR,"))
        .unwrap()
        .to_string();
    std::fs::write(&path, rates.replace(&line, "2026-06-15,EUR,1.300000")).unwrap();
    let (code, out, err) = run_in(
        dir.path(),
        &["restatements", "global.scorecard", "--format", "json"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    let figures = r["periods"][0]["figures"].as_array().unwrap();
    assert!(!figures.is_empty(), "a June EUR rate moves June's revenue");
    for f in figures {
        assert_eq!(f["cause"], "data", "{f}");
        assert_eq!(f["datasets"], serde_json::json!(["fx_rates"]), "{f}");
    }
    assert!(figures.iter().any(|f| f["kpi"] == "revenue"), "{figures:?}");
}

#[test]
fn an_episode_the_data_no_longer_has_is_withdrawn_from_whoever_was_told() {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let dir = notify_project(2, 1, "");
    assert!(notify(dir.path(), &hook, &[]).1.contains("1 sent"));
    // February is corrected to 1,000.00 (green): the episode raised in February is gone.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,300.00",
        "3,2026-02-01,EMEA,500.00",
    );
    let (code, out, err) = notify(dir.path(), &hook, &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc = json(&out);
    let d = &doc["deliveries"][0];
    assert_eq!(d["outcome"]["outcome"], "sent");
    assert_eq!(d["notification"]["event"], "withdrawn");
    assert_eq!(d["notification"]["raised"], "2026-02");
    assert_eq!(
        d["notification"]["owners"],
        serde_json::json!(["Sales lead"])
    );
    let got = hook.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["body"]["event"], "withdrawn");
    assert_ne!(got[1]["idempotency_key"], got[0]["idempotency_key"]);
    // Once: the episode is over.
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(out.contains("nothing to send"), "{out}");
    assert_eq!(hook.received().len(), 2);
    // Corrected back: the episode is there again, so it is raised and told again, under a new
    // id; and withdrawn again, under another, if it goes.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,500.00",
        "3,2026-02-01,EMEA,300.00",
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(out.contains("1 sent"), "{out}");
    let got = hook.received();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2]["body"]["event"], "raised");
    assert_eq!(got[2]["body"]["generation"], 1);
    assert_ne!(got[2]["idempotency_key"], got[0]["idempotency_key"]);
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,300.00",
        "3,2026-02-01,EMEA,500.00",
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(out.contains("1 sent"), "{out}");
    let got = hook.received();
    assert_eq!(got[3]["body"]["event"], "withdrawn");
    assert_ne!(got[3]["idempotency_key"], got[1]["idempotency_key"]);
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(out.contains("nothing to send"), "{out}");
    assert_eq!(hook.received().len(), 4);
}

#[test]
fn the_ledger_and_the_state_are_one_place_however_written() {
    let dir = project(1, "[ledger]\npath = \"audit\"\n[notify]\nstate = { path = \"x/../audit\" }\n[notify.receivers.x]\nwebhook = { url_env = \"X\" }\n[notify.route]\nreceiver = \"x\"\n");
    let (code, _, err) = run_in(dir.path(), &["run", "close.scorecard"], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("give each its own place"), "{err}");
    let dir = project(1, "[ledger]\npostgres = { url_env = \"A\", table = \"audit.store\" }\n[notify]\nstate = { postgres = { url_env = \"B\", table = \"AUDIT.STORE\" } }\n[notify.receivers.x]\nwebhook = { url_env = \"X\" }\n[notify.route]\nreceiver = \"x\"\n");
    let (code, _, err) = run_in(dir.path(), &["run", "close.scorecard"], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("give each its own place"), "{err}");
}

#[test]
fn a_withdrawal_that_failed_at_one_receiver_is_sent_there_on_the_next_run() {
    let (scratch, hook, smtp, dir) = chat_and_mail(3);
    // Raised in February (chat), escalated to the CFO in March (chat and email).
    assert!(notify(dir.path(), &hook, &[]).1.contains("3 sent"));
    // February corrected to 1,000.00: the episode raised in February is gone. The mail server is
    // down: chat hears of the withdrawal, the CFO does not.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,300.00",
        "3,2026-02-01,EMEA,500.00",
    );
    let down = smtp.port;
    drop(smtp);
    let (code, out, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("sent to chat") && out.contains("failed to cfo"),
        "{out}"
    );
    // The server is back (on another port): the CFO gets the withdrawal, chat nothing more.
    let smtp = Server::start("smtp.py", scratch.path().join("smtp2.jsonl"));
    let toml = std::fs::read_to_string(dir.path().join("scorecard.toml"))
        .unwrap()
        .replace(
            &format!("127.0.0.1:{down}"),
            &format!("127.0.0.1:{}", smtp.port),
        );
    std::fs::write(dir.path().join("scorecard.toml"), toml).unwrap();
    let (code, out, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let mail = smtp.received();
    assert_eq!(mail.len(), 1, "{out}");
    assert!(
        mail[0]["message"].as_str().unwrap().contains("withdrawn"),
        "{mail:?}"
    );
    let chat: Vec<Value> = hook.received();
    assert_eq!(
        chat.iter()
            .filter(|m| m["body"]["event"] == "withdrawn")
            .count(),
        1
    );
    // (March, still red, is an episode of its own, raised and told in the second run.)
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(
        out.contains("1 already sent") && !out.contains("withdrawn"),
        "{out}"
    );
    assert_eq!(hook.received().len(), chat.len());
}

#[test]
fn a_recovery_reaches_everyone_told_and_a_reopening_too() {
    let (_scratch, hook, smtp, dir) = chat_and_mail(3);
    assert!(notify(dir.path(), &hook, &[]).1.contains("3 sent"));
    assert_eq!(smtp.received().len(), 1, "the CFO heard of the step up");
    // March corrected to 1,050.00 (green): the episode recovers in March, before it reached the
    // CFO as today's data has it; the CFO was told of it, so the CFO hears it is over.
    edit_sales(
        dir.path(),
        "6,2026-03-31,NA,450.00",
        "6,2026-03-31,NA,650.00",
    );
    let (code, out, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let mail = smtp.received();
    assert_eq!(mail.len(), 2, "{out}");
    assert!(
        mail[1]["message"]
            .as_str()
            .unwrap()
            .contains("recovered in 2026-03"),
        "{mail:?}"
    );
    // March back to red, April not yet loaded: open again, and everyone told hears it.
    edit_sales(
        dir.path(),
        "6,2026-03-31,NA,650.00",
        "6,2026-03-31,NA,450.00",
    );
    let (code, out, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{out}");
    let got = hook.received();
    let reopened: Vec<&Value> = got
        .iter()
        .filter(|m| m["body"]["event"] == "reopened")
        .collect();
    assert_eq!(reopened.len(), 1, "{out}");
    assert_eq!(
        reopened[0]["body"]["owners"],
        serde_json::json!(["Sales lead", "CFO"])
    );
    assert_eq!(smtp.received().len(), 3);
    // March green again: recovered again, under a new id, to both.
    edit_sales(
        dir.path(),
        "6,2026-03-31,NA,450.00",
        "6,2026-03-31,NA,650.00",
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    let got = hook.received();
    let recovered: Vec<&Value> = got
        .iter()
        .filter(|m| m["body"]["event"] == "recovered")
        .collect();
    assert_eq!(recovered.len(), 2, "{out}");
    assert_ne!(
        recovered[0]["idempotency_key"],
        recovered[1]["idempotency_key"]
    );
    assert_eq!(smtp.received().len(), 4);
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(
        !out.contains(" sent,") && !out.contains(": 1 sent"),
        "{out}"
    );
}

#[test]
fn a_run_that_tells_less_than_one_before_sends_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let dir = notify_project(3, 1, "");
    let text = SCORECARD.replace(
        "scorecard close_test { currency: USD  grain: month }",
        "scorecard close_test { currency: USD  grain: month  partial: not_rated }",
    );
    std::fs::write(dir.path().join("close.scorecard"), text).unwrap();
    // February green (1,000.00), March red: raised in March.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,300.00",
        "3,2026-02-01,EMEA,500.00",
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(out.contains("raised in 2026-03"), "{out}");
    // As of 15 March (the data then ends on the 1st), March is partial and not rated: the
    // episode is not there, but that is the past, not news. Nothing is sent, withdrawn or
    // recorded.
    let (code, out, err) = notify(dir.path(), &hook, &["--as-of", "2026-03-15"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("error[scorecard::notify::behind]: the data now tells whole periods up to 2026-02-28 (as of 2026-03-15, the data of `sales` ends on 2026-03-01), but a run already told people what the data said up to 2026-03-31"),
        "{err}"
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(
        out.contains("1 already sent") && !out.contains("withdrawn"),
        "{out}"
    );
    assert_eq!(hook.received().len(), 1);
    // Data cut short tells less too, and says which; `--rewind` accepts it.
    edit_sales(dir.path(), "6,2026-03-31,NA,450.00\n", "");
    let (code, _, err) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("scorecard::notify::behind")
            && err.contains("the data of `sales` ends on 2026-03-01"),
        "{err}"
    );
    let (code, out, err) = notify(dir.path(), &hook, &["--rewind"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0);
    assert_eq!(hook.received().len(), 1);
}

#[test]
fn what_was_owed_and_is_no_longer_so_is_said_and_a_reopening_goes_to_those_told_the_recovery() {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let dir = notify_project(4, 1, "");
    // Chat refuses the recovery.
    std::fs::write(scratch.path().join("hook.jsonl.refuse"), "recovered").unwrap();
    assert_eq!(notify(dir.path(), &hook, &[]).0, 4);
    std::fs::remove_file(scratch.path().join("hook.jsonl.refuse")).unwrap();
    // April corrected red: the episode is open again. Chat never heard it recovered, so it hears
    // no reopening; the recovery it was owed is no longer so, and is said to be.
    edit_sales(
        dir.path(),
        "8,2026-04-30,NA,500.00",
        "8,2026-04-30,NA,100.00",
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(
        out.contains("not sent (owed from an earlier run, no longer so) to chat")
            && out.contains("recovered in 2026-04"),
        "{out}"
    );
    let events: Vec<String> = hook
        .received()
        .iter()
        .map(|m| m["body"]["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["raised", "escalated", "recovered"], "{out}");
    // Said once.
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(!out.contains("no longer so) to chat"), "{out}");
}

#[test]
fn an_episode_told_over_and_then_gone_is_withdrawn() {
    let (_scratch, hook, smtp, dir) = chat_and_mail(4);
    assert!(notify(dir.path(), &hook, &[]).1.contains("5 sent"));
    // February and March corrected green: by the data, there was never an escalation. The CFO,
    // who was paged, hears that; so does chat.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,300.00",
        "3,2026-02-01,EMEA,500.00",
    );
    edit_sales(
        dir.path(),
        "6,2026-03-31,NA,450.00",
        "6,2026-03-31,NA,650.00",
    );
    let (code, out, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 sent"), "{out}");
    assert_eq!(
        hook.received().last().unwrap()["body"]["event"],
        "withdrawn"
    );
    assert!(smtp.received().last().unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("withdrawn"));
}

#[test]
fn an_event_overtaken_by_a_later_one_is_not_sent_out_of_order() {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let dir = notify_project(4, 1, "");
    // Chat refuses the step up: it gets the raise and the recovery.
    std::fs::write(scratch.path().join("hook.jsonl.refuse"), "escalated").unwrap();
    let (code, _, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 4);
    std::fs::remove_file(scratch.path().join("hook.jsonl.refuse")).unwrap();
    // The step up is not sent after the recovery that reached chat.
    let (code, out, _) = notify(dir.path(), &hook, &[]);
    assert!(
        out.contains("not sent (a later event of its escalation reached the receiver first)"),
        "{out}"
    );
    let delivered: Vec<String> = hook
        .received()
        .iter()
        .map(|m| m["body"]["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        delivered,
        ["raised", "escalated", "recovered"],
        "{out} (code {code})"
    );
}

#[test]
fn a_withdrawal_that_may_have_arrived_counts_as_told() {
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let dir = notify_project(2, 1, "");
    assert!(notify(dir.path(), &hook, &[]).1.contains("1 sent"));
    // Withdrawn, and the run is killed while chat holds the request unanswered.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,300.00",
        "3,2026-02-01,EMEA,500.00",
    );
    let url = format!("http://127.0.0.1:{}/hooks/T0/B0/s3cr3t", hook.port);
    let mut child = notify_held(dir.path(), &hook, &[("TEST_CHAT_WEBHOOK", &url)], 2);
    child.kill().unwrap();
    child.wait().unwrap();
    release(&hook);
    // February red again: chat may have heard it was withdrawn, so it is told it is raised.
    edit_sales(
        dir.path(),
        "3,2026-02-01,EMEA,500.00",
        "3,2026-02-01,EMEA,300.00",
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    let got = hook.received();
    assert_eq!(got.last().unwrap()["body"]["event"], "raised", "{out}");
    assert_eq!(got.last().unwrap()["body"]["generation"], 1, "{out}");
}

#[test]
fn one_state_table_however_spelled_takes_one_lock() {
    let schema = Schema::new("lock");
    let scratch = tempfile::tempdir().unwrap();
    let hook = Server::start("webhook.py", scratch.path().join("hook.jsonl"));
    let state = |table: &str| {
        format!("state = {{ postgres = {{ url_env = \"SCORECARD_TEST_STATE\", table = \"{table}\" }} }}")
    };
    let lower = format!("{}.deliveries", schema.0);
    let dir = notify_project(2, 1, &state(&lower));
    let other = std::fs::read_to_string(dir.path().join("scorecard.toml"))
        .unwrap()
        .replace(&lower, &lower.to_uppercase());
    std::fs::write(dir.path().join("alt.toml"), other).unwrap();
    let url = postgres_url();
    let hook_url = format!("http://127.0.0.1:{}/h", hook.port);
    let env = [
        ("SCORECARD_TEST_STATE", url.as_str()),
        ("TEST_CHAT_WEBHOOK", hook_url.as_str()),
    ];
    let mut first = notify_held(dir.path(), &hook, &env, 1);
    let (code, _, err) = run_in(
        dir.path(),
        &["notify", "close.scorecard", "--config", "alt.toml"],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scorecard::notify::busy"), "{err}");
    release(&hook);
    assert!(first.wait().unwrap().success());
    assert_eq!(hook.received().len(), 1);
}

#[test]
fn a_reopening_that_failed_at_one_receiver_reaches_it_while_the_episode_is_open() {
    let (scratch, hook, smtp, dir) = chat_and_mail(4);
    assert!(notify(dir.path(), &hook, &[]).1.contains("5 sent"));
    // April corrected red: open again. The CFO hears it; chat refuses it.
    edit_sales(
        dir.path(),
        "8,2026-04-30,NA,500.00",
        "8,2026-04-30,NA,100.00",
    );
    std::fs::write(scratch.path().join("hook.jsonl.refuse"), "reopened").unwrap();
    let (code, out, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("failed to chat") && out.contains("sent to cfo"),
        "{out}"
    );
    std::fs::remove_file(scratch.path().join("hook.jsonl.refuse")).unwrap();
    // Still open: chat gets the reopening, under its id, and the CFO nothing more.
    let (code, out, _) = notify(dir.path(), &hook, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("sent to chat") && out.contains("reopened"),
        "{out}"
    );
    let got = hook.received();
    let reopened: Vec<&Value> = got
        .iter()
        .filter(|m| m["body"]["event"] == "reopened")
        .collect();
    assert_eq!(reopened.len(), 2, "the refused attempt and the delivery");
    assert_eq!(
        reopened[0]["idempotency_key"],
        reopened[1]["idempotency_key"]
    );
    let mails = smtp.received();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m["message"].as_str().unwrap().contains("reopened"))
            .count(),
        1
    );
    let (_, out, _) = notify(dir.path(), &hook, &[]);
    assert!(
        !out.contains("sent to") && !out.contains("no longer so"),
        "{out}"
    );
}
