//! Owns `scorecard report FILE --serve`: the HTML report served on localhost, evaluated again
//! (on the rows held warm by `live.rs`) whenever the scorecard or a data file it reads changes,
//! and a page that reloads itself when it does.

use super::exit::Exit;
use super::live::{stamp, Live};
use super::run::DataArgs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

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
    let served = Arc::new(Mutex::new(Served {
        version: 1,
        page: evaluate(&mut live, file, &mut watched),
    }));
    match server.server_addr().to_ip() {
        Some(addr) => eprintln!(
            "serving the report of {} at http://{addr}/ (Ctrl-C to stop)",
            file.display()
        ),
        None => eprintln!("serving the report of {}", file.display()),
    }
    let answering = served.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            answer(request, &answering);
        }
    });
    loop {
        std::thread::sleep(LOOK_EVERY);
        if watched.changed() {
            let page = evaluate(&mut live, file, &mut watched);
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
/// evaluation read; each with its size and time of change when last looked at.
struct Watched {
    files: Vec<(PathBuf, Option<(u64, SystemTime)>)>,
}

impl Watched {
    fn new(scorecard: &Path) -> Watched {
        let mut watched = Watched { files: Vec::new() };
        watched.set(scorecard, &[]);
        watched
    }

    /// Watches the scorecard, its project files and these data files from now on.
    fn set(&mut self, scorecard: &Path, data: &[PathBuf]) {
        let absolute = std::path::absolute(scorecard).unwrap_or_else(|_| scorecard.to_path_buf());
        let projects = absolute
            .ancestors()
            .skip(1)
            .map(|folder| folder.join("scorecard.toml"));
        self.files = std::iter::once(scorecard.to_path_buf())
            .chain(projects)
            .chain(data.iter().cloned())
            .map(|p| {
                let seen = stamp(&p);
                (p, seen)
            })
            .collect();
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

/// The report of the scorecard as it is on disk now, or a page saying why there is none.
fn evaluate(live: &mut Live, file: &Path, watched: &mut Watched) -> String {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return problem_page(file, &format!("cannot read `{}`: {e}", file.display())),
    };
    match live.evaluate(file, &text) {
        Ok(done) => {
            watched.set(file, &done.data_files);
            eprintln!(
                "evaluated {} in {} ms ({})",
                file.display(),
                done.took_ms,
                done.how
            );
            scorecard::report::html::html_with(&done.evaluation, &done.model, None)
        }
        Err(why) => {
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
            problem_page(file, &format!("{why}\n\n{diagnostics}"))
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

/// Answers one request: the page at `/`, its version at `/version`, and nothing else.
fn answer(request: tiny_http::Request, served: &Mutex<Served>) {
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
    let response = match (request.method(), request.url()) {
        (tiny_http::Method::Get, "/") => {
            typed(reloading(&page, version), "text/html; charset=utf-8")
        }
        (tiny_http::Method::Get, "/version") => {
            typed(version.to_string(), "text/plain; charset=utf-8")
        }
        // Browsers ask for an icon: there is none, and that is not an error.
        (tiny_http::Method::Get, "/favicon.ico") => {
            typed(String::new(), "text/plain; charset=utf-8").with_status_code(204)
        }
        _ => typed(
            "not found: the report is at /".to_string(),
            "text/plain; charset=utf-8",
        )
        .with_status_code(404),
    };
    let _ = request.respond(response);
}
