//! Owns what escalations tell people (docs/notifications.md): a notification (`Notification`)
//! for each event of an episode, planned from an evaluation and what the delivery state says was
//! told before (`plan.rs`, `told.rs`), delivered once per receiver (`deliver.rs`, `send.rs`).

mod deliver;
mod plan;
mod send;
mod told;

pub use deliver::{deliver, known_episodes, Delivered, Evaluated, Outcome};
pub use plan::{evaluated_until, last_whole, notifications, Planned};
pub use told::{Known, Told};

use serde::{Deserialize, Serialize};
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
    /// How many times the episode reopened after a recovery was sent (in this generation): a
    /// recovery after a reopening is told again, under a new id.
    #[serde(default)]
    pub reopens: u32,
    /// `raised`, `escalated`, `recovered`, `reopened` or `withdrawn`.
    pub event: String,
    /// For a reopening: the id of the recovery it corrects (only those told it hear of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    pub scorecard: String,
    pub escalation: String,
    pub label: Option<String>,
    pub severity: String,
    pub kpi: String,
    pub segment: BTreeMap<String, Option<String>>,
    /// The period the event happened in (for a withdrawal or a reopening, the last period
    /// evaluated).
    pub period: String,
    pub raised: String,
    /// Who this notification is for: the owner when raised, the chain's step it reached when
    /// escalated; `null` for a recovery, a reopening or a withdrawal, which are for everyone in
    /// `owners`.
    pub owner: Option<String>,
    /// Whom it is routed for: `owner`, or each who held the episode; empty when no one owns it.
    pub owners: Vec<String>,
    /// The escalation's message, for the last period it was open.
    pub message: String,
    /// One line saying all of it.
    pub text: String,
}

/// `region=EMEA, channel=web`; an empty value as `region=(empty)`.
pub(crate) fn segment_text(segment: &BTreeMap<String, Option<String>>) -> String {
    segment
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(empty)")))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn episode_id(scorecard: &str, e: &scorecard_rules::escalation::Escalated) -> String {
    let segment = serde_json::to_string(&e.segment).unwrap_or_default();
    digest(&[scorecard, &e.escalation, &segment, &e.raised])
}

/// The first 32 hex digits of the sha256 of the parts, each ended by a unit separator.
pub(crate) fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    crate::ledger::record::hex(&h.finalize()[..16])
}
