//! What the daemon keeps in the database: a record of each job run, the locks that let
//! one replica at a time run a job on PostgreSQL, the lock that keeps a SQLite database
//! to one daemon, and the claims on outbox messages being sent.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::records::{JobRunId, OutboxStatus};
use super::rows::{OUTBOX_COLUMNS, OutboxRow};
use super::writes::{Transaction, Tx};
use super::{OutboxMessage, OutboxMessageId, Pool, Store, StoreError};

/// Why a job ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobTrigger {
    /// Its schedule named this time.
    Schedule,
    /// Its last scheduled time passed while no daemon ran.
    CatchUp,
    /// The daemon started (the outbox is delivered at once).
    Start,
    /// Mail was queued (the outbox is delivered without waiting for its schedule).
    MailQueued,
}

impl JobTrigger {
    pub fn value(self) -> &'static str {
        match self {
            JobTrigger::Schedule => "schedule",
            JobTrigger::CatchUp => "catch-up",
            JobTrigger::Start => "start",
            JobTrigger::MailQueued => "mail queued",
        }
    }

    fn parse(text: &str) -> Option<JobTrigger> {
        [
            JobTrigger::Schedule,
            JobTrigger::CatchUp,
            JobTrigger::Start,
            JobTrigger::MailQueued,
        ]
        .into_iter()
        .find(|trigger| trigger.value() == text)
    }
}

/// How a job run ended, or that it has not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobOutcome {
    Running,
    Succeeded,
    Failed,
    /// Its process ended before the run did.
    Interrupted,
}

impl JobOutcome {
    pub fn value(self) -> &'static str {
        match self {
            JobOutcome::Running => "running",
            JobOutcome::Succeeded => "succeeded",
            JobOutcome::Failed => "failed",
            JobOutcome::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Option<JobOutcome> {
        [
            JobOutcome::Running,
            JobOutcome::Succeeded,
            JobOutcome::Failed,
            JobOutcome::Interrupted,
        ]
        .into_iter()
        .find(|outcome| outcome.value() == text)
    }
}

/// A job run as recorded.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    /// The scheduled time the run served; none for a run on start or for queued mail.
    pub slot: Option<DateTime<Utc>>,
    pub trigger: JobTrigger,
    /// `host:pid` of the daemon that ran it.
    pub instance: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: JobOutcome,
    /// What the run did, as counts (a JSON object).
    pub counts: serde_json::Value,
    pub error: Option<String>,
}

/// A run about to start.
#[derive(Clone, Debug)]
pub struct NewJobRun<'a> {
    pub job: &'a str,
    pub slot: Option<DateTime<Utc>>,
    pub trigger: JobTrigger,
    pub instance: &'a str,
    pub started_at: DateTime<Utc>,
}

const JOB_RUN_COLUMNS: &str =
    "id, job, slot, trigger, instance, started_at, finished_at, outcome, counts, error";

type JobRunRow = (
    i64,
    String,
    Option<DateTime<Utc>>,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    String,
    String,
    Option<String>,
);

fn job_run(row: JobRunRow) -> Result<JobRun, StoreError> {
    let (id, job, slot, trigger, instance, started_at, finished_at, outcome, counts, error) = row;
    let corrupt = |column, value: &str, expected: &str| StoreError::Corrupt {
        table: "job_runs",
        column,
        value: value.to_owned(),
        expected: expected.to_owned(),
    };
    Ok(JobRun {
        id,
        job,
        slot,
        trigger: JobTrigger::parse(&trigger)
            .ok_or_else(|| corrupt("trigger", &trigger, "a trigger written by mobmatch"))?,
        instance,
        started_at,
        finished_at,
        outcome: JobOutcome::parse(&outcome)
            .ok_or_else(|| corrupt("outcome", &outcome, "an outcome written by mobmatch"))?,
        counts: serde_json::from_str(&counts)
            .map_err(|_| corrupt("counts", &counts, "JSON written by mobmatch"))?,
        error,
    })
}

/// Held while a job runs. On PostgreSQL it is a session advisory lock on a connection of
/// its own, outside the pool (so that the locks of running jobs never take the
/// connections their work needs): each job runs on one replica at a time, and the lock
/// ends with its session, when the lock is released or dropped, or the replica dies.
/// On SQLite one daemon holds the database ([`InstanceLock`]) and runs each job in one
/// task, so there is nothing to take.
#[derive(Debug)]
pub struct JobLock {
    session: Option<PgConnection>,
}

impl JobLock {
    /// Lets go of the lock, ending its session.
    pub async fn release(self) -> Result<(), StoreError> {
        if let Some(session) = self.session {
            session.close().await?;
        }
        Ok(())
    }
}

/// The advisory-lock key of a job: the first 8 bytes of the SHA-256 of its name.
fn advisory_key(job: &str) -> i64 {
    let digest = Sha256::digest(format!("mobmatch job {job}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Keeps a SQLite database to one `serve`: an exclusive lock on the file
/// `<database>.lock`, which the operating system releases when the process ends, however
/// it ends.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceLockError {
    #[error(
        "another mobmatch serve is running on {database} ({holder}); stop it first, or give this one another database. A SQLite database has one daemon; several run on PostgreSQL"
    )]
    Held { database: String, holder: String },
    #[error("cannot lock {path} to keep the database to one daemon: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl InstanceLock {
    fn take(database: &Path, holder: &str) -> Result<InstanceLock, InstanceLockError> {
        let mut path = database.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        let io_error = |source| InstanceLockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                file.read_to_string(&mut holder).map_err(io_error)?;
                return Err(InstanceLockError::Held {
                    database: database.display().to_string(),
                    holder: holder.trim().to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(io_error(error)),
        }
        file.set_len(0).map_err(io_error)?;
        file.rewind().map_err(io_error)?;
        file.write_all(holder.as_bytes()).map_err(io_error)?;
        Ok(InstanceLock { _file: file })
    }
}

impl Store {
    /// On SQLite, takes the database for this daemon alone, failing when another holds
    /// it; `holder` says who holds it, for the other's message. On PostgreSQL (where
    /// replicas share the database) and for an in-memory database there is nothing to
    /// take.
    pub fn lock_instance(&self, holder: &str) -> Result<Option<InstanceLock>, InstanceLockError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let database = pool.connect_options().get_filename().to_owned();
                if database.as_os_str().is_empty() || database == Path::new(":memory:") {
                    return Ok(None);
                }
                InstanceLock::take(&database, holder).map(Some)
            }
            Pool::Postgres(_) => Ok(None),
        }
    }

    /// Takes the lock of `job` if no other replica holds it.
    pub async fn try_lock_job(&self, job: &str) -> Result<Option<JobLock>, StoreError> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(Some(JobLock { session: None })),
            Pool::Postgres(pool) => {
                let mut session = PgConnection::connect_with(&pool.connect_options()).await?;
                let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(advisory_key(job))
                    .fetch_one(&mut session)
                    .await?;
                Ok(taken.then_some(JobLock {
                    session: Some(session),
                }))
            }
        }
    }

    /// The latest slot of `job` whose run ended (succeeded or failed), and whether the
    /// job has any run recorded at all.
    pub async fn last_finished_slot(
        &self,
        job: &str,
    ) -> Result<(Option<DateTime<Utc>>, bool), StoreError> {
        let (slot, runs): (Option<DateTime<Utc>>, i64) = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT MAX(CASE WHEN outcome IN ('succeeded', 'failed') THEN slot END), COUNT(*) \
                 FROM job_runs WHERE job = $1",
            )
            .bind(job)
            .fetch_one(pool)
            .await?
        });
        Ok((slot, runs > 0))
    }

    /// Job runs, newest first: of one job or all, at most `limit`.
    pub async fn job_runs(&self, job: Option<&str>, limit: u32) -> Result<Vec<JobRun>, StoreError> {
        let sql = format!(
            "SELECT {JOB_RUN_COLUMNS} FROM job_runs WHERE ($1 IS NULL OR job = $1) \
             ORDER BY started_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<JobRunRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(job)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(job_run).collect()
    }
}

impl Tx<'_> {
    /// Records the start of a run. A scheduled run claims its slot: `None` when another
    /// run has the slot (ran it, or is running it), unless that run was interrupted, whose
    /// slot is taken over.
    pub async fn start_job_run(
        &mut self,
        run: &NewJobRun<'_>,
    ) -> Result<Option<JobRunId>, StoreError> {
        let id: Option<i64> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(
                "INSERT INTO job_runs (job, slot, trigger, instance, started_at, outcome, counts) \
                 VALUES ($1, $2, $3, $4, $5, 'running', '{}') \
                 ON CONFLICT (job, slot) DO UPDATE SET trigger = excluded.trigger, \
                 instance = excluded.instance, started_at = excluded.started_at, \
                 finished_at = NULL, outcome = 'running', counts = '{}', error = NULL \
                 WHERE job_runs.outcome = 'interrupted' \
                 RETURNING id",
            )
            .bind(run.job)
            .bind(run.slot)
            .bind(run.trigger.value())
            .bind(run.instance)
            .bind(run.started_at)
            .fetch_optional(&mut **transaction)
            .await?
        });
        Ok(id.map(JobRunId::new))
    }

    /// Records how a run ended.
    pub async fn finish_job_run(
        &mut self,
        id: JobRunId,
        outcome: JobOutcome,
        finished_at: DateTime<Utc>,
        counts: &serde_json::Value,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE job_runs SET outcome = $1, finished_at = $2, counts = $3, error = $4 \
                 WHERE id = $5 AND outcome = 'running'",
            )
            .bind(outcome.value())
            .bind(finished_at)
            .bind(counts.to_string())
            .bind(error)
            .bind(id.get())
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        StoreError::found_by_update(changed, || format!("running job run {}", id.get()))
    }

    /// Marks the runs of `job` still `running` as interrupted. Only the holder of the
    /// job's lock may call it: no live process is running the job then.
    pub async fn mark_interrupted_runs(
        &mut self,
        job: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(on_backend!(
            Transaction,
            &mut self.transaction,
            |transaction| {
                sqlx::query(
                    "UPDATE job_runs SET outcome = 'interrupted', finished_at = $1 \
                 WHERE job = $2 AND outcome = 'running'",
                )
                .bind(at)
                .bind(job)
                .execute(&mut **transaction)
                .await?
                .rows_affected()
            }
        ))
    }

    /// Deletes the runs that started before `before`, keeping each job's latest run
    /// with a slot, which tells the next start what to catch up on.
    pub async fn prune_job_runs(&mut self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_backend!(
            Transaction,
            &mut self.transaction,
            |transaction| {
                sqlx::query(
                    "DELETE FROM job_runs WHERE started_at < $1 AND outcome <> 'running' \
                 AND id NOT IN (SELECT MAX(id) FROM job_runs WHERE slot IS NOT NULL GROUP BY job)",
                )
                .bind(before)
                .execute(&mut **transaction)
                .await?
                .rows_affected()
            }
        ))
    }

    /// Claims up to `limit` queued outbox messages due at `now` that nobody else holds,
    /// until `until`, oldest first. On PostgreSQL rows that another replica is claiming
    /// are skipped (`FOR UPDATE SKIP LOCKED`); on SQLite the update holds the write lock.
    pub async fn claim_due_outbox(
        &mut self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let skip_locked = match self.transaction {
            Transaction::Sqlite(_) => "",
            Transaction::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE outbox SET claimed_until = $3 WHERE id IN (\
             SELECT id FROM outbox WHERE status = $1 AND next_attempt_at <= $2 \
             AND (claimed_until IS NULL OR claimed_until <= $2) \
             ORDER BY next_attempt_at, id LIMIT $4{skip_locked}) \
             RETURNING {OUTBOX_COLUMNS}"
        );
        let mut rows: Vec<OutboxRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&sql)
                    .bind(OutboxStatus::Queued.value())
                    .bind(now)
                    .bind(until)
                    .bind(i64::from(limit))
                    .fetch_all(&mut **transaction)
                    .await?
            });
        rows.sort_by_key(|row| (row.next_attempt_at, row.id));
        rows.into_iter().map(OutboxMessage::try_from).collect()
    }

    /// Gives back claimed messages that were not sent, due again at once.
    pub async fn release_outbox_claims(
        &mut self,
        ids: &[OutboxMessageId],
    ) -> Result<(), StoreError> {
        for id in ids {
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query("UPDATE outbox SET claimed_until = NULL WHERE id = $1")
                    .bind(id.get())
                    .execute(&mut **transaction)
                    .await?;
            });
        }
        Ok(())
    }

    /// Drops every claim on the outbox: for a SQLite daemon at its start, when it holds
    /// the database alone and any claim is left by a process that died.
    pub async fn release_all_outbox_claims(&mut self) -> Result<u64, StoreError> {
        Ok(on_backend!(
            Transaction,
            &mut self.transaction,
            |transaction| {
                sqlx::query(
                    "UPDATE outbox SET claimed_until = NULL WHERE claimed_until IS NOT NULL",
                )
                .execute(&mut **transaction)
                .await?
                .rows_affected()
            }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_has_its_own_stable_advisory_key() {
        assert_eq!(advisory_key("fetch_mail"), advisory_key("fetch_mail"));
        assert_ne!(advisory_key("fetch_mail"), advisory_key("deliver_mail"));
    }
}
