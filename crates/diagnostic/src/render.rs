//! Owns how diagnostics are drawn: miette reports with the source snippet, labels and hints.

use super::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;

/// Draws diagnostics for a terminal (colour when `color` is true).
pub fn render(name: &str, source: &str, diagnostics: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    draw(
        name,
        source,
        diagnostics,
        GraphicalReportHandler::new_themed(theme),
    )
}

/// `text` with each `\r` that no `\n` follows written as `\n`: the same length, the same lines.
fn lone_cr_as_lf(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() != Some(&'\n') => out.push('\n'),
            c => out.push(c),
        }
    }
    out
}

/// Draws diagnostics without colour at a fixed width: what snapshot tests compare.
pub fn render_plain(name: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    draw(name, source, diagnostics, handler)
}

fn draw(
    name: &str,
    source: &str,
    diagnostics: &[Diagnostic],
    handler: GraphicalReportHandler,
) -> String {
    // The snippet drawer knows `\n` only: a lone `\r` ends a line too (the checker counts it), and
    // becomes `\n` here, which keeps every byte offset.
    let unified;
    let source = if source.contains('\r') {
        unified = lone_cr_as_lf(source);
        unified.as_str()
    } else {
        source
    };
    let mut out = String::new();
    for d in diagnostics {
        if on_a_long_line(source, d) {
            out.push_str(&excerpt(name, source, d));
            out.push('\n');
            continue;
        }
        let shown = Shown {
            d,
            source: NamedSource::new(name, source.to_string()),
        };
        let mut one = String::new();
        if handler.render_report(&mut one, &shown).is_err() {
            one = format!("{}: {}\n", d.code.as_str(), d.message);
        }
        out.push_str(&one);
        out.push('\n');
    }
    out
}

/// Lines longer than this are not drawn whole (miette would draw every character, and cannot place
/// a label past column 65,535): a diagnostic on one shows the text around its place.
const LONG_LINE: usize = 1000;

/// How many characters either side of the place an excerpt of a long line shows.
const AROUND: usize = 60;

/// Whether a span of the diagnostic is on a line longer than `LONG_LINE`.
fn on_a_long_line(source: &str, d: &Diagnostic) -> bool {
    let spans = std::iter::once(d.span).chain(d.related.iter().map(|(s, _)| *s));
    spans
        .flat_map(|s| [s.start, s.end])
        .any(|at| line_at(source, at).chars().count() > LONG_LINE)
}

/// The line holding byte `at`, without its line end.
fn line_at(source: &str, at: usize) -> &str {
    let mut at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
    &source[start..end]
}

/// A diagnostic drawn as miette draws one, its snippet cut to `AROUND` characters either side of
/// its place on a long line.
fn excerpt(name: &str, source: &str, d: &Diagnostic) -> String {
    let (line, column) = super::position(source, d.span.start);
    let chars: Vec<char> = line_at(source, d.span.start)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let at = (column - 1).min(chars.len());
    let (from, to) = (at.saturating_sub(AROUND), (at + AROUND).min(chars.len()));
    let before = if from > 0 { "…" } else { "" };
    let after = if to < chars.len() { "…" } else { "" };
    let shown: String = chars[from..to].iter().collect();
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let caret = " ".repeat(at - from + before.chars().count());
    let mut text = format!(
        "{}\n\n  × {}\n{pad} ╭─[{name}:{line}:{column}]\n{number} │ {before}{shown}{after}\n{pad} · {caret}^ {}\n{pad} ╰────\n",
        d.code.as_str(),
        d.message,
        d.label
    );
    if let Some(h) = &d.help {
        text.push_str(&format!("  help: {h}\n"));
    }
    text
}

struct Shown<'a> {
    d: &'a Diagnostic,
    source: NamedSource<String>,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.d, f)
    }
}
impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl std::error::Error for Shown<'_> {}

impl miette::Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let main = LabeledSpan::new_primary_with_span(
            (!self.d.label.is_empty()).then(|| self.d.label.clone()),
            to_miette(self.d.span),
        );
        let related = self
            .d
            .related
            .iter()
            .map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), to_miette(*s)));
        Some(Box::new(std::iter::once(main).chain(related)))
    }
}

fn to_miette(span: super::Span) -> SourceSpan {
    SourceSpan::new(span.start.into(), span.end.saturating_sub(span.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_far_along_a_long_line_shows_the_text_around_it() {
        // miette panicked placing a label past column 65,535.
        let source = format!("kpi k {{ value: 1{}@ }}\n", " ".repeat(70_000));
        let at = source.find('@').unwrap();
        let found = [super::super::Diagnostic::error(
            super::super::Code::Syntax,
            super::super::Span::new(at, at + 1),
            "unexpected `@`",
        )];
        let text = render_plain("long.scorecard", &source, &found);
        assert!(text.contains("╭─[long.scorecard:1:70017]"), "{text}");
        assert!(text.contains("1 │ …") && text.contains("@ }"), "{text}");
        assert!(text.len() < 1_000, "the line is not drawn whole");
        // A short line is drawn by miette as before.
        let found = [super::super::Diagnostic::error(
            super::super::Code::Syntax,
            super::super::Span::new(17, 18),
            "unexpected `@`",
        )];
        let text = render_plain("short.scorecard", "kpi k { value: 1 @ }", &found);
        assert!(text.contains("╭─[short.scorecard:1:18]"), "{text}");
    }
}
