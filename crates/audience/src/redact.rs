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
        // Totals are figures over every segment together; a breakdown by another column (a
        // customer, a channel) may lie within a segment it may not see.
        let outside = |segment: &BTreeMap<String, Option<String>>| match segment.get(&rule.column) {
            Some(v) => !rule.allows(v.as_deref()),
            None => !segment.is_empty(),
        };
        for k in e.kpis.iter_mut().chain(e.attribution.iter_mut()) {
            held(&view.audience.name, &mut k.results)?.retain(|r| !outside(&r.segment));
        }
        e.escalations.retain(|x| !outside(&x.segment));
        e.warnings.retain(|w| !outside(&w.segment));
    }
    e.checks.retain(|c| view.shows_check(&c.dataset, &c.check));
    // Kept to its own segments: what is over every segment's rows is left out. A table it may
    // not read is in the model only for a rule (its coverage and checks are the company's);
    // rules make their tables from every row, so their notes and a view's whale curve are over
    // every segment.
    if a.segments.is_some() && !a.totals {
        let unread = &view.withheld.unread;
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
        // A triangle is the whole company's customers, cohort by cohort.
        e.cohorts.clear();
    }
    // A cohort's triangle adds up to the KPIs over its table: not shown beside one withheld.
    e.cohorts
        .retain(|t| !view.withheld.triangles.contains(&t.cohort));
    if !view.shows_check_lines() {
        for c in &mut e.checks {
            c.lines.clear();
        }
    }
    // A failed check's warning says what its entry says, as redacted; none for a check left out.
    let failed: Vec<(String, String)> = e
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| (format!("{}.{} (", c.dataset, c.check), c.shown()))
        .collect();
    let check_failed = scorecard_diagnostic::Code::CheckFailed.as_str();
    e.warnings.retain_mut(|w| {
        if w.code != check_failed {
            return true;
        }
        let found = failed
            .iter()
            .find(|(start, _)| w.message.starts_with(start));
        found.map(|(_, now)| w.message = now.clone()).is_some()
    });
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
    // A cohort's warnings are about its customers' rows: shown only beside its triangle.
    let shown: Vec<String> = e.cohorts.iter().map(|t| t.cohort.clone()).collect();
    let cohorts = &view.model.cohorts;
    e.warnings
        .retain(|w| !cohorts.iter().any(|c| c.name == w.kpi) || shown.contains(&w.kpi));
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
