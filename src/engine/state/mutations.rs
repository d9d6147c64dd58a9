//! Stage 2: where each holder is changed. A mutation site names a place (`self.peers`,
//! `state.inner.lock().sessions`, `COUNTER`, a task's `let mut rooms`); the place is resolved
//! to the holder it changes, following the crate's fields as far as the place goes.

use crate::syntax::state::{Mutation, Root};

use super::holders::{Model, facts, struct_of};
use super::shapes;
use super::{Decl, Holder, HolderKind, Input, Site};

pub(super) fn attach<'f>(input: &Input<'f>, model: &mut Model<'f>) {
    for (fi, (_, f)) in input.files.iter().enumerate() {
        for m in &f.state.mutations {
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

fn resolve<'f>(input: &Input<'f>, model: &mut Model<'f>, fi: usize, m: &'f Mutation) -> Option<usize> {
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
            let (s, _) = model.structs.get_key_value(t.as_ref())?;
            walk(input, model, s, fields)
        }
        Root::Typed(ty) => {
            let ty = ty.expand_aliases(input.aliases, 0);
            if let Some(s) = struct_of(input, model, &ty) {
                return walk(input, model, s, fields);
            }
            if !fields.is_empty() {
                return None;
            }
            let chain = shapes::chain(&input.rules.shapes, &ty);
            model
                .values
                .iter()
                .find(|(c, _)| shapes::chains_agree(c, &chain))
                .map(|(_, id)| *id)
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
                });
                id
            }))
        }
    }
}

/// `S.f1.f2..`: the holder of the deepest field the place reaches through the crate's
/// structs (`AppState.inner` holds `Inner`, whose `sessions` is the map changed).
fn walk(input: &Input, model: &Model, start: &str, fields: &[Box<str>]) -> Option<usize> {
    let mut owner = start;
    let mut found = None;
    for f in fields {
        let Some(&id) = model.by_field.get(&(owner, f.as_ref())) else {
            break;
        };
        found = Some(id);
        match struct_of(input, model, &model.holders[id].ty) {
            Some(n) => owner = n,
            None => break,
        }
    }
    found
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
