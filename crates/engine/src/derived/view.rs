//! Owns building a view's rows: its aggregates grouped by period and entity (one pass per dataset
//! read), each column computed from them per entity, and the cumulative ("whale") curve.

use crate::error::DataError;
use crate::passes::plan::Pass;
use crate::{passes::query, Cell, Table};
use datafusion::arrow::array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use rust_decimal::{Decimal, RoundingStrategy};
use scorecard_model::calendar::Periods;
use scorecard_model::{AggFunc, ArithOp, Expr, Model, Unit, View};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A view column's cumulative curve in one period: entities sorted from the largest value down,
/// and the running total as a share of the whole at every percent of entities.
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    pub view: String,
    pub column: String,
    pub period: String,
    pub entities: usize,
    /// The column's total over all entities.
    pub total: Decimal,
    /// (percent of entities, their share of the total), for 0% to 100%. The share is a ratio
    /// (1.5 is 150%) rounded to 4 places; the entities counted at p% are the smallest number that
    /// is at least p% of them.
    pub points: Vec<(u32, Decimal)>,
}

/// Computes the rows of `view`, registers them under its name, and returns its curves.
pub async fn register(
    ctx: &SessionContext,
    model: &Model,
    view: &View,
    periods: Periods,
    as_of: Option<chrono::NaiveDate>,
) -> Result<(Vec<Curve>, Vec<crate::Note>), DataError> {
    let scale = model.header.money_scale;
    let mut reads = BTreeSet::new();
    for c in &view.columns {
        scorecard_model::reach(&c.value, &[], &mut reads);
    }
    let mut by_dataset: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for &i in &reads {
        by_dataset
            .entry(model.aggregates[i].dataset.as_str())
            .or_default()
            .insert(i);
    }
    let mut tables: BTreeMap<usize, Arc<Table>> = BTreeMap::new();
    // Entities with rows in any dataset read, per period; rows with no entity belong to none.
    let mut entities: BTreeSet<(i64, String)> = BTreeSet::new();
    for (name, aggregates) in &by_dataset {
        let ds = model
            .dataset(name)
            .ok_or_else(|| DataError::Engine(format!("no dataset `{name}`")))?;
        let pass = Pass {
            dataset: name.to_string(),
            by: vec![view.key.clone()],
            currency: None,
        };
        let table =
            Arc::new(query::run_pass(ctx, model, ds, &pass, aggregates, periods, as_of).await?);
        for (p, segment) in table.rows.keys() {
            if let Some(Some(key)) = segment.first() {
                entities.insert((*p, key.clone()));
            }
        }
        for &i in aggregates {
            tables.insert(i, table.clone());
        }
    }

    let mut values: Vec<Vec<Option<Decimal>>> =
        vec![Vec::with_capacity(entities.len()); view.columns.len()];
    let divisions_by_zero = std::cell::Cell::new(0usize);
    for (p, key) in &entities {
        let lookup = Lookup {
            model,
            tables: &tables,
            row: (*p, vec![Some(key.clone())]),
            divisions_by_zero: &divisions_by_zero,
        };
        for (c, column) in view.columns.iter().enumerate() {
            let v = lookup
                .eval(&column.value)
                .ok_or_else(|| DataError::Overflow {
                    what: format!("column `{}` of view `{}`", column.name, view.name),
                })?;
            let places = if column.unit == Unit::Money {
                scale
            } else {
                10
            };
            values[c].push(
                v.map(|v| v.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)),
            );
        }
    }

    let ds = model
        .dataset(&view.name)
        .ok_or_else(|| DataError::Engine(format!("no table `{}`", view.name)))?;
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Date32Array::from_iter_values(entities.iter().map(
            |(p, _)| scorecard_model::calendar::days(periods.bounds(*p).0) as i32,
        ))),
        Arc::new(StringArray::from_iter_values(
            entities.iter().map(|(_, k)| k),
        )),
    ];
    for (c, column) in view.columns.iter().enumerate() {
        let places = if column.unit == Unit::Money {
            scale
        } else {
            10
        };
        let mantissas: Vec<Option<i128>> = values[c]
            .iter()
            .map(|v| {
                v.map(|mut d| {
                    d.rescale(places);
                    d.mantissa()
                })
            })
            .collect();
        columns.push(Arc::new(
            Decimal128Array::from(mantissas).with_precision_and_scale(28, places as i8)?,
        ));
    }
    let batch = RecordBatch::try_new(crate::sources::schema::schema(ds, scale), columns)?;
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
    ctx.register_table(TableReference::bare(view.name.as_str()), Arc::new(table))?;

    let mut notes = Vec::new();
    if divisions_by_zero.get() > 0 {
        notes.push(crate::Note {
            code: "scorecard::eval::division_by_zero",
            rule: view.name.clone(),
            message: format!(
                "division by zero in {} rows of view `{}`: those values are left empty",
                divisions_by_zero.get(),
                view.name
            ),
        });
    }
    let Some(whale) = &view.whale else {
        return Ok((Vec::new(), notes));
    };
    let c = view
        .columns
        .iter()
        .position(|c| &c.name == whale)
        .ok_or_else(|| DataError::Engine(format!("no column `{whale}`")))?;
    let mut per_period: BTreeMap<i64, Vec<Decimal>> = BTreeMap::new();
    for ((p, _), v) in entities.iter().zip(&values[c]) {
        if let Some(v) = v {
            per_period.entry(*p).or_default().push(*v);
        }
    }
    let mut curves = Vec::new();
    for (p, mut vs) in per_period {
        vs.sort_by(|a, b| b.cmp(a));
        let total: Decimal = vs.iter().sum();
        if total <= Decimal::ZERO {
            continue;
        }
        let mut running = vec![Decimal::ZERO];
        for v in &vs {
            let last = running[running.len() - 1];
            running.push(last + *v);
        }
        let n = vs.len();
        let points = (0..=100u32)
            .map(|pct| {
                // The smallest count that is at least pct% of the entities.
                let k = (pct as usize * n).div_ceil(100);
                let share = (running[k] / total)
                    .round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven);
                (pct, share)
            })
            .collect();
        curves.push(Curve {
            view: view.name.clone(),
            column: whale.clone(),
            period: periods.label(p),
            entities: n,
            total,
            points,
        });
    }
    Ok((curves, notes))
}

/// Reads a view column's aggregates for one period and entity.
struct Lookup<'a> {
    model: &'a Model,
    tables: &'a BTreeMap<usize, Arc<Table>>,
    row: (i64, Vec<Option<String>>),
    divisions_by_zero: &'a std::cell::Cell<usize>,
}

impl Lookup<'_> {
    /// The column's value (`Some(None)` is no value); `None` on overflow.
    fn eval(&self, e: &Expr) -> Option<Option<Decimal>> {
        scorecard_diagnostic::depth::deep(|| {
            Some(match e {
                Expr::Number { value } | Expr::Parameter { value, .. } => Some(*value),
                Expr::Aggregate { index } => {
                    let func = self.model.aggregates[*index].func;
                    let cell: Option<Cell> = self.tables.get(index).and_then(|t| {
                        let slot = *t.slots.get(index)?;
                        t.rows.get(&self.row).map(|r| r[slot])
                    });
                    match (cell, func) {
                        // An entity with no rows in this dataset: sums and counts are 0.
                        (None, AggFunc::Sum | AggFunc::Count | AggFunc::CountDistinct) => {
                            Some(Decimal::ZERO)
                        }
                        (None, _) => None,
                        (Some(c), AggFunc::Avg | AggFunc::TopShare { .. }) => match c.value {
                            Some(v) if !c.count.is_zero() => Some(v.checked_div(c.count)?),
                            _ => None,
                        },
                        (Some(c), _) => c.value,
                    }
                }
                Expr::Neg { operand } => self.eval(operand)?.map(scorecard_model::exact::negate),
                Expr::Arith { op, left, right } => {
                    let (Some(a), Some(b)) = (self.eval(left)?, self.eval(right)?) else {
                        return Some(None);
                    };
                    match op {
                        // A result beyond the exact range, or that 28 digits cannot hold, stops
                        // the view as an overflow does.
                        ArithOp::Add => Some(scorecard_model::exact::sum(a, b).ok()?),
                        ArithOp::Sub => Some(scorecard_model::exact::difference(a, b).ok()?),
                        ArithOp::Mul => Some(scorecard_model::exact::product(a, b).ok()?),
                        ArithOp::Div if b.is_zero() => {
                            self.divisions_by_zero.set(self.divisions_by_zero.get() + 1);
                            None
                        }
                        ArithOp::Div => Some(scorecard_model::exact::quotient(a, b).ok()?),
                    }
                }
                Expr::If {
                    cond,
                    then,
                    otherwise,
                } => match self.cond(cond)? {
                    Some(true) => self.eval(then)?,
                    Some(false) => self.eval(otherwise)?,
                    None => None,
                },
                Expr::Clv {
                    margin,
                    retention,
                    discount,
                    horizon,
                } => match (
                    self.eval(margin)?,
                    self.eval(retention)?,
                    self.eval(discount)?,
                ) {
                    (Some(m), Some(r), Some(d)) => scorecard_model::finance::clv(m, r, d, *horizon),
                    _ => None,
                },
                // The checker keeps these out of views.
                Expr::Kpi { .. }
                | Expr::Value
                | Expr::Target
                | Expr::Shift { .. }
                | Expr::Window { .. }
                | Expr::Compare { .. }
                | Expr::And { .. }
                | Expr::Or { .. }
                | Expr::Not { .. } => None,
            })
        })
    }

    fn cond(&self, e: &Expr) -> Option<Option<bool>> {
        scorecard_diagnostic::depth::deep(|| {
            Some(match e {
                Expr::Compare { op, left, right } => match (self.eval(left)?, self.eval(right)?) {
                    (Some(a), Some(b)) => Some(op.holds(a.cmp(&b))),
                    _ => None,
                },
                Expr::And { left, right } => match (self.cond(left)?, self.cond(right)?) {
                    (Some(a), Some(b)) => Some(a && b),
                    _ => None,
                },
                Expr::Or { left, right } => match (self.cond(left)?, self.cond(right)?) {
                    (Some(a), Some(b)) => Some(a || b),
                    _ => None,
                },
                Expr::Not { operand } => self.cond(operand)?.map(|b| !b),
                _ => None,
            })
        })
    }
}
