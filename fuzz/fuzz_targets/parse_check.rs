//! Parse and check any text: no panic, diagnostics that render, and formatting that is stable
//! (the checks are in fuzz/checks.rs).
#![no_main]

include!("../checks.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| parse_check(data));
