#!/usr/bin/env bash
# strongSwan (charon) as an independent IKEv2 peer for the interop suites
# (tests/bats/85-rkmpd-strongswan.bats, 94-interop-udp.bats, 95-interop-strongswan.bats,
# 96-interop-rekey-ike.bats), in a network namespace of its own; root only.
# charon answers our initiators and, on "initiate", starts an IKE SA toward us.
#
#   netns NAME-peer                        netns NAME-us
#   charon, 10.77.0.1 on rkmp-p0  <-veth->  10.77.0.2 on rkmp-u0: the rkmp tools
#
# Nothing leaves the two namespaces (no route out) and nothing under /etc is
# read: charon runs from a strongswan.conf and a swanctl.conf written into
# $RKMP_INTEROP_RUN, with the harness's plugins
# (tests/interop/install-strongswan.sh builds them) preloaded:
# rkmp-kernel-null (CHILD_SAs are negotiated, never installed) and rkmp-keylog
# (every key charon derives, to keys.log, in the format rkmp-decode --keys reads).
#
# Commands (options may come before or after the command):
#   up [--cookie-threshold N] [--dpd SECONDS] [--mobike yes|no]
#      [--fragmentation yes|accept|force|no] [--fragment-size N]
#                     (re)create both namespaces, start charon, load its
#                     connections (below), with, for all of them:
#                     --cookie-threshold: half-open IKE SAs before charon asks
#                       for COOKIEs (charon's default 10);
#                     --dpd: liveness check after SECONDS of silence (default none);
#                     --mobike: MOBIKE (RFC 4555; default no: yes makes charon,
#                       as the initiator, move to port 4500 for IKE_AUTH when the
#                       responder sent NAT_DETECTION notifies);
#                     --fragmentation: IKE fragmentation (RFC 7383; default yes:
#                       when both sides announced it; force: charon fragments its
#                       big messages even to a peer that did not; accept: it
#                       reassembles but never fragments; no: neither);
#                     --fragment-size: charon's largest IKE datagram, fragments
#                       included (charon.fragment_size; default 1280)
#   down              stop charon, delete both namespaces
#   status            whether charon runs; its SAs
#   path NAME         one of: dir log keylog swanctl conf.d vici ns-peer ns-us
#   load              load swanctl.conf again (connections added in conf.d/*.conf,
#                     certificates in x509/, x509ca/, private/ beside it)
#   initiate [--cert | --frag | --conn NAME] [--no-child] [--timeout S]
#                     charon initiates toward us (10.77.0.2:500): the IKE SA
#                     rkmp-out (--cert: rkmp-out-cert, --frag: rkmp-out-frag) and
#                     its child NAME-child (--no-child: none; childless when we
#                     announced RFC 6023).  Runs swanctl --initiate with stdin
#                     from /dev/null and bats's fd 3 closed, and exits with its
#                     status: 0 established; non-zero when charon gave up or
#                     after S seconds (default 20; charon then goes on trying in
#                     the background until its retransmissions give up)
#   rekey-child [CHILD]
#                     charon rekeys the CHILD SA CHILD (default rkmp-child; the
#                     one charon initiated: rkmp-out-child)
#   rekey-ike [IKE]   charon rekeys the IKE SA IKE (default rkmp; rkmp-out)
#   retransmits [--received] [MID]
#                     how many requests charon sent again ("retransmit N of
#                     request with message ID M"), of message ID MID only when
#                     given (an initiator's IKE_AUTH is 1); --received: how many
#                     requests charon received again and answered again
#                     ("received retransmit of request with ID M")
#   fragments [sent|received] [EXCHANGE]
#                     the IKE messages charon sent or received as RFC 7383
#                     fragments, one line each:
#                       DIRECTION EXCHANGE request|response MID COUNT TOTAL SA STATE
#                     e.g. "sent IKE_AUTH response 1 8 8 2 -" or "received
#                     IKE_AUTH request 1 5 5 1 reassembled": COUNT the fragments
#                     (each counted once, however often retransmitted), TOTAL
#                     the count they announce, SA charon's IKE SA number, STATE
#                     of a received message "reassembled" (charon put it
#                     together) or "incomplete", of a sent one "-"; nothing
#                     when no message was fragmented
#   swanctl ARGS...   swanctl against this charon
#   logs [N]          the last N (50) lines of charon's log
#
# Connections (all with local_addrs 10.77.0.1, remote_addrs 10.77.0.2, IKE
# proposals aes128/aes256-sha256-modp2048, aes256gcm16-prfsha256-ecp256 and
# chacha20poly1305-prfsha256-x25519 in that order of preference, childless
# allowed, MOBIKE and fragmentation as "up" was told; each child NAME-child,
# 10.77.1.1/32 (charon's side) <-> 10.77.2.2/32, the same ciphers with and
# without a PFS group):
#   rkmp, rkmp-out    PSK rkmp-interop-psk-0123456789, identities
#                     fqdn:peer.rkmp.test (charon) and fqdn:us.rkmp.test (us)
#   rkmp-cert, rkmp-out-cert
#                     certificates of testdata/pki: charon's is p256.pem
#                     (fqdn:b.rkmp.test, sent when asked for), ours any that
#                     chains to ca.pem
#   rkmp-frag, rkmp-out-frag
#                     certificates of testdata/pki's RSA-4096 chain: charon's is
#                     rsa4096-peer.pem (fqdn:peer.rkmp.test, always sent with its
#                     intermediate rsa4096-sub), ours must be fqdn:us.rkmp.test
#                     and chain to rsa4096-ca.pem (e.g. rsa4096.pem): with a
#                     small --fragment-size, IKE_AUTH has to be fragmented
# As the responder charon picks among the first three by our identities and
# then by how we authenticated (charon's log: "switching to peer config");
# the *-out ones, the same but for charon as the initiator, come after them
# and so are never picked for our requests.  Retransmissions: 2 s, x1.4,
# 3 times (charon gives up on a silent peer in about 15 s, not 2 minutes).
#
# Charon's log (path log) has ike, chd, cfg, knl and net at level 2, the rest
# (enc among them) at 1: every message generated and parsed ("generating
# IKE_AUTH response 1 [ EF(1/7) ]"), every datagram ("sending packet: from
# 10.77.0.1[4500] to 10.77.0.2[4500] (540 bytes)", "received packet: ...").
#
# Env: RKMP_INTEROP_NAME  NAME-peer and NAME-us are the namespaces (default rkmp;
#                         another name lets two checkouts' suites run at once)
#      RKMP_INTEROP_RUN   charon's files (default /tmp/NAME-interop)
#      RKMP_INTEROP_DIR   where install-strongswan.sh put the plugins
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/netns.bash
. "$HERE/../netns.bash"
PKI=$(cd "$HERE/../.." && pwd)/testdata/pki
NAME=${RKMP_INTEROP_NAME:-rkmp}
RUN=${RKMP_INTEROP_RUN:-/tmp/$NAME-interop}
NS_PEER=$NAME-peer NS_US=$NAME-us
DEV_PEER=rkmp-p0 DEV_US=rkmp-u0
ADDR_PEER=10.77.0.1 ADDR_US=10.77.0.2
TS_PEER=10.77.1.1/32 TS_US=10.77.2.2/32
ID_PEER=peer.rkmp.test ID_US=us.rkmp.test
PSK=rkmp-interop-psk-0123456789
IKE=aes128-sha256-modp2048,aes256-sha256-modp2048,aes256gcm16-prfsha256-ecp256,chacha20poly1305-prfsha256-x25519
ESP=aes128-sha256-modp2048,aes256-sha256-modp2048,aes256gcm16-ecp256,chacha20poly1305-x25519,aes128-sha256,aes256-sha256,aes256gcm16,chacha20poly1305
CONF=$RUN/strongswan.conf
SWANCTL=$RUN/swanctl/swanctl.conf
VICI=$RUN/charon.vici
LOG=$RUN/charon.log
KEYLOG=$RUN/keys.log
PIDFILE=$RUN/charon.pid

say() { echo "strongswan-peer: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
bad() { say "$*"; exit 2; }	# a usage error

charon_pid() {	# the pid of our charon, when it runs (ip netns exec, then env, exec it)
	local pid
	pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
	[ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -c charon-systemd >/dev/null ||
	    return 1
	echo "$pid"
}

alive() {	# process $1 exists and is no zombie
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st%% *}" != Z ]
}

sw() { STRONGSWAN_CONF=$CONF swanctl "$@"; }	# swanctl reads the vici socket from $CONF

# conn NAME AUTH [SEND_CERT]: one connection of swanctl.conf; AUTH psk, cert or
# frag (which credentials, see the header); SEND_CERT charon's send_cert
conn() {
	local local_auth remote_auth
	case $2 in
	psk)	local_auth="auth = psk
			id = $ID_PEER"
		remote_auth="auth = psk
			id = $ID_US" ;;
	cert)	local_auth="auth = pubkey
			certs = p256.pem
			id = b.rkmp.test"
		remote_auth="auth = pubkey
			cacerts = ca.pem" ;;
	frag)	local_auth="auth = pubkey
			certs = rsa4096-peer.pem
			id = $ID_PEER"
		remote_auth="auth = pubkey
			id = $ID_US
			cacerts = rsa4096-ca.pem" ;;
	esac
	cat <<EOF
	$1 {
		version = 2
		local_addrs = $ADDR_PEER
		remote_addrs = $ADDR_US
		proposals = $IKE
		childless = allow
		mobike = $O_MOBIKE
		fragmentation = $O_FRAG
		dpd_delay = ${O_DPD:-0}
		send_cert = ${3:-ifasked}
		local {
			$local_auth
		}
		remote {
			$remote_auth
		}
		children {
			$1-child {
				local_ts = $TS_PEER
				remote_ts = $TS_US
				esp_proposals = $ESP
			}
		}
	}
EOF
}

write_conf() {	# from the O_* options
	local d
	rm -rf "$RUN/swanctl" "$LOG" "$KEYLOG" "$VICI"
	# swanctl --load-all reads these credential directories beside swanctl.conf
	for d in conf.d x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss \
	    pkcs8 pkcs12; do
		mkdir -p "$RUN/swanctl/$d"
	done
	# charon's own certificates and keys; each file of x509/ is loaded as one
	# certificate (its first), so rsa4096-sub, the intermediate charon sends with
	# rsa4096-peer, is a file of its own; x509ca/ are the trusted roots
	cp "$PKI/p256.pem" "$PKI/rsa4096-peer.pem" "$PKI/rsa4096-sub.pem" "$RUN/swanctl/x509/"
	cp "$PKI/ca.pem" "$PKI/rsa4096-ca.pem" "$RUN/swanctl/x509ca/"
	install -m 600 "$PKI/p256.key" "$PKI/rsa4096-peer.key" "$RUN/swanctl/private/"
	cat > "$CONF" <<EOF
# written by tests/interop/strongswan-peer.sh
charon {
	port = 500
	port_nat_t = 4500
	# the kernel-ipsec interface is the first registered: rkmp-kernel-null's;
	# "!": charon does not start without the test plugins
	load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 kdf pem pkcs1 pkcs8 x509 pubkey rkmp-kernel-null! kernel-netlink socket-default vici rkmp-keylog!
	${O_COOKIE:+cookie_threshold = $O_COOKIE}
	fragment_size = $O_FRAG_SIZE
	retransmit_timeout = 2
	retransmit_base = 1.4
	retransmit_tries = 3
	install_routes = no
	install_virtual_ip = no
	filelog {
		charon {
			path = $LOG
			time_format = %T
			ike_name = yes
			flush_line = yes
			default = 1
			ike = 2
			chd = 2
			cfg = 2
			knl = 2
			net = 2
		}
	}
	syslog {
		daemon { default = -1 }
		auth { default = -1 }
	}
	journal { default = -1 }
	plugins {
		vici { socket = unix://$VICI }
		rkmp-keylog { file = $KEYLOG }
	}
}
swanctl {
	socket = unix://$VICI
}
EOF
	# The responder's connections first: with equal addresses and identities
	# charon takes the first it loaded (then the next when our AUTH does not fit)
	{
		echo "# written by tests/interop/strongswan-peer.sh"
		echo "connections {"
		conn rkmp psk
		conn rkmp-cert cert
		conn rkmp-frag frag always
		conn rkmp-out psk
		conn rkmp-out-cert cert
		conn rkmp-out-frag frag always
		cat <<EOF
	include conf.d/*.conf
}
secrets {
	ike-rkmp {
		id-peer = $ID_PEER
		id-us = $ID_US
		secret = "$PSK"
	}
}
EOF
	} > "$SWANCTL"
}

cmd_up() {
	local so pid i
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
	so=$("$HERE/install-strongswan.sh" --plugin)
	if [ ! -x /usr/sbin/charon-systemd ] || ! command -v swanctl >/dev/null || [ ! -f "$so" ]; then
		die "strongSwan or the test plugins are missing: run tests/interop/install-strongswan.sh as root"
	fi
	if pid=$(charon_pid); then die "charon already runs (pid $pid): $0 down first"; fi
	mkdir -p "$RUN"
	write_conf
	netns_pair "$NS_PEER" "$DEV_PEER" "$ADDR_PEER/24" "$NS_US" "$DEV_US" "$ADDR_US/24"
	ip netns exec "$NS_PEER" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin STRONGSWAN_CONF="$CONF" \
	    LD_PRELOAD="$so" /usr/sbin/charon-systemd </dev/null >"$RUN/charon.out" 2>&1 3>&- &
	pid=$!
	echo "$pid" > "$PIDFILE"
	# up when its vici socket listens and it has logged its plugins (well under a
	# second; 20 s for a machine under load)
	for ((i = 0; i < 200; i++)); do
		[ -S "$VICI" ] && grep -q "loaded plugins: " "$LOG" 2>/dev/null && break
		if ! alive "$pid"; then	# (not charon_pid: it may not have exec'd charon yet)
			cat "$RUN/charon.out" >&2
			tail -n 20 "$LOG" >&2 2>/dev/null || true
			die "charon exited"
		fi
		sleep 0.1
	done
	grep -q "loaded plugins: .*rkmp-kernel-null.*rkmp-keylog" "$LOG" 2>/dev/null ||
	    { cmd_down; die "charon is not up with the test plugins after 20 s (see $LOG)"; }
	cmd_load >/dev/null
	say "charon (pid $pid) answers on $ADDR_PEER:500 in netns $NS_PEER (MOBIKE $O_MOBIKE," \
	    "fragmentation $O_FRAG, fragment size $O_FRAG_SIZE); we are $ADDR_US in $NS_US"
}

cmd_load() {
	sw --load-all --noprompt --file "$SWANCTL" >"$RUN/load.out" 2>&1 ||
	    { cat "$RUN/load.out" >&2; die "swanctl --load-all failed"; }
	cat "$RUN/load.out"
}

cmd_down() {
	local pid i
	if pid=$(charon_pid); then
		kill -TERM "$pid"
		for ((i = 0; i < 50; i++)); do
			charon_pid >/dev/null || break
			sleep 0.1
		done
		if charon_pid >/dev/null; then
			say "charon (pid $pid) still runs after 5 s: KILL"
			kill -KILL "$pid"
		fi
	fi
	rm -f "$PIDFILE"
	netns_del "$NS_PEER" "$NS_US"
}

cmd_initiate() {
	local conn=rkmp-out child=yes t=20 a
	while [ $# -gt 0 ]; do
		case $1 in
		--cert) conn=rkmp-out-cert ;;
		--frag) conn=rkmp-out-frag ;;
		--conn) conn=${2:?--conn NAME}; shift ;;
		--no-child) child= ;;
		--timeout) t=${2:-}; shift ;;
		*) bad "initiate: unknown option $1" ;;
		esac
		shift
	done
	[[ "$t" =~ ^[1-9][0-9]*$ ]] || bad "initiate --timeout: whole seconds, not '$t'"
	charon_pid >/dev/null || die "charon does not run: $0 up first"
	a=(--initiate --ike "$conn")
	if [ -n "$child" ]; then a+=(--child "$conn-child"); fi
	# swanctl --timeout: swanctl stops waiting after t s ("not established after
	# ...ms", exit 1); timeout(1) bounds swanctl itself, should it not come back.
	# No stdin, and not bats's fd 3: a test may run this in the background.
	timeout -k 2 $((t + 5)) env STRONGSWAN_CONF="$CONF" swanctl "${a[@]}" --timeout "$t" \
	    </dev/null 3>&-
}

# retransmits [--received] [MID]
cmd_retransmits() {
	local re='retransmit [0-9]+ of request with message ID' mid='[0-9]+'
	while [ $# -gt 0 ]; do
		case $1 in
		--received) re='received retransmit of request with ID' ;;
		*) [[ "$1" =~ ^[0-9]+$ ]] || bad "retransmits: a message ID, not '$1'"; mid=$1 ;;
		esac
		shift
	done
	[ -f "$LOG" ] || die "no log: $0 up first"
	grep -cE "\] (<[^>]*> )?$re $mid\b" "$LOG" || true
}

# fragments [sent|received] [EXCHANGE]: from charon's "generating|parsed
# EXCHANGE request|response MID [ EF(N/TOTAL) ]", one line per message
cmd_fragments() {
	local dir="" ex=""
	while [ $# -gt 0 ]; do
		case $1 in
		sent|received) dir=$1 ;;
		[A-Z]*) ex=$1 ;;
		*) bad "fragments: sent, received or an exchange (IKE_AUTH), not '$1'" ;;
		esac
		shift
	done
	[ -f "$LOG" ] || die "no log: $0 up first"
	awk -v want_dir="$dir" -v want_ex="$ex" '
	function sa_of(line,    sa) {	# "<rkmp|2>", or "<2>" before a config is chosen: 2
		sa = "-"
		if (match(line, / <([^>]*\|)?[0-9]+> /)) {
			sa = substr(line, RSTART + 2, RLENGTH - 4)
			sub(/^.*\|/, "", sa)
		}
		return sa
	}
	/ (generating|parsed) [A-Z_0-9]+ (request|response) [0-9]+ \[ EF\([0-9]+\/[0-9]+\) \]/ {
		sa = sa_of($0)
		for (i = 1; i <= NF; i++)
			if ($i == "generating" || $i == "parsed")
				break
		d = $i == "generating" ? "sent" : "received"
		ef = $(i + 5)
		gsub(/[^0-9\/]/, "", ef)
		split(ef, f, "/")
		k = d " " $(i + 1) " " $(i + 2) " " $(i + 3) SUBSEP sa
		if (d == "received")
			last[sa] = k
		if ((want_dir != "" && d != want_dir) || (want_ex != "" && $(i + 1) != want_ex))
			next
		if (!(k in total)) {
			order[++n] = k
			total[k] = f[2]
			state[k] = d == "sent" ? "-" : "incomplete"
		}
		if (!((k, f[1]) in seen)) {
			seen[k, f[1]] = 1
			count[k]++
		}
		next
	}
	/ received fragment #[0-9]+ of [0-9]+, reassembled fragmented IKE message/ {
		sa = sa_of($0)
		if ((sa in last) && (last[sa] in state))
			state[last[sa]] = "reassembled"
	}
	END {
		for (j = 1; j <= n; j++) {
			split(order[j], ks, SUBSEP)
			print ks[1], count[order[j]], total[order[j]], ks[2], state[order[j]]
		}
	}' "$LOG"
}

# options before or after the command
cmd=""
O_COOKIE="" O_DPD="" O_MOBIKE=no O_FRAG=yes O_FRAG_SIZE=1280
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cookie-threshold) O_COOKIE=${2:-}; shift 2 || bad "$1 N"
		[[ "$O_COOKIE" =~ ^[0-9]+$ ]] || bad "--cookie-threshold: a count, not '$O_COOKIE'" ;;
	--dpd) O_DPD=${2:-}; shift 2 || bad "$1 SECONDS"
		[[ "$O_DPD" =~ ^[0-9]+$ ]] || bad "--dpd: seconds, not '$O_DPD'" ;;
	--mobike) O_MOBIKE=${2:-}; shift 2 || bad "$1 yes|no"
		[[ "$O_MOBIKE" =~ ^(yes|no)$ ]] || bad "--mobike yes|no, not '$O_MOBIKE'" ;;
	--fragmentation) O_FRAG=${2:-}; shift 2 || bad "$1 yes|accept|force|no"
		[[ "$O_FRAG" =~ ^(yes|accept|force|no)$ ]] ||
		    bad "--fragmentation yes|accept|force|no, not '$O_FRAG'" ;;
	--fragment-size) O_FRAG_SIZE=${2:-}; shift 2 || bad "$1 N"
		[[ "$O_FRAG_SIZE" =~ ^[1-9][0-9]*$ ]] || bad "--fragment-size: octets, not '$O_FRAG_SIZE'" ;;
	*) if [ -z "$cmd" ]; then cmd=$1; else args+=("$1"); fi; shift ;;
	esac
done
[ -n "$cmd" ] || usage 2
set -- "${args[@]}"
case "$cmd" in
-h|--help|help) usage 0 ;;
up) cmd_up ;;
down) cmd_down ;;
status)
	pid=$(charon_pid) || { echo "charon: not running"; exit 1; }
	echo "charon: pid $pid in netns $NS_PEER"
	sw --list-sas ;;
path)
	case "${1:-}" in
	dir) echo "$RUN" ;;
	log) echo "$LOG" ;;
	keylog) echo "$KEYLOG" ;;
	swanctl) echo "$SWANCTL" ;;
	conf.d) echo "$RUN/swanctl/conf.d" ;;
	vici) echo "$VICI" ;;
	ns-peer) echo "$NS_PEER" ;;
	ns-us) echo "$NS_US" ;;
	*) usage 2 ;;
	esac ;;
load) cmd_load ;;
initiate) cmd_initiate "$@" ;;
rekey-child) sw --rekey --child "${1:-rkmp-child}" ;;
rekey-ike) sw --rekey --ike "${1:-rkmp}" ;;
retransmits) cmd_retransmits "$@" ;;
fragments) cmd_fragments "$@" ;;
swanctl) sw "$@" ;;
logs) tail -n "${1:-50}" "$LOG" ;;
*) usage 2 ;;
esac
