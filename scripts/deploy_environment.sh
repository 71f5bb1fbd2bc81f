#!/usr/bin/env bash
# Deploys one environment end to end: synthesize, plan (saved to a log),
# confirm, `cdktf deploy`, refresh the Ansible inventory from the outputs,
# then configure the servers with site.yml.
#
# usage: scripts/deploy_environment.sh ENV [--auto-approve [--i-know-this-is-production]]
#                                          [--skip-ansible] [--static-inventory]
#
#   ENV                          dev, staging or production (`go run . envs`)
#   --auto-approve               skip the typed confirmation; refused for production
#                                unless --i-know-this-is-production is given too
#   --skip-ansible               stop after the infrastructure and the inventory
#   --static-inventory           configure through the generated hosts.ini instead
#                                of the aws_ec2 dynamic inventory
#
# Steps: validate, synth, diff (plan saved to logs/), confirm, deploy (outputs to
# outputs/ENV.json), inventory (ansible/inventories/ENV/hosts.ini), ansible.
# Every step is logged with a timestamp to logs/deploy-ENV-<time>.log.
#
# Exit codes: 0 deployed; 1 a step failed (the message names it);
#             2 bad usage or unknown environment; 3 refused (no confirmation,
#             or auto-approve for production without the explicit flag).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "$EXIT_USAGE"; }

env_name="" auto=0 prod_ok=0 skip_ansible=0 static=0
while (($#)); do
	case "$1" in
	--auto-approve) auto=1 ;;
	--i-know-this-is-production) prod_ok=1 ;;
	--skip-ansible) skip_ansible=1 ;;
	--static-inventory) static=1 ;;
	-h | --help) usage ;;
	-*) echo "unknown option $1" >&2; usage ;;
	*) [[ -z "$env_name" ]] || usage; env_name="$1" ;;
	esac
	shift
done
[[ -n "$env_name" ]] || usage

kind="$(env_kind "$env_name")" || exit "$EXIT_USAGE"
if [[ "$kind" == reference && "$auto" -eq 1 && "$prod_ok" -ne 1 ]]; then
	echo "refusing --auto-approve for $env_name: add --i-know-this-is-production, or confirm interactively" >&2
	exit "$EXIT_REFUSED"
fi

stack="$env_name-stack"
start_log "deploy-$env_name"
log "deploying $env_name ($kind) as $stack"

step validate "${APP[@]}" validate
step synth "${CDKTF[@]}" synth
plan_log="${LOG_FILE%.log}-plan.log"
step diff tee_to "$plan_log" "${CDKTF[@]}" diff "$stack"
log "plan saved to $plan_log"

if [[ "$auto" -ne 1 ]]; then
	confirm "$env_name" "deploy the plan above to" || exit "$EXIT_REFUSED"
else
	log "confirmation skipped (--auto-approve)"
fi

mkdir -p outputs
step deploy "${CDKTF[@]}" deploy "$stack" --auto-approve --outputs-file "outputs/$env_name.json"
step inventory /usr/bin/env python3 ansible/scripts/hosts_from_outputs.py "outputs/$env_name.json" "$env_name" -o "ansible/inventories/$env_name/hosts.ini"

if [[ "$skip_ansible" -eq 1 ]]; then
	log "ansible skipped (--skip-ansible); run: (cd ansible && ansible-playbook -i inventories/$env_name playbooks/site.yml)"
	exit "$EXIT_OK"
fi
inventory="inventories/$env_name/aws_ec2.yml"
[[ "$static" -eq 1 ]] && inventory="inventories/$env_name/hosts.ini"
step ansible in_dir ansible "${ANSIBLE_PLAYBOOK[@]}" -i "$inventory" playbooks/site.yml
log "$env_name deployed and configured"
