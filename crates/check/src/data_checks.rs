//! Owns a dataset's `checks:` block: named checks its rows must meet (not null, unique, accepted
//! values, a range, a reference to another dataset, the row count against the period before,
//! freshness), each with the severity of its failure. Read once every dataset is known, since a
//! reference names another.

use super::model::{CheckRule, CheckSeverity, CheckValue, Column, ColumnType, DataCheck, Dataset};
use super::Checker;
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_syntax::ast::{Arg, Declaration, Entry, Expr, ExprKind, UnaryOp, Value};

/// The checks and how each is written.
const RULES: &[(&str, &str)] = &[
    ("not_null", "not_null(customer) or not_null(customer, day)"),
    ("unique", "unique(order_id) or unique(customer, day)"),
    ("accepted", "accepted(channel, [\"online\", \"store\"])"),
    ("range", "range(minutes, 0, 600)"),
    ("references", "references(customer, customers.customer)"),
    ("row_count", "row_count(within: 20%)"),
    ("freshness", "freshness(3 days)"),
];

/// Reads the `checks` of each dataset declaration in `decls` into its dataset in `datasets`.
pub fn check_all(cx: &mut Checker, decls: &[&Declaration], datasets: &mut [Dataset]) {
    for d in decls {
        let Some(entry) = d.entries.iter().find(|e| e.key.text == "checks") else {
            continue;
        };
        let Some(at) = datasets.iter().position(|ds| ds.name == d.name.text) else {
            continue;
        };
        let checks = read(cx, entry, &datasets[at], datasets);
        datasets[at].checks = checks;
    }
}

fn read(cx: &mut Checker, e: &Entry, ds: &Dataset, all: &[Dataset]) -> Vec<DataCheck> {
    let Value::Block(list, _) = &e.value else {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.value.span(),
                "`checks` expects a block of named checks",
            )
            .label("expected `{ name: check ... }`")
            .help("write `checks: { customer_given: not_null(customer)  one_per_day: unique(customer, day) }`"),
        );
        return Vec::new();
    };
    let mut out: Vec<DataCheck> = Vec::new();
    for entry in list {
        if out.iter().any(|c| c.name == entry.key.text) {
            cx.report(
                Diagnostic::error(
                    Code::DuplicateKey,
                    entry.key.span,
                    format!("check `{}` is written twice", entry.key.text),
                )
                .label("second check of this name")
                .help("give each check its own name"),
            );
            continue;
        }
        if let Some(c) = one(cx, entry, ds, all) {
            out.push(c);
        }
    }
    out
}

/// One named check: `name: rule(args) [warn | error]`.
fn one(cx: &mut Checker, entry: &Entry, ds: &Dataset, all: &[Dataset]) -> Option<DataCheck> {
    let Value::Items(items, span) = &entry.value else {
        return bad_shape(cx, entry.value.span());
    };
    let [item] = items.as_slice() else {
        return bad_shape(cx, *span);
    };
    let severity = match item.modifiers.as_slice() {
        [] => CheckSeverity::Warn,
        [w] if w.text == "warn" => CheckSeverity::Warn,
        [w] if w.text == "error" => CheckSeverity::Error,
        [w] => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!("unknown severity `{}`", w.text),
                )
                .label("expected `warn` or `error`")
                .help("`warn` (the default) reports a failure and goes on; `error` stops the run"),
            );
            return None;
        }
        [_, second, ..] => {
            cx.report(
                Diagnostic::error(Code::InvalidValue, second.span, "a check has one severity")
                    .label("a second word after the check")
                    .help("write `warn` or `error` after the check, once"),
            );
            return None;
        }
    };
    let ExprKind::Call { name, args } = &item.expr.kind else {
        return bad_shape(cx, item.expr.span);
    };
    let rule = rule(cx, (&name.text, name.span, args), ds, all)?;
    Some(DataCheck {
        name: entry.key.text.clone(),
        rule,
        severity,
        text: cx.text(item.expr.span),
    })
}

fn bad_shape(cx: &mut Checker, span: Span) -> Option<DataCheck> {
    cx.report(
        Diagnostic::error(
            Code::InvalidValue,
            span,
            "expected one check, such as `not_null(customer)`",
        )
        .label("not a check")
        .help(format!(
            "the checks are: {}; add `error` after one to stop the run when it fails",
            RULES
                .iter()
                .map(|(_, how)| *how)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    );
    None
}

fn rule(
    cx: &mut Checker,
    (name, span, args): (&str, Span, &[Arg]),
    ds: &Dataset,
    all: &[Dataset],
) -> Option<CheckRule> {
    let Some((_, how)) = RULES.iter().find(|(n, _)| *n == name) else {
        cx.report(
            Diagnostic::error(Code::InvalidValue, span, format!("unknown check `{name}`"))
                .label("not a check")
                .help(
                    did_you_mean(name, RULES.iter().map(|(n, _)| *n)).unwrap_or_else(|| {
                        format!(
                            "the checks are: {}",
                            RULES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                        )
                    }),
                ),
        );
        return None;
    };
    let mut a = Args {
        cx,
        args,
        how,
        span,
    };
    match name {
        "not_null" => Some(CheckRule::NotNull {
            columns: a.columns(ds)?,
        }),
        "unique" => Some(CheckRule::Unique {
            columns: a.columns(ds)?,
        }),
        "accepted" if matches!(args.get(1).map(|a| &a.value.kind), Some(ExprKind::List(l)) if l.is_empty()) => {
            a.wrong(args[1].value.span, "at least one accepted value")
        }
        "accepted" => {
            a.count(2)?;
            let column = a.column(ds, 0)?;
            let values = match &args[1].value.kind {
                ExprKind::List(items) => items
                    .iter()
                    .map(|x| a.value(x, column))
                    .collect::<Option<Vec<_>>>()?,
                _ => return a.wrong(args[1].value.span, "a list of values in `[` `]`"),
            };
            Some(CheckRule::Accepted {
                column: column.name.clone(),
                values,
            })
        }
        "range" => {
            a.count(3)?;
            let column = a.column(ds, 0)?;
            if !orderable(column.ty) {
                return a.wrong(
                    args[0].value.span,
                    &format!(
                        "a number or date column (`{}` is {})",
                        column.name,
                        column.ty.name()
                    ),
                );
            }
            let low = a.value(&args[1].value, column)?;
            let high = a.value(&args[2].value, column)?;
            let reversed = match (&low, &high) {
                (CheckValue::Number(l), CheckValue::Number(h)) => l > h,
                (CheckValue::Date(l), CheckValue::Date(h)) => l > h,
                _ => false,
            };
            if reversed {
                return a.wrong(args[2].value.span, "a high bound at or above the low one");
            }
            Some(CheckRule::Range {
                column: column.name.clone(),
                low,
                high,
            })
        }
        "references" => {
            a.count(2)?;
            let column = a.column(ds, 0)?;
            let (dataset, key) = a.reference(&args[1].value, column, all)?;
            Some(CheckRule::References {
                column: column.name.clone(),
                dataset,
                key,
            })
        }
        "row_count" => {
            a.count(1)?;
            let within = match (&args[0].name, &args[0].value.kind) {
                (Some(n), ExprKind::Percent(p)) if n.text == "within" => {
                    a.cx.percent(p, args[0].value.span)?
                }
                _ => return a.wrong(args[0].span, "`within:` and a percent, as in `within: 20%`"),
            };
            Some(CheckRule::RowCount { within })
        }
        "freshness" => {
            a.count(1)?;
            let days = match &args[0].value.kind {
                ExprKind::Duration { count, unit } if unit.text.starts_with("day") => {
                    count.parse::<i64>().ok()
                }
                ExprKind::Duration { count, unit } if unit.text.starts_with("week") => {
                    count.parse::<i64>().ok().and_then(|n| n.checked_mul(7))
                }
                _ => None,
            };
            let days = days.filter(|d| *d <= 36_500).map(Some).unwrap_or_else(|| {
                a.wrong::<i64>(
                    args[0].value.span,
                    "a number of days or weeks, as in `3 days`",
                )
            })?;
            Some(CheckRule::Freshness { days })
        }
        _ => None,
    }
}

/// Column types a range can bound.
fn orderable(ty: ColumnType) -> bool {
    !matches!(ty, ColumnType::Text | ColumnType::Bool)
}

/// A check's arguments, read against how it is written.
struct Args<'c, 'a, 's> {
    cx: &'c mut Checker<'s>,
    args: &'a [Arg],
    how: &'static str,
    span: Span,
}

impl<'a> Args<'_, 'a, '_> {
    fn wrong<T>(&mut self, span: Span, expected: &str) -> Option<T> {
        self.cx.report(
            Diagnostic::error(Code::InvalidValue, span, format!("expected {expected}"))
                .label("not what this check takes")
                .help(format!("write it as `{}`", self.how)),
        );
        None
    }

    fn count(&mut self, n: usize) -> Option<()> {
        if self.args.len() == n && self.args.iter().all(|a| a.filter.is_none()) {
            return Some(());
        }
        let span = self.span;
        self.wrong(
            span,
            &format!("{n} argument{}", if n == 1 { "" } else { "s" }),
        )
    }

    /// Every argument as a column of `ds` (at least one).
    fn columns(&mut self, ds: &Dataset) -> Option<Vec<String>> {
        if self.args.is_empty() {
            let span = self.span;
            return self.wrong(span, "at least one column");
        }
        let mut out: Vec<String> = Vec::new();
        for i in 0..self.args.len() {
            let c = self.column(ds, i)?;
            if out.contains(&c.name) {
                return self.wrong(self.args[i].value.span, "each column once");
            }
            out.push(c.name.clone());
        }
        Some(out)
    }

    /// Argument `i` as a column of `ds`.
    fn column<'d>(&mut self, ds: &'d Dataset, i: usize) -> Option<&'d Column> {
        let arg = &self.args[i];
        let name = match (&arg.name, &arg.value.kind) {
            (None, ExprKind::Path(p)) if p.len() == 1 => &p[0],
            _ => return self.wrong(arg.value.span, "a column name"),
        };
        let found = ds.column(&name.text);
        if found.is_none() {
            self.cx.report(super::filter::unknown_column(ds, name));
        }
        found
    }

    /// A literal of the column's type: a string for text, a number for numbers, a date for
    /// dates.
    fn value(&mut self, x: &Expr, column: &Column) -> Option<CheckValue> {
        let negative = matches!(
            &x.kind,
            ExprKind::Unary {
                op: UnaryOp::Neg,
                ..
            }
        );
        let inner = match &x.kind {
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => operand.as_ref(),
            _ => x,
        };
        let sign = |d: Decimal| if negative { -d } else { d };
        let value = match (column.ty, &inner.kind) {
            (ColumnType::Text, ExprKind::Str(s)) if !negative => Some(CheckValue::Text(s.clone())),
            (ColumnType::Date | ColumnType::Timestamp, ExprKind::Date(d)) if !negative => {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .ok()
                    .map(CheckValue::Date)
            }
            // A number the checker cannot hold exactly has been reported where it stands.
            (ColumnType::Percent, ExprKind::Percent(p)) => {
                return Some(CheckValue::Number(sign(self.cx.percent(p, inner.span)?)))
            }
            (ty, ExprKind::Number(n)) if orderable(ty) && !is_dated(ty) => {
                return Some(CheckValue::Number(sign(self.cx.decimal(n, inner.span)?)))
            }
            _ => None,
        };
        if value.is_none() {
            let expected = match column.ty {
                ColumnType::Text => "a string in quotes".to_string(),
                ColumnType::Date | ColumnType::Timestamp => "a date such as 2026-01-31".to_string(),
                ColumnType::Bool => {
                    "a column of another type: a bool column holds only true and false".to_string()
                }
                ColumnType::Percent => "a number or a percent".to_string(),
                _ => "a number".to_string(),
            };
            return self.wrong(
                x.span,
                &format!("{expected}, for `{}` ({})", column.name, column.ty.name()),
            );
        }
        value
    }

    /// `customers.customer`: a column of another dataset, of the same type as `column`.
    fn reference(
        &mut self,
        x: &Expr,
        column: &Column,
        all: &[Dataset],
    ) -> Option<(String, String)> {
        let ExprKind::Path(p) = &x.kind else {
            return self.wrong(x.span, "a dataset's column, as in `customers.customer`");
        };
        let [dataset, key] = p.as_slice() else {
            return self.wrong(x.span, "a dataset's column, as in `customers.customer`");
        };
        let Some(other) = all.iter().find(|d| d.name == dataset.text && d.is_file()) else {
            self.cx.report(
                Diagnostic::error(
                    Code::UnknownDataset,
                    dataset.span,
                    format!("no dataset is named `{}`", dataset.text),
                )
                .label("not a declared dataset")
                .maybe_help(did_you_mean(
                    &dataset.text,
                    all.iter().filter(|d| d.is_file()).map(|d| d.name.as_str()),
                )),
            );
            return None;
        };
        let Some(target) = other.column(&key.text) else {
            self.cx.report(super::filter::unknown_column(other, key));
            return None;
        };
        if target.ty != column.ty {
            return self.wrong(
                key.span,
                &format!(
                    "a column of the same type as `{}` ({}); `{}.{}` is {}",
                    column.name,
                    column.ty.name(),
                    other.name,
                    target.name,
                    target.ty.name()
                ),
            );
        }
        Some((other.name.clone(), target.name.clone()))
    }
}

fn is_dated(ty: ColumnType) -> bool {
    matches!(ty, ColumnType::Date | ColumnType::Timestamp)
}
