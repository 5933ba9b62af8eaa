//! Owns lowering an escalation's `when` and `recover`: status tests over a KPI's series, comparisons,
//! `deviates from`, `anomaly(...)`, joined by `and`, `or` and `not`.

use super::super::entries;
use super::super::expr::Lowering;
use super::super::model::{Condition, Expr, Kpi, Rag, Tolerance};
use super::super::thresholds;
use super::super::units::{self, Ty};
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::{self, BinaryOp, Entry, ExprKind, StatusWindow, UnaryOp};

/// The condition of a `when` or `recover` entry.
pub fn entry(lw: &mut Lowering, e: &Entry, kpis: &[Kpi]) -> Option<Condition> {
    let expr = entries::expression(lw.cx, e, "a condition")?;
    lower(lw, expr, kpis)
}

/// The KPIs a condition names, in the order written, each once.
pub fn kpis_named(c: &Condition, out: &mut Vec<String>) {
    let mut add = |name: &str| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    };
    match c {
        Condition::Status { kpi, .. } => add(kpi),
        Condition::Compare { left, right, .. } | Condition::Deviates { left, right, .. } => {
            let mut names = Vec::new();
            expr_kpis(left, &mut names);
            expr_kpis(right, &mut names);
            names.iter().for_each(|n| add(n));
        }
        Condition::Anomaly { operand, .. } => {
            let mut names = Vec::new();
            expr_kpis(operand, &mut names);
            names.iter().for_each(|n| add(n));
        }
        Condition::And { left, right } | Condition::Or { left, right } => {
            kpis_named(left, out);
            kpis_named(right, out);
        }
        Condition::Not { operand } => kpis_named(operand, out),
    }
}

fn expr_kpis(e: &Expr, out: &mut Vec<String>) {
    scorecard_diagnostic::depth::deep(|| {
        if let Expr::Kpi { name } = e {
            out.push(name.clone());
        }
        e.children().into_iter().for_each(|c| expr_kpis(c, out));
    })
}

fn lower(lw: &mut Lowering, e: &ast::Expr, kpis: &[Kpi]) -> Option<Condition> {
    scorecard_diagnostic::depth::deep(|| match &e.kind {
        ExprKind::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            left,
            right,
        } => {
            let l = lower(lw, left, kpis);
            let r = lower(lw, right, kpis);
            let (left, right) = (Box::new(l?), Box::new(r?));
            Some(if *op == BinaryOp::And {
                Condition::And { left, right }
            } else {
                Condition::Or { left, right }
            })
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => Some(Condition::Not {
            operand: Box::new(lower(lw, operand, kpis)?),
        }),
        ExprKind::StatusTest {
            subject,
            negated,
            status,
            window,
        } => status_test(
            lw,
            e.span,
            (subject, *negated, status, window.as_ref()),
            kpis,
        ),
        ExprKind::Deviates {
            left,
            right,
            tolerance,
        } => deviates(lw, e.span, left, right, tolerance),
        ExprKind::Call { name, args } if name.text == "anomaly" => anomaly(lw, e.span, args),
        _ => {
            let (x, ty) = lw.lower(e)?;
            match x {
                Expr::Compare { op, left, right } => Some(Condition::Compare {
                    op,
                    left: *left,
                    right: *right,
                    text: lw.cx.text(e.span),
                }),
                _ => {
                    lw.cx.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            e.span,
                            format!("expected a condition, found {}", ty.describe()),
                        )
                        .label("this is a value")
                        .help("compare it (`net_revenue < sum(budget.revenue)`) or test its status (`net_revenue is red for 2 periods`)"),
                    );
                    None
                }
            }
        }
    })
}

type Test<'a> = (
    &'a ast::Expr,
    bool,
    &'a ast::Ident,
    Option<&'a StatusWindow>,
);

/// `kpi is [not] status [for N periods | in N of the last M periods]`
fn status_test(
    lw: &mut Lowering,
    span: Span,
    (subject, negated, status, window): Test,
    kpis: &[Kpi],
) -> Option<Condition> {
    let name = match &subject.kind {
        ExprKind::Path(p) if p.len() == 1 => &p[0],
        _ => {
            lw.cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    subject.span,
                    "a status test reads a KPI by its name",
                )
                .label("not a KPI name")
                .help("write `net_revenue is red for 2 periods`; to test a value, compare it: `change(net_revenue) < -10%`"),
            );
            return None;
        }
    };
    let insufficient = status.text == scorecard_syntax::INSUFFICIENT_DATA;
    let wanted = match insufficient {
        true => None,
        false => thresholds::status_word(lw.cx, status, Code::InvalidValue),
    };
    let lengths = match window {
        None => Some((1, 1)),
        Some(StatusWindow::For { length }) => lw.window_length(length).map(|n| (n, n)),
        Some(StatusWindow::InLast { count, length }) => {
            let of = lw.window_length(length);
            let at_least = count.text.parse::<i64>().ok();
            match (at_least, of) {
                (Some(n), Some(m)) if n >= 1 && n <= m => Some((n, m)),
                (n, Some(m)) => {
                    let why = match n {
                        Some(0) => "holds in every period".to_string(),
                        _ => format!("can never hold: there are only {m} periods to count"),
                    };
                    lw.cx.report(
                        Diagnostic::error(
                            Code::ImpossibleWindow,
                            count.span,
                            format!("`{} of the last {m}` {why}", count.text),
                        )
                        .label(format!("expected 1 to {m}"))
                        .help("count at least one period and no more than the window holds, as in `2 of the last 3 periods`"),
                    );
                    None
                }
                _ => None,
            }
        }
    };
    let kpi = match kpis.iter().find(|k| k.name == name.text) {
        Some(k) => k,
        None => {
            // A KPI that failed its own check has been reported already.
            if !lw.scope.kpis.contains_key(&name.text) && !lw.cx.is_broken(&name.text) {
                lw.cx.report(
                    Diagnostic::error(
                        Code::UnknownKpi,
                        name.span,
                        format!("no KPI is named `{}`", name.text),
                    )
                    .label("unknown KPI")
                    .maybe_help(did_you_mean(
                        &name.text,
                        lw.scope.kpis.keys().map(String::as_str),
                    )),
                );
            }
            return None;
        }
    };
    if insufficient {
        let (at_least, of) = lengths?;
        return insufficient_test(lw, span, kpi, negated, (at_least, of), name.span);
    }
    let rated = kpi.thresholds.all().any(|t| !t.is_empty())
        || kpi.target.all().next().is_some()
        || matches!(kpi.better, super::super::model::Better::Within { .. });
    if !rated {
        lw.cx.report(
            Diagnostic::error(
                Code::NoStatus,
                name.span,
                format!(
                    "kpi `{}` has no thresholds or target, so it has no status",
                    kpi.name
                ),
            )
            .label("never green, amber or red")
            .help(format!(
                "give `{}` a `target` or `thresholds`, or compare its value instead",
                kpi.name
            )),
        );
        return None;
    }
    let wanted = wanted?;
    let (at_least, of) = lengths?;
    let statuses = if negated {
        [Rag::Green, Rag::Amber, Rag::Red]
            .into_iter()
            .filter(|s| *s != wanted)
            .collect()
    } else {
        vec![wanted]
    };
    Some(Condition::Status {
        kpi: kpi.name.clone(),
        statuses,
        insufficient: false,
        at_least,
        of,
        text: lw.cx.text(span),
    })
}

/// `kpi is [not] insufficient data ...`: of a KPI with gates (`requires:`), which alone can fail
/// them.
fn insufficient_test(
    lw: &mut Lowering,
    span: Span,
    kpi: &Kpi,
    negated: bool,
    (at_least, of): (i64, i64),
    name: Span,
) -> Option<Condition> {
    if kpi.requires.is_empty() {
        lw.cx.report(
            Diagnostic::error(
                Code::NoStatus,
                name,
                format!(
                    "kpi `{}` has no `requires`, so it is never insufficient data",
                    kpi.name
                ),
            )
            .label("no gates")
            .help(format!(
                "give `{}` the conditions its inputs must meet, as in `requires: {{ responses: count(survey) >= 30 }}`",
                kpi.name
            )),
        );
        return None;
    }
    if negated {
        lw.cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                "`is not insufficient data` cannot be tested",
            )
            .label("negated")
            .help("test the statuses it should have instead (`is not red`), or `not (x is insufficient data)`"),
        );
        return None;
    }
    Some(Condition::Status {
        kpi: kpi.name.clone(),
        statuses: Vec::new(),
        insufficient: true,
        at_least,
        of,
        text: lw.cx.text(span),
    })
}

/// `left deviates from right by more than 5%` (relative), `5 points` or an amount (absolute).
fn deviates(
    lw: &mut Lowering,
    span: Span,
    left: &ast::Expr,
    right: &ast::Expr,
    tolerance: &ast::Expr,
) -> Option<Condition> {
    let l = number(lw, left);
    let r = number(lw, right);
    let ((lx, lt), (rx, rt)) = (l?, r?);
    let Some(ty) = units::same(lt, rt) else {
        lw.cx.report(
            Diagnostic::error(
                Code::UnitMismatch,
                right.span,
                format!("cannot compare {} with {}", lt.describe(), rt.describe()),
            )
            .label(format!("this is {}", rt.describe()))
            .related(left.span, format!("this is {}", lt.describe()))
            .help("both sides must be money, or both ratios and numbers"),
        );
        return None;
    };
    let tolerance = match &tolerance.kind {
        ExprKind::Percent(p) => {
            Tolerance::Relative(lw.literal(p, tolerance.span)? / Decimal::ONE_HUNDRED)
        }
        ExprKind::Points(p) => {
            if ty.money().is_some_and(|m| m != 0) {
                lw.cx.report(
                    Diagnostic::error(
                        Code::UnitMismatch,
                        tolerance.span,
                        format!(
                            "points are percentage points, but these values are {}",
                            ty.describe()
                        ),
                    )
                    .label("only for percents and ratios")
                    .help("write a share of the other side (`5%`) or an amount (`1000`)"),
                );
                return None;
            }
            Tolerance::Absolute(lw.literal(p, tolerance.span)? / Decimal::ONE_HUNDRED)
        }
        ExprKind::Number(n) => Tolerance::Absolute(lw.literal(n, tolerance.span)?),
        _ => return None,
    };
    Some(Condition::Deviates {
        left: lx,
        right: rx,
        tolerance,
        text: lw.cx.text(span),
    })
}

/// `anomaly(x, window: 12 periods, z: 3)`
fn anomaly(lw: &mut Lowering, span: Span, args: &[ast::Arg]) -> Option<Condition> {
    let usage = "for example `anomaly(net_revenue, window: 12 periods, z: 3)`";
    let mut operand = None;
    let mut window = None;
    let mut z = None;
    let mut ok = true;
    for a in args {
        let wrong = |lw: &mut Lowering, span: Span, message: String| {
            lw.cx.report(
                Diagnostic::error(Code::WrongArguments, span, message)
                    .label("not an argument of `anomaly`")
                    .help(usage),
            );
        };
        if a.filter.is_some() {
            wrong(lw, a.span, "`anomaly` takes no `where`".into());
            ok = false;
            continue;
        }
        match a.name.as_ref().map(|n| n.text.as_str()) {
            None if operand.is_none() => operand = Some(number(lw, &a.value)),
            Some("window") if window.is_none() => {
                window = Some(lw.window_length(&a.value).and_then(|n| {
                    if n >= 2 {
                        return Some(n);
                    }
                    lw.cx.report(
                        Diagnostic::error(
                            Code::ImpossibleWindow,
                            a.value.span,
                            "an anomaly needs a window of at least 2 periods",
                        )
                        .label("one period has no spread")
                        .help("the z-score compares a value with the mean and standard deviation of the periods before it; use 12 periods or more for monthly data"),
                    );
                    None
                }))
            }
            Some("z") if z.is_none() => z = Some(z_score(lw, &a.value)),
            Some(other) => {
                wrong(lw, a.span, format!("unexpected argument `{other}`"));
                ok = false;
            }
            None => {
                wrong(lw, a.span, "`anomaly` takes one value".into());
                ok = false;
            }
        }
    }
    let Some(operand) = operand else {
        lw.cx.report(
            Diagnostic::error(
                Code::WrongArguments,
                span,
                "`anomaly` needs the value to watch",
            )
            .label("no value")
            .help(usage),
        );
        return None;
    };
    let Some(window) = window else {
        lw.cx.report(
            Diagnostic::error(Code::WrongArguments, span, "`anomaly` needs a `window`")
                .label("no window")
                .help(usage),
        );
        return None;
    };
    let (operand, _) = operand?;
    let z = match z {
        Some(z) => z?,
        None => Decimal::from(3),
    };
    ok.then_some(Condition::Anomaly {
        operand,
        window: window?,
        z,
        text: lw.cx.text(span),
    })
}

fn z_score(lw: &mut Lowering, e: &ast::Expr) -> Option<Decimal> {
    let z = match &e.kind {
        ExprKind::Number(n) => lw.literal(n, e.span)?,
        _ => Decimal::ZERO,
    };
    if z > Decimal::ZERO {
        return Some(z);
    }
    lw.cx.report(
        Diagnostic::error(Code::InvalidValue, e.span, "`z` is a number of standard deviations above 0")
            .label("expected a positive number")
            .help("3 is usual: a value that far from the mean happens by chance about once in 370 periods"),
    );
    None
}

/// A numeric expression.
fn number(lw: &mut Lowering, e: &ast::Expr) -> Option<(Expr, Ty)> {
    let (x, ty) = lw.lower(e)?;
    if ty == Ty::Bool {
        lw.cx.report(
            Diagnostic::error(
                Code::TypeMismatch,
                e.span,
                "expected a number, found a condition",
            )
            .label("this is a condition")
            .help("`deviates from` and `anomaly` read values"),
        );
        return None;
    }
    Some((x, ty))
}
