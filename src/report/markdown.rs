//! `--format markdown`: a summary a bot can post on a pull request — the checklist as a table,
//! then the findings grouped by rule, then the files that could not be linted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{CHECKLIST, FileError, Finding, ItemStatus, Outcome, plural, summary_parts};
use crate::rules::compile::RuleSet;

/// Lets a bot find its earlier comment and edit it instead of posting a new one.
const MARKER: &str = "<!-- statelint -->";

pub fn render(outcome: &Outcome, rules: &RuleSet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}\n## statelint: stateless checklist\n");
    if let Some(nothing) = outcome.nothing_found() {
        // Nothing was linted: no verdict at all, rather than six that claim a pass.
        let _ = writeln!(out, "**Nothing was checked:** {}.", inline(&nothing));
        errors(&outcome.errors, &mut out);
        return out;
    }
    let _ = writeln!(out, "{}\n", totals(outcome));
    checklist(outcome, &mut out);
    findings(outcome, rules, &mut out);
    errors(&outcome.errors, &mut out);
    out
}

fn totals(outcome: &Outcome) -> String {
    let (head, rest) = summary_parts(outcome);
    format!("**{head}** {rest}.")
}

fn checklist(outcome: &Outcome, out: &mut String) {
    let _ = writeln!(out, "| # | Checklist item | Result | Findings |");
    let _ = writeln!(out, "|---:|---|---|---:|");
    for (i, item) in CHECKLIST.iter().enumerate() {
        let n = (i + 1) as u8;
        let v = outcome.verdict(n);
        // Info findings are advice (e.g. a cache with a TTL): they do not fail an item, as in
        // the JSON summary. Rules that did not run give no verdict.
        let result = match v.status {
            ItemStatus::Fail => "❌ fail".to_string(),
            ItemStatus::Pass => "✅ pass".to_string(),
            ItemStatus::Baselined => format!("☑️ {} known, in the baseline", v.known),
            ItemStatus::PartlyChecked => format!(
                "⚠️ partly checked: {}",
                v.unchecked_note().unwrap_or_default()
            ),
            ItemStatus::NotChecked => format!(
                "➖ not checked{}",
                v.unchecked_note()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ),
        };
        let _ = writeln!(
            out,
            "| {n} | {} | {} | {} |",
            cell(item),
            cell(&result),
            v.findings.len()
        );
    }
    let beyond = outcome
        .findings
        .iter()
        .filter(|f| f.checklist.is_none())
        .count();
    if beyond > 0 {
        let _ = writeln!(
            out,
            "\nBeyond the checklist: {}.",
            plural(beyond, "finding")
        );
    }
    out.push('\n');
}

fn findings(outcome: &Outcome, rules: &RuleSet, out: &mut String) {
    if outcome.findings.is_empty() {
        return;
    }
    // Checklist order, then the rules beyond it; within a rule, the report's own order
    // (file, line, column), so the output does not depend on threads.
    let mut groups: BTreeMap<(u8, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &outcome.findings {
        let key = (f.checklist.unwrap_or(u8::MAX), f.rule.as_str());
        groups.entry(key).or_default().push(f);
    }
    let _ = writeln!(out, "### Findings\n");
    for ((_, id), hits) in groups {
        let meta = rules.rule(id);
        let title = meta.map(|m| m.title.as_str()).unwrap_or_default();
        let help = meta.map_or(hits[0].help.as_str(), |m| m.help.as_str());
        if title.is_empty() {
            let _ = writeln!(out, "#### `{id}`\n");
        } else {
            let _ = writeln!(out, "#### `{id}`: {}\n", inline(title));
        }
        if !help.is_empty() {
            let _ = writeln!(out, "**Fix:** {}\n", inline(help));
        }
        for f in hits {
            let _ = write!(
                out,
                "- **{}** [{}]({}): {}",
                f.severity.as_str(),
                inline(&format!("{}:{}", f.file, f.line)),
                link_target(&f.file, f.line),
                inline(&f.message)
            );
            // A block of the rule may give its own help; show it where it differs.
            if !f.help.is_empty() && f.help != help {
                let _ = write!(out, " (fix: {})", inline(&f.help));
            }
            out.push('\n');
            if !f.snippet.trim().is_empty() {
                let _ = writeln!(out, "  {}", code(f.snippet.trim()));
            }
        }
        out.push('\n');
    }
}

fn errors(errors: &[FileError], out: &mut String) {
    if errors.is_empty() {
        return;
    }
    let mut sorted: Vec<&FileError> = errors.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let _ = writeln!(out, "### Files that could not be linted\n");
    for e in sorted {
        let place = match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", e.file),
            (Some(l), None) => format!("{}:{l}", e.file),
            _ => e.file.clone(),
        };
        let _ = writeln!(
            out,
            "- {} ({}): {}",
            code(&place),
            e.kind,
            inline(&e.message)
        );
    }
    out.push('\n');
}

/// A table cell: `|` would end the cell, even inside a code span.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Text that may hold code spans (messages name types in backticks): outside the spans,
/// characters markdown would read as markup are escaped, so `Arc<Mutex<..>>` is not taken for
/// HTML and `time_to_live` keeps its underscores.
fn inline(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find('`') {
        escape_into(&rest[..start], &mut out);
        let ticks = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        let fence = &rest[start..start + ticks];
        let after = &rest[start + ticks..];
        match find_fence(after, ticks) {
            Some(end) => {
                out.push_str(fence);
                out.push_str(&after[..end + ticks]);
                rest = &after[end + ticks..];
            }
            None => {
                out.push_str(&"\\`".repeat(ticks));
                rest = after;
            }
        }
    }
    escape_into(rest, &mut out);
    out
}

/// Where a run of exactly `ticks` backticks starts in `s` (the end of a code span).
fn find_fence(s: &str, ticks: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == ticks {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A code span that holds any text: the fence is longer than any run of backticks inside.
fn code(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// `file#Lline`, with the characters that would end or break a markdown link encoded.
fn link_target(file: &str, line: u32) -> String {
    let mut target = String::with_capacity(file.len() + 8);
    for c in file.chars() {
        match c {
            ' ' => target.push_str("%20"),
            '(' => target.push_str("%28"),
            ')' => target.push_str("%29"),
            '<' => target.push_str("%3C"),
            '>' => target.push_str("%3E"),
            _ => target.push(c),
        }
    }
    let _ = write!(target, "#L{line}");
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escapes_markup_outside_code_spans() {
        assert_eq!(
            inline("map `Arc<Mutex<_>>` in Arc<T> time_to_live"),
            "map `Arc<Mutex<_>>` in Arc\\<T\\> time\\_to\\_live"
        );
        assert_eq!(inline("a ` b"), "a \\` b");
        assert_eq!(inline("``a`b``"), "``a`b``");
    }

    #[test]
    fn cells_escape_pipes() {
        assert_eq!(cell("a | b `c|d`"), "a \\| b `c\\|d`");
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("let x = 1;"), "`let x = 1;`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x`"), "`` `x` ``");
    }

    #[test]
    fn links_encode_spaces_and_parens() {
        assert_eq!(link_target("src/a b(1).rs", 3), "src/a%20b%281%29.rs#L3");
    }
}
