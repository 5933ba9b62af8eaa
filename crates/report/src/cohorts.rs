//! Owns cohort triangles as the formats draw them: one grid per measure (retention, cumulative
//! margin per original customer, equity), cohorts down and ages across, for the terminal table,
//! Markdown, the HTML heat map and the workbook. The numbers are the evaluation's; nothing is
//! computed here but their text.

use scorecard_model::format::number;
use scorecard_model::Unit;
use scorecard_rules::{Triangle, TriangleCell};

/// A measure of a triangle: its title, and a cell's value as text.
pub struct Measure {
    pub title: &'static str,
    pub shown: fn(&TriangleCell) -> String,
    /// A cell's retention, which the heat map shades by.
    pub shade: bool,
}

pub const MEASURES: &[Measure] = &[
    Measure {
        title: "Retention (active / customers at start)",
        shown: |c| number(Some(c.retention), Unit::Percent),
        shade: true,
    },
    Measure {
        title: "Cumulative margin per original customer",
        shown: |c| number(Some(c.cumulative_margin), Unit::Money),
        shade: false,
    },
    Measure {
        title: "Equity (customers counted × lifetime value)",
        shown: |c| number(c.equity, Unit::Money),
        shade: false,
    },
];

/// The header row: `Cohort`, `Customers`, then `Age 0` to the oldest age shown.
pub fn header(t: &Triangle) -> Vec<String> {
    let ages = t.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut out = vec!["Cohort".to_string(), "Customers".to_string()];
    out.extend((0..ages).map(|a| format!("Age {a}")));
    out
}

/// Each cohort's row of a measure: its name, size, and a cell per age (empty past its last).
pub fn rows(t: &Triangle, m: &Measure) -> Vec<Vec<String>> {
    let ages = header(t).len() - 2;
    t.rows
        .iter()
        .map(|r| {
            let mut line = vec![r.cohort.clone(), r.size.to_string()];
            line.extend((0..ages).map(|a| r.cells.get(a).map(m.shown).unwrap_or_default()));
            line
        })
        .collect()
}

/// The triangle's heading: `Customers by first order (buyers)`.
pub fn title(t: &Triangle) -> String {
    match &t.label {
        Some(l) => format!("{l} ({})", t.cohort),
        None => t.cohort.clone(),
    }
}
