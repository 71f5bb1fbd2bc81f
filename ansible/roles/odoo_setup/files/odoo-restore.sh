#!/usr/bin/env bash
# odoo-restore: lists the backups odoo-backup made, and restores one (database
# and filestore). docs/runbooks/restore.md runs it through
# playbooks/restore_odoo.yml, which stops Odoo on every Odoo server first.
#
#   odoo-restore list
#   odoo-restore restore [--dry-run] [--confirm DB] [--credentials-file FILE] [--neutralize] BACKUP_ID|latest
#
# restore, as root on one Odoo server:
#   1. refuses, before anything else, without --confirm DB (the database
#      name) or the name typed on a terminal, and while anything is
#      connected to the database: Odoo (or a backup) still running somewhere;
#   2. downloads the manifest and every part (the CLI checks S3's SHA-256)
#      and checks each part and each file against the manifest's SHA-256;
#   3. as the master user, creates <db>_restore_<now>, owned by the odoo role,
#      CONNECT for its owner only (app_databases' conventions); as the odoo
#      role, pg_restore --no-owner --role=<odoo> into it, in one transaction,
#      stopping at the first error; then checks it: as many tables as the
#      dump, the base module installed, every attachment's file present in
#      the archive; with --neutralize (every environment but production),
#      neutralizes it (odoo-bin neutralize: crons and outgoing mail servers
#      off) while it is not live yet;
#   4. extracts the filestore next to the live one, as the odoo user;
#   5. swaps: <db> becomes <db>_before_<now> (kept; drop it once satisfied),
#      the restored database becomes <db>; the filestore likewise
#      (filestore/.before-restore-<now>).
# --dry-run needs no confirmation, stops after step 2 and changes nothing.
# A failed step exits non-zero; a half-restored database is dropped.
#
# The master user (not a superuser on RDS) comes from --credentials-file
# FILE (its name on the first line, its password on the second; - reads
# standard input): the playbook writes them from Secrets Manager into a
# root-only file under /run, so they are on no command line, in no
# environment that sudo logs, and in no module argument that travels back
# over the session. Or from the environment (ODOO_RESTORE_MASTER_USER,
# ODOO_RESTORE_MASTER_PASSWORD), or asked for on a terminal.
# Settings: /etc/odoo/backup.env (ODOO_BACKUP_CONFIG), written by odoo_setup.
set -euo pipefail
umask 077
ODOO_BACKUP_PROG=odoo-restore
# shellcheck source-path=SCRIPTDIR
# shellcheck source=odoo-backup-lib.sh
source "$(dirname "$(readlink -f "$0")")/odoo-backup-lib.sh"

bad_usage() { printf 'odoo-restore: %s\n\n' "$1" >&2; usage >&2; exit 2; }
command="${1:-}"
(($#)) && shift
dry_run=0 confirm="" backup_id="" credentials_file="" neutralize=0
case "$command" in
-h | --help) usage; exit 0 ;;
list) (($# == 0)) || bad_usage "list takes no argument" ;;
restore)
	while (($#)); do
		case "$1" in
		--dry-run) dry_run=1 ;;
		--credentials-file) (($# >= 2)) || bad_usage "--credentials-file needs a file (- for standard input)"; credentials_file="$2"; shift ;;
		--neutralize) neutralize=1 ;;
		--confirm) (($# >= 2)) || bad_usage "--confirm needs the database name"; confirm="$2"; shift ;;
		-*) bad_usage "unknown option $1" ;;
		*) [[ -z "$backup_id" ]] || bad_usage "one backup at a time"; backup_id="$1" ;;
		esac
		shift
	done
	[[ -n "$backup_id" ]] || bad_usage "restore needs a BACKUP_ID (odoo-restore list) or latest"
	[[ "$backup_id" == latest || "$backup_id" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] ||
		bad_usage "BACKUP_ID '$backup_id' is not a backup (a UTC timestamp such as 20260101T013000Z, or latest)"
	;;
"") bad_usage "list or restore?" ;;
*) bad_usage "unknown command $command" ;;
esac

load_settings

if [[ "$command" == list ]]; then
	# One line per backup: id, complete or not, total size.
	aws s3api list-objects-v2 --bucket "$ODOO_BACKUP_BUCKET" --prefix "$ODOO_BACKUP_PREFIX/" \
		--query 'Contents[].[Key, Size]' --output text |
		awk -v p="$ODOO_BACKUP_PREFIX/" '
			index($1, p) == 1 { split(substr($1, length(p) + 1), k, "/"); size[k[1]] += $2; if (k[2] == "manifest.json") done[k[1]] = 1 }
			END {
				n = 0
				for (id in size) ids[++n] = id
				for (i = 2; i <= n; i++) for (j = i; j > 1 && ids[j-1] > ids[j]; j--) { t = ids[j]; ids[j] = ids[j-1]; ids[j-1] = t }
				for (i = 1; i <= n; i++) printf "%s  %-10s  %10.1f MiB%s\n", ids[i], done[ids[i]] ? "complete" : "INCOMPLETE", size[ids[i]] / 1048576, done[ids[i]] ? "" : "  (no manifest.json: that run failed; not restorable)"
			}'
	exit 0
fi

[[ "$(id -u)" -eq 0 ]] || die "run as root (sudo odoo-restore ...): it becomes $ODOO_USER for the filestore and reads $ODOO_CONFIG"
private_dir
created_db=""
cleanup() {
	local rc=$?
	if [[ -n "$created_db" ]]; then
		log "dropping the half-restored database $created_db"
		psql_as "$MASTER_USER" postgres -v db="$created_db" <<<'DROP DATABASE IF EXISTS :"db"' || log "could not drop $created_db: drop it as the master user"
	fi
	[[ -z "${work:-}" ]] || rm -rf "$work"
	[[ -z "${staging:-}" ]] || runuser -u "$ODOO_USER" -- rm -rf "$staging" || true
	cleanup_private
	exit "$rc"
}
trap cleanup EXIT
read_odoo_conf
as_odoo() { runuser -u "$ODOO_USER" -- "$@"; }

if [[ "$backup_id" == latest ]]; then
	backup_id="$(backup_ids | tail -1)"
	[[ -n "$backup_id" ]] || die "no complete backup under s3://$ODOO_BACKUP_BUCKET/$ODOO_BACKUP_PREFIX/"
	log "latest backup: $backup_id"
fi
prefix="$ODOO_BACKUP_PREFIX/$backup_id"
now="$(date -u +%Y%m%dt%H%M%Sz)"
work="$ODOO_BACKUP_WORK_DIR/restore-$now"
mkdir -p "$work"

# --- 1. confirmed, and nothing connected: before anything is downloaded -------
live_exists="$(psql_as "$DB_USER" postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = '$DB_NAME'")" ||
	die "cannot connect to $DB_HOST:$DB_PORT as $DB_USER"
check_idle() {
	local sessions
	# (psql interpolates :'db' in its input, never in -c)
	sessions="$(psql_as "$DB_USER" postgres -tA -F ' ' -v db="$DB_NAME" <<<"SELECT usename, coalesce(host(client_addr), 'local'),
		application_name FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid()")"
	[[ -z "$sessions" ]] || die "$(wc -l <<<"$sessions") sessions are connected to $DB_NAME (user, client, application):
$sessions
Stop Odoo on every Odoo server first (playbooks/restore_odoo.yml does), and wait for a running odoo-backup to end"
}
((live_exists == 0)) || check_idle
new_db="${DB_NAME}_restore_$now"
before_db="${DB_NAME}_before_$now"
filestore_root="$DATA_DIR/filestore"
if ((!dry_run)) && [[ "$confirm" != "$DB_NAME" ]]; then
	[[ -z "$confirm" ]] || die "--confirm $confirm is not the database name ($DB_NAME): nothing changed"
	[[ -t 0 ]] || die "refusing to replace database $DB_NAME and its filestore without confirmation: pass --confirm $DB_NAME (nothing changed)"
	read -r -p "Replace database $DB_NAME on $DB_HOST and its filestore with backup $backup_id? Type the database name: " answer
	[[ "$answer" == "$DB_NAME" ]] || die "'$answer' is not $DB_NAME: nothing changed"
fi

MASTER_USER="${ODOO_RESTORE_MASTER_USER:-}"
if [[ -n "$credentials_file" ]]; then
	[[ "$credentials_file" == - ]] || exec 3<"$credentials_file" || die "cannot read --credentials-file $credentials_file"
	[[ "$credentials_file" != - ]] || exec 3<&0
	IFS= read -r MASTER_USER <&3 || die "--credentials-file $credentials_file: no master user on its first line"
	IFS= read -r ODOO_RESTORE_MASTER_PASSWORD <&3 || die "--credentials-file $credentials_file: no password on its second line"
	exec 3<&-
fi
if ((!dry_run)) && [[ -z "$MASTER_USER" || -z "${ODOO_RESTORE_MASTER_PASSWORD:-}" ]]; then
	[[ -t 0 ]] || die "ODOO_RESTORE_MASTER_USER and ODOO_RESTORE_MASTER_PASSWORD are not set (the RDS master user: db_master_credentials)"
	[[ -n "$MASTER_USER" ]] || read -r -p "RDS master user: " MASTER_USER
	read -r -s -p "Password of $MASTER_USER: " ODOO_RESTORE_MASTER_PASSWORD
	echo >&2
fi
((dry_run)) || add_pgpass "$MASTER_USER" "$ODOO_RESTORE_MASTER_PASSWORD"
unset ODOO_RESTORE_MASTER_PASSWORD

# --- 2. download and check ----------------------------------------------------
aws s3api get-object --bucket "$ODOO_BACKUP_BUCKET" --key "$prefix/manifest.json" --checksum-mode ENABLED \
	"$work/manifest.json" >/dev/null || die "no manifest at s3://$ODOO_BACKUP_BUCKET/$prefix/ (odoo-restore list)"
jq -e '.format == 1 and (.files | map(.name) | sort) == ["filestore.tar.gz", "odoo.dump"]' "$work/manifest.json" >/dev/null ||
	die "s3://$ODOO_BACKUP_BUCKET/$prefix/manifest.json is not a format-1 manifest with odoo.dump and filestore.tar.gz"
source_db="$(jq -r .database "$work/manifest.json")"
[[ "$source_db" =~ ^[A-Za-z0-9_]{1,40}$ ]] || die "the manifest names database '$source_db'"
log "backup $backup_id: database $source_db, Odoo $(jq -r '.odoo.version + " (base " + .odoo.base_module + ", commit " + .odoo.commit + ")"' "$work/manifest.json"), $(jq -r .postgresql.pg_dump "$work/manifest.json")"

# fetch NAME: downloads NAME's parts into $work/NAME, checking each.
fetch() {
	local name="$1" key size sum got
	: >"$work/$name"
	while IFS=$'\t' read -r key size sum; do
		aws s3api get-object --bucket "$ODOO_BACKUP_BUCKET" --key "$prefix/$key" --checksum-mode ENABLED \
			"$work/$key" >/dev/null || die "download of s3://$ODOO_BACKUP_BUCKET/$prefix/$key failed (or S3's checksum did not match)"
		got="$(sha256_hex "$work/$key")"
		[[ "$got" == "$sum" && "$(stat -c %s "$work/$key")" == "$size" ]] ||
			die "$key: SHA-256 $got, size $(stat -c %s "$work/$key"); the manifest says $sum, $size: refusing a corrupt backup"
		cat "$work/$key" >>"$work/$name"
		rm -f "$work/$key"
	done < <(jq -r --arg n "$name" '.files[] | select(.name == $n) | .parts[] | [.key, .size, .sha256] | @tsv' "$work/manifest.json")
	sum="$(jq -r --arg n "$name" '.files[] | select(.name == $n) | .sha256' "$work/manifest.json")"
	got="$(sha256_hex "$work/$name")"
	[[ "$got" == "$sum" ]] || die "$name: SHA-256 $got, the manifest says $sum: refusing a corrupt backup"
	log "$name: $(stat -c %s "$work/$name") bytes, SHA-256 matches the manifest"
}
# Both files are staged on this server's disk (one part at a time beside
# them): refuse before downloading unless they fit with the reserve left.
mib=$((1024 * 1024))
need="$(jq '[.files[].size] + [([.files[].parts[].size] | max // 0)] | add' "$work/manifest.json")"
need=$((need + ODOO_BACKUP_RESERVE_MB * mib))
free="$(df --output=avail -B1 "$work" | tail -1 | tr -d ' ')"
((free >= need)) || die "$ODOO_BACKUP_WORK_DIR has $((free / mib)) MiB free; backup $backup_id needs $((need / mib)) MiB there (its files, one part, and $ODOO_BACKUP_RESERVE_MB MiB left for the server: odoo_backup_reserve_mb). Nothing changed"
fetch odoo.dump
fetch filestore.tar.gz
"$ODOO_BACKUP_PG_BIN/pg_restore" --list "$work/odoo.dump" >/dev/null || die "odoo.dump is not a pg_dump archive pg_restore can read"

if ((dry_run)); then
	log "dry run: backup $backup_id checked; nothing is connected to $DB_NAME. A restore would:"
	log "  create $new_db (owner $DB_USER) and pg_restore odoo.dump into it, check it"
	if ((live_exists)); then log "  rename $DB_NAME to $before_db, $new_db to $DB_NAME"; else log "  rename $new_db to $DB_NAME (there is no $DB_NAME now)"; fi
	log "  extract the filestore into $filestore_root/$DB_NAME (the current one kept as .before-restore-$now)"
	exit 0
fi

# --- 3. the database, under a new name --------------------------------------
log "creating $new_db and restoring odoo.dump into it"
created_db="$new_db"
psql_as "$MASTER_USER" postgres -v db="$new_db" -v owner="$DB_USER" <<-'EOF' || die "cannot create $new_db as $MASTER_USER"
	CREATE DATABASE :"db" OWNER :"owner" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
	REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
EOF
PGAPPNAME=odoo-restore "$ODOO_BACKUP_PG_BIN/pg_restore" --no-owner --role="$DB_USER" --exit-on-error --single-transaction \
	-U "$DB_USER" -d "$new_db" "$work/odoo.dump" || die "pg_restore into $new_db failed (nothing was swapped)"

want_tables="$(jq -r .postgresql.tables "$work/manifest.json")"
got_tables="$(psql_as "$DB_USER" "$new_db" -tAc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'")"
[[ "$got_tables" == "$want_tables" ]] || die "$new_db has $got_tables tables, the dump $want_tables"
base="$(odoo_base_version "$new_db")"
[[ -n "$base" ]] || die "$new_db has no installed base module: not an Odoo database"
log "$new_db: $got_tables tables, base $base"
if ((neutralize)); then
	# Before the swap: a failure here drops the restored database and leaves
	# the live one as it was.
	[[ -x "${ODOO_PYTHON:-}" && -f "${ODOO_SOURCE_DIR:-}/odoo-bin" ]] ||
		die "--neutralize needs Odoo: no ${ODOO_PYTHON:-python} or ${ODOO_SOURCE_DIR:-}/odoo-bin (ODOO_PYTHON, ODOO_SOURCE_DIR in $ODOO_BACKUP_CONFIG)"
	as_odoo env PGSSLROOTCERT="$PGSSLROOTCERT" "$ODOO_PYTHON" "$ODOO_SOURCE_DIR/odoo-bin" neutralize \
		--config "$ODOO_CONFIG" --database "$new_db" >&2 || die "neutralizing $new_db failed (nothing was swapped)"
	log "$new_db: neutralized (crons and outgoing mail servers off)"
fi

# --- 4. the filestore, next to the live one ---------------------------------
as_odoo mkdir -p "$filestore_root"
staging="$filestore_root/.restore-$now"
as_odoo mkdir "$staging"
# root reads the archive (in a root-only directory); odoo writes the files.
as_odoo tar --extract --gzip --no-same-owner --preserve-permissions --directory="$staging" <"$work/filestore.tar.gz" || die "extracting the filestore failed"
as_odoo test -d "$staging/$source_db" || die "the archive holds no $source_db directory"
# shellcheck disable=SC2016 # $1 is the inner shell's
absent="$(psql_as "$DB_USER" "$new_db" -tAc "SELECT DISTINCT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL" |
	as_odoo /bin/sh -c 'cd "$1" && while IFS= read -r f; do [ -f "$f" ] || echo "$f"; done' sh "$staging/$source_db")"
[[ -z "$absent" ]] || die "$(wc -l <<<"$absent") attachments of $new_db have no file in the archive, e.g. $(head -3 <<<"$absent" | tr '\n' ' ')"
files="$(as_odoo find "$staging/$source_db" -type f | wc -l)"
log "filestore: $files files extracted, every attachment's file present"

# --- 5. swap --------------------------------------------------------------------
((live_exists == 0)) || check_idle
if ((live_exists)); then
	psql_as "$MASTER_USER" postgres -v live="$DB_NAME" -v before="$before_db" -v new="$new_db" <<-'EOF' || die "the swap failed: $DB_NAME is unchanged; $new_db is dropped"
		BEGIN;
		ALTER DATABASE :"live" RENAME TO :"before";
		ALTER DATABASE :"new" RENAME TO :"live";
		COMMIT;
	EOF
	log "database: $DB_NAME is the backup's now; the previous one is $before_db"
else
	psql_as "$MASTER_USER" postgres -v live="$DB_NAME" -v new="$new_db" <<<'ALTER DATABASE :"new" RENAME TO :"live"' ||
		die "renaming $new_db to $DB_NAME failed"
	log "database: $DB_NAME is the backup's (there was no $DB_NAME)"
fi
created_db=""
# shellcheck disable=SC2016 # the inner shell's arguments
as_odoo /bin/sh -c 'set -e; cd "$1"; if [ -e "$2" ]; then mv "$2" "$3"; fi; mv "$4/$5" "$2"; rmdir "$4"' sh \
	"$filestore_root" "$DB_NAME" ".before-restore-$now" "$staging" "$source_db" ||
	die "the filestore swap failed: the database is restored; move $staging/$source_db to $filestore_root/$DB_NAME by hand, as $ODOO_USER"
staging=""
log "filestore: $filestore_root/$DB_NAME is the backup's$(as_odoo test -e "$filestore_root/.before-restore-$now" && echo "; the previous one is $filestore_root/.before-restore-$now")"
log "restored backup $backup_id. Start Odoo (the playbook does); drop $before_db and remove .before-restore-$now once satisfied"
