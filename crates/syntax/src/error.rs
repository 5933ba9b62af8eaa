//! Owns turning pest's first syntax error in a declaration into a diagnostic in plain words.

use super::Rule;
use pest::error::{ErrorVariant, InputLocation};
use scorecard_diagnostic::{Code, Diagnostic, Span};

pub fn from_pest(e: pest::error::Error<Rule>, source: &str, offset: usize) -> Diagnostic {
    let at = offset
        + match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let at = at.min(source.len());
    let found = found_at(source, at);
    // At least one whole character, so a span never ends inside a multi-byte character.
    let first = source[at..].chars().next().map_or(0, char::len_utf8);
    let span = Span::new(at, at + found.len().max(first));
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => describe(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let shown = if found.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{found}`")
    };
    let unclosed = found.is_empty() && expected.contains("`}`");
    let code = if unclosed {
        Code::UnclosedBlock
    } else {
        Code::Syntax
    };
    let mut d = Diagnostic::error(code, span, format!("expected {expected}, found {shown}"))
        .label(format!("expected {expected} here"));
    if unclosed {
        d = d.help("a `{` in this declaration has no matching `}`");
    } else if found.starts_with('\'') {
        d = d.help("strings are written in double quotes: \"like this\"");
    } else if found == "=" {
        d = d.help("properties are written `key: value`");
    }
    d
}

/// The token at a position: a word, a number, or one character.
fn found_at(source: &str, at: usize) -> &str {
    let rest = &source[at..];
    let end = rest
        .char_indices()
        .find(|(i, c)| {
            if *i == 0 {
                return false;
            }
            let first = rest.chars().next().unwrap_or(' ');
            if first.is_alphanumeric() || first == '_' {
                !(c.is_alphanumeric() || *c == '_' || *c == '.')
            } else {
                true
            }
        })
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    rest[..end].trim()
}

fn describe(rules: &[Rule]) -> String {
    let mut words: Vec<&str> = Vec::new();
    for r in rules {
        let w = match r {
            Rule::ident | Rule::path => "a name",
            Rule::string => "a string in double quotes",
            Rule::block => "`{`",
            Rule::entry => "a `key: value` line",
            Rule::value | Rule::items | Rule::item | Rule::expr => "a value",
            Rule::declaration | Rule::doc_comment => "a declaration",
            Rule::EOI => "end of file",
            Rule::number
            | Rule::percent
            | Rule::date
            | Rule::call
            | Rule::list
            | Rule::group
            | Rule::duration
            | Rule::same_period_last_year => "a value",
            Rule::modifier => "a word",
            Rule::or
            | Rule::and
            | Rule::eq
            | Rule::ne
            | Rule::le
            | Rule::ge
            | Rule::lt
            | Rule::gt
            | Rule::add
            | Rule::sub
            | Rule::mul
            | Rule::div
            | Rule::of => "an operator",
            Rule::arg => "an argument",
            Rule::index => "`[`",
            Rule::colon => "`:`",
            Rule::close => "`}`",
            Rule::where_kw => "`where`",
            _ => continue,
        };
        if !words.contains(&w) {
            words.push(w);
        }
    }
    match words.len() {
        0 => "something else".to_string(),
        1 => words[0].to_string(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}
