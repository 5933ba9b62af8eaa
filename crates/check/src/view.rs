//! Owns `view` declarations: one row per entity (the `by` column) and period, its columns computed
//! from aggregates grouped by that entity, usable by KPIs like a dataset.

use super::entries::{self, Entries};
use super::expr::{Lowering, Scope};
use super::model::{ColumnType, Dataset, Expr, SourceFormat, Unit, View, ViewColumn};
use super::parts::derived_column as column;
use super::units::Ty;
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic};
use scorecard_model::calendar::Periods;
use scorecard_syntax::ast::{Declaration, Value};
use std::collections::BTreeMap;

const KEYS: &[&str] = &["by", "columns", "whale"];

/// Checks a view against the datasets and rule tables before it, adding its aggregates to the
/// model's list; returns the view and the table it derives.
pub fn check(
    cx: &mut Checker,
    d: &Declaration,
    datasets: &[Dataset],
    periods: Periods,
    aggregates: &mut super::expr::AggregateSet,
) -> Option<(View, Dataset)> {
    let what = format!("view `{}`", d.name.text);
    let e = Entries::read(cx, "a view", &d.entries, KEYS);
    let Some(by) = e.get("by") else {
        entries::missing_key(cx, d.name.span, &what, "by", "customer");
        return None;
    };
    let key = entries::word(cx, by, "the entity column, such as `customer`")?;
    let Some(Value::Block(list, _)) = e.get("columns").map(|c| &c.value) else {
        let span = e
            .get("columns")
            .map(|c| c.value.span())
            .unwrap_or(d.name.span);
        cx.report(
            Diagnostic::error(
                Code::MissingKey,
                span,
                format!("{what} needs a `columns` block"),
            )
            .label("no columns")
            .help("add `columns: { revenue: sum(orders.revenue) }`"),
        );
        return None;
    };
    let mut locals: BTreeMap<String, (Expr, Ty)> = BTreeMap::new();
    let mut columns = Vec::new();
    for entry in list {
        let name = &entry.key.text;
        if name == &key.text || name == "period_start" || locals.contains_key(name) {
            cx.report(
                Diagnostic::error(
                    Code::DuplicateKey,
                    entry.key.span,
                    format!("the view already has a column `{name}`"),
                )
                .label("column named twice")
                .help("give each column its own name"),
            );
            continue;
        }
        let Some(x) = super::parts::expr(cx, entry, "an expression over aggregates") else {
            continue;
        };
        let reading = Reading {
            datasets,
            periods,
            key: &key.text,
            locals: &locals,
        };
        let Some((value, ty)) = reading.column(cx, x, aggregates) else {
            continue;
        };
        let unit = if ty.money() == Some(1) {
            Unit::Money
        } else {
            Unit::Number
        };
        locals.insert(name.clone(), (value.clone(), ty));
        columns.push(ViewColumn {
            name: name.clone(),
            unit,
            value,
        });
    }
    let whale = match e.get("whale") {
        None => None,
        Some(w) => Some(whale(cx, w, &columns)?),
    };
    if columns.len() != list.len() {
        return None;
    }
    let table = derived_table(cx, d, &key.text, &columns);
    Some((
        View {
            name: d.name.text.clone(),
            label: d.label.as_ref().map(|l| l.text.clone()),
            doc: d.doc.clone(),
            key: key.text.clone(),
            columns,
            whale,
            line: cx.line(d.name.span),
        },
        table,
    ))
}

/// What a view column's expression may read: the datasets and rule tables before the view, and
/// the view's columns before it.
struct Reading<'a> {
    datasets: &'a [Dataset],
    periods: Periods,
    /// The entity column, which every dataset read must have.
    key: &'a str,
    locals: &'a BTreeMap<String, (Expr, Ty)>,
}

impl Reading<'_> {
    /// One column's expression, lowered, with its type: one value per entity and period, over
    /// datasets that have the entity column.
    fn column(
        &self,
        cx: &mut Checker,
        x: &scorecard_syntax::ast::Expr,
        aggregates: &mut super::expr::AggregateSet,
    ) -> Option<(Expr, Ty)> {
        let no_kpis = BTreeMap::new();
        let no_distinct = BTreeMap::new();
        let (value, ty) = Lowering {
            cx,
            scope: Scope {
                datasets: self.datasets,
                kpis: &no_kpis,
                this: None,
                periods: self.periods,
                distinct: &no_distinct,
                locals: Some(self.locals),
                rates: Default::default(),
            },
            aggregates,
        }
        .lower(x)?;
        if let Err(why) = per_entity(&value) {
            cx.report(
                Diagnostic::error(Code::InvalidValue, x.span, format!("a view column cannot use {why}"))
                    .label("not one value per entity and period")
                    .help("a view's columns are arithmetic over aggregates in one period; use time functions in KPIs over the view"),
            );
            return None;
        }
        // Every dataset read must have the entity column.
        let mut reads = std::collections::BTreeSet::new();
        super::model::reach(&value, &[], &mut reads);
        let missing = reads.iter().map(|i| &aggregates[*i].dataset).find(|ds| {
            self.datasets
                .iter()
                .find(|d| &d.name == *ds)
                .is_some_and(|d| d.column(self.key).is_none())
        });
        if let Some(ds) = missing {
            cx.report(
                Diagnostic::error(
                    Code::SegmentColumn,
                    x.span,
                    format!("`{ds}` has no column `{}` to group by", self.key),
                )
                .label(format!("reads `{ds}`"))
                .help(format!(
                    "every dataset a view reads needs its `by` column `{}`",
                    self.key
                )),
            );
            return None;
        }
        Some((value, ty))
    }
}

/// `whale: column`: the column a whale curve ranks entities by, one of the view's.
fn whale(
    cx: &mut Checker,
    w: &scorecard_syntax::ast::Entry,
    columns: &[ViewColumn],
) -> Option<String> {
    let w = entries::word(cx, w, "a column of the view")?;
    if !columns.iter().any(|c| c.name == w.text) {
        cx.report(
            Diagnostic::error(
                Code::UnknownColumn,
                w.span,
                format!("the view has no column `{}`", w.text),
            )
            .label("unknown column")
            .maybe_help(did_you_mean(
                &w.text,
                columns.iter().map(|c| c.name.as_str()),
            )),
        );
        return None;
    }
    Some(w.text.clone())
}

/// The table a view derives: a row per period and entity, with the view's columns.
fn derived_table(cx: &Checker, d: &Declaration, key: &str, columns: &[ViewColumn]) -> Dataset {
    let mut table_columns = vec![
        column(
            "period_start",
            ColumnType::Date,
            "the first day of the period",
        ),
        column(key, ColumnType::Text, "the entity"),
    ];
    for c in columns {
        let ty = match c.unit {
            Unit::Money => ColumnType::Money,
            _ => ColumnType::Decimal {
                precision: 28,
                scale: 10,
            },
        };
        table_columns.push(column(&c.name, ty, "a view column"));
    }
    super::parts::derived_table(cx, d, (SourceFormat::View, "period_start"), table_columns)
}

/// Whether an expression is one value per entity and period: no time functions, no KPIs.
fn per_entity(e: &Expr) -> Result<(), &'static str> {
    scorecard_diagnostic::depth::deep(|| match e {
        Expr::Shift { .. } => Err("an earlier period"),
        Expr::Window { .. } => Err("a window of periods"),
        Expr::Kpi { .. } | Expr::Value | Expr::Target => Err("a KPI"),
        other => other.children().into_iter().try_for_each(per_entity),
    })
}
