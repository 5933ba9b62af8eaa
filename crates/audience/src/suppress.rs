//! Owns small-cell suppression: a result whose cell counts fewer rows or entities than the
//! audience's `suppress` rule allows is withheld, and so is a complementary cell where the total
//! and the other segments would give it away by subtraction; then whatever shows a withheld cell
//! (escalation episodes, warnings, roll-up scores, whale curves, attribution credit) is withheld.

use super::redact::{held, withhold};
use super::{AudienceError, View};
use scorecard_model::audience::CELL_GATE;
use scorecard_rules::{Evaluation, Row, Status};
use std::collections::{BTreeMap, BTreeSet};

type Segment = BTreeMap<String, Option<String>>;

pub fn suppress(view: &View, e: &mut Evaluation) -> Result<(), AudienceError> {
    let mut withheld: BTreeSet<(String, String, Segment)> = BTreeSet::new();
    let in_flux = in_flux(view, e);
    for k in &mut e.kpis {
        let rows = held(&view.audience.name, &mut k.results)?;
        for i in cells_to_withhold(rows, !k.by.is_empty(), &in_flux) {
            let r = &mut rows[i];
            blank(r);
            withheld.insert((k.name.clone(), r.period.clone(), (*r.segment).clone()));
        }
        for r in rows.iter_mut() {
            r.unmet.retain(|u| u.gate != CELL_GATE);
        }
    }
    let shows = |kpi: &str, period: &str, segment: &Segment| {
        withheld.contains(&(kpi.to_string(), period.to_string(), segment.clone()))
    };
    // An episode is withheld when a cell its conditions read (`when` and `recover`, every KPI
    // they name) is withheld in any period of it: its raising, escalating or recovering would
    // say something of that cell.
    e.escalations.retain(|x| {
        let declared = view
            .model
            .escalations
            .iter()
            .find(|d| d.name == x.escalation);
        let named = declared.map(|d| d.kpis.as_slice()).unwrap_or_default();
        let watched = x.timeline.iter().any(|t| {
            std::iter::once(&x.kpi)
                .chain(named)
                .any(|k| shows(k, &t.period, &x.segment))
        });
        let evidence = x
            .evidence
            .iter()
            .any(|v| shows(&v.kpi, &v.period, &x.segment));
        // A period before those reported (an episode raised before `--from`) was not judged.
        let unjudged = x
            .timeline
            .iter()
            .map(|t| &t.period)
            .chain(x.evidence.iter().map(|v| &v.period))
            .any(|p| !e.periods.contains(p));
        !watched && !evidence && !unjudged
    });
    e.warnings.retain(|w| !shows(&w.kpi, &w.period, &w.segment));
    // The roll-up reads each KPI's total: a withheld total withholds its objective's score in that
    // period, and the scores above it.
    let mut objectives: BTreeSet<(String, String)> = BTreeSet::new();
    for (kpi, period, segment) in &withheld {
        let objective = view.model.kpi(kpi).and_then(|k| k.objective.clone());
        if let (true, Some(o)) = (segment.is_empty(), objective) {
            objectives.insert((o, period.clone()));
        }
    }
    let mut perspectives: BTreeSet<(String, String)> = BTreeSet::new();
    let mut periods: BTreeSet<String> = BTreeSet::new();
    for o in &mut e.scores.objectives {
        for r in &mut o.results {
            if objectives.contains(&(o.name.clone(), r.period.clone())) {
                withhold(r);
                if let Some(p) = &o.perspective {
                    perspectives.insert((p.clone(), r.period.clone()));
                }
                periods.insert(r.period.clone());
            }
        }
    }
    for p in &mut e.scores.perspectives {
        for r in &mut p.results {
            if perspectives.contains(&(p.name.clone(), r.period.clone())) {
                withhold(r);
            }
        }
    }
    for r in &mut e.scores.overall {
        if periods.contains(&r.period) {
            withhold(r);
        }
    }
    // A whale curve steps from one entity to the next: each step is one of them.
    e.curves.clear();
    // A cohort is a handful of customers in its first periods: its triangle is not counted in
    // cells.
    e.cohorts.clear();
    // Credit by channel is not counted in cells: an audience that must not see individuals is not
    // shown it.
    e.attribution.clear();
    Ok(())
}

/// The rows (by place) to withhold: those whose cell counts fewer than the minimum, and every
/// result of a period the data covers only in part (its figures change as rows arrive, and two
/// runs a day apart subtract to the rows between); then in each period, when the total is shown
/// and exactly one withheld segment holds rows, another segment beside it (or the total, when no
/// other segment has a value): total − the rest would be the one. A withheld segment without rows
/// protects nothing, since another KPI may show it empty.
fn cells_to_withhold(rows: &[Row], segmented: bool, in_flux: &BTreeSet<String>) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    let mut by_period: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_period.entry(r.period.as_str()).or_default().push(i);
    }
    for places in by_period.values() {
        let small = places.iter().copied();
        let partial = |r: &Row| r.partial || in_flux.contains(&r.period);
        out.extend(small.filter(|i| is_small(&rows[*i]) || partial(&rows[*i])));
        if !segmented {
            continue;
        }
        let total = places.iter().copied().find(|i| rows[*i].segment.is_empty());
        let segments: Vec<usize> = places
            .iter()
            .copied()
            .filter(|i| !rows[*i].segment.is_empty())
            .collect();
        let holding = segments
            .iter()
            .filter(|i| out.contains(*i) && holds_rows(&rows[**i]))
            .count();
        let shows = |r: &Row| r.value.is_some() || r.target.is_some();
        let total_shown = total.is_some_and(|t| !out.contains(&t) && shows(&rows[t]));
        if holding != 1 || !total_shown {
            continue;
        }
        // The first other segment that shows a value or a target (which may be the same figure
        // another KPI withholds): any second withheld cell that holds rows leaves the
        // subtraction with two unknowns, and every KPI over the same cells picks the same one.
        let next = segments
            .iter()
            .copied()
            .find(|i| !out.contains(i) && shows(&rows[*i]));
        match (next, total) {
            (Some(i), _) => out.insert(i),
            (None, Some(t)) => out.insert(t),
            (None, None) => false,
        };
    }
    out
}

/// The reported periods some dataset covers only in part: whatever a KPI's value reads, its
/// target or a KPI beside it may read such a dataset, and two runs a day apart subtract.
fn in_flux(view: &View, e: &Evaluation) -> BTreeSet<String> {
    let periods = scorecard_model::calendar::Periods::of(&view.model.header);
    let short: Vec<(i64, i64)> = e
        .coverage
        .values()
        .flat_map(|c| c.starts_short.into_iter().chain(c.ends_short))
        .collect();
    let shown = e.periods.iter();
    shown
        .filter(|label| {
            let p = periods.parse(label);
            p.is_some_and(|p| short.iter().any(|(from, to)| *from <= p && p <= *to))
        })
        .cloned()
        .collect()
}

/// Whether a withheld row's cell holds any row: its count is more than none, or its value is not
/// 0. A row withheld for being partial, with a cell large enough, holds rows.
fn holds_rows(r: &Row) -> bool {
    let counted = match r.unmet.iter().find(|u| u.gate == CELL_GATE) {
        Some(u) => u.left.is_some_and(|n| n > rust_decimal::Decimal::ZERO),
        None => true,
    };
    // The count is the fewest of its aggregates': a value that is not 0 has rows behind it.
    counted || r.value.is_some_and(|v| !v.is_zero())
}

/// Whether a row's cell gate did not hold (fewer than the minimum, or a count that could not be
/// told).
fn is_small(r: &Row) -> bool {
    r.unmet.iter().any(|u| u.gate == CELL_GATE)
}

/// A withheld result: no number, no status but `suppressed`, nothing that could give it away.
fn blank(r: &mut Row) {
    r.value = None;
    r.target = None;
    r.variance = None;
    r.score = None;
    r.status = Status::Suppressed;
    r.bands.clear();
    r.unmet.clear();
    r.window = None;
}
