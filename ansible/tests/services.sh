# shellcheck shell=bash
# Real services for the Ansible tests, started on loopback in a temporary
# directory and stopped by services_cleanup (the sourcing script traps it):
#   - a certificate authority and a server certificate for "localhost",
#     made with openssl for this run only;
#   - PostgreSQL as Amazon RDS is: TLS only (rds.force_ssl=1 is a hostssl-only
#     pg_hba), scram-sha-256, and a master user that is NOT a superuser but
#     has CREATEROLE, CREATEDB and membership in an rds_superuser role;
#   - Redis as ElastiCache with transit encryption and an AUTH token is:
#     TLS only (port 0), requirepass.
# Needs root: initdb and the servers run as the postgres and redis users.
#
# Settings (defaults: the loopback set-up above): SERVICES_CERT_NAME (the
# certificate's only name), PG_LISTEN (listen_addresses), PG_CLIENTS (the
# network pg_hba admits), PG_FIXED_PORT (the port; default a free one).
#
# Sourced by app_databases.sh, n8n_queue.sh, converge_ssm.sh. Sets SERVICES_DIR, SERVICES_CA,
# PG_HOST, PG_PORT, PG_MASTER_USER, PG_MASTER_PASSWORD, PG_VERSION, PG_BIN,
# PG_CLIENT_BIN, REDIS_PORT, REDIS_PASSWORD.

SERVICES_DIR=""
PG_HOST=localhost
PG_MASTER_USER=dbadmin # environments.go's MasterUsername

services_log() { printf '[services %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# A free TCP port on loopback (the kernel picks it; another process could
# take it before the server binds, which only makes the start fail).
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

random_secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

# require_root WHY: exit 1 with WHY unless this is root.
require_root() {
	[[ "$(id -u)" -eq 0 ]] || {
		echo "${0##*/}: needs root ($1)" >&2
		exit 1
	}
}

services_init() {
	require_root "initdb and the servers run as the postgres and redis users"
	SERVICES_DIR="$(mktemp -d /tmp/influencegen-services.XXXXXX)"
	chmod 0755 "$SERVICES_DIR"
	local tls="$SERVICES_DIR/tls"
	mkdir -p "$tls"
	# The CA and a server certificate whose only name is "localhost" (or
	# SERVICES_CERT_NAME), so a verify-full client that connects to
	# 127.0.0.1 is refused (tested).
	local name="${SERVICES_CERT_NAME:-localhost}"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=InfluenceGen test CA" \
		-keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
		-keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$name" >"$tls/ext.cnf"
	openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
		-days 2 -extfile "$tls/ext.cnf" -out "$tls/server.pem" 2>/dev/null
	SERVICES_CA="$tls/ca.pem"
	chmod 0644 "$tls/ca.pem" "$tls/server.pem"
}

# pg_start [SERVER_BIN_DIR]: PostgreSQL from SERVER_BIN_DIR (initdb, pg_ctl,
# postgres; scripts/install-postgres.sh gives RDS's 16), by default Debian's
# newest (Debian 12: 15). psql is always Debian's.
pg_start() {
	local debian_bin bindir
	debian_bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -1)"
	[[ -x "$debian_bin/psql" ]] || { echo "services: PostgreSQL not installed (make deps)" >&2; return 1; }
	PG_CLIENT_BIN="$debian_bin"
	bindir="${1:-$debian_bin}"
	local pg="$SERVICES_DIR/pg"
	mkdir -p "$pg"
	if [[ "$bindir" != "$debian_bin" ]]; then
		# Copied out of the (root-only) cache so that postgres can run it.
		cp -a "$(dirname "$bindir")" "$pg/server"
		chown -R root:root "$pg/server"
		chmod -R go+rX "$pg/server"
		bindir="$pg/server/bin"
	fi
	[[ -x "$bindir/initdb" ]] || { echo "services: no initdb in $bindir" >&2; return 1; }
	PG_BIN="$bindir"
	PG_VERSION="$("$bindir/postgres" -V | sed -n 's/^postgres (PostgreSQL) \([0-9.]*\).*/\1/p')"
	PG_PORT="${PG_FIXED_PORT:-$(free_port)}"
	PG_MASTER_PASSWORD="$(random_secret)"
	cp "$SERVICES_DIR/tls/server.pem" "$SERVICES_DIR/tls/server.key" "$pg/"
	chown postgres:postgres "$pg" "$pg/server.pem" "$pg/server.key"
	chmod 0700 "$pg"
	chmod 0600 "$pg/server.key"
	runuser -u postgres -- "$bindir/initdb" -D "$pg/data" -U postgres -A peer -E UTF8 --locale=C.UTF-8 >"$pg/initdb.log" 2>&1 ||
		{ cat "$pg/initdb.log" >&2; return 1; }
	cat >>"$pg/data/postgresql.conf" <<-EOF
		listen_addresses = '${PG_LISTEN:-127.0.0.1}'
		port = $PG_PORT
		unix_socket_directories = '$pg'
		ssl = on
		ssl_cert_file = '$pg/server.pem'
		ssl_key_file = '$pg/server.key'
		password_encryption = scram-sha-256
		log_connections = on
	EOF
	# rds.force_ssl=1: TLS or nothing. The local line is the test's own
	# bootstrap (RDS's is rdsadmin's); nothing the roles do uses it.
	cat >"$pg/data/pg_hba.conf" <<-EOF
		local     all  postgres                peer
		hostssl   all  all       ${PG_CLIENTS:-127.0.0.1/32}  scram-sha-256
		hostnossl all  all       0.0.0.0/0     reject
	EOF
	runuser -u postgres -- "$bindir/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 start >/dev/null ||
		{ cat "$pg/server.log" >&2; return 1; }
	# The master user as RDS creates it: rds_superuser is a NOLOGIN role
	# with RDS's monitoring and signalling memberships; the master user is a
	# member of it and has CREATEROLE and CREATEDB, never SUPERUSER.
	pg_superuser_sql postgres -v ON_ERROR_STOP=1 -v pw="$PG_MASTER_PASSWORD" >/dev/null <<-EOF
		CREATE ROLE rds_superuser NOLOGIN;
		GRANT pg_monitor, pg_signal_backend TO rds_superuser WITH ADMIN OPTION;
		CREATE ROLE $PG_MASTER_USER LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD :'pw';
		GRANT rds_superuser TO $PG_MASTER_USER;
	EOF
	services_log "PostgreSQL $PG_VERSION on ${PG_LISTEN:-127.0.0.1}:$PG_PORT (TLS only, CA $SERVICES_CA)"
}

# psql as the bootstrap superuser over the Unix socket (test set-up and
# inspection only): pg_superuser_sql DB [psql options...] <sql
pg_superuser_sql() {
	local db="$1"
	shift
	runuser -u postgres -- "$PG_CLIENT_BIN/psql" -h "$SERVICES_DIR/pg" -p "$PG_PORT" -d "$db" -X -q "$@"
}

# psql as a login role, as the applications connect (verify-full TLS to
# "localhost" with the run's CA): pg_as USER PASSWORD DB [psql options...]
pg_as() { pg_connect verify-full "$PG_HOST" "$@"; }
# The same without TLS, and with TLS to a name the certificate lacks.
pg_as_plaintext() { pg_connect disable "$PG_HOST" "$@"; }
pg_as_by_ip() { pg_connect verify-full 127.0.0.1 "$@"; }
pg_connect() {
	local sslmode="$1" host="$2" user="$3" password="$4" db="$5"
	shift 5
	PGPASSWORD="$password" PGSSLMODE="$sslmode" PGSSLROOTCERT="$SERVICES_CA" PGCONNECT_TIMEOUT=10 \
		"$PG_CLIENT_BIN/psql" -h "$host" -p "$PG_PORT" -U "$user" -d "$db" -X -q -v ON_ERROR_STOP=1 "$@"
}

redis_start() {
	REDIS_PORT="$(free_port)"
	REDIS_PASSWORD="$(random_secret)"
	local r="$SERVICES_DIR/redis"
	mkdir -p "$r"
	cp "$SERVICES_DIR/tls/server.pem" "$SERVICES_DIR/tls/server.key" "$SERVICES_DIR/tls/ca.pem" "$r/"
	# No plain-text port: ElastiCache with transit encryption has none.
	cat >"$r/redis.conf" <<-EOF
		bind 127.0.0.1
		port 0
		tls-port $REDIS_PORT
		tls-cert-file $r/server.pem
		tls-key-file $r/server.key
		tls-ca-cert-file $r/ca.pem
		tls-auth-clients no
		requirepass $REDIS_PASSWORD
		dir $r
		save ""
		appendonly no
		daemonize yes
		pidfile $r/redis.pid
		logfile $r/redis.log
	EOF
	chown -R redis:redis "$r"
	chmod 0700 "$r"
	runuser -u redis -- redis-server "$r/redis.conf"
	local i
	for ((i = 0; i < 50; i++)); do
		redis_cli PING 2>/dev/null | grep -qx PONG && break
		sleep 0.2
	done
	redis_cli PING 2>/dev/null | grep -qx PONG || { cat "$r/redis.log" >&2; return 1; }
	services_log "Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$REDIS_PORT (TLS only, AUTH)"
}

redis_cli() {
	REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --tls --cacert "$SERVICES_CA" -h "$PG_HOST" -p "$REDIS_PORT" "$@"
}

services_cleanup() {
	[[ -n "$SERVICES_DIR" && -d "$SERVICES_DIR" ]] || return 0
	if [[ -f "$SERVICES_DIR/pg/data/postmaster.pid" ]]; then
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [[ -f "$SERVICES_DIR/redis/redis.pid" ]]; then
		kill "$(cat "$SERVICES_DIR/redis/redis.pid")" 2>/dev/null || true
	fi
	if [[ -n "${KEEP_SERVICES_DIR:-}" ]]; then
		echo "services: kept $SERVICES_DIR" >&2
	else
		rm -rf "$SERVICES_DIR"
	fi
}

# Assertions: each prints one line and counts; checks_summary ends the test
# with "NAME: N passed, N failed" and fails it if any failed.
CHECKS_PASSED=0
CHECKS_FAILED=0
check_pass() { CHECKS_PASSED=$((CHECKS_PASSED + 1)); printf '  ok    %s\n' "$1"; }
# The detail is cut at 4000 characters (an AWS CLI error can quote a whole
# object).
check_fail() {
	CHECKS_FAILED=$((CHECKS_FAILED + 1))
	printf '  FAIL  %s\n' "$1" >&2
	[[ -z "${2:-}" ]] || printf '%s%s\n' "${2:0:4000}" "$( ((${#2} > 4000)) && printf ' [… %d more characters]' $((${#2} - 4000)))" | sed 's/^/        /' >&2
}

# check_ok DESCRIPTION COMMAND...: the command succeeds.
check_ok() {
	local what="$1" out
	shift
	if out="$("$@" 2>&1)"; then check_pass "$what"; else check_fail "$what" "$out"; fi
}

# check_refused DESCRIPTION MESSAGE COMMAND...: the command fails and its
# output contains MESSAGE (the server's own error text).
check_refused() {
	local what="$1" message="$2" out
	shift 2
	if out="$("$@" 2>&1)"; then
		check_fail "$what (was allowed)" "$out"
	elif [[ "$out" == *"$message"* ]]; then
		check_pass "$what: $message"
	else
		check_fail "$what (refused, but not with \"$message\")" "$out"
	fi
}

checks_summary() {
	echo "$1: $CHECKS_PASSED passed, $CHECKS_FAILED failed"
	((CHECKS_FAILED == 0))
}
