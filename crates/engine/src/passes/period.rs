//! Owns placing rows in periods inside the query: a scalar function from a date to its period
//! number, so the engine buckets rows with exactly the numbering `calendar` names and reports.
//! The calendar travels as literal arguments, not as state of the function, so that a cluster's
//! executors (docs/distributed.md) run it from the plan alone, found by its name. Also owns a row's
//! day as queries read it (a timestamp's local date in the scorecard's time zone, by a second
//! function, `scorecard_local_day`), and the rows up to `--as-of`.

use datafusion::arrow::array::{AsArray, Date32Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::{cast, ident, lit};
use scorecard_model::calendar::{Periods, PARAMETERS};
use scorecard_model::zone::Zone;
use std::sync::Arc;

/// The function's name in plans.
pub const NAME: &str = "scorecard_period";

#[derive(Debug, PartialEq, Eq, Hash)]
struct PeriodOf {
    signature: Signature,
}

impl ScalarUDFImpl for PeriodOf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let mut parameters = [0i64; PARAMETERS];
        for (p, arg) in parameters.iter_mut().zip(args.args.iter().skip(1)) {
            match arg {
                ColumnarValue::Scalar(ScalarValue::Int64(Some(v))) => *p = *v,
                other => {
                    return exec_err!(
                        "{NAME} expects whole-number calendar arguments, got {other:?}"
                    )
                }
            }
        }
        let Some(periods) = Periods::from_parameters(&parameters) else {
            return exec_err!("{NAME} was given a calendar it does not know: {parameters:?}");
        };
        let day = |d: i32| periods.of_date(scorecard_model::calendar::date(i64::from(d)));
        match args.args.first() {
            Some(ColumnarValue::Array(a)) => {
                let dates = a.as_primitive::<Date32Type>();
                let out: Int64Array = dates.iter().map(|d| d.map(day)).collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            Some(ColumnarValue::Scalar(ScalarValue::Date32(d))) => {
                Ok(ColumnarValue::Scalar(ScalarValue::Int64(d.map(day))))
            }
            other => exec_err!("{NAME} expects a date, got {other:?}"),
        }
    }
}

/// The period function, for the registries of a cluster's scheduler and executors.
pub fn function() -> Arc<ScalarUDF> {
    let mut arguments = vec![DataType::Date32];
    arguments.extend(std::iter::repeat_n(DataType::Int64, PARAMETERS));
    Arc::new(ScalarUDF::from(PeriodOf {
        signature: Signature::exact(arguments, Volatility::Immutable),
    }))
}

/// A row's time column and the zone whose local date places it: its time as queries read it.
#[derive(Debug, Clone, Copy)]
pub struct Time<'a> {
    pub column: &'a str,
    pub zone: Zone,
}

impl<'a> Time<'a> {
    /// The time column of `ds`, read in the scorecard's zone.
    pub fn of(model: &scorecard_model::Model, ds: &'a scorecard_model::Dataset) -> Time<'a> {
        Time::column(model, &ds.time)
    }

    /// Any date or timestamp column, read in the scorecard's zone.
    pub fn column(model: &scorecard_model::Model, column: &'a str) -> Time<'a> {
        Time {
            column,
            zone: model.header.zone(),
        }
    }
}

/// A row's day: its time column, a date, or a timestamp taken at its local date in the zone.
pub fn day_of(time: Time) -> Expr {
    match time.zone.is_utc() {
        true => cast(ident(time.column), DataType::Date32),
        false => local_day().call(vec![ident(time.column), lit(time.zone.name())]),
    }
}

/// The function's name in plans.
pub const LOCAL_DAY: &str = "scorecard_local_day";

/// A timestamp's local date in a named zone; a date as it is.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LocalDay {
    signature: Signature,
}

impl ScalarUDFImpl for LocalDay {
    fn name(&self) -> &str {
        LOCAL_DAY
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (array, zone) = crate::sources::zone::times_in_zone(LOCAL_DAY, &args)?;
        let day = |micros: i64| zone.local_day(micros).map(|d| d as i32);
        let out: Date32Array = match array.data_type() {
            DataType::Date32 => array.as_primitive::<Date32Type>().clone(),
            DataType::Timestamp(TimeUnit::Microsecond, _) => array
                .as_primitive::<TimestampMicrosecondType>()
                .iter()
                .map(|t| t.and_then(day))
                .collect(),
            other => return exec_err!("{LOCAL_DAY} expects a date or a timestamp, got {other}"),
        };
        Ok(match args.args.first() {
            Some(ColumnarValue::Scalar(_)) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
            }
            _ => ColumnarValue::Array(Arc::new(out)),
        })
    }
}

/// The local-day function, for the registries of a cluster's scheduler and executors.
pub fn local_day() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(LocalDay {
        signature: Signature::any(2, Volatility::Immutable),
    }))
}

/// Whether a row's day is on or before `day` (`--as-of`).
pub fn on_or_before(time: Time, day: chrono::NaiveDate) -> Expr {
    let day = ScalarValue::Date32(Some(scorecard_model::calendar::days(day) as i32));
    day_of(time).lt_eq(lit(day))
}

/// The rows of table `name` a run reads: all of them, or those up to `--as-of`.
pub async fn rows_through(
    ctx: &datafusion::prelude::SessionContext,
    name: &str,
    time: Time<'_>,
    as_of: Option<chrono::NaiveDate>,
) -> Result<datafusion::prelude::DataFrame, crate::DataError> {
    let df = ctx
        .table(datafusion::common::TableReference::bare(name))
        .await?;
    Ok(match as_of {
        Some(day) => df.filter(on_or_before(time, day))?,
        None => df,
    })
}

/// The period number of the row's time column (a date or a timestamp, taken at its date).
pub fn period_of(time: Time, periods: Periods) -> Expr {
    let mut args = vec![day_of(time)];
    args.extend(periods.parameters().map(lit));
    function().call(args)
}
