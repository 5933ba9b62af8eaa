//! The bad-input corpus (`tests/bad_inputs/*.case`, described in its README): every kind of broken
//! scorecard, data file, project file and script gives its specific diagnostic code and exit code
//! from the real binary, within a time limit, and never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far above any case's honest time in a debug build on a busy machine: a case that takes longer
/// is hanging.
const LIMIT: Duration = Duration::from_secs(60);

struct Case {
    name: String,
    expect: Option<String>,
    exit: i32,
    args: Vec<String>,
    /// Text stderr must contain, beyond the code.
    says: Vec<String>,
    /// Text stdout must contain.
    prints: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    /// Whether the case is for a build with the `ballista` feature, or one without it; `None` for
    /// every build.
    ballista: Option<bool>,
}

fn parse(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("a case is UTF-8 (escape other bytes)");
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let mut case = Case {
        name: name.clone(),
        expect: None,
        exit: -1,
        args: vec!["run".into(), "case.scorecard".into()],
        says: Vec::new(),
        prints: Vec::new(),
        files: Vec::new(),
        ballista: None,
    };
    let mut expect_seen = false;
    // (file, mode, repeat, body) for each `--- ` line, in order.
    let mut files: Vec<(String, String, usize, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("--- ") {
            let mut words = rest.split_whitespace();
            let file = words.next().expect("a file name").to_string();
            let mode = words.next().unwrap_or("").to_string();
            let repeat = words
                .next()
                .map(|n| n.parse().expect("a count"))
                .unwrap_or(1);
            files.push((file, mode, repeat, String::new()));
        } else if let Some(last) = files.last_mut() {
            last.3.push_str(line);
        } else if let Some(directive) = line.strip_prefix("# ") {
            let (key, value) = directive.split_once(':').expect("`# key: value`");
            let value = value.trim().to_string();
            match key {
                "what" => {}
                "expect" => {
                    expect_seen = true;
                    case.expect = (value != "none").then_some(value);
                }
                "exit" => case.exit = value.parse().expect("an exit code"),
                "args" => case.args = value.split_whitespace().map(String::from).collect(),
                "says" => case.says.push(value),
                "prints" => case.prints.push(value),
                "build" => {
                    case.ballista = match value.as_str() {
                        "ballista" => Some(true),
                        "without ballista" => Some(false),
                        other => panic!("{name}: unknown build `{other}`"),
                    }
                }
                other => panic!("{name}: unknown directive `{other}`"),
            }
        }
    }
    assert!(
        expect_seen && case.exit >= 0,
        "{name}: needs `# expect:` and `# exit:`"
    );
    for (file, mode, repeat, body) in files {
        let bytes = match mode.as_str() {
            "escaped" => unescape(&body),
            "" | "repeat" => body.into_bytes(),
            "parquet" => parquet_of_text(&body),
            other => panic!("{name}: unknown file mode `{other}`"),
        };
        let bytes = bytes.repeat(repeat);
        // A name given again adds to its file.
        match case.files.iter_mut().find(|(f, _)| *f == file) {
            Some((_, earlier)) => earlier.extend(bytes),
            None => case.files.push((file, bytes)),
        }
    }
    if !case.files.iter().any(|(f, _)| f == "case.scorecard") {
        let base = std::fs::read("tests/bad_inputs/_base.scorecard").expect("the base scorecard");
        case.files.push(("case.scorecard".into(), base));
    }
    case
}

/// A Parquet file holding a CSV text's rows, every column stored as text.
fn parquet_of_text(csv: &str) -> Vec<u8> {
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .map(|h| Field::new(*h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = (0..header.len())
        .map(|c| Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r[c]))) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

/// `\r`, `\xHH` and `\\` as bytes; everything else as it stands.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'r')) => {
                out.push(b'\r');
                i += 2;
            }
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs a case in a fresh folder: `tmp/project` holds its files, `tmp` what lies outside.
fn run(case: &Case) -> Outcome {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    for (name, bytes) in &case.files {
        let path: PathBuf = project.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(&case.args)
        .current_dir(&project)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let read_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut s).ok();
        s
    });
    let read_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut s).ok();
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed() > LIMIT {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = start.elapsed();
    Outcome {
        code,
        stdout: String::from_utf8_lossy(&read_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&read_err.join().unwrap()).into_owned(),
        took,
    }
}

/// What is wrong with a case's outcome, if anything.
fn judge(case: &Case, o: &Outcome) -> Option<String> {
    let mut wrong = Vec::new();
    if o.code.is_none() {
        wrong.push(format!(
            "no exit code after {:?} (hung, or killed by a signal)",
            o.took
        ));
    } else if o.code != Some(case.exit) {
        wrong.push(format!("exit {:?}, expected {}", o.code, case.exit));
    }
    if o.stderr.contains("panicked") || o.stderr.contains("RUST_BACKTRACE") {
        wrong.push("panicked".into());
    }
    // Every declaration reaches the model or has an error of its own.
    if o.stderr.contains("scorecard::check::unreached") {
        wrong.push("a declaration was left out without an error".into());
    }
    match &case.expect {
        Some(code) if !o.stderr.contains(code.as_str()) => {
            wrong.push(format!("no `{code}` in stderr"))
        }
        None if o.stderr.contains("error") => {
            wrong.push("an error, where none was expected".into())
        }
        _ => {}
    }
    for s in &case.says {
        if !o.stderr.contains(s.as_str()) {
            wrong.push(format!("stderr does not say `{s}`"));
        }
    }
    for p in &case.prints {
        if !o.stdout.contains(p.as_str()) {
            wrong.push(format!("stdout does not print `{p}`"));
        }
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "{}: {}\n--- stderr\n{}--- stdout (first 400 bytes)\n{}",
            case.name,
            wrong.join("; "),
            o.stderr,
            o.stdout.chars().take(400).collect::<String>()
        )
    })
}

fn cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir("tests/bad_inputs")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    // A case for the other kind of build is that build's: its subject is not in this one.
    let this_build = cfg!(feature = "ballista");
    let cases = paths.iter().map(|p| parse(p));
    cases
        .filter(|c| c.ballista.is_none_or(|b| b == this_build))
        .collect()
}

#[test]
fn every_bad_input_gives_its_code_and_exit_without_a_panic() {
    let cases = cases();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let failures: Vec<String> = std::thread::scope(|s| {
        let halves: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|c| judge(c, &run(c)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_runtime_code_has_a_case() {
    // The data, run, project and output codes are raised only by running; each has a case here
    // (check codes also have their own snapshot cases under tests/check).
    let cases = cases();
    let expected: Vec<&str> = cases.iter().filter_map(|c| c.expect.as_deref()).collect();
    let untested: Vec<&str> = scorecard::diagnostic::Code::all()
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !c.starts_with("scorecard::check::") && !c.starts_with("scorecard::syntax::"))
        // An internal failure of the query engine, which no input should be able to cause.
        .filter(|c| *c != "scorecard::run::engine")
        // Two runs of `notify` at once: tests/close.rs holds one while the other starts.
        .filter(|c| *c != "scorecard::notify::busy")
        .filter(|c| !expected.contains(c))
        .collect();
    assert!(untested.is_empty(), "no case expects {untested:?}");
}

#[test]
fn a_link_inside_the_project_to_a_file_outside_is_refused() {
    // The link's name is inside the project, but what it reads is not: the sandbox follows links.
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        tmp.path().join("secret.csv"),
        "day,amount\n2026-01-02,5.00\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.csv"), project.join("ledger.csv")).unwrap();
    std::fs::write(
        project.join("case.scorecard"),
        "scorecard t { currency: USD }\ndataset ledger {\n  source: \"ledger.csv\"\n  time: day\n  columns: { day: date  amount: money }\n}\nkpi booked { value: sum(ledger.amount) }\n",
    )
    .unwrap();
    let scorecard = project.join("case.scorecard");
    let (code, _, err) = crate::cli::scorecard(&["run", scorecard.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scorecard::data::outside_project"), "{err}");

    // Allowed by the project file, the same link reads: 5.00 booked in January.
    std::fs::write(
        project.join("scorecard.toml"),
        "[project]\nallow_paths = [\"..\"]\n",
    )
    .unwrap();
    let (code, out, err) =
        crate::cli::scorecard(&["run", scorecard.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("booked,,money,2026-01,true,total,5.00"),
        "{out}"
    );
}
