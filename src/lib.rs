//! scorecard: a plain-text language for finance KPIs, targets and thresholds, evaluated exactly.
//!
//! The stages, each a folder, in the order data flows through them:
//! `syntax` (text to tree) → `check` (tree to model) → `engine` (model and data to aggregates) →
//! `rules` (aggregates to values and statuses) → `report` (evaluation to table, JSON, CSV).
//! `diagnostic`, `calendar`, `finance` (formulas such as CLV), `format` (numbers as text) and
//! `script` (the Rhai sandbox) are shared by the stages; `generate` writes synthetic datasets for benchmarks, beside the pipeline. The library never prints.

pub mod calendar;
pub mod check;
pub mod diagnostic;
pub mod engine;
pub mod finance;
pub mod format;
pub mod generate;
pub mod report;
pub mod rules;
pub mod script;
pub mod syntax;

use check::model::Model;
use diagnostic::Diagnostic;

/// A scorecard file parsed and checked.
#[derive(Debug)]
pub struct Compiled {
    /// The model, when the file has no errors.
    pub model: Option<Model>,
    /// Syntax and check diagnostics together, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Parses and checks one file's text, collecting every problem.
pub fn compile(source: &str) -> Compiled {
    let parsed = syntax::parse(source);
    let checked = check::check(&parsed.file, source, &parsed.broken);
    let mut diagnostics = parsed.diagnostics;
    diagnostics.extend(checked.diagnostics);
    diagnostic::sort(&mut diagnostics);
    Compiled {
        model: checked.model,
        diagnostics,
    }
}

/// Why a run stopped after the scorecard checked clean.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Data(#[from] engine::DataError),
    #[error(transparent)]
    Eval(#[from] rules::EvalError),
}

/// Reads the data and evaluates every KPI.
pub fn evaluate(model: &Model, options: &engine::Options) -> Result<rules::Evaluation, RunError> {
    let aggregates = engine::aggregate(model, options)?;
    let recorded = rules::manifest::RunOptions::of(options);
    Ok(rules::evaluate(model, aggregates, recorded)?)
}
