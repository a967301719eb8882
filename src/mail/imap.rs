//! Fetching from an IMAP mailbox with async-imap: TLS from the first byte, STARTTLS, or
//! none (loopback only); LOGIN with a password or XOAUTH2 with a token printed by
//! `oauth2_token_command` (Microsoft 365, Gmail). Unseen messages are read without
//! marking them (`BODY.PEEK[]`) and moved to `done_folder` only after their database
//! commit, so a run that dies in between leaves them to the next run, which finds
//! them recorded or records them.

use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use async_imap::{Authenticator, Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::config::{ImapAccount, TlsMode};
use crate::mail::oauth2::run_token_command;
use crate::mail::tls::explain_tls_failure;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot reach the IMAP server {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error(
        "the IMAP server {host} refused to log in {username} (it answered: {reason}); check mail.inbound.username and mail.inbound.password"
    )]
    Login {
        host: String,
        username: String,
        reason: String,
    },
    #[error(
        "the IMAP server {host} refused the OAuth2 token for {username} (it answered: {reason}); check that mail.inbound.oauth2_token_command prints a current access token of this account, with the IMAP scope"
    )]
    TokenRejected {
        host: String,
        username: String,
        reason: String,
    },
    #[error("cannot make a TLS connection to the IMAP server {host}:{port}: {explanation}")]
    Tls {
        host: String,
        port: u16,
        explanation: String,
    },
    #[error("the OAuth2 token command failed: {0}")]
    TokenCommand(String),
    #[error("mail.inbound.username is needed to log in to {0}")]
    NoUsername(String),
    #[error("the certificate file {0} cannot be used: {1}")]
    Certificate(String, String),
    #[error("IMAP: {0}")]
    Protocol(#[from] async_imap::error::Error),
}

trait ImapStream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> ImapStream for T {}

/// A logged-in session on the configured folder.
pub struct Mailbox {
    session: Session<Box<dyn ImapStream>>,
    done_folder: String,
}

/// A fetched message, by its UID in the selected folder.
pub struct FetchedMessage {
    pub uid: u32,
    pub bytes: Vec<u8>,
}

impl Mailbox {
    pub async fn open(
        account: &ImapAccount,
        extra_root_certificate: Option<&Path>,
    ) -> Result<Mailbox, ImapError> {
        let tcp = TcpStream::connect((account.host.as_str(), account.port))
            .await
            .map_err(|source| ImapError::Connect {
                host: account.host.clone(),
                port: account.port,
                source,
            })?;
        let stream: Box<dyn ImapStream> = match account.tls {
            TlsMode::Implicit => Box::new(tls_wrap(tcp, account, extra_root_certificate).await?),
            TlsMode::StartTls => {
                let mut client = Client::new(tcp);
                client.read_response().await.map_err(io_protocol)?;
                client.run_command_and_check_ok("STARTTLS", None).await?;
                Box::new(tls_wrap(client.into_inner(), account, extra_root_certificate).await?)
            }
            TlsMode::Disabled => Box::new(tcp),
        };
        let mut client = Client::new(stream);
        if !matches!(account.tls, TlsMode::StartTls) {
            client.read_response().await.map_err(io_protocol)?;
        }
        let username = account
            .username
            .clone()
            .ok_or_else(|| ImapError::NoUsername(account.host.clone()))?;
        let login_error = |reason: String| ImapError::Login {
            host: account.host.clone(),
            username: username.clone(),
            reason,
        };
        let token_error = |reason: String| ImapError::TokenRejected {
            host: account.host.clone(),
            username: username.clone(),
            reason,
        };
        let mut session = match (&account.oauth2_token_command, &account.password) {
            (Some(command), _) => {
                let token = run_token_command(command)
                    .await
                    .map_err(ImapError::TokenCommand)?;
                let authenticator = XOAuth2 {
                    response: xoauth2_response(&username, &token),
                };
                client
                    .authenticate("XOAUTH2", authenticator)
                    .await
                    .map_err(|(error, _)| token_error(server_answer(&error)))?
            }
            (None, password) => client
                .login(
                    &username,
                    password.as_ref().map(|p| p.expose_secret()).unwrap_or(""),
                )
                .await
                .map_err(|(error, _)| login_error(server_answer(&error)))?,
        };
        session.select(&account.folder).await?;
        if !account.done_folder.is_empty() {
            // The folder may exist already; a real problem shows when moving into it.
            let _ = session.create(&account.done_folder).await;
        }
        Ok(Mailbox {
            session,
            done_folder: account.done_folder.clone(),
        })
    }

    /// The UIDs of the unseen messages, oldest first.
    pub async fn unseen(&mut self) -> Result<Vec<u32>, ImapError> {
        let mut uids: Vec<u32> = self
            .session
            .uid_search("UNSEEN")
            .await?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Reads messages without marking them seen. Messages that are gone (another
    /// replica moved them since they were listed) are left out.
    pub async fn fetch(&mut self, uids: &[u32]) -> Result<Vec<FetchedMessage>, ImapError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        let mut fetches = self.session.uid_fetch(&set, "(UID BODY.PEEK[])").await?;
        let mut fetched = Vec::new();
        loop {
            match fetches.try_next().await {
                Ok(Some(fetch)) => {
                    if let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) {
                        fetched.push(FetchedMessage {
                            uid,
                            bytes: body.to_vec(),
                        });
                    }
                }
                Ok(None) => break,
                Err(error) if some_were_expunged(&error) => break,
                Err(error) => return Err(error.into()),
            }
        }
        Ok(fetched)
    }

    /// Moves a committed message to the done folder, or marks it seen when there is none.
    pub async fn finish(&mut self, uid: u32) -> Result<(), ImapError> {
        if self.done_folder.is_empty() {
            let _: Vec<_> = self
                .session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect()
                .await?;
        } else {
            match self
                .session
                .uid_mv(uid.to_string(), &self.done_folder)
                .await
            {
                // Another replica stored and moved it first.
                Err(error) if some_were_expunged(&error) => {}
                moved => moved?,
            }
        }
        Ok(())
    }

    pub async fn close(mut self) -> Result<(), ImapError> {
        self.session.logout().await?;
        Ok(())
    }
}

/// Whether the server answered that messages asked for no longer exist (RFC 2180's
/// `EXPUNGEISSUED`): another client removed them after they were listed.
fn some_were_expunged(error: &async_imap::error::Error) -> bool {
    matches!(error, async_imap::error::Error::No(text) if text.contains("EXPUNGEISSUED"))
}

/// The SASL XOAUTH2 initial response (before base64, which async-imap adds).
pub fn xoauth2_response(username: &str, token: &str) -> String {
    format!("user={username}\x01auth=Bearer {token}\x01\x01")
}

struct XOAuth2 {
    response: String,
}

impl Authenticator for XOAuth2 {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        // After a failure the server sends a JSON challenge that wants an empty answer.
        std::mem::take(&mut self.response)
    }
}

async fn tls_wrap<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    account: &ImapAccount,
    extra_root_certificate: Option<&Path>,
) -> Result<tokio_rustls::client::TlsStream<S>, ImapError> {
    let host = account.host.as_str();
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_root_certificate {
        let certificate_error =
            |reason: String| ImapError::Certificate(path.display().to_string(), reason);
        for certificate in CertificateDer::pem_file_iter(path)
            .map_err(|error| certificate_error(error.to_string()))?
        {
            let certificate = certificate.map_err(|error| certificate_error(error.to_string()))?;
            roots
                .add(certificate)
                .map_err(|error| certificate_error(error.to_string()))?;
        }
    }
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = ServerName::try_from(host.to_owned())
        .map_err(|error| ImapError::Certificate(host.to_owned(), error.to_string()))?;
    TlsConnector::from(Arc::new(config))
        .connect(server_name, stream)
        .await
        .map_err(|error| match explain_tls_failure(host, &error) {
            Some(explanation) => ImapError::Tls {
                host: host.to_owned(),
                port: account.port,
                explanation,
            },
            None => io_protocol(error),
        })
}

/// The server's own words in a NO or BAD answer, which async-imap formats as
/// `code: …, info: Some("…")`.
fn server_answer(error: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    let (Error::No(text) | Error::Bad(text)) = error else {
        return error.to_string();
    };
    text.split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map(|(info, _)| info.replace("\\\"", "\""))
        .unwrap_or_else(|| error.to_string())
}

fn io_protocol(error: std::io::Error) -> ImapError {
    ImapError::Protocol(async_imap::error::Error::Io(error))
}

fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_reported_in_the_servers_words() {
        let refusal = async_imap::error::Error::No(
            "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")".to_owned(),
        );
        assert_eq!(
            server_answer(&refusal),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        let unexpected = async_imap::error::Error::No("outcome: Cancelled".to_owned());
        assert_eq!(
            server_answer(&unexpected),
            "no response: outcome: Cancelled"
        );
    }

    #[test]
    fn the_xoauth2_response_follows_the_sasl_format() {
        assert_eq!(
            xoauth2_response("anna@example.org", "ya29.token"),
            "user=anna@example.org\x01auth=Bearer ya29.token\x01\x01"
        );
    }
}
