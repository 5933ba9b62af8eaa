//! Owns what escalations tell people (docs/notifications.md): from an evaluation's episodes, one
//! notification when an episode is raised (to its owner), one for each step up the chain (to the
//! new owner), one when it recovers (to everyone who held it), and one when an episode that was
//! notified is no longer there at all (data corrected, a period that was incomplete, the
//! escalation renamed or removed: withdrawn, to everyone who was told of it); each with an id
//! that is the same on every run, so that a delivery is recorded once and a receiver can tell a
//! repeat.

mod deliver;
mod send;

pub use deliver::{deliver, known_episodes, Delivered, Known, Outcome};

use scorecard_rules::escalation::{Escalated, State};
use scorecard_rules::Evaluation;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// What one `scorecard notify` did (or, with `--dry-run`, would do).
#[derive(Debug, Serialize)]
pub struct Deliveries {
    pub scorecard: String,
    pub dry_run: bool,
    /// Episodes left out as history: recovered before the last period reported, never notified.
    pub history: usize,
    pub deliveries: Vec<Delivered>,
}

/// One thing to tell one owner, or (a recovery, a withdrawal) everyone who held an episode.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    /// The same for the same event of the same episode on every run: the delivery's key.
    pub id: String,
    /// The episode: scorecard, escalation, segment and the period it was raised in.
    pub episode: String,
    /// How many times the episode was withdrawn before: one that comes back after a withdrawal
    /// is told again, under new ids.
    #[serde(default)]
    pub generation: u32,
    /// `raised`, `escalated`, `recovered` or `withdrawn`.
    pub event: String,
    pub scorecard: String,
    pub escalation: String,
    pub label: Option<String>,
    pub severity: String,
    pub kpi: String,
    pub segment: BTreeMap<String, Option<String>>,
    /// The period the event happened in (for a withdrawal, the last period evaluated).
    pub period: String,
    pub raised: String,
    /// Who this notification is for: the owner when raised, the chain's step it reached when
    /// escalated; `null` for a recovery or a withdrawal, which are for everyone in `owners`.
    pub owner: Option<String>,
    /// Whom it is routed for: `owner`, or each who held the episode; empty when no one owns it.
    pub owners: Vec<String>,
    /// The escalation's message, for the last period it was open.
    pub message: String,
    /// One line saying all of it.
    pub text: String,
}

/// What notifying one scorecard found: the notifications to deliver, oldest event first, and
/// how many episodes were left out as history.
pub struct Planned {
    pub notifications: Vec<Notification>,
    pub history: usize,
}

/// The notifications of every episode in `evaluation` that is current (open in the last period
/// reported, or recovered in it) or that `known` has a delivery of; and a withdrawal of each
/// episode `known` was told of that the evaluation no longer has, when it covers the period the
/// episode was raised in.
pub fn notifications(evaluation: &Evaluation, scorecard: &str, known: &Known) -> Planned {
    let last = evaluation.periods.last().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let mut history = 0;
    let mut present = BTreeSet::new();
    for e in &evaluation.escalations {
        let episode = episode_id(scorecard, e);
        present.insert(episode.clone());
        let current = e.open || e.recovered.as_deref() == Some(last.as_str());
        let told = known.episodes.get(&episode);
        if !current && told.is_none() {
            history += 1;
            continue;
        }
        // Back after a withdrawal: a new generation, told again.
        let generation = told.map_or(0, |t| t.generation + u32::from(t.withdrawn));
        let mut held: Vec<String> = Vec::new();
        for t in &e.timeline {
            let (event, owners) = match t.state {
                State::Raised | State::Escalated => {
                    let owners: Vec<String> = t.owner.iter().cloned().collect();
                    for o in &owners {
                        if !held.contains(o) {
                            held.push(o.clone());
                        }
                    }
                    let event = match t.state {
                        State::Raised => "raised",
                        _ => "escalated",
                    };
                    (event, owners)
                }
                State::Recovered => ("recovered", held.clone()),
                State::Ongoing => continue,
            };
            out.push(notification(
                (scorecard, e, &episode, generation),
                event,
                &t.period,
                owners,
            ));
        }
    }
    for (episode, told) in &known.episodes {
        let gone = !present.contains(episode)
            && !told.recovered
            && !told.withdrawn
            && told.last.scorecard == scorecard
            && evaluation.periods.contains(&told.last.raised);
        if gone {
            out.push(withdrawal(&told.last, &told.owners, &last));
        }
    }
    Planned {
        notifications: out,
        history,
    }
}

/// What an episode's deliveries tell of its latest generation: the last notification sent of it,
/// everyone told, and whether its recovery or its withdrawal was sent.
#[derive(Debug, Clone)]
pub struct Told {
    pub last: Notification,
    pub generation: u32,
    pub owners: Vec<String>,
    pub recovered: bool,
    pub withdrawn: bool,
}

fn notification(
    (scorecard, e, episode, generation): (&str, &Escalated, &str, u32),
    event: &'static str,
    period: &str,
    owners: Vec<String>,
) -> Notification {
    let owner = match event {
        "recovered" => None,
        _ => owners.first().cloned(),
    };
    let severity = serde_json::to_value(e.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut parts = vec![episode, event, period, owner.as_deref().unwrap_or("")];
    let counted = generation.to_string();
    if generation > 0 {
        parts.push(&counted);
    }
    let id = digest(&parts);
    let title = e.label.clone().unwrap_or_else(|| e.escalation.clone());
    let segment = segment_text(&e.segment);
    let place = match segment.is_empty() {
        true => String::new(),
        false => format!(" for {segment}"),
    };
    let what = match event {
        "raised" => format!(
            "raised in {period}{place}, {}",
            match &owner {
                Some(w) => format!("owner {w}"),
                None => "no owner".into(),
            }
        ),
        "escalated" => format!(
            "escalated to {} in {period}{place} (open since {})",
            owner.as_deref().unwrap_or("no one"),
            e.raised
        ),
        _ => format!(
            "recovered in {period}{place} (open since {}; held by {})",
            e.raised,
            held_by(&owners)
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
        generation,
        event: event.to_string(),
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

/// The episode `last` was of is over without recovering: the data no longer raises it.
fn withdrawal(last: &Notification, owners: &[String], period: &str) -> Notification {
    let title = last
        .label
        .clone()
        .unwrap_or_else(|| last.escalation.clone());
    let segment = segment_text(&last.segment);
    let place = match segment.is_empty() {
        true => String::new(),
        false => format!(" for {segment}"),
    };
    let message = format!(
        "the data no longer raises it in {}: corrected since, or the period was incomplete when it was raised (or the escalation was renamed or removed)",
        last.raised
    );
    Notification {
        id: digest(&[&last.episode, "withdrawn", &last.generation.to_string()]),
        event: "withdrawn".into(),
        period: period.to_string(),
        owner: None,
        owners: owners.to_vec(),
        text: format!(
            "[{}] {title} ({}) withdrawn{place} (raised in {}; held by {}): {message}",
            last.severity.to_uppercase(),
            last.escalation,
            last.raised,
            held_by(owners)
        ),
        message,
        ..last.clone()
    }
}

fn held_by(owners: &[String]) -> String {
    match owners.is_empty() {
        true => "no owner".into(),
        false => owners.join(", "),
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
