//! The records only the shell keeps (the inbound log, the outbox), what a caller hands
//! the store to create a round or an introduction, and the filters of the listings.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    EmailAddress, IntroductionStatus, InvalidValue, MobilityId, MobilityStatus, Role, RoundId,
    SubmissionId, SubmissionStatus,
};

macro_rules! row_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            pub fn new(id: i64) -> $name {
                $name(id)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, "{}", self.0)
            }
        }
    };
}

row_id!(
    /// The row id of an organisation, which is known by its contact email and its name
    /// compared without case.
    OrganisationId
);
row_id!(
    /// The row id of a message in the inbound log.
    InboundMessageId
);
row_id!(
    /// The row id of a message in the outbox.
    OutboxMessageId
);
row_id!(
    /// The row id of an address we write to unasked, which its unsubscribe token names.
    OutreachAddressId
);
row_id!(
    /// The row id of a call for submissions.
    CallId
);
row_id!(
    /// The row id of a run of one of the daemon's jobs.
    JobRunId
);

/// A message as it arrived, and what became of it. The values of `classification`,
/// `outcome` and `kind` are the mail module's; the store keeps them as given.
#[derive(Clone, Debug, PartialEq)]
pub struct NewInboundMessage {
    /// The Message-ID, or `sha256:<hex>` of the raw bytes when the message has none.
    pub message_id: String,
    pub raw_sha256: String,
    pub sender: Option<String>,
    pub subject: String,
    pub received_at: DateTime<Utc>,
    pub classification: String,
    pub outcome: String,
    pub kind: Option<String>,
    /// The reference of the record the message created or changed, such as `S-12`.
    pub reference: Option<String>,
    pub errors: Vec<InboundError>,
    pub raw: Option<Vec<u8>>,
    /// The quoted original and signature cut from a reply, kept for the record.
    pub cut_off_text: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InboundMessage {
    pub id: InboundMessageId,
    pub message: NewInboundMessage,
}

/// One problem found in an inbound message: the field, what was written, what is expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundError {
    pub field: String,
    pub value: String,
    pub message: String,
}

/// An email to deliver. It is written in the same transaction as the change that causes
/// it, and delivered afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct NewOutboxMessage {
    /// Deterministic, so that a retried delivery is recognised as the same message.
    pub message_id: String,
    pub recipients: Vec<EmailAddress>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    /// Extra headers in order, such as `Auto-Submitted: auto-generated`.
    pub headers: Vec<(String, String)>,
    pub created_at: DateTime<Utc>,
}

/// A file sent with an outbox message. An image with a `content_id` is shown by the HTML
/// body (a `cid:` URL) and travels beside it; any other file is a plain attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxAttachment {
    pub filename: String,
    /// The MIME type, such as `image/png`.
    pub content_type: String,
    pub content_id: Option<String>,
    pub content: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutboxMessage {
    pub id: OutboxMessageId,
    pub message: NewOutboxMessage,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// The last answer of the mail server, for the admin page.
    pub last_answer: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Queued,
    Sent,
    Failed,
}

impl OutboxStatus {
    pub fn value(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    pub fn from_value(value: &str) -> Result<OutboxStatus, InvalidValue> {
        match value {
            "queued" => Ok(OutboxStatus::Queued),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            other => Err(InvalidValue::new(format!(
                "one of queued, sent, failed (not {other:?})"
            ))),
        }
    }
}

impl fmt::Display for OutboxStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.value())
    }
}

/// What one delivery attempt of an outbox message came to.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    pub result: DeliveryResult,
    /// The server's answer, or why there was none.
    pub answer: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent,
    /// Not delivered, or not known to be: try again at this time.
    RetryAt(DateTime<Utc>),
    /// Refused for good.
    Failed,
}

/// A matching round as it is recorded once it has run.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRound {
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub parameters: serde_json::Value,
    pub offers: u32,
    pub requests: u32,
    pub candidates: u32,
    pub introductions: u32,
    pub total_score: f64,
}

/// A pair chosen by a round.
#[derive(Clone, Debug, PartialEq)]
pub struct NewIntroduction {
    pub round: RoundId,
    pub offer: SubmissionId,
    pub request: SubmissionId,
    pub score: f64,
    pub reasons: Vec<String>,
    pub status: IntroductionStatus,
    pub created_at: DateTime<Utc>,
}

/// Which submissions to list; `None` means any.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubmissionFilter {
    pub status: Option<SubmissionStatus>,
    pub role: Option<Role>,
    /// Only submissions whose window ends on this day or later.
    pub window_ends_on_or_after: Option<NaiveDate>,
}

/// Which mobilities to list; `year` selects by the year of the start date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MobilityFilter {
    pub status: Option<MobilityStatus>,
    pub year: Option<i32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntroductionFilter {
    pub status: Option<IntroductionStatus>,
}

/// Whether a population figure was new or replaced an earlier one for its region and year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopulationWrite {
    Inserted,
    Replaced,
}

/// What importing a mobility row did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MobilityImport {
    Inserted(MobilityId),
    Updated(MobilityId),
    Unchanged(MobilityId),
}
