//! Owns the balanced-scorecard roll-up: objective scores from their KPIs, perspective scores from
//! their objectives, and the overall score from the perspectives, per period, as weighted averages
//! over the children that have a score.

use super::score::shown;
use crate::check::model::Model;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// One objective's or perspective's scores, period by period.
#[derive(Debug, Serialize)]
pub struct Scored {
    pub name: String,
    pub label: Option<String>,
    /// For an objective: its perspective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perspective: Option<String>,
    pub results: Vec<PeriodScore>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodScore {
    pub period: String,
    #[serde(with = "super::opt_decimal")]
    pub score: Option<Decimal>,
}

#[derive(Debug, Default, Serialize)]
pub struct Rollup {
    pub perspectives: Vec<Scored>,
    pub objectives: Vec<Scored>,
    pub overall: Vec<PeriodScore>,
}

/// The weighted average of the children that have a score: Σ weight × score / Σ weight. A child
/// with no score is left out and the others' weights are renormalized; with none, there is no score.
fn weighted(children: &[(Decimal, Option<Decimal>)]) -> Option<Decimal> {
    let scored: Vec<(Decimal, Decimal)> = children
        .iter()
        .filter_map(|(w, s)| s.map(|s| (*w, s)))
        .collect();
    let total: Decimal = scored.iter().map(|(w, _)| *w).sum();
    if scored.is_empty() || total.is_zero() {
        return None;
    }
    let sum = scored.iter().try_fold(Decimal::ZERO, |acc, (w, s)| {
        acc.checked_add(w.checked_mul(*s)?)
    })?;
    sum.checked_div(total)
}

/// Rolls the KPIs' exact scores (the total of each period, not its segments) up the structure.
/// `exact` maps a KPI to its unrounded score per period.
/// `periods` are the reported periods' names with their first days (which decide dated weights).
pub fn rollup(
    model: &Model,
    periods: &[(String, i64)],
    exact: &BTreeMap<(String, String), Decimal>,
) -> Rollup {
    let mut out = Rollup::default();
    let mut objective_scores: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for o in &model.objectives {
        let kpis: Vec<_> = model
            .kpis
            .iter()
            .filter(|k| k.objective.as_deref() == Some(&o.name))
            .collect();
        let results = periods
            .iter()
            .map(|(p, day)| {
                let children: Vec<_> = kpis
                    .iter()
                    .map(|k| {
                        (
                            k.weight.at(*day),
                            exact.get(&(k.name.clone(), p.clone())).copied(),
                        )
                    })
                    .collect();
                let score = weighted(&children);
                if let Some(s) = score {
                    objective_scores.insert((o.name.clone(), p.clone()), s);
                }
                PeriodScore {
                    period: p.clone(),
                    score: score.map(shown),
                }
            })
            .collect();
        out.objectives.push(Scored {
            name: o.name.clone(),
            label: o.label.clone(),
            perspective: Some(o.perspective.clone()),
            results,
        });
    }
    let mut perspective_scores: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for persp in &model.perspectives {
        let objectives: Vec<_> = model
            .objectives
            .iter()
            .filter(|o| o.perspective == persp.name)
            .collect();
        let results = periods
            .iter()
            .map(|(p, day)| {
                let children: Vec<_> = objectives
                    .iter()
                    .map(|o| {
                        (
                            o.weight.at(*day),
                            objective_scores.get(&(o.name.clone(), p.clone())).copied(),
                        )
                    })
                    .collect();
                let score = weighted(&children);
                if let Some(s) = score {
                    perspective_scores.insert((persp.name.clone(), p.clone()), s);
                }
                PeriodScore {
                    period: p.clone(),
                    score: score.map(shown),
                }
            })
            .collect();
        out.perspectives.push(Scored {
            name: persp.name.clone(),
            label: persp.label.clone(),
            perspective: None,
            results,
        });
    }
    if !model.perspectives.is_empty() {
        out.overall = periods
            .iter()
            .map(|(p, day)| {
                let children: Vec<_> = model
                    .perspectives
                    .iter()
                    .map(|x| {
                        (
                            x.weight.at(*day),
                            perspective_scores
                                .get(&(x.name.clone(), p.clone()))
                                .copied(),
                        )
                    })
                    .collect();
                PeriodScore {
                    period: p.clone(),
                    score: weighted(&children).map(shown),
                }
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_shares_of_their_sum() {
        // The Intrafocus guide to weighting elements (intrafocus.com/kb/weighting-elements): three
        // objectives weigh 33.3% each by default, and weights entered as 50, 30 and 20 are the
        // percentages 50%, 30% and 20%. With scores 8, 6 and 3: 0.5 × 8 + 0.3 × 6 + 0.2 × 3 = 6.4,
        // and with equal weights (8 + 6 + 3) / 3 = 5.67.
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let scores = [d("8"), d("6"), d("3")];
        let with = |w: [&str; 3]| {
            weighted(&[
                (d(w[0]), Some(scores[0])),
                (d(w[1]), Some(scores[1])),
                (d(w[2]), Some(scores[2])),
            ])
        };
        assert_eq!(with(["50", "30", "20"]), Some(d("6.4")));
        assert_eq!(with(["0.5", "0.3", "0.2"]), Some(d("6.4")));
        assert_eq!(with(["1", "1", "1"]).map(shown), Some(d("5.67")));
    }

    #[test]
    fn weighted_average_renormalizes_over_children_with_scores() {
        let d = |n: i64| Decimal::from(n);
        // Weights 2 and 1, scores 9 and 3: (18 + 3) / 3 = 7.
        assert_eq!(
            weighted(&[(d(2), Some(d(9))), (d(1), Some(d(3)))]),
            Some(d(7))
        );
        // The child with no score drops out: 9 alone.
        assert_eq!(weighted(&[(d(2), Some(d(9))), (d(1), None)]), Some(d(9)));
        assert_eq!(weighted(&[(d(2), None), (d(1), None)]), None);
        assert_eq!(weighted(&[]), None);
    }
}
