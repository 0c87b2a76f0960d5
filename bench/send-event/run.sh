#!/usr/bin/env bash
# Benchmark: is generating and signing ever the bottleneck of
# `envoy-plugin send-event --count`? Runs a trivial local plugin, sends it
# N fresh signed events with send-event, then has wrk post one fixed signed
# body to the same endpoint with as many connections, and prints the ratio
# of the two throughputs (1.0 = as fast as wrk). A third run, send-event
# --body with that same fixed body, separates the cost of generating and
# signing from the HTTP client's. Then the per-event cost of
# generation + signing with allocations (go test -bench).
#
#   bench/send-event/run.sh [COUNT] [CONCURRENCY] [WRK_SECONDS]
#
# Not part of CI: numbers depend on the machine. Needs wrk (installed with
# apt-get when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

COUNT=${1:-20000}
CONC=${2:-16}
SECS=${3:-10}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing wrk"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: install it (Debian: apt-get install wrk)" >&2
    exit 1
  fi
fi

tmp=$(mktemp -d)
plugin_pid=""
cleanup() {
  if [ -n "$plugin_pid" ]; then kill "$plugin_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== building"
go build -o "$tmp/envoy-plugin" .
go build -o "$tmp/bench" ./bench/send-event

"$tmp/bench" serve >"$tmp/url" &
plugin_pid=$!
for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
url="$(head -n1 "$tmp/url")/entry-sign-in"
echo "trivial plugin on $url"

secret="bench-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export ENVOY_CLIENT_SECRET="$secret"

echo "== send-event --count $COUNT --concurrency $CONC"
(cd "$tmp" && ./envoy-plugin send-event entry_sign_in --to "$url" --seed 1 \
  --count "$COUNT" --concurrency "$CONC" --json >"$tmp/send.json")

"$tmp/bench" wrk-script -secret "$secret" -out "$tmp/post.lua" -body-out "$tmp/body.json"

echo "== send-event --count $COUNT --concurrency $CONC --body (one fixed body, no generation)"
(cd "$tmp" && ./envoy-plugin send-event entry_sign_in --to "$url" --body body.json \
  --count "$COUNT" --concurrency "$CONC" --json >"$tmp/fixed.json")

echo "== wrk -c $CONC -d ${SECS}s (one fixed signed body)"
threads=$(( CONC < $(nproc) ? CONC : $(nproc) ))
wrk -t "$threads" -c "$CONC" -d "${SECS}s" -s "$tmp/post.lua" "$url" | tee "$tmp/wrk.txt"

echo "== result"
"$tmp/bench" report -send "$tmp/send.json" -fixed "$tmp/fixed.json" -wrk "$tmp/wrk.txt"

echo "== generation + signing per event (go test -bench)"
go test -run '^$' -bench 'BenchmarkGenerateAndSign' -benchmem ./internal/sim/delivery/
