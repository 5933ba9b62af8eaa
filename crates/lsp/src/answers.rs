//! Owns the answers to an open document's requests: hover, go to definition, completion and
//! formatting, each from the names and model made when the document last changed.

use crate::documents::{Document, Documents};
use crate::figures::{self, Known};
use crate::positions::Encoding;
use crate::symbols::{Symbols, Target};
use lsp_server::{ErrorCode, Request, Response};
use lsp_types::request::{
    Completion, Formatting, GotoDefinition, HoverRequest, InlayHintRequest, Request as RequestKind,
};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse,
    DocumentFormattingParams, GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents,
    HoverParams, InlayHintParams, Location, MarkupContent, MarkupKind, TextEdit, Uri,
};
use scorecard_syntax::ast::Declaration;

/// Answers a request of a running server; an unknown method is the protocol's method-not-found.
/// `known` holds the figures the worker last computed for each document.
pub fn answer(documents: &Documents, known: &Known, request: Request) -> Response {
    let method = request.method.clone();
    let id = request.id.clone();
    let answered = match method.as_str() {
        HoverRequest::METHOD => {
            request
                .extract(HoverRequest::METHOD)
                .map(|(id, p): (_, HoverParams)| {
                    let at = p.text_document_position_params;
                    let uri = &at.text_document.uri;
                    let found = documents.get(uri);
                    let figures = known.figures.get(uri);
                    let hovered =
                        found.and_then(|doc| hover(doc, documents.encoding, at.position, figures));
                    Response::new_ok(id, hovered)
                })
        }
        InlayHintRequest::METHOD => {
            request
                .extract(InlayHintRequest::METHOD)
                .map(|(id, p): (_, InlayHintParams)| {
                    let uri = &p.text_document.uri;
                    let hints = documents.get(uri).map(|doc| {
                        let all = figures::hints(doc, documents.encoding, known.figures.get(uri));
                        // Those in the range asked for.
                        all.into_iter()
                            .filter(|h| h.position >= p.range.start && h.position <= p.range.end)
                            .collect::<Vec<_>>()
                    });
                    Response::new_ok(id, hints)
                })
        }
        GotoDefinition::METHOD => {
            request
                .extract(GotoDefinition::METHOD)
                .map(|(id, p): (_, GotoDefinitionParams)| {
                    let at = p.text_document_position_params;
                    let uri = at.text_document.uri;
                    let found = documents.get(&uri);
                    let place = found
                        .and_then(|doc| definition(doc, documents.encoding, &uri, at.position));
                    Response::new_ok(id, place)
                })
        }
        Completion::METHOD => {
            request
                .extract(Completion::METHOD)
                .map(|(id, p): (_, CompletionParams)| {
                    let at = p.text_document_position;
                    let found = documents.get(&at.text_document.uri);
                    Response::new_ok(
                        id,
                        found.map(|doc| complete(doc, documents.encoding, at.position)),
                    )
                })
        }
        Formatting::METHOD => {
            request
                .extract(Formatting::METHOD)
                .map(|(id, p): (_, DocumentFormattingParams)| {
                    let found = documents.get(&p.text_document.uri);
                    Response::new_ok(id, found.map(|doc| format(doc, documents.encoding)))
                })
        }
        _ => {
            return Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("`{method}` is not supported"),
            )
        }
    };
    answered
        .unwrap_or_else(|e| Response::new_err(id, ErrorCode::InvalidParams as i32, params_error(e)))
}

/// Why a request's parameters were refused, in the protocol's words.
pub fn params_error(e: lsp_server::ExtractError<Request>) -> String {
    match e {
        lsp_server::ExtractError::JsonError { method, error } => {
            format!("the parameters of `{method}` are not as the protocol has them: {error}")
        }
        lsp_server::ExtractError::MethodMismatch(r) => {
            format!("`{}` was not expected here", r.method)
        }
    }
}

fn format(doc: &Document, encoding: Encoding) -> Vec<TextEdit> {
    match scorecard_layout::format(&doc.text) {
        Ok(formatted) if formatted != doc.text => vec![TextEdit::new(
            encoding.range(&doc.text, 0, doc.text.len()),
            formatted,
        )],
        // Nothing to change, or a file with syntax errors (their diagnostics are shown).
        _ => Vec::new(),
    }
}

fn hover(
    doc: &Document,
    encoding: Encoding,
    at: lsp_types::Position,
    figures: Option<&(i32, figures::Figures)>,
) -> Option<Hover> {
    let offset = encoding.offset(&doc.text, at);
    let target = doc.symbols.resolve(&doc.text, offset)?;
    let mut value = hover_text(doc, &target);
    if let Target::Declaration(d) = &target {
        if d.keyword.text == "kpi" {
            if let Some(latest) = figures::hover_text(&d.name.text, figures, doc.version) {
                value.push_str("\n\n");
                value.push_str(&latest);
            }
        }
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    })
}

fn definition(
    doc: &Document,
    encoding: Encoding,
    uri: &Uri,
    at: lsp_types::Position,
) -> Option<GotoDefinitionResponse> {
    let offset = encoding.offset(&doc.text, at);
    let span = match doc.symbols.resolve(&doc.text, offset)? {
        Target::Declaration(d) => d.name.span,
        Target::Column(c) => c.span,
    };
    let range = encoding.range(&doc.text, span.start, span.end);
    Some(GotoDefinitionResponse::Scalar(Location::new(
        uri.clone(),
        range,
    )))
}

/// The text of an entry's value as written, such as a KPI's formula.
fn entry_text<'t>(text: &'t str, d: &Declaration, key: &str) -> Option<&'t str> {
    let e = d.entries.iter().find(|e| e.key.text == key)?;
    let span = e.value.span();
    text.get(span.start..span.end).map(str::trim)
}

fn hover_text(doc: &Document, target: &Target) -> String {
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
            lines.extend(facts(doc, d));
            lines.join("\n\n")
        }
    }
}

/// What a declaration's hover says of it beyond its name: a KPI's formula, unit and target, a
/// dataset's source and time column, an objective's perspective.
fn facts(doc: &Document, d: &Declaration) -> Vec<String> {
    let written = |key: &str| entry_text(&doc.text, d, key);
    let mut lines = Vec::new();
    match d.keyword.text.as_str() {
        "kpi" => {
            if let Some(v) = written("value") {
                lines.push(format!("value: `{v}`"));
            }
            let unit = doc
                .model
                .as_ref()
                .and_then(|m| m.kpi(&d.name.text))
                .map(|k| k.unit.name().to_string())
                .or_else(|| written("unit").map(str::to_string));
            if let Some(u) = unit {
                lines.push(format!("unit: {u}"));
            }
            if let Some(t) = written("target") {
                lines.push(format!("target: `{t}`"));
            }
        }
        "dataset" => {
            for key in ["source", "time"] {
                if let Some(v) = written(key) {
                    lines.push(format!("{key}: `{v}`"));
                }
            }
        }
        "objective" => {
            if let Some(v) = written("perspective") {
                lines.push(format!("perspective: `{v}`"));
            }
        }
        _ => {}
    }
    lines
}

fn complete(doc: &Document, encoding: Encoding, at: lsp_types::Position) -> CompletionResponse {
    let offset = encoding.offset(&doc.text, at);
    CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items: completions(&doc.symbols, &doc.text, offset),
    })
}

/// After `dataset.`, that dataset's columns; anywhere else, every name the document declares.
fn completions(symbols: &Symbols, text: &str, offset: usize) -> Vec<CompletionItem> {
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
            .map(|c| item(&c.name, CompletionItemKind::FIELD, c.ty.clone()))
            .collect();
    }
    symbols
        .declarations
        .iter()
        .filter(|d| !matches!(d.keyword.text.as_str(), "scorecard" | "test"))
        .map(|d| {
            let kind = match d.keyword.text.as_str() {
                "kpi" => CompletionItemKind::VARIABLE,
                "dataset" | "view" => CompletionItemKind::STRUCT,
                "function" => CompletionItemKind::FUNCTION,
                _ => CompletionItemKind::MODULE,
            };
            let label = d
                .label
                .as_ref()
                .map(|l| format!(" \"{}\"", l.text))
                .unwrap_or_default();
            item(&d.name.text, kind, format!("{}{label}", d.keyword.text))
        })
        .collect()
}

fn item(label: &str, kind: CompletionItemKind, detail: String) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        ..Default::default()
    }
}
