//! What statelint reads from a `Cargo.toml`: the package name, dependency names (with
//! `package = ".."` renames), workspace members, and `[package.metadata.statelint]` /
//! `[workspace.metadata.statelint]` tables. Parsed leniently as a TOML value: a manifest that
//! cargo accepts must never stop a lint run over a field statelint does not need.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use toml::Value;

#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub path: PathBuf,
    pub package: Option<Package>,
    pub workspace: Option<Workspace>,
}

#[derive(Debug, Clone, Default)]
pub struct Package {
    pub name: String,
    /// `[dependencies]` and target-specific ones, names as code uses them (`-` -> `_`).
    pub dependencies: BTreeSet<String>,
    /// Real package names of normal dependencies (`-` -> `_`), for `requires-dependency`.
    pub dependency_packages: BTreeSet<String>,
    /// Every name code may use to reach another crate: normal, dev and build dependencies.
    pub all_dependency_names: BTreeSet<String>,
    /// name in code -> real crate name.
    pub renames: HashMap<String, String>,
    /// Real names of normal dependencies given by `path` or `workspace = true`: crates of the
    /// same project rather than releases from a registry.
    pub local_dependencies: BTreeSet<String>,
    /// The project it is published from: `repository`, else `homepage`, normalised (crates of
    /// one workspace published separately share it).
    pub project: Option<String>,
    pub metadata_statelint: Option<Value>,
    /// `[lib] proc-macro = true`: the crate runs inside the compiler, never in the service.
    pub proc_macro: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Workspace {
    pub members: Vec<String>,
    pub exclude: Vec<String>,
    pub metadata_statelint: Option<Value>,
}

#[derive(Debug)]
pub struct ManifestError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

pub fn read_manifest(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse_manifest(path, &text)
}

pub fn parse_manifest(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
    let value: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() as u32 + 1;
                let col = before
                    .rsplit('\n')
                    .next()
                    .map(|l| l.chars().count())
                    .unwrap_or(0) as u32
                    + 1;
                (line, col)
            })
            .unwrap_or((0, 0));
        ManifestError {
            line,
            column,
            message: format!("invalid Cargo.toml: {}", e.message().trim()),
        }
    })?;
    let mut m = Manifest {
        path: path.to_path_buf(),
        ..Default::default()
    };
    if let Some(Value::Table(pkg)) = value.get("package") {
        let name = pkg
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut p = Package {
            name,
            metadata_statelint: pkg
                .get("metadata")
                .and_then(|m| m.get("statelint"))
                .cloned(),
            ..Default::default()
        };
        collect_deps(&value, &mut p);
        p.proc_macro = value
            .get("lib")
            .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let url = |key: &str| pkg.get(key).and_then(Value::as_str);
        p.project = url("repository").or_else(|| url("homepage")).map(|u| {
            u.trim()
                .trim_end_matches('/')
                .trim_end_matches(".git")
                .to_ascii_lowercase()
        });
        m.package = Some(p);
    }
    if let Some(Value::Table(ws)) = value.get("workspace") {
        let strings = |key: &str| -> Vec<String> {
            ws.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        m.workspace = Some(Workspace {
            members: strings("members"),
            exclude: strings("exclude"),
            metadata_statelint: ws.get("metadata").and_then(|m| m.get("statelint")).cloned(),
        });
    }
    Ok(m)
}

fn collect_deps(root: &toml::Table, p: &mut Package) {
    let mut add = |deps: Option<&Value>, normal: bool| {
        let Some(Value::Table(deps)) = deps else {
            return;
        };
        for (name, spec) in deps {
            let code_name = name.replace('-', "_");
            let package = spec
                .get("package")
                .and_then(Value::as_str)
                .map(|s| s.replace('-', "_"));
            if let Some(real) = &package
                && *real != code_name
            {
                p.renames.insert(code_name.clone(), real.clone());
            }
            p.all_dependency_names.insert(code_name.clone());
            if normal {
                let real = package.unwrap_or_else(|| code_name.clone());
                let local = spec.get("path").is_some()
                    || spec.get("workspace").and_then(Value::as_bool) == Some(true);
                if local {
                    p.local_dependencies.insert(real.clone());
                }
                p.dependencies.insert(code_name.clone());
                p.dependency_packages.insert(real);
            }
        }
    };
    let sections = [
        ("dependencies", true),
        ("dev-dependencies", false),
        ("dev_dependencies", false),
        ("build-dependencies", false),
        ("build_dependencies", false),
    ];
    for (key, normal) in sections {
        add(root.get(key), normal);
    }
    if let Some(Value::Table(targets)) = root.get("target") {
        for t in targets.values() {
            for (key, normal) in sections {
                add(t.get(key), normal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_local_dependencies_and_project() {
        let m = parse_manifest(
            Path::new("Cargo.toml"),
            r#"
[package]
name = "api"
homepage = "https://example.org/"
repository = "https://github.com/Example/Svc.git"
[dependencies]
hub = { path = "../hub" }
utils = { workspace = true }
serde = "1"
ws = { package = "svc-ws", path = "../ws" }
"#,
        )
        .unwrap();
        let p = m.package.unwrap();
        let local: Vec<&str> = p.local_dependencies.iter().map(String::as_str).collect();
        assert_eq!(local, ["hub", "svc_ws", "utils"]);
        assert_eq!(p.project.as_deref(), Some("https://github.com/example/svc"));
    }

    #[test]
    fn reads_dependencies_and_renames() {
        let m = parse_manifest(
            Path::new("Cargo.toml"),
            r#"
[package]
name = "svc"
[dependencies]
tower-sessions = "0.14"
sess = { package = "async-session", version = "3" }
[dev-dependencies]
tempfile = "3"
[target.'cfg(unix)'.dependencies]
nix = "0.29"
"#,
        )
        .unwrap();
        let p = m.package.unwrap();
        assert!(p.dependencies.contains("tower_sessions"));
        assert!(p.dependencies.contains("nix"));
        assert!(!p.dependencies.contains("tempfile"));
        assert!(p.all_dependency_names.contains("tempfile"));
        assert!(p.dependency_packages.contains("async_session"));
        assert_eq!(
            p.renames.get("sess").map(String::as_str),
            Some("async_session")
        );
    }

    #[test]
    fn broken_manifest_names_the_line() {
        let err = parse_manifest(Path::new("Cargo.toml"), "[package]\nname = \n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("invalid Cargo.toml"));
    }
}
