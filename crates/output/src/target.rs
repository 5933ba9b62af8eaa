//! Owns where an output lands and what it must not be: a path's links followed to the file they
//! name, and the check, made before a command reads anything, that no output is a file the command
//! reads or another of its outputs.

use super::OutputError;
use std::path::{Path, PathBuf};

/// How many links a path may pass through, as the kernel allows (`ELOOP`).
const MAX_LINKS: usize = 40;

/// The process's standard output or error, named as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// Which of the process's own streams `path` names, if any: `/dev/stdout`, `/dev/fd/1`,
/// `/proc/self/fd/1` and the like, or a link to one. Such a path is not a file to replace: it is
/// what the shell gave the process, perhaps a file it opened for appending. `-` is standard output.
pub fn stream(path: &Path) -> Option<Stream> {
    if path == Path::new("-") {
        return Some(Stream::Out);
    }
    let mut current = std::path::absolute(path).ok()?;
    let own = format!("/proc/{}/fd/", std::process::id());
    for _ in 0..MAX_LINKS {
        let text = current.to_str()?;
        let fd = ["/dev/fd/", "/proc/self/fd/", own.as_str()]
            .iter()
            .find_map(|folder| text.strip_prefix(folder));
        match (text, fd) {
            ("/dev/stdout", _) | (_, Some("1")) => return Some(Stream::Out),
            ("/dev/stderr", _) | (_, Some("2")) => return Some(Stream::Err),
            _ => {}
        }
        let link = std::fs::read_link(&current).ok()?;
        current = match current.parent() {
            Some(folder) => folder.join(link),
            None => link,
        };
    }
    None
}

/// The file that writing `path` replaces: the path made absolute, and a link at its end followed
/// (and a link it names, and so on) to the file it names, which need not exist yet. A path through
/// another process's files (`/proc`, `/dev/fd`) is refused: what it names is an open file, not a
/// place to put one.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = std::path::absolute(path)?;
    for _ in 0..MAX_LINKS {
        if current.starts_with("/proc") || current.starts_with("/dev/fd") {
            return Err(std::io::Error::other(
                "it is a file a process holds open: of these, only /dev/stdout and /dev/stderr can be written",
            ));
        }
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_symlink() {
            return Ok(current);
        }
        let link = std::fs::read_link(&current)?;
        current = match current.parent() {
            Some(folder) => folder.join(link),
            None => link,
        };
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} links lead from it (a loop of links?)"
    )))
}

/// An output a command was asked to write, with the option that asked for it (`-o`, `--credits`).
#[derive(Debug, Clone, Copy)]
pub struct Output<'a> {
    pub path: &'a Path,
    pub option: &'a str,
}

/// A file a command reads, with what it is to the command (`the scorecard`, `the data of dataset
/// \`orders\``).
#[derive(Debug, Clone)]
pub struct Read {
    pub path: PathBuf,
    pub what: String,
    /// A folder whose every file the command (or a later one) reads as records: no output may
    /// be anywhere inside it (the ledger, the notification state).
    pub folder: bool,
}

impl Read {
    pub fn new(path: impl Into<PathBuf>, what: impl Into<String>) -> Read {
        Read {
            path: path.into(),
            what: what.into(),
            folder: false,
        }
    }

    /// A folder no output may be written in.
    pub fn folder(path: impl Into<PathBuf>, what: impl Into<String>) -> Read {
        Read {
            folder: true,
            ..Read::new(path, what)
        }
    }

    /// Whether writing the output `id` would replace this file, or land in this folder.
    fn holds(&self, id: &Identity) -> bool {
        if !self.folder {
            return Identity::of(&self.path).same(id);
        }
        let folder = resolve(&self.path).unwrap_or_else(|_| self.path.clone());
        let folder = folder.canonicalize().unwrap_or(folder);
        id.path.starts_with(folder)
    }
}

/// Refuses outputs that are files the command reads, or that name one file twice, and outputs
/// that cannot be written at all (a folder, or in a folder that does not exist), so that a command
/// fails before its work rather than after. Links are followed and folders made canonical first,
/// and a file reached under two names (a hard link) is the same file. An output that exists and is
/// not a regular file (`/dev/null`) replaces nothing and is not compared.
pub fn check(outputs: &[Output], reads: &[Read]) -> Result<(), OutputError> {
    let mut seen: Vec<(Identity, &Output)> = Vec::new();
    for out in outputs {
        if stream(out.path).is_none() {
            writable(out.path)?;
        }
        let id = Identity::of(out.path);
        if id.special {
            continue;
        }
        if let Some(read) = reads.iter().find(|r| r.holds(&id)) {
            return Err(OutputError::IsInput {
                path: out.path.display().to_string(),
                option: out.option.to_string(),
                what: read.what.clone(),
            });
        }
        if let Some((_, first)) = seen.iter().find(|(other, _)| other.same(&id)) {
            return Err(OutputError::Twice {
                path: out.path.display().to_string(),
                first: first.option.to_string(),
                second: out.option.to_string(),
            });
        }
        seen.push((id, out));
    }
    Ok(())
}

/// Refuses a path that is a folder, or whose folder does not exist (links followed).
pub(super) fn writable(path: &Path) -> Result<PathBuf, OutputError> {
    let target = resolve(path).map_err(|e| OutputError::write(path, e))?;
    let unwritable = |reason: String, help: &str| OutputError::Unwritable {
        path: path.display().to_string(),
        reason,
        help: help.to_string(),
    };
    if target.is_dir() {
        return Err(unwritable(
            "it is a folder".into(),
            "name a file to write, such as `out.json`",
        ));
    }
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(unwritable(
            format!("the folder `{}` does not exist", folder.display()),
            "create the folder first, or write the output somewhere else",
        ));
    }
    Ok(target)
}

/// What a path names, for comparing: its canonical place, and the file there when it exists.
struct Identity {
    path: PathBuf,
    /// Device and inode.
    file: Option<(u64, u64)>,
    /// It exists and is not a regular file or folder (a device, a pipe).
    special: bool,
}

impl Identity {
    fn of(path: &Path) -> Identity {
        if let Some(s) = stream(path) {
            return Identity::of_stream(s);
        }
        let resolved = resolve(path).unwrap_or_else(|_| path.to_path_buf());
        let canonical = match (resolved.parent(), resolved.file_name()) {
            (Some(folder), Some(name)) => folder
                .canonicalize()
                .map(|f| f.join(name))
                .unwrap_or_else(|_| resolved.clone()),
            _ => resolved.clone(),
        };
        let meta = std::fs::metadata(&resolved).ok();
        Identity {
            path: canonical,
            file: meta.as_ref().and_then(inode),
            special: meta.is_some_and(|m| !m.is_file() && !m.is_dir()),
        }
    }

    /// What the process's stream is connected to: a file the shell opened (`> out.csv`,
    /// `>> data.csv`) is that file; a terminal or a pipe replaces nothing.
    fn of_stream(s: Stream) -> Identity {
        let fd = match s {
            Stream::Out => 1,
            Stream::Err => 2,
        };
        let meta = std::fs::metadata(format!("/proc/self/fd/{fd}")).ok();
        Identity {
            path: PathBuf::from(format!("/proc/self/fd/{fd}")),
            file: meta.as_ref().and_then(inode),
            special: !meta.is_some_and(|m| m.is_file()),
        }
    }

    fn same(&self, other: &Identity) -> bool {
        self.path == other.path || (self.file.is_some() && self.file == other.file)
    }
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_of_links_resolves_to_the_file_at_its_end_even_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::os::unix::fs::symlink("b", d.join("a")).unwrap();
        std::os::unix::fs::symlink("sub/../c", d.join("b")).unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        assert_eq!(resolve(&d.join("a")).unwrap(), d.join("sub/../c"));
        std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
        assert!(resolve(&d.join("loop")).is_err());
    }

    #[test]
    fn an_output_through_a_link_or_a_hard_link_is_the_file_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("orders.csv"), "x").unwrap();
        std::os::unix::fs::symlink("orders.csv", d.join("link.csv")).unwrap();
        std::fs::hard_link(d.join("orders.csv"), d.join("hard.csv")).unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        let reads = [Read::new(
            d.join("orders.csv"),
            "the data of dataset `orders`",
        )];
        for p in ["link.csv", "hard.csv", "sub/../orders.csv", "orders.csv"] {
            let path = d.join(p);
            let out = [Output {
                path: &path,
                option: "-o",
            }];
            let err = check(&out, &reads).expect_err(p);
            assert_eq!(err.code().as_str(), "scorecard::io::output_clash", "{p}");
        }
        let other = d.join("out.csv");
        let out = [Output {
            path: &other,
            option: "-o",
        }];
        assert!(check(&out, &reads).is_ok());
        let twice = [
            Output {
                path: &other,
                option: "-o",
            },
            Output {
                path: &d.join("sub/../out.csv"),
                option: "--credits",
            },
        ];
        let err = check(&twice, &reads).unwrap_err().to_string();
        assert!(err.contains("(-o and --credits)"), "{err}");
        let null = [
            Output {
                path: Path::new("/dev/null"),
                option: "-o",
            },
            Output {
                path: Path::new("/dev/null"),
                option: "--credits",
            },
        ];
        assert!(check(&null, &reads).is_ok());
    }
}
