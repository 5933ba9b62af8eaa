//! Owns the checked form of escalations: the condition over KPI series that raises one, the
//! condition that ends it, who hears about it and when it moves up the chain.

use super::{CmpOp, Expr, Rag, Shift, Window};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    pub when: Condition,
    /// Ends an open escalation; without it, the escalation ends when `when` stops holding.
    pub recover: Option<Condition>,
    pub severity: Severity,
    pub owner: Option<String>,
    /// Who hears next, in order: each step after more periods open than the one before.
    pub chain: Vec<Step>,
    pub message: Option<Template>,
    /// The KPI the escalation is about: the first one its `when` names. `{kpi}`, `{value}`,
    /// `{target}` and `{status}` are this KPI's.
    pub subject: String,
    /// Every KPI the conditions name, in order of first mention.
    pub kpis: Vec<String>,
    /// The segment columns of the KPIs it reads: one escalation per segment, plus the total.
    pub by: Vec<String>,
    pub line: usize,
}

/// How urgent an escalation is, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(word: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name() == word)
    }
}

/// `after: 2 periods escalate to "Audit Committee"`
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Periods the escalation has been open before this owner hears of it.
    pub after: i64,
    pub to: String,
}

/// A message with placeholders: literal text and `{name}` in turn.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Part {
    Text(String),
    /// A checked placeholder: one of `PLACEHOLDERS` or a segment column.
    Placeholder(String),
}

/// Placeholders every message may use, besides the segment columns.
pub const PLACEHOLDERS: &[&str] = &[
    "kpi",
    "value",
    "target",
    "status",
    "period",
    "segment",
    "owner",
    "severity",
    "escalation",
];

/// A condition over the series of periods up to the one being judged. It holds, does not hold, or
/// cannot be told (a value it needs is missing).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// `kpi is [not] red for N periods` (`at_least` = `of` = N) or `in N of the last M periods`.
    Status {
        kpi: String,
        /// The statuses that count: one, or the other two for `is not`.
        statuses: Vec<Rag>,
        /// Whether `insufficient_data` counts (`is insufficient data`).
        insufficient: bool,
        at_least: i64,
        of: i64,
        text: String,
    },
    /// A comparison of values in the period judged (`gross_margin < sum(forecast.margin) - 5 points`,
    /// `change(x) < -10%`).
    Compare {
        op: CmpOp,
        left: Expr,
        right: Expr,
        text: String,
    },
    /// `left deviates from right by more than tolerance`.
    Deviates {
        left: Expr,
        right: Expr,
        tolerance: Tolerance,
        text: String,
    },
    /// `anomaly(x, window: N periods, z: Z)`: `x` is more than `z` standard deviations from the mean
    /// of its values in the `window` periods before.
    Anomaly {
        operand: Expr,
        window: i64,
        z: Decimal,
        text: String,
    },
    And {
        left: Box<Condition>,
        right: Box<Condition>,
    },
    Or {
        left: Box<Condition>,
        right: Box<Condition>,
    },
    Not {
        operand: Box<Condition>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "amount", rename_all = "snake_case")]
pub enum Tolerance {
    /// `5%`: of the other side's size.
    Relative(Decimal),
    /// `5 points` (0.05) or an amount in the values' unit: the difference itself.
    Absolute(Decimal),
}

impl Condition {
    /// The direct sub-conditions.
    pub fn children(&self) -> Vec<&Condition> {
        match self {
            Condition::And { left, right } | Condition::Or { left, right } => vec![left, right],
            Condition::Not { operand } => vec![operand],
            Condition::Status { .. }
            | Condition::Compare { .. }
            | Condition::Deviates { .. }
            | Condition::Anomaly { .. } => Vec::new(),
        }
    }

    /// The KPI expressions the condition evaluates (not the KPIs of status tests).
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.walk(&mut |c| match c {
            Condition::Compare { left, right, .. } | Condition::Deviates { left, right, .. } => {
                out.extend([left, right])
            }
            Condition::Anomaly { operand, .. } => out.push(operand),
            _ => {}
        });
        out
    }

    /// KPIs whose status a status test reads.
    pub fn status_kpis(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |c| {
            if let Condition::Status { kpi, .. } = c {
                out.push(kpi.as_str());
            }
        });
        out
    }

    /// How many periods before the one judged the condition looks at: the periods its evidence
    /// shows. Shifts (`x[-1]`, `change(x)`) and rolling windows count; a year back
    /// (`[same period last year]`, `ytd`) does not.
    pub fn lookback(&self) -> i64 {
        match self {
            Condition::Status { of, .. } => of - 1,
            Condition::Anomaly {
                window, operand, ..
            } => window + reach_back(operand),
            Condition::Compare { left, right, .. } | Condition::Deviates { left, right, .. } => {
                reach_back(left).max(reach_back(right))
            }
            _ => self
                .children()
                .into_iter()
                .map(Condition::lookback)
                .max()
                .unwrap_or(0),
        }
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Condition)) {
        scorecard_diagnostic::depth::deep(|| {
            f(self);
            for c in self.children() {
                c.walk(f);
            }
        })
    }
}

/// Periods before the current one that an expression's shifts and rolling windows read.
fn reach_back(e: &Expr) -> i64 {
    scorecard_diagnostic::depth::deep(|| {
        let own = match e {
            Expr::Shift {
                shift: Shift::Periods { n },
                ..
            } => -n,
            Expr::Window {
                window: Window::Rolling { periods },
                ..
            } => periods - 1,
            _ => 0,
        };
        own.max(0) + e.children().into_iter().map(reach_back).max().unwrap_or(0)
    })
}
