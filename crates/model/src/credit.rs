//! Owns the KPIs a report adds to a model: each attribution's credit by what it credits, so that
//! every declared model's split can be shown side by side whether or not a KPI asks for it.

use super::{AggFunc, Aggregate, Expr, Kpi, Model, PlainKpi, Unit};

/// The names of the KPIs `with_credit_kpis` adds start with this (no declared name can).
pub const CREDIT_PREFIX: &str = "__credit_";

impl Model {
    /// A copy with one more KPI per attribution: `attributed(rule)` by the rule's `credit_to`
    /// column, named `__credit_<rule>`, measuring no objective.
    pub fn with_credit_kpis(&self) -> Model {
        let mut model = self.clone();
        for rule in &self.attributions {
            let agg = Aggregate {
                dataset: rule.name.clone(),
                func: AggFunc::Sum,
                column: Some("credit".into()),
                filter: None,
                over_view: false,
                convert: None,
            };
            let index = match model.aggregates.iter().position(|a| *a == agg) {
                Some(i) => i,
                None => {
                    model.aggregates.push(agg);
                    model.aggregates.len() - 1
                }
            };
            model.kpis.push(Kpi::plain(PlainKpi {
                name: format!("{CREDIT_PREFIX}{}", rule.name),
                label: rule.label.clone(),
                value: Expr::Aggregate { index },
                unit: Unit::Money,
                by: vec![rule.credit_to.clone()],
                places: self.header.money_scale,
                scoring: self.header.scoring.clone(),
                line: rule.line,
            }));
        }
        model
    }
}
