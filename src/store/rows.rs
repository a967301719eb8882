//! Rows as the database returns them, and their conversion into domain values through
//! the domain's own parsers. A stored value that no longer parses (say, a code removed
//! from a newer NUTS list) becomes `StoreError::Corrupt` naming the table and column.
//!
//! The row structs derive `FromRow` generically, so one struct serves both backends.

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use super::records::{
    InboundError, InboundMessage, InboundMessageId, NewInboundMessage, NewOutboxMessage,
    OutboxMessage, OutboxMessageId, OutboxStatus,
};
use crate::domain::{
    Answer, Country, DateWindow, Destination, DurationRange, EmailAddress, Introduction,
    IntroductionId, IntroductionStatus, InvalidValue, IscedField, Language, Mobility,
    MobilityDetails, MobilityId, MobilityStatus, MobilityType, Organisation, Population, Region,
    Role, Round, RoundId, SideAnswer, Source, Submission, SubmissionDetails, SubmissionId,
    SubmissionStatus,
};

/// The columns every submission query selects, joined with its organisation.
pub(super) const SUBMISSION_COLUMNS: &str = "submissions.id, submissions.role, \
    submissions.mobility_type, submissions.fields, submissions.participants, \
    submissions.fewer_opportunities, submissions.inclusion_support, submissions.earliest_start, \
    submissions.latest_end, submissions.min_days, submissions.max_days, submissions.languages, \
    submissions.partner_countries, submissions.notes, submissions.status, submissions.source, \
    submissions.created_at, submissions.updated_at, organisations.name AS organisation_name, \
    organisations.contact_name, organisations.contact_email, organisations.region";

#[derive(sqlx::FromRow)]
pub(super) struct SubmissionRow {
    id: i64,
    role: String,
    mobility_type: String,
    fields: String,
    participants: i64,
    fewer_opportunities: i64,
    inclusion_support: bool,
    earliest_start: NaiveDate,
    latest_end: NaiveDate,
    min_days: i64,
    max_days: i64,
    languages: String,
    partner_countries: String,
    notes: String,
    status: String,
    source: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    organisation_name: String,
    contact_name: String,
    contact_email: String,
    region: String,
}

impl TryFrom<SubmissionRow> for Submission {
    type Error = StoreError;

    fn try_from(row: SubmissionRow) -> Result<Submission, StoreError> {
        let table = "submissions";
        let organisation = Organisation {
            name: row.organisation_name,
            contact_name: row.contact_name,
            contact_email: parse(
                "organisations",
                "contact_email",
                &row.contact_email,
                EmailAddress::parse,
            )?,
            region: parse("organisations", "region", &row.region, Region::parse)?,
        };
        let window = DateWindow::new(row.earliest_start, row.latest_end).map_err(|invalid| {
            StoreError::corrupt(table, "latest_end", row.latest_end.to_string(), invalid)
        })?;
        let min_days = count(table, "min_days", row.min_days)?;
        let max_days = count(table, "max_days", row.max_days)?;
        let duration = DurationRange::new(min_days, max_days).map_err(|invalid| {
            StoreError::corrupt(table, "max_days", row.max_days.to_string(), invalid)
        })?;
        let details = SubmissionDetails {
            role: parse(table, "role", &row.role, Role::from_value)?,
            organisation,
            mobility_type: parse(
                table,
                "mobility_type",
                &row.mobility_type,
                MobilityType::from_value,
            )?,
            fields: parse_list(table, "fields", &row.fields, IscedField::parse)?,
            participants: count(table, "participants", row.participants)?,
            fewer_opportunities: count(table, "fewer_opportunities", row.fewer_opportunities)?,
            inclusion_support: row.inclusion_support,
            window,
            duration,
            languages: parse_list(table, "languages", &row.languages, Language::parse)?,
            partner_countries: parse_list(
                table,
                "partner_countries",
                &row.partner_countries,
                Country::parse,
            )?,
            notes: row.notes,
        };
        Ok(Submission {
            id: SubmissionId::new(row.id),
            details,
            status: parse(table, "status", &row.status, SubmissionStatus::from_value)?,
            source: parse(table, "source", &row.source, Source::from_value)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(super) const MOBILITY_COLUMNS: &str = "id, sending_organisation, sending_region, \
    receiving_organisation, receiving_region, receiving_country, mobility_type, participants, \
    fewer_opportunities, start_date, end_date, status, introduction_id, source, created_at, \
    updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct MobilityRow {
    id: i64,
    sending_organisation: String,
    sending_region: String,
    receiving_organisation: String,
    receiving_region: Option<String>,
    receiving_country: String,
    mobility_type: String,
    participants: i64,
    fewer_opportunities: i64,
    start_date: NaiveDate,
    end_date: NaiveDate,
    status: String,
    introduction_id: Option<i64>,
    source: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<MobilityRow> for Mobility {
    type Error = StoreError;

    fn try_from(row: MobilityRow) -> Result<Mobility, StoreError> {
        let table = "mobilities";
        let destination = match &row.receiving_region {
            Some(region) => {
                Destination::region(parse(table, "receiving_region", region, Region::parse)?)
            }
            None => Destination::country_only(parse(
                table,
                "receiving_country",
                &row.receiving_country,
                Country::parse,
            )?),
        };
        let dates = DateWindow::new(row.start_date, row.end_date).map_err(|invalid| {
            StoreError::corrupt(table, "end_date", row.end_date.to_string(), invalid)
        })?;
        let details = MobilityDetails {
            sending_organisation: row.sending_organisation,
            sending_region: parse(table, "sending_region", &row.sending_region, Region::parse)?,
            receiving_organisation: row.receiving_organisation,
            destination,
            mobility_type: parse(
                table,
                "mobility_type",
                &row.mobility_type,
                MobilityType::from_value,
            )?,
            participants: count(table, "participants", row.participants)?,
            fewer_opportunities: count(table, "fewer_opportunities", row.fewer_opportunities)?,
            dates,
            status: parse(table, "status", &row.status, MobilityStatus::from_value)?,
            introduction: row.introduction_id.map(IntroductionId::new),
        };
        Ok(Mobility {
            id: MobilityId::new(row.id),
            details,
            source: parse(table, "source", &row.source, Source::from_value)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PopulationRow {
    region: String,
    year: i32,
    vet_learners: i64,
    ivet_graduates: Option<i64>,
}

impl TryFrom<PopulationRow> for Population {
    type Error = StoreError;

    fn try_from(row: PopulationRow) -> Result<Population, StoreError> {
        let table = "population";
        Ok(Population {
            region: parse(table, "region", &row.region, Region::parse)?,
            year: row.year,
            vet_learners: count(table, "vet_learners", row.vet_learners)?,
            ivet_graduates: row
                .ivet_graduates
                .map(|graduates| count(table, "ivet_graduates", graduates))
                .transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RoundRow {
    id: i64,
    started_at: DateTime<Utc>,
    duration_ms: i64,
    parameters: String,
    offers: i64,
    requests: i64,
    candidates: i64,
    introductions: i64,
    total_score: f64,
}

impl TryFrom<RoundRow> for Round {
    type Error = StoreError;

    fn try_from(row: RoundRow) -> Result<Round, StoreError> {
        let table = "rounds";
        Ok(Round {
            id: RoundId::new(row.id),
            started_at: row.started_at,
            duration_ms: u64::try_from(row.duration_ms).map_err(|_| {
                StoreError::corrupt(
                    table,
                    "duration_ms",
                    row.duration_ms.to_string(),
                    InvalidValue::new("a duration of 0 ms or more"),
                )
            })?,
            parameters: json(table, "parameters", &row.parameters)?,
            offers: count(table, "offers", row.offers)?,
            requests: count(table, "requests", row.requests)?,
            candidates: count(table, "candidates", row.candidates)?,
            introductions: count(table, "introductions", row.introductions)?,
            total_score: row.total_score,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct IntroductionRow {
    id: i64,
    round_id: i64,
    offer_id: i64,
    request_id: i64,
    score: f64,
    reasons: String,
    status: String,
    host_answer: Option<String>,
    host_answered_at: Option<DateTime<Utc>>,
    sender_answer: Option<String>,
    sender_answered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<IntroductionRow> for Introduction {
    type Error = StoreError;

    fn try_from(row: IntroductionRow) -> Result<Introduction, StoreError> {
        let table = "introductions";
        Ok(Introduction {
            id: IntroductionId::new(row.id),
            round: RoundId::new(row.round_id),
            offer: SubmissionId::new(row.offer_id),
            request: SubmissionId::new(row.request_id),
            score: row.score,
            reasons: json(table, "reasons", &row.reasons)?,
            status: parse(table, "status", &row.status, IntroductionStatus::from_value)?,
            host_answer: side_answer("host_answer", row.host_answer, row.host_answered_at)?,
            sender_answer: side_answer("sender_answer", row.sender_answer, row.sender_answered_at)?,
            created_at: row.created_at,
        })
    }
}

fn side_answer(
    column: &'static str,
    answer: Option<String>,
    answered_at: Option<DateTime<Utc>>,
) -> Result<Option<SideAnswer>, StoreError> {
    let table = "introductions";
    match (answer, answered_at) {
        (Some(answer), Some(at)) => Ok(Some(SideAnswer {
            answer: parse(table, column, &answer, Answer::from_value)?,
            at,
        })),
        (None, None) => Ok(None),
        (answer, _) => Err(StoreError::corrupt(
            table,
            column,
            answer.unwrap_or_default(),
            InvalidValue::new("an answer together with the time it was given"),
        )),
    }
}

pub(super) const INBOUND_MESSAGE_COLUMNS: &str = "id, message_id, raw_sha256, sender, subject, \
    received_at, classification, outcome, kind, reference, errors, raw, cut_off_text";

#[derive(sqlx::FromRow)]
pub(super) struct InboundMessageRow {
    id: i64,
    message_id: String,
    raw_sha256: String,
    sender: Option<String>,
    subject: String,
    received_at: DateTime<Utc>,
    classification: String,
    outcome: String,
    kind: Option<String>,
    reference: Option<String>,
    errors: String,
    raw: Option<Vec<u8>>,
    cut_off_text: Option<String>,
}

impl TryFrom<InboundMessageRow> for InboundMessage {
    type Error = StoreError;

    fn try_from(row: InboundMessageRow) -> Result<InboundMessage, StoreError> {
        let errors: Vec<InboundError> = json("inbound_messages", "errors", &row.errors)?;
        Ok(InboundMessage {
            id: InboundMessageId::new(row.id),
            message: NewInboundMessage {
                message_id: row.message_id,
                raw_sha256: row.raw_sha256,
                sender: row.sender,
                subject: row.subject,
                received_at: row.received_at,
                classification: row.classification,
                outcome: row.outcome,
                kind: row.kind,
                reference: row.reference,
                errors,
                raw: row.raw,
                cut_off_text: row.cut_off_text,
            },
        })
    }
}

pub(super) const OUTBOX_COLUMNS: &str = "id, message_id, recipients, subject, body_text, \
    body_html, headers, status, attempts, next_attempt_at, last_answer, created_at, sent_at";

#[derive(sqlx::FromRow)]
pub(super) struct OutboxRow {
    pub(super) id: i64,
    message_id: String,
    pub(super) recipients: String,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    headers: String,
    status: String,
    attempts: i64,
    pub(super) next_attempt_at: DateTime<Utc>,
    last_answer: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl TryFrom<OutboxRow> for OutboxMessage {
    type Error = StoreError;

    fn try_from(row: OutboxRow) -> Result<OutboxMessage, StoreError> {
        let table = "outbox";
        let recipient_texts: Vec<String> = json(table, "recipients", &row.recipients)?;
        let recipients = recipient_texts
            .iter()
            .map(|recipient| parse(table, "recipients", recipient, EmailAddress::parse))
            .collect::<Result<_, _>>()?;
        Ok(OutboxMessage {
            id: OutboxMessageId::new(row.id),
            message: NewOutboxMessage {
                message_id: row.message_id,
                recipients,
                subject: row.subject,
                body_text: row.body_text,
                body_html: row.body_html,
                headers: json(table, "headers", &row.headers)?,
                created_at: row.created_at,
            },
            status: parse(table, "status", &row.status, OutboxStatus::from_value)?,
            attempts: count(table, "attempts", row.attempts)?,
            next_attempt_at: row.next_attempt_at,
            last_answer: row.last_answer,
            sent_at: row.sent_at,
        })
    }
}

/// Codes in a list column are separated by single spaces; see the migrations.
pub(super) fn join_codes<T>(items: &[T], code: impl Fn(&T) -> &str) -> String {
    items.iter().map(code).collect::<Vec<_>>().join(" ")
}

pub(super) fn parse<T>(
    table: &'static str,
    column: &'static str,
    value: &str,
    parser: impl Fn(&str) -> Result<T, InvalidValue>,
) -> Result<T, StoreError> {
    parser(value).map_err(|invalid| StoreError::corrupt(table, column, value, invalid))
}

fn parse_list<T>(
    table: &'static str,
    column: &'static str,
    value: &str,
    parser: impl Fn(&str) -> Result<T, InvalidValue>,
) -> Result<Vec<T>, StoreError> {
    value
        .split_whitespace()
        .map(|code| {
            parser(code).map_err(|invalid| StoreError::corrupt(table, column, value, invalid))
        })
        .collect()
}

pub(super) fn count(
    table: &'static str,
    column: &'static str,
    value: i64,
) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| {
        StoreError::corrupt(
            table,
            column,
            value.to_string(),
            InvalidValue::new(format!("a count from 0 to {}", u32::MAX)),
        )
    })
}

fn json<T: serde::de::DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    value: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(value).map_err(|error| {
        StoreError::corrupt(
            table,
            column,
            value,
            InvalidValue::new(format!("JSON written by mobmatch ({error})")),
        )
    })
}
