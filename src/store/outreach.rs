//! Outreach in the database: the addresses we write to unasked, known only by the
//! SHA-256 of their lower-case form (`crate::privacy::address_sha256`), whether they
//! unsubscribed, and which calls for submissions reached which of them.

use chrono::{DateTime, NaiveDate, Utc};

use super::records::{CallId, OutreachAddressId};
use super::writes::{Transaction, Tx};
use super::{Pool, Store, StoreError};
use crate::domain::{SubmissionId, SubmissionStatus};

/// How an address unsubscribed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsubscribeVia {
    /// A reply whose first word is `UNSUBSCRIBE` (or a translation).
    Reply,
    /// A message to the `mailto:` address of the `List-Unsubscribe` header.
    Mailto,
    /// The one-click link of the web server (RFC 8058).
    Link,
}

impl UnsubscribeVia {
    pub fn value(self) -> &'static str {
        match self {
            UnsubscribeVia::Reply => "reply",
            UnsubscribeVia::Mailto => "mailto",
            UnsubscribeVia::Link => "link",
        }
    }
}

/// An address we write to unasked, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutreachAddress {
    pub id: OutreachAddressId,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    /// When repeated hard bounces made the address undeliverable.
    pub undeliverable_at: Option<DateTime<Utc>>,
}

impl Store {
    /// How many addresses have unsubscribed, and how many are undeliverable.
    pub async fn outreach_counts(&self) -> Result<(u64, u64), StoreError> {
        let (unsubscribed, undeliverable): (i64, i64) = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT COUNT(unsubscribed_at), COUNT(undeliverable_at) FROM outreach_addresses",
            )
            .fetch_one(pool)
            .await?
        });
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok((count(unsubscribed), count(undeliverable)))
    }

    /// When the address with this hash became undeliverable, if it did.
    pub async fn undeliverable_at(
        &self,
        address_sha256: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let undeliverable_at: Option<Option<DateTime<Utc>>> =
            on_backend!(Pool, &self.pool, |pool| {
                sqlx::query_scalar(
                    "SELECT undeliverable_at FROM outreach_addresses WHERE address_sha256 = $1",
                )
                .bind(address_sha256)
                .fetch_optional(pool)
                .await?
            });
        Ok(undeliverable_at.flatten())
    }

    /// The open submissions that were asked to renew, with when they were last asked.
    pub async fn renewal_requests(&self) -> Result<Vec<(SubmissionId, DateTime<Utc>)>, StoreError> {
        let rows: Vec<(i64, DateTime<Utc>)> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, renewal_requested_at FROM submissions \
                 WHERE status = $1 AND renewal_requested_at IS NOT NULL ORDER BY id",
            )
            .bind(SubmissionStatus::Open.value())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, asked)| (SubmissionId::new(id), asked))
            .collect())
    }

    /// When the address with this hash unsubscribed, if it did.
    pub async fn unsubscribed_at(
        &self,
        address_sha256: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let unsubscribed_at: Option<Option<DateTime<Utc>>> =
            on_backend!(Pool, &self.pool, |pool| {
                sqlx::query_scalar(
                    "SELECT unsubscribed_at FROM outreach_addresses WHERE address_sha256 = $1",
                )
                .bind(address_sha256)
                .fetch_optional(pool)
                .await?
            });
        Ok(unsubscribed_at.flatten())
    }
}

impl Tx<'_> {
    /// Records that the submission was asked to renew at `now`; its `updated_at` stays, so
    /// that a later change shows it was renewed.
    pub async fn set_renewal_requested(
        &mut self,
        id: SubmissionId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query("UPDATE submissions SET renewal_requested_at = $2 WHERE id = $1")
                .bind(id.get())
                .bind(now)
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        StoreError::found_by_update(changed, || format!("submission {id}"))
    }

    /// The row of the address with this hash, made when it is missing.
    pub async fn outreach_address(
        &mut self,
        address_sha256: &str,
    ) -> Result<OutreachAddress, StoreError> {
        let row: (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query(
                    "INSERT INTO outreach_addresses (address_sha256) VALUES ($1) \
                     ON CONFLICT (address_sha256) DO NOTHING",
                )
                .bind(address_sha256)
                .execute(&mut **transaction)
                .await?;
                sqlx::query_as(
                    "SELECT id, unsubscribed_at, undeliverable_at FROM outreach_addresses \
                     WHERE address_sha256 = $1",
                )
                .bind(address_sha256)
                .fetch_one(&mut **transaction)
                .await?
            });
        Ok(OutreachAddress {
            id: OutreachAddressId::new(row.0),
            unsubscribed_at: row.1,
            undeliverable_at: row.2,
        })
    }

    /// Unsubscribes the address with row `id`; false when it had unsubscribed already.
    pub async fn unsubscribe_address(
        &mut self,
        id: OutreachAddressId,
        via: UnsubscribeVia,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let found: Option<Option<DateTime<Utc>>> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_scalar("SELECT unsubscribed_at FROM outreach_addresses WHERE id = $1")
                    .bind(id.get())
                    .fetch_optional(&mut **transaction)
                    .await?
            });
        match found {
            None => Err(StoreError::NotFound {
                what: format!("the address of unsubscribe token {id}"),
            }),
            Some(Some(_)) => Ok(false),
            Some(None) => {
                let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
                    sqlx::query(
                        "UPDATE outreach_addresses SET unsubscribed_at = $2, unsubscribed_via = $3 \
                         WHERE id = $1 AND unsubscribed_at IS NULL",
                    )
                    .bind(id.get())
                    .bind(now)
                    .bind(via.value())
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected()
                });
                Ok(changed > 0)
            }
        }
    }

    /// Counts one bounce of the address with this hash, hard or soft; the address becomes
    /// undeliverable at `now` when its hard bounces reach `undeliverable_after`.
    pub async fn record_bounce(
        &mut self,
        address_sha256: &str,
        hard: bool,
        undeliverable_after: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (hard, soft): (i64, i64) = if hard { (1, 0) } else { (0, 1) };
        on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "INSERT INTO outreach_addresses (address_sha256) VALUES ($1) \
                 ON CONFLICT (address_sha256) DO NOTHING",
            )
            .bind(address_sha256)
            .execute(&mut **transaction)
            .await?;
            sqlx::query(
                "UPDATE outreach_addresses SET hard_bounces = hard_bounces + $2, \
                 soft_bounces = soft_bounces + $3, \
                 undeliverable_at = CASE WHEN undeliverable_at IS NULL \
                 AND hard_bounces + $2 >= $4 THEN $5 ELSE undeliverable_at END \
                 WHERE address_sha256 = $1",
            )
            .bind(address_sha256)
            .bind(hard)
            .bind(soft)
            .bind(i64::from(undeliverable_after))
            .bind(now)
            .execute(&mut **transaction)
            .await?;
        });
        Ok(())
    }

    /// The call for submissions that announces the round of `round_date`, made when it is
    /// missing.
    pub async fn call_for_round(
        &mut self,
        round_date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<CallId, StoreError> {
        let id: i64 = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "INSERT INTO calls (round_date, started_at) VALUES ($1, $2) \
                 ON CONFLICT (round_date) DO NOTHING",
            )
            .bind(round_date)
            .bind(now)
            .execute(&mut **transaction)
            .await?;
            sqlx::query_scalar("SELECT id FROM calls WHERE round_date = $1")
                .bind(round_date)
                .fetch_one(&mut **transaction)
                .await?
        });
        Ok(CallId::new(id))
    }

    /// Records that `call` reaches `address`; false when it had already.
    pub async fn record_call_recipient(
        &mut self,
        call: CallId,
        address: OutreachAddressId,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let recorded: Option<i64> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_scalar(
                    "INSERT INTO call_recipients (call_id, address_id, language, called_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (call_id, address_id) DO NOTHING \
                 RETURNING address_id",
                )
                .bind(call.get())
                .bind(address.get())
                .bind(language)
                .bind(now)
                .fetch_optional(&mut **transaction)
                .await?
            });
        Ok(recorded.is_some())
    }
}
