//! Owns which notifications a run sends, from the evaluation's episodes and what was told before:
//! one when an episode is raised (to its owner), one per step up the chain (to the new owner),
//! one when it recovers (to everyone who held it or was told of it); one when an episode whose
//! recovery was sent is open again (`reopened`); and one when an episode that was notified is no
//! longer there at all (`withdrawn`: data corrected, a period that was incomplete, the escalation
//! renamed or removed). Whether an episode is gone, or open again, is only decided on periods the
//! data covers whole: an evaluation that cannot tell (an earlier `--as-of`, data that ends
//! sooner) changes nothing.

use super::told::{Known, Told};
use super::{digest, episode_id, segment_text, Notification};
use scorecard_model::calendar::Periods;
use scorecard_model::Model;
use scorecard_rules::escalation::{Escalated, State};
use scorecard_rules::Evaluation;
use std::collections::BTreeSet;

/// What notifying one scorecard found: the notifications to deliver, oldest event first, and
/// how many episodes were left out as history.
pub struct Planned {
    pub notifications: Vec<Notification>,
    pub history: usize,
}

/// The notifications of every episode in `evaluation` that is current (open in the last period
/// reported, or recovered in it) or that `known` has a delivery of, and the reopenings and
/// withdrawals of what `known` says was told.
pub fn notifications(
    evaluation: &Evaluation,
    model: &Model,
    scorecard: &str,
    known: &Known,
) -> Planned {
    let last = evaluation.periods.last().cloned().unwrap_or_default();
    let whole = Whole::of(evaluation, model);
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
        let same = told.filter(|t| !t.withdrawn);
        let generation = told.map_or(0, |t| t.generation + u32::from(t.withdrawn));
        let mut reopens = same.map_or(0, |t| t.reopens);
        // Its recovery was told, and it is open again where the data can tell: said after the
        // events told before it.
        let mut reopening = None;
        if let Some(t) = same.filter(|_| e.open) {
            let recovered_then = t.recovered.as_deref();
            if recovered_then.is_some_and(|p| whole.covers(p)) {
                reopens += 1;
                reopening = Some(reopened(t, reopens, &last));
            } else if let Some(r) = &t.reopening {
                // Told some receivers, not yet all: again, under its id, to the rest.
                reopening = Some(r.clone());
            }
        }
        let ids = Ids {
            scorecard,
            episode: &episode,
            generation,
            reopens,
        };
        let mut held: Vec<String> = same.map_or(Vec::new(), |t| t.owners.clone());
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
            out.push(notification(&ids, e, event, &t.period, owners));
        }
        out.extend(reopening);
    }
    for (episode, told) in &known.episodes {
        let gone = !present.contains(episode)
            && !told.withdrawal_done
            && told.last.scorecard == scorecard
            && whole.covers(&told.last.raised);
        if gone {
            out.push(withdrawal(told, &last));
        }
    }
    Planned {
        notifications: out,
        history,
    }
}

/// The last day the evaluation tells whole: the last day every dataset's data reaches, or
/// `--as-of` when sooner; and what sets it (`the data of \`orders\``, `--as-of`).
pub fn evaluated_until(evaluation: &Evaluation) -> Option<(chrono::NaiveDate, String)> {
    let data = evaluation
        .coverage
        .iter()
        .min_by_key(|(_, c)| c.last)
        .map(|(name, c)| (c.last, format!("the data of `{name}` ends on {}", c.last)));
    let as_of = evaluation
        .manifest
        .options
        .as_of
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|a| (a, format!("`--as-of {a}`")));
    match (data, as_of) {
        (Some(d), Some(a)) if a.0 < d.0 => Some(a),
        // The data was read up to `--as-of`: say both.
        (Some((day, why)), Some((a, _))) => Some((day, format!("as of {a}, {why}"))),
        (d, a) => d.or(a),
    }
}

/// The last day of the last period wholly before or on `day`: runs are compared by the whole
/// periods they tell, so that a row's date corrected inside a period that is not over changes
/// nothing.
pub fn last_whole(model: &Model, day: chrono::NaiveDate) -> chrono::NaiveDate {
    let periods = Periods::of(&model.header);
    let p = periods.of_date(day);
    match periods.bounds(p).1 == day {
        true => day,
        false => periods.bounds(p - 1).1,
    }
}

/// Which periods the evaluation tells whole: reported, wholly inside every dataset's data, and
/// not past `--as-of`.
struct Whole<'a> {
    evaluation: &'a Evaluation,
    periods: Periods,
    /// The last day every dataset's data reaches, and `--as-of`.
    until: Option<chrono::NaiveDate>,
}

impl<'a> Whole<'a> {
    fn of(evaluation: &'a Evaluation, model: &Model) -> Whole<'a> {
        Whole {
            evaluation,
            periods: Periods::of(&model.header),
            until: evaluated_until(evaluation).map(|(day, _)| day),
        }
    }

    fn covers(&self, period: &str) -> bool {
        let Some(p) = self.periods.parse(period) else {
            return false;
        };
        let end = self.periods.bounds(p).1;
        self.evaluation.periods.iter().any(|x| x == period) && self.until.is_none_or(|u| end <= u)
    }
}

/// What makes the ids of one episode's notifications.
struct Ids<'a> {
    scorecard: &'a str,
    episode: &'a str,
    generation: u32,
    reopens: u32,
}

fn notification(
    ids: &Ids,
    e: &Escalated,
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
    // The ids of the first generation, before any reopening, are the plain ones.
    let (generation, reopens) = (ids.generation.to_string(), ids.reopens.to_string());
    let mut parts = vec![ids.episode, event, period, owner.as_deref().unwrap_or("")];
    if ids.generation > 0 {
        parts.push(&generation);
    }
    if event == "recovered" && ids.reopens > 0 {
        parts.extend(["reopens", &reopens]);
    }
    let title = e.label.clone().unwrap_or_else(|| e.escalation.clone());
    let place = place(&e.segment);
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
        id: digest(&parts),
        corrects: None,
        episode: ids.episode.to_string(),
        generation: ids.generation,
        reopens: ids.reopens,
        event: event.to_string(),
        scorecard: ids.scorecard.to_string(),
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

/// The episode whose recovery `told` sent is open again.
fn reopened(told: &Told, reopens: u32, period: &str) -> Notification {
    let message = format!(
        "the data now shows it open after the recovery told in {}: corrected since",
        told.recovered.as_deref().unwrap_or("an earlier period")
    );
    let generation = told.last.generation.to_string();
    let id = digest(&[
        &told.last.episode,
        "reopened",
        &generation,
        &reopens.to_string(),
    ]);
    Notification {
        reopens,
        corrects: told.recovered_id.clone(),
        ..correction(told, ("reopened", id), message, period)
    }
}

/// The episode `told` was of is over without recovering: the data no longer raises it.
fn withdrawal(told: &Told, period: &str) -> Notification {
    let message = format!(
        "the data no longer raises it in {}: corrected since, or the period was incomplete when it was raised (or the escalation was renamed or removed)",
        told.last.raised
    );
    let generation = told.last.generation.to_string();
    let id = digest(&[&told.last.episode, "withdrawn", &generation]);
    correction(told, ("withdrawn", id), message, period)
}

/// A notification correcting what `told` says was sent, to everyone told, in `period`.
fn correction(
    told: &Told,
    (event, id): (&str, String),
    message: String,
    period: &str,
) -> Notification {
    let last = &told.last;
    let title = last.label.as_deref().unwrap_or(&last.escalation);
    Notification {
        id,
        event: event.into(),
        corrects: None,
        period: period.to_string(),
        owner: None,
        owners: told.owners.clone(),
        text: format!(
            "[{}] {title} ({}) {event}{} (raised in {}; held by {}): {message}",
            last.severity.to_uppercase(),
            last.escalation,
            place(&last.segment),
            last.raised,
            held_by(&told.owners)
        ),
        message,
        ..last.clone()
    }
}

/// ` for region=EMEA`, or nothing for the total.
fn place(segment: &std::collections::BTreeMap<String, Option<String>>) -> String {
    let text = segment_text(segment);
    match text.is_empty() {
        true => String::new(),
        false => format!(" for {text}"),
    }
}

fn held_by(owners: &[String]) -> String {
    match owners.is_empty() {
        true => "no owner".into(),
        false => owners.join(", "),
    }
}
