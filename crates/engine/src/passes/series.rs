//! Owns each pass's aggregates over the periods of one segment, in period order, with running
//! totals: an aggregate over a window of any length (`cumulative`, `rolling`, `ytd`) is then the
//! difference of two totals found by binary search, not a walk over every period of the window,
//! so a run costs time in proportion to its periods, not their square.

use crate::{AggFunc, Cell, DataError, Found};
use rust_decimal::Decimal;
use scorecard_model::exact::{strict_difference, strict_sum};
use std::collections::HashMap;
use std::sync::Arc;

/// Periods in which some source had rows: `periods[from..to]`, a slice of one segment's periods.
/// Two are the same when they are the same slice of the same periods (not compared period by
/// period).
#[derive(Debug, Clone)]
pub struct Covered {
    periods: Arc<[i64]>,
    from: usize,
    to: usize,
}

impl PartialEq for Covered {
    fn eq(&self, other: &Covered) -> bool {
        Arc::ptr_eq(&self.periods, &other.periods) && (self.from, self.to) == (other.from, other.to)
    }
}

impl Covered {
    /// The periods, in order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.periods[self.from..self.to].iter().copied()
    }
}

/// How many periods of `first..=last` some span of `spans` covers. Spans over the same periods
/// (one dataset's, in one segment) are counted by binary search; others are merged.
pub fn count_covered(spans: &[Covered], (first, last): (i64, i64)) -> usize {
    let Some(head) = spans.first() else {
        return 0;
    };
    if spans.iter().all(|s| Arc::ptr_eq(&s.periods, &head.periods)) {
        let within = |p: &[i64]| {
            let lo = p.partition_point(|&q| q < first);
            let hi = p.partition_point(|&q| q <= last);
            (lo, hi)
        };
        let (lo, hi) = within(&head.periods);
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|s| (s.from.max(lo), s.to.min(hi)))
            .filter(|(a, b)| a < b)
            .collect();
        ranges.sort_unstable();
        let (mut count, mut reached) = (0, 0);
        for (a, b) in ranges {
            let a = a.max(reached);
            if b > a {
                count += b - a;
            }
            reached = reached.max(b);
        }
        return count;
    }
    let mut all: Vec<i64> = spans
        .iter()
        .flat_map(Covered::iter)
        .filter(|p| (first..=last).contains(p))
        .collect();
    all.sort_unstable();
    all.dedup();
    all.len()
}

/// One segment's cells of every aggregate of a pass, in period order. Each of its arrays holds
/// every slot's periods one slot after another (`slot * periods.len()` is where a slot starts):
/// three allocations a segment, for a segmentation may have hundreds of thousands of segments.
#[derive(Debug, Clone)]
pub struct Series {
    periods: Arc<[i64]>,
    /// The cell of each slot in each period.
    cells: Box<[Cell]>,
    /// Up to and including each period: for a sum, count or average, the totals (every one
    /// `INEXACT` where a total would not be exact, beyond the decimal range, which is then summed
    /// period by period); for a `min` or `max`, the least value as `value` and the greatest as
    /// `count`, `values` saying whether there is one.
    running: Box<[Running]>,
}

#[derive(Debug, Clone, Copy)]
struct Running {
    value: Decimal,
    /// Cells with a value so far.
    values: u64,
    count: Decimal,
}

/// Before the first period: no value and no rows.
const NOTHING_YET: Running = Running {
    value: Decimal::ZERO,
    values: 0,
    count: Decimal::ZERO,
};

/// A slot's running totals that would not be exact.
const INEXACT: Running = Running {
    values: u64::MAX,
    ..NOTHING_YET
};

/// A period and its row of cells.
type Dated = (i64, Vec<Cell>);

/// The series of every segment of a pass's rows (by period and segment), which it consumes, so
/// that the rows are not held beside their series. `extreme[s]` says slot `s` holds a `min` or
/// `max`, which keeps running extremes; the others keep running totals.
pub fn index(rows: HashMap<(i64, Vec<Option<String>>), Vec<Cell>>, extreme: &[bool]) -> BySegment {
    let mut by_segment: BySegmentOf<Vec<Dated>> = BySegmentOf::default();
    for ((p, segment), row) in rows {
        by_segment.entry(segment).or_default().push((p, row));
    }
    by_segment
        .into_iter()
        .map(|(segment, mut rows)| {
            rows.sort_unstable_by_key(|(p, _)| *p);
            (segment, series(&rows, extreme))
        })
        .collect()
}

type BySegmentOf<T> = HashMap<Vec<Option<String>>, T, foldhash::fast::RandomState>;

/// Each segment's series, found by a fast hash: a segmentation may have hundreds of thousands of
/// segments, each looked up for every KPI and period.
pub type BySegment = BySegmentOf<Series>;

fn series(rows: &[Dated], extreme: &[bool]) -> Series {
    let periods: Arc<[i64]> = rows.iter().map(|(p, _)| *p).collect();
    let n = rows.len();
    let cell = |s: usize| move |(_, row): &Dated| row.get(s).copied().unwrap_or_default();
    let cells: Box<[Cell]> = (0..extreme.len())
        .flat_map(|s| rows.iter().map(cell(s)))
        .collect();
    let running = extreme
        .iter()
        .enumerate()
        .flat_map(|(s, x)| {
            let slot = &cells[s * n..(s + 1) * n];
            match x {
                true => running_extremes(slot),
                false => running(slot).unwrap_or_else(|| vec![INEXACT; n]),
            }
        })
        .collect();
    Series {
        periods,
        cells,
        running,
    }
}

fn running(cells: &[Cell]) -> Option<Vec<Running>> {
    let mut now = NOTHING_YET;
    cells
        .iter()
        .map(|cell| {
            if let Some(v) = cell.value {
                now.value = strict_sum(now.value, v)?;
                now.values += 1;
            }
            now.count = strict_sum(now.count, cell.count)?;
            Some(now)
        })
        .collect()
}

/// The least (`value`) and greatest (`count`) value up to and including each cell.
fn running_extremes(cells: &[Cell]) -> Vec<Running> {
    let mut now = NOTHING_YET;
    let mut step = |cell: &Cell| {
        if let Some(v) = cell.value {
            let first = now.values == 0;
            now.value = if first { v } else { now.value.min(v) };
            now.count = if first { v } else { now.count.max(v) };
            now.values = 1;
        }
        now
    };
    cells.iter().map(&mut step).collect()
}

impl Series {
    /// Slot `slot`'s entries of `all` (`cells` or `running`).
    fn slot<'s, T>(&self, all: &'s [T], slot: usize) -> Option<&'s [T]> {
        let n = self.periods.len();
        all.get(slot * n..(slot + 1) * n)
    }

    /// Whether some period of `first..=last` has rows.
    pub fn has_rows_in(&self, first: i64, last: i64) -> bool {
        let from = self.periods.partition_point(|&p| p < first);
        self.periods.get(from).is_some_and(|&p| p <= last)
    }

    /// Aggregate `func` of slot `slot` over the periods `first..=last`.
    pub fn get(
        &self,
        func: AggFunc,
        slot: usize,
        (first, last): (i64, i64),
    ) -> Result<Found, DataError> {
        let from = self.periods.partition_point(|&p| p < first);
        let to = self.periods.partition_point(|&p| p <= last);
        if from >= to {
            return Ok(Found::NoRows);
        }
        let covered = Covered {
            periods: self.periods.clone(),
            from,
            to,
        };
        let overflow = || DataError::Overflow {
            what: format!("a {} over several periods", func.name()),
        };
        let (mut value, count) = match func {
            AggFunc::Min | AggFunc::Max => (self.extreme(func, slot, from, to), Decimal::ZERO),
            _ => match self.total(slot, from, to) {
                Some(total) => total,
                None => self.walk(slot, from, to).ok_or_else(overflow)?,
            },
        };
        // A top share's cell holds the top rows' sum and, as its count, the total.
        if matches!(func, AggFunc::Avg | AggFunc::TopShare { .. }) {
            value = match value {
                Some(sum) if !count.is_zero() => Some(sum.checked_div(count).ok_or_else(overflow)?),
                _ => None,
            };
        }
        Ok(Found::Value { value, covered })
    }

    /// The sum of the values (none when no cell has one) and of the counts over `from..to`, from
    /// the running totals when they are exact.
    fn total(&self, slot: usize, from: usize, to: usize) -> Option<(Option<Decimal>, Decimal)> {
        let running = self.slot(&self.running, slot)?;
        let end = running[to - 1];
        if end.values == INEXACT.values {
            return None;
        }
        let (value, values, count) = match from {
            0 => (end.value, end.values, end.count),
            _ => {
                let before = running[from - 1];
                (
                    strict_difference(end.value, before.value)?,
                    end.values - before.values,
                    strict_difference(end.count, before.count)?,
                )
            }
        };
        Some(((values > 0).then_some(value), count))
    }

    /// The same, period by period; none when a sum is not exact (beyond the decimal range, or
    /// more digits than it holds, which the decimal type would round).
    fn walk(&self, slot: usize, from: usize, to: usize) -> Option<(Option<Decimal>, Decimal)> {
        let (mut value, mut count): (Option<Decimal>, Decimal) = (None, Decimal::ZERO);
        for cell in &self.slot(&self.cells, slot)?[from..to] {
            count = strict_sum(count, cell.count)?;
            if let Some(v) = cell.value {
                value = Some(match value {
                    None => v,
                    Some(a) => strict_sum(a, v)?,
                });
            }
        }
        Some((value, count))
    }

    /// The least or greatest value over `from..to`: from the running extremes when the window
    /// starts at the first period (`cumulative`), else period by period.
    fn extreme(&self, func: AggFunc, slot: usize, from: usize, to: usize) -> Option<Decimal> {
        let pick = |(lo, hi): (Decimal, Decimal)| match func {
            AggFunc::Min => lo,
            _ => hi,
        };
        if let (0, Some(now)) = (from, self.slot(&self.running, slot)?.get(to - 1)) {
            return (now.values > 0).then(|| pick((now.value, now.count)));
        }
        self.slot(&self.cells, slot)?[from..to]
            .iter()
            .filter_map(|c| c.value)
            .reduce(|a, b| match func {
                AggFunc::Min => a.min(b),
                _ => a.max(b),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    fn cell(v: Option<i64>, count: i64) -> Cell {
        Cell {
            value: v.map(d),
            count: d(count),
        }
    }

    /// Periods 1, 2, 4, 7 of one segment; slot 0 has values 5, none, 3, 10 and counts 1, 1, 2, 4,
    /// kept as a `min` or `max` when `extreme`.
    fn example(extreme: bool) -> Series {
        let rows = [
            (1, vec![cell(Some(5), 1)]),
            (2, vec![cell(None, 1)]),
            (4, vec![cell(Some(3), 2)]),
            (7, vec![cell(Some(10), 4)]),
        ];
        series(&rows, &[extreme])
    }

    fn value(found: Found) -> Option<Decimal> {
        match found {
            Found::Value { value, .. } => value,
            Found::NoRows => panic!("rows expected"),
        }
    }

    #[test]
    fn windows_are_the_sums_extremes_and_averages_of_their_periods() {
        let s = example(false);
        assert_eq!(value(s.get(AggFunc::Sum, 0, (1, 7)).unwrap()), Some(d(18)));
        assert_eq!(value(s.get(AggFunc::Sum, 0, (2, 6)).unwrap()), Some(d(3)));
        // Period 2 has rows and no value: the sum over it alone has no value.
        assert_eq!(value(s.get(AggFunc::Sum, 0, (2, 3)).unwrap()), None);
        assert_eq!(s.get(AggFunc::Sum, 0, (5, 6)).unwrap(), Found::NoRows);
        assert_eq!(s.get(AggFunc::Sum, 0, (8, 90)).unwrap(), Found::NoRows);
        let s = example(true);
        assert_eq!(value(s.get(AggFunc::Min, 0, (1, 7)).unwrap()), Some(d(3)));
        assert_eq!(value(s.get(AggFunc::Max, 0, (2, 4)).unwrap()), Some(d(3)));
        assert_eq!(value(s.get(AggFunc::Max, 0, (-5, 4)).unwrap()), Some(d(5)));
        let s = example(false);
        // (5 + 3 + 10) / (1 + 1 + 2 + 4)
        assert_eq!(
            value(s.get(AggFunc::Avg, 0, (1, 7)).unwrap()),
            Some(Decimal::new(225, 2))
        );
    }

    #[test]
    fn totals_beyond_the_decimal_range_are_summed_period_by_period() {
        let big = Decimal::MAX - d(1);
        let rows = [
            (
                1,
                vec![Cell {
                    value: Some(big),
                    count: d(1),
                }],
            ),
            (
                2,
                vec![Cell {
                    value: Some(big),
                    count: d(1),
                }],
            ),
            (
                3,
                vec![Cell {
                    value: Some(d(-5)),
                    count: d(1),
                }],
            ),
        ];
        let s = series(&rows, &[false]);
        assert!(s.total(0, 0, 1).is_none(), "the running total overflowed");
        assert_eq!(
            value(s.get(AggFunc::Sum, 0, (2, 3)).unwrap()),
            Some(big - d(5))
        );
        assert!(matches!(
            s.get(AggFunc::Sum, 0, (1, 2)),
            Err(DataError::Overflow { .. })
        ));
    }

    #[test]
    fn a_window_sum_that_would_be_rounded_is_an_overflow() {
        // Eight of 9999999999999999.999999999999 need 29 digits: the total was rounded to 11
        // places and shown, where a single period's sum of the same is an overflow.
        let big: Decimal = "9999999999999999.999999999999".parse().unwrap();
        let rows: Vec<(i64, Vec<Cell>)> = (1..=8)
            .map(|p| {
                (
                    p,
                    vec![Cell {
                        value: Some(big),
                        count: d(1),
                    }],
                )
            })
            .collect();
        let s = series(&rows, &[false]);
        assert!(matches!(
            s.get(AggFunc::Sum, 0, (1, 8)),
            Err(DataError::Overflow { .. })
        ));
        assert!(matches!(
            s.get(AggFunc::Sum, 0, (2, 8)),
            Ok(Found::Value { value: Some(_), .. })
        ));
    }

    #[test]
    fn covered_periods_are_counted_once_across_spans() {
        let s = example(false);
        let spans = |frames: &[(i64, i64)]| -> Vec<Covered> {
            frames
                .iter()
                .map(|f| match s.get(AggFunc::Sum, 0, *f).unwrap() {
                    Found::Value { covered, .. } => covered,
                    Found::NoRows => panic!("rows expected"),
                })
                .collect()
        };
        assert_eq!(count_covered(&spans(&[(1, 7)]), (1, 7)), 4);
        assert_eq!(count_covered(&spans(&[(1, 4), (2, 7)]), (1, 7)), 4);
        assert_eq!(count_covered(&spans(&[(1, 4), (2, 7)]), (3, 7)), 2);
        let other = example(false);
        let mut mixed = spans(&[(1, 2)]);
        if let Found::Value { covered, .. } = other.get(AggFunc::Sum, 0, (2, 7)).unwrap() {
            mixed.push(covered);
        }
        assert_eq!(count_covered(&mixed, (1, 7)), 4);
        assert_eq!(count_covered(&[], (1, 7)), 0);
    }
}
