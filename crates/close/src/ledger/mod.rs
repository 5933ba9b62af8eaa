//! Owns the ledger of published figures: reading its records, appending a publication or a
//! restatement to the chain, and verifying that no record was edited, removed or cut off.

pub mod record;
mod verify;

pub use record::{Figure, Fingerprints, Kind, Record, Sealed};
pub use verify::{verify, Problem};

use crate::store::{Entry, Log};
use crate::CloseError;
use scorecard_engine::Session;
use scorecard_model::Model;
use scorecard_rules::Evaluation;

/// The ledger's records as read: each with where it is.
pub struct Records {
    pub records: Vec<(Entry, Sealed)>,
}

impl Records {
    /// Reads every record; refuses a ledger that does not verify (a record unreadable, edited,
    /// removed), since a new record would chain onto it.
    pub fn verified(log: &Log) -> Result<Records, CloseError> {
        let (entries, strays) = log.entries()?;
        let problems = verify(&entries, &strays, None);
        if !problems.is_empty() {
            return Err(CloseError::Tampered {
                store: log.shown(),
                problems,
            });
        }
        let records = entries
            .into_iter()
            .filter_map(|e| {
                let sealed = serde_json::from_str::<Sealed>(&e.text).ok()?;
                Some((e, sealed))
            })
            .collect();
        Ok(Records { records })
    }

    /// The latest record of each period of `scorecard` (for the whole scorecard, not an
    /// audience's view of it), in period order of first publication.
    pub fn latest(&self, scorecard: &str) -> Vec<&Sealed> {
        let mut out: Vec<&Sealed> = Vec::new();
        for (_, s) in &self.records {
            if s.record.scorecard != scorecard || s.record.audience.is_some() {
                continue;
            }
            match out.iter_mut().find(|o| o.record.period == s.record.period) {
                Some(o) => *o = s,
                None => out.push(s),
            }
        }
        out
    }
}

/// What the person publishing says.
pub struct Publication {
    /// The scorecard's path from the project's folder.
    pub scorecard: String,
    /// The audience whose view is published; `None` for the whole scorecard.
    pub audience: Option<String>,
    pub period: String,
    pub approved_by: String,
    /// For a restatement: why.
    pub restate: Option<String>,
    pub git: Option<record::Git>,
    /// The project file read, with its sha256.
    pub project: Option<record::ProjectFile>,
    /// The scorecard's text as evaluated.
    pub definition: String,
    /// When, in UTC (`2026-12-07T10:00:00Z`).
    pub at: String,
    /// Publish figures the data covers only in part, recorded as partial.
    pub allow_partial: bool,
}

/// Refuses a period whose figures are not final: one that reads a period its data covers only in
/// part (its own, or one it compares with), or one a dataset's data ends before the end of.
fn complete(
    model: &Model,
    evaluation: &Evaluation,
    figures: &[Figure],
    period: &str,
) -> Result<(), CloseError> {
    let help = "  help: publish once the data covers it, or pass --allow-partial to publish the figures marked partial";
    let mut names: Vec<&str> = figures
        .iter()
        .filter(|f| f.partial)
        .map(|f| f.kpi.as_str())
        .collect();
    names.dedup();
    if !names.is_empty() {
        return Err(CloseError::Partial(format!(
            "{period} is not complete: {} read{} data that covers a period only in part (their own, or one they compare with), so the figures are not final\n{help}",
            names.join(", "),
            if names.len() == 1 { "s" } else { "" }
        )));
    }
    let periods = scorecard_model::calendar::Periods::of(&model.header);
    if let Some(p) = periods.parse(period) {
        let (_, end) = periods.bounds(p);
        if let Some((name, covers)) = evaluation.coverage.iter().find(|(_, c)| c.last < end) {
            return Err(CloseError::Partial(format!(
                "{period} is not complete: the data of `{name}` ends on {}, before the period does ({end}), so its figures are not final\n{help}",
                covers.last
            )));
        }
    }
    Ok(())
}

/// Records the figures of `publication.period` in `evaluation` (evaluated up to that period) as
/// published, chained to the last record; returns the record and where it was written.
pub fn publish(
    log: &Log,
    (model, session, evaluation): (&Model, &Session, &Evaluation),
    publication: Publication,
) -> Result<(Sealed, String), CloseError> {
    let read = Records::verified(log)?;
    let earlier = read
        .records
        .iter()
        .rev()
        .find(|(_, s)| {
            s.record.scorecard == publication.scorecard
                && s.record.period == publication.period
                && s.record.audience == publication.audience
        })
        .map(|(_, s)| s);
    let (kind, restates) = match (earlier, &publication.restate) {
        (Some(e), None) => {
            return Err(CloseError::Published {
                scorecard: publication.scorecard,
                period: publication.period,
                sequence: e.record.sequence,
                at: e.record.published_at.clone(),
            })
        }
        (None, Some(_)) => {
            return Err(CloseError::NotPublished {
                scorecard: publication.scorecard,
                period: publication.period,
            })
        }
        (Some(e), Some(_)) => (Kind::Restatement, Some(e.record.sequence)),
        (None, None) => (Kind::Publish, None),
    };
    if !evaluation.periods.contains(&publication.period) {
        let first = evaluation.coverage.values().map(|c| c.first).min();
        return Err(CloseError::Period(format!(
            "the scorecard has no results in {}: {}",
            publication.period,
            match first {
                Some(day) => format!("its data starts on {day}"),
                None => "its data has no rows".into(),
            }
        )));
    }
    let figures =
        record::figures(evaluation, &publication.period).map_err(|message| CloseError::Run {
            code: scorecard_diagnostic::Code::WriteOutput,
            message,
        })?;
    if !publication.allow_partial {
        complete(model, evaluation, &figures, &publication.period)?;
    }
    let (sequence, previous) = match read.records.last() {
        Some((e, s)) => (e.sequence + 1, Some(s.hash.clone())),
        None => (1, None),
    };
    // An audience's record keeps no rows: their keys are the source rows it may not be shown.
    let rows = match publication.audience {
        None => fingerprints(model, session, evaluation)?,
        Some(_) => std::collections::BTreeMap::new(),
    };
    let manifest = serde_json::to_value(&evaluation.manifest).unwrap_or_default();
    let record = Record {
        sequence,
        previous,
        kind,
        scorecard: publication.scorecard,
        audience: publication.audience,
        period: publication.period.clone(),
        published_at: publication.at,
        approved_by: publication.approved_by,
        reason: publication.restate,
        restates,
        git: publication.git,
        project: publication.project,
        manifest,
        definition: publication.definition,
        figures,
        scores: record::scores(evaluation, &publication.period),
        escalations: record::escalations(evaluation, &publication.period),
        rows,
    };
    let sealed = Sealed::seal(record);
    let place = log.append(sequence, &sealed.text())?;
    Ok((sealed, place))
}

/// The most rows of one dataset the ledger fingerprints: about 40 bytes each in a record, so a
/// record stays under about 40 MB a dataset. A larger dataset is named by its sha256 alone.
pub const MOST_FINGERPRINTED_ROWS: u64 = 1_000_000;

/// Each keyed dataset read from a source (of at most `MOST_FINGERPRINTED_ROWS` rows), its rows'
/// fingerprints by key.
fn fingerprints(
    model: &Model,
    session: &Session,
    evaluation: &Evaluation,
) -> Result<std::collections::BTreeMap<String, Fingerprints>, CloseError> {
    let mut out = std::collections::BTreeMap::new();
    for d in model.datasets.iter().filter(|d| d.is_file()) {
        let rows: u64 = evaluation
            .manifest
            .inputs
            .iter()
            .filter(|i| i.dataset == d.name)
            .map(|i| i.rows)
            .sum();
        if rows > MOST_FINGERPRINTED_ROWS {
            continue;
        }
        if let Some(prints) = fingerprints_of(model, session, d)? {
            out.insert(d.name.clone(), prints);
        }
    }
    Ok(out)
}

/// The fingerprints of `dataset`'s rows by key, as the session holds them; `None` for a dataset
/// without `key` columns, or whose rows are not held here (aggregated in PostgreSQL).
pub fn fingerprints_of(
    model: &Model,
    session: &Session,
    dataset: &scorecard_model::Dataset,
) -> Result<Option<Fingerprints>, CloseError> {
    let columns = &dataset.columns;
    let key: Vec<usize> = (0..columns.len()).filter(|&i| columns[i].key).collect();
    if key.is_empty() {
        return Ok(None);
    }
    let mut prints = Fingerprints {
        key: key.iter().map(|&i| columns[i].name.clone()).collect(),
        rows: Default::default(),
    };
    let held = session.every_row(model, &dataset.name, &mut |row| {
        let k: Vec<&str> = key.iter().map(|&i| row[i].as_str()).collect();
        prints
            .rows
            .insert(record::key_text(&k), record::fingerprint(row));
    })?;
    Ok(held.then_some(prints))
}
