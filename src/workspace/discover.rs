//! Turns the PATHs on the command line into crates and their `.rs` files.
//!
//! Every directory is walked with the `ignore` crate (`.gitignore` and `.ignore` honoured even
//! outside a git repository, hidden entries and cargo `target/` directories skipped); each file
//! belongs to the crate of its nearest `Cargo.toml` with a `[package]`, so a directory holding
//! many crates, a workspace, or a single crate all work the same way. Files named explicitly
//! are linted even when ignored, as ripgrep does.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::report::FileError;
use crate::syntax::imports::ExternNames;

use super::manifest::{Manifest, Package, read_manifest};

pub struct Plan {
    pub crates: Vec<CrateUnit>,
    /// Problems found while discovering: missing paths, broken manifests.
    pub errors: Vec<FileError>,
    /// A PATH that does not exist (a usage error: exit code 2 once the run is done).
    pub missing_path: bool,
}

pub struct CrateUnit {
    pub name: String,
    pub root: PathBuf,
    pub package: Option<Package>,
    pub manifest: Option<Manifest>,
    pub externs: Arc<ExternNames>,
    pub files: Vec<SourceFile>,
}

pub struct SourceFile {
    /// Where to read it.
    pub path: PathBuf,
    /// As reported: relative to the current directory when under it, `/`-separated.
    pub display: String,
    /// Relative to the crate root, `/`-separated (for `files` globs and fingerprints).
    pub rel: String,
    /// `crate::a::b` for `src/a/b.rs`.
    pub module_path: String,
}

pub fn discover(paths: &[PathBuf]) -> Plan {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut d = Discovery {
        cwd,
        crates: Vec::new(),
        crate_of_dir: HashMap::new(),
        loose: HashMap::new(),
        seen: HashSet::new(),
        walked: HashSet::new(),
        errors: Vec::new(),
    };
    let mut missing_path = false;
    for p in paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                missing_path = true;
                d.errors.push(FileError::new(
                    &display(&d.cwd, p),
                    "missing",
                    format!("cannot lint `{}`: {}", p.display(), io_reason(&e)),
                ));
                continue;
            }
        };
        if meta.is_dir() {
            d.walk(p);
        } else if p.extension().is_some_and(|e| e == "rs") {
            d.add_file(p, p.parent().unwrap_or(Path::new(".")));
        } else if p.file_name().is_some_and(|n| n == "Cargo.toml") {
            d.walk(p.parent().unwrap_or(Path::new(".")));
        } else {
            d.errors.push(FileError::new(
                &display(&d.cwd, p),
                "usage",
                "not a directory, a `.rs` file or a Cargo.toml".to_string(),
            ));
            missing_path = true;
        }
    }
    let mut crates: Vec<CrateUnit> = d
        .crates
        .into_iter()
        .chain(d.loose.into_values())
        .filter(|c| !c.files.is_empty())
        .collect();
    for c in &mut crates {
        c.files.sort_by(|a, b| a.display.cmp(&b.display));
    }
    crates.sort_by(|a, b| a.root.cmp(&b.root));
    Plan {
        crates,
        errors: d.errors,
        missing_path,
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

struct Discovery {
    cwd: PathBuf,
    crates: Vec<CrateUnit>,
    /// Directory -> index of the crate whose manifest is nearest (None: no crate above).
    crate_of_dir: HashMap<PathBuf, Option<usize>>,
    /// Files with no crate above them, grouped by the PATH they were found under.
    loose: HashMap<PathBuf, CrateUnit>,
    seen: HashSet<PathBuf>,
    /// Directories already walked (workspaces may point at each other).
    walked: HashSet<PathBuf>,
    errors: Vec<FileError>,
}

impl Discovery {
    fn walk(&mut self, dir: &Path) {
        if !self.walked.insert(absolute(dir)) {
            return;
        }
        // Workspace members outside this directory (`members = ["../shared/*"]`) belong to it.
        for member in outside_members(dir) {
            self.walk(&member);
        }
        let excluded = workspace_excludes(dir);
        let walker = ignore::WalkBuilder::new(dir)
            .standard_filters(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(move |e| {
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && (is_cargo_target_dir(e.path())
                        || excluded.iter().any(|x| e.path().starts_with(x))))
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    // Unreadable directories and symlink loops: report and carry on.
                    let path = err_path(&err).unwrap_or_else(|| dir.to_path_buf());
                    self.errors.push(FileError::new(
                        &display(&self.cwd, &path),
                        "io",
                        format!("cannot walk: {}", one_line(&err.to_string())),
                    ));
                    continue;
                }
            };
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Some(kind) = entry.file_type() else {
                continue;
            };
            // Symlinked files are sources like any other (cargo compiles them); symlinked
            // directories are not followed, as ripgrep does, so a link to `/` or a link loop
            // cannot run away. A FIFO or device named `x.rs` is kept so that reading it reports
            // it as skipped (reading it would block).
            let wanted = if kind.is_symlink() {
                !std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
            } else {
                !kind.is_dir()
            };
            if wanted {
                self.add_file(entry.path(), dir);
            }
        }
    }

    fn add_file(&mut self, path: &Path, walk_root: &Path) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path));
        if !self.seen.insert(key) {
            return;
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let display_path = display(&self.cwd, path);
        match self.crate_for_dir(dir) {
            Some(i) => {
                let root = self.crates[i].root.clone();
                let rel = relative(&absolute(path), &absolute(&root));
                let module_path = module_path_for(&rel);
                self.crates[i].files.push(SourceFile {
                    path: path.to_path_buf(),
                    display: display_path,
                    rel,
                    module_path,
                });
            }
            None => {
                let root = absolute(walk_root);
                let rel = relative(&absolute(path), &root);
                let module_path = module_path_for(&rel);
                let unit = self.loose.entry(root.clone()).or_insert_with(|| CrateUnit {
                    name: root
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "(files)".to_string()),
                    root: root.clone(),
                    package: None,
                    manifest: None,
                    externs: Arc::new(ExternNames::default()),
                    files: Vec::new(),
                });
                unit.files.push(SourceFile {
                    path: path.to_path_buf(),
                    display: display_path,
                    rel,
                    module_path,
                });
            }
        }
    }

    /// The crate whose `Cargo.toml` (with a `[package]`) is nearest above `dir`.
    fn crate_for_dir(&mut self, dir: &Path) -> Option<usize> {
        let dir = absolute(dir);
        let mut chain = Vec::new();
        let mut cur: Option<&Path> = Some(&dir);
        let mut found = None;
        while let Some(d) = cur {
            if let Some(&known) = self.crate_of_dir.get(d) {
                found = known;
                break;
            }
            chain.push(d.to_path_buf());
            let manifest_path = d.join("Cargo.toml");
            if manifest_path.is_file() {
                match read_manifest(&manifest_path) {
                    Ok(m) if m.package.is_some() => {
                        found = Some(self.new_crate(d, m));
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let mut err = FileError::new(
                            &display(&self.cwd, &manifest_path),
                            "manifest",
                            e.message,
                        );
                        err.line = Some(e.line).filter(|l| *l > 0);
                        err.column = Some(e.column).filter(|c| *c > 0);
                        self.errors.push(err);
                        // Still a crate: lint its files without dependency knowledge.
                        let m = Manifest {
                            path: manifest_path.clone(),
                            package: Some(Package {
                                name: dir_name(d),
                                ..Default::default()
                            }),
                            workspace: None,
                        };
                        found = Some(self.new_crate(d, m));
                        break;
                    }
                }
            }
            cur = d.parent();
        }
        for d in chain {
            self.crate_of_dir.insert(d, found);
        }
        found
    }

    fn new_crate(&mut self, root: &Path, m: Manifest) -> usize {
        let package = m.package.clone().unwrap_or_default();
        let externs = ExternNames {
            crates: package.all_dependency_names.iter().cloned().collect(),
            renames: package
                .renames
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            own_lib: None,
        };
        let name = if package.name.is_empty() {
            dir_name(root)
        } else {
            package.name.clone()
        };
        self.crates.push(CrateUnit {
            name,
            root: root.to_path_buf(),
            package: Some(package),
            manifest: Some(m),
            externs: Arc::new(externs),
            files: Vec::new(),
        });
        self.crates.len() - 1
    }
}

fn err_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } => err_path(err),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

fn dir_name(d: &Path) -> String {
    d.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "crate".to_string())
}

/// `[workspace] exclude = [..]` of a manifest in `dir`: those directories are not linted.
/// Workspace members (expanded globs) that are not under `dir`.
fn outside_members(dir: &Path) -> Vec<PathBuf> {
    let Ok(Manifest {
        workspace: Some(ws),
        ..
    }) = read_manifest(&dir.join("Cargo.toml"))
    else {
        return Vec::new();
    };
    let root = absolute(dir);
    let mut out = Vec::new();
    for pattern in &ws.members {
        for m in expand_member(&root, pattern) {
            let m = absolute(&m);
            if !m.starts_with(&root) && m.join("Cargo.toml").is_file() {
                out.push(m);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Expands a `members` entry (`crates/*`, `../tools/gen`) one path component at a time.
fn expand_member(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut current = vec![root.to_path_buf()];
    for part in pattern.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let is_glob = part.contains(['*', '?', '[']);
        let mut next = Vec::new();
        for base in &current {
            if !is_glob {
                next.push(base.join(part));
                continue;
            }
            let Ok(glob) = globset::Glob::new(part) else {
                continue;
            };
            let matcher = glob.compile_matcher();
            if let Ok(entries) = std::fs::read_dir(base) {
                for e in entries.flatten() {
                    if e.path().is_dir() && matcher.is_match(e.file_name()) {
                        next.push(e.path());
                    }
                }
            }
        }
        current = next;
    }
    current
}

fn workspace_excludes(dir: &Path) -> Vec<PathBuf> {
    match read_manifest(&dir.join("Cargo.toml")) {
        Ok(Manifest {
            workspace: Some(ws),
            ..
        }) => ws.exclude.iter().map(|x| dir.join(x)).collect(),
        _ => Vec::new(),
    }
}

/// Cargo's build directory: `target/` beside a `Cargo.toml`, or any directory cargo tagged.
fn is_cargo_target_dir(p: &Path) -> bool {
    if p.file_name().is_none_or(|n| n != "target") {
        return false;
    }
    p.join("CACHEDIR.TAG").exists()
        || p.join(".rustc_info.json").exists()
        || p.parent()
            .is_some_and(|parent| parent.join("Cargo.toml").exists())
}

pub fn absolute(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    normalize(&abs)
}

/// Removes `.` and `..` components without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn relative(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    slash(rel)
}

fn slash(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// How a path is shown: relative to the current directory when under it.
pub fn display(cwd: &Path, p: &Path) -> String {
    let abs = absolute(p);
    let cwd = absolute(cwd);
    match abs.strip_prefix(&cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => slash(rel),
        Ok(_) => ".".to_string(),
        Err(_) => slash(&abs).replacen("//", "/", 1),
    }
}

/// The module a file is, from its crate-relative path (ignoring `#[path]`).
pub fn module_path_for(rel: &str) -> String {
    let Some(rest) = rel.strip_prefix("src/") else {
        return "crate".to_string();
    };
    if rest.starts_with("bin/") {
        return "crate".to_string();
    }
    let rest = rest.strip_suffix(".rs").unwrap_or(rest);
    let mut parts: Vec<&str> = rest.split('/').collect();
    if matches!(parts.last(), Some(&"mod")) {
        parts.pop();
    }
    if parts.len() == 1 && matches!(parts[0], "lib" | "main") {
        return "crate".to_string();
    }
    let mut out = String::from("crate");
    for p in parts {
        out.push_str("::");
        out.push_str(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths() {
        assert_eq!(module_path_for("src/lib.rs"), "crate");
        assert_eq!(module_path_for("src/main.rs"), "crate");
        assert_eq!(module_path_for("src/state.rs"), "crate::state");
        assert_eq!(module_path_for("src/api/mod.rs"), "crate::api");
        assert_eq!(module_path_for("src/api/users.rs"), "crate::api::users");
        assert_eq!(module_path_for("src/bin/worker.rs"), "crate");
        assert_eq!(module_path_for("build.rs"), "crate");
    }

    #[test]
    fn workspace_members_outside_the_directory_are_linted() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        let shared = tmp.path().join("shared/util");
        std::fs::create_dir_all(ws.join("app/src")).unwrap();
        std::fs::create_dir_all(shared.join("src")).unwrap();
        std::fs::write(
            ws.join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\", \"../shared/*\"]\n",
        )
        .unwrap();
        std::fs::write(ws.join("app/Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
        std::fs::write(ws.join("app/src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(shared.join("Cargo.toml"), "[package]\nname = \"util\"\n").unwrap();
        std::fs::write(shared.join("src/lib.rs"), "pub fn f() {}").unwrap();
        let plan = discover(std::slice::from_ref(&ws));
        let mut names: Vec<&str> = plan.crates.iter().map(|c| c.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["app", "util"]);
    }

    #[test]
    fn display_is_relative_under_cwd() {
        let cwd = Path::new("/work/x");
        assert_eq!(display(cwd, Path::new("/work/x/src/a.rs")), "src/a.rs");
        assert_eq!(display(cwd, Path::new("/other/a.rs")), "/other/a.rs");
    }
}
