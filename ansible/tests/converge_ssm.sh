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
# the transfer bucket (s3_standin.py --grant transfer). Then converged
# again: the second run must change nothing. While it runs, every process's
# command line is sampled; afterwards the Ansible output (-v and -vvv), the
# hosts' logs and the session transcripts are searched for every secret.
#
# usage: tests/converge_ssm.sh [--keep]     (as root, from anywhere)
#   --keep   leave the work directory (logs, hosts' roots) for inspection
# Env: ROOTFS_CACHE (default /var/cache/influencegen/rootfs-bookworm),
#      PLANT=<break> (tests/README.md, "Planted breaks")
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
tests/s3_standin.py --grant transfer --listen "$net.1" --port "$s3_port" --root "$work/s3" --bucket "$transfer_bucket" \
	--kms-key-arn "$data_key" --region eu-central-1 --access-key "$access_key" --log "$work/logs/s3.jsonl" &
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

# Where the stand-in plugin is: the one connection variable group_vars does
# not set (the plugin's default is /usr/local/bin/session-manager-plugin,
# where the .deb links it), and the downloads the roles take from vendors.
cat >"$work/standin-vars.yml" <<VARS
ansible_aws_ssm_plugin: $ssm/session-manager-plugin
common_cloudwatch_agent_deb_url: http://$net.1:$proxy_port/standin/amazon-cloudwatch-agent.deb
VARS

# The plays of site.yml whose external systems have stand-ins here.
plays=common

# converge N: site.yml through the plugin; the recap must show every host.
converge() {
	local n="$1"
	log "converge $n: site.yml --tags $plays"
	if ! run_play "$work/logs/converge-$n.log" playbooks/site.yml --tags "$plays" -v; then
		grep -E '^(TASK|fatal|failed|ERROR)|UNREACHABLE' "$work/logs/converge-$n.log" | grep -B1 -E '^(fatal|failed|ERROR)|UNREACHABLE' | tail -20 >&2
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
# for minutes. Here another process holds it on every host for just past 60 s,
# apt's default lock_timeout and the plugin's default command timeout, while
# the first converge starts (apt reports the holder, as for apt-daily).
lock_hold=${LOCK_HOLD_SECONDS:-65}
for r in "${roles[@]}"; do
	nsenter -t "$(cat "$work/hosts/$r.pid")" -a /usr/bin/python3 -c '
import fcntl, sys, time
f = open("/var/lib/dpkg/lock-frontend", "w")
fcntl.lockf(f, fcntl.LOCK_EX)
g = open("/var/lib/dpkg/lock", "w")
fcntl.lockf(g, fcntl.LOCK_EX)
time.sleep(int(sys.argv[1]))' "$lock_hold" &
	pids+=($!)
done
sleep 1

converge 1
converge 2
if grep -E '^i-[0-9a-f]+ +: ' "$work/logs/converge-2.log" | grep -vqE 'changed=0 '; then
	grep -E '^(TASK|changed)' "$work/logs/converge-2.log" | grep -B1 '^changed' >&2
	fail "the second converge changed something (above)"
fi
log "idempotent: the second converge changed nothing"
