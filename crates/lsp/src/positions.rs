//! Owns converting between byte offsets and LSP positions (0-based line, UTF-16 code units).

use serde_json::{json, Value};

/// The byte offset of an LSP position, clamped to the text.
pub fn offset(text: &str, line: usize, character: usize) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(p) => start += p + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |p| start + p);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16();
    }
    end
}

/// The LSP position of a byte offset.
pub fn position(text: &str, offset: usize) -> Value {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let character: usize = text[line_start..at].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

pub fn range(text: &str, start: usize, end: usize) -> Value {
    json!({ "start": position(text, start), "end": position(text, end.max(start)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_a_non_bmp_character_as_two() {
        let text = "a\n€𝄞x\n";
        // `x` is byte 1 + 1 + 3 + 4 = 9; in UTF-16 it is after € (1 unit) and 𝄞 (2 units).
        assert_eq!(position(text, 9), json!({"line": 1, "character": 3}));
        assert_eq!(offset(text, 1, 3), 9);
        assert_eq!(offset(text, 5, 0), text.len());
    }
}
