//! Owns reading a PostgreSQL table or query under the declared schema. Only the declared columns
//! are selected, and `--as-of` is pushed down as a filter on the time column, so the server sends
//! no more than the run reads. Rows come back as text (PostgreSQL's own exact rendering of
//! `numeric`), and a money column stored as a binary float is refused, as it is from Parquet.

use crate::error::DataError;
use crate::sources::csv::Loaded;
use crate::sources::records::{positions, Sinks, Typer};
use chrono::NaiveDate;
use futures::TryStreamExt;
use scorecard_model::{ColumnType, Dataset};
use scorecard_project::source::{PostgresRows, PostgresSource};
use sha2::{Digest, Sha256};
use tokio_postgres::types::Type;
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// A session with the server, the source's declared columns found and their types checked.
pub(crate) struct Connected {
    pub client: tokio_postgres::Client,
    connection: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
    /// The rows as a FROM item: a quoted table name, or the query in parentheses.
    pub from: String,
    /// "the table" or "the query", for messages.
    pub what: &'static str,
    pub shown: String,
    /// Each declared column's type on the server, in declaration order.
    pub types: Vec<Type>,
    /// Each declared column as selected from `s`: an instant converted to its UTC time.
    pub select: Vec<String>,
}

impl Connected {
    /// An error naming the source, what was being done, and the server's reason.
    pub fn failed(&self, ds: &Dataset, what: &str, e: tokio_postgres::Error) -> DataError {
        DataError::unreadable(&ds.name, &self.shown, format!("{what}: {}", reason(&e)))
    }

    pub async fn close(self) {
        drop(self.client);
        let _ = self.connection.await;
    }
}

/// Connects in UTC, finds the declared columns in the source (preparing runs nothing), and
/// refuses a money column the server stores as a binary float.
pub(crate) async fn connect(ds: &Dataset, source: &PostgresSource) -> Result<Connected, DataError> {
    let shown = source.shown();
    let failed = |what: &str, e: tokio_postgres::Error| {
        DataError::unreadable(&ds.name, &shown, format!("{what}: {}", reason(&e)))
    };
    let (client, connection) = tokio_postgres::connect(&source.url, NoTls)
        .await
        .map_err(|e| failed("cannot connect", e))?;
    let connection = tokio::spawn(connection);
    client
        .batch_execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'")
        .await
        .map_err(|e| failed("cannot set up the session", e))?;
    let (from, what) = match &source.rows {
        PostgresRows::Table(t) => (table_name(t), "the table"),
        PostgresRows::Query(q) => (format!("({})", q.trim().trim_end_matches(';')), "the query"),
    };
    let probe = client
        .prepare(&format!("SELECT * FROM {from} AS s"))
        .await
        .map_err(|e| failed(&format!("cannot read {what}"), e))?;
    let names: Vec<String> = probe
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let at = positions(ds, &shown, &names, what)?;
    let mut select = Vec::with_capacity(ds.columns.len());
    let mut types = Vec::with_capacity(ds.columns.len());
    for (c, &p) in ds.columns.iter().zip(&at) {
        let found = probe.columns()[p].type_();
        let exact = !matches!(*found, Type::FLOAT4 | Type::FLOAT8);
        let decimal = matches!(
            c.ty,
            ColumnType::Money | ColumnType::Decimal { .. } | ColumnType::Percent
        );
        if decimal && !exact {
            return Err(DataError::ColumnType {
                path: shown.clone(),
                column: c.name.clone(),
                found: found.name().to_string(),
                declared: c.ty.name(),
                hint: Some(format!(
                    "a binary float cannot hold cents exactly: store `{}` as numeric, or cast it in a query binding (`{}::numeric(18, 2)`)",
                    c.name,
                    quote(&c.name)
                )),
            });
        }
        let column = format!("s.{}", quote(&c.name));
        select.push(match *found {
            // An instant is read as the UTC time it is, marked as such (`Z`), so that no zone
            // for timestamps without an offset applies to it.
            Type::TIMESTAMPTZ => {
                format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
            }
            _ => column,
        });
        types.push(found.clone());
    }
    Ok(Connected {
        client,
        connection,
        from,
        what,
        shown,
        types,
        select,
    })
}

/// The rows, and the fingerprint of what was read: the sha256 of the rows taken as a multiset
/// (each row's own digest, summed), so that it does not depend on the order the server sends.
pub async fn read(
    ds: &Dataset,
    source: &PostgresSource,
    money_scale: u32,
    numbered: bool,
    (as_of, sinks): (Option<NaiveDate>, &Sinks<'_>),
) -> Result<(Loaded, String), DataError> {
    let connected = connect(ds, source).await?;
    let (from, what, select) = (&connected.from, connected.what, &connected.select);
    let shown = connected.shown.clone();
    let mut sql = format!("SELECT {} FROM {from} AS s", select.join(", "));
    if let Some(condition) = through(ds, as_of) {
        sql.push_str(&format!(" WHERE {condition}"));
    }
    // Row numbers are only kept where they are read (attribution ties, `explain`): there the
    // rows come in one fixed order, so that the numbers are the same on every run.
    if numbered {
        let all: Vec<String> = (1..=select.len()).map(|i| i.to_string()).collect();
        sql.push_str(&format!(" ORDER BY {}", all.join(", ")));
    }
    let stream = connected
        .client
        .simple_query_raw(&sql)
        .await
        .map_err(|e| connected.failed(ds, &format!("cannot read {what}"), e))?;
    futures::pin_mut!(stream);
    let mut typer = Typer::whole(ds, &shown, (money_scale, numbered), sinks);
    let mut sum = [0u8; 32];
    let mut line = 0u64;
    while let Some(message) = stream
        .try_next()
        .await
        .map_err(|e| connected.failed(ds, &format!("cannot read {what}"), e))?
    {
        let SimpleQueryMessage::Row(row) = message else {
            continue;
        };
        line += 1;
        add(&mut sum, &row_digest((0..select.len()).map(|i| row.get(i))));
        typer.row(line, |i| row.get(i).unwrap_or(""))?;
    }
    connected.close().await;
    Ok((typer.loaded()?, fingerprint(&sum, line)))
}

/// A row's own digest: each field's presence, length and text.
pub(crate) fn row_digest<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> [u8; 32] {
    let mut digest = Sha256::new();
    for field in fields {
        match field {
            None => digest.update([0u8]),
            Some(text) => {
                digest.update([1u8]);
                digest.update((text.len() as u64).to_le_bytes());
                digest.update(text.as_bytes());
            }
        }
    }
    digest.finalize().into()
}

/// The fingerprint of `rows` rows whose digests add up to `sum`.
pub(crate) fn fingerprint(sum: &[u8; 32], rows: u64) -> String {
    let mut whole = Sha256::new();
    whole.update(sum);
    whole.update(rows.to_le_bytes());
    crate::sources::load::hex(&whole.finalize())
}

/// The condition on `s` that keeps the rows up to `as_of`, so that the server sends (or
/// aggregates) none after it.
/// The server's part of `--as-of`: rows on or before that day. A timestamp's day is its local date
/// in the scorecard's zone, which the engine tells again of the rows it reads; so when a zone is
/// declared, the server sends every row of a table timed by a timestamp.
pub(crate) fn through(ds: &Dataset, as_of: Option<NaiveDate>) -> Option<String> {
    let timed_by_instant = ds
        .column(&ds.time)
        .is_some_and(|c| c.ty == scorecard_model::ColumnType::Timestamp);
    if zoned(ds) && timed_by_instant {
        return None;
    }
    let next = as_of?.succ_opt()?;
    Some(format!(
        "s.{} < DATE '{}'",
        quote(&ds.time),
        next.format("%Y-%m-%d")
    ))
}

/// Whether a zone other than UTC places the dataset's timestamps (its own, or the scorecard's
/// that the engine gives it).
pub(crate) fn zoned(ds: &Dataset) -> bool {
    ds.time_zone.as_deref().is_some_and(|z| z != "UTC")
        && ds
            .columns
            .iter()
            .any(|c| c.ty == scorecard_model::ColumnType::Timestamp)
}

/// `a` plus `b`, as 256-bit big-endian numbers, wrapping.
pub(crate) fn add(a: &mut [u8; 32], b: &[u8; 32]) {
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        a[i] = s as u8;
        carry = s >> 8;
    }
}

/// A name quoted for SQL: `"order date"`.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.table` or `table`, each part quoted.
fn table_name(table: &str) -> String {
    table.split('.').map(quote).collect::<Vec<_>>().join(".")
}

/// What went wrong, in the server's words where it said any.
fn reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_string();
            if let Some(hint) = db.hint() {
                text.push_str(&format!(" ({hint})"));
            }
            text
        }
        None => {
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                text.push_str(&format!(": {c}"));
                cause = c.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_part_by_part() {
        assert_eq!(table_name("sales.orders"), "\"sales\".\"orders\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn the_multiset_sum_carries() {
        let mut a = [0u8; 32];
        a[31] = 0xff;
        let mut one = [0u8; 32];
        one[31] = 1;
        add(&mut a, &one);
        assert_eq!((a[30], a[31]), (1, 0));
    }
}
