#!/bin/sh
# Compare test-select's walker with a minimal Go loop making the same HTTP
# calls, on a local endpoint of 10,000 cursor pages (200,000 options).
# Extra arguments go to the benchmark, e.g. -runs 5 or -pages 1000.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/test-select-bench" ./bench/test-select
"$tmp/test-select-bench" "$@"
