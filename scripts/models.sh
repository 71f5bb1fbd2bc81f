#!/usr/bin/env bash
# Supplies, promotes and checks an environment's models: the base model
# version its GPU servers load (models/base/<version>/ in its model bucket,
# recorded with its manifest's SHA-256 in ansible/group_vars/ENV.yml, as an
# image digest is) and the LoRA adapters they serve (models/loras/<name>/).
# docs/runbooks/models.md says when to run what.
#
# usage: scripts/models.sh supply ENV --revision COMMIT [--version NAME] [--no-quantize]
#        scripts/models.sh promote FROM TO [--version NAME]
#        scripts/models.sh verify ENV [--version NAME]
#        scripts/models.sh lora upload ENV DIR [--name NAME] [--replace] [--wait SECONDS]
#        scripts/models.sh lora withdraw ENV NAME [--wait SECONDS]
#        scripts/models.sh status ENV
#
#   supply    make a version on ENV's quantization host, which exists while
#             Scale.QuantizationHost is set: download COMMIT of Models.BaseModel
#             from Hugging Face (the token from Secrets Manager, read on the
#             host), quantize the transformer to NF4 (--no-quantize: bf16 only,
#             for 48 GB GPUs), write the manifest last; then check the version
#             in the bucket and record it for ENV. Runs playbooks/build_models.yml
#             (Ansible over Session Manager) with your credentials.
#   promote   copy a version (default: the one FROM serves) from FROM's bucket
#             to TO's, its files then its manifest unchanged, check it there
#             and record it for TO. FROM must be TO's Account.ModelSources
#             source; run it as TO's promotion role (shared-stack output
#             model_promoter_role_arns), e.g. AWS_PROFILE with its role_arn.
#   verify    check a version (default: the one recorded for ENV) in ENV's
#             bucket: the manifest is the recorded one, every file is there at
#             its size, and ENV's GPU memory plan (app/memory.py) can load it.
#   lora upload    check an adapter as the model server does (name, one
#             safetensors file of 1.5 GiB at most, a LoRA checkpoint), upload
#             it with its manifest last, and wait (--wait, default 300 s; 0 to
#             not wait) until every running GPU server serves it; --replace to
#             publish new weights under a name that exists. As ENV's LoRA
#             publisher role (output lora_publisher_role_arn).
#   lora withdraw  delete an adapter and wait until no GPU server serves it
#             (the bucket keeps the deleted version 30 days).
#   status    what each GPU server reports it serves (its model sync writes
#             models/status/<instance>.json every minute).
#
# Reads `go run . facts ENV` and outputs/ENV.json (written by
# scripts/deploy_environment.sh). Needs the AWS CLI v2 and python3.
# Exit codes: 0 done; 1 a step or check failed (each problem named);
#             2 bad usage or unknown environment; 3 refused (the quantization
#             host is off, or the environment promotes from elsewhere).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

(($#)) || usage_error "no command given"
command="$1"
shift
case "$command" in
-h | --help) usage; exit 0 ;;
supply | promote | verify | status) ;;
lora)
	(($#)) || usage_error "lora needs upload or withdraw"
	case "$1" in
	upload | withdraw) command="lora-$1"; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown lora command $1 (upload or withdraw)" ;;
	esac
	;;
*) usage_error "unknown command $command" ;;
esac

positional=() extra=() revision="" version="" wait="" name=""
while (($#)); do
	case "$1" in
	--revision) [[ $# -ge 2 && -n "$2" ]] || usage_error "--revision needs a commit"; revision="$2"; shift ;;
	--version) [[ $# -ge 2 && -n "$2" ]] || usage_error "--version needs a name"; version="$2"; shift ;;
	--name) [[ $# -ge 2 && -n "$2" ]] || usage_error "--name needs an adapter name"; name="$2"; shift ;;
	--wait) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage_error "--wait needs a number of seconds"; wait="$2"; shift ;;
	--replace) extra+=(--replace) ;;
	--no-quantize) extra+=(--no-quantize) ;;
	-h | --help) usage; exit 0 ;;
	-*) usage_error "unknown option $1" ;;
	*) positional+=("$1") ;;
	esac
	shift
done
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

want_args() { # want_args N WHAT: exactly N positional arguments
	((${#positional[@]} == $1)) || usage_error "$command takes $2 (got ${#positional[@]} argument(s): ${positional[*]:-none})"
}
case "$command" in
supply) want_args 1 "ENV and --revision"; [[ -n "$revision" ]] || usage_error "supply needs --revision COMMIT (the Hugging Face commit to make the version from)" ;;
promote) want_args 2 "FROM and TO" ;;
verify | status) want_args 1 "one environment" ;;
lora-upload) want_args 2 "ENV and the adapter's directory" ;;
lora-withdraw) want_args 2 "ENV and the adapter's name" ;;
esac
[[ "$command" == supply || -z "$revision" ]] || usage_error "--revision is for supply"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# facts ENV: `go run . facts ENV` into $work/ENV.facts.json; the environment
# must exist.
facts() {
	env_kind "$1" >/dev/null || exit "$EXIT_USAGE"
	"${APP[@]}" facts "$1" >"$work/$1.facts.json" || { echo "cannot compute the facts of $1 (${APP[*]} facts $1)" >&2; exit "$EXIT_STEP_FAILED"; }
}
# env_args ENV: the arguments scripts/models.py takes for one environment.
env_args() { printf '%s\n' --env "$1" --facts "$work/$1.facts.json" --outputs "outputs/$1.json"; }
fact() { /usr/bin/env python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$1" "$2"; }
models() { /usr/bin/env python3 scripts/models.py "$@"; }

case "$command" in
verify | status)
	env_name="${positional[0]}"
	facts "$env_name"
	mapfile -t args < <(env_args "$env_name")
	opts=()
	[[ -z "$version" ]] || opts+=(--version "$version")
	[[ "$command" == status ]] && opts=()
	models "$command" "${args[@]}" "${opts[@]}"
	;;
promote)
	from="${positional[0]}" to="${positional[1]}"
	[[ "$from" != "$to" ]] || usage_error "promote copies between two environments"
	facts "$from"
	facts "$to"
	source_env="$(fact "$work/$to.facts.json" models.source)"
	if [[ "$source_env" != "$from" ]]; then
		echo "refusing: $to promotes its models from ${source_env:-no environment} (Account.ModelSources in environments/account.go), not from $from" >&2
		exit "$EXIT_REFUSED"
	fi
	[[ -f "outputs/$to.json" ]] || { echo "no outputs/$to.json: deploy $to first (scripts/deploy_environment.sh $to --skip-ansible)" >&2; exit "$EXIT_STEP_FAILED"; }
	mapfile -t args < <(env_args "$to")
	opts=(--source "$from" --source-facts "$work/$from.facts.json" --source-outputs "outputs/$from.json")
	[[ -z "$version" ]] || opts+=(--version "$version")
	models promote "${args[@]}" "${opts[@]}"
	;;
lora-upload | lora-withdraw)
	env_name="${positional[0]}"
	facts "$env_name"
	[[ -f "outputs/$env_name.json" ]] || { echo "no outputs/$env_name.json: deploy $env_name first" >&2; exit "$EXIT_STEP_FAILED"; }
	mapfile -t args < <(env_args "$env_name")
	opts=("${extra[@]}")
	[[ -z "$wait" ]] || opts+=(--wait "$wait")
	if [[ "$command" == lora-upload ]]; then
		[[ -z "$name" ]] || opts+=(--name "$name")
	fi
	models "$command" "${args[@]}" "${opts[@]}" "${positional[1]}"
	;;
supply)
	env_name="${positional[0]}"
	facts "$env_name"
	if [[ "$(fact "$work/$env_name.facts.json" models.quantizer.enabled)" != True ]]; then
		echo "refusing: $env_name has no quantization host: set QuantizationHost: true in its Scale (environments/environments.go)," >&2
		echo "deploy it (scripts/deploy_environment.sh $env_name --skip-ansible), then run this again; unset it and deploy after (docs/runbooks/models.md)" >&2
		exit "$EXIT_REFUSED"
	fi
	type="$(fact "$work/$env_name.facts.json" models.quantizer.instance_type)"
	models quantizer-check --instance-type "$type" || exit "$EXIT_STEP_FAILED"
	[[ -f "outputs/$env_name.json" ]] || { echo "no outputs/$env_name.json: deploy $env_name first" >&2; exit "$EXIT_STEP_FAILED"; }
	host="$(/usr/bin/env python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))[sys.argv[2] + "-stack"].get("quantizer_instance_ids", [])))' "outputs/$env_name.json" "$env_name")"
	[[ -n "$host" ]] || { echo "outputs/$env_name.json has no quantization host: deploy $env_name with the switch on first" >&2; exit "$EXIT_STEP_FAILED"; }
	mkdir -p logs
	result="$PWD/logs/models-build-$env_name-$(date -u +%Y%m%dT%H%M%SZ).json"
	vars=(-e "model_repo=$(fact "$work/$env_name.facts.json" models.base_model)" -e "model_revision=$revision" -e "model_build_result=$result")
	[[ -z "$version" ]] || vars+=(-e "model_version=$version")
	[[ " ${extra[*]} " != *" --no-quantize "* ]] || vars+=(-e "model_quantize=false")
	log "building the model version on $host ($type) with playbooks/build_models.yml"
	(cd ansible && "${ANSIBLE_PLAYBOOK[@]}" -i "inventories/$env_name" playbooks/build_models.yml "${vars[@]}") ||
		{ echo "the build on $host failed (the playbook's output above names the step)" >&2; exit "$EXIT_STEP_FAILED"; }
	[[ -s "$result" ]] || { echo "the build left no result in $result" >&2; exit "$EXIT_STEP_FAILED"; }
	built="$(fact "$result" version)" digest="$(fact "$result" manifest_sha256)"
	mapfile -t args < <(env_args "$env_name")
	models record "${args[@]}" --version "$built" --sha256 "$digest"
	cost="$(/usr/bin/env python3 -c 'import json, sys; t = json.load(open(sys.argv[1])); print(t["regions"][sys.argv[2]]["ec2_instances"][sys.argv[3]]["usd"])' cost/prices.json "$(fact "$work/$env_name.facts.json" region)" "$type" 2>/dev/null || echo "?")"
	log "supplied $built ($digest) to $env_name; commit ansible/group_vars/$env_name.yml"
	log "now switch the quantization host off: unset QuantizationHost in $env_name's Scale and deploy (it bills \$$cost an hour)"
	;;
esac
