//! Owns reading datasets from their sources: each format read strictly into typed rows (CSV,
//! JSON lines, Excel, PostgreSQL through `records.rs`; Parquet cast after checking), keys checked
//! for repeats, and each dataset registered with the engine under its name (`load.rs`).

pub mod csv;
pub(crate) mod excel;
pub(crate) mod jsonl;
pub mod keys;
pub(crate) mod load;
pub(crate) mod parquet;
pub(crate) mod postgres;
pub mod records;
pub(crate) mod scanned_keys;
pub(crate) mod schema;
pub(crate) mod zone;
