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
    /// Not sent: a later event of its episode reached the receiver first, so it would tell
    /// something no longer so.
    Overtaken,
    /// Owed by an earlier run (failed, or its outcome unknown), and no longer so by today's data:
    /// not sent, said once.
    NoLongerSo,
}

/// One run's record: the last day its evaluation told whole, so that no later run tells from an
/// earlier one (an `--as-of` in the past, data cut short).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRecord {
    scorecard: String,
    evaluated_until: chrono::NaiveDate,
    at: String,
}

/// A record of the state store: a delivery's step, or a run.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StateRecord {
    Run(RunRecord),
    Delivery(Box<Entry>),
}

/// The states after which a notification counts as told: delivered, or sent with no outcome
/// known (a run stopped while waiting, a receiver that did not answer).
pub(super) const TOLD: [&str; 3] = ["sent", "sending", "unknown"];

/// What the store says of every episode it has a delivery of.
pub fn known_episodes(log: &Log) -> Result<Known, CloseError> {
    let (entries, _) = log.entries()?;
    let records = entries
        .iter()
        .filter_map(|e| match serde_json::from_str::<StateRecord>(&e.text) {
            Ok(StateRecord::Delivery(d)) => Some(*d),
            _ => None,
        })
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
/// What a run evaluated: the scorecard's name in the store, the last day of the last period it
/// told whole and what sets it, and whether to accept that it is sooner than before (`--rewind`).
pub struct Evaluated<'a> {
    pub scorecard: &'a str,
    pub until: Option<(chrono::NaiveDate, String)>,
    pub rewind: bool,
}

pub fn deliver(
    config: &Notify,
    log: &Log,
    notifications: &[Notification],
    evaluated: Evaluated,
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
    // The episode of each delivery, and the day the last run of this scorecard told up to.
    let mut episode_of: BTreeMap<String, String> = BTreeMap::new();
    let mut sent_of: BTreeMap<String, Notification> = BTreeMap::new();
    let mut furthest: Option<chrono::NaiveDate> = None;
    for e in &entries {
        let record: StateRecord = serde_json::from_str(&e.text).map_err(|err| {
            StoreError::Unusable(format!(
                "{} is not a delivery record: {err}\n  help: the notification state is written only by scorecard; restore it from a backup",
                e.place
            ))
        })?;
        match record {
            StateRecord::Delivery(entry) => {
                let entry = *entry;
                if let Some(n) = &entry.notification {
                    sent_of.insert(entry.delivery.clone(), n.clone());
                }
                episode_of.insert(entry.delivery.clone(), entry.episode);
                state.insert((entry.delivery, entry.receiver), entry.state);
            }
            // The latest run's: runs only move it forward, except under `--rewind`.
            StateRecord::Run(run) if run.scorecard == evaluated.scorecard => {
                furthest = Some(run.evaluated_until);
            }
            StateRecord::Run(_) => {}
        }
    }
    if let (Some((until, why)), Some(told), false) =
        (evaluated.until.clone(), furthest, evaluated.rewind)
    {
        if until < told {
            return Err(CloseError::Behind { until, told, why });
        }
    }
    let told = |id: &str, receiver: &str| {
        state
            .get(&(id.to_string(), receiver.to_string()))
            .is_some_and(|s| TOLD.contains(&s.as_str()))
    };
    // Receivers told anything of each episode: only they hear of a correction.
    let told_episode: std::collections::BTreeSet<(String, String)> = state
        .iter()
        .filter(|(_, s)| TOLD.contains(&s.as_str()))
        .filter_map(|((id, r), _)| episode_of.get(id).map(|e| (e.clone(), r.clone())))
        .collect();
    let mut out = Vec::new();
    // Receivers that did not answer in this run: not tried again until the next.
    let mut quiet: std::collections::BTreeSet<String> = Default::default();
    for (i, n) in notifications.iter().enumerate() {
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
        // A correction goes only to whom it corrects: a reopening to those told the recovery,
        // a withdrawal to those told anything of the episode.
        match (&n.corrects, n.event.as_str()) {
            (Some(id), _) => receivers.retain(|r| told(id, r)),
            (None, "reopened" | "withdrawn") => {
                receivers.retain(|r| told_episode.contains(&(n.episode.clone(), r.clone())))
            }
            _ => {}
        }
        for name in receivers {
            let Some(receiver) = config.receivers.get(&name) else {
                continue;
            };
            let before = state.get(&(n.id.clone(), name.clone())).map(String::as_str);
            // A later event of the episode reached this receiver: this one would arrive after it,
            // out of order, and tell something no longer so.
            // (Only a delivery known to have failed: one that may have arrived is sent again.)
            let overtaken = before == Some("failed")
                && notifications[i + 1..].iter().any(|later| {
                    later.episode == n.episode
                        && later.generation == n.generation
                        && state
                            .get(&(later.id.clone(), name.clone()))
                            .map(String::as_str)
                            == Some("sent")
                });
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
            if overtaken {
                delivered.outcome = Outcome::Overtaken;
                out.push(delivered);
                continue;
            }
            if !dry_run && quiet.contains(&name) {
                let why = "not tried: the receiver did not answer earlier in this run".to_string();
                delivered.outcome = Outcome::Failed(why);
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
                        Some("sending" | "unknown") => Outcome::Resent,
                        _ => Outcome::Sent,
                    }
                }
                Err(e) => {
                    let state = match e.may_have_arrived {
                        true => "unknown",
                        false => "failed",
                    };
                    record(state, Some(e.why.clone()))?;
                    if e.may_have_arrived {
                        quiet.insert(name.clone());
                    }
                    Outcome::Failed(e.why)
                }
            };
            out.push(delivered);
        }
    }
    // Deliveries owed from earlier runs that no event of today's data calls for any more: said,
    // once, rather than left to disappear.
    let planned: std::collections::BTreeSet<&str> =
        notifications.iter().map(|n| n.id.as_str()).collect();
    let mut owed: Vec<((String, String), Notification)> = state
        .iter()
        .filter(|((id, _), s)| {
            matches!(s.as_str(), "failed" | "unknown" | "sending") && !planned.contains(id.as_str())
        })
        .filter_map(|((id, r), _)| {
            sent_of
                .get(id)
                .map(|n| ((id.clone(), r.clone()), n.clone()))
        })
        .collect();
    owed.sort_by(|a, b| a.0.cmp(&b.0));
    for ((id, receiver), n) in owed {
        if n.scorecard != evaluated.scorecard {
            continue;
        }
        if !dry_run {
            let entry = Entry {
                delivery: id,
                episode: n.episode.clone(),
                receiver: receiver.clone(),
                state: "no_longer_so".into(),
                at: now.to_string(),
                error: None,
                notification: None,
            };
            let text = serde_json::to_string_pretty(&entry).unwrap_or_default() + "\n";
            log.append(next, &text)?;
            next += 1;
        }
        out.push(Delivered {
            receiver,
            notification: n,
            outcome: Outcome::NoLongerSo,
            preview: None,
        });
    }
    // A run that tells no further than the last adds no record.
    let moved = evaluated.until.as_ref().map(|(d, _)| *d) != furthest;
    if let (false, true, Some((until, _))) = (dry_run, moved, evaluated.until) {
        let run = RunRecord {
            scorecard: evaluated.scorecard.to_string(),
            evaluated_until: until,
            at: now.to_string(),
        };
        let text = serde_json::to_string_pretty(&run).unwrap_or_default() + "\n";
        log.append(next, &text)?;
    }
    Ok(out)
}
