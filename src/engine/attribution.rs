//! Owns computing an attribution's credit table as one engine plan: touches joined to the
//! conversions they precede within the window, ordered and weighted with window functions per
//! conversion, each conversion's value split into whole minor units by the largest remainder, and
//! conversions with no eligible touch credited to `unattributed`.

use super::csv::LINE;
use super::error::DataError;
use super::markov;
use super::query::row_expr;
use super::udf::{self, WEIGHT_UNIT};
use super::window::{over, Windows};
use crate::check::model::{Attribution, AttributionModel, ColumnType, Model};
use datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, TimeUnit, UInt64Type};
use datafusion::common::{JoinType, ScalarValue, TableReference};
use datafusion::datasource::MemTable;
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::functions_aggregate::min_max::{max_udaf, min_udaf};
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::functions_window::expr_fn::{lag, row_number};
use datafusion::logical_expr::{when, Expr, ExprFunctionExt};
use datafusion::prelude::{cast, ident, lit, DataFrame, SessionContext};
use rust_decimal::Decimal;
use std::sync::Arc;

/// The credit_to value of conversions no touch earned.
pub const UNATTRIBUTED: &str = "unattributed";
const DAY: i64 = 86_400;

/// Computes the credit table of `rule` and registers it under the rule's name.
pub async fn register(
    ctx: &SessionContext,
    model: &Model,
    rule: &Attribution,
    scripts: &crate::script::Scripts,
) -> Result<(), DataError> {
    let scale = model.header.money_scale;
    let touches_ds = model
        .dataset(&rule.touches)
        .ok_or_else(|| missing(&rule.touches))?;
    let conversions_ds = model
        .dataset(&rule.conversions)
        .ok_or_else(|| missing(&rule.conversions))?;
    let is_date = |ds: &crate::check::model::Dataset| {
        ds.column(&ds.time).map(|c| c.ty) == Some(ColumnType::Date)
    };

    // Eligible touches: `require` must hold (no value is not eligible), `exclude` must not.
    let mut t = ctx
        .table(TableReference::bare(rule.touches.as_str()))
        .await?;
    if let Some(r) = &rule.require {
        t = t.filter(row_expr(r).is_true())?;
    }
    if let Some(x) = &rule.exclude {
        t = t.filter(row_expr(x).is_not_true())?;
    }
    let reserved = t
        .clone()
        .filter(ident(&rule.credit_to).eq(lit(UNATTRIBUTED)))?
        .count()
        .await?;
    if reserved > 0 {
        return Err(DataError::Attribution {
            rule: rule.name.clone(),
            message: format!(
                "{reserved} touches have `{}` = \"{UNATTRIBUTED}\", the name kept for conversions no touch earned",
                rule.credit_to
            ),
        });
    }
    let mut touch_cols: Vec<Expr> = rule
        .matches
        .iter()
        .enumerate()
        .map(|(i, (tc, _))| ident(tc).alias(format!("__tk{i}")))
        .collect();
    touch_cols.extend([
        seconds(&touches_ds.time).alias("__tt"),
        ident(LINE).alias("__tl"),
        ident(&rule.credit_to).alias("__to"),
    ]);
    match &rule.model {
        AttributionModel::LastNonDirect { direct } => {
            touch_cols.push(row_expr(direct).is_true().alias("__direct"))
        }
        AttributionModel::WShaped { lead, opportunity } => {
            touch_cols.push(row_expr(lead).is_true().alias("__lead"));
            touch_cols.push(row_expr(opportunity).is_true().alias("__opp"));
        }
        _ => {}
    }
    let t = t.select(touch_cols)?;

    let c = ctx
        .table(TableReference::bare(rule.conversions.as_str()))
        .await?;
    let mut conv_cols: Vec<Expr> = rule
        .matches
        .iter()
        .enumerate()
        .map(|(i, (_, cc))| ident(cc).alias(format!("__ck{i}")))
        .collect();
    // A conversion on a date happens during that day: touches up to its end count.
    let end = if is_date(conversions_ds) { DAY - 1 } else { 0 };
    conv_cols.extend([
        seconds(&conversions_ds.time).alias("__ct"),
        (seconds(&conversions_ds.time) + lit(end)).alias("__cend"),
        (seconds(&conversions_ds.time) - lit(rule.window_days * DAY)).alias("__cstart"),
        ident(LINE).alias("__cl"),
        ident(&rule.value).alias("__cv"),
        ident(&conversions_ds.time).alias("__ctime"),
    ]);
    let c = c.select(conv_cols)?;

    let mut on: Vec<Expr> = (0..rule.matches.len())
        .map(|i| ident(format!("__ck{i}")).eq(ident(format!("__tk{i}"))))
        .collect();
    on.push(ident("__tt").gt_eq(ident("__cstart")));
    on.push(ident("__tt").lt_eq(ident("__cend")));
    let joined = c.clone().join_on(t.clone(), JoinType::Inner, on)?;

    let by_conversion = || vec![ident("__cl")];
    let in_order = || {
        vec![
            ident("__tt").sort(true, true),
            ident("__tl").sort(true, true),
        ]
    };
    let joined = joined.windows(vec![
        row_number()
            .partition_by(by_conversion())
            .order_by(in_order())
            .build()?
            .alias("__seq"),
        over(count_udaf(), lit(1i64), by_conversion())?.alias("__n"),
    ])?;
    let joined = joined
        .with_column("__seq", cast(ident("__seq"), DataType::Int64))?
        .with_column("__n", cast(ident("__n"), DataType::Int64))?;
    let raw = weights(ctx, rule, joined.clone(), &t, scripts).await?;
    let credited = shares(raw, scale)?;
    let credited = credited.select(vec![
        ident("__ctime").alias(&conversions_ds.time),
        ident("__to").alias(&rule.credit_to),
        ident("credit"),
        ident("weight"),
        ident("__cl").alias("conversion"),
        cast(ident("__tl"), DataType::Int64).alias("touch"),
    ])?;

    let matched = joined
        .select(vec![ident("__cl").alias("__mcl")])?
        .distinct()?;
    let unattributed = c
        .clone()
        .join(matched, JoinType::LeftAnti, &["__cl"], &["__mcl"], None)?
        .select(vec![
            ident("__ctime").alias(&conversions_ds.time),
            lit(UNATTRIBUTED).alias(&rule.credit_to),
            cast(ident("__cv"), DataType::Decimal128(28, scale as i8)).alias("credit"),
            lit(ScalarValue::Decimal128(Some(1_000_000_000_000), 28, 12)).alias("weight"),
            ident("__cl").alias("conversion"),
            lit(ScalarValue::Int64(None)).alias("touch"),
        ])?;
    let credits = credited.union(unattributed)?.cache().await?;
    check_sums(rule, &credits, &c).await?;
    ctx.register_table(
        TableReference::bare(rule.name.as_str()),
        credits.into_view(),
    )?;
    Ok(())
}

/// Each touch's raw weight (`__raw`, a whole number) under the rule's model.
async fn weights(
    ctx: &SessionContext,
    rule: &Attribution,
    j: DataFrame,
    touches: &DataFrame,
    scripts: &crate::script::Scripts,
) -> Result<DataFrame, DataError> {
    let seq = || ident("__seq");
    let n = || ident("__n");
    let one_if =
        |cond: Expr| -> Result<Expr, DataError> { Ok(when(cond, lit(1i64)).otherwise(lit(0i64))?) };
    let by_conversion = || vec![ident("__cl")];
    Ok(match &rule.model {
        AttributionModel::FirstTouch => j.with_column("__raw", one_if(seq().eq(lit(1i64)))?)?,
        AttributionModel::LastTouch => j.with_column("__raw", one_if(seq().eq(n()))?)?,
        AttributionModel::Linear => j.with_column("__raw", lit(1i64))?,
        AttributionModel::LastNonDirect { .. } => {
            let j = j.windows(vec![over(
                max_udaf(),
                when(ident("__direct").is_false(), seq()).end()?,
                by_conversion(),
            )?
            .alias("__nd")])?;
            let chosen =
                when(ident("__nd").is_null(), seq().eq(n())).otherwise(seq().eq(ident("__nd")))?;
            j.with_column("__raw", one_if(chosen)?)?
        }
        AttributionModel::TimeDecay { half_life_days } => {
            let secs = (*half_life_days * Decimal::from(DAY)).round();
            let secs = i64::try_from(secs).unwrap_or(i64::MAX);
            j.with_column("__raw", udf::decay(ident("__ct") - ident("__tt"), secs))?
        }
        AttributionModel::PositionBased { first, last } => {
            let parts =
                |d: Decimal| i64::try_from((d * Decimal::from(1_000_000)).round()).unwrap_or(0);
            let (f, l) = (parts(*first), parts(*last));
            let m = 1_000_000 - f - l;
            // Two touches share in the ratio first : last (50/50 under 40/40); one touch takes all.
            let (f2, l2) = if f + l == 0 { (1, 1) } else { (f, l) };
            let middle = n() - lit(2i64);
            let raw = when(n().eq(lit(1i64)), lit(1i64))
                .when(n().eq(lit(2i64)).and(seq().eq(lit(1i64))), lit(f2))
                .when(n().eq(lit(2i64)), lit(l2))
                .when(seq().eq(lit(1i64)), lit(f) * middle.clone())
                .when(seq().eq(n()), lit(l) * middle)
                .otherwise(lit(m))?;
            j.with_column("__raw", raw)?
        }
        AttributionModel::WShaped { .. } => {
            let j = j.windows(vec![
                over(
                    min_udaf(),
                    when(ident("__lead"), seq()).end()?,
                    by_conversion(),
                )?
                .alias("__ls"),
                over(
                    min_udaf(),
                    when(ident("__opp"), seq()).end()?,
                    by_conversion(),
                )?
                .alias("__os"),
            ])?;
            let is = |col: &str| seq().eq(ident(col)).is_true();
            let milestone = seq().eq(lit(1i64)).or(is("__ls")).or(is("__os"));
            let j = j.with_column(
                "__milestones",
                one_if(seq().eq(lit(1i64)))? + one_if(is("__ls"))? + one_if(is("__os"))?,
            )?;
            let j = j.windows(vec![over(
                sum_udaf(),
                one_if(milestone.clone().is_not_true())?,
                by_conversion(),
            )?
            .alias("__others")])?;
            // Each milestone role is worth 30% and the other touches share 10%: with k others,
            // 30k per role and 10 per other touch (30 per role when there are none).
            let k =
                when(ident("__others").eq(lit(0i64)), lit(1i64)).otherwise(ident("__others"))?;
            let raw =
                when(milestone, lit(30i64) * k * ident("__milestones")).otherwise(lit(10i64))?;
            j.with_column("__raw", raw)?
        }
        AttributionModel::Markov => {
            let effects = removal_effects(rule, &j, touches).await?;
            let table = effects_table(&effects)?;
            let e = ctx.read_table(Arc::new(table))?;
            let j = j.with_column("__state", state(ident("__to")))?;
            let j = j.join(e, JoinType::Left, &["__state"], &["__channel"], None)?;
            j.with_column("__raw", coalesce(vec![ident("__effect"), lit(0i64)]))?
        }
        AttributionModel::Script { function } => {
            let j = j.with_column("__age", (ident("__ct") - ident("__tt")) / lit(DAY))?;
            let distinct = j
                .clone()
                .select(vec![
                    seq().alias("__ws"),
                    n().alias("__wn"),
                    ident("__age").alias("__wa"),
                ])?
                .distinct()?
                .collect()
                .await?;
            let (mut s, mut nn, mut a, mut w) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for b in &distinct {
                let (bs, bn, ba) = (
                    b.column(0).as_primitive::<Int64Type>(),
                    b.column(1).as_primitive::<Int64Type>(),
                    b.column(2).as_primitive::<Int64Type>(),
                );
                for i in 0..b.num_rows() {
                    let age = if ba.is_null(i) { 0 } else { ba.value(i).max(0) };
                    let weight = scripts
                        .weight(function, bs.value(i), bn.value(i), age)
                        .map_err(|why| DataError::Attribution {
                            rule: rule.name.clone(),
                            message: format!("the weight function `{function}` failed: {why}"),
                        })?;
                    s.push(bs.value(i));
                    nn.push(bn.value(i));
                    a.push(ba.is_valid(i).then(|| ba.value(i)));
                    w.push(i64::try_from((weight * Decimal::from(1_000_000)).round()).unwrap_or(0));
                }
            }
            let schema = Arc::new(Schema::new(vec![
                Field::new("__ws", DataType::Int64, false),
                Field::new("__wn", DataType::Int64, false),
                Field::new("__wa", DataType::Int64, true),
                Field::new("__wraw", DataType::Int64, false),
            ]));
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(s)),
                    Arc::new(Int64Array::from(nn)),
                    Arc::new(Int64Array::from(a)),
                    Arc::new(Int64Array::from(w)),
                ],
            )?;
            let table = ctx.read_table(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
            let j = j.join_on(
                table,
                JoinType::Left,
                [
                    seq().eq(ident("__ws")),
                    n().eq(ident("__wn")),
                    ident("__age").eq(ident("__wa")),
                ],
            )?;
            j.with_column("__raw", coalesce(vec![ident("__wraw"), lit(0i64)]))?
        }
    })
}

/// Splits each conversion's value among its touches in proportion to `__raw`: whole minor units by
/// floor, then the minor units left over one each to the largest remainders (ties to the earlier
/// touch). A journey whose weights are all zero is shared equally.
fn shares(j: DataFrame, scale: u32) -> Result<DataFrame, DataError> {
    let by_conversion = || vec![ident("__cl")];
    let j = j.windows(vec![
        over(sum_udaf(), ident("__raw"), by_conversion())?.alias("__total")
    ])?;
    let zero = ident("__total").eq(lit(0i64));
    let j = j
        .with_column(
            "__w",
            when(zero.clone(), lit(1i64)).otherwise(ident("__raw"))?,
        )?
        .with_column(
            "__sum",
            when(zero, ident("__n")).otherwise(ident("__total"))?,
        )?
        .with_column("__w", cast(ident("__w"), DataType::Int64))?
        .with_column("__sum", cast(ident("__sum"), DataType::Int64))?;
    let ten = ScalarValue::Decimal128(Some(10i128.pow(scale)), 20, 0);
    let negative = ident("__cv").lt(lit(ScalarValue::Decimal128(Some(0), 28, scale as i8)));
    let magnitude = when(negative.clone(), -ident("__cv")).otherwise(ident("__cv"))?;
    let j = j
        .with_column("__neg", negative)?
        .with_column(
            "__units",
            cast(magnitude * lit(ten), DataType::Decimal128(38, 0)),
        )?
        .with_column(
            "__floor",
            udf::share(ident("__units"), ident("__w"), ident("__sum")),
        )?
        .with_column(
            "__rem",
            udf::remainder(ident("__units"), ident("__w"), ident("__sum")),
        )?;
    let j = j.windows(vec![
        over(sum_udaf(), ident("__floor"), by_conversion())?.alias("__floors"),
        row_number()
            .partition_by(by_conversion())
            .order_by(vec![
                ident("__rem").sort(false, true),
                ident("__seq").sort(true, true),
            ])
            .build()?
            .alias("__rank"),
    ])?;
    let left = ident("__units") - ident("__floors");
    let extra = when(
        cast(ident("__rank"), DataType::Decimal128(38, 0)).lt_eq(left),
        lit(ScalarValue::Decimal128(Some(1), 38, 0)),
    )
    .otherwise(lit(ScalarValue::Decimal128(Some(0), 38, 0)))?;
    let j = j
        .with_column(
            "credit",
            cast(
                udf::money(ident("__floor") + extra, ident("__neg"), scale),
                DataType::Decimal128(28, scale as i8),
            ),
        )?
        .with_column("weight", udf::ratio(ident("__w"), ident("__sum")))?;
    Ok(j)
}

/// Fails when some conversion's credits do not add up to its value (an engine bug, never data).
async fn check_sums(
    rule: &Attribution,
    credits: &DataFrame,
    c: &DataFrame,
) -> Result<(), DataError> {
    let sums = credits.clone().aggregate(
        vec![ident("conversion")],
        vec![sum(ident("credit")).alias("__credited")],
    )?;
    let wrong = c
        .clone()
        .join(sums, JoinType::Left, &["__cl"], &["conversion"], None)?
        .filter(
            ident("__cv").is_not_null().and(
                ident("__credited")
                    .is_null()
                    .or(ident("__credited").not_eq(ident("__cv"))),
            ),
        )?
        .count()
        .await?;
    if wrong > 0 {
        return Err(DataError::Attribution {
            rule: rule.name.clone(),
            message: format!("the credits of {wrong} conversions do not add up to their values"),
        });
    }
    Ok(())
}

/// The removal effect of every channel, from the transitions of converting journeys (the eligible
/// touches before each conversion) and of non-converting ones (each customer's eligible touches
/// that fell in no conversion's window).
async fn removal_effects(
    rule: &Attribution,
    joined: &DataFrame,
    touches: &DataFrame,
) -> Result<Vec<(String, i64)>, DataError> {
    let keys = |prefix: &str| -> Vec<Expr> {
        (0..rule.matches.len())
            .map(|i| ident(format!("{prefix}{i}")))
            .collect()
    };
    let converting = journey_steps(joined.clone(), vec![ident("__cl")], markov::CONVERSION)?;
    let used = joined
        .clone()
        .select(vec![ident("__tl").alias("__used")])?
        .distinct()?;
    let rest = touches
        .clone()
        .join(used, JoinType::LeftAnti, &["__tl"], &["__used"], None)?;
    let rest = rest.windows(vec![
        row_number()
            .partition_by(keys("__tk"))
            .order_by(vec![
                ident("__tt").sort(true, true),
                ident("__tl").sort(true, true),
            ])
            .build()?
            .alias("__seq"),
        over(count_udaf(), lit(1i64), keys("__tk"))?.alias("__n"),
    ])?;
    let rest = rest
        .with_column("__seq", cast(ident("__seq"), DataType::Int64))?
        .with_column("__n", cast(ident("__n"), DataType::Int64))?;
    let lost = journey_steps(rest, keys("__tk"), markov::NULL)?;
    let counted = converting
        .union(lost)?
        .aggregate(
            vec![ident("__from"), ident("__to2")],
            vec![count(lit(1i64)).alias("__count")],
        )?
        .collect()
        .await?;
    let mut transitions = Vec::new();
    for b in &counted {
        let from = b.column(0).as_string::<i32>();
        let to = b.column(1).as_string::<i32>();
        let n = b.column(2);
        for i in 0..b.num_rows() {
            let count = match n.data_type() {
                DataType::Int64 => n.as_primitive::<Int64Type>().value(i) as u64,
                _ => n.as_primitive::<UInt64Type>().value(i),
            };
            transitions.push((from.value(i).to_string(), to.value(i).to_string(), count));
        }
    }
    transitions.sort();
    Ok(markov::removal_effects(&transitions)
        .into_iter()
        .map(|(c, e)| (c, (e * WEIGHT_UNIT as f64).round() as i64))
        .collect())
}

/// The transitions of journeys partitioned by `journey` and ordered by `__seq`: from the start (or
/// the previous touch) into each touch, and from the last touch into `end`.
fn journey_steps(j: DataFrame, journey: Vec<Expr>, end: &str) -> Result<DataFrame, DataError> {
    let j = j.with_column("__state", state(ident("__to")))?;
    let j = j.windows(vec![lag(ident("__state"), Some(1), None)
        .partition_by(journey)
        .order_by(vec![ident("__seq").sort(true, true)])
        .build()?
        .alias("__prev")])?;
    let into = j.clone().select(vec![
        coalesce(vec![ident("__prev"), lit(markov::START)]).alias("__from"),
        ident("__state").alias("__to2"),
    ])?;
    let out = j.filter(ident("__seq").eq(ident("__n")))?.select(vec![
        ident("__state").alias("__from"),
        lit(end).alias("__to2"),
    ])?;
    Ok(into.union(out)?)
}

/// A Markov state: the credited value, with no value as the empty name.
fn state(to: Expr) -> Expr {
    coalesce(vec![to, lit("")])
}

fn effects_table(effects: &[(String, i64)]) -> Result<MemTable, DataError> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("__channel", DataType::Utf8, false),
        Field::new("__effect", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(
                effects.iter().map(|(c, _)| c),
            )),
            Arc::new(Int64Array::from_iter_values(
                effects.iter().map(|(_, e)| *e),
            )),
        ],
    )?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}

/// A date or timestamp column as seconds since 1970-01-01 (a date at its midnight).
fn seconds(column: &str) -> Expr {
    cast(
        cast(ident(column), DataType::Timestamp(TimeUnit::Second, None)),
        DataType::Int64,
    )
}

fn missing(name: &str) -> DataError {
    DataError::Engine(format!("no dataset `{name}`"))
}
