//! Owns the balanced-scorecard structure: `perspective` and `objective` declarations, their weights,
//! and the `drives` links of the strategy map (unknown names and cycles are errors).

use super::entries::{self, Entries};
use super::model::{Objective, Perspective, Weight};
use super::{graph, Checker};
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::{Declaration, Entry, ExprKind, Ident, Value};
use std::collections::BTreeMap;

const PERSPECTIVE_KEYS: &[&str] = &["owner", "weight"];
const OBJECTIVE_KEYS: &[&str] = &["perspective", "owner", "weight", "drives"];

pub fn perspectives(cx: &mut Checker, decls: &[&Declaration]) -> Vec<Perspective> {
    decls
        .iter()
        .filter_map(|d| {
            let e = Entries::read(cx, "a perspective", &d.entries, PERSPECTIVE_KEYS);
            let owner = e.get("owner").and_then(|x| entries::string(cx, x));
            let Some(weight) = weight(cx, e.get("weight")) else {
                // Its weight's mistake is reported; its objectives are not reported again.
                cx.broken.insert(d.name.text.clone());
                return None;
            };
            Some(Perspective {
                name: d.name.text.clone(),
                label: d.label.as_ref().map(|l| l.text.clone()),
                doc: d.doc.clone(),
                owner,
                weight,
            })
        })
        .collect()
}

pub fn objectives(
    cx: &mut Checker,
    decls: &[&Declaration],
    perspectives: &[Perspective],
) -> Vec<Objective> {
    let names: Vec<&str> = decls.iter().map(|d| d.name.text.as_str()).collect();
    let mut out = Vec::new();
    let mut links: BTreeMap<String, Vec<(String, Span)>> = BTreeMap::new();
    for d in decls {
        let what = format!("objective `{}`", d.name.text);
        let e = Entries::read(cx, "an objective", &d.entries, OBJECTIVE_KEYS);
        let owner = e.get("owner").and_then(|x| entries::string(cx, x));
        let weight = weight(cx, e.get("weight"));
        let perspective = match e.get("perspective") {
            None => {
                entries::missing_key(cx, d.name.span, &what, "perspective", "financial");
                None
            }
            Some(p) => entries::word(cx, p, "a perspective's name").and_then(|w| {
                let names = perspectives.iter().map(|p| p.name.as_str());
                declared(cx, w, ("perspective", "weight: 1"), names)
            }),
        };
        let mut drives = Vec::new();
        if let Some(list) = e.get("drives") {
            for w in entries::word_list(cx, list) {
                if names.contains(&w.text.as_str()) {
                    drives.push(w.text.clone());
                    links
                        .entry(d.name.text.clone())
                        .or_default()
                        .push((w.text.clone(), w.span));
                } else if !cx.is_broken(&w.text) {
                    cx.report(
                        Diagnostic::error(
                            Code::UnknownName,
                            w.span,
                            format!("no objective is named `{}`", w.text),
                        )
                        .label("unknown objective")
                        .maybe_help(did_you_mean(&w.text, names.iter().copied())),
                    );
                }
            }
        }
        if weight.is_none() || perspective.is_none() {
            // Its mistake is reported; the KPIs that name it are not reported again.
            cx.broken.insert(d.name.text.clone());
        }
        if let (Some(perspective), Some(weight)) = (perspective, weight) {
            out.push(Objective {
                name: d.name.text.clone(),
                label: d.label.as_ref().map(|l| l.text.clone()),
                doc: d.doc.clone(),
                owner,
                perspective,
                weight,
                drives,
            });
        }
    }
    // A strategy map reads cause to effect: a cycle would make an objective its own cause.
    let all: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let spans = decls
        .iter()
        .map(|d| (d.name.text.clone(), d.name.span))
        .collect();
    let wording = graph::Wording {
        code: Code::DriveCycle,
        cycle: "objectives drive each other in a cycle",
        link: "drives",
        help: "a strategy map runs from causes to effects: remove one of the `drives` links",
    };
    let (_, cycles, _) = graph::order(&all, &links, &spans, &wording);
    for c in cycles {
        cx.report(c);
    }
    out
}

/// The name `w` gives, when a `kind` of that name is declared; otherwise an `unknown_name` error
/// with the closest name, or how to declare one (`example` is a line of its body).
pub fn declared<'a>(
    cx: &mut Checker,
    w: &Ident,
    (kind, example): (&str, &str),
    names: impl Iterator<Item = &'a str> + Clone,
) -> Option<String> {
    if names.clone().any(|n| n == w.text) || cx.is_broken(&w.text) {
        return Some(w.text.clone());
    }
    cx.report(
        Diagnostic::error(
            Code::UnknownName,
            w.span,
            format!("no {kind} is named `{}`", w.text),
        )
        .label(format!("unknown {kind}"))
        .help(did_you_mean(&w.text, names).unwrap_or_else(|| {
            format!("declare it: `{kind} {} \"Label\" {{ {example} }}`", w.text)
        })),
    );
    None
}

/// A weight: a positive number or percent, 1 when not written; or a block of the weight
/// `otherwise` and the weights that apply from dates on (`"2026-07-01": 3`).
pub fn weight(cx: &mut Checker, e: Option<&Entry>) -> Option<Weight> {
    let Some(e) = e else {
        return Some(Weight::fixed(Decimal::ONE));
    };
    let Value::Block(list, _) = &e.value else {
        return one_weight(cx, e).map(Weight::fixed);
    };
    let mut weight = Weight::fixed(Decimal::ONE);
    let mut ok = true;
    for inner in list {
        let value = one_weight(cx, inner);
        if !inner.quoted && inner.key.text == "otherwise" {
            weight.initial = value.unwrap_or(Decimal::ONE);
            ok &= value.is_some();
            continue;
        }
        let day = chrono::NaiveDate::parse_from_str(&inner.key.text, "%Y-%m-%d")
            .ok()
            .filter(|_| inner.quoted);
        match (day, value) {
            (Some(day), Some(w)) => {
                let day = scorecard_model::calendar::days(day);
                if weight.changes.iter().any(|(d, _)| *d == day) {
                    cx.report(
                        Diagnostic::error(
                            Code::DuplicateKey,
                            inner.key.span,
                            "this date is given twice",
                        )
                        .label("second weight"),
                    );
                    ok = false;
                }
                weight.changes.push((day, w));
            }
            (None, _) => {
                cx.report(
                    Diagnostic::error(Code::InvalidValue, inner.key.span, "expected a date in quotes, or `otherwise`")
                        .label("not a date")
                        .help("weights change from a date on: `weight: { otherwise: 2  \"2026-07-01\": 3 }`"),
                );
                ok = false;
            }
            (Some(_), None) => ok = false,
        }
    }
    weight.changes.sort_by_key(|(d, _)| *d);
    ok.then_some(weight)
}

/// The largest weight: weights are relative, and a weighted sum of scores must stay within the
/// exact decimal range however many children share a parent (7.9e27 overflowed it with two).
const MAX_WEIGHT: u32 = 1_000_000_000;

fn one_weight(cx: &mut Checker, e: &Entry) -> Option<Decimal> {
    let item = entries::single(cx, e, "a weight such as `2` or `40%`")?;
    let value = match (&item.expr.kind, item.modifiers.is_empty()) {
        // A number's own problems are reported where it is read.
        (ExprKind::Number(n), true) => Some(cx.decimal(n, item.span)?),
        (ExprKind::Percent(p), true) => Some(cx.percent(p, item.span)?),
        (ExprKind::Path(_), true) => super::parameter::constant(cx, &item.expr),
        _ => None,
    };
    if value.is_none() && super::parameter::names_broken(cx, &item.expr) {
        return None;
    }
    match value {
        Some(w) if w > Decimal::ZERO && w <= Decimal::from(MAX_WEIGHT) => Some(w),
        Some(w) if w > Decimal::ZERO => {
            cx.report(
                Diagnostic::error(Code::InvalidValue, item.span, "a weight is at most 1,000,000,000")
                    .label("too large a weight")
                    .help("weights are relative: `weight: 2` counts twice as much as `weight: 1`, so scale them down together"),
            );
            None
        }
        _ => {
            cx.report(
                Diagnostic::error(Code::InvalidValue, item.span, "a weight is a number or percent above zero")
                    .label("not a weight")
                    .help("weights are relative: `weight: 2` counts twice as much as `weight: 1`; `40%` is 0.4"),
            );
            None
        }
    }
}
