//! Owns counting the memory each thread holds, so that the Rhai sandbox can stop a script that
//! holds more than its share: an allocator that wraps the system's and keeps, per thread, the
//! bytes that thread has allocated and not yet freed.
//!
//! Rhai checks the sizes of strings, arrays and maps only at some steps (an array grown by `push`
//! is not checked), so nested arrays of long strings within every documented limit could take
//! gigabytes. The count is what the sandbox watches instead. The crates that track allocations
//! report every allocation to a global tracker through a callback; one number per thread is all
//! that is needed here, so the allocator is written out (a dozen lines around `System`).
//!
//! The `scorecard` binary installs it (`#[global_allocator]`). Where it is not installed (a
//! program using the library with its own allocator), nothing is counted and the memory limit
//! does not apply; every other limit does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting per thread what it hands out and takes back.
pub struct CountingAllocator;

thread_local! {
    /// Bytes this thread allocated and has not freed (memory freed by another thread than the
    /// one that allocated it is counted against the one that frees it).
    static HELD: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // `try_with`: a thread being torn down has no counter left, and needs none.
    let _ = HELD.try_with(|held| held.set(held.get().wrapping_add(bytes)));
}

/// What this thread holds now, in bytes: only differences between two readings mean anything.
pub fn held() -> isize {
    HELD.try_with(Cell::get).unwrap_or(0)
}

// SAFETY: every call is passed to `System` unchanged; the counting touches only a thread-local
// `Cell` with no destructor, and allocates nothing.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` came from this allocator, which is `System`'s.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`, and `new_size` is the caller's to get right.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}
