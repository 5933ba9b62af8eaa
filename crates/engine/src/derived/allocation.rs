//! Owns time-driven activity-based costing: each resource's capacity cost rate per period (cost of
//! the capacity supplied / practical capacity), the cost it assigns to each entity by the driver
//! quantities used (the cost table), and the unused capacity left over (a second table).

use crate::error::DataError;
use crate::passes::period::{period_of, rows_through, Time};
use crate::passes::query::row_expr;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Decimal128Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::prelude::{cast, ident, SessionContext};
use rust_decimal::{Decimal, RoundingStrategy};
use scorecard_model::calendar::Periods;
use scorecard_model::{Allocation, ColumnType, Model};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Resource and period: the values of the matched columns, and the period number.
type Resource = (i64, Vec<Option<String>>);

/// Computes the cost table of `rule` and registers it under the rule's name.
pub async fn register(
    ctx: &SessionContext,
    model: &Model,
    rule: &Allocation,
    periods: Periods,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Vec<crate::Note>, DataError> {
    let scale = model.header.money_scale;
    let capacity_ds = model
        .dataset(&rule.capacity)
        .ok_or_else(|| DataError::Engine(format!("no dataset `{}`", rule.capacity)))?;
    let activity_ds = model
        .dataset(&rule.activity)
        .ok_or_else(|| DataError::Engine(format!("no dataset `{}`", rule.activity)))?;
    let text = |c: &str| cast(ident(c), DataType::Utf8);

    // Capacity supplied per resource and period.
    let mut group = vec![period_of(Time::of(model, capacity_ds), periods).alias("__p")];
    group.extend(rule.matches.iter().map(|(_, r)| text(r)));
    let practical = match capacity_ds.column(&rule.practical).map(|c| c.ty) {
        Some(ColumnType::Integer) => cast(ident(&rule.practical), DataType::Decimal128(20, 0)),
        _ => ident(&rule.practical),
    };
    let supplied = rows_through(ctx, &rule.capacity, Time::of(model, capacity_ds), as_of)
        .await?
        .aggregate(
            group,
            vec![
                sum(ident(&rule.cost)).alias("__cost"),
                sum(practical).alias("__minutes"),
            ],
        )?
        .collect()
        .await?;
    let mut capacity: BTreeMap<Resource, (Decimal, Decimal)> = BTreeMap::new();
    for b in &supplied {
        for row in 0..b.num_rows() {
            let key = resource(b, row, rule.matches.len())?;
            let at = 1 + rule.matches.len();
            let cost = decimal(b.column(at), row)?.unwrap_or_default();
            let minutes = decimal(b.column(at + 1), row)?.unwrap_or_default();
            let minutes = minutes
                .checked_mul(rule.share)
                .ok_or_else(|| DataError::Overflow {
                    what: format!("the practical capacity of `{}`", rule.name),
                })?;
            capacity.insert(key, (cost, minutes));
        }
    }

    // Driver quantities used per resource, entity and period.
    let mut group = vec![period_of(Time::of(model, activity_ds), periods).alias("__p")];
    group.extend(rule.matches.iter().map(|(a, _)| text(a)));
    group.push(text(&rule.to).alias("__to"));
    let used = rows_through(ctx, &rule.activity, Time::of(model, activity_ds), as_of)
        .await?
        .aggregate(
            group,
            vec![sum(cast(
                row_expr(
                    &rule.driver,
                    crate::passes::query::Columns::of(model, activity_ds),
                ),
                DataType::Decimal128(38, 10),
            ))
            .alias("__driver")],
        )?
        .collect()
        .await?;

    let mut rows: Vec<Row> = Vec::new();
    let mut assigned: BTreeMap<Resource, (Decimal, Decimal)> = BTreeMap::new();
    let overflow = || DataError::Overflow {
        what: format!("a cost assigned by `{}`", rule.name),
    };
    for b in &used {
        for row in 0..b.num_rows() {
            let key = resource(b, row, rule.matches.len())?;
            let at = 1 + rule.matches.len();
            let to = b.column(at).as_string::<i32>();
            let to = (!to.is_null(row)).then(|| to.value(row).to_string());
            let Some(driver) = decimal(b.column(at + 1), row)? else {
                continue;
            };
            let Some(&(cost, minutes)) = capacity.get(&key) else {
                return Err(no_capacity(rule, &key, periods, "has no capacity row"));
            };
            if minutes <= Decimal::ZERO {
                return Err(no_capacity(
                    rule,
                    &key,
                    periods,
                    "has no practical capacity",
                ));
            }
            // Multiply before dividing: the rate cost / minutes is never rounded.
            let exact = driver
                .checked_mul(cost)
                .and_then(|x| x.checked_div(minutes))
                .ok_or_else(overflow)?;
            let charged =
                exact.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven);
            let sums = assigned.entry(key.clone()).or_default();
            sums.0 += driver;
            sums.1 = sums.1.checked_add(charged).ok_or_else(overflow)?;
            rows.push(Row {
                period: key.0,
                to,
                resource: key.1,
                driver,
                cost: charged,
            });
        }
    }
    // What each resource's capacity cost and the cost assigned leave: unused capacity.
    let mut unused = Vec::new();
    let mut notes = Vec::new();
    for (key, (cost, minutes)) in &capacity {
        let (driver, charged) = assigned.get(key).copied().unwrap_or_default();
        if driver > *minutes {
            notes.push(crate::Note {
                code: "scorecard::eval::over_capacity",
                rule: rule.name.clone(),
                message: format!(
                    "{} used {} of its {} practical minutes in {}: its unused capacity is negative",
                    key.1
                        .iter()
                        .map(|v| scorecard_model::format::segment_value(v.as_deref()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    driver.normalize(),
                    minutes.normalize(),
                    periods.label(key.0)
                ),
            });
        }
        unused.push(Row {
            period: key.0,
            to: None,
            resource: key.1.clone(),
            driver: *minutes - driver,
            cost: cost.checked_sub(charged).ok_or_else(overflow)?,
        });
    }
    let unused_name = scorecard_model::unused_table(&rule.name);
    for (name, rows, with_to) in [(&rule.name, &rows, true), (&unused_name, &unused, false)] {
        let ds = model
            .dataset(name)
            .ok_or_else(|| DataError::Engine(format!("no table `{name}`")))?;
        let batch = table(rows, ds, periods, scale, with_to)?;
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        ctx.register_table(TableReference::bare(name.as_str()), Arc::new(table))?;
    }
    Ok(notes)
}

struct Row {
    period: i64,
    to: Option<String>,
    resource: Vec<Option<String>>,
    driver: Decimal,
    cost: Decimal,
}

fn resource(b: &RecordBatch, row: usize, n: usize) -> Result<Resource, DataError> {
    let Some(period) = crate::passes::query::integer_at(b.column(0), row)? else {
        return Err(DataError::Engine("a row with no period".into()));
    };
    let values = (1..=n)
        .map(|c| {
            let a = b.column(c).as_string::<i32>();
            (!a.is_null(row)).then(|| a.value(row).to_string())
        })
        .collect();
    Ok((period, values))
}

fn decimal(a: &ArrayRef, row: usize) -> Result<Option<Decimal>, DataError> {
    crate::passes::query::decimal_of(a, row, "a capacity or driver total")
}

fn no_capacity(rule: &Allocation, key: &Resource, periods: Periods, what: &str) -> DataError {
    let shown: Vec<String> = rule
        .matches
        .iter()
        .zip(&key.1)
        .map(|((_, r), v)| {
            format!(
                "{r} {}",
                scorecard_model::format::segment_value(v.as_deref())
            )
        })
        .collect();
    DataError::Allocation {
        rule: rule.name.clone(),
        message: format!(
            "`{}` has activity for {} in {}, but `{}` {what} for it",
            rule.activity,
            shown.join(", "),
            periods.label(key.0),
            rule.capacity,
        ),
        hint: Some(format!(
            "add the cost and practical capacity of {} for {} to `{}`",
            shown.join(", "),
            periods.label(key.0),
            rule.capacity
        )),
    }
}

fn table(
    rows: &[Row],
    ds: &scorecard_model::Dataset,
    periods: Periods,
    scale: u32,
    with_to: bool,
) -> Result<RecordBatch, DataError> {
    let schema = crate::sources::schema::schema(ds, scale);
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Date32Array::from_iter_values(
        rows.iter()
            .map(|r| scorecard_model::calendar::days(periods.bounds(r.period).0) as i32),
    ))];
    if with_to {
        columns.push(Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.to.as_deref()),
        )));
    }
    // The columns: period_start, the entity (not for unused capacity), the resources, driver, cost.
    let resources = ds.columns.len().saturating_sub(3 + usize::from(with_to));
    for i in 0..resources {
        columns.push(Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.resource.get(i).cloned().flatten()),
        )));
    }
    let exact = |d: Decimal, s: u32| -> Result<i128, DataError> {
        let mut d = d;
        d.rescale(s);
        if d.scale() != s {
            return Err(DataError::Overflow {
                what: "a cost table value".into(),
            });
        }
        Ok(d.mantissa())
    };
    let drivers: Vec<i128> = rows
        .iter()
        .map(|r| exact(r.driver, 10))
        .collect::<Result<_, _>>()?;
    let costs: Vec<i128> = rows
        .iter()
        .map(|r| exact(r.cost, scale))
        .collect::<Result<_, _>>()?;
    columns.push(Arc::new(
        Decimal128Array::from(drivers).with_precision_and_scale(28, 10)?,
    ));
    columns.push(Arc::new(
        Decimal128Array::from(costs).with_precision_and_scale(28, scale as i8)?,
    ));
    Ok(RecordBatch::try_new(schema, columns)?)
}
