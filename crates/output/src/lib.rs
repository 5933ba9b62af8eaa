//! Owns writing every file a command produces (`run -o`, `--credits`, `report -o`, `--rows-out`,
//! `--junit`, SARIF, workbooks, `fmt`, `generate`), the one way it is done:
//!
//! - each output is staged in a temporary file created exclusively, under an unpredictable name,
//!   in its target's folder (`staged.rs`), so nobody can plant the file the data goes into;
//! - the outputs of one command are renamed into place together, after all of them are complete
//!   (`Batch::commit`): a command that fails writes none of them;
//! - a target that exists keeps its permissions, and its owner and group where the process may set
//!   them (never wider: a group that cannot be kept gets no access);
//! - a link is written through to the file it names, and stays a link;
//! - before anything is read, no output may be a file the command reads, nor another of its
//!   outputs (`target.rs`, `check`);
//! - a process stopped by a signal removes its staged files first (`crate::temporary::remove_all`,
//!   which the command line calls from its signal handler), and waits for a commit under way.

mod staged;
mod target;
pub mod temporary;

use staged::Undo;
pub use staged::{Staged, Through};
pub use target::{check, resolve, stream, Output, Read, Stream};

use scorecard_diagnostic::Code;
use std::path::{Path, PathBuf};

/// Why an output was refused or could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write `{path}`: {source}{}", help_for(source))]
    Write {
        path: String,
        source: std::io::Error,
    },

    #[error("cannot write `{path}`: {reason}\n  help: {help}")]
    Unwritable {
        path: String,
        reason: String,
        help: String,
    },

    #[error("`{path}` ({option}) is {what}, which this command reads: writing it would replace what it reads\n  help: write the output to another file")]
    IsInput {
        path: String,
        option: String,
        what: String,
    },

    #[error("`{path}` is named as two outputs of this command ({first} and {second}): one would replace the other\n  help: give each output a file of its own")]
    Twice {
        path: String,
        first: String,
        second: String,
    },

    #[error("`{folder}` holds files that `scorecard generate` did not write ({}): generating there would replace or mix with them\n  help: generate into an empty or new folder, or pass --force to replace only the files it writes", .files.join(", "))]
    ForeignFiles { folder: String, files: Vec<String> },
}

/// What a user can do about a failed write, by its kind.
fn help_for(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied => "\n  help: this user may not write there: check the permissions of the file and its folder, or write the output elsewhere",
        K::ReadOnlyFilesystem => "\n  help: the file system is read-only: write the output elsewhere",
        K::StorageFull | K::QuotaExceeded => "\n  help: the disk is full: free some space, or write the output elsewhere",
        K::AlreadyExists | K::NotADirectory => "\n  help: something that is not a folder is in the way: check the path",
        K::InvalidFilename => "\n  help: the name is too long or not allowed here: choose a shorter name",
        _ => "",
    }
}

impl OutputError {
    pub fn code(&self) -> Code {
        match self {
            OutputError::Write { .. } | OutputError::Unwritable { .. } => Code::WriteOutput,
            OutputError::IsInput { .. } | OutputError::Twice { .. } => Code::OutputClash,
            OutputError::ForeignFiles { .. } => Code::ForeignFiles,
        }
    }

    pub fn write(path: &Path, source: std::io::Error) -> OutputError {
        OutputError::Write {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The outputs of one command, staged until all are complete and then renamed into place
/// together. Dropping a batch without committing it removes every staged file.
#[derive(Default)]
pub struct Batch {
    files: Vec<Staged>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Stages `bytes` as the whole of the file at `path`.
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        let mut file = Staged::create(path)?;
        std::io::Write::write_all(&mut file, bytes).map_err(|e| OutputError::write(path, e))?;
        self.files.push(file);
        Ok(())
    }

    /// Adds a file written a piece at a time (see `Staged::create`).
    pub fn add(&mut self, file: Staged) {
        self.files.push(file);
    }

    /// Makes every staged file durable and renames each into place in the order staged, then
    /// writes the outputs that are devices, then the process's own streams: those two cannot be
    /// taken back, so they come last. Before the first rename, every file a later output could
    /// fail after gets a way back (a second name for it, or a copy); when one cannot be made,
    /// nothing is renamed. When an output fails, the renames before it are taken back, so the
    /// command leaves every target as it was. A signal that arrives during the renames waits for
    /// them; one that arrives while a device or stream is written ends the process at once.
    pub fn commit(self) -> Result<Vec<PathBuf>, OutputError> {
        let mut files = self.files;
        for f in &files {
            f.sync()?;
        }
        files.sort_by_key(Staged::order);
        let renamed = files.iter().filter(|f| f.renamed()).count();
        let mut undo = Vec::new();
        if files.len() > 1 {
            for f in &files[..renamed] {
                undo.push(f.way_back()?);
            }
        }
        let mut paths = Vec::new();
        let mut rest = files.into_iter();
        {
            let mut list = crate::temporary::list();
            for (i, f) in rest.by_ref().take(renamed).enumerate() {
                match f.rename(&mut list) {
                    Ok(path) => paths.push(path),
                    Err(e) => {
                        // The list is released before the outputs left are dropped, which
                        // takes them off it.
                        drop(list);
                        undo.drain(..i.min(undo.len())).rev().for_each(Undo::undo);
                        return Err(e);
                    }
                }
            }
        }
        for f in rest {
            match f.write_through() {
                Ok(path) => paths.push(path),
                Err(e) => {
                    undo.into_iter().rev().for_each(Undo::undo);
                    return Err(e);
                }
            }
        }
        Ok(paths)
    }
}

/// Writes one file whole, staged and renamed into place.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut batch = Batch::new();
    batch.stage(path, bytes)?;
    batch.commit().map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_batch_that_fails_or_is_dropped_writes_nothing_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, "earlier").unwrap();
        let mut batch = Batch::new();
        batch.stage(&a, b"new").unwrap();
        batch.stage(&dir.path().join("b.txt"), b"new").unwrap();
        assert_eq!(names(dir.path()).len(), 3, "a.txt and two staged files");
        let err = batch.stage(&dir.path().join("missing/c.txt"), b"x");
        assert!(err.is_err());
        drop(batch);
        assert!(!super::staged::any_in(dir.path()));
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "earlier");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn a_rename_that_fails_takes_back_the_renames_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let [a, b, c, d] = ["a.txt", "b.txt", "c.txt", "d.txt"].map(|n| dir.path().join(n));
        std::fs::write(&a, "earlier a").unwrap();
        let mut batch = Batch::new();
        for path in [&a, &b, &c, &d] {
            batch.stage(path, b"new").unwrap();
        }
        // A folder, with a file in it, appears where `c.txt` goes: its rename fails, with `d.txt`
        // still to come (which once waited forever for a lock the commit held).
        std::fs::create_dir(&c).unwrap();
        std::fs::write(c.join("inside"), "x").unwrap();
        let err = batch.commit().unwrap_err();
        assert_eq!(err.code().as_str(), "scorecard::io::write_output");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "earlier a");
        assert!(!b.exists() && !d.exists(), "new files are removed again");
        assert_eq!(
            names(dir.path()),
            ["a.txt", "c.txt"],
            "no second name is left"
        );
        assert!(!super::staged::any_in(dir.path()));
    }

    #[test]
    fn one_output_needs_no_way_back_and_a_device_comes_after_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, "earlier").unwrap();
        // `/dev/full` is staged first but written last, after `a.txt` was renamed: its failure
        // puts `a.txt` back.
        let mut batch = Batch::new();
        batch.stage(Path::new("/dev/full"), b"x").unwrap();
        batch.stage(&a, b"new").unwrap();
        assert!(batch.commit().is_err());
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "earlier");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn a_very_long_name_can_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join(format!("{}.json", "é".repeat(125)));
        write(&long, b"{}").unwrap();
        write(&long, b"[]").unwrap();
        assert_eq!(std::fs::read_to_string(&long).unwrap(), "[]");
        assert_eq!(names(dir.path()).len(), 1);
    }

    #[test]
    fn a_committed_batch_puts_every_file_in_place_and_nothing_beside_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::new();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
        std::fs::write(&a, "earlier").unwrap();
        batch.stage(&a, b"one").unwrap();
        let mut streamed = Staged::create(&b).unwrap();
        std::io::Write::write_all(&mut streamed, b"two").unwrap();
        batch.add(streamed);
        assert_eq!(batch.commit().unwrap(), [a.clone(), b.clone()]);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "two");
        assert_eq!(names(dir.path()), ["a.txt", "b.txt"]);
        assert!(!super::staged::any_in(dir.path()));
    }
}
