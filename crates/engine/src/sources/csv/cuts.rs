//! Owns finding where CSV records end in text that begins at the start of a record, so that a
//! chunk of a file can be cut into pieces that are parsed in parallel even when fields are quoted
//! and hold line breaks.
//!
//! The rules are the csv crate's (as `csv_core` reads with its defaults): a `"` opens a quoted
//! field only at the start of a field (the start of the text, or after `,`, `\n` or `\r`); inside
//! one, `""` is a quote and a lone `"` closes it; any other `"` is an ordinary character. A line
//! break outside quotes ends a record: `\n`, `\r\n`, or `\r` alone (as old Mac files end lines).

use memchr::{memchr2, memchr2_iter, memchr_iter, memrchr2};

/// Where records end in a text: `at[i]` is the first record end at or after `targets[i]` (none
/// when the rest holds none), and `last` the last record end in the text (0 when it holds none).
/// A record end is the position just after its line break. `open` is where a quoted field opens
/// that the text does not close.
#[derive(Debug, PartialEq, Eq)]
pub struct Cuts {
    pub at: Vec<Option<usize>>,
    pub last: usize,
    pub open: Option<usize>,
}

/// The record ends of `text` nearest after each of `targets` (in increasing order), and its last.
///
/// One pass over the quotes (found by one vectorised search, not one call per field: a spreadsheet
/// export quotes every field), looking for line breaks only in the stretches between quoted
/// fields.
pub fn cuts(text: &[u8], targets: &[usize]) -> Cuts {
    let mut found = Found {
        text,
        targets,
        cuts: Cuts {
            at: vec![None; targets.len()],
            last: 0,
            open: None,
        },
        next: 0,
    };
    let mut quotes = memchr_iter(b'"', text);
    // Where the stretch outside quotes that is being read began.
    let mut start = 0;
    while let Some(quote) = quotes.next() {
        let opens = quote == 0 || matches!(text[quote - 1], b',' | b'\n' | b'\r');
        if !opens {
            continue;
        }
        found.unquoted(start, quote);
        // The lone `"` that closes the field; `""` is a quote inside it.
        loop {
            let Some(q) = quotes.next() else {
                // The text ends inside the quotes.
                found.cuts.open = Some(quote);
                return found.cuts;
            };
            if text.get(q + 1) != Some(&b'"') {
                start = q + 1;
                break;
            }
            quotes.next();
        }
    }
    found.unquoted(start, text.len());
    found.cuts
}

/// The record ends found so far, and the next target to find one for.
struct Found<'t> {
    text: &'t [u8],
    targets: &'t [usize],
    cuts: Cuts,
    next: usize,
}

impl Found<'_> {
    /// Takes the record ends in `text[start..end]`, a stretch outside quotes.
    fn unquoted(&mut self, start: usize, end: usize) {
        let text = self.text;
        if start >= end {
            return;
        }
        while let Some(&target) = self.targets.get(self.next) {
            let from = target.max(start);
            if from >= end {
                break;
            }
            match memchr2(b'\n', b'\r', &text[from..end]) {
                Some(k) => {
                    self.cuts.at[self.next] = Some(record_end(text, from + k));
                    self.next += 1;
                }
                None => break,
            }
        }
        // Most stretches between quoted fields are a separator or a line break: look at their
        // bytes directly rather than through a search's setup.
        let mut stretch = &text[start..end];
        // A `\r` that ends the text may be the first half of a `\r\n` whose `\n` is not read
        // yet: the record before it ends at the line break before.
        if end == text.len() && stretch.last() == Some(&b'\r') {
            stretch = &stretch[..stretch.len() - 1];
        }
        let last = match stretch.len() <= 16 {
            true => stretch.iter().rposition(|&b| b == b'\n' || b == b'\r'),
            false => memrchr2(b'\n', b'\r', stretch),
        };
        if let Some(k) = last {
            self.cuts.last = record_end(text, start + k);
        }
    }
}

/// The line breaks in `text`: each `\n`, and each `\r` not followed by one (`\r\n` is one
/// break). The csv crate's own line numbers count `\n` only, and at a record's start, before the
/// `\n` of a `\r\n` that ended the record before: every record of a file with `\r\n` ends
/// was a line early, and of one with `\r` ends, on line 1.
pub fn line_breaks(text: &[u8]) -> u64 {
    memchr2_iter(b'\n', b'\r', text)
        .filter(|&at| text[at] == b'\n' || text.get(at + 1) != Some(&b'\n'))
        .count() as u64
}

/// Where the record that a reader's position `at` stands before begins: past the line breaks
/// (and blank lines) the reader had not yet passed.
pub fn record_start(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && matches!(text[at], b'\n' | b'\r') {
        at += 1;
    }
    at.min(text.len())
}

/// Where the record whose line break is at `at` ends: after it, or after the `\n` of a `\r\n`.
fn record_end(text: &[u8], at: usize) -> usize {
    match (text[at], text.get(at + 1)) {
        (b'\r', Some(b'\n')) => at + 2,
        _ => at + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records the csv crate reads from `text`, field by field.
    fn records(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            out.push(record.iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    /// Every cut of `text`: one asked for at each byte.
    fn all_cuts(text: &[u8]) -> Vec<usize> {
        let targets: Vec<usize> = (0..text.len()).collect();
        let mut at: Vec<usize> = cuts(text, &targets).at.into_iter().flatten().collect();
        at.dedup();
        at
    }

    /// The records of the pieces `text` is cut into at `at`, read one piece at a time.
    fn records_in_pieces(text: &[u8], at: &[usize]) -> Vec<Vec<Vec<u8>>> {
        let mut bounds = vec![0];
        bounds.extend(at);
        bounds.push(text.len());
        bounds
            .windows(2)
            .flat_map(|w| records(&text[w[0]..w[1]]))
            .collect()
    }

    #[test]
    fn record_ends_are_the_line_breaks_outside_quotes() {
        let text = b"1,\"a\nb\",x\n2,\"say \"\"hi\"\"\nthere\",y\n3,5\" screen,z\n";
        // Counted by hand: the records end after bytes 10, 33 and 47.
        assert_eq!(all_cuts(text), vec![10, 33, 47]);
        assert_eq!(cuts(text, &[]).last, 47);
        // A cut asked for inside the quoted line break lands after its record.
        assert_eq!(cuts(text, &[4, 11]).at, vec![Some(10), Some(33)]);
        assert_eq!(records_in_pieces(text, &[10, 33]), records(text));
    }

    #[test]
    fn a_text_that_ends_inside_quotes_has_no_cut_past_its_last_whole_record() {
        let text = b"1,a\n2,\"open\nstill open\n";
        let c = cuts(text, &[5, 10]);
        assert_eq!((c.at, c.last, c.open), (vec![None, None], 4, Some(6)));
        assert_eq!(cuts(b"\"never closed\n", &[0]).last, 0);
        assert_eq!(cuts(b"1,\"closed\"\n", &[0]).open, None);
    }

    #[test]
    fn quotes_after_a_closed_field_or_mid_field_do_not_open_one() {
        // `"ab"c"` closes at the second quote; the third is an ordinary character, so the line
        // break after it ends the record.
        assert_eq!(all_cuts(b"\"ab\"c\",1\n2,3\n"), vec![9, 13]);
        assert_eq!(all_cuts(b"x\"y,1\n\"z\"\"\",2\n"), vec![6, 14]);
        assert_eq!(all_cuts(b"\r\n\"a\r\nb\"\r\n"), vec![2, 10]);
        // Lines ended by `\r` alone, one holding a quoted `\n` (a valid file was refused once it
        // spanned two chunks, as one endless record).
        assert_eq!(all_cuts(b"a,1\r\"b\nc\",2\rd,3\r"), vec![4, 12, 16]);
    }

    #[test]
    fn random_texts_read_the_same_whole_and_cut_into_pieces() {
        // SplitMix64, so the texts are the same on every run.
        let mut state = 20261206u64;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for _ in 0..1_000 {
            let len = (next() % 60) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| [b'"', b',', b'\n', b'\r', b'a', b' '][(next() % 6) as usize])
                .collect();
            let whole = records(&text);
            let shown = String::from_utf8_lossy(&text);
            assert_eq!(
                records_in_pieces(&text, &all_cuts(&text)),
                whole,
                "{shown:?}"
            );
            let last = cuts(&text, &[]).last;
            assert_eq!(records_in_pieces(&text, &[last]), whole, "{shown:?}");
        }
    }
}
