#!/usr/bin/env bash
# Web benchmark (not run by CI): GET /submit and valid POST /submit (each a new
# unconfirmed submission and its opt-in email, one transaction) on SQLite, with wrk on
# loopback against a release build. Three runs of each; prints every run and the median
# requests per second and 99th-percentile latency. wrk is Debian's `wrk`.
#   benches/web.sh            (DURATION=15s CONNECTIONS=16 THREADS=2 by default)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly DURATION=${DURATION:-15s}
readonly CONNECTIONS=${CONNECTIONS:-16}
readonly THREADS=${THREADS:-2}
readonly PORT=${PORT:-18088}
readonly RUNS=3

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --locked --release --bin mobmatch
binary=${CARGO_TARGET_DIR:-target}/release/mobmatch
work=$(mktemp -d /var/tmp/mobmatch-web-bench.XXXXXX)
export MOBMATCH_SECRET=web-bench-secret
export MOBMATCH_DATABASE_URL=sqlite://$work/bench.db
export MOBMATCH_WEB__LISTEN=127.0.0.1:$PORT
export MOBMATCH_WEB__BASE_URL=http://127.0.0.1:$PORT
export MOBMATCH_WEB__PUBLIC_POSTS_PER_MINUTE=1000000000
export MOBMATCH_MAIL__OUTBOUND__DIR=$work/outbox

"$binary" migrate >/dev/null
"$binary" serve --web-only 2>"$work/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.1
done

curl -sf -c "$work/cookies" "http://127.0.0.1:$PORT/submit" >"$work/form.html"
CSRF_TOKEN=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$work/form.html" | head -n 1 | cut -d'"' -f4)
CSRF_COOKIE=$(awk '$6 == "mobmatch_csrf" { print $7 }' "$work/cookies")
export CSRF_TOKEN CSRF_COOKIE

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME WRK-ARGUMENTS...: RUNS runs; prints each and the medians.
run() {
    local name=$1
    shift
    local rates=() p99s=()
    for number in $(seq "$RUNS"); do
        local output
        output=$(RUN=$number wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
        local rate p99 errors
        rate=$(awk '/^Requests\/sec/ { print $2 }' <<<"$output")
        # In milliseconds, whatever unit wrk chose (us, ms or s).
        p99=$(awk '$1 == "99%" { value = $2; unit = value; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", value);
            printf "%.2f", value * (unit == "us" ? 0.001 : unit == "s" ? 1000 : 1) }' <<<"$output")
        errors=$(awk '/Non-2xx or 3xx/ { print $NF }' <<<"$output")
        echo "$name run $number: $rate requests/s, p99 $p99 ms, non-2xx/3xx ${errors:-0}, load $(cut -d' ' -f1 /proc/loadavg)"
        rates+=("$rate")
        p99s+=("$p99")
    done
    echo "$name median: $(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p) requests/s, p99 $(printf '%s\n' "${p99s[@]}" | sort -g | sed -n 2p) ms"
}

run "GET /submit" "http://127.0.0.1:$PORT/submit"
run "POST /submit" -s benches/web_post.lua "http://127.0.0.1:$PORT/submit"
echo "submissions stored: $("$binary" submissions --status unconfirmed --json | wc -l)"
