//! Owns each touch's raw weight under an attribution model: a whole number, in proportion to which
//! the conversion's value is shared among the touches of its journey.

use super::inputs::{Touches, NO_NAME};
use super::journeys::Journeys;
use super::markov;
use datafusion::common::HashMap;
use rust_decimal::Decimal;
use scorecard_model::{Attribution, AttributionModel, RowExpr};
use scorecard_script::{ScriptError, Scripts};

/// Time-decay and Markov weights are whole numbers of this many parts per unit.
pub const WEIGHT_UNIT: i64 = 1_000_000_000_000;
/// Script weights (0 to 1,000,000) are kept to this many parts per unit.
const SCRIPT_UNIT: i64 = 1_000_000;
pub const DAY: i64 = 86_400;

/// The touch-level conditions a model needs evaluated (in this order in `Touches::flags`).
pub fn flags(model: &AttributionModel) -> Vec<&RowExpr> {
    match model {
        AttributionModel::LastNonDirect { direct } => vec![direct],
        AttributionModel::WShaped { lead, opportunity } => vec![lead, opportunity],
        _ => Vec::new(),
    }
}

/// A model ready to weigh journeys.
pub enum Weigher<'a> {
    First,
    Last,
    Linear,
    LastNonDirect,
    Decay {
        half_life_secs: i64,
    },
    /// Parts of a million for the first, the last and each middle touch.
    Position {
        first: i64,
        last: i64,
    },
    WShaped,
    /// The removal effect of each `credit_to` value, and of no value.
    Markov {
        effect: Vec<i64>,
        none: i64,
    },
    Script {
        function: &'a str,
        scripts: &'a Scripts,
        /// (position, touches, age in days) → weight, each asked of the script once.
        known: HashMap<(i64, i64, i64), i64>,
    },
}

impl<'a> Weigher<'a> {
    pub fn new(
        rule: &'a Attribution,
        touches: &Touches,
        journeys: &Journeys,
        scripts: &'a Scripts,
    ) -> Self {
        match &rule.model {
            AttributionModel::FirstTouch => Weigher::First,
            AttributionModel::LastTouch => Weigher::Last,
            AttributionModel::Linear => Weigher::Linear,
            AttributionModel::LastNonDirect { .. } => Weigher::LastNonDirect,
            AttributionModel::TimeDecay { half_life_days } => {
                let secs = (*half_life_days * Decimal::from(DAY)).round();
                Weigher::Decay {
                    half_life_secs: i64::try_from(secs).unwrap_or(i64::MAX).max(1),
                }
            }
            AttributionModel::PositionBased { first, last } => {
                let parts =
                    |d: Decimal| i64::try_from((d * Decimal::from(1_000_000)).round()).unwrap_or(0);
                Weigher::Position {
                    first: parts(*first),
                    last: parts(*last),
                }
            }
            AttributionModel::WShaped { .. } => Weigher::WShaped,
            AttributionModel::Markov => {
                let effects = markov::removal_effects(&journeys.transitions(touches));
                let of = |name: &str| {
                    effects
                        .get(name)
                        .map_or(0, |e| (e * WEIGHT_UNIT as f64).round() as i64)
                };
                Weigher::Markov {
                    effect: touches.names.iter().map(|n| of(n)).collect(),
                    none: of(""),
                }
            }
            AttributionModel::Script { function } => Weigher::Script {
                function,
                scripts,
                known: HashMap::default(),
            },
        }
    }

    /// The raw weights of `journey` (touch indices in order) for a conversion at `converted`
    /// (seconds), into `out` (cleared first).
    pub fn weigh(
        &mut self,
        touches: &Touches,
        journey: &[u32],
        converted: i64,
        out: &mut Vec<i64>,
    ) -> Result<(), ScriptError> {
        out.clear();
        let n = journey.len();
        let at = |seq: usize| journey[seq] as usize;
        let one_if = |b: bool| i64::from(b);
        match self {
            Weigher::First => out.extend((0..n).map(|s| one_if(s == 0))),
            Weigher::Last => out.extend((0..n).map(|s| one_if(s + 1 == n))),
            Weigher::Linear => out.extend((0..n).map(|_| 1)),
            Weigher::LastNonDirect => {
                let direct = &touches.flags[0];
                // The last touch that is not direct; the last touch when all are.
                let chosen = (0..n).rev().find(|&s| !direct[at(s)]).unwrap_or(n - 1);
                out.extend((0..n).map(|s| one_if(s == chosen)));
            }
            Weigher::Decay { half_life_secs } => {
                let h = *half_life_secs as f64;
                out.extend(journey.iter().map(|&i| {
                    let age = converted.saturating_sub(touches.time[i as usize]).max(0);
                    ((-(age as f64) / h).exp2() * WEIGHT_UNIT as f64).round() as i64
                }));
            }
            Weigher::Position { first, last } => {
                let (f, l) = (*first, *last);
                // Two touches share in the ratio first : last (50/50 under 40/40); one takes all.
                let (f2, l2) = if f + l == 0 { (1, 1) } else { (f, l) };
                let middle = n as i64 - 2;
                out.extend((0..n).map(|s| match (n, s) {
                    (1, _) => 1,
                    (2, 0) => f2,
                    (2, _) => l2,
                    (_, 0) => f * middle,
                    (_, s) if s + 1 == n => l * middle,
                    _ => 1_000_000 - f - l,
                }));
            }
            Weigher::WShaped => {
                let (lead, opportunity) = (&touches.flags[0], &touches.flags[1]);
                let lead = (0..n).find(|&s| lead[at(s)]);
                let opportunity = (0..n).find(|&s| opportunity[at(s)]);
                // How many of the three milestone roles (first, lead, opportunity) each touch has.
                let roles = |s: usize| {
                    one_if(s == 0) + one_if(lead == Some(s)) + one_if(opportunity == Some(s))
                };
                let others = (0..n).filter(|&s| roles(s) == 0).count() as i64;
                // Each role is worth 30% and the other touches share 10%: with k others, 30k per
                // role and 10 per other touch (30 per role when there are none).
                let k = others.max(1);
                out.extend((0..n).map(|s| match roles(s) {
                    0 => 10,
                    r => 30 * k * r,
                }));
            }
            Weigher::Markov { effect, none } => {
                out.extend(journey.iter().map(|&i| match touches.to[i as usize] {
                    NO_NAME => *none,
                    to => effect[to as usize],
                }))
            }
            Weigher::Script {
                function,
                scripts,
                known,
            } => {
                for (s, &i) in journey.iter().enumerate() {
                    let age = (converted.saturating_sub(touches.time[i as usize]) / DAY).max(0);
                    let key = (s as i64 + 1, n as i64, age);
                    let w = match known.get(&key) {
                        Some(w) => *w,
                        None => {
                            let w =
                                scripts
                                    .weight(function, key.0, key.1, key.2)
                                    .map_err(|why| ScriptError {
                                        message: format!(
                                            "the weight function `{function}` failed: {why}"
                                        ),
                                        ..why
                                    })?;
                            let w = i64::try_from((w * Decimal::from(SCRIPT_UNIT)).round())
                                .unwrap_or(0);
                            known.insert(key, w);
                            w
                        }
                    };
                    out.push(w);
                }
            }
        }
        Ok(())
    }
}
