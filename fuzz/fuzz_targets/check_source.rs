//! `statelint check` on one arbitrary `src/lib.rs`: no panic (caught or not), no abort, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = statelint::fuzzing::check_source(data);
    // The engine turns a panic inside a file into an `internal` error; that is a bug too.
    if let Some(e) = outcome.errors.iter().find(|e| e.kind == "internal") {
        panic!("internal error: {}: {}", e.file, e.message);
    }
});
