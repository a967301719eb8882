//! Storage: the only module that knows sqlx. SQLite and PostgreSQL are equal citizens:
//! every query is one SQL text with `$1` placeholders, run on whichever backend the
//! database URL names, and each backend has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`). Rows are turned into domain values by the domain's parsers.
//!
//! Reads go through [`Store`]; writes go through a transaction, [`Tx`], so that an
//! inbound message, what it creates and the mail it causes are written together or not
//! at all. Times are always passed in by the caller, never taken from the database.
//! PostgreSQL keeps times to the microsecond, SQLite to the nanosecond.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use tokio::sync::Notify;

/// Expands `$body` once per backend with `$executor` bound to that backend's pool or
/// transaction, so one query-building body serves both: sqlx infers the database from
/// the executor.
macro_rules! on_backend {
    ($kind:ident, $value:expr, |$executor:ident| $body:expr) => {
        match $value {
            $kind::Sqlite($executor) => $body,
            $kind::Postgres($executor) => $body,
        }
    };
}

mod attachments;
mod bulk;
mod copy;
mod error;
mod introductions;
mod jobs;
mod outreach;
mod privacy;
mod reads;
mod records;
mod rows;
mod web;
mod writes;

pub use copy::{CopyReport, TableCopy, copy_database};
pub use error::{StoreError, url_without_password};
pub use introductions::{EndedMobility, IntroductionProgress};
pub use jobs::{
    InstanceLock, InstanceLockError, JobLock, JobOutcome, JobRun, JobTrigger, NewJobRun,
};
pub use outreach::{OutreachAddress, UnsubscribeVia};
pub use privacy::{
    ErasureRecord, OrganisationActivity, OrganisationRecord, PERSONAL_DATA, PersonalColumns,
    PersonalData,
};
pub use records::OutboxAttachment;
pub use records::{
    CallId, DeliveryAttempt, DeliveryResult, InboundError, InboundMessage, InboundMessageId,
    IntroductionFilter, JobRunId, MobilityFilter, MobilityImport, NewInboundMessage,
    NewIntroduction, NewOutboxMessage, NewRound, OrganisationId, OutboxMessage, OutboxMessageId,
    OutboxStatus, OutreachAddressId, PopulationWrite, SubmissionFilter,
};
pub use web::{JobRunCount, RecordCounts};
pub use writes::Tx;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Concurrent writers wait this long for SQLite's write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The size of the write-ahead log, in pages of 4 KiB, past which a commit copies it
/// into the database: each copy costs two waits for the disk, and SQLite's 1,000 pages
/// made every commit of an ingestion batch (about 2,300 pages) copy. Durability is the
/// same either way: a commit is durable once the log is.
const SQLITE_WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// The page cache of each connection, in KiB, instead of SQLite's 2,000: ingesting
/// 100,000 messages took 16% less CPU with it (2,000 KiB made it read its indexes back
/// from the file). Each connection of the pool fills its own cache only as far as it
/// reads, so a daemon whose connections all read much holds up to that much each.
const SQLITE_CACHE_KIB: u32 = 32 * 1024;

/// `cache_size` for [`SQLITE_CACHE_KIB`]: a negative size is in KiB.
fn sqlite_cache_size() -> String {
    format!("-{SQLITE_CACHE_KIB}")
}

/// The statement that gives a SQLite connection its page cache back after a scan.
fn sqlite_cache_pragma() -> String {
    format!("PRAGMA cache_size = {}", sqlite_cache_size())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// The database, migrated to the schema this build expects. Cloning is cheap: clones
/// share one connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// Told when a transaction that queued mail commits.
    queued_mail: Option<Arc<Notify>>,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// Opens `sqlite://path` (creating the file when it is missing) or `postgres://…`,
    /// and applies the migrations the database has not seen yet.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let connect_error = |source| StoreError::Connect {
            url: url_without_password(database_url),
            source,
        };
        let pool = if database_url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(database_url)
                .map_err(connect_error)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .pragma(
                    "wal_autocheckpoint",
                    SQLITE_WAL_CHECKPOINT_PAGES.to_string(),
                )
                .pragma("cache_size", sqlite_cache_size())
                // An ingestion batch runs behind a savepoint, whose journal of the pages it
                // changes went to temporary files past 64 KiB: 87,000 writes per 10,000
                // messages, more than the write-ahead log took. The journal is rolled back
                // or dropped with its transaction, so memory loses nothing durable.
                .pragma("temp_store", "memory");
            let pool = SqlitePoolOptions::new()
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            SQLITE_MIGRATIONS.run(&pool).await?;
            Pool::Sqlite(pool)
        } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(database_url).map_err(connect_error)?;
            // The pool retries a failed connection until its timeout and then reports only
            // that it timed out; one plain connection first gives the real reason.
            PgConnection::connect_with(&options)
                .await
                .map_err(connect_error)?
                .close()
                .await
                .map_err(connect_error)?;
            let pool = PgPoolOptions::new()
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            Pool::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl {
                url: url_without_password(database_url),
            });
        };
        Ok(Store {
            pool,
            queued_mail: None,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction. Dropping the `Tx` without `commit` rolls it back.
    pub async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        let transaction = match &self.pool {
            Pool::Sqlite(pool) => writes::Transaction::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => writes::Transaction::Postgres(pool.begin().await?),
        };
        Ok(Tx::new(
            transaction,
            writes::QueuedMail::notifying(self.queued_mail.clone()),
        ))
    }

    /// This store, whose transactions tell `notify` when one that queued mail commits.
    pub fn notifying_queued_mail(&self, notify: Arc<Notify>) -> Store {
        Store {
            pool: self.pool.clone(),
            queued_mail: Some(notify),
        }
    }

    /// Waits for the connections in use to be returned, then closes them all.
    pub async fn close(self) {
        on_backend!(Pool, &self.pool, |pool| pool.close().await)
    }
}
