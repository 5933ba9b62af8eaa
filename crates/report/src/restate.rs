//! Owns rendering restatements as text: each published period, its figures that differ today
//! (published and now, with the cause), then what changed: data files (and their rows, by key)
//! and definitions. Its JSON is `report::pretty`.

use rust_decimal::Decimal;
use scorecard_close::restate::{Period, Restatements, Shown};
use scorecard_model::format::{number, segment_label};
use scorecard_model::Unit;

pub fn text(r: &Restatements, color: bool) -> String {
    let mut out = format!(
        "restatements of {} against the ledger `{}`\n",
        r.scorecard, r.ledger
    );
    let restated = r.periods.iter().filter(|p| !p.figures.is_empty()).count();
    out.push_str(&format!(
        "{} published period{}, {restated} with figures that differ today\n",
        r.periods.len(),
        if r.periods.len() == 1 { "" } else { "s" }
    ));
    for p in &r.periods {
        out.push('\n');
        period(&mut out, p, color);
    }
    out
}

fn period(out: &mut String, p: &Period, color: bool) {
    out.push_str(&format!(
        "{}: record {}, published {} by {}\n",
        p.period, p.record, p.published_at, p.approved_by
    ));
    if p.figures.is_empty() {
        out.push_str("  every figure is as published\n");
    } else {
        figures(out, p, color);
    }
    changes(out, p);
}

fn figures(out: &mut String, p: &Period, color: bool) {
    let mut t = super::table::new_table(color);
    t.set_header([
        "KPI",
        "Segment",
        "Published",
        "Now",
        "Status then",
        "Status now",
        "Cause",
    ]);
    for f in &p.figures {
        let unit = f.unit.unwrap_or(Unit::Number);
        // The target and score are shown too where they are what differs.
        let (a, b) = (f.published.as_ref(), f.now.as_ref());
        let differ = |x: fn(&Shown) -> Option<Decimal>| match (a, b) {
            (Some(a), Some(b)) => x(a) != x(b),
            _ => false,
        };
        let targets = differ(|s| decimal(&s.target));
        let scores = differ(|s| decimal(&s.score));
        let value = |s: Option<&Shown>| match s {
            Some(s) => {
                let mut cell = number(decimal(&s.value), unit);
                if targets {
                    cell.push_str(&format!(" (target {})", number(decimal(&s.target), unit)));
                }
                if scores {
                    cell.push_str(&format!(
                        " (score {})",
                        number(decimal(&s.score), Unit::Number)
                    ));
                }
                cell
            }
            None => "(no such result)".into(),
        };
        let status = |s: &Option<Shown>| s.as_ref().map_or("-".into(), |s| s.status.clone());
        let mut cause = f.cause.to_string();
        let named: Vec<String> = f
            .datasets
            .iter()
            .cloned()
            .chain(f.declarations.iter().cloned())
            .collect();
        if !named.is_empty() {
            cause.push_str(&format!(": {}", named.join(", ")));
        }
        t.add_row(vec![
            f.kpi.clone(),
            segment_label(&f.segment),
            value(a),
            value(b),
            status(&f.published),
            status(&f.now),
            cause,
        ]);
    }
    for line in t.to_string().lines() {
        out.push_str(&format!("  {line}\n"));
    }
}

/// What changed since the record: roll-up scores, data files and their rows, definitions, the
/// engine.
fn changes(out: &mut String, p: &Period) {
    for sc in &p.scores {
        let name = sc
            .name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  score {}{name}: {} published, {} now\n",
            sc.of,
            sc.published.as_deref().unwrap_or("no score"),
            sc.now.as_deref().unwrap_or("no score")
        ));
    }
    for d in &p.data {
        let then = d.published_sha256.as_deref().map_or("(not read)", short);
        let now = d.sha256.as_deref().map_or("(not read)", short);
        out.push_str(&format!(
            "  data {} ({}): sha256 {then} then, {now} now\n",
            d.dataset, d.path
        ));
        if let Some(rows) = &d.rows {
            let key = rows.key.join(", ");
            for (what, n, keys) in [
                ("added", rows.added, &rows.added_keys),
                ("removed", rows.removed, &rows.removed_keys),
                ("changed", rows.changed, &rows.changed_keys),
            ] {
                if n == 0 {
                    continue;
                }
                let more = match n > keys.len() {
                    true => format!(", and {} more", n - keys.len()),
                    false => String::new(),
                };
                out.push_str(&format!(
                    "    {n} row{} {what} ({key}): {}{more}\n",
                    if n == 1 { "" } else { "s" },
                    keys.join(", ")
                ));
            }
        }
    }
    for c in &p.definitions {
        let name = match &c.renamed_from {
            Some(old) => format!("{} (was {old})", c.name),
            None => c.name.clone(),
        };
        out.push_str(&format!("  definition {} {name}: {}\n", c.kind, c.change));
        for prop in &c.properties {
            out.push_str(&format!(
                "    {}\n      - {}\n      + {}\n",
                prop.property,
                prop.old.as_deref().unwrap_or("(not written)"),
                prop.new.as_deref().unwrap_or("(not written)")
            ));
        }
    }
    if p.project_file_changed {
        out.push_str("  project file: changed since (its bindings and the days data is complete for decide figures too)\n");
    }
    if let Some((then, now)) = &p.options {
        out.push_str(&format!("  options: {then} then, {now} now\n"));
    }
    if let Some((then, now)) = &p.engine {
        out.push_str(&format!("  engine: scorecard {then} then, {now} now\n"));
    }
}

fn decimal(text: &Option<String>) -> Option<Decimal> {
    text.as_deref().and_then(|t| t.parse().ok())
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
