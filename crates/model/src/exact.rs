//! Owns adding, subtracting, multiplying and dividing exact decimals without losing a value
//! quietly: `rust_decimal` keeps 28 significant digits, and rounds a result that needs more, so a
//! product of tiny inputs (a `decimal(28, 20)` column holding 1e-15) silently becomes zero, and
//! 1e-15 added to 1e16 is lost.
//! Each result is checked by undoing the operation: one that does not come back to its input to
//! nine significant digits lost its precision, and is an error rather than a wrong number. A
//! negated zero is zero.

use rust_decimal::Decimal;

/// Why a product or quotient has no exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inexact {
    /// Beyond 28 significant digits.
    Overflow,
    /// Smaller than 28 decimal places hold: rounding would lose the value.
    Precision,
}

/// `a × b`.
pub fn product(a: Decimal, b: Decimal) -> Result<Decimal, Inexact> {
    let r = a.checked_mul(b).ok_or(Inexact::Overflow)?;
    if b.is_zero() || kept(a, r.checked_div(b)) {
        Ok(r)
    } else {
        Err(Inexact::Precision)
    }
}

/// `a + b`.
pub fn sum(a: Decimal, b: Decimal) -> Result<Decimal, Inexact> {
    let r = a.checked_add(b).ok_or(Inexact::Overflow)?;
    if kept(a, r.checked_sub(b)) && kept(b, r.checked_sub(a)) {
        Ok(r)
    } else {
        Err(Inexact::Precision)
    }
}

/// `a - b`.
pub fn difference(a: Decimal, b: Decimal) -> Result<Decimal, Inexact> {
    sum(a, negate(b))
}

/// `a + b` only when it is exact to the last digit (running totals, which are subtracted again).
/// The decimal type keeps a sum's scale unless it has to round: a smaller scale, or a result that
/// does not give back its parts, is a rounded one.
pub fn strict_sum(a: Decimal, b: Decimal) -> Option<Decimal> {
    let r = a.checked_add(b)?;
    let kept = r.scale() >= a.scale().max(b.scale());
    (kept && r.checked_sub(b) == Some(a) && r.checked_sub(a) == Some(b)).then_some(r)
}

/// `a - b` only when it is exact to the last digit.
pub fn strict_difference(a: Decimal, b: Decimal) -> Option<Decimal> {
    strict_sum(a, negate(b))
}

/// `a × b` only when it is exact to the last digit: the product of scales `s` and `t` has scale
/// `s + t` unless it was rounded.
pub fn strict_product(a: Decimal, b: Decimal) -> Option<Decimal> {
    let r = a.checked_mul(b)?;
    let zero = a.is_zero() || b.is_zero();
    (zero || r.scale() >= a.scale() + b.scale()).then_some(r)
}

/// `a ÷ b`, `b` not zero (division by zero is the caller's to decide).
pub fn quotient(a: Decimal, b: Decimal) -> Result<Decimal, Inexact> {
    let r = a.checked_div(b).ok_or(Inexact::Overflow)?;
    if kept(a, r.checked_mul(b)) {
        Ok(r)
    } else {
        Err(Inexact::Precision)
    }
}

/// `-a`, and zero for zero: the decimal type keeps a sign on zero, which prints as `-0.00`.
pub fn negate(a: Decimal) -> Decimal {
    let mut n = -a;
    if n.is_zero() {
        n.set_sign_positive(true);
    }
    n
}

/// Whether `back`, the result with the operation undone, is `a` to nine significant digits.
fn kept(a: Decimal, back: Option<Decimal>) -> bool {
    let Some(back) = back else {
        return false;
    };
    if a.is_zero() {
        return back.is_zero();
    }
    let tolerance = Decimal::new(1, 9);
    match (back - a).checked_div(a) {
        Some(relative) => relative.abs() <= tolerance,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn tiny_products_and_quotients_are_refused_not_rounded_to_zero() {
        let b = d("0.000000000000001");
        // 1e-30 is beyond 28 places: it was 0, and sum(b)² / sum(b) / sum(b) gave 0 for 1.
        assert_eq!(product(b, b), Err(Inexact::Precision));
        assert_eq!(
            quotient(b, d("1000000000000000000000")),
            Err(Inexact::Precision)
        );
        // 1.5e-28 would keep one digit (2e-28).
        assert_eq!(
            product(d("0.000000000000000000000000001"), d("0.15")),
            Err(Inexact::Precision)
        );
        // What decimals hold is exact, and a quotient rounded in its 28th digit is fine.
        assert_eq!(product(b, d("1000")), Ok(d("0.000000000001")));
        assert_eq!(
            quotient(d("1"), d("3")),
            Ok(d("0.3333333333333333333333333333"))
        );
        assert_eq!(
            quotient(d("2"), d("3")),
            Ok(d("0.6666666666666666666666666667"))
        );
        assert_eq!(product(d("0"), b), Ok(d("0")));
        assert_eq!(product(d("12345.67"), d("0.0825")), Ok(d("1018.517775")));
        assert_eq!(product(Decimal::MAX, d("2")), Err(Inexact::Overflow));
    }

    #[test]
    fn a_sum_that_would_lose_an_addend_is_refused() {
        let b = d("0.000000000000001");
        let big = d("10000000000000000");
        // 1e16 + 1e-15 needs 32 digits: it was 1e16, and (x + 1e16) - 1e16 gave 0 for 1e-15.
        assert_eq!(sum(b, big), Err(Inexact::Precision));
        assert_eq!(difference(b, big), Err(Inexact::Precision));
        assert_eq!(
            sum(d("100000000000000000000"), d("0.000000000001")),
            Err(Inexact::Precision)
        );
        // Money is exact, a 28th digit rounded is kept, and zero is zero.
        assert_eq!(sum(d("1018.52"), d("-0.52")), Ok(d("1018.00")));
        assert_eq!(
            sum(d("9"), d("0.3333333333333333333333333333")),
            Ok(d("9.333333333333333333333333333"))
        );
        assert_eq!(difference(d("5.00"), d("5.00")), Ok(d("0.00")));
        assert_eq!(sum(d("0"), d("0")), Ok(d("0")));
        assert_eq!(sum(Decimal::MAX, d("1")), Err(Inexact::Overflow));
    }

    #[test]
    fn strict_results_are_exact_to_the_last_digit_or_none() {
        // 1000000.0000000001² needs 33 digits: rounded, though dividing back gives the input.
        let v = d("1000000.0000000001");
        assert_eq!(strict_product(v, v), None);
        assert_eq!(strict_product(d("1.5"), d("2.25")), Some(d("3.375")));
        assert_eq!(strict_product(d("0"), v), Some(d("0")));
        // Eight of 9999999999999999.999999999999 need 29 digits: the sum was rounded to 11 places.
        let big = d("9999999999999999.999999999999");
        let seven = (0..6).fold(big, |t, _| strict_sum(t, big).unwrap());
        assert_eq!(strict_sum(seven, big), None);
        assert_eq!(strict_sum(d("0.1"), d("0.25")), Some(d("0.35")));
        assert_eq!(strict_difference(d("5.00"), d("0.001")), Some(d("4.999")));
        assert_eq!(
            strict_difference(d("0.0000000000000000000000000001"), d("10")),
            None
        );
    }

    #[test]
    fn the_negation_of_zero_is_zero() {
        assert_eq!(negate(d("0.00")).to_string(), "0.00");
        assert_eq!(negate(d("1.50")).to_string(), "-1.50");
    }
}
