//! Owns reading JSON lines (one object per line) under the declared schema. A number is typed from
//! its digits as written, never through binary floating point; a key a line leaves out is no value,
//! and a declared column that no line has is an error, so a misspelt name cannot read as empty.

use crate::error::DataError;
use crate::sources::csv::Loaded;
use crate::sources::keys::{first_repeat, key_value, Met};
use crate::sources::records::{positions, repeated_key, Sinks, Typer};
use scorecard_model::Dataset;
use serde_json::value::RawValue;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};

/// The first key of `input` repeated on a line before `before`, as its error: read again, keys
/// only, when rows were staged under a memory limit and the first read stopped at an error on line
/// `before` (as `csv::repeat_before`).
pub fn repeat_before(
    ds: &Dataset,
    path: &str,
    input: &mut dyn Read,
    before: u64,
) -> Option<DataError> {
    let mut keys = Met::new(ds.columns.iter().map(|c| c.key));
    let mut reader = BufReader::new(input);
    let mut line_text = Vec::new();
    for line in 1..before {
        line_text.clear();
        match reader.read_until(b'\n', &mut line_text) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Ok(text) = std::str::from_utf8(without_bom(line, &line_text)) else {
            continue;
        };
        let Ok(Object(object)) = serde_json::from_str(text) else {
            continue;
        };
        for (i, c) in ds.columns.iter().enumerate().filter(|(_, c)| c.key) {
            let Some(value) = object.get(&c.name).and_then(|raw| plain(raw)) else {
                continue;
            };
            if !value.is_empty() {
                keys.push(i, &key_value(c.ty, &value), &value, line);
            }
        }
    }
    let repeat = first_repeat(ds, std::slice::from_ref(&keys), 1)?;
    (repeat.line < before).then(|| repeated_key(ds, path, repeat))
}

/// Line `line`'s bytes, without the byte-order mark the first may open with.
fn without_bom(line: u64, bytes: &[u8]) -> &[u8] {
    match (line, bytes.strip_prefix(b"\xEF\xBB\xBF")) {
        (1, Some(rest)) => rest,
        _ => bytes,
    }
}

/// Reads `input`, a line at a time.
pub fn read(
    ds: &Dataset,
    path: &str,
    input: &mut dyn Read,
    money_scale: u32,
    numbered: bool,
    sinks: &Sinks,
) -> Result<Loaded, DataError> {
    let unreadable = |reason: String| DataError::unreadable(&ds.name, path, reason);
    let mut typer = Typer::whole(ds, path, (money_scale, numbered), sinks);
    let mut found = vec![false; ds.columns.len()];
    // The first object's keys stand for a header, to name in a missing column's hint.
    let mut first_keys: Option<BTreeSet<String>> = None;
    let mut fields: Vec<String> = vec![String::new(); ds.columns.len()];
    let mut reader = BufReader::new(input);
    let mut line_text = Vec::new();
    let mut line = 0u64;
    let mut any = false;
    // An error on a line gives way to a key repeated on an earlier one.
    let mut lines = || -> Result<(), DataError> {
        loop {
            line_text.clear();
            let n = reader
                .read_until(b'\n', &mut line_text)
                .map_err(|e| unreadable(e.to_string()))?;
            if n == 0 {
                return Ok(());
            }
            line += 1;
            let Ok(text) = std::str::from_utf8(without_bom(line, &line_text)) else {
                return Err(DataError::NotUtf8 {
                    path: path.into(),
                    line,
                });
            };
            if text.trim().is_empty() {
                continue;
            }
            any = true;
            let Object(object) = serde_json::from_str(text).map_err(|e| DataError::BadRecord {
                path: path.into(),
                line,
                reason: match e.to_string() {
                    twice if twice.contains(GIVEN_TWICE) => twice,
                    other => format!("not a JSON object: {other}"),
                },
            })?;
            for (i, c) in ds.columns.iter().enumerate() {
                fields[i].clear();
                let Some(raw) = object.get(&c.name) else {
                    continue;
                };
                found[i] = true;
                fields[i] = plain(raw).ok_or_else(|| DataError::BadRecord {
                    path: path.into(),
                    line,
                    reason: format!(
                        "`{}` holds {}, expected a string, a number, true, false or null",
                        c.name,
                        raw.get()
                    ),
                })?;
            }
            if first_keys.is_none() {
                first_keys = Some(object.keys().cloned().collect());
            }
            typer.row(line, |i| fields[i].as_str())?;
        }
    };
    if let Err(e) = lines() {
        return Err(typer.or_earlier_repeat(e));
    }
    if !any {
        return Err(DataError::EmptyFile {
            dataset: ds.name.clone(),
            path: path.to_string(),
        });
    }
    if found.iter().any(|f| !f) {
        // No line has the column: name it the way a CSV header's missing column is named.
        let mut keys_seen = first_keys.unwrap_or_default();
        keys_seen.extend(
            ds.columns
                .iter()
                .zip(&found)
                .filter(|(_, f)| **f)
                .map(|(c, _)| c.name.clone()),
        );
        let present: Vec<String> = keys_seen.into_iter().collect();
        positions(ds, path, &present, "the file")?;
    }
    typer.loaded()
}

const GIVEN_TWICE: &str = "is given twice";

/// A JSON object's members. A key given twice is refused, as a CSV header naming a column twice
/// is: serde_json would keep the last value, silently.
struct Object<'a>(HashMap<String, &'a RawValue>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Object<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Members<'a> {
            type Value = Object<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Object<'a>, A::Error> {
                let mut members = HashMap::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    if members.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!(
                            "the key `{key}` {GIVEN_TWICE}, so which value to read is ambiguous"
                        )));
                    }
                    members.insert(key, value);
                }
                Ok(Object(members))
            }
        }
        d.deserialize_map(Members(std::marker::PhantomData))
    }
}

/// A JSON value's text: a string's contents, a number's digits as written, `true`/`false`; null
/// is no value (the empty text). An object or array is not a plain value.
fn plain(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(text).ok(),
        Some(b'{' | b'[') => None,
        _ if text == "null" => Some(String::new()),
        _ => Some(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_digits_and_null_is_no_value() {
        let raw = |t: &str| plain(&serde_json::from_str::<Box<RawValue>>(t).unwrap());
        assert_eq!(
            raw("12345678901234567.89").as_deref(),
            Some("12345678901234567.89")
        );
        assert_eq!(raw("0.1").as_deref(), Some("0.1"));
        assert_eq!(raw("\"a\\\"b\"").as_deref(), Some("a\"b"));
        assert_eq!(raw("null").as_deref(), Some(""));
        assert_eq!(raw("true").as_deref(), Some("true"));
        assert_eq!(raw("[1]"), None);
        assert_eq!(raw("{}"), None);
    }
}
