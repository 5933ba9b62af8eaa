//! Owns checking `test` declarations: `data` that stands in for datasets, and `expect` statements on
//! values, statuses, scores and escalations. An expectation on an expression that is not a KPI's
//! name (`attributed(channel_credit)[2026-05, channel = "search"]`) is lowered here as a KPI value
//! is, and kept with its test (`Test::derived`) for `scorecard test` to evaluate; `run` never sees it.

use super::expr::{AggregateSet, Lowering, Scope};
use super::model::test::{Check, Expect, Fixture, Scored, Segment, Test, DERIVED_PREFIX};
use super::model::{Dataset, Escalation, Kpi, Objective, Perspective, PlainKpi, Scoring, Unit};
use super::units::Ty;
use super::Checker;
use rust_decimal::Decimal;
use scorecard_diagnostic::{self as diagnostic, Code, Diagnostic, Span};
use scorecard_model::calendar::Periods;
use scorecard_syntax::ast::{
    Arg, BinaryOp, Declaration, Entry, Expr, ExprKind, Ident, UnaryOp, Value,
};
use std::collections::{BTreeMap, BTreeSet};

const KEYS: &[&str] = &["data", "expect"];

const SHAPES: &str = "an expectation is `kpi[period] = value`, `status(kpi[period]) = red`, `score(kpi[period]) >= 7`, or `escalation name raised in period`";

/// What the tests can name.
pub struct Known<'a> {
    pub kpis: &'a [Kpi],
    pub escalations: &'a [Escalation],
    pub datasets: &'a [Dataset],
    pub objectives: &'a [Objective],
    pub perspectives: &'a [Perspective],
    pub periods: Periods,
    /// Every KPI and escalation declared, including those that failed their own check: an
    /// expectation on one of those is not reported again.
    pub declared: &'a std::collections::BTreeSet<&'a str>,
    /// Every table an expression may read: the declared datasets and those rules derive.
    pub tables: &'a [Dataset],
    /// The type, distinct counting and reported unit of every KPI, as an expression reads them.
    pub units: &'a BTreeMap<String, Ty>,
    pub distinct: &'a BTreeMap<String, bool>,
    pub kpi_units: &'a BTreeMap<String, Unit>,
    pub money_scale: u32,
    pub default_scoring: &'a Scoring,
}

/// The period and the segment comparisons inside `[...]`.
fn parts(index: &Expr) -> (&Expr, &[Expr]) {
    match &index.kind {
        ExprKind::List(items) if !items.is_empty() => (&items[0], &items[1..]),
        _ => (index, &[]),
    }
}

/// Checks every test, adding the aggregates its expressions read to `aggregates`.
pub fn check_all(
    cx: &mut Checker,
    decls: &[&Declaration],
    known: &Known,
    aggregates: &mut AggregateSet,
) -> Vec<Test> {
    // The tests' expressions share a budget of copied parts of their own, so that they never
    // take the scorecard's: tests cost `run` nothing.
    let scorecard_copies = std::mem::take(&mut cx.copied);
    let tests = decls
        .iter()
        .filter_map(|d| {
            let mut checking = Checking {
                known,
                aggregates: &mut *aggregates,
                derived: Vec::new(),
            };
            checking.test(cx, d)
        })
        .collect();
    cx.copied = scorecard_copies;
    tests
}

/// One test being checked: what it may name, the model's aggregates, and the KPIs derived from
/// its expectations on expressions.
struct Checking<'k, 'a> {
    known: &'k Known<'k>,
    aggregates: &'a mut AggregateSet,
    derived: Vec<Kpi>,
}

impl Checking<'_, '_> {
    fn test(&mut self, cx: &mut Checker, d: &Declaration) -> Option<Test> {
        let test = check_one(cx, d, self)?;
        Some(Test {
            derived: std::mem::take(&mut self.derived),
            ..test
        })
    }
}

fn check_one(cx: &mut Checker, d: &Declaration, checking: &mut Checking) -> Option<Test> {
    let known = checking.known;
    let mut data = Vec::new();
    let mut expects = Vec::new();
    let mut ok = true;
    for e in &d.entries {
        match e.key.text.as_str() {
            "data" => ok &= fixtures(cx, e, known, &mut data),
            "expect" => match expect(cx, e, checking) {
                Some(x) => expects.push(x),
                None => ok = false,
            },
            other => {
                cx.report(
                    Diagnostic::error(Code::UnknownKey, e.key.span, format!("unknown key `{other}` in a test"))
                        .label("not a key of a test")
                        .help(
                            diagnostic::did_you_mean(other, KEYS.iter().copied())
                                .unwrap_or_else(|| "a test has `data: { dataset: \"\"\"csv\"\"\" }` and `expect:` lines".into()),
                        ),
                );
                ok = false;
            }
        }
    }
    if expects.is_empty() && ok {
        cx.report(
            Diagnostic::error(
                Code::MissingKey,
                d.name.span,
                format!("test `{}` expects nothing", d.name.text),
            )
            .label("no `expect` line")
            .help("add `expect: kpi[period] = value`"),
        );
        return None;
    }
    ok.then(|| Test {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        line: cx.line(d.span),
        data,
        expects,
        derived: Vec::new(),
    })
}

/// `data: { orders: """csv""" ... }`
fn fixtures(cx: &mut Checker, e: &Entry, known: &Known, out: &mut Vec<Fixture>) -> bool {
    let Value::Block(entries, _) = &e.value else {
        cx.report(
            Diagnostic::error(Code::InvalidValue, e.value.span(), "`data` holds one CSV text per dataset")
                .label("expected `{ dataset: \"\"\"...\"\"\" }`")
                .help("write `data: { orders: \"\"\"\n  order_id,order_date,revenue\n  o1,2026-05-03,100.00\n\"\"\" }`"),
        );
        return false;
    };
    let mut ok = true;
    for f in entries {
        let name = &f.key.text;
        let Some(ds) = known.datasets.iter().find(|d| &d.name == name) else {
            let hint =
                diagnostic::did_you_mean(name, known.datasets.iter().map(|d| d.name.as_str()));
            cx.report(
                Diagnostic::error(
                    Code::UnknownDataset,
                    f.key.span,
                    format!("no dataset named `{name}`"),
                )
                .label("not a declared dataset")
                .maybe_help(hint),
            );
            ok = false;
            continue;
        };
        if !ds.is_file() {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    f.key.span,
                    format!("`{name}` is derived by the scorecard, not read from a file"),
                )
                .label("derived table")
                .help("give data for the datasets it is derived from"),
            );
            ok = false;
            continue;
        }
        if out.iter().any(|x: &Fixture| &x.dataset == name) {
            cx.report(
                Diagnostic::error(
                    Code::DuplicateKey,
                    f.key.span,
                    format!("data for `{name}` is given twice"),
                )
                .label("second time"),
            );
            ok = false;
            continue;
        }
        let text = match &f.value {
            Value::Items(items, _) if items.len() == 1 && items[0].modifiers.is_empty() => {
                match &items[0].expr.kind {
                    ExprKind::Str(s) => Some((s.clone(), items[0].expr.span)),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some((text, span)) = text else {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    f.value.span(),
                    format!("the data for `{name}` is CSV text in triple quotes"),
                )
                .label("expected `\"\"\"...\"\"\"`"),
            );
            ok = false;
            continue;
        };
        let (csv, skipped) = dedent(&text);
        out.push(Fixture {
            dataset: name.clone(),
            csv,
            line: cx.line(span) + skipped,
        });
    }
    ok
}

/// The text with its blank first and last lines dropped and the indentation its lines share
/// removed; and how many lines were dropped before the first.
pub fn dedent(text: &str) -> (String, usize) {
    let mut lines: Vec<&str> = text.lines().collect();
    let mut skipped = 0;
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
        skipped += 1;
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut csv = String::new();
    for l in lines {
        csv.push_str(l.get(indent..).unwrap_or("").trim_end());
        csv.push('\n');
    }
    (csv, skipped)
}

fn invalid<T>(cx: &mut Checker, span: Span, message: impl Into<String>, label: &str) -> Option<T> {
    cx.report(
        Diagnostic::error(Code::InvalidExpect, span, message)
            .label(label)
            .help(SHAPES),
    );
    None
}

fn expect(cx: &mut Checker, e: &Entry, checking: &mut Checking) -> Option<Expect> {
    let known = checking.known;
    let expr = super::entries::expression(cx, e, "an expectation")?;
    let (line, column) = diagnostic::position(cx.source, expr.span.start);
    let text = cx.text(expr.span);
    let check = match &expr.kind {
        ExprKind::Raised {
            escalation,
            segment,
            negated,
            period,
        } => raised(cx, escalation, (segment, period), *negated, known)?,
        ExprKind::Binary { op, left, right } if op.is_comparison() => match &left.kind {
            ExprKind::Call { name, args } if name.text == "status" || name.text == "score" => {
                let [arg] = args.as_slice() else {
                    return invalid(
                        cx,
                        left.span,
                        format!(
                            "`{}` takes one value: `{}(kpi[period])`",
                            name.text, name.text
                        ),
                        "one value",
                    );
                };
                status_or_score(cx, (name, arg), (*op, right), expr, known)?
            }
            ExprKind::Index { target, index } => {
                value(cx, (target, index), (*op, right), checking)?
            }
            _ => {
                return invalid(
                    cx,
                    left.span,
                    "expected a value in a period: `kpi[2026-05]`",
                    "no period",
                )
            }
        },
        _ => {
            return invalid(
                cx,
                expr.span,
                "not an expectation",
                "expected a comparison or `raised in`",
            )
        }
    };
    Some(Expect {
        line,
        column,
        text,
        check,
    })
}

/// `escalation raised in period` (or `not raised`, or in a segment). An escalation that failed
/// its own check is not reported again.
fn raised(
    cx: &mut Checker,
    escalation: &Ident,
    (segment, period): (&[Expr], &Expr),
    negated: bool,
    known: &Known,
) -> Option<Check> {
    if known.declared.contains(escalation.text.as_str())
        && !known.escalations.iter().any(|x| x.name == escalation.text)
    {
        return None;
    }
    if !known.escalations.iter().any(|x| x.name == escalation.text) {
        let hint = diagnostic::did_you_mean(
            &escalation.text,
            known.escalations.iter().map(|x| x.name.as_str()),
        );
        cx.report(
            Diagnostic::error(
                Code::UnknownName,
                escalation.span,
                format!("no escalation named `{}`", escalation.text),
            )
            .label("not a declared escalation")
            .maybe_help(hint),
        );
        return None;
    }
    let period = period_name(cx, period, known)?;
    let segment = segment_of(cx, segment)?;
    Some(Check::Raised {
        escalation: escalation.text.clone(),
        period,
        segment,
        raised: !negated,
    })
}

/// `status(kpi[period]) = red` or `score(name[period]) >= 7`: a KPI's status, or the score of a
/// KPI, an objective, a perspective or the whole scorecard.
fn status_or_score(
    cx: &mut Checker,
    (name, arg): (&Ident, &Arg),
    (op, right): (BinaryOp, &Expr),
    expr: &Expr,
    known: &Known,
) -> Option<Check> {
    let ExprKind::Index { target, index } = &arg.value.kind else {
        return invalid(
            cx,
            arg.span,
            "name the period in brackets",
            "expected `kpi[period]`",
        );
    };
    let ExprKind::Path(p) = &target.kind else {
        return invalid(
            cx,
            target.span,
            format!("`{}` reads a KPI by name", name.text),
            "expected a name",
        );
    };
    let subject = &p[0];
    let (period, segment) = parts(index);
    let period = period_name(cx, period, known)?;
    let segment = segment_of(cx, segment)?;
    if name.text == "status" {
        let kpi = kpi_named(cx, subject, known)?;
        segment_fits(cx, kpi, &segment, index.span)?;
        let status = status_word(cx, right)?;
        if !matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            return invalid(
                cx,
                expr.span,
                "a status is compared with `=` or `!=`",
                "statuses have no order",
            );
        }
        return Some(Check::Status {
            kpi: kpi.name.clone(),
            period,
            segment,
            expected: status,
            negated: op == BinaryOp::Ne,
        });
    }
    let of = if subject.text == "overall" {
        Scored::Overall
    } else if known.objectives.iter().any(|o| o.name == subject.text) {
        Scored::Objective
    } else if known.perspectives.iter().any(|o| o.name == subject.text) {
        Scored::Perspective
    } else {
        let kpi = kpi_named(cx, subject, known)?;
        segment_fits(cx, kpi, &segment, index.span)?;
        Scored::Kpi
    };
    if of != Scored::Kpi && !segment.is_empty() {
        return invalid(
            cx,
            index.span,
            "objective, perspective and overall scores have no segments",
            "a segment",
        );
    }
    let expected = literal(cx, right)?;
    Some(Check::Score {
        of,
        name: subject.text.clone(),
        period,
        segment,
        op: super::filter::cmp(op),
        expected,
    })
}

/// `kpi[period] = 1200` (or another comparison), of a KPI by name or of an expression, which
/// is lowered into a KPI of the test's own (`derived_kpi`).
fn value(
    cx: &mut Checker,
    (target, index): (&Expr, &Expr),
    (op, right): (BinaryOp, &Expr),
    checking: &mut Checking,
) -> Option<Check> {
    let known = checking.known;
    let (period, segment) = parts(index);
    let period = period_name(cx, period, known)?;
    let segment = segment_of(cx, segment)?;
    let kpi = match &target.kind {
        ExprKind::Path(p) if p.len() == 1 && known.kpis.iter().any(|k| k.name == p[0].text) => {
            let kpi = kpi_named(cx, &p[0], known)?;
            segment_fits(cx, kpi, &segment, index.span)?;
            kpi.name.clone()
        }
        // An expression: lowered as a KPI's value is, into a KPI of the test's own.
        _ => {
            let kpi = derived_kpi(cx, target, &segment, checking)?;
            let name = kpi.name.clone();
            checking.derived.push(kpi);
            name
        }
    };
    let expected = literal(cx, right)?;
    Some(Check::Value {
        kpi,
        period,
        segment,
        op: super::filter::cmp(op),
        expected,
    })
}

/// The KPI an expectation on an expression reads (`__expect_LINE_COLUMN`): the expression
/// lowered as a KPI value is, in the scorecard's unit rules, segmented by the columns its
/// segment names, which every dataset it reads must have.
fn derived_kpi(
    cx: &mut Checker,
    target: &Expr,
    segment: &Segment,
    checking: &mut Checking,
) -> Option<Kpi> {
    let known = checking.known;
    let (value, ty) = Lowering {
        cx,
        scope: Scope::of_kpis(known.tables, known.units, known.distinct, known.periods),
        aggregates: &mut *checking.aggregates,
    }
    .lower(target)?;
    let text = cx.text(target.span);
    if ty == Ty::Bool {
        cx.report(
            Diagnostic::error(
                Code::TypeMismatch,
                target.span,
                "an expected value must be a number, found a condition",
            )
            .label("a condition")
            .help("use `if(condition, a, b)` to choose between numbers"),
        );
        return None;
    }
    let reportable = ty.money().is_some_and(|m| m == 0 || m == 1) || ty == Ty::Unknown;
    if !reportable {
        cx.report(
            Diagnostic::error(
                Code::UnitMismatch,
                target.span,
                format!(
                    "an expected value must be money or a number, found {}",
                    ty.describe()
                ),
            )
            .label("not a reportable unit")
            .help("divide money by money for a ratio, or by a count for money per item"),
        );
        return None;
    }
    let by: Vec<String> = segment.iter().map(|(c, _)| c.clone()).collect();
    let mut read = BTreeSet::new();
    scorecard_model::reach(&value, known.kpis, &mut read);
    let aggregates: &[scorecard_model::Aggregate] = checking.aggregates;
    let reads: BTreeSet<&str> = read
        .iter()
        .map(|i| aggregates[*i].dataset.as_str())
        .collect();
    let errors = cx.diagnostics.len();
    let who = format!("`{text}`");
    super::kpi::segment_columns(cx, (&who, "it"), &by, (&reads, known.tables), target.span);
    if cx.diagnostics.len() > errors {
        return None;
    }
    let unit = super::kpi::inferred_unit(&value, ty, (aggregates, known.kpi_units));
    let (line, column) = diagnostic::position(cx.source, target.span.start);
    Some(Kpi::plain(PlainKpi {
        name: format!("{DERIVED_PREFIX}{line}_{column}"),
        // The expression as written, which messages name it by.
        label: Some(text),
        value,
        unit,
        by,
        places: super::kpi::default_places(unit, known.money_scale),
        scoring: known.default_scoring.clone(),
        line,
    }))
}

fn kpi_named<'k>(cx: &mut Checker, name: &Ident, known: &Known<'k>) -> Option<&'k Kpi> {
    if let Some(k) = known.kpis.iter().find(|k| k.name == name.text) {
        return Some(k);
    }
    if !cx.is_broken(&name.text) && !known.declared.contains(name.text.as_str()) {
        let hint = diagnostic::did_you_mean(&name.text, known.kpis.iter().map(|k| k.name.as_str()));
        cx.report(
            Diagnostic::error(
                Code::UnknownKpi,
                name.span,
                format!("no KPI named `{}`", name.text),
            )
            .label("not a declared KPI")
            .maybe_help(hint),
        );
    }
    None
}

/// A period written as `2026-05`, `FY2027-Q4`, `"FY2027-Q4"`, a year, or a day inside it; as the
/// calendar names it.
fn period_name(cx: &mut Checker, e: &Expr, known: &Known) -> Option<String> {
    let text = match &e.kind {
        ExprKind::Period(t) | ExprKind::Date(t) | ExprKind::Str(t) | ExprKind::Number(t) => {
            t.clone()
        }
        _ => String::new(),
    };
    match known.periods.parse(&text) {
        Some(p) => Some(known.periods.label(p)),
        None => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidExpect,
                    e.span,
                    format!("`{}` is not a period of this scorecard", cx.text(e.span)),
                )
                .label("expected a period")
                .help(format!(
                    "name a period as the calendar does, such as {}",
                    known.periods.example()
                )),
            );
            None
        }
    }
}

/// `region = "EMEA", channel = none`
fn segment_of(cx: &mut Checker, items: &[Expr]) -> Option<Segment> {
    let mut out = Vec::new();
    for s in items {
        let pair = match &s.kind {
            ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                right,
            } => match (&left.kind, &right.kind) {
                (ExprKind::Path(c), ExprKind::Str(v)) if c.len() == 1 => {
                    Some((c[0].text.clone(), Some(v.clone())))
                }
                (ExprKind::Path(c), ExprKind::Path(v))
                    if c.len() == 1 && v.len() == 1 && v[0].text == "none" =>
                {
                    Some((c[0].text.clone(), None))
                }
                _ => None,
            },
            _ => None,
        };
        let Some(pair) = pair else {
            cx.report(
                Diagnostic::error(Code::InvalidExpect, s.span, "a segment is `column = \"value\"`")
                    .label("expected a segment")
                    .help("write `gross_margin[2026-05, region = \"EMEA\"]` (`region = none` for rows with no region)"),
            );
            return None;
        };
        out.push(pair);
    }
    Some(out)
}

/// The segment names every `by` column of the KPI, or none of them (the total).
fn segment_fits(cx: &mut Checker, kpi: &Kpi, segment: &Segment, span: Span) -> Option<()> {
    if segment.is_empty() {
        return Some(());
    }
    let mut named: Vec<&str> = segment.iter().map(|(c, _)| c.as_str()).collect();
    named.sort();
    let mut by: Vec<&str> = kpi.by.iter().map(String::as_str).collect();
    by.sort();
    if named == by {
        return Some(());
    }
    cx.report(
        Diagnostic::error(
            Code::SegmentColumn,
            span,
            format!(
                "`{}` is segmented by {}",
                kpi.name,
                if by.is_empty() {
                    "nothing".to_string()
                } else {
                    by.join(", ")
                }
            ),
        )
        .label("these columns do not match")
        .help("name a value for every `by` column, or none for the total"),
    );
    None
}

fn status_word(cx: &mut Checker, e: &Expr) -> Option<String> {
    const STATUSES: &[&str] = &[
        "green",
        "amber",
        "red",
        "unrated",
        "insufficient_data",
        "none",
    ];
    if let ExprKind::Path(p) = &e.kind {
        if p.len() == 1 && STATUSES.contains(&p[0].text.as_str()) {
            return Some(p[0].text.clone());
        }
    }
    cx.report(
        Diagnostic::error(
            Code::InvalidExpect,
            e.span,
            format!("`{}` is not a status", cx.text(e.span)),
        )
        .label("expected a status")
        .help("a status is green, amber, red, unrated (no thresholds), insufficient_data (a gate of `requires` failed) or none (no value)"),
    );
    None
}

/// `30%`, `-1200.50`, `5 points`, or `none` (no value).
fn literal(cx: &mut Checker, e: &Expr) -> Option<Option<Decimal>> {
    // A number's own problems (more digits than are exact) are reported where it is read.
    let (negative, kind) = match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => (true, &operand.kind),
        kind => (false, kind),
    };
    let sign = |d: Decimal| if negative { -d } else { d };
    match kind {
        ExprKind::Number(t) => return cx.decimal(t, e.span).map(|d| Some(sign(d))),
        ExprKind::Percent(t) | ExprKind::Points(t) => {
            return cx.percent(t, e.span).map(|d| Some(sign(d)))
        }
        ExprKind::Path(p) if !negative && p.len() == 1 && p[0].text == "none" => return Some(None),
        _ => {}
    }
    cx.report(
        Diagnostic::error(
            Code::InvalidExpect,
            e.span,
            format!("`{}` is not a number to expect", cx.text(e.span)),
        )
        .label("expected a number, a percent or `none`")
        .help("write the value as the report shows it: `1200.50`, `30%`, or `none` for no value"),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::dedent;

    #[test]
    fn dedent_removes_the_shared_indentation_and_blank_ends() {
        let (csv, skipped) = dedent("\n\n    a,b\n      1,2\n    3,4\n  ");
        assert_eq!((csv.as_str(), skipped), ("a,b\n  1,2\n3,4\n", 2));
    }

    #[test]
    fn a_line_starting_with_other_whitespace_keeps_its_text() {
        // An ideographic space (3 bytes) is text to the CSV reader, not indentation: cutting two
        // bytes off it would have split the character and lost the line.
        let (csv, _) = dedent("  a,b\n\u{3000}x,1\n");
        assert_eq!(csv, "  a,b\n\u{3000}x,1\n");
    }
}
