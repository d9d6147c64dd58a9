//! The report for people: a miette diagnostic per finding with the code underlined and the
//! fix as help, then files that could not be linted, then the checklist summary.
//!
//! miette's built-in sources rescan a file from its first byte for every diagnostic; with
//! many findings in a large file that is quadratic, so sources here carry a line index.

use std::fmt::{self, Write as _};
use std::path::Path;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{CHECKLIST, FileError, Finding, Outcome, plural, summary_parts};
use crate::rules::compile::RuleSet;
use crate::rules::model::Severity;
use crate::source::SourceText;

pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

/// A file's text with a line index, readable by miette in O(lines shown).
pub struct IndexedSource {
    name: String,
    src: SourceText,
}

impl IndexedSource {
    pub fn read(name: &str, path: &Path) -> Option<IndexedSource> {
        let bytes = std::fs::read(path).ok()?;
        let src = SourceText::decode(bytes).ok()?;
        Some(IndexedSource {
            name: name.to_string(),
            src,
        })
    }
}

impl SourceCode for IndexedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.src.text();
        if span.offset() + span.len() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let (start_line, start_col) = self.src.line_col(span.offset());
        let end_offset = (span.offset() + span.len())
            .saturating_sub(1)
            .max(span.offset());
        let (end_line, _) = self.src.line_col(end_offset);
        let first_line = (start_line as usize).saturating_sub(before).max(1);
        let last_line = (end_line as usize + after).min(self.src.line_count());
        let (data_start, column) = if before == 0 {
            (span.offset(), start_col as usize - 1)
        } else {
            (self.src.line_start(first_line as u32), 0)
        };
        let data_end = if last_line >= self.src.line_count() {
            text.len()
        } else {
            self.src.line_start(last_line as u32 + 1)
        };
        let data = &text.as_bytes()[data_start..data_end.max(data_start)];
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            (data_start, data.len()).into(),
            if before == 0 {
                start_line as usize - 1
            } else {
                first_line - 1
            },
            column,
            last_line + 1 - first_line,
        )))
    }
}

struct FindingReport<'a> {
    finding: &'a Finding,
    source: Option<&'a IndexedSource>,
}

impl fmt::Debug for FindingReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.finding.message)
    }
}

impl fmt::Display for FindingReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.finding.message)
    }
}

impl std::error::Error for FindingReport<'_> {}

impl Diagnostic for FindingReport<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("statelint({})", self.finding.rule)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source?;
        let f = self.finding;
        let label = f.context.as_ref().map(|c| match &f.reached_from {
            Some(r) => format!(
                "in {c} code: reached from `{}` ({}:{})",
                r.function, r.file, r.line
            ),
            None => format!("in {c} code"),
        });
        let len = (f.byte_end.saturating_sub(f.byte_start)) as usize;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(label, (f.byte_start as usize, len)),
        )))
    }
}

struct ErrorReport<'a> {
    error: &'a FileError,
    source: Option<IndexedSource>,
    offset: Option<usize>,
}

impl fmt::Debug for ErrorReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ErrorReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.error;
        write!(f, "{}", e.file)?;
        if let (Some(l), Some(c)) = (e.line, e.column) {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": {}", e.message)
    }
}

impl std::error::Error for ErrorReport<'_> {}

impl Diagnostic for ErrorReport<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("statelint::{}", self.error.kind)))
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let off = self.offset?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some("here".to_string()), (off, 0)),
        )))
    }
}

pub fn render(outcome: &Outcome, rules: &RuleSet, opts: &HumanOptions, out: &mut String) {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    let mut i = 0;
    let findings = &outcome.findings;
    while i < findings.len() {
        let file = &findings[i].file;
        let source = IndexedSource::read(file, &findings[i].path);
        while i < findings.len() && findings[i].file == *file {
            let report = FindingReport {
                finding: &findings[i],
                source: source.as_ref(),
            };
            let _ = handler.render_report(out, &report);
            out.push('\n');
            i += 1;
        }
    }
    for e in &outcome.errors {
        let (source, offset) = match (e.kind.as_str(), e.line, e.column) {
            ("parse", Some(l), Some(c)) => {
                let src = IndexedSource::read(&e.file, Path::new(&e.file));
                let off = src.as_ref().map(|s| line_col_offset(&s.src, l, c));
                (src, off)
            }
            _ => (None, None),
        };
        let report = ErrorReport {
            error: e,
            source,
            offset,
        };
        let _ = handler.render_report(out, &report);
        out.push('\n');
    }
    summary(outcome, rules, opts, out);
}

fn line_col_offset(src: &SourceText, line: u32, column: u32) -> usize {
    let start = src.line_start(line);
    let text = src.line_text(line);
    let col_bytes: usize = text
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    start + col_bytes
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn summary(outcome: &Outcome, rules: &RuleSet, opts: &HumanOptions, out: &mut String) {
    let c = opts.color;
    let _ = writeln!(out, "{}", paint("Stateless checklist", "1", c));
    for (i, item) in CHECKLIST.iter().enumerate() {
        let n = (i + 1) as u8;
        let hits: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.checklist == Some(n))
            .collect();
        let failing = hits.iter().any(|f| f.severity >= Severity::Warning);
        let mark = if failing {
            paint("✗", "31", c)
        } else {
            paint("✓", "32", c)
        };
        let mut rule_ids: Vec<&str> = hits.iter().map(|f| f.rule.as_str()).collect();
        rule_ids.dedup();
        let detail = if hits.is_empty() {
            String::new()
        } else {
            format!(
                " — {} ({})",
                plural(hits.len(), "finding"),
                rule_ids.join(", ")
            )
        };
        let _ = writeln!(out, "  {mark} {n}. {item}{detail}");
    }
    let beyond: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.checklist.is_none())
        .collect();
    if !beyond.is_empty() {
        let _ = writeln!(
            out,
            "  • beyond the checklist — {}",
            plural(beyond.len(), "finding")
        );
    }
    let (head, rest) = summary_parts(outcome);
    let _ = write!(out, "\n{head} {rest}");
    let _ = writeln!(out);
    if outcome.findings.is_empty() && outcome.errors.is_empty() && outcome.files > 0 {
        let _ = writeln!(
            out,
            "No in-process state found by the {} rules.",
            rules.rules.len()
        );
    }
}
