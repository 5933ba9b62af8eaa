//! Owns the KPIs a report adds to a model: each attribution's credit by what it credits, so that
//! every declared model's split can be shown side by side whether or not a KPI asks for it.

use super::{
    AggFunc, Aggregate, Better, Dated, Expr, Kpi, Missing, Model, RoundMode, Rounding, Unit, Weight,
};
use rust_decimal::Decimal;

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
            };
            let index = match model.aggregates.iter().position(|a| *a == agg) {
                Some(i) => i,
                None => {
                    model.aggregates.push(agg);
                    model.aggregates.len() - 1
                }
            };
            model.kpis.push(Kpi {
                name: format!("{CREDIT_PREFIX}{}", rule.name),
                label: rule.label.clone(),
                doc: None,
                owner: None,
                objective: None,
                weight: Weight::fixed(Decimal::ONE),
                scoring: self.header.scoring.clone(),
                unit: Unit::Money,
                value: Expr::Aggregate { index },
                effective: None,
                previously: Vec::new(),
                renamed_from: Vec::new(),
                target: Dated::always(None),
                better: Better::Higher,
                thresholds: Dated::always(None),
                by: vec![rule.credit_to.clone()],
                rounding: Rounding {
                    places: self.header.money_scale,
                    mode: RoundMode::HalfEven,
                },
                missing: Missing::NotEvaluated,
                line: rule.line,
            });
        }
        model
    }
}
