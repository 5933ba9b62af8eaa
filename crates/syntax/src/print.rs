//! Owns printing a syntax tree as an indented S-expression: what parse snapshots show.

use super::ast::*;
use std::fmt::Write;

pub fn print(file: &File) -> String {
    let mut out = String::new();
    for d in &file.declarations {
        if let Some(doc) = &d.doc {
            let _ = writeln!(out, "(doc {doc:?})");
        }
        let label = d
            .label
            .as_ref()
            .map(|l| format!(" {:?}", l.text))
            .unwrap_or_default();
        let _ = writeln!(out, "({} {}{}", d.keyword.text, d.name.text, label);
        entries(&mut out, &d.entries, 1);
        out.push_str(")\n");
    }
    out
}

fn entries(out: &mut String, list: &[Entry], depth: usize) {
    let pad = "  ".repeat(depth);
    for e in list {
        if let Some(doc) = &e.doc {
            let _ = writeln!(out, "{pad}(doc {doc:?})");
        }
        let key = if e.quoted {
            format!("{:?}", e.key.text)
        } else {
            e.key.text.clone()
        };
        match &e.value {
            Value::Block(inner, _) => {
                let _ = writeln!(out, "{pad}({key}");
                entries(out, inner, depth + 1);
                let _ = writeln!(out, "{pad})");
            }
            Value::Items(items, _) => {
                let shown: Vec<String> = items.iter().map(item).collect();
                let _ = writeln!(out, "{pad}({key} {})", shown.join(" "));
            }
        }
    }
}

fn item(i: &Item) -> String {
    if i.modifiers.is_empty() {
        return expr(&i.expr);
    }
    let mods: Vec<&str> = i.modifiers.iter().map(|m| m.text.as_str()).collect();
    format!("({} +{})", expr(&i.expr), mods.join(" +"))
}

pub fn expr(e: &Expr) -> String {
    scorecard_diagnostic::depth::deep(|| match &e.kind {
        ExprKind::Number(n) => n.clone(),
        ExprKind::Percent(p) => format!("{p}%"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Date(d) => format!("#{d}"),
        ExprKind::Period(p) => format!("#{p}"),
        ExprKind::Raised {
            escalation,
            segment,
            negated,
            period,
        } => {
            let seg: Vec<String> = segment.iter().map(expr).collect();
            let not = if *negated { "not " } else { "" };
            format!(
                "(escalation {}[{}] {not}raised in {})",
                escalation.text,
                seg.join(" "),
                expr(period)
            )
        }
        ExprKind::Path(parts) => parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Call { name, args } => {
            let mut s = format!("({}", name.text);
            for a in args {
                s.push(' ');
                if let Some(n) = &a.name {
                    let _ = write!(s, "{}:", n.text);
                }
                s.push_str(&expr(&a.value));
                if let Some(f) = &a.filter {
                    let _ = write!(s, " where {}", expr(f));
                }
            }
            s.push(')');
            s
        }
        ExprKind::List(items) => {
            format!("[{}]", items.iter().map(expr).collect::<Vec<_>>().join(" "))
        }
        ExprKind::Unary { op, operand } => {
            let op = if *op == UnaryOp::Neg { "neg" } else { "not" };
            format!("({op} {})", expr(operand))
        }
        ExprKind::Binary { op, left, right } => {
            format!("({} {} {})", op.symbol(), expr(left), expr(right))
        }
        ExprKind::Index { target, index } => format!("(at {} {})", expr(target), expr(index)),
        ExprKind::SamePeriodLastYear => "same_period_last_year".into(),
        ExprKind::Duration { count, unit } => format!("({count} {})", unit.text),
        ExprKind::Points(n) => format!("({n} points)"),
        ExprKind::StatusTest {
            subject,
            negated,
            status,
            window,
        } => {
            let not = if *negated { "not " } else { "" };
            let window = match window {
                None => String::new(),
                Some(StatusWindow::For { length }) => format!(" for {}", expr(length)),
                Some(StatusWindow::InLast { count, length }) => {
                    format!(" in {} of last {}", count.text, expr(length))
                }
            };
            format!("(is {} {not}{}{window})", expr(subject), status.text)
        }
        ExprKind::Deviates {
            left,
            right,
            tolerance,
        } => format!(
            "(deviates {} {} {})",
            expr(left),
            expr(right),
            expr(tolerance)
        ),
    })
}
