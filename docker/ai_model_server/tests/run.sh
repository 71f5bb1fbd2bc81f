#!/usr/bin/env bash
# Runs the model server's tests against the web stack the image ships.
#
# requirements.txt pins FastAPI, Starlette, pydantic, uvicorn, ... at the
# versions Debian 13 (trixie) packages. This script builds (once, cached) a
# minimal trixie root with those packages and runs pytest inside it through
# chroot, so the tests exercise exactly the pinned versions; the first test
# (tests/test_shipped.py) fails if a pin and the tested version differ.
#
# usage: docker/ai_model_server/tests/run.sh [-- pytest args]     (as root)
#        docker/ai_model_server/tests/run.sh --root                (as root)
#   pytest args default to "tests"; paths are relative to docker/ai_model_server
#   --root                      build the root if needed, print its path, run
#                               nothing (ansible/tests/models.sh serves the app
#                               from it)
#   -h, --help                  this text
#   MODEL_SERVER_TEST_ROOT=dir  where the root is cached
#                               (default /var/cache/influencegen/model-server-test)
#   DEBIAN_MIRROR=url           default http://deb.debian.org/debian
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../../scripts/usage.sh"
pytest_args=() root_only=0
while (($#)); do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--root) root_only=1; shift; continue ;;
	--) shift; pytest_args=("$@"); break ;;
	*) usage_error "unknown argument $1 (pytest arguments go after --)" ;;
	esac
done
here="$(cd "$(dirname "$0")/.." && pwd)"

suite=trixie
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# What the tests import: the pinned web stack, and pytest/httpx to drive it.
packages=(python3-fastapi python3-pydantic python3-starlette python3-uvicorn python3-pil python3-httpx python3-pytest)

if [[ "$(id -u)" -ne 0 ]]; then
	echo "run.sh: building and entering the Debian $suite test root needs root (debootstrap, chroot)" >&2
	exit 1
fi

cache="${MODEL_SERVER_TEST_ROOT:-/var/cache/influencegen/model-server-test}"
key="$(printf '%s\n' "$suite" "$mirror" "${packages[@]}" | sha256sum | cut -c1-12)"
root="$cache/root-$key"
mkdir -p "$cache"

# One builder at a time; concurrent runs wait, then reuse the root.
exec 9>"$cache/.lock"
flock 9
if [[ ! -f "$root/.ready" ]]; then
	rm -rf "$root" "$root.partial"
	echo "run.sh: debootstrap $suite with ${packages[*]} (once; cached in $root)"
	include="$(
		IFS=,
		echo "${packages[*]}"
	)"
	if ! debootstrap --variant=minbase --include="$include" "$suite" "$root.partial" "$mirror" >"$cache/debootstrap.log" 2>&1; then
		tail -20 "$cache/debootstrap.log" >&2
		echo "run.sh: debootstrap failed (log: $cache/debootstrap.log)" >&2
		exit 1
	fi
	mv "$root.partial" "$root"
	touch "$root/.ready"
fi
flock -u 9
if ((root_only)); then
	echo "$root"
	exit 0
fi

# Each run gets its own copy of the app and tests inside the root.
run="$(mktemp -d "$root/srv/run.XXXXXX")"
trap 'rm -rf "$run"' EXIT
cp -a "$here/app" "$here/tests" "$here/requirements.txt" "$run/"
inside="/srv/$(basename "$run")"

# DeprecationWarnings are errors: the pinned FastAPI deprecates APIs the app
# must not rely on when it moves on.
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
	sh -c "cd '$inside' && exec python3 -m pytest -q -p no:cacheprovider -W error::DeprecationWarning \"\$@\"" sh "${pytest_args[@]:-tests}"
