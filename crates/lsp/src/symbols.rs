//! Owns what the language server knows of one document's names: its declarations and dataset
//! columns with their places, and which of them a word under the cursor means.

use scorecard_diagnostic::Span;
use scorecard_syntax::{self as syntax, ast::Declaration, ast::Value};

/// A column of a declared dataset.
pub struct Column {
    pub dataset: String,
    pub name: String,
    pub span: Span,
    /// The type as written: `money`, `text key`.
    pub ty: String,
}

/// The names of a document, from its syntax tree (declarations that do not parse are left out).
pub struct Symbols {
    pub declarations: Vec<Declaration>,
    pub columns: Vec<Column>,
}

pub enum Target<'a> {
    Declaration(&'a Declaration),
    Column(&'a Column),
}

impl Symbols {
    pub fn of(text: &str) -> Symbols {
        let declarations = syntax::parse(text).file.declarations;
        let mut columns = Vec::new();
        for d in declarations.iter().filter(|d| d.keyword.text == "dataset") {
            for e in d.entries.iter().filter(|e| e.key.text == "columns") {
                let Value::Block(list, _) = &e.value else {
                    continue;
                };
                for c in list {
                    let span = c.value.span();
                    columns.push(Column {
                        dataset: d.name.text.clone(),
                        name: c.key.text.clone(),
                        span: c.key.span,
                        ty: text
                            .get(span.start..span.end)
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                    });
                }
            }
        }
        Symbols {
            declarations,
            columns,
        }
    }

    /// A declaration others can refer to by name (not the header, not a test).
    pub fn named(&self, name: &str) -> Option<&Declaration> {
        self.declarations.iter().find(|d| {
            d.name.text == name && !matches!(d.keyword.text.as_str(), "scorecard" | "test")
        })
    }

    pub fn column(&self, dataset: &str, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.dataset == dataset && c.name == name)
    }

    /// What the word under `offset` names: in `orders.revenue`, the dataset or its column; a bare
    /// word is a declaration, or else a column of the dataset named last before it in the same
    /// declaration (as in `sum(orders.revenue where channel = "web")`).
    pub fn resolve(&self, text: &str, offset: usize) -> Option<Target<'_>> {
        let (start, end) = word_at(text, offset)?;
        let path = &text[start..end];
        let parts: Vec<&str> = path.split('.').collect();
        let part = text[start..offset.min(end)].matches('.').count();
        if part == 0 {
            if let Some(d) = self.named(parts[0]) {
                return Some(Target::Declaration(d));
            }
        }
        if parts.len() == 2 && part == 1 {
            return self.column(parts[0], parts[1]).map(Target::Column);
        }
        if parts.len() != 1 {
            return None;
        }
        let candidates: Vec<&Column> = self.columns.iter().filter(|c| c.name == parts[0]).collect();
        let inside = self
            .declarations
            .iter()
            .find(|d| d.span.start <= start && start <= d.span.end)
            .map_or(0, |d| d.span.start);
        let before = &text[inside..start];
        candidates
            .into_iter()
            .max_by_key(|c| {
                [
                    format!("{}.", c.dataset),
                    format!("{} where", c.dataset),
                    format!("({}", c.dataset),
                ]
                .iter()
                .filter_map(|p| before.rfind(p.as_str()))
                .max()
                .map_or(0, |p| p + 1)
            })
            .map(Target::Column)
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// The byte range of the name or dotted path around `offset`.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let mut start = offset;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    while start < end && bytes[start] == b'.' {
        start += 1;
    }
    while end > start && bytes[end - 1] == b'.' {
        end -= 1;
    }
    let first = *bytes.get(start)?;
    (start < end && (first.is_ascii_alphabetic() || first == b'_')).then_some((start, end))
}
