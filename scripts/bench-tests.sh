#!/usr/bin/env bash
# Benchmark: the wall time of the inner test loop, `go test -count=1 ./...`
# (every unit, snapshot, parity and policy test; no Terraform, no
# services), warm: one run first fills Go's build cache and is not counted.
# -count=1 defeats the test result cache, so each run is what a developer
# waits for after changing a construct. Prints min, median and max.
#
# usage: scripts/bench-tests.sh [RUNS]          (default 5)
#        MAX_SECONDS=15 scripts/bench-tests.sh    fail if the median exceeds it
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"
case "${1:-}" in
-h | --help) usage; exit 0 ;;
esac
(($# <= 1)) || usage_error "one argument at most: RUNS"
runs="${1:-5}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage_error "RUNS must be a positive integer, not '$runs'"
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
export GONOSUMDB="${GONOSUMDB:-github.com/cdktf}"

times="$(mktemp)"
trap 'rm -f "$times"' EXIT
once() {
	local start end
	start="$(date +%s.%N)"
	go test -count=1 ./... >/dev/null || { echo "bench-tests: go test failed: fix the tests first" >&2; exit 1; }
	end="$(date +%s.%N)"
	awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f\n", e - s}'
}
once >/dev/null # warm-up: Go's build cache
for _ in $(seq "$runs"); do once >>"$times"; done
sorted="$(sort -n "$times")"
min="$(head -1 <<<"$sorted")"; max="$(tail -1 <<<"$sorted")"
median="$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' <<<"$sorted")"
printf 'go test -count=1 ./... (warm), %s runs: min %ss  median %ss  max %ss  (%s CPUs)\n' "$runs" "$min" "$median" "$max" "$(nproc)"
if [[ -n "${MAX_SECONDS:-}" ]] && awk -v m="$median" -v x="$MAX_SECONDS" 'BEGIN {exit !(m > x)}'; then
	echo "FAIL: median ${median}s exceeds MAX_SECONDS=$MAX_SECONDS" >&2
	exit 1
fi
