//! Owns `scorecard.toml`: finding the project a scorecard belongs to, and the folders its datasets
//! may be read from. A dataset source outside them is refused, so a scorecard under review cannot
//! read (and quote in its errors) any file on the machine that runs it.

use crate::diagnostic::Code;
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    project: Option<ProjectTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectTable {
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    allow_paths: Vec<String>,
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
            root: folder,
            file: None,
            allow_paths: Vec::new(),
        })
    }

    /// Reads the project file at `path`.
    pub fn read(path: &Path) -> Result<Project, ProjectError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProjectError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let parsed: ProjectFile = toml::from_str(&text).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            let (line, column) = line_column(&text, at);
            ProjectError::Invalid {
                path: shown.clone(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let root = absolute(path.parent().unwrap_or(Path::new("")));
        let allow_paths = parsed
            .project
            .map(|p| p.allow_paths)
            .unwrap_or_default()
            .iter()
            .map(|a| root.join(a))
            .collect();
        Ok(Project {
            root,
            file: Some(path.to_path_buf()),
            allow_paths,
        })
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
    fn line_and_column_count_characters() {
        assert_eq!(line_column("a = 1\nbé = x", 10), (2, 4));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
