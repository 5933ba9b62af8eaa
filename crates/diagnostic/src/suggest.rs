//! Owns "did you mean": the closest name in scope within one documented similarity bound.
//!
//! The bound: a candidate is offered when its edit distance (Levenshtein, over characters) to the
//! written name is at most one third of the written name's length, and at least 1. Among candidates
//! the smallest distance wins, ties broken alphabetically so the hint is stable.

/// The closest candidate within the bound, if any.
pub fn similar<'a>(
    written: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let bound = (written.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != written)
        .map(|c| (levenshtein(written, c), c))
        .filter(|(d, _)| *d <= bound)
        .min()
        .map(|(_, c)| c)
}

/// A ready hint: "did you mean `x`?".
pub fn did_you_mean<'a>(
    written: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    similar(written, candidates).map(|c| format!("did you mean `{c}`?"))
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_worked_by_hand() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("revenu", "revenue"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
    }

    #[test]
    fn bound_is_a_third_of_the_name() {
        // "revnue" (6 chars) allows distance 2: "revenue" is 1 away.
        assert_eq!(similar("revnue", ["revenue", "region"]), Some("revenue"));
        // "abc" allows distance 1 only: "xyz" is 3 away.
        assert_eq!(similar("abc", ["xyz"]), None);
        // ties go to the alphabetically first candidate
        assert_eq!(similar("cat", ["bat", "eat"]), Some("bat"));
    }
}
