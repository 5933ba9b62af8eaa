//! Owns withholding from an audience's evaluation what it may not see after evaluating: the
//! segments outside its own when it sees totals over all, the roll-up scores computed from what
//! it may not see, the lines of rows that failed a check, and (through `suppress`) small cells.

use super::{AudienceError, View};
use scorecard_rules::rollup::PeriodScore;
use scorecard_rules::Evaluation;
use std::collections::BTreeMap;

pub fn redact(view: &View, e: &mut Evaluation) -> Result<(), AudienceError> {
    let a = &view.audience;
    e.manifest.audience = Some(view.shown());
    if let Some(rule) = a.segments.as_ref().filter(|_| a.totals) {
        let outside = |segment: &BTreeMap<String, Option<String>>| {
            segment
                .get(&rule.column)
                .is_some_and(|v| !rule.allows(v.as_deref()))
        };
        for k in e.kpis.iter_mut().chain(e.attribution.iter_mut()) {
            held(&view.audience.name, &mut k.results)?.retain(|r| !outside(&r.segment));
        }
        e.escalations.retain(|x| !outside(&x.segment));
        e.warnings.retain(|w| !outside(&w.segment));
    }
    // A check of the segment column names its values as written (`accepted(region, [...])`).
    if let Some(rule) = &a.segments {
        e.checks
            .retain(|c| !checks_column(view, (&c.dataset, &c.check), &rule.column));
    }
    // Kept to its own segments: what is over every segment's rows is left out. A table it may
    // not read is in the model only for a rule (its coverage and checks are the company's);
    // rules make their tables from every row, so their notes and a view's whale curve are over
    // every segment.
    if a.segments.is_some() && !a.totals {
        let unread = &view.withheld.unread;
        e.checks.retain(|c| !unread.contains(&c.dataset));
        e.coverage.retain(|d, _| !unread.contains(d));
        let rules: Vec<&str> = view
            .model
            .datasets
            .iter()
            .filter(|d| !d.is_file())
            .map(|d| d.name.as_str())
            .collect();
        e.warnings.retain(|w| !rules.contains(&w.kpi.as_str()));
        e.curves.clear();
    }
    if !a.rows {
        for c in &mut e.checks {
            c.lines.clear();
        }
    }
    let w = &view.withheld;
    for o in &mut e.scores.objectives {
        if w.objective_scores.contains(&o.name) {
            o.results.iter_mut().for_each(withhold);
        }
    }
    for p in &mut e.scores.perspectives {
        if w.perspective_scores.contains(&p.name) {
            p.results.iter_mut().for_each(withhold);
        }
    }
    if w.overall {
        e.scores.overall.iter_mut().for_each(withhold);
    }
    if a.suppress.is_some() {
        super::suppress::suppress(view, e)?;
    }
    Ok(())
}

/// A score the audience may not see: no number, and marked so.
pub(crate) fn withhold(s: &mut PeriodScore) {
    s.score = None;
    s.withheld = true;
}

/// A KPI's rows, held in memory (an audience's evaluation is never spilled to disk).
pub(crate) fn held<'r>(
    audience: &str,
    results: &'r mut scorecard_rules::Results,
) -> Result<&'r mut Vec<scorecard_rules::Row>, AudienceError> {
    results
        .held_mut()
        .ok_or_else(|| AudienceError::RowsWithheld {
            audience: audience.to_string(),
            why: "the results were kept on disk, where they cannot be redacted".to_string(),
            help: "run without `--memory-limit`, or with a larger one".to_string(),
        })
}

/// Whether a dataset check reads `column` (or cannot be told not to).
fn checks_column(view: &View, (dataset, name): (&str, &str), column: &str) -> bool {
    let declared = view.model.dataset(dataset);
    let check = declared.and_then(|d| d.checks.iter().find(|x| x.name == name));
    let Some(rule) = check.and_then(|x| serde_json::to_value(&x.rule).ok()) else {
        return true;
    };
    let named = |key: &str| match rule.get(key) {
        Some(serde_json::Value::String(s)) => s == column,
        Some(serde_json::Value::Array(list)) => list.iter().any(|s| s.as_str() == Some(column)),
        _ => false,
    };
    named("column") || named("columns")
}
