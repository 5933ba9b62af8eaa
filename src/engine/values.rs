//! Owns reading one text field as a declared type, strictly: a value that does not fit is refused with
//! the reason, never rounded, truncated or guessed.

use chrono::{NaiveDate, NaiveDateTime};

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
    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        misfit(
            "a date written YYYY-MM-DD",
            Some("dates are ISO 8601, such as 2026-05-31"),
        )
    })?;
    Ok(days(d))
}

pub fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

/// Microseconds since 1970-01-01T00:00:00 UTC. A timestamp with an offset is converted to UTC; one
/// without is taken as written.
pub fn timestamp(text: &str) -> Result<i64, Misfit> {
    let t = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(dt.naive_utc().and_utc().timestamp_micros());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(dt.and_utc().timestamp_micros());
        }
    }
    Err(misfit(
        "a timestamp such as 2026-05-31 14:30:00",
        Some("timestamps are ISO 8601: YYYY-MM-DD HH:MM:SS, optionally with a UTC offset"),
    ))
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
}
