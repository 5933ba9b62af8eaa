//! Read any bytes as a CSV file under a declared schema with a column of every type
//! (fuzz/csv_ingest.scorecard): no panic, and either rows or an error (fuzz/checks.rs).
#![no_main]

use std::sync::OnceLock;

include!("../checks.rs");

fn dataset() -> &'static scorecard::model::Dataset {
    static MODEL: OnceLock<scorecard::model::Model> = OnceLock::new();
    let model = MODEL.get_or_init(|| {
        let schema = include_str!("../csv_ingest.scorecard");
        scorecard::compile(schema).model.expect("the schema checks")
    });
    &model.datasets[0]
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    csv_ingest(dataset(), data);
});
