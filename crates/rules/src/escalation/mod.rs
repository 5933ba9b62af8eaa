//! Owns escalations in the evaluation: for each escalation and segment, the episodes in which it was
//! open over the reported periods, who owned them, the message, and the evidence that raised them.

mod judge;
mod lifecycle;
mod message;
mod moments;

pub use judge::{Check, Point};
pub use lifecycle::State;

use super::{EvalError, Warning};
use judge::Judge;
use scorecard_engine::Aggregates;
use scorecard_model::{Escalation, Kpi, Model, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One episode of one escalation in one segment: raised, open for some periods, perhaps recovered.
#[derive(Debug, Serialize)]
pub struct Escalated {
    pub escalation: String,
    pub label: Option<String>,
    pub severity: Severity,
    /// The KPI it watches.
    pub kpi: String,
    /// Segment column to value; empty for the total.
    pub segment: BTreeMap<String, Option<String>>,
    pub raised: String,
    /// The period it recovered in; `null` while it is open in the last period reported.
    pub recovered: Option<String>,
    pub open: bool,
    /// Who has it now (or had it last): the owner, or the last step of the chain it reached.
    pub owner: Option<String>,
    /// The message for the last period it was open.
    pub message: String,
    /// One entry per period from raised to recovered.
    pub timeline: Vec<Event>,
    /// The KPIs the conditions name, in the periods the raising condition looked at.
    pub evidence: Vec<Evidence>,
    /// Each part of `when` in the period it was raised.
    pub checks: Vec<Check>,
}

#[derive(Debug, Serialize)]
pub struct Event {
    pub period: String,
    pub state: State,
    pub owner: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Evidence {
    pub kpi: String,
    pub period: String,
    #[serde(flatten)]
    pub point: Point,
}

/// Every escalation's episodes that were open or recovered in the reported periods, in declaration
/// order, then by segment (the total first), then by period; with warnings raised on the way.
pub fn evaluate(
    model: &Model,
    aggregates: &Aggregates,
    scripts: &scorecard_script::Scripts,
    kpi_segments: &[std::sync::Arc<Vec<Vec<Option<String>>>>],
) -> Result<(Vec<Escalated>, Vec<Warning>), EvalError> {
    let (Some(&shown_first), Some(&last)) = (aggregates.periods.first(), aggregates.periods.last())
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    // History before the first reported period counts: an escalation raised earlier is still open.
    let first = aggregates
        .first_period
        .unwrap_or(shown_first)
        .min(shown_first);
    let periods = scorecard_model::calendar::Periods::of(&model.header);
    let reported: BTreeSet<String> = aggregates
        .periods
        .iter()
        .map(|p| periods.label(*p))
        .collect();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for e in &model.escalations {
        let Some(subject) = model.kpi(&e.subject) else {
            continue;
        };
        for segment in segments(e, subject, model, kpi_segments) {
            let mut judge = Judge::new((model, aggregates, scripts), e, &segment);
            for life in lifecycle::live(e, (first, last), &mut judge)? {
                // Shown when open, or recovered, in a reported period.
                if life.recovered.unwrap_or(last) < shown_first {
                    continue;
                }
                let end = life.recovered.map(|r| r - 1).unwrap_or(last);
                let owner_at = |level: usize| match level {
                    0 => e.owner.clone(),
                    n => e.chain.get(n - 1).map(|s| s.to.clone()),
                };
                let owner = owner_at(life.level());
                let lookback = e.when.lookback();
                let mut evidence = Vec::new();
                for q in life.raised - lookback..=life.raised {
                    for name in &e.kpis {
                        if let Some(k) = model.kpi(name) {
                            evidence.push(Evidence {
                                kpi: name.clone(),
                                period: judge.label(q),
                                point: judge.point(k, q)?,
                            });
                        }
                    }
                }
                let checks = judge.checks(&e.when, life.raised)?;
                let period = judge.label(end);
                let segment_map = judge.segment_map();
                let message = message::render(
                    e,
                    &message::Facts {
                        kpi: subject,
                        point: judge.point(subject, end)?,
                        period: &period,
                        segment: &segment_map,
                        owner: owner.as_deref(),
                    },
                );
                out.push(Escalated {
                    escalation: e.name.clone(),
                    label: e.label.clone(),
                    severity: e.severity,
                    kpi: e.subject.clone(),
                    segment: segment_map,
                    raised: judge.label(life.raised),
                    recovered: life.recovered.map(|r| judge.label(r)),
                    open: life.recovered.is_none(),
                    owner,
                    message,
                    timeline: life
                        .events
                        .iter()
                        .map(|(p, state, level)| Event {
                            period: judge.label(*p),
                            state: *state,
                            owner: owner_at(*level),
                        })
                        .collect(),
                    evidence,
                    checks,
                });
            }
            warnings.extend(
                judge
                    .warnings
                    .into_iter()
                    .filter(|w| reported.contains(&w.period)),
            );
        }
    }
    Ok((out, warnings))
}

/// The total, then every segment the watched KPI `subject` has results for (`kpi_segments`, the
/// segments of each of the model's KPIs, the total first), by the escalation's columns.
fn segments(
    e: &Escalation,
    subject: &Kpi,
    model: &Model,
    kpi_segments: &[std::sync::Arc<Vec<Vec<Option<String>>>>],
) -> Vec<Vec<Option<String>>> {
    let mut out = vec![Vec::new()];
    if e.by.is_empty() {
        return out;
    }
    let at = model.kpis.iter().position(|k| std::ptr::eq(k, subject));
    let of_subject = at
        .and_then(|i| kpi_segments.get(i))
        .map_or(&[][..], |s| s.as_slice());
    let column = |c: &String| subject.by.iter().position(|b| b == c);
    let columns: Vec<Option<usize>> = e.by.iter().map(column).collect();
    let found: BTreeSet<Vec<Option<String>>> = of_subject
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            let value = |c: &Option<usize>| c.and_then(|j| s.get(j).cloned().flatten());
            columns.iter().map(value).collect()
        })
        .collect();
    out.extend(found);
    out
}

/// The highest severity open in the last period reported, if any.
pub fn open_severity(escalations: &[Escalated]) -> Option<Severity> {
    escalations
        .iter()
        .filter(|e| e.open)
        .map(|e| e.severity)
        .max()
}
