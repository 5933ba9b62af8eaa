//! Owns a KPI's `requires:` block: named conditions its inputs must meet in a period and segment
//! before it is rated (`responses: count(survey) >= 30`).

use super::expr::Lowering;
use super::model::Gate;
use super::units::Ty;
use scorecard_diagnostic::{Code, Diagnostic};
use scorecard_model::Expr;
use scorecard_syntax::ast::{Entry, Value};

/// Whether `e` reads KPI `name` (directly: what another KPI reads is its own business).
fn reads_kpi(e: &Expr, name: &str) -> bool {
    scorecard_diagnostic::depth::deep(|| match e {
        Expr::Kpi { name: n } => n == name,
        other => other.children().into_iter().any(|c| reads_kpi(c, name)),
    })
}

const EXAMPLE: &str = "write `requires: { responses: count(survey) >= 30  answered: count(survey.satisfaction) / count(survey) >= 95% }`";

/// The gates of KPI `own` in the order written; `None` after reporting an error (every gate is
/// checked).
pub fn read(lw: &mut Lowering, e: &Entry, own: &str) -> Option<Vec<Gate>> {
    let Value::Block(list, _) = &e.value else {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.value.span(),
                "`requires` expects a block of named conditions",
            )
            .label("expected `{ name: condition ... }`")
            .help(EXAMPLE),
        );
        return None;
    };
    if list.is_empty() {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.value.span(),
                "`requires` names no condition",
            )
            .label("empty")
            .help(format!("{EXAMPLE}, or remove `requires`")),
        );
        return None;
    }
    let mut gates: Vec<Gate> = Vec::new();
    let mut ok = true;
    for entry in list {
        match gate(lw, entry, &gates, own) {
            Some(g) => gates.push(g),
            None => ok = false,
        }
    }
    ok.then_some(gates)
}

fn gate(lw: &mut Lowering, entry: &Entry, before: &[Gate], own: &str) -> Option<Gate> {
    let name = &entry.key;
    if name.text.starts_with("__") {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                name.span,
                format!("`{}` cannot name a gate", name.text),
            )
            .label("starts with `__`")
            .help(
                "names starting with `__` are kept for what the scorecard derives; choose another",
            ),
        );
        return None;
    }
    if entry.quoted {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                name.span,
                "a gate's name is written without quotes",
            )
            .label("quoted")
            .help("name it like a scorecard name: letters, digits and `_`"),
        );
        return None;
    }
    if before.iter().any(|g| g.name == name.text) {
        lw.cx.report(
            Diagnostic::error(
                Code::DuplicateKey,
                name.span,
                format!("gate `{}` is written twice", name.text),
            )
            .label("second gate of this name")
            .help("give each condition its own name, or join them with `and`"),
        );
        return None;
    }
    let item = super::entries::expression(lw.cx, entry, "a condition")?;
    let (condition, ty) = lw.lower(item)?;
    if !matches!(ty, Ty::Bool | Ty::Unknown) {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                item.span,
                format!("a gate must be a condition, found {}", ty.describe()),
            )
            .label("expected a condition")
            .help(
                "compare what the KPI reads with the least it needs, such as `count(survey) >= 30`",
            ),
        );
        return None;
    }
    if reads_kpi(&condition, own) {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                item.span,
                format!("a gate of `{own}` reads `{own}` itself"),
            )
            .label("the KPI's own value")
            .help("a gate asks whether the inputs are enough to rate the value, so it cannot read the value: test what the value is made of, such as `count(survey) >= 30`"),
        );
        return None;
    }
    Some(Gate {
        name: name.text.clone(),
        condition,
        text: lw.cx.text(item.span),
    })
}
