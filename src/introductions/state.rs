//! The state machine of an introduction (DESIGN.md section 3) as pure functions: where
//! an introduction stands and what happened go in, the decision comes out. No I/O, no
//! clock: "now" is passed in.
//!
//! `proposed` → `introduced` (both emails queued) → `accepted` (both sides accepted) |
//! `declined` (either side declined) | `expired` (no decision after `expire_after_days`).
//! The first answer of a side is the one that counts.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{
    Answer, Destination, Introduction, IntroductionId, IntroductionStatus, MobilityDetails,
    MobilityStatus, Role, SideAnswer, Submission,
};
use crate::forms::{FieldError, FieldKey, FieldSet, FormLanguage, parse_mobility_report};

/// What one side's answer does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AnswerDecision {
    /// Record the answer; the introduction moves to `status`.
    Record {
        status: IntroductionStatus,
        effect: AnswerEffect,
    },
    /// Change nothing.
    Refuse(Refusal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerEffect {
    /// This side accepted; the other has not answered yet.
    AwaitingPartner,
    /// Both sides accepted: a mobility is planned.
    BothAccepted,
    /// This side declined; the other is told.
    Declined,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Refusal {
    /// This side answered before; its first answer stands.
    AlreadyAnswered(SideAnswer),
    /// The introduction is settled (accepted, declined or expired).
    Closed(IntroductionStatus),
}

/// Decides what `side` answering `answer` does to `introduction`.
pub fn decide_answer(introduction: &Introduction, side: Role, answer: Answer) -> AnswerDecision {
    let partner = match side {
        Role::Receiving => introduction.sender_answer,
        Role::Sending => introduction.host_answer,
    };
    if let Some(earlier) = introduction.answer_of(side) {
        return AnswerDecision::Refuse(Refusal::AlreadyAnswered(earlier));
    }
    if !awaits_answers(introduction.status) {
        return AnswerDecision::Refuse(Refusal::Closed(introduction.status));
    }
    match (answer, partner.map(|partner| partner.answer)) {
        (Answer::Decline, _) => AnswerDecision::Record {
            status: IntroductionStatus::Declined,
            effect: AnswerEffect::Declined,
        },
        (Answer::Accept, Some(Answer::Accept)) => AnswerDecision::Record {
            status: IntroductionStatus::Accepted,
            effect: AnswerEffect::BothAccepted,
        },
        // A partner's decline closes the introduction, so only silence is left here.
        (Answer::Accept, _) => AnswerDecision::Record {
            status: introduction.status,
            effect: AnswerEffect::AwaitingPartner,
        },
    }
}

/// The `[introductions]` settings that decide reminders and expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub remind_after_days: u32,
    pub expire_after_days: u32,
}

/// Where one side of a waiting introduction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SideProgress {
    pub answered: bool,
    pub reminded_at: Option<DateTime<Utc>>,
}

/// What the daily job knows of an introduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub status: IntroductionStatus,
    /// When both introduction emails were queued.
    pub introduced_at: Option<DateTime<Utc>>,
    pub host: SideProgress,
    pub sender: SideProgress,
}

/// What the daily job does to one introduction at `now`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    Nothing,
    /// Still `proposed`: its emails were never queued (a round of an older version, or
    /// one written straight into the store). Send them now.
    Introduce,
    /// Remind these sides, which have neither answered nor been reminded.
    Remind(Vec<Role>),
    Expire,
}

/// Decides what is due: expiry `expire_after_days` after the introduction emails, one
/// reminder to each silent side `remind_after_days` after them.
pub fn decide_due(progress: &Progress, now: DateTime<Utc>, timing: Timing) -> Due {
    if !awaits_answers(progress.status) {
        return Due::Nothing;
    }
    let Some(introduced_at) = progress.introduced_at else {
        return Due::Introduce;
    };
    if now >= introduced_at + days(timing.expire_after_days) {
        return Due::Expire;
    }
    if now < introduced_at + days(timing.remind_after_days) {
        return Due::Nothing;
    }
    let silent: Vec<Role> = [
        (Role::Receiving, progress.host),
        (Role::Sending, progress.sender),
    ]
    .into_iter()
    .filter(|(_, side)| !side.answered && side.reminded_at.is_none())
    .map(|(role, _)| role)
    .collect();
    if silent.is_empty() {
        Due::Nothing
    } else {
        Due::Remind(silent)
    }
}

/// The mobility planned when both sides accept: the request's participants capped by
/// the offer's remaining places, on the overlap of the two windows (the request's
/// window if a later edit left none), hosted in the offer's region.
pub fn planned_mobility(
    introduction: IntroductionId,
    offer: &Submission,
    request: &Submission,
) -> MobilityDetails {
    let participants = request.details.participants.min(offer.details.participants);
    let dates = offer
        .details
        .window
        .overlap(&request.details.window)
        .unwrap_or(request.details.window);
    MobilityDetails {
        sending_organisation: request.details.organisation.name.clone(),
        sending_region: request.details.organisation.region,
        receiving_organisation: offer.details.organisation.name.clone(),
        destination: Destination::region(offer.details.organisation.region),
        mobility_type: request.details.mobility_type,
        participants,
        fewer_opportunities: request.details.fewer_opportunities.min(participants),
        dates,
        status: MobilityStatus::Planned,
        introduction: Some(introduction),
    }
}

/// A reply to the completion email: the planned mobility's values with the reply's
/// fields written over them. The reply cannot move the report to another introduction.
pub fn reported_mobility(
    planned: &MobilityDetails,
    reply: &FieldSet,
) -> Result<MobilityDetails, Vec<FieldError>> {
    let mut pairs = mobility_values(planned);
    for entry in &reply.entries {
        if entry.key == FieldKey::Introduction {
            continue;
        }
        pairs.retain(|(key, _)| *key != entry.key);
        pairs.push((entry.key, entry.value.clone()));
    }
    if pairs
        .iter()
        .any(|(key, _)| *key == FieldKey::ReceivingCountry)
        && reply.contains(FieldKey::ReceivingCountry)
        && !reply.contains(FieldKey::ReceivingRegion)
    {
        // A country written alone replaces the planned region rather than contradicting it.
        pairs.retain(|(key, _)| *key != FieldKey::ReceivingRegion);
    }
    let merged = FieldSet::from_pairs(pairs.iter().map(|(key, value)| (key.key(), value)));
    let mut details = parse_mobility_report(&merged)?;
    details.introduction = planned.introduction;
    Ok(details)
}

/// A mobility as the values of the report form, to pre-fill it.
pub fn mobility_values(details: &MobilityDetails) -> Vec<(FieldKey, String)> {
    let mut values = vec![
        (
            FieldKey::SendingOrganisation,
            details.sending_organisation.clone(),
        ),
        (
            FieldKey::SendingRegion,
            details.sending_region.code().to_owned(),
        ),
        (
            FieldKey::ReceivingOrganisation,
            details.receiving_organisation.clone(),
        ),
        (
            FieldKey::ReceivingCountry,
            details.destination.country().code().to_owned(),
        ),
        (
            FieldKey::MobilityType,
            details.mobility_type.value().to_owned(),
        ),
        (FieldKey::Participants, details.participants.to_string()),
        (
            FieldKey::FewerOpportunities,
            details.fewer_opportunities.to_string(),
        ),
        (FieldKey::StartDate, details.dates.start().to_string()),
        (FieldKey::EndDate, details.dates.end().to_string()),
        (FieldKey::Status, details.status.value().to_owned()),
    ];
    if let Some(region) = details.destination.nuts_region() {
        values.push((FieldKey::ReceivingRegion, region.code().to_owned()));
    }
    if let Some(introduction) = details.introduction {
        values.push((FieldKey::Introduction, introduction.to_string()));
    }
    values
}

/// The language to write to an organisation in: the first of its submission's
/// languages that mobmatch has emails in, English otherwise.
pub fn letter_language(submission: &Submission) -> FormLanguage {
    submission
        .details
        .languages
        .iter()
        .find_map(|language| {
            FormLanguage::ALL
                .iter()
                .copied()
                .find(|form_language| form_language.code() == language.code())
        })
        .unwrap_or(FormLanguage::En)
}

fn awaits_answers(status: IntroductionStatus) -> bool {
    matches!(
        status,
        IntroductionStatus::Proposed | IntroductionStatus::Introduced
    )
}

fn days(count: u32) -> Duration {
    Duration::days(i64::from(count))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{
        DateWindow, DurationRange, EmailAddress, IscedField, Language, MobilityType, Organisation,
        Region, RoundId, Source, SubmissionDetails, SubmissionId, SubmissionStatus,
    };

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn window(start: &str, end: &str) -> DateWindow {
        DateWindow::new(start.parse().unwrap(), end.parse().unwrap()).unwrap()
    }

    fn submission(id: i64, role: Role, region: &str, languages: &[&str]) -> Submission {
        let created = at("2027-01-04T08:00:00Z");
        Submission {
            id: SubmissionId::new(id),
            details: SubmissionDetails {
                role,
                organisation: Organisation {
                    name: format!("Organisation {id}"),
                    contact_name: "Anna Berg".to_owned(),
                    contact_email: EmailAddress::parse(&format!("contact{id}@example.org"))
                        .unwrap(),
                    region: Region::parse(region).unwrap(),
                },
                mobility_type: MobilityType::VetLearner,
                fields: vec![IscedField::parse("0713").unwrap()],
                participants: 4,
                fewer_opportunities: 0,
                inclusion_support: false,
                window: window("2027-03-01", "2027-06-30"),
                duration: DurationRange::new(10, 30).unwrap(),
                languages: languages
                    .iter()
                    .map(|code| Language::parse(code).unwrap())
                    .collect(),
                partner_countries: Vec::new(),
                notes: String::new(),
            },
            status: SubmissionStatus::Open,
            source: Source::Email,
            created_at: created,
            updated_at: created,
        }
    }

    fn introduction(
        status: IntroductionStatus,
        host: Option<Answer>,
        sender: Option<Answer>,
    ) -> Introduction {
        let answered = |answer: Option<Answer>| {
            answer.map(|answer| SideAnswer {
                answer,
                at: at("2027-01-05T10:00:00Z"),
            })
        };
        Introduction {
            id: IntroductionId::new(7),
            round: RoundId::new(1),
            offer: SubmissionId::new(1),
            request: SubmissionId::new(2),
            score: 80.0,
            reasons: Vec::new(),
            status,
            host_answer: answered(host),
            sender_answer: answered(sender),
            created_at: at("2027-01-04T08:00:00Z"),
        }
    }

    #[test]
    fn answers_move_an_introduction_as_the_state_machine_says() {
        use Answer::{Accept, Decline};
        use IntroductionStatus::{Accepted, Declined, Expired, Introduced, Proposed};
        use Role::{Receiving as Host, Sending};
        let record = |status, effect| AnswerDecision::Record { status, effect };
        let already = |answer| {
            AnswerDecision::Refuse(Refusal::AlreadyAnswered(SideAnswer {
                answer,
                at: at("2027-01-05T10:00:00Z"),
            }))
        };
        // (status, host's earlier answer, sender's earlier answer, side, answer, decision)
        let cases = [
            (
                Introduced,
                None,
                None,
                Host,
                Accept,
                record(Introduced, AnswerEffect::AwaitingPartner),
            ),
            (
                Introduced,
                None,
                None,
                Sending,
                Decline,
                record(Declined, AnswerEffect::Declined),
            ),
            (
                Introduced,
                Some(Accept),
                None,
                Sending,
                Accept,
                record(Accepted, AnswerEffect::BothAccepted),
            ),
            (
                Introduced,
                None,
                Some(Accept),
                Host,
                Accept,
                record(Accepted, AnswerEffect::BothAccepted),
            ),
            (
                Introduced,
                None,
                Some(Accept),
                Host,
                Decline,
                record(Declined, AnswerEffect::Declined),
            ),
            (
                Proposed,
                None,
                None,
                Host,
                Accept,
                record(Proposed, AnswerEffect::AwaitingPartner),
            ),
            (
                Introduced,
                Some(Accept),
                None,
                Host,
                Accept,
                already(Accept),
            ),
            (
                Introduced,
                Some(Accept),
                None,
                Host,
                Decline,
                already(Accept),
            ),
            (
                Declined,
                Some(Decline),
                None,
                Host,
                Accept,
                already(Decline),
            ),
            (
                Declined,
                Some(Decline),
                None,
                Sending,
                Accept,
                AnswerDecision::Refuse(Refusal::Closed(Declined)),
            ),
            (
                Expired,
                None,
                None,
                Sending,
                Accept,
                AnswerDecision::Refuse(Refusal::Closed(Expired)),
            ),
            (
                Accepted,
                Some(Accept),
                Some(Accept),
                Sending,
                Decline,
                already(Accept),
            ),
        ];
        for (status, host, sender, side, answer, expected) in cases {
            let introduction = introduction(status, host, sender);
            assert_eq!(
                decide_answer(&introduction, side, answer),
                expected,
                "{status} host {host:?} sender {sender:?}: {side} answers {answer}"
            );
        }
    }

    #[test]
    fn reminders_and_expiry_fall_due_on_their_days() {
        let timing = Timing {
            remind_after_days: 7,
            expire_after_days: 21,
        };
        let introduced_at = at("2027-01-04T08:00:00Z");
        let silent = SideProgress {
            answered: false,
            reminded_at: None,
        };
        let answered = SideProgress {
            answered: true,
            reminded_at: None,
        };
        let reminded = SideProgress {
            answered: false,
            reminded_at: Some(at("2027-01-11T09:00:00Z")),
        };
        let progress = |status, introduced_at, host, sender| Progress {
            status,
            introduced_at,
            host,
            sender,
        };
        let waiting = IntroductionStatus::Introduced;
        // (progress, now, what is due)
        let cases = [
            (
                progress(waiting, Some(introduced_at), silent, silent),
                "2027-01-11T07:59:59Z",
                Due::Nothing,
            ),
            (
                progress(waiting, Some(introduced_at), silent, silent),
                "2027-01-11T08:00:00Z",
                Due::Remind(vec![Role::Receiving, Role::Sending]),
            ),
            (
                progress(waiting, Some(introduced_at), answered, silent),
                "2027-01-12T09:00:00Z",
                Due::Remind(vec![Role::Sending]),
            ),
            (
                progress(waiting, Some(introduced_at), answered, reminded),
                "2027-01-12T09:00:00Z",
                Due::Nothing,
            ),
            (
                progress(waiting, Some(introduced_at), reminded, reminded),
                "2027-01-25T07:59:59Z",
                Due::Nothing,
            ),
            (
                progress(waiting, Some(introduced_at), reminded, reminded),
                "2027-01-25T08:00:00Z",
                Due::Expire,
            ),
            (
                progress(waiting, Some(introduced_at), answered, silent),
                "2027-02-25T08:00:00Z",
                Due::Expire,
            ),
            (
                progress(IntroductionStatus::Proposed, None, silent, silent),
                "2027-01-04T08:00:00Z",
                Due::Introduce,
            ),
            (
                progress(
                    IntroductionStatus::Accepted,
                    Some(introduced_at),
                    answered,
                    answered,
                ),
                "2027-06-01T00:00:00Z",
                Due::Nothing,
            ),
            (
                progress(
                    IntroductionStatus::Declined,
                    Some(introduced_at),
                    answered,
                    silent,
                ),
                "2027-06-01T00:00:00Z",
                Due::Nothing,
            ),
        ];
        for (progress, now, expected) in cases {
            assert_eq!(
                decide_due(&progress, at(now), timing),
                expected,
                "{progress:?} at {now}"
            );
        }
    }

    #[test]
    fn a_planned_mobility_takes_the_request_capped_by_the_offer_on_the_overlap() {
        let mut offer = submission(1, Role::Receiving, "ES21", &["es", "en"]);
        offer.details.participants = 3;
        offer.details.window = window("2027-03-01", "2027-05-10");
        let mut request = submission(2, Role::Sending, "SE23", &["sv"]);
        request.details.participants = 5;
        request.details.fewer_opportunities = 4;
        request.details.window = window("2027-04-01", "2027-06-30");
        let planned = planned_mobility(IntroductionId::new(7), &offer, &request);
        assert_eq!(planned.participants, 3);
        assert_eq!(planned.fewer_opportunities, 3);
        assert_eq!(planned.dates, window("2027-04-01", "2027-05-10"));
        assert_eq!(planned.sending_organisation, "Organisation 2");
        assert_eq!(planned.sending_region.code(), "SE23");
        assert_eq!(planned.receiving_organisation, "Organisation 1");
        assert_eq!(
            planned
                .destination
                .nuts_region()
                .map(|region| region.code()),
            Some("ES21")
        );
        assert_eq!(planned.status, MobilityStatus::Planned);
        assert_eq!(planned.introduction, Some(IntroductionId::new(7)));
    }

    #[test]
    fn a_completion_reply_changes_the_planned_mobility_and_keeps_its_introduction() {
        let offer = submission(1, Role::Receiving, "ES21", &["es"]);
        let request = submission(2, Role::Sending, "SE23", &["sv"]);
        let planned = planned_mobility(IntroductionId::new(7), &offer, &request);
        let reply = FieldSet::from_text(
            "Participants: 2\nStatus: completed\nEnd date: 2027-04-20\nIntroduction: I-99",
        );
        let reported = reported_mobility(&planned, &reply).unwrap();
        assert_eq!(reported.participants, 2);
        assert_eq!(reported.status, MobilityStatus::Completed);
        assert_eq!(
            reported.dates.end(),
            NaiveDate::from_ymd_opt(2027, 4, 20).unwrap()
        );
        assert_eq!(reported.introduction, Some(IntroductionId::new(7)));
        assert_eq!(reported.destination, planned.destination);

        let wrong = FieldSet::from_text("Participants: many\nStatus: finished");
        let errors = reported_mobility(&planned, &wrong).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|error| error.field).collect();
        assert_eq!(fields, ["participants", "status"]);
    }

    #[test]
    fn letters_go_out_in_the_first_language_mobmatch_writes() {
        let cases = [
            (vec!["sv", "en"], FormLanguage::Sv),
            (vec!["eu", "es"], FormLanguage::Es),
            (vec!["fi"], FormLanguage::En),
            (vec!["de"], FormLanguage::De),
        ];
        for (languages, expected) in cases {
            let organisation = submission(1, Role::Receiving, "ES21", &languages);
            assert_eq!(letter_language(&organisation), expected, "{languages:?}");
        }
    }
}
