#!/usr/bin/env bash
# Every Ansible quality gate, in order: ansible-lint (production profile),
# yamllint, --syntax-check of every playbook, the template tests, the
# inventory script's and playbook layout tests, then, as root, the chroot
# idempotence test and the roles against real services: app_databases on
# RDS-like PostgreSQL, odoo_setup's checkout on a local git repository, n8n
# main + worker in queue mode, Odoo's backup and restore, the GPU tier's
# models end to end, and site.yml over the real Session Manager connection
# plugin on booted stand-in hosts (tests/README.md).
#
# usage: tests/run.sh [--no-converge]     (from anywhere)
#   --no-converge   skip the root-only tests (chroot, real services)
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
converge=1
case "${1:-}" in
"") ;;
--no-converge) converge=0 ;;
-h | --help) usage; exit 0 ;;
*) usage_error "unknown argument $1" ;;
esac
cd "$(dirname "$0")/.."

step() { printf '\n--- ansible: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "ansible-lint --profile production"
ansible-lint --profile production --offline --nocolor

step "yamllint"
yamllint --strict .

step "syntax check"
for playbook in playbooks/*.yml; do
	ansible-playbook --syntax-check -i inventories/dev/aws_ec2.yml "$playbook"
done

step "template tests"
ansible-playbook -i localhost, -c local tests/render_templates.yml

step "inventory script and playbook layout tests"
/usr/bin/python3 -m pytest -q tests

if ((converge)); then
	step "idempotence (converge twice in a debootstrap'd Debian root)"
	if [[ "$(id -u)" -ne 0 ]]; then
		echo "the idempotence test needs root (chroot); run it as root or with --no-converge" >&2
		exit 1
	fi
	# One debootstrap for the chroot test and the stand-in hosts.
	export ROOTFS_CACHE="${ROOTFS_CACHE:-/var/cache/influencegen/rootfs-bookworm}"
	tests/idempotence.sh

	step "app_databases against RDS-like PostgreSQL (Debian's 15 and RDS's 16)"
	tests/app_databases.sh
	step "odoo_setup's checkout against a local repository (commit pin, dev branch)"
	tests/odoo_checkout.sh
	step "n8n main + worker in queue mode (PostgreSQL 16 over TLS, Redis TLS + AUTH)"
	tests/n8n_queue.sh
	step "Odoo backup and restore (PostgreSQL over TLS, an S3 stand-in with the servers' grant, the AWS CLI)"
	tests/odoo_backup.sh
	step "the GPU tier's models: supply, verify, promote, sync, serve, LoRA upload and withdrawal (S3 stand-in, the AWS CLI, the model server)"
	tests/models.sh
	step "site.yml over the real transport (community.aws aws_ssm, stand-in SSM, S3 and hosts), twice; a runbook; secrets"
	tests/converge_ssm.sh
fi
