//! Golden instances a person can check by hand, and property tests that compare the
//! indexed candidate search and the flow-based selection with plain brute force.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::{
    Country, DateWindow, DurationRange, EmailAddress, IntroductionStatus, IscedField, Language,
    MobilityType, Organisation, Region, Role, Source, SubmissionDetails, SubmissionStatus,
};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn today() -> NaiveDate {
    date("2027-01-15")
}

fn fields(codes: &[&str]) -> Vec<IscedField> {
    codes
        .iter()
        .map(|code| IscedField::parse(code).unwrap())
        .collect()
}

fn languages(codes: &[&str]) -> Vec<Language> {
    codes
        .iter()
        .map(|code| Language::parse(code).unwrap())
        .collect()
}

fn countries(codes: &[&str]) -> Vec<Country> {
    codes
        .iter()
        .map(|code| Country::parse(code).unwrap())
        .collect()
}

fn window(start: &str, end: &str) -> DateWindow {
    DateWindow::new(date(start), date(end)).unwrap()
}

/// TKNIKA-like host in the Basque Country: four VET learners in 0713, March to June.
fn offer(id: i64) -> Submission {
    submission(
        id,
        SubmissionDetails {
            role: Role::Receiving,
            organisation: Organisation {
                name: format!("Host {id}"),
                contact_name: "Miren Agirre".to_owned(),
                contact_email: EmailAddress::parse(&format!("host{id}@example.org")).unwrap(),
                region: Region::parse("ES21").unwrap(),
            },
            mobility_type: MobilityType::VetLearner,
            fields: fields(&["0713"]),
            participants: 4,
            fewer_opportunities: 0,
            inclusion_support: true,
            window: window("2027-03-01", "2027-06-30"),
            duration: DurationRange::new(10, 30).unwrap(),
            languages: languages(&["en"]),
            partner_countries: vec![],
            notes: String::new(),
        },
    )
}

/// A school in Västsverige sending four VET learners in 0713 for two weeks in spring.
fn request(id: i64) -> Submission {
    submission(
        id,
        SubmissionDetails {
            role: Role::Sending,
            organisation: Organisation {
                name: format!("Sender {id}"),
                contact_name: "Anna Berg".to_owned(),
                contact_email: EmailAddress::parse(&format!("sender{id}@example.org")).unwrap(),
                region: Region::parse("SE23").unwrap(),
            },
            mobility_type: MobilityType::VetLearner,
            fields: fields(&["0713"]),
            participants: 4,
            fewer_opportunities: 0,
            inclusion_support: false,
            window: window("2027-04-01", "2027-05-15"),
            duration: DurationRange::new(14, 14).unwrap(),
            languages: languages(&["en"]),
            partner_countries: vec![],
            notes: String::new(),
        },
    )
}

fn submission(id: i64, details: SubmissionDetails) -> Submission {
    let created = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
    Submission {
        id: SubmissionId::new(id),
        details,
        status: SubmissionStatus::Open,
        source: Source::Email,
        created_at: created,
        updated_at: created,
    }
}

fn with(mut submission: Submission, change: impl FnOnce(&mut SubmissionDetails)) -> Submission {
    change(&mut submission.details);
    submission
}

fn pairs(plan: &RoundPlan) -> Vec<(i64, i64)> {
    plan.introductions
        .iter()
        .map(|introduction| (introduction.offer.get(), introduction.request.get()))
        .collect()
}

fn plan(submissions: &[Submission], settings: &MatchingSettings) -> RoundPlan {
    plan_round(submissions, &[], settings, today())
}

#[test]
fn a_lawful_pair_is_introduced_with_a_reason_for_each_part_of_its_score() {
    let round = plan(&[offer(1), request(2)], &MatchingSettings::default());
    assert_eq!(
        (round.offers, round.requests, round.candidates.len()),
        (1, 1, 1)
    );
    let introduction = &round.introductions[0];
    // 30 field + 25 dates + 25 capacity + 10 inclusion + 0 partner countries.
    assert_eq!(introduction.score.points(), 90.0);
    assert_eq!(
        introduction.reasons,
        [
            "both list 0713 Electricity and energy",
            "the dates in common (45 days) fit the longest stay asked for (14 days)",
            "the host can take all 4 participants",
            "no participant needs inclusion support",
            "neither side named preferred partner countries",
        ]
    );
    assert_eq!(round.total_score(), 90.0);
}

#[test]
fn partial_fits_lower_the_score_and_say_so() {
    let host = with(offer(1), |d| {
        d.fields = fields(&["07"]);
        d.participants = 2;
        d.inclusion_support = false;
        d.window = window("2027-04-01", "2027-04-20");
        d.partner_countries = countries(&["SE"]);
    });
    let sender = with(request(2), |d| {
        d.duration = DurationRange::new(10, 40).unwrap();
        d.fewer_opportunities = 3;
    });
    let round = plan(&[host, sender], &MatchingSettings::default());
    let introduction = &round.introductions[0];
    // Field 30 × 1/3 = 10, dates 25 × 20/40 = 12.5, capacity 25 × 2/4 = 12.5,
    // inclusion 0, partner countries 10 × 1/2 = 5.
    assert_eq!(introduction.score.points(), 40.0);
    assert_eq!(
        introduction.reasons,
        [
            "0713 Electricity and energy is part of 07 Engineering, manufacturing and construction",
            "the dates in common cover 20 of the 40 days asked for",
            "the host can take 2 of the 4 participants",
            "the host gives no inclusion support, though 3 participants have fewer opportunities",
            "the host named Sweden as a preferred partner country",
        ]
    );
}

#[test]
fn a_pair_that_breaks_any_hard_rule_is_never_a_candidate() {
    type Change = fn(&mut SubmissionDetails);
    let breaks: &[(&str, Change, Change)] = &[
        (
            "another mobility type",
            |_| {},
            |r| r.mobility_type = MobilityType::Apprentice,
        ),
        (
            "the same organisation",
            |o| {
                o.organisation.name = "Sender 2".to_owned();
                o.organisation.contact_email = EmailAddress::parse("sender2@example.org").unwrap();
            },
            |_| {},
        ),
        (
            "the same region",
            |o| o.organisation.region = Region::parse("SE23").unwrap(),
            |_| {},
        ),
        (
            "the same country",
            |o| o.organisation.region = Region::parse("SE11").unwrap(),
            |_| {},
        ),
        (
            "fields that do not nest",
            |_| {},
            |r| r.fields = fields(&["0722", "0811"]),
        ),
        (
            "a broad field beside another",
            |o| o.fields = fields(&["07"]),
            |r| r.fields = fields(&["0811"]),
        ),
        (
            "no common language",
            |_| {},
            |r| r.languages = languages(&["sv", "fi"]),
        ),
        (
            "the host's partner countries",
            |o| o.partner_countries = countries(&["FI"]),
            |_| {},
        ),
        (
            "the sender's partner countries",
            |_| {},
            |r| r.partner_countries = countries(&["FR"]),
        ),
        (
            "durations that do not meet",
            |o| o.duration = DurationRange::new(2, 7).unwrap(),
            |_| {},
        ),
        (
            "an overlap shorter than the longer minimum",
            |o| {
                o.window = window("2027-03-01", "2027-04-13");
            },
            |_| {},
        ),
        (
            "a window already ended",
            |_| {},
            |r| r.window = window("2026-12-01", "2027-01-14"),
        ),
    ];
    for (rule, change_offer, change_request) in breaks {
        let round = plan(
            &[
                with(offer(1), *change_offer),
                with(request(2), *change_request),
            ],
            &MatchingSettings::default(),
        );
        assert!(
            round.candidates.is_empty(),
            "{rule}: {:?}",
            round.candidates
        );
    }
    let withdrawn = Submission {
        status: SubmissionStatus::Withdrawn,
        ..request(2)
    };
    assert!(
        plan(&[offer(1), withdrawn], &MatchingSettings::default())
            .candidates
            .is_empty()
    );
}

#[test]
fn the_rules_accept_what_they_should() {
    let nested = plan(
        &[
            with(offer(1), |o| o.fields = fields(&["0722", "07"])),
            with(request(2), |r| {
                r.fields = fields(&["0811", "0713"]);
            }),
        ],
        &MatchingSettings::default(),
    );
    assert_eq!(nested.candidates.len(), 1, "07 holds 0713");
    let overlap_just_long_enough = plan(
        &[
            with(offer(1), |o| o.window = window("2027-03-01", "2027-04-14")),
            request(2),
        ],
        &MatchingSettings::default(),
    );
    assert_eq!(
        overlap_just_long_enough.candidates.len(),
        1,
        "1–14 April is 14 days"
    );
    let same_country = [
        with(offer(1), |o| {
            o.organisation.region = Region::parse("SE11").unwrap()
        }),
        request(2),
    ];
    let at_home = MatchingSettings {
        cross_border_only: false,
        ..MatchingSettings::default()
    };
    assert_eq!(plan(&same_country, &at_home).candidates.len(), 1);
    let named_both_ways = plan(
        &[
            with(offer(1), |o| o.partner_countries = countries(&["SE", "FI"])),
            with(request(2), |r| {
                r.partner_countries = countries(&["ES"]);
            }),
        ],
        &MatchingSettings::default(),
    );
    assert_eq!(named_both_ways.introductions[0].score.points(), 100.0);
}

#[test]
fn days_already_past_do_not_count_toward_the_overlap() {
    // The request's window opened in December; only 15–28 January (14 days) remain.
    let early = with(request(2), |r| {
        r.window = window("2026-12-01", "2027-01-28")
    });
    let host = with(offer(1), |o| o.window = window("2026-11-01", "2027-02-28"));
    assert_eq!(
        plan(&[host.clone(), early.clone()], &MatchingSettings::default())
            .candidates
            .len(),
        1
    );
    let shorter = with(early, |r| r.window = window("2026-12-01", "2027-01-27"));
    assert!(
        plan(&[host, shorter], &MatchingSettings::default())
            .candidates
            .is_empty()
    );
}

#[test]
fn each_offer_and_request_keeps_to_its_limit() {
    let submissions = [offer(1), request(2), request(3), request(4)];
    let round = plan(&submissions, &MatchingSettings::default());
    assert_eq!(round.candidates.len(), 3);
    assert_eq!(
        pairs(&round),
        [(1, 2), (1, 3)],
        "two per offer; ties go to the earlier requests"
    );
    let three_per_offer = MatchingSettings {
        max_introductions_per_offer: 3,
        ..MatchingSettings::default()
    };
    assert_eq!(plan(&submissions, &three_per_offer).introductions.len(), 3);
}

#[test]
fn the_selection_is_exact_where_the_greedy_choice_is_not() {
    // Greedy takes 1–3 (90) and stops; the best round is 1–4 (70) with 2–3 (80).
    let submissions = [
        with(offer(1), |o| o.languages = languages(&["en", "es"])),
        with(offer(2), |o| o.fields = fields(&["071"])),
        request(3),
        with(request(4), |r| {
            r.fields = fields(&["07"]);
            r.languages = languages(&["es"]);
        }),
    ];
    let one_each = MatchingSettings {
        max_introductions_per_offer: 1,
        ..MatchingSettings::default()
    };
    let round = plan(&submissions, &one_each);
    assert_eq!(pairs(&round), [(1, 4), (2, 3)]);
    assert_eq!(round.total_score(), 150.0);
}

#[test]
fn fewer_opportunities_priority_gives_a_scarce_host_to_those_who_need_it() {
    // One host, one place. Request 2 fits best (90); request 3 sends eight people, all
    // with fewer opportunities, and the host can take half of them (77.5). With the
    // priority 0.5, request 3 weighs 77.5 × 1.5 = 116.25 and gets the host.
    let submissions = [
        offer(1),
        request(2),
        with(request(3), |r| {
            r.participants = 8;
            r.fewer_opportunities = 8;
        }),
    ];
    let one_place = MatchingSettings {
        max_introductions_per_offer: 1,
        ..MatchingSettings::default()
    };
    let round = plan(&submissions, &one_place);
    assert_eq!(pairs(&round), [(1, 3)]);
    assert_eq!(round.introductions[0].score.points(), 77.5);
    let without_priority = MatchingSettings {
        fewer_opportunities_priority: 0.0,
        ..one_place
    };
    assert_eq!(pairs(&plan(&submissions, &without_priority)), [(1, 2)]);
}

#[test]
fn earlier_introductions_are_not_repeated_and_unanswered_ones_use_up_the_limits() {
    let submissions = [offer(1), offer(5), request(2), request(3)];
    let introduced = |status| IntroducedPair {
        offer: SubmissionId::new(1),
        request: SubmissionId::new(2),
        status,
    };
    let declined = plan_round(
        &submissions,
        &[introduced(IntroductionStatus::Declined)],
        &MatchingSettings::default(),
        today(),
    );
    assert_eq!(
        pairs(&declined),
        [(1, 3), (5, 2)],
        "the declined pair is not proposed again"
    );
    let waiting = plan_round(
        &submissions,
        &[introduced(IntroductionStatus::Introduced)],
        &MatchingSettings::default(),
        today(),
    );
    assert_eq!(
        waiting.requests, 1,
        "request 2 waits for answers and has no room left"
    );
    assert_eq!(
        pairs(&waiting),
        [(1, 3)],
        "offer 1 has one of its two places left"
    );
}

#[test]
fn the_same_data_gives_the_same_round() {
    let submissions: Vec<Submission> = (1..=6)
        .flat_map(|id| [offer(id), request(id + 10)])
        .collect();
    let first = plan(&submissions, &MatchingSettings::default());
    assert_eq!(first, plan(&submissions, &MatchingSettings::default()));
    assert_eq!(first.introductions.len(), 6);
}

// Property tests: small random instances, where every lawful pair can be listed by
// checking every offer against every request, and the best selection found by brute
// force or by a plain successive-shortest-path solver.

const REGIONS: &[&str] = &["ES21", "ES30", "SE23", "SE11", "FI1B"];
const FIELDS: &[&str] = &["07", "071", "0713", "0722", "10", "1013"];
const LANGUAGES: &[&str] = &["en", "es", "sv"];
const COUNTRIES: &[&str] = &["ES", "SE", "FI"];
const STATUSES: &[IntroductionStatus] = &[
    IntroductionStatus::Proposed,
    IntroductionStatus::Declined,
    IntroductionStatus::Expired,
];

fn subset(
    all: &'static [&'static str],
    at_least_one: bool,
) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::sample::subsequence(
        all,
        if at_least_one {
            1..=all.len()
        } else {
            0..=all.len()
        },
    )
}

fn random_submission(role: Role) -> impl Strategy<Value = SubmissionDetails> {
    (
        (
            0..2usize,
            0..REGIONS.len(),
            0..3usize,
            subset(FIELDS, true),
            subset(LANGUAGES, true),
        ),
        (0..60i64, 1..50i64, 1..12u32, 0..10u32),
        (
            1..6u32,
            0..6u32,
            any::<bool>(),
            prop_oneof![3 => Just(vec![]), 1 => subset(COUNTRIES, true)],
        ),
    )
        .prop_map(
            move |(
                (kind, region, organisation, field_codes, language_codes),
                (start, length, min_days, extra_days),
                (participants, fewer, inclusion, partners),
            )| {
                let start = date("2027-01-01") + chrono::Days::new(start as u64);
                SubmissionDetails {
                    role,
                    organisation: Organisation {
                        name: format!("Organisation {organisation}"),
                        contact_name: "Contact".to_owned(),
                        contact_email: EmailAddress::parse(&format!("o{organisation}@example.org"))
                            .unwrap(),
                        region: Region::parse(REGIONS[region]).unwrap(),
                    },
                    mobility_type: [MobilityType::VetLearner, MobilityType::StudyVisit][kind],
                    fields: fields(&field_codes),
                    participants,
                    fewer_opportunities: if role == Role::Sending {
                        fewer.min(participants)
                    } else {
                        0
                    },
                    inclusion_support: role == Role::Receiving && inclusion,
                    window: DateWindow::new(start, start + chrono::Days::new(length as u64))
                        .unwrap(),
                    duration: DurationRange::new(min_days, min_days + extra_days).unwrap(),
                    languages: languages(&language_codes),
                    partner_countries: countries(&partners),
                    notes: String::new(),
                }
            },
        )
}

#[derive(Debug)]
struct Instance {
    submissions: Vec<Submission>,
    introduced: Vec<IntroducedPair>,
    settings: MatchingSettings,
}

fn instance() -> impl Strategy<Value = Instance> {
    (
        proptest::collection::vec(random_submission(Role::Receiving), 0..6),
        proptest::collection::vec(random_submission(Role::Sending), 0..6),
        proptest::collection::vec((0..6i64, 0..6i64, 0..STATUSES.len()), 0..4),
        (
            1..3u32,
            1..4u32,
            any::<bool>(),
            prop_oneof![Just(0.0), Just(0.5), Just(3.0)],
        ),
    )
        .prop_map(
            |(
                offers,
                requests,
                introduced,
                (per_request, per_offer, cross_border_only, priority),
            )| {
                let offer_count = offers.len() as i64;
                let request_count = requests.len() as i64;
                let submissions: Vec<Submission> = offers
                    .into_iter()
                    .chain(requests)
                    .enumerate()
                    .map(|(index, details)| submission(index as i64 + 1, details))
                    .collect();
                let introduced = introduced
                    .into_iter()
                    .filter(|(offer, request, _)| *offer < offer_count && *request < request_count)
                    .map(|(offer, request, status)| IntroducedPair {
                        offer: SubmissionId::new(offer + 1),
                        request: SubmissionId::new(offer_count + request + 1),
                        status: STATUSES[status],
                    })
                    .collect();
                Instance {
                    submissions,
                    introduced,
                    settings: MatchingSettings {
                        max_introductions_per_request: per_request,
                        max_introductions_per_offer: per_offer,
                        cross_border_only,
                        fewer_opportunities_priority: priority,
                        weights: ScoreWeights::default(),
                    },
                }
            },
        )
}

/// The hard rules written out plainly, for one offer and one request.
fn lawful_by_the_book(offer: &Submission, request: &Submission, instance: &Instance) -> bool {
    let (o, r) = (&offer.details, &request.details);
    let same_organisation = o.organisation.contact_email == r.organisation.contact_email
        && o.organisation.name.to_lowercase() == r.organisation.name.to_lowercase();
    let offer_country = o.organisation.region.country();
    let request_country = r.organisation.region.country();
    let from = o.window.start().max(r.window.start()).max(today());
    let to = o.window.end().min(r.window.end());
    let overlap_days = (to - from).num_days() + 1;
    let fields_nest = o.fields.iter().any(|a| {
        r.fields
            .iter()
            .any(|b| a.code().starts_with(b.code()) || b.code().starts_with(a.code()))
    });
    o.mobility_type == r.mobility_type
        && !same_organisation
        && o.organisation.region != r.organisation.region
        && !(instance.settings.cross_border_only && offer_country == request_country)
        && fields_nest
        && overlap_days >= i64::from(o.duration.min_days().max(r.duration.min_days()))
        && o.duration.min_days().max(r.duration.min_days())
            <= o.duration.max_days().min(r.duration.max_days())
        && o.languages
            .iter()
            .any(|language| r.languages.contains(language))
        && (o.partner_countries.is_empty() || o.partner_countries.contains(&request_country))
        && (r.partner_countries.is_empty() || r.partner_countries.contains(&offer_country))
        && !instance
            .introduced
            .iter()
            .any(|pair| pair.offer == offer.id && pair.request == request.id)
}

/// Room left for each submission: its limit less its introductions awaiting answers.
fn room_by_the_book(instance: &Instance) -> HashMap<SubmissionId, u32> {
    instance
        .submissions
        .iter()
        .filter(|s| s.status == SubmissionStatus::Open && s.details.window.end() >= today())
        .map(|s| {
            let limit = match s.details.role {
                Role::Receiving => instance.settings.max_introductions_per_offer,
                Role::Sending => instance.settings.max_introductions_per_request,
            };
            let waiting = instance
                .introduced
                .iter()
                .filter(|pair| {
                    pair.awaits_answers() && (pair.offer == s.id || pair.request == s.id)
                })
                .count() as u32;
            (s.id, limit.saturating_sub(waiting))
        })
        .filter(|(_, room)| *room > 0)
        .collect()
}

fn weight(candidate: &Candidate, instance: &Instance) -> i64 {
    let request = &instance.submissions[candidate.request.get() as usize - 1].details;
    let share = f64::from(request.fewer_opportunities) / f64::from(request.participants);
    (f64::from(candidate.score.hundredths())
        * (1.0 + instance.settings.fewer_opportunities_priority * share))
        .round() as i64
}

/// The best total by trying every subset of candidates that keeps the limits.
fn brute_force_best(
    candidates: &[Candidate],
    weights: &[i64],
    room: &HashMap<SubmissionId, u32>,
) -> i64 {
    fn search(
        index: usize,
        candidates: &[Candidate],
        weights: &[i64],
        room: &mut HashMap<SubmissionId, u32>,
    ) -> i64 {
        if index == candidates.len() {
            return 0;
        }
        let skip = search(index + 1, candidates, weights, room);
        let candidate = &candidates[index];
        if room[&candidate.offer] == 0 || room[&candidate.request] == 0 {
            return skip;
        }
        *room.get_mut(&candidate.offer).unwrap() -= 1;
        *room.get_mut(&candidate.request).unwrap() -= 1;
        let take = weights[index] + search(index + 1, candidates, weights, room);
        *room.get_mut(&candidate.offer).unwrap() += 1;
        *room.get_mut(&candidate.request).unwrap() += 1;
        skip.max(take)
    }
    search(0, candidates, weights, &mut room.clone())
}

/// The best total by augmenting along the most profitable path (Bellman–Ford on the
/// residual bipartite graph) for as long as one gains anything.
fn augmenting_paths_best(
    candidates: &[Candidate],
    weights: &[i64],
    room: &HashMap<SubmissionId, u32>,
) -> i64 {
    let ids: Vec<SubmissionId> = room
        .keys()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let node = |id: &SubmissionId| ids.iter().position(|known| known == id).unwrap() + 2;
    let nodes = ids.len() + 2;
    // (from, to, residual, cost), paired: 2k forward, 2k+1 backward.
    let mut arcs: Vec<(usize, usize, i64, i64)> = Vec::new();
    let mut add = |from, to, capacity, cost| {
        arcs.push((from, to, capacity, cost));
        arcs.push((to, from, 0, -cost));
    };
    for id in &ids {
        let is_offer = candidates.iter().any(|c| c.offer == *id);
        if is_offer {
            add(0, node(id), i64::from(room[id]), 0);
        } else {
            add(node(id), 1, i64::from(room[id]), 0);
        }
    }
    for (candidate, weight) in candidates.iter().zip(weights) {
        add(node(&candidate.offer), node(&candidate.request), 1, -weight);
    }
    let mut total = 0;
    loop {
        let mut distance = vec![i64::MAX; nodes];
        let mut via = vec![usize::MAX; nodes];
        distance[0] = 0;
        for _ in 0..nodes {
            for (index, &(from, to, residual, cost)) in arcs.iter().enumerate() {
                if residual > 0
                    && distance[from] != i64::MAX
                    && distance[from] + cost < distance[to]
                {
                    distance[to] = distance[from] + cost;
                    via[to] = index;
                }
            }
        }
        if distance[1] >= 0 {
            return total;
        }
        let mut at = 1;
        while at != 0 {
            arcs[via[at]].2 -= 1;
            arcs[via[at] ^ 1].2 += 1;
            at = arcs[via[at]].0;
        }
        total -= distance[1];
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_candidates_are_exactly_the_lawful_pairs(instance in instance()) {
        let round = plan_round(&instance.submissions, &instance.introduced, &instance.settings, today());
        let room = room_by_the_book(&instance);
        let taking_part = |s: &&Submission| room.contains_key(&s.id);
        let offers: Vec<&Submission> = instance.submissions.iter().filter(|s| s.details.role == Role::Receiving).filter(taking_part).collect();
        let requests: Vec<&Submission> = instance.submissions.iter().filter(|s| s.details.role == Role::Sending).filter(taking_part).collect();
        let expected: Vec<(SubmissionId, SubmissionId)> = offers
            .iter()
            .flat_map(|o| requests.iter().map(move |r| (*o, *r)))
            .filter(|(o, r)| lawful_by_the_book(o, r, &instance))
            .map(|(o, r)| (o.id, r.id))
            .collect();
        let found: Vec<(SubmissionId, SubmissionId)> = round.candidates.iter().map(|c| (c.offer, c.request)).collect();
        prop_assert_eq!(found, expected);
        prop_assert_eq!((round.offers, round.requests), (offers.len(), requests.len()));
    }

    #[test]
    fn the_selection_keeps_the_limits_and_reaches_the_optimum(instance in instance()) {
        let graph = CandidateGraph::new(&instance.submissions, &instance.introduced, &instance.settings, today());
        let selection = graph.select();
        let round = graph.plan(&selection);
        let room = room_by_the_book(&instance);
        let mut used: HashMap<SubmissionId, u32> = HashMap::new();
        for introduction in &round.introductions {
            prop_assert!(round.candidates.iter().any(|c| (c.offer, c.request) == (introduction.offer, introduction.request)));
            prop_assert_eq!(introduction.reasons.len(), 5);
            *used.entry(introduction.offer).or_default() += 1;
            *used.entry(introduction.request).or_default() += 1;
        }
        for (id, count) in &used {
            prop_assert!(*count <= room[id], "{} has {} introductions, room for {}", id, count, room[id]);
        }
        let weights: Vec<i64> = round.candidates.iter().map(|c| weight(c, &instance)).collect();
        let chosen_total: i64 = round
            .candidates
            .iter()
            .zip(&weights)
            .filter(|(c, _)| round.introductions.iter().any(|i| (i.offer, i.request) == (c.offer, c.request)))
            .map(|(_, w)| w)
            .sum();
        prop_assert_eq!(chosen_total, selection.objective);
        prop_assert_eq!(selection.objective, augmenting_paths_best(&round.candidates, &weights, &room));
        if round.candidates.len() <= 14 {
            prop_assert_eq!(selection.objective, brute_force_best(&round.candidates, &weights, &room));
        }
        let network_cost = graph.flow_network().solve().unwrap().total_cost;
        prop_assert_eq!(-network_cost, selection.objective);
    }
}
