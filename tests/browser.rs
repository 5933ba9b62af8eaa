//! A real headless Chromium (Debian's `chromium`, which `.ci/run` installs), driven over the
//! DevTools protocol: load a page, and collect what it logged, what it threw, every request it
//! made, and a screenshot of it. There is no fallback: without Chromium these tests fail.

use base64::Engine as _;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// What a page did while it loaded.
#[derive(Debug, Default)]
pub struct Visit {
    /// Console errors and warnings, uncaught exceptions, and browser log entries of level error
    /// (a content security policy violation is one).
    pub errors: Vec<String>,
    /// The URL of every request the page made that left the page, the page itself included.
    pub requests: Vec<String>,
    /// The URL of every request the browser refused before sending (a content security policy
    /// violation, say), with the reason.
    pub blocked: Vec<String>,
    /// The page's full height and width in CSS pixels.
    pub size: (f64, f64),
    /// A PNG of the page's top, `shot_height` pixels at most.
    pub png: Vec<u8>,
    /// Answers to the expressions asked for, as JSON.
    pub answers: Vec<Value>,
}

pub struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Every event received, in order.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const DEADLINE: Duration = Duration::from_secs(90);

impl Browser {
    pub fn start() -> Browser {
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect(
                "Debian's chromium is installed (.ci/run installs it: apt-get install chromium)",
            );
        let stderr = child.stderr.take().expect("chromium's stderr");
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("chromium printed where DevTools listens before it exited")
                .expect("chromium's stderr reads");
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                break url.trim().to_string();
            }
        };
        // Keep draining stderr so that chromium never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let (socket, _) =
            tungstenite::connect(url.as_str()).expect("DevTools accepts a connection");
        if let MaybeTlsStream::Plain(s) = socket.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("a read timeout");
        }
        Browser {
            child,
            socket,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let mut msg = json!({ "id": self.next_id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.socket
            .send(Message::text(msg.to_string()))
            .expect("DevTools takes a command");
        self.next_id
    }

    /// The next message, or `None` when none came for a while.
    fn receive(&mut self) -> Option<Value> {
        match self.socket.read() {
            Ok(Message::Text(t)) => Some(serde_json::from_str(t.as_str()).expect("DevTools JSON")),
            Ok(_) => self.receive(),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(e) => panic!("the DevTools connection broke: {e}"),
        }
    }

    /// Sends a command and waits for its answer, keeping the events that come first.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.send(session, method, params);
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            let Some(msg) = self.receive() else { continue };
            if msg["id"].as_u64() == Some(id) {
                if let Some(err) = msg.get("error") {
                    panic!("{method} failed: {err}");
                }
                return msg["result"].clone();
            }
            self.events.push(msg);
        }
        panic!("{method} had no answer in {DEADLINE:?}");
    }

    /// Opens `url` in a new tab and waits for its load event; the tab's session, for `ask`.
    pub fn open(&mut self, url: &str) -> String {
        self.loaded_tab(url, &["Runtime.enable", "Log.enable", "Page.enable"])
            .1
    }

    /// A new tab with these DevTools domains enabled, `url` loaded in it: its target, its session
    /// and where its events begin in `events`.
    fn loaded_tab(&mut self, url: &str, domains: &[&str]) -> (String, String, usize) {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("a target").to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        let session = attached["sessionId"]
            .as_str()
            .expect("a session")
            .to_string();
        let s = Some(session.as_str());
        for domain in domains {
            self.call(s, domain, json!({}));
        }
        let first = self.events.len();
        self.call(s, "Page.navigate", json!({"url": url}));
        let loaded = |events: &[Value]| {
            events.iter().any(|m| {
                m["sessionId"].as_str() == s && m["method"].as_str() == Some("Page.loadEventFired")
            })
        };
        let start = Instant::now();
        while !loaded(&self.events[first..]) && start.elapsed() < DEADLINE {
            if let Some(msg) = self.receive() {
                self.events.push(msg);
            }
        }
        assert!(
            loaded(&self.events[first..]),
            "{url} did not finish loading in {DEADLINE:?}"
        );
        (target_id, session, first)
    }

    /// The value of a JavaScript expression in the tab (run by DevTools); null while the page is
    /// between two loads.
    pub fn ask(&mut self, session: &str, expression: &str) -> Value {
        let id = self.send(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            let Some(msg) = self.receive() else { continue };
            if msg["id"].as_u64() == Some(id) {
                return msg["result"]["result"]["value"].clone();
            }
            self.events.push(msg);
        }
        panic!("Runtime.evaluate had no answer in {DEADLINE:?}");
    }

    /// Whether `expression` became true in the tab within `limit` (asked every 100 ms: the page
    /// may reload meanwhile).
    pub fn until(&mut self, session: &str, expression: &str, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.ask(session, expression) == json!(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// What the tab logged as an error or warning, and what it threw, so far.
    pub fn errors(&mut self, session: &str) -> Vec<String> {
        let settle = Instant::now();
        while settle.elapsed() < Duration::from_millis(300) {
            if let Some(msg) = self.receive() {
                self.events.push(msg);
            }
        }
        self.events
            .iter()
            .filter(|m| m["sessionId"].as_str() == Some(session))
            .filter_map(|m| match m["method"].as_str() {
                Some("Runtime.exceptionThrown") => Some(m["params"].to_string()),
                Some("Runtime.consoleAPICalled")
                    if matches!(m["params"]["type"].as_str(), Some("error" | "warning")) =>
                {
                    Some(m["params"]["args"].to_string())
                }
                Some("Log.entryAdded") if m["params"]["entry"]["level"] == "error" => {
                    Some(m["params"]["entry"].to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// Loads `page` in a new tab, waits for its load event, asks each of `questions` (JavaScript
    /// expressions, run by DevTools, not by the page), and screenshots its top.
    pub fn visit(&mut self, page: &Path, shot_height: f64, questions: &[&str]) -> Visit {
        let url = format!(
            "file://{}",
            page.canonicalize().expect("the page exists").display()
        );
        let domains = [
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
            "Page.enable",
        ];
        let (target_id, session, first) = self.loaded_tab(&url, &domains);
        let s = Some(session.as_str());
        // Let anything the page does after load (it should do nothing) show up.
        let settle = Instant::now();
        while settle.elapsed() < Duration::from_millis(500) {
            if let Some(msg) = self.receive() {
                self.events.push(msg);
            }
        }
        let mut visit = Visit::default();
        for q in questions {
            let answer = self.call(
                s,
                "Runtime.evaluate",
                json!({"expression": q, "returnByValue": true}),
            );
            visit.answers.push(answer["result"]["value"].clone());
        }
        let metrics = self.call(s, "Page.getLayoutMetrics", json!({}));
        let content = &metrics["cssContentSize"];
        visit.size = (
            content["height"].as_f64().unwrap_or(0.0),
            content["width"].as_f64().unwrap_or(0.0),
        );
        // The window grows to the shot, so that everything in it is on screen and laid out (the
        // report lays out sections only as they come into view), then waits two frames.
        let height = visit.size.0.min(shot_height).ceil();
        self.call(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        self.call(
            s,
            "Runtime.evaluate",
            json!({
                "expression": "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))",
                "awaitPromise": true
            }),
        );
        let shot = self.call(
            s,
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}
            }),
        );
        visit.png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 PNG");
        self.call(None, "Target.closeTarget", json!({"targetId": target_id}));
        let ours: Vec<&Value> = self.events[first..]
            .iter()
            .filter(|m| m["sessionId"].as_str() == s)
            .collect();
        // A refused request is announced like any other, then fails with a `blockedReason`.
        let refused: Vec<(&str, String)> = ours
            .iter()
            .filter(|m| m["method"].as_str() == Some("Network.loadingFailed"))
            .filter_map(|m| {
                let p = &m["params"];
                let reason = p["blockedReason"].as_str()?;
                Some((p["requestId"].as_str().unwrap_or(""), reason.to_string()))
            })
            .collect();
        for msg in ours {
            let p = &msg["params"];
            match msg["method"].as_str().unwrap_or("") {
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or("").to_string();
                    let id = p["requestId"].as_str().unwrap_or("");
                    match refused.iter().find(|(r, _)| *r == id) {
                        Some((_, reason)) => visit.blocked.push(format!("{url} ({reason})")),
                        None => visit.requests.push(url),
                    }
                }
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error" | "warning" | "assert")) =>
                {
                    visit
                        .errors
                        .push(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Runtime.exceptionThrown" => visit
                    .errors
                    .push(format!("exception: {}", p["exceptionDetails"])),
                "Log.entryAdded"
                    if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) =>
                {
                    visit.errors.push(format!(
                        "log ({}): {}",
                        p["entry"]["source"], p["entry"]["text"]
                    ))
                }
                _ => {}
            }
        }
        visit
    }
}
