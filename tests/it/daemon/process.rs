//! `mobmatch serve` as processes: one daemon per SQLite database, SIGTERM and SIGKILL,
//! and two replicas on one PostgreSQL database, with mail through the real Dovecot and
//! aiosmtpd that `scripts/test` starts.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::NEVER;
use crate::mail::servers::{deliver_to_imap, environment, imap_port, message_count, new_imap_user};
use crate::support::TestDatabase;
use crate::web::http::Client;

/// How long a test waits for the daemons to finish the work it gave them.
const WORK_DEADLINE: Duration = Duration::from_secs(300);

/// `mobmatch` in `folder` with `variables`, and schedules: fetch and deliver every
/// second, the others as `schedules` says or never.
fn mobmatch(folder: &Path, variables: &[(String, String)], schedules: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mobmatch"));
    command
        .current_dir(folder)
        .env("MOBMATCH_SECRET", "daemon process test secret")
        .env("MOBMATCH_WEB__LISTEN", "127.0.0.1:0")
        .kill_on_drop(true);
    for job in mobmatch::daemon::Job::ALL {
        let name = job.name();
        let schedule = schedules
            .iter()
            .find(|(scheduled, _)| *scheduled == name)
            .map(|(_, schedule)| *schedule)
            .unwrap_or(match name {
                "fetch_mail" | "deliver_mail" => "* * * * * *",
                _ => NEVER,
            });
        command.env(
            format!("MOBMATCH_SCHEDULE__{}", name.to_uppercase()),
            schedule,
        );
    }
    for (name, value) in variables {
        command.env(name, value);
    }
    command
}

/// Outbound mail through aiosmtpd (STARTTLS, AUTH), as from `our_address`.
fn smtp_variables(our_address: &str) -> Vec<(String, String)> {
    [
        ("MOBMATCH_MAIL__ADDRESS", our_address.to_owned()),
        ("MOBMATCH_MAIL__OUTBOUND__TRANSPORT", "smtp".to_owned()),
        ("MOBMATCH_MAIL__OUTBOUND__HOST", "127.0.0.1".to_owned()),
        (
            "MOBMATCH_MAIL__OUTBOUND__PORT",
            environment("MOBMATCH_TEST_SMTP_PORT"),
        ),
        ("MOBMATCH_MAIL__OUTBOUND__TLS", "starttls".to_owned()),
        ("MOBMATCH_MAIL__OUTBOUND__USERNAME", "test".to_owned()),
        ("MOBMATCH_MAIL__OUTBOUND__PASSWORD", "secret".to_owned()),
        ("SSL_CERT_FILE", environment("MOBMATCH_TEST_CA_FILE")),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// A running `mobmatch serve`, its log drained in the background (a full pipe would
/// stop it).
struct Serve {
    child: Child,
    address: SocketAddr,
    log: tokio::task::JoinHandle<Vec<String>>,
}

impl Serve {
    /// Starts `serve` with `options` and waits until it listens.
    async fn start(mut command: Command, options: &[&str]) -> Serve {
        let mut child = command
            .arg("serve")
            .args(options)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut before = Vec::new();
        let address = loop {
            let line =
                lines.next_line().await.unwrap().unwrap_or_else(|| {
                    panic!("serve ended before it listened: {}", before.join("\n"))
                });
            if let Some(rest) = line.strip_prefix("Listening on http://") {
                break rest.split_whitespace().next().unwrap().parse().unwrap();
            }
            before.push(line);
        };
        let log = tokio::spawn(async move {
            let mut log = before;
            while let Ok(Some(line)) = lines.next_line().await {
                log.push(line);
            }
            log
        });
        Serve {
            child,
            address,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("the daemon runs")
    }

    async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    /// SIGTERM; the daemon must end with exit code 0 within its grace period.
    async fn terminate(mut self) -> Vec<String> {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .await
            .unwrap();
        assert!(signalled.success());
        let status = tokio::time::timeout(
            mobmatch::daemon::SHUTDOWN_GRACE + Duration::from_secs(10),
            self.child.wait(),
        )
        .await
        .expect("the daemon stops within its grace period")
        .unwrap();
        let log = self.log.await.unwrap();
        assert!(status.success(), "{status:?}\n{}", log.join("\n"));
        log
    }
}

/// Waits for `done` (polled on the database), failing after `WORK_DEADLINE`.
async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < WORK_DEADLINE,
            "{what} did not happen within {WORK_DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The Message-IDs aiosmtpd received with `@domain>`, with how often each came.
fn received_message_ids(domain: &str) -> BTreeMap<String, usize> {
    let maildir = PathBuf::from(environment("MOBMATCH_TEST_SMTP_MAILDIR"));
    let suffix = format!("@{domain}>");
    let mut received = BTreeMap::new();
    for folder in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else {
            continue;
        };
        for entry in entries {
            let Ok(text) = std::fs::read_to_string(entry.unwrap().path()) else {
                continue;
            };
            let message_id = text
                .lines()
                .take_while(|line| !line.is_empty())
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("message-id")
                        .then(|| value.trim().to_owned())
                });
            if let Some(message_id) = message_id.filter(|id| id.ends_with(&suffix)) {
                *received.entry(message_id).or_default() += 1;
            }
        }
    }
    received
}

/// A number from the database, as an operator's SQL would read it.
async fn count(database_url: &str, sql: &str) -> i64 {
    rows::<i64>(database_url, sql).await[0]
}

async fn outbox_message_ids(database_url: &str) -> BTreeSet<String> {
    rows::<String>(database_url, "SELECT message_id FROM outbox")
        .await
        .into_iter()
        .collect()
}

/// The one column of what `sql` selects.
async fn rows<T>(database_url: &str, sql: &str) -> Vec<T>
where
    T: Send
        + Unpin
        + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>,
{
    if database_url.starts_with("sqlite:") {
        let mut connection = SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar(sql)
            .fetch_all(&mut connection)
            .await
            .unwrap()
    } else {
        let mut connection = PgConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar(sql)
            .fetch_all(&mut connection)
            .await
            .unwrap()
    }
}

fn synthetic_maildir(folder: &Path, offers: u32, requests: u32, seed: u64) -> PathBuf {
    let maildir = folder.join("mail/inbox");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
        .current_dir(folder)
        .args([
            "synth",
            "--offers",
            &offers.to_string(),
            "--requests",
            &requests.to_string(),
            "--seed",
            &seed.to_string(),
            "--maildir",
        ])
        .arg(&maildir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    maildir
}

fn files_in(folder: &Path) -> usize {
    std::fs::read_dir(folder).map_or(0, |entries| entries.count())
}

#[tokio::test]
async fn a_sqlite_database_has_one_daemon_which_stops_cleanly_on_sigterm() {
    let folder = tempfile::tempdir().unwrap();
    let variables = [(
        "MOBMATCH_DATABASE_URL".to_owned(),
        format!("sqlite://{}/mobmatch.db", folder.path().display()),
    )];
    let first = Serve::start(mobmatch(folder.path(), &variables, &[]), &[]).await;
    assert_eq!(
        Client::new(first.address).get("/healthz").await.body,
        "ok\n"
    );

    let second = mobmatch(folder.path(), &variables, &[])
        .arg("serve")
        .output()
        .await
        .unwrap();
    let message = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{message}");
    assert!(
        message.contains("another mobmatch serve is running on")
            && message.contains(&format!(":{}", first.pid()))
            && message.contains("several run on PostgreSQL"),
        "{message}"
    );
    let web_only = Serve::start(mobmatch(folder.path(), &variables, &[]), &["--web-only"]).await;
    web_only.terminate().await;

    first.terminate().await;
    let listed = mobmatch(folder.path(), &variables, &[])
        .args(["jobs", "--job", "deliver_mail", "--json"])
        .output()
        .await
        .unwrap();
    let runs: Vec<serde_json::Value> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(
        runs.iter()
            .any(|run| run["trigger"] == "start" && run["outcome"] == "succeeded"),
        "{runs:?}"
    );
    assert!(runs.iter().all(|run| run["job"] == "deliver_mail"));
    // The lock goes with the process: the next daemon starts.
    Serve::start(mobmatch(folder.path(), &variables, &[]), &[])
        .await
        .terminate()
        .await;
}

/// 2,000 emails in the Maildir, answered over SMTP, while the daemon is killed with
/// SIGKILL at random moments (and now and then stopped with SIGTERM) and started again.
#[tokio::test]
async fn serve_killed_at_random_moments_ingests_and_answers_every_message_once() {
    const OFFERS: u32 = 1000;
    const REQUESTS: u32 = 1000;
    const STOPS: usize = 24;
    let seed: u64 = rand::random();
    eprintln!("crash test seed {seed}");
    let mut random = StdRng::seed_from_u64(seed);
    let folder = tempfile::tempdir().unwrap();
    let maildir = synthetic_maildir(folder.path(), OFFERS, REQUESTS, seed);
    let messages = files_in(&maildir.join("new"));
    assert_eq!(messages, (OFFERS + REQUESTS) as usize);
    let domain = format!("crash{seed:016x}.example");
    let database_url = format!("sqlite://{}/mobmatch.db", folder.path().display());
    let mut variables = smtp_variables(&format!("matchmaking@{domain}"));
    variables.push(("MOBMATCH_DATABASE_URL".to_owned(), database_url.clone()));

    let mut kills = 0;
    let mut terminations = 0;
    for stop in 0..STOPS {
        let serve = Serve::start(mobmatch(folder.path(), &variables, &[]), &[]).await;
        tokio::time::sleep(Duration::from_millis(random.random_range(50..2500))).await;
        if stop % 6 == 5 {
            serve.terminate().await;
            terminations += 1;
        } else {
            serve.kill().await;
            kills += 1;
        }
    }
    let before_last_start = count(&database_url, "SELECT COUNT(*) FROM inbound_messages").await;
    let serve = Serve::start(mobmatch(folder.path(), &variables, &[]), &[]).await;
    wait_until("ingesting and answering every message", || async {
        files_in(&maildir.join("new")) == 0
            && count(&database_url, "SELECT COUNT(*) FROM inbound_messages").await
                == messages as i64
            && count(
                &database_url,
                "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'",
            )
            .await
                == 0
    })
    .await;
    serve.terminate().await;

    assert_eq!(files_in(&maildir.join("cur")), messages);
    let accepted = count(
        &database_url,
        "SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'accepted'",
    )
    .await;
    assert_eq!(
        count(
            &database_url,
            "SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'failed'"
        )
        .await,
        0
    );
    assert_eq!(
        count(&database_url, "SELECT COUNT(*) FROM submissions").await,
        accepted,
        "one submission per accepted message"
    );
    assert_eq!(
        count(
            &database_url,
            "SELECT COUNT(DISTINCT reference) FROM inbound_messages WHERE outcome = 'accepted'"
        )
        .await,
        accepted
    );
    let queued = outbox_message_ids(&database_url).await;
    let answerable = count(
        &database_url,
        "SELECT COUNT(*) FROM inbound_messages WHERE outcome IN ('accepted', 'rejected')",
    )
    .await;
    assert!(!queued.is_empty() && queued.len() as i64 <= answerable);
    let received = received_message_ids(&domain);
    let missing: Vec<_> = queued
        .iter()
        .filter(|id| !received.contains_key(*id))
        .collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    let foreign: Vec<_> = received.keys().filter(|id| !queued.contains(*id)).collect();
    assert!(
        foreign.is_empty(),
        "delivered but never queued: {foreign:?}"
    );
    let duplicates: usize = received.values().map(|times| times - 1).sum();
    eprintln!(
        "crash test: {messages} messages, {kills} SIGKILLs and {terminations} SIGTERMs, \
         {before_last_start} ingested before the last start, {accepted} accepted, \
         {} answers delivered, {duplicates} delivered again with the same Message-ID",
        queued.len()
    );
}

/// Two daemons on one PostgreSQL database, fetching one IMAP folder and sending through
/// one SMTP server, with a matching round every two seconds.
#[tokio::test]
async fn two_replicas_on_postgresql_run_each_job_once_per_time() {
    let database = TestDatabase::postgres().await;
    let user = new_imap_user();
    let staging = tempfile::tempdir().unwrap();
    let seed: u64 = rand::random();
    let maildir = synthetic_maildir(staging.path(), 60, 60, seed);
    let emails: Vec<Vec<u8>> = std::fs::read_dir(maildir.join("new"))
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    deliver_to_imap(&user, &emails).await;
    let domain = format!("replicas{seed:016x}.example");
    let mut variables = smtp_variables(&format!("matchmaking@{domain}"));
    variables.extend(
        [
            ("MOBMATCH_DATABASE_URL", database.url().to_owned()),
            ("MOBMATCH_MAIL__INBOUND__SOURCE", "imap".to_owned()),
            ("MOBMATCH_MAIL__INBOUND__HOST", "127.0.0.1".to_owned()),
            ("MOBMATCH_MAIL__INBOUND__PORT", imap_port().to_string()),
            ("MOBMATCH_MAIL__INBOUND__TLS", "none".to_owned()),
            ("MOBMATCH_MAIL__INBOUND__USERNAME", user.clone()),
            ("MOBMATCH_MAIL__INBOUND__PASSWORD", "secret".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value)),
    );
    let schedules = [("matching_round", "*/2 * * * * *")];
    let folders = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let first = Serve::start(mobmatch(folders[0].path(), &variables, &schedules), &[]).await;
    let second = Serve::start(mobmatch(folders[1].path(), &variables, &schedules), &[]).await;
    let url = database.url();
    wait_until("fetching, matching and delivering everything", || async {
        count(url, "SELECT COUNT(*) FROM inbound_messages").await == emails.len() as i64
            && count(url, "SELECT COUNT(*) FROM introductions").await > 0
            && count(url, "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").await == 0
            && count(
                url,
                "SELECT COUNT(*) FROM job_runs WHERE job = 'matching_round' AND outcome = 'succeeded'",
            )
            .await
                >= 5
    })
    .await;
    first.terminate().await;
    second.terminate().await;

    assert_eq!(message_count(&user, "INBOX").await, 0);
    assert_eq!(
        message_count(&user, "Processed").await as usize,
        emails.len()
    );
    for job in ["fetch_mail", "deliver_mail", "matching_round"] {
        let slots = count(
            url,
            &format!(
                "SELECT COUNT(DISTINCT slot) FROM job_runs WHERE job = '{job}' AND slot IS NOT NULL"
            ),
        )
        .await;
        let runs = count(
            url,
            &format!("SELECT COUNT(*) FROM job_runs WHERE job = '{job}' AND slot IS NOT NULL"),
        )
        .await;
        assert_eq!(runs, slots, "{job} ran twice for one time");
        let instances = count(
            url,
            &format!("SELECT COUNT(DISTINCT instance) FROM job_runs WHERE job = '{job}'"),
        )
        .await;
        eprintln!("replicas: {job} ran for {slots} times, on {instances} replicas");
    }
    assert_eq!(
        count(url, "SELECT COUNT(*) FROM rounds").await,
        count(
            url,
            "SELECT COUNT(*) FROM job_runs WHERE job = 'matching_round' AND outcome = 'succeeded'"
        )
        .await,
        "one round per run"
    );
    let queued = outbox_message_ids(url).await;
    let received = received_message_ids(&domain);
    assert_eq!(
        received.keys().cloned().collect::<BTreeSet<_>>(),
        queued,
        "every email delivered"
    );
    let twice: Vec<_> = received.iter().filter(|(_, times)| **times > 1).collect();
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
}
