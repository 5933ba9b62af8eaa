//! Owns what a run tells about itself as it goes: rows read and datasets loaded, kept in counters
//! that the command line reads to draw its progress bar (the engine itself prints nothing).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Progress {
    /// Rows read so far, over every dataset.
    pub rows: AtomicU64,
    /// Datasets to read, and how many are read.
    pub datasets: AtomicUsize,
    pub done: AtomicUsize,
    /// What the run is doing now: the dataset being read, or the step after reading.
    now: Mutex<String>,
}

impl Progress {
    pub fn set_now(&self, what: impl Into<String>) {
        if let Ok(mut now) = self.now.lock() {
            *now = what.into();
        }
    }

    pub fn now(&self) -> String {
        self.now.lock().map(|n| n.clone()).unwrap_or_default()
    }

    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// (datasets read, datasets to read).
    pub fn datasets(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.datasets.load(Ordering::Relaxed),
        )
    }
}
