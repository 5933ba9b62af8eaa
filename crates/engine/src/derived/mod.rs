//! Owns the tables a scorecard's rules derive from its datasets: attribution credit
//! (`attribution/`), allocated cost (`allocation.rs`) and view rows (`view.rs`), each registered with
//! the engine under its name, and the credit rows a report lists (`credits.rs`).

pub(crate) mod allocation;
pub(crate) mod attribution;
pub mod credits;
pub mod view;
