//! Owns the checked form of the rules that derive tables from datasets: attributions (conversion
//! credit), allocations (time-driven activity-based costing) and views (one row per entity).

use super::{Expr, RowExpr, Unit};
use rust_decimal::Decimal;
use serde::Serialize;

/// Multi-touch attribution: each conversion's value is split among the touches before it.
#[derive(Debug, Clone, Serialize)]
pub struct Attribution {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The dataset of touches (one row per ad view, click, email...).
    pub touches: String,
    /// The dataset of conversions (one row per order, sign-up...).
    pub conversions: String,
    /// Pairs of (touch column, conversion column) that must be equal.
    pub matches: Vec<(String, String)>,
    /// Touches from this many days before the conversion up to the conversion count.
    pub window_days: i64,
    /// The conversions' money column whose value is credited.
    pub value: String,
    /// The touches' column credit goes to (channel, campaign).
    pub credit_to: String,
    pub model: AttributionModel,
    /// Touches matching this are not eligible.
    pub exclude: Option<RowExpr>,
    /// Only touches matching this are eligible.
    pub require: Option<RowExpr>,
    pub line: usize,
}

/// How a journey's touches share the conversion's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttributionModel {
    FirstTouch,
    LastTouch,
    /// The last touch not matching `direct`; the last touch when all match it.
    LastNonDirect {
        direct: RowExpr,
    },
    Linear,
    /// A touch `age` days before the conversion weighs 2^(-age / half_life).
    TimeDecay {
        half_life_days: Decimal,
    },
    /// First and last touch get these shares, the touches between share the rest.
    PositionBased {
        first: Decimal,
        last: Decimal,
    },
    /// 30% each to the first touch, the lead-creation touch and the opportunity-creation touch
    /// (the first touches matching `lead` and `opportunity`), 10% shared by the others.
    WShaped {
        lead: RowExpr,
        opportunity: RowExpr,
    },
    /// Channel removal effect in the first-order Markov chain of all journeys.
    Markov,
    /// A Rhai function `fn NAME(position, touches, age_days)` giving each touch's weight.
    Script {
        function: String,
    },
}

impl AttributionModel {
    pub fn name(&self) -> &'static str {
        match self {
            AttributionModel::FirstTouch => "first_touch",
            AttributionModel::LastTouch => "last_touch",
            AttributionModel::LastNonDirect { .. } => "last_non_direct",
            AttributionModel::Linear => "linear",
            AttributionModel::TimeDecay { .. } => "time_decay",
            AttributionModel::PositionBased { .. } => "position_based",
            AttributionModel::WShaped { .. } => "w_shaped",
            AttributionModel::Markov => "markov",
            AttributionModel::Script { .. } => "script",
        }
    }
}

/// Time-driven activity-based costing: each department's capacity cost rate (cost of the capacity
/// supplied / practical capacity) times the driver quantity each entity used.
#[derive(Debug, Clone, Serialize)]
pub struct Allocation {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The dataset of capacity supplied: one row per resource (department) and period.
    pub capacity: String,
    /// The capacity's money column: cost of the capacity supplied.
    pub cost: String,
    /// The capacity's column of practical capacity, in driver units (minutes).
    pub practical: String,
    /// The share of `practical` that is practical capacity (`paid_minutes * 80%`); 1 when the
    /// column is practical capacity itself.
    pub share: Decimal,
    /// The dataset of activity: one row per piece of work done for an entity.
    pub activity: String,
    /// Pairs of (activity column, capacity column) that must be equal: which resource did the work.
    pub matches: Vec<(String, String)>,
    /// Driver quantity per activity row (minutes, or a time equation over its columns).
    pub driver: RowExpr,
    /// The activity column naming who the cost is assigned to (customer).
    pub to: String,
    pub line: usize,
}

/// One row per entity and period, with columns computed from aggregates grouped by the entity.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The entity column; every dataset the view reads has it.
    pub key: String,
    pub columns: Vec<ViewColumn>,
    /// A column whose cumulative ("whale") curve is reported.
    pub whale: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ViewColumn {
    pub name: String,
    pub unit: Unit,
    /// Over aggregates grouped by the view's key; earlier columns are written out in full.
    pub value: Expr,
}

/// The name of an allocation's table of unused capacity (a name no declaration can take).
pub fn unused_table(rule: &str) -> String {
    format!("{rule}.unused")
}

/// Customers grouped by the period of their first row (docs/language.md, "Cohorts"): one row per
/// cohort and age (periods since the cohort's first), with how many of its customers were active,
/// what they earned, and what the cohort's customers are predicted and found to be worth.
#[derive(Debug, Clone, Serialize)]
pub struct Cohort {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The dataset whose rows make a customer active in a period, and its customer column.
    pub activity: String,
    pub entity: String,
    /// The dataset whose first row of a customer puts it in its cohort (`start:`; the activity
    /// dataset when not written). It has the customer column too.
    pub start: String,
    /// Revenue and margin per activity row.
    pub revenue: RowExpr,
    pub margin: RowExpr,
    /// How many ages the triangle shows: ages 0 to `ages − 1`. The table has every age up to the
    /// last period with data, whatever this is.
    pub ages: u32,
    /// What a customer counts for in the cohort's equity once it has lapsed.
    pub lapsed: Lapsed,
    /// The rates a customer's lifetime value is predicted at: retention and discount per period,
    /// over `horizon` periods (for ever when `None`).
    pub retention: Decimal,
    pub discount: Decimal,
    pub horizon: Option<u32>,
    pub line: usize,
}

/// A lapsed customer: one with no activity in its last `after` periods. `kept` counts every
/// customer the cohort started with; `zeroed` counts a lapsed one as 0; `decayed` keeps `keep`
/// of it for each period it has been lapsed (50%: a half, then a quarter, ...).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Lapsed {
    Kept,
    Zeroed { after: u32 },
    Decayed { keep: Decimal, after: u32 },
}

/// The columns of a cohort's table, in order, with their types and what each holds.
pub const COHORT_COLUMNS: &[(&str, &str)] = &[
    ("period_start", "the first day of the period"),
    (
        "cohort",
        "the cohort: the period of its customers' first row, such as 2026-Q1",
    ),
    ("age", "periods since the cohort's first period (0 in it)"),
    ("size", "customers the cohort started with"),
    (
        "active",
        "customers of the cohort with activity in the period",
    ),
    (
        "counted",
        "customers counted in the equity under the lapsed rule",
    ),
    ("revenue", "the cohort's revenue in the period"),
    ("margin", "the cohort's margin in the period"),
    (
        "cumulative_margin",
        "margin per original customer from age 0 to this age",
    ),
    (
        "predicted",
        "margin per original customer that age 0 predicted for ages 1 to this one, discounted to age 0: what `realized` is back-tested against",
    ),
    (
        "realized",
        "margin per original customer after age 0 up to this age, discounted to age 0",
    ),
    (
        "lifetime",
        "lifetime value per customer predicted at age 0 over the declared horizon",
    ),
    (
        "equity",
        "customers counted times the lifetime value of the cohort's average active period",
    ),
];
