//! Owns generating seeded, synthetic datasets at any size (retail order lines, marketing touches and
//! orders), written as CSV and Parquet, for benchmarks and for trying the engine on large data.
//!
//! The same seed and size always give byte-identical files. Rows are built a chunk at a time in
//! columns, then written to every requested format, so memory stays flat however many rows are asked.

mod marketing;
mod random;
mod retail;
mod sink;

pub use sink::Format;

use std::path::{Path, PathBuf};

/// Which data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `orders` (order lines over 36 fiscal months, four regions) and `budget`.
    Retail,
    /// `touchpoints`, `orders` (the conversions, a tenth as many) and `spend`.
    Marketing,
}

/// What a generation wrote: each file and its row count.
#[derive(Debug, Default)]
pub struct Written {
    pub files: Vec<(PathBuf, u64)>,
}

/// Writes `rows` rows of the kind's main table (order lines, or touches) and its companion tables
/// into `dir`, in each of `formats`.
pub fn generate(
    kind: Kind,
    rows: u64,
    seed: u64,
    dir: &Path,
    formats: &[Format],
) -> std::io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    match kind {
        Kind::Retail => retail::generate(rows, seed, dir, formats),
        Kind::Marketing => marketing::generate(rows, seed, dir, formats),
    }
}

/// The rows per chunk: small enough to keep memory flat, large enough for Parquet row groups.
const CHUNK: usize = 1 << 20;
