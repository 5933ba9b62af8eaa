//! Owns money in other currencies: a money column's currency (`money(EUR)`, or `money(currency)`
//! for the code each row names) and the rate that converts it (`average` for flows, `closing` for
//! balances), `exchange_rates` declarations, and how an aggregate of such money becomes reporting
//! money (docs/language.md, "Currencies").

use super::entries::{self, Entries};
use super::model::{
    AggFunc, Column, ColumnType, Conversion, Currency, CurrencyOf, Dataset, ExchangeRates, Quote,
    RateKind, RatesPeriod,
};
use super::units::Ty;
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::{Arg, Declaration, Entry, ExprKind, Ident};

const KEYS: &[&str] = &["dataset", "currency", "rate", "quoted"];

/// What conversions in one expression use: the scorecard's `rates:`, or a KPI's own, and for
/// constant currency the period whose rates every period takes (`rates_of:`).
#[derive(Debug, Clone, Default)]
pub struct RatesUse {
    pub rates: Option<String>,
    pub at: Option<RatesPeriod>,
}

/// A KPI's `rates:` (another `exchange_rates`) and `rates_of:` (constant currency: a period
/// whose rates every period takes), checked.
pub fn kpi_rates(
    cx: &mut Checker,
    (rates, of): (Option<&Entry>, Option<&Entry>),
    periods: scorecard_model::calendar::Periods,
) -> RatesUse {
    let rates = rates
        .and_then(|x| entries::word(cx, x, "the name of an `exchange_rates` declaration"))
        .and_then(|w| match cx.rate_sets.contains(&w.text) {
            true => Some(w.text.clone()),
            false => {
                let help = did_you_mean(&w.text, cx.rate_sets.iter().map(String::as_str));
                cx.report(
                    Diagnostic::error(
                        Code::UnknownName,
                        w.span,
                        format!("no `exchange_rates` is named `{}`", w.text),
                    )
                    .label("unknown exchange rates")
                    .maybe_help(help),
                );
                None
            }
        });
    let at = of.and_then(|x| {
        let name = match &x.value {
            scorecard_syntax::ast::Value::Items(..) => {
                entries::single(cx, x, "a period such as FY2025").map(|item| {
                    match &item.expr.kind {
                        ExprKind::Str(s) => s.clone(),
                        // `FY2025`, `2025`, or `2025-12` (which reads as a subtraction), as written.
                        _ => cx.text(item.expr.span).trim().to_string(),
                    }
                })
            }
            _ => None,
        };
        let Some(name) = name else {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    x.value.span(),
                    "`rates_of` names a period",
                )
                .label("expected a period such as \"2025\" or \"2025-12\"")
                .help("constant currency: `rates_of: \"2025\"` converts every period at 2025's rates; quote a period with a dash"),
            );
            return None;
        };
        match super::dated::period_range(periods, &name) {
            Ok((first_day, last_day)) => Some(RatesPeriod {
                name,
                first_day,
                last_day,
            }),
            Err(why) => {
                cx.report(
                    Diagnostic::error(Code::InvalidValue, x.value.span(), why)
                        .label("not a period")
                        .help(format!("for example `rates_of: \"{}\"`", periods.example())),
                );
                None
            }
        }
    });
    RatesUse { rates, at }
}

/// A KPI's own `rates:` or `rates_of:` convert the aggregates written in its value and target, not those of
/// the KPIs it uses (they keep their own): one with none of its own to convert is an error, and one
/// that also uses other KPIs is warned.
pub fn rates_reach(
    cx: &mut Checker,
    uses: &RatesUse,
    (values, aggregates): (&[&scorecard_model::Expr], &super::expr::AggregateSet),
    e: &Entries,
) {
    let Some(entry) = e.get("rates_of").or_else(|| e.get("rates")) else {
        return;
    };
    if uses.rates.is_none() && uses.at.is_none() {
        return;
    }
    let mut own = std::collections::BTreeSet::new();
    let mut others = Vec::new();
    for value in values {
        scorecard_model::reach(value, &[], &mut own);
        kpis_used(value, &mut others);
    }
    let converts = own.iter().any(|&i| aggregates[i].convert.is_some());
    let key = entry.key.text.as_str();
    if !converts {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                entry.key.span,
                format!("`{key}` has no money in another currency to convert in this KPI's value or target"),
            )
            .label("nothing converted here")
            .help(match others.first() {
                Some(k) => format!("`{key}` applies to the aggregates written in this value; `{k}` is another KPI, which converts at its own rates: write the aggregate here, or give `{k}` the `{key}`"),
                None => format!("remove `{key}`, or convert a column declared `money(EUR) average` (or `closing`)"),
            }),
        );
    } else if let Some(k) = others.first() {
        cx.report(
            Diagnostic::warning(
                Code::InvalidValue,
                entry.key.span,
                format!("`{key}` converts this KPI's own aggregates; `{k}`, which it uses, keeps its own rates"),
            )
            .label("not passed on to other KPIs")
            .help(format!("give `{k}` the same `{key}` if it is to convert at these rates too")),
        );
    }
}

/// The KPIs an expression names, in order.
fn kpis_used(e: &scorecard_model::Expr, out: &mut Vec<String>) {
    scorecard_diagnostic::depth::deep(|| {
        if let scorecard_model::Expr::Kpi { name } = e {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        e.children().into_iter().for_each(|c| kpis_used(c, out));
    })
}

/// The argument of `money(...)`: a currency code, or the text column naming each row's.
pub fn money_of(cx: &mut Checker, args: &[Arg], span: Span) -> Option<CurrencyOf> {
    let word = match args {
        [a] if a.name.is_none() && a.filter.is_none() => match &a.value.kind {
            ExprKind::Path(p) if p.len() == 1 => Some(&p[0]),
            _ => None,
        },
        _ => None,
    };
    let Some(word) = word else {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                "`money(...)` takes a currency code or a column",
            )
            .label("expected one code or column name")
            .help("`money(EUR)` for amounts all in euros, `money(currency)` for the code each row's `currency` column names"),
        );
        return None;
    };
    Some(match scorecard_model::is_currency_code(&word.text) {
        true => CurrencyOf::Code(word.text.clone()),
        false => CurrencyOf::Column(word.text.clone()),
    })
}

/// `average` or `closing` after a money column's type.
pub fn rate_kind(text: &str) -> Option<RateKind> {
    match text {
        "average" => Some(RateKind::Average),
        "closing" => Some(RateKind::Closing),
        _ => None,
    }
}

/// The columns' currencies once every column is known: a column naming each row's currency must
/// be a text column of the dataset, and a rate needs a currency to convert from.
pub fn check_columns(cx: &mut Checker, what: &str, columns: &[Column], spans: &[Span]) -> bool {
    let mut ok = true;
    for (c, span) in columns.iter().zip(spans) {
        let Some(named) = c.currency_column() else {
            continue;
        };
        match columns.iter().find(|x| x.name == named) {
            Some(x) if x.ty == ColumnType::Text => {}
            Some(x) => {
                cx.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        *span,
                        format!(
                            "`{}` names its currency in `{named}`, which is {}",
                            c.name,
                            x.ty.name()
                        ),
                    )
                    .label("expected a text column of ISO 4217 codes")
                    .help(format!(
                        "declare `{named}: text`, or write a code: `money(EUR)`"
                    )),
                );
                ok = false;
            }
            None => {
                let names = columns.iter().map(|x| x.name.as_str());
                cx.report(
                    Diagnostic::error(
                        Code::UnknownColumn,
                        *span,
                        format!("{what} has no column `{named}` to take `{}`'s currency from", c.name),
                    )
                    .label("not a declared column, nor a currency code (three capitals)")
                    .help(did_you_mean(named, names).unwrap_or_else(|| {
                        format!("declare `{named}: text` holding codes such as EUR, or write a code: `money(EUR)`")
                    })),
                );
                ok = false;
            }
        }
    }
    ok
}

/// An `exchange_rates` declaration: the dataset of rates, its currency and rate columns, and which
/// way the rates are quoted.
pub fn check(cx: &mut Checker, d: &Declaration, datasets: &[Dataset]) -> Option<ExchangeRates> {
    let what = format!("exchange_rates `{}`", d.name.text);
    let e = Entries::read(cx, "exchange rates", &d.entries, KEYS);
    let ds = match e.get("dataset") {
        None => {
            entries::missing_key(cx, d.name.span, &what, "dataset", "fx_rates");
            None
        }
        // Rates are read from a source: the rule tables come after them.
        Some(x) => super::parts::dataset(cx, x, datasets),
    };
    let currency = column(cx, &e, ("currency", d.name.span), ds, &what, |t| {
        t == ColumnType::Text
    });
    let rate = column(cx, &e, ("rate", d.name.span), ds, &what, |t| {
        matches!(t, ColumnType::Decimal { .. } | ColumnType::Integer)
    });
    let quoted = match e.get("quoted") {
        None => {
            entries::missing_key(cx, d.name.span, &what, "quoted", "per_unit");
            None
        }
        Some(x) => entries::word(cx, x, "`per_unit` or `per_reporting`").and_then(|w| {
            match w.text.as_str() {
                "per_unit" => Some(Quote::PerUnit),
                "per_reporting" => Some(Quote::PerReporting),
                _ => {
                    cx.report(
                        Diagnostic::error(Code::InvalidValue, w.span, format!("`{}` is not a way to quote rates", w.text))
                            .label("expected `per_unit` or `per_reporting`")
                            .help("`per_unit`: a rate is reporting currency per one unit of the other (EUR 1 = USD 1.0832); `per_reporting`: units of the other per one of the reporting currency (USD 1 = EUR 0.9232)"),
                    );
                    None
                }
            }
        }),
    };
    Some(ExchangeRates {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        doc: d.doc.clone(),
        dataset: ds?.name.clone(),
        currency: currency?,
        rate: rate?,
        quoted: quoted?,
        line: cx.line(d.span),
    })
}

/// A column of the rates' dataset named by `key`, of a type `fits` accepts.
fn column(
    cx: &mut Checker,
    e: &Entries,
    (key, declared): (&str, Span),
    ds: Option<&Dataset>,
    what: &str,
    fits: impl Fn(ColumnType) -> bool,
) -> Option<String> {
    let Some(x) = e.get(key) else {
        entries::missing_key(cx, declared, what, key, key);
        return None;
    };
    let w: &Ident = entries::word(cx, x, "a column name")?;
    let ds = ds?;
    match ds.column(&w.text) {
        Some(c) if fits(c.ty) => Some(w.text.clone()),
        Some(c) => {
            let want = if key == "rate" {
                "a decimal column"
            } else {
                "a text column of ISO 4217 codes"
            };
            cx.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    w.span,
                    format!("`{}` is {}, not {want}", w.text, c.ty.name()),
                )
                .label(format!("expected {want}"))
                .help(if key == "rate" {
                    "declare the rate as `decimal(18, 8)`: rates are exact decimals as given"
                } else {
                    "declare it as `text`"
                }),
            );
            None
        }
        None => {
            let names = ds.columns.iter().map(|c| c.name.as_str());
            cx.report(
                Diagnostic::error(
                    Code::UnknownColumn,
                    w.span,
                    format!("dataset `{}` has no column `{}`", ds.name, w.text),
                )
                .label("not a declared column")
                .maybe_help(did_you_mean(&w.text, names)),
            );
            None
        }
    }
}

/// Whether a column a rule derives a table from (an attribution's value, an allocation's cost,
/// a view's column) is money in the reporting currency; else an error: rules take reporting money.
pub fn reporting_only(cx: &mut Checker, column: &Column, span: Span, rule: &str) -> bool {
    let foreign = match &column.currency {
        Some(Currency {
            of: CurrencyOf::Code(c),
            ..
        }) => *c != cx.reporting,
        Some(_) => true,
        None => false,
    };
    if foreign {
        cx.report(
            Diagnostic::error(
                Code::UnitMismatch,
                span,
                format!("{rule} takes money in the reporting currency ({}), but `{}` is in another", cx.reporting, column.name),
            )
            .label("money in another currency")
            .help("rules derive their tables from reporting money; convert the amounts before they reach the data, or read them in KPIs, which convert at the declared rate"),
        );
    }
    !foreign
}

/// The unit of an aggregate of a money column in another currency, and how it converts: at the
/// declared rate into reporting money; or, with no rate, money in that one currency; an amount
/// in the currency each row names cannot be added up unconverted.
pub fn aggregate(
    cx: &mut Checker,
    (func, column, currency): (AggFunc, &Column, &Currency),
    uses: &RatesUse,
    span: Span,
) -> Result<(Ty, Option<Conversion>), ()> {
    if let CurrencyOf::Code(code) = &currency.of {
        if *code == cx.reporting {
            return Ok((Ty::MONEY, None));
        }
    }
    let Some(kind) = currency.rate else {
        return match &currency.of {
            CurrencyOf::Code(code) => Ok((Ty::money_in(code), None)),
            CurrencyOf::Column(named) => {
                cx.report(
                    Diagnostic::error(
                        Code::UnitMismatch,
                        span,
                        format!("`{}` is in the currency each row's `{named}` names: its amounts add up only once converted", column.name),
                    )
                    .label("amounts of several currencies")
                    .help(format!("declare the rate that converts them: `{}: money({named}) average` for a flow (revenue, cost), `closing` for a balance", column.name)),
                );
                Err(())
            }
        };
    };
    if matches!(func, AggFunc::TopShare { .. } | AggFunc::CountDistinct) {
        cx.report(
            Diagnostic::error(
                Code::UnitMismatch,
                span,
                format!(
                    "`{}` of money in other currencies is not converted",
                    func.name()
                ),
            )
            .label("a row-by-row measure")
            .help(
                "rates convert a period's totals; rank or count amounts of the reporting currency",
            ),
        );
        return Err(());
    }
    let Some(rates) = uses.rates.clone().or_else(|| cx.rates.clone()) else {
        cx.report(
            Diagnostic::error(
                Code::MissingKey,
                span,
                format!("`{}` converts at exchange rates, but the scorecard names none", column.name),
            )
            .label("no rates to convert with")
            .help("declare `exchange_rates fx { dataset: fx_rates  currency: currency  rate: rate  quoted: per_unit }` and name it in the header: `rates: fx`"),
        );
        return Err(());
    };
    Ok((
        Ty::MONEY,
        Some(Conversion {
            of: currency.of.clone(),
            kind,
            rates,
            at: uses.at.clone(),
        }),
    ))
}
