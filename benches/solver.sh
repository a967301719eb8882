#!/usr/bin/env bash
# The solver alone against OR-Tools' SimpleMinCostFlow on the same network: for each
# size N (N offers × N requests from `synth`), 3 runs of `cargo bench --bench solver`,
# which also writes the network in DIMACS format, and 3 OR-Tools solves of that file.
# Checks that both reach the same optimum and prints the medians and their ratio.
# Needs `pip install ortools`. A release build is made for this only; CI does not run it.
#
#   benches/solver.sh [N...]       (default: 1000 5000 20000 50000)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mobmatch-target}"
readonly RUNS=3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo bench --locked --quiet --bench solver --no-run

for n in ${@:-1000 5000 20000 50000}; do
    : >"$work/ours.jsonl" && : >"$work/ortools.jsonl"
    for _ in $(seq "$RUNS"); do
        cargo bench --locked --quiet --bench solver -- --offers "$n" --requests "$n" \
            --dimacs "$work/network.min" >>"$work/ours.jsonl"
        python3 benches/ortools_min_cost_flow.py "$work/network.min" >>"$work/ortools.jsonl"
    done
    python3 - "$n" "$work/ours.jsonl" "$work/ortools.jsonl" <<'PYTHON'
import json, statistics, sys
n, ours, theirs = sys.argv[1], [json.loads(l) for l in open(sys.argv[2])], [json.loads(l) for l in open(sys.argv[3])]
assert len({r["min_cost"] for r in ours + theirs}) == 1, "the optimum differs"
median = lambda runs, key: statistics.median(r[key] for r in runs)
ours_by_component = median(ours, "select_by_component_seconds")
ours_whole = median(ours, "whole_network_seconds")
ortools = median(theirs, "seconds")
print(f"n={n} candidates={ours[0]['candidates']} arcs={ours[0]['arcs']} min_cost={ours[0]['min_cost']} "
      f"candidates_s={median(ours, 'candidates_seconds'):.3f} ours_by_component_s={ours_by_component:.3f} "
      f"ours_whole_network_s={ours_whole:.3f} ortools_s={ortools:.3f} "
      f"ortools/ours_whole={ortools / ours_whole:.2f} ortools/ours_by_component={ortools / ours_by_component:.2f}")
PYTHON
done
