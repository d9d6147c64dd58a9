//! Fault isolation. A bug in one rule on one file must cost that rule's findings in that file,
//! not the run: panics are caught where a rule looks at a syntax node (the walker) and where it
//! judges a candidate (the crate phase), named by rule id, and reported as the file's
//! `internal` error. The run goes on and exits 1, since it is incomplete.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Caught panics become reports; the default hook would also print them to stderr in the
/// middle of the output. Panics outside `catch` still print as usual.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err(message)`.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let was = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

/// Where a rule runs: on one file's syntax nodes, or on the crate's candidates.
#[derive(Clone, Copy)]
pub enum Stage {
    Walk,
    Resolve,
}

/// `catch` for code that runs one rule. In debug builds `STATELINT_PANIC_IN_RULE=<rule id>`
/// (or `walk:<rule id>` / `resolve:<rule id>` for one stage) makes that rule panic, so tests
/// can prove a crashing rule is isolated.
pub fn catch_rule<R>(stage: Stage, rule_id: &str, f: impl FnOnce() -> R) -> Result<R, String> {
    catch(|| {
        inject(stage, rule_id);
        f()
    })
}

#[cfg(debug_assertions)]
fn inject(stage: Stage, rule_id: &str) {
    static TARGET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let Some(target) = TARGET.get_or_init(|| std::env::var("STATELINT_PANIC_IN_RULE").ok()) else {
        return;
    };
    let (want_stage, want_rule) = match target.split_once(':') {
        Some((stage, rule)) => (Some(stage), rule),
        None => (None, target.as_str()),
    };
    let stage_name = match stage {
        Stage::Walk => "walk",
        Stage::Resolve => "resolve",
    };
    if want_rule == rule_id && want_stage.is_none_or(|s| s == stage_name) {
        panic!("fault injected by STATELINT_PANIC_IN_RULE");
    }
}

#[cfg(not(debug_assertions))]
fn inject(_: Stage, _: &str) {}

/// The message of a rule's internal error.
pub fn rule_crashed(rule_id: &str, panic: &str) -> String {
    format!(
        "rule `{rule_id}` crashed on this file ({panic}); its findings here are missing. \
         This is a bug in statelint: please report it with the file"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages() {
        install_panic_hook();
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> () { panic!("boom {}", 1) }),
            Err("boom 1".to_string())
        );
        assert_eq!(
            catch(|| -> () { panic!("static") }),
            Err("static".to_string())
        );
    }
}
