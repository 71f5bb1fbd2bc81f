#!/usr/bin/env bash
# Checks, before any plan, what a fresh AWS account or region lacks for one
# environment, with the deploying credentials and the AWS CLI (v2), and says
# for each problem what to request or change. Terraform would find out only
# at apply time, minutes in, halfway through the stack.
#
# usage: scripts/preflight.sh ENV [--skip CHECK]... [--infrastructure-only]
#
#   ENV            dev, staging or production (`go run . envs`)
#   --skip CHECK   do not run CHECK (repeatable; a loud warning; refused in CI,
#                  that is when CI=true); the account check cannot be skipped
#   --infrastructure-only   the deploy configures no server (deploy_environment.sh
#                  --skip-ansible): the models check reports and does not fail
#
# The checks (what the environment needs comes from `go run . facts ENV`):
#   account         the credentials are for Account.ID (sts get-caller-identity);
#                   any other account stops the preflight: nothing else is asked
#   zones           every zone ID the environment uses exists and is available
#   standard-vcpus  Running On-Demand Standard instances quota (L-1216C47A) covers
#                   the environment's vCPUs plus those already running outside it
#   gpu-vcpus       the same for G and VT (L-DB2E81BA) and P (L-417A185B) instances
#   elastic-ips     EC2-VPC Elastic IPs (L-0263D0A3) cover the NAT gateways' EIPs
#                   the stack does not hold yet (tags Project and Environment)
#   vpcs            VPCs per Region (L-F678F1CE) likewise
#   gpu-zones       every GPU tier's instance type is offered in each zone ID
#                   its servers use (describe-instance-type-offerings)
#   auto-recovery   the types that get an ec2:recover alarm action support it
#   hosted-zone     Account.Domain is a public Route53 hosted zone, exactly one
#   secrets         no secret under <project>/<env>/ is scheduled for deletion
#   models          the model bucket holds the version ansible/group_vars/ENV.yml
#                   records (ai_model_version), with the recorded manifest
#                   (ai_model_manifest_sha256) and every file it lists at its
#                   size, and the GPU servers' memory plan (app/memory.py) can
#                   load it; otherwise it says what to run (scripts/models.sh).
#                   A first deploy has no bucket yet: deploy with --skip-ansible,
#                   supply or promote the models, then deploy (docs/runbooks/models.md)
#
# vCPUs per instance type come from `aws ec2 describe-instance-types`. The
# credentials need: sts:GetCallerIdentity, servicequotas:GetServiceQuota and
# GetAWSDefaultServiceQuota, ec2:DescribeAvailabilityZones, DescribeInstances,
# DescribeInstanceTypes, DescribeInstanceTypeOfferings, DescribeAddresses,
# DescribeVpcs, route53:ListHostedZonesByName, secretsmanager:ListSecrets,
# s3:ListBucket on the model bucket and s3:GetObject of its manifests (with
# kms:Decrypt through S3): the plan role has them (ReadOnlyAccess, and its
# model-manifest grant).
# INFLUENCEGEN_GROUP_VARS: where ENV.yml is read from (default ansible/group_vars).
#
# Exit codes: 0 every check passed; 1 a check failed (every failure is listed,
#             each with its fix); 2 bad usage or unknown environment;
#             3 refused (--skip in CI, or credentials for another account).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

# The checks, in the order they run.
CHECK_NAMES=(account zones standard-vcpus gpu-vcpus elastic-ips vpcs gpu-zones auto-recovery hosted-zone secrets models)

env_name="" skips=() infrastructure_only=0
while (($#)); do
	case "$1" in
	--skip)
		[[ $# -ge 2 && -n "$2" ]] || usage_error "--skip needs a check name"
		[[ " ${CHECK_NAMES[*]} " == *" $2 "* ]] || usage_error "unknown check '$2': one of ${CHECK_NAMES[*]}"
		[[ "$2" != account ]] || usage_error "the account check cannot be skipped: every other answer would be about the wrong account"
		skips+=("$2")
		shift
		;;
	--infrastructure-only) infrastructure_only=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage_error "unknown option $1" ;;
	*) [[ -z "$env_name" ]] || usage_error "one environment only (got $env_name and $1)"; env_name="$1" ;;
	esac
	shift
done
[[ -n "$env_name" ]] || usage_error "no environment given"
group_vars="${INFLUENCEGEN_GROUP_VARS:-ansible/group_vars}"
[[ "$group_vars" == /* ]] || group_vars="$PWD/$group_vars"
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

if ((${#skips[@]})) && [[ "${CI:-}" == "true" ]]; then
	echo "refusing --skip ${skips[*]} in CI (CI=true): a CI deploy runs every preflight check; fix the account instead" >&2
	exit "$EXIT_REFUSED"
fi
env_kind "$env_name" >/dev/null || exit "$EXIT_USAGE"
command -v aws >/dev/null || {
	echo "the AWS CLI (v2) is not installed: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" >&2
	exit "$EXIT_STEP_FAILED"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${APP[@]}" facts "$env_name" >"$work/facts.json" || { echo "cannot compute the facts of $env_name (${APP[*]} facts $env_name)" >&2; exit "$EXIT_STEP_FAILED"; }
# What the checks ask about, read once from the facts.
{
	read -r region
	read -r account_id
	read -r domain
	read -r secret_prefix
	read -r model_bucket
	read -r -a instance_types
	read -r -a gpu_types
} < <(/usr/bin/env python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))
print(f["region"], f["account_id"] or "(none)", f["domain"], f["secret_prefix"], f["models"]["bucket"], sep="\n")
print(" ".join(f["instance_types"]))
print(" ".join(sorted({t["instance_type"] for t in f["tiers"] if t["gpu"] and t["count"] > 0})))
' "$work/facts.json")
[[ -n "$region" && -n "$secret_prefix" ]] || { echo "cannot read the facts of $env_name" >&2; exit "$EXIT_STEP_FAILED"; }
# judge COMMAND [CHECK...]: scripts/preflight_checks.py over the answers.
judge() { /usr/bin/env python3 scripts/preflight_checks.py "$1" "$work" "${@:2}"; }

# The user's CLI configuration must not change the answers' shape.
export AWS_PAGER="" AWS_DEFAULT_OUTPUT=json
asked_failed=()

# ask NAME COMMAND...: run an AWS CLI command, its JSON answer into
# $work/NAME.json; on failure, record it (with AWS's message) and return 1.
ask() {
	local name="$1"
	shift
	if aws "$@" --output json >"$work/$name.json" 2>"$work/$name.err"; then
		return 0
	fi
	asked_failed+=("aws $*: $(tr '\n' ' ' <"$work/$name.err")")
	rm -f "$work/$name.json"
	return 1
}

# ask_quota SERVICE CODE: the applied quota value, or AWS's default when
# none has been applied (GetServiceQuota answers NoSuchResourceException).
ask_quota() {
	ask "quota-$2" service-quotas get-service-quota --service-code "$1" --quota-code "$2" --region "$region" && return 0
	grep -q NoSuchResource "$work/quota-$2.err" || return 1
	unset 'asked_failed[${#asked_failed[@]}-1]'
	ask "quota-$2" service-quotas get-aws-default-service-quota --service-code "$1" --quota-code "$2" --region "$region"
}

skipped() { [[ " ${skips[*]} " == *" $1 "* ]]; }

# gather NAME FUNCTION: ask AWS what check NAME needs (FUNCTION), or mark
# it skipped; a failed AWS call leaves not-asked-NAME.txt (the command and
# AWS's message) for the judge to report.
gather() {
	local name="$1" fn="$2"
	if skipped "$name"; then
		touch "$work/skipped-$name"
		return 0
	fi
	asked_failed=()
	"$fn" || printf '%s\n' "${asked_failed[@]}" >"$work/not-asked-$name.txt"
}

gather_account() { ask caller-identity sts get-caller-identity --region "$region"; }
gather_zones() { ask availability-zones ec2 describe-availability-zones --region "$region"; }

# Instance types: the environment's and those running in the region (their
# vCPUs count against the same quotas), described in batches of 100 (the
# API's limit).
types_described=0
gather_instance_types() {
	((types_described)) && return 0
	ask instances ec2 describe-instances --filters Name=instance-state-name,Values=pending,running --region "$region" || return 1
	local types=() batch n=0
	mapfile -t types < <({ printf '%s\n' "${instance_types[@]}"; judge running-types; } | sort -u | sed '/^$/d')
	while ((${#types[@]})); do
		batch=("${types[@]:0:100}")
		types=("${types[@]:100}")
		n=$((n + 1))
		ask "instance-types-$n" ec2 describe-instance-types --instance-types "${batch[@]}" --region "$region" || return 1
	done
	types_described=1
}
vcpu_quotas_asked=0
gather_vcpus() {
	((vcpu_quotas_asked)) && return 0
	gather_instance_types || return 1
	local service code
	while read -r service code; do
		[[ -n "$code" ]] || continue
		ask_quota "$service" "$code" || return 1
	done < <(judge quota-codes)
	vcpu_quotas_asked=1
}
gather_elastic_ips() { ask_quota ec2 L-0263D0A3 && ask addresses ec2 describe-addresses --region "$region"; }
gather_vpcs() { ask_quota vpc L-F678F1CE && ask vpcs ec2 describe-vpcs --region "$region"; }
gather_gpu_zones() {
	local t
	for t in "${gpu_types[@]}"; do
		ask "offerings-$t" ec2 describe-instance-type-offerings --location-type availability-zone-id \
			--filters "Name=instance-type,Values=$t" --region "$region" || return 1
	done
}
gather_auto_recovery() { gather_instance_types; }
gather_hosted_zone() { ask hosted-zones route53 list-hosted-zones-by-name --dns-name "$domain"; }
gather_secrets() {
	ask secrets secretsmanager list-secrets --include-planned-deletion \
		--filters "Key=name,Values=$secret_prefix" --region "$region"
}
# The recorded version's objects and manifest. The bucket's name is the
# stack's (facts); a bucket that does not exist yet is a first deploy, which
# the judge explains, not a failure to ask.
gather_models() {
	cp "$group_vars/$env_name.yml" "$work/group_vars.yml" 2>/dev/null || : >"$work/group_vars.yml"
	((infrastructure_only)) && touch "$work/infrastructure-only"
	local version
	version="$(sed -n 's/^ai_model_version: *"\{0,1\}\([a-z0-9._-]*\)"\{0,1\} *$/\1/p' "$work/group_vars.yml")"
	[[ -n "$version" && -n "$model_bucket" ]] || return 0
	if ! ask models-listing s3api list-objects-v2 --bucket "$model_bucket" --prefix "models/base/$version/" --region "$region"; then
		grep -q NoSuchBucket "$work/models-listing.err" || return 1
		unset 'asked_failed[${#asked_failed[@]}-1]'
		touch "$work/models-no-bucket"
		return 0
	fi
	grep -q "\"models/base/$version/manifest.json\"" "$work/models-listing.json" || return 0
	ask models-manifest s3api get-object --bucket "$model_bucket" --key "models/base/$version/manifest.json" "$work/models-manifest.body" --region "$region"
}

log "preflight of $env_name in $region, account $account_id"
gather account gather_account
if ! judge judge account; then
	if [[ -s "$work/caller-identity.json" ]]; then
		echo "stopped: the other checks would describe another account" >&2
		exit "$EXIT_REFUSED"
	fi
	echo "stopped: without the caller's identity the other checks cannot be trusted" >&2
	exit "$EXIT_STEP_FAILED"
fi
gather zones gather_zones
gather standard-vcpus gather_vcpus
gather gpu-vcpus gather_vcpus
gather elastic-ips gather_elastic_ips
gather vpcs gather_vpcs
gather gpu-zones gather_gpu_zones
gather auto-recovery gather_auto_recovery
gather hosted-zone gather_hosted_zone
gather secrets gather_secrets
gather models gather_models
if ! judge judge "${CHECK_NAMES[@]:1}"; then
	read -r -a failed <"$work/failed"
	echo "preflight of $env_name: ${#failed[@]} check(s) failed: ${failed[*]} (each with its fix above); nothing was planned" >&2
	exit "$EXIT_STEP_FAILED"
fi
if ((${#skips[@]})); then
	log "WARNING: preflight of $env_name passed WITHOUT ${skips[*]} (--skip)"
else
	log "preflight of $env_name: every check passed"
fi
