//! Owns evaluating KPI expressions in one period and segment: exact decimal arithmetic, "no value"
//! that propagates, division by zero as no value with a warning, overflow as an error, and time:
//! shifts to earlier periods and windows over several.

use super::Warning;
use rust_decimal::Decimal;
use scorecard_engine::{self as engine, count_covered, Aggregates, Covered, DataError, Found};
use scorecard_model::calendar::Periods;
use scorecard_model::{AggFunc, ArithOp, Expr, Grain, Kpi, Missing, Model, Shift, Window};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EvalError {
    #[error(
        "kpi `{kpi}` in {period}: {what} is beyond the exact decimal range (28 significant digits)"
    )]
    Overflow {
        kpi: String,
        period: String,
        what: String,
    },
    #[error("kpi `{kpi}` in {period}: {what}, and would be rounded away\n  help: the values are tiny, or apart in size by more than 28 digits: scale them (a rate per thousand, not per unit), or divide before you multiply")]
    Precision {
        kpi: String,
        period: String,
        what: String,
    },
    #[error("kpi `{kpi}` in {period}: its scoring function failed: {why}")]
    Script {
        kpi: String,
        period: String,
        why: scorecard_script::ScriptError,
    },
    #[error(transparent)]
    Data(#[from] DataError),
}

impl EvalError {
    /// The stable code of this kind of problem.
    pub fn code(&self) -> scorecard_diagnostic::Code {
        use scorecard_diagnostic::Code;
        match self {
            EvalError::Overflow { .. } => Code::Overflow,
            EvalError::Precision { .. } => Code::Precision,
            EvalError::Script { why, .. } => why.code(),
            EvalError::Data(e) => e.code(),
        }
    }
}

/// Adds `c` to `spans` unless the same span is there: a chain of KPIs reading one aggregate would
/// otherwise pass on a longer list at each step.
fn add_covered(spans: &mut Vec<Covered>, c: Covered) {
    if !spans.contains(&c) {
        spans.push(c);
    }
}

/// A KPI's value remembered in one period and frame, with the periods its data came from.
#[derive(Clone)]
struct Memo {
    value: Option<Decimal>,
    seen: Vec<Covered>,
    coverage: Option<(usize, usize)>,
    short: BTreeSet<i64>,
}

/// One period and segment of one evaluation.
pub struct Context<'a> {
    pub model: &'a Model,
    aggregates: &'a Aggregates,
    periods: Periods,
    by: &'a [String],
    segment: &'a [Option<String>],
    period_label: String,
    /// The period expressions are evaluated at; `x[-1]` moves it.
    period: i64,
    /// The periods aggregates are taken over: the current period, or a window's periods.
    frame: (i64, i64),
    /// Each KPI's value by name, period, frame and whether the frame runs from where the data
    /// starts.
    memo: HashMap<(&'a str, i64, i64, i64, bool), Memo>,
    /// (code, kpi, message) raised here.
    warnings: Vec<(&'static str, String, String)>,
    /// While a window is evaluated: the periods in which its aggregates found rows.
    seen: Option<Vec<Covered>>,
    /// The first window met: periods that had data, of periods in the window.
    pub coverage: Option<(usize, usize)>,
    /// The periods read so far that their data covers only in part (docs/language.md,
    /// "Coverage"); the caller clears it before a value it wants to know this of.
    pub short: BTreeSet<i64>,
    /// Inside a `cumulative` window: it runs from where the data starts, so the first period
    /// being short there does not make it partial.
    from_start: bool,
    /// The segment as results name it, shared by the results of every period (see `Row`).
    shared_segment: Option<Arc<BTreeMap<String, Option<String>>>>,
}

/// A segment as results and warnings name it: each segment column with its value.
pub fn segment_map(by: &[String], segment: &[Option<String>]) -> BTreeMap<String, Option<String>> {
    by.iter().cloned().zip(segment.iter().cloned()).collect()
}

/// How many periods a `missing: zero` aggregate lists of those its data does not reach.
const UNCOVERED_LISTED: usize = 12;

/// The warning of a division by zero.
pub const DIVISION_BY_ZERO: &str = "scorecard::eval::division_by_zero";

/// The warning of a `clv` whose rates give it no value.
pub const CLV_UNDEFINED: &str = "scorecard::eval::clv_undefined";

/// Why `clv` at these rates has no value.
fn clv_undefined(retention: Decimal, discount: Decimal, horizon: Option<u32>) -> String {
    let pct = |v: Decimal| format!("{}%", (v * Decimal::ONE_HUNDRED).normalize());
    if retention < Decimal::ZERO || retention > Decimal::ONE {
        format!(
            "a retention of {} is not a share from 0% to 100%",
            pct(retention)
        )
    } else if discount <= -Decimal::ONE {
        format!(
            "a discount rate of {} leaves nothing to discount by",
            pct(discount)
        )
    } else if horizon.is_none() && Decimal::ONE + discount - retention <= Decimal::ZERO {
        format!(
            "at a retention of {} and a discount rate of {} the margins never stop adding up: give a `horizon:`",
            pct(retention),
            pct(discount)
        )
    } else {
        "it is beyond the exact decimal range".to_string()
    }
}
/// The warning of a KPI with a value whose thresholds cannot decide a status.
pub const NO_STATUS: &str = "scorecard::eval::no_status";

/// Whose expression is evaluated: a KPI, or an escalation's condition. Its name goes into warnings
/// and errors; its missing-data policy decides what an aggregate over no rows is.
#[derive(Clone, Copy)]
pub struct Owner<'a> {
    pub name: &'a str,
    pub missing: Missing,
}

impl<'a> From<&'a Kpi> for Owner<'a> {
    fn from(k: &'a Kpi) -> Self {
        Owner {
            name: &k.name,
            missing: k.missing,
        }
    }
}

/// The KPI's own value and target, inside its thresholds.
#[derive(Clone, Copy, Default)]
pub struct This {
    pub value: Option<Decimal>,
    pub target: Option<Decimal>,
}

impl<'a> Context<'a> {
    pub fn new(
        model: &'a Model,
        aggregates: &'a Aggregates,
        by: &'a [String],
        (period, period_label): (i64, String),
        segment: &'a [Option<String>],
    ) -> Self {
        Context {
            model,
            aggregates,
            periods: Periods::of(&model.header),
            by,
            segment,
            period_label,
            period,
            frame: (period, period),
            memo: HashMap::new(),
            warnings: Vec::new(),
            seen: None,
            coverage: None,
            short: BTreeSet::new(),
            from_start: false,
            shared_segment: None,
        }
    }

    /// Names the segment in results by `map`, which results in other periods share.
    pub fn naming(mut self, map: Arc<BTreeMap<String, Option<String>>>) -> Self {
        self.shared_segment = Some(map);
        self
    }

    /// The segment as results name it.
    pub fn shared_segment_map(&self) -> Arc<BTreeMap<String, Option<String>>> {
        match &self.shared_segment {
            Some(map) => map.clone(),
            None => Arc::new(self.segment_map()),
        }
    }

    pub fn segment_map(&self) -> BTreeMap<String, Option<String>> {
        segment_map(self.by, self.segment)
    }

    /// Records a warning about `kpi` in the place evaluated now.
    pub fn warn(&mut self, code: &'static str, kpi: &str, message: String) {
        self.warnings.push((code, kpi.to_string(), message));
    }

    /// How many warnings have been raised here, for `drop_warnings_from`.
    pub fn warning_count(&self) -> usize {
        self.warnings.len()
    }

    /// Forgets the warnings raised since there were `n`.
    pub fn drop_warnings_from(&mut self, n: usize) {
        self.warnings.truncate(n);
    }

    pub fn into_warnings(mut self) -> Vec<Warning> {
        self.take_warnings()
    }

    /// The warnings raised since the last call, each once, in the order raised.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        if self.warnings.is_empty() {
            return Vec::new();
        }
        let segment = self.segment_map();
        let period = self.period_label.clone();
        let mut seen = BTreeSet::new();
        std::mem::take(&mut self.warnings)
            .into_iter()
            .filter(|w| seen.insert(w.clone()))
            .map(|(code, kpi, message)| Warning {
                code,
                kpi,
                period: period.clone(),
                segment: segment.clone(),
                message,
            })
            .collect()
    }

    /// The first and last day of the period being reported, in days since 1970-01-01.
    pub fn bounds(&self) -> (i64, i64) {
        let (first, last) = self.periods.bounds(self.period);
        (
            scorecard_model::calendar::days(first),
            scorecard_model::calendar::days(last),
        )
    }

    /// A KPI's unrounded value at the current period and frame.
    pub fn kpi_value(&mut self, k: &'a Kpi) -> Result<Option<Decimal>, EvalError> {
        let key = (
            k.name.as_str(),
            self.period,
            self.frame.0,
            self.frame.1,
            self.from_start,
        );
        if let Some(m) = self.memo.get(&key).cloned() {
            if let Some(s) = &mut self.seen {
                m.seen.into_iter().for_each(|c| add_covered(s, c));
            }
            self.coverage = self.coverage.or(m.coverage);
            self.short.extend(m.short);
            return Ok(m.value);
        }
        let before = self.coverage;
        let outer_short = std::mem::take(&mut self.short);
        // The definition in effect in the period the value is for: a shift (`x[-1]`) moves that
        // period, a window does not.
        let definition = k.definition_at(self.first_day(self.period)).value;
        let (value, seen) = self.collecting(|cx| cx.num(k.into(), definition, This::default()));
        let value = value?;
        let coverage = if before.is_none() {
            self.coverage
        } else {
            None
        };
        let short = std::mem::replace(&mut self.short, outer_short);
        self.short.extend(&short);
        self.memo.insert(
            key,
            Memo {
                value,
                seen,
                coverage,
                short,
            },
        );
        Ok(value)
    }

    /// Runs `f` collecting, apart, the periods in which its aggregates find rows; passes them on to
    /// the collection around it, if any, and returns them with `f`'s result.
    fn collecting<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> (T, Vec<Covered>) {
        let outer = self.seen.replace(Vec::new());
        let out = f(self);
        let seen = std::mem::replace(&mut self.seen, outer).unwrap_or_default();
        if let Some(s) = &mut self.seen {
            seen.iter().for_each(|c| add_covered(s, c.clone()));
        }
        (out, seen)
    }

    /// The period expressions are evaluated at, and the frame of periods aggregates are taken over.
    pub fn place(&self) -> (i64, (i64, i64)) {
        (self.period, self.frame)
    }

    /// The segment columns and this context's values of them (both empty for the total).
    pub fn segmentation(&self) -> (&'a [String], &'a [Option<String>]) {
        (self.by, self.segment)
    }

    pub fn label(&self, p: i64) -> String {
        self.periods.label(p)
    }

    /// The first day of period `p`, in days since 1970-01-01.
    pub fn first_day(&self, p: i64) -> i64 {
        scorecard_model::calendar::days(self.periods.bounds(p).0)
    }

    /// Where the operand of a shift or a window is evaluated (its period and frame), exactly as
    /// `num` moves there; `None` for a shift to no period, and for other expressions.
    pub fn inner_place(&self, e: &Expr) -> Option<(i64, (i64, i64))> {
        match e {
            Expr::Shift { shift, .. } => Some((
                self.shifted(self.period, *shift)?,
                (
                    self.shifted(self.frame.0, *shift)?,
                    self.shifted(self.frame.1, *shift)?,
                ),
            )),
            Expr::Window { window, .. } => {
                let p = self.period;
                Some((p, (self.window_start(p, *window), p)))
            }
            _ => None,
        }
    }

    /// Moves to another period and frame (see `place`).
    pub fn set_place(&mut self, (period, frame): (i64, (i64, i64))) {
        (self.period, self.frame) = (period, frame);
    }

    /// Runs `f` at another period and frame, then comes back.
    fn at<T>(&mut self, period: i64, frame: (i64, i64), f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = self.place();
        self.set_place((period, frame));
        let out = f(self);
        self.set_place(saved);
        out
    }

    fn shifted(&self, p: i64, shift: Shift) -> Option<i64> {
        match shift {
            Shift::Periods { n } => Some(p + n),
            Shift::YearAgo => self.periods.year_ago(p),
        }
    }

    /// The first period of a window ending at `p`.
    fn window_start(&self, p: i64, window: Window) -> i64 {
        match window {
            Window::Ytd => self.periods.start_of(p, Grain::Year),
            Window::Qtd => self.periods.start_of(p, Grain::Quarter),
            Window::Mtd => self.periods.start_of(p, Grain::Month),
            Window::Rolling { periods } => p - periods + 1,
            Window::Cumulative => self.aggregates.first_period.unwrap_or(p).min(p),
        }
    }

    /// Evaluates a numeric expression belonging to `k`.
    pub fn num(&mut self, k: Owner, e: &Expr, this: This) -> Result<Option<Decimal>, EvalError> {
        scorecard_diagnostic::depth::deep(|| {
            Ok(match e {
                Expr::Number { value } | Expr::Parameter { value, .. } => Some(*value),
                Expr::Value => this.value,
                Expr::Target => this.target,
                Expr::Aggregate { index } => {
                    let aggregate = &self.model.aggregates[*index];
                    if let Some(c) = self.aggregates.coverage.get(&aggregate.dataset) {
                        self.short.extend(c.short_in(self.frame, self.from_start));
                        // Under `missing: zero`, a period the data does not reach at all reads
                        // as zero: that is no more complete than a period it reaches in part.
                        if k.missing == Missing::Zero && engine::zero_when_empty(aggregate.func) {
                            self.short
                                .extend(c.uncovered_in(self.frame, UNCOVERED_LISTED));
                        }
                    }
                    match self.aggregates.get(
                        self.model,
                        *index,
                        self.by,
                        self.frame,
                        self.segment,
                    )? {
                        Found::Value { value, covered } => {
                            if let Some(s) = &mut self.seen {
                                add_covered(s, covered);
                            }
                            value
                        }
                        Found::NoRows => {
                            let func: AggFunc = self.model.aggregates[*index].func;
                            (k.missing == Missing::Zero && engine::zero_when_empty(func))
                                .then_some(Decimal::ZERO)
                        }
                    }
                }
                Expr::Kpi { name } => match self.model.kpi(name) {
                    Some(other) => self.kpi_value(other)?,
                    None => None,
                },
                Expr::Neg { operand } => self
                    .num(k, operand, this)?
                    .map(scorecard_model::exact::negate),
                Expr::Arith { op, left, right } => {
                    let (Some(a), Some(b)) = (self.num(k, left, this)?, self.num(k, right, this)?)
                    else {
                        return Ok(None);
                    };
                    let overflow = |what: &str| EvalError::Overflow {
                        kpi: k.name.to_string(),
                        period: self.period_label.clone(),
                        what: what.to_string(),
                    };
                    let inexact = |what: &str, why| {
                        match why {
                        scorecard_model::exact::Inexact::Overflow => overflow(what),
                        scorecard_model::exact::Inexact::Precision => EvalError::Precision {
                            kpi: k.name.to_string(),
                            period: self.period_label.clone(),
                            what: match what {
                                "a sum" | "a difference" => format!("{what} needs more than the 28 significant digits a decimal holds exactly"),
                                _ => format!("{what} is smaller than 28 decimal places hold exactly"),
                            },
                        },
                    }
                    };
                    match op {
                        ArithOp::Add => Some(
                            scorecard_model::exact::sum(a, b).map_err(|w| inexact("a sum", w))?,
                        ),
                        ArithOp::Sub => Some(
                            scorecard_model::exact::difference(a, b)
                                .map_err(|w| inexact("a difference", w))?,
                        ),
                        ArithOp::Mul => Some(
                            scorecard_model::exact::product(a, b)
                                .map_err(|w| inexact("a product", w))?,
                        ),
                        ArithOp::Div if b.is_zero() => {
                            self.warn(
                                DIVISION_BY_ZERO,
                                k.name,
                                format!(
                                    "division by zero in `{}`: the value is left empty",
                                    k.name
                                ),
                            );
                            None
                        }
                        ArithOp::Div => Some(
                            scorecard_model::exact::quotient(a, b)
                                .map_err(|w| inexact("a quotient", w))?,
                        ),
                    }
                }
                Expr::Clv {
                    margin,
                    retention,
                    discount,
                    horizon,
                } => {
                    let m = self.num(k, margin, this)?;
                    let r = self.num(k, retention, this)?;
                    let d = self.num(k, discount, this)?;
                    match (m, r, d) {
                        (Some(m), Some(r), Some(d)) => {
                            let v = scorecard_model::finance::clv(m, r, d, *horizon);
                            if v.is_none() {
                                let why = clv_undefined(r, d, *horizon);
                                let message = format!("`clv` in `{}` has no value: {why}", k.name);
                                self.warn(CLV_UNDEFINED, k.name, message);
                            }
                            v
                        }
                        _ => None,
                    }
                }
                Expr::If {
                    cond,
                    then,
                    otherwise,
                } => match self.cond(k, cond, this)? {
                    Some(true) => self.num(k, then, this)?,
                    Some(false) => self.num(k, otherwise, this)?,
                    None => None,
                },
                Expr::Shift { operand, .. } => {
                    let Some((p, frame)) = self.inner_place(e) else {
                        return Ok(None);
                    };
                    self.at(p, frame, |cx| cx.num(k, operand, this))?
                }
                Expr::Window { operand, window } => {
                    let Some((p, (start, _))) = self.inner_place(e) else {
                        return Ok(None);
                    };
                    let first_window = self.coverage.is_none();
                    let outer = self.from_start;
                    self.from_start = outer || matches!(window, Window::Cumulative);
                    let (value, seen) =
                        self.collecting(|cx| cx.at(p, (start, p), |cx| cx.num(k, operand, this)));
                    self.from_start = outer;
                    let value = value?;
                    if first_window {
                        let of = (p - start + 1).max(0) as usize;
                        self.coverage = Some((count_covered(&seen, (start, p)), of));
                    }
                    value
                }
                Expr::Compare { .. } | Expr::And { .. } | Expr::Or { .. } | Expr::Not { .. } => {
                    None
                }
            })
        })
    }

    /// Evaluates a condition; `None` when it cannot be decided because a value is missing.
    /// `and` and `or` follow three-valued logic: `false and ?` is false, `true or ?` is true.
    pub fn cond(&mut self, k: Owner, e: &Expr, this: This) -> Result<Option<bool>, EvalError> {
        scorecard_diagnostic::depth::deep(|| {
            Ok(match e {
                Expr::Compare { op, left, right } => {
                    match (self.num(k, left, this)?, self.num(k, right, this)?) {
                        (Some(a), Some(b)) => Some(op.holds(a.cmp(&b))),
                        _ => None,
                    }
                }
                Expr::And { left, right } => {
                    match (self.cond(k, left, this)?, self.cond(k, right, this)?) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    }
                }
                Expr::Or { left, right } => {
                    match (self.cond(k, left, this)?, self.cond(k, right, this)?) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    }
                }
                Expr::Not { operand } => self.cond(k, operand, this)?.map(|b| !b),
                _ => None,
            })
        })
    }
}

/// Datasets a KPI's value, targets and thresholds read, directly or through other KPIs: where its
/// segments come from, so that a segment with a target and no actuals is shown (with no value, or
/// zero under `missing: zero`) rather than left out while its target counts in the total.
pub fn segment_datasets<'m>(
    model: &'m Model,
    k: &'m Kpi,
    reach: &mut scorecard_model::Reach<'m>,
) -> BTreeSet<String> {
    let mut aggs = BTreeSet::new();
    for e in k.values().chain(k.judging()) {
        reach.expr(e, &mut aggs);
    }
    aggs.into_iter()
        .map(|i| model.aggregates[i].dataset.clone())
        .collect()
}
