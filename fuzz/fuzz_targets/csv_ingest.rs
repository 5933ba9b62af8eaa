//! Read any bytes as a CSV file under a declared schema with a column of every type: no panic,
//! and either rows (no more than the file has lines) or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// A column of every type (the corpus replay in tests/robustness.rs reads the same file).
const SCHEMA: &str = include_str!("../csv_ingest.scorecard");

fn dataset() -> &'static scorecard::check::model::Dataset {
    static MODEL: OnceLock<scorecard::check::model::Model> = OnceLock::new();
    let model = MODEL.get_or_init(|| scorecard::compile(SCHEMA).model.expect("the schema checks"));
    &model.datasets[0]
}

fuzz_target!(|data: &[u8]| {
    let mut input = std::io::Cursor::new(data);
    if let Ok(loaded) = scorecard::engine::csv::read(dataset(), "rows.csv", &mut input, 2, 1, true) {
        let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        assert!(loaded.rows <= lines, "{} rows from {lines} lines", loaded.rows);
    }
});
