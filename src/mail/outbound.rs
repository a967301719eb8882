//! Delivery of the outbox through lettre: into a folder (one `.eml` per message, named
//! by its Message-ID) or to an SMTP server. Each attempt is recorded at once, so that
//! `send` never sends a message twice itself; a failure is transient (retried with
//! exponential backoff), permanent (marked failed with the server's answer), or
//! uncertain (no answer after the data was sent: retried with the same Message-ID, so
//! that mail clients collapse a duplicate).

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{OutboundTransport, SmtpServer, TlsMode};
use crate::domain::EmailAddress;
use crate::mail::oauth2::run_token_command;
use crate::mail::tls::explain_tls_failure;
use crate::stop::StopSignal;
use crate::store::{
    DeliveryAttempt, DeliveryResult, NewOutboxMessage, OutboxAttachment, OutboxMessage,
    OutboxMessageId, Store, StoreError,
};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("temporary failure, will try again: {0}")]
    Transient(String),
    #[error("refused: {0}")]
    Permanent(String),
    #[error(
        "no answer after the message was handed over; will try again with the same Message-ID: {0}"
    )]
    Uncertain(String),
}

#[derive(Debug, thiserror::Error)]
pub enum TransportSetupError {
    #[error("the certificate file {path} cannot be used: {reason}")]
    Certificate { path: PathBuf, reason: String },
    #[error("the SMTP settings for {host} cannot be used: {reason}")]
    Smtp { host: String, reason: String },
}

/// Counts of one `send` run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryReport {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// After this many attempts a transiently failing message is marked failed.
pub const MAX_ATTEMPTS: u32 = 10;
const FIRST_RETRY_DELAY: Duration = Duration::minutes(1);
const LONGEST_RETRY_DELAY: Duration = Duration::hours(6);
/// lettre's own timeout covers only the connection (lettre #1027), so each whole send is
/// bounded by this.
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(60);
const DUE_BATCH: u32 = 100;
/// How long a deliverer holds the messages it claimed. It sends none of them with less
/// than `SEND_TIMEOUT` of the lease left, so no other deliverer can take a message while
/// it is being sent.
const CLAIM_LEASE: Duration = Duration::minutes(10);

pub enum Transport {
    Folder(PathBuf),
    Smtp {
        /// The server and TLS settings; the transport is built from them for each
        /// delivery run, signed in as `login` says.
        builder: Box<AsyncSmtpTransportBuilder>,
        host: String,
        login: SmtpLogin,
    },
}

pub enum SmtpLogin {
    None,
    Password(Credentials),
    /// XOAUTH2 with a token the command prints, asked for at the start of each run.
    OAuth2 {
        username: String,
        token_command: String,
    },
}

/// A transport ready to deliver one run's messages.
enum Delivery<'t> {
    Folder(&'t Path),
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        host: &'t str,
    },
}

impl Transport {
    /// The configured transport. `extra_root_certificate` is a PEM file of a private
    /// certificate authority to trust besides the public ones.
    pub fn from_settings(
        settings: &OutboundTransport,
        extra_root_certificate: Option<&Path>,
    ) -> Result<Transport, TransportSetupError> {
        match settings {
            OutboundTransport::File { dir } => Ok(Transport::Folder(dir.clone())),
            OutboundTransport::Smtp(server) => Ok(Transport::Smtp {
                builder: Box::new(smtp_builder(server, extra_root_certificate)?),
                host: server.host.clone(),
                login: smtp_login(server)?,
            }),
        }
    }

    /// Ready to deliver: for XOAUTH2 with a token the command printed just now. A
    /// command that fails is a transient failure of every message of the run, whose
    /// answer names the setting.
    async fn open(&self) -> Result<Delivery<'_>, DeliveryError> {
        let (builder, host, login) = match self {
            Transport::Folder(dir) => return Ok(Delivery::Folder(dir)),
            Transport::Smtp {
                builder,
                host,
                login,
            } => (builder, host, login),
        };
        let builder = match login {
            SmtpLogin::None => (**builder).clone(),
            SmtpLogin::Password(credentials) => {
                (**builder).clone().credentials(credentials.clone())
            }
            SmtpLogin::OAuth2 {
                username,
                token_command,
            } => {
                let token = run_token_command(token_command).await.map_err(|reason| {
                    DeliveryError::Transient(format!(
                        "the OAuth2 token command failed: {reason}; check mail.outbound.oauth2_token_command"
                    ))
                })?;
                (**builder)
                    .clone()
                    .credentials(Credentials::new(username.clone(), token))
                    .authentication(vec![Mechanism::Xoauth2])
            }
        };
        Ok(Delivery::Smtp {
            transport: builder.build(),
            host,
        })
    }
}

impl Delivery<'_> {
    async fn deliver(&self, message: &Message, message_id: &str) -> Result<String, DeliveryError> {
        match self {
            Delivery::Folder(dir) => write_to_folder(dir, message, message_id)
                .map(|path| format!("written to {}", path.display()))
                .map_err(|error| DeliveryError::Transient(error.to_string())),
            Delivery::Smtp { transport, host } => {
                match tokio::time::timeout(SEND_TIMEOUT, transport.send(message.clone())).await {
                    Err(_) => Err(DeliveryError::Uncertain(format!(
                        "no answer within {} seconds",
                        SEND_TIMEOUT.as_secs()
                    ))),
                    Ok(Ok(response)) => Ok(format!(
                        "{} {}",
                        response.code(),
                        response.message().collect::<Vec<_>>().join(" ")
                    )),
                    Ok(Err(error)) => Err(classify_smtp_error(&error, host)),
                }
            }
        }
    }
}

/// Delivers every queued message that is due at `now`, recording each attempt before
/// the next. Messages are claimed `DUE_BATCH` at a time for `CLAIM_LEASE`, so that
/// deliverers sharing the database (replicas, or a `send` beside the daemon) never take
/// the same message; one that dies holding claims leaves them to the others when the
/// lease ends. A stop ends the run after the message being sent, giving back the rest.
pub async fn deliver_outbox(
    store: &Store,
    transport: &Transport,
    our_name: &str,
    our_address: &EmailAddress,
    now: DateTime<Utc>,
    stop: &StopSignal,
    progress: &indicatif::ProgressBar,
) -> Result<DeliveryReport, StoreError> {
    let from = Mailbox::new(
        Some(our_name.to_owned()),
        our_address
            .as_str()
            .parse()
            .expect("an EmailAddress is a valid mailbox address"),
    );
    let from = &from;
    let mut report = DeliveryReport::default();
    // Opened when the first message is due, so that a run with nothing to send does not
    // ask for a token.
    let mut delivery = None;
    while !stop.is_stopping() {
        let claimed_at = std::time::Instant::now();
        let mut transaction = store.begin().await?;
        let claimed = transaction
            .claim_due_outbox(now, now + CLAIM_LEASE, DUE_BATCH)
            .await?;
        transaction.commit().await?;
        if claimed.is_empty() {
            break;
        }
        if delivery.is_none() {
            delivery = Some(transport.open().await);
        }
        let delivery = delivery.as_ref().expect("opened above");
        progress.inc_length(claimed.len() as u64);
        let mut claimed = claimed.into_iter();
        for outbox in claimed.by_ref() {
            let lease_left = CLAIM_LEASE
                .to_std()
                .expect("the lease is positive")
                .saturating_sub(claimed_at.elapsed());
            if stop.is_stopping() || lease_left < SEND_TIMEOUT {
                let mut transaction = store.begin().await?;
                transaction.release_outbox_claims(&[outbox.id]).await?;
                transaction.commit().await?;
                break;
            }
            let attachments = store.outbox_attachments(outbox.id).await?;
            let delivered = match (build_message(&outbox, &attachments, from), delivery) {
                (Ok(message), Ok(delivery)) => {
                    delivery.deliver(&message, &outbox.message.message_id).await
                }
                (Err(error), _) => Err(error),
                (Ok(_), Err(error)) => Err(error.clone()),
            };
            let attempt = attempt_outcome(delivered, outbox.attempts, now);
            match attempt.result {
                DeliveryResult::Sent => report.sent += 1,
                DeliveryResult::RetryAt(_) => report.retrying += 1,
                DeliveryResult::Failed => report.failed += 1,
            }
            let mut transaction = store.begin().await?;
            transaction
                .record_delivery_attempt(outbox.id, &attempt)
                .await?;
            transaction.commit().await?;
            progress.inc(1);
        }
        let unsent: Vec<OutboxMessageId> = claimed.map(|outbox| outbox.id).collect();
        if !unsent.is_empty() {
            let mut transaction = store.begin().await?;
            transaction.release_outbox_claims(&unsent).await?;
            transaction.commit().await?;
        }
    }
    Ok(report)
}

/// What an attempt means for the message: sent, retried after a delay that doubles with
/// each attempt (1 minute up to 6 hours), or failed for good.
pub fn attempt_outcome(
    delivered: Result<String, DeliveryError>,
    attempts_before: u32,
    now: DateTime<Utc>,
) -> DeliveryAttempt {
    let (result, answer) = match delivered {
        Ok(answer) => (DeliveryResult::Sent, answer),
        Err(DeliveryError::Permanent(answer)) => (DeliveryResult::Failed, answer),
        Err(DeliveryError::Transient(answer) | DeliveryError::Uncertain(answer))
            if attempts_before + 1 >= MAX_ATTEMPTS =>
        {
            (DeliveryResult::Failed, answer)
        }
        Err(error @ (DeliveryError::Transient(_) | DeliveryError::Uncertain(_))) => {
            let delay = FIRST_RETRY_DELAY
                .checked_mul(1 << attempts_before.min(20))
                .unwrap_or(LONGEST_RETRY_DELAY)
                .min(LONGEST_RETRY_DELAY);
            (DeliveryResult::RetryAt(now + delay), error.to_string())
        }
    };
    DeliveryAttempt {
        at: now,
        result,
        answer: Some(answer),
    }
}

/// The outbox row as an email: text and HTML alternatives, our From, its deterministic
/// Message-ID and its headers. Images the HTML shows (`cid:`) go beside the HTML in a
/// `multipart/related`; other attachments follow the body in a `multipart/mixed`.
fn build_message(
    outbox: &OutboxMessage,
    attachments: &[OutboxAttachment],
    from: &Mailbox,
) -> Result<Message, DeliveryError> {
    let message = &outbox.message;
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(message.subject.clone())
        .message_id(Some(message.message_id.clone()))
        .date(message.created_at.into());
    for recipient in &message.recipients {
        let address = recipient
            .as_str()
            .parse()
            .map_err(|error| DeliveryError::Permanent(format!("recipient {recipient}: {error}")))?;
        builder = builder.to(Mailbox::new(None, address));
    }
    for (name, value) in &message.headers {
        let name = HeaderName::new_from_ascii(name.clone())
            .map_err(|error| DeliveryError::Permanent(format!("header {name}: {error}")))?;
        builder = builder.raw_header(HeaderValue::new(name, value.clone()));
    }
    let built = if attachments.is_empty() {
        match &message.body_html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                message.body_text.clone(),
                html.clone(),
            )),
            None => builder.body(message.body_text.clone()),
        }
    } else {
        builder.multipart(body_with_attachments(message, attachments)?)
    };
    built.map_err(|error| DeliveryError::Permanent(error.to_string()))
}

fn body_with_attachments(
    message: &NewOutboxMessage,
    attachments: &[OutboxAttachment],
) -> Result<MultiPart, DeliveryError> {
    let text = SinglePart::plain(message.body_text.clone());
    let mut mixed = MultiPart::mixed().build();
    mixed = match &message.body_html {
        Some(html) => {
            let mut related = MultiPart::related().singlepart(SinglePart::html(html.clone()));
            for attachment in attachments.iter().filter(|part| part.content_id.is_some()) {
                related = related.singlepart(attachment_part(attachment)?);
            }
            mixed.multipart(MultiPart::alternative().singlepart(text).multipart(related))
        }
        None => mixed.singlepart(text),
    };
    let shown_by_html = |attachment: &OutboxAttachment| {
        attachment.content_id.is_some() && message.body_html.is_some()
    };
    for attachment in attachments.iter().filter(|part| !shown_by_html(part)) {
        mixed = mixed.singlepart(attachment_part(attachment)?);
    }
    Ok(mixed)
}

fn attachment_part(attachment: &OutboxAttachment) -> Result<SinglePart, DeliveryError> {
    let content_type = ContentType::parse(&attachment.content_type).map_err(|error| {
        DeliveryError::Permanent(format!(
            "attachment {}: content type {:?}: {error}",
            attachment.filename, attachment.content_type
        ))
    })?;
    let builder = match &attachment.content_id {
        Some(content_id) => {
            Attachment::new_inline_with_name(content_id.clone(), attachment.filename.clone())
        }
        None => Attachment::new(attachment.filename.clone()),
    };
    Ok(builder.body(attachment.content.clone(), content_type))
}

fn write_to_folder(dir: &Path, message: &Message, message_id: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name: String = message_id
        .trim_matches(|c| c == '<' || c == '>')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{name}.eml"));
    // Written aside and renamed, so a reader never sees half a message.
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, message.formatted())?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

fn smtp_builder(
    server: &SmtpServer,
    extra_root_certificate: Option<&Path>,
) -> Result<AsyncSmtpTransportBuilder, TransportSetupError> {
    let setup_error = |reason: String| TransportSetupError::Smtp {
        host: server.host.clone(),
        reason,
    };
    let tls_parameters = || -> Result<TlsParameters, TransportSetupError> {
        let mut builder = TlsParameters::builder(server.host.clone());
        if let Some(path) = extra_root_certificate {
            let certificate_error = |reason: String| TransportSetupError::Certificate {
                path: path.to_owned(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|error| certificate_error(error.to_string()))?;
            let certificate = Certificate::from_pem(&pem)
                .map_err(|error| certificate_error(error.to_string()))?;
            builder = builder.add_root_certificate(certificate);
        }
        builder
            .build_rustls()
            .map_err(|error| setup_error(error.to_string()))
    };
    let tls = match server.tls {
        TlsMode::Implicit => Tls::Wrapper(tls_parameters()?),
        TlsMode::StartTls => Tls::Required(tls_parameters()?),
        TlsMode::Disabled => Tls::None,
    };
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.clone())
            .port(server.port)
            .tls(tls)
            .timeout(Some(StdDuration::from_secs(30))),
    )
}

fn smtp_login(server: &SmtpServer) -> Result<SmtpLogin, TransportSetupError> {
    match (&server.oauth2_token_command, &server.username, &server.password) {
        (Some(token_command), Some(username), _) => Ok(SmtpLogin::OAuth2 {
            username: username.clone(),
            token_command: token_command.clone(),
        }),
        (Some(_), None, _) => Err(TransportSetupError::Smtp {
            host: server.host.clone(),
            reason: "mail.outbound.oauth2_token_command needs mail.outbound.username, the account the token belongs to".to_owned(),
        }),
        (None, Some(username), Some(password)) => Ok(SmtpLogin::Password(Credentials::new(
            username.clone(),
            password.expose_secret().to_owned(),
        ))),
        (None, _, _) => Ok(SmtpLogin::None),
    }
}

/// SMTP replies that refuse the sign-in (RFC 4954): credentials invalid, authentication
/// required, or a stronger mechanism required.
const SIGN_IN_REFUSALS: [&str; 3] = ["535", "530", "534"];

/// A TLS failure or a refused sign-in is transient, so that mail waits until the setting
/// is corrected, and its text says which setting that is.
fn classify_smtp_error(error: &lettre::transport::smtp::Error, host: &str) -> DeliveryError {
    let text = error.to_string();
    if let Some(explanation) = explain_tls_failure(host, error) {
        DeliveryError::Transient(format!("cannot make a TLS connection: {explanation}"))
    } else if error
        .status()
        .is_some_and(|code| SIGN_IN_REFUSALS.contains(&code.to_string().as_str()))
    {
        DeliveryError::Transient(format!(
            "{host} refused to sign in ({text}); check mail.outbound.username and mail.outbound.password, or that mail.outbound.oauth2_token_command prints a current access token with the SMTP scope"
        ))
    } else if error.is_permanent() {
        DeliveryError::Permanent(text)
    } else if error.is_timeout() {
        DeliveryError::Uncertain(text)
    } else {
        DeliveryError::Transient(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-02T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn transient_failures_wait_twice_as_long_each_time_up_to_six_hours() {
        let delays: Vec<Duration> = (0..MAX_ATTEMPTS - 1)
            .map(|attempts| {
                match attempt_outcome(Err(DeliveryError::Transient("451".into())), attempts, now())
                    .result
                {
                    DeliveryResult::RetryAt(at) => at - now(),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(delays[0], Duration::minutes(1));
        assert_eq!(delays[1], Duration::minutes(2));
        assert_eq!(delays[5], Duration::minutes(32));
        assert_eq!(
            delays[MAX_ATTEMPTS as usize - 2],
            Duration::hours(4) + Duration::minutes(16)
        );
        assert_eq!(
            attempt_outcome(
                Err(DeliveryError::Transient("451".into())),
                MAX_ATTEMPTS - 1,
                now()
            )
            .result,
            DeliveryResult::Failed
        );
    }

    #[test]
    fn a_refusal_fails_at_once_and_an_uncertain_send_is_retried() {
        let refused = attempt_outcome(
            Err(DeliveryError::Permanent("550 no such user".into())),
            0,
            now(),
        );
        assert_eq!(refused.result, DeliveryResult::Failed);
        assert_eq!(refused.answer.as_deref(), Some("550 no such user"));
        let uncertain = attempt_outcome(Err(DeliveryError::Uncertain("timeout".into())), 0, now());
        assert!(matches!(uncertain.result, DeliveryResult::RetryAt(_)));
        let sent = attempt_outcome(Ok("250 OK".into()), 3, now());
        assert_eq!(sent.result, DeliveryResult::Sent);
    }
}
