//! Owns checking a dataset's `key` columns unique across every row it reads, and naming the repeat
//! that comes first in the source when they are not.
//!
//! Each reader (each thread reading a piece of a file) writes down the keys it meets, in its order:
//! a 64-bit hash of each key's value, and the key as written, one after another in one buffer
//! (`Met`). Nothing is looked up while reading. When the source has been read (or a reader stops at
//! an error), the hashes of all readers are sorted, each range of them on its own thread; two keys
//! can only be equal where two hashes are. Only the keys whose hash repeats are compared as values,
//! in source order, which gives the first repeat however the readers were scheduled.
//!
//! This replaced a hash table shared by the readers: ten million keys are ten million random probes
//! of a table far larger than the cache, and the table was a third of a keyed CSV file's reading
//! time (`docs/performance.md`). Writing the hashes down is in order, and sorting them is in cache.

use scorecard_model::{ColumnType, Dataset};
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

/// A key value seen on two lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The declared column's index in the dataset.
    pub column: usize,
    /// The later line's key, as written there.
    pub value: String,
    /// The later line, and the one before it.
    pub line: u64,
    pub first_line: u64,
}

/// The keys one reader met, per declared column (none for a column that is no key), in the order
/// it met them.
pub struct Met {
    columns: Vec<Option<Column>>,
}

/// One key column's keys as one reader met them.
#[derive(Default)]
struct Column {
    /// The hash of each key's value (see `key_value`).
    hashes: Vec<u64>,
    /// Each key as written, one after another; `ends[i]` is where key `i` ends.
    shown: Vec<u8>,
    ends: Vec<usize>,
    lines: Lines,
}

/// The line of each key, kept as the runs of consecutive lines they come in: a file with no line
/// breaks inside its fields is one run.
#[derive(Default)]
struct Lines {
    /// The key each run starts at, and its line.
    runs: Vec<(usize, u64)>,
}

impl Lines {
    fn push(&mut self, index: usize, line: u64) {
        if let Some(&(start, first)) = self.runs.last() {
            if first + (index - start) as u64 == line {
                return;
            }
        }
        self.runs.push((index, line));
    }

    fn at(&self, index: usize) -> u64 {
        let run = self.runs.partition_point(|(start, _)| *start <= index);
        let (start, first) = self.runs[run - 1];
        first + (index - start) as u64
    }
}

fn hasher() -> foldhash::fast::FixedState {
    foldhash::fast::FixedState::with_seed(0x5eed_c0de)
}

impl Met {
    /// A record of the keys of the columns `is_key` marks.
    pub fn new(is_key: impl Iterator<Item = bool>) -> Met {
        Met {
            columns: is_key.map(|k| k.then(Column::default)).collect(),
        }
    }

    /// Writes down `value` of column `column` (a key's value as compared, see `key_value`) on
    /// `line`, written there as `shown`. Nothing for a column that is no key.
    pub fn push(&mut self, column: usize, value: &str, shown: &str, line: u64) {
        let Some(Some(c)) = self.columns.get_mut(column) else {
            return;
        };
        c.lines.push(c.hashes.len(), line);
        c.hashes.push(hasher().hash_one(value.as_bytes()));
        c.shown.extend_from_slice(shown.as_bytes());
        c.ends.push(c.shown.len());
    }
}

impl Column {
    fn shown(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        // Keys are pushed as `&str`, and each ends at a key's end: always UTF-8.
        std::str::from_utf8(&self.shown[start..self.ends[index]]).unwrap_or_default()
    }
}

/// The first repeated key in the source whose readers met `met`, listed in source order, on up to
/// `threads` threads: the repeat whose later line comes first (of any key column), with the line
/// its key was first seen on.
pub fn first_repeat(ds: &Dataset, met: &[Met], threads: usize) -> Option<Repeat> {
    (0..ds.columns.len())
        .filter(|&c| ds.columns[c].key)
        .filter_map(|c| first_repeat_in(ds.columns[c].ty, c, met, threads))
        .min_by_key(|r| r.line)
}

/// The first repeat of column `column` (of type `ty`).
fn first_repeat_in(ty: ColumnType, column: usize, met: &[Met], threads: usize) -> Option<Repeat> {
    let columns: Vec<&Column> = met
        .iter()
        .filter_map(|m| m.columns.get(column)?.as_ref())
        .collect();
    let hashes: Vec<u64> = columns
        .iter()
        .flat_map(|c| c.hashes.iter().copied())
        .collect();
    let repeated = repeated_hashes(hashes, threads);
    if repeated.is_empty() {
        return None;
    }
    // Only keys whose hash repeats, in source order: the first whose value was seen before.
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    for c in columns {
        for (i, hash) in c.hashes.iter().enumerate() {
            if !repeated.contains(hash) {
                continue;
            }
            let shown = c.shown(i);
            let value = key_value(ty, shown).into_owned();
            let line = c.lines.at(i);
            match first_seen.get(&value) {
                Some(&first_line) => {
                    return Some(Repeat {
                        column,
                        value: shown.to_string(),
                        line,
                        first_line,
                    })
                }
                None => {
                    first_seen.insert(value, line);
                }
            }
        }
    }
    None
}

/// The hashes that occur more than once in `hashes`. They are spread by their top bits into
/// buckets small enough to sort in cache, and the buckets sorted on `threads` threads.
pub fn repeated_hashes(hashes: Vec<u64>, threads: usize) -> HashSet<u64> {
    const BITS: u32 = 10;
    let buckets = 1usize << BITS;
    let bucket = |h: u64| (h >> (64 - BITS)) as usize;
    let mut starts = vec![0usize; buckets + 1];
    for &h in &hashes {
        starts[bucket(h) + 1] += 1;
    }
    for b in 0..buckets {
        starts[b + 1] += starts[b];
    }
    let mut spread = vec![0u64; hashes.len()];
    let mut next = starts.clone();
    for h in hashes {
        let b = bucket(h);
        spread[next[b]] = h;
        next[b] += 1;
    }
    // Cut the buckets into one run per thread, of about equal numbers of hashes.
    let threads = threads.clamp(1, 64);
    let mut runs: Vec<&mut [u64]> = Vec::with_capacity(threads);
    let mut rest: &mut [u64] = &mut spread;
    let mut taken = 0;
    for t in 1..threads {
        let target = starts[buckets] / threads * t;
        let cut = starts[..buckets]
            .partition_point(|&s| s < target)
            .min(buckets);
        let at = starts[cut].max(taken) - taken;
        let (run, after) = rest.split_at_mut(at);
        runs.push(run);
        rest = after;
        taken += at;
    }
    runs.push(rest);
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .into_iter()
            .map(|run| {
                scope.spawn(move || {
                    // Each run is whole buckets: sort bucket by bucket, in cache.
                    let mut repeated = Vec::new();
                    let mut i = 0;
                    while i < run.len() {
                        let b = bucket(run[i]);
                        let end = i + run[i..].partition_point(|&h| bucket(h) == b);
                        let slice = &mut run[i..end];
                        slice.sort_unstable();
                        repeated.extend(slice.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]));
                        i = end;
                    }
                    repeated
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// A key's value as it is compared: a number or a day by its value (`100`, `+100` and `0100` are one
/// key, and `1.5` and `1.50`), text as written. A field that is no value of its type is kept as
/// written (the column's own check refuses it).
pub fn key_value(ty: ColumnType, text: &str) -> std::borrow::Cow<'_, str> {
    use ColumnType as T;
    let value = match ty {
        T::Integer | T::Decimal { .. } | T::Money => text
            .trim()
            .trim_start_matches('+')
            .parse::<rust_decimal::Decimal>()
            .ok()
            .map(|d| d.normalize().to_string()),
        T::Date => crate::values::date(text).ok().map(|d| d.to_string()),
        T::Timestamp => crate::values::timestamp(text).ok().map(|t| t.to_string()),
        T::Text | T::Percent | T::Bool => None,
    };
    value.map_or(std::borrow::Cow::Borrowed(text), std::borrow::Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> scorecard_model::Model {
        let source = "scorecard t { grain: month }\ndataset t { source: \"t.csv\" time: day columns: { id: text key  n: integer key  day: date  note: text } }\nkpi k { value: count(t) }\n";
        scorecard_check::compile(source).model.expect("compiles")
    }

    fn met(rows: &[(&str, &str, u64)]) -> Met {
        let m = model();
        let ds = m.dataset("t").unwrap();
        let mut met = Met::new(ds.columns.iter().map(|c| c.key));
        for (id, n, line) in rows {
            met.push(0, id, id, *line);
            met.push(1, &key_value(ColumnType::Integer, n), n, *line);
            // Column 3 is no key: its values may repeat.
            met.push(3, "same", "same", *line);
        }
        met
    }

    fn first(met: &[Met]) -> Option<(String, u64, u64)> {
        let m = model();
        first_repeat(m.dataset("t").unwrap(), met, 3).map(|r| (r.value, r.line, r.first_line))
    }

    #[test]
    fn no_repeat_among_distinct_keys_however_many() {
        let rows: Vec<(String, String, u64)> = (0..50_000u64)
            .map(|i| (format!("A-{i}"), i.to_string(), i + 2))
            .collect();
        let rows: Vec<(&str, &str, u64)> = rows
            .iter()
            .map(|(a, b, l)| (a.as_str(), b.as_str(), *l))
            .collect();
        assert_eq!(first(&[met(&rows)]), None);
    }

    #[test]
    fn the_repeat_whose_later_line_comes_first_wins_across_readers_and_columns() {
        // Reader one read lines 2-4, reader two lines 10-13 (a line break in a field before 12).
        let one = met(&[("A", "1", 2), ("B", "2", 3), ("C", "3", 4)]);
        let two = met(&[("D", "4", 10), ("B", "5", 11), ("C", "+04", 13)]);
        // B repeats on line 11; n = 4 (written +04) on line 13.
        assert_eq!(first(&[one, two]), Some(("B".into(), 11, 3)));
        let one = met(&[("A", "1", 2), ("B", "2", 3)]);
        let two = met(&[("D", "4", 10), ("E", "+04", 13), ("B", "5", 14)]);
        assert_eq!(first(&[one, two]), Some(("+04".into(), 13, 10)));
    }

    #[test]
    fn lines_are_kept_across_runs() {
        let mut lines = Lines::default();
        for (i, l) in [2, 3, 4, 7, 8, 20].into_iter().enumerate() {
            lines.push(i, l);
        }
        assert_eq!(lines.runs.len(), 3);
        let back: Vec<u64> = (0..6).map(|i| lines.at(i)).collect();
        assert_eq!(back, vec![2, 3, 4, 7, 8, 20]);
    }

    #[test]
    fn repeated_hashes_are_found_in_every_bucket_on_any_number_of_threads() {
        let mut hashes: Vec<u64> = (0..100_000u64)
            .map(|i| hasher().hash_one(i.to_le_bytes()))
            .collect();
        let repeats = [hashes[7], hashes[50_000], hashes[99_999]];
        hashes.extend(repeats);
        hashes.push(u64::MAX);
        hashes.push(u64::MAX);
        hashes.push(0);
        for threads in [1, 2, 3, 7] {
            let found = repeated_hashes(hashes.clone(), threads);
            let mut expected: HashSet<u64> = repeats.into_iter().collect();
            expected.insert(u64::MAX);
            assert_eq!(found, expected, "{threads} threads");
        }
        assert!(repeated_hashes(Vec::new(), 2).is_empty());
    }
}
