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

/// Where an output that is not staged goes (see `Staged::through`).
pub enum Through {
    Device(PathBuf),
    Stream(Stream),
}

impl Through {
    /// Opens it for writing.
    pub fn open(&self) -> std::io::Result<Box<dyn Write>> {
        Ok(match self {
            Through::Device(target) => {
                Box::new(std::fs::OpenOptions::new().write(true).open(target)?)
            }
            Through::Stream(Stream::Out) => Box::new(std::io::stdout().lock()),
            Through::Stream(Stream::Err) => Box::new(std::io::stderr().lock()),
        })
    }

    /// Whether a write that failed with `e` had what it wanted: one of the process's streams whose
    /// reader has gone (`| head`).
    pub fn reader_gone(&self, e: &std::io::Error) -> bool {
        matches!(self, Through::Stream(_)) && e.kind() == std::io::ErrorKind::BrokenPipe
    }
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

    /// For a device or one of the process's streams, which are written through rather than
    /// renamed into place, a writer straight to it: for an output too large to keep until its batch
    /// commits, written once the others are in place. `None` for a file, which is staged.
    pub fn through(&self) -> Option<Through> {
        match &self.how {
            Some(How::Direct { target, .. }) => Some(Through::Device(target.clone())),
            Some(How::Stream { stream, .. }) => Some(Through::Stream(*stream)),
            _ => None,
        }
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

    /// Where this output comes in a commit: files, then devices, then streams.
    pub(super) fn order(&self) -> u8 {
        match self.how {
            Some(How::Temporary { .. }) | None => 0,
            Some(How::Direct { .. }) => 1,
            Some(How::Stream { .. }) => 2,
        }
    }

    /// A way to take back renaming this output into place, made before anything is renamed: a
    /// second name for the file there now (a hard link beside it), or where the file system
    /// refuses one, a copy of it; or, with no file there, removing the new one.
    pub(super) fn way_back(&self) -> Result<Undo, OutputError> {
        let Some(How::Temporary { target, .. }) = &self.how else {
            return Ok(Undo::Nothing);
        };
        let Ok(was) = std::fs::metadata(target) else {
            return Ok(Undo::Remove {
                target: target.clone(),
            });
        };
        if !was.is_file() {
            // Something else took the file's place: renaming over it fails, replacing nothing.
            return Ok(Undo::Nothing);
        }
        let (prefix, suffix) = hidden_name(target, ".bak");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(suffix).rand_bytes(RANDOM);
        let folder = folder_of(target);
        let earlier = builder
            .make_in(folder, |p| std::fs::hard_link(target, p))
            .or_else(|_| builder.make_in(folder, |p| copy_new(target, p, &was)))
            .map_err(|e| OutputError::Unwritable {
                path: self.shown.display().to_string(),
                reason: format!(
                    "no copy of the file there could be kept to put it back should another output of the command fail ({e})"
                ),
                help: "write the outputs one command at a time, or check the folder's permissions"
                    .into(),
            })?;
        Ok(Undo::Restore {
            earlier,
            target: target.clone(),
        })
    }

    /// Renames the staged file into place; the path written, as given. `list` is
    /// `temporary::list()`, held by the caller for all the renames of a commit.
    pub(super) fn rename(mut self, list: &mut Vec<PathBuf>) -> Result<PathBuf, OutputError> {
        let shown = std::mem::take(&mut self.shown);
        let Some(How::Temporary { file, target }) = self.how.take() else {
            return Ok(shown);
        };
        let temporary = file.path().to_path_buf();
        // A failed rename hands the file back, and dropping it removes it.
        let renamed = file.persist(&target).map(drop).map_err(|e| e.error);
        temporary::forget(list, &temporary);
        renamed.map_err(|e| OutputError::write(&shown, e))?;
        Ok(shown)
    }

    /// Writes a device or one of the process's streams; the path written, as given. A stream whose
    /// reader has gone (`| head`) has had what it wanted.
    pub(super) fn write_through(mut self) -> Result<PathBuf, OutputError> {
        let shown = std::mem::take(&mut self.shown);
        let (Some(through), Some(How::Direct { bytes, .. } | How::Stream { bytes, .. })) =
            (self.through(), self.how.take())
        else {
            return Ok(shown);
        };
        let written = through
            .open()
            .and_then(|mut w| w.write_all(&bytes))
            .or_else(|e| match through.reader_gone(&e) {
                true => Ok(()),
                false => Err(e),
            });
        written.map_err(|e| OutputError::write(&shown, e))?;
        Ok(shown)
    }
}

/// Copies `from` into a new file at `to` (created exclusively), with `from`'s owner and mode; a
/// copy that fails midway is removed.
fn copy_new(from: &Path, to: &Path, was: &Metadata) -> std::io::Result<()> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    let copied = File::open(from)
        .and_then(|mut f| std::io::copy(&mut f, &mut out))
        .and_then(|_| out.sync_all())
        .and_then(|()| keep_owner_and_mode(&out, was));
    if copied.is_err() {
        let _ = std::fs::remove_file(to);
    }
    copied
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
        let mine = file.as_file().metadata();
        if mine.is_ok_and(|mine| sticky_refuses(target, was, &mine)) {
            return Err(OutputError::Unwritable {
                path: shown.display().to_string(),
                reason: "it belongs to another user, in a folder where only a file's owner may replace it (a sticky folder, such as /tmp)".into(),
                help: "write the output elsewhere, or ask its owner to remove it".into(),
            });
        }
        keep_owner_and_mode(file.as_file(), was).map_err(|e| OutputError::write(shown, e))?;
    }
    Ok(file)
}

/// Whether the folder's sticky bit keeps this process from replacing the file there: neither the
/// file nor the folder is its own, and it is not root. Found before anything is written, so no
/// second name for the file is made that could not be removed again.
#[cfg(unix)]
fn sticky_refuses(target: &Path, was: &Metadata, mine: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(folder) = std::fs::metadata(folder_of(target)) else {
        return false;
    };
    folder.mode() & 0o1000 != 0
        && mine.uid() != 0
        && was.uid() != mine.uid()
        && folder.uid() != mine.uid()
}

#[cfg(not(unix))]
fn sticky_refuses(_: &Path, _: &Metadata, _: &Metadata) -> bool {
    false
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
