"""Solves a DIMACS min-cost flow file with OR-Tools' SimpleMinCostFlow and prints one
JSON object with the optimal cost and the time the solve took (reading excluded).

python3 benches/ortools_min_cost_flow.py FILE.min     (needs: pip install ortools)
"""

import json
import sys
import time

import numpy as np
from ortools.graph.python import min_cost_flow


def read_dimacs(path):
    supplies = {}
    tails, heads, capacities, costs = [], [], [], []
    with open(path) as lines:
        for line in lines:
            kind = line[:1]
            if kind == "a":
                _, tail, head, _lower, capacity, cost = line.split()
                tails.append(int(tail) - 1)
                heads.append(int(head) - 1)
                capacities.append(int(capacity))
                costs.append(int(cost))
            elif kind == "n":
                _, node, supply = line.split()
                supplies[int(node) - 1] = int(supply)
    return supplies, tails, heads, capacities, costs


def main():
    supplies, tails, heads, capacities, costs = read_dimacs(sys.argv[1])
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.array(capacities, dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    for node, supply in supplies.items():
        solver.set_node_supply(node, supply)
    started = time.perf_counter()
    status = solver.solve()
    seconds = time.perf_counter() - started
    if status != solver.OPTIMAL:
        sys.exit(f"OR-Tools did not find an optimum: status {status}")
    print(json.dumps({"min_cost": solver.optimal_cost(), "seconds": seconds}))


if __name__ == "__main__":
    main()
