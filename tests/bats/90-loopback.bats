#!/usr/bin/env bats
# Initiator and responder over UDP on 127.0.0.1: the whole negotiation,
# retries, retransmission, timeouts.

load helpers
load step-helpers

setup() {
	setup_step
}

teardown() {
	teardown_step
	[ -n "${RELAY_PID:-}" ] && kill "$RELAY_PID" 2>/dev/null || true
}

responder() {	# responder BIN [options]: in the background, logs to $W/resp.log
	local bin=$1; shift
	"$RKMP_BIN/$bin" -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 10 "$@" >>"$W/resp.log" 2>&1 &
	RPID=$!
	sleep 0.2
}

@test "INIT + AUTH over UDP on loopback, rkmp profile (port chosen), both established" {
	responder rkmp-init --id fqdn:b.rkmp.test
	run -0 "$RKMP_BIN/rkmp-init" -s "$W/a.json" --id fqdn:a.rkmp.test --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3
	wait "$RPID"
	responder rkmp-auth --psk-file "$W/k.psk"
	run -0 "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3
	wait "$RPID"
	RPID=
	assert_equal "$(jq -r .phase "$W/a.json")" established
	assert_equal "$(jq -r .phase "$W/b.json")" established
	run -0 same_keys
}

@test "suite matrix over UDP: both sides end with identical SK_*" {
	for s in aes128-sha256-modp2048 aes256-sha384-ecp384 aes256gcm16-prfsha256-ecp256 \
	    chacha20poly1305-prfsha256-x25519 aes128gcm16-prfsha512-curve448; do
		rm -f "$W"/*.json
		responder rkmp-init --proposal "$s"
		"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test --proposal "$s" --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3 || fail "$s init"
		wait "$RPID"
		responder rkmp-auth --psk-file "$W/k.psk" --id fqdn:b.rkmp.test
		"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3 || fail "$s auth"
		wait "$RPID"
		RPID=
		same_keys || fail "$s: keys differ"
	done
}

@test "INVALID_KE and COOKIE retries happen by themselves over UDP" {
	responder rkmp-init --proposal aes128-sha256-modp2048 --cookie
	run -0 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --proposal aes128-sha256-ecp384-modp2048 --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3
	[[ "$stderr" == *"COOKIE"* ]]
	[[ "$stderr" == *"MODP_2048"* ]]
	wait "$RPID"
	RPID=
	run -0 same_keys
}

@test "no answer: retransmitted, then exit 6 and the SA recorded as failed" {
	# a socket that swallows everything: the responder never answers
	run -6 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --peer "127.0.0.1:$PORT" --retransmit 0.1,1.5,2
	[[ "$stderr" == *"no answer from 127.0.0.1:$PORT after 2 retransmissions"* ]]
	assert_equal "$(jq -r .phase "$W/a.json")" failed
	[[ "$(jq -r .reason "$W/a.json")" == *"no answer"* ]]
}

@test "the responder ignores a garbage datagram and answers the real request" {
	responder rkmp-init -v
	# marker (both ports are not 500) + a datagram that is no IKE message
	printf '\0\0\0\0garbage that is not an IKE message' > /dev/udp/127.0.0.1/$PORT
	run -0 "$RKMP_BIN/rkmp-init" -s "$W/a.json" --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3
	wait "$RPID"
	RPID=
	grep -q "ignored a datagram" "$W/resp.log"
	grep -q "(1 datagram ignored while listening)" "$W/resp.log"
	run -0 same_keys
}

@test "the SA's endpoints are in the state; a later step sends from the SA's port (no --local), or says it cannot" {
	responder rkmp-init --id fqdn:b.rkmp.test
	run -0 "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test --peer "127.0.0.1:$PORT"
	wait "$RPID"
	RPID=
	lport=$(jq -r .local.port "$W/a.json")
	[ "$(jq -r .local.addr "$W/a.json")" = 127.0.0.1 ]
	[ "$(jq -r .peer.port "$W/b.json")" = "$lport" ]
	[ "$(jq -r .local.port "$W/b.json")" = "$PORT" ]
	# the next step of the SA comes from the same port, as a peer that answers
	# to the port it recorded (libreswan) needs
	responder rkmp-auth --psk-file "$W/k.psk"
	run -0 "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --peer "127.0.0.1:$PORT"
	wait "$RPID"
	RPID=
	[ "$(jq -r .peer.port "$W/b.json")" = "$lport" ]
	[ "$(jq -r .local.port "$W/a.json")" = "$lport" ]
	# the responder's side starts an exchange: from the port it listened on
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --respond --listen "127.0.0.1:$lport" --wait 10 &
	RPID=$!
	sleep 0.3
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --liveness --peer "127.0.0.1:$lport"
	wait "$RPID"
	RPID=
	[ "$(jq -r .peer.port "$W/a.json")" = "$PORT" ]
	# that port taken: said, and sent from another one (this peer answers the source)
	"$RKMP_BIN/rkmp-init" -q -s "$W/x.json" --respond --listen "127.0.0.1:$PORT" --wait 10 &
	XPID=$!
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --respond --listen "127.0.0.1:$lport" --wait 10 &
	RPID=$!
	sleep 0.3
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --liveness --peer "127.0.0.1:$lport"
	kill "$XPID"
	wait "$RPID"
	RPID=
	[[ "$stderr" == *"the SA's port 127.0.0.1:$PORT is taken (bind 127.0.0.1:$PORT: Address already in use): sending from another one"* ]]
	[ "$(jq -r .peer.port "$W/a.json")" != "$PORT" ]
	[ "$(jq -r .local.port "$W/b.json")" = "$(jq -r .peer.port "$W/a.json")" ]
}

# relay LISTEN_PORT TARGET_PORT: a peer that answers to the port it recorded for
# the SA, as libreswan does: every datagram to LISTEN_PORT goes on to TARGET_PORT
# (our responder), and every answer goes back to the address and port the FIRST
# datagram came from, whatever port later requests come from.  In the background
# (RELAY_PID), what it relays in relay_log.
relay() {
	cat > "$W/relay.py" <<-'PY'
	import socket, sys
	listen, target = int(sys.argv[1]), int(sys.argv[2])
	front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	front.bind(("127.0.0.1", listen))
	back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	back.bind(("127.0.0.1", 0))
	recorded = None
	print("ready", flush=True)
	while True:
	    data, src = front.recvfrom(65535)
	    recorded = recorded or src
	    print("from %s:%d, answer to %s:%d" % (src + recorded), flush=True)
	    back.sendto(data, ("127.0.0.1", target))
	    back.settimeout(5)
	    try:
	        answer, _ = back.recvfrom(65535)
	    except socket.timeout:
	        continue
	    front.sendto(answer, recorded)
	PY
	python3 "$W/relay.py" "$1" "$2" >"$W/relay.out" 2>&1 &
	RELAY_PID=$!
	# ready once its port is bound, and our responder's too (a loaded machine
	# starts either later than any fixed sleep)
	udp_bound "$2"
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready$' "$W/relay.out" && break
		sleep 0.1
	done
	grep -q '^ready$' "$W/relay.out" || fail "the relay did not start: $(cat "$W/relay.out")"
}

# relay_log: what the relay said about the datagrams it relayed
relay_log() { grep -v '^ready$' "$W/relay.out"; }

@test "a peer that answers to the port it recorded (libreswan) is reached by a later step without --local; from another port, not" {
	rport=$((PORT + 1))
	"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --through auth --id fqdn:b.rkmp.test --psk-file "$W/k.psk" \
	    --listen "127.0.0.1:$rport" --wait 20 &
	RPID=$!
	relay "$PORT" "$rport"
	run -0 "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test --peer "127.0.0.1:$PORT" \
	    --retransmit 1,1.5,3
	# rkmp-auth without --local: from the SA's port, which the relay answers to
	run -0 "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --peer "127.0.0.1:$PORT" \
	    --retransmit 1,1.5,3
	wait "$RPID"
	RPID=
	assert_equal "$(jq -r .phase "$W/a.json")" established
	lport=$(jq -r .local.port "$W/a.json")
	assert_equal "$(relay_log | sort -u)" "from 127.0.0.1:$lport, answer to 127.0.0.1:$lport"
	# a new SA whose RKMP_SA_AUTH comes from another port (--local): the answer goes
	# to the recorded port, so none comes (the relay is what makes this fail, not us)
	"$RKMP_BIN/rkmp-init" -q -s "$W/b3.json" --respond --through auth --id fqdn:b.rkmp.test --psk-file "$W/k.psk" \
	    --listen "127.0.0.1:$rport" --wait 20 &
	RPID=$!
	kill "$RELAY_PID"
	wait "$RELAY_PID" 2>/dev/null || true
	relay "$PORT" "$rport"
	"$RKMP_BIN/rkmp-init" -q -s "$W/b2.json" --id fqdn:a.rkmp.test --peer "127.0.0.1:$PORT" \
	    --local "127.0.0.1:$lport" --retransmit 1,1.5,3	# the relay records $lport
	run -6 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/b2.json" --psk-file "$W/k.psk" \
	    --peer "127.0.0.1:$PORT" --local "127.0.0.1:$((PORT + 2))" --retransmit 0.3,1.5,1
	[[ "$stderr" == *"no answer from 127.0.0.1:$PORT after 1 retransmission"* ]]
	kill "$RELAY_PID" "$RPID" 2>/dev/null || true
	RELAY_PID= RPID=
}
