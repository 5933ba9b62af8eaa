//! Owns sensitivity analysis: one KPI evaluated at many values of the scorecard's parameters (a
//! range of one, a grid of two, or each parameter's low and high for a tornado), the data read
//! once for them all (`Evaluator`), and the document the formats draw (`Sensitivity`).

use crate as rules;
use crate::run::RunError;
use rust_decimal::Decimal;
use scorecard_engine as engine;
use scorecard_model::parameter::ParamUnit;
use scorecard_model::Model;
use serde::Serialize;

/// Evaluates versions of one scorecard that differ only in their parameters' values, reading the
/// data once: a version whose parameters change nothing the engine computes (KPI formulas,
/// targets, thresholds, weights, scoring) is evaluated on a copy of the first version's
/// aggregates; one that changes a rule table, a filter or a view (an allocation's capacity share,
/// a view's `clv` rate) has its aggregates computed again from the rows already loaded.
pub struct Evaluator {
    session: engine::Session,
    base: engine::Aggregates,
    engine_part: String,
    recorded: rules::manifest::RunOptions,
    /// How many versions needed their aggregates computed again.
    pub computed_again: usize,
}

impl Evaluator {
    /// Reads the data for `model` and evaluates it.
    pub fn open(
        model: &Model,
        options: &engine::Options,
    ) -> Result<(Evaluator, rules::Evaluation), RunError> {
        let (session, base) = engine::Session::open(model, options)?;
        let recorded = rules::manifest::RunOptions::of(options);
        let evaluation = rules::evaluate(model, base.clone(), recorded.clone())?;
        let evaluator = Evaluator {
            session,
            base,
            engine_part: engine_part(model),
            recorded,
            computed_again: 0,
        };
        Ok((evaluator, evaluation))
    }

    /// Evaluates another version of the scorecard on the data already read.
    pub fn evaluate(&mut self, model: &Model) -> Result<rules::Evaluation, RunError> {
        let aggregates = if engine_part(model) == self.engine_part {
            self.base.clone()
        } else {
            self.computed_again += 1;
            self.session.aggregate_again(model)?
        };
        Ok(rules::evaluate(model, aggregates, self.recorded.clone())?)
    }
}

/// What the engine computes from a model, as text: two versions with the same text have the same
/// aggregates.
fn engine_part(model: &Model) -> String {
    let part = (
        &model.datasets,
        &model.attributions,
        &model.allocations,
        &model.views,
        &model.cohorts,
        &model.aggregates,
        &model.rates,
    );
    serde_json::to_string(&part).unwrap_or_default()
}

/// The KPI's total in one period, as one evaluation gives it.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    #[serde(with = "rules::opt_decimal")]
    pub value: Option<Decimal>,
    pub status: rules::Status,
    /// The data covers the period only in part.
    pub partial: bool,
    /// What the evaluation warned of the KPI's total in the period (`code: message`): why it has no
    /// value, for one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Outcome {
    /// The total of `kpi` in `period` in `e`; no value when the KPI has no result there.
    pub fn of(e: &rules::Evaluation, kpi: &str, period: &str) -> Outcome {
        let row = e.kpis.iter().find(|k| k.name == kpi).and_then(|k| {
            k.results
                .held()
                .iter()
                .find(|r| r.period == period && r.segment.is_empty())
        });
        let warnings = e
            .warnings
            .iter()
            .filter(|w| w.kpi == kpi && w.segment.is_empty())
            .filter(|w| w.period.is_empty() || w.period == period)
            .map(|w| format!("{}: {}", w.code, w.message))
            .collect();
        match row {
            Some(r) => Outcome {
                value: r.value,
                status: r.status,
                partial: r.partial,
                warnings,
            },
            None => Outcome {
                value: None,
                status: rules::Status::NoValue,
                partial: false,
                warnings,
            },
        }
    }
}

/// A parameter moved: its name, label, unit and the value it has where it is not moved.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    pub name: String,
    pub label: Option<String>,
    pub unit: ParamUnit,
    /// As its unit writes it (`10%`).
    pub base: String,
}

/// One evaluation of the sweep: the moved parameters' values (in the order of `varied`) and the
/// KPI's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub values: Vec<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// One parameter's bar of a tornado: the KPI at its low and at its high value, the others at the
/// baseline; `swing` is how far apart they are (no value when either has none).
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub parameter: Moved,
    pub low: String,
    pub high: String,
    /// Where the low and high values come from: `range` (declared) or `scenarios`.
    pub from: &'static str,
    pub at_low: Outcome,
    pub at_high: Outcome,
    #[serde(with = "rules::opt_decimal")]
    pub swing: Option<Decimal>,
}

/// The KPI a sweep reads.
#[derive(Debug, Clone, Serialize)]
pub struct KpiShown {
    pub name: String,
    pub label: Option<String>,
    pub unit: scorecard_model::Unit,
}

/// A sensitivity analysis: the KPI's total in one period at each point, and for a tornado each
/// parameter's bar, largest swing first. See docs/json-output.md, "Sensitivity".
#[derive(Debug, Serialize)]
pub struct Sensitivity {
    pub scorecard: rules::ScorecardInfo,
    /// The baseline's manifest: the data read (once) and the values the parameters not moved
    /// keep.
    pub manifest: rules::manifest::Manifest,
    pub kpi: KpiShown,
    pub period: String,
    /// The KPI at the baseline.
    pub baseline: Outcome,
    /// The parameters a range or grid moves, in the order given; empty for a tornado alone.
    pub varied: Vec<Moved>,
    pub points: Vec<Point>,
    /// Every parameter with a low and a high value, largest swing first (then by name); empty
    /// unless a tornado was asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tornado: Vec<Bar>,
    /// The parameters a tornado could not move, each with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_moved: Vec<(String, String)>,
    /// How many evaluations needed the engine's aggregates computed again (a parameter changed a
    /// rule table, a filter or a view); the data files were read once whatever this is.
    pub computed_again: usize,
}

impl Sensitivity {
    /// The values of the first (`0`) or second (`1`) parameter varied, each once, in the order
    /// swept: a grid's rows and columns.
    pub fn axis(&self, i: usize) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for v in self.points.iter().filter_map(|p| p.values.get(i)) {
            if !out.contains(&v.as_str()) {
                out.push(v);
            }
        }
        out
    }

    /// The point at these values of the first and (for a grid) the second parameter.
    pub fn at(&self, first: &str, second: Option<&str>) -> Option<&Outcome> {
        let found = self
            .points
            .iter()
            .find(|p| p.values[0] == first && p.values.get(1).map(String::as_str) == second);
        found.map(|p| &p.outcome)
    }

    /// Every warning of the KPI at every evaluation, with where: `the baseline`,
    /// `retention 110%, discount_rate 2%` for a point, `retention 60%` for a tornado's end.
    pub fn warned(&self) -> Vec<(String, &str)> {
        let named = |values: &[String]| -> String {
            let names = self.varied.iter().map(|m| m.name.as_str());
            let pairs: Vec<String> = names.zip(values).map(|(n, v)| format!("{n} {v}")).collect();
            pairs.join(", ")
        };
        let baseline = std::iter::once(("the baseline".to_string(), &self.baseline));
        let points = self.points.iter().map(|p| (named(&p.values), &p.outcome));
        let bars = self.tornado.iter().flat_map(|b| {
            [
                (format!("{} {}", b.parameter.name, b.low), &b.at_low),
                (format!("{} {}", b.parameter.name, b.high), &b.at_high),
            ]
        });
        baseline
            .chain(points)
            .chain(bars)
            .flat_map(|(at, o)| o.warnings.iter().map(move |w| (at.clone(), w.as_str())))
            .collect()
    }
}

impl Moved {
    pub fn of(p: &scorecard_model::parameter::Parameter, model: &Model) -> Moved {
        let value = model
            .assumed
            .values
            .get(&p.name)
            .map_or(p.base, |(v, _)| *v);
        Moved {
            name: p.name.clone(),
            label: p.label.clone(),
            unit: p.unit,
            base: p.unit.show(value),
        }
    }
}

/// Ranks a tornado's bars: the largest swing first, bars without one last, ties by name.
pub fn rank(bars: &mut [Bar]) {
    bars.sort_by(|a, b| {
        b.swing
            .map(|s| s.abs())
            .cmp(&a.swing.map(|s| s.abs()))
            .then_with(|| a.parameter.name.cmp(&b.parameter.name))
    });
}

/// The swing between two outcomes: how far the high value's KPI is from the low value's.
pub fn swing(low: &Outcome, high: &Outcome) -> Option<Decimal> {
    Some((high.value? - low.value?).abs())
}
