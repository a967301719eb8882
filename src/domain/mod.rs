//! Plain types and rules of the partnership's data (DESIGN.md section 3). No I/O: every
//! value here is either parsed from text or read back from the store through the same
//! parse, so a function holding a `Region` never wonders whether it is valid.

mod codes;
mod dates;
mod email;
mod kinds;
mod problems;
mod records;
mod reference;

pub(crate) use reference::fold_name;

pub use codes::{Country, IscedField, Language, Region};
pub use dates::{DateWindow, DurationRange, MAX_DURATION_DAYS};
pub use email::EmailAddress;
pub use kinds::{
    Answer, IntroductionStatus, MobilityStatus, MobilityType, Role, Source, SubmissionStatus,
};
pub use problems::ValueProblem;
pub use records::{
    Destination, IntroducedPair, Introduction, IntroductionId, Mobility, MobilityDetails,
    MobilityId, Organisation, Population, Round, RoundId, SideAnswer, Submission,
    SubmissionDetails, SubmissionId,
};

/// A value that does not parse. The message says what is wrong and what to write
/// instead, with an example, in words a VET-school secretary understands.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct InvalidValue {
    problem: ValueProblem,
}

impl InvalidValue {
    /// A problem described in English only, for values that come from files or the
    /// database rather than from a person's form.
    pub fn new(message: impl Into<String>) -> InvalidValue {
        InvalidValue {
            problem: ValueProblem::Other(message.into()),
        }
    }

    pub fn problem(&self) -> &ValueProblem {
        &self.problem
    }
}

impl From<ValueProblem> for InvalidValue {
    fn from(problem: ValueProblem) -> InvalidValue {
        InvalidValue { problem }
    }
}
