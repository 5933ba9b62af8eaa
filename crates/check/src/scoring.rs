//! Owns `scoring`: the method that turns a KPI's value into a 0–10 score, on a KPI or as the
//! scorecard's default.

use super::entries;
use super::model::{Function, Scoring};
use super::Checker;
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::{Arg, Entry, ExprKind};

const METHODS: &[&str] = &["goal_red_flag", "bands", "percent_of_target", "within"];

/// Reads a `scoring:` value. On a KPI, `functions` are the declared scoring functions, and the
/// methods that need a KPI's own numbers are allowed; the scorecard's default passes `None`.
pub fn read(cx: &mut Checker, e: &Entry, functions: Option<&[Function]>) -> Option<Scoring> {
    let per_kpi = functions.is_some();
    let item = entries::single(cx, e, "a scoring method")?;
    let (name, args) = match &item.expr.kind {
        ExprKind::Path(p) if p.len() == 1 => (&p[0], &[][..]),
        ExprKind::Call { name, args } => (name, args.as_slice()),
        _ => return bad(cx, item.span),
    };
    if let Some(f) = functions
        .unwrap_or(&[])
        .iter()
        .find(|f| f.name == name.text && f.params == 2)
    {
        if !args.is_empty() {
            return bad(cx, item.span);
        }
        return Some(Scoring::Script {
            function: f.name.clone(),
        });
    }
    let scoring = match name.text.as_str() {
        "bands" => {
            let n = numbers(cx, args, &["green", "amber", "red"], false)?;
            let get = |k: &str, d: i64| {
                n.iter()
                    .find(|(x, _)| x == k)
                    .map(|(_, v)| *v)
                    .unwrap_or(Decimal::from(d))
            };
            let (green, amber, red) = (get("green", 10), get("amber", 5), get("red", 0));
            if [green, amber, red]
                .iter()
                .any(|v| *v < Decimal::ZERO || *v > Decimal::TEN)
            {
                return out_of_scale(cx, item.span);
            }
            Scoring::Bands { green, amber, red }
        }
        "percent_of_target" if args.is_empty() => Scoring::PercentOfTarget,
        "goal_red_flag" | "within" if !per_kpi => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    name.span,
                    format!("`{}` needs a KPI's own numbers", name.text),
                )
                .label("not a scorecard-wide default")
                .help(
                    "write it on each KPI; a scorecard default is `bands` or `percent_of_target`",
                ),
            );
            return None;
        }
        "goal_red_flag" => {
            let n = numbers(cx, args, &["goal", "red_flag"], true)?;
            let (goal, red_flag) = (n[0].1, n[1].1);
            if goal == red_flag {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        item.span,
                        "the goal and the red flag are the same",
                    )
                    .label("no scale between them")
                    .help("the goal scores 6.67 and the red flag 3.33: they must differ"),
                );
                return None;
            }
            Scoring::GoalRedFlag { goal, red_flag }
        }
        "within" => {
            let n = numbers(cx, args, &["low", "high"], true)?;
            if n[0].1 > n[1].1 {
                cx.report(entries::empty_range(item.span));
                return None;
            }
            Scoring::Within {
                low: n[0].1,
                high: n[1].1,
            }
        }
        other => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    name.span,
                    format!("unknown scoring method `{other}`"),
                )
                .label("not a scoring method")
                .help({
                    let declared = functions.unwrap_or(&[]).iter().map(|f| f.name.as_str());
                    did_you_mean(other, METHODS.iter().copied().chain(declared)).unwrap_or_else(
                        || {
                            format!(
                                "the methods are: {}, or a declared `function`",
                                METHODS.join(", ")
                            )
                        },
                    )
                }),
            );
            return None;
        }
    };
    Some(scoring)
}

/// Named number or percent arguments, in the order of `names`; all required when `required`.
fn numbers(
    cx: &mut Checker,
    args: &[Arg],
    names: &[&str],
    required: bool,
) -> Option<Vec<(String, Decimal)>> {
    let mut found: Vec<(String, Decimal)> = Vec::new();
    for a in args {
        let value = super::parameter::constant(cx, &a.value);
        if value.is_none() && super::parameter::names_broken(cx, &a.value) {
            return None;
        }
        match (&a.name, value) {
            (Some(n), Some(v))
                if names.contains(&n.text.as_str()) && !found.iter().any(|(k, _)| *k == n.text) =>
            {
                found.push((n.text.clone(), v))
            }
            _ => {
                cx.report(
                    Diagnostic::error(
                        Code::WrongArguments,
                        a.span,
                        "expected a named number such as `goal: 42%`",
                    )
                    .label("not an argument here")
                    .help(format!("the arguments are: {}", names.join(", "))),
                );
                return None;
            }
        }
    }
    if required && found.len() != names.len() {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !found.iter().any(|(k, _)| k == n))
            .collect();
        let span = args.last().map(|a| a.span).unwrap_or_default();
        cx.report(
            Diagnostic::error(
                Code::WrongArguments,
                span,
                format!("missing {}", missing.join(" and ")),
            )
            .label("argument missing")
            .help(format!("write every one of: {}", names.join(", "))),
        );
        return None;
    }
    let mut ordered = found;
    ordered.sort_by_key(|(k, _)| names.iter().position(|n| n == k));
    Some(ordered)
}

fn bad(cx: &mut Checker, span: Span) -> Option<Scoring> {
    cx.report(
        Diagnostic::error(Code::InvalidValue, span, "expected a scoring method")
            .label("not a scoring method")
            .help("for example `goal_red_flag(goal: 42%, red_flag: 35%)`, `bands`, `percent_of_target` or `within(low: 2, high: 5)`"),
    );
    None
}

fn out_of_scale(cx: &mut Checker, span: Span) -> Option<Scoring> {
    cx.report(
        Diagnostic::error(Code::InvalidValue, span, "scores run from 0 to 10")
            .label("a score outside 0 to 10")
            .help("for example `bands(green: 10, amber: 5, red: 0)`"),
    );
    None
}
