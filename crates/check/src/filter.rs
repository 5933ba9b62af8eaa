//! Owns `where` filters: row-level conditions over one dataset's columns, with their types checked.

use super::model::{ArithOp, CmpOp, ColumnType, Dataset, RowExpr};
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic};
use scorecard_syntax::ast::{BinaryOp, Expr, ExprKind, Ident, UnaryOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowTy {
    Text,
    Num,
    Date,
    Bool,
}

impl RowTy {
    fn of(t: ColumnType) -> RowTy {
        match t {
            ColumnType::Text => RowTy::Text,
            ColumnType::Date | ColumnType::Timestamp => RowTy::Date,
            ColumnType::Bool => RowTy::Bool,
            _ => RowTy::Num,
        }
    }
    fn name(self) -> &'static str {
        match self {
            RowTy::Text => "text",
            RowTy::Num => "a number",
            RowTy::Date => "a date",
            RowTy::Bool => "a condition",
        }
    }
}

/// Lowers a filter that must be a condition over `ds`.
pub fn lower(cx: &mut Checker, ds: &Dataset, e: &Expr) -> Option<RowExpr> {
    let (x, ty) = row(cx, ds, e)?;
    if ty != RowTy::Bool {
        cx.report(
            Diagnostic::error(
                Code::TypeMismatch,
                e.span,
                format!("a `where` filter must be a condition, found {}", ty.name()),
            )
            .label("expected a condition")
            .help("for example `where channel = \"online\"`"),
        );
        return None;
    }
    Some(x)
}

/// Lowers a row-level quantity over `ds`: a numeric column or arithmetic over columns.
pub fn quantity(cx: &mut Checker, ds: &Dataset, e: &Expr) -> Option<RowExpr> {
    let (x, ty) = row(cx, ds, e)?;
    expect(cx, ty, RowTy::Num, e)?;
    Some(x)
}

fn row(cx: &mut Checker, ds: &Dataset, e: &Expr) -> Option<(RowExpr, RowTy)> {
    scorecard_diagnostic::depth::deep(|| {
        Some(match &e.kind {
            ExprKind::Number(n) => (
                RowExpr::Number {
                    value: cx.decimal(n, e.span)?,
                },
                RowTy::Num,
            ),
            ExprKind::Percent(p) => (
                RowExpr::Number {
                    value: cx.percent(p, e.span)?,
                },
                RowTy::Num,
            ),
            ExprKind::Str(s) => (RowExpr::Text { value: s.clone() }, RowTy::Text),
            ExprKind::Date(d) => (date(cx, d, e)?, RowTy::Date),
            ExprKind::Path(parts) => path(cx, ds, parts, e)?,
            ExprKind::Unary { op, operand } => {
                let (x, t) = row(cx, ds, operand)?;
                let (wanted, x) = match op {
                    UnaryOp::Neg => (
                        RowTy::Num,
                        RowExpr::Neg {
                            operand: Box::new(x),
                        },
                    ),
                    UnaryOp::Not => (
                        RowTy::Bool,
                        RowExpr::Not {
                            operand: Box::new(x),
                        },
                    ),
                };
                expect(cx, t, wanted, operand)?;
                (x, wanted)
            }
            ExprKind::Binary {
                op: BinaryOp::In,
                left,
                right,
            } => (in_list(cx, ds, left, right)?, RowTy::Bool),
            ExprKind::Binary { op, left, right } => binary(cx, ds, *op, (left, right), e)?,
            _ => {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        e.span,
                        "this cannot be used in a `where` filter",
                    )
                    .label("expected columns, values, comparisons, `and`, `or`, `not`")
                    .help(
                        "filters compare a row's columns with values, such as `channel = \"online\"`",
                    ),
                );
                return None;
            }
        })
    })
}

/// A date literal, which must be a day of the calendar.
fn date(cx: &mut Checker, d: &str, e: &Expr) -> Option<RowExpr> {
    if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.span,
                format!("`{d}` is not a valid date"),
            )
            .label("no such day")
            .help("dates are written YYYY-MM-DD"),
        );
        return None;
    }
    Some(RowExpr::Date {
        value: d.to_string(),
    })
}

/// A name in a filter: `true` or `false`, or a column of the dataset aggregated, written bare or
/// after the dataset's name.
fn path(cx: &mut Checker, ds: &Dataset, parts: &[Ident], e: &Expr) -> Option<(RowExpr, RowTy)> {
    let column = match parts {
        [c] if c.text == "true" || c.text == "false" => {
            let value = c.text == "true";
            return Some((RowExpr::Bool { value }, RowTy::Bool));
        }
        [c] => c,
        [d, c] if d.text == ds.name => c,
        [d, _] => {
            cx.report(
                Diagnostic::error(
                    Code::UnknownColumn,
                    d.span,
                    format!("this filter is over `{}`, not `{}`", ds.name, d.text),
                )
                .label("another dataset")
                .help("a `where` filter reads columns of the dataset being aggregated"),
            );
            return None;
        }
        _ => {
            cx.report(
                Diagnostic::error(Code::UnknownColumn, e.span, "expected a column name")
                    .label("not a column"),
            );
            return None;
        }
    };
    let Some(col) = ds.column(&column.text) else {
        // A parameter's name, when no column has it, is its assumed value.
        if let (1, Some(&(value, _))) = (parts.len(), cx.parameters.get(&column.text)) {
            return Some((RowExpr::Number { value }, RowTy::Num));
        }
        cx.report(unknown_column(ds, column));
        return None;
    };
    let name = col.name.clone();
    Some((RowExpr::Column { name }, RowTy::of(col.ty)))
}

/// `x in (a, b, ...)`: every value of the list of the operand's type.
fn in_list(cx: &mut Checker, ds: &Dataset, left: &Expr, right: &Expr) -> Option<RowExpr> {
    let (x, t) = row(cx, ds, left)?;
    let ExprKind::List(items) = &right.kind else {
        cx.report(
            Diagnostic::error(Code::TypeMismatch, right.span, "`in` needs a list")
                .label("expected a list of values")
                .help("for example `channel in (\"organic\", \"direct\")`"),
        );
        return None;
    };
    let mut values = Vec::new();
    for item in items {
        let (v, vt) = row(cx, ds, item)?;
        expect(cx, vt, t, item)?;
        values.push(v);
    }
    Some(RowExpr::In {
        operand: Box::new(x),
        values,
    })
}

/// `and` and `or` of conditions, arithmetic of numbers, and comparisons of like with like. Both
/// sides are checked, so that a mistake on each is reported.
fn binary(
    cx: &mut Checker,
    ds: &Dataset,
    op: BinaryOp,
    (left, right): (&Expr, &Expr),
    e: &Expr,
) -> Option<(RowExpr, RowTy)> {
    let l = row(cx, ds, left);
    let r = row(cx, ds, right);
    let ((lx, lt), (rx, rt)) = (l?, r?);
    let (lb, rb) = (Box::new(lx), Box::new(rx));
    Some(match op {
        BinaryOp::And | BinaryOp::Or => {
            expect(cx, lt, RowTy::Bool, left)?;
            expect(cx, rt, RowTy::Bool, right)?;
            let x = match op {
                BinaryOp::And => RowExpr::And {
                    left: lb,
                    right: rb,
                },
                _ => RowExpr::Or {
                    left: lb,
                    right: rb,
                },
            };
            (x, RowTy::Bool)
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Of => {
            expect(cx, lt, RowTy::Num, left)?;
            expect(cx, rt, RowTy::Num, right)?;
            let op = match op {
                BinaryOp::Add => ArithOp::Add,
                BinaryOp::Sub => ArithOp::Sub,
                BinaryOp::Div => ArithOp::Div,
                _ => ArithOp::Mul,
            };
            let x = RowExpr::Arith {
                op,
                left: lb,
                right: rb,
            };
            (x, RowTy::Num)
        }
        _ => {
            comparable(cx, op, (lt, rt), e)?;
            let x = RowExpr::Compare {
                op: cmp(op),
                left: lb,
                right: rb,
            };
            (x, RowTy::Bool)
        }
    })
}

/// Whether two sides compare: of one type, and conditions only for equality.
fn comparable(cx: &mut Checker, op: BinaryOp, (lt, rt): (RowTy, RowTy), e: &Expr) -> Option<()> {
    if lt == rt && (lt != RowTy::Bool || matches!(op, BinaryOp::Eq | BinaryOp::Ne)) {
        return Some(());
    }
    cx.report(
        Diagnostic::error(
            Code::TypeMismatch,
            e.span,
            format!("cannot compare {} with {}", lt.name(), rt.name()),
        )
        .label("these do not compare")
        .help(if lt == RowTy::Date || rt == RowTy::Date {
            "dates are written without quotes: `order_date >= 2026-01-01`"
        } else if lt == RowTy::Text || rt == RowTy::Text {
            "text is compared with a string in double quotes: `channel = \"online\"`"
        } else {
            "compare a column with a value of its own type"
        }),
    );
    None
}

fn expect(cx: &mut Checker, found: RowTy, wanted: RowTy, e: &Expr) -> Option<()> {
    if found == wanted {
        return Some(());
    }
    cx.report(
        Diagnostic::error(
            Code::TypeMismatch,
            e.span,
            format!("expected {}, found {}", wanted.name(), found.name()),
        )
        .label(format!("this is {}", found.name())),
    );
    None
}

pub fn cmp(op: BinaryOp) -> CmpOp {
    match op {
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::Gt => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

/// `dataset has no column x`, with the closest column or the list of them.
pub fn unknown_column(ds: &Dataset, column: &Ident) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownColumn,
        column.span,
        format!("dataset `{}` has no column `{}`", ds.name, column.text),
    )
    .label("not a column of this dataset")
    .help(
        did_you_mean(&column.text, ds.columns.iter().map(|c| c.name.as_str()))
            .unwrap_or_else(|| format!("its columns are: {}", names(ds))),
    )
}

fn names(ds: &Dataset) -> String {
    ds.columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
