//! What is wrong with a value that does not parse, as data: the English sentence is its
//! `Display`, and `forms/` says the same in the other languages of the forms.

use std::fmt;

use chrono::NaiveDate;

/// Why a value does not parse. Each sentence says what is wrong and what to write
/// instead, with an example, in words a VET-school secretary understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueProblem {
    RegionMissing,
    /// A `…ZZ` code: "extra-regio", areas outside any region.
    RegionOutsideAnyRegion {
        code: String,
    },
    RegionIsNuts3 {
        code: String,
        name: String,
        parent_code: String,
        parent_name: String,
    },
    /// A country or NUTS 1 code; `example` is a NUTS 2 region within it, as "CODE (Name)".
    RegionLargerThanNuts2 {
        code: String,
        name: String,
        example: String,
    },
    NotARegion,
    NotAnIscedCode,
    UnknownIscedField {
        code: String,
    },
    NotALanguage,
    NotACountry,
    NotAnEmailAddress,
    /// A reference such as `I-42`, with its prefix.
    NotAReference {
        prefix: &'static str,
    },
    EndBeforeStart {
        start: NaiveDate,
        end: NaiveDate,
    },
    DurationZero,
    DurationReversed {
        min_days: u32,
        max_days: u32,
    },
    DurationTooLong {
        max_days: u32,
    },
    TooManyPeople {
        maximum: u32,
    },
    NotAWholeNumber,
    NotADate,
    NotADuration,
    ZeroParticipants,
    NotARole,
    NotAMobilityType,
    NotAStatus,
    NotYesOrNo,
    NeitherRegionNorCountry,
    /// A value read from a file or the database, not from a person's form: English only.
    Other(String),
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueProblem::RegionMissing => {
                write!(
                    formatter,
                    "missing; write a NUTS 2 region code such as ES21"
                )
            }
            ValueProblem::RegionOutsideAnyRegion { code } => write!(
                formatter,
                "{code} stands for areas outside any region; write the region the organisation is in, for example ES21"
            ),
            ValueProblem::RegionIsNuts3 {
                code,
                name,
                parent_code,
                parent_name,
            } => write!(
                formatter,
                "{code} ({name}) is a NUTS 3 area; write its NUTS 2 region, {parent_code} ({parent_name})"
            ),
            ValueProblem::RegionLargerThanNuts2 {
                code,
                name,
                example,
            } => write!(
                formatter,
                "{code} ({name}) is larger than a NUTS 2 region; write the NUTS 2 region, for example {example}"
            ),
            ValueProblem::NotARegion => write!(
                formatter,
                "not a NUTS 2021 region; write a NUTS 2 code such as ES21 (País Vasco) or SE23 (Västsverige), as listed at https://ec.europa.eu/eurostat/web/nuts"
            ),
            ValueProblem::NotAnIscedCode => write!(
                formatter,
                "not an ISCED-F code; write codes of 2, 3 or 4 digits, for example 0713 (Electricity and energy) or 07"
            ),
            ValueProblem::UnknownIscedField { code } => write!(
                formatter,
                "{code} is not an ISCED-F 2013 field; write a code such as 0713 (Electricity and energy) or 0722 (Materials)"
            ),
            ValueProblem::NotALanguage => write!(
                formatter,
                "not a language we know; write ISO 639-1 codes or English names, for example en, es or Swedish"
            ),
            ValueProblem::NotACountry => write!(
                formatter,
                "not a country we know; write ISO 3166 two-letter codes or English names, for example SE, FI or Spain"
            ),
            ValueProblem::NotAnEmailAddress => write!(
                formatter,
                "not an email address; write one such as anna.berg@school.example"
            ),
            ValueProblem::NotAReference { prefix } => {
                write!(formatter, "not a reference; write one such as {prefix}-42")
            }
            ValueProblem::EndBeforeStart { start, end } => write!(
                formatter,
                "the end ({end}) is before the start ({start}); write an end on or after the start"
            ),
            ValueProblem::DurationZero => write!(formatter, "a duration must be at least 1 day"),
            ValueProblem::DurationReversed { min_days, max_days } => write!(
                formatter,
                "the shorter duration goes first; write {max_days}-{min_days}, not {min_days}-{max_days}"
            ),
            ValueProblem::DurationTooLong { max_days } => write!(
                formatter,
                "longer than {max_days} days; write a duration of at most {max_days} days"
            ),
            ValueProblem::TooManyPeople { maximum } => write!(
                formatter,
                "more than {maximum}; write the number of people, at most {maximum}"
            ),
            ValueProblem::NotAWholeNumber => write!(
                formatter,
                "not a whole number; write a number of people such as 8"
            ),
            ValueProblem::NotADate => write!(
                formatter,
                "not a date; write it as YYYY-MM-DD, for example 2027-03-15 (or 15.3.2027)"
            ),
            ValueProblem::NotADuration => write!(
                formatter,
                "not a duration; write a number of days such as 10, or a range such as 5-14 (\"2 weeks\" works too)"
            ),
            ValueProblem::ZeroParticipants => {
                write!(formatter, "zero; write at least 1 participant")
            }
            ValueProblem::NotARole => write!(
                formatter,
                "not a role; write receiving (you can host people) or sending (you want to send people)"
            ),
            ValueProblem::NotAMobilityType => write!(
                formatter,
                "not a mobility type; write one of VET learners, Apprentices, Adult learners, Informal learners, Staff job shadowing, Study visit"
            ),
            ValueProblem::NotAStatus => write!(
                formatter,
                "not a status; write planned, completed or cancelled"
            ),
            ValueProblem::NotYesOrNo => write!(formatter, "not yes or no; write yes or no"),
            ValueProblem::NeitherRegionNorCountry => write!(
                formatter,
                "neither a NUTS 2 region nor a country; write a region code such as SE23 or a country code such as SE"
            ),
            ValueProblem::Other(message) => formatter.write_str(message),
        }
    }
}
