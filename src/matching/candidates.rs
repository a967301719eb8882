//! Candidate pairs without comparing every offer with every request: requests are put
//! in buckets by mobility type, language and field of education, each bucket sorted by
//! first day with its dates and durations beside each request. An offer looks only into
//! the buckets of its own type, of its languages and of the fields compatible with its
//! own (found once per field among the fields the requests list), so every request it
//! meets shares those with it; within a bucket it reads only the requests that start
//! early enough, and skips on the spot those whose dates cannot give a common stay.
//! The remaining rules then decide. The offers are split between threads in contiguous
//! stretches whose results are joined in order, so the result does not depend on the
//! number of threads.

use std::collections::{BTreeSet, HashMap};

use super::rules::{Pool, Side, Stay};
use super::score::{Score, ScoreWeights, score};
use crate::domain::{IscedField, MobilityType};

/// A lawful pair: indices into the pool's offers and requests, and the pair's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Edge {
    pub offer: u32,
    pub request: u32,
    pub score: Score,
}

/// Below this many offers one thread does the whole search: starting more costs more
/// than it saves.
const OFFERS_PER_THREAD: usize = 2_000;

/// Every lawful pair of the pool, sorted by offer and then request.
pub(super) fn find_candidates(pool: &Pool, weights: &ScoreWeights) -> Vec<Edge> {
    let threads = std::thread::available_parallelism().map_or(1, |count| count.get());
    let stretches = threads.min(pool.offers.len() / OFFERS_PER_THREAD).max(1);
    find_candidates_in_stretches(pool, weights, stretches)
}

/// [`find_candidates`] with the offers split into `stretches` parts, each searched by a
/// thread of its own (the calling thread when there is one part).
fn find_candidates_in_stretches(
    pool: &Pool,
    weights: &ScoreWeights,
    stretches: usize,
) -> Vec<Edge> {
    let index = RequestIndex::new(&pool.requests);
    let offer_count = pool.offers.len();
    let bounds: Vec<usize> = (0..=stretches)
        .map(|part| part * offer_count / stretches)
        .collect();
    if stretches == 1 {
        return Search::new(pool, &index, weights).run(0..offer_count);
    }
    let parts: Vec<Vec<Edge>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|range| {
                let index = &index;
                let (first, end) = (range[0], range[1]);
                scope.spawn(move || Search::new(pool, index, weights).run(first..end))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a candidate search thread panicked"))
            .collect()
    });
    let mut edges = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        edges.extend(part);
    }
    edges
}

type BucketKey = (MobilityType, &'static str, &'static str);

/// A request in a bucket, with what the date test reads, so that a request whose dates
/// do not fit is passed over without being read.
#[derive(Clone, Copy)]
struct Entry {
    stay: Stay,
    request: u32,
}

#[derive(Default)]
struct Bucket {
    /// Sorted by first day, then request.
    entries: Vec<Entry>,
    longest_window: i32,
}

struct RequestIndex {
    buckets: HashMap<BucketKey, Bucket>,
    requested_fields: BTreeSet<IscedField>,
}

impl RequestIndex {
    fn new(requests: &[Side]) -> RequestIndex {
        let mut buckets: HashMap<BucketKey, Bucket> = HashMap::new();
        let mut keys = Vec::new();
        for (index, request) in requests.iter().enumerate() {
            let details = request.details;
            keys.clear();
            for language in &details.languages {
                keys.extend(
                    details
                        .fields
                        .iter()
                        .map(|field| (details.mobility_type, language.code(), field.code())),
                );
            }
            keys.sort_unstable();
            keys.dedup();
            for key in &keys {
                let bucket = buckets.entry(*key).or_default();
                bucket.entries.push(Entry {
                    stay: request.stay,
                    request: index as u32,
                });
                bucket.longest_window = bucket
                    .longest_window
                    .max(request.stay.last_day - request.stay.first_day + 1);
            }
        }
        for bucket in buckets.values_mut() {
            bucket
                .entries
                .sort_unstable_by_key(|entry| (entry.stay.first_day, entry.request));
        }
        RequestIndex {
            buckets,
            requested_fields: requests
                .iter()
                .flat_map(|request| request.details.fields.iter().copied())
                .collect(),
        }
    }
}

/// One thread's search, with its own scratch space.
struct Search<'s, 'a> {
    pool: &'s Pool<'a>,
    index: &'s RequestIndex,
    weights: &'s ScoreWeights,
    compatible_fields: HashMap<IscedField, Vec<&'static str>>,
    /// The last offer that looked at each request: a request sits in several buckets.
    last_seen_by_offer: Vec<u32>,
    keys: Vec<BucketKey>,
}

impl<'s, 'a> Search<'s, 'a> {
    fn new(pool: &'s Pool<'a>, index: &'s RequestIndex, weights: &'s ScoreWeights) -> Self {
        Search {
            pool,
            index,
            weights,
            compatible_fields: HashMap::new(),
            last_seen_by_offer: vec![u32::MAX; pool.requests.len()],
            keys: Vec::new(),
        }
    }

    fn run(mut self, offers: std::ops::Range<usize>) -> Vec<Edge> {
        let mut edges = Vec::new();
        for offer_index in offers {
            let first_edge = edges.len();
            self.search_offer(offer_index, &mut edges);
            edges[first_edge..].sort_unstable_by_key(|edge| edge.request);
        }
        edges
    }

    fn search_offer(&mut self, offer_index: usize, edges: &mut Vec<Edge>) {
        let pool = self.pool;
        let offer = &pool.offers[offer_index];
        let details = offer.details;
        self.keys.clear();
        for field in &details.fields {
            let requested_fields = &self.index.requested_fields;
            let compatible = self.compatible_fields.entry(*field).or_insert_with(|| {
                requested_fields
                    .iter()
                    .filter(|requested| requested.is_compatible_with(field))
                    .map(|requested| requested.code())
                    .collect()
            });
            for language in &details.languages {
                self.keys.extend(
                    compatible
                        .iter()
                        .map(|code| (details.mobility_type, language.code(), *code)),
                );
            }
        }
        self.keys.sort_unstable();
        self.keys.dedup();
        // A request gives the offer its shortest stay only if it starts by the offer's
        // last possible start and ends no earlier than the offer's first possible end.
        let shortest_stay = offer.stay.min_days as i32;
        let latest_start = offer.stay.last_day - shortest_stay + 1;
        let earliest_end = offer.stay.first_day + shortest_stay - 1;
        let offer_number = offer_index as u32;
        for key in &self.keys {
            let Some(bucket) = self.index.buckets.get(key) else {
                continue;
            };
            let earliest_start = earliest_end + 1 - bucket.longest_window;
            let from = bucket
                .entries
                .partition_point(|entry| entry.stay.first_day < earliest_start);
            let to = bucket
                .entries
                .partition_point(|entry| entry.stay.first_day <= latest_start);
            for entry in &bucket.entries[from..to.max(from)] {
                let Some(overlap_days) = offer.stay.shared_days(entry.stay) else {
                    continue;
                };
                let seen = &mut self.last_seen_by_offer[entry.request as usize];
                if *seen == offer_number {
                    continue;
                }
                *seen = offer_number;
                let request = &pool.requests[entry.request as usize];
                if pool.lawful_apart_from_dates(offer, request) {
                    edges.push(Edge {
                        offer: offer_number,
                        request: entry.request,
                        score: score(offer, request, overlap_days, self.weights),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;
    use crate::domain::{Source, Submission, SubmissionId, SubmissionStatus};
    use crate::matching::MatchingSettings;
    use crate::synth::synthetic_submissions;

    #[test]
    fn splitting_the_offers_between_threads_changes_nothing() {
        let today = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        let created = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let submissions: Vec<Submission> = synthetic_submissions(300, 300, 7, today)
            .into_iter()
            .enumerate()
            .map(|(index, details)| Submission {
                id: SubmissionId::new(index as i64 + 1),
                details,
                status: SubmissionStatus::Open,
                source: Source::Import,
                created_at: created,
                updated_at: created,
            })
            .collect();
        let settings = MatchingSettings::default();
        let pool = Pool::new(&submissions, &[], &settings, today);
        let alone = find_candidates_in_stretches(&pool, &settings.weights, 1);
        assert!(alone.len() > 100, "only {} candidates", alone.len());
        for stretches in [2, 3, 7] {
            assert_eq!(
                find_candidates_in_stretches(&pool, &settings.weights, stretches),
                alone,
                "{stretches} threads"
            );
        }
    }
}
