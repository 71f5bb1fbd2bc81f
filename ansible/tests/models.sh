#!/usr/bin/env bash
# The GPU tier's models end to end, on this machine: a fresh S3 stand-in
# holding staging's and production's model buckets, each caller held to the
# policy and permissions boundary its role has in the synthesized stacks
# (tests/s3_standin.py, tests/iam_eval.py; the quantization host's from
# e2etest/testdata/staging-quantizer.json), the real AWS CLI, and a small
# FLUX.1-dev in the real diffusers layout that the fakes make
# (docker/ai_model_server/tests: the Hub, the GPU stack). Each step is a
# check, in the order of docs/runbooks/models.md:
#   supply    scripts/models.sh supply staging: ai_model_build's job (the
#             role's tasks, run here) downloads through app.fetch with the
#             token from Secrets Manager on stdin, quantizes through
#             app.quantize (a stand-in docker runs the image's modules over
#             the fakes), uploads, manifest last; the version is checked and
#             recorded. Refused: the switch off, a version that exists, a
#             version staging's GPU plan cannot load.
#   verify    scripts/models.sh verify staging as the plan role (it reads
#             manifests only). Refused: a manifest without a file.
#   promote   scripts/models.sh promote staging production as the promotion
#             role (multipart copies, no tags asked). Refused: another
#             principal, a source that is not production's, the role reading
#             tags.
#   sync      ai_server_setup's model sync (the role's tasks, run here) as a
#             production GPU server: every file checked, the report written,
#             a second run changes nothing. Refused: a file damaged in the
#             bucket, named; repaired: a file damaged on disk.
#   serve     the model server (app.main in the Debian 13 root of the model
#             server's tests, over the fakes) loads the synced version
#             through FluxEngine.load and answers /healthz.
#   lora      scripts/models.sh lora upload production as the LoRA
#             publisher, while the sync runs as its timer would: the running
#             server serves the adapter, then new weights, then nothing after
#             scripts/models.sh lora withdraw, without a restart. Refused: an
#             adapter over the size limit, not safetensors, not a LoRA, a
#             name taken, a principal without the grant.
# Needs root (the model server's root, chroot), Go (the app's facts), the
# AWS CLI v2, jq and curl.
#
# usage: tests/models.sh            (from anywhere)
#   KEEP_SERVICES_DIR=1   keep the logs, the buckets and the trees
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
no_arguments "$@"
cd "$(dirname "$0")/.."
# shellcheck source=ansible/tests/services.sh
source tests/services.sh

require_root "the model server runs in a chroot"
repo="$(cd .. && pwd)"
started=$(date +%s)
pids=()
srv=""
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ -n "$srv" && -z "${KEEP_SERVICES_DIR:-}" ]]; then rm -rf "$srv"; fi
	services_cleanup
}
trap cleanup EXIT
elapsed() { echo "$(($(date +%s) - started))s"; }
section() { printf '==> %s (at %s)\n' "$1" "$(elapsed)"; }

services_init
w="$SERVICES_DIR/models"
mkdir -p "$w"/{bin,etc,units,adapters,quantizer,prod} "$w/repo"/{scripts,ansible/group_vars,outputs,logs}
server_dir="$repo/docker/ai_model_server"
testdata="$repo/e2etest/testdata"

section "the model server's Debian 13 root, the app, the S3 stand-in"
root="$("$server_dir/tests/run.sh" --root | tail -1)"
srv="$(mktemp -d "$root/srv/models-chain.XXXXXX")"
cp -a "$server_dir/app" "$server_dir/tests" "$srv/"
inside="/srv/$(basename "$srv")"
models_dir="$srv/models" # production's GPU server's model volume, seen as $inside/models by the server
(cd "$repo" && go build -o "$w/app" .)

s3_port="$(free_port)"
endpoint="http://127.0.0.1:$s3_port"
printf '%s\n' hf_accepted >"$w/token" # the Hugging Face token the fake Hub accepts
staging_bucket=influencegen-staging-models-123456789012
prod_bucket=influencegen-production-models-123456789012
/usr/bin/python3 tests/s3_standin.py --port "$s3_port" --root "$w/s3" --log "$w/s3.log" --page-size 5 \
	--stack "$testdata/staging-stack.json" --stack "$testdata/staging-quantizer.json" \
	--stack "$testdata/production-stack.json" --stack "$testdata/shared-stack.json" \
	--bucket "$staging_bucket" --bucket "$prod_bucket" \
	--principal AKIAQUANTIZER=influencegen-staging-ai-quantizer \
	--principal AKIAPLANSTAGING=influencegen-plan-staging \
	--principal AKIAPROMOTER=influencegen-promote-models-to-production \
	--principal AKIAPRODAI=influencegen-production-ai \
	--principal AKIASTAGINGAI=influencegen-staging-ai \
	--principal AKIALORAPUB=influencegen-production-lora-publisher \
	--secret-value "influencegen/staging/huggingface/token=$w/token" --describe "$w/standin.json" &
pids+=($!)
for ((i = 0; i < 50; i++)); do [[ -s "$w/standin.json" ]] && break; sleep 0.2; done
key_of() { jq -r --arg b "$1" '.buckets[$b].kms_key_arn' "$w/standin.json"; }
staging_key="$(key_of "$staging_bucket")" prod_key="$(key_of "$prod_bucket")"
token_arn="$(jq -r '.secrets["influencegen/staging/huggingface/token"].arn' "$w/standin.json")"
export AWS_SECRET_ACCESS_KEY=stand-in AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE="$w/aws-config" \
	AWS_SHARED_CREDENTIALS_FILE=/dev/null MODELS_ENDPOINT_URL="$endpoint" AWS_CLI=/usr/bin/aws
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_SESSION_TOKEN
# Parts of 5 MiB (S3's least), so the 6 MiB shard goes up, is copied and
# comes down in parts, as the real 10 GB ones do.
printf '[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n' >"$w/aws-config"
as() { local key="$1"; shift; AWS_ACCESS_KEY_ID="$key" "$@"; }
s3() { /usr/bin/aws --endpoint-url "$endpoint" --region eu-central-1 "$@"; }
services_log "S3 stand-in on 127.0.0.1:$s3_port ($(/usr/bin/aws --version)); model server root $root"

# The scratch repository scripts/models.sh runs in: its scripts, the model
# server's app, the environments' group_vars and outputs.
cp "$repo"/scripts/{models.sh,models.py,usage.sh,lib.sh} "$w/repo/scripts/"
ln -s "$repo/docker" "$w/repo/docker"
ln -s "$repo/cost" "$w/repo/cost"
cp "$repo"/ansible/group_vars/{dev,staging,production}.yml "$w/repo/ansible/group_vars/"
outputs() { # outputs ENV BUCKET KEY GPU-SERVER [QUANTIZER]
	jq -n --arg s "$1-stack" --arg b "$2" --arg k "$3" --arg ai "$4" --arg q "${5:-}" --arg t "$token_arn" \
		'{($s): {model_bucket: $b, kms_key_arns: {data: $k}, instance_ids: {ai: [$ai]},
		  quantizer_instance_ids: (if $q == "" then [] else [$q] end), secret_arns: {huggingface_token: $t}}}' >"$w/repo/outputs/$1.json"
}
staging_ai=i-0staging00000000a1 prod_ai=i-0production000000a1
outputs staging "$staging_bucket" "$staging_key" "$staging_ai" i-0quantizer0000000q1
outputs production "$prod_bucket" "$prod_key" "$prod_ai"
export INFLUENCEGEN_APP="$w/app"
models_sh() { (cd "$w/repo" && scripts/models.sh "$@"); }
# scripts/models.py as scripts/models.sh runs it for the operator.
models_py_facts() { "$w/app" facts "$1" >"$w/$1.facts.json"; }
models_sh_py() { # models_sh_py COMMAND --env ENV ARGS...
	models_py_facts "$3"
	(cd "$w/repo" && /usr/bin/python3 scripts/models.py "$1" --env "$3" --facts "$w/$3.facts.json" --outputs "outputs/$3.json" "${@:4}")
}
# scripts/models.sh with the switch on and the playbook run here.
quantizer_on() { INFLUENCEGEN_APP="$w/bin/app-quantizer-on" ANSIBLE_PLAYBOOK="$w/bin/playbook" models_sh "$@"; }

# The app as it answers with Scale.QuantizationHost set in staging.
cat >"$w/bin/app-quantizer-on" <<EOF
#!/usr/bin/env bash
set -euo pipefail
if [[ "\${1:-}" == facts && "\${2:-}" == staging ]]; then
	"$w/app" facts staging | jq '.models.quantizer.enabled = true'
else
	exec "$w/app" "\$@"
fi
EOF
# ansible-playbook as scripts/models.sh supply calls it, run on this
# machine: the role's job with the quantization host's credentials.
printf '[ai_quantizers]\ni-0quantizer0000000q1 ansible_connection=local ansible_become=false ansible_python_interpreter=/usr/bin/python3\n' >"$w/quantizer/inventory.ini"
jq -n --arg b "$staging_bucket" --arg k "$staging_key" --arg t "$token_arn" --arg w "$w/quantizer" --arg e "$endpoint" \
	--arg d "$server_dir/tests/fake_docker.py" \
	'{env_name: "staging", aws_region: "eu-central-1", ai_model_bucket: $b, ai_model_kms_key_arn: $k, ai_model_build_token_secret: $t,
	  ai_model_server_image: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/influencegen/ai-model-server",
	  ai_model_server_image_digest: ("sha256:" + ("0" * 64)), ai_models_tool_dir: ($w + "/tools"),
	  ai_models_config: ($w + "/etc/models.json"), ai_model_build_config: ($w + "/etc/models-build.json"),
	  ai_model_build_dir: ($w + "/build"), ai_models_aws_cli: "/usr/bin/aws", ai_models_endpoint_url: $e,
	  ai_model_build_docker: $d, ai_model_build_manage: false, ai_model_build_poll: 1}' >"$w/quantizer/vars.json"
cat >"$w/bin/playbook" <<EOF
#!/usr/bin/env bash
set -euo pipefail
[[ "\$*" == "-i inventories/staging playbooks/build_models.yml "* ]] || { echo "unexpected ansible-playbook \$*" >&2; exit 2; }
shift 3
cd "$PWD" && AWS_ACCESS_KEY_ID=AKIAQUANTIZER ANSIBLE_ROLES_PATH="$PWD/roles" ANSIBLE_CALLBACKS_ENABLED='' \\
	ansible-playbook -i "$w/quantizer/inventory.ini" tests/models_build.yml -e "@$w/quantizer/vars.json" "\$@" >"$w/quantizer/play.log" 2>&1 ||
	{ tail -40 "$w/quantizer/play.log" >&2; exit 1; }
EOF
chmod +x "$w/bin/app-quantizer-on" "$w/bin/playbook"
export FAKE_DOCKER_LOG="$w/docker.log" FAKE_HUB_ROOT="$w/hub" FAKE_HUB_BIG=$((6 * 1024 * 1024))
mkdir -p "$w/hub"
: >"$FAKE_DOCKER_LOG"
commit=0ef5fff789c832c5c7f4e127f94c8b54bbcced44 # fake_hub.COMMIT
version=flux-1-dev-0ef5fff789c8
gv() { sed -n "s/^$2: \"\\(.*\\)\"$/\\1/p" "$w/repo/ansible/group_vars/$1.yml"; }
fail_now() { check_fail "$1" "${2:-}"; checks_summary models; exit 1; }

section "supply: staging's first version, made on its quantization host"
check_refused "supply with the switch off" "has no quantization host" as AKIAPLANSTAGING models_sh supply staging --revision "$commit"
if out="$(as AKIAPLANSTAGING quantizer_on supply staging --revision "$commit" 2>&1)"; then
	check_pass "supply staging: download, quantize, upload, manifest last, recorded"
else
	fail_now "supply staging" "$out"
fi
digest="$(gv staging ai_model_manifest_sha256)"
if [[ "$(gv staging ai_model_version)" == "$version" && "$digest" =~ ^[0-9a-f]{64}$ ]]; then check_pass "group_vars/staging.yml records $version"; else fail_now "group_vars/staging.yml" "$(cat "$w/repo/ansible/group_vars/staging.yml")"; fi
as AKIAPLANSTAGING s3 s3api get-object --bucket "$staging_bucket" --key "models/base/$version/manifest.json" "$w/manifest.json" >/dev/null
manifest_json="$(cat "$w/manifest.json")"
if jq -e --arg c "$commit" '.source.huggingface.revision == $c and .source.huggingface.repo == "black-forest-labs/FLUX.1-dev"
	and (.made.by | contains("assumed-role/influencegen-staging-ai-quantizer")) and (.files | has("transformer-bnb-nf4/diffusion_pytorch_model.safetensors"))
	and (.files | keys | map(select(startswith(".cache") or . == "flux1-dev.safetensors")) | length == 0)' <<<"$manifest_json" >/dev/null; then
	check_pass "the manifest: source repository and commit, maker (the quantization host's role), the NF4 transformer, nothing but the pipeline"
else
	check_fail "the manifest" "$manifest_json"
fi
last_put="$(jq -r --arg p "models/base/$version/" 'select(.method == "PUT" and .status == 200 and (.key | startswith($p))) | .key' "$w/s3.log" | tail -1)"
if [[ "$last_put" == "models/base/$version/manifest.json" ]] && grep -q '"code": "Complete:2"' "$w/s3.log"; then check_pass "the manifest was written last, the 6 MiB shard in two parts"; else check_fail "upload order" "last write: $last_put"; fi
if jq -e --rawfile t "$w/token" 'select((.argv | join(" ") | contains($t | rtrimstr("\n"))) or (.env | tostring | contains($t | rtrimstr("\n"))))' "$FAKE_DOCKER_LOG" >/dev/null ||
	grep -qF "$(cat "$w/token")" "$w/quantizer/play.log" "$w/quantizer/etc/models-build.json"; then
	check_fail "the token appeared in an argument, an environment or the play's output"
else
	check_pass "the token reached the download on stdin only: in no argument, environment, configuration or log"
fi
if jq -s -e '(map(select(.module == "app.fetch"))[0].stdin == true) and (map(select(.module == "app.quantize"))[0].gpus == true)' "$FAKE_DOCKER_LOG" >/dev/null; then check_pass "app.fetch read stdin, app.quantize had the GPU"; else check_fail "the image's runs" "$(cat "$FAKE_DOCKER_LOG")"; fi
# The refusals of the job and of the record, run as the play and
# scripts/models.sh run them, without the play around them.
build() { as AKIAQUANTIZER env DOCKER="$server_dir/tests/fake_docker.py" /usr/bin/python3 "$w/quantizer/tools/models.py" build --config "$w/quantizer/etc/models-build.json" "$@"; }
check_refused "the same commit again" "versions are immutable" build --revision "$commit"
if out="$(build --revision "$commit" --version flux-1-dev-bf16-only --no-quantize 2>&1)"; then check_pass "a bf16-only version (48 GB GPUs) made"; else check_fail "bf16-only build" "$out"; fi
check_refused "recording it for staging's 24 GB GPUs" "cannot load it" \
	as AKIAPLANSTAGING models_sh_py record --env staging --version flux-1-dev-bf16-only
if [[ "$(gv staging ai_model_version)" == "$version" ]]; then check_pass "the refused version was not recorded"; else check_fail "group_vars changed by a refused version"; fi
check_refused "the LoRA publisher writes a model version" "AccessDenied" \
	as AKIALORAPUB s3 s3 cp "$w/token" "s3://$prod_bucket/models/base/x/model_index.json" --sse aws:kms --sse-kms-key-id "$prod_key"

section "verify: staging's version, as the read-only plan role"
check_ok "verify staging" as AKIAPLANSTAGING models_sh verify staging
check_refused "the plan role reads a model file" "AccessDenied" \
	as AKIAPLANSTAGING s3 s3api get-object --bucket "$staging_bucket" --key "models/base/$version/model_index.json" "$w/x"
stored() { echo "$w/s3/$1/objects/$(printf '%s' "$2" | sha256sum | cut -c1-64)"; }
vae="$(stored "$staging_bucket" "models/base/$version/vae/diffusion_pytorch_model.safetensors")"
mv "$vae.json" "$vae.json.away"
check_refused "a manifest without one of its files" "missing: vae/diffusion_pytorch_model.safetensors" as AKIAPLANSTAGING models_sh verify staging
mv "$vae.json.away" "$vae.json"

section "promote: staging -> production, as production's promotion role"
check_refused "promote as the LoRA publisher" "AccessDenied" as AKIALORAPUB models_sh promote staging production
check_refused "promote from an environment that is not production's source" "promotes its models from staging" as AKIAPROMOTER models_sh promote dev production
check_ok "promote staging production" as AKIAPROMOTER models_sh promote staging production
if [[ "$(gv production ai_model_version)" == "$version" && "$(gv production ai_model_manifest_sha256)" == "$digest" ]]; then check_pass "production records the same version and digest"; else check_fail "group_vars/production.yml" "$(cat "$w/repo/ansible/group_vars/production.yml")"; fi
if grep -q '"code": "PartCopy:2"' "$w/s3.log"; then check_pass "the 6 MiB shard was copied in parts, inside S3"; else check_fail "no multipart copy in the stand-in's log"; fi
# The CLI's default --copy-props asks the source's tags before a multipart
# copy; the promotion role may not read them (scripts/models.py copy_tree).
if [[ "$(jq -s '[.[] | select(.query | index("tagging"))] | length' "$w/s3.log")" == 0 ]]; then check_pass "the promotion asked for no tags"; else check_fail "the promotion asked for tags"; fi
check_refused "the promotion role reads a version's tags" "AccessDenied" \
	as AKIAPROMOTER s3 s3api get-object-tagging --bucket "$staging_bucket" --key "models/base/$version/transformer/diffusion_pytorch_model-00003-of-00003.safetensors"
check_ok "promote again: nothing to copy, still the same" as AKIAPROMOTER models_sh promote staging production

section "sync: production's GPU server, as its role (ai_server_setup's model sync)"
server_port="$(free_port)" # the model server's, which the sync reports on
printf '[ai_servers]\n%s ansible_connection=local ansible_become=false ansible_python_interpreter=/usr/bin/python3\n' "$prod_ai" >"$w/prod/inventory.ini"
jq -n --arg b "$prod_bucket" --arg k "$prod_key" --arg w "$w/prod" --arg m "$models_dir" --arg e "$endpoint" --arg v "$version" --arg d "$digest" --arg u "$w/units" --arg p "$server_port" \
	'{env_name: "production", aws_region: "eu-central-1", ai_model_bucket: $b, ai_model_kms_key_arn: $k, ai_model_dir: $m,
	  ai_model_version: $v, ai_model_manifest_sha256: $d, ai_models_tool_dir: ($w + "/tools"), ai_models_config: ($w + "/etc/models.json"),
	  ai_models_aws_cli: "/usr/bin/aws", ai_models_endpoint_url: $e, ai_systemd_unit_dir: $u, ai_manage_services: false,
	  ai_model_server_port: ($p | tonumber)}' >"$w/prod/vars.json"
sync_play() {
	AWS_ACCESS_KEY_ID=AKIAPRODAI ANSIBLE_ROLES_PATH="$PWD/roles" ANSIBLE_CALLBACKS_ENABLED='' \
		ansible-playbook -i "$w/prod/inventory.ini" tests/models_sync.yml -e "@$w/prod/vars.json" >"$w/prod/play.log" 2>&1
}
if sync_play; then check_pass "first sync: the version installed, every file checked"; else fail_now "first sync" "$(tail -40 "$w/prod/play.log")"; fi
if sync_play && grep -A1 'PLAY RECAP' "$w/prod/play.log" | tail -1 | grep -q 'changed=0 '; then check_pass "second sync: changed=0"; else check_fail "second sync is not idempotent" "$(grep -B2 'changed:' "$w/prod/play.log" | tail -20)"; fi
check_ok "the volume holds the manifest's files, each with its SHA-256" /usr/bin/python3 -c '
import sys; sys.path.insert(0, sys.argv[1])
from app import manifest
d = sys.argv[2]; m = manifest.load(d + "/manifest.json"); manifest.check(d, m); assert m.digest() == sys.argv[3]' "$server_dir" "$models_dir/base/$version" "$digest"
for unit in ai-model-sync.service ai-model-sync.timer; do
	if [[ -f "$w/units/$unit" ]] && grep -q "models.py sync-loras --config $w/prod/etc/models.json" "$w/units/ai-model-sync.service"; then check_pass "$unit installed"; else check_fail "$unit"; fi
done
sync_base() { AWS_ACCESS_KEY_ID=AKIAPRODAI /usr/bin/python3 "$w/prod/tools/models.py" sync-base --config "$w/prod/etc/models.json"; }
shard="transformer-bnb-nf4/diffusion_pytorch_model.safetensors"
bad="$(stored "$prod_bucket" "models/base/$version/$shard").data"
cp "$bad" "$w/shard.orig"
# One byte inside the object (its size unchanged: the stand-in serves the
# size its metadata records, as S3 serves what was stored).
printf '\377' | dd of="$bad" bs=1 seek="$(($(stat -c %s "$bad") / 2))" conv=notrunc status=none
rm "$models_dir/base/$version/$shard"
check_refused "a file damaged in the bucket fails the sync, named" "damaged: $shard" sync_base
cp "$w/shard.orig" "$bad"
printf 'x' | dd of="$models_dir/base/$version/tokenizer_2/spiece.model" bs=1 seek=0 conv=notrunc status=none
if out="$(sync_base)" && jq -e '.changed and .hashed >= 1' <<<"$(tail -1 <<<"$out")" >/dev/null; then check_pass "a file damaged on the volume is fetched again: repaired"; else check_fail "repair" "$out"; fi
check_refused "staging's GPU servers read production's bucket" "NoOtherEnvironmentBuckets" \
	as AKIASTAGINGAI s3 s3api get-object --bucket "$prod_bucket" --key "models/base/$version/manifest.json" "$w/x"
check_refused "a GPU server writes an adapter" "AccessDenied" \
	as AKIAPRODAI s3 s3 cp "$w/token" "s3://$prod_bucket/models/loras/x/pytorch_lora_weights.safetensors" --sse aws:kms --sse-kms-key-id "$prod_key"

section "serve: the model server loads the synced version"
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
	MODEL_DIR="$inside/models" BASE_MODEL="base/$version" MODEL_MANIFEST_SHA256="$digest" \
	python3 "$inside/tests/serve_fake.py" "$server_port" g5.xlarge >"$w/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
api="http://127.0.0.1:$server_port"
for ((i = 0; i < 120; i++)); do
	[[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/healthz")" == 200 ]] && break
	sleep 0.5
done
health="$(curl -s "$api/healthz")"
if jq -e --arg v "$version" --arg d "$digest" '.status == "ok" and .memory_plan == "nf4" and .model.version == $v and .model.manifest_sha256 == $d' <<<"$health" >/dev/null; then
	check_pass "/healthz ready: $version on the nf4 plan, its manifest the promoted one"
else
	fail_now "/healthz" "$health; $(tail -20 "$w/server.log")"
fi
# The adapter sync's timer, as systemd runs it on the server.
(while sleep 1; do AWS_ACCESS_KEY_ID=AKIAPRODAI /usr/bin/python3 "$w/prod/tools/models.py" sync-loras --config "$w/prod/etc/models.json" >>"$w/sync-loras.log" 2>&1 || true; done) &
pids+=($!)

section "lora: upload, replace and withdraw on the running server"
lora() { # lora DIR PAD: a LoRA checkpoint of the transformer (pad: its data size)
	mkdir -p "$1"
	/usr/bin/python3 -c 'import sys; sys.path[:0] = sys.argv[1:3]; import fakes; fakes.write_safetensors(sys.argv[3] + "/pytorch_lora_weights.safetensors", fakes.LORA_TENSORS, pad_to=int(sys.argv[4]))' \
		"$server_dir" "$server_dir/tests" "$1" "${2:-0}"
}
generate() { curl -s -o "$w/image.png" -w '%{http_code}' -H 'content-type: application/json' -d "{\"prompt\": \"a red fox\", \"lora\": \"$1\", \"width\": 256, \"height\": 256, \"steps\": 2, \"seed\": 7}" "$api/v1/generate"; }
lora "$w/adapters/brand-a"
lora "$w/adapters/huge" $((1536 * 1024 * 1024 + 1))
mkdir -p "$w/adapters/garbage" "$w/adapters/notlora"
head -c 4096 /dev/urandom >"$w/adapters/garbage/pytorch_lora_weights.safetensors"
/usr/bin/python3 -c 'import sys; sys.path[:0] = sys.argv[1:3]; import fakes; fakes.write_safetensors(sys.argv[3], {"transformer.x.weight": [4, 4]})' \
	"$server_dir" "$server_dir/tests" "$w/adapters/notlora/pytorch_lora_weights.safetensors"
check_refused "an adapter over the size limit" "more than the 1.5 GiB kept for adapters" as AKIALORAPUB models_sh lora upload production "$w/adapters/huge" --wait 0
check_refused "an adapter that is not safetensors" "not a valid safetensors file" as AKIALORAPUB models_sh lora upload production "$w/adapters/garbage" --wait 0
check_refused "a checkpoint with no LoRA weight" "Invalid LoRA checkpoint" as AKIALORAPUB models_sh lora upload production "$w/adapters/notlora" --wait 0
check_refused "a GPU server's role uploads an adapter" "AccessDenied" as AKIAPRODAI models_sh lora upload production "$w/adapters/brand-a" --wait 0
if [[ "$(as AKIALORAPUB s3 s3api list-objects-v2 --bucket "$prod_bucket" --prefix models/loras/ --output json | jq -s '.[0].Contents // [] | length')" == 0 ]]; then check_pass "nothing refused reached the bucket"; else check_fail "refused adapters reached the bucket"; fi
if out="$(as AKIALORAPUB models_sh lora upload production "$w/adapters/brand-a" --wait 60 2>&1)"; then check_pass "lora upload brand-a: served by every GPU server"; else fail_now "lora upload" "$out; $(tail -5 "$w/sync-loras.log")"; fi
if curl -s "$api/v1/loras" | jq -e '.loras == ["brand-a"]' >/dev/null && [[ "$(generate brand-a)" == 200 ]]; then check_pass "the running server lists brand-a and generates with it"; else check_fail "serving brand-a" "$(curl -s "$api/v1/loras")"; fi
check_refused "the same name again without --replace" "pass --replace" as AKIALORAPUB models_sh lora upload production "$w/adapters/brand-a" --wait 0
lora "$w/adapters/v2/brand-a" $((1024 * 1024))
if out="$(as AKIALORAPUB models_sh lora upload production "$w/adapters/v2/brand-a" --replace --wait 60 2>&1)" && [[ "$(generate brand-a)" == 200 ]]; then
	check_pass "new weights under brand-a reach the server and serve"
else
	check_fail "replacing brand-a" "$out"
fi
check_refused "the promotion role withdraws an adapter" "AccessDenied" as AKIAPROMOTER models_sh lora withdraw production brand-a --wait 0
if out="$(as AKIALORAPUB models_sh lora withdraw production brand-a --wait 60 2>&1)"; then check_pass "lora withdraw brand-a: no GPU server serves it"; else check_fail "lora withdraw" "$out"; fi
code="$(generate brand-a)"
if [[ "$code" == 404 ]] && curl -s "$api/v1/loras" | jq -e '.loras == []' >/dev/null; then check_pass "the server refuses brand-a (404) and lists nothing"; else check_fail "withdrawn brand-a still served" "HTTP $code"; fi
if kill -0 "$server_pid" 2>/dev/null && [[ "$(grep -c 'pipeline loaded' "$w/server.log")" == 1 ]]; then
	check_pass "one server process, one pipeline load, from the first adapter to the withdrawal: no restart"
else
	check_fail "the server restarted or died" "$(tail -20 "$w/server.log")"
fi
check_ok "status production: every server on the promoted version" as AKIALORAPUB models_sh status production

section "the stand-in's log"
unexpected="$(jq -r 'select(.status >= 500) | "\(.method) \(.bucket)/\(.key) \(.status) \(.code) \(.why)"' "$w/s3.log")"
if [[ -z "$unexpected" ]]; then check_pass "no request the stand-in could not serve"; else check_fail "requests the stand-in could not serve" "$unexpected"; fi
jq -r 'select(.status >= 400) | "\(.principal) \(.method) \(.code)"' "$w/s3.log" | sort | uniq -c | sed 's/^/    refused: /'
echo "models: $(elapsed)"
checks_summary models
