#!/usr/bin/env bats
# One Node.js version for the project, in .nvmrc: every workflow reads it,
# and it is a version the locked cdktf CLI's terminal library has a
# prebuilt binary for (node-pty: ABI 115 = Node 20 is the newest it ships).

REPO="$BATS_TEST_DIRNAME/../.."

@test ".nvmrc holds one major version" {
	grep -qxE '[0-9]+' "$REPO/.nvmrc"
}

@test "every setup-node step of every workflow reads .nvmrc, none pins its own version" {
	n=0
	for wf in "$REPO"/.github/workflows/*.yml; do
		uses="$(grep -c 'uses: actions/setup-node@' "$wf" || true)"
		files="$(grep -c 'node-version-file: .nvmrc$' "$wf" || true)"
		[ "$uses" -eq "$files" ] || { echo "$wf: $uses setup-node step(s), $files with node-version-file: .nvmrc"; return 1; }
		if grep -nE '^\s*node-version:' "$wf"; then echo "$wf pins node-version"; return 1; fi
		n=$((n + uses))
	done
	[ "$n" -ge 4 ]
}

@test "the cdktf CLI's node-pty has a prebuilt binary for the .nvmrc version" {
	prebuilds="$REPO/node_modules/@cdktf/node-pty-prebuilt-multiarch/prebuilds/linux-x64"
	[ -d "$prebuilds" ] || skip "node_modules not installed (make deps-synth)"
	# Node's ABI (process.versions.modules) per major version.
	declare -A abi=([18]=108 [20]=115 [22]=127 [24]=137)
	major="$(cat "$REPO/.nvmrc")"
	[ -n "${abi[$major]:-}" ] || { echo "no known ABI for Node $major: extend the table"; return 1; }
	[ -f "$prebuilds/node.abi${abi[$major]}.node" ]
	# and the table is right for the Node running here
	here="$(node -p 'process.versions.node.split(".")[0] + " " + process.versions.modules')"
	[ "${abi[${here% *}]:-${here#* }}" = "${here#* }" ]
}
