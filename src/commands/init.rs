//! `statelint init`: a starter `statelint.toml` with every option, commented out, and the
//! lists teams usually extend (their lock helpers, pub/sub calls, handler attributes).

use std::path::PathBuf;

use super::{EXIT_OK, EXIT_USAGE, eprint};
use crate::cli::InitArgs;

/// The starter file. Lines starting with `# ` are settings to uncomment; `## ` lines explain.
/// (A test uncomments every setting and loads the result, so this stays a valid config.)
pub const STARTER: &str = r#"## statelint configuration. Each crate is checked with the nearest statelint.toml above
## it, merged over its workspace's; `statelint check --show-settings PATH` prints the result.
## Uncomment what you need. Command-line flags override these.

## Extra rule files or directories of rule files (your own rules, same language as rules/).
# rules = ["lint/statelint"]

## Run only these rules (default: all), or all but these. `statelint rules` lists the ids.
# select = ["in-memory-session", "local-file-write", "embedded-local-database", "in-process-cache", "non-idempotent-job", "unlocked-schedule", "local-websocket-fanout"]
# ignore = ["unused-suppression"]

## Files not to lint (globs relative to this file).
# exclude = ["src/generated/**", "vendor/**"]

## Lowest severity that fails the run (exit code 1): error, warning, info or never.
# fail-on = "warning"

## Change a rule's severity.
# [severity]
# local-file-write = "error"
# in-process-cache = "info"

## Rules not reported under some paths (globs relative to this file).
# [per-path]
# "src/legacy/**" = ["in-process-cache"]
# "src/bin/admin/**" = ["local-file-write"]

## Extend the lists the built-in rules read: tell statelint about your own helpers.
# [lists]
## Your distributed-lock helpers: a scheduled job that calls one is not reported.
# lock-functions = ["my_infra::leader::acquire", "my_infra::lock::*"]
## How your code subscribes to your pub/sub layer: a websocket map fed by it is not reported.
# pubsub-subscriptions = [".consume_events(1)"]
## Crates that are a pub/sub layer for your websocket fan-out.
# pubsub-crates = ["my_bus"]
## Your web framework's handler attributes and extractor types: their fns are request handlers.
# handler-attributes = ["my_web::endpoint"]
# handler-param-types = ["my_web::Ctx"]
## Traits your background jobs implement: their methods are job code.
# job-traits = ["my_queue::Job"]
## Calls that make a job idempotent (it records what it already did).
# dedup-calls = ["*mark_done*"]
"#;

pub fn run(args: InitArgs) -> u8 {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        eprint(&format!(
            "error: cannot write statelint.toml: `{}` is not a directory\n",
            dir.display()
        ));
        return EXIT_USAGE;
    }
    let path = dir.join("statelint.toml");
    // create_new: never overwrite a config (or follow a link planted where it would go).
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, STARTER.as_bytes()));
    match written {
        Ok(()) => {
            eprint(&format!(
                "statelint: wrote {}; uncomment what you need, then run `statelint check`\n",
                path.display()
            ));
            EXIT_OK
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprint(&format!(
                "error: {} already exists; statelint init does not overwrite it\n",
                path.display()
            ));
            EXIT_USAGE
        }
        Err(e) => {
            eprint(&format!("error: cannot write {}: {e}\n", path.display()));
            EXIT_USAGE
        }
    }
}

/// The starter with every setting uncommented (what the test loads).
pub fn uncommented() -> String {
    STARTER
        .lines()
        .filter(|l| !l.starts_with("##"))
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}
