//! Owns what a session kept warm between versions of a scorecard remembers (the language
//! server's, `report --serve`'s): the rule tables and what deriving them gave, each aggregate's
//! results in each pass, and the datasets' checks, so that a version computes only the aggregates
//! it adds (`Memo`); and holding every dataset read from a file in memory (`Session::hold`).

use crate::passes::plan::Pass;
use crate::{checks, cohort, credits, view, Cell, DataError, Note, RowKey, Session, Table};
use datafusion::datasource::MemTable;
use scorecard_model::Model;
use sha2::Digest as _;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// What the passes of earlier versions computed, kept for the next version.
#[derive(Default)]
pub(crate) struct Memo {
    /// What the rule tables were derived from (`derived_key`) and what deriving them gave; the
    /// tables themselves stay registered in the session.
    derived: Option<(String, Derived)>,
    /// Each aggregate's results in a pass, by the pass and `column_key` (the aggregate as written,
    /// and what its results depend on besides the rows).
    columns: BTreeMap<(Pass, String), Arc<HashMap<RowKey, Cell>>>,
    /// The datasets' checks and their warnings, by what they depend on (`checks_key`) and the
    /// periods reported when they ran.
    checks: Option<ChecksRun>,
    /// How the last version was computed.
    pub(crate) last: Reuse,
    /// For each dataset of the version being computed, what an aggregate's results depend on
    /// besides its definition and the rows (`begin`).
    context: BTreeMap<String, String>,
}

/// The checks run, with what they depended on (`checks_key` and the periods reported), and the
/// warnings of those that failed.
type ChecksRun = ((String, Vec<i64>), Vec<checks::Checked>, Vec<Note>);

/// What deriving the rule tables gave besides the tables.
#[derive(Clone, Default)]
pub(crate) struct Derived {
    pub(crate) curves: Vec<view::Curve>,
    pub(crate) cohorts: Vec<cohort::Triangle>,
    pub(crate) notes: Vec<Note>,
    pub(crate) credits: Vec<credits::Credit>,
}

/// How much of a version was computed and how much was remembered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    /// Aggregates computed by a query over the rows (in every pass they are in).
    pub computed: usize,
    /// Aggregates whose results were remembered.
    pub remembered: usize,
    /// Whether the rule tables (attribution, allocation, view, cohort) were derived again.
    pub derived_again: bool,
}

/// What the rule tables of `model` are derived from, as text: equal text, equal tables.
pub(crate) fn derived_key(model: &Model) -> String {
    let part = (
        &model.attributions,
        &model.allocations,
        &model.views,
        &model.cohorts,
        &model.functions,
        &model.datasets,
        &model.header,
    );
    serde_json::to_string(&part).unwrap_or_default()
}

/// An aggregate of `model` as remembered: its definition, and what its results depend on besides
/// the rows (`Memo::begin`).
fn column_key(model: &Model, aggregate: usize, context: &BTreeMap<String, String>) -> String {
    let a = &model.aggregates[aggregate];
    let around = context.get(&a.dataset).map(String::as_str).unwrap_or("");
    format!("{}\n{around}", serde_json::to_string(a).unwrap_or_default())
}

/// What the datasets' checks of `model` depend on besides the rows: the datasets' declarations
/// and the day (a check of freshness reads today).
fn checks_key(model: &Model) -> String {
    let today = model.header.zone().today();
    let part = (&model.datasets, &model.header);
    format!(
        "{today}\n{}",
        serde_json::to_string(&part).unwrap_or_default()
    )
}

impl Memo {
    /// Starts computing a version: for each of its datasets, the declaration (its columns' types,
    /// its time column and zone), the header (the calendar and zone periods are worked out in) and
    /// the rates money converts at, written once for every aggregate's key.
    pub(crate) fn begin(&mut self, model: &Model) {
        let shared = serde_json::to_string(&(&model.header, &model.rates)).unwrap_or_default();
        self.context = model
            .datasets
            .iter()
            .map(|d| {
                let declared = serde_json::to_string(d).unwrap_or_default();
                // Its digest: the keys stay short, and a collision is out of reach.
                let digest = sha2::Sha256::digest(format!("{declared}\n{shared}"));
                (d.name.clone(), crate::hex(&digest))
            })
            .collect();
    }

    /// What deriving the tables gave, when they were derived from what `key` says.
    pub(crate) fn derived(&self, key: &str) -> Option<&Derived> {
        self.derived
            .as_ref()
            .filter(|(k, _)| k == key)
            .map(|(_, d)| d)
    }

    /// Remembers the tables derived from `key`; every pass over a rule's table is forgotten.
    pub(crate) fn keep_derived(&mut self, model: &Model, key: String, derived: Derived) {
        self.derived = Some((key, derived));
        self.columns
            .retain(|(pass, _), _| model.dataset(&pass.dataset).is_some_and(|d| d.is_file()));
        self.last.derived_again = true;
    }

    /// The aggregates of `pass` whose results are not remembered.
    pub(crate) fn missing(
        &self,
        model: &Model,
        pass: &Pass,
        aggregates: &BTreeSet<usize>,
    ) -> BTreeSet<usize> {
        let known = |i: &usize| {
            self.columns
                .contains_key(&(pass.clone(), column_key(model, *i, &self.context)))
        };
        aggregates.iter().copied().filter(|i| !known(i)).collect()
    }

    /// Remembers the results of the aggregates `computed` holds, then makes the pass's table of
    /// every aggregate in `aggregates` from what is remembered.
    pub(crate) fn assemble(
        &mut self,
        model: &Model,
        pass: &Pass,
        aggregates: &BTreeSet<usize>,
        computed: Table,
    ) -> Table {
        self.last.computed += computed.slots.len();
        self.last.remembered += aggregates.len() - computed.slots.len();
        for (&i, &slot) in &computed.slots {
            let column: HashMap<RowKey, Cell> = computed
                .rows
                .iter()
                .map(|(key, cells)| (key.clone(), cells[slot]))
                .collect();
            let key = (pass.clone(), column_key(model, i, &self.context));
            self.columns.insert(key, Arc::new(column));
        }
        let columns: Vec<(usize, Arc<HashMap<RowKey, Cell>>)> = aggregates
            .iter()
            .filter_map(|&i| {
                let key = (pass.clone(), column_key(model, i, &self.context));
                self.columns.get(&key).map(|c| (i, c.clone()))
            })
            .collect();
        let mut table = Table::default();
        for (slot, (i, _)) in columns.iter().enumerate() {
            table.slots.insert(*i, slot);
        }
        // Every aggregate of a pass groups the same rows: their keys are the same.
        let keys: BTreeSet<&RowKey> = columns.iter().flat_map(|(_, c)| c.keys()).collect();
        for key in keys {
            let cells = columns
                .iter()
                .map(|(_, c)| c.get(key).copied().unwrap_or_default())
                .collect();
            table.rows.insert(key.clone(), cells);
        }
        table
    }

    /// The checks that ran for the same datasets and day when these periods were reported.
    pub(crate) fn checks(
        &self,
        model: &Model,
        periods: &[i64],
    ) -> Option<(Vec<checks::Checked>, Vec<Note>)> {
        let ((key, p), checked, notes) = self.checks.as_ref()?;
        (p == periods && *key == checks_key(model)).then(|| (checked.clone(), notes.clone()))
    }

    pub(crate) fn keep_checks(
        &mut self,
        (model, periods): (&Model, &[i64]),
        checked: Vec<checks::Checked>,
        notes: Vec<Note>,
    ) {
        self.checks = Some(((checks_key(model), periods.to_vec()), checked, notes));
    }

    /// Forgets the results of every aggregate `model` does not compute, so that what is kept
    /// stays the size of one version's.
    pub(crate) fn keep_only(&mut self, model: &Model, passes: &BTreeMap<Pass, BTreeSet<usize>>) {
        let used: BTreeSet<(Pass, String)> = passes
            .iter()
            .flat_map(|(p, aggs)| {
                aggs.iter()
                    .map(|&i| (p.clone(), column_key(model, i, &self.context)))
            })
            .collect();
        self.columns.retain(|k, _| used.contains(k));
    }
}

/// The memory the arrays of `batches` take, each allocation counted once: batches read from a
/// file are often slices of larger buffers they share, which `get_array_memory_size` counts once
/// per batch. `counted` holds the allocations already counted.
fn allocated<'b>(
    batches: impl Iterator<Item = &'b datafusion::arrow::record_batch::RecordBatch>,
    counted: &mut std::collections::HashSet<usize>,
) -> usize {
    fn of(
        data: &datafusion::arrow::array::ArrayData,
        counted: &mut std::collections::HashSet<usize>,
    ) -> usize {
        let nulls = data.nulls().map(|n| n.buffer());
        let mut bytes = 0;
        for buffer in data.buffers().iter().chain(nulls) {
            if counted.insert(buffer.data_ptr().as_ptr() as usize) {
                bytes += buffer.capacity().max(buffer.len());
            }
        }
        bytes
            + data
                .child_data()
                .iter()
                .map(|c| of(c, counted))
                .sum::<usize>()
    }
    batches
        .flat_map(|b| b.columns().iter())
        .map(|a| of(&a.to_data(), counted))
        .sum()
}

/// The column of each held row's period (`Session::hold`), which a pass groups by instead of
/// working the period out again (`query::grouping`).
pub(crate) const HELD_PERIOD: &str = "__held_period";

/// The rows a session holds in memory (`Session::hold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Every dataset read from a file is in memory: this many bytes of it.
    InMemory(usize),
    /// Holding them would take more than the limit: at least this many bytes.
    OverLimit(usize),
}

impl Session {
    /// Keeps, from now on, what each computation gives for the next (`aggregate_again`
    /// computes only the aggregates an earlier version did not).
    pub fn remember(&mut self) {
        self.memo.get_or_insert_with(Memo::default);
    }

    /// How the last `aggregate_again` was computed; `None` unless the session remembers.
    pub fn reuse(&self) -> Option<Reuse> {
        self.memo.as_ref().map(|m| m.last)
    }

    /// Holds every dataset of `model` read from a file in memory (a Parquet file is otherwise
    /// scanned by each pass), unless that takes more than `limit` bytes: then the tables stay as
    /// they were, and what was collected is let go.
    pub fn hold(&mut self, model: &Model, limit: usize) -> Result<Held, DataError> {
        use datafusion::common::TableReference;
        let mut held = Vec::new();
        let mut bytes = 0usize;
        let mut counted = std::collections::HashSet::new();
        for ds in model.datasets.iter().filter(|d| d.is_file()) {
            let name = TableReference::bare(ds.name.as_str());
            if !self.ctx.table_exist(name.clone())? {
                continue;
            }
            let mut table = self.runtime.block_on(self.ctx.table(name.clone()))?;
            // Each row's period, worked out once here rather than by every pass.
            if table.schema().has_column_with_unqualified_name(&ds.time) {
                let time = crate::passes::period::Time::of(model, ds);
                let period = crate::passes::period::period_of(time, self.periods);
                table = table.with_column(HELD_PERIOD, period)?;
            }
            let schema = Arc::new(table.schema().as_arrow().clone());
            // Collected in the file's order, so that each row's line (`__line`, a row number
            // over the scan) is its place in the file, as when the file is read; then cut into
            // one run of batches per core for the passes.
            let table = crate::sources::parquet::in_file_order(table);
            let batches: Vec<_> = self
                .runtime
                .block_on(table.collect_partitioned())?
                .into_iter()
                .flatten()
                .collect();
            let cores = self.ctx.copied_config().target_partitions().max(1);
            let size = batches.len().div_ceil(cores).max(1);
            let parts: Vec<Vec<_>> = batches.chunks(size).map(<[_]>::to_vec).collect();
            let parts = if parts.is_empty() {
                vec![Vec::new()]
            } else {
                parts
            };
            bytes += allocated(parts.iter().flatten(), &mut counted);
            if bytes > limit {
                return Ok(Held::OverLimit(bytes));
            }
            held.push((name, MemTable::try_new(schema, parts)?));
        }
        for (name, table) in held {
            self.ctx.deregister_table(name.clone())?;
            self.ctx.register_table(name, Arc::new(table))?;
        }
        Ok(Held::InMemory(bytes))
    }
}
