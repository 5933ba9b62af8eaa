//! Owns rendering: an evaluation as a terminal table, JSON (docs/json-output.md), CSV, Markdown, an
//! Excel workbook or the self-contained HTML report (docs/reports.md), all made from the same
//! `Evaluation` (rendering never recomputes a number); and the model's strategy map.

pub mod cohorts;
mod credits;
mod csv;
pub mod diff;
mod escalations;
pub mod explain;
pub mod health;
pub mod html;
mod markdown;
pub mod notify;
pub mod restate;
pub mod sensitivity;
pub mod strategy_map;
pub mod table;
pub mod testing;
mod xlsx;

pub use scorecard_model::format::{number, segment_label};

/// Text made safe inside HTML or XML elements and attribute values; control characters XML 1.0
/// cannot hold are dropped.
/// Whose view a document is, when it is an audience's: `EMEA regional management (emea)`, and
/// `, for anna@acme.com` when a member was named.
pub fn for_whom(e: &Evaluation) -> Option<String> {
    let a = e.manifest.audience.as_ref()?;
    let named = match &a.label {
        Some(l) => format!("{l} ({})", a.name),
        None => a.name.clone(),
    };
    Some(match &a.member {
        Some(m) => format!("{named}, for {m}"),
        None => named,
    })
}

/// The assumptions a document was evaluated under, when its scorecard declares parameters:
/// `scenario downside: discount_rate 12% (scenario), growth 5% (set), churn 20%`.
pub fn assumptions(e: &Evaluation) -> Option<String> {
    assumed_in(&e.manifest)
}

/// The assumptions a manifest records, as `assumptions` says them.
pub(crate) fn assumed_in(m: &scorecard_rules::manifest::Manifest) -> Option<String> {
    use scorecard_model::parameter::Source;
    if m.parameters.is_empty() {
        return None;
    }
    let each: Vec<String> = m
        .parameters
        .iter()
        .map(|p| match p.from {
            Source::Base => format!("{} {}", p.name, p.value),
            Source::Scenario => format!("{} {} (scenario)", p.name, p.value),
            Source::Set => format!("{} {} (set)", p.name, p.value),
        })
        .collect();
    let scenario = m.scenario.as_deref().unwrap_or("base");
    Some(format!("scenario {scenario}: {}", each.join(", ")))
}

/// A score as tables show it: the number, `withheld` from an audience, or `—` for none.
pub(crate) fn score_shown(s: &scorecard_rules::rollup::PeriodScore) -> String {
    match (s.score, s.withheld) {
        (Some(v), _) => v.to_string(),
        (None, true) => "withheld".into(),
        (None, false) => "—".into(),
    }
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
pub use table::table;

use scorecard_rules::Evaluation;

/// The evaluation as pretty-printed JSON, ending in a newline.
pub fn json(e: &Evaluation) -> String {
    pretty(e)
}

/// Writes the evaluation to `out` as `json` makes it, a value at a time, reading results kept on
/// disk as it goes.
pub fn write_json(e: &Evaluation, mut out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, e)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Any output document (evaluation, explanation, diff) as pretty-printed JSON, ending in a newline.
pub fn pretty<T: serde::Serialize>(x: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(x).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    s.push('\n');
    s
}

pub use self::csv::{csv, write_csv};
pub use credits::credits;
pub use markdown::markdown;
pub use xlsx::xlsx;
