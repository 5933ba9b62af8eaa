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
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(empty)")))
        .collect::<Vec<_>>()
        .join(", ")
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
}
