//! The listings. Optional filters are written `($1 IS NULL OR column = $1)` so that each
//! listing stays one SQL text for both backends.

use chrono::{DateTime, NaiveDate, Utc};

use super::records::{
    InboundMessage, IntroductionFilter, MobilityFilter, OutboxMessage, OutboxStatus,
    SubmissionFilter,
};
use super::rows::{
    INBOUND_MESSAGE_COLUMNS, InboundMessageRow, IntroductionRow, MOBILITY_COLUMNS, MobilityRow,
    OUTBOX_COLUMNS, OutboxRow, PopulationRow, RoundRow, SUBMISSION_COLUMNS, SubmissionRow, parse,
};
use super::{Pool, Store, StoreError};
use crate::domain::{
    IntroducedPair, Introduction, IntroductionStatus, Mobility, Population, Round, Submission,
    SubmissionId, SubmissionStatus,
};

impl Store {
    /// Submissions in the order they arrived.
    pub async fn submissions(
        &self,
        filter: &SubmissionFilter,
    ) -> Result<Vec<Submission>, StoreError> {
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions \
             JOIN organisations ON organisations.id = submissions.organisation_id \
             WHERE ($1 IS NULL OR submissions.status = $1) \
             AND ($2 IS NULL OR submissions.role = $2) \
             AND ($3 IS NULL OR submissions.latest_end >= $3) \
             ORDER BY submissions.id"
        );
        let status = filter.status.map(|status| status.value());
        let role = filter.role.map(|role| role.value());
        let rows: Vec<SubmissionRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(status)
                .bind(role)
                .bind(filter.window_ends_on_or_after)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(Submission::try_from).collect()
    }

    pub async fn submission(&self, id: SubmissionId) -> Result<Submission, StoreError> {
        let row: Option<SubmissionRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&submission_by_id_sql())
                .bind(id.get())
                .fetch_optional(pool)
                .await?
        });
        submission_found(id, row)
    }

    /// Mobilities by start date.
    pub async fn mobilities(&self, filter: &MobilityFilter) -> Result<Vec<Mobility>, StoreError> {
        let Some((first_day, last_day)) = year_bounds(filter.year) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {MOBILITY_COLUMNS} FROM mobilities \
             WHERE ($1 IS NULL OR status = $1) \
             AND ($2 IS NULL OR start_date BETWEEN $2 AND $3) \
             ORDER BY start_date, id"
        );
        let status = filter.status.map(|status| status.value());
        let rows: Vec<MobilityRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(status)
                .bind(first_day)
                .bind(last_day)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(Mobility::try_from).collect()
    }

    /// Introductions in the order the rounds made them.
    pub async fn introductions(
        &self,
        filter: &IntroductionFilter,
    ) -> Result<Vec<Introduction>, StoreError> {
        let status = filter.status.map(|status| status.value());
        let rows: Vec<IntroductionRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, round_id, offer_id, request_id, score, reasons, status, host_answer, \
                 host_answered_at, sender_answer, sender_answered_at, created_at \
                 FROM introductions WHERE ($1 IS NULL OR status = $1) ORDER BY id",
            )
            .bind(status)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Introduction::try_from).collect()
    }

    /// The pairs introduced so far whose offer and request are both still open, with
    /// where each introduction stands: what a matching round must know of the past.
    pub async fn introduced_pairs_among_open(&self) -> Result<Vec<IntroducedPair>, StoreError> {
        let open = SubmissionStatus::Open.value();
        let rows: Vec<(i64, i64, String)> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT introductions.offer_id, introductions.request_id, introductions.status \
                 FROM introductions \
                 JOIN submissions AS offers ON offers.id = introductions.offer_id \
                 JOIN submissions AS requests ON requests.id = introductions.request_id \
                 WHERE offers.status = $1 AND requests.status = $1 \
                 ORDER BY introductions.id",
            )
            .bind(open)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(offer, request, status)| {
                Ok(IntroducedPair {
                    offer: SubmissionId::new(offer),
                    request: SubmissionId::new(request),
                    status: parse(
                        "introductions",
                        "status",
                        &status,
                        IntroductionStatus::from_value,
                    )?,
                })
            })
            .collect()
    }

    /// Population figures by region, then year.
    pub async fn population(&self) -> Result<Vec<Population>, StoreError> {
        let rows: Vec<PopulationRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT region, year, vet_learners, ivet_graduates FROM population \
                 ORDER BY region, year",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Population::try_from).collect()
    }

    /// The latest `limit` inbound messages, newest first.
    pub async fn inbound_messages(&self, limit: u32) -> Result<Vec<InboundMessage>, StoreError> {
        let sql = format!(
            "SELECT {INBOUND_MESSAGE_COLUMNS} FROM inbound_messages ORDER BY id DESC LIMIT $1"
        );
        let rows: Vec<InboundMessageRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(InboundMessage::try_from).collect()
    }

    /// Outbox messages in the order they were queued, all of them or those in one status.
    pub async fn outbox(
        &self,
        status: Option<OutboxStatus>,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE ($1 IS NULL OR status = $1) ORDER BY id"
        );
        let status = status.map(|status| status.value());
        let rows: Vec<OutboxRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql).bind(status).fetch_all(pool).await?
        });
        rows.into_iter().map(OutboxMessage::try_from).collect()
    }

    /// Queued outbox messages due at `now`, oldest first, at most `limit` of them.
    pub async fn due_outbox(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = $1 AND next_attempt_at <= $2 \
             ORDER BY next_attempt_at, id LIMIT $3"
        );
        let rows: Vec<OutboxRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(OutboxStatus::Queued.value())
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(OutboxMessage::try_from).collect()
    }

    /// Rounds, newest first.
    pub async fn rounds(&self) -> Result<Vec<Round>, StoreError> {
        let rows: Vec<RoundRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, started_at, duration_ms, parameters, offers, requests, candidates, \
                 introductions, total_score FROM rounds ORDER BY id DESC",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Round::try_from).collect()
    }
}

/// The first and last day of `year`, both `None` when no year is asked for; `None`
/// overall for a year outside the calendar chrono knows, which no mobility can start in.
fn year_bounds(year: Option<i32>) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
    match year {
        None => Some((None, None)),
        Some(year) => Some((
            Some(NaiveDate::from_ymd_opt(year, 1, 1)?),
            Some(NaiveDate::from_ymd_opt(year, 12, 31)?),
        )),
    }
}

/// One submission by id (`$1`), for [`Store::submission`] and `Tx::submission`.
pub(super) fn submission_by_id_sql() -> String {
    format!(
        "SELECT {SUBMISSION_COLUMNS} FROM submissions \
         JOIN organisations ON organisations.id = submissions.organisation_id \
         WHERE submissions.id = $1"
    )
}

/// The submission a by-id query found, or `NotFound`.
pub(super) fn submission_found(
    id: SubmissionId,
    row: Option<SubmissionRow>,
) -> Result<Submission, StoreError> {
    match row {
        Some(row) => Submission::try_from(row),
        None => Err(StoreError::NotFound {
            what: format!("submission {id}"),
        }),
    }
}
