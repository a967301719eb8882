//! The records mobmatch keeps, as plain values. The store maps rows to these types and
//! back; nothing here knows how they are stored.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use super::{
    Answer, Country, DateWindow, DurationRange, EmailAddress, IntroductionStatus, InvalidValue,
    IscedField, Language, MobilityStatus, MobilityType, Region, Role, Source, SubmissionStatus,
    ValueProblem,
};

macro_rules! reference_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
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

            /// Reads the human reference (`S-12`, also `s12` or plain `12`).
            pub fn parse(input: &str) -> Result<$name, InvalidValue> {
                let trimmed = input.trim();
                let digits = trimmed
                    .strip_prefix($prefix)
                    .or_else(|| trimmed.strip_prefix(&$prefix.to_lowercase()))
                    .map(|rest| rest.trim_start_matches('-'))
                    .unwrap_or(trimmed);
                match digits.parse::<i64>() {
                    Ok(id) if id > 0 => Ok($name(id)),
                    _ => Err(ValueProblem::NotAReference { prefix: $prefix }.into()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, concat!($prefix, "-{}"), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

reference_id!(
    /// A submission's reference, `S-<id>`.
    SubmissionId,
    "S"
);
reference_id!(
    /// An introduction's reference, `I-<id>`.
    IntroductionId,
    "I"
);
reference_id!(
    /// A mobility's reference, `M-<id>`.
    MobilityId,
    "M"
);
reference_id!(
    /// A matching round's reference, `R-<id>`.
    RoundId,
    "R"
);

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Organisation {
    pub name: String,
    pub contact_name: String,
    pub contact_email: EmailAddress,
    pub region: Region,
}

/// What an organisation offers (role `receiving`) or asks for (role `sending`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubmissionDetails {
    pub role: Role,
    pub organisation: Organisation,
    pub mobility_type: MobilityType,
    pub fields: Vec<IscedField>,
    /// How many people the offer can host, or the request wants to send.
    pub participants: u32,
    /// Of a request's participants, how many have fewer opportunities (0 for offers).
    pub fewer_opportunities: u32,
    /// Whether a host gives inclusion support (always false for requests).
    pub inclusion_support: bool,
    pub window: DateWindow,
    pub duration: DurationRange,
    pub languages: Vec<Language>,
    pub partner_countries: Vec<Country>,
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub id: SubmissionId,
    pub details: SubmissionDetails,
    pub status: SubmissionStatus,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a mobility goes: a NUTS 2 region when known, and always its country.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Destination {
    region: Option<Region>,
    country: Country,
}

impl Destination {
    pub fn region(region: Region) -> Destination {
        Destination {
            region: Some(region),
            country: region.country(),
        }
    }

    pub fn country_only(country: Country) -> Destination {
        Destination {
            region: None,
            country,
        }
    }

    pub fn nuts_region(&self) -> Option<Region> {
        self.region
    }

    pub fn country(&self) -> Country {
        self.country
    }
}

/// A mobility as reported (by email, web form or CSV) or planned from an introduction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MobilityDetails {
    pub sending_organisation: String,
    pub sending_region: Region,
    pub receiving_organisation: String,
    pub destination: Destination,
    pub mobility_type: MobilityType,
    pub participants: u32,
    pub fewer_opportunities: u32,
    pub dates: DateWindow,
    pub status: MobilityStatus,
    pub introduction: Option<IntroductionId>,
}

impl MobilityDetails {
    pub fn erasmus_activity_code(&self) -> Option<&'static str> {
        self.mobility_type.erasmus_activity_code(self.dates.days())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mobility {
    pub id: MobilityId,
    pub details: MobilityDetails,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// VET learners of a region in a year: the denominator of the VET mobility target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Population {
    pub region: Region,
    pub year: i32,
    pub vet_learners: u32,
    pub ivet_graduates: Option<u32>,
}

/// One side's answer to an introduction, and when it came.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SideAnswer {
    pub answer: Answer,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Introduction {
    pub id: IntroductionId,
    pub round: RoundId,
    pub offer: SubmissionId,
    pub request: SubmissionId,
    pub score: f64,
    pub reasons: Vec<String>,
    pub status: IntroductionStatus,
    pub host_answer: Option<SideAnswer>,
    pub sender_answer: Option<SideAnswer>,
    pub created_at: DateTime<Utc>,
}

impl Introduction {
    /// The answer `side` gave, if it answered: the host side answers for the offer, the
    /// sending side for the request.
    pub fn answer_of(&self, side: Role) -> Option<SideAnswer> {
        match side {
            Role::Receiving => self.host_answer,
            Role::Sending => self.sender_answer,
        }
    }
}

/// A pair an earlier round introduced, and where its introduction stands: a round never
/// introduces it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntroducedPair {
    pub offer: SubmissionId,
    pub request: SubmissionId,
    pub status: IntroductionStatus,
}

impl IntroducedPair {
    /// Whether the introduction still waits for one side or both to answer.
    pub fn awaits_answers(&self) -> bool {
        matches!(
            self.status,
            IntroductionStatus::Proposed | IntroductionStatus::Introduced
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    pub id: RoundId,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// The round's settings as JSON, kept for the record.
    pub parameters: serde_json::Value,
    pub offers: u32,
    pub requests: u32,
    pub candidates: u32,
    pub introductions: u32,
    pub total_score: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_print_with_their_prefix_and_read_back_leniently() {
        assert_eq!(SubmissionId::new(12).to_string(), "S-12");
        assert_eq!(SubmissionId::parse("S-12").unwrap(), SubmissionId::new(12));
        assert_eq!(SubmissionId::parse("s12").unwrap(), SubmissionId::new(12));
        assert_eq!(
            IntroductionId::parse(" I-42 ").unwrap(),
            IntroductionId::new(42)
        );
        assert_eq!(
            IntroductionId::parse("42").unwrap(),
            IntroductionId::new(42)
        );
        assert!(IntroductionId::parse("I-").is_err());
        assert!(IntroductionId::parse("I-0").is_err());
        assert!(IntroductionId::parse("S-4").is_err());
    }
}
