//! Owns the escalations section of the terminal table: one line per episode, open ones first as the
//! file orders them, with severity, segment, when it was raised and recovered, owner and message.

use comfy_table::{Cell, Color};
use scorecard_model::format::segment_label;
use scorecard_rules::Evaluation;

pub fn escalations(e: &Evaluation, color: bool) -> String {
    if e.escalations.is_empty() {
        return if e.escalations_declared {
            "Escalations: none raised in these periods\n".to_string()
        } else {
            String::new()
        };
    }
    let mut t = super::table::new_table(color);
    t.set_header([
        "Escalation",
        "Severity",
        "Segment",
        "Raised",
        "State",
        "Owner",
        "Message",
    ]);
    let open = e.escalations.iter().filter(|x| x.open);
    let closed = e.escalations.iter().filter(|x| !x.open);
    for x in open.chain(closed) {
        let mut severity = Cell::new(x.severity.name());
        if color {
            severity = severity.fg(match x.severity {
                scorecard_model::Severity::Info | scorecard_model::Severity::Low => Color::DarkGrey,
                scorecard_model::Severity::Medium => Color::Yellow,
                _ => Color::Red,
            });
        }
        let state = match &x.recovered {
            None => "open".to_string(),
            Some(p) => format!("recovered {p}"),
        };
        t.add_row(vec![
            Cell::new(x.label.clone().unwrap_or_else(|| x.escalation.clone())),
            severity,
            Cell::new(segment_label(&x.segment)),
            Cell::new(&x.raised),
            Cell::new(state),
            Cell::new(x.owner.clone().unwrap_or_default()),
            Cell::new(&x.message),
        ]);
    }
    format!("Escalations\n{t}\n")
}
