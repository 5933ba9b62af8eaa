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
}

/// A session whose rows are held, and what they were read for.
struct Warm {
    file: PathBuf,
    /// What the rows depend on (the datasets' declarations, the header, the project's bindings
    /// and options): when it changes, they are read again.
    read_for: String,
    /// Each data file read, with its size and time of change when read.
    stamps: Vec<(PathBuf, Option<(u64, SystemTime)>)>,
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
        }
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
        // A report's model has each attribution's credit as KPIs too; it shows the model as written.
        let shown = model.clone();
        let model = match self.for_report {
            true => model.with_credit_kpis(),
            false => model,
        };
        let data_files: Vec<PathBuf> = options
            .data_files(&model)
            .into_iter()
            .map(|r| r.path)
            .collect();
        let read_for = read_for(&model, &options);
        let stamps: Vec<Stamped> = data_files.iter().map(|p| (p.clone(), stamp(p))).collect();
        let failed = |why: String| Failed {
            why,
            reads: stamps.clone(),
        };
        let fits = |w: &Warm| w.file == file && w.read_for == read_for && w.stamps == stamps;
        let (aggregates, how) = match self.warm.take().filter(fits) {
            Some(mut warm) => {
                let again = warm.session.aggregate_again(&model);
                let reuse = warm.session.reuse().unwrap_or_default();
                let aggregates = again.map_err(|e| failed(data_error(&e)))?;
                self.warm = Some(warm);
                (aggregates, remembered(reuse))
            }
            None => {
                let (mut session, aggregates) = Session::open_remembering(&model, &options)
                    .map_err(|e| failed(data_error(&e)))?;
                let read: u64 = aggregates.inputs.iter().map(|i| i.rows).sum();
                let mut how = format!(
                    "read {} rows",
                    scorecard::model::format::group_thousands(&read.to_string())
                );
                match session.reuse().map(|_| session.hold(&model, self.keep)) {
                    Some(Ok(Held::InMemory(_))) => {
                        self.warm = Some(Warm {
                            file: file.to_path_buf(),
                            read_for,
                            stamps: stamps.clone(),
                            session,
                        });
                    }
                    Some(Ok(Held::OverLimit(bytes))) => {
                        how.push_str(&format!(
                            "; not held: the rows take more than {} MiB (at least {} MiB), so each version reads them again",
                            self.keep >> 20,
                            bytes >> 20
                        ));
                    }
                    Some(Err(e)) => how.push_str(&format!("; not held: {e}")),
                    None => {
                        how.push_str("; not held: some rows are aggregated where they are stored")
                    }
                }
                (aggregates, how)
            }
        };
        let recorded = rules::manifest::RunOptions::of(&options);
        let mut evaluation = rules::evaluate(&model, aggregates, recorded)
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
