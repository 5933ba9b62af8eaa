//! Owns the rules' entry points for a caller with a model and data options: read the data and
//! evaluate every KPI (`evaluate`), take one value apart down to its rows (`explain`), and set two
//! versions of a scorecard side by side (`diff`).

use crate as rules;
use scorecard_diagnostic as diagnostic;
use scorecard_engine as engine;
use scorecard_model::{self as model, calendar, format, Model};

/// Why a run stopped after the scorecard checked clean.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Data(#[from] engine::DataError),
    #[error(transparent)]
    Eval(#[from] rules::EvalError),
}

impl RunError {
    /// The stable code of this kind of problem.
    pub fn code(&self) -> diagnostic::Code {
        match self {
            RunError::Data(e) => e.code(),
            RunError::Eval(e) => e.code(),
        }
    }
}

/// Reads the data and evaluates every KPI.
pub fn evaluate(model: &Model, options: &engine::Options) -> Result<rules::Evaluation, RunError> {
    let aggregates = engine::aggregate(model, options)?;
    let recorded = rules::manifest::RunOptions::of(options);
    Ok(rules::evaluate(model, aggregates, recorded)?)
}

/// Reads the data and evaluates every KPI, keeping the loaded tables for a caller that reads the
/// rows again (the ledger fingerprints them).
pub fn evaluate_keeping(
    model: &Model,
    options: &engine::Options,
) -> Result<(engine::Session, rules::Evaluation), RunError> {
    let (session, aggregates) = engine::Session::open(model, options)?;
    let recorded = rules::manifest::RunOptions::of(options);
    Ok((session, rules::evaluate(model, aggregates, recorded)?))
}

/// Evaluates for a report: every KPI, and each attribution's credit by what it credits
/// (`Evaluation::attribution`), so that the declared models can be set side by side.
pub fn evaluate_for_report(
    model: &Model,
    options: &engine::Options,
) -> Result<rules::Evaluation, RunError> {
    let mut evaluation = evaluate(&model.with_credit_kpis(), options)?;
    evaluation.take_credit_kpis();
    Ok(evaluation)
}

/// Which value to explain.
#[derive(Debug, Clone, Default)]
pub struct ExplainRequest {
    pub kpi: String,
    /// A period name (`2026-10`, `FY2027-Q2`) or a day inside it.
    pub period: String,
    /// Segment column and value pairs; an empty value means rows whose column is empty. None for the
    /// total.
    pub segment: Vec<(String, String)>,
    /// How many rows to list under each aggregate; `None` for all of them.
    pub rows: Option<usize>,
}

/// Why an explanation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Run(Box<RunError>),
    #[error("{message}")]
    Request {
        code: diagnostic::Code,
        message: String,
    },
}

impl ExplainError {
    /// The stable code of a run that failed, or of a request the scorecard cannot meet.
    pub fn code(&self) -> diagnostic::Code {
        match self {
            ExplainError::Run(e) => e.code(),
            ExplainError::Request { code, .. } => *code,
        }
    }
}

impl From<engine::DataError> for ExplainError {
    fn from(e: engine::DataError) -> Self {
        ExplainError::Run(Box::new(RunError::Data(e)))
    }
}

impl From<rules::EvalError> for ExplainError {
    fn from(e: rules::EvalError) -> Self {
        ExplainError::Run(Box::new(RunError::Eval(e)))
    }
}

/// Explains one KPI value: reads the data once, evaluates the KPI in the period and segment with
/// every step kept, and asks the engine for the rows behind each aggregate.
pub fn explain(
    model: &Model,
    options: &engine::Options,
    request: &ExplainRequest,
) -> Result<rules::explain::Explanation, ExplainError> {
    use diagnostic::Code;
    let refuse = |code: Code, message: String| ExplainError::Request { code, message };
    let Some(k) = model.kpi(&request.kpi) else {
        let hint =
            diagnostic::did_you_mean(&request.kpi, model.kpis.iter().map(|k| k.name.as_str()))
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
        return Err(refuse(
            Code::ExplainKpi,
            format!("no KPI named `{}`{hint}", request.kpi),
        ));
    };
    let periods = calendar::Periods::of(&model.header);
    let Some(p) = periods.parse(&request.period) else {
        return Err(refuse(
            Code::ExplainPeriod,
            format!(
                "`{}` is not a period of this scorecard (such as {}; dates run {})",
                request.period,
                periods.example(),
                calendar::SUPPORTED
            ),
        ));
    };
    let mut segment = Vec::new();
    for (i, (column, _)) in request.segment.iter().enumerate() {
        if !k.by.contains(column) {
            return Err(refuse(
                Code::ExplainSegment,
                format!(
                    "`{}` is not segmented by `{column}` (its segments: {})",
                    k.name,
                    if k.by.is_empty() {
                        "none".to_string()
                    } else {
                        k.by.join(", ")
                    }
                ),
            ));
        }
        if request.segment[..i].iter().any(|(c, _)| c == column) {
            return Err(refuse(
                Code::ExplainSegment,
                format!(
                    "`--segment {column}=...` is given twice: give each segment column one value"
                ),
            ));
        }
    }
    if !request.segment.is_empty() {
        for column in &k.by {
            let Some((_, v)) = request.segment.iter().find(|(c, _)| c == column) else {
                return Err(refuse(
                    Code::ExplainSegment,
                    format!(
                        "give a value for every segment column of `{}`: --segment {column}=...",
                        k.name
                    ),
                ));
            };
            segment.push(format::read_segment_value(v));
        }
    }
    let options = engine::Options {
        lines: true,
        ..options.clone()
    };
    let (session, aggregates) = engine::Session::open(model, &options)?;
    if !segment.is_empty() {
        let mut reach = model::Reach::new(&model.kpis);
        let known = rules::kpi_segments(model, k, &aggregates, &mut reach);
        if !known.contains(&segment) {
            let shown: Vec<String> = known
                .iter()
                .take(10)
                .map(|s| format::segment_values(&k.by, s))
                .collect();
            let more = match known.len() > 10 {
                true => format!(", and {} more", known.len() - 10),
                false => String::new(),
            };
            return Err(refuse(
                Code::ExplainSegment,
                format!(
                    "`{}` has no segment {} in the data or its targets (its segments: {}{more})",
                    k.name,
                    format::segment_values(&k.by, &segment),
                    if shown.is_empty() {
                        "none".to_string()
                    } else {
                        shown.join("; ")
                    }
                ),
            ));
        }
    }
    let manifest = rules::manifest::Manifest::new(
        aggregates.inputs.clone(),
        rules::manifest::RunOptions::of(&options),
    )
    .assuming(model);
    let mut e = rules::explain::explain(model, &aggregates, k, p, &segment, manifest)?;
    let wanted: Vec<_> = e.aggregates.iter().map(|a| a.wanted.clone()).collect();
    // A query's limit is a signed 64-bit number: more rows than that is every row.
    let shown = request.rows.filter(|n| i64::try_from(*n).is_ok());
    let found = session.contributing(model, &wanted, shown)?;
    let matched = session.matched_by_dataset(model, &wanted)?;
    rules::explain::add_rows(&mut e, model, found, matched);
    Ok(e)
}

/// The semantic difference between two scorecards and, when `data` is given, its effect on every
/// value and status: both are evaluated on the same data.
pub fn diff(
    old: &Model,
    new: &Model,
    data: Option<&engine::Options>,
) -> Result<crate::diff::Diff, RunError> {
    diff_shown(old, new, data, &|_| Ok(()))
}

/// `diff`, each evaluation passed through `shown` before the two are compared: an audience's
/// view withholds what it may not see from both (docs/audiences.md). What `shown` refuses stops
/// the diff, as a data error.
pub fn diff_shown(
    old: &Model,
    new: &Model,
    data: Option<&engine::Options>,
    shown: &dyn Fn(&mut rules::Evaluation) -> Result<(), String>,
) -> Result<crate::diff::Diff, RunError> {
    let changes = crate::diff::models(old, new);
    let (effect, manifest) = match data {
        None => {
            let options = rules::manifest::RunOptions {
                data: None,
                from: None,
                to: None,
                as_of: None,
                cluster: None,
            };
            (None, rules::manifest::Manifest::new(Vec::new(), options))
        }
        Some(options) => {
            let mut before = evaluate(old, options)?;
            let mut after = evaluate(new, options)?;
            for e in [&mut before, &mut after] {
                shown(e).map_err(engine::DataError::Engine)?;
            }
            let mut inputs = after.manifest.inputs.clone();
            for i in &before.manifest.inputs {
                if !inputs
                    .iter()
                    .any(|x| x.path == i.path && x.sha256 == i.sha256)
                {
                    inputs.push(i.clone());
                }
            }
            let effect = crate::diff::effect::effect((old, &before), (new, &after));
            let manifest =
                rules::manifest::Manifest::new(inputs, rules::manifest::RunOptions::of(options));
            (Some(effect), manifest)
        }
    };
    Ok(crate::diff::Diff {
        manifest,
        changes,
        effect,
    })
}
