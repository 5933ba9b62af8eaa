//! Owns the retail data: order lines over 36 fiscal months (April 2023 to March 2026) in four
//! regions, three channels and six categories, and a monthly budget per region near the actuals.

use super::random::Random;
use super::sink::{write_monthly, Format, Sink, Values};
use super::{Written, CHUNK};
use crate::output::{Batch, OutputError};
use chrono::{Datelike, NaiveDate};
use std::path::Path;

const REGIONS: [&str; 4] = ["EMEA", "NA", "APAC", "LATAM"];
const REGION_WEIGHTS: [u64; 4] = [35, 30, 25, 10];
const CHANNELS: [&str; 3] = ["online", "store", "partner"];
const CHANNEL_WEIGHTS: [u64; 3] = [35, 45, 20];
const CATEGORIES: [&str; 6] = [
    "apparel",
    "footwear",
    "accessories",
    "home",
    "beauty",
    "electronics",
];
const CATEGORY_WEIGHTS: [u64; 6] = [30, 15, 15, 15, 10, 15];
const STATUSES: [&str; 3] = ["complete", "returned", "cancelled"];
const STATUS_WEIGHTS: [u64; 3] = [94, 4, 2];
const MONTHS: usize = 36;

pub fn generate(
    rows: u64,
    seed: u64,
    dir: &Path,
    formats: &[Format],
    batch: &mut Batch,
) -> Result<Written, OutputError> {
    let mut r = Random::new(seed);
    let start = NaiveDate::from_ymd_opt(2023, 4, 1).expect("a valid date");
    let end = NaiveDate::from_ymd_opt(2026, 3, 31).expect("a valid date");
    let first_day = crate::model::calendar::days(start);
    let span = crate::model::calendar::days(end) - first_day + 1;
    // Order lines come 1 to 7 to an order (4 on average).
    let orders = (rows / 4).max(1);
    let customers = (rows / 20).max(10);
    let mut sink = Sink::create(
        dir,
        "orders",
        &[
            "line_id",
            "order_id",
            "order_date",
            "customer",
            "region",
            "channel",
            "category",
            "status",
            "revenue",
            "cogs",
            "discount",
            "units",
        ],
        formats,
    )?;
    // Actual revenue per month and region, for the budget.
    let mut actual = [[0i64; 4]; MONTHS];
    let mut chunk = Chunk::default();
    let (mut line, mut order) = (0u64, 0u64);
    while line < rows {
        let day = first_day + ((order.min(orders - 1) as i64 * span) / orders as i64);
        let date = crate::model::calendar::date(day);
        let month = ((date.year() - 2023) * 12 + date.month() as i32 - 4) as usize;
        // Demand grows about 8% a year, and peaks in November and December.
        let season = match date.month() {
            11 => 125,
            12 => 140,
            1 | 2 => 85,
            _ => 100,
        };
        let growth = 1000 + (day - first_day) * 80 / 365;
        let customer = format!("C{:07}", r.below(customers));
        let region = r.weighted(&REGION_WEIGHTS);
        let channel = r.weighted(&CHANNEL_WEIGHTS);
        let lines = r.between(1, 7);
        for _ in 0..lines {
            if line == rows {
                break;
            }
            line += 1;
            let units = r.between(1, 12);
            let price = r.between(500, 15_000) * season / 100 * growth / 1000;
            let revenue = units * price;
            let discount = if r.chance(30) {
                revenue * r.between(5, 20) / 100
            } else {
                0
            };
            let cogs = revenue * r.between(52, 70) / 100;
            let status = r.weighted(&STATUS_WEIGHTS);
            actual[month.min(MONTHS - 1)][region] += revenue;
            chunk.line_id.push(format!("L{line:09}"));
            chunk.order_id.push(format!("O{:08}", order + 1));
            chunk.order_date.push(day as i32);
            chunk.customer.push(customer.clone());
            chunk.region.push(REGIONS[region].to_string());
            chunk.channel.push(CHANNELS[channel].to_string());
            chunk
                .category
                .push(CATEGORIES[r.weighted(&CATEGORY_WEIGHTS)].to_string());
            chunk.status.push(STATUSES[status].to_string());
            chunk.revenue.push(revenue);
            chunk.cogs.push(cogs);
            chunk.discount.push(discount);
            chunk.units.push(units);
            if chunk.revenue.len() == CHUNK {
                sink.write(&std::mem::take(&mut chunk).columns())?;
            }
        }
        order += 1;
    }
    if !chunk.revenue.is_empty() {
        sink.write(&chunk.columns())?;
    }
    let mut written = Written {
        files: sink.finish(batch)?,
    };

    // The budget: each month and region's actual revenue, 6% under to 4% over, in whole hundreds.
    let mut rows = Vec::new();
    for (m, per_region) in actual.iter().enumerate() {
        for (g, cents) in per_region.iter().enumerate() {
            let planned = cents * r.between(94, 104) / 100;
            rows.push((m as u32, REGIONS[g], planned / 10_000 * 10_000));
        }
    }
    written.files.extend(write_monthly(
        dir,
        "budget",
        &["month", "region", "revenue"],
        formats,
        start,
        rows,
        batch,
    )?);
    Ok(written)
}

#[derive(Default)]
struct Chunk {
    line_id: Vec<String>,
    order_id: Vec<String>,
    order_date: Vec<i32>,
    customer: Vec<String>,
    region: Vec<String>,
    channel: Vec<String>,
    category: Vec<String>,
    status: Vec<String>,
    revenue: Vec<i64>,
    cogs: Vec<i64>,
    discount: Vec<i64>,
    units: Vec<i64>,
}

impl Chunk {
    fn columns(self) -> Vec<Values> {
        vec![
            Values::Text(self.line_id),
            Values::Text(self.order_id),
            Values::Date(self.order_date),
            Values::Text(self.customer),
            Values::Text(self.region),
            Values::Text(self.channel),
            Values::Text(self.category),
            Values::Text(self.status),
            Values::Money(self.revenue),
            Values::Money(self.cogs),
            Values::Money(self.discount),
            Values::Integer(self.units),
        ]
    }
}
