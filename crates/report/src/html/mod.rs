//! Owns the self-contained HTML report: one file with its style sheet inline, charts as inline SVG,
//! no script and nothing fetched (the page's content security policy forbids it), made from the
//! evaluation and, for the strategy map and formulas, the model. See docs/reports.md.

mod kpis;
mod restated;
mod sections;
mod sensitivity;
mod strategy;
mod svg;

use scorecard_model::Model;
use scorecard_rules::{Evaluation, Status};
use std::fmt::Write;

pub use sensitivity::sensitivity;

const STYLE: &str = include_str!("page.css");

/// Nothing may be fetched or run: styles are inline, images are inline SVG.
const POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// How many periods the sparklines and trend charts show, ending at the last reported.
pub const TREND_PERIODS: usize = 12;

/// The whole page.
pub fn html(e: &Evaluation, model: &Model) -> String {
    html_with(e, model, None)
}

/// The whole page, with a section on the figures that differ from what was published.
pub fn html_with(
    e: &Evaluation,
    model: &Model,
    restatements: Option<&scorecard_close::restate::Restatements>,
) -> String {
    let title = e
        .scorecard
        .label
        .clone()
        .unwrap_or_else(|| e.scorecard.name.clone());
    let mut out = String::with_capacity(64 * 1024 + e.kpis.len() * 8 * 1024);
    out.push_str(&head(e.manifest.engine.version, &title));
    out.push_str(&header(e, &title));
    let map = strategy::map(model, e).map(|map| {
        format!(
            "<section id=\"strategy-map\">\n<h2>Strategy map</h2>\n<p class=\"note\">Arrows run from cause to effect; each objective shows its score in {}.</p>\n{map}\n</section>\n",
            esc(e.periods.last().map(String::as_str).unwrap_or("the last period"))
        )
    });
    // Each part in page order with its link; a part with nothing to show is left out of both.
    let parts = [
        ("kpis", "KPIs", kpis::summary(e)),
        ("escalations", "Escalations", sections::escalations(e)),
        ("data-health", "Data health", sections::health(e)),
        ("strategy-map", "Strategy map", map.unwrap_or_default()),
        (
            "attribution",
            "Attribution",
            sections::attribution(e, model),
        ),
        ("whale-curves", "Whale curves", sections::curves(e)),
        ("cohorts", "Cohorts", sections::cohorts(e)),
        (
            "restatements",
            "Restatements",
            restatements.map(restated::section).unwrap_or_default(),
        ),
        ("details", "KPI details", kpis::details(e, model)),
        ("warnings", "Warnings", sections::warnings(e)),
        ("manifest", "Run manifest", manifest(e)),
    ];
    out.push_str("<nav>");
    for (id, text, _) in parts.iter().filter(|p| !p.2.is_empty()) {
        let _ = write!(out, "<a href=\"#{id}\">{text}</a>");
    }
    out.push_str("</nav>\n<main>\n");
    for (_, _, part) in &parts {
        out.push_str(part);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

pub(crate) use super::escape as esc;

/// The page up to its body: the style sheet inline and the policy that forbids any fetch.
fn head(version: &str, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"scorecard {version}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        esc(title)
    )
}

/// A status as colour, shape and word, so that it reads without colour.
pub(crate) fn badge(s: Status) -> String {
    let glyph = match s {
        Status::Green => "✔",
        Status::Amber => "▲",
        Status::Red => "✖",
        Status::NoValue => "–",
        Status::Unrated => "○",
        Status::InsufficientData => "⚠",
        Status::Suppressed => "■",
    };
    format!(
        r#"<span class="badge {}"><span aria-hidden="true">{glyph}</span> {}</span>"#,
        svg::class(s),
        s.name()
    )
}

/// The name, owner and period reported, the overall score and how many KPIs have each status.
fn header(e: &Evaluation, title: &str) -> String {
    let last = e.periods.last().cloned();
    let partial = last.as_ref().is_some_and(|p| {
        e.kpis
            .iter()
            .flat_map(|k| k.results.held())
            .any(|r| &r.period == p && r.own_period_partial())
    });
    let period = match (&last, e.periods.first()) {
        (None, _) => "no periods with data".to_string(),
        (Some(l), Some(f)) if f != l => format!(
            "{l}{} (trends from {})",
            if partial { ", partial" } else { "" },
            e.periods[e.periods.len().saturating_sub(TREND_PERIODS)]
        ),
        (Some(l), _) => format!("{l}{}", if partial { ", partial" } else { "" }),
    };
    let mut out = String::from("<header>\n");
    let _ = writeln!(out, "<h1>{}</h1>", esc(title));
    out.push_str("<dl class=\"facts\">");
    let mut fact = |k: &str, v: &str| {
        let _ = write!(out, "<div><dt>{k}</dt><dd>{}</dd></div>", esc(v));
    };
    if let Some(o) = &e.scorecard.owner {
        fact("Owner", o);
    }
    if let Some(a) = &e.manifest.audience {
        fact(
            "Prepared for",
            &super::for_whom(e).unwrap_or_else(|| a.name.clone()),
        );
    }
    if let Some(a) = super::assumptions(e) {
        fact("Assuming", &a);
    }
    fact("Period", &period);
    fact("Currency", &e.scorecard.currency);
    fact("Grain", &e.scorecard.grain);
    if let Some(score) = e
        .scores
        .overall
        .iter()
        .find(|s| Some(&s.period) == last.as_ref())
    {
        fact(
            "Overall score",
            &match (score.score, score.withheld) {
                (Some(s), _) => format!("{s} of 10"),
                (None, true) => "withheld".into(),
                (None, false) => "no score".into(),
            },
        );
    }
    let evaluated = e
        .manifest
        .evaluated_at
        .clone()
        .unwrap_or_else(|| "not recorded (deterministic run)".into());
    fact("Evaluated", &evaluated);
    out.push_str("</dl>\n");
    // Counts of the totals' statuses in the last period.
    let mut counts = [0usize; 7];
    let order = [
        Status::Green,
        Status::Amber,
        Status::Red,
        Status::InsufficientData,
        Status::NoValue,
        Status::Unrated,
        Status::Suppressed,
    ];
    for k in &e.kpis {
        if let Some(r) = kpis::total_in(k, last.as_deref()) {
            if let Some(i) = order.iter().position(|s| *s == r.status) {
                counts[i] += 1;
            }
        }
    }
    out.push_str("<p class=\"counts\">");
    for (s, n) in order.iter().zip(counts) {
        if n > 0 {
            let _ = write!(out, "{} <b>{n}</b> ", badge(*s));
        }
    }
    out.push_str("</p>\n</header>\n");
    out
}

/// What produced the report: the engine, the scorecard and data files with their SHA-256, and the
/// options.
fn manifest(e: &Evaluation) -> String {
    manifest_section(&e.manifest, super::for_whom(e))
}

/// What produced a page: the engine, the scorecard and data files with their SHA-256, the
/// audience (`whom`) and the assumptions, and the options.
fn manifest_section(m: &scorecard_rules::manifest::Manifest, whom: Option<String>) -> String {
    let mut out = String::from("<section id=\"manifest\">\n<h2>Run manifest</h2>\n");
    let _ = writeln!(
        out,
        "<p>Made by {} {}{}.</p>",
        esc(m.engine.name),
        esc(m.engine.version),
        m.evaluated_at
            .as_ref()
            .map(|t| format!(" at {}", esc(t)))
            .unwrap_or_default()
    );
    out.push_str(
        "<table class=\"plain\"><thead><tr><th>Scorecard</th><th>SHA-256</th></tr></thead><tbody>",
    );
    for s in &m.scorecards {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"hash\">{}</td></tr>",
            esc(&s.path),
            esc(&s.sha256)
        );
    }
    out.push_str("</tbody></table>\n");
    out.push_str("<table class=\"plain\"><thead><tr><th>Dataset</th><th>File</th><th>Format</th><th class=\"num\">Rows</th><th>SHA-256</th></tr></thead><tbody>");
    for i in &m.inputs {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"hash\">{}</td></tr>",
            esc(&i.dataset),
            esc(&i.path),
            esc(&i.format),
            i.rows,
            esc(&i.sha256)
        );
    }
    out.push_str("</tbody></table>\n");
    if let Some(a) = &m.audience {
        let _ = writeln!(
            out,
            "<p class=\"note\">This is the view of audience {}, whose rules have SHA-256 <span class=\"hash\">{}</span>: what it may not see is left out (docs/audiences.md).</p>",
            esc(&whom.unwrap_or_else(|| a.name.clone())),
            esc(&a.rules)
        );
    }
    if let Some(a) = super::assumed_in(m) {
        let _ = writeln!(out, "<p class=\"note\">Assuming {}.</p>", esc(&a));
    }
    let o = &m.options;
    let option = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let _ = writeln!(
        out,
        "<p class=\"note\">Data from {}; from {}, to {}, as of {}.</p>",
        esc(&option(&o.data)),
        esc(&option(&o.from)),
        esc(&option(&o.to)),
        esc(&option(&o.as_of))
    );
    out.push_str("</section>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_html_would_read_as_markup() {
        assert_eq!(
            super::esc(r#"<b>"R&D" 'x'</b>"#),
            "&lt;b&gt;&quot;R&amp;D&quot; &apos;x&apos;&lt;/b&gt;"
        );
    }
}
