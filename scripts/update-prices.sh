#!/usr/bin/env bash
# Refreshes the price table of `go run . cost` from the AWS Price List API:
# the on-demand price of every EC2 instance type, RDS instance class and
# ElastiCache node type the environments use, and of gp3 storage, in each
# region they run in. What to ask comes from `go run . cost --price-queries`;
# every other price in the table is kept as it is (check those against the
# offer files each section names). Review with `git diff cost/prices.json`
# and `go run . cost`.
#
# usage: scripts/update-prices.sh [--file FILE]
#
#   --file FILE   the table to refresh, in place (default: cost/prices.json)
#
# Needs the AWS CLI v2 and credentials of any AWS account allowed
# pricing:GetProducts (list prices are the same for every account); it asks
# the Price List API's us-east-1 endpoint. Without credentials it refuses
# and changes nothing. Each query must match exactly one product with one
# on-demand price in the expected unit: any other answer fails the run,
# names the query and writes nothing. A refreshed section gets today's date
# as its as_of, and each price its SKU and effective date.
#
# Exit codes: 0 written; 1 a query failed or did not answer one price;
#             2 bad usage; 3 refused (no usable AWS credentials).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"

file=""
while (($#)); do
	case "$1" in
	--file)
		[[ $# -ge 2 && -n "$2" ]] || usage_error "--file needs a file"
		file="$2"
		shift
		;;
	-h | --help) usage; exit 0 ;;
	-*) usage_error "unknown option $1" ;;
	*) usage_error "unexpected argument $1" ;;
	esac
	shift
done
# A relative --file is relative to where the user is, not the repository.
[[ -z "$file" || "$file" == /* ]] || file="$PWD/$file"
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
file="${file:-$PWD/cost/prices.json}"
[[ -f "$file" ]] || { echo "no price table at $file" >&2; exit "$EXIT_USAGE"; }

# The Price List API answers at these endpoints only; us-east-1 is the one
# its documentation uses.
readonly PRICING_REGION=us-east-1
command -v aws >/dev/null || {
	echo "the AWS CLI (v2) is not installed: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" >&2
	exit "$EXIT_STEP_FAILED"
}
# The user's CLI configuration must not change the answers' shape.
export AWS_PAGER="" AWS_DEFAULT_OUTPUT=json

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! aws sts get-caller-identity --region "$PRICING_REGION" --output json >"$work/identity.json" 2>"$work/identity.err"; then
	{
		echo "refusing: no usable AWS credentials, so the Price List API cannot be asked; nothing was changed."
		echo "  aws sts get-caller-identity: $(tr '\n' ' ' <"$work/identity.err")"
		echo "  fix: credentials of any account with pricing:GetProducts (aws configure, aws sso login, or AWS_PROFILE), then run again"
	} >&2
	exit "$EXIT_REFUSED"
fi

"${APP[@]}" cost --price-queries >"$work/queries.json" || {
	echo "cannot list the prices to fetch (${APP[*]} cost --price-queries)" >&2
	exit "$EXIT_STEP_FAILED"
}
/usr/bin/env python3 scripts/update_prices.py queries "$work/queries.json" >"$work/queries.tsv"

failed=() asked=0
while IFS=$'\t' read -r -a query; do
	filters=()
	for f in "${query[@]:2}"; do filters+=("Type=TERM_MATCH,$f"); done
	asked=$((asked + 1))
	if ! aws pricing get-products --region "$PRICING_REGION" --service-code "${query[1]}" --format-version aws_v1 \
		--filters "${filters[@]}" --output json >"$work/answer-${query[0]}.json" 2>"$work/answer-${query[0]}.err"; then
		failed+=("aws pricing get-products --service-code ${query[1]} ${query[*]:2}: $(tr '\n' ' ' <"$work/answer-${query[0]}.err")")
	fi
done <"$work/queries.tsv"
if ((${#failed[@]})); then
	echo "update-prices: ${#failed[@]} of $asked Price List queries failed; nothing was changed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit "$EXIT_STEP_FAILED"
fi

if ! /usr/bin/env python3 scripts/update_prices.py merge "$file" "$work/queries.json" "$work" "$(date -u +%Y-%m-%d)" >"$work/prices.json"; then
	echo "update-prices: nothing was changed" >&2
	exit "$EXIT_STEP_FAILED"
fi
cp "$work/prices.json" "$file"
echo "update-prices: $asked prices asked of the Price List API, written to $file; review: git diff -- $file && go run . cost"
