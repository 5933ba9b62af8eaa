//! Owns checking a dataset's `key` columns unique across every row it reads: one table of the keys
//! seen, shared by the threads that read pieces of one file at once, which still reports the
//! repeat that comes first in the file.
//!
//! The keys' text is kept in one growing buffer per shard, and the table holds where each key
//! sits: ten million keys are ten million entries, not ten million allocations to make and free.
//!
//! Threads insert in no fixed order, so a key may arrive from a later line before its first one.
//! Then the earlier line takes its place and the pair is remembered; a thread stops only when its
//! line repeats an earlier one. The repeat reported is the one whose second line comes first in the
//! file, with the line before it: the same whichever thread got there first.

use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::Mutex;

/// Shards per key column: enough that two to a few dozen threads rarely wait for one another.
const SHARDS: usize = 64;

/// Some of one column's keys: their text, one after another, and where each sits with the line it
/// was first seen on.
#[derive(Default)]
struct Keys {
    text: Vec<u8>,
    table: HashTable<Entry>,
}

type Shard = Mutex<Keys>;

#[derive(Clone, Copy)]
struct Entry {
    start: usize,
    len: usize,
    line: u64,
}

impl Entry {
    fn key<'t>(&self, text: &'t [u8]) -> &'t [u8] {
        &text[self.start..self.start + self.len]
    }
}

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

    /// Records `value` of key column `column` on `line` (written there as `shown`). An error when
    /// an earlier line holds the same value; when only a later one does, the pair is remembered and
    /// this line takes its place.
    pub fn insert(&self, column: usize, value: &str, shown: &str, line: u64) -> Result<(), Repeat> {
        let Some(Some(shards)) = self.columns.get(column) else {
            return Ok(());
        };
        let bytes = value.as_bytes();
        let hash = self.hasher.hash_one(bytes);
        // The shard from bits the table does not use for its buckets (the low ones) or its tags
        // (the top seven).
        let shard = ((hash >> 32) % SHARDS as u64) as usize;
        let mut guard = shards[shard].lock().unwrap_or_else(|p| p.into_inner());
        let Keys { text, table } = &mut *guard;
        let Some(other) = table.find_mut(hash, |e| e.key(text) == bytes) else {
            let entry = Entry {
                start: text.len(),
                len: bytes.len(),
                line,
            };
            text.extend_from_slice(bytes);
            let hasher = &self.hasher;
            table.insert_unique(hash, entry, |e| hasher.hash_one(e.key(text)));
            return Ok(());
        };
        let repeat = |line, first_line| Repeat {
            column,
            value: shown.to_string(),
            line,
            first_line,
        };
        if other.line < line {
            return Err(repeat(line, other.line));
        }
        let later = std::mem::replace(&mut other.line, line);
        drop(guard);
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
        keys.insert(0, "A-1", "A-1", 2).unwrap();
        keys.insert(1, "A-1", "A-1", 3).unwrap();
        keys.insert(0, "A-2", "A-2", 3).unwrap();
        // Column 1 is no key: its values may repeat.
        keys.insert(1, "A-1", "A-1", 4).unwrap();
        let repeat = keys.insert(0, "A-1", "A-1", 9).unwrap_err();
        assert_eq!((repeat.line, repeat.first_line), (9, 2));
        assert_eq!(keys.earliest(None), None);
    }

    #[test]
    fn a_key_met_first_on_a_later_line_gives_way_and_the_earliest_repeat_wins() {
        // A second thread read lines 500 and 700 before the first read lines 10 and 20.
        let keys = KeySet::new([true].into_iter());
        keys.insert(0, "X", "X", 700).unwrap();
        keys.insert(0, "Y", "Y", 500).unwrap();
        keys.insert(0, "X", "X", 10).unwrap(); // X on 700 repeats 10: passed over
        keys.insert(0, "Y", "Y", 20).unwrap(); // Y on 500 repeats 20: earlier, passed over
        let earliest = keys.earliest(None).unwrap();
        assert_eq!(
            (earliest.value.as_str(), earliest.line, earliest.first_line),
            ("Y", 500, 20)
        );
        // A thread that stopped at an earlier repeat wins over those passed.
        let stopped = keys.insert(0, "X", "X", 30).unwrap_err();
        assert_eq!((stopped.line, stopped.first_line), (30, 10));
        assert_eq!(keys.earliest(Some(stopped)).unwrap().line, 30);
    }
}
