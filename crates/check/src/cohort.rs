//! Owns `cohort` declarations: customers grouped by the period of their first row, the revenue and
//! margin their activity rows carry, the lapsed rule and the rates a customer's lifetime value is
//! predicted at, and the table a cohort derives (one row per cohort and age).

use super::entries::{self, Entries};
use super::model::{Cohort, ColumnType, Dataset, Lapsed, SourceFormat, COHORT_COLUMNS};
use super::parts::derived_column as column;
use super::{filter, parts, Checker};
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic};
use scorecard_syntax::ast::{Declaration, Entry, ExprKind};

const KEYS: &[&str] = &[
    "customer",
    "start",
    "revenue",
    "margin",
    "ages",
    "lapsed",
    "retention",
    "discount",
    "horizon",
];

/// The most ages a triangle shows: ten years of months.
const MOST_AGES: u32 = 120;

pub fn check(cx: &mut Checker, d: &Declaration, datasets: &[Dataset]) -> Option<(Cohort, Dataset)> {
    let e = Entries::read(cx, "a cohort", &d.entries, KEYS);
    let mut need = |key: &str, example: &str| e.required(cx, d, key, example);
    let customer_e = need("customer", "orders.customer");
    let revenue_e = need("revenue", "orders.revenue");
    let margin_e = need("margin", "orders.revenue - orders.cogs");
    let ages_e = need("ages", "8");
    let retention_e = need("retention", "80%");
    let discount_e = need("discount", "3%");
    let (activity, entity) = customer(cx, customer_e?, datasets)?;
    let start = match e.get("start") {
        None => Some(activity),
        Some(s) => parts::dataset(cx, s, datasets).filter(|ds| {
            let ok = ds.column(&entity).is_some_and(|c| c.ty == ColumnType::Text);
            if !ok {
                cx.report(
                    Diagnostic::error(Code::UnknownColumn, s.value.span(), format!("`{}` has no text column `{entity}`", ds.name))
                        .label("no customer column")
                        .help(format!("the dataset whose first row starts a customer's cohort names the customer as `{}` does", activity.name)),
                );
            }
            ok
        }),
    };
    let amount = |cx: &mut Checker, x: Option<&Entry>, what: &str| {
        let x = x.and_then(|x| parts::expr(cx, x, what))?;
        let row = filter::quantity(cx, activity, x)?;
        // Amounts add up across customers and periods: only money of the reporting currency.
        let mut read = Vec::new();
        columns_read(&row, &mut read);
        let reporting = read
            .iter()
            .filter_map(|c| activity.column(c))
            .all(|c| super::currency::reporting_only(cx, c, x.span, "a cohort"));
        reporting.then_some(row)
    };
    let revenue = amount(cx, revenue_e, "the revenue of an activity row");
    let margin = amount(cx, margin_e, "the margin of an activity row");
    let ages = ages_e.and_then(|x| whole(cx, x, 1, MOST_AGES, "a number of periods from 1 to 120"));
    let lapsed = match e.get("lapsed") {
        None => Some(Lapsed::Kept),
        Some(x) => lapsed(cx, x),
    };
    let retention = retention_e.and_then(|x| rate(cx, x, Decimal::ZERO, Decimal::ONE));
    let discount = discount_e.and_then(|x| rate(cx, x, Decimal::ZERO, Decimal::from(10)));
    let horizon = match e.get("horizon") {
        None => Some(None),
        Some(x) => whole(cx, x, 1, 1000, "a whole number of periods from 1 to 1000").map(Some),
    };
    // For ever, margins kept at retention ≥ 1 + discount never stop adding up.
    if let (Some(r), Some(d), Some(None), Some(x)) = (retention, discount, horizon, retention_e) {
        if r >= Decimal::ONE + d {
            cx.report(
                Diagnostic::error(Code::InvalidValue, x.value.span(), "at this retention and discount a lifetime value never stops adding up")
                    .label("retention is not below 1 + discount")
                    .help("give a `horizon:` in periods, or a retention below 100% plus the discount rate"),
            );
            return None;
        }
    }
    let cohort = Cohort {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        doc: d.doc.clone(),
        activity: activity.name.clone(),
        entity,
        start: start?.name.clone(),
        revenue: revenue?,
        margin: margin?,
        ages: ages?,
        lapsed: lapsed?,
        retention: retention?,
        discount: discount?,
        horizon: horizon?,
        line: cx.line(d.name.span),
    };
    let table = table(cx, d);
    Some((cohort, table))
}

/// The columns a row expression reads.
fn columns_read(e: &scorecard_model::RowExpr, out: &mut Vec<String>) {
    use scorecard_model::RowExpr;
    scorecard_diagnostic::depth::deep(|| match e {
        RowExpr::Column { name } => out.push(name.clone()),
        RowExpr::Text { .. }
        | RowExpr::Number { .. }
        | RowExpr::Date { .. }
        | RowExpr::Bool { .. } => {}
        RowExpr::Neg { operand } | RowExpr::Not { operand } => columns_read(operand, out),
        RowExpr::Arith { left, right, .. }
        | RowExpr::Compare { left, right, .. }
        | RowExpr::And { left, right }
        | RowExpr::Or { left, right } => {
            columns_read(left, out);
            columns_read(right, out);
        }
        RowExpr::In { operand, values } => {
            columns_read(operand, out);
            values.iter().for_each(|v| columns_read(v, out));
        }
    })
}

/// `customer: orders.customer`: the activity dataset and its text column naming the customer.
fn customer<'d>(
    cx: &mut Checker,
    e: &Entry,
    datasets: &'d [Dataset],
) -> Option<(&'d Dataset, String)> {
    let x = parts::expr(cx, e, "the customer column, such as `orders.customer`")?;
    let ExprKind::Path(path) = &x.kind else {
        cx.report(
            Diagnostic::error(Code::InvalidValue, x.span, "expected `dataset.column`")
                .label("not a column")
                .help("for example `customer: orders.customer`"),
        );
        return None;
    };
    let [ds_name, _] = path.as_slice() else {
        cx.report(
            Diagnostic::error(Code::InvalidValue, x.span, "expected `dataset.column`")
                .label("name the dataset and its customer column")
                .help("for example `customer: orders.customer`"),
        );
        return None;
    };
    let Some(ds) = datasets.iter().find(|d| d.name == ds_name.text) else {
        if !cx.is_broken(&ds_name.text) {
            cx.report(
                Diagnostic::error(
                    Code::UnknownDataset,
                    ds_name.span,
                    format!("no dataset is named `{}`", ds_name.text),
                )
                .label("unknown dataset")
                .maybe_help(did_you_mean(
                    &ds_name.text,
                    datasets.iter().map(|d| d.name.as_str()),
                )),
            );
        }
        return None;
    };
    let (name, ty) = parts::column(cx, x, ds)?;
    if ty != ColumnType::Text {
        cx.report(
            Diagnostic::error(
                Code::TypeMismatch,
                x.span,
                format!("the customer column is {}, not text", ty.name()),
            )
            .label("not a text column")
            .help("a cohort groups customers by a text column that names them"),
        );
        return None;
    }
    Some((ds, name))
}

/// A whole number from `low` to `high`, written out or a parameter's value.
fn whole(cx: &mut Checker, e: &Entry, low: u32, high: u32, expected: &str) -> Option<u32> {
    let item = entries::expression(cx, e, expected)?;
    let value = super::parameter::constant(cx, item)
        .filter(|v| v.fract().is_zero())
        .and_then(|v| u32::try_from(v.mantissa() / 10i128.pow(v.scale())).ok())
        .filter(|v| (low..=high).contains(v));
    if value.is_none() && !super::parameter::names_broken(cx, item) {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                item.span,
                format!("`{}` is {expected}", e.key.text),
            )
            .label("not such a number"),
        );
    }
    value
}

/// A rate from `low` to `high` (`80%`, `0.8`, or a parameter).
fn rate(cx: &mut Checker, e: &Entry, low: Decimal, high: Decimal) -> Option<Decimal> {
    let item = entries::expression(cx, e, "a rate such as `80%`")?;
    let value = super::parameter::constant(cx, item).filter(|v| *v >= low && *v <= high);
    if value.is_none() && !super::parameter::names_broken(cx, item) {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                item.span,
                format!(
                    "`{}` is a rate from {} to {}",
                    e.key.text,
                    pct(low),
                    pct(high)
                ),
            )
            .label("not such a rate")
            .help(format!(
                "for example `{}: 80%`, or a `parameter` of unit percent",
                e.key.text
            )),
        );
    }
    value
}

fn pct(v: Decimal) -> String {
    format!("{}%", (v * Decimal::ONE_HUNDRED).normalize())
}

/// An argument of a lapsed rule outside its range, reported where it stands.
fn out_of_range(cx: &mut Checker, span: scorecard_diagnostic::Span, why: &str) -> Option<Lapsed> {
    cx.report(
        Diagnostic::error(Code::InvalidValue, span, why.to_string())
            .label("out of range")
            .help("for example `decayed(keep: 50%, after: 2)`"),
    );
    None
}

/// `lapsed: kept`, `zeroed(after: 2)` or `decayed(keep: 50%, after: 2)`.
fn lapsed(cx: &mut Checker, e: &Entry) -> Option<Lapsed> {
    let item = entries::expression(
        cx,
        e,
        "`kept`, `zeroed(after: 2)` or `decayed(keep: 50%, after: 2)`",
    )?;
    let bad = |cx: &mut Checker| {
        cx.report(
            Diagnostic::error(Code::InvalidValue, item.span, "expected `kept`, `zeroed(after: N)` or `decayed(keep: R, after: N)`")
                .label("not a lapsed rule")
                .help("a customer lapses after N periods without activity: `zeroed(after: 2)` counts it as 0 from then, `decayed(keep: 50%, after: 2)` keeps half of it each period, `kept` counts it still"),
        );
        None
    };
    match &item.kind {
        ExprKind::Path(p) if p.len() == 1 && p[0].text == "kept" => Some(Lapsed::Kept),
        ExprKind::Call { name, args } if name.text == "zeroed" || name.text == "decayed" => {
            let mut after = None;
            let mut keep = None;
            for a in args {
                let value = super::parameter::constant(cx, &a.value);
                let whole = value.filter(|v| v.fract().is_zero());
                match (a.name.as_ref().map(|n| n.text.as_str()), value) {
                    (Some("after"), Some(_)) => {
                        let periods = whole
                            .filter(|v| *v >= Decimal::ONE && *v <= Decimal::from(MOST_AGES))
                            .and_then(|v| u32::try_from(v.mantissa() / 10i128.pow(v.scale())).ok());
                        if periods.is_none() {
                            return out_of_range(
                                cx,
                                a.value.span,
                                "`after` is a whole number of periods from 1 to 120",
                            );
                        }
                        after = periods;
                    }
                    (Some("keep"), Some(v)) if name.text == "decayed" => {
                        if v <= Decimal::ZERO || v >= Decimal::ONE {
                            return out_of_range(cx, a.value.span, "`keep` is a share above 0% and below 100%: 0% is `zeroed`, 100% is `kept`");
                        }
                        keep = Some(v);
                    }
                    _ => return bad(cx),
                }
            }
            match (name.text.as_str(), after, keep) {
                ("zeroed", Some(after), None) => Some(Lapsed::Zeroed { after }),
                ("decayed", Some(after), Some(keep)) => Some(Lapsed::Decayed { keep, after }),
                _ => bad(cx),
            }
        }
        _ => bad(cx),
    }
}

/// The table a cohort derives: `COHORT_COLUMNS`, by period.
fn table(cx: &Checker, d: &Declaration) -> Dataset {
    let columns = COHORT_COLUMNS
        .iter()
        .map(|(name, doc)| {
            let ty = match *name {
                "period_start" => ColumnType::Date,
                "cohort" => ColumnType::Text,
                "age" | "size" | "active" => ColumnType::Integer,
                "counted" => ColumnType::Decimal {
                    precision: 28,
                    scale: 10,
                },
                _ => ColumnType::Money,
            };
            column(name, ty, doc)
        })
        .collect();
    parts::derived_table(cx, d, (SourceFormat::Cohort, "period_start"), columns)
}
