// What each fuzz target checks of one input. The targets `include!` this file, and so does the
// corpus replay in tests/robustness.rs, so that `cargo test` does exactly what the fuzzer did.

/// Parse and check any text: no panic, no declaration left out of the model without an error
/// saying why, diagnostics that render, and formatting that is stable (formatting a formatted file
/// changes nothing) and keeps the number of errors.
pub fn parse_check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let compiled = scorecard::compile(text);
    let unreached = scorecard::diagnostic::Code::Unreached;
    assert!(
        !compiled.diagnostics.iter().any(|d| d.code == unreached),
        "a declaration was left out without an error"
    );
    let _ = scorecard::diagnostic::render_plain("fuzz.scorecard", text, &compiled.diagnostics);
    if let Ok(once) = scorecard::layout::format(text) {
        let twice = scorecard::layout::format(&once).expect("formatted text formats again");
        assert_eq!(once, twice, "formatting is not stable");
        let again = scorecard::compile(&once);
        assert_eq!(
            compiled.errors(),
            again.errors(),
            "formatting changed the number of errors"
        );
    }
}

/// Read any bytes as a CSV file of `dataset`: no panic, and either rows (no more than the file
/// has lines) or an error. Says whether the bytes read.
pub fn csv_ingest(dataset: &scorecard::model::Dataset, data: &[u8]) -> bool {
    let mut input = std::io::Cursor::new(data);
    match scorecard::engine::csv::read(dataset, "rows.csv", &mut input, 2, (1, true), &Default::default()) {
        Ok(loaded) => {
            let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            assert!(loaded.rows <= lines, "{} rows from {lines} lines", loaded.rows);
            true
        }
        Err(_) => false,
    }
}

/// Compile and call any text as a Rhai scoring function or attribution weight, in the sandbox: no
/// panic, a score that comes back is from 0 to 10, and a weight is not negative. (That every call
/// ends is libFuzzer's `-timeout`, and the replay's clock.)
pub fn rhai_function(data: &[u8]) {
    use rust_decimal::Decimal;
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let engine = scorecard::script::engine();
    let Ok((_, params)) = scorecard::script::compile(&engine, "f", source) else {
        return;
    };
    let function = scorecard::model::Function {
        name: "f".into(),
        label: None,
        doc: None,
        source: source.into(),
        params,
    };
    let Ok(scripts) = scorecard::script::Scripts::new(&[function]) else {
        return;
    };
    if params == 2 {
        for (value, target) in [
            (Decimal::new(95, 2), Some(Decimal::ONE)),
            (Decimal::ZERO, None),
            (Decimal::MAX, Some(Decimal::MIN)),
        ] {
            if let Ok(score) = scripts.call("f", value, target) {
                assert!(score >= Decimal::ZERO && score <= Decimal::TEN);
            }
        }
    } else {
        for (position, touches, age) in [(1, 1, 0), (2, 3, 7), (i64::MAX, i64::MIN, -1)] {
            if let Ok(w) = scripts.weight("f", position, touches, age) {
                assert!(w >= Decimal::ZERO);
            }
        }
    }
}
