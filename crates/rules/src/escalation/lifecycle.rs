//! Owns an escalation's life over periods in one segment: raised when `when` holds, open while it
//! lasts, moved up the chain after the declared periods, recovered when `recover` holds (or, with no
//! `recover`, when `when` no longer does). A period where the deciding condition cannot be told
//! changes nothing.

use super::super::EvalError;
use super::judge::Judge;
use scorecard_model::Escalation;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Raised,
    Ongoing,
    /// Moved to the next owner in the chain.
    Escalated,
    Recovered,
}

/// One episode: from the period it was raised to the period it recovered in, if it did.
#[derive(Debug)]
pub struct Life {
    pub raised: i64,
    pub recovered: Option<i64>,
    /// (period, state, level): level 0 is the owner, level `i` the chain's step `i`.
    pub events: Vec<(i64, State, usize)>,
}

impl Life {
    /// How far up the chain it has gone: 0 while with the owner.
    pub fn level(&self) -> usize {
        self.events.last().map(|e| e.2).unwrap_or(0)
    }
}

/// Every episode from period `first` to `last`, oldest first.
pub fn live(
    escalation: &Escalation,
    (first, last): (i64, i64),
    judge: &mut Judge,
) -> Result<Vec<Life>, EvalError> {
    let mut lives = Vec::new();
    let mut open: Option<Life> = None;
    for p in first..=last {
        let Some(mut life) = open.take() else {
            if judge.holds(&escalation.when, p)? == Some(true) {
                open = Some(Life {
                    raised: p,
                    recovered: None,
                    events: vec![(p, State::Raised, 0)],
                });
            }
            continue;
        };
        let recovered = match &escalation.recover {
            Some(r) => judge.holds(r, p)? == Some(true),
            None => judge.holds(&escalation.when, p)? == Some(false),
        };
        if recovered {
            life.events.push((p, State::Recovered, life.level()));
            life.recovered = Some(p);
            lives.push(life);
            continue;
        }
        let level = escalation
            .chain
            .iter()
            .filter(|s| s.after <= p - life.raised)
            .count();
        let state = if level > life.level() {
            State::Escalated
        } else {
            State::Ongoing
        };
        life.events.push((p, state, level));
        open = Some(life);
    }
    lives.extend(open);
    Ok(lives)
}
