//! Name resolution for paths, as far as one file can see: `use` declarations (aliases, groups,
//! globs, `self`/`super`/`crate`), `extern crate` renames, items declared in the module, and the
//! crate's dependency names (with Cargo.toml `package = ".."` renames applied).
//!
//! The goal is not rustc's full resolution: it is to turn `disk::write` after
//! `use std::fs as disk;` into `std::fs::write`, and to know that a local `fn write` is not
//! `std::fs::write` even when `use std::fs::*;` is in scope (local items shadow glob imports).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;
use std::sync::Arc;

use syn::{Item, UseTree};

/// What the crate knows about names outside it.
#[derive(Debug, Default, Clone)]
pub struct ExternNames {
    /// Names a path may start with to reach another crate (dependency names with `-` as `_`,
    /// renamed dependencies under the name the code uses).
    pub crates: HashSet<String>,
    /// `name in code` -> `real crate name`, from `package = ".."` in Cargo.toml.
    pub renames: HashMap<String, String>,
    /// In the package's binaries, its own library as they name it (`use my_service::server::run`
    /// in src/main.rs): linted with them as one crate, so such a path is `crate::server::run`.
    /// Not in examples, tests and benches: what they call is the library's public use, and
    /// their contexts must not reach into it.
    pub own_lib: Option<String>,
}

impl ExternNames {
    pub fn is_extern(&self, first: &str) -> bool {
        matches!(first, "std" | "core" | "alloc" | "proc_macro" | "test")
            || self.crates.contains(first)
    }

    fn is_own_lib(&self, first: &str) -> bool {
        self.own_lib.as_deref() == Some(first)
    }

    fn real_name<'a>(&'a self, first: &'a str) -> &'a str {
        self.renames.get(first).map(String::as_str).unwrap_or(first)
    }
}

/// Names visible in one module (or one block with items): what `use` brought in and what is
/// declared there.
#[derive(Debug, Default)]
pub struct ImportScope {
    /// `crate::a::b` for modules; the enclosing module's path for blocks.
    pub module_path: String,
    /// local name -> path as written in the `use` (normalised when the first segment was
    /// `crate`/`self`/`super`/a local item/an extern crate).
    pub aliases: HashMap<String, String>,
    /// Targets of glob imports (`use std::fs::*;` -> `std::fs`).
    pub globs: Vec<String>,
    /// Items declared here; they shadow glob imports.
    pub local_items: HashSet<String>,
    /// A module (not a block): scopes further out are not visible from inside it.
    pub is_module: bool,
}

impl ImportScope {
    /// Collects the names declared by `items`, which belong to the module `module_path`.
    pub fn collect<'a>(
        items: impl IntoIterator<Item = &'a Item>,
        module_path: &str,
        externs: &ExternNames,
    ) -> ImportScope {
        let mut scope = ImportScope {
            module_path: module_path.to_string(),
            ..Default::default()
        };
        let mut uses = Vec::new();
        for item in items {
            match item {
                Item::Use(u) => uses.push(&u.tree),
                Item::ExternCrate(ec) => {
                    let name = ec.ident.to_string();
                    let local = ec
                        .rename
                        .as_ref()
                        .map(|(_, r)| r.to_string())
                        .unwrap_or(name.clone());
                    if name != "self" {
                        scope.aliases.insert(local, name);
                    }
                }
                _ => {
                    if let Some(name) = item_name(item) {
                        scope.local_items.insert(name);
                    }
                }
            }
        }
        for tree in uses {
            let mut prefix = Vec::new();
            scope.add_use_tree(tree, &mut prefix, externs);
        }
        scope
    }

    fn add_use_tree(&mut self, tree: &UseTree, prefix: &mut Vec<String>, externs: &ExternNames) {
        match tree {
            UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.add_use_tree(&p.tree, prefix, externs);
                prefix.pop();
            }
            UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last().cloned() {
                        let target = self.normalize(prefix, externs);
                        self.aliases.insert(last, target);
                    }
                } else {
                    prefix.push(name.clone());
                    let target = self.normalize(prefix, externs);
                    prefix.pop();
                    self.aliases.insert(name, target);
                }
            }
            UseTree::Rename(r) => {
                let alias = r.rename.to_string();
                if alias == "_" {
                    return; // `use Trait as _;` brings no name
                }
                let name = r.ident.to_string();
                if name != "self" {
                    prefix.push(name);
                }
                let target = self.normalize(prefix, externs);
                if r.ident != "self" {
                    prefix.pop();
                }
                self.aliases.insert(alias, target);
            }
            UseTree::Glob(_) => {
                let target = self.normalize(prefix, externs);
                self.globs.push(target);
            }
            UseTree::Group(g) => {
                for t in &g.items {
                    self.add_use_tree(t, prefix, externs);
                }
            }
        }
    }

    /// Makes a `use` path absolute where its first segment says how.
    fn normalize(&self, segments: &[String], externs: &ExternNames) -> String {
        let Some(first) = segments.first() else {
            return self.module_path.clone();
        };
        match first.as_str() {
            "crate" => segments.join("::"),
            "self" => join_under(&self.module_path, &segments[1..]),
            "super" => {
                let mut base = self.module_path.clone();
                let mut rest = segments;
                while rest.first().map(String::as_str) == Some("super") {
                    base = parent_module(&base);
                    rest = &rest[1..];
                }
                join_under(&base, rest)
            }
            name if self.local_items.contains(name) => join_under(&self.module_path, segments),
            name if externs.is_own_lib(name) => join_under("crate", &segments[1..]),
            name if externs.is_extern(name) => {
                let mut out = externs.real_name(name).to_string();
                for s in &segments[1..] {
                    out.push_str("::");
                    out.push_str(s);
                }
                out
            }
            _ => segments.join("::"),
        }
    }
}

fn join_under(base: &str, rest: &[String]) -> String {
    let mut out = base.to_string();
    for s in rest {
        out.push_str("::");
        out.push_str(s);
    }
    out
}

/// `crate::a::b` -> `crate::a`; `crate` stays `crate`.
pub fn parent_module(path: &str) -> String {
    match path.rfind("::") {
        Some(i) => path[..i].to_string(),
        None => path.to_string(),
    }
}

pub fn item_name(item: &Item) -> Option<String> {
    let ident = match item {
        Item::Fn(f) => &f.sig.ident,
        Item::Struct(s) => &s.ident,
        Item::Enum(e) => &e.ident,
        Item::Const(c) => &c.ident,
        Item::Static(s) => &s.ident,
        Item::Mod(m) => &m.ident,
        Item::Trait(t) => &t.ident,
        Item::TraitAlias(t) => &t.ident,
        Item::Type(t) => &t.ident,
        Item::Union(u) => &u.ident,
        Item::Macro(m) => m.ident.as_ref()?,
        _ => return None,
    };
    Some(ident.to_string())
}

/// A path after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPath {
    /// Best guess at the absolute path (`std::fs::write`, `crate::jobs::run`, or as written).
    pub path: String,
    /// Other possible meanings (several glob imports could each provide the name).
    pub alternatives: Vec<String>,
    /// Could name something defined in this crate (so same-crate lookups and `type` aliases apply).
    pub local: bool,
}

/// Resolves paths against a stack of import scopes (innermost last).
pub struct Resolver {
    pub externs: Arc<ExternNames>,
    scopes: Vec<Rc<ImportScope>>,
    /// Module scopes of this file by module path, to follow `use super::*` and friends.
    modules: HashMap<String, Rc<ImportScope>>,
    /// The `Self` type's path inside an `impl`.
    pub self_type: Option<String>,
}

/// Names that are in the prelude or are primitives: never a `type` alias of the crate.
pub fn is_prelude_or_primitive(name: &str) -> bool {
    matches!(
        name,
        "bool"
            | "char"
            | "str"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "f32"
            | "f64"
            | "String"
            | "Vec"
            | "Box"
            | "Option"
            | "Result"
            | "Some"
            | "None"
            | "Ok"
            | "Err"
            | "Self"
            | "ToString"
            | "Default"
            | "Clone"
            | "Send"
            | "Sync"
            | "Sized"
            | "Fn"
            | "FnMut"
            | "FnOnce"
            | "Iterator"
            | "IntoIterator"
            | "From"
            | "Into"
            | "Drop"
            | "drop"
    )
}

impl Resolver {
    pub fn new(externs: Arc<ExternNames>) -> Resolver {
        Resolver {
            externs,
            scopes: Vec::new(),
            modules: HashMap::default(),
            self_type: None,
        }
    }

    pub fn push_module(&mut self, mut scope: ImportScope) {
        scope.is_module = true;
        let scope = Rc::new(scope);
        self.modules
            .insert(scope.module_path.clone(), scope.clone());
        self.scopes.push(scope);
    }

    pub fn push_block(&mut self, scope: ImportScope) {
        self.scopes.push(Rc::new(scope));
    }

    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    pub fn module_path(&self) -> &str {
        self.scopes
            .last()
            .map(|s| s.module_path.as_str())
            .unwrap_or("crate")
    }

    /// Innermost scopes up to and including the nearest module scope (modules do not see
    /// their parent's imports).
    fn visible(&self) -> impl Iterator<Item = &Rc<ImportScope>> {
        let mut done = false;
        self.scopes.iter().rev().take_while(move |s| {
            if done {
                return false;
            }
            done = s.is_module;
            true
        })
    }

    /// Resolves a syn path, writing its segments into one buffer rather than one string each.
    pub fn resolve_path(&self, path: &syn::Path) -> ResolvedPath {
        use std::fmt::Write;
        let mut buf = String::with_capacity(48);
        let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(path.segments.len());
        for seg in &path.segments {
            let start = buf.len();
            let _ = write!(buf, "{}", seg.ident);
            bounds.push((start, buf.len()));
        }
        let segs: Vec<&str> = bounds.iter().map(|&(a, b)| &buf[a..b]).collect();
        self.resolve_segments(&segs, path.leading_colon.is_some())
    }

    pub fn resolve_segments<S: AsRef<str>>(&self, segments: &[S], global: bool) -> ResolvedPath {
        let segs: Vec<&str> = segments.iter().map(|s| s.as_ref()).collect();
        if segs.is_empty() {
            return ResolvedPath {
                path: String::new(),
                alternatives: vec![],
                local: false,
            };
        }
        if global {
            let path = self.apply_rename(&segs);
            return ResolvedPath {
                path,
                alternatives: vec![],
                local: false,
            };
        }
        self.resolve_depth(&segs, 0)
    }

    fn apply_rename(&self, segs: &[&str]) -> String {
        let first = self.externs.real_name(segs[0]);
        let mut out = first.to_string();
        for s in &segs[1..] {
            out.push_str("::");
            out.push_str(s);
        }
        out
    }

    fn resolve_depth(&self, segs: &[&str], depth: u8) -> ResolvedPath {
        let first = segs[0];
        let rest = &segs[1..];
        let module = self.module_path();
        let local = |path: String| ResolvedPath {
            path,
            alternatives: vec![],
            local: true,
        };
        match first {
            "crate" => return local(segs.join("::")),
            "self" => return local(join_strs(module, rest)),
            "super" => {
                let mut base = module.to_string();
                let mut r = segs;
                while r.first() == Some(&"super") {
                    base = parent_module(&base);
                    r = &r[1..];
                }
                return local(join_strs(&base, r));
            }
            "Self" => {
                if let Some(t) = &self.self_type {
                    let mut all: Vec<&str> = t.split("::").collect();
                    all.extend_from_slice(rest);
                    if depth < 4 && !t.starts_with("Self") {
                        return self.resolve_depth(&all, depth + 1);
                    }
                }
                return local(segs.join("::"));
            }
            _ => {}
        }
        let mut glob_candidates: Vec<&String> = Vec::new();
        for scope in self.visible() {
            if let Some(target) = scope.aliases.get(first) {
                let joined = join_strs(target, rest);
                return self.finish_alias(joined, depth);
            }
            if scope.local_items.contains(first) {
                return local(join_strs(&scope.module_path, segs));
            }
            glob_candidates.extend(scope.globs.iter());
        }
        if self.externs.is_own_lib(first) {
            return local(join_strs("crate", rest));
        }
        if self.externs.is_extern(first) {
            return ResolvedPath {
                path: self.apply_rename(segs),
                alternatives: vec![],
                local: false,
            };
        }
        // Glob imports: a name not declared or imported by name may come from any of them.
        let mut found: Vec<ResolvedPath> = Vec::new();
        for g in glob_candidates {
            // `use super::*` and friends: look the name up in that module if it is in this file.
            if let Some(m) = self.modules.get(g.as_str()) {
                if depth < 4 {
                    if let Some(target) = m.aliases.get(first) {
                        found.push(self.finish_alias(join_strs(target, rest), depth));
                        continue;
                    }
                    if m.local_items.contains(first) {
                        found.push(local(join_strs(&m.module_path, segs)));
                        continue;
                    }
                }
                continue;
            }
            let joined = join_strs(g, segs);
            let is_local = g.starts_with("crate");
            found.push(ResolvedPath {
                path: joined,
                alternatives: vec![],
                local: is_local,
            });
        }
        if let Some(first_found) = found.first().cloned() {
            let mut out = first_found;
            for f in found.into_iter().skip(1) {
                out.alternatives.push(f.path);
                out.local |= f.local;
            }
            return out;
        }
        // Not declared, not imported: a single name may still be the crate's (through a glob
        // of a module in another file, or a macro_use); a longer path starting with an unknown
        // name is an extern-prelude crate the manifest did not tell us about.
        let local = if segs.len() == 1 {
            !is_prelude_or_primitive(first)
        } else {
            first.starts_with(|c: char| c.is_ascii_uppercase())
        };
        ResolvedPath {
            path: segs.join("::"),
            alternatives: vec![],
            local,
        }
    }

    /// An alias target may itself start with a name brought in by another `use`
    /// (`use std::sync; use sync::Mutex;`): resolve it once more.
    fn finish_alias(&self, joined: String, depth: u8) -> ResolvedPath {
        let first = joined.split("::").next().unwrap_or("");
        if first == "crate" {
            return ResolvedPath {
                path: joined,
                alternatives: vec![],
                local: true,
            };
        }
        if self.externs.is_extern(first) || depth >= 4 {
            let segs: Vec<&str> = joined.split("::").collect();
            return ResolvedPath {
                path: self.apply_rename(&segs),
                alternatives: vec![],
                local: false,
            };
        }
        let segs: Vec<&str> = joined.split("::").collect();
        let mut again = self.resolve_depth(&segs, depth + 1);
        // A `use` of a crate we do not know of (not in Cargo.toml): keep it as written, external.
        if again.path == joined && !again.path.starts_with("crate") {
            again.local = false;
        }
        again
    }
}

fn join_strs(base: &str, rest: &[&str]) -> String {
    let mut out = base.to_string();
    for s in rest {
        out.push_str("::");
        out.push_str(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(src: &str, deps: &[&str]) -> Resolver {
        let file: syn::File = syn::parse_str(src).unwrap();
        let externs = Arc::new(ExternNames {
            crates: deps.iter().map(|s| s.to_string()).collect(),
            renames: HashMap::default(),
            own_lib: Some("svc_app".to_string()),
        });
        let scope = ImportScope::collect(&file.items, "crate::svc", &externs);
        let mut r = Resolver::new(externs);
        r.push_module(scope);
        r
    }

    fn resolve(r: &Resolver, path: &str) -> ResolvedPath {
        let segs: Vec<&str> = path.split("::").collect();
        r.resolve_segments(&segs, false)
    }

    #[test]
    fn aliased_module_import() {
        let r = resolver("use std::fs as disk;", &[]);
        assert_eq!(resolve(&r, "disk::write").path, "std::fs::write");
        assert!(!resolve(&r, "disk::write").local);
    }

    #[test]
    fn own_library_named_by_its_binaries_is_this_crate() {
        let r = resolver("use svc_app::server::run;", &[]);
        let got = resolve(&r, "run");
        assert_eq!(got.path, "crate::server::run");
        assert!(got.local);
        let got = resolve(&r, "svc_app::db::open");
        assert_eq!(got.path, "crate::db::open");
        assert!(got.local);
    }

    #[test]
    fn glob_import_resolves_single_names() {
        let r = resolver("use std::fs::*;", &[]);
        assert_eq!(resolve(&r, "write").path, "std::fs::write");
    }

    #[test]
    fn local_fn_shadows_glob_import() {
        let r = resolver("use std::fs::*; fn write(_: &str) {}", &[]);
        let got = resolve(&r, "write");
        assert_eq!(got.path, "crate::svc::write");
        assert!(got.local);
    }

    #[test]
    fn groups_self_and_renames() {
        let r = resolver(
            "use tokio::{fs::{self, File as F}, sync::Mutex}; use crate::state::SessionTable;",
            &["tokio"],
        );
        assert_eq!(resolve(&r, "fs::write").path, "tokio::fs::write");
        assert_eq!(resolve(&r, "F::create").path, "tokio::fs::File::create");
        assert_eq!(resolve(&r, "Mutex::new").path, "tokio::sync::Mutex::new");
        let alias = resolve(&r, "SessionTable");
        assert_eq!(alias.path, "crate::state::SessionTable");
        assert!(alias.local);
    }

    #[test]
    fn self_and_super_are_module_relative() {
        let r = resolver("use super::jobs::run;", &[]);
        assert_eq!(resolve(&r, "run").path, "crate::jobs::run");
        assert_eq!(resolve(&r, "self::helper").path, "crate::svc::helper");
        assert_eq!(resolve(&r, "super::x").path, "crate::x");
    }

    #[test]
    fn unknown_names_stay_as_written() {
        let r = resolver("", &["axum"]);
        assert_eq!(resolve(&r, "axum::routing::get").path, "axum::routing::get");
        assert!(!resolve(&r, "axum::routing::get").local);
        assert!(resolve(&r, "helper").local);
        assert!(!resolve(&r, "Vec").local);
    }

    #[test]
    fn renamed_dependency() {
        let file: syn::File = syn::parse_str("use sess::MemoryStore;").unwrap();
        let externs = Arc::new(ExternNames {
            crates: ["sess".to_string()].into_iter().collect(),
            renames: [("sess".to_string(), "tower_sessions".to_string())]
                .into_iter()
                .collect(),
            own_lib: None,
        });
        let scope = ImportScope::collect(&file.items, "crate", &externs);
        let mut r = Resolver::new(externs);
        r.push_module(scope);
        assert_eq!(
            resolve(&r, "MemoryStore::default").path,
            "tower_sessions::MemoryStore::default"
        );
        assert_eq!(
            resolve(&r, "sess::MemoryStore").path,
            "tower_sessions::MemoryStore"
        );
    }

    #[test]
    fn use_of_a_name_brought_by_another_use() {
        let r = resolver("use std::sync; use sync::Mutex;", &[]);
        assert_eq!(resolve(&r, "Mutex::new").path, "std::sync::Mutex::new");
    }
}
