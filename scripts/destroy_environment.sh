#!/usr/bin/env bash
# Destroys one non-production environment's stack.
#
# usage: scripts/destroy_environment.sh ENV [--auto-approve]
#
#   Production (the reference environment) is refused outright: take it
#   down, if ever, by hand with docs/runbooks/destroy-production.md.
#   Any other environment needs its name typed, unless --auto-approve is
#   given in CI (CI=true).
#   Before asking, it lists what will block the destroy or outlive it:
#   what blocks the destroy (deletion protection, prevent_destroy, buckets
#   not emptied), what outlives it (snapshots, key and secret windows) and
#   what does not block it (termination protection).
#
# Exit codes: 0 destroyed; 1 a step failed; 2 bad usage or unknown environment;
#             3 refused (production, no confirmation, auto-approve outside CI).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

env_name="" auto=0
while (($#)); do
	case "$1" in
	--auto-approve) auto=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage_error "unknown option $1" ;;
	*) [[ -z "$env_name" ]] || usage_error "one environment only (got $env_name and $1)"; env_name="$1" ;;
	esac
	shift
done
[[ -n "$env_name" ]] || usage_error "no environment given"
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

kind="$(env_kind "$env_name")" || exit "$EXIT_USAGE"
if [[ "$kind" == reference ]]; then
	echo "refusing to destroy $env_name: it is production. See docs/runbooks/destroy-production.md if this is really meant." >&2
	exit "$EXIT_REFUSED"
fi
if [[ "$auto" -eq 1 && "${CI:-}" != "true" ]]; then
	echo "refusing --auto-approve outside CI: type the environment name instead" >&2
	exit "$EXIT_REFUSED"
fi

stack="$env_name-stack"
start_log "destroy-$env_name"
step synth "${CDKTF[@]}" synth
protections="$("${APP[@]}" protections "$env_name")" || { echo "cannot read the synthesized $stack" >&2; exit "$EXIT_STEP_FAILED"; }
if [[ -n "$protections" ]]; then
	log "WARNING: these resources block the destroy or outlive it:"
	while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$protections"
	if grep -q '^BLOCKS ' <<<"$protections"; then
		log "the BLOCKS lines stop the destroy: turn Scale.DeletionProtection off and deploy first"
	fi
else
	log "nothing in $stack blocks or outlives the destroy"
fi

if [[ "$auto" -ne 1 ]]; then
	confirm "$env_name" "DESTROY every resource of" || exit "$EXIT_REFUSED"
else
	log "confirmation skipped (--auto-approve in CI)"
fi
step destroy "${CDKTF[@]}" destroy "$stack" --auto-approve
rm -f "outputs/$env_name.json" "ansible/inventories/$env_name/hosts.ini"
log "$env_name destroyed"
