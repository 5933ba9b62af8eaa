//! Owns rendering a diff: each declaration added, removed, renamed or changed with its properties
//! before (`-`) and after (`+`), then the results whose value or status changed, as a table. Its
//! JSON is `report::pretty`.

use scorecard_model::format::{number, segment_label};
use scorecard_rules::diff::Diff;

pub fn text(d: &Diff, color: bool) -> String {
    let mut out = String::new();
    if d.changes.is_empty() {
        out.push_str("no change to any definition\n");
    }
    for c in &d.changes {
        let name = match &c.renamed_from {
            Some(old) => format!("{} (was {old})", c.name),
            None => c.name.clone(),
        };
        out.push_str(&format!("{} {name}: {}\n", c.kind, c.change));
        for p in &c.properties {
            out.push_str(&format!("  {}\n", p.property));
            out.push_str(&format!(
                "    - {}\n",
                p.old.as_deref().unwrap_or("(not written)")
            ));
            out.push_str(&format!(
                "    + {}\n",
                p.new.as_deref().unwrap_or("(not written)")
            ));
        }
    }
    let Some(effect) = &d.effect else {
        return out;
    };
    out.push_str(&format!(
        "\neffect on the numbers: {} of {} results differ\n",
        effect.rows.len(),
        effect.compared
    ));
    if effect.rows.is_empty() {
        return out;
    }
    let mut t = super::table::new_table(color);
    t.set_header([
        "KPI",
        "Segment",
        "Period",
        "Old value",
        "New value",
        "Difference",
        "Old status",
        "New status",
    ]);
    for r in &effect.rows {
        let status = |s: Option<scorecard_rules::Status>| s.map_or("-", |s| s.name()).to_string();
        t.add_row(vec![
            r.kpi.clone(),
            segment_label(&r.segment),
            r.period.clone(),
            number(r.old_value, r.unit),
            number(r.new_value, r.unit),
            number(r.difference, r.unit),
            status(r.old_status),
            status(r.new_status),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    out
}
