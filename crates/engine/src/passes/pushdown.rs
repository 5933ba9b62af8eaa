//! Owns running a PostgreSQL source's aggregate passes inside PostgreSQL (`pushdown = true`): the
//! values the readers would refuse are looked for there first, each pass is one query written by
//! `engine::sql` (the same aggregates the engine's own query computes), and only the aggregated
//! rows are sent back.

use crate::error::DataError;
use crate::passes::plan::Pass;
use crate::passes::sql::{self, Dialect, Shape, GROUP_ROWS};
use crate::sources::postgres::{add, connect, fingerprint, quote, row_digest, through, Connected};
use crate::sources::schema::decimal_shape;
use crate::{Cell, Input, Table};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use scorecard_model::calendar::Periods;
use scorecard_model::{Calendar, ColumnType, Dataset, Model};
use scorecard_project::source::{PostgresSource, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use tokio_postgres::types::Type;
use tokio_postgres::SimpleQueryMessage;

/// A source whose passes the server runs, and the fingerprint of the aggregated rows received.
pub struct Pushed {
    connected: Connected,
    /// The declared rows read, as a filter (`--as-of`) on the time column, SQL text.
    filter: Option<String>,
    sum: [u8; 32],
    received: u64,
    /// The first and last day of the rows read, from the server.
    days: Option<(NaiveDate, NaiveDate)>,
}

/// The server's side of a dataset whose passes can run there, with the input the manifest records
/// (its fingerprint is `finish`'s). They can when the dataset is bound to PostgreSQL with
/// `pushdown`, no rule or `explain` reads its rows (`rows_needed`), its calendar's periods are
/// ones SQL computes (a retail calendar's are not), and its columns are stored in natural types
/// (`open`).
pub async fn start(
    model: &Model,
    ds: &Dataset,
    source: &Source,
    rows_needed: bool,
    as_of: Option<NaiveDate>,
) -> Result<Option<(Pushed, Input)>, DataError> {
    let Source::Postgres(pg) = source else {
        return Ok(None);
    };
    // Timestamps in a zone are placed by the engine, not the server (docs/sources.md).
    let zoned = crate::sources::postgres::zoned(ds);
    if !pg.pushdown
        || rows_needed
        || zoned
        || matches!(model.header.calendar, Calendar::Retail { .. })
    {
        return Ok(None);
    }
    let Some((server, rows)) = open(ds, pg, model.header.money_scale, as_of).await? else {
        return Ok(None);
    };
    let input = Input {
        dataset: ds.name.clone(),
        path: pg.shown(),
        format: "postgres-aggregates".into(),
        sha256: String::new(),
        rows,
    };
    Ok(Some((server, input)))
}

/// Connects and checks the rows on the server as the readers check them: every money, decimal or
/// percent value within its digits and places, every integer whole and within 64 bits, every key
/// once. `None` when a column is not stored in the server type its declared type reads from
/// (text as text, numbers as numeric or integers, dates and timestamps as such, booleans as
/// boolean): the server would read or compare it more loosely than the engine, so its rows are
/// read instead, each value checked. Also gives the number of rows.
async fn open(
    ds: &Dataset,
    source: &PostgresSource,
    money_scale: u32,
    as_of: Option<NaiveDate>,
) -> Result<Option<(Pushed, u64)>, DataError> {
    let connected = connect(ds, source).await?;
    let stored_naturally = ds
        .columns
        .iter()
        .zip(&connected.types)
        .all(|(c, found)| natural(c.ty, found));
    if !stored_naturally {
        connected.close().await;
        return Ok(None);
    }
    let mut pushed = Pushed {
        connected,
        // The rows `postgres::read` would read.
        filter: through(ds, as_of),
        sum: [0; 32],
        received: 0,
        days: None,
    };
    let rows = pushed.check(ds, money_scale).await?;
    Ok(Some((pushed, rows)))
}

impl Pushed {
    fn relation(&self) -> String {
        format!("{} AS s", self.connected.from)
    }

    fn filtered(&self) -> String {
        scorecard_diagnostic::depth::deep(|| match &self.filter {
            Some(f) => format!("{} WHERE {f}", self.relation()),
            None => self.relation(),
        })
    }

    /// Runs `sql`, every value as text.
    async fn rows(&self, ds: &Dataset, sql: &str) -> Result<Vec<Vec<Option<String>>>, DataError> {
        let what = format!("cannot aggregate {} on the server", self.connected.what);
        let messages = self
            .connected
            .client
            .simple_query(sql)
            .await
            .map_err(|e| self.connected.failed(ds, &what, e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(String::from))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    /// The number of rows, after looking for a value the readers would refuse.
    async fn check(&mut self, ds: &Dataset, money_scale: u32) -> Result<u64, DataError> {
        let mut checks = vec!["COUNT(*)".to_string()];
        let mut checked = Vec::new();
        for (c, ty) in ds.columns.iter().zip(&self.connected.types) {
            // Digits before the point and after it; an integer is 19 digits at most (64 bits).
            let (whole, places) = match (c.ty, decimal_shape(c.ty, c.money_scale(money_scale))) {
                (_, Some((precision, scale))) => (precision - scale, scale),
                (ColumnType::Integer, _) => (19, 0),
                _ => continue,
            };
            let x = format!("s.{}", quote(&c.name));
            let too_large = match c.ty {
                ColumnType::Integer => {
                    format!("{x} NOT BETWEEN -9223372036854775808 AND 9223372036854775807")
                }
                _ => format!("abs({x}) >= 1e{whole}"),
            };
            let wrong = match *ty {
                Type::INT2 | Type::INT4 | Type::INT8 => too_large,
                _ => format!("{x} <> round({x}, {places}) OR {too_large}"),
            };
            checks.push(format!("MIN(CASE WHEN {wrong} THEN CAST({x} AS TEXT) END)"));
            let expected = match c.ty {
                ColumnType::Integer => "a whole number within 64 bits".to_string(),
                _ => format!(
                    "a decimal number with at most {whole} digits before the point and {places} after it"
                ),
            };
            checked.push((c.name.clone(), expected));
        }
        // The span of the rows' days, last: what the data covers.
        let day = format!("CAST(s.{} AS DATE)", quote(&ds.time));
        checks.push(format!("CAST(MIN({day}) AS TEXT)"));
        checks.push(format!("CAST(MAX({day}) AS TEXT)"));
        let sql = format!("SELECT {} FROM {}", checks.join(", "), self.filtered());
        let found = self.rows(ds, &sql).await?;
        let first = found.first().cloned().unwrap_or_default();
        let day_at = |i: usize| {
            let text = first.get(i).cloned().flatten()?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
        };
        self.days =
            day_at(first.len().saturating_sub(2)).zip(day_at(first.len().saturating_sub(1)));
        for ((column, expected), value) in checked.iter().zip(first.iter().skip(1)) {
            if let Some(value) = value {
                return Err(self.refused(
                    ds,
                    format!("column `{column}` has the value `{value}`, expected {expected}"),
                ));
            }
        }
        for key in ds.columns.iter().filter(|c| c.key) {
            let x = format!("s.{}", quote(&key.name));
            let sql = format!(
                "SELECT CAST({x} AS TEXT) FROM {} GROUP BY {x} \
                 HAVING {x} IS NOT NULL AND COUNT(*) > 1 ORDER BY 1 LIMIT 1",
                self.filtered()
            );
            if let Some(Some(value)) = self.rows(ds, &sql).await?.first().and_then(|r| r.first()) {
                return Err(self.refused(
                    ds,
                    format!(
                        "the key column `{}` has the value `{value}` in more than one row",
                        key.name
                    ),
                ));
            }
        }
        let rows = first.first().cloned().flatten().unwrap_or_default();
        Ok(rows.parse().unwrap_or(0))
    }

    fn refused(&self, ds: &Dataset, message: String) -> DataError {
        DataError::unreadable(
            &ds.name,
            &self.connected.shown,
            format!(
                "{message} (found on the server: with `pushdown` the rows stay there; leave it out to have the row named)"
            ),
        )
    }

    /// One pass, computed by the server.
    pub async fn run_pass(
        &mut self,
        model: &Model,
        ds: &Dataset,
        pass: &Pass,
        aggregates: &BTreeSet<usize>,
        periods: Periods,
    ) -> Result<Table, DataError> {
        let dialect = Dialect::Postgres;
        // Unqualified: a pass with a top share reads the rows through a ranking subquery, where
        // `s` (the relation's name inside it) is not in scope.
        let period = dialect
            .period_start(&model.header, &quote(&ds.time))
            .ok_or_else(|| DataError::Engine("a retail calendar cannot be pushed down".into()))?;
        let shape = Shape {
            text_segments: true,
            group_rows: true,
            filter: self.filter.clone(),
        };
        let relation = self.relation();
        let statement = sql::statement(
            model,
            dialect,
            (ds, &pass.by),
            aggregates,
            (&period, &relation),
            &shape,
            &BTreeMap::new(),
        );
        let rows = self.rows(ds, &statement.text).await?;
        let mut table = Table::default();
        for (slot, &i) in aggregates.iter().enumerate() {
            table.slots.insert(i, slot);
        }
        let first = 1 + pass.by.len();
        let group_rows = first + statement.columns.len();
        let overflow = |name: &str| DataError::Overflow {
            what: format!("`{name}` of `{}`, as the server computed it", ds.name),
        };
        for row in rows {
            add(&mut self.sum, &row_digest(row.iter().map(|f| f.as_deref())));
            self.received += 1;
            if row.len() != group_rows + 1 {
                return Err(DataError::Engine(format!(
                    "the server sent {} columns, not {} and `{GROUP_ROWS}`",
                    row.len(),
                    group_rows
                )));
            }
            let Some(start) = row.first().cloned().flatten() else {
                let rows = row.get(group_rows).cloned().flatten().unwrap_or_default();
                return Err(DataError::NoTimeRows {
                    path: self.connected.shown.clone(),
                    rows: rows.parse().unwrap_or(0),
                    column: ds.time.clone(),
                });
            };
            // A day the engine does not take (PostgreSQL's `infinity`, year 10000) has no
            // period: the same refusal as reading the row would give, without its line.
            let day = NaiveDate::parse_from_str(&start, "%Y-%m-%d").ok();
            let Some(start) = day.filter(|d| scorecard_model::calendar::supported(*d)) else {
                return Err(DataError::TimeOutOfRange {
                    path: self.connected.shown.clone(),
                    column: ds.time.clone(),
                    value: start,
                });
            };
            let segment: Vec<Option<String>> = row[1..first].to_vec();
            let mut cells = vec![Cell::default(); aggregates.len()];
            for (column, text) in statement.columns.iter().zip(&row[first..group_rows]) {
                let value = match text {
                    Some(t) => Some(Decimal::from_str(t).map_err(|_| overflow(&column.name))?),
                    None => None,
                };
                column
                    .part
                    .fill(&mut cells[table.slots[&column.aggregate]], value);
            }
            table.rows.insert((periods.of_date(start), segment), cells);
        }
        Ok(table)
    }

    /// The first and last day of the rows the server holds for the dataset.
    pub fn days(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.days
    }

    /// The fingerprint of every aggregated row received, taken as a multiset.
    pub async fn finish(self) -> String {
        let sha256 = fingerprint(&self.sum, self.received);
        self.connected.close().await;
        sha256
    }
}

/// Whether the server stores a column in a type its declared type reads from without loss or
/// looser parsing.
fn natural(declared: ColumnType, found: &Type) -> bool {
    let numeric = matches!(*found, Type::NUMERIC | Type::INT2 | Type::INT4 | Type::INT8);
    match declared {
        ColumnType::Text => matches!(
            *found,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME
        ),
        ColumnType::Integer
        | ColumnType::Money
        | ColumnType::Decimal { .. }
        | ColumnType::Percent => numeric,
        ColumnType::Date => *found == Type::DATE,
        ColumnType::Timestamp => matches!(*found, Type::TIMESTAMP | Type::TIMESTAMPTZ),
        ColumnType::Bool => *found == Type::BOOL,
    }
}
