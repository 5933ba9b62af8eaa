//! Owns `scorecard graph`: the strategy map as Graphviz or Mermaid.

use super::args::GraphFormat;
use super::exit::Exit;
use super::input::compile;
use super::write;
use scorecard::report;
use std::path::Path;

pub(crate) fn graph(
    file: &Path,
    format: GraphFormat,
    output: Option<&Path>,
    audience: Option<&str>,
) -> Exit {
    if let Err(code) = write::guard(
        &write::with_main(output, &[]),
        &write::scorecards_and_projects(&[file]),
    ) {
        return code;
    }
    let Some((compiled, _)) = compile(file) else {
        return Exit::ScorecardErrors;
    };
    let Some(model) = compiled.model else {
        return Exit::ScorecardErrors;
    };
    let project = match super::input::project_of(file, None) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let model = match super::audience::view((file, &model), &project, audience) {
        Ok(Some(v)) => v.model,
        Ok(None) => model,
        Err(code) => return code,
    };
    let text = match format {
        GraphFormat::Dot => report::strategy_map::dot(&model),
        GraphFormat::Mermaid => report::strategy_map::mermaid(&model),
    };
    write::emit(output, &text)
}
