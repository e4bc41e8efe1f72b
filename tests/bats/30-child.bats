#!/usr/bin/env bats
# rkmp-child: child SAs after RKMP_SA_AUTH: create (TCP-AO, BFD, RSVP-TE, TCP-MD5, ESP;
# with and without PFS), rekey, delete, delete of the RKMP SA, liveness;
# either side starting; over files and over UDP; failures.

load helpers
load step-helpers

setup() {
	setup_step
}

teardown() {
	teardown_step
}

child() {	# child FILE INDEX FIELD
	jq -r ".children[$2].$3" "$W/$1.json"
}

@test "create TCP-AO, BFD, RSVP-TE and TCP-MD5 SAs, with and without PFS: matching keys, crossed SPIs" {
	established
	i=1
	for proto in tcp-ao bfd rsvp-te tcp-md5; do
		for pfs in "" x25519; do
			exchange a b "c$proto$pfs" --protocol "$proto" ${pfs:+--pfs "$pfs"} || fail "$proto $pfs"
			# state, crossed SPIs, the same KEYMAT on both sides (there), not the first child's
			pair_jq '$a.children['$i'] as $c | $b.children['$i'] as $d | $c.state,
			    $c.spi_local == $d.spi_peer and $c.spi_local != null,
			    $c.spi_peer == $d.spi_local and $c.spi_peer != null,
			    $a.secrets.children['$i'].keymat == $b.secrets.children['$i'].keymat,
			    ($a.secrets.children['$i'].keymat | test("^[0-9a-f]+$")),
			    $a.secrets.children['$i'].keymat != $a.secrets.children[0].keymat'
			assert_equal "${v[*]}" "established true true true true true"
			i=$((i + 1))
		done
	done
	# TCP-MD5 (DESIGN.md §2): Protocol ID 207, a 1-octet SPI, INTEG md5 as its label,
	# a 32-octet master key
	pair_jq '$a.children[1].protocol, $a.children[3].protocol, $a.children[5].protocol,
	    ($a.children[5].spi_local | length), $a.children[7].protocol, ($a.children[7].transforms | tojson),
	    ($a.children[7].spi_local | length), ($a.secrets.children[7].keymat | length)'
	assert_equal "${v[0]} ${v[1]} ${v[2]}" "TCP_AO BFD RSVP_TE"
	assert_equal "${v[3]}" 12
	assert_equal "${v[4]}" TCP_MD5
	assert_equal "${v[5]}" '[{"type":"INTEG","id":"AUTH_HMAC_MD5_96"}]'
	assert_equal "${v[6]}" 2
	assert_equal "${v[7]}" 64
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/cbfdx25519.req" "$W/cbfdx25519.resp"
	assert_line --index 0 --partial "CREATE_CHILD_SA initiator request"
	assert_line --index 0 --partial "SK{SA Nonce KE}"
}

@test "rekey: N(REKEY_SA), a new child with new keys, the old one rekeyed; then delete it" {
	established
	old=$(child a 0 spi_local)
	run -0 exchange a b rk --rekey "$old" --pfs x25519
	pair_jq '$a.children[0].state, $b.children[0].state, $a.children[1].state, $a.secrets.children[1].keymat,
	    $b.secrets.children[1].keymat, $a.children[1].spi_local'
	assert_equal "${v[0]} ${v[1]} ${v[2]}" "rekeyed rekeyed established"
	[[ "${v[3]}" =~ ^[0-9a-f]+$ ]] || fail "KEYMAT ${v[3]}"
	assert_equal "${v[3]}" "${v[4]}"
	[ "${v[5]}" != "$old" ] || fail "the new child has the old SPI"
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/rk.req"
	assert_output --partial "SK{N(REKEY_SA) SA Nonce KE}"
	run -0 exchange a b del --delete "$old"
	# the deleted child's keys are wiped from both states, the live one's kept
	pair_jq '$a.children[0].state, $b.children[0].state, $a.children[1].state,
	    ($a.secrets.children[0].keymat // "none"), ($b.secrets.children[0].keymat // "none"),
	    ($a.secrets.children[1].keymat | length > 0)'
	assert_equal "${v[*]}" "deleted deleted established none none true"
}

@test "the responder of the RKMP SA may start: liveness, a child, deleting the RKMP SA" {
	established
	run -0 exchange b a live --liveness
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/live.req" "$W/live.resp"
	assert_line --index 0 --partial "INFORMATIONAL responder request mid 0"
	assert_line --index 0 --partial "[SK{}]"
	run -0 exchange b a c --protocol bfd
	run -0 same_keymat 1
	run -0 exchange b a dike --delete-ike
	# an orderly delete keeps the children (rkmp-karp.md §8)
	pair_jq '$a.phase, $b.phase, $a.children[0].state'
	assert_equal "${v[*]}" "deleted deleted established"
}

@test "ikev2 profile: an ESP child with TSi/TSr after a childless RKMP_SA_AUTH" {
	init_pair --profile ikev2 -- --profile ikev2
	auth_pair --childless
	run -0 exchange a b esp
	assert_equal "$(child a 0 protocol)" ESP
	run -0 same_keymat 0
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/esp.req"
	assert_output --partial "SK{SA Nonce TSi TSr}"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" --protocol nosuch -o "$W/x.req"
}

@test "one request at a time; wrong phase; a repeated request is answered again" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -o "$W/1.bin"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -o "$W/x.req"
	[[ "$stderr" == *"init-sent"* ]]
	rm -f "$W"/*.json
	established
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --liveness -o "$W/l.req"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" --liveness -o "$W/l2.req"
	[[ "$stderr" == *"still unanswered"* ]]
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/l.req" -o "$W/l.resp"
	cp "$W/b.json" "$W/b.before"
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/l.req" -o "$W/l.again"
	cmp "$W/l.resp" "$W/l.again"
	cmp "$W/b.json" "$W/b.before"
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/l.resp"
}

@test "a tampered request: exit 1 (ICV mismatch), the responder's state untouched" {
	established
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --protocol bfd -o "$W/c.req"
	cp "$W/b.json" "$W/b.before"
	size=$(stat -c %s "$W/c.req")
	last=$(od -An -tu1 -j $((size - 1)) -N1 "$W/c.req" | tr -d ' ')
	printf "\\x$(printf %02x $((last ^ 1)))" | dd of="$W/c.req" bs=1 seek=$((size - 1)) conv=notrunc status=none
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/c.req" -o "$W/c.resp"
	[[ "$stderr" == *"ICV mismatch"* ]]
	cmp "$W/b.json" "$W/b.before"
}

@test "no common child proposal: NO_PROPOSAL_CHOSEN, the child refused, the RKMP SA lives on" {
	init_pair
	auth_pair
	# the responder only takes AES-CMAC TCP-AO children from now on
	jq '.child_proposals = "aescmac-tcpopts"' "$W/b.json" > "$W/b2.json"; mv "$W/b2.json" "$W/b.json"; chmod 600 "$W/b.json"
	jq '.child_proposals = "sha1-tcpopts"' "$W/a.json" > "$W/a2.json"; mv "$W/a2.json" "$W/a.json"; chmod 600 "$W/a.json"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -o "$W/c.req"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/c.req" -o "$W/c.resp"
	[[ "$stderr" == *"NO_PROPOSAL_CHOSEN"* ]]
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/c.resp"
	[[ "$stderr" == *"refused by the peer: NO_PROPOSAL_CHOSEN"* ]]
	assert_equal "$(jq -r .phase "$W/a.json")" established
	run -0 exchange a b live --liveness
}

@test "over UDP: create with PFS, rekey, delete, liveness; the responder answers whichever comes" {
	established
	for op in "--protocol bfd --pfs ecp256" "--rekey $(child a 0 spi_local)" "--delete $(child a 0 spi_local)" "--liveness"; do
		"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 10 &
		RPID=$!
		sleep 0.2
		# shellcheck disable=SC2086
		"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" $op --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3 || fail "$op"
		wait "$RPID" || fail "responder: $op"
		RPID=
	done
	assert_equal "$(child a 0 state)" deleted
	assert_equal "$(child a 1 state)" established
	run -0 same_keymat 2
}

@test "a state missing a member its phase needs: exit 3 naming it, nothing written, the state byte for byte" {
	established
	local f member
	for f in '.secrets:secrets' '.ike_sa.iv_counter_out:ike_sa.iv_counter_out' \
	    '.ike_sa.mid_next:ike_sa.mid_next' '.ike_sa:ike_sa'; do
		member=${f#*:}
		jq "del(${f%%:*})" "$W/a.json" > "$W/s.json"
		chmod 600 "$W/s.json"
		cp "$W/s.json" "$W/s.before"
		rm -f "$W/out.bin"
		run -3 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/s.json" --liveness -o "$W/out.bin"
		assert_equal "$output" ""
		assert_equal "$stderr" "rkmp-child: $W/s.json: state: $member: missing (phase established needs it)"
		[ ! -s "$W/out.bin" ]
		cmp "$W/s.json" "$W/s.before"
	done
	# the whole state still works
	exchange a b live --liveness
}
