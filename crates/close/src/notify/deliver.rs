//! Owns delivering notifications exactly as the state store allows: each (notification, receiver)
//! is recorded `sending` before it is sent and `sent` or `failed` after, so a run sends only what
//! no run has sent; a failed delivery is sent again on the next run, and one a run was stopped in
//! the middle of (`sending` with no outcome) is sent again with the same id, marked as a repeat.

use super::told::{self, Known};
use super::{send, Notification};
use crate::store::{Log, StoreError};
use crate::CloseError;
use scorecard_project::close::Notify;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of the state store.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    delivery: String,
    episode: String,
    receiver: String,
    state: String,
    at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What was sent, on a `sending` record: so that an episode the data no longer has can be
    /// withdrawn from everyone who was told of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification: Option<Notification>,
}

/// What became of one notification at one receiver.
#[derive(Debug, Serialize)]
pub struct Delivered {
    pub receiver: String,
    /// The notification, as a `json` webhook receives it.
    pub notification: Notification,
    pub outcome: Outcome,
    /// For a dry run: what would be posted or mailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "error")]
pub enum Outcome {
    Sent,
    /// Sent again: a run was stopped after sending it and before recording that it had.
    Resent,
    Failed(String),
    /// Sent by an earlier run.
    AlreadySent,
    /// `--dry-run`: would be sent.
    WouldSend,
}

/// What the store says of every episode it has a delivery of.
pub fn known_episodes(log: &Log) -> Result<Known, CloseError> {
    let (entries, _) = log.entries()?;
    let records = entries
        .iter()
        .filter_map(|e| serde_json::from_str::<Entry>(&e.text).ok())
        .map(|e| told::Record {
            id: e.delivery,
            receiver: e.receiver,
            state: e.state,
            notification: e.notification,
        })
        .collect();
    Ok(Known::of(records))
}

/// Sends each notification to the receivers its route gives, unless the store says it was sent;
/// with `dry_run`, sends and records nothing. `now` stamps the records.
pub fn deliver(
    config: &Notify,
    log: &Log,
    notifications: &[Notification],
    (dry_run, now): (bool, &str),
) -> Result<Vec<Delivered>, CloseError> {
    // One run at a time: two would both find a notification unsent.
    let _lock = match dry_run {
        true => None,
        false => Some(log.lock()?),
    };
    let (entries, _) = log.entries()?;
    let mut next = entries.last().map_or(1, |e| e.sequence + 1);
    let mut state: BTreeMap<(String, String), String> = BTreeMap::new();
    for e in &entries {
        let entry: Entry = serde_json::from_str(&e.text).map_err(|err| {
            StoreError::Unusable(format!(
                "{} is not a delivery record: {err}\n  help: the notification state is written only by scorecard; restore it from a backup",
                e.place
            ))
        })?;
        state.insert((entry.delivery, entry.receiver), entry.state);
    }
    let mut out = Vec::new();
    for n in notifications {
        // Each receiver once, whoever of the owners it is routed for.
        let mut receivers: Vec<String> = Vec::new();
        let owners: Vec<Option<&str>> = match n.owners.is_empty() {
            true => vec![None],
            false => n.owners.iter().map(|o| Some(o.as_str())).collect(),
        };
        for owner in owners {
            for r in config.route.receivers(&n.severity, owner, &n.escalation) {
                if !receivers.contains(&r) {
                    receivers.push(r);
                }
            }
        }
        for name in receivers {
            let Some(receiver) = config.receivers.get(&name) else {
                continue;
            };
            let before = state.get(&(n.id.clone(), name.clone())).map(String::as_str);
            let mut delivered = Delivered {
                receiver: name.clone(),
                notification: n.clone(),
                outcome: Outcome::AlreadySent,
                preview: None,
            };
            if before == Some("sent") {
                out.push(delivered);
                continue;
            }
            if dry_run {
                delivered.outcome = Outcome::WouldSend;
                delivered.preview = Some(send::preview(receiver, n));
                out.push(delivered);
                continue;
            }
            let mut record = |state: &str, error: Option<String>| -> Result<(), CloseError> {
                let entry = Entry {
                    delivery: n.id.clone(),
                    episode: n.episode.clone(),
                    receiver: name.clone(),
                    state: state.to_string(),
                    at: now.to_string(),
                    error,
                    notification: (state == "sending").then(|| n.clone()),
                };
                let text = serde_json::to_string_pretty(&entry).unwrap_or_default() + "\n";
                log.append(next, &text)?;
                next += 1;
                Ok(())
            };
            record("sending", None)?;
            delivered.outcome = match send::send(receiver, n) {
                Ok(()) => {
                    record("sent", None)?;
                    match before {
                        Some("sending") => Outcome::Resent,
                        _ => Outcome::Sent,
                    }
                }
                Err(e) => {
                    record("failed", Some(e.clone()))?;
                    Outcome::Failed(e)
                }
            };
            out.push(delivered);
        }
    }
    Ok(out)
}
