//! Candidate pairs without comparing every offer with every request: requests are put
//! in buckets by mobility type, language and field of education, each bucket sorted by
//! first day. An offer looks only into the buckets of its own type, of its languages and
//! of the fields compatible with its own (found once per field among the fields the
//! requests list), and only at the requests whose windows can overlap its own by its
//! minimum stay; the full rules then decide.

use std::collections::{BTreeSet, HashMap};

use super::rules::{Pool, Side};
use super::score::{Score, ScoreWeights, score};
use crate::domain::{IscedField, MobilityType};

/// A lawful pair: indices into the pool's offers and requests, and the pair's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Edge {
    pub offer: u32,
    pub request: u32,
    pub score: Score,
}

type BucketKey = (MobilityType, &'static str, &'static str);

#[derive(Default)]
struct Bucket {
    /// Request indices sorted by first day, with those first days beside them.
    requests: Vec<u32>,
    first_days: Vec<i32>,
    longest_window: i32,
}

/// Every lawful pair of the pool, sorted by offer and then request.
pub(super) fn find_candidates(pool: &Pool, weights: &ScoreWeights) -> Vec<Edge> {
    let buckets = bucket_requests(&pool.requests);
    let requested_fields: BTreeSet<IscedField> = pool
        .requests
        .iter()
        .flat_map(|request| request.details.fields.iter().copied())
        .collect();
    let mut compatible_fields: HashMap<IscedField, Vec<&'static str>> = HashMap::new();
    let mut last_seen_by_offer = vec![u32::MAX; pool.requests.len()];
    let mut edges = Vec::new();
    let mut keys = Vec::new();
    for (offer_index, offer) in pool.offers.iter().enumerate() {
        let offer_index = offer_index as u32;
        let first_edge = edges.len();
        keys.clear();
        let details = offer.details;
        for field in &details.fields {
            let compatible = compatible_fields.entry(*field).or_insert_with(|| {
                requested_fields
                    .iter()
                    .filter(|requested| requested.is_compatible_with(field))
                    .map(|requested| requested.code())
                    .collect()
            });
            for language in &details.languages {
                keys.extend(
                    compatible
                        .iter()
                        .map(|code| (details.mobility_type, language.code(), *code)),
                );
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let shortest_stay = offer.details.duration.min_days() as i32;
        for key in &keys {
            let Some(bucket) = buckets.get(key) else {
                continue;
            };
            // A request overlaps the offer by its shortest stay only if it starts by
            // the offer's last possible start and ends after the offer's first possible end.
            let latest_start = offer.last_day - shortest_stay + 1;
            let earliest_start = offer.first_day + shortest_stay - bucket.longest_window;
            let from = bucket
                .first_days
                .partition_point(|&day| day < earliest_start);
            let to = bucket
                .first_days
                .partition_point(|&day| day <= latest_start);
            for &request_index in &bucket.requests[from..to.max(from)] {
                let seen = &mut last_seen_by_offer[request_index as usize];
                if *seen == offer_index {
                    continue;
                }
                *seen = offer_index;
                let request = &pool.requests[request_index as usize];
                if let Some(overlap_days) = pool.lawful_overlap(offer, request) {
                    edges.push(Edge {
                        offer: offer_index,
                        request: request_index,
                        score: score(offer, request, overlap_days, weights),
                    });
                }
            }
        }
        edges[first_edge..].sort_unstable_by_key(|edge| edge.request);
    }
    edges
}

fn bucket_requests(requests: &[Side]) -> HashMap<BucketKey, Bucket> {
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
            bucket.requests.push(index as u32);
            bucket.longest_window = bucket
                .longest_window
                .max(request.last_day - request.first_day + 1);
        }
    }
    for bucket in buckets.values_mut() {
        bucket
            .requests
            .sort_by_key(|&index| (requests[index as usize].first_day, index));
        bucket.first_days = bucket
            .requests
            .iter()
            .map(|&index| requests[index as usize].first_day)
            .collect();
    }
    buckets
}
