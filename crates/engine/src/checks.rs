//! Owns running each dataset's `checks:` over the rows a run reads (up to `--as-of`): how many rows
//! fail each, and the first lines of them in the source; the row count of each reported period
//! against the one before; how old the newest row is. A failed `error` check stops the run.

use crate::passes::period::{day_of, rows_through, Time};
use crate::sources::csv::LINE;
use crate::DataError;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{JoinType, ScalarValue, TableReference};
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, SortExpr};
use datafusion::prelude::{cast, col, ident, lit, SessionContext};
use rust_decimal::Decimal;
use scorecard_model::calendar::Periods;
use scorecard_model::{
    CheckRule, CheckSeverity, CheckValue, ColumnType, DataCheck, Dataset, Model,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Lines of failing rows named per check.
pub const LINES_SHOWN: usize = 5;

/// Periods a failed `row_count` names.
const PERIODS_SHOWN: usize = 5;

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub dataset: String,
    pub check: String,
    /// The check as written.
    pub rule: String,
    pub severity: CheckSeverity,
    pub passed: bool,
    /// Rows that failed it; for `row_count`, periods; for `freshness`, 1 when it failed.
    pub failed: u64,
    /// Of how many (rows read, or periods compared).
    pub of: u64,
    /// The first lines of failing rows, in the source's order (for a file, its line numbers);
    /// empty when it passed, and for `row_count` and `freshness`.
    pub lines: Vec<u64>,
    /// For `freshness`: the day the newest row's age was taken on (`--as-of`, else the day of
    /// the run), so that a document says what it was judged against.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "day")]
    pub checked_on: Option<NaiveDate>,
    /// Where the rows were read from, as the manifest names it.
    pub source: String,
    /// What failed, with the numbers; empty when it passed.
    pub message: String,
}

fn day<S: serde::Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// What the checks compare with besides the rows: the periods reported, the day of the run, and
/// each dataset's first and last row day and what its data covers.
pub struct Around<'a> {
    pub periods: Periods,
    pub reported: &'a [i64],
    pub as_of: Option<NaiveDate>,
    pub today: NaiveDate,
    pub row_days: &'a BTreeMap<String, (NaiveDate, NaiveDate)>,
    /// Each dataset's source as the manifest names it.
    pub sources: &'a BTreeMap<String, String>,
    pub coverage: &'a BTreeMap<String, crate::coverage::Covers>,
    /// The scorecard's time zone, whose local dates place timestamps.
    pub zone: scorecard_model::zone::Zone,
}

impl Around<'_> {
    fn time<'c>(&self, column: &'c str) -> Time<'c> {
        Time {
            column,
            zone: self.zone,
        }
    }
}

/// Runs every check of every dataset read from a source, in declaration order.
pub async fn run(
    ctx: &SessionContext,
    model: &Model,
    around: &Around<'_>,
) -> Result<Vec<Checked>, DataError> {
    let mut out = Vec::new();
    for ds in model
        .datasets
        .iter()
        .filter(|d| d.is_file() && !d.checks.is_empty())
    {
        // The rows read, and how many, once for all the dataset's checks.
        let rows = rows_through(ctx, &ds.name, around.time(&ds.time), around.as_of).await?;
        let total = rows.clone().count().await? as u64;
        for check in &ds.checks {
            out.push(one(ctx, (ds, rows.clone(), total), check, around).await?);
        }
    }
    Ok(out)
}

/// The error that stops a run: every failed `error` check, one per line.
pub fn stopping(checked: &[Checked]) -> Option<DataError> {
    let failed: Vec<String> = checked
        .iter()
        .filter(|c| !c.passed && c.severity == CheckSeverity::Error)
        .map(Checked::shown)
        .collect();
    (!failed.is_empty()).then(|| DataError::CheckFailed {
        count: failed.len(),
        checks: failed.join("\n  "),
    })
}

impl Checked {
    /// A failed check as one line: `orders.known_region (accepted(region, [...])): 2 of 8 rows
    /// hold a value not accepted, first at data/orders.csv:4, :9`.
    pub fn shown(&self) -> String {
        let at = match self.lines.split_first() {
            None => String::new(),
            Some((first, rest)) => {
                let more: String = rest.iter().map(|l| format!(", :{l}")).collect();
                format!(", first at {}:{first}{more}", self.source)
            }
        };
        format!(
            "{}.{} ({}): {}{at}",
            self.dataset, self.check, self.rule, self.message
        )
    }
}

/// One check of `ds` over its `rows` (`total` of them).
async fn one(
    ctx: &SessionContext,
    (ds, rows, total): (&Dataset, DataFrame, u64),
    check: &DataCheck,
    around: &Around<'_>,
) -> Result<Checked, DataError> {
    let mut out = Checked {
        dataset: ds.name.clone(),
        check: check.name.clone(),
        rule: check.text.clone(),
        severity: check.severity,
        passed: true,
        failed: 0,
        of: total,
        lines: Vec::new(),
        checked_on: None,
        source: around.sources.get(&ds.name).cloned().unwrap_or_default(),
        message: String::new(),
    };
    let failing = match &check.rule {
        CheckRule::NotNull { columns } => {
            let bad = columns
                .iter()
                .map(|c| ident(c).is_null())
                .reduce(Expr::or)
                .unwrap_or(lit(false));
            Some((rows.filter(bad)?, "have no value in a column it needs"))
        }
        CheckRule::Unique { columns } => Some((
            duplicates(rows, columns)?,
            "share their values with another row",
        )),
        CheckRule::Accepted { column, values } => {
            let ty = column_type(ds, column);
            let listed = values.iter().map(|v| value_lit(v, ty)).collect();
            let bad = ident(column)
                .is_not_null()
                .and(ident(column).in_list(listed, true));
            Some((rows.filter(bad)?, "hold a value not accepted"))
        }
        CheckRule::Range { column, low, high } => {
            let ty = column_type(ds, column);
            let x = match ty {
                ColumnType::Timestamp => day_of(around.time(column)),
                _ => ident(column),
            };
            let bad = x
                .clone()
                .lt(value_lit(low, ty))
                .or(x.gt(value_lit(high, ty)));
            Some((rows.filter(bad)?, "lie outside the range"))
        }
        CheckRule::References {
            column,
            dataset,
            key,
        } => {
            // Every row of the other dataset counts, `--as-of` or not: a customer added later is
            // still a customer.
            let keys = ctx
                .table(TableReference::bare(dataset.as_str()))
                .await?
                .select(vec![ident(key).alias("__key")])?
                .distinct()?;
            // Joined on expressions, not names: a name given as text would be read as SQL and
            // lowercased.
            let bad = rows.filter(ident(column).is_not_null())?.join_on(
                keys,
                JoinType::LeftAnti,
                [ident(column).eq(ident("__key"))],
            )?;
            Some((bad, "refer to no row of the other dataset"))
        }
        CheckRule::RowCount { within } => {
            row_count(ds, rows, *within, around, &mut out).await?;
            None
        }
        CheckRule::Freshness { days } => {
            freshness(ds, *days, around, &mut out);
            None
        }
    };
    if let Some((bad, what)) = failing {
        out.failed = bad.clone().count().await? as u64;
        out.passed = out.failed == 0;
        if !out.passed {
            out.lines = first_lines(bad).await?;
            out.message = format!("{} of {total} rows {what}", out.failed);
        }
    }
    Ok(out)
}

/// The rows of `rows` whose values in `columns` (all given) some other row shares.
fn duplicates(rows: DataFrame, columns: &[String]) -> Result<DataFrame, DataError> {
    let given = columns
        .iter()
        .map(|c| ident(c).is_not_null())
        .reduce(Expr::and)
        .unwrap_or(lit(true));
    let rows = rows.filter(given)?;
    let keys: Vec<Expr> = columns.iter().map(ident).collect();
    let renamed: Vec<String> = (0..columns.len()).map(|i| format!("__key{i}")).collect();
    let repeated = rows
        .clone()
        .aggregate(keys, vec![count(lit(1)).alias("__n")])?
        .filter(col("__n").gt(lit(1i64)))?
        .select(
            columns
                .iter()
                .zip(&renamed)
                .map(|(c, r)| ident(c).alias(r))
                .collect::<Vec<_>>(),
        )?;
    let on: Vec<Expr> = columns
        .iter()
        .zip(&renamed)
        .map(|(c, r)| ident(c).eq(ident(r)))
        .collect();
    Ok(rows.join_on(repeated, JoinType::LeftSemi, on)?)
}

/// The first lines of `bad`, when its rows have them.
async fn first_lines(bad: DataFrame) -> Result<Vec<u64>, DataError> {
    if bad.schema().field_with_unqualified_name(LINE).is_err() {
        return Ok(Vec::new());
    }
    let batches = bad
        .select(vec![cast(ident(LINE), DataType::Int64).alias("line")])?
        .sort(vec![SortExpr::new(col("line"), true, false)])?
        .limit(0, Some(LINES_SHOWN))?
        .collect()
        .await?;
    let mut lines = Vec::new();
    for b in &batches {
        let a = b.column(0).as_primitive::<Int64Type>();
        lines.extend(
            (0..a.len())
                .filter(|i| !a.is_null(*i))
                .map(|i| a.value(i) as u64),
        );
    }
    Ok(lines)
}

/// Each reported period's rows against the period before's: failed when they differ by more than
/// `within` of the earlier count (a period after one with no rows is not compared).
async fn row_count(
    ds: &Dataset,
    rows: DataFrame,
    within: Decimal,
    around: &Around<'_>,
    out: &mut Checked,
) -> Result<(), DataError> {
    let period =
        crate::passes::period::period_of(around.time(&ds.time), around.periods).alias("__period");
    let batches = rows
        .aggregate(vec![period], vec![count(lit(1)).alias("__n")])?
        .collect()
        .await?;
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    for b in &batches {
        let (p, n) = (
            b.column(0).as_primitive::<Int64Type>(),
            b.column(1).as_primitive::<Int64Type>(),
        );
        for i in (0..b.num_rows()).filter(|i| !p.is_null(*i)) {
            counts.insert(p.value(i), n.value(i));
        }
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    let covers = around.coverage.get(&ds.name);
    for &p in around.reported {
        let before = counts.get(&(p - 1)).copied().unwrap_or(0);
        // Only periods the data covers whole are compared: a month the extract ends inside has
        // fewer rows for that reason alone, which coverage already says.
        let whole = covers.is_some_and(|c| {
            c.short_in((p - 1, p), false).is_empty() && c.uncovered_in((p - 1, p), 1).is_empty()
        });
        if before == 0 || !whole {
            continue;
        }
        compared += 1;
        let now = counts.get(&p).copied().unwrap_or(0);
        let change = (Decimal::from(now) - Decimal::from(before)) / Decimal::from(before);
        if change.abs() > within {
            failures.push(format!(
                "{}: {now} {} against {before} in {} ({}{}%)",
                around.periods.label(p),
                if now == 1 { "row" } else { "rows" },
                around.periods.label(p - 1),
                if change > Decimal::ZERO { "+" } else { "" },
                (change * Decimal::ONE_HUNDRED).round_dp(1).normalize()
            ));
        }
    }
    out.of = compared;
    out.failed = failures.len() as u64;
    out.passed = failures.is_empty();
    if !out.passed {
        let more = match failures.len().saturating_sub(PERIODS_SHOWN) {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        out.message = format!(
            "{} of {compared} periods differ from the one before by more than {}%: {}{more}",
            failures.len(),
            (within * Decimal::ONE_HUNDRED).normalize(),
            failures[..failures.len().min(PERIODS_SHOWN)].join("; ")
        );
    }
    Ok(())
}

/// Whether the newest row is at most `days` days old on the day checked.
fn freshness(ds: &Dataset, days: i64, around: &Around<'_>, out: &mut Checked) {
    let on = around.as_of.unwrap_or(around.today);
    out.of = 1;
    out.checked_on = Some(on);
    let (passed, message) = match around.row_days.get(&ds.name) {
        None => (false, format!("it has no rows up to {on}")),
        Some(&(_, newest)) => {
            let age = (on - newest).num_days();
            (
                age <= days,
                format!("the newest row is from {newest}, {age} days before {on} (at most {days})"),
            )
        }
    };
    out.passed = passed;
    out.failed = u64::from(!passed);
    if !passed {
        out.message = message;
    }
}

fn column_type(ds: &Dataset, column: &str) -> ColumnType {
    ds.column(column).map_or(ColumnType::Text, |c| c.ty)
}

/// A value as a literal the column compares with.
fn value_lit(v: &CheckValue, ty: ColumnType) -> Expr {
    match v {
        CheckValue::Text(s) => lit(s.clone()),
        CheckValue::Date(d) => lit(ScalarValue::Date32(Some(
            scorecard_model::calendar::days(*d) as i32,
        ))),
        CheckValue::Number(n) => match (ty, i64::try_from(*n)) {
            (ColumnType::Integer, Ok(whole)) if n.fract().is_zero() => lit(whole),
            _ => crate::passes::query::decimal_lit(*n),
        },
    }
}
