//! Owns periods: numbering them at a grain under a gregorian, fiscal or retail calendar, their first
//! and last days, their names, and the year each belongs to.
//!
//! A period is a whole number at its grain. Days count from 1970-01-01; weeks count 7-day blocks
//! starting on the week's first weekday; months, quarters and years of a gregorian or fiscal calendar
//! count from year 0, shifted by the fiscal start; months, quarters and years of a retail calendar
//! count from the retail year's number. Names: see `label`.

mod retail;

pub use retail::Retail;

use crate::{Calendar, Grain, Header, YearName};
use chrono::{Datelike, Days, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Periods {
    pub grain: Grain,
    kind: Kind,
    /// First day of a week (gregorian and fiscal calendars; a retail week starts after its end day).
    week_start: Weekday,
    year_name: YearName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// Gregorian (`start_month` 1) or fiscal years of whole calendar months.
    Months {
        start_month: u32,
    },
    Retail(Retail),
}

/// How many numbers `Periods::parameters` gives.
pub const PARAMETERS: usize = 10;

/// 1970-01-01 was a Thursday: 3 days after Monday.
const EPOCH_WEEKDAY: i64 = 3;

/// The first day the engine takes, in data, options and period names: years 1 to 9999, the
/// range of SQL's DATE, of Excel and of ISO 8601's four-digit years. Inside it, every period's
/// first and last day, the year before and the year after are days chrono can hold, so no
/// calendar arithmetic can fail.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The last day the engine takes (see `FIRST_DAY`).
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// The supported days, as messages say them.
pub const SUPPORTED: &str = "from 0001-01-01 to 9999-12-31";

/// Whether the engine takes this day (see `FIRST_DAY`).
pub fn supported(d: NaiveDate) -> bool {
    (FIRST_DAY..=LAST_DAY).contains(&d)
}

impl Periods {
    pub fn of(header: &Header) -> Self {
        Periods::new(
            header.grain,
            header.calendar,
            header.week_start,
            header.year_name,
        )
    }

    /// `week_start` is 0 (Monday) to 6 (Sunday); retail weeks start after the year's end weekday.
    pub fn new(grain: Grain, calendar: Calendar, week_start: u32, year_name: YearName) -> Self {
        let kind = match calendar {
            Calendar::Gregorian => Kind::Months { start_month: 1 },
            Calendar::Fiscal { start_month } => Kind::Months { start_month },
            Calendar::Retail {
                pattern,
                end_weekday,
                end_month,
            } => Kind::Retail(Retail {
                pattern,
                end_weekday: weekday(end_weekday),
                end_month,
            }),
        };
        let week_start = match kind {
            Kind::Retail(r) => r.end_weekday.succ(),
            Kind::Months { .. } => weekday(week_start),
        };
        Periods {
            grain,
            kind,
            week_start,
            year_name,
        }
    }

    /// The calendar as whole numbers, so that a query can carry it as literal arguments to the
    /// period function (which an executor of a cluster rebuilds it from, `from_parameters`).
    pub fn parameters(&self) -> [i64; PARAMETERS] {
        let grain = match self.grain {
            Grain::Day => 0,
            Grain::Week => 1,
            Grain::Month => 2,
            Grain::Quarter => 3,
            Grain::Year => 4,
        };
        let (kind, start_month, [a, b, c], end_weekday, end_month) = match self.kind {
            Kind::Months { start_month } => (0, start_month, [0; 3], 0, 0),
            Kind::Retail(r) => (
                1,
                0,
                r.pattern,
                r.end_weekday.num_days_from_monday(),
                r.end_month,
            ),
        };
        let year_name = match self.year_name {
            YearName::End => 0,
            YearName::Start => 1,
        };
        [
            grain,
            kind,
            i64::from(start_month),
            i64::from(a),
            i64::from(b),
            i64::from(c),
            i64::from(end_weekday),
            i64::from(end_month),
            i64::from(self.week_start.num_days_from_monday()),
            year_name,
        ]
    }

    /// The calendar `parameters` gave; `None` for numbers it never gives.
    pub fn from_parameters(p: &[i64]) -> Option<Periods> {
        let small = |i: usize, max: i64| {
            p.get(i)
                .copied()
                .filter(|v| (0..=max).contains(v))
                .map(|v| v as u32)
        };
        let grain = match small(0, 4)? {
            0 => Grain::Day,
            1 => Grain::Week,
            2 => Grain::Month,
            3 => Grain::Quarter,
            _ => Grain::Year,
        };
        let kind = match small(1, 1)? {
            0 => Kind::Months {
                start_month: small(2, 12)?.max(1),
            },
            _ => Kind::Retail(Retail {
                pattern: [small(3, 5)?, small(4, 5)?, small(5, 5)?],
                end_weekday: weekday(small(6, 6)?),
                end_month: small(7, 12)?.max(1),
            }),
        };
        let year_name = match small(9, 1)? {
            0 => YearName::End,
            _ => YearName::Start,
        };
        Some(Periods {
            grain,
            kind,
            week_start: weekday(small(8, 6)?),
            year_name,
        })
    }

    /// The same calendar at another grain.
    pub fn at_grain(&self, grain: Grain) -> Periods {
        Periods { grain, ..*self }
    }

    fn fiscal(&self) -> bool {
        !matches!(self.kind, Kind::Months { start_month: 1 })
    }

    /// The period a date falls in.
    pub fn of_date(&self, d: NaiveDate) -> i64 {
        let day = days(d);
        match (self.grain, self.kind) {
            (Grain::Day, _) => day,
            (Grain::Week, _) => {
                let ws = i64::from(self.week_start.num_days_from_monday());
                (day + EPOCH_WEEKDAY - ws).div_euclid(7)
            }
            (g, Kind::Months { start_month }) => {
                let shifted =
                    i64::from(d.year()) * 12 + i64::from(d.month()) - i64::from(start_month);
                shifted.div_euclid(g.months())
            }
            (g, Kind::Retail(r)) => {
                let y = r.year_of(d);
                let week = ((d - r.year_start(y)).num_days() / 7) as u32;
                let month = i64::from(y) * 12 + i64::from(r.month_of_week(y, week));
                month.div_euclid(g.months())
            }
        }
    }

    /// The first and last day of a period.
    pub fn bounds(&self, p: i64) -> (NaiveDate, NaiveDate) {
        match (self.grain, self.kind) {
            (Grain::Day, _) => (date(p), date(p)),
            (Grain::Week, _) => {
                let ws = i64::from(self.week_start.num_days_from_monday());
                let first = 7 * p - EPOCH_WEEKDAY + ws;
                (date(first), date(first + 6))
            }
            (g, Kind::Months { start_month }) => {
                let first = |q: i64| {
                    let m = q * g.months() + i64::from(start_month) - 1;
                    NaiveDate::from_ymd_opt(m.div_euclid(12) as i32, m.rem_euclid(12) as u32 + 1, 1)
                        .unwrap_or(NaiveDate::MIN)
                };
                (first(p), day_before(first(p + 1)))
            }
            (g, Kind::Retail(r)) => {
                let months = g.months();
                let (y, m) = (
                    (p * months).div_euclid(12) as i32,
                    (p * months).rem_euclid(12) as u32,
                );
                let start = r.year_start(y) + Days::new(7 * u64::from(r.first_week_of_month(y, m)));
                let weeks: u32 = r.month_weeks(y)
                    [m as usize..(m as usize + months as usize).min(12)]
                    .iter()
                    .sum();
                (start, start + Days::new(7 * u64::from(weeks) - 1))
            }
        }
    }

    /// The day that decides which year a period belongs to: its first day, or for weeks of a
    /// gregorian or fiscal calendar its fourth day (so week 1 is the week holding the year's fourth
    /// day, as in ISO 8601).
    fn anchor(&self, p: i64) -> NaiveDate {
        let first = self.bounds(p).0;
        match (self.grain, self.kind) {
            (Grain::Week, Kind::Months { .. }) => first + Days::new(3),
            _ => first,
        }
    }

    /// The year a period belongs to, numbered internally (see `year_label`).
    pub fn year_of(&self, p: i64) -> i64 {
        let d = self.anchor(p);
        match self.kind {
            Kind::Months { start_month } => (i64::from(d.year()) * 12 + i64::from(d.month())
                - i64::from(start_month))
            .div_euclid(12),
            Kind::Retail(r) => i64::from(r.year_of(d)),
        }
    }

    /// The first day of year `y`.
    fn year_first_day(&self, y: i64) -> NaiveDate {
        match self.kind {
            Kind::Months { start_month } => {
                NaiveDate::from_ymd_opt(y as i32, start_month, 1).unwrap_or(NaiveDate::MIN)
            }
            Kind::Retail(r) => r.year_start(y as i32),
        }
    }

    /// The first period (at this grain) of year `y`.
    pub fn first_of_year(&self, y: i64) -> i64 {
        let first = self.year_first_day(y);
        match (self.grain, self.kind) {
            (Grain::Week, Kind::Months { .. }) => self.of_date(first + Days::new(3)),
            _ => self.of_date(first),
        }
    }

    /// Whether periods of this grain nest in periods of `container`, so that a to-date window over
    /// them is defined: days nest in everything; weeks of a retail calendar nest in its months,
    /// quarters and years, but weeks of a gregorian or fiscal calendar only belong to years.
    pub fn nests_in(&self, container: Grain) -> bool {
        let rank = |g: Grain| match g {
            Grain::Day => 0,
            Grain::Week => 1,
            Grain::Month => 2,
            Grain::Quarter => 3,
            Grain::Year => 4,
        };
        if rank(container) <= rank(self.grain) {
            return false;
        }
        !(self.grain == Grain::Week
            && matches!(self.kind, Kind::Months { .. })
            && container != Grain::Year)
    }

    /// The first period (at this grain) of the year, quarter or month that holds `p`.
    pub fn start_of(&self, p: i64, container: Grain) -> i64 {
        if container == Grain::Year {
            return self.first_of_year(self.year_of(p));
        }
        let outer = Periods {
            grain: container,
            ..*self
        };
        let first_day = outer.bounds(outer.of_date(self.bounds(p).0)).0;
        self.of_date(first_day)
    }

    /// The same period one year earlier, or `None` when there is none.
    ///
    /// Months, quarters and years step back 12 months, 4 quarters or a year (in a retail calendar, the
    /// same numbered month or quarter). Days step back to the same date (29 February to 28
    /// February); in a retail calendar, to the same weekday of the matching week. Weeks step back
    /// to the same week number; week 53 of a gregorian or fiscal year has none. In a retail calendar
    /// the NRF rule applies: a 53-week year leaves out its first week, so its week `w` compares with
    /// week `w − 1` of the year before (week 1 has none), and the year after a 53-week year
    /// compares week `w` with week `w + 1` of it.
    pub fn year_ago(&self, p: i64) -> Option<i64> {
        match (self.grain, self.kind) {
            (Grain::Month | Grain::Quarter | Grain::Year, _) => Some(p - 12 / self.grain.months()),
            (Grain::Day, Kind::Months { .. }) => {
                let d = self.bounds(p).0;
                let back = d
                    .with_year(d.year() - 1)
                    .or_else(|| d.pred_opt()?.with_year(d.year() - 1))?;
                Some(self.of_date(back))
            }
            (Grain::Week, Kind::Months { .. }) => {
                let y = self.year_of(p);
                let candidate = self.first_of_year(y - 1) + (p - self.first_of_year(y));
                (self.year_of(candidate) == y - 1).then_some(candidate)
            }
            (Grain::Week | Grain::Day, Kind::Retail(r)) => {
                let d = self.bounds(p).0;
                let y = r.year_of(d);
                let offset = (d - r.year_start(y)).num_days();
                let (week, day) = (offset / 7, offset % 7);
                let earlier = if r.weeks_in(y) == 53 {
                    if week == 0 {
                        return None;
                    }
                    week - 1
                } else if r.weeks_in(y - 1) == 53 {
                    week + 1
                } else {
                    week
                };
                let back = r.year_start(y - 1) + Days::new((earlier * 7 + day) as u64);
                Some(self.of_date(back))
            }
        }
    }

    /// A year's name: `2026` for gregorian years, `FY2027` for fiscal and retail years, named by the
    /// calendar year in which they end (or start, with `name: start`).
    pub fn year_label(&self, y: i64) -> String {
        match self.kind {
            Kind::Months { .. } if !self.fiscal() => format!("{y:04}"),
            Kind::Months { .. } => match self.year_name {
                YearName::End => format!("FY{}", y + 1),
                YearName::Start => format!("FY{y}"),
            },
            Kind::Retail(r) => match self.year_name {
                YearName::End => format!("FY{y}"),
                YearName::Start => format!("FY{}", r.year_start(y as i32).year()),
            },
        }
    }

    /// The period's name: days `2026-05-03`; weeks `2026-W19` (`FY2024-W05` for fiscal and retail);
    /// months `2026-05` (`FY2024-P05` for retail); quarters `2026-Q2` or `FY2027-Q1`; years `2026`
    /// or `FY2027`.
    pub fn label(&self, p: i64) -> String {
        let y = self.year_of(p);
        let position = p - self.first_of_year(y) + 1;
        match (self.grain, self.kind) {
            (Grain::Day, _) => self.bounds(p).0.format("%Y-%m-%d").to_string(),
            (Grain::Week, _) => format!("{}-W{position:02}", self.year_label(y)),
            (Grain::Month, Kind::Months { .. }) => self.bounds(p).0.format("%Y-%m").to_string(),
            (Grain::Month, Kind::Retail(_)) => format!("{}-P{position:02}", self.year_label(y)),
            (Grain::Quarter, _) => format!("{}-Q{position}", self.year_label(y)),
            (Grain::Year, _) => self.year_label(y),
        }
    }

    /// Reads a period name as `label` writes it; a date `YYYY-MM-DD` names the period it falls in.
    /// Only periods of supported days (`supported`) are read.
    pub fn parse(&self, text: &str) -> Option<i64> {
        if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return supported(d).then(|| self.of_date(d));
        }
        if self.grain == Grain::Month && matches!(self.kind, Kind::Months { .. }) {
            let d = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
            return (supported(d) && self.label(self.of_date(d)) == text).then(|| self.of_date(d));
        }
        // Every other name is a year followed by a position in it: find the year, then check that
        // the candidate period prints back as written.
        let (year_text, position) = match self.grain {
            Grain::Year => (text, 1),
            Grain::Day | Grain::Month => {
                let (y, n) = text.split_once("-P")?;
                (y, n.parse::<i64>().ok()?)
            }
            Grain::Quarter => {
                let (y, n) = text.split_once("-Q")?;
                (y, n.parse::<i64>().ok()?)
            }
            Grain::Week => {
                let (y, n) = text.split_once("-W")?;
                (y, n.parse::<i64>().ok()?)
            }
        };
        let digits: i64 = year_text
            .strip_prefix("FY")
            .unwrap_or(year_text)
            .parse()
            .ok()?;
        if position < 1 || !(1..=9999).contains(&digits) {
            return None;
        }
        let found = (digits - 2..=digits + 1).find_map(|y| {
            let candidate = self.first_of_year(y) + position - 1;
            (self.label(candidate) == text).then_some(candidate)
        })?;
        let (first, last) = self.bounds(found);
        (supported(first) && supported(last)).then_some(found)
    }

    /// What a period name looks like at this grain, for messages.
    pub fn example(&self) -> String {
        self.label(self.of_date(NaiveDate::from_ymd_opt(2026, 5, 4).unwrap_or(NaiveDate::MIN)))
    }
}

/// The grain and the calendar as a scorecard writes them, such as `week(start: sunday)` and
/// `retail_454(end_day: saturday, end_month: january, name: start)`.
pub fn written(h: &Header) -> (String, String) {
    let grain = match (h.grain, h.calendar) {
        (Grain::Week, Calendar::Gregorian | Calendar::Fiscal { .. }) if h.week_start != 0 => {
            format!("week(start: {})", weekday_name(h.week_start))
        }
        (g, _) => g.name().to_string(),
    };
    let named = if h.year_name == YearName::Start {
        ", name: start"
    } else {
        ""
    };
    let calendar = match h.calendar {
        Calendar::Gregorian => "gregorian".to_string(),
        Calendar::Fiscal { start_month } => {
            format!("fiscal(start: {}{named})", month_name(start_month))
        }
        Calendar::Retail {
            pattern,
            end_weekday,
            end_month,
        } => format!(
            "retail_{}{}{}(end_day: {}, end_month: {}{named})",
            pattern[0],
            pattern[1],
            pattern[2],
            weekday_name(end_weekday),
            month_name(end_month)
        ),
    };
    (grain, calendar)
}

fn weekday_name(n: u32) -> &'static str {
    WEEKDAYS.get(n as usize % 7).copied().unwrap_or("monday")
}

pub fn days(d: NaiveDate) -> i64 {
    (d - NaiveDate::default()).num_days()
}

/// The day before `d`, or `d` itself at the first day chrono holds (never reached from supported
/// days; it keeps the arithmetic total).
fn day_before(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(1)).unwrap_or(d)
}

/// The date `day` days after 1970-01-01.
pub fn date(day: i64) -> NaiveDate {
    NaiveDate::default()
        .checked_add_signed(chrono::TimeDelta::days(day))
        .unwrap_or(NaiveDate::MIN)
}

/// A weekday from 0 (Monday) to 6 (Sunday).
pub fn weekday(n: u32) -> Weekday {
    Weekday::try_from((n % 7) as u8).unwrap_or(Weekday::Mon)
}

#[cfg(test)]
mod tests;

pub const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

pub const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The English name of a month, 1 = January.
pub fn month_name(month: u32) -> &'static str {
    MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("january")
}
