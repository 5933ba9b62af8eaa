//! Owns the Arrow builders one CSV piece fills: one per declared column plus the line numbers, each
//! field converted under its declared type.

use crate::error::DataError;
use crate::sources::schema::decimal_shape;
use crate::values::{self, Misfit};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::record_batch::RecordBatch;
use scorecard_model::zone::Zone;
use scorecard_model::{ColumnType, Dataset};
use std::sync::Arc;

/// Rows per batch.
pub const BATCH_ROWS: usize = 64 * 1024;

/// Whether a field is empty or only whitespace; a first byte that is not a space answers at once.
pub fn blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(&b) if b.is_ascii() && !(b as char).is_whitespace() => false,
        Some(_) => text.trim().is_empty(),
    }
}

enum Builder {
    Text(StringBuilder),
    Integer(Int64Builder),
    Decimal(Decimal128Builder, u32, u32, bool),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Bool(BooleanBuilder),
}

pub struct Builders {
    columns: Vec<Builder>,
    /// Each row's line in the file: the `__line` column, when the dataset is numbered.
    pub lines: Option<Int64Builder>,
    shapes: Vec<(u32, u32)>,
    /// Where timestamps written without an offset were taken.
    zone: Zone,
    pub len: usize,
}

impl Builders {
    pub fn new(ds: &Dataset, money_scale: u32, numbered: bool) -> Self {
        let mut shapes = Vec::new();
        let columns = ds
            .columns
            .iter()
            .map(|c| {
                let shape = decimal_shape(c.ty, c.money_scale(money_scale)).unwrap_or((0, 0));
                shapes.push(shape);
                match c.ty {
                    ColumnType::Text => Builder::Text(StringBuilder::new()),
                    ColumnType::Integer => Builder::Integer(Int64Builder::new()),
                    ColumnType::Date => Builder::Date(Date32Builder::new()),
                    ColumnType::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::new()),
                    ColumnType::Bool => Builder::Bool(BooleanBuilder::new()),
                    _ => Builder::Decimal(
                        Decimal128Builder::new(),
                        shape.0,
                        shape.1,
                        c.ty == ColumnType::Percent,
                    ),
                }
            })
            .collect();
        Builders {
            columns,
            lines: numbered.then(Int64Builder::new),
            shapes,
            zone: Zone::of(ds.time_zone.as_deref()),
            len: 0,
        }
    }

    /// Appends one field; an empty field is no value.
    pub fn push(&mut self, i: usize, text: &str) -> Result<(), Misfit> {
        if i == 0 {
            self.len += 1;
        }
        let empty = blank(text);
        match &mut self.columns[i] {
            Builder::Text(b) if text.is_empty() => b.append_null(),
            Builder::Text(b) => b.append_value(text),
            Builder::Integer(b) if empty => b.append_null(),
            Builder::Integer(b) => b.append_value(values::integer(text)?),
            Builder::Decimal(b, ..) if empty => b.append_null(),
            Builder::Decimal(b, p, s, true) => b.append_value(values::percent(text, *p, *s)?),
            Builder::Decimal(b, p, s, false) => b.append_value(values::decimal(text, *p, *s)?),
            Builder::Date(b) if empty => b.append_null(),
            Builder::Date(b) => b.append_value(values::date(text)?),
            Builder::Timestamp(b) if empty => b.append_null(),
            Builder::Timestamp(b) => b.append_value(values::timestamp_in(text, self.zone)?),
            Builder::Bool(b) if empty => b.append_null(),
            Builder::Bool(b) => b.append_value(values::boolean(text)?),
        }
        Ok(())
    }

    pub fn finish(
        &mut self,
        schema: datafusion::arrow::datatypes::SchemaRef,
    ) -> Result<RecordBatch, DataError> {
        let mut arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .zip(&self.shapes)
            .map(|(b, (p, s))| -> Result<ArrayRef, DataError> {
                Ok(match b {
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Integer(b) => Arc::new(b.finish()),
                    Builder::Decimal(b, ..) => Arc::new(
                        b.finish()
                            .with_precision_and_scale(*p as u8, *s as i8)
                            .map_err(|e| DataError::Engine(e.to_string()))?,
                    ),
                    Builder::Date(b) => Arc::new(b.finish()),
                    Builder::Timestamp(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                })
            })
            .collect::<Result<_, _>>()?;
        if let Some(lines) = &mut self.lines {
            arrays.push(Arc::new(lines.finish()));
        }
        self.len = 0;
        RecordBatch::try_new(schema, arrays).map_err(|e| DataError::Engine(e.to_string()))
    }
}
