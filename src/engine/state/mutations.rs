//! Stage 2: where each holder is changed. A mutation site names a place (`self.peers`,
//! `state.inner.lock().sessions`, `COUNTER`, a task's `let mut rooms`); the place is resolved
//! to the holder it changes, following the crate's fields as far as the place goes.

use crate::syntax::state::{Mutation, Root};

use super::holders::{Model, facts, struct_of};
use super::shapes;
use super::{Decl, Holder, HolderKind, Input, Site};

pub(super) fn attach<'f>(input: &Input<'f>, model: &mut Model<'f>) {
    // Methods of the crate taking `&mut self`, by name: calling one on a guarded value changes it.
    let mut mutating_methods: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (_, f) in input.files {
        for s in &f.scopes {
            if s.self_mut
                && let Some(name) = s.fn_name.as_deref()
            {
                mutating_methods.insert(name.rsplit("::").next().unwrap_or(name));
            }
        }
    }
    for (fi, (_, f)) in input.files.iter().enumerate() {
        for m in &f.state.mutations {
            if m.via_method && !mutating_methods.contains(m.op.as_ref()) {
                continue;
            }
            let Some(id) = resolve(input, model, fi, m) else {
                continue;
            };
            // Through `.clone()` of a field: the same state only if the field shares it.
            if m.place.cloned && !shares_on_clone(input, &model.holders[id].ty) {
                continue;
            }
            let scope = input.index.offsets[fi] + m.scope;
            model.holders[id].sites.push(Site {
                file: fi,
                mutation: m,
                scope,
            });
        }
    }
}

fn resolve<'f>(
    input: &Input<'f>,
    model: &mut Model<'f>,
    fi: usize,
    m: &'f Mutation,
) -> Option<usize> {
    let fields = &m.place.fields;
    match &m.place.root {
        Root::Static(path) => {
            let id = match model.by_static.get(path.as_ref()) {
                Some(&id) => id,
                None => {
                    let name = path.rsplit("::").next().unwrap_or(path);
                    match model.static_by_name.get(name).map(Vec::as_slice) {
                        Some([one]) => *one,
                        _ => return None,
                    }
                }
            };
            if fields.is_empty() {
                return Some(id);
            }
            let ty = model.holders[id].ty.clone();
            let s = struct_of(input, model, &ty)?;
            walk(input, model, s, fields).or(Some(id))
        }
        Root::SelfOf(t) => {
            let s = self_struct(input, model, t)?;
            walk(input, model, s, fields)
        }
        Root::Typed(written) => {
            let ty = written.expand_aliases(input.aliases, 0);
            if let Some(s) = struct_of(input, model, &ty) {
                return walk(input, model, s, fields);
            }
            if !fields.is_empty() {
                return None;
            }
            let chain = shapes::chain(&input.rules.shapes, &ty);
            if let Some((_, id)) = model
                .values
                .iter()
                .find(|(c, _)| shapes::chains_agree(c, &chain))
            {
                return Some(*id);
            }
            // The one holder of this type (`store: &LoginStore` handed `&state.logins`).
            let written = match written {
                crate::syntax::types::Ty::Ref(inner) => inner.rendered(false),
                other => other.rendered(false),
            };
            for key in [written, ty.rendered(false)] {
                if let Some([one]) = model.by_type.get(&key).map(Vec::as_slice) {
                    return Some(*one);
                }
            }
            None
        }
        Root::Let(i) => {
            let decl = facts(input, fi).state.lets.get(*i as usize)?;
            if let Some(ty) = &decl.ty {
                let ty = ty.expand_aliases(input.aliases, 0);
                if let Some(s) = struct_of(input, model, &ty) {
                    return walk(input, model, s, fields);
                }
            }
            if !fields.is_empty() {
                return None;
            }
            Some(*model.by_let.entry((fi, *i)).or_insert_with(|| {
                let id = model.holders.len();
                model.holders.push(Holder {
                    kind: HolderKind::Task,
                    file: fi,
                    decl: Decl::Let(decl),
                    written: Decl::Let(decl).written(),
                    display: decl.name.to_string(),
                    name: &decl.name,
                    owner: None,
                    ty: decl
                        .ty
                        .clone()
                        .unwrap_or(crate::syntax::types::Ty::Infer)
                        .expand_aliases(input.aliases, 0),
                    via: Vec::new(),
                    sites: Vec::new(),
                    decl_scope: input.index.offsets[fi] + decl.scope,
                    inherited: false,
                    anchor: id,
                });
                id
            }))
        }
    }
}

/// `S.f1.f2..`: the holder of the deepest field the place reaches through the crate's
/// structs (`AppState.inner` holds `Inner`, whose `sessions` is the map changed). Structs that
/// are not holders themselves are walked through by their field types (a per-request
/// `Session { store: &State<SessionStore> }` reaches the registered store's map).
fn walk(input: &Input, model: &Model, start: &str, fields: &[Box<str>]) -> Option<usize> {
    let mut owner = start;
    let mut found = None;
    // The last holder that guards a struct of the crate behind a lock (`site: RwLock<SiteConfig>`):
    // a plain field of that struct changed (`site.banner = ..`) is that guarded value changed.
    let mut guarded = None;
    for f in fields {
        let field_ty = match model.by_field.get(&(owner, f.as_ref())) {
            Some(&id) => {
                found = Some(id);
                &model.holders[id].ty
            }
            None => {
                let decl = model
                    .structs
                    .get(owner)?
                    .iter()
                    .find(|(_, d)| d.name.as_ref() == f.as_ref())?;
                &decl.1.ty
            }
        };
        match struct_of(input, model, field_ty) {
            Some(n) => {
                if found.is_some_and(|id| guards_struct(input, &model.holders[id].ty)) {
                    guarded = found;
                }
                owner = n;
            }
            None => break,
        }
    }
    let is_struct = |n: &str| model.structs.contains_key(n);
    match (found, guarded) {
        (Some(id), Some(g))
            if matches!(
                shapes::content(&input.rules.shapes, &model.holders[id].ty, &is_struct),
                shapes::Holds::Value | shapes::Holds::Scalar
            ) =>
        {
            Some(g)
        }
        _ => found,
    }
}

/// Does the type put a lock or cell around what it holds (`RwLock<SiteConfig>`)?
fn guards_struct(input: &Input, ty: &crate::syntax::types::Ty) -> bool {
    use crate::syntax::types::Ty;
    let shapes = &input.rules.shapes;
    let mut cur = ty;
    for _ in 0..8 {
        match cur {
            Ty::Ref(inner) => cur = inner,
            Ty::Path(p)
                if !p.args.is_empty() && shapes.cells.as_ref().is_some_and(|c| c.matches(cur)) =>
            {
                return true;
            }
            Ty::Path(p) if shapes::is_wrapper(shapes, cur) => cur = &p.args[0],
            _ => return false,
        }
    }
    false
}

/// Does cloning a value of this type give another handle to the same state (`Arc`, `Rc`, a
/// cache handle) rather than a copy?
fn shares_on_clone(input: &Input, ty: &crate::syntax::types::Ty) -> bool {
    use crate::syntax::types::Ty;
    match ty {
        Ty::Path(p) if matches!(p.name.as_str(), "Arc" | "Rc") => true,
        Ty::Path(_) => matches!(
            shapes::content(&input.rules.shapes, ty, &|_| false),
            shapes::Holds::Cache
        ),
        _ => false,
    }
}

/// The struct an `impl` is for: by name, or through a crate `type` alias
/// (`impl Repository for Torrents` where `type Torrents = LockedTorrents<String>`).
pub(super) fn self_struct<'f>(input: &Input<'f>, model: &Model<'f>, name: &str) -> Option<&'f str> {
    if let Some((s, _)) = model.structs.get_key_value(name) {
        return Some(s);
    }
    let def = input.aliases.get(name)?;
    struct_of(input, model, &def.ty)
}
