//! Data protection as the shell runs it: `purge` removes what is past its retention time
//! in batches, `forget` erases one person in one transaction and logs it, and
//! `export_person` gathers everything held about an address. The decisions are
//! `crate::privacy`'s; the rows are the store's.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{
    EmailAddress, Introduction, IntroductionId, Mobility, MobilityDetails, MobilityId, Submission,
    SubmissionDetails, SubmissionId,
};
use crate::mail::{Kind, Outcome};
use crate::privacy::{
    ErasureCounts, HeldRecord, Person, PurgeReport, RetainedKind, RetentionSettings,
    address_sha256, contact_retention_start, due_records, organisation_pseudonym,
};
use crate::store::{
    ErasureRecord, OrganisationActivity, OrganisationRecord, Store, StoreError, Tx,
};

/// Records looked at, and changed, per transaction by `purge`.
const PURGE_BATCH: i64 = 500;

/// The last answer of an outbox message that was still queued when its recipient was
/// erased: it is never sent.
const ERASED_BEFORE_SENDING: &str = "not sent: the recipient's personal data was erased";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Change the data.
    Apply,
    /// Count what would change, and change nothing.
    DryRun,
}

/// Removes or blanks every record past its retention time at `now`, kind by kind, in
/// transactions of at most [`PURGE_BATCH`] records. A second run at the same time finds
/// nothing left to do.
pub async fn purge(
    store: &Store,
    settings: &RetentionSettings,
    now: DateTime<Utc>,
    mode: Mode,
) -> Result<PurgeReport, StoreError> {
    let mut report = PurgeReport {
        dry_run: mode == Mode::DryRun,
        ..PurgeReport::default()
    };
    // In a dry run nothing is deleted, so a rejected message would be counted again when
    // its raw bytes come due; a real run finds it gone.
    let mut counted_as_deleted: HashSet<i64> = HashSet::new();
    for kind in RetainedKind::ALL {
        let cutoff = settings.cutoff(kind, now);
        let mut after = 0;
        loop {
            let mut transaction = store.begin().await?;
            let batch = held_batch(&mut transaction, kind, cutoff, after).await?;
            let mut changed = 0;
            for record in due_records(settings, now, &batch.held) {
                let done = match mode {
                    Mode::DryRun => match kind {
                        RetainedKind::RejectedMessage => counted_as_deleted.insert(record.id),
                        RetainedKind::RawMessage => !counted_as_deleted.contains(&record.id),
                        RetainedKind::SentMailBody | RetainedKind::ClosedContact => true,
                    },
                    Mode::Apply => apply(&mut transaction, &batch, &record).await?,
                };
                changed += u64::from(done);
            }
            transaction.commit().await?;
            report.add(kind, changed);
            match batch.last_key {
                Some(last_key) if batch.looked_at == PURGE_BATCH => after = last_key,
                _ => break,
            }
        }
    }
    Ok(report)
}

/// One batch of records of a kind that still hold what retention removes.
struct HeldBatch {
    held: Vec<HeldRecord>,
    /// For organisations: the last change each had when read, so that one given again
    /// since is left alone.
    organisations_read: Vec<OrganisationActivity>,
    /// How many rows the batch looked at, and the last one's key, to read the next batch.
    looked_at: i64,
    last_key: Option<i64>,
}

async fn held_batch(
    transaction: &mut Tx<'_>,
    kind: RetainedKind,
    cutoff: DateTime<Utc>,
    after: i64,
) -> Result<HeldBatch, StoreError> {
    let held = match kind {
        RetainedKind::RejectedMessage => {
            let outcomes = [Outcome::Rejected.value(), Outcome::Unrecognised.value()];
            transaction
                .held_rejected_messages(&outcomes, cutoff, after, PURGE_BATCH)
                .await?
        }
        RetainedKind::RawMessage => {
            transaction
                .held_raw_messages(cutoff, after, PURGE_BATCH)
                .await?
        }
        RetainedKind::SentMailBody => {
            transaction
                .held_sent_mail_bodies(cutoff, after, PURGE_BATCH)
                .await?
        }
        RetainedKind::ClosedContact => {
            let organisations = transaction
                .organisations_holding_contacts(cutoff, after, PURGE_BATCH)
                .await?;
            return Ok(HeldBatch {
                looked_at: organisations.len() as i64,
                last_key: organisations
                    .last()
                    .map(|organisation| organisation.id.get()),
                held: organisations
                    .iter()
                    .filter_map(|organisation| {
                        let since = contact_retention_start(
                            organisation.updated_at,
                            &organisation.submissions,
                        )?;
                        Some(HeldRecord {
                            kind,
                            id: organisation.id.get(),
                            since,
                        })
                    })
                    .collect(),
                organisations_read: organisations,
            });
        }
    };
    Ok(HeldBatch {
        looked_at: held.len() as i64,
        last_key: held.last().map(|record| record.id),
        held,
        organisations_read: Vec::new(),
    })
}

async fn apply(
    transaction: &mut Tx<'_>,
    batch: &HeldBatch,
    record: &HeldRecord,
) -> Result<bool, StoreError> {
    match record.kind {
        RetainedKind::RejectedMessage => transaction.delete_inbound_message(record.id).await,
        RetainedKind::RawMessage => transaction.drop_raw_message(record.id).await,
        RetainedKind::SentMailBody => transaction.blank_outbox_body(record.id).await,
        RetainedKind::ClosedContact => {
            let Some(read) = batch
                .organisations_read
                .iter()
                .find(|organisation| organisation.id.get() == record.id)
            else {
                return Ok(false);
            };
            let pseudonym = organisation_pseudonym(record.id);
            Ok(transaction
                .erase_organisation_contact(read.id, &pseudonym, Some(read.updated_at))
                .await?
                .is_some())
        }
    }
}

/// What `forget` did, or would do in a dry run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForgetReport {
    pub dry_run: bool,
    pub erased_at: DateTime<Utc>,
    /// When the same address was erased before, according to the erasure log.
    pub erased_before: Vec<DateTime<Utc>>,
    pub counts: ErasureCounts,
}

/// Erases a person in one transaction: their organisations' contact becomes a
/// pseudonym and their submissions' notes are blanked; their inbound messages are
/// deleted and the raw text of messages about their records dropped; mail to them is
/// blanked (and never sent if still queued); every other mention of their address or
/// names in free text is replaced; and the erasure is logged with `by`, the time and the
/// counts, under a hash of the address. Mobilities keep their counts, so reports do not
/// change. In a dry run the same work is done and rolled back, so the counts are exact.
pub async fn forget(
    store: &Store,
    address: &EmailAddress,
    by: &str,
    now: DateTime<Utc>,
    mode: Mode,
) -> Result<ForgetReport, StoreError> {
    let mut transaction = store.begin().await?;
    let hash = address_sha256(address);
    let erased_before = transaction
        .erasures_of(&hash)
        .await?
        .into_iter()
        .map(|erasure| erasure.erased_at)
        .collect();
    let held = PersonRecords::read(&mut transaction, address).await?;
    let person = Person::new(
        address.clone(),
        held.organisations
            .iter()
            .map(|organisation| organisation.contact_name.clone()),
    );
    let mut counts = ErasureCounts {
        organisations: held.organisations.len() as u64,
        introductions: held.introductions.len() as u64,
        mobilities: held.mobilities.len() as u64,
        ..ErasureCounts::default()
    };
    for organisation in &held.organisations {
        let pseudonym = organisation_pseudonym(organisation.id.get());
        counts.submissions += transaction
            .erase_organisation_contact(organisation.id, &pseudonym, None)
            .await?
            .unwrap_or(0);
    }
    counts.messages_deleted = transaction.delete_inbound_messages_from(address).await?;
    let references = held
        .submissions
        .iter()
        .map(|submission| submission.id.to_string())
        .chain(
            held.introductions
                .iter()
                .map(|introduction| introduction.id.to_string()),
        );
    for reference in references {
        counts.messages_stripped += transaction.strip_inbound_messages_about(&reference).await?;
    }
    counts.outbox_messages = transaction
        .erase_outbox_recipient(address, ERASED_BEFORE_SENDING)
        .await?;
    counts.mentions = transaction.erase_mentions(&person).await?;
    transaction.insert_erasure(&hash, now, by, &counts).await?;
    match mode {
        Mode::Apply => transaction.commit().await?,
        Mode::DryRun => drop(transaction),
    }
    Ok(ForgetReport {
        dry_run: mode == Mode::DryRun,
        erased_at: now,
        erased_before,
        counts,
    })
}

/// Everything held about one address, as `export-person` writes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PersonExport {
    pub address: EmailAddress,
    pub exported_at: DateTime<Utc>,
    pub organisations: Vec<OrganisationRecord>,
    pub submissions: Vec<SubmissionExport>,
    pub introductions: Vec<IntroductionExport>,
    pub mobilities: Vec<MobilityExport>,
    /// Messages from the address, with their text while it is kept.
    pub messages_received: Vec<ReceivedMessageExport>,
    /// Messages to the address.
    pub messages_sent: Vec<SentMessageExport>,
    /// Earlier erasures of the address, from the erasure log.
    pub erasures: Vec<ErasureRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubmissionExport {
    pub reference: SubmissionId,
    pub status: &'static str,
    pub source: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub details: SubmissionDetails,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntroductionExport {
    pub reference: IntroductionId,
    pub offer: SubmissionId,
    pub request: SubmissionId,
    pub status: &'static str,
    pub score: f64,
    pub reasons: Vec<String>,
    pub host_answer: Option<&'static str>,
    pub host_answered_at: Option<DateTime<Utc>>,
    pub sender_answer: Option<&'static str>,
    pub sender_answered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MobilityExport {
    pub reference: MobilityId,
    pub source: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub details: MobilityDetails,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReceivedMessageExport {
    pub message_id: String,
    pub received_at: DateTime<Utc>,
    pub subject: String,
    pub outcome: String,
    pub kind: Option<String>,
    pub reference: Option<String>,
    pub errors: Vec<crate::store::InboundError>,
    /// The message as it arrived, while its retention time lasts.
    pub raw: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentMessageExport {
    pub message_id: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub status: &'static str,
    pub recipients: Vec<EmailAddress>,
    pub subject: String,
    pub body_text: String,
}

/// Everything held about `address`, read in one transaction so that it is consistent.
pub async fn export_person(
    store: &Store,
    address: &EmailAddress,
    now: DateTime<Utc>,
) -> Result<PersonExport, StoreError> {
    let mut transaction = store.begin().await?;
    let held = PersonRecords::read(&mut transaction, address).await?;
    let messages_sent = transaction
        .outbox_messages_to(address)
        .await?
        .into_iter()
        .map(|message| SentMessageExport {
            message_id: message.message.message_id,
            created_at: message.message.created_at,
            sent_at: message.sent_at,
            status: message.status.value(),
            recipients: message.message.recipients,
            subject: message.message.subject,
            body_text: message.message.body_text,
        })
        .collect();
    let erasures = transaction.erasures_of(&address_sha256(address)).await?;
    let answer = |side: Option<crate::domain::SideAnswer>| side.map(|side| side.answer.value());
    let answered_at = |side: Option<crate::domain::SideAnswer>| side.map(|side| side.at);
    Ok(PersonExport {
        address: address.clone(),
        exported_at: now,
        submissions: held
            .submissions
            .into_iter()
            .map(|submission| SubmissionExport {
                reference: submission.id,
                status: submission.status.value(),
                source: submission.source.value(),
                created_at: submission.created_at,
                updated_at: submission.updated_at,
                details: submission.details,
            })
            .collect(),
        introductions: held
            .introductions
            .into_iter()
            .map(|introduction| IntroductionExport {
                reference: introduction.id,
                offer: introduction.offer,
                request: introduction.request,
                status: introduction.status.value(),
                score: introduction.score,
                reasons: introduction.reasons,
                host_answer: answer(introduction.host_answer),
                host_answered_at: answered_at(introduction.host_answer),
                sender_answer: answer(introduction.sender_answer),
                sender_answered_at: answered_at(introduction.sender_answer),
                created_at: introduction.created_at,
            })
            .collect(),
        mobilities: held
            .mobilities
            .into_iter()
            .map(|mobility| MobilityExport {
                reference: mobility.id,
                source: mobility.source.value(),
                created_at: mobility.created_at,
                updated_at: mobility.updated_at,
                details: mobility.details,
            })
            .collect(),
        messages_received: held
            .messages_received
            .into_iter()
            .map(|message| ReceivedMessageExport {
                message_id: message.message.message_id,
                received_at: message.message.received_at,
                subject: message.message.subject,
                outcome: message.message.outcome,
                kind: message.message.kind,
                reference: message.message.reference,
                errors: message.message.errors,
                raw: message
                    .message
                    .raw
                    .map(|raw| String::from_utf8_lossy(&raw).into_owned()),
            })
            .collect(),
        organisations: held.organisations,
        messages_sent,
        erasures,
    })
}

/// The records tied to an address: the organisations it is the contact of, their
/// submissions and the introductions of those, the mobilities from those introductions
/// or reported by the address, and the messages it sent.
struct PersonRecords {
    organisations: Vec<OrganisationRecord>,
    submissions: Vec<Submission>,
    introductions: Vec<Introduction>,
    mobilities: Vec<Mobility>,
    messages_received: Vec<crate::store::InboundMessage>,
}

impl PersonRecords {
    async fn read(
        transaction: &mut Tx<'_>,
        address: &EmailAddress,
    ) -> Result<PersonRecords, StoreError> {
        let organisations = transaction.organisations_of(address).await?;
        let mut submissions = Vec::new();
        for organisation in &organisations {
            for id in transaction
                .submissions_of_organisation(organisation.id)
                .await?
            {
                submissions.push(transaction.submission(id).await?);
            }
        }
        let mut introductions: Vec<Introduction> = Vec::new();
        for submission in &submissions {
            for introduction in transaction
                .introductions_of_submission(submission.id)
                .await?
            {
                if !introductions
                    .iter()
                    .any(|known| known.id == introduction.id)
                {
                    introductions.push(introduction);
                }
            }
        }
        introductions.sort_by_key(|introduction| introduction.id);
        let mut mobilities: Vec<Mobility> = Vec::new();
        for introduction in &introductions {
            mobilities.extend(
                transaction
                    .mobilities_of_introduction(introduction.id)
                    .await?,
            );
        }
        let messages_received = transaction.inbound_messages_from(address).await?;
        let reported = messages_received
            .iter()
            .filter(|message| message.message.kind.as_deref() == Some(Kind::MobilityReport.value()))
            .filter_map(|message| message.message.reference.as_deref())
            .filter_map(|reference| MobilityId::parse(reference).ok());
        for id in reported.collect::<Vec<_>>() {
            if !mobilities.iter().any(|known| known.id == id)
                && let Some(mobility) = transaction.mobility(id).await?
            {
                mobilities.push(mobility);
            }
        }
        mobilities.sort_by_key(|mobility| mobility.id);
        Ok(PersonRecords {
            organisations,
            submissions,
            introductions,
            mobilities,
            messages_received,
        })
    }
}
