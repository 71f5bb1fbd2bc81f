#!/usr/bin/env bash
# First-time bootstrap of the Terraform state bucket (once per AWS account):
#   1. deploy the state-bootstrap stack with its local backend;
#   2. set Account.StateBootstrapped in environments/account.go;
#   3. synthesize again (the stack now has an S3 backend) and migrate its
#      local state into the bucket with `terraform init -migrate-state`;
#   4. keep the local state file as a backup under logs/.
#
# usage: scripts/bootstrap_state.sh [--auto-approve]
#
# Afterwards, commit environments/account.go. Exit codes: 0 done; 1 a step
# failed; 2 bad usage; 3 refused (no confirmation, or already bootstrapped).
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"
auto=0
while (($#)); do
	case "$1" in
	--auto-approve) auto=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument $1" ;;
	esac
	shift
done
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

ACCOUNT_GO=environments/account.go
LOCAL_STATE=terraform.state-bootstrap.tfstate
STACK_DIR="${INFLUENCEGEN_OUTDIR:-cdktf.out}/stacks/state-bootstrap"

if grep -q 'StateBootstrapped: *true' "$ACCOUNT_GO"; then
	echo "the state bucket is already bootstrapped (StateBootstrapped is true in $ACCOUNT_GO)" >&2
	exit "$EXIT_REFUSED"
fi

start_log bootstrap-state
step validate "${APP[@]}" validate
step synth "${CDKTF[@]}" synth
if [[ "$auto" -ne 1 ]]; then
	confirm state-bootstrap "create the state bucket and its KMS key with" || exit "$EXIT_REFUSED"
fi
step deploy "${CDKTF[@]}" deploy state-bootstrap --auto-approve
[[ -s "$LOCAL_STATE" ]] || { echo "no local state at $LOCAL_STATE after the deploy" >&2; exit "$EXIT_STEP_FAILED"; }

step mark-bootstrapped sed -i 's/^\(\t\tStateKMSAlias: .*\)$/\1\n\t\tStateBootstrapped: true,/' "$ACCOUNT_GO"
grep -q 'StateBootstrapped: true' "$ACCOUNT_GO" || { echo "could not set StateBootstrapped in $ACCOUNT_GO: set it by hand and rerun the migration" >&2; exit "$EXIT_STEP_FAILED"; }
step gofmt gofmt -w "$ACCOUNT_GO"
step resynth "${CDKTF[@]}" synth
step migrate in_dir "$STACK_DIR" "${TERRAFORM[@]}" init -migrate-state -force-copy -input=false
step verify-state in_dir "$STACK_DIR" "${TERRAFORM[@]}" state list
in_dir "$STACK_DIR" "${TERRAFORM[@]}" state list | grep -q '^module\|aws_s3_bucket' || { echo "the migrated state holds no state bucket: check before deleting anything" >&2; exit "$EXIT_STEP_FAILED"; }
backup="logs/$LOCAL_STATE.$(date -u +%Y%m%dT%H%M%SZ).bak"
mv "$LOCAL_STATE" "$backup"
rm -f "$LOCAL_STATE.backup"
log "state migrated to the bucket; local copy kept at $backup (delete it once you have checked)"
log "now commit $ACCOUNT_GO (StateBootstrapped: true)"
