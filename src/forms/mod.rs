//! The one parser for the structured forms, whichever way they arrive: the text of an
//! email body (`Label: value` lines, in five languages) or the fields of a web form or
//! CSV row (named by key). It returns a valid domain value or every problem found, each
//! naming the field, what was written and what is expected. No I/O.

mod fields;
mod labels;
mod problems;
mod reply;
mod values;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{
    Country, DateWindow, Destination, EmailAddress, IntroductionId, InvalidValue, IscedField,
    Language, MobilityDetails, MobilityType, Organisation, Region, Role, SubmissionDetails,
    ValueProblem,
};
pub use fields::FieldSet;
pub use labels::FieldKey;
use labels::{MOBILITY_STATUSES, MOBILITY_TYPES, ROLES, YES_NO};
pub use problems::FieldProblem;
pub use reply::{ReplyText, split_reply};

/// The languages of the forms' labels and fixed values (FORMS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FormLanguage {
    En,
    Es,
    Sv,
    Fr,
    De,
}

impl FormLanguage {
    pub const ALL: &'static [FormLanguage] = &[
        FormLanguage::En,
        FormLanguage::Es,
        FormLanguage::Sv,
        FormLanguage::Fr,
        FormLanguage::De,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FormLanguage::En => "en",
            FormLanguage::Es => "es",
            FormLanguage::Sv => "sv",
            FormLanguage::Fr => "fr",
            FormLanguage::De => "de",
        }
    }
}

/// One problem with one field: the field's key, the value as written (empty when the
/// field is missing), the problem, and its message in English saying what is expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub value: String,
    pub message: String,
    #[serde(skip)]
    pub problem: FieldProblem,
}

impl FieldError {
    pub fn new(field: &'static str, value: String, problem: FieldProblem) -> FieldError {
        FieldError {
            field,
            value,
            message: problem.to_string(),
            problem,
        }
    }

    /// A problem found outside the form parser that is only ever shown in English (a
    /// row of a CSV import).
    pub fn in_english(field: &'static str, value: String, message: String) -> FieldError {
        FieldError::new(field, value, ValueProblem::Other(message).into())
    }

    /// The message in the language of the form.
    pub fn message_in(&self, language: FormLanguage) -> String {
        self.problem.message_in(language)
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(formatter, "{}: {}", self.field, self.message)
        } else {
            write!(
                formatter,
                "{}: \"{}\": {}",
                self.field, self.value, self.message
            )
        }
    }
}

/// Which form a set of fields is: a submission has a role; a mobility report has a
/// sending region and a receiving region or country.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    Submission,
    MobilityReport,
}

impl FormKind {
    /// The fields of the form, in the order the blank form and the web page show them.
    pub fn keys(self) -> &'static [FieldKey] {
        match self {
            FormKind::Submission => SUBMISSION_KEYS,
            FormKind::MobilityReport => REPORT_KEYS,
        }
    }
}

const SUBMISSION_KEYS: &[FieldKey] = &[
    FieldKey::Role,
    FieldKey::Organisation,
    FieldKey::ContactName,
    FieldKey::ContactEmail,
    FieldKey::Region,
    FieldKey::MobilityType,
    FieldKey::Fields,
    FieldKey::Participants,
    FieldKey::FewerOpportunities,
    FieldKey::InclusionSupport,
    FieldKey::EarliestStart,
    FieldKey::LatestEnd,
    FieldKey::Duration,
    FieldKey::Languages,
    FieldKey::PartnerCountries,
    FieldKey::Notes,
];

const REPORT_KEYS: &[FieldKey] = &[
    FieldKey::SendingOrganisation,
    FieldKey::SendingRegion,
    FieldKey::ReceivingOrganisation,
    FieldKey::ReceivingRegion,
    FieldKey::ReceivingCountry,
    FieldKey::MobilityType,
    FieldKey::Participants,
    FieldKey::FewerOpportunities,
    FieldKey::StartDate,
    FieldKey::EndDate,
    FieldKey::Status,
    FieldKey::Introduction,
];

impl FieldSet {
    pub fn kind(&self) -> Option<FormKind> {
        let receiving = [
            FieldKey::ReceivingRegion,
            FieldKey::ReceivingCountry,
            FieldKey::ReceivingRegionOrCountry,
        ];
        if self.contains(FieldKey::Role) {
            Some(FormKind::Submission)
        } else if self.contains(FieldKey::SendingRegion)
            && receiving.iter().any(|key| self.contains(*key))
        {
            Some(FormKind::MobilityReport)
        } else {
            None
        }
    }
}

/// What a submission is checked against besides its own fields.
#[derive(Clone, Debug)]
pub struct SubmissionContext {
    /// Windows that ended before this day are refused.
    pub today: NaiveDate,
    /// The sender of an email, used when the form leaves "Contact email" empty.
    pub sender: Option<EmailAddress>,
}

const MAX_PARTICIPANTS: u32 = 1000;

pub fn parse_submission(
    fields: &FieldSet,
    context: &SubmissionContext,
) -> Result<SubmissionDetails, Vec<FieldError>> {
    let mut reader = Reader::new(fields);
    let role = reader.required(FieldKey::Role, |text| {
        values::fixed_value(text, ROLES, false).ok_or_else(|| ValueProblem::NotARole.into())
    });
    let organisation = reader.required(FieldKey::Organisation, plain_text);
    let contact_name = reader.required(FieldKey::ContactName, plain_text);
    let contact_email = match (reader.value(FieldKey::ContactEmail), &context.sender) {
        (None, Some(sender)) => Some(sender.clone()),
        _ => reader.required(FieldKey::ContactEmail, EmailAddress::parse),
    };
    let region = reader.required(FieldKey::Region, Region::parse);
    let mobility_type = reader.required(FieldKey::MobilityType, mobility_type);
    let fields_of_education = reader.required_list(FieldKey::Fields, true, IscedField::parse);
    let participants = reader.required(FieldKey::Participants, positive_count);
    let fewer_opportunities = reader.optional(FieldKey::FewerOpportunities, |text| {
        values::count(text, MAX_PARTICIPANTS)
    });
    let inclusion_support = reader.optional(FieldKey::InclusionSupport, yes_or_no);
    let earliest_start = reader.required(FieldKey::EarliestStart, values::date);
    let latest_end = reader.required(FieldKey::LatestEnd, values::date);
    let duration = reader.required(FieldKey::Duration, values::duration);
    let languages = reader.required_list(FieldKey::Languages, true, Language::parse);
    let partner_countries = reader.optional_list(FieldKey::PartnerCountries, true, Country::parse);
    let notes = reader.value(FieldKey::Notes).unwrap_or_default().to_owned();

    let fewer_opportunities = fewer_opportunities.flatten().unwrap_or(0);
    match (role, participants) {
        (Some(Role::Receiving), _) if fewer_opportunities > 0 => reader.problem(
            FieldKey::FewerOpportunities,
            FieldProblem::FewerOpportunitiesFromHost,
        ),
        (Some(Role::Sending), Some(participants)) if fewer_opportunities > participants => reader
            .problem(
                FieldKey::FewerOpportunities,
                FieldProblem::FewerOpportunitiesAboveParticipants { participants },
            ),
        _ => {}
    }
    let window = match (earliest_start, latest_end) {
        (Some(start), Some(end)) => reader.check(FieldKey::LatestEnd, DateWindow::new(start, end)),
        _ => None,
    };
    if let Some(window) = window {
        if window.end() < context.today {
            reader.problem(
                FieldKey::LatestEnd,
                FieldProblem::WindowPassed {
                    today: context.today,
                },
            );
        }
        if let Some(duration) = duration
            && window.days() < duration.min_days()
        {
            reader.problem(
                FieldKey::Duration,
                FieldProblem::DurationLongerThanWindow {
                    days: window.days(),
                    start: window.start(),
                    end: window.end(),
                },
            );
        }
    }
    reader.finish()?;
    let role = role.expect("no errors, so role was read");
    Ok(SubmissionDetails {
        role,
        organisation: Organisation {
            name: organisation.expect("read"),
            contact_name: contact_name.expect("read"),
            contact_email: contact_email.expect("read"),
            region: region.expect("read"),
        },
        mobility_type: mobility_type.expect("read"),
        fields: dedup(fields_of_education.expect("read")),
        participants: participants.expect("read"),
        fewer_opportunities: if role == Role::Sending {
            fewer_opportunities
        } else {
            0
        },
        inclusion_support: role == Role::Receiving && inclusion_support.flatten().unwrap_or(false),
        window: window.expect("read"),
        duration: duration.expect("read"),
        languages: dedup(languages.expect("read")),
        partner_countries: dedup(partner_countries.flatten().unwrap_or_default()),
        notes,
    })
}

pub fn parse_mobility_report(fields: &FieldSet) -> Result<MobilityDetails, Vec<FieldError>> {
    let mut reader = Reader::new(fields);
    let sending_organisation = reader.required(FieldKey::SendingOrganisation, plain_text);
    let sending_region = reader.required(FieldKey::SendingRegion, Region::parse);
    let receiving_organisation = reader
        .value(FieldKey::ReceivingOrganisation)
        .unwrap_or_default()
        .to_owned();
    let destination = read_destination(&mut reader);
    let mobility_type = reader.required(FieldKey::MobilityType, mobility_type);
    let participants = reader.required(FieldKey::Participants, positive_count);
    let fewer_opportunities = reader
        .optional(FieldKey::FewerOpportunities, |text| {
            values::count(text, MAX_PARTICIPANTS)
        })
        .flatten()
        .unwrap_or(0);
    let start = reader.required(FieldKey::StartDate, values::date);
    let end = reader.required(FieldKey::EndDate, values::date);
    let status = reader.required(FieldKey::Status, |text| {
        values::fixed_value(text, MOBILITY_STATUSES, true)
            .ok_or_else(|| ValueProblem::NotAStatus.into())
    });
    let introduction = reader
        .optional(FieldKey::Introduction, IntroductionId::parse)
        .flatten();

    if let Some(participants) = participants
        && fewer_opportunities > participants
    {
        reader.problem(
            FieldKey::FewerOpportunities,
            FieldProblem::ReportedFewerOpportunitiesAboveParticipants { participants },
        );
    }
    let dates = match (start, end) {
        (Some(start), Some(end)) => reader.check(FieldKey::EndDate, DateWindow::new(start, end)),
        _ => None,
    };
    reader.finish()?;
    Ok(MobilityDetails {
        sending_organisation: sending_organisation.expect("read"),
        sending_region: sending_region.expect("read"),
        receiving_organisation,
        destination: destination.expect("read"),
        mobility_type: mobility_type.expect("read"),
        participants: participants.expect("read"),
        fewer_opportunities,
        dates: dates.expect("read"),
        status: status.expect("read"),
        introduction,
    })
}

fn read_destination(reader: &mut Reader<'_>) -> Option<Destination> {
    let combined = reader.optional(FieldKey::ReceivingRegionOrCountry, |text| {
        Region::parse(text).map(Destination::region).or_else(|_| {
            Country::parse(text)
                .map(Destination::country_only)
                .map_err(|_| ValueProblem::NeitherRegionNorCountry.into())
        })
    });
    let region = reader.optional(FieldKey::ReceivingRegion, Region::parse);
    let country = reader.optional(FieldKey::ReceivingCountry, Country::parse);
    let from_region = combined
        .flatten()
        .or(region.flatten().map(Destination::region));
    match (from_region, country) {
        (Some(destination), Some(Some(country))) if destination.country() != country => {
            let region = destination
                .nuts_region()
                .expect("a destination read from a region");
            reader.problem(
                FieldKey::ReceivingCountry,
                FieldProblem::CountryDoesNotMatchRegion {
                    region_code: region.code().to_owned(),
                    region_name: region.name().to_owned(),
                    country_code: destination.country().code().to_owned(),
                    country_name: destination.country().name().to_owned(),
                },
            );
            None
        }
        (Some(destination), _) => Some(destination),
        (None, Some(Some(country))) => Some(Destination::country_only(country)),
        (None, _) if combined.is_none() || region.is_none() || country.is_none() => None,
        (None, _) => {
            reader.problem(
                FieldKey::ReceivingRegion,
                FieldProblem::ReceivingRegionMissing,
            );
            None
        }
    }
}

/// Collects the values of a `FieldSet` and every problem met while reading them.
struct Reader<'a> {
    fields: &'a FieldSet,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn new(fields: &'a FieldSet) -> Reader<'a> {
        Reader {
            fields,
            errors: Vec::new(),
        }
    }

    /// The field's non-empty value. A field given twice with different values is a
    /// problem: which one was meant cannot be guessed.
    fn value(&mut self, key: FieldKey) -> Option<&'a str> {
        let mut given = self
            .fields
            .entries
            .iter()
            .filter(|entry| entry.key == key && !entry.value.is_empty())
            .map(|entry| entry.value.as_str());
        let first = given.next()?;
        if let Some(other) = given.find(|other| *other != first) {
            self.errors.push(FieldError::new(
                key.key(),
                format!("{first} / {other}"),
                FieldProblem::GivenTwice,
            ));
        }
        Some(first)
    }

    fn required<T>(
        &mut self,
        key: FieldKey,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Option<T> {
        match self.value(key) {
            Some(text) => self.parsed(key, text, parse(text)),
            None => {
                self.problem(key, FieldProblem::Missing(key));
                None
            }
        }
    }

    /// `None` when the value does not parse, `Some(None)` when it is absent.
    fn optional<T>(
        &mut self,
        key: FieldKey,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Option<Option<T>> {
        match self.value(key) {
            Some(text) => self.parsed(key, text, parse(text)).map(Some),
            None => Some(None),
        }
    }

    fn required_list<T>(
        &mut self,
        key: FieldKey,
        split_on_spaces: bool,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Option<Vec<T>> {
        let list = self.optional_list(key, split_on_spaces, parse)?;
        match list {
            Some(items) if !items.is_empty() => Some(items),
            _ => {
                self.problem(key, FieldProblem::Missing(key));
                None
            }
        }
    }

    fn optional_list<T>(
        &mut self,
        key: FieldKey,
        split_on_spaces: bool,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Option<Option<Vec<T>>> {
        let Some(text) = self.value(key) else {
            return Some(None);
        };
        match values::list_items(text, split_on_spaces, parse) {
            Ok(items) => Some(Some(items)),
            Err((item, error)) => {
                let problem = error.problem().clone();
                // A message that already names the item needs no prefix.
                let problem = if item == text || problem.to_string().contains(&item) {
                    FieldProblem::Value(problem)
                } else {
                    FieldProblem::InListItem {
                        item: item.to_string(),
                        problem,
                    }
                };
                self.errors
                    .push(FieldError::new(key.key(), text.to_owned(), problem));
                None
            }
        }
    }

    fn parsed<T>(
        &mut self,
        key: FieldKey,
        text: &str,
        result: Result<T, InvalidValue>,
    ) -> Option<T> {
        result
            .map_err(|error| {
                self.errors.push(FieldError::new(
                    key.key(),
                    text.to_owned(),
                    error.problem().clone().into(),
                ))
            })
            .ok()
    }

    /// A rule between fields, reported on `key` with the value written there.
    fn check<T>(&mut self, key: FieldKey, result: Result<T, InvalidValue>) -> Option<T> {
        let text = self.value(key).unwrap_or_default();
        self.parsed(key, text, result)
    }

    fn problem(&mut self, key: FieldKey, problem: FieldProblem) {
        let value = self.value(key).unwrap_or_default().to_owned();
        self.errors.push(FieldError::new(key.key(), value, problem));
    }

    /// Every problem once: a field given twice is noticed each time it is read.
    fn finish(self) -> Result<(), Vec<FieldError>> {
        let errors = dedup(self.errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn plain_text(text: &str) -> Result<String, InvalidValue> {
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn positive_count(text: &str) -> Result<u32, InvalidValue> {
    match values::count(text, MAX_PARTICIPANTS)? {
        0 => Err(ValueProblem::ZeroParticipants.into()),
        count => Ok(count),
    }
}

fn mobility_type(text: &str) -> Result<MobilityType, InvalidValue> {
    values::fixed_value(text, MOBILITY_TYPES, true)
        .ok_or_else(|| ValueProblem::NotAMobilityType.into())
}

fn yes_or_no(text: &str) -> Result<bool, InvalidValue> {
    values::fixed_value(text, YES_NO, false).ok_or_else(|| ValueProblem::NotYesOrNo.into())
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut unique: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}
