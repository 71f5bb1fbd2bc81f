#!/usr/bin/env bash
# Odoo's backup and restore, for real: the odoo_setup role installs
# odoo-backup and odoo-restore (tests/odoo_backup.yml: its preflight and
# tasks/backup.yml, odoo.conf from its template, the database and role from
# app_databases) against PostgreSQL as RDS is (tests/services.sh: TLS only,
# a master user that is not a superuser) and a local S3 stand-in that
# enforces the Odoo servers' permissions on the backup bucket
# (tests/s3_standin.py), with the real AWS CLI. A user made for the run
# stands for odoo (uid 8069 on the servers). Proves:
#   - install: changed=0 on the second run; settings missing or outside the
#     servers' grant are refused;
#   - backup: application data that looks like Odoo's (tables, a sequence,
#     indexes, a trusted extension, attachments in the filestore) goes up as
#     the manifest says, SSE-KMS with the data key, checksums checked by S3;
#     a second backup the same day writes a new folder, overwrites nothing;
#     a wrong key, a prefix outside odoo/ and a missing setting fail loudly;
#     no secret is printed;
#   - restore refuses: no confirmation, a wrong one, a session still
#     connected, a part replaced in the bucket (manifest check), a part
#     damaged in the bucket (S3's checksum, checked by the CLI);
#   - restore (playbooks/restore_odoo.yml, as the runbook runs it): over a
#     live database changed since the backup, and after the database was
#     dropped and the filestore deleted: rows, a specific row, the sequence,
#     indexes, the extension and every file (SHA-256) are back; the
#     database follows app_databases' conventions (its re-run: changed=0).
# PostgreSQL 15 (Debian's, with its own pg_dump): Debian 12 has no pg_dump 16,
# and pg_dump refuses a newer server; against RDS's 16 (install-postgres.sh)
# the test checks the backup names that fix, and restores the 15 dump with the
# master user's PostgreSQL 16 semantics. Needs root.
#
# usage: tests/odoo_backup.sh            (from anywhere)
#   KEEP_SERVICES_DIR=1   keep the logs, the bucket and the data
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
no_arguments "$@"
cd "$(dirname "$0")/.."
# shellcheck source=ansible/tests/services.sh
source tests/services.sh

require_root "PostgreSQL runs as postgres, the backup as a user standing for odoo"
started=$(date +%s)
user="igodoo$$"
standin_pid=""
cleanup() {
	[[ -z "$standin_pid" ]] || kill "$standin_pid" 2>/dev/null || true
	services_cleanup
	userdel "$user" 2>/dev/null || true
}
trap cleanup EXIT
elapsed() { echo "$(($(date +%s) - started))s"; }
section() { printf '==> %s (at %s)\n' "$1" "$(elapsed)"; }

services_init
# shellcheck disable=SC2119 # Debian's PostgreSQL: the one whose pg_dump is here
pg_start
w="$SERVICES_DIR/odoo"
mkdir -p "$w"/{etc,data,s3}
useradd --system --home-dir "$w/home" --create-home --shell /usr/sbin/nologin "$user"
chmod 0755 "$w" "$w/etc"
# data_dir as the EFS access point makes it: the odoo user's, 0750.
chown "$user:$user" "$w/data"
chmod 0750 "$w/data"

# --- the S3 stand-in: dev's backup bucket, as dev's Odoo servers see it -----
# Their role's policy and permissions boundary are read from the stacks the
# constructs synthesize (e2etest/testdata, kept current by the snapshot test).
bucket="influencegen-dev-backups-123456789012"
s3_port="$(free_port)"
AWS_SECRET_ACCESS_KEY="$(random_secret)"
export AWS_ACCESS_KEY_ID=AKIAODOOBACKUPTEST AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED=true
# Pages of 4 keys: clients must follow ListObjectsV2's continuation tokens.
/usr/bin/python3 tests/s3_standin.py --port "$s3_port" --root "$w/s3" --bucket "$bucket" --require-checksum "$bucket" \
	--stack ../e2etest/testdata/dev-stack.json --stack ../e2etest/testdata/shared-stack.json \
	--principal "$AWS_ACCESS_KEY_ID=influencegen-dev-odoo" --log "$w/s3.log" --page-size 4 --describe "$w/s3.json" &
standin_pid=$!
for ((i = 0; i < 50; i++)); do [[ -s "$w/s3.json" ]] && break; sleep 0.2; done
# The data key the stand-in made up for dev's data key (KMS ARNs are random).
data_key="$(jq -r --arg b "$bucket" '.buckets[$b].kms_key_arn' "$w/s3.json")"
s3() { /usr/bin/aws --endpoint-url "http://127.0.0.1:$s3_port" --region eu-central-1 "$@"; }
for ((i = 0; i < 50; i++)); do
	s3 s3api list-objects-v2 --bucket "$bucket" --prefix odoo/ >/dev/null 2>&1 && break
	sleep 0.2
done
services_log "S3 stand-in on 127.0.0.1:$s3_port, $(/usr/bin/aws --version)"

# --- the inventory's variables, local values -----------------------------------
odoo_password="$(random_secret)"
src="$w/odoo-src" # the Odoo checkout, for the commit in the manifest
mkdir -p "$src"
git -C "$src" init -q
git -C "$src" -c user.name=test -c user.email=test@example.invalid commit -q --allow-empty -m "odoo 18.0"
commit="$(git -C "$src" rev-parse HEAD)"
chown -R "$user" "$src" # the odoo user's checkout, as on a server
write_vars() { # write_vars FILE [VAR=JSON...]: overrides on top of the defaults here
	/usr/bin/python3 - "$@" <<-EOF
		import json, os, sys
		v = {
		    "env_name": "test", "aws_region": "eu-central-1",
		    "db_host": "$PG_HOST", "odoo_db_host": "$PG_HOST", "odoo_db_port": $PG_PORT, "app_databases_port": $PG_PORT,
		    "db_master_credentials": {"username": "$PG_MASTER_USER", "password": "$PG_MASTER_PASSWORD"},
		    "app_databases": [{"name": "odoo", "owner": "odoo", "password": "$odoo_password"}],
		    "odoo_db_password": "$odoo_password", "odoo_admin_passwd": "$(random_secret)",
		    "rds_ca_url": "file://$SERVICES_CA", "rds_ca_path": "$w/rds-ca-bundle.pem",
		    "rds_ca_checksum": "sha256:$(sha256sum "$SERVICES_CA" | cut -d' ' -f1)",
		    # the stack outputs backup_bucket and kms_key_arns.data, as group_vars/all reads them
		    "odoo_backup_bucket": "$bucket", "odoo_backup_kms_key_arn": "$data_key",
		    "odoo_backup_s3_endpoint_url": "http://127.0.0.1:$s3_port",
		    # a checkout pinned as in staging; the EFS ids the preflight checks
		    "odoo_git_ref": "$commit", "odoo_efs_id": "fs-0123456789abcdef0", "odoo_efs_access_point_id": "fsap-0123456789abcdef0",
		    # the server's paths, under this run's directory
		    "odoo_user": "$user", "odoo_home": "$w/home", "odoo_source_dir": "$src", "odoo_data_dir": "$w/data",
		    "odoo_config_file": "$w/etc/odoo.conf", "odoo_backup_config_file": "$w/etc/backup.env",
		    "odoo_backup_lib_dir": "$w/lib", "odoo_backup_bin_dir": "$w/sbin", "odoo_backup_unit_dir": "$w/units",
		    "odoo_backup_work_dir": "$w/work", "odoo_backup_pg_bin": "$PG_CLIENT_BIN", "odoo_awscli_bin": "/usr/bin/aws",
		    # 1 MiB parts, so the filestore goes up in several
		    "odoo_backup_part_mb": 1, "odoo_manage_services": False,
		}
		for kv in sys.argv[2:]:
		    k, _, val = kv.partition("=")
		    v[k] = json.loads(val)
		fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
		os.write(fd, json.dumps(v).encode())
	EOF
}
mkdir -p "$w/ansible" "$w/units" "$w/sbin" # /etc/systemd/system and /usr/local/sbin on a server
chmod 0700 "$w/ansible"
write_vars "$w/ansible/vars.json"
printf '[odoo_servers]\nodoo-host ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' >"$w/ansible/inventory.ini"
run=0
# playbook PLAYBOOK [ansible-playbook args...]: runs it, sets LOG and RECAP; returns its status.
playbook() {
	run=$((run + 1))
	LOG="$w/ansible/run$run.log"
	local rc=0
	ANSIBLE_ROLES_PATH="$PWD/roles" ANSIBLE_CALLBACKS_ENABLED='' ansible-playbook -i "$w/ansible/inventory.ini" \
		-e "@$w/ansible/vars.json" "$@" >"$LOG" 2>&1 || rc=$?
	RECAP="$(grep -A1 'PLAY RECAP' "$LOG" | tail -1)"
	return "$rc"
}
require() { # require DESCRIPTION COMMAND...: a step the rest depends on
	local what="$1"
	shift
	if "$@"; then check_pass "$what"; else check_fail "$what" "$(tail -30 "$LOG" 2>/dev/null)"; checks_summary odoo_backup; fi
}

section "install: the odoo database (app_databases), odoo.conf, odoo_setup's backup tasks; twice"
# The CA where odoo_setup's main tasks put it for the odoo user.
install -d -o "$user" -m 0700 "$w/home/.postgresql"
install -o "$user" -m 0600 "$SERVICES_CA" "$w/home/.postgresql/root.crt"
require "first run" playbook tests/odoo_backup.yml
# (app_databases' own idempotence is app_databases.sh's)
require "second run" playbook tests/odoo_backup.yml --skip-tags databases
if [[ "$RECAP" =~ changed=0[[:space:]] ]]; then check_pass "second run: changed=0"; else check_fail "second run is not idempotent" "$(grep -B1 '^changed' "$LOG" | grep '^TASK')"; fi
check_ok "the timer catches up on a missed run (Persistent=true)" \
	grep -qx 'Persistent=true' "$w/units/odoo-backup.timer"
if command -v systemd-analyze >/dev/null; then
	check_ok "systemd-analyze verify" systemd-analyze verify --man=no "$w/units/odoo-backup.timer" "$w/units/odoo-backup-failed.service"
fi
export ODOO_BACKUP_CONFIG="$w/etc/backup.env"
as_odoo() { runuser -u "$user" -- "$@"; }
odoo_sql() { pg_as odoo "$odoo_password" odoo -tA "$@"; }

section "application data that looks like Odoo's, in the database and the filestore"
odoo_sql >/dev/null <<-'EOF'
	-- a trusted extension the database owner may create (Odoo's trigram indexes use it)
	CREATE EXTENSION pg_trgm;
	CREATE TABLE ir_module_module (id serial PRIMARY KEY, name varchar NOT NULL UNIQUE, state varchar, latest_version varchar);
	INSERT INTO ir_module_module (name, state, latest_version) VALUES ('base', 'installed', '18.0.1.3'), ('web', 'installed', '18.0.1.0'), ('sale', 'uninstalled', NULL);
	CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar NOT NULL, email varchar, parent_id int REFERENCES res_partner(id), create_date timestamp DEFAULT now());
	INSERT INTO res_partner (name, email) SELECT 'Partner ' || g, 'p' || g || '@example.com' FROM generate_series(1, 2000) g;
	INSERT INTO res_partner (name, email, parent_id) VALUES ('InfluenceGen GmbH, Müller & Söhne', 'ops@influencegen.example', 1);
	CREATE INDEX res_partner__name_trgm ON res_partner USING gin (name gin_trgm_ops);
	CREATE INDEX res_partner__email ON res_partner (email);
	-- ir.sequence's "standard" implementation: a PostgreSQL sequence per record
	CREATE SEQUENCE ir_sequence_001 INCREMENT 1 START 1;
	SELECT setval('ir_sequence_001', 4242);
	CREATE TABLE ir_attachment (id serial PRIMARY KEY, name varchar, res_model varchar, res_id int, store_fname varchar, checksum varchar(40), file_size int, db_datas bytea);
EOF
# Attachments in the filestore (<data_dir>/filestore/<db>/<sha1[:2]>/<sha1>),
# written as the odoo user: 40 small ones and one of 1.5 MiB (two parts).
as_odoo mkdir -p "$w/data/filestore/odoo"
: >"$w/attachments.sql"
for ((i = 1; i <= 41; i++)); do
	if ((i == 41)); then head -c 1572864 /dev/urandom >"$w/blob"; else printf 'attachment %d %s\n' "$i" "$(random_secret)" >"$w/blob"; fi
	sha="$(sha1sum "$w/blob" | cut -c1-40)"
	as_odoo mkdir -p "$w/data/filestore/odoo/${sha:0:2}"
	as_odoo tee "$w/data/filestore/odoo/${sha:0:2}/$sha" <"$w/blob" >/dev/null
	echo "INSERT INTO ir_attachment (name, res_model, res_id, store_fname, checksum, file_size) VALUES ('file$i', 'res.partner', $i, '${sha:0:2}/$sha', '$sha', $(stat -c %s "$w/blob"));" >>"$w/attachments.sql"
done
odoo_sql -f "$w/attachments.sql" >/dev/null
# what must come back
fingerprint() {
	odoo_sql <<-'EOF'
		SELECT 'partners=' || count(*) FROM res_partner;
		SELECT 'partner=' || name || '|' || email || '|' || parent_id FROM res_partner WHERE email = 'ops@influencegen.example';
		SELECT 'attachments=' || count(*) || '|' || sum(file_size) FROM ir_attachment;
		SELECT 'modules=' || string_agg(name || ':' || state, ',' ORDER BY name) FROM ir_module_module;
		SELECT 'sequence=' || last_value || '|' || is_called FROM ir_sequence_001;
		SELECT 'partner_seq=' || last_value || '|' || is_called FROM res_partner_id_seq;
		SELECT 'indexes=' || string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public';
		SELECT 'extensions=' || string_agg(extname, ',' ORDER BY extname) FROM pg_extension;
		SELECT 'fk=' || string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'f';
		SELECT 'trgm=' || count(*) FROM res_partner WHERE name % 'InfluenceGen Muller';
	EOF
}
files_digest() { as_odoo find "$w/data/filestore/odoo" -type f -printf '%P %u %m\n' | sort | while read -r f owner mode; do echo "$f $owner $mode $(as_odoo sha256sum "$w/data/filestore/odoo/$f" | cut -c1-64)"; done; }
before="$(fingerprint)"
files_before="$(files_digest)"
tables_in_db="$(odoo_sql -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"

section "backup (the real odoo-backup, as the odoo user)"
check_refused "odoo-backup as root" "run as $user" "$w/sbin/odoo-backup"
t0=$(date +%s)
if out="$(as_odoo "$w/sbin/odoo-backup" 2>&1)"; then check_pass "odoo-backup ($(($(date +%s) - t0))s): $(tail -1 <<<"$out" | cut -c14-)"; else check_fail "odoo-backup" "$out"; checks_summary odoo_backup; fi
backup_a="$(sed -n 's#.*done: s3://[^/]*/odoo/test/\([0-9TZ]*\)/.*#\1#p' <<<"$out")"
if grep -qF -e "$odoo_password" -e "$PG_MASTER_PASSWORD" -e "$AWS_SECRET_ACCESS_KEY" <<<"$out"; then check_fail "odoo-backup printed a secret"; else check_pass "odoo-backup printed no secret"; fi
s3 s3api get-object --bucket "$bucket" --key "odoo/test/$backup_a/manifest.json" "$w/manifest.json" >/dev/null
manifest_check="$(jq -r --arg commit "$commit" --argjson tables "$tables_in_db" '[
	(.database == "odoo"), (.odoo.commit == $commit), (.odoo.version == "18.0"), (.odoo.base_module == "18.0.1.3"),
	(.postgresql.tables == $tables), (.postgresql.pg_dump | startswith("pg_dump (PostgreSQL) 15")),
	(.filestore_files == 41), (.files[1].name == "filestore.tar.gz"), ((.files[1].parts | length) == 2),
	all(.files[]; (.parts | map(.size) | add) == .size)] | all' "$w/manifest.json" 2>&1)"
if [[ "$manifest_check" == true ]]; then check_pass "manifest: database, Odoo commit, base module, $tables_in_db tables, pg_dump 15, 41 files, parts add up"; else check_fail "manifest" "$(cat "$w/manifest.json")"; fi
keys="$(s3 s3api list-objects-v2 --bucket "$bucket" --prefix "odoo/test/$backup_a/" --query 'Contents[].Key' --output text | tr '\t' '\n')"
sse="$(while read -r k; do s3 s3api head-object --bucket "$bucket" --key "$k" --query '[ServerSideEncryption, SSEKMSKeyId]' --output text; done <<<"$keys" | sort -u)"
if [[ "$sse" == "aws:kms"$'\t'"$data_key" ]]; then check_pass "all $(wc -l <<<"$keys") objects under odoo/test/$backup_a/: SSE-KMS with the data key"; else check_fail "encryption of the objects" "$sse"; fi

sleep 1 # a new second: the same day, a new folder
if out="$(as_odoo "$w/sbin/odoo-backup" 2>&1)"; then check_pass "a second backup the same day"; else check_fail "second backup" "$out"; fi
backup_b="$(sed -n 's#.*done: s3://[^/]*/odoo/test/\([0-9TZ]*\)/.*#\1#p' <<<"$out")"
if [[ -n "$backup_b" && "$backup_b" != "$backup_a" && "${backup_b:0:8}" == "${backup_a:0:8}" ]] && ! grep -q '"Overwrite"' "$w/s3.log"; then
	check_pass "it went to $backup_b, $backup_a untouched (nothing overwritten)"
else
	check_fail "the second backup" "a=$backup_a b=$backup_b; $(grep Overwrite "$w/s3.log" || true)"
fi
listed="$("$w/sbin/odoo-restore" list)"
if [[ "$(grep -c ' complete ' <<<"$listed")" == 2 ]]; then check_pass "odoo-restore list: both, complete (through paginated listings)"; else check_fail "odoo-restore list" "$listed"; fi

section "what the backup refuses"
sed 's#^ODOO_BACKUP_KMS_KEY_ARN=.*#ODOO_BACKUP_KMS_KEY_ARN=arn:aws:kms:eu-central-1:123456789012:key/99999999-9999-9999-9999-999999999999#' "$w/etc/backup.env" >"$w/etc/otherkey.env"
sed '/^ODOO_BACKUP_BUCKET=/d' "$w/etc/backup.env" >"$w/etc/nobucket.env"
sed 's#^ODOO_BACKUP_PREFIX=.*#ODOO_BACKUP_PREFIX=backups/test#' "$w/etc/backup.env" >"$w/etc/prefix.env"
# More reserve than the disk has: the backup must refuse before it stages anything.
sed 's#^ODOO_BACKUP_RESERVE_MB=.*#ODOO_BACKUP_RESERVE_MB=999999999#' "$w/etc/backup.env" >"$w/etc/noroom.env"
chmod 0644 "$w"/etc/{otherkey,nobucket,prefix,noroom}.env
staged_before="$(find "$(sed -n 's/^ODOO_BACKUP_WORK_DIR=//p' "$w/etc/backup.env")" -mindepth 1 -maxdepth 1 -type d | wc -l)"
check_refused "no room on the work directory's disk (a serving host)" "Nothing was written" \
	as_odoo env ODOO_BACKUP_CONFIG="$w/etc/noroom.env" "$w/sbin/odoo-backup"
staged_after="$(find "$(sed -n 's/^ODOO_BACKUP_WORK_DIR=//p' "$w/etc/backup.env")" -mindepth 1 -maxdepth 1 -type d | wc -l)"
if [[ "$staged_after" == "$staged_before" ]]; then check_pass "nothing staged by the refused backup"; else check_fail "the refused backup staged something"; fi
check_refused "a key other than the data key (KMS refuses the role)" "upload of s3://$bucket/odoo/test/" \
	as_odoo env ODOO_BACKUP_CONFIG="$w/etc/otherkey.env" "$w/sbin/odoo-backup"
check_refused "a missing setting" "lacks ODOO_BACKUP_BUCKET" as_odoo env ODOO_BACKUP_CONFIG="$w/etc/nobucket.env" "$w/sbin/odoo-backup"
check_refused "a prefix outside odoo/" "the servers may write under odoo/ only" as_odoo env ODOO_BACKUP_CONFIG="$w/etc/prefix.env" "$w/sbin/odoo-backup"
check_refused "the stand-in: a write outside odoo/" "AccessDenied" \
	s3 s3api put-object --bucket "$bucket" --key "other/x" --body "$w/manifest.json" --server-side-encryption aws:kms --ssekms-key-id "$data_key" --checksum-sha256 "$(openssl dgst -sha256 -binary "$w/manifest.json" | base64)"
check_refused "the stand-in: a delete" "AccessDenied" s3 s3api delete-object --bucket "$bucket" --key "odoo/test/$backup_a/manifest.json"
check_refused "the stand-in: a PutObject without SSE-KMS" "AccessDenied" \
	s3 s3api put-object --bucket "$bucket" --key "odoo/test/x" --body "$w/manifest.json" --checksum-sha256 "$(openssl dgst -sha256 -binary "$w/manifest.json" | base64)"

section "after the backup: the live data changes (a bad deploy)"
odoo_sql >/dev/null <<-'EOF'
	INSERT INTO res_partner (name, email) VALUES ('written after the backup', 'late@example.com');
	UPDATE res_partner SET email = 'changed@example.com' WHERE email = 'ops@influencegen.example';
	SELECT setval('ir_sequence_001', 5000);
EOF
as_odoo tee "$w/data/filestore/odoo/zz-after-backup" <<<"new file" >/dev/null
changed="$(fingerprint)"
# No systemd services and no Odoo (odoo-bin neutralize) here.
restore() { playbook playbooks/restore_odoo.yml -e odoo_restore_manage_services=false -e odoo_restore_neutralize=false -e "odoo_restore_bin=$w/sbin/odoo-restore" \
	-e "odoo_restore_config=$ODOO_BACKUP_CONFIG" "$@"; }
nothing_changed() { [[ "$(fingerprint)" == "$changed" ]] && [[ -z "$(pg_superuser_sql postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'odoo\_%'")" ]]; }

section "what the restore refuses (the database must stay as it is)"
check_refused "no confirmation (no terminal)" "without confirmation: pass --confirm odoo" "$w/sbin/odoo-restore" restore "$backup_a" </dev/null
check_refused "a wrong confirmation" "is not the database name" "$w/sbin/odoo-restore" restore --confirm odo "$backup_a"
PGPASSWORD="$odoo_password" PGSSLMODE=verify-full PGSSLROOTCERT="$SERVICES_CA" PGAPPNAME=odoo-worker \
	"$PG_CLIENT_BIN/psql" -h "$PG_HOST" -p "$PG_PORT" -U odoo -d odoo -Xqc "SELECT pg_sleep(60)" >/dev/null 2>&1 &
session=$!
for ((i = 0; i < 50; i++)); do
	[[ "$(pg_superuser_sql postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'odoo-worker'")" == 1 ]] && break
	sleep 0.1
done
check_refused "a session still connected (Odoo running somewhere)" "sessions are connected to odoo" \
	env ODOO_RESTORE_MASTER_USER="$PG_MASTER_USER" ODOO_RESTORE_MASTER_PASSWORD="$PG_MASTER_PASSWORD" "$w/sbin/odoo-restore" restore --confirm odoo "$backup_a"
kill "$session" 2>/dev/null || true
wait "$session" 2>/dev/null || true
pg_superuser_sql postgres -tAc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'odoo-worker'" >/dev/null
# A part replaced in the bucket by someone who may write there: S3's checksum
# is consistent, the manifest's is not.
part="odoo/test/$backup_b/odoo.dump.part-000"
s3 s3api get-object --bucket "$bucket" --key "$part" "$w/part.orig" >/dev/null
head -c "$(stat -c %s "$w/part.orig")" /dev/urandom >"$w/part.bad"
s3 s3api put-object --bucket "$bucket" --key "$part" --body "$w/part.bad" --server-side-encryption aws:kms --ssekms-key-id "$data_key" \
	--checksum-sha256 "$(openssl dgst -sha256 -binary "$w/part.bad" | base64)" >/dev/null
check_refused "a part replaced in the bucket (the manifest's SHA-256)" "refusing a corrupt backup" \
	env ODOO_RESTORE_MASTER_USER="$PG_MASTER_USER" ODOO_RESTORE_MASTER_PASSWORD="$PG_MASTER_PASSWORD" "$w/sbin/odoo-restore" restore --confirm odoo "$backup_b"
s3 s3api put-object --bucket "$bucket" --key "$part" --body "$w/part.orig" --server-side-encryption aws:kms --ssekms-key-id "$data_key" \
	--checksum-sha256 "$(openssl dgst -sha256 -binary "$w/part.orig" | base64)" >/dev/null
# A part damaged at rest or in transit: the CLI checks S3's SHA-256 (--checksum-mode ENABLED).
stored="$w/s3/$bucket/objects/$(printf '%s' "odoo/test/$backup_b/filestore.tar.gz.part-001" | sha256sum | cut -c1-64).data"
cp "$stored" "$w/stored.orig"
printf '\xff' | dd of="$stored" bs=1 seek=100 conv=notrunc 2>/dev/null
check_refused "a part damaged in the bucket (S3's checksum)" "did not match" \
	env ODOO_RESTORE_MASTER_USER="$PG_MASTER_USER" ODOO_RESTORE_MASTER_PASSWORD="$PG_MASTER_PASSWORD" "$w/sbin/odoo-restore" restore --confirm odoo "$backup_b"
cp "$w/stored.orig" "$stored"
if nothing_changed; then check_pass "after the refusals: the database unchanged, no database left behind"; else check_fail "the refusals changed something" "$(fingerprint)"; fi
if out="$("$w/sbin/odoo-restore" restore --dry-run "$backup_a" 2>&1)" && grep -q 'dry run: backup' <<<"$out" && nothing_changed; then
	check_pass "--dry-run: downloaded and checked, nothing changed"
else
	check_fail "dry run" "$out"
fi

section "restore over the live database (playbooks/restore_odoo.yml, as the runbook runs it)"
t0=$(date +%s)
if restore -e "odoo_restore_backup=$backup_a" -e odoo_restore_confirm=odoo; then check_pass "restore_odoo.yml ($(($(date +%s) - t0))s)"; else check_fail "restore_odoo.yml" "$(tail -30 "$LOG")"; fi
if grep -qF -e "$PG_MASTER_PASSWORD" -e "$odoo_password" "$LOG"; then check_fail "the playbook's output shows a password"; else check_pass "the playbook printed no password"; fi
after="$(fingerprint)"
if [[ "$after" == "$before" ]]; then check_pass "the data is the backup's: $(tr '\n' ' ' <<<"$after" | cut -c1-160)…"; else check_fail "data after the restore" "$(diff <(echo "$before") <(echo "$after"))"; fi
if [[ "$(files_digest)" == "$files_before" ]]; then check_pass "the filestore is the backup's: 41 files, same SHA-256, owner and mode"; else check_fail "filestore after the restore" "$(diff <(echo "$files_before") <(files_digest) | head)"; fi
kept="$(pg_superuser_sql postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'odoo\_before\_%'")"
if [[ -n "$kept" ]] && pg_as odoo "$odoo_password" "$kept" -tAc "SELECT 1 FROM res_partner WHERE email = 'late@example.com'" | grep -qx 1 &&
	as_odoo test -f "$(echo "$w"/data/filestore/.before-restore-*/zz-after-backup)"; then
	check_pass "the replaced database ($kept) and filestore are kept"
else
	check_fail "the replaced database and filestore" "$kept"
fi
pg_as "$PG_MASTER_USER" "$PG_MASTER_PASSWORD" postgres -c "DROP DATABASE \"$kept\"" >/dev/null
as_odoo rm -rf "$w"/data/filestore/.before-restore-*

section "disaster: the database dropped, the filestore deleted; restore the latest backup"
pg_as "$PG_MASTER_USER" "$PG_MASTER_PASSWORD" postgres -c "DROP DATABASE odoo" >/dev/null
as_odoo rm -rf "$w/data/filestore/odoo"
# On the server, as the runbook's Session Manager variant: odoo-restore itself.
t0=$(date +%s)
if out="$(ODOO_RESTORE_MASTER_USER="$PG_MASTER_USER" ODOO_RESTORE_MASTER_PASSWORD="$PG_MASTER_PASSWORD" "$w/sbin/odoo-restore" restore --confirm odoo latest 2>&1)"; then
	check_pass "odoo-restore restore --confirm odoo latest ($(($(date +%s) - t0))s)"
else
	check_fail "restore latest" "$out"
fi
if grep -q "latest backup: $backup_b" <<<"$out"; then check_pass "latest is $backup_b"; else check_fail "latest" "$out"; fi
after="$(fingerprint)"
if [[ "$after" == "$before" ]]; then check_pass "the data is back"; else check_fail "data after the disaster restore" "$(diff <(echo "$before") <(echo "$after"))"; fi
if [[ "$(files_digest)" == "$files_before" ]]; then check_pass "the filestore is back: same files, SHA-256, owner and mode"; else check_fail "filestore after the disaster restore" "$(diff <(echo "$files_before") <(files_digest) | head)"; fi
owner="$(pg_superuser_sql postgres -tAc "SELECT pg_get_userbyid(datdba) || ' ' || has_database_privilege('public', 'odoo', 'CONNECT') || ' ' || datcollate FROM pg_database WHERE datname = 'odoo'")"
if [[ "$owner" == "odoo false C.UTF-8" ]]; then check_pass "database odoo: owner odoo, no CONNECT for PUBLIC, C.UTF-8"; else check_fail "the restored database's conventions" "$owner"; fi
owned="$(odoo_sql -c "SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class WHERE relnamespace = 'public'::regnamespace")"
if [[ "$owned" == odoo ]]; then check_pass "every relation is owned by odoo"; else check_fail "relation owners" "$owned"; fi
public_create="$(odoo_sql -c "SELECT has_schema_privilege('public', 'public', 'CREATE')")"
if [[ "$public_create" == f ]]; then check_pass "PUBLIC may not create in its public schema"; else check_fail "public schema" "$public_create"; fi

section "the stand-in's log: what the scripts asked of S3"
denied="$(jq -r 'select(.status >= 400) | "\(.method) \(.key) \(.code)"' "$w/s3.log" | sort | uniq -c)"
awk '{ print "        refused:" $0 }' <<<"$denied"
unexpected="$(jq -r 'select(.status >= 400 and .code != "AccessDenied" and .code != "BadDigest") | .code' "$w/s3.log")"
if [[ -z "$unexpected" ]] && ! jq -e 'select(.code == "Overwrite" and (.key | endswith("part-000") | not))' "$w/s3.log" >/dev/null; then
	check_pass "only the refusals the test provoked; no overwrite but the test's own"
else
	check_fail "unexpected S3 answers" "$unexpected"
fi

echo "odoo_backup on PostgreSQL $PG_VERSION: $(elapsed)"
checks_summary "odoo_backup (PostgreSQL $PG_VERSION)"
