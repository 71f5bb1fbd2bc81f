#!/usr/bin/env bats
# The operations scripts, run in a scratch copy of the repository.
#
# Fakes: cdktf (synth writes the stacks) and terraform, both recording their
# calls. The fake terraform keeps the contract of Terraform 1.11 that the
# deploy relies on: `apply` takes only a file a `plan -out` wrote, and
# refuses it, with Terraform's own message, once the state moved on. One
# test runs the same flow against the real terraform when it is installed.
#
# Real: ansible-inventory and ansible-playbook (Debian's ansible), on a
# scratch playbook with site.yml's plays and host patterns, connecting
# locally; the aws_ec2 inventory is replaced by the YAML inventory it would
# return, except where the real plugin is the point (boto3 missing).

bats_require_minimum_version 1.5.0

setup_file() {
	export REPO="$BATS_TEST_DIRNAME/../.."
	export APP_BIN="$BATS_FILE_TMPDIR/app"
	(cd "$REPO" && go build -o "$APP_BIN" .)
	# The tier table as the stacks carry it: every tier and its Ansible
	# group, from the golden dev stack's ansible_groups output, so a tier
	# added to the table is part of every fake deployment below.
	/usr/bin/python3 -c 'import json,sys; [print(t, g) for t, g in json.load(open(sys.argv[1]))["output"]["ansible_groups"]["value"].items()]' \
		"$REPO/e2etest/testdata/dev-stack.json" >"$BATS_FILE_TMPDIR/tiers"
	[ -s "$BATS_FILE_TMPDIR/tiers" ]
}

# The instances the fake stack outputs, per instance_ids key: the
# platform's own tiers by name (tests refer to them), any other tier of the
# table one generated instance each.
ODOO=i-0aaaaaaaaaaaaaaa1 MAIN=i-0bbbbbbbbbbbbbbb1 WORKER=i-0ccccccccccccccc1 AI=i-0ddddddddddddddd1
export SECRET_VALUE=fake-sensitive-value-4c1d

# tier_instance TIER: its fake instance ID.
tier_instance() {
	case "$1" in
	odoo) echo "$ODOO" ;; n8n-main) echo "$MAIN" ;; n8n-worker) echo "$WORKER" ;; ai) echo "$AI" ;;
	*) printf 'i-0e%015x\n' "$(cksum <<<"$1" | cut -d' ' -f1)" ;;
	esac
}

# instances [TIER...]: "tier=id" for every tier of the table, the named
# tiers without servers.
instances() {
	local tier group out=""
	while read -r tier group; do
		if [[ " $* " == *" $tier "* ]]; then out="$out $tier="; else out="$out $tier=$(tier_instance "$tier")"; fi
	done <"$BATS_FILE_TMPDIR/tiers"
	echo "${out# }"
}

# ansible_groups_json: the ansible_groups output's value.
ansible_groups_json() {
	/usr/bin/python3 -c 'import json,sys; print(json.dumps(dict(l.split() for l in open(sys.argv[1]))))' "$BATS_FILE_TMPDIR/tiers"
}

# outputs_json ENV [TIER...]: the outputs file of ENV's stack, the named
# tiers without servers.
outputs_json() {
	local env="$1"
	shift
	/usr/bin/python3 -c 'import json,sys
ids = {p.split("=")[0]: [i for i in p.split("=")[1].split(",") if i] for p in sys.argv[3].split()}
print(json.dumps({sys.argv[1] + "-stack": {"instance_ids": ids, "ansible_groups": json.loads(sys.argv[2])}}))' "$env" "$(ansible_groups_json)" "$(instances "$@")"
}

setup() {
	export WORK="$BATS_TEST_TMPDIR/repo"
	mkdir -p "$WORK/scripts" "$WORK/ansible/scripts" "$WORK/ansible/playbooks" "$WORK/environments" "$WORK/fakes/tf" "$WORK/out"
	cp "$REPO"/scripts/*.sh "$REPO"/scripts/deploy_checks.py "$REPO"/scripts/preflight_checks.py "$WORK/scripts/"
	cp "$REPO/ansible/scripts/hosts_from_outputs.py" "$WORK/ansible/scripts/"
	cp "$REPO/ansible/ansible.cfg" "$WORK/ansible/"
	cp "$REPO/environments/account.go" "$WORK/environments/"
	# The preflight's models check uses the model server's rules.
	ln -s "$REPO/docker" "$WORK/docker"
	scratch_playbook >"$WORK/ansible/playbooks/site.yml"
	for e in dev staging production; do
		mkdir -p "$WORK/ansible/inventories/$e/group_vars"
		printf 'ansible_connection: local\nansible_become: false\nansible_python_interpreter: /usr/bin/python3\n' \
			>"$WORK/ansible/inventories/$e/group_vars/all.yml"
		dynamic_inventory "$e" "$(instances)"
	done
	export CALLS="$WORK/calls" FAKE_TF="$WORK/fakes/tf" FIXTURES="$REPO/scripts/tests/fixtures"
	: >"$CALLS"
	export INFLUENCEGEN_APP="$APP_BIN"
	export INFLUENCEGEN_OUTDIR="$WORK/out"
	export CDKTF="$WORK/fakes/cdktf" TERRAFORM="$WORK/fakes/terraform" PREFLIGHT="$WORK/fakes/preflight"
	export ANSIBLE_HOME="$BATS_TEST_TMPDIR/ansible-home" ANSIBLE_LOCAL_TEMP="$BATS_TEST_TMPDIR/ansible-tmp" ANSIBLE_NOCOLOR=1
	FAKE_INSTANCES="$(instances)" ANSIBLE_GROUPS_JSON="$(ansible_groups_json)"
	export FAKE_INSTANCES ANSIBLE_GROUPS_JSON
	unset CI FAIL_STEP FAIL_HOST SKIP_ALL FAKE_TF_STALE FAKE_PLAN_JSON ANSIBLE_PLAYBOOK ANSIBLE_INVENTORY_CMD PLAN_MAX_AGE_HOURS GITHUB_ACTOR

	cat >"$WORK/fakes/cdktf" <<'FAKE'
#!/usr/bin/env bash
echo "cdktf $*" >>"$CALLS"
[[ "${FAIL_STEP:-}" == "$1" ]] && { echo "fake cdktf $1 failed" >&2; exit 7; }
case "$1" in
synth)
	variant="$(cat "$FAKE_TF/synth-variant" 2>/dev/null || echo 1)"
	for s in dev-stack staging-stack production-stack state-bootstrap; do
		mkdir -p "$INFLUENCEGEN_OUTDIR/stacks/$s"
		printf '{"//":{"outputs":{"%s":{"instance_ids":"instance_ids","ansible_groups":"ansible_groups","db_password":"db_password"}}},"variant":%s,"resource":{"aws_db_instance":{"db":{"deletion_protection":false,"skip_final_snapshot":false}}}}\n' \
			"$s" "$variant" >"$INFLUENCEGEN_OUTDIR/stacks/$s/cdk.tf.json"
	done
	[[ -f environments/account.go ]] && grep -q 'StateBootstrapped: true' environments/account.go && echo "synth with the s3 backend" >>"$CALLS"
	;;
deploy)
	if [[ "$2" == state-bootstrap ]]; then echo '{"version":4}' >terraform.state-bootstrap.tfstate; exit 0; fi
	echo "fake cdktf: the deploy script applies saved plans with terraform, not cdktf deploy" >&2
	exit 1
	;;
esac
exit 0
FAKE

	# The fake terraform. Messages on the refusal paths are Terraform 1.11's
	# (checked against the real binary: see "the real terraform" test).
	cp "$REPO/scripts/tests/fake-terraform" "$WORK/fakes/terraform"
	# The fake preflight (scripts/preflight.bats tests the real one against
	# a fake AWS CLI; one test below runs it inside the deploy).
	cat >"$WORK/fakes/preflight" <<'FAKE'
#!/usr/bin/env bash
echo "preflight $*" >>"$CALLS"
[[ "${FAIL_STEP:-}" == preflight ]] && { echo "FAIL gpu-vcpus: fake preflight failed" >&2; exit 7; }
exit 0
FAKE
	chmod +x "$WORK"/fakes/*
}

# scratch_playbook: site.yml's plays with their host patterns, each running
# one local task; FAIL_HOST fails that host, SKIP_ALL skips every task.
scratch_playbook() {
	/usr/bin/python3 - "$REPO/ansible/playbooks/site.yml" <<'PY'
import sys, yaml
plays = yaml.safe_load(open(sys.argv[1]))
out = []
for p in plays:
    out.append({
        "name": p["name"], "hosts": p["hosts"], "gather_facts": False,
        **{k: p[k] for k in ("serial", "order") if k in p},
        "tasks": [{
            "name": "Stand in for the play's roles",
            "ansible.builtin.fail": {"msg": "failing as asked"},
            "when": "lookup('ansible.builtin.env', 'SKIP_ALL') == '' and inventory_hostname == lookup('ansible.builtin.env', 'FAIL_HOST')",
        }, {
            "name": "Report",
            "ansible.builtin.debug": {"msg": "configured"},
            "when": "lookup('ansible.builtin.env', 'SKIP_ALL') == ''",
        }],
    })
print(yaml.safe_dump(out, sort_keys=False))
PY
}

# dynamic_inventory ENV "TIER=IDS ...": what the aws_ec2 plugin would
# return (comma-separated IDs, "" for none), as a YAML inventory in its
# place, every tier's group from the table.
dynamic_inventory() {
	local f="$WORK/ansible/inventories/$1/aws_ec2.yml" tier group pair ids
	printf -- '---\nall:\n  children:\n' >"$f"
	while read -r tier group; do
		ids=""
		for pair in $2; do [[ "${pair%%=*}" == "$tier" ]] && ids="${pair#*=}"; done
		printf '    %s:\n' "$group" >>"$f"
		[[ -n "$ids" ]] || continue
		printf '      hosts:\n' >>"$f"
		for id in ${ids//,/ }; do printf '        %s:\n' "$id" >>"$f"; done
	done <"$BATS_FILE_TMPDIR/tiers"
}

calls() { cat "$CALLS"; }
plan_of() { echo "$WORK/plans/$1/$1-stack.tfplan"; }

# --- environments -----------------------------------------------------------

@test "deploy rejects an unknown environment before doing anything" {
	run "$WORK/scripts/deploy_environment.sh" qa --auto-approve
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown environment 'qa'"*"production, staging, dev"* ]]
	[ -z "$(calls)" ]
}

@test "destroy rejects an unknown environment" {
	run "$WORK/scripts/destroy_environment.sh" qa
	[ "$status" -eq 2 ]
	[ -z "$(calls)" ]
}

@test "deploy: --plan-only and --apply-plan exclude each other" {
	run "$WORK/scripts/deploy_environment.sh" dev --plan-only --apply-plan
	[ "$status" -eq 2 ]
	[ -z "$(calls)" ]
}

# --- production guards --------------------------------------------------------

@test "destroying production is refused outright" {
	run "$WORK/scripts/destroy_environment.sh" production
	[ "$status" -eq 3 ]
	[[ "$output" == *"refusing to destroy production"* ]]
	[ -z "$(calls)" ]
	CI=true run "$WORK/scripts/destroy_environment.sh" production --auto-approve
	[ "$status" -eq 3 ]
	[ -z "$(calls)" ]
}

@test "deploying production without confirmation aborts after the plan, before any apply, and removes the plan" {
	run "$WORK/scripts/deploy_environment.sh" production </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"nothing was changed"* ]]
	[[ "$(calls)" == *"terraform plan -input=false -no-color -out=$(plan_of production)"* ]]
	[[ "$(calls)" != *"terraform apply"* ]]
	[ ! -e "$(plan_of production)" ]
	[[ "$output" != *PLAY* ]]
}

@test "deploying production with the wrong name typed aborts" {
	run "$WORK/scripts/deploy_environment.sh" production <<<"prod"
	[ "$status" -eq 3 ]
	[[ "$(calls)" != *"terraform apply"* ]]
}

@test "auto-approve alone is refused for production" {
	run "$WORK/scripts/deploy_environment.sh" production --auto-approve
	[ "$status" -eq 3 ]
	[[ "$output" == *"--i-know-this-is-production"* ]]
	[ -z "$(calls)" ]
	run "$WORK/scripts/deploy_environment.sh" production --apply-plan --auto-approve
	[ "$status" -eq 3 ]
	[ -z "$(calls)" ]
}

@test "production deploys when its name is typed" {
	run "$WORK/scripts/deploy_environment.sh" production --skip-ansible <<<"production"
	[ "$status" -eq 0 ]
	[[ "$(calls)" == *"terraform apply -input=false -no-color $(plan_of production)"* ]]
}

@test "production deploys with both explicit flags" {
	run "$WORK/scripts/deploy_environment.sh" production --auto-approve --i-know-this-is-production --skip-ansible
	[ "$status" -eq 0 ]
	[[ "$(calls)" == *"terraform apply"* ]]
}

# --- the happy path, in order ------------------------------------------------

@test "deploy: synth, saved plan, apply of that file, outputs, inventory, checked ansible run" {
	run --separate-stderr "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 0 ] || { echo "$output $stderr"; return 1; }
	p="$(plan_of dev)"
	expected="cdktf synth
preflight dev
terraform init -input=false -no-color
terraform state pull
terraform plan -input=false -no-color -out=$p
terraform show -no-color $p
terraform show -json -no-color $p
terraform state pull
terraform show -json -no-color $p
terraform apply -input=false -no-color $p
terraform output -json"
	[ "$(calls)" = "$expected" ]
	# the outputs, as cdktf writes them: no sensitive output
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == json.loads(sys.argv[2]), d' \
		"$WORK/outputs/dev.json" "$(outputs_json dev)"
	grep -q "^$WORKER server_role=n8n-worker$" "$WORK/ansible/inventories/dev/hosts.ini"
	# the real playbook ran on every instance, and the checks said so
	[[ "$output" == *"PLAY RECAP"* ]]
	echo "$output" | grep -Eq "^$AI +: ok=[1-9]"
	for s in preflight plan review verify-plan review-gate apply outputs inventory inventory-check plays-check ansible recap-check; do
		[[ "$output" == *"step $s: done"* ]] || { echo "no step $s"; return 1; }
	done
	# the plan was shown, kept in the log, and deleted once applied
	grep -q "Plan: 3 to add" "$WORK"/logs/deploy-dev-*-plan.txt
	[ ! -e "$p" ]
	# no secret anywhere a person or a log reads
	if grep -rq "$SECRET_VALUE" "$WORK/logs" "$WORK/outputs" "$WORK/ansible/inventories"; then echo "found where it must not be"; return 1; fi
	[[ "$output$stderr" != *"$SECRET_VALUE"* ]]
	[[ "$output" =~ \[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\]\ step\ synth:\ started ]]
}

@test "the static inventory option configures through hosts.ini" {
	# the dynamic inventory would fail: the run must not use it
	dynamic_inventory staging ""
	run "$WORK/scripts/deploy_environment.sh" staging --auto-approve --static-inventory
	[ "$status" -eq 0 ]
	[[ "$output" == *"step inventory-check: done"* ]]
	[[ "$output" == *"step recap-check: done"* ]]
	echo "$output" | grep -Eq "^$WORKER +: ok=[1-9]"
}

@test "an environment without servers of a role deploys: its plays may match nothing" {
	FAKE_INSTANCES="$(instances ai)"
	export FAKE_INSTANCES
	dynamic_inventory dev "$FAKE_INSTANCES"
	run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 0 ]
	[[ "$output" == *"skipping: no hosts matched"* && "$output" == *"step recap-check: done"* ]]
}

# --- the plan's review: production's gate ----------------------------------

meta_of() { echo "$WORK/plans/$1/$1-stack.plan.meta"; }
review_of() { echo "$WORK/plans/$1/$1-stack.review.txt"; }

@test "every saved plan is reviewed: the report beside the plan and in the log, no sensitive value in either" {
	export FAKE_PLAN_JSON="$FIXTURES/plans/replace-db.json"
	run "$WORK/scripts/deploy_environment.sh" staging --plan-only
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	grep -q '^  \[data\] aws_db_instance.db: replaced: changing engine forces it; loses the database; recovery: a final snapshot is taken; automated backups (point-in-time restore, 7 days; deleted with it)$' "$(review_of staging)"
	grep -q "^review of staging: 1 high" "$WORK"/logs/deploy-staging-*-review.txt
	[[ "$output" == *"outside production they do not stop the deploy"* ]]
	[[ "$(calls)" == *"terraform show -json -no-color $(plan_of staging)"* ]]
	# the JSON holds the password in clear: it never reaches a file or the log
	if grep -rq "$SECRET_VALUE" "$WORK/logs" "$WORK/plans"/*/*.txt "$WORK/plans"/*/*.meta; then echo "found where it must not be"; return 1; fi
	[[ "$output" != *"$SECRET_VALUE"* ]]
}

@test "production: a HIGH finding refuses the apply until it is accepted by its address, and the acceptance is recorded" {
	export FAKE_PLAN_JSON="$FIXTURES/plans/replace-db.json" GITHUB_ACTOR=octocat
	run "$WORK/scripts/deploy_environment.sh" production --skip-ansible <<<"production"
	[ "$status" -eq 3 ]
	[[ "$output" == *"[data] aws_db_instance.db: replaced"* ]]
	[[ "$output" == *"refusing to apply the plan of production"*"--accept ADDRESS"* ]]
	[[ "$output" == *"step review-gate: FAILED"* ]]
	[[ "$(calls)" != *"terraform apply"* ]]
	[ ! -e "$(plan_of production)" ]
	: >"$CALLS"
	run "$WORK/scripts/deploy_environment.sh" production --skip-ansible --accept aws_db_instance.db <<<"production"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"[data] aws_db_instance.db: replaced"*"(accepted)"* ]]
	grep -qx "terraform apply -input=false -no-color $(plan_of production)" "$CALLS"
	grep -qx "accepted=aws_db_instance.db" "$(meta_of production)"
	grep -qx "accepted_by=octocat" "$(meta_of production)"
	grep -q "^accepted_utc=20[0-9-]*T" "$(meta_of production)"
}

@test "production: --plan-only --accept records the acceptance with the plan; --apply-plan applies it" {
	export FAKE_PLAN_JSON="$FIXTURES/plans/replace-db.json" GITHUB_ACTOR=octocat
	run "$WORK/scripts/deploy_environment.sh" production --plan-only --accept aws_db_instance.db
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	grep -qx "accepted=aws_db_instance.db" "$(meta_of production)"
	grep -q "aws_db_instance.db: replaced.*(accepted)$" "$(review_of production)"
	: >"$CALLS"
	run "$WORK/scripts/deploy_environment.sh" production --apply-plan --auto-approve --i-know-this-is-production --skip-ansible
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"(accepted)"* ]]
	grep -qx "terraform apply -input=false -no-color $(plan_of production)" "$CALLS"
}

@test "production: --apply-plan of a plan nobody accepted is refused; --accept when applying records and applies" {
	export FAKE_PLAN_JSON="$FIXTURES/plans/replace-db.json"
	run "$WORK/scripts/deploy_environment.sh" production --plan-only
	[ "$status" -eq 0 ]
	[[ "$output" == *"production refuses to apply them until each is accepted"* ]]
	! grep -q "^accepted=" "$(meta_of production)"
	run "$WORK/scripts/deploy_environment.sh" production --apply-plan --auto-approve --i-know-this-is-production --skip-ansible
	[ "$status" -eq 3 ]
	[[ "$(calls)" != *"terraform apply"* ]]
	"$WORK/scripts/deploy_environment.sh" production --plan-only >/dev/null
	: >"$CALLS"
	run "$WORK/scripts/deploy_environment.sh" production --apply-plan --auto-approve --i-know-this-is-production --skip-ansible --accept aws_db_instance.db
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	grep -qx "accepted=aws_db_instance.db" "$(meta_of production)"
	[ "$(grep -c '^terraform apply' "$CALLS")" -eq 1 ]
}

@test "an --accept that names no HIGH finding of the plan fails the run: an acceptance names what it accepts" {
	export FAKE_PLAN_JSON="$FIXTURES/plans/replace-db.json"
	run "$WORK/scripts/deploy_environment.sh" production --plan-only --accept aws_db_instance.replica
	[ "$status" -eq 1 ]
	[[ "$output" == *"--accept aws_db_instance.replica: the plan has no high-severity finding at that address (they are: aws_db_instance.db)"* ]]
	[[ "$output" == *"step 'review' failed"* ]]
	run "$WORK/scripts/deploy_environment.sh" production --plan-only --accept 'aws_db_instance.db;rm'
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not a resource address"* ]]
}

@test "outside production a HIGH finding is shown and the deploy goes on" {
	export FAKE_PLAN_JSON="$FIXTURES/plans/replace-db.json"
	run "$WORK/scripts/deploy_environment.sh" dev --auto-approve --skip-ansible
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"[data] aws_db_instance.db: replaced"* ]]
	[[ "$(calls)" == *"terraform apply"* ]]
}

@test "the fake terraform's show takes -json and -no-color, nothing else" {
	mkdir -p "$BATS_TEST_TMPDIR/stack" && cd "$BATS_TEST_TMPDIR/stack" && echo '{}' >cdk.tf.json
	"$TERRAFORM" init >/dev/null
	"$TERRAFORM" plan -out="$PWD/p.tfplan" >/dev/null
	run "$TERRAFORM" show -json -no-color p.tfplan
	[ "$status" -eq 0 ]
	[[ "$output" == *'"format_version": "1.2"'* ]]
	run "$TERRAFORM" show -json -detailed p.tfplan
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown option -detailed"* ]]
}

# --- the reviewed plan is the applied plan -----------------------------------

@test "--plan-only keeps a 0600 plan with its show and meta; --apply-plan applies exactly that file" {
	run "$WORK/scripts/deploy_environment.sh" staging --plan-only
	[ "$status" -eq 0 ]
	p="$(plan_of staging)"
	[ "$(stat -c %a "$p")" = 600 ]
	[ "$(stat -c %a "$(dirname "$p")")" = 700 ]
	grep -q "(sensitive value)" "$WORK/plans/staging/staging-stack.plan.txt"
	grep -q "^synth_sha256=[0-9a-f]\{64\}$" "$WORK/plans/staging/staging-stack.plan.meta"
	grep -q "^plan_sha256=$(sha256sum "$p" | cut -d' ' -f1)$" "$WORK/plans/staging/staging-stack.plan.meta"
	[[ "$(calls)" != *"terraform apply"* ]]
	if grep -q "$SECRET_VALUE" "$WORK/plans/staging/staging-stack.plan.txt" "$WORK/plans/staging/staging-stack.plan.meta"; then echo "found where it must not be"; return 1; fi
	: >"$CALLS"
	run "$WORK/scripts/deploy_environment.sh" staging --apply-plan --auto-approve --skip-ansible
	[ "$status" -eq 0 ]
	[[ "$output" == *"~ password = (sensitive value)"* ]]
	[[ "$(calls)" != *"terraform plan"* ]]
	# the account was checked by the run that made the plan
	[[ "$(calls)" != *preflight* ]]
	[[ "$output" == *"preflight: not repeated for --apply-plan"* ]]
	[ "$(grep -c '^terraform apply' "$CALLS")" -eq 1 ]
	grep -qx "terraform apply -input=false -no-color $p" "$CALLS"
	[ ! -e "$p" ]
}

@test "--apply-plan with a relative --plan-dir from another directory" {
	cd "$BATS_TEST_TMPDIR"
	run "$WORK/scripts/deploy_environment.sh" dev --plan-only --plan-dir artifacts/plan
	[ "$status" -eq 0 ]
	[ -f "$BATS_TEST_TMPDIR/artifacts/plan/dev-stack.tfplan" ]
	run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --plan-dir artifacts/plan --auto-approve --skip-ansible
	[ "$status" -eq 0 ]
	grep -qx "terraform apply -input=false -no-color $BATS_TEST_TMPDIR/artifacts/plan/dev-stack.tfplan" "$CALLS"
}

@test "--apply-plan without a saved plan fails and applies nothing" {
	run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"run with --plan-only first"* ]]
	[[ "$(calls)" != *"terraform apply"* ]]
}

@test "a plan of other code is refused: cdk.tf.json changed since the plan" {
	"$WORK/scripts/deploy_environment.sh" dev --plan-only >/dev/null
	echo 2 >"$FAKE_TF/synth-variant"
	run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --auto-approve
	[ "$status" -eq 3 ]
	[[ "$output" == *"cdk.tf.json differs from the one planned"* ]]
	[[ "$(calls)" != *"terraform apply"* ]]
	[ ! -e "$(plan_of dev)" ]
}

@test "a plan file other than the one shown is refused" {
	"$WORK/scripts/deploy_environment.sh" dev --plan-only >/dev/null
	echo "tampered" >>"$(plan_of dev)"
	run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --auto-approve
	[ "$status" -eq 3 ]
	[[ "$output" == *"not the one that was shown"* ]]
	[[ "$(calls)" != *"terraform apply"* ]]
}

@test "a plan older than PLAN_MAX_AGE_HOURS is refused" {
	"$WORK/scripts/deploy_environment.sh" dev --plan-only >/dev/null
	meta="$WORK/plans/dev/dev-stack.plan.meta"
	sed -i "s/^created=.*/created=$(($(date -u +%s) - 7 * 3600))/" "$meta"
	run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --auto-approve
	[ "$status" -eq 3 ]
	[[ "$output" == *"it is 7 h old"*"PLAN_MAX_AGE_HOURS is 6"* ]]
	[[ "$(calls)" != *"terraform apply"* ]]
	"$WORK/scripts/deploy_environment.sh" dev --plan-only >/dev/null
	sed -i "s/^created=.*/created=$(($(date -u +%s) - 7 * 3600))/" "$meta"
	PLAN_MAX_AGE_HOURS=8 run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --auto-approve --skip-ansible
	[ "$status" -eq 0 ]
}

@test "a plan whose state serial changed is refused before Terraform sees it" {
	echo 4 >"$FAKE_TF/serial"
	"$WORK/scripts/deploy_environment.sh" dev --plan-only >/dev/null
	echo 5 >"$FAKE_TF/serial" # someone applied in between
	run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --auto-approve
	[ "$status" -eq 3 ]
	[[ "$output" == *"the state changed since the plan"*"fake-lineage 4 then, fake-lineage 5 now"* ]]
	[[ "$(calls)" != *"terraform apply"* ]]
}

@test "Terraform's own stale-plan refusal fails the deploy and says to plan again" {
	FAKE_TF_STALE=1 run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error: Saved plan is stale"* ]]
	[[ "$output" == *"the state changed after it was made. Plan again."* ]]
	[[ "$output" == *"step 'apply' failed"* ]]
	[ ! -e "$(plan_of dev)" ]
	[[ "$output" != *PLAY* ]]
}

@test "the fake terraform applies nothing but a saved plan file" {
	mkdir -p "$BATS_TEST_TMPDIR/stack" && cd "$BATS_TEST_TMPDIR/stack" && echo '{}' >cdk.tf.json
	"$TERRAFORM" init >/dev/null
	run "$TERRAFORM" apply -auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"exactly one saved plan"* ]]
	echo "not a plan" >other.tfplan
	run "$TERRAFORM" apply other.tfplan
	[ "$status" -eq 1 ]
	[[ "$output" == *'Failed to load "other.tfplan" as a plan file'* ]]
	"$TERRAFORM" plan -out="$PWD/p.tfplan" >/dev/null
	cp p.tfplan copy.tfplan
	run "$TERRAFORM" apply p.tfplan
	[ "$status" -eq 0 ]
	run "$TERRAFORM" apply copy.tfplan
	[ "$status" -eq 1 ]
	[[ "$output" == *"Saved plan is stale"* ]]
}

@test "the real terraform: plan -out, show, apply of the saved file; a stale plan is refused" {
	command -v terraform >/dev/null || skip "terraform is not installed (CI installs only Go and Node)"
	export TERRAFORM=terraform TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
	unset TF_CLI_CONFIG_FILE
	# synth: a real Terraform configuration with a local backend and the
	# built-in terraform_data resource, so no provider is downloaded.
	cat >"$WORK/fakes/cdktf" <<'FAKE'
#!/usr/bin/env bash
echo "cdktf $*" >>"$CALLS"
for s in dev-stack staging-stack production-stack; do
	d="$INFLUENCEGEN_OUTDIR/stacks/$s"
	mkdir -p "$d"
	cat >"$d/cdk.tf.json" <<EOF
{"//":{"outputs":{"$s":{"instance_ids":"instance_ids","ansible_groups":"ansible_groups","db_password":"db_password"}}},
 "terraform":{"backend":{"local":{"path":"$INFLUENCEGEN_OUTDIR/$s.tfstate"}}},
 "resource":{"terraform_data":{"marker":{"input":"$(cat "$INFLUENCEGEN_OUTDIR/input" 2>/dev/null || echo one)"}}},
 "output":{"instance_ids":{"value":{"odoo":["i-0aaaaaaaaaaaaaaa1"],"n8n-main":[],"n8n-worker":[],"ai":[]}},
           "ansible_groups":{"value":{"odoo":"odoo_servers","n8n-main":"n8n_servers","n8n-worker":"n8n_workers","ai":"ai_servers"}},
           "db_password":{"value":"$SECRET_VALUE","sensitive":true}}}
EOF
done
FAKE
	export SECRET_VALUE
	run --separate-stderr "$WORK/scripts/deploy_environment.sh" dev --auto-approve --skip-ansible
	[ "$status" -eq 0 ] || { echo "$output $stderr"; return 1; }
	[[ "$output" == *"Apply complete! Resources: 1 added"* ]]
	grep -q '"i-0aaaaaaaaaaaaaaa1"' "$WORK/outputs/dev.json"
	if grep -q "$SECRET_VALUE" "$WORK/outputs/dev.json"; then echo "found where it must not be"; return 1; fi
	grep -q "(sensitive value)" "$WORK"/logs/deploy-dev-*-plan.txt
	[ ! -e "$(plan_of dev)" ]
	# a plan, then a change to the state by someone else, then its apply
	echo two >"$WORK/out/input"
	run "$WORK/scripts/deploy_environment.sh" dev --plan-only
	[ "$status" -eq 0 ]
	cp "$(plan_of dev)" "$BATS_TEST_TMPDIR/copy.tfplan"
	(cd "$WORK/out/stacks/dev-stack" && terraform apply -input=false -no-color "$BATS_TEST_TMPDIR/copy.tfplan" >/dev/null)
	run "$WORK/scripts/deploy_environment.sh" dev --apply-plan --auto-approve --skip-ansible
	[ "$status" -eq 3 ]
	[[ "$output" == *"the state changed since the plan"* ]]
	# Terraform itself refuses the same stale plan with the message the fake uses
	run terraform -chdir="$WORK/out/stacks/dev-stack" apply -input=false -no-color "$BATS_TEST_TMPDIR/copy.tfplan"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error: Saved plan is stale"* ]]
}

# --- failures stop the script -------------------------------------------------

@test "a failing step stops the deploy and names the step" {
	for failing in synth preflight init plan apply; do
		: >"$CALLS"
		FAIL_STEP=$failing run "$WORK/scripts/deploy_environment.sh" staging --auto-approve
		[ "$status" -eq 1 ] || { echo "$failing: exit $status"; return 1; }
		[[ "$output" == *"step '$failing' failed with exit code 7"* ]]
		[[ "$output" != *"PLAY RECAP"* ]]
		[ ! -e "$(plan_of staging)" ]
	done
	[[ "$(calls)" == *"terraform apply"* ]]
}

@test "a failing preflight stops the deploy before Terraform is initialized or plans" {
	FAIL_STEP=preflight run "$WORK/scripts/deploy_environment.sh" staging --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL gpu-vcpus"*"step 'preflight' failed"* ]]
	[ "$(calls)" = "cdktf synth
preflight staging" ]
}

@test "--skip-check passes --skip to the preflight" {
	run "$WORK/scripts/deploy_environment.sh" dev --plan-only --skip-check gpu-zones --skip-check secrets
	[ "$status" -eq 0 ]
	grep -qx "preflight dev --skip gpu-zones --skip secrets" "$CALLS"
	run "$WORK/scripts/deploy_environment.sh" dev --plan-only --skip-check
	[ "$status" -eq 2 ]
}

@test "--skip-ansible tells the preflight that no server is configured (the models only report)" {
	run "$WORK/scripts/deploy_environment.sh" dev --plan-only --skip-ansible
	[ "$status" -eq 0 ]
	grep -qx "preflight dev --infrastructure-only" "$CALLS"
	: >"$CALLS"
	run "$WORK/scripts/deploy_environment.sh" dev --plan-only
	grep -qx "preflight dev" "$CALLS"
}

@test "the real preflight runs inside the deploy: another account's credentials stop it before the plan" {
	unset PREFLIGHT
	export FAKE_AWS_FIXTURES="$REPO/scripts/tests/fixtures/aws" FAKE_AWS_SCENARIOS=wrong-account
	export INFLUENCEGEN_GROUP_VARS="$REPO/scripts/tests/fixtures/group_vars"
	PATH="$REPO/scripts/tests/fake-aws:$PATH" run "$WORK/scripts/deploy_environment.sh" dev --plan-only
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL account: the credentials are for account 999999999999"*"step 'preflight' failed with exit code 3"* ]]
	[ "$(grep -v '^aws ' "$CALLS")" = "cdktf synth" ]
	grep -qx "aws sts get-caller-identity --region eu-central-1 --output json" "$CALLS"
	# and with the passing account it plans
	: >"$CALLS"
	FAKE_AWS_SCENARIOS="" PATH="$REPO/scripts/tests/fake-aws:$PATH" run "$WORK/scripts/deploy_environment.sh" dev --plan-only
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"preflight of dev: every check passed"* ]]
	[[ "$(calls)" == *"terraform plan"* ]]
}

@test "a failing host fails the deploy" {
	FAIL_HOST="$WORKER" run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"failing as asked"* ]]
	[[ "$output" == *"step 'ansible' failed with exit code 2"* ]]
}

# --- Ansible runs that "succeed" without configuring anything ----------------

@test "boto3 missing: the real aws_ec2 plugin cannot load, and the deploy fails before the playbook" {
	cp "$REPO/ansible/inventories/dev/aws_ec2.yml" "$WORK/ansible/inventories/dev/aws_ec2.yml"
	# Make the import fail even where boto3 is installed.
	mkdir -p "$BATS_TEST_TMPDIR/noboto/boto3" "$BATS_TEST_TMPDIR/noboto/botocore"
	echo 'raise ImportError("boto3 hidden by the test")' >"$BATS_TEST_TMPDIR/noboto/boto3/__init__.py"
	echo 'raise ImportError("botocore hidden by the test")' >"$BATS_TEST_TMPDIR/noboto/botocore/__init__.py"
	# Without the check: ansible-inventory exits 0 with an empty inventory.
	run bash -c "cd '$WORK/ansible' && PYTHONPATH='$BATS_TEST_TMPDIR/noboto' ansible-inventory -i inventories/dev/aws_ec2.yml --list 2>/dev/null"
	[ "$status" -eq 0 ]
	[ "$(/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["_meta"]["hostvars"]))' <<<"$output")" -eq 0 ]
	PYTHONPATH="$BATS_TEST_TMPDIR/noboto" run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'inventory-check' failed"* ]]
	[[ "$output" == *"apt-get install python3-boto3 python3-botocore"* ]]
	[[ "$output" != *"PLAY ["* ]]
	[[ "$output" != *"deployed and configured"* ]]
}

@test "an empty dynamic inventory fails the deploy, naming every group" {
	dynamic_inventory dev ""
	run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'inventory-check' failed"* ]]
	for g in $(cut -d' ' -f2 "$BATS_FILE_TMPDIR/tiers"); do
		[[ "$output" == *"$g: 0 host(s), expected 1"* ]] || { echo "no $g"; return 1; }
	done
	[[ "$output" != *"PLAY ["* ]]
}

@test "an inventory without one of the stack's servers fails the deploy, naming it" {
	dynamic_inventory dev "$(instances n8n-worker)"
	run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"n8n_workers: 0 host(s), expected 1 (missing $WORKER)"* ]]
	[[ "$output" != *"PLAY ["* ]]
}

@test "a play that matches no host fails the deploy before it runs" {
	sed -i 's/^  hosts: odoo_servers$/  hosts: odoo_server/' "$WORK/ansible/playbooks/site.yml"
	grep -q '^  hosts: odoo_server$' "$WORK/ansible/playbooks/site.yml"
	run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'plays-check' failed"* ]]
	[[ "$output" == *"'Set up the Odoo application servers' (hosts: odoo_server) matches no host"* ]]
	[[ "$output" != *"PLAY ["* ]]
}

@test "a run that leaves a server out fails the deploy, naming it" {
	# ansible-playbook exits 0 when --limit drops a host: the recap shows it.
	# The host is dropped from the run only: the plays check before it
	# (--list-hosts) sees it, as when a host fails to be reached mid-run;
	# otherwise that check stops the deploy first (the workers have a play of
	# their own, which the limit would leave empty).
	printf '#!/usr/bin/env bash\n[[ " $* " == *" --list-hosts "* ]] && exec ansible-playbook "$@"\nexec ansible-playbook "$@" --limit "!%s"\n' "$WORKER" >"$WORK/fakes/ansible-playbook-limited"
	chmod +x "$WORK/fakes/ansible-playbook-limited"
	ANSIBLE_PLAYBOOK="$WORK/fakes/ansible-playbook-limited" run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"PLAY RECAP"* ]]
	[[ "$output" == *"step 'recap-check' failed"* ]]
	[[ "$output" == *"$WORKER (n8n_workers): not in the recap"* ]]
}

@test "a run whose tasks all skip fails the deploy" {
	SKIP_ALL=1 run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'recap-check' failed"* ]]
	[[ "$output" == *"$ODOO (odoo_servers): every task skipped"* ]]
}

@test "the plays check reads the real site.yml" {
	inv="$BATS_TEST_TMPDIR/hosts.ini"
	outputs="$BATS_TEST_TMPDIR/outputs.json"
	outputs_json dev >"$outputs"
	/usr/bin/python3 "$REPO/ansible/scripts/hosts_from_outputs.py" "$outputs" dev -o "$inv"
	(cd "$REPO/ansible" && ansible-playbook -i "$inv" playbooks/site.yml --list-hosts) >"$BATS_TEST_TMPDIR/list.txt"
	run /usr/bin/python3 "$REPO/scripts/deploy_checks.py" plays "$outputs" dev "$BATS_TEST_TMPDIR/list.txt"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	[ "$(grep -c 'play #' "$BATS_TEST_TMPDIR/list.txt")" -eq "$(grep -c '^- name:' "$REPO/ansible/playbooks/site.yml")" ]
	# without AI servers, the GPU play may match none, nothing else
	outputs_json dev ai >"$outputs"
	/usr/bin/python3 "$REPO/ansible/scripts/hosts_from_outputs.py" "$outputs" dev -o "$inv"
	(cd "$REPO/ansible" && ansible-playbook -i "$inv" playbooks/site.yml --list-hosts) >"$BATS_TEST_TMPDIR/list.txt"
	run /usr/bin/python3 "$REPO/scripts/deploy_checks.py" plays "$outputs" dev "$BATS_TEST_TMPDIR/list.txt"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

# --- destroy -------------------------------------------------------------------

@test "destroy warns about final snapshots and needs the typed name" {
	run "$WORK/scripts/destroy_environment.sh" staging <<<"staging"
	[ "$status" -eq 0 ]
	[[ "$output" == *"aws_db_instance.db: takes a final snapshot"* ]]
	[ "$(tail -1 "$CALLS")" = "cdktf destroy staging-stack --auto-approve" ]
}

@test "destroy without confirmation changes nothing" {
	run "$WORK/scripts/destroy_environment.sh" staging </dev/null
	[ "$status" -eq 3 ]
	[[ "$(calls)" != *"cdktf destroy"* ]]
}

@test "destroy --auto-approve only in CI" {
	run "$WORK/scripts/destroy_environment.sh" dev --auto-approve
	[ "$status" -eq 3 ]
	[ -z "$(calls)" ]
	CI=true run "$WORK/scripts/destroy_environment.sh" dev --auto-approve
	[ "$status" -eq 0 ]
	[[ "$(calls)" == *"cdktf destroy dev-stack --auto-approve"* ]]
}

# --- bootstrap -------------------------------------------------------------------

@test "bootstrap deploys locally, flips the account flag, migrates the state" {
	run "$WORK/scripts/bootstrap_state.sh" --auto-approve
	[ "$status" -eq 0 ]
	expected="cdktf synth
cdktf deploy state-bootstrap --auto-approve
cdktf synth
synth with the s3 backend
terraform init -migrate-state -force-copy -input=false
terraform state list
terraform state list"
	[ "$(calls)" = "$expected" ]
	grep -q 'StateBootstrapped: true,' "$WORK/environments/account.go"
	[ ! -e "$WORK/terraform.state-bootstrap.tfstate" ]
	ls "$WORK"/logs/terraform.state-bootstrap.tfstate.*.bak
	run "$WORK/scripts/bootstrap_state.sh" --auto-approve
	[ "$status" -eq 3 ]
}

# --- image promotion --------------------------------------------------------------

@test "push_images promotes a digest between environments" {
	mkdir -p "$WORK/ansible/group_vars"
	d="sha256:$(printf 'a%.0s' {1..64})"
	printf 'env_name: staging\nai_model_server_image_digest: "%s"\n' "$d" >"$WORK/ansible/group_vars/staging.yml"
	printf 'env_name: production\nai_model_server_image_digest: ""\n' >"$WORK/ansible/group_vars/production.yml"
	run "$WORK/scripts/push_images.sh" --promote staging production
	[ "$status" -eq 0 ]
	grep -qx "ai_model_server_image_digest: \"$d\"" "$WORK/ansible/group_vars/production.yml"
	run "$WORK/scripts/push_images.sh" --promote production dev
	[ "$status" -eq 2 ]
}
