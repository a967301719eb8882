//! Who takes part in a round, and the hard rules of DESIGN.md section 6 for one pair.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::MatchingSettings;
use crate::domain::{
    Country, IntroducedPair, IscedField, Region, Role, Submission, SubmissionDetails, SubmissionId,
    SubmissionStatus,
};

/// An open submission in a round, with what the rules look at prepared once.
pub(super) struct Side<'a> {
    pub id: SubmissionId,
    pub details: &'a SubmissionDetails,
    pub country: Country,
    /// Copied out of the details so that the rules read them without a second lookup.
    pub region: Region,
    pub partner_countries: &'a [Country],
    pub stay: Stay,
    /// How many more introductions this round may give the submission.
    pub capacity: u32,
    /// The fields of education as numbers, for the score.
    pub field_codes: Vec<FieldCode>,
    /// The same number for submissions of the same organisation (the store's identity:
    /// contact email and name, ignoring case).
    organisation: u32,
}

/// When a side can be abroad and for how long, as numbers. Days are counted from the
/// common era; the window starts no earlier than today, because days already past
/// cannot be spent abroad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stay {
    pub first_day: i32,
    pub last_day: i32,
    pub min_days: u32,
    pub max_days: u32,
}

impl Stay {
    /// The days the two windows share, when they are enough for the longer of the two
    /// shortest stays and the duration ranges meet; else `None`.
    pub fn shared_days(self, other: Stay) -> Option<u32> {
        let overlap = self.last_day.min(other.last_day) - self.first_day.max(other.first_day) + 1;
        let overlap = u32::try_from(overlap).ok()?;
        let shortest = self.min_days.max(other.min_days);
        (shortest <= self.max_days.min(other.max_days) && overlap >= shortest).then_some(overlap)
    }
}

/// An ISCED-F code (two to four digits) as a number and its length, so that nesting is
/// tested with arithmetic rather than by comparing text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FieldCode {
    value: u16,
    digits: u8,
}

impl FieldCode {
    fn new(field: &IscedField) -> FieldCode {
        let code = field.code();
        FieldCode {
            value: code.bytes().fold(0, |value, digit| {
                debug_assert!(digit.is_ascii_digit(), "ISCED-F codes are digits");
                value * 10 + u16::from(digit - b'0')
            }),
            digits: code.len() as u8,
        }
    }

    /// The length of the shorter code when one code begins with the other, else `None`.
    pub fn shared_digits(self, other: FieldCode) -> Option<u8> {
        let digits = self.digits.min(other.digits);
        let prefix = |code: FieldCode| code.value / 10u16.pow(u32::from(code.digits - digits));
        (prefix(self) == prefix(other)).then_some(digits)
    }
}

/// The offers and requests of a round, each sorted by reference, and the pairs that
/// were introduced before.
pub(super) struct Pool<'a> {
    pub offers: Vec<Side<'a>>,
    pub requests: Vec<Side<'a>>,
    pub introduced_before: HashSet<(SubmissionId, SubmissionId)>,
    pub cross_border_only: bool,
}

impl<'a> Pool<'a> {
    /// Takes every open submission whose window has not ended and that has room for an
    /// introduction: an introduction still waiting for answers counts against the limits
    /// of both its submissions, so nobody is asked to weigh two proposals at once beyond
    /// what the limits allow.
    pub fn new(
        submissions: &'a [Submission],
        introduced: &[IntroducedPair],
        settings: &MatchingSettings,
        today: NaiveDate,
    ) -> Pool<'a> {
        let mut awaiting_answers: HashMap<SubmissionId, u32> = HashMap::new();
        for pair in introduced.iter().filter(|pair| pair.awaits_answers()) {
            *awaiting_answers.entry(pair.offer).or_default() += 1;
            *awaiting_answers.entry(pair.request).or_default() += 1;
        }
        let today_number = day_number(today);
        let mut organisations: HashMap<(String, String), u32> = HashMap::new();
        let mut offers = Vec::new();
        let mut requests = Vec::new();
        for submission in submissions {
            let details = &submission.details;
            if submission.status != SubmissionStatus::Open || details.window.end() < today {
                continue;
            }
            let (limit, sides) = match details.role {
                Role::Receiving => (settings.max_introductions_per_offer, &mut offers),
                Role::Sending => (settings.max_introductions_per_request, &mut requests),
            };
            let waiting = awaiting_answers.get(&submission.id).copied().unwrap_or(0);
            let capacity = limit.saturating_sub(waiting);
            if capacity == 0 {
                continue;
            }
            sides.push(Side {
                id: submission.id,
                details,
                country: details.organisation.region.country(),
                region: details.organisation.region,
                partner_countries: &details.partner_countries,
                stay: Stay {
                    first_day: day_number(details.window.start()).max(today_number),
                    last_day: day_number(details.window.end()),
                    min_days: details.duration.min_days(),
                    max_days: details.duration.max_days(),
                },
                capacity,
                field_codes: details.fields.iter().map(FieldCode::new).collect(),
                organisation: {
                    let key = (
                        details.organisation.contact_email.as_str().to_lowercase(),
                        details.organisation.name.trim().to_lowercase(),
                    );
                    let next = organisations.len() as u32;
                    *organisations.entry(key).or_insert(next)
                },
            });
        }
        offers.sort_by_key(|side| side.id);
        requests.sort_by_key(|side| side.id);
        Pool {
            offers,
            requests,
            introduced_before: introduced
                .iter()
                .map(|pair| (pair.offer, pair.request))
                .collect(),
            cross_border_only: settings.cross_border_only,
        }
    }

    /// The days the two windows share when the pair keeps every hard rule, else `None`.
    pub fn lawful_overlap(&self, offer: &Side, request: &Side) -> Option<u32> {
        let (o, r) = (offer.details, request.details);
        let shares_type_field_and_language = o.mobility_type == r.mobility_type
            && o.fields
                .iter()
                .any(|a| r.fields.iter().any(|b| a.is_compatible_with(b)))
            && o.languages
                .iter()
                .any(|language| r.languages.contains(language));
        if !shares_type_field_and_language {
            return None;
        }
        let overlap = offer.stay.shared_days(request.stay)?;
        self.lawful_apart_from_dates(offer, request)
            .then_some(overlap)
    }

    /// The hard rules on who and where, for a pair already known to share its mobility
    /// type, a compatible field of education and a language (the candidate index finds
    /// only such pairs) and enough days ([`Stay::shared_days`]).
    pub fn lawful_apart_from_dates(&self, offer: &Side, request: &Side) -> bool {
        offer.organisation != request.organisation
            && offer.region != request.region
            && (!self.cross_border_only || offer.country != request.country)
            && (offer.partner_countries.is_empty()
                || offer.partner_countries.contains(&request.country))
            && (request.partner_countries.is_empty()
                || request.partner_countries.contains(&offer.country))
            && !self.introduced_before.contains(&(offer.id, request.id))
    }
}

pub(super) fn day_number(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce()
}
