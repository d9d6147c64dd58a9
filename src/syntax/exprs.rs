//! Small questions about expressions and patterns that several node kinds ask.

use std::collections::HashMap;

use syn::{Expr, Pat};

use super::imports::Resolver;
use super::types::{Ty, generic_args};

/// Removes wrappers that do not change what is called: `(e)`, `e.await`, `e?`, `&e`, groups.
pub fn strip(mut e: &Expr) -> &Expr {
    loop {
        e = match e {
            Expr::Paren(p) => &p.expr,
            Expr::Await(a) => &a.base,
            Expr::Try(t) => &t.expr,
            Expr::Reference(r) => &r.expr,
            Expr::Group(g) => &g.expr,
            _ => return e,
        }
    }
}

/// The identifier a pattern binds, looking into `mut x`, `x: T`, `State(x)`, `Data(x)`, `&x`.
pub fn pattern_name(pat: &Pat) -> Option<(String, bool)> {
    match pat {
        Pat::Ident(i) => Some((i.ident.to_string(), i.mutability.is_some())),
        Pat::Type(t) => pattern_name(&t.pat),
        Pat::Reference(r) => pattern_name(&r.pat),
        Pat::TupleStruct(ts) if ts.elems.len() == 1 => pattern_name(&ts.elems[0]),
        Pat::Paren(p) => pattern_name(&p.pat),
        _ => None,
    }
}

/// String values an argument carries: literals, `&"..."`, `"..".to_string()`, a `const` of
/// this file, the literal inside `format!`/`concat!`/`indoc!`, or what a closure returns
/// (`unwrap_or_else(|_| "sqlite://app.db".into())`).
pub fn string_values<S: std::hash::BuildHasher>(
    arg: &Expr,
    consts: &HashMap<String, String, S>,
    out: &mut Vec<String>,
) {
    match strip(arg) {
        Expr::Lit(l) => {
            if let syn::Lit::Str(s) = &l.lit {
                out.push(s.value());
            }
        }
        Expr::Path(p) => {
            if let Some(ident) = p.path.get_ident()
                && let Some(v) = consts.get(&ident.to_string()) {
                    out.push(v.clone());
                }
        }
        Expr::MethodCall(m)
            // "..".to_string(), "..".to_owned(), String::from is a call.
            if m.args.is_empty() => {
                string_values(&m.receiver, consts, out);
            }
        Expr::Call(c) => {
            if let Expr::Path(p) = strip(&c.func) {
                let last = p.path.segments.last().map(|s| s.ident.to_string());
                if matches!(last.as_deref(), Some("from" | "new")) && c.args.len() == 1 {
                    string_values(&c.args[0], consts, out);
                }
            }
        }
        Expr::Closure(c) => string_values(&c.body, consts, out),
        Expr::Macro(m) => {
            let name = m
                .mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if matches!(name.as_str(), "format" | "concat" | "indoc" | "formatdoc") {
                let mut lits = Vec::new();
                super::macros::string_literals(&m.mac.tokens, &mut lits, 0);
                if let Some(first) = lits.into_iter().next() {
                    out.push(first);
                }
            }
        }
        _ => {}
    }
}

/// The type an initialiser evidently builds: `Arc::new(Mutex::new(HashMap::new()))` is an
/// `Arc<Mutex<HashMap>>`, `AppState { .. }` an `AppState`, `HashMap::<K, V>::new()` a
/// `HashMap<K, V>`. Anything less evident is `None`.
pub fn infer_type(e: &Expr, r: &Resolver, depth: u8) -> Option<Ty> {
    if depth > 12 {
        return None;
    }
    match strip(e) {
        Expr::Call(c) => infer_call_type(c, r, depth),
        Expr::Struct(s) => {
            let names: Vec<String> = s
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let resolved = r.resolve_segments(&names, s.path.leading_colon.is_some());
            Some(Ty::named(resolved.path, resolved.local, Vec::new()))
        }
        Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "clone" | "into" | "build") =>
        {
            infer_type(&m.receiver, r, depth + 1)
        }
        // `Mutex::new(0)`: a number, a flag (`0usize` says which number).
        Expr::Lit(l) => {
            let name = match &l.lit {
                syn::Lit::Int(i) if !i.suffix().is_empty() => i.suffix().to_string(),
                syn::Lit::Int(_) => "i32".to_string(),
                syn::Lit::Float(f) if !f.suffix().is_empty() => f.suffix().to_string(),
                syn::Lit::Float(_) => "f64".to_string(),
                syn::Lit::Bool(_) => "bool".to_string(),
                _ => return None,
            };
            Some(Ty::named(name, false, Vec::new()))
        }
        _ => None,
    }
}

/// The type a call to a constructor builds (`Peers::new()`, `HashMap::<K, V>::new()`).
pub fn infer_call_type(c: &syn::ExprCall, r: &Resolver, depth: u8) -> Option<Ty> {
    if depth > 12 {
        return None;
    }
    let Expr::Path(p) = strip(&c.func) else {
        return None;
    };
    let segs = &p.path.segments;
    if segs.len() < 2 {
        return None;
    }
    let ctor = segs.last()?.ident.to_string();
    if !is_constructor(&ctor) {
        return None;
    }
    let ty_seg = &segs[segs.len() - 2];
    let names: Vec<String> = segs
        .iter()
        .take(segs.len() - 1)
        .map(|s| s.ident.to_string())
        .collect();
    let resolved = r.resolve_segments(&names, p.path.leading_colon.is_some());
    let mut args = generic_args(&ty_seg.arguments, r);
    if args.is_empty()
        && let Some(first) = c.args.first()
        && let Some(inner) = infer_type(first, r, depth + 1)
    {
        args.push(inner);
    }
    Some(Ty::named(resolved.path, resolved.local, args))
}

fn is_constructor(name: &str) -> bool {
    matches!(
        name,
        "new"
            | "default"
            | "from"
            | "with_capacity"
            | "with_hasher"
            | "with_capacity_and_hasher"
            | "with_shard_amount"
            | "unbounded"
            | "bounded"
            | "builder"
            | "new_with"
    )
}

/// `Err(..)`: the value a fn returns when it fails.
pub fn is_err_value(e: &Expr) -> bool {
    let Expr::Call(c) = strip(e) else {
        return false;
    };
    matches!(strip(&c.func), Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Err"))
}

/// Is the name a `static` or `const` by Rust's naming convention (SCREAMING_CASE, more than
/// one character)?
pub fn is_static_name(name: &str) -> bool {
    name.len() > 1
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Is the value content the program is built with: a `const`/`static` item (SCREAMING_CASE)
/// or `include_str!`/`include_bytes!`, or one of these converted (`TEMPLATE.as_bytes()`,
/// `&LOGO`)? An inline literal (`"1"`, `"{}"`) is a marker or a reset, not an asset.
pub fn is_constant(e: &Expr) -> bool {
    match strip_conversions(e) {
        Expr::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| is_static_name(&s.ident.to_string())),
        Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "include_str" | "include_bytes"
            )
        }),
        _ => false,
    }
}

/// Map methods whose first argument is the key an entry is stored or looked up under.
pub const KEYED_METHODS: &[&str] = &[
    "insert",
    "get",
    "get_mut",
    "remove",
    "entry",
    "contains_key",
    "try_insert",
    "remove_entry",
    "get_or_insert_with",
    "put",
];

/// What a keyed method is called on: a field of `self` or a static.
#[derive(Debug, PartialEq)]
pub enum IndexedState {
    SelfField(String),
    Static(String),
}

impl IndexedState {
    pub fn name(&self) -> &str {
        match self {
            IndexedState::SelfField(n) | IndexedState::Static(n) => n,
        }
    }
}

/// The field of `self` or static a keyed method is called on, looking through locks and
/// guards: `self.sessions.lock().unwrap()` is `sessions`, `TOKENS.write().await` is `TOKENS`.
/// A field of another value (`other.map`) is not known to belong to any struct.
pub fn indexed_state(mut e: &Expr) -> Option<IndexedState> {
    const GUARDS: &[&str] = &[
        "lock",
        "read",
        "write",
        "borrow",
        "borrow_mut",
        "unwrap",
        "expect",
        "lock_owned",
        "write_owned",
        "read_owned",
        "as_mut",
        "as_ref",
        "get_mut",
    ];
    for _ in 0..8 {
        match strip(e) {
            Expr::MethodCall(m) if GUARDS.contains(&m.method.to_string().as_str()) => {
                e = &m.receiver;
            }
            Expr::Field(f) => {
                let on_self = matches!(strip(&f.base), Expr::Path(p) if p.path.is_ident("self"));
                return match &f.member {
                    syn::Member::Named(i) if on_self => {
                        Some(IndexedState::SelfField(i.to_string()))
                    }
                    _ => None,
                };
            }
            Expr::Path(p) => {
                let name = p.path.get_ident()?.to_string();
                let screaming = name.len() > 1
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                return screaming.then_some(IndexedState::Static(name));
            }
            _ => return None,
        }
    }
    None
}

/// Types whose values say nothing of what they identify (primitives, strings, ids, byte and
/// pointer wrappers): the variable's name does.
pub fn is_plain_key_type(name: &str) -> bool {
    super::imports::is_prelude_or_primitive(name)
        || matches!(name, "Uuid" | "Bytes" | "Cow" | "Arc" | "Rc")
}

/// Removes conversions that keep the key's meaning (`.clone()`, `.to_string()`, `&`, `*`).
pub fn strip_conversions(mut e: &Expr) -> &Expr {
    for _ in 0..8 {
        match strip(e) {
            Expr::MethodCall(m) if KEY_CONVERSIONS.contains(&m.method.to_string().as_str()) => {
                e = &m.receiver;
            }
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
            other => return other,
        }
    }
    e
}

const KEY_CONVERSIONS: &[&str] = &[
    "clone",
    "to_string",
    "to_owned",
    "as_str",
    "as_ref",
    "into",
    "as_bytes",
    "borrow",
    "to_vec",
];

/// The name of the value an entry is keyed with: `res.token` and `&challenge.token` are
/// `token`, `session_id.clone()` is `session_id`, `id.to_string()` is `id`.
pub fn key_name(e: &Expr) -> Option<String> {
    match strip_conversions(e) {
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Does a loop body end its loop with a result: a `return`, or a `break` with a value aimed at
/// this loop? That is how a retry or a poll finishes (`Ok(conn) => break conn`); a loop that
/// only stops with the program, or on a plain `break` when told to shut down, has neither.
/// Closures, async blocks and nested items are other code and are not looked into.
pub fn leaves_loop_with_result(body: &syn::Block, label: Option<&syn::Label>) -> bool {
    struct Exits<'l> {
        label: Option<&'l syn::Lifetime>,
        inner_loops: u32,
        found: bool,
    }
    impl Exits<'_> {
        fn inner(&mut self, f: impl FnOnce(&mut Self)) {
            self.inner_loops += 1;
            f(self);
            self.inner_loops -= 1;
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Exits<'_> {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.found = true;
        }
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            let ours = match &b.label {
                Some(l) => self.label.is_some_and(|own| own.ident == l.ident),
                None => self.inner_loops == 0,
            };
            if ours && b.expr.is_some() {
                self.found = true;
            }
            syn::visit::visit_expr_break(self, b);
        }
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.inner(|s| syn::visit::visit_expr_loop(s, l));
        }
        fn visit_expr_while(&mut self, l: &'ast syn::ExprWhile) {
            self.inner(|s| syn::visit::visit_expr_while(s, l));
        }
        fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
            self.inner(|s| syn::visit::visit_expr_for_loop(s, l));
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut exits = Exits {
        label: label.map(|l| &l.name),
        inner_loops: 0,
        found: false,
    };
    syn::visit::Visit::visit_block(&mut exits, body);
    exits.found
}

/// Does a loop's condition or iterator wait for what comes next (`.await`, `recv()`,
/// `next()`, `accept()`, `incoming()`, a receiver iterated)? Such a loop runs as long as its
/// source does, not over a collection.
pub fn awaits_or_receives(e: &Expr) -> bool {
    const WAITS: &[&str] = &[
        "recv",
        "recv_async",
        "next",
        "accept",
        "incoming",
        "try_next",
        "read_message",
        "receive",
        "select_next_some",
        "tick",
    ];
    fn walk(e: &Expr, depth: u8) -> bool {
        if depth > 6 {
            return false;
        }
        match e {
            Expr::Await(_) => true,
            Expr::MethodCall(m) => {
                WAITS.contains(&m.method.to_string().as_str()) || walk(&m.receiver, depth + 1)
            }
            Expr::Let(l) => walk(&l.expr, depth + 1),
            Expr::Paren(p) => walk(&p.expr, depth + 1),
            Expr::Try(t) => walk(&t.expr, depth + 1),
            Expr::Lit(l) => matches!(&l.lit, syn::Lit::Bool(b) if b.value),
            _ => false,
        }
    }
    walk(e, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::imports::{ExternNames, ImportScope};
    use std::sync::Arc;

    #[test]
    fn infers_nested_constructors() {
        let file: syn::File = syn::parse_str("use std::sync::{Arc, Mutex};").unwrap();
        let externs = Arc::new(ExternNames::default());
        let mut r = Resolver::new(externs.clone());
        r.push_module(ImportScope::collect(&file.items, "crate", &externs));
        let e: Expr =
            syn::parse_str("Arc::new(Mutex::new(HashMap::<String, Session>::new()))").unwrap();
        let t = infer_type(&e, &r, 0).unwrap();
        assert_eq!(t.rendered(false), "Arc<Mutex<HashMap<String,Session>>>");
        let e: Expr = syn::parse_str("AppState { db }").unwrap();
        assert_eq!(infer_type(&e, &r, 0).unwrap().rendered(false), "AppState");
        let e: Expr = syn::parse_str("compute()").unwrap();
        assert!(infer_type(&e, &r, 0).is_none());
    }

    #[test]
    fn string_values_follow_consts_and_format() {
        let consts: HashMap<String, String> =
            [("SQL".to_string(), "INSERT INTO t".to_string())].into();
        let mut out = Vec::new();
        for src in [
            "\"a\"",
            "&\"b\"",
            "SQL",
            "format!(\"c {}\", x)",
            "\"d\".to_string()",
            "String::from(\"e\")",
        ] {
            string_values(&syn::parse_str(src).unwrap(), &consts, &mut out);
        }
        assert_eq!(out, ["a", "b", "INSERT INTO t", "c {}", "d", "e"]);
    }

    #[test]
    fn keyed_state_and_key_names() {
        let call = |src: &str| -> (Option<String>, Option<String>) {
            let Expr::MethodCall(m) = syn::parse_str::<Expr>(src).unwrap() else {
                panic!("not a method call: {src}")
            };
            (
                indexed_state(&m.receiver).map(|s| s.name().to_string()),
                m.args.first().and_then(key_name),
            )
        };
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            call("self.result_map.insert(res.token, res.key)"),
            (some("result_map"), some("token"))
        );
        assert_eq!(
            call("self.sessions.lock().unwrap().remove(&check.session_id.clone())"),
            (some("sessions"), some("session_id"))
        );
        assert_eq!(
            call("TOKENS.write().await.get(token.as_str())"),
            (some("TOKENS"), some("token"))
        );
        // A local is not state, nor a field of another value.
        assert_eq!(call("map.insert(token, 1)").0, None);
        assert_eq!(call("other.map.insert(token, 1)").0, None);
        assert_eq!(call("self.users.get(&compute(id))").1, None);
    }

    fn loop_body(src: &str) -> (syn::Block, Option<syn::Label>) {
        match syn::parse_str::<syn::Expr>(src).unwrap() {
            syn::Expr::Loop(l) => (l.body, l.label),
            syn::Expr::While(w) => (w.body, w.label),
            _ => panic!("not a loop: {src}"),
        }
    }

    #[test]
    fn loops_ending_with_a_result_are_retries_or_polls() {
        let ends = |src: &str| {
            let (body, label) = loop_body(src);
            leaves_loop_with_result(&body, label.as_ref())
        };
        assert!(ends(
            "loop { if let Ok(c) = connect() { return c; } sleep(d); }"
        ));
        assert!(ends(
            "loop { match poll() { Some(v) => break v, None => {} } sleep(d); }"
        ));
        assert!(ends(
            "'outer: loop { for x in xs { if x { break 'outer 5; } } sleep(d); }"
        ));
        // A plain break (shutdown), a break of an inner loop, a return inside a closure.
        assert!(!ends("loop { if stop() { break; } tick(); work(); }"));
        assert!(!ends("loop { loop { break 1; } tick(); }"));
        assert!(!ends(
            "loop { let f = || { return 1; }; spawn(async { return 2; }); tick(); }"
        ));
        assert!(!ends("while running() { tick(); work()?; }"));
    }
}
