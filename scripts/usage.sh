# shellcheck shell=bash
# Sourced first by every script, before it changes directory or does
# anything else, for -h/--help and usage errors. A script's help text is its
# header comment: line 2 up to the first line that is not a comment, without
# the leading "# ".
#
#   source "$(dirname "$0")/usage.sh"         (path relative to the script)
#   -h | --help) usage; exit 0 ;;              clean usage on stdout, exit 0
#   -*) usage_error "unknown option $1" ;;     message and usage on stderr, exit 2
#   no_arguments "$@"                          the whole parse of a script that takes none

# The script's absolute path, resolved now: scripts cd to the repository
# root afterwards, which would break a relative $0.
USAGE_SCRIPT="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

# usage: print the script's help text on stdout.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$USAGE_SCRIPT"; }

# usage_error MESSAGE: print MESSAGE and the help text on stderr; exit 2.
usage_error() {
	{
		echo "${USAGE_SCRIPT##*/}: $1"
		echo
		usage
	} >&2
	exit 2
}

# no_arguments "$@": the argument parse of a script that takes none:
# -h/--help prints the help text and exits 0, anything else is a usage error.
no_arguments() {
	case "${1:-}" in
	"") ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument $1 (${USAGE_SCRIPT##*/} takes none)" ;;
	esac
}
