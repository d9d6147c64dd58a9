//! Command-line interface (clap derive). The contract is in DESIGN.md, "CLI contract".

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::FailOn;

#[derive(Parser, Debug)]
#[command(
    name = "statelint",
    version,
    about = "Finds where a Rust service keeps state in the process, before you run a second replica.",
    after_help = "Run `statelint rules` for the rules and `statelint explain ID` for one rule in detail."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint crates, workspaces or directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule: id, checklist item, severity, one line.
    Rules(RulesArgs),
    /// Explain one rule: what it finds, why it breaks replicas, examples, the fix.
    Explain(ExplainArgs),
    /// Run rule fixtures: every `//~ rule-id` marker must be reported, and nothing else.
    Test(TestArgs),
    /// Write a starter statelint.toml (every option, commented out) in DIR (default: .).
    Init(InitArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct RuleSourceArgs {
    /// Extra rule file or directory of rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: nearest statelint.toml, or [package/workspace.metadata.statelint]).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Printed after `statelint check --help`.
const CHECK_AFTER_HELP: &str = "\
Exit codes:
  0  nothing at or above --fail-on (also when no Rust file was found)
  1  findings at or above --fail-on, or files that could not be linted
  2  a usage, config or rule-file error, or a PATH that does not exist

Each crate is checked with the nearest statelint.toml (or [package.metadata.statelint]) above
it, merged over its workspace's; `--show-settings` prints what applies to a PATH.";

#[derive(Args, Debug, Default)]
#[command(after_help = CHECK_AFTER_HELP)]
pub struct CheckArgs {
    /// Crates, workspaces, directories or .rs files (default: the current directory).
    #[arg(value_name = "PATH", conflicts_with = "manifest_path")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the --format report to FILE; the terminal then gets the human report.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that makes the run fail (exit code 1). Default: warning.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,..")]
    pub select: Vec<String>,
    /// Not these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,..")]
    pub ignore: Vec<String>,
    /// Hide the findings recorded in this baseline file: only new findings are reported.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in this file (written atomically) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Only these packages of the workspace (repeatable), as cargo's -p.
    #[arg(long, short = 'p', value_name = "SPEC")]
    pub package: Vec<String>,
    /// Every member of the workspace (what a directory PATH means anyway).
    #[arg(long, conflicts_with = "package")]
    pub workspace: bool,
    /// The Cargo.toml of the crate or workspace to check, instead of PATHs.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Print the settings that apply to the first PATH (merged config, rules that run).
    #[arg(long)]
    pub show_settings: bool,
    /// Count findings per rule instead of listing them.
    #[arg(long)]
    pub statistics: bool,
    /// Only the findings: no checklist, totals or hints.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// When to colour the human report (auto: on a terminal, unless NO_COLOR is set;
    /// FORCE_COLOR or CLICOLOR_FORCE turn it on).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Files larger than this many bytes are listed as skipped instead of parsed.
    #[arg(long, default_value_t = 64 * 1024 * 1024, value_name = "BYTES")]
    pub max_file_size: u64,
    /// Lint and report, but only parse (no rules): the baseline for the benchmark.
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Short,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=..::message`), then the short report.
    Github,
    /// GitLab Code Quality JSON (`artifacts: reports: codequality`).
    Gitlab,
    /// A Markdown summary to post on a pull request.
    Markdown,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
    /// Same as `--format json` (kept for scripts written before --format).
    #[arg(long, hide = true)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulesFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Rule id, as listed by `statelint rules`.
    pub id: String,
    #[command(flatten)]
    pub sources: RuleSourceArgs,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Fixture files or directories (default: the current directory). Rule files (*.toml) at
    /// the top of a directory are loaded too.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub sources: RuleSourceArgs,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Directory to write statelint.toml in (default: the current directory).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
