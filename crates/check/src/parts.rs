//! Owns the small value shapes that attribution, allocation and view declarations share: a dataset
//! named by a word, a `dataset.column` path, a join condition and a length in days.

use super::entries;
use super::filter;
use super::model::{Column, ColumnType, Dataset};
use super::Checker;
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic};
use scorecard_syntax::ast::{BinaryOp, Entry, Expr, ExprKind};

/// The dataset an entry names: `touches: touchpoints`.
pub fn dataset<'d>(cx: &mut Checker, e: &Entry, datasets: &'d [Dataset]) -> Option<&'d Dataset> {
    let w = entries::word(cx, e, "a dataset's name")?;
    if let Some(ds) = datasets.iter().find(|d| d.name == w.text) {
        return Some(ds);
    }
    if !cx.is_broken(&w.text) {
        cx.report(
            Diagnostic::error(
                Code::UnknownDataset,
                w.span,
                format!("no dataset is named `{}`", w.text),
            )
            .label("unknown dataset")
            .maybe_help(did_you_mean(
                &w.text,
                datasets.iter().map(|d| d.name.as_str()),
            )),
        );
    }
    None
}

/// A column of `ds`, written `ds.column` (or just `column`).
pub fn column(cx: &mut Checker, e: &Expr, ds: &Dataset) -> Option<(String, ColumnType)> {
    let ExprKind::Path(parts) = &e.kind else {
        cx.report(
            Diagnostic::error(Code::InvalidValue, e.span, "expected a column")
                .label(format!("expected `{}.column`", ds.name)),
        );
        return None;
    };
    let col = match parts.as_slice() {
        [c] => c,
        [d, c] if d.text == ds.name => c,
        [d, _] => {
            cx.report(
                Diagnostic::error(
                    Code::UnknownColumn,
                    d.span,
                    format!("expected a column of `{}`, not of `{}`", ds.name, d.text),
                )
                .label("another dataset")
                .help(format!("write `{}.column`", ds.name)),
            );
            return None;
        }
        _ => {
            cx.report(
                Diagnostic::error(Code::UnknownColumn, e.span, "expected `dataset.column`")
                    .label("too many parts"),
            );
            return None;
        }
    };
    match ds.column(&col.text) {
        Some(c) => Some((c.name.clone(), c.ty)),
        None => {
            cx.report(filter::unknown_column(ds, col));
            None
        }
    }
}

/// The single expression of an entry.
pub fn expr<'a>(cx: &mut Checker, e: &'a Entry, expected: &str) -> Option<&'a Expr> {
    let item = entries::single(cx, e, expected)?;
    if let Some(m) = item.modifiers.first() {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                m.span,
                format!("unexpected `{}`", m.text),
            )
            .label(format!("expected {expected}")),
        );
        return None;
    }
    Some(&item.expr)
}

/// A join condition `left.a = right.b and left.c = right.d`, as (left column, right column) pairs.
pub fn matches(
    cx: &mut Checker,
    e: &Expr,
    left: &Dataset,
    right: &Dataset,
) -> Option<Vec<(String, String)>> {
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::And,
            left: a,
            right: b,
        } => {
            let mut pairs = matches(cx, a, left, right)?;
            pairs.extend(matches(cx, b, left, right)?);
            Some(pairs)
        }
        ExprKind::Binary {
            op: BinaryOp::Eq,
            left: a,
            right: b,
        } => {
            // Either side may come first.
            let (a, b) = match &a.kind {
                ExprKind::Path(p) if p.len() == 2 && p[0].text == right.name => (b, a),
                _ => (a, b),
            };
            let (l, lt) = column(cx, a, left)?;
            let (r, rt) = column(cx, b, right)?;
            if (lt == ColumnType::Text) != (rt == ColumnType::Text) {
                cx.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        e.span,
                        format!(
                            "`{}.{l}` is {} but `{}.{r}` is {}",
                            left.name,
                            lt.name(),
                            right.name,
                            rt.name()
                        ),
                    )
                    .label("these never match")
                    .help("match columns of the same type"),
                );
                return None;
            }
            Some(vec![(l, r)])
        }
        _ => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    e.span,
                    "expected columns that must be equal",
                )
                .label("not a match condition")
                .help(format!(
                    "for example `{}.customer = {}.customer`",
                    left.name, right.name
                )),
            );
            None
        }
    }
}

/// A positive length of time in days: `30 days`, `2 weeks`, `7 days`.
pub fn days(cx: &mut Checker, e: &Expr) -> Option<Decimal> {
    let bad = |cx: &mut Checker| {
        cx.report(
            Diagnostic::error(Code::InvalidValue, e.span, "expected a length of time")
                .label("not a number of days or weeks")
                .help("write, for example, `30 days` or `2 weeks`"),
        );
        None
    };
    let ExprKind::Duration { count, unit } = &e.kind else {
        return bad(cx);
    };
    let per = match unit.text.trim_end_matches('s') {
        "day" => Decimal::ONE,
        "week" => Decimal::from(7),
        _ => return bad(cx),
    };
    match cx.decimal(count, e.span) {
        Some(n) if n > Decimal::ZERO => n.checked_mul(per).or_else(|| bad(cx)),
        Some(_) => bad(cx),
        None => None,
    }
}

/// A column of a derived table.
pub fn derived_column(name: &str, ty: ColumnType, doc: &str) -> Column {
    Column {
        name: name.to_string(),
        ty,
        currency: None,
        key: false,
        doc: Some(doc.to_string()),
    }
}

/// The table a rule declared by `d` derives (an attribution's credit, an allocation's cost, a
/// view's or a cohort's rows), by `time`, with `columns`: named and documented as `d` is.
pub fn derived_table(
    cx: &Checker,
    d: &scorecard_syntax::ast::Declaration,
    (format, time): (super::model::SourceFormat, &str),
    columns: Vec<Column>,
) -> Dataset {
    Dataset {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        doc: d.doc.clone(),
        source: String::new(),
        format,
        sheet: None,
        range: None,
        time: time.to_string(),
        columns,
        complete: Default::default(),
        checks: Vec::new(),
        time_zone: None,
        grain: None,
        line: cx.line(d.name.span),
    }
}
