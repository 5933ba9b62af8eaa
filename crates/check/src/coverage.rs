//! Owns the keys that say what data covers and what a KPI gets where it does not: a dataset's
//! `extracted` and `complete_from` days and `grain`, and the `partial` policy of the header and
//! of a KPI.

use super::entries;
use super::model::{Completeness, Grain, Partial};
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic};
use scorecard_syntax::ast::{Entry, ExprKind};

const POLICIES: &[&str] = &["rated", "not_rated"];

/// `partial: rated | not_rated`.
pub fn policy(cx: &mut Checker, e: &Entry) -> Option<Partial> {
    let w = entries::word(cx, e, "`rated` or `not_rated`")?;
    match w.text.as_str() {
        "rated" => Some(Partial::Rated),
        "not_rated" => Some(Partial::NotRated),
        other => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!("unknown partial-period policy `{other}`"),
                )
                .label("expected `rated` or `not_rated`")
                .help(match other {
                    "unrated" | "skip" | "none" => "write `not_rated` to show its value with no status or score".to_string(),
                    _ => did_you_mean(other, POLICIES.iter().copied()).unwrap_or_else(|| {
                        "`rated` judges a partial period as usual; `not_rated` shows its value with no status or score".into()
                    }),
                }),
            );
            None
        }
    }
}

/// `extracted: 2026-11-01` (the day the extract was taken) or `complete_from: 2024-11-01`.
pub fn day(cx: &mut Checker, e: &Entry) -> Option<chrono::NaiveDate> {
    let x = entries::expression(cx, e, "a date such as 2026-11-01")?;
    let day = match &x.kind {
        ExprKind::Date(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
        _ => None,
    };
    let day = day.filter(|d| scorecard_model::calendar::supported(*d));
    if day.is_none() {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                x.span,
                format!("`{}` expects a date written YYYY-MM-DD", e.key.text),
            )
            .label("not a date")
            .help(match e.key.text.as_str() {
                "extracted" => "write the day the extract was taken, such as `extracted: 2026-11-01`: its rows are complete for every day before it",
                _ => "write the first day the data is complete for, such as `complete_from: 2024-11-01`",
            }),
        );
    }
    day
}

/// A dataset's `complete_from` and `extracted` days; a `complete_from` on or after the extract day
/// would cover no day, and is refused.
pub fn completeness(cx: &mut Checker, e: &super::entries::Entries) -> Completeness {
    let read = |cx: &mut Checker, key: &str| e.get(key).and_then(|x| day(cx, x));
    let complete = Completeness {
        complete_from: read(cx, "complete_from"),
        extracted: read(cx, "extracted"),
    };
    if let (Some(from), Some(extracted), Some(entry)) = (
        complete.complete_from,
        complete.extracted,
        e.get("complete_from"),
    ) {
        if from >= extracted {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    entry.value.span(),
                    format!("the data cannot be complete from {from} if the extract was taken on {extracted}"),
                )
                .label("on or after the extract day")
                .help("`extracted` is the day the extract was taken: the data ends the day before it, so `complete_from` must come before it"),
            );
        }
    }
    complete
}

/// A dataset's `grain`: the period each of its rows stands for whole.
pub fn dataset_grain(cx: &mut Checker, e: &Entry) -> Option<Grain> {
    let reported = cx.diagnostics.len();
    let (grain, _) = super::header::grain(cx, e);
    (cx.diagnostics.len() == reported).then_some(grain)
}
