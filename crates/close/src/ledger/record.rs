//! Owns one ledger record: what a period's publication holds (every figure, score and
//! escalation, the run's manifest, the scorecard's text and git commit, who approved it, and a
//! fingerprint of each keyed dataset's rows), and its hash, which covers all of it and the hash
//! of the record before.

use rust_decimal::Decimal;
use scorecard_rules::Evaluation;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A record as stored: its hash, and what the hash covers. Nothing else may be in the file: a
/// field beside them would be read by a person as part of the record, and no hash covers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub hash: String,
    pub record: Record,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// 1 for the first record of the ledger, then one more for each.
    pub sequence: u64,
    /// The hash of record `sequence - 1`; `null` for the first.
    pub previous: Option<String>,
    pub kind: Kind,
    /// The scorecard's path from the project's folder, with `/`.
    pub scorecard: String,
    /// The audience whose view of the scorecard was published (`publish --audience`); left out
    /// for the whole scorecard. Each audience's figures are a ledger of their own (docs/audiences.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub period: String,
    /// When it was recorded, in UTC.
    pub published_at: String,
    pub approved_by: String,
    /// Why a restatement was made; `null` for a first publication.
    pub reason: Option<String>,
    /// The record a restatement replaces.
    pub restates: Option<u64>,
    pub git: Option<Git>,
    /// The project file the run read (its bindings and the days its data is complete for decide
    /// numbers too), by its sha256; `null` without one. Its text is not kept: a binding may hold
    /// a connection string.
    #[serde(default)]
    pub project: Option<ProjectFile>,
    /// The evaluation's manifest: engine and version, scorecard and data files with sha256,
    /// options.
    pub manifest: serde_json::Value,
    /// The scorecard's text as evaluated, so that a later definition can be compared with it.
    pub definition: String,
    pub figures: Vec<Figure>,
    /// The period's overall, perspective and objective scores.
    pub scores: Vec<Score>,
    /// Escalations open in the period, or recovered in it, as `run` reports them.
    pub escalations: Vec<serde_json::Value>,
    /// For each dataset with `key` columns whose rows were read here: each row's fingerprint by
    /// its key, so that a restatement can name the rows that changed.
    pub rows: BTreeMap<String, Fingerprints>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Publish,
    Restatement,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Git {
    pub commit: String,
    /// Whether the scorecard file had no changes beyond that commit.
    pub clean: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub path: String,
    pub sha256: String,
}

/// One KPI in the period and one segment, as published.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Figure {
    pub kpi: String,
    pub segment: BTreeMap<String, Option<String>>,
    /// Exact decimals as text; `null` for no value.
    pub value: Option<String>,
    pub target: Option<String>,
    pub status: String,
    pub score: Option<String>,
    /// It reads data that covers a period only in part (its own, or one it compares with), as
    /// `run` marks it; only under `publish --allow-partial`.
    pub partial: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Score {
    /// `overall`, `perspective` or `objective`.
    pub of: String,
    pub name: Option<String>,
    pub score: Option<String>,
    /// Withheld from the audience the record is for (docs/audiences.md); left out otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Fingerprints {
    pub key: Vec<String>,
    /// Key (`record::key_text`) to the first 16 hex digits of the sha256 of the row's values.
    pub rows: BTreeMap<String, String>,
}

impl Sealed {
    /// Seals `record`: its hash is the sha256 of its canonical JSON.
    pub fn seal(record: Record) -> Sealed {
        Sealed {
            hash: hash_of(&record),
            record,
        }
    }

    /// The text stored: the hash and the record, in a stable order, readable by a person.
    pub fn text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The sha256 of a record's canonical JSON: every object's keys sorted, no spaces (so that anyone
/// can recompute it from the stored file with any JSON library).
pub fn hash_of(record: &Record) -> String {
    hash_of_value(&serde_json::to_value(record).unwrap_or_default())
}

/// The same of a record as read from its file: a record written before a field was added to
/// `Record` verifies as it was written.
pub fn hash_of_value(record: &serde_json::Value) -> String {
    let mut canonical = String::new();
    write_canonical(record, &mut canonical);
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn write_canonical(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A number as the ledger writes it.
fn decimal(d: Option<Decimal>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// Every KPI result of `period` in `evaluation`.
pub fn figures(evaluation: &Evaluation, period: &str) -> Result<Vec<Figure>, String> {
    let mut out = Vec::new();
    for k in &evaluation.kpis {
        k.results
            .each(
                |e| e.to_string(),
                |row| {
                    if row.period == period {
                        out.push(Figure {
                            kpi: k.name.clone(),
                            segment: (*row.segment).clone(),
                            value: decimal(row.value),
                            target: decimal(row.target),
                            status: row.status.name().to_string(),
                            score: decimal(row.score),
                            partial: row.partial,
                        });
                    }
                    Ok(())
                },
            )
            .map_err(|e: String| format!("cannot read the results kept on disk: {e}"))?;
    }
    Ok(out)
}

/// The overall, perspective and objective scores of `period`.
pub fn scores(evaluation: &Evaluation, period: &str) -> Vec<Score> {
    let mut out = Vec::new();
    let in_period = |results: &[scorecard_rules::rollup::PeriodScore]| {
        let found = results.iter().find(|r| r.period == period);
        (
            found.and_then(|r| r.score),
            found.is_some_and(|r| r.withheld),
        )
    };
    let (overall, withheld) = in_period(&evaluation.scores.overall);
    if overall.is_some() || withheld {
        out.push(Score {
            of: "overall".into(),
            name: None,
            score: decimal(overall),
            withheld,
        });
    }
    for (of, list) in [
        ("perspective", &evaluation.scores.perspectives),
        ("objective", &evaluation.scores.objectives),
    ] {
        for s in list {
            let (score, withheld) = in_period(&s.results);
            out.push(Score {
                of: of.into(),
                name: Some(s.name.clone()),
                score: decimal(score),
                withheld,
            });
        }
    }
    out
}

/// The escalations open in `period` or recovered in it, as `run` reports them.
pub fn escalations(evaluation: &Evaluation, period: &str) -> Vec<serde_json::Value> {
    evaluation
        .escalations
        .iter()
        .filter(|e| e.timeline.iter().any(|t| t.period == period))
        .filter_map(|e| {
            let mut v = serde_json::to_value(e).ok()?;
            // What it looked like in the period published, not later.
            if let Some(o) = v.as_object_mut() {
                o.remove("evidence");
                o.remove("checks");
            }
            Some(v)
        })
        .collect()
}

/// A row's fingerprint: the first 16 hex digits of the sha256 of its values, each ended by a
/// unit separator so that `ab|c` and `a|bc` differ.
pub fn fingerprint(row: &[String]) -> String {
    let mut h = Sha256::new();
    for v in row {
        h.update(v.as_bytes());
        h.update([0x1f]);
    }
    hex(&h.finalize()[..8])
}

/// A row's key as the ledger writes it: the value of a one-column key, or the values of a
/// longer one as a JSON list (`["2026-10","EMEA"]`), which no value can be mistaken for.
pub fn key_text(values: &[&str]) -> String {
    match values {
        [one] => one.to_string(),
        many => serde_json::to_string(many).unwrap_or_default(),
    }
}
