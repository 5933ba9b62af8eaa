//! The editor files: the TextMate grammar's patterns compile and colour sample lines as intended
//! (scanned the way TextMate scans: at each place, the pattern that matches earliest, the first
//! listed on a tie), and the VS Code extension manifest starts `scorecard lsp`.

use regex::Regex;
use serde_json::Value;

fn grammar() -> Value {
    let text = std::fs::read_to_string("editors/vscode/syntaxes/scorecard.tmLanguage.json")
        .expect("the grammar");
    serde_json::from_str(&text).expect("the grammar is JSON")
}

/// The top-level patterns in order, includes resolved: (regex, scope of the match or of its
/// first capture, or the begin and end of a region).
fn patterns(g: &Value) -> Vec<(Regex, String, Option<Regex>)> {
    let mut out = Vec::new();
    let add = |p: &Value, out: &mut Vec<(Regex, String, Option<Regex>)>| {
        let scope = p["name"]
            .as_str()
            .or_else(|| p["captures"]["1"]["name"].as_str())
            .unwrap_or_default()
            .to_string();
        if let Some(m) = p["match"].as_str() {
            let re = Regex::new(&format!("(?m){m}")).unwrap_or_else(|e| panic!("{m}: {e}"));
            out.push((re, scope, None));
        } else if let (Some(b), Some(e)) = (p["begin"].as_str(), p["end"].as_str()) {
            let begin = Regex::new(b).unwrap_or_else(|x| panic!("{b}: {x}"));
            let end = Regex::new(e).unwrap_or_else(|x| panic!("{e}: {x}"));
            out.push((begin, scope, Some(end)));
        }
    };
    for p in g["patterns"].as_array().into_iter().flatten() {
        let name = p["include"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('#');
        let rule = &g["repository"][name];
        assert!(!rule.is_null(), "#{name} is not in the repository");
        // A rule that is only a list of patterns; a region's own `patterns` apply inside it.
        match rule["patterns"]
            .as_array()
            .filter(|_| rule["begin"].is_null())
        {
            Some(inner) => inner.iter().for_each(|q| add(q, &mut out)),
            None => add(rule, &mut out),
        }
    }
    out
}

/// (text, scope) of each token the grammar colours in `line`.
fn scan(line: &str) -> Vec<(String, String)> {
    let pats = patterns(&grammar());
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < line.len() {
        let best = pats
            .iter()
            .filter_map(|(re, scope, end)| re.find_at(line, pos).map(|m| (m, scope, end)))
            .min_by_key(|(m, _, _)| m.start());
        let Some((m, scope, end)) = best else { break };
        let mut stop = m.end().max(m.start() + 1);
        if let Some(end) = end {
            stop = end.find_at(line, m.end()).map_or(line.len(), |e| e.end());
        }
        let text = &line[m.start()..stop];
        // For a rule that colours its first capture, report that capture.
        let shown = pats
            .iter()
            .find(|(_, s, _)| s == scope)
            .and_then(|(re, _, _)| re.captures_at(line, m.start()))
            .and_then(|c| c.get(1).filter(|_| end.is_none()))
            .map_or(text, |c| c.as_str());
        out.push((shown.trim().to_string(), scope.clone()));
        pos = stop;
    }
    out
}

fn scope_of(line: &str, token: &str) -> String {
    scan(line)
        .into_iter()
        .find(|(t, _)| t == token)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("`{token}` not coloured in `{line}`: {:?}", scan(line)))
}

#[test]
fn the_grammar_colours_each_construct() {
    for kind in scorecard::check::DECLARATION_KINDS {
        let line = format!("{kind} some_name \"Label\" {{");
        assert_eq!(
            scope_of(&line, kind),
            "keyword.other.declaration.scorecard",
            "{line}"
        );
    }
    let line = "  value: (net_revenue - sum(orders.cogs where channel = \"web\")) / net_revenue";
    assert_eq!(scope_of(line, "value"), "variable.other.property.scorecard");
    assert_eq!(scope_of(line, "sum"), "entity.name.function.scorecard");
    assert_eq!(scope_of(line, "orders"), "variable.other.object.scorecard");
    assert_eq!(scope_of(line, "where"), "keyword.operator.word.scorecard");
    assert_eq!(scope_of(line, "\"web\""), "string.quoted.double.scorecard");
    assert_eq!(scope_of(line, "/"), "keyword.operator.scorecard");
    let line = "  thresholds: green >= 40%, amber >= 95% of target, red otherwise  // note";
    assert_eq!(
        scope_of(line, "green"),
        "constant.language.status.scorecard"
    );
    assert_eq!(scope_of(line, "40%"), "constant.numeric.scorecard");
    assert_eq!(
        scope_of(line, "// note"),
        "comment.line.double-slash.scorecard"
    );
    let line = "  expect: escalation margin_erosion not raised in FY2027-Q4";
    assert_eq!(
        scope_of(line, "FY2027-Q4"),
        "constant.other.period.scorecard"
    );
    assert_eq!(scope_of(line, "raised"), "keyword.operator.word.scorecard");
    assert_eq!(
        scope_of("  effective: 2026-07-01", "2026-07-01"),
        "constant.other.date.scorecard"
    );
    assert_eq!(
        scope_of("  expect: x[2026-05] = 1", "2026-05"),
        "constant.other.period.scorecard"
    );
    assert_eq!(
        scope_of("/// A doc comment.", "/// A doc comment."),
        "comment.line.documentation.scorecard"
    );
    assert_eq!(
        scope_of("//// not a doc comment", "//// not a doc comment"),
        "comment.line.double-slash.scorecard"
    );
    assert_eq!(
        scope_of(
            "  rhai: \"\"\" fn f() { 1 } \"\"\"",
            "\"\"\" fn f() { 1 } \"\"\""
        ),
        "string.quoted.triple.scorecard"
    );
}

#[test]
fn the_grammar_knows_every_keyword_the_parser_reserves() {
    let pest =
        std::fs::read_to_string("crates/syntax/grammar/scorecard.pest").expect("the grammar");
    let line = pest
        .lines()
        .find(|l| l.starts_with("keyword"))
        .expect("the keyword rule");
    let words: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
    assert_eq!(words, vec!["and", "or", "not", "of", "in", "where"]);
    for w in words {
        assert_eq!(
            scope_of(&format!("a {w} b"), w),
            "keyword.operator.word.scorecard"
        );
    }
}

#[test]
fn the_vscode_extension_starts_the_language_server_for_scorecard_files() {
    let text = std::fs::read_to_string("editors/vscode/package.json").expect("the manifest");
    let m: Value = serde_json::from_str(&text).expect("the manifest is JSON");
    let language = &m["contributes"]["languages"][0];
    assert_eq!(language["id"], "scorecard");
    assert_eq!(language["extensions"], serde_json::json!([".scorecard"]));
    let grammar = &m["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], grammar_scope());
    for file in [
        grammar["path"].as_str(),
        m["main"].as_str(),
        language["configuration"].as_str(),
    ] {
        let path = std::path::Path::new("editors/vscode").join(file.unwrap_or_default());
        assert!(path.is_file(), "{} is missing", path.display());
    }
    assert_eq!(
        m["activationEvents"],
        serde_json::json!(["onLanguage:scorecard"])
    );
    // The extension is valid JavaScript (Node parses it without running it).
    let checked = std::process::Command::new("node")
        .args(["--check", "editors/vscode/extension.js"])
        .output()
        .expect("node runs");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// The extension run by Node against stand-ins for VS Code and its language client: it starts
/// `scorecard lsp` with the settings' flags, and shows each figures notification in the status
/// bar (the inlay hints themselves are the language client's, from the server's capability).
#[test]
fn the_vscode_extension_passes_its_settings_and_shows_the_figures() {
    let stubs = tempfile::tempdir().expect("a folder");
    let modules = stubs.path().join("node_modules");
    std::fs::create_dir_all(modules.join("vscode")).unwrap();
    std::fs::create_dir_all(modules.join("vscode-languageclient")).unwrap();
    std::fs::write(
        modules.join("vscode/index.js"),
        r#"const settings = JSON.parse(process.env.SETTINGS);
exports.workspace = { getConfiguration: () => ({ get: (k) => settings[k] }) };
exports.StatusBarAlignment = { Left: 1 };
exports.window = { createStatusBarItem: () => (global.status = { shown: false, show() { this.shown = true; } }) };
"#,
    )
    .unwrap();
    std::fs::write(
        modules.join("vscode-languageclient/node.js"),
        r#"exports.LanguageClient = class {
  constructor(id, name, server, options) { global.started = { id, server, options }; this.handlers = {}; global.client = this; }
  start() { return Promise.resolve(); }
  stop() { return Promise.resolve(); }
  onNotification(method, handler) { this.handlers[method] = handler; }
};
"#,
    )
    .unwrap();
    let extension = std::fs::canonicalize("editors/vscode/extension.js").unwrap();
    let driver = format!(
        r#"const ext = require({extension:?});
ext.activate({{ subscriptions: [] }}).then(() => {{
  global.client.handlers["scorecard/figures"]({{ uri: "file:///a.scorecard", version: 3,
    figures: {{ kpis: [{{ name: "net_revenue", periods: [] }}], took_ms: 42, how: "computed 1 aggregate, remembered 7" }} }});
  console.log(JSON.stringify({{ args: global.started.server.run.args, command: global.started.server.run.command,
    selector: global.started.options.documentSelector, status: global.status }}));
}});
"#
    );
    let run = |settings: Value| {
        let out = std::process::Command::new("node")
            .args(["-e", &driver])
            .env("NODE_PATH", &modules)
            .env("SETTINGS", settings.to_string())
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("the driver's JSON")
    };
    let plain = run(serde_json::json!({}));
    assert_eq!(plain["command"], "scorecard");
    assert_eq!(plain["args"], serde_json::json!(["lsp"]));
    assert_eq!(plain["selector"][0]["language"], "scorecard");
    assert_eq!(plain["status"]["shown"], true);
    assert_eq!(
        plain["status"]["text"],
        "$(graph) Scorecard: 1 KPI in 42 ms"
    );
    assert_eq!(
        plain["status"]["tooltip"],
        "computed 1 aggregate, remembered 7"
    );
    let set = run(serde_json::json!({
        "server.path": "/opt/scorecard", "figures.enabled": false, "figures.keep": "8GiB"
    }));
    assert_eq!(set["command"], "/opt/scorecard");
    assert_eq!(
        set["args"],
        serde_json::json!(["lsp", "--no-figures", "--keep", "8GiB"])
    );
}

fn grammar_scope() -> Value {
    grammar()["scopeName"].clone()
}
