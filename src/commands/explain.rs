//! `statelint explain ID`: clippy-style documentation of one rule.

use std::fmt::Write as _;

use super::{EXIT_OK, EXIT_USAGE, emit, eprint, load, print_diagnostics};
use crate::cli::ExplainArgs;
use crate::config::unknown_rule_message;
use crate::report::CHECKLIST;

pub fn run(args: ExplainArgs) -> u8 {
    let loaded = match load(&args.sources, std::path::Path::new("."), &[]) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d);
            return EXIT_USAGE;
        }
    };
    let Some(rule) = loaded.rules.rule(&args.id) else {
        eprint(&format!(
            "error: {}\n",
            unknown_rule_message(&args.id, &loaded.rules)
        ));
        return EXIT_USAGE;
    };
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", rule.id, rule.severity.as_str());
    match rule.checklist {
        Some(n) => {
            let _ = writeln!(out, "Checklist item {n}: {}", CHECKLIST[n as usize - 1]);
        }
        None => {
            let _ = writeln!(out, "Beyond the stateless checklist");
        }
    }
    let _ = writeln!(out, "\n{}", rule.title);
    if let Some(text) = &rule.explain {
        let _ = writeln!(out, "\n{}", text.trim_end());
    }
    if let Some(bad) = &rule.bad {
        let _ = writeln!(
            out,
            "\n## Example that fires\n\n```rust\n{}\n```",
            bad.trim_end()
        );
    }
    if let Some(good) = &rule.good {
        let _ = writeln!(out, "\n## Use instead\n\n```rust\n{}\n```", good.trim_end());
    }
    let _ = writeln!(out, "\n## Fix\n\n{}", rule.help);
    if !rule.internal {
        let _ = writeln!(
            out,
            "\nWhen the state is fine (say why): `// statelint: allow({}) reason` on or above the line, or above the item.",
            rule.id
        );
    }
    if crate::docs::has_page(rule) {
        let _ = writeln!(out, "\nOnline: {}", crate::docs::rule_url(&rule.id));
    }
    emit(&out);
    EXIT_OK
}
