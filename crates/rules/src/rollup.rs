//! Owns the balanced-scorecard roll-up: objective scores from their KPIs, perspective scores from
//! their objectives, and the overall score from the perspectives, per period, as weighted averages
//! over the children that have a score.

use super::score::shown;
use rust_decimal::Decimal;
use scorecard_model::{Model, Weight};
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
    /// Withheld from the audience the document is for: the score is computed from a figure it
    /// may not see (docs/audiences.md). `score` is then `null`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
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
/// `exact` maps (KPI, period) to its unrounded score; `periods` are the reported periods' names with
/// their first days (which decide dated weights).
pub fn rollup(
    model: &Model,
    periods: &[(String, i64)],
    exact: &BTreeMap<(String, String), Decimal>,
) -> Rollup {
    let mut out = Rollup::default();
    let mut scores = exact.clone();
    for o in &model.objectives {
        let kpis = model
            .kpis
            .iter()
            .filter(|k| k.objective.as_deref() == Some(&o.name));
        let children: Vec<(&str, &Weight)> = kpis.map(|k| (k.name.as_str(), &k.weight)).collect();
        let results = roll(&o.name, &children, periods, &mut scores);
        out.objectives.push(Scored {
            name: o.name.clone(),
            label: o.label.clone(),
            perspective: Some(o.perspective.clone()),
            results,
        });
    }
    for p in &model.perspectives {
        let objectives = model.objectives.iter().filter(|o| o.perspective == p.name);
        let children: Vec<(&str, &Weight)> =
            objectives.map(|o| (o.name.as_str(), &o.weight)).collect();
        let results = roll(&p.name, &children, periods, &mut scores);
        out.perspectives.push(Scored {
            name: p.name.clone(),
            label: p.label.clone(),
            perspective: None,
            results,
        });
    }
    if !model.perspectives.is_empty() {
        let children: Vec<(&str, &Weight)> = model
            .perspectives
            .iter()
            .map(|p| (p.name.as_str(), &p.weight))
            .collect();
        out.overall = roll("", &children, periods, &mut scores);
    }
    out
}

/// The scores of `parent` per period from its children's exact scores in `scores`, which it joins
/// (names are unique across KPIs, objectives and perspectives).
fn roll(
    parent: &str,
    children: &[(&str, &Weight)],
    periods: &[(String, i64)],
    scores: &mut BTreeMap<(String, String), Decimal>,
) -> Vec<PeriodScore> {
    periods
        .iter()
        .map(|(period, first_day)| {
            let weighted_children: Vec<(Decimal, Option<Decimal>)> = children
                .iter()
                .map(|(name, w)| {
                    (
                        w.at(*first_day),
                        scores.get(&(name.to_string(), period.clone())).copied(),
                    )
                })
                .collect();
            let score = weighted(&weighted_children);
            if let Some(s) = score {
                scores.insert((parent.to_string(), period.clone()), s);
            }
            PeriodScore {
                period: period.clone(),
                score: score.map(shown),
                withheld: false,
            }
        })
        .collect()
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
