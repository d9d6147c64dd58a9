//! Errors in files the user wrote (rule files, statelint.toml): a miette diagnostic that shows
//! the offending line, plus a `file:line:column: key `x`: message` first line that is useful
//! even where the report is read as plain text (CI logs).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// `key` in `key = value` when `offset` lies in the value part of that line.
fn key_on_line_before(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let (key, _) = text[line_start..offset].split_once('=')?;
    let key = key.trim().trim_matches('"');
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plain.then(|| key.to_string())
}

#[derive(Debug, Clone)]
pub struct FileDiagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub key: Option<String>,
    pub message: String,
    pub help: Option<String>,
    span: Option<Range<usize>>,
    source: Option<NamedSource<Arc<String>>>,
}

impl FileDiagnostic {
    /// A diagnostic pointing at `span` (byte range) inside `text`, the content of `file`.
    pub fn at(
        file: &str,
        text: &Arc<String>,
        span: Option<Range<usize>>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = match &span {
            Some(s) => line_col(text, s.start),
            None => (0, 0),
        };
        FileDiagnostic {
            file: file.to_string(),
            line,
            column,
            key: key.map(str::to_string),
            message: message.into(),
            help: None,
            span,
            source: Some(NamedSource::new(file, text.clone())),
        }
    }

    /// A TOML syntax or shape error, with the key it concerns: named by the message for an
    /// unknown field, else read off the line the error points into (`severity = 3`).
    pub fn from_toml(file: &str, text: &Arc<String>, e: &toml::de::Error) -> Self {
        let message = e
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let key = match e.message().split("unknown field `").nth(1) {
            Some(rest) => rest.split('`').next().map(str::to_string),
            None => e.span().and_then(|s| key_on_line_before(text, s.start)),
        };
        // toml's wording for an enum given a number or a list.
        let message = if message == "wanted string or table" {
            "expected a string".to_string()
        } else {
            message
        };
        FileDiagnostic::at(file, text, e.span(), key.as_deref(), message)
    }

    /// A diagnostic about a file as a whole (missing, unreadable).
    pub fn whole_file(file: &str, message: impl Into<String>) -> Self {
        FileDiagnostic {
            file: file.to_string(),
            line: 0,
            column: 0,
            key: None,
            message: message.into(),
            help: None,
            span: None,
            source: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let byte = byte.min(text.len());
    let before = &text[..floor_char_boundary(text, byte)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for FileDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for FileDiagnostic {}

impl Diagnostic for FileDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("statelint::config"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        let label = match &self.key {
            Some(k) => format!("in `{k}`"),
            None => "here".to_string(),
        };
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(label),
            span.start,
            span.end.saturating_sub(span.start),
        ))))
    }
}

/// Several diagnostics from one load; shown one after another.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<FileDiagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: FileDiagnostic) {
        self.0.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
