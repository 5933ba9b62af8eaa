//! Owns rendering an explanation: as text for a terminal (the calculation as an indented tree of
//! unrounded values, then the target, status, score, aggregates with their rows, and sources), and
//! the rows behind it as one CSV file. Its JSON is `report::pretty`.

use rust_decimal::Decimal;
use scorecard_model::format::{number, segment_label};
use scorecard_rules::explain::{Explanation, Node};

pub fn text(e: &Explanation, color: bool) -> String {
    let mut out = String::new();
    let k = &e.kpi;
    let title = match &k.label {
        Some(l) => format!("{} \"{l}\"", k.name),
        None => k.name.clone(),
    };
    out.push_str(&format!(
        "{title}: {}, {}\n",
        e.result.period_shown(),
        segment_label(&e.segment)
    ));
    if let Some(doc) = &k.doc {
        for line in doc.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    let mut facts = vec![format!("unit: {}", k.unit.name())];
    if let Some(o) = &k.owner {
        facts.insert(0, format!("owner: {o}"));
    }
    if !k.renamed_from.is_empty() {
        facts.push(format!("formerly: {}", k.renamed_from.join(", ")));
    }
    out.push_str(&format!("  {}\n", facts.join(" · ")));
    if let Some(a) = super::assumed_in(&e.manifest) {
        out.push_str(&format!("  assuming {a}\n"));
    }
    out.push('\n');

    let d = &e.definition;
    let when = match (&d.effective, &d.until) {
        (Some(f), Some(u)) => format!(", in effect from {f} until {u}"),
        (None, Some(u)) => format!(", in effect before {u}"),
        (Some(f), None) => format!(", in effect from {f}"),
        (None, None) => String::new(),
    };
    out.push_str(&format!(
        "definition ({}, {} of {}{when}):\n  {}\n",
        d.which,
        d.definitions - d.age,
        d.definitions,
        d.formula
    ));
    if let Some(note) = &d.note {
        out.push_str(&format!("  why it changed: {note}\n"));
    }
    out.push_str("\ncalculation (unrounded; [A1] is the first aggregate listed below):\n");
    tree(&mut out, &e.calculation, 1);

    let r = &e.result;
    match e.exact_value {
        Some(_) => out.push_str(&format!(
            "\nvalue     {}  (exactly {}, rounded to {})\n",
            number(r.value, k.unit),
            exact(e.exact_value),
            e.rounding
        )),
        None => out.push_str(&format!("\nvalue     {}\n", number(r.value, k.unit))),
    }
    out.push_str(&format!("target    {}\n", number(r.target, k.unit)));
    // A target that is more than a constant shows how it was computed.
    if let Some(t) = e
        .target
        .as_ref()
        .filter(|t| !t.children.is_empty() || t.aggregate.is_some())
    {
        tree(&mut out, t, 1);
    }
    out.push_str(&format!("variance  {}\n", number(r.variance, k.unit)));
    for g in &e.gates {
        out.push_str(&format!(
            "gate      {}: {}\n",
            g.name,
            match g.check.holds.flatten() {
                Some(true) => "holds",
                Some(false) => "does not hold",
                None => "cannot be told",
            }
        ));
        tree(&mut out, &g.check, 1);
    }
    out.push_str(&format!(
        "status    {}  (decided by {})\n",
        r.status.name(),
        e.status.decided_by
    ));
    for rule in &e.status.rules {
        let tried = if rule.reached {
            truth(rule.holds)
        } else {
            "not tried"
        };
        out.push_str(&format!("  {tried}: {}: {}\n", rule.status, rule.when));
    }
    out.push_str(&format!(
        "score     {}  ({})\n",
        r.score.map_or("-".to_string(), |s| s.to_string()),
        e.scoring
    ));

    out.push_str("\naggregates:\n");
    for (i, a) in e.aggregates.iter().enumerate() {
        let periods = if a.from == a.to {
            a.from.clone()
        } else {
            format!("{} to {}", a.from, a.to)
        };
        out.push_str(&format!(
            "  [A{}] {} = {}\n       {} rows of `{}` in {periods}, {}{}\n",
            i + 1,
            a.formula,
            exact(a.value),
            a.rows_matched,
            a.dataset,
            segment_label(&e.segment),
            a.filter
                .as_ref()
                .map(|f| format!(", where {f}"))
                .unwrap_or_default()
        ));
        if let Some(at) = &a.converted_at {
            out.push_str(&format!("       converted at the {at}:\n"));
            for c in &a.conversions {
                let rate = match (&c.rate, &c.rate_from) {
                    (Some(r), Some(from)) => {
                        let lines = match c.rate_lines.as_slice() {
                            [] => String::new(),
                            [one] => format!(", line {one}"),
                            many => format!(
                                ", lines {}",
                                many.iter()
                                    .map(u64::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        };
                        format!(" at {r} ({from}{lines})")
                    }
                    _ => " (the reporting currency)".to_string(),
                };
                out.push_str(&format!(
                    "         {} {} {}{rate} = {}\n",
                    c.period, c.currency, c.amount, c.converted
                ));
            }
        }
        if !a.rows.is_empty() {
            let mut t = super::table::new_table(color);
            t.set_header(a.columns.clone());
            for row in &a.rows {
                t.add_row(row.clone());
            }
            for line in t.to_string().lines() {
                out.push_str(&format!("       {line}\n"));
            }
            if (a.rows.len() as u64) < a.rows_matched {
                out.push_str(&format!(
                    "       … and {} more (--rows-out FILE writes them all)\n",
                    a.rows_matched - a.rows.len() as u64
                ));
            }
        }
    }
    out.push_str("\nsources:\n");
    for s in &e.sources {
        let origin = match (&s.path, &s.sha256) {
            (Some(p), Some(h)) => format!("{p}  sha256 {h}"),
            _ => "derived by the scorecard".to_string(),
        };
        let read = s
            .rows_read
            .map(|n| format!("{n} rows read, "))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {}  {origin}\n    {read}{} matched\n",
            s.dataset, s.rows_matched
        ));
        if let Some(c) = e.coverage.get(&s.dataset) {
            out.push_str(&format!("    covers {} to {}\n", c.first, c.last));
        }
    }
    if !e.failed_checks.is_empty() {
        out.push_str("\nfailed checks:\n");
        for c in &e.failed_checks {
            out.push_str(&format!("  {}\n", c.shown()));
        }
    }
    out
}

/// Every row listed, one CSV: the aggregate (`A1`, ...), its dataset, then the columns of all the
/// datasets (empty where a dataset has no such column).
pub fn rows_csv(e: &Explanation) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for a in &e.aggregates {
        for c in &a.columns {
            if !columns.contains(&c.as_str()) {
                columns.push(c);
            }
        }
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header = vec!["aggregate", "dataset"];
    header.extend(&columns);
    let _ = w.write_record(&header);
    for (i, a) in e.aggregates.iter().enumerate() {
        for row in &a.rows {
            let mut record = vec![format!("A{}", i + 1), a.dataset.clone()];
            for c in &columns {
                let at = a.columns.iter().position(|x| x == c);
                record.push(at.and_then(|j| row.get(j).cloned()).unwrap_or_default());
            }
            let _ = w.write_record(&record);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn tree(out: &mut String, n: &Node, depth: usize) {
    scorecard_diagnostic::depth::deep(|| {
        let value = match n.holds {
            Some(h) => truth(h).to_string(),
            None => exact(n.value),
        };
        let mut line = format!("{}{value}  {}", "  ".repeat(depth), n.formula);
        if let Some(a) = n.aggregate {
            line.push_str(&format!("  [A{}]", a + 1));
        }
        if let Some(note) = &n.note {
            line.push_str(&format!("  ({note})"));
        }
        out.push_str(&line);
        out.push('\n');
        for c in &n.children {
            tree(out, c, depth + 1);
        }
    })
}

fn exact(v: Option<Decimal>) -> String {
    v.map_or("no value".to_string(), |d| d.normalize().to_string())
}

fn truth(h: Option<bool>) -> &'static str {
    match h {
        Some(true) => "yes",
        Some(false) => "no",
        None => "cannot tell",
    }
}
