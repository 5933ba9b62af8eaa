//! Owns the keys that say what data covers and what a KPI gets where it does not: a dataset's
//! `extracted` and `complete_from` days and `grain`, and the `partial` policy of the header and
//! of a KPI.

use super::entries;
use super::model::{Grain, Partial};
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
                .help(
                    did_you_mean(other, POLICIES.iter().copied()).unwrap_or_else(|| {
                        "`rated` judges a partial period as usual; `not_rated` shows its value with no status or score".into()
                    }),
                ),
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

/// A dataset's `grain`: the period each of its rows stands for whole.
pub fn dataset_grain(cx: &mut Checker, e: &Entry) -> Option<Grain> {
    let reported = cx.diagnostics.len();
    let (grain, _) = super::header::grain(cx, e);
    (cx.diagnostics.len() == reported).then_some(grain)
}
