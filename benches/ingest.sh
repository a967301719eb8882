#!/usr/bin/env bash
# Ingestion of synthetic submission emails from a Maildir into SQLite: for each size N,
# `mobmatch synth --maildir` writes N messages (half offers, half requests), then 3 runs of
# `mobmatch ingest` of that folder, each into a fresh database, timed by /usr/bin/time -v.
# Prints one line per run (wall time, messages per second, CPU seconds user + system, peak
# memory, the load average when the run ended) and the medians per size. The machine may
# be shared: the CPU seconds are the steadier figure. A release build is made for this
# only; CI does not run it.
#
#   benches/ingest.sh [N...]        (default: 10000 100000)
#   MOBMATCH=path/to/mobmatch benches/ingest.sh [N...]   (times that binary, builds nothing)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mobmatch-target}"
readonly RUNS=3

if [[ -z "${MOBMATCH:-}" ]]; then
    cargo build --release --locked --quiet
    MOBMATCH="$CARGO_TARGET_DIR/release/mobmatch"
fi
readonly MOBMATCH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() {
    sort -g | awk '{ values[NR] = $1 } END { print values[int((NR + 1) / 2)] }'
}

for n in ${@:-10000 100000}; do
    "$MOBMATCH" synth --offers $((n / 2)) --requests $((n - n / 2)) --seed 1 --maildir "$work/maildir-$n" >/dev/null
    : >"$work/rates" && : >"$work/rss" && : >"$work/cpu"
    for run in $(seq "$RUNS"); do
        rm -f "$work/ingest.db"*
        /usr/bin/time -v -o "$work/time" \
            "$MOBMATCH" --database-url "sqlite://$work/ingest.db" ingest "$work/maildir-$n" >/dev/null
        seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ { split($2, t, ":"); print (length(t) == 3 ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2]) }' "$work/time")
        rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time")
        cpu_s=$(awk -F': ' '/User time|System time/ { total += $2 } END { printf "%.2f", total }' "$work/time")
        load=$(cut -d' ' -f1 /proc/loadavg)
        rate=$(awk -v n="$n" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
        echo "$rate" >>"$work/rates"
        echo "$rss_kb" >>"$work/rss"
        echo "$cpu_s" >>"$work/cpu"
        echo "n=$n run=$run wall_s=$seconds messages_per_s=$rate cpu_s=$cpu_s max_rss_mb=$((rss_kb / 1024)) load=$load"
    done
    echo "n=$n median_messages_per_s=$(median <"$work/rates") median_cpu_s=$(median <"$work/cpu") median_max_rss_mb=$(($(median <"$work/rss") / 1024))"
done
