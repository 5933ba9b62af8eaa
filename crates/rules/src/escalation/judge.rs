//! Owns judging an escalation's conditions in one period and segment: status tests over a KPI's
//! series of periods, comparisons, deviations and anomalies, in three-valued logic (a condition
//! that needs a missing value can be neither raised nor cleared by it).

use super::super::eval::{Context, Owner, This};
use super::super::{status, EvalError, Status, Warning};
use rust_decimal::Decimal;
use scorecard_engine::Aggregates;
use scorecard_model::calendar::Periods;
use scorecard_model::{Condition, Escalation, Kpi, Model, Tolerance};
use serde::Serialize;
use std::collections::HashMap;

/// A KPI in one period, as its result row shows it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Point {
    #[serde(with = "super::super::opt_decimal")]
    pub value: Option<Decimal>,
    #[serde(with = "super::super::opt_decimal")]
    pub target: Option<Decimal>,
    pub status: Status,
}

/// One leaf of a condition, judged in one period: what an auditor needs to see why it held.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The condition as written.
    pub condition: String,
    /// `null` when a value it needs is missing.
    pub holds: Option<bool>,
    /// Comparisons and deviations: the two sides. Anomalies: the value and the mean of the window.
    #[serde(with = "super::super::opt_decimal")]
    pub left: Option<Decimal>,
    #[serde(with = "super::super::opt_decimal")]
    pub right: Option<Decimal>,
    /// Anomalies: how many standard deviations the value lies from the mean, to 2 places.
    #[serde(
        with = "super::super::opt_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub z: Option<Decimal>,
}

/// One escalation in one segment: evaluates what its conditions read, remembering KPI rows.
pub struct Judge<'a> {
    model: &'a Model,
    aggregates: &'a Aggregates,
    scripts: &'a scorecard_script::Scripts,
    periods: Periods,
    escalation: &'a Escalation,
    owner: Owner<'a>,
    by: &'a [String],
    segment: &'a [Option<String>],
    points: HashMap<(String, i64), Point>,
    /// The values of condition expressions (by address) in each period, each evaluated once.
    values: HashMap<(usize, i64), Option<Decimal>>,
    /// The running moments of each `anomaly` operand (by address).
    moments: HashMap<usize, super::moments::Running>,
    /// The watched KPI is `partial: not_rated`.
    not_rated: bool,
    pub warnings: Vec<Warning>,
}

impl<'a> Judge<'a> {
    pub fn new(
        (model, aggregates, scripts): (&'a Model, &'a Aggregates, &'a scorecard_script::Scripts),
        escalation: &'a Escalation,
        segment: &'a [Option<String>],
    ) -> Self {
        let subject = model.kpi(&escalation.subject);
        let missing = subject
            .map(|k| k.missing)
            .unwrap_or(scorecard_model::Missing::NotEvaluated);
        let not_rated = subject.is_some_and(|k| k.partial == scorecard_model::Partial::NotRated);
        Judge {
            model,
            aggregates,
            scripts,
            periods: Periods::of(&model.header),
            escalation,
            owner: Owner {
                name: &escalation.name,
                missing,
            },
            by: if segment.is_empty() {
                &[]
            } else {
                &escalation.by
            },
            segment,
            points: HashMap::new(),
            values: HashMap::new(),
            moments: HashMap::new(),
            not_rated,
            warnings: Vec::new(),
        }
    }

    pub fn label(&self, p: i64) -> String {
        self.periods.label(p)
    }

    fn context(&self, p: i64) -> Context<'a> {
        Context::new(
            self.model,
            self.aggregates,
            self.by,
            (p, self.periods.label(p)),
            self.segment,
        )
    }

    /// A KPI's row in period `p`: value, target and status, exactly as the results show them.
    pub fn point(&mut self, k: &Kpi, p: i64) -> Result<Point, EvalError> {
        if let Some(pt) = self.points.get(&(k.name.clone(), p)) {
            return Ok(*pt);
        }
        let mut cx = self.context(p);
        let partial = self.aggregates.partial == Some(p);
        let row = status::row(&mut cx, k, (self.label(p), partial), self.scripts)?.row;
        let pt = Point {
            value: row.value,
            target: row.target,
            status: row.status,
        };
        self.points.insert((k.name.clone(), p), pt);
        Ok(pt)
    }

    /// A condition's expression evaluated in period `p`.
    fn value(&mut self, e: &scorecard_model::Expr, p: i64) -> Result<Option<Decimal>, EvalError> {
        let key = (e as *const scorecard_model::Expr as usize, p);
        if let Some(v) = self.values.get(&key) {
            return Ok(*v);
        }
        let mut cx = self.context(p);
        let v = cx.num(self.owner, e, This::default())?;
        // A watched KPI that is not rated where its data covers a period only in part is not
        // judged there by comparisons either: such a value cannot be told.
        let v = v.filter(|_| !self.not_rated || cx.short.is_empty());
        self.warnings.extend(cx.into_warnings());
        self.values.insert(key, v);
        Ok(v)
    }

    /// The moments of `e`'s values in the `window` periods before `p`, from running totals
    /// carried from period to period; none when they are not exact.
    fn moments_before(
        &mut self,
        e: &scorecard_model::Expr,
        p: i64,
        window: i64,
    ) -> Result<Option<(super::moments::Moments, Option<super::moments::Frame>)>, EvalError> {
        use super::moments::Running;
        let key = e as *const scorecard_model::Expr as usize;
        let first = p - window;
        if self.moments.get(&key).is_none_or(|r| r.origin() > first) {
            self.moments.insert(key, Running::new(first));
        }
        while let Some(q) = self.moments.get(&key).map(Running::next).filter(|q| *q < p) {
            let v = self.value(e, q)?;
            if let Some(r) = self.moments.get_mut(&key) {
                r.push(v);
            }
        }
        Ok(self
            .moments
            .get(&key)
            .and_then(|r| Some((r.between(first, p)?, r.frame()))))
    }

    /// Whether `c` holds in period `p`; `None` when it cannot be told.
    pub fn holds(&mut self, c: &Condition, p: i64) -> Result<Option<bool>, EvalError> {
        scorecard_diagnostic::depth::deep(|| {
            Ok(match c {
                Condition::And { left, right } => {
                    match (self.holds(left, p)?, self.holds(right, p)?) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    }
                }
                Condition::Or { left, right } => {
                    match (self.holds(left, p)?, self.holds(right, p)?) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    }
                }
                Condition::Not { operand } => self.holds(operand, p)?.map(|b| !b),
                leaf => self.check(leaf, p)?.holds,
            })
        })
    }

    /// Every leaf of `c` judged in period `p`, in the order written.
    pub fn checks(&mut self, c: &Condition, p: i64) -> Result<Vec<Check>, EvalError> {
        match c {
            Condition::And { left, right } | Condition::Or { left, right } => {
                let mut out = self.checks(left, p)?;
                out.extend(self.checks(right, p)?);
                Ok(out)
            }
            Condition::Not { operand } => self.checks(operand, p),
            leaf => Ok(vec![self.check(leaf, p)?]),
        }
    }

    fn check(&mut self, c: &Condition, p: i64) -> Result<Check, EvalError> {
        let mut out = Check {
            condition: String::new(),
            holds: None,
            left: None,
            right: None,
            z: None,
        };
        match c {
            Condition::Status {
                kpi,
                statuses,
                insufficient,
                at_least,
                of,
                text,
            } => {
                out.condition = text.clone();
                let Some(k) = self.model.kpi(kpi) else {
                    return Ok(out);
                };
                let (mut hits, mut unknown) = (0, 0);
                for q in p - of + 1..=p {
                    match counted(self.point(k, q)?.status, statuses, *insufficient) {
                        Some(true) => hits += 1,
                        Some(false) => {}
                        None => unknown += 1,
                    }
                }
                out.holds = if hits >= *at_least {
                    Some(true)
                } else if hits + unknown < *at_least {
                    Some(false)
                } else {
                    None
                };
            }
            Condition::Compare {
                left, right, text, ..
            }
            | Condition::Deviates {
                left, right, text, ..
            } => {
                out.condition = text.clone();
                out.left = self.value(left, p)?;
                out.right = self.value(right, p)?;
                if let (Some(a), Some(b)) = (out.left, out.right) {
                    out.holds = match c {
                        Condition::Deviates { tolerance, .. } => {
                            self.deviates(a, b, *tolerance, p)?
                        }
                        Condition::Compare { op, .. } => Some(op.holds(a.cmp(&b))),
                        _ => None,
                    };
                }
            }
            Condition::Anomaly {
                operand,
                window,
                z,
                text,
            } => {
                out.condition = text.clone();
                out.left = self.value(operand, p)?;
                let moments = self.moments_before(operand, p, *window)?;
                let exact = match (out.left, moments) {
                    (Some(x), Some((m, frame))) => exact_anomaly(x, (m, frame), *window, *z),
                    _ => None,
                };
                let found = match exact {
                    Some(a) => a,
                    None if out.left.is_none() => None,
                    None => {
                        // Sums beyond what is exact: the window value by value.
                        let mut before = Vec::new();
                        for q in p - window..p {
                            if let Some(v) = self.value(operand, q)? {
                                before.push(v);
                            }
                        }
                        match out.left {
                            Some(x) => self.anomaly(x, &before, *window, *z, p)?,
                            None => None,
                        }
                    }
                };
                if let Some(a) = found {
                    (out.holds, out.right, out.z) = (Some(a.holds), Some(a.mean), a.z);
                }
            }
            Condition::And { .. } | Condition::Or { .. } | Condition::Not { .. } => {}
        }
        Ok(out)
    }

    /// `|a − b| > tolerance`, relative to `|b|` for a percent. A relative deviation from zero is
    /// division by zero: not told, with a warning.
    fn deviates(
        &mut self,
        a: Decimal,
        b: Decimal,
        tolerance: Tolerance,
        p: i64,
    ) -> Result<Option<bool>, EvalError> {
        let diff = a
            .checked_sub(b)
            .ok_or_else(|| self.overflow(p, "a deviation"))?
            .abs();
        Ok(match tolerance {
            Tolerance::Absolute(t) => Some(diff > t),
            Tolerance::Relative(_) if b.is_zero() => {
                self.warnings.push(Warning {
                    code: "scorecard::eval::division_by_zero",
                    kpi: self.escalation.name.clone(),
                    period: self.label(p),
                    segment: self.segment_map(),
                    message: format!(
                        "division by zero in `{}`: a deviation relative to 0 cannot be told",
                        self.escalation.name
                    ),
                });
                None
            }
            Tolerance::Relative(t) => {
                let allowed = t
                    .checked_mul(b.abs())
                    .ok_or_else(|| self.overflow(p, "a tolerance"))?;
                Some(diff > allowed)
            }
        })
    }

    /// Whether `x` lies more than `z` sample standard deviations from the mean of `before`, decided
    /// exactly on squares: (x − mean)² > z² × variance. `None` when fewer than half the window's
    /// periods (and fewer than 2) have a value.
    fn anomaly(
        &self,
        x: Decimal,
        before: &[Decimal],
        window: i64,
        z: Decimal,
        p: i64,
    ) -> Result<Option<Anomaly>, EvalError> {
        let n = before.len() as i64;
        if n < 2 || 2 * n < window {
            return Ok(None);
        }
        let overflow = || self.overflow(p, "an anomaly's spread");
        let mut sum = Decimal::ZERO;
        for v in before {
            sum = sum.checked_add(*v).ok_or_else(overflow)?;
        }
        let mean = sum / Decimal::from(n);
        let mut squares = Decimal::ZERO;
        for v in before {
            let d = v.checked_sub(mean).ok_or_else(overflow)?;
            squares = squares
                .checked_add(d.checked_mul(d).ok_or_else(overflow)?)
                .ok_or_else(overflow)?;
        }
        let variance = squares / Decimal::from(n - 1);
        let d = x.checked_sub(mean).ok_or_else(overflow)?;
        let distance = d.checked_mul(d).ok_or_else(overflow)?;
        let bound = z
            .checked_mul(z)
            .and_then(|zz| zz.checked_mul(variance))
            .ok_or_else(overflow)?;
        use rust_decimal::MathematicalOps;
        let shown = variance
            .sqrt()
            .filter(|sd| !sd.is_zero())
            .and_then(|sd| d.abs().checked_div(sd))
            .map(|z| z.round_dp(2));
        Ok(Some(Anomaly {
            holds: distance > bound,
            mean: mean.round_dp(12),
            z: shown,
        }))
    }

    pub fn segment_map(&self) -> std::collections::BTreeMap<String, Option<String>> {
        self.by
            .iter()
            .cloned()
            .zip(self.segment.iter().cloned())
            .collect()
    }

    fn overflow(&self, p: i64, what: &str) -> EvalError {
        EvalError::Overflow {
            kpi: self.escalation.name.clone(),
            period: self.label(p),
            what: what.to_string(),
        }
    }
}

struct Anomaly {
    holds: bool,
    mean: Decimal,
    z: Option<Decimal>,
}

/// `anomaly` decided on a window's moments, in the frame they were taken in (none before any value):
/// `Some(None)` when fewer than half the window's periods (or fewer than 2) have a value; `None`
/// when `x` or a product is not exact in the frame.
fn exact_anomaly(
    x: Decimal,
    (m, frame): (super::moments::Moments, Option<super::moments::Frame>),
    window: i64,
    z: Decimal,
) -> Option<Option<Anomaly>> {
    use rust_decimal::MathematicalOps;
    if m.n < 2 || 2 * m.n < window {
        return Some(None);
    }
    let frame = frame?;
    let wx = frame.of(x)?;
    let holds = super::moments::beyond(wx, m, z)?;
    let mean = m.sum.checked_div(Decimal::from(m.n))?;
    let shown = super::moments::variance(m)
        .and_then(|v| v.sqrt())
        .filter(|sd| !sd.is_zero())
        .and_then(|sd| wx.checked_sub(mean)?.abs().checked_div(sd))
        .map(|z| z.round_dp(2));
    Some(Some(Anomaly {
        holds,
        mean: frame.back(mean)?.round_dp(12),
        z: shown,
    }))
}

/// Whether a period's status counts for a status test (`statuses`, and `insufficient_data` when
/// `insufficient`); `None` when it cannot be told. A period with no value cannot be told either
/// way; one that is not rated (insufficient data, or unrated) cannot be told to be a colour.
fn counted(s: Status, statuses: &[scorecard_model::Rag], insufficient: bool) -> Option<bool> {
    match (s, insufficient) {
        (Status::NoValue, _) => None,
        (Status::InsufficientData, true) => Some(true),
        (_, true) => Some(false),
        (s, false) => declared(s).map(|d| statuses.contains(&d)),
    }
}

/// The declared status a result status is; `None` for no value or no rating.
fn declared(s: Status) -> Option<scorecard_model::Rag> {
    use scorecard_model::Rag as D;
    match s {
        Status::Green => Some(D::Green),
        Status::Amber => Some(D::Amber),
        Status::Red => Some(D::Red),
        Status::NoValue | Status::Unrated | Status::InsufficientData | Status::Suppressed => None,
    }
}
