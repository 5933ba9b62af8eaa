//! A run that is killed midway leaves every earlier output as it was, a long run shows its progress
//! on a terminal only, a run under a memory limit gives the numbers it gives without one, and the committed fuzz corpora (fuzz/corpus/) replay through the same calls as the fuzz targets without a panic.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EARLIER: &str = "the earlier output, which a killed run must leave alone\n";

/// Starts the binary, lets it work for a while, checks that it is still working, and kills it.
fn kill_midway(mut child: Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(600) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.try_wait().expect("poll the run");
    assert!(
        status.is_none(),
        "the run ended ({status:?}) before it could be killed: give it more work"
    );
    child.kill().expect("kill the run");
    child.wait().expect("reap the run");
}

fn binary() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scorecard"));
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// `rows` generated retail order lines (and the budget) as CSV in `folder`.
fn generate_retail(rows: usize, folder: &Path) {
    let made = binary()
        .args([
            "generate",
            "retail",
            "--rows",
            &rows.to_string(),
            "--format",
            "csv",
            "--out",
        ])
        .arg(folder)
        .status()
        .unwrap();
    assert!(made.success());
}

/// The binary with its output captured.
fn captured() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scorecard"))
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_killed_run_leaves_the_earlier_output_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // 400,000 order lines: seconds of work for a debug build, so the kill lands mid-run.
    generate_retail(400_000, &data);
    let out = tmp.path().join("results.json");
    std::fs::write(&out, EARLIER).unwrap();
    let run = |c: &mut Command| {
        c.args(["run", crate::cli::RETAIL, "--format", "json", "--data"])
            .arg(tmp.path())
            .arg("-o")
            .arg(&out)
            .spawn()
            .unwrap()
    };
    kill_midway(run(&mut binary()));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), EARLIER);
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );

    // Left to finish, the same run replaces it with the whole evaluation.
    assert!(run(&mut binary()).wait().unwrap().success());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).expect("whole JSON");
    assert!(json["kpis"].as_array().is_some_and(|k| !k.is_empty()));
}

/// A run long enough to need a progress bar draws one on a terminal (here a pseudo-terminal that
/// `script` gives it), and nothing of it when stderr is a pipe.
#[test]
fn progress_shows_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    generate_retail(200_000, &tmp.path().join("data"));
    let run = format!(
        "{} run {} --data {} --format json -o {}",
        env!("CARGO_BIN_EXE_scorecard"),
        crate::cli::RETAIL,
        tmp.path().display(),
        tmp.path().join("out.json").display()
    );
    let on_terminal = Command::new("script")
        .args(["-qfec", &run, "/dev/null"])
        .output()
        .expect("script (util-linux) runs");
    assert!(on_terminal.status.success());
    let drawn = String::from_utf8_lossy(&on_terminal.stdout);
    // 200,000 orders and the 144 budget rows; both datasets.
    assert!(drawn.contains("reading orders"), "{drawn}");
    assert!(drawn.contains("200,144 rows read"), "{drawn}");
    assert!(drawn.contains("2 of 2 datasets"), "{drawn}");

    let piped = captured()
        .args(["run", crate::cli::RETAIL, "--format", "json", "--data"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(String::from_utf8_lossy(&piped.stderr), "");
}

/// 600,000 order lines (a 55 MB file, more in memory) run under a 48 MiB limit: the rows are
/// staged on disk, the key column checked by its hashes, the distinct count of orders counted by
/// a grouping that spills, and every number, byte for byte, is the unlimited run's.
#[test]
fn a_run_whose_data_exceeds_its_memory_limit_gives_the_same_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    generate_retail(600_000, &tmp.path().join("data"));
    let size = std::fs::metadata(tmp.path().join("data/orders.csv"))
        .unwrap()
        .len();
    assert!(size > 48 << 20, "the data ({size} bytes) exceeds the limit");
    let run = |limit: Option<&str>| {
        let mut c = captured();
        c.args([
            "run",
            crate::cli::RETAIL,
            "--format",
            "json",
            "--deterministic",
            "--data",
        ])
        .arg(tmp.path());
        if let Some(l) = limit {
            c.args(["--memory-limit", l]);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let free = run(None);
    assert!(free.len() > 1000);
    assert!(
        run(Some("48MiB")) == free,
        "the limited run's numbers differ"
    );
}

/// A repeated key found by the staged rows' sort is reported as the in-memory check reports it.
#[test]
fn a_repeated_key_under_a_memory_limit_names_the_same_lines() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    let orders = std::fs::read_to_string("scorecards/retail/data/orders.csv").unwrap();
    // Line 9 repeats at the end (line 8871) of the 8,870-line file.
    let line9 = orders.lines().nth(8).unwrap().to_string();
    std::fs::write(
        tmp.path().join("data/orders.csv"),
        format!("{orders}{line9}\n"),
    )
    .unwrap();
    std::fs::copy(
        "scorecards/retail/data/budget.csv",
        tmp.path().join("data/budget.csv"),
    )
    .unwrap();
    let run = |limit: &[&str]| {
        let out = captured()
            .args(["run", crate::cli::RETAIL, "--data"])
            .arg(tmp.path())
            .args(limit)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let free = run(&[]);
    assert!(
        free.contains("error[scorecard::data::repeated_key]"),
        "{free}"
    );
    assert!(
        free.contains(":8871:") && free.contains("first seen on line 9\n"),
        "{free}"
    );
    assert_eq!(run(&["--memory-limit", "64MiB"]), free);
}

/// 3,000 customers over 12 months, by customer, each with no rows in a third of the months: the
/// total and 3,000 customers in 12 periods are 36,012 results of each of two KPIs, about 74 MB as
/// the guard counts them (1 KB each). Under an 8 MiB limit a terminal table or Markdown is refused
/// before any result is made, with the numbers; CSV and JSON keep the results on disk until they
/// are written, to standard output or to a file, with the same bytes as without a limit, the
/// thresholds' bands, year-to-date windows and a segmented escalation included.
#[test]
fn results_that_would_not_fit_the_memory_limit_are_kept_on_disk_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,day,customer,amount\n");
    for month in 1..=12 {
        for c in 0..3_000 {
            if (c + month) % 3 != 0 {
                let cents = (c * 7 + month * 13) % 10_000;
                csv.push_str(&format!(
                    "{month}-{c},2026-{month:02}-01,c{c},{}.{:02}\n",
                    cents / 100,
                    cents % 100
                ));
            }
        }
    }
    std::fs::write(tmp.path().join("sales.csv"), csv).unwrap();
    let card = tmp.path().join("s.scorecard");
    std::fs::write(
        &card,
        "scorecard s { currency: USD  grain: month }\n\
         dataset sales { source: \"sales.csv\"  time: day  columns: { id: text key  day: date  customer: text  amount: money } }\n\
         kpi spend { unit: money  value: sum(sales.amount)  target: 50  thresholds: green >= 50, amber >= 25, red otherwise  by: customer }\n\
         kpi spend_ytd { unit: money  value: ytd(spend)  by: customer }\n\
         escalation low \"Low spend\" { when: spend is red for 2 periods  severity: low  owner: \"Sales\"  message: \"{customer} spent {value} in {period}\" }\n",
    )
    .unwrap();
    let run = |format: &str, limit: Option<&str>, out: Option<&str>| {
        let mut c = captured();
        c.args(["run"])
            .arg(&card)
            .args(["--format", format, "--deterministic"]);
        if let Some(l) = limit {
            c.args(["--memory-limit", l]);
        }
        if let Some(o) = out {
            c.arg("-o").arg(tmp.path().join(o));
        }
        c.output().unwrap()
    };
    for format in ["table", "markdown"] {
        let refused = run(format, Some("8MiB"), None);
        assert_eq!(refused.status.code(), Some(2));
        let e = String::from_utf8_lossy(&refused.stderr);
        assert!(e.contains("error[scorecard::run::memory]"), "{e}");
        assert!(
            e.contains("report 72024 results")
                && e.contains(
                    "kpi `spend` alone has 3000 segments (by customer) in each of 12 periods"
                )
                && e.contains(
                    "`scorecard run --format csv` or `--format json` keeps the results on disk"
                ),
            "{e}"
        );
        assert!(refused.stdout.is_empty());
    }
    for format in ["csv", "json"] {
        let free = run(format, None, None);
        assert!(
            free.status.success(),
            "{}",
            String::from_utf8_lossy(&free.stderr)
        );
        let text = String::from_utf8_lossy(&free.stdout).to_string();
        if format == "csv" {
            assert_eq!(
                text.lines().count(),
                1 + 2 * 36_012,
                "a header and every result"
            );
            // c1 has no rows in month 2 ((1 + 2) % 3 == 0): no value, not zero.
            assert!(
                text.contains("spend,,money,2026-02,false,customer=c1,,50.00,,no_value,,,,,\n"),
                "{}",
                &text[..2000]
            );
        } else {
            assert!(
                text.contains("\"escalations\": [\n    {"),
                "an escalation was raised"
            );
        }
        let limited = run(format, Some("8MiB"), None);
        assert!(
            limited.status.success(),
            "{}",
            String::from_utf8_lossy(&limited.stderr)
        );
        assert!(limited.stdout == free.stdout, "{format} to standard output");
        let file = format!("results.{format}");
        let written = run(format, Some("8MiB"), Some(&file));
        assert!(written.status.success());
        let on_disk = std::fs::read(tmp.path().join(&file)).unwrap();
        assert!(on_disk == free.stdout, "{format} to a file");
    }
}

#[test]
fn a_killed_generate_leaves_the_earlier_files_intact() {
    let tmp = tempfile::tempdir().unwrap();
    generate_retail(100, tmp.path());
    let orders = tmp.path().join("orders.csv");
    let earlier = std::fs::read(&orders).unwrap();
    let child = binary()
        .args([
            "generate", "retail", "--rows", "5000000", "--format", "csv", "--out",
        ])
        .arg(tmp.path())
        .spawn()
        .unwrap();
    kill_midway(child);
    assert_eq!(std::fs::read(&orders).unwrap(), earlier);
}

// ---- the fuzz corpora, replayed

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(Path::new("fuzz/corpus").join(target))
        .unwrap_or_else(|_| panic!("fuzz/corpus/{target}"))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "fuzz/corpus/{target} has {} inputs",
        files.len()
    );
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// The fuzz targets' checks, the very code they run.
mod checks {
    include!("../fuzz/checks.rs");
}

#[test]
fn the_parse_check_corpus_replays() {
    for input in corpus("parse_check") {
        checks::parse_check(&input);
    }
}

#[test]
fn the_csv_ingest_corpus_replays() {
    let schema = std::fs::read_to_string("fuzz/csv_ingest.scorecard").unwrap();
    let model = crate::support::model(&schema);
    let read = corpus("csv_ingest")
        .iter()
        .filter(|input| checks::csv_ingest(&model.datasets[0], input))
        .count();
    assert!(
        read > 0,
        "no input in the corpus reads: the schema and the seeds disagree"
    );
}

#[test]
fn the_rhai_function_corpus_replays() {
    // Every input also ends well within the sandbox's limits.
    for input in corpus("rhai_function") {
        let start = Instant::now();
        checks::rhai_function(&input);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}",
            String::from_utf8_lossy(&input)
        );
    }
}

/// Segments whose rows all come before `--from` still have values in the reported periods, through
/// `cumulative` and `x[-1]`, and open escalations: they were left out (the adversary's case). By
/// hand: seg a's cumulative is -5.00 in every month from January, red, so its escalation is open
/// in April; b's is 2.00 and c's 3.00 (green); c's `m[-1]` in April is its March sum, 3.00.
#[test]
fn segments_with_rows_only_before_from_are_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("d.csv"),
        "id,day,seg,amt\n1,2024-01-05,a,-5.00\n2,2024-02-05,b,2.00\n3,2024-03-05,c,3.00\n4,2024-04-05,d,4.00\n",
    )
    .unwrap();
    let card = dir.path().join("s.scorecard");
    std::fs::write(
        &card,
        "scorecard s { currency: USD  grain: month }\n\
         dataset d { source: \"d.csv\"  time: day  columns: { id: integer key  day: date  seg: text  amt: money } }\n\
         kpi m { unit: money  value: sum(d.amt)  by: seg }\n\
         kpi c { unit: money  value: cumulative(m)  by: seg  thresholds: green >= 0, red otherwise }\n\
         kpi p { unit: money  value: m[-1]  by: seg }\n\
         escalation low \"Cumulative below zero\" { when: c is red  severity: high  message: \"{seg} {value} in {period}\" }\n",
    )
    .unwrap();
    let out = captured()
        .args(["run"])
        .arg(&card)
        .args(["--from", "2024-04", "--format", "csv", "--fail-on", "high"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "seg a's escalation is open: {text}"
    );
    // The data ends on 5 April, so April is covered only in part: `m` and the cumulative `c`
    // read it; `p` reads March, covered whole.
    for row in [
        "c,,money,2024-04,true,seg=a,-5.00,,,red,",
        "c,,money,2024-04,true,seg=b,2.00,,,green,",
        "c,,money,2024-04,true,seg=c,3.00,,,green,",
        "p,,money,2024-04,false,seg=c,3.00,,,unrated,",
        "m,,money,2024-04,true,seg=a,,,,no_value,",
    ] {
        assert!(text.contains(row), "{row} in:\n{text}");
    }
}

/// CSV and JSON written a row at a time stop quietly when the reader of standard output goes
/// (`| head -1`), as the other formats do: the CSV writer's broken pipe was reported as a failure.
#[test]
fn a_reader_that_goes_away_early_is_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,day,customer,amount\n");
    for c in 0..20_000 {
        csv.push_str(&format!("{c},2026-01-01,c{c},1.00\n"));
    }
    std::fs::write(dir.path().join("sales.csv"), csv).unwrap();
    let card = dir.path().join("s.scorecard");
    std::fs::write(
        &card,
        "scorecard s { currency: USD  grain: month }\ndataset sales { source: \"sales.csv\"  time: day  columns: { id: text key  day: date  customer: text  amount: money } }\nkpi spend { unit: money  value: sum(sales.amount)  by: customer }\n",
    )
    .unwrap();
    // A device is written as the output is made, as standard output is.
    let to_null = captured()
        .args(["run"])
        .arg(&card)
        .args(["--format", "csv", "-o", "/dev/null"])
        .output()
        .unwrap();
    assert!(to_null.status.success() && to_null.stdout.is_empty());
    for (format, out) in [("csv", None), ("json", None), ("csv", Some("/dev/stdout"))] {
        let mut c = captured();
        c.args(["run"]).arg(&card).args(["--format", format]);
        if let Some(o) = out {
            c.args(["-o", o]);
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        let done = child.wait_with_output().unwrap();
        assert_eq!(
            done.status.code(),
            Some(0),
            "{format} {out:?}: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}
