//! Owns one output being written: a temporary file that `tempfile` creates exclusively (`O_EXCL`,
//! so a planted file or link at its name fails the creation instead of receiving the data) under a
//! random name in the target's folder, and the process-wide list of such files that a signal
//! handler removes before the process exits.

use super::target::writable;
use super::OutputError;
use std::fs::{File, Metadata};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use tempfile::NamedTempFile;

/// The temporary files staged and not yet renamed or removed.
static STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn staged() -> MutexGuard<'static, Vec<PathBuf>> {
    STAGED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every staged temporary file, for a process about to exit on a signal. The list stays
/// locked afterwards, so no output can be renamed into place between this call and the exit:
/// call it only on the way out.
pub fn remove_staged_files() {
    let mut files = staged();
    for path in files.drain(..) {
        let _ = std::fs::remove_file(path);
    }
    std::mem::forget(files);
}

/// Whether a temporary file is staged in `folder`, for tests.
#[cfg(test)]
pub(super) fn any_in(folder: &Path) -> bool {
    staged().iter().any(|p| p.starts_with(folder))
}

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
    /// A target that exists and is not a regular file (`/dev/stdout`, `/dev/null`, a named pipe)
    /// cannot be replaced: the bytes are kept and written to it when the batch commits.
    Direct { bytes: Vec<u8>, target: PathBuf },
}

impl Staged {
    /// Starts the output for `path`: links followed, refused when it is a folder or its folder
    /// does not exist.
    pub fn create(path: &Path) -> Result<Staged, OutputError> {
        let target = writable(path)?;
        let existing = std::fs::metadata(&target).ok();
        let how = match &existing {
            Some(m) if !m.is_file() => How::Direct {
                bytes: Vec::new(),
                target,
            },
            _ => {
                let file = temporary(path, &target, existing.as_ref())?;
                How::Temporary { file, target }
            }
        };
        Ok(Staged {
            how: Some(how),
            shown: path.to_path_buf(),
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

    /// Renames the file into place (or writes a device); the path written, as given.
    pub(super) fn persist(mut self) -> Result<PathBuf, OutputError> {
        let shown = std::mem::take(&mut self.shown);
        match self.how.take() {
            None => {}
            Some(How::Temporary { file, target }) => {
                let mut list = staged();
                let temporary = file.path().to_path_buf();
                // A failed rename hands the file back, and dropping it removes it.
                let renamed = file.persist(&target).map(drop).map_err(|e| e.error);
                list.retain(|p| *p != temporary);
                renamed.map_err(|e| OutputError::write(&shown, e))?;
            }
            Some(How::Direct { bytes, target }) => {
                let opened = std::fs::OpenOptions::new().write(true).open(&target);
                opened
                    .and_then(|mut f| f.write_all(&bytes))
                    .map_err(|e| OutputError::write(&shown, e))?;
            }
        }
        Ok(shown)
    }
}

/// Creates the temporary file for `target` in its folder, registered for removal on a signal, with
/// the permissions a new file gets (`0666` less the umask) or those of the file it will replace.
fn temporary(
    shown: &Path,
    target: &Path,
    existing: Option<&Metadata>,
) -> Result<NamedTempFile, OutputError> {
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    if let (None, Some(p)) = (existing, new_file_permissions()) {
        builder.permissions(p);
    }
    // Registered under the lock, so a signal's clean-up sees the file as soon as it exists.
    let mut list = staged();
    let file = builder
        .tempfile_in(folder)
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
            Some(How::Direct { bytes, .. }) => bytes.write(buf),
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
            staged().retain(|p| *p != path);
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

/// Gives the new file the owner, group and mode of the one it replaces. Only root may give a file
/// away, so others keep the group where they belong to it; where the group cannot be kept, the
/// group's access is dropped rather than handed to the process's own group.
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
