#!/usr/bin/env bats
# rkmp-init: RKMP_SA_INIT over files, both roles; retries; state handling.

load helpers
load step-helpers

setup() { setup_step; }

@test "RKMP_SA_INIT over files: both sides derive the same keys" {
	run -0 init_pair
	assert_equal "$(jq -r .phase "$W/a.json")" init-done
	assert_equal "$(jq -r .phase "$W/b.json")" init-done
	run -0 same_keys
	[ "$(stat -c %a "$W/a.json")" = 600 ]
	[ "$(stat -c %a "$W/b.json")" = 600 ]
	run -0 "$RKMP_BIN/rkmp-decode" -q "$W/1.bin" "$W/2.bin"
	assert_line --index 0 --partial "IKE_SA_INIT initiator request mid 0"
	assert_line --index 1 --partial "IKE_SA_INIT responder response mid 0"
}

@test "the state file has the fixed format and key names" {
	init_pair
	run -0 jq -r '[.format, .version, .role, .profile, (.ike_sa.spi_i | test("^[0-9a-f]{16}$")),
	    (.secrets | keys_unsorted | index("sk_d") != null), (keys_unsorted | last)] | @tsv' "$W/a.json"
	assert_output "$(printf 'rkmp-state\t1\tinitiator\trkmp\ttrue\ttrue\tsecrets')"
	run -0 jq -r '.transcript | map(.dir + " " + .exchange) | join(",")' "$W/a.json"
	assert_output "sent IKE_SA_INIT,received IKE_SA_INIT"
}

@test "INVALID_KE_PAYLOAD: the responder asks for its group, the initiator retries with it" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --proposal aes128-sha256-ecp384-modp2048 -o "$W/1.bin"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/b.json" --respond --proposal aes128-sha256-modp2048 -i "$W/1.bin" -o "$W/2.bin"
	[[ "$stderr" == *"INVALID_KE_PAYLOAD"* ]]
	run -0 "$RKMP_BIN/rkmp-decode" -q -v "$W/2.bin"
	assert_output --partial "INVALID_KE_PAYLOAD(17) protocol NONE(0) group MODP_2048(14)"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" -i "$W/2.bin" -o "$W/3.bin"
	[[ "$stderr" == *"MODP_2048"* ]]
	"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond -i "$W/3.bin" -o "$W/4.bin"
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -i "$W/4.bin"
	run -0 same_keys
	assert_equal "$(jq -r .suite.dh "$W/a.json")" MODP_2048
}

@test "COOKIE: a responder with --cookie answers N(COOKIE) first; the request comes again with it" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -o "$W/1.bin"
	"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --cookie -i "$W/1.bin" -o "$W/2.bin"
	run -0 "$RKMP_BIN/rkmp-decode" -q "$W/2.bin"
	assert_output --partial "[N(COOKIE)]"
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -i "$W/2.bin" -o "$W/3.bin"
	run -0 "$RKMP_BIN/rkmp-decode" -q "$W/3.bin"
	assert_output --partial "[N(COOKIE) SA KE Nonce"
	"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --cookie -i "$W/3.bin" -o "$W/4.bin"
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -i "$W/4.bin"
	run -0 same_keys
}

@test "no common proposal: NO_PROPOSAL_CHOSEN, exit 1 on both sides, recorded as failed" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --proposal aes128-sha256-modp2048 -o "$W/1.bin"
	run -1 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/b.json" --respond --proposal chacha20poly1305-prfsha256-x25519 -i "$W/1.bin" -o "$W/2.bin"
	[[ "$stderr" == *"refused"*"NO_PROPOSAL_CHOSEN"* ]]
	assert_equal "$(jq -r .phase "$W/b.json")" failed
	run -1 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" -i "$W/2.bin"
	[[ "$stderr" == *"NO_PROPOSAL_CHOSEN"* ]]
	assert_equal "$(jq -r .phase "$W/a.json")" failed
	[[ "$(jq -r .reason "$W/a.json")" == *NO_PROPOSAL_CHOSEN* ]]
}

@test "wrong phase: refused with exit 3 naming the next step; the state is untouched" {
	init_pair
	cp "$W/a.json" "$W/a.before"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" -i "$W/2.bin"
	[[ "$stderr" == *"init-done: next step is rkmp-auth"* ]]
	cmp "$W/a.json" "$W/a.before"
}

@test "a malformed answer: exit 4, the state byte for byte as it was" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -o "$W/1.bin"
	cp "$W/a.json" "$W/a.before"
	head -c 60 "$W/1.bin" > "$W/bad.bin"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" -i "$W/bad.bin"
	[[ "$stderr" == *"malformed message"* ]]
	cmp "$W/a.json" "$W/a.before"
	# a message for another SA (the request itself) is refused too
	run -4 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" -i "$W/1.bin"
	cmp "$W/a.json" "$W/a.before"
}

@test "state file problems: truncated, mode 0644, unknown version: exit 3, file unchanged" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -o "$W/1.bin"
	head -c 100 "$W/a.json" > "$W/t.json"; chmod 600 "$W/t.json"; cp "$W/t.json" "$W/t.before"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/t.json" -i "$W/1.bin"
	cmp "$W/t.json" "$W/t.before"
	chmod 644 "$W/a.json"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" -i "$W/1.bin"
	[[ "$stderr" == *"0644"* ]]
	chmod 600 "$W/a.json"
	jq '.version = 2' "$W/a.json" > "$W/v.json"; chmod 600 "$W/v.json"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/v.json" -i "$W/1.bin"
	[[ "$stderr" == *"version 2"* ]]
}

@test "usage errors: exit 2 with the reason" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -o x.bin
	[[ "$stderr" == *"-s STATE is required"* ]]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --proposal aes128-sha7-modp2048 -o "$W/1.bin"
	[[ "$stderr" == *"sha7"* ]]
	[ ! -e "$W/a.json" ]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --profile bgp -o "$W/1.bin"
	[[ "$stderr" == *"'bgp' is not rkmp or ikev2"* ]]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --peer 127.0.0.1 --listen 127.0.0.1
}

@test "--seed: the same seeds give byte-identical messages and keys; loud on stderr; stamped" {
	for run_ in 1 2; do
		mkdir -p "$W/$run_"
		"$RKMP_BIN/rkmp-init" -q -s "$W/$run_/a.json" --seed 01020304 -o "$W/$run_/1.bin" 2>/dev/null
		"$RKMP_BIN/rkmp-init" -q -s "$W/$run_/b.json" --respond --seed 0a0b0c0d -i "$W/$run_/1.bin" -o "$W/$run_/2.bin" 2>/dev/null
	done
	cmp "$W/1/1.bin" "$W/2/1.bin"
	cmp "$W/1/2.bin" "$W/2/2.bin"
	cmp "$W/1/b.json" "$W/2/b.json"
	assert_equal "$(jq -r .seed "$W/1/a.json")" 01020304
	run -0 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/c.json" --seed 01 -o "$W/c.bin"
	[[ "$stderr" == *"WARNING"*"for tests only"* ]]
}
