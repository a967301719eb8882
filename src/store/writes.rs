//! Every write, inside a transaction. Inserts that may meet an existing row use
//! `ON CONFLICT … DO NOTHING` rather than catching the error, because an error aborts the
//! rest of a PostgreSQL transaction while a skipped insert does not.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use sqlx::Connection;
use tokio::sync::Notify;

use super::reads::{submission_by_id_sql, submission_found};
use super::records::{
    DeliveryAttempt, DeliveryResult, InboundMessageId, MobilityImport, NewInboundMessage,
    NewIntroduction, NewOutboxMessage, NewRound, OrganisationId, OutboxMessageId, OutboxStatus,
    PopulationWrite,
};
use super::rows::{MOBILITY_COLUMNS, MobilityRow, SubmissionRow, join_codes};
use super::{Backend, StoreError};
use crate::domain::{
    EmailAddress, IntroductionId, IntroductionStatus, Mobility, MobilityDetails, MobilityId,
    Organisation, Population, RoundId, Source, Submission, SubmissionDetails, SubmissionId,
    SubmissionStatus,
};

/// Binds an inbound message's columns, with its errors as JSON, in the order of
/// `inbound_insert_sql`.
macro_rules! bind_inbound_message {
    ($query:expr, $message:expr, $errors:expr) => {
        $query
            .bind(&$message.message_id)
            .bind(&$message.raw_sha256)
            .bind(&$message.sender)
            .bind(&$message.subject)
            .bind($message.received_at)
            .bind(&$message.classification)
            .bind(&$message.outcome)
            .bind(&$message.kind)
            .bind(&$message.reference)
            .bind($errors)
            .bind(&$message.raw)
            .bind(&$message.cut_off_text)
    };
}

/// A transaction: nothing it writes is seen by others until `commit`, and dropping it
/// without committing rolls everything back. A `Tx` from [`Tx::savepoint`] lives inside
/// another one and borrows it for `'c`.
#[derive(Debug)]
pub struct Tx<'c> {
    pub(super) transaction: Transaction<'c>,
    queued_mail: QueuedMail,
}

/// Whether a transaction (or a savepoint inside it) queued mail, and whom its commit
/// tells (a store made with [`Store::notifying_queued_mail`]): the daemon's deliverer.
#[derive(Clone, Debug, Default)]
pub(super) struct QueuedMail {
    queued: Arc<AtomicBool>,
    notify: Option<Arc<Notify>>,
}

impl QueuedMail {
    pub(super) fn notifying(notify: Option<Arc<Notify>>) -> QueuedMail {
        QueuedMail {
            queued: Arc::default(),
            notify,
        }
    }
}

#[derive(Debug)]
pub(super) enum Transaction<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

impl<'c> Tx<'c> {
    pub(super) fn new(transaction: Transaction<'c>, queued_mail: QueuedMail) -> Tx<'c> {
        Tx {
            transaction,
            queued_mail,
        }
    }

    /// Commits the transaction or, for a savepoint, keeps its writes in the enclosing
    /// transaction, which still has to commit.
    pub async fn commit(self) -> Result<(), StoreError> {
        on_backend!(Transaction, self.transaction, |transaction| {
            transaction.commit().await?
        });
        if let Some(notify) = &self.queued_mail.notify
            && self.queued_mail.queued.load(Ordering::Relaxed)
        {
            notify.notify_one();
        }
        Ok(())
    }

    fn backend(&self) -> Backend {
        match self.transaction {
            Transaction::Sqlite(_) => Backend::Sqlite,
            Transaction::Postgres(_) => Backend::Postgres,
        }
    }

    fn note_queued_mail(&self) {
        self.queued_mail.queued.store(true, Ordering::Relaxed);
    }

    /// Starts a savepoint: a transaction inside this one. Dropping it without `commit`
    /// undoes its writes alone, even after the database refused one of them, and this
    /// transaction carries on.
    pub async fn savepoint(&mut self) -> Result<Tx<'_>, StoreError> {
        let savepoint = match &mut self.transaction {
            Transaction::Sqlite(transaction) => {
                Transaction::Sqlite(Connection::begin(&mut **transaction).await?)
            }
            Transaction::Postgres(transaction) => {
                Transaction::Postgres(Connection::begin(&mut **transaction).await?)
            }
        };
        // A savepoint notes queued mail for its transaction, whose commit tells.
        let queued_mail = QueuedMail {
            queued: Arc::clone(&self.queued_mail.queued),
            notify: None,
        };
        Ok(Tx::new(savepoint, queued_mail))
    }

    /// The submission, as this transaction sees it: with what it wrote so far.
    pub async fn submission(&mut self, id: SubmissionId) -> Result<Submission, StoreError> {
        let row: Option<SubmissionRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&submission_by_id_sql())
                    .bind(id.get())
                    .fetch_optional(&mut **transaction)
                    .await?
            });
        submission_found(id, row)
    }

    /// Finds the organisation by contact email and name (ignoring case and surrounding
    /// spaces) and updates its other details, or creates it.
    pub async fn upsert_organisation(
        &mut self,
        organisation: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<OrganisationId, StoreError> {
        let name_key = organisation.name.trim().to_lowercase();
        let id: i64 = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(
                "INSERT INTO organisations \
                 (name, name_key, contact_name, contact_email, region, country, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (contact_email, name_key) DO UPDATE SET \
                 name = excluded.name, contact_name = excluded.contact_name, \
                 region = excluded.region, country = excluded.country, \
                 updated_at = excluded.updated_at \
                 RETURNING id",
            )
            .bind_organisation(organisation, &name_key, now)
            .fetch_one(&mut **transaction)
            .await?
        });
        Ok(OrganisationId::new(id))
    }

    /// Stores a submission and upserts its organisation, in one round trip to the
    /// database (ingestion stores thousands a second).
    pub async fn insert_submission(
        &mut self,
        details: &SubmissionDetails,
        status: SubmissionStatus,
        source: Source,
        now: DateTime<Utc>,
    ) -> Result<SubmissionId, StoreError> {
        let organisation = &details.organisation;
        let name_key = organisation.name.trim().to_lowercase();
        let codes = SubmissionCodes::of(details);
        let sql = insert_submission_sql(self.backend());
        let id: i64 = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(sql)
                .bind_organisation(organisation, &name_key, now)
                .bind_submission(details, &codes)
                .bind(status.value())
                .bind(source.value())
                .fetch_one(&mut **transaction)
                .await?
        });
        Ok(SubmissionId::new(id))
    }

    /// Replaces a submission's details (and upserts its organisation), keeping its
    /// status, source and creation time.
    pub async fn update_submission(
        &mut self,
        id: SubmissionId,
        details: &SubmissionDetails,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let organisation_id = self.upsert_organisation(&details.organisation, now).await?;
        let codes = SubmissionCodes::of(details);
        let updated: Option<i64> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(
                "UPDATE submissions SET organisation_id = $1, role = $2, mobility_type = $3, \
                 fields = $4, participants = $5, fewer_opportunities = $6, inclusion_support = $7, \
                 earliest_start = $8, latest_end = $9, min_days = $10, max_days = $11, \
                 languages = $12, partner_countries = $13, notes = $14, updated_at = $15 \
                 WHERE id = $16 RETURNING id",
            )
            .bind(organisation_id.get())
            .bind_submission(details, &codes)
            .bind(now)
            .bind(id.get())
            .fetch_optional(&mut **transaction)
            .await?
        });
        if updated.is_none() {
            return Err(StoreError::NotFound {
                what: format!("submission {id}"),
            });
        }
        Ok(())
    }

    pub async fn set_submission_status(
        &mut self,
        id: SubmissionId,
        status: SubmissionStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query("UPDATE submissions SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.value())
                .bind(now)
                .bind(id.get())
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        StoreError::found_by_update(changed, || format!("submission {id}"))
    }

    /// Stores a reported or planned mobility.
    pub async fn insert_mobility(
        &mut self,
        details: &MobilityDetails,
        source: Source,
        now: DateTime<Utc>,
    ) -> Result<MobilityId, StoreError> {
        self.write_mobility(details, source, None, now).await
    }

    /// Inserts a mobility, or updates the one that holds the same `import_key`.
    async fn write_mobility(
        &mut self,
        details: &MobilityDetails,
        source: Source,
        import_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<MobilityId, StoreError> {
        let receiving_region = details
            .destination
            .nuts_region()
            .map(|region| region.code());
        let id: i64 = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(
                "INSERT INTO mobilities \
                 (sending_organisation, sending_region, receiving_organisation, receiving_region, \
                 receiving_country, mobility_type, participants, fewer_opportunities, start_date, \
                 end_date, status, introduction_id, source, import_key, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
                 ON CONFLICT (import_key) DO UPDATE SET \
                 sending_organisation = excluded.sending_organisation, \
                 sending_region = excluded.sending_region, \
                 receiving_organisation = excluded.receiving_organisation, \
                 receiving_region = excluded.receiving_region, \
                 receiving_country = excluded.receiving_country, \
                 mobility_type = excluded.mobility_type, participants = excluded.participants, \
                 fewer_opportunities = excluded.fewer_opportunities, \
                 start_date = excluded.start_date, end_date = excluded.end_date, \
                 status = excluded.status, introduction_id = excluded.introduction_id, \
                 updated_at = excluded.updated_at \
                 RETURNING id",
            )
            .bind(&details.sending_organisation)
            .bind(details.sending_region.code())
            .bind(&details.receiving_organisation)
            .bind(receiving_region)
            .bind(details.destination.country().code())
            .bind(details.mobility_type.value())
            .bind(i64::from(details.participants))
            .bind(i64::from(details.fewer_opportunities))
            .bind(details.dates.start())
            .bind(details.dates.end())
            .bind(details.status.value())
            .bind(details.introduction.map(IntroductionId::get))
            .bind(source.value())
            .bind(import_key)
            .bind(now)
            .fetch_one(&mut **transaction)
            .await?
        });
        Ok(MobilityId::new(id))
    }

    /// Stores an imported mobility by its stable `import_key`: a new key inserts it, a
    /// known key updates the mobility when the row changed (a planned mobility reported
    /// again as completed) and leaves it alone otherwise.
    pub async fn import_mobility(
        &mut self,
        details: &MobilityDetails,
        import_key: &str,
        now: DateTime<Utc>,
    ) -> Result<MobilityImport, StoreError> {
        let sql = format!("SELECT {MOBILITY_COLUMNS} FROM mobilities WHERE import_key = $1");
        let existing: Option<MobilityRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&sql)
                    .bind(import_key)
                    .fetch_optional(&mut **transaction)
                    .await?
            });
        let existing = existing.map(Mobility::try_from).transpose()?;
        if let Some(existing) = existing
            .as_ref()
            .filter(|existing| existing.details == *details)
        {
            return Ok(MobilityImport::Unchanged(existing.id));
        }
        let id = self
            .write_mobility(details, Source::Import, Some(import_key), now)
            .await?;
        Ok(if existing.is_some() {
            MobilityImport::Updated(id)
        } else {
            MobilityImport::Inserted(id)
        })
    }

    /// Whether an introduction exists, so that a reported mobility can refer to it.
    pub async fn introduction_exists(&mut self, id: IntroductionId) -> Result<bool, StoreError> {
        let found: Option<i64> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar("SELECT id FROM introductions WHERE id = $1")
                .bind(id.get())
                .fetch_optional(&mut **transaction)
                .await?
        });
        Ok(found.is_some())
    }

    /// Stores the population of a region in a year, replacing an earlier figure.
    pub async fn upsert_population(
        &mut self,
        population: &Population,
        now: DateTime<Utc>,
    ) -> Result<PopulationWrite, StoreError> {
        let region = population.region.code();
        let vet_learners = i64::from(population.vet_learners);
        let ivet_graduates = population.ivet_graduates.map(i64::from);
        let inserted = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "INSERT INTO population (region, year, vet_learners, ivet_graduates, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region, year) DO NOTHING",
            )
            .bind(region)
            .bind(population.year)
            .bind(vet_learners)
            .bind(ivet_graduates)
            .bind(now)
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        if inserted == 1 {
            return Ok(PopulationWrite::Inserted);
        }
        on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE population SET vet_learners = $1, ivet_graduates = $2, updated_at = $3 \
                 WHERE region = $4 AND year = $5",
            )
            .bind(vet_learners)
            .bind(ivet_graduates)
            .bind(now)
            .bind(region)
            .bind(population.year)
            .execute(&mut **transaction)
            .await?;
        });
        Ok(PopulationWrite::Replaced)
    }

    /// Records an inbound message. Returns `None`, writing nothing, when a message with
    /// the same `message_id` was recorded before: it is a duplicate.
    pub async fn insert_inbound_message(
        &mut self,
        message: &NewInboundMessage,
    ) -> Result<Option<InboundMessageId>, StoreError> {
        let sql = format!("{} RETURNING id", inbound_insert_sql(self.backend(), 1));
        let errors = to_json(&message.errors);
        let id: Option<i64> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            bind_inbound_message!(sqlx::query_scalar(&sql), message, &errors)
                .fetch_optional(&mut **transaction)
                .await?
        });
        Ok(id.map(InboundMessageId::new))
    }

    /// Records inbound messages, many to a statement; one whose `message_id` was recorded
    /// before is skipped. Returns how many were recorded.
    pub async fn insert_inbound_messages(
        &mut self,
        messages: &[NewInboundMessage],
    ) -> Result<u64, StoreError> {
        let mut recorded = 0;
        for chunk in messages.chunks(ROWS_PER_INSERT) {
            let sql = inbound_insert_sql(self.backend(), chunk.len());
            let errors: Vec<String> = chunk
                .iter()
                .map(|message| to_json(&message.errors))
                .collect();
            recorded += on_backend!(Transaction, &mut self.transaction, |transaction| {
                let mut query = sqlx::query(&sql);
                for (message, errors) in chunk.iter().zip(&errors) {
                    query = bind_inbound_message!(query, message, errors);
                }
                query.execute(&mut **transaction).await?.rows_affected()
            });
        }
        Ok(recorded)
    }

    /// Whether a message with this Message-ID (or raw-message hash) was recorded before.
    pub async fn inbound_message_exists(&mut self, message_id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar("SELECT id FROM inbound_messages WHERE message_id = $1")
                .bind(message_id)
                .fetch_optional(&mut **transaction)
                .await?
        });
        Ok(found.is_some())
    }

    /// Which of these Message-IDs (or raw-message hashes) were recorded before.
    pub async fn recorded_inbound_messages(
        &mut self,
        message_ids: &[&str],
    ) -> Result<HashSet<String>, StoreError> {
        let mut recorded = HashSet::new();
        for chunk in message_ids.chunks(KEYS_PER_LOOKUP) {
            let sql = format!(
                "SELECT message_id FROM inbound_messages WHERE message_id IN ({})",
                placeholders(1, chunk.len())
            );
            let found: Vec<String> =
                on_backend!(Transaction, &mut self.transaction, |transaction| {
                    let mut query = sqlx::query_scalar(&sql);
                    for message_id in chunk {
                        query = query.bind(*message_id);
                    }
                    query.fetch_all(&mut **transaction).await?
                });
            recorded.extend(found);
        }
        Ok(recorded)
    }

    /// When each outbox message to one of `recipients` alone, queued at or after `since`,
    /// was queued, by recipient: what per-sender reply limits count, read for many senders
    /// at once. A recipient with none is missing.
    pub async fn outbox_times_to_since(
        &mut self,
        recipients: &[EmailAddress],
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, Vec<DateTime<Utc>>>, StoreError> {
        let mut times: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
        for chunk in recipients.chunks(KEYS_PER_LOOKUP) {
            let lists: HashMap<String, &EmailAddress> = chunk
                .iter()
                .map(|recipient| (to_json(&[recipient.as_str()]), recipient))
                .collect();
            let sql = format!(
                "SELECT recipients, created_at FROM outbox \
                 WHERE created_at >= $1 AND recipients IN ({})",
                placeholders(2, lists.len())
            );
            let rows: Vec<(String, DateTime<Utc>)> =
                on_backend!(Transaction, &mut self.transaction, |transaction| {
                    let mut query = sqlx::query_as(&sql).bind(since);
                    for list in lists.keys() {
                        query = query.bind(list);
                    }
                    query.fetch_all(&mut **transaction).await?
                });
            for (list, queued_at) in rows {
                if let Some(recipient) = lists.get(&list) {
                    times
                        .entry(recipient.as_str().to_owned())
                        .or_default()
                        .push(queued_at);
                }
            }
        }
        Ok(times)
    }

    /// How many outbox messages to `recipient` alone were queued at or after `since`: the
    /// count that per-sender reply limits compare against.
    pub async fn outbox_count_to_since(
        &mut self,
        recipient: &EmailAddress,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let recipients = to_json(&[recipient.as_str()]);
        let count: i64 = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE recipients = $1 AND created_at >= $2",
            )
            .bind(&recipients)
            .bind(since)
            .fetch_one(&mut **transaction)
            .await?
        });
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Records the outcome of one delivery attempt of an outbox message.
    pub async fn record_delivery_attempt(
        &mut self,
        id: OutboxMessageId,
        attempt: &DeliveryAttempt,
    ) -> Result<(), StoreError> {
        let (status, next_attempt_at, sent_at) = match attempt.result {
            DeliveryResult::Sent => (OutboxStatus::Sent, None, Some(attempt.at)),
            DeliveryResult::RetryAt(next) => (OutboxStatus::Queued, Some(next), None),
            DeliveryResult::Failed => (OutboxStatus::Failed, None, None),
        };
        on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE outbox SET status = $1, attempts = attempts + 1, \
                 next_attempt_at = COALESCE($2, next_attempt_at), last_answer = $3, sent_at = $4, \
                 claimed_until = NULL WHERE id = $5",
            )
            .bind(status.value())
            .bind(next_attempt_at)
            .bind(&attempt.answer)
            .bind(sent_at)
            .bind(id.get())
            .execute(&mut **transaction)
            .await?;
        });
        Ok(())
    }

    /// Queues an email for delivery, due at once.
    pub async fn enqueue_outbox(
        &mut self,
        message: &NewOutboxMessage,
    ) -> Result<OutboxMessageId, StoreError> {
        let sql = format!("{} RETURNING id", outbox_insert_sql(self.backend(), 1));
        let (recipients, headers) = outbox_json(message);
        let id: Option<i64> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(&sql)
                .bind(&message.message_id)
                .bind(&recipients)
                .bind(&message.subject)
                .bind(&message.body_text)
                .bind(&message.body_html)
                .bind(&headers)
                .bind(OutboxStatus::Queued.value())
                .bind(message.created_at)
                .bind(message.created_at)
                .bind(0_i64)
                .fetch_optional(&mut **transaction)
                .await?
        });
        let id = id
            .map(OutboxMessageId::new)
            .ok_or_else(|| StoreError::Conflict {
                what: format!("an outbox message with Message-ID {}", message.message_id),
            })?;
        self.note_queued_mail();
        Ok(id)
    }

    /// Queues emails, many to a statement, each due at once; one whose Message-ID is
    /// queued already is skipped. Returns how many were queued.
    pub async fn enqueue_outbox_many(
        &mut self,
        messages: &[NewOutboxMessage],
    ) -> Result<u64, StoreError> {
        let mut queued = 0;
        for chunk in messages.chunks(ROWS_PER_INSERT) {
            let sql = outbox_insert_sql(self.backend(), chunk.len());
            let json: Vec<(String, String)> = chunk.iter().map(outbox_json).collect();
            queued += on_backend!(Transaction, &mut self.transaction, |transaction| {
                let mut query = sqlx::query(&sql);
                for (message, (recipients, headers)) in chunk.iter().zip(&json) {
                    query = query
                        .bind(&message.message_id)
                        .bind(recipients)
                        .bind(&message.subject)
                        .bind(&message.body_text)
                        .bind(&message.body_html)
                        .bind(headers)
                        .bind(OutboxStatus::Queued.value())
                        .bind(message.created_at)
                        .bind(message.created_at)
                        .bind(0_i64);
                }
                query.execute(&mut **transaction).await?.rows_affected()
            });
        }
        if queued > 0 {
            self.note_queued_mail();
        }
        Ok(queued)
    }

    pub async fn insert_round(&mut self, round: &NewRound) -> Result<RoundId, StoreError> {
        // Saturates: no round runs for 292 million years.
        let duration_ms = i64::try_from(round.duration_ms).unwrap_or(i64::MAX);
        let parameters = to_json(&round.parameters);
        let id: i64 = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar(
                "INSERT INTO rounds \
                 (started_at, duration_ms, parameters, offers, requests, candidates, introductions, \
                 total_score) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 RETURNING id",
            )
            .bind(round.started_at)
            .bind(duration_ms)
            .bind(&parameters)
            .bind(i64::from(round.offers))
            .bind(i64::from(round.requests))
            .bind(i64::from(round.candidates))
            .bind(i64::from(round.introductions))
            .bind(round.total_score)
            .fetch_one(&mut **transaction)
            .await?
        });
        Ok(RoundId::new(id))
    }

    /// Stores an introduction. A pair is never introduced twice: a second introduction of
    /// the same offer and request is a `Conflict`, and the transaction stays usable.
    pub async fn insert_introduction(
        &mut self,
        introduction: &NewIntroduction,
    ) -> Result<IntroductionId, StoreError> {
        let ids = self
            .insert_introductions(std::slice::from_ref(introduction))
            .await?;
        Ok(ids[0])
    }

    /// Stores introductions, many to a statement (a round makes thousands, and each
    /// statement is a round trip to the database), and returns their ids in the order
    /// given. One that is `introduced` is recorded as introduced at its creation. A pair
    /// introduced before is a `Conflict`, and the transaction stays usable.
    pub async fn insert_introductions(
        &mut self,
        introductions: &[NewIntroduction],
    ) -> Result<Vec<IntroductionId>, StoreError> {
        let mut ids = Vec::with_capacity(introductions.len());
        for chunk in introductions.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO introductions \
                 (round_id, offer_id, request_id, score, reasons, status, created_at, updated_at, \
                 introduced_at) VALUES {} \
                 ON CONFLICT (offer_id, request_id) DO NOTHING \
                 RETURNING id, offer_id, request_id",
                value_rows(self.backend(), chunk.len(), 9)
            );
            let reasons: Vec<String> = chunk
                .iter()
                .map(|introduction| to_json(&introduction.reasons))
                .collect();
            let rows: Vec<(i64, i64, i64)> =
                on_backend!(Transaction, &mut self.transaction, |transaction| {
                    let mut query = sqlx::query_as(&sql);
                    for (introduction, reasons) in chunk.iter().zip(&reasons) {
                        let introduced = introduction.status == IntroductionStatus::Introduced;
                        query = query
                            .bind(introduction.round.get())
                            .bind(introduction.offer.get())
                            .bind(introduction.request.get())
                            .bind(introduction.score)
                            .bind(reasons)
                            .bind(introduction.status.value())
                            .bind(introduction.created_at)
                            .bind(introduction.created_at)
                            .bind(introduced.then_some(introduction.created_at));
                    }
                    query.fetch_all(&mut **transaction).await?
                });
            // RETURNING does not promise the order of the rows: match them by pair.
            let by_pair: HashMap<(i64, i64), i64> = rows
                .into_iter()
                .map(|(id, offer, request)| ((offer, request), id))
                .collect();
            for introduction in chunk {
                let pair = (introduction.offer.get(), introduction.request.get());
                let id = by_pair.get(&pair).ok_or_else(|| StoreError::Conflict {
                    what: format!(
                        "an introduction of offer {} and request {}",
                        introduction.offer, introduction.request
                    ),
                })?;
                ids.push(IntroductionId::new(*id));
            }
        }
        Ok(ids)
    }
}

/// Rows written by one multi-row `INSERT`: few enough that its
/// parameters stay far below SQLite's limit of 32,766 and PostgreSQL's of 65,535.
const ROWS_PER_INSERT: usize = 500;

/// Keys looked up by one `IN (…)` list: few, because sqlx binds each `$n` of a SQLite
/// statement by asking SQLite for its name, which scans the statement's parameters, so
/// binding a statement costs the square of its parameters (`value_rows` avoids `$n`).
const KEYS_PER_LOOKUP: usize = 100;

/// `$first, …`: `count` numbered placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|number| format!("${number}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `INSERT` of `rows` inbound messages, skipping a Message-ID recorded already.
fn inbound_insert_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO inbound_messages \
         (message_id, raw_sha256, sender, subject, received_at, classification, outcome, \
         kind, reference, errors, raw, cut_off_text) \
         VALUES {} ON CONFLICT (message_id) DO NOTHING",
        value_rows(backend, rows, 12)
    )
}

/// The `INSERT` of `rows` queued outbox messages, skipping a Message-ID queued already.
fn outbox_insert_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO outbox \
         (message_id, recipients, subject, body_text, body_html, headers, status, \
         next_attempt_at, created_at, attempts) \
         VALUES {} ON CONFLICT (message_id) DO NOTHING",
        value_rows(backend, rows, 10)
    )
}

/// An outbox message's recipients and headers as stored: JSON lists.
fn outbox_json(message: &NewOutboxMessage) -> (String, String) {
    let recipients: Vec<&str> = message
        .recipients
        .iter()
        .map(|recipient| recipient.as_str())
        .collect();
    (to_json(&recipients), to_json(&message.headers))
}

/// `($1, $2, …), (…), …`: the placeholders of `rows` rows of `columns` values each. On
/// SQLite they are plain `?`, bound in order, which sqlx binds without asking SQLite
/// for their names (see `KEYS_PER_LOOKUP`), so that a statement can take many rows.
fn value_rows(backend: Backend, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let placeholders: Vec<String> = (1..=columns)
                .map(|column| match backend {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${}", row * columns + column),
                })
                .collect();
            format!("({})", placeholders.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The upsert of an organisation, then the insert of a submission of it, in one
/// statement on PostgreSQL and two in one query string on SQLite (whose `WITH` cannot
/// hold an `INSERT`): `$1`–`$7` the organisation and the time, `$8`–`$20` the
/// submission's columns after `organisation_id` (`bind_submission`), `$21` its status,
/// `$22` its source.
fn insert_submission_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "INSERT INTO organisations \
             (name, name_key, contact_name, contact_email, region, country, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (contact_email, name_key) DO UPDATE SET \
             name = excluded.name, contact_name = excluded.contact_name, \
             region = excluded.region, country = excluded.country, \
             updated_at = excluded.updated_at; \
             INSERT INTO submissions \
             (organisation_id, role, mobility_type, fields, participants, fewer_opportunities, \
             inclusion_support, earliest_start, latest_end, min_days, max_days, languages, \
             partner_countries, notes, status, source, created_at, updated_at) \
             VALUES ((SELECT id FROM organisations WHERE contact_email = $4 AND name_key = $2), \
             $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $7, $7) \
             RETURNING id"
        }
        Backend::Postgres => {
            "WITH organisation AS (INSERT INTO organisations \
             (name, name_key, contact_name, contact_email, region, country, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (contact_email, name_key) DO UPDATE SET \
             name = excluded.name, contact_name = excluded.contact_name, \
             region = excluded.region, country = excluded.country, \
             updated_at = excluded.updated_at \
             RETURNING id) \
             INSERT INTO submissions \
             (organisation_id, role, mobility_type, fields, participants, fewer_opportunities, \
             inclusion_support, earliest_start, latest_end, min_days, max_days, languages, \
             partner_countries, notes, status, source, created_at, updated_at) \
             SELECT id, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
             $7, $7 FROM organisation \
             RETURNING id"
        }
    }
}

/// A submission's lists of codes as stored: space-separated.
struct SubmissionCodes {
    fields: String,
    languages: String,
    partner_countries: String,
}

impl SubmissionCodes {
    fn of(details: &SubmissionDetails) -> SubmissionCodes {
        SubmissionCodes {
            fields: join_codes(&details.fields, |field| field.code()),
            languages: join_codes(&details.languages, |language| language.code()),
            partner_countries: join_codes(&details.partner_countries, |country| country.code()),
        }
    }
}

/// Binds a submission's thirteen columns after `organisation_id` in the order
/// `insert_submission` and `update_submission` name them, from `role` to `notes`.
trait BindSubmission<'q>: Sized {
    /// The organisation's name, name key, contact, region and country, then `now`.
    fn bind_organisation(
        self,
        organisation: &'q Organisation,
        name_key: &'q str,
        now: DateTime<Utc>,
    ) -> Self;

    fn bind_submission(self, details: &'q SubmissionDetails, codes: &'q SubmissionCodes) -> Self;
}

impl<'q, Db, Output> BindSubmission<'q>
    for sqlx::query::QueryScalar<'q, Db, Output, <Db as sqlx::Database>::Arguments<'q>>
where
    Db: sqlx::Database,
    i64: sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    bool: sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    &'q str: sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    &'q String: sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    chrono::NaiveDate: sqlx::Encode<'q, Db> + sqlx::Type<Db>,
    DateTime<Utc>: sqlx::Encode<'q, Db> + sqlx::Type<Db>,
{
    fn bind_organisation(
        self,
        organisation: &'q Organisation,
        name_key: &'q str,
        now: DateTime<Utc>,
    ) -> Self {
        self.bind(&organisation.name)
            .bind(name_key)
            .bind(&organisation.contact_name)
            .bind(organisation.contact_email.as_str())
            .bind(organisation.region.code())
            .bind(organisation.region.country().code())
            .bind(now)
    }

    fn bind_submission(self, details: &'q SubmissionDetails, codes: &'q SubmissionCodes) -> Self {
        self.bind(details.role.value())
            .bind(details.mobility_type.value())
            .bind(&codes.fields)
            .bind(i64::from(details.participants))
            .bind(i64::from(details.fewer_opportunities))
            .bind(details.inclusion_support)
            .bind(details.window.start())
            .bind(details.window.end())
            .bind(i64::from(details.duration.min_days()))
            .bind(i64::from(details.duration.max_days()))
            .bind(&codes.languages)
            .bind(&codes.partner_countries)
            .bind(&details.notes)
    }
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("lists, string pairs and JSON values always serialise")
}
