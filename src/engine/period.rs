//! Owns placing rows in periods inside the query: a scalar function from a date to its period
//! number, so the engine buckets rows with exactly the numbering `calendar` names and reports.

use crate::calendar::Periods;
use datafusion::arrow::array::{AsArray, Int64Array};
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::{cast, ident};
use std::sync::Arc;

#[derive(Debug, PartialEq, Eq, Hash)]
struct PeriodOf {
    periods: Periods,
    signature: Signature,
}

impl ScalarUDFImpl for PeriodOf {
    fn name(&self) -> &str {
        "scorecard_period"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let day = |d: i32| self.periods.of_date(crate::calendar::date(i64::from(d)));
        match args.args.first() {
            Some(ColumnarValue::Array(a)) => {
                let dates = a.as_primitive::<Date32Type>();
                let out: Int64Array = dates.iter().map(|d| d.map(day)).collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            Some(ColumnarValue::Scalar(ScalarValue::Date32(d))) => {
                Ok(ColumnarValue::Scalar(ScalarValue::Int64(d.map(day))))
            }
            other => exec_err!("scorecard_period expects a date, got {other:?}"),
        }
    }
}

/// The period number of the row's time column (a date or a timestamp, taken at its date).
pub fn period_of(time: &str, periods: Periods) -> Expr {
    let udf = ScalarUDF::from(PeriodOf {
        periods,
        signature: Signature::exact(vec![DataType::Date32], Volatility::Immutable),
    });
    udf.call(vec![cast(ident(time), DataType::Date32)])
}
