//! The CI formats (`sarif`, `github`, `markdown`) as GitHub and bots read them, checked against
//! the JSON report of the same run.

mod common;

use std::path::Path;

use common::{Run, json, repo, statelint};

use serde_json::Value;

/// `statelint check ARGS --format FORMAT` from `cwd`.
fn check(cwd: &Path, args: &[&str], format: &str) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", format]);
    statelint(&all, cwd)
}

fn demo(format: &str) -> Run {
    check(repo(), &["fixtures/demo-service"], format)
}

/// A crate in a temp dir with the given files.
fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"t\"\nversion = \"0.1.0\"\n[dependencies]\ntokio = \"1\"\n",
    )
    .unwrap();
    for (name, content) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

// ---------------------------------------------------------------- SARIF

/// The upstream schema's pattern for `language` has a stray `]`, which the draft-07 meta-schema
/// rejects as a regex; statelint never writes `language`, so the keyword is dropped in memory
/// and the vendored file stays byte-for-byte the published one.
const BROKEN_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

fn drop_broken_patterns(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str) == Some(BROKEN_PATTERN) {
                map.remove("pattern");
            }
            map.values_mut().for_each(drop_broken_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_broken_patterns),
        _ => {}
    }
}

/// The OASIS SARIF 2.1.0 schema (draft-07 edition, `$id` in oasis-tcs/sarif-spec), as vendored
/// by the serde-sarif 0.8.0 crate in `src/schema.json`; no network is needed to validate.
/// Formats are checked too, so a `uri` that is not a valid URI reference fails.
fn sarif_schema_errors(sarif: &Value) -> Vec<String> {
    let mut schema: Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("schema parses");
    drop_broken_patterns(&mut schema);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn assert_valid_sarif(sarif: &Value) {
    let errors = sarif_schema_errors(sarif);
    assert!(
        errors.is_empty(),
        "SARIF does not match the 2.1.0 schema:\n{}",
        errors.join("\n")
    );
}

fn sarif_level(severity: &str) -> &'static str {
    match severity {
        "error" => "error",
        "warning" => "warning",
        "info" => "note",
        other => panic!("unknown severity {other}"),
    }
}

#[test]
fn sarif_for_demo_service_is_valid_and_matches_the_json_report() {
    let run = demo("sarif");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.ends_with("}\n"));
    let sarif = json(&run);
    assert_valid_sarif(&sarif);
    let json = json(&demo("json"));

    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run0 = &runs[0];
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "statelint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        driver["informationUri"],
        "https://github.com/statelint/statelint"
    );

    // Every rule, not only those that fired, each with what GitHub shows beside an alert.
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let listed = statelint(&["rules"], repo());
    for line in listed.stdout.lines().skip(1) {
        let Some(id) = line.split_whitespace().next() else {
            break;
        };
        assert!(ids.contains(&id), "rule {id} missing from SARIF: {ids:?}");
    }
    for r in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            let text = r[key]["text"].as_str().unwrap();
            assert!(!text.is_empty(), "{key} empty in {r}");
            assert!(
                text.chars().count() <= 1024 || key == "help",
                "{key} too long in {r}"
            );
        }
        assert!(
            ["error", "warning", "note"]
                .contains(&r["defaultConfiguration"]["level"].as_str().unwrap())
        );
        assert_eq!(r["properties"]["tags"][0], "statelint");
        // Each built-in rule links its page in the repository, and the page exists.
        let id = r["id"].as_str().unwrap();
        assert_eq!(
            r["helpUri"],
            format!("https://github.com/statelint/statelint/blob/main/docs/rules/{id}.md")
        );
        assert!(repo().join(format!("docs/rules/{id}.md")).is_file(), "{id}");
    }
    let session = rules
        .iter()
        .find(|r| r["id"] == "in-memory-session")
        .unwrap();
    assert_eq!(session["name"], "InMemorySession");
    assert_eq!(
        session["shortDescription"]["text"],
        "session, token or login state kept in process memory"
    );
    assert_eq!(session["defaultConfiguration"]["level"], "error");
    assert_eq!(
        session["properties"]["tags"],
        serde_json::json!(["statelint", "checklist-1"])
    );
    let md = session["help"]["markdown"].as_str().unwrap();
    for part in [
        "**Why is this bad?**",
        "## Example that fires\n\n```rust\n",
        "## Use instead\n\n```rust\n",
        "## Fix\n\nKeep sessions in Redis",
    ] {
        assert!(md.contains(part), "{part} missing from:\n{md}");
    }
    let cache = rules
        .iter()
        .find(|r| r["id"] == "in-process-cache")
        .unwrap();
    assert_eq!(cache["defaultConfiguration"]["level"], "warning");

    // %SRCROOT% is the current directory, as an absolute file URI ending in `/`.
    let root = run0["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    assert!(
        root.trim_end_matches('/').ends_with(
            repo()
                .to_string_lossy()
                .replace('\\', "/")
                .trim_end_matches('/')
        ),
        "{root}"
    );
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);

    // One result per finding, in the same order.
    let results = run0["results"].as_array().unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    assert_eq!(results.len(), 6);
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["rule"]);
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "ruleIndex of {r}");
        assert_eq!(r["level"], sarif_level(f["severity"].as_str().unwrap()));
        assert_eq!(r["message"]["text"], f["message"]);
        let locations = r["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], f["file"]);
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &physical["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1, "{key} in {r}");
        }
        assert_eq!(region["startLine"], f["line"]);
        assert_eq!(region["startColumn"], f["column"]);
        assert_eq!(region["endLine"], f["end_line"]);
        assert_eq!(region["endColumn"], f["end_column"]);
        assert_eq!(
            r["partialFingerprints"]["statelintFingerprint/v1"],
            f["fingerprint"]
        );
    }
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(levels.contains(&"note") && levels.contains(&"warning") && levels.contains(&"error"));
}

#[test]
fn the_schema_check_rejects_what_github_rejects() {
    let good = json(&demo("sarif"));
    assert_valid_sarif(&good);
    let region = "/runs/0/results/0/locations/0/physicalLocation/region";
    let mut zero_column = good.clone();
    *zero_column
        .pointer_mut(&format!("{region}/startColumn"))
        .unwrap() = 0.into();
    assert!(!sarif_schema_errors(&zero_column).is_empty());
    let mut bad_uri = good.clone();
    *bad_uri
        .pointer_mut("/runs/0/originalUriBaseIds/%SRCROOT%/uri")
        .unwrap() = "file:///a b/".into();
    assert!(!sarif_schema_errors(&bad_uri).is_empty());
    let mut no_message = good;
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!sarif_schema_errors(&no_message).is_empty());
}

#[test]
fn sarif_lists_files_that_could_not_be_linted_as_notifications() {
    let dir = crate_with(&[
        (
            "src/main.rs",
            "mod broken;\nfn main() {\n    std::fs::write(\"a\", \"b\").unwrap();\n}\n",
        ),
        ("src/broken.rs", "fn half_written( {\n"),
    ]);
    let run = check(dir.path(), &["."], "sarif");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif = json(&run);
    assert_valid_sarif(&sarif);
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["level"], "error");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("src/broken.rs")
    );
    let location = &notes[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "src/broken.rs");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    // The file that parsed is still reported.
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
}

#[test]
fn github_annotates_files_that_could_not_be_linted() {
    let dir = crate_with(&[
        (
            "src/main.rs",
            "mod broken;\nfn main() {\n    std::fs::write(\"a\", \"b\").unwrap();\n}\n",
        ),
        ("src/broken.rs", "fn half_written( {\n"),
    ]);
    let run = check(dir.path(), &["."], "github");
    assert_eq!(run.code, 1, "a file could not be linted");
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 2, "{}", run.stdout);
    assert_eq!(
        annotations[1],
        "::error file=src/broken.rs,line=1,col=18,title=statelint(parse)::could not lint this file: cannot parse: this `{` is never closed: the file ends first (nor is the `(` at 1:16 around it)"
    );
    // The short report follows, with the file on stderr as `--format short` prints it.
    assert!(
        run.stdout.ends_with(
            "\nsrc/main.rs:3:5: info[local-file-write] `std::fs::write` writes to the local disk at start-up\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("src/broken.rs:1:18: error[parse]"),
        "{}",
        run.stderr
    );
}

#[test]
fn sarif_uses_file_uris_for_files_outside_the_current_directory() {
    let dir = crate_with(&[(
        "src/my file.rs",
        "pub fn f() { std::fs::write(\"x\", \"y\").unwrap(); }\n",
    )]);
    let path = dir.path().to_string_lossy().into_owned();
    let run = check(repo(), &[&path], "sarif");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif = json(&run);
    assert_valid_sarif(&sarif);
    let artifact =
        &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let uri = artifact["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(uri.ends_with("/src/my%20file.rs"), "{uri}");
    assert!(artifact.get("uriBaseId").is_none(), "{artifact}");
}

// ---------------------------------------------------------------- GitHub annotations

/// One workflow command, read back as the runner reads it.
struct Annotation {
    kind: String,
    props: Vec<(String, String)>,
    message: String,
}

impl Annotation {
    fn parse(line: &str) -> Annotation {
        let rest = line.strip_prefix("::").unwrap_or_else(|| panic!("{line}"));
        let (head, message) = rest.split_once("::").unwrap_or_else(|| panic!("{line}"));
        let (kind, props) = head.split_once(' ').unwrap_or_else(|| panic!("{line}"));
        let props = props
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("{p} in {line}"));
                (k.to_string(), unescape(v))
            })
            .collect();
        Annotation {
            kind: kind.to_string(),
            props,
            message: unescape(message),
        }
    }

    fn prop(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.props.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// The runner's decoding: every escape, `%25` last so `%253A` stays `%3A`.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

fn annotation_kind(severity: &str) -> &'static str {
    match severity {
        "error" => "error",
        "warning" => "warning",
        "info" => "notice",
        other => panic!("unknown severity {other}"),
    }
}

/// Each annotation says what the JSON report of the same run says.
fn assert_annotations_match(github: &Run, json: &Value) {
    // The annotations come first; the short report follows them.
    let lines: Vec<&str> = github
        .stdout
        .lines()
        .take_while(|l| l.starts_with("::"))
        .collect();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(lines.len(), findings.len(), "{}", github.stdout);
    for (line, f) in lines.iter().zip(findings) {
        let a = Annotation::parse(line);
        assert_eq!(a.kind, annotation_kind(f["severity"].as_str().unwrap()));
        assert_eq!(a.prop("file"), f["file"].as_str(), "{line}");
        assert_eq!(a.prop("line"), Some(f["line"].to_string().as_str()));
        assert_eq!(a.prop("endLine"), Some(f["end_line"].to_string().as_str()));
        let title = format!("statelint({})", f["rule"].as_str().unwrap());
        assert_eq!(a.prop("title"), Some(title.as_str()));
        let message = format!(
            "{}\nhelp: {}",
            f["message"].as_str().unwrap(),
            f["help"].as_str().unwrap()
        );
        assert_eq!(a.message, message);
        if f["line"] == f["end_line"] {
            assert_eq!(
                a.keys(),
                ["file", "line", "col", "endLine", "endColumn", "title"]
            );
            assert_eq!(a.prop("col"), Some(f["column"].to_string().as_str()));
            assert_eq!(
                a.prop("endColumn"),
                Some(f["end_column"].to_string().as_str())
            );
        } else {
            // GitHub rejects columns on an annotation that spans lines.
            assert_eq!(a.keys(), ["file", "line", "endLine", "title"], "{line}");
        }
    }
}

#[test]
fn github_annotations_for_demo_service_match_the_json_report() {
    let run = demo("github");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_annotations_match(&run, &json(&demo("json")));
    assert!(run.stdout.lines().any(|l| {
        l.starts_with("::error file=fixtures/demo-service/src/state.rs,line=18,col=9,endLine=18,")
    }));
    assert!(run.stdout.lines().any(|l| l.starts_with("::notice ")));
    assert!(run.stdout.lines().any(|l| l.starts_with("::warning ")));
    // GitHub shows only a few annotations: the full short report follows them.
    let rest: String = run
        .stdout
        .lines()
        .skip_while(|l| l.starts_with("::"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(rest, demo("short").stdout);
}

#[test]
fn github_annotations_escape_and_drop_columns_on_multi_line_spans() {
    let dir = crate_with(&[
        (
            "src/main.rs",
            "use std::collections::HashMap;\nuse std::sync::Mutex;\n\n\
             static CACHE: Mutex<\n    HashMap<u64, String>,\n> = Mutex::new(HashMap::new());\n\n\
             fn helper() {}\n\npub fn remember() { CACHE.lock().unwrap().insert(1, String::new()); }\n\n\
             fn main() { helper(); }\n",
        ),
        (
            "src/we,ird:name.rs",
            "pub fn f() { std::fs::write(\"x\", \"y\").unwrap(); }\n",
        ),
        (
            "rules/pct.toml",
            "[[rule]]\nid = \"pct-rule\"\nseverity = \"warning\"\n\
             message = \"100% sure, `{name}`: line one\\nline two\\r\"\n\
             help = \"fix: it, now %0A\"\n\n\
             [[rule.match]]\non = \"fn\"\nname = \"^helper$\"\n",
        ),
    ]);
    let args = [".", "--rules", "rules"];
    let run = check(dir.path(), &args, "github");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = json(&check(dir.path(), &args, "json"));
    assert_annotations_match(&run, &json);

    let lines: Vec<&str> = run.stdout.lines().collect();
    let multi = lines
        .iter()
        .find(|l| l.contains("title=statelint(in-process-cache)"))
        .unwrap();
    assert!(
        multi.starts_with("::warning file=src/main.rs,line=4,endLine=6,title="),
        "{multi}"
    );
    let pct = lines
        .iter()
        .find(|l| l.contains("title=statelint(pct-rule)"))
        .unwrap();
    assert!(
        pct.ends_with("::100%25 sure, `helper`: line one%0Aline two%0D%0Ahelp: fix: it, now %250A"),
        "{pct}"
    );
    let weird = lines.iter().find(|l| l.contains("file=src/we")).unwrap();
    assert!(
        weird.contains("file=src/we%2Cird%3Aname.rs,line=1,"),
        "{weird}"
    );
}

// ---------------------------------------------------------------- Markdown

#[test]
fn markdown_summary_for_demo_service() {
    let run = demo("markdown");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let md = &run.stdout;

    assert!(md.lines().any(|l| l.starts_with("## ")), "{md}");
    let rows: Vec<Vec<&str>> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), 6, "{md}");
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        assert_eq!(row[0], n.to_string());
        // Item 3 has only an info finding (a cache with a TTL): advice does not fail it.
        let expected = if n == 3 { "pass" } else { "fail" };
        assert!(row[2].ends_with(expected), "item {n}: {row:?}");
        assert_eq!(row[3], "1", "item {n}: {row:?}");
    }
    assert!(rows[0][1].starts_with("No in-process session storage"));

    // Grouped by rule: one heading per rule, its help, then its findings with `#L` links.
    let json = json(&demo("json"));
    for f in json["findings"].as_array().unwrap() {
        let rule = f["rule"].as_str().unwrap();
        let heading = md
            .lines()
            .position(|l| l.starts_with(&format!("#### `{rule}`")))
            .unwrap_or_else(|| panic!("no heading for {rule}:\n{md}"));
        let (file, line) = (f["file"].as_str().unwrap(), &f["line"]);
        let link = format!("[{file}:{line}]({file}#L{line})");
        let bullet = md
            .lines()
            .position(|l| l.contains(&link))
            .unwrap_or_else(|| panic!("no {link}:\n{md}"));
        let next_heading = md
            .lines()
            .skip(heading + 1)
            .position(|l| l.starts_with("#"))
            .map_or(usize::MAX, |p| heading + 1 + p);
        assert!(
            heading < bullet && bullet < next_heading,
            "{rule} not grouped:\n{md}"
        );
        let bullet_line = md.lines().nth(bullet).unwrap();
        assert!(bullet_line.starts_with(&format!("- **{}**", f["severity"].as_str().unwrap())));
        assert!(
            bullet_line.ends_with(f["message"].as_str().unwrap()),
            "{bullet_line}"
        );
        let snippet = md.lines().nth(bullet + 1).unwrap();
        assert_eq!(
            snippet.trim(),
            format!("`{}`", f["snippet"].as_str().unwrap())
        );
    }
    assert!(md.contains(
        "#### `in-memory-session`: session, token or login state kept in process memory\n\n**Fix:** Keep sessions in Redis"
    ));
    assert!(!md.contains("could not be linted"));
}

#[test]
fn markdown_counts_findings_beyond_the_checklist_and_escapes_markup() {
    let dir = crate_with(&[
        ("src/main.rs", "fn helper() {}\nfn main() { helper(); }\n"),
        (
            "rules/custom.toml",
            "[[rule]]\nid = \"custom-rule\"\nseverity = \"warning\"\n\
             title = \"a | b\"\n\
             message = \"`{name}` keeps Arc<Mutex<T>> | in *memory*\"\n\
             help = \"use_redis\"\n\n\
             [[rule.match]]\non = \"fn\"\nname = \"^helper$\"\n",
        ),
    ]);
    let run = check(dir.path(), &[".", "--rules", "rules"], "markdown");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let md = &run.stdout;
    assert!(md.contains("\nBeyond the checklist: 1 finding.\n"), "{md}");
    assert_eq!(md.matches("✅ pass").count(), 6, "{md}");
    assert!(
        md.contains("#### `custom-rule`: a | b\n\n**Fix:** use\\_redis\n"),
        "{md}"
    );
    assert!(
        md.contains(
            "- **warning** [src/main.rs:1](src/main.rs#L1): `helper` keeps Arc\\<Mutex\\<T\\>\\> | in \\*memory\\*\n  `fn helper() {}`\n"
        ),
        "{md}"
    );
}

#[test]
fn markdown_lists_files_that_could_not_be_linted() {
    let dir = crate_with(&[
        ("src/main.rs", "mod broken;\nfn main() {}\n"),
        ("src/broken.rs", "fn half_written( {\n"),
    ]);
    let run = check(dir.path(), &["."], "markdown");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let md = &run.stdout;
    let section = md
        .split("### Files that could not be linted\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{md}"));
    assert!(section.contains("- `src/broken.rs:"), "{md}");
    assert!(section.contains("(parse)"), "{md}");
    // Nothing fired, so every item passes.
    assert_eq!(md.matches("✅ pass").count(), 6, "{md}");
}

#[test]
fn ci_formats_are_deterministic() {
    for format in ["sarif", "github", "markdown"] {
        let a = demo(format);
        let b = check(repo(), &["fixtures/demo-service", "--threads", "1"], format);
        assert_eq!(a.stdout, b.stdout, "{format}");
        assert_eq!(a.code, b.code, "{format}");
    }
}

#[test]
fn markdown_mentions_findings_hidden_by_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let write = check(
        repo(),
        &["fixtures/demo-service", "--write-baseline", baseline],
        "json",
    );
    assert_eq!(write.code, 0, "{}", write.stderr);
    let run = check(
        repo(),
        &["fixtures/demo-service", "--baseline", baseline],
        "markdown",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("**0 findings** (0 errors, 0 warnings, 0 info); 7 files linted; 6 findings in the baseline not shown."),
        "{}",
        run.stdout
    );
    // Items whose findings are all in the baseline say so, instead of passing.
    assert!(
        run.stdout.contains(
            "| 1 | No in-process session storage (use Redis or JWT) | ☑️ 1 known, in the baseline | 0 |"
        ),
        "{}",
        run.stdout
    );
    // Item 3's only finding is advice: it passes either way.
    assert!(
        run.stdout.contains(
            "| 3 | No in-process caches that must be consistent (use Redis or accept per-instance staleness) | ✅ pass | 0 |"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("### Findings"));
}

/// A finding in a helper that a job calls points back at the job: `reached_from` in JSON, a
/// related location in SARIF; a finding in the job's own fn has none.
#[test]
fn findings_reached_through_calls_name_the_fn_that_puts_them_in_context() {
    let fixture = repo().join("fixtures/non-idempotent-job");
    let report = json(&check(&fixture, &[], "json"));
    let origin = |file: &str, line: u64| {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with(file) && f["line"] == line)
            .unwrap_or_else(|| panic!("no finding at {file}:{line}: {report}"));
        f.get("reached_from").cloned()
    };
    let charge = origin("src/billing.rs", 24).expect("billing.rs:24 is reached from the job");
    assert_eq!(charge["function"], "ChargeMonthly::run");
    assert_eq!(charge["line"], 15);
    assert!(charge["file"].as_str().unwrap().ends_with("src/billing.rs"));
    let welcome = origin("src/mail.rs", 5).expect("mail.rs:5 is reached from the job");
    assert_eq!(welcome["function"], "send_welcome");
    assert!(welcome["file"].as_str().unwrap().ends_with("src/main.rs"));
    assert_eq!(
        origin("src/main.rs", 17),
        None,
        "the job fn itself has no origin"
    );

    let sarif = json(&check(&fixture, &[], "sarif"));
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let related: Vec<&Value> = results
        .iter()
        .filter_map(|r| r.get("relatedLocations"))
        .collect();
    // ChargeMonthly::run, send_welcome, and the Kafka handler `handle_order` whose helper
    // credits points (consumers.rs).
    assert_eq!(related.len(), 3, "{results:?}");
    assert!(related.iter().any(|r| {
        r[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("handle_order")
    }));
    assert!(related.iter().any(|r| {
        r[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("ChargeMonthly::run")
            && r[0]["physicalLocation"]["region"]["startLine"] == 15
    }));
}
