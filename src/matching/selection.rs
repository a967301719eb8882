//! The exact selection: the set of candidate pairs with the largest total weighted score
//! within the limits, as a minimum-cost flow. The source feeds each offer up to its
//! limit, each candidate pair carries one unit at the cost of minus its weighted score,
//! each request drains into the sink up to its limit, and a free source → sink bypass
//! carries whatever would not pay, so the solver maximises score rather than the number
//! of pairs. Each connected component of the candidate graph is solved on its own.

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
    let mut chosen = Vec::new();
    let mut objective = 0;
    let mut builder = NetworkBuilder::new(pool);
    for component in connected_components(pool, edges) {
        let (network, first_pair_arc) = builder.build(edges, &component, priority);
        let solution = network
            .solve()
            .expect("the bypass arc lets every supply reach the sink");
        objective -= solution.total_cost;
        let pair_flows = &solution.flow[first_pair_arc..first_pair_arc + component.len()];
        chosen.extend(
            component
                .iter()
                .zip(pair_flows)
                .filter(|(_, flow)| **flow > 0)
                .map(|(edge_index, _)| *edge_index),
        );
    }
    chosen.sort_unstable();
    Selection { chosen, objective }
}

/// All candidates in one network (the same optimum as the components solved apart),
/// for comparing the solver with others.
pub(super) fn whole_network(pool: &Pool, edges: &[Edge], priority: f64) -> FlowNetwork {
    let all: Vec<usize> = (0..edges.len()).collect();
    NetworkBuilder::new(pool).build(edges, &all, priority).0
}

/// The candidate indices of each connected component, in candidate order; components
/// in the order of their first candidate.
fn connected_components(pool: &Pool, edges: &[Edge]) -> Vec<Vec<usize>> {
    let offer_count = pool.offers.len();
    let mut parent: Vec<usize> = (0..offer_count + pool.requests.len()).collect();
    fn root(parent: &mut [usize], mut node: usize) -> usize {
        while parent[node] != node {
            parent[node] = parent[parent[node]];
            node = parent[node];
        }
        node
    }
    for edge in edges {
        let a = root(&mut parent, edge.offer as usize);
        let b = root(&mut parent, offer_count + edge.request as usize);
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut component_of_root = vec![usize::MAX; parent.len()];
    let mut components: Vec<Vec<usize>> = Vec::new();
    for (index, edge) in edges.iter().enumerate() {
        let component_root = root(&mut parent, edge.offer as usize);
        if component_of_root[component_root] == usize::MAX {
            component_of_root[component_root] = components.len();
            components.push(Vec::new());
        }
        components[component_of_root[component_root]].push(index);
    }
    components
}

/// Builds one network per component, reusing its node-numbering tables.
struct NetworkBuilder<'p, 'a> {
    pool: &'p Pool<'a>,
    offer_node: Vec<usize>,
    request_node: Vec<usize>,
}

impl<'p, 'a> NetworkBuilder<'p, 'a> {
    fn new(pool: &'p Pool<'a>) -> Self {
        NetworkBuilder {
            pool,
            offer_node: vec![usize::MAX; pool.offers.len()],
            request_node: vec![usize::MAX; pool.requests.len()],
        }
    }

    /// The network of the given candidates, and the index of the arc of the first
    /// candidate (the others follow in order).
    fn build(&mut self, edges: &[Edge], chosen: &[usize], priority: f64) -> (FlowNetwork, usize) {
        let mut offers = Vec::new();
        let mut requests = Vec::new();
        for &index in chosen {
            let edge = &edges[index];
            if self.offer_node[edge.offer as usize] == usize::MAX {
                self.offer_node[edge.offer as usize] = 0;
                offers.push(edge.offer as usize);
            }
            if self.request_node[edge.request as usize] == usize::MAX {
                self.request_node[edge.request as usize] = 0;
                requests.push(edge.request as usize);
            }
        }
        for (position, &offer) in offers.iter().enumerate() {
            self.offer_node[offer] = FIRST_SIDE_NODE + position;
        }
        for (position, &request) in requests.iter().enumerate() {
            self.request_node[request] = FIRST_SIDE_NODE + offers.len() + position;
        }
        let mut network = FlowNetwork::new(FIRST_SIDE_NODE + offers.len() + requests.len());
        let mut first_pair_arc = None;
        for &index in chosen {
            let edge = &edges[index];
            let arc = network.add_arc(
                self.offer_node[edge.offer as usize],
                self.request_node[edge.request as usize],
                1,
                -weighted_score(self.pool, edge, priority),
            );
            first_pair_arc.get_or_insert(arc);
        }
        let mut offered = 0;
        for &offer in &offers {
            let capacity = i64::from(self.pool.offers[offer].capacity);
            network.add_arc(SOURCE, self.offer_node[offer], capacity, 0);
            offered += capacity;
            self.offer_node[offer] = usize::MAX;
        }
        let mut asked = 0;
        for &request in &requests {
            let capacity = i64::from(self.pool.requests[request].capacity);
            network.add_arc(self.request_node[request], SINK, capacity, 0);
            asked += capacity;
            self.request_node[request] = usize::MAX;
        }
        let flow = offered.min(asked);
        network.add_arc(SOURCE, SINK, flow, 0);
        network.set_supply(SOURCE, flow);
        network.set_supply(SINK, -flow);
        (network, first_pair_arc.unwrap_or(0))
    }
}
