//! `statelint rules`: the rule table.

use std::fmt::Write as _;

use super::{EXIT_OK, EXIT_USAGE, emit, load, print_diagnostics};
use crate::cli::{RulesArgs, RulesFormat};

pub fn run(args: RulesArgs) -> u8 {
    let loaded = match load(&args.sources, std::path::Path::new("."), &[]) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d);
            return EXIT_USAGE;
        }
    };
    let rules = &loaded.rules.rules;
    if args.json || args.format == RulesFormat::Json {
        let list: Vec<serde_json::Value> = rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "checklist": r.checklist, "severity": r.severity.as_str(),
                    "title": r.title, "help": r.help, "origin": r.origin,
                })
            })
            .collect();
        emit(&(serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"));
        return EXIT_OK;
    }
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(10).max(4);
    let mut out = String::new();
    let _ = writeln!(out, "{:<width$}  item  severity  what it finds", "rule");
    for r in rules {
        let item = r
            .checklist
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".to_string());
        let _ = writeln!(
            out,
            "{:<width$}  {:<4}  {:<8}  {}",
            r.id,
            item,
            r.severity.as_str(),
            r.title
        );
    }
    let _ = writeln!(
        out,
        "\n`statelint explain ID` shows why a rule matters and how to fix what it finds."
    );
    emit(&out);
    EXIT_OK
}
