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
    let mut out = String::new();
    for d in diagnostics {
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
