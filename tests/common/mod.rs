//! Running the binaries as users and CI do, shared by the integration tests.
#![allow(dead_code)] // each test file uses a different part

use std::path::Path;
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `exe` in `cwd` with colour off and extra environment variables.
pub fn run_in_env(exe: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Run {
    let out = Command::new(exe)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs statelint with `env` set and nothing else about colour decided (no NO_COLOR).
pub fn statelint_color_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_statelint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run_in(exe: &str, args: &[&str], cwd: &Path) -> Run {
    run_in_env(exe, args, cwd, &[])
}

pub fn statelint(args: &[&str], cwd: &Path) -> Run {
    run_in(env!("CARGO_BIN_EXE_statelint"), args, cwd)
}

pub fn statelint_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Run {
    run_in_env(env!("CARGO_BIN_EXE_statelint"), args, cwd, env)
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The run's stdout as JSON, or a panic showing what it printed.
pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}
