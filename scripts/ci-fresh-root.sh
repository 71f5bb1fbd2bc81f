#!/usr/bin/env bash
# Runs CI the way a machine that never saw the project does: builds a Debian
# 12 (bookworm) root with debootstrap holding only what a new machine of
# this kind has, clones the commit under test into it, runs
# `CI=true bash .ci/run` there as root (chroot; no standard input), prints
# the total and per-step wall and CPU times, and exits with .ci/run's status.
#
# usage: scripts/ci-fresh-root.sh [options]      (as root; Debian host)
#   --commit REV         the commit to test (default: HEAD)
#   --repo DIR           the repository to clone it from (default: this one)
#   --cold               share no cache at all: every download is made anew
#   --keep               keep the root and its logs (default: removed)
#   --image-only         build the cached machine image (below) and stop
#   --log FILE           also write .ci/run's output and the timings to FILE
#   -h, --help           this text
#   FRESH_ROOT_CACHE=dir  default /var/cache/influencegen-fresh-root: the
#                        machine image (a pristine root, rebuilt when its
#                        recipe or the host's Go/Node/Terraform change) and
#                        the apt archive cache
#   DEBIAN_MIRROR=url    default http://deb.debian.org/debian
#
# The root, like a new machine of this kind: Debian 12 (minbase with gcc,
# make, git, curl, python3, ca-certificates, procps, iproute2, time,
# xz-utils, unzip), the host's Go at /usr/local/go, the host's Node.js 20
# (the nodejs package's files, `dpkg -L nodejs`, registered in the root's
# dpkg database, and npm as upgraded in /usr/lib/node_modules), Terraform at
# /usr/local/bin, the provider mirror at /opt/tf-plugins, the machine's
# Python (pyenv's global version with the image's pip packages, first on
# PATH), the machine's CA certificates, Go and npm settings
# (~/.config/go/env, ~/.npmrc), /etc/hosts and resolv.conf. None of the
# project's tools (ansible, PostgreSQL, Redis, bats, ShellCheck, ...):
# `make deps` must install them. Fewer Debian packages than the machine
# image has, so a missing install step shows here first.
#
# Shared with the host, read-write, and nothing else (unless --cold):
#   - Go's module download cache, $(go env GOMODCACHE)/cache/download: the
#     zip files and go.mod files as the module proxy serves them. Not the
#     extracted modules, not the build cache: every package is still
#     extracted and compiled in the root.
#   - npm's content cache, $(npm config get cache)/_cacache: the tarballs as
#     the registry serves them. Not node_modules, not an installed package:
#     npm still unpacks and installs every one.
#   - the apt archive cache ($FRESH_ROOT_CACHE/apt-archives, also
#     debootstrap's --cache-dir): the .deb files as the mirror serves them;
#     dpkg still installs every one. It is this script's own directory: the
#     host's /var/cache/apt/archives is emptied after every dpkg run on this
#     kind of machine (apt.conf.d/docker-clean) and holds nothing to share.
# Why: these hold only what a registry serves for a given name and version,
# which is the same on any machine; sharing them takes the network's speed
# out of the measurement and nothing else. A build cache, a tools cache
# (~/.cache/influencegen-*) or an installed package would hide a missing
# step, so none is shared. --cold measures the network too.
#
# Same network namespace as the host (the tests pick free ports on
# loopback). The packages' services (PostgreSQL, Redis, nginx) start inside
# the root as on a new machine, and the tests start their own there. On
# every exit path every process left in the root is ended (they are in a
# cgroup of this run), every mount under the root is undone, and the root is
# removed (unless --keep); nothing is removed while a mount is left.
# Exit codes: .ci/run's status; 2 bad usage or not root; 3 the root could
# not be built.
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"
repo="$(cd "$(dirname "$0")/.." && pwd)"
commit=HEAD cold=0 keep=0 image_only=0 log_file=""
while (($#)); do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--commit) (($# >= 2)) || usage_error "--commit needs a revision"; commit="$2"; shift ;;
	--repo) (($# >= 2)) || usage_error "--repo needs a directory"; repo="$2"; shift ;;
	--cold) cold=1 ;;
	--keep) keep=1 ;;
	--image-only) image_only=1 ;;
	--log) (($# >= 2)) || usage_error "--log needs a file"; log_file="$2"; shift ;;
	*) usage_error "unknown argument $1" ;;
	esac
	shift
done
[[ "$(id -u)" -eq 0 ]] || { echo "ci-fresh-root: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
for c in debootstrap chroot mount umount git dpkg-query flock /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "ci-fresh-root: $c is missing (apt-get install debootstrap time)" >&2; exit 2; }
done
if ((!image_only)); then
	sha="$(git -C "$repo" rev-parse --verify --quiet "$commit^{commit}" 2>/dev/null)" ||
		{ echo "ci-fresh-root: $commit is not a commit of $repo (--commit REV, --repo DIR)" >&2; exit 2; }
fi

cache="${FRESH_ROOT_CACHE:-/var/cache/influencegen-fresh-root}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
packages=(build-essential git curl ca-certificates python3 procps iproute2 time xz-utils unzip)
log() { printf '[fresh-root %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { echo "ci-fresh-root: $*" >&2; exit 3; }

# --- the machine image: a pristine root, cached ------------------------------
apt_cache="$cache/apt-archives"
mkdir -p "$cache" "$apt_cache/partial"

# debootstrap_base DIR: Debian with the packages above, cached on its own
# (keyed by suite, mirror and packages), so a change to what is copied in
# below does not download and install Debian again.
debootstrap_base() {
	local base
	base="$cache/debootstrap-$(printf '%s\n' "$suite" "$mirror" "${packages[@]}" | sha256sum | cut -c1-12)"
	if [[ ! -f "$base/.ready" ]]; then
		rm -rf "$base.partial"
		log "debootstrap $suite (once; cached in $base)"
		local include deb_cache=()
		include="$(IFS=,; echo "${packages[*]}")"
		((cold)) || deb_cache=(--cache-dir="$apt_cache")
		debootstrap --variant=minbase "${deb_cache[@]}" --include="$include" "$suite" "$base.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
			{ tail -20 "$cache/debootstrap.log" >&2; fail "debootstrap failed (log: $cache/debootstrap.log)"; }
		rm -f "$base.partial"/var/cache/apt/archives/*.deb
		mv "$base.partial" "$base"
		touch "$base/.ready"
	fi
	rm -rf "$1"
	cp -a "$base" "$1"
	rm -f "$1/.ready"
}

build_image() {
	local tmp="$image.partial"
	debootstrap_base "$tmp"
	log "copying in Go, Node.js, Terraform and the provider mirror from the host"
	cp -a /usr/local/go "$tmp/usr/local/go"
	cp -a /usr/local/bin/terraform "$tmp/usr/local/bin/terraform"
	mkdir -p "$tmp/opt"
	cp -a /opt/tf-plugins "$tmp/opt/tf-plugins"
	# Node.js: the files of the nodejs package, then /usr/lib/node_modules
	# whole: the machine's npm is the package's npm upgraded in place (its
	# files differ from the package's list).
	dpkg-query -L nodejs | while read -r f; do
		[[ "$f" == /usr/lib/node_modules/* || (-d "$f" && ! -L "$f") || ! (-e "$f" || -L "$f") ]] || printf '%s\n' "${f#/}"
	done | tar -C / --no-recursion -cf - -T - | tar -C "$tmp" -xf -
	tar -C / -cf - usr/lib/node_modules | tar -C "$tmp" -xf -
	# ... and registered in dpkg's database, as on the machine, so apt
	# sees the package (and its dependencies: libc6, libgcc-s1, libstdc++6,
	# python3, ca-certificates, all in the root).
	{ echo; dpkg-query -s nodejs; } >>"$tmp/var/lib/dpkg/status"
	cp -a /var/lib/dpkg/info/nodejs.* "$tmp/var/lib/dpkg/info/"
	chroot "$tmp" dpkg --audit >/dev/null || fail "the root's dpkg database is inconsistent after adding nodejs"
	# The machine's Python: pyenv's global version with the pip packages the
	# image has (botocore among them), first on PATH as on the machine, so
	# that `python3` is what it is in CI; /usr/bin/python3 stays Debian's.
	if [[ -f /root/.pyenv/version ]]; then
		local py
		py="$(head -1 /root/.pyenv/version)"
		mkdir -p "$tmp/root/.pyenv/versions"
		tar -C /root/.pyenv --exclude=./versions -cf - . | tar -C "$tmp/root/.pyenv" -xf -
		cp -a "/root/.pyenv/versions/$py" "$tmp/root/.pyenv/versions/$py"
	fi
	# The machine's own settings (not the project's).
	mkdir -p "$tmp/root/.config/go"
	[[ ! -f /root/.config/go/env ]] || cp -a /root/.config/go/env "$tmp/root/.config/go/env"
	[[ ! -f /root/.npmrc ]] || cp -a /root/.npmrc "$tmp/root/.npmrc"
	cp /etc/hosts /etc/resolv.conf "$tmp/etc/"
	# The machine's own certificate authorities (the registries are
	# reached through a TLS proxy here), kept where update-ca-certificates
	# finds them again when a package in the root reruns it.
	if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
		cp /usr/local/share/ca-certificates/*.crt "$tmp/usr/local/share/ca-certificates/"
		chroot "$tmp" update-ca-certificates >/dev/null
	fi
	# Each runs (GOROOT set: a trimmed go finds its root through /proc,
	# which the run mounts and this check does not).
	local t
	for t in "go version" "node --version" "npm --version" "terraform version"; do
		# shellcheck disable=SC2086 # $t is a command and its argument
		chroot "$tmp" /usr/bin/env -i GOROOT=/usr/local/go GOTELEMETRY=off HOME=/root PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin $t >/dev/null ||
			fail "'$t' does not run in the root"
	done
	mv "$tmp" "$image"
	touch "$image/.ready"
	# Older images (another recipe or host toolchain) are never used again.
	find "$cache" -mindepth 1 -maxdepth 1 -name 'image-*' ! -path "$image" -exec rm -rf {} +
}

# Rebuilt when anything it is made of changes: the recipe above, the
# package list, the suite, the mirror, or the host's Go, Node.js, npm,
# Terraform or provider mirror.
image_key="$(
	{
		declare -f debootstrap_base build_image
		printf '%s\n' "$suite" "$mirror" "${packages[@]}"
		/usr/local/go/bin/go version
		node --version
		npm --version
		/usr/local/bin/terraform version 2>/dev/null | head -1
		cat /root/.pyenv/version 2>/dev/null || true
		find /opt/tf-plugins -type f -printf '%P %s\n' | sort
	} | sha256sum | cut -c1-12
)"
image="$cache/image-$image_key"
exec 8>"$cache/.image.lock"
flock 8
[[ -f "$image/.ready" ]] || build_image
flock -u 8
if ((image_only)); then
	log "machine image ready: $image"
	exit 0
fi

# --- this run's root ------------------------------------------------------------
work="$(mktemp -d /var/tmp/influencegen-fresh-root.XXXXXX)"
root="$work/root"
cgroup=""
mounted=()

# mounts_under DIR: mount points at or below DIR, deepest first.
# shellcheck disable=SC2317 # called by cleanup, from the EXIT trap
mounts_under() { awk -v d="$1" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r; }

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
	local rc=$? pid pids tries m
	trap - EXIT INT TERM
	if [[ -n "$cgroup" && -d "$cgroup" ]]; then
		# Every process of the run (daemons started by packages or tests
		# included) is in the cgroup: end them before unmounting.
		for tries in 1 2 3 4 5 6 7 8 9 10; do
			mapfile -t pids <"$cgroup/cgroup.procs"
			((${#pids[@]})) || break
			for pid in "${pids[@]}"; do kill -s "$( ((tries < 6)) && echo TERM || echo KILL)" "$pid" 2>/dev/null || true; done
			sleep 1
		done
		rmdir "$cgroup" 2>/dev/null || log "cgroup $cgroup still has processes: $(tr '\n' ' ' <"$cgroup/cgroup.procs")"
	fi
	for m in $(mounts_under "$root"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	if [[ -n "$(mounts_under "$root")" ]]; then
		log "mounts left under $root, not removing it (would reach the shared caches): $(mounts_under "$root" | tr '\n' ' ')"
	elif ((keep)); then
		log "kept $work"
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "root $root from $image"
cp -a "$image" "$root"
rm -f "$root/.ready"

# bind SRC DEST: mount SRC on DEST inside the root.
bind() {
	mkdir -p "$root$2"
	mount --bind "$1" "$root$2"
	mounted+=("$2")
}
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
mount -t tmpfs -o mode=0755 run "$root/run"
if ((!cold)); then
	go_dl="$(/usr/local/go/bin/go env GOMODCACHE)/cache/download"
	npm_cache="$(npm config get cache)/_cacache"
	mkdir -p "$go_dl" "$npm_cache"
	bind "$go_dl" /root/go/pkg/mod/cache/download
	bind "$npm_cache" /root/.npm/_cacache
	bind "$apt_cache" /var/cache/apt/archives
	log "shared download caches: ${mounted[*]}"
else
	log "--cold: no cache shared"
fi

log "git clone $repo at $sha"
git clone --quiet --no-hardlinks --no-checkout "$repo" "$root/ci/influencegen"
git -C "$root/ci/influencegen" checkout --quiet --detach "$sha"

# The machine's environment as CI gets it: nothing of this shell's but
# what a new machine sets (PATH, HOME, locale, the CA bundle settings).
env_vars=(
	HOME=/root LANG=C.UTF-8 TERM=dumb CI=true
	PATH=/usr/local/go/bin:/root/go/bin:/root/.pyenv/shims:/root/.pyenv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
)
[[ ! -d "$root/root/.pyenv" ]] || env_vars+=(PYENV_ROOT=/root/.pyenv)
for v in SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE GIT_SSL_CAINFO NODE_EXTRA_CA_CERTS REQUESTS_CA_BUNDLE AWS_CA_BUNDLE TF_CLI_CONFIG_FILE; do
	[[ -z "${!v:-}" ]] || env_vars+=("$v=${!v}")
done

# --- run, timing each step ------------------------------------------------------
cgroup_root=/sys/fs/cgroup/cpuacct
if [[ -w "$cgroup_root" ]] && mkdir "$cgroup_root/influencegen-fresh-$$" 2>/dev/null; then
	cgroup="$cgroup_root/influencegen-fresh-$$"
else
	log "no cpuacct cgroup: the run's CPU time is what /usr/bin/time counts (reaped processes only)"
fi
our_cpu() { if [[ -n "$cgroup" ]]; then echo $(($(cat "$cgroup/cpuacct.usage") / 1000000)); else echo 0; fi; } # ms
machine_cpu() { awk '/^cpu / {print int(($2 + $3 + $4 + $7 + $8) * 1000 / '"$(getconf CLK_TCK)"')}' /proc/stat; } # busy ms, all processes
now_ms() { date +%s%3N; }

out="$work/ci.log"
timing="$work/steps.tsv"
: >"$timing"
log "CI=true bash .ci/run in the root (output also in $out)"
start_ms="$(now_ms)" start_machine="$(machine_cpu)"
# In the background, so that INT and TERM reach the traps at once (bash
# runs a trap only after the foreground command ends).
(
	[[ -z "$cgroup" ]] || echo "$BASHPID" >"$cgroup/cgroup.procs"
	rc=0
	/usr/bin/time -v -o "$work/time.txt" chroot "$root" /usr/bin/env -i "${env_vars[@]}" \
		bash -c 'cd /ci/influencegen && exec bash .ci/run' </dev/null 2>&1 || rc=$?
	echo "$rc" >"$work/status"
) | while IFS= read -r line; do
	printf '%s\n' "$line"
	printf '%s\n' "$line" >>"$out"
	if [[ "$line" =~ ^==\>\ (.*)\ \([0-9:]+,\ \+[0-9]+s\)$ ]]; then
		printf '%s\t%s\t%s\t%s\n' "$(now_ms)" "$(our_cpu)" "$(machine_cpu)" "${BASH_REMATCH[1]}" >>"$timing"
	fi
done &
wait "$!"
status="$(cat "$work/status" 2>/dev/null || echo 1)"
end_ms="$(now_ms)" end_cpu="$(our_cpu)" end_machine="$(machine_cpu)"

# --- report ---------------------------------------------------------------------
report() {
	local cores
	cores="$(nproc)"
	echo
	echo "== fresh-root CI: commit $sha, .ci/run exit $status"
	printf '%s\t%s\t%s\t--end--\n' "$end_ms" "$end_cpu" "$end_machine" >>"$timing"
	awk -F'\t' -v cores="$cores" '
		function row(name, wall, ours, machine) {
			others = machine - ours; if (others < 0) others = 0
			printf "%-70s %7.0f %7.0f %7.0f %5.2f\n", substr(name, 1, 70), wall / 1000, ours / 1000, others / 1000, (wall > 0 ? machine / wall : 0)
		}
		BEGIN { printf "%-70s %7s %7s %7s %5s\n", "step", "wall s", "CPU s", "others", "busy"
		        printf "%-70s %7s %7s %7s %5s\n", "", "", "(run)", "CPU s", "cores" }
		NR > 1 { row(prev, $1 - pt, $2 - pc, $3 - pm) }
		{ prev = $4; pt = $1; pc = $2; pm = $3 }
	' "$timing"
	local wall=$((end_ms - start_ms))
	printf '%-70s %7.0f %7.0f %7.0f %5.2f\n' "total (${cores} cores)" "$((wall / 1000))" "$((end_cpu / 1000))" \
		"$(((end_machine - start_machine - end_cpu) / 1000))" "$(awk -v m="$((end_machine - start_machine))" -v w="$wall" 'BEGIN {printf "%.2f", m / w}')"
	echo "CPU s (run): every process of the run (cgroup cpuacct); others: the machine's other processes meanwhile (/proc/stat);"
	echo "busy cores: all processes on the machine, averaged over the step. /usr/bin/time (reaped processes only):"
	grep -E 'User time|System time|Maximum resident|Elapsed' "$work/time.txt" 2>/dev/null | sed 's/^\t*/  /' || true
	printf 'wall %dm%02ds; result: %s\n' "$((wall / 60000))" "$((wall / 1000 % 60))" "$([[ $status -eq 0 ]] && echo PASS || echo "FAIL (exit $status)")"
}
report | tee -a "$out"
[[ -z "$log_file" ]] || cp "$out" "$log_file"
exit "$status"
