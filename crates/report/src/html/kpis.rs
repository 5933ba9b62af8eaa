//! Owns the KPI parts of the report: the summary table by perspective and objective with a
//! sparkline per KPI, and a detail section per KPI with its trend against target over the threshold
//! bands, its periods, its thresholds as numbers and its segments.

use super::svg::{self, Point};
use super::{badge, esc, TREND_PERIODS};
use rust_decimal::Decimal;
use scorecard_model::format::{number, number_or_blank, segment_label};
use scorecard_model::{print, Model, Unit};
use scorecard_rules::bands::Band;
use scorecard_rules::{Evaluation, KpiResult, Row};
use std::fmt::Write;

/// The KPI's total (no segment) in `period`.
pub fn total_in<'a>(k: &'a KpiResult, period: Option<&str>) -> Option<&'a Row> {
    let period = period?;
    k.results
        .held()
        .iter()
        .find(|r| r.segment.is_empty() && r.period == period)
}

/// The total's last `TREND_PERIODS` reported periods, with a point for a period it has no row in.
fn series<'a>(e: &'a Evaluation, k: &'a KpiResult) -> Vec<Point<'a>> {
    let from = e.periods.len().saturating_sub(TREND_PERIODS);
    e.periods[from..]
        .iter()
        .map(|p| match total_in(k, Some(p)) {
            Some(r) => Point {
                period: p,
                value: r.value,
                target: r.target,
                status: r.status,
                bands: &r.bands,
            },
            None => Point {
                period: p,
                value: None,
                target: None,
                status: scorecard_rules::Status::NoValue,
                bands: &[],
            },
        })
        .collect()
}

/// A KPI segmented by customer can have thousands of segments: the page lists this many.
const SEGMENTS_SHOWN: usize = 100;

fn anchor(k: &KpiResult) -> String {
    format!("kpi-{}", k.name)
}

fn title(k: &KpiResult) -> &str {
    k.label.as_deref().unwrap_or(&k.name)
}

/// A mark beside a KPI whose data failed a check, naming the checks; nothing otherwise.
fn health_mark(e: &Evaluation, k: &KpiResult) -> String {
    let failed: Vec<String> = e
        .checks
        .iter()
        .filter(|c| !c.passed && k.reads.contains(&c.dataset))
        .map(|c| format!("{}.{}", c.dataset, c.check))
        .collect();
    match failed.is_empty() {
        true => String::new(),
        false => format!(
            " <a class=\"health\" href=\"#data-health\" title=\"failed checks: {0}\">⚠ data: {0}</a>",
            esc(&failed.join(", "))
        ),
    }
}

/// The table: a heading row per perspective and objective (with the objective's score), then a row
/// per KPI with its total in the last period.
pub fn summary(e: &Evaluation) -> String {
    let last = e.periods.last().map(String::as_str);
    let mut out = String::from("<section id=\"kpis\">\n<h2>KPIs");
    if let Some(p) = last {
        let _ = write!(out, " in {}", esc(p));
    }
    out.push_str("</h2>\n<table class=\"kpis\">\n<thead><tr><th>KPI</th><th>Trend</th><th class=\"num\">Value</th><th class=\"num\">Target</th><th class=\"num\">Variance</th><th>Status</th><th class=\"num\">Score</th></tr></thead>\n<tbody>\n");
    for (heading, kpis) in crate::table::groups(e) {
        if let Some(h) = heading {
            let score = objective_score(e, &kpis, last);
            let _ = writeln!(
                out,
                "<tr class=\"group\"><th colspan=\"6\">{}</th><th class=\"num\">{}</th></tr>",
                esc(&h),
                score
            );
        }
        for k in kpis {
            let _ = writeln!(
                out,
                "<tr><td><a href=\"#{}\">{}</a>{}{}</td><td>{}</td>{}</tr>",
                esc(&anchor(k)),
                esc(title(k)),
                health_mark(e, k),
                k.owner
                    .as_ref()
                    .map(|o| format!("<div class=\"owner\">{}</div>", esc(o)))
                    .unwrap_or_default(),
                svg::sparkline(&series(e, k)),
                result_cells(total_in(k, last), k.unit),
            );
        }
    }
    out.push_str("</tbody>\n</table>\n");
    if e.scores.perspectives.is_empty() {
        out.push_str("</section>\n");
        return out;
    }
    out.push_str("<h3>Scores by perspective</h3>\n<table class=\"plain\"><thead><tr><th>Perspective</th><th class=\"num\">Score</th></tr></thead><tbody>");
    for p in &e.scores.perspectives {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(p.label.as_deref().unwrap_or(&p.name)),
            score_in(&p.results, last)
        );
    }
    let _ = write!(
        out,
        "<tr class=\"overall\"><td>Overall</td><td class=\"num\">{}</td></tr></tbody></table>\n</section>\n",
        score_in(&e.scores.overall, last)
    );
    out
}

fn score_in(results: &[scorecard_rules::rollup::PeriodScore], period: Option<&str>) -> String {
    results
        .iter()
        .find(|r| Some(r.period.as_str()) == period)
        .map(crate::score_shown)
        .unwrap_or_else(|| "—".into())
}

/// The score of the objective the group's KPIs measure, when they measure one.
fn objective_score(e: &Evaluation, kpis: &[&KpiResult], period: Option<&str>) -> String {
    let Some(name) = kpis.first().and_then(|k| k.objective.as_deref()) else {
        return String::new();
    };
    e.scores
        .objectives
        .iter()
        .find(|o| o.name == name)
        .map(|o| score_in(&o.results, period))
        .unwrap_or_default()
}

/// A section per KPI, in the order of the table.
pub fn details(e: &Evaluation, model: &Model) -> String {
    let mut out = String::from("<section id=\"details\">\n<h2>KPI details</h2>\n");
    for (_, kpis) in crate::table::groups(e) {
        for k in kpis {
            out.push_str(&detail(e, k, model));
        }
    }
    out.push_str("</section>\n");
    out
}

fn detail(e: &Evaluation, k: &KpiResult, model: &Model) -> String {
    let declared = model.kpi(&k.name);
    let mut out = format!(
        "<article class=\"kpi\" id=\"{}\">\n<h3>{} <code>{}</code></h3>\n",
        esc(&anchor(k)),
        esc(title(k)),
        esc(&k.name)
    );
    if let Some(doc) = declared.and_then(|d| d.doc.as_deref()) {
        let _ = writeln!(out, "<p class=\"doc\">{}</p>", esc(doc));
    }
    out.push_str("<dl class=\"facts small\">");
    if let Some(o) = &k.owner {
        let _ = write!(out, "<div><dt>Owner</dt><dd>{}</dd></div>", esc(o));
    }
    let _ = write!(out, "<div><dt>Unit</dt><dd>{}</dd></div>", k.unit.name());
    if !k.by.is_empty() {
        let _ = write!(
            out,
            "<div><dt>By</dt><dd>{}</dd></div>",
            esc(&k.by.join(", "))
        );
    }
    out.push_str("</dl>\n");
    if let Some(d) = declared {
        let _ = writeln!(
            out,
            "<p class=\"formula\"><span>value</span> <code>{}</code></p>",
            esc(&print::expr(model, &d.value))
        );
    }
    let points = series(e, k);
    out.push_str(&svg::trend(&points, k.unit, title(k)));
    out.push_str("\n<p class=\"legend\"><span class=\"key value\"></span> value <span class=\"key target\"></span> target <span class=\"key band green\"></span><span class=\"key band amber\"></span><span class=\"key band red\"></span> threshold bands</p>\n");
    let last = points.iter().rev().find(|p| !p.bands.is_empty());
    if let Some(p) = last {
        let _ = writeln!(
            out,
            "<p class=\"note\">Thresholds in {}: {}.</p>",
            esc(p.period),
            esc(&bands_text(p.bands, k.unit))
        );
    }
    out.push_str("<table class=\"plain\"><thead><tr><th>Period</th><th class=\"num\">Value</th><th class=\"num\">Target</th><th class=\"num\">Variance</th><th>Status</th><th class=\"num\">Score</th></tr></thead><tbody>");
    for p in points.iter().rev() {
        let r = total_in(k, Some(p.period));
        out.push_str(&period_row(p.period, r, k.unit));
    }
    out.push_str("</tbody></table>\n");
    let last_period = e.periods.last().map(String::as_str);
    let segments: Vec<&Row> = k
        .results
        .held()
        .iter()
        .filter(|r| !r.segment.is_empty() && Some(r.period.as_str()) == last_period)
        .collect();
    if !segments.is_empty() {
        let _ = write!(
            out,
            "<h4>By {} in {}</h4><table class=\"plain\"><thead><tr><th>Segment</th><th class=\"num\">Value</th><th class=\"num\">Target</th><th class=\"num\">Variance</th><th>Status</th><th class=\"num\">Score</th></tr></thead><tbody>",
            esc(&k.by.join(", ")),
            esc(last_period.unwrap_or_default())
        );
        for r in segments.iter().take(SEGMENTS_SHOWN) {
            out.push_str(&period_row(&segment_label(&r.segment), Some(r), k.unit));
        }
        out.push_str("</tbody></table>\n");
        if segments.len() > SEGMENTS_SHOWN {
            let _ = writeln!(
                out,
                "<p class=\"note\">The first {SEGMENTS_SHOWN} of {} segments, in sorted order; every one is in <code>scorecard run --format csv</code>.</p>",
                segments.len()
            );
        }
    }
    out.push_str("</article>\n");
    out
}

fn period_row(first: &str, r: Option<&Row>, unit: Unit) -> String {
    // The period's own name stays first; what makes it partial follows it.
    let partial = match r {
        Some(r) if r.partial => r.period_shown()[r.period.len()..].to_string(),
        _ => String::new(),
    };
    format!(
        "<tr><td>{}{}</td>{}</tr>",
        esc(first),
        esc(&partial),
        result_cells(r, unit)
    )
}

/// A result's value, target, variance, status and score as table cells; a dash and "no value" when
/// there is no result.
fn result_cells(r: Option<&Row>, unit: Unit) -> String {
    let Some(r) = r else {
        return format!(
            "<td class=\"num\">—</td><td></td><td></td><td>{}</td><td></td>",
            badge(scorecard_rules::Status::NoValue)
        );
    };
    format!(
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>",
        esc(&number(r.value, unit)),
        esc(&number_or_blank(r.target, unit)),
        esc(&number_or_blank(r.variance, unit)),
        status_cell(r),
        r.score.map(|s| s.to_string()).unwrap_or_default()
    )
}

/// The status badge, with the gates that did not hold under it.
fn status_cell(r: &Row) -> String {
    match r.unmet.is_empty() {
        true => badge(r.status),
        false => format!(
            "{}<br><small class=\"unmet\">{}</small>",
            badge(r.status),
            esc(&r.unmet_shown())
        ),
    }
}

/// `green if value >= 31,900.00; amber if value >= 30,305.00; red otherwise`.
pub fn bands_text(bands: &[Band], unit: Unit) -> String {
    bands
        .iter()
        .map(|b| match (b.op, b.at) {
            (Some(op), Some(at)) => format!(
                "{} if value {} {}",
                b.status.name(),
                print::cmp(op),
                number(Some(cut(at)), unit)
            ),
            _ => format!("{} otherwise", b.status.name()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A cut-off without zeros beyond the places money shows: `30305.0000` reads as `30,305.00`.
fn cut(at: Decimal) -> Decimal {
    let mut n = at.normalize();
    let keep = at.scale().min(2);
    if n.scale() < keep {
        n.rescale(keep);
    }
    n
}
