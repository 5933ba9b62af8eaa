//! Owns `scorecard report FILE --serve`: the HTML report served on localhost, evaluated again
//! (on the rows held warm by `live.rs`) whenever the scorecard or a data file it reads changes,
//! and a page that reloads itself when it does.

use super::exit::Exit;
use super::live::{stamp, Live, Stamped};
use super::run::DataArgs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the files are looked at, and how often the page asks whether it changed.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// The page served and its version, which every evaluation increases.
struct Served {
    version: u64,
    page: String,
}

/// Serves the report of `file` at `127.0.0.1:port` (a free port when 0) until interrupted.
pub fn serve(file: &Path, source: &DataArgs, port: u16, keep: usize) -> Exit {
    if let Some(flag) = unsupported(source) {
        eprintln!(
            "error[{}]: `report --serve` evaluates the scorecard on its project's data as the language server does, and takes no `{flag}`\n  help: write the report with `scorecard report {} {flag} ... -o report.html`",
            scorecard::diagnostic::Code::ServeOption.as_str(),
            file.display()
        );
        return Exit::DataErrors;
    }
    let server = match tiny_http::Server::http(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error[{}]: cannot serve on 127.0.0.1:{port}: {e}\n  help: choose another port with `--port`, or `--port 0` for any free one",
                scorecard::diagnostic::Code::ServeOption.as_str()
            );
            return Exit::DataErrors;
        }
    };
    let mut live = Live::new(keep, true);
    let mut watched = Watched::new(file);
    let (page, mut shown) = evaluate(&mut live, file, &mut watched);
    let served = Arc::new(Mutex::new(Served { version: 1, page }));
    match server.server_addr().to_ip() {
        Some(addr) => eprintln!(
            "serving the report of {} at http://{addr}/ (Ctrl-C to stop)",
            file.display()
        ),
        None => eprintln!("serving the report of {}", file.display()),
    }
    let answering = served.clone();
    let port = server.server_addr().to_ip().map_or(port, |a| a.port());
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            answer(request, &answering, port);
        }
    });
    loop {
        std::thread::sleep(LOOK_EVERY);
        // A table in PostgreSQL cannot be watched: its figures are read again every few
        // seconds (`live.stale`), and the page changes only when they do.
        if watched.changed() || live.stale(file) {
            let (page, fingerprint) = evaluate(&mut live, file, &mut watched);
            if fingerprint == shown {
                continue;
            }
            shown = fingerprint;
            if let Ok(mut s) = served.lock() {
                s.version += 1;
                s.page = page;
            }
        }
    }
}

/// The first option given that `--serve` does not take.
fn unsupported(source: &DataArgs) -> Option<&'static str> {
    let given = [
        (source.config.is_some(), "--config"),
        (source.data.is_some(), "--data"),
        (source.from.is_some(), "--from"),
        (source.to.is_some(), "--to"),
        (source.as_of.is_some(), "--as-of"),
        (source.threads.is_some(), "--threads"),
        (source.memory_limit.is_some(), "--memory-limit"),
        (source.deterministic, "--deterministic"),
        (source.audience.is_some(), "--audience"),
        (source.scenario.is_some(), "--scenario"),
        (!source.set.is_empty(), "--set"),
    ];
    given.into_iter().find(|(g, _)| *g).map(|(_, flag)| flag)
}

/// The files whose change makes the report evaluate again: the scorecard, every place its
/// project file may be (a `scorecard.toml` made, changed or removed), and the data files the last
/// evaluation read or would have read; each with its size and time of change when last looked at,
/// or, for those an evaluation read, from before it read them (a change while it ran is a change).
struct Watched {
    files: Vec<Stamped>,
}

impl Watched {
    fn new(scorecard: &Path) -> Watched {
        Watched {
            files: Watched::around(scorecard),
        }
    }

    /// The scorecard and every place its project file may be, stamped now.
    fn around(scorecard: &Path) -> Vec<Stamped> {
        let absolute = std::path::absolute(scorecard).unwrap_or_else(|_| scorecard.to_path_buf());
        let projects = absolute
            .ancestors()
            .skip(1)
            .map(|folder| folder.join("scorecard.toml"));
        std::iter::once(scorecard.to_path_buf())
            .chain(projects)
            .map(|p| {
                let seen = stamp(&p);
                (p, seen)
            })
            .collect()
    }

    /// Whether a file changed since it was last looked at.
    fn changed(&mut self) -> bool {
        let mut changed = false;
        for (path, seen) in &mut self.files {
            let now = stamp(path);
            if now != *seen {
                *seen = now;
                changed = true;
            }
        }
        changed
    }
}

/// The report of the scorecard as it is on disk now, or a page saying why there is none, and
/// what it shows (the page but for when it was made); what to watch from now on is what was
/// stamped before the scorecard and its data were read.
fn evaluate(live: &mut Live, file: &Path, watched: &mut Watched) -> (String, String) {
    let page = page(live, file, watched);
    let shown = match &page {
        Ok((_, fingerprint)) => fingerprint.clone(),
        Err(problem) => problem.clone(),
    };
    match page {
        Ok((page, _)) => (page, shown),
        Err(problem) => (problem, shown),
    }
}

/// The report and its fingerprint, or the page saying why there is none.
fn page(live: &mut Live, file: &Path, watched: &mut Watched) -> Result<(String, String), String> {
    let mut around = Watched::around(file);
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            watched.files = around;
            return Err(problem_page(
                file,
                &format!("cannot read `{}`: {e}", file.display()),
            ));
        }
    };
    match live.evaluate(file, &text) {
        Ok(done) => {
            around.extend(done.reads);
            watched.files = around;
            eprintln!(
                "evaluated {} in {} ms ({})",
                file.display(),
                done.took_ms,
                done.how
            );
            let page = scorecard::report::html::html_with(&done.evaluation, &done.model, None);
            let mut evaluation = done.evaluation;
            evaluation.manifest.evaluated_at = None;
            let fingerprint = serde_json::to_string(&evaluation).unwrap_or_default();
            Ok((page, fingerprint))
        }
        Err(failed) => {
            around.extend(failed.reads);
            watched.files = around;
            let why = failed.why;
            eprintln!("{}: {why}", file.display());
            let diagnostics = match scorecard::compile(&text) {
                c if c.model.is_none() => scorecard::diagnostic::render(
                    &file.display().to_string(),
                    &text,
                    &c.diagnostics,
                    false,
                ),
                _ => String::new(),
            };
            Err(problem_page(file, &format!("{why}\n\n{diagnostics}")))
        }
    }
}

/// A page that says why there is no report (it reloads like the report when the files change).
fn problem_page(file: &Path, why: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\n<title>{} — no report</title>\n</head>\n<body>\n<h1>No report for {}</h1>\n<pre id=\"problem\">{}</pre>\n</body>\n</html>\n",
        esc(&file.display().to_string()),
        esc(&file.display().to_string()),
        esc(why)
    )
}

/// The script the served page runs: it asks for the version every `LOOK_EVERY` and reloads when
/// it is not the one the page was made at.
fn reloading(page: &str, version: u64) -> String {
    let every = LOOK_EVERY.as_millis();
    let script = format!(
        "<script>(function(){{var v=\"{version}\";setInterval(function(){{fetch(\"/version\",{{cache:\"no-store\"}}).then(function(r){{return r.text();}}).then(function(t){{if(t!==v){{location.reload();}}}}).catch(function(){{}});}},{every});}})();</script>\n"
    );
    // The page's policy allows no script: served, it allows this one and asks only its own server.
    let policy = "default-src 'none'";
    let with_policy = page.replacen(
        &format!("content=\"{policy}"),
        &format!(
            "content=\"{policy}; script-src 'sha256-{}'; connect-src 'self'",
            sha256_base64(&script_body(&script))
        ),
        1,
    );
    match with_policy.rfind("</body>") {
        Some(i) => format!("{}{script}{}", &with_policy[..i], &with_policy[i..]),
        None => format!("{with_policy}{script}"),
    }
}

/// The text between `<script>` and `</script>`, which a policy's hash is of.
fn script_body(script: &str) -> String {
    script
        .trim_end()
        .trim_start_matches("<script>")
        .trim_end_matches("</script>")
        .to_string()
}

fn sha256_base64(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}

/// Answers one request: the page at `/`, its version at `/version`, and nothing else. A request
/// naming another host is refused, so that a page elsewhere cannot read the report through a name
/// that resolves to this machine (DNS rebinding).
fn answer(request: tiny_http::Request, served: &Mutex<Served>, port: u16) {
    let (version, page) = match served.lock() {
        Ok(s) => (s.version, s.page.clone()),
        Err(_) => return,
    };
    let typed = |body: String, kind: &str| {
        let mut response = tiny_http::Response::from_string(body);
        let headers = [("Content-Type", kind), ("Cache-Control", "no-store")];
        for (name, value) in headers {
            if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(h);
            }
        }
        response
    };
    let text = "text/plain; charset=utf-8";
    let host = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| h.value.as_str().to_string());
    let local = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    let response = match (request.method(), path(request.url())) {
        _ if !host
            .as_ref()
            .is_some_and(|h| local.iter().any(|l| l.eq_ignore_ascii_case(h))) =>
        {
            typed(
                format!("the report is served to http://127.0.0.1:{port}/ only"),
                text,
            )
            .with_status_code(421)
        }
        (tiny_http::Method::Get | tiny_http::Method::Head, "/") => {
            typed(reloading(&page, version), "text/html; charset=utf-8")
        }
        (tiny_http::Method::Get | tiny_http::Method::Head, "/version") => {
            typed(version.to_string(), text)
        }
        // Browsers ask for an icon: there is none, and that is not an error.
        (tiny_http::Method::Get | tiny_http::Method::Head, "/favicon.ico") => {
            typed(String::new(), text).with_status_code(204)
        }
        (_, "/" | "/version") => {
            let mut refused =
                typed("only GET and HEAD are served".to_string(), text).with_status_code(405);
            if let Ok(h) = tiny_http::Header::from_bytes(&b"Allow"[..], &b"GET, HEAD"[..]) {
                refused.add_header(h);
            }
            refused
        }
        _ => typed("not found: the report is at /".to_string(), text).with_status_code(404),
    };
    let _ = request.respond(response);
}

/// The path a request's target names: without its query, and without the scheme and host of an
/// absolute target (`http://127.0.0.1:8765/`).
fn path(target: &str) -> &str {
    let target = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    target.split(['?', '#']).next().unwrap_or(target)
}
