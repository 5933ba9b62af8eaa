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
                Cell::new(r.score.map(|s| s.to_string()).unwrap_or_default())
                    .set_alignment(CellAlignment::Right),
            ]);
        }
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if !e.scores.perspectives.is_empty() {
        out.push_str(&scores(e));
    }
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

/// Perspective, objective and overall scores, each perspective followed by its objectives.
fn scores(e: &Evaluation) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.force_no_tty();
    t.set_header(["Scores", "Period", "Score"]);
    let name =
        |label: &Option<String>, name: &str| label.clone().unwrap_or_else(|| name.to_string());
    let mut add = |who: String, results: &[crate::rules::rollup::PeriodScore]| {
        for r in results {
            let shown = r.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into());
            t.add_row(vec![
                Cell::new(&who),
                Cell::new(&r.period),
                Cell::new(shown).set_alignment(CellAlignment::Right),
            ]);
        }
    };
    for p in &e.scores.perspectives {
        add(name(&p.label, &p.name), &p.results);
        for o in e
            .scores
            .objectives
            .iter()
            .filter(|o| o.perspective.as_deref() == Some(p.name.as_str()))
        {
            add(format!("  {}", name(&o.label, &o.name)), &o.results);
        }
    }
    add("Overall".into(), &e.scores.overall);
    format!("{t}\n")
}
