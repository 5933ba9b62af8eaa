//! Owns `scorecard lsp`: a language server over any reader and writer (standard input and output
//! in the command). It checks each open document as it changes and publishes the diagnostics, and
//! answers hover (label, doc comment, formula, unit), go to definition (KPIs, datasets, columns,
//! objectives and every other declaration), completion (names, and columns after `dataset.`) and
//! whole-document formatting. Given an `Evaluate`, it also shows each KPI's latest figures from
//! the project's data (inlay hints, and hover), computed in the background (`figures.rs`).
//! Messages are `lsp_server`'s, their contents `lsp_types`'; the lifecycle (`initialize` first,
//! nothing but `exit` after `shutdown`) is the protocol's.

mod answers;
mod documents;
pub mod figures;
mod positions;
mod symbols;
mod transport;

use documents::Documents;
use figures::{Evaluate, Job, Known, Work};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Exit,
    Notification as NotificationKind,
};
use lsp_types::request::{Initialize, Request as RequestKind, Shutdown};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, InitializeParams, InitializeResult, OneOf,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use positions::Encoding;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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

/// Serves until `exit` or the end of the input, without figures. Returns whether `shutdown` came
/// first (the protocol's condition for exiting with code 0).
pub fn serve(input: impl BufRead, output: impl Write + Send + 'static) -> std::io::Result<bool> {
    serve_evaluating(input, output, None)
}

/// Serves until `exit` or the end of the input; with an evaluator, each open document that checks
/// clean is evaluated on a worker thread after its diagnostics are published, and its KPIs'
/// figures are shown as inlay hints and in hover.
pub fn serve_evaluating(
    mut input: impl BufRead,
    output: impl Write + Send + 'static,
    evaluator: Option<Box<dyn Evaluate>>,
) -> std::io::Result<bool> {
    let output = Arc::new(Mutex::new(output));
    let known = Arc::new(Mutex::new(Known::default()));
    let refresh = Arc::new(AtomicBool::new(false));
    let jobs = evaluator.map(|evaluator| {
        let (jobs, waiting) = std::sync::mpsc::channel();
        let (output, known, refresh) = (output.clone(), known.clone(), refresh.clone());
        // Detached: at `exit` the process ends whatever the worker is doing.
        std::thread::spawn(move || {
            let send = |m: Message| {
                if let Ok(mut out) = output.lock() {
                    let _ = transport::write(&mut *out, m);
                }
            };
            figures::work(evaluator, waiting, &known, &send, &refresh);
        });
        jobs
    });
    let write = |m: Message| -> std::io::Result<()> {
        let mut out = output
            .lock()
            .map_err(|_| std::io::Error::other("the output is poisoned"))?;
        transport::write(&mut *out, m)
    };
    let mut stage = Stage::Starting;
    let mut documents = Documents::new(Encoding::Utf16);
    loop {
        let message = match transport::read(&mut input)? {
            Read::End => return Ok(stage == Stage::ShutDown),
            Read::Broken(id, code, why) => {
                let mut out = output
                    .lock()
                    .map_err(|_| std::io::Error::other("the output is poisoned"))?;
                transport::write_error(&mut *out, id, code, &why)?;
                continue;
            }
            Read::Message(m) => m,
        };
        match message {
            Message::Request(request) => {
                if request.method == Initialize::METHOD {
                    refresh.store(can_refresh(&request), Ordering::Relaxed);
                }
                let response = {
                    let known = known
                        .lock()
                        .map_err(|_| std::io::Error::other("the figures are poisoned"))?;
                    respond(&mut stage, &mut documents, &known, request)
                };
                write(response.into())?;
            }
            Message::Notification(n) if n.method == Exit::METHOD => {
                return Ok(stage == Stage::ShutDown)
            }
            // Before `initialize` and after `shutdown`, notifications are dropped.
            Message::Notification(n) if stage == Stage::Running => {
                if let Some((published, work)) = notified(&mut documents, n) {
                    write(published.into())?;
                    if let (Some(jobs), Some(work)) = (&jobs, work) {
                        let _ = jobs.send(work);
                    }
                }
            }
            // Responses to requests we never send, and notifications out of their time.
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// Whether the client takes `workspace/inlayHint/refresh` (asked when figures are new).
fn can_refresh(request: &Request) -> bool {
    request
        .params
        .pointer("/capabilities/workspace/inlayHint/refreshSupport")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

fn respond(
    stage: &mut Stage,
    documents: &mut Documents,
    known: &Known,
    request: Request,
) -> Response {
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
        (Stage::Running, _) => answers::answer(documents, known, request),
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
            inlay_hint_provider: Some(OneOf::Left(true)),
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

/// A document opened, changed or closed: the diagnostics to publish for it, and what the worker is
/// to do (evaluate it when it checks clean; forget it when it is closed).
fn notified(documents: &mut Documents, n: Notification) -> Option<(Notification, Option<Work>)> {
    let (uri, version, text) = match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: lsp_types::DidOpenTextDocumentParams =
                n.extract(DidOpenTextDocument::METHOD).ok()?;
            let d = p.text_document;
            (d.uri, d.version, d.text)
        }
        // Full synchronization: the last change holds the whole text.
        DidChangeTextDocument::METHOD => {
            let p: lsp_types::DidChangeTextDocumentParams =
                n.extract(DidChangeTextDocument::METHOD).ok()?;
            let text = p.content_changes.into_iter().last()?.text;
            (p.text_document.uri, p.text_document.version, text)
        }
        DidCloseTextDocument::METHOD => {
            let p: lsp_types::DidCloseTextDocumentParams =
                n.extract(DidCloseTextDocument::METHOD).ok()?;
            let uri = p.text_document.uri;
            return Some((documents.close(uri.clone()), Some(Work::Forget(uri))));
        }
        _ => return None,
    };
    let published = documents.open(uri.clone(), version, text.clone());
    let clean = documents.get(&uri).is_some_and(|d| d.model.is_some());
    let job = clean.then(|| {
        Work::Evaluate(Job {
            file: file_path(&uri),
            uri,
            version,
            text,
        })
    });
    Some((published, job))
}

/// The path of a `file:` URI, its escapes decoded; `None` for any other scheme.
fn file_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str().strip_prefix("file://")?;
    // `file://host/path`: only the local host, written empty or as `localhost`.
    let path = match text.strip_prefix("localhost") {
        Some(rest) if rest.starts_with('/') => rest,
        _ => text,
    };
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| path.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escaped {
            Some(b) => {
                decoded.push(b);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).ok().map(PathBuf::from)
}

fn refuse(id: RequestId, code: ErrorCode, message: &str) -> Response {
    Response::new_err(id, code as i32, message.to_string())
}

fn invalid_params(id: RequestId, e: lsp_server::ExtractError<Request>) -> Response {
    refuse(id, ErrorCode::InvalidParams, &answers::params_error(e))
}
