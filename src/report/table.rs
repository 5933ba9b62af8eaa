//! Owns the terminal table: KPI, segment, period, value, target, variance and status, the status in
//! colour (when asked) and always as a word, so it reads without colour.

use super::format::{number, segment_label};
use crate::rules::{Evaluation, Status};
use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Color, ContentArrangement, Table,
};

pub fn table(e: &Evaluation, color: bool) -> String {
    let mut out = String::new();
    let title = e
        .scorecard
        .label
        .clone()
        .unwrap_or_else(|| e.scorecard.name.clone());
    out.push_str(&format!("{title}\n"));
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t.set_header([
        "KPI", "Segment", "Period", "Value", "Target", "Variance", "Status",
    ]);
    for k in &e.kpis {
        let name = k.label.clone().unwrap_or_else(|| k.name.clone());
        for r in &k.results {
            let mut status = Cell::new(r.status.name());
            if color {
                status = status.fg(match r.status {
                    Status::Green => Color::Green,
                    Status::Amber => Color::Yellow,
                    Status::Red => Color::Red,
                    Status::NoValue | Status::Unrated => Color::DarkGrey,
                });
            }
            t.add_row(vec![
                Cell::new(&name),
                Cell::new(segment_label(&r.segment)),
                Cell::new(if r.partial {
                    format!("{} (partial)", r.period)
                } else {
                    r.period.clone()
                }),
                Cell::new(number(r.value, k.unit)).set_alignment(CellAlignment::Right),
                Cell::new(if k.results.iter().any(|r| r.target.is_some()) {
                    number(r.target, k.unit)
                } else {
                    String::new()
                })
                .set_alignment(CellAlignment::Right),
                Cell::new(if r.variance.is_some() {
                    number(r.variance, k.unit)
                } else {
                    String::new()
                })
                .set_alignment(CellAlignment::Right),
                status,
            ]);
        }
    }
    out.push_str(&t.to_string());
    out.push('\n');
    for w in &e.warnings {
        out.push_str(&format!(
            "warning: {} ({}, {})\n",
            w.message,
            w.period,
            segment_label(&w.segment)
        ));
    }
    out
}
