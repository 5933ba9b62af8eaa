//! The crate graph is the architecture (docs/architecture.md): these tests read the workspace's
//! manifests and hold them to the arrows the document draws, so that a new arrow is a decision made
//! in review, and the editor's crates never grow a query engine.

use std::collections::{BTreeMap, BTreeSet};

/// Each crate under `crates/` with the workspace crates it may depend on: the arrows of
/// docs/architecture.md, and no others.
const ARROWS: &[(&str, &[&str])] = &[
    ("diagnostic", &[]),
    ("syntax", &["diagnostic"]),
    ("model", &["diagnostic"]),
    ("script", &["diagnostic", "model"]),
    ("check", &["diagnostic", "syntax", "model", "script"]),
    ("project", &["diagnostic", "model", "check"]),
    ("layout", &["diagnostic", "syntax"]),
    ("lsp", &["diagnostic", "syntax", "model", "check", "layout"]),
    ("output", &["diagnostic"]),
    (
        "engine",
        &["diagnostic", "model", "script", "project", "output"],
    ),
    (
        "rules",
        &["diagnostic", "model", "script", "project", "engine"],
    ),
    (
        "close",
        &["diagnostic", "model", "check", "project", "engine", "rules"],
    ),
    ("audience", &["diagnostic", "model", "rules"]),
    ("report", &["diagnostic", "model", "rules", "close"]),
];

/// What an editor links: checking, formatting and the language server.
const FOR_EDITORS: &[&str] = &["syntax", "model", "script", "check", "layout", "lsp"];

/// Libraries that belong to running a scorecard on data (or delivering what it raises), never to
/// editing one.
const FOR_DATA: &[&str] = &[
    "datafusion",
    "parquet",
    "arrow",
    "ballista",
    "ballista-core",
    "ballista-scheduler",
    "ballista-executor",
    "tokio-postgres",
    "calamine",
    "tokio",
    // Delivering escalations: HTTP and SMTP clients with TLS.
    "ureq",
    "lettre",
];

/// Each workspace crate's dependencies (normal ones; dev-dependencies are for its own tests), by
/// the name after `scorecard-` for our own and in full for others.
fn manifests() -> BTreeMap<String, BTreeSet<String>> {
    let mut crates = BTreeMap::new();
    for entry in std::fs::read_dir("crates").expect("the crates folder") {
        let dir = entry.expect("an entry").path();
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a manifest");
        let manifest: toml::Table = text.parse().expect("the manifest parses");
        let name = manifest["package"]["name"].as_str().expect("a name");
        let short = name.strip_prefix("scorecard-").expect("named scorecard-*");
        assert_eq!(
            dir.file_name().and_then(|n| n.to_str()),
            Some(short),
            "crates/{short} holds {name}"
        );
        let deps = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default();
        crates.insert(short.to_string(), deps);
    }
    crates
}

#[test]
fn every_crate_depends_only_on_the_stages_before_it() {
    let crates = manifests();
    let declared: BTreeSet<&str> = ARROWS.iter().map(|(c, _)| *c).collect();
    let found: BTreeSet<&str> = crates.keys().map(String::as_str).collect();
    assert_eq!(declared, found, "every crate has its place in ARROWS");
    let mut wrong = Vec::new();
    for (name, allowed) in ARROWS {
        for dep in &crates[*name] {
            if let Some(ours) = dep.strip_prefix("scorecard-") {
                if !allowed.contains(&ours) {
                    wrong.push(format!("{name} → {ours}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows docs/architecture.md does not draw: {wrong:?}"
    );
}

#[test]
fn what_an_editor_links_has_no_query_engine() {
    let crates = manifests();
    // Everything the editor's crates reach through our own crates.
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = FOR_EDITORS.to_vec();
    while let Some(name) = todo.pop() {
        if reached.insert(name) {
            for dep in &crates[name] {
                if let Some(ours) = dep.strip_prefix("scorecard-") {
                    todo.push(crates.get_key_value(ours).expect("a crate").0);
                }
            }
        }
    }
    let mut heavy = Vec::new();
    for name in &reached {
        for dep in &crates[*name] {
            if FOR_DATA.contains(&dep.as_str()) {
                heavy.push(format!("{name} → {dep}"));
            }
        }
    }
    assert!(
        heavy.is_empty(),
        "the checker, formatter and language server must build without the engine's libraries: {heavy:?}"
    );
    assert!(
        !reached.contains("engine"),
        "an editor's crate reaches the engine"
    );
}
