//! Owns `scorecard lsp`: a language server over any reader and writer (standard input and output
//! in the command). It checks each open document as it changes and publishes the diagnostics, and
//! answers hover (label, doc comment, formula, unit), go to definition (KPIs, datasets, columns,
//! objectives and every other declaration), completion (names, and columns after `dataset.`) and
//! whole-document formatting. Messages are `lsp_server`'s, their contents `lsp_types`'; the
//! lifecycle (`initialize` first, nothing but `exit` after `shutdown`) is the protocol's.

mod answers;
mod documents;
mod positions;
mod symbols;
mod transport;

use documents::Documents;
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Exit,
    Notification as NotificationKind,
};
use lsp_types::request::{Initialize, Request as RequestKind, Shutdown};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, InitializeParams, InitializeResult, OneOf,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
};
use positions::Encoding;
use std::io::{BufRead, Write};
use transport::Read;

/// Where the session is in the protocol's lifecycle.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before `initialize`: every other request is refused.
    Starting,
    Running,
    /// After `shutdown`: every request is refused, and only `exit` is obeyed.
    ShutDown,
}

/// Serves until `exit` or the end of the input. Returns whether `shutdown` came first (the
/// protocol's condition for exiting with code 0).
pub fn serve(mut input: impl BufRead, mut output: impl Write) -> std::io::Result<bool> {
    let mut stage = Stage::Starting;
    let mut documents = Documents::new(Encoding::Utf16);
    loop {
        let message = match transport::read(&mut input)? {
            Read::End => return Ok(stage == Stage::ShutDown),
            Read::Broken(id, code, why) => {
                transport::write_error(&mut output, id, code, &why)?;
                continue;
            }
            Read::Message(m) => m,
        };
        match message {
            Message::Request(request) => {
                let response = respond(&mut stage, &mut documents, request);
                transport::write(&mut output, response)?;
            }
            Message::Notification(n) if n.method == Exit::METHOD => {
                return Ok(stage == Stage::ShutDown)
            }
            // Before `initialize` and after `shutdown`, notifications are dropped.
            Message::Notification(n) if stage == Stage::Running => {
                if let Some(published) = notified(&mut documents, n) {
                    transport::write(&mut output, published)?;
                }
            }
            // Responses to requests we never send, and notifications out of their time.
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

fn respond(stage: &mut Stage, documents: &mut Documents, request: Request) -> Response {
    let id = request.id.clone();
    match (*stage, request.method.as_str()) {
        (Stage::Starting, Initialize::METHOD) => {
            match request.extract::<InitializeParams>(Initialize::METHOD) {
                Ok((id, params)) => {
                    let encoding = Encoding::negotiate(&params.capabilities);
                    *documents = Documents::new(encoding);
                    *stage = Stage::Running;
                    Response::new_ok(id, initialized(encoding))
                }
                Err(e) => invalid_params(id, e),
            }
        }
        (Stage::Starting, _) => refuse(
            id,
            ErrorCode::ServerNotInitialized,
            "the server is not initialized: send `initialize` first",
        ),
        (Stage::Running, Initialize::METHOD) => refuse(
            id,
            ErrorCode::InvalidRequest,
            "the server is already initialized",
        ),
        (Stage::Running, Shutdown::METHOD) => {
            *stage = Stage::ShutDown;
            Response::new_ok(id, ())
        }
        (Stage::Running, _) => answers::answer(documents, request),
        (Stage::ShutDown, _) => refuse(
            id,
            ErrorCode::InvalidRequest,
            "the server is shut down: only `exit` is accepted",
        ),
    }
}

/// What the server can do, in the position encoding it chose.
fn initialized(encoding: Encoding) -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(encoding.kind()),
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".to_string()]),
                ..Default::default()
            }),
            document_formatting_provider: Some(OneOf::Left(true)),
            ..Default::default()
        },
        server_info: Some(ServerInfo {
            name: "scorecard".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    }
}

/// A document opened, changed or closed: the diagnostics to publish for it.
fn notified(documents: &mut Documents, n: Notification) -> Option<Notification> {
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => n.extract(DidOpenTextDocument::METHOD).ok().map(
            |p: lsp_types::DidOpenTextDocumentParams| {
                documents.open(p.text_document.uri, p.text_document.text)
            },
        ),
        // Full synchronization: the last change holds the whole text.
        DidChangeTextDocument::METHOD => n.extract(DidChangeTextDocument::METHOD).ok().and_then(
            |p: lsp_types::DidChangeTextDocumentParams| {
                let text = p.content_changes.into_iter().last()?.text;
                Some(documents.open(p.text_document.uri, text))
            },
        ),
        DidCloseTextDocument::METHOD => n
            .extract(DidCloseTextDocument::METHOD)
            .ok()
            .map(|p: lsp_types::DidCloseTextDocumentParams| documents.close(p.text_document.uri)),
        _ => None,
    }
}

fn refuse(id: RequestId, code: ErrorCode, message: &str) -> Response {
    Response::new_err(id, code as i32, message.to_string())
}

fn invalid_params(id: RequestId, e: lsp_server::ExtractError<Request>) -> Response {
    refuse(id, ErrorCode::InvalidParams, &answers::params_error(e))
}
