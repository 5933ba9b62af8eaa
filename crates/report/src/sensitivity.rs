//! Owns a sensitivity analysis as text: the terminal table (a column of points for one parameter,
//! a matrix for a grid of two, the tornado's bars largest first) and the CSV export (one row per
//! point, then one per tornado bar).

use super::table::new_table;
use scorecard_model::format::number;
use scorecard_rules::sensitivity::{Outcome, Sensitivity};
use std::fmt::Write;

/// A KPI's value and its status, as a cell shows them: `12,100.50 green`, `— no value`.
fn cell(doc: &Sensitivity, o: &Outcome) -> String {
    let partial = if o.partial { " (partial)" } else { "" };
    format!(
        "{} {}{partial}",
        number(o.value, doc.kpi.unit),
        o.status.name()
    )
}

fn heading(doc: &Sensitivity) -> String {
    let kpi = doc.kpi.label.as_deref().unwrap_or(&doc.kpi.name);
    let title = doc
        .scorecard
        .label
        .as_deref()
        .unwrap_or(&doc.scorecard.name);
    let mut out = format!(
        "{title}: sensitivity of {kpi} ({}) in {}\n",
        doc.kpi.name, doc.period
    );
    if let Some(a) = super::assumed_in(&doc.manifest) {
        let _ = writeln!(out, "Baseline {a}");
    }
    let _ = writeln!(out, "At the baseline: {}", cell(doc, &doc.baseline));
    out
}

/// The table for a terminal.
pub fn table(doc: &Sensitivity, color: bool) -> String {
    let mut out = heading(doc);
    match doc.varied.as_slice() {
        [] => {}
        [one] => {
            let mut t = new_table(color);
            t.set_header([one.name.as_str(), doc.kpi.name.as_str()]);
            for p in &doc.points {
                t.add_row(vec![p.values[0].clone(), cell(doc, &p.outcome)]);
            }
            let _ = writeln!(out, "{t}");
        }
        [rows, columns, ..] => {
            // A matrix: the first parameter down, the second across.
            let (down, across) = (doc.axis(0), doc.axis(1));
            let mut t = new_table(color);
            let mut header = vec![format!("{} \\ {}", rows.name, columns.name)];
            header.extend(across.iter().map(|c| c.to_string()));
            t.set_header(header);
            for r in &down {
                let mut line = vec![r.to_string()];
                for c in &across {
                    let found = doc.at(r, Some(c));
                    line.push(found.map(|o| cell(doc, o)).unwrap_or_default());
                }
                t.add_row(line);
            }
            let _ = writeln!(out, "{t}");
        }
    }
    if !doc.tornado.is_empty() {
        let _ = writeln!(
            out,
            "Tornado: each parameter from its low to its high value, the others at the baseline"
        );
        let mut t = new_table(color);
        t.set_header(["Parameter", "Low", "High", "At low", "At high", "Swing"]);
        for b in &doc.tornado {
            t.add_row(vec![
                b.parameter.name.clone(),
                b.low.clone(),
                b.high.clone(),
                cell(doc, &b.at_low),
                cell(doc, &b.at_high),
                number(b.swing, doc.kpi.unit),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    // Why a point has no value, or what else it warned of, point by point.
    for (at, w) in doc.warned() {
        let _ = writeln!(out, "warning at {at}: {w}");
    }
    for (name, why) in &doc.not_moved {
        let _ = writeln!(out, "not moved: {name}: {why}");
    }
    out
}

/// The CSV export:
/// `kind,parameter,value,parameter_2,value_2,kpi,period,result,status,partial,warnings`,
/// one row per point (`point`), then per tornado bar two rows (`tornado_low`, `tornado_high`);
/// decimals as plain digits.
pub fn csv(doc: &Sensitivity) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let d = |o: &Outcome| o.value.map(|v| v.to_string()).unwrap_or_default();
    let warned = |o: &Outcome| o.warnings.join("; ");
    let mut rows: Vec<[String; 11]> = vec![[
        "kind",
        "parameter",
        "value",
        "parameter_2",
        "value_2",
        "kpi",
        "period",
        "result",
        "status",
        "partial",
        "warnings",
    ]
    .map(str::to_string)];
    let names: Vec<&str> = doc.varied.iter().map(|m| m.name.as_str()).collect();
    for p in &doc.points {
        rows.push([
            "point".into(),
            names.first().copied().unwrap_or_default().into(),
            p.values.first().cloned().unwrap_or_default(),
            names.get(1).copied().unwrap_or_default().into(),
            p.values.get(1).cloned().unwrap_or_default(),
            doc.kpi.name.clone(),
            doc.period.clone(),
            d(&p.outcome),
            p.outcome.status.name().into(),
            p.outcome.partial.to_string(),
            warned(&p.outcome),
        ]);
    }
    for b in &doc.tornado {
        for (kind, value, o) in [
            ("tornado_low", &b.low, &b.at_low),
            ("tornado_high", &b.high, &b.at_high),
        ] {
            rows.push([
                kind.into(),
                b.parameter.name.clone(),
                value.clone(),
                String::new(),
                String::new(),
                doc.kpi.name.clone(),
                doc.period.clone(),
                d(o),
                o.status.name().into(),
                o.partial.to_string(),
                warned(o),
            ]);
        }
    }
    for r in rows {
        let _ = w.write_record(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
