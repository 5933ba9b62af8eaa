//! Owns building a cohort's rows: each customer's first period (its cohort), its revenue and margin
//! per period, and per cohort and age the customers active, the customers counted under the lapsed
//! rule, cumulative margin, the lifetime value predicted at age 0 and realized since, and equity;
//! and the triangle the outputs draw.

use crate::error::DataError;
use crate::passes::period::{period_of, rows_through, Time};
use crate::passes::query::{decimal_of, integer_at, row_expr, Columns};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::functions_aggregate::expr_fn::{min, sum};
use datafusion::prelude::{cast, ident, lit, when, SessionContext};
use rust_decimal::{Decimal, RoundingStrategy};
use scorecard_model::calendar::Periods;
use scorecard_model::{Cohort, Lapsed, Model};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A cohort triangle: per cohort (the period its customers started in), the measures at each age.
#[derive(Debug, Clone, Serialize)]
pub struct Triangle {
    pub cohort: String,
    pub label: Option<String>,
    pub rows: Vec<TriangleRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriangleRow {
    /// The period the cohort's customers started in, such as `2026-Q1`.
    pub cohort: String,
    pub size: u64,
    /// Age 0 first, up to the last period with data or the declared `ages`.
    pub cells: Vec<TriangleCell>,
}

/// One cohort at one age. Amounts per customer are per customer the cohort started with, to the
/// money scale; retention is active / size to 4 places.
#[derive(Debug, Clone, Serialize)]
pub struct TriangleCell {
    pub age: u32,
    pub period: String,
    pub active: u64,
    pub retention: Decimal,
    pub revenue_per_customer: Decimal,
    pub margin_per_customer: Decimal,
    pub cumulative_margin: Decimal,
    pub equity: Option<Decimal>,
}

/// One row of the cohort's table.
struct Row {
    cohort: i64,
    age: u32,
    size: u64,
    active: u64,
    counted: Decimal,
    revenue: Decimal,
    margin: Decimal,
    cumulative_margin: Decimal,
    predicted: Option<Decimal>,
    realized: Decimal,
    lifetime: Option<Decimal>,
    equity: Option<Decimal>,
}

/// Computes the rows of `cohort`, registers them under its name, and returns its triangle and a
/// warning for the revenue no cohort holds.
pub async fn register(
    ctx: &SessionContext,
    model: &Model,
    cohort: &Cohort,
    periods: Periods,
    as_of: Option<chrono::NaiveDate>,
) -> Result<(Triangle, Option<crate::Note>), DataError> {
    let starts = first_periods(ctx, model, cohort, periods, as_of).await?;
    let (activity, gaps) = activity(ctx, model, cohort, periods, as_of).await?;
    let scale = model.header.money_scale;
    let left_out = left_out(cohort, &starts, &activity, (&gaps, scale));
    let last = activity
        .values()
        .flat_map(|per| per.keys().copied())
        .chain(starts.values().copied())
        .max();
    let mut members: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (customer, first) in &starts {
        members.entry(*first).or_default().push(customer);
    }
    let overflow = || DataError::Overflow {
        what: format!("a value of cohort `{}`", cohort.name),
    };
    // The rates are the cohort's, whatever the customer: every multiple and weight is made once.
    let oldest = match (members.keys().next(), last) {
        (Some(first), Some(last)) if last >= *first => {
            u32::try_from(last - first).map_err(|_| overflow())?
        }
        _ => 0,
    };
    let valuation = Valuation::of(cohort, oldest).ok_or_else(overflow)?;
    let mut rows = Vec::new();
    for (&c, customers) in &members {
        let Some(last) = last.filter(|l| *l >= c) else {
            continue;
        };
        // Every age up to the last period with data: `ages` limits the triangle shown, never
        // the table KPIs read.
        let top = u32::try_from(last - c).map_err(|_| overflow())?;
        let of = (c, customers.as_slice());
        rows.extend(ages_of(&valuation, of, &activity, top).ok_or_else(overflow)?);
    }
    let ds = model
        .dataset(&cohort.name)
        .ok_or_else(|| DataError::Engine(format!("no table `{}`", cohort.name)))?;
    let batch = table(&rows, ds, periods, scale)?;
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
    ctx.register_table(TableReference::bare(cohort.name.as_str()), Arc::new(table))?;
    Ok((triangle(cohort, &rows, periods, scale), left_out))
}

/// The warning of a cohort whose activity rows are not all in a cohort: rows naming no customer,
/// customers with no row in the start dataset, and activity before a customer's first period
/// there. Their revenue is in no cohort's figures.
fn left_out(
    cohort: &Cohort,
    starts: &HashMap<String, i64>,
    activity: &Activity,
    (gaps, scale): (&Gaps, u32),
) -> Option<crate::Note> {
    let money = |d: Decimal| money(d, scale);
    let no_customer = money(gaps.no_customer);
    let mut parts = Vec::new();
    let rows = |n: i64| format!("{n} row{}", if n == 1 { "" } else { "s" });
    if gaps.empty_revenue > 0 {
        parts.push(format!(
            "the revenue of {} with no value",
            rows(gaps.empty_revenue)
        ));
    }
    if gaps.empty_margin > 0 {
        parts.push(format!(
            "the margin of {} with no value",
            rows(gaps.empty_margin)
        ));
    }
    if !no_customer.is_zero() {
        parts.push(format!(
            "{no_customer} of revenue in rows naming no customer"
        ));
    }
    let (mut unstarted, mut unstarted_revenue, mut before) = (0usize, Decimal::ZERO, Decimal::ZERO);
    for (customer, per) in activity {
        let revenue = |keep: &dyn Fn(i64) -> bool| -> Decimal {
            per.iter()
                .filter(|(p, _)| keep(**p))
                .map(|(_, (r, _))| *r)
                .sum()
        };
        match starts.get(customer) {
            None => {
                unstarted += 1;
                unstarted_revenue += revenue(&|_| true);
            }
            Some(&first) => before += revenue(&|p| p < first),
        }
    }
    let (unstarted_revenue, before) = (money(unstarted_revenue), money(before));
    if unstarted > 0 {
        parts.push(format!(
            "{unstarted} customer{} with no row in `{}` ({unstarted_revenue} of revenue)",
            if unstarted == 1 { "" } else { "s" },
            cohort.start
        ));
    }
    if !before.is_zero() {
        parts.push(format!(
            "{before} of revenue before customers' first period in `{}`",
            cohort.start
        ));
    }
    (!parts.is_empty()).then(|| crate::Note {
        code: COHORT_LEFT_OUT,
        rule: cohort.name.clone(),
        message: format!(
            "cohort `{}` leaves out {}: no cohort holds it",
            cohort.name,
            parts.join(", ")
        ),
    })
}

/// The warning of activity no cohort holds.
pub const COHORT_LEFT_OUT: &str = "scorecard::eval::cohort_left_out";

/// Each customer's first period in the start dataset.
async fn first_periods(
    ctx: &SessionContext,
    model: &Model,
    cohort: &Cohort,
    periods: Periods,
    as_of: Option<chrono::NaiveDate>,
) -> Result<HashMap<String, i64>, DataError> {
    let ds = model
        .dataset(&cohort.start)
        .ok_or_else(|| DataError::Engine(format!("no dataset `{}`", cohort.start)))?;
    let batches = rows_through(ctx, &cohort.start, Time::of(model, ds), as_of)
        .await?
        .aggregate(
            vec![cast(ident(&cohort.entity), DataType::Utf8).alias("__c")],
            vec![min(period_of(Time::of(model, ds), periods)).alias("__p")],
        )?
        .collect()
        .await?;
    let mut out = HashMap::new();
    for b in &batches {
        let names = b.column(0).as_string::<i32>();
        for row in 0..b.num_rows() {
            if names.is_null(row) || names.value(row).is_empty() {
                continue;
            }
            if let Some(p) = integer_at(b.column(1), row)? {
                out.insert(names.value(row).to_string(), p);
            }
        }
    }
    Ok(out)
}

/// Each customer's revenue and margin per period with activity.
type Activity = HashMap<String, BTreeMap<i64, (Decimal, Decimal)>>;

/// Each customer's activity, and the revenue of rows naming no customer.
async fn activity(
    ctx: &SessionContext,
    model: &Model,
    cohort: &Cohort,
    periods: Periods,
    as_of: Option<chrono::NaiveDate>,
) -> Result<(Activity, Gaps), DataError> {
    let ds = model
        .dataset(&cohort.activity)
        .ok_or_else(|| DataError::Engine(format!("no dataset `{}`", cohort.activity)))?;
    let amount = |e| {
        let columns = Columns::of(model, ds);
        sum(cast(row_expr(e, columns), DataType::Decimal128(38, 10)))
    };
    // Rows whose amount has no value (an empty cell it reads) are counted, not guessed at.
    let empty = |e| -> Result<_, DataError> {
        let columns = Columns::of(model, ds);
        let is_empty = when(row_expr(e, columns).is_null(), lit(1i64)).otherwise(lit(0i64))?;
        Ok(sum(is_empty))
    };
    let batches = rows_through(ctx, &cohort.activity, Time::of(model, ds), as_of)
        .await?
        .aggregate(
            vec![
                cast(ident(&cohort.entity), DataType::Utf8).alias("__c"),
                period_of(Time::of(model, ds), periods).alias("__p"),
            ],
            vec![
                amount(&cohort.revenue).alias("__revenue"),
                amount(&cohort.margin).alias("__margin"),
                empty(&cohort.revenue)?.alias("__revenue_empty"),
                empty(&cohort.margin)?.alias("__margin_empty"),
            ],
        )?
        .collect()
        .await?;
    let mut out: Activity = HashMap::new();
    let mut gaps = Gaps::default();
    let what = "a cohort's revenue or margin";
    for b in &batches {
        let names = b.column(0).as_string::<i32>();
        for row in 0..b.num_rows() {
            let Some(p) = integer_at(b.column(1), row)? else {
                continue;
            };
            gaps.empty_revenue += integer_at(b.column(4), row)?.unwrap_or(0);
            gaps.empty_margin += integer_at(b.column(5), row)?.unwrap_or(0);
            let revenue = decimal_of(b.column(2), row, what)?.unwrap_or_default();
            if names.is_null(row) || names.value(row).is_empty() {
                gaps.no_customer += revenue;
                continue;
            }
            let margin = decimal_of(b.column(3), row, what)?.unwrap_or_default();
            let per = out.entry(names.value(row).to_string()).or_default();
            per.insert(p, (revenue, margin));
        }
    }
    Ok((out, gaps))
}

/// What the activity rows leave out of every cohort before customers are placed: the revenue of
/// rows naming no customer, and how many rows have no revenue or no margin (an empty cell).
#[derive(Default)]
struct Gaps {
    no_customer: Decimal,
    empty_revenue: i64,
    empty_margin: i64,
}

/// What a cohort's rates make of a margin, for every age up to the oldest: the lifetime multiple
/// (`clv` of a margin of 1 over the horizon), the multiple over 1, 2, ... periods (what age 0
/// predicts for the ages after it), the discount factor of each age, and what a customer counts
/// for in equity by periods since its last activity.
struct Valuation {
    horizon: Option<u32>,
    lifetime: Option<Decimal>,
    predicted: Vec<Decimal>,
    discounted: Vec<Decimal>,
    weights: Vec<Decimal>,
}

impl Valuation {
    fn of(cohort: &Cohort, oldest: u32) -> Option<Valuation> {
        let (r, d) = (cohort.retention, cohort.discount);
        let predicted = scorecard_model::finance::multiples(r, d, oldest)?;
        let mut discounted = Vec::with_capacity(oldest as usize + 1);
        let mut factor = Decimal::ONE;
        for _ in 0..=oldest {
            discounted.push(factor);
            factor = factor.checked_mul(Decimal::ONE + d)?;
        }
        let weights = weights(cohort.lapsed, oldest)?;
        Some(Valuation {
            horizon: cohort.horizon,
            lifetime: scorecard_model::finance::multiple(r, d, cohort.horizon),
            predicted,
            discounted,
            weights,
        })
    }
}

/// The rows of the cohort that started in period `c`, ages 0 to `top`; `None` on overflow.
fn ages_of(
    valuation: &Valuation,
    (c, customers): (i64, &[&str]),
    activity: &Activity,
    top: u32,
) -> Option<Vec<Row>> {
    let size = customers.len() as u64;
    let per_customer = |x: Decimal| x.checked_div(Decimal::from(size));
    let lifetime_of = |m: Decimal| valuation.lifetime.and_then(|x| m.checked_mul(x));
    // Each customer's activity, looked up once; and its last age with activity (the start counts
    // as activity at age 0).
    let active_in: Vec<Option<&BTreeMap<i64, (Decimal, Decimal)>>> =
        customers.iter().map(|c| activity.get(*c)).collect();
    let mut last_active = vec![0u32; customers.len()];
    let mut rows = Vec::new();
    let (mut cumulative, mut realized) = (Decimal::ZERO, Decimal::ZERO);
    let (mut margin_to_date, mut active_to_date) = (Decimal::ZERO, 0u64);
    let (mut first_margin, mut lifetime) = (Decimal::ZERO, None);
    for age in 0..=top {
        let p = c + i64::from(age);
        let (mut active, mut revenue, mut margin) = (0u64, Decimal::ZERO, Decimal::ZERO);
        let mut counted = Decimal::ZERO;
        for (i, per) in active_in.iter().enumerate() {
            if let Some((r, m)) = per.and_then(|per| per.get(&p)) {
                active += 1;
                revenue = revenue.checked_add(*r)?;
                margin = margin.checked_add(*m)?;
                last_active[i] = age;
            }
            let since = (age - last_active[i]) as usize;
            counted = counted.checked_add(*valuation.weights.get(since)?)?;
        }
        let margin_per = per_customer(margin)?;
        cumulative = cumulative.checked_add(margin_per)?;
        if age == 0 {
            first_margin = margin_per;
            lifetime = lifetime_of(margin_per);
        } else {
            let factor = valuation.discounted.get(age as usize)?;
            realized = realized.checked_add(margin_per.checked_div(*factor)?)?;
        }
        margin_to_date = margin_to_date.checked_add(margin)?;
        active_to_date += active;
        // A cohort none of whose customers has had activity yet has earned nothing to value: its
        // equity is 0, not left empty (where a sum of equity would skip it unsaid).
        let average = match active_to_date {
            0 => Decimal::ZERO,
            n => margin_to_date.checked_div(Decimal::from(n))?,
        };
        let equity = lifetime_of(average).and_then(|v| v.checked_mul(counted));
        // What age 0 predicted for ages 1 to this one: the prediction over this many periods.
        // (No further than the horizon: the model predicts nothing after it.)
        let predicted = match valuation.horizon.map_or(age, |h| age.min(h)) {
            0 => Some(Decimal::ZERO),
            n => first_margin.checked_mul(*valuation.predicted.get(n as usize - 1)?),
        };
        rows.push(Row {
            cohort: c,
            age,
            size,
            active,
            counted,
            revenue,
            margin,
            cumulative_margin: cumulative,
            predicted,
            realized,
            lifetime,
            equity,
        });
    }
    Some(rows)
}

/// What one customer counts for in the equity `since` periods after its last activity, for each
/// `since` from 0 to `oldest`: 1 until it lapses, then 0 (`zeroed`), `keep` times the period
/// before's (`decayed`), or still 1 (`kept`).
fn weights(rule: Lapsed, oldest: u32) -> Option<Vec<Decimal>> {
    let mut w = Decimal::ONE;
    let mut out = Vec::with_capacity(oldest as usize + 1);
    for since in 0..=oldest {
        w = match rule {
            Lapsed::Zeroed { after } if since >= after => Decimal::ZERO,
            Lapsed::Decayed { keep, after } if since >= after => w.checked_mul(keep)?,
            Lapsed::Kept | Lapsed::Zeroed { .. } | Lapsed::Decayed { .. } => w,
        };
        out.push(w);
    }
    Some(out)
}

/// An amount at the money scale, its places written out (`0.00`, not `0`).
fn money(d: Decimal, scale: u32) -> Decimal {
    let mut d = round(d, scale);
    d.rescale(scale);
    d
}

fn round(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
}

fn table(
    rows: &[Row],
    ds: &scorecard_model::Dataset,
    periods: Periods,
    scale: u32,
) -> Result<RecordBatch, DataError> {
    let exact = |d: Decimal, places: u32| -> Result<i128, DataError> {
        let mut d = round(d, places);
        d.rescale(places);
        if d.scale() != places {
            return Err(DataError::Overflow {
                what: "a cohort table value".into(),
            });
        }
        Ok(d.mantissa())
    };
    let money = |pick: &dyn Fn(&Row) -> Option<Decimal>| -> Result<ArrayRef, DataError> {
        let values: Vec<Option<i128>> = rows
            .iter()
            .map(|r| pick(r).map(|v| exact(v, scale)).transpose())
            .collect::<Result<_, _>>()?;
        Ok(Arc::new(
            Decimal128Array::from(values).with_precision_and_scale(28, scale as i8)?,
        ))
    };
    let counted: Vec<i128> = rows
        .iter()
        .map(|r| exact(r.counted, 10))
        .collect::<Result<_, _>>()?;
    let period = |r: &Row| r.cohort + i64::from(r.age);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| {
            scorecard_model::calendar::days(periods.bounds(period(r)).0) as i32
        }))),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| periods.label(r.cohort)),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| i64::from(r.age)),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| r.size as i64),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| r.active as i64),
        )),
        Arc::new(Decimal128Array::from(counted).with_precision_and_scale(28, 10)?),
        money(&|r| Some(r.revenue))?,
        money(&|r| Some(r.margin))?,
        money(&|r| Some(r.cumulative_margin))?,
        money(&|r| r.predicted)?,
        money(&|r| Some(r.realized))?,
        money(&|r| r.lifetime)?,
        money(&|r| r.equity)?,
    ];
    Ok(RecordBatch::try_new(
        crate::sources::schema::schema(ds, scale),
        columns,
    )?)
}

fn triangle(cohort: &Cohort, rows: &[Row], periods: Periods, scale: u32) -> Triangle {
    let mut out: Vec<TriangleRow> = Vec::new();
    for r in rows.iter().filter(|r| r.age < cohort.ages) {
        if r.age == 0 {
            out.push(TriangleRow {
                cohort: periods.label(r.cohort),
                size: r.size,
                cells: Vec::new(),
            });
        }
        let size = Decimal::from(r.size.max(1));
        let Some(row) = out.last_mut() else { continue };
        row.cells.push(TriangleCell {
            age: r.age,
            period: periods.label(r.cohort + i64::from(r.age)),
            active: r.active,
            retention: {
                let mut x = round(Decimal::from(r.active) / size, 4);
                x.rescale(4);
                x
            },
            revenue_per_customer: money(r.revenue / size, scale),
            margin_per_customer: money(r.margin / size, scale),
            cumulative_margin: money(r.cumulative_margin, scale),
            equity: r.equity.map(|e| money(e, scale)),
        });
    }
    Triangle {
        cohort: cohort.name.clone(),
        label: cohort.label.clone(),
        rows: out,
    }
}
