//! Owns the open documents: each one's text, names and model, made once per change, and the
//! diagnostics published for it.

use crate::positions::Encoding;
use crate::symbols::Symbols;
use lsp_server::Notification;
use lsp_types::notification::{Notification as NotificationKind, PublishDiagnostics};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    PublishDiagnosticsParams, Uri,
};
use scorecard_diagnostic::{Diagnostic, Severity};
use scorecard_model::Model;
use std::collections::BTreeMap;

/// One open document: its text, its names and places, and its model when it checks clean (for
/// units the checker infers).
pub struct Document {
    /// The version the client gave this text (`didOpen`, `didChange`).
    pub version: i32,
    pub text: String,
    pub symbols: Symbols,
    pub model: Option<Model>,
}

pub struct Documents {
    pub encoding: Encoding,
    open: BTreeMap<Uri, Document>,
}

impl Documents {
    pub fn new(encoding: Encoding) -> Documents {
        Documents {
            encoding,
            open: BTreeMap::new(),
        }
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.open.get(uri)
    }

    /// Checks the new text and gives every diagnostic to publish, as `scorecard check` would
    /// report it.
    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> Notification {
        let compiled = scorecard_check::compile(&text);
        let diagnostics = compiled
            .diagnostics
            .iter()
            .map(|d| self.diagnostic(&uri, &text, d))
            .collect();
        let published = publish(uri.clone(), diagnostics);
        self.open.insert(
            uri,
            Document {
                version,
                symbols: Symbols::of(&text),
                text,
                model: compiled.model,
            },
        );
        published
    }

    /// Forgets the document and clears its diagnostics.
    pub fn close(&mut self, uri: Uri) -> Notification {
        self.open.remove(&uri);
        publish(uri, Vec::new())
    }

    fn diagnostic(&self, uri: &Uri, text: &str, d: &Diagnostic) -> lsp_types::Diagnostic {
        let message = match &d.help {
            Some(h) => format!("{}\nhelp: {h}", d.message),
            None => d.message.clone(),
        };
        let related = d
            .related
            .iter()
            .map(|(span, label)| DiagnosticRelatedInformation {
                location: Location::new(
                    uri.clone(),
                    self.encoding.range(text, span.start, span.end),
                ),
                message: label.clone(),
            })
            .collect();
        lsp_types::Diagnostic {
            range: self.encoding.range(text, d.span.start, d.span.end),
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.as_str().to_string())),
            source: Some("scorecard".to_string()),
            message,
            related_information: Some(related),
            ..Default::default()
        }
    }
}

fn publish(uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Notification {
    Notification::new(
        PublishDiagnostics::METHOD.to_string(),
        PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        },
    )
}
