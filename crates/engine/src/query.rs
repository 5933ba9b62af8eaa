//! Owns one aggregate pass: a dataset grouped by period and segment columns, every aggregate as a
//! conditional aggregate (`CASE WHEN filter THEN x END`) in one query, and the results read back as
//! exact decimals.

use super::error::DataError;
use super::plan::Pass;
use super::window::{over, Windows};
use super::{Cell, Table};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
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

/// What a result column holds.
enum Out {
    /// The aggregate's value.
    Value(usize),
    /// For `avg`: the sum; the count follows in the next column.
    AvgSum(usize),
    AvgCount,
    /// Rows the filter (by index into `filters`) matched, to tell "matched nothing" (sum is 0) from
    /// "matched only empty values" (no value).
    Matched,
}

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
        let day = ScalarValue::Date32(Some(scorecard_model::calendar::days(day) as i32));
        // Rows with no time are kept so that they are reported below, not dropped by the filter.
        let time = cast(ident(&ds.time), DataType::Date32);
        df = df.filter(time.clone().lt_eq(lit(day)).or(time.is_null()))?;
    }
    let period = super::period::period_of(&ds.time, periods);
    let mut group = vec![period.clone().alias("__period")];
    let mut partition = vec![period];
    for (i, b) in pass.by.iter().enumerate() {
        group.push(cast(ident(b), DataType::Utf8).alias(format!("__segment{i}")));
        partition.push(cast(ident(b), DataType::Utf8));
    }
    // Top shares rank the rows of each period and segment first.
    let mut ranks = Vec::new();
    for &i in aggregates {
        let a = &model.aggregates[i];
        if let (AggFunc::TopShare { .. }, Some(c)) = (a.func, &a.column) {
            ranks.push(
                row_number()
                    .partition_by(partition.clone())
                    .order_by(vec![ident(c).sort(false, false)])
                    .build()?
                    .alias(format!("__rank{i}")),
            );
            ranks.push(
                over(count_udaf(), ident(c), partition.clone())?.alias(format!("__ranked{i}")),
            );
        }
    }
    // The rows before any ranking, for the distinct counts counted apart.
    let rows = df.clone();
    if !ranks.is_empty() {
        df = df.windows(ranks)?;
    }

    // The first row count is always of every row (no filter): it is what the group holds.
    let mut filters: Vec<Option<RowExpr>> = vec![None];
    let mut aggs = Vec::new();
    let mut outs = Vec::new();
    for &i in aggregates {
        let a = &model.aggregates[i];
        let filter = a.filter.as_ref().map(row_expr);
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
        let only = |x: Expr| -> Result<Expr, DataError> {
            Ok(match &filter {
                Some(f) => when(f.clone(), x).end()?,
                None => x,
            })
        };
        let counted = match &value {
            Some(v) => v.clone(),
            None => lit(1i64),
        };
        match a.func {
            AggFunc::Sum => {
                aggs.push(sum(only(counted)?));
                outs.push(Out::Value(i));
            }
            AggFunc::Count => {
                aggs.push(count(only(counted)?));
                outs.push(Out::Value(i));
            }
            AggFunc::CountDistinct if limited => {
                // Counted by a query of its own (`distinct_counts`); the value here is a place.
                aggs.push(count(lit(ScalarValue::Int64(None))));
                outs.push(Out::Value(i));
            }
            AggFunc::CountDistinct => {
                aggs.push(count_distinct(only(counted)?));
                outs.push(Out::Value(i));
            }
            AggFunc::Min => {
                aggs.push(min(only(counted)?));
                outs.push(Out::Value(i));
            }
            AggFunc::Max => {
                aggs.push(max(only(counted)?));
                outs.push(Out::Value(i));
            }
            AggFunc::TopShare { fraction } => {
                // The rows ranked 1..k where k is the smallest count at least `fraction` of them:
                // rank - 1 < fraction × rows.
                let whole = |e: Expr| cast(e, DataType::Decimal128(20, 0));
                let top = (whole(ident(format!("__rank{i}"))) - decimal_lit(Decimal::ONE))
                    .lt(whole(ident(format!("__ranked{i}"))) * decimal_lit(fraction));
                aggs.push(sum(when(top, counted.clone()).end()?));
                outs.push(Out::AvgSum(i));
                aggs.push(sum(counted));
                outs.push(Out::AvgCount);
            }
            AggFunc::Avg => {
                aggs.push(sum(only(counted.clone())?));
                outs.push(Out::AvgSum(i));
                aggs.push(count(only(counted)?));
                outs.push(Out::AvgCount);
            }
        }
        if !filters.contains(&a.filter) {
            filters.push(a.filter.clone());
        }
    }
    for f in &filters {
        aggs.push(count(match f {
            Some(f) => when(row_expr(f), lit(1i64)).end()?,
            None => lit(1i64),
        }));
        outs.push(Out::Matched);
    }
    let aliased: Vec<Expr> = aggs
        .into_iter()
        .enumerate()
        .map(|(i, e)| e.alias(format!("__agg{i}")))
        .collect();
    let distinct = match limited {
        true => distinct_counts(model, rows, &group, aggregates).await?,
        false => HashMap::new(),
    };
    let batches = df.aggregate(group, aliased)?.collect().await?;

    let mut table = Table::default();
    let value_slots: Vec<usize> = aggregates.iter().copied().collect();
    for (slot, &i) in value_slots.iter().enumerate() {
        table.slots.insert(i, slot);
    }
    let matched_of: HashMap<usize, usize> = aggregates
        .iter()
        .map(|&i| {
            (
                i,
                filters
                    .iter()
                    .position(|f| *f == model.aggregates[i].filter)
                    .unwrap_or(0),
            )
        })
        .collect();
    // How an overflow names each aggregate: made once here, not for every result row.
    let names: HashMap<usize, String> = aggregates
        .iter()
        .map(|&i| (i, named(&model.aggregates[i])))
        .collect();
    let first = 1 + pass.by.len();
    let matched_start = first + outs.len() - filters.len();
    for batch in &batches {
        let columns = batch.columns();
        for row in 0..batch.num_rows() {
            let Some(period) = integer_at(&columns[0], row)? else {
                let rows = match decimal_at(&columns[matched_start], row)? {
                    Some(n) => n.try_into().unwrap_or(0),
                    None => 0,
                };
                return Err(DataError::NoTimeRows {
                    path: ds.source.clone(),
                    rows,
                    column: ds.time.clone(),
                });
            };
            let segment: Vec<Option<String>> = (1..first)
                .map(|c| {
                    let a = columns[c].as_string::<i32>();
                    (!a.is_null(row)).then(|| a.value(row).to_string())
                })
                .collect();
            let mut values = vec![Cell::default(); value_slots.len()];
            for (c, out) in (first..).zip(&outs) {
                match out {
                    Out::Value(i) if distinct.contains_key(i) => {
                        let counted = distinct[i].get(&(period, segment.clone()));
                        values[table.slots[i]].value = Some(Decimal::from(*counted.unwrap_or(&0)));
                    }
                    Out::Value(i) => {
                        let mut v = decimal_of(&columns[c], row, &names[i])?;
                        if v.is_none() && model.aggregates[*i].func == AggFunc::Sum {
                            // A sum over rows the filter did not match is 0; over empty values, no value.
                            let matched = decimal_at(&columns[matched_start + matched_of[i]], row)?;
                            if matched == Some(Decimal::ZERO) {
                                v = Some(Decimal::ZERO);
                            }
                        }
                        values[table.slots[i]].value = v;
                    }
                    Out::AvgSum(i) => {
                        values[table.slots[i]] = Cell {
                            value: decimal_of(&columns[c], row, &names[i])?,
                            count: decimal_at(&columns[c + 1], row)?.unwrap_or_default(),
                        };
                    }
                    Out::AvgCount | Out::Matched => {}
                }
            }
            table.rows.insert((period, segment), values);
        }
    }
    Ok(table)
}

/// A group's period and segment values.
type Group = (i64, Vec<Option<String>>);

/// Each distinct count among `aggregates`, per group: the distinct values of each group found by
/// grouping the rows by their group and value (a grouping that spills to disk when memory is
/// short, where a distinct count's set of values cannot), then counted per group. A group that
/// has rows but no value counts 0, which the caller fills in.
async fn distinct_counts(
    model: &Model,
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
            rows = rows.filter(row_expr(f))?;
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

pub fn row_expr(e: &RowExpr) -> Expr {
    scorecard_diagnostic::depth::deep(|| match e {
        RowExpr::Column { name } => ident(name),
        RowExpr::Text { value } => lit(value.clone()),
        RowExpr::Number { value } => decimal_lit(*value),
        RowExpr::Date { value } => {
            let days = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(super::values::days)
                .unwrap_or(0);
            lit(ScalarValue::Date32(Some(days)))
        }
        RowExpr::Bool { value } => lit(*value),
        RowExpr::Neg { operand } => Expr::Negative(Box::new(row_expr(operand))),
        RowExpr::Arith { op, left, right } => {
            let op = match op {
                ArithOp::Add => Operator::Plus,
                ArithOp::Sub => Operator::Minus,
                ArithOp::Mul => Operator::Multiply,
                ArithOp::Div => Operator::Divide,
            };
            binary_expr(row_expr(left), op, row_expr(right))
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
            binary_expr(row_expr(left), op, row_expr(right))
        }
        RowExpr::And { left, right } => row_expr(left).and(row_expr(right)),
        RowExpr::Or { left, right } => row_expr(left).or(row_expr(right)),
        RowExpr::Not { operand } => Expr::Not(Box::new(row_expr(operand))),
        RowExpr::In { operand, values } => {
            row_expr(operand).in_list(values.iter().map(row_expr).collect(), false)
        }
    })
}

fn decimal_lit(d: Decimal) -> Expr {
    lit(ScalarValue::Decimal128(
        Some(d.mantissa()),
        38,
        d.scale() as i8,
    ))
}

pub(super) fn integer_at(a: &ArrayRef, row: usize) -> Result<Option<i64>, DataError> {
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
pub(super) fn decimal_of(
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
