//! Owns what escalations tell people (docs/notifications.md): from an evaluation's episodes, one
//! notification when an episode is raised (to its owner), one for each step up the chain (to the
//! new owner), and one when it recovers (to everyone who held it); each with an id that is the
//! same on every run, so that a delivery is recorded once and a receiver can tell a repeat.

mod deliver;
mod send;

pub use deliver::{deliver, known_episodes, Delivered, Outcome};

use scorecard_rules::escalation::{Escalated, State};
use scorecard_rules::Evaluation;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What one `scorecard notify` did (or, with `--dry-run`, would do).
#[derive(Debug, Serialize)]
pub struct Deliveries {
    pub scorecard: String,
    pub dry_run: bool,
    /// Episodes left out as history: recovered before the last period reported, never notified.
    pub history: usize,
    pub deliveries: Vec<Delivered>,
}

/// One thing to tell one owner.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// The same for the same event of the same episode on every run: the delivery's key.
    pub id: String,
    /// The episode: scorecard, escalation, segment and the period it was raised in.
    pub episode: String,
    /// `raised`, `escalated` or `recovered`.
    pub event: &'static str,
    pub scorecard: String,
    pub escalation: String,
    pub label: Option<String>,
    pub severity: String,
    pub kpi: String,
    pub segment: BTreeMap<String, Option<String>>,
    /// The period the event happened in.
    pub period: String,
    pub raised: String,
    /// Who this notification is for: the owner when raised, the chain's step it reached when
    /// escalated; `null` for a recovery, which is for everyone in `owners`.
    pub owner: Option<String>,
    /// Whom it is routed for: `owner`, or for a recovery each who held the episode.
    pub owners: Vec<Option<String>>,
    /// The escalation's message, for the last period it was open.
    pub message: String,
    /// One line saying all of it.
    pub text: String,
}

/// The notifications of every episode in `evaluation` that is current (open in the last period
/// reported, or recovered in it) or that `known` says was notified before, oldest event first;
/// and how many episodes were left out as history (recovered before the last period, never
/// notified).
pub fn notifications(
    evaluation: &Evaluation,
    scorecard: &str,
    known: &dyn Fn(&str) -> bool,
) -> (Vec<Notification>, usize) {
    let last = evaluation.periods.last().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let mut history = 0;
    for e in &evaluation.escalations {
        let episode = episode_id(scorecard, e);
        let current = e.open || e.recovered.as_deref() == Some(last.as_str());
        if !current && !known(&episode) {
            history += 1;
            continue;
        }
        let mut held: Vec<Option<String>> = Vec::new();
        for t in &e.timeline {
            let (event, owners) = match t.state {
                State::Raised | State::Escalated => {
                    if !held.contains(&t.owner) {
                        held.push(t.owner.clone());
                    }
                    let event = match t.state {
                        State::Raised => "raised",
                        _ => "escalated",
                    };
                    (event, vec![t.owner.clone()])
                }
                State::Recovered => ("recovered", held.clone()),
                State::Ongoing => continue,
            };
            out.push(notification(
                (scorecard, e, &episode),
                event,
                &t.period,
                owners,
            ));
        }
    }
    (out, history)
}

fn notification(
    (scorecard, e, episode): (&str, &Escalated, &str),
    event: &'static str,
    period: &str,
    owners: Vec<Option<String>>,
) -> Notification {
    let owner = match event {
        "recovered" => None,
        _ => owners.first().cloned().flatten(),
    };
    let severity = serde_json::to_value(e.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let id = digest(&[episode, event, period, owner.as_deref().unwrap_or("")]);
    let title = e.label.clone().unwrap_or_else(|| e.escalation.clone());
    let segment = segment_text(&e.segment);
    let place = match segment.is_empty() {
        true => String::new(),
        false => format!(" for {segment}"),
    };
    let whom = owner.as_deref();
    let everyone: Vec<&str> = owners.iter().flatten().map(String::as_str).collect();
    let what = match event {
        "raised" => format!(
            "raised in {period}{place}, {}",
            match whom {
                Some(w) => format!("owner {w}"),
                None => "no owner".into(),
            }
        ),
        "escalated" => format!(
            "escalated to {} in {period}{place} (open since {})",
            whom.unwrap_or("no one"),
            e.raised
        ),
        _ => format!(
            "recovered in {period}{place} (open since {}; held by {})",
            e.raised,
            match everyone.is_empty() {
                true => "no owner".to_string(),
                false => everyone.join(", "),
            }
        ),
    };
    let text = format!(
        "[{}] {title} ({}) {what}: {}",
        severity.to_uppercase(),
        e.escalation,
        e.message
    );
    Notification {
        id,
        episode: episode.to_string(),
        event,
        scorecard: scorecard.to_string(),
        escalation: e.escalation.clone(),
        label: e.label.clone(),
        severity,
        kpi: e.kpi.clone(),
        segment: e.segment.clone(),
        period: period.to_string(),
        raised: e.raised.clone(),
        owner,
        owners,
        message: e.message.clone(),
        text,
    }
}

/// `region=EMEA, channel=web`; an empty value as `region=(empty)`.
fn segment_text(segment: &BTreeMap<String, Option<String>>) -> String {
    segment
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(empty)")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn episode_id(scorecard: &str, e: &Escalated) -> String {
    let segment = serde_json::to_string(&e.segment).unwrap_or_default();
    digest(&[scorecard, &e.escalation, &segment, &e.raised])
}

/// The first 32 hex digits of the sha256 of the parts, each ended by a unit separator.
fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    crate::ledger::record::hex(&h.finalize()[..16])
}
