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
