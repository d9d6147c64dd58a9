//! The binary as users and CI call it: exit codes, output formats, bad input.

mod common;

use common::{json, repo, statelint};

/// A crate in a temp dir with the given files.
fn crate_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
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

#[test]
fn demo_service_fails_with_findings_in_every_format() {
    let human = statelint(&["check", "fixtures/demo-service"], repo());
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(
        human.stdout.contains("statelint(in-memory-session)"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("help: Keep sessions in Redis"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("╭─[fixtures/demo-service/src/state.rs:18:9]"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("✗ 1. No in-process session storage"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("6 findings (4 errors, 1 warning, 1 info) in 4 files; 7 files linted\n"),
        "{}",
        human.stdout
    );

    let short = statelint(
        &["check", "fixtures/demo-service", "--format", "short"],
        repo(),
    );
    assert_eq!(short.code, 1);
    assert!(short.stdout.lines().any(|l| l
        == "fixtures/demo-service/src/routes/notes.rs:8:5: error[local-file-write] `tokio::fs::write` writes to this replica's local disk"));
    assert_eq!(short.stdout.lines().count(), 6, "{}", short.stdout);
}

#[test]
fn json_output_follows_the_contract() {
    let run = statelint(
        &["check", "fixtures/demo-service", "--format", "json"],
        repo(),
    );
    assert_eq!(run.code, 1);
    let v = json(&run);
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "statelint");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "in-memory-session")
        .unwrap();
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "checklist",
            "column",
            "context",
            "crate",
            "end_column",
            "end_line",
            "evidence",
            "file",
            "fingerprint",
            "help",
            "line",
            "message",
            "related",
            "rule",
            "severity",
            "snippet"
        ]
    );
    assert_eq!(f["file"], "fixtures/demo-service/src/state.rs");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(18), Some(9))
    );
    assert_eq!(
        f["snippet"],
        "pub sessions: SessionTable, //~ in-memory-session"
    );
    // Why it fired, and where the state is registered and changed.
    assert_eq!(f["evidence"]["block"], "in-memory-session[1]");
    assert_eq!(f["evidence"]["holder"], "app-state AppState.sessions");
    assert_eq!(f["evidence"]["holds"], "collection");
    assert_eq!(f["evidence"]["context"], "handler");
    assert_eq!(
        f["evidence"]["mutation"],
        "fixtures/demo-service/src/routes/auth.rs:8 insert"
    );
    let related: Vec<(String, u64)> = f["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        related.contains(&("fixtures/demo-service/src/routes/auth.rs".to_string(), 8)),
        "{related:?}"
    );
    assert_eq!(f["crate"], "demo-notes");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["checklist"], 1);
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
    let handler = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "local-file-write")
        .unwrap();
    assert_eq!(handler["context"], "handler");
    assert_eq!(v["summary"]["checklist"]["1"], "fail");
    assert_eq!(v["summary"]["by_rule"]["unlocked-schedule"], 1);
    assert_eq!(v["summary"]["files"], 7);
    assert!(v["errors"].as_array().unwrap().is_empty());
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let one = statelint(
        &["check", "fixtures", "--format", "json", "--threads", "1"],
        repo(),
    );
    let two = statelint(
        &["check", "fixtures", "--format", "json", "--threads", "2"],
        repo(),
    );
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = crate_with(&[(
        "src/main.rs",
        b"#[tokio::main]\nasync fn main() { std::fs::write(\"pid\", \"1\").unwrap(); }\n",
    )]);
    let p = dir.path().to_str().unwrap();
    // A write at start-up is advice (info): not a failure at the default `warning`.
    assert_eq!(statelint(&["check", p], repo()).code, 0);
    assert_eq!(
        statelint(&["check", p, "--fail-on", "info"], repo()).code,
        1
    );
    assert_eq!(
        statelint(
            &["check", "fixtures/demo-service", "--fail-on", "never"],
            repo()
        )
        .code,
        0
    );
    assert_eq!(
        statelint(
            &["check", "fixtures/demo-service", "--fail-on", "error"],
            repo()
        )
        .code,
        1
    );
    let clean = crate_with(&[("src/lib.rs", b"pub fn add(a: u8, b: u8) -> u8 { a + b }\n")]);
    let run = statelint(&["check", clean.path().to_str().unwrap()], repo());
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("0 findings"), "{}", run.stdout);
}

#[test]
fn broken_files_are_listed_and_the_run_goes_on() {
    let dir = crate_with(&[
        (
            "src/main.rs",
            b"mod broken;\nfn main() {\n    std::fs::write(\"a\", \"b\").unwrap();\n}\n",
        ),
        ("src/broken.rs", b"fn half_written( {\n"),
        ("src/latin1.rs", b"// caf\xe9\nfn f() {}\n"),
    ]);
    let run = statelint(
        &["check", dir.path().to_str().unwrap(), "--format", "json"],
        dir.path(),
    );
    assert_eq!(run.code, 1);
    let v = json(&run);
    let errors = v["errors"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e["file"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("src/broken.rs", "parse"), ("src/latin1.rs", "utf8")]
    );
    assert_eq!(errors[0]["line"], 1);
    assert_eq!(errors[1]["line"], 1);
    assert_eq!(v["findings"][0]["rule"], "local-file-write");
    assert_eq!(v["findings"][0]["file"], "src/main.rs");
}

#[test]
fn missing_path_is_a_usage_error_but_other_paths_are_linted() {
    let run = statelint(
        &[
            "check",
            "no/such/dir",
            "fixtures/demo-service",
            "--format",
            "short",
        ],
        repo(),
    );
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("in-memory-session"), "{}", run.stdout);
    assert!(
        run.stderr.contains("no/such/dir") && run.stderr.contains("no such file or directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn broken_rule_file_stops_the_run_with_file_line_and_key() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("team.toml"),
        "[[rule]]\nid = \"team-rule\"\nseverity = \"error\"\nmessage = \"m\"\nhelp = \"h\"\n\n[[rule.match]]\non = \"call\"\npath = [\"ok::*\"]\nname = \"([unclosed\"\n",
    )
    .unwrap();
    let run = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--rules",
            rules.path().to_str().unwrap(),
        ],
        repo(),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("team.toml:10:8: key `name`: invalid regex"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn custom_rule_from_the_issue_works_with_rules_flag() {
    let run = statelint(
        &[
            "check",
            "fixtures/custom-rules/src/main.rs",
            "--rules",
            "fixtures/custom-rules/rules",
            "--format",
            "short",
            "--config",
            "fixtures/custom-rules/Cargo.toml",
        ],
        repo(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "fixtures/custom-rules/src/main.rs:4:1: error[acme-global-registry] global registry `PLUGINS` keeps state in the process\n\
         fixtures/custom-rules/src/main.rs:10:18: error[acme-global-registry] global registry `global` keeps state in the process\n"
    );
}

#[test]
fn rules_and_explain() {
    let run = statelint(&["rules"], repo());
    assert_eq!(run.code, 0);
    for id in [
        "in-memory-session",
        "local-file-write",
        "embedded-local-database",
        "in-process-cache",
        "non-idempotent-job",
        "unlocked-schedule",
        "local-websocket-fanout",
    ] {
        assert!(
            run.stdout.contains(id),
            "{id} missing from:\n{}",
            run.stdout
        );
    }
    let run = statelint(&["explain", "unlocked-schedule"], repo());
    assert_eq!(run.code, 0);
    for part in [
        "Checklist item 5",
        "Why is this bad?",
        "## Example that fires",
        "## Use instead",
        "## Fix",
        "pg_try_advisory_lock",
    ] {
        assert!(
            run.stdout.contains(part),
            "{part} missing from:\n{}",
            run.stdout
        );
    }
    let run = statelint(&["explain", "unlocked-shedule"], repo());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `unlocked-schedule`"),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_rule_in_select_is_a_usage_error() {
    let run = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--select",
            "in-memory-sesion",
        ],
        repo(),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown rule `in-memory-sesion`"),
        "{}",
        run.stderr
    );
    let run = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--select",
            "local-file-write",
            "--format",
            "short",
        ],
        repo(),
    );
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

/// Findings in the API crate of `fixtures/across-crates` (file, line, rule), sorted.
fn api_findings(args: &[&str]) -> Vec<(String, u64, String)> {
    let mut full = vec!["check"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json", "--fail-on", "never"]);
    let run = statelint(&full, repo());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut out: Vec<(String, u64, String)> = json(&run)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().contains("across-crates/api/"))
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn calls_into_another_crate_count_only_when_that_crate_is_checked_too() {
    let api = "fixtures/across-crates/api/src/lib.rs".to_string();
    let together = api_findings(&["fixtures/across-crates"]);
    assert_eq!(
        together,
        [
            (api.clone(), 8, "local-websocket-fanout".to_string()),
            (api.clone(), 23, "in-memory-session".to_string()),
            (api.clone(), 32, "local-file-write".to_string()),
            (api.clone(), 36, "local-file-write".to_string()),
        ]
    );
    // The hub and settings crates are not read: nothing is known of what they keep (and the
    // suppression written for the hub's fan-out has nothing to suppress in such a run).
    let alone = api_findings(&["fixtures/across-crates/api"]);
    assert_eq!(alone, [(api.clone(), 27, "unused-suppression".to_string())]);
    // Listed one by one, the crates are still one run.
    assert_eq!(
        api_findings(&[
            "fixtures/across-crates/api",
            "fixtures/across-crates/hub",
            "fixtures/across-crates/settings",
        ]),
        together
    );
}

#[test]
fn a_cross_crate_finding_points_at_the_state_it_reaches() {
    let run = statelint(
        &[
            "check",
            "fixtures/across-crates",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        repo(),
    );
    let report = json(&run);
    let fanout = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "fixtures/across-crates/api/src/lib.rs" && f["line"] == 8)
        .expect("the broadcast sent from the API crate");
    assert_eq!(
        fanout["state_at"],
        serde_json::json!({"file": "fixtures/across-crates/hub/src/lib.rs", "line": 22})
    );
    // The hub's own finding has no such pointer.
    assert!(report["findings"].as_array().unwrap().iter().all(|f| {
        !f["file"].as_str().unwrap().contains("/hub/") || f.get("state_at").is_none()
    }));

    let run = statelint(
        &[
            "check",
            "fixtures/across-crates",
            "--format",
            "sarif",
            "--fail-on",
            "never",
        ],
        repo(),
    );
    let sarif = json(&run);
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
                && r["ruleId"] == "local-websocket-fanout"
        })
        .expect("a SARIF result for the broadcast");
    let related = &result["relatedLocations"][0];
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/across-crates/hub/src/lib.rs"
    );
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 22);
}

// ---------------------------------------------------------------- verdicts (what was checked)

/// The checklist lines of a human report (`✓ 1. ...`), without the item text.
fn checklist_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|l| *l != "Stateless checklist")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn rules_that_did_not_run_give_no_verdict() {
    let run = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--select",
            "local-file-write",
        ],
        repo(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        checklist_lines(&run.stdout),
        [
            "- 1. No in-process session storage (use Redis or JWT) — not checked (`in-memory-session` not run)",
            "✗ 2. No local file writes that other instances need (use S3 or shared NFS) — 1 finding (local-file-write); partly checked: `embedded-local-database` not run",
            "- 3. No in-process caches that must be consistent (use Redis or accept per-instance staleness) — not checked (`in-process-cache` not run)",
            "- 4. Background jobs are idempotent (multiple instances might process the same job) — not checked (`non-idempotent-job` not run)",
            "- 5. Scheduled tasks use distributed locking (only one instance runs the cron job) — not checked (`unlocked-schedule` not run)",
            "- 6. WebSocket connections use a pub/sub layer for cross-instance messaging — not checked (`local-websocket-fanout` not run)",
        ]
    );
    let run = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--ignore",
            "in-memory-session,embedded-local-database,local-file-write",
            "--format",
            "json",
        ],
        repo(),
    );
    let checklist = &json(&run)["summary"]["checklist"];
    assert_eq!(
        checklist,
        // (With `in-memory-session` off, the session map is reported as a cache.)
        &serde_json::json!({"1": "not-checked", "2": "not-checked", "3": "fail", "4": "fail", "5": "fail", "6": "fail"})
    );
    let run = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--select",
            "local-file-write",
            "--format",
            "markdown",
        ],
        repo(),
    );
    assert!(
        run.stdout.contains("| 5 | Scheduled tasks use distributed locking (only one instance runs the cron job) | ➖ not checked (`unlocked-schedule` not run) | 0 |"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_item_with_a_rule_left_out_is_partly_checked() {
    let dir = crate_with(&[("src/main.rs", b"fn main() {}\n")]);
    let run = statelint(
        &[
            "check",
            ".",
            "--ignore",
            "embedded-local-database",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json(&run)["summary"]["checklist"]["2"], "partly-checked");
    assert_eq!(json(&run)["summary"]["checklist"]["1"], "pass");
    let human = statelint(
        &["check", ".", "--ignore", "embedded-local-database"],
        dir.path(),
    );
    assert!(
        human.stdout.contains("\n  ~ 2. No local file writes that other instances need (use S3 or shared NFS) — partly checked: `embedded-local-database` not run\n"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("\n0 findings (0 errors, 0 warnings, 0 info); 1 file linted\nNo in-process state found by the 6 rules that ran.\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_run_with_no_rust_file_says_so_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let human = statelint(&["check", "empty"], dir.path());
    assert_eq!(human.code, 0);
    assert_eq!(human.stdout, "No Rust files found under `empty`.\n");
    let run = statelint(&["check", "empty", "--format", "json"], dir.path());
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "warning: no Rust files found under `empty`\n");
    let v = json(&run);
    assert_eq!(v["summary"]["files"], 0);
    for item in 1..=6 {
        assert_eq!(v["summary"]["checklist"][item.to_string()], "not-checked");
    }
    let md = statelint(&["check", "empty", "--format", "markdown"], dir.path());
    assert_eq!(
        md.stdout,
        "<!-- statelint -->\n## statelint: stateless checklist\n\n**Nothing was checked:** no Rust files found under `empty`.\n"
    );
}

#[test]
fn a_baselined_item_says_its_findings_are_known() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("b.json");
    let baseline = baseline.to_str().unwrap();
    let wrote = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--write-baseline",
            baseline,
        ],
        repo(),
    );
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    let run = statelint(
        &["check", "fixtures/demo-service", "--baseline", baseline],
        repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = checklist_lines(&run.stdout);
    assert_eq!(
        lines[0],
        "○ 1. No in-process session storage (use Redis or JWT) — 1 known, in the baseline"
    );
    assert_eq!(
        lines[2],
        "✓ 3. No in-process caches that must be consistent (use Redis or accept per-instance staleness)"
    );
    assert!(
        run.stdout.ends_with(
            "\n0 findings (0 errors, 0 warnings, 0 info); 7 files linted; 6 findings in the baseline not shown\nNo new in-process state found by the 7 rules that ran; what the baseline records is still there.\n"
        ),
        "{}",
        run.stdout
    );
    let run = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--baseline",
            baseline,
            "--format",
            "json",
        ],
        repo(),
    );
    assert_eq!(json(&run)["summary"]["checklist"]["1"], "baselined");
    assert_eq!(json(&run)["summary"]["baselined"], 6);
}

// ---------------------------------------------------------------- terminal manners

#[test]
fn the_human_report_fits_the_width_it_is_given() {
    let run = common::statelint_color_env(
        &["check", "fixtures/demo-service"],
        repo(),
        &[("COLUMNS", "80")],
    );
    assert_eq!(run.code, 1);
    // Our own lines wrap too (with the rule ids whole), so a terminal never wraps them again;
    // only the quoted source lines (and their underlines) are as wide as the code.
    let is_code = |l: &str| {
        let gutter = l
            .trim_start()
            .trim_start_matches(|c: char| c.is_ascii_digit());
        gutter.starts_with(" │") || gutter.starts_with("│") || gutter.starts_with("·")
    };
    let too_wide: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.chars().count() > 80 && !is_code(l))
        .collect();
    assert!(too_wide.is_empty(), "wider than 80: {too_wide:#?}");
    assert!(
        run.stdout.contains("  ✗ 2. No local file writes that other instances need (use S3 or shared NFS) — 1\n       finding (local-file-write)\n"),
        "{}",
        run.stdout
    );
    // Without a width (a log), each summary line stays whole.
    let log = statelint(&["check", "fixtures/demo-service"], repo());
    assert!(
        log.stdout.contains("\n  ✗ 2. No local file writes that other instances need (use S3 or shared NFS) — 1 finding (local-file-write)\n"),
        "{}",
        log.stdout
    );
}

#[test]
fn colour_follows_the_flag_then_force_color_then_no_color() {
    let coloured = |r: &common::Run| r.stdout.contains("\x1b[");
    let args = ["check", "fixtures/demo-service"];
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.extend_from_slice(extra);
        common::statelint_color_env(&all, repo(), env)
    };
    assert!(!coloured(&with(&[], &[])), "not a terminal: no colour");
    assert!(coloured(&with(&["--color", "always"], &[])));
    assert!(coloured(&with(
        &["--color", "always"],
        &[("NO_COLOR", "1")]
    )));
    assert!(!coloured(&with(
        &["--color", "never"],
        &[("FORCE_COLOR", "1")]
    )));
    assert!(coloured(&with(&[], &[("FORCE_COLOR", "1")])));
    assert!(coloured(&with(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(!coloured(&with(&[], &[("FORCE_COLOR", "0")])));
}

#[test]
fn quiet_prints_only_the_findings_and_statistics_counts_them() {
    let quiet = statelint(&["check", "fixtures/demo-service", "-q"], repo());
    assert_eq!(quiet.code, 1);
    assert!(quiet.stdout.contains("statelint(in-memory-session)"));
    assert!(
        !quiet.stdout.contains("Stateless checklist"),
        "{}",
        quiet.stdout
    );
    assert!(!quiet.stdout.contains("6 findings"), "{}", quiet.stdout);
    assert!(
        !quiet.stdout.contains("statelint explain"),
        "{}",
        quiet.stdout
    );

    let stats = statelint(&["check", "fixtures/demo-service", "--statistics"], repo());
    assert_eq!(stats.code, 1);
    assert_eq!(
        stats.stdout,
        "\
1  in-memory-session       session, token or login state kept in process memory
1  in-process-cache        static or shared mutable state: a cache or store in process memory
1  local-file-write        writes to the local file system
1  local-websocket-fanout  websocket fan-out through in-process maps or channels, with no pub/sub layer
1  non-idempotent-job      background job with effects that double when it runs twice
1  unlocked-schedule       scheduled task with no distributed lock: every replica runs it
"
    );
    let json = statelint(
        &[
            "check",
            "fixtures/demo-service",
            "--statistics",
            "--format",
            "json",
        ],
        repo(),
    );
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v[0]["rule"], "in-memory-session");
    assert_eq!(v[0]["count"], 1);
}

#[test]
fn a_config_error_is_printed_once() {
    let dir = crate_with(&[("src/main.rs", b"fn main() {}\n")]);
    std::fs::write(dir.path().join("statelint.toml"), "selec = [\"x\"]\n").unwrap();
    let run = statelint(&["check", "."], dir.path());
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.matches("unknown field `selec`").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("statelint.toml:1:1: key `selec`: unknown field `selec`"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unbalanced_delimiter_is_reported_where_it_opens() {
    let dir = crate_with(&[
        ("src/main.rs", b"fn main() {}\n"),
        (
            "src/paren.rs",
            b"fn a() {\n    let x = (1, 2;\n}\n\nfn b() {}\n",
        ),
        (
            "src/brace.rs",
            b"fn c() {\n    if true {\n        x();\n\nfn d() {}\n",
        ),
        ("src/extra.rs", b"fn e() {\n    x());\n}\n"),
    ]);
    let run = statelint(&["check", ".", "--format", "short"], dir.path());
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "\
src/brace.rs:2:13: error[parse] cannot parse: this `{` is never closed: the file ends first (nor is the `{` at 1:8 around it)
src/extra.rs:2:8: error[parse] cannot parse: this `)` closes nothing
src/paren.rs:2:13: error[parse] cannot parse: this `(` is never closed: the `}` at 3:1 closes it instead
"
    );
}

// ---------------------------------------------------------------- links to the docs

#[test]
fn the_report_ends_with_how_to_read_more_and_explain_links_the_page() {
    let run = statelint(&["check", "fixtures/demo-service"], repo());
    assert!(
        run.stdout.ends_with(
            "\nRun `statelint explain ID` for what a rule finds, why it breaks replicas and how to fix it (`statelint explain non-idempotent-job`).\n"
        ),
        "{}",
        run.stdout
    );
    let explain = statelint(&["explain", "in-memory-session"], repo());
    assert!(
        explain.stdout.ends_with(
            "\nOnline: https://github.com/statelint/statelint/blob/main/docs/rules/in-memory-session.md\n"
        ),
        "{}",
        explain.stdout
    );
}

#[test]
fn a_suppression_naming_an_unknown_rule_gets_a_suggestion() {
    let dir = crate_with(&[(
        "src/main.rs",
        b"fn main() {}\n// statelint: allow(local-file-writes) scratch file\nfn f() { std::fs::write(\"a\", \"b\").unwrap(); }\n",
    )]);
    let run = statelint(&["check", ".", "--format", "short"], dir.path());
    assert!(
        run.stdout.contains(
            "src/main.rs:2:1: warning[unused-suppression] unknown rule `local-file-writes`; did you mean `local-file-write`?"
        ),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------- cargo conventions

#[test]
fn check_help_lists_the_exit_codes() {
    let run = statelint(&["check", "--help"], repo());
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("Exit codes:\n  0  nothing at or above --fail-on (also when no Rust file was found)\n  1  findings at or above --fail-on, or files that could not be linted\n  2  a usage, config or rule-file error, or a PATH that does not exist\n"),
        "{}",
        run.stdout
    );
}
