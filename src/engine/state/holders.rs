//! Stage 1: the crate's long-lived holders. Roots are statics, values registered as application
//! state (or received through an extractor), actors, values handed to a task spawned once,
//! values built at start-up, and types that implement an interface and change themselves
//! through `&self` (a store behind a trait). The structs roots hold are followed through the
//! crate's own field types; each field of such a struct is a holder.

use std::collections::{HashMap, HashSet, VecDeque};

use globset::{Glob, GlobSetBuilder};

use crate::syntax::facts::FileFacts;
use crate::syntax::state::{FieldDecl, SelfKind};
use crate::syntax::types::Ty;

use super::shapes;
use super::{Decl, Holder, HolderKind, Input, Via};

/// The crate's structs: name -> (file position, field) for each field.
pub(super) type StructTable<'f> = HashMap<&'f str, Vec<(usize, &'f FieldDecl)>>;

pub(super) struct Model<'f> {
    pub holders: Vec<Holder<'f>>,
    pub structs: StructTable<'f>,
    /// (struct, field) -> holder.
    pub by_field: HashMap<(&'f str, &'f str), usize>,
    /// Static path -> holder, and bare name -> holders (uses in other modules).
    pub by_static: HashMap<&'f str, usize>,
    pub static_by_name: HashMap<&'f str, Vec<usize>>,
    /// Registered values that are no struct of the crate: (type chain, holder).
    pub values: Vec<(Vec<String>, usize)>,
    /// (file position, let index) -> holder, for a task's own locals.
    pub by_let: HashMap<(usize, u32), usize>,
    /// Structs whose fields are holders, with why.
    pub roots: HashMap<&'f str, (HolderKind, Option<Via>)>,
    /// A holder's type (as written, and expanded) -> holders of that type: a parameter of the
    /// same type (`store: &LoginStore`) is one of them, when only one is.
    pub by_type: HashMap<String, Vec<usize>>,
}

pub(super) fn find<'f>(input: &Input<'f>) -> Model<'f> {
    let files = input.files;
    let mut structs: StructTable = HashMap::new();
    for (fi, (_, f)) in files.iter().enumerate() {
        for field in &f.state.fields {
            structs.entry(&field.owner).or_default().push((fi, field));
        }
    }
    let mut model = Model {
        holders: Vec::new(),
        structs,
        by_field: HashMap::new(),
        by_static: HashMap::new(),
        static_by_name: HashMap::new(),
        values: Vec::new(),
        by_let: HashMap::new(),
        roots: HashMap::new(),
        by_type: HashMap::new(),
    };
    let mut roots: Vec<(&'f str, HolderKind, Option<Via>)> = Vec::new();
    statics(input, &mut model, &mut roots);
    registered(input, &mut model, &mut roots);
    actors_and_stores(input, &model, &mut roots);
    tasks_and_start_up(input, &mut model, &mut roots);
    // A struct held by a static is reported at the static.
    let mut anchors: HashMap<&str, usize> = HashMap::new();
    for (id, h) in model.holders.iter().enumerate() {
        if let Decl::Static(_) = h.decl {
            let is_struct = |n: &str| model.structs.contains_key(n);
            if let Some(name) = shapes::struct_behind(&input.rules.shapes, &h.ty, &is_struct)
                && let Some((key, _)) = model.structs.get_key_value(name)
            {
                anchors.entry(key).or_insert(id);
            }
        }
    }
    expand(input, &mut model, roots, &anchors);
    for (id, h) in model.holders.iter().enumerate() {
        let written = h.written.rendered(false);
        let expanded = h.ty.rendered(false);
        // A bare generic or primitive type says nothing about which holder a value is.
        if !written.contains('<') && !matches!(h.written, Ty::Path(p) if p.local) {
            continue;
        }
        for key in [written, expanded] {
            let ids = model.by_type.entry(key).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    model
}

fn scope_of(input: &Input, fi: usize, scope: u32) -> u32 {
    input.index.offsets[fi] + scope
}

fn statics<'f>(
    input: &Input<'f>,
    model: &mut Model<'f>,
    roots: &mut Vec<(&'f str, HolderKind, Option<Via>)>,
) {
    let shapes = &input.rules.shapes;
    for (fi, (_, f)) in input.files.iter().enumerate() {
        for s in &f.state.statics {
            let ty = s.ty.expand_aliases(input.aliases, 0);
            let id = model.holders.len();
            model.holders.push(Holder {
                kind: HolderKind::Static,
                file: fi,
                decl: Decl::Static(s),
                written: Decl::Static(s).written(),
                display: s.name.to_string(),
                name: &s.name,
                owner: None,
                ty: ty.clone(),
                via: Vec::new(),
                sites: Vec::new(),
                decl_scope: scope_of(input, fi, s.scope),
                inherited: false,
                anchor: id,
            });
            model.by_static.insert(&s.path, id);
            model.static_by_name.entry(&s.name).or_default().push(id);
            let is_struct = |n: &str| model.structs.contains_key(n);
            if let Some(name) = shapes::struct_behind(shapes, &ty, &is_struct)
                && let Some((key, _)) = model.structs.get_key_value(name)
            {
                roots.push((key, HolderKind::Static, None));
            }
        }
    }
}

/// Registered values and the types handlers extract: a struct of the crate is a root; any
/// other value is a holder of its own, at the `let` registered (or the registration).
fn registered<'f>(
    input: &Input<'f>,
    model: &mut Model<'f>,
    roots: &mut Vec<(&'f str, HolderKind, Option<Via>)>,
) {
    let shapes = &input.rules.shapes;
    for (fi, (_, f)) in input.files.iter().enumerate() {
        for r in &f.state.registrations {
            let via = Via {
                file: fi,
                loc: r.site.loc,
                label: "registered as application state here".to_string(),
            };
            let ty = match (&r.ty, r.value.and_then(|v| f.state.lets.get(v as usize))) {
                (Some(t), _) => Some(t.clone()),
                (None, Some(l)) => l.ty.clone(),
                (None, None) => None,
            };
            let Some(ty) = ty.map(|t| t.expand_aliases(input.aliases, 0)) else {
                continue;
            };
            let is_struct = |n: &str| model.structs.contains_key(n);
            if let Some(name) = shapes::struct_behind(shapes, &ty, &is_struct) {
                if let Some((key, _)) = model.structs.get_key_value(name) {
                    roots.push((key, HolderKind::AppState, Some(via)));
                }
                continue;
            }
            let chain = shapes::chain(shapes, &ty);
            if chain.is_empty() || model.values.iter().any(|(c, _)| *c == chain) {
                continue;
            }
            let (decl, name, decl_scope): (Decl, &str, u32) =
                match r.value.and_then(|v| f.state.lets.get(v as usize)) {
                    Some(l) => (Decl::Let(l), &l.name, l.scope),
                    None => (Decl::Registration(r), "application state", r.scope),
                };
            let id = model.holders.len();
            model.holders.push(Holder {
                kind: HolderKind::AppState,
                file: fi,
                decl,
                written: decl.written(),
                display: name.to_string(),
                name,
                owner: None,
                ty,
                via: vec![via],
                sites: Vec::new(),
                decl_scope: scope_of(input, fi, decl_scope),
                inherited: false,
                anchor: id,
            });
            model.values.push((chain, id));
        }
    }
    for (fi, (_, f)) in input.files.iter().enumerate() {
        for e in &f.state.extracted {
            let ty = e.ty.expand_aliases(input.aliases, 0);
            let is_struct = |n: &str| model.structs.contains_key(n);
            if let Some(name) = shapes::struct_behind(shapes, &ty, &is_struct) {
                if let Some((key, _)) = model.structs.get_key_value(name) {
                    roots.push((key, HolderKind::AppState, None));
                }
                continue;
            }
            let chain = shapes::chain(shapes, &ty);
            if chain.is_empty() {
                continue;
            }
            // The value registered elsewhere: the handler's type may say more of it
            // (`Data<Mutex<usize>>` for `Data::new(Mutex::new(count))`).
            if let Some(i) = model
                .values
                .iter()
                .position(|(c, _)| shapes::chains_agree(c, &chain))
            {
                let (known, id) = &mut model.values[i];
                if chain.len() > known.len() {
                    *known = chain;
                    model.holders[*id].ty = ty;
                }
                continue;
            }
            let id = model.holders.len();
            model.holders.push(Holder {
                kind: HolderKind::AppState,
                file: fi,
                decl: Decl::Extracted(e),
                written: Decl::Extracted(e).written(),
                display: "application state".to_string(),
                name: "application state",
                owner: None,
                ty,
                via: Vec::new(),
                sites: Vec::new(),
                decl_scope: scope_of(input, fi, e.scope),
                inherited: false,
                anchor: id,
            });
            model.values.push((chain, id));
        }
    }
}

/// Actors (their handlers change them) and stores behind an interface: a type implementing a
/// trait that is not the standard library's, whose methods change it through `&self`.
fn actors_and_stores<'f>(
    input: &Input<'f>,
    model: &Model<'f>,
    roots: &mut Vec<(&'f str, HolderKind, Option<Via>)>,
) {
    let actor_traits = glob_set(input.rules.lists.get("actor-traits"));
    let per_request = per_request_types(input);
    for (ty, traits) in input.impls.iter() {
        let Some((key, _)) = model.structs.get_key_value(*ty) else {
            continue;
        };
        if per_request.contains(*ty) {
            continue;
        }
        if actor_traits
            .as_ref()
            .is_some_and(|g| traits.iter().any(|t| g.is_match(t)))
        {
            roots.push((key, HolderKind::Actor, None));
        } else if traits.iter().any(|t| is_interface(t)) && changes_through_ref(input, ty, true) {
            roots.push((key, HolderKind::Store, None));
        }
    }
    // Held shared (`Arc<Mutex<T>>`, `Arc<T>` whose fields change behind `&self`) somewhere in
    // the crate, or a handle sharing its own fields (`inner: Arc<RwLock<..>>` changed through
    // `&self`): made to be changed by whoever holds a clone (a rate limiter, a registry, a
    // store), unless each value serves one request.
    let mut shared: HashSet<&str> = HashSet::new();
    for (_, f) in input.files {
        for name in &f.state.shared {
            shared.insert(name);
        }
    }
    for (&name, fields) in &model.structs {
        if per_request.contains(name) {
            continue;
        }
        let shares_fields = fields.iter().any(|(_, f)| is_shared_cell(input, &f.ty));
        if (shared.contains(name) || shares_fields) && changes_through_ref(input, name, false) {
            roots.push((name, HolderKind::Store, None));
        }
    }
}

/// `Arc<Mutex<..>>`, `Arc<DashMap<..>>`: a field whose clones share a value that changes.
fn is_shared_cell(input: &Input, ty: &Ty) -> bool {
    let shapes = &input.rules.shapes;
    let Ty::Path(p) = ty else { return false };
    // `Rc` cannot leave its thread: what it shares is one request's or one task's.
    if p.name != "Arc" {
        return false;
    }
    let Some(inner) = p.args.first() else {
        return false;
    };
    !matches!(
        shapes::content(shapes, inner, &|_| false),
        shapes::Holds::Resource
    ) && !matches!(inner, Ty::Path(ip) if ip.local)
}

/// Values handed to a task spawned once (not per connection, not from a handler) and structs
/// built at start-up.
fn tasks_and_start_up<'f>(
    input: &Input<'f>,
    model: &mut Model<'f>,
    roots: &mut Vec<(&'f str, HolderKind, Option<Via>)>,
) {
    let rules = input.rules;
    let request_time = rules.runtime_contexts & !rules.task_contexts;
    for (fi, (_, f)) in input.files.iter().enumerate() {
        for s in &f.state.spawned {
            let ctx = input.index.contexts[scope_of(input, fi, s.scope) as usize];
            if s.in_loop || ctx & request_time != 0 || ctx & rules.excluded_by_default != 0 {
                continue;
            }
            if let Some((key, _)) = model.structs.get_key_value(s.ty.as_ref()) {
                let via = Via {
                    file: fi,
                    loc: s.loc,
                    label: "owned by the task spawned here".to_string(),
                };
                roots.push((key, HolderKind::Task, Some(via)));
            }
        }
        for l in &f.state.lets {
            let ctx = input.index.contexts[scope_of(input, fi, l.scope) as usize];
            let start_up = ctx & rules.startup_contexts != 0
                && ctx & rules.runtime_contexts == 0
                && ctx & rules.excluded_by_default == 0;
            let Some(ty) =
                l.ty.as_ref()
                    .filter(|t| start_up && l.loop_depth == 0 && is_shared(t))
            else {
                continue;
            };
            let ty = ty.expand_aliases(input.aliases, 0);
            if struct_of(input, model, &ty).is_some() {
                continue;
            }
            let chain = shapes::chain(&rules.shapes, &ty);
            if chain.is_empty() || model.values.iter().any(|(c, _)| *c == chain) {
                continue;
            }
            let id = model.holders.len();
            model.holders.push(Holder {
                kind: HolderKind::StartUp,
                file: fi,
                decl: Decl::Let(l),
                written: Decl::Let(l).written(),
                display: l.name.to_string(),
                name: &l.name,
                owner: None,
                ty,
                via: Vec::new(),
                sites: Vec::new(),
                decl_scope: scope_of(input, fi, l.scope),
                inherited: false,
                anchor: id,
            });
            model.values.push((chain, id));
        }
        // A task's own value of a crate type (`let mut torrents = TorrentMaps::default();` in
        // the body of a worker thread).
        for l in &f.state.lets {
            let scope = scope_of(input, fi, l.scope);
            let own = input.index.own_contexts[scope as usize];
            let ctx = input.index.contexts[scope as usize];
            if own & rules.task_contexts == 0
                || ctx & request_time != 0
                || ctx & rules.excluded_by_default != 0
                || l.loop_depth > 0
            {
                continue;
            }
            let Some(ty) = &l.ty else { continue };
            if let Some(name) = struct_of(input, model, &ty.expand_aliases(input.aliases, 0)) {
                let via = Via {
                    file: fi,
                    loc: l.site.loc,
                    label: "owned by this task for as long as it runs".to_string(),
                };
                roots.push((name, HolderKind::Task, Some(via)));
            }
        }
        for c in &f.state.constructions {
            let scope = scope_of(input, fi, c.scope);
            let ctx = input.index.contexts[scope as usize];
            let start_up = ctx & rules.startup_contexts != 0
                && ctx & rules.runtime_contexts == 0
                && ctx & rules.excluded_by_default == 0;
            if start_up
                && c.loop_depth == 0
                && let Some((key, _)) = model.structs.get_key_value(c.ty.as_ref())
            {
                roots.push((key, HolderKind::StartUp, None));
            }
        }
    }
}

/// Types built per request or per connection (only in run-time code, or in a loop): their
/// values die with what they serve.
fn per_request_types<'f>(input: &Input<'f>) -> HashSet<&'f str> {
    let rules = input.rules;
    let request_time = rules.runtime_contexts & !rules.task_contexts;
    let mut per_request: HashSet<&str> = HashSet::new();
    let mut long_lived: HashSet<&str> = HashSet::new();
    for (fi, (_, f)) in input.files.iter().enumerate() {
        for c in &f.state.constructions {
            if c.in_constructor {
                continue;
            }
            let ctx = input.index.contexts[scope_of(input, fi, c.scope) as usize];
            if ctx & rules.excluded_by_default != 0 {
                continue;
            }
            // Built by a method of a live object (`fn on_connect(&self)`): while the program
            // runs, one per event.
            let by_live_object = matches!(c.self_kind, SelfKind::Ref | SelfKind::RefMut);
            if ctx & request_time != 0 || c.loop_depth > 0 || by_live_object {
                per_request.insert(&c.ty);
            } else {
                long_lived.insert(&c.ty);
            }
        }
    }
    per_request.retain(|t| !long_lived.contains(t));
    // What a per-request value holds (`Session { inner: Arc<Inner> }`) dies with it, unless the
    // crate also builds it elsewhere to keep.
    let structs: HashMap<&str, Vec<&Ty>> = input
        .files
        .iter()
        .flat_map(|(_, f)| f.state.fields.iter())
        .fold(HashMap::new(), |mut m, f| {
            m.entry(f.owner.as_ref())
                .or_insert_with(Vec::new)
                .push(&f.ty);
            m
        });
    let mut frontier: Vec<&str> = per_request.iter().copied().collect();
    for _ in 0..4 {
        let mut next = Vec::new();
        for owner in frontier {
            for ty in structs.get(owner).into_iter().flatten() {
                let is_struct = |n: &str| structs.contains_key(n);
                if let Some(inner) = shapes::struct_behind(&input.rules.shapes, ty, &is_struct)
                    && let Some((key, _)) = structs.get_key_value(inner)
                    && !long_lived.contains(key)
                    && per_request.insert(key)
                {
                    next.push(*key);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    per_request
}

/// A trait that is an interface a framework or the crate calls through, not one of the
/// standard library's (`Display`, `Iterator`, `Drop`, `From`).
fn is_interface(path: &str) -> bool {
    // The standard library's traits and the async I/O and service plumbing every crate
    // implements (`Future`, `Stream`, `AsyncRead`, tower's `Service`).
    let plumbing = [
        "std::",
        "core::",
        "alloc::",
        "serde::",
        "futures",
        "tokio::",
        "tokio_util::",
        "tower::",
        "tower_service::",
        "tower_layer::",
        "hyper::",
        "http_body::",
        "bytes::",
        "pin_project",
        "Default",
        "Clone",
        "Debug",
        "Display",
    ];
    !plumbing.iter().any(|p| path.starts_with(p))
        && !matches!(
            path,
            "Drop" | "Iterator" | "From" | "Future" | "Stream" | "Sink"
        )
}

/// Does a method of the type change one of its fields through `&self` (a value shared by
/// reference), or, for a type behind an interface, a trait method through `&mut self`
/// (`impl Issuer for TokenMap { fn issue(&mut self, ..) }`: the interface is the store's)?
fn changes_through_ref(input: &Input, ty: &str, interface: bool) -> bool {
    input.files.iter().any(|(_, f)| {
        f.state.mutations.iter().any(|m| {
            // Through `&mut self`, only an interface method that adds to a collection counts
            // (`issue(&mut self) { self.tokens.insert(..) }`); assignments there are a state
            // machine's own steps (a listener binding its server).
            let adds =
                !matches!(m.op.as_ref(), "=" | "+=") && !crate::syntax::state::is_removing(&m.op);
            let by_ref = m.self_kind == SelfKind::Ref
                || (interface && m.in_trait_impl && m.self_kind == SelfKind::RefMut && adds);
            by_ref
                && !m.in_constructor
                && matches!(&m.place.root, crate::syntax::state::Root::SelfOf(t)
                    if t.as_ref() == ty || alias_of(input, t).is_some_and(|a| a == ty))
                && !m.place.fields.is_empty()
        })
    })
}

fn glob_set(items: Option<&Vec<String>>) -> Option<globset::GlobSet> {
    let items = items?;
    let mut b = GlobSetBuilder::new();
    for i in items {
        if let Ok(g) = Glob::new(i) {
            b.add(g);
        }
    }
    b.build().ok()
}

/// A struct to make holders of: name, why it is long-lived, how far from a root, and the
/// holder it is reported at.
type Pending<'f> = (&'f str, HolderKind, Option<Via>, u8, Option<usize>);

/// Makes every field of every root struct a holder, following fields whose types hold another
/// struct of the crate (behind `Arc`, locks, `Option`..).
fn expand<'f>(
    input: &Input<'f>,
    model: &mut Model<'f>,
    roots: Vec<(&'f str, HolderKind, Option<Via>)>,
    anchors: &HashMap<&'f str, usize>,
) {
    let shapes = &input.rules.shapes;
    let mut queue: VecDeque<Pending<'f>> = roots
        .into_iter()
        .map(|(n, k, v)| (n, k, v, 0, anchors.get(n).copied()))
        .collect();
    while let Some((name, kind, via, depth, anchor)) = queue.pop_front() {
        if let Some((_, existing_via)) = model.roots.get_mut(name) {
            if existing_via.is_none() && via.is_some() {
                *existing_via = via;
            }
            continue;
        }
        model.roots.insert(name, (kind, via.clone()));
        let Some(fields) = model.structs.get(name).cloned() else {
            continue;
        };
        for (fi, field) in fields {
            let ty = field.ty.expand_aliases(input.aliases, 0);
            let is_struct = |n: &str| model.structs.contains_key(n);
            let inner = shapes::struct_behind(shapes, &ty, &is_struct)
                .and_then(|n| model.structs.get_key_value(n).map(|(k, _)| *k));
            let id = model.holders.len();
            model.holders.push(Holder {
                kind,
                file: fi,
                decl: Decl::Field(field),
                written: Decl::Field(field).written(),
                display: format!("{}.{}", field.owner, field.name),
                name: &field.name,
                owner: Some(&field.owner),
                ty,
                via: via.iter().cloned().collect(),
                sites: Vec::new(),
                decl_scope: input.index.offsets[fi] + field.scope,
                inherited: depth > 0,
                anchor: anchor.unwrap_or(id),
            });
            model.by_field.insert((&field.owner, &field.name), id);
            if let Some(inner) = inner
                && depth < 8
            {
                queue.push_back((
                    inner,
                    kind,
                    via.clone(),
                    depth + 1,
                    Some(anchor.unwrap_or(id)),
                ));
            }
        }
    }
}

/// Facts of a file position.
pub(super) fn facts<'f>(input: &Input<'f>, fi: usize) -> &'f FileFacts {
    &input.files[fi].1
}

/// The struct a (possibly wrapped) type is, when it is one of the crate's.
pub(super) fn struct_of<'f>(input: &Input<'f>, model: &Model<'f>, ty: &Ty) -> Option<&'f str> {
    let shapes = &input.rules.shapes;
    let is_struct = |n: &str| model.structs.contains_key(n);
    shapes::struct_behind(shapes, ty, &is_struct)
        .and_then(|n| model.structs.get_key_value(n).map(|(k, _)| *k))
}

/// `Arc<..>` / `Rc<..>`: a value made to be shared.
fn is_shared(ty: &Ty) -> bool {
    matches!(ty, Ty::Path(p) if matches!(p.name.as_str(), "Arc" | "Rc") && !p.args.is_empty())
}

/// The struct name a crate `type` alias stands for, if any.
fn alias_of<'a>(input: &'a Input, name: &str) -> Option<&'a str> {
    match &input.aliases.get(name)?.ty {
        Ty::Path(p) if p.local => Some(&p.name),
        _ => None,
    }
}
