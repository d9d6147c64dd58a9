//! What `check` prints: the report in `--format` (or the statistics), on stdout or into
//! `--output FILE`, with the terminal's colour and width.

use super::{emit, eprint};
use crate::cli::{CheckArgs, Format};
use crate::report::{Outcome, github, gitlab, human, json, markdown, sarif, short, statistics};
use crate::rules::compile::RuleSet;
use crate::terminal;

/// The report in `--format` (or the statistics), on stdout or into `--output FILE`; with
/// `--output`, stdout gets the human report.
pub fn print_report(outcome: &Outcome, rules: &RuleSet, args: &CheckArgs) {
    let human_opts = |color: bool, width: usize, wrap_summary: bool| human::HumanOptions {
        color,
        width,
        wrap_summary,
        quiet: args.quiet,
    };
    let on_stdout = || {
        let color = terminal::color(args.color, terminal::stdout_is_terminal());
        human_opts(color, terminal::width(), terminal::width_is_known())
    };
    match &args.output {
        Some(path) => {
            // The file is for tools: no colour, the default width.
            let for_file = human_opts(false, terminal::DEFAULT_WIDTH, false);
            let (text, _) = render(outcome, rules, args, args.format, &for_file);
            if let Err(e) = std::fs::write(path, text) {
                eprint(&format!("error: cannot write {}: {e}\n", path.display()));
            }
            let (text, _) = render(outcome, rules, args, Format::Human, &on_stdout());
            emit(&text);
        }
        None => {
            let (text, err) = render(outcome, rules, args, args.format, &on_stdout());
            emit(&text);
            eprint(&err);
        }
    }
}

/// (stdout text, stderr text) of one format.
fn render(
    outcome: &Outcome,
    rules: &RuleSet,
    args: &CheckArgs,
    format: Format,
    opts: &human::HumanOptions,
) -> (String, String) {
    if args.statistics {
        return match format {
            Format::Json => (statistics::render_json(outcome, rules), String::new()),
            _ => (statistics::render(outcome, rules), String::new()),
        };
    }
    let errors_on_stderr = || {
        let mut err = String::new();
        short::render_errors(outcome, &mut err);
        err
    };
    match format {
        Format::Human => {
            let mut out = String::new();
            human::render(outcome, rules, opts, &mut out);
            (out, String::new())
        }
        Format::Short => {
            let mut out = String::new();
            short::render(outcome, &mut out);
            (out, errors_on_stderr())
        }
        Format::Json => (json::render(outcome), String::new()),
        Format::Sarif => (sarif::render(outcome, rules), String::new()),
        Format::Github => (github::render(outcome), errors_on_stderr()),
        Format::Gitlab => (gitlab::render(outcome), String::new()),
        Format::Markdown => (markdown::render(outcome, rules), String::new()),
    }
}
