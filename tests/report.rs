//! The report outputs: threshold bands as numbers, attribution credit by channel under each model,
//! the HTML page (in real headless Chromium: no console errors, no requests, a screenshot), the
//! Markdown and the Excel workbook (read back with calamine and checked against the JSON).

use crate::browser::Browser;
use crate::cli::scorecard;
use crate::support::{examples, folder, model, options, row};
use calamine::{Data, Reader, Xlsx};
use scorecard::rules::bands::Band;
use serde_json::Value;
use std::path::{Path, PathBuf};

const BANDED: &str = r#"
scorecard banded "Bands" { currency: USD  grain: month }
dataset sales { source: "sales.csv"  time: day  columns: { day: date  amount: money } }
/// Green at or above target, amber down to 90% of it.
kpi revenue "Revenue" {
  value: sum(sales.amount)
  target: 1000
  thresholds: { green: value >= target  amber: value >= 90% of target  red: otherwise }
}
/// Written the other way round: `target <= value` is `value >= target`.
kpi mirrored {
  value: sum(sales.amount)
  target: 1000
  thresholds: { green: target <= value  red: otherwise }
}
kpi ranged { value: sum(sales.amount)  better: within(500, 1500) }
kpi lower { value: sum(sales.amount)  target: 800  better: lower }
/// Not a comparison of the value with a number: no bands, rather than wrong ones.
kpi joined {
  value: sum(sales.amount)
  target: 1000
  thresholds: { green: value >= target and value <= 2000  red: otherwise }
}
kpi unrated { value: sum(sales.amount) }
"#;

const SALES: &str = "day,amount\n2026-01-10,950.00\n2026-02-10,1200.00\n";

fn band(status: &str, op: Option<&str>, at: Option<&str>) -> Value {
    let mut b = serde_json::json!({ "status": status });
    if let (Some(op), Some(at)) = (op, at) {
        b["op"] = op.into();
        b["at"] = at.into();
    }
    b
}

fn bands_json(bands: &[Band]) -> Value {
    serde_json::to_value(bands).expect("bands serialize")
}

#[test]
fn thresholds_become_numbered_bands_in_the_order_they_are_tried() {
    let dir = folder(&[("sales.csv", SALES)]);
    let e = scorecard::evaluate(&model(BANDED), &options(dir.path())).expect("runs");
    // The target is rounded to cents like the value (1000.00); 90% of it is 0.90 × 1000.00 =
    // 900.0000, kept exact rather than rounded (rounding a cut-off could move a value across it).
    assert_eq!(
        bands_json(&row(&e, "revenue", "2026-01", "total").bands),
        Value::Array(vec![
            band("green", Some(">="), Some("1000.00")),
            band("amber", Some(">="), Some("900.0000")),
            band("red", None, None),
        ])
    );
    assert_eq!(
        bands_json(&row(&e, "mirrored", "2026-01", "total").bands),
        Value::Array(vec![
            band("green", Some(">="), Some("1000.00")),
            band("red", None, None)
        ])
    );
    // `within 500 .. 1500`: red below 500 or above 1500, green otherwise.
    assert_eq!(
        bands_json(&row(&e, "ranged", "2026-01", "total").bands),
        Value::Array(vec![
            band("red", Some("<"), Some("500")),
            band("red", Some(">"), Some("1500")),
            band("green", None, None),
        ])
    );
    assert_eq!(
        bands_json(&row(&e, "lower", "2026-02", "total").bands),
        Value::Array(vec![
            band("green", Some("<="), Some("800.00")),
            band("red", None, None)
        ])
    );
    assert!(row(&e, "joined", "2026-01", "total").bands.is_empty());
    assert!(row(&e, "unrated", "2026-01", "total").bands.is_empty());
    // The bands give the same status as the thresholds: 950 is amber, 1200 green.
    for (period, status) in [("2026-01", "amber"), ("2026-02", "green")] {
        let r = row(&e, "revenue", period, "total");
        let by_bands = scorecard::rules::bands::status_of(&r.bands, r.value.expect("a value"));
        assert_eq!(by_bands.map(|s| s.name()), Some(status));
        assert_eq!(r.status.name(), status);
    }
}

#[test]
fn the_trend_chart_tints_each_period_by_its_bands() {
    let dir = folder(&[("sales.csv", SALES)]);
    let m = model(BANDED);
    let e = scorecard::evaluate_for_report(&m, &options(dir.path())).expect("runs");
    let page = scorecard::report::html::html(&e, &m);
    let revenue = section(&page, "kpi-revenue");
    // Values 950 and 1200, cut-offs 900 and 1000 are all on the scale, so each of the two
    // periods is split into red below 900, amber to 1000 and green above.
    assert_eq!(
        revenue.matches("class=\"band green\"").count(),
        2,
        "{revenue}"
    );
    assert_eq!(revenue.matches("class=\"band amber\"").count(), 2);
    assert_eq!(revenue.matches("class=\"band red\"").count(), 2);
    assert!(revenue.contains(
        "Thresholds in 2026-02: green if value &gt;= 1,000.00; amber if value &gt;= 900.00; red otherwise."
    ));
    // Each point says its period, value and status without colour.
    assert!(revenue.contains("<title>2026-01: 950.00 (amber)</title>"));
    assert!(revenue.contains("<title>2026-02: 1,200.00 (green)</title>"));
    let joined = section(&page, "kpi-joined");
    assert!(!joined.contains("class=\"band"), "{joined}");
}

/// The text of the detail article with this id.
fn section<'p>(page: &'p str, id: &str) -> &'p str {
    let start = page
        .find(&format!("<article class=\"kpi\" id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no article {id}"));
    let end = page[start..].find("</article>").expect("an end") + start;
    &page[start..end]
}

/// The marketing example's own hand-worked test data: time decay gives search 200.00 and email
/// 100.00 of c1's 300.00 order, Markov gives each 150.00, and c2's 50.00 order had no touch.
#[test]
fn attribution_credit_by_channel_under_each_model() {
    let source = std::fs::read_to_string("scorecards/marketing/marketing.scorecard")
        .expect("the example")
        .replace("\"data/", "\"");
    let dir = folder(&[
        (
            "touchpoints.csv",
            "customer,touched_at,channel,impressions\n\
             c1,2026-03-01 00:00,email,5000\n\
             c1,2026-03-08 00:00,search,5000\n\
             c1,2026-03-10 00:00,display,10\n\
             c1,2026-03-14 00:00,direct,5000\n",
        ),
        (
            "orders.csv",
            "order_id,customer,order_date,revenue\no1,c1,2026-03-15,300.00\no2,c2,2026-03-20,50.00\n",
        ),
        (
            "spend.csv",
            "month,channel,amount\n2026-03-01,search,100.00\n2026-03-01,email,200.00\n",
        ),
    ]);
    let m = model(&source);
    let e = scorecard::evaluate_for_report(&m, &options(dir.path())).expect("runs");
    let credit = |rule: &str, channel: &str| {
        let a = e
            .attribution
            .iter()
            .find(|a| a.name == rule)
            .unwrap_or_else(|| panic!("no credit for {rule}"));
        a.results
            .held()
            .iter()
            .find(|r| {
                r.period == "2026-03"
                    && r.segment.get("channel").cloned().flatten().as_deref() == Some(channel)
            })
            .and_then(|r| r.value)
            .map(|v| v.to_string())
    };
    assert_eq!(credit("decay_credit", "search").as_deref(), Some("200.00"));
    assert_eq!(credit("decay_credit", "email").as_deref(), Some("100.00"));
    assert_eq!(
        credit("decay_credit", "unattributed").as_deref(),
        Some("50.00")
    );
    assert_eq!(credit("markov_credit", "search").as_deref(), Some("150.00"));
    assert_eq!(credit("markov_credit", "email").as_deref(), Some("150.00"));
    assert_eq!(
        credit("markov_credit", "unattributed").as_deref(),
        Some("50.00")
    );
    // The report's credit KPIs are not among the scorecard's own.
    assert!(e.kpis.iter().all(|k| !k.name.starts_with("__")));
    assert_eq!(e.kpis.len(), m.kpis.len());
    let page = scorecard::report::html::html(&e, &m);
    let table = &page[page.find("id=\"attribution\"").expect("the section")..];
    // search: 200.00 in the month and over all periods (one), then Markov's 150.00 twice.
    assert!(
        table.contains("<tr><td>search</td><td class=\"num\">200.00</td><td class=\"num\">200.00</td><td class=\"num\">150.00</td><td class=\"num\">150.00</td></tr>"),
        "{table}"
    );
    // A plain run keeps its JSON as it was: no attribution section.
    let plain = scorecard::evaluate(&m, &options(dir.path())).expect("runs");
    assert!(plain.attribution.is_empty());
    assert!(!scorecard::report::json(&plain).contains("\"attribution\":"));
}

fn out_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// Renders an example's report with the binary, deterministically.
fn render(scorecard_path: &Path, out: &Path) {
    let (code, _, err) = scorecard(&[
        "report",
        &scorecard_path.display().to_string(),
        "--deterministic",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
}

fn json_of(path: &Path) -> Value {
    let (code, out, err) = scorecard(&[
        "run",
        &path.display().to_string(),
        "--format",
        "json",
        "--deterministic",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("JSON")
}

/// The width and height a PNG's header gives.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (be(16), be(20))
}

/// Where screenshots go: `docs/screenshots/` when `SCORECARD_SCREENSHOTS=docs` (to refresh the
/// committed ones), else `target/screenshots/`.
fn screenshot_dir() -> PathBuf {
    let dir = if std::env::var("SCORECARD_SCREENSHOTS").as_deref() == Ok("docs") {
        PathBuf::from("docs/screenshots")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    };
    std::fs::create_dir_all(&dir).expect("a screenshot folder");
    dir
}

#[test]
fn example_reports_load_in_chromium_with_no_errors_and_no_requests() {
    let out = out_dir();
    let mut browser = Browser::start();
    for (name, path) in examples() {
        let page = out.path().join(format!("{name}.html"));
        render(&path, &page);
        let json = json_of(&path);
        let kpis = json["kpis"].as_array().expect("kpis").len();
        let visit = browser.visit(
            &page,
            2400.0,
            &[
                "document.querySelectorAll('table.kpis tbody tr:not(.group)').length",
                "document.querySelectorAll('article.kpi').length",
                "document.querySelectorAll('svg').length",
                "document.querySelectorAll('#strategy-map svg .objective').length",
                "document.querySelectorAll('#attribution svg.bars').length",
                "document.querySelectorAll('#whale-curves svg.whale').length",
                "document.title",
                "document.querySelectorAll('#cohorts table.triangle').length",
            ],
        );
        assert!(visit.errors.is_empty(), "{name}: {:#?}", visit.errors);
        let url = format!("file://{}", page.canonicalize().expect("page").display());
        assert_eq!(visit.requests, [url], "{name} fetched something");
        assert!(visit.blocked.is_empty(), "{name}: {:?}", visit.blocked);
        let count = |i: usize| visit.answers[i].as_u64().unwrap_or(0) as usize;
        assert_eq!(count(0), kpis, "{name}: a table row per KPI");
        assert_eq!(count(1), kpis, "{name}: a detail per KPI");
        assert!(count(2) > kpis, "{name}: a sparkline and a trend per KPI");
        let objectives = |src: &str| src.matches("\nobjective ").count();
        let text = std::fs::read_to_string(&path).expect("the example");
        assert_eq!(count(3), objectives(&text), "{name}: a box per objective");
        let attributions = text.matches("\nattribution ").count();
        assert_eq!(count(4), usize::from(attributions > 0), "{name}");
        assert_eq!(
            count(5),
            json["curves"].as_array().map_or(0, |c| {
                let last = json["periods"].as_array().and_then(|p| p.last()).cloned();
                c.iter()
                    .filter(|c| Some(&c["period"]) == last.as_ref())
                    .count()
            }),
            "{name}"
        );
        assert_eq!(
            visit.answers[6].as_str(),
            json["scorecard"]["label"].as_str(),
            "{name}"
        );
        // Three tables (retention, cumulative margin, equity) per cohort declared.
        let cohorts = text.matches("\ncohort ").count();
        assert_eq!(count(7), 3 * cohorts, "{name}: a triangle per measure");
        let (w, h) = png_size(&visit.png);
        assert_eq!(w, 1280);
        assert!(h > 600 && h <= 2400, "{name}: {h}");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), &visit.png)
            .expect("the screenshot is written");
    }
    // The sensitivity page of the customer profitability example: a grid's curves, its heat map
    // and the tornado chart, with no errors and nothing fetched.
    let example = Path::new("scorecards/customer_profitability/customer_profitability.scorecard");
    let page = out.path().join("sensitivity.html");
    let shown = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .arg("sensitivity")
        .arg(example)
        .args(["--kpi", "customer_lifetime_value", "--tornado"])
        .args([
            "--vary",
            "discount_rate=2%..5%:1%",
            "--vary",
            "retention=70%,80%,85%",
        ])
        .args(["--format", "html", "-o"])
        .arg(&page)
        .output()
        .expect("sensitivity runs");
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let visit = browser.visit(
        &page,
        1600.0,
        &[
            "document.querySelectorAll('svg.curves polyline').length",
            "document.querySelectorAll('#points td.heat').length",
            "document.querySelectorAll('svg.tornado rect').length",
        ],
    );
    assert!(visit.errors.is_empty(), "{:#?}", visit.errors);
    let url = format!("file://{}", page.canonicalize().expect("page").display());
    assert_eq!(
        visit.requests,
        [url],
        "the sensitivity page fetched something"
    );
    let count = |i: usize| visit.answers[i].as_u64().unwrap_or(0);
    assert_eq!(count(0), 3, "a curve per retention value");
    assert_eq!(count(1), 12, "a cell per point");
    // Two bars (low and high) for each of the three parameters, loss_limit's two of no width.
    assert_eq!(count(2), 6);
    std::fs::write(screenshot_dir().join("sensitivity.png"), &visit.png)
        .expect("the screenshot is written");
}

/// The harness itself: a page that fetches and logs is caught, so a clean result means something.
#[test]
fn the_browser_check_catches_requests_console_errors_and_policy_violations() {
    let out = out_dir();
    let loud = out.path().join("loud.html");
    std::fs::write(
        &loud,
        "<!DOCTYPE html><html><head><title>x</title></head><body>\
         <img src=\"http://127.0.0.1:9/pixel.png\"><script>console.error('boom')</script></body></html>",
    )
    .expect("write");
    // The report's own policy: the same image is refused before any request, and the refusal is
    // logged as an error.
    let guarded = out.path().join("guarded.html");
    let page = std::fs::read_to_string({
        let p = out.path().join("retail.html");
        render(Path::new(crate::cli::RETAIL), &p);
        p
    })
    .expect("the report");
    std::fs::write(
        &guarded,
        page.replacen(
            "<main>",
            "<main><img src=\"http://127.0.0.1:9/pixel.png\">",
            1,
        ),
    )
    .expect("write");
    let mut browser = Browser::start();
    let visit = browser.visit(&loud, 600.0, &[]);
    assert!(
        visit
            .requests
            .iter()
            .any(|r| r.starts_with("http://127.0.0.1:9/")),
        "{:?}",
        visit.requests
    );
    assert!(
        visit.errors.iter().any(|e| e.contains("boom")),
        "{:?}",
        visit.errors
    );
    let visit = browser.visit(&guarded, 600.0, &[]);
    assert!(
        visit.requests.iter().all(|r| r.starts_with("file://")),
        "the policy let a request through: {:?}",
        visit.requests
    );
    assert_eq!(visit.blocked.len(), 1, "{:?}", visit.blocked);
    assert!(visit.blocked[0].starts_with("http://127.0.0.1:9/pixel.png (csp"));
    assert!(
        visit
            .errors
            .iter()
            .any(|e| e.contains("Content Security Policy")),
        "{:?}",
        visit.errors
    );
}

/// A scorecard of `n` KPIs over twelve months of one dataset, each with a target and thresholds.
pub fn many_kpis(n: usize) -> (String, String) {
    let mut text = String::from(
        "scorecard many \"Two hundred KPIs\" { owner: \"FP&A\"  currency: USD  grain: month }\n\
         perspective financial { }\n",
    );
    for o in 0..10 {
        text.push_str(&format!(
            "objective o{o} \"Objective {o}\" {{ perspective: financial }}\n"
        ));
    }
    text.push_str(
        "dataset sales { source: \"sales.csv\"  time: day  columns: { day: date  region: text  amount: money } }\n",
    );
    for k in 0..n {
        text.push_str(&format!(
            "kpi k{k} \"KPI number {k}\" {{\n  objective: o{}\n  value: sum(sales.amount where amount > {})\n  target: {}\n  thresholds: {{ green: value >= target  amber: value >= 90% of target  red: otherwise }}\n  by: region\n}}\n",
            k % 10,
            k,
            1000 + k * 10
        ));
    }
    let mut csv = String::from("day,region,amount\n");
    for month in 1..=12 {
        for (i, region) in ["EMEA", "NA", "APAC"].iter().enumerate() {
            for day in [3, 17] {
                csv.push_str(&format!(
                    "2026-{month:02}-{day:02},{region},{}.{:02}\n",
                    200 + month * 37 + i * 11 + day,
                    (month * 7 + day) % 100
                ));
            }
        }
    }
    (text, csv)
}

#[test]
fn two_hundred_kpis_render_into_one_page_that_loads_cleanly() {
    let (text, csv) = many_kpis(200);
    let dir = folder(&[("many.scorecard", &text), ("sales.csv", &csv)]);
    let page = dir.path().join("many.html");
    render(&dir.path().join("many.scorecard"), &page);
    let html = std::fs::read_to_string(&page).expect("the page");
    // A sparkline and a trend chart per KPI, and nothing outside the page.
    assert_eq!(html.matches("<svg class=\"spark\"").count(), 200);
    assert_eq!(html.matches("<svg class=\"trend\"").count(), 200);
    assert!(!html.contains("http://") && !html.contains("https://"));
    let mut browser = Browser::start();
    let visit = browser.visit(
        &page,
        900.0,
        &["document.querySelectorAll('table.kpis tbody tr:not(.group)').length"],
    );
    assert!(visit.errors.is_empty(), "{:#?}", visit.errors);
    assert_eq!(visit.requests.len(), 1);
    assert!(visit.blocked.is_empty());
    assert_eq!(visit.answers[0].as_u64(), Some(200));
}

#[test]
fn markdown_shows_the_last_period_of_every_kpi_as_the_json_has_it() {
    for (name, path) in examples() {
        let json = json_of(&path);
        let (code, md, err) =
            scorecard(&["run", &path.display().to_string(), "--format", "markdown"]);
        assert_eq!(code, 0, "{name}: {err}");
        let last = json["periods"].as_array().and_then(|p| p.last()).cloned();
        assert!(md.contains(&format!(
            "**Period:** {}",
            last.as_ref().and_then(Value::as_str).unwrap_or("")
        )));
        for k in json["kpis"].as_array().expect("kpis") {
            let label = k["label"].as_str().or(k["name"].as_str()).unwrap_or("");
            let total = k["results"].as_array().expect("results").iter().find(|r| {
                Some(&r["period"]) == last.as_ref() && r["segment"] == serde_json::json!({})
            });
            let Some(total) = total else { continue };
            let status = total["status"].as_str().unwrap_or("").replace('_', " ");
            let line = md
                .lines()
                .find(|l| l.starts_with(&format!("| {} |", markdown_text(label))))
                .unwrap_or_else(|| panic!("{name}: no row for {label}\n{md}"));
            assert!(line.contains(&format!(" {status} |")), "{name}: {line}");
            if let Some(score) = total["score"].as_str() {
                assert!(line.ends_with(&format!("| {score} |")), "{name}: {line}");
            }
        }
    }
}

/// A label as the Markdown table escapes it.
fn markdown_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('|', "\\|")
}

#[test]
fn the_workbook_reads_back_with_the_json_values_as_numbers() {
    let out = out_dir();
    for (name, path) in examples() {
        let json = json_of(&path);
        let file = out.path().join(format!("{name}.xlsx"));
        let (code, _, err) = scorecard(&[
            "run",
            &path.display().to_string(),
            "--format",
            "xlsx",
            "--deterministic",
            "-o",
            &file.display().to_string(),
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let mut book: Xlsx<_> = calamine::open_workbook(&file).expect("calamine opens it");
        // A Cohorts sheet where the scorecard declares a cohort.
        let mut sheets = vec!["KPIs", "Scores", "Escalations", "Warnings"];
        if json.get("cohorts").is_some() {
            sheets.push("Cohorts");
        }
        sheets.push("Manifest");
        assert_eq!(book.sheet_names(), sheets, "{name}");
        let sheet = book.worksheet_range("KPIs").expect("the KPI sheet");
        let rows: Vec<&[Data]> = sheet.rows().collect();
        let text = |d: &Data| match d {
            Data::String(s) => s.clone(),
            Data::Empty => String::new(),
            other => other.to_string(),
        };
        assert_eq!(
            rows[0].iter().map(text).collect::<Vec<_>>(),
            [
                "KPI",
                "Label",
                "Objective",
                "Unit",
                "Segment",
                "Period",
                "Partial",
                "Value",
                "Target",
                "Variance",
                "Status",
                "Score",
                "Partial periods",
                "Unmet gates"
            ]
        );
        let mut i = 1;
        for k in json["kpis"].as_array().expect("kpis") {
            for r in k["results"].as_array().expect("results") {
                let cells = rows[i];
                i += 1;
                assert_eq!(text(&cells[0]), k["name"].as_str().unwrap_or(""));
                assert_eq!(text(&cells[5]), r["period"].as_str().unwrap_or(""));
                for (col, field) in [(7, "value"), (8, "target"), (9, "variance"), (11, "score")] {
                    match r[field].as_str() {
                        None => assert_eq!(cells[col], Data::Empty, "{name} {field}"),
                        Some(exact) => {
                            let Data::Float(x) = cells[col] else {
                                panic!("{name}: {field} {exact} is not a number: {:?}", cells[col]);
                            };
                            let places = exact.split_once('.').map_or(0, |(_, f)| f.len());
                            assert_eq!(format!("{x:.places$}"), exact, "{name} {field}");
                        }
                    }
                }
                assert_eq!(
                    text(&cells[10]),
                    r["status"].as_str().unwrap_or("").replace('_', " ")
                );
                assert_eq!(cells[6], Data::Bool(r["partial"] == true), "{name}");
                let short: Vec<&str> = r["partial_periods"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|p| p.as_str()).collect())
                    .unwrap_or_default();
                assert_eq!(text(&cells[12]), short.join(" "), "{name}");
            }
        }
        assert_eq!(i, rows.len(), "{name}: one row per result");
        let escalations = book.worksheet_range("Escalations").expect("a sheet");
        assert_eq!(
            escalations.rows().count() - 1,
            json["escalations"].as_array().map_or(0, Vec::len)
        );
    }
}

#[test]
fn outputs_are_byte_identical_for_the_same_inputs() {
    let out = out_dir();
    let path = crate::cli::RETAIL;
    for (format, ext) in [("xlsx", "xlsx"), ("markdown", "md")] {
        let mut written = Vec::new();
        for n in 0..2 {
            let file = out.path().join(format!("{n}.{ext}"));
            let (code, _, err) = scorecard(&[
                "run",
                path,
                "--format",
                format,
                "--deterministic",
                "-o",
                &file.display().to_string(),
            ]);
            assert_eq!(code, 0, "{err}");
            written.push(std::fs::read(&file).expect("written"));
        }
        assert_eq!(written[0], written[1], "{format}");
    }
    let pages: Vec<Vec<u8>> = (0..2)
        .map(|n| {
            let p = out.path().join(format!("{n}.html"));
            render(Path::new(path), &p);
            std::fs::read(&p).expect("written")
        })
        .collect();
    assert_eq!(pages[0], pages[1]);
}

#[test]
fn a_report_that_fails_keeps_the_earlier_file() {
    let out = out_dir();
    let page = out.path().join("report.html");
    std::fs::write(&page, "the earlier report").expect("write");
    let broken = out.path().join("broken.scorecard");
    std::fs::write(
        &broken,
        "scorecard x { currency: USD  grain: month }\nkpi k { value: sum(nowhere.amount) }\n",
    )
    .expect("write");
    let (code, _, err) = scorecard(&[
        "report",
        &broken.display().to_string(),
        "-o",
        &page.display().to_string(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nowhere"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&page).expect("kept"),
        "the earlier report"
    );
}

/// A KPI by customer can have thousands of segments; the page lists the first 100 and says so.
#[test]
fn a_detail_lists_at_most_a_hundred_segments_and_says_how_many_there_are() {
    let source = r#"
scorecard wide { currency: USD  grain: month }
dataset sales { source: "sales.csv"  time: day  columns: { day: date  customer: text  amount: money } }
kpi revenue { value: sum(sales.amount)  by: customer }
"#;
    let mut csv = String::from("day,customer,amount\n");
    for c in 0..150 {
        csv.push_str(&format!("2026-01-05,c{c:03},10.00\n"));
    }
    let dir = folder(&[("sales.csv", &csv)]);
    let m = model(source);
    let e = scorecard::evaluate_for_report(&m, &options(dir.path())).expect("runs");
    let page = scorecard::report::html::html(&e, &m);
    let detail = section(&page, "kpi-revenue");
    assert_eq!(detail.matches("<tr><td>customer=c").count(), 100);
    // One day of January is all the data covers: every result is partial.
    assert!(detail.contains("<tr><td>customer=c099 (partial)</td>"));
    assert!(!detail.contains("customer=c100"));
    assert!(detail.contains("The first 100 of 150 segments"), "{detail}");
}

/// The contents bar links only to parts the page has: with data files holding no rows there are no
/// periods, so no attribution section, and no link to one.
#[test]
fn the_contents_link_only_to_parts_the_page_shows() {
    let source = std::fs::read_to_string("scorecards/marketing/marketing.scorecard")
        .expect("the example")
        .replace("\"data/", "\"");
    let dir = folder(&[
        (
            "touchpoints.csv",
            "customer,touched_at,channel,impressions\n",
        ),
        ("orders.csv", "order_id,customer,order_date,revenue\n"),
        ("spend.csv", "month,channel,amount\n"),
    ]);
    let m = model(&source);
    let e = scorecard::evaluate_for_report(&m, &options(dir.path())).expect("runs");
    assert!(e.periods.is_empty() && !e.attribution.is_empty());
    let page = scorecard::report::html::html(&e, &m);
    let nav = &page[page.find("<nav>").expect("a nav")..page.find("</nav>").expect("an end")];
    for link in nav.split("<a href=\"#").skip(1) {
        let target = &link[..link.find('"').expect("an end")];
        assert!(
            page.contains(&format!("id=\"{target}\"")),
            "the contents link to #{target}, which the page does not have"
        );
    }
    assert!(!page.contains("href=\"#attribution\""));
}
