//! Owns escalation message templates: literal text and `{placeholders}`, each checked to exist.

use super::super::entries;
use super::super::model::{Part, Template, PLACEHOLDERS};
use super::super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::Entry;

/// The template of a `message` entry. `by` holds the segment columns, which are placeholders too;
/// `None` when they are not known (an earlier error), and then only the fixed names are checked.
pub fn read(cx: &mut Checker, e: &Entry, by: Option<&[String]>) -> Option<Template> {
    let text = entries::string(cx, e)?;
    // The text starts one byte (the quote) into the value; exact unless an escape comes first.
    let start = e.value.span().start + 1;
    let at = |from: usize, to: usize| Span::new(start + from, start + to);
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut ok = true;
    let mut rest = text.char_indices().peekable();
    while let Some((i, c)) = rest.next() {
        match c {
            '{' if rest.peek().map(|(_, c)| *c) == Some('{') => {
                rest.next();
                literal.push('{');
            }
            '}' if rest.peek().map(|(_, c)| *c) == Some('}') => {
                rest.next();
                literal.push('}');
            }
            '{' => {
                let Some(close) = text[i..].find('}').map(|n| i + n) else {
                    cx.report(
                        Diagnostic::error(Code::InvalidValue, at(i, i + 1), "a `{` with no `}`")
                            .label("unclosed placeholder")
                            .help("close it, as in `{value}`, or write `{{` for a brace"),
                    );
                    return None;
                };
                let name = text[i + 1..close].trim();
                let known = PLACEHOLDERS.contains(&name)
                    || by.is_none_or(|cols| cols.iter().any(|c| c == name));
                if !known {
                    let mut names: Vec<&str> = PLACEHOLDERS.to_vec();
                    names.extend(by.unwrap_or_default().iter().map(String::as_str));
                    cx.report(
                        Diagnostic::error(
                            Code::UnknownPlaceholder,
                            at(i, close + 1),
                            format!("unknown placeholder `{{{name}}}`"),
                        )
                        .label("not a placeholder")
                        .help(
                            did_you_mean(name, names.iter().copied()).unwrap_or_else(|| {
                                format!("the placeholders are {}", names.join(", "))
                            }),
                        ),
                    );
                    ok = false;
                }
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Placeholder(name.to_string()));
                while rest.peek().is_some_and(|(j, _)| *j <= close) {
                    rest.next();
                }
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    ok.then_some(Template { parts })
}
