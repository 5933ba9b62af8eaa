//! A second, independent oracle (docs/robustness.md, "The DuckDB oracle"): random scorecards over
//! random data, every value, target and status compared with what DuckDB computes from SQL this
//! test writes itself from the rules of docs/language.md (never from `scorecard sql`).
//!
//! A scorecard holds one to five KPIs: aggregates with `where` filters, arithmetic, ratios of KPIs,
//! `ytd`, `rolling`, offsets and `same period last year`, by region or not, with a target from a
//! second dataset and thresholds, under a gregorian or fiscal year. The data has negative, tiny and
//! huge amounts, empty values, regions with no rows in some months, and months with no rows at all.
//!
//! In SQL, a period's aggregate is computed from its rows (a filter that matches none gives a sum
//! and a count of 0), a window's from each of its periods' aggregates (sums add, extremes compare,
//! averages divide the summed values by the summed counts), a shift moves the period and the
//! window, and a period of a dataset with no rows gives no value. DuckDB divides decimals in
//! binary floating point, so a value that went through a division (or an average) is compared to
//! one unit in its last place, or a part in a million million of it; every other value exactly.
//!
//! Each run checks the committed regression cases (`tests/oracle/regressions/`), then `ORACLE_CASES`
//! (default 500) cases from `ORACLE_SEED` (default the recorded seed). A case that disagrees is
//! shrunk (fewer KPIs, smaller expressions, fewer rows) and written to the regressions folder, to
//! be committed with the fix.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::str::FromStr;

const SEED: u64 = 20261206;
const CASES: usize = 500;
const PLACES: u32 = 4;
const REGRESSIONS: &str = "tests/oracle/regressions";

// ---- the cases

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
enum Column {
    Amount,
    Qty,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
enum Agg {
    Sum,
    Avg,
    Min,
    Max,
    /// `count(orders)`
    Rows,
    /// `count(orders.column)`
    Count,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
enum Filter {
    Region(String),
    RegionIn(Vec<String>),
    Channel(String),
    QtyAbove(i64),
    AmountAtLeast(String),
    Not(Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
enum Expr {
    Agg(Agg, Column, Option<Filter>),
    Const(String),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Kpi(usize),
    Ytd(Box<Expr>),
    Rolling(Box<Expr>, i64),
    Shift(Box<Expr>, i64),
    LastYear(Box<Expr>),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
enum Thresholds {
    None,
    /// `green: value >= target  amber: value >= 90% of target  red: otherwise`
    AgainstTarget,
    /// `green >= G, amber >= A, red otherwise`
    Levels(String, String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Kpi {
    expr: Expr,
    money: bool,
    by_region: bool,
    /// `sum(budget.amount)`, times this factor when there is one.
    target: Option<Option<String>>,
    thresholds: Thresholds,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Order {
    day: String,
    region: Option<String>,
    channel: String,
    amount: Option<String>,
    qty: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Budget {
    month: String,
    region: Option<String>,
    amount: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Case {
    /// The month the (fiscal) year starts in: 1 is gregorian.
    fiscal_start: u32,
    kpis: Vec<Kpi>,
    orders: Vec<Order>,
    budget: Vec<Budget>,
}

// ---- generating them

/// SplitMix64: a generator whose sequence is the same on every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const REGIONS: [&str; 3] = ["north", "south", "west"];

fn amount(r: &mut Random) -> Option<String> {
    let cents: i128 = match r.below(10) {
        0 => return None,
        1 => -(r.below(50_000) as i128),
        2 => 1,
        3 => (r.below(9_000_000) as i128 + 1) * 10_000_000_000,
        _ => r.below(200_000) as i128,
    };
    Some(Decimal::from_i128_with_scale(cents, 2).to_string())
}

fn orders(r: &mut Random) -> Vec<Order> {
    // Months of 2025 and 2026, some with no rows at all.
    let months: Vec<u32> = (0..24).filter(|_| r.chance(65)).collect();
    let mut out = Vec::new();
    let last = r.below(24) as u32;
    for m in months.iter().copied().chain(std::iter::once(last)) {
        // The last month named always has a row, so that there is a period to report.
        let rows = if m == last {
            1 + r.below(5)
        } else {
            r.below(6)
        };
        for _ in 0..rows {
            let region = match r.below(10) {
                0 => None,
                1 => Some("west".to_string()),
                n => Some(REGIONS[(n % 2) as usize].to_string()),
            };
            out.push(Order {
                day: format!("{}-{:02}-{:02}", 2025 + m / 12, m % 12 + 1, 1 + r.below(28)),
                region,
                channel: r.pick(&["web", "store"]).to_string(),
                amount: amount(r),
                qty: (!r.chance(10)).then(|| r.below(40) as i64 - 5),
            });
        }
    }
    out
}

fn budget(r: &mut Random) -> Vec<Budget> {
    let mut out = Vec::new();
    for m in 0..26 {
        for region in ["north", "south", "east"] {
            if r.chance(40) {
                out.push(Budget {
                    month: format!("{}-{:02}-01", 2025 + m / 12, m % 12 + 1),
                    region: Some(region.to_string()),
                    amount: Decimal::from_i128_with_scale(r.below(300_000) as i128, 2).to_string(),
                });
            }
        }
    }
    out
}

fn filter(r: &mut Random, depth: u32) -> Filter {
    match r.below(if depth > 1 { 5 } else { 8 }) {
        0 => Filter::Region(r.pick(&REGIONS).to_string()),
        1 => Filter::RegionIn(vec!["north".into(), r.pick(&["south", "west"]).to_string()]),
        2 => Filter::Channel(r.pick(&["web", "store"]).to_string()),
        3 => Filter::QtyAbove(r.below(20) as i64 - 2),
        4 => Filter::AmountAtLeast(
            Decimal::from_i128_with_scale(r.below(100_000) as i128, 2).to_string(),
        ),
        5 => Filter::Not(Box::new(filter(r, depth + 1))),
        6 => Filter::And(
            Box::new(filter(r, depth + 1)),
            Box::new(filter(r, depth + 1)),
        ),
        _ => Filter::Or(
            Box::new(filter(r, depth + 1)),
            Box::new(filter(r, depth + 1)),
        ),
    }
}

fn maybe_filter(r: &mut Random) -> Option<Filter> {
    r.chance(50).then(|| filter(r, 0))
}

/// A money expression; `kpis` are the earlier KPIs, with their units.
fn money(r: &mut Random, depth: u32, kpis: &[bool]) -> Expr {
    let earlier: Vec<usize> = (0..kpis.len()).filter(|i| kpis[*i]).collect();
    let leaf = depth > 2 || r.chance(35);
    if leaf {
        if !earlier.is_empty() && r.chance(30) {
            return Expr::Kpi(*r.pick(&earlier));
        }
        let agg = *r.pick(&[Agg::Sum, Agg::Sum, Agg::Avg, Agg::Min, Agg::Max]);
        return Expr::Agg(agg, Column::Amount, maybe_filter(r));
    }
    let sub = |r: &mut Random| Box::new(money(r, depth + 1, kpis));
    match r.below(9) {
        0 => Expr::Add(sub(r), sub(r)),
        1 => Expr::Sub(sub(r), sub(r)),
        2 => Expr::Mul(sub(r), Box::new(constant(r))),
        3 => Expr::Div(sub(r), Box::new(number(r, depth + 1, kpis))),
        4 => Expr::Neg(sub(r)),
        5 => Expr::Ytd(sub(r)),
        6 => Expr::Rolling(sub(r), 1 + r.below(4) as i64),
        7 => Expr::Shift(sub(r), 1 + r.below(3) as i64),
        _ => Expr::LastYear(sub(r)),
    }
}

fn constant(r: &mut Random) -> Expr {
    let value = match r.below(4) {
        0 => Decimal::from(r.below(10) + 1),
        1 => Decimal::from_i128_with_scale(r.below(1000) as i128 + 1, 2),
        2 => Decimal::from_i128_with_scale(-(r.below(300) as i128) - 1, 1),
        _ => Decimal::from_i128_with_scale(r.below(9) as i128 + 1, 3),
    };
    Expr::Const(value.to_string())
}

/// A number expression (counts, quantities, ratios).
fn number(r: &mut Random, depth: u32, kpis: &[bool]) -> Expr {
    let earlier: Vec<usize> = (0..kpis.len()).filter(|i| !kpis[*i]).collect();
    let leaf = depth > 2 || r.chance(35);
    if leaf {
        if !earlier.is_empty() && r.chance(30) {
            return Expr::Kpi(*r.pick(&earlier));
        }
        return match r.below(5) {
            0 => Expr::Agg(Agg::Rows, Column::Amount, maybe_filter(r)),
            1 => Expr::Agg(Agg::Count, Column::Amount, maybe_filter(r)),
            2 => constant(r),
            _ => {
                let agg = *r.pick(&[Agg::Sum, Agg::Avg, Agg::Min, Agg::Max]);
                Expr::Agg(agg, Column::Qty, maybe_filter(r))
            }
        };
    }
    let sub = |r: &mut Random| Box::new(number(r, depth + 1, kpis));
    match r.below(10) {
        0 => Expr::Add(sub(r), sub(r)),
        1 => Expr::Sub(sub(r), sub(r)),
        2 => Expr::Mul(sub(r), sub(r)),
        3 => Expr::Div(sub(r), sub(r)),
        4 => Expr::Div(
            Box::new(money(r, depth + 1, kpis)),
            Box::new(money(r, depth + 1, kpis)),
        ),
        5 => Expr::Ytd(sub(r)),
        6 => Expr::Rolling(sub(r), 1 + r.below(4) as i64),
        7 => Expr::Shift(sub(r), 1 + r.below(3) as i64),
        8 => Expr::Neg(sub(r)),
        _ => Expr::LastYear(sub(r)),
    }
}

fn case(r: &mut Random) -> Case {
    let mut units = Vec::new();
    let mut kpis = Vec::new();
    for _ in 0..1 + r.below(5) {
        let is_money = r.chance(55);
        let expr = if is_money {
            money(r, 0, &units)
        } else {
            number(r, 0, &units)
        };
        let target = (is_money && r.chance(50)).then(|| {
            r.chance(40)
                .then(|| Decimal::from_i128_with_scale(r.below(150) as i128 + 50, 2).to_string())
        });
        let thresholds = match r.below(3) {
            0 if target.is_some() => Thresholds::AgainstTarget,
            1 => {
                let high = r.below(5000) as i64;
                Thresholds::Levels(high.to_string(), (high - r.below(2000) as i64).to_string())
            }
            _ => Thresholds::None,
        };
        kpis.push(Kpi {
            expr,
            money: is_money,
            by_region: r.chance(50),
            target,
            thresholds,
        });
        units.push(is_money);
    }
    Case {
        fiscal_start: *r.pick(&[1, 1, 4, 7]),
        kpis,
        orders: orders(r),
        budget: budget(r),
    }
}

// ---- the scorecard

fn filter_text(f: &Filter) -> String {
    match f {
        Filter::Region(x) => format!("region = \"{x}\""),
        Filter::RegionIn(xs) => {
            let quoted: Vec<String> = xs.iter().map(|x| format!("\"{x}\"")).collect();
            format!("region in [{}]", quoted.join(", "))
        }
        Filter::Channel(x) => format!("channel = \"{x}\""),
        Filter::QtyAbove(k) => format!("qty > {}", signed(&k.to_string())),
        Filter::AmountAtLeast(x) => format!("amount >= {x}"),
        Filter::Not(a) => format!("not ({})", filter_text(a)),
        Filter::And(a, b) => format!("({}) and ({})", filter_text(a), filter_text(b)),
        Filter::Or(a, b) => format!("({}) or ({})", filter_text(a), filter_text(b)),
    }
}

/// A number as the grammar writes it: a negative one as `(-n)`.
fn signed(text: &str) -> String {
    match text.strip_prefix('-') {
        Some(n) => format!("(-{n})"),
        None => text.to_string(),
    }
}

fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Agg(agg, column, f) => {
            let (name, col) = match (agg, column) {
                (Agg::Rows, _) => ("count", "orders".to_string()),
                (Agg::Count, Column::Amount) => ("count", "orders.amount".into()),
                (Agg::Count, Column::Qty) => ("count", "orders.qty".into()),
                (a, c) => (
                    match a {
                        Agg::Sum => "sum",
                        Agg::Avg => "avg",
                        Agg::Min => "min",
                        _ => "max",
                    },
                    format!(
                        "orders.{}",
                        if *c == Column::Amount {
                            "amount"
                        } else {
                            "qty"
                        }
                    ),
                ),
            };
            match f {
                Some(f) => format!("{name}({col} where {})", filter_text(f)),
                None => format!("{name}({col})"),
            }
        }
        Expr::Const(c) => signed(c),
        Expr::Add(a, b) => format!("({} + {})", expr_text(a), expr_text(b)),
        Expr::Sub(a, b) => format!("({} - {})", expr_text(a), expr_text(b)),
        Expr::Mul(a, b) => format!("({} * {})", expr_text(a), expr_text(b)),
        Expr::Div(a, b) => format!("({} / {})", expr_text(a), expr_text(b)),
        Expr::Neg(a) => format!("(-{})", expr_text(a)),
        Expr::Kpi(i) => format!("k{i}"),
        Expr::Ytd(a) => format!("ytd({})", expr_text(a)),
        Expr::Rolling(a, n) => format!("rolling({}, {n} months)", expr_text(a)),
        Expr::Shift(a, n) => format!("({})[-{n}]", expr_text(a)),
        Expr::LastYear(a) => format!("({})[same period last year]", expr_text(a)),
    }
}

fn scorecard(c: &Case) -> String {
    let calendar = match c.fiscal_start {
        1 => String::new(),
        s => format!(
            "  calendar: fiscal(start: {})",
            scorecard::model::calendar::MONTHS[s as usize - 1]
        ),
    };
    let mut text = format!(
        "scorecard oracle {{ currency: USD  grain: month{calendar} }}\n\
         dataset orders {{\n  source: \"orders.csv\"\n  time: day\n  columns: {{ day: date  region: text  channel: text  amount: money  qty: integer }}\n}}\n\
         dataset budget {{\n  source: \"budget.csv\"\n  time: month\n  columns: {{ month: date  region: text  amount: money }}\n}}\n"
    );
    for (i, k) in c.kpis.iter().enumerate() {
        text.push_str(&format!("kpi k{i} {{\n  value: {}\n", expr_text(&k.expr)));
        text.push_str(&format!(
            "  unit: {}\n  rounding: {PLACES} decimals\n",
            if k.money { "money" } else { "number" }
        ));
        if k.by_region {
            text.push_str("  by: region\n");
        }
        match &k.target {
            Some(Some(f)) => text.push_str(&format!("  target: sum(budget.amount) * {f}\n")),
            Some(None) => text.push_str("  target: sum(budget.amount)\n"),
            None => {}
        }
        match &k.thresholds {
            Thresholds::None => {}
            Thresholds::AgainstTarget => text.push_str(
                "  thresholds: { green: value >= target  amber: value >= 90% of target  red: otherwise }\n",
            ),
            Thresholds::Levels(g, a) => text.push_str(&format!(
                "  thresholds: green >= {}, amber >= {}, red otherwise\n",
                signed(g),
                signed(a)
            )),
        }
        text.push_str("}\n");
    }
    text
}

fn csv(c: &Case) -> (String, String) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut orders = String::from("day,region,channel,amount,qty\n");
    for o in &c.orders {
        orders.push_str(&format!(
            "{},{},{},{},{}\n",
            o.day,
            opt(&o.region),
            o.channel,
            opt(&o.amount),
            o.qty.map(|q| q.to_string()).unwrap_or_default()
        ));
    }
    let mut budget = String::from("month,region,amount\n");
    for b in &c.budget {
        budget.push_str(&format!("{},{},{}\n", b.month, opt(&b.region), b.amount));
    }
    (orders, budget)
}

// ---- the SQL

fn filter_sql(f: &Filter) -> String {
    match f {
        Filter::Region(x) => format!("o.region = '{x}'"),
        Filter::RegionIn(xs) => {
            let quoted: Vec<String> = xs.iter().map(|x| format!("'{x}'")).collect();
            format!("o.region IN ({})", quoted.join(", "))
        }
        Filter::Channel(x) => format!("o.channel = '{x}'"),
        Filter::QtyAbove(k) => format!("o.qty > {k}"),
        Filter::AmountAtLeast(x) => format!("o.amount >= {x}"),
        Filter::Not(a) => format!("NOT ({})", filter_sql(a)),
        Filter::And(a, b) => format!("({}) AND ({})", filter_sql(a), filter_sql(b)),
        Filter::Or(a, b) => format!("({}) OR ({})", filter_sql(a), filter_sql(b)),
    }
}

/// Where an expression is evaluated: the period, and the first and last periods its aggregates
/// are taken over, as SQL over the outer `per.p`.
#[derive(Clone)]
struct Place {
    period: String,
    from: String,
    to: String,
}

impl Place {
    fn shifted(&self, n: i64) -> Place {
        Place {
            period: format!("({} - {n})", self.period),
            from: format!("({} - {n})", self.from),
            to: format!("({} - {n})", self.to),
        }
    }
    fn window(&self, from: String) -> Place {
        Place {
            period: self.period.clone(),
            from,
            to: self.period.clone(),
        }
    }
}

/// Rows of `table` in the segment and the periods `from..=to`.
fn rows_in(table: &str, place: &Place) -> String {
    format!(
        "FROM {table} o WHERE o.p BETWEEN {} AND {} AND (s.total OR o.region IS NOT DISTINCT FROM s.seg)",
        place.from, place.to
    )
}

/// An aggregate over its place: each period's aggregate from its rows, then combined; no value
/// when the dataset has no rows there.
fn agg_sql(agg: Agg, column: &Column, f: &Option<Filter>, place: &Place) -> String {
    let col = match column {
        Column::Amount => "o.amount",
        Column::Qty => "o.qty",
    };
    let when = f
        .as_ref()
        .map(|f| format!(" FILTER (WHERE {})", filter_sql(f)))
        .unwrap_or_default();
    let (cell, combine) = match agg {
        // A filter that matches none of a period's rows gives 0; rows whose values are all
        // empty give no value.
        Agg::Sum => (
            format!("CASE WHEN count(*){when} = 0 THEN 0 ELSE sum({col}){when} END AS v"),
            "sum(v)".to_string(),
        ),
        Agg::Rows => (format!("count(*){when} AS v"), "sum(v)".into()),
        Agg::Count => (format!("count({col}){when} AS v"), "sum(v)".into()),
        Agg::Min => (format!("min({col}){when} AS v"), "min(v)".into()),
        Agg::Max => (format!("max({col}){when} AS v"), "max(v)".into()),
        Agg::Avg => (
            format!("sum({col}){when} AS v, count({col}){when} AS n"),
            "sum(v) / NULLIF(sum(n), 0)".into(),
        ),
    };
    format!(
        "(SELECT CASE WHEN count(*) = 0 THEN NULL ELSE {combine} END FROM (SELECT {cell} {} GROUP BY o.p))",
        rows_in("o", place)
    )
}

/// The first period of the (fiscal) year holding `p`.
fn year_start(p: &str, fiscal_start: u32) -> String {
    let shift = fiscal_start as i64 - 1;
    format!("({p} - ((({p} - {shift}) % 12) + 12) % 12)")
}

fn expr_sql(e: &Expr, place: &Place, c: &Case) -> String {
    match e {
        Expr::Agg(agg, column, f) => agg_sql(*agg, column, f, place),
        Expr::Const(v) => format!("CAST({v} AS DECIMAL(28, 4))"),
        Expr::Add(a, b) => format!("({} + {})", expr_sql(a, place, c), expr_sql(b, place, c)),
        Expr::Sub(a, b) => format!("({} - {})", expr_sql(a, place, c), expr_sql(b, place, c)),
        Expr::Mul(a, b) => format!("({} * {})", expr_sql(a, place, c), expr_sql(b, place, c)),
        // Division by zero is no value.
        Expr::Div(a, b) => format!(
            "({} / NULLIF({}, 0))",
            expr_sql(a, place, c),
            expr_sql(b, place, c)
        ),
        Expr::Neg(a) => format!("(-{})", expr_sql(a, place, c)),
        // Another KPI's value in the same period, segment and window.
        Expr::Kpi(i) => expr_sql(&c.kpis[*i].expr, place, c),
        Expr::Ytd(a) => {
            let from = year_start(&place.period, c.fiscal_start);
            expr_sql(a, &place.window(from), c)
        }
        Expr::Rolling(a, n) => {
            let from = format!("({} - {})", place.period, n - 1);
            expr_sql(a, &place.window(from), c)
        }
        Expr::Shift(a, n) => expr_sql(a, &place.shifted(*n), c),
        Expr::LastYear(a) => expr_sql(a, &place.shifted(12), c),
    }
}

/// Whether a value went through binary floating point in DuckDB: a division or an average.
fn inexact(e: &Expr, c: &Case) -> bool {
    match e {
        Expr::Agg(agg, ..) => *agg == Agg::Avg,
        Expr::Const(_) => false,
        Expr::Div(..) => true,
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => inexact(a, c) || inexact(b, c),
        Expr::Neg(a)
        | Expr::Ytd(a)
        | Expr::Rolling(a, _)
        | Expr::Shift(a, _)
        | Expr::LastYear(a) => inexact(a, c),
        Expr::Kpi(i) => inexact(&c.kpis[*i].expr, c),
    }
}

/// Whether an expression reads a dataset's rows (through the KPIs it names too).
fn reads_rows(e: &Expr, c: &Case) -> bool {
    match e {
        Expr::Agg(..) => true,
        Expr::Const(_) => false,
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) => {
            reads_rows(a, c) || reads_rows(b, c)
        }
        Expr::Neg(a)
        | Expr::Ytd(a)
        | Expr::Rolling(a, _)
        | Expr::Shift(a, _)
        | Expr::LastYear(a) => reads_rows(a, c),
        Expr::Kpi(i) => reads_rows(&c.kpis[*i].expr, c),
    }
}

/// One statement per KPI: every reported period and segment with its value and target.
fn statement(k: &Kpi, c: &Case) -> String {
    let place = Place {
        period: "per.p".into(),
        from: "per.p".into(),
        to: "per.p".into(),
    };
    let value = expr_sql(&k.expr, &place, c);
    let target = match &k.target {
        Some(f) => {
            let budget = format!(
                "(SELECT CASE WHEN count(*) = 0 THEN NULL ELSE sum(o.amount) END {})",
                rows_in("b", &place)
            );
            match f {
                Some(f) => format!("({budget} * CAST({f} AS DECIMAL(28, 4)))"),
                None => budget,
            }
        }
        None => "NULL".into(),
    };
    // Segments: the regions of every dataset the value or target reads, in the reported periods.
    let mut sources = Vec::new();
    if reads_rows(&k.expr, c) {
        sources.push("SELECT region FROM o, bounds WHERE o.p BETWEEN bounds.first AND bounds.last");
    }
    if k.target.is_some() {
        sources.push("SELECT region FROM b, bounds WHERE b.p BETWEEN bounds.first AND bounds.last");
    }
    let segments = if k.by_region && !sources.is_empty() {
        format!(
            "SELECT true AS total, NULL::VARCHAR AS seg UNION ALL SELECT DISTINCT false, region FROM ({})",
            sources.join(" UNION ALL ")
        )
    } else {
        "SELECT true AS total, NULL::VARCHAR AS seg".into()
    };
    // The reported periods: from the first to the last with rows of a dataset some KPI's value
    // reads (only `orders`, here); none when no value reads one.
    let reads = c.kpis.iter().any(|k| reads_rows(&k.expr, c));
    let bounds = if reads {
        "SELECT min(p) AS first, max(p) AS last FROM o"
    } else {
        "SELECT NULL::BIGINT AS first, NULL::BIGINT AS last"
    };
    format!(
        "WITH bounds AS ({bounds}), \
         per AS (SELECT unnest(range(bounds.first, bounds.last + 1)) AS p FROM bounds), \
         s AS ({segments}) \
         SELECT per.p, s.total, s.seg, {value} AS value, {target} AS target \
         FROM per, s ORDER BY per.p, s.total DESC, s.seg NULLS FIRST"
    )
}

const SETUP: &str = "CREATE OR REPLACE VIEW o AS SELECT *, year(day) * 12 + month(day) - 1 AS p FROM read_csv('orders.csv', header = true, columns = {'day': 'DATE', 'region': 'VARCHAR', 'channel': 'VARCHAR', 'amount': 'DECIMAL(18, 2)', 'qty': 'BIGINT'}); \
CREATE OR REPLACE VIEW b AS SELECT *, year(month) * 12 + month(month) - 1 AS p FROM read_csv('budget.csv', header = true, columns = {'month': 'DATE', 'region': 'VARCHAR', 'amount': 'DECIMAL(18, 2)'});";

/// DuckDB in a Python process that answers one request a line: a folder and statements.
struct DuckDb {
    _child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

const WORKER: &str = r#"
import json, os, sys, duckdb
for line in sys.stdin:
    request = json.loads(line)
    os.chdir(request["dir"])
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(request["setup"])
    answers = []
    for statement in request["statements"]:
        try:
            rows = con.execute(statement).fetchall()
            answers.append({"rows": [[None if v is None else repr(v) if isinstance(v, float) else str(v) for v in row] for row in rows]})
        except Exception as e:
            answers.append({"error": str(e)})
    con.close()
    print(json.dumps(answers), flush=True)
"#;

#[derive(Deserialize)]
struct Answer {
    rows: Option<Vec<Vec<Option<String>>>>,
    error: Option<String>,
}

impl DuckDb {
    fn start() -> DuckDb {
        let mut child = Command::new("python3")
            .args(["-u", "-c", WORKER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with duckdb (`.ci/peers`) runs");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        DuckDb {
            _child: child,
            input,
            output,
        }
    }

    fn ask(&mut self, dir: &Path, statements: &[String]) -> Vec<Answer> {
        let request = serde_json::json!({
            "dir": dir.display().to_string(),
            "setup": SETUP,
            "statements": statements,
        });
        writeln!(self.input, "{request}").unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }
}

// ---- comparing

/// A row as both sides give it: period label and segment, value, target, status.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    value: Option<Decimal>,
    target: Option<Decimal>,
    status: &'static str,
}

fn round(v: Decimal) -> Decimal {
    let mut r = v.round_dp_with_strategy(PLACES, RoundingStrategy::MidpointNearestEven);
    r.rescale(PLACES);
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    r
}

fn number_of(text: &str) -> Decimal {
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .or_else(|_| {
            let f: f64 = text.parse().map_err(|_| ())?;
            Decimal::try_from(f).map_err(|_| ())
        })
        .unwrap_or_else(|_| panic!("not a number: {text}"))
}

/// The status the documented rules give a rounded value and target.
fn status(k: &Kpi, value: Option<Decimal>, target: Option<Decimal>) -> &'static str {
    let Some(v) = value else {
        return "no_value";
    };
    let level = |ok: bool, then: &'static str| ok.then_some(then);
    match &k.thresholds {
        Thresholds::AgainstTarget => {
            let Some(t) = target else {
                return "no_value";
            };
            let ninety = t * Decimal::new(9, 1);
            level(v >= t, "green")
                .or(level(v >= ninety, "amber"))
                .unwrap_or("red")
        }
        Thresholds::Levels(g, a) => level(v >= number_of(g), "green")
            .or(level(v >= number_of(a), "amber"))
            .unwrap_or("red"),
        Thresholds::None => match (&k.target, target) {
            (None, _) => "unrated",
            (Some(_), None) => "no_value",
            (Some(_), Some(t)) => level(v >= t, "green").unwrap_or("red"),
        },
    }
}

fn month_label(p: i64) -> String {
    format!("{:04}-{:02}", p.div_euclid(12), p.rem_euclid(12) + 1)
}

type Rows = BTreeMap<(String, String), Shown>;

fn segment_key(total: bool, seg: Option<&str>) -> String {
    if total {
        "total".into()
    } else {
        format!("region={}", scorecard::model::format::segment_value(seg))
    }
}

/// What the engine gives each KPI, or its error.
fn by_engine(c: &Case, dir: &Path) -> Result<Vec<Rows>, String> {
    let compiled = scorecard::compile(&scorecard(c));
    let Some(model) = compiled.model else {
        let text = scorecard::diagnostic::render_plain(
            "oracle.scorecard",
            &scorecard(c),
            &compiled.diagnostics,
        );
        return Err(format!("the scorecard does not check:\n{text}"));
    };
    let e =
        scorecard::evaluate(&model, &crate::support::options(dir)).map_err(|e| e.to_string())?;
    Ok(e.kpis
        .iter()
        .map(|k| {
            k.results
                .held()
                .iter()
                .map(|r| {
                    let key = (
                        r.period.clone(),
                        scorecard::report::segment_label(&r.segment),
                    );
                    let shown = Shown {
                        value: r.value,
                        target: r.target,
                        status: crate::support::cells(r).2,
                    };
                    (key, shown)
                })
                .collect()
        })
        .collect())
}

/// What DuckDB gives each KPI.
fn by_duckdb(c: &Case, dir: &Path, duck: &mut DuckDb) -> Result<Vec<Rows>, String> {
    let statements: Vec<String> = c.kpis.iter().map(|k| statement(k, c)).collect();
    let answers = duck.ask(dir, &statements);
    let mut out = Vec::new();
    for (k, answer) in c.kpis.iter().zip(answers) {
        let Some(rows) = answer.rows else {
            return Err(format!("DuckDB: {}", answer.error.unwrap_or_default()));
        };
        let mut shown = Rows::new();
        for row in rows {
            let p: i64 = row[0].as_deref().unwrap_or("0").parse().unwrap();
            let total = row[1].as_deref() == Some("True");
            let value = row[3].as_deref().map(|v| round(number_of(v)));
            let target = row[4].as_deref().map(|v| round(number_of(v)));
            let key = (month_label(p), segment_key(total, row[2].as_deref()));
            let status = status(k, value, target);
            shown.insert(
                key,
                Shown {
                    value,
                    target,
                    status,
                },
            );
        }
        out.push(shown);
    }
    Ok(out)
}

/// Whether two values agree: exactly, or for one that went through floating point in DuckDB, to
/// one unit in the last place or a part in ten million million of the largest number the
/// computation held (`scale`): a double's rounding error is relative to that, not to the result
/// (an average of 45,289,100,000,198.465 less 45,289,100,000,000 keeps few of a double's digits).
fn agree(a: Option<Decimal>, b: Option<Decimal>, scale: Option<Decimal>) -> bool {
    match (a, b, scale) {
        (Some(a), Some(b), Some(scale)) => {
            let unit = Decimal::new(1, PLACES);
            let error = a.abs().max(b.abs()).max(scale) * Decimal::new(1, 13);
            (a - b).abs() <= unit.max(error)
        }
        (a, b, _) => a == b,
    }
}

/// The largest number the engine's calculation of a value held: every step of its explanation.
fn largest_step(c: &Case, dir: &Path, kpi: usize, (period, segment): &(String, String)) -> Decimal {
    let model = scorecard::compile(&scorecard(c)).model.expect("it checked");
    let segment = match segment.strip_prefix("region=") {
        Some(v) => vec![("region".to_string(), v.to_string())],
        None => Vec::new(),
    };
    let request = scorecard::ExplainRequest {
        kpi: format!("k{kpi}"),
        period: period.clone(),
        segment,
        rows: Some(0),
    };
    let e = scorecard::explain(&model, &crate::support::options(dir), &request)
        .unwrap_or_else(|e| panic!("explain k{kpi} {period}: {e}"));
    fn largest(n: &scorecard::rules::explain::Node) -> Decimal {
        let own = n.value.map(|v| v.abs()).unwrap_or_default();
        n.children.iter().map(largest).fold(own, Decimal::max)
    }
    largest(&e.calculation)
}

/// The first disagreement between the engine and DuckDB on a case, if any.
fn disagreement(c: &Case, duck: &mut DuckDb) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let (orders, budget) = csv(c);
    std::fs::write(dir.path().join("orders.csv"), orders).unwrap();
    std::fs::write(dir.path().join("budget.csv"), budget).unwrap();
    let engine = match by_engine(c, dir.path()) {
        Ok(e) => e,
        // An overflow or a lost precision is the engine refusing a number it cannot hold exactly
        // (huge amounts multiplied, tiny ones divided): an error, not a wrong number.
        Err(e)
            if e.contains("beyond the exact decimal range") || e.contains("28 decimal places") =>
        {
            return None
        }
        Err(e) => return Some(format!("the engine failed: {e}")),
    };
    let duck = match by_duckdb(c, dir.path(), duck) {
        Ok(d) => d,
        Err(e) if e.contains("Overflow") || e.contains("out of range") => return None,
        Err(e) => return Some(e),
    };
    for (i, (k, (mine, theirs))) in c.kpis.iter().zip(engine.iter().zip(&duck)).enumerate() {
        let fuzzy = inexact(&k.expr, c);
        let keys: std::collections::BTreeSet<_> = mine.keys().chain(theirs.keys()).collect();
        for key in keys {
            let (a, b) = (mine.get(key), theirs.get(key));
            let same = |scale: Option<Decimal>| match (a, b) {
                (Some(a), Some(b)) => {
                    agree(a.value, b.value, scale)
                        && a.target == b.target
                        && (a.status == b.status || (scale.is_some() && a.value != b.value))
                }
                _ => false,
            };
            // Only a value that went through floating point, and is not equal, needs the size of
            // its calculation's steps.
            let both = fuzzy && a.is_some() && b.is_some();
            let agrees = same(None)
                || (both && same(Some(Decimal::ZERO)))
                || (both && same(Some(largest_step(c, dir.path(), i, key))));
            if !agrees {
                return Some(format!(
                    "k{i} in {} {}: the engine gives {a:?}, DuckDB {b:?}",
                    key.0, key.1
                ));
            }
        }
    }
    None
}

// ---- shrinking

/// Smaller versions of a case: one KPI and those it uses, smaller expressions, fewer rows.
fn smaller(c: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    // Each KPI on its own, with the earlier KPIs it needs.
    for i in 0..c.kpis.len() {
        if c.kpis.len() > 1 {
            let mut kept = c.clone();
            kept.kpis.truncate(i + 1);
            if kept.kpis.len() < c.kpis.len() {
                out.push(kept);
            }
        }
    }
    // Each KPI that no other uses, left out.
    for j in 0..c.kpis.len() {
        if c.kpis.len() > 1 && !c.kpis.iter().any(|k| uses(&k.expr, j)) {
            let mut s = c.clone();
            s.kpis.remove(j);
            for k in &mut s.kpis {
                renumber(&mut k.expr, j);
            }
            out.push(s);
        }
    }
    // Each expression replaced by one of its parts.
    for (i, k) in c.kpis.iter().enumerate() {
        for e in simpler(&k.expr) {
            let mut s = c.clone();
            s.kpis[i].expr = e;
            out.push(s);
        }
        if k.by_region {
            let mut s = c.clone();
            s.kpis[i].by_region = false;
            out.push(s);
        }
        if k.thresholds != Thresholds::None {
            let mut s = c.clone();
            s.kpis[i].thresholds = Thresholds::None;
            out.push(s);
        }
    }
    // Fewer rows: halves, then each row (a case keeps one order, so that it has a period).
    let n = c.orders.len();
    if n > 1 {
        for half in [0..n / 2, n / 2..n] {
            let mut s = c.clone();
            s.orders.drain(half);
            if !s.orders.is_empty() {
                out.push(s);
            }
        }
    }
    for i in (0..n).filter(|_| n > 1) {
        let mut s = c.clone();
        s.orders.remove(i);
        out.push(s);
    }
    let m = c.budget.len();
    if m > 1 {
        for half in [0..m / 2, m / 2..m] {
            let mut s = c.clone();
            s.budget.drain(half);
            out.push(s);
        }
    }
    out
}

/// Whether an expression names KPI `j`.
fn uses(e: &Expr, j: usize) -> bool {
    match e {
        Expr::Kpi(i) => *i == j,
        Expr::Agg(..) | Expr::Const(_) => false,
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) => {
            uses(a, j) || uses(b, j)
        }
        Expr::Neg(a)
        | Expr::Ytd(a)
        | Expr::Rolling(a, _)
        | Expr::Shift(a, _)
        | Expr::LastYear(a) => uses(a, j),
    }
}

/// The KPI numbers after KPI `j` is left out.
fn renumber(e: &mut Expr, j: usize) {
    match e {
        Expr::Kpi(i) if *i > j => *i -= 1,
        Expr::Kpi(_) | Expr::Agg(..) | Expr::Const(_) => {}
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) => {
            renumber(a, j);
            renumber(b, j);
        }
        Expr::Neg(a)
        | Expr::Ytd(a)
        | Expr::Rolling(a, _)
        | Expr::Shift(a, _)
        | Expr::LastYear(a) => renumber(a, j),
    }
}

fn simpler(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    match e {
        Expr::Agg(a, c, Some(_)) => out.push(Expr::Agg(*a, c.clone(), None)),
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) => {
            out.push(*a.clone());
            out.push(*b.clone());
            for x in simpler(a) {
                out.push(rebuild(e, x, *b.clone()));
            }
            for x in simpler(b) {
                out.push(rebuild(e, *a.clone(), x));
            }
        }
        Expr::Neg(a)
        | Expr::Ytd(a)
        | Expr::Rolling(a, _)
        | Expr::Shift(a, _)
        | Expr::LastYear(a) => {
            out.push(*a.clone());
        }
        _ => {}
    }
    out
}

fn rebuild(e: &Expr, a: Expr, b: Expr) -> Expr {
    let (a, b) = (Box::new(a), Box::new(b));
    match e {
        Expr::Add(..) => Expr::Add(a, b),
        Expr::Sub(..) => Expr::Sub(a, b),
        Expr::Mul(..) => Expr::Mul(a, b),
        _ => Expr::Div(a, b),
    }
}

/// Whether a case is well formed (every KPI reference to an earlier KPI of the same unit): the
/// shrinker's candidates must still be scorecards that check.
fn well_formed(c: &Case) -> bool {
    scorecard::compile(&scorecard(c)).model.is_some()
}

fn shrink(mut c: Case, duck: &mut DuckDb) -> (Case, String) {
    let mut why = disagreement(&c, duck).unwrap_or_default();
    'again: loop {
        for s in smaller(&c) {
            if !well_formed(&s) {
                continue;
            }
            if let Some(w) = disagreement(&s, duck) {
                (c, why) = (s, w);
                continue 'again;
            }
        }
        return (c, why);
    }
}

// ---- the test

fn regressions() -> Vec<(PathBuf, Case)> {
    let Ok(entries) = std::fs::read_dir(REGRESSIONS) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Case)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let case =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, case)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn random_scorecards_agree_with_duckdb() {
    let seed = std::env::var("ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let cases = std::env::var("ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CASES);
    let mut duck = DuckDb::start();
    for (path, c) in regressions() {
        if let Some(why) = disagreement(&c, &mut duck) {
            panic!(
                "{} disagrees again: {why}\n{}",
                path.display(),
                scorecard(&c)
            );
        }
    }
    let mut r = Random(seed);
    let mut checked = 0;
    for n in 0..cases {
        let c = case(&mut r);
        if !well_formed(&c) {
            let text = scorecard(&c);
            let d = scorecard::compile(&text).diagnostics;
            panic!(
                "case {n} of seed {seed} does not check:\n{}\n{text}",
                scorecard::diagnostic::render_plain("oracle.scorecard", &text, &d)
            );
        }
        if disagreement(&c, &mut duck).is_some() {
            let (small, why) = shrink(c, &mut duck);
            std::fs::create_dir_all(REGRESSIONS).unwrap();
            let path = Path::new(REGRESSIONS).join(format!("seed{seed}-case{n}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(&small).unwrap()).unwrap();
            let (orders, budget) = csv(&small);
            panic!(
                "case {n} of seed {seed} disagrees: {why}\nshrunk and kept as {} (commit it with the fix)\n\n{}\n--- orders.csv\n{orders}--- budget.csv\n{budget}",
                path.display(),
                scorecard(&small)
            );
        }
        checked += 1;
    }
    assert_eq!(checked, cases);
}
