//! The exact selection: the set of candidate pairs with the largest total weighted score
//! within the limits. It is a maximum-weight b-matching between requests (each up to its
//! room) and offers (each up to its room), solved by shortest augmenting paths in
//! [`augmenting_paths`](super::augmenting_paths), whose searches stay within the part of
//! the graph a request can reach, so connected components need no splitting.
//!
//! The same problem as a minimum-cost flow, for other solvers: the source feeds each
//! offer up to its limit, each candidate pair carries one unit at the cost of minus its
//! weighted score, each request drains into the sink up to its limit, and a free source
//! → sink bypass carries whatever would not pay, so that the score is maximised rather
//! than the number of pairs.

use super::augmenting_paths::{WeightedPair, max_weight_b_matching};
use super::candidates::Edge;
use super::network_simplex::FlowNetwork;
use super::rules::Pool;

const SOURCE: usize = 0;
const SINK: usize = 1;
const FIRST_SIDE_NODE: usize = 2;

/// The chosen candidates, as indices into the candidate list, in its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub chosen: Vec<usize>,
    /// The total weighted score the selection reaches, in hundredths of a point.
    pub objective: i64,
}

/// What a pair is worth in the objective: its score, raised for requests with
/// fewer-opportunity participants by `1 + priority × fewer / participants`.
pub(super) fn weighted_score(pool: &Pool, edge: &Edge, priority: f64) -> i64 {
    let request = pool.requests[edge.request as usize].details;
    let share = if request.participants == 0 {
        0.0
    } else {
        f64::from(request.fewer_opportunities) / f64::from(request.participants)
    };
    (f64::from(edge.score.hundredths()) * (1.0 + priority * share)).round() as i64
}

pub(super) fn select(pool: &Pool, edges: &[Edge], priority: f64) -> Selection {
    let pairs = edges.iter().map(|edge| WeightedPair {
        row: edge.request,
        column: edge.offer,
        weight: weighted_score(pool, edge, priority),
    });
    let request_room: Vec<u32> = pool.requests.iter().map(|side| side.capacity).collect();
    let offer_room: Vec<u32> = pool.offers.iter().map(|side| side.capacity).collect();
    let matching = max_weight_b_matching(&request_room, &offer_room, pairs);
    Selection {
        chosen: matching.chosen,
        objective: matching.total_weight,
    }
}

/// All candidates as one flow network whose minimum cost is minus the best objective,
/// for checking the selection against other solvers. Offers and requests without a
/// candidate are left out.
pub(super) fn whole_network(pool: &Pool, edges: &[Edge], priority: f64) -> FlowNetwork {
    const NONE: usize = usize::MAX;
    let mut offer_node = vec![NONE; pool.offers.len()];
    let mut request_node = vec![NONE; pool.requests.len()];
    let mut node_count = FIRST_SIDE_NODE;
    for edge in edges {
        for node in [
            &mut offer_node[edge.offer as usize],
            &mut request_node[edge.request as usize],
        ] {
            if *node == NONE {
                *node = node_count;
                node_count += 1;
            }
        }
    }
    let mut network = FlowNetwork::new(node_count);
    for edge in edges {
        network.add_arc(
            offer_node[edge.offer as usize],
            request_node[edge.request as usize],
            1,
            -weighted_score(pool, edge, priority),
        );
    }
    let mut offered = 0;
    for (side, &node) in pool.offers.iter().zip(&offer_node) {
        if node != NONE {
            network.add_arc(SOURCE, node, i64::from(side.capacity), 0);
            offered += i64::from(side.capacity);
        }
    }
    let mut asked = 0;
    for (side, &node) in pool.requests.iter().zip(&request_node) {
        if node != NONE {
            network.add_arc(node, SINK, i64::from(side.capacity), 0);
            asked += i64::from(side.capacity);
        }
    }
    let flow = offered.min(asked);
    network.add_arc(SOURCE, SINK, flow, 0);
    network.set_supply(SOURCE, flow);
    network.set_supply(SINK, -flow);
    network
}
