//! Owns the manifest every JSON output carries: what produced it (engine and version), from what
//! (scorecard files and data files with their sha256), with which options, and when.

use scorecard_engine::Input;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Enough to reproduce a run: the same files (by sha256) and options give the same document, with
/// `evaluated_at` the only field that may differ (and `null` under `--deterministic`).
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub engine: Engine,
    /// The scorecard files the model was compiled from (set by the caller, which read them).
    pub scorecards: Vec<SourceFile>,
    /// Every data file read.
    pub inputs: Vec<Input>,
    pub options: RunOptions,
    /// Whose view the document is, when it is an audience's (`--audience`); left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<AudienceShown>,
    /// The scenario the parameters were taken from (`--scenario`), when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Every parameter the scorecard declares, with the value assumed and where it came from;
    /// left out when it declares none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParameterShown>,
    /// When the evaluation ran, in UTC (`2026-11-23T09:41:07Z`); `null` when asked to be
    /// deterministic.
    pub evaluated_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Engine {
    pub name: &'static str,
    pub version: &'static str,
}

impl Engine {
    pub fn this() -> Self {
        Engine {
            name: "scorecard",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// One scorecard file as read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    /// As given on the command line.
    pub path: String,
    pub sha256: String,
}

impl SourceFile {
    pub fn new(path: &str, text: &str) -> Self {
        SourceFile {
            path: path.to_string(),
            sha256: sha256(text.as_bytes()),
        }
    }
}

/// The options that decide the numbers. Worker threads are left out on purpose: they change how
/// fast a run is, never what it computes, and the document is the same whatever their number.
#[derive(Debug, Clone, Serialize)]
pub struct RunOptions {
    /// The directory relative dataset sources were resolved against (`null` when no data was
    /// read, as in `diff` without `--data`).
    pub data: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub as_of: Option<String>,
    /// The Ballista scheduler the aggregate passes ran on; left out when they ran on this
    /// machine. It never changes a number: the same plans run either way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

impl RunOptions {
    pub fn of(options: &scorecard_engine::Options) -> Self {
        RunOptions {
            data: Some(options.data_dir.display().to_string()),
            from: options.from.clone(),
            to: options.to.clone(),
            as_of: options.as_of.map(|d| d.to_string()),
            cluster: options.cluster.as_ref().map(|c| c.scheduler.clone()),
        }
    }
}

impl Manifest {
    pub fn new(inputs: Vec<Input>, options: RunOptions) -> Self {
        Manifest {
            engine: Engine::this(),
            scorecards: Vec::new(),
            inputs,
            options,
            audience: None,
            scenario: None,
            parameters: Vec::new(),
            evaluated_at: None,
        }
    }

    /// Records the values `model` was checked under.
    pub fn assuming(mut self, model: &scorecard_model::Model) -> Self {
        self.scenario = model.assumed.scenario.clone();
        self.parameters = ParameterShown::of(model);
        self
    }
}

/// One parameter's value in a run: `{"name": "discount_rate", "value": "9%", "from": "set"}`.
#[derive(Debug, Clone, Serialize)]
pub struct ParameterShown {
    pub name: String,
    /// As the parameter's unit writes it (`9%`, `1200`), exact.
    pub value: String,
    /// `base`, `scenario` or `set`.
    pub from: scorecard_model::parameter::Source,
}

impl ParameterShown {
    pub fn of(model: &scorecard_model::Model) -> Vec<ParameterShown> {
        use scorecard_model::parameter::Source;
        model
            .parameters
            .iter()
            .map(|p| {
                let (value, from) = model
                    .assumed
                    .values
                    .get(&p.name)
                    .copied()
                    .unwrap_or((p.base, Source::Base));
                ParameterShown {
                    name: p.name.clone(),
                    value: p.unit.show(value),
                    from,
                }
            })
            .collect()
    }
}

/// The audience a document was made for: its name and label as the scorecard declares them, the
/// member of it `--audience` named when it named a person or group (`scorecard.toml`), and the
/// sha256 of its declaration as written in the canonical model, so that a reader can tell two
/// documents for the same name under different rules apart.
#[derive(Debug, Clone, Serialize)]
pub struct AudienceShown {
    pub name: String,
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub rules: String,
}

/// The current time in UTC, to the second, as the manifest writes it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The sha256 of `bytes` in lowercase hexadecimal.
pub fn sha256(bytes: &[u8]) -> String {
    scorecard_engine::hex(&Sha256::digest(bytes))
}
