//! Owns reading a declaration's `key: value` entries: known keys, duplicates, and the simple value shapes.

use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::{Entry, Expr, ExprKind, Ident, Item, Value};
use std::collections::BTreeMap;

/// The entries of one block by key, after reporting unknown and repeated keys.
pub struct Entries<'a> {
    by_key: BTreeMap<&'a str, &'a Entry>,
}

impl<'a> Entries<'a> {
    pub fn read(cx: &mut Checker, what: &str, list: &'a [Entry], allowed: &[&str]) -> Self {
        let mut by_key: BTreeMap<&'a str, &'a Entry> = BTreeMap::new();
        for e in list {
            let key = e.key.text.as_str();
            if e.quoted {
                cx.report(
                    Diagnostic::error(
                        Code::UnknownKey,
                        e.key.span,
                        format!("a quoted key `\"{key}\"` in {what}"),
                    )
                    .label("keys are names")
                    .help(
                        "quoted period names are keys only inside `target` and `thresholds` blocks",
                    ),
                );
                continue;
            }
            if !allowed.contains(&key) {
                cx.report(
                    Diagnostic::error(
                        Code::UnknownKey,
                        e.key.span,
                        format!("unknown key `{key}` in {what}"),
                    )
                    .label("not a key of this declaration")
                    .help(
                        did_you_mean(key, allowed.iter().copied()).unwrap_or_else(|| {
                            format!("the keys of {what} are: {}", allowed.join(", "))
                        }),
                    ),
                );
                continue;
            }
            if let Some(first) = by_key.get(key) {
                cx.report(
                    Diagnostic::error(
                        Code::DuplicateKey,
                        e.key.span,
                        format!("`{key}` is given twice"),
                    )
                    .label("second definition")
                    .related(first.key.span, "first defined here")
                    .help("remove one of them"),
                );
                continue;
            }
            by_key.insert(key, e);
        }
        Entries { by_key }
    }

    pub fn get(&self, key: &str) -> Option<&'a Entry> {
        self.by_key.get(key).copied()
    }

    /// The entry for `key`, reported missing from `d` (with an example line) when not written.
    pub fn required(
        &self,
        cx: &mut Checker,
        d: &scorecard_syntax::ast::Declaration,
        key: &str,
        example: &str,
    ) -> Option<&'a Entry> {
        let got = self.get(key);
        if got.is_none() {
            let what = format!("{} `{}`", d.keyword.text, d.name.text);
            missing_key(cx, d.name.span, &what, key, example);
        }
        got
    }
}

/// A range whose low bound is above its high bound.
pub fn empty_range(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        span,
        "the low bound is above the high bound",
    )
    .label("empty range")
    .help("write the lower bound first")
}

pub fn missing_key(cx: &mut Checker, span: Span, what: &str, key: &str, example: &str) {
    cx.report(
        Diagnostic::error(Code::MissingKey, span, format!("{what} has no `{key}`"))
            .label(format!("`{key}` is required here"))
            .help(format!("add a line such as `{key}: {example}`")),
    );
}

/// The single item of an entry written as one value (no block, no commas).
pub fn single<'a>(cx: &mut Checker, e: &'a Entry, expected: &str) -> Option<&'a Item> {
    match &e.value {
        Value::Items(items, _) if items.len() == 1 => Some(&items[0]),
        other => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    other.span(),
                    format!("`{}` expects {expected}", e.key.text),
                )
                .label(format!("expected {expected}")),
            );
            None
        }
    }
}

/// The expression of an entry written as one expression, with no words after it.
pub fn expression<'a>(cx: &mut Checker, e: &'a Entry, expected: &str) -> Option<&'a Expr> {
    let item = single(cx, e, expected)?;
    if let Some(m) = item.modifiers.first() {
        cx.report(
            Diagnostic::error(
                Code::Syntax,
                m.span,
                format!("unexpected `{}` after the expression", m.text),
            )
            .label("expected an operator or the end of the line")
            .help("join parts of an expression with an operator such as `+` or `and`"),
        );
        return None;
    }
    Some(&item.expr)
}

/// An item that must be a bare word (`month`, `higher`).
pub fn word<'a>(cx: &mut Checker, e: &'a Entry, expected: &str) -> Option<&'a Ident> {
    let item = single(cx, e, expected)?;
    match (&item.expr.kind, item.modifiers.is_empty()) {
        (ExprKind::Path(parts), true) if parts.len() == 1 => Some(&parts[0]),
        _ => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    item.span,
                    format!("`{}` expects {expected}", e.key.text),
                )
                .label(format!("expected {expected}")),
            );
            None
        }
    }
}

/// An item that must be a string literal.
pub fn string(cx: &mut Checker, e: &Entry) -> Option<String> {
    let item = single(cx, e, "a string in double quotes")?;
    match &item.expr.kind {
        ExprKind::Str(s) if item.modifiers.is_empty() => Some(s.clone()),
        _ => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    item.span,
                    format!("`{}` expects a string in double quotes", e.key.text),
                )
                .label("expected a string")
                .help(format!("write `{}: \"...\"`", e.key.text)),
            );
            None
        }
    }
}

/// The bare words of a value: `region` or `[region, channel]`.
pub fn word_list<'a>(cx: &mut Checker, e: &'a Entry) -> Vec<&'a Ident> {
    let Some(item) = single(cx, e, "a column name or a list of them") else {
        return Vec::new();
    };
    let exprs: Vec<&Expr> = match &item.expr.kind {
        ExprKind::List(list) => list.iter().collect(),
        _ => vec![&item.expr],
    };
    let mut words = Vec::new();
    for x in exprs {
        match &x.kind {
            ExprKind::Path(parts) if parts.len() == 1 => words.push(&parts[0]),
            _ => cx.report(
                Diagnostic::error(Code::InvalidValue, x.span, "expected a column name")
                    .label("not a column name"),
            ),
        }
    }
    words
}
