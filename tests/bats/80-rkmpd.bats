#!/usr/bin/env bats
# rkmpd and rkmpctl on 127.0.0.1: two daemons (random high ports), the rkmp
# profile, PSK, a TCP-AO and a BFD child with lifetimes of a few seconds;
# the configuration validated whole; malformed datagrams; the state lock.

load helpers
load rkmpd-helpers

setup() { rkmpd_setup; }
teardown() { rkmpd_teardown; }

# the children: lifetimes of 8 s, rekeyed 4 s before they end
CHILDREN='[{"protocol": "tcp-ao", "lifetime": 8, "rekey_margin": 4},
           {"protocol": "bfd", "pfs": "x25519", "lifetime": 8, "rekey_margin": 4}]'

@test "two rkmpd: established, the same keys in both key tables, two rekeys of each child with RFC 7210 overlap, rkmpctl status" {
	need jq
	pair always "$CHILDREN"
	# two rekeys of each child: lifetime 8 s, margin 4 s
	for _ in $(seq 300); do
		[ "$(events a rekey tcp-ao)" -ge 2 ] && [ "$(events a rekey bfd)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(events a rekey tcp-ao)" -ge 2 ] || { cat "$W/a/log"; fail "fewer than 2 TCP-AO rekeys"; }
	[ "$(events a rekey bfd)" -ge 2 ] || fail "fewer than 2 BFD rekeys"
	# b saw them as the responder (its events can lag a's by one exchange)
	sleep 0.5
	[ "$(events b rekey tcp-ao)" -ge 2 ] || fail "b: fewer than 2 TCP-AO rekeys"
	# both state files: one RKMP SA, its SPIs and keys (the step tools' format)
	[ "$(jq -r .format "$W/a/b.json")" = rkmp-state ]
	[ "$(jq -r .phase "$W/a/b.json")" = established ]
	[ "$(jq -r .phase "$W/b/a.json")" = established ]
	[ "$(jq -r .role "$W/a/b.json")" = initiator ]
	[ "$(jq -r .ike_sa.spi_i "$W/a/b.json")" = "$(jq -r .ike_sa.spi_i "$W/b/a.json")" ]
	[ "$(jq -r .secrets.sk_d "$W/a/b.json")" = "$(jq -r .secrets.sk_d "$W/b/a.json")" ]
	# both key tables: the same rows, seen from the two ends (the key derived by each side)
	# (read again while an exchange is half done: b's table is written before a's)
	for _ in $(seq 20); do
		ka=$(keys_of a local)
		kb=$(keys_of b peer)
		[ "$ka" = "$kb" ] && break
		sleep 0.1
	done
	[ -n "$ka" ] || fail "a's key table is empty"
	assert_equal "$ka" "$kb"
	[ "$(grep -c '^tcp-ao ' <<<"$ka")" -ge 3 ] || fail "TCP-AO rows did not rotate: $ka"
	# RFC 7210 §6: each replaced row stops sending where its successor starts, and is
	# accepted after that (the grace)
	run -0 jq -r '.rows | group_by(.Protocol)[] | sort_by(.SendLifetimeStart) | . as $r
	    | range(1; length) as $i | $r[$i - 1] as $o | $r[$i] as $n
	    | select($o.SendLifetimeEnd == $n.SendLifetimeStart and $o.AcceptLifetimeEnd > $o.SendLifetimeEnd
	             and $n.AcceptLifetimeStart <= $n.SendLifetimeStart)
	    | "\($o.Protocol) \($o.LocalKeyName)->\($n.LocalKeyName)"' "$W/a/kt.json"
	[ "$(grep -c '^tcp-ao ' <<<"$output")" -ge 2 ] || fail "no overlap: $output"
	[ "$(grep -c '^bfd ' <<<"$output")" -ge 2 ] || fail "no BFD overlap: $output"
	# the old children were deleted by the side that rekeyed them (both sides
	# rekey: whichever comes first), the other answered
	{ grep -q "delete request" "$W/a/log" && grep -q "deleted 1 child SA" "$W/b/log"; } ||
	    { grep -q "delete request" "$W/b/log" && grep -q "deleted 1 child SA" "$W/a/log"; } ||
	    fail "no child deleted after its rekey"
	# rkmpctl status, text and JSON
	run -0 "$RKMP_BIN/rkmpctl" -s "$W/a/ctl.sock" status
	assert_line --regexp "^b: established, initiator, 127\.0\.0\.1 port $PB, start always, SPIs [0-9a-f]{16} [0-9a-f]{16}$"
	assert_line --regexp "^  tcp-ao SPI [0-9a-f]{2} \(peer's [0-9a-f]{2}\) established, lifetime left [0-9]+ s, rekey in [0-9]+ s$"
	assert_line --regexp "^  bfd SPI [0-9a-f]{2} "
	# (a, which starts every exchange, held still while b's answer and file are read)
	kill -STOP "${PID[a]}"
	sleep 0.3
	run -0 "$RKMP_BIN/rkmpctl" --json -s "$W/b/ctl.sock" status a
	[ "${#lines[@]}" = 1 ]
	jq -e '.peers | length == 1' <<<"$output"
	jq -e --arg at "127.0.0.1:$PA" '.peers[0] | .name == "a" and .phase == "established" and .role == "responder"
	    and .peer_at == $at and (.spi_i | test("^[0-9a-f]{16}$")) and .rekeys >= 2
	    and ([.children[].protocol] | unique == ["bfd", "tcp-ao"])
	    and all(.children[]; .lifetime_left <= 8 and (.spi | test("^[0-9a-f]{2}$")))' <<<"$output" || fail "$output"
	# the SPIs status shows are live children of the state file
	run -0 jq -n --argjson st "$output" --slurpfile f "$W/b/a.json" '[$st.peers[0].children[]
	    | . as $c | select(any($f[0].children[]; .spi_local == $c.spi and .spi_peer == $c.spi_peer
	        and (.state == "established" or .state == "rekeyed")))] | length == ($st.peers[0].children | length)'
	assert_output true
	kill -CONT "${PID[a]}"
	# unknown peer: an error object, exit 2
	run -2 --separate-stderr "$RKMP_BIN/rkmpctl" --json -s "$W/a/ctl.sock" status nobody
	jq -e '.error.class == "usage" and .error.exit == 2 and .error.where == "nobody"' <<<"$output"
}

# certs SIDE CRED CA: SIDE's peer authenticates with testdata/pki's CRED
# (its key copied 0600) and trusts CA; the identities are the certificates'
certs() {
	local P=testdata/pki
	cp "$P/$2.key" "$W/$1/$2.key"
	chmod 600 "$W/$1/$2.key"
	jq --arg c "$P/$2.pem" --arg k "$W/$1/$2.key" --arg ca "$P/$3.pem" \
	    '.peers[0] |= (del(.psk_file) | .cert = $c | .key = $k | .ca = $ca
	        | .id |= sub("rkmpd"; "rkmp") | .peer_id |= sub("rkmpd"; "rkmp"))' \
	    "$W/$1/conf.json" > "$W/$1/c.json"
	mv "$W/$1/c.json" "$W/$1/conf.json"
}

@test "both sides start: always at once: the RKMP_SA_INIT with the higher SPIi goes on, established within a retransmission" {
	need jq
	# b starts first: its RKMP_SA_INIT finds nobody, and is sent again 2 s later;
	# a starts meanwhile and initiates too, so each side has its own request
	# out when the other's comes (before, both ignored the other's and met
	# only after a back-off of 10 s or more)
	conf a b "$PA" "$PB" always "$CHILDREN" "" ', "retransmit_timeout": 2'
	conf b a "$PB" "$PA" always "$CHILDREN" "" ', "retransmit_timeout": 2'
	start b
	start a
	wait_for 6 "established SA (within one retransmission)" established a b
	wait_for 2 "b established" established b a
	# one side gave its own up for the other's, the other went on with its own
	run grep -h "both sides initiate" "$W/a/log" "$W/b/log"
	assert_output --partial "goes on over ours"
	# the one SA both hold: the SPIs of the winning RKMP_SA_INIT on both sides
	[ "$(jq -r '.ike_sa.spi_i + .ike_sa.spi_r' "$W/a/b.json")" = "$(jq -r '.ike_sa.spi_i + .ike_sa.spi_r' "$W/b/a.json")" ]
	same_keys
	# no back-off, no failure
	run grep -hE "RKMP SA failed|back-off" "$W/a/log" "$W/b/log"
	assert_failure
}

@test "two rkmpd with certificates (RSA and ECDSA P-256): established, the same keys; a certificate of another CA is refused, no row" {
	need jq
	conf a b "$PA" "$PB" always "$CHILDREN"
	conf b a "$PB" "$PA" respond "$CHILDREN"
	certs a rsa ca
	certs b p256 ca
	start b
	start a
	wait_for 10 "established SA" established a b
	wait_for 5 "b established" established b a
	same_keys
	jq -e '.identities.peer_seen == "fqdn:b.rkmp.test"' "$W/a/b.json"
	jq -e '.identities.peer_seen == "fqdn:a.rkmp.test"' "$W/b/a.json"
	# b with a certificate of a CA a does not trust: AUTHENTICATION_FAILED, said once, no row
	rkmpd_teardown
	PID=()
	rm -rf "$W/a" "$W/b"
	mkdir -p "$W/a" "$W/b"
	conf a b "$PA" "$PB" always "$CHILDREN"
	conf b a "$PB" "$PA" respond "$CHILDREN"
	certs a rsa ca
	certs b rogue rogue-ca
	start b
	start a
	wait_for 10 "a's failure" grep -q "RKMP SA failed" "$W/a/log"
	[ ! -s "$W/a/kt.json" ] || [ "$(jq '.rows | length' "$W/a/kt.json")" = 0 ] || fail "a has rows"
	[ ! -s "$W/b/kt.json" ] || [ "$(jq '.rows | length' "$W/b/kt.json")" = 0 ] || fail "b has rows"
	kill -0 "${PID[a]}" && kill -0 "${PID[b]}"
}

@test "a failing rp_hook and an events file that cannot be written: a warning line each in the daemon's log, named as the configuration names them; the SA goes on" {
	need jq
	rkmpd_setup hook
	printf '#!/bin/sh\nexit 3\n' > "$W/hook.sh"
	mkdir "$W/a/events.json"
	conf a b "$PA" "$PB" always "$CHILDREN"
	conf b a "$PB" "$PA" respond "$CHILDREN"
	start b
	start a
	wait_for 10 "established SA" established a b
	wait_for 5 "the hook's warning" grep -q "^rkmpd: b: warning: rp_hook exited 3 for the insert event$" "$W/a/log"
	grep -q "^rkmpd: b: warning: events $W/a/events.json: Is a directory$" "$W/a/log" || fail "$(cat "$W/a/log")"
	# the step tools' option names are not the daemon's
	run grep -c -- "--rp-hook\|--events" "$W/a/log"
	assert_output 0
	same_keys
}

@test "rkmpctl rekey PEER SPI: the new SPI once the exchange is done; an unknown SPI is refused" {
	need jq
	pair always "$CHILDREN"
	for _ in $(seq 100); do
		[ "$(jq -r '[.children[] | select(.state == "established")] | length' "$W/a/b.json" 2>/dev/null)" = 2 ] && break
		sleep 0.1
	done
	spi=$(jq -r '[.children[] | select(.state == "established" and .protocol == "BFD")][0].spi_local' "$W/a/b.json")
	[ -n "$spi" ] && [ "$spi" != null ] || fail "no BFD child: $(jq -c .children "$W/a/b.json")"
	run "$RKMP_BIN/rkmpctl" -s "$W/a/ctl.sock" --json rekey b "$spi"
	if [ "$status" = 3 ]; then	# a timed rekey was out: once more
		sleep 0.5
		run "$RKMP_BIN/rkmpctl" -s "$W/a/ctl.sock" --json rekey b "$spi"
	fi
	[ "$status" = 0 ] || fail "exit $status: $output"
	jq -e --arg s "$spi" '.rekey.peer == "b" and .rekey.spi == $s and (.rekey.new_spi | test("^[0-9a-f]{2}$")) and .rekey.new_spi != $s' <<<"$output"
	new=$(jq -r .rekey.new_spi <<<"$output")
	jq -e --arg s "$new" '[.children[] | select(.spi_local == $s and .state == "established")] | length == 1' "$W/a/b.json"
	# an SPI none of a's children has (SPIs are one octet: ff may be one)
	free=$(free_spi "$W/a/b.json")
	run -1 --separate-stderr "$RKMP_BIN/rkmpctl" -s "$W/a/ctl.sock" rekey b "$free"
	[ "$stderr" = "rkmpctl: refused: b: no established child SA with our SPI $free" ]
}

@test "malformed and forged datagrams are ignored (logged at -v) and the daemon goes on" {
	need jq
	pair always "$CHILDREN"
	for _ in $(seq 100); do
		[ "$(jq -r .phase "$W/b/a.json" 2>/dev/null)" = established ] && break
		sleep 0.1
	done
	[ "$(jq -r .phase "$W/b/a.json")" = established ]
	before=$(cat "$W/b/a.json" | jq -c .ike_sa)
	spi_i=$(jq -r .ike_sa.spi_i "$W/b/a.json")
	spi_r=$(jq -r .ike_sa.spi_r "$W/b/a.json")
	# 300 datagrams: short ones, junk, and requests on the SA's SPIs whose ICV cannot verify
	# (each forged one written whole to a file first and sent with one write:
	# bash's printf writes up to each newline, and an SPI may hold a 0x0a)
	hdr="\\0\\0\\0\\0$(sed 's/../\\x&/g' <<<"$spi_i$spi_r")\\x2e\\x20\\x25\\x08\\x00\\x00\\x00\\x63\\x00\\x00\\x00\\x30\\x00\\x00\\x00\\x14"
	for i in $(seq 100); do
		printf '\0\0\0\0garbage %d' "$i" > /dev/udp/127.0.0.1/$PB
		printf 'x' > /dev/udp/127.0.0.1/$PB
		printf '%bforged-icv-%04d' "$hdr" "$i" > "$W/forged"
		cat "$W/forged" > /dev/udp/127.0.0.1/$PB
	done
	# (a loaded machine: the daemon may be in a slow fsync of a rekey when they come)
	for _ in $(seq 150); do
		run -0 "$RKMP_BIN/rkmpctl" --json -s "$W/b/ctl.sock" status a
		jq -e '.peers[0].ignored >= 100' <<<"$output" >/dev/null && break
		sleep 0.1
	done
	kill -0 "${PID[b]}"
	jq -e '.peers[0].phase == "established" and .peers[0].ignored >= 100' <<<"$output" ||
	    fail "$output; b logged $(grep -c 'ignored a' "$W/b/log") ignored datagrams, SPIs sent $spi_i $spi_r; $(tail -5 "$W/b/log")"
	grep -q "ignored a datagram" "$W/b/log"
	# the forged ones changed nothing of the SA: its message IDs are the peer's
	after=$(jq -c .ike_sa "$W/b/a.json")
	[ "$(jq -r .spi_r <<<"$after")" = "$(jq -r .spi_r <<<"$before")" ]
	# and the daemon still answers: a rekey after the flood
	r0=$(events b rekey tcp-ao)
	for _ in $(seq 100); do [ "$(events b rekey tcp-ao)" -gt "$r0" ] && break; sleep 0.1; done
	[ "$(events b rekey tcp-ao)" -gt "$r0" ] || fail "no rekey after the flood"
}

@test "a step tool refuses a state file the daemon holds (exit 3, naming rkmpd)" {
	need jq
	pair always "$CHILDREN"
	for _ in $(seq 100); do [ -f "$W/b/a.json" ] && break; sleep 0.1; done
	cp "$W/b/a.json" "$W/before.json"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b/a.json" --liveness -o "$W/x.bin"
	[[ "$stderr" == "rkmp-child: $W/b/a.json: state: locked by rkmpd pid ${PID[b]} since "* ]] || fail "$stderr"
	[ ! -e "$W/x.bin" ]
}

@test "configuration errors: one line naming the file and the key, exit 2, nothing started" {
	need jq
	conf a b "$PA" "$PB" always "$CHILDREN"
	c=$W/a/conf.json
	jq '.peers[0].children[0].lifetime = "8s"' "$c" > "$W/bad1.json"
	run -2 --separate-stderr "$RKMP_BIN/rkmpd" -f -c "$W/bad1.json"
	assert_equal "$stderr" "rkmpd: $W/bad1.json: usage: peers[0].children[0].lifetime: not an integer in 2..315360000"
	jq '.peers[0].lifetime = 8' "$c" > "$W/bad2.json"
	run -2 --separate-stderr "$RKMP_BIN/rkmpd" -f -c "$W/bad2.json"
	[[ "$stderr" == "rkmpd: $W/bad2.json: usage: peers[0].lifetime: unknown key (known here: name, "* ]] || fail "$stderr"
	jq --arg f "$W/none.psk" '.peers[0].psk_file = $f' "$c" > "$W/bad3.json"
	run -2 --separate-stderr "$RKMP_BIN/rkmpd" -f -c "$W/bad3.json"
	assert_equal "$stderr" "rkmpd: $W/bad3.json: usage: peers[0].psk_file: $W/none.psk: No such file or directory"
	jq '.peers[0].children[1].protocol = "esp"' "$c" > "$W/bad4.json"
	run -2 --separate-stderr "$RKMP_BIN/rkmpd" -f -c "$W/bad4.json"
	[[ "$stderr" == "rkmpd: $W/bad4.json: usage: peers[0].children[1].protocol: \"esp\" is not "* ]] || fail "$stderr"
	jq '.peers[0].start = "sometimes"' "$c" > "$W/bad5.json"
	run -2 --separate-stderr "$RKMP_BIN/rkmpd" -f -c "$W/bad5.json"
	assert_equal "$stderr" "rkmpd: $W/bad5.json: usage: peers[0].start: \"sometimes\" is not always, on-demand or respond"
	jq '.peers += [.peers[0]]' "$c" > "$W/bad6.json"
	run -2 --separate-stderr "$RKMP_BIN/rkmpd" -f -c "$W/bad6.json"
	assert_equal "$stderr" "rkmpd: $W/bad6.json: usage: peers[1].name: \"b\" twice (peers[0])"
	# nothing started: no socket, no state, no lock
	[ ! -e "$W/a/ctl.sock" ] && [ ! -e "$W/a/b.json" ] && [ ! -e "$W/a/b.json.lock" ]
	run -0 "$RKMP_BIN/rkmpd" --check -c "$c"
	assert_output "$c: 1 peer, configuration valid"
	run -2 "$RKMP_BIN/rkmpd"
	assert_line "rkmpd: -c FILE is required"
}

@test "rkmpctl without a daemon: exit 6, the socket named; --json: the error object" {
	run -6 --separate-stderr "$RKMP_BIN/rkmpctl" -s "$W/none.sock" status
	assert_equal "$stderr" "rkmpctl: $W/none.sock: transport: no daemon listens (connect: No such file or directory)"
	run -6 --separate-stderr "$RKMP_BIN/rkmpctl" --json -s "$W/none.sock" status
	assert_equal "$output" '{"error":{"class":"transport","exit":6,"where":"","detail":"no daemon listens (connect: No such file or directory)"}}'
	run -2 --separate-stderr "$RKMP_BIN/rkmpctl" --json bogus
	jq -e '.error.class == "usage" and .error.exit == 2' <<<"$output"
}
