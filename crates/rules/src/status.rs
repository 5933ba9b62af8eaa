//! Owns one result row: rounding the value and target, the variance, and the status from thresholds
//! (or from the target and `better` when no thresholds are declared).

use super::eval::{Context, This};
use super::{EvalError, Row, Status, Unmet};
use rust_decimal::{Decimal, RoundingStrategy};
use scorecard_model::{Better, Expr, Kpi, Partial, Rag as Declared, RoundMode, Threshold, Unit};

/// One result row with what decided it.
pub struct Judged {
    pub row: Row,
    /// The score before it is rounded for show (the roll-up uses exact scores).
    pub exact_score: Option<Decimal>,
    /// The threshold (by its place among those in effect) that decided the status: the first that
    /// held, or the first that could not be told. `None` when none did, or there are none.
    pub rule: Option<usize>,
}

/// The row of `k` in the context's period and segment.
pub fn row<'a>(
    cx: &mut Context<'a>,
    k: &'a Kpi,
    (period, partial): (String, bool),
    scripts: &scorecard_script::Scripts,
) -> Result<Judged, EvalError> {
    // The window coverage and the short periods are this row's own, whatever the context
    // evaluated before it.
    cx.coverage = None;
    cx.short.clear();
    let value = cx.kpi_value(k)?.map(|v| round(v, k));
    let partial_periods: Vec<String> = cx.short.iter().map(|p| cx.label(*p)).collect();
    let partial = partial || !partial_periods.is_empty();
    let window = cx
        .coverage
        .map(|(covered, periods)| super::Coverage { periods, covered });
    let (first_day, last_day) = cx.bounds();
    let target_expr = k.target.at(first_day, last_day);
    let target = match target_expr {
        Some(t) => cx.num(k.into(), t, This::default())?.map(|v| round(v, k)),
        None => None,
    };
    let variance = match (value, target) {
        (Some(v), Some(t)) => v.checked_sub(t),
        _ => None,
    };
    let rules = k
        .thresholds
        .at(first_day, last_day)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let bands = super::bands::bands(cx, k, rules, target)?;
    // An audience's cell is counted whatever the value: "no value" from too few rows says
    // something of them too (docs/audiences.md).
    let unmet = match value {
        Some(_) => gates(cx, k, |_| true)?,
        None => gates(cx, k, |g| g.name == scorecard_model::audience::CELL_GATE)?,
    };
    let not_rated = partial && k.partial == Partial::NotRated;
    // An audience's cell count decides what it is shown, never the status: escalations and the
    // roll-up judge the figure as it is (docs/audiences.md).
    let gated = unmet
        .iter()
        .any(|u| u.gate != scorecard_model::audience::CELL_GATE);
    let (status, rule) = match value {
        None => (Status::NoValue, None),
        Some(_) if gated => (Status::InsufficientData, None),
        Some(_) if not_rated => (Status::Unrated, None),
        Some(v) => status(
            cx,
            k,
            rules,
            This {
                value: Some(v),
                target,
            },
            target_expr.is_some(),
        )?,
    };
    // A KPI that is not rated here is not scored either, whatever its scoring method.
    let rated = !gated && !not_rated;
    let exact = match rated {
        true => super::score::score(&k.scoring, k.better, (value, target, status), scripts)
            .map_err(|why| EvalError::Script {
                kpi: k.name.clone(),
                period: period.clone(),
                why,
            })?,
        false => None,
    };
    let row = Row {
        period,
        partial,
        partial_periods,
        unmet,
        score: exact.map(super::score::shown),
        window,
        segment: cx.shared_segment_map(),
        value,
        target,
        variance,
        status,
        bands,
    };
    Ok(Judged {
        row,
        exact_score: exact,
        rule,
    })
}

/// The gates of `k` that do not hold (or cannot be told) in the context's period and segment, each
/// with the values of its two sides when it is one comparison.
fn gates(
    cx: &mut Context,
    k: &Kpi,
    judged: impl Fn(&scorecard_model::Gate) -> bool,
) -> Result<Vec<Unmet>, EvalError> {
    let mut unmet = Vec::new();
    // A division by zero in a gate leaves it untold, which `unmet` says: it is not a warning
    // about the value.
    let warned = cx.warning_count();
    for g in k.requires.iter().filter(|g| judged(g)) {
        let holds = cx.cond(k.into(), &g.condition, This::default())?;
        if holds == Some(true) {
            continue;
        }
        let (left, right) = match &g.condition {
            Expr::Compare { left, right, .. } => (
                cx.num(k.into(), left, This::default())?,
                cx.num(k.into(), right, This::default())?,
            ),
            _ => (None, None),
        };
        unmet.push(Unmet {
            gate: g.name.clone(),
            condition: g.text.clone(),
            holds,
            left,
            right,
        });
    }
    cx.drop_warnings_from(warned);
    Ok(unmet)
}

/// Rounds a value as the KPI declares: places of the figure shown (a percent's places are places of
/// the percent, so 42.35% to 1 place is the ratio 0.424 under half-even). The scale is fixed so that
/// 100 shows as 100.00 at 2 places.
pub fn round(v: Decimal, k: &Kpi) -> Decimal {
    let places = k.rounding.places + if k.unit == Unit::Percent { 2 } else { 0 };
    let strategy = match k.rounding.mode {
        RoundMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        RoundMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
    };
    let mut r = v.round_dp_with_strategy(places, strategy);
    r.rescale(places);
    // A negative value that rounds to zero, or the negation of zero, is zero: never `-0.00`.
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    r
}

/// The status from the thresholds that apply in this period (with the place of the rule that
/// decided), or from the target and `better`.
fn status(
    cx: &mut Context,
    k: &Kpi,
    rules: &[Threshold],
    this: This,
    has_target: bool,
) -> Result<(Status, Option<usize>), EvalError> {
    if !rules.is_empty() {
        for (i, t) in rules.iter().enumerate() {
            let holds = match &t.when {
                None => Some(true),
                Some(c) => cx.cond(k.into(), c, this)?,
            };
            match holds {
                Some(true) => return Ok((declared(t.status), Some(i))),
                Some(false) => continue,
                // Cannot tell whether this rule holds (say, the target has no value): a later rule
                // must not decide instead, so there is no status, and the run says why.
                None => {
                    cx.warn(
                        super::eval::NO_STATUS,
                        &k.name,
                        format!(
                            "`{}` has a value but no status: its `{}` threshold compares with a value that is missing (a target for this period?)",
                            k.name,
                            declared(t.status).name()
                        ),
                    );
                    return Ok((Status::NoValue, Some(i)));
                }
            }
        }
        return Ok((Status::NoValue, None));
    }
    let (Some(v), target) = (this.value, this.target) else {
        return Ok((Status::NoValue, None));
    };
    let by_better = match (k.better, target) {
        (Better::Within { low, high }, _) => pass(low <= v && v <= high),
        (Better::Higher, Some(t)) => pass(v >= t),
        (Better::Lower, Some(t)) => pass(v <= t),
        (_, None) if has_target => Status::NoValue,
        (_, None) => Status::Unrated,
    };
    Ok((by_better, None))
}

fn pass(ok: bool) -> Status {
    if ok {
        Status::Green
    } else {
        Status::Red
    }
}

pub(super) fn declared(s: Declared) -> Status {
    match s {
        Declared::Green => Status::Green,
        Declared::Amber => Status::Amber,
        Declared::Red => Status::Red,
    }
}
