#!/usr/bin/env bats
# rkmp-auth: RKMP_SA_AUTH over files; the scripted flow of DESIGN.md §6; failures.

load helpers
load step-helpers

setup() { setup_step; }

@test "the scripted six-step flow of DESIGN.md §6 establishes the RKMP SA" {
	run -0 init_pair
	run -0 auth_pair
	run -0 same_keys
	pair_jq '$a.phase, $b.phase, $a.identities.peer_seen, $b.identities.peer_seen,
	    $a.children[0].protocol, $a.children[0].state, $a.secrets.children[0].keymat,
	    $b.secrets.children[0].keymat, $a.children[0].spi_local, $b.children[0].spi_peer'
	assert_equal "${v[0]} ${v[1]}" "established established"
	assert_equal "${v[2]}" fqdn:b.rkmp.test
	assert_equal "${v[3]}" fqdn:a.rkmp.test
	# the rkmp profile's first child: a TCP-AO routing-protocol SA, same KEYMAT on both sides
	assert_equal "${v[4]} ${v[5]}" "TCP_AO established"
	[[ "${v[6]}" =~ ^[0-9a-f]+$ ]] || fail "KEYMAT ${v[6]}"
	assert_equal "${v[6]}" "${v[7]}"
	[[ "${v[8]}" =~ ^[0-9a-f]+$ ]] || fail "SPI ${v[8]}"
	assert_equal "${v[8]}" "${v[9]}"
}

suites=(aes128-sha256-modp2048 aes256-sha384-ecp384 aes256gcm16-prfsha256-ecp256
	chacha20poly1305-prfsha256-x25519 aes128gcm16-prfsha512-curve448)

# The whole suite x profile matrix is driven in memory by tests/unit/test_auth_matrix.c
# (the same assertions); through the step binaries each suite once, the profiles in turn.
@test "every suite through the steps, the profiles in turn: both sides established with identical SK_* (PSK)" {
	local prof=rkmp
	for s in "${suites[@]}"; do
		rm -f "$W"/*.json "$W"/*.bin
		init_pair --proposal "$s" --profile "$prof" -- --proposal "$s" --profile "$prof" ||
		    fail "$s $prof: RKMP_SA_INIT failed"
		auth_pair || fail "$s $prof: RKMP_SA_AUTH failed"
		same_keys || fail "$s $prof: keys differ"
		pair_jq '$a.phase, $b.phase, $a.profile, $b.profile, ($a.proposals == $b.proposals)'
		assert_equal "${v[*]}" "established established $prof $prof true"
		if [ $prof = rkmp ]; then prof=ikev2; else prof=rkmp; fi
	done
}

@test "ikev2 profile: an ESP child with TSi/TSr, or childless" {
	init_pair --profile ikev2 -- --profile ikev2
	auth_pair
	assert_equal "$(jq -r '.children[0].protocol' "$W/a.json")" ESP
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/3.bin" "$W/4.bin"
	assert_line --index 0 --partial "SK{IDi AUTH SA TSi TSr}"
	rm -f "$W"/*.json "$W"/*.bin
	init_pair --profile ikev2 -- --profile ikev2
	auth_pair --childless
	assert_equal "$(jq -r '.children | length' "$W/a.json")" 0
	assert_equal "$(jq -r .phase "$W/a.json")" established
}

@test "--protocol: the first child's protocol, kept in the state; the responder takes the initiator's" {
	init_pair
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --protocol bfd -o "$W/3.bin"
	assert_equal "$(jq -r .child_protocol "$W/a.json")" BFD
	# a responder configured for TCP-AO answers a BFD child with BFD's default proposal
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" --child-proposal aescmac-tcpopts \
	    -i "$W/3.bin" -o "$W/4.bin"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" -i "$W/4.bin"
	assert_equal "$(jq -r '.children[0].protocol + " " + .children[0].state' "$W/a.json")" "BFD established"
	assert_equal "$(jq -r '.children[0].protocol' "$W/b.json")" BFD
	run -0 same_keymat 0
	# --child-proposal is the --protocol's list
	rm "$W"/*.json
	init_pair
	cp "$W/a.json" "$W/x.json"
	run -0 "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --protocol tcp-md5 --child-proposal md5 -o "$W/3.bin"
	cp "$W/x.json" "$W/x.before"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/x.json" --psk-file "$W/k.psk" --protocol tcp-md5 \
	    --child-proposal sha1-tcpopts -o "$W/x.bin"
	[[ "$stderr" == *'keyword "sha1" is not for TCP-MD5 proposals'* ]]
	cmp "$W/x.json" "$W/x.before"
	# usage: an unknown protocol, ESP in the rkmp profile, any protocol in the ikev2 profile
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" --protocol ospf -o "$W/y.bin"
	[[ "$stderr" == "rkmp-auth: --protocol: 'ospf' is not tcp-ao, bfd, rsvp-te or tcp-md5"* ]]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" --protocol esp -o "$W/y.bin"
	rm "$W"/*.json
	init_pair --profile ikev2
	cp "$W/a.json" "$W/a.before"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" --protocol tcp-md5 -o "$W/3.bin"
	assert_equal "$stderr" "rkmp-auth: $W/a.json: usage: --protocol: the ikev2 profile's first child is ESP"
	cmp "$W/a.json" "$W/a.before"
	# a hand-edited child_protocol: exit 3 naming it
	jq '.child_protocol = "AH"' "$W/a.before" > "$W/a.json"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	[[ "$stderr" == *"child_protocol 2: not a child SA protocol (tcp-ao, bfd, rsvp-te, tcp-md5 or esp)"* ]]
}

@test "rkmp-decode -s decrypts our own negotiation" {
	init_pair
	auth_pair
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" "$W/1.bin" "$W/2.bin" "$W/3.bin" "$W/4.bin"
	assert_line --index 2 --partial "SK{IDi AUTH SA}"
	assert_line --index 3 --partial "SK{IDr AUTH SA}"
}

@test "wrong PSK: exit 1 on both sides, the responder still sends AUTHENTICATION_FAILED" {
	init_pair
	printf 'another-key\n' > "$W/bad.psk"; chmod 600 "$W/bad.psk"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/bad.psk" -o "$W/3.bin"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/3.bin" -o "$W/4.bin"
	[[ "$stderr" == *"AUTHENTICATION_FAILED"* ]]
	[ -s "$W/4.bin" ]
	assert_equal "$(jq -r .phase "$W/b.json")" failed
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" -i "$W/4.bin"
	[[ "$stderr" == *"AUTHENTICATION_FAILED"* ]]
	assert_equal "$(jq -r .phase "$W/a.json")" failed
	# the child a proposed in RKMP_SA_AUTH never came to be: refused, with why
	assert_equal "$(jq -r '[.children[] | "\(.state): \(.reason)"] | join(",")' "$W/a.json")" \
	    "refused: its RKMP SA failed: responder refused: AUTHENTICATION_FAILED"
}

@test "a refusal is said once: one line on stderr on each side, one JSON object with --json" {
	init_pair
	cp "$W/a.json" "$W/a.copy"; cp "$W/b.json" "$W/b.copy"
	printf 'another-key\n' > "$W/bad.psk"; chmod 600 "$W/bad.psk"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/bad.psk" -o "$W/3.bin"
	cp "$W/a.json" "$W/a.sent"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/3.bin" -o "$W/4.bin"
	assert_equal "$output" ""
	assert_equal "$stderr" "rkmp-auth: $W/b.json: refused: AUTH (PSK) of fqdn:a.rkmp.test does not verify: wrong pre-shared key?: answered AUTHENTICATION_FAILED"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" -i "$W/4.bin"
	assert_equal "$output" ""
	assert_equal "$stderr" "rkmp-auth: $W/a.json: refused: responder refused: AUTHENTICATION_FAILED"
	# the same with --json: the summary carries the error, nothing on stderr
	cp "$W/b.copy" "$W/b.json"; cp "$W/a.sent" "$W/a.json"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" --json -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/3.bin" -o "$W/4.bin"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -c '[.step, .phase, .exit, .error.class, .error.exit, (.error.detail == .reason)]' <<<"$output")" \
	    '["rkmp-auth","failed",1,"refused",1,true]'
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" --json -s "$W/a.json" -i "$W/4.bin"
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -r .error.detail <<<"$output")" "responder refused: AUTHENTICATION_FAILED"
	# an error that is no outcome of the SA is the error object alone
	run -3 --separate-stderr "$RKMP_BIN/rkmp-auth" --json -s "$W/a.json" -i "$W/4.bin"
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -c 'keys' <<<"$output")" '["error"]'
}

@test "tampered ICV: exit 1 (ICV mismatch), the responder's state byte for byte as it was" {
	init_pair
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	cp "$W/b.json" "$W/b.before"
	size=$(stat -c %s "$W/3.bin")
	last=$(od -An -tu1 -j $((size - 1)) -N1 "$W/3.bin" | tr -d ' ')
	printf "\\x$(printf %02x $((last ^ 1)))" | dd of="$W/3.bin" bs=1 seek=$((size - 1)) conv=notrunc status=none
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/3.bin" -o "$W/4.bin"
	[[ "$stderr" == *"ICV mismatch"* ]]
	cmp "$W/b.json" "$W/b.before"
}

@test "replayed and reordered messages" {
	init_pair
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	cp "$W/b.json" "$W/b.before"
	# the IKE_SA_INIT request again: answered from the transcript with the same response
	run -0 "$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/1.bin" -o "$W/2again.bin"
	cmp "$W/2.bin" "$W/2again.bin"
	cmp "$W/b.json" "$W/b.before"
	# the initiator given its own request instead of the answer: malformed (exit 4), state kept
	cp "$W/a.json" "$W/a.before"
	run -4 "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" -i "$W/3.bin"
	cmp "$W/a.json" "$W/a.before"
	# the INIT response in place of the AUTH response: exit 4, state kept
	run -4 "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" -i "$W/2.bin"
	cmp "$W/a.json" "$W/a.before"
}

@test "rkmp-auth before rkmp-init has finished: exit 3 naming the next step" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -o "$W/1.bin"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	[[ "$stderr" == *"init-sent: next step is rkmp-init -i RESPONSE"* ]]
	run -3 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/none.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	[[ "$stderr" == *"no such state file"* ]]
}

@test "a PSK file readable by others is refused" {
	init_pair
	chmod 644 "$W/k.psk"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	[[ "$stderr" == *"0644"* ]]
}

@test "a seeded negotiation is byte-for-byte reproducible" {
	local warn="WARNING: --seed makes every nonce, SPI, IV and DH key predictable: for tests only"
	for r in 1 2; do
		mkdir -p "$W/$r"
		(W=$W/$r; cp "$BATS_TEST_TMPDIR/k.psk" "$W/";
		 init_pair --seed 11 -- --seed 22 && auth_pair) 2>"$W/$r.err" || fail "run $r: $(cat "$W/$r.err")"
		# stderr: the --seed warning of each step, and nothing else
		run -0 sort -u "$W/$r.err"
		assert_output "rkmp-auth: $warn
rkmp-init: $warn"
		assert_equal "$(grep -c WARNING "$W/$r.err")" 6
		run -0 jq -r .phase "$W/$r/a.json" "$W/$r/b.json"
		assert_output $'established\nestablished'
	done
	for f in 1.bin 2.bin 3.bin 4.bin a.json b.json; do cmp "$W/1/$f" "$W/2/$f"; done
}

# certificate credentials from testdata/pki (tests/make-pki.sh); keys copied to 0600
pki() {
	local k
	for k in rsa p256 p384 rogue expired; do
		install -m 600 "testdata/pki/$k.key" "$W/$k.key"
	done
	P=testdata/pki
}

cert_pair() {	# cert_pair INITIATOR-CRED RESPONDER-CRED: RKMP_SA_AUTH with certificates
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --cert "$P/$1.pem" --key "$W/$1.key" --ca "$P/ca.pem" -o "$W/3.bin" &&
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --cert "$P/$2.pem" --key "$W/$2.key" --ca "$P/ca.pem" -i "$W/3.bin" -o "$W/4.bin" &&
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --ca "$P/ca.pem" -i "$W/4.bin"
}

# The whole suite x profile x certificate matrix is driven in memory by
# tests/unit/test_auth_matrix.c (the same assertions); here each pair once
# through the step binaries, both profiles and a CBC and a GCM suite among them.
@test "certificates: RSA and ECDSA (P-256, P-384) through the steps, both profiles, RFC 7427" {
	pki
	for run_ in "rsa p256 rkmp aes128-sha256-modp2048" "p256 rsa rkmp aes256gcm16-prfsha256-ecp256" \
	    "p384 rsa ikev2 aes256gcm16-prfsha256-ecp256"; do
		read -r ic rc prof s <<<"$run_"
		rm -f "$W"/*.json "$W"/*.bin
		# identities come from the certificates (no --id)
		"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --profile "$prof" --proposal "$s" -o "$W/1.bin"
		"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --profile "$prof" --proposal "$s" -i "$W/1.bin" -o "$W/2.bin"
		"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -i "$W/2.bin"
		cert_pair "$ic" "$rc" || fail "$run_: certificate AUTH failed"
		same_keys || fail "$run_: keys differ"
		pair_jq '$a.phase, $b.phase'
		assert_equal "${v[*]}" "established established"
	done
	run -0 "$RKMP_BIN/rkmp-decode" -q -v -s "$W/a.json" "$W/3.bin"
	assert_output --partial "AUTH(39)"
	assert_output --partial "method DIGITAL_SIGNATURE(14)"
	assert_output --partial "CERT(37)"
	pair_jq '$a.identities.peer_seen, $b.identities.peer_seen'
	assert_equal "${v[0]}" "fqdn:a.rkmp.test"
	[[ "${v[1]}" == dn:* ]]
}

@test "untrusted and expired certificates: AUTHENTICATION_FAILED, exit 1 on both sides" {
	pki
	for bad in rogue expired; do
		rm -f "$W"/*.json "$W"/*.bin
		init_pair
		"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --cert "$P/$bad.pem" --key "$W/$bad.key" --ca "$P/ca.pem" -o "$W/3.bin"
		run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/b.json" --respond --cert "$P/p256.pem" --key "$W/p256.key" --ca "$P/ca.pem" -i "$W/3.bin" -o "$W/4.bin"
		[[ "$stderr" == *"certificate not trusted"*"AUTHENTICATION_FAILED"* ]] || fail "$bad: $stderr"
		run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --ca "$P/ca.pem" -i "$W/4.bin"
		[[ "$stderr" == *"AUTHENTICATION_FAILED"* ]]
	done
}

@test "the peer proves another identity than --peer-id: refused" {
	pki
	init_pair
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --peer-id fqdn:z.rkmp.test --cert "$P/rsa.pem" --key "$W/rsa.key" --ca "$P/ca.pem" -o "$W/3.bin"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --cert "$P/p256.pem" --key "$W/p256.key" --ca "$P/ca.pem" -i "$W/3.bin" -o "$W/4.bin"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --ca "$P/ca.pem" -i "$W/4.bin"
	[[ "$stderr" == *"peer identity fqdn:b.rkmp.test, expected fqdn:z.rkmp.test"* ]]
}

@test "seeded golden: the kept negotiation (testdata/seeded/) comes out byte for byte" {
	run -0 tests/seeded-flow.sh "$RKMP_BIN" "$W/seeded"
	assert_output established
	for f in 1.bin 2.bin 3.bin 4.bin; do
		cmp "$W/seeded/$f" "testdata/seeded/$f" || fail "$f differs from the golden"
	done
}
