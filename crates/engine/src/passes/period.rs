//! Owns placing rows in periods inside the query: a scalar function from a date to its period
//! number, so the engine buckets rows with exactly the numbering `calendar` names and reports.
//! The calendar travels as literal arguments, not as state of the function, so that a cluster's
//! executors (docs/distributed.md) run it from the plan alone, found by its name. Also owns a row's
//! day as queries read it, and the rows up to `--as-of`.

use datafusion::arrow::array::{AsArray, Int64Array};
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::{cast, ident, lit};
use scorecard_model::calendar::{Periods, PARAMETERS};
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

/// A row's day: its time column, a date or a timestamp taken at its date.
pub fn day_of(time: &str) -> Expr {
    cast(ident(time), DataType::Date32)
}

/// Whether a row's day is on or before `day` (`--as-of`).
pub fn on_or_before(time: &str, day: chrono::NaiveDate) -> Expr {
    let day = ScalarValue::Date32(Some(scorecard_model::calendar::days(day) as i32));
    day_of(time).lt_eq(lit(day))
}

/// The rows of table `name` a run reads: all of them, or those up to `--as-of`.
pub async fn rows_through(
    ctx: &datafusion::prelude::SessionContext,
    name: &str,
    time: &str,
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
pub fn period_of(time: &str, periods: Periods) -> Expr {
    let mut args = vec![day_of(time)];
    args.extend(periods.parameters().map(lit));
    function().call(args)
}
