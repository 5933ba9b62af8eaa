//! Owns the report's restatements section: for each published period, the figures that differ
//! today from what the ledger records, with their cause, and what changed (data files and their
//! rows, definitions).

use super::esc;
use rust_decimal::Decimal;
use scorecard_close::restate::{Restatements, Shown};
use scorecard_model::format::{number, segment_label};
use scorecard_model::Unit;
use std::fmt::Write;

pub fn section(r: &Restatements) -> String {
    let mut out = String::from("<section id=\"restatements\">\n<h2>Restatements</h2>\n");
    let restated = r.periods.iter().filter(|p| !p.figures.is_empty()).count();
    let _ = writeln!(
        out,
        "<p>{} published period{} in the ledger {}; {restated} with figures that differ today.</p>",
        r.periods.len(),
        if r.periods.len() == 1 { "" } else { "s" },
        esc(&r.ledger)
    );
    for p in &r.periods {
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<p class=\"note\">Record {}, published {} by {}.</p>",
            esc(&p.period),
            p.record,
            esc(&p.published_at),
            esc(&p.approved_by)
        );
        if p.figures.is_empty() {
            out.push_str("<p>Every figure is as published.</p>\n");
        } else {
            out.push_str("<table class=\"plain\"><thead><tr><th>KPI</th><th>Segment</th><th>Published</th><th>Now</th><th>Status then</th><th>Status now</th><th>Cause</th></tr></thead><tbody>\n");
            for f in &p.figures {
                let unit = f.unit.unwrap_or(Unit::Number);
                let value = |s: &Option<Shown>| match s {
                    Some(s) => number(decimal(&s.value), unit),
                    None => "(no such result)".into(),
                };
                let status =
                    |s: &Option<Shown>| s.as_ref().map_or("-".into(), |s| s.status.clone());
                let mut cause = f.cause.to_string();
                let named: Vec<&String> = f.datasets.iter().chain(&f.declarations).collect();
                if !named.is_empty() {
                    let named: Vec<&str> = named.iter().map(|s| s.as_str()).collect();
                    cause.push_str(&format!(": {}", named.join(", ")));
                }
                let _ = writeln!(
                    out,
                    "<tr><td><a href=\"#kpi-{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&f.kpi),
                    esc(&f.kpi),
                    esc(&segment_label(&f.segment)),
                    esc(&value(&f.published)),
                    esc(&value(&f.now)),
                    esc(&status(&f.published)),
                    esc(&status(&f.now)),
                    esc(&cause)
                );
            }
            out.push_str("</tbody></table>\n");
        }
        let mut changes = Vec::new();
        for sc in &p.scores {
            let name = sc
                .name
                .as_deref()
                .map(|n| format!(" <code>{}</code>", esc(n)))
                .unwrap_or_default();
            changes.push(format!(
                "Score of {}{name}: {} published, {} now",
                esc(&sc.of),
                esc(sc.published.as_deref().unwrap_or("no score")),
                esc(sc.now.as_deref().unwrap_or("no score"))
            ));
        }
        for d in &p.data {
            let mut line = format!(
                "Data of <code>{}</code> ({}) changed",
                esc(&d.dataset),
                esc(&d.path)
            );
            if let Some(rows) = &d.rows {
                let _ = write!(
                    line,
                    ": {} row{} added, {} removed, {} changed",
                    rows.added,
                    if rows.added == 1 { "" } else { "s" },
                    rows.removed,
                    rows.changed
                );
                if !rows.changed_keys.is_empty() {
                    let _ = write!(
                        line,
                        " ({} {})",
                        esc(&rows.key.join(", ")),
                        esc(&rows.changed_keys.join(", "))
                    );
                }
            }
            changes.push(line);
        }
        for c in &p.definitions {
            let properties: Vec<&str> = c.properties.iter().map(|x| x.property.as_str()).collect();
            let mut line = format!(
                "Definition of {} <code>{}</code> {}",
                esc(c.kind),
                esc(&c.name),
                esc(c.change)
            );
            if !properties.is_empty() {
                let _ = write!(line, ": {}", esc(&properties.join(", ")));
            }
            changes.push(line);
        }
        if p.project_file_changed {
            changes.push("The project file changed (its bindings and the days data is complete for decide figures too)".into());
        }
        if let Some((then, now)) = &p.options {
            changes.push(format!(
                "Options: {} then, {} now",
                esc(&then.to_string()),
                esc(&now.to_string())
            ));
        }
        if let Some((then, now)) = &p.engine {
            changes.push(format!(
                "Engine: scorecard {} then, {} now",
                esc(then),
                esc(now)
            ));
        }
        if !changes.is_empty() {
            out.push_str("<ul>\n");
            for c in changes {
                let _ = writeln!(out, "<li>{c}</li>");
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("</section>\n");
    out
}

fn decimal(text: &Option<String>) -> Option<Decimal> {
    text.as_deref().and_then(|t| t.parse().ok())
}
