//! `scorecard lsp` driven as an editor drives it: framed JSON-RPC messages over its standard input
//! and output, on the retail example.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

pub(crate) struct Server {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
}

impl Server {
    pub(crate) fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let input = child.stdin.take().expect("stdin");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let (send, messages) = channel();
        std::thread::spawn(move || loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if out.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.trim().strip_prefix("Content-Length: ") {
                    length = v.parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if out.read_exact(&mut body).is_err() {
                return;
            }
            let _ = send.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
        });
        Server {
            child,
            input,
            messages,
            next_id: 1,
        }
    }

    pub(crate) fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.input.flush().expect("flush");
    }

    pub(crate) fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next message that `wanted` accepts (others, such as diagnostics, are skipped).
    pub(crate) fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(120))
                .expect("the server answers within 120 seconds");
            if wanted(&m) {
                return m;
            }
        }
    }

    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(|m| m["id"] == json!(id))["result"].clone()
    }

    fn diagnostics(&mut self) -> Vec<Value> {
        let m = self.wait(|m| m["method"] == "textDocument/publishDiagnostics");
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

const URI: &str = "file:///work/retail.scorecard";

/// The LSP position (line, UTF-16 column) of the `nth` occurrence of `needle`, plus `into`
/// characters; worked out here, apart from the server's own conversion.
pub(crate) fn at(text: &str, needle: &str, nth: usize, into: usize) -> Value {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("`{needle}` not found"));
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |p| p + 1);
    let column: usize = text[start..offset].encode_utf16().count() + into;
    json!({ "line": line, "character": column })
}

/// The line (0-based) where `needle` first occurs.
fn line_of(text: &str, needle: &str) -> u64 {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found"));
    text[..offset].matches('\n').count() as u64
}

#[test]
fn the_language_server_checks_hovers_defines_completes_and_formats() {
    let text = std::fs::read_to_string("scorecards/retail/retail.scorecard").expect("the example");
    let mut s = Server::start();
    let init = s.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    let caps = &init["capabilities"];
    assert_eq!(caps["textDocumentSync"], 1);
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["definitionProvider"], true);
    s.notify("initialized", json!({}));
    let doc = json!({ "uri": URI, "languageId": "scorecard", "version": 1, "text": text });
    s.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    assert_eq!(
        s.diagnostics(),
        Vec::<Value>::new(),
        "the example checks clean"
    );

    // Hover on `gross_margin` where an escalation reads it: label, doc-less formula and unit.
    let pos = at(&text, "when: gross_margin is not green", 0, 8);
    let hover = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": pos }),
    );
    let shown = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        shown.contains("**kpi gross_margin** \"Gross margin %\""),
        "{shown}"
    );
    assert!(
        shown.contains("value: `(net_revenue - sum(orders.cogs)) / net_revenue`"),
        "{shown}"
    );
    assert!(shown.contains("unit: percent"), "{shown}");
    // A KPI with a doc comment shows it.
    let pos = at(&text, "value: ytd(net_revenue)", 0, 12);
    let hover = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": pos }),
    );
    let shown = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(shown.contains("**kpi net_revenue** \"Net revenue\"\n\nRevenue net of returns, against the approved budget."), "{shown}");
    assert!(shown.contains("unit: money"), "{shown}");
    // A column.
    let pos = at(&text, "sum(orders.cogs)", 0, 12);
    let hover = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": pos }),
    );
    assert_eq!(hover["contents"]["value"], "**orders.cogs**: money");

    // Go to definition: a dataset, its column, a bare column in a filter, an objective, a KPI.
    let define = |s: &mut Server, pos: Value| {
        let r = s.request(
            "textDocument/definition",
            json!({ "textDocument": { "uri": URI }, "position": pos }),
        );
        assert_eq!(r["uri"], URI);
        (
            r["range"]["start"]["line"].as_u64().unwrap_or(u64::MAX),
            r["range"]["start"]["character"].clone(),
        )
    };
    let orders_decl = line_of(&text, "dataset orders \"Orders\"");
    assert_eq!(
        define(&mut s, at(&text, "sum(orders.revenue)", 0, 6)),
        (orders_decl, json!(8))
    );
    let revenue_col = line_of(&text, "    revenue:    money");
    assert_eq!(
        define(&mut s, at(&text, "sum(orders.revenue)", 0, 13)),
        (revenue_col, json!(4))
    );
    let channel_col = line_of(&text, "    channel:    text");
    assert_eq!(
        define(&mut s, at(&text, "where channel = \"online\"", 0, 7)),
        (channel_col, json!(4))
    );
    let objective = line_of(&text, "objective protect_margin");
    assert_eq!(
        define(&mut s, at(&text, "objective: protect_margin", 0, 12)),
        (objective, json!(10))
    );
    let kpi = line_of(&text, "kpi net_revenue");
    assert_eq!(
        define(&mut s, at(&text, "ytd(net_revenue)", 0, 5)),
        (kpi, json!(4))
    );

    // Completion: the columns after `orders.`, every declared name elsewhere.
    let pos = at(&text, "sum(orders.revenue)", 0, 11);
    let items = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": URI }, "position": pos }),
    );
    let labels: Vec<&str> = items["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        vec![
            "line_id",
            "order_id",
            "order_date",
            "customer",
            "region",
            "channel",
            "revenue",
            "cogs",
            "units"
        ]
    );
    let pos = at(&text, "value: ytd(net_revenue)", 0, 7);
    let items = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": URI }, "position": pos }),
    );
    let labels: Vec<&str> = items["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    for name in [
        "net_revenue",
        "gross_margin",
        "orders",
        "budget",
        "grow_revenue",
        "financial",
        "revenue_behind_budget",
    ] {
        assert!(labels.contains(&name), "{name} missing from {labels:?}");
    }

    // A mistake typed in: the diagnostic comes back with its code, at the misspelt column.
    let broken = text.replacen("sum(orders.cogs)", "sum(orders.cgos)", 1);
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": broken }] }),
    );
    let found = s.diagnostics();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "scorecard::check::unknown_column");
    assert_eq!(found[0]["severity"], 1);
    assert_eq!(
        found[0]["range"]["start"],
        at(&broken, "sum(orders.cgos)", 0, 11)
    );
    assert_eq!(
        found[0]["range"]["end"],
        at(&broken, "sum(orders.cgos)", 0, 15)
    );

    // Formatting returns the canonical layout as one edit.
    let messy = text.replacen(
        "  unit: money\n  value: sum(orders.revenue)",
        "  unit:money\n  value:   sum( orders.revenue )",
        1,
    );
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 3 }, "contentChanges": [{ "text": messy }] }),
    );
    assert_eq!(s.diagnostics(), Vec::<Value>::new());
    let edits = s.request("textDocument/formatting", json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(edits[0]["newText"], json!(text));

    assert_eq!(s.request("shutdown", Value::Null), Value::Null);
    s.notify("exit", Value::Null);
    let status = s.child.wait().expect("the server exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_language_server_answers_on_deep_text_and_days_at_the_edge_of_the_calendar() {
    // 10,000 nested parentheses took the parser minutes (every `check`, and every keystroke);
    // a period name at the edge of the calendar panicked the checker, and with it the server.
    let mut s = Server::start();
    s.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    s.notify("initialized", json!({}));
    let deep = format!(
        "scorecard t {{ currency: USD }}\ndataset d {{ source: \"d.csv\"  time: day  columns: {{ day: date  amount: money }} }}\nkpi k {{ value: {}sum(d.amount){} }}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let doc = json!({ "uri": URI, "languageId": "scorecard", "version": 1, "text": deep });
    s.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    let codes: Vec<Value> = s.diagnostics().iter().map(|d| d["code"].clone()).collect();
    assert_eq!(codes, [json!("scorecard::syntax::too_deep")]);
    let edge = "scorecard t { currency: USD  grain: quarter }\ndataset d { source: \"d.csv\"  time: day  columns: { day: date  amount: money } }\nkpi k { value: sum(d.amount)  target: { \"+262142-12-31\": 5 } }\n";
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": edge }] }),
    );
    let codes: Vec<Value> = s.diagnostics().iter().map(|d| d["code"].clone()).collect();
    assert_eq!(codes, [json!("scorecard::check::invalid_value")]);
    // Still answering.
    let formatted = s.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert!(formatted.is_array() || formatted.is_null(), "{formatted}");
    s.child.kill().ok();
}

#[test]
fn the_language_server_keeps_the_protocol_lifecycle_and_answers_broken_messages() {
    let mut s = Server::start();
    // Before `initialize`, a request is refused with the protocol's code, not answered.
    s.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {} }));
    let early = s.wait(|m| m["id"] == json!(1));
    assert_eq!(early["error"]["code"], json!(-32002), "{early}");
    // A body that is not JSON, and JSON that is not a message, are each answered with an error
    // whose id is null (it could not be read), and the server goes on.
    let broken = "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": ";
    write!(s.input, "Content-Length: {}\r\n\r\n{broken}", broken.len()).expect("write");
    s.input.flush().expect("flush");
    let parse = s.wait(|m| m.get("error").is_some());
    assert_eq!(parse["error"]["code"], json!(-32700), "{parse}");
    assert_eq!(parse["id"], Value::Null, "{parse}");
    s.send(json!({ "something": "else" }));
    let invalid = s.wait(|m| m.get("error").is_some());
    assert_eq!(invalid["error"]["code"], json!(-32600), "{invalid}");
    // The client offers UTF-8 positions first: the server takes them and counts columns in bytes.
    s.next_id = 3;
    let init = s.request(
        "initialize",
        json!({ "processId": null, "rootUri": null,
                "capabilities": { "general": { "positionEncodings": ["utf-8", "utf-16"] } } }),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], json!("utf-8"));
    s.notify("initialized", json!({}));
    // `€` is 3 bytes and 1 UTF-16 unit: `rev` on line 3 is 8 columns further in bytes than in
    // UTF-16, so only a server counting bytes finds it at its byte column.
    let text = "scorecard t { currency: USD }\ndataset d { source: \"d.csv\"  time: day  columns: { day: date  amount: money } }\nkpi rev \"€\" { value: sum(d.amount) }\nkpi k2 \"€€€€\" { value: rev }\n";
    s.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "scorecard", "version": 1, "text": text } }),
    );
    s.diagnostics();
    let line3 = text.lines().nth(3).expect("line 3");
    let column = line3.rfind("rev").expect("rev") as u64;
    assert_eq!(
        column, 31,
        "the byte column, worked out by hand: 7 + 14 + 10"
    );
    let found = s.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": URI }, "position": { "line": 3, "character": column + 1 } }),
    );
    assert_eq!(
        found["range"]["start"],
        json!({ "line": 2, "character": 4 }),
        "{found}"
    );
    let hover = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": { "line": 3, "character": column } }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("**kpi rev** \"€\"")),
        "{hover}"
    );
    // Malformed parameters are the protocol's invalid-params error, not a crash.
    let id = s.next_id;
    s.next_id += 1;
    s.send(json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": { "position": 3 } }));
    let bad = s.wait(|m| m["id"] == json!(id));
    assert_eq!(bad["error"]["code"], json!(-32602), "{bad}");
    // After `shutdown`, requests are refused as invalid; `exit` then ends with code 0.
    assert_eq!(s.request("shutdown", Value::Null), Value::Null);
    let id = s.next_id;
    s.send(json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
                   "params": { "textDocument": { "uri": URI }, "position": { "line": 0, "character": 0 } } }));
    let late = s.wait(|m| m["id"] == json!(id));
    assert_eq!(late["error"]["code"], json!(-32600), "{late}");
    s.notify("exit", Value::Null);
    let status = s.child.wait().expect("the server exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_language_server_answers_ids_it_cannot_hold_broken_headers_and_lone_carriage_returns() {
    let mut s = Server::start();
    s.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    s.notify("initialized", json!({}));
    // An id past 32 bits is answered under that id; an id that is not a number or a string, under
    // null. Before, both were taken for notifications and never answered.
    s.send(json!({ "jsonrpc": "2.0", "id": 2147483648u64, "method": "shutdown" }));
    let big = s.wait(|m| m.get("error").is_some());
    assert_eq!(big["id"], json!(2147483648u64), "{big}");
    assert_eq!(big["error"]["code"], json!(-32600), "{big}");
    s.send(json!({ "jsonrpc": "2.0", "id": true, "method": "shutdown" }));
    let odd = s.wait(|m| m.get("error").is_some());
    assert_eq!(
        (odd["id"].clone(), odd["error"]["code"].clone()),
        (Value::Null, json!(-32600))
    );
    // A header block with no length, and one whose length is not a number, are answered with a
    // parse error, and the next message is read as usual.
    write!(s.input, "Content-Type: application/json\r\n\r\n").expect("write");
    s.input.flush().expect("flush");
    let none = s.wait(|m| m.get("error").is_some());
    assert_eq!(none["error"]["code"], json!(-32700), "{none}");
    write!(s.input, "Content-Length: -5\r\n\r\n").expect("write");
    s.input.flush().expect("flush");
    let negative = s.wait(|m| m.get("error").is_some());
    assert_eq!(negative["error"]["code"], json!(-32700), "{negative}");
    // A header that is not UTF-8 ended the server; it is a header without a length.
    s.input
        .write_all(b"X-Note: \xff\r\nContent-Length: 3\xff\r\n\r\n")
        .expect("write");
    s.input.flush().expect("flush");
    let bytes = s.wait(|m| m.get("error").is_some());
    assert_eq!(bytes["error"]["code"], json!(-32700), "{bytes}");
    // Lines ended by a lone CR: the unknown name is on the third line (line 2).
    let text = "scorecard t { currency: USD }\rdataset d { source: \"d.csv\"  time: day  columns: { day: date  amount: money } }\rkpi k { value: sum(d.amount) + nope }\r";
    s.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "scorecard", "version": 1, "text": text } }),
    );
    let found = s.diagnostics();
    let start = &found.first().expect("a diagnostic")["range"]["start"];
    let column = "kpi k { value: sum(d.amount) + ".len();
    assert_eq!(
        start,
        &json!({ "line": 2, "character": column }),
        "{found:?}"
    );
    s.child.kill().ok();
}
