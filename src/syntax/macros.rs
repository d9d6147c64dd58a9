//! Macro bodies are token streams that syn leaves unparsed. The macros that declare statics
//! (`lazy_static!`, `thread_local!`) get small parsers of their own, `select!` gets one, and any
//! other macro whose body reads as comma-separated expressions or as statements is parsed as
//! such, keeping the original spans (so findings inside `format!` or `tokio::join!` point at
//! the right place).

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, Stmt, Token, Type, Visibility};

/// A `static` declared inside `lazy_static!` or `thread_local!`.
pub struct MacroStatic {
    pub attrs: Vec<Attribute>,
    pub static_token: Token![static],
    pub ident: Ident,
    pub ty: Type,
    pub expr: Expr,
}

/// `$(#[attr])* [pub] static ref NAME: T = e;` repeated.
pub fn parse_lazy_static(tokens: TokenStream) -> Option<Vec<MacroStatic>> {
    let parser = |input: ParseStream| -> syn::Result<Vec<MacroStatic>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            let _vis: Visibility = input.parse()?;
            let static_token: Token![static] = input.parse()?;
            let _ref: Token![ref] = input.parse()?;
            let ident: Ident = input.parse()?;
            let _: Token![:] = input.parse()?;
            let ty: Type = input.parse()?;
            let _: Token![=] = input.parse()?;
            let expr: Expr = input.parse()?;
            let _: Token![;] = input.parse()?;
            out.push(MacroStatic {
                attrs,
                static_token,
                ident,
                ty,
                expr,
            });
        }
        Ok(out)
    };
    parser.parse2(tokens).ok()
}

/// `$(#[attr])* [pub] static NAME: T = [const] e;` repeated, the last `;` optional.
pub fn parse_thread_local(tokens: TokenStream) -> Option<Vec<MacroStatic>> {
    let parser = |input: ParseStream| -> syn::Result<Vec<MacroStatic>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            let _vis: Visibility = input.parse()?;
            let static_token: Token![static] = input.parse()?;
            let ident: Ident = input.parse()?;
            let _: Token![:] = input.parse()?;
            let ty: Type = input.parse()?;
            let _: Token![=] = input.parse()?;
            if input.peek(Token![const]) {
                let _: Token![const] = input.parse()?;
            }
            let expr: Expr = input.parse()?;
            if !input.is_empty() {
                let _: Token![;] = input.parse()?;
            }
            out.push(MacroStatic {
                attrs,
                static_token,
                ident,
                ty,
                expr,
            });
        }
        Ok(out)
    };
    parser.parse2(tokens).ok()
}

/// The expressions of a `select!` body: `[biased;] pat = fut [, if cond] => handler, ...`.
pub fn parse_select(tokens: TokenStream) -> Option<Vec<Expr>> {
    parse_select_arms(tokens).map(|arms| {
        let mut out = Vec::new();
        for arm in arms {
            out.extend(arm.future);
            out.extend(arm.condition);
            out.push(arm.handler);
        }
        out
    })
}

/// One branch of a `select!`: `pat = future [, if condition] => handler`, or `else => handler`.
pub struct SelectArm {
    pub future: Option<Expr>,
    pub condition: Option<Expr>,
    pub handler: Expr,
}

pub fn parse_select_arms(tokens: TokenStream) -> Option<Vec<SelectArm>> {
    let parser = |input: ParseStream| -> syn::Result<Vec<SelectArm>> {
        let mut arms = Vec::new();
        if input.peek(Ident)
            && input
                .fork()
                .parse::<Ident>()
                .map(|i| i == "biased")
                .unwrap_or(false)
        {
            let _: Ident = input.parse()?;
            let _: Token![;] = input.parse()?;
        }
        while !input.is_empty() {
            let (mut future, mut condition) = (None, None);
            if input.peek(Token![else]) {
                let _: Token![else] = input.parse()?;
            } else {
                let _pat = syn::Pat::parse_single(input)?;
                let _: Token![=] = input.parse()?;
                future = Some(input.call(Expr::parse_without_eager_brace)?);
                if input.peek(Token![,]) && input.peek2(Token![if]) {
                    let _: Token![,] = input.parse()?;
                    let _: Token![if] = input.parse()?;
                    condition = Some(input.call(Expr::parse_without_eager_brace)?);
                }
            }
            let _: Token![=>] = input.parse()?;
            let handler = input.parse()?;
            arms.push(SelectArm {
                future,
                condition,
                handler,
            });
            if input.peek(Token![,]) {
                let _: Token![,] = input.parse()?;
            }
        }
        Ok(arms)
    };
    parser.parse2(tokens).ok()
}

/// Does a `select!` branch wait for the program or task to stop (`shutdown.recv()`,
/// `token.cancelled()`, `tokio::signal::ctrl_c()`, `stop_rx.changed()`)? Read from the
/// branch's words, as a reviewer would.
pub fn waits_for_stop(future: &Expr) -> bool {
    const STOP_WORDS: &[&str] = &[
        "shutdown",
        "cancel",
        "cancelled",
        "stop",
        "quit",
        "exit",
        "terminate",
        "kill",
        "close",
        "closed",
        "signal",
        "ctrl_c",
        "halt",
    ];
    let text = quote::quote!(#future).to_string().to_ascii_lowercase();
    // Whole identifiers (`ctrl_c`) and their parts (`shutdown` of `shutdown_rx`).
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|ident| {
            STOP_WORDS.contains(&ident) || ident.split('_').any(|w| STOP_WORDS.contains(&w))
        })
}

pub enum MacroBody {
    Exprs(Vec<Expr>),
    Stmts(Vec<Stmt>),
}

/// Reads a body as `expr, expr, ...` (`format!`, `vec!`, `join!`) or as statements.
pub fn parse_generic(tokens: &TokenStream) -> Option<MacroBody> {
    if tokens.is_empty() {
        return None;
    }
    if let Ok(list) = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(tokens.clone()) {
        return Some(MacroBody::Exprs(list.into_iter().collect()));
    }
    // `vec![0; n]`
    let repeat = |input: ParseStream| -> syn::Result<Vec<Expr>> {
        let a: Expr = input.parse()?;
        let _: Token![;] = input.parse()?;
        let b: Expr = input.parse()?;
        Ok(vec![a, b])
    };
    if let Ok(v) = repeat.parse2(tokens.clone()) {
        return Some(MacroBody::Exprs(v));
    }
    syn::Block::parse_within
        .parse2(tokens.clone())
        .ok()
        .map(MacroBody::Stmts)
}

/// String literals anywhere in a token stream (for bodies that are not Rust).
pub fn string_literals(tokens: &TokenStream, out: &mut Vec<String>, depth: u8) {
    if depth > 64 {
        return;
    }
    for tt in tokens.clone() {
        match tt {
            TokenTree::Literal(lit) => {
                // Only string literals; numbers would be parsed (into big integers) for nothing.
                let repr = lit.to_string();
                if (repr.starts_with('"') || repr.starts_with("r\"") || repr.starts_with("r#"))
                    && let syn::Lit::Str(s) = syn::Lit::new(lit)
                {
                    out.push(s.value());
                }
            }
            TokenTree::Group(g) => string_literals(&g.stream(), out, depth + 1),
            _ => {}
        }
    }
}

/// Macros whose bodies are read as Rust: they run code (`join!`, `select!`, `stream!`), or
/// wrap calls whose arguments matter. Any other macro is only scanned for string literals:
/// bodies of formatting, logging, code generation and crate DSLs (windows-sys alone has tens
/// of thousands of `link!` calls) cost far more to re-parse than they could reveal.
pub fn body_is_code(name: &str) -> bool {
    matches!(
        name,
        "join"
            | "try_join"
            | "pin"
            | "stream"
            | "try_stream"
            | "spawn"
            | "block_on"
            | "dbg"
            | "task_local"
            | "timeout"
            | "retry"
            | "with_context"
            | "scope"
            | "rt_main"
            | "tracing_instrument"
            | "defer"
    )
}

/// Does a macro body name one of `words` (an identifier, at any depth)? A crate's own wrapper
/// (`try_!(fs::copy(a, b).await)`) is then read as code. Bodies of more than `MAX` tokens
/// (generated tables, DSLs) are not looked at.
pub fn mentions_any(tokens: &TokenStream, words: &std::collections::HashSet<String>) -> bool {
    // (Callers skip formatting and logging macros first: see `formats_only`.)
    const MAX: usize = 4_096;
    fn scan(
        tokens: &TokenStream,
        words: &std::collections::HashSet<String>,
        seen: &mut usize,
        depth: u8,
    ) -> Option<bool> {
        if depth > 32 {
            return Some(false);
        }
        for tt in tokens.clone() {
            *seen += 1;
            if *seen > MAX {
                return None;
            }
            let found = match tt {
                TokenTree::Ident(i) => words.contains(i.to_string().as_str()),
                TokenTree::Group(g) => scan(&g.stream(), words, seen, depth + 1)?,
                _ => false,
            };
            if found {
                return Some(true);
            }
        }
        Some(false)
    }
    !words.is_empty() && scan(tokens, words, &mut 0, 0).unwrap_or(false)
}

/// Macros that build a value from their arguments (`format!("activity/{}", Uuid::new_v4())`):
/// what the arguments call is part of that value.
pub fn builds_value(name: &str) -> bool {
    matches!(name, "format" | "format_args" | "write" | "writeln")
}

/// Does a macro body call a qualified path whose last segment is one of `words`
/// (`Uuid::new_v4()`, `chrono::Utc::now()`)? Method calls and bare names are not looked for:
/// a formatting macro's arguments are mostly `x.len()` and `name`, not worth parsing.
pub fn calls_qualified(tokens: &TokenStream, words: &std::collections::HashSet<String>) -> bool {
    fn scan(tokens: &TokenStream, words: &std::collections::HashSet<String>, depth: u8) -> bool {
        if depth > 8 {
            return false;
        }
        // Tokens seen since the last break in a path: `:` `:` then the candidate word.
        let mut colons = 0;
        let mut word_after_path = false;
        for tt in tokens.clone() {
            match tt {
                TokenTree::Punct(p) if p.as_char() == ':' => {
                    colons += 1;
                    word_after_path = false;
                }
                TokenTree::Ident(i) => {
                    word_after_path = colons >= 2 && words.contains(i.to_string().as_str());
                    colons = 0;
                }
                TokenTree::Group(g) => {
                    if word_after_path && g.delimiter() == proc_macro2::Delimiter::Parenthesis {
                        return true;
                    }
                    if scan(&g.stream(), words, depth + 1) {
                        return true;
                    }
                    colons = 0;
                    word_after_path = false;
                }
                TokenTree::Punct(_) | TokenTree::Literal(_) => {
                    colons = 0;
                    word_after_path = false;
                }
            }
        }
        false
    }
    !words.is_empty() && scan(tokens, words, 0)
}

/// Formatting, logging and assertion macros: their arguments are values to print or check,
/// and they are most of a crate's macro calls, so their bodies are not scanned for calls.
pub fn formats_only(name: &str) -> bool {
    matches!(
        name,
        "format"
            | "format_args"
            | "print"
            | "println"
            | "eprint"
            | "eprintln"
            | "write"
            | "writeln"
            | "panic"
            | "unreachable"
            | "todo"
            | "unimplemented"
            | "assert"
            | "assert_eq"
            | "assert_ne"
            | "debug_assert"
            | "debug_assert_eq"
            | "debug_assert_ne"
            | "trace"
            | "debug"
            | "info"
            | "warn"
            | "error"
            | "event"
            | "span"
            | "trace_span"
            | "debug_span"
            | "info_span"
            | "warn_span"
            | "error_span"
            | "log"
            | "anyhow"
            | "bail"
            | "ensure"
            | "matches"
            | "concat"
            | "stringify"
            | "include_str"
            | "include_bytes"
            | "env"
            | "cfg"
            | "line"
            | "file"
            | "column"
            | "module_path"
    )
}

/// Macros whose string literals may be SQL or a command (`sqlx::query!`, SQL built with
/// `format!`): their literals are read even when no rule is about the macro itself.
pub fn may_hold_sql(name: &str) -> bool {
    name.starts_with("query")
        || matches!(
            name,
            "format" | "concat" | "indoc" | "formatdoc" | "sql" | "cmd"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn qualified_calls_in_formatting_bodies() {
        let words: std::collections::HashSet<String> =
            ["new_v4".to_string(), "now".to_string()].into();
        let yes = [
            quote!("activity/{}", Uuid::new_v4()),
            quote!("{}", uuid::Uuid::new_v4().simple()),
            quote!(f, "{}-{}", a, (chrono::Utc::now())),
        ];
        for t in yes {
            assert!(calls_qualified(&t, &words), "{t}");
        }
        let no = [
            quote!("{}", id.new_v4()),
            quote!("{}", new_v4),
            quote!("{} {:?}", Uuid::new_v4, x),
            quote!("{}", Uuid::nil()),
        ];
        for t in no {
            assert!(!calls_qualified(&t, &words), "{t}");
        }
    }

    #[test]
    fn bodies_naming_a_call_word() {
        let words: std::collections::HashSet<String> = ["remove_file".to_string()].into();
        assert!(mentions_any(&quote!(fs::remove_file(&p).await), &words));
        assert!(mentions_any(&quote!(a, { b(c(remove_file)) }), &words));
        assert!(!mentions_any(&quote!("remove_file", x.remove()), &words));
        let huge: TokenStream = std::iter::repeat_n(quote!(x,), 5_000).collect();
        let huge = quote!(#huge remove_file);
        assert!(
            !mentions_any(&huge, &words),
            "bodies over the limit are not scanned"
        );
    }

    #[test]
    fn lazy_static_bodies() {
        let body = quote! {
            /// doc
            pub static ref SESSIONS: Mutex<HashMap<String, User>> = Mutex::new(HashMap::new());
            static ref RE: Regex = Regex::new("x").unwrap();
        };
        let items = parse_lazy_static(body).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].ident, "SESSIONS");
    }

    #[test]
    fn thread_local_bodies() {
        let body = quote! {
            static CACHE: RefCell<Vec<u8>> = RefCell::new(Vec::new());
            pub static N: Cell<u32> = const { Cell::new(0) }
        };
        let items = parse_thread_local(body).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].ident, "N");
    }

    #[test]
    fn string_literals_of_any_body() {
        let mut out = Vec::new();
        string_literals(&quote! { "a", 1, r"b", (x, "c\n"), b"bytes" }, &mut out, 0);
        assert_eq!(out, ["a", "b", "c\n"]);
    }

    #[test]
    fn stop_signals_are_read_from_the_branch_words() {
        let stops = |src: &str| waits_for_stop(&syn::parse_str::<Expr>(src).unwrap());
        assert!(stops("shutdown_rx.recv()"));
        assert!(stops("self.token.cancelled()"));
        assert!(stops("ctrl_c()"));
        assert!(stops("tokio::signal::ctrl_c()"));
        assert!(stops("global_close_rx.changed()"));
        assert!(!stops("jobs.recv()"));
        assert!(!stops("interval.tick()"));
        // A word inside another is not it: `stopwatch`, `closet`.
        assert!(!stops("stopwatch.lap()"));
    }

    #[test]
    fn select_bodies() {
        let body = quote! {
            biased;
            _ = interval.tick() => { run().await },
            Some(msg) = rx.recv(), if open => handle(msg),
            else => break,
        };
        assert_eq!(parse_select(body).unwrap().len(), 6);
    }
}
