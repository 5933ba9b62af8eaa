//! Owns finding each conversion's journey: the eligible touches with its match keys inside its
//! window, in time order (ties by line), and the transitions of every journey, converting or not,
//! that the Markov model counts.

use super::inputs::{Conversions, Touches, NO_NAME, NO_TIME};
use super::markov;
use datafusion::common::HashMap;
use std::ops::Range;

pub struct Journeys {
    /// Touch indices grouped by match key, each group in (time, line) order.
    order: Vec<u32>,
    /// Group `g` is `order[starts[g]..starts[g + 1]]`.
    starts: Vec<usize>,
    /// Per conversion, its journey as a range of `order`; empty when no touch is eligible.
    spans: Vec<Range<usize>>,
}

impl Journeys {
    /// Matches every conversion to the touches of its group from `before` seconds before it up to
    /// `after` seconds after it, or within its own window where `windows` gives each one (a
    /// conversion on a date in a zone whose days are not all 24 hours long).
    pub fn find(
        touches: &Touches,
        conversions: &Conversions,
        (before, after): (i64, i64),
        windows: Option<&[(i64, i64)]>,
    ) -> Self {
        let mut starts = vec![0usize; touches.groups + 1];
        for &g in &touches.group {
            starts[g as usize + 1] += 1;
        }
        for g in 0..touches.groups {
            starts[g + 1] += starts[g];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; touches.group.len()];
        for (i, &g) in touches.group.iter().enumerate() {
            order[next[g as usize]] = i as u32;
            next[g as usize] += 1;
        }
        let key = |&i: &u32| (touches.time[i as usize], touches.line[i as usize]);
        for g in 0..touches.groups {
            order[starts[g]..starts[g + 1]].sort_unstable_by_key(key);
        }
        let spans = (0..conversions.line.len())
            .map(|c| match (conversions.group[c], conversions.time[c]) {
                (Some(g), Some(t)) => {
                    let (from, to) = match windows.and_then(|w| w.get(c)) {
                        Some(&window) => window,
                        None => (t.saturating_sub(before), t.saturating_add(after)),
                    };
                    let s = starts[g as usize];
                    let group = &order[s..starts[g as usize + 1]];
                    let time = |i: &u32| touches.time[*i as usize];
                    let lo = group.partition_point(|i| {
                        let t = time(i);
                        t == NO_TIME || t < from
                    });
                    let hi = group.partition_point(|i| time(i) <= to);
                    s + lo..s + hi.max(lo)
                }
                _ => 0..0,
            })
            .collect();
        Journeys {
            order,
            starts,
            spans,
        }
    }

    /// The touches of conversion `c`'s journey, in order.
    pub fn of(&self, c: usize) -> &[u32] {
        &self.order[self.spans[c].clone()]
    }

    /// (from, to, count) for every step of every journey: from the start into the first touch's
    /// channel, from each channel into the next, and from the last into the conversion. Touches in
    /// no conversion's journey form each key group's journey that did not convert, ending in null.
    pub fn transitions(&self, touches: &Touches) -> Vec<(String, String, u64)> {
        const START: u32 = u32::MAX - 1;
        const CONVERSION: u32 = u32::MAX - 2;
        const NULL: u32 = u32::MAX - 3;
        let mut counts: HashMap<(u32, u32), u64> = HashMap::default();
        let mut walk = |steps: &mut dyn Iterator<Item = u32>, end: u32| {
            let mut from = START;
            for i in steps {
                let to = touches.to[i as usize];
                *counts.entry((from, to)).or_default() += 1;
                from = to;
            }
            if from != START {
                *counts.entry((from, end)).or_default() += 1;
            }
        };
        let mut used = vec![false; touches.group.len()];
        for span in &self.spans {
            for &i in &self.order[span.clone()] {
                used[i as usize] = true;
            }
            walk(&mut self.order[span.clone()].iter().copied(), CONVERSION);
        }
        for g in 0..self.starts.len() - 1 {
            let group = &self.order[self.starts[g]..self.starts[g + 1]];
            walk(
                &mut group.iter().copied().filter(|&i| !used[i as usize]),
                NULL,
            );
        }
        // A touch with no value in `credit_to` is the state named "".
        let name = |s: u32| match s {
            START => markov::START.to_string(),
            CONVERSION => markov::CONVERSION.to_string(),
            NULL => markov::NULL.to_string(),
            NO_NAME => String::new(),
            i => touches.names[i as usize].clone(),
        };
        let mut named: HashMap<(String, String), u64> = HashMap::default();
        for ((from, to), n) in counts {
            *named.entry((name(from), name(to))).or_default() += n;
        }
        let mut out: Vec<(String, String, u64)> =
            named.into_iter().map(|((f, t), n)| (f, t, n)).collect();
        out.sort();
        out
    }
}
