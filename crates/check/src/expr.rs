//! Owns KPI expressions: resolving aggregates, KPI references and functions, and checking units.

use super::filter;
use super::model::{
    AggFunc, Aggregate, ArithOp, ColumnType, Dataset, Expr, Grain, Shift, SourceFormat, Window,
};
use super::units::{self, Lit, Ty};
use super::Checker;
use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_model::calendar::Periods;
use scorecard_syntax::ast::{self, BinaryOp, ExprKind, UnaryOp};
use std::collections::BTreeMap;

/// The longest window, in periods: longer than any history (833 years of months), and short enough
/// that walking it is quick.
pub const MAX_WINDOW: i64 = 10_000;

pub const FUNCTIONS: &[&str] = &[
    "sum",
    "count",
    "count_distinct",
    "avg",
    "min",
    "max",
    "if",
    "ytd",
    "qtd",
    "mtd",
    "rolling",
    "cumulative",
    "change",
    "pct_change",
    "attributed",
    "allocated",
    "unused_capacity",
    "top_share",
    "clv",
    "anomaly",
];

/// What names mean inside one KPI's expressions.
pub struct Scope<'a> {
    pub datasets: &'a [Dataset],
    /// Every declared KPI, with the unit of its value when already known.
    pub kpis: &'a BTreeMap<String, Ty>,
    /// Inside `thresholds`: the units of `value` and `target`.
    pub this: Option<(Ty, Ty)>,
    /// The scorecard's grain and calendar, for time functions.
    pub periods: Periods,
    /// KPIs whose value counts distinct values, which no window can combine across periods.
    pub distinct: &'a BTreeMap<String, bool>,
    /// Inside a view: its columns declared so far, by name.
    pub locals: Option<&'a BTreeMap<String, (Expr, Ty)>>,
    /// The exchange rates money in other currencies converts at here (a KPI's `rates:` and
    /// `rates_of:`; else the header's).
    pub rates: super::currency::RatesUse,
}

impl<'a> Scope<'a> {
    /// What a KPI-level expression (a KPI's value, an escalation's condition, a test's expected
    /// expression) may read: the tables and the KPIs, outside thresholds and views.
    pub fn of_kpis(
        datasets: &'a [Dataset],
        kpis: &'a BTreeMap<String, Ty>,
        distinct: &'a BTreeMap<String, bool>,
        periods: Periods,
    ) -> Scope<'a> {
        Scope {
            datasets,
            kpis,
            this: None,
            periods,
            distinct,
            locals: None,
            rates: Default::default(),
        }
    }
}

/// The model's aggregates, each once, in the order first used, with an index by value (a scorecard
/// of a thousand KPIs has about as many aggregates to look up).
#[derive(Debug, Default)]
pub struct AggregateSet {
    list: Vec<Aggregate>,
    index: std::collections::HashMap<Aggregate, usize>,
}

impl AggregateSet {
    /// The place of `agg` in the list, added at the end when new.
    pub fn intern(&mut self, agg: Aggregate) -> usize {
        if let Some(&i) = self.index.get(&agg) {
            return i;
        }
        self.list.push(agg.clone());
        self.index.insert(agg, self.list.len() - 1);
        self.list.len() - 1
    }

    pub fn into_vec(self) -> Vec<Aggregate> {
        self.list
    }
}

impl std::ops::Deref for AggregateSet {
    type Target = [Aggregate];
    fn deref(&self) -> &[Aggregate] {
        &self.list
    }
}

pub struct Lowering<'a, 'c> {
    pub cx: &'a mut Checker<'c>,
    pub scope: Scope<'a>,
    pub aggregates: &'a mut AggregateSet,
}

/// Expression nodes a whole scorecard may copy where a value is used twice: far more than any
/// scorecard written by hand needs, and few enough to check and run at once. Without a bound,
/// `change(change(...))` doubles at each level: 26 levels took 8 GB.
pub const MAX_COPIED: usize = 1_000_000;

impl Lowering<'_, '_> {
    fn error(&mut self, d: Diagnostic) -> Option<(Expr, Ty)> {
        self.cx.report(d);
        None
    }

    /// A copy of `x` for a second use at `span`, counted against `MAX_COPIED`.
    fn copy(&mut self, x: &Expr, span: Span, why: &str) -> Option<Expr> {
        let size = x.size();
        if self.cx.copied + size > MAX_COPIED {
            self.cx.report(
                Diagnostic::error(
                    Code::TooLarge,
                    span,
                    format!(
                        "{why} copies its value, and the copies in this scorecard pass 1,000,000 parts"
                    ),
                )
                .label("copied once more here")
                .help("compute the value once as a KPI of its own and use it by name: a KPI is evaluated once however often it is used"),
            );
            return None;
        }
        self.cx.copied += size;
        Some(x.clone())
    }

    /// Lowers an expression, returning it with its unit, or `None` after reporting why not.
    pub fn lower(&mut self, e: &ast::Expr) -> Option<(Expr, Ty)> {
        scorecard_diagnostic::depth::deep(|| {
            match &e.kind {
            ExprKind::Number(n) => Some((
                Expr::Number { value: self.literal(n, e.span)? },
                Ty::Num { money: 0, lit: Lit::Plain, cur: None },
            )),
            ExprKind::Percent(p) | ExprKind::Points(p) => Some((
                Expr::Number { value: self.literal(p, e.span)? / Decimal::ONE_HUNDRED },
                Ty::Num { money: 0, lit: Lit::Percent, cur: None },
            )),
            ExprKind::Path(parts) => self.path(parts, e.span),
            ExprKind::Call { name, args } => self.call(name, args, e.span),
            ExprKind::Unary { op: UnaryOp::Neg, operand } => {
                let (x, t) = self.lower(operand)?;
                self.numeric(t, operand.span)?;
                Some((Expr::Neg { operand: Box::new(x) }, t))
            }
            ExprKind::Unary { op: UnaryOp::Not, operand } => {
                let (x, t) = self.lower(operand)?;
                self.condition(t, operand.span)?;
                Some((Expr::Not { operand: Box::new(x) }, Ty::Bool))
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.lower(left);
                let r = self.lower(right);
                let ((lx, lt), (rx, rt)) = (l?, r?);
                self.binary(*op, (lx, lt, left.span), (rx, rt, right.span))
            }
            ExprKind::Str(_) => self.error(
                Diagnostic::error(Code::TypeMismatch, e.span, "a string cannot be a KPI value")
                    .label("expected a number")
                    .help("strings belong in `where` filters: `sum(orders.revenue where channel = \"online\")`"),
            ),
            ExprKind::Date(_) => self.error(
                Diagnostic::error(Code::TypeMismatch, e.span, "a date cannot be a KPI value")
                    .label("expected a number")
                    .help("dates belong in `where` filters: `count(orders where order_date >= 2026-01-01)`"),
            ),
            ExprKind::List(_) => self.error(
                Diagnostic::error(Code::TypeMismatch, e.span, "a list cannot be a KPI value").label("expected a number"),
            ),
            ExprKind::Index { target, index } => {
                let (x, t) = self.lower(target)?;
                self.numeric(t, target.span)?;
                let shift = self.shift(index)?;
                Some((Expr::Shift { shift, operand: Box::new(x) }, t))
            }
            ExprKind::SamePeriodLastYear => self.error(
                Diagnostic::error(Code::InvalidValue, e.span, "`same period last year` goes in brackets after a value")
                    .label("not a value on its own")
                    .help("write `net_revenue[same period last year]`"),
            ),
            ExprKind::StatusTest { .. } | ExprKind::Deviates { .. } => self.error(escalation_only(e.span)),
            ExprKind::Period(_) | ExprKind::Raised { .. } => self.error(test_only(e.span)),
            ExprKind::Duration { .. } => self.error(
                Diagnostic::error(Code::InvalidValue, e.span, "a duration is only the length of a window")
                    .label("not a value on its own")
                    .help("write `rolling(net_revenue, 12 months)`"),
            ),
        }
        })
    }

    pub fn literal(&mut self, text: &str, span: Span) -> Option<Decimal> {
        self.cx.decimal(text, span)
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        (lx, lt, ls): (Expr, Ty, Span),
        (rx, rt, rs): (Expr, Ty, Span),
    ) -> Option<(Expr, Ty)> {
        let (left, right) = (Box::new(lx), Box::new(rx));
        match op {
            BinaryOp::And | BinaryOp::Or => {
                self.condition(lt, ls)?;
                self.condition(rt, rs)?;
                let x = if op == BinaryOp::And {
                    Expr::And { left, right }
                } else {
                    Expr::Or { left, right }
                };
                Some((x, Ty::Bool))
            }
            BinaryOp::Add | BinaryOp::Sub => {
                self.numeric(lt, ls)?;
                self.numeric(rt, rs)?;
                let Some(t) = units::same(lt, rt) else {
                    let verb = if op == BinaryOp::Add {
                        "add"
                    } else {
                        "subtract"
                    };
                    return self.mismatch(
                        format!("cannot {verb} {} and {}", lt.describe(), rt.describe()),
                        ls,
                        lt,
                        rs,
                        rt,
                    );
                };
                let op = if op == BinaryOp::Add {
                    ArithOp::Add
                } else {
                    ArithOp::Sub
                };
                Some((Expr::Arith { op, left, right }, t))
            }
            BinaryOp::In => self.error(
                Diagnostic::error(
                    Code::InvalidValue,
                    ls.to(rs),
                    "`in` compares a row's column with a list, in filters only",
                )
                .label("not a KPI expression")
                .help("write it in a `where` filter: `sum(orders.revenue where channel in (\"a\", \"b\"))`"),
            ),
            BinaryOp::Mul | BinaryOp::Of | BinaryOp::Div => {
                self.numeric(lt, ls)?;
                self.numeric(rt, rs)?;
                let (op, sign) = if op == BinaryOp::Div {
                    (ArithOp::Div, -1)
                } else {
                    (ArithOp::Mul, 1)
                };
                let Some(t) = units::product(lt, rt, sign) else {
                    let verb = if sign < 0 { "divide" } else { "multiply" };
                    return self.mismatch(
                        format!("cannot {verb} {} and {}", lt.describe(), rt.describe()),
                        ls,
                        lt,
                        rs,
                        rt,
                    );
                };
                Some((Expr::Arith { op, left, right }, t))
            }
            _ => {
                self.numeric(lt, ls)?;
                self.numeric(rt, rs)?;
                if units::same(lt, rt).is_none() {
                    return self.mismatch(
                        format!("cannot compare {} with {}", lt.describe(), rt.describe()),
                        ls,
                        lt,
                        rs,
                        rt,
                    );
                }
                Some((
                    Expr::Compare {
                        op: filter::cmp(op),
                        left,
                        right,
                    },
                    Ty::Bool,
                ))
            }
        }
    }

    fn mismatch(
        &mut self,
        message: String,
        ls: Span,
        lt: Ty,
        rs: Span,
        rt: Ty,
    ) -> Option<(Expr, Ty)> {
        self.error(
            Diagnostic::error(Code::UnitMismatch, rs, message)
                .label(format!("this is {}", rt.describe()))
                .related(ls, format!("this is {}", lt.describe()))
                .help("both sides must be money, or both ratios and numbers; money divided by money is a ratio"),
        )
    }

    fn numeric(&mut self, t: Ty, span: Span) -> Option<()> {
        if t == Ty::Bool {
            self.cx.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    span,
                    "expected a number, found a condition",
                )
                .label("this is a condition")
                .help("use `if(condition, a, b)` to turn a condition into a number"),
            );
            return None;
        }
        Some(())
    }

    fn condition(&mut self, t: Ty, span: Span) -> Option<()> {
        if matches!(t, Ty::Num { .. }) {
            self.cx.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    span,
                    format!("expected a condition, found {}", t.describe()),
                )
                .label("this is a number")
                .help("a condition compares two values, such as `value >= target`"),
            );
            return None;
        }
        Some(())
    }

    fn path(&mut self, parts: &[ast::Ident], span: Span) -> Option<(Expr, Ty)> {
        if let [name] = parts {
            let n = name.text.as_str();
            if let Some((value_ty, target_ty)) = self.scope.this {
                match n {
                    "value" => return Some((Expr::Value, value_ty)),
                    "target" => return Some((Expr::Target, target_ty)),
                    _ => {}
                }
            }
            if let Some((x, t)) = self.scope.locals.and_then(|l| l.get(n)) {
                let t = *t;
                let x = self.copy(x, span, &format!("naming `{n}`"))?;
                return Some((x, t));
            }
            if let Some(t) = self.scope.kpis.get(n) {
                return Some((
                    Expr::Kpi {
                        name: n.to_string(),
                    },
                    *t,
                ));
            }
            if let Some(&(value, unit)) = self.cx.parameters.get(n) {
                let name = n.to_string();
                return Some((Expr::Parameter { name, value }, super::parameter::ty(unit)));
            }
            if self.cx.is_broken(n) {
                return None;
            }
            if let Some(ds) = self.scope.datasets.iter().find(|d| d.name == n) {
                return self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        span,
                        format!("`{n}` is a dataset, not a number"),
                    )
                    .label("a dataset")
                    .help(format!("aggregate it, for example `count({})`", ds.name)),
                );
            }
            let mut names: Vec<&str> = self.scope.kpis.keys().map(String::as_str).collect();
            if self.scope.this.is_some() {
                names.extend(["value", "target"]);
            }
            let in_dataset = self.scope.datasets.iter().find(|d| d.column(n).is_some());
            let help = match in_dataset {
                Some(d) => Some(format!(
                    "`{n}` is a column of `{}`: aggregate it, for example `sum({}.{n})`",
                    d.name, d.name
                )),
                None => did_you_mean(n, names),
            };
            return self.error(
                Diagnostic::error(Code::UnknownKpi, span, format!("no KPI is named `{n}`"))
                    .label("unknown name")
                    .maybe_help(help),
            );
        }
        let shown = parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(".");
        self.error(
            Diagnostic::error(
                Code::TypeMismatch,
                span,
                format!("`{shown}` is a column: a KPI needs one value per period"),
            )
            .label("a column, not a value")
            .help(format!("aggregate it, for example `sum({shown})`")),
        )
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::Arg], span: Span) -> Option<(Expr, Ty)> {
        let func = match name.text.as_str() {
            "sum" => AggFunc::Sum,
            "count" => AggFunc::Count,
            "count_distinct" => AggFunc::CountDistinct,
            "avg" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "if" => return self.if_call(args, span),
            "ytd" | "qtd" | "mtd" | "rolling" | "cumulative" | "change" | "pct_change" => {
                return self.time_call(name, args, span)
            }
            "attributed" | "allocated" | "unused_capacity" => {
                return self.rule_call(name, args, span)
            }
            "top_share" => return self.top_share(args, span),
            "clv" => return self.clv(args, span),
            "anomaly" => return self.error(escalation_only(span)),
            other => {
                return self.error(
                    Diagnostic::error(
                        Code::UnknownFunction,
                        name.span,
                        format!("unknown function `{other}`"),
                    )
                    .label("not a function")
                    .help(
                        did_you_mean(other, FUNCTIONS.iter().copied()).unwrap_or_else(|| {
                            format!("the functions are: {}", FUNCTIONS.join(", "))
                        }),
                    ),
                )
            }
        };
        let [arg] = args else {
            return self.error(
                Diagnostic::error(
                    Code::WrongArguments,
                    span,
                    format!("`{}` takes one argument", func.name()),
                )
                .label(given(args.len()))
                .help(format!(
                    "for example `{}(orders.revenue where channel = \"online\")`",
                    func.name()
                )),
            );
        };
        if let Some(n) = &arg.name {
            return self.error(
                Diagnostic::error(
                    Code::WrongArguments,
                    n.span,
                    format!("`{}` takes no named arguments", func.name()),
                )
                .label("unexpected name"),
            );
        }
        self.aggregate(func, arg)
    }

    fn aggregate(&mut self, func: AggFunc, arg: &ast::Arg) -> Option<(Expr, Ty)> {
        let ExprKind::Path(parts) = &arg.value.kind else {
            return self.error(
                Diagnostic::error(Code::WrongArguments, arg.value.span, format!("`{}` aggregates a column", func.name()))
                    .label("expected `dataset.column`")
                    .help(format!("for example `{}(orders.revenue)`; arithmetic goes outside: `sum(a.x) - sum(a.y)`", func.name())),
            );
        };
        let ds_ident = &parts[0];
        let Some(ds) = self.scope.datasets.iter().find(|d| d.name == ds_ident.text) else {
            if self.cx.is_broken(&ds_ident.text) {
                return None;
            }
            let holder = self
                .scope
                .datasets
                .iter()
                .find(|d| parts.len() == 1 && d.column(&ds_ident.text).is_some());
            let help = match holder {
                Some(d) => Some(format!(
                    "name the dataset: `{}({}.{})`",
                    func.name(),
                    d.name,
                    ds_ident.text
                )),
                None if self.scope.kpis.contains_key(&ds_ident.text) => Some(format!(
                    "`{}` is a KPI, already one value per period: use it without `{}`",
                    ds_ident.text,
                    func.name()
                )),
                None => did_you_mean(
                    &ds_ident.text,
                    self.scope.datasets.iter().map(|d| d.name.as_str()),
                ),
            };
            return self.error(
                Diagnostic::error(
                    Code::UnknownDataset,
                    ds_ident.span,
                    format!("no dataset is named `{}`", ds_ident.text),
                )
                .label("unknown dataset")
                .maybe_help(help),
            );
        };
        let column = match parts.as_slice() {
            [_] if matches!(func, AggFunc::Count) => None,
            [_] => {
                return self.error(
                    Diagnostic::error(
                        Code::WrongArguments,
                        arg.value.span,
                        format!("`{}` needs a column", func.name()),
                    )
                    .label("a dataset, not a column")
                    .help(format!(
                        "for example `{}({}.{})`",
                        func.name(),
                        ds.name,
                        first_numeric(ds)
                    )),
                )
            }
            [_, col] => match ds.column(&col.text) {
                Some(c) => Some(c),
                None => return self.error(filter::unknown_column(ds, col)),
            },
            _ => {
                return self.error(
                    Diagnostic::error(
                        Code::UnknownColumn,
                        arg.value.span,
                        "expected `dataset.column`",
                    )
                    .label("too many parts"),
                )
            }
        };
        let numeric_only = matches!(
            func,
            AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max
        );
        if let Some(c) = column {
            if numeric_only && !c.ty.is_numeric() {
                return self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        arg.value.span,
                        format!(
                            "`{}` needs a numeric column, but `{}` is {}",
                            func.name(),
                            c.name,
                            c.ty.name()
                        ),
                    )
                    .label(format!("a {} column", c.ty.name()))
                    .help("count it instead: `count(...)` or `count_distinct(...)`"),
                );
            }
        }
        let filter = match &arg.filter {
            Some(f) => Some(filter::lower(self.cx, ds, f)?),
            None => None,
        };
        let (ty, convert) = match (func, column) {
            // Equal amounts of two currencies are not one value.
            (AggFunc::CountDistinct, Some(c)) if c.currency_column().is_some() => {
                return self.error(
                    Diagnostic::error(
                        Code::UnitMismatch,
                        arg.value.span,
                        format!(
                            "`count_distinct` of `{}` counts amounts of several currencies as one",
                            c.name
                        ),
                    )
                    .label("amounts in the currency each row names")
                    .help("count distinct values of another column, such as an order id"),
                );
            }
            (AggFunc::Count | AggFunc::CountDistinct, _) => (Ty::NUMBER, None),
            (_, Some(c)) => match &c.currency {
                Some(_) if self.scope.locals.is_some() => {
                    if !super::currency::reporting_only(self.cx, c, arg.value.span, "a view") {
                        return None;
                    }
                    (Ty::MONEY, None)
                }
                Some(currency) => {
                    let uses = &self.scope.rates;
                    super::currency::aggregate(self.cx, (func, c, currency), uses, arg.value.span)
                        .ok()?
                }
                None if c.ty == ColumnType::Money => (Ty::MONEY, None),
                None => (Ty::NUMBER, None),
            },
            _ => (Ty::NUMBER, None),
        };
        let agg = Aggregate {
            dataset: ds.name.clone(),
            func,
            column: column.map(|c| c.name.clone()),
            filter,
            over_view: ds.format == SourceFormat::View,
            convert,
        };
        Some((self.intern(agg), ty))
    }

    /// The aggregate's place in the model's list, added when new.
    fn intern(&mut self, agg: Aggregate) -> Expr {
        Expr::Aggregate {
            index: self.aggregates.intern(agg),
        }
    }

    /// `attributed(rule)`, `allocated(rule)`, `unused_capacity(rule)`: the credit or cost of a rule,
    /// optionally filtered (`attributed(channel_credit where channel = "email")`).
    fn rule_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Arg],
        span: Span,
    ) -> Option<(Expr, Ty)> {
        let f = name.text.as_str();
        let (kind, format) = if f == "attributed" {
            ("attribution", SourceFormat::Attribution)
        } else {
            ("allocation", SourceFormat::Allocation)
        };
        let rule = match args {
            [a] if a.name.is_none() => match &a.value.kind {
                ExprKind::Path(p) if p.len() == 1 => Some((&p[0], a)),
                _ => None,
            },
            _ => None,
        };
        let Some((rule, arg)) = rule else {
            return self.error(
                Diagnostic::error(
                    Code::WrongArguments,
                    span,
                    format!("`{f}` takes the name of an {kind}"),
                )
                .label(given(args.len()))
                .help(format!("for example `{f}(channel_credit)`")),
            );
        };
        let table = if f == "unused_capacity" {
            scorecard_model::unused_table(&rule.text)
        } else {
            rule.text.clone()
        };
        let found = self
            .scope
            .datasets
            .iter()
            .find(|d| d.name == table && d.format == format);
        let Some(ds) = found else {
            if self.cx.is_broken(&rule.text) {
                return None;
            }
            let names = self
                .scope
                .datasets
                .iter()
                .filter(|d| d.format == format && !d.name.contains('.'))
                .map(|d| d.name.as_str());
            return self.error(
                Diagnostic::error(
                    Code::UnknownName,
                    rule.span,
                    format!("no {kind} is named `{}`", rule.text),
                )
                .label(format!("unknown {kind}"))
                .maybe_help(did_you_mean(&rule.text, names)),
            );
        };
        let filter = match &arg.filter {
            Some(x) => Some(filter::lower(self.cx, ds, x)?),
            None => None,
        };
        let column = if format == SourceFormat::Attribution {
            "credit"
        } else {
            "cost"
        };
        let agg = Aggregate {
            dataset: ds.name.clone(),
            func: AggFunc::Sum,
            column: Some(column.into()),
            filter,
            over_view: false,
            convert: None,
        };
        Some((self.intern(agg), Ty::MONEY))
    }

    /// `top_share(customer_pnl.profit, 20%)`: the share of the total held by the top fifth of rows.
    fn top_share(&mut self, args: &[ast::Arg], span: Span) -> Option<(Expr, Ty)> {
        let [x, share] = args else {
            return self.error(
                Diagnostic::error(
                    Code::WrongArguments,
                    span,
                    "`top_share` takes a column and a percentage",
                )
                .label(given(args.len()))
                .help("for example `top_share(customer_pnl.profit, 20%)`"),
            );
        };
        let fraction = match &share.value.kind {
            ExprKind::Percent(p) => self.cx.percent(p, share.value.span),
            _ => None,
        };
        let Some(fraction) = fraction.filter(|f| *f > Decimal::ZERO && *f <= Decimal::ONE) else {
            return self.error(
                Diagnostic::error(
                    Code::InvalidValue,
                    share.value.span,
                    "expected a percentage above 0% and at most 100%",
                )
                .label("not a share of rows")
                .help("for example `20%`"),
            );
        };
        if x.filter.is_some() || share.filter.is_some() || x.name.is_some() {
            return self.error(
                Diagnostic::error(
                    Code::WrongArguments,
                    x.span,
                    "`top_share` ranks every row: it takes no filter or names",
                )
                .label("unexpected `where` or name")
                .help("filter in the view instead, with an `if` in its column"),
            );
        }
        let (Expr::Aggregate { index }, ty) = self.aggregate(AggFunc::Sum, x)? else {
            return None;
        };
        let mut agg = self.aggregates[index].clone();
        // A share ranks rows by amount and divides by their total: within one currency it is the
        // same before and after converting, so it is taken unconverted; rows of several
        // currencies rank only once converted row by row, which rates (a period's) do not do.
        match &agg.convert {
            Some(scorecard_model::Conversion {
                of: scorecard_model::CurrencyOf::Column(_),
                ..
            }) => {
                return self.error(
                    Diagnostic::error(
                        Code::UnitMismatch,
                        x.value.span,
                        "`top_share` of amounts in the currency each row names is not converted",
                    )
                    .label("amounts of several currencies")
                    .help(
                        "rates convert a period's totals, not rows; rank amounts of one currency",
                    ),
                );
            }
            Some(_) => agg.convert = None,
            None => {}
        }
        let _ = ty;
        agg.func = AggFunc::TopShare { fraction };
        Some((self.intern(agg), Ty::NUMBER))
    }

    /// `clv(margin, retention, discount)` or with `horizon: 5` periods.
    fn clv(&mut self, args: &[ast::Arg], span: Span) -> Option<(Expr, Ty)> {
        let positional: Vec<&ast::Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        let named: Vec<&ast::Arg> = args.iter().filter(|a| a.name.is_some()).collect();
        let horizon_ok = named
            .iter()
            .all(|a| a.name.as_ref().is_some_and(|n| n.text == "horizon"));
        if positional.len() != 3
            || named.len() > 1
            || !horizon_ok
            || args.iter().any(|a| a.filter.is_some())
        {
            return self.error(
                Diagnostic::error(Code::WrongArguments, span, "`clv` takes a margin, a retention rate and a discount rate, and optionally `horizon:`")
                    .label(given(args.len()))
                    .help("for example `clv(avg(customer_pnl.profit), 80%, 10%, horizon: 5)`"),
            );
        }
        let horizon = match named.first() {
            None => None,
            Some(a) => super::parameter::constant(self.cx, &a.value)
                .filter(|h| h.fract().is_zero())
                .and_then(|h| u32::try_from(h.mantissa() / 10i128.pow(h.scale())).ok())
                .filter(|h| (1..=1000).contains(h))
                .or_else(|| {
                    self.cx.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            a.value.span,
                            "a horizon is a whole number of periods from 1 to 1000",
                        )
                        .label("not a number of periods")
                        .help("for example `horizon: 5`"),
                    );
                    None
                })
                .map(Some)?,
        };
        let m = self.lower(&positional[0].value);
        let r = self.lower(&positional[1].value);
        let d = self.lower(&positional[2].value);
        let ((m, mt), (r, rt), (d, dt)) = (m?, r?, d?);
        self.numeric(mt, positional[0].span)?;
        for (t, a) in [(rt, positional[1]), (dt, positional[2])] {
            if !matches!(t, Ty::Num { money: 0, .. }) {
                return self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        a.span,
                        "a rate is a percentage or a plain number",
                    )
                    .label(format!("this is {}", t.describe()))
                    .help("for example `80%`"),
                );
            }
        }
        Some((
            Expr::Clv {
                margin: Box::new(m),
                retention: Box::new(r),
                discount: Box::new(d),
                horizon,
            },
            mt,
        ))
    }

    fn if_call(&mut self, args: &[ast::Arg], span: Span) -> Option<(Expr, Ty)> {
        if args.len() != 3 || args.iter().any(|a| a.name.is_some() || a.filter.is_some()) {
            return self.error(
                Diagnostic::error(
                    Code::WrongArguments,
                    span,
                    "`if` takes three arguments: a condition, then, otherwise",
                )
                .label(given(args.len()))
                .help("for example `if(sum(orders.units) > 0, a, b)`"),
            );
        }
        let c = self.lower(&args[0].value);
        let a = self.lower(&args[1].value);
        let b = self.lower(&args[2].value);
        let ((cx_, ct), (ax, at), (bx, bt)) = (c?, a?, b?);
        self.condition(ct, args[0].span)?;
        self.numeric(at, args[1].span)?;
        self.numeric(bt, args[2].span)?;
        let Some(t) = units::same(at, bt) else {
            return self.mismatch(
                format!(
                    "the branches of `if` differ: {} and {}",
                    at.describe(),
                    bt.describe()
                ),
                args[1].span,
                at,
                args[2].span,
                bt,
            );
        };
        Some((
            Expr::If {
                cond: Box::new(cx_),
                then: Box::new(ax),
                otherwise: Box::new(bx),
            },
            t,
        ))
    }
}

impl Lowering<'_, '_> {
    /// `[-1]` or `[same period last year]`.
    fn shift(&mut self, index: &ast::Expr) -> Option<Shift> {
        match &index.kind {
            ExprKind::SamePeriodLastYear => return Some(Shift::YearAgo),
            ExprKind::Period(_) => {
                self.cx.report(test_only(index.span));
                return None;
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                if let ExprKind::Number(n) = &operand.kind {
                    if let Ok(n) = n.parse::<i64>() {
                        if (1..=MAX_WINDOW).contains(&n) {
                            return Some(Shift::Periods { n: -n });
                        }
                    }
                }
            }
            _ => {}
        }
        self.cx.report(
            Diagnostic::error(Code::InvalidValue, index.span, "expected an earlier period")
                .label("not a period offset")
                .help("write `x[-1]` for the previous period, `x[-12]` for twelve before, or `x[same period last year]`"),
        );
        None
    }

    /// `change(x)` is `x - x[-1]`; `pct_change(x)` is `x / x[-1] - 1` (or against
    /// `[same period last year]`). `copy` is `x` copied for its second use.
    fn change(
        &mut self,
        f: &str,
        x: Expr,
        copy: Expr,
        t: Ty,
        args: &[ast::Arg],
    ) -> Option<(Expr, Ty)> {
        let (operand, copy) = (Box::new(x), Box::new(copy));
        if f == "change" {
            let earlier = Expr::Shift {
                shift: Shift::Periods { n: -1 },
                operand: copy,
            };
            let change = Expr::Arith {
                op: ArithOp::Sub,
                left: operand,
                right: Box::new(earlier),
            };
            return Some((change, t));
        }
        let shift = match args.get(1).map(|a| &a.value) {
            None => Shift::Periods { n: -1 },
            Some(ast::Expr {
                kind: ExprKind::List(items),
                ..
            }) if items.len() == 1 => self.shift(&items[0])?,
            Some(other) => self.shift(other)?,
        };
        let earlier = Expr::Shift {
            shift,
            operand: copy,
        };
        let ratio = Expr::Arith {
            op: ArithOp::Div,
            left: operand,
            right: Box::new(earlier),
        };
        let change = Expr::Arith {
            op: ArithOp::Sub,
            left: Box::new(ratio),
            right: Box::new(Expr::Number {
                value: Decimal::ONE,
            }),
        };
        Some((change, Ty::NUMBER))
    }

    /// `ytd(x)`, `qtd(x)`, `mtd(x)`, `cumulative(x)`, `rolling(x, 12 months)`, `change(x)`,
    /// `pct_change(x)`, `pct_change(x, [same period last year])`.
    fn time_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Arg],
        span: Span,
    ) -> Option<(Expr, Ty)> {
        let f = name.text.as_str();
        let takes = match f {
            "rolling" => "two arguments: a value and a window such as `12 months`",
            "pct_change" => "a value, and optionally `[same period last year]`",
            _ => "one argument",
        };
        let count_ok = match f {
            "rolling" => args.len() == 2,
            "pct_change" => args.len() == 1 || args.len() == 2,
            _ => args.len() == 1,
        };
        if !count_ok || args.iter().any(|a| a.name.is_some() || a.filter.is_some()) {
            return self.error(
                Diagnostic::error(Code::WrongArguments, span, format!("`{f}` takes {takes}"))
                    .label(given(args.len()))
                    .help(format!("for example `{}`", example(f))),
            );
        }
        let (x, t) = self.lower(&args[0].value)?;
        self.numeric(t, args[0].span)?;
        if f == "change" || f == "pct_change" {
            let copy = self.copy(&x, span, &format!("`{f}`"))?;
            return self.change(f, x, copy, t, args);
        }
        let operand = Box::new(x);
        let window = match f {
            "ytd" => self.period_to_date(Window::Ytd, Grain::Year, span)?,
            "qtd" => self.period_to_date(Window::Qtd, Grain::Quarter, span)?,
            "mtd" => self.period_to_date(Window::Mtd, Grain::Month, span)?,
            "cumulative" => Window::Cumulative,
            _ => Window::Rolling {
                periods: self.window_length(&args[1].value)?,
            },
        };
        if self.counts_distinct(&operand) {
            return self.error(
                Diagnostic::error(Code::InvalidValue, args[0].span, format!("`{f}` cannot combine distinct counts, top shares or view rows across periods"))
                    .label("only meaningful within one period")
                    .help("a customer counted in two months would be counted twice; use these within a single period (or a coarser grain), or sum a dataset's column instead"),
            );
        }
        Some((Expr::Window { window, operand }, t))
    }

    fn period_to_date(&mut self, window: Window, container: Grain, span: Span) -> Option<Window> {
        if self.scope.periods.nests_in(container) {
            return Some(window);
        }
        let grain = self.scope.periods.grain.name();
        let help = if self.scope.periods.grain == Grain::Week {
            "weeks of a gregorian or fiscal calendar do not fit in months or quarters; use a retail calendar, `grain: day`, or `ytd`".to_string()
        } else {
            format!(
                "a {grain} is not part of a {}: use a finer grain",
                container.name()
            )
        };
        self.error(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!(
                    "a {}-to-date window needs periods that fit in a {}",
                    container.name(),
                    container.name()
                ),
            )
            .label(format!("the grain is {grain}"))
            .help(help),
        )
        .map(|_| window)
    }

    /// `12 months` in periods at the scorecard's grain.
    /// A duration (`12 months`) in periods at the scorecard's grain, from 1 to `MAX_WINDOW`.
    pub fn window_length(&mut self, e: &ast::Expr) -> Option<i64> {
        let grain = self.scope.periods.grain;
        let bad = |cx: &mut Checker, span: Span, why: String| {
            cx.report(
                Diagnostic::error(Code::InvalidValue, span, why)
                    .label("not a window length")
                    .help(format!(
                        "write a count of periods, such as `3 periods` or `12 {}s`",
                        grain.name()
                    )),
            );
            None
        };
        let ExprKind::Duration { count, unit } = &e.kind else {
            return bad(
                self.cx,
                e.span,
                "expected a window length such as `12 months`".into(),
            );
        };
        let n: i64 = match count.parse() {
            Ok(n) if (1..=MAX_WINDOW).contains(&n) => n,
            _ => {
                return bad(
                    self.cx,
                    e.span,
                    format!("a window is a whole number of periods, from 1 to {MAX_WINDOW}"),
                )
            }
        };
        let unit_name = unit.text.trim_end_matches('s');
        let per = match (unit_name, grain) {
            ("period", _) => Some(1),
            (u, g) if u == g.name() => Some(1),
            ("year", Grain::Month) => Some(12),
            ("year", Grain::Quarter) => Some(4),
            ("quarter", Grain::Month) => Some(3),
            ("week", Grain::Day) => Some(7),
            _ => None,
        };
        match per {
            Some(per) if n * per <= MAX_WINDOW => Some(n * per),
            Some(_) => bad(
                self.cx,
                e.span,
                format!("a window is at most {MAX_WINDOW} periods"),
            ),
            None => bad(
                self.cx,
                unit.span,
                format!(
                    "`{count} {}` is not a whole number of {}s",
                    unit.text,
                    grain.name()
                ),
            ),
        }
    }

    fn counts_distinct(&self, e: &Expr) -> bool {
        uses_distinct(e, self.aggregates, self.scope.distinct)
    }
}

fn example(f: &str) -> &'static str {
    match f {
        "rolling" => "rolling(net_revenue, 12 months)",
        "pct_change" => "pct_change(net_revenue, [same period last year])",
        "change" => "change(net_revenue)",
        "qtd" => "qtd(net_revenue)",
        "mtd" => "mtd(net_revenue)",
        "cumulative" => "cumulative(net_revenue)",
        _ => "ytd(net_revenue)",
    }
}

/// Whether an expression counts distinct values, directly or through the KPIs it names.
pub fn uses_distinct(
    e: &Expr,
    aggregates: &[Aggregate],
    distinct: &BTreeMap<String, bool>,
) -> bool {
    scorecard_diagnostic::depth::deep(|| match e {
        Expr::Aggregate { index } => aggregates[*index].single_period(),
        Expr::Kpi { name } => distinct.get(name).copied().unwrap_or(false),
        other => other
            .children()
            .into_iter()
            .any(|c| uses_distinct(c, aggregates, distinct)),
    })
}

fn first_numeric(ds: &Dataset) -> &str {
    ds.columns
        .iter()
        .find(|c| c.ty.is_numeric())
        .map(|c| c.name.as_str())
        .unwrap_or("column")
}

/// "1 argument given", "3 arguments given".
fn given(n: usize) -> String {
    format!("{n} argument{} given", if n == 1 { "" } else { "s" })
}

/// A condition over a KPI's series of periods, written where only a value or a single period's
/// condition can go.
/// A period name or `escalation ... raised in ...` outside a test's `expect`.
pub fn test_only(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TestOnly,
        span,
        "period names and `raised in` only appear in a test's `expect`",
    )
    .label("only in a `test` declaration")
    .help("write a date to compare with (`order_date >= 2026-05-01`), or `x - y` with spaces for a subtraction")
}

pub fn escalation_only(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::EscalationOnly,
        span,
        "this condition reads a series of periods, which only an escalation can",
    )
    .label("only in an escalation's `when` or `recover`")
    .help("status tests (`is red for 2 periods`), `deviates from` and `anomaly(...)` belong in `escalation` declarations")
}
