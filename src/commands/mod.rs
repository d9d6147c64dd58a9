//! The subcommands, and what they share: loading config and rules, printing diagnostics.

pub mod check;
pub mod explain;
pub mod list_rules;
pub mod test;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
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

/// Prints user-file diagnostics (rule files, config) on stderr.
pub fn print_diagnostics(diags: &Diagnostics) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in &diags.0 {
        // The first line is greppable `file:line:col: key `x`: message` even in plain logs.
        out.push_str(&format!("error: {d}\n"));
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
}

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
