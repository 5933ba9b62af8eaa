//! Owns how declared column types are stored in Arrow: exact decimals for money, decimals and
//! percents; 64-bit integers; days for dates; microseconds for timestamps.

use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use scorecard_model::{ColumnType, Dataset, MAX_PRECISION, PERCENT_SCALE};
use std::sync::Arc;

pub fn arrow_type(ty: ColumnType, money_scale: u32) -> DataType {
    match ty {
        ColumnType::Text => DataType::Utf8,
        ColumnType::Integer => DataType::Int64,
        ColumnType::Decimal { precision, scale } => {
            DataType::Decimal128(precision as u8, scale as i8)
        }
        ColumnType::Money => DataType::Decimal128(MAX_PRECISION as u8, money_scale as i8),
        ColumnType::Percent => DataType::Decimal128(MAX_PRECISION as u8, PERCENT_SCALE as i8),
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnType::Bool => DataType::Boolean,
    }
}

/// Precision and scale of a decimal column type.
pub fn decimal_shape(ty: ColumnType, money_scale: u32) -> Option<(u32, u32)> {
    match ty {
        ColumnType::Decimal { precision, scale } => Some((precision, scale)),
        ColumnType::Money => Some((MAX_PRECISION, money_scale)),
        ColumnType::Percent => Some((MAX_PRECISION, PERCENT_SCALE)),
        _ => None,
    }
}

/// The Arrow schema of a dataset's declared columns, in declaration order.
pub fn schema(ds: &Dataset, money_scale: u32) -> Arc<Schema> {
    Arc::new(Schema::new(
        ds.columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(c.ty, c.money_scale(money_scale)), true))
            .collect::<Vec<_>>(),
    ))
}
