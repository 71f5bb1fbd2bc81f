#!/usr/bin/env bash
# Configuration over the real transport: site.yml, run by ansible-playbook
# through community.aws's aws_ssm connection plugin (the pinned release,
# ansible/requirements.yml) with the connection variables exactly as
# group_vars/all sets them, against one booted stand-in host per inventory
# group of the dev stack (Debian roots from idempotence.sh's debootstrap
# cache, booted with systemd-nspawn). What the plugin talks to is stood in
# (tests/ssm/): the SSM and Secrets Manager APIs (aws_standin.py, reached
# through botocore's endpoint rule sets on AWS_DATA_PATH), the
# session-manager-plugin binary with the SSM agent's shell on the host, and
# the transfer bucket (s3_standin.py, as dev's deploy role). Then converged
# again: the second run must change nothing. While it runs, every process's
# command line is sampled; afterwards the Ansible output (-v and -vvv), the
# hosts' logs and the session transcripts are searched for every secret.
#
# usage: tests/converge_ssm.sh [--keep]     (as root, from anywhere)
#   --keep   leave the work directory (logs, hosts' roots) for inspection
# Env: ROOTFS_CACHE (default /var/cache/influencegen/rootfs-bookworm);
#      PLANT=<break>: plant one break the test must fail on, naming the host
#      and the task: transfer_key, cwagent_config, ssm_timeout, restore_env,
#      restore_no_always, apt_lock (tests/README.md, "Planted breaks")
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
keep=0
case "${1:-}" in
"") ;;
--keep) keep=1 ;;
-h | --help) usage; exit 0 ;;
*) usage_error "unknown argument $1" ;;
esac
cd "$(dirname "$0")/.."
# shellcheck source=ansible/tests/services.sh
source tests/services.sh
require_root "systemd-nspawn boots the stand-in hosts"

# One real-service test at a time on this machine (ports, the dpkg lock).
exec 8>/tmp/influencegen-services.lock
flock 8

here="$PWD"
ssm="$here/tests/ssm"
cache="${CACHE_DIR:-/var/cache/influencegen}"
rootfs_cache="${ROOTFS_CACHE:-$cache/rootfs-bookworm}"
ami="$cache/ami-bookworm"
suite=bookworm
mirror="http://deb.debian.org/debian"
work="$(mktemp -d /var/tmp/influencegen-ssm.XXXXXX)"
chmod 0755 "$work"
bridge=igssm0
net=10.213.0
pids=()
nspawn_pids=()

log() { printf '[converge-ssm %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() { printf '[converge-ssm] FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
	local rc=$?
	set +e
	for p in "${nspawn_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${nspawn_pids[@]}"; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	services_cleanup
	ip link del "$bridge" 2>/dev/null
	if ((keep)); then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
	exit "$rc"
}
trap cleanup EXIT

# --- the AMI stand-in: a Debian root with what the servers' image has -------
# (sudo, curl, which community.aws's plugin requires on the host, rsyslog's
# syslog and auth.log, which the CloudWatch agent ships, D-Bus).
build_ami() {
	if [[ ! -d "$rootfs_cache/usr" ]]; then
		log "debootstrap $suite into $rootfs_cache (once; tests/idempotence.sh shares it)"
		mkdir -p "$(dirname "$rootfs_cache")"
		debootstrap --variant=minbase --include=python3,python3-apt,ca-certificates,systemd,openssh-server \
			"$suite" "$rootfs_cache.tmp" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
		mv "$rootfs_cache.tmp" "$rootfs_cache"
	fi
	[[ -f "$ami/.complete" ]] && return 0
	log "building the AMI stand-in $ami (once)"
	rm -rf "$ami" "$ami.tmp"
	cp -a "$rootfs_cache" "$ami.tmp"
	printf '#!/bin/sh\nexit 101\n' >"$ami.tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$ami.tmp/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$ami.tmp/etc/resolv.conf"
	mount -t proc proc "$ami.tmp/proc"
	local rc=0
	chroot "$ami.tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
		'apt-get update -qq && apt-get install -y -qq --no-install-recommends sudo curl rsyslog dbus systemd-sysv iproute2 >/dev/null' || rc=$?
	umount "$ami.tmp/proc"
	((rc == 0)) || fail "installing the AMI packages failed"
	rm -f "$ami.tmp/usr/sbin/policy-rc.d" "$ami.tmp/etc/resolv.conf"
	chroot "$ami.tmp" apt-get clean
	: >"$ami.tmp/etc/machine-id"
	touch "$ami.tmp/.complete"
	mv "$ami.tmp" "$ami"
}

# --- the network: a bridge the hosts sit on; the stand-ins listen there --------
start_network() {
	ip link del "$bridge" 2>/dev/null || true
	ip link add "$bridge" type bridge
	ip addr add "$net.1/24" dev "$bridge"
	ip link set "$bridge" up
	# nspawn refuses to clean up a /run that is not a tmpfs.
	mkdir -p /run/systemd/nspawn
	mountpoint -q /run/systemd/nspawn || mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
}

port() { /usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('$net.1',0)); print(s.getsockname()[1])"; }
wait_port() {
	local p="$1"
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/$net.1/$p") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nothing listens on $net.1:$p"
}

# boot_host NAME INSTANCE_ID IP
boot_host() {
	local name="$1" id="$2" ip="$3" root="$work/hosts/$1" nspawn pid=""
	ip link del "vb-$name" 2>/dev/null || true # left by a killed run
	cp -a "$ami" "$root"
	echo "$name" >"$root/etc/hostname"
	printf '127.0.1.1 %s\n' "$name" >>"$root/etc/hosts"
	# The VPC's resolver: the stack's endpoints resolve to the stand-ins.
	printf '%s %s\n' "$net.1" "$db_host" >>"$root/etc/hosts"
	# The NAT gateway stand-in: apt reaches the Debian mirror through it.
	printf 'Acquire::http::Proxy "http://%s:%s";\n' "$net.1" "$proxy_port" >"$root/etc/apt/apt.conf.d/00standin-proxy"
	systemd-nspawn --quiet --keep-unit --register=no --boot --directory="$root" --machine="$name" \
		--network-bridge="$bridge" --capability=CAP_SYS_TIME \
		>"$work/logs/console-$name.log" 2>&1 </dev/null &
	nspawn=$!
	nspawn_pids+=("$nspawn")
	for _ in $(seq 100); do
		pid="$( (ps -o pid= --ppid "$nspawn" || true) | tr -d " " | head -1)"
		[[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == systemd ]] && break
		pid=""
		sleep 0.2
	done
	[[ -n "$pid" ]] || { cat "$work/logs/console-$name.log" >&2; fail "$name did not boot"; }
	nsenter -t "$pid" -n ip addr add "$ip/24" dev host0
	nsenter -t "$pid" -n ip link set host0 up
	nsenter -t "$pid" -n ip route add default via "$net.1"
	for _ in $(seq 120); do
		case "$(nsenter -t "$pid" -a systemctl is-system-running 2>/dev/null || true)" in
		running | degraded) break ;;
		esac
		sleep 0.5
	done
	printf '{"pid": %s}\n' "$pid" >"$work/aws/hosts/$id.json"
	echo "$pid" >"$work/hosts/$name.pid"
	log "$name ($id, $ip) booted: $(nsenter -t "$pid" -a systemctl is-system-running 2>/dev/null || true)"
}

mkdir -p "$work/logs" "$work/hosts" "$work/aws/hosts" "$work/files" "$work/s3"
build_ami
start_network

# RDS: PostgreSQL 16 as services.sh sets it up (TLS only, a master user
# that is not a superuser), listening on the hosts' network under the
# endpoint name the stack outputs, with a certificate for that name only.
db_host=database.dev.standin.internal
SERVICES_CERT_NAME="$db_host" PG_LISTEN="$net.1" PG_CLIENTS="$net.0/24" PG_FIXED_PORT=5432 services_init
SERVICES_CERT_NAME="$db_host" PG_LISTEN="$net.1" PG_CLIENTS="$net.0/24" PG_FIXED_PORT=5432 \
	pg_start "$(../scripts/install-postgres.sh)" >/dev/null
cp "$SERVICES_CA" "$work/files/rds-ca.pem"

# --- the stand-ins ----------------------------------------------------------------
access_key=AKIASTANDINDEPLOY01
secret_key="$(random_secret)"
proxy_port="$(port)"
"$ssm/mirror_proxy.py" --listen "$net.1" --port "$proxy_port" --files "$work/files" --cache "$cache/mirror" \
	--log "$work/logs/proxy.log" &
pids+=($!)

# The four servers of the dev stack (e2etest/testdata/dev-stack.json).
declare -A instance_ids=([odoo]=i-0a0d0000000000001 [n8n-main]=i-0a0d0000000000002 [n8n-worker]=i-0a0d0000000000003 [ai]=i-0a0d0000000000004)
declare -A resources=([odoo]=odoo_server-1_FC553B6C [n8n-main]=n8n-main_server-1_59B48A51 [n8n-worker]=n8n-worker_server-1_C11998AA [ai]=ai_server-1_32C6CC3B)
declare -A ips=([odoo]=$net.11 [n8n-main]=$net.12 [n8n-worker]=$net.13 [ai]=$net.14)
roles=(odoo n8n-main n8n-worker ai)
{
	echo "["
	sep=""
	for r in "${roles[@]}"; do
		printf '%s{"resource": "%s", "id": "%s", "ip": "%s"}\n' "$sep" "${resources[$r]}" "${instance_ids[$r]}" "${ips[$r]}"
		sep=","
	done
	echo "]"
} >"$work/hosts.json"
DB_HOST="$db_host" DB_MASTER_PASSWORD="$PG_MASTER_PASSWORD" \
	"$ssm/fixture.py" "$here/../e2etest/testdata/dev-stack.json" "$work" "$work/hosts.json"
outputs="$work/outputs/dev.json"
transfer_bucket="$(jq -r '."dev-stack".ansible_transfer_bucket' "$outputs")"
data_key="$(jq -r '."dev-stack".kms_key_arns.data' "$outputs")"

aws_port="$(port)"
"$ssm/aws_standin.py" --listen "$net.1" --port "$aws_port" --state "$work/aws" --region eu-central-1 \
	--access-key "$access_key" --parameters "$work/parameters.json" --secrets "$work/secrets.json" \
	--log "$work/logs/aws.jsonl" &
pids+=($!)
s3_port="$(port)"
# The controller's key stands for dev's deploy role; the hosts' presigned
# requests act as it too.
tests/s3_standin.py --listen "$net.1" --port "$s3_port" --root "$work/s3" --log "$work/logs/s3.jsonl" \
	--stack "$here/../e2etest/testdata/dev-stack.json" --stack "$here/../e2etest/testdata/shared-stack.json" \
	--bucket "$transfer_bucket" --kms-key-arn "$transfer_bucket=$data_key" --principal "$access_key=influencegen-deploy-dev" \
	--key-pattern "$transfer_bucket=i-[0-9a-f]{8,17}/.+" &
pids+=($!)
for p in "$proxy_port" "$aws_port" "$s3_port"; do wait_port "$p"; done

# botocore resolves every endpoint through the service's rule set; the
# first one on AWS_DATA_PATH wins (botocore/loaders.py): these send SSM,
# Secrets Manager and S3 to the stand-ins, and nothing else changes.
"$ssm/endpoints.py" "$work/botocore-data" "http://$net.1:$aws_port" "http://$net.1:$s3_port"

log "booting the stand-in hosts"
for r in "${roles[@]}"; do boot_host "$r" "${instance_ids[$r]}" "${ips[$r]}"; done

export AWS_DATA_PATH="$work/botocore-data" AWS_ACCESS_KEY_ID="$access_key" AWS_SECRET_ACCESS_KEY="$secret_key"
export AWS_SESSION_TOKEN="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_DEFAULT_PROFILE
export ANSIBLE_LOCAL_TEMP="$work/ansible-local" ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
inventory="$work/ansible/inventories/dev/hosts.yml"

# failures LOG: "host: task: message" of every failed task in an Ansible log.
failures() {
	awk '/^(TASK|RUNNING HANDLER) \[/ { task = $0; sub(/^[A-Z ]+\[/, "", task); sub(/\] \**$/, "", task) }
		/^(fatal|failed): \[/ { host = $2; gsub(/[\[\]:]/, "", host); msg = $0; sub(/^[^{]*/, "", msg)
			printf "%s: %s: %s\n", host, task, substr(msg, 1, 300) }' "$1"
}

run_play() { # LOG PLAYBOOK [ARGS...]
	local out="$1"
	shift
	ansible-playbook -i "$inventory" -e "@$work/standin-vars.yml" "$@" >"$out" 2>&1
}

# The CloudWatch agent's package (tests/ssm/cloudwatch-agent: its ctl,
# translator and agent as their sources behave), served where the role
# downloads it from.
pkg="$work/cwagent-pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/opt/aws/amazon-cloudwatch-agent/bin" "$pkg/opt/aws/amazon-cloudwatch-agent/etc" \
	"$pkg/opt/aws/amazon-cloudwatch-agent/logs" "$pkg/etc/systemd/system"
cp "$ssm/cloudwatch-agent/amazon-cloudwatch-agent-ctl" "$ssm/cloudwatch-agent/config-translator" \
	"$ssm/cloudwatch-agent/start-amazon-cloudwatch-agent" "$pkg/opt/aws/amazon-cloudwatch-agent/bin/"
cp "$ssm/cloudwatch-agent/amazon-cloudwatch-agent.service" "$pkg/etc/systemd/system/"
printf 'Package: amazon-cloudwatch-agent\nVersion: 1.300071.0-standin\nArchitecture: amd64\nMaintainer: InfluenceGen tests\nDepends: python3\nDescription: stand-in for the Amazon CloudWatch Agent\n' \
	>"$pkg/DEBIAN/control"
dpkg-deb --root-owner-group --build "$pkg" "$work/files/amazon-cloudwatch-agent.deb" >/dev/null
# The role installs the package only once its detached signature verifies
# with the key of the pinned fingerprint: here a key of this run signs it,
# and its fingerprint is the one the role is given.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "InfluenceGen test CloudWatch agent signer" ed25519 sign never
cwagent_fpr="$(gpg --batch --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')"
gpg --batch --export "$cwagent_fpr" >"$work/files/amazon-cloudwatch-agent.gpg"
gpg --batch --detach-sign --output "$work/files/amazon-cloudwatch-agent.deb.sig" "$work/files/amazon-cloudwatch-agent.deb"
unset GNUPGHOME

# Where the stand-in plugin is: the one connection variable group_vars does
# not set (the plugin's default is /usr/local/bin/session-manager-plugin,
# where the .deb links it), and the downloads the roles take from vendors.
cat >"$work/standin-vars.yml" <<VARS
ansible_aws_ssm_plugin: $ssm/session-manager-plugin
common_cloudwatch_agent_deb_url: http://$net.1:$proxy_port/standin/amazon-cloudwatch-agent.deb
common_cloudwatch_agent_key_url: http://$net.1:$proxy_port/standin/amazon-cloudwatch-agent.gpg
common_cloudwatch_agent_gpg_fingerprint: $cwagent_fpr
rds_ca_url: http://$net.1:$proxy_port/standin/rds-ca.pem
rds_ca_checksum: sha256:$(sha256sum "$work/files/rds-ca.pem" | cut -d' ' -f1)
VARS

# Planted breaks: each undoes one thing the test exists to keep.
restore_playbook=playbooks/restore_odoo.yml
case "${PLANT:-}" in
"") ;;
transfer_key) # the transfer bucket's uploads under another key than the data key
	echo "ansible_aws_ssm_bucket_sse_kms_key_id: ${data_key%/*}/00000000-0000-0000-0000-000000000000" >>"$work/standin-vars.yml" ;;
cwagent_config) # a CloudWatch agent configuration the agent refuses
	/usr/bin/python3 - "$work/parameters.json" <<-'PY'
		import json, sys
		p = json.load(open(sys.argv[1]))
		name = next(n for n in p if n.endswith("/odoo"))
		conf = json.loads(p[name])
		conf["logs"]["logs_collected"]["files"]["collect_list"][0]["retention_in_days"] = 2
		p[name] = json.dumps(conf)
		json.dump(p, open(sys.argv[1], "w"))
	PY
	;;
ssm_timeout) echo "ansible_aws_ssm_timeout: 60" >>"$work/standin-vars.yml" ;; # the plugin's default
apt_lock) echo "common_apt_lock_timeout: 60" >>"$work/standin-vars.yml" ;;    # apt's default
restore_env | restore_no_always)
	mkdir -p "$work/playbooks"
	ln -s "$here/group_vars" "$work/playbooks/group_vars"
	/usr/bin/python3 "$ssm/plant.py" "$PLANT" playbooks/restore_odoo.yml "$work/playbooks/restore_odoo.yml"
	restore_playbook="$work/playbooks/restore_odoo.yml" ;;
*) usage_error "unknown PLANT $PLANT" ;;
esac

# The plays of site.yml whose external systems have stand-ins here.
plays=common,app_databases

# converge N VERBOSITY: site.yml through the plugin; the recap must show
# every host.
converge() {
	local n="$1" verbosity="$2"
	log "converge $n: site.yml --tags $plays $verbosity"
	if ! run_play "$work/logs/converge-$n.log" playbooks/site.yml --tags "$plays" "$verbosity"; then
		failures "$work/logs/converge-$n.log" >&2
		fail "converge $n failed (log: $work/logs/converge-$n.log)"
	fi
	sed -n '/PLAY RECAP/,/^$/p' "$work/logs/converge-$n.log"
	local id
	for id in "${instance_ids[@]}"; do
		grep -qE "^$id +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0" "$work/logs/converge-$n.log" ||
			fail "converge $n: $id is not in the recap, or failed"
	done
}

# A first boot's apt: apt-daily and unattended-upgrades hold the dpkg lock
# for minutes. Here another process holds it on every host until the first
# `apt-get install` has waited for it 65 s: just past 60 s, apt's default
# lock_timeout (ansible/modules/apt.py) and the plugin's default command
# timeout (ssm_timeout). apt names the holder, as it does for apt-daily.
for r in "${roles[@]}"; do
	nsenter -t "$(cat "$work/hosts/$r.pid")" -a /usr/bin/python3 - "${LOCK_HOLD_SECONDS:-65}" \
		<"$ssm/hold_dpkg_lock.py" >"$work/logs/dpkg-lock-$r.log" 2>&1 &
	pids+=($!)
done
sleep 1

# Every process's command line, sampled for the secrets while Ansible runs.
"$ssm/secret_watch.py" --values "$work/secret-values.txt" --out "$work/logs/cmdline-hits.jsonl" &
watch_pid=$!
pids+=("$watch_pid")

converge 1 -v
for r in "${roles[@]}"; do
	grep -q "waiting" "$work/logs/dpkg-lock-$r.log" || fail "$r: no apt-get install waited for the dpkg lock"
done
log "every host's first apt-get install waited 65 s for the dpkg lock"
if [[ "${PLANT:-}" == restore_* ]]; then
	log "PLANT=$PLANT: the runbook only (no second converge)"
else
	converge 2 -vvv
	if grep -E '^i-[0-9a-f]+ +: ' "$work/logs/converge-2.log" | grep -vqE 'changed=0 '; then
		grep -E '^(TASK|changed)' "$work/logs/converge-2.log" | grep -B1 '^changed' >&2
		fail "the second converge changed something (above)"
	fi
	log "idempotent: the second converge changed nothing"
fi

# --- a runbook over the transport: restore_odoo.yml ----------------------------------
# On the Odoo server, what odoo_setup leaves there, stood in (tests/ssm/odoo/):
# the odoo and backup units and odoo-restore (tests/odoo_backup.sh runs the
# real one). The playbook passes the RDS master credentials from Secrets
# Manager; they must travel on no command line, in no log, in no output.
odoo_root="$work/hosts/odoo"
odoo_pid="$(cat "$work/hosts/odoo.pid")"
install -m 0755 "$ssm/odoo/odoo-restore" "$odoo_root/usr/local/sbin/odoo-restore"
install -m 0644 "$ssm/odoo/odoo.service" "$ssm/odoo/odoo-backup.service" "$ssm/odoo/odoo-backup.timer" "$odoo_root/etc/systemd/system/"
mkdir -p "$odoo_root/etc/odoo"
printf 'db_host = %s\n' "$db_host" >"$odoo_root/etc/odoo/standin-db"
nsenter -t "$odoo_pid" -a systemctl daemon-reload
nsenter -t "$odoo_pid" -a systemctl enable --now --quiet odoo.service odoo-backup.timer
odoo_active() { nsenter -t "$odoo_pid" -a systemctl is-active --quiet odoo.service; }
restore_play() { # LOG [ARGS...]
	local out="$1"
	shift
	run_play "$out" "$restore_playbook" --limit odoo_servers -e odoo_restore_backup=20261201T000000Z \
		-e odoo_restore_confirm=odoo -vvv "$@"
}
log "runbook: restore_odoo.yml (-vvv)"
restore_play "$work/logs/restore.log" || { failures "$work/logs/restore.log" >&2; fail "restore_odoo.yml failed"; }
grep -q 'odoo-restore: restored backup 20261201T000000Z' "$work/logs/restore.log" || fail "restore_odoo.yml: the restore did not run"
odoo_active || fail "restore_odoo.yml left odoo.service stopped"
log "runbook: restore_odoo.yml with the neutralization failing: the run fails, Odoo runs again"
touch "$odoo_root/etc/odoo/standin-neutralize-fails"
if restore_play "$work/logs/restore-failed.log"; then fail "restore_odoo.yml succeeded although the restore failed"; fi
rm -f "$odoo_root/etc/odoo/standin-neutralize-fails"
failed="$(failures "$work/logs/restore-failed.log")"
[[ "$failed" == "${instance_ids[odoo]}: Fail if the restore failed: "* ]] || fail "the failed restore did not fail on its host and task: $failed"
echo "  $failed" | cut -c1-200
odoo_active || fail "the failed restore_odoo.yml left odoo.service stopped"
log "runbook: Odoo was started again after the failure"

# --- secrets touch nothing ---------------------------------------------------------
kill -TERM "$watch_pid"
wait "$watch_pid" || true
log "secrets: $(wc -l <"$work/secret-values.txt") values; $(tail -1 "$work/logs/cmdline-hits.jsonl") command-line samples"
leaks=0
if grep -q '"pid"' "$work/logs/cmdline-hits.jsonl"; then
	grep '"pid"' "$work/logs/cmdline-hits.jsonl" | sed 's/^/  on a command line: /' >&2
	leaks=1
fi
# where_found FILE...: the files holding a secret value (never the value).
where_found() {
	local f n
	for f in "$@"; do
		[[ -f "$f" ]] || continue
		n=0
		while IFS= read -r v; do
			n=$((n + 1))
			[[ ${#v} -ge 8 ]] || continue
			if grep -qF -- "$v" "$f"; then echo "  secret $n in $f" >&2; leaks=1; fi
		done <"$work/secret-values.txt"
	done
}
for r in "${roles[@]}"; do
	root="$work/hosts/$r"
	nsenter -t "$(cat "$work/hosts/$r.pid")" -a journalctl --no-pager -o cat >"$work/logs/journal-$r.log" 2>/dev/null || true
	mapfile -t host_logs < <(find "$root/var/log" "$root/opt/aws/amazon-cloudwatch-agent/logs" "$root/var/lib/amazon/ssm" \
		-type f 2>/dev/null)
	where_found "${host_logs[@]}" "$work/logs/journal-$r.log"
done
where_found "$work"/logs/converge-*.log "$work"/logs/restore*.log "$SERVICES_DIR/pg/server.log"
# The plugin deletes every object once transferred (_file_transport_command's
# finally): modules with secret arguments must not stay in the bucket.
# The stand-in keeps each bucket's objects in ROOT/<bucket>/objects/.
left="$(find "$work/s3" -path '*/objects/*.json' | wc -l)"
((left == 0)) || { echo "  $left objects left in the transfer bucket" >&2; leaks=1; }
((leaks == 0)) || fail "secret values reached the places above"
log "secrets: on no command line, in no host log, transcript, shipped file or Ansible output (-v, -vvv); the transfer bucket is empty"
