//! Owns what differs between the SQL dialects: quoting names and text, and the expression that
//! turns a row's time into the first day of its period.

use scorecard_model::{Calendar, Grain, Header};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Postgres,
    DuckDb,
    Spark,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::DuckDb => "DuckDB",
            Dialect::Spark => "Spark",
        }
    }

    /// A column or table name, quoted so that any spelling survives.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Postgres | Dialect::DuckDb => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// A text literal. Spark reads backslash escapes in literals and joins adjacent literals
    /// (`'it''s'` is `its` there), so a quote is escaped with a backslash; the others double it.
    pub fn text(self, value: &str) -> String {
        match self {
            Dialect::Postgres | Dialect::DuckDb => format!("'{}'", value.replace('\'', "''")),
            Dialect::Spark => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    /// A dataset's timestamp column (`time`, already quoted) as the wall-clock time of the scorecard's zone: a timestamp
    /// written without an offset is taken in the dataset's zone (else the scorecard's) and moved
    /// to the scorecard's. A date, or a timestamp where both zones are UTC, is as it is.
    pub fn local_time(
        self,
        model: &scorecard_model::Model,
        ds: &scorecard_model::Dataset,
        column: &str,
        time: &str,
    ) -> String {
        let timestamp = ds
            .column(column)
            .is_some_and(|c| c.ty == scorecard_model::ColumnType::Timestamp);
        let to = model.header.time_zone.as_deref().unwrap_or("UTC");
        let from = ds.time_zone.as_deref().unwrap_or(to);
        if !timestamp || (from == "UTC" && to == "UTC") || from == to {
            return time.to_string();
        }
        match self {
            Dialect::Postgres | Dialect::DuckDb => {
                format!("(({time} AT TIME ZONE '{from}') AT TIME ZONE '{to}')")
            }
            Dialect::Spark => {
                format!("from_utc_timestamp(to_utc_timestamp({time}, '{from}'), '{to}')")
            }
        }
    }

    /// The first day of the period holding `time` (a date or timestamp column, already quoted), at
    /// the header's grain and calendar. `None` for a retail calendar, whose 4-4-5 months have no
    /// SQL function.
    pub fn period_start(self, header: &Header, time: &str) -> Option<String> {
        let start_month = match header.calendar {
            Calendar::Gregorian => 1,
            Calendar::Fiscal { start_month } => start_month,
            Calendar::Retail { .. } => return None,
        };
        let day = format!("CAST({time} AS DATE)");
        // Months a fiscal year's start lies after January: shifting the day back by them puts the
        // fiscal period on the calendar's, whose first day shifted forward again is the answer.
        let shift = start_month - 1;
        let unit = match header.grain {
            Grain::Day => return Some(day),
            Grain::Week => return Some(self.week_start(&day, header.week_start)),
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        };
        // A month starts on the same day in every fiscal calendar.
        let shift = if header.grain == Grain::Month {
            0
        } else {
            shift
        };
        Some(match self {
            Dialect::Postgres | Dialect::DuckDb if shift == 0 => {
                format!("CAST(date_trunc('{unit}', CAST({day} AS TIMESTAMP)) AS DATE)")
            }
            Dialect::Postgres | Dialect::DuckDb => format!(
                "CAST(date_trunc('{unit}', CAST({day} AS TIMESTAMP) - INTERVAL '{shift} months') \
                 + INTERVAL '{shift} months' AS DATE)"
            ),
            Dialect::Spark if shift == 0 => format!("trunc({day}, '{}')", unit.to_uppercase()),
            Dialect::Spark => format!(
                "add_months(trunc(add_months({day}, -{shift}), '{}'), {shift})",
                unit.to_uppercase()
            ),
        })
    }

    /// The first day of the week holding `day`, for weeks starting `start` days after Monday: the
    /// day moved back by `start` lies in a week starting on Monday, which every dialect truncates to.
    fn week_start(self, day: &str, start: u32) -> String {
        match (self, start) {
            (Dialect::Postgres | Dialect::DuckDb, 0) => {
                format!("CAST(date_trunc('week', CAST({day} AS TIMESTAMP)) AS DATE)")
            }
            (Dialect::Postgres | Dialect::DuckDb, k) => {
                format!("CAST(date_trunc('week', CAST({day} - {k} AS TIMESTAMP)) AS DATE) + {k}")
            }
            (Dialect::Spark, 0) => format!("trunc({day}, 'WEEK')"),
            (Dialect::Spark, k) => format!("date_add(trunc(date_sub({day}, {k}), 'WEEK'), {k})"),
        }
    }

    /// The type text is cast to.
    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "TEXT",
            Dialect::DuckDb => "VARCHAR",
            Dialect::Spark => "STRING",
        }
    }

    /// A 20-digit whole-number decimal, which integer sums are taken in: a 64-bit sum could
    /// overflow (Spark's wraps or fails), a 20-digit decimal cannot in 10^18 rows.
    pub fn whole(self, x: &str) -> String {
        format!("CAST({x} AS DECIMAL(20, 0))")
    }
}
