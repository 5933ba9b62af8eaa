//! Owns finding the scorecard files a command was pointed at: files as given, folders searched.

use std::path::{Path, PathBuf};

/// The files named, and every `.scorecard` file under each folder named (hidden folders and
/// `target` skipped), in a stable order.
pub fn scorecards(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)
                .map_err(|e| format!("cannot read the folder `{}`: {e}", p.display()))?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&path, out)?;
            }
        } else if name.ends_with(".scorecard") {
            out.push(path);
        }
    }
    Ok(())
}
