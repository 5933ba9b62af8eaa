//! `[engine] kind = "ballista"`: a real scheduler and two executors (`scorecard cluster`, each its
//! own process) on localhost run the retail scorecard's passes, from CSV and from Parquet, and every
//! number of the result is the embedded engine's; both executors did some of the work, and with the
//! scheduler gone the run stops with `scorecard::run::cluster` instead of running locally.

use crate::cli::{scorecard, RETAIL};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The cluster's processes, stopped when the test ends however it ends.
struct Cluster {
    scheduler: Option<Child>,
    executors: Vec<Child>,
    port: u16,
}

impl Cluster {
    /// A scheduler and one executor per work folder, each running one task at a time so that a
    /// stage's tasks are spread over both.
    fn start(work: &[&Path]) -> Cluster {
        let port = free_port();
        let scheduler = spawn(&[
            "cluster",
            "scheduler",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the scheduler never listened");
            std::thread::sleep(Duration::from_millis(100));
        }
        let executors = work
            .iter()
            .map(|dir| {
                spawn(&[
                    "cluster",
                    "executor",
                    "--scheduler",
                    &format!("localhost:{port}"),
                    "--bind",
                    &format!("127.0.0.1:{}", free_port()),
                    "--grpc-port",
                    &free_port().to_string(),
                    "--concurrency",
                    "1",
                    "--work-dir",
                    &dir.display().to_string(),
                ])
            })
            .collect();
        Cluster {
            scheduler: Some(scheduler),
            executors,
            port,
        }
    }

    fn stop_scheduler(&mut self) {
        if let Some(mut s) = self.scheduler.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_scheduler();
        for e in &mut self.executors {
            let _ = e.kill();
            let _ = e.wait();
        }
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// A port nothing listens on now (the system picks it; released at once for the process to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The evaluation without its manifest (which names the files and the cluster), as JSON text.
fn numbers(json_path: &Path) -> String {
    let text = std::fs::read_to_string(json_path).expect("the run wrote its JSON");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let manifest = doc
        .as_object_mut()
        .and_then(|o| o.remove("manifest"))
        .expect("a manifest");
    assert!(manifest["inputs"].as_array().is_some_and(|i| !i.is_empty()));
    serde_json::to_string_pretty(&doc).unwrap()
}

fn run_json(scorecard_path: &Path, out: &Path) -> (i32, String) {
    let (code, _, err) = scorecard(&[
        "run",
        &scorecard_path.display().to_string(),
        "--format",
        "json",
        "--deterministic",
        "-o",
        &out.display().to_string(),
    ]);
    (code, err)
}

/// Files under `dir`, at any depth.
fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        files_under(&p)
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_cluster_of_two_executors_gives_every_number_the_embedded_engine_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let work: Vec<_> = ["w1", "w2"].iter().map(|w| tmp.path().join(w)).collect();
    for w in &work {
        std::fs::create_dir_all(w).unwrap();
    }
    let mut cluster = Cluster::start(&[&work[0], &work[1]]);
    let engine = format!(
        "[engine]\nkind = \"ballista\"\nscheduler = \"df://localhost:{}\"\n",
        cluster.port
    );

    // The bundled example as it is (CSV, staged as Parquet for the executors), and the same
    // scorecard on generated Parquet files (scanned by the executors directly).
    let csv = tmp.path().join("csv");
    std::fs::create_dir_all(csv.join("data")).unwrap();
    for f in ["orders.csv", "budget.csv"] {
        std::fs::copy(
            Path::new("scorecards/retail/data").join(f),
            csv.join("data").join(f),
        )
        .unwrap();
    }
    std::fs::copy(RETAIL, csv.join("retail.scorecard")).unwrap();
    let parquet = tmp.path().join("parquet");
    let (code, _, err) = scorecard(&[
        "generate",
        "retail",
        "--rows",
        "20000",
        "--format",
        "parquet",
        "--out",
        &parquet.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::copy(RETAIL, parquet.join("retail.scorecard")).unwrap();
    let bound = "[datasets.orders]\npath = \"orders.parquet\"\n\n\
                 [datasets.budget]\npath = \"budget.parquet\"\n\n";

    for (folder, bindings) in [(&csv, ""), (&parquet, bound)] {
        let file = folder.join("retail.scorecard");
        let toml = folder.join("scorecard.toml");
        std::fs::write(&toml, bindings).unwrap();
        let (code, err) = run_json(&file, &tmp.path().join("embedded.json"));
        assert_eq!(code, 0, "{err}");
        std::fs::write(&toml, format!("{bindings}{engine}")).unwrap();
        let (code, err) = run_json(&file, &tmp.path().join("cluster.json"));
        assert_eq!(code, 0, "{err}");
        let cluster_doc = std::fs::read_to_string(tmp.path().join("cluster.json")).unwrap();
        assert!(
            cluster_doc.contains(&format!("\"cluster\": \"df://localhost:{}\"", cluster.port)),
            "the manifest names the cluster"
        );
        let (embedded, distributed) = (
            numbers(&tmp.path().join("embedded.json")),
            numbers(&tmp.path().join("cluster.json")),
        );
        assert!(embedded.contains("\"net_revenue\""));
        assert_eq!(embedded, distributed, "{}", folder.display());
    }
    // Both executors ran tasks: each wrote shuffle files in its work folder.
    for w in &work {
        assert!(files_under(w) > 0, "{} ran no task", w.display());
    }

    // Without its scheduler the run stops; it never falls back to this machine.
    cluster.stop_scheduler();
    let (code, err) = run_json(&csv.join("retail.scorecard"), &tmp.path().join("x.json"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[scorecard::run::cluster]"), "{err}");
    assert!(!tmp.path().join("x.json").exists());
}
