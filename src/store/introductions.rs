//! What following an introduction reads and writes: its answers, reminders and expiry,
//! the offer's places taken by a planned mobility, and the completion of that mobility.
//! Every update names the state it expects in its `WHERE`, so that a second writer (a
//! web answer racing an email answer) changes nothing rather than something twice.

use chrono::{DateTime, NaiveDate, Utc};

use super::rows::{IntroductionRow, MOBILITY_COLUMNS, MobilityRow};
use super::writes::Transaction;
use super::{Pool, Store, StoreError, Tx};
use crate::domain::{
    Answer, Introduction, IntroductionId, IntroductionStatus, Mobility, MobilityDetails,
    MobilityId, MobilityStatus, Role, Source, SubmissionId, SubmissionStatus,
};

/// An introduction with the times that decide its reminders and expiry.
#[derive(Clone, Debug, PartialEq)]
pub struct IntroductionProgress {
    pub introduction: Introduction,
    /// When both introduction emails were queued; `None` while `proposed`.
    pub introduced_at: Option<DateTime<Utc>>,
    pub host_reminded_at: Option<DateTime<Utc>>,
    pub sender_reminded_at: Option<DateTime<Utc>>,
}

impl IntroductionProgress {
    pub fn reminded_at(&self, side: Role) -> Option<DateTime<Utc>> {
        match side {
            Role::Receiving => self.host_reminded_at,
            Role::Sending => self.sender_reminded_at,
        }
    }
}

/// A planned mobility whose end date has passed, and the introduction it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct EndedMobility {
    pub mobility: Mobility,
    pub introduction: IntroductionId,
}

const PROGRESS_COLUMNS: &str = "id, round_id, offer_id, request_id, score, reasons, status, \
    host_answer, host_answered_at, sender_answer, sender_answered_at, created_at, \
    introduced_at, host_reminded_at, sender_reminded_at";

#[derive(sqlx::FromRow)]
struct ProgressRow {
    #[sqlx(flatten)]
    introduction: IntroductionRow,
    introduced_at: Option<DateTime<Utc>>,
    host_reminded_at: Option<DateTime<Utc>>,
    sender_reminded_at: Option<DateTime<Utc>>,
}

impl TryFrom<ProgressRow> for IntroductionProgress {
    type Error = StoreError;

    fn try_from(row: ProgressRow) -> Result<IntroductionProgress, StoreError> {
        Ok(IntroductionProgress {
            introduction: Introduction::try_from(row.introduction)?,
            introduced_at: row.introduced_at,
            host_reminded_at: row.host_reminded_at,
            sender_reminded_at: row.sender_reminded_at,
        })
    }
}

impl Store {
    /// Introductions still waiting for answers (`proposed` or `introduced`), oldest first.
    pub async fn introductions_awaiting_answers(
        &self,
    ) -> Result<Vec<IntroductionProgress>, StoreError> {
        let sql = format!(
            "SELECT {PROGRESS_COLUMNS} FROM introductions WHERE status IN ($1, $2) ORDER BY id"
        );
        let rows: Vec<ProgressRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(IntroductionStatus::Proposed.value())
                .bind(IntroductionStatus::Introduced.value())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(IntroductionProgress::try_from)
            .collect()
    }

    /// Planned mobilities made from introductions that ended before `today` and whose
    /// sending side has not been asked for its report yet.
    pub async fn ended_mobilities_without_completion_request(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<EndedMobility>, StoreError> {
        let sql = format!(
            "SELECT {MOBILITY_COLUMNS} FROM mobilities WHERE status = $1 AND end_date < $2 \
             AND introduction_id IS NOT NULL AND completion_requested_at IS NULL ORDER BY id"
        );
        let rows: Vec<MobilityRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(MobilityStatus::Planned.value())
                .bind(today)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|row| {
                let mobility = Mobility::try_from(row)?;
                let introduction = mobility
                    .details
                    .introduction
                    .expect("selected with an introduction");
                Ok(EndedMobility {
                    mobility,
                    introduction,
                })
            })
            .collect()
    }

    /// The introduction with its reminder times.
    pub async fn introduction_progress(
        &self,
        id: IntroductionId,
    ) -> Result<IntroductionProgress, StoreError> {
        let sql = format!("SELECT {PROGRESS_COLUMNS} FROM introductions WHERE id = $1");
        let row: Option<ProgressRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(&sql)
                .bind(id.get())
                .fetch_optional(pool)
                .await?
        });
        progress_found(id, row)
    }
}

impl Tx<'_> {
    /// The introduction with its reminder times, as this transaction sees it.
    pub async fn introduction_progress(
        &mut self,
        id: IntroductionId,
    ) -> Result<IntroductionProgress, StoreError> {
        let sql = format!("SELECT {PROGRESS_COLUMNS} FROM introductions WHERE id = $1");
        let row: Option<ProgressRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&sql)
                    .bind(id.get())
                    .fetch_optional(&mut **transaction)
                    .await?
            });
        progress_found(id, row)
    }

    /// Marks a `proposed` introduction `introduced` at `at`. Returns false, changing
    /// nothing, when it was not `proposed`.
    pub async fn mark_introduced(
        &mut self,
        id: IntroductionId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE introductions SET status = $1, introduced_at = $2, updated_at = $2 \
                 WHERE id = $3 AND status = $4",
            )
            .bind(IntroductionStatus::Introduced.value())
            .bind(at)
            .bind(id.get())
            .bind(IntroductionStatus::Proposed.value())
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Records one side's first answer and the status it leads to, decided on the
    /// partner's answer being `partner_answer`. Returns false, changing nothing, when
    /// that side had answered already, the introduction no longer waits for answers, or
    /// the partner's answer is no longer the one the decision was made on (another
    /// writer answered meanwhile: decide again on what is stored now).
    pub async fn record_introduction_answer(
        &mut self,
        id: IntroductionId,
        side: Role,
        answer: Answer,
        partner_answer: Option<Answer>,
        status: IntroductionStatus,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = match side {
            Role::Receiving => {
                "UPDATE introductions SET host_answer = $1, host_answered_at = $2, status = $3, \
                 updated_at = $2 WHERE id = $4 AND host_answer IS NULL AND status IN ($5, $6) \
                 AND ((sender_answer IS NULL AND $7 IS NULL) OR sender_answer = $7)"
            }
            Role::Sending => {
                "UPDATE introductions SET sender_answer = $1, sender_answered_at = $2, \
                 status = $3, updated_at = $2 \
                 WHERE id = $4 AND sender_answer IS NULL AND status IN ($5, $6) \
                 AND ((host_answer IS NULL AND $7 IS NULL) OR host_answer = $7)"
            }
        };
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(sql)
                .bind(answer.value())
                .bind(at)
                .bind(status.value())
                .bind(id.get())
                .bind(IntroductionStatus::Proposed.value())
                .bind(IntroductionStatus::Introduced.value())
                .bind(partner_answer.map(Answer::value))
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    /// The introductions of a submission that still wait for answers, with the side the
    /// submission is on.
    pub async fn waiting_introductions_of(
        &mut self,
        submission: SubmissionId,
    ) -> Result<Vec<(IntroductionId, Role)>, StoreError> {
        let rows: Vec<(i64, i64)> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT id, offer_id FROM introductions \
                     WHERE (offer_id = $1 OR request_id = $1) AND status IN ($2, $3) ORDER BY id",
                )
                .bind(submission.get())
                .bind(IntroductionStatus::Proposed.value())
                .bind(IntroductionStatus::Introduced.value())
                .fetch_all(&mut **transaction)
                .await?
            });
        Ok(rows
            .into_iter()
            .map(|(id, offer)| {
                let side = if offer == submission.get() {
                    Role::Receiving
                } else {
                    Role::Sending
                };
                (IntroductionId::new(id), side)
            })
            .collect())
    }

    /// Declines a waiting introduction on behalf of `side`, whose submission can no longer
    /// take part: the status becomes `declined`, and the side's answer `decline` unless it
    /// had answered (an earlier acceptance is kept as given). Returns false when it did
    /// not wait.
    pub async fn decline_on_behalf_of(
        &mut self,
        id: IntroductionId,
        side: Role,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = match side {
            Role::Receiving => {
                "UPDATE introductions SET status = $1, host_answer = COALESCE(host_answer, $2), \
                 host_answered_at = COALESCE(host_answered_at, $3), updated_at = $3 \
                 WHERE id = $4 AND status IN ($5, $6)"
            }
            Role::Sending => {
                "UPDATE introductions SET status = $1, \
                 sender_answer = COALESCE(sender_answer, $2), \
                 sender_answered_at = COALESCE(sender_answered_at, $3), updated_at = $3 \
                 WHERE id = $4 AND status IN ($5, $6)"
            }
        };
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(sql)
                .bind(IntroductionStatus::Declined.value())
                .bind(Answer::Decline.value())
                .bind(at)
                .bind(id.get())
                .bind(IntroductionStatus::Proposed.value())
                .bind(IntroductionStatus::Introduced.value())
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Records that `side` was reminded at `at`. Returns false when it had been already.
    pub async fn mark_reminded(
        &mut self,
        id: IntroductionId,
        side: Role,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = match side {
            Role::Receiving => {
                "UPDATE introductions SET host_reminded_at = $1, updated_at = $1 \
                 WHERE id = $2 AND host_reminded_at IS NULL"
            }
            Role::Sending => {
                "UPDATE introductions SET sender_reminded_at = $1, updated_at = $1 \
                 WHERE id = $2 AND sender_reminded_at IS NULL"
            }
        };
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(sql)
                .bind(at)
                .bind(id.get())
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Expires an introduction that still waits for answers. Returns false when it did
    /// not wait any more.
    pub async fn expire_introduction(
        &mut self,
        id: IntroductionId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE introductions SET status = $1, updated_at = $2 \
                 WHERE id = $3 AND status IN ($4, $5)",
            )
            .bind(IntroductionStatus::Expired.value())
            .bind(at)
            .bind(id.get())
            .bind(IntroductionStatus::Proposed.value())
            .bind(IntroductionStatus::Introduced.value())
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Takes `places` from an offer's participants, closing it (`matched`) when none are
    /// left.
    pub async fn take_offer_places(
        &mut self,
        offer: SubmissionId,
        places: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE submissions SET \
                 status = CASE WHEN participants <= $1 THEN $2 ELSE status END, \
                 participants = CASE WHEN participants <= $1 THEN 0 ELSE participants - $1 END, \
                 updated_at = $3 WHERE id = $4",
            )
            .bind(i64::from(places))
            .bind(SubmissionStatus::Matched.value())
            .bind(now)
            .bind(offer.get())
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        StoreError::found_by_update(changed, || format!("submission {offer}"))
    }

    /// The mobility planned from an introduction, if there is one.
    pub async fn mobility_of_introduction(
        &mut self,
        id: IntroductionId,
    ) -> Result<Option<Mobility>, StoreError> {
        let sql = format!(
            "SELECT {MOBILITY_COLUMNS} FROM mobilities WHERE introduction_id = $1 \
             AND source = $2 ORDER BY id LIMIT 1"
        );
        let row: Option<MobilityRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&sql)
                    .bind(id.get())
                    .bind(Source::Introduction.value())
                    .fetch_optional(&mut **transaction)
                    .await?
            });
        row.map(Mobility::try_from).transpose()
    }

    /// Replaces a mobility's details, keeping its source and creation time.
    pub async fn update_mobility(
        &mut self,
        id: MobilityId,
        details: &MobilityDetails,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let receiving_region = details
            .destination
            .nuts_region()
            .map(|region| region.code());
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE mobilities SET sending_organisation = $1, sending_region = $2, \
                 receiving_organisation = $3, receiving_region = $4, receiving_country = $5, \
                 mobility_type = $6, participants = $7, fewer_opportunities = $8, \
                 start_date = $9, end_date = $10, status = $11, introduction_id = $12, \
                 updated_at = $13 WHERE id = $14",
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
            .bind(now)
            .bind(id.get())
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        StoreError::found_by_update(changed, || format!("mobility {id}"))
    }

    /// Records that the sending side was asked to report on a mobility. Returns false
    /// when it had been already.
    pub async fn mark_completion_requested(
        &mut self,
        id: MobilityId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE mobilities SET completion_requested_at = $1 \
                 WHERE id = $2 AND completion_requested_at IS NULL",
            )
            .bind(at)
            .bind(id.get())
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}

fn progress_found(
    id: IntroductionId,
    row: Option<ProgressRow>,
) -> Result<IntroductionProgress, StoreError> {
    match row {
        Some(row) => IntroductionProgress::try_from(row),
        None => Err(StoreError::NotFound {
            what: format!("introduction {id}"),
        }),
    }
}
