//! Owns the running sums behind `anomaly(x, window: N periods)`: how many of a window's periods
//! have a value, their sum and their sum of squares, each the difference of two running totals, so
//! that every period's window costs the same however long it is. The test itself is then decided
//! exactly, on whole sums: (n·x − Σv)²·(n − 1) > z²·n·(n·Σv² − (Σv)²), which is
//! (x − mean)² > z² × sample variance multiplied out.
//!
//! The values are measured from the first one, in units of its last decimal place (`Frame`):
//! a window of 1000000.0000000001 and 1000000.0000000002 becomes 0 and 1, whose squares are exact,
//! where the values' own squares need 33 digits and the spread of 1e-20 values, 1e-40, would round
//! to nothing. The test is the same after the change, which moves and stretches every value alike.

use rust_decimal::Decimal;
use scorecard_model::exact::{strict_difference, strict_product, strict_sum};

/// A window's count of values, their sum and their sum of squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: i64,
    pub sum: Decimal,
    pub squares: Decimal,
}

/// Values measured as `(v − from) × factor`, `factor` being 10 to the power of `scale`: whole
/// numbers for values of up to `scale` decimal places.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub from: Decimal,
    pub factor: Decimal,
    scale: u32,
}

impl Frame {
    fn new(from: Decimal) -> Frame {
        let scale = from.scale();
        Frame {
            from,
            factor: Decimal::from_i128_with_scale(10i128.pow(scale), 0),
            scale,
        }
    }

    /// `v` in this frame; none when it has more decimals or the result is not exact.
    pub fn of(&self, v: Decimal) -> Option<Decimal> {
        if v.scale() > self.scale {
            return None;
        }
        // Whole numbers kept at scale 0, so that their squares need no decimal places.
        strict_product(strict_difference(v, self.from)?, self.factor).map(|w| w.normalize())
    }

    /// A value back from this frame (rounded to 28 digits, for showing).
    pub fn back(&self, w: Decimal) -> Option<Decimal> {
        self.from.checked_add(w.checked_div(self.factor)?)
    }
}

/// The running moments of one expression's values, period by period from `origin`.
#[derive(Debug)]
pub struct Running {
    origin: i64,
    /// Set by the first value.
    frame: Option<Frame>,
    /// `totals[i]`: the moments of the periods `origin..origin + i`; none from the first total
    /// that is not exact (the window is then summed value by value).
    totals: Vec<Option<Moments>>,
}

impl Running {
    pub fn new(origin: i64) -> Running {
        Running {
            origin,
            frame: None,
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

    /// The frame the moments are in: none until a value has been added.
    pub fn frame(&self) -> Option<Frame> {
        self.frame
    }

    /// Adds the value of period `next()`.
    pub fn push(&mut self, v: Option<Decimal>) {
        if let (None, Some(first)) = (self.frame, v) {
            self.frame = Some(Frame::new(first));
        }
        let frame = self.frame;
        let v = v.map(|v| frame.and_then(|f| f.of(v)));
        let last = *self.totals.last().unwrap_or(&None);
        let now = last.and_then(|m| match v {
            None => Some(m),
            // A value this frame cannot hold exactly: no exact totals from here on.
            Some(None) => None,
            Some(Some(v)) => Some(Moments {
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
        // Periods 10..15: 2, none, 4, 4, 5, 7, measured from the first: 0, none, 2, 2, 3, 5.
        let mut r = Running::new(10);
        for v in [Some(2), None, Some(4), Some(4), Some(5), Some(7)] {
            r.push(v.map(Decimal::from));
        }
        assert_eq!(r.next(), 16);
        let m = r.between(11, 16).unwrap();
        assert_eq!((m.n, m.sum, m.squares), (4, d("12"), d("42")));
        // 4, 4, 5, 7: mean 5, sample variance (1 + 1 + 0 + 4) / 3 = 2.
        assert_eq!(variance(m), Some(d("2")));
        let f = r.frame().unwrap();
        assert_eq!(f.back(m.sum / d("4")), Some(d("5")));
        // 10 is 5 from the mean: 25 > 9 × 2 at z = 3, not at z = 4 (25 < 32).
        assert_eq!(beyond(f.of(d("10")).unwrap(), m, d("3")), Some(true));
        assert_eq!(beyond(f.of(d("10")).unwrap(), m, d("4")), Some(false));
        // 7 is 2 from the mean: 4 < 1.5² × 2 = 4.5.
        assert_eq!(beyond(f.of(d("7")).unwrap(), m, d("1.5")), Some(false));
        assert_eq!(r.between(9, 12), None, "before the origin");
    }

    #[test]
    fn values_with_many_decimals_are_measured_in_their_last_place() {
        // 1.00000000000000000001, ...02, ...01, then ...09: the window's spread is 1e-40 in the
        // values' own units, beyond 28 places; measured from the first, it is 0, 1, 0 and 8.
        let mut r = Running::new(0);
        for last in ["1", "2", "1"] {
            r.push(Some(d(&format!("1.0000000000000000000{last}"))));
        }
        let m = r.between(0, 3).unwrap();
        let f = r.frame().unwrap();
        let x = f.of(d("1.00000000000000000009")).unwrap();
        assert_eq!(x, d("8"));
        // mean 1/3, variance 1/3: (8 − 1/3)² = 58.8 > 9 × 1/3, and 13.28 deviations out.
        assert_eq!(beyond(x, m, d("3")), Some(true));
        assert_eq!(beyond(x, m, d("14")), Some(false));
        // A value with more decimals than the first cannot be placed exactly: no totals.
        r.push(Some(d("1.000000000000000000011")));
        assert_eq!(r.between(0, 4), None);
    }

    #[test]
    fn totals_that_are_not_exact_are_not_used() {
        let mut r = Running::new(0);
        r.push(Some(d("1")));
        r.push(Some(d("79228162514264337593543950")));
        // The square of the second, measured from the first, is beyond the decimal range.
        assert_eq!(r.between(0, 2), None);
    }
}
