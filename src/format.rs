//! Owns how numbers and segments read in text: money and counts with thousands separators, percents
//! as percents, "no value" as an em dash.

use crate::check::model::Unit;
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

/// How a segment's value reads: as it is, or `(empty)` for no value; in double quotes when it
/// would read otherwise as something else (`"EMEA "` beside `EMEA`, `""`, `"(empty)"`, a value
/// holding `,` `=` or `"`), so that two segments never print alike.
pub fn segment_value(v: Option<&str>) -> String {
    let Some(v) = v else {
        return EMPTY.into();
    };
    let plain = !v.is_empty()
        && v.trim() == v
        && v != EMPTY
        && !v.contains([',', '=', '"', '\\'])
        && !v.chars().any(char::is_control);
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
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
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
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    Some(out)
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
        ] {
            assert_eq!(read_segment_value(&segment_value(v)).as_deref(), v, "{v:?}");
        }
    }
}
