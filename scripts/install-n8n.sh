#!/usr/bin/env bash
# Installs n8n at the version the n8n_setup role pins (read from the role's
# defaults, not restated here) from npm, with the Node 22 it needs (n8n 2.x
# wants Node >= 22.16; the system Node is not replaced), into a cache kept
# between runs. ansible/tests/n8n_queue.sh runs it; .ci/run starts it in the
# background while the scanners build.
#
# usage: scripts/install-n8n.sh            prints the install directory DIR
#                                          (DIR/bin/node, DIR/bin/n8n); progress
#                                          goes to stderr
#   N8N_CACHE_DIR   default ~/.cache/influencegen-n8n/<n8n version>
#   N8N_NODE_VERSION   the Node release from npm's "node" package (default below)
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"
no_arguments "$@"
cd "$(dirname "$0")/.."

defaults=ansible/roles/n8n_setup/defaults/main.yml
version="$(sed -n 's/^n8n_version: *"\([^"]*\)".*/\1/p' "$defaults")"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "install-n8n: cannot read n8n_version from $defaults (got '$version')" >&2
	exit 1
fi
node_version="${N8N_NODE_VERSION:-22.23.3}"
dir="${N8N_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/influencegen-n8n/$version}"
stamp="$dir/.installed"
want="n8n@$version node@$node_version"

log() { printf '[install-n8n %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# One install at a time: .ci/run starts one in the background, and the test
# that needs n8n waits here for it rather than starting a second.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$dir/bin/n8n" && -x "$dir/bin/node" ]]; then
	log "$want already installed in $dir"
	echo "$dir"
	exit 0
fi

# Install into a fresh directory beside the cache and move it in place only
# when complete, so an interrupted install is never taken for a good one.
work="$(mktemp -d "$dir.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

log "node@$node_version"
npm install --prefix "$work/node" --no-audit --no-fund --loglevel=error "node@$node_version" >/dev/null
node_bin="$work/node/node_modules/node/bin/node"
"$node_bin" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=16)?0:1)' ||
	{ echo "install-n8n: node@$node_version is older than the 22.16 n8n $version needs" >&2; exit 1; }

# n8n-nodes-base depends on xlsx by a URL on SheetJS's own CDN, which is
# out of reach here: the npm registry's xlsx (newest there: 0.18.5) replaces
# it. Only the spreadsheet nodes use it; the tests do not, and servers run
# n8n's own image.
mkdir -p "$work/n8n"
printf '{"private": true, "dependencies": {"n8n": "%s"}, "overrides": {"xlsx": "0.18.5"}}\n' "$version" >"$work/n8n/package.json"
# --ignore-scripts: no package's install script runs. At 2.14.2 those in
# n8n's tree only compile or check native code that n8n on PostgreSQL does
# not need, or that the package ships prebuilt: sqlite3 compiles SQLite from
# source (its prebuilt download is out of reach here; @n8n/typeorm loads it
# only for a SQLite database: driver/sqlite/SqliteDriver.js), cpu-features
# and ssh2's crypto binding are optional speed-ups ssh2 does without,
# isolated-vm and @sentry's profilers check for the binaries they ship
# (isolated-vm/prebuilds/linux-x64/*.abi127.glibc.node), msgpackr-extract and
# @parcel/watcher take theirs from a platform package, and the rest report
# or check versions (protobufjs, oracledb, @scarf/scarf). That saves ~130 s
# of CPU of ~300 (the SQLite compile). Optional dependencies stay: they are
# 120 MB of 2.3 GB, platform binaries that the packages load.
log "n8n@$version (large: several minutes cold)"
(cd "$work/n8n" && npm install --no-audit --no-fund --loglevel=error \
	--omit=dev --ignore-scripts >"$work/npm.log" 2>&1) || { tail -30 "$work/npm.log" >&2; exit 1; }

# Wrappers: DIR/bin/node is Node 22, DIR/bin/n8n runs n8n with it.
mkdir -p "$work/bin"
ln -s ../node/node_modules/node/bin/node "$work/bin/node"
cat >"$work/bin/n8n" <<'EOF'
#!/usr/bin/env bash
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/node" "$here/../n8n/node_modules/n8n/bin/n8n" "$@"
EOF
chmod 0755 "$work/bin/n8n"
got="$("$work/bin/n8n" --version)"
[[ "$got" == "$version" ]] || { echo "install-n8n: installed n8n reports '$got', not $version" >&2; exit 1; }
echo "$want" >"$work/.installed"

rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
log "$want installed in $dir in $(($(date +%s) - started))s"
echo "$dir"
