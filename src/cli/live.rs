//! Owns a scorecard evaluated again and again as it is written, on data read once: the warm state
//! the language server's figures (`scorecard lsp`) and `report --serve` share. The datasets are
//! read when first needed and held in memory within a limit; they are read again when a data
//! file, a dataset's declaration or the project changes. Between reads, a version of the
//! scorecard computes only the rule tables and aggregates it changes (`engine::Session`, which
//! remembers).

use scorecard::engine::{self, Held, Session};
use scorecard::model::Model;
use scorecard::rules::{self, Evaluation};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// The memory the held rows may take unless the project or `--keep` says otherwise.
pub(crate) const DEFAULT_KEEP: usize = 4 << 30;

/// The warm state of one scorecard file at a time.
pub(crate) struct Live {
    /// The most bytes of rows held between evaluations.
    keep: usize,
    /// For `report --serve`: each attribution's credit by channel too, as `report` gives it.
    for_report: bool,
    warm: Option<Warm>,
    /// What the last evaluation read, to tell when it is out of date (`stale`).
    last: Option<Last>,
}

/// The file last evaluated, the files it read stamped before it read them, and whether it read
/// from PostgreSQL (whose tables cannot be stamped) and when.
struct Last {
    file: PathBuf,
    reads: Vec<Stamped>,
    from_postgres: Option<Instant>,
}

/// How long figures read from PostgreSQL are taken as current before they are read again: a
/// table's changes cannot be seen otherwise.
const POSTGRES_CURRENT_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// A session whose rows are held, and what they were read for.
struct Warm {
    file: PathBuf,
    /// What the rows depend on (the datasets' declarations, the header, the project's bindings
    /// and options): when it changes, they are read again.
    read_for: String,
    /// Each file read, with its size and time of change from before it was read.
    stamps: Vec<Stamped>,
    session: Session,
}

/// One evaluation and how it went.
pub(crate) struct Evaluated {
    pub(crate) model: Model,
    pub(crate) evaluation: Evaluation,
    /// What was read or computed again, for a person: `read 5,000,000 rows`, `computed 2
    /// aggregates, remembered 71`.
    pub(crate) how: String,
    pub(crate) took_ms: u64,
    /// The data files the evaluation read, each with its size and time of change taken before
    /// it was read (so that a change while it was read shows as a change).
    pub(crate) reads: Vec<Stamped>,
}

/// Why an evaluation gave nothing, and the data files it would have read, stamped as `reads` is
/// (so that mending one is seen).
pub(crate) struct Failed {
    pub(crate) why: String,
    pub(crate) reads: Vec<Stamped>,
}

/// A file and its size and time of change (none when it cannot be read).
pub(crate) type Stamped = (PathBuf, Option<(u64, SystemTime)>);

impl Live {
    pub(crate) fn new(keep: usize, for_report: bool) -> Live {
        Live {
            keep,
            for_report,
            warm: None,
            last: None,
        }
    }

    /// Whether what `file` was last evaluated on has changed since: a file it read (a data file,
    /// or another scorecard of its project) changed, or its figures were read from PostgreSQL
    /// longer ago than `POSTGRES_CURRENT_FOR`. False for a file not evaluated last.
    pub(crate) fn stale(&self, file: &Path) -> bool {
        let Some(last) = self.last.as_ref().filter(|l| l.file == file) else {
            return false;
        };
        let changed = last.reads.iter().any(|(p, seen)| stamp(p) != *seen);
        let expired = last
            .from_postgres
            .is_some_and(|at| at.elapsed() >= POSTGRES_CURRENT_FOR);
        changed || expired
    }

    /// Evaluates the scorecard `text` (read from, or to be saved at, `file`) on its project's
    /// data; the error says why there is nothing to show.
    pub(crate) fn evaluate(&mut self, file: &Path, text: &str) -> Result<Evaluated, Failed> {
        let started = Instant::now();
        let failed = |why: String| Failed {
            why,
            reads: Vec::new(),
        };
        let compiled = scorecard::compile(text);
        let Some(model) = compiled.model else {
            return Err(failed(format!(
                "the scorecard has {} error{}",
                compiled.errors(),
                super::terminal::s(compiled.errors())
            )));
        };
        let project = scorecard::project::Project::of(file)
            .map_err(|e| failed(format!("error[{}]: {e}", e.code().as_str())))?;
        if let Some(e) = project.binding_errors(file, &model).first() {
            return Err(failed(format!("error[{}]: {e}", e.code().as_str())));
        }
        let options = super::input::project_options(&project, file, None);
        // A report evaluates each attribution's credit as KPIs too, and shows the model as written.
        let with_credit = self.for_report.then(|| model.with_credit_kpis());
        let shown = model;
        let model = with_credit.as_ref().unwrap_or(&shown);
        let data_files: Vec<PathBuf> = options
            .data_files(model)
            .into_iter()
            .map(|r| r.path)
            .collect();
        let read_for = read_for(model, &options);
        // The project's other scorecards decide whether its bindings hold: they are read too.
        let others = project.scorecards.iter().filter(|p| !same_file(p, file));
        let stamps: Vec<Stamped> = data_files
            .iter()
            .chain(others)
            .map(|p| (p.clone(), stamp(p)))
            .collect();
        // A table in PostgreSQL cannot be stamped: its rows are never held, and read again.
        let from_postgres = model.datasets.iter().filter(|d| d.is_file()).any(|d| {
            matches!(
                options.source(d),
                scorecard::project::source::Source::Postgres(_)
            )
        });
        self.last = Some(Last {
            file: file.to_path_buf(),
            reads: stamps.clone(),
            from_postgres: from_postgres.then(Instant::now),
        });
        let failed = |why: String| Failed {
            why,
            reads: stamps.clone(),
        };
        let fits = |w: &Warm| w.file == file && w.read_for == read_for && w.stamps == stamps;
        let (aggregates, how) = match self.warm.take().filter(fits) {
            Some(mut warm) => {
                let again = warm.session.aggregate_again(model);
                let reuse = warm.session.reuse().unwrap_or_default();
                let aggregates = again.map_err(|e| failed(data_error(&e)))?;
                self.warm = Some(warm);
                (aggregates, remembered(reuse))
            }
            None => {
                let read = Read {
                    file,
                    read_for,
                    stamps: &stamps,
                    from_postgres,
                };
                self.read(model, &options, read)
                    .map_err(|e| failed(data_error(&e)))?
            }
        };
        let recorded = rules::manifest::RunOptions::of(&options);
        let mut evaluation = rules::evaluate(model, aggregates, recorded)
            .map_err(|e| failed(format!("error[{}]: {e}", e.code().as_str())))?;
        if self.for_report {
            evaluation.take_credit_kpis();
        }
        // What produced it: the scorecard as evaluated (unsaved text included), and when.
        let read = rules::manifest::SourceFile::new(&file.display().to_string(), text);
        super::input::stamp(&mut evaluation.manifest, vec![read], false);
        Ok(Evaluated {
            model: shown,
            evaluation,
            how,
            took_ms: started.elapsed().as_millis() as u64,
            reads: stamps,
        })
    }
}

/// What reading a scorecard's data again is for: the file, what the rows depend on, the files'
/// stamps from before they were read, and whether a table in PostgreSQL is read.
struct Read<'a> {
    file: &'a Path,
    read_for: String,
    stamps: &'a [Stamped],
    from_postgres: bool,
}

impl Live {
    /// Reads the data of `model` and computes its aggregates; holds the rows for the next version
    /// when they fit in `keep` and can be watched. The aggregates, and what was done for `how`.
    fn read(
        &mut self,
        model: &Model,
        options: &engine::Options,
        read: Read,
    ) -> Result<(engine::Aggregates, String), engine::DataError> {
        let (mut session, aggregates) = Session::open_remembering(model, options)?;
        let rows: u64 = aggregates.inputs.iter().map(|i| i.rows).sum();
        let mut how = format!(
            "read {} rows",
            scorecard::model::format::group_thousands(&rows.to_string())
        );
        let held = match read.from_postgres {
            true => None,
            false => session.reuse().map(|_| session.hold(model, self.keep)),
        };
        match held {
            Some(Ok(Held::InMemory(_))) => {
                self.warm = Some(Warm {
                    file: read.file.to_path_buf(),
                    read_for: read.read_for,
                    stamps: read.stamps.to_vec(),
                    session,
                });
            }
            Some(Ok(Held::OverLimit(bytes))) => how.push_str(&format!(
                "; not held: the rows take more than {} (at least {}), so each version reads them again",
                size(self.keep),
                size(bytes)
            )),
            Some(Err(e)) => how.push_str(&format!("; not held: {e}")),
            None if read.from_postgres => how.push_str(&format!(
                "; not held: a table in PostgreSQL is read again for each version, and every {} s",
                POSTGRES_CURRENT_FOR.as_secs()
            )),
            None => how.push_str("; not held: some rows are aggregated where they are stored"),
        }
        Ok((aggregates, how))
    }
}

/// Whether two paths name the same file (either may be relative, or through a link).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A size as a person reads it: bytes below a mebibyte, else whole mebibytes.
fn size(bytes: usize) -> String {
    match bytes < 1 << 20 {
        true => format!("{bytes} bytes"),
        false => format!("{} MiB", bytes >> 20),
    }
}

fn data_error(e: &engine::DataError) -> String {
    format!("error[{}]: {e}", e.code().as_str())
}

fn remembered(reuse: engine::Reuse) -> String {
    let mut how = format!(
        "computed {} aggregate{}, remembered {}",
        reuse.computed,
        super::terminal::s(reuse.computed),
        reuse.remembered
    );
    if reuse.derived_again {
        how.push_str("; the rule tables derived again");
    }
    how
}

/// What the rows read for `model` depend on, as text: the datasets read from a source (not the
/// tables rules derive, which follow the rules' order), the header and the rates.
fn read_for(model: &Model, options: &engine::Options) -> String {
    let read: Vec<_> = model.datasets.iter().filter(|d| d.is_file()).collect();
    let declared = serde_json::to_string(&(&read, &model.header, &model.rates)).unwrap_or_default();
    format!(
        "{declared}\n{:?}",
        (
            &options.data_dir,
            &options.sandbox,
            &options.bindings,
            &options.completeness,
            options.memory_limit,
            &options.cluster,
        )
    )
}

/// A file's size and time of change, when it can be read.
pub(crate) fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}
