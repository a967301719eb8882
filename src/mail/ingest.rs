//! One inbound message, start to end: decode, classify (DESIGN.md section 4), and write
//! the inbound record, what it creates or changes, and our answer (into the outbox) in one
//! transaction, or behind one savepoint in a transaction that a batch of messages shares.
//! A crash at any point leaves all of it or none of it, and ingesting the same message
//! again changes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::answers::{
    Answer, PrivacyNotice, mobility_summary, submission_summary, submission_values, written_values,
};
use super::bounces::bounces;
use super::classify::{
    Classification, IgnoreReason, ReplyCommand, classify, ignore_reason, reply_command,
};
use super::decode::{DecodedMessage, decode};
use super::letters::LetterSettings;
use super::outreach::CallSettings;
use super::token::{self, TokenSubject};
use crate::config::Config;
use crate::domain::{
    EmailAddress, IntroductionId, Role, Source, SubmissionDetails, SubmissionId, SubmissionStatus,
};
use crate::forms::{
    FieldError, FieldKey, FieldSet, FormKind, FormLanguage, ReplyText, SubmissionContext,
    parse_submission,
};
use crate::introductions::{self, AnswerOutcome, CompletionOutcome};
use crate::outreach;
use crate::store::{
    InboundError, NewInboundMessage, NewOutboxMessage, Store, StoreError, Tx, UnsubscribeVia,
};

/// What ingestion needs of the configuration.
#[derive(Clone, Debug)]
pub struct MailRules {
    pub our_address: EmailAddress,
    pub secret: String,
    /// The public address of the web pages, for links in the emails we send.
    pub base_url: String,
    pub reply_limit_per_hour: u32,
    pub moderation: bool,
    /// What the answers that ask for data say about keeping it.
    pub privacy_notice: PrivacyNotice,
}

impl MailRules {
    /// What the emails of a call for submissions need of these rules.
    pub fn calls(&self) -> CallSettings {
        CallSettings {
            our_address: self.our_address.clone(),
            secret: self.secret.clone(),
            base_url: self.base_url.clone(),
            privacy_notice: self.privacy_notice.clone(),
        }
    }

    /// What the emails of an introduction need of these rules.
    pub fn letters(&self) -> LetterSettings {
        LetterSettings {
            our_address: self.our_address.clone(),
            secret: self.secret.clone(),
            base_url: self.base_url.clone(),
            privacy_notice: self.privacy_notice.clone(),
        }
    }

    pub fn from_config(config: &Config) -> MailRules {
        MailRules {
            our_address: config.mail.address.clone(),
            secret: config.secret.expose_secret().to_owned(),
            base_url: config.web.base_url.clone(),
            reply_limit_per_hour: config.mail.reply_limit_per_hour,
            moderation: config.moderation,
            privacy_notice: PrivacyNotice::new(&config.retention.periods, config.privacy_contact()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    Rejected,
    Duplicate,
    Ignored,
    Unrecognised,
    /// The database refused one of its writes; only its inbound record was kept.
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Submission,
    SubmissionUpdate,
    Withdrawal,
    IntroductionAnswer,
    MobilityReport,
    /// No more calls for submissions to the address.
    Unsubscribe,
    /// An open listing kept open (`RENEW`).
    Renewal,
}

impl Outcome {
    pub fn value(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
            Outcome::Unrecognised => "unrecognised",
            Outcome::Failed => "failed",
        }
    }
}

impl Kind {
    pub fn value(self) -> &'static str {
        match self {
            Kind::Submission => "submission",
            Kind::SubmissionUpdate => "submission_update",
            Kind::Withdrawal => "withdrawal",
            Kind::IntroductionAnswer => "introduction_answer",
            Kind::MobilityReport => "mobility_report",
            Kind::Unsubscribe => "unsubscribe",
            Kind::Renewal => "renewal",
        }
    }
}

/// What became of one message: the line `ingest --json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub source: String,
    pub message_id: String,
    pub outcome: Outcome,
    pub kind: Option<Kind>,
    pub reference: Option<String>,
    pub errors: Vec<InboundError>,
    /// Whether an answer was queued.
    pub answered: bool,
}

/// Ingests one message in its own transaction.
pub async fn ingest_message(
    store: &Store,
    rules: &MailRules,
    source: &str,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<IngestReport, StoreError> {
    let mut transaction = store.begin().await?;
    let message = prepare(rules, source, raw.to_vec(), now);
    let report = ingest_in(&mut transaction, rules, &message).await?;
    transaction.commit().await?;
    Ok(report)
}

/// A message decoded and classified, with the inbound record and report it starts from:
/// all of it that needs no database, so it can be made on another thread than the one
/// that writes.
pub(super) struct Prepared {
    decoded: DecodedMessage,
    plan: Plan,
    record: NewInboundMessage,
    report: IngestReport,
}

/// What a message is, as far as the message alone tells: why it is ignored, or its
/// classification and, for a submission, its form read.
enum Plan {
    Ignored(IgnoreReason),
    Classified(Box<Classified>),
}

struct Classified {
    classification: Classification,
    /// For a submission: its details, or every error of its form.
    submission: Option<Result<SubmissionDetails, Vec<FieldError>>>,
}

/// Decodes and classifies a message received at `now`, reads its form if it is a
/// submission, and names it by its Message-ID, or by the hash of its bytes when it has
/// none.
pub(super) fn prepare(
    rules: &MailRules,
    source: &str,
    raw: Vec<u8>,
    now: DateTime<Utc>,
) -> Prepared {
    let decoded = decode(&raw);
    let plan = match ignore_reason(&decoded, rules.our_address.as_str()) {
        Some(reason) => Plan::Ignored(reason),
        None => {
            let classification = classify(&decoded, rules.our_address.as_str());
            let submission = match &classification {
                Classification::Submission { fields, .. } => {
                    Some(parse_submission(fields, &submission_context(&decoded, now)))
                }
                _ => None,
            };
            Plan::Classified(Box::new(Classified {
                classification,
                submission,
            }))
        }
    };
    let raw_sha256 = hex_sha256(&raw);
    let message_key = match &decoded.message_id {
        Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => format!("sha256:{raw_sha256}"),
    };
    let report = IngestReport {
        source: source.to_owned(),
        message_id: message_key.clone(),
        outcome: Outcome::Ignored,
        kind: None,
        reference: None,
        errors: Vec::new(),
        answered: false,
    };
    let record = NewInboundMessage {
        message_id: message_key,
        raw_sha256,
        sender: decoded.sender.clone(),
        subject: decoded.subject.clone(),
        received_at: now,
        classification: String::new(),
        outcome: String::new(),
        kind: None,
        reference: None,
        errors: Vec::new(),
        raw: Some(raw),
        cut_off_text: None,
    };
    Prepared {
        decoded,
        plan,
        record,
        report,
    }
}

/// What a submission from this message is checked against besides its form.
fn submission_context(decoded: &DecodedMessage, now: DateTime<Utc>) -> SubmissionContext {
    SubmissionContext {
        today: now.date_naive(),
        sender: decoded
            .sender
            .as_deref()
            .and_then(|sender| EmailAddress::parse(sender).ok()),
    }
}

/// Ingests one message inside `transaction`, behind a savepoint of its own, so that many
/// messages can share one commit. The message is written whole, or, when the database
/// refuses one of its writes, only its inbound record is kept, with the outcome `failed`
/// and the refusal as its error; either way the transaction carries on. Reads go through
/// the transaction, so duplicate checks and reply limits see the messages before it.
async fn ingest_in(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    message: &Prepared,
) -> Result<IngestReport, StoreError> {
    let mut savepoint = transaction.savepoint().await?;
    let refusal = match write_message(&mut savepoint, rules, message, &mut Access::Direct).await {
        Ok(Written::Kept(report)) => {
            savepoint.commit().await?;
            return Ok(report);
        }
        Ok(Written::Duplicate(report) | Written::RecordedMeanwhile(report)) => return Ok(report),
        Err(error) if error.is_constraint_violation() => error,
        Err(error) => return Err(error),
    };
    // Dropping the savepoint undoes what the message wrote before the refusal.
    drop(savepoint);
    let record = &message.record;
    tracing::warn!(message_id = %record.message_id, error = %refusal, "the database refused a message; recorded as failed");
    let error = InboundError {
        field: "database".to_owned(),
        value: String::new(),
        message: refusal.to_string(),
    };
    let failed = NewInboundMessage {
        classification: "failed".to_owned(),
        outcome: Outcome::Failed.value().to_owned(),
        errors: vec![error.clone()],
        ..record.clone()
    };
    if transaction.insert_inbound_message(&failed).await?.is_none() {
        // Another fetch (a replica) stored the same message meanwhile, and what it
        // wrote is what the refusal met.
        return Ok(IngestReport {
            outcome: Outcome::Duplicate,
            ..message.report.clone()
        });
    }
    Ok(IngestReport {
        outcome: Outcome::Failed,
        errors: vec![error],
        ..message.report.clone()
    })
}

/// Ingests a batch of messages inside `transaction`, in order, as `ingest_in` would one by
/// one, with the same reports and writes. It first tries the whole batch behind one
/// savepoint, with the duplicates and the answers each sender got lately read for all
/// messages at once: a few statements per message instead of eight. When the database
/// refuses a write, or another process recorded one of the messages meanwhile, that try is
/// undone and the batch runs again one savepoint per message, so that a refused message
/// is recorded as `failed` and the others are kept.
pub(super) async fn ingest_batch(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    messages: &[Prepared],
) -> Result<Vec<IngestReport>, StoreError> {
    let mut attempt = transaction.savepoint().await?;
    match write_batch(&mut attempt, rules, messages).await {
        Ok(Some(reports)) => {
            attempt.commit().await?;
            return Ok(reports);
        }
        Ok(None) => {}
        Err(error) if error.is_constraint_violation() => {}
        Err(error) => return Err(error),
    }
    drop(attempt);
    let mut reports = Vec::with_capacity(messages.len());
    for message in messages {
        reports.push(ingest_in(transaction, rules, message).await?);
    }
    Ok(reports)
}

/// Writes every message of a batch with its lookups read up front and its records and
/// answers held back, or returns `None` when one of them has to be undone alone: it was
/// recorded by another process since.
async fn write_batch(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    messages: &[Prepared],
) -> Result<Option<Vec<IngestReport>>, StoreError> {
    let mut access = Access::Batched(Batched::read(transaction, rules, messages).await?);
    let mut reports = Vec::with_capacity(messages.len());
    for message in messages {
        match write_message(transaction, rules, message, &mut access).await? {
            Written::Kept(report) | Written::Duplicate(report) => reports.push(report),
            Written::RecordedMeanwhile(_) => return Ok(None),
        }
    }
    access.flush(transaction).await?;
    Ok(Some(reports))
}

/// How `write_message` reaches the database for what every message does: the duplicate
/// check, the reply limit of its sender, its inbound record and our answer. `Direct`
/// asks and writes as it goes. `Batched` has read the lookups of a whole batch at once and
/// keeps them up to date, and holds the records and answers back to write them many to
/// a statement (`flush`): at the end of the batch, and before anything else that reads
/// or adds to those tables.
enum Access {
    Direct,
    Batched(Batched),
}

struct Batched {
    /// The keys of the batch's messages recorded before it or by it so far.
    recorded: HashSet<String>,
    /// When mail to each sender of the batch (to that sender alone) was queued since
    /// `since`; a sender missing here is read when needed.
    queued: HashMap<String, Vec<DateTime<Utc>>>,
    /// An hour before the batch's first message: the earliest time a reply limit of the
    /// batch looks back to.
    since: DateTime<Utc>,
    records: Vec<NewInboundMessage>,
    /// The answers held back: rendered on other threads, `RENDERED_TOGETHER` at a time,
    /// while the writing goes on, and the last ones not handed on yet.
    rendering: Vec<tokio::task::JoinHandle<Vec<NewOutboxMessage>>>,
    to_render: Vec<AnswerToRender>,
    rules: Arc<MailRules>,
}

/// Answers rendered by one task on another thread: enough that handing them on costs
/// little beside rendering them, few enough that the last ones of a batch do not keep
/// its writing waiting.
const RENDERED_TOGETHER: usize = 50;

impl Batched {
    async fn read(
        transaction: &mut Tx<'_>,
        rules: &MailRules,
        messages: &[Prepared],
    ) -> Result<Batched, StoreError> {
        let keys: Vec<&str> = messages
            .iter()
            .map(|message| message.record.message_id.as_str())
            .collect();
        let senders: Vec<EmailAddress> = messages
            .iter()
            .filter_map(|message| message.decoded.sender.as_deref())
            .filter_map(|sender| EmailAddress::parse(sender).ok())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let since = messages
            .iter()
            .map(|message| message.record.received_at)
            .min()
            .unwrap_or_else(Utc::now)
            - REPLY_LIMIT_PERIOD;
        let mut queued = transaction.outbox_times_to_since(&senders, since).await?;
        for sender in &senders {
            queued.entry(sender.as_str().to_owned()).or_default();
        }
        Ok(Batched {
            recorded: transaction.recorded_inbound_messages(&keys).await?,
            queued,
            since,
            records: Vec::with_capacity(messages.len()),
            rendering: Vec::new(),
            to_render: Vec::with_capacity(RENDERED_TOGETHER),
            rules: Arc::new(rules.clone()),
        })
    }
}

/// The time over which `reply_limit_per_hour` counts answers.
const REPLY_LIMIT_PERIOD: Duration = Duration::hours(1);

impl Access {
    async fn recorded_before(
        &mut self,
        transaction: &mut Tx<'_>,
        message_key: &str,
    ) -> Result<bool, StoreError> {
        match self {
            Access::Direct => transaction.inbound_message_exists(message_key).await,
            Access::Batched(batched) => Ok(batched.recorded.contains(message_key)),
        }
    }

    /// Records an inbound message; `false`, writing nothing, when one with the same key
    /// was recorded before.
    async fn record(
        &mut self,
        transaction: &mut Tx<'_>,
        record: NewInboundMessage,
    ) -> Result<bool, StoreError> {
        let batched = match self {
            Access::Direct => {
                return Ok(transaction.insert_inbound_message(&record).await?.is_some());
            }
            Access::Batched(batched) => batched,
        };
        if !batched.recorded.insert(record.message_id.clone()) {
            return Ok(false);
        }
        batched.records.push(record);
        Ok(true)
    }

    /// How many outbox messages to `recipient` alone were queued at or after `since`.
    async fn queued_to_since(
        &mut self,
        transaction: &mut Tx<'_>,
        recipient: &EmailAddress,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let batched = match self {
            Access::Direct => return transaction.outbox_count_to_since(recipient, since).await,
            Access::Batched(batched) => batched,
        };
        if !batched.queued.contains_key(recipient.as_str()) {
            batched.flush(transaction).await?;
            let read = transaction
                .outbox_times_to_since(std::slice::from_ref(recipient), batched.since)
                .await?;
            batched.queued.extend(read);
        }
        let times = batched
            .queued
            .entry(recipient.as_str().to_owned())
            .or_default();
        Ok(u32::try_from(times.iter().filter(|time| **time >= since).count()).unwrap_or(u32::MAX))
    }

    /// Queues our answer to one recipient.
    async fn queue(
        &mut self,
        transaction: &mut Tx<'_>,
        rules: &MailRules,
        answer: AnswerToRender,
    ) -> Result<(), StoreError> {
        let batched = match self {
            Access::Direct => {
                return transaction
                    .enqueue_outbox(&answer.render(rules))
                    .await
                    .map(|_| ());
            }
            Access::Batched(batched) => batched,
        };
        batched
            .queued
            .entry(answer.recipient.as_str().to_owned())
            .or_default()
            .push(answer.created_at);
        batched.to_render.push(answer);
        if batched.to_render.len() == RENDERED_TOGETHER {
            batched.start_rendering();
        }
        Ok(())
    }

    /// Forgets what was known of the outbox, after a change queued emails of its own.
    fn forget_queued(&mut self) {
        if let Access::Batched(batched) = self {
            batched.queued.clear();
        }
    }

    async fn flush(&mut self, transaction: &mut Tx<'_>) -> Result<(), StoreError> {
        match self {
            Access::Direct => Ok(()),
            Access::Batched(batched) => batched.flush(transaction).await,
        }
    }
}

impl Batched {
    /// Writes the records and answers held back. One that the database skips (another
    /// process recorded the message, or queued the answer, meanwhile) is a `Conflict`, as
    /// it is for a `Direct` answer.
    async fn flush(&mut self, transaction: &mut Tx<'_>) -> Result<(), StoreError> {
        self.start_rendering();
        let mut answers = Vec::new();
        for rendering in std::mem::take(&mut self.rendering) {
            answers.extend(rendering.await.expect("rendering answers does not panic"));
        }
        if transaction.enqueue_outbox_many(&answers).await? < answers.len() as u64 {
            return Err(StoreError::Conflict {
                what: "an answer queued by another process meanwhile".to_owned(),
            });
        }
        let records = std::mem::take(&mut self.records);
        if transaction.insert_inbound_messages(&records).await? < records.len() as u64 {
            return Err(StoreError::Conflict {
                what: "a message recorded by another process meanwhile".to_owned(),
            });
        }
        Ok(())
    }

    /// Hands the answers not handed on yet to a thread that renders them.
    fn start_rendering(&mut self) {
        if self.to_render.is_empty() {
            return;
        }
        let answers = std::mem::replace(&mut self.to_render, Vec::with_capacity(RENDERED_TOGETHER));
        let rules = Arc::clone(&self.rules);
        self.rendering.push(tokio::task::spawn_blocking(move || {
            answers
                .into_iter()
                .map(|answer| answer.render(&rules))
                .collect()
        }));
    }
}

/// What `write_message` did: `Kept` writes are to be committed; a `Duplicate` wrote
/// nothing; a message `RecordedMeanwhile` by another process is to be rolled back.
enum Written {
    Kept(IngestReport),
    Duplicate(IngestReport),
    RecordedMeanwhile(IngestReport),
}

/// Classifies the message and writes its inbound record, what it creates or changes, and
/// our answer.
async fn write_message(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    message: &Prepared,
    access: &mut Access,
) -> Result<Written, StoreError> {
    let Prepared {
        decoded,
        plan,
        record,
        report,
    } = message;
    let mut report = report.clone();
    let now = record.received_at;
    let (classification, submission) = match plan {
        Plan::Classified(classified) => {
            (&classified.classification, classified.submission.as_ref())
        }
        Plan::Ignored(reason) => {
            let ignored = NewInboundMessage {
                classification: format!("ignored: {}", reason.0),
                outcome: Outcome::Ignored.value().to_owned(),
                ..record.clone()
            };
            let recorded = access.record(transaction, ignored).await?;
            // Counted only the first time the report arrives.
            if recorded && let Some(delivery_status) = &decoded.delivery_status {
                outreach::record_bounces(transaction, &bounces(delivery_status), now).await?;
            }
            return Ok(Written::Kept(report));
        }
    };
    if access
        .recorded_before(transaction, &record.message_id)
        .await?
    {
        report.outcome = Outcome::Duplicate;
        return Ok(Written::Duplicate(report));
    }
    if let Classification::Reply { .. } = classification {
        // A reply may queue the letters of an introduction: they go after the answers
        // before them.
        access.flush(transaction).await?;
    }
    let handled = handle(transaction, rules, decoded, classification, submission, now).await?;
    if handled.letters > 0 {
        access.forget_queued();
    }
    let record = NewInboundMessage {
        classification: classification_name(classification).to_owned(),
        outcome: handled.outcome.value().to_owned(),
        kind: handled.kind.map(|kind| kind.value().to_owned()),
        reference: handled.reference.clone(),
        errors: handled.errors.clone(),
        cut_off_text: Some(reply_of(classification).cut_off.clone()).filter(|cut| !cut.is_empty()),
        ..record.clone()
    };
    report.outcome = handled.outcome;
    report.kind = handled.kind;
    report.reference = handled.reference;
    report.errors = handled.errors;
    report.answered = handled.letters > 0;
    if let Some(answer) = handled.answer {
        report.answered |=
            queue_answer(transaction, access, rules, decoded, &record, answer).await?;
    }
    if !access.record(transaction, record).await? {
        // Another process recorded the same message since the check above.
        return Ok(Written::RecordedMeanwhile(IngestReport {
            outcome: Outcome::Duplicate,
            kind: None,
            reference: None,
            errors: Vec::new(),
            answered: false,
            ..report
        }));
    }
    Ok(Written::Kept(report))
}

/// Our answer in a language, and the token its replies will carry.
struct PlannedAnswer {
    answer: Answer,
    language: FormLanguage,
    token: Option<TokenSubject>,
}

struct Handled {
    outcome: Outcome,
    kind: Option<Kind>,
    reference: Option<String>,
    errors: Vec<InboundError>,
    answer: Option<PlannedAnswer>,
    /// Emails the change itself queued (an introduction's news), besides `answer`.
    letters: u32,
}

/// Does what a classified message asks; `submission` is the form of a submission, read
/// already (`Plan`).
async fn handle(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    decoded: &DecodedMessage,
    classification: &Classification,
    submission: Option<&Result<SubmissionDetails, Vec<FieldError>>>,
    now: DateTime<Utc>,
) -> Result<Handled, StoreError> {
    let context = submission_context(decoded, now);
    let unsubscribe_token = matches!(
        classification,
        Classification::Reply { token, .. }
            if matches!(token::verify(token, &rules.secret), Ok(TokenSubject::Unsubscribe(_)))
    );
    if !unsubscribe_token
        && reply_command(&reply_of(classification).new_text) == Some(ReplyCommand::Unsubscribe)
        && let Some(sender) = &context.sender
    {
        outreach::unsubscribe_address(transaction, sender, UnsubscribeVia::Reply, now).await?;
        return Ok(unsubscribed());
    }
    match classification {
        Classification::Submission { fields, .. } => {
            let language = language_of(fields);
            match submission.expect("a submission's form is read when it is classified") {
                Ok(details) => {
                    let status = if rules.moderation {
                        SubmissionStatus::Pending
                    } else {
                        SubmissionStatus::Open
                    };
                    let id = transaction
                        .insert_submission(details, status, Source::Email, now)
                        .await?;
                    Ok(confirmed(
                        Kind::Submission,
                        id,
                        submission_summary(details),
                        language,
                    ))
                }
                Err(errors) => Ok(rejected(
                    Some(Kind::Submission),
                    errors.clone(),
                    FormKind::Submission,
                    written_values(fields),
                    language,
                    None,
                )),
            }
        }
        Classification::MobilityReport { fields, .. } => {
            let language = language_of(fields);
            match introductions::parse_reported_mobility(transaction, fields).await? {
                Ok(details) => {
                    let id = transaction
                        .insert_mobility(&details, Source::Email, now)
                        .await?;
                    Ok(Handled {
                        outcome: Outcome::Accepted,
                        kind: Some(Kind::MobilityReport),
                        reference: Some(id.to_string()),
                        errors: Vec::new(),
                        answer: Some(PlannedAnswer {
                            answer: Answer::Confirmation {
                                kind: "mobility_report",
                                reference: id.to_string(),
                                summary: mobility_summary(&details),
                            },
                            language,
                            token: None,
                        }),
                        letters: 0,
                    })
                }
                Err(errors) => Ok(rejected(
                    Some(Kind::MobilityReport),
                    errors,
                    FormKind::MobilityReport,
                    written_values(fields),
                    language,
                    None,
                )),
            }
        }
        Classification::Reply { token, reply } => match token::verify(token, &rules.secret) {
            Err(error) => Ok(reply_problem(
                Outcome::Rejected,
                None,
                InboundError {
                    field: "token".to_owned(),
                    value: token.clone(),
                    message: error.to_string(),
                },
            )),
            Ok(TokenSubject::Submission(id)) => {
                reply_to_submission(transaction, rules, id, reply, &context, now).await
            }
            Ok(TokenSubject::Unsubscribe(id)) => {
                match transaction
                    .unsubscribe_address(id, UnsubscribeVia::Mailto, now)
                    .await
                {
                    Ok(_) => Ok(unsubscribed()),
                    Err(StoreError::NotFound { what }) => Ok(reply_problem(
                        Outcome::Rejected,
                        Some(Kind::Unsubscribe),
                        InboundError {
                            field: "token".to_owned(),
                            value: token.clone(),
                            message: format!("{what} does not exist"),
                        },
                    )),
                    Err(error) => Err(error),
                }
            }
            Ok(TokenSubject::Introduction { id, side }) => {
                reply_to_introduction(
                    transaction,
                    rules,
                    id,
                    side,
                    reply,
                    context.sender.as_ref(),
                    now,
                )
                .await
            }
        },
        Classification::Unrecognised { .. } => Ok(help(Outcome::Unrecognised, Vec::new(), None)),
    }
}

async fn reply_to_submission(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    id: SubmissionId,
    reply: &ReplyText,
    context: &SubmissionContext,
    now: DateTime<Utc>,
) -> Result<Handled, StoreError> {
    let submission = match transaction.submission(id).await {
        Ok(submission) => submission,
        Err(StoreError::NotFound { .. }) => {
            let error = InboundError {
                field: "token".to_owned(),
                value: id.to_string(),
                message: "names a submission that no longer exists; send a new form".to_owned(),
            };
            return Ok(help(
                Outcome::Rejected,
                vec![error.clone()],
                Some(error.message),
            ));
        }
        Err(error) => return Err(error),
    };
    let fields = FieldSet::from_text(&reply.new_text);
    let language = fields.language().unwrap_or(FormLanguage::En);
    let closed = matches!(
        submission.status,
        SubmissionStatus::Withdrawn | SubmissionStatus::Expired
    );
    if reply_command(&reply.new_text) == Some(ReplyCommand::Withdraw) && !closed {
        transaction
            .set_submission_status(id, SubmissionStatus::Withdrawn, now)
            .await?;
        let letters =
            introductions::decline_waiting_introductions(transaction, &rules.letters(), id, now)
                .await?;
        return Ok(Handled {
            outcome: Outcome::Accepted,
            kind: Some(Kind::Withdrawal),
            reference: Some(id.to_string()),
            errors: Vec::new(),
            answer: Some(PlannedAnswer {
                answer: Answer::Withdrawal {
                    reference: id.to_string(),
                },
                language,
                token: None,
            }),
            letters,
        });
    }
    if reply_command(&reply.new_text) == Some(ReplyCommand::Renew)
        && submission.status == SubmissionStatus::Open
    {
        // Setting the status again marks the listing as changed now, which renews it.
        transaction
            .set_submission_status(id, SubmissionStatus::Open, now)
            .await?;
        return Ok(Handled {
            kind: Some(Kind::Renewal),
            ..confirmed(
                Kind::SubmissionUpdate,
                id,
                submission_summary(&submission.details),
                language,
            )
        });
    }
    if closed {
        let error = InboundError {
            field: "status".to_owned(),
            value: submission.status.value().to_owned(),
            message: format!(
                "{id} is {} and can no longer change; send a new form",
                submission.status.value()
            ),
        };
        return Ok(help(
            Outcome::Rejected,
            vec![error.clone()],
            Some(error.message),
        ));
    }
    if fields.is_empty() {
        return Ok(help(Outcome::Unrecognised, Vec::new(), None));
    }
    let merged = merge_update(&submission_values(&submission.details), &fields);
    match parse_submission(&merged, context) {
        Ok(details) => {
            transaction.update_submission(id, &details, now).await?;
            Ok(confirmed(
                Kind::SubmissionUpdate,
                id,
                submission_summary(&details),
                language,
            ))
        }
        Err(errors) => Ok(rejected(
            Some(Kind::SubmissionUpdate),
            errors,
            FormKind::Submission,
            written_values(&merged),
            language,
            Some(TokenSubject::Submission(id)),
        )),
    }
}

/// A reply that carries an introduction side's token. It counts only when it comes from
/// that side's contact address: a token alone travels with every forward of our email,
/// so it does not prove who answers (the answer link of the web page is the way for
/// someone else). Its first word accepts or declines; from the sending side, report
/// fields update the mobility planned from the introduction.
async fn reply_to_introduction(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    id: IntroductionId,
    side: Role,
    reply: &ReplyText,
    sender: Option<&EmailAddress>,
    now: DateTime<Utc>,
) -> Result<Handled, StoreError> {
    let kind = Some(Kind::IntroductionAnswer);
    let case = match introductions::load_case(transaction, id).await {
        Ok(case) => case,
        Err(StoreError::NotFound { .. }) => {
            return Ok(reply_problem(
                Outcome::Rejected,
                kind,
                InboundError {
                    field: "token".to_owned(),
                    value: id.to_string(),
                    message: format!("the reply reference names {id}, which does not exist"),
                },
            ));
        }
        Err(error) => return Err(error),
    };
    let contact = case.parties().contact(side).clone();
    if sender != Some(&contact) {
        let sender = sender.map(ToString::to_string).unwrap_or_default();
        return Ok(reply_problem(
            Outcome::Rejected,
            kind,
            InboundError {
                field: "sender".to_owned(),
                message: format!(
                    "{sender} is not the address we wrote to about {id} ({side} side), so it cannot answer for it"
                ),
                value: sender,
            },
        ));
    }
    let answer = match reply_command(&reply.new_text) {
        Some(ReplyCommand::Accept) => Some(crate::domain::Answer::Accept),
        Some(ReplyCommand::Decline) => Some(crate::domain::Answer::Decline),
        Some(ReplyCommand::Withdraw | ReplyCommand::Unsubscribe | ReplyCommand::Renew) | None => {
            None
        }
    };
    if let Some(answer) = answer {
        let report = introductions::answer_introduction(
            transaction,
            &rules.letters(),
            id,
            side,
            answer,
            now,
        )
        .await?;
        let (outcome, errors) = match report.outcome {
            AnswerOutcome::Recorded(_) => (Outcome::Accepted, Vec::new()),
            AnswerOutcome::Unchanged => (
                Outcome::Rejected,
                vec![InboundError {
                    field: "answer".to_owned(),
                    value: answer.value().to_owned(),
                    message: format!(
                        "the answer changes nothing: {id} is {} and this side's first answer stands",
                        report.status.value()
                    ),
                }],
            ),
        };
        return Ok(Handled {
            outcome,
            kind,
            reference: Some(id.to_string()),
            errors,
            answer: None,
            letters: report.emails,
        });
    }
    let fields = FieldSet::from_text(&reply.new_text);
    if side == Role::Sending && !fields.is_empty() {
        let language = fields.language().unwrap_or(FormLanguage::En);
        let token = Some(TokenSubject::Introduction { id, side });
        return Ok(
            match introductions::report_mobility(transaction, id, &fields, now).await? {
                CompletionOutcome::Updated { mobility, details } => Handled {
                    outcome: Outcome::Accepted,
                    kind: Some(Kind::MobilityReport),
                    reference: Some(mobility.to_string()),
                    errors: Vec::new(),
                    answer: Some(PlannedAnswer {
                        answer: Answer::Confirmation {
                            kind: "mobility_report",
                            reference: mobility.to_string(),
                            summary: mobility_summary(&details),
                        },
                        language,
                        token,
                    }),
                    letters: 0,
                },
                CompletionOutcome::Invalid { errors, values } => rejected(
                    Some(Kind::MobilityReport),
                    errors,
                    FormKind::MobilityReport,
                    values,
                    language,
                    token,
                ),
                CompletionOutcome::NoMobility => reply_problem(
                    Outcome::Rejected,
                    Some(Kind::MobilityReport),
                    InboundError {
                        field: "introduction".to_owned(),
                        value: id.to_string(),
                        message: format!(
                            "{id} has no planned mobility to report on yet; both sides accept first"
                        ),
                    },
                ),
            },
        );
    }
    let first_word = reply
        .new_text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(reply_problem(
        Outcome::Unrecognised,
        kind,
        InboundError {
            field: "answer".to_owned(),
            message: format!(
                "the first word of your reply, \"{first_word}\", is neither ACCEPT nor DECLINE"
            ),
            value: first_word,
        },
    ))
}

/// The stored values with the fields of a reply written over them: a reply names only
/// what changes.
pub fn merge_update(stored: &[(FieldKey, String)], changes: &FieldSet) -> FieldSet {
    let changed = written_values(changes);
    let mut pairs: Vec<(&str, String)> = stored
        .iter()
        .filter(|(key, _)| !changed.iter().any(|(changed_key, _)| changed_key == key))
        .map(|(key, value)| (key.key(), value.clone()))
        .collect();
    pairs.extend(
        changed
            .iter()
            .map(|(key, value)| (key.key(), value.clone())),
    );
    FieldSet::from_pairs(pairs)
}

fn confirmed(
    kind: Kind,
    id: SubmissionId,
    summary: Vec<(FieldKey, String)>,
    language: FormLanguage,
) -> Handled {
    Handled {
        outcome: Outcome::Accepted,
        kind: Some(kind),
        reference: Some(id.to_string()),
        errors: Vec::new(),
        answer: Some(PlannedAnswer {
            answer: Answer::Confirmation {
                kind: kind.value(),
                reference: id.to_string(),
                summary,
            },
            language,
            token: Some(TokenSubject::Submission(id)),
        }),
        letters: 0,
    }
}

fn rejected(
    kind: Option<Kind>,
    errors: Vec<FieldError>,
    form: FormKind,
    values: Vec<(FieldKey, String)>,
    language: FormLanguage,
    token: Option<TokenSubject>,
) -> Handled {
    Handled {
        outcome: Outcome::Rejected,
        kind,
        reference: None,
        errors: errors.iter().map(inbound_error).collect(),
        answer: Some(PlannedAnswer {
            answer: Answer::Rejection {
                errors,
                form,
                values,
            },
            language,
            token,
        }),
        letters: 0,
    }
}

/// An address unsubscribed (or had already): recorded, and not answered, since it asked
/// for no more mail.
fn unsubscribed() -> Handled {
    Handled {
        outcome: Outcome::Accepted,
        kind: Some(Kind::Unsubscribe),
        reference: None,
        errors: Vec::new(),
        answer: None,
        letters: 0,
    }
}

fn help(outcome: Outcome, errors: Vec<InboundError>, problem: Option<String>) -> Handled {
    Handled {
        outcome,
        kind: None,
        reference: None,
        errors,
        answer: Some(PlannedAnswer {
            answer: Answer::Help { problem },
            language: FormLanguage::En,
            token: None,
        }),
        letters: 0,
    }
}

/// A short answer to a reply that cannot change anything; the error's message is the
/// sentence that says why.
fn reply_problem(outcome: Outcome, kind: Option<Kind>, error: InboundError) -> Handled {
    let problem = error.message.clone();
    Handled {
        outcome,
        kind,
        reference: None,
        errors: vec![error],
        answer: Some(PlannedAnswer {
            answer: Answer::ReplyProblem { problem },
            language: FormLanguage::En,
            token: None,
        }),
        letters: 0,
    }
}

/// Queues our answer unless the sender had `reply_limit_per_hour` answers already.
async fn queue_answer(
    transaction: &mut Tx<'_>,
    access: &mut Access,
    rules: &MailRules,
    decoded: &DecodedMessage,
    record: &NewInboundMessage,
    planned: PlannedAnswer,
) -> Result<bool, StoreError> {
    let Some(Ok(recipient)) = record.sender.as_deref().map(EmailAddress::parse) else {
        return Ok(false);
    };
    let now = record.received_at;
    let sent_lately = access
        .queued_to_since(transaction, &recipient, now - REPLY_LIMIT_PERIOD)
        .await?;
    if sent_lately >= rules.reply_limit_per_hour {
        tracing::info!(%recipient, sent_lately, "reply limit reached; not answering");
        return Ok(false);
    }
    let answer = AnswerToRender {
        planned,
        recipient,
        message_key: record.message_id.clone(),
        message_id: decoded.message_id.clone(),
        references: decoded.references.clone(),
        created_at: now,
    };
    access.queue(transaction, rules, answer).await?;
    Ok(true)
}

/// An answer to queue, all but its rendering, which a batch leaves to other threads.
struct AnswerToRender {
    planned: PlannedAnswer,
    recipient: EmailAddress,
    /// The key of the message answered, from which the answer's Message-ID is made.
    message_key: String,
    /// The Message-ID and the references of the message answered.
    message_id: Option<String>,
    references: Vec<String>,
    created_at: DateTime<Utc>,
}

impl AnswerToRender {
    fn render(self, rules: &MailRules) -> NewOutboxMessage {
        let planned = self.planned;
        let rendered = planned
            .answer
            .render(planned.language, &rules.privacy_notice);
        let token = planned
            .token
            .map(|subject| token::sign(subject, &rules.secret));
        let (our_local, our_domain) = rules
            .our_address
            .as_str()
            .split_once('@')
            .expect("an email address has an @");
        let (subject, reply_to) = match &token {
            Some(token) => (
                format!("{} [mobmatch {token}]", rendered.subject),
                format!("{our_local}+{token}@{our_domain}"),
            ),
            None => (rendered.subject, rules.our_address.to_string()),
        };
        let mut headers = vec![
            ("Auto-Submitted".to_owned(), "auto-replied".to_owned()),
            ("Reply-To".to_owned(), reply_to),
            (
                "Content-Language".to_owned(),
                planned.language.code().to_owned(),
            ),
        ];
        if let Some(id) = &self.message_id {
            let mut references: Vec<String> = self
                .references
                .iter()
                .filter(|reference| *reference != id)
                .map(|reference| format!("<{reference}>"))
                .collect();
            references.push(format!("<{id}>"));
            headers.push(("In-Reply-To".to_owned(), format!("<{id}>")));
            headers.push(("References".to_owned(), references.join(" ")));
        }
        let answer_id = &hex_sha256(self.message_key.as_bytes())[..32];
        NewOutboxMessage {
            message_id: format!("<answer.{answer_id}@{our_domain}>"),
            recipients: vec![self.recipient],
            subject,
            body_text: rendered.text,
            body_html: Some(rendered.html),
            headers,
            created_at: self.created_at,
        }
    }
}

fn language_of(fields: &FieldSet) -> FormLanguage {
    fields.language().unwrap_or(FormLanguage::En)
}

fn reply_of(classification: &Classification) -> &ReplyText {
    match classification {
        Classification::Reply { reply, .. }
        | Classification::Submission { reply, .. }
        | Classification::MobilityReport { reply, .. }
        | Classification::Unrecognised { reply } => reply,
    }
}

fn classification_name(classification: &Classification) -> &'static str {
    match classification {
        Classification::Reply { .. } => "reply",
        Classification::Submission { .. } => "submission",
        Classification::MobilityReport { .. } => "mobility_report",
        Classification::Unrecognised { .. } => "unrecognised",
    }
}

fn inbound_error(error: &FieldError) -> InboundError {
    InboundError {
        field: error.field.to_owned(),
        value: error.value.clone(),
        message: error.message.clone(),
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
