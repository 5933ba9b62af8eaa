//! Owns deciding the aggregate passes: for each dataset and segmentation, the aggregates all KPIs
//! need from it, so that each pass reads the data once however many KPIs use it.

use scorecard_model::{Model, Reach};
use std::collections::{BTreeMap, BTreeSet};

/// One aggregate pass: a dataset grouped by period and these segment columns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pass {
    pub dataset: String,
    pub by: Vec<String>,
    /// For money in the currency each row names: that column, grouped by as well, so that each
    /// currency's totals are converted apart (`fx.rs`) before they are added.
    pub currency: Option<String>,
}

impl Pass {
    /// The pass as a query groups it: by the currency column too, after the segments.
    pub fn grouped(&self) -> Pass {
        let mut by = self.by.clone();
        by.extend(self.currency.clone());
        Pass {
            dataset: self.dataset.clone(),
            by,
            currency: None,
        }
    }
}

/// Every pass with the aggregates (indexes into `Model::aggregates`) it computes, and the datasets
/// whose periods decide which periods are reported (those that KPI values read).
pub fn passes(model: &Model) -> (BTreeMap<Pass, BTreeSet<usize>>, BTreeSet<String>) {
    let mut passes: BTreeMap<Pass, BTreeSet<usize>> = BTreeMap::new();
    let mut value_datasets = BTreeSet::new();
    let mut reach = Reach::new(&model.kpis);
    for k in &model.kpis {
        let mut all = BTreeSet::new();
        let mut of_value = BTreeSet::new();
        for v in k.values() {
            reach.expr(v, &mut of_value);
        }
        all.extend(&of_value);
        for e in k.judging() {
            reach.expr(e, &mut all);
        }
        // The KPIs a test derives from its expressions read data but do not decide which periods
        // are reported: the scorecard's own KPIs do, as in `run`.
        if !k.name.starts_with(scorecard_model::test::DERIVED_PREFIX) {
            value_datasets.extend(
                of_value
                    .iter()
                    .map(|i| model.aggregates[*i].dataset.clone()),
            );
        }
        file(&mut passes, model, &all, &k.by);
    }
    // What escalation conditions read beyond the KPIs they name (`sum(forecast.margin)`), in the
    // total and in the escalation's segments.
    for e in &model.escalations {
        let mut all = BTreeSet::new();
        for c in std::iter::once(&e.when).chain(&e.recover) {
            for x in c.exprs() {
                reach.expr(x, &mut all);
            }
        }
        file(&mut passes, model, &all, &e.by);
    }
    (passes, value_datasets)
}

/// Files each aggregate under its dataset's pass for the total and for the segments `by`.
fn file(
    passes: &mut BTreeMap<Pass, BTreeSet<usize>>,
    model: &Model,
    aggregates: &BTreeSet<usize>,
    by: &[String],
) {
    for segmentation in [Vec::new(), by.to_vec()] {
        for &i in aggregates {
            let currency = match &model.aggregates[i].convert {
                Some(scorecard_model::Conversion {
                    of: scorecard_model::CurrencyOf::Column(c),
                    ..
                }) => Some(c.clone()),
                _ => None,
            };
            let pass = Pass {
                dataset: model.aggregates[i].dataset.clone(),
                by: segmentation.clone(),
                currency,
            };
            passes.entry(pass).or_default().insert(i);
        }
    }
}

/// The datasets that attributions, allocations and views read.
pub fn rule_inputs(model: &Model) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for a in &model.attributions {
        out.insert(a.touches.as_str());
        out.insert(a.conversions.as_str());
    }
    for a in &model.allocations {
        out.insert(a.capacity.as_str());
        out.insert(a.activity.as_str());
    }
    for v in &model.views {
        out.extend(view_inputs(model, v));
    }
    for c in &model.cohorts {
        out.insert(c.activity.as_str());
        out.insert(c.start.as_str());
    }
    out
}

/// The datasets a view's columns aggregate.
pub fn view_inputs<'m>(model: &'m Model, v: &scorecard_model::View) -> BTreeSet<&'m str> {
    model.view_inputs(v)
}
