//! Owns what the delivery state says each episode's people were told: read from the `sending`
//! records (which keep the notification sent) and the outcomes after them, for the latest
//! generation of each episode: whom it reached, whether its recovery reached anyone (and in which
//! period), whether a withdrawal reached anyone and whether it reached every receiver.

use super::Notification;
use std::collections::{BTreeMap, BTreeSet};

/// The episodes the store has any delivery of, with what was told of each.
#[derive(Debug, Default)]
pub struct Known {
    pub episodes: BTreeMap<String, Told>,
}

/// What an episode's deliveries tell of its latest generation.
#[derive(Debug, Clone)]
pub struct Told {
    /// The last raise, step or recovery sent of it.
    pub last: Notification,
    pub generation: u32,
    /// How many times it reopened after a recovery was sent (in this generation).
    pub reopens: u32,
    /// Everyone any notification of it was for.
    pub owners: Vec<String>,
    /// The period of the recovery that reached someone (or may have) since the last reopening.
    pub recovered: Option<String>,
    /// That recovery's id.
    pub recovered_id: Option<String>,
    /// The reopening told in this phase that has not reached every receiver yet: sent again, to
    /// those it has not reached, while the episode stays open.
    pub reopening: Option<Notification>,
    /// A withdrawal reached someone (or may have).
    pub withdrawn: bool,
    /// A withdrawal reached every receiver it was routed to.
    pub withdrawal_done: bool,
}

/// A delivery record's part the episodes are read from.
pub(super) struct Record {
    pub id: String,
    pub receiver: String,
    pub state: String,
    pub notification: Option<Notification>,
}

impl Known {
    /// What `records` (in the order written) tell.
    pub(super) fn of(records: Vec<Record>) -> Known {
        // The last state of each (delivery, receiver), and each delivery's notification.
        let mut last: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut told: Vec<Notification> = Vec::new();
        for r in records {
            last.insert((r.id.clone(), r.receiver.clone()), r.state.clone());
            if let Some(n) = r.notification {
                if !told.iter().any(|t| t.id == n.id) {
                    told.push(n);
                }
            }
        }
        // Told: delivered, or sent with no outcome known, which may have arrived.
        let told_ids: BTreeSet<&String> = last
            .iter()
            .filter(|(_, s)| super::deliver::TOLD.contains(&s.as_str()))
            .map(|((id, _), _)| id)
            .collect();
        let sent = |n: &Notification| told_ids.contains(&n.id);
        let everywhere = |n: &Notification| {
            let states = last.iter().filter(|((id, _), _)| *id == n.id);
            states.clone().count() > 0 && states.into_iter().all(|(_, s)| s == "sent")
        };
        let mut known = Known::default();
        for n in &told {
            let fresh = || Told {
                last: n.clone(),
                generation: n.generation,
                reopens: 0,
                owners: Vec::new(),
                recovered: None,
                recovered_id: None,
                reopening: None,
                withdrawn: false,
                withdrawal_done: false,
            };
            let t = known
                .episodes
                .entry(n.episode.clone())
                .or_insert_with(fresh);
            // Only the latest generation counts.
            if n.generation < t.generation {
                continue;
            }
            if n.generation > t.generation {
                *t = fresh();
            }
            for o in &n.owners {
                if !t.owners.contains(o) {
                    t.owners.push(o.clone());
                }
            }
            match n.event.as_str() {
                "withdrawn" => {
                    t.withdrawn |= sent(n);
                    t.withdrawal_done |= everywhere(n);
                }
                "reopened" if sent(n) && n.reopens > t.reopens => {
                    t.reopens = n.reopens;
                    t.recovered = None;
                    t.reopening = (!everywhere(n)).then(|| n.clone());
                }
                "reopened" => {}
                "recovered" => {
                    if sent(n) && n.reopens == t.reopens {
                        t.recovered = Some(n.period.clone());
                        t.recovered_id = Some(n.id.clone());
                    }
                    t.last = n.clone();
                }
                _ => t.last = n.clone(),
            }
        }
        known
    }
}
