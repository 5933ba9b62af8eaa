//! Owns turning scorecard text into a syntax tree with spans, reporting every syntax error it can find.

pub mod ast;
mod error;
pub mod limits;
mod print;
mod split;
mod tree;

pub use print::print;

use crate::diagnostic::Diagnostic;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/scorecard.pest"]
struct ScorecardParser;

/// What the parser could build, and every syntax error it met.
#[derive(Debug, Default)]
pub struct Parsed {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
    /// Names of declarations that did not parse, so the checker does not report them as unknown.
    pub broken: Vec<String>,
}

/// Parses a whole file. The file is cut into top-level declarations first (by balanced braces) and
/// each is parsed on its own, so one syntax error does not hide errors in the declarations after it.
pub fn parse(source: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for chunk in split::declarations(source) {
        let text = &source[chunk.clone()];
        match declaration(source, text, chunk.start) {
            Ok(Some(d)) => parsed.file.declarations.push(d),
            Ok(None) => {}
            Err(e) => {
                parsed.diagnostics.push(e);
                parsed.broken.extend(declared_name(text));
            }
        }
    }
    parsed
}

/// One declaration's text (at `offset` in `source`) parsed, or its first syntax error. Nesting is
/// checked before pest sees the text, so pest's recursion stays within `limits::MAX_NESTING`.
fn declaration(
    source: &str,
    text: &str,
    offset: usize,
) -> Result<Option<ast::Declaration>, Diagnostic> {
    if let Some(d) = limits::nesting(text, offset) {
        return Err(d);
    }
    let mut pairs = ScorecardParser::parse(Rule::declaration_only, text)
        .map_err(|e| error::from_pest(e, source, offset))?;
    match pairs.next().and_then(|p| p.into_inner().next()) {
        Some(decl) => tree::declaration(decl, offset).map(Some),
        None => Ok(None),
    }
}

/// The name a declaration that failed to parse was probably giving: its second word.
fn declared_name(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.starts_with("//") && !l.is_empty())?
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .nth(1)
        .map(str::to_string)
}
