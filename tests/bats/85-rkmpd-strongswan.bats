#!/usr/bin/env bats
# rkmpd against an independent IKEv2 stack: strongSwan's charon in a network
# namespace of its own (tests/interop/strongswan-peer.sh: 10.77.0.1), rkmpd in
# another (10.77.0.2), the ikev2 profile with an ESP child.  charon initiates
# with its default MOBIKE (it moves to port 4500 for IKE_AUTH) and rkmpd
# follows; rkmpd initiates and charon answers; charon's own child and IKE SA
# rekeys and its DPD are answered.  Every key is checked against the keys
# charon logged (the harness's rkmp-keylog plugin), never against our own
# output.  Needs root and strongSwan with the harness's plugins
# (tests/interop/install-strongswan.sh), as 95-interop-strongswan.bats; the
# configuration checks at the end need neither.

load helpers
load interop-helpers

# interop-helpers' setup and teardown, under other names: the configuration
# tests run without root; the daemon is stopped (and its log checked) first
eval "interop_setup() $(declare -f setup | tail -n +2)"
eval "interop_teardown() $(declare -f teardown | tail -n +2)"

setup() {
	W=$BATS_TEST_TMPDIR
	STATE=$W/st/charon.json
	if [[ $BATS_TEST_DESCRIPTION == "configuration: "* ]]; then
		printf 'rkmp-interop-psk-0123456789' > "$W/k.psk"
		chmod 600 "$W/k.psk"
		return 0
	fi
	interop_setup
	STATE=$W/st/charon.json
}

teardown() {
	stop_daemon
	interop_teardown
}

# daemon_conf START [JQ-ARGS]: rkmpd's configuration, $W/conf.json: listening on
# 10.77.0.2:500 (and 4500), the one peer "charon" at 10.77.0.1 with the ikev2
# profile, the harness's PSK and identities, an ESP child; JQ changes it
# bad_psk_conf START: daemon_conf START with a PSK charon does not have
bad_psk_conf() {
	printf 'not-the-psk' > "$W/bad.psk"
	chmod 600 "$W/bad.psk"
	daemon_conf "$1" --arg w "$W" '.peers[0].psk_file = "\($w)/bad.psk"'
}

daemon_conf() {
	local start=$1
	shift
	[ $# -gt 0 ] || set -- .
	mkdir -p "$W/st"
	jq -n --arg w "$W" --arg start "$start" '{format: "rkmpd-config", version: 1,
	    listen: ["10.77.0.2:500"], state_dir: "\($w)/st", events: "\($w)/events.json",
	    control: "\($w)/ctl.sock",
	    peers: [{name: "charon", address: "10.77.0.1", profile: "ikev2", id: "fqdn:us.rkmp.test",
	        peer_id: "fqdn:peer.rkmp.test", psk_file: "\($w)/k.psk", start: $start,
	        children: [{protocol: "esp"}]}]}' | jq "$@" > "$W/conf.json"
}

# start_daemon: rkmpd -f -v in our namespace, its stderr in $W/log; back once
# its control socket is there.  (ip netns exec execs rkmpd: RPID is rkmpd's pid;
# not through the function us, whose subshell would be)
start_daemon() {
	ip netns exec "$NS_US" "$RKMP_BIN/rkmpd" -f -v -c "$W/conf.json" 2>>"$W/log" &
	RPID=$!
	wait_until 10 '[ -S "$W/ctl.sock" ]' || fail "rkmpd did not start: $(cat "$W/log")"
}

# stop_daemon: SIGTERM, wait for it (5 s); its log must show no sanitizer report
stop_daemon() {
	local i
	[ -n "${RPID:-}" ] || return 0
	kill "$RPID" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
	wait "$RPID" 2>/dev/null || true
	RPID=
	! grep -q Sanitizer "$W/log" 2>/dev/null || fail "rkmpd: $(grep -A20 Sanitizer "$W/log")"
}

# wait_until SECONDS CONDITION: evaluate CONDITION every 0.1 s until it holds
wait_until() {
	local end=$((SECONDS + $1))
	until eval "$2"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# charon_initiates [ARGS]: charon initiates (rkmp-out and its child); fails with
# charon's and rkmpd's words when that does not end ESTABLISHED
charon_initiates() {
	"$SW" initiate --timeout 15 "$@" >"$W/initiate.out" 2>&1 ||
	    fail "charon's initiate $*: $(tail -n 5 "$W/initiate.out"); rkmpd: $(cat "$W/log")"
}

# every established child of rkmpd's state: its KEYMAT is the keys charon logged
# for it, found by its two SPIs, in RFC 7296 §2.17's order (encr_i integ_i encr_r
# integ_r of the exchange's initiator; "-", an AEAD's empty integrity key, is none)
esp_keys_match_charon() {
	local log n=0 l p km line want
	log=$("$SW" path keylog)
	while read -r l p km; do
		line=$(grep -E "^CHILD .* (spi_i=$l spi_r=$p|spi_i=$p spi_r=$l) " "$log" | tail -n 1)
		[ -n "$line" ] || { echo "charon logged no keys for the child $l/$p"; return 1; }
		want=$(sed -E 's/.* encr_i=([0-9a-f-]+) encr_r=([0-9a-f-]+) integ_i=([0-9a-f-]+) integ_r=([0-9a-f-]+).*/\1\3\2\4/; s/-//g' <<<"$line")
		[ "$km" = "$want" ] || { echo "child $l: our KEYMAT $km, charon's $want"; return 1; }
		n=$((n + 1))
	done < <(jq -r '. as $s | range(.children | length) | select($s.children[.].state == "established")
	    | "\($s.children[.].spi_local) \($s.children[.].spi_peer) \($s.secrets.children[.].keymat)"' "$STATE")
	[ "$n" -gt 0 ] || { echo "no established child in $STATE"; return 1; }
}

# live children of the state
live() { jq -r '[.children[] | select(.state == "established")] | length' "$STATE" 2>/dev/null; }

# charon's log lines matching a regex
sw_count() { grep -cE "$1" "$("$SW" path log)" || true; }

@test "charon initiates with its default MOBIKE: rkmpd answers on 500, follows it to 4500; ESTABLISHED, IKE and ESP keys equal to charon's" {
	"$SW" up --mobike yes >/dev/null
	daemon_conf respond
	start_daemon
	charon_initiates
	wait_until 5 '[ "$(live)" = 1 ]' || fail "$(cat "$W/log")"
	assert_equal "$(st .phase)" established
	assert_equal "$(st .role)" responder
	# the SA moved to 4500 after IKE_SA_INIT, on both sides
	assert_equal "$(st .peer.port)" 4500
	assert_equal "$(st .local.port)" 4500
	[ "$(sw_count 'sending packet: from 10\.77\.0\.1\[4500\] to 10\.77\.0\.2\[4500\]')" -ge 1 ]
	"$SW" swanctl --list-sas | grep -q "remote 'us.rkmp.test' @ 10.77.0.2\[4500\]" ||
	    fail "$("$SW" swanctl --list-sas)"
	established_in_swanctl || fail "not ESTABLISHED: $("$SW" swanctl --list-sas)"
	run -0 keys_match_charon
	run -0 esp_keys_match_charon
	# rkmpd answered charon's IKE_AUTH (on 4500) at once
	assert_equal "$("$SW" retransmits)" 0
	run -0 "$RKMP_BIN/rkmpctl" --json -s "$W/ctl.sock" status charon
	jq -e '.peers[0] | .phase == "established" and .role == "responder"
	    and ([.children[].protocol] == ["esp"]) and .peer_at == "10.77.0.1:4500"' <<<"$output" || fail "$output"
	# status says where the peer is now: configured on 500, at 4500
	run -0 "$RKMP_BIN/rkmpctl" -s "$W/ctl.sock" status charon
	assert_line --regexp '^charon: established, responder, 10\.77\.0\.1 port 500, start respond, SPIs [0-9a-f]{16} [0-9a-f]{16}, now at 10\.77\.0\.1:4500$'
}

@test "charon's DPD, child rekey and IKE SA rekey answered on 4500, keys equal to charon's after each; rkmpd's own rekey after a datagram on 500 still leaves from 4500" {
	"$SW" up --mobike yes --dpd 2 >/dev/null
	daemon_conf respond
	start_daemon
	charon_initiates
	wait_until 5 '[ "$(live)" = 1 ]' || fail "$(cat "$W/log")"
	# DPD: an empty INFORMATIONAL after 2 s of silence; two of them answered
	wait_until 15 '[ "$(grep -c "liveness check answered" "$W/log")" -ge 2 ]' ||
	    fail "charon's DPDs: $(sw_count 'sending DPD request'); rkmpd: $(cat "$W/log")"
	# charon rekeys the child (CREATE_CHILD_SA with PFS), deletes the old one
	first=$(st '.children[0].spi_local')
	"$SW" rekey-child rkmp-out-child >/dev/null || fail "$("$SW" logs 20)"
	wait_until 5 '[ "$(st ".children[0].state")" = deleted ] && [ "$(live)" = 1 ]' ||
	    fail "$(jq -c '[.children[] | [.spi_local, .state]]' "$STATE"); $(cat "$W/log")"
	[ "$(st '[.children[] | select(.state == "established")][0].spi_local')" != "$first" ]
	run -0 esp_keys_match_charon
	# charon rekeys the IKE SA, then deletes the old one
	old=$(st .ike_sa.spi_i)
	"$SW" rekey-ike rkmp-out >/dev/null || fail "$("$SW" logs 20)"
	wait_until 5 '[ "$(st .ike_sa.spi_i)" != "$old" ] && [ "$(st .ike_sa.old.spi_i)" = null ]' ||
	    fail "$(jq -c .ike_sa "$STATE"); $(cat "$W/log")"
	assert_equal "$(st .phase)" established
	run -0 keys_match_charon
	established_in_swanctl || fail "not ESTABLISHED: $("$SW" swanctl --list-sas)"
	# a datagram to our port 500 (no IKE message: ignored) makes it the socket
	# last read; rkmpd's own request on the SA (rkmpctl rekey) must still leave
	# from 4500, where the SA is (charon's log: no packet from our 500 to its 4500)
	ip netns exec "$("$SW" path ns-peer)" bash -c 'printf junk > /dev/udp/10.77.0.2/500'
	wait_until 5 'grep -q "ignored a datagram from 10.77.0.1:[0-9]*: 4 octets" "$W/log"' || fail "$(cat "$W/log")"
	spi=$(st '[.children[] | select(.state == "established")][0].spi_local')
	run "$RKMP_BIN/rkmpctl" --json -s "$W/ctl.sock" rekey charon "$spi"
	[ "$status" = 0 ] || fail "rkmpctl rekey: exit $status: $output; $(cat "$W/log")"
	jq -e --arg s "$spi" '.rekey.spi == $s and (.rekey.new_spi | test("^[0-9a-f]{8}$"))' <<<"$output"
	[ "$(sw_count 'received packet: from 10\.77\.0\.2\[500\] to 10\.77\.0\.1\[4500\]')" = 0 ]
	run -0 esp_keys_match_charon
	# charon never had to send a request again, nor gave up on us
	assert_equal "$("$SW" retransmits)" 0
	[ "$(sw_count 'giving up|DPD.*fail|deleting IKE_SA rkmp-out\[2\]')" = 0 ] || fail "$("$SW" logs 30)"
	established_in_swanctl || fail "not ESTABLISHED: $("$SW" swanctl --list-sas)"
}

@test "rkmpd initiates (start always): ESTABLISHED, keys equal to charon's; charon's rekeys (its Delete of the old IKE SA that rkmpd had initiated) and DPD answered" {
	"$SW" up --mobike yes --dpd 2 >/dev/null
	daemon_conf always
	start_daemon
	wait_until 15 '[ "$(live)" = 1 ]' || fail "$(cat "$W/log")"
	assert_equal "$(st .role)" initiator
	assert_equal "$(st .peer.port)" 500
	"$SW" swanctl --list-sas | grep -qE "^rkmp: #[0-9]+, ESTABLISHED" || fail "$("$SW" swanctl --list-sas)"
	established_in_swanctl || fail "not ESTABLISHED: $("$SW" swanctl --list-sas)"
	run -0 keys_match_charon
	run -0 esp_keys_match_charon
	"$SW" rekey-child >/dev/null || fail "$("$SW" logs 20)"
	wait_until 5 '[ "$(st ".children[0].state")" = deleted ] && [ "$(live)" = 1 ]' ||
	    fail "$(jq -c '[.children[] | [.spi_local, .state]]' "$STATE"); $(cat "$W/log")"
	run -0 esp_keys_match_charon
	# charon's rekey of the IKE SA: charon is the new SA's initiator, and sends
	# its Delete on the old one, where it was the responder
	old=$(st .ike_sa.spi_i)
	"$SW" rekey-ike >/dev/null || fail "$("$SW" logs 20)"
	wait_until 5 '[ "$(st .ike_sa.spi_i)" != "$old" ] && [ "$(st .ike_sa.old.spi_i)" = null ]' ||
	    fail "$(jq -c .ike_sa "$STATE"); $(cat "$W/log")"
	grep -q "the peer deleted the old RKMP SA $old:" "$W/log"
	run -0 keys_match_charon
	# charon's old IKE SA is gone (not DELETING, retransmitting its Delete)
	wait_until 5 '[ "$("$SW" swanctl --list-sas | grep -c "IKEv2")" = 1 ]' || fail "$("$SW" swanctl --list-sas)"
	n=$(grep -c "liveness check answered" "$W/log" || true)
	wait_until 15 '[ "$(grep -c "liveness check answered" "$W/log")" -ge $((n + 2)) ]' ||
	    fail "charon's DPDs: $(sw_count 'sending DPD request'); rkmpd: $(cat "$W/log")"
	assert_equal "$("$SW" retransmits)" 0
	! grep -q "ignored a request" "$W/log" || fail "$(cat "$W/log")"
	established_in_swanctl || fail "not ESTABLISHED: $("$SW" swanctl --list-sas)"
}

@test "certificates: charon (ECDSA, b.rkmp.test) initiates with MOBIKE to rkmpd (RSA, a.rkmp.test): ESTABLISHED, keys equal to charon's" {
	"$SW" up --mobike yes >/dev/null
	install -m 600 testdata/pki/rsa.key "$W/rsa.key"
	daemon_conf respond --arg w "$W" '.peers[0] |= (del(.psk_file) | .id = "fqdn:a.rkmp.test"
	    | .peer_id = "fqdn:b.rkmp.test" | .cert = "testdata/pki/rsa.pem" | .key = "\($w)/rsa.key"
	    | .ca = "testdata/pki/ca.pem")'
	start_daemon
	charon_initiates --cert
	wait_until 5 '[ "$(live)" = 1 ]' || fail "$(cat "$W/log")"
	assert_equal "$(st .identities.peer_seen)" fqdn:b.rkmp.test
	assert_equal "$(st .peer.port)" 4500
	"$SW" swanctl --list-sas | grep -qE "^rkmp-out-cert: #[0-9]+, ESTABLISHED" || fail "$("$SW" swanctl --list-sas)"
	run -0 keys_match_charon
	run -0 esp_keys_match_charon
}

@test "wrong PSK, charon initiating: charon is told AUTHENTICATION_FAILED, rkmpd logs one line, the SA failed without a child; rkmpd goes on" {
	"$SW" up --mobike yes >/dev/null
	bad_psk_conf respond
	start_daemon
	run ! "$SW" initiate --timeout 10
	[ "$(sw_count 'received AUTHENTICATION_FAILED notify error')" = 1 ] || fail "$("$SW" logs 20)"
	assert_equal "$(st .phase)" failed
	assert_equal "$(st '.children | length')" 0
	# one line, which says it once
	run -0 grep -E '^rkmpd: charon: .*(refused|failed|AUTHENTICATION_FAILED)' "$W/log"
	[ "${#lines[@]}" = 1 ] && [[ "$output" == *"does not verify"*"AUTHENTICATION_FAILED" ]] &&
	    [[ "$output" != *AUTHENTICATION_FAILED*AUTHENTICATION_FAILED* ]] || fail "$(cat "$W/log")"
	kill -0 "$RPID"
	run -0 "$RKMP_BIN/rkmpctl" --json -s "$W/ctl.sock" status charon
	jq -e '.peers[0].phase == "failed" and (.peers[0].children | length == 0)' <<<"$output" || fail "$output"
}

@test "wrong PSK, rkmpd initiating: charon refuses (its MAC mismatch, AUTHENTICATION_FAILED to us), rkmpd logs one line and keeps no child" {
	"$SW" up --mobike yes >/dev/null
	bad_psk_conf always
	start_daemon
	wait_until 15 '[ "$(st .phase 2>/dev/null)" = failed ]' || fail "$(cat "$W/log")"
	[ "$(sw_count "tried 1 shared key for 'peer.rkmp.test' - 'us.rkmp.test', but MAC mismatched")" -ge 1 ] ||
	    fail "$("$SW" logs 20)"
	[ "$(grep -c 'RKMP SA failed: .*AUTHENTICATION_FAILED' "$W/log")" = 1 ] || fail "$(cat "$W/log")"
	# the child it proposed never came to be: no keys
	assert_equal "$(live)" 0
	assert_equal "$(jq '[.secrets.children[]? | select(.keymat // "" != "")] | length' "$STATE")" 0
	kill -0 "$RPID"
	! established_in_swanctl
}

@test "configuration: an ikev2 peer without a listen address on port 500 is refused (exit 2, one line); without \"listen\" the default has 500" {
	mkdir -p "$W/st"
	daemon_conf respond '.listen = ["127.0.0.1:50585"]'
	run -2 --separate-stderr "$RKMP_BIN/rkmpd" -f -c "$W/conf.json"
	assert_equal "$stderr" "rkmpd: $W/conf.json: usage: peers[0].profile: ikev2: no listen address of IPv4 on port 500, where an ikev2 peer is answered (and on 4500 beside it): add one, e.g. \"0.0.0.0:500\""
	[ ! -e "$W/ctl.sock" ] && [ ! -e "$W/st/charon.json" ]
	daemon_conf respond 'del(.listen)'
	run -0 "$RKMP_BIN/rkmpd" --check -c "$W/conf.json"
	assert_output "$W/conf.json: 1 peer, configuration valid"
}
