//! Owns the temporary files and folders this process makes: each created exclusively under a
//! random name (so nobody can have made it, or a link in it, beforehand), listed while it exists,
//! and removed by `remove_all` when a signal stops the process. The outputs being staged
//! (`output::Staged`), the rows a run stages on disk (`engine`) and the inline data of `test`
//! blocks all live in such files and folders.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What exists now and must not outlive the process.
static LIST: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The list, locked. While it is held, `remove_all` waits: a step that must not be split by a
/// signal (renaming a command's outputs into place) holds it throughout.
pub fn list() -> MutexGuard<'static, Vec<PathBuf>> {
    LIST.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes `path` off the list.
pub fn forget(list: &mut Vec<PathBuf>, path: &Path) {
    list.retain(|p| p != path);
}

/// Removes every listed file and folder, for a process about to exit on a signal. The list stays
/// locked afterwards, so nothing is renamed into place or made between this call and the exit:
/// call it only on the way out.
pub fn remove_all() {
    let mut list = list();
    for path in list.drain(..) {
        let removed = match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        drop(removed);
    }
    std::mem::forget(list);
}

/// A folder of this process's own, removed (with what it holds) when dropped or on a signal.
pub struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    /// A new folder named `PREFIX-RANDOM` in `under` (or the system's temporary folder). It is
    /// private to its owner unless `shared`, when it gets a new folder's usual permissions (for a
    /// cluster's executors to read).
    pub fn new(prefix: &str, under: Option<&Path>, shared: bool) -> std::io::Result<Folder> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix);
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(if shared {
            0o777
        } else {
            0o700
        }));
        let under = under.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let mut list = list();
        let dir = builder.tempdir_in(under)?;
        list.push(dir.path().to_path_buf());
        Ok(Folder { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let mut list = list();
        let _ = std::fs::remove_dir_all(self.dir.path());
        forget(&mut list, self.dir.path());
    }
}
