//! Synthetic but realistic submissions for load tests and benchmarks: organisations in
//! NUTS 2 regions across Europe, the fields of education VET schools teach, the
//! languages spoken where they are, and windows and durations as partner searches state
//! them. The same seed gives the same data.

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::domain::{
    DateWindow, Destination, DurationRange, EmailAddress, IscedField, Language, MobilityDetails,
    MobilityStatus, MobilityType, Organisation, Population, Region, Role, SubmissionDetails,
};

/// Fields of education most often named in VET partner searches.
const VET_FIELDS: &[&str] = &[
    "0713", "0714", "0715", "0716", "0722", "0732", "0731", "0721", "0811", "0821", "1013", "1015",
    "1012", "0413", "0414", "0416", "0611", "0612", "0913", "0923", "0212", "0214", "07", "10",
    "04", "071", "101", "041", "061", "091",
];

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ion", "Miren", "Jonas", "Marie", "Lucía", "Giulia", "Mikko", "Sara", "Karim", "Lena",
    "Seán", "Rūta", "Daan", "Erik", "Carmen", "Jordi", "Lisa", "Piotr", "Eva",
];

const LAST_NAMES: &[&str] = &[
    "Berg",
    "Etxeberria",
    "Agirre",
    "Weber",
    "Dubois",
    "Pérez",
    "Rossi",
    "Virtanen",
    "Nilsson",
    "Benali",
    "Huber",
    "Murphy",
    "Kazlauskienė",
    "de Vries",
    "Lund",
    "López",
    "Puig",
    "Maier",
    "Nowak",
    "Novák",
];

const KINDS_OF_ORGANISATION: &[&str] = &[
    "VET School",
    "Vocational College",
    "Training Centre",
    "Adult Education Centre",
    "Chamber of Crafts",
    "Regional Authority",
    "Technical Institute",
    "Apprenticeship Centre",
];

/// Generates `offers` receiving and `requests` sending submissions whose windows start
/// after `today`.
pub fn synthetic_submissions(
    offers: usize,
    requests: usize,
    seed: u64,
    today: NaiveDate,
) -> Vec<SubmissionDetails> {
    let mut random = StdRng::seed_from_u64(seed);
    let regions: Vec<Region> = Region::all().collect();
    let roles = std::iter::repeat_n(Role::Receiving, offers)
        .chain(std::iter::repeat_n(Role::Sending, requests));
    roles
        .enumerate()
        .map(|(index, role)| synthetic_submission(&mut random, &regions, index, role, today))
        .collect()
}

/// Mobilities that started in the three years before `today`, mostly completed, sent
/// from and to regions across Europe: `count` of them, generated as they are consumed so
/// that a million need not sit in memory at once.
pub fn synthetic_mobilities(
    count: usize,
    seed: u64,
    today: NaiveDate,
) -> impl Iterator<Item = MobilityDetails> {
    let mut random = StdRng::seed_from_u64(seed);
    let regions: Vec<Region> = Region::all().collect();
    (0..count).map(move |index| synthetic_mobility(&mut random, &regions, index, today))
}

/// VET learners (and IVET graduates, about a quarter of them) for every region in each
/// of `years`, the denominators of the VET target.
pub fn synthetic_population(
    seed: u64,
    years: impl Iterator<Item = i32> + Clone,
) -> Vec<Population> {
    let mut random = StdRng::seed_from_u64(seed);
    Region::all()
        .flat_map(|region| years.clone().map(move |year| (region, year)))
        .map(|(region, year)| {
            let vet_learners = random.random_range(5_000..=150_000);
            Population {
                region,
                year,
                vet_learners,
                ivet_graduates: Some(vet_learners / 4),
            }
        })
        .collect()
}

/// How many years back synthetic mobilities start.
pub const SYNTHETIC_MOBILITY_YEARS: i32 = 3;

fn synthetic_mobility(
    random: &mut StdRng,
    regions: &[Region],
    index: usize,
    today: NaiveDate,
) -> MobilityDetails {
    let sending_region = *regions.choose(random).expect("there are NUTS 2 regions");
    let receiving_region = *regions.choose(random).expect("there are NUTS 2 regions");
    let mobility_type = pick_mobility_type(random);
    let (shortest, longest) = typical_duration(mobility_type);
    let days = random.random_range(shortest..=longest);
    let days_back = 365 * u64::try_from(SYNTHETIC_MOBILITY_YEARS).expect("a positive count");
    let start = today - Days::new(random.random_range(1..=days_back));
    let dates = DateWindow::new(start, start + Days::new(u64::from(days) - 1))
        .expect("the end follows the start");
    let participants = match mobility_type {
        MobilityType::StaffJobShadowing | MobilityType::StudyVisit => random.random_range(1..=6),
        _ => random.random_range(2..=20),
    };
    let status = match random.random_range(0..100) {
        0..85 => MobilityStatus::Completed,
        85..95 => MobilityStatus::Planned,
        _ => MobilityStatus::Cancelled,
    };
    let kind = KINDS_OF_ORGANISATION.choose(random).expect("kinds");
    MobilityDetails {
        sending_organisation: format!("{} {kind} {}", sending_region.name(), index % 5000),
        sending_region,
        receiving_organisation: format!("{} Host {}", receiving_region.name(), index % 3000),
        destination: Destination::region(receiving_region),
        mobility_type,
        participants,
        fewer_opportunities: random.random_range(0..=participants / 2),
        dates,
        status,
        introduction: None,
    }
}

fn synthetic_submission(
    random: &mut StdRng,
    regions: &[Region],
    index: usize,
    role: Role,
    today: NaiveDate,
) -> SubmissionDetails {
    let region = *regions.choose(random).expect("there are NUTS 2 regions");
    let mobility_type = pick_mobility_type(random);
    let (shortest, longest) = typical_duration(mobility_type);
    let min_days = random.random_range(shortest..=longest);
    let max_days = (min_days + random.random_range(0..=longest / 2)).min(longest.max(min_days));
    let start = today + Days::new(random.random_range(14..365));
    let window_days = u64::from(max_days) + random.random_range(0..120);
    let window =
        DateWindow::new(start, start + Days::new(window_days)).expect("the end follows the start");
    let participants = match mobility_type {
        MobilityType::StaffJobShadowing | MobilityType::StudyVisit => random.random_range(1..=6),
        _ => random.random_range(2..=20),
    };
    let field_count = random.random_range(1..=3);
    let fields = VET_FIELDS
        .choose_multiple(random, field_count)
        .map(|code| IscedField::parse(code).expect("the VET field list holds ISCED-F codes"))
        .collect();
    let mut languages = vec![national_language(region)];
    if languages[0].code() != "en" && random.random_bool(0.85) {
        languages.push(Language::parse("en").expect("English is a language"));
    }
    let partner_countries = if random.random_bool(0.2) {
        let country = regions.choose(random).expect("there are regions").country();
        vec![country]
    } else {
        Vec::new()
    };
    let first_name = FIRST_NAMES.choose(random).expect("names");
    let last_name = LAST_NAMES.choose(random).expect("names");
    let kind = KINDS_OF_ORGANISATION.choose(random).expect("kinds");
    SubmissionDetails {
        role,
        organisation: Organisation {
            name: format!("{} {kind} {index}", region.name()),
            contact_name: format!("{first_name} {last_name}"),
            contact_email: EmailAddress::parse(&format!("contact{index}@org{index}.example"))
                .expect("a well-formed address"),
            region,
        },
        mobility_type,
        fields,
        participants,
        fewer_opportunities: match role {
            Role::Sending => random.random_range(0..=participants / 2),
            Role::Receiving => 0,
        },
        inclusion_support: role == Role::Receiving && random.random_bool(0.5),
        window,
        duration: DurationRange::new(min_days, max_days).expect("a positive range"),
        languages,
        partner_countries,
        notes: String::new(),
    }
}

fn pick_mobility_type(random: &mut StdRng) -> MobilityType {
    // Most partner searches are about VET learners; staff mobility comes next.
    let weights = [
        (MobilityType::VetLearner, 45),
        (MobilityType::Apprentice, 15),
        (MobilityType::StaffJobShadowing, 15),
        (MobilityType::StudyVisit, 10),
        (MobilityType::AdultLearner, 10),
        (MobilityType::InformalLearner, 5),
    ];
    let mut draw = random.random_range(0..100);
    for (mobility_type, weight) in weights {
        if draw < weight {
            return mobility_type;
        }
        draw -= weight;
    }
    MobilityType::VetLearner
}

fn typical_duration(mobility_type: MobilityType) -> (u32, u32) {
    match mobility_type {
        MobilityType::VetLearner => (10, 30),
        MobilityType::Apprentice => (14, 90),
        MobilityType::AdultLearner | MobilityType::InformalLearner => (5, 21),
        MobilityType::StaffJobShadowing | MobilityType::StudyVisit => (2, 7),
    }
}

fn national_language(region: Region) -> Language {
    let code = match (region.code(), region.country().code()) {
        ("ES21" | "ES22", _) => "eu",
        ("ES51" | "ES53", _) => "ca",
        (code, _) if code.starts_with("BE2") => "nl",
        (code, _) if code.starts_with("FI2") => "sv",
        (_, "ES") => "es",
        (_, "SE") => "sv",
        (_, "FI") => "fi",
        (_, "DE" | "AT" | "LI") => "de",
        (_, "FR" | "LU" | "BE") => "fr",
        (_, "IT") => "it",
        (_, "PT") => "pt",
        (_, "NL") => "nl",
        (_, "PL") => "pl",
        (_, "CZ") => "cs",
        (_, "SK") => "sk",
        (_, "SI") => "sl",
        (_, "HR") => "hr",
        (_, "HU") => "hu",
        (_, "RO") => "ro",
        (_, "BG") => "bg",
        (_, "GR" | "CY") => "el",
        (_, "DK") => "da",
        (_, "EE") => "et",
        (_, "LV") => "lv",
        (_, "LT") => "lt",
        (_, "MT") => "mt",
        (_, "NO") => "no",
        (_, "IS") => "is",
        (_, "TR") => "tr",
        _ => "en",
    };
    Language::parse(code).expect("the national languages are ISO 639-1 codes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 15).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_submissions() {
        assert_eq!(
            synthetic_submissions(20, 30, 7, today()),
            synthetic_submissions(20, 30, 7, today())
        );
        assert_ne!(
            synthetic_submissions(20, 30, 7, today()),
            synthetic_submissions(20, 30, 8, today())
        );
    }

    #[test]
    fn synthetic_mobilities_started_in_the_last_three_years_and_are_mostly_completed() {
        let mobilities: Vec<MobilityDetails> = synthetic_mobilities(2000, 3, today()).collect();
        assert_eq!(mobilities.len(), 2000);
        let completed = mobilities
            .iter()
            .filter(|mobility| mobility.status == MobilityStatus::Completed)
            .count();
        assert!((1500..2000).contains(&completed), "{completed}");
        for mobility in &mobilities {
            assert!(mobility.dates.start() < today());
            assert!(mobility.dates.start() >= today() - Days::new(3 * 365));
            assert!(mobility.fewer_opportunities <= mobility.participants);
        }
        assert_eq!(
            synthetic_mobilities(50, 3, today()).collect::<Vec<_>>(),
            mobilities[..50]
        );
    }

    #[test]
    fn synthetic_population_covers_every_region_in_every_year() {
        let population = synthetic_population(1, 2025..=2027);
        assert_eq!(population.len(), Region::all().count() * 3);
        assert!(population.iter().all(|figure| figure.vet_learners >= 5_000));
    }

    #[test]
    fn synthetic_submissions_keep_the_rules_of_real_ones() {
        let submissions = synthetic_submissions(300, 300, 1, today());
        assert_eq!(
            submissions
                .iter()
                .filter(|s| s.role == Role::Receiving)
                .count(),
            300
        );
        for submission in &submissions {
            assert!(submission.window.start() > today());
            assert!(submission.window.days() >= submission.duration.min_days());
            assert!(submission.fewer_opportunities <= submission.participants);
            assert!(!submission.fields.is_empty() && !submission.languages.is_empty());
            if submission.role == Role::Receiving {
                assert_eq!(submission.fewer_opportunities, 0);
            }
        }
        let types: std::collections::HashSet<_> =
            submissions.iter().map(|s| s.mobility_type).collect();
        assert_eq!(types.len(), MobilityType::ALL.len());
    }
}
