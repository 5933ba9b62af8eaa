//! Owns what days each dataset's data covers and which periods it covers only in part: the span of
//! its rows' days, widened to whole periods of its `grain`, ended by its `extracted` day and by
//! `--as-of`; a rule's table covers what all its inputs cover.

use chrono::{Days, NaiveDate};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Date32Type;
use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::prelude::SessionContext;
use scorecard_model::calendar::Periods;
use scorecard_model::{Completeness, Dataset, Model};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use crate::passes::period::{day_of, rows_through, Time};
use crate::DataError;

/// The days one dataset's data covers, and the periods it covers only in part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Covers {
    /// The first and last day the data is complete for.
    #[serde(serialize_with = "day")]
    pub first: NaiveDate,
    #[serde(serialize_with = "day")]
    pub last: NaiveDate,
    /// The periods at the start covered only in part (a range of period numbers, inclusive):
    /// from the period of the first row through the one holding `first`, when that starts
    /// before it.
    #[serde(skip)]
    pub starts_short: Option<Range>,
    /// The periods at the end covered only in part: from the one holding `last`, when it ends
    /// after it, through the period of the last row.
    #[serde(skip)]
    pub ends_short: Option<Range>,
    /// The periods holding `first` and `last`: those outside are not covered at all.
    #[serde(skip)]
    pub touched: Range,
}

impl Covers {
    /// The periods of `first..=last` this data covers only in part, in order; with `from_start`
    /// (a window from where the data starts), not those at the start.
    pub fn short_in(&self, (first, last): (i64, i64), from_start: bool) -> Vec<i64> {
        let start = self.starts_short.filter(|_| !from_start);
        let mut out: Vec<i64> = [start, self.ends_short]
            .into_iter()
            .flatten()
            .flat_map(|(a, b)| a.max(first)..=b.min(last))
            .collect();
        out.dedup();
        out
    }

    /// The periods of `first..=last` this data does not cover at all, at most `most` of them:
    /// where `missing: zero` would read its absence as zeros (in a `cumulative` window too: before
    /// the data starts there is nothing to add up, which is not zero).
    pub fn uncovered_in(&self, (first, last): (i64, i64), most: usize) -> Vec<i64> {
        let (a, b) = self.touched;
        let before = first..=last.min(a - 1);
        let after = first.max(b + 1)..=last;
        before.chain(after).take(most).collect()
    }
}

fn day<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// The first and last day of a registered dataset's rows up to `--as-of` (`None` when it has
/// none): the rows a run reads, whichever source they come from (a PostgreSQL source sends only
/// those).
pub async fn row_days(
    ctx: &SessionContext,
    ds: &Dataset,
    as_of: Option<NaiveDate>,
    zone: scorecard_model::zone::Zone,
) -> Result<Option<(NaiveDate, NaiveDate)>, DataError> {
    let time = Time {
        column: &ds.time,
        zone,
    };
    let day = day_of(time);
    let batches = rows_through(ctx, &ds.name, time, as_of)
        .await?
        .aggregate(vec![], vec![min(day.clone()), max(day)])?
        .collect()
        .await?;
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(None);
    };
    let at = |i: usize| -> Option<NaiveDate> {
        let column = batch.column(i).as_primitive_opt::<Date32Type>()?;
        (!column.is_null(0)).then(|| scorecard_model::calendar::date(i64::from(column.value(0))))
    };
    Ok(at(0).zip(at(1)))
}

/// What each dataset of `model` covers: a dataset read from a source by its rows' days (`rows`,
/// for those read) and what the scorecard and the project say of it, a rule's table by what its
/// inputs cover.
pub fn of_model(
    model: &Model,
    rows: &BTreeMap<String, (NaiveDate, NaiveDate)>,
    completeness: &BTreeMap<String, Completeness>,
    as_of: Option<NaiveDate>,
    periods: Periods,
) -> BTreeMap<String, Covers> {
    let mut out: BTreeMap<String, Covers> = BTreeMap::new();
    // The days of each one's rows, for the periods outside what it covers that still hold rows.
    let mut row_spans: BTreeMap<String, (NaiveDate, NaiveDate)> = BTreeMap::new();
    for ds in &model.datasets {
        let spans = if ds.is_file() {
            rows.get(&ds.name).map(|&rows| {
                let told = completeness.get(&ds.name).copied().unwrap_or_default();
                (declared(ds, rows, ds.complete.or(told), periods), rows)
            })
        } else {
            let spans = intersect(model.table_inputs(ds).into_iter().map(|name| {
                let c = out.get(name)?;
                Some(((c.first, c.last), *row_spans.get(name)?))
            }));
            spans.map(|((first, last), rows)| ((first + lookback(model, ds, &out), last), rows))
        };
        let Some(((first, mut last), (first_row, mut last_row))) = spans else {
            continue;
        };
        if let Some(day) = as_of {
            last = last.min(day);
            last_row = last_row.min(day);
        }
        row_spans.insert(ds.name.clone(), (first_row, last_row));
        let (starts_short, ends_short) =
            short_periods(periods, (first, last), (first_row, last_row));
        let touched = (periods.of_date(first), periods.of_date(last.max(first)));
        out.insert(
            ds.name.clone(),
            Covers {
                first,
                last,
                starts_short,
                ends_short,
                touched,
            },
        );
    }
    out
}

/// The warning of a dataset said to cover no day at all (`complete_from` after the day before
/// `extracted`, or the extract taken before its first row).
pub const NO_COVERAGE: &str = "scorecard::data::no_coverage";

/// A warning for each dataset whose data covers no day: every period with its rows is then
/// partial, which is never what was meant.
pub fn contradictions(model: &Model, covered: &BTreeMap<String, Covers>) -> Vec<crate::Note> {
    let files = model.datasets.iter().filter(|d| d.is_file());
    files
        .filter_map(|ds| {
            let c = covered.get(&ds.name).filter(|c| c.last < c.first)?;
            Some(crate::Note {
                code: NO_COVERAGE,
                rule: ds.name.clone(),
                message: format!(
                    "dataset `{}` is said to be complete from {} and to end on {}, so it covers no day and every period with its rows is partial: check its `complete_from` and `extracted` (in the scorecard and scorecard.toml) against its rows",
                    ds.name, c.first, c.last
                ),
            })
        })
        .collect()
}

/// How far before a conversion an attribution reads touches: a conversion in its first
/// `window_days` days after the touches start may have had touches before them, so the credit is
/// complete only from then on.
fn lookback(model: &Model, ds: &Dataset, covered: &BTreeMap<String, Covers>) -> Days {
    let Some(rule) = model.attributions.iter().find(|a| a.name == ds.name) else {
        return Days::new(0);
    };
    let (Some(touches), Some(conversions)) =
        (covered.get(&rule.touches), covered.get(&rule.conversions))
    else {
        return Days::new(0);
    };
    // The first day whose window lies wholly inside the touches' span, past the conversions'
    // start.
    let complete_from = touches.first + Days::new(rule.window_days.max(0) as u64);
    let shift = (complete_from - touches.first.max(conversions.first)).num_days();
    Days::new(shift.max(0) as u64)
}

/// Periods `first..=last`, by number.
type Range = (i64, i64);

type Spans = ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate));

/// What a table made from several inputs covers: the days all of them cover, and the days any of
/// them has rows; `None` when an input covers nothing.
fn intersect(inputs: impl Iterator<Item = Option<Spans>>) -> Option<Spans> {
    let mut acc: Option<Spans> = None;
    for spans in inputs {
        let ((f, l), (fr, lr)) = spans?;
        acc = Some(match acc {
            None => ((f, l), (fr, lr)),
            Some(((af, al), (afr, alr))) => ((af.max(f), al.min(l)), (afr.min(fr), alr.max(lr))),
        });
    }
    acc
}

/// The days a dataset read from a source covers: its rows' first and last days, widened to whole
/// periods of its own `grain`; or from the day it is complete from, and to the day before its
/// extract was taken, where those are said.
fn declared(
    ds: &Dataset,
    (first, last): (NaiveDate, NaiveDate),
    told: Completeness,
    periods: Periods,
) -> (NaiveDate, NaiveDate) {
    let (first, last) = match ds.grain {
        Some(g) => {
            let own = periods.at_grain(g);
            (
                own.bounds(own.of_date(first)).0,
                own.bounds(own.of_date(last)).1,
            )
        }
        None => (first, last),
    };
    let last = match told.extracted {
        Some(day) => day.checked_sub_days(Days::new(1)).unwrap_or(day),
        None => last,
    };
    (told.complete_from.unwrap_or(first), last)
}

/// The periods covered only in part at the start and at the end: those from the first row's
/// through the one holding `first` when it starts before it, and those from the one holding
/// `last` when it ends after it through the last row's. When `last` comes before `first`, no
/// period is covered whole: every period with rows is short.
fn short_periods(
    periods: Periods,
    (first, last): (NaiveDate, NaiveDate),
    (first_row, last_row): (NaiveDate, NaiveDate),
) -> (Option<Range>, Option<Range>) {
    let of = |d: NaiveDate| periods.of_date(d);
    if last < first {
        return (
            None,
            Some((of(first_row.min(first)), of(last_row.max(first)))),
        );
    }
    let p = of(first);
    let to = if periods.bounds(p).0 < first {
        p
    } else {
        p - 1
    };
    let from = of(first_row.min(first));
    let starts = (from <= to).then_some((from, to));
    let q = of(last);
    let from = if periods.bounds(q).1 > last { q } else { q + 1 };
    let to = of(last_row.max(last));
    (starts, (from <= to).then_some((from, to)))
}

/// The datasets read from a source that `name` is, or is made from through rules' tables.
pub fn sources_of(model: &Model, name: &str) -> BTreeSet<String> {
    let made = model.made_from(name).into_iter();
    made.filter(|d| model.dataset(d).is_some_and(Dataset::is_file))
        .collect()
}
