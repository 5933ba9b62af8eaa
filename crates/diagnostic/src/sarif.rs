//! Owns diagnostics as SARIF 2.1.0, the static-analysis format that code-review tools (GitHub code
//! scanning, GitLab, Azure DevOps) read to annotate the lines of a pull request.

use super::{position, Diagnostic, Severity};
use serde_json::{json, Value};

/// One file's diagnostics; `None` for the source when the file could not be read.
pub struct FileDiagnostics<'a> {
    pub path: &'a str,
    pub source: Option<&'a str>,
    pub diagnostics: &'a [Diagnostic],
}

fn region(source: &str, span: super::Span) -> Value {
    let (start_line, start_column) = position(source, span.start);
    let (end_line, end_column) = position(source, span.end.max(span.start));
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

fn location(path: &str, source: Option<&str>, span: super::Span, message: Option<&str>) -> Value {
    let mut physical = json!({ "artifactLocation": { "uri": path } });
    if let Some(s) = source {
        physical["region"] = region(s, span);
    }
    let mut l = json!({ "physicalLocation": physical });
    if let Some(m) = message.filter(|m| !m.is_empty()) {
        l["message"] = json!({ "text": m });
    }
    l
}

/// One SARIF log with one run: a rule per diagnostic code reported, a result per diagnostic with
/// its file, line and column (columns count Unicode code points, as the run declares).
pub fn log(files: &[FileDiagnostics], version: &str) -> Value {
    let mut codes: Vec<&'static str> = files
        .iter()
        .flat_map(|f| f.diagnostics.iter().map(|d| d.code.as_str()))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c,
                "name": c.rsplit("::").next().unwrap_or(c),
                "shortDescription": { "text": c.rsplit("::").next().unwrap_or(c).replace('_', " ") },
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in files {
        for d in f.diagnostics {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text = format!("{text}\nhelp: {h}");
            }
            let label = (!d.label.is_empty()).then_some(d.label.as_str());
            let mut r = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": codes.iter().position(|c| *c == d.code.as_str()),
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "text": text },
                "locations": [location(f.path, f.source, d.span, label)],
            });
            if !d.related.is_empty() {
                r["relatedLocations"] = d
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, (span, m))| {
                        let mut l = location(f.path, f.source, *span, Some(m));
                        l["id"] = json!(i);
                        l
                    })
                    .collect();
            }
            results.push(r);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "scorecard",
                "version": version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
