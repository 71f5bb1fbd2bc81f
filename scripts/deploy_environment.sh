#!/usr/bin/env bash
# Deploys one environment end to end: synthesize, check the account
# (scripts/preflight.sh), plan with Terraform into a saved plan file, show it,
# confirm, apply exactly that file, write the outputs, then configure the
# servers with Ansible and check that every server of the stack was
# configured.
#
# usage: scripts/deploy_environment.sh ENV [--auto-approve [--i-know-this-is-production]]
#                                          [--plan-only | --apply-plan] [--plan-dir DIR]
#                                          [--accept ADDRESS[,ADDRESS...]]...
#                                          [--skip-ansible] [--static-inventory]
#                                          [--skip-check CHECK]...
#
#   ENV                          dev, staging or production (`go run . envs`)
#   --auto-approve               skip the typed confirmation; refused for production
#                                unless --i-know-this-is-production is given too
#   --plan-only                  stop after the plan, keeping it in DIR for a later
#                                --apply-plan (CI: the plan job)
#   --apply-plan                 apply the plan an earlier --plan-only left in DIR
#                                (CI: the apply job, after the environment's approval)
#   --plan-dir DIR               where the plan is kept (default: plans/ENV)
#   --accept ADDRESS[,...]       accept these HIGH findings of the plan's review, each by
#                                its resource address, after reading them; recorded in the
#                                plan's meta (with --plan-only, for the later --apply-plan)
#   --skip-ansible               stop after the infrastructure and the inventory
#   --static-inventory           configure through the generated hosts.ini instead
#                                of the aws_ec2 dynamic inventory
#   --skip-check CHECK           skip one preflight check (scripts/preflight.sh
#                                --help lists them; refused in CI)
#
# The preflight (scripts/preflight.sh ENV) runs after synth and before init
# and plan: quotas (vCPUs, Elastic IPs, VPCs), zones and GPU offerings, the
# hosted zone, secrets pending deletion, the account, and the model version
# the GPU servers will load (in the bucket, complete, loadable by their
# memory plan), each failure with what to request, change or run. With
# --skip-ansible no server is configured, so the models only report: a new
# environment's first deploy creates the bucket that way, then its models
# are supplied (docs/runbooks/models.md). --apply-plan does not repeat it: the run that
# made the plan did (in CI the plan job, whose read-only role may read
# Service Quotas; the deploy role may not).
#
# The review: every saved plan is reviewed (`go run . review`, from its
# `terraform show -json`, piped, never written: it holds sensitive values)
# into ENV-stack.review.txt beside it and logs/: data destroyed or
# replaced, access widened, protections weakened, parity drift, the cost
# delta (docs/runbooks/plan-review.md). Before applying, the plan is
# reviewed again; for production (kind reference) a HIGH finding refuses
# the apply until it is accepted by its address (--accept, now or with
# --plan-only). Elsewhere the findings are shown and the deploy goes on.
#
# The plan: `terraform plan -out` in cdktf.out/stacks/ENV-stack writes
# DIR/ENV-stack.tfplan. It holds sensitive values: mode 0600, never printed,
# deleted after the apply (or a refusal). Beside it: ENV-stack.plan.txt
# (`terraform show`, sensitive values masked; the copy in logs/ is what you
# review) and ENV-stack.plan.meta (commit, sha256 of the plan and of
# cdk.tf.json, state lineage and serial, time, the accepted findings with
# who accepted them and when). Before applying, the script
# refuses a plan whose checksum, cdk.tf.json or commit differ from now, whose
# state serial changed, or that is older than PLAN_MAX_AGE_HOURS (default 6);
# Terraform itself refuses a plan made stale by a state change.
#
# Ansible: before the playbook, the inventory must hold exactly the stack's
# instances (output instance_ids) in each group and every play must match a
# host; after it, every instance must be in the recap with failed=0 and
# unreachable=0. The dynamic inventory needs boto3 and botocore.
#
# Steps: validate, synth, preflight, init, plan, review, verify-plan, review-gate, confirm, apply, outputs
# (outputs/ENV.json), inventory (ansible/inventories/ENV/hosts.ini),
# inventory-check, plays-check, ansible, recap-check. Every step is logged
# with a timestamp to logs/deploy-ENV-<time>.log.
#
# Exit codes: 0 deployed (or planned); 1 a step failed (the message names it);
#             2 bad usage or unknown environment; 3 refused (no confirmation,
#             auto-approve for production without the explicit flag, a plan
#             that no longer fits, or a HIGH finding of production's plan
#             not accepted).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

# A resource address: type.name, an index or key in brackets, module paths.
address_re='^[][A-Za-z0-9_.:"-]+$'
env_name="" auto=0 prod_ok=0 skip_ansible=0 static=0 mode=full plan_dir="" preflight_skips=() accepted=()
while (($#)); do
	case "$1" in
	--auto-approve) auto=1 ;;
	--i-know-this-is-production) prod_ok=1 ;;
	--plan-only) [[ "$mode" == full ]] || usage_error "--plan-only and --apply-plan exclude each other"; mode=plan ;;
	--apply-plan) [[ "$mode" == full ]] || usage_error "--plan-only and --apply-plan exclude each other"; mode=apply ;;
	--plan-dir) [[ $# -ge 2 && -n "$2" ]] || usage_error "--plan-dir needs a directory"; plan_dir="$2"; shift ;;
	--skip-ansible) skip_ansible=1 ;;
	--static-inventory) static=1 ;;
	--skip-check) [[ $# -ge 2 && -n "$2" ]] || usage_error "--skip-check needs a check name"; preflight_skips+=(--skip "$2"); shift ;;
	--accept)
		[[ $# -ge 2 && -n "$2" ]] || usage_error "--accept needs a resource address (the review's HIGH findings name them)"
		IFS=, read -r -a addrs <<<"$2"
		for a in "${addrs[@]}"; do
			[[ "$a" =~ $address_re ]] || usage_error "--accept: '$a' is not a resource address"
			accepted+=("$a")
		done
		shift
		;;
	-h | --help) usage; exit 0 ;;
	-*) usage_error "unknown option $1" ;;
	*) [[ -z "$env_name" ]] || usage_error "one environment only (got $env_name and $1)"; env_name="$1" ;;
	esac
	shift
done
[[ -n "$env_name" ]] || usage_error "no environment given"
max_age_hours="${PLAN_MAX_AGE_HOURS:-6}"
[[ "$max_age_hours" =~ ^[1-9][0-9]*$ ]] || usage_error "PLAN_MAX_AGE_HOURS must be a whole number of hours, not '$max_age_hours'"
[[ -z "$plan_dir" || "$plan_dir" == /* ]] || plan_dir="$PWD/$plan_dir"
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

kind="$(env_kind "$env_name")" || exit "$EXIT_USAGE"
if [[ "$mode" != plan && "$kind" == reference && "$auto" -eq 1 && "$prod_ok" -ne 1 ]]; then
	echo "refusing --auto-approve for $env_name: add --i-know-this-is-production, or confirm interactively" >&2
	exit "$EXIT_REFUSED"
fi

stack="$env_name-stack"
stack_dir="${INFLUENCEGEN_OUTDIR:-cdktf.out}/stacks/$stack"
plan_dir="${plan_dir:-$PWD/plans/$env_name}"
plan_file="$plan_dir/$stack.tfplan"
plan_meta="$plan_dir/$stack.plan.meta"
plan_text="$plan_dir/$stack.plan.txt"
plan_review="$plan_dir/$stack.review.txt"
start_log "deploy-$env_name"
log "deploying $env_name ($kind) as $stack ($mode)"

# remove_plan: the saved plan holds sensitive values and is good for one
# apply at most; it goes once applied, refused or abandoned.
remove_plan() { rm -f "$plan_file"; }

# stack_sha: sha256 of the synthesized configuration.
stack_sha() { sha256sum "$stack_dir/cdk.tf.json" | cut -d' ' -f1; }
commit() { git rev-parse HEAD 2>/dev/null || echo unknown; }
# state_serial: "LINEAGE SERIAL" of the stack's current state; the state
# itself (secrets included) goes straight into the parser, never to disk.
state_serial() {
	local state
	state="$(in_dir "$stack_dir" "${TERRAFORM[@]}" state pull)" || return 1
	/usr/bin/env python3 scripts/deploy_checks.py state-serial <<<"$state"
}
meta() { sed -n "s/^$1=//p" "$plan_meta"; }

# acceptor: who accepts findings, for the record.
acceptor() { echo "${GITHUB_ACTOR:-$(git config user.email 2>/dev/null || id -un)}"; }

# join_accepted: the accepted addresses, comma-separated, each once.
join_accepted() { printf '%s\n' "$@" | awk 'NF && !seen[$0]++' | paste -sd, -; }

# review_plan OUT ACCEPTED: the review of the saved plan, from its JSON
# straight into the app (never on disk), into OUT. Exit 0 (nothing
# unaccepted) or 3 (a HIGH finding not accepted); anything else failed.
review_plan() {
	local out="$1" accept=() rc=0
	[[ -z "$2" ]] || accept=(--accept "$2")
	set +e
	in_dir "$stack_dir" "${TERRAFORM[@]}" show -json -no-color "$plan_file" |
		"${APP[@]}" review - --env "$env_name" "${accept[@]}" >"$out"
	local codes=("${PIPESTATUS[@]}")
	set -e
	((codes[0] == 0)) || { echo "terraform show -json of the saved plan failed" >&2; return 1; }
	rc="${codes[1]}"
	((rc == 0 || rc == 3)) || { echo "the review of the plan failed (exit $rc)" >&2; return 1; }
	return "$rc"
}

# plan: a saved plan, its `terraform show` and what it was made from.
plan() {
	mkdir -p "$plan_dir"
	chmod 0700 "$plan_dir"
	local serial
	serial="$(state_serial)" || { echo "cannot read the state of $stack (terraform state pull)" >&2; return 1; }
	rm -f "$plan_file" "$plan_meta" "$plan_text"
	(umask 077 && in_dir "$stack_dir" "${TERRAFORM[@]}" plan -input=false -no-color -out="$plan_file") || return
	chmod 0600 "$plan_file"
	(umask 077 && in_dir "$stack_dir" "${TERRAFORM[@]}" show -no-color "$plan_file" >"$plan_text") || return
	cat >"$plan_meta" <<-EOF
		stack=$stack
		commit=$(commit)
		plan_sha256=$(sha256sum "$plan_file" | cut -d' ' -f1)
		synth_sha256=$(stack_sha)
		state=$serial
		created=$(date -u +%s)
		created_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	EOF
	cp "$plan_text" "${LOG_FILE%.log}-plan.txt"
}

# review: the saved plan's review, beside it and in logs/, with what
# --accept accepts recorded in the meta.
review() {
	local rc=0
	review_plan "$plan_review" "$(join_accepted "${accepted[@]}")" || rc=$?
	((rc == 0 || rc == 3)) || return 1
	cat "$plan_review"
	cp "$plan_review" "${LOG_FILE%.log}-review.txt"
	record_acceptance
	if ((rc == 3)); then
		log "the review has HIGH findings not accepted; $([[ "$kind" == reference ]] && echo "production refuses to apply them until each is accepted (--accept ADDRESS)" || echo "outside production they do not stop the deploy")"
	fi
}

# record_acceptance: the accepted addresses, who and when, in the meta.
record_acceptance() {
	((${#accepted[@]})) || return 0
	local all prior=()
	IFS=, read -r -a prior <<<"$(meta accepted)"
	all="$(join_accepted "${prior[@]}" "${accepted[@]}")"
	sed -i '/^accepted\(_by\|_utc\)\?=/d' "$plan_meta"
	{
		echo "accepted=$all"
		echo "accepted_by=$(acceptor)"
		echo "accepted_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} >>"$plan_meta"
	log "accepted in $plan_meta: $all (by $(acceptor))"
}

# review_gate: the plan about to be applied, reviewed again with what its
# meta records as accepted; production refuses a HIGH finding not accepted.
review_gate() {
	local rc=0 out="$LOG_FILE.review"
	[[ "$mode" != apply ]] || record_acceptance
	review_plan "$out" "$(meta accepted)" || rc=$?
	((rc == 0 || rc == 3)) || { rm -f "$out"; return 1; }
	cp "$out" "$plan_review"
	rm -f "$out"
	if ((rc == 3)) && [[ "$kind" == reference ]]; then
		cat "$plan_review" >&2
		echo "refusing to apply the plan of $env_name: HIGH findings of its review are not accepted (the list above, and $plan_review)." >&2
		echo "read each; to go ahead, accept each by its address: --accept ADDRESS[,ADDRESS...] (docs/runbooks/plan-review.md)" >&2
		return "$EXIT_REFUSED"
	fi
	((rc == 0)) || log "the review has HIGH findings not accepted; outside production they do not stop the deploy"
	cat "$plan_review"
}

# verify_plan: refuse a plan that is not the one reviewed for what is here now.
verify_plan() {
	local problems=() now age
	[[ -f "$plan_file" && -f "$plan_meta" ]] || { echo "no saved plan in $plan_dir: run with --plan-only first" >&2; return 1; }
	[[ "$(meta stack)" == "$stack" ]] || problems+=("it is a plan of $(meta stack), not $stack")
	[[ "$(sha256sum "$plan_file" | cut -d' ' -f1)" == "$(meta plan_sha256)" ]] || problems+=("the plan file is not the one that was shown (checksum differs)")
	[[ "$(stack_sha)" == "$(meta synth_sha256)" ]] || problems+=("cdk.tf.json differs from the one planned (synthesized from other code)")
	[[ "$(commit)" == "$(meta commit)" ]] || problems+=("it was planned at commit $(meta commit), this is $(commit)")
	now="$(date -u +%s)"
	age=$((now - $(meta created)))
	((age <= max_age_hours * 3600)) || problems+=("it is $((age / 3600)) h old (made $(meta created_utc)); PLAN_MAX_AGE_HOURS is $max_age_hours")
	local serial
	serial="$(state_serial)" || { echo "cannot read the state of $stack (terraform state pull)" >&2; return 1; }
	[[ "$serial" == "$(meta state)" ]] || problems+=("the state changed since the plan (lineage/serial $(meta state) then, $serial now)")
	if ((${#problems[@]})); then
		echo "refusing to apply the saved plan $plan_file:" >&2
		printf '  - %s\n' "${problems[@]}" >&2
		echo "plan again (--plan-only, or without --apply-plan)" >&2
		return "$EXIT_REFUSED"
	fi
	log "saved plan verified: commit $(meta commit), cdk.tf.json $(meta synth_sha256 | cut -c1-12), state serial ${serial#* }, made $(meta created_utc)"
}

# apply: exactly the saved file. Terraform refuses it if the state moved on.
apply() {
	local out="$LOG_FILE.apply" rc=0
	in_dir "$stack_dir" "${TERRAFORM[@]}" apply -input=false -no-color "$plan_file" 2>&1 | tee "$out" || rc=$?
	remove_plan
	if ((rc)) && grep -q "Saved plan is stale" "$out"; then
		echo "Terraform refused the plan: the state changed after it was made. Plan again." >&2
	fi
	rm -f "$out"
	return "$rc"
}

# write_outputs: outputs/ENV.json as `cdktf deploy --outputs-file` writes it.
write_outputs() {
	mkdir -p outputs
	in_dir "$stack_dir" "${TERRAFORM[@]}" output -json |
		/usr/bin/env python3 scripts/deploy_checks.py outputs "$stack_dir/cdk.tf.json" "$stack" >"outputs/$env_name.json.tmp" &&
		mv "outputs/$env_name.json.tmp" "outputs/$env_name.json"
}

step validate "${APP[@]}" validate
step synth "${CDKTF[@]}" synth
if [[ "$mode" != apply ]]; then
	((skip_ansible)) && preflight_skips+=(--infrastructure-only)
	step preflight "${PREFLIGHT[@]}" "$env_name" "${preflight_skips[@]}"
else
	log "preflight: not repeated for --apply-plan (the --plan-only run checked the account)"
fi
step init in_dir "$stack_dir" "${TERRAFORM[@]}" init -input=false -no-color
# A plan is kept only by --plan-only, for a later --apply-plan.
[[ "$mode" == plan ]] || trap remove_plan EXIT
if [[ "$mode" != apply ]]; then
	step plan plan
	log "plan of $stack saved to $plan_file (0600); what it does, as reviewed: $plan_text"
	step review review
fi
if [[ "$mode" == plan ]]; then
	log "stopping after the plan (--plan-only); apply it with --apply-plan --plan-dir $plan_dir"
	exit "$EXIT_OK"
fi
if [[ "$mode" == apply && -f "$plan_text" ]]; then
	log "the saved plan, as it was reviewed ($plan_text):"
	cat "$plan_text"
fi

log "step verify-plan: started"
verify_plan || { rc=$?; log "step verify-plan: FAILED"; exit "$((rc == EXIT_REFUSED ? EXIT_REFUSED : EXIT_STEP_FAILED))"; }
log "step verify-plan: done"
log "step review-gate: started"
review_gate || { rc=$?; log "step review-gate: FAILED"; exit "$((rc == EXIT_REFUSED ? EXIT_REFUSED : EXIT_STEP_FAILED))"; }
log "step review-gate: done"
if [[ "$auto" -ne 1 ]]; then
	confirm "$env_name" "apply the plan above to" || exit "$EXIT_REFUSED"
else
	log "confirmation skipped (--auto-approve)"
fi
step apply apply
step outputs write_outputs
step inventory /usr/bin/env python3 ansible/scripts/hosts_from_outputs.py "outputs/$env_name.json" "$env_name" -o "ansible/inventories/$env_name/hosts.ini"

if [[ "$skip_ansible" -eq 1 ]]; then
	log "ansible skipped (--skip-ansible); run: (cd ansible && ansible-playbook -i inventories/$env_name playbooks/site.yml)"
	exit "$EXIT_OK"
fi
inventory="inventories/$env_name/aws_ec2.yml"
[[ "$static" -eq 1 ]] && inventory="inventories/$env_name/hosts.ini"
work="$(mktemp -d)"
trap 'remove_plan; rm -rf "$work"' EXIT

# inventory_check: the inventory Ansible will use holds exactly the stack's
# instances. An inventory source no plugin can parse (aws_ec2 without boto3)
# must fail here, not yield an empty inventory: ANSIBLE_INVENTORY_UNPARSED_FAILED.
inventory_check() {
	if ! ANSIBLE_INVENTORY_UNPARSED_FAILED=true in_dir ansible "${INVENTORY_CMD[@]}" -i "$inventory" --list >"$work/inventory.json" 2>"$work/inventory.err"; then
		cat "$work/inventory.err" >&2
		if grep -q "required Python library" "$work/inventory.err"; then
			echo "the aws_ec2 inventory plugin needs boto3 and botocore in Ansible's Python (Debian/Ubuntu: apt-get install python3-boto3 python3-botocore); or use --static-inventory" >&2
		fi
		echo "ansible-inventory could not read $inventory" >&2
		return 1
	fi
	/usr/bin/env python3 scripts/deploy_checks.py inventory "outputs/$env_name.json" "$env_name" "$work/inventory.json" "$inventory"
}

# plays_check: no play of site.yml would skip every host.
plays_check() {
	in_dir ansible "${ANSIBLE_PLAYBOOK[@]}" -i "$inventory" playbooks/site.yml --list-hosts >"$work/list-hosts.txt" || return 1
	/usr/bin/env python3 scripts/deploy_checks.py plays "outputs/$env_name.json" "$env_name" "$work/list-hosts.txt" >"$work/empty-plays"
}

step inventory-check inventory_check
step plays-check plays_check
step ansible tee_to "$work/ansible.log" in_dir ansible "${ANSIBLE_PLAYBOOK[@]}" -i "$inventory" playbooks/site.yml
step recap-check /usr/bin/env python3 scripts/deploy_checks.py recap "outputs/$env_name.json" "$env_name" "$work/ansible.log" "$(cat "$work/empty-plays")"
log "$env_name deployed and configured"
