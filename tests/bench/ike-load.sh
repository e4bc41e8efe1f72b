#!/usr/bin/env bash
# make bench, part 3: rkmpd as an IKEv2 responder under strongSwan's own
# load-tester, side by side with charon as the responder under the same load
# in the same run; and rkmpd's memory per established and per half-open SA.
# Root only (network namespaces); skips with a message when it cannot run.
#   tests/bench/ike-load.sh [BINDIR]
#   env: BENCH_IKE_SAS      IKE SAs per round, 10..900 (default 800)
#        BENCH_IKE_ROUNDS   rounds, each rkmpd then charon (default 3)
#        BENCH_IKE_FLOOD    IKE_SA_INITs of each flood, 1..10000 (default 1000)
#        BENCH_IKE_STATE    the parent of rkmpd's state_dir (default /dev/shm
#                           when there is one, else bench-out; the figures say
#                           on which file system)
#   for looking closer: BENCH_IKE_PERF=1 (perf record of rkmpd in the rounds,
#   bench-out/ike-load/perf-rkmpd.data) or =strace (its system calls, counted);
#   BENCH_IKE_VERBOSE=1 (rkmpd -v), BENCH_IKE_LOG=N (charon's log level),
#   BENCH_IKE_KEEP=1 (keep /tmp/rkmpbench: the configurations and logs)
#
# The load: strongSwan 5.9's load-tester plugin in a charon of its own (the
# initiator), in netns rkmpbench-load, started with "load-tester initiate N"
# (strongSwan's client of the plugin: all N initiated at once, on charon's 16
# threads), IKEv2, PSK, aes256gcm16-prfsha256-x25519 (a fresh X25519 key per
# SA), a CHILD SA (ESP aes256gcm16) in IKE_AUTH, each IKE SA from a source port
# of its own (load-tester dynamic_port, through strongSwan's socket-dynamic
# plugin, whose select() limits N to 900) to the responder's port 4500.
# Debian builds neither plugin, so they are compiled here from Debian's source
# package of the installed strongSwan against the headers that
# tests/interop/install-strongswan.sh prepared, into build/bench-strongswan
# (once; nothing of strongSwan is copied into the project).
# The responders, one after the other in each round, each started fresh:
#   rkmpd in netns rkmpbench-d (10.79.1.2), one ikev2-profile peer per source
#     port (rkmpd keeps one SA per configured peer and matches a new
#     IKE_SA_INIT by address and port, rkmpd(8)); cookie_threshold above N;
#   charon-systemd in netns rkmpbench-c (10.79.2.2), one swanctl connection
#     for any initiator, DoS protection off (cookie_threshold,
#     cookie_threshold_ip and block_threshold above N) and ikesa_table_size
#     4096, as strongSwan's load-test notes advise; CHILD SAs negotiated, not
#     installed (the harness's rkmp-kernel-null), as rkmpd installs none either.
# Figures (medians over the rounds; bench-out/ike-load/rounds has each):
#   SAs/s          established SAs (the load-tester's own "+" count) over the
#                  wall time from the request to its last answer
#   CPU ms per SA  the responder's utime + stime (/proc) over the SAs: its own
#                  cost, whatever else runs (on two shared cores the
#                  load-tester's charon needs about as much CPU as the
#                  responder, so the wall rate is bounded by it too)
#   RSS KiB per SA the responder's RSS with the SAs up minus before, over N;
#                  for rkmpd also its RSS per configured peer before any SA
#                  (RSS with N peers minus with 1, over N - 1), since each SA
#                  needs a peer of its own
# Then half-open SAs, with tests/bench/ike_flood.c (rkmp-ike-flood): FLOOD
# IKE_SA_INIT requests without IKE_AUTH from the configured peers' ports:
# (a) cookie_threshold above FLOOD: RSS growth per half-open SA (charon too);
# (b) from an address no peer has: ignored, no growth;
# (c) cookie_threshold 64 (rkmpd's default): at most 64 half-open, the rest
#     asked for a COOKIE; then 20 load-tester peers must still get through.
# Each namespace's UDP counters after each load (receive buffer drops show as
# RcvbufErrors) go to bench-out/ike-load/udp.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/bin}
bin=$(cd "$bin" && pwd)
N=${BENCH_IKE_SAS:-800}
ROUNDS=${BENCH_IKE_ROUNDS:-3}
FLOOD=${BENCH_IKE_FLOOD:-1000}
out=$PWD/bench-out/ike-load
tools=$PWD/build/bench-strongswan
DIR=${RKMP_INTEROP_DIR:-/var/cache/rkmp-interop}
HDR=$DIR/headers
NS_L=rkmpbench-load NS_D=rkmpbench-d NS_C=rkmpbench-c
L_D=10.79.1.1 D=10.79.1.2 L_C=10.79.2.1 C=10.79.2.2 STRANGER=10.79.1.3
PORT0=20000	# the load-tester's first source port (dynamic_port)
PSK=rkmp-bench-psk-0123456789
IKE=aes256gcm16-prfsha256-x25519 ESP=aes256gcm16
RUN=/tmp/rkmpbench	# short: the load-tester client has its socket path built in

say() { echo "bench: $*" >&2; }
skip() { say "ike-load skipped: $*"; exit 0; }
die() { say "ike-load: ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, charon)"
command -v ip >/dev/null || skip "needs iproute2"
tests/interop/install-strongswan.sh --check >/dev/null 2>&1 ||
    skip "strongSwan or its headers are missing: run tests/interop/install-strongswan.sh as root"
[ -f "$HDR/BUILT_FOR" ] || skip "no strongSwan headers in $HDR (tests/interop/install-strongswan.sh)"
for b in rkmpd rkmp-init rkmp-ike-flood; do
	[ -x "$bin/$b" ] || die "$bin/$b is not built (make bench builds it)"
done
if ! [[ "$N" =~ ^[0-9]+$ ]] || [ "$N" -lt 10 ] || [ "$N" -gt 900 ]; then
	die "BENCH_IKE_SAS=$N: 10..900 (socket-dynamic's select() takes fds below 1024)"
fi
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_IKE_ROUNDS=$ROUNDS: a count from 1"
if ! [[ "$FLOOD" =~ ^[0-9]+$ ]] || [ "$FLOOD" -lt 1 ] || [ "$FLOOD" -gt 10000 ]; then
	die "BENCH_IKE_FLOOD=$FLOOD: 1..10000"
fi
mkdir -p "$out" "$RUN"

# ------------------------------------------------------------------ tools
# strongSwan's load-tester plugin and client and its socket-dynamic plugin,
# from the Debian source package the headers came from (BUILT_FOR: source=)
dsc=$(sed -n 's/^source=//p' "$HDR/BUILT_FOR")
want="$dsc recipe 1"	# the recipe's number: one more when build_tools changes
build_tools() {
	local src=$tools/src apt=$DIR/apt ver cc
	ver=${dsc#strongswan_}
	ver=${ver%.dsc}
	rm -rf "$src" && mkdir -p "$src"
	say "fetching strongSwan's source package ($dsc) for its load-tester plugin"
	(cd "$src" && apt-get -o Dir::Etc::SourceList=/dev/null \
	    -o Dir::Etc::SourceParts="$apt/sources.list.d" -o Dir::State::Lists="$apt/lists" \
	    -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root \
	    source --download-only -qq "strongswan=$ver") >"$tools/fetch.log" 2>&1 || return 1
	(cd "$src" && dpkg-source -x "$dsc" sw) >>"$tools/fetch.log" 2>&1 || return 1
	cc=(gcc -O2 -w -include "$HDR/config.h" -I"$HDR/libstrongswan" -I"$HDR/libcharon")
	"${cc[@]}" -shared -fPIC -DIPSEC_PIDDIR="\"$RUN\"" -o "$tools/load-tester.so" \
	    "$src"/sw/src/libcharon/plugins/load_tester/load_tester_*.c || return 1
	"${cc[@]}" -shared -fPIC -o "$tools/socket-dynamic.so" \
	    "$src"/sw/src/libcharon/plugins/socket_dynamic/socket_dynamic_*.c || return 1
	"${cc[@]}" -DIPSEC_PIDDIR="\"$RUN\"" -I"$src/sw/src/libcharon/plugins/load_tester" \
	    -o "$tools/load-tester" "$src/sw/src/libcharon/plugins/load_tester/load_tester.c" || return 1
	rm -rf "$src"
	echo "$want" > "$tools/stamp"
}
mkdir -p "$tools"
if [ "$(cat "$tools/stamp" 2>/dev/null)" != "$want" ]; then
	build_tools || { tail -n 5 "$tools/fetch.log" >&2 2>/dev/null || true
		skip "could not fetch or build strongSwan's load-tester (above; $tools/fetch.log)"; }
fi
PLUGINS=$("tests/interop/install-strongswan.sh" --plugin)

# ------------------------------------------------------------------ namespaces
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for p in $NS_L $NS_D $NS_C; do [ -e "/run/netns/$p" ] && ip netns del "$p"; done
	[ -n "${BENCH_IKE_KEEP:-}" ] || rm -rf "$RUN" "${state_root:-/nonexistent}"
}
trap cleanup EXIT
for p in $NS_L $NS_D $NS_C; do [ -e "/run/netns/$p" ] && ip netns del "$p"; ip netns add "$p"; done
ip link add rkb-ld netns $NS_L type veth peer name rkb-d netns $NS_D
ip link add rkb-lc netns $NS_L type veth peer name rkb-c netns $NS_C
ip -n $NS_L addr add $L_D/24 dev rkb-ld
ip -n $NS_L addr add $STRANGER/24 dev rkb-ld
ip -n $NS_L addr add $L_C/24 dev rkb-lc
ip -n $NS_D addr add $D/24 dev rkb-d
ip -n $NS_C addr add $C/24 dev rkb-c
for p in $NS_L $NS_D $NS_C; do ip -n "$p" link set lo up; done
ip -n $NS_L link set rkb-ld up; ip -n $NS_L link set rkb-lc up
ip -n $NS_D link set rkb-d up; ip -n $NS_C link set rkb-c up

# wait_for WHAT SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_for() {
	local what=$1 t=$2 i
	shift 2
	for ((i = 0; i < t * 10; i++)); do "$@" && return 0; sleep 0.1; done
	die "$what: not after $t s"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }	# utime + stime
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

# ------------------------------------------------------------------ charons
# charon_conf DIR ROLE [COOKIE_THRESHOLD]: strongswan.conf of a charon; ROLE
# load (the load-tester) or resp (the responder)
charon_conf() {
	local dir=$1 load
	if [ "$2" = load ]; then
		load="random nonce openssl aes sha1 sha2 hmac gcm curve25519 kdf load-tester! kernel-netlink socket-dynamic!"
	else
		load="random nonce openssl aes sha1 sha2 hmac gcm curve25519 kdf rkmp-kernel-null! kernel-netlink socket-default vici"
	fi
	cat <<EOF
charon {
	load = $load
	reuse_ikesa = no
	ikesa_table_size = 4096
	ikesa_table_segments = 16
	cookie_threshold = ${3:-1000000}
	cookie_threshold_ip = ${3:-1000000}
	block_threshold = 1000000
	init_limit_half_open = 0
	install_routes = no
	install_virtual_ip = no
	retransmit_timeout = 2
	retransmit_tries = 3
	filelog {
		charon {
			path = $dir/charon.log
			default = ${BENCH_IKE_LOG:-0}
			dmn = 1
			lib = 1
			flush_line = yes
			time_format = %s
		}
	}
	syslog { daemon { default = -1 } auth { default = -1 } }
	journal { default = -1 }
	plugins {
		vici { socket = unix://$dir/vici }
		socket-dynamic { }
		load-tester {
			enable = yes
			initiators = 0
			fake_kernel = yes
			proposal = $IKE
			esp = $ESP
			initiator_auth = psk
			responder_auth = psk
			preshared_key = $PSK
			initiator_id = lt%d.rkmp.test
			responder_id = resp.rkmp.test
			initiator = ${LOAD_FROM:-$L_D}
			responder = ${LOAD_TO:-$D}
			dynamic_port = $PORT0
			socket = unix://$RUN/charon.ldt
		}
	}
}
swanctl { socket = unix://$dir/vici }
EOF
}

# charon_start NS DIR ROLE [COOKIE_THRESHOLD]: its pid in $started once it is up
charon_start() {
	local ns=$1 dir=$2 pre pid
	rm -rf "$dir" && mkdir -p "$dir"
	charon_conf "$dir" "$3" "${4:-}" > "$dir/strongswan.conf"
	pre=$PLUGINS
	[ "$3" = load ] && pre="$tools/load-tester.so:$tools/socket-dynamic.so"
	ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin STRONGSWAN_CONF="$dir/strongswan.conf" \
	    LD_PRELOAD="$pre" /usr/sbin/charon-systemd </dev/null >"$dir/charon.out" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_for "charon ($3) in $ns" 20 grep -qs "loaded plugins: " "$dir/charon.log"
	if [ "$3" = load ]; then
		wait_for "the load-tester socket" 20 test -S "$RUN/charon.ldt"
	else
		cat > "$dir/swanctl.conf" <<EOF
connections {
	bench {
		local_addrs = $C
		proposals = $IKE
		local { auth = psk
			id = resp.rkmp.test }
		remote { auth = psk }
		children { bench { esp_proposals = $ESP } }
	}
}
secrets { ike { secret = "$PSK" } }
EOF
		wait_for "charon's vici socket" 20 test -S "$dir/vici"
		STRONGSWAN_CONF="$dir/strongswan.conf" swanctl --load-all --noprompt \
		    --file "$dir/swanctl.conf" >"$dir/load.out" 2>&1 ||
		    { cat "$dir/load.out" >&2; die "swanctl --load-all"; }
	fi
	started=$pid
}

stop() {	# stop pid $1 (ours) and wait for it
	local p keep=()
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}

# ------------------------------------------------------------------ rkmpd
state_root=$(mktemp -d -p "${BENCH_IKE_STATE:-$([ -d /dev/shm ] && echo /dev/shm || echo "$out")}" rkmpbench.XXXXXX)
state_fs=$(df --output=fstype "$state_root" | tail -n 1)
printf '%s' "$PSK" > "$RUN/k.psk"
chmod 600 "$RUN/k.psk"

# rkmpd_conf N COOKIE_THRESHOLD: one ikev2 peer per load-tester source port
rkmpd_conf() {
	local i
	printf '{"format": "rkmpd-config", "version": 1, "listen": ["%s:500"],\n' "$D"
	printf ' "state_dir": "%s/state", "control": "%s/rkmpd.sock", "cookie_threshold": %s,\n' \
	    "$state_root" "$RUN" "$2"
	printf ' "peers": [\n'
	for ((i = 0; i < $1; i++)); do
		printf '  {"name": "lt%d", "address": "%s", "port": %d, "profile": "ikev2", "id": "fqdn:resp.rkmp.test", "psk_file": "%s/k.psk", "proposal": "%s", "child_proposal": "%s"}%s\n' \
		    "$((i + 1))" "$L_D" "$((PORT0 + i))" "$RUN" "$IKE" "$ESP" "$([ $((i + 1)) -lt "$1" ] && echo ,)"
	done
	printf ']}\n'
}

# rkmpd_start PEERS COOKIE_THRESHOLD: its pid in $started once it listens
rkmpd_start() {
	local pid
	rm -rf "$state_root/state" && mkdir -p "$state_root/state"
	rkmpd_conf "$1" "$2" > "$RUN/rkmpd.json"
	rkmpd_n=$((${rkmpd_n:-0} + 1))	# each start its own log: rkmpd-1.log, ...
	ip netns exec $NS_D "$bin/rkmpd" -f ${BENCH_IKE_VERBOSE:+-v} -c "$RUN/rkmpd.json" </dev/null \
	    2>"$RUN/rkmpd-$rkmpd_n.log" &
	pid=$!
	pids+=("$pid")
	wait_for "rkmpd" 20 grep -q "^rkmpd: running: " "$RUN/rkmpd-$rkmpd_n.log"
	started=$pid
}

# ------------------------------------------------------------------ one load
# load_run RESPONDER_PID TARGET: N initiations; sets est, failed, secs, cpu (s),
# rss0 and rss1 (the responder's RSS in KiB before, and after with the SAs up)
load_run() {
	local rpid=$1 lpid c0 c1 l0 l1 t0 t1 res
	LOAD_TO=$2 LOAD_FROM=$([ "$2" = "$D" ] && echo "$L_D" || echo "$L_C")
	charon_start $NS_L "$RUN/load" load
	lpid=$started
	rss0=$(rss_kib "$rpid")
	perf_pid=
	if [ -n "${BENCH_IKE_PERF:-}" ] && [ "$2" = "$D" ]; then	# where rkmpd's time goes
		if [ "$BENCH_IKE_PERF" = strace ]; then
			strace -c -f -o "$out/strace-rkmpd.txt" -p "$rpid" 2>/dev/null &
		else
			perf record -q -g -o "$out/perf-rkmpd.data" -p "$rpid" 2>/dev/null &
		fi
		perf_pid=$!
		sleep 0.5
	fi
	c0=$(cpu_ticks "$rpid")
	l0=$(cpu_ticks "$lpid")
	t0=$EPOCHREALTIME
	res=$(ip netns exec $NS_L timeout 300 "$tools/load-tester" initiate "$N" || true)
	t1=$EPOCHREALTIME
	c1=$(cpu_ticks "$rpid")
	l1=$(cpu_ticks "$lpid")
	rss1=$(rss_kib "$rpid")
	if [ -n "${perf_pid:-}" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		perf_pid=
	fi
	for ns in $NS_L $NS_D $NS_C; do echo "$ns $(ip netns exec "$ns" awk '/^Udp:/' /proc/net/snmp | tail -n 1)"; done >> "$out/udp.txt"
	stop "$lpid"
	printf '%s\n' "$res" > "$out/load-$2.txt"	# ". initiated, + established, - failed, * retransmit"
	retx=$(printf '%s' "$res" | tr -cd '*' | wc -c)
	est=$(printf '%s' "$res" | tr -cd + | wc -c)
	failed=$(printf '%s' "$res" | tr -cd -- - | wc -c)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
	lcpu=$(awk -v a="$l0" -v b="$l1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
}

# ------------------------------------------------------------------ 1. rate
rm -f "$out/rounds" "$out/udp.txt"
say "ike-load: $ROUNDS rounds of $N IKE SAs, each rkmpd then charon (rkmpd's state on $state_fs)"
for ((r = 1; r <= ROUNDS; r++)); do
	rkmpd_start "$N" 1000000
	dpid=$started
	load_run "$dpid" "$D"
	stop "$dpid"
	echo "rkmpd $r $est $failed $secs $cpu $rss0 $rss1 $retx $lcpu" >> "$out/rounds"
	say "round $r rkmpd:  $est established, $failed failed in $secs s ($retx retransmissions);" \
	    "CPU s: $cpu rkmpd, $lcpu load-tester; RSS $rss0 -> $rss1 KiB"
	charon_start $NS_C "$RUN/resp" resp
	cpid=$started
	load_run "$cpid" "$C"
	stop "$cpid"
	echo "charon $r $est $failed $secs $cpu $rss0 $rss1 $retx $lcpu" >> "$out/rounds"
	say "round $r charon: $est established, $failed failed in $secs s ($retx retransmissions);" \
	    "CPU s: $cpu charon, $lcpu load-tester; RSS $rss0 -> $rss1 KiB"
done
# rkmpd with one peer: what each configured peer costs before any SA
rkmpd_start 1 1000000
rss_one=$(rss_kib "$started")
stop "$started"

# ------------------------------------------------------------------ 2. half-open SAs
# half-open SAs: rkmpd's peers in phase init-done, charon's "half-open" count
half_open() {
	if [ "$1" = "$D" ]; then
		"$bin/rkmpctl" -s "$RUN/rkmpd.sock" --json status |
		    jq '[.peers[] | select(.phase == "init-done")] | length'
	else
		STRONGSWAN_CONF="$RUN/resp/strongswan.conf" swanctl --stats |
		    sed -nE 's/^IKE_SAs: [0-9]+ total, ([0-9]+) half-open.*/\1/p'
	fi
}
# flood_run TARGET_ADDR FROM PORT COUNT PID: sets flood (the tool's line), frss0,
# frss1 and fhalf (half-open SAs), once the responder's count stopped growing
flood_run() {
	local was=-1 i
	frss0=$(rss_kib "$5")
	flood=$(ip netns exec $NS_L "$bin/rkmp-ike-flood" "$RUN/init.bin" "$2" "$3" "$1" 4500 "$4")
	for ((i = 0; i < 100; i++)); do
		fhalf=$(half_open "$1")
		[ "$fhalf" = "$was" ] && break
		was=$fhalf
		sleep 0.3
	done
	frss1=$(rss_kib "$5")
}
rm -f "$RUN/flood.json"
"$bin/rkmp-init" -q -s "$RUN/flood.json" --profile ikev2 --id fqdn:flood.rkmp.test \
    --proposal "$IKE" -o "$RUN/init.bin"
LEGIT=20
# (a) no COOKIEs: every request from a configured peer's port leaves a half-open SA
rkmpd_start "$((FLOOD + LEGIT))" 1000000
dpid=$started
flood_run "$D" "$L_D" "$((PORT0 + LEGIT))" "$FLOOD" "$dpid"
flood_a=$flood fa0=$frss0 fa1=$frss1 ha=$fhalf
# (b) from an address no peer has: ignored
flood_run "$D" "$STRANGER" "$PORT0" "$FLOOD" "$dpid"
flood_b=$flood fb0=$frss0 fb1=$frss1
stop "$dpid"
# (c) cookie_threshold at rkmpd's default: the half-open SAs stop at it, the rest
#     is asked for a COOKIE; then LEGIT load-tester peers must still get through
rkmpd_start "$((FLOOD + LEGIT))" 64
dpid=$started
flood_run "$D" "$L_D" "$((PORT0 + LEGIT))" "$FLOOD" "$dpid"
flood_c=$flood fc0=$frss0 fc1=$frss1 hc=$fhalf
N=$LEGIT load_run "$dpid" "$D"
legit_est=$est legit_secs=$secs
half=$(half_open "$D")
stop "$dpid"
# charon, the same flood with its DoS protection off
charon_start $NS_C "$RUN/resp" resp
cpid=$started
flood_run "$C" "$L_C" "$((PORT0 + LEGIT))" "$FLOOD" "$cpid"
flood_s=$flood fs0=$frss0 fs1=$frss1 hs=$fhalf
stop "$cpid"

# ------------------------------------------------------------------ figures
# the median over the rounds of a column (awk: sort, middle)
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# col WHO WHAT: one figure per round of rkmpd's or charon's lines of rounds
# (NAME ROUND EST FAILED SECS CPU RSS0 RSS1 RETRANSMITS LOAD_CPU)
col() {
	awk -v who="$1" -v what="$2" '$1 == who {
		if (what == "rate") printf "%.0f\n", $3 / $5
		if (what == "cpu") printf "%.3f\n", $6 * 1000 / $3
		if (what == "kib") printf "%.2f\n", ($8 - $7) / $3
		if (what == "rss0") print $7
		if (what == "rss1") print $8
		if (what == "load") printf "%.3f\n", $10 * 1000 / $3
	}' "$out/rounds"
}
pair() { paste -d ' ' <(awk '$1 == "rkmpd"' "$out/rounds") <(awk '$1 == "charon"' "$out/rounds"); }
d_rate=$(col rkmpd rate | med)
c_rate=$(col charon rate | med)
rate_ratio=$(pair | awk '{ printf "%.2f\n", ($3 / $5) / ($13 / $15) }' | med)
d_cpu=$(col rkmpd cpu | med)
c_cpu=$(col charon cpu | med)
cpu_ratio=$(pair | awk '{ printf "%.2f\n", ($16 / $13) / ($6 / $3) }' | med)
d_kib=$(col rkmpd kib | med)
c_kib=$(col charon kib | med)
d_rss0=$(col rkmpd rss0 | med)
d_rss1=$(col rkmpd rss1 | med)
d_load=$(col rkmpd load | med)
c_load=$(col charon load | med)
d_total=$(awk -v a="$d_rss1" -v b="$rss_one" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }')
per_peer=$(awk -v a="$d_rss0" -v b="$rss_one" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / (n - 1) }')
failed_all=$(awk '{ f += $4 } END { print f + 0 }' "$out/rounds")
drops() { awk -v ns="$1" '$1 == ns { n = $7 } END { print n + 0 }' "$out/udp.txt"; }
per_half() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / n; else print "nan" }'; }
{
	echo "rkmpd under strongSwan's load-tester  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores"
	echo "load: $N IKE SAs a round, all initiated at once (load-tester initiate $N), $ROUNDS rounds;"
	echo "  IKEv2, PSK, $IKE, ESP $ESP; strongSwan $(sed -n 's/^installed=//p' "$HDR/BUILT_FOR")"
	echo "  rkmpd's state files on $state_fs; figures are medians over the rounds"
	printf '%-8s %10s %15s %16s %26s\n' responder "SAs/s" "CPU ms per SA" "RSS KiB per SA" \
	    "load-tester CPU ms per SA"
	printf '%-8s %10s %15s %16s %26s\n' rkmpd "$d_rate" "$d_cpu" "$d_kib" "$d_load"
	printf '%-8s %10s %15s %16s %26s\n' charon "$c_rate" "$c_cpu" "$c_kib" "$c_load"
	echo "rkmpd/charon: ${rate_ratio}x the SAs per second (target >= 2x), ${cpu_ratio}x the SAs per CPU second"
	echo "failed SAs (load-tester '-'), all rounds: $failed_all; datagrams dropped for a full receive" \
	    "buffer (RcvbufErrors) in the loads: rkmpd $(drops $NS_D), charon $(drops $NS_C)," \
	    "load-tester $(drops $NS_L)"
	echo "rkmpd RSS: $rss_one KiB with 1 peer, $d_rss0 KiB with $N (${per_peer} KiB per configured peer, before any SA);"
	echo "  $d_rss1 KiB with the $N SAs up: ${d_total} KiB per SA, its peer included"
	echo "half-open, $FLOOD IKE_SA_INITs without IKE_AUTH (cookie_threshold above that):"
	echo "  rkmpd:  $flood_a;"
	echo "          $ha half-open, RSS $fa0 -> $fa1 KiB: $(per_half "$fa0" "$fa1" "$ha") KiB per half-open SA"
	echo "  charon: $flood_s;"
	echo "          $hs half-open, RSS $fs0 -> $fs1 KiB: $(per_half "$fs0" "$fs1" "$hs") KiB per half-open SA"
	echo "  rkmpd, from $STRANGER (no configured peer): $flood_b; RSS $fb0 -> $fb1 KiB"
	echo "rkmpd at cookie_threshold 64: $flood_c;"
	echo "  $hc half-open, RSS $fc0 -> $fc1 KiB ($(per_half "$fc0" "$fc1" "$FLOOD") KiB per request);"
	echo "  then $legit_est of $LEGIT load-tester peers established in $legit_secs s ($half half-open after them)"
} | tee "$out/ike-load.txt"
