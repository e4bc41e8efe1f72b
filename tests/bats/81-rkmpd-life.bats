#!/usr/bin/env bats
# rkmpd keeping SAs alive (rkmpd(8) LIFETIMES): both sides rekey their
# children (RFC 7296 §2.8.1 when two rekeys cross), the RKMP SA rekeyed before
# ike_lifetime, DPD, kill -9 and restart, a peer restarted with a fresh
# state.  Two daemons on 127.0.0.1 with lifetimes of a few seconds.

load helpers
load rkmpd-helpers

setup() {
	need jq
	rkmpd_setup hook
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
	# (one jq a sample: 3 rekey events of each child in a's file, a's RKMP SA
	# no longer spi0; false while the events file has a line half written)
	until jq -en --arg s0 "$spi0" 'input as $st | [inputs | select(.event == "rekey") | .protocol] as $r
	    | ([$r[] | select(. == "tcp-ao")] | length) >= 3 and ([$r[] | select(. == "bfd")] | length) >= 3
	    and ($st.ike_sa.spi_i + ":" + $st.ike_sa.spi_r) != $s0' "$W/a/b.json" "$W/a/events.json" >/dev/null 2>&1; do
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

@test "two rekeys of one child cross (RFC 7296 §2.8.1): the redundant one is deleted by the side that made it, one child per protocol left, the same keys" {
	# (a margin of 4 s: the old child goes 1 + 2 s after its rekey, RFC 7210 δ and G)
	children='[{"protocol": "tcp-ao", "lifetime": 600, "rekey_margin": 4}]'
	established_pair "$children"
	crossed=0
	for _ in 1 2 3 4 5; do
		sa=$(jq -r '[.children[] | select(.state == "established")][0].spi_local' "$W/a/b.json")
		sb=$(jq -r '[.children[] | select(.state == "established")][0].spi_local' "$W/b/a.json")
		# both held still, both asked, both let go at once: the requests cross
		kill -STOP "${PID[a]}" "${PID[b]}"
		"$RKMP_BIN/rkmpctl" -s "$W/a/ctl.sock" rekey b "$sa" > "$W/ra.out" 2>&1 &
		ra=$!
		"$RKMP_BIN/rkmpctl" -s "$W/b/ctl.sock" rekey a "$sb" > "$W/rb.out" 2>&1 &
		rb=$!
		sleep 0.3
		kill -CONT "${PID[a]}" "${PID[b]}"
		wait "$ra" "$rb" || true
		if grep -q "simultaneous rekey" "$W/a/log" "$W/b/log"; then
			crossed=1
			break
		fi
		sleep 0.3
	done
	[ "$crossed" = 1 ] || skip "the two requests did not cross in 5 tries (a busy machine)"
	# the side whose child had the lowest nonce deleted it; one TCP-AO child each side
	one() { [ "$(jq '[.children[] | select(.state == "established")] | length' "$W/$1/$2.json")" = 1 ]; }
	wait_for 5 "one child on a" one a b
	wait_for 5 "one child on b" one b a
	ca=$(jq -c '[.children[] | select(.state == "established")][0] | [.spi_local, .spi_peer]' "$W/a/b.json")
	cb=$(jq -c '[.children[] | select(.state == "established")][0] | [.spi_peer, .spi_local]' "$W/b/a.json")
	assert_equal "$ca" "$cb"
	grep -h "simultaneous rekey" "$W/a/log" "$W/b/log" | grep -q "is redundant and is deleted"
	# the winner deleted the old child, the loser its redundant one: nothing rekeyed twice
	one_old() { [ "$(jq '[.children[] | select(.state == "rekeyed")] | length' "$W/$1/$2.json")" = 0 ]; }
	wait_for 8 "old child deleted" one_old a b
	wait_for 3 "old child deleted on b" one_old b a
	same_keys || fail "key tables differ"
	! grep -q "RKMP SA failed" "$W/a/log" "$W/b/log"
}

@test "DPD: a stopped peer is found dead after dpd seconds and the retransmissions (rows revoked, event, hook), and reconnected to when it is back" {
	children='[{"protocol": "tcp-ao", "lifetime": 600, "rekey_margin": 60}]'
	conf a b "$PA" "$PB" always "$children" ', "dpd": 1' ', "retransmit_timeout": 1, "retransmit_tries": 2'
	conf b a "$PB" "$PA" respond "$children" ', "dpd": 30'
	start b
	start a
	wait_for 10 "established SA" established a b
	wait_for 5 "a DPD probe answered" grep -q "the peer is alive" "$W/a/log"
	grep -q "DPD: nothing from 127.0.0.1:$PB for" "$W/a/log"
	[ "$(jq '.rows | length' "$W/a/kt.json")" -ge 1 ]
	kill -STOP "${PID[b]}"
	wait_for 15 "DPD failure" grep -q "RKMP SA failed: DPD: no answer from 127.0.0.1:$PB after 2 retransmissions" "$W/a/log"
	[ "$(jq '.rows | length' "$W/a/kt.json")" = 0 ] || fail "rows left: $(jq -c .rows "$W/a/kt.json")"
	# RP_revokeSA: one event for the SA, its children named
	[ "$(events a revoke)" = 1 ]
	grep -q "^revoke" "$W/a/hook.log"
	jq -e '.phase == "failed" and (.reason | startswith("DPD: no answer"))' "$W/a/b.json"
	# back: a initiates again after its back-off (10 s); b's old SA is replaced
	kill -CONT "${PID[b]}"
	again() { sed -n '/RKMP SA failed/,$p' "$W/a/log" | grep -q "initiating to 127.0.0.1 port $PB"; }
	wait_for 20 "reconnection" again
	wait_for 10 "established again" established a b
	wait_for 5 "b on the new SA" jq -e --arg s "$(jq -r .ike_sa.spi_i "$W/a/b.json")" '.ike_sa.spi_i == $s and .phase == "established"' "$W/b/a.json"
	same_keys || fail "key tables differ after the reconnection"
}

@test "kill -9 and restart: resumed from the state file, the same RKMP SA, the children's lifetimes counted from their creation" {
	children='[{"protocol": "tcp-ao", "lifetime": 12, "rekey_margin": 4}]'
	conf a b "$PA" "$PB" always "$children"
	conf b a "$PB" "$PA" respond "$children"
	start b
	start a
	wait_for 10 "established SA" established a b
	spi=$(jq -r .ike_sa.spi_i "$W/a/b.json")
	created=$(jq '[.children[] | select(.state == "established")][0].created' "$W/a/b.json")
	[ "$created" -gt 1700000000 ] || fail "no creation time: $created"
	sleep 3
	kill -9 "${PID[a]}"
	wait "${PID[a]}" 2>/dev/null || true
	rm -f "$W/a/ctl.sock"
	start a
	grep -q "resumed from $W/a/b.json: established, initiator" "$W/a/log"
	run -0 "$RKMP_BIN/rkmpctl" --json -s "$W/a/ctl.sock" status b
	jq -e --arg s "$spi" '.peers[0].spi_i == $s' <<<"$output"
	# lifetime left: 12 s from the creation time, not from the restart
	left=$(jq '.peers[0].children[0].lifetime_left' <<<"$output")
	want=$((created + 12 - $(date +%s)))
	[ "$left" -le $((want + 1)) ] && [ "$left" -ge $((want - 1)) ] || fail "lifetime left $left, expected $want"
	# the SA goes on: the child is rekeyed on time, on the same RKMP SA, no new RKMP_SA_INIT
	wait_for 15 "a rekey after the restart" at_least 1 events a rekey tcp-ao
	assert_equal "$(jq -r .ike_sa.spi_i "$W/a/b.json")" "$spi"
	[ "$(grep -c "RKMP_SA_INIT answered" "$W/b/log")" = 1 ]
	same_keys || fail "key tables differ"
	# the new keys checked like the others: a child's rekey_of not of its SPI's size is refused
	jq '.children[0].rekey_of = "0102" | .children[0].initiator = true' "$W/a/b.json" > "$W/bad.json"
	chmod 600 "$W/bad.json"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-decode" -s "$W/bad.json" /dev/null
	assert_equal "$stderr" "rkmp-decode: $W/bad.json: state: children[0].rekey_of: 2 octets != spi_local's 1"
}

@test "a peer restarted with a fresh state: its new RKMP_SA_INIT is answered, and once authenticated the new SA replaces the old one (rows revoked, then inserted)" {
	children='[{"protocol": "tcp-ao", "lifetime": 600, "rekey_margin": 60}, {"protocol": "bfd", "lifetime": 600, "rekey_margin": 60}]'
	established_pair "$children"
	old=$(jq -r .ike_sa.spi_i "$W/b/a.json")
	kill -9 "${PID[a]}"
	wait "${PID[a]}" 2>/dev/null || true
	rm -f "$W/a/ctl.sock" "$W/a/b.json" "$W/a/kt.json" "$W/a/events.json"
	start a
	wait_for 10 "established SA" established a b
	new=$(jq -r .ike_sa.spi_i "$W/a/b.json")
	[ "$new" != "$old" ]
	wait_for 5 "b on the new SA" jq -e --arg s "$new" '.ike_sa.spi_i == $s' "$W/b/a.json"
	wait_for 5 "b's children" established b a
	grep -q "a new RKMP_SA_INIT request from the peer while our RKMP SA $old" "$W/b/log"
	grep -q "it replaces $old" "$W/b/log"
	# b: the old SA revoked (one event, its rows), then the new children inserted;
	# no .new.json left
	[ "$(events b revoke)" = 1 ]
	[ "$(grep -c '^revoke' "$W/b/hook.log")" = 1 ]
	[ "$(events b insert)" = 4 ]
	[ ! -e "$W/b/a.new.json" ]
	same_keys || fail "key tables differ"
	[ "$(jq '.rows | length' "$W/b/kt.json")" = 2 ]
}

@test "a new RKMP_SA_INIT that fails its authentication leaves the established SA as it was" {
	children='[{"protocol": "tcp-ao", "lifetime": 600, "rekey_margin": 60}]'
	established_pair "$children"
	cp "$W/b/a.json" "$W/before.json"
	rows=$(jq -c .rows "$W/b/kt.json")
	# someone at a's address with another key
	printf 'not-the-psk-0123456789\n' > "$W/bad.psk"
	chmod 600 "$W/bad.psk"
	run -0 "$RKMP_BIN/rkmp-init" -q -s "$W/x.json" --peer "127.0.0.1:$PB" --local "127.0.0.1:$((PB + 1))" \
	    --id fqdn:a.rkmpd.test --retransmit 1,1.8,2
	grep -q "a new RKMP_SA_INIT request from the peer while our RKMP SA" "$W/b/log"
	run "$RKMP_BIN/rkmp-auth" -q -s "$W/x.json" --peer "127.0.0.1:$PB" --psk-file "$W/bad.psk" \
	    --retransmit 1,1.8,1
	[ "$status" != 0 ]
	wait_for 5 "the abandoned SA" grep -q "the new RKMP SA of the peer's failed: the established one" "$W/b/log"
	jq -e --slurpfile o "$W/before.json" '.ike_sa.spi_i == $o[0].ike_sa.spi_i and .phase == "established"' "$W/b/a.json"
	assert_equal "$(jq -c .rows "$W/b/kt.json")" "$rows"
	[ ! -e "$W/b/a.new.json" ]
	# (the failed negotiation has its own revoke event, of no rows; the old SA none)
	run -0 jq -s --slurpfile o "$W/before.json" '[.[] | select(.event == "revoke" and (.rkmp_sa | tostring | contains($o[0].ike_sa.spi_i)))] | length' "$W/b/events.json"
	assert_output 0
}

@test "configuration: retransmit_tries out of range is refused with the key and the range, exit 2" {
	conf a b "$PA" "$PB" always '[{"protocol": "tcp-ao"}]' '' ', "retransmit_tries": 99'
	run -2 "$RKMP_BIN/rkmpd" --check -c "$W/a/conf.json"
	assert_output --regexp "^rkmpd: .*conf\.json: usage: retransmit_tries: .*0\.\.20"
	[ "${#lines[@]}" = 1 ]
}
