//! Owns the effect of a change on the numbers: both scorecards evaluated on the same data, and every
//! KPI value or status that differs, per period and segment (a renamed KPI is compared with its
//! former self).

use crate::{opt_decimal, Evaluation, Row, Status};
use rust_decimal::Decimal;
use scorecard_model::Model;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Effect {
    /// How many (KPI, period, segment) results were compared.
    pub compared: usize,
    /// The results whose value or status differs, by KPI in the new scorecard's order, then period
    /// and segment.
    pub rows: Vec<Changed>,
}

#[derive(Debug, Serialize)]
pub struct Changed {
    pub kpi: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    pub period: String,
    pub segment: BTreeMap<String, Option<String>>,
    #[serde(with = "opt_decimal")]
    pub old_value: Option<Decimal>,
    #[serde(with = "opt_decimal")]
    pub new_value: Option<Decimal>,
    /// new − old, when both have a value.
    #[serde(with = "opt_decimal")]
    pub difference: Option<Decimal>,
    pub old_status: Option<Status>,
    pub new_status: Option<Status>,
    /// The unit of the new KPI, for showing the values.
    #[serde(skip)]
    pub unit: scorecard_model::Unit,
}

type Key = (String, BTreeMap<String, Option<String>>);

/// Compares every result of the KPIs the two scorecards share.
pub fn effect(old: (&Model, &Evaluation), new: (&Model, &Evaluation)) -> Effect {
    let mut compared = 0;
    let mut rows = Vec::new();
    for k in &new.1.kpis {
        let Some(model_kpi) = new.0.kpi(&k.name) else {
            continue;
        };
        let Some(was) = super::pair(old.0, model_kpi) else {
            continue;
        };
        let Some(before) = old.1.kpis.iter().find(|r| r.name == was.name) else {
            continue;
        };
        let by_key = |results: &'_ [Row]| -> BTreeMap<Key, (Option<Decimal>, Status)> {
            results
                .iter()
                .map(|r| {
                    (
                        (r.period.clone(), (*r.segment).clone()),
                        (r.value, r.status),
                    )
                })
                .collect()
        };
        let (a, b) = (by_key(before.results.held()), by_key(k.results.held()));
        let mut keys: Vec<&Key> = a.keys().chain(b.keys()).collect();
        keys.sort_by(|x, y| {
            period_order(new.1, &x.0)
                .cmp(&period_order(new.1, &y.0))
                .then(x.1.cmp(&y.1))
        });
        keys.dedup();
        for key in keys {
            compared += 1;
            let (x, y) = (a.get(key), b.get(key));
            if x == y {
                continue;
            }
            let (old_value, new_value) = (x.and_then(|v| v.0), y.and_then(|v| v.0));
            rows.push(Changed {
                kpi: k.name.clone(),
                renamed_from: (was.name != k.name).then(|| was.name.clone()),
                period: key.0.clone(),
                segment: key.1.clone(),
                old_value,
                new_value,
                difference: match (old_value, new_value) {
                    (Some(o), Some(n)) => n.checked_sub(o),
                    _ => None,
                },
                old_status: x.map(|v| v.1),
                new_status: y.map(|v| v.1),
                unit: k.unit,
            });
        }
    }
    Effect { compared, rows }
}

/// Where a period falls in the new evaluation's order (periods only the old one has go last).
fn period_order(e: &Evaluation, period: &str) -> usize {
    e.periods
        .iter()
        .position(|p| p == period)
        .unwrap_or(usize::MAX)
}
