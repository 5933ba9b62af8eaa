//! Owns the checked model: every name resolved, every unit and type known. Plain data, serializable;
//! later stages read this and never the syntax tree.

pub mod audience;
pub mod calendar;
mod credit;
mod derived;
mod escalation;
pub mod exact;
pub mod finance;
pub mod format;
pub mod parameter;
pub mod print;
pub mod test;
pub mod zone;

pub use credit::CREDIT_PREFIX;
pub use derived::{
    unused_table, Allocation, Attribution, AttributionModel, Cohort, Lapsed, View, ViewColumn,
    COHORT_COLUMNS,
};
pub use escalation::{
    Condition, Escalation, Part, Severity, Step, Template, Tolerance, PLACEHOLDERS,
};

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub header: Header,
    /// Balanced-scorecard perspectives, in the order declared (top layer of the strategy map first).
    pub perspectives: Vec<Perspective>,
    pub objectives: Vec<Objective>,
    pub functions: Vec<Function>,
    /// Declared datasets, then the tables that attributions, allocations and views derive (their
    /// `format` says which), in the order they are computed.
    pub datasets: Vec<Dataset>,
    pub attributions: Vec<Attribution>,
    pub allocations: Vec<Allocation>,
    pub views: Vec<View>,
    /// `cohort` declarations, in the order written; each adds its table to `datasets`.
    pub cohorts: Vec<Cohort>,
    /// In the order the file declares them.
    pub kpis: Vec<Kpi>,
    /// The distinct aggregates that KPI expressions use; `Expr::Aggregate` indexes this list.
    pub aggregates: Vec<Aggregate>,
    /// In the order the file declares them.
    pub escalations: Vec<Escalation>,
    /// `exchange_rates` declarations, in the order the file declares them.
    pub rates: Vec<ExchangeRates>,
    /// `test` declarations, in the order the file declares them; only `scorecard test` runs them.
    pub tests: Vec<test::Test>,
    /// `audience` declarations, in the order the file declares them (docs/audiences.md).
    pub audiences: Vec<audience::Audience>,
    /// `parameter` declarations, in the order the file declares them (docs/language.md).
    pub parameters: Vec<parameter::Parameter>,
    /// The values this model was checked with: each parameter's base, a scenario's or `--set`'s.
    pub assumed: parameter::Assumed,
    /// KPIs by name, made at the first lookup: a chain of KPIs each using the one before is looked
    /// up once per link, not by scanning the list each time.
    #[serde(skip)]
    pub kpi_index: KpiIndex,
}

impl Model {
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }

    /// The KPI named `name`. The index is checked against the list, which it falls back to, so a
    /// model whose KPIs changed after the index was made still finds every KPI.
    pub fn kpi(&self, name: &str) -> Option<&Kpi> {
        let index = self.kpi_index.0.get_or_init(|| {
            let names = self.kpis.iter().enumerate();
            names.map(|(i, k)| (k.name.clone(), i)).collect()
        });
        let indexed = index.get(name).and_then(|i| self.kpis.get(*i));
        indexed
            .filter(|k| k.name == name)
            .or_else(|| self.kpis.iter().find(|k| k.name == name))
    }
}

/// The index of `Model::kpi`. A copy starts empty, since the copy's KPIs may be changed.
#[derive(Debug, Default)]
pub struct KpiIndex(std::sync::OnceLock<std::collections::HashMap<String, usize>>);

impl Clone for KpiIndex {
    fn clone(&self) -> Self {
        KpiIndex::default()
    }
}

/// A balanced-scorecard perspective, such as Financial or Customer.
#[derive(Debug, Clone, Serialize)]
pub struct Perspective {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    pub owner: Option<String>,
    /// Relative to sibling perspectives (see docs/language.md for the normalization rule).
    pub weight: Weight,
}

/// A weight, possibly changing from given dates on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weight {
    /// The weight before the first change (1 when not written).
    pub initial: Decimal,
    /// (first day the new weight applies, in days since 1970-01-01; weight), by date.
    pub changes: Vec<(i64, Decimal)>,
}

impl Weight {
    pub fn fixed(w: Decimal) -> Self {
        Weight {
            initial: w,
            changes: Vec::new(),
        }
    }

    /// The weight of a period starting on `first_day`: the last change on or before that day.
    pub fn at(&self, first_day: i64) -> Decimal {
        self.changes
            .iter()
            .rev()
            .find(|(day, _)| *day <= first_day)
            .map(|(_, w)| *w)
            .unwrap_or(self.initial)
    }
}

/// A strategic objective under one perspective, with the objectives it drives on the strategy map.
#[derive(Debug, Clone, Serialize)]
pub struct Objective {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    pub owner: Option<String>,
    pub perspective: String,
    /// Relative to the other objectives of its perspective.
    pub weight: Weight,
    /// Objectives this one drives: cause-and-effect links, this → each.
    pub drives: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub name: String,
    pub label: Option<String>,
    pub owner: Option<String>,
    pub currency: String,
    /// Decimal places of the currency's minor unit (2 for USD, 0 for JPY).
    pub money_scale: u32,
    pub grain: Grain,
    pub calendar: Calendar,
    /// First day of a week, 0 (Monday) to 6 (Sunday); retail weeks start after the year's end day.
    pub week_start: u32,
    pub year_name: YearName,
    /// How KPIs that declare no `scoring` are scored.
    pub scoring: Scoring,
    /// What KPIs that declare no `partial` get in a period their data does not wholly cover.
    pub partial: Partial,
    /// The IANA time zone whose local date places a timestamp in a period (`time_zone:`);
    /// `None` places it by its date in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The `exchange_rates` that convert money in other currencies (`rates:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rates: Option<String>,
}

/// Exchange rates read from a dataset (`exchange_rates fx { dataset: fx_rates ... }`): each row a
/// day (the dataset's time column), a currency (ISO 4217) and its rate, quoted as `quoted` says.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeRates {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    pub dataset: String,
    /// The column of currency codes.
    pub currency: String,
    /// The column of rates, exact decimals.
    pub rate: String,
    pub quoted: Quote,
    pub line: usize,
}

/// Which way a rate is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quote {
    /// Reporting currency per one unit of the other (EUR 1 = USD 1.0832): multiply.
    PerUnit,
    /// Units of the other per one of the reporting currency (USD 1 = EUR 0.9232): divide.
    PerReporting,
}

/// The currency of a money column other than the reporting one, and how it converts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Currency {
    pub of: CurrencyOf,
    /// `None`: kept in its currency; adding it to reporting money is a check error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateKind>,
}

/// Where a money column's currency is told.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CurrencyOf {
    /// One currency for every row (`money(EUR)`).
    Code(String),
    /// The currency each row names in this text column (`money(currency)`).
    Column(String),
}

/// Which rate converts an amount: the period's average for flows, its closing rate for balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    Average,
    Closing,
}

impl RateKind {
    pub fn name(self) -> &'static str {
        match self {
            RateKind::Average => "average",
            RateKind::Closing => "closing",
        }
    }
}

/// How an aggregate of money in other currencies becomes reporting money: per period, segment and
/// currency, the total times the rate, rounded once, half-even, to the reporting minor unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Conversion {
    pub of: CurrencyOf,
    pub kind: RateKind,
    /// The `exchange_rates` declaration.
    pub rates: String,
    /// Constant currency (`rates_of: FY2025`): every period at this period's rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<RatesPeriod>,
}

/// A period whose rates every period uses: its name as written, first and last day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RatesPeriod {
    pub name: String,
    pub first_day: i64,
    pub last_day: i64,
}

impl Header {
    /// The zone whose local dates place timestamps (UTC when none is declared).
    pub fn zone(&self) -> zone::Zone {
        zone::Zone::of(self.time_zone.as_deref())
    }
}

/// The days a dataset's data is complete for, as the scorecard or `scorecard.toml` says: from
/// `complete_from` (else its first row), up to the day before `extracted` (else its last row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Completeness {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_from: Option<chrono::NaiveDate>,
    /// The day the extract was taken: its rows are complete for every day before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extracted: Option<chrono::NaiveDate>,
}

impl Completeness {
    /// Each of `over`'s days where it gives one, else this one's.
    pub fn or(self, over: Completeness) -> Completeness {
        Completeness {
            complete_from: over.complete_from.or(self.complete_from),
            extracted: over.extracted.or(self.extracted),
        }
    }
}

/// What a KPI gets in a period that the data its value reads does not wholly cover
/// (docs/language.md, "Coverage"): rated as usual, or shown with no status and no score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Partial {
    #[default]
    Rated,
    NotRated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Grain {
    /// Calendar (or retail) months in one period; days and weeks are not counted in months.
    pub fn months(self) -> i64 {
        match self {
            Grain::Day | Grain::Week | Grain::Month => 1,
            Grain::Quarter => 3,
            Grain::Year => 12,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Calendar {
    Gregorian,
    /// A fiscal year starting on the first day of `start_month` (1 = January).
    Fiscal {
        start_month: u32,
    },
    /// A retail year of 52 or 53 weeks ending on `end_weekday` (0 = Monday) nearest the last day of
    /// `end_month`, its quarters split into months of `pattern` weeks.
    Retail {
        pattern: [u32; 3],
        end_weekday: u32,
        end_month: u32,
    },
}

/// Which calendar year names a fiscal or retail year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum YearName {
    /// FY2027 is the year that ends in 2027 (the default).
    End,
    /// FY2026 is the year that starts in 2026 (as the NRF names its retail years).
    Start,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Csv,
    Parquet,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    #[serde(rename = "jsonl")]
    JsonLines,
    /// A sheet of an Excel workbook (`.xlsx`), optionally a range of it.
    #[serde(rename = "xlsx")]
    Excel,
    /// The credit table of the attribution of the same name.
    Attribution,
    /// The cost table of the allocation of the same name.
    Allocation,
    /// The rows of the view of the same name.
    View,
    /// The rows of the cohort of the same name.
    Cohort,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The source path as written; relative paths resolve against the data directory.
    pub source: String,
    pub format: SourceFormat,
    /// For a workbook: the sheet to read (else the first) and the range of it (else all of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// The column that places a row in a period.
    pub time: String,
    pub columns: Vec<Column>,
    /// What the scorecard says of the days its data is complete for.
    pub complete: Completeness,
    /// The period each row stands for whole (`grain: month` for a monthly budget or snapshot):
    /// the data then covers the periods of its first and last rows from start to end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grain: Option<Grain>,
    /// What its rows must meet (`checks:`), in the order written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<DataCheck>,
    /// The IANA time zone its timestamps without an offset were written in (`time_zone:`);
    /// `None` takes them in the scorecard's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// 1-based line of the declaration, for messages.
    pub line: usize,
}

/// One check a dataset's rows must meet (`checks: { known_customer: references(customer,
/// customers.customer) error }`), in the spirit of SodaCL and dbt tests.
#[derive(Debug, Clone, Serialize)]
pub struct DataCheck {
    pub name: String,
    pub rule: CheckRule,
    pub severity: CheckSeverity,
    /// The check as written, for messages.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckRule {
    /// Every row has a value in each column.
    NotNull { columns: Vec<String> },
    /// No two rows share their values in these columns (rows with an empty one are left out).
    Unique { columns: Vec<String> },
    /// Every value of the column is one of these.
    Accepted {
        column: String,
        values: Vec<CheckValue>,
    },
    /// Every value of the column lies from `low` to `high`, both included.
    Range {
        column: String,
        low: CheckValue,
        high: CheckValue,
    },
    /// Every value of the column is a value of `key` in `dataset`.
    References {
        column: String,
        dataset: String,
        key: String,
    },
    /// Each reported period holds as many rows as the period before, give or take `within` (a
    /// ratio: 0.2 for 20%).
    RowCount { within: Decimal },
    /// The newest row is at most `days` days old on the day of the run (or `--as-of`).
    Freshness { days: i64 },
}

/// A value a check compares with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CheckValue {
    Text(String),
    Number(Decimal),
    Date(chrono::NaiveDate),
}

/// Whether a failed check warns (and `run --fail-on checks` can fail on it) or stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckSeverity {
    Warn,
    Error,
}

impl Dataset {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// Read from a file, not derived by a rule.
    pub fn is_file(&self) -> bool {
        self.format.is_file()
    }
}

impl SourceFormat {
    /// What a source's formats are, for messages.
    pub const KNOWN: &'static str = "this version reads CSV (.csv), Parquet (.parquet), JSON lines (.jsonl, .ndjson) and Excel (.xlsx) files; PostgreSQL tables are bound in scorecard.toml";

    /// The format of a file, told by its extension.
    pub fn of_path(path: &str) -> Option<SourceFormat> {
        let lower = path.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "csv" => Some(SourceFormat::Csv),
            "parquet" => Some(SourceFormat::Parquet),
            "jsonl" | "ndjson" => Some(SourceFormat::JsonLines),
            "xlsx" => Some(SourceFormat::Excel),
            _ => None,
        }
    }

    /// Read from a file, not derived by a rule.
    pub fn is_file(self) -> bool {
        matches!(
            self,
            SourceFormat::Csv
                | SourceFormat::Parquet
                | SourceFormat::JsonLines
                | SourceFormat::Excel
        )
    }

    /// The name the manifest records.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Csv => "csv",
            SourceFormat::Parquet => "parquet",
            SourceFormat::JsonLines => "jsonl",
            SourceFormat::Excel => "xlsx",
            SourceFormat::Attribution => "attribution",
            SourceFormat::Allocation => "allocation",
            SourceFormat::View => "view",
            SourceFormat::Cohort => "cohort",
        }
    }
}

/// A rectangle of a sheet's cells, 0-based and inclusive: `A1:H500`, or `B3` for everything from
/// that cell to the end of the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetRange {
    pub start: (u32, u32),
    pub end: Option<(u32, u32)>,
}

impl SheetRange {
    pub fn parse(text: &str) -> Option<SheetRange> {
        let (a, b) = match text.split_once(':') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let start = cell(a)?;
        let end = match b {
            Some(b) => Some(cell(b)?),
            None => None,
        };
        if let Some(end) = end {
            if end.0 < start.0 || end.1 < start.1 {
                return None;
            }
        }
        Some(SheetRange { start, end })
    }
}

/// `H500` as (row 499, column 7).
fn cell(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().trim_start_matches('$');
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = text.split_at(letters);
    let row = row.trim_start_matches('$');
    if col.is_empty() || col.len() > 3 || row.is_empty() || !row.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let col = col.bytes().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row: u32 = row.parse().ok()?;
    // Excel's last cell is XFD1048576.
    if row == 0 || row > 1_048_576 || col > 16_384 {
        return None;
    }
    Some((row - 1, col - 1))
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    /// For money in a currency other than the reporting one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    pub key: bool,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ColumnType {
    Text,
    Integer,
    Decimal { precision: u32, scale: u32 },
    Money,
    Percent,
    Date,
    Timestamp,
    Bool,
}

impl ColumnType {
    /// A date or a timestamp: a column whose values name days.
    pub fn is_time(self) -> bool {
        matches!(self, ColumnType::Date | ColumnType::Timestamp)
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ColumnType::Integer
                | ColumnType::Decimal { .. }
                | ColumnType::Money
                | ColumnType::Percent
        )
    }
    pub fn name(self) -> String {
        match self {
            ColumnType::Text => "text".into(),
            ColumnType::Integer => "integer".into(),
            ColumnType::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
            ColumnType::Money => "money".into(),
            ColumnType::Percent => "percent".into(),
            ColumnType::Date => "date".into(),
            ColumnType::Timestamp => "timestamp".into(),
            ColumnType::Bool => "bool".into(),
        }
    }
}

/// Decimal places of a currency's minor unit (ISO 4217); 2 for codes not listed.
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// Whether `text` has the shape of an ISO 4217 code: three capital letters.
pub fn is_currency_code(text: &str) -> bool {
    text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// The widest minor unit of any currency: amounts in the currency each row names are read to it.
pub const WIDEST_MINOR_UNIT: u32 = 4;

impl Column {
    /// The text column naming each row's currency, for money in the currency each row names.
    pub fn currency_column(&self) -> Option<&str> {
        match &self.currency {
            Some(Currency {
                of: CurrencyOf::Column(named),
                ..
            }) => Some(named),
            _ => None,
        }
    }

    /// Decimal places a money column's amounts are read to: its currency's minor unit (the
    /// reporting currency's, `reporting`, when it has none of its own).
    pub fn money_scale(&self, reporting: u32) -> u32 {
        match &self.currency {
            None => reporting,
            Some(Currency {
                of: CurrencyOf::Code(c),
                ..
            }) => minor_units(c),
            Some(Currency {
                of: CurrencyOf::Column(_),
                ..
            }) => WIDEST_MINOR_UNIT,
        }
    }
}

/// Percent columns hold ratios (42.5% is 0.425) with this many decimal places.
pub const PERCENT_SCALE: u32 = 10;
/// The widest declared decimal: sums of up to 10^10 rows still fit the engine's 38 digits.
pub const MAX_PRECISION: u32 = 28;

#[derive(Debug, Clone, Serialize)]
pub struct Kpi {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    pub owner: Option<String>,
    /// The objective this KPI measures, if any.
    pub objective: Option<String>,
    /// Relative to the other KPIs of its objective (1 when not written).
    pub weight: Weight,
    /// How the value becomes a 0–10 score (the scorecard's default when not written).
    pub scoring: Scoring,
    pub unit: Unit,
    /// The current definition.
    pub value: Expr,
    /// The day `value` took effect (`effective:`), when it replaced an earlier definition.
    pub effective: Option<Effective>,
    /// The definitions `value` replaced, newest first (`previously:`): a period uses the newest
    /// definition in effect on its first day.
    pub previously: Vec<Definition>,
    /// The names this KPI had before (`renamed_from:`), so that `diff` keeps its identity.
    pub renamed_from: Vec<String>,
    pub target: Dated<Expr>,
    pub better: Better,
    /// In order; the first whose condition holds gives the status. The last has no condition.
    pub thresholds: Dated<Vec<Threshold>>,
    /// Segment columns: a value per combination of these, plus the total.
    pub by: Vec<String>,
    pub rounding: Rounding,
    pub missing: Missing,
    /// What the KPI gets in a period its data does not wholly cover.
    pub partial: Partial,
    /// Conditions its inputs must meet before it is rated (`requires:`), in the order written.
    pub requires: Vec<Gate>,
    pub line: usize,
}

/// One condition a KPI's inputs must meet in a period and segment before it is rated:
/// `responses: count(survey) >= 30`. When it fails, or cannot be told, the KPI's status is
/// `insufficient_data`.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub name: String,
    /// A comparison, or comparisons joined by `and`, `or` and `not`.
    pub condition: Expr,
    /// The condition as written, for messages.
    pub text: String,
}

/// The aggregates an expression reads, following references to other KPIs into their values (a
/// referenced KPI is only ever evaluated for its value). The one walk that the checker, the planner
/// and the evaluator share; to walk many expressions of one model, keep a `Reach`.
pub fn reach<'m>(e: &'m Expr, kpis: &'m [Kpi], out: &mut BTreeSet<usize>) {
    Reach::new(kpis).expr(e, out);
}

/// `reach`, remembering what each KPI reaches: a chain of KPIs each using the one before is walked
/// once in all, not once per KPI that uses it.
pub struct Reach<'m> {
    kpis: std::collections::HashMap<&'m str, &'m Kpi>,
    reached: std::collections::HashMap<&'m str, std::rc::Rc<BTreeSet<usize>>>,
}

impl<'m> Reach<'m> {
    pub fn new(kpis: &'m [Kpi]) -> Self {
        Reach {
            kpis: kpis.iter().map(|k| (k.name.as_str(), k)).collect(),
            reached: Default::default(),
        }
    }

    /// Adds to `out` the aggregates `e` reads.
    pub fn expr(&mut self, e: &'m Expr, out: &mut BTreeSet<usize>) {
        scorecard_diagnostic::depth::deep(|| match e {
            Expr::Aggregate { index } => {
                out.insert(*index);
            }
            Expr::Kpi { name } => {
                if let Some(reached) = self.kpi(name) {
                    out.extend(reached.iter());
                }
            }
            _ => e.children().into_iter().for_each(|c| self.expr(c, out)),
        })
    }

    /// The aggregates the values of the KPI named `name` read.
    fn kpi(&mut self, name: &str) -> Option<std::rc::Rc<BTreeSet<usize>>> {
        if let Some(known) = self.reached.get(name) {
            return Some(known.clone());
        }
        let k: &'m Kpi = self.kpis.get(name)?;
        // While its values are walked, a KPI reaches nothing more: a cycle (which the checker
        // reports) ends there.
        self.reached.insert(&k.name, Default::default());
        let mut out = BTreeSet::new();
        for v in k.values() {
            self.expr(v, &mut out);
        }
        let out = std::rc::Rc::new(out);
        self.reached.insert(&k.name, out.clone());
        Some(out)
    }
}

/// An earlier definition of a KPI's value.
#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    pub value: Expr,
    /// When it took effect; `None` for the first definition, which applies to every period before
    /// the next one took effect.
    pub effective: Option<Effective>,
    /// Its `///` comment: why it changed, who decided.
    pub doc: Option<String>,
    pub line: usize,
}

/// The day a definition took effect, always the first day of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective {
    /// As written, `2026-07-01`.
    pub date: String,
    /// Days since 1970-01-01.
    pub day: i64,
}

/// The definition a period uses.
#[derive(Debug, Clone, Copy)]
pub struct Applied<'k> {
    pub value: &'k Expr,
    /// 0 for the current definition, 1 for the one it replaced, and so on back.
    pub age: usize,
    pub effective: Option<&'k Effective>,
    /// The day the next newer definition took effect, when this one is not the current.
    pub until: Option<&'k Effective>,
    pub doc: Option<&'k str>,
}

/// What a KPI that is only a value has: its name, value, unit, segment columns, decimal places,
/// how it scores (the scorecard's default) and its line.
pub struct PlainKpi {
    pub name: String,
    pub label: Option<String>,
    pub value: Expr,
    pub unit: Unit,
    pub by: Vec<String>,
    pub places: u32,
    pub scoring: Scoring,
    pub line: usize,
}

impl Kpi {
    /// A KPI that is only a value, which the model derives rather than the scorecard declares
    /// (each attribution's credit for the report, a test's expectation on an expression): no
    /// target, thresholds, objective or history, rounded half-even, "no value" when data is missing.
    pub fn plain(p: PlainKpi) -> Kpi {
        Kpi {
            name: p.name,
            label: p.label,
            doc: None,
            owner: None,
            objective: None,
            weight: Weight::fixed(Decimal::ONE),
            scoring: p.scoring,
            unit: p.unit,
            value: p.value,
            effective: None,
            previously: Vec::new(),
            renamed_from: Vec::new(),
            target: Dated::always(None),
            better: Better::Higher,
            thresholds: Dated::always(None),
            by: p.by,
            rounding: Rounding {
                places: p.places,
                mode: RoundMode::HalfEven,
            },
            missing: Missing::NotEvaluated,
            partial: Partial::Rated,
            requires: Vec::new(),
            line: p.line,
        }
    }

    /// The definition in effect for a period that starts on `first_day`: the newest whose
    /// effective day is on or before it.
    pub fn definition_at(&self, first_day: i64) -> Applied<'_> {
        let mut applied = Applied {
            value: &self.value,
            age: 0,
            effective: self.effective.as_ref(),
            until: None,
            doc: self.doc.as_deref(),
        };
        for (i, d) in self.previously.iter().enumerate() {
            if applied.effective.is_none_or(|e| first_day >= e.day) {
                break;
            }
            applied = Applied {
                value: &d.value,
                age: i + 1,
                until: applied.effective,
                effective: d.effective.as_ref(),
                doc: d.doc.as_deref(),
            };
        }
        applied
    }

    /// Every definition of the value, the current first.
    pub fn values(&self) -> impl Iterator<Item = &Expr> {
        std::iter::once(&self.value).chain(self.previously.iter().map(|d| &d.value))
    }

    /// The expressions that judge the value: every target, threshold condition and gate.
    pub fn judging(&self) -> impl Iterator<Item = &Expr> {
        let conditions = self
            .thresholds
            .all()
            .flat_map(|rules| rules.iter().filter_map(|t| t.when.as_ref()));
        let gates = self.requires.iter().map(|g| &g.condition);
        self.target.all().chain(conditions).chain(gates)
    }
}

/// A property that may differ by period: the value for the most specific period that contains the
/// one being evaluated, else the default.
#[derive(Debug, Clone, Serialize)]
pub struct Dated<T> {
    pub default: Option<T>,
    pub periods: Vec<ForPeriod<T>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForPeriod<T> {
    /// The period's name as written, such as `FY2027-Q4`.
    pub period: String,
    /// Its first and last day, in days since 1970-01-01.
    pub first_day: i64,
    pub last_day: i64,
    pub value: T,
}

impl<T> Dated<T> {
    pub fn always(value: Option<T>) -> Self {
        Dated {
            default: value,
            periods: Vec::new(),
        }
    }

    /// The value for a period running from `first_day` to `last_day`.
    pub fn at(&self, first_day: i64, last_day: i64) -> Option<&T> {
        self.periods
            .iter()
            .filter(|p| p.first_day <= first_day && last_day <= p.last_day)
            .min_by_key(|p| p.last_day - p.first_day)
            .map(|p| &p.value)
            .or(self.default.as_ref())
    }

    /// Every value, the default first.
    pub fn all(&self) -> impl Iterator<Item = &T> {
        self.default
            .iter()
            .chain(self.periods.iter().map(|p| &p.value))
    }
}

/// A method that turns a KPI's value into a score from 0 to 10 (see `rules::score`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Scoring {
    /// The red flag scores 10/3 and the goal 20/3, linearly, clamped to 0..10; lower is better when
    /// the goal is below the red flag.
    GoalRedFlag { goal: Decimal, red_flag: Decimal },
    /// A score per status.
    Bands {
        green: Decimal,
        amber: Decimal,
        red: Decimal,
    },
    /// 10 × (1 ± (value − target) / |target|), clamped: 10 at or beyond the target.
    PercentOfTarget,
    /// 10 inside the range, falling to 0 one range-width outside it.
    Within { low: Decimal, high: Decimal },
    /// A `function` declared in the scorecard, called with the value and the target.
    Script { function: String },
}

/// A scoring function written in Rhai, run in a sandbox (see `rules::script`).
#[derive(Debug, Clone, Serialize)]
pub struct Function {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The Rhai source; it defines `fn NAME(value, target)` (scoring) or
    /// `fn NAME(position, touches, age_days)` (an attribution weight).
    pub source: String,
    /// How many parameters `fn NAME` takes: 2 for scoring, 3 for a weight.
    pub params: usize,
}

impl Scoring {
    /// The default: green 10, amber 5, red 0.
    pub fn default_bands() -> Scoring {
        Scoring::Bands {
            green: Decimal::TEN,
            amber: Decimal::from(5),
            red: Decimal::ZERO,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Money,
    Percent,
    Ratio,
    Number,
    Count,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Money => "money",
            Unit::Percent => "percent",
            Unit::Ratio => "ratio",
            Unit::Number => "number",
            Unit::Count => "count",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
    Within { low: Decimal, high: Decimal },
}

/// A status a threshold can declare: red, amber or green. (What a KPI gets in a period is
/// `rules::Status`, which also has no value and unrated.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rag {
    Green,
    Amber,
    Red,
}

impl Rag {
    pub fn name(self) -> &'static str {
        match self {
            Rag::Green => "green",
            Rag::Amber => "amber",
            Rag::Red => "red",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    pub status: Rag,
    /// `None` is `otherwise`.
    pub when: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rounding {
    /// Decimal places in the unit as shown: for percent, places of the percent figure.
    pub places: u32,
    pub mode: RoundMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundMode {
    HalfEven,
    HalfUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// A period or segment with no rows has no value and no status.
    NotEvaluated,
    /// Sums and counts over no rows are 0.
    Zero,
}

/// A KPI expression, evaluated per period and segment after aggregation.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expr {
    Number {
        value: Decimal,
    },
    Aggregate {
        index: usize,
    },
    Kpi {
        name: String,
    },
    /// The KPI's own value (in thresholds).
    Value,
    /// The KPI's target (in thresholds).
    Target,
    Neg {
        operand: Box<Expr>,
    },
    Arith {
        op: ArithOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Compare {
        op: CmpOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    And {
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Or {
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Not {
        operand: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// The operand in an earlier period: `x[-1]`, `x[same period last year]`.
    Shift {
        shift: Shift,
        operand: Box<Expr>,
    },
    /// The operand with every aggregate taken over a window of periods: `ytd(x)`, `rolling(x, 3 periods)`.
    Window {
        window: Window,
        operand: Box<Expr>,
    },
    /// A declared parameter, with the value the model was checked under (its base, a scenario's,
    /// or one set on the command line).
    Parameter {
        name: String,
        value: Decimal,
    },
    /// Customer lifetime value: the margins of the periods after the first, each kept with
    /// probability `retention` per period and discounted at `discount` per period, over `horizon`
    /// periods (for ever when `None`).
    Clv {
        margin: Box<Expr>,
        retention: Box<Expr>,
        discount: Box<Expr>,
        horizon: Option<u32>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shift {
    /// `n` periods later (negative: earlier).
    Periods { n: i64 },
    /// The same period of the previous year (see `calendar::Periods::year_ago`).
    YearAgo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Window {
    /// From the first period of the year (quarter, month) to the current one.
    Ytd,
    Qtd,
    Mtd,
    /// The last `periods` periods, the current one included.
    Rolling {
        periods: i64,
    },
    /// From the first period in the data to the current one.
    Cumulative,
}

impl Expr {
    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Neg { operand } | Expr::Not { operand } => vec![operand],
            Expr::Arith { left, right, .. }
            | Expr::Compare { left, right, .. }
            | Expr::And { left, right }
            | Expr::Or { left, right } => vec![left, right],
            Expr::If {
                cond,
                then,
                otherwise,
            } => vec![cond, then, otherwise],
            Expr::Shift { operand, .. } | Expr::Window { operand, .. } => vec![operand],
            Expr::Clv {
                margin,
                retention,
                discount,
                ..
            } => vec![margin, retention, discount],
            // No wildcard: a new variant must say whether it has children.
            Expr::Number { .. }
            | Expr::Parameter { .. }
            | Expr::Aggregate { .. }
            | Expr::Kpi { .. }
            | Expr::Value
            | Expr::Target => Vec::new(),
        }
    }

    /// The number of nodes in the expression (walked without recursion).
    pub fn size(&self) -> usize {
        let mut stack = vec![self];
        let mut n = 0;
        while let Some(e) = stack.pop() {
            n += 1;
            stack.extend(e.children());
        }
        n
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
}

/// One aggregate over one dataset, computed by the engine for every period and segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Aggregate {
    pub dataset: String,
    pub func: AggFunc,
    /// `None` counts rows (`count(orders)`).
    pub column: Option<String>,
    pub filter: Option<RowExpr>,
    /// Over a view's rows (one per entity and period), which no window can add up across periods.
    pub over_view: bool,
    /// For money in other currencies: how it becomes reporting money.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convert: Option<Conversion>,
}

impl Aggregate {
    /// Whether the aggregate means something only within one period: a window over several periods
    /// cannot be made by combining the periods' values.
    pub fn single_period(&self) -> bool {
        self.over_view || matches!(self.func, AggFunc::CountDistinct | AggFunc::TopShare { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AggFunc {
    Sum,
    Count,
    CountDistinct,
    Avg,
    Min,
    Max,
    /// The share of the column's total held by the top `fraction` of rows by that column: the
    /// smallest number of rows that is at least `fraction` of them.
    TopShare {
        fraction: Decimal,
    },
}

impl AggFunc {
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Sum => "sum",
            AggFunc::Count => "count",
            AggFunc::CountDistinct => "count_distinct",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::TopShare { .. } => "top_share",
        }
    }
}

/// A row-level expression in a `where` filter, over one dataset's columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowExpr {
    Column {
        name: String,
    },
    Text {
        value: String,
    },
    Number {
        value: Decimal,
    },
    /// An ISO date, `2026-07-01`.
    Date {
        value: String,
    },
    Bool {
        value: bool,
    },
    Neg {
        operand: Box<RowExpr>,
    },
    Arith {
        op: ArithOp,
        left: Box<RowExpr>,
        right: Box<RowExpr>,
    },
    Compare {
        op: CmpOp,
        left: Box<RowExpr>,
        right: Box<RowExpr>,
    },
    And {
        left: Box<RowExpr>,
        right: Box<RowExpr>,
    },
    Or {
        left: Box<RowExpr>,
        right: Box<RowExpr>,
    },
    Not {
        operand: Box<RowExpr>,
    },
    /// `channel in ("organic", "direct")`.
    In {
        operand: Box<RowExpr>,
        values: Vec<RowExpr>,
    },
}
