//! Owns converting between byte offsets and LSP positions (0-based line, and a column counted in
//! the code units the client and server agreed on at `initialize`).

use lsp_types::{ClientCapabilities, Position, PositionEncodingKind, Range};

/// How a position's column counts characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The client's first offered encoding that we speak (it lists them by preference), or else
    /// UTF-16, which every client must accept.
    pub fn negotiate(client: &ClientCapabilities) -> Encoding {
        let offered = client
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref())
            .unwrap_or_default();
        offered
            .iter()
            .find_map(|kind| match kind.as_str() {
                "utf-8" => Some(Encoding::Utf8),
                "utf-16" => Some(Encoding::Utf16),
                "utf-32" => Some(Encoding::Utf32),
                _ => None,
            })
            .unwrap_or(Encoding::Utf16)
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf32 => 1,
        }
    }

    /// The byte offset of an LSP position, clamped to the text (a column inside a character is
    /// that character's start, and one past its line's end is the line's end).
    pub fn offset(self, text: &str, at: Position) -> usize {
        let mut start = 0;
        for _ in 0..at.line {
            match next_break(text, start) {
                Some((_, after)) => start = after,
                None => return text.len(),
            }
        }
        let end = next_break(text, start).map_or(text.len(), |(at, _)| at);
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            if units >= at.character as usize {
                return start + i;
            }
            units += self.units(c);
        }
        end
    }

    /// The LSP position of a byte offset.
    pub fn position(self, text: &str, offset: usize) -> Position {
        let mut at = offset.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let (mut line, mut line_start) = (0, 0);
        while let Some((_, after)) = next_break(text, line_start).filter(|(_, a)| *a <= at) {
            line += 1;
            line_start = after;
        }
        // Between a CR and its LF: the end of the line, at the CR.
        if let Some((b, _)) = next_break(text, line_start).filter(|(b, _)| *b < at) {
            at = b;
        }
        let character: usize = text[line_start..at].chars().map(|c| self.units(c)).sum();
        Position::new(saturate(line), saturate(character))
    }

    pub fn range(self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }
}

/// The next line break at or after `from`, as its first byte and the byte after it: the protocol
/// ends a line with `\n`, `\r\n` or a lone `\r`.
fn next_break(text: &str, from: usize) -> Option<(usize, usize)> {
    let i = from + text[from..].find(['\n', '\r'])?;
    let after = match text[i..].starts_with("\r\n") {
        true => i + 2,
        false => i + 1,
    };
    Some((i, after))
}

/// The protocol's numbers are 32-bit; a line or column past that (a 4 GiB line) is the last one.
fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_counts_the_agreed_units() {
        let text = "a\n€𝄞x\n";
        // `x` is byte 1 + 1 + 3 + 4 = 9: after € (3 bytes, 1 UTF-16 unit, 1 character) and 𝄞
        // (4 bytes, 2 UTF-16 units, 1 character).
        let x = |character| Position::new(1, character);
        assert_eq!(Encoding::Utf16.position(text, 9), x(3));
        assert_eq!(Encoding::Utf8.position(text, 9), x(7));
        assert_eq!(Encoding::Utf32.position(text, 9), x(2));
        assert_eq!(Encoding::Utf16.offset(text, x(3)), 9);
        assert_eq!(Encoding::Utf8.offset(text, x(7)), 9);
        assert_eq!(Encoding::Utf32.offset(text, x(2)), 9);
        assert_eq!(
            Encoding::Utf16.offset(text, Position::new(5, 0)),
            text.len()
        );
    }

    #[test]
    fn a_line_ends_at_a_line_feed_a_carriage_return_or_both() {
        // Three lines ended three ways; `x` starts the last.
        let text = "a\nb\r\nc\rx";
        let x = text.find('x').unwrap();
        assert_eq!(Encoding::Utf16.position(text, x), Position::new(3, 0));
        assert_eq!(Encoding::Utf16.offset(text, Position::new(3, 0)), x);
        assert_eq!(
            Encoding::Utf16.offset(text, Position::new(2, 0)),
            text.find('c').unwrap()
        );
        // The end of line 1 is its CR, and a column past it stays there.
        assert_eq!(Encoding::Utf16.offset(text, Position::new(1, 9)), 3);
        assert_eq!(Encoding::Utf16.position(text, 4), Position::new(1, 1));
    }

    #[test]
    fn the_first_encoding_offered_that_we_speak_is_chosen() {
        let offering = |kinds: &[&'static str]| ClientCapabilities {
            general: Some(lsp_types::GeneralClientCapabilities {
                position_encodings: Some(
                    kinds.iter().map(|k| PositionEncodingKind::new(k)).collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            Encoding::negotiate(&offering(&["utf-32", "utf-8"])),
            Encoding::Utf32
        );
        assert_eq!(
            Encoding::negotiate(&offering(&["latin-1", "utf-8"])),
            Encoding::Utf8
        );
        assert_eq!(Encoding::negotiate(&offering(&[])), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(&ClientCapabilities::default()),
            Encoding::Utf16
        );
    }
}
