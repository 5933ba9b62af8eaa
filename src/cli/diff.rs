//! Owns `scorecard diff`: two versions of a scorecard (files, or `REVISION:PATH` from git) compared,
//! and with `--data` evaluated on the same data.

use super::args::DocumentOutput;
use super::exit::Exit;
use super::input::{engine_options, stamp};
use super::terminal::stderr_color;
use super::write;
use scorecard::output::Batch;
use scorecard::project;
use scorecard::rules::manifest::SourceFile;
use scorecard::{diagnostic, report};
use std::path::Path;

/// Reads a scorecard's text from a file, or from git when written `REVISION:PATH` and no file
/// has that name.
fn read_version(arg: &str) -> Result<String, String> {
    let path = Path::new(arg);
    if path.exists() {
        return std::fs::read_to_string(path).map_err(|e| format!("cannot read `{arg}`: {e}"));
    }
    let Some((revision, file)) = arg.split_once(':') else {
        return Err(format!("cannot read `{arg}`: no such file"));
    };
    // Git would take it as an option (`--output=FILE` writes a file): a revision never starts so.
    if revision.starts_with('-') {
        return Err(format!(
            "`{revision}` is not a git revision: a revision cannot start with `-`\n  help: name a commit, branch or tag, such as `HEAD~1:{file}`"
        ));
    }
    // `--end-of-options`: whatever the argument holds, git reads it as a revision, not an option.
    let shown = std::process::Command::new("git")
        .args(["show", "--no-textconv", "--end-of-options"])
        .arg(format!("{revision}:{file}"))
        .output()
        .map_err(|e| format!("cannot run git to read `{arg}`: {e}"))?;
    if !shown.status.success() {
        return Err(format!(
            "cannot read `{file}` at git revision `{revision}`: {}",
            String::from_utf8_lossy(&shown.stderr).trim()
        ));
    }
    String::from_utf8(shown.stdout).map_err(|_| format!("`{arg}` is not UTF-8 text"))
}

pub(crate) fn diff(
    (old, new): (&str, &str),
    data: Option<&Path>,
    out: &DocumentOutput,
    audience: Option<&str>,
) -> Exit {
    let versions: Vec<&str> = [old, new]
        .into_iter()
        .filter(|v| Path::new(v).exists())
        .collect();
    let mut reads = write::scorecards_and_projects(&versions);
    let outputs = write::with_main(out.output.as_deref(), &[]);
    if let Err(code) = write::guard(&outputs, &reads) {
        return code;
    }
    let mut models = Vec::new();
    let mut sources = Vec::new();
    for arg in [old, new] {
        let text = match read_version(arg) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error[{}]: {e}", diagnostic::Code::ReadSource.as_str());
                return Exit::ScorecardErrors;
            }
        };
        let compiled = scorecard::compile(&text);
        if !compiled.diagnostics.is_empty() {
            eprint!(
                "{}",
                diagnostic::render(arg, &text, &compiled.diagnostics, stderr_color())
            );
        }
        let Some(model) = compiled.model else {
            eprintln!("{arg} has errors: nothing was compared");
            return Exit::ScorecardErrors;
        };
        sources.push(SourceFile::new(arg, &text));
        models.push(model);
    }
    // The project is the new version's, when it is a file here, or else the working folder's.
    let options = match data {
        Some(d) => {
            let here = Path::new(new);
            let file = if here.is_file() {
                here
            } else {
                Path::new(project::FILE)
            };
            match engine_options(file, Some(d.to_path_buf())) {
                Ok((project, o)) => {
                    reads.extend(write::project_file(&project));
                    Some(o)
                }
                Err(code) => return code,
            }
        }
        None => None,
    };
    if let Some(o) = &options {
        reads.extend(models.iter().flat_map(|m| o.data_files(m)));
        if let Err(code) = write::guard(&outputs, &reads) {
            return code;
        }
    }
    // An audience's diff: both versions as the new version's rules for it show them.
    let view = match audience {
        None => None,
        Some(name) => {
            let here = Path::new(new);
            let file = if here.is_file() {
                here
            } else {
                Path::new(project::FILE)
            };
            let project = match super::input::project_of(file, None) {
                Ok(p) => p,
                Err(code) => return code,
            };
            match super::audience::view((Path::new(new), &models[1]), &project, Some(name)) {
                Ok(v) => v,
                Err(code) => return code,
            }
        }
    };
    let options = match (&view, options) {
        (Some(v), Some(o)) => Some(scorecard::engine::Options {
            rows: v.rows(),
            segments_named: v.segments_named(),
            ..o
        }),
        (_, o) => o,
    };
    if let Some(v) = &view {
        let old = v.of_earlier(&models[0]);
        models = vec![old.model, v.model.clone()];
    }
    let shown = |e: &mut scorecard::rules::Evaluation| match &view {
        Some(v) => v.redact(e).map_err(|e| e.to_string()),
        None => Ok(()),
    };
    let diffed =
        scorecard::rules::run::diff_shown(&models[0], &models[1], options.as_ref(), &shown);
    let mut d = match diffed {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code().as_str());
            return Exit::DataErrors;
        }
    };
    stamp(&mut d.manifest, sources, out.deterministic);
    d.manifest.audience = view.as_ref().map(|v| v.shown());
    out.write(Batch::new(), &d, |color| report::diff::text(&d, color))
}
