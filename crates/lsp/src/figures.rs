//! Owns the figures beside each KPI: what the server asks of whoever evaluates a document on its
//! project's data (`Evaluate`, which the command implements with the engine: this crate has
//! none), the worker that asks it in the background so that diagnostics never wait, and the
//! inlay hints and hover lines made from its answers.

use crate::documents::Document;
use crate::positions::Encoding;
use lsp_server::{Message, Notification, Request, RequestId};
use lsp_types::{InlayHint, InlayHintLabel, InlayHintTooltip, MarkupContent, MarkupKind, Uri};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Mutex;

/// Evaluates a scorecard's text (an open document, saved or not) on the data its project reads.
pub trait Evaluate: Send {
    /// The figures of the scorecard at `file` whose text is `text`.
    fn evaluate(&mut self, file: &Path, text: &str) -> Figures;

    /// Whether the figures last given for `file` may be out of date though its text is not (a
    /// data file changed, or a table that cannot be watched was read a while ago); asked of
    /// every open document while the worker is idle.
    fn stale(&mut self, _file: &Path) -> bool {
        false
    }
}

/// What the serving loop asks of the worker.
pub enum Work {
    /// Evaluate this version of a document.
    Evaluate(Job),
    /// The document was closed: forget it.
    Forget(Uri),
}

/// How often an idle worker asks whether open documents' figures are out of date.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// What one evaluation of a document gave: each KPI's last periods, or why there are none.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// Each KPI's total in its last periods, oldest first, in declaration order.
    pub kpis: Vec<KpiFigures>,
    /// Why there are no figures, or why some are missing (`data: cannot read orders.csv`); the
    /// hints say it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// How the evaluation went: the milliseconds it took, and what it read or computed again.
    pub took_ms: u64,
    pub how: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KpiFigures {
    pub name: String,
    pub periods: Vec<Figure>,
}

/// A KPI's total in one period, as the terminal table writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub period: String,
    /// The value with its unit (`1,234.50 USD`, `27.3%`), or `no value`.
    pub value: String,
    /// The exact decimal, as the JSON output writes it (`1234.50`, `0.273`); none for no value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// `green`, `amber`, `red`, `no value` or `unrated`.
    pub status: String,
    /// The data covers the period only in part.
    pub partial: bool,
}

/// The method of the notification that tells the client a document's figures are new (the
/// editor extension and the tests wait for it; an editor that does not know it ignores it).
pub const FIGURES: &str = "scorecard/figures";

/// A document to evaluate: the one the client last sent, for its `version`.
#[derive(Clone)]
pub struct Job {
    pub uri: Uri,
    pub version: i32,
    /// Where the document is on disk; `None` for a URI that is not a `file:` one (an unsaved
    /// buffer), which has no project and so no data.
    pub file: Option<PathBuf>,
    pub text: String,
}

/// The figures of each document, with the version of the text they were computed from.
#[derive(Default)]
pub struct Known {
    pub figures: BTreeMap<Uri, (i32, Figures)>,
}

/// The worker: evaluates the newest version of each document sent, skipping versions a newer one
/// replaced while it was busy, and tells the client (the figures notification, and an inlay hint
/// refresh when the client said at `initialize` it can take one). While idle, it evaluates again
/// an open document whose figures the evaluator says are out of date (its data changed).
pub fn work(
    mut evaluator: Box<dyn Evaluate>,
    jobs: Receiver<Work>,
    known: &Mutex<Known>,
    send: &dyn Fn(Message),
    refresh: &AtomicBool,
) {
    let mut asked = 0i32;
    // The latest version of each open document, by its URI.
    let mut open: BTreeMap<String, Job> = BTreeMap::new();
    loop {
        let mut due: BTreeMap<String, Job> = BTreeMap::new();
        let mut take = |work: Work, due: &mut BTreeMap<String, Job>| match work {
            Work::Evaluate(job) => {
                let uri = job.uri.as_str().to_string();
                open.insert(uri.clone(), job.clone());
                due.insert(uri, job);
            }
            Work::Forget(uri) => {
                open.remove(uri.as_str());
                due.remove(uri.as_str());
                if let Ok(mut k) = known.lock() {
                    k.figures.remove(&uri);
                }
            }
        };
        match jobs.recv_timeout(LOOK_EVERY) {
            Ok(first) => take(first, &mut due),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        }
        while let Ok(next) = jobs.try_recv() {
            take(next, &mut due);
        }
        if due.is_empty() {
            for (uri, job) in &open {
                if job.file.as_deref().is_some_and(|f| evaluator.stale(f)) {
                    due.insert(uri.clone(), job.clone());
                }
            }
        }
        for job in due.into_values() {
            let figures = match &job.file {
                Some(file) => evaluator.evaluate(file, &job.text),
                None => Figures {
                    problem: Some(format!(
                        "`{}` is not a file on disk: figures are computed for a scorecard saved in its project's folder, whose data it reads",
                        job.uri.as_str()
                    )),
                    ..Figures::default()
                },
            };
            let params = serde_json::json!({
                "uri": job.uri.as_str(),
                "version": job.version,
                "figures": &figures,
            });
            if let Ok(mut k) = known.lock() {
                k.figures.insert(job.uri.clone(), (job.version, figures));
            }
            send(Message::Notification(Notification::new(
                FIGURES.to_string(),
                params,
            )));
            if refresh.load(Ordering::Relaxed) {
                asked += 1;
                send(Message::Request(Request::new(
                    RequestId::from(format!("scorecard-refresh-{asked}")),
                    "workspace/inlayHint/refresh".to_string(),
                    serde_json::Value::Null,
                )));
            }
        }
    }
}

/// The hint at the end of each KPI declaration's first line: its latest value and status, and a
/// tooltip with its last periods. A hint from an earlier version of the text is marked as such.
pub fn hints(doc: &Document, encoding: Encoding, known: Option<&(i32, Figures)>) -> Vec<InlayHint> {
    let Some((version, figures)) = known else {
        return Vec::new();
    };
    let stale = *version != doc.version;
    let mut out = Vec::new();
    for d in doc
        .symbols
        .declarations
        .iter()
        .filter(|d| d.keyword.text == "kpi")
    {
        let label = match figures.kpis.iter().find(|k| k.name == d.name.text) {
            Some(k) => match k.periods.last() {
                Some(latest) => shown(latest),
                None => "no periods".to_string(),
            },
            None => match &figures.problem {
                Some(p) => format!("not evaluated: {}", first_line(p)),
                None => continue,
            },
        };
        let label = match stale {
            true => format!("… {label}"),
            false => label,
        };
        // The line of its keyword (its span starts at its doc comment).
        let start = d.keyword.span.start;
        let line_end = doc.text[start..]
            .find(['\n', '\r'])
            .map_or(doc.text.len(), |i| start + i);
        let tooltip = tooltip(d.name.text.as_str(), figures, stale);
        out.push(InlayHint {
            position: encoding.position(&doc.text, line_end),
            label: InlayHintLabel::String(format!("= {label}")),
            kind: None,
            text_edits: None,
            tooltip: Some(InlayHintTooltip::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: tooltip,
            })),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        });
    }
    out
}

/// What a hover on a KPI adds: its last periods, one line each; nothing before any figures.
pub fn hover_text(kpi: &str, known: Option<&(i32, Figures)>, version: i32) -> Option<String> {
    let (v, figures) = known?;
    Some(tooltip(kpi, figures, *v != version))
}

fn tooltip(kpi: &str, figures: &Figures, stale: bool) -> String {
    let mut lines = Vec::new();
    match figures.kpis.iter().find(|k| k.name == kpi) {
        Some(k) => {
            for f in k.periods.iter().rev() {
                lines.push(format!("- {}: {}", f.period, shown(f)));
            }
        }
        None => lines.push(match &figures.problem {
            Some(p) => format!("Not evaluated: {p}"),
            None => "Not evaluated".to_string(),
        }),
    }
    if let (Some(p), true) = (&figures.problem, !figures.kpis.is_empty()) {
        lines.push(format!("\n{p}"));
    }
    let when = match stale {
        true => "from an earlier version of this text; updating",
        false => "from the data",
    };
    format!(
        "**Latest values** ({when}, {} ms, {})\n\n{}",
        figures.took_ms,
        figures.how,
        lines.join("\n")
    )
}

/// A figure as a hint writes it: `$1,234.50 · green · 2026-05` (`partial` when it is).
fn shown(f: &Figure) -> String {
    let partial = if f.partial { " (partial)" } else { "" };
    match f.status.as_str() {
        "unrated" | "no value" => format!("{} · {}{partial}", f.value, f.period),
        status => format!("{} · {status} · {}{partial}", f.value, f.period),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
