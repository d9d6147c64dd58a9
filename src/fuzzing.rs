//! Entry points for the fuzz targets in `fuzz/` and their regression tests
//! (`tests/fuzz_regressions.rs`). Not part of statelint's interface.
//!
//! Both take text instead of paths and then go through the same steps as `statelint check`
//! (`commands::load`, `rule_sets::apply_selection`, `engine::run`, the printers). What the library
//! can only read from disk (a config file, the crate's sources, which the human report reads
//! again) is written to a scratch directory of the calling thread, reused from call to call.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::config::Config;
use crate::engine::{self, CheckOptions};
use crate::report::{Outcome, github, human, json, markdown, sarif, short};
use crate::rules::builtin_sources;
use crate::rules::compile::{CompileOptions, RuleSet, RuleSource, compile};
use crate::rules::diagnostic::Diagnostics;
use crate::workspace::discover::{self, Plan};

/// The manifest of the crate `check_source` lints: dependencies that switch on every rule's
/// crate conditions (web framework, jobs, cron, databases, caches, websockets).
pub const FUZZ_MANIFEST: &str = r#"[package]
name = "fuzzed"
version = "0.1.0"
edition = "2021"

[dependencies]
axum = { version = "0.8", features = ["ws"] }
actix-web = "4"
tokio = { version = "1", features = ["full"] }
tokio-cron-scheduler = "0.13"
apalis = "0.6"
sqlx = "0.8"
moka = "0.12"
lru = "0.12"
once_cell = "1"
lazy_static = "1"
tower-sessions = "0.13"
sled = "0.34"
rusqlite = "0.32"
reqwest = "0.12"
"#;

/// A scratch directory for this thread, removed when the thread ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

thread_local! {
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
    static PLAN: RefCell<Option<Plan>> = const { RefCell::new(None) };
}

fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        s.get_or_insert_with(|| {
            let dir = std::env::temp_dir().join(format!(
                "statelint-fuzz-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("cannot create a scratch directory");
            Scratch(dir)
        })
        .0
        .clone()
    })
}

/// The built-in rules, compiled once.
pub fn builtin_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let opts = CompileOptions {
            extra_lists: Default::default(),
        };
        match compile(&builtin_sources(), &opts) {
            Ok(r) => r,
            Err(d) => panic!("built-in rules do not compile: {d}"),
        }
    })
}

/// Whether the config text is given as a `statelint.toml` or as a Cargo.toml with
/// `[package.metadata.statelint]` (chosen from its text: a `[package` or `[workspace` table).
pub fn config_file_name(config_text: &str) -> &'static str {
    if config_text.contains("[package") || config_text.contains("[workspace") {
        "Cargo.toml"
    } else {
        "statelint.toml"
    }
}

/// Which built-in rule files `load_rules` loads beside the fuzzed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtins {
    /// All of them, as `statelint check` does.
    All,
    /// Only `contexts.toml` (the contexts and lists the other files use): compiling every
    /// built-in rule on each call would cost most of a fuzzing run's time.
    ContextsOnly,
}

/// What `load_rules` did: the diagnostics as they are printed, or the rules it selected.
pub struct LoadOutcome {
    pub rules: Option<RuleSet>,
    /// Every diagnostic, rendered as `print_diagnostics` does (empty when loading succeeded).
    pub rendered: String,
    /// A `--select`/`--ignore` error as printed by `check` (unknown rule in the config).
    pub selection_error: Option<String>,
}

/// `commands::load` with `--config FILE` holding `config_text` (if any) and `--rules` naming
/// one rule file holding `rule_text` (if any), then `rule_sets::apply_selection` with no CLI flags
/// and the config's exclude and per-path globs. Rule paths named in the config are not read
/// (they could name anything on this machine); the fuzzed rule file stands in for them.
pub fn load_rules(
    rule_text: Option<&str>,
    config_text: Option<&str>,
    builtins: Builtins,
) -> LoadOutcome {
    match load_inner(rule_text, config_text, builtins) {
        Ok((mut rules, config)) => {
            let selection_error =
                crate::commands::rule_sets::apply_selection(&mut rules, &[], &[], &config).err();
            if let Some(exclude) = config.exclude_set() {
                let _ = exclude.is_match("src/lib.rs");
            }
            config.apply_per_path(&mut Vec::new());
            LoadOutcome {
                rules: Some(rules),
                rendered: String::new(),
                selection_error,
            }
        }
        Err(d) => LoadOutcome {
            rules: None,
            rendered: render_diagnostics(&d),
            selection_error: None,
        },
    }
}

fn load_inner(
    rule_text: Option<&str>,
    config_text: Option<&str>,
    builtins: Builtins,
) -> Result<(RuleSet, Config), Diagnostics> {
    let config = match config_text {
        Some(text) => {
            let dir = scratch_dir();
            let path = dir.join(config_file_name(text));
            std::fs::write(&path, text).expect("cannot write the config");
            let loaded = Config::load(&path);
            let _ = std::fs::remove_file(&path);
            loaded?
        }
        None => Config::default(),
    };
    let mut rule_sources = builtin_sources();
    if builtins == Builtins::ContextsOnly {
        rule_sources.retain(|s| s.name.ends_with("/contexts.toml"));
    }
    let _ = config.rule_paths();
    if let Some(text) = rule_text {
        rule_sources.push(RuleSource {
            name: "fuzz-rules.toml".to_string(),
            text: Arc::new(text.to_string()),
        });
    }
    let options = CompileOptions {
        extra_lists: config.extra_lists(),
    };
    let rules = compile(&rule_sources, &options)?;
    config.validate(&rules)?;
    Ok((rules, config))
}

/// As `commands::print_diagnostics` renders them (without colour), into a string.
pub fn render_diagnostics(diags: &Diagnostics) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut out = String::new();
    for d in &diags.0 {
        out.push_str(&format!("error: {d}\n"));
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    out
}

/// `statelint check` of a crate (`FUZZ_MANIFEST`) whose only file, `src/lib.rs`, holds
/// `source`, with the built-in rules, then every output format. Returns the outcome; panics
/// inside statelint are caught per file by the engine and come back as errors of kind
/// `internal` (callers that look for bugs must treat those as crashes).
pub fn check_source(source: &[u8]) -> Outcome {
    let rules = builtin_rules();
    let dir = scratch_dir();
    let lib = dir.join("src/lib.rs");
    PLAN.with(|p| {
        let mut p = p.borrow_mut();
        let plan = p.get_or_insert_with(|| {
            std::fs::create_dir_all(dir.join("src")).expect("cannot create src/");
            std::fs::write(dir.join("Cargo.toml"), FUZZ_MANIFEST).expect("cannot write Cargo.toml");
            std::fs::write(&lib, b"").expect("cannot write src/lib.rs");
            discover::discover(std::slice::from_ref(&dir))
        });
        std::fs::write(&lib, source).expect("cannot write src/lib.rs");
        let options = CheckOptions {
            threads: Some(1),
            max_file_size: 10 << 20,
        };
        let outcome = engine::run(plan, rules, &options, &AtomicUsize::new(0));
        render_all(&outcome, rules);
        outcome
    })
}

/// Every printer, output discarded.
pub fn render_all(outcome: &Outcome, rules: &RuleSet) {
    for color in [false, true] {
        let mut out = String::new();
        human::render(
            outcome,
            rules,
            &human::HumanOptions {
                color,
                width: 100,
                wrap_summary: true,
                quiet: false,
            },
            &mut out,
        );
    }
    let mut out = String::new();
    short::render(outcome, &mut out);
    short::render_errors(outcome, &mut out);
    let _ = json::render(outcome);
    let _ = sarif::render(outcome, rules);
    let _ = github::render(outcome);
    let _ = markdown::render(outcome, rules);
    let _ = outcome.summary();
}

/// The scratch directory `check_source` uses on this thread (for tests).
pub fn scratch_path() -> PathBuf {
    scratch_dir()
}
