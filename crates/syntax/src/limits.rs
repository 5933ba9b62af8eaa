//! Owns the limits on the shape of what is parsed: how deep brackets, braces and prefix operators
//! nest, and how many operators one value holds. They bound the depth of every syntax tree, so
//! neither the parser nor any stage after it recurses without bound on what a user wrote.
//!
//! Nesting is checked on the text, before pest parses it (pest recurses once per bracket); the
//! operators of a value are counted as the tree is built (`tree.rs`), from pest's flat list.

use scorecard_diagnostic::{Code, Diagnostic, Span};

/// How deep brackets (`(`, `[`), braces and runs of prefix operators (`-`, `not`) may nest.
pub const MAX_NESTING: usize = 64;

/// How many operators (`+`, `and`, `-x`, `x[-1]`, ...) one value may hold, nested ones included.
pub const MAX_OPERATORS: usize = 1000;

/// The first place in `text` (a declaration starting at `offset` in the file) where brackets and
/// braces nest deeper than `MAX_NESTING`. Strings and comments are skipped as the splitter skips
/// them.
pub fn nesting(text: &str, offset: usize) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            i += rest
                .iter()
                .position(|b| crate::split::is_line_end(*b))
                .unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with(b"/*") {
            i += text[i + 2..].find("*/").map_or(rest.len(), |p| p + 4);
            continue;
        }
        if rest.starts_with(b"\"\"\"") {
            i += text[i + 3..].find("\"\"\"").map_or(rest.len(), |p| p + 6);
            continue;
        }
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && !crate::split::is_line_end(bytes[i]) {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(too_deep(Span::new(offset + i, offset + i + 1)));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Brackets, braces or prefix operators nested deeper than `MAX_NESTING`, at `span`.
pub fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        span,
        format!("this is nested more than {MAX_NESTING} deep"),
    )
    .label(format!("nesting {} deep starts here", MAX_NESTING + 1))
    .help("remove brackets or signs that are not needed, or give an inner part a name of its own as a KPI")
}

/// A value holding more than `MAX_OPERATORS` operators, at `span`.
pub fn too_long(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooLong,
        span,
        format!("this value holds more than {MAX_OPERATORS} operators"),
    )
    .label("too many operators in this value")
    .help("split it into KPIs of their own and add those, or use one aggregate with a filter (`sum(x where ...)`) instead of many terms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_strings_and_comments_do_not_nest() {
        let deep = "(".repeat(MAX_NESTING + 1);
        let text = format!(
            "kpi k {{ label: \"{deep}\" // {deep}\n /* {deep} */ rhai: \"\"\"{deep}\"\"\" }}"
        );
        assert!(nesting(&text, 0).is_none());
        let text = format!("kpi k {{ value: {deep}");
        let d = nesting(&text, 10).expect("too deep");
        // The brace is the first level, so the 64th parenthesis is the 65th level.
        assert_eq!(d.span.start, 10 + "kpi k { value: ".len() + MAX_NESTING - 1);
    }
}
