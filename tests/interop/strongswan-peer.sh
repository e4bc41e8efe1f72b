#!/usr/bin/env bash
# strongSwan (charon) as an independent IKEv2 responder for the interop suites
# (tests/bats/95-interop-strongswan.bats, 96-interop-rekey-ike.bats), in a network
# namespace of its own; root only.
#
#   netns rkmp-peer                        netns rkmp-us
#   charon, 10.77.0.1 on rkmp-p0  <-veth->  10.77.0.2 on rkmp-u0: the rkmp tools
#
# Nothing leaves the two namespaces (no route out) and nothing under /etc is
# read: charon runs from a strongswan.conf and a swanctl.conf written into
# $RKMP_INTEROP_RUN, with the harness's plugins
# (tests/interop/install-strongswan.sh builds them) preloaded:
# rkmp-kernel-null (CHILD_SAs are negotiated, never installed) and rkmp-keylog
# (every key charon derives, to keys.log, in the format rkmp-decode --keys reads).
#
# Commands:
#   [--cookie-threshold N] [--dpd SECONDS] up
#                     (re)create both namespaces, start charon, load its
#                     connections; --cookie-threshold: half-open IKE SAs before
#                     charon asks for COOKIEs (charon's default 10);
#                     --dpd: liveness check after SECONDS of silence (default none)
#   down              stop charon, delete both namespaces
#   status            whether charon runs; its SAs
#   path NAME         one of: dir log keylog swanctl conf.d vici ns-peer ns-us
#   load              load swanctl.conf again (connections added in conf.d/*.conf,
#                     certificates in x509/, x509ca/, private/ beside it)
#   rekey-child       charon rekeys the CHILD SA rkmp-child
#   rekey-ike         charon rekeys the IKE SA rkmp
#   swanctl ARGS...   swanctl against this charon
#   logs [N]          the last N (50) lines of charon's log
#
# The connection "rkmp": PSK rkmp-interop-psk-0123456789, identities
# fqdn:peer.rkmp.test (charon) and fqdn:us.rkmp.test (us), IKE proposals
# aes128/aes256-sha256-modp2048, aes256gcm16-prfsha256-ecp256 and
# chacha20poly1305-prfsha256-x25519 (in that order of preference), childless
# allowed, no MOBIKE (it would move to port 4500); its child "rkmp-child",
# 10.77.1.1/32 (charon's side) <-> 10.77.2.2/32, the same ciphers with and without
# a PFS group.  Retransmissions: 2 s, x1.4, 3 times (charon gives up on a
# silent peer in about 15 s, not 2 minutes).
#
# Env: RKMP_INTEROP_NAME  NAME-peer and NAME-us are the namespaces (default rkmp;
#                         another name lets two checkouts' suites run at once)
#      RKMP_INTEROP_RUN   charon's files (default /tmp/NAME-interop)
#      RKMP_INTEROP_DIR   where install-strongswan.sh put the plugins
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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

netns_del() {
	local ns
	for ns in "$NS_PEER" "$NS_US"; do
		if [ -e "/run/netns/$ns" ]; then ip netns del "$ns"; fi
	done
}

netns_add() {
	netns_del
	ip netns add "$NS_PEER"
	ip netns add "$NS_US"
	ip link add "$DEV_PEER" netns "$NS_PEER" type veth peer name "$DEV_US" netns "$NS_US"
	ip -n "$NS_PEER" addr add "$ADDR_PEER/24" dev "$DEV_PEER"
	ip -n "$NS_US" addr add "$ADDR_US/24" dev "$DEV_US"
	for ns in "$NS_PEER" "$NS_US"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_PEER" link set "$DEV_PEER" up
	ip -n "$NS_US" link set "$DEV_US" up
}

write_conf() {	# write_conf COOKIE_THRESHOLD DPD
	local d
	rm -rf "$RUN/swanctl" "$LOG" "$KEYLOG" "$VICI"
	# swanctl --load-all reads these credential directories beside swanctl.conf
	for d in conf.d x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss \
	    pkcs8 pkcs12; do
		mkdir -p "$RUN/swanctl/$d"
	done
	cat > "$CONF" <<EOF
# written by tests/interop/strongswan-peer.sh
charon {
	port = 500
	port_nat_t = 4500
	# the kernel-ipsec interface is the first registered: rkmp-kernel-null's;
	# "!": charon does not start without the test plugins
	load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 kdf pem pkcs1 pkcs8 x509 pubkey rkmp-kernel-null! kernel-netlink socket-default vici rkmp-keylog!
	${1:+cookie_threshold = $1}
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
	cat > "$SWANCTL" <<EOF
# written by tests/interop/strongswan-peer.sh
connections {
	rkmp {
		version = 2
		local_addrs = $ADDR_PEER
		proposals = $IKE
		childless = allow
		mobike = no
		dpd_delay = ${2:-0}
		local {
			auth = psk
			id = $ID_PEER
		}
		remote {
			auth = psk
			id = $ID_US
		}
		children {
			rkmp-child {
				local_ts = $TS_PEER
				remote_ts = $TS_US
				esp_proposals = $ESP
			}
		}
	}
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
}

cmd_up() {	# cmd_up COOKIE_THRESHOLD DPD
	local so pid i
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
	so=$("$HERE/install-strongswan.sh" --plugin)
	if [ ! -x /usr/sbin/charon-systemd ] || ! command -v swanctl >/dev/null || [ ! -f "$so" ]; then
		die "strongSwan or the test plugins are missing: run tests/interop/install-strongswan.sh as root"
	fi
	if pid=$(charon_pid); then die "charon already runs (pid $pid): $0 down first"; fi
	mkdir -p "$RUN"
	write_conf "$1" "$2"
	netns_add
	ip netns exec "$NS_PEER" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin STRONGSWAN_CONF="$CONF" \
	    LD_PRELOAD="$so" /usr/sbin/charon-systemd </dev/null >"$RUN/charon.out" 2>&1 &
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
	say "charon (pid $pid) answers on $ADDR_PEER:500 in netns $NS_PEER; we are $ADDR_US in $NS_US"
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
	netns_del
}

# options before or after the command
cmd="" cookie="" dpd=""
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cookie-threshold) cookie=${2:?}; shift 2 ;;
	--dpd) dpd=${2:?}; shift 2 ;;
	*) if [ -z "$cmd" ]; then cmd=$1; else args+=("$1"); fi; shift ;;
	esac
done
[ -n "$cmd" ] || usage 2
set -- "${args[@]}"
case "$cmd" in
-h|--help|help) usage 0 ;;
up) cmd_up "$cookie" "$dpd" ;;
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
rekey-child) sw --rekey --child rkmp-child ;;
rekey-ike) sw --rekey --ike rkmp ;;
swanctl) sw "$@" ;;
logs) tail -n "${1:-50}" "$LOG" ;;
*) usage 2 ;;
esac
