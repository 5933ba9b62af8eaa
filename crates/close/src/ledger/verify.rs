//! Owns `scorecard ledger verify`: walking the chain from the first record and naming each record
//! that was edited (its content no longer gives its hash, or its hash is not the one the next
//! record was chained to), removed (a number missing), or unreadable; and, given the hash of the
//! last record as it was noted elsewhere, a ledger cut back to before it.

use super::record::{hash_of_value, Sealed};
use crate::store::Entry;
use serde::Serialize;

/// One thing wrong with the ledger, naming the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The stored text is not a record.
    Unreadable {
        sequence: u64,
        place: String,
        reason: String,
    },
    /// Its content does not give the hash stored with it.
    Edited { sequence: u64, place: String },
    /// Record `sequence + 1` is not chained to this one: this one was rewritten with a new hash,
    /// or the next was put in.
    Rewritten { sequence: u64, place: String },
    /// Its number is not the one its place gives.
    Renumbered {
        sequence: u64,
        place: String,
        written: u64,
    },
    /// Records with these numbers are missing.
    Removed { first: u64, last: u64 },
    /// The record with this hash, noted as the last, is not in the ledger.
    CutBack { hash: String },
    /// A file in the ledger's folder that is not a record.
    Stray { place: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Unreadable { sequence, place, reason } => {
                write!(f, "record {sequence} ({place}) is not a ledger record: {reason}")
            }
            Problem::Edited { sequence, place } => write!(
                f,
                "record {sequence} ({place}) was edited: its content does not give the hash stored with it"
            ),
            Problem::Rewritten { sequence, place } => write!(
                f,
                "record {sequence} ({place}) was rewritten, or record {} was put in after it: each verifies on its own, but record {} is chained to another hash than record {sequence}'s",
                sequence + 1,
                sequence + 1
            ),
            Problem::Renumbered { sequence, place, written } => write!(
                f,
                "record {sequence} ({place}) says it is record {written}: it was moved or renumbered"
            ),
            Problem::Removed { first, last } if first == last => {
                write!(f, "record {first} was removed")
            }
            Problem::Removed { first, last } => write!(f, "records {first} to {last} were removed"),
            Problem::CutBack { hash } => write!(
                f,
                "no record has the hash {hash}: the ledger was cut back to before it (records at its end were removed)"
            ),
            Problem::Stray { place } => write!(
                f,
                "`{place}` is in the ledger's folder but is not a record (records are named 000001.json, 000002.json, ...)"
            ),
        }
    }
}

/// Every problem with the chain of `entries` (in number order), and with `strays`; `head`, the
/// hash of the last record as noted when it was written, must be in the chain.
pub fn verify(entries: &[Entry], strays: &[String], head: Option<&str>) -> Vec<Problem> {
    let mut problems: Vec<Problem> = strays
        .iter()
        .map(|p| Problem::Stray { place: p.clone() })
        .collect();
    let mut expected = 1;
    // The hash stored with the previous record, and where it was, when it could be read.
    let mut previous: Option<(u64, String, String)> = None;
    for e in entries {
        if e.sequence > expected {
            problems.push(Problem::Removed {
                first: expected,
                last: e.sequence - 1,
            });
            previous = None;
        }
        expected = e.sequence + 1;
        let parsed = serde_json::from_str::<serde_json::Value>(&e.text).and_then(|v| {
            let sealed = serde_json::from_value::<Sealed>(v.clone())?;
            Ok((hash_of_value(&v["record"]), sealed))
        });
        let (content_hash, sealed) = match parsed {
            Ok(s) => s,
            Err(reason) => {
                problems.push(Problem::Unreadable {
                    sequence: e.sequence,
                    place: e.place.clone(),
                    reason: reason.to_string(),
                });
                previous = None;
                continue;
            }
        };
        let r = &sealed.record;
        if r.sequence != e.sequence {
            problems.push(Problem::Renumbered {
                sequence: e.sequence,
                place: e.place.clone(),
                written: r.sequence,
            });
        }
        if content_hash != sealed.hash {
            problems.push(Problem::Edited {
                sequence: e.sequence,
                place: e.place.clone(),
            });
        }
        if let Some((n, place, hash)) = &previous {
            if r.previous.as_deref() != Some(hash.as_str()) {
                // The record before verified on its own: its hash was made anew for new content.
                let already = problems
                    .iter()
                    .any(|p| matches!(p, Problem::Edited { sequence, .. } if sequence == n));
                if !already {
                    problems.push(Problem::Rewritten {
                        sequence: *n,
                        place: place.clone(),
                    });
                }
            }
        } else if e.sequence == 1 && r.previous.is_some() {
            problems.push(Problem::Edited {
                sequence: 1,
                place: e.place.clone(),
            });
        }
        previous = Some((e.sequence, e.place.clone(), sealed.hash.clone()));
    }
    if let Some(h) = head {
        let known = entries.iter().any(|e| {
            serde_json::from_str::<Sealed>(&e.text).is_ok_and(|s| s.hash.eq_ignore_ascii_case(h))
        });
        if !known {
            problems.push(Problem::CutBack {
                hash: h.to_string(),
            });
        }
    }
    problems.dedup();
    problems
}

#[cfg(test)]
mod tests {
    use super::super::record::{Kind, Record};
    use super::*;

    fn record(sequence: u64, previous: Option<String>) -> Record {
        Record {
            sequence,
            previous,
            kind: Kind::Publish,
            scorecard: "a.scorecard".into(),
            audience: None,
            period: "2026-01".into(),
            published_at: "2026-02-03T10:00:00Z".into(),
            approved_by: "Ann".into(),
            reason: None,
            restates: None,
            git: None,
            project: None,
            manifest: serde_json::json!({}),
            definition: "scorecard a { currency: USD }".into(),
            figures: Vec::new(),
            scores: Vec::new(),
            escalations: Vec::new(),
            rows: Default::default(),
        }
    }

    fn entry(sequence: u64, text: String) -> Entry {
        Entry {
            sequence,
            place: format!("{sequence:06}.json"),
            text,
        }
    }

    /// A record written before a field was added to `Record` (here `project`, absent from its
    /// file) verifies as written: the hash is over the file's record, not over what this version
    /// of the program would write.
    #[test]
    fn a_record_from_before_a_new_field_still_verifies() {
        let mut old = serde_json::to_value(record(1, None)).unwrap();
        old.as_object_mut().unwrap().remove("project");
        let hash = super::super::record::hash_of_value(&old);
        let text = serde_json::json!({ "hash": hash, "record": old }).to_string();
        let second = Sealed::seal(record(2, Some(hash)));
        let entries = [entry(1, text), entry(2, second.text())];
        assert_eq!(verify(&entries, &[], Some(&second.hash)), Vec::new());
    }
}
