//! Owns the Markdown rendering, for pull-request comments: the last period's totals by objective
//! with status as emoji and word, the scores, the open escalations, then every period and segment
//! in a collapsed block.

use scorecard_model::format::{number, number_or_blank, segment_label};
use scorecard_rules::{Evaluation, Row, Status};
use std::fmt::Write;

pub fn markdown(e: &Evaluation) -> String {
    let title = e
        .scorecard
        .label
        .clone()
        .unwrap_or_else(|| e.scorecard.name.clone());
    let mut out = format!("## {}\n\n", cell(&title));
    if let Some(whom) = super::for_whom(e) {
        let _ = write!(out, "**Prepared for:** {} · ", cell(&whom));
    }
    if let Some(a) = super::assumptions(e) {
        let _ = write!(out, "**Assuming:** {} · ", cell(&a));
    }
    let last = e.periods.last().map(String::as_str);
    match last {
        Some(p) => {
            let partial = e.kpis.iter().any(|k| {
                let held = k.results.held();
                held.iter().any(|r| r.period == p && r.own_period_partial())
            });
            let _ = write!(
                out,
                "**Period:** {}{}",
                cell(p),
                if partial { " (partial)" } else { "" }
            );
        }
        None => out.push_str("**Period:** no periods with data"),
    }
    if let Some(o) = &e.scorecard.owner {
        let _ = write!(out, " · **Owner:** {}", cell(o));
    }
    // Every amount is in the reporting currency, whatever currencies the data holds.
    let _ = write!(out, " · **Currency:** {}", cell(&e.scorecard.currency));
    if let Some(s) = e
        .scores
        .overall
        .iter()
        .find(|s| Some(s.period.as_str()) == last)
        .and_then(|s| s.score)
    {
        let _ = write!(out, " · **Overall score:** {s} of 10");
    }
    out.push_str(
        "\n\n| KPI | Value | Target | Variance | Status | Score |\n|---|--:|--:|--:|---|--:|\n",
    );
    for (heading, kpis) in super::table::groups(e) {
        if let Some(h) = heading {
            let _ = writeln!(out, "| **{}** | | | | | |", cell(&h));
        }
        for k in kpis {
            let r = k
                .results
                .held()
                .iter()
                .find(|r| r.segment.is_empty() && Some(r.period.as_str()) == last);
            let name = k.label.as_deref().unwrap_or(&k.name);
            let _ = writeln!(out, "| {} | {} |", cell(name), columns(r, k.unit));
        }
    }
    if !e.scores.perspectives.is_empty() {
        out.push_str("\n| Perspective | Score |\n|---|--:|\n");
        for p in &e.scores.perspectives {
            let score = p
                .results
                .iter()
                .find(|r| Some(r.period.as_str()) == last)
                .map(super::score_shown)
                .unwrap_or_else(|| "—".into());
            let _ = writeln!(
                out,
                "| {} | {score} |",
                cell(p.label.as_deref().unwrap_or(&p.name))
            );
        }
    }
    out.push_str(&cohorts(e));
    out.push_str(&health(e));
    let open: Vec<_> = e.escalations.iter().filter(|x| x.open).collect();
    if !open.is_empty() {
        out.push_str("\n### Open escalations\n\n| Escalation | Severity | Segment | Raised | Owner | Message |\n|---|---|---|---|---|---|\n");
        for x in open {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(x.label.as_deref().unwrap_or(&x.escalation)),
                x.severity.name(),
                cell(&segment_label(&x.segment)),
                cell(&x.raised),
                cell(x.owner.as_deref().unwrap_or("")),
                cell(&x.message)
            );
        }
    } else if e.escalations_declared {
        out.push_str("\nNo escalation is open.\n");
    }
    if !e.warnings.is_empty() {
        let _ = writeln!(
            out,
            "\n{} warning{} (see `scorecard run`).",
            e.warnings.len(),
            if e.warnings.len() == 1 { "" } else { "s" }
        );
    }
    out.push_str("\n<details><summary>Every period and segment</summary>\n\n| KPI | Segment | Period | Value | Target | Variance | Status | Score |\n|---|---|---|--:|--:|--:|---|--:|\n");
    for k in &e.kpis {
        let name = k.label.as_deref().unwrap_or(&k.name);
        for r in k.results.held() {
            let period = r.period_shown();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(name),
                cell(&segment_label(&r.segment)),
                cell(&period),
                columns(Some(r), k.unit)
            );
        }
    }
    out.push_str("\n</details>\n");
    out
}

/// Each cohort triangle, a table per measure.
fn cohorts(e: &Evaluation) -> String {
    let mut out = String::new();
    for t in e.cohorts.iter().filter(|t| !t.rows.is_empty()) {
        for m in super::cohorts::MEASURES {
            let header = super::cohorts::header(t);
            let _ = write!(
                out,
                "\n### {}: {}\n\n| {} |\n|{}\n",
                cell(&super::cohorts::title(t)),
                m.title,
                header.join(" | "),
                "---|".repeat(header.len())
            );
            for r in super::cohorts::rows(t, m) {
                let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
    }
    out
}

/// The data-health notes as a section; nothing when there is nothing to say.
fn health(e: &Evaluation) -> String {
    let h = super::health::of(e);
    if h.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n### Data health\n\n");
    for (heading, text) in h.entries() {
        let _ = writeln!(out, "- **{heading}:** {}", cell(&text));
    }
    out
}

/// Value, target, variance, status and score as table cells.
fn columns(r: Option<&Row>, unit: scorecard_model::Unit) -> String {
    let Some(r) = r else {
        return format!("— | | | {} |", status(Status::NoValue));
    };
    format!(
        "{} | {} | {} | {} | {}",
        cell(&number(r.value, unit)),
        cell(&number_or_blank(r.target, unit)),
        cell(&number_or_blank(r.variance, unit)),
        status(r.status),
        r.score.map(|s| s.to_string()).unwrap_or_default()
    )
}

/// The status as an emoji and its word, so that it reads without colour.
fn status(s: Status) -> String {
    let mark = match s {
        Status::Green => "🟢",
        Status::Amber => "🟡",
        Status::Red => "🔴",
        Status::NoValue => "⚪",
        Status::Unrated => "▫️",
        Status::InsufficientData => "⚠️",
        Status::Suppressed => "⬛",
    };
    format!("{mark} {}", s.name())
}

/// Text that cannot break the table or be read as markup: pipes, backslashes and the characters
/// Markdown and HTML give meaning to are escaped, and line breaks become spaces.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_cannot_break_the_table_or_become_markup() {
        assert_eq!(
            super::cell("a|b\n*c* <x> R&D"),
            "a\\|b \\*c\\* &lt;x&gt; R&amp;D"
        );
    }
}
