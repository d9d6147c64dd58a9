//! What a CI gate relies on: baselines, configuration sources and their errors, the cargo
//! subcommand.

mod common;

use std::path::Path;

use common::{Run, run_in, statelint};

/// A small service with findings in two files.
fn service() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::write(p.join("Cargo.toml"), "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n[dependencies]\naxum = \"0.8\"\nonce_cell = \"1\"\n").unwrap();
    std::fs::write(
        p.join("src/main.rs"),
        "mod store;\nuse axum::{routing::post, Router};\n\nasync fn upload(body: String) {\n    std::fs::write(\"upload.bin\", body).unwrap();\n}\n\nfn main() {\n    let _app: Router = Router::new().route(\"/u\", post(upload));\n}\n",
    )
    .unwrap();
    std::fs::write(
        p.join("src/store.rs"),
        "use std::collections::HashMap;\nuse std::sync::Mutex;\nuse once_cell::sync::Lazy;\n\npub static CACHE: Lazy<Mutex<HashMap<u64, String>>> = Lazy::new(Default::default);\n\npub fn remember(id: u64, page: String) {\n    CACHE.lock().unwrap().insert(id, page);\n}\n",
    )
    .unwrap();
    dir
}

fn short_lines(run: &Run) -> Vec<String> {
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn baseline_hides_old_findings_survives_inserted_lines_and_catches_new_ones() {
    let dir = service();
    let p = dir.path();
    let before = statelint(&["check", ".", "--format", "short"], p);
    assert_eq!(before.code, 1);
    assert_eq!(short_lines(&before).len(), 2, "{}", before.stdout);

    let wrote = statelint(
        &["check", ".", "--write-baseline", "statelint-baseline.json"],
        p,
    );
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    let text = std::fs::read_to_string(p.join("statelint-baseline.json")).unwrap();
    assert!(
        text.contains("\"fingerprint\"") && text.ends_with("}\n"),
        "{text}"
    );
    assert!(!p.join(".statelint-baseline.json.tmp").exists());

    // Same code: nothing new, exit 0.
    let same = statelint(
        &[
            "check",
            ".",
            "--baseline",
            "statelint-baseline.json",
            "--format",
            "short",
        ],
        p,
    );
    assert_eq!(
        (same.code, same.stdout.as_str()),
        (0, ""),
        "{}",
        same.stderr
    );

    // Three blank lines at the top of a file do not resurrect its finding...
    let main = std::fs::read_to_string(p.join("src/main.rs")).unwrap();
    std::fs::write(p.join("src/main.rs"), format!("\n\n\n{main}")).unwrap();
    // ...but a new write elsewhere is new.
    let store = std::fs::read_to_string(p.join("src/store.rs")).unwrap();
    std::fs::write(p.join("src/store.rs"), format!("{store}\npub fn save() {{\n    std::fs::write(\"cache.json\", \"{{}}\").unwrap();\n}}\n")).unwrap();
    let after = statelint(
        &[
            "check",
            ".",
            "--baseline",
            "statelint-baseline.json",
            "--format",
            "short",
        ],
        p,
    );
    assert_eq!(after.code, 1);
    assert_eq!(
        short_lines(&after),
        [
            "src/store.rs:12:5: warning[local-file-write] `std::fs::write` writes to this replica's local disk"
        ],
        "{}",
        after.stdout
    );

    // A second identical finding in the same item is new too.
    let main = std::fs::read_to_string(p.join("src/main.rs")).unwrap();
    let doubled = main.replace(
        "    std::fs::write(\"upload.bin\", body).unwrap();\n",
        "    std::fs::write(\"upload.bin\", body).unwrap();\n    std::fs::write(\"upload.bin\", body).unwrap();\n",
    );
    std::fs::write(p.join("src/main.rs"), doubled).unwrap();
    let twice = statelint(
        &[
            "check",
            ".",
            "--baseline",
            "statelint-baseline.json",
            "--format",
            "short",
        ],
        p,
    );
    assert_eq!(short_lines(&twice).len(), 2, "{}", twice.stdout);
    let human = statelint(&["check", ".", "--baseline", "statelint-baseline.json"], p);
    assert!(
        human
            .stdout
            .contains("2 findings in the baseline not shown"),
        "{}",
        human.stdout
    );
}

#[test]
fn bad_baseline_is_a_usage_error() {
    let dir = service();
    std::fs::write(dir.path().join("b.json"), "{not json").unwrap();
    let run = statelint(&["check", ".", "--baseline", "b.json"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("b.json:1:2: not a statelint baseline"),
        "{}",
        run.stderr
    );
    let run = statelint(&["check", ".", "--baseline", "missing.json"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read baseline missing.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn config_from_statelint_toml_package_and_workspace_metadata() {
    let dir = service();
    let p = dir.path();
    // statelint.toml next to the crate.
    std::fs::write(
        p.join("statelint.toml"),
        "ignore = [\"in-process-cache\"]\n",
    )
    .unwrap();
    let run = statelint(&["check", ".", "--format", "short"], p);
    assert_eq!(short_lines(&run).len(), 1, "{}", run.stdout);
    // CLI flags override the file.
    let run = statelint(
        &[
            "check",
            ".",
            "--format",
            "short",
            "--ignore",
            "local-file-write",
        ],
        p,
    );
    assert_eq!(short_lines(&run).len(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("in-process-cache"), "{}", run.stdout);
    std::fs::remove_file(p.join("statelint.toml")).unwrap();

    // [package.metadata.statelint]
    let manifest = std::fs::read_to_string(p.join("Cargo.toml")).unwrap();
    std::fs::write(
        p.join("Cargo.toml"),
        format!("{manifest}\n[package.metadata.statelint]\nfail-on = \"never\"\n"),
    )
    .unwrap();
    let run = statelint(&["check", "."], p);
    assert_eq!(run.code, 0, "fail-on = never: {}", run.stdout);

    // [workspace.metadata.statelint] in a workspace root above the crate.
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("Cargo.toml"), "[workspace]\nmembers = [\"svc\"]\n[workspace.metadata.statelint]\nselect = [\"in-process-cache\"]\n").unwrap();
    let svc = ws.path().join("svc");
    std::fs::create_dir_all(svc.join("src")).unwrap();
    for f in ["src/main.rs", "src/store.rs"] {
        std::fs::copy(p.join(f), svc.join(f)).unwrap();
    }
    std::fs::write(svc.join("Cargo.toml"), manifest).unwrap();
    let run = statelint(&["check", ".", "--format", "short"], ws.path());
    assert_eq!(short_lines(&run).len(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("in-process-cache"));
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = service();
    let p = dir.path();
    let cases = [
        (
            "fail-onn = \"error\"\n",
            "statelint.toml:1:1: key `fail-onn`",
        ),
        (
            "select = [\"in-memory-sesion\"]\n",
            "statelint.toml:1:11: key `select`: unknown rule `in-memory-sesion`; did you mean `in-memory-session`?",
        ),
        ("fail-on = \"sometimes\"\n", "statelint.toml:1:11"),
        (
            "exclude = [\"src/[oops\"]\n",
            "statelint.toml:1:12: key `exclude`: invalid glob",
        ),
        (
            "[severity]\nlocal-file-writes = \"error\"\n",
            "statelint.toml:2:21: key `severity`: unknown rule `local-file-writes`",
        ),
        (
            "[per-path]\n\"src/**\" = [\"nope\"]\n",
            "statelint.toml:2:13: key `per-path`: unknown rule `nope`",
        ),
        (
            "[lists]\nlock-fns = [\"x\"]\n",
            "key `lists`: no rule reads a list named `lock-fns`",
        ),
        ("select = 3\n", "statelint.toml:1:10"),
    ];
    for (text, expected) in cases {
        std::fs::write(p.join("statelint.toml"), text).unwrap();
        let run = statelint(&["check", "."], p);
        assert_eq!(run.code, 2, "{text}");
        assert!(
            run.stderr.contains(expected),
            "for {text:?} expected {expected:?} in:\n{}",
            run.stderr
        );
    }
    // --config names a file explicitly; a missing one is an error too.
    let run = statelint(&["check", ".", "--config", "nope.toml"], p);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("nope.toml: cannot read config"),
        "{}",
        run.stderr
    );
}

#[test]
fn per_path_ignores_and_lists_extend_rules() {
    let dir = service();
    let p = dir.path();
    std::fs::write(
        p.join("statelint.toml"),
        "[per-path]\n\"src/store.rs\" = [\"in-process-cache\"]\n",
    )
    .unwrap();
    let run = statelint(&["check", ".", "--format", "short"], p);
    assert_eq!(short_lines(&run).len(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("local-file-write"));
}

#[test]
fn cargo_subcommand_runs_the_same_cli() {
    let exe = env!("CARGO_BIN_EXE_cargo-statelint");
    let dir = service();
    let run = run_in(
        exe,
        &["statelint", "check", ".", "--format", "short"],
        dir.path(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(short_lines(&run).len(), 2);
    let help = run_in(exe, &["statelint", "--help"], dir.path());
    assert!(
        help.stdout.contains("Usage: cargo statelint"),
        "{}",
        help.stdout
    );
}

#[test]
fn check_never_writes_into_the_tree() {
    let dir = service();
    let snapshot = |p: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(p)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(dir.path());
    for format in ["human", "short", "json", "sarif", "github", "markdown"] {
        statelint(&["check", ".", "--format", format], dir.path());
    }
    assert_eq!(before, snapshot(dir.path()));
}

#[test]
fn config_lists_extend_what_rules_accept() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::write(p.join("Cargo.toml"), "[package]\nname = \"cron\"\nversion = \"0.1.0\"\n[dependencies]\ntokio-cron-scheduler = \"0.13\"\nmy-infra = \"1\"\n").unwrap();
    std::fs::write(
        p.join("src/main.rs"),
        "use tokio_cron_scheduler::Job;\n\nfn main() {\n    let _job = Job::new_async(\"0 0 * * * *\", |_id, _l| Box::pin(async move {\n        if my_infra::leader::acquire(\"nightly\").await {\n            run().await;\n        }\n    }));\n}\n\nasync fn run() {}\n",
    )
    .unwrap();
    let run = statelint(&["check", ".", "--format", "short"], p);
    assert!(run.stdout.contains("unlocked-schedule"), "{}", run.stdout);
    std::fs::write(
        p.join("statelint.toml"),
        "[lists]\nlock-functions = [\"my_infra::leader::*\"]\n",
    )
    .unwrap();
    let run = statelint(&["check", ".", "--format", "short"], p);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

// ---------------------------------------------------------------- configuration per crate

/// A workspace: `api` with its own statelint.toml, `web` with none, and the workspace's
/// config at the root. Both crates write files and keep a static cache.
fn workspace_with_member_config() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let write = |name: &str, text: &str| {
        let f = p.join(name);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    write("Cargo.toml", "[workspace]\nmembers = [\"api\", \"web\"]\n");
    write(
        "statelint.toml",
        "ignore = [\"in-process-cache\"]\n[severity]\nlocal-file-write = \"error\"\nin-process-cache = \"info\"\n",
    );
    write(
        "api/statelint.toml",
        "ignore = [\"local-file-write\"]\nfail-on = \"error\"\n",
    );
    for name in ["api", "web"] {
        write(
            &format!("{name}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n[dependencies]\nonce_cell = \"1\"\n"
            ),
        );
        write(
            &format!("{name}/src/lib.rs"),
            "use std::collections::HashMap;\nuse std::sync::Mutex;\nuse once_cell::sync::Lazy;\n\npub static CACHE: Lazy<Mutex<HashMap<u64, String>>> = Lazy::new(Default::default);\n\npub fn save() {\n    std::fs::write(\"cache.json\", \"{}\").unwrap();\n    CACHE.lock().unwrap().insert(1, String::new());\n}\n",
        );
    }
    dir
}

#[test]
fn each_crate_gets_its_nearest_config_merged_over_the_workspaces() {
    let dir = workspace_with_member_config();
    let p = dir.path();
    let run = statelint(&["check", ".", "--format", "short"], p);
    // api: its own `ignore` replaces the workspace's (the cache is reported, the write not),
    // at the severity the workspace's `[severity]` gives it; web: the workspace's config (the
    // write, at the workspace's severity; no cache).
    assert_eq!(
        short_lines(&run),
        [
            "api/src/lib.rs:5:5: info[in-process-cache] `CACHE` is mutable state this process changes at run time: other replicas do not see it",
            "web/src/lib.rs:8:5: error[local-file-write] `std::fs::write` writes to this replica's local disk",
        ]
    );
    assert_eq!(run.code, 1);
    // The order of PATHs changes nothing, nor does naming a member first.
    for args in [["api", "web"], ["web", "api"]] {
        let again = statelint(&["check", args[0], args[1], "--format", "short"], p);
        assert_eq!(again.stdout, run.stdout, "{args:?}");
    }
    // api alone: only advice, and api's `fail-on = "error"` lets it pass.
    let api = statelint(&["check", "api", "--format", "short"], p);
    assert_eq!(short_lines(&api).len(), 1, "{}", api.stdout);
    assert_eq!(api.code, 0, "{}", api.stdout);
}

#[test]
fn show_settings_prints_the_merged_config_of_a_path() {
    let dir = workspace_with_member_config();
    let run = statelint(&["check", "--show-settings", "api"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from = format!(
        "# from (nearest last): {}, {}\n",
        dir.path().join("statelint.toml").display(),
        dir.path().join("api/statelint.toml").display()
    );
    assert_eq!(
        run.stdout,
        format!(
            "# Settings for `api` (checked as the crate in `api`)\n{from}rules = []\n# select: every rule\nignore = [\"local-file-write\"]\nexclude = []\nfail-on = \"error\"\n\n[severity]\nin-process-cache = \"info\"\nlocal-file-write = \"error\"\n\n[per-path]\n\n[lists]\n\n# Rules that run, at their severity:\n#   in-memory-session (error)\n#   embedded-local-database (error)\n#   in-process-cache (info)\n#   non-idempotent-job (warning)\n#   unlocked-schedule (error)\n#   unused-suppression (warning)\n#   stale-baseline (warning)\n#   local-websocket-fanout (error)\n# Rules that do not run: local-file-write\n"
        )
    );
    let web = statelint(&["check", "--show-settings", "web/src/lib.rs"], dir.path());
    assert!(
        web.stdout.contains("ignore = [\"in-process-cache\"]\n"),
        "{}",
        web.stdout
    );
}

// ---------------------------------------------------------------- formats for CI

#[test]
fn gitlab_code_quality_report() {
    let dir = service();
    std::fs::write(dir.path().join("src/broken.rs"), "fn f( {\n").unwrap();
    let run = statelint(&["check", ".", "--format", "gitlab"], dir.path());
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 3, "{}", run.stdout);
    let write = &issues[0];
    assert_eq!(write["check_name"], "local-file-write");
    assert_eq!(write["severity"], "critical");
    assert_eq!(write["location"]["path"], "src/main.rs");
    assert_eq!(write["location"]["lines"]["begin"], 5);
    assert_eq!(
        write["description"],
        "`std::fs::write` writes to this replica's local disk"
    );
    assert_eq!(write["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(issues[1]["check_name"], "in-process-cache");
    assert_eq!(issues[1]["severity"], "major");
    let broken = &issues[2];
    assert_eq!(broken["check_name"], "statelint::parse");
    assert_eq!(broken["location"]["path"], "src/broken.rs");
    assert_eq!(broken["location"]["lines"]["begin"], 1);
}

#[test]
fn output_writes_the_report_to_a_file_and_the_terminal_gets_the_human_one() {
    let dir = service();
    let run = statelint(
        &[
            "check",
            ".",
            "--format",
            "sarif",
            "--output",
            "statelint.sarif",
        ],
        dir.path(),
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("Stateless checklist"), "{}", run.stdout);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("statelint.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
}

#[test]
fn rules_format_json_lists_every_rule() {
    let dir = service();
    let run = statelint(&["rules", "--format", "json"], dir.path());
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v[0]["id"], "in-memory-session");
    assert_eq!(v[0]["checklist"], 1);
    // The old flag still works.
    let old = statelint(&["rules", "--json"], dir.path());
    assert_eq!(old.stdout, run.stdout);
}

// ---------------------------------------------------------------- baselines that hold and tell

fn baseline_check(p: &Path) -> Run {
    statelint(
        &[
            "check",
            ".",
            "--baseline",
            "statelint-baseline.json",
            "--format",
            "short",
        ],
        p,
    )
}

#[test]
fn editing_the_rest_of_the_line_keeps_a_finding_known() {
    let dir = service();
    let p = dir.path();
    let wrote = statelint(
        &["check", ".", "--write-baseline", "statelint-baseline.json"],
        p,
    );
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    let main = std::fs::read_to_string(p.join("src/main.rs")).unwrap();
    std::fs::write(
        p.join("src/main.rs"),
        main.replace(
            "std::fs::write(\"upload.bin\", body).unwrap();",
            "std::fs::write(&format!(\"upload-{}.bin\", 1), &body).expect(\"saved\");",
        ),
    )
    .unwrap();
    let store = std::fs::read_to_string(p.join("src/store.rs")).unwrap();
    std::fs::write(
        p.join("src/store.rs"),
        store.replace(
            "Lazy::new(Default::default)",
            "Lazy::new(|| Mutex::new(HashMap::new()))",
        ),
    )
    .unwrap();
    let run = baseline_check(p);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn baseline_entries_that_match_nothing_are_reported_as_stale() {
    let dir = service();
    let p = dir.path();
    statelint(
        &["check", ".", "--write-baseline", "statelint-baseline.json"],
        p,
    );
    // The cache is gone.
    std::fs::write(p.join("src/store.rs"), "pub fn nothing() {}\n").unwrap();
    let run = baseline_check(p);
    assert_eq!(
        short_lines(&run),
        [
            "statelint-baseline.json:12:1: warning[stale-baseline] baseline entry matches no finding any more: `in-process-cache` in src/store.rs: `CACHE` is mutable state this process changes at run time: other replicas do not see it"
        ]
    );
    assert_eq!(run.code, 1);
    // A run that does not check the entry's rule, or its file, leaves it alone.
    let other_rule = statelint(
        &[
            "check",
            ".",
            "--baseline",
            "statelint-baseline.json",
            "--select",
            "local-file-write,stale-baseline",
            "--format",
            "short",
        ],
        p,
    );
    assert_eq!(other_rule.stdout, "", "{}", other_rule.stderr);
    let other_file = statelint(
        &[
            "check",
            "src/main.rs",
            "--baseline",
            "statelint-baseline.json",
            "--format",
            "short",
        ],
        p,
    );
    assert_eq!(other_file.stdout, "", "{}", other_file.stderr);
}

#[test]
fn rewriting_a_baseline_keeps_its_order_and_what_the_run_did_not_check() {
    let dir = service();
    let p = dir.path();
    statelint(
        &["check", ".", "--write-baseline", "statelint-baseline.json"],
        p,
    );
    let entries = |p: &Path| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(p.join("statelint-baseline.json")).unwrap(),
        )
        .unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["file"].as_str().unwrap().to_string(),
                    e["rule"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let first = entries(p);
    assert_eq!(
        first,
        [
            ("src/main.rs".to_string(), "local-file-write".to_string()),
            ("src/store.rs".to_string(), "in-process-cache".to_string()),
        ]
    );
    // Someone ordered the file by hand: a rewrite keeps that order, and places a new finding
    // before the first entry that sorts after it.
    let path = p.join("statelint-baseline.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["findings"].as_array_mut().unwrap().reverse();
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    std::fs::write(
        p.join("src/a_jobs.rs"),
        "pub fn dump() {\n    std::fs::write(\"dump.bin\", \"x\").unwrap();\n}\n",
    )
    .unwrap();
    let main = std::fs::read_to_string(p.join("src/main.rs")).unwrap();
    std::fs::write(p.join("src/main.rs"), format!("mod a_jobs;\n{main}")).unwrap();
    // Written from a run that checks one rule: the other rule's entry is kept.
    let wrote = statelint(
        &[
            "check",
            ".",
            "--select",
            "local-file-write",
            "--write-baseline",
            "statelint-baseline.json",
        ],
        p,
    );
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    assert_eq!(
        entries(p),
        [
            ("src/a_jobs.rs".to_string(), "local-file-write".to_string()),
            ("src/store.rs".to_string(), "in-process-cache".to_string()),
            ("src/main.rs".to_string(), "local-file-write".to_string()),
        ]
    );
    assert!(
        wrote
            .stderr
            .contains("(and kept 1 entries this run did not check)"),
        "{}",
        wrote.stderr
    );
}

// ---------------------------------------------------------------- cargo conventions

#[test]
fn cargo_statelint_alone_checks_and_takes_cargos_package_flags() {
    let exe = env!("CARGO_BIN_EXE_cargo-statelint");
    let dir = workspace_with_member_config();
    let p = dir.path();
    let alone = run_in(exe, &["statelint"], p);
    assert_eq!(alone.code, 1, "{}", alone.stderr);
    assert!(
        alone.stdout.contains("Stateless checklist"),
        "{}",
        alone.stdout
    );
    let web = run_in(exe, &["statelint", "-p", "web", "--format", "short"], p);
    assert_eq!(
        short_lines(&web),
        [
            "web/src/lib.rs:8:5: error[local-file-write] `std::fs::write` writes to this replica's local disk"
        ]
    );
    let all = run_in(exe, &["statelint", "--workspace", "--format", "short"], p);
    assert_eq!(short_lines(&all).len(), 2, "{}", all.stdout);
    let unknown = run_in(exe, &["statelint", "-p", "nope"], p);
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr,
        "error: package `nope` is not among the crates found (found: api, web)\n"
    );
    let manifest = statelint(
        &[
            "check",
            "--manifest-path",
            "api/Cargo.toml",
            "--format",
            "short",
        ],
        p,
    );
    assert_eq!(
        short_lines(&manifest),
        [
            "api/src/lib.rs:5:5: info[in-process-cache] `CACHE` is mutable state this process changes at run time: other replicas do not see it"
        ]
    );
}

#[test]
fn init_writes_a_starter_config_once() {
    let dir = service();
    let p = dir.path();
    let run = statelint(&["init"], p);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(p.join("statelint.toml")).unwrap();
    assert_eq!(text, statelint::commands::init::STARTER);
    // Everything commented out: the defaults apply.
    let check = statelint(&["check", ".", "--format", "short"], p);
    assert_eq!(short_lines(&check).len(), 2, "{}", check.stderr);
    let again = statelint(&["init"], p);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    // Every setting it shows, uncommented, is a valid config (with the rules directory it
    // names).
    std::fs::create_dir_all(p.join("lint/statelint")).unwrap();
    std::fs::write(
        p.join("lint/statelint/team.toml"),
        "[[rule]]\nid = \"acme-global-registry\"\nseverity = \"error\"\nmessage = \"m\"\nhelp = \"h\"\n\n[[rule.match]]\non = \"call\"\npath = [\"acme_registry::Registry::global\"]\n",
    )
    .unwrap();
    std::fs::write(
        p.join("statelint.toml"),
        statelint::commands::init::uncommented(),
    )
    .unwrap();
    let uncommented = statelint(&["check", ".", "--format", "short"], p);
    assert!(matches!(uncommented.code, 0 | 1), "{}", uncommented.stderr);
    assert_eq!(uncommented.stderr, "");
}
