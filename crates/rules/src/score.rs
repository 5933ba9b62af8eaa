//! Owns scoring: turning a KPI's value into a score from 0 to 10 by its method. Scores are exact
//! decimals; reports show them to 2 places.

use super::Status;
use rust_decimal::Decimal;
use scorecard_model::{Better, Scoring};
use scorecard_script::{ScriptError, Scripts};

/// The score of a value, or `None` when there is nothing to score (no value, no status for bands, no
/// or a zero target for percent of target). A scoring function that fails is an error.
pub fn score(
    method: &Scoring,
    better: Better,
    (value, target, status): (Option<Decimal>, Option<Decimal>, Status),
    scripts: &Scripts,
) -> Result<Option<Decimal>, ScriptError> {
    let Some(v) = value else { return Ok(None) };
    if let Scoring::Script { function } = method {
        return scripts.call(function, v, target).map(Some);
    }
    Ok(builtin(method, better, v, target, status))
}

fn builtin(
    method: &Scoring,
    better: Better,
    v: Decimal,
    target: Option<Decimal>,
    status: Status,
) -> Option<Decimal> {
    let ten = Decimal::TEN;
    let raw = match *method {
        Scoring::Bands { green, amber, red } => match status {
            Status::Green => green,
            Status::Amber => amber,
            Status::Red => red,
            Status::NoValue | Status::Unrated | Status::InsufficientData | Status::Suppressed => {
                return None
            }
        },
        // The red flag scores 10/3 and the goal 20/3; the distance between them, added beyond each,
        // reaches 0 and 10. A goal below the red flag makes lower better: the same line, falling.
        Scoring::GoalRedFlag { goal, red_flag } => {
            // 10 × (1 + position) / 3, dividing last so that the ends are exactly 0 and 10.
            let position = v
                .checked_sub(red_flag)?
                .checked_div(goal.checked_sub(red_flag)?)?;
            ten.checked_mul(Decimal::ONE.checked_add(position)?)?
                .checked_div(Decimal::from(3))?
        }
        // 10 × (1 + (value − target) / |target|) when higher is better, 10 × (1 − (value − target) /
        // |target|) when lower is: 10 at the target, 0 a whole target's size short of it. A positive
        // target and higher-is-better give the familiar 10 × value / target.
        Scoring::PercentOfTarget => {
            let t = target?;
            if t.is_zero() {
                return None;
            }
            let share = v.checked_sub(t)?.checked_div(t.abs())?;
            let sign = if better == Better::Lower {
                -Decimal::ONE
            } else {
                Decimal::ONE
            };
            ten.checked_mul(Decimal::ONE.checked_add(sign.checked_mul(share)?)?)?
        }
        // 10 inside [low, high]; outside, falling to 0 at one range-width beyond the nearer bound.
        Scoring::Within { low, high } => {
            if low <= v && v <= high {
                ten
            } else {
                let width = high - low;
                if width.is_zero() {
                    Decimal::ZERO
                } else {
                    let distance = if v < low { low - v } else { v - high };
                    ten.checked_mul(Decimal::ONE.checked_sub(distance.checked_div(width)?)?)?
                }
            }
        }
        Scoring::Script { .. } => return None,
    };
    Some(raw.clamp(Decimal::ZERO, ten))
}

/// A score as reports show it: two places, half-even (`3.33`, `10.00`).
pub fn shown(score: Decimal) -> Decimal {
    let mut s = score.round_dp(2);
    s.rescale(2);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn grf(goal: &str, red_flag: &str, value: &str) -> String {
        let s = builtin(
            &Scoring::GoalRedFlag {
                goal: d(goal),
                red_flag: d(red_flag),
            },
            Better::Higher,
            d(value),
            None,
            Status::Green,
        );
        s.map(|s| shown(s).to_string()).unwrap_or_default()
    }

    #[test]
    fn goal_red_flag_as_published() {
        // The Intrafocus scoring guide (intrafocus.com/kb/scoring-guide, "Goal/Red Flag"): the red flag
        // scores 3.33, the goal 6.67, and their difference added beyond each gives the values that
        // score 0 and 10, linear in between. Goal 100, red flag 80: 0 at 60, 10 at 120.
        assert_eq!(grf("100", "80", "80"), "3.33");
        assert_eq!(grf("100", "80", "100"), "6.67");
        assert_eq!(grf("100", "80", "90"), "5.00");
        assert_eq!(grf("100", "80", "60"), "0.00");
        assert_eq!(grf("100", "80", "120"), "10.00");
        // Clamped at both ends.
        assert_eq!(grf("100", "80", "10"), "0.00");
        assert_eq!(grf("100", "80", "500"), "10.00");
        // Lower is better when the goal is below the red flag: goal 10 days, red flag 20 days (a gap
        // of 10); 15 days is halfway, 5.00; 25 days, half a gap past the red flag, is 1.67; 30 days,
        // a whole gap past it, is 0; 0 days, a gap beyond the goal, is 10.
        assert_eq!(grf("10", "20", "15"), "5.00");
        assert_eq!(grf("10", "20", "10"), "6.67");
        assert_eq!(grf("10", "20", "25"), "1.67");
        assert_eq!(grf("10", "20", "30"), "0.00");
        assert_eq!(grf("10", "20", "0"), "10.00");
    }

    #[test]
    fn percent_of_target_and_within() {
        let pot = |t: &str, v: &str, b: Better| {
            builtin(
                &Scoring::PercentOfTarget,
                b,
                d(v),
                Some(d(t)),
                Status::Green,
            )
            .map(|s| shown(s).to_string())
        };
        assert_eq!(pot("200", "150", Better::Higher), Some("7.50".into()));
        assert_eq!(pot("200", "300", Better::Higher), Some("10.00".into()));
        // A loss target of −100: a loss of −50 is better, 10 × (1 + 50/100) = 15, clamped to 10;
        // a loss of −150 scores 10 × (1 − 50/100) = 5.
        assert_eq!(pot("-100", "-150", Better::Higher), Some("5.00".into()));
        assert_eq!(pot("-100", "-50", Better::Higher), Some("10.00".into()));
        // Lower is better: cost 120 against 100 scores 10 × (1 − 0.2) = 8.
        assert_eq!(pot("100", "120", Better::Lower), Some("8.00".into()));
        assert_eq!(pot("0", "5", Better::Higher), None);
        let within = |v: &str| {
            builtin(
                &Scoring::Within {
                    low: d("2"),
                    high: d("4"),
                },
                Better::Higher,
                d(v),
                None,
                Status::Green,
            )
            .map(|s| shown(s).to_string())
        };
        assert_eq!(within("3"), Some("10.00".into()));
        assert_eq!(within("5"), Some("5.00".into()));
        assert_eq!(within("1.5"), Some("7.50".into()));
        assert_eq!(within("7"), Some("0.00".into()));
    }

    #[test]
    fn bands_follow_the_status() {
        let b = Scoring::default_bands();
        let none = Scripts::new(&[]).expect("no scripts");
        assert_eq!(
            score(
                &b,
                Better::Higher,
                (Some(d("1")), None, Status::Amber),
                &none
            ),
            Ok(Some(d("5")))
        );
        assert_eq!(
            score(
                &b,
                Better::Higher,
                (Some(d("1")), None, Status::Unrated),
                &none
            ),
            Ok(None)
        );
        assert_eq!(
            score(&b, Better::Higher, (None, None, Status::NoValue), &none),
            Ok(None)
        );
    }
}
