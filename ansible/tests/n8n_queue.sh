#!/usr/bin/env bash
# n8n in queue mode, for real: n8n at the version the n8n_setup role pins
# (npm, scripts/install-n8n.sh), one main and one worker run with exactly the
# environment the role renders (compose file + env file, read by
# compose_env.py), against PostgreSQL as RDS is (16, TLS only, the database
# and role made by app_databases) and Redis as ElastiCache is (TLS only,
# AUTH). Proves:
#   - start order: the main migrates the empty database and reports ready
#     (/healthz/readiness) before any worker starts; /healthz is what the
#     load balancer checks;
#   - a webhook on the main is executed by a worker, never by the main: with
#     no worker it stays queued; the worker's log names the execution;
#   - main and worker agree on the encryption key: a credential stored
#     through the main is decrypted by the worker (and a worker with another
#     key fails on it);
# Needs root.
#
# usage: tests/n8n_queue.sh            (from anywhere)
#   KEEP_SERVICES_DIR=1   keep the logs and data
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
no_arguments "$@"
cd "$(dirname "$0")/.."
# shellcheck source=ansible/tests/services.sh
source tests/services.sh

started=$(date +%s)
n8n_dir="$(../scripts/install-n8n.sh)"
pids=()
declare -A pid_of=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	services_cleanup
}
trap cleanup EXIT
elapsed() { echo "$(($(date +%s) - started))s"; }

services_init
pg_start "$(../scripts/install-postgres.sh)"
redis_start
work="$SERVICES_DIR/n8n"
mkdir -p "$work"
chmod 0700 "$work"
main_port="$(free_port)"
echo_port="$(free_port)"

# The inventory's variables (group_vars/all names), local values.
n8n_db_password="$(random_secret)"
encryption_key="$(random_secret)"
/usr/bin/python3 - "$work/vars.json" <<EOF
import json, os, sys
v = {
    "env_name": "test",
    "db_host": "$PG_HOST",
    "db_master_credentials": {"username": "$PG_MASTER_USER", "password": "$PG_MASTER_PASSWORD"},
    "n8n_db_password": "$n8n_db_password",
    # as group_vars/all builds it from the stack's app_databases output
    "app_databases": [
        {"name": "odoo", "owner": "odoo", "password": "$(random_secret)"},
        {"name": "n8n", "owner": "n8n", "password": "$n8n_db_password"},
    ],
    "n8n_db_host": "$PG_HOST",
    "n8n_redis_host": "$PG_HOST",
    "n8n_redis_password": "$REDIS_PASSWORD",
    "n8n_encryption_key": "$encryption_key",
    "n8n_runners_auth_token": "$(random_secret)",
    "n8n_webhook_url": "http://localhost:$main_port/",
    "rds_ca_url": "file://$SERVICES_CA",
    "rds_ca_checksum": "sha256:$(sha256sum "$SERVICES_CA" | cut -d' ' -f1)",
    "rds_ca_path": "$work/rds-ca-bundle.pem",
    # RDS and ElastiCache listen on 5432 and 6379; here on free ports.
    "app_databases_port": $PG_PORT,
    "n8n_db_port": $PG_PORT,
    "n8n_redis_port": $REDIS_PORT,
    "n8n_render_dir": "$work/render",
}
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, json.dumps(v).encode())
EOF
printf 'n8n-host ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' >"$work/inventory.ini"
playbook() {
	ANSIBLE_ROLES_PATH="$PWD/roles" ansible-playbook -i "$work/inventory.ini" -e "@$work/vars.json" "$1" >"$work/$(basename "$1" .yml).log" 2>&1 ||
		{ tail -30 "$work/$(basename "$1" .yml).log" >&2; echo "n8n_queue: $1 failed" >&2; exit 1; }
}

echo "==> the n8n database and role, as app_databases makes them; the role's rendered configuration"
playbook tests/app_databases.yml
playbook tests/n8n_render.yml
for mode in main worker; do
	/usr/bin/python3 tests/compose_env.py "$work/render/$mode/docker-compose.yml" n8n >"$work/$mode.json"
done

# start NAME MODE [VAR=VALUE...]: runs n8n with MODE's rendered environment
# and nothing else from this shell (env -i), plus what a container provides
# differently here, listed below, plus the VAR=VALUE given.
start() {
	local name="$1" mode="$2" home="$work/$1"
	shift 2
	mkdir -p "$home"
	local env_args argv
	mapfile -t env_args < <(/usr/bin/python3 -c 'import json,sys; [print(f"{k}={v}") for k, v in json.load(open(sys.argv[1]))["env"].items()]' "$work/$mode.json")
	mapfile -t argv < <(/usr/bin/python3 -c 'import json,sys; [print(a) for a in json.load(open(sys.argv[1]))["argv"]]' "$work/$mode.json")
	local container=(
		"PATH=$n8n_dir/bin:/usr/bin:/bin"
		# The image's user is node with HOME=/home/node; the compose file
		# keeps /home/node/.n8n in a volume: one home per instance here.
		"HOME=$home"
		# Inside its container each instance has the ports to itself; here
		# main, workers and their task brokers share the loopback, and
		# listen on it only.
		"N8N_PORT=$main_port"
		"N8N_LISTEN_ADDRESS=127.0.0.1"
		"N8N_WORKER_SERVER_ADDRESS=127.0.0.1"
		"N8N_RUNNERS_BROKER_PORT=$(free_port)"
		"N8N_RUNNERS_BROKER_LISTEN_ADDRESS=127.0.0.1"
		# ElastiCache's certificate is signed by a public CA the image
		# trusts; this Redis's by the run's CA.
		"NODE_EXTRA_CA_CERTS=$SERVICES_CA"
	)
	env -i "${env_args[@]}" "${container[@]}" "$@" "$n8n_dir/bin/n8n" "${argv[@]}" >>"$work/$name.log" 2>&1 &
	pids+=("$!")
	pid_of[$name]=$!
}
stop() { # stop NAME: SIGTERM, as docker compose stop does
	kill "${pid_of[$1]}" 2>/dev/null || true
	wait "${pid_of[$1]}" 2>/dev/null || true
}
# wait_http URL STATUS SECONDS NAME: until URL answers STATUS; fails with NAME's log.
wait_http() {
	local i
	for ((i = 0; i < $3; i++)); do
		[[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1")" == "$2" ]] && return 0
		if ! kill -0 "${pid_of[$4]}" 2>/dev/null; then
			tail -30 "$work/$4.log" >&2
			return 1
		fi
		sleep 1
	done
	tail -30 "$work/$4.log" >&2
	return 1
}
n8n_sql() { pg_as n8n "$n8n_db_password" n8n -tA -c "$1"; }

echo "==> every variable the role renders is one n8n $("$n8n_dir/bin/n8n" --version) reads"
# A name n8n does not read is silently ignored: look each one up in the
# installed n8n's code (X_FILE is X read from a file; NODE_ENV is Node's).
n8n_code=("$n8n_dir"/n8n/node_modules/{n8n,@n8n/config,@n8n/db,@n8n/task-runner,n8n-core,n8n-workflow}/dist)
for mode in main worker; do
	for key in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["env"]))' "$work/$mode.json"); do
		name="${key%_FILE}"
		[[ "$name" == NODE_ENV ]] && continue
		if grep -rqsF --include='*.js' -e "'$name'" -e "\"$name\"" -e "env.$name" "${n8n_code[@]}"; then
			echo "  read  $mode: $key"
		else
			check_fail "$mode: n8n does not read $key"
		fi
	done
done
while IFS='=' read -r key _; do
	[[ "$key" =~ ^[A-Z0-9_]+$ ]] || continue
	grep -rqsF --include='*.js' -e "'$key'" "${n8n_code[@]}" || check_fail "runners.env: $key is read by no runner code"
done <"$work/render/main/runners.env"
((CHECKS_FAILED == 0)) && check_pass "every rendered variable name is read by n8n"

echo "==> main on an empty database: migrations, then ready ($(elapsed))"
start main main
# /healthz answers as soon as the HTTP server listens; /healthz/readiness
# only when the database is connected and migrated.
first_health="" first_ready=""
for ((i = 0; i < 240; i++)); do
	[[ -z "$first_health" && "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://localhost:$main_port/healthz")" == 200 ]] &&
		first_health="$i" && migrated_at_health="$(n8n_sql "SELECT count(*) FROM migrations" 2>/dev/null || echo none)"
	if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://localhost:$main_port/healthz/readiness")" == 200 ]]; then
		first_ready="$i"
		break
	fi
	kill -0 "${pid_of[main]}" 2>/dev/null || break
	sleep 1
done
if [[ -n "$first_ready" ]]; then
	check_pass "main ready after ${first_ready}s (/healthz answered 200 after ${first_health}s, migrations then: ${migrated_at_health})"
else
	tail -40 "$work/main.log" >&2
	check_fail "main never became ready"
	checks_summary n8n_queue
fi
migrations="$(n8n_sql "SELECT count(*) FROM migrations")"
if ((migrations > 50)); then check_pass "the main ran n8n's migrations ($migrations) as the n8n role, over verify-full TLS"; else check_fail "migrations: $migrations"; fi
check_ok "the load balancer's health check (GET /healthz on the main's port) answers 200" \
	curl -sf --max-time 5 "http://localhost:$main_port/healthz"

echo "==> a credential and a webhook workflow, imported through the main's CLI ($(elapsed))"
secret="$(random_secret)"
cat >"$work/credential.json" <<EOF
[{"id": "igQueueProbeCred", "name": "queue probe header", "type": "httpHeaderAuth",
  "data": {"name": "X-Probe-Auth", "value": "$secret"}}]
EOF
cat >"$work/workflow.json" <<EOF
{"id": "igQueueProbeFlow", "name": "queue probe", "active": false, "settings": {"executionOrder": "v1"},
 "connections": {"Webhook": {"main": [[{"node": "Echo", "type": "main", "index": 0}]]}},
 "nodes": [
  {"id": "0f6c9d52-1b8e-4a55-9d3c-4c2e1f6a0a01", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
   "position": [0, 0], "webhookId": "5b7f3a8e-2d4c-4f1a-9e6b-8c0d1a2b3c4d",
   "parameters": {"httpMethod": "GET", "path": "queue-probe", "authentication": "headerAuth", "responseMode": "lastNode", "options": {}},
   "credentials": {"httpHeaderAuth": {"id": "igQueueProbeCred", "name": "queue probe header"}}},
  {"id": "0f6c9d52-1b8e-4a55-9d3c-4c2e1f6a0a02", "name": "Echo", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
   "position": [220, 0],
   "parameters": {"url": "http://localhost:$echo_port/echo", "authentication": "genericCredentialType", "genericAuthType": "httpHeaderAuth", "options": {}},
   "credentials": {"httpHeaderAuth": {"id": "igQueueProbeCred", "name": "queue probe header"}}}
 ]}
EOF
# The CLI imports into the database; the running main picks the published
# workflow up when it restarts (n8n's publish:workflow says so).
stop main
cli() { # cli ARGS...: the n8n CLI with the main's environment
	local env_args
	mapfile -t env_args < <(/usr/bin/python3 -c 'import json,sys; [print(f"{k}={v}") for k, v in json.load(open(sys.argv[1]))["env"].items()]' "$work/main.json")
	env -i "${env_args[@]}" "PATH=$n8n_dir/bin:/usr/bin:/bin" "HOME=$work/main" "NODE_EXTRA_CA_CERTS=$SERVICES_CA" \
		"$n8n_dir/bin/n8n" "$@" >>"$work/cli.log" 2>&1 || { tail -20 "$work/cli.log" >&2; return 1; }
}
check_ok "import:credentials" cli import:credentials --input="$work/credential.json"
check_ok "import:workflow" cli import:workflow --input="$work/workflow.json"
check_ok "publish:workflow" cli publish:workflow --id=igQueueProbeFlow
stored="$(n8n_sql "SELECT data FROM credentials_entity WHERE id = 'igQueueProbeCred'")"
if [[ -n "$stored" && "$stored" != *"$secret"* ]]; then check_pass "the credential is stored encrypted"; else check_fail "credential storage" "$stored"; fi

# The HTTP endpoint the workflow calls: it answers with the headers it got.
/usr/bin/python3 - "$echo_port" >"$work/echo.log" 2>&1 <<'EOF' &
import http.server, json, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"probe_header": self.headers.get("X-Probe-Auth", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
EOF
pids+=("$!")
start main main
wait_http "http://localhost:$main_port/healthz/readiness" 200 180 main || { check_fail "main restart"; checks_summary n8n_queue; }

echo "==> no worker yet: the webhook is queued, not executed by the main ($(elapsed))"
hook="http://localhost:$main_port/webhook/queue-probe"
# n8n reports ready (server.js markAsReady) before it registers the published
# workflows' webhooks (start.js: activeWorkflowManager.init() comes after
# server.start()): until then the webhook answers 404.
for ((i = 0; i < 120; i++)); do
	[[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$hook")" != 404 ]] && break
	sleep 1
done
echo "  the webhook was registered ${i}s after the main reported ready"
check_refused "the webhook without its header" "403" curl -s -o /dev/null -w '%{http_code}' --max-time 10 --fail "$hook"
curl -s --max-time 180 -H "X-Probe-Auth: $secret" -w '\n%{http_code}' "$hook" >"$work/call1.out" 2>&1 &
call1=$!
pids+=("$call1")
sleep 10
status1="$(n8n_sql "SELECT status FROM execution_entity WHERE \"workflowId\" = 'igQueueProbeFlow' ORDER BY id DESC LIMIT 1")"
jobs_waiting="$(redis_cli LLEN bull:jobs:wait 2>/dev/null || echo '?')"
if kill -0 "$call1" 2>/dev/null && [[ "$status1" == new ]]; then
	check_pass "after 10s the call still waits and the execution is '$status1' (Redis bull:jobs:wait holds $jobs_waiting)"
else
	check_fail "with no worker the execution is '$status1'" "$(cat "$work/call1.out")"
fi

echo "==> a worker with another encryption key cannot decrypt the credential ($(elapsed))"
start worker-wrong-key worker "N8N_ENCRYPTION_KEY=$(random_secret)" "QUEUE_HEALTH_CHECK_PORT=$(free_port)"
wait "$call1" || true
exec1="$(n8n_sql "SELECT id || ' ' || status FROM execution_entity WHERE \"workflowId\" = 'igQueueProbeFlow' ORDER BY id DESC LIMIT 1")"
if [[ "$exec1" == *" error" ]] && ! grep -q "$secret" "$work/call1.out"; then
	check_pass "execution ${exec1% *} ran on that worker and failed (response: $(tail -1 "$work/call1.out"))"
else
	check_fail "with the wrong key: execution '$exec1'" "$(cat "$work/call1.out")"
fi
data1="$(n8n_sql "SELECT data FROM execution_data WHERE \"executionId\" = ${exec1% *}")"
if [[ "$data1" == *"could not be decrypted"* ]]; then check_pass "  its error: credentials could not be decrypted"; else check_fail "error of execution ${exec1% *}" "${data1:0:600}"; fi
stop worker-wrong-key

echo "==> the worker as the role renders it ($(elapsed))"
worker_health_port="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["env"].get("QUEUE_HEALTH_CHECK_PORT", 5678))' "$work/worker.json")"
# Its health server would listen on $worker_health_port inside its container.
worker_port="$(free_port)"
start worker worker "QUEUE_HEALTH_CHECK_PORT=$worker_port"
if wait_http "http://localhost:$worker_port/healthz/readiness" 200 180 worker; then
	check_pass "the worker is ready (QUEUE_HEALTH_CHECK_ACTIVE: /healthz/readiness on its port $worker_health_port)"
else
	check_fail "the worker never became ready"
	checks_summary n8n_queue
fi
response="$(curl -s --max-time 120 -H "X-Probe-Auth: $secret" "$hook" || true)"
exec2="$(n8n_sql "SELECT id || ' ' || status FROM execution_entity WHERE \"workflowId\" = 'igQueueProbeFlow' ORDER BY id DESC LIMIT 1")"
if [[ "$response" == *"\"probe_header\":\"$secret\""* || "$response" == *"\"probe_header\": \"$secret\""* ]]; then
	check_pass "the webhook answered with the credential's header, decrypted on the worker (execution $exec2)"
else
	check_fail "webhook response" "$response"
fi
if grep -q "Worker started execution ${exec2% *} " "$work/worker.log" && grep -q "Worker finished execution ${exec2% *} " "$work/worker.log"; then
	check_pass "the worker's log: started and finished execution ${exec2% *}"
else
	check_fail "the worker's log does not show execution ${exec2% *}" "$(tail -20 "$work/worker.log")"
fi
if ! grep -q "started execution ${exec2% *}" "$work/main.log"; then check_pass "the main's log does not claim it"; else check_fail "the main ran execution ${exec2% *}"; fi

for name in main worker; do
	if grep -qi "deprecat" "$work/$name.log"; then
		check_fail "the $name warns of deprecated settings" "$(grep -i -A8 deprecat "$work/$name.log")"
	else
		check_pass "the $name warns of no deprecated setting"
	fi
done

echo "n8n $("$n8n_dir/bin/n8n" --version) queue mode on PostgreSQL $PG_VERSION and Redis: $(elapsed)"
checks_summary n8n_queue
