//! Owns `scorecard sql`'s script: a scorecard's KPI aggregations as SQL a warehouse can run, one
//! grouped SELECT per aggregate pass (as `engine::plan` decides them, each written by
//! `engine::sql`), under a header saying how to read them.

use super::{Dialect, Shape, Statement, PERIOD};
use crate::passes::plan::{self, Pass};
use scorecard_model::{print, reach, Calendar, Grain, Model};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The aggregations of one scorecard.
#[derive(Debug, Clone)]
pub struct Sql {
    pub statements: Vec<Statement>,
    /// Datasets that a rule of the scorecard derives (attribution credits, allocated costs, view
    /// rows), which no warehouse table holds, with the kind of rule (`attribution`, `allocation`,
    /// `view`): their aggregates are named in a comment, not written.
    pub derived: Vec<(String, &'static str)>,
    /// The whole script: a header comment, then each statement under a comment naming its columns.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlError {
    /// A retail (4-4-5) calendar's months have no SQL function.
    RetailCalendar,
    /// Money in other currencies converts at rates after it is grouped; the SQL does not.
    Conversion { column: String, dataset: String },
}

/// The aggregations of `model` in `dialect`. `tables` names the warehouse table (or any relation
/// text) to read for a dataset; others are read from a table named as the dataset is.
pub fn emit(
    model: &Model,
    dialect: Dialect,
    tables: &BTreeMap<String, String>,
) -> Result<Sql, SqlError> {
    if let Some(a) = model.aggregates.iter().find(|a| a.convert.is_some()) {
        return Err(SqlError::Conversion {
            column: a.column.clone().unwrap_or_default(),
            dataset: a.dataset.clone(),
        });
    }
    let (passes, _) = plan::passes(model);
    let users = users(model);
    let mut statements = Vec::new();
    let mut derived = Vec::new();
    for (pass, aggregates) in &passes {
        let Some(ds) = model.dataset(&pass.dataset) else {
            continue;
        };
        if !ds.is_file() {
            if !derived.iter().any(|(name, _)| *name == ds.name) {
                derived.push((ds.name.clone(), ds.format.name()));
            }
            continue;
        }
        let time = dialect.local_time(model, ds, &ds.time, &dialect.ident(&ds.time));
        let period = dialect
            .period_start(&model.header, &time)
            .ok_or(SqlError::RetailCalendar)?;
        let table = match tables.get(&ds.name) {
            Some(t) => t.clone(),
            None => dialect.ident(&ds.name),
        };
        statements.push(super::statement(
            model,
            dialect,
            (ds, &pass.by),
            aggregates,
            (&period, &table),
            &Shape::default(),
            &users,
        ));
    }
    let text = script(model, dialect, &statements, &derived, &passes);
    Ok(Sql {
        statements,
        derived,
        text,
    })
}

/// The KPIs and escalations whose own expressions name each aggregate (not through other KPIs).
fn users(model: &Model) -> BTreeMap<usize, Vec<String>> {
    let mut out: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut add = |name: &str, exprs: Vec<&scorecard_model::Expr>| {
        let mut read = BTreeSet::new();
        for e in exprs {
            reach(e, &[], &mut read);
        }
        for i in read {
            out.entry(i).or_default().push(name.to_string());
        }
    };
    for k in &model.kpis {
        add(&k.name, k.values().chain(k.judging()).collect());
    }
    for e in &model.escalations {
        let conditions = std::iter::once(&e.when).chain(&e.recover);
        add(&e.name, conditions.flat_map(|c| c.exprs()).collect());
    }
    out
}

/// The whole script: what it is, how to read it, then the statements.
fn script(
    model: &Model,
    dialect: Dialect,
    statements: &[Statement],
    derived: &[(String, &'static str)],
    passes: &BTreeMap<Pass, BTreeSet<usize>>,
) -> String {
    let h = &model.header;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- {}: the KPI aggregations in {} SQL, written by scorecard {}",
        h.name,
        dialect.name(),
        env!("CARGO_PKG_VERSION")
    );
    let month = |m: u32| capitalized(scorecard_model::calendar::MONTHS[(m as usize - 1) % 12]);
    let period = match (h.grain, h.calendar) {
        (Grain::Week, _) => format!(
            "a week starting on {}",
            capitalized(scorecard_model::calendar::WEEKDAYS[h.week_start as usize % 7])
        ),
        (Grain::Quarter | Grain::Year, Calendar::Fiscal { start_month }) if start_month != 1 => {
            format!(
                "a fiscal {}, the year starting in {}",
                h.grain.name(),
                month(start_month)
            )
        }
        (g, _) => format!("a {}", g.name()),
    };
    let _ = writeln!(
        out,
        "-- One statement per dataset and segmentation. {PERIOD} is the first day of the row's\n\
         -- period, {period}."
    );
    out.push_str(
        "-- Rows with no time group under no period, which `scorecard run` refuses. An average comes\n\
         -- as a _sum column to divide by its _count, a top share as a _top column to divide by its _total.\n",
    );
    // A filter that names a parameter holds its value: which values, the script says.
    if !model.parameters.is_empty() {
        let values: Vec<String> = model
            .parameters
            .iter()
            .map(|p| {
                let value = model
                    .assumed
                    .values
                    .get(&p.name)
                    .map_or(p.base, |(v, _)| *v);
                format!("{} {}", p.name, p.unit.show(value))
            })
            .collect();
        let _ = writeln!(
            out,
            "-- Parameters are written as their values at their base: {}.",
            values.join(", ")
        );
    }
    for (name, rule) in derived {
        let _ = writeln!(
            out,
            "--\n-- Not written: `{name}` is derived by the scorecard's own {rule}, which no warehouse"
        );
        let _ = writeln!(out, "-- table holds; `scorecard run` computes these:");
        let read: BTreeSet<usize> = passes
            .iter()
            .filter(|(p, _)| p.dataset == *name)
            .flat_map(|(_, a)| a.iter().copied())
            .collect();
        for i in read {
            let _ = writeln!(out, "--   {}", print::aggregate(model, i));
        }
    }
    for s in statements {
        out.push('\n');
        out.push_str(&s.text);
    }
    out
}

fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
