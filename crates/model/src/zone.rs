//! Owns time zones: the scorecard's zone, in which a timestamp's local date places it in a
//! period, and the zone a dataset's timestamps without an offset were written in. The rules come
//! from the IANA database (`chrono-tz`), never from our own tables.

use chrono::{NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// A time zone by its IANA name (`Europe/Berlin`), or `None` for UTC as today's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Option<Tz>);

/// Why a local time names no instant, or names two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// Clocks moved forward over it (`2026-03-29 02:30` in Europe/Berlin).
    Skipped,
}

impl Zone {
    pub const UTC: Zone = Zone(None);

    /// The zone an IANA name names, exactly as the database spells it.
    pub fn named(name: &str) -> Option<Zone> {
        name.parse::<Tz>().ok().map(|tz| match tz {
            Tz::UTC | Tz::Etc__UTC => Zone(None),
            tz => Zone(Some(tz)),
        })
    }

    /// The zone of an optional name already checked; UTC when absent or unknown.
    pub fn of(name: Option<&str>) -> Zone {
        name.and_then(Zone::named).unwrap_or(Zone::UTC)
    }

    pub fn is_utc(self) -> bool {
        self.0.is_none()
    }

    /// The name as the database spells it (`UTC` for UTC).
    pub fn name(self) -> &'static str {
        self.0.map_or("UTC", |tz| tz.name())
    }

    /// Every name the database knows, for suggestions.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// The instant (microseconds since 1970-01-01 UTC) of a wall-clock time in this zone. A
    /// time that occurs twice (clocks moved back) is taken at its first occurrence; one that
    /// never occurs (clocks moved forward) is refused.
    pub fn instant(self, local: NaiveDateTime) -> Result<i64, Local> {
        let Some(tz) = self.0 else {
            return Ok(local.and_utc().timestamp_micros());
        };
        match tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => Ok(t.timestamp_micros()),
            chrono::LocalResult::Ambiguous(first, _) => Ok(first.timestamp_micros()),
            chrono::LocalResult::None => Err(Local::Skipped),
        }
    }

    /// The instant, in seconds, that local day `day` (days since 1970-01-01) starts: its midnight,
    /// or where clocks skip midnight, the first time the day has.
    pub fn day_start(self, day: i64) -> Option<i64> {
        let date = crate::calendar::date(day);
        (0..24).find_map(|hour| {
            let local = date.and_hms_opt(hour, 0, 0)?;
            self.instant(local)
                .ok()
                .map(|micros| micros.div_euclid(1_000_000))
        })
    }

    /// The local day (days since 1970-01-01) of an instant in microseconds.
    pub fn local_day(self, micros: i64) -> Option<i64> {
        let utc = chrono::DateTime::from_timestamp_micros(micros)?;
        let local = match self.0 {
            None => utc.naive_utc(),
            Some(tz) => utc.with_timezone(&tz).naive_local(),
        };
        Some(crate::calendar::days(local.date()))
    }

    /// Today's date in this zone.
    pub fn today(self) -> chrono::NaiveDate {
        let now = chrono::Utc::now();
        match self.0 {
            None => now.date_naive(),
            Some(tz) => now.with_timezone(&tz).date_naive(),
        }
    }

    /// The offset from UTC in seconds at an instant, for messages.
    pub fn offset_at(self, micros: i64) -> i32 {
        match (self.0, chrono::DateTime::from_timestamp_micros(micros)) {
            (Some(tz), Some(utc)) => utc.with_timezone(&tz).offset().fix().local_minus_utc(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn day(text: &str) -> i64 {
        crate::calendar::days(chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn local_days_follow_daylight_saving() {
        let ny = Zone::named("America/New_York").unwrap();
        // 2026-03-09 04:30 UTC is 00:30 EDT (UTC-4): the 9th, not 23:30 on the 8th.
        let spring = Zone::UTC.instant(at("2026-03-09 04:30")).unwrap();
        assert_eq!(ny.local_day(spring), Some(day("2026-03-09")));
        // 2026-11-02 04:30 UTC is 23:30 EST (UTC-5) on the 1st.
        let autumn = Zone::UTC.instant(at("2026-11-02 04:30")).unwrap();
        assert_eq!(ny.local_day(autumn), Some(day("2026-11-01")));
    }

    #[test]
    fn a_skipped_local_time_is_refused_and_a_repeated_one_taken_first() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        assert_eq!(berlin.instant(at("2026-03-29 02:30")), Err(Local::Skipped));
        // 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET) on 2026-10-25.
        let first = Zone::UTC.instant(at("2026-10-25 00:30")).unwrap();
        assert_eq!(berlin.instant(at("2026-10-25 02:30")), Ok(first));
    }

    #[test]
    fn names_are_the_databases() {
        assert!(Zone::named("Europe/Berlin").is_some());
        assert!(Zone::named("europe/berlin").is_none());
        assert!(Zone::named("UTC").unwrap().is_utc());
        assert_eq!(Zone::of(None), Zone::UTC);
    }
}
