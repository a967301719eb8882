//! Minimum-cost flow by the primal network simplex method, with integer capacities and
//! costs. The spanning tree is kept as LEMON's `NetworkSimplex` keeps it (parent, a
//! preorder "thread" through each subtree, subtree sizes and last successors), so a pivot
//! touches only the part of the tree it changes; entering arcs are chosen by block search
//! (the most negative reduced cost among the next √m arcs), which is what makes the
//! method fast on sparse bipartite graphs. The result is exact and deterministic: the same
//! network, arcs in the same order, gives the same flow.

use std::fmt::{self, Write};

/// A network to solve: nodes `0..node_count`, each with a supply (positive) or demand
/// (negative), and arcs with a capacity and a cost per unit of flow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowNetwork {
    supply: Vec<i64>,
    arc_source: Vec<u32>,
    arc_target: Vec<u32>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
}

/// The cheapest flow that meets every supply and demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinCostFlow {
    /// The flow on each arc, in the order the arcs were added.
    pub flow: Vec<i64>,
    pub total_cost: i64,
}

/// No flow meets the supplies and demands within the capacities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no flow meets the supplies and demands within the arc capacities")]
pub struct Infeasible;

impl FlowNetwork {
    pub fn new(node_count: usize) -> FlowNetwork {
        node_index(node_count);
        FlowNetwork {
            supply: vec![0; node_count],
            ..FlowNetwork::default()
        }
    }

    pub fn node_count(&self) -> usize {
        self.supply.len()
    }

    pub fn arc_count(&self) -> usize {
        self.cost.len()
    }

    pub fn set_supply(&mut self, node: usize, supply: i64) {
        self.supply[node] = supply;
    }

    /// Adds an arc and returns its index in [`MinCostFlow::flow`].
    pub fn add_arc(&mut self, source: usize, target: usize, capacity: i64, cost: i64) -> usize {
        assert!(
            source < self.node_count() && target < self.node_count(),
            "arc ends are nodes of the network"
        );
        assert!(capacity >= 0, "capacities are never negative");
        self.arc_source.push(node_index(source));
        self.arc_target.push(node_index(target));
        self.capacity.push(capacity);
        self.cost.push(cost);
        self.cost.len() - 1
    }

    /// Solves the network, taking it over so that its arrays need not be copied.
    pub fn solve(self) -> Result<MinCostFlow, Infeasible> {
        if self.supply.iter().sum::<i64>() != 0 {
            return Err(Infeasible);
        }
        let real_arcs = self.arc_count();
        let mut simplex = Simplex::new(self);
        simplex.run();
        if simplex.flow[real_arcs..].iter().any(|&flow| flow != 0) {
            return Err(Infeasible);
        }
        let mut flow = simplex.flow;
        flow.truncate(real_arcs);
        let total_cost = flow.iter().zip(&simplex.cost).map(|(f, c)| f * c).sum();
        Ok(MinCostFlow { flow, total_cost })
    }

    /// The network in the DIMACS minimum-cost flow format (nodes numbered from 1), which
    /// other solvers read: used to check the optimum against an established solver.
    pub fn write_dimacs(&self, out: &mut impl Write) -> fmt::Result {
        writeln!(out, "c mobmatch matching round")?;
        writeln!(out, "p min {} {}", self.node_count(), self.arc_count())?;
        for (node, &supply) in self.supply.iter().enumerate() {
            if supply != 0 {
                writeln!(out, "n {} {supply}", node + 1)?;
            }
        }
        for arc in 0..self.arc_count() {
            writeln!(
                out,
                "a {} {} 0 {} {}",
                self.arc_source[arc] + 1,
                self.arc_target[arc] + 1,
                self.capacity[arc],
                self.cost[arc]
            )?;
        }
        Ok(())
    }
}

/// Node numbers are kept in 32 bits: the arc arrays are what the solver reads most.
fn node_index(node: usize) -> u32 {
    u32::try_from(node).expect("a network has fewer than 2³² nodes")
}

const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;
const DIRECTION_UP: i64 = 1;
const DIRECTION_DOWN: i64 = -1;
const NO_NODE: usize = usize::MAX;
const UNLIMITED: i64 = i64::MAX;
const MINIMUM_BLOCK_SIZE: usize = 10;

/// The solver's state: the real arcs first, then one artificial arc per node to an
/// artificial root, which make the first spanning tree.
struct Simplex {
    real_arc_count: usize,
    arc_source: Vec<u32>,
    arc_target: Vec<u32>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,

    potential: Vec<i64>,
    parent: Vec<usize>,
    /// The tree arc between a node and its parent, and whether it points up to the parent.
    predecessor_arc: Vec<usize>,
    predecessor_direction: Vec<i64>,
    /// The next node in a preorder walk of the tree; a subtree is a contiguous stretch.
    thread: Vec<usize>,
    reverse_thread: Vec<usize>,
    subtree_size: Vec<usize>,
    last_successor: Vec<usize>,
    dirty_reverse_threads: Vec<usize>,

    block_size: usize,
    next_arc: usize,
    entering_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
}

impl Simplex {
    fn new(network: FlowNetwork) -> Simplex {
        let node_count = network.node_count();
        let real_arc_count = network.arc_count();
        let root = node_count;
        let all_arcs = real_arc_count + node_count;
        let largest_cost = network.cost.iter().map(|c| c.abs()).max().unwrap_or(0);
        // Dearer than any path through real arcs, so artificial arcs leave the tree
        // whenever a real path can carry their flow.
        let artificial_cost = (largest_cost + 1) * (node_count as i64 + 1);
        let supply = network.supply;

        let mut simplex = Simplex {
            real_arc_count,
            arc_source: network.arc_source,
            arc_target: network.arc_target,
            capacity: network.capacity,
            cost: network.cost,
            flow: vec![0; all_arcs],
            state: vec![STATE_LOWER; all_arcs],
            potential: vec![0; node_count + 1],
            parent: vec![root; node_count + 1],
            predecessor_arc: vec![0; node_count + 1],
            predecessor_direction: vec![DIRECTION_UP; node_count + 1],
            thread: vec![0; node_count + 1],
            reverse_thread: vec![0; node_count + 1],
            subtree_size: vec![1; node_count + 1],
            last_successor: vec![0; node_count + 1],
            dirty_reverse_threads: Vec::new(),
            block_size: ((real_arc_count as f64).sqrt() as usize).max(MINIMUM_BLOCK_SIZE),
            next_arc: 0,
            entering_arc: 0,
            join: 0,
            u_in: 0,
            v_in: 0,
            u_out: 0,
            delta: 0,
        };
        simplex.arc_source.reserve(node_count);
        simplex.arc_target.reserve(node_count);
        simplex.capacity.reserve(node_count);
        simplex.cost.reserve(node_count);

        simplex.parent[root] = NO_NODE;
        simplex.predecessor_arc[root] = NO_NODE;
        simplex.thread[root] = 0;
        simplex.reverse_thread[0] = root;
        simplex.subtree_size[root] = node_count + 1;
        simplex.last_successor[root] = root.wrapping_sub(1);
        for (node, &supply) in supply.iter().enumerate() {
            let arc = real_arc_count + node;
            simplex.predecessor_arc[node] = arc;
            simplex.thread[node] = node + 1;
            simplex.reverse_thread[node + 1] = node;
            simplex.last_successor[node] = node;
            simplex.state[arc] = STATE_TREE;
            simplex.capacity.push(UNLIMITED);
            simplex.flow[arc] = supply.abs();
            if supply >= 0 {
                simplex.predecessor_direction[node] = DIRECTION_UP;
                simplex.arc_source.push(node_index(node));
                simplex.arc_target.push(node_index(root));
                simplex.cost.push(0);
            } else {
                simplex.predecessor_direction[node] = DIRECTION_DOWN;
                simplex.potential[node] = artificial_cost;
                simplex.arc_source.push(node_index(root));
                simplex.arc_target.push(node_index(node));
                simplex.cost.push(artificial_cost);
            }
        }
        if node_count == 0 {
            simplex.thread[root] = root;
            simplex.reverse_thread[root] = root;
            simplex.last_successor[root] = root;
        }
        simplex
    }

    fn run(&mut self) {
        while self.find_entering_arc() {
            self.find_join_node();
            let tree_changes = self.find_leaving_arc();
            self.change_flow(tree_changes);
            if tree_changes {
                self.update_tree();
                self.update_potentials();
            }
        }
    }

    fn source(&self, arc: usize) -> usize {
        self.arc_source[arc] as usize
    }

    fn target(&self, arc: usize) -> usize {
        self.arc_target[arc] as usize
    }

    /// Block search: scans arcs from where the last search stopped, a block at a time, and
    /// takes the most negative reduced cost of the first block that has one. This loop is
    /// where the solver spends its time, so it walks the arc arrays as slices.
    fn find_entering_arc(&mut self) -> bool {
        let arc_count = self.real_arc_count;
        let mut best = 0;
        let mut best_arc = 0;
        let mut start = self.next_arc;
        let mut scanned = 0;
        while scanned < arc_count {
            let end = (start + self.block_size).min(arc_count);
            let arcs = self.state[start..end]
                .iter()
                .zip(&self.cost[start..end])
                .zip(&self.arc_source[start..end])
                .zip(&self.arc_target[start..end]);
            for (offset, (((&state, &cost), &source), &target)) in arcs.enumerate() {
                let reduced_cost = i64::from(state)
                    * (cost + self.potential[source as usize] - self.potential[target as usize]);
                if reduced_cost < best {
                    best = reduced_cost;
                    best_arc = start + offset;
                }
            }
            scanned += end - start;
            start = if end == arc_count { 0 } else { end };
            if best < 0 {
                self.entering_arc = best_arc;
                self.next_arc = start;
                return true;
            }
        }
        false
    }

    fn find_join_node(&mut self) {
        let mut u = self.source(self.entering_arc);
        let mut v = self.target(self.entering_arc);
        while u != v {
            if self.subtree_size[u] < self.subtree_size[v] {
                u = self.parent[u];
            } else {
                v = self.parent[v];
            }
        }
        self.join = u;
    }

    /// Finds the arc of the cycle that limits the flow change; returns false when the
    /// entering arc itself limits it, so that the tree stays as it is.
    fn find_leaving_arc(&mut self) -> bool {
        let arc = self.entering_arc;
        let (first, second) = if self.state[arc] == STATE_LOWER {
            (self.source(arc), self.target(arc))
        } else {
            (self.target(arc), self.source(arc))
        };
        self.delta = self.capacity[arc];
        let mut limiting_side = 0;
        // The cycle runs down the tree from the join to `first` and up from `second`.
        let mut u = first;
        while u != self.join {
            let room = self.room_above(u, DIRECTION_DOWN);
            if room < self.delta {
                self.delta = room;
                self.u_out = u;
                limiting_side = 1;
            }
            u = self.parent[u];
        }
        let mut u = second;
        while u != self.join {
            let room = self.room_above(u, DIRECTION_UP);
            if room <= self.delta {
                self.delta = room;
                self.u_out = u;
                limiting_side = 2;
            }
            u = self.parent[u];
        }
        if limiting_side == 1 {
            (self.u_in, self.v_in) = (first, second);
        } else {
            (self.u_in, self.v_in) = (second, first);
        }
        limiting_side != 0
    }

    /// How far the flow can change on the tree arc above `u` when the cycle crosses it
    /// in `direction`: up to the capacity along the arc, down to zero against it.
    fn room_above(&self, u: usize, direction: i64) -> i64 {
        let arc = self.predecessor_arc[u];
        if self.predecessor_direction[u] != direction {
            self.flow[arc]
        } else if self.capacity[arc] == UNLIMITED {
            UNLIMITED
        } else {
            self.capacity[arc] - self.flow[arc]
        }
    }

    fn change_flow(&mut self, tree_changes: bool) {
        let arc = self.entering_arc;
        if self.delta > 0 {
            let change = i64::from(self.state[arc]) * self.delta;
            self.flow[arc] += change;
            let mut u = self.source(arc);
            while u != self.join {
                self.flow[self.predecessor_arc[u]] -= self.predecessor_direction[u] * change;
                u = self.parent[u];
            }
            let mut u = self.target(arc);
            while u != self.join {
                self.flow[self.predecessor_arc[u]] += self.predecessor_direction[u] * change;
                u = self.parent[u];
            }
        }
        if tree_changes {
            self.state[arc] = STATE_TREE;
            let leaving = self.predecessor_arc[self.u_out];
            self.state[leaving] = if self.flow[leaving] == 0 {
                STATE_LOWER
            } else {
                STATE_UPPER
            };
        } else {
            self.state[arc] = -self.state[arc];
        }
    }

    /// Hangs the subtree cut off by the leaving arc below `v_in`, re-rooted at `u_in`,
    /// and repairs threads, subtree sizes and last successors along the way.
    fn update_tree(&mut self) {
        let (u_in, v_in, u_out, join) = (self.u_in, self.v_in, self.u_out, self.join);
        let old_reverse_thread = self.reverse_thread[u_out];
        let old_subtree_size = self.subtree_size[u_out];
        let old_last_successor = self.last_successor[u_out];
        let v_out = self.parent[u_out];

        if u_in == u_out {
            self.parent[u_in] = v_in;
            self.predecessor_arc[u_in] = self.entering_arc;
            self.predecessor_direction[u_in] = self.direction_of_entering_arc_at(u_in);
            if self.thread[v_in] != u_out {
                let after = self.thread[old_last_successor];
                self.thread[old_reverse_thread] = after;
                self.reverse_thread[after] = old_reverse_thread;
                let after = self.thread[v_in];
                self.thread[v_in] = u_out;
                self.reverse_thread[u_out] = v_in;
                self.thread[old_last_successor] = after;
                self.reverse_thread[after] = old_last_successor;
            }
        } else {
            // When u_out's subtree directly follows v_in in the thread, join is v_out.
            let thread_continue = if old_reverse_thread == v_in {
                self.thread[old_last_successor]
            } else {
                self.thread[v_in]
            };
            // Walk the stem from u_in up to u_out, turning each stem node's parent into
            // its child and moving its subtree in the thread.
            let mut stem = u_in;
            let mut parent_of_stem = v_in;
            let mut last = self.last_successor[u_in];
            let mut after = self.thread[last];
            self.thread[v_in] = u_in;
            self.dirty_reverse_threads.clear();
            self.dirty_reverse_threads.push(v_in);
            while stem != u_out {
                let next_stem = self.parent[stem];
                self.thread[last] = next_stem;
                self.dirty_reverse_threads.push(last);
                let before = self.reverse_thread[stem];
                self.thread[before] = after;
                self.reverse_thread[after] = before;
                self.parent[stem] = parent_of_stem;
                parent_of_stem = stem;
                stem = next_stem;
                last = if self.last_successor[stem] == self.last_successor[parent_of_stem] {
                    self.reverse_thread[parent_of_stem]
                } else {
                    self.last_successor[stem]
                };
                after = self.thread[last];
            }
            self.parent[u_out] = parent_of_stem;
            self.thread[last] = thread_continue;
            self.reverse_thread[thread_continue] = last;
            self.last_successor[u_out] = last;
            if old_reverse_thread != v_in {
                self.thread[old_reverse_thread] = after;
                self.reverse_thread[after] = old_reverse_thread;
            }
            for index in 0..self.dirty_reverse_threads.len() {
                let u = self.dirty_reverse_threads[index];
                self.reverse_thread[self.thread[u]] = u;
            }
            let mut subtree_size = 0;
            let stem_last_successor = self.last_successor[u_out];
            let mut u = u_out;
            while u != u_in {
                let p = self.parent[u];
                self.predecessor_arc[u] = self.predecessor_arc[p];
                self.predecessor_direction[u] = -self.predecessor_direction[p];
                subtree_size += self.subtree_size[u] - self.subtree_size[p];
                self.subtree_size[u] = subtree_size;
                self.last_successor[p] = stem_last_successor;
                u = p;
            }
            self.predecessor_arc[u_in] = self.entering_arc;
            self.predecessor_direction[u_in] = self.direction_of_entering_arc_at(u_in);
            self.subtree_size[u_in] = old_subtree_size;
        }

        let up_limit_out = if self.last_successor[join] == v_in {
            join
        } else {
            NO_NODE
        };
        let last_successor_out = self.last_successor[u_out];
        let mut u = v_in;
        while u != NO_NODE && self.last_successor[u] == v_in {
            self.last_successor[u] = last_successor_out;
            u = self.parent[u];
        }
        let replacement = if join != old_reverse_thread && v_in != old_reverse_thread {
            Some(old_reverse_thread)
        } else if last_successor_out != old_last_successor {
            Some(last_successor_out)
        } else {
            None
        };
        if let Some(replacement) = replacement {
            let mut u = v_out;
            while u != up_limit_out && self.last_successor[u] == old_last_successor {
                self.last_successor[u] = replacement;
                u = self.parent[u];
            }
        }
        let mut u = v_in;
        while u != join {
            self.subtree_size[u] += old_subtree_size;
            u = self.parent[u];
        }
        let mut u = v_out;
        while u != join {
            self.subtree_size[u] -= old_subtree_size;
            u = self.parent[u];
        }
    }

    fn direction_of_entering_arc_at(&self, node: usize) -> i64 {
        if node == self.source(self.entering_arc) {
            DIRECTION_UP
        } else {
            DIRECTION_DOWN
        }
    }

    /// Shifts the potentials of the moved subtree so tree arcs keep zero reduced cost.
    fn update_potentials(&mut self) {
        let u_in = self.u_in;
        let shift = self.potential[self.v_in]
            - self.potential[u_in]
            - self.predecessor_direction[u_in] * self.cost[self.entering_arc];
        let end = self.thread[self.last_successor[u_in]];
        let mut u = u_in;
        while u != end {
            self.potential[u] += shift;
            u = self.thread[u];
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn sends_flow_along_the_cheapest_path() {
        // 0 → 1 → 3 costs 2 per unit, 0 → 2 → 3 costs 5; the cheap path holds 3 units.
        let mut network = FlowNetwork::new(4);
        network.set_supply(0, 5);
        network.set_supply(3, -5);
        let cheap_first = network.add_arc(0, 1, 3, 1);
        network.add_arc(1, 3, 10, 1);
        let dear_first = network.add_arc(0, 2, 10, 2);
        network.add_arc(2, 3, 10, 3);
        let solution = network.solve().unwrap();
        assert_eq!(solution.flow[cheap_first], 3);
        assert_eq!(solution.flow[dear_first], 2);
        assert_eq!(solution.total_cost, 3 * 2 + 2 * 5);
    }

    #[test]
    fn reports_supplies_that_cannot_be_met() {
        let mut network = FlowNetwork::new(2);
        network.set_supply(0, 2);
        network.set_supply(1, -2);
        network.add_arc(0, 1, 1, 0);
        assert_eq!(network.solve(), Err(Infeasible));
    }

    #[test]
    fn writes_the_dimacs_format_with_nodes_counted_from_one() {
        let mut network = FlowNetwork::new(2);
        network.set_supply(0, 1);
        network.set_supply(1, -1);
        network.add_arc(0, 1, 1, -7);
        let mut text = String::new();
        network.write_dimacs(&mut text).unwrap();
        assert_eq!(
            text,
            "c mobmatch matching round\np min 2 1\nn 1 1\nn 2 -1\na 1 2 0 1 -7\n"
        );
    }

    /// An independent, simple solver: successive shortest paths found by Bellman–Ford
    /// from a super source, on networks whose arcs go from lower to higher nodes (so no
    /// negative cycle exists to begin with).
    fn bellman_ford_min_cost_flow(network: &FlowNetwork) -> Option<i64> {
        let nodes = network.node_count() + 2;
        let (source, sink) = (nodes - 2, nodes - 1);
        // Residual arcs in pairs: 2k forward, 2k+1 backward.
        let mut ends = Vec::new();
        let mut residual = Vec::new();
        let mut cost = Vec::new();
        let mut add = |from: usize, to: usize, capacity: i64, unit_cost: i64| {
            ends.push((from, to));
            residual.push(capacity);
            cost.push(unit_cost);
            ends.push((to, from));
            residual.push(0);
            cost.push(-unit_cost);
        };
        let mut needed = 0;
        for (node, &supply) in network.supply.iter().enumerate() {
            if supply > 0 {
                add(source, node, supply, 0);
                needed += supply;
            } else if supply < 0 {
                add(node, sink, -supply, 0);
            }
        }
        for arc in 0..network.arc_count() {
            add(
                network.arc_source[arc] as usize,
                network.arc_target[arc] as usize,
                network.capacity[arc],
                network.cost[arc],
            );
        }
        let mut total_cost = 0;
        let mut sent = 0;
        loop {
            let mut distance = vec![i64::MAX; nodes];
            let mut via = vec![usize::MAX; nodes];
            distance[source] = 0;
            for _ in 0..nodes {
                let mut changed = false;
                for (arc, &(from, to)) in ends.iter().enumerate() {
                    if residual[arc] > 0
                        && distance[from] != i64::MAX
                        && distance[from] + cost[arc] < distance[to]
                    {
                        distance[to] = distance[from] + cost[arc];
                        via[to] = arc;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            if distance[sink] == i64::MAX {
                break;
            }
            let mut amount = i64::MAX;
            let mut node = sink;
            while node != source {
                amount = amount.min(residual[via[node]]);
                node = ends[via[node]].0;
            }
            let mut node = sink;
            while node != source {
                residual[via[node]] -= amount;
                residual[via[node] ^ 1] += amount;
                node = ends[via[node]].0;
            }
            total_cost += amount * distance[sink];
            sent += amount;
        }
        (sent == needed).then_some(total_cost)
    }

    fn forward_network() -> impl Strategy<Value = FlowNetwork> {
        (2usize..8)
            .prop_flat_map(|nodes| {
                let arc = (0..nodes, 0..nodes, 0i64..6, -9i64..10);
                let supplies = proptest::collection::vec(-4i64..5, nodes);
                (Just(nodes), proptest::collection::vec(arc, 0..20), supplies)
            })
            .prop_map(|(nodes, arcs, mut supplies)| {
                let total: i64 = supplies.iter().sum();
                supplies[nodes - 1] -= total;
                let mut network = FlowNetwork::new(nodes);
                for (node, supply) in supplies.into_iter().enumerate() {
                    network.set_supply(node, supply);
                }
                for (a, b, capacity, cost) in arcs {
                    if a != b {
                        network.add_arc(a.min(b), a.max(b), capacity, cost);
                    }
                }
                network
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn finds_the_same_optimum_as_successive_shortest_paths(network in forward_network()) {
            let expected = bellman_ford_min_cost_flow(&network);
            match network.clone().solve() {
                Ok(solution) => {
                    prop_assert_eq!(Some(solution.total_cost), expected);
                    let mut balance = network.supply.clone();
                    for arc in 0..network.arc_count() {
                        let flow = solution.flow[arc];
                        prop_assert!((0..=network.capacity[arc]).contains(&flow));
                        balance[network.arc_source[arc] as usize] -= flow;
                        balance[network.arc_target[arc] as usize] += flow;
                    }
                    prop_assert!(balance.iter().all(|&b| b == 0));
                }
                Err(Infeasible) => prop_assert_eq!(expected, None),
            }
        }
    }
}
