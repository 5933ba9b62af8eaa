//! Owns `scorecard sql`: the scorecard's KPI aggregations written as SQL for a warehouse to run.

use super::exit::Exit;
use clap::ValueEnum;
use scorecard::diagnostic::{did_you_mean, Code};
use scorecard::engine::sql::{self, Dialect, SqlError};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Copy, ValueEnum)]
pub enum DialectArg {
    Postgres,
    Duckdb,
    Spark,
}

impl DialectArg {
    fn dialect(self) -> Dialect {
        match self {
            DialectArg::Postgres => Dialect::Postgres,
            DialectArg::Duckdb => Dialect::DuckDb,
            DialectArg::Spark => Dialect::Spark,
        }
    }
}

/// `DATASET=RELATION`, such as `orders=analytics.fct_order_lines`.
pub fn parse_table(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(d, t)| (d.trim().to_string(), t.trim().to_string()))
        .filter(|(d, t)| !d.is_empty() && !t.is_empty())
        .ok_or_else(|| {
            format!("`{text}` is not DATASET=TABLE, such as orders=analytics.fct_order_lines")
        })
}

pub fn run(
    file: &Path,
    dialect: DialectArg,
    tables: &[(String, String)],
    output: Option<&Path>,
) -> Exit {
    let outputs = super::write::with_main(output, &[]);
    if let Err(code) =
        super::write::guard(&outputs, &super::write::scorecards_and_projects(&[file]))
    {
        return code;
    }
    let Some((compiled, _)) = super::input::compile(file) else {
        return Exit::ScorecardErrors;
    };
    let Some(model) = compiled.model else {
        return Exit::ScorecardErrors;
    };
    // The script reads no data, but a mistyped `-o` must not replace a dataset's file either.
    if let Ok(project) = scorecard::project::Project::of(file) {
        let options = super::input::project_options(&project, file, None);
        let reads = super::write::run_reads(file, &project, &options, &model);
        if let Err(code) = super::write::guard(&outputs, &reads) {
            return code;
        }
    }
    let read: Vec<&str> = model
        .datasets
        .iter()
        .filter(|d| d.is_file())
        .map(|d| d.name.as_str())
        .collect();
    let mut wrong = 0;
    for (name, _) in tables {
        if !read.contains(&name.as_str()) {
            let hint = did_you_mean(name, read.iter().copied()).unwrap_or_else(|| {
                format!("the datasets read from a source are {}", read.join(", "))
            });
            eprintln!(
                "error[{}]: `--table {name}=…` names no dataset of `{}` read from a source\n  help: {hint}",
                Code::SqlTable.as_str(),
                file.display()
            );
            wrong += 1;
        }
    }
    if wrong > 0 {
        return Exit::ScorecardErrors;
    }
    let tables: BTreeMap<String, String> = tables.iter().cloned().collect();
    match sql::emit(&model, dialect.dialect(), &tables) {
        Ok(written) => {
            for (name, rule) in &written.derived {
                eprintln!(
                    "warning[{}]: `{name}` is derived by the scorecard's own {rule}, which no warehouse table holds: its aggregates are listed in a comment, not written",
                    Code::SqlDerived.as_str()
                );
            }
            super::write::emit(output, &written.text)
        }
        Err(SqlError::RetailCalendar) => {
            eprintln!(
                "error[{}]: `{}` uses a retail calendar, whose 4-4-5 months no SQL date function computes\n  help: `scorecard run` evaluates it; the SQL is written for gregorian and fiscal calendars",
                Code::SqlUnsupported.as_str(),
                file.display()
            );
            Exit::ScorecardErrors
        }
        Err(SqlError::Conversion { column, dataset }) => {
            eprintln!(
                "error[{}]: `{}` converts `{dataset}.{column}` from another currency at exchange rates, which the SQL does not do: its totals would be in several currencies at once\n  help: `scorecard run` converts them; write the SQL for a scorecard whose money is in the reporting currency",
                Code::SqlUnsupported.as_str(),
                file.display()
            );
            Exit::ScorecardErrors
        }
    }
}
