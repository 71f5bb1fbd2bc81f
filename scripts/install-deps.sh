#!/usr/bin/env bash
# Installs what the tests and scanners need and a fresh Debian machine lacks:
# the Debian packages below (apt, as root or through sudo), the Go modules and
# the pinned cdktf CLI (npm ci). Safe to run again: it installs only what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
	ansible ansible-lint yamllint  # Ansible layer and its linters
	debootstrap debian-archive-keyring  # the chroot idempotence test, the model server's Debian 13 root
	shellcheck bats                # scripts and their tests
	python3-pytest python3-yaml    # Python tests (the model server's run in a Debian 13 root: docker/ai_model_server/tests/run.sh)
	nginx-light python3-werkzeug   # Odoo's local proxy, run for real (ansible/tests/test_odoo_proxy.py)
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "install-deps: apt-get install ${missing[*]}"
	sudo=()
	[[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
	echo "install-deps: npm ci"
	npm ci --no-audit --no-fund --loglevel=error
fi
GONOSUMDB="${GONOSUMDB:-github.com/cdktf}" go mod download
