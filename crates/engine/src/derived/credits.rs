//! Owns reading an attribution's credit table back for audit: one row per conversion and touch
//! credited, in conversion then touch order.

use crate::error::DataError;
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::{ident, SessionContext};
use rust_decimal::Decimal;
use scorecard_model::{Attribution, Model};
use serde::Serialize;

/// One touch's credit for one conversion (or a conversion's `unattributed` row, with no touch).
#[derive(Debug, Clone, Serialize)]
pub struct Credit {
    pub attribution: String,
    /// The conversion's line in its file (its row, for Parquet).
    pub conversion: i64,
    /// The conversion's time as written in the data.
    pub converted_at: String,
    /// The touch's line in its file; none for `unattributed`.
    pub touch: Option<i64>,
    /// What the credit went to (the channel).
    pub credited: Option<String>,
    /// The touch's share of the conversion, to 12 places.
    pub weight: Decimal,
    pub credit: Option<Decimal>,
}

pub async fn collect(
    ctx: &SessionContext,
    model: &Model,
    rule: &Attribution,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Vec<Credit>, DataError> {
    let time = model
        .dataset(&rule.conversions)
        .map(|d| d.time.clone())
        .unwrap_or_default();
    // The conversions the run reads: up to `--as-of`, by their local day, as the KPIs have them.
    let table = crate::passes::period::rows_through(
        ctx,
        &rule.name,
        crate::passes::period::Time::column(model, &time),
        as_of,
    );
    let batches = table
        .await?
        .select(vec![
            ident("conversion"),
            ident(&time),
            ident("touch"),
            ident(&rule.credit_to),
            ident("weight"),
            ident("credit"),
        ])?
        .sort(vec![
            ident("conversion").sort(true, true),
            ident("touch").sort(true, true),
        ])?
        .collect()
        .await?;
    let mut out = Vec::new();
    let options = FormatOptions::default();
    for b in &batches {
        let conversion = b.column(0).as_primitive::<Int64Type>();
        let times = ArrayFormatter::try_new(b.column(1).as_ref(), &options)?;
        let touch = b.column(2).as_primitive::<Int64Type>();
        let credited = b.column(3).as_string::<i32>();
        for i in 0..b.num_rows() {
            out.push(Credit {
                attribution: rule.name.clone(),
                conversion: conversion.value(i),
                converted_at: times.value(i).to_string(),
                touch: touch.is_valid(i).then(|| touch.value(i)),
                credited: credited.is_valid(i).then(|| credited.value(i).to_string()),
                weight: decimal(b.column(4), i)?.unwrap_or_default(),
                credit: decimal(b.column(5), i)?,
            });
        }
    }
    Ok(out)
}

fn decimal(a: &ArrayRef, i: usize) -> Result<Option<Decimal>, DataError> {
    crate::passes::query::decimal_of(a, i, "a credit")
}
