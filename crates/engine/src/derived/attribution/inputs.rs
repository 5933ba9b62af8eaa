//! Owns reading an attribution's eligible touches and its conversions out of the engine into flat
//! columns, with the match keys of both sides replaced by one small group number per distinct key.

use crate::error::DataError;
use crate::passes::query::{row_expr, Columns};
use crate::sources::csv::LINE;
use crate::sources::parquet::in_file_order;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Int64Type, TimeUnit};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{HashMap, TableReference};
use datafusion::logical_expr::type_coercion::binary::comparison_coercion;
use datafusion::logical_expr::Expr;
use datafusion::prelude::{cast, ident, DataFrame, SessionContext};
use futures::StreamExt;
use scorecard_model::zone::Zone;
use scorecard_model::{Attribution, ColumnType, Dataset, RowExpr};

/// The time of a touch that has none: before every other, and in no conversion's window.
pub const NO_TIME: i64 = i64::MIN;
/// The `credit_to` of a touch that has no value there.
pub const NO_NAME: u32 = u32::MAX;

/// The eligible touches (after `require` and `exclude`), in the order the engine produced them.
#[derive(Debug, Default)]
pub struct Touches {
    /// The touch's match-key group.
    pub group: Vec<u32>,
    /// Seconds since 1970-01-01, or `NO_TIME`.
    pub time: Vec<i64>,
    /// The touch's line in its file (its row, for Parquet).
    pub line: Vec<i64>,
    /// What credit goes to, as an index into `names`, or `NO_NAME`.
    pub to: Vec<u32>,
    pub names: Vec<String>,
    /// Per flag the model asked for, whether it holds for each touch.
    pub flags: Vec<Vec<bool>>,
    /// How many key groups there are (touches' groups are below this).
    pub groups: usize,
}

/// Every conversion, in the order the engine produced them.
#[derive(Debug)]
pub struct Conversions {
    /// The key group, none when a key has no value or no eligible touch has the same keys.
    pub group: Vec<Option<u32>>,
    /// Seconds since 1970-01-01 (a date at its midnight).
    pub time: Vec<Option<i64>>,
    pub line: Vec<i64>,
    /// The value in minor units.
    pub value: Vec<Option<i128>>,
    /// The time column as written, for the credit table.
    pub at: ArrayRef,
}

/// Reads the touches (with `flags` evaluated on each) and the conversions of `rule`.
pub async fn load(
    ctx: &SessionContext,
    rule: &Attribution,
    (touches_ds, conversions_ds): (&Dataset, &Dataset),
    zone: Zone,
    flags: &[&RowExpr],
    money_scale: u32,
) -> Result<(Touches, Conversions), DataError> {
    // Lines are read, so Parquet scans must not be split.
    let mut t = in_file_order(
        ctx.table(TableReference::bare(rule.touches.as_str()))
            .await?,
    );
    if let Some(r) = &rule.require {
        t = t.filter(
            row_expr(
                r,
                Columns {
                    ds: touches_ds,
                    zone,
                },
            )
            .is_true(),
        )?;
    }
    if let Some(x) = &rule.exclude {
        t = t.filter(
            row_expr(
                x,
                Columns {
                    ds: touches_ds,
                    zone,
                },
            )
            .is_not_true(),
        )?;
    }
    let c = in_file_order(
        ctx.table(TableReference::bare(rule.conversions.as_str()))
            .await?,
    );
    // Both sides' keys in one type each, so that equal keys have equal rows.
    let mut touch_keys = Vec::new();
    let mut conversion_keys = Vec::new();
    let mut fields = Vec::new();
    for (tc, cc) in &rule.matches {
        let (tt, ct) = (type_of(&t, tc)?, type_of(&c, cc)?);
        let common = if tt == ct {
            tt
        } else {
            comparison_coercion(&tt, &ct).ok_or_else(|| {
                DataError::Engine(format!(
                    "`{}.{tc}` ({tt}) cannot be compared with `{}.{cc}` ({ct})",
                    rule.touches, rule.conversions
                ))
            })?
        };
        touch_keys.push(cast(ident(tc), common.clone()).alias(format!("__k{}", fields.len())));
        conversion_keys.push(cast(ident(cc), common.clone()).alias(format!("__k{}", fields.len())));
        fields.push(SortField::new(common));
    }
    let keys = RowConverter::new(fields)?;
    let k = rule.matches.len();

    let mut columns = touch_keys;
    columns.extend([
        seconds(touches_ds, &touches_ds.time, zone).alias("__time"),
        cast(ident(LINE), DataType::Int64).alias("__line"),
        cast(ident(&rule.credit_to), DataType::Utf8).alias("__to"),
    ]);
    columns.extend(flags.iter().enumerate().map(|(i, f)| {
        row_expr(
            f,
            Columns {
                ds: touches_ds,
                zone,
            },
        )
        .is_true()
        .alias(format!("__flag{i}"))
    }));
    let mut stream = t.select(columns)?.execute_stream().await?;
    let mut touches = Touches {
        flags: vec![Vec::new(); flags.len()],
        ..Touches::default()
    };
    let mut groups: HashMap<Vec<u8>, u32> = HashMap::default();
    let mut names: HashMap<String, u32> = HashMap::default();
    while let Some(batch) = stream.next().await {
        let b = batch?;
        let rows = keys.convert_columns(&b.columns()[..k])?;
        touches.group.extend((0..b.num_rows()).map(|i| {
            let next = groups.len() as u32;
            *groups.entry_ref(rows.row(i).as_ref()).or_insert(next)
        }));
        let time = b.column(k).as_primitive::<Int64Type>();
        touches
            .time
            .extend(time.iter().map(|s| s.unwrap_or(NO_TIME)));
        let line = b.column(k + 1).as_primitive::<Int64Type>();
        touches.line.extend(line.iter().map(|l| l.unwrap_or(0)));
        let to = b.column(k + 2).as_string::<i32>();
        touches.to.extend(to.iter().map(|name| match name {
            None => NO_NAME,
            Some(name) => {
                let next = names.len() as u32;
                *names.entry_ref(name).or_insert(next)
            }
        }));
        for (f, out) in touches.flags.iter_mut().enumerate() {
            let holds = b.column(k + 3 + f).as_boolean();
            out.extend((0..b.num_rows()).map(|i| holds.is_valid(i) && holds.value(i)));
        }
    }
    touches.groups = groups.len();
    touches.names = vec![String::new(); names.len()];
    for (name, i) in names {
        touches.names[i as usize] = name;
    }

    let mut columns = conversion_keys;
    columns.extend([
        seconds(conversions_ds, &conversions_ds.time, zone).alias("__time"),
        cast(ident(LINE), DataType::Int64).alias("__line"),
        cast(
            ident(&rule.value),
            DataType::Decimal128(38, money_scale as i8),
        )
        .alias("__value"),
        ident(&conversions_ds.time).alias("__at"),
    ]);
    let at_type = type_of(&c, &conversions_ds.time)?;
    let batches = c.select(columns)?.collect().await?;
    let column = |i: usize| -> Result<ArrayRef, DataError> {
        let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(i).as_ref()).collect();
        match parts.is_empty() {
            true => Err(DataError::Engine("no conversion batches".into())),
            false => Ok(concat(&parts)?),
        }
    };
    let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let conversions = if batches.is_empty() {
        let at = datafusion::arrow::array::new_empty_array(&at_type);
        Conversions {
            group: Vec::new(),
            time: Vec::new(),
            line: Vec::new(),
            value: Vec::new(),
            at,
        }
    } else {
        let key_columns: Vec<ArrayRef> = (0..k).map(column).collect::<Result<_, _>>()?;
        let rows = keys.convert_columns(&key_columns)?;
        Conversions {
            group: (0..n)
                .map(|i| group_of(&groups, &rows, &key_columns, i))
                .collect(),
            time: column(k)?.as_primitive::<Int64Type>().iter().collect(),
            line: column(k + 1)?
                .as_primitive::<Int64Type>()
                .iter()
                .map(|l| l.unwrap_or(0))
                .collect(),
            value: column(k + 2)?
                .as_primitive::<Decimal128Type>()
                .iter()
                .collect(),
            at: column(k + 3)?,
        }
    };
    Ok((touches, conversions))
}

/// The group of conversion `i`: none when a key has no value (no touch matches it) or no touch
/// has the same keys.
fn group_of(
    groups: &HashMap<Vec<u8>, u32>,
    rows: &Rows,
    keys: &[ArrayRef],
    i: usize,
) -> Option<u32> {
    if keys.iter().any(|k| k.is_null(i)) {
        return None;
    }
    groups.get(rows.row(i).as_ref()).copied()
}

fn type_of(df: &DataFrame, column: &str) -> Result<DataType, DataError> {
    Ok(df
        .schema()
        .field_with_unqualified_name(column)?
        .data_type()
        .clone())
}

/// A date or timestamp column as seconds since 1970-01-01 UTC: a timestamp's instant, a date's
/// midnight in the scorecard's zone (its day starts then).
fn seconds(ds: &Dataset, column: &str, zone: Zone) -> Expr {
    let date = ds.column(column).is_some_and(|c| c.ty == ColumnType::Date);
    let instant = match date && !zone.is_utc() {
        true => crate::sources::zone::instant(
            cast(
                ident(column),
                DataType::Timestamp(TimeUnit::Microsecond, None),
            ),
            zone,
        ),
        false => ident(column),
    };
    cast(
        cast(instant, DataType::Timestamp(TimeUnit::Second, None)),
        DataType::Int64,
    )
}
