#!/usr/bin/env bats
# Waiting is never silent (DESIGN.md §6): the listening line, one line per
# retransmission and per ICMP error, and a lingering responder that says what
# it does with copies of the request and with new requests.

load helpers
load step-helpers

setup() {
	setup_step
}

teardown() {
	teardown_step
	[ -n "${APID:-}" ] && kill "$APID" 2>/dev/null
	true
}

@test "a responder says where it listens and until when, as soon as it is bound (not with -q)" {
	"$RKMP_BIN/rkmp-init" -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 0.5 2>"$W/err" || true
	grep -qE "^rkmp-init: listening on 127.0.0.1:$PORT \(until [0-9]{2}:[0-9]{2}:[0-9]{2}Z, --wait 0.5\)$" "$W/err"
	"$RKMP_BIN/rkmp-child" -s "$W/none.json" --respond --listen "127.0.0.1:$PORT" 2>"$W/err" || true
	# (no state: refused before it binds, so nothing said about listening)
	run ! grep -q listening "$W/err"
	"$RKMP_BIN/rkmp-init" -s "$W/c.json" --respond --listen "[::1]:$PORT" 2>"$W/err" &
	RPID=$!
	for _ in $(seq 50); do grep -q listening "$W/err" && break; sleep 0.05; done
	kill "$RPID"
	RPID=
	grep -qx "rkmp-init: listening on \[::1\]:$PORT (no time limit: --wait SECONDS sets one)" "$W/err"
	"$RKMP_BIN/rkmp-init" -q -s "$W/d.json" --respond --listen "127.0.0.1:$PORT" --wait 0.3 2>"$W/err" || true
	! grep -q listening "$W/err"
}

@test "a requester says where it waits and until when, each retransmission, and each ICMP error (-v)" {
	# nothing listens on the port: the kernel answers ICMP port unreachable
	run -6 --separate-stderr "$RKMP_BIN/rkmp-init" -v -s "$W/a.json" --peer "127.0.0.1:$PORT" \
	    --retransmit 0.2,1.5,2
	grep -qE "^rkmp-init: RKMP_SA_INIT request sent to 127.0.0.1:$PORT; waiting for the answer until [0-9:]{8}Z \(2 retransmissions\)$" <<<"$stderr"
	grep -qx "rkmp-init: retransmit 1/2 to 127.0.0.1:$PORT, next in 0.3 s" <<<"$stderr"
	grep -qx "rkmp-init: retransmit 2/2 to 127.0.0.1:$PORT, giving up in 0.5 s" <<<"$stderr"
	grep -qx "rkmp-init: ICMP port unreachable from 127.0.0.1:$PORT (Connection refused): nothing authenticates it, waiting on" <<<"$stderr"
	grep -qE "transport: no answer from 127.0.0.1:$PORT after 2 retransmissions \([0-9.]+ s; ICMP port unreachable [0-9]+ times\)$" <<<"$stderr"
	# not on a terminal and without -v: only the outcome
	rm -f "$W/a.json"
	run -6 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --peer "127.0.0.1:$PORT" --retransmit 0.1,1,1
	! grep -qE "retransmit|ICMP port unreachable from|waiting for the answer" <<<"$stderr" || fail "$stderr"
	grep -q "no answer from 127.0.0.1:$PORT after 1 retransmission (" <<<"$stderr"
}

@test "on a terminal the retransmission lines come at the default verbosity" {
	need script
	script -qec "'$RKMP_BIN/rkmp-init' -s '$W/a.json' --peer 127.0.0.1:$PORT --retransmit 0.1,1,1" \
	    /dev/null >"$W/tty" || true
	grep -q "retransmit 1/1 to 127.0.0.1:$PORT, giving up in 0.1 s" "$W/tty"
}

@test "lingering: a copy of the request is answered again and said; a new request the SA can take is answered" {
	established
	"$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 10 --linger 3 \
	    2>"$W/b.err" &
	RPID=$!
	sleep 0.3
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --liveness --peer "127.0.0.1:$PORT"
	# the same request again, as a peer that lost our answer sends it
	req=$(jq -r '.transcript | map(select(.dir == "sent" and .response == false)) | last | .message' "$W/a.json")
	[ -n "$req" ]
	[ "$req" != null ]
	# one write, one datagram: the non-ESP marker (neither port is 500) and the request
	{ printf '\0\0\0\0'; xxd -r -p <<<"$req"; } >"$W/copy.udp"
	cat "$W/copy.udp" >/dev/udp/127.0.0.1/$PORT
	sleep 0.3
	# a new request while it lingers: answered, not dropped
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --create --protocol bfd --peer "127.0.0.1:$PORT" --retransmit 1,1,1
	wait "$RPID"
	RPID=
	grep -qE "^rkmp-child: answered 127.0.0.1:[0-9]+; lingering 3 s for copies of its request and new ones$" "$W/b.err"
	grep -qE "^rkmp-child: 127.0.0.1:[0-9]+: a copy of the request we answered \(RKMP_INFORMATIONAL request, Message ID [0-9]+\): the same answer again$" "$W/b.err"
	grep -qE "^rkmp-child: 127.0.0.1:[0-9]+: a new request while lingering \(RKMP_CHILD_SA request, Message ID [0-9]+\) answered: " "$W/b.err"
	grep -q "then 1 more request answered while lingering" "$W/b.err"
	[ "$(jq -r '.children | length' "$W/a.json")" = "$(jq -r '.children | length' "$W/b.json")" ]
	[ "$(jq -r '.children[-1].state' "$W/b.json")" = established ]
}

@test "lingering: a new request the SA cannot take is said dropped, with the reason" {
	"$RKMP_BIN/rkmp-init" -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 10 --linger 2 2>"$W/b.err" &
	RPID=$!
	sleep 0.3
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --peer "127.0.0.1:$PORT"
	run -6 "$RKMP_BIN/rkmp-init" -q -s "$W/c.json" --peer "127.0.0.1:$PORT" --retransmit 0.3,1,1
	wait "$RPID"
	RPID=
	grep -qE "^rkmp-init: 127.0.0.1:[0-9]+: dropped a new request while lingering \(RKMP_SA_INIT request, Message ID 0\): " "$W/b.err"
	[ "$(jq -r .phase "$W/b.json")" = init-done ]
	[ "$(jq -r .ike_sa.spi_i "$W/b.json")" = "$(jq -r .ike_sa.spi_i "$W/a.json")" ]
}
