//! Owns `scorecard.toml`: finding the project a scorecard belongs to, its scorecards, where its
//! datasets are read from (bindings), how the engine runs, and the folders datasets may be read
//! from. A dataset source outside them is refused, so a scorecard under review cannot
//! read (and quote in its errors) any file on the machine that runs it.

pub mod close;
pub mod source;

use scorecard_diagnostic::{did_you_mean, Code};
use scorecard_model::{SheetRange, SourceFormat};
use serde::Deserialize;
use source::{FileSource, PostgresRows, PostgresSource, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use toml::Spanned;

/// The project file's name.
pub const FILE: &str = "scorecard.toml";

/// The project a scorecard belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The folder holding `scorecard.toml`, or the scorecard's own folder when there is none.
    pub root: PathBuf,
    /// The `scorecard.toml` read, if any.
    pub file: Option<PathBuf>,
    /// Folders outside the root that dataset sources may also be read from, resolved against
    /// the root.
    pub allow_paths: Vec<PathBuf>,
    /// The project's scorecards (`[project] scorecards`, patterns expanded and sorted); empty
    /// when the file names none.
    pub scorecards: Vec<PathBuf>,
    /// Datasets read from somewhere else than their scorecard's `source`.
    pub bindings: BTreeMap<String, Binding>,
    /// The days each dataset's data is complete for (`[datasets.NAME] extracted = 2026-11-01`,
    /// `complete_from = 2024-11-01`), over what the scorecard says.
    pub completeness: BTreeMap<String, Complete>,
    /// `[engine] memory_limit`, in bytes.
    pub memory_limit: Option<usize>,
    /// `[engine] kind = "ballista"`: the cluster the aggregate passes run on.
    pub cluster: Option<Cluster>,
    /// Where published figures are recorded (`[ledger]`; the folder `ledger` by default).
    pub ledger: close::Store,
    /// `[notify]`: how escalations reach people; `None` when the file has no such table.
    pub notify: Option<close::Notify>,
    /// `[audiences.NAME] members = [...]`: the people and groups each audience a scorecard
    /// declares is for (docs/audiences.md), with where each is written.
    pub audiences: BTreeMap<String, Members>,
}

/// The people or groups of one audience, as `scorecard.toml` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Members {
    pub members: Vec<String>,
    pub line: usize,
    pub column: usize,
}

/// A Ballista cluster (docs/distributed.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The scheduler, as `df://host:port`.
    pub scheduler: String,
    /// The folder rows read from CSV, JSON lines, Excel and PostgreSQL are staged in as Parquet
    /// for the executors to scan: a path every executor sees as this machine does (a shared
    /// file system). `None` is the system's temporary folder, which serves a cluster on this
    /// machine only.
    pub staging: Option<PathBuf>,
}

/// A dataset bound in `scorecard.toml`, with where the binding is written, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub source: Source,
    pub line: usize,
    pub column: usize,
}

/// The days a dataset is complete for, set in `scorecard.toml`, with where they are written, for
/// messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complete {
    pub days: scorecard_model::Completeness,
    pub line: usize,
    pub column: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    project: Option<ProjectTable>,
    #[serde(default)]
    datasets: BTreeMap<String, Spanned<BindingTable>>,
    engine: Option<EngineTable>,
    ledger: Option<close::StoreTable>,
    notify: Option<Spanned<close::NotifyTable>>,
    #[serde(default)]
    audiences: BTreeMap<String, Spanned<AudienceTable>>,
}

/// `[audiences.NAME]`: who the audience a scorecard declares is for.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AudienceTable {
    members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectTable {
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    allow_paths: Vec<String>,
    #[serde(default)]
    scorecards: Vec<Spanned<String>>,
}

/// `[datasets.NAME]`: a file, or a PostgreSQL table or query; and the day its extract was taken.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingTable {
    extracted: Option<Spanned<toml::Value>>,
    complete_from: Option<Spanned<toml::Value>>,
    path: Option<Spanned<String>>,
    sheet: Option<String>,
    range: Option<Spanned<String>>,
    postgres: Option<Spanned<PostgresTable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostgresTable {
    url: Option<String>,
    url_env: Option<Spanned<String>>,
    table: Option<String>,
    query: Option<String>,
    #[serde(default)]
    pushdown: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineTable {
    kind: Option<Spanned<String>>,
    memory_limit: Option<Spanned<String>>,
    scheduler: Option<Spanned<String>>,
    staging: Option<Spanned<String>>,
}

/// Why the project file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("cannot read `{path}`: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl ProjectError {
    pub fn code(&self) -> Code {
        match self {
            ProjectError::Unreadable { .. } => Code::Unreadable,
            ProjectError::Invalid { .. } => Code::Project,
        }
    }
}

impl Project {
    /// The project of the scorecard at `scorecard`: the nearest `scorecard.toml` in its folder or
    /// any folder above, or else the scorecard's folder on its own.
    pub fn of(scorecard: &Path) -> Result<Project, ProjectError> {
        let folder = absolute(scorecard.parent().unwrap_or(Path::new("")));
        for dir in folder.ancestors() {
            let candidate = dir.join(FILE);
            if candidate.is_file() {
                return Project::read(&candidate);
            }
        }
        Ok(Project {
            ledger: close::Store::Folder(folder.join("ledger")),
            root: folder,
            file: None,
            allow_paths: Vec::new(),
            scorecards: Vec::new(),
            bindings: BTreeMap::new(),
            completeness: BTreeMap::new(),
            memory_limit: None,
            cluster: None,
            notify: None,
            audiences: BTreeMap::new(),
        })
    }

    /// Reads the project file at `path`.
    pub fn read(path: &Path) -> Result<Project, ProjectError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProjectError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let invalid = |at: usize, message: String| {
            let (line, column) = line_column(&text, at);
            ProjectError::Invalid {
                path: shown.clone(),
                line,
                column,
                message,
            }
        };
        let parsed: ProjectFile = toml::from_str(&text).map_err(|e| {
            invalid(
                e.span().map(|s| s.start).unwrap_or(0),
                e.message().trim().to_string(),
            )
        })?;
        let root = absolute(path.parent().unwrap_or(Path::new("")));
        let table = parsed.project.unwrap_or(ProjectTable {
            name: None,
            allow_paths: Vec::new(),
            scorecards: Vec::new(),
        });
        let allow_paths = table.allow_paths.iter().map(|a| root.join(a)).collect();
        let mut scorecards = Vec::new();
        for pattern in &table.scorecards {
            let full = root.join(pattern.get_ref());
            let matched = full
                .to_str()
                .and_then(|p| glob::glob(p).ok())
                .ok_or_else(|| {
                    invalid(
                        pattern.span().start,
                        format!("`{}` is not a file pattern", pattern.get_ref()),
                    )
                })?;
            let before = scorecards.len();
            scorecards.extend(matched.filter_map(Result::ok).filter(|p| p.is_file()));
            if scorecards.len() == before {
                return Err(invalid(
                    pattern.span().start,
                    format!(
                        "`{}` matches no file (patterns resolve against the folder of scorecard.toml)",
                        pattern.get_ref()
                    ),
                ));
            }
        }
        // Shown as the person running wrote them: relative to the working folder, where they are in it.
        if let Ok(here) = std::env::current_dir() {
            for path in &mut scorecards {
                if let Ok(relative) = path.strip_prefix(&here) {
                    *path = relative.to_path_buf();
                }
            }
        }
        scorecards.sort();
        scorecards.dedup();
        let mut bindings = BTreeMap::new();
        let mut completeness = BTreeMap::new();
        for (name, binding) in parsed.datasets {
            let at = binding.span().start;
            let (line, column) = line_column(&text, at);
            let mut table = binding.into_inner();
            let (extracted, from) = (table.extracted.take(), table.complete_from.take());
            if extracted.is_some() || from.is_some() {
                let days = scorecard_model::Completeness {
                    extracted: extracted
                        .map(|d| day_of(d, "extracted", &invalid))
                        .transpose()?,
                    complete_from: from
                        .map(|d| day_of(d, "complete_from", &invalid))
                        .transpose()?,
                };
                if let (Some(f), Some(x)) = (days.complete_from, days.extracted) {
                    if f >= x {
                        return Err(invalid(
                            at,
                            format!("`[datasets.{name}]` is complete from {f} but extracted on {x}: the data ends the day before the extract, so `complete_from` must come before it"),
                        ));
                    }
                }
                completeness.insert(name.clone(), Complete { days, line, column });
                // A table that only says what the data covers keeps the scorecard's source.
                let source = [table.path.is_some(), table.postgres.is_some()];
                let sheet = [table.sheet.is_some(), table.range.is_some()];
                if !source.contains(&true) && !sheet.contains(&true) {
                    continue;
                }
            }
            let source = bind(&root, &name, table, at, &invalid)?;
            bindings.insert(
                name,
                Binding {
                    source,
                    line,
                    column,
                },
            );
        }
        let mut memory_limit = None;
        let mut cluster = None;
        if let Some(e) = parsed.engine {
            if let Some(limit) = &e.memory_limit {
                memory_limit = Some(parse_size(limit.get_ref()).ok_or_else(|| {
                    invalid(
                        limit.span().start,
                        format!(
                            "`{}` is not a size: write a number with a unit, such as \"512MiB\" or \"4GiB\"",
                            limit.get_ref()
                        ),
                    )
                })?);
            }
            cluster = engine_cluster(&root, e, &invalid)?;
        }
        let ledger = close::ledger(&root, parsed.ledger, &invalid)?;
        let notify = match parsed.notify {
            Some(n) => {
                let at = n.span().start;
                let notify = close::notify(&root, n.into_inner(), at, &invalid)?;
                if notify.state.overlaps(&ledger) {
                    return Err(invalid(
                        at,
                        "`[notify]` keeps its state where `[ledger]` keeps the ledger, or one inside the other: give each its own place, neither inside the other".into(),
                    ));
                }
                Some(notify)
            }
            None => None,
        };
        let mut audiences = BTreeMap::new();
        for (name, table) in parsed.audiences {
            let at = table.span().start;
            let (line, column) = line_column(&text, at);
            let members = table.into_inner().members;
            let blank = members
                .iter()
                .find(|m| m.trim().is_empty() || m.trim() != m.as_str());
            if members.is_empty() || blank.is_some() {
                return Err(invalid(
                    at,
                    format!("`[audiences.{name}]` lists {}: write each person or group as it is known, such as \"anna@acme.com\" or \"group:emea-managers\"", if members.is_empty() { "no member".to_string() } else { "a member that is blank or has spaces around it".to_string() }),
                ));
            }
            audiences.insert(
                name,
                Members {
                    members,
                    line,
                    column,
                },
            );
        }
        Ok(Project {
            audiences,
            root,
            file: Some(path.to_path_buf()),
            allow_paths,
            scorecards,
            bindings,
            completeness,
            memory_limit,
            cluster,
            ledger,
            notify,
        })
    }

    /// The bindings as the engine takes them.
    pub fn sources(&self) -> BTreeMap<String, Source> {
        self.bindings
            .iter()
            .map(|(name, b)| (name.clone(), b.source.clone()))
            .collect()
    }

    /// The bindings that name a dataset no scorecard of the project reads from a source: neither
    /// this one (`model`, at `file`) nor any other the project names. Such a binding was meant for
    /// a dataset that would otherwise quietly read its sample; a rule's table is computed, so only
    /// a dataset read from a source can be bound. Every command that runs a scorecard of a
    /// project, and `check`, refuses them.
    pub fn binding_errors(&self, file: &Path, model: &scorecard_model::Model) -> Vec<ProjectError> {
        if self.bindings.is_empty() && self.completeness.is_empty() && self.audiences.is_empty() {
            return Vec::new();
        }
        let read = |m: &scorecard_model::Model| -> Vec<String> {
            let files = m.datasets.iter().filter(|d| d.is_file());
            files.map(|d| d.name.clone()).collect()
        };
        let audiences = |m: &scorecard_model::Model| -> Vec<String> {
            m.audiences.iter().map(|a| a.name.clone()).collect()
        };
        let mut declared: BTreeSet<String> = read(model).into_iter().collect();
        let mut for_whom: BTreeSet<String> = audiences(model).into_iter().collect();
        for other in self.scorecards.iter().filter(|p| !same_file(p, file)) {
            if let Ok(text) = std::fs::read_to_string(other) {
                if let Some(m) = scorecard_check::compile(&text).model {
                    declared.extend(read(&m));
                    for_whom.extend(audiences(&m));
                }
            }
        }
        let mut errors = self.unknown_bindings(&declared);
        errors.extend(self.unknown_audiences(&for_whom));
        errors
    }

    /// An error for each `[audiences.NAME]` that names an audience no scorecard of the project
    /// declares: its members would be shown nothing, or a misspelt audience's view.
    fn unknown_audiences(&self, declared: &BTreeSet<String>) -> Vec<ProjectError> {
        let written = self.audiences.iter().map(|(n, m)| (n, m.line, m.column));
        let mut errors = self.undeclared(written.collect(), declared, |name, hint| {
            format!("`[audiences.{name}]` lists the members of an audience that no scorecard of the project declares{hint}")
        });
        // `--audience NAME` names an audience or a member: one name cannot be both.
        for (name, m) in &self.audiences {
            if let Some(member) = m.members.iter().find(|x| declared.contains(*x)) {
                errors.push(ProjectError::Invalid {
                    path: self.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default(),
                    line: m.line,
                    column: m.column,
                    message: format!("`[audiences.{name}]` lists `{member}`, the name of an audience: `--audience {member}` could not tell the two apart; write the person or group as it is known, such as \"group:{member}\""),
                });
            }
        }
        errors
    }

    /// An error for each binding that names a dataset none of `declared` is: such a binding
    /// would leave the dataset reading its sample while production data was meant.
    fn unknown_bindings(&self, declared: &BTreeSet<String>) -> Vec<ProjectError> {
        let bound = self
            .bindings
            .iter()
            .map(|(name, b)| (name, b.line, b.column));
        let dated = self
            .completeness
            .iter()
            .map(|(name, c)| (name, c.line, c.column));
        let mut written: Vec<(&String, usize, usize)> = bound.chain(dated).collect();
        written.sort();
        written.dedup_by(|a, b| a.0 == b.0);
        self.undeclared(written, declared, |name, hint| {
            format!("`[datasets.{name}]` binds a dataset that no scorecard of the project reads from a source{hint}")
        })
    }

    /// An error, at its place in the project file, for each name written there (with its line
    /// and column) that is not one of `declared`, with "did you mean" when one is close.
    fn undeclared(
        &self,
        written: Vec<(&String, usize, usize)>,
        declared: &BTreeSet<String>,
        message: impl Fn(&str, &str) -> String,
    ) -> Vec<ProjectError> {
        let shown = self
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_default();
        written
            .into_iter()
            .filter(|(name, _, _)| !declared.contains(*name))
            .map(|(name, line, column)| {
                let hint = did_you_mean(name, declared.iter().map(String::as_str))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                ProjectError::Invalid {
                    path: shown.clone(),
                    line,
                    column,
                    message: message(name, &hint),
                }
            })
            .collect()
    }

    /// The folders dataset sources may be read from: the project's root, the `--data` folder the
    /// person running chose, and the folders `scorecard.toml` allows.
    pub fn sandbox(&self, data: Option<&Path>) -> Vec<PathBuf> {
        let mut folders = vec![self.root.clone()];
        folders.extend(data.map(absolute));
        folders.extend(self.allow_paths.iter().cloned());
        folders
    }
}

/// `extracted = 2026-11-01` (a TOML date, or the same in quotes) as a day.
fn day_of(
    value: Spanned<toml::Value>,
    key: &str,
    invalid: &dyn Fn(usize, String) -> ProjectError,
) -> Result<chrono::NaiveDate, ProjectError> {
    let at = value.span().start;
    let text = match value.into_inner() {
        toml::Value::String(s) => s,
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(x) => x.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        _ => "a list or table".to_string(),
    };
    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .filter(|d| scorecard_model::calendar::supported(*d))
        .ok_or_else(|| {
            invalid(
                at,
                format!("`{key} = {text}` is not a day: write it as `{key} = 2026-11-01`"),
            )
        })
}

/// A `[datasets.NAME]` table as a source: exactly one of `path` and `postgres`.
fn bind(
    root: &Path,
    name: &str,
    table: BindingTable,
    at: usize,
    invalid: &dyn Fn(usize, String) -> ProjectError,
) -> Result<Source, ProjectError> {
    match (table.path, table.postgres) {
        (Some(path), None) => {
            let written = path.get_ref().clone();
            let Some(format) = SourceFormat::of_path(&written) else {
                return Err(invalid(
                    path.span().start,
                    format!("cannot tell the format of `{written}`: {}", SourceFormat::KNOWN),
                ));
            };
            let spreadsheet = table.sheet.is_some() || table.range.is_some();
            if spreadsheet && format != SourceFormat::Excel {
                return Err(invalid(
                    path.span().start,
                    format!("`sheet` and `range` are for an .xlsx workbook, and `{written}` is not one"),
                ));
            }
            if let Some(range) = &table.range {
                if SheetRange::parse(range.get_ref()).is_none() {
                    return Err(invalid(
                        range.span().start,
                        format!(
                            "`{}` is not a range of cells: write one such as \"A1:H500\", or \"B3\" to read from B3 to the end",
                            range.get_ref()
                        ),
                    ));
                }
            }
            let full = root.join(&written);
            Ok(Source::File(FileSource {
                shown: full.display().to_string(),
                path: full,
                written,
                format,
                sheet: table.sheet,
                range: table.range.map(Spanned::into_inner),
            }))
        }
        (None, Some(pg)) => {
            let pg_at = pg.span().start;
            let pg = pg.into_inner();
            let url = match (pg.url, pg.url_env) {
                (Some(url), None) => url,
                (None, Some(var)) => std::env::var(var.get_ref()).map_err(|_| {
                    invalid(
                        var.span().start,
                        format!(
                            "the environment variable `{}` is not set: set it to the connection string of the database for `{name}`",
                            var.get_ref()
                        ),
                    )
                })?,
                _ => {
                    return Err(invalid(
                        pg_at,
                        "write the connection as `url = \"postgresql://…\"` or name the environment variable holding it with `url_env = \"…\"`, one of the two".into(),
                    ))
                }
            };
            let rows = match (pg.table, pg.query) {
                (Some(t), None) => PostgresRows::Table(t),
                (None, Some(q)) => PostgresRows::Query(q),
                _ => {
                    return Err(invalid(
                        pg_at,
                        "name the rows with `table = \"orders\"` or `query = \"select …\"`, one of the two".into(),
                    ))
                }
            };
            if table.sheet.is_some() || table.range.is_some() {
                return Err(invalid(
                    at,
                    "`sheet` and `range` are for an .xlsx workbook, not a PostgreSQL table".into(),
                ));
            }
            Ok(Source::Postgres(PostgresSource {
                url,
                rows,
                pushdown: pg.pushdown,
            }))
        }
        _ => Err(invalid(
            at,
            format!("`[datasets.{name}]` needs `path = \"…\"` or `postgres = {{ url = \"…\", table = \"…\" }}`, one of the two"),
        )),
    }
}

/// A size such as `512MiB`, `4GiB`, `1.5GB` or `1000000` (bytes); none for zero or nonsense.
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let unit: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        _ => return None,
    };
    let number: rust_decimal::Decimal = number.parse().ok()?;
    let bytes: u64 = number
        .checked_mul(rust_decimal::Decimal::from(unit))?
        .floor()
        .try_into()
        .ok()?;
    usize::try_from(bytes).ok().filter(|b| *b > 0)
}

/// `path` made absolute against the working folder (not resolved through links); the empty path
/// (the folder of a bare file name) is the working folder.
fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The 1-based line and column (in characters) of byte `at` of `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

/// Whether `path` lies inside one of `folders`, once links are resolved: a link in the project
/// that points outside it is outside.
pub fn inside(path: &Path, folders: &[PathBuf]) -> bool {
    let real = resolve(path);
    folders.iter().any(|f| real.starts_with(resolve(f)))
}

/// Where `path` really is: its longest part that exists with every link resolved, then the rest
/// (which does not exist yet) with `.` and `..` taken as written.
fn resolve(path: &Path) -> PathBuf {
    let whole = absolute(path);
    let mut existing = whole.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(mut real) = existing.canonicalize() {
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        real.pop();
                    }
                    Component::CurDir => {}
                    other => real.push(other),
                }
            }
            return real;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return whole,
        }
    }
}

/// `[engine]`'s kind, and for `kind = "ballista"` the scheduler (required) and the staging folder.
fn engine_cluster(
    root: &Path,
    e: EngineTable,
    invalid: &dyn Fn(usize, String) -> ProjectError,
) -> Result<Option<Cluster>, ProjectError> {
    let at = e.kind.as_ref().map(|k| k.span().start).unwrap_or(0);
    let kind = e.kind.as_ref().map(|k| k.get_ref().as_str());
    match (kind, e.scheduler) {
        (None | Some("embedded"), None) => {
            if let Some(staging) = e.staging {
                return Err(invalid(
                    staging.span().start,
                    "`staging` is for a cluster's executors: set `kind = \"ballista\"` and a `scheduler`, or leave it out".into(),
                ));
            }
            Ok(None)
        }
        (Some("ballista"), Some(scheduler)) => {
            let url = scheduler.get_ref();
            let well_formed = url
                .strip_prefix("df://")
                .and_then(|rest| rest.rsplit_once(':'))
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !well_formed {
                return Err(invalid(
                    scheduler.span().start,
                    format!("`{url}` is not a scheduler address: write it as \"df://host:50050\""),
                ));
            }
            Ok(Some(Cluster {
                scheduler: url.clone(),
                staging: e.staging.map(|s| root.join(s.get_ref())),
            }))
        }
        (Some("ballista"), None) => Err(invalid(
            at,
            "a ballista engine needs its scheduler: add `scheduler = \"df://host:50050\"`".into(),
        )),
        (None | Some("embedded"), Some(scheduler)) => Err(invalid(
            scheduler.span().start,
            "`scheduler` is for a cluster: set `kind = \"ballista\"` beside it, or leave it out".into(),
        )),
        (Some(other), _) => Err(invalid(
            at,
            format!("unknown engine `{other}`: write kind = \"embedded\" (the default) or kind = \"ballista\""),
        )),
    }
}

/// Whether two paths name the same file (as given, when either cannot be resolved).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_does_not_exist_is_placed_by_its_dots() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("project");
        std::fs::create_dir(&project).unwrap();
        let folders = [project.clone()];
        assert!(inside(&project.join("data/missing.csv"), &folders));
        assert!(inside(&project.join("a/../missing.csv"), &folders));
        assert!(!inside(&project.join("../missing.csv"), &folders));
        assert!(!inside(&project.join("a/../../missing.csv"), &folders));
        assert!(!inside(Path::new("/etc/missing.csv"), &folders));
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("1.5 GB"), Some(1_500_000_000));
        assert_eq!(parse_size("64kib"), Some(65_536));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5 parsecs"), None);
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("a = 1\nbé = x", 10), (2, 4));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
