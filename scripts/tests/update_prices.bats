#!/usr/bin/env bats
# scripts/update-prices.sh against the fake AWS CLI (scripts/tests/fake-aws/aws),
# whose `pricing get-products` answers as the Price List API does: PriceList
# is a list of JSON strings, filtered by TERM_MATCH over a catalogue
# (scripts/tests/fixtures/aws/<scenario>/pricing/get-products/) that holds
# the products the filters must leave out too (Windows, Dedicated, capacity
# reservations, other regions, Multi-AZ, MySQL, Memcached, Valkey, gp2).
# What to ask comes from the real app (`cost --price-queries`), and the
# refreshed table is read back by the real app (`cost --prices FILE`).
# The repository's cost/prices.json is never written: every run refreshes a
# copy (--file).

bats_require_minimum_version 1.5.0

load fake_aws

setup_file() { fake_aws_setup_file; }

setup() {
	fake_aws_setup
	TABLE="$BATS_TEST_TMPDIR/prices.json"
	cp "$REPO/cost/prices.json" "$TABLE"
	REPO_SUM="$(sha256sum "$REPO/cost/prices.json")"
}

teardown() {
	# Whatever happened, the repository's table is untouched.
	[ "$(sha256sum "$REPO/cost/prices.json")" = "$REPO_SUM" ]
}

update() { run --separate-stderr "$REPO/scripts/update-prices.sh" --file "$TABLE" "$@"; }
unchanged() { cmp -s "$TABLE" "$REPO/cost/prices.json"; }
# item REGION SECTION KEY FIELD: one field of one price of the refreshed table.
item() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["regions"][sys.argv[2]][sys.argv[3]]["items"][sys.argv[4]][sys.argv[5]])' "$TABLE" "$@"; }

@test "without credentials it refuses, asks the Price List nothing and writes nothing" {
	export FAKE_AWS_SCENARIOS=no-credentials
	update
	[ "$status" -eq 3 ] || { show; return 1; }
	[[ "$stderr" == *"refusing: no usable AWS credentials"* ]]
	[[ "$stderr" == *"Unable to locate credentials"* ]]
	[[ "$stderr" == *"fix: credentials of any account with pricing:GetProducts"* ]]
	! grep -q 'pricing get-products' "$CALLS"
	unchanged
}

@test "it refreshes every instance, class, node type and gp3 price from one product each, and the app reads the result" {
	update
	[ "$status" -eq 0 ] || { show; return 1; }
	# One call per query, each to the Price List endpoint, in JSON, TERM_MATCH only.
	queries="$("$APP_BIN" cost --price-queries | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
	[ "$(grep -c '^aws pricing get-products' "$CALLS")" -eq "$queries" ]
	! grep '^aws pricing' "$CALLS" | grep -v -e '--region us-east-1' -e '--output json'
	grep -q -- '--filters Type=TERM_MATCH,Field=regionCode,Value=eu-central-1 Type=TERM_MATCH,Field=instanceType,Value=g5.xlarge Type=TERM_MATCH,Field=productFamily,Value=Compute Instance' "$CALLS"
	# The catalogue's price, SKU and date, not a decoy's (RHEL g5 1.331, Multi-AZ 0.542, Valkey 0.147).
	[ "$(item eu-central-1 ec2_instances g5.xlarge usd)" = 1.271 ]
	[ "$(item eu-central-1 ec2_instances g5.xlarge basis)" = price-list-api ]
	[[ "$(item eu-central-1 ec2_instances g5.xlarge sku)" =~ ^[A-Z0-9]{16}$ ]]
	[ "$(item eu-central-1 ec2_instances g5.xlarge effective_date)" = 2025-01-01 ]
	[ "$(item eu-central-1 ec2_instances m6i.large usd)" = 0.115 ]
	[ "$(item eu-central-1 rds_instances db.r6g.large usd)" = 0.271 ]
	[ "$(item eu-central-1 elasticache_nodes cache.m6g.large usd)" = 0.184 ]
	[ "$(item eu-central-1 ebs gp3 usd)" = 0.0952 ]
	[ "$(item eu-central-1 ebs gp3 unit)" = GB-month ]
	[[ "$stderr" == *"eu-central-1 ec2_instances g5.xlarge: 1.258 (estimated) -> 1.271"* ]] || { show; return 1; }
	# What it does not fetch is kept as it was.
	[ "$(item eu-central-1 nat_gateway hour usd)" = 0.052 ]
	[ "$(item eu-west-1 backup rds_gb basis)" = estimated ]
	# The app reads the new table; the fetched price is used, not marked estimated.
	run --separate-stderr "$APP_BIN" cost --prices "$TABLE" production
	[ "$status" -eq 0 ] || { show; return 1; }
	[[ "$output" =~ servers:\ ai\ \(g5.xlarge\)\ +1460\ +hour\ +1.271\ +1855.66 ]] || { show; return 1; }
}

@test "a second run changes nothing" {
	update
	[ "$status" -eq 0 ] || { show; return 1; }
	cp "$TABLE" "$BATS_TEST_TMPDIR/first.json"
	update
	[ "$status" -eq 0 ] || { show; return 1; }
	cmp "$TABLE" "$BATS_TEST_TMPDIR/first.json"
	[[ "$stderr" == *"no price changed"* ]]
}

@test "two products for one query fail the run, name it and write nothing" {
	export FAKE_AWS_SCENARIOS=pricing-ambiguous
	update
	[ "$status" -eq 1 ] || { show; return 1; }
	[[ "$stderr" == *"eu-central-1 ec2_instances g5.xlarge"*"2 products match, want exactly 1"*"cost/prices.go"* ]] || { show; return 1; }
	[[ "$stderr" == *"nothing was changed"* ]]
	unchanged
}

@test "a type the Price List does not sell fails the run and names it" {
	export FAKE_AWS_SCENARIOS=pricing-missing
	update
	[ "$status" -eq 1 ] || { show; return 1; }
	[[ "$stderr" == *"eu-central-1 rds_instances db.t4g.medium"*"0 products match"* ]] || { show; return 1; }
	unchanged
}

@test "a denied query fails the run with AWS's message" {
	export FAKE_AWS_SCENARIOS=pricing-denied
	update
	[ "$status" -eq 1 ] || { show; return 1; }
	[[ "$stderr" == *"Price List queries failed; nothing was changed"* ]]
	[[ "$stderr" == *"AccessDeniedException"*"pricing:GetProducts"* ]] || { show; return 1; }
	unchanged
}

@test "a table that is not there is a usage error" {
	run --separate-stderr "$REPO/scripts/update-prices.sh" --file "$BATS_TEST_TMPDIR/nope.json"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"no price table at $BATS_TEST_TMPDIR/nope.json"* ]]
	[ ! -s "$CALLS" ]
}
