//! Owns what commands read before the library runs: a scorecard file checked (its diagnostics
//! printed), the project it belongs to and the engine options it gives, and the record of the
//! scorecard files read in an output's manifest.

use super::exit::Exit;
use super::terminal::stderr_color;
use scorecard::project;
use scorecard::rules::manifest::{Manifest, SourceFile};
use scorecard::{diagnostic, engine};
use std::path::{Path, PathBuf};

/// Reads a scorecard file, saying why when it cannot.
pub(crate) fn read_scorecard(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .map_err(|e| {
            eprintln!(
                "error[{}]: cannot read `{}`: {e}",
                diagnostic::Code::ReadSource.as_str(),
                path.display()
            );
        })
        .ok()
}

/// Reads and checks one file, printing its diagnostics; `None` when it cannot be read.
pub(crate) fn compile(path: &Path) -> Option<(scorecard::Compiled, String)> {
    let name = path.display().to_string();
    let source = read_scorecard(path)?;
    let compiled = scorecard::compile(&source);
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            diagnostic::render(&name, &source, &compiled.diagnostics, stderr_color())
        );
    }
    Some((compiled, source))
}

/// The engine's options for the scorecard at `file`: relative dataset sources resolve against
/// `--data`, or else the scorecard's own folder, and files are read only from inside its project
/// (`scorecard.toml`), the `--data` folder, and the folders the project allows.
pub(crate) fn engine_options(
    file: &Path,
    data: Option<PathBuf>,
) -> Result<(project::Project, engine::Options), Exit> {
    let project = project_of(file, None)?;
    let options = project_options(&project, file, data);
    Ok((project, options))
}

/// The project `--config` names, or else the one the scorecard at `file` belongs to.
pub(crate) fn project_of(file: &Path, config: Option<&Path>) -> Result<project::Project, Exit> {
    match config {
        Some(c) => project::Project::read(c),
        None => project::Project::of(file),
    }
    .map_err(|e| {
        eprintln!("error[{}]: {e}", e.code().as_str());
        Exit::ScorecardErrors
    })
}

/// The engine's options for the scorecard at `file` in `project`, with the project's bindings and
/// memory limit (which `run --memory-limit` overrides; `diff` and `explain` have no flag for it).
pub(crate) fn project_options(
    project: &project::Project,
    file: &Path,
    data: Option<PathBuf>,
) -> engine::Options {
    let sandbox = project.sandbox(data.as_deref());
    let data_dir = data.unwrap_or_else(|| file.parent().map(Path::to_path_buf).unwrap_or_default());
    engine::Options {
        sandbox,
        bindings: project.sources(),
        completeness: project
            .completeness
            .iter()
            .map(|(name, c)| (name.clone(), c.days))
            .collect(),
        cluster: project.cluster.clone(),
        memory_limit: project.memory_limit,
        ..engine::Options::new(data_dir)
    }
}

/// Records the scorecard files read and, unless the output must be deterministic, the time.
pub(crate) fn stamp(manifest: &mut Manifest, scorecards: Vec<SourceFile>, deterministic: bool) {
    manifest.scorecards = scorecards;
    manifest.evaluated_at = (!deterministic).then(scorecard::rules::manifest::now);
}
