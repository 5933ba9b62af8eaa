//! Owns `scorecard fmt`: one canonical layout of a scorecard file, every comment kept, the meaning
//! unchanged (the result is parsed again and compared before it is returned).
//!
//! The rules are in docs/formatting.md. In short: two-space indentation, one entry per line, one
//! space around operators, at most one blank line, values aligned in nested blocks and trailing
//! comments aligned in runs; a block written on one line stays on one line, and an expression keeps
//! the line breaks its author chose.

pub mod lex;
mod lines;

use lex::{Kind, Token};
use lines::Line;
use scorecard_diagnostic::Diagnostic;
use scorecard_syntax as syntax;

/// Why a file was not formatted.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("the file has syntax errors: fix them first")]
    Syntax(Vec<Diagnostic>),
    #[error(
        "formatting would change what the file says (a bug in the formatter): the file is left as it is"
    )]
    WouldChange,
}

/// The canonical layout of a scorecard file. Refuses a file that does not parse, and never returns
/// a text that parses differently or has lost a comment.
/// A byte-order mark at the start is dropped: the canonical layout has none.
pub fn format(source: &str) -> Result<String, FormatError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let before = syntax::parse(source);
    if !before.diagnostics.is_empty() {
        return Err(FormatError::Syntax(before.diagnostics));
    }
    let formatted = layout(source);
    let after = syntax::parse(&formatted);
    let same_tree =
        after.diagnostics.is_empty() && syntax::print(&after.file) == syntax::print(&before.file);
    if !same_tree || comments(source) != comments(&formatted) {
        return Err(FormatError::WouldChange);
    }
    Ok(formatted)
}

/// Every comment and doc comment of a text, in order, without trailing spaces: what formatting must
/// keep.
pub fn comments(source: &str) -> Vec<String> {
    lex::tokens(source)
        .into_iter()
        .filter(|t| t.is_comment())
        .map(|t| match t.kind {
            Kind::Doc => doc_line(t.text),
            _ => t.text.trim_end().to_string(),
        })
        .collect()
}

/// `///text` and `/// text` say the same (the parser drops one leading space): written with one.
fn doc_line(text: &str) -> String {
    let rest = text.trim_end().trim_start_matches("///");
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    if rest.is_empty() {
        "///".to_string()
    } else {
        format!("/// {rest}")
    }
}

fn layout(source: &str) -> String {
    let mut l = Layout {
        t: lex::tokens(source),
        i: 0,
        lines: Vec::new(),
        groups: 0,
    };
    while l.i < l.t.len() {
        let blank = l.t[l.i].newlines >= 2;
        if l.t[l.i].is_comment() && l.t[l.i].kind != Kind::Doc {
            l.comment(0, blank);
        } else {
            l.declaration(blank);
        }
    }
    lines::render(&l.lines)
}

struct Layout<'a> {
    t: Vec<Token<'a>>,
    i: usize,
    lines: Vec<Line>,
    /// Numbers the nested blocks, whose one-line entries align their values.
    groups: usize,
}

/// Words after which `-` is a sign and `(` or `[` opens a group rather than a call or an index.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "of", "where", "is", "from", "than",
];

impl<'a> Layout<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.t.get(self.i).copied()
    }

    fn push(&mut self, line: Line) {
        self.lines.push(line);
    }

    fn last(&mut self) -> &mut Line {
        if self.lines.is_empty() {
            self.lines.push(Line::default());
        }
        let n = self.lines.len() - 1;
        &mut self.lines[n]
    }

    /// A comment at the current token: trailing the line before when it was written on that line,
    /// otherwise on a line of its own.
    fn comment(&mut self, indent: usize, blank: bool) {
        let Some(t) = self.peek() else { return };
        self.i += 1;
        let text = match t.kind {
            Kind::Doc => doc_line(t.text),
            _ => t.text.trim_end().to_string(),
        };
        let trailing = t.newlines == 0
            && t.kind != Kind::Doc
            && self
                .lines
                .last()
                .is_some_and(|l| l.comment.is_none() && !l.blank);
        if trailing {
            self.last().comment = Some(text);
            return;
        }
        if blank {
            self.push(Line::blank());
        }
        self.push(Line::code(indent, text));
    }

    /// `/// doc` `keyword name "Label" { ... }`
    fn declaration(&mut self, blank: bool) {
        if blank {
            self.push(Line::blank());
        }
        while self.peek().is_some_and(|t| t.kind == Kind::Doc) {
            self.comment(0, false);
        }
        let mut head: Vec<&str> = Vec::new();
        let mut comments = Vec::new();
        while let Some(t) = self.peek() {
            if t.is("{") {
                break;
            }
            if t.is_comment() {
                // A comment inside the header goes on its own line above it.
                comments.push(Line::code(0, t.text.trim_end().to_string()));
            } else {
                head.push(t.text);
            }
            self.i += 1;
        }
        self.lines.extend(comments);
        self.push(Line::code(0, head.join(" ")));
        self.block(0, false);
    }

    /// The index of the `}` that closes the `{` at `open`.
    fn closing(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for (k, t) in self.t.iter().enumerate().skip(open) {
            if t.is("{") {
                depth += 1;
            } else if t.is("}") {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
        }
        self.t.len()
    }

    /// A block at the current `{`, appended to the last line. `nested` is true for a block that is
    /// an entry's value, whose one-line entries align their values.
    fn block(&mut self, indent: usize, nested: bool) {
        let open = self.i;
        let close = self.closing(open);
        self.i += 1;
        let one_line = self.t[open + 1..=close.min(self.t.len() - 1)]
            .iter()
            .all(|t| t.newlines == 0 && !t.is_comment() && !t.text.contains('\n'));
        if one_line {
            let mut parts = Vec::new();
            while self.i < close {
                parts.push(self.entry_inline());
            }
            self.i = close + 1;
            let text = if parts.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", parts.join("  "))
            };
            self.last().append(&text);
            return;
        }
        self.last().append("{");
        let group = nested.then(|| {
            self.groups += 1;
            self.groups
        });
        let mut first = true;
        while self.i < close {
            let t = self.t[self.i];
            let blank = t.newlines >= 2 && !first;
            if t.is_comment() && t.kind != Kind::Doc {
                self.comment(indent + 1, blank);
            } else {
                self.entry(indent + 1, blank, group);
            }
            first = false;
        }
        self.i = close + 1;
        self.push(Line::code(indent, "}".to_string()));
    }

    /// `key: value` on lines of its own, with its doc comments above it.
    fn entry(&mut self, indent: usize, blank: bool, group: Option<usize>) {
        if blank {
            self.push(Line::blank());
        }
        while let Some(t) = self.peek().filter(|t| t.is_comment()) {
            let blank = t.newlines >= 2;
            self.comment(indent, blank && t.kind != Kind::Doc);
        }
        let mut line = Line::code(indent, String::new());
        line.key = self.key(indent);
        // Comments between the colon and a block's `{` stay on the entry's line.
        let mut k = self.i;
        while self
            .t
            .get(k)
            .is_some_and(|t| t.is_comment() && t.kind != Kind::Doc)
        {
            k += 1;
        }
        if self.t.get(k).is_some_and(|t| t.is("{")) {
            for t in &self.t[self.i..k] {
                match t.kind {
                    Kind::BlockComment => line.append(t.text),
                    _ => line.comment = Some(t.text.trim_end().to_string()),
                }
            }
            self.i = k;
        }
        self.push(line);
        if self.peek().is_some_and(|t| t.is("{")) {
            self.block(indent, true);
            return;
        }
        let at = self.lines.len() - 1;
        self.items(indent);
        let one_line = self.lines.len() == at + 1 && !self.lines[at].body.contains('\n');
        if one_line {
            self.lines[at].align = group;
        }
    }

    /// An entry's key and its colon, as `key:`. A block comment between them stays there; a line
    /// comment goes on a line of its own above the entry.
    fn key(&mut self, indent: usize) -> String {
        let mut key = self.peek().map(|t| t.text.to_string()).unwrap_or_default();
        self.i += 1;
        while let Some(t) = self.peek() {
            self.i += 1;
            if t.is(":") {
                break;
            }
            if t.kind == Kind::BlockComment {
                key = format!("{key} {}", t.text);
            } else {
                self.push(Line::code(indent, t.text.trim_end().to_string()));
            }
        }
        key.push(':');
        key
    }

    /// An entry of a block written on one line, as text.
    fn entry_inline(&mut self) -> String {
        let key = self.key(0);
        self.push(Line::code(0, key));
        if self.peek().is_some_and(|t| t.is("{")) {
            self.block(0, true);
        } else {
            self.last().body.push(' ');
            self.items(0);
        }
        self.lines.pop().map(|l| l.body).unwrap_or_default()
    }

    /// Whether the token at `k` ends a value at bracket depth 0: a closing brace, a doc comment, or
    /// the next entry's key.
    fn ends_value(&self, k: usize) -> bool {
        let Some(t) = self.t.get(k) else { return true };
        if t.is("}") || t.kind == Kind::Doc {
            return true;
        }
        let next = self.t[k + 1..].iter().find(|t| !t.is_comment());
        matches!(t.kind, Kind::Word | Kind::Str) && next.is_some_and(|n| n.is(":"))
    }

    /// The items of a value, appended to the last line; the author's line breaks start continuation
    /// lines, indented by how many brackets are open.
    fn items(&mut self, indent: usize) {
        let mut depth = 0usize;
        let mut prev: Option<Token> = None;
        let mut prev_sign = false;
        let mut break_line = false;
        while let Some(t) = self.peek() {
            if depth == 0 && self.ends_value(self.i) {
                break;
            }
            if t.is_comment() {
                let mut k = self.i;
                while self
                    .t
                    .get(k)
                    .is_some_and(|t| t.is_comment() && t.kind != Kind::Doc)
                {
                    k += 1;
                }
                let continues = depth > 0 || !self.ends_value(k);
                if !continues && t.newlines > 0 {
                    break;
                }
                self.i += 1;
                let text = t.text.trim_end().to_string();
                if t.newlines == 0 && t.kind == Kind::BlockComment && !text.contains('\n') {
                    self.last().append(&text);
                    continue;
                }
                if t.newlines == 0 && self.last().comment.is_none() {
                    self.last().comment = Some(text);
                } else {
                    self.push(Line::code(indent + depth.max(1), text));
                }
                break_line = true;
                continue;
            }
            let closer = t.is(")") || t.is("]");
            if break_line || (prev.is_some() && t.newlines > 0) {
                let level = if closer {
                    indent + depth.saturating_sub(1)
                } else {
                    indent + depth.max(1)
                };
                self.push(Line::code(level, String::new()));
            } else if self.last().body.ends_with("*/") {
                self.last().body.push(' ');
            } else if let Some(p) = prev {
                if spaced(&p, prev_sign, &t) {
                    self.last().body.push(' ');
                }
            }
            self.last().body.push_str(t.text);
            if t.is("(") || t.is("[") {
                depth += 1;
            } else if closer {
                depth = depth.saturating_sub(1);
            }
            prev_sign = t.is("-") && sign_position(prev.as_ref());
            prev = Some(t);
            break_line = false;
            self.i += 1;
        }
    }
}

/// Whether a `-` after `prev` is a sign rather than a subtraction.
fn sign_position(prev: Option<&Token>) -> bool {
    match prev {
        None => true,
        Some(p) => {
            p.kind == Kind::Op
                || ["(", "[", ",", ":"].iter().any(|s| p.is(s))
                || (p.kind == Kind::Word && KEYWORDS.contains(&p.text))
        }
    }
}

/// Whether one space separates two tokens on a line.
fn spaced(prev: &Token, prev_sign: bool, next: &Token) -> bool {
    if [",", ")", "]", ":"].iter().any(|s| next.is(s)) {
        return false;
    }
    if prev.is("(") || prev.is("[") || prev_sign {
        return false;
    }
    if next.is("(") || next.is("[") {
        let callee = prev.kind == Kind::Word && !KEYWORDS.contains(&prev.text);
        let indexed = next.is("[") && (prev.is(")") || prev.is("]"));
        return !(callee || indexed);
    }
    true
}

#[cfg(test)]
mod tests;
