//! Owns `escalation` declarations: their keys, severity, owner, the chain of `after` steps, and the
//! segments an escalation is judged in. Conditions (`condition.rs`) and message templates
//! (`message.rs`) are checked beside.

mod condition;
mod message;

use super::entries::{self, Entries};
use super::expr::{Lowering, Scope};
use super::kpi;
use super::model::{reach, Dataset, Escalation, Kpi, Severity, Step};
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_model::calendar::Periods;
use scorecard_syntax::ast::{Declaration, Entry, ExprKind, Value};
use std::collections::BTreeSet;

const KEYS: &[&str] = &["when", "recover", "severity", "owner", "after", "message"];

/// Checks every escalation after the KPIs they read, adding the aggregates they read beyond the
/// KPIs' (such as `sum(forecast.margin)`) to the list.
pub fn check_all(
    cx: &mut Checker,
    decls: &[&Declaration],
    checked: &mut kpi::CheckedKpis,
    datasets: &[Dataset],
    periods: Periods,
) -> Vec<Escalation> {
    let kpi::CheckedKpis {
        kpis,
        aggregates,
        units,
        distinct,
        ..
    } = checked;
    let mut out = Vec::new();
    for d in decls {
        let mut lw = Lowering {
            cx,
            scope: Scope::of_kpis(datasets, units, distinct, periods),
            aggregates,
        };
        if let Some(e) = check_one(&mut lw, d, kpis) {
            out.push(e);
        }
    }
    out
}

fn check_one(lw: &mut Lowering, d: &Declaration, kpis: &[Kpi]) -> Option<Escalation> {
    let what = format!("escalation `{}`", d.name.text);
    let e = Entries::read(lw.cx, "an escalation", &d.entries, KEYS);
    let when = match e.get("when") {
        None => {
            let example = "net_revenue is red for 2 periods";
            entries::missing_key(lw.cx, d.name.span, &what, "when", example);
            None
        }
        Some(w) => condition::entry(lw, w, kpis),
    };
    let recover = e.get("recover").map(|r| condition::entry(lw, r, kpis));
    let severity = match e.get("severity") {
        None => {
            entries::missing_key(lw.cx, d.name.span, &what, "severity", "high");
            None
        }
        Some(s) => severity(lw.cx, s),
    };
    let owner = e.get("owner").map(|o| entries::string(lw.cx, o));
    let chain = e.get("after").map(|a| chain(lw, a));

    // The KPIs named, the first being what the escalation is about, and their segments.
    let when_span = e.get("when").map(|w| w.value.span()).unwrap_or(d.name.span);
    let mut named = Vec::new();
    for c in when.iter().chain(recover.iter().flatten()) {
        condition::kpis_named(c, &mut named);
    }
    let by = match (&when, named.first()) {
        (Some(_), None) => {
            lw.cx.report(
                Diagnostic::error(Code::MissingKey, when_span, "this condition names no KPI")
                    .label("an escalation watches a KPI")
                    .help("name the KPI it is about, such as `gross_margin < sum(forecast.margin) - 5 points`"),
            );
            None
        }
        (Some(_), Some(_)) => segments(lw.cx, &named, kpis, when_span),
        (None, _) => None,
    };
    if let (Some(by), Some(w)) = (&by, &when) {
        segment_columns(lw, by, w, recover.iter().flatten(), kpis, when_span);
    }
    let message = e
        .get("message")
        .map(|m| message::read(lw.cx, m, by.as_deref()));

    let recover = match recover {
        Some(c) => Some(c?),
        None => None,
    };
    let owner = match owner {
        Some(o) => Some(o?),
        // The owner of the KPI it watches.
        None => named
            .first()
            .and_then(|n| kpis.iter().find(|k| &k.name == n))
            .and_then(|k| k.owner.clone()),
    };
    let message = match message {
        Some(m) => Some(m?),
        None => None,
    };
    Some(Escalation {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        doc: d.doc.clone(),
        when: when?,
        recover,
        severity: severity?,
        owner,
        chain: chain.unwrap_or(Some(Vec::new()))?,
        message,
        subject: named.first()?.clone(),
        kpis: named,
        by: by?,
        line: lw.cx.line(d.span),
    })
}

fn severity(cx: &mut Checker, e: &Entry) -> Option<Severity> {
    let names: Vec<&str> = Severity::ALL.iter().map(|s| s.name()).collect();
    let expected = "info, low, medium, high or critical";
    let w = entries::word(cx, e, expected)?;
    let found = Severity::parse(&w.text);
    if found.is_none() {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                w.span,
                format!("unknown severity `{}`", w.text),
            )
            .label(format!("expected {expected}"))
            .maybe_help(did_you_mean(&w.text, names)),
        );
    }
    found
}

/// `after: 2 periods escalate to "Head of Finance", 4 periods escalate to "Audit Committee"`
fn chain(lw: &mut Lowering, e: &Entry) -> Option<Vec<Step>> {
    let Value::Items(items, _) = &e.value else {
        lw.cx.report(
            Diagnostic::error(Code::InvalidValue, e.value.span(), "`after` expects steps, not a block")
                .label("expected `2 periods escalate to \"...\"`")
                .help("list the steps with commas: `after: 2 periods escalate to \"Head of Finance\", 4 periods escalate to \"Audit Committee\"`"),
        );
        return None;
    };
    let mut steps: Vec<Step> = Vec::new();
    let mut ok = true;
    let mut last: Option<(i64, Span)> = None;
    for item in items {
        let words: Vec<&str> = item.modifiers.iter().map(|m| m.text.as_str()).collect();
        let to = match words.as_slice() {
            ["escalate", "to", name] if name.len() >= 2 && name.starts_with('"') => {
                name[1..name.len() - 1].to_string()
            }
            _ => {
                lw.cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        item.span,
                        "expected `N periods escalate to \"owner\"`",
                    )
                    .label("not an escalation step")
                    .help("for example `after: 2 periods escalate to \"Audit Committee\"`"),
                );
                ok = false;
                continue;
            }
        };
        if !matches!(item.expr.kind, ExprKind::Duration { .. }) {
            lw.cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    item.expr.span,
                    "expected a number of periods",
                )
                .label("not a duration")
                .help("for example `2 periods`"),
            );
            ok = false;
            continue;
        }
        let Some(after) = lw.window_length(&item.expr) else {
            ok = false;
            continue;
        };
        if let Some((before, span)) = last {
            if after <= before {
                lw.cx.report(
                    Diagnostic::error(
                        Code::ImpossibleWindow,
                        item.expr.span,
                        format!("this step comes after {after} periods, no later than the one before it ({before})"),
                    )
                    .label("not after the step before")
                    .related(span, "the step before")
                    .help("list the steps in order, each after more periods than the one before"),
                );
                ok = false;
            }
        }
        last = Some((after, item.expr.span));
        steps.push(Step { after, to });
    }
    ok.then_some(steps)
}

/// The segments of the KPIs an escalation names: they must agree, since one escalation is judged
/// per segment.
fn segments(cx: &mut Checker, named: &[String], kpis: &[Kpi], span: Span) -> Option<Vec<String>> {
    let found: Vec<&Kpi> = named
        .iter()
        .filter_map(|n| kpis.iter().find(|k| &k.name == n))
        .collect();
    let first = found.first()?;
    let describe = |k: &Kpi| {
        if k.by.is_empty() {
            format!("`{}` (no `by`)", k.name)
        } else {
            format!("`{}` (by {})", k.name, k.by.join(", "))
        }
    };
    for k in &found[1..] {
        if k.by != first.by {
            cx.report(
                Diagnostic::error(
                    Code::SegmentColumn,
                    span,
                    format!("this escalation reads {} and {}", describe(first), describe(k)),
                )
                .label("KPIs with different segments")
                .help("an escalation is judged once per segment: give the KPIs the same `by`, or write one escalation for each"),
            );
            return None;
        }
    }
    Some(first.by.clone())
}

/// Every dataset the conditions aggregate directly must have the segment columns.
fn segment_columns<'m>(
    lw: &mut Lowering,
    by: &[String],
    when: &'m super::model::Condition,
    recover: impl Iterator<Item = &'m super::model::Condition>,
    kpis: &[Kpi],
    span: Span,
) {
    let mut read = BTreeSet::new();
    for c in std::iter::once(when).chain(recover) {
        for e in c.exprs() {
            reach(e, kpis, &mut read);
        }
    }
    let datasets: BTreeSet<&str> = read
        .iter()
        .filter_map(|i| lw.aggregates.get(*i))
        .map(|a| a.dataset.as_str())
        .collect();
    for name in datasets {
        let Some(ds) = lw.scope.datasets.iter().find(|d| d.name == name) else {
            continue;
        };
        for col in by {
            if ds.column(col).is_none() {
                lw.cx.report(
                    Diagnostic::error(
                        Code::SegmentColumn,
                        span,
                        format!("this escalation is judged per `{col}`, but dataset `{name}` has no column `{col}`"),
                    )
                    .label(format!("`{col}` is missing from `{name}`"))
                    .help(format!("every dataset the condition reads must have `{col}`: add it to `{name}`")),
                );
            }
        }
    }
}
