//! Owns cutting a file into top-level declarations by balanced braces, skipping strings and comments.

use std::ops::Range;

/// The byte-order mark that may open a UTF-8 file.
pub const BOM: char = '\u{feff}';

/// Byte ranges of the top-level declarations, each from its first doc comment or word to its closing
/// brace. Text after the last closing brace that is not blank forms a chunk of its own, so the parser
/// reports it.
pub fn declarations(source: &str) -> Vec<Range<usize>> {
    let bytes = source.as_bytes();
    let mut chunks = Vec::new();
    // A byte-order mark before the first declaration (editors on Windows write one) is no text.
    let mut i = if source.starts_with(BOM) {
        BOM.len_utf8()
    } else {
        0
    };
    let mut start: Option<usize> = None;
    let mut depth = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &bytes[i..];
        if rest.starts_with(b"///") && !rest.starts_with(b"////") {
            start.get_or_insert(i);
            i = line_end(bytes, i);
            continue;
        }
        if rest.starts_with(b"//") {
            i = line_end(bytes, i);
            continue;
        }
        if rest.starts_with(b"/*") {
            i = match source[i + 2..].find("*/") {
                Some(p) => i + 2 + p + 2,
                None => bytes.len(),
            };
            continue;
        }
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        start.get_or_insert(i);
        match b {
            b'"' if rest.starts_with(b"\"\"\"") => {
                // A triple-quoted block runs to the next `"""`, across lines and braces.
                i = match source[i + 3..].find("\"\"\"") {
                    Some(p) => i + 3 + p + 3,
                    None => bytes.len(),
                };
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && !is_line_end(bytes[i]) {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some(s) = start.take() {
                        chunks.push(s..i + 1);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(s) = start {
        chunks.push(s..bytes.len());
    }
    chunks
}

/// Where the line holding `i` ends: at a line feed, or a carriage return (a file saved with
/// lone CRs, as classic Mac editors write, has no line feed at all; the grammar's `NEWLINE`
/// takes all three line ends).
fn line_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && !is_line_end(bytes[i]) {
        i += 1;
    }
    i
}

/// A byte that ends a line: `\n`, or `\r` alone or before `\n`.
pub fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

#[cfg(test)]
mod tests {
    use super::declarations;

    #[test]
    fn cuts_at_balanced_braces_ignoring_strings_and_comments() {
        let src = "/// doc\nkpi a { x: \"}\" // }\n y: { z: 1 } }\n/* { */ kpi b { }";
        let parts: Vec<&str> = declarations(src).into_iter().map(|r| &src[r]).collect();
        assert_eq!(
            parts,
            vec![
                "/// doc\nkpi a { x: \"}\" // }\n y: { z: 1 } }",
                "kpi b { }"
            ]
        );
    }

    #[test]
    fn triple_quoted_text_may_hold_braces_and_lines() {
        let src = "function f { rhai: \"\"\"\nfn f(v, t) { if v > 1 { 10 } else { 0 } }\n\"\"\" }\nkpi k { }";
        let parts: Vec<&str> = declarations(src).into_iter().map(|r| &src[r]).collect();
        assert_eq!(parts.len(), 2);
        assert!(parts[0].ends_with("\"\"\" }"));
    }

    #[test]
    fn a_byte_order_mark_opens_no_declaration() {
        let src = "\u{feff}scorecard t { }\nkpi k { }";
        let parts: Vec<&str> = declarations(src).into_iter().map(|r| &src[r]).collect();
        assert_eq!(parts, vec!["scorecard t { }", "kpi k { }"]);
    }

    #[test]
    fn unclosed_declaration_runs_to_the_end() {
        let src = "kpi a { x: 1\nkpi b { }";
        assert_eq!(declarations(src), vec![0..src.len()]);
    }
}
