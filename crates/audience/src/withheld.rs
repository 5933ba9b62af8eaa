//! Owns what an audience may not see, found from its declaration over the model: the datasets,
//! KPIs, objectives, perspectives and escalations withheld (each hidden, or computed from
//! something hidden), the roll-up scores withheld, and the model pruned of them all.

use scorecard_model::audience::{kpis_named, Audience, HiddenKind};
use scorecard_model::Model;
use std::collections::BTreeSet;

/// Everything an audience's model leaves out, and the scores it keeps the structure of but not the
/// numbers.
#[derive(Debug, Default, Clone)]
pub struct Withheld {
    pub datasets: BTreeSet<String>,
    pub kpis: BTreeSet<String>,
    /// Objectives and perspectives left out of the structure (hidden, or in a hidden perspective).
    pub objectives: BTreeSet<String>,
    pub perspectives: BTreeSet<String>,
    /// Objectives and perspectives shown without scores: a KPI or objective they are computed
    /// from is withheld.
    pub objective_scores: BTreeSet<String>,
    pub perspective_scores: BTreeSet<String>,
    /// The overall score is computed from a perspective withheld or shown without scores.
    pub overall: bool,
    pub escalations: BTreeSet<String>,
}

impl Withheld {
    pub fn of(model: &Model, a: &Audience) -> Withheld {
        let hidden = |kind: HiddenKind| -> BTreeSet<String> {
            let named = a.hide.iter().filter(|h| h.kind == kind);
            named.map(|h| h.name.clone()).collect()
        };
        let mut w = Withheld {
            datasets: datasets(model, a),
            perspectives: hidden(HiddenKind::Perspective),
            ..Withheld::default()
        };
        w.objectives = hidden(HiddenKind::Objective);
        let in_hidden = model
            .objectives
            .iter()
            .filter(|o| w.perspectives.contains(&o.perspective));
        w.objectives.extend(in_hidden.map(|o| o.name.clone()));
        w.kpis = hidden(HiddenKind::Kpi);
        for k in &model.kpis {
            let of_hidden = k
                .objective
                .as_ref()
                .is_some_and(|o| w.objectives.contains(o));
            let reads = model.tables_read_by(k);
            if of_hidden || reads.iter().any(|t| w.datasets.contains(t)) {
                w.kpis.insert(k.name.clone());
            }
        }
        // A KPI computed from a withheld one is withheld: its value could give the other away.
        loop {
            let before = w.kpis.len();
            for k in &model.kpis {
                let mut named = BTreeSet::new();
                k.values()
                    .chain(k.judging())
                    .for_each(|e| kpis_named(e, &mut named));
                if named.iter().any(|n| w.kpis.contains(n)) {
                    w.kpis.insert(k.name.clone());
                }
            }
            if w.kpis.len() == before {
                break;
            }
        }
        w.scores(model);
        w.escalations = escalations(model, &w);
        w
    }

    /// The roll-up scores computed from something withheld.
    fn scores(&mut self, model: &Model) {
        for k in model.kpis.iter().filter(|k| self.kpis.contains(&k.name)) {
            if let Some(o) = k
                .objective
                .as_ref()
                .filter(|o| !self.objectives.contains(*o))
            {
                self.objective_scores.insert(o.clone());
            }
        }
        for o in &model.objectives {
            let lost = self.objectives.contains(&o.name) || self.objective_scores.contains(&o.name);
            if lost && !self.perspectives.contains(&o.perspective) {
                self.perspective_scores.insert(o.perspective.clone());
            }
        }
        self.overall = !self.perspectives.is_empty() || !self.perspective_scores.is_empty();
    }

    /// The model the audience is shown: everything withheld left out, and references to what is
    /// left out dropped.
    pub fn prune(&self, model: &Model) -> Model {
        let mut m = model.clone();
        m.kpi_index = Default::default();
        m.datasets.retain(|d| !self.datasets.contains(&d.name));
        m.attributions.retain(|r| !self.datasets.contains(&r.name));
        m.allocations.retain(|r| !self.datasets.contains(&r.name));
        m.views.retain(|r| !self.datasets.contains(&r.name));
        m.kpis.retain(|k| !self.kpis.contains(&k.name));
        for k in &mut m.kpis {
            if k.objective
                .as_ref()
                .is_some_and(|o| self.objectives.contains(o))
            {
                k.objective = None;
            }
        }
        m.objectives.retain(|o| !self.objectives.contains(&o.name));
        for o in &mut m.objectives {
            o.drives.retain(|d| !self.objectives.contains(d));
        }
        m.perspectives
            .retain(|p| !self.perspectives.contains(&p.name));
        m.escalations
            .retain(|e| !self.escalations.contains(&e.name));
        // Tests are `scorecard test`'s, over the whole scorecard: no audience runs them. The
        // audiences' own rules name what they hide, so no audience is shown them (a diff of its
        // view compares none).
        m.tests.clear();
        m.audiences.clear();
        m
    }
}

/// The datasets withheld: those hidden; for an audience kept to its own segments' rows, those read
/// from a source without the segment column (their figures are over every segment), unless it
/// shares them or they hold exchange rates; and every table a rule makes from one of them.
fn datasets(model: &Model, a: &Audience) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = a
        .hide
        .iter()
        .filter(|h| h.kind == HiddenKind::Dataset)
        .map(|h| h.name.clone())
        .collect();
    if let (Some(rule), false) = (&a.segments, a.totals) {
        let rates: BTreeSet<&str> = model.rates.iter().map(|r| r.dataset.as_str()).collect();
        for d in model.datasets.iter().filter(|d| d.is_file()) {
            let kept = d.column(&rule.column).is_some();
            if !kept && !a.share.contains(&d.name) && !rates.contains(d.name.as_str()) {
                out.insert(d.name.clone());
            }
        }
    }
    for d in model.datasets.iter().filter(|d| !d.is_file()) {
        if model.made_from(&d.name).iter().any(|t| out.contains(t)) {
            out.insert(d.name.clone());
        }
    }
    out
}

/// The escalations that watch or read something withheld.
fn escalations(model: &Model, w: &Withheld) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut reach = scorecard_model::Reach::new(&model.kpis);
    for e in &model.escalations {
        let mut named: BTreeSet<String> = e.kpis.iter().cloned().collect();
        named.insert(e.subject.clone());
        let mut read = BTreeSet::new();
        let conditions = std::iter::once(&e.when).chain(e.recover.as_ref());
        for x in conditions.flat_map(|c| c.exprs()) {
            kpis_named(x, &mut named);
            reach.expr(x, &mut read);
        }
        let tables = read.iter().filter_map(|i| model.aggregates.get(*i));
        let reads_withheld = tables.map(|a| &a.dataset).any(|d| w.datasets.contains(d));
        if reads_withheld || named.iter().any(|n| w.kpis.contains(n)) {
            out.insert(e.name.clone());
        }
    }
    out
}
