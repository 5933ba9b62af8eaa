//! Owns a pass's result layout: which columns, after the period and the segment columns, each
//! aggregate takes and what each holds. The embedded engine and Ballista (`query.rs`), PostgreSQL
//! pushdown and `scorecard sql` (`sql/`) all compute and read an aggregate by this one layout.

use crate::Cell;
use rust_decimal::Decimal;
use scorecard_model::{AggFunc, Model};
use std::collections::BTreeSet;

/// What one result column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The aggregate's value.
    Value,
    /// An average as two columns, so that no engine divides money in binary floating point: the
    /// sum of the values and how many there were.
    Sum,
    Count,
    /// A top share as two columns: the sum over the top rows and over every row.
    Top,
    Total,
}

impl Part {
    /// For a part of a two-column aggregate, the suffix of its column's name and what it holds.
    pub fn named(self) -> Option<(&'static str, &'static str)> {
        match self {
            Part::Value => None,
            Part::Sum => Some(("sum", "the sum")),
            Part::Count => Some(("count", "the count")),
            Part::Top => Some(("top", "the top rows' sum")),
            Part::Total => Some(("total", "every row's sum")),
        }
    }

    /// Puts a column's value where it belongs in the aggregate's cell: the value, or the count
    /// an average or a share divides by.
    pub(crate) fn fill(self, cell: &mut Cell, value: Option<Decimal>) {
        match self {
            Part::Value | Part::Sum | Part::Top => cell.value = value,
            Part::Count | Part::Total => cell.count = value.unwrap_or_default(),
        }
    }
}

/// The parts an aggregate of `func` takes, in column order.
pub fn parts(func: AggFunc) -> &'static [Part] {
    match func {
        AggFunc::Avg => &[Part::Sum, Part::Count],
        AggFunc::TopShare { .. } => &[Part::Top, Part::Total],
        AggFunc::Sum | AggFunc::Count | AggFunc::CountDistinct | AggFunc::Min | AggFunc::Max => {
            &[Part::Value]
        }
    }
}

/// Every result column of a pass computing `aggregates` (indexes into `Model::aggregates`), in
/// order: each aggregate's parts, aggregate by aggregate.
pub fn columns(model: &Model, aggregates: &BTreeSet<usize>) -> Vec<(usize, Part)> {
    aggregates
        .iter()
        .flat_map(|&i| parts(model.aggregates[i].func).iter().map(move |&p| (i, p)))
        .collect()
}
