//! Owns `parameter` declarations: each assumption's unit, base value, scenarios and tornado range,
//! and reading a parameter's name where a constant number is written (weights, scoring arguments,
//! a `clv` horizon, an allocation's capacity share).

use super::entries::{self, Entries};
use super::units::{Lit, Ty};
use super::Checker;
use rust_decimal::Decimal;
use scorecard_diagnostic::{Code, Diagnostic, Span};
use scorecard_model::parameter::{Assumed, ParamUnit, Parameter};
use scorecard_syntax::ast::{Declaration, Entry, ExprKind, UnaryOp, Value};

const KEYS: &[&str] = &["unit", "base", "scenarios", "range"];
const UNITS: &[&str] = &["percent", "money", "number"];

/// Checks every `parameter`, and puts the value each is assumed at (`assumed`, else its base) where
/// the rest of the file reads it.
pub fn check_all(cx: &mut Checker, decls: &[&Declaration], assumed: &Assumed) -> Vec<Parameter> {
    let out: Vec<Parameter> = decls.iter().filter_map(|d| check(cx, d)).collect();
    for p in &out {
        let value = assumed.values.get(&p.name).map_or(p.base, |(v, _)| *v);
        cx.parameters.insert(p.name.clone(), (value, p.unit));
    }
    for d in decls {
        if !out.iter().any(|p| p.name == d.name.text) {
            cx.broken.insert(d.name.text.clone());
        }
    }
    out
}

fn check(cx: &mut Checker, d: &Declaration) -> Option<Parameter> {
    let what = format!("parameter `{}`", d.name.text);
    let e = Entries::read(cx, "a parameter", &d.entries, KEYS);
    let unit = match e.get("unit") {
        None => {
            entries::missing_key(cx, d.name.span, &what, "unit", "percent");
            None
        }
        Some(u) => entries::word(cx, u, "`percent`, `money` or `number`").and_then(|w| {
            match w.text.as_str() {
                "percent" => Some(ParamUnit::Percent),
                "money" => Some(ParamUnit::Money),
                "number" => Some(ParamUnit::Number),
                other => {
                    cx.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            w.span,
                            format!("unknown parameter unit `{other}`"),
                        )
                        .label("not a unit")
                        .help(
                            scorecard_diagnostic::did_you_mean(other, UNITS.iter().copied())
                                .unwrap_or_else(|| "the units are: percent, money, number".into()),
                        ),
                    );
                    None
                }
            }
        }),
    }?;
    let base = match e.get("base") {
        None => {
            entries::missing_key(cx, d.name.span, &what, "base", example(unit));
            None
        }
        Some(b) => entries::single(cx, b, "one value").and_then(|i| item(cx, i, unit)),
    };
    let scenarios = e.get("scenarios").map(|s| scenarios(cx, s, unit));
    let range = e.get("range").map(|r| range(cx, r, unit));
    Some(Parameter {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        doc: d.doc.clone(),
        unit,
        base: base?,
        scenarios: scenarios.unwrap_or(Some(Vec::new()))?,
        range: match range {
            None => None,
            Some(r) => Some(r?),
        },
        line: cx.line(d.name.span),
    })
}

fn example_range(unit: ParamUnit) -> &'static str {
    match unit {
        ParamUnit::Percent => "6%, 12%",
        ParamUnit::Money => "1000, 2000",
        ParamUnit::Number => "1, 5",
    }
}

fn example(unit: ParamUnit) -> &'static str {
    match unit {
        ParamUnit::Percent => "10%",
        ParamUnit::Money => "1200.00",
        ParamUnit::Number => "3",
    }
}

/// `scenarios: { upside: 8%  downside: 12% }`.
fn scenarios(cx: &mut Checker, e: &Entry, unit: ParamUnit) -> Option<Vec<(String, Decimal)>> {
    let Value::Block(list, span) = &e.value else {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.value.span(),
                "`scenarios` is a block of named values",
            )
            .label("expected `{ name: value ... }`")
            .help(format!(
                "for example `scenarios: {{ upside: {}  downside: {} }}`",
                example(unit),
                example(unit)
            )),
        );
        return None;
    };
    if list.is_empty() {
        cx.report(
            Diagnostic::error(Code::InvalidValue, *span, "no scenario is given")
                .label("empty")
                .help("name at least one scenario, or leave `scenarios` out"),
        );
        return None;
    }
    let mut out: Vec<(String, Decimal)> = Vec::new();
    let mut ok = true;
    for s in list {
        if s.key.text == "base" {
            cx.report(
                Diagnostic::error(Code::InvalidValue, s.key.span, "`base` is not a scenario's name")
                    .label("the parameter's own value")
                    .help("the base is given by `base:`, and is what a run without `--scenario` assumes: name the scenario otherwise, such as `expected`"),
            );
            ok = false;
            continue;
        }
        if out.iter().any(|(n, _)| *n == s.key.text) {
            cx.report(
                Diagnostic::error(
                    Code::DuplicateKey,
                    s.key.span,
                    format!("the scenario `{}` is given twice", s.key.text),
                )
                .label("second value"),
            );
            ok = false;
            continue;
        }
        let value = entries::single(cx, s, "one value").and_then(|i| item(cx, i, unit));
        match value {
            Some(v) => out.push((s.key.text.clone(), v)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `range: 6%, 12%`: the low and high values a tornado moves the parameter to.
fn range(cx: &mut Checker, e: &Entry, unit: ParamUnit) -> Option<(Decimal, Decimal)> {
    let bad = |cx: &mut Checker, span: Span| {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                "a range is a low and a high value",
            )
            .label("expected two values")
            .help(format!("for example `range: {}`", example_range(unit))),
        );
    };
    let Value::Items(items, span) = &e.value else {
        bad(cx, e.value.span());
        return None;
    };
    let [low, high] = items.as_slice() else {
        bad(cx, *span);
        return None;
    };
    let l = item(cx, low, unit);
    let h = item(cx, high, unit);
    let (l, h) = (l?, h?);
    if l >= h {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                *span,
                "the low value is not below the high value",
            )
            .label("empty range")
            .help("write the lower value first"),
        );
        return None;
    }
    Some((l, h))
}

/// One value as an item: a number and nothing after it (`1_000` is `1` followed by the word
/// `_000`, and `100 EUR` a number and a currency; neither is a value to guess at).
fn item(cx: &mut Checker, i: &scorecard_syntax::ast::Item, unit: ParamUnit) -> Option<Decimal> {
    if let Some(word) = i.modifiers.first() {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                i.span,
                format!(
                    "`{}` follows the number: a parameter's value is a number written out",
                    word.text
                ),
            )
            .label("more than a number")
            .help(format!(
                "write the digits alone, without separators or units, for example `{}`",
                example(unit)
            )),
        );
        return None;
    }
    literal(cx, &i.expr, unit)
}

/// A value written in the parameter's unit: `9%` for a percent, a plain number otherwise.
fn literal(cx: &mut Checker, e: &scorecard_syntax::ast::Expr, unit: ParamUnit) -> Option<Decimal> {
    let (negative, inner) = match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => (true, operand.as_ref()),
        _ => (false, e),
    };
    let value = match (&inner.kind, unit) {
        (ExprKind::Percent(p), ParamUnit::Percent) => cx.percent(p, inner.span),
        (ExprKind::Number(n), ParamUnit::Money | ParamUnit::Number) => cx.decimal(n, inner.span),
        (ExprKind::Number(n), ParamUnit::Percent) => {
            cx.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    e.span,
                    "a percent parameter's values are written with `%`",
                )
                .label("a plain number")
                .help(format!("write `{n}%`, or declare `unit: number`")),
            );
            None
        }
        (ExprKind::Percent(p), _) => {
            let fraction = cx.percent(p, inner.span).unwrap_or_default().normalize();
            cx.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    e.span,
                    format!(
                        "a {} parameter's values are written without `%`",
                        unit.name()
                    ),
                )
                .label("a percent")
                .help(format!("write `{fraction}`, or declare `unit: percent`")),
            );
            None
        }
        _ => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    e.span,
                    "a parameter's value is a number written out",
                )
                .label("not a number")
                .help(format!("for example `{}`", example(unit))),
            );
            None
        }
    }?;
    Some(if negative { -value } else { value })
}

/// The unit a parameter's value has in an expression: a percent is a ratio, money is money of the
/// reporting currency, and a number adapts to what it meets, as a number written out does.
pub fn ty(unit: ParamUnit) -> Ty {
    match unit {
        ParamUnit::Percent => Ty::Num {
            money: 0,
            lit: Lit::Percent,
            cur: None,
        },
        ParamUnit::Money => Ty::MONEY,
        ParamUnit::Number => Ty::Num {
            money: 0,
            lit: Lit::Plain,
            cur: None,
        },
    }
}

/// A constant written where the file wants a number it knows before reading data: a number, a
/// percent, either negated, or a parameter's name (its assumed value). `None` when it is none of
/// these, for the caller to report as it would any other wrong value.
pub fn constant(cx: &mut Checker, e: &scorecard_syntax::ast::Expr) -> Option<Decimal> {
    match &e.kind {
        ExprKind::Number(n) => cx.decimal(n, e.span),
        ExprKind::Percent(p) => cx.percent(p, e.span),
        ExprKind::Path(parts) if parts.len() == 1 => {
            cx.parameters.get(&parts[0].text).map(|(v, _)| *v)
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => constant(cx, operand).map(|v| -v),
        _ => None,
    }
}

/// Whether `e` names a declaration that failed to check (a parameter with a mistake): its own
/// error is reported, and where it is used is not reported again.
pub fn names_broken(cx: &Checker, e: &scorecard_syntax::ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Path(parts) if parts.len() == 1 => cx.is_broken(&parts[0].text),
        ExprKind::Unary { operand, .. } => names_broken(cx, operand),
        _ => false,
    }
}
