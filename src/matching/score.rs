//! The score of a lawful pair, 0–100, from five parts, each with a sentence that says
//! why: these sentences are stored with the introduction and shown to both sides.

use serde::Serialize;

use super::rules::Side;
use crate::domain::IscedField;

/// How much each part of the score counts. Only the proportions matter: the score is
/// always scaled to 0–100.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScoreWeights {
    /// How specific the shared field of education is (4 digits > 3 > 2).
    pub field_specificity: f64,
    /// The share of the requested stay that the common dates cover.
    pub date_overlap: f64,
    /// The share of the request's participants the host can take.
    pub capacity: f64,
    /// Inclusion support for requests with fewer-opportunity participants.
    pub inclusion_support: f64,
    /// A side that named the other's country among its preferred partners.
    pub partner_country: f64,
}

impl ScoreWeights {
    pub fn total(&self) -> f64 {
        self.field_specificity
            + self.date_overlap
            + self.capacity
            + self.inclusion_support
            + self.partner_country
    }
}

impl Default for ScoreWeights {
    fn default() -> ScoreWeights {
        ScoreWeights {
            field_specificity: 30.0,
            date_overlap: 25.0,
            capacity: 25.0,
            inclusion_support: 10.0,
            partner_country: 10.0,
        }
    }
}

/// A score in hundredths of a point, 0 to 10,000: whole numbers, so that the selection
/// can be exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u16);

impl Score {
    pub const MAX: Score = Score(10_000);

    pub fn from_hundredths(hundredths: u16) -> Score {
        Score(hundredths.min(Score::MAX.0))
    }

    pub fn hundredths(self) -> u16 {
        self.0
    }

    pub fn points(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.points())
    }
}

/// Each part as a share from 0 to 1, before weighting.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Parts {
    field_specificity: f64,
    date_overlap: f64,
    capacity: f64,
    inclusion_support: f64,
    partner_country: f64,
}

pub(super) fn score(
    offer: &Side,
    request: &Side,
    overlap_days: u32,
    weights: &ScoreWeights,
) -> Score {
    let parts = parts(offer, request, overlap_days);
    let weighted = [
        (weights.field_specificity, parts.field_specificity),
        (weights.date_overlap, parts.date_overlap),
        (weights.capacity, parts.capacity),
        (weights.inclusion_support, parts.inclusion_support),
        (weights.partner_country, parts.partner_country),
    ];
    let total_weight = weights.total();
    if total_weight <= 0.0 {
        return Score(0);
    }
    let share: f64 = weighted
        .iter()
        .map(|(weight, part)| weight * part)
        .sum::<f64>()
        / total_weight;
    Score::from_hundredths((share * 10_000.0).round() as u16)
}

/// One sentence per part, in the order of [`ScoreWeights`].
pub(super) fn reasons(offer: &Side, request: &Side, overlap_days: u32) -> Vec<String> {
    let offer_details = offer.details;
    let request_details = request.details;
    let mut reasons = Vec::with_capacity(5);

    let (offer_field, request_field) = most_specific_shared_field(offer, request);
    reasons.push(if offer_field == request_field {
        format!("both list {} {}", offer_field.code(), offer_field.name())
    } else {
        let (narrow, broad) = if offer_field.code().len() > request_field.code().len() {
            (offer_field, request_field)
        } else {
            (request_field, offer_field)
        };
        format!(
            "{} {} is part of {} {}",
            narrow.code(),
            narrow.name(),
            broad.code(),
            broad.name()
        )
    });

    let longest_stay = request_details.duration.max_days();
    reasons.push(if overlap_days >= longest_stay {
        format!(
            "the dates in common ({overlap_days} days) fit the longest stay asked for ({longest_stay} days)"
        )
    } else {
        format!("the dates in common cover {overlap_days} of the {longest_stay} days asked for")
    });

    let hosted = offer_details.participants;
    let sent = request_details.participants;
    reasons.push(if hosted >= sent && sent == 1 {
        "the host can take the participant".to_owned()
    } else if hosted >= sent {
        format!("the host can take all {sent} participants")
    } else {
        format!("the host can take {hosted} of the {sent} participants")
    });

    let fewer = request_details.fewer_opportunities;
    reasons.push(match (fewer, offer_details.inclusion_support) {
        (0, _) => "no participant needs inclusion support".to_owned(),
        (1, true) => {
            "the host gives inclusion support for the participant with fewer opportunities"
                .to_owned()
        }
        (_, true) => format!(
            "the host gives inclusion support for the {fewer} participants with fewer opportunities"
        ),
        (1, false) => {
            "the host gives no inclusion support, though 1 participant has fewer opportunities"
                .to_owned()
        }
        (_, false) => format!(
            "the host gives no inclusion support, though {fewer} participants have fewer opportunities"
        ),
    });

    let offer_country = offer.country.name();
    let request_country = request.country.name();
    reasons.push(
        match (
            !offer_details.partner_countries.is_empty(),
            !request_details.partner_countries.is_empty(),
        ) {
            (true, true) => format!(
                "each side named the other's country ({request_country}, {offer_country}) as a preferred partner"
            ),
            (true, false) => {
                format!("the host named {request_country} as a preferred partner country")
            }
            (false, true) => {
                format!("the sender named {offer_country} as a preferred partner country")
            }
            (false, false) => "neither side named preferred partner countries".to_owned(),
        },
    );
    reasons
}

fn parts(offer: &Side, request: &Side, overlap_days: u32) -> Parts {
    let shared_digits = offer
        .field_codes
        .iter()
        .flat_map(|a| {
            request
                .field_codes
                .iter()
                .filter_map(|b| a.shared_digits(*b))
        })
        .max()
        .expect("a lawful pair shares a field of education");
    let field_specificity = match shared_digits {
        4 => 1.0,
        3 => 2.0 / 3.0,
        _ => 1.0 / 3.0,
    };
    let longest_stay = request.details.duration.max_days();
    let date_overlap = (f64::from(overlap_days) / f64::from(longest_stay)).min(1.0);
    let capacity = if request.details.participants == 0 {
        1.0
    } else {
        (f64::from(offer.details.participants) / f64::from(request.details.participants)).min(1.0)
    };
    let inclusion_support =
        if request.details.fewer_opportunities == 0 || offer.details.inclusion_support {
            1.0
        } else {
            0.0
        };
    // The hard rules already made sure a listed country is the other side's.
    let naming_sides = [offer, request]
        .iter()
        .filter(|side| !side.details.partner_countries.is_empty())
        .count();
    Parts {
        field_specificity,
        date_overlap,
        capacity,
        inclusion_support,
        partner_country: naming_sides as f64 / 2.0,
    }
}

/// The compatible pair of fields whose shorter code is longest; the first such pair in
/// the order the sides listed them.
fn most_specific_shared_field(offer: &Side, request: &Side) -> (IscedField, IscedField) {
    let mut best: Option<(IscedField, IscedField)> = None;
    for offer_field in &offer.details.fields {
        for request_field in &request.details.fields {
            if !offer_field.is_compatible_with(request_field) {
                continue;
            }
            let digits = offer_field.code().len().min(request_field.code().len());
            let best_digits = best.map_or(0, |(a, b)| a.code().len().min(b.code().len()));
            if digits > best_digits {
                best = Some((*offer_field, *request_field));
            }
        }
    }
    best.expect("a lawful pair shares a field of education")
}
