//! Owns the finance formulas that KPIs and views share, computed in exact decimals: customer
//! lifetime value.

use rust_decimal::Decimal;

/// Customer lifetime value of a customer who yields `margin` per period, stays each further period
/// with probability `retention`, with future margins discounted at `discount` per period:
/// Σ_{t=1..horizon} margin × (retention / (1 + discount))^t, and for ever (no horizon)
/// margin × retention / (1 + discount − retention) (Gupta and Lehmann, 2003).
///
/// The first period's margin is not included: the sum starts one period after acquisition, as in
/// Gupta and Lehmann's formula. No value when the rates make the series diverge or overflow.
pub fn clv(
    margin: Decimal,
    retention: Decimal,
    discount: Decimal,
    horizon: Option<u32>,
) -> Option<Decimal> {
    margin.checked_mul(multiple(retention, discount, horizon)?)
}

/// The margin multiple of `clv`: what a margin of 1 a period is worth,
/// Σ_{t=1..horizon} (retention / (1 + discount))^t, or retention / (1 + discount − retention) for
/// ever. It depends on the rates only, so a caller valuing many margins at the same rates (a
/// cohort, every age of every cohort) computes it once.
pub fn multiple(retention: Decimal, discount: Decimal, horizon: Option<u32>) -> Option<Decimal> {
    if retention < Decimal::ZERO || retention > Decimal::ONE || discount <= -Decimal::ONE {
        return None;
    }
    match horizon {
        None => {
            let denominator = Decimal::ONE + discount - retention;
            if denominator <= Decimal::ZERO {
                return None;
            }
            retention.checked_div(denominator)
        }
        Some(t) => {
            let q = retention.checked_div(Decimal::ONE + discount)?;
            let (mut factor, mut total) = (Decimal::ONE, Decimal::ZERO);
            for _ in 0..t {
                factor = factor.checked_mul(q)?;
                total = total.checked_add(factor)?;
            }
            Some(total)
        }
    }
}

/// The multiples over 1, 2, ... `horizon` periods, in order (each the last plus one more
/// discounted, kept period).
pub fn multiples(retention: Decimal, discount: Decimal, horizon: u32) -> Option<Vec<Decimal>> {
    if retention < Decimal::ZERO || retention > Decimal::ONE || discount <= -Decimal::ONE {
        return None;
    }
    let q = retention.checked_div(Decimal::ONE + discount)?;
    let (mut factor, mut total) = (Decimal::ONE, Decimal::ZERO);
    let mut out = Vec::with_capacity(horizon as usize);
    for _ in 0..horizon {
        factor = factor.checked_mul(q)?;
        total = total.checked_add(factor)?;
        out.push(total);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::clv;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Gupta and Lehmann's margin multiple r / (1 + i − r): with r = 80% and i = 12%,
    /// 0.8 / 0.32 = 2.5, so a $100 margin is worth $250 (by hand).
    #[test]
    fn infinite_horizon_multiple() {
        assert_eq!(clv(d("100"), d("0.8"), d("0.12"), None), Some(d("250")));
    }

    /// Three periods at r = 50%, i = 0%: 100 × (0.5 + 0.25 + 0.125) = 87.5 (by hand).
    #[test]
    fn finite_horizon_sum() {
        assert_eq!(clv(d("100"), d("0.5"), d("0"), Some(3)), Some(d("87.5")));
    }

    /// A retention rate above 1 + discount makes the series diverge: no value.
    #[test]
    fn divergent_rates_have_no_value() {
        assert_eq!(clv(d("100"), d("1"), d("0"), None), None);
        assert_eq!(clv(d("100"), d("1.2"), d("0.1"), None), None);
    }
}
