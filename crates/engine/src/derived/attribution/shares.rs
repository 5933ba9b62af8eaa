//! Owns splitting one conversion's value among its touches exactly: whole minor units in proportion
//! to the touches' raw weights by floor, the units left over one each to the largest remainders
//! (ties to the earlier touch), and each touch's weight as a decimal of 12 places, half-even.

/// Weights are reported with this many parts per unit (12 decimal places).
pub const RATIO_UNIT: i128 = 1_000_000_000_000;

/// One touch's part of a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// Minor units, signed like the value; none when the conversion has no value.
    pub credit: Option<i128>,
    /// The touch's weight over the journey's total, in `RATIO_UNIT` parts.
    pub weight: i128,
}

/// Splits `value` (minor units; none when the conversion has no value) by the touches' raw weights
/// (whole numbers, none negative), in journey order, into `out` (cleared first). A journey whose
/// weights are all zero is shared equally. The credits add up to the value exactly.
pub fn split(value: Option<i128>, raw: &[i64], out: &mut Vec<Share>) -> Result<(), String> {
    out.clear();
    let total: i128 = raw.iter().map(|&r| i128::from(r)).sum();
    let equal = total == 0;
    let weight = |i: usize| if equal { 1 } else { i128::from(raw[i]) };
    let sum = if equal { raw.len() as i128 } else { total };
    if sum <= 0 || raw.iter().any(|&r| r < 0) {
        return Err("a touch weight is negative".into());
    }
    for i in 0..raw.len() {
        out.push(Share {
            credit: None,
            weight: half_even(weight(i) * RATIO_UNIT, sum),
        });
    }
    let Some(value) = value else {
        return Ok(());
    };
    let units = value.checked_abs().ok_or_else(too_large)?;
    let mut floors = 0i128;
    let mut remainders = Vec::with_capacity(raw.len());
    for (i, share) in out.iter_mut().enumerate() {
        let product = units.checked_mul(weight(i)).ok_or_else(too_large)?;
        let floor = product / sum;
        floors += floor;
        share.credit = Some(floor);
        remainders.push((product % sum, i));
    }
    let left = usize::try_from(units - floors).unwrap_or(0);
    if left > 0 {
        // Largest remainder first; among equal remainders, the earlier touch.
        remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in remainders.iter().take(left) {
            if let Some(c) = out[i].credit.as_mut() {
                *c += 1;
            }
        }
    }
    if value < 0 {
        for share in out.iter_mut() {
            share.credit = share.credit.map(|c| -c);
        }
    }
    // Exact by construction; checked because a wrong credit must never pass silently.
    if out.iter().map(|s| s.credit.unwrap_or(0)).sum::<i128>() != value {
        return Err("the credits do not add up to the conversion's value (an engine bug)".into());
    }
    Ok(())
}

/// n / d rounded to the nearest whole number, halves to even (d > 0, n ≥ 0).
fn half_even(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    let up = 2 * r > d || (2 * r == d && q % 2 == 1);
    q + i128::from(up)
}

fn too_large() -> String {
    "a conversion value is too large to share exactly".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credits(value: i128, raw: &[i64]) -> Vec<i128> {
        let mut out = Vec::new();
        split(Some(value), raw, &mut out).unwrap();
        out.iter().map(|s| s.credit.unwrap()).collect()
    }

    #[test]
    fn largest_remainders_take_the_cents_left_over() {
        // $100.00 in three: 3333.33… each, one cent left, to the first of the equal remainders.
        assert_eq!(credits(10_000, &[1, 1, 1]), vec![3334, 3333, 3333]);
        // $1.00 by 1:2:3 → 16.67, 33.33, 50 cents: floors 16, 33, 50 leave 1, to remainder 4/6.
        assert_eq!(credits(100, &[1, 2, 3]), vec![17, 33, 50]);
        // Negative values split by magnitude and keep their sign.
        assert_eq!(credits(-10_000, &[1, 1, 1]), vec![-3334, -3333, -3333]);
    }

    #[test]
    fn all_zero_weights_share_equally_and_no_value_credits_nothing() {
        assert_eq!(credits(5, &[0, 0]), vec![3, 2]);
        let mut out = Vec::new();
        split(None, &[1, 3], &mut out).unwrap();
        assert_eq!(
            out,
            vec![
                Share {
                    credit: None,
                    weight: 250_000_000_000
                },
                Share {
                    credit: None,
                    weight: 750_000_000_000
                }
            ]
        );
    }

    #[test]
    fn weights_round_half_to_even_at_twelve_places() {
        let mut out = Vec::new();
        split(Some(1), &[1, 1, 1], &mut out).unwrap();
        // 1/3 = 0.333333333333|33…
        assert_eq!(out[0].weight, 333_333_333_333);
        // 1 / 2e12 = 0.0000000000005, a tie at the 12th place: to even, 0.
        split(Some(1), &[1, 1_999_999_999_999], &mut out).unwrap();
        assert_eq!(out[0].weight, 0);
        split(Some(1), &[3, 1_999_999_999_997], &mut out).unwrap();
        // 3 / 2e12 = 1.5e-12 → 2e-12 (to even).
        assert_eq!(out[0].weight, 2);
    }

    #[test]
    fn too_large_values_are_refused_not_wrapped() {
        let mut out = Vec::new();
        assert!(split(Some(i128::MAX / 2), &[i64::MAX, 1], &mut out).is_err());
        assert!(split(Some(1), &[-1, 2], &mut out).is_err());
    }
}
