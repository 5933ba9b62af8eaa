//! Owns evaluating KPI expressions in one period and segment: exact decimal arithmetic, "no value"
//! that propagates, division by zero as no value with a warning, and overflow as an error.

use super::Warning;
use crate::check::model::{AggFunc, ArithOp, Expr, Kpi, Missing, Model};
use crate::engine::{self, Aggregates, Found};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EvalError {
    #[error(
        "kpi `{kpi}` in {period}: {what} is beyond the exact decimal range (28 significant digits)"
    )]
    Overflow {
        kpi: String,
        period: String,
        what: String,
    },
}

/// One period and segment of one evaluation.
pub struct Context<'a> {
    pub model: &'a Model,
    aggregates: &'a Aggregates,
    by: &'a [String],
    pub period: i64,
    period_label: String,
    segment: &'a [Option<String>],
    /// Unrounded KPI values already computed here.
    memo: HashMap<String, Option<Decimal>>,
    /// (kpi, message) pairs raised here.
    warnings: Vec<(String, String)>,
}

/// The KPI's own value and target, inside its thresholds.
#[derive(Clone, Copy, Default)]
pub struct This {
    pub value: Option<Decimal>,
    pub target: Option<Decimal>,
}

impl<'a> Context<'a> {
    pub fn new(
        model: &'a Model,
        aggregates: &'a Aggregates,
        by: &'a [String],
        (period, period_label): (i64, String),
        segment: &'a [Option<String>],
    ) -> Self {
        Context {
            model,
            aggregates,
            by,
            period,
            period_label,
            segment,
            memo: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    pub fn segment_map(&self) -> BTreeMap<String, Option<String>> {
        self.by
            .iter()
            .cloned()
            .zip(self.segment.iter().cloned())
            .collect()
    }

    pub fn into_warnings(self) -> Vec<Warning> {
        let segment = self.segment_map();
        let period = self.period_label.clone();
        let mut seen = BTreeSet::new();
        self.warnings
            .into_iter()
            .filter(|w| seen.insert(w.clone()))
            .map(|(kpi, message)| Warning {
                code: "scorecard::eval::division_by_zero",
                kpi,
                period: period.clone(),
                segment: segment.clone(),
                message,
            })
            .collect()
    }

    /// A KPI's unrounded value here.
    pub fn kpi_value(&mut self, k: &Kpi) -> Result<Option<Decimal>, super::EvalError> {
        if let Some(v) = self.memo.get(&k.name) {
            return Ok(*v);
        }
        let v = self.num(k, &k.value, This::default())?;
        self.memo.insert(k.name.clone(), v);
        Ok(v)
    }

    /// Evaluates a numeric expression belonging to `k`.
    pub fn num(
        &mut self,
        k: &Kpi,
        e: &Expr,
        this: This,
    ) -> Result<Option<Decimal>, super::EvalError> {
        Ok(match e {
            Expr::Number { value } => Some(*value),
            Expr::Value => this.value,
            Expr::Target => this.target,
            Expr::Aggregate { index } => {
                match self
                    .aggregates
                    .get(self.model, *index, self.by, self.period, self.segment)
                {
                    Found::Value(v) => v,
                    Found::NoRows => {
                        let func: AggFunc = self.model.aggregates[*index].func;
                        (k.missing == Missing::Zero && engine::zero_when_empty(func))
                            .then_some(Decimal::ZERO)
                    }
                }
            }
            Expr::Kpi { name } => match self.model.kpi(name) {
                Some(other) => self.kpi_value(other)?,
                None => None,
            },
            Expr::Neg { operand } => self.num(k, operand, this)?.map(|v| -v),
            Expr::Arith { op, left, right } => {
                let (Some(a), Some(b)) = (self.num(k, left, this)?, self.num(k, right, this)?)
                else {
                    return Ok(None);
                };
                let overflow = |what: &str| super::EvalError::Overflow {
                    kpi: k.name.clone(),
                    period: self.period_label.clone(),
                    what: what.to_string(),
                };
                match op {
                    ArithOp::Add => Some(a.checked_add(b).ok_or_else(|| overflow("a sum"))?),
                    ArithOp::Sub => Some(a.checked_sub(b).ok_or_else(|| overflow("a difference"))?),
                    ArithOp::Mul => Some(a.checked_mul(b).ok_or_else(|| overflow("a product"))?),
                    ArithOp::Div if b.is_zero() => {
                        self.warnings.push((
                            k.name.clone(),
                            format!("division by zero in `{}`: the value is left empty", k.name),
                        ));
                        None
                    }
                    ArithOp::Div => Some(a.checked_div(b).ok_or_else(|| overflow("a quotient"))?),
                }
            }
            Expr::If {
                cond,
                then,
                otherwise,
            } => match self.cond(k, cond, this)? {
                Some(true) => self.num(k, then, this)?,
                Some(false) => self.num(k, otherwise, this)?,
                None => None,
            },
            Expr::Compare { .. } | Expr::And { .. } | Expr::Or { .. } | Expr::Not { .. } => None,
        })
    }

    /// Evaluates a condition; `None` when it cannot be decided because a value is missing.
    /// `and` and `or` follow three-valued logic: `false and ?` is false, `true or ?` is true.
    pub fn cond(
        &mut self,
        k: &Kpi,
        e: &Expr,
        this: This,
    ) -> Result<Option<bool>, super::EvalError> {
        Ok(match e {
            Expr::Compare { op, left, right } => {
                match (self.num(k, left, this)?, self.num(k, right, this)?) {
                    (Some(a), Some(b)) => Some(op.holds(a.cmp(&b))),
                    _ => None,
                }
            }
            Expr::And { left, right } => {
                match (self.cond(k, left, this)?, self.cond(k, right, this)?) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                }
            }
            Expr::Or { left, right } => {
                match (self.cond(k, left, this)?, self.cond(k, right, this)?) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                }
            }
            Expr::Not { operand } => self.cond(k, operand, this)?.map(|b| !b),
            _ => None,
        })
    }
}

/// Datasets a KPI's value reads, directly or through other KPIs: where its segments come from.
pub fn value_datasets(model: &Model, k: &Kpi) -> BTreeSet<String> {
    let mut aggs = BTreeSet::new();
    engine::plan::reach(model, &k.value, &mut aggs, &mut BTreeSet::new());
    aggs.into_iter()
        .map(|i| model.aggregates[i].dataset.clone())
        .collect()
}
