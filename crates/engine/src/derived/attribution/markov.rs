//! Owns the Markov-chain removal effect: from the transition counts of every journey (converting and
//! not), each channel's removal effect 1 − P(conversion without it) / P(conversion), solved exactly
//! as an absorbing chain.

use std::collections::{BTreeMap, BTreeSet};

/// The state every journey starts in.
pub const START: &str = "\u{0}start";
/// The absorbing states: a conversion, and the end of a journey that did not convert.
pub const CONVERSION: &str = "\u{0}conversion";
pub const NULL: &str = "\u{0}null";

/// Each channel's removal effect, from (from, to, count) transitions. A channel whose removal leaves
/// the conversion probability unchanged has effect 0; with no conversions at all, every effect is 0.
pub fn removal_effects(transitions: &[(String, String, u64)]) -> BTreeMap<String, f64> {
    let mut channels = BTreeSet::new();
    for (from, to, _) in transitions {
        for s in [from, to] {
            if ![START, CONVERSION, NULL].contains(&s.as_str()) {
                channels.insert(s.clone());
            }
        }
    }
    let channels: Vec<String> = channels.into_iter().collect();
    let index: BTreeMap<&str, usize> = channels
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    // Transition probabilities from each transient state (channels, then the start).
    let n = channels.len();
    let start = n;
    let mut counts = vec![BTreeMap::<Target, f64>::new(); n + 1];
    for (from, to, c) in transitions {
        let Some(&f) = index
            .get(from.as_str())
            .or(if from == START { Some(&start) } else { None })
        else {
            continue;
        };
        let t = match to.as_str() {
            CONVERSION => Target::Conversion,
            NULL => Target::Null,
            other => match index.get(other) {
                Some(&i) => Target::State(i),
                None => continue,
            },
        };
        *counts[f].entry(t).or_default() += *c as f64;
    }
    let probabilities: Vec<Vec<(Target, f64)>> = counts
        .iter()
        .map(|row| {
            let total: f64 = row.values().sum();
            row.iter()
                .map(|(t, c)| (*t, if total > 0.0 { c / total } else { 0.0 }))
                .collect()
        })
        .collect();
    let base = conversion_probability(&probabilities, None);
    channels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let effect = if base > 0.0 {
                (1.0 - conversion_probability(&probabilities, Some(i)) / base).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (c.clone(), effect)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    State(usize),
    Conversion,
    Null,
}

/// The probability of reaching the conversion from the start, with `removed` sending every visit
/// to the null state. Solves x = Q x + b by Gaussian elimination with partial pivoting.
fn conversion_probability(p: &[Vec<(Target, f64)>], removed: Option<usize>) -> f64 {
    let size = p.len();
    // (I - Q) x = b
    let mut a = vec![vec![0.0; size + 1]; size];
    for (i, row) in p.iter().enumerate() {
        a[i][i] = 1.0;
        if Some(i) == removed {
            continue;
        }
        for (t, prob) in row {
            match t {
                Target::State(j) if Some(*j) != removed => a[i][*j] -= prob,
                Target::Conversion => a[i][size] += prob,
                _ => {}
            }
        }
    }
    for col in 0..size {
        let Some(pivot) = (col..size).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
        else {
            continue;
        };
        if a[pivot][col].abs() < 1e-300 {
            continue;
        }
        a.swap(col, pivot);
        for row in 0..size {
            if row != col {
                let factor = a[row][col] / a[col][col];
                if factor != 0.0 {
                    let pivot_row = a[col].clone();
                    for (cell, p) in a[row].iter_mut().zip(&pivot_row).skip(col) {
                        *cell -= factor * p;
                    }
                }
            }
        }
    }
    let start = size - 1;
    if a[start][start].abs() < 1e-300 {
        0.0
    } else {
        a[start][size] / a[start][start]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(steps: &[&str], converted: bool) -> Vec<(String, String, u64)> {
        let mut states = vec![START];
        states.extend(steps);
        states.push(if converted { CONVERSION } else { NULL });
        states
            .windows(2)
            .map(|w| (w[0].to_string(), w[1].to_string(), 1))
            .collect()
    }

    /// Sergey Bryl, "Marketing Multi-Channel Attribution model with R (part 1: Markov chain
    /// concept)", analyzecore.com, 2016: paths C1 > C2 > C3 > conversion, C1 > null and
    /// C2 > C3 > null. By hand: P(conversion) = (2/3 · 1/2 + 1/3) · 1/2 = 1/3; without C1 it is
    /// 1/3 · 1/2 = 1/6 (effect 0.5); without C2 or C3 it is 0 (effect 1). Shares 0.2, 0.4, 0.4.
    #[test]
    fn bryl_three_paths() {
        let mut t = path(&["C1", "C2", "C3"], true);
        t.extend(path(&["C1"], false));
        t.extend(path(&["C2", "C3"], false));
        let re = removal_effects(&t);
        assert!((re["C1"] - 0.5).abs() < 1e-12);
        assert!((re["C2"] - 1.0).abs() < 1e-12);
        assert!((re["C3"] - 1.0).abs() < 1e-12);
    }

    /// A channel on no converting path has no effect; with no conversion at all nothing has.
    #[test]
    fn channels_that_never_convert() {
        let mut t = path(&["A"], true);
        t.extend(path(&["B"], false));
        let re = removal_effects(&t);
        assert!((re["A"] - 1.0).abs() < 1e-12);
        assert_eq!(re["B"], 0.0);
        let none = removal_effects(&path(&["A", "B"], false));
        assert_eq!(none["A"], 0.0);
    }

    /// Self-loops and cycles, by hand: paths A > A > conversion and A > B > A > null. From A each
    /// of A, B, conversion and null has probability 1/4; from B, A has 1. So
    /// x_A = 1/4 x_A + 1/4 + 1/4 x_B with x_B = x_A, giving 1/2. Without B,
    /// x_A = 1/4 x_A + 1/4 = 1/3, an effect of 1 − (1/3)/(1/2) = 1/3.
    #[test]
    fn loops() {
        let mut t = path(&["A", "A"], true);
        t.extend(path(&["A", "B", "A"], false));
        let re = removal_effects(&t);
        assert!((re["B"] - 1.0 / 3.0).abs() < 1e-12, "{re:?}");
        assert!((re["A"] - 1.0).abs() < 1e-12);
    }
}
