//! The subcommands, and what they share: loading config and rules, printing diagnostics.

pub mod check;
pub mod explain;
pub mod init;
pub mod list_rules;
pub mod output;
pub mod rule_sets;
pub mod test;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;
use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::cli::{Cli, Command, RuleSourceArgs};
use crate::config::Config;
use crate::rules::compile::{CompileOptions, RuleSet, compile};
use crate::rules::diagnostic::Diagnostics;
use crate::rules::{builtin_sources, read_rule_paths};

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

pub fn main(args: Vec<OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Rules(a) => list_rules::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Test(a) => test::run(a),
        Command::Init(a) => init::run(a),
    }
}

/// Whether the arguments after the program name name no subcommand, so `check` is meant
/// (nothing, or options other than help and version). Used by `cargo statelint`.
pub fn implies_check(rest: &[OsString]) -> bool {
    match rest.first().and_then(|a| a.to_str()) {
        None => true,
        Some(first) => {
            first.starts_with('-') && !matches!(first, "-h" | "--help" | "-V" | "--version")
        }
    }
}

/// Config (from `--config` or found from `start` upward) and the rule set it implies.
pub struct Loaded {
    pub config: Config,
    pub rules: RuleSet,
}

pub fn load(
    sources: &RuleSourceArgs,
    start: &Path,
    extra_rule_paths: &[PathBuf],
) -> Result<Loaded, Diagnostics> {
    let config = match &sources.config {
        Some(f) => Config::load(f)?,
        None => Config::discover(start)?,
    };
    let mut rule_sources = builtin_sources();
    let mut paths = config.rule_paths();
    paths.extend(sources.rules.iter().cloned());
    paths.extend(extra_rule_paths.iter().cloned());
    rule_sources.extend(read_rule_paths(&paths)?);
    let options = CompileOptions {
        extra_lists: config.extra_lists(),
    };
    let rules = compile(&rule_sources, &options)?;
    config.validate(&rules)?;
    Ok(Loaded { config, rules })
}

/// Prints user-file diagnostics (rule files, config) on stderr, each once: a greppable
/// `file:line:column: key `x`: message` line over the line of the file it is about.
pub fn print_diagnostics(diags: &Diagnostics) {
    let terminal = crate::terminal::stderr_is_terminal();
    let color = crate::terminal::color(crate::cli::ColorChoice::Auto, terminal);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // In a log, a message stays on one greppable line.
    let width = if terminal || crate::terminal::width_is_known() {
        crate::terminal::width()
    } else {
        LOG_WIDTH
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width);
    let mut out = String::new();
    for d in &diags.0 {
        if miette::Diagnostic::source_code(d).is_some() {
            let _ = handler.render_report(&mut out, d);
        } else {
            // Nothing to show but the message: one plain line.
            out.push_str(&format!("error: {d}\n"));
        }
        out.push('\n');
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
}

/// Wide enough that a diagnostic's message is never wrapped in a log.
const LOG_WIDTH: usize = 1000;

/// Writes to stdout; a closed pipe (`statelint check | head`) is not an error.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        // Nothing more can be shown; the exit code still tells the result.
    }
}

pub fn eprint(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}
