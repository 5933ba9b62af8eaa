//! Owns periods: numbering them at a grain under a gregorian or fiscal calendar, and their names.
//!
//! A period is a whole number. Months are numbered from year 0 (`year * 12 + month - 1`), shifted
//! back by the fiscal start so that a fiscal year's first month is a multiple of 12; quarters and
//! years are that month number divided by 3 or 12, rounded down. A fiscal year is named by the
//! calendar year in which it ends: with `fiscal(start: april)`, April 2026 to March 2027 is FY2027.

use crate::check::model::{Calendar, Grain};
use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub grain: Grain,
    /// First month of the (fiscal) year, 1 = January.
    pub start_month: u32,
}

impl Periods {
    pub fn new(grain: Grain, calendar: Calendar) -> Self {
        let start_month = match calendar {
            Calendar::Gregorian => 1,
            Calendar::Fiscal { start_month } => start_month,
        };
        Periods { grain, start_month }
    }

    fn fiscal(&self) -> bool {
        self.start_month != 1
    }

    /// The month number of a calendar year and month, shifted to the fiscal year.
    pub fn shifted_month(&self, year: i64, month: u32) -> i64 {
        year * 12 + i64::from(month) - 1 - i64::from(self.start_month - 1)
    }

    /// The period a date falls in.
    pub fn of_date(&self, d: NaiveDate) -> i64 {
        self.shifted_month(i64::from(d.year()), d.month())
            .div_euclid(self.grain.months())
    }

    /// The period's name: `2026-05` for months, `2026-Q2` or `FY2027-Q1` for quarters, `2026` or
    /// `FY2027` for years.
    pub fn label(&self, period: i64) -> String {
        match self.grain {
            Grain::Month => {
                let m = period + i64::from(self.start_month - 1);
                format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
            }
            Grain::Quarter => {
                let q = period.rem_euclid(4) + 1;
                format!("{}-Q{q}", self.year_name(period.div_euclid(4)))
            }
            Grain::Year => self.year_name(period),
        }
    }

    /// A (fiscal) year by the number of the calendar year it starts in.
    fn year_name(&self, starts_in: i64) -> String {
        if self.fiscal() {
            format!("FY{}", starts_in + 1)
        } else {
            format!("{starts_in:04}")
        }
    }

    /// Reads a period name as `label` writes it; a date `YYYY-MM-DD` names the period it falls in.
    pub fn parse(&self, text: &str) -> Option<i64> {
        if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some(self.of_date(d));
        }
        let fiscal_year = |t: &str| -> Option<i64> {
            let y: i64 = if self.fiscal() {
                t.strip_prefix("FY")?.parse::<i64>().ok()? - 1
            } else {
                t.parse().ok()?
            };
            (t.len() >= 4).then_some(y)
        };
        match self.grain {
            Grain::Month => {
                let (y, m) = text.split_once('-')?;
                let (y, m): (i64, u32) = (y.parse().ok()?, m.parse().ok()?);
                (y.to_string().len() == 4 && (1..=12).contains(&m))
                    .then(|| self.shifted_month(y, m))
            }
            Grain::Quarter => {
                let (y, q) = text.split_once("-Q")?;
                let q: i64 = q.parse().ok()?;
                (1..=4).contains(&q).then_some(fiscal_year(y)? * 4 + q - 1)
            }
            Grain::Year => fiscal_year(text),
        }
    }

    /// What a period name looks like at this grain, for messages.
    pub fn example(&self) -> &'static str {
        match (self.grain, self.fiscal()) {
            (Grain::Month, _) => "2026-05",
            (Grain::Quarter, false) => "2026-Q2",
            (Grain::Quarter, true) => "FY2027-Q1",
            (Grain::Year, false) => "2026",
            (Grain::Year, true) => "FY2027",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn gregorian_names() {
        let m = Periods::new(Grain::Month, Calendar::Gregorian);
        assert_eq!(m.label(m.of_date(d("2026-05-31"))), "2026-05");
        let q = Periods::new(Grain::Quarter, Calendar::Gregorian);
        assert_eq!(q.label(q.of_date(d("2026-05-31"))), "2026-Q2");
        assert_eq!(q.label(q.of_date(d("2026-01-01"))), "2026-Q1");
        let y = Periods::new(Grain::Year, Calendar::Gregorian);
        assert_eq!(y.label(y.of_date(d("2026-12-31"))), "2026");
    }

    #[test]
    fn fiscal_year_is_named_by_the_year_it_ends() {
        let fiscal = Calendar::Fiscal { start_month: 4 };
        let q = Periods::new(Grain::Quarter, fiscal);
        // April to June 2026 is the first quarter of the year ending March 2027.
        assert_eq!(q.label(q.of_date(d("2026-04-01"))), "FY2027-Q1");
        assert_eq!(q.label(q.of_date(d("2026-03-31"))), "FY2026-Q4");
        assert_eq!(q.label(q.of_date(d("2027-01-15"))), "FY2027-Q4");
        let y = Periods::new(Grain::Year, fiscal);
        assert_eq!(y.label(y.of_date(d("2026-04-01"))), "FY2027");
        assert_eq!(y.label(y.of_date(d("2026-03-31"))), "FY2026");
        let m = Periods::new(Grain::Month, fiscal);
        assert_eq!(m.label(m.of_date(d("2026-04-09"))), "2026-04");
    }

    #[test]
    fn names_read_back() {
        for (grain, cal) in [
            (Grain::Month, Calendar::Gregorian),
            (Grain::Quarter, Calendar::Gregorian),
            (Grain::Year, Calendar::Gregorian),
            (Grain::Month, Calendar::Fiscal { start_month: 7 }),
            (Grain::Quarter, Calendar::Fiscal { start_month: 7 }),
            (Grain::Year, Calendar::Fiscal { start_month: 7 }),
        ] {
            let p = Periods::new(grain, cal);
            for period in [p.of_date(d("2025-07-01")), p.of_date(d("2026-02-28"))] {
                assert_eq!(p.parse(&p.label(period)), Some(period), "{grain:?} {cal:?}");
            }
        }
        let q = Periods::new(Grain::Quarter, Calendar::Gregorian);
        assert_eq!(q.parse("2026-Q5"), None);
        assert_eq!(q.parse("2026-06-30"), q.parse("2026-Q2"));
    }
}
