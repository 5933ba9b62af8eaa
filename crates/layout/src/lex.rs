//! Owns cutting scorecard text into the tokens the formatter lays out, comments included: the
//! grammar's atoms (paths, numbers with `%`, dates, period names, strings) stay whole.

/// What a token is, as far as layout cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A name, a keyword or a dotted path: `orders.revenue`.
    Word,
    /// `12`, `0.95`, `40%`, `2026-07-01`, `2026-05`, `FY2027-Q4`.
    Number,
    /// `"..."` on one line.
    Str,
    /// `"""..."""`, which may span lines and is kept exactly as written.
    Triple,
    /// `{ } ( ) [ ] , :`
    Punct,
    /// `+ - * / = == != < <= > >=`, and any character the grammar does not know.
    Op,
    /// `// ...` to the end of the line.
    LineComment,
    /// `/* ... */`
    BlockComment,
    /// `/// ...`: a doc comment, which belongs to the next declaration or entry.
    Doc,
}

#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// How many line ends come between the previous token and this one.
    pub newlines: usize,
}

impl Token<'_> {
    pub fn is_comment(&self) -> bool {
        matches!(
            self.kind,
            Kind::LineComment | Kind::BlockComment | Kind::Doc
        )
    }
    pub fn is(&self, text: &str) -> bool {
        matches!(self.kind, Kind::Punct | Kind::Op) && self.text == text
    }
}

/// The tokens of a text, in order. Whitespace is dropped but counted in line ends.
pub fn tokens(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut newlines = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            // A line ends at `\n`, `\r\n` (counted at its `\n`) or a lone `\r`.
            let lone_cr = b == b'\r' && bytes.get(i + 1) != Some(&b'\n');
            newlines += usize::from(b == b'\n' || lone_cr);
            i += 1;
            continue;
        }
        let rest = &source[i..];
        let (kind, len) = if rest.starts_with("///") && !rest.starts_with("////") {
            (Kind::Doc, line_len(rest))
        } else if rest.starts_with("//") {
            (Kind::LineComment, line_len(rest))
        } else if let Some(inner) = rest.strip_prefix("/*") {
            (
                Kind::BlockComment,
                inner.find("*/").map_or(rest.len(), |p| p + 4),
            )
        } else if let Some(inner) = rest.strip_prefix("\"\"\"") {
            (
                Kind::Triple,
                inner.find("\"\"\"").map_or(rest.len(), |p| p + 6),
            )
        } else if b == b'"' {
            (Kind::Str, quoted_len(rest))
        } else if let Some(len) = period_len(rest) {
            (Kind::Number, len)
        } else if b.is_ascii_digit() {
            (Kind::Number, number_len(rest))
        } else if b.is_ascii_alphabetic() || b == b'_' {
            (Kind::Word, path_len(rest))
        } else if b"{}()[],:".contains(&b) {
            (Kind::Punct, 1)
        } else if ["==", "!=", "<=", ">="]
            .iter()
            .any(|op| rest.starts_with(op))
        {
            (Kind::Op, 2)
        } else {
            (Kind::Op, rest.chars().next().map_or(1, char::len_utf8))
        };
        out.push(Token {
            kind,
            text: &source[i..i + len],
            newlines,
        });
        newlines = 0;
        i += len;
    }
    out
}

fn line_len(rest: &str) -> usize {
    rest.find(['\n', '\r']).unwrap_or(rest.len())
}

fn quoted_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 1;
    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' && bytes[i] != b'\r' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(bytes.len())
}

fn ident_len(rest: &str) -> usize {
    rest.bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count()
}

/// `name` or `dataset.column`: the grammar reads a dotted path as one atom.
fn path_len(rest: &str) -> usize {
    let mut len = ident_len(rest);
    while rest[len..].starts_with('.')
        && rest[len + 1..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
    {
        len += 1 + ident_len(&rest[len + 1..]);
    }
    len
}

fn digits(rest: &str) -> usize {
    rest.bytes().take_while(u8::is_ascii_digit).count()
}

/// `12`, `0.95`, `40%`, or a date `2026-07-01`.
fn number_len(rest: &str) -> usize {
    let whole = digits(rest);
    let b = rest.as_bytes();
    if whole == 4
        && b.get(4) == Some(&b'-')
        && digits(&rest[5..]) == 2
        && b.get(7) == Some(&b'-')
        && digits(&rest[8..]) == 2
    {
        return 10;
    }
    let mut len = whole;
    if rest[len..].starts_with('.') && digits(&rest[len + 1..]) > 0 {
        len += 1 + digits(&rest[len + 1..]);
    }
    if rest[len..].starts_with('%') {
        len += 1;
    }
    len
}

/// A period name such as `2026-05`, `2026-Q2` or `FY2027-W05`, as the grammar's `period` reads it.
fn period_len(rest: &str) -> Option<usize> {
    let start = if rest.starts_with("FY") { 2 } else { 0 };
    let b = rest.as_bytes();
    if digits(&rest[start..]) != 4 || b.get(start + 4) != Some(&b'-') {
        return None;
    }
    let mut len = start + 5;
    if matches!(b.get(len), Some(b'Q' | b'P' | b'W')) {
        len += 1;
    }
    let n = digits(&rest[len..]);
    len += n;
    let next = b.get(len).copied().unwrap_or(b' ');
    let whole =
        (1..=2).contains(&n) && !(next.is_ascii_alphanumeric() || next == b'_' || next == b'-');
    whole.then_some(len)
}
