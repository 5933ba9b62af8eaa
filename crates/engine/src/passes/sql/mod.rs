//! Owns writing one aggregate pass as SQL: a dataset grouped by period (named by its first day)
//! and segment columns, every aggregate a conditional aggregate that gives exactly the value the
//! engine's own query gives. `scorecard sql` writes every pass this way (`crate::passes::sql`), and a
//! PostgreSQL source with `pushdown` has its passes run by the server (`engine::pushdown`).

mod dialect;
mod script;

pub use crate::passes::layout::Part;
pub use dialect::Dialect;
pub use script::{emit, Sql, SqlError};

use crate::passes::layout;
use scorecard_model::{print, AggFunc, ArithOp, CmpOp, ColumnType, Dataset, Model, RowExpr};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The name of every statement's first column.
pub const PERIOD: &str = "period_start";

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

/// What a statement adds for the engine, beyond what `scorecard sql` writes.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// Segment values cast to text, as the engine keys its segments.
    pub text_segments: bool,
    /// A last column, `scorecard_rows`: the rows in the group.
    pub group_rows: bool,
    /// A row filter, SQL text, put in a WHERE clause.
    pub filter: Option<String>,
}

/// The name of the `Shape::group_rows` column.
pub const GROUP_ROWS: &str = "scorecard_rows";

/// One pass as a SELECT over `relation`: `ds` grouped by period and `by`, computing `aggregates`
/// (indexes into `Model::aggregates`). `users` names, for a comment, the KPIs reading each one.
pub fn statement(
    model: &Model,
    dialect: Dialect,
    (ds, by): (&Dataset, &[String]),
    aggregates: &BTreeSet<usize>,
    (period, relation): (&str, &str),
    shape: &Shape,
    users: &BTreeMap<usize, Vec<String>>,
) -> Statement {
    let writer = Writer { model, dialect, ds };
    writer.statement(by, aggregates, (period, relation), shape, users)
}

struct Writer<'a> {
    model: &'a Model,
    dialect: Dialect,
    ds: &'a Dataset,
}

impl Writer<'_> {
    fn statement(
        &self,
        by: &[String],
        aggregates: &BTreeSet<usize>,
        (period, table): (&str, &str),
        shape: &Shape,
        users: &BTreeMap<usize, Vec<String>>,
    ) -> Statement {
        let d = self.dialect;
        let mut taken: BTreeSet<String> = std::iter::once(PERIOD.to_string())
            .chain(by.iter().cloned())
            .chain(shape.group_rows.then(|| GROUP_ROWS.to_string()))
            .collect();
        let mut columns = Vec::new();
        let mut select = vec![format!("{period} AS {}", d.ident(PERIOD))];
        select.extend(by.iter().map(|b| match shape.text_segments {
            true => format!(
                "CAST({} AS {}) AS {}",
                d.ident(b),
                d.text_type(),
                d.ident(b)
            ),
            false => d.ident(b),
        }));
        let mut comments = Vec::new();
        let mut windows = Vec::new();
        let partition: Vec<String> = std::iter::once(period.to_string())
            .chain(by.iter().map(|b| d.ident(b)))
            .collect();
        for &i in aggregates {
            let a = &self.model.aggregates[i];
            let base = match (&a.column, a.func) {
                (Some(c), f) => format!("{}_{c}", f.name()),
                (None, _) => "count_rows".to_string(),
            };
            let name = unique(&base, &mut taken);
            let parts: Vec<(Part, String)> = layout::parts(a.func)
                .iter()
                .map(|&part| (part, self.column(i, part, &partition, &mut windows)))
                .collect();
            let used = users.get(&i).map(|u| u.join(", ")).unwrap_or_default();
            let written = print::aggregate(self.model, i);
            for (part, sql) in parts {
                let (column, meaning) = match part.named() {
                    None => (name.clone(), written.clone()),
                    Some((suffix, what)) => (
                        unique(&format!("{name}_{suffix}"), &mut taken),
                        format!("{written}: {what}"),
                    ),
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
        if shape.group_rows {
            select.push(format!("COUNT(*) AS {}", d.ident(GROUP_ROWS)));
        }
        // The filter leaves rows out before any are ranked.
        let filter = match &shape.filter {
            Some(f) => format!(" WHERE {f}"),
            None => String::new(),
        };
        let source = if windows.is_empty() {
            format!("{table}{filter}")
        } else {
            format!(
                "(\n  SELECT *,\n    {}\n  FROM {table}{filter}\n) AS ranked",
                windows.join(",\n    ")
            )
        };
        let groups: Vec<String> = (1..=1 + by.len()).map(|n| n.to_string()).collect();
        let mut text = String::new();
        let segmented = if by.is_empty() {
            "per period".to_string()
        } else {
            format!("per period and {}", by.join(", "))
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
            dataset: self.ds.name.clone(),
            by: by.to_vec(),
            columns,
            text,
        }
    }

    /// The SQL of one part of aggregate `i` (its place in the pass's layout). A top share's
    /// first part adds the window columns that rank the rows of each group to `windows`.
    fn column(
        &self,
        i: usize,
        part: Part,
        partition: &[String],
        windows: &mut Vec<String>,
    ) -> String {
        let d = self.dialect;
        let a = &self.model.aggregates[i];
        // The filter is written as SQL once, however many places of the column it guards.
        let filter = a.filter.as_ref().map(|f| self.row(f));
        let filter = filter.as_deref();
        match (a.func, part) {
            (AggFunc::Avg, Part::Count) => self.aggregate("COUNT(", i, false, filter),
            (AggFunc::Avg, _) => self.aggregate("SUM(", i, true, filter),
            (AggFunc::TopShare { fraction }, part) => {
                let column = a.column.as_deref().unwrap_or_default();
                let value = self.value(column);
                if part == Part::Total {
                    return format!("SUM({value})");
                }
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
                let top = format!("{rank} - 1 < {ranked} * {fraction}");
                format!("SUM(CASE WHEN {top} THEN {value} END)")
            }
            (AggFunc::Sum, _) => self.sum(i, filter),
            (AggFunc::Count, _) => self.aggregate("COUNT(", i, false, filter),
            (AggFunc::CountDistinct, _) => self.aggregate("COUNT(DISTINCT ", i, false, filter),
            (AggFunc::Min, _) => self.aggregate("MIN(", i, false, filter),
            (AggFunc::Max, _) => self.aggregate("MAX(", i, false, filter),
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
    /// summed) or 1 for a count of rows; `filter` is the aggregate's filter as SQL.
    fn aggregate(&self, opening: &str, i: usize, summed: bool, filter: Option<&str>) -> String {
        let a = &self.model.aggregates[i];
        let x = match &a.column {
            Some(c) if summed => self.value(c),
            Some(c) => self.dialect.ident(c),
            None => "1".to_string(),
        };
        let x = match filter {
            Some(f) => format!("CASE WHEN {f} THEN {x} END"),
            None => x,
        };
        format!("{opening}{x})")
    }

    /// A sum: where a filter matched no row of the group the sum is 0, not "no value" (which is
    /// left for rows whose values are all empty), as `scorecard run` has it.
    fn sum(&self, i: usize, filter: Option<&str>) -> String {
        let sum = self.aggregate("SUM(", i, true, filter);
        match filter {
            Some(f) => {
                format!("CASE WHEN COUNT(CASE WHEN {f} THEN 1 END) = 0 THEN 0 ELSE {sum} END")
            }
            None => sum,
        }
    }

    /// A row filter, every operation in parentheses so that no dialect's precedence matters.
    fn row(&self, e: &RowExpr) -> String {
        scorecard_diagnostic::depth::deep(|| {
            let d = self.dialect;
            match e {
                // A timestamp is compared as its local day, as the engine compares it.
                RowExpr::Column { name } => match self.ds.column(name) {
                    Some(c) if c.ty == ColumnType::Timestamp => {
                        let time = d.local_time(self.model, self.ds, name, &d.ident(name));
                        format!("CAST({time} AS DATE)")
                    }
                    _ => d.ident(name),
                },
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
                RowExpr::Or { left, right } => {
                    format!("({} OR {})", self.row(left), self.row(right))
                }
                RowExpr::In { operand, values } => {
                    let list: Vec<String> = values.iter().map(|v| self.row(v)).collect();
                    format!("({} IN ({}))", self.row(operand), list.join(", "))
                }
            }
        })
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
