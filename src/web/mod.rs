//! The web server of DESIGN.md section 10, and the only module that knows axum: the
//! public forms (validated by the same `forms/` parser as email), the double opt-in of
//! web submissions, the token pages of a submission, the secretariat's admin, `/healthz`
//! and `/metrics`. Pages are minijinja templates embedded from `templates/web/`.
//!
//! Every answer carries the security headers (`security.rs`); every form carries a CSRF
//! token tied to a cookie; state changes only on POST, because mail scanners open every
//! link they see.

mod admin;
mod batch;
mod error;
mod i18n;
mod introduction;
mod metrics;
mod pages;
mod public;
mod reports;
mod security;
mod unsubscribe;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, MutexGuard, mpsc};

pub use admin::{AdminPasswordError, hash_admin_password};
pub use error::WebError;

use chrono_tz::Tz;

use crate::config::{Config, MatchingSettings, RateDefinition, RetentionSettings, TargetSettings};
use crate::introductions::IntroductionSettings;
use crate::mail::MailRules;
use crate::store::{Backend, Store, StoreError};
use metrics::Metrics;
use security::{RateLimiter, Signer};

/// A web submission that is not confirmed within this many days expires.
pub const UNCONFIRMED_DAYS: i64 = 7;

/// Login attempts accepted from one client address per minute.
const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 5;

/// The largest form body accepted (the population upload has its own limit).
const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Where "now" comes from: the system clock in production, a fixed or stepped one in
/// tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// The web application, built from the configuration; `serve` runs it.
#[derive(Clone)]
pub struct WebApp {
    state: SharedState,
}

type SharedState = Arc<AppState>;

struct AppState {
    store: Store,
    rules: MailRules,
    /// Who the privacy line tells people to write to.
    privacy_contact: String,
    moderation: bool,
    matching: MatchingSettings,
    /// For the emails of the introductions a round makes, and the answers to them.
    introductions: IntroductionSettings,
    /// How long messages and contact details are kept, for the privacy line.
    retention: RetentionSettings,
    reports_dir: PathBuf,
    /// The VET mobility rate a regenerated report leads with.
    report_definition: RateDefinition,
    targets: TargetSettings,
    timezone: Tz,
    /// The partnership's target share of mobilities for people with fewer
    /// opportunities, shown on the dashboard.
    fewer_opportunities_target: f64,
    signer: Signer,
    secure_cookies: bool,
    clock: Clock,
    public_posts: RateLimiter,
    login_attempts: RateLimiter,
    metrics: Metrics,
    /// With SQLite, the web's writes take turns here. SQLite lets one writer in at a time
    /// and makes the others sleep and retry, which stretches the slowest answers to a
    /// second under load; a first-come-first-served queue keeps them short.
    sqlite_writes: Option<Mutex<()>>,
    /// Valid web submissions on their way to `batch::write_submissions`.
    submission_queue: mpsc::Sender<batch::PendingSubmission>,
    /// The other end of `submission_queue`, until `serve` starts the writer.
    submission_writer_queue: std::sync::Mutex<Option<mpsc::Receiver<batch::PendingSubmission>>>,
}

impl AppState {
    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Waits for this request's turn to write, with SQLite; hold the guard until the
    /// transaction ends.
    async fn write_turn(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.sqlite_writes {
            Some(turns) => Some(turns.lock().await),
            None => None,
        }
    }
}

impl WebApp {
    pub fn new(store: Store, config: &Config, clock: Clock) -> WebApp {
        let privacy_contact = config.privacy_contact().to_string();
        let store_backend = store.backend();
        let (submission_queue, submission_writer_queue) = mpsc::channel(batch::QUEUE_LENGTH);
        WebApp {
            state: Arc::new(AppState {
                store,
                rules: MailRules::from_config(config),
                privacy_contact,
                moderation: config.moderation,
                matching: config.matching.clone(),
                introductions: IntroductionSettings::from_config(config),
                retention: config.retention.periods,
                fewer_opportunities_target: config.targets.fewer_opportunities_share,
                reports_dir: config.reports.dir.clone(),
                report_definition: config.reports.definition,
                targets: config.targets.clone(),
                timezone: config.timezone,
                signer: Signer::new(config.secret.expose_secret()),
                secure_cookies: config.web.base_url.starts_with("https://"),
                clock,
                public_posts: RateLimiter::new(config.web.public_posts_per_minute),
                login_attempts: RateLimiter::new(LOGIN_ATTEMPTS_PER_MINUTE),
                metrics: Metrics::default(),
                sqlite_writes: (store_backend == Backend::Sqlite).then(|| Mutex::new(())),
                submission_queue,
                submission_writer_queue: std::sync::Mutex::new(Some(submission_writer_queue)),
            }),
        }
    }

    /// Answers requests on `listener` until `shutdown` completes, then finishes the
    /// requests in flight.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let queue = self
            .state
            .submission_writer_queue
            .lock()
            .expect("no thread panics holding the lock")
            .take()
            .expect("a WebApp is served once");
        let writer = tokio::spawn(batch::write_submissions(self.state.clone(), queue));
        let served = axum::serve(
            listener,
            self.router()
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        // The requests in flight have had their answers: nothing waits in the queue.
        writer.abort();
        served
    }

    fn router(&self) -> Router {
        let state = self.state.clone();
        Router::new()
            .merge(public::routes())
            .merge(introduction::routes())
            .merge(unsubscribe::routes())
            .merge(admin::routes())
            .merge(reports::routes())
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics_text))
            .route("/static/style.css", get(stylesheet))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                pages::render_error_pages,
            ))
            .layer(axum::middleware::from_fn(security::security_headers))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                metrics::record_request,
            ))
            .with_state(state)
    }
}

/// Marks `expired` the web submissions left unconfirmed for `UNCONFIRMED_DAYS`; returns
/// how many.
pub async fn expire_unconfirmed(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut transaction = store.begin().await?;
    let expired = transaction
        .expire_unconfirmed_submissions(now - Duration::days(UNCONFIRMED_DAYS), now)
        .await?;
    transaction.commit().await?;
    Ok(expired)
}

async fn healthz(State(state): State<SharedState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

async fn metrics_text(State(state): State<SharedState>) -> Result<Response, WebError> {
    let counts = state.store.record_counts().await?;
    let mut response = state.metrics.render(&counts).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

async fn stylesheet() -> Response {
    let mut response = pages::STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

async fn not_found(visitor: pages::Visitor) -> WebError {
    WebError::NotFound(visitor.language)
}
