//! Owns a row's thresholds as numbers: the cut-offs in effect in its period, in the order they are
//! tried, so that a chart can draw the red, amber and green bands without evaluating anything.

use super::eval::{Context, This};
use super::{EvalError, Status};
use rust_decimal::Decimal;
use scorecard_model::{Better, CmpOp, Expr, Kpi, Threshold};
use serde::Serialize;

/// One threshold as a number: the status holds where `value op at` does; with no `op`, it is
/// `otherwise`. Bands are tried in order and the first that holds gives the status, as the
/// thresholds are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "op_text")]
    pub op: Option<CmpOp>,
    #[serde(skip_serializing_if = "Option::is_none", with = "super::opt_decimal")]
    pub at: Option<Decimal>,
}

impl Band {
    /// Whether `v` falls in this band (ignoring the bands before it).
    pub fn holds(&self, v: Decimal) -> bool {
        scorecard_diagnostic::depth::deep(|| match (self.op, self.at) {
            (Some(op), Some(at)) => op.holds(v.cmp(&at)),
            _ => true,
        })
    }
}

/// The status the bands give `v`: the first that holds, or none.
pub fn status_of(bands: &[Band], v: Decimal) -> Option<Status> {
    bands.iter().find(|b| b.holds(v)).map(|b| b.status)
}

fn op_text<S: serde::Serializer>(op: &Option<CmpOp>, s: S) -> Result<S::Ok, S::Error> {
    match op {
        Some(op) => s.serialize_str(scorecard_model::print::cmp(*op)),
        None => s.serialize_none(),
    }
}

/// The bands of the thresholds in effect, or, when none are declared, of the target and `better`.
/// Empty when a threshold is not a comparison of the value with something that has a number in
/// this period (`value >= target` with no target, a condition joined by `and`), or when the KPI is
/// unrated: a chart then draws no bands rather than wrong ones.
pub fn bands(
    cx: &mut Context,
    k: &Kpi,
    rules: &[Threshold],
    target: Option<Decimal>,
) -> Result<Vec<Band>, EvalError> {
    let status = |s| super::status::declared(s);
    if rules.is_empty() {
        let cut = |status, op, at| Band {
            status,
            op: Some(op),
            at: Some(at),
        };
        let otherwise = |status| Band {
            status,
            op: None,
            at: None,
        };
        return Ok(match (k.better, target) {
            (Better::Within { low, high }, _) => vec![
                cut(Status::Red, CmpOp::Lt, low),
                cut(Status::Red, CmpOp::Gt, high),
                otherwise(Status::Green),
            ],
            (Better::Higher, Some(t)) => {
                vec![cut(Status::Green, CmpOp::Ge, t), otherwise(Status::Red)]
            }
            (Better::Lower, Some(t)) => {
                vec![cut(Status::Green, CmpOp::Le, t), otherwise(Status::Red)]
            }
            (_, None) => Vec::new(),
        });
    }
    let mut out = Vec::new();
    // Evaluated without the value: a side that needs it has no number, and the rule is no cut-off.
    let this = This {
        value: None,
        target,
    };
    for t in rules {
        let Some(when) = &t.when else {
            out.push(Band {
                status: status(t.status),
                op: None,
                at: None,
            });
            continue;
        };
        let Expr::Compare { op, left, right } = when else {
            return Ok(Vec::new());
        };
        let (op, other) = match (&**left, &**right) {
            (Expr::Value, other) => (*op, other),
            (other, Expr::Value) => (mirror(*op), other),
            _ => return Ok(Vec::new()),
        };
        let Some(at) = cx.num(k.into(), other, this)? else {
            return Ok(Vec::new());
        };
        out.push(Band {
            status: status(t.status),
            op: Some(op),
            at: Some(at),
        });
    }
    Ok(out)
}

/// `a op value` as `value op' a`.
fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        same => same,
    }
}
