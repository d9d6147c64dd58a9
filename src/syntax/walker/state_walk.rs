//! The walker's part of the state model: it records declarations that may hold state,
//! registrations of application state, constructions of the crate's types, values handed to
//! spawned tasks, and mutation sites with the place each changes (see `syntax::state`). The
//! crate phase (`engine::state`) decides which of them are long-lived and reported.

use std::ops::Range;

use syn::spanned::Spanned;
use syn::{Expr, ExprMethodCall};

use crate::syntax::exprs::{self, infer_type, strip};
use crate::syntax::state::{
    self, Construction, DeclSite, Extracted, FieldDecl, LetDecl, Mutation, Place, Registration,
    Root, SelfKind, Spawned, StaticDecl,
};
use crate::syntax::types::Ty;

use super::{Walker, byte_range};

/// A local of the fn being walked, as the state model sees it.
#[derive(Clone)]
pub(super) struct LocalVal {
    /// Declared or evident type.
    pub ty: Option<Ty>,
    /// Bound to a place (`let mut guard = self.peers.lock().await;`, `let map = &mut x.map;`).
    pub alias: Option<Place>,
    pub decl: LetRef,
}

#[derive(Clone)]
pub(super) enum LetRef {
    /// A `let` not recorded yet: where it is, for when something refers to it.
    Pending {
        range: Range<usize>,
        /// `let pattern`, shown when the statement spans lines.
        narrow: Range<usize>,
        scope: u32,
        loop_depth: u16,
        long_loop_depth: u16,
    },
    /// Recorded as `lets[i]`.
    Recorded(u32, u16),
    Param,
}

/// How deep a walk into a place expression goes (`a.b.c.lock().unwrap().d`).
const MAX_PLACE_STEPS: usize = 24;

impl Walker<'_> {
    /// A parameter of the fn being walked.
    pub(super) fn state_bind_param(&mut self, name: &str, ty: &Ty) {
        self.state_locals.insert(
            name.to_string(),
            LocalVal {
                ty: Some(ty.clone()),
                alias: None,
                decl: LetRef::Param,
            },
        );
    }

    /// A `let`: what the model may later need of it (its type, or the place it aliases).
    pub(super) fn state_bind_let(&mut self, l: &syn::Local, name: &str, ty: Option<&Ty>) {
        let alias = l.init.as_ref().and_then(|i| self.alias_of(&i.expr));
        let range = byte_range(l.let_token.span).start..byte_range(l.semi_token.span).end;
        let narrow = range.start..byte_range(l.pat.span()).end;
        // A value made to be shared (`let db = Arc::new(Mutex::new(HashMap::new()))`): if this
        // is start-up code, what its clones change elsewhere is state.
        let shared = alias.is_none()
            && matches!(ty, Some(Ty::Path(p)) if matches!(p.name.as_str(), "Arc" | "Rc") && !p.args.is_empty());
        // A value of the crate's own type (`let mut torrents = TorrentMaps::default();`): if
        // this is a task's body, the task owns it.
        let crate_type = alias.is_none() && matches!(ty, Some(Ty::Path(p)) if p.local);
        self.state_locals.insert(
            name.to_string(),
            LocalVal {
                ty: ty.cloned(),
                alias,
                decl: LetRef::Pending {
                    range,
                    narrow,
                    scope: self.current_scope(),
                    loop_depth: self.loop_depth,
                    long_loop_depth: self.long_loop_depth,
                },
            },
        );
        if shared || crate_type {
            self.record_let(name);
        }
    }

    /// `match self.map.write() { Ok(mut guard) => .. }`, `if let Some(entry) = self.map.get(k)`:
    /// the pattern's one binding is access to the scrutinee's place.
    pub(super) fn state_bind_pattern(&mut self, pat: &syn::Pat, scrutinee: &Expr) {
        let Some((name, _)) = exprs::pattern_name(pat) else {
            return;
        };
        let Some(place) = self.place_of(scrutinee) else {
            self.state_locals.remove(&name);
            return;
        };
        self.state_locals.insert(
            name,
            LocalVal {
                ty: None,
                alias: Some(place),
                decl: LetRef::Param,
            },
        );
    }

    /// The place a `let` initializer hands out access to: a guard, a reference, a handle
    /// cloned from a place (`state.clone()`), but not a copy of a field's data.
    fn alias_of(&mut self, init: &Expr) -> Option<Place> {
        let e = match init {
            Expr::Reference(r) => &*r.expr,
            other => other,
        };
        let is_access = match strip(e) {
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                state::is_guard(&name) || name == "clone"
            }
            Expr::Unary(_) | Expr::Field(_) | Expr::Index(_) | Expr::Path(_) => true,
            Expr::Call(c) => is_handle_clone(c),
            _ => false,
        };
        if !is_access {
            return None;
        }
        let mut place = self.place_of(e)?;
        // `let items = self.items.clone();` copies data unless the field shares its value
        // (an `Arc`): the crate phase decides by the field's type.
        if matches!(strip(e), Expr::MethodCall(m) if m.method == "clone")
            && !place.fields.is_empty()
        {
            place.cloned = true;
        }
        Some(place)
    }

    /// The place an expression denotes, looking through locks, guards, derefs, `?`, `.await`
    /// and handle clones: `state.inner.lock().unwrap().peers` is `state` . `inner` . `peers`.
    pub(super) fn place_of(&mut self, e: &Expr) -> Option<Place> {
        let mut fields: Vec<Box<str>> = Vec::new();
        let mut cloned = false;
        let mut guarded = false;
        let mut cur = e;
        for _ in 0..MAX_PLACE_STEPS {
            match cur {
                Expr::Paren(p) => cur = &p.expr,
                Expr::Group(g) => cur = &g.expr,
                Expr::Await(a) => cur = &a.base,
                Expr::Try(t) => cur = &t.expr,
                Expr::Reference(r) => cur = &r.expr,
                Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => cur = &u.expr,
                Expr::Index(i) => cur = &i.expr,
                Expr::MethodCall(m) => {
                    let name = m.method.to_string();
                    if state::is_guard(&name) || name == "clone" {
                        cloned |= name == "clone" && !fields.is_empty();
                        guarded |= state::is_mutable_guard(&name);
                        cur = &m.receiver;
                    } else {
                        return None;
                    }
                }
                Expr::Call(c) if is_handle_clone(c) => cur = c.args.first()?,
                Expr::Field(f) => {
                    let member: Box<str> = match &f.member {
                        syn::Member::Named(i) => i.to_string().into(),
                        syn::Member::Unnamed(i) => i.index.to_string().into(),
                    };
                    fields.push(member);
                    cur = &f.base;
                }
                Expr::Path(p) if p.qself.is_none() => {
                    fields.reverse();
                    let mut place = self.rooted(p, fields)?;
                    place.cloned |= cloned;
                    place.guarded |= guarded;
                    return Some(place);
                }
                _ => return None,
            }
        }
        None
    }

    /// The root of a place named by a path: `self`, a local, a parameter or a static.
    fn rooted(&mut self, p: &syn::ExprPath, mut fields: Vec<Box<str>>) -> Option<Place> {
        if let Some(ident) = p.path.get_ident() {
            let name = ident.to_string();
            if name == "self" {
                return Some(Place {
                    root: Root::SelfOf(self.enclosing_impl_type()?.into()),
                    fields,
                    cloned: false,
                    guarded: false,
                });
            }
            if let Some(local) = self.state_locals.get(&name).cloned() {
                if let Some(mut alias) = local.alias {
                    alias.fields.append(&mut fields);
                    return Some(alias);
                }
                return match local.decl {
                    LetRef::Param => Some(Place {
                        root: Root::Typed(local.ty?),
                        fields,
                        cloned: false,
                        guarded: false,
                    }),
                    _ => {
                        let index = self.record_let(&name)?;
                        Some(Place {
                            root: Root::Let(index),
                            fields,
                            cloned: false,
                            guarded: false,
                        })
                    }
                };
            }
            if !exprs::is_static_name(&name) {
                return None;
            }
        } else if !p
            .path
            .segments
            .last()
            .is_some_and(|s| exprs::is_static_name(&s.ident.to_string()))
        {
            return None;
        }
        let resolved = self.resolve_path(&p.path);
        Some(Place {
            root: Root::Static(resolved.path.into()),
            fields,
            cloned: false,
            guarded: false,
        })
    }

    /// Records a local `let` (once) so a mutation or registration can refer to it.
    fn record_let(&mut self, name: &str) -> Option<u32> {
        let local = self.state_locals.get(name)?.clone();
        match local.decl {
            LetRef::Recorded(i, _) => Some(i),
            LetRef::Param => None,
            LetRef::Pending {
                range,
                narrow,
                scope,
                loop_depth,
                long_loop_depth,
            } => {
                let site = self.decl_site(range, Some(narrow));
                let i = self.facts.state.lets.len() as u32;
                self.facts.state.lets.push(LetDecl {
                    name: name.into(),
                    ty: local.ty.clone(),
                    site,
                    scope,
                    loop_depth,
                });
                if let Some(v) = self.state_locals.get_mut(name) {
                    v.decl = LetRef::Recorded(i, long_loop_depth);
                }
                Some(i)
            }
        }
    }

    /// Where a declaration is; `narrow` is shown instead when the whole spans lines.
    fn decl_site(&self, range: Range<usize>, narrow: Option<Range<usize>>) -> DeclSite {
        let loc = self.location(range, narrow);
        DeclSite {
            loc,
            snippet: self.src.line_text(loc.line).trim().into(),
            item: self.item_path().into(),
        }
    }

    /// Is a mutation of this place worth recording? A `let` of another crate's type counts
    /// only when it is changed in a long-running loop it is declared outside of (a task's
    /// state); `let mut v = Vec::new(); v.push(..)` is a fn building a value.
    fn keeps_mutation(&self, place: &Place) -> bool {
        match &place.root {
            Root::Let(i) => {
                let decl = &self.facts.state.lets[*i as usize];
                let crate_type = decl.ty.as_ref().is_some_and(names_crate_type);
                if crate_type && !place.fields.is_empty() {
                    // `let mut config = Config::default(); config.port = ..`: a value being
                    // built, owned by this fn; shared through an `Arc` it is the same state.
                    return decl.ty.as_ref().is_some_and(is_shared_handle);
                }
                let long_at_decl = self
                    .state_locals
                    .get(decl.name.as_ref())
                    .and_then(|l| match l.decl {
                        LetRef::Recorded(_, d) => Some(d),
                        _ => None,
                    })
                    .unwrap_or(u16::MAX);
                decl.loop_depth == 0 && self.long_loop_depth > long_at_decl
            }
            // A parameter of the crate's own type may be a handle to shared state passed by
            // value (`state: AppState` cloned per connection): the crate phase decides.
            Root::Typed(_) | Root::SelfOf(_) | Root::Static(_) => true,
        }
    }

    fn note_mutation(&mut self, place: Place, op: &str, key: Option<String>, range: Range<usize>) {
        self.note_mutation_as(place, op, key, range, false);
    }

    fn note_mutation_as(
        &mut self,
        place: Place,
        op: &str,
        key: Option<String>,
        range: Range<usize>,
        via_method: bool,
    ) {
        if !self.keeps_mutation(&place) {
            return;
        }
        let loc = self.location(range.clone(), Some(range.start..range.start + 1));
        self.facts.state.mutations.push(Mutation {
            place,
            op: op.into(),
            key: key.map(Into::into),
            scope: self.current_scope(),
            loc,
            loop_depth: self.loop_depth,
            self_kind: self.fn_self,
            in_constructor: self.fn_constructs,
            in_trait_impl: self.fn_in_trait_impl,
            via_method,
        });
    }

    /// `recv.insert(k, v)`, `COUNTER.fetch_add(1, ..)`, `self.peers.lock().await.remove(&id)`.
    pub(super) fn note_method_mutation(&mut self, m: &ExprMethodCall, name: &str) {
        if !state::is_mutating(name) {
            // A method of the crate's own on a guarded value (`self.tree.lock().add_child(..)`)
            // may change it: the crate phase keeps it if such a method takes `&mut self`.
            if !state::is_guard(name)
                && name != "clone"
                && let Some(place) = self.place_of(&m.receiver)
                && place.guarded
            {
                let range =
                    byte_range(m.method.span()).start..byte_range(m.paren_token.span.close()).end;
                self.note_mutation_as(place, name, None, range, true);
            }
            return;
        }
        let Some(place) = self.place_of(&m.receiver) else {
            return;
        };
        let key = if exprs::KEYED_METHODS.contains(&name) {
            m.args.first().and_then(|a| self.key_of(a))
        } else {
            None
        };
        let range = byte_range(m.method.span()).start..byte_range(m.paren_token.span.close()).end;
        self.note_mutation(place, name, key, range);
    }

    /// A key's name, or the name of its crate type when a local of one holds it.
    fn key_of(&self, arg: &Expr) -> Option<String> {
        let key = exprs::key_name(arg)?;
        if let Expr::Path(p) = exprs::strip_conversions(arg)
            && p.path.get_ident().is_some()
            && let Some(ty) = self.local_types.get(&key)
        {
            let last = ty.rsplit("::").next().unwrap_or(ty);
            if !exprs::is_plain_key_type(last) {
                return Some(last.to_string());
            }
        }
        Some(key)
    }

    /// `place = v`, `place += v`: a plain local rebound is not a held value changed.
    pub(super) fn note_assignment(&mut self, lhs: &Expr, op: &str, range: Range<usize>) {
        let through_deref = matches!(strip(lhs), Expr::Unary(_));
        let is_plain_local = matches!(strip(lhs), Expr::Path(p) if p.path.get_ident().is_some_and(|i| i != "self" && !exprs::is_static_name(&i.to_string())));
        if is_plain_local {
            return;
        }
        let Some(place) = self.place_of(lhs) else {
            return;
        };
        if place.fields.is_empty() && !through_deref && !matches!(place.root, Root::Static(_)) {
            return;
        }
        self.note_mutation(place, op, None, range);
    }

    /// A value handed to a framework as application state (a `registered-by` block matched).
    pub(super) fn note_registration(&mut self, via: &str, arg: &Expr, range: Range<usize>) {
        let value = registered_value(arg);
        let ty = infer_type(value, &self.resolver, 0).or_else(|| match strip(value) {
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.state_locals.get(&i.to_string()))
                .and_then(|l| l.ty.clone()),
            _ => None,
        });
        let local = match strip(value) {
            Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
            _ => None,
        };
        let value = local.and_then(|n| self.record_let(&n));
        let narrow = range.start..range.start + 1;
        let site = self.decl_site(range, Some(narrow));
        self.facts.state.registrations.push(Registration {
            via: via.into(),
            ty,
            value,
            site,
            scope: self.current_scope(),
        });
    }

    /// A handler parameter that receives application state (`State<T>`): `T`.
    pub(super) fn note_extracted(&mut self, ty: &Ty, range: Range<usize>) {
        let Ty::Path(p) = ty else { return };
        let Some(inner) = p.args.first() else { return };
        let site = self.decl_site(range, None);
        self.facts.state.extracted.push(Extracted {
            ty: inner.clone(),
            extractor: p.full.clone().into(),
            scope: self.current_scope(),
            site,
        });
    }

    /// A value of a crate type is built here (a struct literal, `Type::new(..)`).
    pub(super) fn note_construction(&mut self, ty: &Ty) {
        let Ty::Path(p) = ty else { return };
        if !p.local || p.name == "Self" {
            return;
        }
        self.facts.state.constructions.push(Construction {
            ty: p.name.clone().into(),
            scope: self.current_scope(),
            loop_depth: self.loop_depth,
            in_constructor: self.fn_constructs,
            self_kind: self.fn_self,
        });
    }

    /// What a spawn call hands its task: values of crate types it runs
    /// (`tokio::spawn(router.run())`, `thread::spawn(move || broker.start())`).
    pub(super) fn note_spawned(
        &mut self,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) {
        let mut owners = Vec::new();
        for a in args {
            self.task_owners(a, &mut owners, 0);
        }
        for ty in owners {
            let range = byte_range(args.span());
            let loc = self.location(range.clone(), Some(range.start..range.start + 1));
            self.facts.state.spawned.push(Spawned {
                ty: ty.into(),
                scope: self.current_scope(),
                in_loop: self.loop_depth > 0,
                loc,
            });
        }
    }

    fn task_owners(&self, e: &Expr, out: &mut Vec<String>, depth: u8) {
        if depth > 4 {
            return;
        }
        match strip(e) {
            Expr::MethodCall(m) => {
                if let Expr::Path(p) = strip(&m.receiver)
                    && let Some(ident) = p.path.get_ident()
                    && let Some(Ty::Path(tp)) = self
                        .state_locals
                        .get(&ident.to_string())
                        .and_then(|l| l.ty.as_ref())
                    && tp.local
                {
                    out.push(tp.name.clone());
                }
                self.task_owners(&m.receiver, out, depth + 1);
            }
            Expr::Closure(c) => self.task_owners(&c.body, out, depth + 1),
            Expr::Async(a) => {
                for s in a.block.stmts.iter().take(8) {
                    if let syn::Stmt::Expr(e, _) = s {
                        self.task_owners(e, out, depth + 1);
                    }
                }
            }
            Expr::Block(b) => {
                for s in b.block.stmts.iter().take(8) {
                    if let syn::Stmt::Expr(e, _) = s {
                        self.task_owners(e, out, depth + 1);
                    }
                }
            }
            Expr::Call(c) => {
                for a in &c.args {
                    self.task_owners(a, out, depth + 1);
                }
            }
            _ => {}
        }
    }

    pub(super) fn record_static(
        &mut self,
        name: &str,
        ty: &Ty,
        mutable: bool,
        range: Range<usize>,
    ) {
        let site = self.decl_site(range, None);
        let path = format!("{}::{name}", self.resolver.module_path());
        let thread_local = matches!(ty, Ty::Path(p) if p.full == "std::thread::LocalKey");
        self.facts.state.statics.push(StaticDecl {
            name: name.into(),
            path: path.into(),
            ty: ty.clone(),
            mutable,
            thread_local,
            site,
            scope: self.current_scope(),
        });
    }

    pub(super) fn record_field(&mut self, owner: &str, name: &str, ty: &Ty, range: Range<usize>) {
        let site = self.decl_site(range, None);
        self.facts.state.fields.push(FieldDecl {
            owner: owner.into(),
            name: name.into(),
            ty: ty.clone(),
            site,
            scope: self.current_scope(),
        });
    }
}

/// `Arc::clone(&x)`, `Rc::clone(&x)`, `Clone::clone(&x)`: the same value, another handle.
fn is_handle_clone(c: &syn::ExprCall) -> bool {
    let Expr::Path(p) = strip(&c.func) else {
        return false;
    };
    let segs: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    c.args.len() == 1
        && segs.last().is_some_and(|l| l == "clone")
        && segs.len() >= 2
        && matches!(segs[segs.len() - 2].as_str(), "Arc" | "Rc" | "Clone")
}

/// The value a registration hands over: through `.clone()`, `&`, `Arc::new(..)`,
/// `Data::new(..)`, and what a closure returns (`warp::any().map(move || db.clone())`).
fn registered_value(arg: &Expr) -> &Expr {
    let mut cur = arg;
    for _ in 0..8 {
        cur = match strip(cur) {
            Expr::MethodCall(m) if m.method == "clone" => &m.receiver,
            Expr::Closure(c) => &c.body,
            Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
                syn::Stmt::Expr(e, None) => e,
                _ => return cur,
            },
            Expr::Call(c) if is_handle_clone(c) => match c.args.first() {
                Some(a) => a,
                None => return cur,
            },
            other => return other,
        };
    }
    cur
}

/// `Arc<..>` / `Rc<..>`: another handle to a shared value.
fn is_shared_handle(ty: &Ty) -> bool {
    matches!(ty, Ty::Path(p) if matches!(p.name.as_str(), "Arc" | "Rc") && !p.args.is_empty())
}

/// Does the type name one of the crate's own types (possibly behind wrappers)?
fn names_crate_type(ty: &Ty) -> bool {
    let mut found = false;
    ty.any_path(&mut |p| {
        if p.local && p.name != "Self" {
            found = true;
        }
        found
    });
    found
}

/// How a fn receives `self`.
pub(super) fn self_kind(sig: &syn::Signature) -> SelfKind {
    match sig.receiver() {
        None => SelfKind::None,
        // `self: Arc<Self>`, `self: Pin<&mut Self>`: a shared or pinned handle, not a value
        // the fn consumes.
        Some(r) if r.colon_token.is_some() => match &*r.ty {
            syn::Type::Reference(rf) if rf.mutability.is_some() => SelfKind::RefMut,
            syn::Type::Path(tp) if tp.path.is_ident("Self") => SelfKind::Value,
            _ => SelfKind::Ref,
        },
        Some(r) if r.reference.is_none() => SelfKind::Value,
        Some(r) if r.mutability.is_some() => SelfKind::RefMut,
        Some(_) => SelfKind::Ref,
    }
}

/// Does the fn return `Self` or its impl's type (possibly in `Result`/`Option`/`Arc`)?
pub(super) fn returns_self(sig: &syn::Signature, impl_type: Option<&str>) -> bool {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    fn mentions(ty: &syn::Type, impl_type: Option<&str>, depth: u8) -> bool {
        if depth > 4 {
            return false;
        }
        let syn::Type::Path(tp) = ty else {
            return false;
        };
        let Some(last) = tp.path.segments.last() else {
            return false;
        };
        if last.ident == "Self" || impl_type.is_some_and(|t| last.ident == t) {
            return true;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return false;
        };
        args.args.iter().take(2).any(|a| match a {
            syn::GenericArgument::Type(t) => mentions(t, impl_type, depth + 1),
            _ => false,
        })
    }
    mentions(ty, impl_type, 0)
}

impl Walker<'_> {
    /// Notes the crate types a declared type holds shared and mutable
    /// (`Arc<Mutex<RateLimiter>>`): `Arc`/`Rc` around a lock around a crate type.
    pub(super) fn note_shared_types(&mut self, ty: &Ty) {
        let mut found: Vec<String> = Vec::new();
        // `Rc` cannot leave its thread: what it shares is one request's or one task's.
        ty.any_path(&mut |p| {
            if p.name == "Arc"
                && let Some(Ty::Path(first)) = p.args.first()
            {
                // `Arc<Mutex<T>>`, or `Arc<T>` (the crate phase checks that `T` has fields
                // that change behind a shared reference).
                let inner = match first.args.first() {
                    Some(Ty::Path(inner))
                        if matches!(first.name.as_str(), "Mutex" | "RwLock" | "RefCell") =>
                    {
                        inner
                    }
                    _ => first,
                };
                if inner.local {
                    found.push(inner.name.clone());
                }
            }
            false
        });
        for name in found {
            if !self.facts.state.shared.iter().any(|s| s.as_ref() == name) {
                self.facts.state.shared.push(name.into());
            }
        }
    }
}
