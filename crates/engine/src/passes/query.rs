//! Owns one aggregate pass: a dataset grouped by period and segment columns, every aggregate as a
//! conditional aggregate (`CASE WHEN filter THEN x END`) in one query, and the results read back as
//! exact decimals.

use crate::error::DataError;
use crate::passes::layout::{self, Part};
use crate::passes::period;
use crate::passes::plan::Pass;
use crate::passes::window::{over, Windows};
use crate::{Cell, Table};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Int32Type, Int64Type, UInt64Type};
use datafusion::common::{ScalarValue, TableReference};
use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::expr_fn::{count, count_distinct, max, min, sum};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{binary_expr, when, Expr, ExprFunctionExt, Operator};
use datafusion::prelude::{cast, ident, lit, SessionContext};
use rust_decimal::Decimal;
use scorecard_model::calendar::Periods;
use scorecard_model::{AggFunc, ArithOp, CmpOp, ColumnType, Dataset, Model, RowExpr};
use std::collections::{BTreeSet, HashMap};

/// One pass as a DataFusion query, its result read back into a `Table`. The aggregates take
/// their columns by the shared layout (`layout.rs`); after them come the row counts of each
/// distinct filter (`filters`), which tell "matched nothing" (a sum of 0) from "matched only
/// empty values" (no value).
pub async fn run_pass(
    ctx: &SessionContext,
    model: &Model,
    ds: &Dataset,
    pass: &Pass,
    aggregates: &BTreeSet<usize>,
    periods: Periods,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Table, DataError> {
    // Every period is aggregated, whatever `--from` and `--to` report: windows and comparisons with
    // earlier periods need the rows before them. Only `--as-of` leaves rows out.
    let mut df = ctx.table(TableReference::bare(ds.name.as_str())).await?;
    // Under a memory limit, distinct counts are counted apart, in a way that can spill.
    let limited = matches!(
        ctx.runtime_env().memory_pool.memory_limit(),
        MemoryLimit::Finite(_)
    );
    if let Some(day) = as_of {
        // Rows with no time are kept so that they are reported below, not dropped by the filter.
        let (through, no_time) = (
            period::on_or_before(period::Time::of(model, ds), day),
            period::day_of(period::Time::of(model, ds)),
        );
        df = df.filter(through.or(no_time.is_null()))?;
    }
    let held = df
        .schema()
        .has_column_with_unqualified_name(crate::warm::HELD_PERIOD);
    let (group, partition) = grouping((period::Time::of(model, ds), held), pass, periods);
    // The rows before any ranking, for the distinct counts counted apart.
    let rows = df.clone();
    let ranked = ranked_by_column(model, aggregates);
    let ranks = rankings(model, &ranked, &partition)?;
    if !ranks.is_empty() {
        df = df.windows(ranks)?;
    }
    let layout = layout::columns(model, aggregates);
    let (aggs, filters) = computed(model, ds, (&layout, &ranked), limited)?;
    let distinct = match limited {
        true => distinct_counts((model, Columns::of(model, ds)), rows, &group, aggregates).await?,
        false => HashMap::new(),
    };
    let batches = df.aggregate(group, aggs)?.collect().await?;
    let read = Read {
        model,
        ds,
        first: 1 + pass.by.len(),
        layout: &layout,
        filters: &filters,
        distinct: &distinct,
    };
    read.table(aggregates, &batches)
}

/// The group of a row (its period, then its segment values as text, as the engine keys segments)
/// and the same without names, to partition the rankings of top shares by. A table a warm session
/// holds has each row's period already (`held`).
fn grouping(
    (time, held): (period::Time, bool),
    pass: &Pass,
    periods: Periods,
) -> (Vec<Expr>, Vec<Expr>) {
    let period = match held {
        true => ident(crate::warm::HELD_PERIOD),
        false => crate::passes::period::period_of(time, periods),
    };
    let mut group = vec![period.clone().alias("__period")];
    let mut partition = vec![period];
    for (i, b) in pass.by.iter().enumerate() {
        group.push(cast(ident(b), DataType::Utf8).alias(format!("__segment{i}")));
        partition.push(cast(ident(b), DataType::Utf8));
    }
    (group, partition)
}

/// For each top share, the first top share of the pass over the same column, whose ranking it
/// reads: rows are ranked once per column (DataFusion cannot plan the same window function twice).
fn ranked_by_column(model: &Model, aggregates: &BTreeSet<usize>) -> HashMap<usize, usize> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut ranked = HashMap::new();
    for &i in aggregates {
        let a = &model.aggregates[i];
        if let (AggFunc::TopShare { .. }, Some(c)) = (a.func, &a.column) {
            ranked.insert(i, *first.entry(c.as_str()).or_insert(i));
        }
    }
    ranked
}

/// For each column a top share ranks, its rows ranked within their period and segment, and how
/// many were ranked.
fn rankings(
    model: &Model,
    ranked: &HashMap<usize, usize>,
    partition: &[Expr],
) -> Result<Vec<Expr>, DataError> {
    let mut ranks = Vec::new();
    let mut firsts: Vec<usize> = ranked.values().copied().collect();
    firsts.sort_unstable();
    firsts.dedup();
    for i in firsts {
        let a = &model.aggregates[i];
        if let (AggFunc::TopShare { .. }, Some(c)) = (a.func, &a.column) {
            ranks.push(
                row_number()
                    .partition_by(partition.to_vec())
                    .order_by(vec![ident(c).sort(false, false)])
                    .build()?
                    .alias(format!("__rank{i}")),
            );
            ranks.push(
                over(count_udaf(), ident(c), partition.to_vec())?.alias(format!("__ranked{i}")),
            );
        }
    }
    Ok(ranks)
}

/// The query's aggregate expressions, the layout's columns and then one row count per distinct
/// filter; and those filters, the first of every row (no filter: what the group holds).
fn computed(
    model: &Model,
    ds: &Dataset,
    (layout, ranked): (&[(usize, Part)], &HashMap<usize, usize>),
    limited: bool,
) -> Result<(Vec<Expr>, Vec<Option<RowExpr>>), DataError> {
    let mut filters: Vec<Option<RowExpr>> = vec![None];
    let mut aggs = Vec::new();
    let mut translated: Option<(usize, Option<Expr>)> = None;
    for &(i, part) in layout {
        let a = &model.aggregates[i];
        // The filter is translated once for all of its aggregate's columns.
        if translated.as_ref().is_none_or(|(j, _)| *j != i) {
            translated = Some((
                i,
                a.filter
                    .as_ref()
                    .map(|f| row_expr(f, Columns::of(model, ds))),
            ));
        }
        let filter = translated.as_ref().and_then(|(_, f)| f.as_ref());
        let rank = ranked.get(&i).copied().unwrap_or(i);
        aggs.push(column(a, (part, rank), filter, ds, limited)?);
        if !filters.contains(&a.filter) {
            filters.push(a.filter.clone());
        }
    }
    for f in &filters {
        aggs.push(count(match f {
            Some(f) => when(row_expr(f, Columns::of(model, ds)), lit(1i64)).end()?,
            None => lit(1i64),
        }));
    }
    let aliased = aggs
        .into_iter()
        .enumerate()
        .map(|(i, e)| e.alias(format!("__agg{i}")))
        .collect();
    Ok((aliased, filters))
}

/// One part of aggregate `a` as a DataFusion aggregate: `FUNC(CASE WHEN filter THEN x END)`; a top
/// share reads the ranking of its column made for aggregate `rank`.
fn column(
    a: &scorecard_model::Aggregate,
    (part, rank): (Part, usize),
    filter: Option<&Expr>,
    ds: &Dataset,
    limited: bool,
) -> Result<Expr, DataError> {
    let value = a.column.as_ref().map(|c| {
        let x = ident(c);
        // 64-bit sums wrap silently; a 20-digit decimal cannot overflow 38 digits in 10^18 rows.
        match (a.func, ds.column(c).map(|c| c.ty)) {
            (AggFunc::Sum | AggFunc::Avg, Some(ColumnType::Integer)) => {
                cast(x, DataType::Decimal128(20, 0))
            }
            _ => x,
        }
    });
    let counted = value.unwrap_or_else(|| lit(1i64));
    let only = |x: Expr| -> Result<Expr, DataError> {
        Ok(match filter {
            Some(f) => when(f.clone(), x).end()?,
            None => x,
        })
    };
    Ok(match (a.func, part) {
        (AggFunc::Sum, _) => sum(only(counted)?),
        (AggFunc::Count, _) => count(only(counted)?),
        // Counted by a query of its own (`distinct_counts`); the value here is a place.
        (AggFunc::CountDistinct, _) if limited => count(lit(ScalarValue::Int64(None))),
        (AggFunc::CountDistinct, _) => count_distinct(only(counted)?),
        (AggFunc::Min, _) => min(only(counted)?),
        (AggFunc::Max, _) => max(only(counted)?),
        (AggFunc::Avg, Part::Count) => count(only(counted)?),
        (AggFunc::Avg, _) => sum(only(counted)?),
        (AggFunc::TopShare { .. }, Part::Total) => sum(counted),
        (AggFunc::TopShare { fraction }, _) => {
            // The rows ranked 1..k where k is the smallest count at least `fraction` of them:
            // rank - 1 < fraction × rows.
            let whole = |e: Expr| cast(e, DataType::Decimal128(20, 0));
            let top = (whole(ident(format!("__rank{rank}"))) - decimal_lit(Decimal::ONE))
                .lt(whole(ident(format!("__ranked{rank}"))) * decimal_lit(fraction));
            sum(when(top, counted).end()?)
        }
    })
}

/// Reading a pass's result back: each row a group's cells, by the layout.
struct Read<'a> {
    model: &'a Model,
    ds: &'a Dataset,
    /// The first aggregate column (after the period and the segment columns).
    first: usize,
    layout: &'a [(usize, Part)],
    filters: &'a [Option<RowExpr>],
    /// Distinct counts counted apart, by aggregate and group.
    distinct: &'a HashMap<usize, HashMap<Group, i64>>,
}

impl Read<'_> {
    fn table(
        &self,
        aggregates: &BTreeSet<usize>,
        batches: &[RecordBatch],
    ) -> Result<Table, DataError> {
        let mut table = Table::default();
        for (slot, &i) in aggregates.iter().enumerate() {
            table.slots.insert(i, slot);
        }
        // Which row count tells of each aggregate's filter.
        let matched_of: HashMap<usize, usize> = aggregates
            .iter()
            .map(|&i| {
                let f = &self.model.aggregates[i].filter;
                (i, self.filters.iter().position(|x| x == f).unwrap_or(0))
            })
            .collect();
        // How an overflow names each aggregate: made once here, not for every result row.
        let names: HashMap<usize, String> = aggregates
            .iter()
            .map(|&i| (i, named(&self.model.aggregates[i])))
            .collect();
        let matched_start = self.first + self.layout.len();
        for batch in batches {
            let columns = batch.columns();
            for row in 0..batch.num_rows() {
                let Some(period) = integer_at(&columns[0], row)? else {
                    let rows = match decimal_at(&columns[matched_start], row)? {
                        Some(n) => n.try_into().unwrap_or(0),
                        None => 0,
                    };
                    return Err(DataError::NoTimeRows {
                        path: self.ds.source.clone(),
                        rows,
                        column: self.ds.time.clone(),
                    });
                };
                let segment: Vec<Option<String>> = (1..self.first)
                    .map(|c| {
                        let a = columns[c].as_string::<i32>();
                        (!a.is_null(row)).then(|| a.value(row).to_string())
                    })
                    .collect();
                let mut cells = vec![Cell::default(); aggregates.len()];
                for (c, &(i, part)) in (self.first..).zip(self.layout) {
                    let cell = &mut cells[table.slots[&i]];
                    if let Some(counted) = self.distinct.get(&i) {
                        let n = counted
                            .get(&(period, segment.clone()))
                            .copied()
                            .unwrap_or(0);
                        cell.value = Some(Decimal::from(n));
                        continue;
                    }
                    let mut v = decimal_of(&columns[c], row, &names[&i])?;
                    if v.is_none() && self.model.aggregates[i].func == AggFunc::Sum {
                        // A sum over rows the filter did not match is 0; over empty values, no value.
                        let matched = decimal_at(&columns[matched_start + matched_of[&i]], row)?;
                        if matched == Some(Decimal::ZERO) {
                            v = Some(Decimal::ZERO);
                        }
                    }
                    part.fill(cell, v);
                }
                table.rows.insert((period, segment), cells);
            }
        }
        Ok(table)
    }
}

/// A group's period and segment values.
type Group = (i64, Vec<Option<String>>);

/// Each distinct count among `aggregates`, per group: the distinct values of each group found by
/// grouping the rows by their group and value (a grouping that spills to disk when memory is
/// short, where a distinct count's set of values cannot), then counted per group. A group that
/// has rows but no value counts 0, which the caller fills in.
async fn distinct_counts(
    (model, columns): (&Model, Columns<'_>),
    df: datafusion::dataframe::DataFrame,
    group: &[Expr],
    aggregates: &BTreeSet<usize>,
) -> Result<HashMap<usize, HashMap<Group, i64>>, DataError> {
    let mut counts = HashMap::new();
    let names: Vec<String> = (0..group.len()).map(|g| format!("__group{g}")).collect();
    for &i in aggregates {
        let a = &model.aggregates[i];
        let (AggFunc::CountDistinct, Some(column)) = (a.func, &a.column) else {
            continue;
        };
        let mut rows = df.clone().filter(ident(column).is_not_null())?;
        if let Some(f) = &a.filter {
            rows = rows.filter(row_expr(f, columns))?;
        }
        let mut by_value: Vec<Expr> = group
            .iter()
            .zip(&names)
            .map(|(g, n)| g.clone().alias(n))
            .collect();
        by_value.push(ident(column).alias("__value"));
        let per_group = rows
            .aggregate(by_value, vec![])?
            .aggregate(
                names.iter().map(ident).collect(),
                vec![count(lit(1i64)).alias("__n")],
            )?
            .collect()
            .await?;
        let mut of_group = HashMap::new();
        for batch in &per_group {
            let columns = batch.columns();
            for row in 0..batch.num_rows() {
                let Some(period) = integer_at(&columns[0], row)? else {
                    continue;
                };
                let segment: Vec<Option<String>> = (1..group.len())
                    .map(|c| {
                        let a = columns[c].as_string::<i32>();
                        (!a.is_null(row)).then(|| a.value(row).to_string())
                    })
                    .collect();
                let n = integer_at(&columns[group.len()], row)?.unwrap_or(0);
                of_group.insert((period, segment), n);
            }
        }
        counts.insert(i, of_group);
    }
    Ok(counts)
}

/// A dataset's columns as a filter reads them: a timestamp as its local day in the scorecard's
/// zone (filters compare it with dates), every other column as it is.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    pub ds: &'a scorecard_model::Dataset,
    pub zone: scorecard_model::zone::Zone,
}

impl<'a> Columns<'a> {
    pub fn of(model: &scorecard_model::Model, ds: &'a scorecard_model::Dataset) -> Columns<'a> {
        Columns {
            ds,
            zone: model.header.zone(),
        }
    }

    fn column(self, name: &str) -> Expr {
        match self.ds.column(name) {
            Some(c) if c.ty == scorecard_model::ColumnType::Timestamp => {
                crate::passes::period::day_of(crate::passes::period::Time {
                    column: name,
                    zone: self.zone,
                })
            }
            _ => ident(name),
        }
    }
}

pub fn row_expr(e: &RowExpr, columns: Columns) -> Expr {
    scorecard_diagnostic::depth::deep(|| match e {
        RowExpr::Column { name } => columns.column(name),
        RowExpr::Text { value } => lit(value.clone()),
        RowExpr::Number { value } => decimal_lit(*value),
        RowExpr::Date { value } => {
            let days = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(crate::values::days)
                .unwrap_or(0);
            lit(ScalarValue::Date32(Some(days)))
        }
        RowExpr::Bool { value } => lit(*value),
        RowExpr::Neg { operand } => Expr::Negative(Box::new(row_expr(operand, columns))),
        RowExpr::Arith { op, left, right } => {
            let op = match op {
                ArithOp::Add => Operator::Plus,
                ArithOp::Sub => Operator::Minus,
                ArithOp::Mul => Operator::Multiply,
                ArithOp::Div => Operator::Divide,
            };
            binary_expr(row_expr(left, columns), op, row_expr(right, columns))
        }
        RowExpr::Compare { op, left, right } => {
            let op = match op {
                CmpOp::Eq => Operator::Eq,
                CmpOp::Ne => Operator::NotEq,
                CmpOp::Lt => Operator::Lt,
                CmpOp::Le => Operator::LtEq,
                CmpOp::Gt => Operator::Gt,
                CmpOp::Ge => Operator::GtEq,
            };
            binary_expr(row_expr(left, columns), op, row_expr(right, columns))
        }
        RowExpr::And { left, right } => row_expr(left, columns).and(row_expr(right, columns)),
        RowExpr::Or { left, right } => row_expr(left, columns).or(row_expr(right, columns)),
        RowExpr::Not { operand } => Expr::Not(Box::new(row_expr(operand, columns))),
        RowExpr::In { operand, values } => row_expr(operand, columns)
            .in_list(values.iter().map(|v| row_expr(v, columns)).collect(), false),
    })
}

pub(crate) fn decimal_lit(d: Decimal) -> Expr {
    lit(ScalarValue::Decimal128(
        Some(d.mantissa()),
        38,
        d.scale() as i8,
    ))
}

pub(crate) fn integer_at(a: &ArrayRef, row: usize) -> Result<Option<i64>, DataError> {
    if a.is_null(row) {
        return Ok(None);
    }
    match a.data_type() {
        DataType::Int64 => Ok(Some(a.as_primitive::<Int64Type>().value(row))),
        DataType::Int32 => Ok(Some(i64::from(a.as_primitive::<Int32Type>().value(row)))),
        other => Err(DataError::Engine(format!("unexpected period type {other}"))),
    }
}

/// An aggregate as errors name it: "the sum of `orders.revenue`".
fn named(a: &scorecard_model::Aggregate) -> String {
    match &a.column {
        Some(c) => format!("the {} of `{}.{c}`", a.func.name(), a.dataset),
        None => format!("the {} of `{}`", a.func.name(), a.dataset),
    }
}

/// An aggregate result as an exact decimal.
fn decimal_at(a: &ArrayRef, row: usize) -> Result<Option<Decimal>, DataError> {
    decimal_of(a, row, "an aggregate")
}

/// A decimal or integer result as an exact decimal; `what` names it if it does not fit.
pub(crate) fn decimal_of(
    a: &ArrayRef,
    row: usize,
    what: &str,
) -> Result<Option<Decimal>, DataError> {
    if a.is_null(row) {
        return Ok(None);
    }
    let overflow = || DataError::Overflow {
        what: what.to_string(),
    };
    Ok(Some(match a.data_type() {
        DataType::Decimal128(_, s) => {
            let v = a.as_primitive::<Decimal128Type>().value(row);
            Decimal::try_from_i128_with_scale(v, *s as u32).map_err(|_| overflow())?
        }
        DataType::Int64 => Decimal::from(a.as_primitive::<Int64Type>().value(row)),
        DataType::Int32 => Decimal::from(a.as_primitive::<Int32Type>().value(row)),
        DataType::UInt64 => Decimal::from(a.as_primitive::<UInt64Type>().value(row)),
        other => {
            return Err(DataError::Engine(format!(
                "unexpected aggregate type {other}"
            )))
        }
    }))
}
