//! Owns the credit table export: every attribution's credit rows as CSV, for audit.

use scorecard_rules::Evaluation;

pub fn credits(e: &Evaluation) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
        "attribution",
        "conversion_line",
        "converted_at",
        "touch_line",
        "credited_to",
        "weight",
        "credit",
    ]);
    for c in &e.credits {
        let _ = w.write_record([
            c.attribution.clone(),
            c.conversion.to_string(),
            c.converted_at.clone(),
            c.touch.map(|t| t.to_string()).unwrap_or_default(),
            c.credited.clone().unwrap_or_default(),
            c.weight.to_string(),
            c.credit.map(|v| v.to_string()).unwrap_or_default(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
