//! Owns the two window-function helpers the engine's plans share: an aggregate over a partition, and
//! applying window functions one at a time.

use crate::error::DataError;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{AggregateUDF, Expr, ExprFunctionExt};
use datafusion::prelude::DataFrame;
use std::sync::Arc;

/// Window functions one at a time: DataFusion plans one window step per sort order, and the
/// DataFrame API leaves that split to the caller.
pub trait Windows: Sized {
    fn windows(self, exprs: Vec<Expr>) -> Result<Self, DataError>;
}

impl Windows for DataFrame {
    fn windows(self, exprs: Vec<Expr>) -> Result<Self, DataError> {
        let mut df = self;
        for e in exprs {
            df = df.window(vec![e])?;
        }
        Ok(df)
    }
}

/// An aggregate function over every row of a partition.
pub fn over(f: Arc<AggregateUDF>, arg: Expr, partition: Vec<Expr>) -> Result<Expr, DataError> {
    Ok(Expr::from(WindowFunction::new(f, vec![arg]))
        .partition_by(partition)
        .build()?)
}
