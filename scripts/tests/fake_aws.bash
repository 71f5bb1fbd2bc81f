# shellcheck shell=bash
# Shared by the bats files that run a script against the fake AWS CLI
# (fake-aws/aws, answering from fixtures/aws) with the real app built once
# per file: `load fake_aws`, then call these from setup_file and setup.

# fake_aws_setup_file: builds the app the scripts call (INFLUENCEGEN_APP).
fake_aws_setup_file() {
	export REPO="$BATS_TEST_DIRNAME/../.."
	export APP_BIN="$BATS_FILE_TMPDIR/app"
	(cd "$REPO" && go build -o "$APP_BIN" .)
}

# fake_aws_setup: the fake CLI first on PATH, an empty call log in CALLS, and
# no AWS setting or scenario inherited from the caller's environment.
fake_aws_setup() {
	export INFLUENCEGEN_APP="$APP_BIN"
	export FAKE_AWS_FIXTURES="$REPO/scripts/tests/fixtures/aws"
	# The model versions the fixtures' buckets hold, recorded as
	# scripts/models.sh records them (the repository's are empty).
	export INFLUENCEGEN_GROUP_VARS="$REPO/scripts/tests/fixtures/group_vars"
	export CALLS="$BATS_TEST_TMPDIR/calls"
	: >"$CALLS"
	# The project's Python is /usr/bin/python3 (README); a pyenv shim first
	# on PATH would only make every call slower.
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	[[ -x /usr/bin/python3 ]] && ln -sf /usr/bin/python3 "$BATS_TEST_TMPDIR/bin/python3"
	export PATH="$REPO/scripts/tests/fake-aws:$BATS_TEST_TMPDIR/bin:$PATH"
	unset CI FAKE_AWS_SCENARIOS AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE
}

# show: a `run --separate-stderr` result (bats sets output and stderr), for
# a failed assertion's message.
# shellcheck disable=SC2154
show() { printf '%s\n--- stderr\n%s\n' "$output" "$stderr"; }
