//! Owns the running sums behind `anomaly(x, window: N periods)`: how many of a window's periods
//! have a value, their sum and their sum of squares, each the difference of two running totals, so
//! that every period's window costs the same however long it is. The test itself is then decided
//! exactly, on whole sums: (n·x − Σv)²·(n − 1) > z²·n·(n·Σv² − (Σv)²), which is
//! (x − mean)² > z² × sample variance multiplied out.

use crate::exact::{strict_difference, strict_product, strict_sum};
use rust_decimal::Decimal;

/// A window's count of values, their sum and their sum of squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: i64,
    pub sum: Decimal,
    pub squares: Decimal,
}

/// The running moments of one expression's values, period by period from `origin`.
#[derive(Debug)]
pub struct Running {
    origin: i64,
    /// `totals[i]`: the moments of the periods `origin..origin + i`; none from the first total
    /// that is not exact (the window is then summed value by value).
    totals: Vec<Option<Moments>>,
}

impl Running {
    pub fn new(origin: i64) -> Running {
        Running {
            origin,
            totals: vec![Some(Moments {
                n: 0,
                sum: Decimal::ZERO,
                squares: Decimal::ZERO,
            })],
        }
    }

    /// The first period not yet added.
    pub fn next(&self) -> i64 {
        self.origin + self.totals.len() as i64 - 1
    }

    pub fn origin(&self) -> i64 {
        self.origin
    }

    /// Adds the value of period `next()`.
    pub fn push(&mut self, v: Option<Decimal>) {
        let last = *self.totals.last().unwrap_or(&None);
        let now = last.and_then(|m| match v {
            None => Some(m),
            Some(v) => Some(Moments {
                n: m.n + 1,
                sum: strict_sum(m.sum, v)?,
                squares: strict_sum(m.squares, strict_product(v, v)?)?,
            }),
        });
        self.totals.push(now);
    }

    /// The moments of the periods `first..end` (all added), when the totals are exact.
    pub fn between(&self, first: i64, end: i64) -> Option<Moments> {
        let at = |p: i64| usize::try_from(p - self.origin).ok();
        let (a, b) = (*self.totals.get(at(first)?)?, *self.totals.get(at(end)?)?);
        let (a, b) = (a?, b?);
        Some(Moments {
            n: b.n - a.n,
            sum: strict_difference(b.sum, a.sum)?,
            squares: strict_difference(b.squares, a.squares)?,
        })
    }
}

/// Whether `x` lies more than `z` sample deviations from the mean of a window with moments `m`,
/// decided on whole sums; none when a product is not exact (the caller decides it another way).
pub fn beyond(x: Decimal, m: Moments, z: Decimal) -> Option<bool> {
    let n = Decimal::from(m.n);
    let spread = strict_difference(strict_product(n, m.squares)?, strict_product(m.sum, m.sum)?)?;
    let d = strict_difference(strict_product(n, x)?, m.sum)?;
    let left = strict_product(strict_product(d, d)?, n - Decimal::ONE)?;
    let right = strict_product(strict_product(strict_product(z, z)?, n)?, spread)?;
    Some(left > right)
}

/// The sample variance of a window with moments `m` (n ≥ 2), for showing.
pub fn variance(m: Moments) -> Option<Decimal> {
    let n = Decimal::from(m.n);
    let spread = m
        .squares
        .checked_mul(n)?
        .checked_sub(m.sum.checked_mul(m.sum)?)?;
    spread.checked_div(n.checked_mul(n - Decimal::ONE)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_window_is_the_difference_of_two_running_totals() {
        // Periods 10..15: 2, none, 4, 4, 5, 7.
        let mut r = Running::new(10);
        for v in [Some(2), None, Some(4), Some(4), Some(5), Some(7)] {
            r.push(v.map(Decimal::from));
        }
        assert_eq!(r.next(), 16);
        let m = r.between(11, 16).unwrap();
        assert_eq!((m.n, m.sum, m.squares), (4, d("20"), d("106")));
        // 4, 4, 5, 7: mean 5, sample variance (1 + 1 + 0 + 4) / 3 = 2.
        assert_eq!(variance(m), Some(d("2")));
        // 10 is 5 from the mean: 25 > 9 × 2 at z = 3, not at z = 4 (25 < 32).
        assert_eq!(beyond(d("10"), m, d("3")), Some(true));
        assert_eq!(beyond(d("10"), m, d("4")), Some(false));
        // 7 is 2 from the mean: 4 < 1.5² × 2 = 4.5.
        assert_eq!(beyond(d("7"), m, d("1.5")), Some(false));
        assert_eq!(r.between(9, 12), None, "before the origin");
    }

    #[test]
    fn totals_that_are_not_exact_are_not_used() {
        let mut r = Running::new(0);
        r.push(Some(d("79228162514264337593543950")));
        r.push(Some(d("1")));
        // The square of the first is beyond the decimal range.
        assert_eq!(r.between(0, 2), None);
    }
}
