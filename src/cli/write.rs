//! Owns how the command line writes what a command produces, through `scorecard::output`: the
//! outputs checked against every file the command reads before it reads any data, staged whole,
//! and renamed into place together once the command has succeeded; standard output otherwise.

use super::exit::Exit;

use scorecard::engine;
use scorecard::model::Model;
use scorecard::output::{self, Batch, Output, OutputError, Read, Staged, Stream, Through};
use scorecard::project::Project;
use std::io::Write;
use std::path::Path;

/// Prints why an output was refused or failed; the exit code.
pub fn failed(e: &OutputError) -> Exit {
    eprintln!("error[{}]: {e}", e.code().as_str());
    Exit::DataErrors
}

/// Refuses, with its message, an output that is a file the command reads or another output.
pub fn guard(outputs: &[Output], reads: &[Read]) -> Result<(), Exit> {
    output::check(outputs, reads).map_err(|e| failed(&e))
}

/// The outputs named among `(path, option)` pairs, for `guard`.
pub fn named<'a>(outputs: &[(Option<&'a Path>, &'a str)]) -> Vec<Output<'a>> {
    outputs
        .iter()
        .filter_map(|(path, option)| path.map(|path| Output { path, option }))
        .collect()
}

/// A command's outputs for `guard`: its main one (`-o`, or else standard output, which the shell
/// may have pointed at a file the command reads) and the others named.
pub fn with_main<'a>(
    main: Option<&'a Path>,
    others: &[(Option<&'a Path>, &'a str)],
) -> Vec<Output<'a>> {
    let main = match main {
        Some(path) => Output { path, option: "-o" },
        None => Output {
            path: Path::new("-"),
            option: "standard output",
        },
    };
    std::iter::once(main).chain(named(others)).collect()
}

/// The scorecard files given to a command, as files it reads.
pub fn scorecards<P: AsRef<Path>>(files: &[P]) -> Vec<Read> {
    let read = |f: &P| Read::new(f.as_ref(), "a scorecard");
    files.iter().map(read).collect()
}

/// The scorecard files given to a command, and the project each belongs to (its `scorecard.toml`
/// and the project's other scorecards): a command that does not read the project still must not
/// replace them, for a mistyped output path should not cost a scorecard.
pub fn scorecards_and_projects<P: AsRef<Path>>(files: &[P]) -> Vec<Read> {
    let mut reads = scorecards(files);
    for f in files {
        if let Ok(project) = Project::of(f.as_ref()) {
            reads.extend(project_file(&project));
            let others = project.scorecards.iter();
            reads.extend(others.map(|s| Read::new(s, "a scorecard of the project")));
        }
    }
    reads
}

/// The project file a command reads, if there is one, and the folders of records no output may
/// be written in: the ledger and the notification state (docs/audit.md, docs/notifications.md).
pub fn project_file(project: &Project) -> Vec<Read> {
    use scorecard::project::close::Store;
    let mut reads: Vec<Read> = project
        .file
        .iter()
        .map(|f| Read::new(f, "the project file"))
        .collect();
    if let Store::Folder(ledger) = &project.ledger {
        reads.push(Read::folder(ledger, "in the ledger's folder"));
    }
    if let Some(Store::Folder(state)) = project.notify.as_ref().map(|n| &n.state) {
        reads.push(Read::folder(state, "in the notification state's folder"));
    }
    reads
}

/// Every file a run of the scorecard at `file` reads: the scorecard, the project file, the
/// project's other scorecards (whose datasets its bindings are checked against), and every
/// dataset's file.
pub fn run_reads(
    file: &Path,
    project: &Project,
    options: &engine::Options,
    model: &Model,
) -> Vec<Read> {
    let mut reads = scorecards(&[file]);
    reads.extend(project_file(project));
    let others = project.scorecards.iter();
    reads.extend(others.map(|s| Read::new(s, "a scorecard of the project")));
    reads.extend(options.data_files(model));
    reads
}

/// Stages `bytes` for `path` in `batch`; printed and the exit code when it cannot.
pub fn stage(batch: &mut Batch, path: &Path, bytes: &[u8]) -> Result<(), Exit> {
    batch.stage(path, bytes).map_err(|e| failed(&e))
}

/// Renames every staged output into place; the exit code.
pub fn commit(batch: Batch) -> Exit {
    match batch.commit() {
        Ok(_) => Exit::Ok,
        Err(e) => failed(&e),
    }
}

/// Writes a command's one output to `path` (staged, then renamed into place), or to standard
/// output.
pub fn emit(output: Option<&Path>, text: &str) -> Exit {
    finish(Batch::new(), output, text.as_bytes())
}

pub fn emit_bytes(output: Option<&Path>, bytes: &[u8]) -> Exit {
    finish(Batch::new(), output, bytes)
}

/// Writes a command's main output to `path` with the other outputs staged in `batch`, all renamed
/// into place together; or, with no `path`, commits the others and prints it.
pub fn finish(mut batch: Batch, output: Option<&Path>, bytes: &[u8]) -> Exit {
    if let Some(path) = output {
        if let Err(code) = stage(&mut batch, path, bytes) {
            return code;
        }
    }
    match commit(batch) {
        Exit::Ok if output.is_none() => stdout(bytes),
        code => code,
    }
}

/// Writes a command's main output a piece at a time with `write`: into a file staged for `output`
/// and renamed into place with the outputs staged in `batch`; or, to standard output (no `output`),
/// a device or a pipe, once the others are in place, as a commit writes one, but as it is made
/// rather than kept whole until then.
pub fn finish_streamed(
    mut batch: Batch,
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Exit {
    let through = match output {
        None => Through::Stream(Stream::Out),
        Some(path) => {
            let staged = match Staged::create(path) {
                Ok(staged) => staged,
                Err(e) => return failed(&e),
            };
            match staged.through() {
                Some(through) => through,
                None => {
                    let mut out = std::io::BufWriter::with_capacity(1 << 20, staged);
                    let written = write(&mut out).and_then(|()| out.flush());
                    let staged =
                        written.and_then(|()| out.into_inner().map_err(|e| e.into_error()));
                    match staged {
                        Ok(staged) => batch.add(staged),
                        Err(e) => return failed(&OutputError::write(path, e)),
                    }
                    return commit(batch);
                }
            }
        }
    };
    match commit(batch) {
        Exit::Ok => {}
        code => return code,
    }
    let written = through.open().and_then(|w| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, w);
        write(&mut out).and_then(|()| out.flush())
    });
    match (written, output) {
        (Err(e), _) if through.reader_gone(&e) => Exit::Ok,
        (Err(e), Some(path)) => failed(&OutputError::write(path, e)),
        (written, None) => stdout_result(written),
        (Ok(()), Some(_)) => Exit::Ok,
    }
}

/// Writes to standard output.
pub fn stdout(bytes: &[u8]) -> Exit {
    stdout_result(std::io::stdout().write_all(bytes))
}

/// The exit code of a write to standard output, printing why it failed.
fn stdout_result(written: std::io::Result<()>) -> Exit {
    match written {
        Ok(()) => Exit::Ok,
        // The reader has gone (`| head`): it had what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => {
            eprintln!(
                "error[{}]: cannot write the output: {e}",
                scorecard::diagnostic::Code::WriteOutput.as_str()
            );
            Exit::DataErrors
        }
    }
}
