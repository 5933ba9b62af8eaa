//! The integration tests, in one binary so the engine is linked once.

/// As in the binary: the Rhai sandbox's memory limit counts what each thread allocates.
#[global_allocator]
static ALLOCATOR: scorecard::script::memory::CountingAllocator =
    scorecard::script::memory::CountingAllocator;

mod architecture;
pub mod attribution;
mod audiences;
mod authoring;
mod bad_inputs;
mod browser;
mod check_diagnostics;
mod cli;
mod close;
mod cohorts;
mod csv_shapes;
mod currencies;
mod data_errors;
mod definitions;
mod diff;
// The cluster tests run a real Ballista scheduler and executors: only a build with them can.
#[cfg(feature = "ballista")]
mod distributed;
mod edges;
mod editors;
mod escalation;
mod evaluate;
mod explain;
mod format;
mod generate;
mod health;
mod journeys;
mod live;
mod lsp;
mod nothing_missing;
mod oracle;
mod outputs;
mod parse;
mod profitability;
mod property;
mod report;
mod robustness;
mod scenarios;
mod script;
mod sources;
mod sql;
mod strategy;
mod support;
mod time;
mod zones;
