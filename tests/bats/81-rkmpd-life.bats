#!/usr/bin/env bats
# rkmpd keeping SAs alive (rkmpd(8) LIFETIMES): both sides rekey their
# children (RFC 7296 §2.8.1 when two rekeys cross), the RKMP SA rekeyed before
# ike_lifetime, DPD, kill -9 and restart, a peer restarted with a fresh
# state.  Two daemons on 127.0.0.1 with lifetimes of a few seconds.

load helpers
load rkmpd-helpers

setup() {
	need jq
	rkmpd_setup
}

teardown() {
	rkmpd_teardown
}

@test "both sides rekey: the same keys in both tables at every sample, three rekeys of each child with overlap, events and hook calls match, the RKMP SA rekeyed at ike_lifetime" {
	# TCP-AO: b's margin is the larger, so b (the responder) rekeys it; BFD: a's
	conf a b "$PA" "$PB" always '[{"protocol": "tcp-ao", "lifetime": 6, "rekey_margin": 2},
	    {"protocol": "bfd", "pfs": "x25519", "lifetime": 6, "rekey_margin": 3}]' ', "ike_lifetime": 10'
	conf b a "$PB" "$PA" respond '[{"protocol": "tcp-ao", "lifetime": 6, "rekey_margin": 3},
	    {"protocol": "bfd", "pfs": "x25519", "lifetime": 6, "rekey_margin": 2}]' ', "ike_lifetime": 10'
	start b
	start a
	wait_for 10 "established SA" established a b
	spi0=$(jq -r '.ike_sa.spi_i + ":" + .ike_sa.spi_r' "$W/a/b.json")
	samples=0
	end=$((SECONDS + 25))
	until [ "$(events a rekey tcp-ao)" -ge 3 ] && [ "$(events a rekey bfd)" -ge 3 ] &&
	    [ "$(jq -r '.ike_sa.spi_i + ":" + .ike_sa.spi_r' "$W/a/b.json")" != "$spi0" ]; do
		[ "$SECONDS" -lt "$end" ] || { tail -n 40 "$W/a/log"; fail "fewer than 3 rekeys of each child, or no RKMP SA rekey"; }
		same_keys || fail "the two key tables differ (sample $samples)"
		samples=$((samples + 1))
		sleep 0.4
	done
	[ "$samples" -ge 5 ] || fail "only $samples samples"
	# each side rekeyed the child its margin gives it: b's requests, a's answers
	# (the other side's timer may fire when one was busy: at least two each)
	[ "$(grep -c "rekey request: TCP_AO" "$W/b/log")" -ge 2 ] || fail "b sent fewer than 2 TCP-AO rekeys"
	[ "$(grep -c "rekey request: BFD" "$W/a/log")" -ge 2 ] || fail "a sent fewer than 2 BFD rekeys"
	# the rekeying side deletes the old child
	grep -q "deleted 1 child SA" "$W/a/log"
	grep -q "deleted 1 child SA" "$W/b/log"
	# RFC 7210 §6 overlap on both sides: each replaced row stops sending where its
	# successor starts and is accepted for a while after that
	for s in a b; do
		run -0 jq -r '.rows | group_by(.Protocol)[] | sort_by(.SendLifetimeStart) | . as $r
		    | range(1; length) as $i | $r[$i - 1] as $o | $r[$i] as $n
		    | select($o.SendLifetimeEnd == $n.SendLifetimeStart and $o.AcceptLifetimeEnd > $o.SendLifetimeEnd)
		    | $o.Protocol' "$W/$s/kt.json"
		[ "$(grep -c '^tcp-ao$' <<<"$output")" -ge 3 ] || fail "$s: TCP-AO rows without overlap: $output"
		[ "$(grep -c '^bfd$' <<<"$output")" -ge 3 ] || fail "$s: BFD rows without overlap: $output"
	done
	# the hook was called once per event, with the event's kind and protocol
	sleep 0.3
	for s in a b; do
		run -0 jq -r '"\(.event) \(.protocol)"' "$W/$s/events.json"
		assert_equal "$(sort <<<"$output")" "$(sort "$W/$s/hook.log")"
	done
	# the RKMP SA was rekeyed (RKMP_CHILD_REKEY_IKE, then the old SA's Delete): new
	# SPIs in both states and in status, the children rekeyed on it
	wait_for 5 "old RKMP SA deleted" jq -e '.ike_sa.old == null' "$W/a/b.json"
	spi=$(jq -r '.ike_sa.spi_i + ":" + .ike_sa.spi_r' "$W/a/b.json")
	assert_equal "$(jq -r '.ike_sa.spi_i + ":" + .ike_sa.spi_r' "$W/b/a.json")" "$spi"
	run -0 "$RKMP_BIN/rkmpctl" --json -s "$W/b/ctl.sock" status a
	assert_equal "$(jq -r '.peers[0] | .spi_i + ":" + .spi_r' <<<"$output")" "$spi"
	grep -Eq "RKMP SA rekeyed(: new SPIs| by the peer)" "$W/a/log"
	n=$(events a rekey)
	wait_for 8 "child rekey on the new RKMP SA" at_least $((n + 1)) events a rekey
	same_keys || fail "tables differ after the RKMP SA rekey"
	# rkmp-decode -s: b's state decrypts a's last request on the new SA
	jq -r '[.transcript[] | select(.dir == "sent" and .response == false)] | last | .message' "$W/a/b.json" | xxd -r -p > "$W/last.bin"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" --json -s "$W/b/a.json" "$W/last.bin"
	jq -e --arg i "${spi%%:*}" '.spi_i == $i and .payloads[0].decrypted == true and .payloads[0].icv_ok == true' <<<"$output" || fail "$output"
}
