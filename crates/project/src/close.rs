//! Owns what `scorecard.toml` says about the period close: where the ledger of published figures
//! is kept (`[ledger]`), and how escalations reach people (`[notify]`: the state store, the
//! receivers and the route tree). Secrets are never read from the file: a webhook's URL and an
//! SMTP password are named by the environment variable that holds them, read only when a
//! notification is sent.

use scorecard_diagnostic::did_you_mean;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

use super::ProjectError;

/// Where a store of records is kept: a folder of plain files, or a PostgreSQL table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    Folder(PathBuf),
    Postgres {
        /// The environment variable holding the connection string.
        url_env: String,
        table: String,
    },
}

/// `[notify]`: where deliveries are recorded, who can receive, and which route each notification
/// takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub state: Store,
    pub receivers: BTreeMap<String, Receiver>,
    pub route: Route,
}

/// One way to reach people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receiver {
    Webhook {
        /// The environment variable holding the URL (a chat webhook's URL is its password).
        url_env: String,
        format: WebhookFormat,
    },
    Email(Email),
}

/// The body a webhook posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The notification as a JSON object (docs/notifications.md).
    Json,
    /// `{"text": …}`, what a Slack incoming webhook takes.
    Slack,
    /// A message with an Adaptive Card, what a Microsoft Teams workflow webhook takes.
    Teams,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: Vec<String>,
    pub from: String,
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username_env: Option<String>,
    pub password_env: Option<String>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain text (a relay on this machine or a test server).
    None,
    /// Plain text upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// A node of the route tree, as Prometheus Alertmanager routes alerts: a notification enters at
/// the root and goes down into the first child whose matchers all hold (and on to later children
/// too when that child says `continue`); a node no child takes it from sends it to its receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Inherited from the parent when not written.
    pub receiver: String,
    /// Severities (`high`, ...), any of which matches; empty matches all.
    pub severity: Vec<String>,
    /// Owners (the person or group the notification is for), any of which matches.
    pub owner: Vec<String>,
    /// Escalation names, any of which matches.
    pub escalation: Vec<String>,
    pub continue_: bool,
    pub routes: Vec<Route>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreTable {
    path: Option<Spanned<String>>,
    postgres: Option<Spanned<PostgresStore>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostgresStore {
    url: Option<Spanned<String>>,
    url_env: Option<String>,
    table: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotifyTable {
    state: Option<StoreTable>,
    #[serde(default)]
    receivers: BTreeMap<String, Spanned<ReceiverTable>>,
    route: Option<Spanned<RouteTable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiverTable {
    webhook: Option<Spanned<WebhookTable>>,
    email: Option<Spanned<EmailTable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookTable {
    url: Option<Spanned<String>>,
    url_env: Option<String>,
    format: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailTable {
    to: Vec<String>,
    from: String,
    smtp: Spanned<String>,
    tls: Option<Spanned<String>>,
    username_env: Option<String>,
    password_env: Option<String>,
    password: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteTable {
    receiver: Option<Spanned<String>>,
    #[serde(default)]
    severity: OneOrMany,
    #[serde(default)]
    owner: OneOrMany,
    #[serde(default)]
    escalation: OneOrMany,
    #[serde(default, rename = "continue")]
    continue_: bool,
    #[serde(default)]
    routes: Vec<Spanned<RouteTable>>,
}

/// A matcher written as one value or a list of them.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

type Invalid<'a> = &'a dyn Fn(usize, String) -> ProjectError;

/// The severities a route may match, as escalations write them.
const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

/// `[ledger]` (or, absent, the folder `ledger` beside `scorecard.toml`).
pub(crate) fn ledger(
    root: &Path,
    table: Option<StoreTable>,
    invalid: Invalid,
) -> Result<Store, ProjectError> {
    store(root, table, "ledger", "ledger", invalid)
}

/// `[notify]`, if written.
pub(crate) fn notify(
    root: &Path,
    table: NotifyTable,
    at: usize,
    invalid: Invalid,
) -> Result<Notify, ProjectError> {
    let state = store(root, table.state, "notify.state", "notify-state", invalid)?;
    let mut receivers = BTreeMap::new();
    for (name, r) in table.receivers {
        let r_at = r.span().start;
        receivers.insert(
            name.clone(),
            receiver(&name, r.into_inner(), r_at, invalid)?,
        );
    }
    let Some(route) = table.route else {
        return Err(invalid(
            at,
            "`[notify]` needs a route: add `[notify.route]` with `receiver = \"…\"`, the receiver that hears what no more particular route takes".into(),
        ));
    };
    let route_at = route.span().start;
    let route = self::route(route.into_inner(), None, route_at, &receivers, invalid)?;
    Ok(Notify {
        state,
        receivers,
        route,
    })
}

fn store(
    root: &Path,
    table: Option<StoreTable>,
    name: &str,
    default: &str,
    invalid: Invalid,
) -> Result<Store, ProjectError> {
    let Some(table) = table else {
        return Ok(Store::Folder(root.join(default)));
    };
    match (table.path, table.postgres) {
        (None, None) => Ok(Store::Folder(root.join(default))),
        (Some(path), None) => Ok(Store::Folder(root.join(path.get_ref()))),
        (None, Some(pg)) => {
            let pg_at = pg.span().start;
            let pg = pg.into_inner();
            if let Some(url) = pg.url {
                return Err(invalid(
                    url.span().start,
                    format!("a connection string holds a password, so `[{name}]` reads it from the environment: write `url_env = \"NAME\"` with the variable that holds it"),
                ));
            }
            let (Some(url_env), Some(table)) = (pg.url_env, pg.table) else {
                return Err(invalid(
                    pg_at,
                    format!("`[{name}]`'s postgres needs `url_env = \"…\"` (the variable holding the connection string) and `table = \"…\"`"),
                ));
            };
            if !table
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err(invalid(
                    pg_at,
                    format!("`{table}` is not a table name: use letters, digits and `_`, with an optional schema (`audit.ledger`)"),
                ));
            }
            Ok(Store::Postgres { url_env, table })
        }
        (Some(path), Some(_)) => Err(invalid(
            path.span().start,
            format!("`[{name}]` is kept in a folder (`path`) or a PostgreSQL table (`postgres`), one of the two"),
        )),
    }
}

fn receiver(
    name: &str,
    table: ReceiverTable,
    at: usize,
    invalid: Invalid,
) -> Result<Receiver, ProjectError> {
    match (table.webhook, table.email) {
        (Some(w), None) => {
            let w_at = w.span().start;
            let w = w.into_inner();
            if let Some(url) = w.url {
                return Err(invalid(
                    url.span().start,
                    format!("a webhook's URL is its password, so it is never written in the project: put it in an environment variable and name it with `url_env = \"…\"` in `[notify.receivers.{name}]`"),
                ));
            }
            let Some(url_env) = w.url_env else {
                return Err(invalid(
                    w_at,
                    format!("`[notify.receivers.{name}]`'s webhook needs `url_env = \"…\"`, the environment variable holding its URL"),
                ));
            };
            let format = match w.format.as_ref().map(|f| f.get_ref().as_str()) {
                None | Some("json") => WebhookFormat::Json,
                Some("slack") => WebhookFormat::Slack,
                Some("teams") => WebhookFormat::Teams,
                Some(other) => {
                    return Err(invalid(
                        w.format.as_ref().map_or(w_at, |f| f.span().start),
                        format!("unknown webhook format `{other}`: write \"json\" (the default), \"slack\" or \"teams\""),
                    ))
                }
            };
            Ok(Receiver::Webhook { url_env, format })
        }
        (None, Some(e)) => {
            let e_at = e.span().start;
            let e = e.into_inner();
            if let Some(p) = e.password {
                return Err(invalid(
                    p.span().start,
                    format!("a password is never written in the project: put it in an environment variable and name it with `password_env = \"…\"` in `[notify.receivers.{name}]`"),
                ));
            }
            if e.to.is_empty() {
                return Err(invalid(
                    e_at,
                    format!("`[notify.receivers.{name}]` sends email to nobody: list the addresses in `to = [\"…\"]`"),
                ));
            }
            for address in e.to.iter().chain([&e.from]) {
                if !looks_like_address(address) {
                    return Err(invalid(
                        e_at,
                        format!("`{address}` is not an email address"),
                    ));
                }
            }
            let smtp_at = e.smtp.span().start;
            let smtp = e.smtp.into_inner();
            let (host, port) = match smtp.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse::<u16>().ok()),
                None => (smtp.clone(), None),
            };
            let tls = match e.tls.as_ref().map(|t| t.get_ref().as_str()) {
                None | Some("starttls") => Tls::StartTls,
                Some("tls") => Tls::Tls,
                Some("none") => Tls::None,
                Some(other) => {
                    return Err(invalid(
                        e.tls.as_ref().map_or(e_at, |t| t.span().start),
                        format!("unknown `tls = \"{other}\"`: write \"starttls\" (the default), \"tls\" or \"none\""),
                    ))
                }
            };
            let default_port = match tls {
                Tls::None => 25,
                Tls::StartTls => 587,
                Tls::Tls => 465,
            };
            let port = match (smtp.contains(':'), port) {
                (false, _) => default_port,
                (true, Some(p)) => p,
                (true, None) => {
                    return Err(invalid(
                        smtp_at,
                        format!("`{smtp}` is not an SMTP server: write \"host\" or \"host:port\""),
                    ))
                }
            };
            if host.is_empty() {
                return Err(invalid(smtp_at, "the SMTP server has no host".into()));
            }
            Ok(Receiver::Email(Email {
                to: e.to,
                from: e.from,
                host,
                port,
                tls,
                username_env: e.username_env,
                password_env: e.password_env,
            }))
        }
        _ => Err(invalid(
            at,
            format!("`[notify.receivers.{name}]` needs `webhook = {{ url_env = \"…\" }}` or `email = {{ to = [\"…\"], from = \"…\", smtp = \"host:port\" }}`, one of the two"),
        )),
    }
}

fn route(
    table: RouteTable,
    parent: Option<&str>,
    at: usize,
    receivers: &BTreeMap<String, Receiver>,
    invalid: Invalid,
) -> Result<Route, ProjectError> {
    let receiver = match (&table.receiver, parent) {
        (Some(r), _) => {
            if !receivers.contains_key(r.get_ref()) {
                let hint = did_you_mean(r.get_ref(), receivers.keys().map(String::as_str))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_else(|| " (declare it as `[notify.receivers.NAME]`)".to_string());
                return Err(invalid(
                    r.span().start,
                    format!("no receiver named `{}`{hint}", r.get_ref()),
                ));
            }
            r.get_ref().clone()
        }
        (None, Some(p)) => p.to_string(),
        (None, None) => return Err(invalid(
            at,
            "the top route needs `receiver = \"…\"`: who hears what no more particular route takes"
                .into(),
        )),
    };
    let severity = table.severity.values();
    for s in &severity {
        if !SEVERITIES.contains(&s.as_str()) {
            return Err(invalid(
                at,
                format!(
                    "unknown severity `{s}` in a route: write one of {}",
                    SEVERITIES.join(", ")
                ),
            ));
        }
    }
    let mut routes = Vec::new();
    for child in table.routes {
        let child_at = child.span().start;
        routes.push(self::route(
            child.into_inner(),
            Some(&receiver),
            child_at,
            receivers,
            invalid,
        )?);
    }
    Ok(Route {
        receiver,
        severity,
        owner: table.owner.values(),
        escalation: table.escalation.values(),
        continue_: table.continue_,
        routes,
    })
}

/// Just enough of an email address's shape to refuse a typo when the project is read (the mail
/// library checks it again when sending).
fn looks_like_address(s: &str) -> bool {
    s.rsplit_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && !domain.is_empty()
            && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
    })
}

impl Store {
    /// Whether two stores overlap: folders one inside the other (or the same) once links and
    /// `..` are resolved, or tables of the same name (unquoted names fold to lower case, and a
    /// name without a schema is `public`'s; two databases are not told apart, since their
    /// connection strings are read only when used).
    pub fn overlaps(&self, other: &Store) -> bool {
        match (self, other) {
            (Store::Folder(a), Store::Folder(b)) => {
                let (a, b) = (super::resolve(a), super::resolve(b));
                a.starts_with(&b) || b.starts_with(&a)
            }
            (Store::Postgres { table: a, .. }, Store::Postgres { table: b, .. }) => {
                let qualified = |t: &str| match t.contains('.') {
                    true => t.to_ascii_lowercase(),
                    false => format!("public.{}", t.to_ascii_lowercase()),
                };
                qualified(a) == qualified(b)
            }
            _ => false,
        }
    }
}

impl Route {
    /// Whether this node's matchers all hold for a notification.
    pub fn matches(&self, severity: &str, owner: Option<&str>, escalation: &str) -> bool {
        let any = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|l| l == v))
        };
        any(&self.severity, Some(severity))
            && any(&self.owner, owner)
            && any(&self.escalation, Some(escalation))
    }

    /// The receivers a notification goes to, in route order, each once.
    pub fn receivers(&self, severity: &str, owner: Option<&str>, escalation: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(severity, owner, escalation, &mut out);
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|r| seen.insert(r.clone()));
        out
    }

    fn walk(&self, severity: &str, owner: Option<&str>, escalation: &str, out: &mut Vec<String>) {
        let mut taken = false;
        for child in &self.routes {
            if child.matches(severity, owner, escalation) {
                child.walk(severity, owner, escalation, out);
                taken = true;
                if !child.continue_ {
                    break;
                }
            }
        }
        if !taken {
            out.push(self.receiver.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(toml: &str) -> Result<crate::Project, ProjectError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::FILE);
        std::fs::write(&path, toml).unwrap();
        crate::Project::read(&path)
    }

    const RECEIVERS: &str = r#"
[notify.receivers.ops]
webhook = { url_env = "OPS" }
[notify.receivers.finance]
webhook = { url_env = "FIN", format = "teams" }
[notify.receivers.cfo]
email = { to = ["cfo@example.com"], from = "sc@example.com", smtp = "mail.example.com" }
"#;

    /// The route tree as Alertmanager walks it: into the first child that matches, on to later
    /// siblings only past a child with `continue`, and the node's own receiver when no child
    /// takes the notification.
    #[test]
    fn routes_are_walked_as_alertmanager_walks_them() {
        let p = project(&format!(
            r#"{RECEIVERS}
[notify.route]
receiver = "ops"

[[notify.route.routes]]
severity = ["high", "critical"]
receiver = "finance"
continue = true

[[notify.route.routes.routes]]
owner = "CFO"
receiver = "cfo"

[[notify.route.routes]]
escalation = "margin_erosion"
receiver = "cfo"

[[notify.route.routes]]
severity = "critical"
receiver = "ops"
"#
        ))
        .unwrap();
        let route = p.notify.unwrap().route;
        // No child matches: the root's receiver.
        assert_eq!(route.receivers("low", Some("FP&A"), "x"), vec!["ops"]);
        // High: finance (its child does not match the owner), and on past `continue`, where no
        // later sibling matches.
        assert_eq!(route.receivers("high", Some("FP&A"), "x"), vec!["finance"]);
        // High for the CFO: the nested child takes it instead of finance.
        assert_eq!(route.receivers("high", Some("CFO"), "x"), vec!["cfo"]);
        // Critical for the CFO on margin_erosion: the nested child, then (continue) the second
        // sibling, which does not continue, so the third is not tried.
        assert_eq!(
            route.receivers("critical", Some("CFO"), "margin_erosion"),
            vec!["cfo"]
        );
        // Critical elsewhere: finance, then past continue the third sibling.
        assert_eq!(
            route.receivers("critical", None, "x"),
            vec!["finance", "ops"]
        );
        // Without `[ledger]`, the folder `ledger` beside scorecard.toml.
        assert!(matches!(&p.ledger, Store::Folder(f) if f.ends_with("ledger")));
    }

    #[test]
    fn mistakes_in_notify_are_named_where_written() {
        let err = |toml: &str| project(toml).unwrap_err().to_string();
        assert!(err(RECEIVERS).contains("needs a route"));
        let e = err(&format!(
            "{RECEIVERS}[notify.route]\nreceiver = \"ops\"\nseverity = \"urgent\"\n"
        ));
        assert!(e.contains("unknown severity `urgent`"), "{e}");
        let e = err("[notify.receivers.x]\nemail = { to = [\"a@b\"], from = \"c@d\", smtp = \"h:x\" }\n[notify.route]\nreceiver = \"x\"\n");
        assert!(
            e.contains("`h:x` is not an SMTP server") && e.contains(":2:"),
            "{e}"
        );
        let e = err("[notify.receivers.x]\nemail = { to = [\"a@b\"], from = \"c@d\", smtp = \"h\", password = \"hunter2\" }\n[notify.route]\nreceiver = \"x\"\n");
        assert!(e.contains("password_env") && !e.contains("hunter2"), "{e}");
        let e = err("[ledger]\npostgres = { url = \"postgresql://u:pw@h/db\", table = \"t\" }\n");
        assert!(e.contains("url_env") && !e.contains("pw@h"), "{e}");
        // One store inside the other, or one table under two spellings.
        let shared = |ledger: &str, state: &str| {
            err(&format!("[ledger]\n{ledger}\n[notify]\nstate = {{ {state} }}\n[notify.receivers.x]\nwebhook = {{ url_env = \"X\" }}\n[notify.route]\nreceiver = \"x\"\n"))
        };
        assert!(shared("path = \"ledger\"", "path = \"ledger/state\"")
            .contains("neither inside the other"));
        assert!(shared("path = \"a/ledger\"", "path = \"a\"").contains("neither inside the other"));
        assert!(shared(
            "postgres = { url_env = \"A\", table = \"store\" }",
            "postgres = { url_env = \"B\", table = \"PUBLIC.Store\" }"
        )
        .contains("neither inside the other"));
        let e = err("[ledger]\npostgres = { url_env = \"L\", table = \"t; drop table x\" }\n");
        assert!(e.contains("is not a table name"), "{e}");
    }
}
