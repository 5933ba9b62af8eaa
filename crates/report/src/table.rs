//! Owns the terminal table: KPI, segment, period, value, target, variance, status and score, grouped by
//! perspective and objective; the status in colour (when asked) and always as a word, so it reads
//! without colour. Then the scores of objectives, perspectives and the scorecard.

use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Color, ContentArrangement, Table,
};
use scorecard_model::format::{number, number_or_blank, segment_label};
use scorecard_rules::{Evaluation, KpiResult, Status};

pub fn table(e: &Evaluation, color: bool) -> String {
    let mut out = String::new();
    let title = e
        .scorecard
        .label
        .clone()
        .unwrap_or_else(|| e.scorecard.name.clone());
    out.push_str(&format!("{title}\n"));
    if let Some(whom) = super::for_whom(e) {
        out.push_str(&format!(
            "Prepared for {whom}: what it may not see is left out\n"
        ));
    }
    if let Some(a) = super::assumptions(e) {
        out.push_str(&format!("Assuming {a}\n"));
    }
    let mut t = new_table(color);
    t.set_header([
        "KPI", "Segment", "Period", "Value", "Target", "Variance", "Status", "Score",
    ]);
    for (heading, kpis) in groups(e) {
        if let Some(h) = heading {
            t.add_row(vec![Cell::new(h)]);
        }
        for k in kpis {
            kpi_rows(&mut t, k, color, e.scores.perspectives.is_empty());
        }
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if !e.scores.perspectives.is_empty() {
        out.push_str(&scores(e));
    }
    out.push_str(&curves(e));
    out.push_str(&cohorts(e, color));
    out.push_str(&super::health::text(e));
    out.push_str(&super::escalations::escalations(e, color));
    for w in &e.warnings {
        out.push_str(&warning_line(w));
        out.push('\n');
    }
    out
}

/// A warning as one line: its code, its message, and where it applies when that is one period.
pub fn warning_line(w: &scorecard_rules::Warning) -> String {
    let place = match w.period.is_empty() {
        true => String::new(),
        false => format!(" ({}, {})", w.period, segment_label(&w.segment)),
    };
    format!("warning[{}]: {}{place}", w.code, w.message)
}

/// A table drawn in the report's style, in colour when asked.
pub(super) fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

/// Each cohort triangle, one table per measure, cohorts down and ages across.
fn cohorts(e: &Evaluation, color: bool) -> String {
    let mut out = String::new();
    for t in e.cohorts.iter().filter(|t| !t.rows.is_empty()) {
        for m in super::cohorts::MEASURES {
            out.push_str(&format!("{}: {}\n", super::cohorts::title(t), m.title));
            let mut table = new_table(color);
            table.set_header(super::cohorts::header(t));
            for r in super::cohorts::rows(t, m) {
                table.add_row(r);
            }
            out.push_str(&format!("{table}\n"));
        }
    }
    out
}

/// One line per whale curve for the last period reported: where the cumulative share peaks (the
/// full curve is in the JSON output).
fn curves(e: &Evaluation) -> String {
    let Some(last) = e.periods.last() else {
        return String::new();
    };
    let mut out = String::new();
    for c in e.curves.iter().filter(|c| &c.period == last) {
        let Some((pct, peak)) = c
            .points
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        let top20 = c.points.get(20).map(|p| p.1).unwrap_or_default();
        out.push_str(&format!(
            "whale curve of {}.{} in {} ({} entities): the top 20% hold {}% of the total; the cumulative share peaks at {}% with the top {pct}%\n",
            c.view,
            c.column,
            c.period,
            c.entities,
            (top20 * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1),
            (*peak * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1),
        ));
    }
    out
}

/// KPIs grouped under "Perspective › Objective" headings in the order declared, then those with no
/// objective; one group with no heading when the scorecard declares no perspectives.
pub(super) fn groups(e: &Evaluation) -> Vec<(Option<String>, Vec<&KpiResult>)> {
    if e.scores.perspectives.is_empty() {
        return vec![(None, e.kpis.iter().collect())];
    }
    let name =
        |label: &Option<String>, name: &str| label.clone().unwrap_or_else(|| name.to_string());
    let mut out = Vec::new();
    for p in &e.scores.perspectives {
        for o in e
            .scores
            .objectives
            .iter()
            .filter(|o| o.perspective.as_deref() == Some(p.name.as_str()))
        {
            let kpis: Vec<&KpiResult> = e
                .kpis
                .iter()
                .filter(|k| k.objective.as_deref() == Some(o.name.as_str()))
                .collect();
            if !kpis.is_empty() {
                out.push((
                    Some(format!(
                        "{} › {}",
                        name(&p.label, &p.name),
                        name(&o.label, &o.name)
                    )),
                    kpis,
                ));
            }
        }
    }
    let loose: Vec<&KpiResult> = e.kpis.iter().filter(|k| k.objective.is_none()).collect();
    if !loose.is_empty() {
        out.push((Some("Not under an objective".to_string()), loose));
    }
    out
}

fn kpi_rows(t: &mut Table, k: &KpiResult, color: bool, flat: bool) {
    let label = k.label.clone().unwrap_or_else(|| k.name.clone());
    let name = if flat { label } else { format!("  {label}") };
    let has_target = k.results.held().iter().any(|r| r.target.is_some());
    for r in k.results.held() {
        let mut status = Cell::new(r.status.name());
        if color {
            status = status.fg(match r.status {
                Status::Green => Color::Green,
                Status::Amber => Color::Yellow,
                Status::Red => Color::Red,
                Status::NoValue
                | Status::Unrated
                | Status::InsufficientData
                | Status::Suppressed => Color::DarkGrey,
            });
        }
        let period = r.period_shown();
        let target = if has_target {
            number(r.target, k.unit)
        } else {
            String::new()
        };
        let variance = number_or_blank(r.variance, k.unit);
        let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
        t.add_row(vec![
            Cell::new(&name),
            Cell::new(segment_label(&r.segment)),
            Cell::new(period),
            right(number(r.value, k.unit)),
            right(target),
            right(variance),
            status,
            right(r.score.map(|s| s.to_string()).unwrap_or_default()),
        ]);
    }
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
    let mut add = |who: String, results: &[scorecard_rules::rollup::PeriodScore]| {
        for r in results {
            let shown = super::score_shown(r);
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
