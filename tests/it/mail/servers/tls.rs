//! IMAP and SMTP over TLS against the servers `scripts/test` starts: the second Dovecot,
//! which allows nothing without TLS (implicit TLS on `MOBMATCH_TEST_IMAP_IMPLICIT_TLS_PORT`,
//! STARTTLS on `MOBMATCH_TEST_IMAP_STARTTLS_PORT`) and checks XOAUTH2 tokens with the
//! introspection server (a token is valid while `MOBMATCH_TEST_OAUTH2_TOKENS/<token>`
//! holds its user), and aiosmtpd's implicit-TLS port
//! (`MOBMATCH_TEST_SMTP_IMPLICIT_TLS_PORT`). Certificates come from the test authority in
//! `MOBMATCH_TEST_CA_FILE`.

use std::sync::Arc;

use mobmatch::mail::{FetchError, ImapError};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::*;

fn test_authority() -> PathBuf {
    PathBuf::from(environment("MOBMATCH_TEST_CA_FILE"))
}

fn implicit_tls_port() -> u16 {
    environment("MOBMATCH_TEST_IMAP_IMPLICIT_TLS_PORT")
        .parse()
        .unwrap()
}

fn starttls_port() -> u16 {
    environment("MOBMATCH_TEST_IMAP_STARTTLS_PORT")
        .parse()
        .unwrap()
}

fn tls_account(user: &str, tls: TlsMode) -> ImapAccount {
    let port = match tls {
        TlsMode::Implicit => implicit_tls_port(),
        TlsMode::StartTls => starttls_port(),
        TlsMode::Disabled => panic!("this Dovecot speaks only TLS"),
    };
    ImapAccount {
        tls,
        port,
        ..account(user)
    }
}

/// A token the introspection server accepts for `user`, valid for this test only.
fn new_oauth2_token(user: &str) -> String {
    let token = format!("token{:032x}", rand::random::<u128>());
    let tokens = PathBuf::from(environment("MOBMATCH_TEST_OAUTH2_TOKENS"));
    std::fs::write(tokens.join(&token), user).unwrap();
    token
}

fn xoauth2_account(user: &str, token: &str) -> ImapAccount {
    ImapAccount {
        password: None,
        oauth2_token_command: Some(format!("echo {token}")),
        ..tls_account(user, TlsMode::Implicit)
    }
}

/// A session as the test's own client, over implicit TLS with a password.
async fn tls_session(user: &str) -> async_imap::Session<TlsStream<TcpStream>> {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(test_authority()).unwrap() {
        roots.add(certificate.unwrap()).unwrap();
    }
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", implicit_tls_port()))
        .await
        .unwrap();
    let stream = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let mut client = Client::new(stream);
    client.read_response().await.unwrap();
    client
        .login(user, "secret")
        .await
        .map_err(|(error, _)| error)
        .unwrap()
}

async fn deliver_over_tls(user: &str, messages: &[Vec<u8>]) {
    let mut session = tls_session(user).await;
    for message in messages {
        session.append("INBOX", None, None, message).await.unwrap();
    }
    session.logout().await.unwrap();
}

async fn message_count_over_tls(user: &str, folder: &str) -> u32 {
    let mut session = tls_session(user).await;
    let count = match session.select(folder).await {
        Ok(mailbox) => mailbox.exists,
        Err(_) => 0,
    };
    session.logout().await.unwrap();
    count
}

async fn fetch(store: &Store, account: &ImapAccount) -> Result<Vec<IngestReport>, FetchError> {
    let mut reports = Vec::new();
    mobmatch::mail::fetch_imap(
        store,
        &rules(),
        account,
        Some(&test_authority()),
        &mobmatch::stop::StopSignal::never(),
        |report| reports.push(report),
    )
    .await?;
    Ok(reports)
}

/// Three messages in, three accepted, and all of them moved after the commit.
async fn assert_fetch_ingests_three_messages(account: &ImapAccount) {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let user = account.username.clone().unwrap();
    deliver_over_tls(&user, &three_messages(&user)).await;
    let reports = fetch(&store, account).await.unwrap();
    assert_eq!(
        reports
            .iter()
            .filter(|report| report.outcome == Outcome::Accepted)
            .count(),
        3,
        "{reports:?}"
    );
    assert_eq!(message_count_over_tls(&user, "INBOX").await, 0);
    assert_eq!(message_count_over_tls(&user, "Processed").await, 3);
}

#[tokio::test]
async fn fetch_reads_imap_over_implicit_tls() {
    let user = new_imap_user();
    assert_fetch_ingests_three_messages(&tls_account(&user, TlsMode::Implicit)).await;
}

#[tokio::test]
async fn fetch_reads_imap_after_starttls() {
    let user = new_imap_user();
    assert_fetch_ingests_three_messages(&tls_account(&user, TlsMode::StartTls)).await;
}

#[tokio::test]
async fn fetch_logs_in_with_the_xoauth2_token_the_command_prints() {
    let user = new_imap_user();
    let token = new_oauth2_token(&user);
    assert_fetch_ingests_three_messages(&xoauth2_account(&user, &token)).await;
}

#[tokio::test]
async fn a_refused_oauth2_token_fails_with_an_error_that_says_what_to_check() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let user = new_imap_user();
    deliver_over_tls(&user, &three_messages(&user)).await;
    let other_user = new_imap_user();
    let tokens = [
        ("unknown", "token-nobody-issued".to_owned()),
        ("someone else's", new_oauth2_token(&other_user)),
    ];
    for (case, token) in tokens {
        let error = fetch(&store, &xoauth2_account(&user, &token))
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, FetchError::Imap(ImapError::TokenRejected { .. })),
            "{case}: {text}"
        );
        assert!(
            text.contains(&format!(
                "refused the OAuth2 token for {user} (it answered: [AUTHENTICATIONFAILED]"
            )) && text.contains("mail.inbound.oauth2_token_command"),
            "{case}: {text}"
        );
    }
    assert!(store.inbound_messages(10).await.unwrap().is_empty());
    assert_eq!(message_count_over_tls(&user, "INBOX").await, 3);
}

#[tokio::test]
async fn a_failing_token_command_is_reported_with_its_output() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let user = new_imap_user();
    let account = ImapAccount {
        oauth2_token_command: Some("echo 'no refresh token; sign in again' >&2; exit 3".to_owned()),
        ..xoauth2_account(&user, "unused")
    };
    let text = fetch(&store, &account).await.unwrap_err().to_string();
    assert!(
        text.contains("the OAuth2 token command failed") && text.contains("sign in again"),
        "{text}"
    );
}

#[tokio::test]
async fn a_server_certificate_from_an_untrusted_authority_fails_with_an_error_that_says_what_to_set()
 {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let user = new_imap_user();
    for tls in [TlsMode::Implicit, TlsMode::StartTls] {
        let account = tls_account(&user, tls);
        let error = mobmatch::mail::fetch_imap(
            &store,
            &rules(),
            &account,
            None,
            &mobmatch::stop::StopSignal::never(),
            |_| {},
        )
        .await
        .unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, FetchError::Imap(ImapError::Tls { .. })),
            "{tls:?}: {text}"
        );
        assert!(
            text.contains(&format!(
                "cannot make a TLS connection to the IMAP server 127.0.0.1:{}",
                account.port
            )) && text.contains("not trusted")
                && text.contains("SSL_CERT_FILE"),
            "{tls:?}: {text}"
        );
    }
}

fn implicit_tls_smtp_transport(extra_root_certificate: Option<&Path>) -> Transport {
    let server = SmtpServer {
        host: "127.0.0.1".to_owned(),
        port: environment("MOBMATCH_TEST_SMTP_IMPLICIT_TLS_PORT")
            .parse()
            .unwrap(),
        tls: TlsMode::Implicit,
        username: Some("test".to_owned()),
        password: Some(Secret::new("secret")),
        oauth2_token_command: None,
    };
    Transport::from_settings(&OutboundTransport::Smtp(server), extra_root_certificate).unwrap()
}

#[tokio::test]
async fn smtp_delivers_with_implicit_tls_and_auth() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let recipient = format!("anna{:x}@school.example", rand::random::<u64>());
    queue(&store, &recipient).await;
    let transport = implicit_tls_smtp_transport(Some(&test_authority()));
    let report = send(&store, &transport, now()).await;
    assert_eq!(
        report.sent,
        1,
        "{report:?} {:?}",
        store.outbox(None).await.unwrap()
    );
    assert_eq!(delivered_to(&recipient), 1);
}

#[tokio::test]
async fn smtp_with_an_untrusted_certificate_keeps_the_message_queued_with_an_answer_that_says_what_to_set()
 {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let recipient = format!("anna{:x}@school.example", rand::random::<u64>());
    queue(&store, &recipient).await;
    let report = send(&store, &implicit_tls_smtp_transport(None), now()).await;
    assert_eq!(report.retrying, 1, "{report:?}");
    let queued = &store.outbox(Some(OutboxStatus::Queued)).await.unwrap()[0];
    let answer = queued.last_answer.as_deref().unwrap();
    assert!(
        answer.contains("cannot make a TLS connection")
            && answer.contains("not trusted")
            && answer.contains("SSL_CERT_FILE"),
        "{answer}"
    );
    assert_eq!(delivered_to(&recipient), 0);
}

/// SMTP signed in with XOAUTH2 on aiosmtpd's XOAUTH2 port (STARTTLS, as port 587 of
/// Microsoft 365 and Gmail), which accepts the introspection server's tokens.
fn xoauth2_smtp_transport(user: &str, token_command: &str) -> Transport {
    let server = SmtpServer {
        host: "127.0.0.1".to_owned(),
        port: environment("MOBMATCH_TEST_SMTP_XOAUTH2_PORT")
            .parse()
            .unwrap(),
        tls: TlsMode::StartTls,
        username: Some(user.to_owned()),
        password: None,
        oauth2_token_command: Some(token_command.to_owned()),
    };
    Transport::from_settings(&OutboundTransport::Smtp(server), Some(&test_authority())).unwrap()
}

#[tokio::test]
async fn smtp_signs_in_with_the_xoauth2_token_the_command_prints() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let recipient = format!("anna{:x}@school.example", rand::random::<u64>());
    queue(&store, &recipient).await;
    let user = "matchmaking@example.org";
    let token = new_oauth2_token(user);
    let transport = xoauth2_smtp_transport(user, &format!("echo {token}"));
    let report = send(&store, &transport, now()).await;
    assert_eq!(
        report.sent,
        1,
        "{report:?} {:?}",
        store.outbox(None).await.unwrap()
    );
    assert_eq!(delivered_to(&recipient), 1);
}

#[tokio::test]
async fn smtp_with_a_refused_token_or_a_failing_token_command_keeps_the_message_queued_saying_what_to_check()
 {
    let user = "matchmaking@example.org";
    let cases = [
        (
            format!("echo {}", new_oauth2_token("someone-else@example.org")),
            "refused to sign in",
        ),
        (
            "echo 'no refresh token; sign in again' >&2; exit 3".to_owned(),
            "sign in again",
        ),
    ];
    for (command, expected) in cases {
        let database = TestDatabase::sqlite();
        let store = database.connect().await;
        let recipient = format!("anna{:x}@school.example", rand::random::<u64>());
        queue(&store, &recipient).await;
        let report = send(&store, &xoauth2_smtp_transport(user, &command), now()).await;
        assert_eq!(report.retrying, 1, "{command}: {report:?}");
        let queued = &store.outbox(Some(OutboxStatus::Queued)).await.unwrap()[0];
        let answer = queued.last_answer.as_deref().unwrap();
        assert!(
            answer.contains(expected) && answer.contains("mail.outbound.oauth2_token_command"),
            "{command}: {answer}"
        );
        assert_eq!(delivered_to(&recipient), 0);
    }
}
