//! Owns the report's sections beside the KPIs: escalations (open ones first), data health,
//! attribution credit by channel under each declared model, whale curves, and the run's warnings.

use super::{esc, svg};
use rust_decimal::Decimal;
use scorecard_model::format::{number, segment_label};
use scorecard_model::{Model, Severity, Unit};
use scorecard_rules::Evaluation;
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn escalations(e: &Evaluation) -> String {
    if e.escalations.is_empty() && !e.escalations_declared {
        return String::new();
    }
    let mut out = String::from("<section id=\"escalations\">\n<h2>Escalations</h2>\n");
    if e.escalations.is_empty() {
        out.push_str("<p>None raised in these periods.</p>\n</section>\n");
        return out;
    }
    let open = e.escalations.iter().filter(|x| x.open).count();
    let _ = writeln!(
        out,
        "<p>{open} open, {} recovered in these periods.</p>",
        e.escalations.len() - open
    );
    out.push_str("<table class=\"plain\"><thead><tr><th>Escalation</th><th>Severity</th><th>KPI</th><th>Segment</th><th>Raised</th><th>State</th><th>Owner</th><th>Message</th></tr></thead><tbody>\n");
    let ordered = e
        .escalations
        .iter()
        .filter(|x| x.open)
        .chain(e.escalations.iter().filter(|x| !x.open));
    for x in ordered {
        let state = match &x.recovered {
            None => "<span class=\"badge red\"><span aria-hidden=\"true\">●</span> open</span>"
                .to_string(),
            Some(p) => format!(
                "<span class=\"badge green\"><span aria-hidden=\"true\">✔</span> recovered {}</span>",
                esc(p)
            ),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><span class=\"severity {}\">{}</span></td><td><a href=\"#kpi-{}\">{}</a></td><td>{}</td><td>{}</td><td>{state}</td><td>{}</td><td>{}</td></tr>",
            esc(x.label.as_deref().unwrap_or(&x.escalation)),
            severity_class(x.severity),
            x.severity.name(),
            esc(&x.kpi),
            esc(&x.kpi),
            esc(&segment_label(&x.segment)),
            esc(&x.raised),
            esc(x.owner.as_deref().unwrap_or("")),
            esc(&x.message)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
    out
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Info | Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High | Severity::Critical => "high",
    }
}

/// For each channel, the credit every attribution gave it in the last period and over all the
/// periods reported, as bars and as a table.
pub fn attribution(e: &Evaluation, model: &Model) -> String {
    if e.attribution.is_empty() {
        return String::new();
    }
    let Some(last) = e.periods.last() else {
        return String::new();
    };
    let series: Vec<String> = e
        .attribution
        .iter()
        .map(|a| {
            let kind = model
                .attributions
                .iter()
                .find(|r| r.name == a.name)
                .map(|r| r.model.name())
                .unwrap_or("");
            format!("{} ({kind})", a.label.as_deref().unwrap_or(&a.name))
        })
        .collect();
    // Channel → per attribution: the last period's credit, and the sum over the reported periods
    // (`Err` when it overflows, shown as such rather than as a wrong number).
    type Sums = Vec<(Option<Decimal>, Result<Option<Decimal>, ()>)>;
    let mut channels: BTreeMap<String, Sums> = BTreeMap::new();
    for (i, a) in e.attribution.iter().enumerate() {
        for r in a.results.held().iter().filter(|r| !r.segment.is_empty()) {
            let channel = r
                .segment
                .values()
                .next()
                .cloned()
                .flatten()
                .unwrap_or_else(|| "unattributed".into());
            let sums = channels
                .entry(channel)
                .or_insert_with(|| vec![(None, Ok(None)); e.attribution.len()]);
            let Some(v) = r.value else { continue };
            if &r.period == last {
                sums[i].0 = Some(v);
            }
            sums[i].1 = match sums[i].1 {
                Ok(None) => Ok(Some(v)),
                Ok(Some(sum)) => sum.checked_add(v).map(Some).ok_or(()),
                Err(()) => Err(()),
            };
        }
    }
    let mut out = String::from("<section id=\"attribution\">\n<h2>Attribution</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">Credit by channel in {} under each declared model. A table sums the periods as reported ({}).</p>",
        esc(last),
        esc(&range(e))
    );
    let rows: Vec<(String, Vec<Option<Decimal>>)> = channels
        .iter()
        .map(|(c, sums)| (c.clone(), sums.iter().map(|s| s.0).collect()))
        .collect();
    out.push_str(&svg::bars(&rows, &series, Unit::Money));
    out.push_str("\n<table class=\"plain\"><thead><tr><th rowspan=\"2\">Channel</th>");
    for s in &series {
        let _ = write!(out, "<th colspan=\"2\" class=\"model\">{}</th>", esc(s));
    }
    out.push_str("</tr><tr>");
    for _ in &series {
        let _ = write!(
            out,
            "<th class=\"num\">{}</th><th class=\"num\">all periods</th>",
            esc(last)
        );
    }
    out.push_str("</tr></thead><tbody>");
    for (c, sums) in &channels {
        let _ = write!(out, "<tr><td>{}</td>", esc(c));
        for (in_last, all) in sums {
            let _ = write!(
                out,
                "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                esc(&number(*in_last, Unit::Money)),
                match all {
                    Ok(all) => esc(&number(*all, Unit::Money)),
                    Err(()) => "too large to add up".into(),
                }
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n</section>\n");
    out
}

fn range(e: &Evaluation) -> String {
    match (e.periods.first(), e.periods.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    }
}

/// Each whale curve of the last period: the cumulative share of the total by share of entities.
pub fn curves(e: &Evaluation) -> String {
    let Some(last) = e.periods.last() else {
        return String::new();
    };
    let shown: Vec<_> = e.curves.iter().filter(|c| &c.period == last).collect();
    if shown.is_empty() {
        return String::new();
    }
    let mut out = String::from("<section id=\"whale-curves\">\n<h2>Whale curves</h2>\n");
    for c in shown {
        let title = format!("{}.{} in {}", c.view, c.column, c.period);
        let top20 = c.points.get(20).map(|p| p.1).unwrap_or_default();
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<p class=\"note\">{} entities, total {}; the top 20% hold {}% of the total.</p>\n{}",
            esc(&title),
            c.entities,
            esc(&number(Some(c.total), Unit::Money)),
            (top20 * Decimal::ONE_HUNDRED).round_dp(1),
            svg::whale(&c.points, &title)
        );
    }
    out.push_str("</section>\n");
    out
}

/// What the data covers when some result reads a period covered only in part, and the results
/// not rated for insufficient data with the gates that failed.
pub fn health(e: &Evaluation) -> String {
    let h = crate::health::of(e);
    if h.is_empty() {
        return String::new();
    }
    let mut out = String::from("<section id=\"data-health\">\n<h2>Data health</h2>\n<ul>\n");
    for (heading, text) in h.entries() {
        let _ = writeln!(out, "<li><strong>{heading}:</strong> {}</li>", esc(&text));
    }
    out.push_str("</ul>\n</section>\n");
    out
}

pub fn warnings(e: &Evaluation) -> String {
    if e.warnings.is_empty() {
        return String::new();
    }
    let mut out = String::from("<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul>\n");
    for w in &e.warnings {
        // Where it applies, when that is a period (a dataset's warning is about no period).
        let place = match (w.period.is_empty(), w.segment.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!(" ({})", esc(&w.period)),
            (false, false) => format!(" ({}, {})", esc(&w.period), esc(&segment_label(&w.segment))),
        };
        let _ = writeln!(
            out,
            "<li><code>{}</code> {}{place}</li>",
            esc(w.code),
            esc(&w.message)
        );
    }
    out.push_str("</ul>\n</section>\n");
    out
}

/// Each cohort triangle as heat maps: a table per measure, cohorts down and ages across, the
/// retention cells shaded by how many of the cohort's customers were active.
pub fn cohorts(e: &Evaluation) -> String {
    let shown: Vec<_> = e.cohorts.iter().filter(|t| !t.rows.is_empty()).collect();
    if shown.is_empty() {
        return String::new();
    }
    let mut out = String::from("<section id=\"cohorts\">\n<h2>Cohorts</h2>\n<p class=\"note\">Customers grouped by the period of their first row; age 0 is that period. Amounts are per customer the cohort started with.</p>\n");
    for t in shown {
        let header = crate::cohorts::header(t);
        for m in crate::cohorts::MEASURES {
            let _ = write!(
                out,
                "<h3>{}: {}</h3>\n<div class=\"wide\"><table class=\"plain triangle\"><thead><tr>",
                esc(&crate::cohorts::title(t)),
                esc(m.title)
            );
            for h in &header {
                let _ = write!(out, "<th>{}</th>", esc(h));
            }
            out.push_str("</tr></thead><tbody>");
            for (r, line) in t.rows.iter().zip(crate::cohorts::rows(t, m)) {
                out.push_str("<tr>");
                for (i, text) in line.iter().enumerate() {
                    let shade = match (m.shade, i.checked_sub(2).and_then(|a| r.cells.get(a))) {
                        // Five shades by fifths of the cohort still active.
                        (true, Some(c)) => {
                            let fifth = (c.retention * rust_decimal::Decimal::from(5)).floor();
                            format!(
                                " class=\"num heat{}\"",
                                fifth.min(rust_decimal::Decimal::from(4))
                            )
                        }
                        (_, Some(_)) => " class=\"num\"".to_string(),
                        _ => String::new(),
                    };
                    let _ = write!(out, "<td{shade}>{}</td>", esc(text));
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table></div>\n");
        }
    }
    out.push_str("</section>\n");
    out
}
