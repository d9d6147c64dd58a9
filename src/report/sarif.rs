//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it (see DESIGN.md, "Known
//! traps"): every rule with its help, 1-based regions, relative URIs against `%SRCROOT%`, and
//! `partialFingerprints` so alerts survive edits elsewhere in the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::{FileError, Finding, Outcome};
use crate::rules::compile::{RuleMeta, RuleSet};
use crate::rules::model::Severity;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
const FINGERPRINT_KEY: &str = "statelintFingerprint/v1";
/// GitHub code scanning's limit for `shortDescription` and `fullDescription`.
const DESCRIPTION_LIMIT: usize = 1024;

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: [Invocation; 1],
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    /// Our columns count characters; SARIF's default is UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    /// The rule's page (built-in rules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Help,
    default_configuration: Configuration,
    properties: Properties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Properties {
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    /// GitHub turns absolute URIs under it into repository paths when the upload names no
    /// checkout path.
    working_directory: ArtifactLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    /// The job or handler fn that puts the finding in its context, when that is another fn.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: u32,
    physical_location: PhysicalLocation,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

pub fn render(outcome: &Outcome, rules: &RuleSet) -> String {
    let root = current_dir_uri();
    let mut base_ids = BTreeMap::new();
    base_ids.insert(
        SRCROOT,
        ArtifactLocation {
            uri: root.clone(),
            uri_base_id: None,
        },
    );
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "statelint",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: crate::docs::REPOSITORY,
                    rules: rules.rules.iter().map(rule).collect(),
                },
            },
            invocations: [Invocation {
                // The run finished: files it could not lint are notifications, not a failure
                // of the tool (GitHub would otherwise discard the results).
                execution_successful: true,
                working_directory: ArtifactLocation {
                    uri: root,
                    uri_base_id: None,
                },
                tool_execution_notifications: outcome.errors.iter().map(notification).collect(),
            }],
            original_uri_base_ids: base_ids,
            column_kind: "unicodeCodePoints",
            results: outcome.findings.iter().map(|f| result(f, rules)).collect(),
        }],
    };
    let mut s =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

fn rule(meta: &RuleMeta) -> Rule {
    let mut tags = vec!["statelint".to_string()];
    if let Some(n) = meta.checklist {
        tags.push(format!("checklist-{n}"));
    }
    Rule {
        id: meta.id.clone(),
        name: pascal_case(&meta.id),
        short_description: Text {
            text: fit(&meta.title, DESCRIPTION_LIMIT),
        },
        full_description: Text {
            text: fit(
                meta.explain
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&meta.title),
                DESCRIPTION_LIMIT,
            ),
        },
        help_uri: crate::docs::has_page(meta).then(|| crate::docs::rule_url(&meta.id)),
        help: Help {
            text: meta.help.clone(),
            markdown: help_markdown(meta),
        },
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: Properties { tags },
    }
}

fn result(f: &Finding, rules: &RuleSet) -> SarifResult {
    let line = f.line.max(1);
    let column = f.column.max(1);
    let end_line = f.end_line.max(line);
    let end_column = f.end_column.max(1);
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY, f.fingerprint.clone());
    SarifResult {
        rule_id: f.rule.clone(),
        rule_index: rules.rules.iter().position(|r| r.id == f.rule),
        level: level(f.severity),
        message: Text {
            text: f.message.clone(),
        },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(&f.file),
                region: Some(Region {
                    start_line: line,
                    start_column: column,
                    end_line: Some(end_line),
                    end_column: Some(end_column),
                }),
            },
        }],
        related_locations: related_locations(f),
        partial_fingerprints: fingerprints,
    }
}

/// Where the context comes from, where cross-crate state lives, and the places the finding
/// names itself (`Finding::related`: construction, registration, mutations), numbered from 1.
fn related_locations(f: &Finding) -> Vec<RelatedLocation> {
    let line_only = |line: u32| Region {
        start_line: line.max(1),
        start_column: 1,
        end_line: None,
        end_column: None,
    };
    let mut out: Vec<(String, Region, String)> = Vec::new();
    if let Some(r) = &f.reached_from {
        let context = f
            .context
            .as_ref()
            .map(|c| format!(" ({c} code)"))
            .unwrap_or_default();
        out.push((
            r.file.clone(),
            line_only(r.line),
            format!("reached from `{}`{context}", r.function),
        ));
    }
    if let Some(s) = &f.state_at {
        out.push((
            s.file.clone(),
            line_only(s.line),
            "the state this reaches, in another crate".to_string(),
        ));
    }
    for r in &f.related {
        let start_line = r.line.max(1);
        let end_line = r.end_line.max(start_line);
        out.push((
            r.file.clone(),
            Region {
                start_line,
                start_column: r.column.max(1),
                end_line: Some(end_line),
                end_column: Some(r.end_column.max(1)),
            },
            r.label.clone(),
        ));
    }
    out.into_iter()
        .enumerate()
        .map(|(i, (file, region, text))| RelatedLocation {
            id: i as u32 + 1,
            physical_location: PhysicalLocation {
                artifact_location: artifact(&file),
                region: Some(region),
            },
            message: Text { text },
        })
        .collect()
}

fn notification(e: &FileError) -> Notification {
    let mut locations = Vec::new();
    if !e.file.is_empty() {
        locations.push(Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(&e.file),
                region: e.line.map(|line| Region {
                    start_line: line.max(1),
                    start_column: e.column.unwrap_or(1).max(1),
                    end_line: None,
                    end_column: None,
                }),
            },
        });
    }
    let text = if e.file.is_empty() {
        format!("could not lint ({}): {}", e.kind, e.message)
    } else {
        format!("could not lint {} ({}): {}", e.file, e.kind, e.message)
    };
    Notification {
        // A manifest that could not be read still lets its files be linted (and does not fail
        // the run, see the exit code), so it is a warning; every other kind lost a file.
        level: if e.kind == "manifest" {
            "warning"
        } else {
            "error"
        },
        message: Text { text },
        locations,
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Relative paths resolve against `%SRCROOT%`; an absolute path (a file outside the current
/// directory) stands alone as a `file://` URI, since a base id would be wrong for it.
fn artifact(file: &str) -> ArtifactLocation {
    let path = file.replace('\\', "/");
    if is_absolute(&path) {
        ArtifactLocation {
            uri: file_uri(&path),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode_path(&path, true),
            uri_base_id: Some(SRCROOT),
        }
    }
}

fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || Path::new(path).is_absolute() || has_drive_letter(path)
}

fn has_drive_letter(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// `%SRCROOT%` must be an absolute URI ending in `/` so relative URIs resolve inside it.
fn current_dir_uri() -> String {
    let dir = std::env::current_dir()
        .map(|d| d.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| "/".to_string());
    let mut uri = file_uri(&dir);
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn file_uri(path: &str) -> String {
    // `C:/x` becomes `file:///C:/x`, as RFC 8089 writes Windows paths.
    let slash = if path.starts_with('/') { "" } else { "/" };
    format!("file://{slash}{}", encode_path(path, false))
}

/// Percent-encodes what may not appear in a URI path. In a relative reference a `:` before the
/// first `/` would read as a scheme, so there it is encoded too.
fn encode_path(path: &str, relative: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&')
            || matches!(
                b,
                b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'@'
            )
            || (b == b':' && !relative);
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// At most `max` characters: whole paragraphs when the first one fits (the full text is in
/// `help.markdown`), else cut at a word with an ellipsis.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut = text
        .char_indices()
        .nth(max - 1)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    if let Some(end) = head.rfind("\n\n") {
        return head[..end].trim_end().to_string();
    }
    let end = head.rfind(char::is_whitespace).unwrap_or(cut);
    format!("{}…", head[..end].trim_end())
}

/// `in-memory-session` → `InMemorySession`: SARIF's `name` is an identifier-like form.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

/// What `statelint explain` prints, as markdown: GitHub shows it beside each alert.
pub(crate) fn help_markdown(meta: &RuleMeta) -> String {
    let mut md = String::new();
    if let Some(text) = meta.explain.as_deref().filter(|t| !t.trim().is_empty()) {
        md.push_str(&explain_markdown(text));
        md.push('\n');
    } else {
        let _ = writeln!(md, "{}\n", meta.title);
    }
    if let Some(bad) = &meta.bad {
        let _ = writeln!(
            md,
            "## Example that fires\n\n```rust\n{}\n```\n",
            bad.trim_end()
        );
    }
    if let Some(good) = &meta.good {
        let _ = writeln!(md, "## Use instead\n\n```rust\n{}\n```\n", good.trim_end());
    }
    let _ = write!(md, "## Fix\n\n{}\n", meta.help);
    md
}

/// The explain texts are written as `Heading` lines over indented paragraphs (as ruff's rule
/// docs); in markdown the indentation would merge the heading into the paragraph, so headings
/// become bold lines and paragraphs lose their two-space indent. Other text passes through.
fn explain_markdown(text: &str) -> String {
    let lines: Vec<&str> = text.trim_matches('\n').lines().collect();
    let mut md = String::new();
    for (i, line) in lines.iter().enumerate() {
        let indented = line.starts_with(' ');
        let next_indented = lines
            .get(i + 1)
            .is_some_and(|n| n.starts_with(' ') && !n.trim().is_empty());
        if !indented && !line.trim().is_empty() && next_indented {
            let _ = writeln!(md, "**{}**\n", line.trim_end());
        } else if let Some(rest) = line.strip_prefix("  ") {
            let _ = writeln!(md, "{rest}");
        } else {
            let _ = writeln!(md, "{line}");
        }
    }
    md
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A finding as the state model will build it: a static, with where it is built and
    /// changed.
    pub(crate) fn finding_with_related() -> Finding {
        Finding {
            rule: "in-memory-session".to_string(),
            severity: Severity::Error,
            checklist: Some(1),
            message: "session state `SESSIONS` lives in this process".to_string(),
            help: "Keep sessions in Redis".to_string(),
            file: "src/state.rs".to_string(),
            line: 2,
            column: 8,
            end_line: 2,
            end_column: 16,
            snippet:
                "static SESSIONS: Lazy<Mutex<HashMap<u64, User>>> = Lazy::new(Default::default);"
                    .to_string(),
            crate_name: "svc".to_string(),
            context: None,
            reached_from: None,
            state_at: None,
            related: vec![
                crate::report::Related {
                    file: "src/state.rs".to_string(),
                    line: 2,
                    column: 52,
                    end_line: 2,
                    end_column: 79,
                    label: "built here".to_string(),
                },
                crate::report::Related {
                    file: "src/login.rs".to_string(),
                    line: 3,
                    column: 5,
                    end_line: 3,
                    end_column: 40,
                    label: "inserted into from handler `login`".to_string(),
                },
            ],
            evidence: None,
            fingerprint: "0123456789abcdef".to_string(),
            path: "src/state.rs".into(),
            byte_start: 0,
            byte_end: 0,
        }
    }

    #[test]
    fn related_places_are_related_locations() {
        let locations = serde_json::to_value(related_locations(&finding_with_related())).unwrap();
        assert_eq!(
            locations,
            serde_json::json!([
                {"id": 1, "message": {"text": "built here"}, "physicalLocation": {
                    "artifactLocation": {"uri": "src/state.rs", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 2, "startColumn": 52, "endLine": 2, "endColumn": 79}}},
                {"id": 2, "message": {"text": "inserted into from handler `login`"}, "physicalLocation": {
                    "artifactLocation": {"uri": "src/login.rs", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 40}}}
            ])
        );
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal_case("in-memory-session"), "InMemorySession");
        assert_eq!(pascal_case("acme-global-registry"), "AcmeGlobalRegistry");
    }

    #[test]
    fn uris_are_encoded() {
        let rel = artifact("src/a b/c:d.rs");
        assert_eq!(rel.uri, "src/a%20b/c%3Ad.rs");
        assert_eq!(rel.uri_base_id, Some(SRCROOT));
        let abs = artifact("/tmp/x y/main.rs");
        assert_eq!(abs.uri, "file:///tmp/x%20y/main.rs");
        assert_eq!(abs.uri_base_id, None);
        assert_eq!(artifact("C:/src/m.rs").uri, "file:///C:/src/m.rs");
    }

    #[test]
    fn descriptions_fit_githubs_limit() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("one para\n\ntwo para", 12), "one para");
        assert_eq!(fit("many words here", 12), "many words…");
        assert!(fit(&"ü".repeat(2000), 1024).chars().count() <= 1024);
    }

    #[test]
    fn explain_headings_become_bold() {
        let md = explain_markdown("What it does\n  Finds.\n  More.\n\nWhy?\n  Because.\n");
        assert_eq!(
            md,
            "**What it does**\n\nFinds.\nMore.\n\n**Why?**\n\nBecause.\n"
        );
    }
}
