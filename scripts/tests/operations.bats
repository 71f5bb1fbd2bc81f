#!/usr/bin/env bats
# The operations scripts, run in a scratch copy of the repository with fake
# cdktf, ansible-playbook and terraform that record their calls.

setup_file() {
	export REPO="$BATS_TEST_DIRNAME/../.."
	export APP_BIN="$BATS_FILE_TMPDIR/app"
	(cd "$REPO" && go build -o "$APP_BIN" .)
}

setup() {
	export WORK="$BATS_TEST_TMPDIR/repo"
	mkdir -p "$WORK/scripts" "$WORK/ansible/scripts" "$WORK/environments" "$WORK/fakes" "$WORK/out"
	cp "$REPO"/scripts/*.sh "$WORK/scripts/"
	cp "$REPO/ansible/scripts/hosts_from_outputs.py" "$WORK/ansible/scripts/"
	cp "$REPO/environments/account.go" "$WORK/environments/"
	for e in dev staging production; do mkdir -p "$WORK/ansible/inventories/$e"; done
	export CALLS="$WORK/calls"
	: >"$CALLS"
	export INFLUENCEGEN_APP="$APP_BIN"
	export INFLUENCEGEN_OUTDIR="$WORK/out"
	export CDKTF="$WORK/fakes/cdktf" ANSIBLE_PLAYBOOK="$WORK/fakes/ansible-playbook" TERRAFORM="$WORK/fakes/terraform"
	unset CI FAIL_STEP

	cat >"$WORK/fakes/cdktf" <<'FAKE'
#!/usr/bin/env bash
echo "cdktf $*" >>"$CALLS"
[[ "${FAIL_STEP:-}" == "$1" ]] && { echo "fake cdktf $1 failed" >&2; exit 7; }
case "$1" in
synth)
	for s in dev-stack staging-stack production-stack state-bootstrap; do
		mkdir -p "$INFLUENCEGEN_OUTDIR/stacks/$s"
		echo '{"resource":{"aws_db_instance":{"db":{"deletion_protection":false,"skip_final_snapshot":false}}}}' \
			>"$INFLUENCEGEN_OUTDIR/stacks/$s/cdk.tf.json"
	done
	[[ -f environments/account.go ]] && grep -q 'StateBootstrapped: true' environments/account.go && echo "synth with the s3 backend" >>"$CALLS"
	;;
diff) echo "Plan: 3 to add, 1 to change, 0 to destroy." ;;
deploy)
	if [[ "$2" == state-bootstrap ]]; then echo '{"version":4}' >terraform.state-bootstrap.tfstate; exit 0; fi
	while (($#)); do [[ "$1" == --outputs-file ]] && out="$2"; shift; done
	env="${out##*/}"; env="${env%.json}"
	printf '{"%s-stack":{"instance_ids":{"odoo":["i-0aaaaaaaaaaaaaaa1"],"n8n_main":["i-0bbbbbbbbbbbbbbb1"],"n8n_worker":["i-0ccccccccccccccc1"],"ai":["i-0ddddddddddddddd1"]}}}\n' "$env" >"$out"
	;;
esac
exit 0
FAKE
	cat >"$WORK/fakes/ansible-playbook" <<'FAKE'
#!/usr/bin/env bash
echo "ansible-playbook $* (in ${PWD##*/})" >>"$CALLS"
[[ "${FAIL_STEP:-}" == ansible ]] && exit 4
exit 0
FAKE
	cat >"$WORK/fakes/terraform" <<'FAKE'
#!/usr/bin/env bash
echo "terraform $*" >>"$CALLS"
[[ "$1 $2" == "state list" ]] && echo "module.state.aws_s3_bucket.bucket"
exit 0
FAKE
	chmod +x "$WORK"/fakes/*
}

calls() { cat "$CALLS"; }

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

@test "deploying production without confirmation aborts before any deploy" {
	run "$WORK/scripts/deploy_environment.sh" production </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"nothing was changed"* ]]
	[[ "$(calls)" == *"cdktf diff production-stack"* ]]
	[[ "$(calls)" != *"cdktf deploy"* ]]
	[[ "$(calls)" != *ansible-playbook* ]]
}

@test "deploying production with the wrong name typed aborts" {
	run "$WORK/scripts/deploy_environment.sh" production <<<"prod"
	[ "$status" -eq 3 ]
	[[ "$(calls)" != *"cdktf deploy"* ]]
}

@test "auto-approve alone is refused for production" {
	run "$WORK/scripts/deploy_environment.sh" production --auto-approve
	[ "$status" -eq 3 ]
	[[ "$output" == *"--i-know-this-is-production"* ]]
	[ -z "$(calls)" ]
}

@test "production deploys when its name is typed" {
	run "$WORK/scripts/deploy_environment.sh" production --skip-ansible <<<"production"
	[ "$status" -eq 0 ]
	[[ "$(calls)" == *"cdktf deploy production-stack --auto-approve --outputs-file outputs/production.json"* ]]
}

@test "production deploys with both explicit flags" {
	run "$WORK/scripts/deploy_environment.sh" production --auto-approve --i-know-this-is-production --skip-ansible
	[ "$status" -eq 0 ]
	[[ "$(calls)" == *"cdktf deploy production-stack"* ]]
}

# --- the happy path, in order ------------------------------------------------

@test "deploy runs synth, diff, deploy, inventory and ansible in order" {
	run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 0 ]
	expected="cdktf synth
cdktf diff dev-stack
cdktf deploy dev-stack --auto-approve --outputs-file outputs/dev.json
ansible-playbook -i inventories/dev/aws_ec2.yml playbooks/site.yml (in ansible)"
	[ "$(calls)" = "$expected" ]
	grep -q '^i-0ccccccccccccccc1 server_role=n8n-worker$' "$WORK/ansible/inventories/dev/hosts.ini"
	ls "$WORK"/logs/deploy-dev-*-plan.log
	grep -q "Plan: 3 to add" "$WORK"/logs/deploy-dev-*-plan.log
	grep -q "step deploy: done" "$WORK"/logs/deploy-dev-*Z.log
	[[ "$output" =~ \[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\]\ step\ synth:\ started ]]
}

@test "the static inventory option configures through hosts.ini" {
	run "$WORK/scripts/deploy_environment.sh" staging --auto-approve --static-inventory
	[ "$status" -eq 0 ]
	[[ "$(calls)" == *"ansible-playbook -i inventories/staging/hosts.ini playbooks/site.yml"* ]]
}

# --- failures stop the script -------------------------------------------------

@test "a failing step stops the deploy and names the step" {
	for failing in synth diff deploy; do
		: >"$CALLS"
		FAIL_STEP=$failing run "$WORK/scripts/deploy_environment.sh" staging --auto-approve
		[ "$status" -eq 1 ]
		[[ "$output" == *"step '$failing' failed with exit code 7"* ]]
		[[ "$(calls)" != *ansible-playbook* ]]
	done
	[[ "$(calls)" == *"cdktf deploy"* ]]
}

@test "a failing ansible run fails the deploy" {
	FAIL_STEP=ansible run "$WORK/scripts/deploy_environment.sh" dev --auto-approve
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'ansible' failed with exit code 4"* ]]
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
