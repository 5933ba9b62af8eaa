//! Owns stack room for recursion that a scorecard drives: walks of expressions, and KPIs that
//! refer to KPIs. The parser bounds how deep one expression nests (`syntax::limits`), but a chain
//! of a thousand operators, or of ten thousand KPIs each using the one before, still recurses that
//! deep, and a debug build's frames are large. Each recursive step calls `deep`, which moves onto a
//! new stack segment on the heap when the thread's stack runs low (the `stacker` crate, as rustc
//! does), so no scorecard overflows a thread's stack.

/// Room that must be left on the stack before a step runs on the current one.
const RED_ZONE: usize = 256 * 1024;

/// The size of each new segment.
const SEGMENT: usize = 4 * 1024 * 1024;

/// Runs one step of a recursion, on a new stack segment when the current one runs low.
#[inline]
pub fn deep<R>(step: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, step)
}
