//! Owns the checked `audience` declarations: which segments, KPIs, perspectives and datasets one
//! audience may see, whether it sees totals over segments it cannot see and source rows, and the
//! small-cell rule that withholds values computed from too few rows or entities.

use serde::Serialize;

/// One audience, as the scorecard declares it (docs/audiences.md).
#[derive(Debug, Clone, Serialize)]
pub struct Audience {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The segments it may see: rows whose `column` holds one of `values`. `None` sees every segment.
    pub segments: Option<SegmentRule>,
    /// KPIs, perspectives and datasets it may not see, in the order written.
    pub hide: Vec<Hidden>,
    /// Whether it may see totals over segments it cannot see (`totals: visible`): then its
    /// figures are the whole scorecard's, less the segments outside its own. Otherwise every
    /// figure is computed from the rows of its own segments alone.
    pub totals: bool,
    /// Whether it may see source rows (`rows: visible`), through `explain`.
    pub rows: bool,
    /// Datasets without the segment column that it may still see (`share:`).
    pub share: Vec<String>,
    /// Values computed from fewer rows or entities than this are withheld.
    pub suppress: Option<Suppression>,
    pub line: usize,
}

/// `segments: region in ["EMEA", "APAC"]`: one text column and the values it may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentRule {
    pub column: String,
    /// Sorted, without repeats.
    pub values: Vec<String>,
}

impl SegmentRule {
    pub fn allows(&self, value: Option<&str>) -> bool {
        value.is_some_and(|v| self.values.iter().any(|x| x == v))
    }
}

/// What `hide:` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HiddenKind {
    Kpi,
    Perspective,
    Objective,
    Dataset,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hidden {
    pub kind: HiddenKind,
    pub name: String,
}

/// `suppress: count_distinct(orders.customer) < 5`: a value whose cell counts fewer than `minimum`
/// is withheld, with the complementary cells that would give it away by subtraction.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    /// The counting aggregate: `count(d)`, `count(d.c)` or `count_distinct(d.c)`. It joins
    /// `Model::aggregates` only in an audience's view (`audience::View`), so that `run` without
    /// an audience computes nothing more.
    pub count: crate::Aggregate,
    /// The dataset it counts.
    pub dataset: String,
    pub minimum: u64,
    /// As written, for messages and the manifest.
    pub text: String,
}

/// How the cell of an aggregate a KPI reads is counted.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The aggregate's table is not made from the counted table.
    Unrelated,
    /// By this count, in the same period and segment.
    Counted(Box<crate::Aggregate>),
    /// It cannot be: a table a rule makes without the counted column, which cannot tell how many
    /// rows or entities of the counted table a value of it stands for.
    Uncountable,
}

impl Suppression {
    /// How the cell of an aggregate a KPI reads is counted: the counted table with the
    /// aggregate's own `where`; a table a rule makes from it that has the counted column (a view
    /// by customer) with the `where`; an attribution's credit table, for a count of rows, by the
    /// lines of the conversions (or touches) that earned credit.
    pub fn count_for(&self, model: &crate::Model, read: &crate::Aggregate) -> Cell {
        if read.dataset == self.dataset {
            return Cell::Counted(Box::new(crate::Aggregate {
                filter: adding(read),
                ..self.count.clone()
            }));
        }
        if !model.made_from(&read.dataset).contains(&self.dataset) {
            return Cell::Unrelated;
        }
        let Some(table) = model.dataset(&read.dataset) else {
            return Cell::Uncountable;
        };
        let on_table = |column: Option<String>, func| crate::Aggregate {
            dataset: read.dataset.clone(),
            filter: adding(read),
            over_view: table.format == crate::SourceFormat::View,
            column,
            func,
            convert: None,
        };
        let own_column = self
            .count
            .column
            .as_ref()
            .filter(|c| table.column(c).is_some());
        match (own_column, self.credited_line(model, &table.name)) {
            (Some(_), _) => Cell::Counted(Box::new(on_table(
                self.count.column.clone(),
                self.count.func,
            ))),
            // Rows of the conversions (or touches) are their lines in the credit table, where a
            // touch that earned nothing (last touch's earlier ones) is a row too: only credit
            // counts.
            (None, Some(line)) if self.count.column.is_none() => Cell::Counted(Box::new(on_table(
                Some(line.to_string()),
                crate::AggFunc::CountDistinct,
            ))),
            _ => Cell::Uncountable,
        }
    }

    /// For an attribution's credit table made directly from the counted table: the column that
    /// holds the line of each of its rows (`conversion` or `touch`).
    fn credited_line(&self, model: &crate::Model, table: &str) -> Option<&'static str> {
        let rule = model.attributions.iter().find(|a| a.name == table)?;
        match (
            rule.conversions == self.dataset,
            rule.touches == self.dataset,
        ) {
            (true, _) => Some("conversion"),
            (false, true) => Some("touch"),
            (false, false) => None,
        }
    }
}

/// The rows a sum (or an average, a sum divided) reads that add something to it: its `where`,
/// and its column not 0. A row that adds nothing (a touch that earned no credit, a view's column that is 0 for every entity but
/// one) is not one of the cell's: `sum(pnl.fjord)` over a view is one customer's figure.
fn adding(read: &crate::Aggregate) -> Option<crate::RowExpr> {
    let adds = matches!(read.func, crate::AggFunc::Sum | crate::AggFunc::Avg);
    let column = read.column.as_ref().filter(|_| adds);
    let Some(column) = column else {
        return read.filter.clone();
    };
    let nonzero = crate::RowExpr::Compare {
        op: crate::CmpOp::Ne,
        left: Box::new(crate::RowExpr::Column {
            name: column.clone(),
        }),
        right: Box::new(crate::RowExpr::Number {
            value: rust_decimal::Decimal::ZERO,
        }),
    };
    Some(match read.filter.clone() {
        None => nonzero,
        Some(f) => crate::RowExpr::And {
            left: Box::new(f),
            right: Box::new(nonzero),
        },
    })
}

/// The name of the gate an audience's suppression adds to each KPI it applies to: its
/// `requires` never declares one, since names starting with `__` are refused.
pub const CELL_GATE: &str = "__audience_cells";

impl crate::Model {
    /// The tables a rule's table is made from (the touches and conversions of an attribution, the
    /// capacity and activity of an allocation, the datasets a view's columns aggregate); none for
    /// a dataset read from a source.
    pub fn table_inputs(&self, ds: &crate::Dataset) -> std::collections::BTreeSet<&str> {
        use crate::SourceFormat;
        match ds.format {
            SourceFormat::Attribution => self
                .attributions
                .iter()
                .filter(|a| a.name == ds.name)
                .flat_map(|a| [a.touches.as_str(), a.conversions.as_str()])
                .collect(),
            SourceFormat::Allocation => self
                .allocations
                .iter()
                .filter(|a| a.name == ds.name || crate::unused_table(&a.name) == ds.name)
                .flat_map(|a| [a.capacity.as_str(), a.activity.as_str()])
                .collect(),
            SourceFormat::View => self
                .views
                .iter()
                .filter(|v| v.name == ds.name)
                .flat_map(|v| self.view_inputs(v))
                .collect(),
            SourceFormat::Cohort => self
                .cohorts
                .iter()
                .filter(|c| c.name == ds.name)
                .flat_map(|c| [c.activity.as_str(), c.start.as_str()])
                .collect(),
            SourceFormat::Csv
            | SourceFormat::Parquet
            | SourceFormat::JsonLines
            | SourceFormat::Excel => Default::default(),
        }
    }

    /// The datasets a view's columns aggregate.
    pub fn view_inputs(&self, v: &crate::View) -> std::collections::BTreeSet<&str> {
        let mut reads = std::collections::BTreeSet::new();
        for c in &v.columns {
            crate::reach(&c.value, &[], &mut reads);
        }
        reads
            .iter()
            .filter_map(|i| self.aggregates.get(*i))
            .map(|a| a.dataset.as_str())
            .collect()
    }

    /// `name` and every table it is made from, through rules' tables, down to the datasets read
    /// from a source.
    pub fn made_from(&self, name: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut todo = vec![name.to_string()];
        while let Some(next) = todo.pop() {
            let Some(ds) = self.dataset(&next) else {
                continue;
            };
            if out.insert(next) {
                todo.extend(self.table_inputs(ds).into_iter().map(str::to_string));
            }
        }
        out
    }
}

/// The KPIs an expression names (not those they name in turn).
pub fn kpis_named(e: &crate::Expr, out: &mut std::collections::BTreeSet<String>) {
    scorecard_diagnostic::depth::deep(|| match e {
        crate::Expr::Kpi { name } => {
            out.insert(name.clone());
        }
        _ => e.children().into_iter().for_each(|c| kpis_named(c, out)),
    })
}
