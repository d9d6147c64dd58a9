//! Rule files and config files: any text must load, or fail with diagnostics that render.
//!
//! Input: UTF-8 (lossily decoded) text of a rule file, optionally followed by a NUL byte and
//! the text of a config file (`statelint.toml`, or a Cargo.toml with
//! `[package.metadata.statelint]` when it has a `[package`/`[workspace` table).
#![no_main]

use libfuzzer_sys::fuzz_target;
use statelint::fuzzing::{Builtins, load_rules};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (rule_text, config_text) = match text.split_once('\0') {
        Some((r, c)) => (r, Some(c)),
        None => (&*text, None),
    };
    // Beside `contexts.toml` only: all built-in rules would take most of each run's time
    // (tests/fuzz_regressions.rs replays the inputs with all of them).
    let out = load_rules(Some(rule_text), config_text, Builtins::ContextsOnly);
    assert!(
        out.rules.is_some() || !out.rendered.is_empty(),
        "loading failed without a diagnostic"
    );
});
