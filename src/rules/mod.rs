//! Owns turning aggregates into the evaluation: each KPI's value, target, variance and status for
//! every period and segment, with rounding, the missing-data policy and warnings such as division by
//! zero.

pub mod bands;
pub mod escalation;
mod eval;
pub mod explain;
pub mod manifest;
pub mod rollup;
pub mod score;
mod status;

pub use eval::EvalError;

use crate::calendar::Periods;
use crate::check::model::{Model, Unit};
use crate::engine::Aggregates;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything a report is made from. Serialized as-is for `--format json` (see docs/json-output.md).
#[derive(Debug, Serialize)]
pub struct Evaluation {
    pub scorecard: ScorecardInfo,
    /// What produced the document, from which files and options, and when.
    pub manifest: manifest::Manifest,
    pub periods: Vec<String>,
    pub kpis: Vec<KpiResult>,
    /// Objective, perspective and overall scores per period.
    #[serde(flatten)]
    pub scores: rollup::Rollup,
    /// Escalation episodes open, or recovered, in the reported periods (see docs/json-output.md).
    pub escalations: Vec<escalation::Escalated>,
    /// Whether the scorecard declares any escalation (so "none raised" can be told from "none
    /// declared").
    #[serde(skip)]
    pub escalations_declared: bool,
    /// Cumulative ("whale") curves of the views that declare `whale:`, per reported period.
    pub curves: Vec<crate::engine::view::Curve>,
    pub warnings: Vec<Warning>,
    /// Each attribution's credit by what it credits, per period and segment, when a report asked
    /// for it (`crate::evaluate_for_report`); the rule's name stands as the KPI's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<KpiResult>,
    /// Every attribution's credit rows, when asked for (`--credits`); not part of the JSON.
    #[serde(skip)]
    pub credits: Vec<crate::engine::credits::Credit>,
}

#[derive(Debug, Serialize)]
pub struct ScorecardInfo {
    pub name: String,
    pub label: Option<String>,
    pub owner: Option<String>,
    pub currency: String,
    pub grain: String,
    pub calendar: String,
}

#[derive(Debug, Serialize)]
pub struct KpiResult {
    pub name: String,
    pub label: Option<String>,
    pub owner: Option<String>,
    /// The objective the KPI measures, if any.
    pub objective: Option<String>,
    pub unit: Unit,
    pub by: Vec<String>,
    pub results: Vec<Row>,
}

/// What one result costs in memory until it is written, output included: measured at 460 bytes
/// with CSV output and 870 with JSON (960,264 results of 20,000 customers in 24 months), rounded
/// up (`docs/performance.md`).
const RESULT_BYTES: usize = 1024;

/// Under a memory limit, whether the results fit in it: every KPI reports each of its segments
/// (`segments`, the total first) in every period, and results are held until they are written.
/// A segmentation of hundreds of thousands of segments is refused before any is evaluated,
/// naming the KPI with the most (the first declared, of several), rather than let the run grow
/// past the limit.
fn fits_in_memory(
    model: &Model,
    segments: &[Vec<Vec<Option<String>>>],
    aggregates: &Aggregates,
) -> Result<(), EvalError> {
    let Some(limit) = aggregates.memory_limit else {
        return Ok(());
    };
    let periods = aggregates.periods.len();
    let results: usize = segments
        .iter()
        .map(|s| s.len().saturating_mul(periods))
        .fold(0, usize::saturating_add);
    let needed = results.saturating_mul(RESULT_BYTES);
    if needed <= limit {
        return Ok(());
    }
    let Some((k, most)) = model
        .kpis
        .iter()
        .zip(segments)
        .rev()
        .max_by_key(|(_, s)| s.len())
        .map(|(k, s)| (k, s.len().saturating_sub(1)))
    else {
        return Ok(());
    };
    Err(EvalError::Data(crate::engine::DataError::TooManyResults {
        results,
        needed: needed >> 20,
        limit: limit >> 20,
        kpi: k.name.clone(),
        segments: most,
        by: k.by.join(", "),
        periods,
    }))
}

/// Something per segmentation and segment, found by a fast hash (a segmentation may have hundreds
/// of thousands of segments, looked up in every period).
type BySegment<'m, T> =
    std::collections::HashMap<(&'m [String], &'m [Option<String>]), T, foldhash::fast::RandomState>;

fn shared_map<S: serde::Serializer>(
    map: &Arc<BTreeMap<String, Option<String>>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    Serialize::serialize(&**map, s)
}

/// One KPI in one period and segment.
#[derive(Debug, Serialize)]
pub struct Row {
    pub period: String,
    /// The period holding `--as-of`, evaluated before its end.
    pub partial: bool,
    /// Segment column to value; empty for the total. A `null` value is a row whose column was empty.
    /// One map per segment, shared by its results in every period: a segmentation may have
    /// hundreds of thousands of segments, and a map of four columns is most of a result's memory.
    #[serde(serialize_with = "shared_map")]
    pub segment: Arc<BTreeMap<String, Option<String>>>,
    #[serde(with = "opt_decimal")]
    pub value: Option<Decimal>,
    #[serde(with = "opt_decimal")]
    pub target: Option<Decimal>,
    /// value − target.
    #[serde(with = "opt_decimal")]
    pub variance: Option<Decimal>,
    pub status: Status,
    /// The value's score from 0 to 10 by the KPI's scoring method, to 2 places.
    #[serde(with = "opt_decimal")]
    pub score: Option<Decimal>,
    /// The thresholds in effect as numbers, in the order they are tried (see docs/json-output.md);
    /// empty when they are not all comparisons of the value with a number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<bands::Band>,
    /// For a value taken over a window (`ytd`, `rolling`, ...): how many periods it spans and in how
    /// many of them the data had rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Coverage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub periods: usize,
    pub covered: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Green,
    Amber,
    Red,
    /// No value, or a threshold that could not be decided (for example the target has no value).
    NoValue,
    /// The KPI declares no thresholds, no target and no `within` range.
    Unrated,
}

impl Evaluation {
    /// Moves the results of the KPIs `Model::with_credit_kpis` added into `attribution`.
    pub fn take_credit_kpis(&mut self) {
        let prefix = crate::check::model::CREDIT_PREFIX;
        let (credits, kpis) = std::mem::take(&mut self.kpis)
            .into_iter()
            .partition::<Vec<_>, _>(|k| k.name.starts_with(prefix));
        self.kpis = kpis;
        self.attribution = credits
            .into_iter()
            .map(|mut k| {
                k.name = k.name[prefix.len()..].to_string();
                k
            })
            .collect();
    }
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Amber => "amber",
            Status::Red => "red",
            Status::NoValue => "no value",
            Status::Unrated => "unrated",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Warning {
    pub code: &'static str,
    pub kpi: String,
    pub period: String,
    pub segment: BTreeMap<String, Option<String>>,
    pub message: String,
}

/// The segments of KPI `k` (none when it is not segmented): every one its value, target or
/// thresholds have in the reported periods, sorted.
pub fn kpi_segments<'m>(
    model: &'m Model,
    k: &'m crate::check::model::Kpi,
    aggregates: &Aggregates,
    reach: &mut crate::check::model::Reach<'m>,
) -> std::collections::BTreeSet<Vec<Option<String>>> {
    let mut found = std::collections::BTreeSet::new();
    if !k.by.is_empty() {
        for ds in eval::segment_datasets(model, k, reach) {
            found.extend(aggregates.segments(&ds, &k.by));
        }
    }
    found
}

/// Evaluates every KPI for every period and segment the data holds.
pub fn evaluate(
    model: &Model,
    aggregates: Aggregates,
    options: manifest::RunOptions,
) -> Result<Evaluation, EvalError> {
    let periods = Periods::of(&model.header);
    let mut warnings: Vec<Warning> = aggregates
        .notes
        .iter()
        .map(|n| Warning {
            code: n.code,
            kpi: n.rule.clone(),
            period: String::new(),
            segment: BTreeMap::new(),
            message: n.message.clone(),
        })
        .collect();
    let mut kpis = Vec::new();
    let mut exact_scores = std::collections::BTreeMap::new();
    let scripts =
        crate::script::Scripts::new(&model.functions).map_err(|why| EvalError::Script {
            kpi: String::new(),
            period: String::new(),
            why,
        })?;
    // Each KPI's segments: the total, and every segment its value, target or thresholds have.
    let mut reach = crate::check::model::Reach::new(&model.kpis);
    let segments: Vec<Vec<Vec<Option<String>>>> = model
        .kpis
        .iter()
        .map(|k| {
            let found = kpi_segments(model, k, &aggregates, &mut reach);
            std::iter::once(Vec::new()).chain(found).collect()
        })
        .collect();
    fits_in_memory(model, &segments, &aggregates)?;
    let mut results: Vec<Vec<Row>> = model.kpis.iter().map(|_| Vec::new()).collect();
    let mut kpi_warnings: Vec<Vec<Warning>> = model.kpis.iter().map(|_| Vec::new()).collect();
    // How many contexts the period before needed: the next needs about as many.
    let mut contexts_before = 0;
    // Each segment's name in results, made once for every period.
    let mut names: BySegment<Arc<BTreeMap<String, Option<String>>>> = Default::default();
    for &p in &aggregates.periods {
        let label = periods.label(p);
        // One context per segmentation and segment in the period, shared by the KPIs evaluated
        // there, so that a KPI another uses is evaluated once, not once per KPI that uses it.
        let mut contexts: BySegment<eval::Context> = BySegment::with_capacity_and_hasher(
            contexts_before,
            foldhash::fast::RandomState::default(),
        );
        for (i, k) in model.kpis.iter().enumerate() {
            for seg in &segments[i] {
                let by: &[String] = if seg.is_empty() { &[] } else { &k.by };
                let cx = contexts.entry((by, seg.as_slice())).or_insert_with(|| {
                    let named = names
                        .entry((by, seg.as_slice()))
                        .or_insert_with(|| Arc::new(eval::segment_map(by, seg)))
                        .clone();
                    eval::Context::new(model, &aggregates, by, (p, label.clone()), seg)
                        .naming(named)
                });
                let status::Judged {
                    row,
                    exact_score: exact,
                    ..
                } = status::row(
                    cx,
                    k,
                    (label.clone(), aggregates.partial == Some(p)),
                    &scripts,
                )?;
                kpi_warnings[i].extend(cx.take_warnings());
                if let (true, Some(s)) = (seg.is_empty(), exact) {
                    exact_scores.insert((k.name.clone(), label.clone()), s);
                }
                results[i].push(row);
            }
        }
        contexts_before = contexts.len();
    }
    for ((k, results), more) in model.kpis.iter().zip(results).zip(kpi_warnings) {
        warnings.extend(more);
        kpis.push(KpiResult {
            name: k.name.clone(),
            label: k.label.clone(),
            owner: k.owner.clone(),
            objective: k.objective.clone(),
            unit: k.unit,
            by: k.by.clone(),
            results,
        });
    }
    let (escalations, more) = escalation::evaluate(model, &aggregates, &scripts, &kpis)?;
    for w in more {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    let labels: Vec<String> = aggregates
        .periods
        .iter()
        .map(|p| periods.label(*p))
        .collect();
    let dated: Vec<(String, i64)> = aggregates
        .periods
        .iter()
        .zip(&labels)
        .map(|(p, label)| (label.clone(), crate::calendar::days(periods.bounds(*p).0)))
        .collect();
    let scores = rollup::rollup(model, &dated, &exact_scores);
    let h = &model.header;
    let (grain, calendar) = crate::calendar::written(h);
    Ok(Evaluation {
        scorecard: ScorecardInfo {
            name: h.name.clone(),
            label: h.label.clone(),
            owner: h.owner.clone(),
            currency: h.currency.clone(),
            grain,
            calendar,
        },
        manifest: manifest::Manifest::new(aggregates.inputs.clone(), options),
        curves: aggregates
            .curves
            .iter()
            .filter(|c| labels.contains(&c.period))
            .cloned()
            .collect(),
        periods: labels,
        kpis,
        attribution: Vec::new(),
        scores,
        escalations,
        escalations_declared: !model.escalations.is_empty(),
        warnings,
        credits: aggregates.credits,
    })
}

/// Decimals as strings in JSON, so no reader turns them into binary floating point.
pub(crate) mod opt_decimal {
    use rust_decimal::Decimal;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }
}
