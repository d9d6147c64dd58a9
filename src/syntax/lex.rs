//! Byte-level skipping of the token kinds a lexical scan must not look inside (comments, raw
//! strings), shared by the scans that run before or beside parsing: suppression comments and
//! the nesting estimate.

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
