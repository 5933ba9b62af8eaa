//! Owns the report's charts as inline SVG text: the sparkline, the trend against target over the
//! threshold bands, horizontal bars and the whale curve. Decimals become screen coordinates here
//! and only here (an `f64` places a point on the page; no number shown is computed from one).

use super::esc;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use scorecard_model::format::number;
use scorecard_model::Unit;
use scorecard_rules::bands::{status_of, Band};
use scorecard_rules::Status;
use std::fmt::Write;

/// One period of a series: its name, value, target, status and threshold bands.
pub struct Point<'a> {
    pub period: &'a str,
    pub value: Option<Decimal>,
    pub target: Option<Decimal>,
    pub status: Status,
    pub bands: &'a [Band],
}

/// The CSS class that colours a status (the page's style sheet defines the colours).
pub fn class(s: Status) -> &'static str {
    match s {
        Status::Green => "green",
        Status::Amber => "amber",
        Status::Red => "red",
        Status::NoValue => "none",
        Status::Unrated => "unrated",
        Status::InsufficientData => "insufficient",
        Status::Suppressed => "suppressed",
    }
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Maps values onto a vertical range of pixels, top for the highest.
struct Scale {
    low: f64,
    high: f64,
    top: f64,
    bottom: f64,
}

impl Scale {
    /// Covers `values`, padded by a tenth of their spread (or of their size, when they are all
    /// equal) so that no point sits on the edge.
    fn over(values: impl Iterator<Item = f64>, (top, bottom): (f64, f64)) -> Option<Scale> {
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite()) {
            low = low.min(v);
            high = high.max(v);
        }
        if low > high {
            return None;
        }
        let spread = if high > low {
            high - low
        } else {
            low.abs().max(1.0)
        };
        Some(Scale {
            low: low - spread / 10.0,
            high: high + spread / 10.0,
            top,
            bottom,
        })
    }

    fn y(&self, v: f64) -> f64 {
        let t = (v - self.low) / (self.high - self.low);
        self.bottom - t * (self.bottom - self.top)
    }
}

/// Points joined into polylines, broken where a value is missing.
fn lines(points: &[Option<(f64, f64)>]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for p in points {
        match p {
            Some((x, y)) => {
                let _ = write!(current, "{x:.1},{y:.1} ");
            }
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter().map(|s| s.trim_end().to_string()).collect()
}

/// The target as a dashed line under the values' line, each broken where a period has none.
fn target_and_value(
    points: &[Point],
    at: &dyn Fn(usize, Option<Decimal>) -> Option<(f64, f64)>,
) -> String {
    let mut out = String::new();
    for (class, pick) in [
        (
            "target",
            (|p: &Point| p.target) as fn(&Point) -> Option<Decimal>,
        ),
        ("value", |p: &Point| p.value),
    ] {
        let line: Vec<_> = points
            .iter()
            .enumerate()
            .map(|(i, p)| at(i, pick(p)))
            .collect();
        for l in lines(&line) {
            let _ = write!(out, r#"<polyline class="{class}" points="{l}"/>"#);
        }
    }
    out
}

/// A small line of the values, the target dashed, the last value's dot in its status colour.
pub fn sparkline(points: &[Point]) -> String {
    let (w, h) = (120.0, 28.0);
    let numbers = points
        .iter()
        .flat_map(|p| [p.value, p.target])
        .flatten()
        .map(f);
    let Some(scale) = Scale::over(numbers, (3.0, h - 3.0)) else {
        return format!(
            r#"<svg class="spark" width="{w}" height="{h}" role="img" aria-label="no values"></svg>"#
        );
    };
    let x = |i: usize| {
        if points.len() < 2 {
            w / 2.0
        } else {
            3.0 + i as f64 * (w - 6.0) / (points.len() - 1) as f64
        }
    };
    let mut out = format!(
        r#"<svg class="spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="trend over {} periods">"#,
        points.len()
    );
    let at = |i: usize, v: Option<Decimal>| v.map(|v| (x(i), scale.y(f(v))));
    out.push_str(&target_and_value(points, &at));
    if let Some((i, p)) = points
        .iter()
        .enumerate()
        .rev()
        .find(|(_, p)| p.value.is_some())
    {
        if let Some((cx, cy)) = at(i, p.value) {
            let _ = write!(
                out,
                r#"<circle class="dot {}" cx="{cx:.1}" cy="{cy:.1}" r="2.5"/>"#,
                class(p.status)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// The values against the target over the threshold bands, period by period, with a labelled
/// axis; each point names its period, value and status on hover.
pub fn trend(points: &[Point], unit: Unit, title: &str) -> String {
    let (w, h) = (640.0, 220.0);
    let (left, right, top, bottom) = (84.0, 12.0, 10.0, h - 28.0);
    let shown: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.value, p.target])
        .flatten()
        .map(f)
        .collect();
    // Cut-offs near the values widen the scale so their bands show; one far away (a `>= 0` under
    // values in the millions) would flatten the line, so it only tints the edge.
    let (lo, hi) = shown
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let reach = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let cuts = points
        .iter()
        .flat_map(|p| p.bands.iter().filter_map(|b| b.at))
        .map(f)
        .filter(|c| lo.is_finite() && *c >= lo - reach && *c <= hi + reach);
    let Some(scale) = Scale::over(shown.iter().copied().chain(cuts), (top, bottom)) else {
        return format!(
            r#"<p class="empty">{} has no value in these periods.</p>"#,
            esc(title)
        );
    };
    let step = (w - left - right) / points.len().max(1) as f64;
    let x = |i: usize| left + step * (i as f64 + 0.5);
    let mut out = format!(
        r#"<svg class="trend" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{} against target, with threshold bands">"#,
        esc(title)
    );
    out.push_str(&band_rects(points, &scale, (left, step)));
    // The axis: the top and bottom of the scale and the middle, in the KPI's unit, with enough
    // places that the three read differently.
    let places = tick_places(unit, scale.high - scale.low);
    for v in [scale.high, (scale.high + scale.low) / 2.0, scale.low] {
        let y = scale.y(v);
        let label = Decimal::from_f64_retain(v)
            .map(|d| {
                let mut d = d.round_dp(places);
                d.rescale(places);
                number(Some(d), unit)
            })
            .unwrap_or_default();
        out.push_str(&gridline((left, w - right), y, &label));
    }
    let label_every = points.len().div_ceil(12).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % label_every == 0 {
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x(i),
                h - 10.0,
                esc(p.period)
            );
        }
    }
    let at = |i: usize, v: Option<Decimal>| v.map(|v| (x(i), scale.y(f(v))));
    out.push_str(&target_and_value(points, &at));
    for (i, p) in points.iter().enumerate() {
        if let Some((cx, cy)) = at(i, p.value) {
            let _ = write!(
                out,
                r#"<circle class="dot {}" cx="{cx:.1}" cy="{cy:.1}" r="4"><title>{}: {} ({})</title></circle>"#,
                class(p.status),
                esc(p.period),
                esc(&number(p.value, unit)),
                p.status.name()
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A horizontal grid line across the plot at `y`, labelled at its left end.
fn gridline((left, right): (f64, f64), y: f64, label: &str) -> String {
    format!(
        r#"<line class="grid" x1="{left}" x2="{right:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        left - 6.0,
        y + 4.0,
        esc(label)
    )
}

/// Places an axis label keeps: a percent's to a tenth of a percent, money to cents, and more when
/// the scale spans less than that, so that its labels differ.
fn tick_places(unit: Unit, span: f64) -> u32 {
    let least = match unit {
        Unit::Percent => 3,
        Unit::Count => 0,
        Unit::Ratio => 4,
        _ => 2,
    };
    if span <= 0.0 || !span.is_finite() {
        return least;
    }
    let needed = (-(span / 2.0).log10()).ceil() + 1.0;
    (needed.clamp(0.0, 12.0) as u32).max(least)
}

/// Each period's column tinted by the status its thresholds give every height: the cut-offs split
/// the column, and the middle of each piece decides its colour.
fn band_rects(points: &[Point], scale: &Scale, (left, step): (f64, f64)) -> String {
    let mut out = String::new();
    for (i, p) in points.iter().enumerate() {
        if p.bands.is_empty() {
            continue;
        }
        let mut edges: Vec<Decimal> = p.bands.iter().filter_map(|b| b.at).collect();
        edges.sort();
        edges.dedup();
        // Pieces between the cut-offs, plus one below the lowest and one above the highest.
        let mut pieces: Vec<(Option<Decimal>, Option<Decimal>)> = Vec::new();
        let mut below = None;
        for e in &edges {
            pieces.push((below, Some(*e)));
            below = Some(*e);
        }
        pieces.push((below, None));
        let x0 = left + step * i as f64;
        for (low, high) in pieces {
            let probe = match (low, high) {
                (Some(a), Some(b)) => (a + b) / Decimal::TWO,
                (None, Some(b)) => b - Decimal::ONE.max(b.abs()),
                (Some(a), None) => a + Decimal::ONE.max(a.abs()),
                (None, None) => Decimal::ZERO,
            };
            let Some(status) = status_of(p.bands, probe) else {
                continue;
            };
            let y_top = high.map(|v| scale.y(f(v))).unwrap_or(scale.top);
            let y_bottom = low.map(|v| scale.y(f(v))).unwrap_or(scale.bottom);
            let (y_top, y_bottom) = (y_top.max(scale.top), y_bottom.min(scale.bottom));
            if y_bottom <= y_top {
                continue;
            }
            let _ = write!(
                out,
                r#"<rect class="band {}" x="{x0:.1}" y="{y_top:.1}" width="{step:.1}" height="{:.1}"/>"#,
                class(status),
                y_bottom - y_top
            );
        }
    }
    out
}

/// Horizontal bars, one group per row label and one bar per series, each labelled with its
/// amount. Negative amounts draw leftwards from zero.
pub fn bars(rows: &[(String, Vec<Option<Decimal>>)], series: &[String], unit: Unit) -> String {
    let (label_w, bar_w, row_h) = (150.0, 360.0, 16.0);
    let group_h = row_h * series.len().max(1) as f64 + 10.0;
    let h = 16.0 * series.len() as f64 + 6.0 + group_h * rows.len() as f64;
    let w = label_w + bar_w + 110.0;
    let amounts = rows
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .map(|d| f(*d));
    let (lo, hi) = amounts.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let x = |v: f64| label_w + (v - lo) / span * bar_w;
    let mut out = format!(
        r#"<svg class="bars" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="credit by channel under each model">"#
    );
    // The legend: one line per series above the bars.
    let legend_h = 16.0 * series.len() as f64 + 6.0;
    for (s, name) in series.iter().enumerate() {
        let y = 4.0 + 16.0 * s as f64;
        let _ = write!(
            out,
            r#"<rect class="series s{s}" x="{label_w:.1}" y="{y:.1}" width="10" height="10"/><text class="axis" x="{:.1}" y="{:.1}">{}</text>"#,
            label_w + 14.0,
            y + 9.0,
            esc(name)
        );
    }
    for (r, (label, values)) in rows.iter().enumerate() {
        let y0 = legend_h + group_h * r as f64;
        let _ = write!(
            out,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 8.0,
            y0 + group_h / 2.0,
            esc(label)
        );
        for (s, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let (a, b) = (x(0.0), x(f(*v)));
            let y = y0 + row_h * s as f64;
            let _ = write!(
                out,
                r#"<rect class="series s{s}" x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{}: {}</title></rect><text class="axis" x="{:.1}" y="{:.1}">{}</text>"#,
                a.min(b),
                (b - a).abs().max(0.5),
                row_h - 3.0,
                esc(&series[s]),
                esc(&number(Some(*v), unit)),
                a.max(b) + 4.0,
                y + row_h - 5.0,
                esc(&number(Some(*v), unit))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// The cumulative share of the total against the share of entities, most valuable first, with the
/// 100% line: where the curve rises above it, the rest of the entities lose what it shows.
pub fn whale(points: &[(u32, Decimal)], title: &str) -> String {
    let (w, h) = (480.0, 260.0);
    let (left, right, top, bottom) = (56.0, 12.0, 10.0, h - 32.0);
    let shares = points.iter().map(|(_, s)| f(*s)).chain([0.0, 1.0]);
    let (lo, hi) = shares.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let scale = Scale {
        low: lo,
        high: hi + (hi - lo) / 20.0,
        top,
        bottom,
    };
    let x = |pct: u32| left + f64::from(pct) / 100.0 * (w - left - right);
    let mut out = format!(
        r#"<svg class="whale" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(title)
    );
    let mut ticks = vec![0.0, 1.0];
    if (hi - 1.0).abs() > (hi - lo) / 8.0 {
        ticks.push(hi);
    }
    for v in ticks {
        let y = scale.y(v);
        out.push_str(&gridline(
            (left, w - right),
            y,
            &format!("{:.0}%", v * 100.0),
        ));
    }
    for pct in [0u32, 20, 50, 100] {
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{pct}%</text>"#,
            x(pct),
            h - 14.0
        );
    }
    let _ = write!(
        out,
        r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">share of entities, most valuable first</text>"#,
        (left + w - right) / 2.0,
        h - 1.0
    );
    let line: Vec<_> = points
        .iter()
        .map(|(p, s)| Some((x(*p), scale.y(f(*s)))))
        .collect();
    for l in lines(&line) {
        let _ = write!(out, r#"<polyline class="value" points="{l}"/>"#);
    }
    if let Some((pct, peak)) = points
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
    {
        let _ = write!(
            out,
            r#"<circle class="dot red" cx="{:.1}" cy="{:.1}" r="4"><title>peak: the top {pct}% hold {}% of the total</title></circle>"#,
            x(*pct),
            scale.y(f(*peak)),
            (*peak * Decimal::ONE_HUNDRED).round_dp(1)
        );
    }
    out.push_str("</svg>");
    out
}

/// One-way curves: the KPI (down) against a parameter's values (across, evenly spaced in the order
/// swept), one line per series (a grid's second parameter), each point a dot with its amount.
pub fn curves(
    across: &[&str],
    series: &[(String, Vec<Option<Decimal>>)],
    unit: Unit,
    title: &str,
) -> String {
    let (w, h) = (560.0, 280.0);
    let (left, right, top, bottom) = (84.0, 16.0, 12.0, h - 40.0);
    let values = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .map(|d| f(*d));
    let Some(scale) = Scale::over(values, (top, bottom)) else {
        return String::new();
    };
    let step = (w - left - right) / across.len().saturating_sub(1).max(1) as f64;
    let x = |i: usize| left + step * i as f64;
    let mut out = format!(
        r#"<svg class="curves" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(title)
    );
    // Gridlines at the lowest and highest values, labelled with the decimals themselves.
    let all = series.iter().flat_map(|(_, v)| v.iter().flatten());
    let ends = [all.clone().min(), all.max()];
    for v in ends.into_iter().flatten() {
        out.push_str(&gridline(
            (left, w - right),
            scale.y(f(*v)),
            &number(Some(*v), unit),
        ));
    }
    for (i, label) in across.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(i),
            h - 22.0,
            esc(label)
        );
    }
    let _ = write!(
        out,
        r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        (left + w - right) / 2.0,
        h - 4.0,
        esc(title)
    );
    for (s, (name, values)) in series.iter().enumerate() {
        // Five colours, taken in turn.
        let s = s % 5;
        let line: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, v)| v.map(|v| (x(i), scale.y(f(v)))))
            .collect();
        for l in lines(&line) {
            let _ = write!(out, r#"<polyline class="series-line s{s}" points="{l}"/>"#);
        }
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let _ = write!(
                out,
                r#"<circle class="dot series s{s}" cx="{:.1}" cy="{:.1}" r="3"><title>{}{}: {}</title></circle>"#,
                x(i),
                scale.y(f(*v)),
                esc(name),
                esc(across[i]),
                esc(&number(Some(*v), unit))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One bar of a tornado: the parameter, its low and high values as written, and the KPI at each.
pub struct TornadoBar<'a> {
    pub name: &'a str,
    pub low: &'a str,
    pub high: &'a str,
    pub at_low: Option<Decimal>,
    pub at_high: Option<Decimal>,
}

/// A tornado chart: each parameter's bar from the KPI at its low value to the KPI at its high
/// value, around the baseline's vertical line, in the order given (largest swing first).
pub fn tornado(bars: &[TornadoBar], baseline: Option<Decimal>, unit: Unit) -> String {
    // Room on each side of the bars for the amounts at their ends.
    let (label_w, bar_w, row_h, room) = (150.0, 340.0, 26.0, 80.0);
    let w = label_w + room + bar_w + room;
    let h = 30.0 + row_h * bars.len() as f64;
    let amounts = bars
        .iter()
        .flat_map(|b| [b.at_low, b.at_high])
        .chain([baseline])
        .flatten()
        .map(f);
    let (lo, hi) = amounts.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if lo > hi {
        return String::new();
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let x = |v: f64| label_w + room + (v - lo) / span * bar_w;
    let mut out = format!(
        r#"<svg class="tornado" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="tornado chart">"#
    );
    for (r, b) in bars.iter().enumerate() {
        let y = 8.0 + row_h * r as f64;
        let _ = write!(
            out,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 6.0,
            y + row_h / 2.0,
            esc(b.name)
        );
        let (Some(l), Some(hv)) = (b.at_low, b.at_high) else {
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{:.1}">no value at an end</text>"#,
                label_w + room,
                y + row_h / 2.0
            );
            continue;
        };
        for (class, from, to, at, value) in [
            ("low", b.low, l, l, "low"),
            ("high", b.high, hv, hv, "high"),
        ] {
            let base = baseline.map(f).unwrap_or((f(l) + f(hv)) / 2.0);
            let (a, z) = (x(base), x(f(to)));
            let _ = write!(
                out,
                r#"<rect class="tornado-{class}" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"><title>{} at {value} ({from}): {}</title></rect>"#,
                a.min(z),
                y + 3.0,
                (z - a).abs().max(1.0),
                row_h - 8.0,
                esc(b.name),
                esc(&number(Some(at), unit))
            );
        }
        if l == hv {
            // No swing: one amount, not two on top of each other.
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{:.1}">{} (no change)</text>"#,
                x(f(l)) + 4.0,
                y + row_h - 6.0,
                esc(&number(Some(l), unit))
            );
            continue;
        }
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text class="axis" x="{:.1}" y="{:.1}">{}</text>"#,
            x(f(l.min(hv))) - 3.0,
            y + row_h - 6.0,
            esc(&number(Some(l.min(hv)), unit)),
            x(f(l.max(hv))) + 3.0,
            y + row_h - 6.0,
            esc(&number(Some(l.max(hv)), unit))
        );
    }
    if let Some(b) = baseline {
        let _ = write!(
            out,
            r#"<line class="baseline" x1="{0:.1}" x2="{0:.1}" y1="4" y2="{1:.1}"/><text class="axis" x="{0:.1}" y="{2:.1}" text-anchor="middle">baseline {3}</text>"#,
            x(f(b)),
            h - 18.0,
            h - 6.0,
            esc(&number(Some(b), unit))
        );
    }
    out.push_str("</svg>");
    out
}
