//! Owns reading a CSV file into Arrow record batches under the declared schema, checking every field
//! and reporting the first misfit with its file, line, column and value. The file is read a chunk
//! at a time, and each chunk's lines are parsed in parallel pieces.

pub mod builders;
mod parser;

use super::error::DataError;
use super::records::Sinks;
use crate::check::model::Dataset;
use builders::Builders;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use parser::{csv_error, Parser};
use std::io::{Cursor, Read};
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
}

/// 64 MiB of text held at once; pieces from 4 MiB.
const SIZES: Sizes = Sizes {
    chunk: 64 << 20,
    parallel_from: 4 << 20,
};

/// Reads `input` as CSV with a header row, a chunk at a time; `numbered` rows keep their line in
/// the `__line` column, and rows are counted and batches staged where `sinks` says. Each chunk's whole lines are cut into one piece per thread and parsed in
/// parallel; from the first `"` on (a quoted field may hold a line break), and for a file with a
/// `key` column (unique across the whole file), the rest of the file is parsed on one thread. The
/// first error in file order is reported, with its line.
pub fn read(
    ds: &Dataset,
    path: &str,
    input: &mut dyn Read,
    money_scale: u32,
    (threads, numbered): (usize, bool),
    sinks: &Sinks,
) -> Result<Loaded, DataError> {
    let sizes = match sinks.memory_limit {
        // Under a memory limit, an eighth of it at a time (from 1 MiB), pieces from a sixteenth
        // of that.
        Some(limit) => {
            let chunk = (limit / 8).clamp(1 << 20, SIZES.chunk);
            Sizes {
                chunk,
                parallel_from: chunk / 16,
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
        sizes,
    )
}

fn read_in(
    ds: &Dataset,
    path: &str,
    input: &mut dyn Read,
    money_scale: u32,
    (threads, numbered, sinks): (usize, bool, &Sinks),
    sizes: Sizes,
) -> Result<Loaded, DataError> {
    let unreadable = |e: std::io::Error| DataError::unreadable(&ds.name, path, e.to_string());
    let mut text = Vec::new();
    let mut eof = false;
    while !eof && !text.contains(&b'\n') {
        eof = fill(input, &mut text, sizes.chunk).map_err(unreadable)?;
    }
    let start = if text.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    // UTF-16 text (Excel's "Unicode text") is not UTF-8, though its header's bytes, a NUL between
    // letters, would read as UTF-8 columns no file declares: say what it is.
    let header_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
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
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(&text[start..]);
    let header = reader
        .byte_headers()
        .map_err(|e| csv_error(path, e, 0))?
        .clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let positions = super::records::positions(ds, path, &names, "the file")?;
    // Where the data begins, and the line it begins on.
    let body_start = (start + reader.position().byte() as usize).min(text.len());
    let mut line = reader.position().line();
    text.drain(..body_start);
    let parser = Parser {
        ds,
        path,
        money_scale,
        width: names.len(),
        positions,
        schema: super::records::table_schema(ds, money_scale, numbered),
        sinks: sinks.clone(),
    };
    let threads = threads.max(1);
    let mut loaded = Loaded {
        schema: parser.schema.clone(),
        partitions: vec![Vec::new(); threads],
        rows: 0,
    };
    let keyed = ds.columns.iter().any(|c| c.key);
    loop {
        if keyed || text.contains(&b'"') {
            let rest = Cursor::new(&text).chain(&mut *input);
            let (batches, rows) = parser.parse(rest, line)?;
            loaded.partitions[0].extend(batches);
            loaded.rows += rows;
            break;
        }
        // The whole lines read so far (all of it at the end of the file).
        let end = match eof {
            true => text.len(),
            false => text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1),
        };
        line += parse_lines(&parser, &text[..end], line, threads, sizes, &mut loaded)?;
        text.drain(..end);
        if eof {
            break;
        }
        eof = fill(input, &mut text, sizes.chunk).map_err(unreadable)?;
    }
    if loaded.partitions.iter().all(Vec::is_empty) && sinks.staged.is_none() {
        let empty = Builders::new(ds, money_scale, numbered).finish(loaded.schema.clone())?;
        loaded.partitions[0].push(empty);
    }
    loaded.partitions.retain(|p| !p.is_empty());
    Ok(loaded)
}

/// Appends up to `chunk` more bytes of `input` to `text`; whether the input has ended.
fn fill(input: &mut dyn Read, text: &mut Vec<u8>, chunk: usize) -> std::io::Result<bool> {
    let read = input.take(chunk as u64).read_to_end(text)?;
    Ok(read < chunk)
}

/// Parses whole lines whose first is `first_line`, in up to `threads` pieces, piece `i` into
/// partition `i`; returns the line breaks they held.
fn parse_lines(
    parser: &Parser,
    lines: &[u8],
    first_line: u64,
    threads: usize,
    sizes: Sizes,
    loaded: &mut Loaded,
) -> Result<u64, DataError> {
    let pieces = match lines.len() < sizes.parallel_from {
        true => vec![lines],
        false => split_at_lines(lines, threads),
    };
    // Each piece's line breaks, counted in parallel: the lines before the next piece.
    let newlines: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|p| scope.spawn(move || p.iter().filter(|&&b| b == b'\n').count() as u64))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let mut first_lines = Vec::with_capacity(pieces.len());
    let mut line = first_line;
    for n in &newlines {
        first_lines.push(line);
        line += n;
    }
    let results: Vec<Result<(Vec<RecordBatch>, u64), DataError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .zip(&first_lines)
            .map(|(piece, &first)| scope.spawn(move || parser.parse(*piece, first)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DataError::Engine("a CSV reading thread failed".into()))
                })
            })
            .collect()
    });
    for (i, r) in results.into_iter().enumerate() {
        let (batches, rows) = r?;
        loaded.rows += rows;
        loaded.partitions[i].extend(batches.into_iter().filter(|b| b.num_rows() > 0));
    }
    Ok(line - first_line)
}

/// Cuts `body` into up to `n` pieces of about equal size, each ending just after a line break.
fn split_at_lines(body: &[u8], n: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::with_capacity(n);
    let mut rest = body;
    for left in (1..=n).rev() {
        if left == 1 || rest.is_empty() {
            pieces.push(rest);
            break;
        }
        let target = rest.len() / left;
        match rest[target..].iter().position(|&b| b == b'\n') {
            Some(at) => {
                let (piece, tail) = rest.split_at(target + at + 1);
                pieces.push(piece);
                rest = tail;
            }
            None => {
                pieces.push(rest);
                break;
            }
        }
    }
    pieces.retain(|p| !p.is_empty());
    if pieces.is_empty() {
        pieces.push(body);
    }
    pieces
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
    };

    fn model(key: bool) -> crate::check::model::Model {
        let key = if key { " key" } else { "" };
        let source = format!(
            "scorecard t {{ grain: month }}\ndataset t {{ source: \"t.csv\" time: day columns: {{ id: integer{key} day: date amount: money note: text }} }}\nkpi k {{ value: count(t) }}\n"
        );
        crate::compile(&source)
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
        let m = model(key);
        let ds = m.dataset("t").unwrap();
        read_in(
            ds,
            "t.csv",
            &mut bytes,
            2,
            (2, true, &Sinks::default()),
            SMALL,
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
        use builders::blank;
        assert!(blank(""));
        assert!(blank("  \t"));
        assert!(blank("\u{a0}"));
        assert!(blank("\u{0b}"));
        assert!(!blank("1"));
        assert!(!blank(" 1"));
        assert!(!blank("\u{e9}t\u{e9}"));
    }
}
