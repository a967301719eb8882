//! Against the real servers `scripts/test` starts: Dovecot (IMAP) and aiosmtpd (SMTP).
//! Each test has its own IMAP user and its own recipient addresses.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use async_imap::Client;
use mobmatch::config::{ImapAccount, Secret, SmtpServer, TlsMode};
use mobmatch::store::NewOutboxMessage;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::net::TcpStream;

use super::*;

mod tls;

pub(crate) fn environment(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is set by scripts/test, which starts the mail servers"))
}

pub(crate) fn imap_port() -> u16 {
    environment("MOBMATCH_TEST_IMAP_PORT").parse().unwrap()
}

/// A fresh Dovecot user, in a passwd-file of its own.
pub(crate) fn new_imap_user() -> String {
    let user = format!("test{:016x}", rand::random::<u64>());
    let users = PathBuf::from(environment("MOBMATCH_TEST_IMAP_USERS"));
    std::fs::write(users.join(&user), format!("{user}:{{PLAIN}}secret::::::\n")).unwrap();
    user
}

fn account(user: &str) -> ImapAccount {
    ImapAccount {
        host: "127.0.0.1".to_owned(),
        port: imap_port(),
        tls: TlsMode::Disabled,
        username: Some(user.to_owned()),
        password: Some(Secret::new("secret")),
        oauth2_token_command: None,
        folder: "INBOX".to_owned(),
        done_folder: "Processed".to_owned(),
    }
}

async fn imap_session(user: &str) -> async_imap::Session<TcpStream> {
    let mut client = Client::new(
        TcpStream::connect(("127.0.0.1", imap_port()))
            .await
            .unwrap(),
    );
    client.read_response().await.unwrap();
    client
        .login(user, "secret")
        .await
        .map_err(|(error, _)| error)
        .unwrap()
}

/// One fetch of the test user's INBOX, with the report of each message.
async fn fetch_reports(
    store: &Store,
    mailbox: &ImapAccount,
) -> Result<Vec<IngestReport>, mobmatch::mail::FetchError> {
    let mut reports = Vec::new();
    mobmatch::mail::fetch_imap(
        store,
        &rules(),
        mailbox,
        None,
        &mobmatch::stop::StopSignal::never(),
        |report| reports.push(report),
    )
    .await?;
    Ok(reports)
}

pub(crate) async fn message_count(user: &str, folder: &str) -> u32 {
    let mut session = imap_session(user).await;
    let count = match session.select(folder).await {
        Ok(mailbox) => mailbox.exists,
        Err(_) => 0,
    };
    session.logout().await.unwrap();
    count
}

pub(crate) async fn deliver_to_imap(user: &str, messages: &[Vec<u8>]) {
    let mut session = imap_session(user).await;
    for message in messages {
        session.append("INBOX", None, None, message).await.unwrap();
    }
    session.logout().await.unwrap();
}

fn three_messages(user: &str) -> Vec<Vec<u8>> {
    (0..3)
        .map(|index| {
            submission_email(
                &format!("{user}-{index}@school.example"),
                &format!("{user}{index}@school.example"),
                &format!("School {index}"),
            )
        })
        .collect()
}

#[tokio::test]
async fn fetch_ingests_unseen_imap_mail_and_moves_it_after_the_commit() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let user = new_imap_user();
    deliver_to_imap(&user, &three_messages(&user)).await;
    let reports = fetch_reports(&store, &account(&user)).await.unwrap();
    assert_eq!(reports.len(), 3);
    assert!(
        reports
            .iter()
            .all(|report| report.outcome == Outcome::Accepted),
        "{reports:?}"
    );
    assert_eq!(message_count(&user, "INBOX").await, 0);
    assert_eq!(message_count(&user, "Processed").await, 3);
    let again = fetch_reports(&store, &account(&user)).await.unwrap();
    assert!(again.is_empty());
}

/// Two fetches of one folder at once into one PostgreSQL database, as two replicas
/// without the daemon's job lock would run them: each message is stored once, and
/// moving a message the other fetch moved already is no error. (Dovecot may then keep
/// a second copy in the done folder; the daemon's job lock and `fetch`'s keep two
/// fetches from running at once.)
#[tokio::test]
async fn two_fetches_of_one_imap_folder_at_once_store_each_message_once() {
    let database = TestDatabase::postgres().await;
    let (first_store, second_store) = (database.connect().await, database.connect().await);
    let user = new_imap_user();
    let messages: Vec<Vec<u8>> = (0..40)
        .map(|index| {
            submission_email(
                &format!("{user}-{index}@school.example"),
                &format!("{user}{index}@school.example"),
                &format!("School {index}"),
            )
        })
        .collect();
    deliver_to_imap(&user, &messages).await;
    let mailbox = account(&user);
    let (first, second) = tokio::join!(
        fetch_reports(&first_store, &mailbox),
        fetch_reports(&second_store, &mailbox)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let accepted = first
        .iter()
        .chain(&second)
        .filter(|report| report.outcome == Outcome::Accepted)
        .count();
    assert_eq!(accepted, messages.len(), "{first:?}\n{second:?}");
    assert!(
        first
            .iter()
            .chain(&second)
            .all(|report| matches!(report.outcome, Outcome::Accepted | Outcome::Duplicate)),
        "{first:?}\n{second:?}"
    );
    assert_eq!(message_count(&user, "INBOX").await, 0);
    assert!(message_count(&user, "Processed").await as usize >= messages.len());
    let stored = first_store
        .submissions(&mobmatch::store::SubmissionFilter::default())
        .await
        .unwrap();
    assert_eq!(stored.len(), messages.len());
}

/// The run is killed while its first transaction waits for a table lock the test holds,
/// that is after the fetch and before any commit; the next run ingests everything once.
#[tokio::test]
async fn a_fetch_killed_between_fetch_and_commit_loses_nothing() {
    let database = TestDatabase::postgres().await;
    let store = database.connect().await;
    let user = new_imap_user();
    deliver_to_imap(&user, &three_messages(&user)).await;

    let mut blocker = PgConnection::connect(database.url()).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE inbound_messages IN ACCESS EXCLUSIVE MODE;")
        .execute(&mut blocker)
        .await
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mobmatch"))
        .args(["--database-url", database.url(), "fetch", "--json"])
        .current_dir(folder.path())
        .env("RUST_LOG", "mobmatch=info")
        .env("NO_COLOR", "1")
        .env("MOBMATCH_MAIL__INBOUND__SOURCE", "imap")
        .env("MOBMATCH_MAIL__INBOUND__HOST", "127.0.0.1")
        .env("MOBMATCH_MAIL__INBOUND__PORT", imap_port().to_string())
        .env("MOBMATCH_MAIL__INBOUND__TLS", "none")
        .env("MOBMATCH_MAIL__INBOUND__USERNAME", &user)
        .env("MOBMATCH_MAIL__INBOUND__PASSWORD", "secret")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let fetched = line.contains("fetched messages from IMAP");
        log.push(line);
        if fetched {
            break;
        }
    }
    assert!(
        log.last().is_some_and(|line| line.contains("fetched")),
        "{log:?}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut blocker)
        .await
        .unwrap();
    blocker.close().await.unwrap();

    assert!(store.inbound_messages(10).await.unwrap().is_empty());
    assert_eq!(message_count(&user, "INBOX").await, 3);
    let reports = fetch_reports(&store, &account(&user)).await.unwrap();
    assert_eq!(
        reports
            .iter()
            .filter(|report| report.outcome == Outcome::Accepted)
            .count(),
        3
    );
    assert_eq!(store.inbound_messages(10).await.unwrap().len(), 3);
    assert_eq!(message_count(&user, "INBOX").await, 0);
}

pub(crate) fn smtp_transport() -> Transport {
    let server = SmtpServer {
        host: "127.0.0.1".to_owned(),
        port: environment("MOBMATCH_TEST_SMTP_PORT").parse().unwrap(),
        tls: TlsMode::StartTls,
        username: Some("test".to_owned()),
        password: Some(Secret::new("secret")),
        oauth2_token_command: None,
    };
    let ca = PathBuf::from(environment("MOBMATCH_TEST_CA_FILE"));
    Transport::from_settings(&OutboundTransport::Smtp(server), Some(&ca)).unwrap()
}

async fn queue(store: &Store, recipient: &str) {
    let mut transaction = store.begin().await.unwrap();
    transaction
        .enqueue_outbox(&NewOutboxMessage {
            message_id: format!("<test.{recipient}>"),
            recipients: vec![EmailAddress::parse(recipient).unwrap()],
            subject: "Received: S-1".to_owned(),
            body_text: "Thank you.\n".to_owned(),
            body_html: Some("<p>Thank you.</p>".to_owned()),
            headers: vec![("Auto-Submitted".to_owned(), "auto-replied".to_owned())],
            created_at: now(),
        })
        .await
        .unwrap();
    transaction.commit().await.unwrap();
}

pub(crate) fn delivered_to(recipient: &str) -> usize {
    let maildir = PathBuf::from(environment("MOBMATCH_TEST_SMTP_MAILDIR"));
    ["new", "cur"]
        .iter()
        .filter_map(|folder| std::fs::read_dir(maildir.join(folder)).ok())
        .flatten()
        .filter(|entry| {
            std::fs::read_to_string(entry.as_ref().unwrap().path())
                .is_ok_and(|text| text.contains(&format!("To: {recipient}")))
        })
        .count()
}

on_both_backends!(smtp_delivers_with_starttls_and_auth, |database| {
    let store = database.connect().await;
    let recipient = format!("anna{:x}@school.example", rand::random::<u64>());
    queue(&store, &recipient).await;
    let report = send(&store, &smtp_transport(), now()).await;
    assert_eq!(
        report.sent,
        1,
        "{report:?} {:?}",
        store.outbox(None).await.unwrap()
    );
    assert_eq!(delivered_to(&recipient), 1);
    let sent = &store.outbox(Some(OutboxStatus::Sent)).await.unwrap()[0];
    assert!(sent.last_answer.as_deref().unwrap().starts_with("250"));
});

#[tokio::test]
async fn smtp_retries_a_temporary_refusal_later_and_then_delivers() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let recipient = format!("tempfail{:x}@school.example", rand::random::<u64>());
    queue(&store, &recipient).await;
    let first = send(&store, &smtp_transport(), now()).await;
    assert_eq!(first.retrying, 1, "{:?}", store.outbox(None).await.unwrap());
    let queued = &store.outbox(Some(OutboxStatus::Queued)).await.unwrap()[0];
    assert!(queued.last_answer.as_deref().unwrap().contains("451"));
    assert_eq!(queued.next_attempt_at, now() + chrono::Duration::minutes(1));
    assert_eq!(
        send(&store, &smtp_transport(), now()).await.sent,
        0,
        "not due yet"
    );
    let later = send(
        &store,
        &smtp_transport(),
        now() + chrono::Duration::minutes(1),
    )
    .await;
    assert_eq!(later.sent, 1);
    assert_eq!(delivered_to(&recipient), 1);
}

#[tokio::test]
async fn smtp_records_a_permanent_refusal_as_failed_with_the_answer() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let recipient = format!("reject{:x}@school.example", rand::random::<u64>());
    queue(&store, &recipient).await;
    let report = send(&store, &smtp_transport(), now()).await;
    assert_eq!(report.failed, 1);
    let failed = &store.outbox(Some(OutboxStatus::Failed)).await.unwrap()[0];
    assert!(
        failed.last_answer.as_deref().unwrap().contains("550"),
        "{:?}",
        failed.last_answer
    );
    assert_eq!(
        send(&store, &smtp_transport(), now() + chrono::Duration::days(1)).await,
        Default::default()
    );
}
