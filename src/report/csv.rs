//! Owns the CSV export: one line per KPI, period and segment, decimals as plain digits.

use crate::rules::Evaluation;

pub fn csv(e: &Evaluation) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
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
    ]);
    for k in &e.kpis {
        for r in &k.results {
            let d = |v: Option<rust_decimal::Decimal>| v.map(|v| v.to_string()).unwrap_or_default();
            let status = serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let (periods, covered) = match r.window {
                Some(c) => (c.periods.to_string(), c.covered.to_string()),
                None => (String::new(), String::new()),
            };
            let _ = w.write_record([
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
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
