//! Owns writing a scorecard's KPI aggregations as SQL a warehouse can run: one grouped SELECT per
//! aggregate pass (a dataset at one segmentation, as `engine::plan` decides them), every aggregate a
//! conditional aggregate, each row's period named by its first day.

mod dialect;

pub use dialect::Dialect;

use crate::check::model::{
    print, reach, AggFunc, ArithOp, Calendar, CmpOp, ColumnType, Dataset, Grain, Model, RowExpr,
};
use crate::engine::plan::{self, Pass};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The name of every statement's first column.
pub const PERIOD: &str = "period_start";

/// What one result column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The aggregate's value.
    Value,
    /// An average as two columns, so that no dialect divides money in binary floating point: the
    /// sum of the values and how many there were.
    Sum,
    Count,
    /// A top share as two columns: the sum over the top rows and over every row.
    Top,
    Total,
}

/// A result column after the period and the segment columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// Index into `Model::aggregates`.
    pub aggregate: usize,
    pub part: Part,
}

/// One SELECT: a dataset grouped by period and the segment columns `by`.
#[derive(Debug, Clone)]
pub struct Statement {
    pub dataset: String,
    pub by: Vec<String>,
    pub columns: Vec<Column>,
    pub text: String,
}

/// The aggregations of one scorecard.
#[derive(Debug, Clone)]
pub struct Sql {
    pub statements: Vec<Statement>,
    /// Datasets that a rule of the scorecard derives (attribution credits, allocated costs, view
    /// rows), which no warehouse table holds: their aggregates are named in a comment, not written.
    pub derived: Vec<String>,
    /// The whole script: a header comment, then each statement under a comment naming its columns.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlError {
    /// A retail (4-4-5) calendar's months have no SQL function.
    RetailCalendar,
}

/// The aggregations of `model` in `dialect`. `tables` names the warehouse table (or any relation
/// text) to read for a dataset; others are read from a table named as the dataset is.
pub fn emit(
    model: &Model,
    dialect: Dialect,
    tables: &BTreeMap<String, String>,
) -> Result<Sql, SqlError> {
    let (passes, _) = plan::passes(model);
    let users = users(model);
    let mut statements = Vec::new();
    let mut derived = Vec::new();
    for (pass, aggregates) in &passes {
        let Some(ds) = model.datasets.iter().find(|d| d.name == pass.dataset) else {
            continue;
        };
        if !ds.is_file() {
            if !derived.contains(&ds.name) {
                derived.push(ds.name.clone());
            }
            continue;
        }
        let period = dialect
            .period_start(&model.header, &dialect.ident(&ds.time))
            .ok_or(SqlError::RetailCalendar)?;
        let table = match tables.get(&ds.name) {
            Some(t) => t.clone(),
            None => dialect.ident(&ds.name),
        };
        let writer = Writer { model, dialect, ds };
        statements.push(writer.statement(pass, aggregates, &period, &table, &users));
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
    let mut add = |name: &str, exprs: Vec<&crate::check::model::Expr>| {
        let mut read = BTreeSet::new();
        for e in exprs {
            reach(e, &[], &mut read, &mut BTreeSet::new());
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

struct Writer<'a> {
    model: &'a Model,
    dialect: Dialect,
    ds: &'a Dataset,
}

impl Writer<'_> {
    fn statement(
        &self,
        pass: &Pass,
        aggregates: &BTreeSet<usize>,
        period: &str,
        table: &str,
        users: &BTreeMap<usize, Vec<String>>,
    ) -> Statement {
        let d = self.dialect;
        let mut taken: BTreeSet<String> = std::iter::once(PERIOD.to_string())
            .chain(pass.by.iter().cloned())
            .collect();
        let mut columns = Vec::new();
        let mut select = vec![format!("{period} AS {}", d.ident(PERIOD))];
        select.extend(pass.by.iter().map(|b| d.ident(b)));
        let mut comments = Vec::new();
        let mut windows = Vec::new();
        let partition: Vec<String> = std::iter::once(period.to_string())
            .chain(pass.by.iter().map(|b| d.ident(b)))
            .collect();
        for &i in aggregates {
            let a = &self.model.aggregates[i];
            let base = match (&a.column, a.func) {
                (Some(c), f) => format!("{}_{c}", f.name()),
                (None, _) => "count_rows".to_string(),
            };
            let name = unique(&base, &mut taken);
            let parts: Vec<(Part, String)> = match a.func {
                AggFunc::Avg => vec![
                    (Part::Sum, self.aggregate("SUM(", i, true)),
                    (Part::Count, self.aggregate("COUNT(", i, false)),
                ],
                AggFunc::TopShare { fraction } => {
                    let column = a.column.as_deref().unwrap_or_default();
                    // Rows ranked 1..k, k the smallest count at least `fraction` of the rows:
                    // rank - 1 < fraction × rows, as the engine ranks them.
                    let (rank, ranked) = (
                        format!("scorecard_rank_{i}"),
                        format!("scorecard_ranked_{i}"),
                    );
                    let partition = partition.join(", ");
                    let quoted = d.ident(column);
                    windows.push(format!(
                        "ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {quoted} DESC NULLS LAST) AS {rank}"
                    ));
                    windows.push(format!(
                        "COUNT({quoted}) OVER (PARTITION BY {partition}) AS {ranked}"
                    ));
                    let value = self.value(column);
                    let top = format!("{rank} - 1 < {ranked} * {fraction}");
                    vec![
                        (Part::Top, format!("SUM(CASE WHEN {top} THEN {value} END)")),
                        (Part::Total, format!("SUM({value})")),
                    ]
                }
                AggFunc::Sum => vec![(Part::Value, self.sum(i))],
                AggFunc::Count => vec![(Part::Value, self.aggregate("COUNT(", i, false))],
                AggFunc::CountDistinct => {
                    vec![(Part::Value, self.aggregate("COUNT(DISTINCT ", i, false))]
                }
                AggFunc::Min => vec![(Part::Value, self.aggregate("MIN(", i, false))],
                AggFunc::Max => vec![(Part::Value, self.aggregate("MAX(", i, false))],
            };
            let used = users.get(&i).map(|u| u.join(", ")).unwrap_or_default();
            for (part, sql) in parts {
                let column = match part {
                    Part::Value => name.clone(),
                    Part::Sum => unique(&format!("{name}_sum"), &mut taken),
                    Part::Count => unique(&format!("{name}_count"), &mut taken),
                    Part::Top => unique(&format!("{name}_top"), &mut taken),
                    Part::Total => unique(&format!("{name}_total"), &mut taken),
                };
                let meaning = match part {
                    Part::Value => print::aggregate(self.model, i),
                    Part::Sum => format!("{}: the sum", print::aggregate(self.model, i)),
                    Part::Count => format!("{}: the count", print::aggregate(self.model, i)),
                    Part::Top => format!("{}: the top rows' sum", print::aggregate(self.model, i)),
                    Part::Total => format!("{}: every row's sum", print::aggregate(self.model, i)),
                };
                comments.push((column.clone(), meaning, used.clone()));
                select.push(format!("{sql} AS {}", d.ident(&column)));
                columns.push(Column {
                    name: column,
                    aggregate: i,
                    part,
                });
            }
        }
        let source = if windows.is_empty() {
            table.to_string()
        } else {
            format!(
                "(\n  SELECT *,\n    {}\n  FROM {table}\n) AS ranked",
                windows.join(",\n    ")
            )
        };
        let groups: Vec<String> = (1..=1 + pass.by.len()).map(|n| n.to_string()).collect();
        let mut text = String::new();
        let segmented = if pass.by.is_empty() {
            "per period".to_string()
        } else {
            format!("per period and {}", pass.by.join(", "))
        };
        let _ = writeln!(text, "-- {}, {segmented}", self.ds.name);
        let width = comments.iter().map(|(c, _, _)| c.len()).max().unwrap_or(0);
        for (column, meaning, used) in &comments {
            let used = if used.is_empty() {
                String::new()
            } else {
                format!("  [{used}]")
            };
            let _ = writeln!(text, "--   {column:width$}  {meaning}{used}");
        }
        let _ = write!(
            text,
            "SELECT\n  {}\nFROM {source}\nGROUP BY {}\nORDER BY {};\n",
            select.join(",\n  "),
            groups.join(", "),
            groups.join(", ")
        );
        Statement {
            dataset: pass.dataset.clone(),
            by: pass.by.clone(),
            columns,
            text,
        }
    }

    /// A column's values as aggregated: integers as 20-digit decimals, which cannot overflow.
    fn value(&self, column: &str) -> String {
        let quoted = self.dialect.ident(column);
        match self.ds.column(column).map(|c| c.ty) {
            Some(ColumnType::Integer) => self.dialect.whole(&quoted),
            _ => quoted,
        }
    }

    /// `FUNC(CASE WHEN filter THEN x END)` (`opening` is `FUNC(`), x the column (`summed`: as
    /// summed) or 1 for a count of rows.
    fn aggregate(&self, opening: &str, i: usize, summed: bool) -> String {
        let a = &self.model.aggregates[i];
        let x = match &a.column {
            Some(c) if summed => self.value(c),
            Some(c) => self.dialect.ident(c),
            None => "1".to_string(),
        };
        let x = match &a.filter {
            Some(f) => format!("CASE WHEN {} THEN {x} END", self.row(f)),
            None => x,
        };
        format!("{opening}{x})")
    }

    /// A sum: where a filter matched no row of the group the sum is 0, not "no value" (which is
    /// left for rows whose values are all empty), as `scorecard run` has it.
    fn sum(&self, i: usize) -> String {
        let a = &self.model.aggregates[i];
        let sum = self.aggregate("SUM(", i, true);
        match &a.filter {
            Some(f) => format!(
                "CASE WHEN COUNT(CASE WHEN {} THEN 1 END) = 0 THEN 0 ELSE {sum} END",
                self.row(f)
            ),
            None => sum,
        }
    }

    /// A row filter, every operation in parentheses so that no dialect's precedence matters.
    fn row(&self, e: &RowExpr) -> String {
        let d = self.dialect;
        match e {
            RowExpr::Column { name } => d.ident(name),
            RowExpr::Text { value } => d.text(value),
            RowExpr::Number { value } if value.is_sign_negative() => format!("({value})"),
            RowExpr::Number { value } => value.to_string(),
            RowExpr::Date { value } => format!("DATE '{value}'"),
            RowExpr::Bool { value } => if *value { "TRUE" } else { "FALSE" }.to_string(),
            RowExpr::Neg { operand } => format!("(-{})", self.row(operand)),
            RowExpr::Not { operand } => format!("(NOT {})", self.row(operand)),
            RowExpr::Arith { op, left, right } => {
                let op = match op {
                    ArithOp::Add => "+",
                    ArithOp::Sub => "-",
                    ArithOp::Mul => "*",
                    ArithOp::Div => "/",
                };
                format!("({} {op} {})", self.row(left), self.row(right))
            }
            RowExpr::Compare { op, left, right } => {
                let op = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "<>",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                format!("({} {op} {})", self.row(left), self.row(right))
            }
            RowExpr::And { left, right } => {
                format!("({} AND {})", self.row(left), self.row(right))
            }
            RowExpr::Or { left, right } => format!("({} OR {})", self.row(left), self.row(right)),
            RowExpr::In { operand, values } => {
                let list: Vec<String> = values.iter().map(|v| self.row(v)).collect();
                format!("({} IN ({}))", self.row(operand), list.join(", "))
            }
        }
    }
}

/// `base`, or `base_2`, `base_3` … if a column of the statement already has the name.
fn unique(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// The whole script: what it is, how to read it, then the statements.
fn script(
    model: &Model,
    dialect: Dialect,
    statements: &[Statement],
    derived: &[String],
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
    let month = |m: u32| capitalized(crate::check::header::MONTHS[(m as usize - 1) % 12]);
    let period = match (h.grain, h.calendar) {
        (Grain::Week, _) => format!(
            "a week starting on {}",
            capitalized(crate::check::header::WEEKDAYS[h.week_start as usize % 7])
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
    for name in derived {
        let rule = model
            .datasets
            .iter()
            .find(|d| d.name == *name)
            .map_or("rule", |d| d.format.name());
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
