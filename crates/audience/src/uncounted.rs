//! Owns what an audience whose small cells are suppressed may not see at all, since no cell of it
//! can be counted: KPIs that take one entity's figure (an extreme, a top share, a view column of
//! one), span a window of periods, are segmented by the counted entity, or read a table that
//! cannot say how many of the counted rows a value stands for; and escalations whose conditions
//! read data other than through a KPI's cells (an aggregate, a window, a shift, an anomaly's
//! history).

use scorecard_model::audience::{Audience, Cell, Suppression};
use scorecard_model::{AggFunc, Condition, Escalation, Expr, Kpi, Model};
use std::collections::BTreeSet;

/// The KPIs of `model` no cell of which can be counted under `a`'s `suppress`; `reads` holds the
/// aggregates each KPI reads, in the model's order.
pub fn kpis(model: &Model, a: &Audience, reads: &[BTreeSet<usize>]) -> BTreeSet<String> {
    let Some(s) = &a.suppress else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for (k, read) in model.kpis.iter().zip(reads) {
        let aggregates: Vec<_> = read
            .iter()
            .filter_map(|i| model.aggregates.get(*i))
            .collect();
        let single = aggregates.iter().any(|x| one_entity(x.func))
            || aggregates.iter().any(|x| view_of_one(model, &x.dataset));
        let uncountable = aggregates
            .iter()
            .any(|x| s.count_for(model, x) == Cell::Uncountable);
        let by_entity = s.count.column.as_ref().is_some_and(|c| k.by.contains(c));
        if single || uncountable || by_entity || windowed(model, k, &mut BTreeSet::new()) {
            out.insert(k.name.clone());
        }
    }
    out
}

/// The escalations whose conditions read data other than the cells of the KPIs they name.
pub fn escalations(model: &Model, s: Option<&Suppression>) -> BTreeSet<String> {
    let Some(s) = s else {
        return BTreeSet::new();
    };
    let beyond = |e: &Escalation| {
        let conditions = std::iter::once(&e.when).chain(e.recover.as_ref());
        conditions.into_iter().any(|c| {
            let mut anomaly = false;
            walk(c, &mut |x| {
                anomaly |= matches!(x, Condition::Anomaly { .. })
            });
            anomaly || c.exprs().into_iter().any(|x| beyond_cells(model, s, x))
        })
    };
    let found = model.escalations.iter().filter(|e| beyond(e));
    found.map(|e| e.name.clone()).collect()
}

/// Calls `f` on a condition and every condition within it.
fn walk(c: &Condition, f: &mut dyn FnMut(&Condition)) {
    f(c);
    for child in c.children() {
        walk(child, f);
    }
}

/// Whether an expression reads the counted data itself (an aggregate made from it) or other
/// periods (a window, a shift), rather than KPIs in the period judged.
fn beyond_cells(model: &Model, s: &Suppression, e: &Expr) -> bool {
    scorecard_diagnostic::depth::deep(|| match e {
        Expr::Aggregate { index } => model
            .aggregates
            .get(*index)
            .is_none_or(|a| s.count_for(model, a) != Cell::Unrelated),
        Expr::Window { .. } | Expr::Shift { .. } | Expr::Clv { .. } => true,
        _ => e.children().into_iter().any(|c| beyond_cells(model, s, c)),
    })
}

/// An aggregate that is one row's figure: an extreme, or a top share.
fn one_entity(func: AggFunc) -> bool {
    matches!(func, AggFunc::Min | AggFunc::Max | AggFunc::TopShare { .. })
}

/// Whether a view's columns take one entity's figure.
fn view_of_one(model: &Model, table: &str) -> bool {
    let Some(v) = model.views.iter().find(|v| v.name == table) else {
        return false;
    };
    let mut read = BTreeSet::new();
    for c in &v.columns {
        scorecard_model::reach(&c.value, &[], &mut read);
    }
    let aggregates = read.iter().filter_map(|i| model.aggregates.get(*i));
    aggregates.map(|x| x.func).any(one_entity)
}

/// Whether a KPI's value spans a window of periods, itself or through the KPIs it names: a
/// window's earlier periods are not counted where it ends, and a window less the periods shown
/// would give them back.
fn windowed<'m>(model: &'m Model, k: &'m Kpi, seen: &mut BTreeSet<&'m str>) -> bool {
    if !seen.insert(&k.name) {
        return false;
    }
    k.values()
        .chain(k.judging())
        .any(|e| window_in(model, e, seen))
}

fn window_in<'m>(model: &'m Model, e: &'m Expr, seen: &mut BTreeSet<&'m str>) -> bool {
    scorecard_diagnostic::depth::deep(|| match e {
        Expr::Window { .. } | Expr::Clv { .. } => true,
        Expr::Kpi { name } => model.kpi(name).is_some_and(|k| windowed(model, k, seen)),
        _ => e.children().into_iter().any(|c| window_in(model, c, seen)),
    })
}
