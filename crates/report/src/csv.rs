//! Owns the CSV export: one line per KPI, period and segment, decimals as plain digits.

use scorecard_rules::{Evaluation, Row};
use std::io;

/// The CSV export as text.
pub fn csv(e: &Evaluation) -> String {
    let mut bytes = Vec::new();
    // Writing to memory fails only when spilled results cannot be read back, which `run` (the one
    // caller whose results may spill) reports through `write_csv`.
    let _ = write_csv(e, &mut bytes);
    String::from_utf8(bytes).unwrap_or_default()
}

/// Writes the CSV export to `out` a row at a time, reading results kept on disk as it goes.
pub fn write_csv(e: &Evaluation, out: impl io::Write) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    write_rows(e, &mut w).map_err(io_error)?;
    w.flush()
}

/// A CSV writer's error as the I/O error it is, its kind kept (a reader gone from a pipe is a
/// broken pipe, which is no failure).
fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn write_rows<W: io::Write>(e: &Evaluation, w: &mut csv::Writer<W>) -> csv::Result<()> {
    w.write_record([
        "kpi",
        "label",
        "unit",
        "period",
        "partial",
        "segment",
        "value",
        "target",
        "variance",
        "status",
        "score",
        "window_periods",
        "window_covered",
        "partial_periods",
        "unmet",
    ])?;
    for k in &e.kpis {
        k.results.each(csv::Error::from, |r: &Row| {
            let d = |v: Option<rust_decimal::Decimal>| v.map(|v| v.to_string()).unwrap_or_default();
            let status = serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let (periods, covered) = match r.window {
                Some(c) => (c.periods.to_string(), c.covered.to_string()),
                None => (String::new(), String::new()),
            };
            w.write_record([
                k.name.as_str(),
                k.label.as_deref().unwrap_or(""),
                k.unit.name(),
                r.period.as_str(),
                if r.partial { "true" } else { "false" },
                &super::segment_label(&r.segment),
                &d(r.value),
                &d(r.target),
                &d(r.variance),
                &status,
                &d(r.score),
                &periods,
                &covered,
                &r.partial_periods.join(" "),
                &r.unmet_shown(),
            ])?;
            Ok(())
        })?;
    }
    Ok(())
}
