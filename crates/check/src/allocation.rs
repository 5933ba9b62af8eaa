//! Owns `allocation` declarations (time-driven activity-based costing) and the cost table they
//! derive: cost assigned per entity, resource and period, and each resource's unused capacity.

use super::entries::Entries;
use super::model::{Allocation, ColumnType, Dataset, SourceFormat};
use super::parts::derived_column as column;
use super::{filter, parts, Checker};
use rust_decimal::Decimal;
use scorecard_diagnostic::{Code, Diagnostic};
use scorecard_syntax::ast::{BinaryOp, Declaration, Entry, ExprKind};

const KEYS: &[&str] = &["capacity", "rate", "activity", "match", "driver", "to"];
/// The columns of a cost table besides the entity and the resource columns.
pub const COST_COLUMNS: &[&str] = &["period_start", "driver", "cost"];

pub fn check(
    cx: &mut Checker,
    d: &Declaration,
    datasets: &[Dataset],
) -> Option<(Allocation, [Dataset; 2])> {
    let e = Entries::read(cx, "an allocation", &d.entries, KEYS);
    let mut need = |key: &str, example: &str| e.required(cx, d, key, example);
    let capacity_e = need("capacity", "departments");
    let rate_e = need("rate", "departments.cost / departments.practical_minutes");
    let activity_e = need("activity", "service_log");
    let match_e = need("match", "service_log.department = departments.department");
    let driver_e = need("driver", "service_log.minutes");
    let to_e = need("to", "service_log.customer");
    let capacity = capacity_e.and_then(|x| parts::dataset(cx, x, datasets));
    let activity = activity_e.and_then(|x| parts::dataset(cx, x, datasets));
    let (capacity, activity) = (capacity?, activity?);
    let rate = rate_e.and_then(|x| rate(cx, x, capacity));
    let matches = match_e
        .and_then(|x| parts::expr(cx, x, "a match condition"))
        .and_then(|x| parts::matches(cx, x, activity, capacity));
    let driver = driver_e
        .and_then(|x| parts::expr(cx, x, "a quantity per activity row"))
        .and_then(|x| filter::quantity(cx, activity, x));
    let to = to_e
        .and_then(|x| parts::expr(cx, x, "the column naming who is charged"))
        .and_then(|x| parts::column(cx, x, activity));
    let ((cost, practical, share), matches, driver, (to, _)) = (rate?, matches?, driver?, to?);
    let [table, unused] = cost_tables(cx, d, &to, &matches)?;
    Some((
        Allocation {
            name: d.name.text.clone(),
            label: d.label.as_ref().map(|l| l.text.clone()),
            doc: d.doc.clone(),
            capacity: capacity.name.clone(),
            cost,
            practical,
            share,
            activity: activity.name.clone(),
            matches,
            driver,
            to,
            line: cx.line(d.name.span),
        },
        [table, unused],
    ))
}

/// `rate: capacity.cost / capacity.practical_minutes`: a money column of the capacity dataset
/// divided by a numeric one, whose practical capacity may be a share of the column
/// (`capacity.paid_minutes * practical_share`, a parameter or a number); the two columns and the
/// share (1 when not written).
fn rate(cx: &mut Checker, x: &Entry, capacity: &Dataset) -> Option<(String, String, Decimal)> {
    let x = parts::expr(cx, x, "cost / practical capacity")?;
    match &x.kind {
        ExprKind::Binary {
            op: BinaryOp::Div,
            left,
            right,
        } => {
            let (right, share) = match &right.kind {
                ExprKind::Binary {
                    op: BinaryOp::Mul,
                    left: column,
                    right: factor,
                } => (column.as_ref(), Some(factor.as_ref())),
                _ => (right.as_ref(), None),
            };
            let share = match share {
                None => Some(Decimal::ONE),
                Some(f) => super::parameter::constant(cx, f)
                    .filter(|v| *v > Decimal::ZERO)
                    .or_else(|| {
                        cx.report(
                            Diagnostic::error(
                                Code::InvalidValue,
                                f.span,
                                "the share of capacity that is practical is a number or percent above zero",
                            )
                            .label("not a share")
                            .help("for example `departments.paid_minutes * 80%`, or a `parameter` of unit percent"),
                        );
                        None
                    }),
            };
            let cost = parts::column(cx, left, capacity);
            let practical = parts::column(cx, right, capacity);
            let share = share?;
            let ((cost, ct), (practical, pt)) = (cost?, practical?);
            if ct != ColumnType::Money || !pt.is_numeric() {
                cx.report(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        x.span,
                        "the rate divides a money column by a numeric column",
                    )
                    .label(format!("{} / {}", ct.name(), pt.name()))
                    .help("declare the cost as `money` and the capacity as `integer` or `decimal`"),
                );
                return None;
            }
            let column = capacity.column(&cost)?;
            if !super::currency::reporting_only(cx, column, x.span, "an allocation") {
                return None;
            }
            Some((cost, practical, share))
        }
        _ => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    x.span,
                    "the rate is the cost of capacity supplied divided by practical capacity",
                )
                .label("expected `cost / practical capacity`")
                .help(format!(
                    "for example `rate: {}.cost / {}.practical_minutes`",
                    capacity.name, capacity.name
                )),
            );
            None
        }
    }
}

/// The tables an allocation derives: cost per entity, resource and period, and each resource's
/// unused capacity (`NAME.unused`), whose columns must not clash.
fn cost_tables(
    cx: &mut Checker,
    d: &Declaration,
    to: &str,
    matches: &[(String, String)],
) -> Option<[Dataset; 2]> {
    let mut columns = vec![
        column(
            "period_start",
            ColumnType::Date,
            "the first day of the period",
        ),
        column(
            to,
            ColumnType::Text,
            "who the cost is assigned to (empty: unused capacity)",
        ),
    ];
    for (_, resource) in matches {
        columns.push(column(
            resource,
            ColumnType::Text,
            "the resource that supplied the capacity",
        ));
    }
    let mut names: Vec<&str> = vec![to];
    names.extend(matches.iter().map(|(_, r)| r.as_str()));
    let clash = names
        .iter()
        .enumerate()
        .find(|(i, n)| COST_COLUMNS.contains(n) || names[..*i].contains(n));
    let clash = clash.map(|(_, n)| n.to_string());
    if let Some(name) = clash {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                d.name.span,
                format!("the cost table would have two columns named `{name}`"),
            )
            .label("column names clash")
            .help(format!("its own columns are: {}", COST_COLUMNS.join(", "))),
        );
        return None;
    }
    columns.extend([
        column(
            "driver",
            ColumnType::Decimal {
                precision: 28,
                scale: 10,
            },
            "driver quantity used (minutes)",
        ),
        column("cost", ColumnType::Money, "cost assigned"),
    ]);
    // Unused capacity: per resource and period, without the entity column.
    let mut unused_columns = columns.clone();
    unused_columns.remove(1);
    if let Some(c) = unused_columns.iter_mut().find(|c| c.name == "cost") {
        c.doc = Some("cost of the capacity no entity used".into());
    }
    let unused = Dataset {
        name: scorecard_model::unused_table(&d.name.text),
        label: None,
        doc: None,
        ..parts::derived_table(
            cx,
            d,
            (SourceFormat::Allocation, "period_start"),
            unused_columns,
        )
    };
    let table = parts::derived_table(cx, d, (SourceFormat::Allocation, "period_start"), columns);
    Some([table, unused])
}
