//! Owns the formatter's output lines and turning them into text: indentation, aligned values in
//! nested blocks, aligned trailing comments, and no more than one blank line in a row.

/// One line of output, before alignment.
#[derive(Debug, Default, Clone)]
pub struct Line {
    /// Indentation in steps of two spaces.
    pub indent: usize,
    /// `key:` for an entry; empty for any other line.
    pub key: String,
    /// What follows the key, or the whole line. A triple-quoted text keeps its line ends here.
    pub body: String,
    pub comment: Option<String>,
    /// The nested block whose one-line entries align their values with each other.
    pub align: Option<usize>,
    pub blank: bool,
}

impl Line {
    pub fn code(indent: usize, body: String) -> Line {
        Line {
            indent,
            body,
            ..Line::default()
        }
    }

    pub fn blank() -> Line {
        Line {
            blank: true,
            ..Line::default()
        }
    }

    /// Adds text after what the line holds, one space apart.
    pub fn append(&mut self, text: &str) {
        if !self.body.is_empty() && !self.body.ends_with(' ') {
            self.body.push(' ');
        }
        self.body.push_str(text);
    }

    fn code_text(&self, key_width: usize) -> String {
        let pad = "  ".repeat(self.indent);
        match (self.key.is_empty(), self.body.is_empty()) {
            (true, _) => format!("{pad}{}", self.body),
            (false, true) => format!("{pad}{}", self.key),
            (false, false) => format!("{pad}{:key_width$} {}", self.key, self.body),
        }
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// The lines as text, ending in one line end.
pub fn render(lines: &[Line]) -> String {
    // No blank line at the start, at the end, twice in a row, or just inside a block.
    let mut kept: Vec<&Line> = Vec::new();
    for l in lines {
        if l.blank && kept.last().is_none_or(|p| p.blank) {
            continue;
        }
        kept.push(l);
    }
    while kept.last().is_some_and(|l| l.blank) {
        kept.pop();
    }

    // Values of consecutive entries in one nested block line up.
    let mut key_width = vec![0; kept.len()];
    let mut k = 0;
    while k < kept.len() {
        let Some(group) = kept[k].align else {
            key_width[k] = width(&kept[k].key);
            k += 1;
            continue;
        };
        let end = (k..kept.len())
            .find(|&j| kept[j].align != Some(group))
            .unwrap_or(kept.len());
        let w = kept[k..end]
            .iter()
            .map(|l| width(&l.key))
            .max()
            .unwrap_or(0);
        key_width[k..end].iter_mut().for_each(|x| *x = w);
        k = end;
    }
    let code: Vec<String> = kept
        .iter()
        .zip(&key_width)
        .map(|(l, w)| l.code_text(*w))
        .collect();

    // Trailing comments on consecutive lines line up, two spaces after the longest code.
    let trails = |j: usize| {
        kept[j].comment.is_some() && !code[j].trim().is_empty() && !code[j].contains('\n')
    };
    let mut column = vec![0; kept.len()];
    let mut k = 0;
    while k < kept.len() {
        if !trails(k) {
            k += 1;
            continue;
        }
        let end = (k..kept.len()).find(|&j| !trails(j)).unwrap_or(kept.len());
        let c = code[k..end].iter().map(|c| width(c)).max().unwrap_or(0) + 2;
        column[k..end].iter_mut().for_each(|x| *x = c);
        k = end;
    }

    let mut out = String::new();
    for (j, l) in kept.iter().enumerate() {
        if l.blank {
            out.push('\n');
            continue;
        }
        let text = &code[j];
        out.push_str(text);
        if let Some(c) = &l.comment {
            if text.trim().is_empty() {
                out.truncate(out.len() - text.len());
                out.push_str(&"  ".repeat(l.indent));
            } else if trails(j) {
                let pad = column[j].saturating_sub(width(text));
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
            }
            out.push_str(c);
        }
        out.push('\n');
    }
    out
}
