#!/usr/bin/env bash
# Fails when the tests installed a Debian package that `make deps` did not:
# a test that runs apt passes only on a machine where the package happens
# to be there already, and two such tests at once meet on the dpkg lock.
#
# usage: scripts/package-guard.sh record FILE    after `make deps`: the installed packages
#        scripts/package-guard.sh check FILE     after the tests: fail, naming any package
#                                                installed since (add it to DEBIAN_PACKAGES
#                                                in scripts/install-deps.sh)
# Exit codes: 0 nothing new; 1 packages were installed by the tests; 2 bad usage.
set -euo pipefail
# shellcheck source=scripts/usage.sh
source "$(dirname "$0")/usage.sh"
case "${1:-}" in
-h | --help) usage; exit 0 ;;
record | check) ;;
*) usage_error "unknown argument ${1:-(none)}: the first argument is record or check" ;;
esac
(($# == 2)) || usage_error "record and check take one FILE"
action="$1" file="$2"

installed() { dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' | awk '$1 ~ /^ii/ {print $2}' | sort -u; }

case "$action" in
record)
	installed >"$file"
	echo "package-guard: $(wc -l <"$file") packages installed after make deps"
	;;
check)
	[[ -f "$file" ]] || { echo "package-guard: no $file: run 'record' after make deps first" >&2; exit 2; }
	new="$(installed | comm -13 "$file" -)"
	if [[ -n "$new" ]]; then
		echo "package-guard: the tests installed Debian packages that make deps did not:" >&2
		while read -r pkg; do echo "  $pkg" >&2; done <<<"$new"
		echo "package-guard: add them to DEBIAN_PACKAGES in scripts/install-deps.sh (a test must not run apt)" >&2
		exit 1
	fi
	echo "package-guard: the tests installed no Debian package"
	;;
esac
