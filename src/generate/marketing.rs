//! Owns the marketing data: customers' touches over twelve months (July 2025 to June 2026) in six
//! channels, their orders (the conversions, about one for every ten touches), and monthly spend.

use super::random::Random;
use super::sink::{write_monthly, Format, Sink, Values};
use super::{Written, CHUNK};
use crate::output::{Batch, OutputError};
use chrono::{Datelike, NaiveDate};
use std::path::Path;

const CHANNELS: [&str; 6] = [
    "search",
    "social",
    "email",
    "display",
    "affiliate",
    "direct",
];
const CHANNEL_WEIGHTS: [u64; 6] = [25, 20, 15, 20, 8, 12];
/// Cents paid per touch in each channel (direct costs nothing).
const COST_PER_TOUCH: [(i64, i64); 6] = [(60, 90), (30, 50), (2, 4), (10, 20), (40, 70), (0, 0)];
const DISPLAY_IMPRESSIONS: [i64; 5] = [0, 200, 1500, 3000, 8000];
const MONTHS: usize = 12;

pub fn generate(
    rows: u64,
    seed: u64,
    dir: &Path,
    formats: &[Format],
    batch: &mut Batch,
) -> Result<Written, OutputError> {
    let mut r = Random::new(seed);
    let start = NaiveDate::from_ymd_opt(2025, 7, 1).expect("a valid date");
    let first_day = crate::model::calendar::days(start);
    let span = 365i64;
    let mut touches = Sink::create(
        dir,
        "touchpoints",
        &["customer", "touched_at", "channel", "impressions"],
        formats,
    )?;
    let mut orders = Sink::create(
        dir,
        "orders",
        &["order_id", "customer", "order_date", "revenue"],
        formats,
    )?;
    let mut t = Touches::default();
    let mut o = Orders::default();
    // Touches per channel and month, for the spend.
    let mut counts = [[0i64; 6]; MONTHS];
    let (mut written, mut customer, mut order) = (0u64, 0u64, 0u64);
    while written < rows {
        customer += 1;
        let name = format!("C{customer:08}");
        // 5 to 35 touches (20 on average), in time order, and 0 to 4 orders (2 on average).
        let n = r.between(5, 35).min((rows - written) as i64);
        let mut minutes: Vec<(i64, usize)> = (0..n)
            .map(|_| {
                let minute = (first_day + r.below(span as u64) as i64) * 1440 + r.between(0, 1439);
                (minute, r.weighted(&CHANNEL_WEIGHTS))
            })
            .collect();
        minutes.sort_unstable();
        for (minute, channel) in minutes {
            let month = month_of(minute / 1440, start);
            counts[month][channel] += 1;
            t.customer.push(name.clone());
            t.touched_at.push(minute);
            t.channel.push(CHANNELS[channel].to_string());
            t.impressions.push(if CHANNELS[channel] == "display" {
                DISPLAY_IMPRESSIONS[r.below(5) as usize]
            } else {
                1000
            });
            if t.customer.len() == CHUNK {
                touches.write(&std::mem::take(&mut t).columns())?;
            }
        }
        written += n as u64;
        for _ in 0..r.between(0, 4) {
            order += 1;
            o.order_id.push(format!("M{order:09}"));
            o.customer.push(name.clone());
            o.order_date
                .push((first_day + r.below(span as u64) as i64) as i32);
            o.revenue.push(r.between(2_000, 30_000));
            if o.order_id.len() == CHUNK {
                orders.write(&std::mem::take(&mut o).columns())?;
            }
        }
    }
    if !t.customer.is_empty() {
        touches.write(&t.columns())?;
    }
    if !o.order_id.is_empty() || order == 0 {
        orders.write(&o.columns())?;
    }
    let mut out = Written {
        files: touches.finish(batch)?,
    };
    out.files.extend(orders.finish(batch)?);

    let mut rows = Vec::new();
    for (m, per_channel) in counts.iter().enumerate() {
        for (c, n) in per_channel.iter().enumerate() {
            let (low, high) = COST_PER_TOUCH[c];
            if high == 0 {
                continue;
            }
            rows.push((m as u32, CHANNELS[c], n * r.between(low, high)));
        }
    }
    out.files.extend(write_monthly(
        dir,
        "spend",
        &["month", "channel", "amount"],
        formats,
        start,
        rows,
        batch,
    )?);
    Ok(out)
}

/// The month (0 = July 2025) holding a day.
fn month_of(day: i64, start: NaiveDate) -> usize {
    let d = crate::model::calendar::date(day);
    let m = (d.year() - start.year()) * 12 + d.month() as i32 - start.month() as i32;
    (m.max(0) as usize).min(MONTHS - 1)
}

#[derive(Default)]
struct Touches {
    customer: Vec<String>,
    touched_at: Vec<i64>,
    channel: Vec<String>,
    impressions: Vec<i64>,
}

impl Touches {
    fn columns(self) -> Vec<Values> {
        vec![
            Values::Text(self.customer),
            Values::Minute(self.touched_at),
            Values::Text(self.channel),
            Values::Integer(self.impressions),
        ]
    }
}

#[derive(Default)]
struct Orders {
    order_id: Vec<String>,
    customer: Vec<String>,
    order_date: Vec<i32>,
    revenue: Vec<i64>,
}

impl Orders {
    fn columns(self) -> Vec<Values> {
        vec![
            Values::Text(self.order_id),
            Values::Text(self.customer),
            Values::Date(self.order_date),
            Values::Money(self.revenue),
        ]
    }
}
