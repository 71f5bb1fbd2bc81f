#!/usr/bin/env bash
# Mutation testing of the Go packages that hold rules: gremlins (v0.5.0,
# built by scripts/tools.sh) changes one operator at a time in a package
# (< into <=, == into !=, + into -, a negation dropped, ...) and runs the
# package's tests against each change. A change no test notices ("LIVED")
# is a rule the tests do not pin down. Prints, per package, the mutants
# killed, lived, timed out and not covered, the test efficacy (killed out of
# killed + lived) and the mutant coverage, then every survivor; fails when a
# package's efficacy is below its floor in scripts/mutation-floor.txt.
# Survivors that no test can kill (the change does not alter behaviour) are
# listed, with the reason, in scripts/mutation-equivalent.txt.
#
# usage: scripts/mutation.sh [PACKAGE...]   (default: every package of
#                                           scripts/mutation-floor.txt,
#                                           e.g. environments internal/controls)
#   MUTATION_WORKERS      mutants tested at once (default: the CPU count)
#   MUTATION_TIMEOUT      gremlins' timeout coefficient: a mutant's tests may
#                         take this many times the package's coverage run
#                         before it counts as timed out, neither killed nor
#                         lived (default: 10; at 5 a loaded machine timed out
#                         mutants that a quiet one kills)
#   MUTATION_OUT          where each package's log and JSON report go
#                         (default: logs/mutation)
#
# gremlins copies the whole module once per worker; the run works in a copy
# of the repository's tracked and unignored files (not node_modules or
# cdktf.out), so the working tree is never changed. The six default
# packages take 22 minutes of CPU: about 11 minutes on 2 idle cores (32 on a
# machine loaded by other jobs); environments and internal/controls about
# 5 (9 loaded).
# Exit codes: 0 every package at or above its floor; 1 a package below its
# floor, or gremlins or the build failed; 2 bad usage (unknown package).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

root="$(cd "$(dirname "$0")/.." && pwd)"
floor="$root/scripts/mutation-floor.txt"
equivalent="$root/scripts/mutation-equivalent.txt"
packages=()
for arg in "$@"; do
	case "$arg" in
	-h | --help) usage; exit 0 ;;
	-*) usage_error "unknown option $arg" ;;
	*) arg="${arg#./}" && packages+=("${arg%/}") ;;
	esac
done
mapfile -t known < <(/usr/bin/python3 "$root/scripts/mutation_report.py" packages "$floor")
((${#known[@]})) || exit 1
for pkg in "${packages[@]}"; do
	[[ " ${known[*]} " == *" $pkg "* ]] || usage_error "unknown package $pkg (scripts/mutation-floor.txt lists: ${known[*]})"
done
((${#packages[@]})) || packages=("${known[@]}")
cd "$root"

export GONOSUMDB=github.com/cdktf
workers="${MUTATION_WORKERS:-0}"
coefficient="${MUTATION_TIMEOUT:-10}"
[[ "$workers" =~ ^[0-9]+$ ]] || usage_error "MUTATION_WORKERS=$workers is not a number"
[[ "$coefficient" =~ ^[1-9][0-9]*$ ]] || usage_error "MUTATION_TIMEOUT=$coefficient is not a positive whole number"
out="${MUTATION_OUT:-$root/logs/mutation}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

log() { printf '[mutation %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

scripts/tools.sh gremlins
tools_dir="${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/influencegen-tools}"
gremlins="$tools_dir/bin/gremlins"

copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null -c -T - | tar -x -C "$copy"

started=$(date +%s)
reports=()
for pkg in "${packages[@]}"; do
	name="${pkg//\//-}"
	rm -f "$out/$name.json"
	log "$pkg: unleashing (log: $out/$name.log)"
	pkg_started=$(date +%s)
	# The floor is checked below, from the report, not with gremlins'
	# --threshold-efficacy: that fails when efficacy equals the threshold
	# (internal/report/report.go, assess: tEfficacy <= et).
	if ! (cd "$copy" && "$gremlins" unleash --workers "$workers" --timeout-coefficient "$coefficient" \
		--output "$out/$name.json" "./$pkg") >"$out/$name.log" 2>&1; then
		tail -20 "$out/$name.log" >&2
		log "$pkg: gremlins failed"
		exit 1
	fi
	grep -E '^(Killed|Timed out|Test efficacy|Mutator coverage)' "$out/$name.log" | sed "s|^|[mutation] $pkg: |"
	log "$pkg: done in $(($(date +%s) - pkg_started)) s"
	reports+=("$pkg=$out/$name.json")
done
log "all packages in $(($(date +%s) - started)) s"
/usr/bin/python3 scripts/mutation_report.py check "$floor" "$equivalent" "${reports[@]}"
