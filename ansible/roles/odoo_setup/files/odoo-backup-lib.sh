# shellcheck shell=bash
# Shared by odoo-backup and odoo-restore (installed next to them by
# odoo_setup, tasks/backup.yml). Reads the settings, Odoo's own database
# settings from odoo.conf, and wraps the AWS CLI. Nothing here prints a
# secret: the database passwords go from odoo.conf (or the caller's
# environment) into a 0600 PGPASSFILE in a private directory, never onto a
# command line or into the journal.

# The settings file the role renders (templates/odoo-backup.env.j2).
ODOO_BACKUP_CONFIG="${ODOO_BACKUP_CONFIG:-/etc/odoo/backup.env}"

log() { printf '%s: %s\n' "$ODOO_BACKUP_PROG" "$*" >&2; }
die() {
	printf '%s: ERROR: %s\n' "$ODOO_BACKUP_PROG" "$*" >&2
	exit 1
}

# usage: the script's header comment (line 2 up to the first non-comment).
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }

# load_settings: reads ODOO_BACKUP_CONFIG (KEY=value lines; not sourced, so
# nothing in it runs) into the settings below, then checks them, naming the
# role variable that sets each one.
load_settings() {
	[[ -r "$ODOO_BACKUP_CONFIG" ]] || die "cannot read $ODOO_BACKUP_CONFIG: the odoo_setup role writes it (run site.yml), or set ODOO_BACKUP_CONFIG"
	local line key value
	while IFS= read -r line || [[ -n "$line" ]]; do
		[[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
		[[ "$line" =~ ^([A-Z0-9_]+)=(.*)$ ]] || die "$ODOO_BACKUP_CONFIG: not KEY=value: $line"
		key="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}"
		case "$key" in
		ODOO_CONFIG | ODOO_USER | ODOO_VERSION | ODOO_SOURCE_DIR | ODOO_PYTHON | ODOO_BACKUP_BUCKET | ODOO_BACKUP_PREFIX | \
			ODOO_BACKUP_KMS_KEY_ARN | ODOO_BACKUP_REGION | ODOO_BACKUP_WORK_DIR | ODOO_BACKUP_PART_MB | \
			ODOO_BACKUP_AWS | ODOO_BACKUP_PG_BIN | ODOO_BACKUP_S3_ENDPOINT_URL | ODOO_BACKUP_RESERVE_MB | PGSSLROOTCERT)
			printf -v "$key" '%s' "$value" ;;
		*) die "$ODOO_BACKUP_CONFIG: unknown setting $key" ;;
		esac
	done <"$ODOO_BACKUP_CONFIG"
	local missing=() k
	for k in ODOO_CONFIG ODOO_USER ODOO_VERSION ODOO_BACKUP_BUCKET ODOO_BACKUP_PREFIX ODOO_BACKUP_KMS_KEY_ARN \
		ODOO_BACKUP_REGION ODOO_BACKUP_WORK_DIR ODOO_BACKUP_PART_MB ODOO_BACKUP_AWS PGSSLROOTCERT; do
		[[ -n "${!k:-}" ]] || missing+=("$k")
	done
	((${#missing[@]} == 0)) || die "$ODOO_BACKUP_CONFIG lacks ${missing[*]}: re-run the odoo_setup role (defaults/main.yml, odoo_backup_*)"
	[[ "$ODOO_BACKUP_BUCKET" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
		die "ODOO_BACKUP_BUCKET '$ODOO_BACKUP_BUCKET' is not a bucket name: set odoo_backup_bucket (group_vars/all: the stack output backup_bucket)"
	# The Odoo servers may write under odoo/ only (environments/tiers.go).
	[[ "$ODOO_BACKUP_PREFIX" =~ ^odoo/[a-z0-9][a-z0-9-]*$ ]] ||
		die "ODOO_BACKUP_PREFIX '$ODOO_BACKUP_PREFIX' is not odoo/<env>: the servers may write under odoo/ only; set odoo_backup_prefix"
	[[ "$ODOO_BACKUP_KMS_KEY_ARN" =~ ^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$ ]] ||
		die "ODOO_BACKUP_KMS_KEY_ARN '$ODOO_BACKUP_KMS_KEY_ARN' is not a KMS key ARN: set odoo_backup_kms_key_arn (group_vars/all: kms_key_arns.data)"
	[[ "$ODOO_BACKUP_PART_MB" =~ ^[1-9][0-9]*$ && "$ODOO_BACKUP_PART_MB" -le 5120 ]] ||
		die "ODOO_BACKUP_PART_MB '$ODOO_BACKUP_PART_MB' must be 1..5120 (S3's single PUT limit is 5 GiB): set odoo_backup_part_mb"
	ODOO_BACKUP_RESERVE_MB="${ODOO_BACKUP_RESERVE_MB:-2048}"
	[[ "$ODOO_BACKUP_RESERVE_MB" =~ ^[0-9]+$ ]] ||
		die "ODOO_BACKUP_RESERVE_MB '$ODOO_BACKUP_RESERVE_MB' is not a number of MiB: set odoo_backup_reserve_mb"
	[[ -x "$ODOO_BACKUP_AWS" ]] || die "no AWS CLI at $ODOO_BACKUP_AWS: the odoo_setup role installs it (tasks/awscli.yml)"
	[[ -r "$PGSSLROOTCERT" ]] || die "cannot read the database CA $PGSSLROOTCERT (rds_ca installs it; the odoo user must be able to read it)"
	ODOO_BACKUP_PG_BIN="${ODOO_BACKUP_PG_BIN:-/usr/bin}"
	export PGSSLROOTCERT PGSSLMODE=verify-full PGCONNECT_TIMEOUT=15
	export AWS_PAGER="" AWS_DEFAULT_OUTPUT=text
}

# private_dir: a directory only this process's user can read, removed at
# exit (the caller's EXIT trap calls cleanup_private).
PRIVATE_DIR=""
private_dir() {
	PRIVATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/odoo-backup.XXXXXXXX")"
	chmod 0700 "$PRIVATE_DIR"
}
cleanup_private() { [[ -z "$PRIVATE_DIR" ]] || rm -rf "$PRIVATE_DIR"; }

# read_odoo_conf: Odoo's database and data_dir settings, from odoo.conf
# as Odoo reads it (configparser.RawConfigParser, section [options]:
# odoo/tools/config.py). Sets DB_HOST DB_PORT DB_USER DB_NAME DB_SSLMODE
# DATA_DIR; writes the password into PGPASSFILE (0600, in PRIVATE_DIR)
# and exports it. Every libpq tool then finds it without a command line.
read_odoo_conf() {
	[[ -r "$ODOO_CONFIG" ]] || die "cannot read $ODOO_CONFIG (the odoo_setup role writes it root:odoo 0640)"
	local fields
	export PGPASSFILE="$PRIVATE_DIR/pgpass"
	fields="$(/usr/bin/python3 - "$ODOO_CONFIG" "$PGPASSFILE" <<-'EOF'
		import configparser, os, sys
		conf, passfile = sys.argv[1], sys.argv[2]
		p = configparser.RawConfigParser()
		p.read(conf)
		o = dict(p.items("options")) if p.has_section("options") else {}
		missing = [k for k in ("db_host", "db_user", "db_password", "db_name", "data_dir") if not o.get(k) or o[k] == "False"]
		if missing:
		    sys.exit(f"{conf} lacks {', '.join(missing)}")
		esc = lambda v: v.replace("\\", "\\\\").replace(":", "\\:")
		port = o.get("db_port") or "5432"
		fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
		os.write(fd, f"{esc(o['db_host'])}:{port}:*:{esc(o['db_user'])}:{esc(o['db_password'])}\n".encode())
		os.close(fd)
		for k in ("db_host", "db_user", "db_name", "data_dir"):
		    if "\n" in o[k]:
		        sys.exit(f"{conf}: {k} spans lines")
		print(o["db_host"], port, o["db_user"], o["db_name"], o.get("db_sslmode") or "prefer", o["data_dir"], sep="\n")
	EOF
	)" || die "cannot read the database settings from $ODOO_CONFIG"
	# shellcheck disable=SC2034 # DB_USER, DATA_DIR: for the scripts that source this
	{ read -r DB_HOST; read -r DB_PORT; read -r DB_USER; read -r DB_NAME; read -r DB_SSLMODE; read -r DATA_DIR; } <<<"$fields"
	[[ "$DB_SSLMODE" == verify-full ]] || die "$ODOO_CONFIG has db_sslmode = $DB_SSLMODE: backups connect with verify-full only (odoo_db_sslmode)"
	[[ "$DB_NAME" =~ ^[A-Za-z0-9_]{1,40}$ ]] || die "db_name '$DB_NAME' in $ODOO_CONFIG: letters, digits and _ only, at most 40"
	export PGHOST="$DB_HOST" PGPORT="$DB_PORT"
}

# add_pgpass USER PASSWORD: one more login in PGPASSFILE (the restore's
# master user), for the same host and port.
add_pgpass() {
	printf '%s' "$2" | /usr/bin/python3 -c '
import sys
path, host, port, user = sys.argv[1:5]
esc = lambda v: v.replace("\\", "\\\\").replace(":", "\\:")
with open(path, "a") as f:
    f.write(f"{esc(host)}:{port}:*:{esc(user)}:{esc(sys.stdin.read())}\n")
' "$PGPASSFILE" "$DB_HOST" "$DB_PORT" "$1"
}

# psql_as USER DB [psql options...]: psql over verify-full TLS, password
# from PGPASSFILE, stopping at the first error.
psql_as() {
	local user="$1" db="$2"
	shift 2
	"$ODOO_BACKUP_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -U "$user" -d "$db" "$@"
}

# aws ARGS...: the AWS CLI with the region and, for tests only, the
# endpoint of a local S3 stand-in.
aws() {
	local endpoint=()
	[[ -z "${ODOO_BACKUP_S3_ENDPOINT_URL:-}" ]] || endpoint=(--endpoint-url "$ODOO_BACKUP_S3_ENDPOINT_URL")
	"$ODOO_BACKUP_AWS" "${endpoint[@]}" --region "$ODOO_BACKUP_REGION" "$@"
}

# sha256_b64 FILE: the SHA-256 S3 checks and returns (x-amz-checksum-sha256).
sha256_b64() { openssl dgst -sha256 -binary "$1" | base64 -w0; }
sha256_hex() { sha256sum "$1" | cut -d' ' -f1; }

# odoo_base_version DB: the installed base module's version in DB (as the
# odoo role): empty when Odoo is not initialised there, failing when DB is
# no Odoo database at all.
odoo_base_version() {
	psql_as "$DB_USER" "$1" -tAc "SELECT latest_version FROM ir_module_module WHERE name = 'base' AND state = 'installed'"
}

# s3_put KEY FILE [PUT-OBJECT OPTIONS…]: uploads FILE with one PutObject,
# SSE-KMS with the data key named explicitly and its SHA-256, which S3
# checks against what it received; then HeadObject must show the size, the
# checksum and the key.
s3_put() {
	local key="$1" file="$2" size sum got
	shift 2
	size="$(stat -c %s "$file")"
	sum="$(sha256_b64 "$file")"
	aws s3api put-object --bucket "$ODOO_BACKUP_BUCKET" --key "$key" --body "$file" "$@" \
		--server-side-encryption aws:kms --ssekms-key-id "$ODOO_BACKUP_KMS_KEY_ARN" \
		--checksum-sha256 "$sum" --output text >/dev/null ||
		die "upload of s3://$ODOO_BACKUP_BUCKET/$key failed"
	got="$(aws s3api head-object --bucket "$ODOO_BACKUP_BUCKET" --key "$key" --checksum-mode ENABLED \
		--query '[ContentLength, ChecksumSHA256, ServerSideEncryption, SSEKMSKeyId]' --output text)" ||
		die "s3://$ODOO_BACKUP_BUCKET/$key: HeadObject failed after the upload"
	local want
	want="$(printf '%s\t%s\t%s\t%s' "$size" "$sum" aws:kms "$ODOO_BACKUP_KMS_KEY_ARN")"
	[[ "$got" == "$want" ]] || die "s3://$ODOO_BACKUP_BUCKET/$key is not what was uploaded: got [$got], want [$want]"
}

# backup_ids: the complete backups (those with a manifest, written last),
# oldest first, one id (UTC timestamp) a line.
backup_ids() {
	aws s3api list-objects-v2 --bucket "$ODOO_BACKUP_BUCKET" --prefix "$ODOO_BACKUP_PREFIX/" \
		--query 'Contents[].Key' --output text |
		tr '\t' '\n' | sed -n "s#^$ODOO_BACKUP_PREFIX/\([0-9]\{8\}T[0-9]\{6\}Z\)/manifest.json\$#\1#p" | sort
}
