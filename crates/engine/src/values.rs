//! Owns reading one text field as a declared type, strictly: a value that does not fit is refused with
//! the reason, never rounded, truncated or guessed.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use scorecard_model::zone::Zone;

/// Why a field does not fit its type, and what the user can do.
#[derive(Debug, Clone, PartialEq)]
pub struct Misfit {
    pub expected: String,
    pub hint: Option<String>,
}

fn misfit(expected: impl Into<String>, hint: Option<&str>) -> Misfit {
    Misfit {
        expected: expected.into(),
        hint: hint.map(str::to_string),
    }
}

/// An exact decimal as a whole number of `10^-scale` units, within `precision` digits.
pub fn decimal(text: &str, precision: u32, scale: u32) -> Result<i128, Misfit> {
    let expected = || format!("a decimal number with at most {scale} decimal places");
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !all_digits(whole) || !all_digits(frac) {
        let hint = if t.contains(',') {
            Some("write numbers without thousands separators, with `.` as the decimal point")
        } else if t.contains(['e', 'E']) {
            Some("write the number out in full: exponents such as 1e6 are not exact decimals")
        } else if t.starts_with(['$', '€', '£']) {
            Some("write amounts without a currency symbol")
        } else {
            None
        };
        return Err(misfit(expected(), hint));
    }
    let frac_digits = frac.len() as u32;
    if frac_digits > scale {
        let extra = &frac[scale as usize..];
        if !extra.bytes().all(|b| b == b'0') {
            return Err(misfit(
                expected(),
                Some("this value has more decimal places than the column allows; declare more places, e.g. `decimal(18, 4)`, rather than lose them"),
            ));
        }
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() as u32 > precision - scale {
        return Err(misfit(
            format!(
                "a number of at most {} digits before the decimal point",
                precision - scale
            ),
            Some("the value is beyond the column's range; declare a wider decimal"),
        ));
    }
    let mut n: i128 = 0;
    for b in whole.bytes() {
        n = n * 10 + i128::from(b - b'0');
    }
    for i in 0..scale as usize {
        let d = frac.as_bytes().get(i).map(|b| b - b'0').unwrap_or(0);
        n = n * 10 + i128::from(d);
    }
    Ok(if negative { -n } else { n })
}

/// A percent: `42.5%` or the ratio `0.425`, as a ratio with `scale` places.
pub fn percent(text: &str, precision: u32, scale: u32) -> Result<i128, Misfit> {
    let t = text.trim();
    match t.strip_suffix('%') {
        Some(number) => {
            // 42.5% is 0.425: read with two more places, which is the same digits shifted.
            let n = decimal(number, precision, scale.saturating_sub(2))
                .map_err(|_| misfit("a percent such as 42.5% or a ratio such as 0.425", None))?;
            Ok(n)
        }
        None => decimal(t, precision, scale).map_err(|m| {
            misfit(
                "a percent such as 42.5% or a ratio such as 0.425",
                m.hint.as_deref(),
            )
        }),
    }
}

pub fn integer(text: &str) -> Result<i64, Misfit> {
    let t = text.trim();
    t.strip_prefix('+').unwrap_or(t).parse::<i64>().map_err(|_| {
        let hint = if t.contains('.') {
            Some("declare the column as `decimal(p, s)` if it has fractions")
        } else if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !t.is_empty() {
            Some("the value is beyond the 64-bit integer range; declare the column as `decimal(28, 0)`")
        } else {
            None
        };
        misfit("a whole number", hint)
    })
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn date(text: &str) -> Result<i32, Misfit> {
    let text = text.trim();
    let d = match iso_date(text.as_bytes()) {
        Some(d) => d,
        None => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            misfit(
                "a date written YYYY-MM-DD",
                Some("dates are ISO 8601, such as 2026-05-31"),
            )
        })?,
    };
    within_range(d)?;
    Ok(days(d))
}

/// Refuses a day outside the range the engine takes (`calendar::supported`).
fn within_range(d: NaiveDate) -> Result<(), Misfit> {
    if scorecard_model::calendar::supported(d) {
        return Ok(());
    }
    Err(misfit(
        format!("a date {}", scorecard_model::calendar::SUPPORTED),
        Some("a year beyond these is a mistake in the data, or a placeholder such as `infinity`: leave the field empty for no date"),
    ))
}

pub fn days(d: NaiveDate) -> i32 {
    // 719163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    d.num_days_from_ce() - 719_163
}

/// The common shape `YYYY-MM-DD`, read without the general parser (a fast path: anything else, and
/// any invalid day, goes to chrono, which decides).
fn iso_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )
}

/// `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (a space or `T` between), in microseconds; no
/// fraction, no offset (those go to the general parser).
fn iso_minute_or_second(b: &[u8]) -> Option<i64> {
    if !(b.len() == 16 || b.len() == 19) || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' {
        return None;
    }
    let day = iso_date(&b[..10]).filter(|d| scorecard_model::calendar::supported(*d))?;
    let (hour, minute) = (digits(&b[11..13])?, digits(&b[14..16])?);
    let second = if b.len() == 19 {
        if b[16] != b':' {
            return None;
        }
        digits(&b[17..19])?
    } else {
        0
    };
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let seconds = i64::from(days(day)) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    Some(seconds * 1_000_000)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// Microseconds since 1970-01-01T00:00:00 UTC. A timestamp with an offset is converted to UTC; one
/// without is taken as written.
pub fn timestamp(text: &str) -> Result<i64, Misfit> {
    timestamp_in(text, Zone::UTC)
}

/// Microseconds since 1970-01-01T00:00:00 UTC: the instant of a timestamp with an offset, or of
/// one without read as the wall-clock time of `zone` (a time the clocks skipped is refused).
pub fn timestamp_in(text: &str, zone: Zone) -> Result<i64, Misfit> {
    let t = text.trim();
    if let Some(micros) = iso_minute_or_second(t.as_bytes()) {
        if zone.is_utc() {
            return Ok(micros);
        }
    }
    let (parsed, offset) = match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(dt) => (Some(dt.naive_utc()), true),
        Err(_) => (
            [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|fmt| NaiveDateTime::parse_from_str(t, fmt).ok()),
            false,
        ),
    };
    let Some(dt) = parsed else {
        return Err(misfit(
            "a timestamp such as 2026-05-31 14:30:00",
            Some("timestamps are ISO 8601: YYYY-MM-DD HH:MM:SS, optionally with a UTC offset"),
        ));
    };
    within_range(dt.date())?;
    // A leap second (`23:59:60`) counts as a second past its minute: midnight of the next day.
    // It is kept in its own day, as the last microsecond of the second before it.
    let dt = match dt.and_utc().timestamp_subsec_nanos() >= 1_000_000_000 {
        true => dt.with_nanosecond(999_999_000).unwrap_or(dt),
        false => dt,
    };
    match offset {
        true => Ok(dt.and_utc().timestamp_micros()),
        false => zone.instant(dt).map_err(|_| {
            misfit(
                format!("a time that {} has", zone.name()),
                Some("clocks moved forward over this time, so no instant has it; write it with its UTC offset, or check the dataset's `time_zone`"),
            )
        }),
    }
}

pub fn boolean(text: &str) -> Result<bool, Misfit> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        _ => Err(misfit(
            "true or false",
            Some("booleans are true/false, yes/no or 1/0"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_units() {
        assert_eq!(decimal("12.5", 28, 2), Ok(1250));
        assert_eq!(decimal("-0.07", 28, 2), Ok(-7));
        assert_eq!(decimal("3", 28, 2), Ok(300));
        assert_eq!(decimal("1.230", 28, 2), Ok(123));
        assert_eq!(decimal(".5", 28, 2), Ok(50));
    }

    #[test]
    fn decimals_are_never_rounded_or_guessed() {
        assert!(decimal("1.005", 28, 2).is_err());
        assert!(decimal("1,234.50", 28, 2)
            .unwrap_err()
            .hint
            .unwrap()
            .contains("thousands"));
        assert!(decimal("1e5", 28, 2).is_err());
        assert!(decimal("", 28, 2).is_err());
        assert!(decimal("-", 28, 2).is_err());
        assert!(decimal("12.3.4", 28, 2).is_err());
        // 27 digits before the point do not fit decimal(28, 2)
        assert!(decimal("123456789012345678901234567", 28, 2).is_err());
        assert_eq!(
            decimal("12345678901234567890123456", 28, 2),
            Ok(1234567890123456789012345600)
        );
    }

    #[test]
    fn percents_read_both_ways() {
        assert_eq!(percent("42.5%", 28, 4), Ok(4250));
        assert_eq!(percent("0.425", 28, 4), Ok(4250));
        assert!(percent("42.5 percent", 28, 4).is_err());
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(date("1970-01-02"), Ok(1));
        assert!(date("2026-02-30").is_err());
        assert!(date("31/05/2026").is_err());
        assert_eq!(timestamp("1970-01-01 00:00:01"), Ok(1_000_000));
        assert_eq!(timestamp("1970-01-01T01:00:00+01:00"), Ok(0));
        assert_eq!(boolean("Yes"), Ok(true));
        assert!(boolean("maybe").is_err());
        assert_eq!(integer("+42"), Ok(42));
        assert!(integer("4.2").is_err());
    }

    #[test]
    fn the_fast_date_and_time_paths_agree_with_chrono() {
        // Every day from 1899 to 2101, leap days included, read both ways.
        let mut d = NaiveDate::from_ymd_opt(1899, 1, 1).unwrap();
        while d.year() < 2102 {
            let text = d.format("%Y-%m-%d").to_string();
            let by_chrono = (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
            assert_eq!(date(&text), Ok(by_chrono), "{text}");
            d = d.succ_opt().unwrap();
        }
        // 2024-02-29 is 19782 days after 1970-01-01; 13:45 is 49,500 seconds into the day.
        let micros = (19_782i64 * 86_400 + 49_500) * 1_000_000;
        assert_eq!(timestamp("2024-02-29 13:45"), Ok(micros));
        assert_eq!(timestamp("2024-02-29T13:45:00"), Ok(micros));
        assert_eq!(timestamp("2024-02-29 13:45:07"), Ok(micros + 7_000_000));
        // Not days or times: the general parser has the last word.
        assert!(date("2023-02-29").is_err());
        assert!(date("2026-13-01").is_err());
        assert!(date("2026-1a-01").is_err());
        assert!(timestamp("2026-01-01 24:00").is_err());
        assert!(timestamp("2026-01-01 12:60").is_err());
        // A leap second stays in its day (it was counted at midnight of the next one, and at
        // the end of 9999 in a year 10000 of its own).
        let last = timestamp("2026-01-01 23:59:59.999999").unwrap();
        assert_eq!(timestamp("2026-01-01T23:59:60Z"), Ok(last));
        assert_eq!(timestamp("2026-01-01 23:59:60.5"), Ok(last));
        assert_eq!(timestamp("2026-01-02T00:59:60+01:00"), Ok(last));
        let end = timestamp("9999-12-31 23:59:59.999999").unwrap();
        assert_eq!(timestamp("9999-12-31T23:59:60Z"), Ok(end));
        assert_eq!(
            timestamp("2026-01-01 12:00:00.5"),
            Ok((20_454i64 * 86_400 + 43_200) * 1_000_000 + 500_000)
        );
    }
}
