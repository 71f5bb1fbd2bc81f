#!/usr/bin/env bash
# odoo_setup's checkout (tasks/source.yml, after the pin check in
# tasks/preflight.yml) against a local bare repository shaped like Odoo's:
# a default branch (master) and a release branch (18.0) whose commits are not
# on master. Staging and production pin a commit; dev follows the branch.
#   SHA pin: checks out, re-run changed=0, moved pin: changed and at the new
#   commit, a branch refused outside dev; branch (dev): checks out, re-run
#   changed=0, a new commit on the branch is pulled.
# Needs root (the task becomes the odoo user; the test creates one).
#
# usage: tests/odoo_checkout.sh            (from anywhere)
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
no_arguments "$@"
cd "$(dirname "$0")/.."
# shellcheck source=ansible/tests/services.sh
source tests/services.sh

require_root "becomes the odoo user"
started=$(date +%s)
work="$(mktemp -d /tmp/influencegen-odoo-checkout.XXXXXX)"
user="igodoo$$"
cleanup() {
	userdel "$user" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"
useradd --system --home-dir "$work/home" --create-home --shell /usr/sbin/nologin "$user"

# The upstream repository: master (default branch), 18.0 forked from it with
# two commits of its own.
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
git init -q --bare -b master "$work/odoo.git"
git init -q -b master "$work/upstream"
commit() { echo "$1" >"$work/upstream/release.txt" && git -C "$work/upstream" add release.txt && git -C "$work/upstream" commit -qm "$1" && git -C "$work/upstream" rev-parse HEAD; }
commit "master base" >/dev/null
git -C "$work/upstream" checkout -q -b 18.0
sha_a="$(commit "18.0 first")"
sha_b="$(commit "18.0 second")"
git -C "$work/upstream" checkout -q master
commit "master moved on" >/dev/null
# The odoo user reads the repository as a remote; it owns it, or git refuses
# ("dubious ownership"): the test's pushes as root trust it through a
# global config of their own (receive-pack reads no -c option).
mkdir -p "$work/pusher"
git config --file "$work/pusher/.gitconfig" safe.directory "$work/odoo.git"
push() { HOME="$work/pusher" git -C "$work/upstream" push -q "$work/odoo.git" "$@"; }
chown -R "$user" "$work/odoo.git"
push master 18.0
printf 'odoo-host ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' >"$work/inventory.ini"

run=0
# checkout REF ALLOW_BRANCH DEST: runs the task files; sets RECAP and LOG.
checkout() {
	run=$((run + 1))
	LOG="$work/run$run.log"
	# rds_ca, the role's dependency, installs a stand-in CA into the work dir.
	/usr/bin/python3 -c 'import json,sys; print(json.dumps(dict(odoo_repo=sys.argv[1], odoo_git_ref=sys.argv[2], odoo_allow_branch_ref=sys.argv[3]=="true", odoo_user=sys.argv[4], odoo_source_dir=sys.argv[5], odoo_manage_services=False, rds_ca_url="file://" + sys.argv[6], rds_ca_path=sys.argv[7], rds_ca_checksum="sha256:" + sys.argv[8])))' \
		"file://$work/odoo.git" "$1" "$2" "$user" "$3" /etc/ssl/certs/ca-certificates.crt "$work/rds-ca.pem" \
		"$(sha256sum /etc/ssl/certs/ca-certificates.crt | cut -d' ' -f1)" >"$work/vars.json"
	ANSIBLE_ROLES_PATH="$PWD/roles" ansible-playbook -i "$work/inventory.ini" -e @tests/vars/odoo_inputs.yml -e "@$work/vars.json" tests/odoo_checkout.yml >"$LOG" 2>&1 || true
	RECAP="$(grep -A1 'PLAY RECAP' "$LOG" | tail -1)"
}
# expect DESCRIPTION changed|ok|refused: what the checkout task reported
# (rds_ca, the role's dependency, installs its CA on the first run).
expect() {
	local got
	got="$(awk '/^TASK \[odoo_setup : Check out the Odoo source/ {t=1; next} t && /^(ok|changed|fatal|skipping):/ {sub(/:.*/, ""); print; exit}' "$LOG")"
	[[ -n "$got" ]] || got="$(grep -q 'staging and production run a pinned commit' "$LOG" && echo refused || echo "not run")"
	if [[ "$got" == "$2" && ("$2" == refused || "$RECAP" =~ failed=0[[:space:]]) && ("$2" != ok || "$RECAP" =~ changed=0[[:space:]]) ]]; then
		check_pass "$1 ($2)"
	else
		check_fail "$1: expected $2, got $got" "$RECAP"$'\n'"$(grep -E '^(fatal|failed)' "$LOG" | cut -c1-400)"
	fi
}
at_commit() { # at_commit DEST SHA: the working tree is that commit, clean, owned by the odoo user
	local head owner
	head="$(git -C "$1" -c safe.directory='*' rev-parse HEAD 2>/dev/null || true)"
	owner="$(stat -c %U "$1/release.txt" 2>/dev/null || true)"
	if [[ "$head" == "$2" && "$owner" == "$user" && -z "$(git -C "$1" -c safe.directory='*' status --porcelain)" ]]; then
		check_pass "  $(basename "$1") is at ${2:0:10} ($(cat "$1/release.txt")), owned by the odoo user"
	else
		check_fail "$(basename "$1") is at ${head:-nothing} owned by ${owner:-nobody}, not ${2:0:10}"
	fi
}

echo "==> staging/production: a commit of 18.0 (not on the default branch)"
checkout "$sha_a" false "$work/home/pinned"
expect "checkout at the pinned commit" changed
at_commit "$work/home/pinned" "$sha_a"
checkout "$sha_a" false "$work/home/pinned"
expect "same pin again" ok
checkout "$sha_b" false "$work/home/pinned"
expect "pin moved to the next commit" changed
at_commit "$work/home/pinned" "$sha_b"
checkout "$sha_b" false "$work/home/pinned"
expect "same pin again" ok
checkout "$sha_a" false "$work/home/pinned"
expect "pin moved back (a rollback)" changed
at_commit "$work/home/pinned" "$sha_a"
checkout 18.0 false "$work/home/pinned"
expect "a branch outside dev is refused, naming odoo_git_ref" refused
at_commit "$work/home/pinned" "$sha_a"

echo "==> dev: the 18.0 branch"
checkout 18.0 true "$work/home/dev"
expect "checkout of the branch" changed
at_commit "$work/home/dev" "$sha_b"
checkout 18.0 true "$work/home/dev"
expect "same branch again" ok
git -C "$work/upstream" checkout -q 18.0
sha_c="$(commit "18.0 third")"
push 18.0
checkout 18.0 true "$work/home/dev"
expect "a new commit on the branch is pulled" changed
at_commit "$work/home/dev" "$sha_c"

echo "odoo checkout: $(($(date +%s) - started))s"
checks_summary odoo_checkout
