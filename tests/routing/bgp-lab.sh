#!/usr/bin/env bash
# BGP sessions protected by TCP-MD5 (RFC 2385) between two network namespaces,
# BIRD 2 or FRR bgpd on each side, to prove that keys we export protect a real
# BGP session (tests/bats/97-bgp-lab.bats); root only.
#
#   netns NAME-a                                  netns NAME-b
#   10.78.0.1/24 fd78::1/64 on bgp-a  <-veth->  10.78.0.2/24 fd78::2/64 on bgp-b
#   AS 65001, router id 10.78.0.1                AS 65002, router id 10.78.0.2
#
# One daemon per side (BIRD on one, FRR on the other is fine), one eBGP session
# between the two addresses, short timers (a session is up in 1-3 s).  Nothing
# leaves the two namespaces and nothing under /etc is read or written: each
# daemon runs from a config written into $RKMP_BGP_LAB_RUN/SIDE, with its own
# control socket, pid file and log there.
#
# Commands (SIDE is a or b):
#   up                    (re)create both namespaces ("down" first)
#   down                  stop every daemon started here (by pid file), delete
#                         both namespaces and the run directory
#   bird SIDE INCLUDE     start BIRD 2 on SIDE; INCLUDE is included inside
#                         its "protocol bgp peer { }" block: BIRD 2 lines such
#                         as  password "SECRET";  (empty: no TCP-MD5)
#   bird-bfd SIDE AUTH INCLUDE
#                         start BIRD 2 on SIDE with a BFD session to the other
#                         side instead of BGP: "authentication AUTH;" (e.g.
#                         "meticulous keyed sha1") and INCLUDE (BIRD password
#                         blocks) in its interface block, 100 ms intervals;
#                         state and the waits then speak of the BFD session
#                         (Up instead of Established)
#   bird-reload SIDE      birdc configure (re-reads INCLUDE); fails when BIRD
#                         rejects the config; prints birdc's answer
#   frr SIDE INCLUDE      start FRR bgpd on SIDE (no zebra); INCLUDE is applied
#                         to the running bgpd with "frr-apply" once the
#                         instance exists (bgpd is stopped again when it
#                         rejects a line): FRR config lines such as
#                             router bgp
#                              neighbor 10.78.0.2 password SECRET
#                             exit
#   frr-apply SIDE FILE   apply FILE to the running bgpd (vtysh -f)
#   stop SIDE             stop the daemon of SIDE
#   state SIDE            the session's state, one word: Established, or the
#                         daemon's own word (BIRD: Idle Connect Active OpenSent
#                         OpenConfirm Close, Down (protocol down), Error
#                         (protocol down after an error, e.g. "Kernel MD5 auth
#                         failed": ctl SIDE show protocols); FRR: Idle Connect
#                         Active OpenSent OpenConfirm Clearing Deleted);
#                         NotRunning when no daemon runs on SIDE
#   wait-established SIDE SECONDS
#                         wait until Established (prints "Established after
#                         N.N s"); else prints the last state, exit 1
#   stays-down SIDE SECONDS
#                         succeeds when the session is not Established for
#                         SECONDS (and the daemon still runs); else exit 1
#   md5-on-session SIDE [SECRET]
#                         the Established BGP TCP connection on SIDE carries a
#                         TCP-MD5 key for the peer (ss -tnie: "md5keys:PEER/32
#                         or /128"; prints ss's lines, the key left out); with
#                         SECRET also: two BGP segments captured on SIDE's veth
#                         (tcpdump -M SECRET, 10 s at most: keepalives every
#                         2 s) all carry a TCP-MD5 option valid for SECRET
#   md5-counters SIDE     the kernel's TCP-MD5 counters in SIDE's namespace
#                         (nstat: TcpExtTCPMD5Failure: segments with a wrong
#                         digest, ...NotFound: without one where a key is set,
#                         ...Unexpected: with one where no key is set)
#   log SIDE [N]          the daemon's log (the last N lines, default all)
#   ctl SIDE ARGS...      birdc or vtysh (-d bgpd) with ARGS against SIDE's daemon
#   path NAME             one of: dir ns-a ns-b addr-a addr-b
#
# Env: RKMP_BGP_LAB_NAME  NAME-a and NAME-b are the namespaces (default rkmp-bgp;
#                         another name lets two checkouts' suites run at once)
#      RKMP_BGP_LAB_RUN   the run directory (default /run/rkmp-bgp-lab/NAME)
#      RKMP_BGP_LAB_AF    4 (default) or 6: the session between 10.78.0.x or
#                         fd78::x (give the same to every command)
set -eu
# (this script's directory without a process: the tests start it often)
HERE=${BASH_SOURCE[0]%/*}
[ "$HERE" != "${BASH_SOURCE[0]}" ] || HERE=.
# shellcheck source=tests/netns.bash
. "$HERE/../netns.bash"
NAME=${RKMP_BGP_LAB_NAME:-rkmp-bgp}
RUN=${RKMP_BGP_LAB_RUN:-/run/rkmp-bgp-lab/$NAME}
AF=${RKMP_BGP_LAB_AF:-4}
BIRD=${RKMP_BGP_LAB_BIRD:-/usr/sbin/bird}
BIRDC=${RKMP_BGP_LAB_BIRDC:-/usr/sbin/birdc}
BGPD=${RKMP_BGP_LAB_BGPD:-/usr/lib/frr/bgpd}
VTYSH=${RKMP_BGP_LAB_VTYSH:-/usr/bin/vtysh}

die() { echo "bgp-lab: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

case "$AF" in
4|6) ;;
*) die "RKMP_BGP_LAB_AF must be 4 or 6, not '$AF'" ;;
esac

# side SIDE: NS, ADDR (ours), PEER (theirs), AS, PEER_AS, ID, DIR
side() {
	case "${1:-}" in
	a) NS=$NAME-a ID=10.78.0.1 AS=65001 PEER_AS=65002
	   if [ "$AF" = 6 ]; then ADDR=fd78::1 PEER=fd78::2; else ADDR=10.78.0.1 PEER=10.78.0.2; fi ;;
	b) NS=$NAME-b ID=10.78.0.2 AS=65002 PEER_AS=65001
	   if [ "$AF" = 6 ]; then ADDR=fd78::2 PEER=fd78::1; else ADDR=10.78.0.2 PEER=10.78.0.1; fi ;;
	*) die "SIDE must be a or b, not '${1:-}'" ;;
	esac
	DIR=$RUN/$1
}

need_root() { [ "$EUID" = 0 ] || die "needs root (network namespaces)"; }
need_ns() { [ -e "/run/netns/$NS" ] || die "namespace $NS does not exist: run '$0 up' first"; }

# get VAR FILE: FILE's first line into VAR; fails when FILE cannot be read or
# is empty.  The state and the waits read files this way, without a process
# (a cat each was most of a poll's cost)
get() {
	local l=
	{ IFS= read -r l < "$2"; } 2>/dev/null || [ -n "$l" ] || return 1
	printf -v "$1" %s "$l"
}

alive() {	# process $1 exists and is no zombie
	local st
	get st "/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# running: SIDE's daemon (DIR set) runs: its kind in KIND, its pid in PID
running() {
	local comm
	KIND="" PID=""
	get KIND "$DIR/daemon" || return 1
	get PID "$DIR/$KIND.pid" || return 1
	alive "$PID" || return 1
	get comm "/proc/$PID/comm" || return 1
	case "$KIND:$comm" in
	bird:bird|frr:bgpd) return 0 ;;
	*) return 1 ;;
	esac
}

stop_side() {	# stop_side SIDE: TERM, then KILL after 5 s
	local pid i
	side "$1"
	if running; then
		pid=$PID
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			echo "bgp-lab: $KIND (pid $pid) on side $1 still runs after 5 s: KILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$DIR/daemon" "$DIR/bird.pid" "$DIR/frr.pid" "$DIR/mode"
}


cmd_down() {
	need_root
	stop_side a
	stop_side b
	netns_del "$NAME-a" "$NAME-b"
	rm -rf "$RUN"
}

cmd_up() {
	local s
	need_root
	cmd_down
	mkdir -p "$RUN/a" "$RUN/b"
	netns_pair "$NAME-a" bgp-a 10.78.0.1/24 "$NAME-b" bgp-b 10.78.0.2/24
	for s in a b; do
		side "$s"
		ip -n "$NS" addr add "fd78::${ID##*.}/64" dev "bgp-$s" nodad
	done
}

start_check() {	# start_check SIDE: root, namespace, no daemon on SIDE yet
	need_root
	side "$1"
	need_ns
	mkdir -p "$DIR"
	if running; then die "$KIND already runs on side $1 (pid $PID): '$0 stop $1' first"; fi
	rm -f "$DIR/daemon"
}

# bird_include SIDE INCLUDE: checks, then INC (the include's absolute name)
bird_include() {
	if [ ! -x "$BIRD" ] || [ ! -x "$BIRDC" ]; then die "BIRD 2 is missing ($BIRD, $BIRDC): apt-get install bird2"; fi
	start_check "$1"
	[ -f "$2" ] || die "include file $2 does not exist"
	INC=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	case "$INC" in *'"'*) die "include file name must not contain '\"'" ;; esac
	rm -f "$DIR/bird.log" "$DIR/bird.ctl" "$DIR/bird.out" "$DIR/mode"
}

cmd_bird() {	# cmd_bird SIDE INCLUDE
	local inc
	bird_include "$1" "$2"
	inc=$INC
	cat > "$DIR/bird.conf" <<EOF
# written by tests/routing/bgp-lab.sh
log "$DIR/bird.log" all;
router id $ID;
# connect delay: the first connect after a (re)start; error wait: before a
# restart after an error (defaults 5 s and 60-300 s)
protocol device {}
protocol bgp peer {
	debug { states, events };
	local $ADDR as $AS;
	neighbor $PEER as $PEER_AS;
	connect delay time 1;
	connect retry time 1;
	error wait time 1, 4;
	hold time 6;
	keepalive time 2;
	ipv$AF { import all; export none; };
	include "$inc";
}
EOF
	bird_start "$1" "$ADDR AS $AS -> $PEER AS $PEER_AS"
}

cmd_bird_bfd() {	# cmd_bird_bfd SIDE AUTH INCLUDE
	bird_include "$1" "$3"
	case "$2" in *[!a-z0-9\ ]*|'') die "AUTH is BIRD's BFD authentication type, not '$2'" ;; esac
	cat > "$DIR/bird.conf" <<EOF
# written by tests/routing/bgp-lab.sh
log "$DIR/bird.log" all;
router id $ID;
protocol device {}
protocol bfd {
	debug { states, events };
	interface "*" {
		interval 100 ms;
		authentication $2;
		include "$INC";
	};
	neighbor $PEER;
}
EOF
	echo bfd > "$DIR/mode"
	bird_start "$1" "$ADDR BFD ($2) -> $PEER"
}

bird_start() {	# bird_start SIDE WHAT: check DIR/bird.conf, start BIRD with it
	local i
	"$BIRD" -p -c "$DIR/bird.conf" > "$DIR/bird.out" 2>&1 ||
	    die "BIRD rejects the config: $(tr '\n' ' ' < "$DIR/bird.out")"
	echo bird > "$DIR/daemon"
	# bird daemonizes; its pid file holds the daemon's pid
	ip netns exec "$NS" "$BIRD" -c "$DIR/bird.conf" -s "$DIR/bird.ctl" -P "$DIR/bird.pid" \
	    </dev/null >>"$DIR/bird.out" 2>&1 ||
	    { rm -f "$DIR/daemon"; die "bird did not start: $(tr '\n' ' ' < "$DIR/bird.out")"; }
	for ((i = 0; i < 100; i++)); do
		[ -S "$DIR/bird.ctl" ] && running && break
		sleep 0.1
	done
	running || die "bird is not running after 10 s: $(tr '\n' ' ' < "$DIR/bird.out")"
	echo "bgp-lab: bird (pid $PID) on side $1 in $NS: $2" >&2
}

birdc_() { "$BIRDC" -s "$DIR/bird.ctl" "$@"; }

cmd_bird_reload() {	# cmd_bird_reload SIDE
	local out
	side "$1"
	if ! running || [ "$KIND" != bird ]; then die "no bird runs on side $1"; fi
	out=$(birdc_ configure 2>&1) || die "birdc configure failed: $(tr '\n' ' ' <<<"$out")"
	echo "$out"
	# BIRD 2.0.12 answers "Reconfigured" (or "Reconfiguration in progress"),
	# or names the error with its file and line
	grep -qE '^(0003 )?Reconfigur|^(0004 )?Reconfiguration in progress' <<<"$out" ||
	    die "BIRD rejects the config: $(grep -v '^BIRD .* ready' <<<"$out" | tr '\n' ' ')"
}

vtysh_() { "$VTYSH" --vty_socket "$DIR/vty" -d bgpd "$@"; }

cmd_frr() {	# cmd_frr SIDE INCLUDE
	local i pid out
	if [ ! -x "$BGPD" ] || [ ! -x "$VTYSH" ]; then die "FRR is missing ($BGPD, $VTYSH): apt-get install frr"; fi
	start_check "$1"
	[ -f "$2" ] || die "include file $2 does not exist"
	rm -rf "$DIR/vty" "$DIR/frr.log" "$DIR/frr.out"
	mkdir -p "$DIR/vty"
	cat > "$DIR/bgpd.conf" <<EOF
! written by tests/routing/bgp-lab.sh
log timestamp precision 3
debug bgp neighbor-events
router bgp $AS
 bgp router-id $ID
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 timers bgp 2 6
 neighbor $PEER remote-as $PEER_AS
 neighbor $PEER update-source $ADDR
 neighbor $PEER timers connect 1
 neighbor $PEER advertisement-interval 0
 address-family ipv$AF unicast
  neighbor $PEER activate
 exit-address-family
exit
EOF
	echo frr > "$DIR/daemon"
	# -Z: no zebra; -S: stays root (no frr user, so no permission on $DIR);
	# ip netns exec execs bgpd: $! is bgpd's pid
	ip netns exec "$NS" "$BGPD" -Z -S -f "$DIR/bgpd.conf" -i "$DIR/bgpd.pid" \
	    --vty_socket "$DIR/vty" -A 127.0.0.1 -P 0 --log "file:$DIR/frr.log" \
	    </dev/null >"$DIR/frr.out" 2>&1 &
	pid=$!
	echo "$pid" > "$DIR/frr.pid"
	for ((i = 0; i < 100; i++)); do
		[ -S "$DIR/vty/bgpd.vty" ] && running && vtysh_ -c 'show bgp summary' >/dev/null 2>&1 && break
		alive "$pid" || die "bgpd exited: $(tr '\n' ' ' < "$DIR/frr.out")"
		sleep 0.1
	done
	running || die "bgpd is not running after 10 s: $(tr '\n' ' ' < "$DIR/frr.out")"
	# a file bgpd rejects: no bgpd left running
	if ! out=$(cmd_frr_apply "$1" "$2" 2>&1); then
		stop_side "$1"
		die "bgpd stopped: ${out#bgp-lab: }"
	fi
	[ -z "$out" ] || echo "$out"
	echo "bgp-lab: bgpd (pid $pid) on side $1 in $NS: $ADDR AS $AS -> $PEER AS $PEER_AS" >&2
}

cmd_frr_apply() {	# cmd_frr_apply SIDE FILE
	local out
	side "$1"
	[ -f "$2" ] || die "file $2 does not exist"
	if ! running || [ "$KIND" != frr ]; then die "no bgpd runs on side $1"; fi
	# vtysh -f reads FILE as config lines (config node); it exits non-zero and
	# names the line when bgpd rejects one
	out=$(vtysh_ -f "$2" 2>&1) || die "vtysh -f $2 failed: $(tr '\n' ' ' <<<"$out")"
	[ -z "$out" ] || echo "$out"
}

cmd_ctl() {	# cmd_ctl SIDE ARGS...
	side "$1"
	shift
	running || die "no daemon runs on side ${DIR##*/}"
	if [ "$KIND" = bird ]; then birdc_ "$@"; else vtysh_ "$@"; fi
}

bfd_mode() { local m; get m "$DIR/mode" && [ "$m" = bfd ]; }

# get_state: the session's state, one word, in ST (asks the daemon)
get_state() {
	local out f1 f2 f3 f4 f6
	ST=""
	running || { ST=NotRunning; return 0; }
	if bfd_mode; then
		# "10.78.0.2  bgp-a  Up  12:00:00.000  0.100  0.500": the 3rd column
		out=$(birdc_ show bfd sessions 2>/dev/null) || { ST=Unknown; return 0; }
		while read -r f1 _ f3 _; do
			[ "$f1" != "$PEER" ] || ST=$f3
		done <<<"$out"
	elif [ "$KIND" = bird ]; then
		# "peer  BGP  ---  up  12:00:00.000  Established": the 6th column is
		# the BGP state; "down ... Error: Kernel MD5 auth failed": Error;
		# "down" without more: Down
		out=$(birdc_ show protocols peer 2>/dev/null) || { ST=Unknown; return 0; }
		while read -r f1 f2 _ f4 _ f6 _; do
			if [ "$f1" != peer ] || [ "$f2" != BGP ]; then continue; fi
			f6=${f6:-$f4}
			f6=${f6%:}
			ST=${f6^}
		done <<<"$out"
	else
		# {"10.78.0.2":{ ... "bgpState":"Established", ... }}: the one
		# neighbor asked for (read in bash: a jq was a third of a poll)
		out=$(vtysh_ -c "show bgp neighbors $PEER json" 2>/dev/null) || { ST=Unknown; return 0; }
		if [[ $out =~ ^[[:space:]]*\{[[:space:]]*\"([^\"]*)\"[[:space:]]*:[[:space:]]*\{ ]] &&
		    [ "${BASH_REMATCH[1]}" = "$PEER" ] &&
		    [[ $out =~ \"bgpState\"[[:space:]]*:[[:space:]]*\"([A-Za-z]+)\" ]]; then
			ST=${BASH_REMATCH[1]}
		fi
	fi
	ST=${ST:-Unknown}
}

cmd_state() { side "$1"; get_state; echo "$ST"; }

# tcp_up: the daemon's network namespace holds an established TCP connection
# (PID set by running; "CurrEstab" of /proc/PID/net/snmp's Tcp lines: the
# connections ESTABLISHED or CLOSE-WAIT; the lab's namespaces have no TCP but
# BGP's).  A BGP session is not Established without one.  Read without a
# process (and unlike /proc/net/tcp without a walk of the host's whole TCP
# table, 1 ms of CPU), it lets the waits ask the daemon (a birdc, or a vtysh:
# 60 ms of CPU) only while there is a connection.  Without the counter: true
# (the daemon is asked)
tcp_up() {
	local tag line names="" vals i
	while read -r tag line; do
		[ "$tag" = Tcp: ] || continue
		if [ -z "$names" ]; then names=$line; continue; fi
		read -r -a names <<<"$names"
		read -r -a vals <<<"$line"
		for i in "${!names[@]}"; do
			[ "${names[i]}" = CurrEstab ] || continue
			[[ ${vals[i]:-} =~ ^[0-9]+$ ]] || return 0
			[ "${vals[i]}" -gt 0 ]
			return
		done
		return 0
	done 2>/dev/null < "/proc/$PID/net/snmp"
	return 0
}

# microseconds since the epoch into USEC, and the seconds since one, without a process
usec() { USEC=${EPOCHREALTIME/[.,]/}; USEC=${USEC#0}; }
elapsed() { local d; usec; d=$((USEC - $1)); printf '%d.%d' $((d / 1000000)) $((d / 100000 % 10)); }

# nap SECONDS: sleep without a process (read times out on a pipe that only
# we could write to); the pipe is opened at the first nap
nap() {
	[ -n "${NAP_FD:-}" ] || exec {NAP_FD}<> <(:)
	read -r -t "$1" -u "$NAP_FD" _ || true
}

cmd_wait() {	# cmd_wait SIDE SECONDS up|down
	local t0 limit up asked last=""
	side "$1"
	if ! [[ $2 =~ ^([0-9]*)(\.([0-9]*))?$ && $2 == *[0-9]* ]]; then
		die "SECONDS must be a number, not '$2'"
	fi
	limit=${BASH_REMATCH[3]}000000
	limit=$((10#0${BASH_REMATCH[1]} * 1000000 + 10#${limit:0:6}))
	running || die "no daemon runs on side $1"
	up=Established
	! bfd_mode || up=Up
	usec
	t0=$USEC
	while :; do
		# without an established TCP connection on port 179 the BGP state
		# is not Established (BFD has no connection: always asked)
		if [ -n "$last" ] || [ "$up" = Up ] || ! running || tcp_up; then
			get_state
			asked=1
		else
			ST=""
			asked=""
		fi
		if [ "$ST" = NotRunning ]; then
			die "$1: the daemon exited after $(elapsed "$t0") s"
		fi
		if [ "$3" = up ] && [ "$ST" = "$up" ]; then
			echo "$up after $(elapsed "$t0") s"
			return 0
		fi
		if [ "$3" = down ] && [ "$ST" = "$up" ]; then
			echo "bgp-lab: $1: $up after $(elapsed "$t0") s, expected to stay down" >&2
			return 1
		fi
		usec
		if ((USEC - t0 >= limit)); then
			# the last state in the daemon's own word: asked once more
			if [ -z "$asked" ]; then
				last=1
				continue
			fi
			if [ "$3" = up ]; then
				echo "bgp-lab: $1: not $up after $2 s: $ST" >&2
				return 1
			fi
			echo "not $up for $2 s: $ST"
			return 0
		fi
		# coming up is timed to 0.2 s; staying down, while the daemon is
		# asked, to 0.5 s
		if [ "$3" = up ] || [ -z "$asked" ]; then nap 0.2; else nap 0.5; fi
	done
}

cmd_md5() {	# cmd_md5 SIDE [SECRET]
	local out lines plen=32 tcpd bad="" n=0 l
	side "$1"
	need_ns
	[ "$AF" = 4 ] || plen=128
	# -e asks for the socket's TCP-MD5 keys (INET_DIAG_MD5SIG, root only):
	# "md5keys:10.78.0.2/32=KEY"; iproute2 6.1 writes KEY itself unbuffered,
	# so it lands in front of the header line: print from "Recv-Q" on
	out=$(ss -N "$NS" -tnie state established "( sport = :179 or dport = :179 )" 2>/dev/null) ||
	    die "ss failed in $NS"
	[[ $out != *Recv-Q* ]] || out=Recv-Q${out#*Recv-Q}
	lines=""
	[[ $out != *$'\n'* ]] || lines=${out#*$'\n'}
	# (parsed in bash, not sed and grep: every test calls this a few times)
	[ -n "$lines" ] || die "$1: no established TCP connection on port 179 in $NS"
	[[ $lines == *"md5keys:$PEER/$plen="* ]] ||
	    die "$1: the BGP TCP connection has no TCP-MD5 key for $PEER: $(tr '\n\t' '  ' <<<"$lines")"
	echo "$out"
	[ -n "${2:-}" ] || return 0
	command -v tcpdump >/dev/null || die "tcpdump is missing (md5-on-session with SECRET)"
	# -M: tcpdump checks each segment's RFC 2385 digest: "md5 valid", or
	# "md5  (invalid)"
	tcpd=$(timeout 10 ip netns exec "$NS" tcpdump -l -n -vv -M "$2" -c 2 -i "bgp-$1" "tcp port 179" 2>/dev/null) || true
	# each segment's options, "options [...]"
	while [[ $tcpd =~ options\ \[[^]]*\] ]]; do
		l=${BASH_REMATCH[0]}
		tcpd=${tcpd#*"$l"}
		n=$((n + 1))
		[[ $l == *"md5 valid"* ]] || bad="$bad$l "
	done
	[ "$n" -ge 2 ] || die "$1: fewer than 2 BGP segments on bgp-$1 in 10 s"
	[ -z "$bad" ] || die "$1: BGP segments whose TCP-MD5 digest is not valid for the secret given: $bad"
	echo "tcpdump -M: $n segments on bgp-$1, TCP-MD5 valid for the secret given"
}

cmd_md5_counters() {	# cmd_md5_counters SIDE
	side "$1"
	need_ns
	ip netns exec "$NS" nstat -saz 'TcpExtTCPMD5*' | awk '/^TcpExt/ { print $1, $2 }'
}

cmd_log() {	# cmd_log SIDE [N]
	local f
	side "$1"
	KIND=$(cat "$DIR/daemon" 2>/dev/null) || KIND=""
	for f in "$DIR/bird.log" "$DIR/frr.log"; do
		[ -n "$KIND" ] && [ "$f" != "$DIR/$KIND.log" ] && continue
		[ -f "$f" ] || continue
		if [ -n "${2:-}" ]; then tail -n "$2" "$f"; else cat "$f"; fi
	done
}

[ $# -gt 0 ] || usage 2
cmd=$1
shift
nargs() { [ "$1" -ge "$2" ] || die "$cmd: needs $3"; }
case "$cmd" in
-h|--help|help) usage 0 ;;
up) cmd_up ;;
down) cmd_down ;;
bird) nargs $# 2 "SIDE INCLUDE"; cmd_bird "$1" "$2" ;;
bird-bfd) nargs $# 3 "SIDE AUTH INCLUDE"; cmd_bird_bfd "$1" "$2" "$3" ;;
bird-reload) nargs $# 1 SIDE; cmd_bird_reload "$1" ;;
frr) nargs $# 2 "SIDE INCLUDE"; cmd_frr "$1" "$2" ;;
frr-apply) nargs $# 2 "SIDE FILE"; cmd_frr_apply "$1" "$2" ;;
stop) nargs $# 1 SIDE; need_root; stop_side "$1" ;;
state) nargs $# 1 SIDE; cmd_state "$1" ;;
wait-established) nargs $# 2 "SIDE SECONDS"; cmd_wait "$1" "$2" up ;;
stays-down) nargs $# 2 "SIDE SECONDS"; cmd_wait "$1" "$2" down ;;
md5-on-session) nargs $# 1 "SIDE [SECRET]"; cmd_md5 "$1" "${2:-}" ;;
md5-counters) nargs $# 1 SIDE; cmd_md5_counters "$1" ;;
log) nargs $# 1 "SIDE [N]"; cmd_log "$1" "${2:-}" ;;
ctl) nargs $# 2 "SIDE ARGS..."; cmd_ctl "$@" ;;
path)
	nargs $# 1 NAME
	case "$1" in
	dir) echo "$RUN" ;;
	ns-a) echo "$NAME-a" ;;
	ns-b) echo "$NAME-b" ;;
	addr-a) side a; echo "$ADDR" ;;
	addr-b) side b; echo "$ADDR" ;;
	*) die "path: NAME is one of dir ns-a ns-b addr-a addr-b" ;;
	esac ;;
*) echo "bgp-lab: unknown command '$cmd'" >&2; usage 2 ;;
esac
