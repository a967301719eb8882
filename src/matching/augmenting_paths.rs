//! The largest total weight of pairs in a bipartite graph whose rows and columns each
//! take at most a given number of pairs (a maximum-weight b-matching), exactly, by
//! successive shortest augmenting paths: the Hungarian method as Jonker and Volgenant
//! run it on sparse graphs.
//!
//! Rows are served one unit at a time. Each unit gets the cheapest way in: a free
//! column, or a chain of reassignments ending at a free column or at a row that lets a
//! pair go (every row may leave a unit unmatched at no cost, which is what makes the
//! total weight, not the number of pairs, the goal). Dijkstra's algorithm finds that way
//! on costs made non-negative by row and column potentials, and it stops as soon as the
//! cheapest way out is known, so a unit that finds a free column among its own pairs
//! costs no more than a look at those pairs. After each unit the flow is of minimum cost
//! for its size, so after the last one it is optimal. Everything is in whole numbers and
//! ties go to the first found in a fixed order, so the same graph gives the same pairs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A pair that may be chosen, between `row` and `column`, worth `weight`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightedPair {
    pub row: u32,
    pub column: u32,
    pub weight: i64,
}

/// The chosen pairs, as indices into the pairs given, in increasing order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BMatching {
    pub chosen: Vec<usize>,
    pub total_weight: i64,
}

/// Chooses pairs with the largest total weight such that row `r` is in at most
/// `row_capacity[r]` chosen pairs and column `c` in at most `column_capacity[c]`.
/// Pairs of weight zero or less are never needed and never chosen. The pairs are read
/// twice (once to count them by row), so that they need not be collected first.
pub fn max_weight_b_matching(
    row_capacity: &[u32],
    column_capacity: &[u32],
    pairs: impl Iterator<Item = WeightedPair> + Clone,
) -> BMatching {
    let mut solver = Solver::new(row_capacity, column_capacity, pairs);
    for (row, &room) in row_capacity.iter().enumerate() {
        for _ in 0..room {
            solver.augment_from(row);
        }
    }
    let matched_arcs = || {
        solver
            .arcs
            .iter()
            .zip(&solver.matched)
            .filter(|(_, matched)| **matched)
            .map(|(arc, _)| arc)
    };
    let mut chosen: Vec<usize> = matched_arcs().map(|arc| arc.pair as usize).collect();
    chosen.sort_unstable();
    let total_weight = matched_arcs().map(|arc| -arc.cost).sum();
    BMatching {
        chosen,
        total_weight,
    }
}

/// Where a search ends: at a column with room, reached by an arc, or at a row that
/// leaves one unit unmatched.
#[derive(Clone, Copy)]
enum Exit {
    None,
    FreeColumn { arc: usize },
    Unmatched { row: usize },
}

const UNREACHED: u32 = u32::MAX;

/// A pair of positive weight as the solver keeps it: its cost is minus its weight.
#[derive(Clone, Copy)]
struct Arc {
    cost: i64,
    column: u32,
    pair: u32,
}

/// Arcs are grouped by row and, within a row, sorted from the cheapest. Nodes are the
/// rows, then the columns.
struct Solver {
    row_count: usize,
    row_first_arc: Vec<usize>,
    arcs: Vec<Arc>,
    arc_row: Vec<u32>,
    matched: Vec<bool>,

    column_capacity: Vec<u32>,
    /// The matched arcs of each column, in slots `column_first_slot[c]..` of which the
    /// first `column_load[c]` are in use.
    column_first_slot: Vec<usize>,
    column_load: Vec<u32>,
    column_slots: Vec<u32>,

    /// Row potentials, then column potentials: every arc keeps a reduced cost
    /// `cost − potential[row] − potential[column]` of at least zero when it is free and
    /// at most zero when it is matched, and a row's own "leave unmatched" arc (cost 0)
    /// keeps `−potential[row] ≥ 0`.
    potential: Vec<i64>,

    /// Per search: the distance of each reached node and how it was reached (for a
    /// column, the free arc from its row; for a row, the matched arc from its column).
    search: u32,
    reached_in: Vec<u32>,
    settled_in: Vec<u32>,
    distance: Vec<i64>,
    reached_by: Vec<usize>,
    settled: Vec<usize>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl Solver {
    fn new(
        row_capacity: &[u32],
        column_capacity: &[u32],
        pairs: impl Iterator<Item = WeightedPair> + Clone,
    ) -> Solver {
        let row_count = row_capacity.len();
        let node_count = row_count + column_capacity.len();
        let useful = |pair: &WeightedPair| pair.weight > 0;
        let mut row_first_arc = vec![0usize; row_count + 1];
        for pair in pairs.clone().filter(useful) {
            row_first_arc[pair.row as usize + 1] += 1;
        }
        for row in 0..row_count {
            row_first_arc[row + 1] += row_first_arc[row];
        }
        let arc_count = row_first_arc[row_count];
        let mut next_arc = row_first_arc.clone();
        let mut arcs = vec![
            Arc {
                cost: 0,
                column: 0,
                pair: 0
            };
            arc_count
        ];
        let mut arc_row = vec![0u32; arc_count];
        for (index, pair) in pairs.enumerate().filter(|(_, pair)| useful(pair)) {
            let arc = &mut next_arc[pair.row as usize];
            arcs[*arc] = Arc {
                cost: -pair.weight,
                column: pair.column,
                pair: u32::try_from(index).expect("fewer than 2³² pairs"),
            };
            arc_row[*arc] = pair.row;
            *arc += 1;
        }
        // Cheapest first, so that a row's scan can stop at the first arc that cannot
        // beat the best way out found so far.
        for row in 0..row_count {
            arcs[row_first_arc[row]..row_first_arc[row + 1]]
                .sort_unstable_by_key(|arc| (arc.cost, arc.column, arc.pair));
        }

        let mut column_first_slot = Vec::with_capacity(column_capacity.len() + 1);
        let mut slots = 0usize;
        for &capacity in column_capacity {
            column_first_slot.push(slots);
            slots += capacity as usize;
        }
        column_first_slot.push(slots);

        // Start with the columns at zero and each row at its cheapest arc (or zero), so
        // that every reduced cost is at least zero.
        let mut potential = vec![0i64; node_count];
        for row in 0..row_count {
            potential[row] = arcs[row_first_arc[row]..row_first_arc[row + 1]]
                .first()
                .map_or(0, |arc| arc.cost.min(0));
        }
        Solver {
            row_count,
            row_first_arc,
            arcs,
            arc_row,
            matched: vec![false; arc_count],
            column_capacity: column_capacity.to_vec(),
            column_first_slot,
            column_load: vec![0; column_capacity.len()],
            column_slots: vec![0; slots],
            potential,
            search: 0,
            reached_in: vec![UNREACHED; node_count],
            settled_in: vec![UNREACHED; node_count],
            distance: vec![0; node_count],
            reached_by: vec![usize::MAX; node_count],
            settled: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn column_node(&self, column: u32) -> usize {
        self.row_count + column as usize
    }

    fn reduced_cost(&self, arc: usize) -> i64 {
        let Arc { cost, column, .. } = self.arcs[arc];
        cost - self.potential[self.arc_row[arc] as usize] - self.potential[self.column_node(column)]
    }

    /// Finds the cheapest way in for one more unit of `start` and takes it.
    fn augment_from(&mut self, start: usize) {
        self.search += 1;
        self.settled.clear();
        self.heap.clear();
        let mut exit = Exit::None;
        let mut exit_distance = i64::MAX;
        self.reached_in[start] = self.search;
        self.distance[start] = 0;
        self.reached_by[start] = usize::MAX;
        self.heap.push(Reverse((0, start as u32)));
        while let Some(Reverse((distance, node))) = self.heap.pop() {
            let node = node as usize;
            if distance >= exit_distance {
                break;
            }
            if self.settled_in[node] == self.search || distance != self.distance[node] {
                continue;
            }
            self.settled_in[node] = self.search;
            self.settled.push(node);
            if node < self.row_count {
                // Leaving a unit of this row unmatched costs nothing.
                let unmatched = distance - self.potential[node];
                if unmatched < exit_distance {
                    exit_distance = unmatched;
                    exit = Exit::Unmatched { row: node };
                }
                let row_potential = self.potential[node];
                for arc in self.row_first_arc[node]..self.row_first_arc[node + 1] {
                    let Arc { cost, column, .. } = self.arcs[arc];
                    // Column potentials never rise above zero, so no later arc of the
                    // row (none is cheaper) can end below the best way out either.
                    if distance + cost - row_potential >= exit_distance {
                        break;
                    }
                    if self.matched[arc] {
                        continue;
                    }
                    let column_node = self.column_node(column);
                    let through = distance + cost - row_potential - self.potential[column_node];
                    if through >= exit_distance || self.settled_in[column_node] == self.search {
                        continue;
                    }
                    if self.column_load[column as usize] < self.column_capacity[column as usize] {
                        exit_distance = through;
                        exit = Exit::FreeColumn { arc };
                    } else {
                        self.reach(column_node, through, arc);
                    }
                }
            } else {
                let column = node - self.row_count;
                let first_slot = self.column_first_slot[column];
                let load = self.column_load[column] as usize;
                for slot in first_slot..first_slot + load {
                    let arc = self.column_slots[slot] as usize;
                    let row = self.arc_row[arc] as usize;
                    if self.settled_in[row] != self.search {
                        self.reach(row, distance - self.reduced_cost(arc), arc);
                    }
                }
            }
        }
        self.update_potentials(exit_distance);
        self.augment(exit);
    }

    fn reach(&mut self, node: usize, distance: i64, arc: usize) {
        if self.reached_in[node] != self.search || distance < self.distance[node] {
            self.reached_in[node] = self.search;
            self.distance[node] = distance;
            self.reached_by[node] = arc;
            self.heap.push(Reverse((distance, node as u32)));
        }
    }

    /// Raises the potentials of the nodes settled before the exit by how much closer than
    /// the exit they were, which keeps every reduced cost within its bounds and makes the
    /// arcs of the chosen way tight.
    fn update_potentials(&mut self, exit_distance: i64) {
        for &node in &self.settled {
            let gain = exit_distance - self.distance[node];
            if node < self.row_count {
                self.potential[node] += gain;
            } else {
                self.potential[node] -= gain;
            }
        }
    }

    /// Walks the way back from the exit to the start: each free arc on it becomes matched
    /// and each matched arc on it free.
    fn augment(&mut self, exit: Exit) {
        let mut entering = match exit {
            Exit::FreeColumn { arc } => {
                let column = self.arcs[arc].column as usize;
                let slot = self.column_first_slot[column] + self.column_load[column] as usize;
                self.column_slots[slot] = arc as u32;
                self.column_load[column] += 1;
                self.matched[arc] = true;
                self.arc_row[arc] as usize
            }
            Exit::Unmatched { row } => row,
            Exit::None => unreachable!("leaving the start unmatched is always a way out"),
        };
        // `entering` is a row that has just taken a new unit; it gives up the matched arc
        // it was reached by, whose column takes the free arc it was reached by.
        loop {
            let leaving = self.reached_by[entering];
            if leaving == usize::MAX {
                return;
            }
            let column = self.arcs[leaving].column as usize;
            let taking = self.reached_by[self.row_count + column];
            let first_slot = self.column_first_slot[column];
            let load = self.column_load[column] as usize;
            let slot = (first_slot..first_slot + load)
                .find(|&slot| self.column_slots[slot] as usize == leaving)
                .expect("a row reached from a column is matched to it");
            self.column_slots[slot] = taking as u32;
            self.matched[leaving] = false;
            self.matched[taking] = true;
            entering = self.arc_row[taking] as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::matching::FlowNetwork;

    fn pair(row: u32, column: u32, weight: i64) -> WeightedPair {
        WeightedPair {
            row,
            column,
            weight,
        }
    }

    #[test]
    fn gives_up_a_greedy_first_choice_when_two_others_are_worth_more() {
        // Row 0 would take column 0 (weight 10) first, but then row 1 gets nothing:
        // 0–1 and 1–0 together are worth 9 + 8.
        let pairs = [pair(0, 0, 10), pair(0, 1, 9), pair(1, 0, 8)];
        let matching = max_weight_b_matching(&[1, 1], &[1, 1], pairs.into_iter());
        assert_eq!(matching.chosen, vec![1, 2]);
        assert_eq!(matching.total_weight, 17);
    }

    #[test]
    fn leaves_a_row_unmatched_rather_than_lose_weight() {
        // Column 0 takes one row: the heavier pair wins, and a worthless pair is never
        // taken even where there is room.
        let pairs = [pair(0, 0, 5), pair(1, 0, 7), pair(0, 1, 0), pair(1, 1, -3)];
        let matching = max_weight_b_matching(&[1, 1], &[1, 1], pairs.into_iter());
        assert_eq!(matching.chosen, vec![1]);
        assert_eq!(matching.total_weight, 7);
    }

    #[test]
    fn fills_a_column_up_to_its_capacity_and_no_further() {
        let pairs = [pair(0, 0, 4), pair(1, 0, 6), pair(2, 0, 5)];
        let matching = max_weight_b_matching(&[1, 1, 1], &[2], pairs.into_iter());
        assert_eq!(matching.chosen, vec![1, 2]);
        assert_eq!(matching.total_weight, 11);
    }

    /// The same problem as a minimum-cost flow (source → row → column → sink, with a
    /// free source → sink bypass) for the network simplex solver, an independent method.
    fn optimum_by_network_simplex(
        row_capacity: &[u32],
        column_capacity: &[u32],
        pairs: &[WeightedPair],
    ) -> i64 {
        let (source, sink) = (0, 1);
        let row_node = |row: u32| 2 + row as usize;
        let column_node = |column: u32| 2 + row_capacity.len() + column as usize;
        let mut network = FlowNetwork::new(2 + row_capacity.len() + column_capacity.len());
        let supply: i64 = row_capacity.iter().map(|&room| i64::from(room)).sum();
        for (row, &room) in row_capacity.iter().enumerate() {
            network.add_arc(source, row_node(row as u32), i64::from(room), 0);
        }
        for (column, &room) in column_capacity.iter().enumerate() {
            network.add_arc(column_node(column as u32), sink, i64::from(room), 0);
        }
        for pair in pairs {
            network.add_arc(
                row_node(pair.row),
                column_node(pair.column),
                1,
                -pair.weight,
            );
        }
        network.add_arc(source, sink, supply, 0);
        network.set_supply(source, supply);
        network.set_supply(sink, -supply);
        -network
            .solve()
            .expect("the bypass carries any supply")
            .total_cost
    }

    fn problem() -> impl Strategy<Value = (Vec<u32>, Vec<u32>, Vec<WeightedPair>)> {
        (1usize..13, 1usize..13)
            .prop_flat_map(|(rows, columns)| {
                let capacities = |count| proptest::collection::vec(0u32..3, count);
                // Pairs listed once each, in any order, weights from losing to gaining,
                // with many ties.
                let pairs = proptest::sample::subsequence(
                    (0..rows as u32)
                        .flat_map(|row| (0..columns as u32).map(move |column| (row, column)))
                        .collect::<Vec<_>>(),
                    0..=rows * columns,
                )
                .prop_flat_map(|chosen| {
                    let count = chosen.len();
                    (
                        Just(chosen).prop_shuffle(),
                        proptest::collection::vec(-3i64..12, count),
                    )
                });
                (capacities(rows), capacities(columns), pairs)
            })
            .prop_map(|(row_capacity, column_capacity, (ends, weights))| {
                let pairs = ends
                    .into_iter()
                    .zip(weights)
                    .map(|((row, column), weight)| pair(row, column, weight))
                    .collect();
                (row_capacity, column_capacity, pairs)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn reaches_the_network_simplex_optimum_within_the_capacities(
            (row_capacity, column_capacity, pairs) in problem()
        ) {
            let matching = max_weight_b_matching(&row_capacity, &column_capacity, pairs.iter().copied());
            let mut row_load = vec![0u32; row_capacity.len()];
            let mut column_load = vec![0u32; column_capacity.len()];
            for &index in &matching.chosen {
                let chosen = pairs[index];
                prop_assert!(chosen.weight > 0, "pair {} is worth nothing", index);
                row_load[chosen.row as usize] += 1;
                column_load[chosen.column as usize] += 1;
            }
            prop_assert!(row_load.iter().zip(&row_capacity).all(|(load, room)| load <= room));
            prop_assert!(column_load.iter().zip(&column_capacity).all(|(load, room)| load <= room));
            prop_assert!(matching.chosen.windows(2).all(|two| two[0] < two[1]));
            let chosen_weight: i64 = matching.chosen.iter().map(|&index| pairs[index].weight).sum();
            prop_assert_eq!(chosen_weight, matching.total_weight);
            prop_assert_eq!(
                matching.total_weight,
                optimum_by_network_simplex(&row_capacity, &column_capacity, &pairs)
            );
            prop_assert_eq!(
                &matching,
                &max_weight_b_matching(&row_capacity, &column_capacity, pairs.iter().copied()),
                "the same problem gives the same pairs"
            );
        }
    }
}
