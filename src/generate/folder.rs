//! Owns the folder `generate` writes into: it must be new, empty, or hold only files an earlier
//! `generate` wrote there (listed in the folder's marker file), unless forced; a file it would
//! replace must be a regular file, not a link, even then; and the temporary files an earlier
//! generate left when it was killed are removed before it starts.

use super::Folder;
use crate::output::OutputError;
use std::path::Path;

/// The file listing what `generate` wrote into a folder.
pub const MARKER: &str = ".scorecard-generate";

/// How many of the files `generate` did not write an error names.
const NAMED: usize = 5;

/// Makes `into` ready for `generate` to write `names`: the folder created if missing, refused when
/// it holds files generate did not write (unless forced) or when a file to replace is not a
/// regular file, and the temporary files of an earlier, killed generate removed (those of any file
/// a generate of any kind writes). Returns the names the folder's marker lists that are still
/// there, to be listed again. The folder stays locked (`flock`) while the returned file is held,
/// so a second generate into it is refused rather than taking the first one's temporary files for
/// leftovers; the lock goes with the process, however it ends.
pub fn claim(
    into: Folder,
    names: &[String],
    any_kind: &[String],
) -> Result<(Vec<String>, std::fs::File), OutputError> {
    let dir = into.path;
    let io = |e| OutputError::write(dir, e);
    if std::fs::symlink_metadata(dir).is_ok() && !dir.is_dir() {
        return Err(OutputError::Unwritable {
            path: dir.display().to_string(),
            reason: "it is not a folder".into(),
            help: "`--out` names the folder to write the files into".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let lock = std::fs::File::open(dir).map_err(io)?;
    if lock.try_lock().is_err() {
        return Err(OutputError::Unwritable {
            path: dir.display().to_string(),
            reason: "another `scorecard generate` is writing into it".into(),
            help: "wait for it to finish, or generate into another folder".into(),
        });
    }
    let earlier = listed(dir);
    let ours = |name: &str| name == MARKER || earlier.iter().any(|n| n == name);
    let (mut foreign, mut leftovers) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // The entry itself: a link is a link, whatever it names.
        let regular = entry.file_type().map_err(io)?.is_file();
        let replaced = name == MARKER || names.contains(&name);
        if replaced && !regular {
            return Err(OutputError::Unwritable {
                path: entry.path().display().to_string(),
                reason: "it is a link or not a regular file, which generate never writes".into(),
                help: "remove it, or generate into another folder".into(),
            });
        }
        if regular && is_leftover(&name, any_kind) {
            leftovers.push(entry.path());
        } else if !(regular && ours(&name)) {
            foreign.push(name);
        }
    }
    if !foreign.is_empty() && !into.force {
        foreign.sort();
        let more = foreign.len().saturating_sub(NAMED);
        foreign.truncate(NAMED);
        if more > 0 {
            foreign.push(format!("and {more} more"));
        }
        return Err(OutputError::ForeignFiles {
            folder: dir.display().to_string(),
            files: foreign,
        });
    }
    for path in leftovers {
        std::fs::remove_file(&path).map_err(|e| OutputError::write(&path, e))?;
    }
    let earlier = earlier.into_iter().filter(|n| dir.join(n).is_file());
    Ok((earlier.collect(), lock))
}

/// The names the folder's marker lists, when it is a regular file.
fn listed(dir: &Path) -> Vec<String> {
    let marker = dir.join(MARKER);
    let regular = std::fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file());
    let text = match regular {
        true => std::fs::read_to_string(&marker).unwrap_or_default(),
        false => String::new(),
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains(['/', '\\']))
        .map(str::to_string)
        .collect()
}

/// A temporary file staged for one of the files a generate of any kind writes, or a second name
/// kept while one was renamed into place, which only a killed generate leaves behind: exactly
/// `.NAME.RANDOM.tmp` or `.NAME.RANDOM.bak` (six letters or digits, as `output` makes them), or
/// `.NAME.PID.tmp` from before. Other hidden files are someone else's.
fn is_leftover(name: &str, any_kind: &[String]) -> bool {
    let Some(inner) = name.strip_prefix('.') else {
        return false;
    };
    let (middle, old_style) = match (inner.strip_suffix(".tmp"), inner.strip_suffix(".bak")) {
        (Some(m), _) => (m, true),
        (None, Some(m)) => (m, false),
        (None, None) => return false,
    };
    let random = |r: &str| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric());
    let pid = |r: &str| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit());
    let targets = any_kind.iter().map(String::as_str).chain([MARKER]);
    targets
        .filter_map(|t| middle.strip_prefix(t)?.strip_prefix('.'))
        .any(|rest| random(rest) || (old_style && pid(rest)))
}

/// The marker's text: every file generate wrote or had written that is still listed, sorted.
pub fn marker(earlier: &[String], names: &[String]) -> String {
    let mut all: Vec<&String> = earlier.iter().chain(names).collect();
    all.sort();
    all.dedup();
    let mut text = String::from(
        "# The files `scorecard generate` wrote into this folder, which a later generate may replace.\n",
    );
    for name in all {
        text.push_str(name);
        text.push('\n');
    }
    text
}
