//! The integration tests, in one binary so the engine is linked once.

pub mod attribution;
mod authoring;
mod bad_inputs;
mod browser;
mod check_diagnostics;
mod cli;
mod data_errors;
mod definitions;
mod diff;
mod editors;
mod escalation;
mod evaluate;
mod explain;
mod format;
mod generate;
mod journeys;
mod lsp;
mod parse;
mod profitability;
mod property;
mod report;
mod robustness;
mod script;
mod sources;
mod strategy;
mod support;
mod time;
