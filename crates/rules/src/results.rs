//! Owns a KPI's results from when they are made until they are written: held in memory, or, when
//! the run's results would not fit its memory limit and its output is written a row at a time (CSV,
//! JSON), kept on disk in a temporary file and read back in order as they are written.

use super::bands::Band;
use super::sweep::Segments;
use super::{Coverage, Row, Status, Unmet};
use rust_decimal::Decimal;
use scorecard_model::CmpOp;
use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// One KPI's results in the order they were made: period by period, the total first in each.
pub enum Results {
    Held(Vec<Row>),
    Spilled(Spilled),
}

/// Results kept on disk: the blocks of one KPI's rows in a file the run's KPIs share.
pub struct Spilled {
    store: Arc<Store>,
    /// The KPI's columns and segments (the total first), which its rows name by number.
    segments: (Vec<String>, Segments),
    /// Where each block is in the file, and its length.
    blocks: Vec<(u64, usize)>,
    count: usize,
}

/// The file spilled rows are in, and the periods its rows name by number.
struct Store {
    file: File,
    periods: Vec<String>,
}

impl Results {
    /// The rows held in memory. An evaluation spills its results only when its caller asked it to
    /// (`engine::Options::results_may_spill`), and such a caller reads them with `each` or writes
    /// them as JSON; to any other reader a spilled KPI has no rows.
    pub fn held(&self) -> &[Row] {
        match self {
            Results::Held(rows) => rows,
            Results::Spilled(_) => &[],
        }
    }

    /// The rows held in memory, to change; `None` when they were spilled (an audience's
    /// evaluation never is: `rules::run` callers that redact ask for held results).
    pub fn held_mut(&mut self) -> Option<&mut Vec<Row>> {
        match self {
            Results::Held(rows) => Some(rows),
            Results::Spilled(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Results::Held(rows) => rows.len(),
            Results::Spilled(s) => s.count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every row in order, reading spilled rows back from disk a block at a time;
    /// `read_failed` turns a failed read into the caller's error.
    pub fn each<E>(
        &self,
        read_failed: impl Fn(io::Error) -> E,
        mut f: impl FnMut(&Row) -> Result<(), E>,
    ) -> Result<(), E> {
        let spilled = match self {
            Results::Held(rows) => return rows.iter().try_for_each(f),
            Results::Spilled(s) => s,
        };
        let mut bytes = Vec::new();
        for &(at, len) in &spilled.blocks {
            bytes.resize(len, 0);
            spilled
                .store
                .file
                .read_exact_at(&mut bytes, at)
                .map_err(&read_failed)?;
            let mut rest = bytes.as_slice();
            while !rest.is_empty() {
                let row = spilled.decode(&mut rest).map_err(&read_failed)?;
                f(&row)?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Results {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Results::Held(rows) => rows.fmt(f),
            Results::Spilled(s) => write!(f, "{} rows on disk", s.count),
        }
    }
}

impl Serialize for Results {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        let read_failed = |e: io::Error| {
            S::Error::custom(format!(
                "the results kept on disk could not be read back: {e}"
            ))
        };
        self.each(read_failed, |row| seq.serialize_element(row))?;
        seq.end()
    }
}

/// Takes the results of every KPI as they are made, each into memory or, once `spill` is called,
/// onto disk.
pub(super) struct Sink {
    held: Vec<Vec<Row>>,
    spill: Option<Spiller>,
}

/// Rows on their way to disk: each KPI's encoded rows are buffered, and once `budget` bytes are
/// buffered, every buffer is written to the file as a block of its KPI. A row names its segment by
/// its place in the KPI's segments, so no segment's name is kept for the rows of every period.
struct Spiller {
    file: File,
    written: u64,
    buffers: Vec<Vec<u8>>,
    buffered: usize,
    budget: usize,
    blocks: Vec<Vec<(u64, usize)>>,
    counts: Vec<usize>,
    /// The labels of the periods rows were made in, numbered in order (rows come period by period).
    periods: Vec<String>,
    /// Each KPI's columns and segments.
    segments: Vec<(Vec<String>, Segments)>,
}

impl Sink {
    pub(super) fn held(kpis: usize) -> Sink {
        Sink {
            held: (0..kpis).map(|_| Vec::new()).collect(),
            spill: None,
        }
    }

    /// Results go to a temporary file (removed when the last reader is dropped), with at most
    /// `budget` bytes of them buffered in memory; `segments` are each KPI's columns and segments,
    /// the total first, which `push` is given a row's place in.
    pub(super) fn spilled(
        segments: Vec<(Vec<String>, Segments)>,
        budget: usize,
    ) -> io::Result<Sink> {
        let kpis = segments.len();
        Ok(Sink {
            held: Vec::new(),
            spill: Some(Spiller {
                file: tempfile::tempfile()?,
                written: 0,
                buffers: (0..kpis).map(|_| Vec::new()).collect(),
                buffered: 0,
                budget,
                blocks: (0..kpis).map(|_| Vec::new()).collect(),
                counts: vec![0; kpis],
                periods: Vec::new(),
                segments,
            }),
        })
    }

    /// Takes KPI `kpi`'s row in its segment number `segment` (0 for the total).
    pub(super) fn push(&mut self, kpi: usize, row: Row, segment: usize) -> io::Result<()> {
        match &mut self.spill {
            None => self.held[kpi].push(row),
            Some(s) => s.push(kpi, &row, segment as u32)?,
        }
        Ok(())
    }

    /// Whether rows are kept on disk.
    pub(super) fn spills(&self) -> bool {
        self.spill.is_some()
    }

    /// Every KPI's results, in the order of `push`.
    pub(super) fn finish(self) -> io::Result<Vec<Results>> {
        let Some(mut s) = self.spill else {
            return Ok(self.held.into_iter().map(Results::Held).collect());
        };
        s.flush()?;
        let store = Arc::new(Store {
            file: s.file,
            periods: s.periods,
        });
        let kpis = s.blocks.into_iter().zip(s.counts).zip(s.segments);
        Ok(kpis
            .map(|((blocks, count), segments)| {
                Results::Spilled(Spilled {
                    store: store.clone(),
                    segments,
                    blocks,
                    count,
                })
            })
            .collect())
    }
}

impl Spiller {
    fn push(&mut self, kpi: usize, row: &Row, segment: u32) -> io::Result<()> {
        let period = match self.periods.last() {
            Some(last) if *last == row.period => self.periods.len() - 1,
            _ => {
                self.periods.push(row.period.clone());
                self.periods.len() - 1
            }
        };
        let buffer = &mut self.buffers[kpi];
        let before = buffer.len();
        encode(buffer, row, period as u32, segment);
        self.buffered += buffer.len() - before;
        self.counts[kpi] += 1;
        if self.buffered >= self.budget {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes every buffered KPI's rows as one block of it.
    fn flush(&mut self) -> io::Result<()> {
        for (buffer, blocks) in self.buffers.iter_mut().zip(&mut self.blocks) {
            if buffer.is_empty() {
                continue;
            }
            self.file.write_all(buffer)?;
            blocks.push((self.written, buffer.len()));
            self.written += buffer.len() as u64;
            buffer.clear();
        }
        self.buffered = 0;
        Ok(())
    }
}

// A row on disk: its period and segment by number, then its fields in order. Written and read by
// this process only, within one run.

fn encode(out: &mut Vec<u8>, row: &Row, period: u32, segment: u32) {
    out.extend_from_slice(&period.to_le_bytes());
    out.extend_from_slice(&segment.to_le_bytes());
    out.push(row.partial as u8);
    for d in [row.value, row.target, row.variance, row.score] {
        decimal(out, d);
    }
    out.push(status_byte(row.status));
    out.extend_from_slice(&(row.bands.len() as u32).to_le_bytes());
    for b in &row.bands {
        out.push(status_byte(b.status));
        out.push(b.op.map_or(0, op_byte));
        decimal(out, b.at);
    }
    match row.window {
        None => out.push(0),
        Some(c) => {
            out.push(1);
            out.extend_from_slice(&(c.periods as u64).to_le_bytes());
            out.extend_from_slice(&(c.covered as u64).to_le_bytes());
        }
    }
    out.extend_from_slice(&(row.partial_periods.len() as u32).to_le_bytes());
    for p in &row.partial_periods {
        text(out, p);
    }
    out.extend_from_slice(&(row.unmet.len() as u32).to_le_bytes());
    for u in &row.unmet {
        text(out, &u.gate);
        text(out, &u.condition);
        out.push(match u.holds {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
        decimal(out, u.left);
        decimal(out, u.right);
    }
}

fn text(out: &mut Vec<u8>, t: &str) {
    out.extend_from_slice(&(t.len() as u32).to_le_bytes());
    out.extend_from_slice(t.as_bytes());
}

fn decimal(out: &mut Vec<u8>, d: Option<Decimal>) {
    match d {
        None => out.push(0),
        Some(d) => {
            out.push(1);
            out.extend_from_slice(&d.serialize());
        }
    }
}

const STATUSES: [Status; 6] = [
    Status::Green,
    Status::Amber,
    Status::Red,
    Status::NoValue,
    Status::Unrated,
    Status::InsufficientData,
];
const OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];

fn status_byte(s: Status) -> u8 {
    STATUSES.iter().position(|x| *x == s).unwrap_or(0) as u8
}

fn op_byte(op: CmpOp) -> u8 {
    OPS.iter().position(|x| *x == op).map_or(0, |i| i as u8 + 1)
}

impl Spilled {
    fn decode(&self, bytes: &mut &[u8]) -> io::Result<Row> {
        decode(bytes, &self.store, &self.segments)
    }
}

fn decode(
    bytes: &mut &[u8],
    store: &Store,
    (by, segments): &(Vec<String>, Segments),
) -> io::Result<Row> {
    let period = u32_at(bytes)? as usize;
    let segment = u32_at(bytes)? as usize;
    let partial = byte(bytes)? != 0;
    let value = decimal_at(bytes)?;
    let target = decimal_at(bytes)?;
    let variance = decimal_at(bytes)?;
    let score = decimal_at(bytes)?;
    let status = status_at(bytes)?;
    let mut bands = Vec::new();
    for _ in 0..u32_at(bytes)? {
        let status = status_at(bytes)?;
        let op = match byte(bytes)? {
            0 => None,
            n => Some(*OPS.get(n as usize - 1).ok_or_else(corrupt)?),
        };
        let at = decimal_at(bytes)?;
        bands.push(Band { status, op, at });
    }
    let window = match byte(bytes)? {
        0 => None,
        _ => Some(Coverage {
            periods: u64_at(bytes)? as usize,
            covered: u64_at(bytes)? as usize,
        }),
    };
    let mut partial_periods = Vec::new();
    for _ in 0..u32_at(bytes)? {
        partial_periods.push(text_at(bytes)?);
    }
    let mut unmet = Vec::new();
    for _ in 0..u32_at(bytes)? {
        let gate = text_at(bytes)?;
        let condition = text_at(bytes)?;
        let holds = match byte(bytes)? {
            0 => None,
            n => Some(n == 2),
        };
        let left = decimal_at(bytes)?;
        let right = decimal_at(bytes)?;
        unmet.push(Unmet {
            gate,
            condition,
            holds,
            left,
            right,
        });
    }
    Ok(Row {
        period: store.periods.get(period).ok_or_else(corrupt)?.clone(),
        partial,
        partial_periods,
        unmet,
        segment: Arc::new(super::eval::segment_map(
            by,
            segments.get(segment).ok_or_else(corrupt)?,
        )),
        value,
        target,
        variance,
        status,
        score,
        bands,
        window,
    })
}

fn corrupt() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "a row on disk is damaged")
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> io::Result<&'a [u8]> {
    if bytes.len() < n {
        return Err(corrupt());
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn byte(bytes: &mut &[u8]) -> io::Result<u8> {
    Ok(take(bytes, 1)?[0])
}

fn u32_at(bytes: &mut &[u8]) -> io::Result<u32> {
    let b = take(bytes, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn text_at(bytes: &mut &[u8]) -> io::Result<String> {
    let n = u32_at(bytes)? as usize;
    String::from_utf8(take(bytes, n)?.to_vec()).map_err(|_| corrupt())
}

fn u64_at(bytes: &mut &[u8]) -> io::Result<u64> {
    let mut a = [0; 8];
    a.copy_from_slice(take(bytes, 8)?);
    Ok(u64::from_le_bytes(a))
}

fn status_at(bytes: &mut &[u8]) -> io::Result<Status> {
    STATUSES
        .get(byte(bytes)? as usize)
        .copied()
        .ok_or_else(corrupt)
}

fn decimal_at(bytes: &mut &[u8]) -> io::Result<Option<Decimal>> {
    if byte(bytes)? == 0 {
        return Ok(None);
    }
    let mut a = [0; 16];
    a.copy_from_slice(take(bytes, 16)?);
    Ok(Some(Decimal::deserialize(a)))
}
