//! Owns an escalation's message: its template filled in with the watched KPI's value, target and
//! status in one period and segment, or the default wording when no template is declared.

use super::judge::Point;
use scorecard_model::format::{number, segment_label};
use scorecard_model::{Escalation, Kpi, Part};
use std::collections::BTreeMap;

/// What placeholders stand for.
pub struct Facts<'a> {
    pub kpi: &'a Kpi,
    pub point: Point,
    pub period: &'a str,
    pub segment: &'a BTreeMap<String, Option<String>>,
    pub owner: Option<&'a str>,
}

pub fn render(e: &Escalation, f: &Facts) -> String {
    let fill = |name: &str| -> String {
        match name {
            "kpi" => f.kpi.label.clone().unwrap_or_else(|| f.kpi.name.clone()),
            "value" => number(f.point.value, f.kpi.unit),
            "target" => number(f.point.target, f.kpi.unit),
            "status" => f.point.status.name().to_string(),
            "period" => f.period.to_string(),
            "segment" => segment_label(f.segment),
            "owner" => f.owner.unwrap_or("no owner").to_string(),
            "severity" => e.severity.name().to_string(),
            "escalation" => e.label.clone().unwrap_or_else(|| e.name.clone()),
            // A segment column: its value, or `total` for the escalation of the total.
            column => match f.segment.get(column) {
                Some(v) => scorecard_model::format::segment_value(v.as_deref()),
                None => "total".into(),
            },
        }
    };
    match &e.message {
        Some(t) => t
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(s) => s.clone(),
                Part::Placeholder(name) => fill(name),
            })
            .collect(),
        None => {
            let target = match f.point.target {
                Some(_) => format!(" against target {}", fill("target")),
                None => String::new(),
            };
            let mut s = format!(
                "{}: {} is {}{target} ({}) in {}",
                fill("escalation"),
                fill("kpi"),
                fill("value"),
                fill("status"),
                fill("period")
            );
            if !f.segment.is_empty() {
                s.push_str(&format!(", {}", fill("segment")));
            }
            s
        }
    }
}
