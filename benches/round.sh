#!/usr/bin/env bash
# Full matching rounds on synthetic data in SQLite: for each size N, a database with N
# offers and N requests (`mobmatch synth`), then 3 recorded rounds, each on a fresh copy
# of it, timed by /usr/bin/time -v. Prints one line per run and the medians per size.
# A release build is made for this only; CI does not run it.
#
#   benches/round.sh [N...]        (default: 1000 5000 20000 50000)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mobmatch-target}"
readonly RUNS=3

cargo build --release --locked --quiet
readonly MOBMATCH="$CARGO_TARGET_DIR/release/mobmatch"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() {
    sort -g | awk '{ values[NR] = $1 } END { print values[int((NR + 1) / 2)] }'
}

for n in ${@:-1000 5000 20000 50000}; do
    "$MOBMATCH" --database-url "sqlite://$work/synth-$n.db" synth --offers "$n" --requests "$n" --seed 1 >/dev/null
    : >"$work/seconds" && : >"$work/rss"
    for run in $(seq "$RUNS"); do
        rm -f "$work/round.db"*
        cp "$work/synth-$n.db" "$work/round.db"
        /usr/bin/time -v -o "$work/time" env RUST_LOG=mobmatch=info NO_COLOR=1 \
            "$MOBMATCH" --database-url "sqlite://$work/round.db" round --json \
            >"$work/round.json" 2>"$work/log"
        seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ { split($2, t, ":"); print (length(t) == 3 ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2]) }' "$work/time")
        rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time")
        echo "$seconds" >>"$work/seconds"
        echo "$rss_kb" >>"$work/rss"
        summary=$(python3 -c 'import json, sys; print("candidates={candidates} introductions={introductions}".format(**json.load(open(sys.argv[1]))["round"]))' "$work/round.json")
        phases=$(grep -o 'loaded_ms=[0-9]* planned_ms=[0-9]* total_ms=[0-9]*' "$work/log" || true)
        echo "n=$n run=$run wall_s=$seconds max_rss_mb=$((rss_kb / 1024)) $summary $phases"
    done
    echo "n=$n median_wall_s=$(median <"$work/seconds") median_max_rss_mb=$(($(median <"$work/rss") / 1024))"
done
