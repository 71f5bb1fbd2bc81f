#!/usr/bin/env bash
# The app_databases role against PostgreSQL as RDS is (tests/services.sh):
# TLS only with a CA made for the run, a master user that is not a superuser
# (CREATEROLE, CREATEDB, member of rds_superuser). The role runs with the
# variables the real inventory gives (db_host, db_master_credentials, the
# application passwords, the CA), then:
#   1st run: creates the roles and databases;  2nd run: changed=0;
#   each application role connects over verify-full TLS and is refused
#   everything that is not its own (PostgreSQL's own error messages);
#   a rotated password is applied (changed), then changed=0 again.
# Needs root.
#
# usage: tests/app_databases.sh [SERVER_BIN_DIR]     (from anywhere)
#   without an argument: against Debian's PostgreSQL (15) and RDS's major
#   version (16, scripts/install-postgres.sh), at the same time.
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
case "${1:-}" in
-h | --help) usage; exit 0 ;;
-*) usage_error "unknown option $1" ;;
esac
(($# <= 1)) || usage_error "one SERVER_BIN_DIR at most"
cd "$(dirname "$0")/.."

if (($# == 0)); then
	# Both at once (each has its own directory and ports): CI's critical path.
	debian_bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -1)"
	rds_bin="$(../scripts/install-postgres.sh)"
	[[ -n "$debian_bin" && -n "$rds_bin" ]] || { echo "app_databases: PostgreSQL missing (make deps)" >&2; exit 1; }
	logs="$(mktemp -d)"
	trap 'rm -rf "$logs"' EXIT
	"$0" "$debian_bin" >"$logs/15" 2>&1 &
	debian=$!
	"$0" "$rds_bin" >"$logs/16" 2>&1 &
	rds=$!
	rc=0
	wait "$debian" || rc=1
	wait "$rds" || rc=1
	cat "$logs/15" "$logs/16"
	exit "$rc"
fi

# shellcheck source=ansible/tests/services.sh
source tests/services.sh
trap services_cleanup EXIT

started=$(date +%s)
services_init
pg_start "$1"

work="$SERVICES_DIR/ansible"
mkdir -p "$work"
chmod 0700 "$work"
odoo_password="$(random_secret)"
n8n_password="$(random_secret)"

# write_vars FILE ODOO_PASSWORD [CONNECTION_LIMIT]: the inventory's
# variables, local values.
write_vars() {
	/usr/bin/python3 - "$1" "$2" "${3:-200}" <<-EOF
		import json, os, sys
		path, odoo_password, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
		v = {
		    "db_host": "$PG_HOST",
		    "db_master_credentials": {"username": "$PG_MASTER_USER", "password": "$PG_MASTER_PASSWORD"},
		    # group_vars/all builds this from the stack's app_databases
		    # output and Secrets Manager; here, the same shape with local values.
		    "app_databases": [
		        {"name": "odoo", "owner": "odoo", "password": odoo_password},
		        {"name": "n8n", "owner": "n8n", "password": "$n8n_password"},
		    ],
		    # rds_ca installs this run's CA where the real one goes on a server.
		    "rds_ca_url": "file://$SERVICES_CA",
		    "rds_ca_checksum": "sha256:$(sha256sum "$SERVICES_CA" | cut -d' ' -f1)",
		    "rds_ca_path": "$work/rds-ca-bundle.pem",
		    "app_databases_port": $PG_PORT,
		}
		if limit != 200:
		    v["app_databases_connection_limit"] = limit
		fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
		os.write(fd, json.dumps(v).encode())
	EOF
}
printf 'rds-client ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' >"$work/inventory.ini"

run=0
# converge: runs the role, prints its recap, sets RECAP.
converge() {
	run=$((run + 1))
	local log="$work/run$run.log"
	if ! ANSIBLE_ROLES_PATH="$PWD/roles" ANSIBLE_CALLBACKS_ENABLED='' ansible-playbook -i "$work/inventory.ini" \
		-e "@$work/vars.json" tests/app_databases.yml >"$log" 2>&1; then
		tail -40 "$log" >&2
		check_fail "run $run of the role failed"
		checks_summary app_databases
	fi
	RECAP="$(grep -A1 'PLAY RECAP' "$log" | tail -1)"
	echo "  run $run: ${RECAP#*: }"
}
changed_tasks() { grep -B1 '^changed' "$work/run$run.log" | grep '^TASK' | sed 's/^TASK \[\(.*\)\].*/\1/' || true; }

echo "==> app_databases on PostgreSQL $PG_VERSION: first run (creates)"
write_vars "$work/vars.json" "$odoo_password"
converge
if [[ "$RECAP" =~ changed=[1-9] ]]; then check_pass "first run changed something"; else check_fail "first run changed nothing" "$RECAP"; fi

echo "==> app_databases: second run (must change nothing)"
converge
if [[ "$RECAP" =~ changed=0[[:space:]] && "$RECAP" =~ failed=0[[:space:]] ]]; then
	check_pass "second run: changed=0"
else
	check_fail "second run is not idempotent" "$(changed_tasks)"
fi

echo "==> what the role made, seen by the server"
check_ok "the master user is not a superuser (as on RDS)" \
	pg_as "$PG_MASTER_USER" "$PG_MASTER_PASSWORD" postgres -tAc \
	"DO \$\$ BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN RAISE 'superuser'; END IF; END \$\$"
for app in odoo n8n; do
	attrs="$(pg_superuser_sql postgres -tAc "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = '$app'")"
	if [[ "$attrs" == "f|f|f|f|f|t|200" ]]; then check_pass "$app: LOGIN only, connection limit 200"; else check_fail "$app role attributes" "$attrs"; fi
	member_of="$(pg_superuser_sql postgres -tAc "SELECT string_agg(g.rolname, ',') FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = '$app'")"
	if [[ -z "$member_of" ]]; then check_pass "$app is a member of no role"; else check_fail "$app is a member of $member_of"; fi
	owner="$(pg_superuser_sql postgres -tAc "SELECT pg_get_userbyid(datdba) || ' ' || pg_encoding_to_char(encoding) || ' ' || datcollate FROM pg_database WHERE datname = '$app'")"
	if [[ "$owner" == "$app UTF8 C.UTF-8" ]]; then check_pass "database $app: owner $app, UTF8, C.UTF-8"; else check_fail "database $app" "$owner"; fi
done

echo "==> least privilege: each application role connects over verify-full TLS"
declare -A password=([odoo]="$odoo_password" [n8n]="$n8n_password")
for app in odoo n8n; do
	other=$([[ "$app" == odoo ]] && echo n8n || echo odoo)
	pw="${password[$app]}"
	check_ok "$app creates a table in its own database's public schema" \
		pg_as "$app" "$pw" "$app" -c "CREATE TABLE lp_probe (id int); DROP TABLE lp_probe;"
	check_refused "$app connects to the $other database" \
		"permission denied for database \"$other\"" pg_as "$app" "$pw" "$other" -c "SELECT 1"
	check_refused "$app creates a table in the postgres database's public schema" \
		"permission denied for schema public" pg_as "$app" "$pw" postgres -c "CREATE TABLE lp_probe (id int)"
	check_refused "$app creates a database" "permission denied to create database" \
		pg_as "$app" "$pw" "$app" -c "CREATE DATABASE lp_probe"
	check_refused "$app creates a role" "permission denied to create role" \
		pg_as "$app" "$pw" "$app" -c "CREATE ROLE lp_probe"
	check_refused "$app takes the master user's role" "permission denied to set role \"$PG_MASTER_USER\"" \
		pg_as "$app" "$pw" "$app" -c "SET ROLE $PG_MASTER_USER"
	check_refused "$app connects without TLS (rds.force_ssl)" "no encryption" \
		pg_as_plaintext "$app" "$pw" "$app" -c "SELECT 1"
done
check_refused "verify-full checks the server's name (cert is for localhost, not 127.0.0.1)" \
	"does not match host name \"127.0.0.1\"" pg_as_by_ip odoo "$odoo_password" odoo -c "SELECT 1"
check_refused "a wrong password" "password authentication failed for user \"odoo\"" \
	pg_as odoo "not-$odoo_password" odoo -c "SELECT 1"

echo "==> second day: the odoo password is rotated, the connection limit lowered"
new_odoo_password="$(random_secret)"
write_vars "$work/vars.json" "$new_odoo_password" 150
converge
if [[ "$RECAP" =~ changed=2[[:space:]] && "$RECAP" =~ failed=0[[:space:]] ]]; then
	check_pass "two changes: $(changed_tasks | tr '\n' ',')"
else
	check_fail "rotating the password" "$RECAP"$'\n'"$(changed_tasks)"
fi
check_ok "odoo logs in with the new password" pg_as odoo "$new_odoo_password" odoo -c "SELECT 1"
check_refused "odoo's old password" "password authentication failed for user \"odoo\"" \
	pg_as odoo "$odoo_password" odoo -c "SELECT 1"
limits="$(pg_superuser_sql postgres -tAc "SELECT string_agg(rolconnlimit::text, ',') FROM pg_roles WHERE rolname IN ('odoo', 'n8n')")"
if [[ "$limits" == "150,150" ]]; then check_pass "connection limit now 150 for both roles"; else check_fail "connection limits" "$limits"; fi
check_ok "n8n's password is untouched" pg_as n8n "$n8n_password" n8n -c "SELECT 1"
converge
if [[ "$RECAP" =~ changed=0[[:space:]] && "$RECAP" =~ failed=0[[:space:]] ]]; then
	check_pass "after the rotation: changed=0"
else
	check_fail "after the rotation, not idempotent" "$(changed_tasks)"
fi

echo "PostgreSQL $PG_VERSION: $(($(date +%s) - started))s"
checks_summary "app_databases (PostgreSQL $PG_VERSION)"
