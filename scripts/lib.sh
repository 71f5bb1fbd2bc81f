#!/usr/bin/env bash
# Shared by the operations scripts: logging with timestamps, named steps that
# stop the script when they fail, environment validation, confirmations.
# Source it; do not run it.

# Exit codes every script documents.
readonly EXIT_OK=0 EXIT_STEP_FAILED=1 EXIT_USAGE=2 EXIT_REFUSED=3
export EXIT_OK EXIT_STEP_FAILED EXIT_USAGE EXIT_REFUSED

export CHECKPOINT_DISABLE=1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -e "$TF_CLI_CONFIG_FILE" ]]; then
	unset TF_CLI_CONFIG_FILE
fi

# Commands, overridable for tests and unusual installs.
read -r -a CDKTF <<<"${CDKTF:-npx --no-install cdktf}"
read -r -a APP <<<"${INFLUENCEGEN_APP:-go run .}"
read -r -a ANSIBLE_PLAYBOOK <<<"${ANSIBLE_PLAYBOOK:-ansible-playbook}"
# Not ANSIBLE_INVENTORY: that is Ansible's own default-inventory variable.
# shellcheck disable=SC2034 # used by deploy_environment.sh
read -r -a INVENTORY_CMD <<<"${ANSIBLE_INVENTORY_CMD:-ansible-inventory}"
read -r -a TERRAFORM <<<"${TERRAFORM:-terraform}"
# shellcheck disable=SC2034 # used by deploy_environment.sh
read -r -a PREFLIGHT <<<"${PREFLIGHT:-scripts/preflight.sh}"

log() { printf '[%s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# start_log NAME: tee everything from here on to logs/NAME-<timestamp>.log.
start_log() {
	mkdir -p logs
	LOG_FILE="logs/$1-$(date -u +%Y%m%dT%H%M%SZ).log"
	exec > >(tee -a "$LOG_FILE") 2>&1
	log "logging to $LOG_FILE"
}

# step NAME COMMAND...: run one named step; stop the script if it fails.
step() {
	local name="$1"
	shift
	log "step $name: started"
	if "$@"; then
		log "step $name: done"
	else
		local rc=$?
		log "step $name: FAILED (exit $rc)"
		echo "stopped: step '$name' failed with exit code $rc${LOG_FILE:+; the full log is $LOG_FILE}" >&2
		exit "$EXIT_STEP_FAILED"
	fi
}

# in_dir DIR COMMAND...: run a command in another directory.
in_dir() { (cd "$1" && "${@:2}"); }

# tee_to FILE COMMAND...: run a command, copying its output to FILE.
tee_to() {
	local file="$1"
	shift
	"$@" | tee "$file"
	return "${PIPESTATUS[0]}"
}

# env_kind ENV: print the environment's kind (reference, parity, sandbox),
# or fail with the list of environments.
env_kind() {
	local envs
	envs="$("${APP[@]}" envs)" || { echo "cannot list the environments (${APP[*]} envs failed)" >&2; return 1; }
	local kind
	kind="$(awk -v e="$1" '$1 == e { print $2 }' <<<"$envs")"
	if [[ -z "$kind" ]]; then
		echo "unknown environment '$1': choose one of $(awk '{print $1}' <<<"$envs" | paste -sd, | sed 's/,/, /g')" >&2
		return 1
	fi
	echo "$kind"
}

# confirm ENV WHAT: the operator types the environment's name, or nothing happens.
confirm() {
	local env="$1" what="$2" answer=""
	printf 'About to %s %s. Type the environment name (%s) to continue: ' "$what" "$env" "$env" >&2
	if ! read -r answer; then
		echo >&2
		echo "no confirmation (no input): nothing was changed" >&2
		return 1
	fi
	if [[ "$answer" != "$env" ]]; then
		echo "'$answer' is not '$env': nothing was changed" >&2
		return 1
	fi
}
