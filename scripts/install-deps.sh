#!/usr/bin/env bash
# Installs what the project needs and a fresh machine lacks. Safe to run
# again: it installs only what is missing.
#
# usage: scripts/install-deps.sh [--synth-only]
#
#   (no option)    everything `make test` needs: the synth part below, then the
#                  Debian test tools (apt-get, as root or through sudo):
#                  ansible, ansible-lint, yamllint, debootstrap, systemd-nspawn,
#                  boto3, shellcheck,
#                  bats, the model server's Python test packages, and the
#                  services the roles are tested against (PostgreSQL, Redis)
#   --synth-only   only what `make synth` needs: the Go modules (go mod
#                  download) and the pinned cdktf CLI (npm ci). Needs Go, Node.js
#                  and npm; no root, no apt: works on macOS, Fedora, anywhere.
#
# On a system without apt-get the test tools are not installed: the script
# names the missing ones (README.md, "Test tools", says where to get them).
# Exit codes: 0 done; 1 a tool is missing or an install failed; 2 bad usage.
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"
synth_only=0
while (($#)); do
	case "$1" in
	--synth-only) synth_only=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument $1" ;;
	esac
	shift
done
cd "$(dirname "$0")/.."

die() { echo "install-deps: $*" >&2; exit 1; }

# --- synth: Go modules and the pinned cdktf CLI --------------------------------
for tool in go node npm; do
	command -v "$tool" >/dev/null || die "$tool is not installed: make synth needs Go, Node.js and npm (README.md, Prerequisites)"
done
want_node="$(cat .nvmrc)"
have_node="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo unknown)"
if [[ "$have_node" != "$want_node" ]]; then
	echo "install-deps: warning: Node.js $have_node here, the project supports $want_node (.nvmrc): the cdktf CLI's node-pty has no prebuilt binary for other versions, so npm ci may try to compile it" >&2
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
	echo "install-deps: npm ci"
	npm ci --no-audit --no-fund --loglevel=error
fi
GONOSUMDB="${GONOSUMDB:-github.com/cdktf}" go mod download
((synth_only)) && exit 0

# --- test tools: Debian packages -----------------------------------------------
DEBIAN_PACKAGES=(
	ansible ansible-lint yamllint  # Ansible layer and its linters
	debootstrap debian-archive-keyring  # the chroot idempotence test, the model server's Debian 13 root
	systemd-container python3-boto3 python3-botocore  # site.yml over the Session Manager plugin (ansible/tests/converge_ssm.sh)
	shellcheck bats                # scripts and their tests
	python3-pytest python3-yaml    # Python tests (the model server's run in a Debian 13 root: docker/ai_model_server/tests/run.sh)
	nginx-light python3-werkzeug   # Odoo's local proxy, run for real (ansible/tests/test_odoo_proxy.py)
	postgresql redis-server python3-psycopg2 sudo git openssl curl  # roles against real services (ansible/tests/README.md)
	awscli jq                      # Odoo's backup and restore scripts (ansible/tests/odoo_backup.sh)
	# What the roles install when the tests converge them on this machine
	# (app_databases, odoo_setup's backup): installed here, once, so no test
	# runs apt (two converges at once met on the dpkg lock). .ci/run fails
	# when a test installs a package this list lacks (scripts/package-guard.sh).
	postgresql-client
	# Ansible's apt module needs the apt library in its interpreter; when
	# that interpreter cannot import it, it respawns under /usr/bin/python3
	# if that one can, and otherwise runs apt-get update and installs
	# python3-apt itself (ansible/modules/apt.py, probe_interpreters_for_module),
	# which two converges at once met on the apt lock: a machine without it
	# failed app_databases on PostgreSQL 16.
	python3-apt
)
# The commands the packages above provide, checked where there is no apt.
TEST_COMMANDS=(ansible-playbook ansible-lint yamllint shellcheck bats)

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
	missing=()
	for c in "${TEST_COMMANDS[@]}"; do command -v "$c" >/dev/null || missing+=("$c"); done
	# python3-NAME packages: the module NAME for /usr/bin/python3.
	for p in "${DEBIAN_PACKAGES[@]}"; do
		[[ "$p" == python3-* ]] || continue
		module="${p#python3-}"
		/usr/bin/python3 -c "import $module" 2>/dev/null || missing+=("python3 module $module")
	done
	((${#missing[@]} == 0)) || die "not a Debian system, so the test tools are not installed for you; missing: ${missing[*]} (README.md, \"Test tools\", lists them)"
	exit 0
fi

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "install-deps: apt-get install ${missing[*]}"
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
	command -v sudo >/dev/null || die "the test tools need root to install (${missing[*]}): run as root \`apt-get install ${missing[*]}\`, or install sudo"
	sudo=(sudo)
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
