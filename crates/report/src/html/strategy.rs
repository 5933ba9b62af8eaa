//! Owns the strategy map as inline SVG: perspectives as bands from the top of the map down, their
//! objectives as boxes with the last period's score, `drives` links as arrows from cause to effect.

use super::esc;
use rust_decimal::Decimal;
use scorecard_model::Model;
use scorecard_rules::Evaluation;
use std::collections::HashMap;
use std::fmt::Write;

const BOX_W: f64 = 180.0;
const BOX_H: f64 = 58.0;
const GAP: f64 = 28.0;
const LAYER_H: f64 = 110.0;
const LABEL_W: f64 = 130.0;

/// The map, or nothing when the scorecard declares no objectives under perspectives.
pub fn map(model: &Model, e: &Evaluation) -> Option<String> {
    let layers: Vec<_> = model
        .perspectives
        .iter()
        .map(|p| {
            let objectives: Vec<_> = model
                .objectives
                .iter()
                .filter(|o| o.perspective == p.name)
                .collect();
            (p, objectives)
        })
        .filter(|(_, o)| !o.is_empty())
        .collect();
    if layers.is_empty() {
        return None;
    }
    let widest = layers.iter().map(|(_, o)| o.len()).max().unwrap_or(1) as f64;
    let w = LABEL_W + widest * (BOX_W + GAP) + GAP;
    let h = LAYER_H * layers.len() as f64;
    let last = e.periods.last();
    let score = |name: &str| -> Option<Decimal> {
        let o = e.scores.objectives.iter().find(|o| o.name == name)?;
        o.results
            .iter()
            .find(|r| Some(&r.period) == last)
            .and_then(|r| r.score)
    };
    let withheld = |name: &str| -> bool {
        let o = e.scores.objectives.iter().find(|o| o.name == name);
        let last_score = o.and_then(|o| o.results.iter().find(|r| Some(&r.period) == last));
        last_score.is_some_and(|r| r.withheld)
    };
    let mut out = format!(
        r#"<svg class="map" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="strategy map"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>"#
    );
    // Where each objective's box sits: its layer's objectives centred across the map.
    let mut place: HashMap<&str, (f64, f64)> = HashMap::new();
    for (row, (p, objectives)) in layers.iter().enumerate() {
        let y = LAYER_H * row as f64;
        let _ = write!(
            out,
            r#"<rect class="layer l{}" x="0" y="{y:.1}" width="{w:.1}" height="{LAYER_H}"/><text class="layer-name" x="12" y="{:.1}">{}</text>"#,
            row % 2,
            y + LAYER_H / 2.0 + 4.0,
            esc(p.label.as_deref().unwrap_or(&p.name))
        );
        let used = objectives.len() as f64 * (BOX_W + GAP) - GAP;
        let x0 = LABEL_W + (w - LABEL_W - used) / 2.0;
        for (i, o) in objectives.iter().enumerate() {
            let x = x0 + i as f64 * (BOX_W + GAP);
            let by = y + (LAYER_H - BOX_H) / 2.0;
            place.insert(o.name.as_str(), (x, by));
        }
    }
    for o in &model.objectives {
        for d in &o.drives {
            if let (Some(from), Some(to)) = (place.get(o.name.as_str()), place.get(d.as_str())) {
                out.push_str(&arrow(*from, *to));
            }
        }
    }
    for (_, objectives) in &layers {
        for o in objectives {
            let Some(&(x, y)) = place.get(o.name.as_str()) else {
                continue;
            };
            let label = o.label.as_deref().unwrap_or(&o.name);
            let shown = match (score(&o.name), withheld(&o.name)) {
                (Some(s), _) => format!("score {s}"),
                (None, true) => "score withheld".into(),
                (None, false) => "no score".into(),
            };
            let _ = write!(
                out,
                r#"<g class="objective"><title>{}: {shown}</title><rect x="{x:.1}" y="{y:.1}" width="{BOX_W}" height="{BOX_H}" rx="8"/>"#,
                esc(label)
            );
            for (i, line) in wrap(label, 26).iter().take(2).enumerate() {
                let _ = write!(
                    out,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    x + BOX_W / 2.0,
                    y + 18.0 + 14.0 * i as f64,
                    esc(line)
                );
            }
            // A meter of the score out of 10 under the name, with the number beside it.
            let filled = score(&o.name)
                .and_then(|s| rust_decimal::prelude::ToPrimitive::to_f64(&s))
                .unwrap_or(0.0)
                .clamp(0.0, 10.0);
            let _ = write!(
                out,
                r#"<rect class="meter" x="{:.1}" y="{:.1}" width="100" height="6"/><rect class="meter-fill" x="{:.1}" y="{:.1}" width="{:.1}" height="6"/><text class="score" x="{:.1}" y="{:.1}">{}</text></g>"#,
                x + 12.0,
                y + BOX_H - 14.0,
                x + 12.0,
                y + BOX_H - 14.0,
                filled * 10.0,
                x + 120.0,
                y + BOX_H - 8.0,
                esc(&shown)
            );
        }
    }
    out.push_str("</svg>");
    Some(out)
}

/// An arrow from the edge of one box to the edge of another: top to bottom between layers, side to
/// side within one.
fn arrow((fx, fy): (f64, f64), (tx, ty): (f64, f64)) -> String {
    let ((x1, y1), (x2, y2)) = if (fy - ty).abs() < 1.0 {
        if fx < tx {
            ((fx + BOX_W, fy + BOX_H / 2.0), (tx, ty + BOX_H / 2.0))
        } else {
            ((fx, fy + BOX_H / 2.0), (tx + BOX_W, ty + BOX_H / 2.0))
        }
    } else if fy > ty {
        ((fx + BOX_W / 2.0, fy), (tx + BOX_W / 2.0, ty + BOX_H))
    } else {
        ((fx + BOX_W / 2.0, fy + BOX_H), (tx + BOX_W / 2.0, ty))
    };
    format!(
        r#"<line class="drives" x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" marker-end="url(#arrow)"/>"#
    )
}

/// Words joined into lines of at most `width` characters (a longer word has a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= width => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_words_into_lines() {
        assert_eq!(
            super::wrap("Grow revenue from existing customers", 26),
            ["Grow revenue from existing", "customers"]
        );
        assert_eq!(super::wrap("", 26), Vec::<String>::new());
    }
}
