//! Owns running `test` declarations: each test's rows are read from memory in place of the
//! datasets' sources, the scorecard is evaluated on them, and every expectation is compared with
//! the result. Datasets a test gives no data for are empty (their header only), so a test never
//! reads the real data.

use crate::{Evaluation, Status};
use rust_decimal::Decimal;
use scorecard_model::calendar::Periods;
use scorecard_model::print::cmp;
use scorecard_model::test::{holds, Check, Expect, Scored, Segment, Test, DERIVED_PREFIX};
use scorecard_model::{Model, SourceFormat, Unit};
use scorecard_project::source::{InlineSource, Source};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// One test's outcome.
#[derive(Debug, Serialize)]
pub struct TestRun {
    pub name: String,
    pub label: Option<String>,
    pub line: usize,
    pub outcome: Outcome,
    /// Wall-clock seconds, for JUnit.
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    /// The expectations that did not hold.
    Failed(Vec<Failure>),
    /// The test could not run: its data did not load, or the evaluation stopped.
    Error(String),
}

/// An expectation that did not hold.
#[derive(Debug, Serialize)]
pub struct Failure {
    pub line: usize,
    pub column: usize,
    /// The expectation as written.
    pub text: String,
    pub expected: String,
    pub actual: String,
}

/// Runs every test of a model.
pub fn run(model: &Model) -> Vec<TestRun> {
    model.tests.iter().map(|t| run_one(model, t)).collect()
}

fn run_one(model: &Model, test: &Test) -> TestRun {
    let started = Instant::now();
    let (model, options) = for_test(model, test);
    let outcome = match evaluate((&model, &options), test) {
        Ok(e) => {
            let failures: Vec<Failure> = test
                .expects
                .iter()
                .filter_map(|x| judge(&model, &e, x))
                .collect();
            if failures.is_empty() {
                Outcome::Passed
            } else {
                Outcome::Failed(failures)
            }
        }
        Err(message) => Outcome::Error(message),
    };
    TestRun {
        name: test.name.clone(),
        label: test.label.clone(),
        line: test.line,
        outcome,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The scorecard as a test evaluates it, and where its rows come from: with the KPIs its
/// expectations on expressions read, and every dataset read from a file bound to the test's rows
/// (the CSV text the test gives, held in memory, or the dataset's header alone), named in
/// messages by their place in the scorecard.
fn for_test(model: &Model, test: &Test) -> (Model, scorecard_engine::Options) {
    let mut model = model.clone();
    model.kpis.extend(test.derived.iter().cloned());
    let mut options = scorecard_engine::Options::new(std::path::PathBuf::new());
    for ds in model.datasets.iter_mut().filter(|d| d.is_file()) {
        let rows = match test.data.iter().find(|f| f.dataset == ds.name) {
            Some(f) => InlineSource {
                csv: f.csv.clone(),
                shown: format!(
                    "the data for `{}` (CSV line 1 is scorecard line {})",
                    ds.name, f.line
                ),
            },
            None => {
                let header: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
                InlineSource {
                    csv: format!("{}\n", header.join(",")),
                    shown: format!("the data for `{}` (none given: no rows)", ds.name),
                }
            }
        };
        ds.source = rows.shown.clone();
        ds.format = SourceFormat::Csv;
        ds.sheet = None;
        ds.range = None;
        options
            .bindings
            .insert(ds.name.clone(), Source::Inline(rows));
    }
    (model, options)
}

/// The scorecard evaluated as `for_test` set it up; a run-time error in an expected expression
/// names it as written, not by its KPI's name.
fn evaluate(
    (model, options): (&Model, &scorecard_engine::Options),
    test: &Test,
) -> Result<Evaluation, String> {
    crate::run::evaluate(model, options).map_err(|e| {
        let mut message = e.to_string();
        for k in &test.derived {
            let written = k.label.as_deref().unwrap_or_default();
            message = message.replace(&format!("kpi `{}`", k.name), &format!("`{written}`"));
        }
        message
    })
}

fn segment_map(segment: &Segment) -> BTreeMap<String, Option<String>> {
    segment.iter().cloned().collect()
}

/// How an expected or actual value reads in a failure: exactly, with the KPI's unit.
fn show(v: Option<Decimal>, unit: Unit) -> String {
    match v {
        None => "none".into(),
        Some(v) => scorecard_model::format::number(Some(v.normalize()), unit),
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::NoValue => "none",
        Status::InsufficientData => "insufficient_data",
        other => other.name(),
    }
}

/// A failure, or `None` when the expectation holds.
fn judge(model: &Model, e: &Evaluation, x: &Expect) -> Option<Failure> {
    let fail = |expected: String, actual: String| Failure {
        line: x.line,
        column: x.column,
        text: x.text.clone(),
        expected,
        actual,
    };
    let row = |kpi: &str, period: &str, segment: &Segment| {
        let want = segment_map(segment);
        e.kpis.iter().find(|k| k.name == kpi).and_then(|k| {
            k.results
                .held()
                .iter()
                .find(|r| r.period == period && *r.segment == want)
        })
    };
    let unit = |kpi: &str| model.kpi(kpi).map_or(Unit::Number, |k| k.unit);
    match &x.check {
        Check::Value {
            kpi,
            period,
            segment,
            op,
            expected,
        } => {
            let actual = row(kpi, period, segment).and_then(|r| r.value);
            let u = unit(kpi);
            (!holds(*op, actual, *expected)).then(|| {
                fail(
                    format!("{} {}", cmp(*op), show(*expected, u)),
                    show(actual, u),
                )
            })
        }
        Check::Status {
            kpi,
            period,
            segment,
            expected,
            negated,
        } => {
            let actual = row(kpi, period, segment).map_or("none", |r| status_word(r.status));
            let holds = (actual == expected) != *negated;
            let shown = if *negated {
                format!("not {expected}")
            } else {
                expected.clone()
            };
            (!holds).then(|| fail(shown, actual.to_string()))
        }
        Check::Score {
            of,
            name,
            period,
            segment,
            op,
            expected,
        } => {
            let in_period = |results: &[crate::rollup::PeriodScore]| {
                results
                    .iter()
                    .find(|r| &r.period == period)
                    .and_then(|r| r.score)
            };
            let actual = match of {
                Scored::Kpi => row(name, period, segment).and_then(|r| r.score),
                Scored::Objective => e
                    .scores
                    .objectives
                    .iter()
                    .find(|o| &o.name == name)
                    .and_then(|o| in_period(&o.results)),
                Scored::Perspective => e
                    .scores
                    .perspectives
                    .iter()
                    .find(|o| &o.name == name)
                    .and_then(|o| in_period(&o.results)),
                Scored::Overall => in_period(&e.scores.overall),
            };
            (!holds(*op, actual, *expected)).then(|| {
                fail(
                    format!("{} {}", cmp(*op), show(*expected, Unit::Number)),
                    show(actual, Unit::Number),
                )
            })
        }
        Check::Raised {
            escalation,
            period,
            segment,
            raised,
        } => {
            let periods = Periods::of(&model.header);
            let at = |p: &str| periods.parse(p);
            let want = segment_map(segment);
            let open: Vec<String> = e
                .escalations
                .iter()
                .filter(|ep| {
                    &ep.escalation == escalation && (segment.is_empty() || ep.segment == want)
                })
                .filter(|ep| {
                    let p = at(period);
                    let from = at(&ep.raised);
                    let to = ep.recovered.as_deref().and_then(at);
                    from <= p && to.is_none_or(|t| Some(t) > p)
                })
                .map(|ep| {
                    let seg = scorecard_model::format::segment_label(&ep.segment);
                    format!("raised in {} ({seg})", ep.raised)
                })
                .collect();
            let holds = open.is_empty() != *raised;
            let expected = if *raised {
                format!("raised in {period}")
            } else {
                format!("not raised in {period}")
            };
            let actual = if open.is_empty() {
                format!("not raised in {period}")
            } else {
                format!("open: {}", open.join("; "))
            };
            (!holds).then(|| fail(expected, actual))
        }
    }
}

/// The declared KPIs and escalations that no expectation names, across the models given.
pub fn unexercised(models: &[&Model]) -> (Vec<String>, Vec<String>) {
    let mut kpis = Vec::new();
    let mut escalations = Vec::new();
    for m in models {
        let named: Vec<&str> = m
            .tests
            .iter()
            .flat_map(|t| &t.expects)
            .filter_map(|x| match &x.check {
                Check::Value { kpi, .. } | Check::Status { kpi, .. } => Some(kpi.as_str()),
                Check::Score {
                    of: Scored::Kpi,
                    name,
                    ..
                } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let raised: Vec<&str> = m
            .tests
            .iter()
            .flat_map(|t| &t.expects)
            .filter_map(|x| match &x.check {
                Check::Raised { escalation, .. } => Some(escalation.as_str()),
                _ => None,
            })
            .collect();
        kpis.extend(
            m.kpis
                .iter()
                .filter(|k| {
                    !k.name.starts_with(DERIVED_PREFIX) && !named.contains(&k.name.as_str())
                })
                .map(|k| k.name.clone()),
        );
        escalations.extend(
            m.escalations
                .iter()
                .filter(|x| !raised.contains(&x.name.as_str()))
                .map(|x| x.name.clone()),
        );
    }
    (kpis, escalations)
}
