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

keymat() {
	jq -r ".secrets.children[$2].keymat" "$W/$1.json"
}

@test "create TCP-AO, BFD, RSVP-TE and TCP-MD5 SAs, with and without PFS: matching keys, crossed SPIs" {
	established
	i=1
	for proto in tcp-ao bfd rsvp-te tcp-md5; do
		for pfs in "" x25519; do
			exchange a b "c$proto$pfs" --protocol "$proto" ${pfs:+--pfs "$pfs"} || fail "$proto $pfs"
			assert_equal "$(child a $i state)" established
			assert_equal "$(child a $i spi_local)" "$(child b $i spi_peer)"
			assert_equal "$(child a $i spi_peer)" "$(child b $i spi_local)"
			assert_equal "$(keymat a $i)" "$(keymat b $i)"
			[ "$(keymat a $i)" != "$(keymat a 0)" ]
			i=$((i + 1))
		done
	done
	assert_equal "$(child a 1 protocol)" TCP_AO
	assert_equal "$(child a 3 protocol)" BFD
	assert_equal "$(child a 5 protocol)" RSVP_TE
	assert_equal "$(jq -r '.children[5].spi_local | length' "$W/a.json")" 12
	# TCP-MD5 (DESIGN.md §2): Protocol ID 207, a 1-octet SPI, INTEG md5 as its label,
	# a 32-octet master key
	assert_equal "$(child a 7 protocol)" TCP_MD5
	assert_equal "$(jq -c '.children[7].transforms' "$W/a.json")" '[{"type":"INTEG","id":"AUTH_HMAC_MD5_96"}]'
	assert_equal "$(jq -r '.children[7].spi_local | length' "$W/a.json")" 2
	assert_equal "$(keymat a 7 | tr -d '\n' | wc -c)" 64
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/cbfdx25519.req" "$W/cbfdx25519.resp"
	assert_line --index 0 --partial "CREATE_CHILD_SA initiator request"
	assert_line --index 0 --partial "SK{SA Nonce KE}"
}

@test "rekey: N(REKEY_SA), a new child with new keys, the old one rekeyed; then delete it" {
	established
	old=$(child a 0 spi_local)
	run -0 exchange a b rk --rekey "$old" --pfs x25519
	assert_equal "$(child a 0 state)" rekeyed
	assert_equal "$(child b 0 state)" rekeyed
	assert_equal "$(child a 1 state)" established
	assert_equal "$(keymat a 1)" "$(keymat b 1)"
	[ "$(child a 1 spi_local)" != "$old" ]
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/rk.req"
	assert_output --partial "SK{N(REKEY_SA) SA Nonce KE}"
	run -0 exchange a b del --delete "$old"
	assert_equal "$(child a 0 state)" deleted
	assert_equal "$(child b 0 state)" deleted
	assert_equal "$(child a 1 state)" established
}

@test "the responder of the RKMP SA may start: liveness, a child, deleting the RKMP SA" {
	established
	run -0 exchange b a live --liveness
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/live.req" "$W/live.resp"
	assert_line --index 0 --partial "INFORMATIONAL responder request mid 0"
	assert_line --index 0 --partial "[SK{}]"
	run -0 exchange b a c --protocol bfd
	assert_equal "$(keymat a 1)" "$(keymat b 1)"
	run -0 exchange b a dike --delete-ike
	assert_equal "$(jq -r .phase "$W/a.json")" deleted
	assert_equal "$(jq -r .phase "$W/b.json")" deleted
	# an orderly delete keeps the children (rkmp-karp.md §8)
	assert_equal "$(child a 0 state)" established
}

@test "ikev2 profile: an ESP child with TSi/TSr after a childless RKMP_SA_AUTH" {
	init_pair --profile ikev2 -- --profile ikev2
	auth_pair --childless
	run -0 exchange a b esp
	assert_equal "$(child a 0 protocol)" ESP
	assert_equal "$(keymat a 0)" "$(keymat b 0)"
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
	assert_equal "$(keymat a 2)" "$(keymat b 2)"
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
