//! Owns turning scorecard text into a syntax tree with spans, reporting every syntax error it can find.

pub mod ast;
mod error;
pub mod limits;
mod print;
mod split;
mod tree;

/// The status `is insufficient data` tests for, named as one word as the results name it.
pub const INSUFFICIENT_DATA: &str = "insufficient_data";

pub use print::print;

use pest::Parser;
use scorecard_diagnostic::Diagnostic;

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
    let chunks = split::declarations(source);
    let mut parsed = Parsed::default();
    for (chunk, result) in chunks.iter().zip(parse_each(source, &chunks)) {
        match result {
            Ok(Some(d)) => parsed.file.declarations.push(d),
            Ok(None) => {}
            Err(e) => {
                parsed.diagnostics.push(e);
                parsed.broken.extend(declared_name(&source[chunk.clone()]));
            }
        }
    }
    parsed
}

/// From what size a file's declarations are parsed on several threads.
const PARALLEL_FROM: usize = 256 << 10;

/// Room for pest's recursion on a parsing thread: as much as the main thread has.
const PARSER_STACK: usize = 8 << 20;

type Outcome = Result<Option<ast::Declaration>, Diagnostic>;

/// Each of `chunks` parsed, in order: a large file's in runs of consecutive declarations, one run
/// to a thread (the declarations are independent until they are checked).
fn parse_each(source: &str, chunks: &[std::ops::Range<usize>]) -> Vec<Outcome> {
    let one =
        |chunk: &std::ops::Range<usize>| declaration(source, &source[chunk.clone()], chunk.start);
    let threads = match source.len() < PARALLEL_FROM {
        true => 1,
        false => std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
    };
    if threads == 1 || chunks.len() < 2 {
        return chunks.iter().map(one).collect();
    }
    let per_thread = chunks.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .chunks(per_thread)
            .map(|run| {
                let parse_run = move || run.iter().map(one).collect::<Vec<Outcome>>();
                std::thread::Builder::new()
                    .stack_size(PARSER_STACK)
                    .spawn_scoped(scope, parse_run)
                    .map_err(|_| run)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                // No thread to be had: parse the run here.
                Err(run) => run.iter().map(one).collect(),
            })
            .collect()
    })
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
