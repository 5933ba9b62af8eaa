//! Compile and call any Rhai source as a scoring function and as an attribution weight, inside
//! the sandbox: no panic, and every call ends (fuzz/checks.rs; libFuzzer's -timeout).
#![no_main]

include!("../checks.rs");

/// As in the binary: the sandbox's memory limit counts what each thread allocates.
#[global_allocator]
static ALLOCATOR: scorecard::script::memory::CountingAllocator =
    scorecard::script::memory::CountingAllocator;

libfuzzer_sys::fuzz_target!(|data: &[u8]| rhai_function(data));
