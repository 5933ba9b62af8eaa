//! Owns turning aggregates into the evaluation: each KPI's value, target, variance and status for
//! every period and segment, with rounding, the missing-data policy and warnings such as division by
//! zero.

pub mod bands;
pub mod diff;
pub mod escalation;
mod eval;
pub mod explain;
pub mod manifest;
mod results;
pub mod rollup;
pub mod run;
pub mod score;
pub mod sensitivity;
mod status;
mod sweep;
pub mod testing;

pub use eval::EvalError;
pub use results::Results;
/// The cohort triangles an evaluation carries, as the engine made them.
pub use scorecard_engine::cohort::{Triangle, TriangleCell, TriangleRow};

use rust_decimal::Decimal;
use scorecard_engine::Aggregates;
use scorecard_model::calendar::Periods;
use scorecard_model::{Model, Unit};
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
    /// The days each dataset's data covers (docs/language.md, "Coverage").
    pub coverage: BTreeMap<String, scorecard_engine::coverage::Covers>,
    /// Every dataset check, passed or failed (docs/language.md, "Checks on a dataset").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<scorecard_engine::checks::Checked>,
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
    pub curves: Vec<scorecard_engine::view::Curve>,
    /// Each cohort's triangle, for the cohorts that started in a reported period (see
    /// docs/json-output.md, "Cohorts"); left out when the scorecard declares none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cohorts: Vec<scorecard_engine::cohort::Triangle>,
    pub warnings: Vec<Warning>,
    /// Each attribution's credit by what it credits, per period and segment, when a report asked
    /// for it (`crate::run::evaluate_for_report`); the rule's name stands as the KPI's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<KpiResult>,
    /// Every attribution's credit rows, when asked for (`--credits`); not part of the JSON.
    #[serde(skip)]
    pub credits: Vec<scorecard_engine::credits::Credit>,
}

#[derive(Debug, Clone, Serialize)]
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
    /// The datasets read from a source that its value reads, directly, through other KPIs or
    /// through the tables rules make of them, sorted.
    pub reads: Vec<String>,
    pub results: Results,
}

/// What one result costs in memory until it is written, output included: measured at 460 bytes
/// with CSV output and 870 with JSON (960,264 results of 20,000 customers in 24 months), rounded
/// up (`docs/performance.md`).
const RESULT_BYTES: usize = 1024;

/// Under a memory limit, whether the results fit in it: every KPI reports each of its segments
/// (`segments`, the total first) in every period, and results are held until they are written.
/// When they do not, they are kept on disk if the caller can read them from there
/// (`Aggregates::results_may_spill`); otherwise a segmentation of hundreds of thousands of
/// segments is refused before any is evaluated, naming the KPI with the most (the first declared,
/// of several), rather than let the run grow past the limit.
fn fits_in_memory(
    model: &Model,
    segments: &[sweep::Segments],
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
    Err(EvalError::Data(
        scorecard_engine::DataError::TooManyResults {
            results,
            needed: needed >> 20,
            limit: limit >> 20,
            kpi: k.name.clone(),
            segments: most,
            by: k.by.join(", "),
            periods,
        },
    ))
}

/// How many bytes of spilled results are buffered before they are written: a sixteenth of the
/// memory limit, from 64 KiB to 16 MiB.
fn spill_budget(limit: usize) -> usize {
    (limit / 16).clamp(64 << 10, 16 << 20)
}

/// A temporary file for results that could not be written or read.
pub(crate) fn spill_failed(e: std::io::Error) -> EvalError {
    EvalError::Data(scorecard_engine::DataError::Engine(format!(
        "the results could not be kept on disk until written, in `{}`: {e}\n  help: free space there (or point TMPDIR elsewhere), or raise --memory-limit so that they are held in memory",
        std::env::temp_dir().display()
    )))
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
    /// The value reads data that does not wholly cover a period it is taken over: this one
    /// (the data starts after its start or ends before its end, or `--as-of` is inside it), or
    /// one it is compared with (`x[-1]`, a window).
    pub partial: bool,
    /// The periods the value reads that its data covers only in part, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial_periods: Vec<String>,
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
    /// The gates of `requires:` that did not hold, which make the status `insufficient_data`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<Unmet>,
}

impl Row {
    /// Whether the data covers this result's own period only in part (or `--as-of` is inside it),
    /// as opposed to a period it is compared with.
    pub fn own_period_partial(&self) -> bool {
        self.partial
            && (self.partial_periods.is_empty() || self.partial_periods.contains(&self.period))
    }

    /// The period as tables show it: `2026-10 (partial)` when the data covers it only in part,
    /// and the periods covered only in part when they include others it reads (`2026-10 (partial:
    /// 2025-10)` for a comparison with a year before).
    pub fn period_shown(&self) -> String {
        if !self.partial {
            return self.period.clone();
        }
        match self.partial_periods.iter().any(|p| *p != self.period) {
            false => format!("{} (partial)", self.period),
            true => format!(
                "{} (partial: {})",
                self.period,
                self.partial_periods.join(", ")
            ),
        }
    }

    /// The gates that did not hold, as one line: `responses: count(survey) >= 30 (12 against 30)`.
    /// The sides are shown to at most 4 places (the JSON has them exact).
    pub fn unmet_shown(&self) -> String {
        let side = |d: Decimal| {
            scorecard_model::format::number(Some(d.round_dp(4).normalize()), Unit::Number)
        };
        let shown = |u: &Unmet| {
            let sides = match (u.holds, u.left, u.right) {
                (None, _, _) => " (cannot be told: a value it needs is missing)".to_string(),
                (_, Some(l), Some(r)) => format!(" ({} against {})", side(l), side(r)),
                _ => String::new(),
            };
            format!("{}: {}{sides}", u.gate, u.condition)
        };
        self.unmet.iter().map(shown).collect::<Vec<_>>().join("; ")
    }
}

/// A gate of a KPI's `requires:` that did not hold in a period and segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmet {
    pub gate: String,
    /// The condition as written.
    pub condition: String,
    /// `false` when it failed; `null` when it could not be told (a value it needs is missing).
    pub holds: Option<bool>,
    /// When the gate is one comparison: the values of its two sides (exact, `null` when missing).
    #[serde(with = "opt_decimal")]
    pub left: Option<Decimal>,
    #[serde(with = "opt_decimal")]
    pub right: Option<Decimal>,
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
    /// The KPI declares no thresholds, no target and no `within` range; or its value reads a
    /// period its data covers only in part and it is declared `partial: not_rated`.
    Unrated,
    /// A gate of its `requires:` did not hold: its inputs are not enough to rate it.
    InsufficientData,
    /// Withheld from an audience: computed from fewer rows or entities than its `suppress` rule
    /// allows, or one that would give such a value away by subtraction (docs/audiences.md).
    Suppressed,
}

impl Evaluation {
    /// Moves the results of the KPIs `Model::with_credit_kpis` added into `attribution`.
    pub fn take_credit_kpis(&mut self) {
        let prefix = scorecard_model::CREDIT_PREFIX;
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
            Status::InsufficientData => "insufficient data",
            Status::Suppressed => "suppressed",
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
/// thresholds have rows for up to the last reported period, sorted.
pub fn kpi_segments<'m>(
    model: &'m Model,
    k: &'m scorecard_model::Kpi,
    aggregates: &Aggregates,
    reach: &mut scorecard_model::Reach<'m>,
) -> std::collections::BTreeSet<Vec<Option<String>>> {
    if k.by.is_empty() {
        return Default::default();
    }
    segments_in(aggregates, &eval::segment_datasets(model, k, reach), &k.by)
}

/// Every segment by `by` that the datasets `datasets` have rows for up to the last reported
/// period, sorted.
fn segments_in(
    aggregates: &Aggregates,
    datasets: &std::collections::BTreeSet<String>,
    by: &[String],
) -> std::collections::BTreeSet<Vec<Option<String>>> {
    let mut found = std::collections::BTreeSet::new();
    for ds in datasets {
        found.extend(aggregates.segments(ds, by));
    }
    found
}

/// Each KPI's segments, the total first: one list for the KPIs segmented alike over the same
/// datasets, whose segments are the same.
fn each_kpis_segments(model: &Model, aggregates: &Aggregates) -> Vec<sweep::Segments> {
    let mut reach = scorecard_model::Reach::new(&model.kpis);
    let mut shared = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(model.kpis.len());
    for k in &model.kpis {
        let datasets = match k.by.is_empty() {
            true => Default::default(),
            false => eval::segment_datasets(model, k, &mut reach),
        };
        let made = shared
            .entry((k.by.clone(), datasets))
            .or_insert_with_key(|(by, datasets)| {
                let found = segments_in(aggregates, datasets, by);
                let all: Vec<Vec<Option<String>>> =
                    std::iter::once(Vec::new()).chain(found).collect();
                Arc::new(all)
            });
        out.push(made.clone());
    }
    out
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
    let scripts =
        scorecard_script::Scripts::new(&model.functions).map_err(|why| EvalError::Script {
            kpi: String::new(),
            period: String::new(),
            why,
        })?;
    // Each KPI's segments: the total, and every segment its value, target or thresholds have.
    let segments = each_kpis_segments(model, &aggregates);
    let sink = match (
        fits_in_memory(model, &segments, &aggregates),
        aggregates.memory_limit,
    ) {
        (Ok(()), _) | (Err(_), None) => results::Sink::held(model.kpis.len()),
        (Err(_), Some(limit)) if aggregates.results_may_spill => {
            let each = model.kpis.iter().zip(&segments);
            let segments = each.map(|(k, s)| (k.by.clone(), s.clone())).collect();
            results::Sink::spilled(segments, spill_budget(limit)).map_err(spill_failed)?
        }
        (Err(e), Some(_)) => return Err(e),
    };
    let segmentations = sweep::segmentations(model, &segments);
    let inputs = sweep::Inputs {
        model,
        aggregates: &aggregates,
        scripts: &scripts,
        segments: &segments,
        segmentations: &segmentations,
    };
    let mut made = sweep::Made::new(sink, model.kpis.len());
    for &p in &aggregates.periods {
        sweep::period(&inputs, (p, &periods.label(p)), &mut made)?;
    }
    let sweep::Made {
        results,
        warnings: kpi_warnings,
        exact_scores,
        ..
    } = made;
    let results = results.finish().map_err(spill_failed)?;
    let mut reach = scorecard_model::Reach::new(&model.kpis);
    // The sources behind each dataset, found once.
    let sources: BTreeMap<&str, std::collections::BTreeSet<String>> = model
        .datasets
        .iter()
        .map(|d| {
            let found = scorecard_engine::coverage::sources_of(model, &d.name);
            (d.name.as_str(), found)
        })
        .collect();
    for ((k, results), more) in model.kpis.iter().zip(results).zip(kpi_warnings) {
        warnings.extend(more);
        let mut read = std::collections::BTreeSet::new();
        for v in k.values() {
            reach.expr(v, &mut read);
        }
        let reads: std::collections::BTreeSet<String> = read
            .iter()
            .filter_map(|i| sources.get(model.aggregates[*i].dataset.as_str()))
            .flatten()
            .cloned()
            .collect();
        kpis.push(KpiResult {
            name: k.name.clone(),
            label: k.label.clone(),
            owner: k.owner.clone(),
            objective: k.objective.clone(),
            unit: k.unit,
            by: k.by.clone(),
            reads: reads.into_iter().collect(),
            results,
        });
    }
    let (escalations, more) = escalation::evaluate(model, &aggregates, &scripts, &segments)?;
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
        .map(|(p, label)| {
            (
                label.clone(),
                scorecard_model::calendar::days(periods.bounds(*p).0),
            )
        })
        .collect();
    let scores = rollup::rollup(model, &dated, &exact_scores);
    let h = &model.header;
    let (grain, calendar) = scorecard_model::calendar::written(h);
    Ok(Evaluation {
        scorecard: ScorecardInfo {
            name: h.name.clone(),
            label: h.label.clone(),
            owner: h.owner.clone(),
            currency: h.currency.clone(),
            grain,
            calendar,
        },
        manifest: manifest::Manifest::new(aggregates.inputs.clone(), options).assuming(model),
        curves: aggregates
            .curves
            .iter()
            .filter(|c| labels.contains(&c.period))
            .cloned()
            .collect(),
        cohorts: aggregates
            .cohorts
            .iter()
            .map(|t| scorecard_engine::cohort::Triangle {
                rows: t
                    .rows
                    .iter()
                    .filter(|r| labels.contains(&r.cohort))
                    .cloned()
                    .collect(),
                ..t.clone()
            })
            .collect(),
        periods: labels,
        coverage: aggregates.coverage.clone(),
        checks: aggregates.checks.clone(),
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
