#!/usr/bin/env bats
# NAT detection over a real NAT (RFC 7296 §2.23): our initiator sends
# NAT_DETECTION_SOURCE_IP/DESTINATION_IP in RKMP_SA_INIT; when the answer shows a
# NAT between us, the state says "nat": true and, in the ikev2 profile, the next
# steps go to the peer's port 4500 (with the non-ESP marker: neither port is
# 500); our responder (rkmp-init --respond --through auth) listens on 500 and
# 4500 and records the NAT too.
#
#   netns NAME-nat-i                               netns NAME-nat-r
#   10.79.0.2/24 on nat-i  <-------- veth -------->  10.79.0.1/24 on nat-r
#   the initiator; iptables-nft POSTROUTING:          our responder, 500 and 4500;
#   UDP from 10.79.0.2 SNAT to 10.79.0.3:40000-40100  10.79.0.3 a permanent
#                                                     neighbour: nat-i's MAC
#
# The NAT lives in the initiator's own namespace (its POSTROUTING is the last
# hop before the wire), so the responder sees every datagram come from
# 10.79.0.3:400xx.  10.79.0.3 is nobody's address: the responder, to which it is
# on-link (10.79.0.0/24), would ARP for it and get no answer, and its replies
# would never leave (a /32 route via nat-r alone changes nothing: still on-link,
# still ARP, the entry stays INCOMPLETE).  A permanent neighbour entry on the
# responder's side sends them to nat-i's MAC instead; there conntrack's reply
# tuple matches and nf_nat undoes the SNAT in PREROUTING, before routing, so the
# datagram is delivered to 10.79.0.2 on the initiator's port, as behind a real
# NAT.  (10.79.0.3 as a secondary address of nat-i would answer the ARP too,
# but would make it an address of the initiator's host, which a NAT's outside
# address is not.)  rkmp-decode -i on nat-r shows the datagrams as they cross.
#
# Root only (the NAT tests skip without it; the usage error runs anywhere).
# Env: RKMP_NAT_NAME  NAME-nat-i and NAME-nat-r are the namespaces (default rkmp;
#                     another name lets two checkouts' suites run at once)
# shellcheck disable=SC2154	# stderr_lines: set by bats's run

load helpers
source "$TOP/tests/netns.bash"

NAT_NAME=${RKMP_NAT_NAME:-rkmp}
NS_I=$NAT_NAME-nat-i
NS_R=$NAT_NAME-nat-r

setup_file() {
	# one lab at a time: every test of this file uses the same two namespaces
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

setup() {
	W=$BATS_TEST_TMPDIR
	printf 'rkmp-nat-psk-0123456789\n' > "$W/k"
	chmod 600 "$W/k"
}

teardown() {
	local pid
	for pid in "${RPID:-}" "${CPID:-}"; do
		if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	done
	# only when nat_lab did not skip: the namespaces may be another run's
	[ -z "${NAT_USED:-}" ] && return 0
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		echo "# responder:"; cat "$W/r.err" 2>/dev/null || true
		echo "# on the wire (nat-r):"; grep -E '^[0-9]|^  header: ' "$W/cap.txt" 2>/dev/null || true
		echo "# the SNAT rule in $NS_I:"
		ip netns exec "$NS_I" iptables -t nat -L POSTROUTING -n -v 2>/dev/null || true
	fi
	nat_down
}

nat_down() {
	netns_del "$NS_I" "$NS_R"
}

# nat_lab [--no-snat]: (re)create both namespaces and the veth pair, the SNAT
# rule (not with --no-snat) and the responder's neighbour entry for 10.79.0.3
nat_lab() {
	local snat=${1:-} missing="" f mac
	[ "$(id -u)" = 0 ] || skip "the NAT lab needs root (network namespaces, iptables)"
	for f in ip iptables jq; do
		command -v "$f" >/dev/null || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		[ "${RKMP_TEST_STRICT:-0}" = 1 ] && fail "the NAT lab (RKMP_TEST_STRICT=1): missing$missing"
		skip "the NAT lab: missing$missing (apt-get install iproute2 iptables jq)"
	fi
	NAT_USED=1
	netns_pair "$NS_I" nat-i 10.79.0.2/24 "$NS_R" nat-r 10.79.0.1/24
	if [ "$snat" != --no-snat ] &&
	    ! ip netns exec "$NS_I" iptables -t nat -A POSTROUTING -s 10.79.0.2 -p udp \
	    -j SNAT --to-source 10.79.0.3:40000-40100 2>"$W/iptables.err"; then
		[ "${RKMP_TEST_STRICT:-0}" = 1 ] && fail "iptables -t nat in a namespace: $(cat "$W/iptables.err")"
		skip "iptables -t nat does not work in a network namespace here: $(head -n 1 "$W/iptables.err")"
	fi
	# the way back to 10.79.0.3 (see the top of this file)
	mac=$(ip -n "$NS_I" -j link show nat-i | jq -r '.[0].address')
	ip -n "$NS_R" neigh replace 10.79.0.3 lladdr "$mac" dev nat-r nud permanent
}

in_i() { ip netns exec "$NS_I" "$@"; }
in_r() { ip netns exec "$NS_R" "$@"; }

a() { jq -r "$1" "$W/a.json"; }
b() { jq -r "$1" "$W/b.json"; }

# capture N: rkmp-decode -v on nat-r in the background (CPID) until N IKE
# messages crossed, into $W/cap.txt; back once it listens
capture() {
	local i
	in_r "$RKMP_BIN/rkmp-decode" -v -c "$1" -i nat-r >"$W/cap.txt" 2>"$W/cap.err" &
	CPID=$!
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$W/cap.err" && return 0
		kill -0 "$CPID" 2>/dev/null || fail "rkmp-decode -i nat-r: $(cat "$W/cap.err")"
		sleep 0.1
	done
	fail "rkmp-decode -i nat-r does not listen after 5 s: $(cat "$W/cap.err")"
}

# captured: wait for the capture (5 s at most), then its one-line summaries
# (the messages) and header lines (the marker) are in $W/cap.txt
captured() {
	local i rc=0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$CPID" 2>/dev/null || true
	wait "$CPID" || rc=$?
	CPID=
	[ "$rc" = 0 ] || fail "rkmp-decode -i nat-r: exit $rc: $(cat "$W/cap.err")"
}

# responder: our rkmp-init --respond --through auth in the responder's namespace
# in the background (RPID), stderr in $W/r.err; back once it listens
responder() {
	local i
	in_r "$RKMP_BIN/rkmp-init" -s "$W/b.json" --respond --through auth --listen 10.79.0.1 --profile ikev2 \
	    --id fqdn:r.example --psk-file "$W/k" --wait 20 2>"$W/r.err" &
	RPID=$!
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$W/r.err" && return 0
		kill -0 "$RPID" 2>/dev/null || wait_responder
		sleep 0.1
	done
	fail "our responder does not listen after 5 s: $(cat "$W/r.err")"
}

wait_responder() {	# our responder must end well
	local rc=0
	wait "$RPID" || rc=$?
	RPID=
	[ "$rc" = 0 ] || fail "our responder: exit $rc: $(cat "$W/r.err")"
}

# initiate [AUTH PEER]: our rkmp-init, then rkmp-auth (--peer PEER, default
# 10.79.0.1) in the initiator's namespace; INIT's stderr in $W/init.err, AUTH's
# in $W/auth.err; then our responder must end well
initiate() {
	local rc=0
	in_i "$RKMP_BIN/rkmp-init" -s "$W/a.json" --profile ikev2 --id fqdn:i.example --peer 10.79.0.1 \
	    --retransmit 1,1.5,3 2>"$W/init.err" || rc=$?
	[ "$rc" = 0 ] || fail "rkmp-init: exit $rc: $(cat "$W/init.err")"
	in_i "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k" --peer "${1:-10.79.0.1}" \
	    --retransmit 1,1.5,3 2>"$W/auth.err" || rc=$?
	[ "$rc" = 0 ] || fail "rkmp-auth: exit $rc: $(cat "$W/auth.err")"
	wait_responder
}

# the NAT is real: the responder saw us as 10.79.0.3 from a port of the SNAT range
behind_the_nat() {
	local port
	assert_equal "$(b .peer.addr)" 10.79.0.3
	port=$(b .peer.port)
	if [ "$port" -lt 40000 ] || [ "$port" -gt 40100 ]; then
		fail "the responder saw port $port, not one of the SNAT range 40000..40100"
	fi
	grep -qE "^rkmp-init: 10\.79\.0\.3:4[0-9]{4}: RKMP_SA_INIT answered: " "$W/r.err" ||
	    fail "the RKMP_SA_INIT request did not come from 10.79.0.3: $(cat "$W/r.err")"
}

both_established() {
	assert_equal "$(a .phase)" established
	assert_equal "$(b .phase)" established
	assert_equal "$(a .secrets.sk_d)" "$(b .secrets.sk_d)"
	[ "$(a .secrets.sk_d)" != null ] || fail "no SK_d in a.json"
	assert_equal "$(a .ike_sa.spi_r)" "$(b .ike_sa.spi_r)"
}

# on_wire EXCHANGE request|response FROM TO marker|no-marker: the capture holds
# that message between FROM and TO (addr.port, a regex), with or without the
# non-ESP marker before its IKE header
on_wire() {
	local kind=initiator line header
	[ "$2" = response ] && kind=responder
	line=$(grep -m 1 -nE "^[0-9:.]+ $3 > $4: $1 $kind $2 " "$W/cap.txt") ||
	    fail "no $1 $2 $3 > $4 on nat-r: $(grep -v '^ ' "$W/cap.txt")"
	# its header line is the first after it
	header=$(tail -n "+${line%%:*}" "$W/cap.txt" | grep -m 1 '^  header: ')
	if [ "$5" = marker ]; then
		[[ "$header" == *" (after non-ESP marker)" ]] || fail "$1 $2 without the non-ESP marker: $header"
	else
		[[ "$header" != *"non-ESP marker"* ]] || fail "$1 $2 with a non-ESP marker: $header"
	fi
}

@test "behind a NAT the initiator floats to 4500: both see the NAT, RKMP_SA_AUTH goes 10.79.0.3 -> 10.79.0.1:4500 with the non-ESP marker; same keys" {
	nat_lab
	capture 4
	responder
	initiate
	captured
	both_established
	behind_the_nat
	# the initiator
	assert_equal "$(a .nat)" true
	assert_equal "$(a .peer.addr)" 10.79.0.1
	assert_equal "$(a .peer.port)" 4500
	assert_equal "$(a .local.addr)" 10.79.0.2
	grep -qE '^rkmp-init: RKMP_SA_INIT done: .*, NAT detected \(RFC 7296 §2\.23\); the next steps go to port 4500$' \
	    "$W/init.err" || fail "INIT said: $(cat "$W/init.err")"
	# the responder
	assert_equal "$(b .nat)" true
	assert_equal "$(b .local.addr)" 10.79.0.1
	assert_equal "$(b .local.port)" 4500
	grep -qE '^rkmp-init: 10\.79\.0\.3:[0-9]+: RKMP_SA_INIT answered: .*, NAT detected \(RFC 7296 §2\.23\); waiting for its RKMP_SA_AUTH request$' \
	    "$W/r.err" || fail "the responder said: $(cat "$W/r.err")"
	# on the wire: INIT on 500 as usual, AUTH both ways on 4500 after the marker
	on_wire IKE_SA_INIT request '10\.79\.0\.3\.4[0-9]{4}' '10\.79\.0\.1\.500' no-marker
	on_wire IKE_SA_INIT response '10\.79\.0\.1\.500' '10\.79\.0\.3\.4[0-9]{4}' no-marker
	on_wire IKE_AUTH request '10\.79\.0\.3\.4[0-9]{4}' '10\.79\.0\.1\.4500' marker
	on_wire IKE_AUTH response '10\.79\.0\.1\.4500' '10\.79\.0\.3\.4[0-9]{4}' marker
}

@test "without a NAT nothing floats: no .nat on either side, both stay on port 500, no marker" {
	nat_lab --no-snat
	capture 4
	responder
	initiate
	captured
	both_established
	assert_equal "$(a '.nat // false')" false
	assert_equal "$(b '.nat // false')" false
	assert_equal "$(a .peer.port)" 500
	assert_equal "$(b .peer.addr)" 10.79.0.2
	assert_equal "$(b .local.port)" 500
	! grep -qE "NAT detected|port 4500" "$W/init.err" "$W/r.err" ||
	    fail "a NAT was said: $(cat "$W/init.err" "$W/r.err")"
	on_wire IKE_AUTH request '10\.79\.0\.2\.[0-9]+' '10\.79\.0\.1\.500' no-marker
	on_wire IKE_AUTH response '10\.79\.0\.1\.500' '10\.79\.0\.2\.[0-9]+' no-marker
}

@test "an explicit port is kept: behind the NAT, rkmp-auth --peer 10.79.0.1:500 goes to 500, without the marker" {
	nat_lab
	capture 4
	responder
	initiate 10.79.0.1:500
	captured
	both_established
	behind_the_nat
	assert_equal "$(a .nat)" true
	assert_equal "$(b .nat)" true
	assert_equal "$(a .peer.port)" 500
	assert_equal "$(b .local.port)" 500
	on_wire IKE_AUTH request '10\.79\.0\.3\.4[0-9]{4}' '10\.79\.0\.1\.500' no-marker
	on_wire IKE_AUTH response '10\.79\.0\.1\.500' '10\.79\.0\.3\.4[0-9]{4}' no-marker
}

@test "--fragment-size 100 is a usage error naming the range 576..65535 (exit 2, no state written)" {
	# (no namespace: a usage error comes before any socket)
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --profile ikev2 --peer 10.79.0.1 \
	    --fragment-size 100
	assert_equal "${stderr_lines[0]}" "rkmp-init: --fragment-size: '100' is not a number of octets in 576..65535"
	assert_equal "${stderr_lines[1]}" "usage: rkmp-init -s STATE [--respond] [-i FILE | --listen ADDR] [-o FILE | --peer ADDR] [options]"
	[ ! -e "$W/a.json" ] || fail "a usage error wrote a state file"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k" --peer 10.79.0.1 \
	    --fragment-size 100
	assert_equal "${stderr_lines[0]}" "rkmp-auth: --fragment-size: '100' is not a number of octets in 576..65535"
}
