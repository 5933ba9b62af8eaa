//! Owns the `scorecard` header: name, owner, currency, grain and calendar.

use super::entries::{self, Entries};
use super::model::{Calendar, Grain, Header};
use super::Checker;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Span};
use crate::syntax::ast::{Declaration, ExprKind};

const KEYS: &[&str] = &["owner", "currency", "grain", "calendar"];
const GRAINS: &[&str] = &["month", "quarter", "year"];
pub const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

pub fn check(cx: &mut Checker, headers: &[&Declaration]) -> Option<Header> {
    let Some(first) = headers.first() else {
        cx.report(
            Diagnostic::error(
                Code::MissingHeader,
                Span::new(0, 0),
                "this file has no `scorecard` header",
            )
            .label("expected a header")
            .help(
                "start the file with `scorecard my_name \"Label\" { currency: USD  grain: month }`",
            ),
        );
        return None;
    };
    for extra in &headers[1..] {
        cx.report(
            Diagnostic::error(
                Code::DuplicateHeader,
                extra.keyword.span,
                "a file has one `scorecard` header",
            )
            .label("second header")
            .related(first.keyword.span, "first header")
            .help("put each scorecard in its own file"),
        );
    }
    let e = Entries::read(cx, "a scorecard header", &first.entries, KEYS);
    let owner = e.get("owner").and_then(|x| entries::string(cx, x));
    let currency = match e
        .get("currency")
        .and_then(|x| entries::word(cx, x, "a currency code such as USD"))
    {
        Some(code) if code.text.len() == 3 && code.text.chars().all(|c| c.is_ascii_uppercase()) => {
            code.text.clone()
        }
        Some(code) => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    code.span,
                    format!("`{}` is not an ISO 4217 currency code", code.text),
                )
                .label("expected three capital letters")
                .help("write a code such as USD, EUR or JPY"),
            );
            "USD".into()
        }
        None => "USD".into(),
    };
    let grain = match e.get("grain").and_then(|x| entries::word(cx, x, "a grain")) {
        None => Grain::Month,
        Some(g) => match g.text.as_str() {
            "month" => Grain::Month,
            "quarter" => Grain::Quarter,
            "year" => Grain::Year,
            other => {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        g.span,
                        format!("unknown grain `{other}`"),
                    )
                    .label("not a grain")
                    .help(
                        did_you_mean(other, GRAINS.iter().copied())
                            .unwrap_or_else(|| "the grains are month, quarter and year".into()),
                    ),
                );
                Grain::Month
            }
        },
    };
    let calendar = e
        .get("calendar")
        .map(|x| calendar(cx, x))
        .unwrap_or(Calendar::Gregorian);
    Some(Header {
        name: first.name.text.clone(),
        label: first.label.as_ref().map(|l| l.text.clone()),
        owner,
        money_scale: minor_units(&currency),
        currency,
        grain,
        calendar,
    })
}

fn calendar(cx: &mut Checker, e: &crate::syntax::ast::Entry) -> Calendar {
    let Some(item) = entries::single(cx, e, "a calendar") else {
        return Calendar::Gregorian;
    };
    let bad = |cx: &mut Checker, span: Span| {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                "expected `gregorian` or `fiscal(start: <month>)`",
            )
            .label("not a calendar")
            .help("for a fiscal year starting in April write `calendar: fiscal(start: april)`"),
        );
        Calendar::Gregorian
    };
    match &item.expr.kind {
        ExprKind::Path(p) if p.len() == 1 && p[0].text == "gregorian" => Calendar::Gregorian,
        ExprKind::Call { name, args } if name.text == "fiscal" => {
            let start = args
                .iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.text == "start"));
            let month = start.and_then(|a| match &a.value.kind {
                ExprKind::Path(p) if p.len() == 1 => Some(&p[0]),
                _ => None,
            });
            match (args.len(), month) {
                (1, Some(m)) => match month_number(&m.text) {
                    Some(n) => Calendar::Fiscal { start_month: n },
                    None => {
                        cx.report(
                            Diagnostic::error(
                                Code::InvalidValue,
                                m.span,
                                format!("`{}` is not a month", m.text),
                            )
                            .label("expected a month name")
                            .help(
                                did_you_mean(&m.text, MONTHS.iter().copied()).unwrap_or_else(
                                    || "write a month in full, such as `april`".into(),
                                ),
                            ),
                        );
                        Calendar::Gregorian
                    }
                },
                _ => bad(cx, item.span),
            }
        }
        _ => bad(cx, item.span),
    }
}

/// A month by its English name, full or three-letter.
pub fn month_number(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower || (lower.len() == 3 && m.starts_with(&lower)))
        .map(|i| i as u32 + 1)
}

/// Decimal places of a currency's minor unit (ISO 4217); 2 for codes not listed.
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}
