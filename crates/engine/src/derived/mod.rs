//! Owns the tables a scorecard's rules derive from its datasets: attribution credit
//! (`attribution/`), allocated cost (`allocation.rs`), view rows (`view.rs`) and cohort rows
//! (`cohort.rs`), each registered with
//! the engine under its name, and the credit rows a report lists (`credits.rs`).

pub(crate) mod allocation;
pub(crate) mod attribution;
pub mod cohort;
pub mod credits;
pub mod view;
