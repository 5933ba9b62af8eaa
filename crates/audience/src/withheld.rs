//! Owns what an audience may not see, found from its declaration over the model: the datasets,
//! KPIs, objectives, perspectives and escalations withheld (each hidden, or computed from
//! something hidden), the roll-up scores withheld, and the model pruned of them all.

use scorecard_model::audience::{kpis_named, Audience, HiddenKind, SegmentRule};
use scorecard_model::Model;
use std::collections::BTreeSet;

/// Everything an audience's model leaves out, and the scores it keeps the structure of but not the
/// numbers.
#[derive(Debug, Default, Clone)]
pub struct Withheld {
    /// Tables left out of the model: hidden, or made from what is.
    pub datasets: BTreeSet<String>,
    /// Tables no figure the audience sees may read: those left out, and for an audience kept to
    /// its own segments, those without the segment column (a rule may still read them).
    pub unread: BTreeSet<String>,
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
    /// Cohorts whose triangle is not shown: a KPI withheld reads their table, and the triangle's
    /// cells add up to it.
    pub triangles: BTreeSet<String>,
}

impl Withheld {
    pub fn of(model: &Model, a: &Audience) -> Withheld {
        let hidden = |kind: HiddenKind| -> BTreeSet<String> {
            let named = a.hide.iter().filter(|h| h.kind == kind);
            named.map(|h| h.name.clone()).collect()
        };
        let others = other_segments(model, a);
        let (datasets, unread) = tables(model, a, &others);
        let mut w = Withheld {
            datasets,
            unread,
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
        // The aggregates each KPI's value, target, thresholds and gates read, through the KPIs
        // they name; and the KPIs they name. Walked once, with one `Reach` for all.
        let mut reach = scorecard_model::Reach::new(&model.kpis);
        let reads: Vec<BTreeSet<usize>> = model
            .kpis
            .iter()
            .map(|k| {
                let mut read = BTreeSet::new();
                k.values()
                    .chain(k.judging())
                    .for_each(|e| reach.expr(e, &mut read));
                read
            })
            .collect();
        for (k, read) in model.kpis.iter().zip(&reads) {
            let of_hidden = k
                .objective
                .as_ref()
                .is_some_and(|o| w.objectives.contains(o));
            let of_others = read.iter().any(|i| others.contains(i));
            let tables = read.iter().filter_map(|i| model.aggregates.get(*i));
            let unread = tables.map(|x| &x.dataset).any(|t| w.unread.contains(t));
            if of_hidden || of_others || unread {
                w.kpis.insert(k.name.clone());
            }
        }
        w.kpis.extend(super::uncounted::kpis(model, a, &reads));
        // A KPI computed from a withheld one is withheld: its value could give the other away.
        let named: Vec<BTreeSet<String>> = model
            .kpis
            .iter()
            .map(|k| {
                let mut named = BTreeSet::new();
                k.values()
                    .chain(k.judging())
                    .for_each(|e| kpis_named(e, &mut named));
                named
            })
            .collect();
        loop {
            let before = w.kpis.len();
            for (k, named) in model.kpis.iter().zip(&named) {
                if named.iter().any(|n| w.kpis.contains(n)) {
                    w.kpis.insert(k.name.clone());
                }
            }
            if w.kpis.len() == before {
                break;
            }
        }
        for (k, read) in model.kpis.iter().zip(&reads) {
            if w.kpis.contains(&k.name) {
                let tables = read.iter().filter_map(|i| model.aggregates.get(*i));
                let cohorts = tables.filter(|x| model.cohorts.iter().any(|c| c.name == x.dataset));
                w.triangles.extend(cohorts.map(|x| x.dataset.clone()));
            }
        }
        w.scores(model);
        w.escalations = escalations(model, &w, &others);
        w.escalations
            .extend(super::uncounted::escalations(model, a.suppress.as_ref()));
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
        m.attributions.retain(|r| !self.datasets.contains(&r.name));
        m.allocations.retain(|r| !self.datasets.contains(&r.name));
        m.views.retain(|r| !self.datasets.contains(&r.name));
        m.cohorts.retain(|r| !self.datasets.contains(&r.name));
        // A table no figure may read stays only as a rule's input.
        let inputs = rule_inputs(&m);
        let kept = |name: &String| {
            !self.datasets.contains(name) && (!self.unread.contains(name) || inputs.contains(name))
        };
        m.datasets.retain(|d| kept(&d.name));
        // A check that compares with a table left out cannot run, and is left out with it.
        let names: BTreeSet<String> = m.datasets.iter().map(|d| d.name.clone()).collect();
        for d in &mut m.datasets {
            d.checks.retain(|c| match &c.rule {
                scorecard_model::CheckRule::References { dataset, .. } => names.contains(dataset),
                _ => true,
            });
        }
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

/// The tables withheld, and those no figure may be read from. Left out of the model: those hidden,
/// a table a rule makes with a filter that picks other segments' rows, and every table made from
/// one of them (an allocation's two tables together). Not read by any KPI, besides: for an
/// audience kept to its own segments' rows, every table without the segment column (its
/// figures are over every segment), unless it shares it or it holds exchange rates. A rule may
/// still read such a table: its own table is computed from every row, as for everyone, and then
/// kept to the audience's segments.
fn tables(
    model: &Model,
    a: &Audience,
    others: &BTreeSet<usize>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut out: BTreeSet<String> = a
        .hide
        .iter()
        .filter(|h| h.kind == HiddenKind::Dataset)
        .map(|h| h.name.clone())
        .collect();
    // A rule whose filters pick rows of other segments makes a table of theirs.
    if let Some(rule) = &a.segments {
        let attributions = model.attributions.iter();
        let views = model.views.iter();
        let rules = attributions
            .map(|r| (r.name.clone(), serde_json::to_value(r).ok()))
            .chain(views.map(|r| (r.name.clone(), serde_json::to_value(r).ok())))
            .chain(
                model
                    .allocations
                    .iter()
                    .map(|r| (r.name.clone(), serde_json::to_value(r).ok())),
            )
            .chain(
                model
                    .cohorts
                    .iter()
                    .map(|r| (r.name.clone(), serde_json::to_value(r).ok())),
            );
        for (name, v) in rules {
            if v.is_none_or(|v| names_other_segments(&v, rule)) {
                out.insert(name);
            }
        }
        // A view's columns are aggregates of the model: their filters are there.
        for v in &model.views {
            let mut read = BTreeSet::new();
            v.columns
                .iter()
                .for_each(|c| scorecard_model::reach(&c.value, &[], &mut read));
            if read.iter().any(|i| others.contains(i)) {
                out.insert(v.name.clone());
            }
        }
    }
    loop {
        let before = out.len();
        for d in model.datasets.iter().filter(|d| !d.is_file()) {
            if model
                .made_from(&d.name)
                .iter()
                .any(|t| *t != d.name && out.contains(t))
            {
                out.insert(d.name.clone());
            }
        }
        // An allocation's two tables are one rule's.
        for r in &model.allocations {
            let unused = scorecard_model::unused_table(&r.name);
            if out.contains(&r.name) || out.contains(&unused) {
                out.insert(r.name.clone());
                out.insert(unused);
            }
        }
        if out.len() == before {
            break;
        }
    }
    let mut unread = out.clone();
    if let (Some(rule), false) = (&a.segments, a.totals) {
        let rates: BTreeSet<&str> = model.rates.iter().map(|r| r.dataset.as_str()).collect();
        for d in &model.datasets {
            let kept = d.column(&rule.column).is_some();
            if !kept && !a.share.contains(&d.name) && !rates.contains(d.name.as_str()) {
                unread.insert(d.name.clone());
            }
        }
    }
    (out, unread)
}

/// The escalations that watch or read something withheld.
fn escalations(model: &Model, w: &Withheld, others: &BTreeSet<usize>) -> BTreeSet<String> {
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
        let reads_withheld = tables.map(|a| &a.dataset).any(|d| w.unread.contains(d))
            || read.iter().any(|i| others.contains(i));
        if reads_withheld || named.iter().any(|n| w.kpis.contains(n)) {
            out.insert(e.name.clone());
        }
    }
    out
}

/// The aggregates whose `where` picks rows by the audience's segment column with a value outside
/// its own (`sum(orders.revenue where region = "APAC")`): their figures are another segment's,
/// whatever the rows kept, and their text names it.
fn other_segments(model: &Model, a: &Audience) -> BTreeSet<usize> {
    let Some(rule) = &a.segments else {
        return BTreeSet::new();
    };
    let filtered = model.aggregates.iter().enumerate();
    filtered
        .filter(|(_, agg)| {
            let filter = agg.filter.as_ref().map(serde_json::to_value);
            filter.is_some_and(|f| f.map_or(true, |f| names_other_segments(&f, rule)))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Whether a serialized row expression (or anything holding some) reads the segment column
/// otherwise than comparing it with values the audience may see: `region = "EMEA"` and `region in
/// ("EMEA")` are its own; `region = "APAC"`, `region != "EMEA"` or `region = other_column` are not.
pub(crate) fn names_other_segments(v: &serde_json::Value, rule: &SegmentRule) -> bool {
    use serde_json::Value;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let is_column = |v: &Value| {
        text(v, "kind").as_deref() == Some("column") && text(v, "name") == Some(rule.column.clone())
    };
    let own_text = |v: &Value| {
        text(v, "kind").as_deref() == Some("text")
            && text(v, "value").is_some_and(|t| rule.allows(Some(&t)))
    };
    scorecard_diagnostic::depth::deep(|| match v {
        Value::Object(o) => {
            let kind = text(v, "kind");
            let (left, right) = (o.get("left"), o.get("right"));
            // `not (region = "EMEA")` picks every other segment.
            if kind.as_deref() == Some("not") && o.get("operand").is_some_and(|x| mentions(x, rule))
            {
                return true;
            }
            match (kind.as_deref(), text(v, "op").as_deref()) {
                (Some("compare"), Some("eq")) => {
                    if let (Some(l), Some(r)) = (left, right) {
                        if (is_column(l) && own_text(r)) || (is_column(r) && own_text(l)) {
                            return false;
                        }
                    }
                }
                (Some("in"), _) => {
                    let values = o.get("values").and_then(Value::as_array);
                    if let (Some(x), Some(values)) = (o.get("operand"), values) {
                        if is_column(x) {
                            return !values.iter().all(own_text);
                        }
                    }
                }
                _ => {}
            }
            if is_column(v) {
                return true;
            }
            o.values().any(|x| names_other_segments(x, rule))
        }
        Value::Array(items) => items.iter().any(|x| names_other_segments(x, rule)),
        _ => false,
    })
}

/// The tables the model's rules read.
fn rule_inputs(m: &Model) -> BTreeSet<String> {
    let rules = m.datasets.iter().filter(|d| !d.is_file());
    rules
        .flat_map(|d| m.table_inputs(d))
        .map(str::to_string)
        .collect()
}

/// Whether a serialized row expression reads the segment column at all.
fn mentions(v: &serde_json::Value, rule: &SegmentRule) -> bool {
    use serde_json::Value;
    scorecard_diagnostic::depth::deep(|| match v {
        Value::Object(o) => {
            let column = o.get("kind").and_then(Value::as_str) == Some("column")
                && o.get("name").and_then(Value::as_str) == Some(rule.column.as_str());
            column || o.values().any(|x| mentions(x, rule))
        }
        Value::Array(items) => items.iter().any(|x| mentions(x, rule)),
        _ => false,
    })
}
