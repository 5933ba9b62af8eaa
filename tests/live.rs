//! Live authoring (docs/editors.md, "Figures as you type"): the language server driven with
//! protocol messages over a real project (open, edit, wait for the figures, compare them with
//! what `scorecard run` says of the same text saved to disk), and `report --serve` loaded in
//! Chromium, edited, and reloaded.

use crate::browser::Browser;
use crate::lsp::Server;
use crate::support::scorecard_in;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bundled examples copied into a fresh folder (they are one project).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a folder");
    copy(Path::new("scorecards"), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from).expect("the examples") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a copy");
        }
    }
}

/// Each KPI's total in the last three reported periods, as `(period, exact value)`, from
/// `scorecard run --format json` on the file as saved.
fn cold_run(file: &Path) -> BTreeMap<String, Vec<(String, Option<String>)>> {
    let dir = file.parent().expect("a folder");
    let name = file.file_name().and_then(|n| n.to_str()).expect("a name");
    let (code, out, err) = scorecard_in(dir, &["run", name, "--format", "json"]);
    assert!(code == 0 || code == 3, "run failed ({code}): {err}");
    let run: Value = serde_json::from_str(&out).expect("JSON");
    let mut kpis = BTreeMap::new();
    for k in run["kpis"].as_array().expect("kpis") {
        let totals: Vec<(String, Option<String>)> = k["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["segment"].as_object().is_some_and(|s| s.is_empty()))
            .map(|r| {
                let period = r["period"].as_str().expect("a period").to_string();
                (period, r["value"].as_str().map(str::to_string))
            })
            .collect();
        let last = totals[totals.len().saturating_sub(3)..].to_vec();
        kpis.insert(k["name"].as_str().expect("a name").to_string(), last);
    }
    kpis
}

/// The same, from a `scorecard/figures` notification.
fn shown(figures: &Value) -> BTreeMap<String, Vec<(String, Option<String>)>> {
    figures["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .map(|k| {
            let periods = k["periods"]
                .as_array()
                .expect("periods")
                .iter()
                .map(|f| {
                    let exact = f["exact"].as_str().map(str::to_string);
                    (f["period"].as_str().expect("a period").to_string(), exact)
                })
                .collect();
            (k["name"].as_str().expect("a name").to_string(), periods)
        })
        .collect()
}

fn uri(file: &Path) -> String {
    format!("file://{}", file.display())
}

/// Opens `file` with `text` at `version`, or sends `text` as its change to `version`, and waits
/// for that version's figures.
fn figures_of(s: &mut Server, file: &Path, (text, version): (&str, i64)) -> Value {
    let document = json!({ "uri": uri(file), "version": version });
    if version == 1 {
        let mut opened = document.clone();
        opened["languageId"] = json!("scorecard");
        opened["text"] = json!(text);
        s.notify("textDocument/didOpen", json!({ "textDocument": opened }));
    } else {
        s.notify(
            "textDocument/didChange",
            json!({ "textDocument": document, "contentChanges": [{ "text": text }] }),
        );
    }
    let want = uri(file);
    s.wait(|m| {
        m["method"] == "scorecard/figures"
            && m["params"]["uri"] == json!(want)
            && m["params"]["version"] == json!(version)
    })["params"]["figures"]
        .clone()
}

/// Every inlay hint of the document at `uri`.
fn all_hints(s: &mut Server, uri: &str) -> Vec<Value> {
    let everywhere =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 10000, "character": 0 } });
    let hints = s.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri }, "range": everywhere }),
    );
    hints.as_array().expect("hints").clone()
}

fn initialized(s: &mut Server) {
    let caps = json!({ "workspace": { "inlayHint": { "refreshSupport": true } } });
    let init = s.request(
        "initialize",
        json!({ "processId": null, "capabilities": caps }),
    );
    assert_eq!(init["capabilities"]["inlayHintProvider"], true);
    s.notify("initialized", json!({}));
}

#[test]
fn figures_follow_each_edit_and_match_a_cold_run_of_the_same_text() {
    let dir = project();
    let file = dir.path().join("retail/retail.scorecard");
    let mut text = std::fs::read_to_string(&file).expect("the example");
    let mut s = Server::start();
    initialized(&mut s);
    let first = figures_of(&mut s, &file, (&text, 1));
    assert!(
        first["how"].as_str().unwrap().starts_with("read "),
        "{first}"
    );
    assert_eq!(shown(&first), cold_run(&file), "as opened");
    // The server asks the editor to show the new hints.
    s.wait(|m| m["method"] == "workspace/inlayHint/refresh");

    // Each kind of edit, unsaved, then saved for the cold run to compare with.
    let edits = [
        // A KPI's formula: a new aggregate, computed on the rows held.
        ("value: sum(orders.revenue)\n", "value: sum(orders.revenue where channel = \"online\")\n"),
        // A threshold only: no aggregate computed at all.
        ("green >= 39%, amber >= 38%", "green >= 35%, amber >= 34%"),
        // A KPI added, reading an aggregate another KPI reads.
        ("kpi units_sold", "kpi online_units \"Online units\" { unit: count  value: sum(orders.units where channel = \"online\") }\n\nkpi units_sold"),
        // Back to the first formula: computed again, equal to the first figures.
        ("value: sum(orders.revenue where channel = \"online\")\n", "value: sum(orders.revenue)\n"),
    ];
    for (version, (from, to)) in (2..).zip(edits) {
        assert!(text.contains(from), "`{from}` is in the example");
        text = text.replacen(from, to, 1);
        let figures = figures_of(&mut s, &file, (&text, version));
        assert!(
            figures["how"].as_str().unwrap().starts_with("computed "),
            "edit {version} read no file again: {figures}"
        );
        std::fs::write(&file, &text).expect("saved");
        assert_eq!(
            shown(&figures),
            cold_run(&file),
            "after edit {version} ({to})"
        );
    }
    let how = |f: &Value| f["how"].as_str().unwrap().to_string();

    // A threshold edit computes nothing; a formula edit one aggregate in each of its passes.
    text = text.replacen("green >= 35%", "green >= 30%", 1);
    assert!(text.contains("green >= 30%"));
    let threshold = figures_of(&mut s, &file, (&text, 10));
    assert!(
        how(&threshold).starts_with("computed 0 aggregates"),
        "{threshold}"
    );
    text = text.replacen(
        "value: sum(orders.units)",
        "value: sum(orders.units where region = \"EMEA\")",
        1,
    );
    let formula = figures_of(&mut s, &file, (&text, 11));
    assert!(
        how(&formula).starts_with("computed 1 aggregate,"),
        "{formula}"
    );

    // The inlay hints show the latest value and status of each KPI at the end of its first line.
    let hints = all_hints(&mut s, &uri(&file));
    let kpis = text.matches("\nkpi ").count();
    assert_eq!(hints.len(), kpis, "one hint per KPI: {hints:?}");
    let line = text[..text.find("kpi net_revenue").unwrap()]
        .matches('\n')
        .count();
    let net = hints
        .iter()
        .find(|h| h["position"]["line"] == json!(line))
        .expect("net revenue's hint");
    let latest = &formula["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "net_revenue")
        .unwrap()["periods"][2];
    let label = net["label"].as_str().unwrap();
    assert!(
        label.starts_with(&format!("= {}", latest["value"].as_str().unwrap())),
        "{label}"
    );
    assert!(
        label.contains(latest["status"].as_str().unwrap())
            && label.contains(latest["period"].as_str().unwrap()),
        "{label}"
    );

    // A hover on a KPI lists its last periods.
    let hover = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri(&file) }, "position": crate::lsp::at(&text, "kpi net_revenue", 0, 5) }),
    );
    let hovered = hover["contents"]["value"].as_str().unwrap();
    assert!(hovered.contains("**Latest values**"), "{hovered}");
    for p in formula["kpis"][0]["periods"].as_array().unwrap() {
        assert!(
            hovered.contains(&format!(
                "- {}: {}",
                p["period"].as_str().unwrap(),
                p["value"].as_str().unwrap()
            )),
            "{hovered}"
        );
    }

    // Text with an error is not evaluated: the hints it gets are the last ones, marked stale.
    let broken = text.replacen(
        "value: sum(orders.units where",
        "value: sum(orders.nope where",
        1,
    );
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri(&file), "version": 12 }, "contentChanges": [{ "text": broken }] }),
    );
    let hints = all_hints(&mut s, &uri(&file));
    assert!(
        hints
            .iter()
            .all(|h| h["label"].as_str().unwrap().starts_with("= … ")),
        "{hints:?}"
    );

    // A data file changed on disk, the text not: the server sees it by itself, reads the data
    // again and sends the figures of the last version that checked (11) on the new data.
    let orders = dir.path().join("retail/data/orders.csv");
    let csv = std::fs::read_to_string(&orders).unwrap();
    let header = csv.lines().next().unwrap();
    let kept: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.contains(",EMEA,"))
        .collect();
    assert!(
        kept.len() < csv.lines().count() - 1,
        "the example has EMEA rows"
    );
    std::fs::write(&orders, format!("{header}\n{}\n", kept.join("\n"))).unwrap();
    let want = uri(&file);
    let reread = s.wait(|m| {
        m["method"] == "scorecard/figures"
            && m["params"]["uri"] == json!(want)
            && m["params"]["version"] == json!(11)
    })["params"]["figures"]
        .clone();
    assert!(how(&reread).starts_with("read "), "{reread}");
    std::fs::write(&file, &text).expect("saved");
    assert_eq!(shown(&reread), cold_run(&file), "on the changed data");

    s.request("shutdown", Value::Null);
    s.notify("exit", Value::Null);
}

#[test]
fn figures_of_rule_tables_follow_edits_of_the_rules() {
    let dir = project();
    let file = dir.path().join("marketing/marketing.scorecard");
    let mut text = std::fs::read_to_string(&file).expect("the example");
    let mut s = Server::start();
    initialized(&mut s);
    let first = figures_of(&mut s, &file, (&text, 1));
    assert_eq!(shown(&first), cold_run(&file), "as opened");
    let edits = [
        // The attribution's rule: its table is derived again.
        ("model: time_decay(half_life: 7 days)", "model: time_decay(half_life: 3 days)", true),
        // A KPI over the rule's table: only the aggregate.
        ("green >= 0%, amber >= -50%", "green >= 10%, amber >= -40%", false),
        ("window: 30 days\n  value: orders.revenue\n  credit_to: touchpoints.channel\n  model: markov", "window: 14 days\n  value: orders.revenue\n  credit_to: touchpoints.channel\n  model: markov", true),
    ];
    for (version, (from, to, derived)) in (2..).zip(edits) {
        assert!(text.contains(from), "`{from}` is in the example");
        text = text.replacen(from, to, 1);
        let figures = figures_of(&mut s, &file, (&text, version));
        let how = figures["how"].as_str().unwrap();
        assert_eq!(how.contains("rule tables derived again"), derived, "{how}");
        std::fs::write(&file, &text).expect("saved");
        assert_eq!(
            shown(&figures),
            cold_run(&file),
            "after edit {version} ({to})"
        );
    }
    // The two attributions swapped (the tables rules derive come in the rules' order): the rows
    // held are still the ones read, and only the rule tables are derived again.
    let decay = text.find("/// Recent touches").expect("the decay rule");
    let markov = text
        .find("/// Each channel's removal")
        .expect("the Markov rule");
    let end = text.find("kpi attributed_revenue ").expect("the first KPI");
    let swapped = format!(
        "{}{}{}{}",
        &text[..decay],
        &text[markov..end],
        &text[decay..markov],
        &text[end..]
    );
    let figures = figures_of(&mut s, &file, (&swapped, 5));
    let how = figures["how"].as_str().unwrap();
    assert!(
        how.starts_with("computed ") && how.contains("derived again"),
        "{how}"
    );
    std::fs::write(&file, &swapped).expect("saved");
    assert_eq!(shown(&figures), cold_run(&file), "with the rules swapped");
    // A document that is not a file (an unsaved buffer) has no data: its figures say so.
    let untitled = json!({ "uri": "untitled:Untitled-1", "languageId": "scorecard", "version": 1, "text": text });
    s.notify("textDocument/didOpen", json!({ "textDocument": untitled }));
    let figures = s.wait(|m| {
        m["method"] == "scorecard/figures" && m["params"]["uri"] == "untitled:Untitled-1"
    });
    assert!(
        figures["params"]["figures"]["problem"]
            .as_str()
            .unwrap()
            .contains("not a file on disk"),
        "{figures}"
    );
    let hints = all_hints(&mut s, "untitled:Untitled-1");
    assert!(
        !hints.is_empty()
            && hints
                .iter()
                .all(|h| h["label"].as_str().unwrap().contains("not a file on disk")),
        "{hints:?}"
    );
    // A document outside any project folder with data gets a figure saying why there is none.
    let lone = dir.path().join("nowhere.scorecard");
    let figures = figures_of(&mut s, &lone, (&swapped, 1));
    assert!(figures["kpis"].as_array().unwrap().is_empty());
    assert!(
        figures["problem"]
            .as_str()
            .unwrap()
            .contains("scorecard::data::"),
        "{figures}"
    );
    s.request("shutdown", Value::Null);
    s.notify("exit", Value::Null);
}

/// `scorecard report FILE --serve --port 0`, started; its address, from what it says.
struct Served {
    child: std::process::Child,
    address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(file: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(["report", file.to_str().unwrap(), "--serve", "--port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let address = loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the server stopped before serving"
        );
        if let Some(at) = line.split("at http://").nth(1) {
            break at.split('/').next().unwrap().to_string();
        }
    };
    // Keep reading what it says, so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in err.lines() {});
    Served { child, address }
}

#[test]
fn the_served_report_reloads_when_the_scorecard_or_its_data_changes() {
    let dir = project();
    let file = dir.path().join("retail/retail.scorecard");
    let served = serve(&file);
    let url = format!("http://{}/", served.address);
    let mut browser = Browser::start();
    let tab = browser.open(&url);
    let title = "document.querySelector('h1') && document.querySelector('h1').textContent";
    let heading = browser.ask(&tab, title);
    assert!(
        heading.as_str().unwrap_or("").contains("Retail"),
        "{heading}"
    );
    let label = |name: &str| format!("document.body.innerText.includes({})", json!(name));
    assert_eq!(browser.ask(&tab, &label("Revenue, web only")), json!(false));

    // An edit saved: the page reloads with the new label.
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen(
        "kpi net_revenue \"Net revenue\"",
        "kpi net_revenue \"Revenue, web only\"",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).unwrap();
    assert!(
        browser.until(&tab, &label("Revenue, web only"), Duration::from_secs(60)),
        "the page reloaded with the edit"
    );

    // A scorecard with an error: the page says so, and comes back when it is mended.
    std::fs::write(
        &file,
        edited.replacen("sum(orders.revenue)", "sum(orders.nope)", 1),
    )
    .unwrap();
    assert!(
        browser.until(
            &tab,
            "!!document.getElementById('problem')",
            Duration::from_secs(60)
        ),
        "the page shows the error"
    );
    let problem = browser.ask(&tab, "document.getElementById('problem').textContent");
    assert!(problem.as_str().unwrap().contains("nope"), "{problem}");
    std::fs::write(&file, &edited).unwrap();
    assert!(browser.until(&tab, &label("Revenue, web only"), Duration::from_secs(60)));

    // Data changed on disk: the figures are the new data's, as a cold report gives them.
    let budget = dir.path().join("retail/data/budget.csv");
    let csv = std::fs::read_to_string(&budget).unwrap();
    let header = csv.lines().next().unwrap().to_string();
    std::fs::write(&budget, format!("{header}\n")).unwrap();
    // Named as the server was given it, so that the manifests name it alike.
    let (code, cold, err) = scorecard_in(dir.path(), &["report", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let cold_text = visible_numbers(&mut browser, &cold);
    let deadline = Instant::now() + Duration::from_secs(60);
    let numbers =
        "Array.from(document.querySelectorAll('td')).map(c => c.textContent.trim()).join('|')";
    loop {
        let now = browser.ask(&tab, numbers);
        if now.as_str() == Some(cold_text.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the served page never showed the new data's figures"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let errors = browser.errors(&tab);
    assert!(errors.is_empty(), "the page logged errors: {errors:?}");
    // Nothing but the page and its version is served, with GET and HEAD, to this machine's name.
    let at = &served.address;
    let port = at.rsplit(':').next().unwrap();
    assert_eq!(http(at, "GET /other HTTP/1.0", at), 404);
    assert_eq!(http(at, "GET /?reload=1 HTTP/1.0", at), 200);
    assert_eq!(http(at, "HEAD / HTTP/1.0", at), 200);
    assert_eq!(
        http(at, &format!("GET http://{at}/version HTTP/1.1"), at),
        200
    );
    assert_eq!(http(at, "POST / HTTP/1.0", at), 405);
    assert_eq!(
        http(at, "GET / HTTP/1.0", &format!("localhost:{port}")),
        200
    );
    // A page elsewhere reaching this port through a name of its own (DNS rebinding) is refused.
    assert_eq!(
        http(at, "GET / HTTP/1.0", &format!("attacker.example:{port}")),
        421
    );
}

/// The status of one request line sent to `address` with this `Host`, by a bare HTTP request.
fn http(address: &str, line: &str, host: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{line}\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The page served now, by a bare HTTP request.
fn page(address: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET / HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Waits up to a minute for the served page to contain `text`.
fn served_shows(address: &str, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if page(address).contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn the_served_report_sees_data_mended_after_it_started_and_edits_made_while_it_evaluates() {
    // Started while a data file is missing: the page says why, and the file restored is seen.
    let dir = project();
    let file = dir.path().join("retail/retail.scorecard");
    let budget = dir.path().join("retail/data/budget.csv");
    let kept = dir.path().join("budget.csv.away");
    std::fs::rename(&budget, &kept).unwrap();
    let served = serve(&file);
    assert!(
        served_shows(&served.address, "id=\"problem\""),
        "the missing file is the page"
    );
    assert!(page(&served.address).contains("budget.csv"));
    std::fs::rename(&kept, &budget).unwrap();
    assert!(
        served_shows(&served.address, "Net revenue"),
        "the report once the file is back"
    );
    drop(served);

    // An edit saved while the data is being read again is evaluated after it: the page ends with
    // the edit, and with the data as it is.
    let big = tempfile::tempdir().unwrap();
    let (code, _, err) = scorecard_in(
        big.path(),
        &[
            "generate", "retail", "--rows", "300000", "--out", "data", "--format", "csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let card = big.path().join("retail.scorecard");
    let text = std::fs::read_to_string("bench/retail.scorecard")
        .unwrap()
        .replace("\"orders.csv\"", "\"data/orders.csv\"")
        .replace("\"budget.csv\"", "\"data/budget.csv\"");
    std::fs::write(&card, &text).unwrap();
    let served = serve(&card);
    assert!(served_shows(&served.address, "Gross sales"));
    let orders = big.path().join("data/orders.csv");
    let mut csv = std::fs::read_to_string(&orders).unwrap();
    let last = csv.lines().last().unwrap().to_string();
    csv.push_str(&last.replacen(",", "x,", 1));
    csv.push('\n');
    std::fs::write(&orders, &csv).unwrap();
    // The data is read again now (a few seconds in a debug build); the edit lands meanwhile.
    std::thread::sleep(Duration::from_millis(700));
    std::fs::write(
        &card,
        text.replacen("\"Gross sales\"", "\"Gross sales, edited\"", 1),
    )
    .unwrap();
    assert!(
        served_shows(&served.address, "Gross sales, edited"),
        "the edit made while evaluating"
    );
}

/// The table cells of a report page, as the served page's question gives them.
fn visible_numbers(browser: &mut Browser, page: &str) -> String {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("cold.html");
    std::fs::write(&path, page).unwrap();
    let tab = browser.open(&format!("file://{}", path.display()));
    let cells =
        "Array.from(document.querySelectorAll('td')).map(c => c.textContent.trim()).join('|')";
    browser.ask(&tab, cells).as_str().unwrap().to_string()
}

/// The engine held warm over Parquet files (each row's line kept from the file's order, the rows
/// cut into runs per core, each row's period worked out once) gives every version the aggregates a
/// cold run of that version gives: attribution credit, whose ties follow the rows' lines, derived
/// again from the held touches; new aggregates and remembered ones alike.
#[test]
fn a_warm_session_over_parquet_gives_each_version_what_a_cold_run_gives() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (code, _, err) = scorecard_in(
        data,
        &[
            "generate",
            "marketing",
            "--rows",
            "30000",
            "--out",
            "gen",
            "--format",
            "parquet",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string("bench/marketing.scorecard")
        .unwrap()
        .replace(".csv\"", ".parquet\"");
    let versions = [
        text.clone(),
        text.replacen("model: linear", "model: first_touch", 1),
        text.replacen(
            "model: time_decay(half_life: 7 days)",
            "model: time_decay(half_life: 2 days)",
            1,
        )
        .replacen("window: 30 days", "window: 10 days", 1),
        text.clone(),
    ];
    let evaluate = |aggregates: scorecard::engine::Aggregates, model: &scorecard::model::Model| {
        let e = scorecard::rules::evaluate(
            model,
            aggregates,
            scorecard::rules::manifest::RunOptions::of(&scorecard::engine::Options::new(
                ".".into(),
            )),
        )
        .expect("evaluated");
        serde_json::to_value(&e.kpis).unwrap()
    };
    let options = scorecard::engine::Options::new(data.join("gen"));
    let model = |t: &str| {
        scorecard::compile(t)
            .model
            .expect("the bench scorecard checks")
    };
    let (mut warm, first) =
        scorecard::engine::Session::open_remembering(&model(&versions[0]), &options).unwrap();
    let held = warm.hold(&model(&versions[0]), usize::MAX).unwrap();
    assert!(
        matches!(held, scorecard::engine::Held::InMemory(_)),
        "{held:?}"
    );
    assert_eq!(evaluate(first, &model(&versions[0])), {
        let cold = scorecard::engine::aggregate(&model(&versions[0]), &options).unwrap();
        evaluate(cold, &model(&versions[0]))
    });
    for (i, version) in versions.iter().enumerate().skip(1) {
        let m = model(version);
        let again = warm.aggregate_again(&m).unwrap();
        let reuse = warm.reuse().unwrap();
        let cold = scorecard::engine::aggregate(&m, &options).unwrap();
        assert_eq!(evaluate(again, &m), evaluate(cold, &m), "version {i}");
        assert!(
            reuse.derived_again,
            "version {i} changes an attribution: {reuse:?}"
        );
    }
}

/// What the rows held take is counted once per buffer: rows read from CSV share buffers between
/// batches, and counting each batch's arrays whole made 175 MiB of order lines look like 2 GiB, so
/// that `--keep 2GiB` refused to hold them.
#[test]
fn the_rows_held_are_measured_as_what_they_take() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = scorecard_in(
        dir.path(),
        &[
            "generate", "retail", "--rows", "100000", "--out", "data", "--format", "csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string("bench/retail.scorecard").unwrap();
    let model = scorecard::compile(&text).model.unwrap();
    let options = scorecard::engine::Options::new(dir.path().join("data"));
    let (mut session, _) = scorecard::engine::Session::open_remembering(&model, &options).unwrap();
    let csv = std::fs::metadata(dir.path().join("data/orders.csv"))
        .unwrap()
        .len() as usize;
    let scorecard::engine::Held::InMemory(held) = session.hold(&model, usize::MAX).unwrap() else {
        panic!("no limit, so the rows are held");
    };
    // 12 columns, a row's line and its period: in memory, about what the text of the file takes.
    assert!(
        held > csv / 2 && held < csv * 3,
        "{held} bytes held for {csv} bytes of CSV"
    );
    // A limit between what they take and what counting each batch whole would say holds them.
    let (mut again, _) = scorecard::engine::Session::open_remembering(&model, &options).unwrap();
    let fits = again.hold(&model, held + held / 10).unwrap();
    assert_eq!(fits, scorecard::engine::Held::InMemory(held));
    let (mut tight, _) = scorecard::engine::Session::open_remembering(&model, &options).unwrap();
    assert!(matches!(
        tight.hold(&model, held / 2).unwrap(),
        scorecard::engine::Held::OverLimit(_)
    ));
}

/// A table in PostgreSQL cannot be stamped: its rows are never held, each version reads it again,
/// and an open document's figures are read again every 10 s, so a change to the table shows
/// without any edit.
#[test]
fn figures_of_a_table_in_postgres_follow_the_table() {
    use crate::sources::{postgres_url, psql, retail_tables, Schema};
    let s = Schema::new("live");
    let schema = &s.0;
    retail_tables(schema);
    let dir = tempfile::tempdir().unwrap();
    let url = postgres_url();
    std::fs::write(
        dir.path().join("scorecard.toml"),
        format!(
            "[datasets.orders]\npostgres = {{ url = \"{url}\", table = \"{schema}.orders\" }}\n\n\
             [datasets.budget]\npostgres = {{ url = \"{url}\", table = \"{schema}.budget\" }}\n"
        ),
    )
    .unwrap();
    let file = dir.path().join("retail.scorecard");
    let text = std::fs::read_to_string("scorecards/retail/retail.scorecard").unwrap();
    std::fs::write(&file, &text).unwrap();
    let mut server = Server::start();
    initialized(&mut server);
    let first = figures_of(&mut server, &file, (&text, 1));
    let how = first["how"].as_str().unwrap();
    assert!(how.contains("PostgreSQL is read again"), "{how}");
    assert_eq!(shown(&first), cold_run(&file), "as opened");
    // The last month's orders double; no text changes.
    psql(&format!(
        "update {schema}.orders set revenue = revenue * 2 where order_date >= '2026-10-01'"
    ));
    let changed = cold_run(&file);
    assert_ne!(changed, shown(&first), "the update changes the figures");
    let want = uri(&file);
    let started = Instant::now();
    loop {
        let again = server
            .wait(|m| m["method"] == "scorecard/figures" && m["params"]["uri"] == json!(want));
        if shown(&again["params"]["figures"]) == changed {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the table's change never showed"
        );
    }
    // Each version reads the table again: a second edit gives the table's figures too.
    let edited = text.replacen("green >= 39%", "green >= 38.5%", 1);
    let figures = figures_of(&mut server, &file, (&edited, 2));
    std::fs::write(&file, &edited).unwrap();
    assert_eq!(shown(&figures), cold_run(&file), "after an edit");
    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
}

/// `report --serve` watches the project's other scorecards: they decide whether its bindings hold.
#[test]
fn the_served_report_follows_the_project_s_other_scorecards() {
    let dir = tempfile::tempdir().unwrap();
    copy(Path::new("scorecards/retail"), &dir.path().join("retail"));
    let other = dir.path().join("other.scorecard");
    let declares = "scorecard other { currency: USD  grain: month }\n\ndataset spend {\n  source: \"spend.csv\"\n  time: month\n  columns: { month: date  amount: money }\n}\n\nkpi spent { value: sum(spend.amount) }\n";
    std::fs::write(&other, declares).unwrap();
    std::fs::write(
        dir.path().join("spend.csv"),
        "month,amount\n2026-01-01,5.00\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("scorecard.toml"),
        "[project]\nscorecards = [\"*.scorecard\", \"retail/*.scorecard\"]\n\n[datasets.spend]\npath = \"spend.csv\"\n",
    )
    .unwrap();
    let file = dir.path().join("retail/retail.scorecard");
    let served = serve(&file);
    assert!(served_shows(&served.address, "Net revenue"), "the report");
    // The other scorecard no longer declares `spend`: the binding binds nothing, as a cold report says.
    std::fs::write(
        &other,
        declares
            .replace("dataset spend", "dataset outlay")
            .replace("spend.amount", "outlay.amount"),
    )
    .unwrap();
    let (code, _, err) = scorecard_in(dir.path(), &["report", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        served_shows(&served.address, "id=\"problem\""),
        "the page says why"
    );
    assert!(page(&served.address).contains("scorecard::project::"));
    std::fs::write(&other, declares).unwrap();
    assert!(
        served_shows(&served.address, "Net revenue"),
        "and comes back"
    );
}
