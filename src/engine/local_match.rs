//! The part of a match block that can be decided where the node is: names, resolved paths,
//! string arguments, method chains, and types that need no crate-level alias.

use std::collections::HashSet;

use std::cell::OnceCell;

use crate::engine::aliases::AliasWords;
use crate::rules::compile::{Block, ChainPattern, WordIndex, WordSets};
use crate::rules::kinds::NodeKind;
use crate::syntax::imports::ResolvedPath;
use crate::syntax::types::{RenderedTy, Ty, TypeWords};

/// A method call applied after a node, in order: `.append(true)` in `OpenOptions::new().append(true).open(p)`.
#[derive(Clone, Debug)]
pub struct ChainLink {
    pub name: String,
    /// The parentheses' span; their text is read only when a pattern asks.
    pub args: proc_macro2::Span,
}

/// One piece of syntax, described the same way whatever its kind.
pub struct Node<'n> {
    pub kind: NodeKind,
    pub name: Option<&'n str>,
    pub ty: Option<&'n Ty>,
    pub path: Option<&'n ResolvedPath>,
    pub receiver: Option<&'n str>,
    pub literals: &'n [String],
    /// For calls: bit i is set when argument i is a constant (see `exprs::is_constant`).
    pub constant_args: u32,
    /// For a call: the methods applied to its result. For a method: the other methods of
    /// its chain, before and after it.
    pub chain: &'n [ChainLink],
    pub chain_before: &'n [ChainLink],
    pub mutable: bool,
    /// The file's text, to read chain arguments.
    pub source: &'n str,
    /// `ty` rendered once for all blocks that test it.
    pub rendered: OnceCell<RenderedTy>,
    /// The indexed words in `ty` (and in aliases it names), found once for all blocks.
    pub words: OnceCell<(WordSets, bool)>,
    pub word_index: &'n WordIndex,
    /// The crate's `type` aliases (from a lexical scan of its files) with the words of their
    /// definitions: a type that names one is checked once the definitions are known.
    pub alias_words: &'n AliasWords,
    /// The crate's structs with the words of their fields, for `look-into-structs` (empty
    /// unless a block looks into structs).
    pub struct_words: &'n AliasWords,
}

pub enum Outcome {
    No,
    /// Passes locally; `deferred_type` means the type check waits for the crate's aliases.
    Yes {
        deferred_type: bool,
    },
}

pub fn check(block: &Block, node: &Node, wrappers: &HashSet<String>) -> Outcome {
    if let Some(i) = block.constant_arg
        && node.constant_args & (1 << i.min(31)) == 0
    {
        return Outcome::No;
    }
    if let Some(re) = &block.name
        && !node.name.is_some_and(|n| re.is_match(n))
    {
        return Outcome::No;
    }
    if let Some(re) = &block.not_name
        && node.name.is_some_and(|n| re.is_match(n))
    {
        return Outcome::No;
    }
    if let Some(m) = block.mutable
        && node.mutable != m
    {
        return Outcome::No;
    }
    if let Some(set) = &block.path {
        let Some(p) = node.path else {
            return Outcome::No;
        };
        if !path_matches(set, p) {
            return Outcome::No;
        }
    }
    if let Some(set) = &block.not_path
        && node.path.is_some_and(|p| path_matches(set, p))
    {
        return Outcome::No;
    }
    if let Some(set) = &block.receiver
        && !node.receiver.is_some_and(|r| set.is_match(r))
    {
        return Outcome::No;
    }
    if let Some(res) = &block.args
        && !node
            .literals
            .iter()
            .any(|l| res.iter().any(|r| r.is_match(l)))
    {
        return Outcome::No;
    }
    if let Some(res) = &block.not_args
        && node
            .literals
            .iter()
            .any(|l| res.iter().any(|r| r.is_match(l)))
    {
        return Outcome::No;
    }
    let in_chain = |p: &ChainPattern| {
        chain_contains(node.chain, p, node.source)
            || chain_contains(node.chain_before, p, node.source)
    };
    if !block.chain_has.is_empty() && !block.chain_has.iter().any(in_chain) {
        return Outcome::No;
    }
    if block.chain_lacks.iter().any(in_chain) {
        return Outcome::No;
    }
    let mut deferred_type = false;
    if block.types.is_some() || block.not_types.is_some() {
        let Some(ty) = node.ty else {
            return Outcome::No;
        };
        let (words, names_alias) = node.words.get_or_init(|| {
            let tw = TypeWords::of(ty, node.alias_words);
            (WordSets::of(node.word_index, &tw), !tw.alias.is_empty())
        });
        if block.look_into_structs && could_match_inside_structs(block, node, ty) {
            // It names a struct of the crate whose fields may make it match: decided once the
            // crate's struct definitions are known.
            deferred_type = true;
        } else if block.types.as_ref().is_some_and(|t| !t.may_match(words)) {
            // Words first: most types cannot match and need not be rendered.
            return Outcome::No;
        } else if *names_alias {
            // It names a crate alias: decided once the alias definitions are known.
            deferred_type = true;
        } else {
            let may_be_excluded = block.not_types.as_ref().is_some_and(|t| t.may_match(words));
            if block.types.is_some() || may_be_excluded {
                let rendered = node
                    .rendered
                    .get_or_init(|| RenderedTy::new(ty, &|n: &str| wrappers.contains(n)));
                if !type_ok(block, rendered) {
                    return Outcome::No;
                }
            }
        }
    }
    Outcome::Yes { deferred_type }
}

/// Does the type name a crate struct whose (nested) fields give it the words the block's
/// type patterns need?
fn could_match_inside_structs(block: &Block, node: &Node, ty: &Ty) -> bool {
    let tw = TypeWords::of(ty, node.struct_words);
    if tw.alias.is_empty() {
        return false;
    }
    let words = WordSets::of(node.word_index, &tw);
    block.types.as_ref().is_none_or(|t| t.may_match(&words))
}

/// `type_ok` for a type that names a crate alias, given as written and with the aliases
/// expanded: either spelling may match `type` (an alias's name says what a `u64` is:
/// `HashSet<SocketId>`), and either spelling matching `not-type` excludes it.
pub fn type_ok_either(block: &Block, written: &RenderedTy, expanded: &RenderedTy) -> bool {
    type_ok_any(block, &[written, expanded])
}

/// Some rendering matches the block's `type` and none its `not-type`.
pub fn type_ok_any(block: &Block, renderings: &[&RenderedTy]) -> bool {
    if let Some(t) = &block.types
        && !renderings.iter().any(|r| t.matches_rendered(r))
    {
        return false;
    }
    if let Some(t) = &block.not_types
        && renderings.iter().any(|r| t.matches_rendered(r))
    {
        return false;
    }
    true
}

/// `type` matches (when given) and `not-type` does not.
pub fn type_ok(block: &Block, rendered: &RenderedTy) -> bool {
    if let Some(t) = &block.types
        && !t.matches_rendered(rendered)
    {
        return false;
    }
    if let Some(t) = &block.not_types
        && t.matches_rendered(rendered)
    {
        return false;
    }
    true
}

fn path_matches(set: &globset::GlobSet, p: &ResolvedPath) -> bool {
    set.is_match(&p.path) || p.alternatives.iter().any(|a| set.is_match(a))
}

fn chain_contains(chain: &[ChainLink], p: &ChainPattern, source: &str) -> bool {
    chain.iter().any(|l| {
        p.method.is_match(&l.name)
            && p.args.as_ref().is_none_or(|re| {
                let r = l.args.byte_range();
                let inner = (r.start + 1).min(r.end)..r.end.saturating_sub(1).max(r.start);
                re.is_match(source.get(inner).unwrap_or(""))
            })
    })
}
