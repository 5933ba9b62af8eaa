//! Owns the language server's wire: reading one framed message (`Content-Length` header, JSON body)
//! into `lsp_server`'s typed `Message`, and writing one back.
//!
//! The header is read here rather than by `lsp_server::Message::read`, because that function
//! allocates whatever length the header claims: a stream that says `Content-Length: 99999999999`
//! would take all the memory there is. Here a length over the limit is an error, as is a header
//! line past 8 KiB; a header without a length, a body that is not JSON or not a JSON-RPC message,
//! and a request whose id `lsp_server` cannot hold are each answered rather than ignored.

use lsp_server::{ErrorCode, Message};
use serde_json::Value;
use std::io::{BufRead, Read as _, Write};

/// No editor sends a document anywhere near this; a larger length is a broken stream.
pub const LIMIT: usize = 256 << 20;

/// The longest header line taken (a header is a name and a number).
const HEADER_LINE: u64 = 8 << 10;

/// What the next frame held.
pub enum Read {
    Message(Message),
    /// A frame the server answers with an error: the id to answer (null when it could not be
    /// read), the protocol's code and why.
    Broken(Value, ErrorCode, String),
    /// The input ended, or broke off inside a frame.
    End,
}

pub fn read(input: &mut impl BufRead) -> std::io::Result<Read> {
    let Some(length) = header(input)? else {
        return Ok(Read::End);
    };
    let length = match length {
        Ok(n) => n,
        Err(why) => return Ok(Read::Broken(Value::Null, ErrorCode::ParseError, why)),
    };
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(Read::End),
        Err(e) => return Err(e),
    }
    let json: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let why = format!("the message is not JSON: {e}");
            return Ok(Read::Broken(Value::Null, ErrorCode::ParseError, why));
        }
    };
    if let Some(broken) = unanswerable_id(&json) {
        return Ok(broken);
    }
    Ok(match serde_json::from_value(json) {
        Ok(m) => Read::Message(m),
        Err(e) => Read::Broken(
            Value::Null,
            ErrorCode::InvalidRequest,
            format!("the message is not a JSON-RPC request, response or notification: {e}"),
        ),
    })
}

/// The header block's `Content-Length`: `None` at the end of the input, and an error to answer
/// when the block has no length that reads as one.
fn header(input: &mut impl BufRead) -> std::io::Result<Option<Result<usize, String>>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut lines = 0;
    loop {
        // Bytes, not text: a header that is not UTF-8 is a header without a length, not the end.
        let mut bytes = Vec::new();
        let read = input
            .by_ref()
            .take(HEADER_LINE)
            .read_until(b'\n', &mut bytes)?;
        if read == 0 {
            return Ok(None);
        }
        let line = String::from_utf8_lossy(&bytes);
        if !line.ends_with('\n') && read as u64 == HEADER_LINE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a header line is longer than {HEADER_LINE} bytes: the stream is broken"),
            ));
        }
        let line = line.trim_end();
        if line.is_empty() {
            if lines == 0 {
                continue;
            }
            let missing = || "the message has no `Content-Length` header".to_string();
            return Ok(Some(length.unwrap_or_else(|| Err(missing()))));
        }
        lines += 1;
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(content_length(value.trim()));
            }
        }
    }
}

fn content_length(value: &str) -> Result<usize, String> {
    let n = match value.bytes().all(|b| b.is_ascii_digit()) {
        true => value.parse::<usize>().ok(),
        false => None,
    };
    match n {
        Some(n) if n <= LIMIT => Ok(n),
        Some(n) => Err(format!(
            "a message of {n} bytes is over the limit of {LIMIT}"
        )),
        None => Err(format!(
            "`Content-Length: {value}` is not a length in bytes"
        )),
    }
}

/// A request whose id is not one `lsp_server` holds (a string or a 32-bit integer): answered with
/// an invalid-request error, under its own id when JSON-RPC allows it (any number) and else null.
fn unanswerable_id(json: &Value) -> Option<Read> {
    let id = json.get("id")?;
    json.get("method")?;
    let held = id.is_string() || id.as_i64().is_some_and(|n| i32::try_from(n).is_ok());
    if held {
        return None;
    }
    let (answer, why) = match id {
        Value::Number(_) => (
            id.clone(),
            "request ids are strings or whole numbers from -2147483648 to 2147483647",
        ),
        _ => (Value::Null, "a request's id is a string or a number"),
    };
    Some(Read::Broken(
        answer,
        ErrorCode::InvalidRequest,
        why.to_string(),
    ))
}

pub fn write(output: &mut impl Write, message: impl Into<Message>) -> std::io::Result<()> {
    message.into().write(output)
}

/// An error answering a frame `lsp_server` cannot hold: its id is echoed as JSON (null when it
/// could not be read).
pub fn write_error(
    output: &mut impl Write,
    id: Value,
    code: ErrorCode,
    message: &str,
) -> std::io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code as i32, "message": message },
    })
    .to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}
