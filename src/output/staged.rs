//! Owns one output being written: a temporary file that `tempfile` creates exclusively (`O_EXCL`,
//! so a planted file or link at its name fails the creation instead of receiving the data) under a
//! random name in the target's folder, listed in `crate::temporary` until it is renamed into place;
//! and how a rename is undone when a later output of the same command cannot be written.

use super::target::{stream, writable, Stream};
use super::OutputError;
use crate::temporary;
use std::fs::{File, Metadata};
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Whether a temporary file is staged in `folder`, for tests.
#[cfg(test)]
pub(super) fn any_in(folder: &Path) -> bool {
    temporary::list().iter().any(|p| p.starts_with(folder))
}

/// The longest file name most file systems allow, in bytes.
const NAME_MAX: usize = 255;

/// The random characters in a hidden file's name.
const RANDOM: usize = 6;

/// A file staged for one output.
pub struct Staged {
    /// Always `Some` until the file is renamed into place or dropped.
    how: Option<How>,
    /// The path as the command was given it, for messages.
    shown: PathBuf,
}

enum How {
    /// A temporary file beside `target` (the path given, links followed), renamed over it.
    Temporary {
        file: NamedTempFile,
        target: PathBuf,
    },
    /// A target that exists and is not a regular file (`/dev/null`, a named pipe) cannot be
    /// replaced: the bytes are kept and written to it when the batch commits.
    Direct { bytes: Vec<u8>, target: PathBuf },
    /// The process's own standard output or error (`/dev/stdout`, `/dev/fd/2`): written to the
    /// stream this process holds, which may be a file the shell opened for appending.
    Stream { bytes: Vec<u8>, stream: Stream },
}

/// How to take back a rename, should a later output of the same command fail.
pub(super) enum Undo {
    /// Put the earlier file back: a second name for it, made before the rename.
    Restore {
        earlier: NamedTempFile<()>,
        target: PathBuf,
    },
    /// There was no file: remove the new one.
    Remove { target: PathBuf },
    /// Nothing can be taken back (a device was written, or the file system refused a second name).
    Nothing,
}

impl Undo {
    /// Takes the rename back.
    pub(super) fn undo(self) {
        match self {
            Undo::Restore { earlier, target } => drop(earlier.persist(target)),
            Undo::Remove { target } => drop(std::fs::remove_file(target)),
            Undo::Nothing => {}
        }
    }
}

impl Staged {
    /// Starts the output for `path`: links followed, refused when it is a folder or its folder
    /// does not exist.
    pub fn create(path: &Path) -> Result<Staged, OutputError> {
        let shown = path.to_path_buf();
        if let Some(stream) = stream(path) {
            let how = How::Stream {
                bytes: Vec::new(),
                stream,
            };
            return Ok(Staged {
                how: Some(how),
                shown,
            });
        }
        let target = writable(path)?;
        let existing = std::fs::metadata(&target).ok();
        let how = match &existing {
            Some(m) if !m.is_file() => How::Direct {
                bytes: Vec::new(),
                target,
            },
            _ => {
                let file = temporary_for(path, &target, existing.as_ref())?;
                How::Temporary { file, target }
            }
        };
        Ok(Staged {
            how: Some(how),
            shown,
        })
    }

    /// Puts the staged bytes on disk.
    pub(super) fn sync(&self) -> Result<(), OutputError> {
        match &self.how {
            Some(How::Temporary { file, .. }) => file
                .as_file()
                .sync_all()
                .map_err(|e| OutputError::write(&self.shown, e)),
            _ => Ok(()),
        }
    }

    /// Whether this output is renamed into place (and so can be taken back).
    pub(super) fn renamed(&self) -> bool {
        matches!(self.how, Some(How::Temporary { .. }))
    }

    /// Renames the file into place (or writes a device or stream); the path written, as given, and
    /// how to take it back. `list` is `temporary::list()`, held by the caller for the whole commit.
    pub(super) fn persist(
        mut self,
        list: &mut Vec<PathBuf>,
    ) -> Result<(PathBuf, Undo), OutputError> {
        let shown = std::mem::take(&mut self.shown);
        let failed = |e| OutputError::write(&shown, e);
        let undo = match self.how.take() {
            None => Undo::Nothing,
            Some(How::Temporary { file, target }) => {
                let temporary = file.path().to_path_buf();
                let undo = undo_for(&target);
                // A failed rename hands the file back, and dropping it removes it.
                let renamed = file.persist(&target).map(drop).map_err(|e| e.error);
                temporary::forget(list, &temporary);
                renamed.map_err(failed)?;
                undo
            }
            Some(How::Direct { bytes, target }) => {
                let opened = std::fs::OpenOptions::new().write(true).open(&target);
                opened
                    .and_then(|mut f| f.write_all(&bytes))
                    .map_err(failed)?;
                Undo::Nothing
            }
            Some(How::Stream { bytes, stream }) => {
                let written = match stream {
                    Stream::Out => std::io::stdout().lock().write_all(&bytes),
                    Stream::Err => std::io::stderr().lock().write_all(&bytes),
                };
                written.map_err(failed)?;
                Undo::Nothing
            }
        };
        Ok((shown, undo))
    }
}

/// How to take back replacing `target`: a second name for the file there now (a hard link, made
/// under a random name beside it), or removing the new file when there is none.
fn undo_for(target: &Path) -> Undo {
    if std::fs::symlink_metadata(target).is_err() {
        return Undo::Remove {
            target: target.to_path_buf(),
        };
    }
    let folder = folder_of(target);
    let (prefix, suffix) = hidden_name(target, ".bak");
    let linked = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(suffix)
        .rand_bytes(RANDOM)
        .make_in(folder, |p| std::fs::hard_link(target, p));
    match linked {
        Ok(earlier) => Undo::Restore {
            earlier,
            target: target.to_path_buf(),
        },
        Err(_) => Undo::Nothing,
    }
}

fn folder_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The prefix and suffix of a hidden file beside `target` (`.NAME.RANDOM.tmp`), the name cut so
/// that the whole stays within `NAME_MAX` bytes.
fn hidden_name(target: &Path, suffix: &'static str) -> (String, &'static str) {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    // The dot before, the dot and six random characters after, and the suffix.
    let room = NAME_MAX - 2 - RANDOM - suffix.len();
    let mut cut = name.len().min(room);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    (format!(".{}.", &name[..cut]), suffix)
}

/// Creates the temporary file for `target` in its folder, listed for removal on a signal, with
/// the permissions a new file gets (`0666` less the umask) or those of the file it will replace.
fn temporary_for(
    shown: &Path,
    target: &Path,
    existing: Option<&Metadata>,
) -> Result<NamedTempFile, OutputError> {
    let (prefix, suffix) = hidden_name(target, ".tmp");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(suffix).rand_bytes(RANDOM);
    if let (None, Some(p)) = (existing, new_file_permissions()) {
        builder.permissions(p);
    }
    // Listed under the lock, so a signal's clean-up sees the file as soon as it exists.
    let mut list = temporary::list();
    let file = builder
        .tempfile_in(folder_of(target))
        .map_err(|e| OutputError::write(shown, e))?;
    list.push(file.path().to_path_buf());
    drop(list);
    if let Some(was) = existing {
        keep_owner_and_mode(file.as_file(), was).map_err(|e| OutputError::write(shown, e))?;
    }
    Ok(file)
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.how {
            Some(How::Temporary { file, .. }) => file.write(buf),
            Some(How::Direct { bytes, .. } | How::Stream { bytes, .. }) => bytes.write(buf),
            None => Err(std::io::Error::other("the output was already written")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.how {
            Some(How::Temporary { file, .. }) => file.flush(),
            _ => Ok(()),
        }
    }
}

impl Drop for Staged {
    /// An output dropped before it was committed: its file removed, then taken off the list a
    /// signal handler cleans.
    fn drop(&mut self) {
        if let Some(How::Temporary { file, .. }) = self.how.take() {
            let path = file.path().to_path_buf();
            drop(file);
            temporary::forget(&mut temporary::list(), &path);
        }
    }
}

/// The mode a new output gets: `tempfile` would make it private to the owner.
#[cfg(unix)]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    // Passed to open(2), so the umask applies, as it does to any new file.
    Some(std::fs::Permissions::from_mode(0o666))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}

/// Gives the new file the owner, group and permission bits (read, write, execute; not set-user-ID,
/// set-group-ID or sticky) of the one it replaces. Only root may give a file away, so others keep
/// the group where they belong to it; where the group cannot be kept, the group's access is
/// dropped rather than handed to the process's own group.
#[cfg(unix)]
fn keep_owner_and_mode(file: &File, was: &Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::{fchown, MetadataExt, PermissionsExt};
    let mut mode = was.mode() & 0o777;
    let mine = file.metadata()?;
    if mine.uid() != was.uid() {
        let _ = fchown(file, Some(was.uid()), None);
    }
    if mine.gid() != was.gid() && fchown(file, None, Some(was.gid())).is_err() {
        mode &= !0o070;
    }
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn keep_owner_and_mode(file: &File, was: &Metadata) -> std::io::Result<()> {
    file.set_permissions(was.permissions())
}
