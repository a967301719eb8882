#!/usr/bin/env bash
# The solver alone against OR-Tools' SimpleMinCostFlow on the same network: for each
# size N (N offers × N requests from `synth`), 3 runs of `cargo bench --bench solver`,
# which also writes the network in DIMACS format, and 3 OR-Tools solves of that file.
# Checks that both reach the same optimum and prints the medians and their ratio.
# Needs OR-Tools for Python: `pip install ortools`, or a virtual environment named by
# PYTHON (PYTHON=/path/to/venv/bin/python). NETWORK_SIMPLEX=1 also times the crate's
# network simplex on the whole network (slow from 20,000 on).
# A release build is made for this only; CI does not run it.
#
#   benches/solver.sh [N...]       (default: 1000 5000 20000 50000)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mobmatch-target}"
readonly RUNS=3 PYTHON="${PYTHON:-python3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo bench --locked --quiet --bench solver --no-run

for n in ${@:-1000 5000 20000 50000}; do
    : >"$work/ours.jsonl" && : >"$work/ortools.jsonl"
    for _ in $(seq "$RUNS"); do
        cargo bench --locked --quiet --bench solver -- --offers "$n" --requests "$n" \
            --dimacs "$work/network.min" ${NETWORK_SIMPLEX:+--network-simplex} >>"$work/ours.jsonl"
        "$PYTHON" benches/ortools_min_cost_flow.py "$work/network.min" >>"$work/ortools.jsonl"
    done
    "$PYTHON" - "$n" "$work/ours.jsonl" "$work/ortools.jsonl" <<'PYTHON'
import json, statistics, sys
n, ours, theirs = sys.argv[1], [json.loads(l) for l in open(sys.argv[2])], [json.loads(l) for l in open(sys.argv[3])]
assert len({r["min_cost"] for r in ours + theirs}) == 1, "the optimum differs"
median = lambda runs, key: statistics.median(r[key] for r in runs)
select = median(ours, "select_seconds")
ortools = median(theirs, "seconds")
simplex = (f" network_simplex_s={median(ours, 'network_simplex_seconds'):.3f}"
           if ours[0]["network_simplex_seconds"] is not None else "")
print(f"n={n} candidates={ours[0]['candidates']} arcs={ours[0]['arcs']} min_cost={ours[0]['min_cost']} "
      f"candidates_s={median(ours, 'candidates_seconds'):.3f} select_s={select:.4f}{simplex} "
      f"ortools_s={ortools:.4f} ortools/select={ortools / select:.1f}")
PYTHON
done
