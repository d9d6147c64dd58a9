//! A lexical upper estimate of how deep syn will recurse on a file, computed before parsing.
//!
//! syn (and our walker after it) recurses once per level of nesting, and a stack overflow
//! aborts the whole process: `catch_unwind` cannot catch it. Brackets are not the only
//! nesting: `Vec<Vec<..>>`, `&&&&x`, `*const *const T`, `|x| |x| ..`, `a = b = ..`,
//! `return return ..` and `fn() -> fn() -> ..` all recurse without a single bracket. So the
//! estimate is: open brackets, plus the run of "prefix-like" tokens (`& * ! - | < = ->`,
//! `return`, `break`, `dyn`, `impl`, `move`, `yield`) since the last token that ends a nesting
//! chain (`;`, `,`, `=>`, a brace). A bracket saves the run and restores it when it closes, so
//! `f(&a) + g(&b) + ..` does not add up.
//!
//! It overestimates (a long `a - b - c - ..` counts each `-`), which is the safe side: real
//! code stays far below the limit, and a file over it is reported as skipped, not parsed.

use crate::syntax::lex;

/// Files whose estimate exceeds this are not parsed. Measured: syn and the walker handle
/// 20 000 levels of every construct above on the worker stack in release builds, and this
/// many in debug builds (which the test suite runs).
pub const MAX_NESTING: usize = 4096;

/// The estimate described in the module docs, skipping comments, strings and char literals.
pub fn estimate(b: &[u8]) -> usize {
    let mut saved: Vec<usize> = Vec::new();
    let (mut run, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match c {
            b'(' | b'[' | b'{' => {
                saved.push(run);
                if c == b'{' {
                    run = 0;
                }
            }
            b')' | b']' => run = saved.pop().unwrap_or(0),
            // A closing brace ends an item or a statement: nothing before it nests further.
            b'}' => {
                saved.pop();
                run = 0;
            }
            b';' | b',' => run = 0,
            b'=' if next == Some(b'>') => {
                run = 0;
                i += 1;
            }
            // Comparison and compound operators do not nest.
            b'=' | b'!' | b'<' | b'>' | b'-' | b'+' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|'
                if next == Some(b'=') =>
            {
                i += 1
            }
            b'-' if next == Some(b'>') => {
                run += 1;
                i += 1;
            }
            b':' if next == Some(b':') => i += 1,
            b'<' if next == Some(b'<') => i += 1,
            b'&' | b'*' | b'!' | b'-' | b'|' | b'<' | b'=' => run += 1,
            b'/' if next == Some(b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if next == Some(b'*') => {
                i = lex::skip_block_comment(b, i);
                continue;
            }
            b'"' => i = lex::skip_string(b, i),
            b'\'' => i = lex::skip_char(b, i),
            c if lex::is_ident_start(c) => {
                let start = i;
                while i < b.len() && lex::is_ident(b[i]) {
                    i += 1;
                }
                let word = &b[start..i];
                match (word, b.get(i)) {
                    // Raw strings and byte/C strings: r"..", r#".."#, b"..", br#".."#, c"..".
                    (b"r" | b"br" | b"cr", Some(b'"' | b'#')) => {
                        // Not a raw string (`r#type`): go on with the identifier after `#`.
                        i = lex::skip_raw_string(b, i).unwrap_or(i + 1);
                        continue;
                    }
                    (b"b" | b"c", Some(b'"')) => i = lex::skip_string(b, i),
                    (b"b", Some(b'\'')) => i = lex::skip_char(b, i),
                    (b"return" | b"break" | b"dyn" | b"impl" | b"move" | b"yield", _) => {
                        run += 1;
                        max = max.max(saved.len() + run);
                        continue;
                    }
                    _ => continue,
                }
            }
            _ => {}
        }
        max = max.max(saved.len() + run);
        i += 1;
    }
    max
}

#[cfg(test)]
mod tests {
    use super::estimate;

    #[test]
    fn brackets_count_outside_comments_strings_and_chars() {
        assert_eq!(estimate(b"fn f() { g((1)) }"), 3);
        assert_eq!(estimate(b"let s = \"((((\"; // ((((\n let c = '(';"), 1);
        assert_eq!(
            estimate(b"r#\"(((\"#; /* ( /* ( */ */ x; br\"((\"; b'('; '\xC3\xA9'; ("),
            1
        );
        assert_eq!(estimate(b"fn f<'a>(x: &'a str) {}"), 3);
    }

    #[test]
    fn nesting_without_brackets_counts() {
        let deep = |s: &str| estimate(s.repeat(1000).as_bytes()) >= 1000;
        for unit in [
            "Vec<", "&", "*const ", "!", "-", "|x| ", "a = ", "return ", "fn() -> ",
        ] {
            assert!(deep(unit), "{unit:?} repeated should count as nesting");
        }
    }

    #[test]
    fn flat_code_stays_shallow() {
        let flat = |s: &str| estimate(s.repeat(10_000).as_bytes());
        assert!(flat("1, ") < 3);
        assert!(flat("f(&a) + ") < 4);
        assert!(
            flat("x == y && ") > 1000,
            "`&&` chains are counted (safe side)"
        );
        assert!(flat(".b()") < 3);
        assert!(flat("a::b::") < 3);
        assert!(flat("let x: Vec<u8> = vec![]; ") < 6);
        assert!(flat("A => 1, ") < 3);
        assert!(flat("x += 1; y <= 2; ") < 3);
        assert!(flat("fn f(x: u8) -> u8 { x }\n") < 3);
        assert!(flat("impl A for B { fn f(&self) -> &str { &self.0 } }\n") < 5);
    }
}
