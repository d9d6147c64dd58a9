//! Source text with a line index: byte offsets to 1-based lines and character columns.
//!
//! Positions are computed here rather than asked of proc-macro2 so that every output format
//! agrees on one convention (1-based lines, 1-based columns counted in characters) and so that
//! a BOM never shifts them: the BOM is removed before parsing and editors do not count it.

use std::ops::Range;

/// A decoded source file: the text that was parsed (BOM removed) and where each line starts.
#[derive(Debug)]
pub struct SourceText {
    text: String,
    line_starts: Vec<u32>,
}

/// A resolved location: byte range in the parsed text plus 1-based line/column (characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub start: u32,
    pub end: u32,
}

/// Why a file's bytes could not become source text.
#[derive(Debug)]
pub struct DecodeError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl SourceText {
    /// Decodes raw bytes: strips a UTF-8 BOM and rejects invalid UTF-8 with the position of the
    /// first bad byte (as rustc does; linting a lossily decoded file would report wrong spans).
    pub fn decode(bytes: Vec<u8>) -> Result<SourceText, DecodeError> {
        let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => rest.to_vec(),
            None => bytes,
        };
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceText::new(text)),
            Err(err) => {
                let valid_up_to = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                // Everything before the first bad byte is valid, so it can be indexed as text.
                let prefix = String::from_utf8_lossy(&bytes[..valid_up_to]).into_owned();
                let index = SourceText::new(prefix);
                let (line, column) = index.line_col(valid_up_to);
                Err(DecodeError {
                    line,
                    column,
                    message: format!(
                        "file is not valid UTF-8 (first invalid byte 0x{:02X} at line {line}, column {column}); Rust source must be UTF-8",
                        bytes[valid_up_to]
                    ),
                })
            }
        }
    }

    pub fn new(text: String) -> SourceText {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceText { text, line_starts }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and 1-based character column of a byte offset.
    pub fn line_col(&self, byte: usize) -> (u32, u32) {
        let byte = byte.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&(byte as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index] as usize;
        let mut start = byte;
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let column = self.text[line_start..start].chars().count() as u32 + 1;
        (line_index as u32 + 1, column)
    }

    pub fn location(&self, range: Range<usize>) -> Location {
        let (line, column) = self.line_col(range.start);
        let (end_line, end_column) = self.line_col(range.end);
        Location {
            line,
            column,
            end_line,
            end_column,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The text of a 1-based line without its line ending (`\n` or `\r\n`).
    pub fn line_text(&self, line: u32) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1) as usize) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line as usize)
            .map(|&e| e as usize)
            .unwrap_or(self.text.len());
        let raw = &self.text[start as usize..end];
        raw.trim_end_matches('\n').trim_end_matches('\r')
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: u32) -> usize {
        self.line_starts
            .get(line.saturating_sub(1) as usize)
            .map(|&s| s as usize)
            .unwrap_or(self.text.len())
    }

    pub fn slice(&self, range: Range<usize>) -> &str {
        self.text.get(range).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let s = SourceText::new("let é = 1;\nfoo();\r\nbar".to_string());
        assert_eq!(s.line_col(0), (1, 1));
        let foo = s.text().find("foo").unwrap();
        assert_eq!(s.line_col(foo), (2, 1));
        let one = s.text().find('1').unwrap();
        assert_eq!(s.line_col(one), (1, 9));
        assert_eq!(s.line_text(2), "foo();");
        assert_eq!(s.line_text(3), "bar");
    }

    #[test]
    fn bom_is_removed_and_positions_ignore_it() {
        let s = SourceText::decode(b"\xEF\xBB\xBFfn main() {}".to_vec()).unwrap();
        assert_eq!(s.text(), "fn main() {}");
        assert_eq!(s.line_col(3), (1, 4));
    }

    #[test]
    fn invalid_utf8_names_the_position() {
        let err = SourceText::decode(b"fn a() {}\nlet x = \xFF;".to_vec()).unwrap_err();
        assert_eq!((err.line, err.column), (2, 9));
        assert!(err.message.contains("not valid UTF-8"), "{}", err.message);
    }
}
