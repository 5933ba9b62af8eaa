//! Owns computing an attribution's credit table: the eligible touches and the conversions read out
//! of the engine once (and shared by rules over the same inputs), each conversion's journey found
//! by key and window, weighed under the rule's model and its value split into whole minor units by
//! the largest remainder; conversions with no eligible touch are credited to `unattributed`.

mod inputs;
mod journeys;
mod markov;
mod shares;
mod weights;

use crate::error::DataError;
use datafusion::arrow::array::{
    ArrayRef, Decimal128Array, Int64Array, RecordBatch, StringBuilder, UInt32Array,
};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use inputs::{Conversions, Touches, NO_NAME};
use journeys::Journeys;
use scorecard_model::{Attribution, ColumnType, Model, RowExpr};
use scorecard_script::Scripts;
use shares::{Share, RATIO_UNIT};
use std::sync::Arc;
use weights::{Weigher, DAY};

/// The credit_to value of conversions no touch earned.
pub const UNATTRIBUTED: &str = "unattributed";
/// Rows per batch of a credit table.
const BATCH: usize = 1 << 16;

/// What a rule reads: rules that agree on all of it share one reading and one matching.
#[derive(Debug, Clone, PartialEq)]
struct Reading {
    touches: String,
    conversions: String,
    matches: Vec<(String, String)>,
    window_days: i64,
    value: String,
    credit_to: String,
    require: Option<RowExpr>,
    exclude: Option<RowExpr>,
    flags: Vec<RowExpr>,
}

impl Reading {
    fn of(rule: &Attribution) -> Self {
        Reading {
            touches: rule.touches.clone(),
            conversions: rule.conversions.clone(),
            matches: rule.matches.clone(),
            window_days: rule.window_days,
            value: rule.value.clone(),
            credit_to: rule.credit_to.clone(),
            require: rule.require.clone(),
            exclude: rule.exclude.clone(),
            flags: weights::flags(&rule.model).into_iter().cloned().collect(),
        }
    }
}

/// Touches, conversions and journeys read for one `Reading`.
struct Read {
    touches: Touches,
    conversions: Conversions,
    journeys: Journeys,
}

/// The readings of a run's attributions, each kept until the last rule that needs it is done.
pub struct Shared {
    readings: Vec<(Reading, usize, Option<Arc<Read>>)>,
}

impl Shared {
    pub fn new(model: &Model) -> Self {
        let mut readings: Vec<(Reading, usize, Option<Arc<Read>>)> = Vec::new();
        for rule in &model.attributions {
            let r = Reading::of(rule);
            match readings.iter_mut().find(|(x, _, _)| *x == r) {
                Some((_, uses, _)) => *uses += 1,
                None => readings.push((r, 1, None)),
            }
        }
        Shared { readings }
    }

    async fn take(
        &mut self,
        ctx: &SessionContext,
        model: &Model,
        rule: &Attribution,
    ) -> Result<Arc<Read>, DataError> {
        let r = Reading::of(rule);
        let Some(slot) = self.readings.iter_mut().find(|(x, _, _)| *x == r) else {
            return Ok(Arc::new(read(ctx, model, rule).await?));
        };
        let read = match &slot.2 {
            Some(read) => read.clone(),
            None => Arc::new(read(ctx, model, rule).await?),
        };
        slot.1 = slot.1.saturating_sub(1);
        slot.2 = (slot.1 > 0).then(|| read.clone());
        Ok(read)
    }
}

async fn read(ctx: &SessionContext, model: &Model, rule: &Attribution) -> Result<Read, DataError> {
    let missing = |name: &str| DataError::Engine(format!("no dataset `{name}`"));
    let touches_ds = model
        .dataset(&rule.touches)
        .ok_or_else(|| missing(&rule.touches))?;
    let conversions_ds = model
        .dataset(&rule.conversions)
        .ok_or_else(|| missing(&rule.conversions))?;
    let (touches, conversions) = inputs::load(
        ctx,
        rule,
        (touches_ds, conversions_ds),
        model.header.zone(),
        &weights::flags(&rule.model),
        model.header.money_scale,
    )
    .await?;
    // A conversion on a date happens during that day: touches up to its end count.
    let is_date = conversions_ds
        .column(&conversions_ds.time)
        .map(|c| c.ty == ColumnType::Date)
        .unwrap_or(false);
    let after = if is_date { DAY - 1 } else { 0 };
    let before = rule.window_days.saturating_mul(DAY);
    // In a zone, a day is not always 24 hours: a conversion on a date counts the touches from
    // local midnight `window` days before it to the end of its own local day.
    let zone = model.header.zone();
    let windows: Option<Vec<(i64, i64)>> = (is_date && !zone.is_utc()).then(|| {
        use datafusion::arrow::array::AsArray;
        let days = conversions
            .at
            .as_primitive::<datafusion::arrow::datatypes::Date32Type>();
        (0..days.len())
            .map(|i| {
                let day = i64::from(days.value(i));
                let from = zone.day_start(day - rule.window_days).unwrap_or(i64::MIN);
                let to = zone.day_start(day + 1).map_or(i64::MAX, |t| t - 1);
                (from, to)
            })
            .collect()
    });
    let journeys = Journeys::find(&touches, &conversions, (before, after), windows.as_deref());
    Ok(Read {
        touches,
        conversions,
        journeys,
    })
}

/// Computes the credit table of `rule` and registers it under the rule's name: one row per
/// conversion and touch credited (in conversion then touch order), with the conversion's time,
/// what the credit went to, the credit, the weight, and the conversion's and touch's lines.
pub async fn register(
    ctx: &SessionContext,
    model: &Model,
    rule: &Attribution,
    scripts: &Scripts,
    shared: &mut Shared,
) -> Result<(), DataError> {
    let read = shared.take(ctx, model, rule).await?;
    let (touches, conversions, journeys) = (&read.touches, &read.conversions, &read.journeys);
    let failed = |message: String| DataError::Attribution {
        rule: rule.name.clone(),
        message,
    };
    if let Some(reserved) = touches.names.iter().position(|n| n == UNATTRIBUTED) {
        let count = touches.to.iter().filter(|&&t| t == reserved as u32).count();
        return Err(failed(format!(
            "{count} touches have `{}` = \"{UNATTRIBUTED}\", the name kept for conversions no touch earned",
            rule.credit_to
        )));
    }

    let mut weigher = Weigher::new(rule, touches, journeys, scripts);
    let mut order: Vec<usize> = (0..conversions.line.len()).collect();
    order.sort_unstable_by_key(|&c| conversions.line[c]);
    let mut table = Table::default();
    let (mut raw, mut split) = (Vec::new(), Vec::<Share>::new());
    for c in order {
        let journey = journeys.of(c);
        let value = conversions.value[c];
        if journey.is_empty() {
            table.push(c, conversions.line[c], None, None, value, RATIO_UNIT);
            continue;
        }
        let converted = conversions.time[c].unwrap_or_default();
        weigher
            .weigh(touches, journey, converted, &mut raw)
            .map_err(|error| DataError::Script {
                rule: rule.name.clone(),
                error,
            })?;
        shares::split(value, &raw, &mut split).map_err(failed)?;
        for (&t, share) in journey.iter().zip(&split) {
            let t = t as usize;
            let to = match touches.to[t] {
                NO_NAME => None,
                to => Some(touches.names[to as usize].as_str()),
            };
            let line = Some(touches.line[t]);
            table.push(c, conversions.line[c], line, to, share.credit, share.weight);
        }
    }
    let conversions_ds = model
        .dataset(&rule.conversions)
        .ok_or_else(|| DataError::Engine(format!("no dataset `{}`", rule.conversions)))?;
    let batches = table.finish(
        &conversions.at,
        &conversions_ds.time,
        &rule.credit_to,
        model.header.money_scale,
    )?;
    let partitions = ctx.state().config().target_partitions().max(1);
    let mut parts = vec![Vec::new(); partitions];
    let schema = batches[0].schema();
    for (i, b) in batches.into_iter().enumerate() {
        parts[i % partitions].push(b);
    }
    ctx.register_table(
        TableReference::bare(rule.name.as_str()),
        Arc::new(MemTable::try_new(schema, parts)?),
    )?;
    Ok(())
}

/// The credit table's rows as they are found.
#[derive(Default)]
struct Table {
    /// The conversion's index in `Conversions`.
    index: Vec<u32>,
    conversion_line: Vec<i64>,
    touch_line: Vec<Option<i64>>,
    credited: StringBuilder,
    credit: Vec<Option<i128>>,
    weight: Vec<i128>,
}

impl Table {
    /// A row; with no touch, the conversion's `unattributed` row.
    fn push(
        &mut self,
        c: usize,
        line: i64,
        touch: Option<i64>,
        to: Option<&str>,
        credit: Option<i128>,
        weight: i128,
    ) {
        self.index.push(c as u32);
        self.conversion_line.push(line);
        match (touch, to) {
            (None, _) => self.credited.append_value(UNATTRIBUTED),
            (Some(_), Some(to)) => self.credited.append_value(to),
            (Some(_), None) => self.credited.append_null(),
        }
        self.touch_line.push(touch);
        self.credit.push(credit);
        self.weight.push(weight);
    }

    /// The rows as batches of columns: the conversion's time (as `time`), what was credited (as
    /// `credit_to`), `credit`, `weight`, `conversion` and `touch`.
    fn finish(
        mut self,
        at: &ArrayRef,
        time: &str,
        credit_to: &str,
        scale: u32,
    ) -> Result<Vec<RecordBatch>, DataError> {
        let times = take(at.as_ref(), &UInt32Array::from(self.index), None)?;
        let columns: Vec<ArrayRef> = vec![
            times,
            Arc::new(self.credited.finish()),
            Arc::new(Decimal128Array::from(self.credit).with_precision_and_scale(28, scale as i8)?),
            Arc::new(Decimal128Array::from(self.weight).with_precision_and_scale(28, 12)?),
            Arc::new(Int64Array::from(self.conversion_line)),
            Arc::new(Int64Array::from(self.touch_line)),
        ];
        let schema = Arc::new(Schema::new(vec![
            Field::new(time, at.data_type().clone(), true),
            Field::new(credit_to, DataType::Utf8, true),
            Field::new("credit", DataType::Decimal128(28, scale as i8), true),
            Field::new("weight", DataType::Decimal128(28, 12), false),
            Field::new("conversion", DataType::Int64, false),
            Field::new("touch", DataType::Int64, true),
        ]));
        let all = RecordBatch::try_new(schema, columns)?;
        let rows = all.num_rows();
        if rows == 0 {
            return Ok(vec![all]);
        }
        Ok((0..rows)
            .step_by(BATCH)
            .map(|start| all.slice(start, BATCH.min(rows - start)))
            .collect())
    }
}
