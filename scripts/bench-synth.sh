#!/usr/bin/env bash
# Benchmark: synthesizing every stack of the real app against a floor app
# (bench/floor: one resource, the same dependencies), in one run.
#
# usage: scripts/bench-synth.sh [RUNS]      (default 5)
#        MAX_RATIO=1.15 scripts/bench-synth.sh 9   fail if the ratio exceeds it
#
# Runs are paired: each round times the floor, then the app, back to back,
# and the ratio app/floor of that pair is taken; the reported ratio is the
# median of the pairs' ratios, so that load that drifts during the run (other
# work on the machine) hits both sides of each pair alike. Both programs
# are built first, so compile time is not measured: what is timed is what
# `cdktf synth` waits for after `go run` has compiled. Peak memory is the
# summed RSS of the Go process and the Node.js jsii runtime. The CPU ratio
# (user + system time of the whole process tree, paired the same way) is
# printed too: on a machine shared with other work it is the steadier figure.
# `go run ./bench/phases` says where the app's time goes.
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

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/app" .
go build -o "$work/floor" ./bench/floor
go build -o "$work/peakrss" ./bench/peakrss

# measure NAME BINARY: one timed run in a fresh output directory; appends
# "seconds mb" to $work/NAME.
measure() {
	local name="$1" bin="$2" out
	rm -rf "$work/out" && mkdir -p "$work/out"
	out="$(cd "$work/out" && INFLUENCEGEN_OUTDIR="$work/out/cdktf.out" "$work/peakrss" -- "$bin" 2>&1 >/dev/null | grep -o 'seconds=.*')"
	local s="${out#seconds=}"; s="${s%% *}"
	local mb="${out##*peak_rss_mb=}"; mb="${mb%% *}"
	local cpu="${out##*cpu_seconds=}"
	echo "$s $mb $cpu" >>"$work/$name.times"
}

# Warm the page cache once for each, then alternate so drift hits both.
measure warmup "$work/floor"
measure warmup "$work/app"
for _ in $(seq "$runs"); do
	measure floor "$work/floor"
	measure app "$work/app"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
app_s="$(cut -d' ' -f1 "$work/app.times" | median)"; app_mb="$(cut -d' ' -f2 "$work/app.times" | median)"
floor_s="$(cut -d' ' -f1 "$work/floor.times" | median)"; floor_mb="$(cut -d' ' -f2 "$work/floor.times" | median)"
ratios="$(paste -d' ' "$work/app.times" "$work/floor.times" | awk '{printf "%.3f\n", $1 / $4}')"
ratio="$(median <<<"$ratios" | awk '{printf "%.2f", $1}')"
app_cpu="$(cut -d' ' -f3 "$work/app.times" | median)"; floor_cpu="$(cut -d' ' -f3 "$work/floor.times" | median)"
cpu_ratio="$(paste -d' ' "$work/app.times" "$work/floor.times" | awk '{printf "%.3f\n", $3 / $6}' | median | awk '{printf "%.2f", $1}')"
stacks="$(find "$work/out/cdktf.out/stacks" -name cdk.tf.json | wc -l)"
resources="$(cat "$work"/out/cdktf.out/stacks/*/cdk.tf.json | grep -c '"uniqueId"' || true)"

printf '%-22s %10s %14s %12s\n' "" "seconds" "peak RSS (MB)" "CPU seconds"
printf '%-22s %10s %14s %12s\n' "synth all stacks" "$app_s" "$app_mb" "$app_cpu"
printf '%-22s %10s %14s %12s\n' "floor (1 resource)" "$floor_s" "$floor_mb" "$floor_cpu"
printf 'pair ratios app/floor: %s\n' "$(paste -sd' ' <<<"$ratios")"
printf 'ratio app/floor: %s   (paired median of %s runs; CPU time ratio %s; %s stacks, %s resources and data sources)\n' "$ratio" "$runs" "$cpu_ratio" "$stacks" "$resources"

if [[ -n "${MAX_RATIO:-}" ]] && awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN {exit !(r > m)}'; then
	echo "FAIL: ratio $ratio exceeds MAX_RATIO=$MAX_RATIO" >&2
	exit 1
fi
