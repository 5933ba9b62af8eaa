//! Owns how numbers and segments read in text: money and counts with thousands separators, percents
//! as percents, "no value" as an em dash.

use crate::Unit;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A value as a person reads it: `1,234,567.89`, `42.3%`; `—` for no value.
pub fn number(v: Option<Decimal>, unit: Unit) -> String {
    let Some(v) = v else { return "—".into() };
    match unit {
        Unit::Percent => {
            let mut p = v * Decimal::ONE_HUNDRED;
            p.rescale(v.scale().saturating_sub(2));
            format!("{p}%")
        }
        _ => group_thousands(&v.to_string()),
    }
}

/// A value as `number` shows it, or nothing at all for no value: for a target or variance, whose
/// absence is not news the way a missing value is.
pub fn number_or_blank(v: Option<Decimal>, unit: Unit) -> String {
    if v.is_some() {
        number(v, unit)
    } else {
        String::new()
    }
}

/// `-1234567.5` as `-1,234,567.5`.
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", s));
    let (whole, frac) = rest
        .split_once('.')
        .map(|(w, f)| (w, Some(f)))
        .unwrap_or((rest, None));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `region=EMEA, channel=web`, or `total`.
pub fn segment_label(segment: &BTreeMap<String, Option<String>>) -> String {
    if segment.is_empty() {
        return "total".into();
    }
    segment
        .iter()
        .map(|(k, v)| format!("{k}={}", segment_value(v.as_deref())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `region=EMEA, channel=web` for the values of the columns `by`, in that order.
pub fn segment_values(by: &[String], values: &[Option<String>]) -> String {
    by.iter()
        .zip(values)
        .map(|(k, v)| format!("{k}={}", segment_value(v.as_deref())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a segment's value reads: as it is, or `(empty)` for no value; in double quotes when it
/// would read otherwise as something else (`"EMEA "` beside `EMEA`, `""`, `"(empty)"`, a value
/// holding `,` `=` or `"`), so that two segments never print alike. In quotes, a character that
/// does not show (a control character such as ESC, which would also act on the terminal; a
/// zero-width or direction mark) or that combines with the one before (`e` and U+0301, which
/// print as `é`) is written as `\u{301}`.
pub fn segment_value(v: Option<&str>) -> String {
    let Some(v) = v else {
        return EMPTY.into();
    };
    let plain = !v.is_empty()
        && v.trim() == v
        && v != EMPTY
        && !v.contains([',', '=', '"', '\\'])
        && !v.chars().any(unseen);
    if plain {
        return v.to_string();
    }
    let mut quoted = String::from('"');
    for c in v.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if unseen(c) => quoted.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A character that does not show as itself: a control character, an invisible formatting
/// character (zero-width spaces and joiners, direction marks and overrides, the byte-order mark,
/// the soft hyphen), or a combining accent.
fn unseen(c: char) -> bool {
    c.is_control()
        || matches!(
            u32::from(c),
            0xAD | 0x300..=0x36F
                | 0x61C
                | 0x180E
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0xFEFF
                | 0xFFF9..=0xFFFB
        )
}

/// A segment with no value.
pub const EMPTY: &str = "(empty)";

/// Reads a segment value as `segment_value` writes it: `(empty)` is no value, a quoted value is
/// taken out of its quotes; anything else as it stands.
pub fn read_segment_value(text: &str) -> Option<String> {
    if text == EMPTY || text.is_empty() {
        return None;
    }
    let Some(inner) = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|_| text.len() >= 2)
    else {
        return Some(text.to_string());
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('u') => match unicode_escape(&mut chars) {
                    Some(c) => out.push(c),
                    None => out.push_str("\\u"),
                },
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    Some(out)
}

/// The character of a `{hex}` after `\u`, consumed from `chars` only when it is one.
fn unicode_escape(chars: &mut std::str::Chars) -> Option<char> {
    let rest = chars.as_str();
    let hex = rest.strip_prefix('{')?.split_once('}')?.0;
    let c = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)?;
    *chars = rest[hex.len() + 2..].chars();
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn reads_like_a_report() {
        let d = |s| Some(Decimal::from_str(s).unwrap());
        assert_eq!(number(d("1234567.80"), Unit::Money), "1,234,567.80");
        assert_eq!(number(d("-1234.5"), Unit::Number), "-1,234.5");
        assert_eq!(number(d("999"), Unit::Count), "999");
        assert_eq!(number(d("0.424"), Unit::Percent), "42.4%");
        assert_eq!(number(d("-0.0500"), Unit::Percent), "-5.00%");
        assert_eq!(number(None, Unit::Money), "—");
    }

    #[test]
    fn segments_that_differ_never_print_alike() {
        let shown: Vec<String> = [
            Some("EMEA"),
            Some("EMEA "),
            Some(""),
            None,
            Some("(empty)"),
            Some("a, b"),
            Some("say \"hi\""),
        ]
        .iter()
        .map(|v| segment_value(*v))
        .collect();
        assert_eq!(
            shown,
            [
                "EMEA",
                "\"EMEA \"",
                "\"\"",
                "(empty)",
                "\"(empty)\"",
                "\"a, b\"",
                "\"say \\\"hi\\\"\""
            ]
        );
        for v in [
            Some("EMEA"),
            Some("EMEA "),
            None,
            Some("(empty)"),
            Some("a, b"),
            Some("say \"hi\""),
            Some("EMEA\u{200b}"),
            Some("\u{202e}AEME"),
            Some("EMEA\u{1b}[2J"),
            Some("Cafe\u{301}"),
            Some("Caf\u{e9}"),
            Some("a\\u{41}"),
        ] {
            assert_eq!(read_segment_value(&segment_value(v)).as_deref(), v, "{v:?}");
        }
        // What does not show is written out, and the escape acts on no terminal.
        assert_eq!(segment_value(Some("EMEA\u{200b}")), "\"EMEA\\u{200b}\"");
        assert_eq!(segment_value(Some("EMEA\u{1b}[2J")), "\"EMEA\\u{1b}[2J\"");
        assert_eq!(segment_value(Some("Cafe\u{301}")), "\"Cafe\\u{301}\"");
        assert_eq!(segment_value(Some("Caf\u{e9}")), "Caf\u{e9}");
    }
}
