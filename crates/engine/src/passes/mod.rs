//! Owns the aggregate passes: which there are (`plan.rs`), the layout of their results
//! (`layout.rs`), running one on DataFusion (`query.rs`, with the period of each row from
//! `period.rs` and window helpers from `window.rs`) or in PostgreSQL (`pushdown.rs`, written by
//! `sql/`), and each result indexed by segment with running totals (`series.rs`).

pub mod layout;
pub(crate) mod period;
pub mod plan;
pub(crate) mod pushdown;
pub(crate) mod query;
pub(crate) mod series;
pub mod sql;
pub(crate) mod window;
