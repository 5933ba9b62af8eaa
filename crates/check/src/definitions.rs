//! Owns a KPI's change control: `effective` (the day its value's definition took effect),
//! `previously` (the definitions it replaced, nested back in time) and `renamed_from`.

use super::entries::{self, Entries};
use super::expr::Lowering;
use super::model::{Definition, Effective, Expr};
use super::units::{self, Ty};
use scorecard_diagnostic::{Code, Diagnostic, Span};
use scorecard_syntax::ast::{Entry, ExprKind, Value};

const PREVIOUS_KEYS: &[&str] = &["value", "effective", "previously"];

/// What a definition's value is lowered by (the KPI's own expression reader).
pub type Lower<'f> = &'f dyn Fn(&mut Lowering, &Entry) -> Option<(Expr, Ty)>;

/// The current definition's `effective` day and the earlier definitions, newest first; `None` after
/// reporting an error. `value_ty` is the current value's unit, which every earlier one must share.
pub fn read(
    lw: &mut Lowering,
    e: &Entries,
    value_ty: Ty,
    lower: Lower,
) -> Option<(Option<Effective>, Vec<Definition>)> {
    let current = match e.get("effective") {
        Some(x) => Some(effective(lw, x)?),
        None => None,
    };
    let mut newer_span = current.as_ref().map(|(_, span)| *span);
    let current = current.map(|(day, _)| day);
    let mut previously = Vec::new();
    let mut ok = true;
    let mut newer = current.clone();
    let mut entry = e.get("previously");
    // `effective` without `previously` and the reverse are both incomplete.
    if let (Some(x), None) = (e.get("effective"), entry) {
        lw.cx.report(no_earlier(x.key.span));
        ok = false;
    }
    while let Some(p) = entry {
        let Value::Block(list, _) = &p.value else {
            lw.cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    p.value.span(),
                    "`previously` expects a block with the earlier definition",
                )
                .label("expected `{ value: ... }`")
                .help("write `previously: { value: (sum(orders.revenue) - sum(orders.cogs)) / sum(orders.revenue) }`"),
            );
            return None;
        };
        if newer.is_none() {
            lw.cx.report(
                Diagnostic::error(
                    Code::MissingKey,
                    p.key.span,
                    "an earlier definition with no day on which the next one took effect",
                )
                .label("replaced when?")
                .help("add `effective: 2026-07-01` beside the definition that replaced it (the first day of the first period it applies to)"),
            );
            ok = false;
        }
        let inner = Entries::read(lw.cx, "an earlier definition", list, PREVIOUS_KEYS);
        let value = match inner.get("value") {
            None => {
                entries::missing_key(
                    lw.cx,
                    p.key.span,
                    "an earlier definition",
                    "value",
                    "sum(orders.revenue)",
                );
                None
            }
            Some(v) => lower(lw, v).and_then(|(x, ty)| same_unit(lw, v, ty, value_ty).then_some(x)),
        };
        let dated = match inner.get("effective") {
            Some(x) => effective(lw, x).map(Some),
            None => Some(None),
        };
        let span = dated.as_ref().and_then(|d| d.as_ref().map(|(_, s)| *s));
        let day = dated.map(|d| d.map(|(day, _)| day));
        let (Some(value), Some(day)) = (value, day) else {
            ok = false;
            entry = inner.get("previously");
            continue;
        };
        if let (Some(d), Some(n)) = (&day, &newer) {
            if d.day >= n.day {
                let mut diag = Diagnostic::error(
                    Code::InvalidValue,
                    span.unwrap_or(p.key.span),
                    format!(
                        "an earlier definition taking effect on {}, not before the one that replaced it ({})",
                        d.date, n.date
                    ),
                )
                .label("not earlier")
                .help("each `previously` goes back in time: its `effective` is before the one above it");
                if let Some(s) = newer_span {
                    diag = diag.related(s, "the definition that replaced it");
                }
                lw.cx.report(diag);
                ok = false;
            }
        }
        let next = inner.get("previously");
        if let (Some(x), None) = (inner.get("effective"), next) {
            lw.cx.report(no_earlier(x.key.span));
            ok = false;
        }
        newer_span = span;
        newer = day.clone();
        previously.push(Definition {
            value,
            effective: day,
            doc: p.doc.clone(),
            line: lw.cx.line(p.span),
        });
        entry = next;
    }
    ok.then_some((current, previously))
}

/// The day a definition took effect: a date that starts a period at the scorecard's grain.
fn effective(lw: &mut Lowering, e: &Entry) -> Option<(Effective, Span)> {
    let x = entries::expression(lw.cx, e, "a date such as 2026-07-01")?;
    let day = match &x.kind {
        ExprKind::Date(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
        _ => None,
    };
    let Some(day) = day else {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                x.span,
                "`effective` expects a date written YYYY-MM-DD",
            )
            .label("not a date")
            .help("write the first day of the first period the definition applies to, such as `effective: 2026-07-01`"),
        );
        return None;
    };
    let periods = lw.scope.periods;
    let p = periods.of_date(day);
    let (first, _) = periods.bounds(p);
    if first != day {
        lw.cx.report(
            Diagnostic::error(
                Code::EffectiveMidPeriod,
                x.span,
                format!(
                    "{day} falls inside the period {}: a definition takes effect at the start of a period",
                    periods.label(p)
                ),
            )
            .label("not the first day of a period")
            .help(format!(
                "write `effective: {first}` to apply it from {}, or `effective: {}` to apply it from the period after",
                periods.label(p),
                periods.bounds(p + 1).0
            )),
        );
        return None;
    }
    let effective = Effective {
        date: day.to_string(),
        day: scorecard_model::calendar::days(day),
    };
    Some((effective, x.span))
}

fn no_earlier(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::MissingKey,
        span,
        "`effective` without the definition it replaced",
    )
    .label("replaced what?")
    .help("write the earlier definition below it: `previously: { value: ... }`; a definition that never changed needs no `effective`")
}

/// Whether an earlier definition is in the current one's unit, reporting when not.
fn same_unit(lw: &mut Lowering, e: &Entry, ty: Ty, current: Ty) -> bool {
    if units::same(ty, current).is_some() {
        return true;
    }
    lw.cx.report(
        Diagnostic::error(
            Code::UnitMismatch,
            e.value.span(),
            format!(
                "the earlier definition is {} but the current one is {}",
                ty.describe(),
                current.describe()
            ),
        )
        .label("another unit")
        .help("a KPI keeps its unit across definitions; declare a new KPI for a new unit"),
    );
    false
}

/// `renamed_from: margin_pct` or `[margin_pct, gm_pct]`: names that must not belong to another KPI
/// declared now (`declared_now`).
pub fn renamed_from(
    lw: &mut Lowering,
    e: Option<&Entry>,
    declared_now: impl Fn(&str) -> bool,
) -> Vec<String> {
    let Some(e) = e else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for w in entries::word_list(lw.cx, e) {
        if declared_now(&w.text) {
            lw.cx.report(
                Diagnostic::error(
                    Code::DuplicateName,
                    w.span,
                    format!("`{}` is still a KPI in this scorecard", w.text),
                )
                .label("not a former name")
                .help("`renamed_from` lists names this KPI had before; remove it, or rename the other KPI"),
            );
            continue;
        }
        out.push(w.text.clone());
    }
    out
}
