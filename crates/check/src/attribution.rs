//! Owns `attribution` declarations: which touches may earn credit for which conversions, under which
//! model, and the credit table they derive (one row per touch credited, plus `unattributed` rows).

use super::entries::Entries;
use super::model::SourceFormat;
use super::model::{Attribution, AttributionModel, ColumnType, Dataset, Function};
use super::parts::derived_column as column;
use super::{filter, parts, Checker};
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic};
use scorecard_syntax::ast::{Arg, Declaration, ExprKind};

const KEYS: &[&str] = &[
    "touches",
    "conversions",
    "match",
    "window",
    "value",
    "credit_to",
    "model",
    "exclude",
    "require",
];
pub const MODELS: &[&str] = &[
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "markov",
];
/// The columns of a credit table besides the conversion's time and the credited column.
pub const CREDIT_COLUMNS: &[&str] = &["credit", "weight", "conversion", "touch"];

pub fn check(
    cx: &mut Checker,
    d: &Declaration,
    datasets: &[Dataset],
    functions: &[Function],
) -> Option<(Attribution, Dataset)> {
    let e = Entries::read(cx, "an attribution", &d.entries, KEYS);
    let mut need = |key: &str, example: &str| e.required(cx, d, key, example);
    let touches_e = need("touches", "touchpoints");
    let conversions_e = need("conversions", "orders");
    let match_e = need("match", "touchpoints.customer = orders.customer");
    let window_e = need("window", "30 days");
    let value_e = need("value", "orders.revenue");
    let credit_e = need("credit_to", "touchpoints.channel");
    let touches = touches_e.and_then(|x| parts::dataset(cx, x, datasets));
    let conversions = conversions_e.and_then(|x| parts::dataset(cx, x, datasets));
    let window_days = window_e
        .and_then(|x| parts::expr(cx, x, "a length of time such as `30 days`"))
        .and_then(|x| parts::days(cx, x));
    let window_days = window_days.and_then(|w| whole_days(cx, w, window_e?));
    let (touches, conversions) = (touches?, conversions?);
    let matches = match_e
        .and_then(|x| parts::expr(cx, x, "a match condition"))
        .and_then(|x| parts::matches(cx, x, touches, conversions));
    let value = value_e
        .and_then(|x| parts::expr(cx, x, "a money column of the conversions"))
        .and_then(|x| {
            let (name, ty) = parts::column(cx, x, conversions)?;
            if ty != ColumnType::Money {
                cx.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        x.span,
                        format!(
                            "the value credited must be money, but `{name}` is {}",
                            ty.name()
                        ),
                    )
                    .label("not a money column")
                    .help("declare the column as `money`, or credit another column"),
                );
                return None;
            }
            let column = conversions.column(&name)?;
            if !super::currency::reporting_only(cx, column, x.span, "an attribution") {
                return None;
            }
            Some(name)
        });
    let credit_to = credit_e
        .and_then(|x| parts::expr(cx, x, "a column of the touches"))
        .and_then(|x| {
            let (name, ty) = parts::column(cx, x, touches)?;
            let clashes = name == conversions.time || CREDIT_COLUMNS.contains(&name.as_str());
            if ty != ColumnType::Text || clashes {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        x.span,
                        if clashes {
                            format!("`{name}` is a column the credit table already has")
                        } else {
                            format!(
                                "credit goes to a text column, but `{name}` is {}",
                                ty.name()
                            )
                        },
                    )
                    .label("cannot credit this column")
                    .help("credit a text column such as `channel` or `campaign`"),
                );
                return None;
            }
            Some(name)
        });
    let filter_of = |cx: &mut Checker, key: &str| {
        e.get(key)
            .and_then(|x| parts::expr(cx, x, "a condition over the touches"))
            .map(|x| filter::lower(cx, touches, x))
    };
    let exclude = filter_of(cx, "exclude");
    let require = filter_of(cx, "require");
    let model = match e.get("model") {
        None => Some(AttributionModel::LastTouch),
        Some(m) => parts::expr(cx, m, "an attribution model")
            .and_then(|x| model(cx, x, touches, functions)),
    };
    let time_ty = conversions.column(&conversions.time).map(|c| c.ty)?;
    let credit_to = credit_to?;
    let columns = vec![
        column(&conversions.time, time_ty, "the conversion's time"),
        column(&credit_to, ColumnType::Text, "what the credit went to"),
        column("credit", ColumnType::Money, "the credit, in money"),
        column(
            "weight",
            ColumnType::Decimal {
                precision: 28,
                scale: 12,
            },
            "the touch's share of the conversion",
        ),
        column(
            "conversion",
            ColumnType::Integer,
            "the conversion's line in its file",
        ),
        column("touch", ColumnType::Integer, "the touch's line in its file"),
    ];
    let format = (SourceFormat::Attribution, conversions.time.as_str());
    let table = parts::derived_table(cx, d, format, columns);
    Some((
        Attribution {
            name: d.name.text.clone(),
            label: d.label.as_ref().map(|l| l.text.clone()),
            doc: d.doc.clone(),
            touches: touches.name.clone(),
            conversions: conversions.name.clone(),
            matches: matches?,
            window_days: window_days?,
            value: value?,
            credit_to,
            model: model?,
            exclude: exclude.flatten_opt()?,
            require: require.flatten_opt()?,
            line: cx.line(d.name.span),
        },
        table,
    ))
}

fn whole_days(cx: &mut Checker, w: Decimal, e: &scorecard_syntax::ast::Entry) -> Option<i64> {
    if w.fract().is_zero() {
        if let Ok(n) = i64::try_from(w) {
            if n <= 36_600 {
                return Some(n);
            }
        }
    }
    cx.report(
        Diagnostic::error(
            Code::InvalidValue,
            e.value.span(),
            "a lookback window is a whole number of days, at most 100 years",
        )
        .label("not a whole number of days"),
    );
    None
}

/// A filter that was absent (`None`), given and valid (`Some(Some(x))`) or given and wrong
/// (`Some(None)`, already reported).
trait Optional<T> {
    fn flatten_opt(self) -> Option<Option<T>>;
}

impl<T> Optional<T> for Option<Option<T>> {
    fn flatten_opt(self) -> Option<Option<T>> {
        match self {
            None => Some(None),
            Some(Some(x)) => Some(Some(x)),
            Some(None) => None,
        }
    }
}

fn model(
    cx: &mut Checker,
    e: &scorecard_syntax::ast::Expr,
    touches: &Dataset,
    functions: &[Function],
) -> Option<AttributionModel> {
    let (name, args): (&scorecard_syntax::ast::Ident, &[Arg]) = match &e.kind {
        ExprKind::Path(p) if p.len() == 1 => (&p[0], &[]),
        ExprKind::Call { name, args } => (name, args.as_slice()),
        _ => {
            cx.report(unknown_model(e.span, None));
            return None;
        }
    };
    let named = |cx: &mut Checker,
                 allowed: &[&str]|
     -> Option<Vec<(String, &scorecard_syntax::ast::Expr)>> {
        let mut out = Vec::new();
        for a in args {
            let Some(n) = a
                .name
                .as_ref()
                .filter(|n| allowed.contains(&n.text.as_str()))
            else {
                cx.report(
                    Diagnostic::error(
                        Code::WrongArguments,
                        a.span,
                        format!(
                            "`{}` takes the named arguments: {}",
                            name.text,
                            allowed.join(", ")
                        ),
                    )
                    .label("unexpected argument")
                    .help(format!("for example `{}`", example(&name.text))),
                );
                return None;
            };
            out.push((n.text.clone(), &a.value));
        }
        Some(out)
    };
    let share = |cx: &mut Checker, x: &scorecard_syntax::ast::Expr| -> Option<Decimal> {
        match &x.kind {
            ExprKind::Percent(p) => cx.percent(p, x.span),
            _ => {
                cx.report(
                    Diagnostic::error(Code::InvalidValue, x.span, "expected a percentage")
                        .label("not a percentage")
                        .help("for example `first: 40%`"),
                );
                None
            }
        }
    };
    let condition = |cx: &mut Checker,
                     args: &[(String, &scorecard_syntax::ast::Expr)],
                     key: &str| match args.iter().find(|(n, _)| n == key) {
        Some((_, x)) => filter::lower(cx, touches, x),
        None => {
            cx.report(
                Diagnostic::error(
                    Code::WrongArguments,
                    e.span,
                    format!("`{}` needs `{key}:`", name.text),
                )
                .label(format!("no `{key}:` condition"))
                .help(format!("for example `{}`", example(&name.text))),
            );
            None
        }
    };
    let model = match name.text.as_str() {
        "first_touch" | "last_touch" | "linear" | "markov" if !args.is_empty() => {
            named(cx, &[])?;
            return None;
        }
        "first_touch" => AttributionModel::FirstTouch,
        "last_touch" => AttributionModel::LastTouch,
        "linear" => AttributionModel::Linear,
        "markov" => AttributionModel::Markov,
        "last_non_direct" => {
            let a = named(cx, &["direct"])?;
            AttributionModel::LastNonDirect {
                direct: condition(cx, &a, "direct")?,
            }
        }
        "w_shaped" => {
            let a = named(cx, &["lead", "opportunity"])?;
            let lead = condition(cx, &a, "lead");
            let opportunity = condition(cx, &a, "opportunity");
            AttributionModel::WShaped {
                lead: lead?,
                opportunity: opportunity?,
            }
        }
        "time_decay" => {
            let a = named(cx, &["half_life"])?;
            let half_life_days = match a.first() {
                Some((_, x)) => parts::days(cx, x)?,
                // Google Analytics' default half-life.
                None => Decimal::from(7),
            };
            AttributionModel::TimeDecay { half_life_days }
        }
        "position_based" => {
            let a = named(cx, &["first", "last"])?;
            let mut first = Decimal::new(4, 1);
            let mut last = Decimal::new(4, 1);
            for (n, x) in &a {
                let s = share(cx, x)?;
                if n == "first" {
                    first = s;
                } else {
                    last = s;
                }
            }
            if first + last > Decimal::ONE {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        e.span,
                        "the first and last shares add up to more than 100%",
                    )
                    .label("more than the whole")
                    .help("the standard rule is `position_based(first: 40%, last: 40%)`"),
                );
                return None;
            }
            AttributionModel::PositionBased { first, last }
        }
        other if args.is_empty() && functions.iter().any(|f| f.name == other && f.params == 3) => {
            AttributionModel::Script {
                function: other.to_string(),
            }
        }
        other => {
            cx.report(unknown_model(
                name.span,
                did_you_mean(
                    other,
                    MODELS
                        .iter()
                        .copied()
                        .chain(functions.iter().map(|f| f.name.as_str())),
                ),
            ));
            return None;
        }
    };
    Some(model)
}

fn unknown_model(span: scorecard_diagnostic::Span, help: Option<String>) -> Diagnostic {
    Diagnostic::error(Code::UnknownName, span, "unknown attribution model")
        .label("not a model")
        .help(help.unwrap_or_else(|| {
            format!(
                "the models are: {}, or a declared `function` giving each touch's weight",
                MODELS.join(", ")
            )
        }))
}

fn example(model: &str) -> &'static str {
    match model {
        "time_decay" => "time_decay(half_life: 7 days)",
        "position_based" => "position_based(first: 40%, last: 40%)",
        "last_non_direct" => "last_non_direct(direct: touchpoints.channel = \"direct\")",
        "w_shaped" => "w_shaped(lead: touchpoints.stage = \"lead\", opportunity: touchpoints.stage = \"opportunity\")",
        _ => "linear",
    }
}
