#!/usr/bin/env bats
# Every script answers -h/--help with its usage on stdout and exit 0, and
# does nothing else; an unknown option exits 2 with the usage on stderr.
# The scripts run from a scratch copy of the repository, with every command
# that could change something (apt-get, sudo, npm, go, terraform, ansible,
# docker, ...) replaced by a shim that records the call.

bats_require_minimum_version 1.5.0

REPO="$BATS_TEST_DIRNAME/../.."

# The scripts: every shell script of the repository but the sourced
# libraries, listed afresh (before PATH is narrowed) so that a new script is
# covered too.
setup_file() {
	(cd "$REPO" && git ls-files --cached --others --exclude-standard -- 'scripts/*.sh' '.ci/run' 'ansible/tests/*.sh' 'docker/*/tests/*.sh' |
		grep -v -e '^scripts/lib.sh$' -e '^scripts/usage.sh$' -e '^ansible/tests/services.sh$' | sort) >"$BATS_FILE_TMPDIR/scripts"
}
scripts() { cat "$BATS_FILE_TMPDIR/scripts"; }

setup() {
	WORK="$BATS_TEST_TMPDIR/repo"
	mkdir -p "$WORK" "$BATS_TEST_TMPDIR/shims" "$BATS_TEST_TMPDIR/home"
	(cd "$REPO" && git ls-files -z --cached --others --exclude-standard -- scripts .ci ansible/tests docker/ai_model_server/tests | tar --null -c -T - | tar -x -C "$WORK")
	[ -s "$BATS_FILE_TMPDIR/scripts" ]
	export CALLS="$BATS_TEST_TMPDIR/calls"
	: >"$CALLS"
	for c in apt-get sudo dpkg-query npm npx node go terraform ansible ansible-playbook ansible-inventory \
		ansible-lint yamllint docker aws debootstrap mount umount bats shellcheck curl python3; do
		printf '#!/bin/sh\necho "%s $*" >>"$CALLS"\nexit 97\n' "$c" >"$BATS_TEST_TMPDIR/shims/$c"
		chmod +x "$BATS_TEST_TMPDIR/shims/$c"
	done
	# Only the shims and the basic utilities the usage code needs.
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	for u in bash sh awk cat dirname basename env mkdir rm sed grep date tee id mktemp; do
		ln -sf "$(command -v "$u")" "$BATS_TEST_TMPDIR/bin/$u"
	done
	export PATH="$BATS_TEST_TMPDIR/shims:$BATS_TEST_TMPDIR/bin"
	export HOME="$BATS_TEST_TMPDIR/home" TOOLS_DIR="$BATS_TEST_TMPDIR/tools"
	unset CDKTF INFLUENCEGEN_APP ANSIBLE_PLAYBOOK TERRAFORM
}

# snapshot: every path under the scratch repository, the home and the tools dir.
snapshot() { (cd "$BATS_TEST_TMPDIR" && /usr/bin/find repo home tools 2>/dev/null | /usr/bin/sort); }

# shell_lines: lines of the output that look like code rather than text.
shell_lines() { /usr/bin/grep -E '^[[:space:]]*(set -|cd |source |case |esac|fi$|done$|then$|usage\(\)|[a-z_]+\(\) *\{|[A-Za-z_]+=\$|exit [0-9"$]|shellcheck)' <<<"$1" || true; }

@test "the script list is not empty and includes the operations scripts" {
	run scripts
	[[ "$output" == *scripts/deploy_environment.sh* ]]
	[[ "$output" == *scripts/install-deps.sh* ]]
	[[ "$output" == *.ci/run* ]]
	lines=()
	mapfile -t lines <<<"$output"
	[ "${#lines[@]}" -ge 10 ]
}

@test "-h and --help print clean usage, exit 0 and do nothing else" {
	checked=0
	while read -r s; do
		checked=$((checked + 1))
		for flag in -h --help; do
			before="$(snapshot)"
			run --separate-stderr "$WORK/$s" "$flag"
			[ "$status" -eq 0 ] || { echo "$s $flag: exit $status: $stderr"; return 1; }
			[[ "$output" == *"usage:"* ]] || { echo "$s $flag: no 'usage:' line in: $output"; return 1; }
			[ -z "$stderr" ] || { echo "$s $flag: wrote to stderr: $stderr"; return 1; }
			[ -z "$(shell_lines "$output")" ] || { echo "$s $flag: shell code in the usage: $(shell_lines "$output")"; return 1; }
			[ ! -s "$CALLS" ] || { echo "$s $flag: ran $(cat "$CALLS")"; return 1; }
			[ "$(snapshot)" = "$before" ] || { echo "$s $flag: changed files: $(diff <(echo "$before") <(snapshot))"; return 1; }
		done
	done < <(scripts)
	[ "$checked" -ge 10 ]
}

@test "an unknown option exits 2 with the usage on stderr and does nothing" {
	checked=0
	while read -r s; do
		checked=$((checked + 1))
		run --separate-stderr "$WORK/$s" --no-such-option
		[ "$status" -eq 2 ] || { echo "$s --no-such-option: exit $status, output: $output $stderr"; return 1; }
		[[ "$stderr" == *"--no-such-option"* && "$stderr" == *"usage:"* ]] || { echo "$s: stderr does not name the option and show the usage: $stderr"; return 1; }
		[ ! -s "$CALLS" ] || { echo "$s --no-such-option: ran $(cat "$CALLS")"; return 1; }
	done < <(scripts)
	[ "$checked" -ge 10 ]
}

@test "the shell-code detector catches the old sed-based usage" {
	# The usage the scripts printed before: a fixed line range of the file
	# that ran into the code.
	old="$(/usr/bin/sed -n '2,30p' "$REPO/scripts/destroy_environment.sh" | /usr/bin/sed 's/^# \{0,1\}//')"
	[ -n "$(shell_lines "$old")" ]
}

@test "install-deps --synth-only runs npm ci and go mod download only: no apt-get, no sudo" {
	/usr/bin/cp "$REPO/.nvmrc" "$REPO/package.json" "$REPO/package-lock.json" "$WORK/"
	for c in npm go; do
		printf '#!/bin/sh\necho "%s $*" >>"$CALLS"\n' "$c" >"$BATS_TEST_TMPDIR/shims/$c"
	done
	printf '#!/bin/sh\necho "node $*" >>"$CALLS"\necho %s\n' "$(/usr/bin/cat "$REPO/.nvmrc")" >"$BATS_TEST_TMPDIR/shims/node"
	run --separate-stderr "$WORK/scripts/install-deps.sh" --synth-only
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(grep -v '^node ' "$CALLS")" = "npm ci --no-audit --no-fund --loglevel=error
go mod download" ]
	# and the full install does reach for apt
	run "$WORK/scripts/install-deps.sh"
	grep -qE '^(dpkg-query|apt-get|sudo)' "$CALLS"
}

@test "install-deps --synth-only warns when Node.js is not the .nvmrc version" {
	/usr/bin/cp "$REPO/.nvmrc" "$REPO/package.json" "$REPO/package-lock.json" "$WORK/"
	for c in npm go; do printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/shims/$c"; done
	printf '#!/bin/sh\necho 99\n' >"$BATS_TEST_TMPDIR/shims/node"
	run --separate-stderr "$WORK/scripts/install-deps.sh" --synth-only
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Node.js 99 here, the project supports $(cat "$REPO/.nvmrc") (.nvmrc)"* ]]
}

@test "install-deps without apt names the missing test tools and installs nothing" {
	/usr/bin/cp "$REPO/.nvmrc" "$REPO/package.json" "$REPO/package-lock.json" "$WORK/"
	/usr/bin/rm "$BATS_TEST_TMPDIR/shims/dpkg-query" "$BATS_TEST_TMPDIR/shims/apt-get" "$BATS_TEST_TMPDIR/shims/sudo"
	for c in npm go ansible-playbook ansible-lint yamllint shellcheck; do printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/shims/$c"; done
	/usr/bin/rm "$BATS_TEST_TMPDIR/shims/bats"
	run --separate-stderr "$WORK/scripts/install-deps.sh"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not a Debian system"*"missing: bats"* ]]
	[[ "$stderr" == *'"Test tools"'* ]]
	printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/shims/bats"
	run "$WORK/scripts/install-deps.sh"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}
