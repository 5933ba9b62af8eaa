//! Owns reading a CSV file into Arrow record batches under the declared schema, checking every field
//! and reporting the first misfit with its file, line, column and value. The file is read a chunk
//! at a time, and each chunk's records are parsed in parallel pieces.

pub mod builders;
mod cuts;
mod parser;

use crate::error::DataError;
use crate::sources::keys::{first_repeat, Met};
use crate::sources::records::{repeated_key, Sinks};
use builders::Builders;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use parser::{csv_error, Parser, Piece};
use scorecard_model::Dataset;
use std::io::Read;
use std::sync::Arc;

/// The hidden column holding each row's place in its file: the line for CSV, the row for Parquet.
pub const LINE: &str = "__line";

pub fn with_line(
    schema: datafusion::arrow::datatypes::SchemaRef,
) -> datafusion::arrow::datatypes::SchemaRef {
    let mut fields: Vec<datafusion::arrow::datatypes::FieldRef> = schema.fields().to_vec();
    fields.push(Arc::new(datafusion::arrow::datatypes::Field::new(
        LINE,
        datafusion::arrow::datatypes::DataType::Int64,
        false,
    )));
    Arc::new(datafusion::arrow::datatypes::Schema::new(fields))
}

/// The batches (one list per partition, in file order within each) and the number of data rows.
pub struct Loaded {
    pub schema: SchemaRef,
    pub partitions: Vec<Vec<RecordBatch>>,
    pub rows: u64,
}

/// How much of a file is read at a time, and from what size a chunk's lines are parsed in pieces.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    chunk: usize,
    parallel_from: usize,
    /// How long a text may run without a record end before it is refused as running on.
    longest: usize,
}

/// 64 MiB of text held at once; pieces from 4 MiB.
const SIZES: Sizes = Sizes {
    chunk: 64 << 20,
    parallel_from: 4 << 20,
    longest: 128 << 20,
};

/// Reads `input` as CSV with a header row, a chunk at a time; `numbered` rows keep their line in
/// the `__line` column, and rows are counted and batches staged where `sinks` says. Each chunk's
/// whole records are cut into one piece per thread where records end (outside quotes: a quoted
/// field may hold a line break) and parsed in parallel, keys checked unique across the pieces.
/// The first error in file order is reported, with its line.
pub fn read(
    ds: &Dataset,
    path: &str,
    input: &mut (dyn Read + Send),
    money_scale: u32,
    (threads, numbered): (usize, bool),
    sinks: &Sinks,
) -> Result<Loaded, DataError> {
    let sizes = match sinks.memory_limit {
        // Under a memory limit, an eighth of it at a time (from 1 MiB), pieces from a sixteenth
        // of that.
        Some(limit) => {
            let chunk = (limit / 8).clamp(1 << 20, SIZES.chunk);
            // However small the chunks, a record is not refused as running on until it is as
            // long as without a limit.
            Sizes {
                chunk,
                parallel_from: chunk / 16,
                longest: SIZES.longest,
            }
        }
        None => SIZES,
    };
    read_in(
        ds,
        path,
        input,
        money_scale,
        (threads, numbered, sinks),
        (sizes, None),
    )
}

/// The first key of `input` repeated on a line before `before`, as its error: read again, keys
/// only, when rows were staged under a memory limit (their keys are checked once the file is read)
/// and the first read stopped at an error on line `before`, so that a key repeated earlier is
/// still the error reported. Holds the keys of the lines before `before`.
pub fn repeat_before(
    ds: &Dataset,
    path: &str,
    input: &mut (dyn Read + Send),
    threads: usize,
    before: u64,
) -> Option<DataError> {
    let sinks = Sinks::default();
    let read = read_in(
        ds,
        path,
        input,
        0,
        (threads, false, &sinks),
        (SIZES, Some(before)),
    );
    match read {
        Err(e @ DataError::DuplicateKey { .. }) if e.line().is_some_and(|l| l < before) => Some(e),
        _ => None,
    }
}

fn read_in(
    ds: &Dataset,
    path: &str,
    input: &mut (dyn Read + Send),
    money_scale: u32,
    (threads, numbered, sinks): (usize, bool, &Sinks),
    (sizes, keys_before): (Sizes, Option<u64>),
) -> Result<Loaded, DataError> {
    let unreadable = |e: std::io::Error| DataError::unreadable(&ds.name, path, e.to_string());
    let mut text = Vec::new();
    let mut eof = false;
    // Until the header's line break is read whole: a `\r` that ends the text may be the first half
    // of a `\r\n`.
    let broken = |t: &[u8]| t.contains(&b'\n') || t[..t.len().saturating_sub(1)].contains(&b'\r');
    while !eof && !broken(&text) {
        eof = fill(input, &mut text, sizes.chunk).map_err(unreadable)?;
    }
    let start = if text.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    // UTF-16 text (Excel's "Unicode text") is not UTF-8, though its header's bytes, a NUL between
    // letters, would read as UTF-8 columns no file declares: say what it is.
    let header_line = text
        .split(|b| *b == b'\n' || *b == b'\r')
        .next()
        .unwrap_or_default();
    if text.starts_with(b"\xFF\xFE") || text.starts_with(b"\xFE\xFF") || header_line.contains(&0) {
        return Err(DataError::NotUtf8 {
            path: path.to_string(),
            line: 1,
        });
    }
    if text[start..].iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::EmptyFile {
            dataset: ds.name.clone(),
            path: path.to_string(),
        });
    }
    // A quote opened in the header and never closed would make the whole text the header, and
    // leave no rows. Without a quote before its first line break, the header ends there.
    let quoted_header = header_line.contains(&b'"');
    let open_in_header = |t: &[u8]| match cuts::cuts(t, &[]) {
        cuts::Cuts {
            open: Some(open),
            last: 0,
            ..
        } => Some(open),
        _ => None,
    };
    while let Some(open) = quoted_header
        .then(|| open_in_header(&text[start..]))
        .flatten()
    {
        if eof || text.len() >= sizes.longest {
            return Err(never_closed(path, 1, &text[start..start + open]));
        }
        eof = fill(input, &mut text, sizes.chunk).map_err(unreadable)?;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(&text[start..]);
    let header = reader
        .byte_headers()
        .map_err(|e| csv_error(path, e, 1))?
        .clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let positions = crate::sources::records::positions(ds, path, &names, "the file")?;
    // Where the data begins (past the header's line break, all of a `\r\n`), and its line.
    let body_start = cuts::record_start(&text, start + reader.position().byte() as usize);
    let line = 1 + cuts::line_breaks(&text[..body_start]);
    text.drain(..body_start);
    let parser = Parser {
        ds,
        path,
        money_scale,
        width: names.len(),
        positions,
        schema: crate::sources::records::table_schema(ds, money_scale, numbered),
        sinks: sinks.clone(),
        keys_before,
    };
    let threads = threads.max(1);
    let mut loaded = Loaded {
        schema: parser.schema.clone(),
        partitions: vec![Vec::new(); threads],
        rows: 0,
    };
    // The keys every piece met, in file order.
    let mut keys = Vec::new();
    let read = read_chunks(
        &parser,
        (input, text, eof),
        (line, threads, sizes),
        &mut loaded,
        &mut keys,
    );
    // The first error in the file: a key repeated on an earlier line than the error's, if any.
    let repeat = || first_repeat(ds, &keys, threads).map(|r| repeated_key(ds, path, r));
    match read {
        Err(e) => Err(match repeat() {
            Some(r) if e.line().is_some_and(|l| r.line().is_some_and(|rl| rl < l)) => r,
            _ => e,
        }),
        Ok(()) => match repeat() {
            Some(r) => Err(r),
            None => Ok(finished(ds, money_scale, (numbered, sinks), loaded)?),
        },
    }
}

/// The rows read, with one empty batch when there are none (and they are kept in memory).
fn finished(
    ds: &Dataset,
    money_scale: u32,
    (numbered, sinks): (bool, &Sinks),
    mut loaded: Loaded,
) -> Result<Loaded, DataError> {
    if loaded.partitions.iter().all(Vec::is_empty) && sinks.staged.is_none() {
        let empty = Builders::new(ds, money_scale, numbered).finish(loaded.schema.clone())?;
        loaded.partitions[0].push(empty);
    }
    loaded.partitions.retain(|p| !p.is_empty());
    Ok(loaded)
}

/// Reads the records of `text` (the file's data so far, starting on `line`) and of the rest of
/// `input`, a chunk at a time, into `loaded`; the keys each piece met go to `keys`.
fn read_chunks(
    parser: &Parser,
    (input, mut text, mut eof): (&mut (dyn Read + Send), Vec<u8>, bool),
    (mut line, threads, sizes): (u64, usize, Sizes),
    loaded: &mut Loaded,
    keys: &mut Vec<Met>,
) -> Result<(), DataError> {
    let path = parser.path;
    let unreadable =
        |e: std::io::Error| DataError::unreadable(&parser.ds.name, path, e.to_string());
    let mut cut = cut_pieces(&text, threads, sizes);
    // The buffer the next chunk is read into: the one before, whose memory is kept.
    let mut spare = Vec::new();
    loop {
        if parser.keys_before.is_some_and(|before| line >= before) {
            return Ok(());
        }
        // A quote still open at the end of the file: the records before it are read first, so
        // that an error among them is reported before it.
        let open_at_end = cut.open.filter(|_| eof);
        let end = match eof && open_at_end.is_none() {
            true => text.len(),
            false => cut.last,
        };
        if end == 0 && !eof && text.len() >= sizes.longest {
            return Err(no_record_end(path, line, &text, cut.open));
        }
        let unclosed = open_at_end.map(|open| never_closed(path, line, &text[..open]));
        let mut bounds = vec![0];
        bounds.extend(cut.at.iter().flatten().copied().filter(|&at| at < end));
        bounds.push(end);
        bounds.dedup();
        // The chunk's records are parsed while the next chunk is read (and fingerprinted) and
        // cut, on a thread of its own: reading and cutting would otherwise leave a core idle.
        let (parsed, next) = std::thread::scope(|scope| {
            let (text, input, mut upcoming) = (&text, &mut *input, std::mem::take(&mut spare));
            let reading = (!eof).then(|| {
                scope.spawn(move || {
                    upcoming.clear();
                    upcoming.reserve(text.len() - end + sizes.chunk);
                    upcoming.extend_from_slice(&text[end..]);
                    let eof = fill(input, &mut upcoming, sizes.chunk)?;
                    let cut = cut_pieces(&upcoming, threads, sizes);
                    Ok::<_, std::io::Error>((upcoming, eof, cut))
                })
            });
            let parsed = parse_pieces(parser, text, &bounds, line, (loaded, keys));
            let next = reading.map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(std::io::Error::other("the thread reading ahead failed"))
                })
            });
            (parsed, next)
        });
        line += parsed?;
        if let Some(e) = unclosed {
            return Err(e);
        }
        match next {
            None => return Ok(()),
            Some(next) => {
                let (upcoming, at_end, upcoming_cut) = next.map_err(unreadable)?;
                spare = std::mem::replace(&mut text, upcoming);
                (eof, cut) = (at_end, upcoming_cut);
            }
        }
    }
}

/// Where to cut `text` into one piece per thread, and where its last whole record ends.
fn cut_pieces(text: &[u8], threads: usize, sizes: Sizes) -> cuts::Cuts {
    let targets: Vec<usize> = match text.len() < sizes.parallel_from {
        true => Vec::new(),
        false => (1..threads).map(|i| text.len() / threads * i).collect(),
    };
    cuts::cuts(text, &targets)
}

/// A quoted field that opens after `before` (text starting at `line`) and is never closed: the
/// csv crate would read the rest of the file as that one field.
fn never_closed(path: &str, line: u64, before: &[u8]) -> DataError {
    DataError::BadRecord {
        path: path.into(),
        line: line_after(line, before),
        reason: "a quoted field opens on this line and is never closed, so the rest of the file \
                 would be one field\n  help: close the quote, or double a `\"` meant as text (`\"\"`)"
            .into(),
    }
}

/// The line that `text`, starting on `line`, has reached at its end.
fn line_after(line: u64, text: &[u8]) -> u64 {
    line + cuts::line_breaks(text)
}

/// No record ends in the whole of `text` (two chunks), which begins at `line`: a quote left open
/// (or a quoted field longer than any value), or a line far longer than any record.
fn no_record_end(path: &str, line: u64, text: &[u8], open: Option<usize>) -> DataError {
    let (line, what) = match open {
        Some(open) => (
            line_after(line, &text[..open]),
            "a quoted field opens on this line and runs on",
        ),
        None => (line, "the record on this line runs on"),
    };
    DataError::BadRecord {
        path: path.into(),
        line,
        reason: format!(
            "{what} for more than {} MiB without ending, far longer than any value\n  help: look \
             for a `\"` that is never closed; check that the file is CSV, with one row to a line",
            text.len() >> 20
        ),
    }
}

/// Appends up to `chunk` more bytes of `input` to `text`; whether the input has ended.
fn fill(input: &mut (dyn Read + Send), text: &mut Vec<u8>, chunk: usize) -> std::io::Result<bool> {
    let read = input.take(chunk as u64).read_to_end(text)?;
    Ok(read < chunk)
}

/// Parses the whole records of `text` between successive `bounds` in parallel, piece `i` into
/// partition `i`, each piece's keys after those of the pieces before; the first line of the first
/// piece is `first_line`. Returns the line breaks the pieces held, or the first piece's error.
fn parse_pieces(
    parser: &Parser,
    text: &[u8],
    bounds: &[usize],
    first_line: u64,
    (loaded, keys): (&mut Loaded, &mut Vec<Met>),
) -> Result<u64, DataError> {
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    // Each piece's line breaks, counted in parallel: the lines before the next piece.
    let newlines: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|p| scope.spawn(move || line_after(0, p)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let mut first_lines = Vec::with_capacity(pieces.len());
    let mut line = first_line;
    for n in &newlines {
        first_lines.push(line);
        line += n;
    }
    let results: Vec<Piece> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .zip(&first_lines)
            .map(|(piece, &first)| scope.spawn(move || parser.parse(piece, first)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Piece {
                    read: Err(DataError::Engine("a CSV reading thread failed".into())),
                    keys: None,
                })
            })
            .collect()
    });
    let mut failed = None;
    for (i, piece) in results.into_iter().enumerate() {
        keys.extend(piece.keys);
        match piece.read {
            Ok((batches, rows)) if failed.is_none() => {
                loaded.rows += rows;
                loaded.partitions[i].extend(batches.into_iter().filter(|b| b.num_rows() > 0));
            }
            Ok(_) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        None => Ok(line - first_line),
        Some(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Decimal128Type, Int64Type};

    /// Chunks of 1,000 bytes, and pieces from 300: a 60 kB file is read in about 60 chunks of
    /// two pieces each.
    const SMALL: Sizes = Sizes {
        chunk: 1_000,
        parallel_from: 300,
        longest: 2_000,
    };

    fn model(key: bool) -> scorecard_model::Model {
        let key = if key { " key" } else { "" };
        let source = format!(
            "scorecard t {{ grain: month }}\ndataset t {{ source: \"t.csv\" time: day columns: {{ id: integer{key} day: date amount: money note: text }} }}\nkpi k {{ value: count(t) }}\n"
        );
        scorecard_check::compile(&source)
            .model
            .expect("the test scorecard compiles")
    }

    /// `n` rows: id i, a day in January 2025, amount i + (i mod 100)/100, note "n{i}".
    fn text(n: i64) -> String {
        let mut s = String::from("id,day,amount,note\n");
        for i in 1..=n {
            s.push_str(&format!(
                "{i},2025-01-{:02},{i}.{:02},n{i}\n",
                i % 28 + 1,
                i % 100
            ));
        }
        s
    }

    fn read_small(text: &str, key: bool) -> Result<Loaded, DataError> {
        read_bytes(text.as_bytes(), key)
    }

    fn read_bytes(mut bytes: &[u8], key: bool) -> Result<Loaded, DataError> {
        read_from(&mut bytes, key)
    }

    /// `input` read in small chunks, with its rows' lines.
    fn read_from(input: &mut (dyn Read + Send), key: bool) -> Result<Loaded, DataError> {
        let m = model(key);
        let ds = m.dataset("t").unwrap();
        read_in(
            ds,
            "t.csv",
            input,
            2,
            (2, true, &Sinks::default()),
            (SMALL, None),
        )
    }

    /// (line, id, amount in cents, note) of every row, in line order.
    fn rows(loaded: &Loaded) -> Vec<(i64, i64, i128, String)> {
        let mut out = Vec::new();
        for b in loaded.partitions.iter().flatten() {
            let id = b.column(0).as_primitive::<Int64Type>();
            let amount = b.column(2).as_primitive::<Decimal128Type>();
            let note = b.column(3).as_string::<i32>();
            let line = b.column(4).as_primitive::<Int64Type>();
            for i in 0..b.num_rows() {
                out.push((
                    line.value(i),
                    id.value(i),
                    amount.value(i),
                    note.value(i).to_string(),
                ));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_file_read_in_many_chunks_keeps_every_row_and_its_line() {
        let loaded = read_small(&text(3_000), false).unwrap();
        assert_eq!(loaded.rows, 3_000);
        assert!(
            loaded.partitions.len() == 2,
            "lines were parsed in two pieces"
        );
        let rows = rows(&loaded);
        assert_eq!(rows.len(), 3_000);
        for (line, id, cents, note) in &rows {
            assert_eq!(*line, id + 1, "row {id} is on line {}", id + 1);
            assert_eq!(*cents, i128::from(id * 100 + id % 100));
            assert_eq!(note, &format!("n{id}"));
        }
    }

    #[test]
    fn the_first_error_of_a_late_chunk_is_reported_with_its_line_in_the_file() {
        // Row 2700 (line 2701) has a bad day; row 2900 (line 2901) a bad amount.
        let bad = text(3_000)
            .replace("\n2700,", "\n2700,x")
            .replace("\n2900,2025-01-17,2900.00,", "\n2900,2025-01-17,oops,");
        match read_small(&bad, false) {
            Err(DataError::BadValue(v)) => assert_eq!(
                (v.line, v.column.as_str(), v.value.as_str()),
                (2701, "day", "x2025-01-13")
            ),
            other => panic!("expected a bad value, got {:?}", other.err()),
        }
        let later = text(3_000).replace("\n2900,2025-01-17,2900.00,", "\n2900,2025-01-17,oops,");
        match read_small(&later, false) {
            Err(DataError::BadValue(v)) => assert_eq!(
                (v.line, v.column.as_str(), v.value.as_str()),
                (2901, "amount", "oops")
            ),
            other => panic!("expected a bad value, got {:?}", other.err()),
        }
    }

    /// Gives the bytes of `text` and then fails, as a disk can.
    struct FailsAfter<'t>(&'t [u8]);

    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("the disk failed"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_failed_read_ahead_is_reported_after_the_errors_of_the_text_before_it() {
        // The next chunk is read while this one is parsed: a read that fails is an error of
        // its own, unless the text read before it holds one, which comes first in the file.
        let good = text(3_000);
        let read = |text: &str| read_from(&mut FailsAfter(text.as_bytes()), false);
        match read(&good) {
            Err(DataError::Unreadable { reason, .. }) => {
                assert!(reason.contains("the disk failed"))
            }
            other => panic!("expected the read to fail, got {:?}", other.map(|l| l.rows)),
        }
        let bad = good.replace("\n2900,2025-01-17,2900.00,", "\n2900,2025-01-17,oops,");
        match read(&bad) {
            Err(DataError::BadValue(v)) => assert_eq!((v.line, v.value.as_str()), (2901, "oops")),
            other => panic!("expected the bad value, got {:?}", other.map(|l| l.rows)),
        }
    }

    #[test]
    fn every_row_keeps_its_line_whatever_ends_the_lines() {
        // The csv crate counts `\n` only, at the start of a record, before the `\n` of the
        // `\r\n` that ended the record before: rows were a line early after `\r\n`, and all
        // on line 1 with `\r`. Read in many small chunks, cut anywhere.
        for end in ["\r\n", "\r"] {
            let with = text(3_000).replace('\n', end);
            let loaded = read_small(&with, false).unwrap();
            let rows = rows(&loaded);
            assert_eq!(rows.len(), 3_000, "{end:?}");
            for (line, id, ..) in &rows {
                assert_eq!(*line, id + 1, "{end:?}: row {id}");
            }
            let bad = with.replace(
                &format!("{end}2900,2025-01-17,2900.00,"),
                &format!("{end}2900,2025-01-17,oops,"),
            );
            match read_small(&bad, false) {
                Err(DataError::BadValue(v)) => assert_eq!(v.line, 2901, "{end:?}"),
                other => panic!("expected a bad value, got {:?}", other.err()),
            }
        }
        // Blank lines between records count as lines.
        let blank = text(20).replace("\n11,", "\n\r\n\n11,");
        let rows = rows(&read_small(&blank, false).unwrap());
        assert_eq!(rows.iter().find(|r| r.1 == 11).map(|r| r.0), Some(14));
    }

    #[test]
    fn a_header_whose_crlf_is_split_between_chunks_is_one_line() {
        // The header's `\r` is the last byte of the first chunk (1,000 bytes) and its `\n` the
        // first of the next: it was counted twice, and every line after it was one too many.
        let mut header = String::from("id,day,amount,note,pad");
        header.push_str(&"x".repeat(999 - header.len()));
        let mut text = format!("{header}\r\n");
        for i in 1..=30 {
            let amount = if i == 20 {
                "oops".to_string()
            } else {
                format!("{i}.00")
            };
            text.push_str(&format!("{i},2025-01-02,{amount},n{i},p\r\n"));
        }
        assert_eq!(text.as_bytes()[999], b'\r');
        match read_small(&text, false) {
            Err(DataError::BadValue(v)) => assert_eq!((v.line, v.value.as_str()), (21, "oops")),
            other => panic!("expected a bad value, got {:?}", other.err()),
        }
    }

    #[test]
    fn a_quoted_line_break_in_a_late_chunk_is_one_field() {
        let quoted = text(3_000).replace(",n2500\n", ",\"two\nlines\"\n");
        let loaded = read_small(&quoted, false).unwrap();
        assert_eq!(loaded.rows, 3_000);
        for (line, id, _, note) in rows(&loaded) {
            match id {
                2500 => assert_eq!((line, note.as_str()), (2501, "two\nlines")),
                // The rows after it start a line later.
                id if id > 2500 => assert_eq!(line, id + 2),
                id => assert_eq!(line, id + 1),
            }
        }
    }

    #[test]
    fn a_duplicate_key_in_a_late_chunk_names_both_lines() {
        let twice = text(3_000).replace("\n2800,", "\n17,");
        match read_small(&twice, true) {
            Err(DataError::DuplicateKey {
                line, first_line, ..
            }) => assert_eq!((line, first_line), (2801, 18)),
            other => panic!("expected a duplicate key, got {:?}", other.err()),
        }
    }

    /// `text(n)` as a spreadsheet exports it: every field quoted; note `n7` (and every 500th)
    /// holds a line break and a doubled quote.
    fn quoted(n: i64) -> String {
        let mut s = String::from("\"id\",\"day\",\"amount\",\"note\"\n");
        for i in 1..=n {
            let note = match i % 500 == 7 {
                true => format!("n{i}\n\"\"x\"\""),
                false => format!("n{i}"),
            };
            s.push_str(&format!(
                "\"{i}\",\"2025-01-{:02}\",\"{i}.{:02}\",\"{note}\"\n",
                i % 28 + 1,
                i % 100
            ));
        }
        s
    }

    #[test]
    fn a_quoted_file_with_a_key_is_read_in_parallel_pieces_with_every_line_right() {
        let loaded = read_small(&quoted(3_000), true).unwrap();
        assert_eq!(loaded.rows, 3_000);
        assert_eq!(
            loaded.partitions.len(),
            2,
            "records were parsed in two pieces"
        );
        let mut breaks_before = 0;
        for (line, id, cents, note) in rows(&loaded) {
            assert_eq!(line, id + 1 + breaks_before, "row {id}");
            assert_eq!(cents, i128::from(id * 100 + id % 100));
            if id % 500 == 7 {
                assert_eq!(note, format!("n{id}\n\"x\""));
                breaks_before += 1;
            } else {
                assert_eq!(note, format!("n{id}"));
            }
        }
    }

    #[test]
    fn the_first_of_a_repeated_key_and_a_bad_value_in_other_pieces_is_reported() {
        // Chunks of 1,000 bytes hold about 30 rows, cut in two pieces: rows 1501 and 1511 are
        // in the same chunk, in different pieces.
        let repeat = text(3_000).replace("\n1511,", "\n1501,");
        match read_small(&repeat, true) {
            Err(DataError::DuplicateKey {
                line, first_line, ..
            }) => assert_eq!((line, first_line), (1512, 1502)),
            other => panic!("expected a repeated key, got {:?}", other.err()),
        }
        // A repeat whose first line is in the second piece and its second in a later chunk.
        let late = text(3_000).replace("\n2990,", "\n1511,");
        match read_small(&late, true) {
            Err(DataError::DuplicateKey {
                line, first_line, ..
            }) => assert_eq!((line, first_line), (2991, 1512)),
            other => panic!("expected a repeated key, got {:?}", other.err()),
        }
        // A bad value before the repeat's second line is the first error; after it, the repeat.
        let bad_first = repeat.replace("\n1505,2025-01-22,1505.05,", "\n1505,2025-01-22,oops,");
        match read_small(&bad_first, true) {
            Err(DataError::BadValue(v)) => assert_eq!(v.line, 1506),
            other => panic!("expected a bad value, got {:?}", other.err()),
        }
        let bad_after = repeat.replace("\n1515,2025-01-04,1515.15,", "\n1515,2025-01-04,oops,");
        match read_small(&bad_after, true) {
            Err(DataError::DuplicateKey { line, .. }) => assert_eq!(line, 1512),
            other => panic!("expected a repeated key, got {:?}", other.err()),
        }
    }

    #[test]
    fn the_rows_before_a_quote_never_closed_are_read_first() {
        // A bad value on line 11, and a quote opened on line 2001 that never closes: the bad value
        // comes first in the file (the quote was reported alone).
        let both = text(3_000)
            .replace("\n10,2025-01-11,10.10,", "\n10,2025-01-11,oops,")
            .replace(",n2000\n", ",\"n2000\n");
        match read_small(&both, false) {
            Err(DataError::BadValue(v)) => assert_eq!(v.line, 11),
            other => panic!("expected a bad value, got {:?}", other.err()),
        }
    }

    #[test]
    fn a_quote_never_closed_is_named_by_its_line_wherever_it_is() {
        // The quote opened on row 100 would swallow the rest of the file: more than two chunks.
        for (at, line) in [(",n100\n", 101), (",n2990\n", 2991), (",n3000\n", 3001)] {
            let open = text(3_000).replace(at, &at.replace(",n", ",\"n"));
            match read_small(&open, false) {
                Err(DataError::BadRecord {
                    line: l, reason, ..
                }) => {
                    assert_eq!(l, line);
                    assert!(reason.contains("never closed"), "{reason}");
                }
                other => panic!("expected an open quote, got {:?}", other.err()),
            }
        }
        // Two chunks of one line with no break at all.
        let long = format!("id,day,amount,note\n1,2025-01-01,1,{}\n", "x".repeat(3_000));
        match read_small(&long, false) {
            Err(DataError::BadRecord { line, reason, .. }) => {
                assert_eq!(line, 2);
                assert!(reason.contains("runs on for more than"), "{reason}");
            }
            other => panic!("expected a record too long, got {:?}", other.err()),
        }
    }

    #[test]
    fn bad_utf8_in_a_late_chunk_names_its_line() {
        let mut bytes = text(3_000).into_bytes();
        let at = bytes.windows(7).position(|w| w == b",n2600\n").unwrap();
        bytes[at + 2] = 0xFF;
        match read_bytes(&bytes, false) {
            Err(DataError::NotUtf8 { line, .. }) => assert_eq!(line, 2601),
            other => panic!("expected bad UTF-8, got {:?}", other.err()),
        }
    }

    #[test]
    fn blank_fields_are_empty_or_whitespace_of_any_kind() {
        use super::builders::blank;
        assert!(blank(""));
        assert!(blank("  \t"));
        assert!(blank("\u{a0}"));
        assert!(blank("\u{0b}"));
        assert!(!blank("1"));
        assert!(!blank(" 1"));
        assert!(!blank("\u{e9}t\u{e9}"));
    }
}
