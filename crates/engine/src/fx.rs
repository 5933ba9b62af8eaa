//! Owns converting money in other currencies to the reporting currency: the rates read from each
//! `exchange_rates` dataset, a period's average rate (the mean of the rates dated in it) and its
//! closing rate (the last rate dated in it), and a pass's totals converted per period, segment and
//! currency, each rounded once, half-even, to the reporting currency's minor unit, before the
//! currencies are added (docs/language.md, "Currencies").

use crate::error::DataError;
use crate::passes::period::{day_of, rows_through, Time};
use crate::passes::plan::Pass;
use crate::{Cell, Table};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::prelude::{cast, ident, SessionContext};
use rust_decimal::{Decimal, RoundingStrategy};
use scorecard_model::calendar::Periods;
use scorecard_model::{AggFunc, Conversion, CurrencyOf, Model, Quote, RateKind};
use std::collections::{BTreeMap, HashMap};

/// One `exchange_rates` declaration's rates: for each currency, its (day, rate) in day order.
#[derive(Debug, Default)]
pub struct RateTable {
    pub dataset: String,
    pub quoted: Option<Quote>,
    by_currency: HashMap<String, Vec<(i64, Decimal, Option<u64>)>>,
}

/// The rate a conversion used: how it was found, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    /// The rate, to 28 digits (for showing): a mean is converted with as `sum / count`, exactly.
    pub value: Decimal,
    /// The rates it was made from, added up.
    pub sum: Decimal,
    /// The days of the rates it was made from (one for a closing rate).
    pub days: (i64, i64),
    pub count: usize,
    /// The lines of the rows it was made from, where the rates' table is numbered.
    pub lines: Vec<u64>,
}

/// Every rate table the model's conversions read, by declaration name.
pub type Rates = BTreeMap<String, RateTable>;

/// Reads the rates of every `exchange_rates` a conversion names, up to `--as-of`.
pub async fn load(
    ctx: &SessionContext,
    model: &Model,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Rates, DataError> {
    let mut out = Rates::new();
    let used: std::collections::BTreeSet<&str> = model
        .aggregates
        .iter()
        .filter_map(|a| a.convert.as_ref().map(|c| c.rates.as_str()))
        .collect();
    for r in model
        .rates
        .iter()
        .filter(|r| used.contains(r.name.as_str()))
    {
        let ds = model
            .dataset(&r.dataset)
            .ok_or_else(|| DataError::Engine(format!("no dataset `{}`", r.dataset)))?;
        let time = Time::of(model, ds);
        let rows = rows_through(ctx, &ds.name, time, as_of).await?;
        let numbered = rows
            .schema()
            .has_column_with_unqualified_name(crate::sources::csv::LINE);
        let mut columns = vec![
            day_of(time).alias("day"),
            cast(ident(&r.currency), DataType::Utf8).alias("currency"),
            cast(ident(&r.rate), DataType::Utf8).alias("rate"),
        ];
        if numbered {
            columns.push(cast(ident(crate::sources::csv::LINE), DataType::Int64).alias("line"));
        }
        let batches = rows.select(columns)?.collect().await?;
        let mut table = RateTable {
            dataset: ds.name.clone(),
            quoted: Some(r.quoted),
            by_currency: HashMap::new(),
        };
        let bad = |message: String| DataError::Rates {
            rates: r.name.clone(),
            dataset: ds.name.clone(),
            message,
        };
        for b in &batches {
            let (days, codes, rates) = (
                b.column(0).as_primitive::<Date32Type>(),
                b.column(1).as_string::<i32>(),
                b.column(2).as_string::<i32>(),
            );
            let lines = b
                .columns()
                .get(3)
                .map(|c| c.as_primitive::<datafusion::arrow::datatypes::Int64Type>());
            for i in 0..b.num_rows() {
                let line = lines.map(|l| l.value(i).max(0) as u64);
                let at = line.map_or(String::new(), |l| format!("{} line {l}: ", ds.source));
                // A rate row missing a part would leave a period's rate to other rows unseen.
                if days.is_null(i) || codes.is_null(i) || rates.is_null(i) {
                    return Err(bad(format!(
                        "{at}a rate row has no {}; give each row its day, currency and rate",
                        if days.is_null(i) {
                            "day"
                        } else if codes.is_null(i) {
                            "currency"
                        } else {
                            "rate"
                        }
                    )));
                }
                let rate: Decimal = rates.value(i).parse().map_err(|_| {
                    bad(format!(
                        "{at}the rate `{}` is not a decimal",
                        rates.value(i)
                    ))
                })?;
                let day = i64::from(days.value(i));
                let code = codes.value(i).to_string();
                if !scorecard_model::is_currency_code(&code) {
                    return Err(bad(format!(
                        "{at}`{code}` is not an ISO 4217 code: write three capital letters, such as EUR"
                    )));
                }
                if rate <= Decimal::ZERO {
                    return Err(bad(format!(
                        "{at}the rate of {code} on {} is {rate}: a rate is above zero",
                        scorecard_model::calendar::date(day)
                    )));
                }
                table
                    .by_currency
                    .entry(code)
                    .or_default()
                    .push((day, rate, line));
            }
        }
        for (code, list) in &mut table.by_currency {
            list.sort_by_key(|(d, _, line)| (*d, *line));
            if let Some(w) = list.windows(2).find(|w| w[0].0 == w[1].0) {
                let lines = match (w[0].2, w[1].2) {
                    (Some(a), Some(b)) => format!(" ({} lines {a} and {b})", ds.source),
                    _ => String::new(),
                };
                return Err(bad(format!(
                    "{code} has two rates on {}{lines}: {} and {}; keep one",
                    scorecard_model::calendar::date(w[0].0),
                    w[0].1,
                    w[1].1
                )));
            }
        }
        out.insert(r.name.clone(), table);
    }
    Ok(out)
}

impl RateTable {
    /// The rate of `code` for the days `first..=last`: the mean of the rates dated in them
    /// (average), or the last of them (closing); `None` when none is dated there.
    pub fn rate(&self, code: &str, kind: RateKind, (first, last): (i64, i64)) -> Option<Rate> {
        let list = self.by_currency.get(code)?;
        let from = list.partition_point(|(d, ..)| *d < first);
        let to = list.partition_point(|(d, ..)| *d <= last);
        let inside = &list[from..to];
        let (first_day, last_day) = (inside.first()?.0, inside.last()?.0);
        match kind {
            RateKind::Closing => {
                let (_, value, line) = *inside.last()?;
                Some(Rate {
                    value,
                    sum: value,
                    days: (last_day, last_day),
                    count: 1,
                    lines: line.into_iter().collect(),
                })
            }
            RateKind::Average => {
                let sum = inside
                    .iter()
                    .try_fold(Decimal::ZERO, |s, (_, r, _)| s.checked_add(*r))?;
                Some(Rate {
                    value: sum.checked_div(Decimal::from(inside.len()))?,
                    sum,
                    days: (first_day, last_day),
                    count: inside.len(),
                    lines: inside.iter().filter_map(|(.., line)| *line).collect(),
                })
            }
        }
    }
}

/// Refuses an amount whose row names no currency code (`eur`, ` EUR `, nothing), or that has more
/// decimal places than its currency has (`JPY 1500.5`): such a column is read to the widest minor
/// unit, and each row is held to its own currency's here, naming the file, line, column and value.
pub async fn check_currencies(
    ctx: &SessionContext,
    ds: &scorecard_model::Dataset,
    path: &str,
) -> Result<(), DataError> {
    use datafusion::arrow::datatypes::{Decimal128Type, Int64Type};
    for c in &ds.columns {
        let Some(named) = c.currency_column() else {
            continue;
        };
        let df = ctx
            .table(datafusion::common::TableReference::bare(ds.name.as_str()))
            .await?;
        if !df
            .schema()
            .has_column_with_unqualified_name(crate::sources::csv::LINE)
        {
            continue;
        }
        let batches = df
            .select(vec![
                cast(ident(crate::sources::csv::LINE), DataType::Int64),
                ident(&c.name),
                cast(ident(named), DataType::Utf8),
            ])?
            .collect()
            .await?;
        let widest = scorecard_model::WIDEST_MINOR_UNIT;
        for b in &batches {
            let (lines, amounts, codes) = (
                b.column(0).as_primitive::<Int64Type>(),
                b.column(1).as_primitive::<Decimal128Type>(),
                b.column(2).as_string::<i32>(),
            );
            for i in 0..b.num_rows() {
                if amounts.is_null(i) {
                    continue;
                }
                let line = lines.value(i).max(0) as u64;
                let code = if codes.is_null(i) { "" } else { codes.value(i) };
                if !scorecard_model::is_currency_code(code) {
                    return Err(DataError::BadValue(Box::new(crate::error::BadValue {
                        path: path.to_string(),
                        line,
                        column: named.to_string(),
                        value: code.to_string(),
                        expected: format!(
                            "the ISO 4217 code of `{}`'s currency, such as EUR",
                            c.name
                        ),
                        hint: Some(
                            "an amount's currency is three capital letters, written without spaces"
                                .into(),
                        ),
                    })));
                }
                let places = scorecard_model::minor_units(code);
                let unit = 10i128.pow(widest.saturating_sub(places));
                if amounts.value(i) % unit != 0 {
                    let value = Decimal::from_i128_with_scale(amounts.value(i), widest).normalize();
                    return Err(DataError::BadValue(Box::new(crate::error::BadValue {
                        path: path.to_string(),
                        line,
                        column: c.name.clone(),
                        value: value.to_string(),
                        expected: format!("an amount in {code} with at most {places} decimal places"),
                        hint: Some(format!("{code}'s minor unit has {places} places (ISO 4217); check the amount, or its row's `{named}`")),
                    })));
                }
            }
        }
    }
    Ok(())
}

/// `amount` in its currency as reporting money at `rate`, rounded once, half-even, to `scale`. A
/// mean rate is applied as its sum over its count, so that the mean is not rounded first.
pub fn convert(amount: Decimal, rate: &Rate, quoted: Quote, scale: u32) -> Option<Decimal> {
    let count = Decimal::from(rate.count);
    let exact = match quoted {
        Quote::PerUnit => amount.checked_mul(rate.sum)?.checked_div(count)?,
        Quote::PerReporting => amount.checked_mul(count)?.checked_div(rate.sum)?,
    };
    let mut rounded = exact.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven);
    rounded.rescale(scale);
    Some(rounded)
}

/// What converting one aggregate needs to know of the run.
pub struct Around<'a> {
    pub model: &'a Model,
    pub rates: &'a Rates,
    pub periods: Periods,
}

impl Around<'_> {
    /// The rate a conversion takes for `code` in `period`, or the error naming both.
    pub fn rate_for(
        &self,
        c: &Conversion,
        code: &str,
        period: i64,
    ) -> Result<Option<(Rate, Quote)>, DataError> {
        if code == self.model.header.currency {
            return Ok(None);
        }
        let table = self
            .rates
            .get(&c.rates)
            .ok_or_else(|| DataError::Engine(format!("the rates `{}` were not read", c.rates)))?;
        let (days, shown) = match &c.at {
            Some(at) => ((at.first_day, at.last_day), at.name.clone()),
            None => {
                let (first, last) = self.periods.bounds(period);
                (
                    (
                        scorecard_model::calendar::days(first),
                        scorecard_model::calendar::days(last),
                    ),
                    self.periods.label(period),
                )
            }
        };
        match table.rate(code, c.kind, days) {
            Some(rate) => Ok(Some((rate, table.quoted.unwrap_or(Quote::PerUnit)))),
            None => Err(DataError::MissingRate {
                rates: c.rates.clone(),
                dataset: table.dataset.clone(),
                all: format!("{code} in {shown}"),
                first: format!("{code} in {shown}"),
                kind: c.kind.name(),
            }),
        }
    }
}

/// A pass's table with its money in other currencies converted: in a pass grouped by a currency
/// column, each row's totals converted at its currency's rate and the currencies then added
/// (extremes compared); in any other, each fixed-currency aggregate converted in place.
pub(crate) fn convert_table(
    around: &Around,
    pass: &Pass,
    aggregates: &[usize],
    table: Table,
) -> Result<Table, DataError> {
    let model = around.model;
    let converted: Vec<(usize, &Conversion, AggFunc)> = aggregates
        .iter()
        .filter_map(|&i| {
            let a = &model.aggregates[i];
            let slot = *table.slots.get(&i)?;
            a.convert.as_ref().map(|c| (slot, c, a.func))
        })
        .collect();
    if converted.is_empty() {
        return Ok(table);
    }
    let scale = model.header.money_scale;
    let per_row = pass.currency.is_some();
    let mut out = Table {
        slots: table.slots.clone(),
        rows: HashMap::with_capacity(table.rows.len()),
    };
    // In order, so that the same data always gives the same error; every missing rate is named.
    let mut rows: Vec<_> = table.rows.into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    // (period, currency, the rates' period as named: the row's, or a constant currency's).
    let mut missing: std::collections::BTreeSet<(i64, String, String)> = Default::default();
    let mut first_missing = None;
    for ((period, mut segment), cells) in rows {
        let row_code = match per_row {
            true => segment.pop().flatten(),
            false => None,
        };
        let mut cells = cells;
        for &(slot, c, func) in &converted {
            let cell = &mut cells[slot];
            let Some(amount) = cell.value else { continue };
            if matches!(func, AggFunc::Count | AggFunc::CountDistinct) {
                continue;
            }
            let code = match (&c.of, &row_code) {
                (CurrencyOf::Code(code), _) => code.clone(),
                (CurrencyOf::Column(_), Some(code)) => code.trim().to_string(),
                // The readers refuse such a row, naming it (`check_currencies`).
                (CurrencyOf::Column(column), None) => {
                    return Err(DataError::Engine(format!(
                        "`{}` has an amount with no currency in `{column}` in {}",
                        pass.dataset,
                        around.periods.label(period)
                    )))
                }
            };
            let rate = match around.rate_for(c, &code, period) {
                Err(DataError::MissingRate {
                    rates,
                    dataset,
                    first,
                    kind,
                    ..
                }) => {
                    missing.insert((period, code, first.clone()));
                    first_missing.get_or_insert((rates, dataset, kind));
                    continue;
                }
                other => other?,
            };
            cell.value = Some(match rate {
                Some((rate, quoted)) => convert(amount, &rate, quoted, scale).ok_or_else(|| {
                    DataError::Engine(format!(
                        "converting {amount} {code} at {} is beyond the range of exact decimals",
                        rate.value
                    ))
                })?,
                // The reporting currency's own amounts, held to its minor unit already.
                None => amount.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven),
            });
        }
        match out.rows.entry((period, segment)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(cells);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let funcs: HashMap<usize, AggFunc> =
                    converted.iter().map(|(s, _, f)| (*s, *f)).collect();
                for (slot, (into, from)) in o.get_mut().iter_mut().zip(cells).enumerate() {
                    *into = combine(
                        *into,
                        from,
                        funcs.get(&slot).copied().unwrap_or(AggFunc::Sum),
                    )?;
                }
            }
        }
    }
    if let Some((rates, dataset, kind)) = first_missing {
        let mut listed: Vec<String> = Vec::new();
        for (.., shown) in missing {
            if !listed.contains(&shown) {
                listed.push(shown);
            }
        }
        return Err(DataError::MissingRate {
            rates,
            dataset,
            first: listed.first().cloned().unwrap_or_default(),
            kind,
            all: listed.join(", "),
        });
    }
    Ok(out)
}

/// Two currencies' cells of one aggregate as one: totals and counts add, extremes compare.
fn combine(a: Cell, b: Cell, func: AggFunc) -> Result<Cell, DataError> {
    let overflow = || {
        DataError::Engine(
            "a total of converted amounts is beyond the range of exact decimals".into(),
        )
    };
    let value = match (a.value, b.value) {
        (Some(x), Some(y)) => Some(match func {
            AggFunc::Min => x.min(y),
            AggFunc::Max => x.max(y),
            _ => x.checked_add(y).ok_or_else(overflow)?,
        }),
        (x, y) => x.or(y),
    };
    Ok(Cell {
        value,
        count: a.count.checked_add(b.count).ok_or_else(overflow)?,
    })
}
