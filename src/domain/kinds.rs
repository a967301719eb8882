//! The closed sets of values: roles, mobility types and the statuses of each record.
//! Each has one canonical lower-case value, used in the database, JSON and exports.

use std::fmt;

use super::InvalidValue;

macro_rules! value_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn value(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }

            /// Reads the canonical value, as stored; user input goes through `forms/`.
            pub fn from_value(value: &str) -> Result<$name, InvalidValue> {
                match value {
                    $($value => Ok($name::$variant),)+
                    other => Err(InvalidValue::new(format!(
                        "{other:?} is not one of {}",
                        [$($value),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.value())
            }
        }
    };
}

value_enum!(
    /// `receiving` submissions are offers (an organisation hosts people); `sending`
    /// submissions are requests (an organisation wants to send people).
    Role { Receiving => "receiving", Sending => "sending" }
);

value_enum!(MobilityType {
    VetLearner => "vet_learner",
    Apprentice => "apprentice",
    AdultLearner => "adult_learner",
    InformalLearner => "informal_learner",
    StaffJobShadowing => "staff_job_shadowing",
    StudyVisit => "study_visit",
});

value_enum!(SubmissionStatus {
    Unconfirmed => "unconfirmed",
    Pending => "pending",
    Open => "open",
    Matched => "matched",
    Withdrawn => "withdrawn",
    Expired => "expired",
});

value_enum!(IntroductionStatus {
    Proposed => "proposed",
    Introduced => "introduced",
    Accepted => "accepted",
    Declined => "declined",
    Expired => "expired",
});

value_enum!(MobilityStatus {
    Planned => "planned",
    Completed => "completed",
    Cancelled => "cancelled",
});

value_enum!(
    /// Where a submission or mobility came from.
    Source { Email => "email", Web => "web", Import => "import", Introduction => "introduction" }
);

value_enum!(Answer { Accept => "accept", Decline => "decline" });

/// Long-term VET mobility (ErasmusPro) starts at 90 days.
const LONG_TERM_VET_DAYS: u32 = 90;

impl MobilityType {
    pub fn label(self) -> &'static str {
        match self {
            MobilityType::VetLearner => "VET learners",
            MobilityType::Apprentice => "Apprentices",
            MobilityType::AdultLearner => "Adult learners",
            MobilityType::InformalLearner => "Informal learners",
            MobilityType::StaffJobShadowing => "Staff job shadowing",
            MobilityType::StudyVisit => "Study visit",
        }
    }

    /// VET learners and apprentices count toward the 20% VET mobility target.
    pub fn counts_toward_vet_target(self) -> bool {
        matches!(self, MobilityType::VetLearner | MobilityType::Apprentice)
    }

    /// The Erasmus+ activity code used in exports, where one applies.
    pub fn erasmus_activity_code(self, duration_days: u32) -> Option<&'static str> {
        match self {
            MobilityType::VetLearner | MobilityType::Apprentice
                if duration_days >= LONG_TERM_VET_DAYS =>
            {
                Some("LM-LONG-VET")
            }
            MobilityType::VetLearner | MobilityType::Apprentice => Some("LM-SHORT-VET"),
            MobilityType::StaffJobShadowing => Some("SM-JOB-SHDW"),
            MobilityType::AdultLearner
            | MobilityType::InformalLearner
            | MobilityType::StudyVisit => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_values_read_back_as_they_were_written() {
        for &mobility_type in MobilityType::ALL {
            assert_eq!(
                MobilityType::from_value(mobility_type.value()).unwrap(),
                mobility_type
            );
        }
        for &status in SubmissionStatus::ALL {
            assert_eq!(
                SubmissionStatus::from_value(status.value()).unwrap(),
                status
            );
        }
        let error = Role::from_value("host").unwrap_err().to_string();
        assert!(error.contains("receiving, sending"), "{error}");
    }

    #[test]
    fn vet_activity_codes_depend_on_duration() {
        assert_eq!(
            MobilityType::VetLearner.erasmus_activity_code(14),
            Some("LM-SHORT-VET")
        );
        assert_eq!(
            MobilityType::Apprentice.erasmus_activity_code(89),
            Some("LM-SHORT-VET")
        );
        assert_eq!(
            MobilityType::Apprentice.erasmus_activity_code(90),
            Some("LM-LONG-VET")
        );
        assert_eq!(
            MobilityType::StaffJobShadowing.erasmus_activity_code(5),
            Some("SM-JOB-SHDW")
        );
        assert_eq!(MobilityType::StudyVisit.erasmus_activity_code(3), None);
        assert!(MobilityType::Apprentice.counts_toward_vet_target());
        assert!(!MobilityType::StudyVisit.counts_toward_vet_target());
    }
}
