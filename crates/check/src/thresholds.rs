//! Owns `thresholds`: the general form (a block of `status: condition`) and the shorthand
//! (`green >= 40%, amber >= 35%, red otherwise`), both lowered to an ordered list of rules.

use super::expr::Lowering;
use super::model::{Expr, Rag, Threshold};
use super::units::{self, Ty};
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::{Entry, ExprKind, Ident, Item, Value};

const STATUSES: &[&str] = &["green", "amber", "red"];

pub fn check(lw: &mut Lowering, e: &Entry, value_ty: Ty) -> Option<Vec<Threshold>> {
    let mut rules: Vec<(Rag, Option<Expr>, Span)> = Vec::new();
    let mut ok = true;
    match &e.value {
        Value::Block(list, _) => {
            for rule in list {
                let Some(status) = status(lw, &rule.key) else {
                    ok = false;
                    continue;
                };
                let Value::Items(items, span) = &rule.value else {
                    ok = false;
                    continue;
                };
                match items.as_slice() {
                    [item] if is_otherwise(item) => rules.push((status, None, rule.span)),
                    [item] if item.modifiers.is_empty() => match lw.lower(&item.expr) {
                        Some((x, Ty::Bool | Ty::Unknown)) => {
                            rules.push((status, Some(x), rule.span))
                        }
                        Some((_, t)) => {
                            lw.cx.report(
                                Diagnostic::error(
                                    Code::Thresholds,
                                    item.span,
                                    format!(
                                        "a threshold must be a condition, found {}",
                                        t.describe()
                                    ),
                                )
                                .label("expected a condition")
                                .help("for example `green: value >= target`"),
                            );
                            ok = false;
                        }
                        None => ok = false,
                    },
                    _ => {
                        lw.cx.report(
                            Diagnostic::error(
                                Code::Thresholds,
                                *span,
                                "expected one condition, or `otherwise`",
                            )
                            .label("not a threshold rule"),
                        );
                        ok = false;
                    }
                }
            }
        }
        Value::Items(items, _) => {
            for item in items {
                match shorthand(lw, item, value_ty) {
                    Some(rule) => rules.push(rule),
                    None => ok = false,
                }
            }
        }
    }
    if !ok {
        return None;
    }
    for (i, (s, _, span)) in rules.iter().enumerate() {
        if let Some((_, _, first)) = rules[..i].iter().find(|(f, _, _)| f == s) {
            lw.cx.report(
                Diagnostic::error(
                    Code::Thresholds,
                    *span,
                    format!("`{}` has two rules", s.name()),
                )
                .label("second rule")
                .related(*first, "first rule")
                .help("give each status one rule; combine conditions with `or`"),
            );
            return None;
        }
    }
    if let Some(pos) = rules.iter().position(|(_, c, _)| c.is_none()) {
        if pos + 1 != rules.len() {
            lw.cx.report(
                Diagnostic::error(
                    Code::Thresholds,
                    rules[pos].2,
                    "`otherwise` must be the last rule",
                )
                .label("rules after this one would never apply")
                .help("rules are tried in order; move `otherwise` to the end"),
            );
            return None;
        }
    } else {
        lw.cx.report(
            Diagnostic::error(
                Code::Thresholds,
                e.value.span(),
                "these thresholds leave some values without a status",
            )
            .label("no `otherwise` rule")
            .help("end with a catch-all rule such as `red otherwise`"),
        );
        return None;
    }
    Some(
        rules
            .into_iter()
            .map(|(status, when, _)| Threshold { status, when })
            .collect(),
    )
}

fn is_otherwise(item: &Item) -> bool {
    matches!(&item.expr.kind, ExprKind::Path(p) if p.len() == 1 && p[0].text == "otherwise")
        && item.modifiers.is_empty()
}

fn status(lw: &mut Lowering, word: &Ident) -> Option<Rag> {
    status_word(lw.cx, word, Code::Thresholds)
}

/// A status written as a word (`green`, `amber`, `red`), reported under `code` when it is none.
pub fn status_word(cx: &mut Checker, word: &Ident, code: Code) -> Option<Rag> {
    match word.text.as_str() {
        "green" => Some(Rag::Green),
        "amber" => Some(Rag::Amber),
        "red" => Some(Rag::Red),
        other => {
            cx.report(
                Diagnostic::error(code, word.span, format!("unknown status `{other}`"))
                    .label("not a status")
                    .help(
                        did_you_mean(other, STATUSES.iter().copied())
                            .unwrap_or_else(|| "the statuses are green, amber and red".into()),
                    ),
            );
            None
        }
    }
}

/// `green >= 40%` or `red otherwise`.
fn shorthand(lw: &mut Lowering, item: &Item, value_ty: Ty) -> Option<(Rag, Option<Expr>, Span)> {
    match (&item.expr.kind, item.modifiers.as_slice()) {
        (ExprKind::Path(p), [m]) if p.len() == 1 && m.text == "otherwise" => {
            Some((status(lw, &p[0])?, None, item.span))
        }
        (ExprKind::Binary { op, left, right }, []) if op.is_comparison() => {
            let ExprKind::Path(p) = &left.kind else {
                return bad(lw, item.span);
            };
            let [word] = p.as_slice() else {
                return bad(lw, item.span);
            };
            let s = status(lw, word);
            let (rhs, rt) = lw.lower(right)?;
            let s = s?;
            if units::same(value_ty, rt).is_none() || rt == Ty::Bool {
                lw.cx.report(
                    Diagnostic::error(
                        Code::UnitMismatch,
                        right.span,
                        format!("cannot compare the KPI's value ({}) with {}", value_ty.describe(), rt.describe()),
                    )
                    .label("units do not match")
                    .help("a threshold is in the KPI's own unit: money for money, a percent or number for ratios"),
                );
                return None;
            }
            let cond = Expr::Compare {
                op: super::filter::cmp(*op),
                left: Box::new(Expr::Value),
                right: Box::new(rhs),
            };
            Some((s, Some(cond), item.span))
        }
        _ => bad(lw, item.span),
    }
}

fn bad(lw: &mut Lowering, span: Span) -> Option<(Rag, Option<Expr>, Span)> {
    lw.cx.report(
        Diagnostic::error(Code::Thresholds, span, "expected a rule such as `green >= 40%` or `red otherwise`")
            .label("not a threshold rule")
            .help("the shorthand is `green >= 40%, amber >= 35%, red otherwise`; the long form is a block `{ green: value >= target ... }`"),
    );
    None
}
