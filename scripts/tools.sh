#!/usr/bin/env bash
# Builds the pinned scanners and linters from the Go module proxy into a
# cached tools directory, skipping any tool already built at its version.
#
# usage: scripts/tools.sh [TOOL...]        (default: all: tflint,
#                                          tflint-ruleset-aws, trivy, actionlint,
#                                          act: the workflow runner of make rehearse,
#                                          gremlins: the mutation tester of make mutation)
#   TOOLS_DIR   where binaries go (default: ~/.cache/influencegen-tools, kept
#               between runs on the same machine)
#
# The module proxy refuses version listings, so `go install pkg@version`
# fails; each tool is built from a throwaway module instead (go get, then
# go build). Tools build concurrently. trivy needs GOEXPERIMENT=jsonv2 with Go 1.26; its cold build
# takes about 14 minutes and 3.5 GB.
# Exit codes: 0 built; 1 a build failed; 2 bad usage (unknown tool).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

# name | module@version | package to build | output path | extra env
TOOLS=(
	"tflint|github.com/terraform-linters/tflint@v0.64.0|github.com/terraform-linters/tflint|bin/tflint|"
	"tflint-ruleset-aws|github.com/terraform-linters/tflint-ruleset-aws@v0.48.0|github.com/terraform-linters/tflint-ruleset-aws|tflint-plugins/tflint-ruleset-aws|"
	"trivy|github.com/aquasecurity/trivy@v0.69.0|github.com/aquasecurity/trivy/cmd/trivy|bin/trivy|GOEXPERIMENT=jsonv2"
	"actionlint|github.com/rhysd/actionlint@v1.7.7|github.com/rhysd/actionlint/cmd/actionlint|bin/actionlint|"
	"act|github.com/nektos/act@v0.2.82|github.com/nektos/act|bin/act|"
	"gremlins|github.com/go-gremlins/gremlins@v0.5.0|github.com/go-gremlins/gremlins/cmd/gremlins|bin/gremlins|"
)

want=()
for arg in "$@"; do
	case "$arg" in
	-h | --help) usage; exit 0 ;;
	-*) usage_error "unknown option $arg" ;;
	*)
		known=0
		for spec in "${TOOLS[@]}"; do [[ "${spec%%|*}" == "$arg" ]] && known=1; done
		((known)) || usage_error "unknown tool $arg"
		want+=("$arg")
		;;
	esac
done
cd "$(dirname "$0")/.."
TOOLS_DIR="${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/influencegen-tools}"
mkdir -p "$TOOLS_DIR/bin" "$TOOLS_DIR/tflint-plugins"

log() { printf '[tools %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

build() {
	local name="$1" modver="$2" pkg="$3" out="$4" extra="$5"
	local stamp="$TOOLS_DIR/$out.version" lockfd
	# One build of a tool at a time: .ci/run builds every tool in the
	# background while make rehearse builds act.
	mkdir -p "$TOOLS_DIR/locks"
	exec {lockfd}>"$TOOLS_DIR/locks/$name.lock"
	flock "$lockfd"
	if [[ -x "$TOOLS_DIR/$out" && -f "$stamp" && "$(cat "$stamp")" == "$modver" ]]; then
		log "$name: $modver already built"
		return 0
	fi
	log "$name: building $modver"
	local work
	work="$(mktemp -d)"
	(
		cd "$work"
		go mod init "tools.local/$name" >/dev/null 2>&1
		# go get the package itself, so the go.sum covers all it imports.
		go get "$pkg@${modver##*@}" 2>&1 | grep -v '^go: \(downloading\|added\|upgraded\|finding\)' || true
		# shellcheck disable=SC2086 # $extra is an optional VAR=value list
		env $extra CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TOOLS_DIR/$out" "$pkg"
	)
	rm -rf "$work"
	echo "$modver" >"$stamp"
	log "$name: done"
}

# Build concurrently: module downloads (network) overlap other compiles.
pids=() names=()
for spec in "${TOOLS[@]}"; do
	IFS='|' read -r name modver pkg out extra <<<"$spec"
	if ((${#want[@]})) && [[ ! " ${want[*]} " == *" $name "* ]]; then
		continue
	fi
	build "$name" "$modver" "$pkg" "$out" "$extra" &
	pids+=("$!") names+=("$name")
done
failed=0
for i in "${!pids[@]}"; do
	if ! wait "${pids[$i]}"; then
		log "${names[$i]}: FAILED"
		failed=1
	fi
done
exit "$failed"
