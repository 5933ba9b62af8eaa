//! Owns finding the rows behind one aggregate in a frame of periods and one segment, for `explain`:
//! how many rows the period, segment and `where` filter matched, and the rows themselves in file
//! order with their line, so that a reader can add them up.

use crate::error::DataError;
use crate::passes::query::row_expr;
use crate::sources::csv::LINE;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::common::TableReference;
use datafusion::logical_expr::Expr;
use datafusion::prelude::{cast, ident, lit, SessionContext};
use scorecard_model::calendar::Periods;
use scorecard_model::{Dataset, Model};

/// One aggregate as one KPI value used it: over which periods, in which segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub aggregate: usize,
    /// First and last period of the frame.
    pub frame: (i64, i64),
    pub by: Vec<String>,
    pub segment: Vec<Option<String>>,
}

/// The rows behind one `Wanted`.
#[derive(Debug, Clone, Default)]
pub struct Contributing {
    /// Rows in the frame and segment that the aggregate's `where` filter kept.
    pub matched: u64,
    /// `line` (the row's line in a CSV file, counting the header as line 1; its row number, from 1,
    /// in a Parquet file) when the table came from a file, then the dataset's declared columns.
    pub columns: Vec<String>,
    /// Up to the limit asked for, in file order; values as text, empty for no value.
    pub rows: Vec<Vec<String>>,
    /// For money in other currencies: each period's total in each currency and the rate that
    /// converted it, in period and currency order.
    pub converted: Vec<Converted>,
}

/// One period's total in one currency, and what it became in the reporting currency.
#[derive(Debug, Clone)]
pub struct Converted {
    pub period: String,
    pub currency: String,
    /// The total in `currency`.
    pub amount: rust_decimal::Decimal,
    /// `None` for the reporting currency itself.
    pub rate: Option<crate::fx::Rate>,
    pub quoted: Option<scorecard_model::Quote>,
    /// In the reporting currency, rounded.
    pub value: rust_decimal::Decimal,
}

pub async fn contributing(
    ctx: &SessionContext,
    model: &Model,
    wanted: &[Wanted],
    limit: Option<usize>,
    (periods, as_of): (Periods, Option<chrono::NaiveDate>),
) -> Result<Vec<Contributing>, DataError> {
    let mut out = Vec::new();
    let converts = wanted
        .iter()
        .any(|w| model.aggregates[w.aggregate].convert.is_some());
    let rates = match converts {
        true => crate::fx::load(ctx, model, as_of).await?,
        false => Default::default(),
    };
    let around = crate::fx::Around {
        model,
        rates: &rates,
        periods,
    };
    for w in wanted {
        let (ds, predicate) = kept(model, w, periods, as_of)?;
        let converted = converted(ctx, (model, ds, w), predicate.clone(), &around).await?;
        let df = ctx.table(TableReference::bare(ds.name.as_str())).await?;
        let numbered = df.schema().has_column_with_unqualified_name(LINE);
        let mut columns: Vec<Expr> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        if numbered {
            columns.push(cast(ident(LINE), DataType::Int64).alias("line"));
            names.push("line".into());
        }
        for c in &ds.columns {
            columns.push(shown(c));
            names.push(c.name.clone());
        }
        let order = names.iter().map(|n| ident(n).sort(true, false)).collect();
        // Read in file order so that a Parquet file's row numbers are its rows' places.
        let rows = crate::sources::parquet::in_file_order(
            df.filter(predicate)?.select(columns)?.sort(order)?,
        );
        let matched = rows.clone().count().await? as u64;
        let batches = rows.limit(0, limit)?.collect().await?;
        let mut shown = Vec::new();
        for b in &batches {
            for i in 0..b.num_rows() {
                let row = b
                    .columns()
                    .iter()
                    .map(|c| array_value_to_string(c.as_ref(), i))
                    .collect::<Result<Vec<String>, _>>()?;
                shown.push(row);
            }
        }
        out.push(Contributing {
            matched,
            columns: names,
            rows: shown,
            converted,
        });
    }
    Ok(out)
}

/// The totals in each currency and period of an aggregate of money in other currencies, with
/// the rate each took (`fx.rs` converts them the same way for the run).
async fn converted(
    ctx: &SessionContext,
    (model, ds, w): (&Model, &Dataset, &Wanted),
    predicate: Expr,
    around: &crate::fx::Around<'_>,
) -> Result<Vec<Converted>, DataError> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::functions_aggregate::expr_fn::{max, min, sum};
    use scorecard_model::{AggFunc, CurrencyOf};
    let a = &model.aggregates[w.aggregate];
    let (Some(c), Some(column)) = (&a.convert, &a.column) else {
        return Ok(Vec::new());
    };
    let total = match a.func {
        AggFunc::Sum | AggFunc::Avg => sum(ident(column)),
        AggFunc::Min => min(ident(column)),
        AggFunc::Max => max(ident(column)),
        _ => return Ok(Vec::new()),
    };
    let currency = match &c.of {
        CurrencyOf::Code(code) => lit(code.as_str()),
        CurrencyOf::Column(name) => cast(ident(name), DataType::Utf8),
    };
    let time = crate::passes::period::Time::of(model, ds);
    let period = crate::passes::period::period_of(time, around.periods);
    let batches = ctx
        .table(TableReference::bare(ds.name.as_str()))
        .await?
        .filter(predicate)?
        .aggregate(
            vec![period.alias("p"), currency.alias("c")],
            vec![cast(total, DataType::Utf8).alias("t")],
        )?
        .collect()
        .await?;
    let mut found = Vec::new();
    for b in &batches {
        let (p, codes, totals) = (
            b.column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            if p.is_null(i) || codes.is_null(i) || totals.is_null(i) {
                continue;
            }
            let amount: rust_decimal::Decimal = totals.value(i).parse().map_err(|_| {
                DataError::Engine(format!("a total `{}` is not a decimal", totals.value(i)))
            })?;
            found.push((p.value(i), codes.value(i).trim().to_string(), amount));
        }
    }
    found.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
    let scale = model.header.money_scale;
    let mut out = Vec::new();
    for (p, code, amount) in found {
        let (rate, quoted, value) = match around.rate_for(c, &code, p)? {
            Some((rate, quoted)) => {
                let value = crate::fx::convert(amount, &rate, quoted, scale).ok_or_else(|| {
                    DataError::Engine(
                        "a converted amount is beyond the range of exact decimals".into(),
                    )
                })?;
                (Some(rate), Some(quoted), value)
            }
            None => (
                None,
                None,
                amount.round_dp_with_strategy(
                    scale,
                    rust_decimal::RoundingStrategy::MidpointNearestEven,
                ),
            ),
        };
        out.push(Converted {
            period: around.periods.label(p),
            currency: code,
            amount,
            rate,
            quoted,
            value,
        });
    }
    Ok(out)
}

/// For each dataset the aggregates in `wanted` read, the rows that at least one of them kept.
pub async fn matched_by_dataset(
    ctx: &SessionContext,
    model: &Model,
    wanted: &[Wanted],
    (periods, as_of): (Periods, Option<chrono::NaiveDate>),
) -> Result<Vec<(String, u64)>, DataError> {
    let mut by_dataset: Vec<(String, Vec<Expr>)> = Vec::new();
    for w in wanted {
        let (ds, predicate) = kept(model, w, periods, as_of)?;
        match by_dataset.iter_mut().find(|(d, _)| *d == ds.name) {
            Some((_, list)) => list.push(predicate),
            None => by_dataset.push((ds.name.clone(), vec![predicate])),
        }
    }
    let mut out = Vec::new();
    for (name, predicates) in by_dataset {
        let any = predicates
            .into_iter()
            .reduce(Expr::or)
            .unwrap_or_else(|| lit(false));
        let df = ctx.table(TableReference::bare(name.as_str())).await?;
        let n = df.filter(any)?.count().await? as u64;
        out.push((name, n));
    }
    Ok(out)
}

/// The dataset an aggregate reads and the rows it keeps for one use: in the frame's periods, in the
/// segment, up to `--as-of`, and through its `where` filter.
fn kept<'m>(
    model: &'m Model,
    w: &Wanted,
    periods: Periods,
    as_of: Option<chrono::NaiveDate>,
) -> Result<(&'m Dataset, Expr), DataError> {
    let a = &model.aggregates[w.aggregate];
    let ds = model
        .dataset(&a.dataset)
        .ok_or_else(|| DataError::Engine(format!("no dataset `{}`", a.dataset)))?;
    let time = crate::passes::period::Time::of(model, ds);
    let mut keep = vec![in_frame(time, periods, w.frame)];
    for (column, value) in w.by.iter().zip(&w.segment) {
        let text = cast(ident(column), DataType::Utf8);
        keep.push(match value {
            Some(v) => text.eq(lit(v.as_str())),
            None => text.is_null(),
        });
    }
    if let Some(day) = as_of {
        keep.push(crate::passes::period::on_or_before(time, day));
    }
    if let Some(f) = &a.filter {
        keep.push(row_expr(f, crate::passes::query::Columns::of(model, ds)).is_true());
    }
    let predicate = keep
        .into_iter()
        .reduce(Expr::and)
        .unwrap_or_else(|| lit(true));
    Ok((ds, predicate))
}

/// Rows whose time falls in the periods `first..=last`.
fn in_frame(
    time: crate::passes::period::Time,
    periods: Periods,
    (first, last): (i64, i64),
) -> Expr {
    let period = crate::passes::period::period_of(time, periods);
    period.between(lit(first), lit(last))
}

/// Every row of a dataset read from a source, as text (a timestamp as its instant in UTC with
/// `Z`, no value as empty), in the dataset's declared column order, handed to `each` batch by
/// batch; `Ok(false)` when the dataset's rows are not held here (its aggregates ran in
/// PostgreSQL). The ledger fingerprints a keyed dataset's rows with it.
pub async fn every_row(
    ctx: &SessionContext,
    dataset: &Dataset,
    each: &mut dyn FnMut(&[String]),
) -> Result<bool, DataError> {
    let Ok(df) = ctx.table(TableReference::bare(dataset.name.as_str())).await else {
        return Ok(false);
    };
    let columns: Vec<Expr> = dataset.columns.iter().map(shown).collect();
    let mut stream = df.select(columns)?.execute_stream().await?;
    let mut row = Vec::with_capacity(dataset.columns.len());
    while let Some(batch) = futures::StreamExt::next(&mut stream).await {
        let batch = batch?;
        for i in 0..batch.num_rows() {
            row.clear();
            for c in batch.columns() {
                let text = match c.is_null(i) {
                    true => String::new(),
                    false => array_value_to_string(c.as_ref(), i)?,
                };
                row.push(text);
            }
            each(&row);
        }
    }
    Ok(true)
}

/// A column as rows show it: an instant as one, marked UTC, so that it is not read as local time.
fn shown(c: &scorecard_model::Column) -> Expr {
    match c.ty {
        scorecard_model::ColumnType::Timestamp => cast(
            ident(&c.name),
            DataType::Timestamp(
                datafusion::arrow::datatypes::TimeUnit::Microsecond,
                Some("+00:00".into()),
            ),
        )
        .alias(&c.name),
        _ => ident(&c.name),
    }
}
