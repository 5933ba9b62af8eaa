//! Owns `kpi` declarations: properties, the value and target expressions, thresholds, segments,
//! rounding and the missing-data policy. KPIs are lowered in dependency order so that a reference to
//! another KPI knows its unit.

use super::entries::{self, Entries};
use super::expr::{uses_distinct, AggregateSet, Lowering, Scope};
use super::model::*;
use super::units::{Lit, Ty};
use super::{dated, definitions, graph, thresholds, Checker};
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_model::calendar::Periods;
use scorecard_syntax::ast::{self, Declaration, ExprKind, Value};
use std::collections::{BTreeMap, BTreeSet};

const KEYS: &[&str] = &[
    "objective",
    "weight",
    "owner",
    "unit",
    "value",
    "target",
    "better",
    "thresholds",
    "by",
    "rounding",
    "missing",
    "scoring",
    "effective",
    "previously",
    "renamed_from",
    "partial",
    "requires",
    "rates",
    "rates_of",
];
const UNITS: &[&str] = &["money", "percent", "ratio", "number", "count"];
/// Names that mean something inside thresholds, so no KPI may take them.
const RESERVED: &[&str] = &["value", "target", "otherwise", "true", "false"];

/// What KPIs are checked against: the rest of the scorecard, already checked.
pub struct Surroundings<'a> {
    pub datasets: &'a [Dataset],
    pub objectives: &'a [Objective],
    pub functions: &'a [Function],
    pub money_scale: u32,
    pub periods: Periods,
    pub default_scoring: Scoring,
    pub default_partial: Partial,
}

/// The checked KPIs, with what later declarations (escalations) need to read them.
pub struct CheckedKpis {
    pub kpis: Vec<Kpi>,
    /// The aggregates so far, the views' and the KPIs'.
    pub aggregates: AggregateSet,
    /// The unit of every KPI name (unknown for one that failed its check).
    pub units: BTreeMap<String, Ty>,
    /// Whether a KPI counts distinct values.
    pub distinct: BTreeMap<String, bool>,
    /// The reported unit of every KPI that checked.
    pub kpi_units: BTreeMap<String, Unit>,
}

/// Checks every KPI, adding the aggregates they use to `aggregates` (which holds the views' already).
pub fn check_all(
    cx: &mut Checker,
    decls: &[&Declaration],
    around: Surroundings,
    mut aggregates: AggregateSet,
) -> CheckedKpis {
    let Surroundings {
        datasets,
        objectives,
        functions,
        money_scale,
        periods,
        default_scoring,
        default_partial,
    } = around;
    let mut decls: Vec<&Declaration> = decls.to_vec();
    decls.retain(|d| {
        let reserved = RESERVED.contains(&d.name.text.as_str());
        if reserved {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    d.name.span,
                    format!("`{}` cannot name a KPI", d.name.text),
                )
                .label("reserved word")
                .help(format!(
                    "`{}` has a meaning inside thresholds; choose another name",
                    d.name.text
                )),
            );
        }
        !reserved
    });
    let names: Vec<String> = decls.iter().map(|d| d.name.text.clone()).collect();
    let spans: BTreeMap<String, Span> = decls
        .iter()
        .map(|d| (d.name.text.clone(), d.name.span))
        .collect();
    let by_name: BTreeMap<&str, &Declaration> =
        decls.iter().map(|d| (d.name.text.as_str(), *d)).collect();
    let mut refs: BTreeMap<String, Vec<(String, Span)>> = BTreeMap::new();
    for d in &decls {
        let mut found = Vec::new();
        for e in &d.entries {
            match (e.key.text.as_str(), &e.value) {
                ("value" | "target" | "previously", v) => references(v, &by_name, &mut found),
                // In the shorthand `green >= 40%, red otherwise` the first word is a status.
                ("thresholds", Value::Items(items, _)) => {
                    for item in items {
                        if let ExprKind::Binary { right, .. } = &item.expr.kind {
                            expr_refs(right, &by_name, &mut found);
                        }
                    }
                }
                ("thresholds", v) => references(v, &by_name, &mut found),
                _ => {}
            }
        }
        refs.insert(d.name.text.clone(), found);
    }
    let (order, cycles, in_cycle) = graph::order(&names, &refs, &spans, &graph::KPI_REFERENCES);
    for c in cycles {
        cx.report(c);
    }

    // Units of KPIs known so far; KPIs on a cycle stay unknown so their errors are not repeated.
    let mut units: BTreeMap<String, Ty> = names.iter().map(|n| (n.clone(), Ty::Unknown)).collect();
    let mut kpis = Vec::new();
    let mut distinct = BTreeMap::new();
    let mut kpi_units = BTreeMap::new();
    for name in &order {
        let Some(d) = by_name.get(name.as_str()) else {
            continue;
        };
        let known = Known {
            default_scoring: default_scoring.clone(),
            default_partial,
            functions,
            datasets,
            objectives,
            kpi_units: &kpi_units,
            units: &units,
            distinct: &distinct,
            periods,
            money_scale,
        };
        let checked = check_one(cx, d, known, &mut aggregates);
        if let Some((kpi, ty)) = checked {
            if !in_cycle.contains(name) {
                units.insert(name.clone(), ty);
            }
            kpi_units.insert(kpi.name.clone(), kpi.unit);
            distinct.insert(
                name.clone(),
                kpi.values()
                    .any(|v| uses_distinct(v, &aggregates, &distinct)),
            );
            kpis.push(kpi);
        }
    }
    // Checked in dependency order; reported in the order the file declares them.
    let position: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    kpis.sort_by_key(|k| position.get(k.name.as_str()).copied().unwrap_or(usize::MAX));
    segments(cx, &kpis, &aggregates, datasets, &by_name);
    former_names_once(cx, &kpis, &by_name);
    CheckedKpis {
        kpis,
        aggregates,
        units,
        distinct,
        kpi_units,
    }
}

/// A former name (`renamed_from`) belongs to one KPI only, or `diff` could not tell which it became.
fn former_names_once(cx: &mut Checker, kpis: &[Kpi], decls: &BTreeMap<&str, &Declaration>) {
    let mut claimed: BTreeMap<&str, &str> = BTreeMap::new();
    for k in kpis {
        for old in &k.renamed_from {
            let Some(first) = claimed.insert(old, &k.name) else {
                continue;
            };
            let span = decls
                .get(k.name.as_str())
                .and_then(|d| d.entries.iter().find(|e| e.key.text == "renamed_from"))
                .map_or(Span::default(), |e| e.value.span());
            cx.report(
                Diagnostic::error(
                    Code::DuplicateName,
                    span,
                    format!(
                        "`{old}` is a former name of both `{first}` and `{}`",
                        k.name
                    ),
                )
                .label("claimed twice")
                .help("a former name becomes one KPI; remove it from one of them"),
            );
        }
    }
}

/// Names of KPIs mentioned in a value (outside `where` filters).
fn references(v: &Value, kpis: &BTreeMap<&str, &Declaration>, out: &mut Vec<(String, Span)>) {
    match v {
        Value::Block(list, _) => list.iter().for_each(|e| references(&e.value, kpis, out)),
        Value::Items(items, _) => items.iter().for_each(|i| expr_refs(&i.expr, kpis, out)),
    }
}

fn expr_refs(e: &ast::Expr, kpis: &BTreeMap<&str, &Declaration>, out: &mut Vec<(String, Span)>) {
    scorecard_diagnostic::depth::deep(|| match &e.kind {
        ExprKind::Path(p) if p.len() == 1 && kpis.contains_key(p[0].text.as_str()) => {
            out.push((p[0].text.clone(), e.span))
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| expr_refs(&a.value, kpis, out)),
        ExprKind::Unary { operand, .. } => expr_refs(operand, kpis, out),
        ExprKind::Binary { left, right, .. } => {
            expr_refs(left, kpis, out);
            expr_refs(right, kpis, out);
        }
        ExprKind::Index { target, .. } => expr_refs(target, kpis, out),
        ExprKind::List(items) => items.iter().for_each(|x| expr_refs(x, kpis, out)),
        _ => {}
    })
}

/// What is known when a KPI is checked: the datasets, and the KPIs it may refer to.
struct Known<'a> {
    default_scoring: Scoring,
    default_partial: Partial,
    functions: &'a [Function],
    datasets: &'a [Dataset],
    objectives: &'a [Objective],
    kpi_units: &'a BTreeMap<String, Unit>,
    units: &'a BTreeMap<String, Ty>,
    distinct: &'a BTreeMap<String, bool>,
    periods: Periods,
    money_scale: u32,
}

fn check_one(
    cx: &mut Checker,
    d: &Declaration,
    known: Known,
    aggregates: &mut AggregateSet,
) -> Option<(Kpi, Ty)> {
    let Known {
        default_scoring,
        default_partial,
        functions,
        datasets,
        objectives,
        kpi_units,
        units,
        distinct,
        periods,
        money_scale,
    } = known;
    let what = format!("kpi `{}`", d.name.text);
    let e = Entries::read(cx, "a kpi", &d.entries, KEYS);
    let owner = e.get("owner").and_then(|x| entries::string(cx, x));
    let objective = e
        .get("objective")
        .and_then(|o| objective(cx, o, objectives));
    let weight = super::strategy::weight(cx, e.get("weight"));
    let scoring = match e.get("scoring") {
        Some(x) => super::scoring::read(cx, x, Some(functions)),
        None => Some(default_scoring),
    };
    let rates = super::currency::kpi_rates(cx, (e.get("rates"), e.get("rates_of")), periods);
    let mut lw = Lowering {
        cx,
        scope: Scope {
            rates,
            ..Scope::of_kpis(datasets, units, distinct, periods)
        },
        aggregates,
    };

    let value = match e.get("value") {
        None => {
            entries::missing_key(lw.cx, d.name.span, &what, "value", "sum(orders.revenue)");
            None
        }
        Some(v) => expression(&mut lw, v),
    };
    let Some((value, value_ty)) = value else {
        // Still check the rest for errors of its own.
        if let Some(t) = e.get("target") {
            let _ = dated::read(&mut lw, t, expression);
        }
        if let Some(t) = e.get("thresholds") {
            let _ = dated::read(&mut lw, t, |lw, t| thresholds::check(lw, t, Ty::Unknown));
        }
        return None;
    };
    let history = definitions::read(&mut lw, &e, value_ty, &expression);
    let declared_now = |name: &str| name != d.name.text && units.contains_key(name);
    let renamed_from = definitions::renamed_from(&mut lw, e.get("renamed_from"), declared_now);
    let (effective, previously) = history?;
    let target = match e.get("target") {
        None => Dated::always(None),
        Some(t) => dated::read(&mut lw, t, |lw, t| target(lw, t, value_ty))?,
    };
    let judged: Vec<&Expr> = std::iter::once(&value).chain(target.all()).collect();
    super::currency::rates_reach(lw.cx, &lw.scope.rates, (&judged, lw.aggregates), &e);
    if let Some(code) = value_ty.currency() {
        let message = format!(
            "this KPI's value is money in {code}, but the scorecard reports in {}",
            lw.cx.reporting
        );
        let help = format!("say how the column converts: `money({code}) average` for a flow (revenue, cost), `money({code}) closing` for a balance; or divide by other {code} money for a ratio");
        let label = format!("unconverted {code}");
        return unit_error(lw.cx, (&e, d), message, (&label, &help));
    }
    let ok_unit = value_ty.money().is_some_and(|m| m == 0 || m == 1) || value_ty == Ty::Unknown;
    if !ok_unit {
        let message = format!(
            "a KPI value must be money or a number, found {}",
            value_ty.describe()
        );
        let help = "divide money by money for a ratio, or by a count for money per item";
        return unit_error(lw.cx, (&e, d), message, ("not a reportable unit", help));
    }

    let unit = unit(lw.cx, &e, &value, value_ty, (lw.aggregates, kpi_units))?;
    // Gates read the inputs, not the KPI's own value or target: lowered before those are known.
    let requires = match e.get("requires") {
        Some(r) => super::gates::read(&mut lw, r, &d.name.text)?,
        None => Vec::new(),
    };
    let partial = match e.get("partial") {
        Some(p) => super::coverage::policy(lw.cx, p)?,
        None => default_partial,
    };
    let target_ty = value_ty;
    lw.scope.this = Some((value_ty, target_ty));
    let thresholds = match e.get("thresholds") {
        Some(t) => dated::read(&mut lw, t, |lw, t| thresholds::check(lw, t, value_ty))?,
        None => Dated::always(None),
    };
    if target.all().next().is_none() {
        let compares = thresholds.all().flatten().filter_map(|t| t.when.as_ref());
        if let (true, Some(entry)) = (
            compares.into_iter().any(mentions_target),
            e.get("thresholds"),
        ) {
            lw.cx.report(
                Diagnostic::error(
                    Code::NoTarget,
                    entry.value.span(),
                    format!(
                        "the thresholds of `{}` compare with `target`, but it has no target",
                        d.name.text
                    ),
                )
                .label("compares with a target that is never set")
                .help("give the KPI a `target:`, or compare with a number (`green: value >= 40%`)"),
            );
            return None;
        }
    }
    let better = match e.get("better") {
        None => Better::Higher,
        Some(b) => better(lw.cx, b, value_ty)?,
    };
    let by = e
        .get("by")
        .map(|b| {
            entries::word_list(lw.cx, b)
                .into_iter()
                .map(|w| w.text.clone())
                .collect()
        })
        .unwrap_or_default();
    let rounding = match e.get("rounding") {
        Some(r) => rounding(lw.cx, r)?,
        None => Rounding {
            places: default_places(unit, money_scale),
            mode: RoundMode::HalfEven,
        },
    };
    let missing = match e
        .get("missing")
        .and_then(|m| entries::word(lw.cx, m, "`not_evaluated` or `zero`"))
    {
        None => Missing::NotEvaluated,
        Some(w) => match w.text.as_str() {
            "not_evaluated" => Missing::NotEvaluated,
            "zero" => Missing::Zero,
            other => {
                lw.cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        w.span,
                        format!("unknown missing-data policy `{other}`"),
                    )
                    .label("expected `not_evaluated` or `zero`")
                    .maybe_help(did_you_mean(other, ["not_evaluated", "zero"])),
                );
                return None;
            }
        },
    };
    let line = lw.cx.line(d.span);
    Some((
        Kpi {
            name: d.name.text.clone(),
            label: d.label.as_ref().map(|l| l.text.clone()),
            doc: d.doc.clone(),
            owner,
            objective,
            weight: weight?,
            scoring: scoring?,
            unit,
            value,
            effective,
            previously,
            renamed_from,
            target,
            better,
            thresholds,
            by,
            rounding,
            missing,
            partial,
            requires,
            line,
        },
        value_ty,
    ))
}

/// The objective a KPI measures, which must be declared.
fn objective(cx: &mut Checker, e: &ast::Entry, objectives: &[Objective]) -> Option<String> {
    let w = entries::word(cx, e, "an objective's name")?;
    let names = objectives.iter().map(|o| o.name.as_str());
    super::strategy::declared(cx, w, ("objective", "perspective: financial"), names)
}

/// A target, in the unit of the value.
fn target(lw: &mut Lowering, entry: &ast::Entry, value_ty: Ty) -> Option<Expr> {
    let (x, t) = expression(lw, entry)?;
    if super::units::same(value_ty, t).is_none() || t == Ty::Bool {
        lw.cx.report(
            Diagnostic::error(
                Code::UnitMismatch,
                entry.value.span(),
                format!(
                    "the target is {} but the value is {}",
                    t.describe(),
                    value_ty.describe()
                ),
            )
            .label("target in another unit")
            .help(
                "a target is in the KPI's own unit: money against money, a percent against a ratio",
            ),
        );
        return None;
    }
    Some(x)
}

fn expression(lw: &mut Lowering, e: &ast::Entry) -> Option<(Expr, Ty)> {
    let expr = entries::expression(lw.cx, e, "an expression")?;
    let (x, t) = lw.lower(expr)?;
    if t == Ty::Bool {
        lw.cx.report(
            Diagnostic::error(
                Code::TypeMismatch,
                expr.span,
                format!("`{}` must be a number, found a condition", e.key.text),
            )
            .label("a condition")
            .help("use `if(condition, a, b)` to choose between numbers"),
        );
        return None;
    }
    Some((x, t))
}

/// The declared unit, checked against the value; or the inferred one.
fn unit(
    cx: &mut Checker,
    e: &Entries,
    value: &Expr,
    ty: Ty,
    known: (&[Aggregate], &BTreeMap<String, Unit>),
) -> Option<Unit> {
    let is_money = ty.money() == Some(1);
    let Some(entry) = e.get("unit") else {
        return Some(inferred_unit(value, ty, known));
    };
    let w = entries::word(cx, entry, "a unit")?;
    let unit = match w.text.as_str() {
        "money" => Unit::Money,
        "percent" => Unit::Percent,
        "ratio" => Unit::Ratio,
        "number" => Unit::Number,
        "count" => Unit::Count,
        other => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!("unknown unit `{other}`"),
                )
                .label("not a unit")
                .help(
                    did_you_mean(other, UNITS.iter().copied())
                        .unwrap_or_else(|| format!("the units are: {}", UNITS.join(", "))),
                ),
            );
            return None;
        }
    };
    if ty != Ty::Unknown && (unit == Unit::Money) != is_money {
        let found = if is_money { "money" } else { "not money" };
        cx.report(
            Diagnostic::error(
                Code::UnitMismatch,
                w.span,
                format!("declared as {} but the value is {found}", unit.name()),
            )
            .label("declared unit")
            .help(if is_money {
                "the value sums money: declare `unit: money`, or divide by money for a ratio"
            } else {
                "the value is a ratio or number: declare `unit: percent`, `ratio` or `number`"
            }),
        );
        return None;
    }
    Some(unit)
}

fn better(cx: &mut Checker, e: &ast::Entry, value_ty: Ty) -> Option<Better> {
    let item = entries::single(cx, e, "`higher`, `lower` or `within(low, high)`")?;
    let bad = |cx: &mut Checker| {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                item.span,
                "expected `higher`, `lower` or `within(low, high)`",
            )
            .label("not a direction")
            .help("for a value best between 40% and 45% write `better: within(40%, 45%)`"),
        );
        None
    };
    match &item.expr.kind {
        ExprKind::Path(p) if p.len() == 1 && p[0].text == "higher" => Some(Better::Higher),
        ExprKind::Path(p) if p.len() == 1 && p[0].text == "lower" => Some(Better::Lower),
        ExprKind::Call { name, args } if name.text == "within" && args.len() == 2 => {
            let bound = |cx: &mut Checker, a: &ast::Arg| match &a.value.kind {
                ExprKind::Number(n) => cx.decimal(n, a.value.span).map(|v| (v, false)),
                ExprKind::Percent(p) => cx.percent(p, a.value.span).map(|v| (v, true)),
                _ => None,
            };
            let (Some((low, lp)), Some((high, hp))) = (bound(cx, &args[0]), bound(cx, &args[1]))
            else {
                return bad(cx);
            };
            if (lp || hp) && value_ty.money() == Some(1) {
                cx.report(
                    Diagnostic::error(
                        Code::UnitMismatch,
                        item.span,
                        "a money KPI cannot be within percents",
                    )
                    .label("percent bounds on money")
                    .help("give the bounds as amounts: `within(1000, 2000)`"),
                );
                return None;
            }
            if low > high {
                cx.report(entries::empty_range(item.span));
                return None;
            }
            Some(Better::Within { low, high })
        }
        _ => bad(cx),
    }
}

/// `1 decimal half_even`, `2 decimals`, `0 decimals half_up`.
fn rounding(cx: &mut Checker, e: &ast::Entry) -> Option<Rounding> {
    let item = entries::single(cx, e, "a rounding such as `1 decimal half_even`")?;
    let places = match &item.expr.kind {
        ExprKind::Number(n) => n.parse::<u32>().ok().filter(|p| *p <= 12),
        _ => None,
    };
    let words: Vec<&str> = item.modifiers.iter().map(|m| m.text.as_str()).collect();
    let mode = match words.as_slice() {
        ["decimal" | "decimals"] => Some(RoundMode::HalfEven),
        ["decimal" | "decimals", "half_even"] => Some(RoundMode::HalfEven),
        ["decimal" | "decimals", "half_up"] => Some(RoundMode::HalfUp),
        _ => None,
    };
    match (places, mode) {
        (Some(places), Some(mode)) => Some(Rounding { places, mode }),
        _ => {
            cx.report(
                Diagnostic::error(Code::InvalidValue, item.span, "expected a rounding such as `1 decimal half_even`")
                    .label("not a rounding")
                    .help("write `N decimals` (0 to 12) and optionally `half_even` (the default) or `half_up`"),
            );
            None
        }
    }
}

/// Places a KPI is rounded to when it declares no rounding.
pub fn default_places(unit: Unit, money_scale: u32) -> u32 {
    match unit {
        Unit::Money => money_scale,
        Unit::Percent => 1,
        Unit::Ratio => 4,
        Unit::Number => 2,
        Unit::Count => 0,
    }
}

/// The unit of a value written without `unit:`: another KPI over time (`ytd(x)`, `x[-1]`,
/// `rolling(x, ...)`) is in that KPI's unit; else money, a count, a percent or a number, as the
/// value's type says.
pub fn inferred_unit(
    value: &Expr,
    ty: Ty,
    (aggs, kpi_units): (&[Aggregate], &BTreeMap<String, Unit>),
) -> Unit {
    let mut inner = value;
    while let Expr::Window { operand, .. } | Expr::Shift { operand, .. } = inner {
        inner = operand;
    }
    if let Expr::Kpi { name } = inner {
        if let Some(u) = kpi_units.get(name) {
            return *u;
        }
    }
    let counted = matches!(value, Expr::Aggregate { index } if matches!(aggs[*index].func, AggFunc::Count | AggFunc::CountDistinct));
    if ty.money() == Some(1) {
        Unit::Money
    } else if counted {
        Unit::Count
    } else if matches!(
        ty,
        Ty::Num {
            lit: Lit::Percent,
            ..
        }
    ) {
        Unit::Percent
    } else {
        Unit::Number
    }
}

/// Every dataset a KPI reads, directly or through the KPIs it refers to, must have its `by` columns.
fn segments(
    cx: &mut Checker,
    kpis: &[Kpi],
    aggregates: &[Aggregate],
    datasets: &[Dataset],
    decls: &BTreeMap<&str, &Declaration>,
) {
    let mut reach = super::model::Reach::new(kpis);
    for k in kpis {
        if k.by.is_empty() {
            continue;
        }
        let Some(decl) = decls.get(k.name.as_str()) else {
            continue;
        };
        let span = decl
            .entries
            .iter()
            .find(|e| e.key.text == "by")
            .map(|e| e.value.span())
            .unwrap_or(decl.name.span);
        // The KPI's own value, targets and thresholds, with the values of the KPIs they name: what
        // is evaluated in each of its segments.
        let mut read = BTreeSet::new();
        for e in k.values().chain(k.judging()) {
            reach.expr(e, &mut read);
        }
        let reads: BTreeSet<&str> = read
            .iter()
            .map(|i| aggregates[*i].dataset.as_str())
            .collect();
        let who = format!("kpi `{}`", k.name);
        segment_columns(cx, (&who, "this KPI"), &k.by, (&reads, datasets), span);
    }
}

/// Every dataset that `who` reads (`reads`) must have each of its segment columns `by`, each
/// listed once; `it` names it in the help ("this KPI").
pub fn segment_columns(
    cx: &mut Checker,
    (who, it): (&str, &str),
    by: &[String],
    (reads, datasets): (&BTreeSet<&str>, &[Dataset]),
    span: Span,
) {
    let mut dup = BTreeSet::new();
    for col in by {
        if !dup.insert(col) {
            cx.report(
                Diagnostic::error(
                    Code::SegmentColumn,
                    span,
                    format!("`{col}` is listed twice in `by`"),
                )
                .label("repeated column"),
            );
        }
        for ds_name in reads {
            let Some(ds) = datasets.iter().find(|d| &d.name == ds_name) else {
                continue;
            };
            let column = ds.column(col);
            // Equal amounts of two currencies are not one segment.
            if let Some(named) = column.and_then(Column::currency_column) {
                cx.report(
                    Diagnostic::error(
                        Code::SegmentColumn,
                        span,
                        format!("{who} is segmented by `{col}`, amounts in the currency each row's `{named}` names"),
                    )
                    .label("amounts of several currencies")
                    .help(format!("segment by `{named}` or another column; equal amounts of two currencies are not one segment")),
                );
            }
            if column.is_none() {
                cx.report(
                    Diagnostic::error(
                        Code::SegmentColumn,
                        span,
                        format!(
                            "{who} is segmented by `{col}` but dataset `{}` has no column `{col}`",
                            ds.name
                        ),
                    )
                    .label(format!("`{col}` is missing from `{}`", ds.name))
                    .help(
                        did_you_mean(col, ds.columns.iter().map(|c| c.name.as_str()))
                            .map(|h| format!("{h} (a column of `{}`)", ds.name))
                            .unwrap_or_else(|| {
                                format!(
                                    "every dataset {it} reads must have `{col}`: add it to `{}`",
                                    ds.name
                                )
                            }),
                    ),
                );
            }
        }
    }
}

/// Whether an expression reads the KPI's target.
fn mentions_target(e: &Expr) -> bool {
    scorecard_diagnostic::depth::deep(|| {
        matches!(e, Expr::Target) || e.children().into_iter().any(mentions_target)
    })
}

/// A KPI whose value's unit cannot be reported, marked at its value.
fn unit_error<T>(
    cx: &mut Checker,
    (e, d): (&Entries, &Declaration),
    message: String,
    (label, help): (&str, &str),
) -> Option<T> {
    let span = e
        .get("value")
        .map(|v| v.value.span())
        .unwrap_or(d.name.span);
    cx.report(
        Diagnostic::error(Code::UnitMismatch, span, message)
            .label(label)
            .help(help),
    );
    None
}
