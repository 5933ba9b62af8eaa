//! Owns `scorecard generate`: seeded synthetic datasets written into a folder.

use super::args::{GenerateFormat, GenerateKind};
use super::exit::Exit;
use super::write;
use std::path::Path;

pub(crate) fn generate(
    kind: GenerateKind,
    rows: u64,
    (out, force): (&Path, bool),
    format: GenerateFormat,
    seed: u64,
) -> Exit {
    use scorecard::generate::{Format as F, Kind};
    let kind = match kind {
        GenerateKind::Retail => Kind::Retail,
        GenerateKind::Marketing => Kind::Marketing,
    };
    let formats: &[F] = match format {
        GenerateFormat::Csv => &[F::Csv],
        GenerateFormat::Parquet => &[F::Parquet],
        GenerateFormat::Both => &[F::Csv, F::Parquet],
    };
    let into = scorecard::generate::Folder { path: out, force };
    match scorecard::generate::generate(kind, rows, seed, into, formats) {
        Ok(written) => {
            for (path, n) in written.files {
                println!("{} ({n} rows)", path.display());
            }
            Exit::Ok
        }
        Err(e) => write::failed(&e),
    }
}
