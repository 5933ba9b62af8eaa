//! Owns explaining one KPI in one period and segment: the definition that applied, the calculation
//! tree with every sub-expression's value, each aggregate with its dataset, filter and periods, the
//! target, the threshold that decided the status, and the score. The rows behind each aggregate are
//! added by the caller, which asks the engine (`engine::Session::contributing`).

use super::eval::{Context, Owner, This};
use super::manifest::Manifest;
use super::{opt_decimal, status, EvalError, Row, Status};
use rust_decimal::Decimal;
use scorecard_engine::rows::{Contributing, Wanted};
use scorecard_engine::Aggregates;
use scorecard_model::{print, Better, Expr, Kpi, Model, Scoring, Unit};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything `scorecard explain` prints, and its JSON.
#[derive(Debug, Serialize)]
pub struct Explanation {
    pub manifest: Manifest,
    pub kpi: Subject,
    pub period: String,
    pub segment: BTreeMap<String, Option<String>>,
    pub definition: Applied,
    /// The value's calculation, unrounded at every step.
    pub calculation: Node,
    /// The row `run` reports: rounded value, target, variance, status and score.
    pub result: Row,
    /// The value before rounding.
    #[serde(with = "opt_decimal")]
    pub exact_value: Option<Decimal>,
    pub rounding: String,
    pub target: Option<Node>,
    /// Each gate of `requires`, with its condition's calculation and whether it held.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<Gate>,
    pub status: Decision,
    pub scoring: String,
    /// Every aggregate the calculation read, once per frame of periods, in the order met.
    pub aggregates: Vec<AggregateUse>,
    /// Each dataset read: where from, its fingerprint, rows read and rows that counted.
    pub sources: Vec<DatasetRead>,
    /// The days the data of each dataset the calculation read covers (docs/language.md,
    /// "Coverage").
    pub coverage: BTreeMap<String, scorecard_engine::coverage::Covers>,
    /// The checks of the datasets the calculation read that failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<scorecard_engine::checks::Checked>,
}

/// A gate of the KPI's `requires`, traced.
#[derive(Debug, Serialize)]
pub struct Gate {
    pub name: String,
    /// The condition, with `holds`, and its parts' values.
    pub check: Node,
}

#[derive(Debug, Serialize)]
pub struct Subject {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    pub owner: Option<String>,
    pub unit: Unit,
    pub renamed_from: Vec<String>,
}

/// The definition of the value that applied in the period.
#[derive(Debug, Serialize)]
pub struct Applied {
    pub formula: String,
    /// `current`, or `previous` for one the current definition replaced.
    pub which: &'static str,
    /// How many definitions back: 0 for the current.
    pub age: usize,
    pub effective: Option<String>,
    /// The day the definition that replaced it took effect.
    pub until: Option<String>,
    /// The `///` comment of the `previously` block: why it changed.
    pub note: Option<String>,
    /// How many definitions the KPI has had.
    pub definitions: usize,
}

/// One sub-expression and its value.
#[derive(Debug, Serialize)]
pub struct Node {
    pub formula: String,
    #[serde(with = "opt_decimal")]
    pub value: Option<Decimal>,
    /// For a condition (inside `if`, or a threshold): whether it held; `null` when it could not be
    /// told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<Option<bool>>,
    /// Where it was evaluated when that is not the period explained (`in 2026-09`, `over 2026-04 to
    /// 2026-10`), or which KPI and definition a reference reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For an aggregate: its place in `aggregates`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

/// One aggregate over one frame of periods in the segment explained.
#[derive(Debug, Serialize)]
pub struct AggregateUse {
    pub formula: String,
    pub dataset: String,
    pub function: &'static str,
    pub column: Option<String>,
    /// The `where` filter, as text.
    pub filter: Option<String>,
    /// The first and last period of the rows it reads.
    pub from: String,
    pub to: String,
    #[serde(with = "opt_decimal")]
    pub value: Option<Decimal>,
    /// Rows in those periods and the segment that the filter kept.
    pub rows_matched: u64,
    /// Up to `--rows` of them (`line` first when the dataset is a file).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// For money in other currencies: how it was converted (`exchange_rates` and rate kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converted_at: Option<String>,
    /// Each period's total in each currency, the rate and what it became.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<CurrencyAmount>,
    #[serde(skip)]
    pub wanted: Wanted,
}

/// One period's total in one currency and the rate that converted it.
#[derive(Debug, Serialize)]
pub struct CurrencyAmount {
    pub period: String,
    pub currency: String,
    /// In `currency`, to its minor unit.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// `null` for the reporting currency.
    #[serde(with = "opt_decimal")]
    pub rate: Option<Decimal>,
    /// How the rate was made: `mean of 3 rates dated 2026-03-02 to 2026-03-31`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_from: Option<String>,
    /// The lines of the rates' rows in their dataset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rate_lines: Vec<u64>,
    /// In the reporting currency, rounded once.
    #[serde(with = "rust_decimal::serde::str")]
    pub converted: Decimal,
}

/// A dataset the calculation read.
#[derive(Debug, Serialize)]
pub struct DatasetRead {
    pub dataset: String,
    /// As written in the scorecard; `null` for a table the scorecard derives (an attribution,
    /// allocation or view).
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub rows_read: Option<u64>,
    /// Rows that some aggregate of the calculation kept (each aggregate's count is under it).
    pub rows_matched: u64,
}

/// How the status was decided.
#[derive(Debug, Serialize)]
pub struct Decision {
    /// The thresholds that apply in the period, each with whether it held, in order.
    pub rules: Vec<Rule>,
    /// The rule that decided, as text; or how `better` decided without thresholds.
    pub decided_by: String,
}

#[derive(Debug, Serialize)]
pub struct Rule {
    pub status: &'static str,
    pub when: String,
    pub holds: Option<bool>,
    /// Whether the rule was tried: rules after the one that decided are not.
    pub reached: bool,
}

/// Explains `k` in period `p` for the segment `segment` (empty for the total).
pub fn explain(
    model: &Model,
    aggregates: &Aggregates,
    k: &Kpi,
    p: i64,
    segment: &[Option<String>],
    manifest: Manifest,
) -> Result<Explanation, EvalError> {
    let by: &[String] = if segment.is_empty() { &[] } else { &k.by };
    let scripts =
        scorecard_script::Scripts::new(&model.functions).map_err(|why| EvalError::Script {
            kpi: k.name.clone(),
            period: String::new(),
            why,
        })?;
    let label = scorecard_model::calendar::Periods::of(&model.header).label(p);
    let mut cx = Context::new(model, aggregates, by, (p, label.clone()), segment);
    let status::Judged {
        row: result, rule, ..
    } = status::row(
        &mut cx,
        k,
        (label.clone(), aggregates.partial == Some(p)),
        &scripts,
    )?;
    let exact_value = cx.kpi_value(k)?;
    let (first_day, last_day) = cx.bounds();
    let applied = k.definition_at(first_day);
    let mut tracer = Tracer {
        cx,
        uses: Vec::new(),
    };
    let calculation = tracer.node(k.into(), applied.value, This::default())?;
    let this = This {
        value: result.value,
        target: result.target,
    };
    let target = match k.target.at(first_day, last_day) {
        Some(t) => Some(tracer.node(k.into(), t, This::default())?),
        None => None,
    };
    // Each gate's condition, traced like the value: what it read is listed with the rest.
    let mut gates = Vec::new();
    for g in &k.requires {
        gates.push(Gate {
            name: g.name.clone(),
            check: tracer.node(k.into(), &g.condition, This::default())?,
        });
    }
    let mut status = decision(model, k, (first_day, last_day), this, (rule, result.status));
    if let Some(why) = not_rated(k, &result) {
        // No threshold was tried.
        for r in &mut status.rules {
            (r.reached, r.holds) = (false, None);
        }
        status.decided_by = why;
    }
    let Tracer { uses, .. } = tracer;
    let coverage = uses
        .iter()
        .filter_map(|u| {
            Some((
                u.dataset.clone(),
                aggregates.coverage.get(&u.dataset)?.clone(),
            ))
        })
        .collect();
    let failed_checks = aggregates
        .checks
        .iter()
        .filter(|c| !c.passed && uses.iter().any(|u| u.dataset == c.dataset))
        .cloned()
        .collect();
    Ok(Explanation {
        manifest,
        kpi: Subject {
            name: k.name.clone(),
            label: k.label.clone(),
            doc: k.doc.clone(),
            owner: k.owner.clone(),
            unit: k.unit,
            renamed_from: k.renamed_from.clone(),
        },
        period: label,
        segment: (*result.segment).clone(),
        definition: Applied {
            formula: print::expr(model, applied.value),
            which: if applied.age == 0 {
                "current"
            } else {
                "previous"
            },
            age: applied.age,
            effective: applied.effective.map(|e| e.date.clone()),
            until: applied.until.map(|e| e.date.clone()),
            note: (applied.age > 0)
                .then(|| applied.doc.map(str::to_string))
                .flatten(),
            definitions: 1 + k.previously.len(),
        },
        calculation,
        exact_value,
        rounding: format!(
            "{} {}{}, {}",
            k.rounding.places,
            if k.rounding.places == 1 {
                "place"
            } else {
                "places"
            },
            if k.unit == Unit::Percent {
                " of the percent"
            } else {
                ""
            },
            match k.rounding.mode {
                scorecard_model::RoundMode::HalfEven => "half_even",
                scorecard_model::RoundMode::HalfUp => "half_up",
            }
        ),
        result,
        target,
        gates,
        status,
        scoring: scoring(&k.scoring),
        aggregates: uses,
        sources: Vec::new(),
        coverage,
        failed_checks,
    })
}

/// Why a KPI with a value is not rated: a gate of `requires:` did not hold, or the value reads a
/// period its data covers only in part and the KPI is `partial: not_rated`.
fn not_rated(k: &Kpi, result: &Row) -> Option<String> {
    match result.status {
        Status::InsufficientData => Some(format!(
            "insufficient data: {} did not hold, so it is not rated",
            result.unmet_shown()
        )),
        Status::Unrated if result.partial && k.partial == scorecard_model::Partial::NotRated => {
            Some(format!(
                "partial: the data covers {} only in part, and the KPI is `partial: not_rated`",
                match result.partial_periods.is_empty() {
                    true => result.period.clone(),
                    false => result.partial_periods.join(", "),
                }
            ))
        }
        _ => None,
    }
}

/// Adds the rows the engine found behind each aggregate, and the datasets with their fingerprints.
pub fn add_rows(
    e: &mut Explanation,
    model: &Model,
    found: Vec<Contributing>,
    matched: Vec<(String, u64)>,
) {
    for (a, c) in e.aggregates.iter_mut().zip(found) {
        a.rows_matched = c.matched;
        a.columns = c.columns;
        a.rows = c.rows;
        a.conversions = c.converted.into_iter().map(currency_amount).collect();
    }
    for (dataset, rows_matched) in matched {
        let input = e.manifest.inputs.iter().find(|i| i.dataset == dataset);
        let derived = model.dataset(&dataset).is_some_and(|d| !d.is_file());
        e.sources.push(DatasetRead {
            path: input.map(|i| i.path.clone()).filter(|_| !derived),
            sha256: input.map(|i| i.sha256.clone()),
            rows_read: input.map(|i| i.rows),
            dataset,
            rows_matched,
        });
    }
}

fn currency_amount(c: scorecard_engine::rows::Converted) -> CurrencyAmount {
    let day = |d: i64| scorecard_model::calendar::date(d).to_string();
    let rate_from = c.rate.as_ref().map(|r| match r.count {
        1 => format!("the rate dated {}", day(r.days.1)),
        n => format!(
            "mean of {n} rates dated {} to {}",
            day(r.days.0),
            day(r.days.1)
        ),
    });
    let quoted = match c.quoted {
        Some(scorecard_model::Quote::PerReporting) => " (divided: quoted per reporting unit)",
        _ => "",
    };
    // An amount to its currency's minor unit (JPY 12345, EUR 200.10).
    let mut amount = c.amount.normalize();
    amount.rescale(scorecard_model::minor_units(&c.currency).max(amount.scale()));
    CurrencyAmount {
        period: c.period,
        currency: c.currency,
        amount,
        rate: c.rate.as_ref().map(|r| r.value.normalize()),
        rate_from: rate_from.map(|f| format!("{f}{quoted}")),
        rate_lines: c.rate.map(|r| r.lines).unwrap_or_default(),
        converted: c.value,
    }
}

/// Walks an expression as `Context::num` evaluates it, keeping each sub-expression's value.
struct Tracer<'a> {
    cx: Context<'a>,
    uses: Vec<AggregateUse>,
}

impl Tracer<'_> {
    fn node(&mut self, k: Owner, e: &Expr, this: This) -> Result<Node, EvalError> {
        scorecard_diagnostic::depth::deep(|| {
            let model = self.cx.model;
            let condition = matches!(
                e,
                Expr::Compare { .. } | Expr::And { .. } | Expr::Or { .. } | Expr::Not { .. }
            );
            let (value, holds) = if condition {
                (None, Some(self.cx.cond(k, e, this)?))
            } else {
                (self.cx.num(k, e, this)?, None)
            };
            let mut node = Node {
                formula: print::expr(model, e),
                value,
                holds,
                note: None,
                aggregate: None,
                children: Vec::new(),
            };
            match e {
                Expr::Aggregate { index } => {
                    let (_, frame) = self.cx.place();
                    let (by, segment) = self.cx.segmentation();
                    let wanted = Wanted {
                        aggregate: *index,
                        frame,
                        by: by.to_vec(),
                        segment: segment.to_vec(),
                    };
                    node.aggregate = Some(self.aggregate(wanted, value));
                }
                Expr::Kpi { name } => {
                    if let Some(other) = model.kpi(name) {
                        let (p, _) = self.cx.place();
                        let applied = other.definition_at(self.cx.first_day(p));
                        node.note = Some(match applied.age {
                            0 => format!("kpi `{name}`"),
                            _ => format!(
                                "kpi `{name}`, definition in effect before {}",
                                applied.until.map_or("?", |u| u.date.as_str())
                            ),
                        });
                        node.children.push(self.node(
                            other.into(),
                            applied.value,
                            This::default(),
                        )?);
                    }
                }
                Expr::Shift { operand, .. } | Expr::Window { operand, .. } => {
                    match self.cx.inner_place(e) {
                        None => node.note = Some("no such period".into()),
                        Some((p, (first, last))) => {
                            node.note = Some(match e {
                                Expr::Shift { .. } => format!("in {}", self.cx.label(p)),
                                _ => {
                                    format!(
                                        "over {} to {}",
                                        self.cx.label(first),
                                        self.cx.label(last)
                                    )
                                }
                            });
                            let back = self.cx.place();
                            self.cx.set_place((p, (first, last)));
                            let child = self.node(k, operand, this);
                            self.cx.set_place(back);
                            let child = child?;
                            node.children.push(child);
                        }
                    }
                }
                _ => {
                    for c in e.children() {
                        node.children.push(self.node(k, c, this)?);
                    }
                }
            }
            Ok(node)
        })
    }

    /// The place of an aggregate use in the list, adding it when new.
    fn aggregate(&mut self, wanted: Wanted, value: Option<Decimal>) -> usize {
        if let Some(i) = self.uses.iter().position(|u| u.wanted == wanted) {
            return i;
        }
        let model = self.cx.model;
        let a = &model.aggregates[wanted.aggregate];
        self.uses.push(AggregateUse {
            formula: print::aggregate(model, wanted.aggregate),
            dataset: a.dataset.clone(),
            function: a.func.name(),
            column: a.column.clone(),
            filter: a.filter.as_ref().map(print::row_expr),
            from: self.cx.label(wanted.frame.0),
            to: self.cx.label(wanted.frame.1),
            value,
            rows_matched: 0,
            columns: Vec::new(),
            rows: Vec::new(),
            converted_at: a.convert.as_ref().map(|c| {
                let at =
                    c.at.as_ref()
                        .map(|p| format!(", at {}'s rates", p.name))
                        .unwrap_or_default();
                format!("{} rate of `{}`{at}", c.kind.name(), c.rates)
            }),
            conversions: Vec::new(),
            wanted,
        });
        self.uses.len() - 1
    }
}

/// The thresholds in effect with whether each held, and which decided. `rule` is the one that
/// decided (`status::row` found it): those before it did not hold, it held or could not be told (no
/// status then), and those after it were not tried.
fn decision(
    model: &Model,
    k: &Kpi,
    (first_day, last_day): (i64, i64),
    this: This,
    (rule, shown): (Option<usize>, Status),
) -> Decision {
    let rules = k
        .thresholds
        .at(first_day, last_day)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut out = Vec::new();
    let mut decided_by = None;
    for (i, t) in rules.iter().enumerate() {
        let when = t
            .when
            .as_ref()
            .map_or("otherwise".to_string(), |c| print::expr(model, c));
        let reached = rule.is_none_or(|r| i <= r);
        let holds = match rule {
            Some(r) if i == r => {
                // It held, unless the value's status is "no value": then it could not be told.
                let told = shown != Status::NoValue;
                let text = if told {
                    format!("{}: {when}", t.status.name())
                } else {
                    format!(
                        "{}: {when} could not be told, so there is no status",
                        t.status.name()
                    )
                };
                decided_by = Some(text);
                told.then_some(true)
            }
            Some(r) if i > r => None,
            _ => Some(false),
        };
        out.push(Rule {
            status: t.status.name(),
            when,
            holds,
            reached,
        });
    }
    let decided_by = match (decided_by, rules.is_empty(), this.value) {
        (Some(d), _, _) => d,
        (None, _, None) => "no value, so no status".into(),
        (None, false, _) => "no threshold held".into(),
        (None, true, _) => match k.better {
            Better::Higher if this.target.is_some() => {
                "better: higher (green when value >= target, else red)".into()
            }
            Better::Lower if this.target.is_some() => {
                "better: lower (green when value <= target, else red)".into()
            }
            Better::Within { low, high } => {
                format!("better: within({low}, {high}) (green inside, else red)")
            }
            _ => "no thresholds and no target: unrated".into(),
        },
    };
    Decision {
        rules: out,
        decided_by,
    }
}

/// A scoring method as text.
fn scoring(s: &Scoring) -> String {
    match s {
        Scoring::GoalRedFlag { goal, red_flag } => format!(
            "goal_red_flag(goal: {goal}, red_flag: {red_flag}): 10 × (1 + (value − {red_flag}) / ({goal} − {red_flag})) / 3, kept within 0 to 10"
        ),
        Scoring::Bands { green, amber, red } => {
            format!("by status: green {green}, amber {amber}, red {red}")
        }
        Scoring::PercentOfTarget => {
            "percent_of_target: 10 × (1 + (value − target) / |target|), falling when lower is better, kept within 0 to 10".into()
        }
        Scoring::Within { low, high } => format!(
            "within({low}, {high}): 10 inside, falling to 0 one range-width beyond the nearer bound"
        ),
        Scoring::Script { function } => format!("the function `{function}`"),
    }
}
