//! scorecard: a plain-text language for finance KPIs, targets and thresholds, evaluated exactly.
//!
//! This crate is the `scorecard` command and, for library callers, one door to the stages, each its
//! own crate (docs/architecture.md has the graph): `diagnostic` (spans, codes, rendering) →
//! `syntax` (text to tree) → `model` (the checked scorecard every stage reads, calendars, exact
//! arithmetic) → `script` (the Rhai sandbox) → `check` (tree to model) → `project` (scorecard.toml, where data is read from) → `engine`
//! (model and data to aggregates on DataFusion) → `rules` (aggregates to values, statuses,
//! escalations; explain, diff, `test` declarations) → `report` (table, JSON, CSV, Markdown, Excel,
//! HTML). Beside them: `layout` (`scorecard fmt`), `lsp` (the language server), `output` (every file
//! a command writes). The library never prints.

pub mod generate;

pub use scorecard_audience as audience;
pub use scorecard_check as check;
pub use scorecard_close as close;
pub use scorecard_diagnostic as diagnostic;
pub use scorecard_engine as engine;
pub use scorecard_layout as layout;
pub use scorecard_lsp as lsp;
pub use scorecard_model as model;
pub use scorecard_output as output;
pub use scorecard_project as project;
pub use scorecard_report as report;
pub use scorecard_rules as rules;
pub use scorecard_script as script;
pub use scorecard_syntax as syntax;

pub use check::{compile, Compiled};
pub use rules::run::{
    diff, evaluate, evaluate_for_report, explain, ExplainError, ExplainRequest, RunError,
};
