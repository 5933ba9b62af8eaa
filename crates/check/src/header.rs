//! Owns the `scorecard` header: name, owner, currency, grain, calendar and time zone.

use super::entries::{self, Entries};
use super::model::{Calendar, Grain, Header, Scoring, YearName};
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_model::calendar::{MONTHS, WEEKDAYS};
use scorecard_syntax::ast::{self, Arg, Declaration, Entry, ExprKind, Ident};

const KEYS: &[&str] = &[
    "owner",
    "currency",
    "grain",
    "calendar",
    "scoring",
    "partial",
    "time_zone",
    "rates",
];
const GRAINS: &[&str] = &["day", "week", "month", "quarter", "year"];

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
        Some(code) if scorecard_model::is_currency_code(&code.text) => code.text.clone(),
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
    let scoring = e
        .get("scoring")
        .and_then(|x| super::scoring::read(cx, x, None))
        .unwrap_or_else(Scoring::default_bands);
    let partial = e
        .get("partial")
        .and_then(|x| super::coverage::policy(cx, x))
        .unwrap_or_default();
    // UTC is the default: a header that names it holds no zone.
    let time_zone = e
        .get("time_zone")
        .and_then(|x| time_zone(cx, x))
        .filter(|z| z != "UTC");
    let (grain, week_start) = e
        .get("grain")
        .map(|x| grain(cx, x))
        .unwrap_or((Grain::Month, 0));
    let (calendar, year_name) = e
        .get("calendar")
        .map(|x| calendar(cx, x))
        .unwrap_or((Calendar::Gregorian, YearName::End));
    if week_start != 0 && matches!(calendar, Calendar::Retail { .. }) {
        if let Some(g) = e.get("grain") {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    g.value.span(),
                    "a retail calendar sets its own week start",
                )
                .label("week start given twice")
                .help(
                    "retail weeks start the day after the year's end weekday; write `grain: week`",
                ),
            );
        }
    }
    Some(Header {
        name: first.name.text.clone(),
        label: first.label.as_ref().map(|l| l.text.clone()),
        owner,
        money_scale: minor_units(&currency),
        currency,
        grain,
        calendar,
        week_start,
        year_name,
        scoring,
        partial,
        time_zone,
        rates: e
            .get("rates")
            .and_then(|x| entries::word(cx, x, "the name of an `exchange_rates` declaration"))
            .map(|w| w.text.clone()),
    })
}

/// The header's `rates:` names a declared `exchange_rates`.
pub fn check_rates(
    cx: &mut Checker,
    headers: &[&Declaration],
    declared: &[scorecard_model::ExchangeRates],
) {
    let Some(named) = cx.rates.clone() else {
        return;
    };
    if declared.iter().any(|r| r.name == named) || cx.is_broken(&named) {
        return;
    }
    // Conversions still name it; only this error is reported.
    cx.broken.insert(named.clone());
    let span = headers
        .first()
        .and_then(|h| h.entries.iter().find(|e| e.key.text == "rates"))
        .map(|e| e.value.span())
        .unwrap_or(Span::new(0, 0));
    cx.report(
        Diagnostic::error(
            Code::UnknownName,
            span,
            format!("no `exchange_rates` is named `{named}`"),
        )
        .label("unknown exchange rates")
        .help(
            did_you_mean(&named, declared.iter().map(|r| r.name.as_str())).unwrap_or_else(|| {
                "declare `exchange_rates fx { dataset: fx_rates  currency: currency  rate: rate  quoted: per_unit }`".into()
            }),
        ),
    );
}

/// `time_zone: "Europe/Berlin"`: an IANA name, as the database spells it (`UTC` for UTC).
pub fn time_zone(cx: &mut Checker, x: &Entry) -> Option<String> {
    let name = entries::string(cx, x)?;
    match scorecard_model::zone::Zone::named(&name) {
        Some(zone) => Some(zone.name().to_string()),
        None => {
            let near = scorecard_model::zone::Zone::names()
                .find(|n| n.eq_ignore_ascii_case(&name))
                .map(|n| format!("did you mean `\"{n}\"`?"))
                // Only a name of the database's shape (`Area/City`) is near another one.
                .or_else(|| {
                    name.contains('/')
                        .then(|| did_you_mean(&name, scorecard_model::zone::Zone::names()))
                        .flatten()
                });
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    x.value.span(),
                    format!("`{name}` is not a time zone of the IANA database"),
                )
                .label("unknown time zone")
                .help(near.unwrap_or_else(|| {
                    "write a name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"".into()
                })),
            );
            None
        }
    }
}

/// `day`, `week`, `week(start: sunday)`, `month`, `quarter`, `year`; with the week's first day.
pub(crate) fn grain(cx: &mut Checker, e: &Entry) -> (Grain, u32) {
    let Some(item) = entries::single(cx, e, "a grain") else {
        return (Grain::Month, 0);
    };
    let named = |word: &str| match word {
        "day" => Some(Grain::Day),
        "week" => Some(Grain::Week),
        "month" => Some(Grain::Month),
        "quarter" => Some(Grain::Quarter),
        "year" => Some(Grain::Year),
        _ => None,
    };
    match &item.expr.kind {
        ExprKind::Path(p) if p.len() == 1 => match named(&p[0].text) {
            Some(g) => (g, 0),
            None => {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        p[0].span,
                        format!("unknown grain `{}`", p[0].text),
                    )
                    .label("not a grain")
                    .help(
                        did_you_mean(&p[0].text, GRAINS.iter().copied())
                            .unwrap_or_else(|| format!("the grains are: {}", GRAINS.join(", "))),
                    ),
                );
                (Grain::Month, 0)
            }
        },
        ExprKind::Call { name, args } if name.text == "week" => {
            let mut week_start = 0;
            for (key, value) in named_args(cx, args, &["start"]) {
                if key == "start" {
                    week_start = day_arg(cx, value).unwrap_or(0);
                }
            }
            (Grain::Week, week_start)
        }
        _ => {
            cx.report(
                Diagnostic::error(Code::InvalidValue, item.span, "expected a grain")
                    .label("not a grain")
                    .help(
                        "write `month`, `quarter`, `year`, `day`, `week` or `week(start: sunday)`",
                    ),
            );
            (Grain::Month, 0)
        }
    }
}

const CALENDARS: &[&str] = &[
    "gregorian",
    "fiscal",
    "retail_445",
    "retail_454",
    "retail_544",
];

fn calendar(cx: &mut Checker, e: &Entry) -> (Calendar, YearName) {
    let default = (Calendar::Gregorian, YearName::End);
    let Some(item) = entries::single(cx, e, "a calendar") else {
        return default;
    };
    let (name, args) = match &item.expr.kind {
        ExprKind::Path(p) if p.len() == 1 => (&p[0], &[][..]),
        ExprKind::Call { name, args } => (name, args.as_slice()),
        _ => {
            cx.report(
                Diagnostic::error(Code::InvalidValue, item.span, "expected a calendar")
                    .label("not a calendar")
                    .help("write `gregorian`, `fiscal(start: april)` or `retail_454`"),
            );
            return default;
        }
    };
    let pattern = match name.text.as_str() {
        "gregorian" if args.is_empty() => return default,
        "fiscal" => None,
        "retail_445" => Some([4, 4, 5]),
        "retail_454" => Some([4, 5, 4]),
        "retail_544" => Some([5, 4, 4]),
        other => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    name.span,
                    format!("unknown calendar `{other}`"),
                )
                .label("not a calendar")
                .help(
                    did_you_mean(other, CALENDARS.iter().copied())
                        .unwrap_or_else(|| format!("the calendars are: {}", CALENDARS.join(", "))),
                ),
            );
            return default;
        }
    };
    let mut year_name = YearName::End;
    match pattern {
        None => {
            let mut start = None;
            for (key, value) in named_args(cx, args, &["start", "name"]) {
                match key {
                    "start" => start = month_arg(cx, value),
                    _ => year_name = name_arg(cx, value).unwrap_or(YearName::End),
                }
            }
            match start {
                Some(start_month) => (Calendar::Fiscal { start_month }, year_name),
                None => {
                    cx.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            item.span,
                            "a fiscal calendar needs its first month",
                        )
                        .label("no `start`")
                        .help(
                            "for a year starting in April write `calendar: fiscal(start: april)`",
                        ),
                    );
                    default
                }
            }
        }
        Some(pattern) => {
            // The NRF convention: the year ends on the Saturday nearest the end of January.
            let (mut end_weekday, mut end_month) = (5, 1);
            for (key, value) in named_args(cx, args, &["end_day", "end_month", "name"]) {
                match key {
                    "end_day" => end_weekday = day_arg(cx, value).unwrap_or(5),
                    "end_month" => end_month = month_arg(cx, value).unwrap_or(1),
                    _ => year_name = name_arg(cx, value).unwrap_or(YearName::End),
                }
            }
            (
                Calendar::Retail {
                    pattern,
                    end_weekday,
                    end_month,
                },
                year_name,
            )
        }
    }
}

/// The `name: value` arguments of a call, reporting unknown, repeated or unnamed ones.
fn named_args<'a>(
    cx: &mut Checker,
    args: &'a [Arg],
    allowed: &[&'static str],
) -> Vec<(&'static str, &'a ast::Expr)> {
    let mut out: Vec<(&'static str, &'a ast::Expr)> = Vec::new();
    for a in args {
        let Some(n) = &a.name else {
            cx.report(
                Diagnostic::error(Code::WrongArguments, a.span, "expected a named argument")
                    .label("no name")
                    .help(format!(
                        "name it: {}",
                        allowed
                            .iter()
                            .map(|k| format!("`{k}: ...`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
            );
            continue;
        };
        match allowed.iter().find(|k| **k == n.text) {
            Some(k) if out.iter().any(|(seen, _)| seen == k) => cx.report(
                Diagnostic::error(Code::DuplicateKey, n.span, format!("`{k}` is given twice"))
                    .label("second value"),
            ),
            Some(k) => out.push((k, &a.value)),
            None => cx.report(
                Diagnostic::error(
                    Code::WrongArguments,
                    n.span,
                    format!("unknown argument `{}`", n.text),
                )
                .label("not an argument here")
                .help(
                    did_you_mean(&n.text, allowed.iter().copied())
                        .unwrap_or_else(|| format!("the arguments are: {}", allowed.join(", "))),
                ),
            ),
        }
    }
    out
}

fn word_arg(e: &ast::Expr) -> Option<&Ident> {
    match &e.kind {
        ExprKind::Path(p) if p.len() == 1 => Some(&p[0]),
        _ => None,
    }
}

fn month_arg(cx: &mut Checker, e: &ast::Expr) -> Option<u32> {
    let words = (
        "expected a month name",
        "not a month",
        "write a month in full, such as `april`",
    );
    named_word(cx, e, month_number, MONTHS, words)
}

fn day_arg(cx: &mut Checker, e: &ast::Expr) -> Option<u32> {
    let weekday = |w: &str| {
        WEEKDAYS
            .iter()
            .position(|d| *d == w.to_ascii_lowercase())
            .map(|i| i as u32)
    };
    let words = (
        "expected a day of the week",
        "not a weekday",
        "write a weekday in full, such as `saturday`",
    );
    named_word(cx, e, weekday, WEEKDAYS, words)
}

/// A word looked up in `names` (a month, a weekday), reported with "did you mean" when it is none.
fn named_word(
    cx: &mut Checker,
    e: &ast::Expr,
    lookup: impl Fn(&str) -> Option<u32>,
    names: &[&str],
    (message, label, hint): (&str, &str, &str),
) -> Option<u32> {
    let found = word_arg(e).and_then(|w| lookup(&w.text));
    if found.is_none() {
        let written = word_arg(e).map(|w| w.text.as_str()).unwrap_or("");
        cx.report(
            Diagnostic::error(Code::InvalidValue, e.span, message)
                .label(label)
                .help(
                    did_you_mean(written, names.iter().copied())
                        .unwrap_or_else(|| hint.to_string()),
                ),
        );
    }
    found
}

fn name_arg(cx: &mut Checker, e: &ast::Expr) -> Option<YearName> {
    match word_arg(e).map(|w| w.text.as_str()) {
        Some("end") => Some(YearName::End),
        Some("start") => Some(YearName::Start),
        _ => {
            cx.report(
                Diagnostic::error(Code::InvalidValue, e.span, "expected `end` or `start`")
                    .label("not a naming rule")
                    .help("`name: end` names a year by the calendar year it ends in (the default); `name: start` by the year it starts in"),
            );
            None
        }
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

pub use scorecard_model::minor_units;
