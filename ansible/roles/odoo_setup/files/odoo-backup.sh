#!/usr/bin/env bash
# odoo-backup: one backup of Odoo's database and filestore to the backup
# bucket, under s3://<bucket>/odoo/<env>/<UTC timestamp>/:
#   odoo.dump.part-NNN       pg_dump --format=custom, as the odoo role, TLS verify-full
#   filestore.tar.gz.part-NNN  data_dir/filestore/<db>, archived as the odoo user
#   manifest.json            sizes, SHA-256s, Odoo version and commit, pg_dump
#                            and server versions, database name (written last:
#                            a backup without it is incomplete)
# Each part (at most ODOO_BACKUP_PART_MB, below S3's 5 GiB single PUT) goes up
# with PutObject, SSE-KMS with the data key named explicitly, and its SHA-256,
# which S3 checks; then HeadObject must show the size, checksum and key.
# Any failure exits non-zero (the systemd unit fails; its OnFailure= logs
# "ODOO BACKUP FAILED"). Never overwrites: a new timestamp each run, refused
# if anything is already there.
#
# Run by odoo-backup.service (the timer, on one Odoo server), or by hand:
#   sudo -u odoo odoo-backup
# as the odoo user (root is squashed on the EFS filestore).
# Settings: /etc/odoo/backup.env (ODOO_BACKUP_CONFIG), written by odoo_setup.
set -euo pipefail
umask 077
ODOO_BACKUP_PROG=odoo-backup
# shellcheck source-path=SCRIPTDIR
# shellcheck source=odoo-backup-lib.sh
source "$(dirname "$(readlink -f "$0")")/odoo-backup-lib.sh"
case "${1:-}" in
"") ;;
-h | --help) usage; exit 0 ;;
*) printf 'odoo-backup: unknown argument %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
esac

started=$(date +%s)
load_settings
[[ "$(id -un)" == "$ODOO_USER" ]] ||
	die "run as $ODOO_USER (sudo -u $ODOO_USER odoo-backup): the filestore is on EFS, where root is squashed"
private_dir
trap cleanup_private EXIT
read_odoo_conf

mkdir -p "$ODOO_BACKUP_WORK_DIR"
# One backup at a time on this server (a manual run during the timer's).
exec 9>"$ODOO_BACKUP_WORK_DIR/.lock"
flock -n 9 || die "another odoo-backup is running on this server ($ODOO_BACKUP_WORK_DIR/.lock)"

backup_id="$(date -u +%Y%m%dT%H%M%SZ)"
work="$ODOO_BACKUP_WORK_DIR/$backup_id"
prefix="$ODOO_BACKUP_PREFIX/$backup_id"
trap 'rm -rf "$work"; cleanup_private' EXIT
mkdir "$work"

# pg_dump refuses a server newer than itself; say which package to change.
server_num="$(psql_as "$DB_USER" "$DB_NAME" -tAc 'SHOW server_version_num')" ||
	die "cannot connect to $DB_NAME on $DB_HOST:$DB_PORT as $DB_USER (verify-full, CA $PGSSLROOTCERT)"
pg_dump_version="$("$ODOO_BACKUP_PG_BIN/pg_dump" --version)"
client_major="$(sed -n 's/^pg_dump (PostgreSQL) \([0-9]*\).*/\1/p' <<<"$pg_dump_version")"
server_major=$((server_num / 10000))
((client_major >= server_major)) ||
	die "$pg_dump_version cannot dump PostgreSQL $server_major: install the PostgreSQL $server_major client (odoo_system_packages: postgresql-client-$server_major)"
server_version="$(psql_as "$DB_USER" "$DB_NAME" -tAc 'SHOW server_version')"
base_version="$(odoo_base_version "$DB_NAME")" ||
	die "$DB_NAME has no ir_module_module: not an Odoo database"
[[ -n "$base_version" ]] || die "$DB_NAME: the base module is not installed: not an initialised Odoo database"

# The dump and the archive are staged on this (serving) host's disk: refuse
# before writing anything unless both fit with ODOO_BACKUP_RESERVE_MB left
# over. Bounds: the database's size on disk (a custom-format dump is
# compressed), the filestore's bytes plus a tar header per file, and the one
# part being uploaded at a time.
db_bytes="$(psql_as "$DB_USER" "$DB_NAME" -tAc 'SELECT pg_database_size(current_database())')"
filestore="$DATA_DIR/filestore/$DB_NAME"
[[ -d "$filestore" ]] || die "no filestore at $filestore (data_dir in $ODOO_CONFIG; is the EFS mounted?)"
fs_bytes="$(du -sb "$filestore" | cut -f1)"
fs_files="$(find "$filestore" -type f | wc -l)"
mib=$((1024 * 1024))
need=$((db_bytes + fs_bytes + fs_files * 1024 + ODOO_BACKUP_PART_MB * mib + ODOO_BACKUP_RESERVE_MB * mib))
free="$(df --output=avail -B1 "$ODOO_BACKUP_WORK_DIR" | tail -1 | tr -d ' ')"
((free >= need)) || die "$ODOO_BACKUP_WORK_DIR has $((free / mib)) MiB free; the backup needs $((need / mib)) MiB: the database $((db_bytes / mib)) MiB, the filestore $((fs_bytes / mib)) MiB, one part $ODOO_BACKUP_PART_MB MiB, and $ODOO_BACKUP_RESERVE_MB MiB left for the server (odoo_backup_reserve_mb). Nothing was written: give odoo_backup_work_dir a larger volume"

# Nothing may be there yet (the role cannot delete, and must not overwrite).
# (Not --query KeyCount: the CLI's paginator drops it from the merged
# result, which then always says None.)
existing="$(aws s3api list-objects-v2 --bucket "$ODOO_BACKUP_BUCKET" --prefix "$prefix/" --query 'Contents[0].Key' --output text)" ||
	die "cannot list s3://$ODOO_BACKUP_BUCKET/$prefix/ (credentials, region, s3:ListBucket on odoo/*)"
[[ "$existing" == None ]] || die "s3://$ODOO_BACKUP_BUCKET/$prefix/ already holds $existing: refusing to overwrite"

# The database first, then the filestore: every attachment the dump refers
# to was written to the filestore before its row was committed.
log "dumping $DB_NAME ($server_version) on $DB_HOST with $pg_dump_version"
PGAPPNAME=odoo-backup "$ODOO_BACKUP_PG_BIN/pg_dump" --format=custom --lock-wait-timeout=300s \
	-U "$DB_USER" -d "$DB_NAME" -f "$work/odoo.dump"
# A truncated or unreadable archive fails here, not at restore time.
tables="$("$ODOO_BACKUP_PG_BIN/pg_restore" --list "$work/odoo.dump" | grep -c '^[0-9]*; [0-9]* [0-9]* TABLE DATA ')" ||
	die "the dump has no table data"

log "archiving $filestore"
files="$(find "$filestore" -type f | wc -l)"
# GNU tar exits 1 when a file changed or vanished while it was read (Odoo's
# filestore garbage collection): the archive is complete otherwise, so this
# is logged, not fatal; 2 and above are errors.
tar_rc=0
tar --create --gzip --file="$work/filestore.tar.gz" --directory="$DATA_DIR/filestore" "$DB_NAME" || tar_rc=$?
((tar_rc <= 1)) || die "tar failed ($tar_rc) on $filestore"
((tar_rc == 0)) || log "WARNING: files changed while archived (tar exit 1); the archive is complete otherwise"

# upload NAME: cuts $work/NAME into parts of ODOO_BACKUP_PART_MB, one at a
# time (only one part is ever on disk beside the file), puts and verifies
# each; prints the manifest entry (JSON).
upload() {
	local name="$1" path="$work/$1" part entries=() size n=0
	size="$(stat -c %s "$path")"
	while ((n * ODOO_BACKUP_PART_MB * mib < size)); do
		part="$(printf '%s.part-%03d' "$name" "$n")"
		dd if="$path" of="$work/$part" bs=1M skip=$((n * ODOO_BACKUP_PART_MB)) count="$ODOO_BACKUP_PART_MB" status=none
		n=$((n + 1))
		s3_put "$prefix/$part" "$work/$part"
		entries+=("$(jq -cn --arg key "$part" --argjson size "$(stat -c %s "$work/$part")" --arg sha256 "$(sha256_hex "$work/$part")" '$ARGS.named')")
		rm -f "$work/$part"
	done
	jq -cn --arg name "$name" --argjson size "$(stat -c %s "$path")" --arg sha256 "$(sha256_hex "$path")" \
		--argjson parts "$(printf '%s\n' "${entries[@]}" | jq -cs .)" '$ARGS.named'
}

dump_entry="$(upload odoo.dump)"
filestore_entry="$(upload filestore.tar.gz)"
commit="$(git -C "${ODOO_SOURCE_DIR:-/nonexistent}" rev-parse HEAD 2>/dev/null || echo unknown)"
jq -n --arg id "$backup_id" --arg prefix "$ODOO_BACKUP_PREFIX" --arg database "$DB_NAME" --arg host "$(hostname)" \
	--arg odoo_version "$ODOO_VERSION" --arg odoo_commit "$commit" --arg base_module "$base_version" \
	--arg pg_dump "$pg_dump_version" --arg server "$server_version" \
	--argjson tables "$tables" --argjson files "$files" --argjson tar_warning "$([[ $tar_rc == 1 ]] && echo true || echo false)" \
	--argjson dump "$dump_entry" --argjson filestore "$filestore_entry" \
	'{format: 1, id: $id, prefix: $prefix, database: $database, created_by: $host,
	  odoo: {version: $odoo_version, commit: $odoo_commit, base_module: $base_module},
	  postgresql: {pg_dump: $pg_dump, server: $server, tables: $tables},
	  filestore_files: $files, filestore_changed_while_archived: $tar_warning,
	  files: [$dump, $filestore]}' >"$work/manifest.json"
s3_put "$prefix/manifest.json" "$work/manifest.json" --content-type application/json

log "done: s3://$ODOO_BACKUP_BUCKET/$prefix/ ($tables tables, $files files;" \
	"dump $(jq -r .size <<<"$dump_entry") bytes, filestore $(jq -r .size <<<"$filestore_entry") bytes) in $(($(date +%s) - started))s"
