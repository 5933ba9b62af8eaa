//! Owns generating seeded, synthetic datasets at any size (retail order lines, marketing touches and
//! orders), written as CSV and Parquet, for benchmarks and for trying the engine on large data.
//!
//! The same seed and size always give byte-identical files. Rows are built a chunk at a time in
//! columns, then written to every requested format, so memory stays flat however many rows are asked.

mod folder;
mod marketing;
mod random;
mod retail;
mod sink;

pub use folder::MARKER;
pub use sink::Format;

use crate::output::{Batch, OutputError};
use std::path::{Path, PathBuf};

/// The most rows `generate` writes: a billion order lines is about 100 GB of CSV already.
pub const MAX_ROWS: u64 = 1_000_000_000;

/// About how many bytes a generated retail order line takes as CSV, for saying what `MAX_ROWS`
/// means on disk.
pub const RETAIL_CSV_BYTES_PER_ROW: u64 = 100;

/// Which data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `orders` (order lines over 36 fiscal months, four regions) and `budget`.
    Retail,
    /// `touchpoints`, `orders` (the conversions, a tenth as many) and `spend`.
    Marketing,
}

impl Kind {
    /// The tables this kind writes, each as one file per format.
    fn tables(self) -> &'static [&'static str] {
        match self {
            Kind::Retail => &["orders", "budget"],
            Kind::Marketing => &["touchpoints", "orders", "spend"],
        }
    }

    /// The files this kind writes in `formats`.
    fn files(self, formats: &[Format]) -> Vec<String> {
        let tables = self.tables().iter();
        tables
            .flat_map(|t| {
                formats
                    .iter()
                    .map(move |f| format!("{t}.{}", f.extension()))
            })
            .collect()
    }
}

/// The folder to write into, and whether it may hold files `generate` did not write.
#[derive(Debug, Clone, Copy)]
pub struct Folder<'a> {
    pub path: &'a Path,
    pub force: bool,
}

impl<'a> Folder<'a> {
    /// A folder that must be new, empty, or hold only what `generate` wrote.
    pub fn new(path: &'a Path) -> Folder<'a> {
        Folder { path, force: false }
    }
}

/// What a generation wrote: each file and its row count.
#[derive(Debug, Default)]
pub struct Written {
    pub files: Vec<(PathBuf, u64)>,
}

/// Writes `rows` rows of the kind's main table (order lines, or touches) and its companion tables
/// into the folder, in each of `formats`; all the files are renamed into place together at the end,
/// with the folder's list of what `generate` wrote (`MARKER`). A folder that holds other files is
/// refused unless forced (`folder::claim`).
pub fn generate(
    kind: Kind,
    rows: u64,
    seed: u64,
    into: Folder,
    formats: &[Format],
) -> Result<Written, OutputError> {
    if !(1..=MAX_ROWS).contains(&rows) {
        return Err(OutputError::Unwritable {
            path: into.path.display().to_string(),
            reason: format!("{rows} rows were asked for"),
            help: format!("generate writes from 1 to {MAX_ROWS} rows"),
        });
    }
    let names = kind.files(formats);
    let every = [Format::Csv, Format::Parquet];
    let any_kind: Vec<String> = [Kind::Retail, Kind::Marketing]
        .iter()
        .flat_map(|k| k.files(&every))
        .collect();
    let (earlier, _locked) = folder::claim(into, &names, &any_kind)?;
    let dir = into.path;
    let mut batch = Batch::new();
    let written = match kind {
        Kind::Retail => retail::generate(rows, seed, dir, formats, &mut batch)?,
        Kind::Marketing => marketing::generate(rows, seed, dir, formats, &mut batch)?,
    };
    batch.stage(
        &dir.join(MARKER),
        folder::marker(&earlier, &names).as_bytes(),
    )?;
    batch.commit()?;
    Ok(written)
}

/// The rows per chunk: small enough to keep memory flat, large enough for Parquet row groups.
const CHUNK: usize = 1 << 20;
