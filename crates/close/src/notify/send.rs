//! Owns sending one notification to one receiver: a webhook POSTs JSON (the notification itself, or
//! the shape Slack or Microsoft Teams takes) with the notification's id as `Idempotency-Key`; an
//! email goes over SMTP with the id in its `Message-ID`. Secrets are read from the environment
//! here, when needed, and never shown. Every attempt ends within `TIMEOUT`.

use super::Notification;
use scorecard_project::close::{Email, Receiver, Tls, WebhookFormat};
use std::time::Duration;

/// How long one delivery may take before it counts as failed (a receiver that never answers must
/// not hang the run).
const TIMEOUT: Duration = Duration::from_secs(30);

/// The body a webhook receiver would get, or the email's subject and text: for `--dry-run`.
pub fn preview(receiver: &Receiver, n: &Notification) -> String {
    match receiver {
        Receiver::Webhook { format, .. } => body(*format, n),
        Receiver::Email(e) => format!(
            "To: {}\nSubject: {}\n\n{}",
            e.to.join(", "),
            subject(n),
            email_text(n)
        ),
    }
}

/// Why a delivery failed, and whether it may have arrived all the same (the request left and no
/// answer came: a timeout, a connection broken while waiting).
#[derive(Debug)]
pub struct Failed {
    pub why: String,
    pub may_have_arrived: bool,
}

impl From<String> for Failed {
    fn from(why: String) -> Self {
        Failed {
            why,
            may_have_arrived: false,
        }
    }
}

/// Sends `n`; an error says why it did not arrive, or may not have.
pub fn send(receiver: &Receiver, n: &Notification) -> Result<(), Failed> {
    match receiver {
        Receiver::Webhook { url_env, format } => {
            let url = secret(url_env, "the webhook's URL")?;
            webhook(&url, &body(*format, n), &n.id)
        }
        Receiver::Email(e) => within_timeout(e.clone(), n.clone()),
    }
}

/// The email sent on a thread of its own and waited for at most `TIMEOUT` in all: the mail
/// library's limit is per read, and a server that answers a byte at a time would hold the run
/// (and the state store's lock) for ever. Past the limit the message may have gone.
fn within_timeout(e: Email, n: Notification) -> Result<(), Failed> {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(email(&e, &n));
    });
    result
        .recv_timeout(TIMEOUT + Duration::from_secs(1))
        .unwrap_or_else(|_| {
            Err(Failed {
                why: format!(
                    "the SMTP server did not finish within {} seconds: it may have the message, so it is sent again, with the same id, on the next run",
                    TIMEOUT.as_secs()
                ),
                may_have_arrived: true,
            })
        })
}

fn secret(var: &str, what: &str) -> Result<String, String> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("the environment variable `{var}` is not set: set it to {what}"))
}

fn body(format: WebhookFormat, n: &Notification) -> String {
    let value = match format {
        WebhookFormat::Json => serde_json::to_value(n).unwrap_or_default(),
        // Slack reads `<…>` as a link or a mention (`<!channel>`) and `&` as an entity: text from
        // the data is escaped as Slack asks, so that it shows as written.
        WebhookFormat::Slack => serde_json::json!({ "text": slack_escape(&n.text) }),
        WebhookFormat::Teams => {
            let mut facts = vec![
                serde_json::json!({"title": "Severity", "value": n.severity}),
                serde_json::json!({"title": "KPI", "value": n.kpi}),
                serde_json::json!({"title": "Period", "value": n.period}),
                serde_json::json!({"title": "Open since", "value": n.raised}),
            ];
            if let Some(o) = &n.owner {
                facts.push(serde_json::json!({"title": "Owner", "value": o}));
            }
            let segment = super::segment_text(&n.segment);
            if !segment.is_empty() {
                facts.push(serde_json::json!({"title": "Segment", "value": segment}));
            }
            serde_json::json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": title(n), "weight": "Bolder", "wrap": true},
                            {"type": "TextBlock", "text": n.message, "wrap": true},
                            {"type": "FactSet", "facts": facts}
                        ]
                    }
                }]
            })
        }
    };
    value.to_string()
}

/// `&`, `<` and `>` as Slack's message formatting requires them escaped.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn title(n: &Notification) -> String {
    let name = n.label.clone().unwrap_or_else(|| n.escalation.clone());
    format!("{name}: {}", n.event)
}

fn webhook(url: &str, body: &str, id: &str) -> Result<(), Failed> {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        // A redirect would turn the POST into a GET without the notification, and its 200 into a
        // delivery that never happened: a 3xx is a failure, reported with where it points.
        .max_redirects(0)
        .build();
    let agent: ureq::Agent = config.into();
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", id)
        .send(body)
        // The URL is a secret: the error names the host at most.
        .map_err(|e| match e {
            ureq::Error::Timeout(_) => Failed {
                why: format!(
                    "the webhook did not answer within {} seconds: it may have received it, so it is sent again, with the same id, on the next run",
                    TIMEOUT.as_secs()
                ),
                may_have_arrived: true,
            },
            // Refused, or no route: nothing left this machine.
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::HostUnreachable
                        | std::io::ErrorKind::NetworkUnreachable
                        | std::io::ErrorKind::AddrNotAvailable
                ) =>
            {
                Failed::from(format!("the webhook could not be reached: {io}"))
            }
            ureq::Error::Io(_) => Failed {
                why: format!(
                    "the connection to the webhook broke: {}",
                    redact(&e.to_string(), url)
                ),
                may_have_arrived: true,
            },
            e => Failed::from(format!(
                "the webhook could not be reached: {}",
                redact(&e.to_string(), url)
            )),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    if status.is_redirection() {
        return Err(Failed::from(format!(
            "the webhook answered {status}, a redirect, which is not followed (it would not carry the notification): set the webhook's variable to the URL it points to"
        )));
    }
    let mut said = response.into_body().read_to_string().unwrap_or_default();
    said.truncate(200);
    Err(Failed::from(format!(
        "the webhook answered {status}{}",
        if said.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", said.trim())
        }
    )))
}

/// `text` with the secret `url` (and its path, which is where a chat webhook keeps its token)
/// taken out.
fn redact(text: &str, url: &str) -> String {
    let mut out = text.replace(url, "(the webhook URL)");
    if let Some((_, rest)) = url.split_once("://") {
        if let Some((_, path)) = rest.split_once('/') {
            if !path.is_empty() {
                out = out.replace(path, "…");
            }
        }
    }
    out
}

fn subject(n: &Notification) -> String {
    let segment = super::segment_text(&n.segment);
    let place = match segment.is_empty() {
        true => n.period.clone(),
        false => format!("{segment}, {}", n.period),
    };
    format!(
        "[scorecard] {}: {} ({place})",
        n.severity.to_uppercase(),
        title(n)
    )
}

fn email_text(n: &Notification) -> String {
    let mut text = format!("{}\n\n", n.text);
    text.push_str(&format!("Escalation: {}\n", n.escalation));
    text.push_str(&format!("Severity:   {}\n", n.severity));
    text.push_str(&format!("KPI:        {}\n", n.kpi));
    text.push_str(&format!("Period:     {}\n", n.period));
    let segment = super::segment_text(&n.segment);
    if !segment.is_empty() {
        text.push_str(&format!("Segment:    {segment}\n"));
    }
    text.push_str(&format!("Open since: {}\n", n.raised));
    if let Some(o) = &n.owner {
        text.push_str(&format!("Owner:      {o}\n"));
    }
    text.push_str(&format!("Scorecard:  {}\n", n.scorecard));
    text.push_str(&format!("Id:         {}\n", n.id));
    text
}

fn email(e: &Email, n: &Notification) -> Result<(), Failed> {
    use lettre::message::header::ContentType;
    use lettre::{Message, SmtpTransport, Transport};
    let mut message = Message::builder()
        .from(
            e.from
                .parse()
                .map_err(|err| format!("`{}`: {err}", e.from))?,
        )
        .subject(subject(n))
        .message_id(Some(format!("<{}@scorecard>", n.id)))
        .header(ContentType::TEXT_PLAIN);
    for to in &e.to {
        message = message.to(to.parse().map_err(|err| format!("`{to}`: {err}"))?);
    }
    let message = message
        .body(email_text(n))
        .map_err(|err| format!("the email could not be written: {err}"))?;
    let builder = match e.tls {
        Tls::None => SmtpTransport::builder_dangerous(&e.host),
        Tls::StartTls => SmtpTransport::starttls_relay(&e.host)
            .map_err(|err| format!("SMTP server `{}`: {err}", e.host))?,
        Tls::Tls => SmtpTransport::relay(&e.host)
            .map_err(|err| format!("SMTP server `{}`: {err}", e.host))?,
    };
    let mut builder = builder.port(e.port).timeout(Some(TIMEOUT));
    if let (Some(user), Some(pass)) = (&e.username_env, &e.password_env) {
        let credentials = lettre::transport::smtp::authentication::Credentials::new(
            secret(user, "the SMTP user name")?,
            secret(pass, "the SMTP password")?,
        );
        builder = builder.credentials(credentials);
    }
    builder
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|err| {
            // A refusal the server answered, or a mistake before anything was sent, is a failure;
            // a connection that broke or went quiet may have carried the message first.
            let answered = err.is_transient() || err.is_permanent() || err.is_client();
            let refused = std::error::Error::source(&err).is_some_and(|s| {
                s.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
            });
            Failed {
                may_have_arrived: !answered && !refused,
                why: match err.is_timeout() || !answered && !refused {
                    true => format!(
                        "SMTP server {}:{}: the connection broke or went quiet ({err}): it may have the message, so it is sent again, with the same id, on the next run",
                        e.host, e.port
                    ),
                    false => format!("SMTP server {}:{}: {err}", e.host, e.port),
                },
            }
        })
}
