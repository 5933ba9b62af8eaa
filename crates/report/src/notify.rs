//! Owns rendering what `scorecard notify` delivered: one line per notification and receiver
//! (sent, sent again, already sent, failed with why, or with `--dry-run` what would be sent),
//! then a count of each. Its JSON is `report::pretty`.

use scorecard_close::notify::{Deliveries, Outcome};

pub fn text(d: &Deliveries, _color: bool) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 7];
    for x in &d.deliveries {
        let (word, i) = match &x.outcome {
            Outcome::Sent => ("sent", 0),
            Outcome::Resent => ("sent again (its earlier outcome was not known)", 1),
            Outcome::AlreadySent => ("already sent", 2),
            Outcome::Failed(_) => ("failed", 3),
            Outcome::WouldSend => ("would send", 4),
            Outcome::Overtaken => (
                "not sent (a later event of its escalation reached the receiver first)",
                5,
            ),
            Outcome::NoLongerSo => ("not sent (owed from an earlier run, no longer so)", 6),
        };
        counts[i] += 1;
        if matches!(x.outcome, Outcome::AlreadySent) {
            continue;
        }
        out.push_str(&format!(
            "{word} to {}: {}\n",
            x.receiver,
            shown(&x.notification.text)
        ));
        if let Outcome::Failed(why) = &x.outcome {
            out.push_str(&format!("  {}\n", shown(why)));
        }
        if let Some(p) = &x.preview {
            for line in p.lines() {
                out.push_str(&format!("  | {}\n", shown(line)));
            }
        }
    }
    let mut parts = Vec::new();
    for (n, what) in counts.iter().zip([
        "sent",
        "sent again",
        "already sent",
        "failed",
        "would be sent",
        "overtaken",
        "no longer so",
    ]) {
        if *n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if parts.is_empty() {
        parts.push("nothing to send".into());
    }
    out.push_str(&format!("{}: {}", d.scorecard, parts.join(", ")));
    if d.history > 0 {
        out.push_str(&format!(
            "; {} earlier episode{} left as history (recovered before the last period, never notified)",
            d.history,
            if d.history == 1 { "" } else { "s" }
        ));
    }
    out.push('\n');
    out
}

/// Text from the data as one terminal line: control characters (a line break in a segment value,
/// an escape sequence) written as escapes, never acted on.
fn shown(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}
