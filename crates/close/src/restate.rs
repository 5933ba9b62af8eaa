//! Owns `scorecard restatements`: every published period evaluated again, each figure (value,
//! target, status, score of a KPI in a segment) that differs from the latest record of its period,
//! and the cause: which data files changed since (with the rows, for a dataset with `key`
//! columns: the keys added, removed and changed), which definitions changed (the analysis of
//! `scorecard diff`, between the scorecard text the record keeps and today's), or both.
//!
//! A cause is found by evaluating the published definition on today's data too, as `diff --data`
//! does: a figure that moved between the record and the published definition on today's data
//! moved by data; one that moved between that and today's definition moved by definition.

use crate::ledger::record::{self, Figure, Fingerprints};
use crate::ledger::{Records, Sealed};
use crate::CloseError;
use rust_decimal::Decimal;
use scorecard_engine::Session;
use scorecard_model::{Expr, Model};
use scorecard_rules::diff::Change;
use scorecard_rules::Evaluation;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Every published period of one scorecard, compared with what it gives now.
#[derive(Debug, Serialize)]
pub struct Restatements {
    pub manifest: scorecard_rules::manifest::Manifest,
    /// Where the ledger is.
    pub ledger: String,
    pub scorecard: String,
    /// In the order the periods were first published.
    pub periods: Vec<Period>,
}

/// One published period.
#[derive(Debug, Serialize)]
pub struct Period {
    pub period: String,
    /// The record compared with: the latest publication or restatement of the period.
    pub record: u64,
    pub published_at: String,
    pub approved_by: String,
    /// Each figure that differs, in KPI order then segment.
    pub figures: Vec<Restated>,
    /// Each overall, perspective or objective score that differs.
    pub scores: Vec<ScoreRestated>,
    /// The datasets whose data differs from what the record was computed from.
    pub data: Vec<DataChange>,
    /// The declarations that differ between the record's scorecard text and today's.
    pub definitions: Vec<Change>,
    /// The engine's version then and now, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<(String, String)>,
    /// Whether the project file (its bindings, the days data is complete for) differs.
    pub project_file_changed: bool,
    /// The options that decide the numbers (`as_of`, `data`), then and now, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<(serde_json::Value, serde_json::Value)>,
}

/// One figure as published and as it is now.
#[derive(Debug, Serialize)]
pub struct Restated {
    pub kpi: String,
    /// The KPI's unit today (or when published, for a KPI since removed), for showing numbers.
    pub unit: Option<scorecard_model::Unit>,
    pub segment: BTreeMap<String, Option<String>>,
    /// `null` for a KPI that did not exist then.
    pub published: Option<Shown>,
    /// `null` for a KPI (or segment) that no longer has a result.
    pub now: Option<Shown>,
    /// `data`, `definition`, `data and definition`; else what else differs: `project file`,
    /// `options` (`--as-of`, `--data`), `engine`; else `unexplained`.
    pub cause: &'static str,
    /// The changed datasets this figure reads.
    pub datasets: Vec<String>,
    /// The changed declarations it depends on, as `kind name`.
    pub declarations: Vec<String>,
}

/// A roll-up score as published and as it is now (`null` for no score, or none then or now).
#[derive(Debug, Serialize)]
pub struct ScoreRestated {
    /// `overall`, `perspective` or `objective`.
    pub of: String,
    pub name: Option<String>,
    pub published: Option<String>,
    pub now: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub value: Option<String>,
    pub target: Option<String>,
    pub status: String,
    pub score: Option<String>,
}

/// A dataset's data then and now.
#[derive(Debug, Serialize)]
pub struct DataChange {
    pub dataset: String,
    pub path: String,
    /// `null` when the dataset was not read then.
    pub published_sha256: Option<String>,
    /// `null` when it is not read now.
    pub sha256: Option<String>,
    /// By key, for a dataset with `key` columns read here both times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowChanges>,
}

/// The rows of a keyed dataset that differ, by key; at most `LISTED` of each kind are listed.
#[derive(Debug, Serialize)]
pub struct RowChanges {
    pub key: Vec<String>,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub added_keys: Vec<String>,
    pub removed_keys: Vec<String>,
    pub changed_keys: Vec<String>,
}

/// The input format of a dataset aggregated in PostgreSQL (`pushdown`), whose sha256 is of the
/// aggregates it returned, not of its rows.
const PUSHED_DOWN: &str = "postgres-aggregates";

/// How many keys of each kind a restatement lists.
const LISTED: usize = 100;

/// The current state of a scorecard, to compare the ledger with.
pub struct Now<'a> {
    pub model: &'a Model,
    /// The project file read today, with its sha256.
    pub project: Option<crate::ledger::record::ProjectFile>,
    /// Today's scorecard text.
    pub text: &'a str,
    /// The options today's evaluation ran with: a published definition is evaluated with them.
    pub options: &'a scorecard_engine::Options,
    pub session: &'a Session,
    pub evaluation: &'a Evaluation,
}

/// Compares each published period of `scorecard` in `read` with `now`.
pub fn restatements(
    read: &Records,
    scorecard: &str,
    ledger: String,
    now: Now,
) -> Result<Restatements, CloseError> {
    let mut current_prints: BTreeMap<String, Option<Fingerprints>> = BTreeMap::new();
    let mut published: BTreeMap<String, Then> = BTreeMap::new();
    let mut periods = Vec::new();
    for sealed in read.latest(scorecard) {
        let text = &sealed.record.definition;
        if !published.contains_key(text) {
            published.insert(text.clone(), then(text, &now)?);
        }
        let then = &published[text];
        periods.push(period(sealed, &now, then, &mut current_prints)?);
    }
    Ok(Restatements {
        manifest: now.evaluation.manifest.clone(),
        ledger,
        scorecard: scorecard.to_string(),
        periods,
    })
}

/// A published definition, compiled and evaluated on today's data.
struct Then {
    model: Option<Model>,
    /// `None` when the text is today's (today's evaluation serves), or when it cannot be
    /// evaluated on today's data (then a figure's cause is told from what changed).
    evaluation: Option<Evaluation>,
}

fn then(text: &str, now: &Now) -> Result<Then, CloseError> {
    let model = scorecard_check::compile(text).model;
    let evaluation = match (&model, text == now.text) {
        (Some(m), false) => scorecard_rules::run::evaluate(m, now.options).ok(),
        _ => None,
    };
    Ok(Then { model, evaluation })
}

fn period(
    sealed: &Sealed,
    now: &Now,
    then_: &Then,
    prints: &mut BTreeMap<String, Option<Fingerprints>>,
) -> Result<Period, CloseError> {
    let r = &sealed.record;
    let data = data_changes(r, now, prints)?;
    let old = then_.model.as_ref();
    let definitions = match old {
        Some(old) => scorecard_rules::diff::models(old, now.model),
        None => vec![Change {
            kind: "scorecard",
            name: r.scorecard.clone(),
            change: "changed",
            renamed_from: None,
            properties: vec![scorecard_rules::diff::Property {
                property: "text".into(),
                old: Some("(the published text no longer checks)".into()),
                new: None,
            }],
        }],
    };
    let then_version = r
        .manifest
        .pointer("/engine/version")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let engine = (then_version != now.evaluation.manifest.engine.version).then(|| {
        (
            then_version,
            now.evaluation.manifest.engine.version.to_string(),
        )
    });
    let project_file_changed =
        r.project.as_ref().map(|p| &p.sha256) != now.project.as_ref().map(|p| &p.sha256);
    let decisive = |v: &serde_json::Value| serde_json::json!({ "as_of": v.get("as_of"), "data": v.get("data") });
    let now_options = serde_json::to_value(&now.evaluation.manifest.options).unwrap_or_default();
    let then_options = r.manifest.get("options").cloned().unwrap_or_default();
    let options = (decisive(&then_options) != decisive(&now_options))
        .then(|| (decisive(&then_options), decisive(&now_options)));
    let now_figures = figures_in(now.evaluation, &r.period)?;
    // The published definition on today's data.
    let moved_figures = match &then_.evaluation {
        Some(e) => Some(figures_in(e, &r.period)?),
        None => None,
    };
    let changed_data: BTreeSet<&str> = data.iter().map(|d| d.dataset.as_str()).collect();
    // Datasets aggregated in PostgreSQL: their sha256 is of the aggregates asked for, so a change
    // of it says nothing of their rows; a figure they move by data names them.
    let unhashable: BTreeSet<&str> = now
        .evaluation
        .manifest
        .inputs
        .iter()
        .filter(|i| i.format == PUSHED_DOWN)
        .map(|i| i.dataset.as_str())
        .collect();
    let mut figures = Vec::new();
    // A KPI renamed since (`renamed_from`) is compared with its former self, as `diff` pairs them.
    let renamed: BTreeMap<&str, &str> = now
        .model
        .kpis
        .iter()
        .flat_map(|k| {
            k.renamed_from
                .iter()
                .map(move |from| (from.as_str(), k.name.as_str()))
        })
        .filter(|(from, to)| old.is_none_or(|m| m.kpi(to).is_none() && m.kpi(from).is_some()))
        .collect();
    let keyed = |f: &Figure| (f.kpi.clone(), f.segment.clone());
    let keyed_then = |f: &Figure| {
        let name = renamed
            .get(f.kpi.as_str())
            .map_or(f.kpi.clone(), |n| n.to_string());
        (name, f.segment.clone())
    };
    let then: BTreeMap<_, &Figure> = r.figures.iter().map(|f| (keyed_then(f), f)).collect();
    let current: BTreeMap<_, &Figure> = now_figures.iter().map(|f| (keyed(f), f)).collect();
    let moved: Option<BTreeMap<_, &Figure>> = moved_figures
        .as_ref()
        .map(|m| m.iter().map(|f| (keyed_then(f), f)).collect());
    let texts_differ = !definitions.is_empty() || old.is_none();
    // In today's KPI order, then KPIs only the record has.
    let mut order: Vec<(String, BTreeMap<String, Option<String>>)> =
        now_figures.iter().map(keyed).collect();
    order.extend(
        r.figures
            .iter()
            .map(keyed_then)
            .filter(|k| !current.contains_key(k)),
    );
    for k in order {
        let (a, b) = (then.get(&k).copied(), current.get(&k).copied());
        if let (Some(a), Some(b)) = (a, b) {
            if same(a, b) {
                continue;
            }
        }
        let (mut datasets, mut declarations) = causes(&k.0, now, old, &changed_data, &definitions);
        // Which of the two moved it: the published definition on today's data tells.
        let (by_data, by_definition) = match (&moved, texts_differ) {
            (Some(m), _) => {
                let m = m.get(&k).copied();
                (!same_opt(a, m), !same_opt(m, b))
            }
            (None, false) => (true, false),
            (None, true) => (!datasets.is_empty(), !declarations.is_empty()),
        };
        if !by_data {
            datasets.clear();
        } else if datasets.is_empty() {
            // Moved by data, yet no file it reads is known to differ: what it reads in
            // PostgreSQL, or else every dataset that changed.
            let (_, reads) = reached(&k.0, now, old);
            datasets = unhashable
                .iter()
                .filter(|d| reads.contains(**d))
                .map(|d| d.to_string())
                .collect();
            if datasets.is_empty() {
                datasets = changed_data.iter().map(|d| d.to_string()).collect();
            }
        }
        if !by_definition {
            declarations.clear();
        }
        let cause = match (by_data, by_definition) {
            (true, true) => "data and definition",
            (true, false) if !datasets.is_empty() => "data",
            (false, true) => "definition",
            _ if project_file_changed => "project file",
            _ if options.is_some() => "options",
            _ if engine.is_some() => "engine",
            _ => "unexplained",
        };
        let unit = [Some(now.model), old]
            .into_iter()
            .flatten()
            .find_map(|m| m.kpi(&k.0))
            .map(|kpi| kpi.unit);
        figures.push(Restated {
            unit,
            kpi: k.0,
            segment: k.1,
            published: a.map(shown),
            now: b.map(shown),
            cause,
            datasets,
            declarations,
        });
    }
    let scores = restated_scores(&r.scores, &record::scores(now.evaluation, &r.period));
    Ok(Period {
        scores,
        period: r.period.clone(),
        record: r.sequence,
        published_at: r.published_at.clone(),
        approved_by: r.approved_by.clone(),
        figures,
        data,
        definitions,
        engine,
        project_file_changed,
        options,
    })
}

fn figures_in(evaluation: &Evaluation, period: &str) -> Result<Vec<Figure>, CloseError> {
    if !evaluation.periods.iter().any(|p| p == period) {
        return Ok(Vec::new());
    }
    record::figures(evaluation, period).map_err(|message| CloseError::Run {
        code: scorecard_diagnostic::Code::WriteOutput,
        message,
    })
}

/// Two results are the same when both are absent or both are there and `same`.
fn same_opt(a: Option<&Figure>, b: Option<&Figure>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The roll-up scores that differ, in the record's order then today's.
fn restated_scores(then: &[record::Score], now: &[record::Score]) -> Vec<ScoreRestated> {
    let number = |x: Option<&String>| x.and_then(|t| t.parse::<Decimal>().ok());
    let key = |s: &record::Score| (s.of.clone(), s.name.clone());
    let mut keys: Vec<(String, Option<String>)> = then.iter().map(key).collect();
    keys.extend(
        now.iter()
            .map(key)
            .filter(|k| !then.iter().any(|t| key(t) == *k)),
    );
    keys.into_iter()
        .filter_map(|k| {
            let find = |list: &[record::Score]| {
                list.iter()
                    .find(|s| key(s) == k)
                    .and_then(|s| s.score.clone())
            };
            let (a, b) = (find(then), find(now));
            let differs = number(a.as_ref()) != number(b.as_ref());
            differs.then_some(ScoreRestated {
                of: k.0,
                name: k.1,
                published: a,
                now: b,
            })
        })
        .collect()
}

fn shown(f: &Figure) -> Shown {
    Shown {
        value: f.value.clone(),
        target: f.target.clone(),
        status: f.status.clone(),
        score: f.score.clone(),
    }
}

/// Two figures are the same when their numbers are equal (however written) and their statuses are.
fn same(a: &Figure, b: &Figure) -> bool {
    let number = |x: &Option<String>| x.as_deref().and_then(|t| t.parse::<Decimal>().ok());
    number(&a.value) == number(&b.value)
        && number(&a.target) == number(&b.target)
        && number(&a.score) == number(&b.score)
        && a.status == b.status
}

/// The datasets whose files (by sha256) differ between the record's manifest and today's.
fn data_changes(
    r: &record::Record,
    now: &Now,
    prints: &mut BTreeMap<String, Option<Fingerprints>>,
) -> Result<Vec<DataChange>, CloseError> {
    let then: BTreeMap<String, (String, String)> = r
        .manifest
        .get("inputs")
        .and_then(|i| i.as_array())
        .into_iter()
        .flatten()
        .filter(|i| i.get("format").and_then(|f| f.as_str()) != Some(PUSHED_DOWN))
        .filter_map(|i| {
            let field = |f: &str| i.get(f).and_then(|v| v.as_str()).map(str::to_string);
            Some((field("dataset")?, (field("path")?, field("sha256")?)))
        })
        .collect();
    let current: BTreeMap<String, (String, String)> = now
        .evaluation
        .manifest
        .inputs
        .iter()
        .filter(|i| i.format != PUSHED_DOWN)
        .map(|i| (i.dataset.clone(), (i.path.clone(), i.sha256.clone())))
        .collect();
    let names: BTreeSet<&String> = then.keys().chain(current.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        let (a, b) = (then.get(name), current.get(name));
        if a.map(|x| &x.1) == b.map(|x| &x.1) {
            continue;
        }
        let rows = match r.rows.get(name) {
            Some(old) if b.is_some() => {
                let fresh = match prints.get(name) {
                    Some(p) => p.clone(),
                    None => {
                        let p = current_prints(now, name)?;
                        prints.insert(name.clone(), p.clone());
                        p
                    }
                };
                fresh.map(|new| row_changes(old, &new))
            }
            _ => None,
        };
        out.push(DataChange {
            dataset: name.clone(),
            path: b.or(a).map(|x| x.0.clone()).unwrap_or_default(),
            published_sha256: a.map(|x| x.1.clone()),
            sha256: b.map(|x| x.1.clone()),
            rows,
        });
    }
    Ok(out)
}

fn current_prints(now: &Now, dataset: &str) -> Result<Option<Fingerprints>, CloseError> {
    match now.model.datasets.iter().find(|d| d.name == dataset) {
        Some(d) => crate::ledger::fingerprints_of(now.model, now.session, d),
        None => Ok(None),
    }
}

fn row_changes(old: &Fingerprints, new: &Fingerprints) -> RowChanges {
    let mut c = RowChanges {
        key: new.key.clone(),
        added: 0,
        removed: 0,
        changed: 0,
        added_keys: Vec::new(),
        removed_keys: Vec::new(),
        changed_keys: Vec::new(),
    };
    let push = |list: &mut Vec<String>, n: &mut usize, k: &String| {
        *n += 1;
        if list.len() < LISTED {
            list.push(k.clone());
        }
    };
    for (k, print) in &new.rows {
        match old.rows.get(k) {
            None => push(&mut c.added_keys, &mut c.added, k),
            Some(p) if p != print => push(&mut c.changed_keys, &mut c.changed, k),
            Some(_) => {}
        }
    }
    for k in old.rows.keys().filter(|k| !new.rows.contains_key(*k)) {
        push(&mut c.removed_keys, &mut c.removed, k);
    }
    c
}

/// Why the figures of KPI `kpi` may differ: the changed datasets it reads, and the changed
/// declarations it depends on (itself and the KPIs it reads, then or now; the datasets and rule
/// tables it reads; and what every KPI depends on: the header, exchange rates, functions).
fn causes(
    kpi: &str,
    now: &Now,
    old: Option<&Model>,
    changed_data: &BTreeSet<&str>,
    definitions: &[Change],
) -> (Vec<String>, Vec<String>) {
    let (kpis, datasets) = reached(kpi, now, old);
    let data: Vec<String> = changed_data
        .iter()
        .filter(|d| datasets.contains(**d))
        .map(|d| d.to_string())
        .collect();
    let declarations = definitions
        .iter()
        .filter(|c| match c.kind {
            "kpi" => {
                kpis.contains(&c.name) || c.renamed_from.as_ref().is_some_and(|r| kpis.contains(r))
            }
            "dataset" | "attribution" | "allocation" | "view" => datasets.contains(&c.name),
            "scorecard" | "exchange_rates" | "function" => true,
            _ => false,
        })
        .map(|c| format!("{} {}", c.kind, c.name))
        .collect();
    (data, declarations)
}

/// The KPIs `kpi` reads (itself included, then or now) and the datasets and rule tables they
/// read, with the sources behind those tables.
fn reached(kpi: &str, now: &Now, old: Option<&Model>) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut kpis = BTreeSet::new();
    let mut datasets = BTreeSet::new();
    for m in [Some(now.model), old].into_iter().flatten() {
        reach(m, kpi, &mut kpis, &mut datasets);
    }
    let sources: BTreeSet<String> = datasets
        .iter()
        .flat_map(|d| scorecard_engine::coverage::sources_of(now.model, d))
        .collect();
    datasets.extend(sources);
    (kpis, datasets)
}

/// The KPIs `kpi` reads (itself included) and the datasets their aggregates read, in `model`.
fn reach(model: &Model, kpi: &str, kpis: &mut BTreeSet<String>, datasets: &mut BTreeSet<String>) {
    let mut todo = vec![kpi.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(k) = model.kpi(&name) else {
            continue;
        };
        kpis.insert(name);
        let mut stack: Vec<&Expr> = k.values().chain(k.judging()).collect();
        while let Some(e) = stack.pop() {
            match e {
                Expr::Aggregate { index } => {
                    if let Some(a) = model.aggregates.get(*index) {
                        datasets.insert(a.dataset.clone());
                        // Money converted reads the exchange rates' dataset too.
                        let rates = a
                            .convert
                            .as_ref()
                            .and_then(|c| model.rates.iter().find(|r| r.name == c.rates));
                        datasets.extend(rates.map(|r| r.dataset.clone()));
                    }
                }
                Expr::Kpi { name } => todo.push(name.clone()),
                _ => stack.extend(e.children()),
            }
        }
    }
}
