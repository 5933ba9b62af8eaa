//! Owns drawing the strategy map: perspectives as layers in the order declared, their objectives as
//! boxes, `drives` links as arrows from cause to effect; as Graphviz DOT or Mermaid text.

use scorecard_model::{Model, Objective, Perspective};
use std::fmt::Write;

/// The perspectives that have objectives, each with its objectives, in declaration order.
fn layers(model: &Model) -> Vec<(&Perspective, Vec<&Objective>)> {
    model
        .perspectives
        .iter()
        .map(|p| {
            (
                p,
                model
                    .objectives
                    .iter()
                    .filter(|o| o.perspective == p.name)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, objectives)| !objectives.is_empty())
        .collect()
}

fn title(model: &Model) -> &str {
    model.header.label.as_deref().unwrap_or(&model.header.name)
}

fn label<'a>(name: &'a str, label: &'a Option<String>) -> &'a str {
    label.as_deref().unwrap_or(name)
}

/// Graphviz: `dot -Tsvg map.dot -o map.svg`.
pub fn dot(model: &Model) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::new();
    let _ = writeln!(out, "digraph strategy_map {{");
    let _ = writeln!(
        out,
        "  label={};\n  labelloc=t;\n  newrank=true;",
        quote(title(model))
    );
    let _ = writeln!(out, "  node [shape=box, style=rounded];");
    let layers = layers(model);
    for (p, objectives) in &layers {
        let _ = writeln!(out, "  subgraph cluster_{} {{", p.name);
        let _ = writeln!(out, "    label={};", quote(label(&p.name, &p.label)));
        for o in objectives {
            let _ = writeln!(
                out,
                "    {} [label={}];",
                o.name,
                quote(label(&o.name, &o.label))
            );
        }
        let _ = writeln!(out, "  }}");
    }
    // Invisible links keep the perspectives stacked in the order declared.
    for pair in layers.windows(2) {
        let _ = writeln!(
            out,
            "  {} -> {} [style=invis];",
            pair[0].1[0].name, pair[1].1[0].name
        );
    }
    for o in &model.objectives {
        for d in &o.drives {
            let _ = writeln!(out, "  {} -> {};", o.name, d);
        }
    }
    out.push_str("}\n");
    out
}

/// Mermaid, for Markdown renderers that draw ```mermaid blocks.
pub fn mermaid(model: &Model) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "#quot;"));
    let mut out = String::new();
    // The title is YAML front matter: a double-quoted string keeps colons and quotes intact.
    let yaml = title(model)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ");
    let _ = writeln!(out, "---\ntitle: \"{yaml}\"\n---");
    out.push_str("flowchart TB\n");
    let layers = layers(model);
    for (p, objectives) in &layers {
        let _ = writeln!(
            out,
            "  subgraph {}[{}]",
            p.name,
            quote(label(&p.name, &p.label))
        );
        for o in objectives {
            let _ = writeln!(out, "    {}[{}]", o.name, quote(label(&o.name, &o.label)));
        }
        out.push_str("  end\n");
    }
    for pair in layers.windows(2) {
        let _ = writeln!(out, "  {} ~~~ {}", pair[0].0.name, pair[1].0.name);
    }
    for o in &model.objectives {
        for d in &o.drives {
            let _ = writeln!(out, "  {} --> {}", o.name, d);
        }
    }
    out
}
