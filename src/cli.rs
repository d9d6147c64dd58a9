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
}

#[derive(Args, Debug, Clone)]
pub struct RuleSourceArgs {
    /// Extra rule file or directory of rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: nearest statelint.toml, or [package/workspace.metadata.statelint]).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Crates, workspaces, directories or .rs files.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
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

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Short,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=..::message`), then the short report.
    Github,
    /// A Markdown summary to post on a pull request.
    Markdown,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
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
