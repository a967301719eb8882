//! The emails of an introduction, composed from plain records into outbox messages: the
//! introduction itself to each side (and its reminder), the news that follows an answer
//! or expiry, and the request for a mobility report once a planned mobility has ended.
//! Pure: the caller writes the messages into the outbox in the transaction of the change
//! that causes them.
//!
//! Every letter to a side carries that side's reply token in its Reply-To plus-address
//! and its subject tag, and has a Message-ID made from what it is about and the token, so
//! that writing the same letter twice is refused by the outbox rather than sent twice.

use chrono::{DateTime, Utc};
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::answers::{RenderedAnswer, label, render_email, render_form};
use super::token::{self, TokenSubject};
use crate::domain::{
    Answer, EmailAddress, Introduction, IntroductionStatus, MobilityDetails, MobilityId, Role,
    Submission,
};
use crate::forms::{FieldKey, FormKind, FormLanguage};
use crate::store::NewOutboxMessage;

/// What composing letters needs of the configuration.
#[derive(Clone, Debug)]
pub struct LetterSettings {
    pub our_address: EmailAddress,
    pub secret: String,
    /// The public address of the web pages, for the answer links.
    pub base_url: String,
}

/// An introduction with its two submissions.
#[derive(Clone, Copy, Debug)]
pub struct Parties<'a> {
    pub introduction: &'a Introduction,
    pub offer: &'a Submission,
    pub request: &'a Submission,
}

impl Parties<'_> {
    pub fn submission(&self, side: Role) -> &Submission {
        match side {
            Role::Receiving => self.offer,
            Role::Sending => self.request,
        }
    }

    /// The address that writes for `side`: its organisation's contact.
    pub fn contact(&self, side: Role) -> &EmailAddress {
        &self.submission(side).details.organisation.contact_email
    }
}

/// What a news letter tells one side.
#[derive(Clone, Debug, PartialEq)]
pub enum News {
    /// We recorded your acceptance and wait for the partner's.
    AwaitingPartner,
    DeclinedByYou,
    DeclinedByPartner,
    /// Both accepted: the planned mobility and the next steps.
    Accepted {
        mobility: MobilityId,
        details: MobilityDetails,
    },
    Expired,
    /// A second answer from the same side: the first one stands.
    AlreadyAnswered {
        answer: Answer,
    },
    /// An answer after the introduction was settled.
    Closed {
        status: IntroductionStatus,
    },
}

impl News {
    /// Names the letter in its Message-ID. A repeated or late answer is answered once
    /// at most, whatever it says, so both share one name.
    fn key(&self) -> &'static str {
        match self {
            News::AwaitingPartner => "waiting",
            News::DeclinedByYou | News::DeclinedByPartner => "declined",
            News::Accepted { .. } => "accepted",
            News::Expired => "expired",
            News::AlreadyAnswered { .. } | News::Closed { .. } => "unchanged",
        }
    }

    fn event(&self) -> &'static str {
        match self {
            News::AwaitingPartner => "awaiting_partner",
            News::DeclinedByYou => "declined_by_you",
            News::DeclinedByPartner => "declined_by_partner",
            News::Accepted { .. } => "accepted",
            News::Expired => "expired",
            News::AlreadyAnswered { .. } => "already_answered",
            News::Closed { .. } => "closed",
        }
    }
}

/// The introduction email to `side` (or its reminder): who the partner is, what each
/// side offered and asked for, why they were matched, and how to answer.
pub fn introduction_letter(
    settings: &LetterSettings,
    parties: Parties<'_>,
    side: Role,
    language: FormLanguage,
    reminder: bool,
    now: DateTime<Utc>,
) -> NewOutboxMessage {
    let token = side_token(settings, parties, side);
    let rendered = render_email(
        "introduction.txt",
        language,
        context! {
            reminder,
            link => answer_link(settings, &token),
            ..base_context(parties, side)
        },
    );
    let kind = if reminder { "reminder" } else { "introduction" };
    compose(settings, parties, side, kind, rendered, language, now)
}

/// The news of an answer or of expiry, to `side`.
pub fn news_letter(
    settings: &LetterSettings,
    parties: Parties<'_>,
    side: Role,
    language: FormLanguage,
    news: &News,
    now: DateTime<Utc>,
) -> NewOutboxMessage {
    let (mobility_reference, mobility) = match news {
        News::Accepted { mobility, details } => {
            (Some(mobility.to_string()), Some(MobilityView::of(details)))
        }
        _ => (None, None),
    };
    let (answer, status) = match news {
        News::AlreadyAnswered { answer } => (Some(answer.value()), None),
        News::Closed { status } => (None, Some(status.value())),
        _ => (None, None),
    };
    let rendered = render_email(
        "introduction_news.txt",
        language,
        context! {
            event => news.event(),
            answer,
            status,
            mobility_reference,
            mobility => Value::from(Serde(mobility)),
            ..base_context(parties, side)
        },
    );
    compose(settings, parties, side, news.key(), rendered, language, now)
}

/// Asks the sending side to report on the mobility planned from the introduction once
/// it has ended: the report form pre-filled with the plan, to send back with the real
/// numbers and `Status: completed` (or `cancelled`).
pub fn completion_letter(
    settings: &LetterSettings,
    parties: Parties<'_>,
    language: FormLanguage,
    mobility: MobilityId,
    values: &[(FieldKey, String)],
    now: DateTime<Utc>,
) -> NewOutboxMessage {
    let side = Role::Sending;
    let status_label = label(FieldKey::Status, language);
    let rendered = render_email(
        "completion.txt",
        language,
        context! {
            mobility_reference => mobility.to_string(),
            status_label,
            form => render_form(language, FormKind::MobilityReport, values),
            ..base_context(parties, side)
        },
    );
    compose(
        settings,
        parties,
        side,
        "completion",
        rendered,
        language,
        now,
    )
}

/// The answer link of the web page for one side of an introduction.
pub fn answer_link(settings: &LetterSettings, token: &str) -> String {
    format!("{}/i/{token}", settings.base_url.trim_end_matches('/'))
}

fn side_token(settings: &LetterSettings, parties: Parties<'_>, side: Role) -> String {
    token::sign(
        TokenSubject::Introduction {
            id: parties.introduction.id,
            side,
        },
        &settings.secret,
    )
}

fn base_context(parties: Parties<'_>, side: Role) -> Value {
    let partner_side = match side {
        Role::Receiving => Role::Sending,
        Role::Sending => Role::Receiving,
    };
    context! {
        reference => parties.introduction.id.to_string(),
        you_host => side == Role::Receiving,
        you => Value::from(Serde(PartyView::of(parties.submission(side)))),
        partner => Value::from(Serde(PartyView::of(parties.submission(partner_side)))),
        offer => Value::from(Serde(SubmissionView::of(parties.offer))),
        request => Value::from(Serde(SubmissionView::of(parties.request))),
        score => format!("{:.0}", parties.introduction.score),
        reasons => parties.introduction.reasons.clone(),
    }
}

fn compose(
    settings: &LetterSettings,
    parties: Parties<'_>,
    side: Role,
    kind: &str,
    rendered: RenderedAnswer,
    language: FormLanguage,
    now: DateTime<Utc>,
) -> NewOutboxMessage {
    let token = side_token(settings, parties, side);
    let (our_local, our_domain) = settings
        .our_address
        .as_str()
        .split_once('@')
        .expect("an email address has an @");
    let mut headers = vec![
        ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
        (
            "Reply-To".to_owned(),
            format!("{our_local}+{token}@{our_domain}"),
        ),
        ("Content-Language".to_owned(), language.code().to_owned()),
    ];
    if kind != "introduction" {
        // Threads every later letter under the introduction in the partner's mail client.
        let first = format!("<introduction.{token}@{our_domain}>");
        headers.push(("In-Reply-To".to_owned(), first.clone()));
        headers.push(("References".to_owned(), first));
    }
    NewOutboxMessage {
        message_id: format!("<{kind}.{token}@{our_domain}>"),
        recipients: vec![parties.contact(side).clone()],
        subject: format!("{} [mobmatch {token}]", rendered.subject),
        body_text: rendered.text,
        body_html: Some(rendered.html),
        headers,
        created_at: now,
    }
}

#[derive(Serialize)]
struct PartyView {
    organisation: String,
    region: &'static str,
    region_name: &'static str,
    country: &'static str,
    contact_name: String,
    contact_email: String,
}

impl PartyView {
    fn of(submission: &Submission) -> PartyView {
        let organisation = &submission.details.organisation;
        PartyView {
            organisation: organisation.name.clone(),
            region: organisation.region.code(),
            region_name: organisation.region.name(),
            country: organisation.region.country().code(),
            contact_name: organisation.contact_name.clone(),
            contact_email: organisation.contact_email.to_string(),
        }
    }
}

#[derive(Serialize)]
struct SubmissionView {
    reference: String,
    organisation: String,
    region: &'static str,
    region_name: &'static str,
    mobility_type: &'static str,
    /// Codes with their names: "0713 Electricity and energy, 0722 …".
    fields: String,
    participants: u32,
    fewer_opportunities: u32,
    inclusion_support: bool,
    earliest_start: String,
    latest_end: String,
    /// "10" or "5-14".
    duration: String,
    /// Names with their codes: "Spanish (es), English (en)".
    languages: String,
    partner_countries: String,
    notes: String,
}

impl SubmissionView {
    fn of(submission: &Submission) -> SubmissionView {
        let details = &submission.details;
        let (min_days, max_days) = (details.duration.min_days(), details.duration.max_days());
        SubmissionView {
            reference: submission.id.to_string(),
            organisation: details.organisation.name.clone(),
            region: details.organisation.region.code(),
            region_name: details.organisation.region.name(),
            mobility_type: details.mobility_type.value(),
            fields: details
                .fields
                .iter()
                .map(|field| format!("{} {}", field.code(), field.name()))
                .collect::<Vec<_>>()
                .join(", "),
            participants: details.participants,
            fewer_opportunities: details.fewer_opportunities,
            inclusion_support: details.inclusion_support,
            earliest_start: details.window.start().to_string(),
            latest_end: details.window.end().to_string(),
            duration: if min_days == max_days {
                min_days.to_string()
            } else {
                format!("{min_days}-{max_days}")
            },
            languages: details
                .languages
                .iter()
                .map(|language| format!("{} ({})", language.name(), language.code()))
                .collect::<Vec<_>>()
                .join(", "),
            partner_countries: details
                .partner_countries
                .iter()
                .map(|country| country.code())
                .collect::<Vec<_>>()
                .join(", "),
            notes: details.notes.clone(),
        }
    }
}

#[derive(Serialize)]
struct MobilityView {
    mobility_type: &'static str,
    participants: u32,
    fewer_opportunities: u32,
    start_date: String,
    end_date: String,
}

impl MobilityView {
    fn of(details: &MobilityDetails) -> MobilityView {
        MobilityView {
            mobility_type: details.mobility_type.value(),
            participants: details.participants,
            fewer_opportunities: details.fewer_opportunities,
            start_date: details.dates.start().to_string(),
            end_date: details.dates.end().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        DateWindow, Destination, DurationRange, IntroductionId, IscedField, Language,
        MobilityStatus, MobilityType, Organisation, Region, RoundId, Source, SubmissionDetails,
        SubmissionId, SubmissionStatus,
    };

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn settings() -> LetterSettings {
        LetterSettings {
            our_address: EmailAddress::parse("matchmaking@example.org").unwrap(),
            secret: "letters".to_owned(),
            base_url: "https://match.example.org/".to_owned(),
        }
    }

    fn submission(id: i64, role: Role, name: &str, region: &str) -> Submission {
        Submission {
            id: SubmissionId::new(id),
            details: SubmissionDetails {
                role,
                organisation: Organisation {
                    name: name.to_owned(),
                    contact_name: format!("Contact of {name}"),
                    contact_email: EmailAddress::parse(&format!("contact{id}@example.org"))
                        .unwrap(),
                    region: Region::parse(region).unwrap(),
                },
                mobility_type: MobilityType::StaffJobShadowing,
                fields: vec![IscedField::parse("0713").unwrap()],
                participants: 3,
                fewer_opportunities: u32::from(role == Role::Sending),
                inclusion_support: true,
                window: DateWindow::new(
                    "2027-03-01".parse().unwrap(),
                    "2027-06-30".parse().unwrap(),
                )
                .unwrap(),
                duration: DurationRange::new(5, 10).unwrap(),
                languages: vec![Language::parse("en").unwrap()],
                partner_countries: Vec::new(),
                notes: "Staff of the automotive department".to_owned(),
            },
            status: SubmissionStatus::Open,
            source: Source::Email,
            created_at: at("2027-01-04T08:00:00Z"),
            updated_at: at("2027-01-04T08:00:00Z"),
        }
    }

    fn introduction() -> Introduction {
        Introduction {
            id: IntroductionId::new(42),
            round: RoundId::new(1),
            offer: SubmissionId::new(1),
            request: SubmissionId::new(2),
            score: 87.5,
            reasons: vec!["Both name field 0713 (Electricity and energy).".to_owned()],
            status: IntroductionStatus::Introduced,
            host_answer: None,
            sender_answer: None,
            created_at: at("2027-01-04T08:00:00Z"),
        }
    }

    fn every_news() -> Vec<News> {
        let offer = submission(1, Role::Receiving, "TKNIKA", "ES21");
        let request = submission(2, Role::Sending, "Region Västra Götaland", "SE23");
        let details = MobilityDetails {
            sending_organisation: request.details.organisation.name.clone(),
            sending_region: request.details.organisation.region,
            receiving_organisation: offer.details.organisation.name.clone(),
            destination: Destination::region(offer.details.organisation.region),
            mobility_type: MobilityType::StaffJobShadowing,
            participants: 3,
            fewer_opportunities: 1,
            dates: offer.details.window,
            status: MobilityStatus::Planned,
            introduction: Some(IntroductionId::new(42)),
        };
        vec![
            News::AwaitingPartner,
            News::DeclinedByYou,
            News::DeclinedByPartner,
            News::Accepted {
                mobility: MobilityId::new(5),
                details,
            },
            News::Expired,
            News::AlreadyAnswered {
                answer: Answer::Accept,
            },
            News::Closed {
                status: IntroductionStatus::Expired,
            },
        ]
    }

    #[test]
    fn an_introduction_tells_each_side_who_the_partner_is_why_and_how_to_answer() {
        let offer = submission(1, Role::Receiving, "TKNIKA", "ES21");
        let request = submission(2, Role::Sending, "Region Västra Götaland", "SE23");
        let introduction = introduction();
        let parties = Parties {
            introduction: &introduction,
            offer: &offer,
            request: &request,
        };
        let now = at("2027-01-04T08:00:00Z");
        let letter = introduction_letter(
            &settings(),
            parties,
            Role::Sending,
            FormLanguage::En,
            false,
            now,
        );
        let token = token::sign(
            TokenSubject::Introduction {
                id: IntroductionId::new(42),
                side: Role::Sending,
            },
            "letters",
        );
        assert_eq!(
            letter.subject,
            format!(
                "Introduction I-42: TKNIKA (ES21) ↔ Region Västra Götaland (SE23) [mobmatch {token}]"
            )
        );
        assert_eq!(
            letter.recipients,
            std::slice::from_ref(&request.details.organisation.contact_email)
        );
        assert_eq!(
            letter.message_id,
            format!("<introduction.{token}@example.org>")
        );
        assert!(letter.headers.contains(&(
            "Reply-To".to_owned(),
            format!("matchmaking+{token}@example.org")
        )));
        assert!(
            letter
                .headers
                .contains(&("Auto-Submitted".to_owned(), "auto-generated".to_owned()))
        );
        for expected in [
            "Organisation: TKNIKA",
            "Region: ES21 (País Vasco)",
            "Contact name: Contact of TKNIKA",
            "Contact email: contact1@example.org",
            "Mobility type: Staff job shadowing",
            "Fields of education: 0713 Electricity and energy",
            "Inclusion support: yes",
            "Fewer opportunities: 1",
            "Duration in days: 5-10",
            "Notes: Staff of the automotive department",
            "score 88 out of 100",
            "- Both name field 0713 (Electricity and energy).",
            "ACCEPT or DECLINE",
            &format!("https://match.example.org/i/{token}"),
        ] {
            assert!(
                letter.body_text.contains(expected),
                "{expected:?} in\n{}",
                letter.body_text
            );
        }
        let reminder = introduction_letter(
            &settings(),
            parties,
            Role::Sending,
            FormLanguage::En,
            true,
            now,
        );
        assert!(reminder.subject.starts_with("Reminder: Introduction I-42"));
        assert_ne!(reminder.message_id, letter.message_id);
    }

    #[test]
    fn every_letter_renders_in_every_language() {
        let offer = submission(1, Role::Receiving, "TKNIKA", "ES21");
        let request = submission(2, Role::Sending, "Region Västra Götaland", "SE23");
        let introduction = introduction();
        let parties = Parties {
            introduction: &introduction,
            offer: &offer,
            request: &request,
        };
        let now = at("2027-01-04T08:00:00Z");
        for language in FormLanguage::ALL.iter().copied() {
            for side in [Role::Receiving, Role::Sending] {
                for reminder in [false, true] {
                    let letter =
                        introduction_letter(&settings(), parties, side, language, reminder, now);
                    assert!(
                        letter.subject.contains("I-42"),
                        "{language:?}: {}",
                        letter.subject
                    );
                    assert!(letter.body_text.contains("/i/i42"), "{language:?}");
                    assert!(letter.body_html.as_deref().unwrap().contains("<pre"));
                }
                let mut message_ids = Vec::new();
                for news in every_news() {
                    let letter = news_letter(&settings(), parties, side, language, &news, now);
                    assert!(
                        letter.subject.contains("I-42"),
                        "{language:?} {news:?}: {}",
                        letter.subject
                    );
                    assert!(!letter.body_text.trim().is_empty());
                    message_ids.push(letter.message_id);
                }
                message_ids.dedup();
                // Repeated and late answers share one letter, and so do both declines.
                assert_eq!(message_ids.len(), 5, "{message_ids:?}");
            }
            let values = vec![(FieldKey::Participants, "3".to_owned())];
            let letter = completion_letter(
                &settings(),
                parties,
                language,
                MobilityId::new(5),
                &values,
                now,
            );
            assert!(
                letter.subject.contains("M-5"),
                "{language:?}: {}",
                letter.subject
            );
            assert_eq!(
                letter.recipients,
                std::slice::from_ref(&request.details.organisation.contact_email)
            );
            let form = crate::forms::FieldSet::from_text(&letter.body_text);
            assert!(
                form.contains(FieldKey::Participants),
                "{}",
                letter.body_text
            );
        }
    }
}
