#!/usr/bin/env bash
# Builds the images, tags them with the git commit, pushes them to the
# account's ECR (shared-stack) and prints their digests. The digest, not the
# tag, is what environments run.
#
# usage: scripts/push_images.sh [--image ai-model-server] [--env ENV]
#        scripts/push_images.sh --promote FROM TO
#
#   scripts/push_images.sh                     build + push every image; record the
#                                              AI image digest in group_vars/dev.yml
#   scripts/push_images.sh --image ai-model-server --env staging
#   scripts/push_images.sh --promote dev staging        copy dev's digest to staging
#   scripts/push_images.sh --promote staging production copy staging's to production
#
# Promotion edits ansible/group_vars/<env>.yml (ai_model_server_image_digest);
# commit it, and the next `ansible-playbook playbooks/site.yml` for that
# environment pulls exactly that image (ECR tags are immutable, digests too).
#
# Environment: AWS_REGION (default eu-central-1, the shared-stack region),
# PROJECT (default influencegen). Needs docker, aws and git.
# Exit codes: 0 ok, 1 a step failed, 2 bad usage or refused.
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

PROJECT="${PROJECT:-influencegen}"
AWS_REGION="${AWS_REGION:-eu-central-1}"
GROUP_VARS="ansible/group_vars"
KEY="ai_model_server_image_digest"

die() { echo "push_images: $1" >&2; exit "${2:-1}"; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

digest_of() { # digest_of ENV
	local f="$GROUP_VARS/$1.yml"
	[[ -f "$f" ]] || die "no $f: unknown environment $1" 2
	sed -n "s/^$KEY: \"\{0,1\}\(sha256:[0-9a-f]\{64\}\)\"\{0,1\}$/\1/p" "$f"
}

record() { # record ENV DIGEST
	local f="$GROUP_VARS/$1.yml"
	[[ -f "$f" ]] || die "no $f: unknown environment $1" 2
	[[ "$2" =~ ^sha256:[0-9a-f]{64}$ ]] || die "not a digest: $2"
	if grep -q "^$KEY:" "$f"; then
		sed -i "s/^$KEY:.*/$KEY: \"$2\"/" "$f"
	else
		echo "$KEY: \"$2\"" >>"$f"
	fi
	log "recorded $2 in $f"
}

images=(ai-model-server)
env_name=dev
promote=()
while (($#)); do
	case "$1" in
	--image) [[ $# -ge 2 ]] || usage_error "--image needs an image name"; images=("$2"); shift 2 ;;
	--env) [[ $# -ge 2 ]] || usage_error "--env needs an environment"; env_name="$2"; shift 2 ;;
	--promote) [[ $# -ge 3 ]] || usage_error "--promote needs two environments: FROM TO"; promote=("$2" "$3"); shift 3 ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument $1" ;;
	esac
done
cd "$(dirname "$0")/.."

if ((${#promote[@]})); then
	from="${promote[0]}" to="${promote[1]}"
	digest="$(digest_of "$from")"
	[[ -n "$digest" ]] || die "$from has no $KEY to promote: push and test there first" 2
	record "$to" "$digest"
	echo "promoted $digest: $from -> $to; commit $GROUP_VARS/$to.yml and run site.yml for $to"
	exit 0
fi

for image in "${images[@]}"; do
	case "$image" in ai-model-server) ;; *) die "unknown image $image (the images are: ai-model-server)" 2 ;; esac
done
[[ -f "$GROUP_VARS/$env_name.yml" ]] || die "unknown environment $env_name" 2
for tool in docker aws git; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -z "$(git status --porcelain -- docker)" ]] || die "docker/ has uncommitted changes: images are tagged with the commit, so commit first" 2

revision="$(git rev-parse HEAD)"
tag="$(git rev-parse --short=12 HEAD)"
account="$(aws sts get-caller-identity --query Account --output text)"
registry="$account.dkr.ecr.$AWS_REGION.amazonaws.com"
log "logging in to $registry"
aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$registry" >/dev/null

for image in "${images[@]}"; do
	context="docker/${image//-/_}"
	repo="$registry/$PROJECT/$image"
	log "building $repo:$tag from $context"
	docker build --pull --build-arg VERSION="$tag" --build-arg REVISION="$revision" -t "$repo:$tag" "$context"
	log "pushing $repo:$tag"
	docker push "$repo:$tag" >/dev/null
	digest="$(docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$repo:$tag" | sed -n "s|^$repo@||p" | head -1)"
	[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "no digest for $repo:$tag after the push"
	echo "$image $repo@$digest"
	if [[ "$image" == ai-model-server ]]; then
		record "$env_name" "$digest"
	fi
done
