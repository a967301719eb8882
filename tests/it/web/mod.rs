//! The web server, started on a free loopback port with a fresh database and a clock the
//! test moves: HTTP-level tests (`pages.rs`) through a small client of our own
//! (`http.rs`), and browser tests in headless Chromium through WebDriver (`browser.rs`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use mobmatch::config::{Config, OutboundTransport};
use mobmatch::domain::{EmailAddress, SubmissionId};
use mobmatch::mail::token::{self, TokenSubject};
use mobmatch::mail::{MailRules, Transport, deliver_outbox};
use mobmatch::store::Store;
use mobmatch::web::{WebApp, hash_admin_password};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::support::TestDatabase;

mod browser;
pub(crate) mod http;
mod pages;
mod serve;

const SECRET: &str = "web test secret";
pub const ADMIN_PASSWORD: &str = "a long admin password";

/// The first day the tests live on; the forms' dates lie after it.
fn start_of_tests() -> DateTime<Utc> {
    "2026-11-27T10:00:00Z".parse().unwrap()
}

pub struct TestServer {
    pub address: SocketAddr,
    pub store: Store,
    pub config: Config,
    clock: Arc<Mutex<DateTime<Utc>>>,
    shutdown: Option<oneshot::Sender<()>>,
    // Dropped last: the database outlives the server that uses it.
    _database: TestDatabase,
}

impl TestServer {
    pub async fn start(database: TestDatabase) -> TestServer {
        TestServer::start_with(database, &[]).await
    }

    /// Starts the server with `settings` as `MOBMATCH_…` variables over the defaults.
    pub async fn start_with(database: TestDatabase, settings: &[(&str, &str)]) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut variables = vec![
            ("MOBMATCH_SECRET".to_owned(), SECRET.to_owned()),
            (
                "MOBMATCH_WEB__BASE_URL".to_owned(),
                format!("http://{address}"),
            ),
            (
                "MOBMATCH_MAIL__SECRETARIAT".to_owned(),
                "[\"secretariat@earlall.example\"]".to_owned(),
            ),
        ];
        variables.extend(
            settings
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        let config = Config::from_sources(None, variables)
            .unwrap()
            .with_database_url(database.url())
            .unwrap();
        let store = database.connect().await;
        let clock = Arc::new(Mutex::new(start_of_tests()));
        let reading = clock.clone();
        let app = WebApp::new(
            store.clone(),
            &config,
            Arc::new(move || *reading.lock().unwrap()),
        );
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, async {
            let _ = stopped.await;
        }));
        TestServer {
            address,
            store,
            config,
            clock,
            shutdown: Some(shutdown),
            _database: database,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.clock.lock().unwrap()
    }

    pub fn advance(&self, by: Duration) {
        *self.clock.lock().unwrap() += by;
    }

    pub fn client(&self) -> http::Client {
        http::Client::new(self.address)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn submission_token(&self, id: i64) -> String {
        token::sign(TokenSubject::Submission(SubmissionId::new(id)), SECRET)
    }

    pub fn mail_rules(&self) -> MailRules {
        MailRules::from_config(&self.config)
    }

    pub async fn set_admin_password(&self) {
        let hash = hash_admin_password(ADMIN_PASSWORD).unwrap();
        let mut transaction = self.store.begin().await.unwrap();
        transaction
            .set_admin_password_hash(&hash, self.now())
            .await
            .unwrap();
        transaction.commit().await.unwrap();
    }

    /// Delivers the outbox as `.eml` files into `folder`.
    pub async fn deliver_outbox_to(&self, folder: &Path) {
        let transport = Transport::from_settings(
            &OutboundTransport::File {
                dir: folder.to_owned(),
            },
            None,
        )
        .unwrap();
        let report = deliver_outbox(
            &self.store,
            &transport,
            "Mobility Matchmaking",
            &EmailAddress::parse("matchmaking@example.org").unwrap(),
            self.now(),
            &mobmatch::stop::StopSignal::never(),
            &indicatif::ProgressBar::hidden(),
        )
        .await
        .unwrap();
        assert!(report.failed == 0, "{report:?}");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A valid offer as a browser posts it, with `organisation` and `email` to tell
/// submissions apart.
pub fn valid_offer<'a>(organisation: &'a str, email: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("role", "receiving"),
        ("organisation", organisation),
        ("contact_name", "Maria Etxeberria"),
        ("contact_email", email),
        ("region", "ES21"),
        ("mobility_type", "vet_learner"),
        ("fields", "0713"),
        ("fields", "0715"),
        ("participants", "4"),
        ("fewer_opportunities", ""),
        ("inclusion_support", "yes"),
        ("earliest_start", "2027-03-01"),
        ("latest_end", "2027-06-30"),
        ("duration", "10-30"),
        ("languages", "en"),
        ("languages", "es"),
        ("partner_countries", "SE"),
        ("notes", "Workshops in English"),
    ]
}

/// A request from Västsverige that matches `valid_offer`, stored as `open`.
pub async fn open_matching_request(server: &TestServer) -> SubmissionId {
    let pairs = [
        ("role", "sending"),
        ("organisation", "Västra Götalandsregionen"),
        ("contact_name", "Anna Berg"),
        ("contact_email", "anna@vgregion.example"),
        ("region", "SE23"),
        ("mobility_type", "vet_learner"),
        ("fields", "0713"),
        ("participants", "3"),
        ("fewer_opportunities", "1"),
        ("earliest_start", "2027-04-01"),
        ("latest_end", "2027-05-31"),
        ("duration", "10-14"),
        ("languages", "en"),
    ];
    let details = mobmatch::forms::parse_submission(
        &mobmatch::forms::FieldSet::from_pairs(pairs),
        &mobmatch::forms::SubmissionContext {
            today: server.now().date_naive(),
            sender: None,
        },
    )
    .unwrap();
    let mut transaction = server.store.begin().await.unwrap();
    let id = transaction
        .insert_submission(
            &details,
            mobmatch::domain::SubmissionStatus::Open,
            mobmatch::domain::Source::Email,
            server.now(),
        )
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    id
}
