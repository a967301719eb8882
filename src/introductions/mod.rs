//! Introductions after a round: the emails to both sides, their answers, reminders and
//! expiry, the planned mobility when both accept, and the request for its report once
//! it has ended. The decisions are the pure functions of [`state`]; this module is the
//! shell that reads the introduction, applies a decision in the caller's transaction and
//! queues the emails it causes in the same transaction (transactional outbox).
//!
//! [`answer_introduction`] is the one way to answer an introduction: email replies
//! (`mail::ingest`) and the answer page of the web call it alike.

mod state;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use state::{
    AnswerDecision, AnswerEffect, Due, Progress, Refusal, SideProgress, Timing, decide_answer,
    decide_due, letter_language, mobility_values, planned_mobility, reported_mobility,
};

use crate::config::Config;
use crate::domain::{
    Answer, Introduction, IntroductionId, IntroductionStatus, MobilityDetails, MobilityId, Role,
    Source, Submission, SubmissionId, SubmissionStatus,
};
use crate::forms::{FieldError, FieldKey, FieldProblem, FieldSet, parse_mobility_report};
use crate::mail::MailRules;
use crate::mail::letters::{
    LetterSettings, News, Parties, completion_letter, introduction_letter, news_letter,
};
use crate::store::{IntroductionProgress, NewOutboxMessage, Store, StoreError, Tx};

/// What following introductions needs of the configuration.
#[derive(Clone, Debug)]
pub struct IntroductionSettings {
    pub letters: LetterSettings,
    pub timing: Timing,
}

impl IntroductionSettings {
    pub fn from_config(config: &Config) -> IntroductionSettings {
        IntroductionSettings {
            letters: MailRules::from_config(config).letters(),
            timing: Timing {
                remind_after_days: config.introductions.remind_after_days,
                expire_after_days: config.introductions.expire_after_days,
            },
        }
    }
}

/// An introduction as stored, with its offer and request.
#[derive(Clone, Debug, PartialEq)]
pub struct IntroductionCase {
    pub progress: IntroductionProgress,
    pub offer: Submission,
    pub request: Submission,
}

impl IntroductionCase {
    pub fn introduction(&self) -> &Introduction {
        &self.progress.introduction
    }

    pub fn parties(&self) -> Parties<'_> {
        Parties {
            introduction: &self.progress.introduction,
            offer: &self.offer,
            request: &self.request,
        }
    }
}

/// Reads an introduction and its two submissions through `transaction`.
pub async fn load_case(
    transaction: &mut Tx<'_>,
    id: IntroductionId,
) -> Result<IntroductionCase, StoreError> {
    let progress = transaction.introduction_progress(id).await?;
    let offer = transaction.submission(progress.introduction.offer).await?;
    let request = transaction
        .submission(progress.introduction.request)
        .await?;
    Ok(IntroductionCase {
        progress,
        offer,
        request,
    })
}

/// Queues the introduction email to each side and marks the introduction `introduced`.
/// Returns false, writing nothing, when it was not `proposed` any more.
pub async fn introduce(
    transaction: &mut Tx<'_>,
    settings: &IntroductionSettings,
    parties: Parties<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if !transaction
        .mark_introduced(parties.introduction.id, now)
        .await?
    {
        return Ok(false);
    }
    transaction
        .enqueue_outbox_many(&introduction_letters(settings, parties, now))
        .await?;
    Ok(true)
}

/// The introduction emails to both sides, each in its side's language.
pub fn introduction_letters(
    settings: &IntroductionSettings,
    parties: Parties<'_>,
    now: DateTime<Utc>,
) -> [NewOutboxMessage; 2] {
    [Role::Receiving, Role::Sending].map(|side| {
        let language = letter_language(parties.submission(side));
        introduction_letter(&settings.letters, parties, side, language, false, now)
    })
}

/// What an answer did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnswerReport {
    pub introduction: IntroductionId,
    pub side: Role,
    pub answer: Answer,
    /// The introduction's status after the answer.
    pub status: IntroductionStatus,
    pub outcome: AnswerOutcome,
    /// The mobility planned when this answer was the second acceptance.
    pub mobility: Option<MobilityId>,
    /// How many emails the answer queued.
    pub emails: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "effect")]
pub enum AnswerOutcome {
    Recorded(AnswerEffect),
    /// Nothing changed: the side had answered before, or the introduction is settled.
    /// The side is told so once at most.
    Unchanged,
}

/// Applies `side`'s answer to introduction `id` at `at`, inside `transaction`, and
/// queues the emails it causes: an acknowledgement to the side; on a decline a polite
/// word to the other side; on the second acceptance a planned mobility (the request
/// `matched`, the offer's places taken) and a confirmation to both. A repeated or late
/// answer changes nothing. The caller checks who is answering (the token, and for email
/// the sender address) and commits.
pub async fn answer_introduction(
    transaction: &mut Tx<'_>,
    settings: &LetterSettings,
    id: IntroductionId,
    side: Role,
    answer: Answer,
    at: DateTime<Utc>,
) -> Result<AnswerReport, StoreError> {
    // A second writer may answer between the read and the write (the other side, on the
    // web page): the write then changes nothing, and the answer is decided again on what
    // is stored now. A side's own answer can race only itself, so two rounds suffice.
    let mut case = load_case(transaction, id).await?;
    let mut recorded = None;
    for _ in 0..2 {
        let AnswerDecision::Record { status, effect } =
            decide_answer(case.introduction(), side, answer)
        else {
            break;
        };
        let partner_answer = case
            .introduction()
            .answer_of(partner_of(side))
            .map(|given| given.answer);
        if transaction
            .record_introduction_answer(id, side, answer, partner_answer, status, at)
            .await?
        {
            recorded = Some((status, effect));
            break;
        }
        case = load_case(transaction, id).await?;
    }
    let mut report = AnswerReport {
        introduction: id,
        side,
        answer,
        status: case.introduction().status,
        outcome: AnswerOutcome::Unchanged,
        mobility: None,
        emails: 0,
    };
    let Some((status, effect)) = recorded else {
        let news = match case.introduction().answer_of(side) {
            Some(earlier) => News::AlreadyAnswered {
                answer: earlier.answer,
            },
            None => News::Closed {
                status: case.introduction().status,
            },
        };
        report.emails += tell(transaction, settings, &case, side, &news, at).await?;
        return Ok(report);
    };
    report.status = status;
    report.outcome = AnswerOutcome::Recorded(effect);
    let partner = partner_of(side);
    match effect {
        AnswerEffect::AwaitingPartner => {
            report.emails += tell(
                transaction,
                settings,
                &case,
                side,
                &News::AwaitingPartner,
                at,
            )
            .await?;
        }
        AnswerEffect::Declined => {
            report.emails +=
                tell(transaction, settings, &case, side, &News::DeclinedByYou, at).await?;
            report.emails += tell(
                transaction,
                settings,
                &case,
                partner,
                &News::DeclinedByPartner,
                at,
            )
            .await?;
        }
        AnswerEffect::BothAccepted => {
            let details = planned_mobility(id, &case.offer, &case.request);
            let mobility = plan_mobility(transaction, &case, &details, at).await?;
            report.mobility = Some(mobility);
            let news = News::Accepted { mobility, details };
            for told in [side, partner] {
                report.emails += tell(transaction, settings, &case, told, &news, at).await?;
            }
            // The request is matched; an offer whose places ran out is too. Their other
            // introductions can no longer lead to a mobility.
            report.emails +=
                decline_waiting_introductions(transaction, settings, case.request.id, at).await?;
            if transaction.submission(case.offer.id).await?.status == SubmissionStatus::Matched {
                report.emails +=
                    decline_waiting_introductions(transaction, settings, case.offer.id, at).await?;
            }
        }
    }
    Ok(report)
}

/// Declines, on behalf of a submission that can no longer take part (withdrawn, or an
/// offer with no places left, or a request already matched), each of its introductions
/// that still waits for answers, and tells each partner as a decline would. Returns how
/// many emails were queued.
pub async fn decline_waiting_introductions(
    transaction: &mut Tx<'_>,
    settings: &LetterSettings,
    submission: SubmissionId,
    at: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let mut emails = 0;
    for (id, side) in transaction.waiting_introductions_of(submission).await? {
        if transaction.decline_on_behalf_of(id, side, at).await? {
            let case = load_case(transaction, id).await?;
            let partner = partner_of(side);
            emails += tell(
                transaction,
                settings,
                &case,
                partner,
                &News::DeclinedByPartner,
                at,
            )
            .await?;
        }
    }
    Ok(emails)
}

/// What a reply to the completion email did.
#[derive(Clone, Debug, PartialEq)]
pub enum CompletionOutcome {
    Updated {
        mobility: MobilityId,
        details: MobilityDetails,
    },
    /// The introduction has no planned mobility to report on.
    NoMobility,
    /// The reply's fields do not make a valid report; `values` pre-fill the form again.
    Invalid {
        errors: Vec<FieldError>,
        values: Vec<(crate::forms::FieldKey, String)>,
    },
}

/// Updates the mobility planned from introduction `id` with the report fields of a reply
/// (the real numbers, and `Status: completed` or `cancelled`), instead of recording a new
/// mobility.
pub async fn report_mobility(
    transaction: &mut Tx<'_>,
    id: IntroductionId,
    reply: &FieldSet,
    at: DateTime<Utc>,
) -> Result<CompletionOutcome, StoreError> {
    let Some(mobility) = transaction.mobility_of_introduction(id).await? else {
        return Ok(CompletionOutcome::NoMobility);
    };
    match reported_mobility(&mobility.details, reply) {
        Ok(details) => {
            transaction
                .update_mobility(mobility.id, &details, at)
                .await?;
            Ok(CompletionOutcome::Updated {
                mobility: mobility.id,
                details,
            })
        }
        Err(errors) => {
            let mut values = mobility_values(&mobility.details);
            for entry in &reply.entries {
                values.retain(|(key, _)| *key != entry.key);
                values.push((entry.key, entry.value.clone()));
            }
            Ok(CompletionOutcome::Invalid { errors, values })
        }
    }
}

/// A mobility report's fields (an email or the web form) read into a mobility, refused
/// when the introduction it names is not one of ours.
pub async fn parse_reported_mobility(
    transaction: &mut Tx<'_>,
    fields: &FieldSet,
) -> Result<Result<MobilityDetails, Vec<FieldError>>, StoreError> {
    let parsed = parse_mobility_report(fields);
    if let Ok(details) = &parsed
        && let Some(introduction) = details.introduction
        && !transaction.introduction_exists(introduction).await?
    {
        return Ok(Err(vec![FieldError::new(
            FieldKey::Introduction.key(),
            introduction.to_string(),
            FieldProblem::NotOurIntroduction,
        )]));
    }
    Ok(parsed)
}

/// What one run of the daily job did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemindReport {
    /// Proposed introductions whose emails were queued now.
    pub introduced: u32,
    /// Reminders queued, one per side.
    pub reminded: u32,
    pub expired: u32,
    /// Planned mobilities whose sending side was asked for the report.
    pub completion_requests: u32,
}

/// The daily job (`mobmatch remind`): at `now`, introduces what is still `proposed`,
/// reminds each side that has not answered `remind_after_days` after the introduction
/// (once), expires introductions still undecided `expire_after_days` after it, and asks
/// the sending side of each planned mobility that ended before `today` for its report.
/// Each introduction and mobility is handled in a transaction of its own.
pub async fn remind(
    store: &Store,
    settings: &IntroductionSettings,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<RemindReport, StoreError> {
    let mut report = RemindReport::default();
    for waiting in store.introductions_awaiting_answers().await? {
        if decide_due(&progress_of(&waiting), now, settings.timing) == Due::Nothing {
            continue;
        }
        let mut transaction = store.begin().await?;
        let case = load_case(&mut transaction, waiting.introduction.id).await?;
        let parties = case.parties();
        match decide_due(&progress_of(&case.progress), now, settings.timing) {
            Due::Nothing => {}
            Due::Introduce => {
                if introduce(&mut transaction, settings, parties, now).await? {
                    report.introduced += 1;
                }
            }
            Due::Remind(sides) => {
                for side in sides {
                    if transaction
                        .mark_reminded(parties.introduction.id, side, now)
                        .await?
                    {
                        let language = letter_language(parties.submission(side));
                        let letter = introduction_letter(
                            &settings.letters,
                            parties,
                            side,
                            language,
                            true,
                            now,
                        );
                        transaction
                            .enqueue_outbox_many(std::slice::from_ref(&letter))
                            .await?;
                        report.reminded += 1;
                    }
                }
            }
            Due::Expire => {
                if transaction
                    .expire_introduction(parties.introduction.id, now)
                    .await?
                {
                    for side in [Role::Receiving, Role::Sending] {
                        tell(
                            &mut transaction,
                            &settings.letters,
                            &case,
                            side,
                            &News::Expired,
                            now,
                        )
                        .await?;
                    }
                    report.expired += 1;
                }
            }
        }
        transaction.commit().await?;
    }
    for ended in store
        .ended_mobilities_without_completion_request(today)
        .await?
    {
        let mut transaction = store.begin().await?;
        if transaction
            .mark_completion_requested(ended.mobility.id, now)
            .await?
        {
            let case = load_case(&mut transaction, ended.introduction).await?;
            let language = letter_language(&case.request);
            let letter = completion_letter(
                &settings.letters,
                case.parties(),
                language,
                ended.mobility.id,
                &mobility_values(&ended.mobility.details),
                now,
            );
            transaction
                .enqueue_outbox_many(std::slice::from_ref(&letter))
                .await?;
            report.completion_requests += 1;
        }
        transaction.commit().await?;
    }
    tracing::info!(
        introduced = report.introduced,
        reminded = report.reminded,
        expired = report.expired,
        completion_requests = report.completion_requests,
        "reminders and expiry"
    );
    Ok(report)
}

pub fn partner_of(side: Role) -> Role {
    match side {
        Role::Receiving => Role::Sending,
        Role::Sending => Role::Receiving,
    }
}

/// Records the planned mobility, marks the request `matched` and takes the offer's places.
async fn plan_mobility(
    transaction: &mut Tx<'_>,
    case: &IntroductionCase,
    details: &MobilityDetails,
    at: DateTime<Utc>,
) -> Result<MobilityId, StoreError> {
    let mobility = transaction
        .insert_mobility(details, Source::Introduction, at)
        .await?;
    transaction
        .set_submission_status(case.request.id, SubmissionStatus::Matched, at)
        .await?;
    transaction
        .take_offer_places(case.offer.id, details.participants, at)
        .await?;
    Ok(mobility)
}

/// Queues a news letter to `side` unless the same letter was queued before; returns how
/// many were queued (0 or 1).
async fn tell(
    transaction: &mut Tx<'_>,
    settings: &LetterSettings,
    case: &IntroductionCase,
    side: Role,
    news: &News,
    at: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let parties = case.parties();
    let language = letter_language(parties.submission(side));
    let letter = news_letter(settings, parties, side, language, news, at);
    let queued = transaction
        .enqueue_outbox_many(std::slice::from_ref(&letter))
        .await?;
    Ok(u32::try_from(queued).expect("one letter at most"))
}

fn progress_of(stored: &IntroductionProgress) -> Progress {
    let introduction = &stored.introduction;
    Progress {
        status: introduction.status,
        introduced_at: stored.introduced_at,
        host: SideProgress {
            answered: introduction.host_answer.is_some(),
            reminded_at: stored.host_reminded_at,
        },
        sender: SideProgress {
            answered: introduction.sender_answer.is_some(),
            reminded_at: stored.sender_reminded_at,
        },
    }
}
