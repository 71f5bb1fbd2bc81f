#!/usr/bin/env bats
# scripts/preflight.sh against a fake AWS CLI (scripts/tests/fake-aws/aws)
# that answers from fixtures shaped like the real CLI's output
# (scripts/tests/fixtures/aws/README.md) and keeps its contract: unknown
# options and a missing --output json or --region are refused, the API's
# filters are applied (a check that forgets one sees what AWS would show).
# The facts come from the real app (`facts ENV`), so the needs are the
# configuration's, not the test's.
#
# Each scenario overrides a few answers of the passing account ("pass") and
# must fail for its own reason only.

bats_require_minimum_version 1.5.0

load fake_aws

setup_file() { fake_aws_setup_file; }

setup() { fake_aws_setup; }

preflight() { run --separate-stderr "$REPO/scripts/preflight.sh" "$@"; }
failed_checks() { grep -o '^FAIL [a-z-]*' <<<"$output" | sort -u | cut -d' ' -f2 | paste -sd' '; }

@test "a passing account: every check of every environment passes" {
	for env in dev staging production; do
		: >"$CALLS"
		preflight "$env"
		[ "$status" -eq 0 ] || { show; return 1; }
		for check in account zones standard-vcpus gpu-vcpus elastic-ips vpcs gpu-zones auto-recovery hosted-zone secrets models; do
			grep -q "^ok   $check: " <<<"$output" || { echo "$env: no 'ok $check'"; show; return 1; }
		done
		[[ "$output" == *"preflight of $env: every check passed"* ]]
		# Every call asks for JSON; regional ones name the region.
		! grep -v -e '--output json' "$CALLS"
		! grep -e '^aws \(ec2\|service-quotas\|secretsmanager\|sts\)' "$CALLS" | grep -v -e '--region eu-central-1'
	done
	# production's three NAT EIPs are its own: 1 other + 3 = 4, not 7
	: >"$CALLS"
	preflight production
	[[ "$output" == *"ok   elastic-ips: 4 of 5 Elastic IPs"* ]] || { show; return 1; }
	# no Elastic IP quota applied in this account: AWS's default is used
	grep -q 'get-service-quota --service-code ec2 --quota-code L-0263D0A3' "$CALLS"
	grep -q 'get-aws-default-service-quota --service-code ec2 --quota-code L-0263D0A3' "$CALLS"
	# the GPU zones are asked by zone ID, for the GPU type only
	grep -q 'describe-instance-type-offerings --location-type availability-zone-id --filters Name=instance-type,Values=g5.xlarge' "$CALLS"
	[ "$(grep -c describe-instance-type-offerings "$CALLS")" -eq 1 ]
}

@test "a G and VT vCPU quota below the need names the quota code and the request command" {
	export FAKE_AWS_SCENARIOS=gpu-quota-low
	preflight staging
	[ "$status" -eq 1 ] || { show; return 1; }
	[ "$(failed_checks)" = "gpu-vcpus" ] || { show; return 1; }
	# 4 (1 × g5.xlarge) + 4 running outside the stack (g4dn.xlarge); the
	# stopped g5 and the Spot g5 of the fixtures do not count
	[[ "$output" == *"FAIL gpu-vcpus: Running On-Demand G and VT instances (L-DB2E81BA) in eu-central-1 is 4 vCPUs; staging needs 4 (1 × g5.xlarge (ai, 4 vCPUs)) and 4 are already running outside the stack (1 instance)"* ]] || { show; return 1; }
	[[ "$output" == *"fix: aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-DB2E81BA --desired-value 8 --region eu-central-1"* ]] || { show; return 1; }
	[[ "$stderr" == *"1 check(s) failed: gpu-vcpus"* ]]
	# production needs 8 of its own: 12
	preflight production
	[[ "$output" == *"--quota-code L-DB2E81BA --desired-value 12 --region eu-central-1"* ]] || { show; return 1; }
}

@test "a standard vCPU quota below the need: the stack's own running servers are not counted twice" {
	export FAKE_AWS_SCENARIOS=standard-quota-low
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "standard-vcpus" ] || { show; return 1; }
	# what staging needs + 2 of legacy-crm; staging's running m6i.xlarge is
	# its own and is not added again
	need="$(sed -n 's/.*Standard .* is [0-9]* vCPUs; staging needs \([0-9]*\) .*/\1/p' <<<"$output")"
	[[ "$need" =~ ^[0-9]+$ ]] || { show; return 1; }
	[[ "$output" == *"--quota-code L-1216C47A --desired-value $((need + 2)) --region eu-central-1"* ]] || { show; return 1; }
	[[ "$output" == *"the stack's own 4 running vCPUs are part of its need"* ]]
}

@test "an Elastic IP shortage names L-0263D0A3, the request and the idle addresses; a stack holding its EIPs passes" {
	export FAKE_AWS_SCENARIOS=eip-short
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "elastic-ips" ] || { show; return 1; }
	[[ "$output" == *"FAIL elastic-ips: EC2-VPC Elastic IPs (L-0263D0A3) in eu-central-1 is 5; 5 Elastic IPs exist, 0 of them the stack's own, and staging needs 1: 5 + 1 = 6"* ]] || { show; return 1; }
	[[ "$output" == *"--service-code ec2 --quota-code L-0263D0A3 --desired-value 6 --region eu-central-1"* ]]
	[[ "$output" == *"203.0.113.41 (eipalloc-0crm00000000002)"* ]]
	# production already holds its three: 2 others + 3 = 5
	preflight production
	[ "$status" -eq 0 ] || { show; return 1; }
}

@test "VPCs per Region full: L-F678F1CE under service code vpc" {
	export FAKE_AWS_SCENARIOS=vpc-full
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "vpcs" ] || { show; return 1; }
	[[ "$output" == *"aws service-quotas request-service-quota-increase --service-code vpc --quota-code L-F678F1CE --desired-value 6 --region eu-central-1"* ]] || { show; return 1; }
	preflight production
	[ "$status" -eq 0 ] || { show; return 1; }
}

@test "a zone without the GPU type names the zone, the offering zones and the configuration to change" {
	export FAKE_AWS_SCENARIOS=zone-without-gpu
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "gpu-zones" ] || { show; return 1; }
	[[ "$output" == *"FAIL gpu-zones: g5.xlarge (ai, 1 server) is not offered in zone euc1-az1 of eu-central-1, where ai places a server; it is offered in: euc1-az2, euc1-az3"* ]] || { show; return 1; }
	[[ "$output" == *"Account.PrimaryZoneIDs (production, staging) or Account.DevZoneIDs (dev) in environments/account.go, e.g. ['euc1-az2', 'euc1-az3']"* ]]
	# dev's g6.xlarge is offered everywhere
	preflight dev
	[ "$status" -eq 0 ] || { show; return 1; }
}

@test "an impaired zone fails the zones check" {
	export FAKE_AWS_SCENARIOS=zone-impaired
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "zones" ] || { show; return 1; }
	[[ "$output" == *"zone euc1-az2 (eu-central-1a) is impaired"* ]]
}

@test "a recover alarm on a type without automatic recovery: the alarm would be refused (D3)" {
	export FAKE_AWS_SCENARIOS=no-auto-recovery
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "auto-recovery" ] || { show; return 1; }
	# the tiers that run m6i.large, from the configuration
	tiers="$("$APP_BIN" facts staging | /usr/bin/python3 -c 'import json,sys; print(", ".join(t["name"] for t in json.load(sys.stdin)["tiers"] if t["instance_type"] == "m6i.large"))')"
	[ -n "$tiers" ]
	[[ "$output" == *"m6i.large: AWS reports AutoRecoverySupported=false, but the system-check alarms of $tiers carry the ec2:recover action"* ]] || { show; return 1; }
	[[ "$output" == *"D3"* && "$output" == *"environments.AutoRecoverySupported is wrong for family m6i"* ]]
}

@test "only a private hosted zone of the domain fails the hosted-zone check" {
	export FAKE_AWS_SCENARIOS=zone-private-only
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "hosted-zone" ] || { show; return 1; }
	[[ "$output" == *"no public Route53 hosted zone named influencegen.example.com (only a private one)"* ]]
}

@test "a secret pending deletion: restore or force delete for staging, restore only for production" {
	export FAKE_AWS_SCENARIOS=secret-pending
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "secrets" ] || { show; return 1; }
	[[ "$output" == *"secret influencegen/staging/n8n/encryption-key is scheduled for deletion"*"already scheduled for deletion"* ]] || { show; return 1; }
	[[ "$output" == *"aws secretsmanager restore-secret --secret-id influencegen/staging/n8n/encryption-key --region eu-central-1"* ]]
	[[ "$output" == *"aws secretsmanager delete-secret --secret-id influencegen/staging/n8n/encryption-key --force-delete-without-recovery --region eu-central-1"* ]]
	# other prefixes' pending secrets (staging-old, qa) are not this stack's
	[[ "$output" != *"staging-old"* && "$output" != *"influencegen/qa/"* ]]
	grep -q 'list-secrets --include-planned-deletion --filters Key=name,Values=influencegen/staging/' "$CALLS"

	preflight production
	[ "$status" -eq 1 ]
	[[ "$output" == *"secret influencegen/production/n8n/encryption-key is scheduled for deletion"* ]] || { show; return 1; }
	[[ "$output" == *"restore-secret --secret-id influencegen/production/n8n/encryption-key"* ]]
	[[ "$output" == *"never force-delete"* ]]
	[[ "$output" != *"force-delete-without-recovery"* ]]
}

@test "credentials for another account are refused before anything else is asked" {
	export FAKE_AWS_SCENARIOS=wrong-account
	preflight staging
	[ "$status" -eq 3 ] || { show; return 1; }
	[[ "$output" == *"FAIL account: the credentials are for account 999999999999 (arn:aws:iam::999999999999:user/someone), the configuration is for 123456789012 (Account.ID)"* ]] || { show; return 1; }
	[[ "$stderr" == *"the other checks would describe another account"* ]]
	[ "$(cat "$CALLS")" = "aws sts get-caller-identity --region eu-central-1 --output json" ]
}

@test "two failures at once are both reported, each with its fix" {
	export FAKE_AWS_SCENARIOS="gpu-quota-low eip-short"
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "elastic-ips gpu-vcpus" ] || { show; return 1; }
	[[ "$output" == *"--quota-code L-DB2E81BA --desired-value 8"* && "$output" == *"--quota-code L-0263D0A3 --desired-value 6"* ]]
	[[ "$stderr" == *"2 check(s) failed: gpu-vcpus elastic-ips"* ]]
	# the checks after them still ran
	grep -q "^ok   secrets: " <<<"$output"
}

@test "a call AWS refuses fails its check with AWS's message; the others still run" {
	export FAKE_AWS_SCENARIOS=access-denied
	preflight staging
	[ "$status" -eq 1 ]
	[ "$(failed_checks)" = "secrets" ] || { show; return 1; }
	[[ "$output" == *"FAIL secrets: could not ask AWS:"*"(AccessDeniedException) when calling the ListSecrets operation"*"secretsmanager:ListSecrets"* ]] || { show; return 1; }
	grep -q "^ok   hosted-zone: " <<<"$output"
}

@test "a quota code that answers under another name fails loudly" {
	export FAKE_AWS_SCENARIOS=quota-renamed
	preflight staging
	[ "$status" -eq 1 ]
	[[ "$output" == *"quota code L-DB2E81BA answered as L-DB2E81BA 'Running On-Demand Inf instances', not 'Running On-Demand G and VT instances'"* ]] || { show; return 1; }
}

@test "--skip: refused in CI, loud outside it, never for the account, only known checks" {
	export FAKE_AWS_SCENARIOS=gpu-quota-low
	CI=true preflight staging --skip gpu-vcpus
	[ "$status" -eq 3 ] || { show; return 1; }
	[[ "$stderr" == *"refusing --skip gpu-vcpus in CI"* ]]
	[ ! -s "$CALLS" ]

	preflight staging --skip gpu-vcpus
	[ "$status" -eq 0 ] || { show; return 1; }
	[[ "$output" == *"WARNING: SKIPPED preflight check 'gpu-vcpus' (--skip)"* ]]
	[[ "$output" == *"passed WITHOUT gpu-vcpus"* ]]
	! grep -q '^FAIL' <<<"$output"

	preflight staging --skip account
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"the account check cannot be skipped"* ]]
	preflight staging --skip quotas
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown check 'quotas'"* ]]
	preflight qa
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown environment 'qa'"* ]]
}

@test "the fake AWS CLI keeps the real contract the checks rely on" {
	cd "$BATS_TEST_TMPDIR"
	run aws secretsmanager list-secrets --filters Key=name,Values=influencegen/ --region eu-central-1
	[ "$status" -eq 252 ] # no --output json
	run aws ec2 describe-instances --no-such-option x --region eu-central-1 --output json
	[ "$status" -eq 252 ]
	[[ "$output" == *"Unknown options: --no-such-option"* ]]
	run aws ec2 describe-vpcs --output json
	[ "$status" -eq 253 ] # no region
	# without --include-planned-deletion, AWS hides secrets scheduled for deletion
	run --separate-stderr aws secretsmanager list-secrets --filters Key=name,Values=influencegen/ --region eu-central-1 --output json
	[ "$status" -eq 0 ]
	[[ "$output" != *DeletedDate* && "$output" == *influencegen/staging/odoo/db-password* ]]
	run --separate-stderr aws secretsmanager list-secrets --include-planned-deletion --filters Key=name,Values=influencegen/qa/ --region eu-central-1 --output json
	[[ "$output" == *DeletedDate* && "$output" != *influencegen/staging/* ]]
	# the state filter: stopped and terminated instances are not running
	run --separate-stderr aws ec2 describe-instances --filters Name=instance-state-name,Values=pending,running --region eu-central-1 --output json
	[[ "$output" != *'"stopped"'* && "$output" != *'"terminated"'* && "$output" == *'"running"'* ]]
	# offerings answer at the location type asked for; region by default
	run --separate-stderr aws ec2 describe-instance-type-offerings --filters Name=instance-type,Values=g5.xlarge --region eu-central-1 --output json
	[[ "$output" == *'"LocationType": "region"'* && "$output" != *euc1-az* ]]
	run --separate-stderr aws ec2 describe-instance-types --instance-types g5.xlarge x9.huge --region eu-central-1 --output json
	[ "$status" -eq 254 ]
	[[ "$stderr" == *"(InvalidInstanceType) when calling the DescribeInstanceTypes operation"* ]]
	run --separate-stderr aws service-quotas get-service-quota --service-code ec2 --quota-code L-0263D0A3 --region eu-central-1 --output json
	[ "$status" -eq 254 ]
	[[ "$stderr" == *NoSuchResourceException* ]]
	# hosted zones sorted by reversed labels (com.example.aardvark first),
	# from --dns-name on
	run --separate-stderr aws route53 list-hosted-zones-by-name --dns-name influencegen.example.com --output json
	[[ "$output" != *aardvark* && "$output" == *zz.influencegen.example.com*example.org* ]]
}

@test "models: the recorded version is in the bucket, complete, and the GPU plan loads it" {
	preflight staging
	[ "$status" -eq 0 ] || { show; return 1; }
	[[ "$output" == *"ok   models: flux-1-dev-0ef5fff789c8 (2180ca6edece…) in influencegen-staging-models-123456789012: 25 files, 37.7 GiB; loads with g5.xlarge: nf4"* ]] || { show; return 1; }
	# the listing of the version and its manifest: nothing else of the bucket is read
	grep -q 's3api list-objects-v2 --bucket influencegen-staging-models-123456789012 --prefix models/base/flux-1-dev-0ef5fff789c8/ --region eu-central-1 --output json' "$CALLS"
	grep -q 's3api get-object --bucket influencegen-staging-models-123456789012 --key models/base/flux-1-dev-0ef5fff789c8/manifest.json' "$CALLS"
	[ "$(grep -c '^aws s3api get-object' "$CALLS")" -eq 1 ]
}

@test "models: no version recorded: the deploy of a configured environment is refused with what to run" {
	export INFLUENCEGEN_GROUP_VARS="$REPO/ansible/group_vars"
	preflight staging
	[ "$status" -eq 1 ] || { show; return 1; }
	[ "$(failed_checks)" = "models" ] || { show; return 1; }
	[[ "$output" == *"FAIL models: no promoted model version for staging (ai_model_version in ansible/group_vars/staging.yml)"* ]] || { show; return 1; }
	[[ "$output" == *"fix: a first deploy: scripts/deploy_environment.sh staging --skip-ansible (creates the bucket), then scripts/models.sh promote dev staging"* ]] || { show; return 1; }
	preflight dev
	[[ "$output" == *"then scripts/models.sh supply dev --revision <commit>"* ]] || { show; return 1; }
	! grep -q 's3api' "$CALLS"
	# a deploy that configures no server may go on
	preflight staging --infrastructure-only
	[ "$status" -eq 0 ] || { show; return 1; }
	[[ "$output" == *"ok   models: not needed (--infrastructure-only: no server is configured); before configuring: no promoted model version"* ]] || { show; return 1; }
}

@test "models: a first deploy has no bucket yet: the order of the runbook" {
	export FAKE_AWS_SCENARIOS=models-no-bucket
	preflight production
	[ "$status" -eq 1 ] || { show; return 1; }
	[ "$(failed_checks)" = "models" ] || { show; return 1; }
	[[ "$output" == *"FAIL models: the model bucket influencegen-production-models-123456789012 does not exist yet"* ]] || { show; return 1; }
	[[ "$output" == *"then scripts/models.sh promote staging production, commit ansible/group_vars/production.yml, then scripts/deploy_environment.sh production"* ]] || { show; return 1; }
}

@test "models: a manifest without one of its files in the bucket" {
	export FAKE_AWS_SCENARIOS=models-missing-file
	preflight dev
	[ "$status" -eq 1 ] || { show; return 1; }
	[ "$(failed_checks)" = "models" ] || { show; return 1; }
	[[ "$output" == *"FAIL models: flux-1-dev-0ef5fff789c8 in influencegen-dev-models-123456789012: missing: vae/diffusion_pytorch_model.safetensors"* ]] || { show; return 1; }
}

@test "models: a version the GPU's memory plan cannot load" {
	export INFLUENCEGEN_GROUP_VARS="$REPO/scripts/tests/fixtures/group_vars-bf16"
	preflight dev
	[ "$status" -eq 1 ] || { show; return 1; }
	[ "$(failed_checks)" = "models" ] || { show; return 1; }
	[[ "$output" == *"FAIL models: dev's g6.xlarge servers load the nf4 plan: flux-1-dev-bf16 cannot be loaded by the nf4 plan"*"no transformer-bnb-nf4/"* ]] || { show; return 1; }
	[[ "$output" == *"fix: scripts/models.sh supply dev --revision <commit>"*"(a version dev's GPU servers can load)"* ]] || { show; return 1; }
}
