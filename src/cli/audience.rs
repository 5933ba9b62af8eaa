//! Owns `--audience`: the audience a command names, found among the scorecard's audiences or the
//! members `scorecard.toml` lists for them, and the refusals printed when it cannot be shown
//! something (docs/audiences.md).

use super::exit::Exit;
use scorecard::audience::{AudienceError, View};
use scorecard::model::Model;
use scorecard::project::Project;

/// The view of `model` (read from `file`) for the audience `name` names; `None` without
/// `--audience`.
pub(crate) fn view(
    (file, model): (&std::path::Path, &Model),
    project: &Project,
    name: Option<&str>,
) -> Result<Option<View>, Exit> {
    let Some(name) = name else {
        return Ok(None);
    };
    let members = project
        .audiences
        .iter()
        .map(|(a, m)| (a.clone(), m.members.clone()))
        .collect();
    match scorecard::audience::choose(model, name, &members) {
        Ok((audience, member)) => Ok(Some(View::new(model, audience, member))),
        Err(e) => {
            eprintln!("error[{}]: {}: {e}", e.code().as_str(), file.display());
            Err(Exit::DataErrors)
        }
    }
}

/// Prints why the audience cannot be shown what was asked: exit code 2.
pub(crate) fn refused(e: &AudienceError) -> Exit {
    eprintln!("error[{}]: {e}", e.code().as_str());
    Exit::DataErrors
}
