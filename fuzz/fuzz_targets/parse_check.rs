//! Parse and check any text: no panic, diagnostics that render, and formatting that is stable
//! (formatting a formatted file changes nothing, and it still checks the same).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let compiled = scorecard::compile(text);
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
});
