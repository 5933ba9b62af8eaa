//! Owns the language server's wire: reading one framed message (`Content-Length` header, JSON body)
//! into `lsp_server`'s typed `Message`, and writing one back.
//!
//! The header is read here rather than by `lsp_server::Message::read`, because that function
//! allocates whatever length the header claims: a stream that says `Content-Length: 99999999999`
//! would take all the memory there is. Here a length over the limit is an error, as is a body
//! that is not JSON or not a JSON-RPC message, which the server answers rather than ignores.

use lsp_server::Message;
use std::io::{BufRead, Write};

/// No editor sends a document anywhere near this; a larger length is a broken stream.
pub const LIMIT: usize = 256 << 20;

/// What the next frame held.
pub enum Read {
    Message(Message),
    /// A body that is not JSON (the protocol's parse error, -32700).
    NotJson(String),
    /// JSON that is not a request, response or notification (invalid request, -32600).
    NotMessage(String),
    /// The input ended, or broke off inside a frame.
    End,
}

pub fn read(input: &mut impl BufRead) -> std::io::Result<Read> {
    let mut length: Option<usize> = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(Read::End);
        }
        let line = line.trim_end();
        if line.is_empty() {
            if length.is_some() {
                break;
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok();
            }
        }
    }
    let length = length.unwrap_or(0);
    if length > LIMIT {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a message of {length} bytes is over the limit of {LIMIT}"),
        ));
    }
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(Read::End),
        Err(e) => return Err(e),
    }
    let json: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return Ok(Read::NotJson(format!("the message is not JSON: {e}"))),
    };
    Ok(match serde_json::from_value(json) {
        Ok(m) => Read::Message(m),
        Err(e) => Read::NotMessage(format!(
            "the message is not a JSON-RPC request, response or notification: {e}"
        )),
    })
}

pub fn write(output: &mut impl Write, message: impl Into<Message>) -> std::io::Result<()> {
    message.into().write(output)
}

/// An error answering a message whose id could not be read: the protocol answers it with a null id,
/// which `lsp_server::RequestId` cannot hold.
pub fn write_unanswerable(
    output: &mut impl Write,
    code: i32,
    message: &str,
) -> std::io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    })
    .to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}
