//! Owns `scorecard lsp`: a language server over any reader and writer (standard input and output
//! in the command). It checks each open document as it changes and publishes the diagnostics, and
//! answers hover (label, doc comment, formula, unit), go to definition (KPIs, datasets, columns,
//! objectives and every other declaration), completion (names, and columns after `dataset.`) and
//! whole-document formatting.

mod positions;
mod symbols;
mod transport;

use scorecard_diagnostic::{Diagnostic, Severity};
use scorecard_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use symbols::{Symbols, Target};

/// One open document: its text, its names and places, and its model when it checks clean (for
/// units the checker infers). All three are made once per change, not per request.
struct Document {
    text: String,
    symbols: Symbols,
    model: Option<Model>,
}

/// Serves until `exit` or the end of the input. Returns whether `shutdown` came first (the
/// protocol's condition for exiting with code 0).
pub fn serve(mut input: impl BufRead, mut output: impl Write) -> std::io::Result<bool> {
    let mut documents: BTreeMap<String, Document> = BTreeMap::new();
    let mut shut_down = false;
    while let Some(message) = transport::read(&mut input)? {
        let method = message["method"].as_str().unwrap_or_default();
        let params = &message["params"];
        let id = message.get("id").cloned();
        let result = match method {
            "initialize" => Some(capabilities()),
            "shutdown" => {
                shut_down = true;
                Some(Value::Null)
            }
            "exit" => return Ok(shut_down),
            "textDocument/didOpen" => {
                let doc = &params["textDocument"];
                let uri = doc["uri"].as_str().unwrap_or_default().to_string();
                let text = doc["text"].as_str().unwrap_or_default().to_string();
                publish(&mut output, &mut documents, uri, text)?;
                None
            }
            "textDocument/didChange" => {
                let uri = params["textDocument"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                // Full synchronization: the last change holds the whole text.
                if let Some(text) = params["contentChanges"]
                    .as_array()
                    .and_then(|c| c.last())
                    .and_then(|c| c["text"].as_str())
                {
                    publish(&mut output, &mut documents, uri, text.to_string())?;
                }
                None
            }
            "textDocument/didClose" => {
                let uri = params["textDocument"]["uri"].as_str().unwrap_or_default();
                documents.remove(uri);
                let cleared = json!({ "uri": uri, "diagnostics": [] });
                notify(&mut output, "textDocument/publishDiagnostics", cleared)?;
                None
            }
            "textDocument/hover"
            | "textDocument/definition"
            | "textDocument/completion"
            | "textDocument/formatting" => {
                let uri = params["textDocument"]["uri"].as_str().unwrap_or_default();
                Some(match documents.get(uri) {
                    None => Value::Null,
                    Some(doc) => answer(method, uri, doc, params),
                })
            }
            _ => {
                if let Some(id) = &id {
                    let error = json!({ "code": -32601, "message": format!("`{method}` is not supported") });
                    transport::write(
                        &mut output,
                        &json!({ "jsonrpc": "2.0", "id": id, "error": error }),
                    )?;
                }
                None
            }
        };
        if let (Some(id), Some(result)) = (id, result) {
            transport::write(
                &mut output,
                &json!({ "jsonrpc": "2.0", "id": id, "result": result }),
            )?;
        }
    }
    Ok(shut_down)
}

fn capabilities() -> Value {
    json!({
        "capabilities": {
            "textDocumentSync": 1,
            "hoverProvider": true,
            "definitionProvider": true,
            "completionProvider": { "triggerCharacters": ["."] },
            "documentFormattingProvider": true,
        },
        "serverInfo": { "name": "scorecard", "version": env!("CARGO_PKG_VERSION") },
    })
}

fn notify(output: &mut impl Write, method: &str, params: Value) -> std::io::Result<()> {
    transport::write(
        output,
        &json!({ "jsonrpc": "2.0", "method": method, "params": params }),
    )
}

/// Checks the new text and publishes every diagnostic, as `scorecard check` would report it.
fn publish(
    output: &mut impl Write,
    documents: &mut BTreeMap<String, Document>,
    uri: String,
    text: String,
) -> std::io::Result<()> {
    let compiled = scorecard_check::compile(&text);
    let diagnostics: Vec<Value> = compiled
        .diagnostics
        .iter()
        .map(|d| diagnostic(&uri, &text, d))
        .collect();
    notify(
        output,
        "textDocument/publishDiagnostics",
        json!({ "uri": uri, "diagnostics": diagnostics }),
    )?;
    documents.insert(
        uri,
        Document {
            symbols: Symbols::of(&text),
            text,
            model: compiled.model,
        },
    );
    Ok(())
}

fn diagnostic(uri: &str, text: &str, d: &Diagnostic) -> Value {
    let message = match &d.help {
        Some(h) => format!("{}\nhelp: {h}", d.message),
        None => d.message.clone(),
    };
    let related: Vec<Value> = d
        .related
        .iter()
        .map(|(span, label)| {
            json!({
                "location": { "uri": uri, "range": positions::range(text, span.start, span.end) },
                "message": label,
            })
        })
        .collect();
    json!({
        "range": positions::range(text, d.span.start, d.span.end),
        "severity": match d.severity { Severity::Error => 1, Severity::Warning => 2 },
        "code": d.code.as_str(),
        "source": "scorecard",
        "message": message,
        "relatedInformation": related,
    })
}

fn answer(method: &str, uri: &str, doc: &Document, params: &Value) -> Value {
    if method == "textDocument/formatting" {
        return match scorecard_layout::format(&doc.text) {
            Ok(formatted) if formatted != doc.text => json!([{
                "range": positions::range(&doc.text, 0, doc.text.len()),
                "newText": formatted,
            }]),
            // Nothing to change, or a file with syntax errors (their diagnostics are shown).
            _ => json!([]),
        };
    }
    let at = &params["position"];
    let offset = positions::offset(
        &doc.text,
        at["line"].as_u64().unwrap_or(0) as usize,
        at["character"].as_u64().unwrap_or(0) as usize,
    );
    let symbols = &doc.symbols;
    match method {
        "textDocument/hover" => match symbols.resolve(&doc.text, offset) {
            Some(target) => {
                json!({ "contents": { "kind": "markdown", "value": hover(doc, &target) } })
            }
            None => Value::Null,
        },
        "textDocument/definition" => match symbols.resolve(&doc.text, offset) {
            Some(Target::Declaration(d)) => {
                json!({ "uri": uri, "range": positions::range(&doc.text, d.name.span.start, d.name.span.end) })
            }
            Some(Target::Column(c)) => {
                json!({ "uri": uri, "range": positions::range(&doc.text, c.span.start, c.span.end) })
            }
            None => Value::Null,
        },
        _ => json!({ "isIncomplete": false, "items": completions(symbols, &doc.text, offset) }),
    }
}

/// The text of an entry's value as written, such as a KPI's formula.
fn entry_text<'t>(
    text: &'t str,
    d: &scorecard_syntax::ast::Declaration,
    key: &str,
) -> Option<&'t str> {
    let e = d.entries.iter().find(|e| e.key.text == key)?;
    let span = e.value.span();
    text.get(span.start..span.end).map(str::trim)
}

fn hover(doc: &Document, target: &Target) -> String {
    match target {
        Target::Column(c) => format!("**{}.{}**: {}", c.dataset, c.name, c.ty),
        Target::Declaration(d) => {
            let mut lines = Vec::new();
            let label = d
                .label
                .as_ref()
                .map(|l| format!(" \"{}\"", l.text))
                .unwrap_or_default();
            lines.push(format!("**{} {}**{label}", d.keyword.text, d.name.text));
            if let Some(docs) = &d.doc {
                lines.push(docs.clone());
            }
            match d.keyword.text.as_str() {
                "kpi" => {
                    if let Some(v) = entry_text(&doc.text, d, "value") {
                        lines.push(format!("value: `{v}`"));
                    }
                    let unit = doc
                        .model
                        .as_ref()
                        .and_then(|m| m.kpi(&d.name.text))
                        .map(|k| k.unit.name().to_string())
                        .or_else(|| entry_text(&doc.text, d, "unit").map(str::to_string));
                    if let Some(u) = unit {
                        lines.push(format!("unit: {u}"));
                    }
                    if let Some(t) = entry_text(&doc.text, d, "target") {
                        lines.push(format!("target: `{t}`"));
                    }
                }
                "dataset" => {
                    for key in ["source", "time"] {
                        if let Some(v) = entry_text(&doc.text, d, key) {
                            lines.push(format!("{key}: `{v}`"));
                        }
                    }
                }
                "objective" => {
                    if let Some(v) = entry_text(&doc.text, d, "perspective") {
                        lines.push(format!("perspective: `{v}`"));
                    }
                }
                _ => {}
            }
            lines.join("\n\n")
        }
    }
}

/// After `dataset.`, that dataset's columns; anywhere else, every name the document declares.
fn completions(symbols: &Symbols, text: &str, offset: usize) -> Vec<Value> {
    let before = &text[..offset.min(text.len())];
    let typed = before
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .next()
        .unwrap_or("");
    if let Some((dataset, _)) = typed.rsplit_once('.') {
        return symbols
            .columns
            .iter()
            .filter(|c| c.dataset == dataset)
            .map(|c| json!({ "label": c.name, "kind": 5, "detail": c.ty }))
            .collect();
    }
    symbols
        .declarations
        .iter()
        .filter(|d| !matches!(d.keyword.text.as_str(), "scorecard" | "test"))
        .map(|d| {
            let kind = match d.keyword.text.as_str() {
                "kpi" => 6,
                "dataset" | "view" => 22,
                "function" => 3,
                _ => 9,
            };
            let label = d.label.as_ref().map(|l| format!(" \"{}\"", l.text)).unwrap_or_default();
            json!({ "label": d.name.text, "kind": kind, "detail": format!("{}{label}", d.keyword.text) })
        })
        .collect()
}
