//! Owns the checked form of `test` declarations: the inline data that replaces datasets, and the
//! expectations, each resolved to the result it reads.

use super::CmpOp;
use rust_decimal::Decimal;
use serde::Serialize;

/// The prefix of the KPIs that tests derive from expressions (`__expect_12_10`); no declared
/// name starts with it.
pub const DERIVED_PREFIX: &str = "__expect_";

#[derive(Debug, Clone, Serialize)]
pub struct Test {
    pub name: String,
    pub label: Option<String>,
    /// 1-based line of the declaration.
    pub line: usize,
    pub data: Vec<Fixture>,
    pub expects: Vec<Expect>,
    /// The KPIs that its expectations on expressions read (`__expect_LINE_COLUMN`), lowered from
    /// the expressions; `scorecard test` adds them to the model it evaluates, and `run` never
    /// sees them.
    pub derived: Vec<super::Kpi>,
}

/// CSV text standing in for a dataset's source during a test.
#[derive(Debug, Clone, Serialize)]
pub struct Fixture {
    pub dataset: String,
    /// The CSV as written, with the indentation it shares with its lines removed.
    pub csv: String,
    /// The scorecard line of the CSV's first line (its header).
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Expect {
    /// 1-based line and column of the expectation.
    pub line: usize,
    pub column: usize,
    /// As written, for messages.
    pub text: String,
    pub check: Check,
}

/// A segment as the expectation names it: column and value (`None` for an empty value). Empty for
/// the total.
pub type Segment = Vec<(String, Option<String>)>;

#[derive(Debug, Clone, Serialize)]
pub enum Check {
    /// `gross_margin[2026-05] = 30%`; the KPI may be one the test derived from an expression such as
    /// `attributed(channel_credit)[2026-05, channel = "search"]`.
    Value {
        kpi: String,
        period: String,
        segment: Segment,
        op: CmpOp,
        /// `None` for `none`: the value must be missing.
        expected: Option<Decimal>,
    },
    /// `status(gross_margin[2026-05]) = red`
    Status {
        kpi: String,
        period: String,
        segment: Segment,
        /// green, amber, red, unrated, or `none` (no value).
        expected: String,
        negated: bool,
    },
    /// `score(gross_margin[2026-05]) >= 6.5`, of a KPI, an objective, a perspective, or `overall`.
    Score {
        of: Scored,
        name: String,
        period: String,
        segment: Segment,
        op: CmpOp,
        expected: Option<Decimal>,
    },
    /// `escalation margin_erosion not raised in 2026-05`: whether an episode is open in the period.
    Raised {
        escalation: String,
        period: String,
        /// Empty for any segment.
        segment: Segment,
        raised: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scored {
    Kpi,
    Objective,
    Perspective,
    Overall,
}

/// Whether `actual op expected` holds; a missing value equals only a missing value and is neither
/// above nor below anything.
pub fn holds(op: CmpOp, actual: Option<Decimal>, expected: Option<Decimal>) -> bool {
    scorecard_diagnostic::depth::deep(|| match (actual, expected) {
        (Some(a), Some(e)) => op.holds(a.cmp(&e)),
        (None, None) => matches!(op, CmpOp::Eq | CmpOp::Le | CmpOp::Ge),
        _ => op == CmpOp::Ne,
    })
}
