#!/usr/bin/env bash
# rkmp-hook — the ready --rp-hook for BGP daemons: after each key-table event,
# write the TCP-MD5 passwords the key table selects now (rkmp-keytable export
# --format bird-bgp / frr-bgp) into the daemon's file, and reload the running
# daemon when a password changed.  rkmp-hook(8) documents it.
#
#   rkmp-hook bird --include FILE [--peer ADDR] [--socket PATH] [common]
#   rkmp-hook frr  --file FILE [--peer ADDR] [--pathspace NAME | --vty-socket DIR] [common]
#   common: [-t TABLE] [--now TIME] [-q]
#
# The event comes from the environment rkmp-auth and rkmp-child give a hook
# (RKMP_EVENT, RKMP_PEER, RKMP_PROTOCOL, RKMP_KEYTABLE); run by hand (at boot),
# -t and --peer say the same.  Exit: 0 done or nothing to do, 1 no key or the
# daemon refused, 2 usage.
set -uo pipefail

PROG=rkmp-hook
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	cat <<EOF
usage: $PROG bird --include FILE [--peer ADDR] [--socket PATH] [-t TABLE] [--now TIME] [-q]
       $PROG frr --file FILE [--peer ADDR] [--pathspace NAME | --vty-socket DIR]
                [-t TABLE] [--now TIME] [-q]
EOF
}

help() {
	usage
	cat <<'EOF'

Run by rkmp-auth and rkmp-child as --rp-hook 'rkmp-hook bird ...' (or frr):
after an insert, rekey, delete, revoke or close event of a tcp-md5 child, write
the TCP-MD5 password that rkmp-keytable export --format bird-bgp (frr-bgp)
selects at this moment into the daemon's file and, when it changed, reload the
running daemon: birdc configure (BIRD 2), vtysh -f (FRR bgpd).  Events of another
protocol or another peer change nothing.  When the table has no key to send to
the peer, the file and the daemon stay as they are (exit 1): a BGP session is
never left without its password.  When the daemon refuses the file, it is put
back as it was (exit 1); when the daemon is not running, the file is written
for its start.

  --include FILE      bird: the file the protocol bgp block includes
  --file FILE         frr: where the frr-bgp lines are kept (then applied)
  --peer ADDR         the neighbor (bird: required unless the event names it);
                      events of other peers are ignored
  --socket PATH       bird: birdc's control socket (birdc -s)
  --pathspace NAME    frr: vtysh -N NAME (bgpd started with -N NAME)
  --vty-socket DIR    frr: vtysh --vty_socket DIR (bgpd started with it)
  -t, --keytable FILE the key table (default: the event's RKMP_KEYTABLE)
  --now TIME          the clock, YYYYmmddHHMMSSZ (tests)
  -q, --quiet         nothing on stderr but errors
  -h, --help          this help
  --list-options      the options, one per line

exit status: 0 done (or nothing to do), 1 no key or the daemon refused, 2 usage.
See rkmp-hook(8).
EOF
}

# Each option and the daemon it belongs to (none: both).  --list-options [DAEMON],
# the check that an option is the daemon's, and the completion follow from it.
OPTIONS=(--include:bird --file:frr --peer --socket:bird --pathspace:frr --vty-socket:frr
	-t --keytable --now -q --quiet -h --help --list-options)

list_options() {	# list_options [DAEMON]: one per line, a short one before its long one
	local o
	for o in "${OPTIONS[@]}"; do
		[ -z "$1" ] || [ "${o#*:}" = "$o" ] || [ "${o#*:}" = "$1" ] || continue
		echo "${o%%:*}"
	done
}

owner() {	# owner OPTION: the daemon an option belongs to ("" for both)
	local o
	for o in "${OPTIONS[@]}"; do
		if [ "${o%%:*}" = "$1" ] && [ "${o#*:}" != "$o" ]; then
			echo "${o#*:}"
		fi
	done
}

die() {	# die STATUS MESSAGE
	echo "$PROG: $2" >&2
	exit "$1"
}

say() {
	[ "$QUIET" = 1 ] || echo "$PROG: $*" >&2
}

# The keytable tool: beside this script (build/bin, an installed bin), else PATH.
KEYTABLE=$HERE/rkmp-keytable
[ -x "$KEYTABLE" ] || KEYTABLE=rkmp-keytable

GIVEN=() LIST=0
DAEMON='' FILE='' PEER='' SOCKET='' PATHSPACE='' VTYSOCK='' TABLE=${RKMP_KEYTABLE:-} NOW='' QUIET=0
EVENT=${RKMP_EVENT:-} EVPEER=${RKMP_PEER:-}

need_arg() {
	[ $# -ge 2 ] || { echo "$PROG: $1 needs an argument" >&2; usage >&2; exit 2; }
}

while [ $# -gt 0 ]; do
	case $1 in
	-*) GIVEN+=("$1") ;;
	esac
	case $1 in
	bird | frr)
		[ -z "$DAEMON" ] || { echo "$PROG: one daemon: '$DAEMON' and '$1'" >&2; usage >&2; exit 2; }
		DAEMON=$1 ;;
	--include | --file) need_arg "$@"; FILE=$2; shift ;;
	--peer) need_arg "$@"; PEER=$2; shift ;;
	--socket) need_arg "$@"; SOCKET=$2; shift ;;
	--pathspace) need_arg "$@"; PATHSPACE=$2; shift ;;
	--vty-socket) need_arg "$@"; VTYSOCK=$2; shift ;;
	-t | --keytable) need_arg "$@"; TABLE=$2; shift ;;
	--now) need_arg "$@"; NOW=$2; shift ;;
	-q | --quiet) QUIET=1 ;;
	-h | --help) help; exit 0 ;;
	--list-options) LIST=1 ;;
	*) echo "$PROG: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

if [ "$LIST" = 1 ]; then
	list_options "$DAEMON"
	exit 0
fi
[ -n "$DAEMON" ] || { echo "$PROG: which daemon: bird or frr" >&2; usage >&2; exit 2; }
for o in "${GIVEN[@]}"; do
	d=$(owner "$o")
	[ -z "$d" ] || [ "$d" = "$DAEMON" ] || { echo "$PROG: $o is not a $DAEMON option" >&2; usage >&2; exit 2; }
done
# BIRD's file is one neighbor's (a protocol bgp has one): the event's, unless
# --peer; FRR's holds every neighbor, --peer only narrows it (and the events).
[ "$DAEMON" = frr ] || [ -n "$PEER" ] || PEER=$EVPEER
# What each daemon takes: its export format, its name in messages, its file option.
case $DAEMON in
bird) FORMAT=bird-bgp DNAME=BIRD WANT_FILE=--include ;;
frr) FORMAT=frr-bgp DNAME=bgpd WANT_FILE=--file ;;
esac
[ -n "$FILE" ] || { echo "$PROG: $DAEMON needs $WANT_FILE FILE" >&2; usage >&2; exit 2; }
[ -z "$PATHSPACE" ] || [ -z "$VTYSOCK" ] ||
	{ echo "$PROG: --pathspace or --vty-socket, not both" >&2; usage >&2; exit 2; }
[ -n "$TABLE" ] || { echo "$PROG: no key table: -t TABLE (or run it as --rp-hook with -t)" >&2; usage >&2; exit 2; }
[ "$DAEMON" = frr ] || [ -n "$PEER" ] ||
	{ echo "$PROG: bird: which neighbor: --peer ADDR (a protocol bgp has one)" >&2; usage >&2; exit 2; }

WHAT=${EVENT:+the $EVENT event}
WHAT=${WHAT:-by hand}

# Not ours: another protocol's child, another neighbor's.
if [ -n "${RKMP_PROTOCOL:-}" ] && [ "$RKMP_PROTOCOL" != tcp-md5 ]; then
	exit 0
fi
if [ -n "$EVPEER" ] && [ -n "$PEER" ] && [ "$EVPEER" != "$PEER" ]; then
	exit 0
fi

# The new lines, beside the file (so that mv replaces it atomically), 0600;
# a symbolic link is followed (the file it names is replaced).
[ ! -L "$FILE" ] || FILE=$(readlink -f "$FILE")
DIR=$(dirname "$FILE")
[ -d "$DIR" ] || die 1 "$FILE: no directory $DIR"
TMP=$(umask 077 && mktemp "$DIR/.rkmp-hook.XXXXXX") || die 1 "$FILE: cannot write in $DIR"
trap 'rm -f "$TMP"' EXIT
ARGS=(-q -t "$TABLE" export --format "$FORMAT")
[ -z "$PEER" ] || ARGS+=(--peer "$PEER")
[ -z "$NOW" ] || ARGS+=(--now "$NOW")
if ! ERR=$("$KEYTABLE" "${ARGS[@]}" 2>&1 >"$TMP"); then
	echo "$ERR" >&2
	die 1 "${PEER:-every peer}: no password written ($WHAT): $FILE and $DNAME left as they were"
fi

# The passwords alone (comments carry times): unchanged at an event, nothing to
# reload.  By hand (after the daemon restarted, say) it is always applied:
# BIRD and FRR keep a session whose password is given again.
passwords() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*!' "$1" 2>/dev/null
}
if [ -n "$EVENT" ] && [ -f "$FILE" ] && [ "$(passwords "$FILE")" = "$(passwords "$TMP")" ]; then
	say "${PEER:-every peer}: password unchanged ($WHAT): $DNAME not reloaded"
	exit 0
fi
# The old file is kept until the daemon has taken the new one: if it refuses,
# the file goes back to what the daemon runs with (and the next event retries).
OLD=''
if [ -f "$FILE" ]; then	# the daemon's owner and mode stay (it may read as another user)
	chmod --reference="$FILE" "$TMP" && chown --reference="$FILE" "$TMP" 2>/dev/null
	if ! OLD=$(umask 077 && mktemp "$DIR/.rkmp-hook.old.XXXXXX") || ! cp -p "$FILE" "$OLD"; then
		die 1 "$FILE: cannot keep a copy in $DIR"
	fi
fi
trap 'rm -f "$TMP" ${OLD:+"$OLD"}' EXIT
mv -f "$TMP" "$FILE" || die 1 "$FILE: cannot replace it"

refused() {	# refused WHAT: put the old file back, say so, exit 1
	if [ -n "$OLD" ]; then
		mv -f "$OLD" "$FILE"
	else
		rm -f "$FILE"
	fi
	echo "$OUT" >&2
	die 1 "${PEER:-every peer}: $1 did not take the new password: $FILE put back as it was"
}

not_running() {	# not_running: the file is for the daemon's start
	if [ "$DAEMON" = bird ]; then
		say "${PEER:-every peer}: ${KEYNAME:-new password} ($WHAT): BIRD not running: $FILE written for its start"
	else	# bgpd reads no such file: it is applied by hand once bgpd runs
		say "${PEER:-every peer}: ${KEYNAME:-new password} ($WHAT): bgpd not running: $FILE written; run rkmp-hook frr by hand once it runs"
	fi
	exit 0
}
KEYNAME=$(sed -nE 's/^[[:space:]]*[#!] (rkmp\/[^:]+): sent .*/\1/p' "$FILE" | paste -sd ' ' -)

case $DAEMON in
bird)
	BIRDC=(birdc)
	[ -z "$SOCKET" ] || BIRDC+=(-s "$SOCKET")
	OUT=$("${BIRDC[@]}" configure 2>&1)
	if grep -q 'Unable to connect to server control socket' <<<"$OUT"; then
		not_running
	fi
	grep -qE 'Reconfigured|Reconfiguration in progress' <<<"$OUT" ||
		refused "BIRD (${BIRDC[*]} configure)"
	;;
frr)
	VTYSH=(vtysh -d bgpd)
	[ -z "$PATHSPACE" ] || VTYSH+=(-N "$PATHSPACE")
	[ -z "$VTYSOCK" ] || VTYSH+=(--vty_socket "$VTYSOCK")
	# vtysh -f: the file's lines in the config node (a refused line: exit 1)
	if ! OUT=$("${VTYSH[@]}" -f "$FILE" 2>&1); then
		if grep -q 'failed to connect to any daemons' <<<"$OUT"; then
			not_running
		fi
		refused "bgpd (${VTYSH[*]} -f)"
	fi
	;;
esac
say "${PEER:-every peer}: ${KEYNAME:-new password} ($WHAT): $DNAME reloaded"
