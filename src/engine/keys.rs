//! Owns checking a dataset's `key` columns unique across every row it reads: one table of the keys
//! seen, shared by the threads that read pieces of one file at once, which still reports the
//! repeat that comes first in the file.
//!
//! Threads insert in no fixed order, so a key may arrive from a later line before its first one.
//! Then the earlier line takes its place and the pair is remembered; a thread stops only when its
//! line repeats an earlier one. The repeat reported is the one whose second line comes first in the
//! file, with the line before it: the same whichever thread got there first.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;

/// Shards per key column: enough that two to a few dozen threads rarely wait for one another.
const SHARDS: usize = 64;

/// Some of one column's keys, each with the line it was first seen on.
type Shard = Mutex<HashMap<Box<[u8]>, u64>>;

/// A key value seen on two lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The declared column's index in the dataset.
    pub column: usize,
    pub value: String,
    /// The later line, and the one before it.
    pub line: u64,
    pub first_line: u64,
}

/// The keys of every `key` column of one dataset read so far, with the line each was first seen.
pub struct KeySet {
    /// Per declared column: its shards, or none when the column is no key.
    columns: Vec<Option<Vec<Shard>>>,
    hasher: foldhash::fast::FixedState,
    /// The repeat with the earliest second line that a thread passed over (see the module note).
    passed: Mutex<Option<Repeat>>,
}

impl KeySet {
    /// A table for the columns `is_key` marks.
    pub fn new(is_key: impl Iterator<Item = bool>) -> KeySet {
        KeySet {
            columns: is_key
                .map(|k| k.then(|| (0..SHARDS).map(|_| Mutex::default()).collect()))
                .collect(),
            hasher: foldhash::fast::FixedState::default(),
            passed: Mutex::new(None),
        }
    }

    /// Whether column `column` is a key checked here.
    pub fn checks(&self, column: usize) -> bool {
        self.columns.get(column).is_some_and(Option::is_some)
    }

    /// Records `value` of key column `column` on `line`. An error when an earlier line holds the
    /// same value; when only a later one does, the pair is remembered and this line takes its place.
    pub fn insert(&self, column: usize, value: &str, line: u64) -> Result<(), Repeat> {
        let Some(Some(shards)) = self.columns.get(column) else {
            return Ok(());
        };
        let shard = (self.hasher.hash_one(value.as_bytes()) % SHARDS as u64) as usize;
        let mut seen = shards[shard].lock().unwrap_or_else(|p| p.into_inner());
        let Some(other) = seen.get_mut(value.as_bytes()) else {
            seen.insert(value.as_bytes().into(), line);
            return Ok(());
        };
        let repeat = |line, first_line| Repeat {
            column,
            value: value.to_string(),
            line,
            first_line,
        };
        if *other < line {
            return Err(repeat(line, *other));
        }
        let later = std::mem::replace(other, line);
        drop(seen);
        self.pass(repeat(later, line));
        Ok(())
    }

    /// Remembers a repeat some thread passed over, keeping the one whose second line comes first.
    fn pass(&self, repeat: Repeat) {
        let mut passed = self.passed.lock().unwrap_or_else(|p| p.into_inner());
        if passed.as_ref().is_none_or(|p| repeat.line < p.line) {
            *passed = Some(repeat);
        }
    }

    /// The earliest of `stopped` (a repeat a thread stopped at) and those passed over so far.
    pub fn earliest(&self, stopped: Option<Repeat>) -> Option<Repeat> {
        let passed = self
            .passed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match (stopped, passed) {
            (Some(a), Some(b)) => Some(if b.line < a.line { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_seen_again_later_is_refused_with_the_line_before_it() {
        let keys = KeySet::new([true, false].into_iter());
        assert!(keys.checks(0) && !keys.checks(1));
        keys.insert(0, "A-1", 2).unwrap();
        keys.insert(1, "A-1", 3).unwrap();
        keys.insert(0, "A-2", 3).unwrap();
        let repeat = keys.insert(0, "A-1", 9).unwrap_err();
        assert_eq!((repeat.line, repeat.first_line), (9, 2));
        assert_eq!(keys.earliest(None), None);
    }

    #[test]
    fn a_key_met_first_on_a_later_line_gives_way_and_the_earliest_repeat_wins() {
        // A second thread read lines 500 and 700 before the first read lines 10 and 20.
        let keys = KeySet::new([true].into_iter());
        keys.insert(0, "X", 700).unwrap();
        keys.insert(0, "Y", 500).unwrap();
        keys.insert(0, "X", 10).unwrap(); // X on 700 repeats 10: passed over
        keys.insert(0, "Y", 20).unwrap(); // Y on 500 repeats 20: earlier, passed over
        let earliest = keys.earliest(None).unwrap();
        assert_eq!(
            (earliest.value.as_str(), earliest.line, earliest.first_line),
            ("Y", 500, 20)
        );
        // A thread that stopped at an earlier repeat wins over those passed.
        let stopped = keys.insert(0, "X", 30).unwrap_err();
        assert_eq!((stopped.line, stopped.first_line), (30, 10));
        assert_eq!(keys.earliest(Some(stopped)).unwrap().line, 30);
    }
}
