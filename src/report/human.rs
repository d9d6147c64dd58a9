//! The report for people: a miette diagnostic per finding with the code underlined and the
//! fix as help, then files that could not be linted, then the checklist summary.
//!
//! miette's built-in sources rescan a file from its first byte for every diagnostic; with
//! many findings in a large file that is quadratic, so sources here carry a line index.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::Path;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{CHECKLIST, FileError, Finding, ItemStatus, Outcome, Related, plural, summary_parts};
use crate::rules::compile::RuleSet;
use crate::rules::model::Severity;
use crate::source::SourceText;

pub struct HumanOptions {
    pub color: bool,
    /// Columns to wrap at: the terminal's, so it never wraps our lines a second time.
    pub width: usize,
    /// Wrap the summary's own lines too (on a terminal, or when `COLUMNS` says how wide);
    /// in a log each stays one greppable line.
    pub wrap_summary: bool,
    /// Findings only: no checklist, closing line or hints (`-q`).
    pub quiet: bool,
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
    /// Related places in other files, shown after the finding with their own code.
    elsewhere: Vec<RelatedReport<'a>>,
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
        let source = self.source?;
        let f = self.finding;
        let label = f.context.as_ref().map(|c| match &f.reached_from {
            Some(r) => format!(
                "in {c} code: reached from `{}` ({}:{})",
                r.function, r.file, r.line
            ),
            None => format!("in {c} code"),
        });
        let len = (f.byte_end.saturating_sub(f.byte_start)) as usize;
        let primary = LabeledSpan::new_primary_with_span(label, (f.byte_start as usize, len));
        // Related places in the same file are labels on the same code.
        let same_file = f
            .related
            .iter()
            .filter(|r| r.file == f.file)
            .filter_map(|r| related_span(&source.src, r))
            .map(|(r, span)| LabeledSpan::new_with_span(Some(r.label.clone()), span));
        Some(Box::new(std::iter::once(primary).chain(same_file)))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.elsewhere.is_empty() {
            return None;
        }
        Some(Box::new(
            self.elsewhere.iter().map(|r| r as &dyn Diagnostic),
        ))
    }
}

/// The byte span of a related place in `src`, from its 1-based lines and columns.
fn related_span<'r>(src: &SourceText, r: &'r Related) -> Option<(&'r Related, SourceSpan)> {
    if r.line == 0 || r.line as usize > src.line_count() {
        return None;
    }
    let start = line_col_offset(src, r.line, r.column.max(1));
    let end = if r.end_line >= r.line && (r.end_line as usize) <= src.line_count() {
        line_col_offset(src, r.end_line, r.end_column.max(1))
    } else {
        start
    };
    Some((r, (start, end.saturating_sub(start)).into()))
}

/// A related place in another file: "note: <label>" with that file's code.
struct RelatedReport<'a> {
    related: &'a Related,
    source: Option<&'a IndexedSource>,
}

impl fmt::Debug for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.related;
        if self.source.is_some() {
            write!(f, "{}", r.label)
        } else {
            // No code to show: say where it is.
            write!(f, "{} ({}:{}:{})", r.label, r.file, r.line, r.column)
        }
    }
}

impl std::error::Error for RelatedReport<'_> {}

impl Diagnostic for RelatedReport<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, span) = related_span(&self.source?.src, self.related)?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, span),
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

pub fn render(outcome: &Outcome, _rules: &RuleSet, opts: &HumanOptions, out: &mut String) {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    // Files that related places point into, read once each.
    let mut others: HashMap<String, Option<IndexedSource>> = HashMap::new();
    let mut i = 0;
    let findings = &outcome.findings;
    while i < findings.len() {
        let file = &findings[i].file;
        let source = IndexedSource::read(file, &findings[i].path);
        while i < findings.len() && findings[i].file == *file {
            let f = &findings[i];
            for r in f.related.iter().filter(|r| r.file != f.file) {
                others
                    .entry(r.file.clone())
                    .or_insert_with(|| IndexedSource::read(&r.file, Path::new(&r.file)));
            }
            let report = FindingReport {
                finding: f,
                source: source.as_ref(),
                elsewhere: f
                    .related
                    .iter()
                    .filter(|r| r.file != f.file)
                    .map(|r| RelatedReport {
                        related: r,
                        source: others.get(&r.file).and_then(Option::as_ref),
                    })
                    .collect(),
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
    if opts.quiet {
        return;
    }
    summary(outcome, opts, out);
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

fn summary(outcome: &Outcome, opts: &HumanOptions, out: &mut String) {
    let c = opts.color;
    if let Some(nothing) = outcome.nothing_found() {
        let _ = writeln!(out, "{}.", upper_first(&nothing));
        return;
    }
    let _ = writeln!(out, "{}", paint("Stateless checklist", "1", c));
    for (i, item) in CHECKLIST.iter().enumerate() {
        let n = (i + 1) as u8;
        let v = outcome.verdict(n);
        let mark = match v.status {
            ItemStatus::Fail => paint("✗", "31", c),
            ItemStatus::Pass => paint("✓", "32", c),
            ItemStatus::Baselined => paint("○", "33", c),
            ItemStatus::PartlyChecked => paint("~", "33", c),
            ItemStatus::NotChecked => paint("-", "2", c),
        };
        let mut details = Vec::new();
        if !v.findings.is_empty() {
            details.push(format!(
                "{} ({})",
                plural(v.findings.len(), "finding"),
                v.rules_hit().join(", ")
            ));
        }
        if v.known > 0 {
            let more = if v.findings.is_empty() { "" } else { "more " };
            details.push(format!("{} {more}known, in the baseline", v.known));
        }
        match v.status {
            ItemStatus::NotChecked => details.push(format!(
                "not checked{}",
                v.unchecked_note()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )),
            _ => {
                if let Some(note) = v.unchecked_note() {
                    details.push(format!("partly checked: {note}"));
                }
            }
        }
        let detail = if details.is_empty() {
            String::new()
        } else {
            format!(" — {}", details.join("; "))
        };
        wrapped(
            out,
            &format!("{mark} {n}. {item}{detail}"),
            "  ",
            "       ",
            opts,
        );
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
    out.push('\n');
    wrapped(out, &format!("{head} {rest}"), "", "  ", opts);
    if outcome.findings.is_empty() && outcome.errors.is_empty() {
        if outcome.baselined > 0 {
            // Nothing new, which is not the same as nothing.
            let _ = writeln!(
                out,
                "No new in-process state found by the {} that ran; what the baseline records is \
                 still there.",
                plural(outcome.coverage.rules_run(), "rule")
            );
        } else {
            let _ = writeln!(
                out,
                "No in-process state found by the {} that ran.",
                plural(outcome.coverage.rules_run(), "rule")
            );
        }
    }
    if let Some(first) = outcome.findings.first() {
        out.push('\n');
        let hint = format!(
            "Run `statelint explain ID` for what a rule finds, why it breaks replicas and how \
             to fix it (`statelint explain {}`).",
            first.rule
        );
        wrapped(out, &hint, "", "", opts);
    }
}

/// Writes `text` (plus a newline) wrapped at the width, so a terminal never wraps it again.
fn wrapped(
    out: &mut String,
    text: &str,
    first_indent: &str,
    rest_indent: &str,
    human: &HumanOptions,
) {
    if !human.wrap_summary {
        out.push_str(first_indent);
        out.push_str(text);
        out.push('\n');
        return;
    }
    let opts = textwrap::Options::new(human.width.max(20))
        .initial_indent(first_indent)
        .subsequent_indent(rest_indent)
        .break_words(false)
        // Rule ids are hyphenated words: never split `local-file-write` across lines.
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, opts) {
        out.push_str(&line);
        out.push('\n');
    }
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Related;

    #[test]
    fn related_places_are_labels_here_and_notes_with_their_code_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.rs");
        let login = dir.path().join("login.rs");
        let state_text =
            "use x::*;\nstatic SESSIONS: Lazy<Mutex<Map>> = Lazy::new(Default::default);\n";
        std::fs::write(&state, state_text).unwrap();
        std::fs::write(
            &login,
            "fn login() {\n    let id = new_id();\n    SESSIONS.lock().insert(id, user);\n}\n",
        )
        .unwrap();
        let mut f = crate::report::sarif::tests::finding_with_related();
        f.file = state.display().to_string();
        f.path = state.clone();
        f.byte_start = state_text.find("SESSIONS").unwrap() as u32;
        f.byte_end = f.byte_start + "SESSIONS".len() as u32;
        f.related = vec![
            Related {
                file: f.file.clone(),
                line: 2,
                column: 37,
                end_line: 2,
                end_column: 64,
                label: "built here".to_string(),
            },
            Related {
                file: login.display().to_string(),
                line: 3,
                column: 5,
                end_line: 3,
                end_column: 38,
                label: "inserted into from handler `login`".to_string(),
            },
        ];
        let outcome = Outcome {
            findings: vec![f],
            files: 2,
            ..Outcome::default()
        };
        let rules = crate::rules::compile::compile(
            &crate::rules::builtin_sources(),
            &crate::rules::compile::CompileOptions {
                extra_lists: Default::default(),
            },
        )
        .unwrap();
        let mut out = String::new();
        let opts = HumanOptions {
            color: false,
            width: 100,
            wrap_summary: false,
            quiet: true,
        };
        render(&outcome, &rules, &opts, &mut out);
        let out = out.replace(&dir.path().display().to_string(), "DIR");
        assert_eq!(
            out,
            "\
statelint(in-memory-session)

  × session state `SESSIONS` lives in this process
   ╭─[DIR/state.rs:2:8]
 1 │ use x::*;
 2 │ static SESSIONS: Lazy<Mutex<Map>> = Lazy::new(Default::default);
   ·        ────────                     ─────────────┬─────────────
   ·            │                                     ╰── built here
   ╰────
  help: Keep sessions in Redis

Advice: 
  ☞ inserted into from handler `login`
   ╭─[DIR/login.rs:3:5]
 2 │     let id = new_id();
 3 │     SESSIONS.lock().insert(id, user);
   ·     ─────────────────────────────────
 4 │ }
   ╰────

"
        );
    }
}
