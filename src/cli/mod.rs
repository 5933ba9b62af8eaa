//! Owns the commands that have grown past a few lines (`fmt`, `test`, `run`, `report`): each turns
//! its arguments into library calls, prints, and returns an exit code. The smaller commands are
//! still in `main.rs`.

pub mod cluster;
pub mod exit;
pub mod files;
pub mod fmt;
pub mod progress;
pub mod run;
pub mod sql;
pub mod test;
pub mod write;
