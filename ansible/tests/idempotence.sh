#!/usr/bin/env bash
# Idempotence test, as molecule runs it: converge the common role twice in a
# debootstrap'd Debian root through the chroot connection; the second run
# must report changed=0. Needs root, debootstrap and network access to a
# Debian mirror.
#
# usage: tests/idempotence.sh            (from ansible/)
#   ROOTFS_CACHE=dir   reuse a pristine root from an earlier run
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/../../scripts/usage.sh"
no_arguments "$@"
cd "$(dirname "$0")/.."

suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d /var/tmp/influencegen-converge.XXXXXX)"
root="$work/rootfs"
cleanup() {
	for m in proc sys dev/pts dev; do umount -l "$root/$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${ROOTFS_CACHE:-}" && -d "$ROOTFS_CACHE/usr" ]]; then
	echo "==> copying the cached root from $ROOTFS_CACHE"
	cp -a "$ROOTFS_CACHE" "$root"
else
	echo "==> debootstrap $suite"
	debootstrap --variant=minbase --include=python3,python3-apt,ca-certificates,systemd,openssh-server \
		"$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
	if [[ -n "${ROOTFS_CACHE:-}" ]]; then
		rm -rf "$ROOTFS_CACHE" && cp -a "$root" "$ROOTFS_CACHE"
	fi
fi
# Packages must not start services inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"

inventory="$work/inventory.ini"
printf '[chroot]\nrootfs ansible_host=%s ansible_connection=community.general.chroot ansible_python_interpreter=/usr/bin/python3\n' "$root" >"$inventory"

converge() {
	ANSIBLE_ROLES_PATH="$PWD/roles" ansible-playbook -i "$inventory" tests/converge.yml
}

echo "==> first converge"
converge >"$work/first.log" || { tail -30 "$work/first.log"; exit 1; }
grep -A1 "PLAY RECAP" "$work/first.log"
echo "==> second converge (must change nothing)"
converge >"$work/second.log" || { tail -30 "$work/second.log"; exit 1; }

recap="$(grep -A1 'PLAY RECAP' "$work/second.log" | tail -1)"
if [[ "$recap" =~ changed=0[[:space:]] && "$recap" =~ failed=0[[:space:]] ]]; then
	echo "idempotence: ok ($recap)"
else
	echo "idempotence: FAILED — the second converge changed something:" >&2
	grep -E '^(changed|TASK)' "$work/second.log" | grep -B1 '^changed' >&2 || true
	exit 1
fi
