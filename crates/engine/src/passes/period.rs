//! Owns placing rows in periods inside the query: a scalar function from a date to its period
//! number, so the engine buckets rows with exactly the numbering `calendar` names and reports.
//! The calendar travels as literal arguments, not as state of the function, so that a cluster's
//! executors (docs/distributed.md) run it from the plan alone, found by its name.

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

/// The period number of the row's time column (a date or a timestamp, taken at its date).
pub fn period_of(time: &str, periods: Periods) -> Expr {
    let mut args = vec![cast(ident(time), DataType::Date32)];
    args.extend(periods.parameters().map(lit));
    function().call(args)
}
