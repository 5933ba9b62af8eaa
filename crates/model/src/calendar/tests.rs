//! Calendar tests; every expected date was worked out by hand from a wall calendar or the NRF's
//! published 4-5-4 calendar.

use super::*;
use crate::{Calendar, Grain, YearName};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn p(grain: Grain, calendar: Calendar) -> Periods {
    Periods::new(grain, calendar, 0, YearName::End)
}

const NRF: Calendar = Calendar::Retail {
    pattern: [4, 5, 4],
    end_weekday: 5,
    end_month: 1,
};

#[test]
fn gregorian_names() {
    let m = p(Grain::Month, Calendar::Gregorian);
    assert_eq!(m.label(m.of_date(d("2026-05-31"))), "2026-05");
    let q = p(Grain::Quarter, Calendar::Gregorian);
    assert_eq!(q.label(q.of_date(d("2026-05-31"))), "2026-Q2");
    assert_eq!(q.label(q.of_date(d("2026-01-01"))), "2026-Q1");
    assert_eq!(
        q.bounds(q.of_date(d("2026-05-31"))),
        (d("2026-04-01"), d("2026-06-30"))
    );
    let y = p(Grain::Year, Calendar::Gregorian);
    assert_eq!(y.label(y.of_date(d("2026-12-31"))), "2026");
    let day = p(Grain::Day, Calendar::Gregorian);
    assert_eq!(day.label(day.of_date(d("2024-02-29"))), "2024-02-29");
}

#[test]
fn fiscal_year_is_named_by_the_year_it_ends() {
    let fiscal = Calendar::Fiscal { start_month: 4 };
    let q = p(Grain::Quarter, fiscal);
    // April to June 2026 is the first quarter of the year ending March 2027.
    assert_eq!(q.label(q.of_date(d("2026-04-01"))), "FY2027-Q1");
    assert_eq!(q.label(q.of_date(d("2026-03-31"))), "FY2026-Q4");
    assert_eq!(q.label(q.of_date(d("2027-01-15"))), "FY2027-Q4");
    let y = p(Grain::Year, fiscal);
    assert_eq!(y.label(y.of_date(d("2026-04-01"))), "FY2027");
    assert_eq!(y.label(y.of_date(d("2026-03-31"))), "FY2026");
    assert_eq!(
        y.bounds(y.of_date(d("2026-04-01"))),
        (d("2026-04-01"), d("2027-03-31"))
    );
    let named_by_start = Periods::new(Grain::Year, fiscal, 0, YearName::Start);
    assert_eq!(
        named_by_start.label(named_by_start.of_date(d("2026-04-01"))),
        "FY2026"
    );
    let m = p(Grain::Month, fiscal);
    assert_eq!(m.label(m.of_date(d("2026-04-09"))), "2026-04");
}

#[test]
fn gregorian_weeks_are_iso_weeks_when_they_start_on_monday() {
    let w = p(Grain::Week, Calendar::Gregorian);
    // ISO 8601: 2026-01-01 (a Thursday) is in 2026-W01, which runs Monday 2025-12-29 to 2026-01-04;
    // 2021-01-03 (a Sunday) is in 2020-W53; 2024-12-30 (a Monday) is in 2025-W01.
    assert_eq!(w.label(w.of_date(d("2026-01-01"))), "2026-W01");
    assert_eq!(
        w.bounds(w.of_date(d("2026-01-01"))),
        (d("2025-12-29"), d("2026-01-04"))
    );
    assert_eq!(w.label(w.of_date(d("2021-01-03"))), "2020-W53");
    assert_eq!(w.label(w.of_date(d("2024-12-30"))), "2025-W01");
    // Weeks starting on Sunday: 2026-05-03 is a Sunday and starts its own week.
    let sunday = Periods::new(Grain::Week, Calendar::Gregorian, 6, YearName::End);
    assert_eq!(
        sunday.bounds(sunday.of_date(d("2026-05-09"))),
        (d("2026-05-03"), d("2026-05-09"))
    );
}

#[test]
fn nrf_454_calendar_periods() {
    // NRF fiscal 2023 (named here FY2024, the year it ends in): 2023-01-29 to 2024-02-03, 53 weeks;
    // February is 4 weeks (Jan 29 to Feb 25), March 5 weeks (Feb 26 to Apr 1), and January, with
    // the 53rd week, 5 weeks (Dec 31 to Feb 3).
    let m = p(Grain::Month, NRF);
    let feb = m.of_date(d("2023-02-10"));
    assert_eq!(m.label(feb), "FY2024-P01");
    assert_eq!(m.bounds(feb), (d("2023-01-29"), d("2023-02-25")));
    assert_eq!(m.bounds(feb + 1), (d("2023-02-26"), d("2023-04-01")));
    assert_eq!(m.label(m.of_date(d("2024-02-03"))), "FY2024-P12");
    assert_eq!(
        m.bounds(m.of_date(d("2024-02-03"))),
        (d("2023-12-31"), d("2024-02-03"))
    );
    let q = p(Grain::Quarter, NRF);
    assert_eq!(
        q.bounds(q.of_date(d("2023-05-01"))),
        (d("2023-04-30"), d("2023-07-29"))
    );
    let w = p(Grain::Week, NRF);
    assert_eq!(w.label(w.of_date(d("2024-02-03"))), "FY2024-W53");
    assert_eq!(w.label(w.of_date(d("2024-02-04"))), "FY2025-W01");
    assert_eq!(
        w.bounds(w.of_date(d("2024-02-04"))),
        (d("2024-02-04"), d("2024-02-10"))
    );
    let named_by_start = Periods::new(Grain::Year, NRF, 0, YearName::Start);
    assert_eq!(
        named_by_start.label(named_by_start.of_date(d("2023-06-01"))),
        "FY2023"
    );
    // 4-4-5: the first quarter's months are 4, 4 and 5 weeks.
    let m445 = p(
        Grain::Month,
        Calendar::Retail {
            pattern: [4, 4, 5],
            end_weekday: 5,
            end_month: 1,
        },
    );
    let first = m445.of_date(d("2023-01-29"));
    assert_eq!(m445.bounds(first + 2), (d("2023-03-26"), d("2023-04-29")));
}

#[test]
fn names_read_back() {
    let calendars = [
        Calendar::Gregorian,
        Calendar::Fiscal { start_month: 7 },
        NRF,
    ];
    let grains = [
        Grain::Day,
        Grain::Week,
        Grain::Month,
        Grain::Quarter,
        Grain::Year,
    ];
    for cal in calendars {
        for grain in grains {
            for name in [YearName::End, YearName::Start] {
                let p = Periods::new(grain, cal, 0, name);
                for day in [
                    "2024-02-03",
                    "2024-02-04",
                    "2025-07-01",
                    "2026-02-28",
                    "2020-12-31",
                ] {
                    let period = p.of_date(d(day));
                    assert_eq!(
                        p.parse(&p.label(period)),
                        Some(period),
                        "{grain:?} {cal:?} {name:?} {day}"
                    );
                    let (first, last) = p.bounds(period);
                    assert!(first <= d(day) && d(day) <= last, "{grain:?} {cal:?} {day}");
                    assert_eq!(p.of_date(first), period);
                    assert_eq!(p.of_date(last), period);
                }
            }
        }
    }
    let q = p(Grain::Quarter, Calendar::Gregorian);
    assert_eq!(q.parse("2026-Q5"), None);
    assert_eq!(q.parse("2026-06-30"), q.parse("2026-Q2"));
}

#[test]
fn the_names_in_docs_language_md() {
    // 2026-05-03 is a Sunday. ISO week 18 (Python's isocalendar agrees). Fiscal year from April:
    // FY2027 starts Wednesday 2026-04-01, its week 1 holds the 4th (Mon 03-30 to Sun 04-05), so the
    // week of Mon 04-27 is week 5. Retail (NRF): FY2027 starts 2026-02-01 (Saturday 2026-01-31 ended
    // FY2026); 2026-05-03 is 91 days in, week 14, in the 4th month (4 + 5 + 4 weeks before it), Q2.
    let day = d("2026-05-03");
    let names = |cal| -> Vec<String> {
        [
            Grain::Day,
            Grain::Week,
            Grain::Month,
            Grain::Quarter,
            Grain::Year,
        ]
        .into_iter()
        .map(|g| {
            let p = p(g, cal);
            p.label(p.of_date(day))
        })
        .collect()
    };
    assert_eq!(
        names(Calendar::Gregorian),
        ["2026-05-03", "2026-W18", "2026-05", "2026-Q2", "2026"]
    );
    assert_eq!(
        names(Calendar::Fiscal { start_month: 4 }),
        ["2026-05-03", "FY2027-W05", "2026-05", "FY2027-Q1", "FY2027"]
    );
    assert_eq!(
        names(NRF),
        [
            "2026-05-03",
            "FY2027-W14",
            "FY2027-P04",
            "FY2027-Q2",
            "FY2027"
        ]
    );
}

#[test]
fn to_date_windows_start_where_their_container_does() {
    let m = p(Grain::Month, Calendar::Fiscal { start_month: 4 });
    let may = m.of_date(d("2026-05-15"));
    assert_eq!(m.label(m.start_of(may, Grain::Year)), "2026-04");
    assert_eq!(m.label(m.start_of(may, Grain::Quarter)), "2026-04");
    let day = p(Grain::Day, Calendar::Gregorian);
    assert_eq!(
        day.label(day.start_of(day.of_date(d("2024-03-01")), Grain::Month)),
        "2024-03-01"
    );
    assert_eq!(
        day.label(day.start_of(day.of_date(d("2024-03-01")), Grain::Quarter)),
        "2024-01-01"
    );
    // Retail weeks nest in retail months: week 14 of FY2027 (from 2026-05-03) starts P04.
    let w = p(Grain::Week, NRF);
    assert!(w.nests_in(Grain::Month));
    assert_eq!(
        w.label(w.start_of(w.of_date(d("2026-05-03")), Grain::Month)),
        "FY2027-W14"
    );
    // Gregorian weeks do not nest in months.
    assert!(!p(Grain::Week, Calendar::Gregorian).nests_in(Grain::Month));
    assert!(p(Grain::Week, Calendar::Gregorian).nests_in(Grain::Year));
    assert!(!m.nests_in(Grain::Month));
}

#[test]
fn same_period_last_year() {
    let m = p(Grain::Month, Calendar::Gregorian);
    assert_eq!(
        m.year_ago(m.of_date(d("2026-05-01"))).map(|x| m.label(x)),
        Some("2025-05".into())
    );
    let day = p(Grain::Day, Calendar::Gregorian);
    assert_eq!(
        day.year_ago(day.of_date(d("2024-02-29")))
            .map(|x| day.label(x)),
        Some("2023-02-28".into())
    );
    let w = p(Grain::Week, Calendar::Gregorian);
    // 2020 had 53 ISO weeks; 2019 did not.
    assert_eq!(
        w.year_ago(w.parse("2021-W10").unwrap()).map(|x| w.label(x)),
        Some("2020-W10".into())
    );
    assert_eq!(w.year_ago(w.parse("2020-W53").unwrap()), None);
    // NRF: FY2024 (2023-01-29 to 2024-02-03) has 53 weeks. Its week 1 has no comparison; its week 2
    // compares with week 1 of FY2023; in FY2025 (after it) week 1 compares with week 2 of FY2024.
    let r = p(Grain::Week, NRF);
    assert_eq!(r.year_ago(r.parse("FY2024-W01").unwrap()), None);
    assert_eq!(
        r.year_ago(r.parse("FY2024-W02").unwrap())
            .map(|x| r.label(x)),
        Some("FY2023-W01".into())
    );
    assert_eq!(
        r.year_ago(r.parse("FY2025-W01").unwrap())
            .map(|x| r.label(x)),
        Some("FY2024-W02".into())
    );
    assert_eq!(
        r.year_ago(r.parse("FY2026-W05").unwrap())
            .map(|x| r.label(x)),
        Some("FY2025-W05".into())
    );
    // Retail months compare by number, whatever the weeks: FY2025-P12 with FY2024-P12.
    let rm = p(Grain::Month, NRF);
    assert_eq!(
        rm.year_ago(rm.parse("FY2025-P12").unwrap())
            .map(|x| rm.label(x)),
        Some("FY2024-P12".into())
    );
}

#[test]
fn period_table_of_a_53_week_445_year() {
    // A 4-4-5 year ending on the Saturday nearest the end of January: FY2024 runs 2023-01-29 to
    // 2024-02-03 (53 weeks), so its last month has 5 + 1 = 6 weeks. Worked by hand and checked by
    // adding weeks with Python's datetime.
    let expected = [
        ("FY2024-P01", "2023-01-29", "2023-02-25"),
        ("FY2024-P02", "2023-02-26", "2023-03-25"),
        ("FY2024-P03", "2023-03-26", "2023-04-29"),
        ("FY2024-P04", "2023-04-30", "2023-05-27"),
        ("FY2024-P05", "2023-05-28", "2023-06-24"),
        ("FY2024-P06", "2023-06-25", "2023-07-29"),
        ("FY2024-P07", "2023-07-30", "2023-08-26"),
        ("FY2024-P08", "2023-08-27", "2023-09-23"),
        ("FY2024-P09", "2023-09-24", "2023-10-28"),
        ("FY2024-P10", "2023-10-29", "2023-11-25"),
        ("FY2024-P11", "2023-11-26", "2023-12-23"),
        ("FY2024-P12", "2023-12-24", "2024-02-03"),
    ];
    let m = p(
        Grain::Month,
        Calendar::Retail {
            pattern: [4, 4, 5],
            end_weekday: 5,
            end_month: 1,
        },
    );
    let first = m.of_date(d("2023-01-29"));
    for (i, (name, start, end)) in expected.iter().enumerate() {
        let period = first + i as i64;
        assert_eq!(
            (m.label(period).as_str(), m.bounds(period)),
            (*name, (d(start), d(end)))
        );
    }
    assert_eq!(m.label(first + 12), "FY2025-P01");
}

#[test]
fn same_day_last_year_in_a_retail_calendar() {
    // Mondays, NRF 4-5-4. FY2024 (53 weeks) starts Sunday 2023-01-29: Monday 2023-02-06 is in its week
    // 2, which compares with week 1 of FY2023 (from 2022-01-30): Monday 2022-01-31. FY2025, after the
    // 53-week year, starts 2024-02-04: Monday 2024-02-05 (week 1) compares with week 2 of FY2024:
    // Monday 2023-02-06. FY2026 starts 2025-02-02: Monday 2025-02-03 compares with week 1 of FY2025:
    // Monday 2024-02-05.
    let r = p(Grain::Day, NRF);
    let back = |day: &str| r.year_ago(r.of_date(d(day))).map(|x| r.label(x));
    assert_eq!(back("2023-02-06"), Some("2022-01-31".into()));
    assert_eq!(back("2024-02-05"), Some("2023-02-06".into()));
    assert_eq!(back("2025-02-03"), Some("2024-02-05".into()));
    // Week 1 of the 53-week year has no comparison.
    assert_eq!(back("2023-01-30"), None);
}

#[test]
fn parameters_give_back_the_same_calendar() {
    let calendars = [
        Calendar::Gregorian,
        Calendar::Fiscal { start_month: 4 },
        NRF,
        Calendar::Retail {
            pattern: [5, 4, 4],
            end_weekday: 6,
            end_month: 12,
        },
    ];
    for grain in [
        Grain::Day,
        Grain::Week,
        Grain::Month,
        Grain::Quarter,
        Grain::Year,
    ] {
        for calendar in calendars {
            for (week_start, year_name) in [(0, YearName::End), (6, YearName::Start)] {
                let periods = Periods::new(grain, calendar, week_start, year_name);
                let again = Periods::from_parameters(&periods.parameters());
                assert_eq!(again, Some(periods), "{grain:?} {calendar:?}");
            }
        }
    }
    // Numbers no calendar gives are refused, not guessed.
    let mut wrong = p(Grain::Month, Calendar::Gregorian).parameters();
    wrong[0] = 5;
    assert_eq!(Periods::from_parameters(&wrong), None);
    assert_eq!(Periods::from_parameters(&wrong[..3]), None);
}
