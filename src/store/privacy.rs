//! Data protection in the database: the register of the columns that may hold personal
//! data ([`PERSONAL_DATA`]), and the reads and writes of `purge`, `forget` and
//! `export-person`. Which records are due and how a mention is erased is decided in
//! `crate::privacy`; this module only finds rows and changes them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::StoreError;
use super::records::{InboundMessage, OrganisationId, OutboxMessage, OutboxStatus};
use super::rows::{
    INBOUND_MESSAGE_COLUMNS, InboundMessageRow, IntroductionRow, MOBILITY_COLUMNS, MobilityRow,
    OUTBOX_COLUMNS, OutboxRow, parse,
};
use super::writes::{Transaction, Tx};
use crate::domain::{
    EmailAddress, Introduction, IntroductionId, Mobility, MobilityId, SubmissionId,
    SubmissionStatus,
};
use crate::privacy::{
    ERASED_RECIPIENT, ErasureCounts, HeldRecord, PSEUDONYM_DOMAIN, Person, RetainedKind,
};

/// How `forget` treats a text (or byte) column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonalData {
    /// Codes, states, times, counts, hashes and references: nothing about a person.
    NotPersonal,
    /// Free text that may quote anybody's name or address: every mention of the erased
    /// person is replaced by `[erased]`, in whichever row it is.
    Mentions,
    /// Bytes that may quote anybody (a message as it arrived): dropped (set to NULL)
    /// wherever they mention the erased person, since they cannot be rewritten.
    Bytes,
    /// A contact's own name or address, or a whole message from or to them: a step of its
    /// own in `forget` (`crate::personal_data::forget`) pseudonymises, blanks or deletes it.
    Contact,
}

/// The text and byte columns of one table, each with how `forget` treats it.
#[derive(Debug)]
pub struct PersonalColumns {
    pub table: &'static str,
    /// The integer column that identifies a row, for rewriting `Mentions` columns; `None`
    /// for a table without any.
    pub key: Option<&'static str>,
    pub columns: &'static [(&'static str, PersonalData)],
    /// Columns set to NULL in a row where a mention was found, because they hold the same
    /// text in a form that cannot be rewritten (the raw bytes of a message).
    pub dropped_with_a_mention: &'static [&'static str],
}

use PersonalData::{Bytes, Contact, Mentions, NotPersonal};

/// Every text and byte column of every table (dates and times too, which SQLite keeps as
/// text). A table or column added by a migration must be added here: the integration
/// test `every_text_column_is_classified` compares this list with both schemas, and the
/// erasure test searches every text column for the erased person.
pub const PERSONAL_DATA: &[PersonalColumns] = &[
    PersonalColumns {
        table: "organisations",
        key: Some("id"),
        columns: &[
            ("name", Mentions),
            ("name_key", Mentions),
            ("contact_name", Contact),
            ("contact_email", Contact),
            ("region", NotPersonal),
            ("country", NotPersonal),
            ("created_at", NotPersonal),
            ("updated_at", NotPersonal),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "submissions",
        key: Some("id"),
        columns: &[
            ("role", NotPersonal),
            ("mobility_type", NotPersonal),
            ("fields", NotPersonal),
            ("earliest_start", NotPersonal),
            ("latest_end", NotPersonal),
            ("languages", NotPersonal),
            ("partner_countries", NotPersonal),
            // Blanked whole for the person's own submissions; mentions elsewhere.
            ("notes", Mentions),
            ("status", NotPersonal),
            ("source", NotPersonal),
            ("created_at", NotPersonal),
            ("updated_at", NotPersonal),
            ("renewal_requested_at", NotPersonal),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "inbound_messages",
        key: Some("id"),
        columns: &[
            ("message_id", Mentions),
            ("raw_sha256", NotPersonal),
            // The person's own messages are deleted whole.
            ("sender", Contact),
            ("subject", Mentions),
            ("received_at", NotPersonal),
            ("classification", NotPersonal),
            ("outcome", NotPersonal),
            ("kind", NotPersonal),
            ("reference", NotPersonal),
            ("errors", Mentions),
            // Also dropped for messages about the person's records, and with a mention in
            // the other columns.
            ("raw", Bytes),
            ("cut_off_text", Mentions),
        ],
        dropped_with_a_mention: &["raw"],
    },
    PersonalColumns {
        table: "outbox",
        key: Some("id"),
        columns: &[
            ("message_id", NotPersonal),
            // The person's address is replaced, and the body of mail to them blanked.
            ("recipients", Contact),
            ("subject", Mentions),
            ("body_text", Mentions),
            ("body_html", Mentions),
            ("headers", Mentions),
            ("status", NotPersonal),
            ("next_attempt_at", NotPersonal),
            ("last_answer", Mentions),
            ("created_at", NotPersonal),
            ("sent_at", NotPersonal),
            ("claimed_until", NotPersonal),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "outbox_attachments",
        key: Some("id"),
        columns: &[
            ("filename", NotPersonal),
            ("content_type", NotPersonal),
            ("content_id", NotPersonal),
            ("content", Bytes),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "job_runs",
        key: Some("id"),
        columns: &[
            ("job", NotPersonal),
            ("slot", NotPersonal),
            ("trigger", NotPersonal),
            ("instance", NotPersonal),
            ("started_at", NotPersonal),
            ("finished_at", NotPersonal),
            ("outcome", NotPersonal),
            ("counts", NotPersonal),
            // A failed delivery or fetch can quote a server's answer naming an address.
            ("error", Mentions),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "rounds",
        key: Some("id"),
        columns: &[("started_at", NotPersonal), ("parameters", NotPersonal)],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "introductions",
        key: Some("id"),
        columns: &[
            ("reasons", Mentions),
            ("status", NotPersonal),
            ("host_answer", NotPersonal),
            ("host_answered_at", NotPersonal),
            ("sender_answer", NotPersonal),
            ("sender_answered_at", NotPersonal),
            ("introduced_at", NotPersonal),
            ("host_reminded_at", NotPersonal),
            ("sender_reminded_at", NotPersonal),
            ("created_at", NotPersonal),
            ("updated_at", NotPersonal),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "mobilities",
        key: Some("id"),
        columns: &[
            ("sending_organisation", Mentions),
            ("sending_region", NotPersonal),
            ("receiving_organisation", Mentions),
            ("receiving_region", NotPersonal),
            ("receiving_country", NotPersonal),
            ("mobility_type", NotPersonal),
            ("start_date", NotPersonal),
            ("end_date", NotPersonal),
            ("status", NotPersonal),
            ("source", NotPersonal),
            ("completion_requested_at", NotPersonal),
            ("import_key", NotPersonal),
            ("created_at", NotPersonal),
            ("updated_at", NotPersonal),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "population",
        key: None,
        columns: &[("region", NotPersonal), ("updated_at", NotPersonal)],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "admin_password",
        key: Some("id"),
        // The secretariat's own password hash: about no organisation's contact.
        columns: &[("hash", NotPersonal), ("updated_at", NotPersonal)],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "erasures",
        key: Some("id"),
        columns: &[
            ("address_sha256", NotPersonal),
            ("erased_at", NotPersonal),
            // The member of the secretariat who asked for the erasure.
            ("erased_by", NotPersonal),
            ("counts", NotPersonal),
        ],
        dropped_with_a_mention: &[],
    },
    // Outreach keeps addresses only as hashes, so an unsubscribe outlives an erasure.
    PersonalColumns {
        table: "outreach_addresses",
        key: Some("id"),
        columns: &[
            ("address_sha256", NotPersonal),
            ("unsubscribed_at", NotPersonal),
            ("unsubscribed_via", NotPersonal),
            ("undeliverable_at", NotPersonal),
        ],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "calls",
        key: Some("id"),
        columns: &[("round_date", NotPersonal), ("started_at", NotPersonal)],
        dropped_with_a_mention: &[],
    },
    PersonalColumns {
        table: "call_recipients",
        key: None,
        columns: &[("language", NotPersonal), ("called_at", NotPersonal)],
        dropped_with_a_mention: &[],
    },
];

/// Rows read or rewritten per query when a whole table is searched.
const SEARCH_BATCH: i64 = 500;

/// An organisation as stored, for `export-person`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrganisationRecord {
    #[serde(skip)]
    pub id: OrganisationId,
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub region: String,
    pub country: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An organisation that may hold contact details past their time: its last change and
/// each of its submissions' status and last change.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganisationActivity {
    pub id: OrganisationId,
    pub updated_at: DateTime<Utc>,
    pub submissions: Vec<(SubmissionStatus, DateTime<Utc>)>,
}

/// One entry of the erasure log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErasureRecord {
    pub erased_at: DateTime<Utc>,
    pub erased_by: String,
    pub counts: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct OrganisationRow {
    id: i64,
    name: String,
    contact_name: String,
    contact_email: String,
    region: String,
    country: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Tx<'_> {
    /// Rejected or unrecognised inbound messages received at or before `cutoff`, after
    /// row `after`, at most `limit`; `outcomes` are the mail module's names for both.
    pub async fn held_rejected_messages(
        &mut self,
        outcomes: &[&str],
        cutoff: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<HeldRecord>, StoreError> {
        let placeholders: Vec<String> = (0..outcomes.len())
            .map(|index| format!("${}", index + 4))
            .collect();
        let sql = format!(
            "SELECT id, received_at FROM inbound_messages \
             WHERE id > $1 AND received_at <= $2 AND outcome IN ({}) ORDER BY id LIMIT $3",
            placeholders.join(", ")
        );
        let rows: Vec<(i64, DateTime<Utc>)> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                let mut query = sqlx::query_as(&sql).bind(after).bind(cutoff).bind(limit);
                for outcome in outcomes {
                    query = query.bind(*outcome);
                }
                query.fetch_all(&mut **transaction).await?
            });
        Ok(held(RetainedKind::RejectedMessage, rows))
    }

    /// Inbound messages received at or before `cutoff` that still hold raw bytes or
    /// cut-off text.
    pub async fn held_raw_messages(
        &mut self,
        cutoff: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<HeldRecord>, StoreError> {
        let rows: Vec<(i64, DateTime<Utc>)> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT id, received_at FROM inbound_messages \
                     WHERE id > $1 AND received_at <= $2 \
                     AND (raw IS NOT NULL OR cut_off_text IS NOT NULL) ORDER BY id LIMIT $3",
                )
                .bind(after)
                .bind(cutoff)
                .bind(limit)
                .fetch_all(&mut **transaction)
                .await?
            });
        Ok(held(RetainedKind::RawMessage, rows))
    }

    /// Outbox messages sent at or before `cutoff` that still hold a body.
    pub async fn held_sent_mail_bodies(
        &mut self,
        cutoff: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<HeldRecord>, StoreError> {
        let rows: Vec<(i64, DateTime<Utc>)> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT id, sent_at FROM outbox \
                     WHERE id > $1 AND status = $2 AND sent_at <= $3 \
                     AND (body_text <> '' OR body_html IS NOT NULL) ORDER BY id LIMIT $4",
                )
                .bind(after)
                .bind(OutboxStatus::Sent.value())
                .bind(cutoff)
                .bind(limit)
                .fetch_all(&mut **transaction)
                .await?
            });
        Ok(held(RetainedKind::SentMailBody, rows))
    }

    /// Organisations that still hold a contact and changed last at or before `cutoff`,
    /// with their submissions: the candidates whose contact details may be past their time.
    pub async fn organisations_holding_contacts(
        &mut self,
        cutoff: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<OrganisationActivity>, StoreError> {
        let pseudonyms = format!("%@{PSEUDONYM_DOMAIN}");
        let organisations: Vec<(i64, DateTime<Utc>)> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT id, updated_at FROM organisations \
                     WHERE id > $1 AND updated_at <= $2 AND contact_email NOT LIKE $3 \
                     ORDER BY id LIMIT $4",
                )
                .bind(after)
                .bind(cutoff)
                .bind(&pseudonyms)
                .bind(limit)
                .fetch_all(&mut **transaction)
                .await?
            });
        let (Some((first, _)), Some((last, _))) = (organisations.first(), organisations.last())
        else {
            return Ok(Vec::new());
        };
        let submissions: Vec<(i64, String, DateTime<Utc>)> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT organisation_id, status, updated_at FROM submissions \
                     WHERE organisation_id >= $1 AND organisation_id <= $2",
                )
                .bind(*first)
                .bind(*last)
                .fetch_all(&mut **transaction)
                .await?
            });
        let mut activities: Vec<OrganisationActivity> = organisations
            .into_iter()
            .map(|(id, updated_at)| OrganisationActivity {
                id: OrganisationId::new(id),
                updated_at,
                submissions: Vec::new(),
            })
            .collect();
        for (organisation, status, updated_at) in submissions {
            let status = parse(
                "submissions",
                "status",
                &status,
                SubmissionStatus::from_value,
            )?;
            if let Some(activity) = activities
                .iter_mut()
                .find(|activity| activity.id.get() == organisation)
            {
                activity.submissions.push((status, updated_at));
            }
        }
        Ok(activities)
    }

    /// Deletes an inbound message's record. Returns whether there was one.
    pub async fn delete_inbound_message(&mut self, id: i64) -> Result<bool, StoreError> {
        let deleted = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query("DELETE FROM inbound_messages WHERE id = $1")
                .bind(id)
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Drops an inbound message's raw bytes and cut-off text, keeping its record.
    pub async fn drop_raw_message(&mut self, id: i64) -> Result<bool, StoreError> {
        let dropped = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE inbound_messages SET raw = NULL, cut_off_text = NULL \
                 WHERE id = $1 AND (raw IS NOT NULL OR cut_off_text IS NOT NULL)",
            )
            .bind(id)
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        Ok(dropped > 0)
    }

    /// Blanks the body of an outbox message, keeping the record of its sending.
    pub async fn blank_outbox_body(&mut self, id: i64) -> Result<bool, StoreError> {
        let blanked = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE outbox SET body_text = '', body_html = NULL \
                 WHERE id = $1 AND (body_text <> '' OR body_html IS NOT NULL)",
            )
            .bind(id)
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        Ok(blanked > 0)
    }

    /// Replaces an organisation's contact by `pseudonym` and a blank name, and blanks the
    /// notes of its submissions (which often repeat the contact). With `unchanged_since`,
    /// only if the organisation's last change is still that one: a submission that gave
    /// the same contact again meanwhile keeps it. Returns how many submissions it had, or
    /// `None` when nothing was erased.
    pub async fn erase_organisation_contact(
        &mut self,
        id: OrganisationId,
        pseudonym: &str,
        unchanged_since: Option<DateTime<Utc>>,
    ) -> Result<Option<u64>, StoreError> {
        let changed = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE organisations SET contact_name = '', contact_email = $1 \
                 WHERE id = $2 AND ($3 IS NULL OR updated_at = $3)",
            )
            .bind(pseudonym)
            .bind(id.get())
            .bind(unchanged_since)
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Ok(None);
        }
        let submissions = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query("UPDATE submissions SET notes = '' WHERE organisation_id = $1")
                .bind(id.get())
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        Ok(Some(submissions))
    }

    /// The organisations whose contact address is `address`.
    pub async fn organisations_of(
        &mut self,
        address: &EmailAddress,
    ) -> Result<Vec<OrganisationRecord>, StoreError> {
        let rows: Vec<OrganisationRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT id, name, contact_name, contact_email, region, country, created_at, \
                     updated_at FROM organisations WHERE contact_email = $1 ORDER BY id",
                )
                .bind(address.as_str())
                .fetch_all(&mut **transaction)
                .await?
            });
        Ok(rows
            .into_iter()
            .map(|row| OrganisationRecord {
                id: OrganisationId::new(row.id),
                name: row.name,
                contact_name: row.contact_name,
                contact_email: row.contact_email,
                region: row.region,
                country: row.country,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
            .collect())
    }

    pub async fn submissions_of_organisation(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<SubmissionId>, StoreError> {
        let ids: Vec<i64> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_scalar("SELECT id FROM submissions WHERE organisation_id = $1 ORDER BY id")
                .bind(organisation.get())
                .fetch_all(&mut **transaction)
                .await?
        });
        Ok(ids.into_iter().map(SubmissionId::new).collect())
    }

    /// The introductions in which the submission is the offer or the request.
    pub async fn introductions_of_submission(
        &mut self,
        submission: SubmissionId,
    ) -> Result<Vec<Introduction>, StoreError> {
        let rows: Vec<IntroductionRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT id, round_id, offer_id, request_id, score, reasons, status, \
                     host_answer, host_answered_at, sender_answer, sender_answered_at, created_at \
                     FROM introductions WHERE offer_id = $1 OR request_id = $1 ORDER BY id",
                )
                .bind(submission.get())
                .fetch_all(&mut **transaction)
                .await?
            });
        rows.into_iter().map(Introduction::try_from).collect()
    }

    pub async fn mobilities_of_introduction(
        &mut self,
        introduction: IntroductionId,
    ) -> Result<Vec<Mobility>, StoreError> {
        let sql = format!(
            "SELECT {MOBILITY_COLUMNS} FROM mobilities WHERE introduction_id = $1 ORDER BY id"
        );
        let rows: Vec<MobilityRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&sql)
                    .bind(introduction.get())
                    .fetch_all(&mut **transaction)
                    .await?
            });
        rows.into_iter().map(Mobility::try_from).collect()
    }

    pub async fn mobility(&mut self, id: MobilityId) -> Result<Option<Mobility>, StoreError> {
        let sql = format!("SELECT {MOBILITY_COLUMNS} FROM mobilities WHERE id = $1");
        let row: Option<MobilityRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&sql)
                    .bind(id.get())
                    .fetch_optional(&mut **transaction)
                    .await?
            });
        row.map(Mobility::try_from).transpose()
    }

    /// The inbound messages whose sender is `address` (compared without case), oldest first.
    pub async fn inbound_messages_from(
        &mut self,
        address: &EmailAddress,
    ) -> Result<Vec<InboundMessage>, StoreError> {
        let sql = format!(
            "SELECT {INBOUND_MESSAGE_COLUMNS} FROM inbound_messages WHERE lower(sender) = $1 \
             ORDER BY id"
        );
        let rows: Vec<InboundMessageRow> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(&sql)
                    .bind(address.as_str())
                    .fetch_all(&mut **transaction)
                    .await?
            });
        rows.into_iter().map(InboundMessage::try_from).collect()
    }

    pub async fn delete_inbound_messages_from(
        &mut self,
        address: &EmailAddress,
    ) -> Result<u64, StoreError> {
        let deleted = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query("DELETE FROM inbound_messages WHERE lower(sender) = $1")
                .bind(address.as_str())
                .execute(&mut **transaction)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }

    /// Drops the raw bytes and cut-off text of the inbound messages that created or
    /// changed the record with this reference (`S-12`, `I-3`): they hold its contact.
    pub async fn strip_inbound_messages_about(
        &mut self,
        reference: &str,
    ) -> Result<u64, StoreError> {
        let stripped = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "UPDATE inbound_messages SET raw = NULL, cut_off_text = NULL \
                 WHERE reference = $1 AND (raw IS NOT NULL OR cut_off_text IS NOT NULL)",
            )
            .bind(reference)
            .execute(&mut **transaction)
            .await?
            .rows_affected()
        });
        Ok(stripped)
    }

    /// The outbox messages with `address` among their recipients, oldest first.
    pub async fn outbox_messages_to(
        &mut self,
        address: &EmailAddress,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = self.outbox_rows_to(address).await?;
        rows.into_iter().map(OutboxMessage::try_from).collect()
    }

    /// Erases `address` from the outbox: it is replaced among the recipients, the bodies
    /// of those messages are blanked, and a message still queued fails with `note` as its
    /// last answer instead of being sent. Returns how many messages changed.
    pub async fn erase_outbox_recipient(
        &mut self,
        address: &EmailAddress,
        note: &str,
    ) -> Result<u64, StoreError> {
        let rows = self.outbox_rows_to(address).await?;
        for row in &rows {
            let recipients: Vec<String> =
                serde_json::from_str(&row.recipients).map_err(|error| StoreError::Corrupt {
                    table: "outbox",
                    column: "recipients",
                    value: row.recipients.clone(),
                    expected: format!("a JSON list of addresses ({error})"),
                })?;
            let recipients: Vec<String> = recipients
                .into_iter()
                .map(|recipient| {
                    if recipient.eq_ignore_ascii_case(address.as_str()) {
                        ERASED_RECIPIENT.to_owned()
                    } else {
                        recipient
                    }
                })
                .collect();
            let recipients =
                serde_json::to_string(&recipients).expect("a list of texts always serialises");
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query(
                    "UPDATE outbox SET recipients = $1, body_text = '', body_html = NULL, \
                     last_answer = CASE WHEN status = $2 THEN $3 ELSE last_answer END, \
                     status = CASE WHEN status = $2 THEN $4 ELSE status END WHERE id = $5",
                )
                .bind(&recipients)
                .bind(OutboxStatus::Queued.value())
                .bind(note)
                .bind(OutboxStatus::Failed.value())
                .bind(row.id)
                .execute(&mut **transaction)
                .await?;
            });
        }
        Ok(rows.len() as u64)
    }

    async fn outbox_rows_to(
        &mut self,
        address: &EmailAddress,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE recipients LIKE $1 ESCAPE '\\' ORDER BY id"
        );
        let pattern = like_pattern(&format!("\"{}\"", address.as_str()));
        let rows: Vec<OutboxRow> = on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query_as(&sql)
                .bind(&pattern)
                .fetch_all(&mut **transaction)
                .await?
        });
        Ok(rows)
    }

    /// Replaces every mention of the person in every `Mentions` column of
    /// [`PERSONAL_DATA`] and drops the columns that go with a mention, then drops every
    /// `Bytes` value that mentions them. The database finds the rows whose text may
    /// mention them (ignoring ASCII case); `Person` decides. Bytes are read in batches and
    /// searched as text: a mention inside an encoded part (base64, quoted-printable) is
    /// not seen. Returns how many rows changed.
    pub async fn erase_mentions(&mut self, person: &Person) -> Result<u64, StoreError> {
        let mut changed = self.erase_text_mentions(person).await?;
        for table in PERSONAL_DATA {
            let Some(key) = table.key else {
                continue;
            };
            for (column, treatment) in table.columns {
                if *treatment == Bytes {
                    changed += self
                        .drop_bytes_mentioning(person, table.table, key, column)
                        .await?;
                }
            }
        }
        Ok(changed)
    }

    async fn drop_bytes_mentioning(
        &mut self,
        person: &Person,
        table: &str,
        key: &str,
        column: &str,
    ) -> Result<u64, StoreError> {
        let select = format!(
            "SELECT {key}, {column} FROM {table} WHERE {key} > $1 AND {column} IS NOT NULL \
             ORDER BY {key} LIMIT $2"
        );
        let update = format!("UPDATE {table} SET {column} = NULL WHERE {key} = $1");
        let mut dropped = 0;
        let mut after = i64::MIN;
        loop {
            let rows: Vec<(i64, Vec<u8>)> =
                on_backend!(Transaction, &mut self.transaction, |transaction| {
                    sqlx::query_as(&select)
                        .bind(after)
                        .bind(SEARCH_BATCH)
                        .fetch_all(&mut **transaction)
                        .await?
                });
            for (row_key, bytes) in &rows {
                if person.is_mentioned_in_bytes(bytes) {
                    on_backend!(Transaction, &mut self.transaction, |transaction| {
                        sqlx::query(&update)
                            .bind(*row_key)
                            .execute(&mut **transaction)
                            .await?;
                    });
                    dropped += 1;
                }
            }
            match rows.last() {
                Some((last_key, _)) if rows.len() as i64 == SEARCH_BATCH => after = *last_key,
                _ => break,
            }
        }
        Ok(dropped)
    }

    async fn erase_text_mentions(&mut self, person: &Person) -> Result<u64, StoreError> {
        let patterns: Vec<String> = person
            .search_texts()
            .into_iter()
            .map(like_pattern)
            .collect();
        let mut changed = 0;
        for table in PERSONAL_DATA {
            let columns: Vec<&str> = table
                .columns
                .iter()
                .filter(|(_, treatment)| *treatment == Mentions)
                .map(|(column, _)| *column)
                .collect();
            let Some(key) = table.key.filter(|_| !columns.is_empty()) else {
                continue;
            };
            let conditions: Vec<String> = columns
                .iter()
                .flat_map(|column| {
                    (0..patterns.len()).map(move |index| {
                        format!("lower({column}) LIKE lower(${}) ESCAPE '\\'", index + 3)
                    })
                })
                .collect();
            let select = format!(
                "SELECT {key}, {columns} FROM {table} WHERE {key} > $1 AND ({conditions}) \
                 ORDER BY {key} LIMIT $2",
                columns = columns.join(", "),
                table = table.table,
                conditions = conditions.join(" OR "),
            );
            let mut after = i64::MIN;
            loop {
                let rows: Vec<(i64, Vec<Option<String>>)> =
                    on_backend!(Transaction, &mut self.transaction, |transaction| {
                        let mut query = sqlx::query(&select).bind(after).bind(SEARCH_BATCH);
                        for pattern in &patterns {
                            query = query.bind(pattern);
                        }
                        let rows = query.fetch_all(&mut **transaction).await?;
                        rows.iter()
                            .map(|row| {
                                let row_key: i64 = row.try_get(0)?;
                                let values = (1..=columns.len())
                                    .map(|index| row.try_get::<Option<String>, _>(index))
                                    .collect::<Result<Vec<_>, _>>()?;
                                Ok((row_key, values))
                            })
                            .collect::<Result<Vec<_>, sqlx::Error>>()?
                    });
                for (row_key, values) in &rows {
                    let rewritten: Vec<(&str, String)> = columns
                        .iter()
                        .zip(values)
                        .filter_map(|(column, value)| {
                            let erased = person.erase_mentions(value.as_deref()?)?;
                            Some((*column, erased))
                        })
                        .collect();
                    if rewritten.is_empty() {
                        continue;
                    }
                    let mut assignments: Vec<String> = rewritten
                        .iter()
                        .enumerate()
                        .map(|(index, (column, _))| format!("{column} = ${}", index + 2))
                        .collect();
                    assignments.extend(
                        table
                            .dropped_with_a_mention
                            .iter()
                            .map(|column| format!("{column} = NULL")),
                    );
                    let update = format!(
                        "UPDATE {} SET {} WHERE {key} = $1",
                        table.table,
                        assignments.join(", "),
                    );
                    on_backend!(Transaction, &mut self.transaction, |transaction| {
                        let mut query = sqlx::query(&update).bind(*row_key);
                        for (_, value) in &rewritten {
                            query = query.bind(value);
                        }
                        query.execute(&mut **transaction).await?;
                    });
                    changed += 1;
                }
                match rows.last() {
                    Some((last_key, _)) if rows.len() as i64 == SEARCH_BATCH => after = *last_key,
                    _ => break,
                }
            }
        }
        Ok(changed)
    }

    /// Writes an entry of the erasure log.
    pub async fn insert_erasure(
        &mut self,
        address_sha256: &str,
        erased_at: DateTime<Utc>,
        erased_by: &str,
        counts: &ErasureCounts,
    ) -> Result<(), StoreError> {
        let counts = serde_json::to_string(counts).expect("counts always serialise");
        on_backend!(Transaction, &mut self.transaction, |transaction| {
            sqlx::query(
                "INSERT INTO erasures (address_sha256, erased_at, erased_by, counts) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(address_sha256)
            .bind(erased_at)
            .bind(erased_by)
            .bind(&counts)
            .execute(&mut **transaction)
            .await?;
        });
        Ok(())
    }

    /// The erasure log's entries for an address hash, oldest first.
    pub async fn erasures_of(
        &mut self,
        address_sha256: &str,
    ) -> Result<Vec<ErasureRecord>, StoreError> {
        let rows: Vec<(DateTime<Utc>, String, String)> =
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query_as(
                    "SELECT erased_at, erased_by, counts FROM erasures \
                     WHERE address_sha256 = $1 ORDER BY id",
                )
                .bind(address_sha256)
                .fetch_all(&mut **transaction)
                .await?
            });
        rows.into_iter()
            .map(|(erased_at, erased_by, counts)| {
                let counts =
                    serde_json::from_str(&counts).map_err(|error| StoreError::Corrupt {
                        table: "erasures",
                        column: "counts",
                        value: counts.clone(),
                        expected: format!("JSON written by mobmatch ({error})"),
                    })?;
                Ok(ErasureRecord {
                    erased_at,
                    erased_by,
                    counts,
                })
            })
            .collect()
    }
}

fn held(kind: RetainedKind, rows: Vec<(i64, DateTime<Utc>)>) -> Vec<HeldRecord> {
    rows.into_iter()
        .map(|(id, since)| HeldRecord { kind, id, since })
        .collect()
}

/// A `LIKE … ESCAPE '\'` pattern that finds `text` anywhere.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in text.chars() {
        if matches!(character, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_the_wildcards() {
        assert_eq!(like_pattern("a_b%c\\d"), "%a\\_b\\%c\\\\d%");
    }

    #[test]
    fn every_table_names_a_column_once_and_a_key_when_it_has_mentions() {
        for table in PERSONAL_DATA {
            let has_mentions = table
                .columns
                .iter()
                .any(|(_, treatment)| matches!(treatment, Mentions | Bytes));
            assert!(!has_mentions || table.key.is_some(), "{}", table.table);
            let mut names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), table.columns.len(), "{}", table.table);
        }
    }
}
