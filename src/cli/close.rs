//! Owns the period-close commands: `publish` (a period's figures recorded in the ledger),
//! `restatements` (published figures that differ today, with their causes), `ledger verify`
//! (the chain checked) and `notify` (escalations delivered to their owners).

use super::args::DocumentOutput;
use super::exit::Exit;
use super::input::stamp;
use super::run::{prepare, DataArgs, Prepared, Purpose};
use super::write;
use scorecard::close::{ledger, notify, restate, store::Log, CloseError};
use scorecard::model::calendar::Periods;
use scorecard::project::{self, Project};
use scorecard::report;
use scorecard::rules::manifest::SourceFile;
use std::path::{Path, PathBuf};

/// Prints a close error with its code; the exit code it ends with.
fn failed(e: &CloseError) -> Exit {
    eprintln!("error[{}]: {e}", e.code().as_str());
    match e {
        CloseError::Published { .. }
        | CloseError::NotPublished { .. }
        | CloseError::Period(_)
        | CloseError::Partial(_)
        | CloseError::Tampered { .. } => Exit::ScorecardErrors,
        _ => Exit::DataErrors,
    }
}

/// The scorecard's name in the ledger and the notification state: its path from the project's
/// folder, with `/`, links resolved, so that it is the same from wherever the command runs and
/// whichever link names it.
fn scorecard_id(project: &Project, file: &Path) -> String {
    let real = |p: &Path| {
        p.canonicalize()
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let full = real(file);
    let relative = full
        .strip_prefix(real(&project.root))
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| PathBuf::from(full.file_name().unwrap_or_default()));
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Prepares a run of `file` over every period: `--from` and `--to` are refused, since the
/// command decides the periods itself.
fn prepare_all(file: &Path, source: &DataArgs, command: &str) -> Result<Prepared, Exit> {
    if source.audience.is_some() && command != "publish" {
        eprintln!(
            "error[{}]: `scorecard {command}` is made for the whole scorecard, not for an audience: leave out --audience\n  help: an audience's published figures are read with `scorecard ledger verify` and the ledger's records (docs/audiences.md)",
            scorecard::diagnostic::Code::Withheld.as_str()
        );
        return Err(Exit::DataErrors);
    }
    if source.scenario.is_some() || !source.set.is_empty() {
        eprintln!(
            "error[{}]: `scorecard {command}` keeps and compares the figures at the parameters' base values: leave out --scenario and --set\n  help: to close under other assumptions, change the parameters' `base` in the scorecard, so that the ledger keeps the definition it used",
            scorecard::diagnostic::Code::Assumed.as_str()
        );
        return Err(Exit::DataErrors);
    }
    if source.from.is_some() || source.to.is_some() {
        eprintln!(
            "error: `scorecard {command}` decides which periods it evaluates: leave out --from and --to"
        );
        return Err(Exit::DataErrors);
    }
    prepare(
        file,
        source,
        Purpose::Run {
            credits: false,
            streamed: false,
        },
    )
}

/// The project file read, by its sha256.
fn project_file(project: &Project) -> Option<ledger::record::ProjectFile> {
    let path = project.file.as_ref()?;
    let bytes = std::fs::read(path).ok()?;
    let shown = path.strip_prefix(&project.root).unwrap_or(path);
    Some(ledger::record::ProjectFile {
        path: shown.display().to_string(),
        sha256: scorecard::rules::manifest::sha256(&bytes),
    })
}

/// The commit the scorecard is at, and whether the file has changes beyond it; `None` outside a
/// git work tree.
fn git_of(file: &Path) -> Option<ledger::record::Git> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"])?;
    let name = file.file_name()?.to_string_lossy().into_owned();
    let status = git(&["status", "--porcelain", "--", &name])?;
    Some(ledger::record::Git {
        commit,
        clean: status.is_empty(),
    })
}

/// `scorecard publish FILE --period P --approved-by NAME [--restate WHY]`.
pub(crate) fn publish(
    file: &Path,
    source: &DataArgs,
    period: &str,
    approved_by: &str,
    (restate, allow_partial): (Option<String>, bool),
) -> Exit {
    let mut run = match prepare_all(file, source, "publish") {
        Ok(r) => r,
        Err(code) => return code,
    };
    if approved_by.trim().is_empty() {
        eprintln!("error: `--approved-by` names who approved the figures: it cannot be empty");
        return Exit::DataErrors;
    }
    if restate.as_deref().is_some_and(|r| r.trim().is_empty()) {
        eprintln!("error: `--restate` says why the figures are restated: it cannot be empty");
        return Exit::DataErrors;
    }
    let periods = Periods::of(&run.model.header);
    let Some(p) = periods.parse(period) else {
        eprintln!(
            "error[{}]: `{period}` is not a period of this scorecard: write one such as {}",
            scorecard::diagnostic::Code::LedgerPeriod.as_str(),
            periods.example()
        );
        return Exit::ScorecardErrors;
    };
    let label = periods.label(p);
    if let Some(day) = run.options.as_of.filter(|d| *d < periods.bounds(p).0) {
        eprintln!(
            "error[{}]: `--as-of {day}` is before {label} begins: nothing of it would be evaluated",
            scorecard::diagnostic::Code::LedgerPeriod.as_str()
        );
        return Exit::ScorecardErrors;
    }
    // Evaluated up to the period published: its escalations as they stood then.
    run.options.to = Some(label.clone());
    let log = match Log::open(&run.project.ledger) {
        Ok(l) => l,
        Err(e) => return failed(&e.into()),
    };
    let (session, mut evaluation) =
        match scorecard::rules::run::evaluate_keeping(&run.model, &run.options) {
            Ok(done) => done,
            Err(e) => {
                eprintln!("error[{}]: {e}", e.code().as_str());
                return Exit::DataErrors;
            }
        };
    if let Some(v) = &run.view {
        if let Err(e) = v.redact(&mut evaluation) {
            return super::audience::refused(&e);
        }
    }
    let read = SourceFile::new(&file.display().to_string(), &run.text);
    stamp(&mut evaluation.manifest, vec![read], false);
    let audience = run.view.as_ref().map(|v| v.audience.name.clone());
    let publication = ledger::Publication {
        // An audience's record keeps the scorecard by its sha256 (in the manifest), not its text,
        // which names what the audience may not see.
        definition: match audience {
            None => run.text.clone(),
            Some(_) => String::new(),
        },
        audience,
        scorecard: scorecard_id(&run.project, file),
        period: label,
        approved_by: approved_by.trim().to_string(),
        restate: restate.map(|r| r.trim().to_string()),
        git: git_of(file),
        project: project_file(&run.project),
        at: scorecard::rules::manifest::now(),
        allow_partial,
    };
    match ledger::publish(&log, (&run.model, &session, &evaluation), publication) {
        Ok((sealed, place)) => {
            let r = &sealed.record;
            let what = match r.kind {
                ledger::Kind::Publish => "published",
                ledger::Kind::Restatement => "restated",
            };
            println!(
                "{what} {} of {} as record {} ({place})",
                r.period, r.scorecard, r.sequence
            );
            println!(
                "  {} figures, {} escalations, approved by {}",
                r.figures.len(),
                r.escalations.len(),
                r.approved_by
            );
            println!("  hash {}", sealed.hash);
            println!(
                "  keep the hash: `scorecard ledger verify --head {}` later finds a ledger cut back to before it",
                sealed.hash
            );
            Exit::Ok
        }
        Err(e) => failed(&e),
    }
}

/// `scorecard restatements FILE`.
pub(crate) fn restatements(file: &Path, source: &DataArgs, out: &DocumentOutput) -> Exit {
    let run = match prepare_all(file, source, "restatements") {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Err(code) = write::guard(&write::with_main(out.output.as_deref(), &[]), &run.reads) {
        return code;
    }
    let mut r = match find(&run, file, true) {
        Ok(Some(r)) => r,
        Ok(None) => return Exit::Ok,
        Err(e) => return failed(&e),
    };
    if r.periods.is_empty() {
        eprintln!(
            "nothing of `{}` is published in the ledger {}: `scorecard publish` records a period",
            r.scorecard, r.ledger
        );
    }
    stamp(
        &mut r.manifest,
        vec![SourceFile::new(&file.display().to_string(), &run.text)],
        out.deterministic,
    );
    out.write(scorecard::output::Batch::new(), &r, |color| {
        report::restate::text(&r, color)
    })
}

/// The restatements of the scorecard `run` prepares; `None` when the ledger has no record of it,
/// unless `always` (then with no periods).
pub(crate) fn find(
    run: &Prepared,
    file: &Path,
    always: bool,
) -> Result<Option<restate::Restatements>, CloseError> {
    let log = Log::open(&run.project.ledger)?;
    let read = ledger::Records::verified(&log)?;
    let id = scorecard_id(&run.project, file);
    if read.latest(&id).is_empty() && !always {
        return Ok(None);
    }
    // Every period, whatever the report shows.
    let options = scorecard::engine::Options {
        from: None,
        to: None,
        ..run.options.clone()
    };
    let (session, evaluation) = scorecard::rules::run::evaluate_keeping(&run.model, &options)?;
    let now = restate::Now {
        model: &run.model,
        project: project_file(&run.project),
        text: &run.text,
        options: &options,
        session: &session,
        evaluation: &evaluation,
    };
    restate::restatements(&read, &id, log.place(), now).map(Some)
}

/// `scorecard ledger verify [PATH] [--head HASH]`: PATH is a scorecard, a project folder or its
/// `scorecard.toml` (the working folder by default).
pub(crate) fn verify(path: Option<&Path>, head: Option<&str>) -> Exit {
    let path = path.unwrap_or(Path::new("."));
    if !path.exists() {
        eprintln!(
            "error[{}]: `{}` does not exist: name a scorecard, a project folder or its project file",
            scorecard::diagnostic::Code::Unreadable.as_str(),
            path.display()
        );
        return Exit::DataErrors;
    }
    if let Some(h) = head.filter(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit())) {
        eprintln!(
            "error: `--head {h}` is not a record's hash: 64 hex digits, as `publish` printed it"
        );
        return Exit::DataErrors;
    }
    let project = if path.is_dir() {
        Project::of(&path.join(project::FILE))
    } else if path.extension().is_some_and(|e| e == "toml") {
        Project::read(path)
    } else {
        Project::of(path)
    };
    let project = match project {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code().as_str());
            return Exit::ScorecardErrors;
        }
    };
    let log = match Log::open(&project.ledger) {
        Ok(l) => l,
        Err(e) => return failed(&e.into()),
    };
    let (entries, strays) = match log.entries() {
        Ok(e) => e,
        Err(e) => return failed(&e.into()),
    };
    let problems = ledger::verify(&entries, &strays, head);
    if problems.is_empty() {
        let last = entries
            .last()
            .and_then(|e| serde_json::from_str::<ledger::Sealed>(&e.text).ok());
        match last {
            Some(s) => println!(
                "the ledger {} verifies: {} record{}, chained from the first to record {} (hash {})",
                log.shown(),
                entries.len(),
                if entries.len() == 1 { "" } else { "s" },
                s.record.sequence,
                s.hash
            ),
            None => println!("the ledger {} has no records", log.shown()),
        }
        return Exit::Ok;
    }
    for p in &problems {
        eprintln!(
            "error[{}]: {p}",
            scorecard::diagnostic::Code::Tampered.as_str()
        );
    }
    eprintln!(
        "the ledger {} does not verify: {} problem{}",
        log.shown(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    Exit::ScorecardErrors
}

/// `scorecard notify FILE [--dry-run]`.
pub(crate) fn notify(
    file: &Path,
    source: &DataArgs,
    (dry_run, rewind): (bool, bool),
    out: &DocumentOutput,
) -> Exit {
    let run = match prepare_all(file, source, "notify") {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Err(code) = write::guard(&write::with_main(out.output.as_deref(), &[]), &run.reads) {
        return code;
    }
    let Some(config) = run.project.notify.clone() else {
        let toml = run
            .project
            .file
            .as_ref()
            .map_or("scorecard.toml".to_string(), |f| {
                format!("`{}`", f.display())
            });
        eprintln!(
            "error[{}]: {toml} has no `[notify]`: declare its receivers and route (docs/notifications.md)",
            scorecard::diagnostic::Code::Project.as_str()
        );
        return Exit::ScorecardErrors;
    };
    let log = match Log::open(&config.state) {
        Ok(l) => l,
        Err(e) => return failed(&e.into()),
    };
    let known = match notify::known_episodes(&log) {
        Ok(k) => k,
        Err(e) => return failed(&e),
    };
    let evaluation = match scorecard::evaluate(&run.model, &run.options) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code().as_str());
            return Exit::DataErrors;
        }
    };
    let id = scorecard_id(&run.project, file);
    let planned = notify::notifications(&evaluation, &run.model, &id, &known);
    let (list, history) = (planned.notifications, planned.history);
    let now = scorecard::rules::manifest::now();
    let evaluated = notify::Evaluated {
        scorecard: &id,
        until: notify::evaluated_until(&evaluation)
            .map(|(day, why)| (notify::last_whole(&run.model, day), why)),
        rewind,
    };
    let delivered = match notify::deliver(&config, &log, &list, evaluated, (dry_run, &now)) {
        Ok(d) => d,
        Err(e) => return failed(&e),
    };
    let document = notify::Deliveries {
        scorecard: id,
        dry_run,
        history,
        deliveries: delivered,
    };
    let written = out.write(scorecard::output::Batch::new(), &document, |color| {
        report::notify::text(&document, color)
    });
    let failures = document
        .deliveries
        .iter()
        .filter(|d| matches!(d.outcome, notify::Outcome::Failed(_)))
        .count();
    if failures > 0 {
        eprintln!(
            "error[{}]: {failures} deliver{} failed: {} will be sent on the next run",
            scorecard::diagnostic::Code::DeliveryFailed.as_str(),
            if failures == 1 { "y" } else { "ies" },
            if failures == 1 { "it" } else { "they" }
        );
        return written.worse(Exit::DeliveryFailed);
    }
    written
}
