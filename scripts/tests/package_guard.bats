#!/usr/bin/env bats
# scripts/package-guard.sh against a fake dpkg-query that prints what dpkg's
# own `dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n'` prints:
# "ii " for an installed package, "rc " for one removed with its
# configuration left (not installed), then the package name.

bats_require_minimum_version 1.5.0

REPO="$BATS_TEST_DIRNAME/../.."

setup() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	export DB="$BATS_TEST_TMPDIR/dpkg-status"
	cat >"$BATS_TEST_TMPDIR/bin/dpkg-query" <<'SH'
#!/bin/sh
[ "$1" = "-W" ] && [ "$2" = '-f=${db:Status-Abbrev} ${binary:Package}\n' ] || { echo "fake dpkg-query: unexpected arguments: $*" >&2; exit 2; }
cat "$DB"
SH
	chmod +x "$BATS_TEST_TMPDIR/bin/dpkg-query"
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	printf 'ii  bash\nii  postgresql-client\nrc  old-thing\n' >"$DB"
}

@test "nothing installed after the record: passes" {
	run "$REPO/scripts/package-guard.sh" record "$BATS_TEST_TMPDIR/after-deps"
	[ "$status" -eq 0 ]
	run "$REPO/scripts/package-guard.sh" check "$BATS_TEST_TMPDIR/after-deps"
	[ "$status" -eq 0 ]
	[[ "$output" == *"the tests installed no Debian package"* ]]
}

@test "a package a test installed: fails, naming it and the fix" {
	"$REPO/scripts/package-guard.sh" record "$BATS_TEST_TMPDIR/after-deps"
	printf 'ii  bash\nii  postgresql-client\nii  zstd\nrc  old-thing\n' >"$DB"
	run "$REPO/scripts/package-guard.sh" check "$BATS_TEST_TMPDIR/after-deps"
	[ "$status" -eq 1 ]
	[[ "$output" == *"  zstd"* && "$output" == *"DEBIAN_PACKAGES in scripts/install-deps.sh"* ]]
	[[ "$output" != *old-thing* && "$output" != *"  bash"* ]]
}

@test "a removed package is not installed" {
	printf 'ii  bash\nrc  postgresql-client\n' >"$DB"
	"$REPO/scripts/package-guard.sh" record "$BATS_TEST_TMPDIR/after-deps"
	grep -qx bash "$BATS_TEST_TMPDIR/after-deps"
	! grep -q postgresql-client "$BATS_TEST_TMPDIR/after-deps"
}

@test "check without a record: usage error" {
	run "$REPO/scripts/package-guard.sh" check "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 2 ]
	[[ "$output" == *"run 'record' after make deps first"* ]]
}
