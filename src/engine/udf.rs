//! Owns the exact arithmetic the engine's own SQL functions do row by row inside a plan: time-decay
//! weights, integer shares of a conversion's value in minor units, and weights as decimals.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Int64Type};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::cast;
use std::sync::Arc;

/// Weights are whole numbers of this many parts per unit (12 decimal places).
pub const WEIGHT_UNIT: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    /// (age in seconds) → 2^(-age / half_life) in weight units, rounded to the nearest.
    Decay { half_life_secs: i64 },
    /// (value, raw, total) → floor(value × raw / total), value in minor units, non-negative.
    Share,
    /// (value, raw, total) → (value × raw) mod total: what `Share` left over, over `total`.
    Remainder,
    /// (minor units, negative) → money with `scale` decimal places, negated when asked.
    Money { scale: i8 },
    /// (raw, total) → raw / total with 12 decimal places, half-even.
    Ratio,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Exact {
    op: Op,
    signature: Signature,
}

const MINOR: DataType = DataType::Decimal128(38, 0);

impl ScalarUDFImpl for Exact {
    fn name(&self) -> &str {
        match self.op {
            Op::Decay { .. } => "scorecard_decay",
            Op::Share => "scorecard_share",
            Op::Remainder => "scorecard_remainder",
            Op::Money { .. } => "scorecard_money",
            Op::Ratio => "scorecard_ratio",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.op {
            Op::Decay { .. } => DataType::Int64,
            Op::Share | Op::Remainder => MINOR,
            Op::Money { scale } => DataType::Decimal128(38, scale),
            Op::Ratio => DataType::Decimal128(28, 12),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<_>>()?;
        let int = |i: usize| arrays[i].as_primitive::<Int64Type>();
        let dec = |i: usize| arrays[i].as_primitive::<Decimal128Type>();
        let out: ArrayRef = match self.op {
            Op::Decay { half_life_secs } => {
                let h = half_life_secs as f64;
                let out: Int64Array = int(0)
                    .iter()
                    .map(|age| {
                        age.map(|a| {
                            let w = (-(a.max(0) as f64) / h).exp2() * WEIGHT_UNIT as f64;
                            w.round() as i64
                        })
                    })
                    .collect();
                Arc::new(out)
            }
            Op::Share | Op::Remainder => {
                let (v, raw, total) = (dec(0), int(1), int(2));
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    if v.is_null(i) || raw.is_null(i) || total.is_null(i) || total.value(i) <= 0 {
                        out.push(None);
                        continue;
                    }
                    let Some(product) = v.value(i).checked_mul(i128::from(raw.value(i))) else {
                        return exec_err!("a conversion value is too large to share exactly");
                    };
                    let t = i128::from(total.value(i));
                    out.push(Some(if self.op == Op::Share {
                        product.div_euclid(t)
                    } else {
                        product.rem_euclid(t)
                    }));
                }
                Arc::new(Decimal128Array::from(out).with_precision_and_scale(38, 0)?)
            }
            Op::Money { scale } => {
                let (units, negative) = (dec(0), arrays[1].as_boolean());
                let out: Decimal128Array = (0..rows)
                    .map(|i| {
                        (!units.is_null(i)).then(|| {
                            let u = units.value(i);
                            if negative.is_valid(i) && negative.value(i) {
                                -u
                            } else {
                                u
                            }
                        })
                    })
                    .collect();
                Arc::new(out.with_precision_and_scale(38, scale)?)
            }
            Op::Ratio => {
                let (raw, total) = (int(0), int(1));
                let out: Decimal128Array = (0..rows)
                    .map(|i| {
                        if raw.is_null(i) || total.is_null(i) || total.value(i) <= 0 {
                            return None;
                        }
                        let n = i128::from(raw.value(i)) * 1_000_000_000_000;
                        let t = i128::from(total.value(i));
                        let (q, r) = (n.div_euclid(t), n.rem_euclid(t));
                        // Half-even.
                        let up = 2 * r > t || (2 * r == t && q % 2 == 1);
                        Some(q + i128::from(up))
                    })
                    .collect();
                Arc::new(out.with_precision_and_scale(28, 12)?)
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

fn call(op: Op, args: Vec<(Expr, DataType)>) -> Expr {
    let types = args.iter().map(|(_, t)| t.clone()).collect();
    let udf = ScalarUDF::from(Exact {
        op,
        signature: Signature::exact(types, Volatility::Immutable),
    });
    udf.call(args.into_iter().map(|(e, t)| cast(e, t)).collect())
}

/// 2^(-age / half_life) in weight units, for an age in seconds.
pub fn decay(age_secs: Expr, half_life_secs: i64) -> Expr {
    call(
        Op::Decay {
            half_life_secs: half_life_secs.max(1),
        },
        vec![(age_secs, DataType::Int64)],
    )
}

/// floor(value × raw / total), in minor units.
pub fn share(value: Expr, raw: Expr, total: Expr) -> Expr {
    call(
        Op::Share,
        vec![
            (value, MINOR),
            (raw, DataType::Int64),
            (total, DataType::Int64),
        ],
    )
}

/// (value × raw) mod total: the part of a minor unit `share` dropped, over `total`.
pub fn remainder(value: Expr, raw: Expr, total: Expr) -> Expr {
    call(
        Op::Remainder,
        vec![
            (value, MINOR),
            (raw, DataType::Int64),
            (total, DataType::Int64),
        ],
    )
}

/// Minor units as money of `scale` places, negated when `negative`.
pub fn money(units: Expr, negative: Expr, scale: u32) -> Expr {
    call(
        Op::Money { scale: scale as i8 },
        vec![(units, MINOR), (negative, DataType::Boolean)],
    )
}

/// raw / total with 12 decimal places.
pub fn ratio(raw: Expr, total: Expr) -> Expr {
    call(
        Op::Ratio,
        vec![(raw, DataType::Int64), (total, DataType::Int64)],
    )
}
