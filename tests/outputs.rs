//! Nothing written where it should not be (docs/robustness.md, "Outputs"): every output is staged
//! under an unpredictable name and renamed into place, the outputs of a command together and only
//! when it succeeds, never over a file the command reads; a link is written through and a replaced
//! file keeps its permissions; `generate` writes only into a folder of its own and cleans up after
//! an interrupted run; `diff` never hands git an option.

use crate::support::scorecard_in;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A copy of the bundled examples (one project, `scorecards/`) in a fresh folder.
fn examples() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_folder(Path::new("scorecards"), tmp.path());
    tmp
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The hidden temporary files in a folder.
fn temporaries(dir: &Path) -> Vec<String> {
    let names = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name());
    let names = names.map(|n| n.to_string_lossy().into_owned());
    names.filter(|n| n.ends_with(".tmp")).collect()
}

fn json_kpis(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).expect("whole JSON");
    json["kpis"].as_array().map_or(0, Vec::len)
}

#[test]
fn links_planted_at_the_temporary_names_an_output_could_take_receive_nothing() {
    // The temporary file of `-o out.json` was `.out.json.PID.tmp`, created following links: anyone
    // who could write in the folder could send the output into any file by planting links for
    // the next process ids. Plant them for the next 3,000.
    let tmp = examples();
    let dir = tmp.path().join("retail");
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(std::process::id());
    for pid in last + 1..=last + 3000 {
        symlink(&victim, dir.join(format!(".out.json.{pid}.tmp"))).unwrap();
    }
    let (code, _, err) = scorecard_in(
        &dir,
        &[
            "run",
            "retail.scorecard",
            "--format",
            "json",
            "-o",
            "out.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let out = std::fs::symlink_metadata(dir.join("out.json")).unwrap();
    assert!(out.file_type().is_file(), "out.json is a file, not a link");
    assert_eq!(json_kpis(&dir.join("out.json")), 8);
}

#[test]
fn a_replaced_output_keeps_its_permissions_and_a_new_one_gets_the_usual_ones() {
    let tmp = examples();
    let dir = tmp.path().join("retail");
    for (name, m) in [("private.json", 0o600), ("group.json", 0o640)] {
        let path = dir.join(name);
        std::fs::write(&path, "earlier").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        let (code, _, err) = scorecard_in(
            &dir,
            &["run", "retail.scorecard", "--format", "json", "-o", name],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(json_kpis(&path), 8);
        assert_eq!(mode(&path), m, "{name}");
    }
    // A new output gets what any new file gets under the umask, not a temporary file's 0600.
    let usual = dir.join("usual");
    std::fs::File::create(&usual).unwrap();
    let (code, _, err) = scorecard_in(&dir, &["report", "retail.scorecard", "-o", "new.html"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&dir.join("new.html")), mode(&usual));

    // `fmt` keeps a scorecard's mode.
    let card = dir.join("retail.scorecard");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(&card, text.replacen("kpi ", "kpi  ", 1)).unwrap();
    std::fs::set_permissions(&card, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, out, err) = scorecard_in(&dir, &["fmt", "retail.scorecard"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "formatted retail.scorecard\n"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&card).unwrap(), text);
    assert_eq!(mode(&card), 0o640);
}

#[test]
fn an_output_that_is_a_link_is_written_through_to_its_target() {
    let tmp = examples();
    let dir = tmp.path().join("retail");
    std::fs::create_dir(tmp.path().join("published")).unwrap();
    let target = tmp.path().join("published/results.json");
    std::fs::write(&target, "earlier").unwrap();
    symlink("../published/results.json", dir.join("results.json")).unwrap();
    // A dangling link: its target is created.
    symlink("../published/new.json", dir.join("new.json")).unwrap();
    for name in ["results.json", "new.json"] {
        let (code, _, err) = scorecard_in(
            &dir,
            &["run", "retail.scorecard", "--format", "json", "-o", name],
        );
        assert_eq!(code, 0, "{err}");
        let link = std::fs::symlink_metadata(dir.join(name)).unwrap();
        assert!(link.file_type().is_symlink(), "{name} is still a link");
        assert_eq!(json_kpis(&tmp.path().join("published").join(name)), 8);
    }
    assert!(temporaries(&dir).is_empty() && temporaries(&tmp.path().join("published")).is_empty());

    // `fmt` on a scorecard that is a link formats the file it names and keeps the link.
    let real = tmp.path().join("published/real.scorecard");
    std::fs::write(&real, "scorecard  x { currency: USD }\n").unwrap();
    symlink(&real, dir.join("linked.scorecard")).unwrap();
    let (code, _, err) = scorecard_in(&dir, &["fmt", "linked.scorecard"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "scorecard x { currency: USD }\n"
    );
    let link = std::fs::symlink_metadata(dir.join("linked.scorecard")).unwrap();
    assert!(link.file_type().is_symlink());
}

/// Every file in the folder, with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            out.extend(snapshot(&path));
        } else if path.is_file() {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn an_output_that_is_a_file_the_command_reads_is_refused_before_it_reads_data() {
    let tmp = examples();
    let root = tmp.path();
    // Reading the budget would fail: a refusal that names the clash came before any data was read.
    std::fs::write(
        root.join("retail/data/budget.csv"),
        "month,region,revenue\n2026-01-01,EMEA,not money\n",
    )
    .unwrap();
    symlink("data/orders.csv", root.join("retail/orders_link.csv")).unwrap();
    std::fs::hard_link(
        root.join("retail/data/orders.csv"),
        root.join("retail/orders_hard.csv"),
    )
    .unwrap();
    let before = snapshot(root);
    let cases: &[&[&str]] = &[
        &[
            "run",
            "retail/retail.scorecard",
            "--format",
            "csv",
            "-o",
            "retail/data/orders.csv",
        ],
        &[
            "run",
            "retail/retail.scorecard",
            "-o",
            "retail/retail.scorecard",
        ],
        &["run", "retail/retail.scorecard", "-o", "scorecard.toml"],
        &[
            "run",
            "retail/retail.scorecard",
            "-o",
            "balanced/balanced.scorecard",
        ],
        &[
            "run",
            "retail/retail.scorecard",
            "-o",
            "retail/orders_link.csv",
        ],
        &[
            "run",
            "retail/retail.scorecard",
            "-o",
            "retail/orders_hard.csv",
        ],
        &[
            "run",
            "retail/retail.scorecard",
            "-o",
            "marketing/../retail/data/orders.csv",
        ],
        &[
            "run",
            "balanced/balanced.scorecard",
            "-o",
            "retail/data/orders.csv",
        ],
        &[
            "run",
            "marketing/marketing.scorecard",
            "--credits",
            "marketing/data/touchpoints.csv",
        ],
        &[
            "report",
            "retail/retail.scorecard",
            "-o",
            "retail/data/orders.csv",
        ],
        &[
            "explain",
            "retail/retail.scorecard",
            "net_revenue",
            "--period",
            "2026-10",
            "--rows-out",
            "retail/data/orders.csv",
        ],
        &[
            "explain",
            "retail/retail.scorecard",
            "net_revenue",
            "--period",
            "2026-10",
            "-o",
            "retail/retail.scorecard",
        ],
        &[
            "diff",
            "retail/retail.scorecard",
            "retail/retail.scorecard",
            "--data",
            "retail",
            "-o",
            "retail/data/orders.csv",
        ],
        &[
            "diff",
            "retail/retail.scorecard",
            "balanced/balanced.scorecard",
            "-o",
            "balanced/balanced.scorecard",
        ],
        &[
            "check",
            "--format",
            "sarif",
            "retail/retail.scorecard",
            "-o",
            "retail/retail.scorecard",
        ],
        &[
            "test",
            "retail/retail.scorecard",
            "--junit",
            "retail/retail.scorecard",
        ],
        // `test` reads each test's own rows, but a mistyped `--junit` replaced a dataset's file.
        &[
            "test",
            "retail/retail.scorecard",
            "--junit",
            "retail/data/orders.csv",
        ],
        &[
            "sql",
            "retail/retail.scorecard",
            "-o",
            "retail/retail.scorecard",
        ],
        // `sql` reads no data, but a mistyped `-o` replaced a dataset's file.
        &[
            "sql",
            "retail/retail.scorecard",
            "-o",
            "retail/data/orders.csv",
        ],
        &[
            "graph",
            "balanced/balanced.scorecard",
            "-o",
            "balanced/balanced.scorecard",
        ],
    ];
    for args in cases {
        let (code, _, err) = scorecard_in(root, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("error[scorecard::io::output_clash]")
                && err.contains("which this command reads"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("scorecard::data::"), "{args:?}: {err}");
        assert!(snapshot(root) == before, "{args:?} changed a file");
    }
    let (_, _, err) = scorecard_in(root, cases[0]);
    assert!(
        err.contains("`retail/data/orders.csv` (-o) is the data of dataset `orders`"),
        "{err}"
    );
}

#[test]
fn two_outputs_of_one_command_may_not_be_one_file() {
    let tmp = examples();
    let dir = tmp.path().join("marketing");
    let cases: &[&[&str]] = &[
        &[
            "run",
            "marketing.scorecard",
            "--credits",
            "out.csv",
            "-o",
            "out.csv",
        ],
        &[
            "run",
            "marketing.scorecard",
            "--credits",
            "out.csv",
            "-o",
            "./data/../out.csv",
        ],
        &[
            "explain",
            "marketing.scorecard",
            "marketing_roi",
            "--period",
            "2026-10",
            "--rows-out",
            "out.csv",
            "-o",
            "out.csv",
        ],
    ];
    for args in cases {
        let (code, _, err) = scorecard_in(&dir, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("error[scorecard::io::output_clash]")
                && err.contains("named as two outputs"),
            "{args:?}: {err}"
        );
        assert!(!dir.join("out.csv").exists());
    }
    // Devices replace nothing: both outputs may go to /dev/null.
    let (code, _, err) = scorecard_in(
        &dir,
        &[
            "run",
            "marketing.scorecard",
            "--credits",
            "/dev/null",
            "-o",
            "/dev/null",
        ],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_command_that_fails_writes_none_of_its_outputs() {
    let tmp = examples();
    let dir = tmp.path().join("marketing");
    std::fs::write(dir.join("credits.csv"), "earlier credits\n").unwrap();
    std::fs::write(dir.join("out.json"), "earlier results\n").unwrap();
    // The case: the results cannot be written, so the credit table is not either.
    let (code, _, err) = scorecard_in(
        &dir,
        &[
            "run",
            "marketing.scorecard",
            "--credits",
            "credits.csv",
            "-o",
            "/nonexistent/out.json",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("scorecard::io::write_output") && err.contains("does not exist"),
        "{err}"
    );
    // A data error after both outputs were named: neither is written.
    let spend = dir.join("data/spend.csv");
    let text = std::fs::read_to_string(&spend).unwrap();
    std::fs::write(&spend, format!("{text}2026-01-01,email,12.345\n")).unwrap();
    let (code, _, err) = scorecard_in(
        &dir,
        &[
            "run",
            "marketing.scorecard",
            "--format",
            "json",
            "--credits",
            "credits.csv",
            "-o",
            "out.json",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scorecard::data::bad_value"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("credits.csv")).unwrap(),
        "earlier credits\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("out.json")).unwrap(),
        "earlier results\n"
    );
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));

    // With good data, both are written.
    std::fs::write(&spend, text).unwrap();
    let (code, _, err) = scorecard_in(
        &dir,
        &[
            "run",
            "marketing.scorecard",
            "--format",
            "json",
            "--credits",
            "credits.csv",
            "-o",
            "out.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(dir.join("credits.csv"))
        .unwrap()
        .starts_with("attribution,"));
    assert!(json_kpis(&dir.join("out.json")) > 0);
}

#[test]
fn no_output_of_a_project_run_may_replace_what_another_of_its_scorecards_reads() {
    // Two scorecards run together, each result named after its scorecard in the output folder:
    // `orders.scorecard`'s CSV would land on the orders data that `sales.scorecard` reads.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir(root.join("data")).unwrap();
    std::fs::write(
        root.join("scorecard.toml"),
        "[project]\nscorecards = [\"*.scorecard\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("data/orders.csv"),
        "day,amount\n2026-01-02,5.00\n",
    )
    .unwrap();
    let card = |source: &str| {
        format!("scorecard t {{ currency: USD }}\ndataset d {{\n  source: \"{source}\"\n  time: day\n  columns: {{ day: date  amount: money }}\n}}\nkpi total {{ value: sum(d.amount) }}\n")
    };
    std::fs::write(root.join("orders.scorecard"), card("data/other.csv")).unwrap();
    std::fs::write(root.join("data/other.csv"), "day,amount\n2026-01-02,7.00\n").unwrap();
    std::fs::write(root.join("sales.scorecard"), card("data/orders.csv")).unwrap();
    let before = snapshot(root);
    let (code, _, err) = scorecard_in(root, &["run", "--format", "csv", "-o", "data"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`data/orders.csv` (-o) is the data of dataset `d`"),
        "{err}"
    );
    assert!(snapshot(root) == before);
    // Into another folder, both are written.
    let (code, _, err) = scorecard_in(root, &["run", "--format", "csv", "-o", "results"]);
    assert_eq!(code, 0, "{err}");
    let sales = std::fs::read_to_string(root.join("results/sales.csv")).unwrap();
    assert!(sales.contains("5.00"), "{sales}");
}

#[test]
fn generate_writes_only_into_a_folder_of_its_own() {
    let tmp = examples();
    let data = tmp.path().join("retail/data");
    let before = snapshot(&data);
    // The case: the example's real data.
    let (code, _, err) = scorecard_in(
        tmp.path(),
        &["generate", "retail", "--rows", "10", "--out", "retail/data"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error[scorecard::io::foreign_files]")
            && err.contains("(budget.csv, orders.csv)"),
        "{err}"
    );
    assert!(snapshot(&data) == before);

    // A new folder, then the same folder again (it holds only what generate wrote).
    let out = tmp.path().join("generated");
    for rows in ["50", "20"] {
        let (code, stdout, err) = scorecard_in(
            tmp.path(),
            &[
                "generate",
                "retail",
                "--rows",
                rows,
                "--format",
                "csv",
                "--out",
                "generated",
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert!(
            stdout.contains(&format!("generated/orders.csv ({rows} rows)")),
            "{stdout}"
        );
    }
    let listed = std::fs::read_to_string(out.join(".scorecard-generate")).unwrap();
    assert!(listed.ends_with("\nbudget.csv\norders.csv\n"), "{listed}");

    // A file of someone else's beside them: refused, and with --force only generate's own files
    // are replaced.
    std::fs::write(out.join("notes.txt"), "mine\n").unwrap();
    let args = [
        "generate",
        "retail",
        "--rows",
        "30",
        "--format",
        "csv",
        "--out",
        "generated",
    ];
    let (code, _, err) = scorecard_in(tmp.path(), &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("(notes.txt)") && err.contains("--force"),
        "{err}"
    );
    let (code, _, err) = scorecard_in(tmp.path(), &[&args[..], &["--force"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("orders.csv"))
            .unwrap()
            .lines()
            .count(),
        31
    );

    // A file it would replace that is a link is refused even with --force.
    std::fs::remove_file(out.join("budget.csv")).unwrap();
    symlink(
        tmp.path().join("retail/data/budget.csv"),
        out.join("budget.csv"),
    )
    .unwrap();
    let (code, _, err) = scorecard_in(tmp.path(), &[&args[..], &["--force"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a link or not a regular file"), "{err}");
    assert!(snapshot(&data) == before);
}

#[test]
fn generate_rows_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    for rows in ["0", "1000000001", "18446744073709551615", "1e9", "lots"] {
        let (code, _, err) = scorecard_in(
            tmp.path(),
            &["generate", "retail", "--rows", rows, "--out", "g"],
        );
        assert_eq!(code, 2, "{rows}: {err}");
        assert!(err.contains("from 1 to 1,000,000,000"), "{rows}: {err}");
    }
    assert!(!tmp.path().join("g").exists());
    let (code, _, err) = scorecard_in(
        tmp.path(),
        &[
            "generate", "retail", "--rows", "1_000", "--format", "csv", "--out", "g",
        ],
    );
    assert_eq!(code, 0, "{err}");
}

/// Starts `generate` of enough rows to take seconds, in a folder a small generate made first.
fn long_generate(dir: &Path) -> (std::process::Child, Vec<u8>) {
    let small = [
        "generate", "retail", "--rows", "100", "--format", "csv", "--out",
    ];
    let (code, _, err) = scorecard_in(dir, &[&small[..], &["g"]].concat());
    assert_eq!(code, 0, "{err}");
    let earlier = std::fs::read(dir.join("g/orders.csv")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "generate", "retail", "--rows", "5000000", "--format", "csv", "--out", "g",
        ])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it is writing: a temporary file has appeared and grown.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let growing = std::fs::read_dir(dir.join("g")).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().ends_with(".tmp")
                && e.metadata().is_ok_and(|m| m.len() > 1 << 20)
        });
        if growing {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, earlier)
}

#[test]
fn an_interrupted_generate_removes_its_temporary_files_and_keeps_the_earlier_ones() {
    for signal in ["TERM", "INT", "HUP"] {
        let tmp = tempfile::tempdir().unwrap();
        let (mut child, earlier) = long_generate(tmp.path());
        assert!(
            !temporaries(&tmp.path().join("g")).is_empty(),
            "it was writing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "still running when signalled"
        );
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "SIG{signal}: {status:?}");
        let g = tmp.path().join("g");
        assert!(
            temporaries(&g).is_empty(),
            "SIG{signal}: {:?}",
            temporaries(&g)
        );
        assert_eq!(std::fs::read(g.join("orders.csv")).unwrap(), earlier);
    }
}

#[test]
fn generate_removes_what_a_killed_generate_left() {
    // SIGKILL cannot be caught: the next generate into the folder removes the leftovers.
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, earlier) = long_generate(tmp.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let g = tmp.path().join("g");
    assert!(
        !temporaries(&g).is_empty(),
        "a killed generate leaves its temporary files"
    );
    assert_eq!(std::fs::read(g.join("orders.csv")).unwrap(), earlier);
    // One of an old binary's (`.NAME.PID.tmp`), a killed marketing generate's, a second name kept
    // during a commit, and one of someone else's that is not generate's.
    std::fs::write(g.join(".orders.csv.4242.tmp"), "old").unwrap();
    std::fs::write(g.join(".touchpoints.parquet.Ab12Cd.tmp"), "marketing").unwrap();
    std::fs::write(g.join(".budget.csv.Xy98Zw.bak"), "kept").unwrap();
    std::fs::write(g.join(".notes.txt.1.tmp"), "not generate's").unwrap();
    let (code, _, err) = scorecard_in(
        tmp.path(),
        &[
            "generate", "retail", "--rows", "100", "--format", "csv", "--out", "g", "--force",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(temporaries(&g), vec![".notes.txt.1.tmp".to_string()]);
}

#[test]
fn diff_never_hands_git_an_option() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(args)
            .current_dir(repo)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    git(&["init", "-q"]);
    std::fs::copy(crate::cli::RETAIL, repo.join("a.scorecard")).unwrap();
    git(&["add", "a.scorecard"]);
    git(&["commit", "-qm", "first"]);
    let pwned = repo.join("pwned");
    let forms = [
        format!("--output={}:a.scorecard", pwned.display()),
        format!("--output={}/:a.scorecard", repo.display()),
        "-p:a.scorecard".to_string(),
        format!("--output=dir:/../{}:a.scorecard", pwned.display()),
    ];
    for form in &forms {
        // After `--`, as a script passes what it was given; without it the first would be
        // taken for `diff`'s own `--output`.
        let (code, _, err) = scorecard_in(repo, &["diff", "--", form, "a.scorecard"]);
        assert_eq!(code, 1, "{form}: {err}");
        assert!(
            err.contains("error[scorecard::io::read_scorecard]")
                && err.contains("cannot start with `-`"),
            "{form}: {err}"
        );
        assert!(!pwned.exists(), "{form} wrote a file");
    }
    // A revision git reads as one, not as an option, even with an option's look further on.
    let (code, out, err) = scorecard_in(repo, &["diff", "HEAD:a.scorecard", "a.scorecard"]);
    assert_eq!(
        (code, out.trim()),
        (0, "no change to any definition"),
        "{err}"
    );
    let (code, _, err) = scorecard_in(
        repo,
        &["diff", "HEAD~0--output=x:a.scorecard", "a.scorecard"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot read `a.scorecard` at git revision"),
        "{err}"
    );
    assert!(!repo.join("x").exists());
}

#[test]
fn temporary_folders_planted_in_advance_receive_nothing() {
    // `test` wrote its rows into `TMP/scorecard-test-PID-0`, and a run under a memory limit staged
    // its rows in `TMP/scorecard-staging-PID-0`, each made if missing and used if present: anyone
    // could make them first, with a link inside to any file, or simply to read the data. Plant
    // them for the next 3,000 process ids in a temporary folder of the test's own.
    let tmp = examples();
    let system = tmp.path().join("system-tmp");
    std::fs::create_dir(&system).unwrap();
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(std::process::id());
    for pid in last + 1..=last + 3000 {
        for kind in ["test", "staging"] {
            let planted = system.join(format!("scorecard-{kind}-{pid}-0"));
            std::fs::create_dir(&planted).unwrap();
            symlink(&victim, planted.join("orders.csv")).unwrap();
            symlink(&victim, planted.join("orders.parquet")).unwrap();
        }
    }
    let planted = || {
        let folders = std::fs::read_dir(&system)
            .unwrap()
            .map(|e| e.unwrap().path());
        folders
            .map(|f| std::fs::read_dir(f).unwrap().count())
            .collect::<Vec<_>>()
    };
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
            .args(args)
            .current_dir(tmp.path().join("retail"))
            .env("TMPDIR", &system)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["test", "retail.scorecard"]);
    run(&[
        "run",
        "retail.scorecard",
        "--memory-limit",
        "64MiB",
        "--format",
        "json",
        "-o",
        "out.json",
    ]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        planted().iter().all(|n| *n == 2),
        "something was written into a planted folder"
    );
    assert_eq!(planted().len(), 6000, "every folder the runs made is gone");
}

#[test]
fn an_output_that_fails_last_takes_back_the_ones_written_before_it() {
    // `/dev/full` is written last (a device cannot be renamed into place) and fails: the credit
    // table, already renamed into place, is put back.
    let tmp = examples();
    let dir = tmp.path().join("marketing");
    std::fs::write(dir.join("credits.csv"), "earlier credits\n").unwrap();
    let (code, _, err) = scorecard_in(
        &dir,
        &[
            "run",
            "marketing.scorecard",
            "--credits",
            "credits.csv",
            "-o",
            "/dev/full",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scorecard::io::write_output"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("credits.csv")).unwrap(),
        "earlier credits\n"
    );
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_signal_while_a_device_is_written_ends_the_command_at_once() {
    // The results go to a named pipe, written after the credit table was renamed into place: the
    // command blocks there until something reads the pipe. A SIGTERM then ends it at once (it
    // waited for the commit's lock, forever), with the credit table whole and nothing left behind.
    let tmp = examples();
    let dir = tmp.path().join("marketing");
    let fifo = dir.join("results.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::write(dir.join("credits.csv"), "earlier credits\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "run",
            "marketing.scorecard",
            "--format",
            "json",
            "--credits",
            "credits.csv",
            "-o",
            "results.fifo",
        ])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(dir.join("credits.csv")).unwrap() == "earlier credits\n" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the credits were never written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("the command did not end on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert!(std::fs::read_to_string(dir.join("credits.csv"))
        .unwrap()
        .starts_with("attribution,"));
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
}

#[test]
fn dev_stdout_is_the_stream_the_shell_gave() {
    let tmp = examples();
    let dir = tmp.path().join("balanced");
    let bin = env!("CARGO_BIN_EXE_scorecard");
    // Appended to a file the shell opened: what was there stays.
    let script = format!(
        "echo HEADER > out.txt; {bin} graph balanced.scorecard -o /dev/stdout >> out.txt; echo FOOTER >> out.txt; {bin} graph balanced.scorecard -o /dev/stdout | cat > piped.txt"
    );
    let status = Command::new("sh")
        .args(["-c", &script])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let out = std::fs::read_to_string(dir.join("out.txt")).unwrap();
    assert!(
        out.starts_with("HEADER\ndigraph") && out.ends_with("}\nFOOTER\n"),
        "{out}"
    );
    let piped = std::fs::read_to_string(dir.join("piped.txt")).unwrap();
    assert!(piped.starts_with("digraph"), "{piped}");
    // Another process's open files are not places to write.
    let (code, _, err) = scorecard_in(&dir, &["graph", "balanced.scorecard", "-o", "/proc/1/fd/1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a file a process holds open"), "{err}");
}

#[test]
fn an_interrupted_run_removes_the_rows_it_staged_which_only_its_owner_could_read() {
    let tmp = tempfile::tempdir().unwrap();
    let system = tmp.path().join("system-tmp");
    std::fs::create_dir(&system).unwrap();
    let (code, _, err) = scorecard_in(
        tmp.path(),
        &[
            "generate", "retail", "--rows", "1500000", "--format", "csv", "--out", "data",
        ],
    );
    assert_eq!(code, 0, "{err}");
    std::fs::copy(
        "scorecards/retail/retail.scorecard",
        tmp.path().join("retail.scorecard"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "run",
            "retail.scorecard",
            "--memory-limit",
            "256MiB",
            "--format",
            "json",
            "-o",
            "out.json",
        ])
        .current_dir(tmp.path())
        .env("TMPDIR", &system)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let staged = loop {
        let found = std::fs::read_dir(&system)
            .unwrap()
            .next()
            .map(|e| e.unwrap().path());
        if let Some(f) =
            found.filter(|f| std::fs::read_dir(f).is_ok_and(|mut d| d.next().is_some()))
        {
            break f;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing was staged"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(mode(&staged), 0o700, "{}", staged.display());
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let left: Vec<_> = std::fs::read_dir(&system).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(!tmp.path().join("out.json").exists());
}

#[test]
fn a_mistyped_output_never_costs_a_scorecard_of_the_project() {
    let tmp = examples();
    let before = snapshot(tmp.path());
    let cases: &[&[&str]] = &[
        &[
            "test",
            "retail/retail.scorecard",
            "--junit",
            "balanced/balanced.scorecard",
        ],
        &[
            "sql",
            "retail/retail.scorecard",
            "-o",
            "marketing/marketing.scorecard",
        ],
        &["graph", "retail/retail.scorecard", "-o", "scorecard.toml"],
        &[
            "check",
            "--format",
            "sarif",
            "retail/retail.scorecard",
            "-o",
            "balanced/balanced.scorecard",
        ],
        &[
            "diff",
            "retail/retail.scorecard",
            "retail/retail.scorecard",
            "-o",
            "balanced/balanced.scorecard",
        ],
    ];
    for args in cases {
        let (code, _, err) = scorecard_in(tmp.path(), args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("scorecard::io::output_clash"),
            "{args:?}: {err}"
        );
    }
    assert!(snapshot(tmp.path()) == before);
    // Two scorecards of one name in a project run: refused as a clash, and no folder is made.
    std::fs::create_dir(tmp.path().join("other")).unwrap();
    std::fs::copy(
        tmp.path().join("retail/retail.scorecard"),
        tmp.path().join("other/retail.scorecard"),
    )
    .unwrap();
    let (code, _, err) = scorecard_in(tmp.path(), &["run", "--format", "json", "-o", "results"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("scorecard::io::output_clash") && err.contains("results/retail.json"),
        "{err}"
    );
    assert!(!tmp.path().join("results").exists());
    // `generate --out` naming a file says it wants a folder.
    let (code, _, err) = scorecard_in(
        tmp.path(),
        &["generate", "retail", "--out", "scorecard.toml"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("it is not a folder") && err.contains("`--out` names the folder"),
        "{err}"
    );
}

#[test]
fn standard_output_pointed_at_a_file_is_that_file() {
    let tmp = examples();
    let dir = tmp.path().join("retail");
    let bin = env!("CARGO_BIN_EXE_scorecard");
    let budget = std::fs::read(dir.join("data/budget.csv")).unwrap();
    std::fs::write(dir.join("both.csv"), "earlier\n").unwrap();
    for (script, says) in [
        // Appended to a dataset the command reads, as `-o /dev/stdout`, as `-o -` and unnamed.
        (format!("{bin} run retail.scorecard --format csv -o /dev/stdout >> data/budget.csv"), "(-o) is the data of dataset `budget`"),
        (format!("{bin} run retail.scorecard --format csv -o - >> data/budget.csv"), "(-o) is the data of dataset `budget`"),
        (format!("{bin} run retail.scorecard --format csv >> data/budget.csv"), "(standard output) is the data of dataset `budget`"),
        // The same file as another output.
        (format!("{bin} run retail.scorecard --format csv -o /dev/stdout --credits both.csv > both.csv"), "named as two outputs of this command (-o and --credits)"),
    ] {
        let out = Command::new("sh").args(["-c", &script]).current_dir(&dir).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{script}: {err}");
        assert!(err.contains("scorecard::io::output_clash") && err.contains(says), "{script}: {err}");
        assert_eq!(std::fs::read(dir.join("data/budget.csv")).unwrap(), budget, "{script}");
    }
    // `-o -` is standard output.
    let (code, out, err) = scorecard_in(
        &dir,
        &["run", "retail.scorecard", "--format", "csv", "-o", "-"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("kpi,") && !dir.join("-").exists(), "{out}");
    // A stream written last: a device that fails before it leaves it unwritten.
    let (code, out, err) = scorecard_in(
        &tmp.path().join("marketing"),
        &[
            "run",
            "marketing.scorecard",
            "--credits",
            "/dev/stdout",
            "-o",
            "/dev/full",
        ],
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    // A reader that goes away early (`| head`) is no error.
    let out = Command::new("sh")
        .args(["-c", &format!("{bin} report retail.scorecard | head -c 10 > /dev/null; {bin} report retail.scorecard -o /dev/stdout | head -c 10 > /dev/null; echo ${{PIPESTATUS:-}}")])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_second_generate_into_a_folder_being_written_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut first, earlier) = long_generate(tmp.path());
    let (code, _, err) = scorecard_in(
        tmp.path(),
        &[
            "generate", "retail", "--rows", "10", "--format", "csv", "--out", "g",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("another `scorecard generate` is writing into it"),
        "{err}"
    );
    assert!(
        !temporaries(&tmp.path().join("g")).is_empty(),
        "the first one's files are left to it"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(
        std::fs::read(tmp.path().join("g/orders.csv")).unwrap(),
        earlier
    );
}

#[test]
fn hidden_files_of_someone_else_are_not_taken_for_leftovers() {
    let tmp = tempfile::tempdir().unwrap();
    let g = tmp.path().join("g");
    std::fs::create_dir(&g).unwrap();
    for name in [".orders.csv.notes.tmp", ".budget.csv.2024.bak"] {
        std::fs::write(g.join(name), "mine\n").unwrap();
    }
    let args = [
        "generate", "retail", "--rows", "10", "--format", "csv", "--out", "g",
    ];
    let (code, _, err) = scorecard_in(tmp.path(), &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("(.budget.csv.2024.bak, .orders.csv.notes.tmp)"),
        "{err}"
    );
    let (code, _, err) = scorecard_in(tmp.path(), &[&args[..], &["--force"]].concat());
    assert_eq!(code, 0, "{err}");
    for name in [".orders.csv.notes.tmp", ".budget.csv.2024.bak"] {
        assert_eq!(std::fs::read_to_string(g.join(name)).unwrap(), "mine\n");
    }
}

#[test]
fn a_file_of_another_user_in_a_sticky_folder_is_refused_before_anything_is_written() {
    // Only its owner may replace a file in a folder with the sticky bit (as /tmp): the rename
    // would fail after a second name for the file was made, which could not be removed either.
    // Played as `nobody` against a file of root's, so the suite runs as root (as CI does).
    let root = Command::new("id").arg("-u").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&root.stdout).trim(),
        "0",
        "this test acts as another user: run the suite as root, as CI does"
    );
    let tmp = examples();
    for path in [tmp.path().to_path_buf(), tmp.path().join("retail")] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::write(shared.join("f.csv"), "root's\n").unwrap();
    std::fs::set_permissions(shared.join("f.csv"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let readable = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(readable.success());
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "run",
            "retail/retail.scorecard",
            "--format",
            "csv",
            "-o",
            "shared/f.csv",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "it belongs to another user, in a folder where only a file's owner may replace it"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(shared.join("f.csv")).unwrap(),
        "root's\n"
    );
    let left: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}
