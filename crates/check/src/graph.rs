//! Owns the KPI dependency graph: the order KPIs are evaluated in, and reference cycles.

use scorecard_diagnostic::{Code, Diagnostic, Span};
use std::collections::{BTreeMap, BTreeSet};

/// How a cycle is reported: its code, what forms it ("KPIs refer to each other"), the link
/// ("refers to") and the hint.
pub struct Wording {
    pub code: Code,
    pub cycle: &'static str,
    pub link: &'static str,
    pub help: &'static str,
}

pub const KPI_REFERENCES: Wording = Wording {
    code: Code::KpiCycle,
    cycle: "KPIs refer to each other in a cycle",
    link: "refers to",
    help: "a KPI cannot depend on itself, directly or through others: break the cycle",
};

/// Names in dependency order (each after those it links to), one diagnostic per cycle, and the
/// names on a cycle. `refs` maps each name to the names it links to, with where; `spans` gives each
/// name's declaration.
pub fn order(
    names: &[String],
    refs: &BTreeMap<String, Vec<(String, Span)>>,
    spans: &BTreeMap<String, Span>,
    wording: &Wording,
) -> (Vec<String>, Vec<Diagnostic>, BTreeSet<String>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark: BTreeMap<&str, Mark> = names.iter().map(|n| (n.as_str(), Mark::New)).collect();
    let mut ordered = Vec::new();
    let mut diagnostics = Vec::new();
    let mut in_cycle = BTreeSet::new();

    // Iterative depth-first search so a long chain of KPIs cannot overflow the stack.
    for root in names {
        if mark[root.as_str()] != Mark::New {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(root.as_str(), 0)];
        mark.insert(root, Mark::Active);
        while let Some((node, next)) = stack.last().copied() {
            let edges = refs.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if next == edges.len() {
                stack.pop();
                mark.insert(node, Mark::Done);
                ordered.push(node.to_string());
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let (to, at) = &edges[next];
            match mark.get(to.as_str()).copied() {
                Some(Mark::New) => {
                    mark.insert(to, Mark::Active);
                    stack.push((to.as_str(), 0));
                }
                Some(Mark::Active) => {
                    let start = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                    let cycle: Vec<&str> = stack[start..].iter().map(|(n, _)| *n).collect();
                    in_cycle.extend(cycle.iter().map(|s| s.to_string()));
                    let path = cycle
                        .iter()
                        .chain(std::iter::once(&to.as_str()))
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" → ");
                    let mut d =
                        Diagnostic::error(wording.code, *at, format!("{}: {path}", wording.cycle))
                            .label(format!("`{node}` {} `{to}` here", wording.link))
                            .help(wording.help);
                    if let Some(s) = spans.get(to.as_str()) {
                        d = d.related(*s, format!("`{to}` is declared here"));
                    }
                    diagnostics.push(d);
                }
                _ => {}
            }
        }
    }
    (ordered, diagnostics, in_cycle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(edges: &[(&str, &str)], names: &[&str]) -> (Vec<String>, usize) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut refs: BTreeMap<String, Vec<(String, Span)>> = BTreeMap::new();
        for (a, b) in edges {
            refs.entry(a.to_string())
                .or_default()
                .push((b.to_string(), Span::default()));
        }
        let (o, d, _) = order(&names, &refs, &BTreeMap::new(), &KPI_REFERENCES);
        (o, d.len())
    }

    #[test]
    fn dependencies_come_first() {
        let (o, errors) = run(
            &[("margin", "revenue"), ("share", "margin")],
            &["share", "margin", "revenue"],
        );
        assert_eq!(o, vec!["revenue", "margin", "share"]);
        assert_eq!(errors, 0);
    }

    #[test]
    fn a_cycle_is_reported_once() {
        let (_, errors) = run(&[("a", "b"), ("b", "c"), ("c", "a")], &["a", "b", "c"]);
        assert_eq!(errors, 1);
        let (_, errors) = run(&[("a", "a")], &["a"]);
        assert_eq!(errors, 1);
    }
}
