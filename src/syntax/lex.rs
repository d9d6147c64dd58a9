//! Byte-level skipping of the token kinds a lexical scan must not look inside (comments, raw
//! strings), shared by the scans that run before or beside parsing: suppression comments, the
//! nesting estimate and the search for an unbalanced delimiter.

/// From an opening `/*` (at `i`; nested comments allowed) to just past the closing `*/`, or
/// the end of the text.
pub fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut level = 1;
    i += 2;
    while i < b.len() && level > 0 {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            level += 1;
            i += 1;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            level -= 1;
            i += 1;
        }
        i += 1;
    }
    i.min(b.len())
}

/// `i` at the `#`s or `"` that follow the `r` of a raw string: just past its closing `"#..`
/// (or the end of the text), or `None` when no `"` follows the `#`s (a raw identifier).
pub fn skip_raw_string(b: &[u8], mut i: usize) -> Option<usize> {
    let mut hashes = 0;
    while b.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    if b.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(b.len())
}

pub fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

pub fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// From an opening `"` to its closing `"` (the caller steps past it).
pub fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() && b[i] != b'"' {
        if b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

/// A char literal (`'x'`, `'\n'`, `'('`, `'é'`) is skipped to its closing quote (the caller
/// steps past it); a lifetime (`'a`) is left alone.
pub fn skip_char(b: &[u8], i: usize) -> usize {
    match b.get(i + 1) {
        Some(b'\\') => {
            let mut j = i + 2;
            while j < b.len() && b[j] != b'\'' && b[j] != b'\n' {
                j += 1;
            }
            j
        }
        Some(&c) => {
            let len = match c {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            if b.get(i + 1 + len) == Some(&b'\'') {
                i + 1 + len
            } else {
                i
            }
        }
        None => i,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_nest_and_raw_strings_end_at_their_hashes() {
        assert_eq!(skip_block_comment(b"/* a /* b */ c */ x", 0), 17);
        assert_eq!(skip_block_comment(b"/* open", 0), 7);
        assert_eq!(skip_raw_string(b"#\"a\"b\"# x", 0), Some(7));
        assert_eq!(skip_raw_string(b"\"a\" x", 0), Some(3));
        assert_eq!(skip_raw_string(b"#type", 0), None);
    }
}
