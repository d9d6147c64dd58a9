//! The names of a crate's `type` aliases, found by a lexical scan of its files before they are
//! parsed. A field typed `SessionTable` can only be judged once `type SessionTable = ..` is
//! known, and it may be declared in a file parsed later; knowing the names up front lets the
//! walker decide every other type on the spot instead of deferring all of them.
//!
//! The scan is a byte search for `type Name =` (and `type Name<..> =`), not a parse; a match in
//! a comment or string only costs a deferred check. It also keeps the words of each alias's
//! definition: a type that names only aliases whose definitions lack the words a rule's type
//! pattern needs (`Map`, `Session`) cannot match once expanded, so it need not wait.

use std::collections::{HashMap, HashSet};

/// Alias name -> words of its definition, including those of aliases it uses (transitively).
pub type AliasWords = HashMap<String, Vec<String>>;

/// What the lexical scan of a crate's files finds before they are parsed.
#[derive(Default)]
pub struct CrateWords {
    pub aliases: AliasWords,
    /// Only scanned when some block looks into structs.
    pub structs: AliasWords,
}

pub fn alias_words<'a>(sources: impl Iterator<Item = &'a Vec<u8>>) -> AliasWords {
    let mut direct: HashMap<String, HashSet<String>> = HashMap::new();
    for bytes in sources {
        scan(bytes, &mut direct);
    }
    close_over_aliases(direct)
}

/// The crate's structs with the words of their fields (and of the structs those name, a few
/// levels deep), for blocks that look into structs (`look-into-structs`): a field typed
/// `Arc<Mutex<Inner>>` can only match `*Mutex<*Map<*>*` if `Inner`'s words include `Map`.
pub fn struct_words<'a>(sources: impl Iterator<Item = &'a Vec<u8>>) -> AliasWords {
    let mut direct: HashMap<String, HashSet<String>> = HashMap::new();
    for bytes in sources {
        scan_structs(bytes, &mut direct);
    }
    close_over_aliases(direct)
}

/// Adds every `Name` of `struct Name[<..>] { .. }` / `( .. );` in `text`, with the words of
/// its body (up to 4 KiB of it).
pub fn scan_structs(text: &[u8], out: &mut HashMap<String, HashSet<String>>) {
    for (start, j) in names_after(text, b"struct") {
        let Ok(name) = std::str::from_utf8(&text[start..j]) else {
            continue;
        };
        // The body: from the first `{` or `(` after the name to its match.
        let Some(open) = text[j..]
            .iter()
            .take(1024)
            .position(|c| matches!(c, b'{' | b'(' | b';'))
            .map(|p| j + p)
        else {
            continue;
        };
        if text[open] == b';' {
            continue;
        }
        let limit = (open + 4096).min(text.len());
        let mut depth = 0usize;
        let mut end = limit;
        for (k, c) in text[open..limit].iter().enumerate() {
            match c {
                b'{' | b'(' => depth += 1,
                b'}' | b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = open + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let words = out.entry(name.to_string()).or_default();
        type_words(&text[open..end], words);
    }
}

/// The words of the types in a struct body: identifiers outside comments, leaving out field
/// names (an identifier followed by a single `:`) and visibility keywords.
fn type_words(body: &[u8], words: &mut HashSet<String>) {
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c == b'/' && body.get(i + 1) == Some(&b'/') {
            while i < body.len() && body[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && body.get(i + 1) == Some(&b'*') {
            i = crate::syntax::lex::skip_block_comment(body, i);
        } else if is_ident(c) {
            let start = i;
            while i < body.len() && is_ident(body[i]) {
                i += 1;
            }
            let mut j = i;
            while j < body.len() && body[j].is_ascii_whitespace() {
                j += 1;
            }
            let field_name = body.get(j) == Some(&b':') && body.get(j + 1) != Some(&b':');
            let word = &body[start..i];
            if !field_name
                && !matches!(word, b"pub" | b"crate" | b"super" | b"in")
                && let Ok(w) = std::str::from_utf8(word)
                && !words.contains(w)
            {
                words.insert(w.to_string());
            }
        } else {
            i += 1;
        }
    }
}

/// Adds to each alias the words of the aliases its definition names, a few levels deep.
fn close_over_aliases(direct: HashMap<String, HashSet<String>>) -> AliasWords {
    let mut out: AliasWords = HashMap::with_capacity(direct.len());
    for (name, words) in &direct {
        let mut all: HashSet<&str> = words.iter().map(String::as_str).collect();
        // Most aliases name no other alias (`type HANDLE = *mut c_void;`): nothing to add.
        let mut pending: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| *w != name && direct.contains_key(*w))
            .collect();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut depth = 0;
        while !pending.is_empty() && depth < 4 {
            let mut next = Vec::new();
            for alias in pending {
                if !seen.insert(alias) {
                    continue;
                }
                for w in &direct[alias] {
                    if all.insert(w) && direct.contains_key(w) {
                        next.push(w.as_str());
                    }
                }
            }
            pending = next;
            depth += 1;
        }
        out.insert(name.clone(), all.into_iter().map(str::to_string).collect());
    }
    out
}

/// Adds every `Name` of `type Name[<..>] = definition;` in `text`, with the definition's words.
pub fn scan(text: &[u8], out: &mut HashMap<String, HashSet<String>>) {
    for (start, mut j) in names_after(text, b"type") {
        let name = &text[start..j];
        while j < text.len() && text[j].is_ascii_whitespace() {
            j += 1;
        }
        if text.get(j) == Some(&b'<') {
            let mut depth = 0usize;
            while j < text.len() {
                match text[j] {
                    b'<' => depth += 1,
                    b'>' => {
                        depth -= 1;
                        if depth == 0 {
                            j += 1;
                            break;
                        }
                    }
                    b';' | b'{' | b'}' => break,
                    _ => {}
                }
                j += 1;
            }
            while j < text.len() && text[j].is_ascii_whitespace() {
                j += 1;
            }
        }
        if text.get(j) == Some(&b'=') && text.get(j + 1) != Some(&b'=') {
            let def_start = j + 1;
            let def_end = memchr::memchr(b';', &text[def_start..])
                .map(|e| def_start + e)
                .unwrap_or(text.len())
                .min(def_start + 4096);
            if let Ok(n) = std::str::from_utf8(name) {
                let words = out.entry(n.to_string()).or_default();
                for w in text[def_start..def_end]
                    .split(|c| !is_ident(*c))
                    .filter(|w| !w.is_empty())
                {
                    if let Ok(w) = std::str::from_utf8(w) {
                        words.insert(w.to_string());
                    }
                }
            }
        }
    }
}

/// The byte range of the identifier after each `keyword` (a whole word, then whitespace) in
/// `text`: `Name` of `type Name` or `struct Name`.
fn names_after<'t>(text: &'t [u8], keyword: &'t [u8]) -> impl Iterator<Item = (usize, usize)> + 't {
    memchr::memmem::find_iter(text, keyword).filter_map(move |at| {
        if at > 0 && is_ident(text[at - 1]) {
            return None;
        }
        let mut j = at + keyword.len();
        if j >= text.len() || !text[j].is_ascii_whitespace() {
            return None;
        }
        while j < text.len() && text[j].is_ascii_whitespace() {
            j += 1;
        }
        let start = j;
        while j < text.len() && is_ident(text[j]) {
            j += 1;
        }
        (j > start).then_some((start, j))
    })
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_alias_names_only() {
        let mut found = HashMap::new();
        scan(
            b"pub type SessionTable = Arc<X>;\ntype Db<T: Clone> = Vec<T>;\ntrait A { type Item; }\nlet subtype = 1; // prototype X = 2\nfn f(x: impl Fn() -> u8) {}",
            &mut found,
        );
        let mut v: Vec<_> = found.keys().cloned().collect();
        v.sort();
        assert_eq!(v, ["Db", "SessionTable"]);
        assert!(found["SessionTable"].contains("Arc"));
    }

    #[test]
    fn struct_words_follow_nested_structs() {
        let mut found = HashMap::new();
        scan_structs(
            b"pub struct Shared { state: Mutex<State>, notify: Notify }\nstruct State { entries: HashMap<String, Entry> }\nstruct Unit;\nstruct Pair(u8, Vec<u8>);\nlet destructure = 1;",
            &mut found,
        );
        let closed = close_over_aliases(found);
        assert!(closed["Shared"].iter().any(|w| w == "HashMap"));
        assert!(closed["Pair"].iter().any(|w| w == "Vec"));
        assert!(!closed.contains_key("Unit"));
    }

    #[test]
    fn words_follow_aliases_of_aliases() {
        let mut found = HashMap::new();
        scan(
            b"type Inner = HashMap<Uuid, Session>; type Outer = Arc<RwLock<Inner>>;",
            &mut found,
        );
        let closed = close_over_aliases(found);
        assert!(closed["Outer"].iter().any(|w| w == "Session"));
    }
}
