//! Owns a sensitivity analysis as a self-contained page: the KPI at the baseline, the one-way
//! curves (one line per value of a grid's second parameter), the grid as a heat map of statuses,
//! and the tornado chart with its table.

use super::{badge, esc, head, manifest_section, svg};
use scorecard_model::format::number;
use scorecard_rules::sensitivity::{Outcome, Sensitivity};
use std::fmt::Write;

pub fn sensitivity(doc: &Sensitivity) -> String {
    let kpi = doc.kpi.label.as_deref().unwrap_or(&doc.kpi.name);
    let title = format!("Sensitivity of {kpi}");
    let mut out = head(doc.manifest.engine.version, &title);
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        out,
        "<p class=\"note\">{} · {} · at the baseline {}</p>\n</header>\n<main>",
        esc(doc
            .scorecard
            .label
            .as_deref()
            .unwrap_or(&doc.scorecard.name)),
        esc(&doc.period),
        shown(doc, &doc.baseline)
    );
    out.push_str(&curves(doc));
    out.push_str(&grid(doc));
    out.push_str(&tornado(doc));
    out.push_str(&warnings(doc));
    out.push_str(&manifest_section(&doc.manifest, None));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn shown(doc: &Sensitivity, o: &Outcome) -> String {
    let partial = if o.partial { " (partial)" } else { "" };
    format!(
        "{}{partial} {}",
        esc(&number(o.value, doc.kpi.unit)),
        badge(o.status)
    )
}

/// The KPI against the first parameter, one line per value of the second.
fn curves(doc: &Sensitivity) -> String {
    let Some(first) = doc.varied.first() else {
        return String::new();
    };
    let across = doc.axis(0);
    let series: Vec<(String, Vec<_>)> = match doc.varied.get(1) {
        None => vec![(
            String::new(),
            across
                .iter()
                .map(|a| doc.at(a, None).and_then(|o| o.value))
                .collect(),
        )],
        Some(second) => doc
            .axis(1)
            .into_iter()
            .map(|b| {
                let values = across
                    .iter()
                    .map(|a| doc.at(a, Some(b)).and_then(|o| o.value))
                    .collect();
                (format!("{} {b} · {} ", second.name, first.name), values)
            })
            .collect(),
    };
    let chart = svg::curves(&across, &series, doc.kpi.unit, &first.name);
    let mut out = String::from("<section id=\"curves\">\n<h2>One-way curves</h2>\n");
    if let Some(second) = doc.varied.get(1) {
        let _ = write!(
            out,
            "<p class=\"legend\">One line per value of {}:",
            esc(&second.name)
        );
        for (s, (name, _)) in series.iter().enumerate() {
            let _ = write!(
                out,
                " <svg width=\"10\" height=\"10\"><rect class=\"series s{}\" width=\"10\" height=\"10\"/></svg> {}",
                s % 5,
                esc(name.split(" · ").next().unwrap_or_default())
            );
        }
        out.push_str("</p>\n");
    }
    let _ = writeln!(out, "{chart}\n</section>");
    out
}

/// Every point as a table; for a grid, a heat map with the first parameter down and the second
/// across, each cell coloured by its status.
fn grid(doc: &Sensitivity) -> String {
    let Some(first) = doc.varied.first() else {
        return String::new();
    };
    let mut out = String::from("<section id=\"points\">\n<h2>Points</h2>\n<table class=\"plain\">");
    match doc.varied.get(1) {
        None => {
            let _ = write!(
                out,
                "<thead><tr><th>{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
                esc(&first.name),
                esc(&doc.kpi.name)
            );
            for p in &doc.points {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td class=\"num heat {}\">{}</td></tr>",
                    esc(&p.values[0]),
                    svg::class(p.outcome.status),
                    shown(doc, &p.outcome)
                );
            }
        }
        Some(second) => {
            let across = doc.axis(1);
            let _ = write!(
                out,
                "<thead><tr><th>{} \\ {}</th>",
                esc(&first.name),
                esc(&second.name)
            );
            for b in &across {
                let _ = write!(out, "<th class=\"num\">{}</th>", esc(b));
            }
            out.push_str("</tr></thead><tbody>");
            for a in doc.axis(0) {
                let _ = write!(out, "<tr><th>{}</th>", esc(a));
                for b in &across {
                    match doc.at(a, Some(b)) {
                        Some(o) => {
                            let _ = write!(
                                out,
                                "<td class=\"num heat {}\">{}</td>",
                                svg::class(o.status),
                                shown(doc, o)
                            );
                        }
                        None => out.push_str("<td></td>"),
                    }
                }
                out.push_str("</tr>");
            }
        }
    }
    out.push_str("</tbody></table>\n</section>\n");
    out
}

fn tornado(doc: &Sensitivity) -> String {
    if doc.tornado.is_empty() && doc.not_moved.is_empty() {
        return String::new();
    }
    let bars: Vec<svg::TornadoBar> = doc
        .tornado
        .iter()
        .map(|b| svg::TornadoBar {
            name: &b.parameter.name,
            low: &b.low,
            high: &b.high,
            at_low: b.at_low.value,
            at_high: b.at_high.value,
        })
        .collect();
    let mut out = String::from("<section id=\"tornado\">\n<h2>Tornado</h2>\n<p class=\"note\">Each parameter moved from its low to its high value, the others at the baseline; the largest swing first. <span class=\"key\" style=\"background:#bf3989\"></span>low <span class=\"key\" style=\"background:#0969da\"></span>high</p>\n");
    out.push_str(&svg::tornado(&bars, doc.baseline.value, doc.kpi.unit));
    out.push_str("\n<table class=\"plain\"><thead><tr><th>Parameter</th><th>Low</th><th>High</th><th class=\"num\">At low</th><th class=\"num\">At high</th><th class=\"num\">Swing</th></tr></thead><tbody>");
    for b in &doc.tornado {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&b.parameter.name),
            esc(&b.low),
            esc(&b.high),
            shown(doc, &b.at_low),
            shown(doc, &b.at_high),
            esc(&number(b.swing, doc.kpi.unit))
        );
    }
    out.push_str("</tbody></table>\n");
    for (name, why) in &doc.not_moved {
        let _ = writeln!(
            out,
            "<p class=\"note\">Not moved: {}: {}.</p>",
            esc(name),
            esc(why)
        );
    }
    out.push_str("</section>\n");
    out
}

/// What the evaluations warned of the KPI, point by point: why a point has no value, for one.
fn warnings(doc: &Sensitivity) -> String {
    let lines: Vec<String> = doc
        .warned()
        .into_iter()
        .map(|(at, w)| format!("<li>At {}: {}</li>", esc(&at), esc(w)))
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul>{}</ul>\n</section>\n",
        lines.concat()
    )
}
