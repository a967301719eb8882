//! What the web server asks of the store beyond the listings: the admin password, the
//! expiry of unconfirmed web submissions, retries of failed mail, one inbound message
//! with its raw source, and the counts behind `/healthz` and `/metrics`.

use chrono::{DateTime, Utc};

use super::records::{InboundMessage, InboundMessageId, OutboxMessageId, OutboxStatus};
use super::rows::{INBOUND_MESSAGE_COLUMNS, InboundMessageRow};
use super::writes::{Transaction, Tx};
use super::{Pool, Store, StoreError};
use crate::domain::SubmissionStatus;

/// How many records there are of each value of one column, for `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordCounts {
    pub inbound_by_outcome: Vec<(String, i64)>,
    pub outbox_by_status: Vec<(String, i64)>,
    pub rounds: i64,
    /// The daemon's job runs by job and outcome, with the latest end of each.
    pub job_runs: Vec<JobRunCount>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRunCount {
    pub job: String,
    pub outcome: String,
    pub runs: i64,
    pub last_finished: Option<DateTime<Utc>>,
}

impl Store {
    /// Succeeds when the database answers a query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: i64 = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
                .fetch_one(pool)
                .await?
        });
        Ok(())
    }

    /// The argon2 hash (PHC string) of the admin password, if one was set.
    pub async fn admin_password_hash(&self) -> Result<Option<String>, StoreError> {
        let hash: Option<String> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_scalar("SELECT hash FROM admin_password WHERE id = 1")
                .fetch_optional(pool)
                .await?
        });
        Ok(hash)
    }

    pub async fn inbound_message(
        &self,
        id: InboundMessageId,
    ) -> Result<InboundMessage, StoreError> {
        let sql = format!("SELECT {INBOUND_MESSAGE_COLUMNS} FROM inbound_messages WHERE id = $1");
        let row: Option<InboundMessageRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(id.get())
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some(row) => InboundMessage::try_from(row),
            None => Err(StoreError::NotFound {
                what: format!("inbound message {id}"),
            }),
        }
    }

    pub async fn record_counts(&self) -> Result<RecordCounts, StoreError> {
        let inbound_by_outcome: Vec<(String, i64)> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT outcome, COUNT(*) FROM inbound_messages GROUP BY outcome ORDER BY outcome",
            )
            .fetch_all(pool)
            .await?
        });
        let outbox_by_status: Vec<(String, i64)> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
                .fetch_all(pool)
                .await?
        });
        let rounds: i64 = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM rounds")
                .fetch_one(pool)
                .await?
        });
        let job_runs: Vec<(String, String, i64, Option<DateTime<Utc>>)> =
            on_backend!(Pool, &self.pool, |pool| {
                sqlx::query_as(
                    "SELECT job, outcome, COUNT(*), MAX(finished_at) FROM job_runs \
                     GROUP BY job, outcome ORDER BY job, outcome",
                )
                .fetch_all(pool)
                .await?
            });
        Ok(RecordCounts {
            inbound_by_outcome,
            outbox_by_status,
            rounds,
            job_runs: job_runs
                .into_iter()
                .map(|(job, outcome, runs, last_finished)| JobRunCount {
                    job,
                    outcome,
                    runs,
                    last_finished,
                })
                .collect(),
        })
    }
}

impl Tx<'_> {
    /// Sets (or replaces) the admin password's hash.
    pub async fn set_admin_password_hash(
        &mut self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "INSERT INTO admin_password (id, hash, updated_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
            )
            .bind(hash)
            .bind(now)
            .execute(&mut **transaction)
            .await?;
        });
        Ok(())
    }

    /// Marks `expired` every submission still `unconfirmed` that was created before
    /// `created_before`; returns how many.
    pub async fn expire_unconfirmed_submissions(
        &mut self,
        created_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let expired = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE submissions SET status = $1, updated_at = $2 \
                 WHERE status = $3 AND created_at < $4",
            )
            .bind(SubmissionStatus::Expired.value())
            .bind(now)
            .bind(SubmissionStatus::Unconfirmed.value())
            .bind(created_before)
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        Ok(expired)
    }

    /// Puts a `failed` outbox message back in the queue, due at `now`. A message in
    /// another status is a `Conflict`: queued mail is retried anyway, sent mail never.
    pub async fn retry_outbox_message(
        &mut self,
        id: OutboxMessageId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE outbox SET status = $1, next_attempt_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(OutboxStatus::Queued.value())
            .bind(now)
            .bind(id.get())
            .bind(OutboxStatus::Failed.value())
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::Conflict {
                what: format!("outbox message {id} is not a failed message"),
            });
        }
        Ok(())
    }
}
