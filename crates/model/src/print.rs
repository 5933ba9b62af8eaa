//! Owns writing model expressions back as scorecard text, in one canonical form (aggregates spelled
//! out, the fewest parentheses, one space around operators): what `explain` shows and what `diff`
//! compares, so that two files that differ only in layout print the same.

use super::{AggFunc, ArithOp, CmpOp, Expr, Model, RowExpr, Shift, Window};
use rust_decimal::Decimal;

/// How tightly an operator binds; a child binding less tightly than its place needs is parenthesized.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ADD: u8 = 5;
const MUL: u8 = 6;
const NEG: u8 = 7;
const ATOM: u8 = 8;

/// A KPI expression as text, with each aggregate written out: `sum(orders.revenue where region = "EMEA")`.
pub fn expr(model: &Model, e: &Expr) -> String {
    kpi_expr(model, e).0
}

/// One aggregate as text.
pub fn aggregate(model: &Model, index: usize) -> String {
    let Some(a) = model.aggregates.get(index) else {
        return format!("aggregate #{index}");
    };
    let operand = match &a.column {
        Some(c) => format!("{}.{c}", a.dataset),
        None => a.dataset.clone(),
    };
    let extra = match a.func {
        AggFunc::TopShare { fraction } => format!(", {}%", number(fraction * Decimal::ONE_HUNDRED)),
        _ => String::new(),
    };
    let filter = a
        .filter
        .as_ref()
        .map(|f| format!(" where {}", row_expr(f)))
        .unwrap_or_default();
    format!("{}({operand}{extra}{filter})", a.func.name())
}

/// A row filter as text: `channel in ("organic", "direct") and revenue > 0`.
pub fn row_expr(e: &RowExpr) -> String {
    row(e).0
}

fn kpi_expr(model: &Model, e: &Expr) -> (String, u8) {
    scorecard_diagnostic::depth::deep(|| {
        let at = |x: &Expr, min: u8| paren(kpi_expr(model, x), min);
        match e {
            Expr::Number { value } => (number(*value), ATOM),
            Expr::Aggregate { index } => (aggregate(model, *index), ATOM),
            Expr::Kpi { name } | Expr::Parameter { name, .. } => (name.clone(), ATOM),
            Expr::Value => ("value".into(), ATOM),
            Expr::Target => ("target".into(), ATOM),
            Expr::Neg { operand } => (format!("-{}", at(operand, NEG)), NEG),
            Expr::Not { operand } => (format!("not {}", at(operand, NOT)), NOT),
            Expr::Arith { op, left, right } => {
                let p = arith_level(*op);
                // `a - (b - c)` and `a / (b / c)` keep their parentheses; `a + (b + c)` too, so the
                // text always reads back as the same tree.
                let text = format!("{} {} {}", at(left, p), arith(*op), at(right, p + 1));
                (text, p)
            }
            Expr::Compare { op, left, right } => {
                let text = format!("{} {} {}", at(left, CMP + 1), cmp(*op), at(right, CMP + 1));
                (text, CMP)
            }
            Expr::And { left, right } => {
                (format!("{} and {}", at(left, AND), at(right, AND + 1)), AND)
            }
            Expr::Or { left, right } => (format!("{} or {}", at(left, OR), at(right, OR + 1)), OR),
            Expr::If {
                cond,
                then,
                otherwise,
            } => (
                format!(
                    "if({}, {}, {})",
                    expr(model, cond),
                    expr(model, then),
                    expr(model, otherwise)
                ),
                ATOM,
            ),
            Expr::Shift { shift, operand } => {
                let by = match shift {
                    Shift::Periods { n } => n.to_string(),
                    Shift::YearAgo => "same period last year".into(),
                };
                (format!("{}[{by}]", at(operand, ATOM)), ATOM)
            }
            Expr::Window { window, operand } => {
                let inner = expr(model, operand);
                let text = match window {
                    Window::Ytd => format!("ytd({inner})"),
                    Window::Qtd => format!("qtd({inner})"),
                    Window::Mtd => format!("mtd({inner})"),
                    Window::Cumulative => format!("cumulative({inner})"),
                    Window::Rolling { periods } => format!("rolling({inner}, {periods} periods)"),
                };
                (text, ATOM)
            }
            Expr::Clv {
                margin,
                retention,
                discount,
                horizon,
            } => {
                let horizon = horizon
                    .map(|h| format!(", horizon: {h} periods"))
                    .unwrap_or_default();
                let text = format!(
                    "clv({}, {}, {}{horizon})",
                    expr(model, margin),
                    expr(model, retention),
                    expr(model, discount)
                );
                (text, ATOM)
            }
        }
    })
}

fn row(e: &RowExpr) -> (String, u8) {
    scorecard_diagnostic::depth::deep(|| {
        let at = |x: &RowExpr, min: u8| paren(row(x), min);
        match e {
            RowExpr::Column { name } => (name.clone(), ATOM),
            RowExpr::Text { value } => (quoted(value), ATOM),
            RowExpr::Number { value } => (number(*value), ATOM),
            RowExpr::Date { value } => (value.clone(), ATOM),
            RowExpr::Bool { value } => (value.to_string(), ATOM),
            RowExpr::Neg { operand } => (format!("-{}", at(operand, NEG)), NEG),
            RowExpr::Not { operand } => (format!("not {}", at(operand, NOT)), NOT),
            RowExpr::Arith { op, left, right } => {
                let p = arith_level(*op);
                (
                    format!("{} {} {}", at(left, p), arith(*op), at(right, p + 1)),
                    p,
                )
            }
            RowExpr::Compare { op, left, right } => (
                format!("{} {} {}", at(left, CMP + 1), cmp(*op), at(right, CMP + 1)),
                CMP,
            ),
            RowExpr::And { left, right } => {
                (format!("{} and {}", at(left, AND), at(right, AND + 1)), AND)
            }
            RowExpr::Or { left, right } => {
                (format!("{} or {}", at(left, OR), at(right, OR + 1)), OR)
            }
            RowExpr::In { operand, values } => {
                let list: Vec<String> = values.iter().map(row_expr).collect();
                (
                    format!("{} in ({})", at(operand, CMP + 1), list.join(", ")),
                    CMP,
                )
            }
        }
    })
}

fn paren((text, level): (String, u8), min: u8) -> String {
    if level < min {
        format!("({text})")
    } else {
        text
    }
}

fn arith_level(op: ArithOp) -> u8 {
    match op {
        ArithOp::Add | ArithOp::Sub => ADD,
        ArithOp::Mul | ArithOp::Div => MUL,
    }
}

fn arith(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
        ArithOp::Mul => "*",
        ArithOp::Div => "/",
    }
}

/// A comparison as scorecard text: `>=`.
pub fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// A decimal without trailing zeros: `0.95`, `40`.
fn number(v: Decimal) -> String {
    v.normalize().to_string()
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
