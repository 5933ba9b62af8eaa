//! Owns `scorecard diff`: the semantic difference between two checked models (declarations added,
//! removed, renamed or changed, property by property), compared in a canonical form so that layout,
//! comments and declaration order never count; and, given data, the effect on every value and status
//! (`effect.rs`).

pub mod effect;

use scorecard_model::{print, Condition, Dated, Kpi, Model, Threshold};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// What changed between two scorecards.
#[derive(Debug, Serialize)]
pub struct Diff {
    /// The two scorecard files (old first) and, with data, the data files read.
    pub manifest: crate::manifest::Manifest,
    pub changes: Vec<Change>,
    /// With data: every KPI value or status that differs, per period and segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<effect::Effect>,
}

/// One declaration added, removed, renamed or changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `scorecard`, `dataset`, `perspective`, `objective`, `function`, `kpi`, `attribution`,
    /// `allocation`, `view` or `escalation`.
    pub kind: &'static str,
    pub name: String,
    /// `added`, `removed`, `renamed` (possibly with changed properties too) or `changed`.
    pub change: &'static str,
    /// For a rename, the old name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

/// One property of a declaration, before and after (`null` where it is not written).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Property {
    pub property: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.effect.as_ref().is_none_or(|e| e.rows.is_empty())
    }
}

/// The semantic difference between `old` and `new`.
pub fn models(old: &Model, new: &Model) -> Vec<Change> {
    let mut out = Vec::new();
    // There is one header: a new name is a change of it, not another scorecard.
    let (a, b) = (canonical(old, &old.header), canonical(new, &new.header));
    let properties = compare(&a, &b, &mut |_, v| shown(v));
    if !properties.is_empty() {
        out.push(Change {
            kind: "scorecard",
            name: new.header.name.clone(),
            change: "changed",
            renamed_from: None,
            properties,
        });
    }
    let named = |m: &Model| -> Vec<(&'static str, String, Value)> {
        let mut all = Vec::new();
        let mut add =
            |kind: &'static str, name: &str, v: Value| all.push((kind, name.to_string(), v));
        m.datasets
            .iter()
            .filter(|d| d.is_file())
            .for_each(|d| add("dataset", &d.name, canonical(m, d)));
        m.perspectives
            .iter()
            .for_each(|p| add("perspective", &p.name, canonical(m, p)));
        m.objectives
            .iter()
            .for_each(|o| add("objective", &o.name, canonical(m, o)));
        m.functions
            .iter()
            .for_each(|f| add("function", &f.name, canonical(m, f)));
        m.attributions
            .iter()
            .for_each(|a| add("attribution", &a.name, canonical(m, a)));
        m.allocations
            .iter()
            .for_each(|a| add("allocation", &a.name, canonical(m, a)));
        m.views
            .iter()
            .for_each(|v| add("view", &v.name, canonical(m, v)));
        m.cohorts
            .iter()
            .for_each(|c| add("cohort", &c.name, canonical(m, c)));
        m.escalations
            .iter()
            .for_each(|e| add("escalation", &e.name, canonical(m, e)));
        m.rates
            .iter()
            .for_each(|r| add("exchange_rates", &r.name, canonical(m, r)));
        m.audiences
            .iter()
            .for_each(|a| add("audience", &a.name, canonical(m, a)));
        m.parameters
            .iter()
            .for_each(|p| add("parameter", &p.name, canonical(m, p)));
        all
    };
    let (before, after) = (named(old), named(new));
    for (kind, name, v) in &after {
        match before.iter().find(|(k, n, _)| k == kind && n == name) {
            None => out.push(added(kind, name, "added")),
            Some((_, _, was)) => {
                let mut properties = compare(was, v, &mut |field, v| match (*kind, field) {
                    ("escalation", "when" | "recover") => condition_text(old, new, v),
                    ("dataset", "columns") => columns(v),
                    ("dataset", "checks") => checks(v),
                    ("dataset", "complete") => complete(v),
                    (_, "weight") => weight(v),
                    _ => shown(v),
                });
                // What an escalation watches follows from its conditions, already compared.
                if *kind == "escalation" {
                    properties.retain(|p| !matches!(p.property.as_str(), "kpis" | "subject"));
                }
                if !properties.is_empty() {
                    out.push(Change {
                        kind,
                        name: name.clone(),
                        change: "changed",
                        renamed_from: None,
                        properties,
                    });
                }
            }
        }
    }
    for (kind, name, _) in &before {
        if !after.iter().any(|(k, n, _)| k == kind && n == name) {
            out.push(added(kind, name, "removed"));
        }
    }
    kpis(old, new, &mut out);
    out
}

/// KPIs: paired by name, or by a new KPI's `renamed_from`.
fn kpis(old: &Model, new: &Model, out: &mut Vec<Change>) {
    for k in &new.kpis {
        match pair(old, k) {
            None => out.push(added("kpi", &k.name, "added")),
            Some(was) => {
                let (a, b) = (kpi_properties(old, was), kpi_properties(new, k));
                let mut properties = Vec::new();
                for key in a.keys().chain(b.keys().filter(|x| !a.contains_key(*x))) {
                    let (x, y) = (a.get(key).cloned(), b.get(key).cloned());
                    if x != y {
                        properties.push(Property {
                            property: key.to_string(),
                            old: x,
                            new: y,
                        });
                    }
                }
                let renamed = was.name != k.name;
                if renamed || !properties.is_empty() {
                    out.push(Change {
                        kind: "kpi",
                        name: k.name.clone(),
                        change: if renamed { "renamed" } else { "changed" },
                        renamed_from: renamed.then(|| was.name.clone()),
                        properties,
                    });
                }
            }
        }
    }
    for k in &old.kpis {
        let kept = new
            .kpis
            .iter()
            .any(|n| n.name == k.name || n.renamed_from.contains(&k.name));
        if !kept {
            out.push(added("kpi", &k.name, "removed"));
        }
    }
}

/// The old KPI a new one continues: the same name, else one of its former names.
pub fn pair<'m>(old: &'m Model, k: &Kpi) -> Option<&'m Kpi> {
    old.kpi(&k.name)
        .or_else(|| k.renamed_from.iter().find_map(|former| old.kpi(former)))
}

/// A KPI's properties as comparable text; a property not written is absent.
fn kpi_properties(m: &Model, k: &Kpi) -> BTreeMap<&'static str, String> {
    let mut p = BTreeMap::new();
    let mut put = |key: &'static str, v: Option<String>| {
        if let Some(v) = v {
            p.insert(key, v);
        }
    };
    put("label", k.label.clone());
    put("doc", k.doc.clone());
    put("owner", k.owner.clone());
    put("objective", k.objective.clone());
    put("weight", Some(weight(&canonical(m, &k.weight))));
    put("scoring", Some(shown(&canonical(m, &k.scoring))));
    put("unit", Some(k.unit.name().to_string()));
    put("value", Some(print::expr(m, &k.value)));
    // How its own aggregates convert money in other currencies (`rates:`, `rates_of:`).
    let mut read = std::collections::BTreeSet::new();
    for v in k.values().chain(k.judging()) {
        scorecard_model::reach(v, &[], &mut read);
    }
    let conversions: Vec<String> = read
        .into_iter()
        .filter(|&i| m.aggregates[i].convert.is_some())
        .map(|i| converted(m, i))
        .collect();
    put(
        "converted",
        (!conversions.is_empty()).then(|| conversions.join("; ")),
    );
    put("effective", k.effective.as_ref().map(|e| e.date.clone()));
    let previously: Vec<String> = k
        .previously
        .iter()
        .map(|d| match &d.effective {
            Some(e) => format!("{} (from {})", print::expr(m, &d.value), e.date),
            None => print::expr(m, &d.value),
        })
        .collect();
    put(
        "previously",
        (!previously.is_empty()).then(|| previously.join("; ")),
    );
    put("target", dated(&k.target, |e| print::expr(m, e)));
    put("thresholds", dated(&k.thresholds, |t| thresholds(m, t)));
    put("better", Some(shown(&canonical(m, &k.better))));
    put("by", (!k.by.is_empty()).then(|| k.by.join(", ")));
    put("rounding", Some(shown(&canonical(m, &k.rounding))));
    put("missing", Some(shown(&canonical(m, &k.missing))));
    put("partial", Some(shown(&canonical(m, &k.partial))));
    // An audience's view adds the gate that counts its cells: it is not the scorecard's.
    let declared = k
        .requires
        .iter()
        .filter(|g| g.name != scorecard_model::audience::CELL_GATE);
    let gates: Vec<String> = declared
        .map(|g| format!("{}: {}", g.name, print::expr(m, &g.condition)))
        .collect();
    put("requires", (!gates.is_empty()).then(|| gates.join(", ")));
    p
}

fn thresholds(m: &Model, list: &[Threshold]) -> String {
    list.iter()
        .map(|t| match &t.when {
            Some(c) => format!("{}: {}", t.status.name(), print::expr(m, c)),
            None => format!("{}: otherwise", t.status.name()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A property that may differ by period: the default, then `"PERIOD": value` for each period.
fn dated<T>(d: &Dated<T>, one: impl Fn(&T) -> String) -> Option<String> {
    let mut parts: Vec<String> = d.default.iter().map(&one).collect();
    parts.extend(
        d.periods
            .iter()
            .map(|p| format!("\"{}\": {}", p.period, one(&p.value))),
    );
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn added(kind: &'static str, name: &str, change: &'static str) -> Change {
    Change {
        kind,
        name: name.to_string(),
        change,
        renamed_from: None,
        properties: Vec::new(),
    }
}

/// The top-level fields of two canonical objects that differ, each shown by `show`.
fn compare(
    old: &Value,
    new: &Value,
    show: &mut dyn FnMut(&str, &Value) -> String,
) -> Vec<Property> {
    let (Value::Object(a), Value::Object(b)) = (old, new) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            let mut text = |v: Option<&Value>| v.filter(|v| !v.is_null()).map(|v| show(key, v));
            let (old, new) = (text(x), text(y));
            out.push(Property {
                property: key.clone(),
                old,
                new,
            });
        }
    }
    out
}

/// A declaration as plain JSON with what does not carry meaning taken out: source lines, and the
/// text as written of escalation conditions (their structure is kept); aggregates, which models
/// number differently, are written out.
fn canonical<T: Serialize>(m: &Model, x: &T) -> Value {
    let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
    normalize(m, &mut v);
    v
}

fn normalize(m: &Model, v: &mut Value) {
    scorecard_diagnostic::depth::deep(|| match v {
        Value::Object(o) => {
            o.remove("line");
            let kind = o
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if matches!(kind.as_str(), "status" | "compare" | "deviates" | "anomaly")
                && o.contains_key("text")
            {
                o.remove("text");
            }
            // A KPI that names a parameter has not changed when the parameter's value has: the
            // parameter's declaration has, and is listed as changed itself.
            if kind == "parameter" {
                o.remove("value");
            }
            if kind == "aggregate" {
                if let Some(i) = o.remove("index").and_then(|i| i.as_u64()) {
                    o.insert("aggregate".into(), Value::String(converted(m, i as usize)));
                }
            }
            o.values_mut().for_each(|x| normalize(m, x));
        }
        Value::Array(list) => list.iter_mut().for_each(|x| normalize(m, x)),
        _ => {}
    })
}

/// A weight: `0.60`, or `0.60, 0.70 from day 20636` when it changes on dates.
fn weight(v: &Value) -> String {
    let initial = shown(&v["initial"]);
    let changes: Vec<String> = v["changes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|c| {
                    let day = c[0].as_i64().map(scorecard_model::calendar::date);
                    let day = day.map_or_else(|| shown(&c[0]), |d| d.to_string());
                    format!("{} from {day}", shown(&c[1]))
                })
                .collect()
        })
        .unwrap_or_default();
    std::iter::once(initial)
        .chain(changes)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A dataset's columns as declared: `day: date, revenue: money`.
/// A dataset's checks as written: `given: not_null(x), known: references(c, d.k) error`.
fn checks(v: &Value) -> String {
    let Some(list) = v.as_array() else {
        return shown(v);
    };
    list.iter()
        .map(|c| {
            let severity = match c["severity"].as_str() {
                Some("error") => " error",
                _ => "",
            };
            format!(
                "{}: {}{severity}",
                c["name"].as_str().unwrap_or_default(),
                c["text"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `complete_from` and `extracted` as the scorecard writes them.
fn complete(v: &Value) -> String {
    let parts: Vec<String> = ["complete_from", "extracted"]
        .iter()
        .filter_map(|k| Some(format!("{k}: {}", v.get(*k)?.as_str()?)))
        .collect();
    parts.join(", ")
}

fn columns(v: &Value) -> String {
    let Some(list) = v.as_array() else {
        return shown(v);
    };
    list.iter()
        .map(|c| {
            let mut ty = c["ty"].clone();
            let name = ty
                .as_object_mut()
                .and_then(|o| o.remove("type"))
                .map_or_else(String::new, |t| shown(&t));
            // Decimal places and other details, when a type has them.
            let details = match &ty {
                Value::Object(o) if !o.is_empty() => format!("{ty}"),
                _ => String::new(),
            };
            let key = if c["key"] == Value::Bool(true) {
                " key"
            } else {
                ""
            };
            // `money(EUR) average`, as written.
            let currency = match &c["currency"] {
                Value::Object(cur) => {
                    let of = cur.get("of").and_then(Value::as_object);
                    let code = of
                        .and_then(|o| o.values().next())
                        .map(shown)
                        .unwrap_or_default();
                    let rate = cur
                        .get("rate")
                        .map(|r| format!(" {}", shown(r)))
                        .unwrap_or_default();
                    format!("({code}){rate}")
                }
                _ => String::new(),
            };
            format!("{}: {name}{currency}{details}{key}", shown(&c["name"]))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An aggregate as written, with how it converts money in other currencies (a KPI's `rates:` and
/// `rates_of:` change it).
fn converted(m: &Model, i: usize) -> String {
    let text = print::aggregate(m, i);
    match m.aggregates.get(i).and_then(|a| a.convert.as_ref()) {
        None => text,
        Some(c) => {
            let at =
                c.at.as_ref()
                    .map(|p| format!(" of {}", p.name))
                    .unwrap_or_default();
            format!("{text} at the {} rates of {}{at}", c.kind.name(), c.rates)
        }
    }
}

/// A canonical value as compact text: strings bare, anything else as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An escalation condition as written: the text of each test, joined by `and`, `or`, `not`. The
/// condition is found again in whichever model its canonical form came from.
fn condition_text(old: &Model, new: &Model, v: &Value) -> String {
    for m in [new, old] {
        for e in &m.escalations {
            for c in std::iter::once(&e.when).chain(&e.recover) {
                if canonical(m, c) == *v {
                    return written(c);
                }
            }
        }
    }
    shown(v)
}

fn written(c: &Condition) -> String {
    match c {
        Condition::Status { text, .. }
        | Condition::Compare { text, .. }
        | Condition::Deviates { text, .. }
        | Condition::Anomaly { text, .. } => text.clone(),
        Condition::And { left, right } => format!("({}) and ({})", written(left), written(right)),
        Condition::Or { left, right } => format!("({}) or ({})", written(left), written(right)),
        Condition::Not { operand } => format!("not ({})", written(operand)),
    }
}
