//! Compile and call any Rhai source as a scoring function and as an attribution weight, inside
//! the sandbox: no panic, and every call ends (libFuzzer's -timeout catches one that does not).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use scorecard::check::model::Function;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let engine = scorecard::script::engine();
    let Ok((_, params)) = scorecard::script::compile(&engine, "f", source) else {
        return;
    };
    let function = Function {
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
});
