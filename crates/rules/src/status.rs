//! Owns one result row: rounding the value and target, the variance, and the status from thresholds
//! (or from the target and `better` when no thresholds are declared).

use super::eval::{Context, This};
use super::{EvalError, Row, Status};
use rust_decimal::{Decimal, RoundingStrategy};
use scorecard_model::{Better, Kpi, Rag as Declared, RoundMode, Threshold, Unit};

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
    // The window coverage is this row's own, whatever the context evaluated before it.
    cx.coverage = None;
    let value = cx.kpi_value(k)?.map(|v| round(v, k));
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
    let (status, rule) = match value {
        None => (Status::NoValue, None),
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
    let exact = super::score::score(&k.scoring, k.better, (value, target, status), scripts)
        .map_err(|why| EvalError::Script {
            kpi: k.name.clone(),
            period: period.clone(),
            why,
        })?;
    let row = Row {
        period,
        partial,
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
