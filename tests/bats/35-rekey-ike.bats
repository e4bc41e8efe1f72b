#!/usr/bin/env bats
# rkmp-child --rekey-ike: rekeying the RKMP SA itself (RFC 7296 §1.3.2, §2.18)
# by either side, over files and over UDP; the old SA's Delete; children that
# move over; tampered datagrams; and the requester's INVALID_KE_PAYLOAD retry
# of CREATE_CHILD_SA (child with --pfs, and the rekey of the RKMP SA).

load helpers
load step-helpers

setup() {
	setup_step
}

teardown() {
	teardown_step
}

# rekey_files FROM TO NAME: the four messages of a rekey of the RKMP SA over files
rekey_files() {
	local from=$1 to=$2 n=$3
	"$RKMP_BIN/rkmp-child" -q -s "$W/$from.json" --rekey-ike -o "$W/$n.1" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$to.json" --respond -i "$W/$n.1" -o "$W/$n.2" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$from.json" -i "$W/$n.2" -o "$W/$n.3" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$to.json" --respond -i "$W/$n.3" -o "$W/$n.4" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$from.json" -i "$W/$n.4"
}

st() {	# st FILE JQ
	jq -r "$2" "$W/$1.json"
}

# edit a state file with jq, keeping its mode
edit() {	# edit FILE JQ
	jq "$2" "$W/$1.json" > "$W/$1.tmp" && mv "$W/$1.tmp" "$W/$1.json" && chmod 600 "$W/$1.json"
}

flip_last() {	# flip_last FILE: change the last octet (inside the ICV/tag)
	local size last
	size=$(stat -c %s "$1")
	last=$(od -An -tu1 -j $((size - 1)) -N1 "$1" | tr -d ' ')
	printf "\\x$(printf %02x $((last ^ 1)))" | dd of="$1" bs=1 seek=$((size - 1)) conv=notrunc status=none
}

@test "the original initiator rekeys the RKMP SA over files: new SPIs and keys on both sides, the old SA deleted, children kept" {
	established
	pair_jq '$a.ike_sa.spi_i, $a.ike_sa.spi_r, $a.secrets.children[0].keymat'
	old_i=${v[0]} old_r=${v[1]} child_keymat=${v[2]}
	[[ "$child_keymat" =~ ^[0-9a-f]+$ ]] || fail "KEYMAT $child_keymat"
	cp "$W/a.json" "$W/a.before.json"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" --rekey-ike -o "$W/r.1"
	[[ "$stderr" == *"RKMP SA rekey request: our new SPI "* ]]
	pair_jq '$a.ike_sa.pending.ike_spi, $a.ike_sa.pending.op'
	new_i=${v[0]}
	assert_equal "${v[1]}" 6
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/r.1" -o "$W/r.2"
	[[ "$stderr" == *"RKMP SA rekeyed by the peer: new SPIs $new_i:"*"waiting for its Delete of the old one"* ]]
	pair_jq '$b.ike_sa.spi_i, $b.ike_sa.old.spi_i, $b.ike_sa.old.role, ($b.secrets.old_sk_ei | type)'
	assert_equal "${v[*]}" "$new_i $old_i responder string"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" --json -i "$W/r.2" -o "$W/r.3"
	[[ "$stderr" == "" ]]
	pair_jq '$out.spi_i, $out.spi_r, $b.ike_sa.spi_r, $out.role, $out.note, $a.ike_sa.pending.op, $a.ike_sa.old.spi_r' \
	    --argjson out "$output"
	assert_equal "${v[0]}" "$new_i"
	assert_equal "${v[1]}" "${v[2]}"
	assert_equal "${v[3]}" initiator
	[[ "${v[4]}" == "RKMP SA rekeyed: new SPIs $new_i:"*"; deleting the old one ($old_i:$old_r)" ]] || fail "note ${v[4]}"
	assert_equal "${v[5]} ${v[6]}" "7 $old_r"
	run -0 same_keys
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/r.3" -o "$W/r.4"
	[[ "$stderr" == *"the peer deleted the old RKMP SA $old_i:$old_r; the RKMP SA goes on as $new_i:"* ]]
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/r.4"
	[[ "$stderr" == *"the old RKMP SA $old_i:$old_r is deleted"* ]]
	# each side: established, nothing of the old SA or the rekey left, Message IDs from 0,
	# the child kept with its KEYMAT
	run -0 jq -r '[.phase, (.ike_sa.old // "none"), (.ike_sa.pending // "none"), (.secrets.old_sk_ei // "none"),
	    (.secrets.dh_private // "none"), .ike_sa.mid_next, .ike_sa.mid_peer, .children[0].state,
	    .secrets.children[0].keymat == $k] | map(tostring) | join(" ")' --arg k "$child_keymat" "$W/a.json" "$W/b.json"
	assert_output $'established none none none none 0 0 established true\nestablished none none none none 0 0 established true'
	pair_jq '$a.role, $b.role, $a.ike_sa.spi_i, $a.ike_sa.spi_r, $a.secrets.sk_d, $before[0].secrets.sk_d' \
	    --slurpfile before "$W/a.before.json"
	assert_equal "${v[0]} ${v[1]}" "initiator responder"
	[ "${v[2]}" != "$old_i" ] || fail "SPIi kept"
	[ "${v[3]}" != "$old_r" ] || fail "SPIr kept"
	[ "${v[4]}" != "${v[5]}" ] || fail "SK_d kept"
	run -0 same_keys
	# the exchange as rkmp-decode shows it: the old state's keys for the old SA's messages
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.before.json" "$W/r.1" "$W/r.2" "$W/r.3" "$W/r.4"
	assert_line --index 0 --partial "CREATE_CHILD_SA initiator request"
	assert_line --index 0 --partial "$old_i:$old_r"
	assert_line --index 0 --partial "SK{SA Nonce KE}"
	assert_line --index 1 --partial "SK{SA Nonce KE}"
	assert_line --index 2 --partial "INFORMATIONAL initiator request"
	assert_line --index 2 --partial "SK{D(IKE)}"
	run -0 "$RKMP_BIN/rkmp-decode" -q -v -s "$W/a.before.json" "$W/r.1"
	assert_output --partial "spi $new_i"
	# children after the rekey: a new one with PFS, a rekey of the first, from either side
	run -0 exchange a b c1 --protocol bfd --pfs x25519
	run -0 same_keymat 1
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/c1.req" "$W/c1.resp"
	assert_line --index 0 --partial "$(st a .ike_sa.spi_i):$(st a .ike_sa.spi_r)"
	assert_line --index 0 --partial "mid 0"
	assert_line --index 0 --partial "SK{SA Nonce KE}"
	run -0 exchange b a c2 --rekey "$(st b '.children[0].spi_local')"
	assert_equal "$(st a '.children[0].state')" rekeyed
	run -0 same_keymat 2
	run -0 exchange b a live --liveness
}

@test "the original responder rekeys (ikev2, CBC+HMAC, an ESP child): the roles swap, then rekeys chain" {
	init_pair --profile ikev2 --proposal aes256-sha256-modp2048 -- --profile ikev2
	auth_pair --childless
	run -0 exchange a b esp
	esp=$(st a '.secrets.children[0].keymat')
	old_i=$(st a .ike_sa.spi_i)
	run -0 rekey_files b a r
	assert_equal "$(st b .role)" initiator
	assert_equal "$(st a .role)" responder
	assert_equal "$(st b .ike_sa.spi_i)" "$(st a .ike_sa.spi_i)"
	[ "$(st a .ike_sa.spi_i)" != "$old_i" ]
	[ "$(st a .secrets.sk_ai | wc -c)" -eq 65 ]
	run -0 same_keys
	assert_equal "$(st a '.secrets.children[0].keymat')" "$esp"
	# the delete went out on the old SA from its responder: no I flag
	run -0 "$RKMP_BIN/rkmp-decode" -q "$W/r.3"
	assert_output --partial "INFORMATIONAL responder request"
	# a child, then a rekey back the other way
	run -0 exchange a b esp2
	run -0 same_keymat 1
	run -0 rekey_files a b r2
	assert_equal "$(st a .role)" initiator
	run -0 same_keys
	run -0 exchange b a esp3 --rekey "$(st b '.children[1].spi_local')" --pfs modp2048
	run -0 same_keymat 2
}

@test "files: the requester's answer step needs -o for the Delete of the old SA; without it nothing changes" {
	established
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey-ike -o "$W/r.1"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/r.1" -o "$W/r.2"
	cp "$W/a.json" "$W/a.before"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/r.2"
	[[ "$stderr" == *"give -o FILE for our next request"* ]]
	cmp "$W/a.json" "$W/a.before"
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/r.2" -o "$W/r.3"
	# one request at a time: nothing else before the Delete is answered
	run -3 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" --liveness -o "$W/x"
	[[ "$stderr" == *"still unanswered"* ]]
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/r.3" -o "$W/r.4"
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/r.4"
	run -0 same_keys
}

@test "files: a repeated rekey request is answered again; tampered rekey, answer and Delete leave the states byte for byte" {
	established
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey-ike -o "$W/r.1"
	cp "$W/r.1" "$W/bad.1"
	flip_last "$W/bad.1"
	cp "$W/b.json" "$W/b.before"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/bad.1" -o "$W/x"
	[[ "$stderr" == *"ICV mismatch"* ]]
	cmp "$W/b.json" "$W/b.before"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/r.1" -o "$W/r.2"
	cp "$W/b.json" "$W/b.before"
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/r.1" -o "$W/r.2again"
	cmp "$W/r.2" "$W/r.2again"
	cmp "$W/b.json" "$W/b.before"
	cp "$W/r.2" "$W/bad.2"
	flip_last "$W/bad.2"
	cp "$W/a.json" "$W/a.before"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/bad.2" -o "$W/x"
	[[ "$stderr" == *"ICV mismatch"* ]]
	cmp "$W/a.json" "$W/a.before"
	head -c 20 "$W/r.2" > "$W/short.2"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/short.2" -o "$W/x"
	cmp "$W/a.json" "$W/a.before"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/r.2" -o "$W/r.3"
	cp "$W/r.3" "$W/bad.3"
	flip_last "$W/bad.3"
	cp "$W/b.json" "$W/b.before"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/bad.3" -o "$W/x"
	[[ "$stderr" == *"ICV mismatch"* ]]
	cmp "$W/b.json" "$W/b.before"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/r.3" -o "$W/r.4"
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/r.4"
	run -0 same_keys
}

@test "over UDP: either side rekeys while the other listens (one run answers the rekey and the Delete); children after" {
	established
	old_i=$(st a .ike_sa.spi_i)
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 10 &
	RPID=$!
	sleep 0.2
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" --rekey-ike --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3
	[[ "$stderr" == *"deleting the old one"* ]]
	[[ "$stderr" == *"is deleted; the RKMP SA goes on as"* ]]
	wait "$RPID"
	RPID=
	run -0 same_keys
	[ "$(st a .ike_sa.spi_i)" != "$old_i" ]
	assert_equal "$(st b '.ike_sa.old // "none"')" none
	assert_equal "$(st a '.ike_sa.pending // "none"')" none
	# now b rekeys, a listens
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --respond --listen "127.0.0.1:$PORT" --wait 10 &
	RPID=$!
	sleep 0.2
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --rekey-ike --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3
	wait "$RPID"
	RPID=
	run -0 same_keys
	assert_equal "$(st b .role)" initiator
	assert_equal "$(st a .role)" responder
	# a child with PFS and a rekey of the first one over UDP, on the new SA
	for op in "--protocol rsvp-te --pfs ecp256" "--rekey $(st a '.children[0].spi_local')"; do
		"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 10 &
		RPID=$!
		sleep 0.2
		# shellcheck disable=SC2086
		"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" $op --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3 || fail "$op"
		wait "$RPID" || fail "responder: $op"
		RPID=
	done
	assert_equal "$(st a '.children[0].state')" rekeyed
	run -0 same_keymat 1
	run -0 same_keymat 2
}

@test "over UDP: a tampered datagram is ignored by the listener, its state byte for byte as it was" {
	established
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey-ike -o "$W/r.1"
	flip_last "$W/r.1"
	cp "$W/b.json" "$W/b.before"
	"$RKMP_BIN/rkmp-child" -v -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 2 2>"$W/listen.err" &
	RPID=$!
	sleep 0.3
	# neither port is 500: the datagram starts with the non-ESP marker (RFC 3948)
	{ printf '\0\0\0\0'; cat "$W/r.1"; } > "$W/r.1.udp"
	bash -c "cat '$W/r.1.udp' > /dev/udp/127.0.0.1/$PORT"
	rc=0
	wait "$RPID" || rc=$?
	RPID=
	assert_equal "$rc" 6
	grep -q "ignored a datagram from 127.0.0.1" "$W/listen.err"
	cmp "$W/b.json" "$W/b.before"
}

@test "INVALID_KE_PAYLOAD to a child with --pfs: the request again with the group asked for, then a group we do not take" {
	established
	# b takes ECP-256 only from now on
	edit b '.proposals = "aes256gcm16-prfsha256-ecp256"'
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --protocol bfd --pfs x25519 -o "$W/k.1"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/k.1" -o "$W/k.2"
	[[ "$stderr" == *"answered INVALID_KE_PAYLOAD (ECP_256)"* ]]
	cp "$W/a.json" "$W/a.before"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/k.2"
	cmp "$W/a.json" "$W/a.before"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/k.2" -o "$W/k.3"
	[[ "$stderr" == *"the peer asked for KE group ECP_256: child request repeated with it"* ]]
	assert_equal "$(st a .ike_sa.pending.dh_group)" ECP_256
	assert_equal "$(st a .ike_sa.pending.retries)" 1
	run -0 "$RKMP_BIN/rkmp-decode" -q -v -s "$W/a.json" "$W/k.3"
	assert_output --partial "ECP_256"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/k.3" -o "$W/k.4"
	run -0 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/k.4"
	assert_equal "$(st a '.children[1].state')" established
	run -0 same_keymat 1
	# the same for a rekey of the RKMP SA itself
	run -0 rekey_retry_files
	run -0 same_keys
	assert_equal "$(st a .suite.dh)" ECP_256
	# a group we do not accept: refused (exit 1), the groups named, recorded
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --protocol tcp-ao --pfs x25519 -o "$W/n.1"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/n.1" -o "$W/n.2"
	edit a '.proposals = "aes256gcm16-prfsha256-x25519"'
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/n.2" -o "$W/n.3"
	[[ "$stderr" == *"INVALID_KE_PAYLOAD asks for ECP_256 (19); we sent CURVE25519 and accept CURVE25519"* ]]
	[ ! -e "$W/n.3" ]
	assert_equal "$(st a '.children[-1].state')" refused
	assert_equal "$(st a '.ike_sa.pending // "none"')" none
	assert_equal "$(st a .phase)" established
	run -0 exchange a b live --liveness
}

rekey_retry_files() {
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey-ike -o "$W/i.1" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/i.1" -o "$W/i.2" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/i.2" -o "$W/i.3" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/i.3" -o "$W/i.4" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/i.4" -o "$W/i.5" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/i.5" -o "$W/i.6" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/i.6"
}

@test "an RKMP SA rekey the responder cannot take: NO_PROPOSAL_CHOSEN, exit 1 on both sides, the SA goes on" {
	established
	old_i=$(st a .ike_sa.spi_i)
	edit b '.proposals = "aes128-sha256-modp2048"'
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey-ike -o "$W/r.1"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond -i "$W/r.1" -o "$W/r.2"
	[[ "$stderr" == *"NO_PROPOSAL_CHOSEN"* ]]
	run -1 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -i "$W/r.2"
	[[ "$stderr" == *"RKMP SA rekey refused by the peer: NO_PROPOSAL_CHOSEN"* ]]
	assert_equal "$(st a .ike_sa.spi_i)" "$old_i"
	assert_equal "$(st a .phase)" established
	run -0 exchange a b live --liveness
}

@test "rkmp-decode -s in the middle of a rekey: the state keeps the old SA, so the rekey and its Delete decrypt" {
	established
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey-ike -o "$W/m.1"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/m.1" -o "$W/m.2"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/m.2" -o "$W/m.3"
	[ "$(st a .ike_sa.old.spi_i)" != null ]
	# a's state alone: the old SA's messages (rekey, its answer, the Delete) decrypt
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/m.1" "$W/m.2" "$W/m.3"
	assert_line --index 0 --partial "SK{SA Nonce KE}"
	assert_line --index 1 --partial "SK{SA Nonce KE}"
	assert_line --index 2 --partial "SK{D(IKE)}"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/m.3" -o "$W/m.4"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/m.4"
	# the Delete done, the old SA is gone from the state, and with it its keys
	assert_equal "$(st a .ike_sa.old)" null
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -s "$W/a.json" "$W/m.4"
	[[ "$output" == *"[SK]" ]]
	[[ "$stderr" == *"0 decrypted"* ]]
	# the new SA's messages decrypt with the state as it is now
	run -0 exchange a b after --liveness
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/after.req" "$W/after.resp"
	assert_line --index 0 --partial "$(st a .ike_sa.spi_i):$(st a .ike_sa.spi_r)"
}
