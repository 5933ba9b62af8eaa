//! Owns reading a Parquet timestamp written without a zone as the wall-clock time of the
//! dataset's zone: a function from local microseconds to the instant, refusing a time the clocks
//! skipped, as the text readers do (`values::timestamp_in`).

use datafusion::arrow::array::{AsArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::lit;
use scorecard_model::zone::Zone;
use std::sync::Arc;

/// The function's name in plans.
pub const NAME: &str = "scorecard_instant";

#[derive(Debug, PartialEq, Eq, Hash)]
struct Instant {
    signature: Signature,
}

impl ScalarUDFImpl for Instant {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Microsecond, None))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (array, zone) = times_in_zone(NAME, &args)?;
        let DataType::Timestamp(TimeUnit::Microsecond, _) = array.data_type() else {
            return exec_err!("{NAME} expects a timestamp in microseconds");
        };
        let mut out = Vec::with_capacity(array.len());
        for local in array.as_primitive::<TimestampMicrosecondType>().iter() {
            let Some(local) = local else {
                out.push(None);
                continue;
            };
            let Some(wall) = chrono::DateTime::from_timestamp_micros(local) else {
                return exec_err!("a timestamp beyond any calendar: {local} microseconds");
            };
            match zone.instant(wall.naive_utc()) {
                Ok(t) => out.push(Some(t)),
                Err(_) => {
                    return exec_err!(
                        "the timestamp {} is a time that {} skipped (clocks moved forward over it): write it with its UTC offset, or check the dataset's `time_zone`",
                        wall.naive_utc(),
                        zone.name()
                    )
                }
            }
        }
        let out = TimestampMicrosecondArray::from(out);
        Ok(match args.args.first() {
            Some(ColumnarValue::Scalar(_)) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
            }
            _ => ColumnarValue::Array(Arc::new(out)),
        })
    }
}

/// A time function's arguments: its times as an array, and the zone named by its second.
pub(crate) fn times_in_zone(
    name: &str,
    args: &ScalarFunctionArgs,
) -> Result<(datafusion::arrow::array::ArrayRef, Zone)> {
    let zone = match args.args.get(1) {
        Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(z)))) => Zone::named(z),
        _ => None,
    };
    let Some(zone) = zone else {
        return exec_err!(
            "{name} expects a time zone's name, got {:?}",
            args.args.get(1)
        );
    };
    let array = match args.args.first() {
        Some(ColumnarValue::Array(a)) => a.clone(),
        Some(ColumnarValue::Scalar(s)) => s.to_array()?,
        None => return exec_err!("{name} expects a time"),
    };
    Ok((array, zone))
}

/// The function, for the registries of a cluster's scheduler and executors.
pub fn function() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(Instant {
        signature: Signature::any(2, Volatility::Immutable),
    }))
}

/// Whether each wall-clock timestamp is one `zone`'s clocks skipped: for naming the first such row
/// of a Parquet file before any query would fail on it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Skipped {
    signature: Signature,
}

const SKIPPED: &str = "scorecard_skipped";

impl ScalarUDFImpl for Skipped {
    fn name(&self) -> &str {
        SKIPPED
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (array, zone) = times_in_zone(SKIPPED, &args)?;
        let DataType::Timestamp(TimeUnit::Microsecond, _) = array.data_type() else {
            return exec_err!("{SKIPPED} expects a timestamp in microseconds");
        };
        let out: datafusion::arrow::array::BooleanArray = array
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .map(|t| {
                t.map(|local| {
                    chrono::DateTime::from_timestamp_micros(local)
                        .is_some_and(|wall| zone.instant(wall.naive_utc()).is_err())
                })
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// Whether a column of wall-clock timestamps holds a time `zone` skipped.
pub fn skipped(local: Expr, zone: Zone) -> Expr {
    ScalarUDF::from(Skipped {
        signature: Signature::any(2, Volatility::Immutable),
    })
    .call(vec![local, lit(zone.name())])
}

/// A column of wall-clock timestamps in microseconds read as instants in `zone`.
pub fn instant(local: Expr, zone: Zone) -> Expr {
    match zone.is_utc() {
        true => local,
        false => function().call(vec![local, lit(zone.name())]),
    }
}
