//! A small, owned model of Rust types that survives after the syntax tree is dropped.
//!
//! Rules match types with globs on a rendering of this model (`Arc<RwLock<HashMap<Uuid,User>>>`),
//! can look through wrappers (`Arc`, `Mutex`, `Lazy`, ...) and can expand the crate's `type`
//! aliases, which may live in another file and are therefore only known after every file of the
//! crate has been read.

use std::collections::HashMap;

use super::imports::Resolver;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Path(Box<TyPath>),
    /// `&T`, `&mut T`, `*const T`.
    Ref(Box<Ty>),
    Tuple(Vec<Ty>),
    /// `[T]` and `[T; N]`.
    Slice(Box<Ty>),
    /// `dyn A + B` and `impl A + B`.
    Dyn(Vec<TyPath>),
    Fn,
    Infer,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TyPath {
    /// Import-resolved path: `std::sync::Mutex`, `crate::state::SessionTable`.
    pub full: String,
    /// The last segment: `Mutex`.
    pub name: String,
    /// Generic type arguments of the last segment.
    pub args: Vec<Ty>,
    /// The path may name a type of this crate (so a crate `type` alias may apply).
    pub local: bool,
}

/// A crate `type` alias: `type Db<T> = Arc<RwLock<HashMap<u64, T>>>;`.
#[derive(Clone, Debug)]
pub struct AliasDef {
    pub params: Vec<String>,
    pub ty: Ty,
}

impl Ty {
    pub fn from_syn(ty: &syn::Type, r: &Resolver) -> Ty {
        match ty {
            syn::Type::Path(tp) => {
                if tp.qself.is_some() {
                    return Ty::Other;
                }
                match path_to_typath(&tp.path, r) {
                    Some(p) => Ty::Path(Box::new(p)),
                    None => Ty::Other,
                }
            }
            syn::Type::Reference(rf) => Ty::Ref(Box::new(Ty::from_syn(&rf.elem, r))),
            syn::Type::Ptr(p) => Ty::Ref(Box::new(Ty::from_syn(&p.elem, r))),
            syn::Type::Tuple(t) => Ty::Tuple(t.elems.iter().map(|e| Ty::from_syn(e, r)).collect()),
            syn::Type::Slice(s) => Ty::Slice(Box::new(Ty::from_syn(&s.elem, r))),
            syn::Type::Array(a) => Ty::Slice(Box::new(Ty::from_syn(&a.elem, r))),
            syn::Type::TraitObject(t) => Ty::Dyn(bounds(&t.bounds, r)),
            syn::Type::ImplTrait(t) => Ty::Dyn(bounds(&t.bounds, r)),
            syn::Type::BareFn(_) => Ty::Fn,
            syn::Type::Paren(p) => Ty::from_syn(&p.elem, r),
            syn::Type::Group(g) => Ty::from_syn(&g.elem, r),
            syn::Type::Infer(_) => Ty::Infer,
            _ => Ty::Other,
        }
    }

    /// A type named by a path with explicit arguments (used when inferring from expressions).
    pub fn named(full: String, local: bool, args: Vec<Ty>) -> Ty {
        let name = full.rsplit("::").next().unwrap_or(&full).to_string();
        Ty::Path(Box::new(TyPath {
            full,
            name,
            args,
            local,
        }))
    }

    /// Renders without spaces; `full` uses resolved paths, otherwise last segments only.
    pub fn render(&self, full: bool, out: &mut String) {
        match self {
            Ty::Path(p) => p.render(full, out),
            Ty::Ref(inner) => {
                out.push('&');
                inner.render(full, out);
            }
            Ty::Tuple(items) => {
                out.push('(');
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    t.render(full, out);
                }
                out.push(')');
            }
            Ty::Slice(inner) => {
                out.push('[');
                inner.render(full, out);
                out.push(']');
            }
            Ty::Dyn(bounds) => {
                out.push_str("dyn ");
                for (i, b) in bounds.iter().enumerate() {
                    if i > 0 {
                        out.push('+');
                    }
                    b.render(full, out);
                }
            }
            Ty::Fn => out.push_str("fn"),
            Ty::Infer => out.push('_'),
            Ty::Other => out.push('?'),
        }
    }

    pub fn rendered(&self, full: bool) -> String {
        let mut s = String::new();
        self.render(full, &mut s);
        s
    }

    /// The type itself, then what each wrapper in `wrappers` holds: `Arc<Mutex<Map>>` yields
    /// `Arc<Mutex<Map>>`, `Mutex<Map>`, `Map`. References are looked through as well.
    pub fn look_through<'a>(&'a self, is_wrapper: &dyn Fn(&str) -> bool) -> Vec<&'a Ty> {
        let mut out = vec![self];
        let mut cur = self;
        for _ in 0..16 {
            let next = match cur {
                Ty::Ref(inner) => Some(&**inner),
                Ty::Path(p) if is_wrapper(&p.name) => p.args.first(),
                _ => None,
            };
            match next {
                Some(n) => {
                    out.push(n);
                    cur = n;
                }
                None => break,
            }
        }
        out
    }

    /// Does `f` hold for some path in the type (at any depth)?
    pub fn any_path(&self, f: &mut dyn FnMut(&TyPath) -> bool) -> bool {
        match self {
            Ty::Path(p) => f(p) || p.args.iter().any(|a| a.any_path(f)),
            Ty::Ref(i) | Ty::Slice(i) => i.any_path(f),
            Ty::Tuple(items) => items.iter().any(|t| t.any_path(f)),
            Ty::Dyn(b) => b
                .iter()
                .any(|p| f(p) || p.args.iter().any(|a| a.any_path(f))),
            _ => false,
        }
    }

    /// True when some crate-local path in the type is named like one of the crate's `type`
    /// aliases (so matching must wait until the alias definitions are known).
    pub fn mentions_alias(&self, alias_names: &std::collections::HashSet<String>) -> bool {
        if alias_names.is_empty() {
            return false;
        }
        match self {
            Ty::Path(p) => {
                (p.local && alias_names.contains(&p.name))
                    || p.args.iter().any(|a| a.mentions_alias(alias_names))
            }
            Ty::Ref(i) | Ty::Slice(i) => i.mentions_alias(alias_names),
            Ty::Tuple(items) => items.iter().any(|t| t.mentions_alias(alias_names)),
            Ty::Dyn(b) => b
                .iter()
                .any(|p| p.args.iter().any(|a| a.mentions_alias(alias_names))),
            _ => false,
        }
    }

    /// Replaces crate-local names that are `type` aliases by their definitions (substituting
    /// generic parameters), up to a fixed depth so alias cycles terminate.
    pub fn expand_aliases(&self, aliases: &HashMap<String, AliasDef>, depth: u8) -> Ty {
        if depth > 8 || aliases.is_empty() {
            return self.clone();
        }
        match self {
            Ty::Path(p) => {
                let args: Vec<Ty> = p
                    .args
                    .iter()
                    .map(|a| a.expand_aliases(aliases, depth))
                    .collect();
                if p.local
                    && let Some(def) = aliases.get(&p.name)
                {
                    let subst: HashMap<&str, &Ty> = def
                        .params
                        .iter()
                        .map(String::as_str)
                        .zip(args.iter())
                        .collect();
                    return def.ty.substitute(&subst).expand_aliases(aliases, depth + 1);
                }
                Ty::Path(Box::new(TyPath {
                    args,
                    ..(**p).clone()
                }))
            }
            Ty::Ref(i) => Ty::Ref(Box::new(i.expand_aliases(aliases, depth))),
            Ty::Slice(i) => Ty::Slice(Box::new(i.expand_aliases(aliases, depth))),
            Ty::Tuple(items) => Ty::Tuple(
                items
                    .iter()
                    .map(|t| t.expand_aliases(aliases, depth))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn substitute(&self, subst: &HashMap<&str, &Ty>) -> Ty {
        if subst.is_empty() {
            return self.clone();
        }
        match self {
            Ty::Path(p) => {
                if p.args.is_empty()
                    && p.full == p.name
                    && let Some(t) = subst.get(p.name.as_str())
                {
                    return (*t).clone();
                }
                let args = p.args.iter().map(|a| a.substitute(subst)).collect();
                Ty::Path(Box::new(TyPath {
                    args,
                    ..(**p).clone()
                }))
            }
            Ty::Ref(i) => Ty::Ref(Box::new(i.substitute(subst))),
            Ty::Slice(i) => Ty::Slice(Box::new(i.substitute(subst))),
            Ty::Tuple(items) => Ty::Tuple(items.iter().map(|t| t.substitute(subst)).collect()),
            other => other.clone(),
        }
    }

    /// Local type names mentioned anywhere in the type (for app-state reachability).
    pub fn local_names(&self, out: &mut Vec<String>) {
        match self {
            Ty::Path(p) => {
                if p.local {
                    out.push(p.name.clone());
                }
                for a in &p.args {
                    a.local_names(out);
                }
            }
            Ty::Ref(i) | Ty::Slice(i) => i.local_names(out),
            Ty::Tuple(items) => items.iter().for_each(|t| t.local_names(out)),
            _ => {}
        }
    }
}

/// The names in a type (last segments and resolved paths), plus the words of the crate aliases
/// it names: what type patterns' words are looked for in before anything is rendered.
pub struct TypeWords<'t> {
    pub names: Vec<&'t str>,
    pub fulls: Vec<&'t str>,
    /// Words of the definitions of crate aliases the type names (empty: it names none).
    pub alias: Vec<&'t str>,
}

impl<'t> TypeWords<'t> {
    pub fn of(
        ty: &'t Ty,
        aliases: &'t std::collections::HashMap<String, Vec<String>>,
    ) -> TypeWords<'t> {
        let mut w = TypeWords {
            names: Vec::new(),
            fulls: Vec::new(),
            alias: Vec::new(),
        };
        ty.collect_words(&mut w, aliases);
        w
    }
}

impl Ty {
    fn collect_words<'t>(
        &'t self,
        w: &mut TypeWords<'t>,
        aliases: &'t std::collections::HashMap<String, Vec<String>>,
    ) {
        let path = |p: &'t TyPath, w: &mut TypeWords<'t>| {
            w.names.push(&p.name);
            w.fulls.push(&p.full);
            if p.local
                && let Some(words) = aliases.get(&p.name)
            {
                w.alias.extend(words.iter().map(String::as_str));
            }
        };
        match self {
            Ty::Path(p) => {
                path(p, w);
                p.args.iter().for_each(|a| a.collect_words(w, aliases));
            }
            Ty::Ref(i) | Ty::Slice(i) => i.collect_words(w, aliases),
            Ty::Tuple(items) => items.iter().for_each(|t| t.collect_words(w, aliases)),
            Ty::Dyn(b) => {
                for p in b {
                    path(p, w);
                    p.args.iter().for_each(|a| a.collect_words(w, aliases));
                }
            }
            _ => {}
        }
    }
}

/// A type rendered once for every glob that will test it: the type and what its wrappers
/// hold, each as last-segment names (`Mutex<HashMap<K,V>>`) and as resolved paths.
pub struct RenderedTy {
    pub short: Vec<String>,
    pub full: Vec<String>,
}

impl RenderedTy {
    pub fn new(ty: &Ty, is_wrapper: &dyn Fn(&str) -> bool) -> RenderedTy {
        let layers = ty.look_through(is_wrapper);
        RenderedTy {
            short: layers.iter().map(|t| t.rendered(false)).collect(),
            full: layers.iter().map(|t| t.rendered(true)).collect(),
        }
    }
}

impl TyPath {
    fn render(&self, full: bool, out: &mut String) {
        out.push_str(if full { &self.full } else { &self.name });
        if !self.args.is_empty() {
            out.push('<');
            for (i, a) in self.args.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                a.render(full, out);
            }
            out.push('>');
        }
    }
}

fn bounds(
    b: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
    r: &Resolver,
) -> Vec<TyPath> {
    b.iter()
        .filter_map(|b| match b {
            syn::TypeParamBound::Trait(t) => path_to_typath(&t.path, r),
            _ => None,
        })
        .collect()
}

/// Resolves a type path and keeps the generic arguments of its last segment.
pub fn path_to_typath(path: &syn::Path, r: &Resolver) -> Option<TyPath> {
    let last = path.segments.last()?;
    let resolved = r.resolve_path(path);
    let args = generic_args(&last.arguments, r);
    Some(TyPath {
        full: resolved.path,
        name: last.ident.to_string(),
        args,
        local: resolved.local,
    })
}

pub fn generic_args(args: &syn::PathArguments, r: &Resolver) -> Vec<Ty> {
    match args {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(Ty::from_syn(t, r)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::imports::{ExternNames, ImportScope};
    use std::sync::Arc;

    fn ty(src: &str, uses: &str) -> Ty {
        let file: syn::File = syn::parse_str(uses).unwrap();
        let externs = Arc::new(ExternNames::default());
        let mut r = Resolver::new(externs.clone());
        r.push_module(ImportScope::collect(&file.items, "crate", &externs));
        Ty::from_syn(&syn::parse_str(src).unwrap(), &r)
    }

    #[test]
    fn renders_short_and_full() {
        let t = ty(
            "Arc<RwLock<HashMap<Uuid, User>>>",
            "use std::sync::{Arc, RwLock};",
        );
        assert_eq!(t.rendered(false), "Arc<RwLock<HashMap<Uuid,User>>>");
        assert_eq!(
            t.rendered(true),
            "std::sync::Arc<std::sync::RwLock<HashMap<Uuid,User>>>"
        );
    }

    #[test]
    fn looks_through_wrappers() {
        let t = ty("&'static Lazy<Mutex<Vec<u8>>>", "");
        let wrappers = |n: &str| matches!(n, "Lazy" | "Mutex");
        let seen: Vec<String> = t
            .look_through(&wrappers)
            .iter()
            .map(|t| t.rendered(false))
            .collect();
        assert_eq!(
            seen,
            [
                "&Lazy<Mutex<Vec<u8>>>",
                "Lazy<Mutex<Vec<u8>>>",
                "Mutex<Vec<u8>>",
                "Vec<u8>"
            ]
        );
    }

    #[test]
    fn expands_generic_aliases() {
        let mut aliases = HashMap::new();
        aliases.insert(
            "Db".to_string(),
            AliasDef {
                params: vec!["T".into()],
                ty: ty("Arc<RwLock<HashMap<u64, T>>>", ""),
            },
        );
        let t = ty("Db<Todo>", "").expand_aliases(&aliases, 0);
        assert_eq!(t.rendered(false), "Arc<RwLock<HashMap<u64,Todo>>>");
    }

    #[test]
    fn alias_cycles_terminate() {
        let mut aliases = HashMap::new();
        aliases.insert(
            "A".to_string(),
            AliasDef {
                params: vec![],
                ty: ty("Vec<A>", ""),
            },
        );
        let t = ty("A", "").expand_aliases(&aliases, 0);
        assert!(t.rendered(false).starts_with("Vec<Vec<"));
    }
}
